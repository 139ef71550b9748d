/*
 * codec_form.c - application/x-www-form-urlencoded bodies for awsQuery and
 * ec2Query (see codec_query_common.h and codec.h).
 *
 * Server: a body is percent-decoded into a flat object of key -> value
 * (codec_parse_form), then folded into a tree on the '.'s of the keys
 * (`Filter.1.Value.2` -> Filter/1/Value/2), which is walked once along the
 * operation's input shape. Walking the shape, not the keys, means unknown
 * keys are simply never looked at, and list numbering is found by lookup,
 * never by trusting the client's order.
 *
 * Client: the same naming rules, the other way round.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_query_common.h"

/* Keys with more '.'-separated parts than this are ignored: no AWS model
 * nests that deep, and a bound keeps the tree (and its recursive walk)
 * small whatever a client sends. */
#define CODEC_FORM_MAX_DEPTH 64
/* The tree stores a key's own value under this name; real parts are never empty. */
#define CODEC_FORM_LEAF ""
/* Longest wire name we build; model names are far shorter. */
#define CODEC_FORM_NAME_MAX 256

/* ---- percent-decoding ----------------------------------------------------- */

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF): the
 * same rule jansson applies, checked first so we can say what is wrong. */
static bool codec_form_utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 1, cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2, cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3, cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n >= len) /* truncated sequence */
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

/* Decodes one key or value into `out` (reset first). -1 on a bad %-escape. */
static int codec_form_unescape(const char *s, size_t len, struct dd_buf *out)
{
    buf_reset(out);
    buf_append(out, "", 0); /* data is non-NULL even for an empty result */
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= len)
                return -1;
            int hi = buf_hex_digit(s[i + 1]), lo = buf_hex_digit(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        buf_putc(out, c);
    }
    return 0;
}

json_t *codec_parse_form(const char *body, size_t len, struct dd_error *err)
{
    json_t *form = json_object(); /* new */
    struct dd_buf key = {0}, val = {0};
    const char *p = body ? body : "";
    const char *end = p + (body ? len : 0);

    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pair_end = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pair_end - p));
        const char *key_end = eq ? eq : pair_end;
        const char *val_start = eq ? eq + 1 : pair_end;

        if (pair_end > p) {
            if (codec_form_unescape(p, (size_t)(key_end - p), &key) != 0 ||
                codec_form_unescape(val_start, (size_t)(pair_end - val_start), &val) != 0) {
                dd_err(err, 400, "MalformedQueryString",
                       "The query string contains a malformed percent-encoded sequence");
                goto fail;
            }
            if (!codec_form_utf8_valid((const unsigned char *)key.data, key.len) ||
                !codec_form_utf8_valid((const unsigned char *)val.data, val.len)) {
                dd_err(err, 400, "MalformedQueryString",
                       "The query string contains characters that are not valid UTF-8");
                goto fail;
            }
            /* keys are C strings everywhere downstream; a NUL cannot be one */
            if (memchr(key.data, '\0', key.len)) {
                dd_err(err, 400, "MalformedQueryString",
                       "The query string contains a NUL character in a parameter name");
                goto fail;
            }
            if (key.len > 0)
                json_object_set_new(form, key.data, json_stringn(val.data, val.len));
        }
        p = pair_end + 1;
    }
    buf_free(&key);
    buf_free(&val);
    return form;

fail:
    buf_free(&key);
    buf_free(&val);
    json_decref(form);
    return NULL;
}

/* ---- wire names ----------------------------------------------------------- */

/* Writes `name` (capitalized when `cap`) into out[CODEC_FORM_NAME_MAX]. */
static const char *codec_form_name(char *out, const char *name, bool cap)
{
    snprintf(out, CODEC_FORM_NAME_MAX, "%s", name);
    if (cap && out[0] >= 'a' && out[0] <= 'z')
        out[0] = (char)(out[0] - 'a' + 'A');
    return out;
}

static bool codec_form_flattened(const struct dd_member *m, const struct dd_shape *shape)
{
    return (shape->flags & DD_SHAPE_FLATTENED) || (m && (m->flags & DD_MEMBER_FLATTENED));
}

/* The request key of member `m` of a structure, per the dialect. A flattened
 * query list with a named element takes the element's name (botocore and the
 * SDKs replace the last key part with it). */
