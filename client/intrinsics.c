/* intrinsics.c - Ref, Fn::* and pseudo parameters (see template.h). */
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"
#include "transport.h"

#define UNKNOWN_KEY "Fn::drydock::Unknown"
#define NOVALUE_KEY "Fn::drydock::NoValue"

struct rctx {
    struct tpl *t;
    bool conditions; /* {"Condition": name} is an intrinsic (inside Conditions and Rules) */
    char *why;
    size_t why_len;
    int depth;
};

typedef json_t *(*fn_impl)(struct rctx *c, json_t *arg);

static json_t *resolve(struct rctx *c, json_t *v);

static json_t *fail(struct rctx *c, const char *fmt, const char *arg)
{
    snprintf(c->why, c->why_len, fmt, arg);
    return NULL;
}

json_t *tpl_unknown(const char *what)
{
    return json_pack("{ss}", UNKNOWN_KEY, what);
}

bool tpl_is_unknown(json_t *v)
{
    return json_is_object(v) && json_object_get(v, UNKNOWN_KEY);
}

bool tpl_is_novalue(json_t *v)
{
    return json_is_object(v) && json_object_get(v, NOVALUE_KEY);
}

bool tpl_contains_unknown(json_t *v)
{
    if (tpl_is_unknown(v))
        return true;
    json_t *x;
    size_t i;
    const char *k;
    if (json_is_array(v))
        json_array_foreach(v, i, x) if (tpl_contains_unknown(x)) return true;
    if (json_is_object(v))
        json_object_foreach(v, k, x) if (tpl_contains_unknown(x)) return true;
    return false;
}

