/*
 * appautoscaling.c - Application Auto Scaling: the service table, scalable
 * targets and scaling activities. Policies (and what CloudWatch alarms make
 * them do) live in appautoscaling_policy.c, scheduled actions in
 * appautoscaling_schedule.c (see appautoscaling_internal.h for the state).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim.h"
#include "appautoscaling_internal.h"
#include "ecs.h"

/* ---- schema ------------------------------------------------------------------------------------ */

#define KEY_COLS "account TEXT NOT NULL, region TEXT NOT NULL, ns TEXT NOT NULL, rid TEXT NOT NULL, dim TEXT NOT NULL"

static const char SCHEMA_1[] =
    "CREATE TABLE aas_target (" KEY_COLS ", min_cap INTEGER NOT NULL, max_cap INTEGER NOT NULL, role TEXT NOT NULL,"
    " susp_in INTEGER NOT NULL, susp_out INTEGER NOT NULL, susp_sched INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
    " PRIMARY KEY (account, region, ns, rid, dim)) WITHOUT ROWID;"
    "CREATE TABLE aas_policy (" KEY_COLS ", name TEXT NOT NULL, arn TEXT NOT NULL, type TEXT NOT NULL,"
    " config TEXT NOT NULL, alarms TEXT, created_ms INTEGER NOT NULL, out_ms INTEGER, in_ms INTEGER,"
    " out_base INTEGER, PRIMARY KEY (account, region, ns, rid, dim, name)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX aas_policy_arn ON aas_policy (account, region, arn);"
    "CREATE TABLE aas_scheduled (" KEY_COLS ", name TEXT NOT NULL, arn TEXT NOT NULL, schedule TEXT NOT NULL,"
    " timezone TEXT, start_ms INTEGER, end_ms INTEGER, min_cap INTEGER, max_cap INTEGER,"
    " created_ms INTEGER NOT NULL, next_ms INTEGER, PRIMARY KEY (account, region, ns, rid, dim, name)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX aas_scheduled_arn ON aas_scheduled (account, region, arn);"
    "CREATE TABLE aas_activity (seq INTEGER PRIMARY KEY, " KEY_COLS ", id TEXT NOT NULL,"
    " description TEXT NOT NULL, cause TEXT NOT NULL, status TEXT NOT NULL, message TEXT,"
    " start_ms INTEGER NOT NULL, end_ms INTEGER);"
    "CREATE INDEX aas_activity_target ON aas_activity (account, region, ns, rid, dim, seq);";

static const char *const schema[] = {SCHEMA_1, NULL};

/* ?3 ns, ?4 rid, ?5 dim throughout */
#define TARGET_COLS "ns, rid, dim, min_cap, max_cap, role, susp_in, susp_out, susp_sched, created_ms"
static const char SQL_TARGET[] =
    "SELECT " TARGET_COLS " FROM aas_target WHERE account=?1 AND region=?2 AND ns=?3 AND rid=?4 AND dim=?5";
static const char SQL_TARGETS[] = "SELECT " TARGET_COLS " FROM aas_target WHERE account=?1 AND region=?2 AND ns=?3"
                                  " AND (?4 IS NULL OR rid IN (SELECT value FROM json_each(?4)))"
                                  " AND (?5 IS NULL OR dim=?5) ORDER BY created_ms, rid, dim";
static const char SQL_PUT_TARGET[] =
    "INSERT INTO aas_target (account, region, " TARGET_COLS
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
    " ON CONFLICT (account, region, ns, rid, dim) DO UPDATE SET min_cap=excluded.min_cap, max_cap=excluded.max_cap,"
    " role=excluded.role, susp_in=excluded.susp_in, susp_out=excluded.susp_out, susp_sched=excluded.susp_sched";
static const char SQL_DELETE_TARGET[] =
    "DELETE FROM aas_target WHERE account=?1 AND region=?2 AND ns=?3 AND rid=?4 AND dim=?5";

static const char SQL_ADD_ACTIVITY[] = "INSERT INTO aas_activity (account, region, ns, rid, dim, id, description, "
                                       "cause, status, message, start_ms, end_ms)"
                                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)";
static const char SQL_ACTIVITIES[] =
    "SELECT ns, rid, dim, id, description, cause, status, message, start_ms, end_ms FROM aas_activity"
    " WHERE account=?1 AND region=?2 AND ns=?3 AND (?4 IS NULL OR rid=?4) AND (?5 IS NULL OR dim=?5)"
    " ORDER BY seq DESC";

