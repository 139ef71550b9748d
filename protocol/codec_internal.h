/*
 * codec_internal.h - one struct of functions per wire protocol.
 *
 * codec.c dispatches on the service's protocol to one of these; each lives
 * in its own file (codec_json.c, codec_query.c, codec_ec2.c). The slots have
 * the meaning of the same-named functions in codec.h.
 */
#ifndef DD_CODEC_INTERNAL_H
#define DD_CODEC_INTERNAL_H

#include "codec.h"

struct dd_codec {
    /* server: wire request body -> new internal input, or NULL with err */
    json_t *(*parse_request)(const struct dd_service_model *svc, const struct dd_operation *op,
                             const char *body, size_t len, struct dd_error *err);
    /* server: internal output (borrowed, may be NULL) -> wire response */
    void (*write_response)(const struct dd_service_model *svc, const struct dd_operation *op,
                           json_t *output, const char *request_id, struct dd_buf *out,
                           const char **content_type);
    /* server: error -> wire error body */
    void (*write_error)(const struct dd_service_model *svc, const struct dd_error *err,
                        const char *request_id, struct dd_buf *out, const char **content_type);
    /* client: internal input -> wire request body (and X-Amz-Target for json) */
    int (*write_request)(const struct dd_service_model *svc, const struct dd_operation *op,
                         json_t *input, struct dd_buf *out, const char **content_type, char **target,
                         struct dd_error *err);
    /* client: wire response -> new internal output, or NULL with err (wire error or bad body) */
    json_t *(*parse_response)(const struct dd_service_model *svc, const struct dd_operation *op,
                              int http_status, const char *body, size_t len, struct dd_error *err);
};

extern const struct dd_codec codec_json;
extern const struct dd_codec codec_query;
extern const struct dd_codec codec_ec2;

#endif
