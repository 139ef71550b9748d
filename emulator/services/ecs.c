/*
 * ecs.c - Amazon ECS: the service table, clusters, tags, account settings and
 * the admin actions. Task definitions, services, tasks and the simulation
 * live in ecs_taskdef.c, ecs_service.c, ecs_task.c and ecs_sim.c (see
 * ecs_internal.h for the state).
 *
 * Admin actions (POST /_drydock/ecs/<action>, JSON body; "account" and
 * "region" optional):
 *   stop-task             {"cluster", "task", "exit_code": 137, "reason": "..."}
 *                         the task's essential container exits as if it crashed:
 *                         stopCode EssentialContainerExited, stoppedReason
 *                         "Essential container in task exited", the container's
 *                         exitCode and reason as given (default 1 / none).
 *   fail-task-definition  {"taskDefinition": "family:3", "reason": "...", "clear": false}
 *                         tasks of that revision stop before RUNNING with
 *                         stopCode TaskFailedToStart and the reason (default a
 *                         CannotPullContainerError); "clear": true undoes it.
 *                         This is how a deployment is made to fail (circuit breaker).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim.h"
#include "../../protocol/buf.h"
#include "ecs_internal.h"

#define MAX_TAGS 50

/* ---- schema ------------------------------------------------------------------------------------ */

static const char SCHEMA_1[] =
    "CREATE TABLE ecs_cluster ("
    " account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, arn TEXT NOT NULL,"
    " doc TEXT NOT NULL, PRIMARY KEY (account, region, name)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX ecs_cluster_arn ON ecs_cluster (account, region, arn);"
    "CREATE TABLE ecs_taskdef ("
    " account TEXT NOT NULL, region TEXT NOT NULL, family TEXT NOT NULL, revision INTEGER NOT NULL,"
    " arn TEXT NOT NULL, status TEXT NOT NULL, fail TEXT, doc TEXT NOT NULL,"
    " PRIMARY KEY (account, region, family, revision)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX ecs_taskdef_arn ON ecs_taskdef (account, region, arn);"
    "CREATE INDEX ecs_taskdef_status ON ecs_taskdef (account, region, status, family, revision);"
    "CREATE TABLE ecs_service ("
    " account TEXT NOT NULL, region TEXT NOT NULL, cluster TEXT NOT NULL, name TEXT NOT NULL,"
    " arn TEXT NOT NULL, status TEXT NOT NULL, seq INTEGER NOT NULL, doc TEXT NOT NULL,"
    " PRIMARY KEY (account, region, cluster, name)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX ecs_service_arn ON ecs_service (account, region, arn);"
    "CREATE TABLE ecs_task ("
    " seq INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, arn TEXT NOT NULL,"
    " cluster TEXT NOT NULL, service TEXT, deployment TEXT, family TEXT NOT NULL, started_by TEXT,"
    " launch_type TEXT, last_status TEXT NOT NULL, desired_status TEXT NOT NULL, doc TEXT NOT NULL);"
    "CREATE UNIQUE INDEX ecs_task_arn ON ecs_task (account, region, arn);"
    "CREATE INDEX ecs_task_cluster ON ecs_task (account, region, cluster, desired_status, seq);"
    "CREATE INDEX ecs_task_service ON ecs_task (account, region, cluster, service, deployment, last_status);"
    "CREATE TABLE ecs_setting ("
    " account TEXT NOT NULL, region TEXT NOT NULL, principal TEXT NOT NULL, name TEXT NOT NULL,"
    " value TEXT NOT NULL, PRIMARY KEY (account, region, principal, name)) WITHOUT ROWID;";

