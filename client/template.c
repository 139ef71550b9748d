/* template.c - parameters, conditions and rules of a template (see template.h). */
#include "template.h"

#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void problem(json_t *errors, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(json_t *errors, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_array_append_new(errors, json_string(msg));
}

void tpl_init(struct tpl *t, json_t *doc, const char *stack_name, const char *region, const struct tpl_lookup *lk)
{
    memset(t, 0, sizeof *t);
    t->doc = doc;
    t->params = json_object();
    t->noecho = json_object();
    t->conditions = json_object();
    snprintf(t->stack_name, sizeof t->stack_name, "%s", stack_name);
    snprintf(t->region, sizeof t->region, "%s", region);
    /* A stable id per stack name: the same stack keeps its id across applies. */
    unsigned long h = 5381;
    for (const char *p = stack_name; *p; p++)
        h = h * 33 + (unsigned char)*p;
    snprintf(t->stack_id, sizeof t->stack_id, "arn:aws:cloudformation:%s:000000000000:stack/%s/%08lx-0000-4000-8000-%012lx",
             region, stack_name, h & 0xffffffffUL, h & 0xffffffffffffUL);
    if (lk)
        t->lk = *lk;
}

void tpl_free(struct tpl *t)
{
    json_decref(t->doc);
    json_decref(t->params);
    json_decref(t->noecho);
    json_decref(t->conditions);
    memset(t, 0, sizeof *t);
}

/* ---- parameters ------------------------------------------------------------------------- */

static bool is_number(const char *s)
{
    char *end;
    strtod(s, &end);
    return *s && !*end && !isspace((unsigned char)*s);
}

/* "a,b,c" -> ["a","b","c"] (CloudFormation keeps the spaces). */
static json_t *split_list(const char *s)
{
    json_t *out = json_array();
    if (!*s)
        return out;
    for (const char *p; (p = strchr(s, ',')); s = p + 1)
        json_array_append_new(out, json_stringn(s, (size_t)(p - s)));
    json_array_append_new(out, json_string(s));
    return out;
}

