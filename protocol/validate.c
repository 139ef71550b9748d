/*
 * validate.c - checking a decoded input against the model (see validate.h).
 *
 * One walk of the input shape beside the value collects every violation, in
 * model order, each worded as AWS's validator words it:
 *
 *   Value 'x' at 'path' failed to satisfy constraint: Member must ...
 *
 * A member's own constraints are one violation each. Scalars inside a list or
 * a map are reported once for the whole collection, with the element's
 * constraints in brackets, as AWS does:
 *
 *   Value '[a, b]' at 'names' failed to satisfy constraint: Member must satisfy
 *   constraint: [Member must have length less than or equal to 10]
 *   Value '{k=v}' at 'tags' failed to satisfy constraint: Map value must satisfy
 *   constraint: [Member must have length less than or equal to 256]
 *
 * Sensitive values are never echoed: AWS writes "Value at 'password' ...".
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "validate.h"

/* A rendered value longer than this is cut: the whole message must fit struct dd_error. */
#define VALIDATE_VALUE_MAX 256

struct validate_run {
    const struct dd_service_model *svc;
    bool aws_names;        /* json/query: 'lowerCamel.1.member.name'; ec2: wire names */
    struct dd_buf path;    /* where the walk is */
    struct dd_buf text;    /* the violations so far, "; "-joined */
    size_t fit;            /* length of `text` holding only whole violations that fit a message */
    size_t count;          /* every violation, listed or not */
};

/* Where one scalar's constraint failures go: each is a violation of its own,
 * or they are gathered into the bracket of a list's or map's violation. */
struct validate_sink {
    struct dd_buf *gather; /* NULL: report each */
    size_t gathered;
    json_t *value;         /* what the violation shows */
    const struct dd_shape *shape;
};

/* ---- rendering values the way AWS's (Java) validator prints them --------------------- */

static bool validate_is_sensitive(const struct dd_shape *shape)
{
    return (shape->flags & DD_SHAPE_SENSITIVE) != 0;
}

static void validate_render(struct dd_buf *out, json_t *v);

/* Java's List/Map toString: [a, b] and {k=v}, strings bare. */
static void validate_render(struct dd_buf *out, json_t *v)
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
                buf_puts(out, ", ");
            first = false;
            buf_printf(out, "%s=", key);
            validate_render(out, item);
            if (out->len > VALIDATE_VALUE_MAX)
                return; /* the caller cuts it; no need to render the rest */
        }
        buf_putc(out, '}');
        break;
    case JSON_ARRAY:
        buf_putc(out, '[');
        json_array_foreach (v, i, item) {
            if (i)
                buf_puts(out, ", ");
            validate_render(out, item);
            if (out->len > VALIDATE_VALUE_MAX)
                return;
        }
        buf_putc(out, ']');
        break;
    case JSON_STRING: buf_append(out, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER: buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
    case JSON_REAL: buf_put_double(out, json_real_value(v), 1); break;
    case JSON_TRUE: buf_puts(out, "true"); break;
    case JSON_FALSE: buf_puts(out, "false"); break;
    case JSON_NULL: buf_puts(out, "null"); break;
    }
}

/* Length of the longest prefix of `s` (at most `max` bytes) that ends on a UTF-8 boundary. */
static size_t validate_utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

/* ---- recording violations ------------------------------------------------------------- */

/* Room for "NNN validation errors detected: " in front of the list. */
#define VALIDATE_HEADER_MAX 48
/* What the list may take of struct dd_error's message. */
#define VALIDATE_TEXT_MAX (sizeof((struct dd_error *)0)->message - 1 - VALIDATE_HEADER_MAX)

static void validate_violation(struct validate_run *run, json_t *value, bool sensitive, const char *constraint)
{
    struct dd_buf shown = {0};
    const size_t budget = VALIDATE_TEXT_MAX;

    run->count++;
    if (run->text.len > budget)
        return; /* counted, but no room left to list it */
    if (run->text.len)
        buf_puts(&run->text, "; ");
    if (sensitive) {
        buf_puts(&run->text, "Value");
    } else if (!value) {
        buf_puts(&run->text, "Value null");
    } else {
        validate_render(&shown, value);
        size_t n = validate_utf8_cut(shown.data, shown.len, VALIDATE_VALUE_MAX);
        buf_puts(&run->text, "Value '");
        buf_append(&run->text, shown.data, n);
        if (n < shown.len)
            buf_puts(&run->text, "...");
        buf_putc(&run->text, '\'');
    }
    buf_printf(&run->text, " at '%s' failed to satisfy constraint: %s", run->path.data ? run->path.data : "",
               constraint);
    if (run->text.len <= budget)
        run->fit = run->text.len;
    buf_free(&shown);
}

