/*
 * codec_json.c - the awsJson 1.0/1.1 protocol (SSM, ECS, ECR, CloudWatch
 * Logs, Application Auto Scaling).
 *
 * On this wire a member's name is its model name and every value already has
 * its internal form (timestamps as epoch seconds, blobs as base64 text), so
 * both directions are a walk of the model beside the JSON:
 *
 *   decode  JSON text -> new json_t holding only the shape's members, every
 *           value checked against its shape (server requests, client responses)
 *   encode  json_t -> compact JSON text of only the shape's members, written
 *           straight into the buffer (server responses, client requests)
 *
 * Absent and null members are the same thing on this wire; unknown members are
 * dropped in both directions, as AWS ignores them.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_internal.h"

/* How a decode or encode answers a value that does not fit its shape. */
enum codec_json_mode {
    CODEC_JSON_SERVER,  /* a request: the caller's fault, SerializationException */
    CODEC_JSON_CLIENT,  /* a 2xx response: the server's fault, MalformedResponse */
    CODEC_JSON_PARAM,   /* a request we are about to send: refuse it before it leaves */
    CODEC_JSON_LENIENT, /* a response we write: drop the value, never fail */
};

struct codec_json_walk {
    const struct dd_service_model *svc;
    enum codec_json_mode mode;
    struct dd_error *err; /* NULL in CODEC_JSON_LENIENT */
    struct dd_buf path;   /* where the walk is, for messages: "ParameterFilters[0].Key" */
};

static const char *codec_json_content_type(const struct dd_service_model *svc)
{
    if (svc->json_version && strcmp(svc->json_version, "1.0") == 0)
        return "application/x-amz-json-1.0";
    return "application/x-amz-json-1.1";
}

/* ---- paths, for messages ---------------------------------------------------- */

static size_t codec_json_path_member(struct codec_json_walk *w, const char *name)
{
    size_t old = w->path.len;
    if (old)
        buf_putc(&w->path, '.');
    buf_puts(&w->path, name);
    return old;
}

static size_t codec_json_path_index(struct codec_json_walk *w, size_t index)
{
    size_t old = w->path.len;
    buf_printf(&w->path, "[%zu]", index);
    return old;
}

static void codec_json_path_pop(struct codec_json_walk *w, size_t old)
{
    w->path.len = old;
    if (w->path.data)
        w->path.data[old] = '\0';
}

static const char *codec_json_path(const struct codec_json_walk *w)
{
    return w->path.len ? w->path.data : "(body)";
}

/* ---- what fits where ------------------------------------------------------------ */

static const char *codec_json_kind(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "a JSON object";
    case JSON_ARRAY: return "a JSON array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

static const char *codec_json_wanted(const struct dd_shape *shape)
{
    switch ((enum dd_type)shape->type) {
    case DD_T_STRUCTURE: return "a structure (JSON object)";
    case DD_T_LIST: return "a list (JSON array)";
    case DD_T_MAP: return "a map (JSON object)";
    case DD_T_STRING: return "a string";
    case DD_T_INTEGER: return "an integer";
    case DD_T_LONG: return "a long integer";
    case DD_T_BOOLEAN: return "a boolean";
    case DD_T_TIMESTAMP: return "a timestamp (epoch seconds)";
    case DD_T_BLOB: return "base64-encoded binary data";
    case DD_T_DOUBLE:
    case DD_T_FLOAT: return "a number";
    case DD_T_DOCUMENT: return "a document";
    }
    return "a value";
}

static bool codec_json_is_base64(const char *s, size_t len)
{
    size_t pad = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '=') {
            pad++;
        } else if (pad || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '+' || c == '/')) {
            return false;
        }
    }
    return len % 4 == 0 && pad <= 2;
}

/*
 * Records why `v` does not fit `shape` at the walk's path. Returns -1 when the
 * walk must stop, 0 when the value is simply dropped (lenient mode).
 */