/* AllowedPattern is a Java regex; POSIX ERE lacks the \\d \\w \\s classes, so they are spelled out. */
static void posix_pattern(const char *pattern, char *out, size_t len)
{
    static const char *const classes[][2] = {{"d", "[0-9]"}, {"w", "[A-Za-z0-9_]"}, {"s", "[[:space:]]"},
                                             {"D", "[^0-9]"}, {"W", "[^A-Za-z0-9_]"}, {"S", "[^[:space:]]"}};
    size_t n = 0;
    for (const char *p = pattern; *p && n + 16 < len; p++) {
        const char *repl = NULL;
        for (size_t i = 0; p[0] == '\\' && p[1] && i < 6; i++)
            if (p[1] == classes[i][0][0])
                repl = classes[i][1];
        if (repl) {
            n += (size_t)snprintf(out + n, len - n, "%s", repl);
            p++;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = 0;
}

static bool full_match(const char *pattern, const char *s)
{
    char anchored[2048], posix[1900];
    posix_pattern(pattern, posix, sizeof posix);
    snprintf(anchored, sizeof anchored, "^(%s)$", posix);
    regex_t re;
    if (regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB))
        return false;
    bool ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

static const char *constraint_text(json_t *decl, const char *fallback)
{
    const char *d = json_string_value(json_object_get(decl, "ConstraintDescription"));
    return d ? d : fallback;
}

static double number_of(json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : json_is_string(v) ? strtod(json_string_value(v), NULL) : 0;
}

/* Checks one scalar value against the declaration's constraints. */
static void check_value(const char *name, json_t *decl, const char *type, const char *v, json_t *errors)
{
    json_t *allowed = json_object_get(decl, "AllowedValues"), *x;
    const char *pattern = json_string_value(json_object_get(decl, "AllowedPattern"));
    bool numeric = strcmp(type, "Number") == 0 || strcmp(type, "List<Number>") == 0;
    if (numeric && !is_number(v)) {
        problem(errors, "Parameter '%s' must be a number", name);
        return;
    }
    if (json_is_array(allowed)) {
        bool ok = false;
        size_t i;
        json_array_foreach(allowed, i, x) {
            json_t *s = json_is_string(x) ? json_incref(x) : json_sprintf("%g", number_of(x));
            ok |= strcmp(json_string_value(s), v) == 0 || (numeric && number_of(x) == strtod(v, NULL));
            json_decref(s);
        }
        if (!ok)
            problem(errors, "Parameter '%s' must be one of AllowedValues", name);
    }
    if (pattern && !full_match(pattern, v))
        problem(errors, "Parameter '%s' must match pattern %s%s%s", name, pattern,
                json_object_get(decl, "ConstraintDescription") ? ": " : "", constraint_text(decl, ""));
    size_t len = strlen(v);
    json_t *minl = json_object_get(decl, "MinLength"), *maxl = json_object_get(decl, "MaxLength");
    if ((minl && len < (size_t)number_of(minl)) || (maxl && len > (size_t)number_of(maxl)))
        problem(errors, "Parameter '%s' must have a length between MinLength %g and MaxLength %g", name,
                minl ? number_of(minl) : 0, maxl ? number_of(maxl) : 4096);
    json_t *minv = json_object_get(decl, "MinValue"), *maxv = json_object_get(decl, "MaxValue");
    if (numeric && ((minv && strtod(v, NULL) < number_of(minv)) || (maxv && strtod(v, NULL) > number_of(maxv))))
        problem(errors, "Parameter '%s' must be between MinValue and MaxValue%s%s", name,
                json_object_get(decl, "ConstraintDescription") ? ": " : "", constraint_text(decl, ""));
}

static bool known_type(const char *type)
{
    static const char *const scalar[] = {"String", "Number", "CommaDelimitedList", "List<Number>",
                                         "AWS::SSM::Parameter::Name", NULL};
    for (size_t i = 0; scalar[i]; i++)
        if (strcmp(type, scalar[i]) == 0)
            return true;
    if (strncmp(type, "AWS::EC2::", 10) == 0 || strncmp(type, "List<AWS::EC2::", 15) == 0)
        return true;
    return strncmp(type, "AWS::SSM::Parameter::Value<", 27) == 0 && type[strlen(type) - 1] == '>';
}

/* The type a value has once read: AWS::SSM::Parameter::Value<T> -> T. */
static const char *value_type(const char *type, char *buf, size_t len)
{
    if (strncmp(type, "AWS::SSM::Parameter::Value<", 27) != 0)
        return type;
    snprintf(buf, len, "%.*s", (int)(strlen(type) - 28), type + 27);
    return buf;
}

static bool is_list_type(const char *type)
{
    return strncmp(type, "List<", 5) == 0 || strcmp(type, "CommaDelimitedList") == 0;
}

/* A list parameter's value written with commas. */
static char *raw_value(json_t *given, const char *name, json_t *decl)
{
    json_t *v = json_object_get(given, name);
    if (!v)
        v = json_object_get(decl, "Default");
    if (json_is_array(v)) {
        json_t *x;
        size_t i;
        char *s = calloc(1, 1);
        json_array_foreach(v, i, x) {
            json_t *item = json_is_string(x) ? json_incref(x) : json_sprintf("%g", number_of(x));
            s = realloc(s, strlen(s) + json_string_length(item) + 2);
            strcat(i ? strcat(s, ",") : s, json_string_value(item));
            json_decref(item);
        }
        return s;
    }
    return NULL;
}

static char *scalar_text(json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_integer(v)) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        return strdup(buf);
    }
    if (json_is_real(v)) {
        char buf[64];
        snprintf(buf, sizeof buf, "%g", json_real_value(v));
        return strdup(buf);
    }
    return NULL;
}

static char *param_text(json_t *given, const char *name, json_t *decl)
{
    json_t *v = json_object_get(given, name);
    if (!v)
        v = json_object_get(decl, "Default");
    return json_is_array(v) ? raw_value(given, name, decl) : scalar_text(v);
}

static void bind_one(struct tpl *t, const char *name, json_t *decl, json_t *given, json_t *errors)
{
    const char *type = json_string_value(json_object_get(decl, "Type"));
    if (!type || !known_type(type)) {
        problem(errors, "Parameter '%s' has an unsupported Type %s", name, type ? type : "(none)");
        return;
    }
    char *text = param_text(given, name, decl), buf[256];
    if (!text) {
        problem(errors, "Parameters: [%s] must have values", name);
        return;
    }
    if (strncmp(type, "AWS::SSM::Parameter::Value<", 27) == 0) {
        char why[512] = "";
        json_t *v = t->lk.ssm_value ? t->lk.ssm_value(t->lk.ud, text, why, sizeof why) : json_string("");
        free(text);
        if (!v) {
            problem(errors, "Parameter '%s': %s", name, why);
            return;
        }
        text = strdup(json_string_value(v));
        json_decref(v);
    }
    const char *vt = value_type(type, buf, sizeof buf);
    json_t *value = is_list_type(vt) ? split_list(text) : json_string(text), *x;
    size_t i;
    if (json_is_array(value))
        json_array_foreach(value, i, x) check_value(name, decl, vt, json_string_value(x), errors);
    else
        check_value(name, decl, vt, text, errors);
    json_object_set_new(t->params, name, value);
    if (json_is_true(json_object_get(decl, "NoEcho")) ||
        (json_is_string(json_object_get(decl, "NoEcho")) &&
         strcasecmp(json_string_value(json_object_get(decl, "NoEcho")), "true") == 0))
        json_object_set_new(t->noecho, name, json_true());
    free(text);
}

