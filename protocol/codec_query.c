/*
 * codec_query.c - the awsQuery protocol (ELBv2, RDS, IAM, STS, CloudWatch,
 * EC2 Auto Scaling): form-encoded requests, XML responses wrapped in
 * <OpResponse><OpResult>, errors as <ErrorResponse>.
 *
 * The walking of forms and XML is shared with ec2Query (codec_form.c,
 * codec_xml.c); this file holds what only awsQuery does: its naming rules
 * (codec_query_dialect) and its envelopes.
 */
#include "codec_internal.h"
#include "codec_query_common.h"

const struct codec_dialect codec_query_dialect = {
    .ec2_request_names = false,
    .flat_request_lists = false,
    .list_item = "member",
    .invalid_value_code = "ValidationError",
};

/* `<Name xmlns="NS">`, without the attribute when the model has no namespace. */
static void codec_query_open_root(struct dd_buf *out, const struct dd_service_model *svc,
                                  const char *name, const char *suffix)
{
    buf_printf(out, "<%s%s", name, suffix);
    if (svc->xml_namespace) {
        buf_puts(out, " xmlns=\"");
        buf_put_xml(out, svc->xml_namespace);
        buf_putc(out, '"');
    }
    buf_putc(out, '>');
}

static void codec_query_request_id(struct dd_buf *out, const char *request_id)
{
    buf_puts(out, "<RequestId>");
    buf_put_xml(out, request_id ? request_id : "");
    buf_puts(out, "</RequestId>");
}

/* server: form body -> new internal input, or NULL with err */
static json_t *codec_query_parse_request(const struct dd_service_model *svc,
                                         const struct dd_operation *op, const char *body, size_t len,
                                         struct dd_error *err)
{
    return codec_form_parse_request(svc, op, &codec_query_dialect, body, len, err);
}

/* server: <OpResponse><OpResult>members</OpResult><ResponseMetadata>... */
static void codec_query_write_response(const struct dd_service_model *svc,
                                       const struct dd_operation *op, json_t *output,
                                       const char *request_id, struct dd_buf *out,
                                       const char **content_type)
{
    codec_query_open_root(out, svc, op->name, "Response");
    if (op->output >= 0) {
        if (op->result_wrapper)
            buf_printf(out, "<%s>", op->result_wrapper);
        codec_xml_write_members(out, svc, model_shape(svc, (uint32_t)op->output), output,
                                &codec_query_dialect);
        if (op->result_wrapper)
            buf_printf(out, "</%s>", op->result_wrapper);
    }
    buf_puts(out, "<ResponseMetadata>");
    codec_query_request_id(out, request_id);
    buf_printf(out, "</ResponseMetadata></%sResponse>", op->name);
    *content_type = "text/xml";
}

/* server: <ErrorResponse><Error><Type><Code><Message></Error><RequestId> */
static void codec_query_write_error(const struct dd_service_model *svc, const struct dd_error *err,
                                    const char *request_id, struct dd_buf *out,
                                    const char **content_type)
{
    codec_query_open_root(out, svc, "ErrorResponse", "");
    buf_puts(out, "<Error><Type>");
    buf_puts(out, err->sender ? "Sender" : "Receiver");
    buf_puts(out, "</Type><Code>");
    buf_put_xml(out, err->code);
    buf_puts(out, "</Code><Message>");
    buf_put_xml(out, err->message);
    buf_puts(out, "</Message></Error>");
    codec_query_request_id(out, request_id);
    buf_puts(out, "</ErrorResponse>");
    *content_type = "text/xml";
}

/* client: Action=Op&Version=V&members...; no X-Amz-Target */
static int codec_query_write_request(const struct dd_service_model *svc,
                                     const struct dd_operation *op, json_t *input,
                                     struct dd_buf *out, const char **content_type, char **target,
                                     struct dd_error *err)
{
    (void)target;
    *content_type = "application/x-www-form-urlencoded; charset=utf-8";
    return codec_form_write_request(svc, op, &codec_query_dialect, input, out, err);
}

const struct dd_codec codec_query = {
    .parse_request = codec_query_parse_request,
    .write_response = codec_query_write_response,
    .write_error = codec_query_write_error,
    .write_request = codec_query_write_request,
    .parse_response = codec_xml_parse_response, /* shared: see codec_query_common.h */
};