static int codec_json_misfit(struct codec_json_walk *w, const struct dd_shape *shape, json_t *v,
                             const char *why)
{
    char detail[160];
    if (why)
        snprintf(detail, sizeof detail, "%s", why);
    else
        snprintf(detail, sizeof detail, "expected %s but found %s", codec_json_wanted(shape),
                 codec_json_kind(v));

    switch (w->mode) {
    case CODEC_JSON_SERVER:
        return dd_err(w->err, 400, "SerializationException", "Invalid value for member '%s': %s",
                      codec_json_path(w), detail);
    case CODEC_JSON_CLIENT:
        /* a 2xx whose body cannot be read is the server's fault, not the caller's */
        return dd_err(w->err, 500, "MalformedResponse", "Invalid value for member '%s' in the response: %s",
                      codec_json_path(w), detail);
    case CODEC_JSON_PARAM:
        return dd_err(w->err, 400, "ParamValidationError", "Invalid type for parameter %s: %s",
                      codec_json_path(w), detail);
    case CODEC_JSON_LENIENT: break;
    }
    return 0;
}

/*
 * The internal form of scalar `v` for `shape`: a new reference, or NULL when it
 * does not fit (then *why may say more than the type mismatch).
 */
static json_t *codec_json_scalar(const struct dd_shape *shape, json_t *v, const char **why)
{
    double epoch;
    *why = NULL;
    switch ((enum dd_type)shape->type) {
    case DD_T_STRING:
        return json_is_string(v) ? json_incref(v) : NULL;
    case DD_T_INTEGER:
        if (!json_is_integer(v))
            return NULL;
        if (json_integer_value(v) < INT32_MIN || json_integer_value(v) > INT32_MAX) {
            *why = "the number is out of range for an integer";
            return NULL;
        }
        return json_incref(v);
    case DD_T_LONG:
        return json_is_integer(v) ? json_incref(v) : NULL;
    case DD_T_DOUBLE:
    case DD_T_FLOAT:
        if (json_is_real(v))
            return json_incref(v);
        /* the internal form holds every double as a real, whole or not */
        return json_is_integer(v) ? json_real((double)json_integer_value(v)) : NULL;
    case DD_T_BOOLEAN:
        return json_is_boolean(v) ? json_incref(v) : NULL;
    case DD_T_TIMESTAMP:
        if (json_is_number(v))
            return json_incref(v);
        /* epoch seconds is the wire form, but ISO 8601 text costs nothing to accept */
        if (!json_is_string(v))
            return NULL;
        if (codec_parse_timestamp(json_string_value(v), &epoch) != 0) {
            *why = "the string is not a timestamp";
            return NULL;
        }
        /* whole seconds stay integers, as the internal form promises */
        if (epoch > -1e15 && epoch < 1e15 && epoch == (double)(json_int_t)epoch)
            return json_integer((json_int_t)epoch);
        return json_real(epoch);
    case DD_T_BLOB:
        if (!json_is_string(v))
            return NULL;
        if (!codec_json_is_base64(json_string_value(v), json_string_length(v))) {
            *why = "the string is not valid base64";
            return NULL;
        }
        return json_incref(v);
    case DD_T_DOCUMENT:
        return json_incref(v);
    case DD_T_STRUCTURE:
    case DD_T_LIST:
    case DD_T_MAP: break;
    }
    return NULL;
}

/* ---- decode: JSON -> internal form ------------------------------------------------ */

static int codec_json_decode(struct codec_json_walk *w, const struct dd_shape *shape, json_t *v, json_t **out);

static int codec_json_decode_structure(struct codec_json_walk *w, const struct dd_shape *shape, json_t *v,
                                       json_t *out)
{
    for (uint32_t i = 0; i < shape->count; i++) {
        const struct dd_member *m = &w->svc->members[shape->first + i];
        json_t *value = json_object_get(v, m->name); /* borrowed */
        json_t *item = NULL;
        if (!value || json_is_null(value))
            continue;
        size_t old = codec_json_path_member(w, m->name);
        int rc = codec_json_decode(w, model_shape(w->svc, m->shape), value, &item);
        codec_json_path_pop(w, old);
        if (rc != 0)
            return -1;
        if (item)
            json_object_set_new(out, m->name, item);
    }
    return 0;
}

