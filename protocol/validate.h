/*
 * validate.h - checking a decoded input against the model, before any handler.
 *
 * Checks, in the order AWS reports them: required members present (and not
 * null), enum values, string/blob/list/map lengths (min/max), integer/long
 * ranges (min/max). Type mismatches are the codecs' business (they cannot
 * build the json_t otherwise). Messages follow AWS's wording, e.g.
 *   1 validation error detected: Value null at 'name' failed to satisfy
 *   constraint: Member must not be null
 *   2 validation errors detected: Value 'x' at 'type' failed to satisfy
 *   constraint: Member must satisfy enum value set: [String, StringList,
 *   SecureString]; Value ... at 'tags.1.member.key' ...
 * Paths name members lowerCamel ('name', 'parameterFilters.1.member.key'),
 * as json and query services answer; ec2 services name them as on the wire.
 */
#ifndef DD_VALIDATE_H
#define DD_VALIDATE_H

#include <jansson.h>

#include "error.h"
#include "model.h"

/*
 * Validates `input` (borrowed) against `op`'s input shape. Returns 0, or -1
 * with `err` set to (400, `code`, message). `code` is the service's
 * validation error code ("ValidationException", "ValidationError", ...).
 */
int validate_input(const struct dd_service_model *svc, const struct dd_operation *op, json_t *input,
                   const char *code, struct dd_error *err);

#endif
