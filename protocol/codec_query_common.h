/*
 * codec_query_common.h - what awsQuery (codec_query.c) and ec2Query
 * (codec_ec2.c) share: both send form bodies and answer in XML, and differ
 * only in a handful of naming rules. Those differences are data (struct
 * codec_dialect); the walking code is written once:
 *
 *   codec_text.c  scalars as text, both ways (numbers, booleans, timestamps)
 *   codec_form.c  form bodies: decoding for the server, encoding for the client
 *   codec_xml.c   XML: writing values for the server, reading them for the client
 */
#ifndef DD_CODEC_QUERY_COMMON_H
#define DD_CODEC_QUERY_COMMON_H

#include <stdbool.h>

#include "codec.h"

/* How one query-family protocol names things on the wire. */
struct codec_dialect {
    /* request keys: queryName, else capitalized locationName, else the member
     * name (ec2); or locationName, else the member name (query) */
    bool ec2_request_names;
    /* request lists: always `Key.N` (ec2), else `Key.member.N` unless flattened */
    bool flat_request_lists;
    /* XML element of a list item when the model names none: "member" / "item" */
    const char *list_item;
    /* error code for a form value of the wrong type */
    const char *invalid_value_code;
};

extern const struct codec_dialect codec_query_dialect; /* codec_query.c */
extern const struct codec_dialect codec_ec2_dialect;   /* codec_ec2.c */

/* ---- codec_text.c: scalars as text ---------------------------------------- */

/*
 * Appends the text form of scalar `value` (borrowed) of shape `shape`, as a
 * query/ec2 request or response carries it. `fmt` is the member's
 * enum dd_timestamp_format; `millis` asks for milliseconds on every ISO 8601
 * timestamp (responses), else only when fractional (requests, like botocore).
 * Returns -1 when `value` is not a scalar.
 */
int codec_text_put_scalar(struct dd_buf *out, const struct dd_shape *shape, int fmt, json_t *value,
                          bool millis);

/*
 * Converts wire text to the internal form of scalar shape `shape`.
 * Returns a new reference, or NULL when the text does not fit; then
 * *expected names what was wanted ("an integer", "a boolean", ...).
 */
json_t *codec_text_to_json(const struct dd_shape *shape, const char *text, const char **expected);

/* ---- codec_form.c: form bodies -------------------------------------------- */

/* Server: a whole form body -> new internal input of `op`, or NULL with err. */
json_t *codec_form_parse_request(const struct dd_service_model *svc, const struct dd_operation *op,
                                 const struct codec_dialect *d, const char *body, size_t len,
                                 struct dd_error *err);

/* Client: `Action=Op&Version=V&...` for `input` (borrowed, may be NULL). 0, or -1 with err. */
int codec_form_write_request(const struct dd_service_model *svc, const struct dd_operation *op,
                             const struct codec_dialect *d, json_t *input, struct dd_buf *out,
                             struct dd_error *err);

/* ---- codec_xml.c: XML ----------------------------------------------------- */

/* Server: appends one element per member of structure `shape` present in
 * `value` (borrowed), named and nested per the dialect. */
void codec_xml_write_members(struct dd_buf *out, const struct dd_service_model *svc,
                             const struct dd_shape *shape, json_t *value,
                             const struct codec_dialect *d);

/*
 * Client: a whole response, for both protocols (the dd_codec parse_response
 * slot). 2xx: parses `body`, descends into the operation's result wrapper
 * element when it has one (query; ec2 has the members at the top), decodes
 * the output; list items are read whatever their element name, so no
 * dialect rule applies. Otherwise reads the error document (query
 * `<ErrorResponse><Error>`, ec2 `<Response><Errors><Error>`) into err.
 * New reference, or NULL with err ("MalformedResponse" for a body that
 * cannot be read).
 */
json_t *codec_xml_parse_response(const struct dd_service_model *svc, const struct dd_operation *op,
                                 int http_status, const char *body, size_t len,
                                 struct dd_error *err);

#endif