static int codec_json_decode_list(struct codec_json_walk *w, const struct dd_shape *shape, json_t *v,
                                  json_t *out)
{
    const struct dd_shape *element = model_shape(w->svc, shape->target);
    size_t i;
    json_t *value;
    json_array_foreach (v, i, value) {
        json_t *item = NULL;
        if (json_is_null(value))
            continue;
        size_t old = codec_json_path_index(w, i);
        int rc = codec_json_decode(w, element, value, &item);
        codec_json_path_pop(w, old);
        if (rc != 0)
            return -1;
        if (item)
            json_array_append_new(out, item);
    }
    return 0;
}

static int codec_json_decode_map(struct codec_json_walk *w, const struct dd_shape *shape, json_t *v,
                                 json_t *out)
{
    const struct dd_shape *value_shape = model_shape(w->svc, shape->target);
    const char *key;
    json_t *value;
    json_object_foreach (v, key, value) {
        json_t *item = NULL;
        if (json_is_null(value))
            continue;
        size_t old = codec_json_path_member(w, key);
        int rc = codec_json_decode(w, value_shape, value, &item);
        codec_json_path_pop(w, old);
        if (rc != 0)
            return -1;
        if (item)
            json_object_set_new(out, key, item);
    }
    return 0;
}

/*
 * Decodes `v` (borrowed) as `shape`: 0 with *out a new reference (or NULL when
 * a lenient walk dropped it), or -1 with the walk's error set.
 */
static int codec_json_decode(struct codec_json_walk *w, const struct dd_shape *shape, json_t *v, json_t **out)
{
    int (*walk)(struct codec_json_walk *, const struct dd_shape *, json_t *, json_t *) = NULL;
    const char *why = NULL;
    *out = NULL;

    switch ((enum dd_type)shape->type) {
    case DD_T_STRUCTURE:
        walk = json_is_object(v) ? codec_json_decode_structure : NULL;
        break;
    case DD_T_MAP:
        walk = json_is_object(v) ? codec_json_decode_map : NULL;
        break;
    case DD_T_LIST:
        walk = json_is_array(v) ? codec_json_decode_list : NULL;
        break;
    default:
        *out = codec_json_scalar(shape, v, &why);
        return *out ? 0 : codec_json_misfit(w, shape, v, why);
    }
    if (!walk)
        return codec_json_misfit(w, shape, v, NULL);

    json_t *made = shape->type == DD_T_LIST ? json_array() : json_object(); /* new */
    if (walk(w, shape, v, made) != 0) {
        json_decref(made);
        return -1;
    }
    *out = made;
    return 0;
}

/*
 * Parses `body` and decodes it as shape index `shape_index` (-1: no shape, an
 * empty object). A new reference, or NULL with err set by the walk's mode.
 */
static json_t *codec_json_decode_body(const struct dd_service_model *svc, int32_t shape_index,
                                      enum codec_json_mode mode, const char *body, size_t len,
                                      struct dd_error *err)
{
    json_error_t jerr;
    json_t *doc = NULL;
    json_t *out = NULL;
    struct codec_json_walk w = {.svc = svc, .mode = mode, .err = err};
    int status = mode == CODEC_JSON_SERVER ? 400 : 500;
    const char *code = mode == CODEC_JSON_SERVER ? "SerializationException" : "MalformedResponse";

    if (len == 0)
        return json_object();
    /* JSON_DECODE_ANY: a well-formed scalar or array deserves its own message */
    doc = json_loadb(body, len, JSON_DECODE_ANY, &jerr); /* new; NULL for invalid UTF-8 too */
    if (!doc) {
        dd_err(err, status, code, "Unable to parse the body as JSON: %s (at position %d)", jerr.text,
               jerr.position);
        goto cleanup;
    }
    if (!json_is_object(doc)) {
        dd_err(err, status, code, "The body must be a JSON object, not %s", codec_json_kind(doc));
        goto cleanup;
    }
    if (shape_index < 0) {
        out = json_object();
        goto cleanup;
    }
    if (codec_json_decode(&w, model_shape(svc, (uint32_t)shape_index), doc, &out) != 0)
        out = NULL;

cleanup:
    json_decref(doc);
    buf_free(&w.path);
    return out;
}