/* Container instances (ecs_instance.c), and the instance each EC2 task runs on. */
static const char SCHEMA_2[] =
    "CREATE TABLE ecs_instance ("
    " seq INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, cluster TEXT NOT NULL,"
    " arn TEXT NOT NULL, ec2_id TEXT NOT NULL, status TEXT NOT NULL, doc TEXT NOT NULL);"
    "CREATE UNIQUE INDEX ecs_instance_arn ON ecs_instance (account, region, arn);"
    "CREATE INDEX ecs_instance_cluster ON ecs_instance (account, region, cluster, status, seq);"
    "CREATE INDEX ecs_instance_ec2 ON ecs_instance (account, region, ec2_id);"
    "ALTER TABLE ecs_task ADD COLUMN container_instance TEXT;"
    "CREATE INDEX ecs_task_instance ON ecs_task (account, region, container_instance, desired_status);";

/* Capacity providers backed by an Auto Scaling group (ecs_capacity.c). */
static const char SCHEMA_3[] =
    "CREATE TABLE ecs_capacity ("
    " account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, arn TEXT NOT NULL, grp TEXT NOT NULL,"
    " doc TEXT NOT NULL, PRIMARY KEY (account, region, name)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX ecs_capacity_grp ON ecs_capacity (account, region, grp);";

static const char *const schema[] = {SCHEMA_1, SCHEMA_2, SCHEMA_3, NULL};

static const char SQL_CLUSTER[] = "SELECT doc FROM ecs_cluster WHERE account=?1 AND region=?2 AND name=?3";
static const char SQL_CLUSTERS[] = "SELECT arn FROM ecs_cluster WHERE account=?1 AND region=?2 ORDER BY arn";
static const char SQL_PUT_CLUSTER[] = "INSERT INTO ecs_cluster (account, region, name, arn, doc) VALUES (?1, ?2, ?3, ?4, ?5)"
                                      " ON CONFLICT (account, region, name) DO UPDATE SET doc=excluded.doc";
static const char SQL_DELETE_CLUSTER[] = "DELETE FROM ecs_cluster WHERE account=?1 AND region=?2 AND name=?3";
static const char SQL_LIVE_TASKS[] =
    "SELECT count(*) FROM ecs_task WHERE account=?1 AND region=?2 AND cluster=?3 AND last_status<>'STOPPED'";

static const char SQL_SETTING_PUT[] = "INSERT INTO ecs_setting (account, region, principal, name, value)"
                                      " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (account, region, principal, name)"
                                      " DO UPDATE SET value=excluded.value";
static const char SQL_SETTING_GET[] =
    "SELECT value FROM ecs_setting WHERE account=?1 AND region=?2 AND principal=?3 AND name=?4";

/* Documents by ARN, whatever the kind (for tags). ?3 is the ARN. */
struct arn_kind {
    const char *marker; /* ":cluster/" */
    const char *get, *set;
};
static const struct arn_kind arn_kinds[] = {
    {":cluster/", "SELECT doc FROM ecs_cluster WHERE account=?1 AND region=?2 AND arn=?3",
     "UPDATE ecs_cluster SET doc=?4 WHERE account=?1 AND region=?2 AND arn=?3"},
    {":task-definition/", "SELECT doc FROM ecs_taskdef WHERE account=?1 AND region=?2 AND arn=?3",
     "UPDATE ecs_taskdef SET doc=?4 WHERE account=?1 AND region=?2 AND arn=?3"},
    {":service/", "SELECT doc FROM ecs_service WHERE account=?1 AND region=?2 AND arn=?3",
     "UPDATE ecs_service SET doc=?4 WHERE account=?1 AND region=?2 AND arn=?3"},
    {":task/", "SELECT doc FROM ecs_task WHERE account=?1 AND region=?2 AND arn=?3",
     "UPDATE ecs_task SET doc=?4 WHERE account=?1 AND region=?2 AND arn=?3"},
    {":capacity-provider/", "SELECT doc FROM ecs_capacity WHERE account=?1 AND region=?2 AND arn=?3",
     "UPDATE ecs_capacity SET doc=?4 WHERE account=?1 AND region=?2 AND arn=?3"},
};

/* ---- common helpers ----------------------------------------------------------------------------- */

const char *ecs_basename(const char *ref)
{
    const char *slash = ref ? strrchr(ref, '/') : NULL;
    return slash ? slash + 1 : ref;
}

