/*
 * rds_param.c - DB parameter groups and their parameters.
 *
 * Every family has a default group ("default.postgres16") that exists
 * implicitly: it answers Describe, cannot be modified or deleted, and is
 * stored once an instance uses it. A group's parameters are the family's
 * engine defaults (fixtures/rds_engines.json) overlaid with the user's
 * values (the private `_params`: {name: {value, method}}). A change that
 * waits for a reboot (static parameters, or ApplyMethod pending-reboot)
 * shows on the group's instances as ParameterApplyStatus pending-reboot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rds_internal.h"

#define MAX_PARAMETERS_PER_CALL 20

/* ---- groups ------------------------------------------------------------------------ */

static void group_doc(struct dd_request *r, struct rds_res *g, const char *family, const char *desc)
{
    char *arn = rds_arn(r, &rds_kind_pg, g->name);
    json_t *fill = json_pack("{s:s, s:s, s:s, s:s, s:{}}", "DBParameterGroupName", g->name, "DBParameterGroupFamily",
                             family, "Description", desc, "DBParameterGroupArn", arn, "_params");
    json_object_update(g->doc, fill);
    json_decref(fill);
    free(arn);
}

/* The default group's family ("default.postgres16" -> "postgres16") when `name` names one, else NULL. */
static const char *default_family(const char *name)
{
    const char *engine;
    if (!name || strncmp(name, "default.", 8) != 0 || !rds_family_engine(name + 8, &engine))
        return NULL;
    return name + 8;
}

/* Loads group `name`, default groups included (seq 0 until stored): 0, or -1 with DBParameterGroupNotFound. */
static int group_get_or_err(struct dd_request *r, const char *name, struct rds_res *g)
{
    char lower[256];
    rds_lower(name, lower, sizeof lower);
    if (rds_load(r, &rds_kind_pg, lower, g) == 0)
        return 0;
    const char *family = default_family(lower);
    if (!family)
        return rds_get_or_err(r, &rds_kind_pg, lower, g);
    char desc[300];
    snprintf(desc, sizeof desc, "Default parameter group for %s", family);
    rds_res_init(g, &rds_kind_pg, lower, NULL);
    group_doc(r, g, family, desc);
    return 0;
}

json_t *rds_op_CreateDBParameterGroup(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "DBParameterGroupName"), *family = dd_in_str(in, "DBParameterGroupFamily");
    const char *engine;
    struct rds_res g;
    if (rds_identifier_or_err(r, "DBParameterGroupName", name, 255))
        return NULL;
    if (!rds_family_engine(family, &engine))
        return dd_fail(r, 400, "InvalidParameterValue", "Invalid DB parameter group family: %s", family);
    if (rds_load(r, &rds_kind_pg, name, &g) == 0) {
        dd_fail(r, 400, "DBParameterGroupAlreadyExists", "Parameter group %s already exists", g.name);
        rds_res_free(&g);
        return NULL;
    }
    rds_res_init(&g, &rds_kind_pg, name, NULL);
    group_doc(r, &g, family, dd_in_str(in, "Description"));
    char *arn = rds_arn(r, &rds_kind_pg, g.name);
    json_t *out = NULL;
    if (rds_tags_add(r, arn, json_object_get(in, "Tags")) == 0) {
        rds_res_save(r, &g);
        out = json_pack("{s:o}", "DBParameterGroup", rds_public(r, &g, false));
    }
    free(arn);
    rds_res_free(&g);
    return out;
}

json_t *rds_op_DescribeDBParameterGroups(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "DBParameterGroupName");
    if (!name)
        return rds_describe(r, in, &rds_kind_pg, "DBParameterGroups", false, NULL, NULL);
    struct rds_res g;
    if (group_get_or_err(r, name, &g))
        return NULL;
    json_t *out = json_pack("{s:[o]}", "DBParameterGroups", rds_public(r, &g, false));
    rds_res_free(&g);
    return out;
}

/* Instances using a parameter group (ctx: {"name": ..., "user": first one found}). */
static void find_member(struct dd_request *r, struct rds_res *db, void *ctx)
{
    (void)r;
    json_t *group = json_array_get(json_object_get(db->doc, "DBParameterGroups"), 0);
    if (!json_object_get(ctx, "user") && strcmp(dd_in_str(group, "DBParameterGroupName"), dd_in_str(ctx, "name")) == 0)
        json_object_set_new(ctx, "user", json_string(db->name));
}

json_t *rds_op_DeleteDBParameterGroup(struct dd_request *r, json_t *in)
{
    struct rds_res g;
    if (group_get_or_err(r, dd_in_str(in, "DBParameterGroupName"), &g))
        return NULL;
    json_t *ctx = json_pack("{s:s}", "name", g.name), *out = NULL;
    rds_each(r, &rds_kind_db, NULL, find_member, ctx);
    if (default_family(g.name))
        dd_fail(r, 400, "InvalidDBParameterGroupState", "Default DBParameterGroup cannot be deleted: %s", g.name);
    else if (json_object_get(ctx, "user"))
        dd_fail(r, 400, "InvalidDBParameterGroupState",
                "One or more database instances are still members of this parameter group %s, so the group cannot be "
                "deleted",
                g.name);
    else {
        rds_res_delete(r, &g);
        out = json_object();
    }
    json_decref(ctx);
    rds_res_free(&g);
    return out;
}