static const char *codec_form_member_key(const struct dd_service_model *svc,
                                         const struct dd_member *m, const struct codec_dialect *d,
                                         char out[CODEC_FORM_NAME_MAX])
{
    const struct dd_shape *shape = model_shape(svc, m->shape);
    if (d->ec2_request_names) {
        if (m->query_name)
            return codec_form_name(out, m->query_name, false);
        return codec_form_name(out, m->location_name ? m->location_name : m->name, true);
    }
    if (shape->type == DD_T_LIST && !d->flat_request_lists && codec_form_flattened(m, shape) &&
        shape->member_name)
        return codec_form_name(out, shape->member_name, false);
    return codec_form_name(out, m->location_name ? m->location_name : m->name, false);
}

/* The name of a map's key or value part: its locationName, else the default. */
static const char *codec_form_map_part(const struct codec_dialect *d, const char *loc,
                                       const char *fallback, char out[CODEC_FORM_NAME_MAX])
{
    return loc ? codec_form_name(out, loc, d->ec2_request_names) : fallback;
}

/* ---- server: form -> tree -> internal input ------------------------------- */

/* Adds `key` = `value` (borrowed) to `tree`, creating one object per part. */
static void codec_form_tree_add(json_t *tree, const char *key, json_t *value)
{
    const char *parts[CODEC_FORM_MAX_DEPTH];
    size_t lens[CODEC_FORM_MAX_DEPTH];
    size_t n = 0;
    for (const char *p = key;; n++) {
        const char *dot = strchr(p, '.');
        size_t plen = dot ? (size_t)(dot - p) : strlen(p);
        if (plen == 0 || n == CODEC_FORM_MAX_DEPTH)
            return; /* `a..b`, a trailing dot, or absurd depth: no member is named so */
        parts[n] = p;
        lens[n] = plen;
        if (!dot) {
            n++;
            break;
        }
        p = dot + 1;
    }
    json_t *node = tree; /* borrowed */
    for (size_t i = 0; i < n; i++) {
        json_t *child = json_object_getn(node, parts[i], lens[i]);
        if (!child) {
            child = json_object();
            json_object_setn_new(node, parts[i], lens[i], child);
        }
        node = child;
    }
    json_object_set(node, CODEC_FORM_LEAF, value);
}

struct codec_form_decoder {
    const struct dd_service_model *svc;
    const struct codec_dialect *d;
    struct dd_error *err;
    struct dd_buf path; /* the wire key of the value being decoded, for messages */
};

static int codec_form_decode_value(struct codec_form_decoder *dec, const struct dd_member *m,
                                   uint32_t shape_index, json_t *node, json_t **out);

/* Appends ".part" (or "part" at the top) to the path; returns the old length. */
static size_t codec_form_path_push(struct dd_buf *path, const char *part)
{
    size_t old = path->len;
    if (old)
        buf_putc(path, '.');
    buf_puts(path, part);
    return old;
}

static void codec_form_path_pop(struct dd_buf *path, size_t old)
{
    path->len = old;
    if (path->data)
        path->data[old] = '\0';
}

struct codec_form_item {
    unsigned long index;
    json_t *node; /* borrowed */
};

static int codec_form_item_cmp(const void *a, const void *b)
{
    unsigned long x = ((const struct codec_form_item *)a)->index;
    unsigned long y = ((const struct codec_form_item *)b)->index;
    return x < y ? -1 : x > y;
}

/* The children of `node` named 1, 2, ... (canonical decimal, no zero), in
 * numeric order. Returns a new array (caller frees) and sets *count. */
static struct codec_form_item *codec_form_items(json_t *node, size_t *count)
{
    struct codec_form_item *items = NULL;
    size_t n = 0, cap = 0;
    const char *key;
    json_t *child;
    *count = 0;
    if (!json_is_object(node))
        return NULL;
    json_object_foreach (node, key, child) {
        size_t klen = strlen(key);
        if (klen == 0 || klen > 9 || key[0] < '1' || key[0] > '9' ||
            strspn(key, "0123456789") != klen)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            struct codec_form_item *grown = realloc(items, cap * sizeof *items);
            if (!grown)
                abort();
            items = grown;
        }
        items[n].index = strtoul(key, NULL, 10);
        items[n].node = child;
        n++;
    }
    if (n > 1)
        qsort(items, n, sizeof *items, codec_form_item_cmp);
    *count = n;
    return items;
}

/* A list or map given as a bare `Key=` (empty value, no parts): the query
 * protocol's way to send an empty one. */