json_t *ecs_public(json_t *doc)
{
    if (json_is_object(doc)) {
        json_t *o = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(doc, k, v)
        {
            if (k[0] != '_')
                json_object_set_new(o, k, ecs_public(v));
        }
        return o;
    }
    if (json_is_array(doc)) {
        json_t *a = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(doc, i, v) json_array_append_new(a, ecs_public(v));
        return a;
    }
    return json_incref(doc);
}

static int verror(struct dd_request *r, const char *code, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return dd_reject(r, 400, code, "%s", msg);
}

int ecs_invalid(struct dd_request *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = verror(r, "InvalidParameterException", fmt, ap);
    va_end(ap);
    return rc;
}

int ecs_client_error(struct dd_request *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = verror(r, "ClientException", fmt, ap);
    va_end(ap);
    return rc;
}

int ecs_tags_check(struct dd_request *r, json_t *tags)
{
    if (json_array_size(tags) > MAX_TAGS)
        return ecs_invalid(r, "The maximum number of tags for a resource is %d.", MAX_TAGS);
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        const char *k = dd_in_str(t, "key");
        if (k && strncasecmp(k, "aws:", 4) == 0)
            return ecs_invalid(r, "Tag keys cannot start with the prefix 'aws:'.");
    }
    return 0;
}

void ecs_tags_merge(json_t *doc, json_t *tags, json_t *keys)
{
    json_t *cur = json_object_get(doc, "tags");
    if (!json_is_array(cur)) {
        cur = json_array();
        json_object_set_new(doc, "tags", cur);
    }
    size_t i, j;
    json_t *t, *k;
    json_array_foreach(tags, i, t)
    {
        const char *key = dd_in_str(t, "key");
        for (j = 0; j < json_array_size(cur); j++)
            if (key && strcmp(dd_in_str(json_array_get(cur, j), "key"), key) == 0)
                break;
        json_t *item = json_pack("{s:s?, s:s}", "key", key, "value",
                                 dd_in_str(t, "value") ? dd_in_str(t, "value") : "");
        if (j < json_array_size(cur))
            json_array_set_new(cur, j, item);
        else
            json_array_append_new(cur, item);
    }
    json_array_foreach(keys, i, k)
    {
        for (j = json_array_size(cur); j-- > 0;)
            if (strcmp(dd_in_str(json_array_get(cur, j), "key"), json_string_value(k)) == 0)
                json_array_remove(cur, j);
    }
}

/* ---- clusters ------------------------------------------------------------------------------------ */

static json_t *cluster_load(struct dd_request *r, const char *name)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_CLUSTER);
    store_bind_text(st, 3, name);
    json_t *doc = sqlite3_step(st) == SQLITE_ROW ? json_loads(store_col_text(st, 0), 0, NULL) : NULL;
    sqlite3_reset(st);
    return doc;
}

static int cluster_save(struct dd_request *r, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    sqlite3_stmt *st = dd_stmt(r, SQL_PUT_CLUSTER);
    store_bind_text(st, 3, dd_in_str(doc, "clusterName"));
    store_bind_text(st, 4, dd_in_str(doc, "clusterArn"));
    store_bind_text(st, 5, text);
    free(text);
    return dd_exec(r, st);
}

int ecs_cluster_get(struct dd_request *r, const char *ref, struct ecs_cluster *out)
{
    const char *name = ref ? ecs_basename(ref) : "default";
    json_t *doc = cluster_load(r, name);
    if (!doc)
        return dd_reject(r, 400, "ClusterNotFoundException", "Cluster not found.");
    snprintf(out->name, sizeof out->name, "%s", name);
    snprintf(out->arn, sizeof out->arn, "%s", dd_in_str(doc, "clusterArn"));
    json_decref(doc);
    return 0;
}

json_t *ecs_cluster_strategy(struct dd_request *r, const char *cluster)
{
    json_t *doc = cluster_load(r, cluster);
    json_t *s = json_object_get(doc, "defaultCapacityProviderStrategy");
    s = s ? json_incref(s) : json_array();
    json_decref(doc);
    return s;
}

