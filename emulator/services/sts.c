/*
 * sts.c - AWS Security Token Service.
 *
 * GetCallerIdentity answers from the caller the server authenticated: the
 * account its access key belongs to and its ARN.
 */
#include "service.h"

static json_t *get_caller_identity(struct dd_request *r, json_t *in)
{
    return json_pack("{s:s, s:s, s:s}", "UserId", r->user_id, "Account", r->account, "Arn", r->caller_arn);
}

static const struct dd_handler handlers[] = {
    {"GetCallerIdentity", get_caller_identity, DD_OP_READ},
};

const struct dd_service dd_service_sts = {
    .model_id = "sts",
    .handlers = handlers,
    .handler_count = sizeof handlers / sizeof *handlers,
    .validation_code = "ValidationError",
};