/* The role Application Auto Scaling creates for ECS and uses when RegisterScalableTarget names none. */
#define ECS_SERVICE_LINKED_ROLE                                                                                        \
    "role/aws-service-role/ecs.application-autoscaling.amazonaws.com/"                                                 \
    "AWSServiceRoleForApplicationAutoScaling_ECSService"

/* ---- common helpers ----------------------------------------------------------------------------- */

struct aas_key aas_input_key(json_t *in)
{
    return (struct aas_key){dd_in_str(in, "ServiceNamespace"), dd_in_str(in, "ResourceId"),
                            dd_in_str(in, "ScalableDimension")};
}

struct aas_key aas_target_key(const struct aas_target *t)
{
    return (struct aas_key){t->ns, t->rid, t->dim};
}

sqlite3_stmt *aas_stmt(struct dd_request *r, const char *sql, const struct aas_key *k)
{
    sqlite3_stmt *st = dd_stmt(r, sql);
    store_bind_text(st, 3, k->ns);
    store_bind_text(st, 4, k->rid);
    store_bind_text(st, 5, k->dim);
    return st;
}

int64_t aas_col_int(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

int aas_invalid(struct dd_request *r, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dd_reject(r, 400, "ValidationException", "%s", msg);
}

int aas_not_registered(struct dd_request *r, const struct aas_key *k)
{
    return dd_reject(r, 400, "ObjectNotFoundException",
                     "No scalable target registered for service namespace: %s, resource ID: %s, scalable dimension: %s",
                     k->ns, k->rid, k->dim);
}

json_t *aas_page(json_t *in, json_t *items, const char *member)
{
    /* dd_page speaks the lowerCamel nextToken; this API capitalises it. */
    json_t *paging = json_pack("{s:s?}", "nextToken", dd_in_str(in, "NextToken"));
    json_t *limit = json_object_get(in, "MaxResults");
    if (limit)
        json_object_set(paging, "MaxResults", limit);
    json_t *out = dd_page(paging, items, member, "MaxResults", 50);
    json_decref(paging);
    json_t *next = json_object_get(out, "nextToken");
    if (next) {
        json_object_set(out, "NextToken", next);
        json_object_del(out, "nextToken");
    }
    return out;
}

/* ---- resources: which exist, and their capacity -------------------------------------------------- */

/*
 * The resource types of each scalable dimension, as ResourceId spells them.
 * `label` names the resource in the "doesn't exist" answer of a namespace
 * whose resources drydock does not emulate.
 */
struct dimension_kind {
    const char *dim;
    const char *prefix; /* what the ResourceId starts with */
    const char *label;
};

static const struct dimension_kind dimension_kinds[] = {
    {"ecs:service:DesiredCount", "service/", "ECS service"},
    {"ec2:spot-fleet-request:TargetCapacity", "spot-fleet-request/", "Spot Fleet request"},
    {"elasticmapreduce:instancegroup:InstanceCount", "instancegroup/", "EMR instance group"},
    {"appstream:fleet:DesiredCapacity", "fleet/", "AppStream 2.0 fleet"},
    {"dynamodb:table:ReadCapacityUnits", "table/", "DynamoDB table"},
    {"dynamodb:table:WriteCapacityUnits", "table/", "DynamoDB table"},
    {"dynamodb:index:ReadCapacityUnits", "table/", "DynamoDB global secondary index"},
    {"dynamodb:index:WriteCapacityUnits", "table/", "DynamoDB global secondary index"},
    {"rds:cluster:ReadReplicaCount", "cluster:", "Aurora DB cluster"},
    {"sagemaker:variant:DesiredInstanceCount", "endpoint/", "SageMaker endpoint variant"},
    {"custom-resource:ResourceType:Property", "", "Custom resource"},
    {"comprehend:document-classifier-endpoint:DesiredInferenceUnits", "arn:", "Comprehend endpoint"},
    {"comprehend:entity-recognizer-endpoint:DesiredInferenceUnits", "arn:", "Comprehend endpoint"},
    {"lambda:function:ProvisionedConcurrency", "function:", "Lambda function"},
    {"cassandra:table:ReadCapacityUnits", "keyspace/", "Keyspaces table"},
    {"cassandra:table:WriteCapacityUnits", "keyspace/", "Keyspaces table"},
    {"kafka:broker-storage:VolumeSize", "arn:", "MSK cluster"},
    {"elasticache:replication-group:NodeGroups", "replication-group/", "ElastiCache replication group"},
    {"elasticache:replication-group:Replicas", "replication-group/", "ElastiCache replication group"},
    {"neptune:cluster:ReadReplicaCount", "cluster:", "Neptune cluster"},
};

/*
 * Checks that namespace, dimension and resource id agree (the dimension is
 * the namespace's, the id is of the dimension's resource type): 0 or -1.
 */
static int key_check(struct dd_request *r, const struct aas_key *k, const struct dimension_kind **kind)
{
    size_t n = strlen(k->ns);
    for (size_t i = 0; i < sizeof dimension_kinds / sizeof *dimension_kinds; i++) {
        const struct dimension_kind *d = &dimension_kinds[i];
        if (strcmp(d->dim, k->dim) != 0)
            continue;
        bool index = strstr(k->rid, "/index/") != NULL;
        bool index_dim = strncmp(k->dim, "dynamodb:index:", 15) == 0;
        if (strncmp(k->dim, k->ns, n) == 0 && k->dim[n] == ':' && strncmp(k->rid, d->prefix, strlen(d->prefix)) == 0 &&
            (strncmp(k->dim, "dynamodb:", 9) != 0 || index == index_dim)) {
            *kind = d;
            return 0;
        }
        break;
    }
    return aas_invalid(r, "Unsupported service namespace, resource type or scalable dimension");
}

/* Splits "service/CLUSTER/SERVICE" into its names: 0, or -1 when it is not of that form. */
static int ecs_names(const char *rid, char *cluster, size_t clen, char *service, size_t slen)
{
    if (strncmp(rid, "service/", 8) != 0)
        return -1;
    const char *c = rid + 8, *slash = strchr(c, '/');
    if (!slash || slash == c || !slash[1] || strchr(slash + 1, '/'))
        return -1;
    snprintf(cluster, clen, "%.*s", (int)(slash - c), c);
    snprintf(service, slen, "%s", slash + 1);
    return 0;
}

int aas_capacity(struct dd_request *r, const struct aas_target *t, int64_t *capacity)
{
    char cluster[256], service[1601];
    int64_t running;
    if (strcmp(t->ns, "ecs") != 0 || ecs_names(t->rid, cluster, sizeof cluster, service, sizeof service))
        return 1;
    return ecs_service_counts(r, cluster, service, capacity, &running) ? 1 : 0;
}

/* Records a successful activity that set the capacity to `capacity`. */
static int activity_add(struct dd_request *r, const struct aas_key *k, int64_t capacity, const char *cause)
{
    char id[37], desc[96], msg[160];
    dd_uuid(id);
    snprintf(desc, sizeof desc, "Setting desired count to %" PRId64 ".", capacity);
    snprintf(msg, sizeof msg, "Successfully set desired count to %" PRId64 ". Change successfully fulfilled by ecs.",
             capacity);
    sqlite3_stmt *st = aas_stmt(r, SQL_ADD_ACTIVITY, k);
    store_bind_text(st, 6, id);
    store_bind_text(st, 7, desc);
    store_bind_text(st, 8, cause);
    store_bind_text(st, 9, "Successful");
    store_bind_text(st, 10, msg);
    sqlite3_bind_int64(st, 11, r->now_ms);
    return dd_exec(r, st);
}

int aas_scale(struct dd_request *r, const struct aas_target *t, int64_t capacity, const char *cause)
{
    char cluster[256], service[1601];
    if (strcmp(t->ns, "ecs") != 0 || ecs_names(t->rid, cluster, sizeof cluster, service, sizeof service))
        return 1;
    int rc = ecs_service_set_desired(r, cluster, service, capacity);
    if (rc)
        return rc;
    struct aas_key k = aas_target_key(t);
    return activity_add(r, &k, capacity, cause);
}

int aas_clamp(struct dd_request *r, const struct aas_target *t, const char *cause)
{
    int64_t cur;
    if (aas_capacity(r, t, &cur))
        return 0;
    int64_t want = cur < t->min ? t->min : cur > t->max ? t->max : cur;
    return want == cur ? 0 : aas_scale(r, t, want, cause) < 0 ? -1 : 0;
}

/* ---- scalable targets --------------------------------------------------------------------------- */

static void target_row(sqlite3_stmt *st, struct aas_target *t)
{
    snprintf(t->ns, sizeof t->ns, "%s", store_col_text(st, 0));
    snprintf(t->rid, sizeof t->rid, "%s", store_col_text(st, 1));
    snprintf(t->dim, sizeof t->dim, "%s", store_col_text(st, 2));
    t->min = sqlite3_column_int64(st, 3);
    t->max = sqlite3_column_int64(st, 4);
    snprintf(t->role, sizeof t->role, "%s", store_col_text(st, 5));
    t->susp_in = sqlite3_column_int(st, 6);
    t->susp_out = sqlite3_column_int(st, 7);
    t->susp_sched = sqlite3_column_int(st, 8);
    t->created_ms = sqlite3_column_int64(st, 9);
}

int aas_target_get(struct dd_request *r, const struct aas_key *k, struct aas_target *t)
{
    sqlite3_stmt *st = aas_stmt(r, SQL_TARGET, k);
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found)
        target_row(st, t);
    sqlite3_reset(st);
    return found ? 0 : 1;
}