/* The Cluster as Describe shows it: counts kept true, optional parts per `include`. */
static json_t *cluster_view(struct dd_request *r, json_t *doc, json_t *include)
{
    const char *name = dd_in_str(doc, "clusterName");
    json_t *o = ecs_public(doc);
    int64_t running = 0, pending = 0;
    ecs_task_counts(r, name, NULL, NULL, &running, &pending);
    json_object_set_new(o, "runningTasksCount", json_integer(running));
    json_object_set_new(o, "pendingTasksCount", json_integer(pending));
    json_object_set_new(o, "activeServicesCount", json_integer(ecs_active_services(r, name)));
    json_object_set_new(o, "registeredContainerInstancesCount", json_integer(ecs_instance_count(r, name)));
    bool tags = false, settings = false, stats = false;
    size_t i;
    json_t *v;
    json_array_foreach(include, i, v)
    {
        tags |= strcmp(json_string_value(v), "TAGS") == 0;
        settings |= strcmp(json_string_value(v), "SETTINGS") == 0;
        stats |= strcmp(json_string_value(v), "STATISTICS") == 0;
    }
    if (!tags)
        json_object_del(o, "tags");
    if (!settings)
        json_object_del(o, "settings");
    if (stats)
        json_object_set_new(o, "statistics",
                            json_pack("[{s:s, s:o}, {s:s, s:o}]", "name", "runningFargateTasksCount", "value",
                                      json_sprintf("%lld", (long long)running), "name", "pendingFargateTasksCount",
                                      "value", json_sprintf("%lld", (long long)pending)));
    return o;
}

static json_t *cluster_out(struct dd_request *r, json_t *doc)
{
    json_t *all = json_pack("[s, s]", "TAGS", "SETTINGS");
    json_t *o = cluster_view(r, doc, all);
    json_decref(all);
    return o;
}

static bool strategy_ok(struct dd_request *r, json_t *providers, json_t *strategy)
{
    size_t i, j;
    json_t *s, *p;
    json_array_foreach(strategy, i, s)
    {
        bool found = false;
        json_array_foreach(providers, j, p) found |= strcmp(json_string_value(p), dd_in_str(s, "capacityProvider")) == 0;
        if (!found) {
            ecs_invalid(r, "The specified capacity provider strategy cannot contain a capacity provider that is not "
                           "associated with the cluster. Associate the capacity provider with the cluster or specify "
                           "a valid capacity provider and try again.");
            return false;
        }
    }
    return true;
}

static int providers_check(struct dd_request *r, json_t *providers, const char *cluster)
{
    size_t i;
    json_t *p;
    json_array_foreach(providers, i, p)
    {
        const char *n = json_string_value(p);
        if (!ecs_capacity_is_fargate(n) && ecs_capacity_usable(r, n, cluster))
            return -1;
    }
    return 0;
}

static int apply_providers(struct dd_request *r, json_t *doc, json_t *in)
{
    json_t *providers = json_object_get(in, "capacityProviders");
    json_t *strategy = json_object_get(in, "defaultCapacityProviderStrategy");
    const char *cluster = dd_in_str(doc, "clusterName");
    if (providers && (providers_check(r, providers, cluster) ||
                      ecs_capacity_sync(r, cluster, json_object_get(doc, "capacityProviders"), providers)))
        return -1;
    if (!providers)
        providers = json_object_get(doc, "capacityProviders");
    if (strategy && !strategy_ok(r, providers, strategy))
        return -1;
    json_object_set(doc, "capacityProviders", providers ? providers : json_array());
    if (strategy)
        json_object_set(doc, "defaultCapacityProviderStrategy", strategy);
    return 0;
}

