/* check.c - offline checks of a template, for `validate` and before every plan (see engine.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag.h"
#include "engine.h"
#include "graph.h"
#include "resources/resource.h"
#include "template.h"

static void problem(json_t *errors, const char *id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void problem(json_t *errors, const char *id, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_array_append_new(errors, json_sprintf("%s: %s", id, msg));
}

static bool in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

static void check_sections(json_t *doc, json_t *errors)
{
    static const char *const sections[] = {"AWSTemplateFormatVersion", "Description", "Metadata", "Parameters",
                                           "Rules", "Mappings", "Conditions", "Transform", "Resources", "Outputs",
                                           NULL};
    const char *k;
    json_t *v;
    json_object_foreach(doc, k, v) {
        if (!in_list(sections, k))
            problem(errors, "Template", "unknown section %s", k);
    }
    if (json_object_get(doc, "Transform"))
        problem(errors, "Transform", "template transforms (SAM, macros) are not supported; expand the template first");
    json_t *res = json_object_get(doc, "Resources");
    if (!json_is_object(res) || !json_object_size(res))
        problem(errors, "Resources", "the template must declare at least one resource");
}

/* Every Ref, Fn::GetAtt and ${} must name something; GetAtt attributes must be ones the type has. */
static void check_refs(json_t *doc, const char *id, json_t *v, json_t *errors)
{
    json_t *names = json_object(), *pairs = json_object(), *x, *resources = json_object_get(doc, "Resources");
    const char *name;
    tpl_collect_refs(v, names);
    tpl_collect_getatts(v, pairs);
    json_object_foreach(names, name, x) {
        if (!tpl_is_pseudo(name) && !json_object_get(json_object_get(doc, "Parameters"), name) &&
            !json_object_get(resources, name))
            problem(errors, id, "refers to %s, which is not a parameter or resource of the template", name);
    }
    json_object_foreach(pairs, name, x) {
        const char *dot = strchr(name, '.');
        char res[256];
        snprintf(res, sizeof res, "%.*s", (int)(dot - name), name);
        json_t *decl = json_object_get(resources, res);
        const struct rs_driver *d = decl ? rs_find(json_string_value(json_object_get(decl, "Type")) ?: "") : NULL;
        if (d && dot[1] && !in_list(d->attributes, dot + 1))
            problem(errors, id, "Fn::GetAtt %s: %s has no attribute %s", name, d->type, dot + 1);
    }
    json_decref(names);
    json_decref(pairs);
}

static void check_conditions_named(json_t *doc, const char *id, json_t *v, json_t *errors)
{
    json_t *names = json_object(), *x;
    const char *name;
    tpl_collect_condition_names(v, names);
    json_object_foreach(names, name, x) {
        if (!json_object_get(json_object_get(doc, "Conditions"), name))
            problem(errors, id, "condition %s is not defined", name);
    }
    json_decref(names);
}

/* Fn::ImportValue anywhere is refused at validate time, not halfway through an apply. */
static bool has_import(json_t *v)
{
    json_t *x;
    size_t i;
    const char *k;
    if (json_is_object(v) && json_object_get(v, "Fn::ImportValue"))
        return true;
    json_array_foreach(v, i, x) if (has_import(x)) return true;
    json_object_foreach(v, k, x) if (has_import(x)) return true;
    return false;
}

static void check_resource(json_t *doc, const char *id, json_t *decl, json_t *errors)
{
    static const char *const keys[] = {"Type", "Properties", "DependsOn", "Condition", "DeletionPolicy",
                                       "UpdateReplacePolicy", "Metadata", "CreationPolicy", "UpdatePolicy", NULL};
    const char *k, *type = json_string_value(json_object_get(decl, "Type"));
    json_t *v, *props = json_object_get(decl, "Properties"), *dep = json_object_get(decl, "DependsOn");
    if (!json_is_object(decl) || !type) {
        problem(errors, id, "a resource must be a mapping with a Type");
        return;
    }
    json_object_foreach(decl, k, v) {
        if (!in_list(keys, k))
            problem(errors, id, "unknown resource attribute %s", k);
    }
    const struct rs_driver *d = rs_find(type);
    if (!d)
        problem(errors, id, "unsupported resource type %s", type);
    if (props && !json_is_object(props))
        problem(errors, id, "Properties must be a mapping");
    for (size_t i = 0; d && d->required && d->required[i]; i++)
        if (!json_object_get(props, d->required[i]))
            problem(errors, id, "%s requires the property %s", type, d->required[i]);
    size_t i;
    json_t *x, *deps = json_is_string(dep) ? json_pack("[O]", dep) : json_incref(dep);
    json_array_foreach(deps, i, x) {
        if (!json_object_get(json_object_get(doc, "Resources"), json_string_value(x) ?: ""))
            problem(errors, id, "DependsOn %s: no resource has that name", json_string_value(x) ?: "?");
    }
    json_decref(deps);
    const char *cond = json_string_value(json_object_get(decl, "Condition"));
    if (cond && !json_object_get(json_object_get(doc, "Conditions"), cond))
        problem(errors, id, "condition %s is not defined", cond);
    if (has_import(props))
        problem(errors, id, "Fn::ImportValue is not supported: drydock has no cross-stack exports; use a parameter");
    check_refs(doc, id, props, errors);
    check_conditions_named(doc, id, props, errors);
}

static void check_cycles(json_t *doc, json_t *errors)
{
    struct graph g;
    graph_build(json_object_get(doc, "Resources"), NULL, &g);
    size_t *order = calloc(g.n + 1, sizeof *order);
    unsigned char *cycle = calloc(g.n + 1, 1);
    if (dag_order(g.n, g.deps, g.ndeps, order, cycle) < g.n) {
        for (size_t i = 0; i < g.n; i++)
            if (cycle[i])
                problem(errors, g.ids[i], "circular dependency between resources");
    }
    free(order);
    free(cycle);
    graph_free(&g);
}

static void check_outputs(json_t *doc, json_t *errors)
{
    const char *id;
    json_t *out;
    json_object_foreach(json_object_get(doc, "Outputs"), id, out) {
        if (!json_object_get(out, "Value"))
            problem(errors, id, "an output must have a Value");
        if (has_import(out))
            problem(errors, id, "Fn::ImportValue is not supported");
        check_refs(doc, id, out, errors);
        check_conditions_named(doc, id, out, errors);
    }
}

static void check_parameters(json_t *doc, json_t *errors)
{
    const char *id;
    json_t *p;
    json_object_foreach(json_object_get(doc, "Parameters"), id, p) {
        if (!json_is_string(json_object_get(p, "Type")))
            problem(errors, id, "a parameter must have a Type");
    }
}

void engine_check_template(json_t *doc, json_t *errors)
{
    check_sections(doc, errors);
    check_parameters(doc, errors);
    const char *id;
    json_t *decl;
    json_object_foreach(json_object_get(doc, "Resources"), id, decl) check_resource(doc, id, decl, errors);
    json_object_foreach(json_object_get(doc, "Conditions"), id, decl) check_conditions_named(doc, id, decl, errors);
    check_outputs(doc, errors);
    check_cycles(doc, errors);
}
