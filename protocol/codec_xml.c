/*
 * codec_xml.c - XML for awsQuery and ec2Query (see codec_query_common.h).
 *
 * Server: values are written straight into the response buffer, walking the
 * output shape. Client: expat reads the document into a small tree first
 * (responses are a few kilobytes; a tree lets a structure find its members
 * in any order, as botocore does), which is then walked along the output
 * shape. Elements the shape does not name are ignored.
 */
#include <expat.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec_query_common.h"

/* Deeper documents are refused: no AWS response nests this far, and the
 * bound keeps the recursive walks below safe from hostile input. */
#define CODEC_XML_MAX_DEPTH 128

/* ---- server: writing ------------------------------------------------------ */

static bool codec_xml_flattened(const struct dd_member *m, const struct dd_shape *shape)
{
    return (shape->flags & DD_SHAPE_FLATTENED) || (m && (m->flags & DD_MEMBER_FLATTENED));
}

/* The element name of member `m`: its locationName, else its name; a
 * flattened list with a named element repeats that name instead. */
static const char *codec_xml_member_name(const struct dd_service_model *svc,
                                         const struct dd_member *m)
{
    const struct dd_shape *shape = model_shape(svc, m->shape);
    if (shape->type == DD_T_LIST && codec_xml_flattened(m, shape) && shape->member_name)
        return shape->member_name;
    return m->location_name ? m->location_name : m->name;
}

static void codec_xml_open(struct dd_buf *out, const char *name)
{
    buf_putc(out, '<');
    buf_puts(out, name);
    buf_putc(out, '>');
}

static void codec_xml_close(struct dd_buf *out, const char *name)
{
    buf_puts(out, "</");
    buf_puts(out, name);
    buf_putc(out, '>');
}

static void codec_xml_write_value(struct dd_buf *out, const struct dd_service_model *svc,
                                  const struct dd_member *m, uint32_t shape_index, json_t *value,
                                  const char *name, const struct codec_dialect *d);

static void codec_xml_write_list(struct dd_buf *out, const struct dd_service_model *svc,
                                 const struct dd_member *m, const struct dd_shape *shape,
                                 json_t *value, const char *name, const struct codec_dialect *d)
{
    size_t i;
    json_t *elem;
    if (!json_is_array(value))
        return;
    if (codec_xml_flattened(m, shape)) {
        json_array_foreach (value, i, elem)
            codec_xml_write_value(out, svc, NULL, shape->target, elem, name, d);
        return;
    }
    const char *item = shape->member_name ? shape->member_name : d->list_item;
    codec_xml_open(out, name);
    json_array_foreach (value, i, elem)
        codec_xml_write_value(out, svc, NULL, shape->target, elem, item, d);
    codec_xml_close(out, name);
}

static void codec_xml_write_map(struct dd_buf *out, const struct dd_service_model *svc,
                                const struct dd_member *m, const struct dd_shape *shape,
                                json_t *value, const char *name, const struct codec_dialect *d)
{
    const char *kname = shape->member_name ? shape->member_name : "key";
    const char *vname = shape->value_name ? shape->value_name : "value";
    bool flat = codec_xml_flattened(m, shape);
    const char *k;
    json_t *v;
    if (!json_is_object(value))
        return;
    if (!flat)
        codec_xml_open(out, name);
    json_object_foreach (value, k, v) {
        codec_xml_open(out, flat ? name : "entry");
        codec_xml_open(out, kname);
        buf_put_xml(out, k);
        codec_xml_close(out, kname);
        codec_xml_write_value(out, svc, NULL, shape->target, v, vname, d);
        codec_xml_close(out, flat ? name : "entry");
    }
    if (!flat)
        codec_xml_close(out, name);
}