json_t *ecs_op_CreateCluster(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "clusterName") ? dd_in_str(in, "clusterName") : "default";
    json_t *doc = cluster_load(r, name);
    if (doc) { /* CreateCluster is idempotent */
        json_t *o = cluster_out(r, doc);
        json_decref(doc);
        return json_pack("{s:o}", "cluster", o);
    }
    if (ecs_tags_check(r, json_object_get(in, "tags")))
        return NULL;
    char *arn = dd_arn(r, "ecs", "cluster/%s", name);
    doc = json_pack("{s:s, s:s, s:s, s:i, s:[], s:[], s:[], s:[], s:[{s:s, s:s}]}", "clusterArn", arn, "clusterName",
                    name, "status", "ACTIVE", "registeredContainerInstancesCount", 0, "statistics", "tags",
                    "capacityProviders", "defaultCapacityProviderStrategy", "settings", "name", "containerInsights",
                    "value", "disabled");
    free(arn);
    if (json_object_get(in, "settings"))
        json_object_set(doc, "settings", json_object_get(in, "settings"));
    if (json_object_get(in, "configuration"))
        json_object_set(doc, "configuration", json_object_get(in, "configuration"));
    ecs_tags_merge(doc, json_object_get(in, "tags"), NULL);
    json_t *out = NULL;
    if (apply_providers(r, doc, in) == 0 && cluster_save(r, doc) == 0)
        out = json_pack("{s:o}", "cluster", cluster_out(r, doc));
    json_decref(doc);
    return out;
}

json_t *ecs_op_DescribeClusters(struct dd_request *r, json_t *in)
{
    json_t *names = json_object_get(in, "clusters"), *clusters = json_array(), *failures = json_array();
    json_t *dflt = json_pack("[s]", "default");
    size_t i;
    json_t *ref;
    json_array_foreach(names ? names : dflt, i, ref)
    {
        json_t *doc = cluster_load(r, ecs_basename(json_string_value(ref)));
        if (doc)
            json_array_append_new(clusters, cluster_view(r, doc, json_object_get(in, "include")));
        else
            json_array_append_new(failures, json_pack("{s:s, s:s}", "arn", json_string_value(ref), "reason", "MISSING"));
        json_decref(doc);
    }
    json_decref(dflt);
    return json_pack("{s:o, s:o}", "clusters", clusters, "failures", failures);
}

json_t *ecs_op_ListClusters(struct dd_request *r, json_t *in)
{
    json_t *arns = json_array();
    sqlite3_stmt *st = dd_stmt(r, SQL_CLUSTERS);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(arns, json_string(store_col_text(st, 0)));
    sqlite3_reset(st);
    return dd_page(in, arns, "clusterArns", "maxResults", 100);
}

json_t *ecs_op_DeleteCluster(struct dd_request *r, json_t *in)
{
    struct ecs_cluster c;
    if (ecs_cluster_get(r, dd_in_str(in, "cluster"), &c))
        return NULL;
    if (ecs_active_services(r, c.name) > 0)
        return dd_fail(r, 400, "ClusterContainsServicesException",
                       "The Cluster cannot be deleted while Services are active.");
    if (ecs_instance_count(r, c.name) > 0)
        return dd_fail(r, 400, "ClusterContainsContainerInstancesException",
                       "The Cluster cannot be deleted while Container Instances are active or draining.");
    sqlite3_stmt *st = dd_stmt(r, SQL_LIVE_TASKS);
    store_bind_text(st, 3, c.name);
    if (dd_single_int(st, 0) > 0)
        return dd_fail(r, 400, "ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.");
    json_t *doc = cluster_load(r, c.name);
    json_t *out = cluster_out(r, doc);
    int rc = ecs_capacity_sync(r, c.name, json_object_get(doc, "capacityProviders"), NULL);
    json_decref(doc);
    if (rc) {
        json_decref(out);
        return NULL;
    }
    json_object_set_new(out, "status", json_string("INACTIVE"));
    st = dd_stmt(r, SQL_DELETE_CLUSTER);
    store_bind_text(st, 3, c.name);
    if (dd_exec(r, st)) {
        json_decref(out);
        return NULL;
    }
    return json_pack("{s:o}", "cluster", out);
}

