/*
 * ecs_capacity.c - capacity providers backed by an EC2 Auto Scaling group, and their managed scaling.
 *
 * A provider names one group (a group backs at most one provider) and is associated with at most one cluster
 * (PutClusterCapacityProviders). Tasks of a strategy naming it use the EC2 launch type on the container instances
 * its group launched. With managed scaling ENABLED, associating it creates the group's target tracking policy
 * "ECSManagedAutoScalingPolicy-UUID" on AWS/ECS/ManagedScaling CapacityProviderReservation {ClusterName,
 * CapacityProviderName} (held at targetCapacity), through EC2 Auto Scaling's own PutScalingPolicy; every minute the
 * "ecs.capacity.metrics" event publishes the metric (M/N*100, AWS's formula) and, with managed termination
 * protection, protects the group's instances that run tasks so scale-in only takes empty ones.
 *
 * Private keys of the document: `_group` (the group's name), `_cluster`, `_policy` (the managed policy's name).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../sim.h"
#include "autoscaling.h"
#include "cloudwatch.h"
#include "ecs_internal.h"

#define MINUTE_MS 60000

static const char SQL_GET[] = "SELECT doc FROM ecs_capacity WHERE account=?1 AND region=?2 AND name=?3";
static const char SQL_ALL[] = "SELECT doc FROM ecs_capacity WHERE account=?1 AND region=?2 ORDER BY name";
static const char SQL_BY_GROUP[] = "SELECT name FROM ecs_capacity WHERE account=?1 AND region=?2 AND grp=?3";
static const char SQL_PUT[] = "INSERT INTO ecs_capacity (account, region, name, arn, grp, doc) VALUES (?1, ?2, ?3, ?4,"
                              " ?5, ?6) ON CONFLICT (account, region, name) DO UPDATE SET doc=excluded.doc";
static const char SQL_DELETE[] = "DELETE FROM ecs_capacity WHERE account=?1 AND region=?2 AND name=?3";
/* The provider's live tasks per container instance (NULL: waiting for capacity). ?3 cluster, ?4 provider. */
static const char SQL_TASKS_PER_INSTANCE[] =
    "SELECT container_instance, count(*) FROM ecs_task WHERE account=?1 AND region=?2 AND cluster=?3"
    " AND desired_status='RUNNING' AND json_extract(doc, '$.capacityProviderName')=?4 GROUP BY container_instance";
/* Whether cluster ?3's ACTIVE services or live tasks use provider ?4. */
static const char SQL_IN_USE[] =
    "SELECT (SELECT count(*) FROM ecs_service WHERE account=?1 AND region=?2 AND cluster=?3 AND status='ACTIVE'"
    " AND EXISTS (SELECT 1 FROM json_each(doc, '$.capacityProviderStrategy')"
    " WHERE json_extract(value, '$.capacityProvider')=?4))"
    " + (SELECT count(*) FROM ecs_task WHERE account=?1 AND region=?2 AND cluster=?3 AND last_status<>'STOPPED'"
    " AND json_extract(doc, '$.capacityProviderName')=?4)";
static const char SQL_INSTANCE_TASKS[] = "SELECT count(*) FROM ecs_task WHERE account=?1 AND region=?2"
                                         " AND container_instance=?3 AND desired_status='RUNNING'";
static const char SQL_CLUSTER_INSTANCES[] = "SELECT arn, ec2_id FROM ecs_instance WHERE account=?1 AND region=?2"
                                            " AND cluster=?3 AND status='ACTIVE'";

/* ---- the store ---------------------------------------------------------------------------------- */

json_t *ecs_capacity_load(struct dd_request *r, const char *name)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_GET);
    store_bind_text(st, 3, name);
    json_t *doc = sqlite3_step(st) == SQLITE_ROW ? json_loads(store_col_text(st, 0), 0, NULL) : NULL;
    sqlite3_reset(st);
    return doc;
}

static int capacity_save(struct dd_request *r, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    sqlite3_stmt *st = dd_stmt(r, SQL_PUT);
    store_bind_text(st, 3, dd_in_str(doc, "name"));
    store_bind_text(st, 4, dd_in_str(doc, "capacityProviderArn"));
    store_bind_text(st, 5, dd_in_str(doc, "_group"));
    store_bind_text(st, 6, text);
    free(text);
    return dd_exec(r, st);
}

