/*
 * autoscaling.c - Amazon EC2 Auto Scaling: the service table and schema, the store of groups, scaling activities, tags,
 * and the processes a group can suspend. Groups and their instances live in autoscaling_group.c, scaling policies in
 * autoscaling_policy.c (see autoscaling_internal.h for the state).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "autoscaling_internal.h"
#include "sim.h"

/* ---- schema ------------------------------------------------------------------------------------------ */

static const char SCHEMA_1[] =
    "CREATE TABLE asg_group (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL, seq "
    "INTEGER NOT NULL, PRIMARY KEY (account, region, name)) WITHOUT ROWID;CREATE TABLE asg_instance (account TEXT NOT "
    "NULL, region TEXT NOT NULL, id TEXT NOT NULL, grp TEXT NOT NULL, zone TEXT NOT NULL, type TEXT NOT NULL, state "
    "TEXT NOT NULL, health TEXT NOT NULL, protected INTEGER NOT NULL, launch_ms INTEGER NOT NULL, template TEXT, "
    "PRIMARY KEY (account, region, id)) WITHOUT ROWID;CREATE INDEX asg_instance_grp ON asg_instance (account, region, "
    "grp, launch_ms);CREATE TABLE asg_activity (seq INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
    "grp TEXT NOT NULL, id TEXT NOT NULL, description TEXT NOT NULL, cause TEXT NOT NULL, status TEXT NOT NULL, "
    "message TEXT, start_ms INTEGER NOT NULL, end_ms INTEGER);CREATE INDEX asg_activity_grp ON asg_activity (account, "
    "region, grp, seq);CREATE INDEX asg_activity_id ON asg_activity (account, region, id);CREATE TABLE asg_policy "
    "(account TEXT NOT NULL, region TEXT NOT NULL, grp TEXT NOT NULL, name TEXT NOT NULL, arn TEXT NOT NULL, doc TEXT "
    "NOT NULL, created_ms INTEGER NOT NULL, scaled_ms INTEGER, PRIMARY KEY (account, region, grp, name)) WITHOUT "
    "ROWID;CREATE UNIQUE INDEX asg_policy_arn ON asg_policy (account, region, arn);";

static const char *const schema[] = {SCHEMA_1, NULL};

static const char SQL_GROUP[] = "SELECT doc FROM asg_group WHERE account=?1 AND region=?2 AND name=?3";
static const char SQL_GROUP_NAMES[] = "SELECT name FROM asg_group WHERE account=?1 AND region=?2 ORDER BY seq";
static const char SQL_GROUP_SAVE[] =
    "INSERT INTO asg_group (account, region, name, doc, seq) VALUES (?1, ?2, ?3, ?4, (SELECT coalesce(max(seq), 0) + 1 "
    "FROM asg_group)) ON CONFLICT (account, region, name) DO UPDATE SET doc=?4";
static const char SQL_ACTIVITY_ADD[] =
    "INSERT INTO asg_activity (account, region, grp, id, description, cause, status, message, start_ms, end_ms) VALUES "
    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)";
#define ACTIVITY_COLS "grp, id, description, cause, status, message, start_ms, end_ms"
static const char SQL_ACTIVITY[] =
    "SELECT " ACTIVITY_COLS " FROM asg_activity WHERE account=?1 AND region=?2 AND id=?3";
static const char SQL_ACTIVITIES[] =
    "SELECT " ACTIVITY_COLS " FROM asg_activity WHERE account=?1 AND region=?2 AND (?3 IS NULL OR grp=?3) AND (?4 IS "
    "NULL OR id IN (SELECT value FROM json_each(?4))) ORDER BY seq DESC";

/* ---- groups in the store ----------------------------------------------------------------------------- */

int asg_group_load(struct dd_request *r, const char *name, struct asg_group *g)
{
    memset(g, 0, sizeof *g);
    if (!name)
        return 1;
    sqlite3_stmt *st = dd_stmt(r, SQL_GROUP);
    store_bind_text(st, 3, name);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(g->name, sizeof g->name, "%s", name);
        g->doc = json_loads(store_col_text(st, 0), 0, NULL);
    }
    sqlite3_reset(st);
    return g->doc ? 0 : 1;
}

int asg_group_or_err(struct dd_request *r, const char *name, struct asg_group *g)
{
    if (asg_group_load(r, name, g) == 0)
        return 0;
    return dd_reject(r, 400, "ValidationError", "AutoScalingGroup name not found - AutoScalingGroup %s not found",
                     name ? name : "");
}