int tpl_bind_params(struct tpl *t, json_t *given, json_t *errors)
{
    size_t before = json_array_size(errors);
    json_t *decls = json_object_get(t->doc, "Parameters"), *decl;
    const char *name;
    json_object_foreach(given, name, decl) {
        if (!json_object_get(decls, name))
            problem(errors, "Parameters: [%s] do not exist in the template", name);
    }
    json_object_foreach(decls, name, decl) bind_one(t, name, decl, given, errors);
    return (int)(json_array_size(errors) - before);
}

/* ---- conditions and rules ----------------------------------------------------------------- */

/* Evaluates one condition (and, first, those it names), detecting circular conditions. */
static int eval_condition(struct tpl *t, const char *name, json_t *visiting, json_t *errors)
{
    json_t *decls = json_object_get(t->doc, "Conditions"), *expr = json_object_get(decls, name);
    if (json_object_get(t->conditions, name))
        return 0;
    if (!expr) {
        problem(errors, "Condition %s is not defined", name);
        return -1;
    }
    if (json_object_get(visiting, name)) {
        problem(errors, "Condition %s refers to itself (circular conditions)", name);
        return -1;
    }
    json_object_set_new(visiting, name, json_true());
    json_t *deps = json_object();
    tpl_collect_condition_names(expr, deps);
    const char *dep;
    json_t *x;
    int rc = 0;
    json_object_foreach(deps, dep, x) rc |= eval_condition(t, dep, visiting, errors);
    json_decref(deps);
    char why[1024];
    json_t *v = rc ? NULL : tpl_resolve_in(t, expr, true, why, sizeof why);
    if (!rc && !json_is_boolean(v)) {
        problem(errors, "Condition %s: %s", name, v ? "must evaluate to true or false" : why);
        rc = -1;
    }
    if (!rc)
        json_object_set(t->conditions, name, v);
    json_decref(v);
    json_object_del(visiting, name);
    return rc;
}

void tpl_collect_condition_names(json_t *v, json_t *names)
{
    json_t *x;
    size_t i;
    const char *k;
    if (json_is_object(v) && json_object_size(v) == 1 && json_is_string(json_object_get(v, "Condition")))
        json_object_set_new(names, json_string_value(json_object_get(v, "Condition")), json_true());
    if (json_is_object(v) && json_is_array(json_object_get(v, "Fn::If")) &&
        json_is_string(json_array_get(json_object_get(v, "Fn::If"), 0)))
        json_object_set_new(names, json_string_value(json_array_get(json_object_get(v, "Fn::If"), 0)), json_true());
    json_array_foreach(v, i, x) tpl_collect_condition_names(x, names);
    json_object_foreach(v, k, x) tpl_collect_condition_names(x, names);
}

int tpl_eval_conditions(struct tpl *t, json_t *errors)
{
    size_t before = json_array_size(errors);
    json_t *decls = json_object_get(t->doc, "Conditions"), *x, *visiting = json_object();
    const char *name;
    json_object_foreach(decls, name, x) eval_condition(t, name, visiting, errors);
    json_decref(visiting);
    return (int)(json_array_size(errors) - before);
}

static int eval_bool(struct tpl *t, json_t *expr, bool dflt, const char *what, json_t *errors)
{
    if (!expr)
        return dflt;
    char why[1024];
    json_t *v = tpl_resolve_in(t, expr, true, why, sizeof why);
    int out = json_is_boolean(v) ? json_is_true(v) : -1;
    if (out < 0)
        problem(errors, "%s: %s", what, v ? "must evaluate to true or false" : why);
    json_decref(v);
    return out;
}

int tpl_check_rules(struct tpl *t, json_t *errors)
{
    size_t before = json_array_size(errors);
    json_t *rules = json_object_get(t->doc, "Rules"), *rule, *a;
    const char *name;
    size_t i;
    json_object_foreach(rules, name, rule) {
        char what[300];
        snprintf(what, sizeof what, "Rule %s", name);
        if (eval_bool(t, json_object_get(rule, "RuleCondition"), true, what, errors) != 1)
            continue;
        json_array_foreach(json_object_get(rule, "Assertions"), i, a) {
            if (eval_bool(t, json_object_get(a, "Assert"), false, what, errors) == 0) {
                const char *d = json_string_value(json_object_get(a, "AssertDescription"));
                problem(errors, "Rule %s failed: %s", name, d ? d : "an assertion does not hold");
            }
        }
    }
    return (int)(json_array_size(errors) - before);
}

bool tpl_condition_holds(const struct tpl *t, json_t *entity)
{
    const char *c = json_string_value(json_object_get(entity, "Condition"));
    return !c || json_is_true(json_object_get(t->conditions, c));
}