bool tpl_is_pseudo(const char *name)
{
    static const char *const names[] = {"AWS::Region",    "AWS::AccountId", "AWS::StackName", "AWS::StackId",
                                        "AWS::Partition", "AWS::URLSuffix", "AWS::NoValue",   "AWS::NotificationARNs",
                                        NULL};
    for (size_t i = 0; names[i]; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

/* ---- Ref and Fn::GetAtt -------------------------------------------------------------------- */

static json_t *pseudo(struct rctx *c, const char *name)
{
    struct tpl *t = c->t;
    if (strcmp(name, "AWS::Region") == 0)
        return json_string(t->region);
    if (strcmp(name, "AWS::StackName") == 0)
        return json_string(t->stack_name);
    if (strcmp(name, "AWS::StackId") == 0)
        return json_string(t->stack_id);
    if (strcmp(name, "AWS::Partition") == 0)
        return json_string(aws_partition(t->region));
    if (strcmp(name, "AWS::URLSuffix") == 0)
        return json_string(aws_url_suffix(t->region));
    if (strcmp(name, "AWS::NoValue") == 0)
        return json_pack("{sb}", NOVALUE_KEY, 1);
    if (strcmp(name, "AWS::NotificationARNs") == 0)
        return json_array();
    json_t *acct = t->lk.account_id ? t->lk.account_id(t->lk.ud) : NULL; /* AWS::AccountId */
    return acct ? acct : tpl_unknown(name);
}

static json_t *ref_name(struct rctx *c, const char *name)
{
    struct tpl *t = c->t;
    if (tpl_is_pseudo(name))
        return pseudo(c, name);
    json_t *p = json_object_get(t->params, name);
    if (p)
        return json_incref(p);
    json_t *res = json_object_get(json_object_get(t->doc, "Resources"), name);
    if (!res)
        return fail(c, "Ref to %s: no parameter or resource has that name", name);
    json_t *v = t->lk.ref ? t->lk.ref(t->lk.ud, name) : NULL;
    return v ? v : tpl_unknown(name);
}

static json_t *fn_ref(struct rctx *c, json_t *arg)
{
    if (!json_is_string(arg))
        return fail(c, "%s", "Ref takes the name of a parameter or resource");
    return ref_name(c, json_string_value(arg));
}

static json_t *getatt(struct rctx *c, const char *res, const char *attr)
{
    struct tpl *t = c->t;
    if (!json_object_get(json_object_get(t->doc, "Resources"), res))
        return fail(c, "Fn::GetAtt to %s: no resource has that name", res);
    json_t *v = t->lk.getatt ? t->lk.getatt(t->lk.ud, res, attr) : NULL;
    if (v)
        return v;
    char what[512];
    snprintf(what, sizeof what, "%s.%s", res, attr);
    return tpl_unknown(what);
}

static json_t *fn_getatt(struct rctx *c, json_t *arg)
{
    if (json_is_string(arg)) {
        const char *s = json_string_value(arg), *dot = strchr(s, '.');
        if (!dot)
            return fail(c, "Fn::GetAtt %s: expected Resource.Attribute", s);
        char res[256];
        snprintf(res, sizeof res, "%.*s", (int)(dot - s), s);
        return getatt(c, res, dot + 1);
    }
    if (!json_is_array(arg) || json_array_size(arg) != 2 || !json_is_string(json_array_get(arg, 0)))
        return fail(c, "%s", "Fn::GetAtt takes [Resource, Attribute] or \"Resource.Attribute\"");
    json_t *attr = resolve(c, json_array_get(arg, 1));
    if (!json_is_string(attr)) {
        json_decref(attr);
        return c->why[0] ? NULL : fail(c, "%s", "Fn::GetAtt: the attribute name must be a string");
    }
    json_t *out = getatt(c, json_string_value(json_array_get(arg, 0)), json_string_value(attr));
    json_decref(attr);
    return out;
}

/* ---- strings: Fn::Sub, Fn::Join, Fn::Split, Fn::Select, Fn::Base64 ------------------------------ */

/* A scalar as the text it stands for in a string, or NULL. */
static char *as_text(json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_integer(v) || json_is_real(v) || json_is_boolean(v)) {
        json_t *s = json_is_boolean(v) ? json_string(json_is_true(v) ? "true" : "false")
                    : json_is_integer(v) ? json_sprintf("%lld", (long long)json_integer_value(v))
                                         : json_sprintf("%g", json_real_value(v));
        char *out = strdup(json_string_value(s));
        json_decref(s);
        return out;
    }
    return NULL;
}

/* The value of one ${...} in Fn::Sub: a variable of the map, a parameter, pseudo parameter, resource, or Res.Attr. */
static json_t *sub_var(struct rctx *c, const char *name, json_t *vars)
{
    json_t *v = json_object_get(vars, name);
    if (v)
        return json_incref(v);
    const char *dot = strchr(name, '.');
    if (dot && !tpl_is_pseudo(name)) {
        char res[256];
        snprintf(res, sizeof res, "%.*s", (int)(dot - name), name);
        return getatt(c, res, dot + 1);
    }
    return ref_name(c, name);
}

/* Appends the text of `v` to `out`; 1 when `v` is unknown, -1 on error. */
static int sub_append(struct rctx *c, json_t *v, const char *name, char **out, size_t *len)
{
    if (tpl_is_unknown(v))
        return 1;
    char *s = as_text(v);
    if (!s) {
        fail(c, "Fn::Sub: ${%s} is not a string", name);
        return -1;
    }
    size_t n = strlen(s);
    *out = realloc(*out, *len + n + 1);
    memcpy(*out + *len, s, n + 1);
    *len += n;
    free(s);
    return 0;
}

static json_t *substitute(struct rctx *c, const char *s, json_t *vars)
{
    char *out = calloc(1, 1);
    size_t len = 0;
    int unknown = 0;
    while (*s) {
        const char *open = strstr(s, "${"), *close = open ? strchr(open, '}') : NULL;
        size_t lit = close ? (size_t)(open - s) : strlen(s);
        bool literal = close && open[2] == '!'; /* ${!Literal} writes ${Literal} */
        json_t *piece = json_stringn(s, lit);
        sub_append(c, piece, "", &out, &len);
        json_decref(piece);
        if (!close)
            break;
        char name[512];
        snprintf(name, sizeof name, "%.*s", (int)(close - open - 2 - literal), open + 2 + literal);
        json_t *v = literal ? json_sprintf("${%s}", name) : sub_var(c, name, vars);
        int rc = v ? sub_append(c, v, name, &out, &len) : -1;
        json_decref(v);
        if (rc < 0) {
            free(out);
            return NULL;
        }
        unknown |= rc;
        s = close + 1;
    }
    json_t *result = unknown ? tpl_unknown("Fn::Sub") : json_string(out);
    free(out);
    return result;
}

static json_t *fn_sub(struct rctx *c, json_t *arg)
{
    if (json_is_string(arg))
        return substitute(c, json_string_value(arg), NULL);
    if (!json_is_array(arg) || json_array_size(arg) != 2 || !json_is_string(json_array_get(arg, 0)))
        return fail(c, "%s", "Fn::Sub takes a string or [string, {variables}]");
    json_t *vars = resolve(c, json_array_get(arg, 1));
    if (!json_is_object(vars)) {
        json_decref(vars);
        return c->why[0] ? NULL : fail(c, "%s", "Fn::Sub: the variables must be a mapping");
    }
    json_t *out = substitute(c, json_string_value(json_array_get(arg, 0)), vars);
    json_decref(vars);
    return out;
}

/* Resolves `arg` and checks it is an array of `n` items (0: any length). New reference or NULL. */
static json_t *args(struct rctx *c, json_t *arg, size_t n, const char *fn)
{
    json_t *v = resolve(c, arg);
    if (!v)
        return NULL;
    if (!json_is_array(v) || (n && json_array_size(v) != n)) {
        json_decref(v);
        char why[128];
        snprintf(why, sizeof why, "%s takes a list of %zu arguments", fn, n);
        return fail(c, "%s", why);
    }
    return v;
}

static json_t *fn_join(struct rctx *c, json_t *arg)
{
    json_t *a = args(c, arg, 2, "Fn::Join"), *x, *out = NULL;
    if (!a)
        return NULL;
    json_t *delim = json_array_get(a, 0), *list = json_array_get(a, 1);
    if (tpl_contains_unknown(a)) {
        out = tpl_unknown("Fn::Join");
        goto cleanup;
    }
    if (!json_is_string(delim) || !json_is_array(list)) {
        fail(c, "%s", "Fn::Join takes [delimiter, [values]]");
        goto cleanup;
    }
    char *s = calloc(1, 1);
    size_t len = 0, i;
    json_array_foreach(list, i, x) {
        if ((i && sub_append(c, delim, "", &s, &len)) || sub_append(c, x, "list item", &s, &len)) {
            free(s);
            goto cleanup;
        }
    }
    out = json_string(s);
    free(s);
cleanup:
    json_decref(a);
    return out;
}

static json_t *fn_split(struct rctx *c, json_t *arg)
{
    json_t *a = args(c, arg, 2, "Fn::Split"), *out = NULL;
    if (!a)
        return NULL;
    const char *delim = json_string_value(json_array_get(a, 0)), *s = json_string_value(json_array_get(a, 1));
    if (tpl_contains_unknown(a))
        out = tpl_unknown("Fn::Split");
    else if (!delim || !*delim || !s)
        fail(c, "%s", "Fn::Split takes [delimiter, string]");
    else {
        out = json_array();
        for (const char *p; (p = strstr(s, delim)); s = p + strlen(delim))
            json_array_append_new(out, json_stringn(s, (size_t)(p - s)));
        json_array_append_new(out, json_string(s));
    }
    json_decref(a);
    return out;
}

static json_t *fn_select(struct rctx *c, json_t *arg)
{
    json_t *a = args(c, arg, 2, "Fn::Select"), *out = NULL;
    if (!a)
        return NULL;
    json_t *idx = json_array_get(a, 0), *list = json_array_get(a, 1);
    long i = json_is_integer(idx) ? (long)json_integer_value(idx)
             : json_is_string(idx) ? strtol(json_string_value(idx), NULL, 10) : -1;
    if (tpl_is_unknown(list) || tpl_is_unknown(idx))
        out = tpl_unknown("Fn::Select");
    else if (!json_is_array(list) || i < 0 || (size_t)i >= json_array_size(list))
        fail(c, "%s", "Fn::Select: the index is outside the list");
    else
        out = json_incref(json_array_get(list, (size_t)i));
    json_decref(a);
    return out;
}

static json_t *fn_base64(struct rctx *c, json_t *arg)
{
    json_t *v = resolve(c, arg), *out = NULL;
    if (!v)
        return NULL;
    if (tpl_is_unknown(v))
        return v;
    if (!json_is_string(v)) {
        json_decref(v);
        return fail(c, "%s", "Fn::Base64 takes a string");
    }
    size_t n = json_string_length(v);
    unsigned char *enc = malloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock(enc, (const unsigned char *)json_string_value(v), (int)n);
    out = json_string((char *)enc);
    free(enc);
    json_decref(v);
    return out;
}

static json_t *fn_getazs(struct rctx *c, json_t *arg)
{
    json_t *r = resolve(c, arg);
    if (!r)
        return NULL;
    const char *region = json_is_string(r) && json_string_length(r) ? json_string_value(r) : c->t->region;
    json_t *azs = c->t->lk.azs ? c->t->lk.azs(c->t->lk.ud, region) : NULL;
    json_decref(r);
    return azs ? azs : tpl_unknown("Fn::GetAZs");
}

/* Fn::Cidr [ipBlock, count, cidrBits]: `count` blocks of /(32 - cidrBits) from the start of ipBlock. */
static json_t *fn_cidr(struct rctx *c, json_t *arg)
{
    json_t *a = args(c, arg, 3, "Fn::Cidr"), *out = NULL;
    if (!a)
        return NULL;
    if (tpl_contains_unknown(a)) {
        json_decref(a);
        return tpl_unknown("Fn::Cidr");
    }
    char *block = as_text(json_array_get(a, 0)), *count_s = as_text(json_array_get(a, 1)),
         *bits_s = as_text(json_array_get(a, 2));
    char ip[64] = "";
    int prefix = -1;
    struct in_addr addr;
    long count = count_s ? strtol(count_s, NULL, 10) : 0, bits = bits_s ? strtol(bits_s, NULL, 10) : 0;
    if (block && sscanf(block, "%63[0-9.]/%d", ip, &prefix) == 2 && inet_pton(AF_INET, ip, &addr) == 1 &&
        prefix >= 0 && prefix <= 32 && bits > 0 && bits <= 32 - prefix && count >= 1 && count <= 256 &&
        count <= (1L << (32 - prefix - bits))) {
        out = json_array();
        uint32_t base = ntohl(addr.s_addr);
        for (long i = 0; i < count; i++) {
            struct in_addr sub = {htonl(base + ((uint32_t)i << bits))};
            char text[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &sub, text, sizeof text);
            json_array_append_new(out, json_sprintf("%s/%ld", text, 32 - bits));
        }
    } else {
        fail(c, "%s", "Fn::Cidr takes [\"a.b.c.d/n\", count, cidrBits] with room for count blocks");
    }
    free(block);
    free(count_s);
    free(bits_s);
    json_decref(a);
    return out;
}

/* ---- conditions and choices: Fn::If, Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition ----------- */

static json_t *condition_value(struct rctx *c, const char *name)
{
    json_t *v = json_object_get(c->t->conditions, name);
    if (json_is_boolean(v))
        return json_incref(v);
    return fail(c, "condition %s is not defined", name);
}

static json_t *fn_condition(struct rctx *c, json_t *arg)
{
    if (!json_is_string(arg))
        return fail(c, "%s", "Condition takes a condition name");
    return condition_value(c, json_string_value(arg));
}

static json_t *fn_if(struct rctx *c, json_t *arg)
{
    if (!json_is_array(arg) || json_array_size(arg) != 3 || !json_is_string(json_array_get(arg, 0)))
        return fail(c, "%s", "Fn::If takes [condition, value if true, value if false]");
    json_t *cond = condition_value(c, json_string_value(json_array_get(arg, 0)));
    if (!cond)
        return NULL;
    json_t *out = resolve(c, json_array_get(arg, json_is_true(cond) ? 1 : 2));
    json_decref(cond);
    return out;
}

static json_t *fn_equals(struct rctx *c, json_t *arg)
{
    json_t *a = args(c, arg, 2, "Fn::Equals");
    if (!a)
        return NULL;
    char *x = as_text(json_array_get(a, 0)), *y = as_text(json_array_get(a, 1));
    bool eq = x && y ? strcmp(x, y) == 0 : json_equal(json_array_get(a, 0), json_array_get(a, 1));
    free(x);
    free(y);
    json_decref(a);
    return json_boolean(eq);
}

/* Fn::And / Fn::Or: every (any) item true; Fn::Not: the one item false. */
static json_t *logic(struct rctx *c, json_t *arg, int op, const char *fn)
{
    json_t *a = args(c, arg, op == 2 ? 1 : 0, fn), *x;
    if (!a)
        return NULL;
    size_t i, n = json_array_size(a), truths = 0;
    json_array_foreach(a, i, x) {
        if (!json_is_boolean(x)) {
            json_decref(a);
            return fail(c, "%s takes conditions (true or false)", fn);
        }
        truths += json_is_true(x);
    }
    json_decref(a);
    if (op != 2 && (n < 2 || n > 10))
        return fail(c, "%s takes 2 to 10 conditions", fn);
    return json_boolean(op == 0 ? truths == n : op == 1 ? truths > 0 : truths == 0);
}

static json_t *fn_and(struct rctx *c, json_t *arg) { return logic(c, arg, 0, "Fn::And"); }
static json_t *fn_or(struct rctx *c, json_t *arg) { return logic(c, arg, 1, "Fn::Or"); }
static json_t *fn_not(struct rctx *c, json_t *arg) { return logic(c, arg, 2, "Fn::Not"); }

static json_t *fn_findinmap(struct rctx *c, json_t *arg)
{
    json_t *a = args(c, arg, 3, "Fn::FindInMap"), *out = NULL;
    if (!a)
        return NULL;
    const char *m = json_string_value(json_array_get(a, 0)), *k1 = json_string_value(json_array_get(a, 1)),
               *k2 = json_string_value(json_array_get(a, 2));
    json_t *v = json_object_get(json_object_get(json_object_get(json_object_get(c->t->doc, "Mappings"), m ? m : ""),
                                                k1 ? k1 : ""),
                                k2 ? k2 : "");
    if (tpl_contains_unknown(a))
        out = tpl_unknown("Fn::FindInMap");
    else if (!v)
        fail(c, "Fn::FindInMap: %s has no such keys", m ? m : "(not a string)");
    else
        out = json_incref(v);
    json_decref(a);
    return out;
}

/* ---- Rules' functions ------------------------------------------------------------------------- */

static bool list_has(json_t *list, json_t *v)
{
    json_t *x;
    size_t i;
    json_array_foreach(list, i, x) if (json_equal(x, v)) return true;
    return false;
}

static json_t *fn_contains(struct rctx *c, json_t *arg)
{
    json_t *a = args(c, arg, 2, "Fn::Contains");
    if (!a)
        return NULL;
    bool has = list_has(json_array_get(a, 0), json_array_get(a, 1));
    json_decref(a);
    return json_boolean(has);
}

static json_t *fn_each_member(struct rctx *c, json_t *arg, bool in_list, const char *fn)
{
    json_t *a = args(c, arg, 2, fn), *x;
    if (!a)
        return NULL;
    json_t *members = json_array_get(a, 0), *ref = json_array_get(a, 1);
    bool all = json_is_array(members);
    size_t i;
    json_array_foreach(members, i, x) all &= in_list ? list_has(ref, x) : json_equal(x, ref);
    json_decref(a);
    return json_boolean(all);
}

static json_t *fn_each_equals(struct rctx *c, json_t *arg) { return fn_each_member(c, arg, false, "Fn::EachMemberEquals"); }
static json_t *fn_each_in(struct rctx *c, json_t *arg) { return fn_each_member(c, arg, true, "Fn::EachMemberIn"); }

static json_t *fn_import(struct rctx *c, json_t *arg)
{
    return fail(c, "%s", "Fn::ImportValue is not supported: drydock applies one stack at a time and has no "
                         "cross-stack exports; pass the value as a parameter instead");
}

/* ---- dispatch --------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    fn_impl fn;
} FUNCTIONS[] = {
    {"Ref", fn_ref},
    {"Fn::GetAtt", fn_getatt},
    {"Fn::Sub", fn_sub},
    {"Fn::Join", fn_join},
    {"Fn::Split", fn_split},
    {"Fn::Select", fn_select},
    {"Fn::Base64", fn_base64},
    {"Fn::GetAZs", fn_getazs},
    {"Fn::Cidr", fn_cidr},
    {"Fn::If", fn_if},
    {"Fn::Equals", fn_equals},
    {"Fn::And", fn_and},
    {"Fn::Or", fn_or},
    {"Fn::Not", fn_not},
    {"Fn::FindInMap", fn_findinmap},
    {"Fn::Contains", fn_contains},
    {"Fn::EachMemberEquals", fn_each_equals},
    {"Fn::EachMemberIn", fn_each_in},
    {"Fn::ImportValue", fn_import},
};

static fn_impl function_for(struct rctx *c, json_t *obj, json_t **arg)
{
    if (json_object_size(obj) != 1)
        return NULL;
    const char *key = json_object_iter_key(json_object_iter(obj));
    *arg = json_object_iter_value(json_object_iter(obj));
    if (c->conditions && strcmp(key, "Condition") == 0)
        return fn_condition;
    for (size_t i = 0; i < sizeof FUNCTIONS / sizeof FUNCTIONS[0]; i++)
        if (strcmp(key, FUNCTIONS[i].name) == 0)
            return FUNCTIONS[i].fn;
    if (strncmp(key, "Fn::", 4) == 0 && strcmp(key, UNKNOWN_KEY) != 0 && strcmp(key, NOVALUE_KEY) != 0)
        fail(c, "%s is not a supported intrinsic function", key);
    return NULL;
}

static json_t *resolve_container(struct rctx *c, json_t *v)
{
    json_t *x, *out = json_is_array(v) ? json_array() : json_object(); /* new */
    size_t i;
    const char *k;
    json_array_foreach(v, i, x) {
        json_t *r = resolve(c, x);
        if (!r)
            goto fail;
        if (tpl_is_novalue(r))
            json_decref(r);
        else
            json_array_append_new(out, r);
    }
    json_object_foreach(v, k, x) {
        json_t *r = resolve(c, x);
        if (!r)
            goto fail;
        if (tpl_is_novalue(r))
            json_decref(r);
        else
            json_object_set_new(out, k, r);
    }
    return out;
fail:
    json_decref(out);
    return NULL;
}