bool ecs_capacity_is_fargate(const char *name)
{
    return strcmp(name, "FARGATE") == 0 || strcmp(name, "FARGATE_SPOT") == 0;
}

static json_t *managed_scaling(json_t *doc)
{
    return json_object_get(json_object_get(doc, "autoScalingGroupProvider"), "managedScaling");
}

static bool scaling_on(json_t *ms)
{
    const char *s = dd_in_str(ms, "status");
    return s && strcmp(s, "ENABLED") == 0;
}

static bool managed(json_t *doc)
{
    return scaling_on(managed_scaling(doc));
}

bool ecs_capacity_managed(struct dd_request *r, const char *name)
{
    json_t *doc = name && *name && !ecs_capacity_is_fargate(name) ? ecs_capacity_load(r, name) : NULL;
    bool on = doc && managed(doc);
    json_decref(doc);
    return on;
}

/* ---- the managed policy and the metric ------------------------------------------------------------ */

static json_t *reservation_dims(const char *cluster, const char *provider)
{
    return json_pack("[{s:s, s:s}, {s:s, s:s}]", "Name", "ClusterName", "Value", cluster, "Name",
                     "CapacityProviderName", "Value", provider);
}

/* Creates (or replaces) the group's managed policy while the provider is associated and managed: 0 or -1. */
static int policy_sync(struct dd_request *r, json_t *doc)
{
    const char *group = dd_in_str(doc, "_group"), *cluster = dd_in_str(doc, "_cluster");
    const char *old = dd_in_str(doc, "_policy");
    if (old && asg_delete_named_policy(r, group, old))
        return -1;
    json_object_del(doc, "_policy");
    if (!cluster || !managed(doc))
        return 0;
    json_t *ms = managed_scaling(doc);
    char uuid[37], name[128];
    dd_uuid(uuid);
    snprintf(name, sizeof name, "ECSManagedAutoScalingPolicy-%s", uuid);
    json_t *metric = json_pack("{s:s, s:s, s:s, s:o}", "Namespace", "AWS/ECS/ManagedScaling", "MetricName",
                               "CapacityProviderReservation", "Statistic", "Average", "Dimensions",
                               reservation_dims(cluster, dd_in_str(doc, "name")));
    int rc = asg_put_tracking_policy(r, group, name, metric, (double)dd_in_int(ms, "targetCapacity", 100),
                                     dd_in_int(ms, "instanceWarmupPeriod", 300));
    json_decref(metric);
    if (rc == 0) {
        json_object_set_new(doc, "_policy", json_string(name));
        sim_cancel(r, ECS_CAPACITY_METRICS_EVENT, dd_in_str(doc, "name"));
        rc = sim_schedule(r, MINUTE_MS - r->now_ms % MINUTE_MS, ECS_CAPACITY_METRICS_EVENT, dd_in_str(doc, "name"),
                          NULL);
    }
    return rc;
}

/* M/N*100: N the group's instances, M those the provider's tasks need (the waiting ones included). */
static double reservation(struct dd_request *r, json_t *doc, int64_t n)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_TASKS_PER_INSTANCE);
    store_bind_text(st, 3, dd_in_str(doc, "_cluster"));
    store_bind_text(st, 4, dd_in_str(doc, "name"));
    int64_t busy = 0, placed = 0, waiting = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) == SQLITE_NULL)
            waiting += sqlite3_column_int64(st, 1);
        else
            busy++, placed += sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (waiting && n == 0)
        return 200.0;
    if (!waiting)
        return n == 0 ? 100.0 : 100.0 * (double)busy / (double)n;
    json_t *ms = managed_scaling(doc);
    int64_t per = busy ? (placed + busy - 1) / busy : 1;
    int64_t more = (waiting + per - 1) / per;
    int64_t lo = dd_in_int(ms, "minimumScalingStepSize", 1), hi = dd_in_int(ms, "maximumScalingStepSize", 10000);
    more = more < lo ? lo : more > hi ? hi : more;
    int64_t m = (busy > n ? busy : n) + more;
    return 100.0 * (double)m / (double)n;
}

