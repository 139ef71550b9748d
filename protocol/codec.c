/* codec.c - dispatch to the service's wire protocol (see codec.h). */
#include "codec_internal.h"

static const struct dd_codec *codec_for(const struct dd_service_model *svc)
{
    switch (svc->protocol) {
    case DD_PROTO_JSON: return &codec_json;
    case DD_PROTO_QUERY: return &codec_query;
    case DD_PROTO_EC2: return &codec_ec2;
    }
    return &codec_json;
}

json_t *codec_parse_request(const struct dd_service_model *svc, const struct dd_operation *op,
                            const char *body, size_t len, struct dd_error *err)
{
    return codec_for(svc)->parse_request(svc, op, body, len, err);
}

void codec_write_response(const struct dd_service_model *svc, const struct dd_operation *op,
                          json_t *output, const char *request_id, struct dd_buf *out,
                          const char **content_type)
{
    codec_for(svc)->write_response(svc, op, output, request_id, out, content_type);
}

void codec_write_error(const struct dd_service_model *svc, const struct dd_error *err,
                       const char *request_id, struct dd_buf *out, const char **content_type)
{
    codec_for(svc)->write_error(svc, err, request_id, out, content_type);
}

int codec_write_request(const struct dd_service_model *svc, const struct dd_operation *op,
                        json_t *input, struct dd_buf *out, const char **content_type, char **target,
                        struct dd_error *err)
{
    *target = NULL;
    return codec_for(svc)->write_request(svc, op, input, out, content_type, target, err);
}

json_t *codec_parse_response(const struct dd_service_model *svc, const struct dd_operation *op,
                             int http_status, const char *body, size_t len, struct dd_error *err)
{
    return codec_for(svc)->parse_response(svc, op, http_status, body, len, err);
}