int aas_target_must_exist(struct dd_request *r, const struct aas_key *k, struct aas_target *t)
{
    return aas_target_get(r, k, t) ? aas_not_registered(r, k) : 0;
}

int aas_target_save(struct dd_request *r, const struct aas_target *t)
{
    struct aas_key k = aas_target_key(t);
    sqlite3_stmt *st = aas_stmt(r, SQL_PUT_TARGET, &k);
    sqlite3_bind_int64(st, 6, t->min);
    sqlite3_bind_int64(st, 7, t->max);
    store_bind_text(st, 8, t->role);
    sqlite3_bind_int(st, 9, t->susp_in);
    sqlite3_bind_int(st, 10, t->susp_out);
    sqlite3_bind_int(st, 11, t->susp_sched);
    sqlite3_bind_int64(st, 12, t->created_ms);
    return dd_exec(r, st);
}

static json_t *target_json(const struct aas_target *t)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:o, s:{s:b, s:b, s:b}}", "ServiceNamespace", t->ns, "ResourceId",
                     t->rid, "ScalableDimension", t->dim, "MinCapacity", (json_int_t)t->min, "MaxCapacity",
                     (json_int_t)t->max, "RoleARN", t->role, "CreationTime", dd_time(t->created_ms), "SuspendedState",
                     "DynamicScalingInSuspended", t->susp_in, "DynamicScalingOutSuspended", t->susp_out,
                     "ScheduledScalingSuspended", t->susp_sched);
}