/* ---- encode: internal form -> JSON text --------------------------------------------- */

/* Appends `s` as a JSON string literal; UTF-8 passes through unchanged. */
static void codec_json_put_string(struct dd_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0; /* start of the bytes not yet copied */
    buf_putc(out, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
            u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0', u[4] = hex[c >> 4], u[5] = hex[c & 15], u[6] = 0;
            esc = u;
        }
        buf_append(out, s + run, i - run);
        buf_puts(out, esc);
        run = i + 1;
    }
    buf_append(out, s + run, len - run);
    buf_putc(out, '"');
}

/* Appends any JSON value as it is (documents, and the parts of error bodies). */
static void codec_json_put_any(struct dd_buf *out, json_t *v)
{
    const char *key;
    json_t *item;
    size_t i;
    bool first = true;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        buf_putc(out, '{');
        json_object_foreach (v, key, item) {
            if (!first)
                buf_putc(out, ',');
            first = false;
            codec_json_put_string(out, key, strlen(key));
            buf_putc(out, ':');
            codec_json_put_any(out, item);
        }
        buf_putc(out, '}');
        break;
    case JSON_ARRAY:
        buf_putc(out, '[');
        json_array_foreach (v, i, item) {
            if (i)
                buf_putc(out, ',');
            codec_json_put_any(out, item);
        }
        buf_putc(out, ']');
        break;
    case JSON_STRING: codec_json_put_string(out, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER: buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
    case JSON_REAL: buf_put_double(out, json_real_value(v), true); break;
    case JSON_TRUE: buf_puts(out, "true"); break;
    case JSON_FALSE: buf_puts(out, "false"); break;
    case JSON_NULL: buf_puts(out, "null"); break;
    }
}

static int codec_json_encode(struct codec_json_walk *w, struct dd_buf *out, const struct dd_shape *shape,
                             json_t *v, bool *wrote);

/* Appends `"key":value` when `v` encodes; `*first` tracks the commas. */
static int codec_json_encode_entry(struct codec_json_walk *w, struct dd_buf *out, const struct dd_shape *shape,
                                   const char *key, json_t *v, bool *first)
{
    size_t mark = out->len;
    bool wrote = false;
    if (!*first)
        buf_putc(out, ',');
    codec_json_put_string(out, key, strlen(key));
    buf_putc(out, ':');
    size_t old = codec_json_path_member(w, key);
    int rc = codec_json_encode(w, out, shape, v, &wrote);
    codec_json_path_pop(w, old);
    if (rc != 0)
        return -1;
    if (!wrote) {
        /* dropped: take the key back out */
        out->len = mark;
        out->data[mark] = '\0';
        return 0;
    }
    *first = false;
    return 0;
}

static int codec_json_encode_structure(struct codec_json_walk *w, struct dd_buf *out,
                                       const struct dd_shape *shape, json_t *v)
{
    bool first = true;
    buf_putc(out, '{');
    for (uint32_t i = 0; i < shape->count; i++) {
        const struct dd_member *m = &w->svc->members[shape->first + i];
        json_t *value = json_object_get(v, m->name); /* borrowed */
        if (!value || json_is_null(value))
            continue;
        if (codec_json_encode_entry(w, out, model_shape(w->svc, m->shape), m->name, value, &first) != 0)
            return -1;
    }
    buf_putc(out, '}');
    return 0;
}

static int codec_json_encode_map(struct codec_json_walk *w, struct dd_buf *out, const struct dd_shape *shape,
                                 json_t *v)
{
    const struct dd_shape *value_shape = model_shape(w->svc, shape->target);
    const char *key;
    json_t *value;
    bool first = true;
    buf_putc(out, '{');
    json_object_foreach (v, key, value) {
        if (json_is_null(value))
            continue;
        if (codec_json_encode_entry(w, out, value_shape, key, value, &first) != 0)
            return -1;
    }
    buf_putc(out, '}');
    return 0;
}

