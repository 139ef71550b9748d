/*
 * codec_ec2.c - the ec2Query protocol (EC2): form-encoded requests with
 * flattened `Name.N` lists and capitalized names, XML responses with the
 * members directly under <OpResponse> after a <requestId>, `<item>` lists,
 * and errors as <Response><Errors><Error>.
 *
 * The walking of forms and XML is shared with awsQuery (codec_form.c,
 * codec_xml.c); this file holds what only EC2 does: its naming rules
 * (codec_ec2_dialect) and its envelopes.
 */
#include <string.h>

#include "codec_internal.h"
#include "codec_query_common.h"

const struct codec_dialect codec_ec2_dialect = {
    .ec2_request_names = true,
    .flat_request_lists = true,
    .list_item = "item",
    .invalid_value_code = "InvalidParameterValue",
};

/* server: form body -> new internal input, or NULL with err */
static json_t *codec_ec2_parse_request(const struct dd_service_model *svc,
                                       const struct dd_operation *op, const char *body, size_t len,
                                       struct dd_error *err)
{
    return codec_form_parse_request(svc, op, &codec_ec2_dialect, body, len, err);
}

/* server: <OpResponse xmlns><requestId>ID</requestId>members</OpResponse> */
static void codec_ec2_write_response(const struct dd_service_model *svc,
                                     const struct dd_operation *op, json_t *output,
                                     const char *request_id, struct dd_buf *out,
                                     const char **content_type)
{
    buf_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%sResponse", op->name);
    if (svc->xml_namespace) {
        /* EC2 sends the namespace with a trailing slash; the model omits it */
        size_t n = strlen(svc->xml_namespace);
        buf_puts(out, " xmlns=\"");
        buf_put_xml(out, svc->xml_namespace);
        if (n && svc->xml_namespace[n - 1] != '/')
            buf_putc(out, '/');
        buf_putc(out, '"');
    }
    buf_puts(out, "><requestId>");
    buf_put_xml(out, request_id ? request_id : "");
    buf_puts(out, "</requestId>");
    if (op->output >= 0)
        codec_xml_write_members(out, svc, model_shape(svc, (uint32_t)op->output), output,
                                &codec_ec2_dialect);
    else
        buf_puts(out, "<return>true</return>"); /* what EC2 says for an action with no output */
    buf_printf(out, "</%sResponse>", op->name);
    *content_type = "text/xml;charset=UTF-8";
}

/* server: <Response><Errors><Error><Code><Message></Error></Errors><RequestID> */
static void codec_ec2_write_error(const struct dd_service_model *svc, const struct dd_error *err,
                                  const char *request_id, struct dd_buf *out,
                                  const char **content_type)
{
    (void)svc;
    buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>");
    buf_put_xml(out, err->code);
    buf_puts(out, "</Code><Message>");
    buf_put_xml(out, err->message);
    buf_puts(out, "</Message></Error></Errors><RequestID>");
    buf_put_xml(out, request_id ? request_id : "");
    buf_puts(out, "</RequestID></Response>");
    *content_type = "text/xml;charset=UTF-8";
}

/* client: Action=Op&Version=V&members...; no X-Amz-Target */
static int codec_ec2_write_request(const struct dd_service_model *svc, const struct dd_operation *op,
                                   json_t *input, struct dd_buf *out, const char **content_type,
                                   char **target, struct dd_error *err)
{
    (void)target;
    *content_type = "application/x-www-form-urlencoded; charset=utf-8";
    return codec_form_write_request(svc, op, &codec_ec2_dialect, input, out, err);
}

const struct dd_codec codec_ec2 = {
    .parse_request = codec_ec2_parse_request,
    .write_response = codec_ec2_write_response,
    .write_error = codec_ec2_write_error,
    .write_request = codec_ec2_write_request,
    .parse_response = codec_xml_parse_response, /* shared: see codec_query_common.h */
};