static void codec_xml_write_value(struct dd_buf *out, const struct dd_service_model *svc,
                                  const struct dd_member *m, uint32_t shape_index, json_t *value,
                                  const char *name, const struct codec_dialect *d)
{
    const struct dd_shape *shape = model_shape(svc, shape_index);
    if (!value || json_is_null(value))
        return;
    switch (shape->type) {
    case DD_T_STRUCTURE:
        if (!json_is_object(value))
            return;
        codec_xml_open(out, name);
        codec_xml_write_members(out, svc, shape, value, d);
        codec_xml_close(out, name);
        return;
    case DD_T_LIST: codec_xml_write_list(out, svc, m, shape, value, name, d); return;
    case DD_T_MAP: codec_xml_write_map(out, svc, m, shape, value, name, d); return;
    default: break;
    }
    struct dd_buf text = {0};
    int fmt = m ? m->timestamp_format : shape->timestamp_format;
    /* EC2 always writes milliseconds (2024-05-01T12:00:00.000Z); query services
     * such as IAM only when there are some (2024-05-01T12:00:00Z). */
    if (codec_text_put_scalar(&text, shape, fmt, value, svc->protocol == DD_PROTO_EC2) == 0) {
        codec_xml_open(out, name);
        if (text.data)
            buf_put_xml(out, text.data);
        codec_xml_close(out, name);
    }
    buf_free(&text);
}

void codec_xml_write_members(struct dd_buf *out, const struct dd_service_model *svc,
                             const struct dd_shape *shape, json_t *value,
                             const struct codec_dialect *d)
{
    if (!json_is_object(value))
        return;
    for (uint32_t i = 0; i < shape->count; i++) {
        const struct dd_member *m = &svc->members[shape->first + i];
        codec_xml_write_value(out, svc, m, m->shape, json_object_get(value, m->name),
                              codec_xml_member_name(svc, m), d);
    }
}

/* ---- client: reading into a tree ------------------------------------------ */

/* A parsed XML document: elements with their text; namespace prefixes dropped. */
struct codec_xml_node {
    char *name;
    struct dd_buf text; /* the element's own character data; data NULL when none */
    struct codec_xml_node *parent, *children, *last_child, *next;
};

struct codec_xml_reader {
    XML_Parser parser;
    struct codec_xml_node *root, *cur;
    int depth;
    const char *refused; /* why we stopped the parser, or NULL */
};

static void codec_xml_refuse(struct codec_xml_reader *r, const char *why)
{
    if (!r->refused)
        r->refused = why;
    XML_StopParser(r->parser, XML_FALSE);
}

static void XMLCALL codec_xml_on_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
    struct codec_xml_reader *r = data;
    (void)attrs;
    if (r->refused)
        return;
    if (++r->depth > CODEC_XML_MAX_DEPTH) {
        codec_xml_refuse(r, "the document nests too deeply");
        return;
    }
    struct codec_xml_node *n = calloc(1, sizeof *n);
    const char *local = strrchr(name, ':'); /* `ns:Name` and `Name` are the same element to us */
    n->name = strdup(local ? local + 1 : name);
    if (!n->name)
        abort();
    n->parent = r->cur;
    if (r->cur) {
        if (r->cur->last_child)
            r->cur->last_child->next = n;
        else
            r->cur->children = n;
        r->cur->last_child = n;
    } else {
        r->root = n;
    }
    r->cur = n;
}

static void XMLCALL codec_xml_on_end(void *data, const XML_Char *name)
{
    struct codec_xml_reader *r = data;
    (void)name;
    if (r->refused)
        return;
    r->depth--;
    if (r->cur)
        r->cur = r->cur->parent;
}

static void XMLCALL codec_xml_on_text(void *data, const XML_Char *s, int len)
{
    struct codec_xml_reader *r = data;
    if (!r->refused && r->cur && len > 0)
        buf_append(&r->cur->text, s, (size_t)len);
}

/* A DTD can declare entities that expand without bound; AWS never sends one. */
static void XMLCALL codec_xml_on_doctype(void *data, const XML_Char *name, const XML_Char *sysid,
                                         const XML_Char *pubid, int has_internal_subset)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
    codec_xml_refuse(data, "the document has a DTD");
}

static void codec_xml_free(struct codec_xml_node *node)
{
    while (node) {
        struct codec_xml_node *next = node->next;
        codec_xml_free(node->children); /* depth is bounded by CODEC_XML_MAX_DEPTH */
        buf_free(&node->text);
        free(node->name);
        free(node);
        node = next;
    }
}

/* Parses `body` into a new tree (free with codec_xml_free), or NULL with err
 * ("MalformedResponse", status `status`) for bad, too deep or DTD-bearing XML. */