static int codec_json_encode_list(struct codec_json_walk *w, struct dd_buf *out, const struct dd_shape *shape,
                                  json_t *v)
{
    const struct dd_shape *element = model_shape(w->svc, shape->target);
    size_t i;
    json_t *value;
    bool first = true;
    buf_putc(out, '[');
    json_array_foreach (v, i, value) {
        size_t mark = out->len;
        bool wrote = false;
        if (json_is_null(value))
            continue;
        if (!first)
            buf_putc(out, ',');
        size_t old = codec_json_path_index(w, i);
        int rc = codec_json_encode(w, out, element, value, &wrote);
        codec_json_path_pop(w, old);
        if (rc != 0)
            return -1;
        if (!wrote) {
            out->len = mark;
            out->data[mark] = '\0';
            continue;
        }
        first = false;
    }
    buf_putc(out, ']');
    return 0;
}

/*
 * Appends the wire form of `v` (borrowed) as `shape`. 0 with *wrote telling
 * whether anything was written (a lenient walk drops misfits), or -1 with the
 * walk's error set.
 */
static int codec_json_encode(struct codec_json_walk *w, struct dd_buf *out, const struct dd_shape *shape,
                             json_t *v, bool *wrote)
{
    const char *why = NULL;
    json_t *scalar;
    int rc = 0;
    *wrote = false;

    switch ((enum dd_type)shape->type) {
    case DD_T_STRUCTURE:
        if (!json_is_object(v))
            return codec_json_misfit(w, shape, v, NULL);
        rc = codec_json_encode_structure(w, out, shape, v);
        break;
    case DD_T_MAP:
        if (!json_is_object(v))
            return codec_json_misfit(w, shape, v, NULL);
        rc = codec_json_encode_map(w, out, shape, v);
        break;
    case DD_T_LIST:
        if (!json_is_array(v))
            return codec_json_misfit(w, shape, v, NULL);
        rc = codec_json_encode_list(w, out, shape, v);
        break;
    default:
        scalar = codec_json_scalar(shape, v, &why); /* new */
        if (!scalar)
            return codec_json_misfit(w, shape, v, why);
        if (json_is_real(scalar))
            /* whole timestamps go out as integers, whole doubles as 5.0 */
            buf_put_double(out, json_real_value(scalar), shape->type != DD_T_TIMESTAMP);
        else
            codec_json_put_any(out, scalar);
        json_decref(scalar);
        break;
    }
    if (rc == 0)
        *wrote = true;
    return rc;
}

/* Appends `value` (borrowed, may be NULL) as shape index `shape_index` (-1: none). */
static int codec_json_encode_body(const struct dd_service_model *svc, int32_t shape_index,
                                  enum codec_json_mode mode, json_t *value, struct dd_buf *out,
                                  struct dd_error *err)
{
    struct codec_json_walk w = {.svc = svc, .mode = mode, .err = err};
    bool wrote = false;
    size_t start = out->len;
    int rc = 0;

    if (shape_index >= 0 && value && !json_is_null(value))
        rc = codec_json_encode(&w, out, model_shape(svc, (uint32_t)shape_index), value, &wrote);
    if (rc != 0 || !wrote) {
        out->len = start;
        if (out->data)
            out->data[start] = '\0';
        if (rc == 0)
            buf_puts(out, "{}");
    }
    buf_free(&w.path);
    return rc;
}

/* ---- the five slots -------------------------------------------------------------------- */

static json_t *codec_json_parse_request(const struct dd_service_model *svc, const struct dd_operation *op,
                                        const char *body, size_t len, struct dd_error *err)
{
    return codec_json_decode_body(svc, op->input, CODEC_JSON_SERVER, body, len, err);
}