/* UpdateCluster, UpdateClusterSettings and PutClusterCapacityProviders: load, change, save. */
static json_t *cluster_update(struct dd_request *r, json_t *in, int (*change)(struct dd_request *, json_t *, json_t *))
{
    struct ecs_cluster c;
    if (ecs_cluster_get(r, dd_in_str(in, "cluster"), &c))
        return NULL;
    json_t *doc = cluster_load(r, c.name), *out = NULL;
    if (change(r, doc, in) == 0 && cluster_save(r, doc) == 0)
        out = json_pack("{s:o}", "cluster", cluster_out(r, doc));
    json_decref(doc);
    return out;
}

static int change_settings(struct dd_request *r, json_t *doc, json_t *in)
{
    if (json_object_get(in, "settings"))
        json_object_set(doc, "settings", json_object_get(in, "settings"));
    if (json_object_get(in, "configuration"))
        json_object_set(doc, "configuration", json_object_get(in, "configuration"));
    return 0;
}

static int change_providers(struct dd_request *r, json_t *doc, json_t *in)
{
    return apply_providers(r, doc, in);
}

json_t *ecs_op_UpdateCluster(struct dd_request *r, json_t *in)
{
    return cluster_update(r, in, change_settings);
}

json_t *ecs_op_UpdateClusterSettings(struct dd_request *r, json_t *in)
{
    return cluster_update(r, in, change_settings);
}

json_t *ecs_op_PutClusterCapacityProviders(struct dd_request *r, json_t *in)
{
    return cluster_update(r, in, change_providers);
}

/* ---- tags ---------------------------------------------------------------------------------------- */

static const struct arn_kind *arn_kind_of(const char *arn)
{
    for (size_t i = 0; arn && i < sizeof arn_kinds / sizeof *arn_kinds; i++)
        if (strstr(arn, arn_kinds[i].marker))
            return &arn_kinds[i];
    return NULL;
}

static json_t *doc_by_arn(struct dd_request *r, const struct arn_kind *k, const char *arn)
{
    sqlite3_stmt *st = dd_stmt(r, k->get);
    store_bind_text(st, 3, arn);
    json_t *doc = sqlite3_step(st) == SQLITE_ROW ? json_loads(store_col_text(st, 0), 0, NULL) : NULL;
    sqlite3_reset(st);
    return doc;
}

/* The tagged resource's doc (new) or NULL with AWS's error. */
static json_t *tag_target(struct dd_request *r, json_t *in, const struct arn_kind **kind)
{
    const char *arn = dd_in_str(in, "resourceArn");
    *kind = arn_kind_of(arn);
    if (!*kind || strncmp(arn, "arn:aws:ecs:", 12) != 0)
        return dd_fail(r, 400, "InvalidParameterException", "The ARN provided is invalid.");
    json_t *doc = doc_by_arn(r, *kind, arn);
    if (!doc)
        return dd_fail(r, 400, "InvalidParameterException", "The specified resource could not be found.");
    return doc;
}

static json_t *retag(struct dd_request *r, json_t *in, json_t *tags, json_t *keys)
{
    const struct arn_kind *k;
    json_t *doc = tag_target(r, in, &k);
    if (!doc || (tags && ecs_tags_check(r, tags))) {
        json_decref(doc);
        return NULL;
    }
    ecs_tags_merge(doc, tags, keys);
    if (json_array_size(json_object_get(doc, "tags")) > MAX_TAGS) {
        json_decref(doc);
        return dd_fail(r, 400, "InvalidParameterException", "The maximum number of tags for a resource is %d.",
                       MAX_TAGS);
    }
    char *text = json_dumps(doc, JSON_COMPACT);
    sqlite3_stmt *st = dd_stmt(r, k->set);
    store_bind_text(st, 3, dd_in_str(in, "resourceArn"));
    store_bind_text(st, 4, text);
    free(text);
    json_decref(doc);
    return dd_exec(r, st) ? NULL : json_object();
}

json_t *ecs_op_TagResource(struct dd_request *r, json_t *in)
{
    return retag(r, in, json_object_get(in, "tags"), NULL);
}

json_t *ecs_op_UntagResource(struct dd_request *r, json_t *in)
{
    return retag(r, in, NULL, json_object_get(in, "tagKeys"));
}