/* One failed constraint of a scalar: its own violation, or one more item in a bracket. */
static void validate_fail(struct validate_run *run, struct validate_sink *sink, const char *constraint)
{
    if (!sink->gather) {
        validate_violation(run, sink->value, validate_is_sensitive(sink->shape), constraint);
        return;
    }
    if (sink->gathered++)
        buf_puts(sink->gather, ", ");
    buf_puts(sink->gather, constraint);
}

/* ---- paths ------------------------------------------------------------------------------ */

static size_t validate_path_member(struct validate_run *run, const struct dd_member *m)
{
    size_t old = run->path.len;
    const char *name = m->name;
    bool capitalize = false;
    if (!run->aws_names) {
        /* ec2 names a member as its request does: queryName, else locationName capitalized */
        name = m->query_name ? m->query_name : m->location_name ? m->location_name : m->name;
        capitalize = !m->query_name;
    }
    if (old)
        buf_putc(&run->path, '.');
    size_t at = run->path.len;
    buf_puts(&run->path, name);
    char *first = &run->path.data[at];
    if (run->aws_names && *first >= 'A' && *first <= 'Z')
        *first = (char)(*first - 'A' + 'a');
    else if (capitalize && *first >= 'a' && *first <= 'z')
        *first = (char)(*first - 'a' + 'A');
    return old;
}

static size_t validate_path_index(struct validate_run *run, size_t index)
{
    size_t old = run->path.len;
    if (run->aws_names)
        buf_printf(&run->path, ".%zu.member", index + 1);
    else
        buf_printf(&run->path, ".%zu", index + 1);
    return old;
}

static size_t validate_path_key(struct validate_run *run, const char *key)
{
    size_t old = run->path.len;
    buf_printf(&run->path, ".%s", key);
    return old;
}

static void validate_path_pop(struct validate_run *run, size_t old)
{
    run->path.len = old;
    if (run->path.data)
        run->path.data[old] = '\0';
}

/* ---- the checks ------------------------------------------------------------------------- */

