/*
 * ssm.h - what other services ask of SSM Parameter Store (ECS's secrets).
 */
#ifndef DD_SSM_H
#define DD_SSM_H

#include <stdbool.h>

#include "service.h"

/* Whether `ref` (a parameter name, name:version, name:label, or a parameter
 * ARN of r's region and account) names an existing parameter, in r's
 * transaction. */
bool ssm_parameter_exists(struct dd_request *r, const char *ref);

#endif