static struct codec_xml_node *codec_xml_parse(const char *body, size_t len, int status,
                                              struct dd_error *err)
{
    struct codec_xml_reader r = {0};
    if (len > INT_MAX) {
        dd_err(err, status, "MalformedResponse", "The response body is too large");
        return NULL;
    }
    r.parser = XML_ParserCreate("UTF-8");
    if (!r.parser)
        abort();
    XML_SetUserData(r.parser, &r);
    XML_SetElementHandler(r.parser, codec_xml_on_start, codec_xml_on_end);
    XML_SetCharacterDataHandler(r.parser, codec_xml_on_text);
    XML_SetStartDoctypeDeclHandler(r.parser, codec_xml_on_doctype);
    enum XML_Status st = XML_Parse(r.parser, body ? body : "", body ? (int)len : 0, XML_TRUE);
    if (st != XML_STATUS_OK || r.refused || !r.root) {
        const char *why = r.refused ? r.refused : XML_ErrorString(XML_GetErrorCode(r.parser));
        dd_err(err, status, "MalformedResponse", "Unable to parse the response XML: %s",
               why ? why : "no element found");
        codec_xml_free(r.root);
        XML_ParserFree(r.parser);
        return NULL;
    }
    XML_ParserFree(r.parser);
    return r.root;
}