/* Unicode code points, as AWS counts a string's length. */
static int64_t validate_utf8_length(const char *s, size_t len)
{
    int64_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* Bytes that base64 text decodes to. */
static int64_t validate_blob_length(const char *s, size_t len)
{
    size_t pad = 0;
    while (pad < len && pad < 2 && s[len - 1 - pad] == '=')
        pad++;
    return (int64_t)(len / 4 * 3) - (int64_t)pad;
}

static void validate_bounds(struct validate_run *run, struct validate_sink *sink, const struct dd_shape *shape,
                            int64_t n, const char *what)
{
    char constraint[96];
    if ((shape->flags & DD_SHAPE_HAS_MIN) && n < shape->min) {
        snprintf(constraint, sizeof constraint, "Member must have %s greater than or equal to %lld", what,
                 (long long)shape->min);
        validate_fail(run, sink, constraint);
    }
    if ((shape->flags & DD_SHAPE_HAS_MAX) && n > shape->max) {
        snprintf(constraint, sizeof constraint, "Member must have %s less than or equal to %lld", what,
                 (long long)shape->max);
        validate_fail(run, sink, constraint);
    }
}

static void validate_double_bounds(struct validate_run *run, struct validate_sink *sink,
                                   const struct dd_shape *shape, double d)
{
    char constraint[96];
    if ((shape->flags & DD_SHAPE_HAS_MIN) && d < (double)shape->min) {
        snprintf(constraint, sizeof constraint, "Member must have value greater than or equal to %lld",
                 (long long)shape->min);
        validate_fail(run, sink, constraint);
    }
    if ((shape->flags & DD_SHAPE_HAS_MAX) && d > (double)shape->max) {
        snprintf(constraint, sizeof constraint, "Member must have value less than or equal to %lld",
                 (long long)shape->max);
        validate_fail(run, sink, constraint);
    }
}

static void validate_enum(struct validate_run *run, struct validate_sink *sink, const struct dd_shape *shape,
                          const char *s)
{
    struct dd_buf constraint = {0};
    for (uint32_t i = 0; i < shape->count; i++)
        if (strcmp(run->svc->enums[shape->first + i], s) == 0)
            return;
    buf_puts(&constraint, "Member must satisfy enum value set: [");
    for (uint32_t i = 0; i < shape->count; i++)
        buf_printf(&constraint, "%s%s", i ? ", " : "", run->svc->enums[shape->first + i]);
    buf_putc(&constraint, ']');
    validate_fail(run, sink, constraint.data);
    buf_free(&constraint);
}

/* A scalar's own constraints: enum, length, value range. */
static void validate_scalar(struct validate_run *run, struct validate_sink *sink, const struct dd_shape *shape,
                            json_t *v)
{
    switch ((enum dd_type)shape->type) {
    case DD_T_STRING:
        if (!json_is_string(v))
            return;
        if (shape->count)
            validate_enum(run, sink, shape, json_string_value(v));
        validate_bounds(run, sink, shape, validate_utf8_length(json_string_value(v), json_string_length(v)),
                        "length");
        return;
    case DD_T_BLOB:
        if (json_is_string(v))
            validate_bounds(run, sink, shape, validate_blob_length(json_string_value(v), json_string_length(v)),
                            "length");
        return;
    case DD_T_INTEGER:
    case DD_T_LONG:
        if (json_is_integer(v))
            validate_bounds(run, sink, shape, json_integer_value(v), "value");
        return;
    case DD_T_DOUBLE:
    case DD_T_FLOAT:
        if (json_is_number(v))
            validate_double_bounds(run, sink, shape, json_number_value(v));
        return;
    case DD_T_STRUCTURE:
    case DD_T_LIST:
    case DD_T_MAP:
    case DD_T_BOOLEAN:
    case DD_T_TIMESTAMP:
    case DD_T_DOCUMENT: return;
    }
}

static bool validate_is_container(const struct dd_shape *shape)
{
    return shape->type == DD_T_STRUCTURE || shape->type == DD_T_LIST || shape->type == DD_T_MAP;
}

static void validate_value(struct validate_run *run, const struct dd_shape *shape, json_t *v);

/*
 * The scalars of a list or map, checked together: the first element failing
 * its constraints stands for all of them, in one violation at the
 * collection's path (`label` is "Member", "Map keys" or "Map value").
 */
static void validate_gathered(struct validate_run *run, json_t *collection, const struct dd_shape *shape,
                              const char *label, json_t *element, struct dd_buf *reported)
{
    struct dd_buf bracket = {0};
    struct validate_sink sink = {.gather = &bracket, .value = element, .shape = shape};
    if (reported->len)
        return; /* one violation per collection and label */
    validate_scalar(run, &sink, shape, element);
    if (sink.gathered) {
        buf_printf(reported, "%s must satisfy constraint: [%s]", label, bracket.data);
        validate_violation(run, collection, validate_is_sensitive(shape), reported->data);
    }
    buf_free(&bracket);
}

static void validate_list(struct validate_run *run, const struct dd_shape *shape, json_t *v)
{
    const struct dd_shape *element = model_shape(run->svc, shape->target);
    struct dd_buf reported = {0};
    size_t i;
    json_t *item;

    json_array_foreach (v, i, item) {
        if (json_is_null(item))
            continue;
        if (!validate_is_container(element)) {
            validate_gathered(run, v, element, "Member", item, &reported);
            continue;
        }
        size_t old = validate_path_index(run, i);
        validate_value(run, element, item);
        validate_path_pop(run, old);
    }
    buf_free(&reported);
}

static void validate_map(struct validate_run *run, const struct dd_shape *shape, json_t *v)
{
    const struct dd_shape *key_shape = model_shape(run->svc, shape->key);
    const struct dd_shape *value_shape = model_shape(run->svc, shape->target);
    struct dd_buf keys_reported = {0}, values_reported = {0};
    const char *key;
    json_t *item;

    json_object_foreach (v, key, item) {
        json_t *key_json = json_string(key); /* new; keys of a decoded object are valid UTF-8 */
        if (key_json)
            validate_gathered(run, v, key_shape, "Map keys", key_json, &keys_reported);
        json_decref(key_json);
        if (json_is_null(item))
            continue;
        if (!validate_is_container(value_shape)) {
            validate_gathered(run, v, value_shape, "Map value", item, &values_reported);
            continue;
        }
        size_t old = validate_path_key(run, key);
        validate_value(run, value_shape, item);
        validate_path_pop(run, old);
    }
    buf_free(&keys_reported);
    buf_free(&values_reported);
}

static void validate_structure(struct validate_run *run, const struct dd_shape *shape, json_t *v)
{
    for (uint32_t i = 0; i < shape->count; i++) {
        const struct dd_member *m = &run->svc->members[shape->first + i];
        json_t *value = json_object_get(v, m->name); /* borrowed */
        size_t old = validate_path_member(run, m);
        if (!value || json_is_null(value)) {
            if (m->flags & DD_MEMBER_REQUIRED)
                validate_violation(run, NULL, false, "Member must not be null");
        } else {
            validate_value(run, model_shape(run->svc, m->shape), value);
        }
        validate_path_pop(run, old);
    }
}

/* Checks `v` (borrowed), present and not null, against `shape` at the run's path. */
static void validate_value(struct validate_run *run, const struct dd_shape *shape, json_t *v)
{
    struct validate_sink sink = {.value = v, .shape = shape};
    switch ((enum dd_type)shape->type) {
    case DD_T_STRUCTURE:
        if (json_is_object(v))
            validate_structure(run, shape, v);
        return;
    case DD_T_LIST:
        if (!json_is_array(v))
            return;
        validate_bounds(run, &sink, shape, (int64_t)json_array_size(v), "length");
        validate_list(run, shape, v);
        return;
    case DD_T_MAP:
        if (!json_is_object(v))
            return;
        validate_bounds(run, &sink, shape, (int64_t)json_object_size(v), "length");
        validate_map(run, shape, v);
        return;
    default: validate_scalar(run, &sink, shape, v); return;
    }
}

/* EC2 reports the first missing parameter on its own, by its wire name:
 * "MissingParameter: The request must contain the parameter VpcId". */
static int validate_ec2_missing(const struct dd_service_model *svc, const struct dd_shape *shape, json_t *input,
                                struct dd_error *err)
{
    for (uint32_t i = 0; i < shape->count; i++) {
        const struct dd_member *m = &svc->members[shape->first + i];
        json_t *value = json_object_get(input, m->name);
        if (!(m->flags & DD_MEMBER_REQUIRED) || (value && !json_is_null(value)))
            continue;
        const char *wire = m->query_name ? m->query_name : m->location_name ? m->location_name : m->name;
        char first = wire[0] >= 'a' && wire[0] <= 'z' ? (char)(wire[0] - 'a' + 'A') : wire[0];
        return dd_err(err, 400, "MissingParameter", "The request must contain the parameter %c%s", first, wire + 1);
    }
    return 0;
}

int validate_input(const struct dd_service_model *svc, const struct dd_operation *op, json_t *input,
                   const char *code, struct dd_error *err)
{
    struct validate_run run = {.svc = svc, .aws_names = svc->protocol != DD_PROTO_EC2};
    json_t *empty = NULL;
    int rc = 0;

    if (op->input < 0)
        return 0;
    if (!json_is_object(input))
        input = empty = json_object(); /* new: an absent body is an empty input */
    if (svc->protocol == DD_PROTO_EC2 && validate_ec2_missing(svc, model_shape(svc, (uint32_t)op->input), input, err)) {
        rc = -1;
        goto cleanup;
    }
    validate_structure(&run, model_shape(svc, (uint32_t)op->input), input);
    if (run.count == 0)
        goto cleanup;

    /* whole violations only: a cut one would mislead more than a missing one */
    size_t shown = run.fit;
    if (shown == 0)
        shown = validate_utf8_cut(run.text.data, run.text.len, VALIDATE_TEXT_MAX);
    rc = dd_err(err, 400, code, "%zu validation error%s detected: %.*s", run.count, run.count == 1 ? "" : "s",
                (int)shown, run.text.data);

cleanup:
    json_decref(empty);
    buf_free(&run.path);
    buf_free(&run.text);
    return rc;
}
