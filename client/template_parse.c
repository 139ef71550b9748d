/* template_parse.c - templates from JSON (jansson) or YAML (libyaml, short-form tags). */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "template.h"

/* The short forms CloudFormation's YAML accepts, and the long form each becomes. */
static const char *const SHORT_FORMS[] = {
    "Base64", "Cidr", "FindInMap", "GetAZs", "Join", "Select", "Split", "Sub", "If", "Equals",
    "And",    "Or",   "Not",       "Contains", "EachMemberEquals", "EachMemberIn", "RefAll", "ValueOf", "ValueOfAll",
    "Transform", "Length", "ToJsonString", NULL,
};

struct yaml_ctx {
    yaml_document_t *doc;
    char *why;
    size_t why_len;
    int depth;
};

static json_t *yaml_node_to_json(struct yaml_ctx *c, yaml_node_t *n);

static bool matches(const char *s, const char *pattern)
{
    regex_t re;
    if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB))
        return false;
    bool ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

/* A plain (unquoted, untagged) scalar: YAML 1.2 core schema types, as CloudFormation reads them.
 * Fractions stay strings so "1.10" keeps its spelling. */
static json_t *plain_scalar(const char *s)
{
    if (!*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0)
        return json_null();
    if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0)
        return json_true();
    if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0)
        return json_false();
    if (matches(s, "^-?(0|[1-9][0-9]{0,17})$"))
        return json_integer(strtoll(s, NULL, 10));
    return json_string(s);
}

static json_t *scalar(yaml_node_t *n)
{
    const char *s = (const char *)n->data.scalar.value;
    bool plain = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                 strcmp((const char *)n->tag, YAML_DEFAULT_SCALAR_TAG) == 0;
    return plain ? plain_scalar(s) : json_string(s);
}

static json_t *sequence(struct yaml_ctx *c, yaml_node_t *n)
{
    json_t *arr = json_array(); /* new */
    for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
        json_t *v = yaml_node_to_json(c, yaml_document_get_node(c->doc, *i));
        if (!v) {
            json_decref(arr);
            return NULL;
        }
        json_array_append_new(arr, v);
    }
    return arr;
}

static json_t *mapping(struct yaml_ctx *c, yaml_node_t *n)
{
    json_t *obj = json_object(); /* new */
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        if (k->type != YAML_SCALAR_NODE) {
            snprintf(c->why, c->why_len, "line %zu: mapping keys must be scalars", k->start_mark.line + 1);
            goto fail;
        }
        json_t *v = yaml_node_to_json(c, yaml_document_get_node(c->doc, p->value));
        if (!v)
            goto fail;
        json_object_set_new(obj, (const char *)k->data.scalar.value, v);
    }
    return obj;
fail:
    json_decref(obj);
    return NULL;
}

/* `!GetAtt A.B` -> ["A", "B"]; the list form is kept as written. */
static json_t *getatt_short(json_t *v)
{
    if (!json_is_string(v))
        return v;
    const char *s = json_string_value(v), *dot = strchr(s, '.');
    json_t *pair = dot ? json_pack("[s#s]", s, (int)(dot - s), dot + 1) : json_pack("[s]", s);
    json_decref(v);
    return pair;
}

/* Wraps `v` (stolen) in the long form of the tag, or fails on a tag CloudFormation lacks. */
static json_t *apply_tag(struct yaml_ctx *c, yaml_node_t *n, json_t *v)
{
    const char *tag = (const char *)n->tag;
    if (!tag || tag[0] != '!' || tag[1] == '!')
        return v;
    const char *name = tag + 1;
    if (strcmp(name, "Ref") == 0)
        return json_pack("{so}", "Ref", v);
    if (strcmp(name, "Condition") == 0)
        return json_pack("{so}", "Condition", v);
    if (strcmp(name, "GetAtt") == 0)
        return json_pack("{so}", "Fn::GetAtt", getatt_short(v));
    if (strcmp(name, "ImportValue") == 0) {
        snprintf(c->why, c->why_len,
                 "line %zu: !ImportValue is not supported: drydock applies one stack at a time and has no "
                 "cross-stack exports; pass the value as a parameter instead",
                 n->start_mark.line + 1);
        json_decref(v);
        return NULL;
    }
    for (size_t i = 0; SHORT_FORMS[i]; i++)
        if (strcmp(name, SHORT_FORMS[i]) == 0) {
            char key[64];
            snprintf(key, sizeof key, "Fn::%s", name);
            return json_pack("{so}", key, v);
        }
    snprintf(c->why, c->why_len, "line %zu: unknown tag %s", n->start_mark.line + 1, tag);
    json_decref(v);
    return NULL;
}

static json_t *yaml_node_to_json(struct yaml_ctx *c, yaml_node_t *n)
{
    json_t *v = NULL;
    if (!n || ++c->depth > 200) {
        snprintf(c->why, c->why_len, "the template is nested too deeply");
        return NULL;
    }
    switch (n->type) {
    case YAML_SCALAR_NODE: v = scalar(n); break;
    case YAML_SEQUENCE_NODE: v = sequence(c, n); break;
    case YAML_MAPPING_NODE: v = mapping(c, n); break;
    default: v = json_null(); break;
    }
    c->depth--;
    return v ? apply_tag(c, n, v) : NULL;
}

static json_t *parse_yaml(const char *text, size_t len, char *why, size_t why_len)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    json_t *out = NULL;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        snprintf(why, why_len, "YAML error at line %zu: %s", parser.problem_mark.line + 1,
                 parser.problem ? parser.problem : "malformed");
        yaml_parser_delete(&parser);
        return NULL;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    struct yaml_ctx c = {&doc, why, why_len, 0};
    out = root ? yaml_node_to_json(&c, root) : NULL;
    if (!root)
        snprintf(why, why_len, "the template is empty");
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return out;
}

json_t *tpl_parse(const char *text, size_t len, char *why, size_t why_len)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char)text[i]))
        i++;
    json_t *doc;
    if (i < len && text[i] == '{') {
        json_error_t e;
        doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
        if (!doc)
            snprintf(why, why_len, "JSON error at line %d: %s", e.line, e.text);
    } else {
        doc = parse_yaml(text, len, why, why_len);
    }
    if (doc && !json_is_object(doc)) {
        snprintf(why, why_len, "a template must be a mapping of sections (Resources, ...)");
        json_decref(doc);
        doc = NULL;
    }
    return doc;
}

json_t *tpl_load_file(const char *path, char *why, size_t why_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, why_len, "cannot read %s", path);
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[65536];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            text = realloc(text, cap);
        }
        memcpy(text + len, chunk, n);
        len += n;
    }
    fclose(f);
    json_t *doc = tpl_parse(text ? text : "", len, why, why_len);
    free(text);
    return doc;
}
