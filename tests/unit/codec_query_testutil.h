/*
 * codec_query_testutil.h - round-trip helpers shared by test_codec_query.c
 * and test_codec_ec2.c: both protocols are checked the same way, through
 * the public codec.h entry points, against the real generated models.
 */
#ifndef DD_CODEC_QUERY_TESTUTIL_H
#define DD_CODEC_QUERY_TESTUTIL_H

#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

static inline const struct dd_service_model *tu_model(const char *id)
{
    const struct dd_service_model *svc = model_find(id);
    ck_assert_msg(svc != NULL, "model %s not generated", id);
    return svc;
}

static inline const struct dd_operation *tu_op(const struct dd_service_model *svc, const char *name)
{
    const struct dd_operation *op = model_operation(svc, name);
    ck_assert_msg(op != NULL, "%s has no operation %s", svc->id, name);
    return op;
}

/* New reference to the JSON text `text`; fails the test when it is not JSON. */
static inline json_t *tu_json(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);
    ck_assert_msg(v != NULL, "bad test JSON: %s", jerr.text);
    return v;
}

static inline void tu_assert_json_eq(json_t *got, json_t *want, const char *what)
{
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
        char *w = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
        ck_abort_msg("%s:\n got  %s\n want %s", what, g ? g : "(null)", w ? w : "(null)");
    }
}

/* Whether form body `body` holds the pair `pair` ("Key=value", encoded). */
static inline int tu_form_has(const char *body, const char *pair)
{
    size_t n = strlen(pair);
    for (const char *p = body; p; p = strchr(p, '&')) {
        if (*p == '&')
            p++;
        if (strncmp(p, pair, n) == 0 && (p[n] == '&' || p[n] == '\0'))
            return 1;
    }
    return 0;
}

/* Server side of a request: body -> new internal input, or NULL with err. */
static inline json_t *tu_parse_body(const struct dd_service_model *svc, const struct dd_operation *op,
                             const char *body, struct dd_error *err)
{
    return codec_parse_request(svc, op, body, strlen(body), err);
}

/*
 * write_request(input) -> wire form -> codec_parse_form + codec_parse_form_request
 * must give `input` back. Returns the form body (caller frees) for checks
 * of exact wire names.
 */
static inline char *tu_request_round_trip(const char *svc_id, const char *op_name, const char *input_json)
{
    const struct dd_service_model *svc = tu_model(svc_id);
    const struct dd_operation *op = tu_op(svc, op_name);
    json_t *input = tu_json(input_json);
    struct dd_buf body = {0};
    struct dd_error err = {0};
    const char *ctype = NULL;
    char *target = (char *)"unset";

    ck_assert_int_eq(codec_write_request(svc, op, input, &body, &ctype, &target, &err), 0);
    ck_assert_str_eq(ctype, "application/x-www-form-urlencoded; charset=utf-8");
    ck_assert_ptr_null(target);

    json_t *form = codec_parse_form(body.data, body.len, &err);
    ck_assert_msg(form != NULL, "form: %s %s", err.code, err.message);
    ck_assert_str_eq(json_string_value(json_object_get(form, "Action")), op_name);
    ck_assert_str_eq(json_string_value(json_object_get(form, "Version")), svc->api_version);
    json_t *back = codec_parse_form_request(svc, op, form, &err);
    ck_assert_msg(back != NULL, "parse: %s %s (body %s)", err.code, err.message, body.data);
    tu_assert_json_eq(back, input, body.data);

    /* the one-step server entry point agrees */
    json_t *again = codec_parse_request(svc, op, body.data, body.len, &err);
    ck_assert_ptr_nonnull(again);
    tu_assert_json_eq(again, input, "codec_parse_request");

    json_decref(again);
    json_decref(back);
    json_decref(form);
    json_decref(input);
    return buf_steal(&body);
}

/*
 * write_response(output) -> XML -> parse_response(200) must give `output`
 * back. Returns the XML (caller frees) for checks of exact element names.
 */
static inline char *tu_response_round_trip(const char *svc_id, const char *op_name, const char *output_json,
                                    const char *want_ctype)
{
    const struct dd_service_model *svc = tu_model(svc_id);
    const struct dd_operation *op = tu_op(svc, op_name);
    json_t *output = tu_json(output_json);
    struct dd_buf body = {0};
    struct dd_error err = {0};
    const char *ctype = NULL;

    codec_write_response(svc, op, output, "req-1234", &body, &ctype);
    ck_assert_str_eq(ctype, want_ctype);
    json_t *back = codec_parse_response(svc, op, 200, body.data, body.len, &err);
    ck_assert_msg(back != NULL, "parse: %s %s (body %s)", err.code, err.message, body.data);
    tu_assert_json_eq(back, output, body.data);
    json_decref(back);
    json_decref(output);
    return buf_steal(&body);
}

/* Deterministic pseudo-random bytes for robustness loops (no libc rand state). */
static inline unsigned tu_rand(unsigned *state)
{
    *state = *state * 1103515245u + 12345u;
    return (*state >> 16) & 0x7fff;
}

#endif