/* The first child element of `node` named `name`, or NULL (borrowed). */
static struct codec_xml_node *codec_xml_child(const struct codec_xml_node *node, const char *name)
{
    for (struct codec_xml_node *c = node ? node->children : NULL; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

static const char *codec_xml_text(const struct codec_xml_node *node)
{
    return node && node->text.data ? node->text.data : "";
}

/* ---- client: tree -> internal output -------------------------------------- */

struct codec_xml_decoder {
    const struct dd_service_model *svc;
    struct dd_error *err;
};

static json_t *codec_xml_decode_value(struct codec_xml_decoder *dec, uint32_t shape_index,
                                      const struct codec_xml_node *node);

/* A map entry (`<entry>` or a flattened map's element) into `map`. */
static int codec_xml_decode_entry(struct codec_xml_decoder *dec, const struct dd_shape *shape,
                                  const struct codec_xml_node *entry, json_t *map)
{
    const char *kname = shape->member_name ? shape->member_name : "key";
    const char *vname = shape->value_name ? shape->value_name : "value";
    const struct codec_xml_node *k = codec_xml_child(entry, kname);
    const struct codec_xml_node *v = codec_xml_child(entry, vname);
    if (!k || !v)
        return 0; /* an entry without its key or value says nothing */
    json_t *val = codec_xml_decode_value(dec, shape->target, v); /* new */
    if (!val)
        return -1;
    json_object_set_new(map, codec_xml_text(k), val);
    return 0;
}

static json_t *codec_xml_decode_list(struct codec_xml_decoder *dec, const struct dd_shape *shape,
                                     const struct codec_xml_node *node)
{
    json_t *list = json_array(); /* new */
    /* any child is an item, whatever its name, as botocore reads them */
    for (const struct codec_xml_node *c = node->children; c; c = c->next) {
        json_t *elem = codec_xml_decode_value(dec, shape->target, c);
        if (!elem) {
            json_decref(list);
            return NULL;
        }
        json_array_append_new(list, elem);
    }
    return list;
}

/* A flattened list or map: every child of `parent` named `name` is an item. */
static json_t *codec_xml_decode_flat(struct codec_xml_decoder *dec, const struct dd_shape *shape,
                                     const struct codec_xml_node *parent, const char *name)
{
    json_t *acc = shape->type == DD_T_MAP ? json_object() : json_array(); /* new */
    for (const struct codec_xml_node *c = parent->children; c; c = c->next) {
        if (strcmp(c->name, name) != 0)
            continue;
        int rc = 0;
        if (shape->type == DD_T_MAP) {
            rc = codec_xml_decode_entry(dec, shape, c, acc);
        } else {
            json_t *elem = codec_xml_decode_value(dec, shape->target, c);
            rc = elem ? json_array_append_new(acc, elem) : -1;
        }
        if (rc != 0) {
            json_decref(acc);
            return NULL;
        }
    }
    return acc;
}

static json_t *codec_xml_decode_struct(struct codec_xml_decoder *dec, const struct dd_shape *shape,
                                       const struct codec_xml_node *node)
{
    json_t *obj = json_object(); /* new */
    for (uint32_t i = 0; i < shape->count; i++) {
        const struct dd_member *m = &dec->svc->members[shape->first + i];
        const struct dd_shape *ms = model_shape(dec->svc, m->shape);
        const char *name = codec_xml_member_name(dec->svc, m);
        json_t *val = NULL;
        if ((ms->type == DD_T_LIST || ms->type == DD_T_MAP) && codec_xml_flattened(m, ms)) {
            if (!codec_xml_child(node, name))
                continue;
            val = codec_xml_decode_flat(dec, ms, node, name);
        } else {
            const struct codec_xml_node *child = codec_xml_child(node, name);
            if (!child)
                continue;
            val = codec_xml_decode_value(dec, m->shape, child);
        }
        if (!val) {
            json_decref(obj);
            return NULL;
        }
        json_object_set_new(obj, m->name, val);
    }
    return obj;
}

/* `node` as a value of shape `shape_index`: a new reference, or NULL with err. */
static json_t *codec_xml_decode_value(struct codec_xml_decoder *dec, uint32_t shape_index,
                                      const struct codec_xml_node *node)
{
    const struct dd_shape *shape = model_shape(dec->svc, shape_index);
    switch (shape->type) {
    case DD_T_STRUCTURE: return codec_xml_decode_struct(dec, shape, node);
    case DD_T_LIST: return codec_xml_decode_list(dec, shape, node);
    case DD_T_MAP: {
        json_t *map = json_object(); /* new */
        for (const struct codec_xml_node *c = node->children; c; c = c->next) {
            if (codec_xml_decode_entry(dec, shape, c, map) != 0) {
                json_decref(map);
                return NULL;
            }
        }
        return map;
    }
    default: break;
    }
    const char *expected = "a value";
    json_t *v = codec_text_to_json(shape, codec_xml_text(node), &expected); /* new */
    if (!v)
        /* a 2xx whose body cannot be read is the server's fault, not the caller's */
        dd_err(dec->err, 500, "MalformedResponse",
               "The value of element %s in the response is not %s", node->name, expected);
    return v;
}

static int codec_xml_error(const char *body, size_t len, int status, struct dd_error *err);

json_t *codec_xml_parse_response(const struct dd_service_model *svc, const struct dd_operation *op,
                                 int http_status, const char *body, size_t len,
                                 struct dd_error *err)
{
    if (http_status < 200 || http_status > 299) {
        codec_xml_error(body, len, http_status, err);
        return NULL;
    }
    /* a 2xx whose body cannot be read is the server's fault, not the caller's */
    struct codec_xml_node *root = codec_xml_parse(body, len, 500, err);
    if (!root)
        return NULL;
    struct codec_xml_decoder dec = {.svc = svc, .err = err};
    json_t *output = NULL; /* new */
    const struct codec_xml_node *node = root;
    if (op->output < 0) {
        output = json_object();
        goto cleanup;
    }
    if (op->result_wrapper) {
        node = codec_xml_child(root, op->result_wrapper);
        if (!node) { /* an all-empty result may come without its wrapper */
            output = json_object();
            goto cleanup;
        }
    }
    output = codec_xml_decode_struct(&dec, model_shape(svc, (uint32_t)op->output), node);

cleanup:
    codec_xml_free(root);
    return output;
}

/* The <Error> element of a query or ec2 error document, or NULL. */
static const struct codec_xml_node *codec_xml_find_error(const struct codec_xml_node *root)
{
    if (strcmp(root->name, "Error") == 0)
        return root;
    const struct codec_xml_node *e = codec_xml_child(root, "Error");
    if (e)
        return e;
    return codec_xml_child(codec_xml_child(root, "Errors"), "Error");
}

/* Turns an error document (query `<ErrorResponse><Error>`, ec2
 * `<Response><Errors><Error>`) into err with `status`; "MalformedResponse"
 * when it holds none. Always -1. */
static int codec_xml_error(const char *body, size_t len, int status, struct dd_error *err)
{
    struct codec_xml_node *root = codec_xml_parse(body, len, status, err);
    if (!root)
        return -1;
    const struct codec_xml_node *e = codec_xml_find_error(root);
    const struct codec_xml_node *code = codec_xml_child(e, "Code");
    if (!code) {
        dd_err(err, status, "MalformedResponse",
               "The error response (HTTP %d) carries no error code", status);
    } else {
        dd_err(err, status, codec_xml_text(code), "%s",
               codec_xml_text(codec_xml_child(e, "Message")));
        const char *type = codec_xml_text(codec_xml_child(e, "Type"));
        if (strcmp(type, "Receiver") == 0)
            err->sender = false;
        else if (strcmp(type, "Sender") == 0)
            err->sender = true;
    }
    codec_xml_free(root);
    return -1;
}
