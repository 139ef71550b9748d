/* scenario_lang.c - selectors, expectations and ${...} substitution for scenarios (see scenario.h). */
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

static int fail(char *why, size_t why_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    return -1;
}

char *scn_text(json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (!v)
        return strdup("(nothing)");
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* ---- selectors ---------------------------------------------------------------------------------- */

/* The state of an evaluation: the values reached (`cur`, an array), and whether they are a projection. */
struct sel {
    json_t *cur;
    bool proj;
};

static void sel_replace(struct sel *s, json_t *next, bool proj)
{
    json_decref(s->cur);
    s->cur = next;
    s->proj = proj;
}

/* A member name: up to '.', '[' or the end. */
static size_t name_len(const char *p)
{
    return strcspn(p, ".[]()");
}

static void step_member(struct sel *s, const char *name, size_t n)
{
    json_t *next = json_array(), *v;
    size_t i;
    char key[256];
    snprintf(key, sizeof key, "%.*s", (int)n, name);
    json_array_foreach(s->cur, i, v) {
        json_t *m = json_object_get(v, key);
        if (m)
            json_array_append(next, m);
    }
    sel_replace(s, next, s->proj);
}

static void step_index(struct sel *s, long idx)
{
    json_t *next = json_array();
    json_t *list = s->proj ? s->cur : json_array_get(s->cur, 0);
    long n = json_is_array(list) ? (long)json_array_size(list) : 0;
    if (idx < 0)
        idx += n;
    if (idx >= 0 && idx < n)
        json_array_append(next, json_array_get(list, (size_t)idx));
    sel_replace(s, next, false);
}

/* The candidates of [*] and [?...]: an array's elements; over a projection, arrays are flattened. */
static json_t *candidates(struct sel *s)
{
    json_t *out = json_array(), *v, *e;
    size_t i;
    const char *k;
    json_array_foreach(s->cur, i, v) {
        if (json_is_array(v))
            json_array_extend(out, v);
        else if (json_is_object(v) && !s->proj)
            json_object_foreach(v, k, e) json_array_append(out, e);
        else if (s->proj)
            json_array_append(out, v);
    }
    return out;
}

static bool is_scalar(json_t *v)
{
    return v && !json_is_object(v) && !json_is_array(v);
}

/* Whether `v`'s member path `key` (dotted) reads `want`. */
static bool filter_holds(json_t *v, const char *key, const char *want, bool negate)
{
    char path[512];
    snprintf(path, sizeof path, "$.%s", key);
    json_t *got = NULL;
    bool proj, eq = false;
    char why[64];
    if (scn_select(v, path, &got, &proj, why, sizeof why) == 0 && is_scalar(got)) {
        char *t = scn_text(got);
        eq = strcmp(t, want) == 0;
        free(t);
    }
    json_decref(got);
    return eq != negate;
}

/* Parses "[?KEY=VALUE]" at p (after "[?"); returns the position after ']', or NULL. */
static const char *step_filter(struct sel *s, const char *p, char *why, size_t why_len)
{
    const char *op = p;
    while (*op && *op != '=' && *op != '!' && *op != ']')
        op++;
    bool negate = *op == '!';
    if (op == p || (*op != '=' && !(negate && op[1] == '='))) {
        fail(why, why_len, "a filter reads [?KEY=VALUE] or [?KEY!=VALUE]");
        return NULL;
    }
    char key[256], want[512];
    snprintf(key, sizeof key, "%.*s", (int)(op - p), p);
    const char *v = op + (negate ? 2 : 1), *end;
    if (*v == '\'' || *v == '"') {
        end = strchr(v + 1, *v);
        if (!end || end[1] != ']') {
            fail(why, why_len, "unterminated quoted value in a filter");
            return NULL;
        }
        snprintf(want, sizeof want, "%.*s", (int)(end - v - 1), v + 1);
        end++;
    } else {
        end = strchr(v, ']');
        if (!end) {
            fail(why, why_len, "a filter lacks its ']'");
            return NULL;
        }
        snprintf(want, sizeof want, "%.*s", (int)(end - v), v);
    }
    json_t *all = candidates(s), *next = json_array(), *e;
    size_t i;
    json_array_foreach(all, i, e) {
        if (filter_holds(e, key, want, negate))
            json_array_append(next, e);
    }
    json_decref(all);
    sel_replace(s, next, true);
    return end + 1;
}

/* Evaluates the path at p (starting with '$') up to the end or `stop`. */
static int eval_path(struct sel *s, const char *p, char stop, char *why, size_t why_len)
{
    if (*p != '$')
        return fail(why, why_len, "a selector starts with $ (or length($...))");
    p++;
    while (*p && *p != stop) {
        if (*p == '.') {
            size_t n = name_len(p + 1);
            if (!n)
                return fail(why, why_len, "a name is missing after '.'");
            step_member(s, p + 1, n);
            p += 1 + n;
        } else if (p[0] == '[' && p[1] == '*' && p[2] == ']') {
            sel_replace(s, candidates(s), true);
            p += 3;
        } else if (p[0] == '[' && p[1] == '?') {
            if (!(p = step_filter(s, p + 2, why, why_len)))
                return -1;
        } else if (*p == '[') {
            char *end;
            long idx = strtol(p + 1, &end, 10);
            if (end == p + 1 || *end != ']')
                return fail(why, why_len, "an index reads [N], [*] or [?KEY=VALUE]");
            step_index(s, idx);
            p = end + 1;
        } else {
            return fail(why, why_len, "unexpected '%c'", *p);
        }
    }
    if (*p != stop)
        return fail(why, why_len, "missing ')'");
    if (stop && p[1])
        return fail(why, why_len, "unexpected text after ')'");
    return 0;
}

int scn_select(json_t *doc, const char *selector, json_t **out, bool *projection, char *why, size_t why_len)
{
    bool length = strncmp(selector, "length(", 7) == 0;
    struct sel s = {json_array(), false};
    *out = NULL;
    *projection = false;
    if (doc)
        json_array_append(s.cur, doc);
    int rc = eval_path(&s, length ? selector + 7 : selector, length ? ')' : 0, why, why_len);
    if (rc) {
        char where[300];
        snprintf(where, sizeof where, "%s", why);
        snprintf(why, why_len, "bad selector %s: %s", selector, where);
    } else if (length) {
        json_t *v = s.proj ? s.cur : json_array_get(s.cur, 0);
        size_t n = json_is_array(v) ? json_array_size(v)
                   : json_is_object(v) ? json_object_size(v)
                   : json_is_string(v) ? json_string_length(v)
                                       : 0;
        *out = json_integer((json_int_t)n);
    } else if (s.proj) {
        *out = json_incref(s.cur);
        *projection = true;
    } else {
        *out = json_incref(json_array_get(s.cur, 0));
    }
    json_decref(s.cur);
    return rc;
}

/* ---- checks ------------------------------------------------------------------------------------------ */

/* Equality as a test reads it: JSON equality, or equal text for two scalars (2 == "2", 1.0 == 1). */
static bool loose_equal(json_t *a, json_t *b)
{
    if (!a || !b)
        return false;
    if (json_equal(a, b))
        return true;
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    if (!is_scalar(a) || !is_scalar(b) || json_is_null(a) != json_is_null(b))
        return false;
    char *x = scn_text(a), *y = scn_text(b);
    bool eq = strcmp(x, y) == 0;
    free(x);
    free(y);
    return eq;
}

static bool regex_matches(json_t *v, const char *re_text, char *why, size_t why_len)
{
    regex_t re;
    int rc = regcomp(&re, re_text, REG_EXTENDED | REG_NOSUB);
    if (rc) {
        char e[128];
        regerror(rc, &re, e, sizeof e);
        fail(why, why_len, "bad regex %s: %s", re_text, e);
        return false;
    }
    char *t = scn_text(v);
    bool ok = regexec(&re, t, 0, NULL, 0) == 0;
    free(t);
    regfree(&re);
    return ok;
}

static bool contains(json_t *v, json_t *want)
{
    if (json_is_string(v) && json_is_string(want))
        return strstr(json_string_value(v), json_string_value(want)) != NULL;
    if (json_is_object(v) && json_is_string(want))
        return json_object_get(v, json_string_value(want)) != NULL;
    json_t *e;
    size_t i;
    json_array_foreach(v, i, e) {
        if (loose_equal(e, want))
            return true;
    }
    return false;
}

static size_t count_of(json_t *v)
{
    return json_is_array(v) ? json_array_size(v) : json_is_object(v) ? json_object_size(v) : v ? 1 : 0;
}

/* Over a projection, every match must hold (and there must be one). */
static bool every(json_t *list, json_t *want, bool (*holds)(json_t *, json_t *))
{
    json_t *e;
    size_t i;
    json_array_foreach(list, i, e) {
        if (!holds(e, want))
            return false;
    }
    return json_array_size(list) > 0;
}

static const char *const CHECKS[] = {"equals", "contains", "matches", "count", "exists", "error", NULL};

int scn_expectation_valid(json_t *exp, char *why, size_t why_len)
{
    if (!json_is_object(exp))
        return fail(why, why_len, "an expectation is an object {path: SELECTOR, CHECK: VALUE}");
    const char *k;
    json_t *v;
    int checks = 0;
    json_object_foreach(exp, k, v) {
        bool known = strcmp(k, "path") == 0;
        for (size_t i = 0; CHECKS[i] && !known; i++)
            if (strcmp(k, CHECKS[i]) == 0) {
                known = true;
                checks++;
            }
        if (!known)
            return fail(why, why_len, "unknown expectation key %s (path, equals, contains, matches, count, exists, error)",
                        k);
    }
    if (!checks)
        return fail(why, why_len, "an expectation needs a check: equals, contains, matches, count, exists or error");
    json_t *path = json_object_get(exp, "path"), *out = NULL;
    bool proj;
    if (path && !json_is_string(path))
        return fail(why, why_len, "path is a selector string");
    if (path && scn_select(NULL, json_string_value(path), &out, &proj, why, why_len))
        return -1;
    json_decref(out);
    json_t *m = json_object_get(exp, "matches");
    regex_t re;
    if (m && (!json_is_string(m) || regcomp(&re, json_string_value(m), REG_EXTENDED | REG_NOSUB)))
        return fail(why, why_len, "matches takes a POSIX extended regular expression");
    if (m)
        regfree(&re);
    json_t *c = json_object_get(exp, "count");
    if (c && !json_is_integer(c))
        return fail(why, why_len, "count takes an integer");
    if (json_object_get(exp, "exists") && !json_is_boolean(json_object_get(exp, "exists")))
        return fail(why, why_len, "exists takes true or false");
    if (json_object_get(exp, "error") && !json_is_string(json_object_get(exp, "error")))
        return fail(why, why_len, "error takes an AWS error code");
    return 0;
}

/* Checks one expectation against `doc`; `err` as for scn_expect. */
static bool check_one(json_t *doc, const struct dd_error *err, json_t *exp, char *msg, size_t msg_len)
{
    const char *path = json_string_value(json_object_get(exp, "path")) ?: "$";
    json_t *want, *got = NULL;
    bool proj, ok = true;
    char *t = NULL, *w = NULL;
    if (scn_expectation_valid(exp, msg, msg_len))
        return false;
    if ((want = json_object_get(exp, "error"))) {
        if (!err)
            return fail(msg, msg_len, "expected error %s, but the call succeeded", json_string_value(want)), false;
        if (strcmp(err->code, json_string_value(want)) != 0)
            return fail(msg, msg_len, "expected error %s, got %s: %s", json_string_value(want), err->code,
                        err->message),
                   false;
    }
    scn_select(doc, path, &got, &proj, msg, msg_len);
    if (ok && (want = json_object_get(exp, "exists")) && json_is_true(want) != (got && (!proj || count_of(got)))) {
        ok = false;
        fail(msg, msg_len, "%s: expected %s", path, json_is_true(want) ? "a value" : "nothing");
    }
    if (ok && (want = json_object_get(exp, "count")) && (json_int_t)count_of(got) != json_integer_value(want)) {
        ok = false;
        fail(msg, msg_len, "%s: expected count %lld, got %zu", path, (long long)json_integer_value(want),
             count_of(got));
    }
    if (ok && (want = json_object_get(exp, "equals")) &&
        !(proj && !json_is_array(want) ? every(got, want, loose_equal) : loose_equal(got, want))) {
        ok = false;
        fail(msg, msg_len, "%s: expected %s, got %s", path, w = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY),
             t = got ? json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("nothing"));
    }
    if (ok && (want = json_object_get(exp, "contains")) && !contains(got, want)) {
        ok = false;
        fail(msg, msg_len, "%s: expected it to contain %s, got %s", path,
             w = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY),
             t = got ? json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("nothing"));
    }
    if (ok && (want = json_object_get(exp, "matches"))) {
        const char *re = json_string_value(want);
        bool m = false;
        if (proj) {
            json_t *e;
            size_t i;
            m = json_array_size(got) > 0;
            json_array_foreach(got, i, e) m = m && regex_matches(e, re, msg, msg_len);
        } else {
            m = got && regex_matches(got, re, msg, msg_len);
        }
        if (!m) {
            ok = false;
            fail(msg, msg_len, "%s: expected a match of /%s/, got %s", path, re,
                 t = got ? json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("nothing"));
        }
    }
    free(t);
    free(w);
    json_decref(got);
    return ok;
}