int asg_group_save(struct dd_request *r, const struct asg_group *g)
{
    char *doc = json_dumps(g->doc, JSON_COMPACT);
    sqlite3_stmt *st = dd_stmt(r, SQL_GROUP_SAVE);
    store_bind_text(st, 3, g->name);
    store_bind_text(st, 4, doc);
    free(doc);
    return dd_exec(r, st);
}

void asg_group_free(struct asg_group *g)
{
    json_decref(g->doc);
    g->doc = NULL;
}

/* The names of every group of the account and region (new reference), so callers may run statements of their own while
 * walking them. */
json_t *asg_group_names(struct dd_request *r)
{
    json_t *names = json_array();
    sqlite3_stmt *st = dd_stmt(r, SQL_GROUP_NAMES);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(names, json_string(store_col_text(st, 0)));
    sqlite3_reset(st);
    return names;
}

void asg_iso(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int asg_poke(struct dd_request *r, const char *name, int64_t delay_ms)
{
    sim_cancel(r, ASG_RECONCILE_EVENT, name);
    return sim_schedule(r, delay_ms, ASG_RECONCILE_EVENT, name, NULL);
}

/* ---- scaling activities ------------------------------------------------------------------------------ */

int asg_activity_add(struct dd_request *r, const char *group, const char *description, const char *cause,
                     const char *status, const char *message, char id_out[37])
{
    char id[37];
    dd_uuid(id);
    sqlite3_stmt *st = dd_stmt(r, SQL_ACTIVITY_ADD);
    store_bind_text(st, 3, group);
    store_bind_text(st, 4, id);
    store_bind_text(st, 5, description);
    store_bind_text(st, 6, cause);
    store_bind_text(st, 7, status);
    store_bind_text(st, 8, message);
    sqlite3_bind_int64(st, 9, r->now_ms);
    if (id_out)
        memcpy(id_out, id, sizeof id);
    return dd_exec(r, st);
}

static json_t *activity_row(sqlite3_stmt *st)
{
    const char *status = store_col_text(st, 4);
    json_t *a =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:i}", "ActivityId", store_col_text(st, 1),
                  "AutoScalingGroupName", store_col_text(st, 0), "Description", store_col_text(st, 2), "Cause",
                  store_col_text(st, 3), "StatusCode", status, "StartTime", dd_time(sqlite3_column_int64(st, 6)),
                  "Details", "{}", "Progress", strcmp(status, "InProgress") == 0 ? 50 : 100);
    if (store_col_text(st, 5))
        json_object_set_new(a, "StatusMessage", json_string(store_col_text(st, 5)));
    if (sqlite3_column_type(st, 7) != SQLITE_NULL)
        json_object_set_new(a, "EndTime", dd_time(sqlite3_column_int64(st, 7)));
    return a;
}

json_t *asg_activity_json(struct dd_request *r, const char *id)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_ACTIVITY);
    store_bind_text(st, 3, id);
    json_t *a = sqlite3_step(st) == SQLITE_ROW ? activity_row(st) : NULL;
    sqlite3_reset(st);
    return a;
}

json_t *asg_page(json_t *in, json_t *items, const char *member, json_int_t dflt)
{
    json_t *paging = json_pack("{s:s?, s:I}", "nextToken", dd_in_str(in, "NextToken"), "MaxRecords",
                               dd_in_int(in, "MaxRecords", dflt));
    json_t *out = dd_page(paging, items, member, "MaxRecords", dflt);
    json_decref(paging);
    json_t *next = json_object_get(out, "nextToken");
    if (next) {
        json_object_set(out, "NextToken", next);
        json_object_del(out, "nextToken");
    }
    return out;
}

json_t *asg_op_DescribeScalingActivities(struct dd_request *r, json_t *in)
{
    json_t *ids = json_object_get(in, "ActivityIds");
    char *ids_json = json_array_size(ids) ? json_dumps(ids, JSON_COMPACT) : NULL;
    const char *name = dd_in_str(in, "AutoScalingGroupName");
    struct asg_group g;
    if (name && asg_group_load(r, name, &g)) {
        free(ids_json);
        return dd_fail(r, 400, "ValidationError", "AutoScalingGroup name not found - AutoScalingGroup %s not found",
                       name);
    }
    if (name)
        asg_group_free(&g);
    sqlite3_stmt *st = dd_stmt(r, SQL_ACTIVITIES);
    store_bind_text(st, 3, name);
    store_bind_text(st, 4, ids_json);
    json_t *items = json_array();
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(items, activity_row(st));
    sqlite3_reset(st);
    free(ids_json);
    return asg_page(in, items, "Activities", 100);
}