static bool codec_form_is_empty_marker(json_t *node)
{
    json_t *leaf = json_object_get(node, CODEC_FORM_LEAF);
    return leaf && json_object_size(node) == 1 && json_string_length(leaf) == 0;
}

static int codec_form_decode_list(struct codec_form_decoder *dec, const struct dd_member *m,
                                  const struct dd_shape *shape, json_t *node, json_t **out)
{
    json_t *items_node = node; /* borrowed */
    if (!dec->d->flat_request_lists && !codec_form_flattened(m, shape)) {
        const char *item = shape->member_name ? shape->member_name : "member";
        items_node = json_object_get(node, item);
        codec_form_path_push(&dec->path, item);
    }
    size_t count;
    struct codec_form_item *items = codec_form_items(items_node, &count);
    if (count == 0) {
        free(items);
        *out = codec_form_is_empty_marker(node) ? json_array() : NULL;
        return 0;
    }
    json_t *list = json_array(); /* new */
    int rc = 0;
    char num[16];
    for (size_t i = 0; i < count && rc == 0; i++) {
        snprintf(num, sizeof num, "%lu", items[i].index);
        size_t old = codec_form_path_push(&dec->path, num);
        json_t *elem = NULL;
        rc = codec_form_decode_value(dec, NULL, shape->target, items[i].node, &elem);
        if (elem)
            json_array_append_new(list, elem);
        codec_form_path_pop(&dec->path, old);
    }
    free(items);
    if (rc != 0) {
        json_decref(list);
        return -1;
    }
    *out = list;
    return 0;
}

static int codec_form_decode_map(struct codec_form_decoder *dec, const struct dd_member *m,
                                 const struct dd_shape *shape, json_t *node, json_t **out)
{
    char kbuf[CODEC_FORM_NAME_MAX], vbuf[CODEC_FORM_NAME_MAX];
    const char *kname = codec_form_map_part(dec->d, shape->member_name, "key", kbuf);
    const char *vname = codec_form_map_part(dec->d, shape->value_name, "value", vbuf);
    json_t *entries = node; /* borrowed */
    if (!codec_form_flattened(m, shape)) {
        entries = json_object_get(node, "entry");
        codec_form_path_push(&dec->path, "entry");
    }
    size_t count;
    struct codec_form_item *items = codec_form_items(entries, &count);
    if (count == 0) {
        free(items);
        *out = codec_form_is_empty_marker(node) ? json_object() : NULL;
        return 0;
    }
    json_t *map = json_object(); /* new */
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        json_t *key = json_object_get(json_object_get(items[i].node, kname), CODEC_FORM_LEAF);
        json_t *vnode = json_object_get(items[i].node, vname);
        if (!json_is_string(key) || !vnode)
            continue; /* an entry without its key or value says nothing */
        char num[16];
        snprintf(num, sizeof num, "%lu", items[i].index);
        size_t old = codec_form_path_push(&dec->path, num);
        codec_form_path_push(&dec->path, vname);
        json_t *val = NULL;
        rc = codec_form_decode_value(dec, NULL, shape->target, vnode, &val);
        codec_form_path_pop(&dec->path, old);
        if (val)
            json_object_set_new(map, json_string_value(key), val);
    }
    free(items);
    if (rc != 0) {
        json_decref(map);
        return -1;
    }
    *out = map;
    return 0;
}

static int codec_form_decode_struct(struct codec_form_decoder *dec, const struct dd_shape *shape,
                                    json_t *node, json_t **out)
{
    json_t *obj = json_object(); /* new */
    char name[CODEC_FORM_NAME_MAX];
    for (uint32_t i = 0; i < shape->count; i++) {
        const struct dd_member *m = &dec->svc->members[shape->first + i];
        const char *key = codec_form_member_key(dec->svc, m, dec->d, name);
        json_t *child = json_object_get(node, key); /* borrowed */
        if (!child)
            continue;
        size_t old = codec_form_path_push(&dec->path, key);
        json_t *val = NULL;
        int rc = codec_form_decode_value(dec, m, m->shape, child, &val);
        codec_form_path_pop(&dec->path, old);
        if (rc != 0) {
            json_decref(obj);
            return -1;
        }
        if (val)
            json_object_set_new(obj, m->name, val);
    }
    *out = obj;
    return 0;
}

/* Keeps an error message readable and valid UTF-8 whatever the value was. */
static int codec_form_quote_len(const char *s)
{
    size_t n = strlen(s);
    if (n <= 200)
        return (int)n;
    n = 200;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return (int)n;
}