static json_t *resolve(struct rctx *c, json_t *v)
{
    if (!json_is_object(v) && !json_is_array(v))
        return json_incref(v);
    if (++c->depth > 100) {
        c->depth--;
        return fail(c, "%s", "intrinsic functions nested too deeply");
    }
    json_t *arg = NULL, *out;
    fn_impl fn = json_is_object(v) ? function_for(c, v, &arg) : NULL;
    out = fn ? fn(c, arg) : c->why[0] ? NULL : resolve_container(c, v);
    c->depth--;
    return out;
}

json_t *tpl_resolve_in(struct tpl *t, json_t *v, bool conditions, char *why, size_t why_len)
{
    why[0] = 0;
    struct rctx c = {t, conditions, why, why_len, 0};
    return resolve(&c, v);
}

json_t *tpl_resolve(struct tpl *t, json_t *v, char *why, size_t why_len)
{
    return tpl_resolve_in(t, v, false, why, why_len);
}

/* ---- references, for the dependency graph -------------------------------------------------------- */

/* Calls `add` for each ${Name} / ${Name.Attr} of a Fn::Sub string not defined in `vars`. */
static void sub_names(const char *s, json_t *vars, void (*add)(json_t *set, const char *name, const char *attr),
                      json_t *set)
{
    for (const char *open; (open = strstr(s, "${"));) {
        const char *close = strchr(open, '}');
        if (!close)
            return;
        char name[512];
        snprintf(name, sizeof name, "%.*s", (int)(close - open - 2), open + 2);
        char *dot = strchr(name, '.');
        if (name[0] != '!' && !json_object_get(vars, name)) {
            if (dot && !tpl_is_pseudo(name))
                *dot++ = 0;
            else
                dot = NULL;
            add(set, name, dot);
        }
        s = close + 1;
    }
}