/* ---- processes --------------------------------------------------------------------------------------- */

static const char *const PROCESSES[] = {"Launch",          "Terminate",   "AddToLoadBalancer", "AlarmNotification",
                                        "AZRebalance",     "HealthCheck", "InstanceRefresh",   "ReplaceUnhealthy",
                                        "ScheduledActions"};
#define PROCESS_COUNT (sizeof PROCESSES / sizeof *PROCESSES)

bool asg_suspended(const struct asg_group *g, const char *process)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(g->doc, "SuspendedProcesses"), i, p)
    {
        if (strcmp(dd_in_str(p, "ProcessName"), process) == 0)
            return true;
    }
    return false;
}

/* The processes a Suspend/ResumeProcesses call names (all when none), or NULL with AWS's error. */
static json_t *processes_named(struct dd_request *r, json_t *in)
{
    json_t *given = json_object_get(in, "ScalingProcesses"), *out = json_array(), *p;
    size_t i, k;
    if (!json_array_size(given)) {
        for (k = 0; k < PROCESS_COUNT; k++)
            json_array_append_new(out, json_string(PROCESSES[k]));
        return out;
    }
    json_array_foreach(given, i, p)
    {
        for (k = 0; k < PROCESS_COUNT && strcmp(PROCESSES[k], json_string_value(p)) != 0; k++)
            ;
        if (k == PROCESS_COUNT) {
            json_decref(out);
            return dd_fail(r, 400, "ValidationError", "Process %s is invalid", json_string_value(p));
        }
        json_array_append(out, p);
    }
    return out;
}

static json_t *processes_change(struct dd_request *r, json_t *in, bool suspend)
{
    struct asg_group g;
    if (asg_group_or_err(r, dd_in_str(in, "AutoScalingGroupName"), &g))
        return NULL;
    json_t *names = processes_named(r, in);
    if (!names) {
        asg_group_free(&g);
        return NULL;
    }
    json_t *now = json_object_get(g.doc, "SuspendedProcesses"), *kept = json_array(), *p, *n;
    size_t i, k;
    char at[32], reason[64];
    json_array_foreach(now, i, p)
    {
        bool named = false;
        json_array_foreach(names, k, n) named = named || strcmp(json_string_value(n), dd_in_str(p, "ProcessName")) == 0;
        if (suspend || !named)
            json_array_append(kept, p);
    }
    asg_iso(r->now_ms, at);
    snprintf(reason, sizeof reason, "User suspended at %s", at);
    json_array_foreach(names, k, n)
    {
        if (suspend && !asg_suspended(&g, json_string_value(n)))
            json_array_append_new(kept, json_pack("{s:O, s:s}", "ProcessName", n, "SuspensionReason", reason));
    }
    json_decref(names);
    json_object_set_new(g.doc, "SuspendedProcesses", kept);
    int rc = asg_group_save(r, &g) || (!suspend && asg_poke(r, g.name, 0));
    asg_group_free(&g);
    return rc ? NULL : json_object();
}

json_t *asg_op_SuspendProcesses(struct dd_request *r, json_t *in)
{
    return processes_change(r, in, true);
}

json_t *asg_op_ResumeProcesses(struct dd_request *r, json_t *in)
{
    return processes_change(r, in, false);
}

json_t *asg_op_DescribeScalingProcessTypes(struct dd_request *r, json_t *in)
{
    (void)r, (void)in;
    json_t *items = json_array();
    for (size_t k = 0; k < PROCESS_COUNT; k++)
        json_array_append_new(items, json_pack("{s:s}", "ProcessName", PROCESSES[k]));
    return json_pack("{s:o}", "Processes", items);
}

/* ---- tags -------------------------------------------------------------------------------------------- */