/* Decodes `node` as a value of shape `shape_index`. Sets *out to a new
 * reference, or leaves it NULL when the node carries nothing for the shape. */
static int codec_form_decode_value(struct codec_form_decoder *dec, const struct dd_member *m,
                                   uint32_t shape_index, json_t *node, json_t **out)
{
    const struct dd_shape *shape = model_shape(dec->svc, shape_index);
    *out = NULL;
    switch (shape->type) {
    case DD_T_STRUCTURE: return codec_form_decode_struct(dec, shape, node, out);
    case DD_T_LIST: return codec_form_decode_list(dec, m, shape, node, out);
    case DD_T_MAP: return codec_form_decode_map(dec, m, shape, node, out);
    default: break;
    }
    json_t *leaf = json_object_get(node, CODEC_FORM_LEAF);
    if (!json_is_string(leaf))
        return 0;
    const char *text = json_string_value(leaf);
    const char *expected = "a value";
    *out = codec_text_to_json(shape, text, &expected);
    if (*out)
        return 0;
    return dd_err(dec->err, 400, dec->d->invalid_value_code,
                  "Value (%.*s) for parameter %s is invalid. Expected %s",
                  codec_form_quote_len(text), text, dec->path.data ? dec->path.data : "", expected);
}

/* A decoded form (`form` borrowed) -> new internal input, or NULL with err. */
static json_t *codec_form_decode(const struct dd_service_model *svc, const struct dd_operation *op,
                                 const struct codec_dialect *d, json_t *form, struct dd_error *err)
{
    if (op->input < 0)
        return json_object();
    json_t *tree = json_object(); /* new */
    const char *key;
    json_t *value;
    json_object_foreach (form, key, value)
        codec_form_tree_add(tree, key, value);

    struct codec_form_decoder dec = {.svc = svc, .d = d, .err = err};
    json_t *input = NULL;
    if (codec_form_decode_struct(&dec, model_shape(svc, (uint32_t)op->input), tree, &input) != 0)
        input = NULL;
    buf_free(&dec.path);
    json_decref(tree);
    return input;
}

json_t *codec_form_parse_request(const struct dd_service_model *svc, const struct dd_operation *op,
                                 const struct codec_dialect *d, const char *body, size_t len,
                                 struct dd_error *err)
{
    json_t *form = codec_parse_form(body, len, err); /* new */
    if (!form)
        return NULL;
    json_t *input = codec_form_decode(svc, op, d, form, err);
    json_decref(form);
    return input;
}

json_t *codec_parse_form_request(const struct dd_service_model *svc, const struct dd_operation *op,
                                 json_t *form, struct dd_error *err)
{
    switch (svc->protocol) {
    case DD_PROTO_QUERY: return codec_form_decode(svc, op, &codec_query_dialect, form, err);
    case DD_PROTO_EC2: return codec_form_decode(svc, op, &codec_ec2_dialect, form, err);
    default:
        dd_err(err, 500, "InternalFailure", "The %s service does not take form requests", svc->id);
        return NULL;
    }
}

/* ---- client: internal input -> form --------------------------------------- */

struct codec_form_encoder {
    const struct dd_service_model *svc;
    const struct codec_dialect *d;
    struct dd_error *err;
    struct dd_buf key; /* the wire key being built */
    struct dd_buf *out;
};

static int codec_form_encode_value(struct codec_form_encoder *enc, const struct dd_member *m,
                                   uint32_t shape_index, json_t *value);

static void codec_form_emit(struct codec_form_encoder *enc, const char *text, size_t len)
{
    buf_putc(enc->out, '&');
    buf_put_uri(enc->out, enc->key.data, enc->key.len, 0);
    buf_putc(enc->out, '=');
    buf_put_uri(enc->out, text, len, 0);
}

static int codec_form_type_error(struct codec_form_encoder *enc, const char *wanted)
{
    return dd_err(enc->err, 400, "InvalidParameterType", "Invalid type for parameter %s: expected %s",
                  enc->key.data ? enc->key.data : "", wanted);
}