/* Managed termination protection: the group's instances that run tasks are protected from scale-in. */
static void protect(struct dd_request *r, json_t *doc)
{
    json_t *list = json_array();
    sqlite3_stmt *st = dd_stmt(r, SQL_CLUSTER_INSTANCES);
    store_bind_text(st, 3, dd_in_str(doc, "_cluster"));
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(list, json_pack("[s, s]", store_col_text(st, 0), store_col_text(st, 1)));
    sqlite3_reset(st);
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p)
    {
        const char *ec2 = json_string_value(json_array_get(p, 1));
        char group[256];
        if (asg_group_of_instance(r, ec2, group) || strcmp(group, dd_in_str(doc, "_group")) != 0)
            continue;
        sqlite3_stmt *t = dd_stmt(r, SQL_INSTANCE_TASKS);
        store_bind_text(t, 3, json_string_value(json_array_get(p, 0)));
        asg_protect_instance(r, ec2, dd_single_int(t, 0) > 0);
    }
    json_decref(list);
}

int ecs_capacity_metrics(struct dd_request *r, const char *name, json_t *payload)
{
    json_t *doc = ecs_capacity_load(r, name);
    if (!doc || !dd_in_str(doc, "_cluster") || !managed(doc)) {
        json_decref(doc);
        return 0;
    }
    double v = reservation(r, doc, asg_capacity(r, dd_in_str(doc, "_group")));
    struct cw_stats s = {.sample_count = 1, .sum = v, .min = v, .max = v};
    json_t *dims = reservation_dims(dd_in_str(doc, "_cluster"), name);
    int rc = cw_publish(r, "AWS/ECS/ManagedScaling", "CapacityProviderReservation", dims, r->now_ms - MINUTE_MS, &s,
                        "Percent");
    json_decref(dims);
    const char *mtp = dd_in_str(json_object_get(doc, "autoScalingGroupProvider"), "managedTerminationProtection");
    if (rc == 0)
        rc = ecs_place_waiting(r, dd_in_str(doc, "_cluster"));
    if (rc == 0 && mtp && strcmp(mtp, "ENABLED") == 0)
        protect(r, doc);
    if (rc == 0)
        rc = sim_schedule(r, MINUTE_MS, ECS_CAPACITY_METRICS_EVENT, name, NULL);
    json_decref(doc);
    return rc;
}

/* ---- what clusters, tasks and placement ask --------------------------------------------------------- */

int ecs_capacity_usable(struct dd_request *r, const char *name, const char *cluster)
{
    json_t *doc = ecs_capacity_load(r, name);
    const char *c = doc ? dd_in_str(doc, "_cluster") : NULL;
    int rc = 0;
    if (!doc || strcmp(dd_in_str(doc, "status"), "ACTIVE") != 0)
        rc = ecs_invalid(r, "The specified capacity provider '%s' is not in an ACTIVE state. Specify a valid "
                            "capacity provider and try again.",
                         name);
    else if (cluster && c && strcmp(c, cluster) != 0)
        rc = ecs_invalid(r, "The specified capacity provider '%s' is already associated with another cluster. "
                            "A capacity provider can only be associated with one cluster.",
                         name);
    json_decref(doc);
    return rc;
}

static bool listed(json_t *list, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (strcmp(json_string_value(v), name) == 0)
            return true;
    }
    return false;
}

/* Associates (cluster) or dissociates (NULL, refused while the cluster's services or tasks use it) one
 * provider of cluster `from`: 0 or -1. */
static int associate(struct dd_request *r, const char *name, const char *from, const char *cluster)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_IN_USE);
    store_bind_text(st, 3, from);
    store_bind_text(st, 4, name);
    if (!cluster && dd_single_int(st, 0) > 0)
        return dd_reject(r, 400, "ResourceInUseException",
                         "The specified capacity provider is in use and cannot be removed.");
    json_t *doc = ecs_capacity_load(r, name);
    if (!doc)
        return 0;
    if (cluster)
        json_object_set_new(doc, "_cluster", json_string(cluster));
    else
        json_object_del(doc, "_cluster");
    int rc = policy_sync(r, doc);
    if (rc == 0)
        rc = capacity_save(r, doc);
    json_decref(doc);
    return rc;
}