static void walk_refs(json_t *v, void (*add)(json_t *set, const char *name, const char *attr), json_t *set)
{
    json_t *x, *arg;
    size_t i;
    const char *k;
    if (json_is_object(v) && json_object_size(v) == 1) {
        arg = json_object_get(v, "Ref");
        if (json_is_string(arg))
            add(set, json_string_value(arg), NULL);
        arg = json_object_get(v, "Fn::GetAtt");
        if (json_is_array(arg) && json_is_string(json_array_get(arg, 0))) {
            const char *attr = json_string_value(json_array_get(arg, 1));
            add(set, json_string_value(json_array_get(arg, 0)), attr ? attr : "");
        } else if (json_is_string(arg)) {
            char name[512];
            snprintf(name, sizeof name, "%s", json_string_value(arg));
            char *dot = strchr(name, '.');
            if (dot)
                *dot++ = 0;
            add(set, name, dot ? dot : "");
        }
        arg = json_object_get(v, "Fn::Sub");
        if (json_is_string(arg))
            sub_names(json_string_value(arg), NULL, add, set);
        else if (json_is_array(arg) && json_is_string(json_array_get(arg, 0)))
            sub_names(json_string_value(json_array_get(arg, 0)), json_array_get(arg, 1), add, set);
    }
    json_array_foreach(v, i, x) walk_refs(x, add, set);
    json_object_foreach(v, k, x) walk_refs(x, add, set);
}

static void add_name(json_t *set, const char *name, const char *attr)
{
    json_object_set_new(set, name, json_true());
}

void tpl_collect_refs(json_t *v, json_t *names)
{
    walk_refs(v, add_name, names);
}

static void add_pair(json_t *set, const char *name, const char *attr)
{
    if (!attr)
        return;
    char key[768];
    snprintf(key, sizeof key, "%s.%s", name, attr);
    json_object_set_new(set, key, json_true());
}

void tpl_collect_getatts(json_t *v, json_t *pairs)
{
    walk_refs(v, add_pair, pairs);
}