static int codec_form_encode_list(struct codec_form_encoder *enc, const struct dd_member *m,
                                  const struct dd_shape *shape, json_t *value)
{
    if (!json_is_array(value))
        return codec_form_type_error(enc, "a list");
    if (json_array_size(value) == 0) {
        if (!enc->d->flat_request_lists)
            codec_form_emit(enc, "", 0); /* query says "empty list" as `Key=` */
        return 0;
    }
    size_t base = enc->key.len;
    if (!enc->d->flat_request_lists && !codec_form_flattened(m, shape))
        codec_form_path_push(&enc->key, shape->member_name ? shape->member_name : "member");
    size_t i;
    json_t *elem;
    json_array_foreach (value, i, elem) {
        char num[24];
        snprintf(num, sizeof num, "%zu", i + 1);
        size_t old = codec_form_path_push(&enc->key, num);
        int rc = codec_form_encode_value(enc, NULL, shape->target, elem);
        codec_form_path_pop(&enc->key, old);
        if (rc != 0)
            return -1;
    }
    codec_form_path_pop(&enc->key, base);
    return 0;
}

static int codec_form_encode_map(struct codec_form_encoder *enc, const struct dd_member *m,
                                 const struct dd_shape *shape, json_t *value)
{
    if (!json_is_object(value))
        return codec_form_type_error(enc, "a map");
    char kbuf[CODEC_FORM_NAME_MAX], vbuf[CODEC_FORM_NAME_MAX];
    const char *kname = codec_form_map_part(enc->d, shape->member_name, "key", kbuf);
    const char *vname = codec_form_map_part(enc->d, shape->value_name, "value", vbuf);
    size_t base = enc->key.len;
    if (!codec_form_flattened(m, shape))
        codec_form_path_push(&enc->key, "entry");
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach (value, k, v) {
        char num[24];
        snprintf(num, sizeof num, "%zu", ++i);
        size_t entry = codec_form_path_push(&enc->key, num);
        size_t old = codec_form_path_push(&enc->key, kname);
        codec_form_emit(enc, k, strlen(k));
        codec_form_path_pop(&enc->key, old);
        codec_form_path_push(&enc->key, vname);
        int rc = codec_form_encode_value(enc, NULL, shape->target, v);
        codec_form_path_pop(&enc->key, entry);
        if (rc != 0)
            return -1;
    }
    codec_form_path_pop(&enc->key, base);
    return 0;
}

static int codec_form_encode_struct(struct codec_form_encoder *enc, const struct dd_shape *shape,
                                    json_t *value)
{
    if (!json_is_object(value))
        return codec_form_type_error(enc, "a structure");
    char name[CODEC_FORM_NAME_MAX];
    for (uint32_t i = 0; i < shape->count; i++) {
        const struct dd_member *m = &enc->svc->members[shape->first + i];
        json_t *v = json_object_get(value, m->name); /* borrowed */
        if (!v || json_is_null(v))
            continue;
        size_t old = codec_form_path_push(&enc->key, codec_form_member_key(enc->svc, m, enc->d, name));
        int rc = codec_form_encode_value(enc, m, m->shape, v);
        codec_form_path_pop(&enc->key, old);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int codec_form_encode_value(struct codec_form_encoder *enc, const struct dd_member *m,
                                   uint32_t shape_index, json_t *value)
{
    const struct dd_shape *shape = model_shape(enc->svc, shape_index);
    switch (shape->type) {
    case DD_T_STRUCTURE: return codec_form_encode_struct(enc, shape, value);
    case DD_T_LIST: return codec_form_encode_list(enc, m, shape, value);
    case DD_T_MAP: return codec_form_encode_map(enc, m, shape, value);
    default: break;
    }
    struct dd_buf text = {0};
    int fmt = m ? m->timestamp_format : shape->timestamp_format;
    if (codec_text_put_scalar(&text, shape, fmt, value, false) != 0)
        return codec_form_type_error(enc, "a scalar");
    codec_form_emit(enc, text.data ? text.data : "", text.len);
    buf_free(&text);
    return 0;
}

int codec_form_write_request(const struct dd_service_model *svc, const struct dd_operation *op,
                             const struct codec_dialect *d, json_t *input, struct dd_buf *out,
                             struct dd_error *err)
{
    buf_puts(out, "Action=");
    buf_put_uri(out, op->name, strlen(op->name), 0);
    buf_puts(out, "&Version=");
    buf_put_uri(out, svc->api_version, strlen(svc->api_version), 0);
    if (op->input < 0 || !input)
        return 0;
    struct codec_form_encoder enc = {.svc = svc, .d = d, .err = err, .out = out};
    int rc = codec_form_encode_struct(&enc, model_shape(svc, (uint32_t)op->input), input);
    buf_free(&enc.key);
    return rc;
}