bool scn_expect(json_t *doc, const struct dd_error *err, json_t *expect, char *msg, size_t msg_len)
{
    json_t *list = json_is_array(expect)                    ? json_incref(expect)
                   : expect && !json_is_null(expect) ? json_pack("[O]", expect)
                                                     : json_array();
    json_t *e;
    size_t i;
    bool wants_error = false, ok = true;
    msg[0] = 0;
    json_array_foreach(list, i, e) wants_error |= json_object_get(e, "error") != NULL;
    if (err && !wants_error) {
        fail(msg, msg_len, "%s%s%s", err->code, err->message[0] ? ": " : " (no message)", err->message);
        ok = false;
    }
    json_array_foreach(list, i, e) {
        if (ok && !check_one(doc, err, e, msg, msg_len))
            ok = false;
    }
    json_decref(list);
    return ok;
}

/* ---- ${...} substitution ----------------------------------------------------------------------------- */

/* The value of EXPR (without ${ }): a new reference, or NULL with `why`. */
static json_t *lookup(json_t *vars, const char *expr, size_t n, char *why, size_t why_len)
{
    char sel[512];
    bool proj;
    json_t *v = NULL;
    if (n && expr[0] == '$')
        snprintf(sel, sizeof sel, "%.*s", (int)n, expr);
    else
        snprintf(sel, sizeof sel, "$.%.*s", (int)n, expr);
    if (scn_select(vars, sel, &v, &proj, why, why_len))
        return NULL;
    if (!v || (proj && !json_array_size(v))) {
        json_decref(v);
        fail(why, why_len, "${%.*s} has no value", (int)n, expr);
        return NULL;
    }
    if (proj && json_array_size(v) == 1) { /* one match stands for itself */
        json_t *one = json_incref(json_array_get(v, 0));
        json_decref(v);
        return one;
    }
    return v;
}

