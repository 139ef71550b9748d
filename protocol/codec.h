/*
 * codec.h - the AWS wire protocols, written once and driven by the model.
 *
 * Internal form (what handlers and the provisioner see): a json_t shaped like
 * the operation's input or output, keyed by the model's member names (never
 * wire names). Scalars: strings as JSON strings; integer/long as JSON
 * integers; double/float as JSON reals; booleans as JSON booleans;
 * timestamps as JSON numbers of epoch seconds (real when fractional); blobs as
 * base64 text. Lists are arrays, maps are objects.
 *
 * Directions:
 *   server: codec_parse_request  wire request  -> internal input
 *           codec_write_response internal output -> wire response
 *           codec_write_error    struct dd_error -> wire error
 *   client: codec_write_request  internal input -> wire request
 *           codec_parse_response wire response (or error) -> internal output
 */
#ifndef DD_CODEC_H
#define DD_CODEC_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "error.h"
#include "model.h"

/* A decoded form body: a json_t object mapping each (decoded) key to its
 * (decoded) string value. Returns a new reference, or NULL with `err` set
 * (malformed percent-encoding, invalid UTF-8). */
json_t *codec_parse_form(const char *body, size_t len, struct dd_error *err);

/*
 * Decodes a request body for `op` into a new json_t (the operation's input).
 * json: `body` is the JSON document. query/ec2: `body` is the form body (the
 * Action and Version pairs are ignored here; routing has used them).
 * Returns a new reference, or NULL with `err` set to the service's answer
 * (SerializationException for bad JSON, the protocol's validation error for
 * values of the wrong type).
 */
json_t *codec_parse_request(const struct dd_service_model *svc, const struct dd_operation *op,
                            const char *body, size_t len, struct dd_error *err);

/* Same, from an already decoded form (see codec_parse_form). `form` is borrowed. */
json_t *codec_parse_form_request(const struct dd_service_model *svc, const struct dd_operation *op,
                                 json_t *form, struct dd_error *err);

/*
 * Writes the wire form of `output` (borrowed; may be NULL for an empty
 * result) to `out`; sets *content_type to a static string.
 */
void codec_write_response(const struct dd_service_model *svc, const struct dd_operation *op,
                          json_t *output, const char *request_id, struct dd_buf *out,
                          const char **content_type);

/* Writes the wire form of `err` to `out`; sets *content_type. */
void codec_write_error(const struct dd_service_model *svc, const struct dd_error *err,
                       const char *request_id, struct dd_buf *out, const char **content_type);

/*
 * Client: writes the request body for `op` with `input` (borrowed, may be
 * NULL) to `out`; sets *content_type; for json sets *target to a new string
 * "Prefix.Operation" (caller frees), else NULL.
 */
int codec_write_request(const struct dd_service_model *svc, const struct dd_operation *op,
                        json_t *input, struct dd_buf *out, const char **content_type, char **target,
                        struct dd_error *err);

/*
 * Client: decodes a response. For a 2xx status returns a new reference to the
 * output (an empty object when the operation has none). Otherwise returns
 * NULL with `err` filled from the wire error (code, message, status).
 * Also NULL with `err` set when the body cannot be decoded.
 */
json_t *codec_parse_response(const struct dd_service_model *svc, const struct dd_operation *op,
                             int http_status, const char *body, size_t len, struct dd_error *err);

/* Timestamps: ISO 8601 (UTC, with milliseconds when fractional) from epoch seconds. */
void codec_format_iso8601(double epoch, char out[32]);
/* Parses ISO 8601 / RFC 3339 (with or without fraction/zone), or epoch seconds text. -1 on failure. */
int codec_parse_timestamp(const char *s, double *epoch);

#endif