/* The resource a new target names must exist: only ECS services can. */
static int resource_must_exist(struct dd_request *r, const struct aas_key *k, const struct dimension_kind *kind)
{
    char cluster[256], service[1601];
    int64_t desired, running;
    if (strcmp(k->ns, "ecs") == 0 && !ecs_names(k->rid, cluster, sizeof cluster, service, sizeof service) &&
        !ecs_service_counts(r, cluster, service, &desired, &running))
        return 0;
    return aas_invalid(r, "%s doesn't exist: %s", kind->label, k->rid);
}

/* Overlays the members of SuspendedState that `in` gives. */
static void suspended_merge(struct aas_target *t, json_t *in)
{
    json_t *s = json_object_get(in, "SuspendedState");
    if (!s)
        return;
    if (json_object_get(s, "DynamicScalingInSuspended"))
        t->susp_in = dd_in_bool(s, "DynamicScalingInSuspended");
    if (json_object_get(s, "DynamicScalingOutSuspended"))
        t->susp_out = dd_in_bool(s, "DynamicScalingOutSuspended");
    if (json_object_get(s, "ScheduledScalingSuspended"))
        t->susp_sched = dd_in_bool(s, "ScheduledScalingSuspended");
}

json_t *aas_op_RegisterScalableTarget(struct dd_request *r, json_t *in)
{
    struct aas_key k = aas_input_key(in);
    const struct dimension_kind *kind = NULL;
    if (key_check(r, &k, &kind) || resource_must_exist(r, &k, kind))
        return NULL;
    struct aas_target t;
    bool fresh = aas_target_get(r, &k, &t) != 0;
    json_t *min = json_object_get(in, "MinCapacity"), *max = json_object_get(in, "MaxCapacity");
    if (fresh) {
        if (!min || !max)
            return dd_fail(r, 400, "ValidationException",
                           "MinCapacity and MaxCapacity are required for registering a new scalable target");
        memset(&t, 0, sizeof t);
        snprintf(t.ns, sizeof t.ns, "%s", k.ns);
        snprintf(t.rid, sizeof t.rid, "%s", k.rid);
        snprintf(t.dim, sizeof t.dim, "%s", k.dim);
        snprintf(t.role, sizeof t.role, "arn:aws:iam::%s:" ECS_SERVICE_LINKED_ROLE, r->account); /* IAM: no region */
        t.created_ms = r->now_ms;
    }
    if (min)
        t.min = json_integer_value(min);
    if (max)
        t.max = json_integer_value(max);
    if (dd_in_str(in, "RoleARN"))
        snprintf(t.role, sizeof t.role, "%s", dd_in_str(in, "RoleARN"));
    suspended_merge(&t, in);
    if (t.min < 0)
        return dd_fail(r, 400, "ValidationException", "Minimum capacity cannot be less than 0");
    if (t.max < t.min)
        return dd_fail(r, 400, "ValidationException", "Maximum capacity cannot be less than minimum capacity");
    if (aas_target_save(r, &t))
        return NULL;
    char cause[96];
    int64_t cur = 0;
    if (!aas_capacity(r, &t, &cur) && cur < t.min)
        snprintf(cause, sizeof cause, "minimum capacity was set to %" PRId64, t.min);
    else
        snprintf(cause, sizeof cause, "maximum capacity was set to %" PRId64, t.max);
    return aas_clamp(r, &t, cause) ? NULL : json_object();
}