/* ---- parameters ---------------------------------------------------------------------- */

/* The engine-default parameters of a family (borrowed array; NULL when unknown, which iterates as empty). */
static json_t *family_parameters(const char *family)
{
    const char *engine = NULL;
    rds_family_engine(family, &engine);
    return engine ? json_object_get(json_object_get(rds_fixture(), "parameters"), engine) : NULL;
}

/* The fixture entry of `name` in a family (borrowed) or NULL. */
static json_t *parameter_def(const char *family, const char *name)
{
    json_t *list = family_parameters(family), *p;
    size_t i;
    json_array_foreach(list, i, p)
    {
        if (name && strcmp(dd_in_str(p, "ParameterName"), name) == 0)
            return p;
    }
    return NULL;
}

/* One Parameter as DescribeDBParameters shows it in group `g` (new). */
static json_t *parameter_doc(struct rds_res *g, json_t *def)
{
    json_t *p = json_deep_copy(def);
    json_t *user = json_object_get(json_object_get(g->doc, "_params"), dd_in_str(def, "ParameterName"));
    json_object_set_new(p, "Source", json_string(user ? "user" : "engine-default"));
    json_object_set_new(p, "ApplyMethod", json_string(user ? dd_in_str(user, "method") : "pending-reboot"));
    if (user)
        json_object_set(p, "ParameterValue", json_object_get(user, "value"));
    return p;
}

json_t *rds_op_DescribeDBParameters(struct dd_request *r, json_t *in)
{
    struct rds_res g;
    if (group_get_or_err(r, dd_in_str(in, "DBParameterGroupName"), &g))
        return NULL;
    const char *source = dd_in_str(in, "Source");
    json_t *items = json_array(), *def;
    size_t i;
    json_array_foreach(family_parameters(dd_in_str(g.doc, "DBParameterGroupFamily")), i, def)
    {
        json_t *p = parameter_doc(&g, def);
        if (!source || strcmp(source, dd_in_str(p, "Source")) == 0)
            json_array_append(items, p);
        json_decref(p);
    }
    rds_res_free(&g);
    return rds_page_list(r, in, items, "Parameters");
}

/* Whether `value` fits AllowedValues: a range "a-b" of numbers, or a comma list (each item for lists). */
static bool value_allowed(json_t *def, const char *value)
{
    const char *allowed = dd_in_str(def, "AllowedValues"), *type = dd_in_str(def, "DataType");
    if (!allowed || value[0] == '{') /* formulas are the engine's to evaluate */
        return true;
    if (strcmp(type, "integer") == 0 || strcmp(type, "float") == 0) {
        char *end, *dash;
        double lo = strtod(allowed, &dash), hi = *dash == '-' ? strtod(dash + 1, NULL) : lo;
        double v = strtod(value, &end);
        return *value && !*end && v >= lo && v <= hi && (strcmp(type, "float") == 0 || !strpbrk(value, ".eE"));
    }
    char *items = strdup(value);
    bool ok = true;
    for (char *save, *item = strtok_r(items, ",", &save); item && ok; item = strtok_r(NULL, ",", &save)) {
        size_t n = strlen(item);
        const char *p = allowed;
        bool found = false;
        while (p && *p && !found) {
            found = strncmp(p, item, n) == 0 && (p[n] == ',' || p[n] == '\0');
            p = strchr(p, ',');
            p = p ? p + 1 : NULL;
        }
        ok = found && (strcmp(type, "list") == 0 || strchr(value, ',') == NULL);
    }
    free(items);
    return ok;
}

/* Checks one Parameter of a Modify call against its definition: 0, or -1 with AWS's error. */
static int parameter_change_or_err(struct dd_request *r, const char *family, json_t *p)
{
    const char *name = dd_in_str(p, "ParameterName"), *value = dd_in_str(p, "ParameterValue");
    const char *method = dd_in_str(p, "ApplyMethod");
    json_t *def = parameter_def(family, name);
    if (!def)
        return dd_reject(r, 400, "InvalidParameterValue", "Could not find parameter with name: %s", name ? name : "");
    if (!dd_in_bool(def, "IsModifiable"))
        return dd_reject(r, 400, "InvalidParameterValue", "The parameter %s cannot be modified.", name);
    if (method && strcmp(method, "immediate") == 0 && strcmp(dd_in_str(def, "ApplyType"), "static") == 0)
        return dd_reject(r, 400, "InvalidParameterCombination",
                         "cannot use immediate apply method for static parameter");
    if (!value || !value_allowed(def, value))
        return dd_reject(r, 400, "InvalidParameterValue", "Value: %s is outside of range: %s for parameter: %s",
                         value ? value : "", dd_in_str(def, "AllowedValues") ? dd_in_str(def, "AllowedValues") : "",
                         name);
    return 0;
}