static void codec_json_write_response(const struct dd_service_model *svc, const struct dd_operation *op,
                                      json_t *output, const char *request_id, struct dd_buf *out,
                                      const char **content_type)
{
    *content_type = codec_json_content_type(svc);
    codec_json_encode_body(svc, op->output, CODEC_JSON_LENIENT, output, out, NULL);
}

static void codec_json_write_error(const struct dd_service_model *svc, const struct dd_error *err,
                                   const char *request_id, struct dd_buf *out, const char **content_type)
{
    *content_type = codec_json_content_type(svc);
    buf_puts(out, "{\"__type\":");
    codec_json_put_string(out, err->code, strlen(err->code));
    buf_puts(out, ",\"message\":");
    codec_json_put_string(out, err->message, strlen(err->message));
    buf_putc(out, '}');
}

static int codec_json_write_request(const struct dd_service_model *svc, const struct dd_operation *op,
                                    json_t *input, struct dd_buf *out, const char **content_type, char **target,
                                    struct dd_error *err)
{
    *content_type = codec_json_content_type(svc);
    *target = NULL;
    if (codec_json_encode_body(svc, op->input, CODEC_JSON_PARAM, input, out, err) != 0)
        return -1;
    const char *prefix = svc->target_prefix ? svc->target_prefix : svc->id;
    size_t size = strlen(prefix) + 1 + strlen(op->name) + 1;
    *target = malloc(size);
    if (!*target)
        abort(); /* as buf.h: the process cannot go on without memory */
    snprintf(*target, size, "%s.%s", prefix, op->name);
    return 0;
}

/*
 * The error code in an awsJson error's __type (or code/Code): botocore's rule,
 * "aws.protocols#Name:http://..." -> "Name".
 */
static void codec_json_error_code(const char *type, char *code, size_t size)
{
    const char *hash = strchr(type, '#');
    const char *start = hash ? hash + 1 : type;
    size_t n = strcspn(start, ":");
    snprintf(code, size, "%.*s", (int)n, start);
}

/* Fills err from a non-2xx response body; always NULL. */
static json_t *codec_json_parse_error(int http_status, const char *body, size_t len, struct dd_error *err)
{
    json_t *doc = len ? json_loadb(body, len, 0, NULL) : NULL; /* new; NULL when not a JSON object */
    const char *type = NULL, *message = NULL;
    char code[sizeof err->code];
    const char *const type_keys[] = {"__type", "code", "Code"};
    const char *const message_keys[] = {"message", "Message", "errorMessage"};

    for (size_t i = 0; doc && !type && i < sizeof type_keys / sizeof *type_keys; i++)
        type = json_string_value(json_object_get(doc, type_keys[i]));
    for (size_t i = 0; doc && !message && i < sizeof message_keys / sizeof *message_keys; i++)
        message = json_string_value(json_object_get(doc, message_keys[i]));

    if (type && *type)
        codec_json_error_code(type, code, sizeof code);
    else
        /* no code on the wire: the status stands in for it, as botocore does */
        snprintf(code, sizeof code, "%d", http_status);
    dd_err(err, http_status, code, "%s", message ? message : "");
    json_decref(doc);
    return NULL;
}

static json_t *codec_json_parse_response(const struct dd_service_model *svc, const struct dd_operation *op,
                                         int http_status, const char *body, size_t len, struct dd_error *err)
{
    if (http_status < 200 || http_status > 299)
        return codec_json_parse_error(http_status, body, len, err);
    return codec_json_decode_body(svc, op->output, CODEC_JSON_CLIENT, body, len, err);
}

const struct dd_codec codec_json = {
    /* body is the JSON document; empty means {} */
    .parse_request = codec_json_parse_request,
    /* only the output shape's members, compact; NULL output is {} */
    .write_response = codec_json_write_response,
    /* {"__type": code, "message": ...}; the server sets the status */
    .write_error = codec_json_write_error,
    /* JSON body plus X-Amz-Target "Prefix.Operation" */
    .write_request = codec_json_write_request,
    /* 2xx: the output; else err from __type/code and message */
    .parse_response = codec_json_parse_response,
};