json_t *ecs_op_ListTagsForResource(struct dd_request *r, json_t *in)
{
    const struct arn_kind *k;
    json_t *doc = tag_target(r, in, &k);
    if (!doc)
        return NULL;
    json_t *tags = json_object_get(doc, "tags");
    json_t *out = json_pack("{s:o}", "tags", tags ? json_incref(tags) : json_array());
    json_decref(doc);
    return out;
}

/* ---- account settings ---------------------------------------------------------------------------- */

static const struct {
    const char *name, *dflt;
} setting_defaults[] = {
    {"serviceLongArnFormat", "enabled"}, {"taskLongArnFormat", "enabled"},
    {"containerInstanceLongArnFormat", "enabled"}, {"awsvpcTrunking", "disabled"},
    {"containerInsights", "disabled"}, {"fargateFIPSMode", "disabled"},
    {"tagResourceAuthorization", "on"}, {"fargateTaskRetirementWaitPeriod", "7"},
    {"guardDutyActivate", "off"},
};

static char *root_arn(struct dd_request *r)
{
    struct dd_buf b = {0};
    buf_printf(&b, "arn:aws:iam::%s:root", r->account);
    return buf_steal(&b);
}

static bool setting_known(const char *name)
{
    for (size_t i = 0; i < sizeof setting_defaults / sizeof *setting_defaults; i++)
        if (strcmp(setting_defaults[i].name, name) == 0)
            return true;
    return false;
}

static json_t *put_setting(struct dd_request *r, json_t *in, const char *principal)
{
    const char *name = dd_in_str(in, "name"), *value = dd_in_str(in, "value");
    if (!setting_known(name))
        return dd_fail(r, 400, "InvalidParameterException", "Invalid setting name: %s", name);
    sqlite3_stmt *st = dd_stmt(r, SQL_SETTING_PUT);
    store_bind_text(st, 3, principal);
    store_bind_text(st, 4, name);
    store_bind_text(st, 5, value);
    if (dd_exec(r, st))
        return NULL;
    return json_pack("{s:{s:s, s:s, s:s, s:s}}", "setting", "name", name, "value", value, "principalArn", principal,
                     "type", "user");
}

json_t *ecs_op_PutAccountSetting(struct dd_request *r, json_t *in)
{
    const char *p = dd_in_str(in, "principalArn");
    char *root = root_arn(r);
    json_t *out = put_setting(r, in, p ? p : (r->caller_arn && *r->caller_arn ? r->caller_arn : root));
    free(root);
    return out;
}

json_t *ecs_op_PutAccountSettingDefault(struct dd_request *r, json_t *in)
{
    char *root = root_arn(r);
    json_t *out = put_setting(r, in, root);
    free(root);
    return out;
}

static const char *setting_value(struct dd_request *r, const char *principal, const char *name, char *buf,
                                 size_t len)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_SETTING_GET);
    store_bind_text(st, 3, principal);
    store_bind_text(st, 4, name);
    const char *v = NULL;
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(buf, len, "%s", store_col_text(st, 0));
        v = buf;
    }
    sqlite3_reset(st);
    return v;
}

json_t *ecs_op_ListAccountSettings(struct dd_request *r, json_t *in)
{
    char *root = root_arn(r);
    const char *principal = dd_in_str(in, "principalArn") ? dd_in_str(in, "principalArn") : root;
    const char *want = dd_in_str(in, "name"), *want_value = dd_in_str(in, "value");
    json_t *items = json_array();
    for (size_t i = 0; i < sizeof setting_defaults / sizeof *setting_defaults; i++) {
        const char *name = setting_defaults[i].name;
        char mine[128], dflt[128];
        const char *v = setting_value(r, principal, name, mine, sizeof mine);
        bool own = v != NULL;
        if (!v)
            v = setting_value(r, root, name, dflt, sizeof dflt);
        if (!v)
            v = setting_defaults[i].dflt;
        if ((want && strcmp(want, name) != 0) || (want_value && strcmp(want_value, v) != 0))
            continue;
        if (!own && !dd_in_bool(in, "effectiveSettings") && strcmp(principal, root) != 0)
            continue;
        json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s}", "name", name, "value", v, "principalArn",
                                               principal, "type", own ? "user" : "aws_managed"));
    }
    free(root);
    return dd_page(in, items, "settings", "maxResults", 100);
}