/* The method a change is applied with: the call's, else what the parameter's ApplyType allows. */
static const char *apply_method(const char *family, json_t *p)
{
    const char *method = dd_in_str(p, "ApplyMethod");
    if (method)
        return method;
    return strcmp(dd_in_str(parameter_def(family, dd_in_str(p, "ParameterName")), "ApplyType"), "static") == 0
               ? "pending-reboot"
               : "immediate";
}

/* Loads a group the user may change (not a default one): 0, or -1 with the error. */
static int user_group_or_err(struct dd_request *r, json_t *in, struct rds_res *g)
{
    if (group_get_or_err(r, dd_in_str(in, "DBParameterGroupName"), g))
        return -1;
    if (default_family(g->name)) {
        rds_res_free(g);
        return dd_reject(r, 400, "InvalidParameterValue", "Cannot modify a default parameter group.");
    }
    if (json_array_size(json_object_get(in, "Parameters")) > MAX_PARAMETERS_PER_CALL) {
        rds_res_free(g);
        return dd_reject(r, 400, "InvalidParameterValue",
                         "Cannot modify more than 20 parameters in a single request.");
    }
    return 0;
}

json_t *rds_op_ModifyDBParameterGroup(struct dd_request *r, json_t *in)
{
    struct rds_res g;
    if (user_group_or_err(r, in, &g))
        return NULL;
    const char *family = dd_in_str(g.doc, "DBParameterGroupFamily");
    json_t *params = json_object_get(in, "Parameters"), *p, *user = json_object_get(g.doc, "_params"), *out = NULL;
    bool reboot = false;
    size_t i;
    json_array_foreach(params, i, p)
    {
        if (parameter_change_or_err(r, family, p))
            goto cleanup;
    }
    json_array_foreach(params, i, p)
    {
        const char *method = apply_method(family, p);
        reboot |= strcmp(method, "pending-reboot") == 0;
        json_object_set_new(user, dd_in_str(p, "ParameterName"),
                            json_pack("{s:s, s:s}", "value", dd_in_str(p, "ParameterValue"), "method", method));
    }
    rds_res_save(r, &g);
    if (reboot)
        rds_param_group_changed(r, g.name);
    out = json_pack("{s:s}", "DBParameterGroupName", g.name);
cleanup:
    rds_res_free(&g);
    return out;
}

json_t *rds_op_ResetDBParameterGroup(struct dd_request *r, json_t *in)
{
    struct rds_res g;
    if (user_group_or_err(r, in, &g))
        return NULL;
    const char *family = dd_in_str(g.doc, "DBParameterGroupFamily");
    json_t *user = json_object_get(g.doc, "_params"), *p, *out = NULL;
    bool reboot = false;
    size_t i;
    if (dd_in_bool(in, "ResetAllParameters")) {
        reboot = json_object_size(user) > 0;
        json_object_clear(user);
    }
    json_array_foreach(json_object_get(in, "Parameters"), i, p)
    {
        const char *name = dd_in_str(p, "ParameterName");
        if (!parameter_def(family, name)) {
            dd_fail(r, 400, "InvalidParameterValue", "Could not find parameter with name: %s", name ? name : "");
            goto cleanup;
        }
        if (json_object_get(user, name)) {
            reboot |= strcmp(apply_method(family, p), "pending-reboot") == 0;
            json_object_del(user, name);
        }
    }
    rds_res_save(r, &g);
    if (reboot)
        rds_param_group_changed(r, g.name);
    out = json_pack("{s:s}", "DBParameterGroupName", g.name);
cleanup:
    rds_res_free(&g);
    return out;
}

/* ---- what instances ask ------------------------------------------------------------------ */

int rds_param_group_for_instance(struct dd_request *r, const char *name, const char *family, char out[256])
{
    char dflt[80];
    struct rds_res g;
    snprintf(dflt, sizeof dflt, "default.%s", family);
    if (group_get_or_err(r, name ? name : dflt, &g))
        return -1;
    const char *has = dd_in_str(g.doc, "DBParameterGroupFamily");
    int rc = 0;
    if (strcmp(has, family) != 0)
        rc = dd_reject(r, 400, "InvalidParameterCombination",
                       "The Parameter Group %s with DBParameterGroupFamily %s cannot be used for this instance. Please "
                       "use a Parameter Group with DBParameterGroupFamily %s",
                       g.name, has, family);
    else if (!g.seq) /* a default group, used for the first time */
        rds_res_save(r, &g);
    snprintf(out, 256, "%s", g.name);
    rds_res_free(&g);
    return rc;
}

static void mark_pending_reboot(struct dd_request *r, struct rds_res *db, void *ctx)
{
    json_t *group = json_array_get(json_object_get(db->doc, "DBParameterGroups"), 0);
    if (strcmp(dd_in_str(group, "DBParameterGroupName"), ctx) != 0)
        return;
    json_object_set_new(group, "ParameterApplyStatus", json_string("pending-reboot"));
    rds_res_save(r, db);
}

void rds_param_group_changed(struct dd_request *r, const char *name)
{
    rds_each(r, &rds_kind_db, NULL, mark_pending_reboot, (void *)name);
}