int ecs_capacity_sync(struct dd_request *r, const char *cluster, json_t *before, json_t *after)
{
    size_t i;
    json_t *v;
    json_array_foreach(before, i, v)
    {
        const char *n = json_string_value(v);
        if (!ecs_capacity_is_fargate(n) && !listed(after, n) && associate(r, n, cluster, NULL))
            return -1;
    }
    json_array_foreach(after, i, v)
    {
        const char *n = json_string_value(v);
        if (!ecs_capacity_is_fargate(n) && !listed(before, n) && associate(r, n, cluster, cluster))
            return -1;
    }
    return 0;
}

void ecs_capacity_filter(struct dd_request *r, const char *name, json_t *instances)
{
    if (!name || !*name || ecs_capacity_is_fargate(name))
        return;
    json_t *doc = ecs_capacity_load(r, name);
    const char *want = doc ? dd_in_str(doc, "_group") : "";
    for (size_t i = json_array_size(instances); i-- > 0;) {
        char group[256];
        if (asg_group_of_instance(r, dd_in_str(json_array_get(instances, i), "ec2InstanceId"), group) ||
            strcmp(group, want) != 0)
            json_array_remove(instances, i);
    }
    json_decref(doc);
}

const char *ecs_capacity_of_instance(struct dd_request *r, const char *ec2_id, char *out)
{
    char group[256];
    if (asg_group_of_instance(r, ec2_id, group))
        return NULL;
    sqlite3_stmt *st = dd_stmt(r, SQL_BY_GROUP);
    store_bind_text(st, 3, group);
    const char *rc = NULL;
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(out, 256, "%s", store_col_text(st, 0));
        rc = out;
    }
    sqlite3_reset(st);
    return rc;
}

/* ---- the operations ------------------------------------------------------------------------------------ */

static const char *group_name_of(const char *arn)
{
    const char *p = strstr(arn, ":autoScalingGroupName/");
    return p ? p + strlen(":autoScalingGroupName/") : arn;
}

static json_t *scaling_defaults(json_t *given)
{
    json_t *ms = json_pack("{s:s, s:i, s:i, s:i, s:i}", "status", "DISABLED", "targetCapacity", 100,
                           "minimumScalingStepSize", 1, "maximumScalingStepSize", 10000, "instanceWarmupPeriod", 300);
    if (given)
        json_object_update(ms, given);
    return ms;
}

static int scaling_check(struct dd_request *r, json_t *ms)
{
    json_int_t t = dd_in_int(ms, "targetCapacity", 100), lo = dd_in_int(ms, "minimumScalingStepSize", 1),
               hi = dd_in_int(ms, "maximumScalingStepSize", 10000), w = dd_in_int(ms, "instanceWarmupPeriod", 300);
    if (t < 1 || t > 100)
        return ecs_invalid(r, "The specified target capacity is not valid. The target capacity must be between 1 "
                              "and 100. Specify a valid value and try again.");
    if (lo < 1 || lo > 10000 || hi < 1 || hi > 10000 || lo > hi)
        return ecs_invalid(r, "The specified scaling step size is not valid. The step sizes must be between 1 and "
                              "10000, and minimumScalingStepSize must not exceed maximumScalingStepSize.");
    if (w < 0 || w > 10000)
        return ecs_invalid(r, "The specified instance warmup period is not valid. The value must be between 0 and "
                              "10000.");
    return 0;
}

/* managedTerminationProtection ENABLED needs the group's instance scale-in protection. */
static int protection_check(struct dd_request *r, json_t *asgp, const char *group)
{
    bool protect_new = false;
    asg_group_exists(r, group, &protect_new);
    const char *mtp = dd_in_str(asgp, "managedTerminationProtection");
    if (mtp && strcmp(mtp, "ENABLED") == 0 && !protect_new)
        return ecs_client_error(r, "The managed termination protection setting for the capacity provider is invalid. "
                                   "To enable managed termination protection for a capacity provider, the Auto "
                                   "Scaling group must have instance protection from scale in enabled.");
    if (mtp && strcmp(mtp, "ENABLED") == 0 && !scaling_on(json_object_get(asgp, "managedScaling")))
        return ecs_client_error(r, "The managed termination protection setting for the capacity provider is invalid. "
                                   "To enable managed termination protection for a capacity provider, managed "
                                   "scaling must be enabled.");
    return 0;
}

