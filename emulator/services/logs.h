/*
 * logs.h - CloudWatch Logs as other services write to it (ECS's awslogs driver).
 */
#ifndef DD_LOGS_H
#define DD_LOGS_H

#include <stdint.h>

#include "service.h"

/*
 * Appends one event to stream `stream` of log group `group` in r's account
 * and region, inside r's transaction. The group must exist (as with the
 * awslogs driver); the stream is created on first use. Returns 0, or -1 with
 * ResourceNotFoundException recorded on r when the group does not exist.
 */
int logs_append(struct dd_request *r, const char *group, const char *stream, int64_t ts_ms, const char *message);

/*
 * Creates log group `group` (STANDARD class, no KMS key, no tags) in r's
 * account and region unless it exists, as the awslogs driver does with
 * awslogs-create-group; the same insert CreateLogGroup makes. Returns 0, or
 * -1 with the error recorded on r (an invalid name, a store failure).
 */
int logs_ensure_group(struct dd_request *r, const char *group);

#endif