json_t *aas_op_DescribeScalableTargets(struct dd_request *r, json_t *in)
{
    struct aas_key k = aas_input_key(in);
    json_t *ids = json_object_get(in, "ResourceIds");
    char *ids_json = json_array_size(ids) ? json_dumps(ids, JSON_COMPACT) : NULL;
    k.rid = ids_json;
    sqlite3_stmt *st = aas_stmt(r, SQL_TARGETS, &k);
    json_t *items = json_array();
    struct aas_target t;
    while (sqlite3_step(st) == SQLITE_ROW) {
        target_row(st, &t);
        json_array_append_new(items, target_json(&t));
    }
    sqlite3_reset(st);
    free(ids_json);
    return aas_page(in, items, "ScalableTargets");
}

json_t *aas_op_DeregisterScalableTarget(struct dd_request *r, json_t *in)
{
    struct aas_key k = aas_input_key(in);
    struct aas_target t;
    if (aas_target_get(r, &k, &t))
        return dd_fail(r, 400, "ObjectNotFoundException",
                       "No scalable target found for service namespace: %s, resource ID: %s, scalable dimension: %s",
                       k.ns, k.rid, k.dim);
    if (aas_policies_delete_all(r, &k) || aas_scheduled_delete_all(r, &k))
        return NULL;
    return dd_exec(r, aas_stmt(r, SQL_DELETE_TARGET, &k)) ? NULL : json_object();
}

/* ---- scaling activities ------------------------------------------------------------------------- */

json_t *aas_op_DescribeScalingActivities(struct dd_request *r, json_t *in)
{
    struct aas_key k = aas_input_key(in);
    sqlite3_stmt *st = aas_stmt(r, SQL_ACTIVITIES, &k);
    json_t *items = json_array();
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *a =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "ServiceNamespace", store_col_text(st, 0),
                      "ResourceId", store_col_text(st, 1), "ScalableDimension", store_col_text(st, 2), "ActivityId",
                      store_col_text(st, 3), "Description", store_col_text(st, 4), "Cause", store_col_text(st, 5),
                      "StatusCode", store_col_text(st, 6), "StartTime", dd_time(sqlite3_column_int64(st, 8)));
        if (store_col_text(st, 7))
            json_object_set_new(a, "StatusMessage", json_string(store_col_text(st, 7)));
        if (sqlite3_column_type(st, 9) != SQLITE_NULL)
            json_object_set_new(a, "EndTime", dd_time(sqlite3_column_int64(st, 9)));
        json_array_append_new(items, a);
    }
    sqlite3_reset(st);
    return aas_page(in, items, "ScalingActivities");
}

/* ---- what CloudWatch asks (appautoscaling.h) ------------------------------------------------------ */

int aas_is_policy_arn(const char *arn)
{
    return arn && strncmp(arn, "arn:", 4) == 0 && strstr(arn, ":autoscaling:") && strstr(arn, ":scalingPolicy:") &&
           strstr(arn, ":resource/") && strstr(arn, ":policyName/");
}

/* ---- the service -------------------------------------------------------------------------------- */

#define AAS_ROW(op, flags) {#op, aas_op_##op, flags},
static const struct dd_handler handlers[] = {AAS_HANDLERS(AAS_ROW)};
#undef AAS_ROW

static const struct sim_kind events[] = {
    {AAS_SCHEDULE_EVENT, aas_scheduled_run},
};

const struct dd_service dd_service_application_autoscaling = {
    .model_id = "application-autoscaling",
    .handlers = handlers,
    .handler_count = sizeof handlers / sizeof *handlers,
    .validation_code = "ValidationException",
    .schema = schema,
    .events = events,
    .event_count = sizeof events / sizeof *events,
};