static int name_check(struct dd_request *r, const char *name)
{
    if (strncasecmp(name, "aws", 3) == 0 || strncasecmp(name, "ecs", 3) == 0 || strncasecmp(name, "fargate", 7) == 0)
        return ecs_client_error(r, "The specified capacity provider name is invalid. Capacity provider names cannot "
                                   "begin with the prefixes 'aws', 'ecs', or 'fargate'.");
    return 0;
}

json_t *ecs_op_CreateCapacityProvider(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "name");
    json_t *asgp = json_object_get(in, "autoScalingGroupProvider");
    const char *garn = dd_in_str(asgp, "autoScalingGroupArn");
    const char *group = group_name_of(garn);
    if (name_check(r, name) || ecs_tags_check(r, json_object_get(in, "tags")))
        return NULL;
    json_t *old = ecs_capacity_load(r, name);
    if (old) {
        json_decref(old);
        return dd_fail(r, 400, "ClientException",
                       "The specified capacity provider already exists. To change the configuration of an existing "
                       "capacity provider, update the capacity provider.");
    }
    if (asg_group_exists(r, group, NULL))
        return dd_fail(r, 400, "ClientException",
                       "The specified Auto Scaling group ARN is invalid. Specify a valid Auto Scaling group ARN and try "
                       "again.");
    sqlite3_stmt *st = dd_stmt(r, SQL_BY_GROUP);
    store_bind_text(st, 3, group);
    bool used = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    if (used)
        return dd_fail(r, 400, "ClientException",
                       "The specified Auto Scaling group ARN is already being used by another capacity provider. "
                       "Specify a unique Auto Scaling group ARN and try again.");
    json_t *p = json_deep_copy(asgp);
    json_object_set_new(p, "managedScaling", scaling_defaults(json_object_get(asgp, "managedScaling")));
    if (!json_object_get(p, "managedTerminationProtection"))
        json_object_set_new(p, "managedTerminationProtection", json_string("DISABLED"));
    if (!json_object_get(p, "managedDraining"))
        json_object_set_new(p, "managedDraining", json_string("ENABLED"));
    if (scaling_check(r, json_object_get(p, "managedScaling")) || protection_check(r, p, group)) {
        json_decref(p);
        return NULL;
    }
    char *arn = dd_arn(r, "ecs", "capacity-provider/%s", name);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:o, s:[], s:s}", "capacityProviderArn", arn, "name", name, "status",
                            "ACTIVE", "autoScalingGroupProvider", p, "tags", "_group", group);
    free(arn);
    ecs_tags_merge(doc, json_object_get(in, "tags"), NULL);
    json_t *out = capacity_save(r, doc) ? NULL : json_pack("{s:o}", "capacityProvider", ecs_public(doc));
    json_decref(doc);
    return out;
}

json_t *ecs_op_DescribeCapacityProviders(struct dd_request *r, json_t *in)
{
    json_t *all = json_array(), *want = json_object_get(in, "capacityProviders"), *failures = json_array();
    const char *fargate[] = {"FARGATE", "FARGATE_SPOT"};
    for (size_t i = 0; i < 2; i++) {
        char *arn = dd_arn(r, "ecs", "capacity-provider/%s", fargate[i]);
        json_array_append_new(all, json_pack("{s:s, s:s, s:s, s:[]}", "capacityProviderArn", arn, "name",
                                             fargate[i], "status", "ACTIVE", "tags"));
        free(arn);
    }
    sqlite3_stmt *st = dd_stmt(r, SQL_ALL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *doc = json_loads(store_col_text(st, 0), 0, NULL);
        json_array_append_new(all, ecs_public(doc));
        json_decref(doc);
    }
    sqlite3_reset(st);
    bool tags = false;
    size_t i, j;
    json_t *v, *p;
    json_array_foreach(json_object_get(in, "include"), i, v) tags |= strcmp(json_string_value(v), "TAGS") == 0;
    json_t *items = json_array();
    json_array_foreach(json_array_size(want) ? want : all, i, v)
    {
        const char *ref = json_array_size(want) ? json_string_value(v) : dd_in_str(v, "name");
        json_t *hit = NULL;
        json_array_foreach(all, j, p)
        {
            if (strcmp(dd_in_str(p, "name"), ecs_basename(ref)) == 0)
                hit = p;
        }
        if (!hit) {
            json_array_append_new(failures, json_pack("{s:s, s:s}", "arn", ref, "reason", "MISSING"));
            continue;
        }
        json_t *o = json_deep_copy(hit);
        if (!tags)
            json_object_del(o, "tags");
        json_array_append_new(items, o);
    }
    json_decref(all);
    json_t *out = dd_page(in, items, "capacityProviders", "maxResults", 10);
    json_object_set_new(out, "failures", failures);
    return out;
}