/* ---- admin actions -------------------------------------------------------------------------------- */

static json_t *admin_stop_task(struct dd_request *r, json_t *p)
{
    struct ecs_cluster c;
    const char *task = dd_in_str(p, "task");
    if (!task)
        return dd_fail(r, 400, "InvalidParameterException", "task is required");
    if (ecs_cluster_get(r, dd_in_str(p, "cluster"), &c))
        return NULL;
    char arn[512];
    if (strncmp(task, "arn:", 4) == 0)
        snprintf(arn, sizeof arn, "%s", task);
    else {
        char *a = dd_arn(r, "ecs", "task/%s/%s", c.name, task);
        snprintf(arn, sizeof arn, "%s", a);
        free(a);
    }
    json_int_t code = dd_in_int(p, "exit_code", 1);
    const char *reason = dd_in_str(p, "reason");
    json_t *t = ecs_task_load(r, arn);
    if (!t)
        return dd_fail(r, 404, "InvalidParameterException", "The referenced task was not found.");
    json_object_set_new(t, "_crash_reason", json_string(reason ? reason : ""));
    ecs_task_save(r, t);
    json_decref(t);
    if (ecs_task_stop(r, arn, "EssentialContainerExited", "Essential container in task exited", (int)code) < 0)
        return NULL;
    return json_pack("{s:s, s:I}", "taskArn", arn, "exitCode", code);
}

static json_t *admin_fail_taskdef(struct dd_request *r, json_t *p)
{
    const char *ref = dd_in_str(p, "taskDefinition");
    const char *reason = dd_in_str(p, "reason");
    if (!ref)
        return dd_fail(r, 400, "InvalidParameterException", "taskDefinition is required");
    if (!reason)
        reason = "CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref: "
                 "not found";
    if (ecs_taskdef_set_failure(r, ref, dd_in_bool(p, "clear") ? NULL : reason))
        return dd_fail(r, 404, "ClientException", "Unable to describe task definition.");
    return json_pack("{s:s, s:b}", "taskDefinition", ref, "failing", !dd_in_bool(p, "clear"));
}

static json_t *ecs_admin(struct dd_request *r, const char *action, json_t *params)
{
    if (strcmp(action, "stop-task") == 0)
        return admin_stop_task(r, params);
    if (strcmp(action, "fail-task-definition") == 0)
        return admin_fail_taskdef(r, params);
    if (strcmp(action, "load") == 0)
        return ecs_admin_load(r, params);
    return dd_fail(r, 404, "NotFound", "no such admin action: %s", action);
}

/* ---- the service ---------------------------------------------------------------------------------- */

#define ECS_ROW(op, flags) {#op, ecs_op_##op, flags},
static const struct dd_handler handlers[] = {ECS_HANDLERS(ECS_ROW)};
#undef ECS_ROW

static const struct sim_kind events[] = {
    {ECS_STEP_EVENT, ecs_task_step},
    {ECS_PURGE_EVENT, ecs_task_purge},
    {ECS_RECONCILE_EVENT, ecs_service_reconcile},
    {ECS_METRICS_EVENT, ecs_service_metrics},
    {ECS_CLUSTER_METRICS_EVENT, ecs_cluster_metrics},
    {ECS_CAPACITY_METRICS_EVENT, ecs_capacity_metrics},
};

const struct dd_service dd_service_ecs = {
    .model_id = "ecs",
    .handlers = handlers,
    .handler_count = sizeof handlers / sizeof *handlers,
    /* ECS answers model validation failures with InvalidParameterException
     * ("Invalid request provided: ..." is for semantic checks). */
    .validation_code = "InvalidParameterException",
    .schema = schema,
    .events = events,
    .event_count = sizeof events / sizeof *events,
    .admin = ecs_admin,
};