int asg_tags_apply(struct dd_request *r, json_t *tags, bool delete)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        const char *type = dd_in_str(t, "ResourceType"), *key = dd_in_str(t, "Key");
        struct asg_group g;
        if (type && strcmp(type, "auto-scaling-group") != 0)
            return dd_reject(r, 400, "ValidationError", "Invalid resource type: %s", type);
        if (asg_group_or_err(r, dd_in_str(t, "ResourceId"), &g))
            return -1;
        json_t *list = json_object_get(g.doc, "Tags"), *kept = json_array(), *old;
        size_t k;
        json_array_foreach(list, k, old)
        {
            if (strcmp(dd_in_str(old, "Key"), key) != 0)
                json_array_append(kept, old);
        }
        if (!delete)
            json_array_append_new(kept, json_pack("{s:s, s:s, s:s, s:s, s:b}", "ResourceId", g.name, "ResourceType",
                                                  "auto-scaling-group", "Key", key, "Value",
                                                  dd_in_str(t, "Value") ? dd_in_str(t, "Value") : "",
                                                  "PropagateAtLaunch", dd_in_bool(t, "PropagateAtLaunch")));
        if (json_array_size(kept) > 50) {
            json_decref(kept);
            asg_group_free(&g);
            return dd_reject(r, 400, "LimitExceeded", "The quota for tags per resource has been exceeded.");
        }
        json_object_set_new(g.doc, "Tags", kept);
        int rc = asg_group_save(r, &g);
        asg_group_free(&g);
        if (rc)
            return -1;
    }
    return 0;
}

json_t *asg_op_CreateOrUpdateTags(struct dd_request *r, json_t *in)
{
    return asg_tags_apply(r, json_object_get(in, "Tags"), false) ? NULL : json_object();
}

json_t *asg_op_DeleteTags(struct dd_request *r, json_t *in)
{
    return asg_tags_apply(r, json_object_get(in, "Tags"), true) ? NULL : json_object();
}

/* Whether `value` is among the filter's Values. */
static bool filter_has(json_t *filter, const char *value)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(filter, "Values"), i, v)
    {
        if (value && strcmp(json_string_value(v), value) == 0)
            return true;
    }
    return false;
}

static bool tag_matches(json_t *tag, json_t *filters)
{
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f)
    {
        const char *name = dd_in_str(f, "Name"), *member = NULL;
        if (strcmp(name, "auto-scaling-group") == 0)
            member = "ResourceId";
        else if (strcmp(name, "key") == 0)
            member = "Key";
        else if (strcmp(name, "value") == 0)
            member = "Value";
        if (member && !filter_has(f, dd_in_str(tag, member)))
            return false;
        if (strcmp(name, "propagate-at-launch") == 0 &&
            !filter_has(f, dd_in_bool(tag, "PropagateAtLaunch") ? "true" : "false"))
            return false;
    }
    return true;
}

json_t *asg_op_DescribeTags(struct dd_request *r, json_t *in)
{
    json_t *names = asg_group_names(r), *items = json_array(), *n, *t;
    size_t i, k;
    json_array_foreach(names, i, n)
    {
        struct asg_group g;
        if (asg_group_load(r, json_string_value(n), &g))
            continue;
        json_array_foreach(json_object_get(g.doc, "Tags"), k, t)
        {
            if (tag_matches(t, json_object_get(in, "Filters")))
                json_array_append(items, t);
        }
        asg_group_free(&g);
    }
    json_decref(names);
    return asg_page(in, items, "Tags", 50);
}

/* ---- lifecycle hooks: none are kept ------------------------------------------------------------------ */

json_t *asg_op_DescribeLifecycleHooks(struct dd_request *r, json_t *in)
{
    struct asg_group g;
    if (asg_group_or_err(r, dd_in_str(in, "AutoScalingGroupName"), &g))
        return NULL;
    asg_group_free(&g);
    return json_pack("{s:[]}", "LifecycleHooks");
}

/* ---- the service ------------------------------------------------------------------------------------- */

#define ASG_ROW(op, flags) {#op, asg_op_##op, flags},
static const struct dd_handler handlers[] = {ASG_HANDLERS(ASG_ROW)};
#undef ASG_ROW

static const struct sim_kind events[] = {
    {ASG_RECONCILE_EVENT, asg_reconcile},
};

const struct dd_service dd_service_autoscaling = {
    .model_id = "autoscaling",
    .handlers = handlers,
    .handler_count = sizeof handlers / sizeof *handlers,
    .validation_code = "ValidationError",
    .schema = schema,
    .events = events,
    .event_count = sizeof events / sizeof *events,
};