/* The custom provider `ref` names (new), or NULL with AWS's error. */
static json_t *provider_or_err(struct dd_request *r, const char *ref)
{
    json_t *doc = ecs_capacity_load(r, ecs_basename(ref));
    if (!doc)
        return dd_fail(r, 400, "ClientException", "The specified capacity provider does not exist. Specify a valid "
                                                  "name or ARN and try again.");
    return doc;
}

json_t *ecs_op_UpdateCapacityProvider(struct dd_request *r, json_t *in)
{
    json_t *doc = provider_or_err(r, dd_in_str(in, "name"));
    if (!doc)
        return NULL;
    json_t *given = json_object_get(in, "autoScalingGroupProvider");
    json_t *p = json_object_get(doc, "autoScalingGroupProvider");
    json_t *ms = json_object_get(given, "managedScaling");
    if (ms)
        json_object_update(json_object_get(p, "managedScaling"), ms);
    if (dd_in_str(given, "managedTerminationProtection"))
        json_object_set(p, "managedTerminationProtection", json_object_get(given, "managedTerminationProtection"));
    if (dd_in_str(given, "managedDraining"))
        json_object_set(p, "managedDraining", json_object_get(given, "managedDraining"));
    json_t *out = NULL;
    if (scaling_check(r, json_object_get(p, "managedScaling")) == 0 &&
        protection_check(r, p, dd_in_str(doc, "_group")) == 0 && policy_sync(r, doc) == 0 &&
        capacity_save(r, doc) == 0) {
        json_object_set_new(doc, "updateStatus", json_string("UPDATE_COMPLETE"));
        out = json_pack("{s:o}", "capacityProvider", ecs_public(doc));
    }
    json_decref(doc);
    return out;
}

json_t *ecs_op_DeleteCapacityProvider(struct dd_request *r, json_t *in)
{
    json_t *doc = provider_or_err(r, dd_in_str(in, "capacityProvider"));
    if (!doc)
        return NULL;
    json_t *out = NULL;
    if (dd_in_str(doc, "_cluster")) { /* AWS answers, but the delete fails */
        json_object_set_new(doc, "updateStatus", json_string("DELETE_FAILED"));
        json_object_set_new(doc, "updateStatusReason",
                            json_sprintf("The capacity provider cannot be deleted because it is associated with "
                                         "cluster: %s. Remove the capacity provider from the cluster and try again.",
                                         dd_in_str(doc, "_cluster")));
        if (capacity_save(r, doc) == 0)
            out = json_pack("{s:o}", "capacityProvider", ecs_public(doc));
    } else {
        sqlite3_stmt *st = dd_stmt(r, SQL_DELETE);
        store_bind_text(st, 3, dd_in_str(doc, "name"));
        sim_cancel(r, ECS_CAPACITY_METRICS_EVENT, dd_in_str(doc, "name"));
        if (dd_exec(r, st) == 0) {
            json_object_set_new(doc, "status", json_string("INACTIVE"));
            json_object_set_new(doc, "updateStatus", json_string("DELETE_COMPLETE"));
            out = json_pack("{s:o}", "capacityProvider", ecs_public(doc));
        }
    }
    json_decref(doc);
    return out;
}