static json_t *substitute_string(const char *s, json_t *vars, char *why, size_t why_len)
{
    size_t len = strlen(s);
    if (len > 3 && strncmp(s, "${", 2) == 0 && strchr(s, '}') == s + len - 1)
        return lookup(vars, s + 2, len - 3, why, why_len);
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    const char *p = s;
    json_t *out = NULL;
    while (*p) {
        if (strncmp(p, "$${", 3) == 0) {
            fputs("${", f);
            p += 3;
            continue;
        }
        const char *close;
        if (strncmp(p, "${", 2) != 0 || !(close = strchr(p + 2, '}'))) {
            fputc(*p++, f);
            continue;
        }
        json_t *v = lookup(vars, p + 2, (size_t)(close - p - 2), why, why_len);
        if (!v)
            goto done;
        char *t = scn_text(v);
        fputs(t, f);
        free(t);
        json_decref(v);
        p = close + 1;
    }
    fclose(f);
    f = NULL;
    out = json_string(buf);
done:
    if (f)
        fclose(f);
    free(buf);
    return out;
}

json_t *scn_substitute(json_t *v, json_t *vars, char *why, size_t why_len)
{
    if (json_is_string(v))
        return strstr(json_string_value(v), "${") ? substitute_string(json_string_value(v), vars, why, why_len)
                                                  : json_incref(v);
    json_t *out = NULL, *e, *r;
    if (json_is_array(v)) {
        size_t i;
        out = json_array();
        json_array_foreach(v, i, e) {
            if (!(r = scn_substitute(e, vars, why, why_len)))
                goto fail;
            json_array_append_new(out, r);
        }
        return out;
    }
    if (json_is_object(v)) {
        const char *k;
        out = json_object();
        json_object_foreach(v, k, e) {
            if (!(r = scn_substitute(e, vars, why, why_len)))
                goto fail;
            json_object_set_new(out, k, r);
        }
        return out;
    }
    return json_incref(v);
fail:
    json_decref(out);
    return NULL;
}
