/*
 * autoscaling_group.c - Auto Scaling groups, their instances, and the reconcile event that keeps a group's capacity at
 * its desired capacity.
 *
 * Every change of the desired capacity (a user request, a policy, a replacement) schedules the group's reconcile. It
 * launches instances through EC2 (the group's launch template, its subnets balanced across zones, the
 * aws:autoscaling:groupName tag and the tags propagated at launch) or terminates them (zone balance first, then the
 * oldest), and follows them: Pending until EC2 says running, then InService and registered in the group's target
 * groups. An instance stopped or terminated outside the group fails its EC2 health check and is replaced. While nothing
 * moves the reconcile runs as the health check does, every 30 s (5 s at the fast pace). Each launch and termination is
 * a scaling activity worded as AWS words it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoscaling_internal.h"
#include "ec2.h"
#include "elbv2.h"
#include "sim.h"

static const char SQL_INSTANCES[] =
    "SELECT id, zone, type, state, health, protected, launch_ms, template, grp FROM asg_instance WHERE account=?1 AND "
    "region=?2 AND (?3 IS NULL OR grp=?3) ORDER BY launch_ms, id";
static const char SQL_INSTANCE_ADD[] =
    "INSERT INTO asg_instance (account, region, id, grp, zone, type, state, health, protected, launch_ms, template) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'Healthy', ?8, ?9, ?10)";
static const char SQL_INSTANCE_SET[] =
    "UPDATE asg_instance SET state=coalesce(?4, state), health=coalesce(?5, health), protected=coalesce(?6, protected) "
    "WHERE account=?1 AND region=?2 AND id=?3";
static const char SQL_INSTANCE_DELETE[] = "DELETE FROM asg_instance WHERE account=?1 AND region=?2 AND id=?3";
static const char SQL_CAPACITY[] =
    "SELECT count(*) FROM asg_instance WHERE account=?1 AND region=?2 AND grp=?3 AND state <> 'Terminating'";
static const char SQL_GROUP_DELETE[] = "DELETE FROM asg_group WHERE account=?1 AND region=?2 AND name=?3";

/* An instance of a group as stored. */
struct member {
    char id[32], zone[32], type[32], state[24], health[16], group[256];
    bool protected;
    int64_t launch_ms;
    json_t *template; /* borrowed from the list it came from */
};

static int64_t health_period(void)
{
    return sim_delay_ms(5000, 30000);
}

/* The group's (or, with NULL, every group's) instances, oldest first, as a new array of objects. */
static json_t *members_of(struct dd_request *r, const char *group)
{
    json_t *out = json_array();
    sqlite3_stmt *st = dd_stmt(r, SQL_INSTANCES);
    store_bind_text(st, 3, group);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *tpl = store_col_text(st, 7) ? json_loads(store_col_text(st, 7), 0, NULL) : NULL;
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:o*, s:s}", "InstanceId",
                                             store_col_text(st, 0), "AvailabilityZone", store_col_text(st, 1),
                                             "InstanceType", store_col_text(st, 2), "LifecycleState",
                                             store_col_text(st, 3), "HealthStatus", store_col_text(st, 4),
                                             "ProtectedFromScaleIn", sqlite3_column_int(st, 5), "_launch_ms",
                                             (json_int_t)sqlite3_column_int64(st, 6), "LaunchTemplate", tpl,
                                             "AutoScalingGroupName", store_col_text(st, 8)));
    }
    sqlite3_reset(st);
    return out;
}

static void member_of_json(json_t *m, struct member *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", dd_in_str(m, "InstanceId"));
    snprintf(out->zone, sizeof out->zone, "%s", dd_in_str(m, "AvailabilityZone"));
    snprintf(out->type, sizeof out->type, "%s", dd_in_str(m, "InstanceType"));
    snprintf(out->state, sizeof out->state, "%s", dd_in_str(m, "LifecycleState"));
    snprintf(out->health, sizeof out->health, "%s", dd_in_str(m, "HealthStatus"));
    snprintf(out->group, sizeof out->group, "%s", dd_in_str(m, "AutoScalingGroupName"));
    out->protected = dd_in_bool(m, "ProtectedFromScaleIn");
    out->launch_ms = dd_in_int(m, "_launch_ms", 0);
    out->template = json_object_get(m, "LaunchTemplate");
}

static int member_set(struct dd_request *r, const char *id, const char *state, const char *health, int protect)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_INSTANCE_SET);
    store_bind_text(st, 3, id);
    store_bind_text(st, 4, state);
    store_bind_text(st, 5, health);
    if (protect >= 0)
        sqlite3_bind_int(st, 6, protect);
    return dd_exec(r, st);
}

static int member_delete(struct dd_request *r, const char *id)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_INSTANCE_DELETE);
    store_bind_text(st, 3, id);
    return dd_exec(r, st);
}

int64_t asg_capacity(struct dd_request *r, const char *name)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_CAPACITY);
    store_bind_text(st, 3, name);
    return dd_single_int(st, 0);
}

/* ---- rules a group's settings follow ----------------------------------------------------------------- */

/* The subnets of VPCZoneIdentifier (a comma list) as a new array, or NULL with AWS's error. */
static json_t *subnets_or_err(struct dd_request *r, const char *list, json_t *zones)
{
    json_t *out = json_array();
    char *copy = strdup(list), *save = NULL;
    for (char *s = strtok_r(copy, ", ", &save); s; s = strtok_r(NULL, ", ", &save)) {
        struct ec2_subnet_info info;
        if (ec2_subnet_info(r, s, &info)) {
            dd_reject(r, 400, "ValidationError", "The subnet ID '%s' does not exist", s);
            json_decref(out);
            free(copy);
            return NULL;
        }
        json_array_append_new(out, json_string(s));
        bool seen = false;
        size_t i;
        json_t *z;
        json_array_foreach(zones, i, z) seen = seen || strcmp(json_string_value(z), info.zone) == 0;
        if (!seen)
            json_array_append_new(zones, json_string(info.zone));
    }
    free(copy);
    return out;
}

/* Min/Max/Desired as AWS checks them: 0 or -1. */
static int sizes_or_err(struct dd_request *r, int64_t min, int64_t max, int64_t desired)
{
    if (max < min)
        return dd_reject(r, 400, "ValidationError",
                         "Max bound, %" PRId64 ", must be greater than or equal to min bound, %" PRId64, max, min);
    if (desired < min || desired > max)
        return dd_reject(r, 400, "ValidationError",
                         "Desired capacity:%" PRId64 " must be between the specified min size:%" PRId64
                         " and max size:%" PRId64,
                         desired, min, max);
    return 0;
}

/* The target groups must exist: 0 or -1. */
static int target_groups_or_err(struct dd_request *r, json_t *arns)
{
    size_t i;
    json_t *a;
    json_array_foreach(arns, i, a)
    {
        struct elbv2_target_group_info info;
        if (elbv2_target_group_get(r, json_string_value(a), &info)) {
            dd_err_clear(&r->err);
            return dd_reject(r, 400, "ValidationError",
                             "Provided Target Groups may not be valid. Please ensure they exist and try again.");
        }
    }
    return 0;
}

/* Applies the placement members of `in` (VPCZoneIdentifier or AvailabilityZones) to doc: 0 or -1. */
static int placement_apply(struct dd_request *r, json_t *doc, json_t *in, bool creating)
{
    const char *vpc_zone = dd_in_str(in, "VPCZoneIdentifier");
    json_t *azs = json_object_get(in, "AvailabilityZones");
    if (vpc_zone && *vpc_zone) {
        json_t *zones = json_array(), *subnets = subnets_or_err(r, vpc_zone, zones);
        if (!subnets) {
            json_decref(zones);
            return -1;
        }
        json_decref(subnets);
        json_object_set_new(doc, "AvailabilityZones", zones);
        json_object_set_new(doc, "VPCZoneIdentifier", json_string(vpc_zone));
    } else if (json_array_size(azs)) {
        json_object_set(doc, "AvailabilityZones", azs);
        if (creating)
            json_object_del(doc, "VPCZoneIdentifier");
    } else if (creating) {
        return dd_reject(r, 400, "ValidationError", "At least one Availability Zone or VPC Subnet is required.");
    }
    return 0;
}

/* The launch source members of `in` into doc: 0 or -1. */
static int launch_source_apply(struct dd_request *r, json_t *doc, json_t *in, bool creating)
{
    json_t *lt = json_object_get(in, "LaunchTemplate"), *mixed = json_object_get(in, "MixedInstancesPolicy");
    const char *lc = dd_in_str(in, "LaunchConfigurationName");
    int given = (lt != NULL) + (mixed != NULL) + (lc != NULL) + (dd_in_str(in, "InstanceId") != NULL);
    if (given > 1)
        return dd_reject(r, 400, "ValidationError",
                         "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or "
                         "MixedInstancesPolicy parameter.");
    if (creating && given == 0)
        return dd_reject(r, 400, "ValidationError",
                         "Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or "
                         "MixedInstancesPolicy parameter.");
    if (lc) /* launch configurations are not emulated: none exists */
        return dd_reject(r, 400, "ValidationError",
                         "Launch configuration name not found - Launch configuration %s not found", lc);
    if (dd_in_str(in, "InstanceId"))
        return dd_reject(r, 400, "ValidationError",
                         "Instance Id not found - No managed instance found for instance ID: %s",
                         dd_in_str(in, "InstanceId"));
    if (lt && dd_in_str(lt, "LaunchTemplateId") && dd_in_str(lt, "LaunchTemplateName"))
        return dd_reject(
            r, 400, "ValidationError",
            "Valid requests must contain either launchTemplateId or launchTemplateName parameter but not both.");
    if (lt) {
        json_object_set(doc, "LaunchTemplate", lt);
        json_object_del(doc, "MixedInstancesPolicy");
    } else if (mixed) {
        json_object_set(doc, "MixedInstancesPolicy", mixed);
        json_object_del(doc, "LaunchTemplate");
    }
    return 0;
}

static void copy_member(json_t *doc, json_t *in, const char *key)
{
    json_t *v = json_object_get(in, key);
    if (v)
        json_object_set(doc, key, v);
}

/* ---- create / update / delete ------------------------------------------------------------------------ */

json_t *asg_op_CreateAutoScalingGroup(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "AutoScalingGroupName");
    struct asg_group g;
    if (asg_group_load(r, name, &g) == 0) {
        asg_group_free(&g);
        return dd_fail(r, 400, "AlreadyExists",
                       "AutoScalingGroup by this name already exists - A group with the name %s already exists", name);
    }
    int64_t min = dd_in_int(in, "MinSize", 0), max = dd_in_int(in, "MaxSize", 0),
            desired = dd_in_int(in, "DesiredCapacity", min);
    if (sizes_or_err(r, min, max, desired) || target_groups_or_err(r, json_object_get(in, "TargetGroupARNs")))
        return NULL;
    char uuid[37];
    dd_uuid(uuid);
    char *arn = dd_arn(r, "autoscaling", "autoScalingGroup:%s:autoScalingGroupName/%s", uuid, name);
    char slr[160]; /* IAM: no region */
    snprintf(slr, sizeof slr,
             "arn:aws:iam::%s:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
             r->account);
    json_t *doc = json_pack(
        "{s:s, s:s, s:I, s:I, s:I, s:I, s:[], s:[], s:s, s:I, s:I, s:[], s:[], s:[], s:[s], s:b, s:s?, s:b, s:[]}",
        "AutoScalingGroupName", name, "AutoScalingGroupARN", arn, "MinSize", (json_int_t)min, "MaxSize",
        (json_int_t)max, "DesiredCapacity", (json_int_t)desired, "DefaultCooldown",
        (json_int_t)dd_in_int(in, "DefaultCooldown", 300), "LoadBalancerNames", "TargetGroupARNs", "HealthCheckType",
        dd_in_str(in, "HealthCheckType") ? dd_in_str(in, "HealthCheckType") : "EC2", "HealthCheckGracePeriod",
        (json_int_t)dd_in_int(in, "HealthCheckGracePeriod", 0), "_created_ms", (json_int_t)r->now_ms,
        "SuspendedProcesses", "EnabledMetrics", "Tags", "TerminationPolicies", "Default",
        "NewInstancesProtectedFromScaleIn", dd_in_bool(in, "NewInstancesProtectedFromScaleIn"), "ServiceLinkedRoleARN",
        slr, "CapacityRebalance", dd_in_bool(in, "CapacityRebalance"), "TrafficSources");
    free(arn);
    copy_member(doc, in, "TargetGroupARNs");
    copy_member(doc, in, "TerminationPolicies");
    copy_member(doc, in, "DefaultInstanceWarmup");
    copy_member(doc, in, "MaxInstanceLifetime");
    g = (struct asg_group){.doc = doc};
    snprintf(g.name, sizeof g.name, "%s", name);
    char at[32], cause[512];
    asg_iso(r->now_ms, at);
    snprintf(cause, sizeof cause,
             "At %s a user request created an AutoScalingGroup changing the desired capacity from 0 to %" PRId64 ".",
             at, desired);
    json_object_set_new(doc, "_cause", json_string(cause));
    json_t *tags = json_deep_copy(json_object_get(in, "Tags")), *t;
    size_t i;
    json_array_foreach(tags, i, t)
    {
        json_object_set_new(t, "ResourceId", json_string(name));
        json_object_set_new(t, "ResourceType", json_string("auto-scaling-group"));
    }
    int rc = launch_source_apply(r, doc, in, true) || placement_apply(r, doc, in, true) || asg_group_save(r, &g) ||
             asg_tags_apply(r, tags, false);
    json_decref(tags);
    asg_group_free(&g);
    if (rc || asg_poke(r, name, 0))
        return NULL;
    return json_object();
}

json_t *asg_op_UpdateAutoScalingGroup(struct dd_request *r, json_t *in)
{
    struct asg_group g;
    if (asg_group_or_err(r, dd_in_str(in, "AutoScalingGroupName"), &g))
        return NULL;
    json_t *doc = g.doc;
    int64_t old_min = dd_in_int(doc, "MinSize", 0), old_max = dd_in_int(doc, "MaxSize", 0),
            old_desired = dd_in_int(doc, "DesiredCapacity", 0);
    int64_t min = dd_in_int(in, "MinSize", old_min), max = dd_in_int(in, "MaxSize", old_max);
    int64_t desired = dd_in_int(in, "DesiredCapacity", old_desired);
    if (!json_object_get(in, "DesiredCapacity")) /* the limits move the desired
                                                    capacity inside them */
        desired = desired < min ? min : desired > max ? max : desired;
    int rc = sizes_or_err(r, min, max, desired) || launch_source_apply(r, doc, in, false) ||
             placement_apply(r, doc, in, false);
    if (!rc) {
        static const char *const KEYS[] = {"DefaultCooldown",
                                           "HealthCheckType",
                                           "HealthCheckGracePeriod",
                                           "TerminationPolicies",
                                           "NewInstancesProtectedFromScaleIn",
                                           "CapacityRebalance",
                                           "DefaultInstanceWarmup",
                                           "MaxInstanceLifetime"};
        for (size_t i = 0; i < sizeof KEYS / sizeof *KEYS; i++)
            copy_member(doc, in, KEYS[i]);
        json_object_set_new(doc, "MinSize", json_integer(min));
        json_object_set_new(doc, "MaxSize", json_integer(max));
        char why[256];
        snprintf(why, sizeof why,
                 "a user request update of AutoScalingGroup constraints to min: %" PRId64 ", max: %" PRId64
                 ", desired: %" PRId64,
                 min, max, desired);
        rc = asg_set_desired(r, &g, desired, why);
    }
    asg_group_free(&g);
    return rc ? NULL : json_object();
}

static int group_delete_now(struct dd_request *r, const char *name)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_GROUP_DELETE);
    store_bind_text(st, 3, name);
    sim_cancel(r, ASG_RECONCILE_EVENT, name);
    return asg_policies_delete_all(r, name) || dd_exec(r, st);
}

json_t *asg_op_DeleteAutoScalingGroup(struct dd_request *r, json_t *in)
{
    struct asg_group g;
    if (asg_group_or_err(r, dd_in_str(in, "AutoScalingGroupName"), &g))
        return NULL;
    json_t *members = members_of(r, g.name), *m;
    size_t i;
    bool moving = false;
    json_array_foreach(members, i, m) moving = moving || strcmp(dd_in_str(m, "LifecycleState"), "InService") != 0;
    size_t n = json_array_size(members);
    json_decref(members);
    int rc = 0;
    if (n && !dd_in_bool(in, "ForceDelete")) {
        rc = moving ? dd_reject(r, 400, "ScalingActivityInProgress",
                                "You cannot delete an AutoScalingGroup while there are scaling activities in progress.")
                    : dd_reject(r, 400, "ResourceInUse",
                                "You cannot delete an AutoScalingGroup while there are instances or pending Spot "
                                "instance request(s) still in the group.");
    } else if (n == 0) {
        rc = group_delete_now(r, g.name);
    } else { /* ForceDelete: the instances go first, then the group (reconcile) */
        json_object_set_new(g.doc, "Status", json_string("Delete in progress"));
        json_object_set_new(g.doc, "MinSize", json_integer(0));
        json_object_set_new(g.doc, "MaxSize", json_integer(0));
        rc = asg_set_desired(r, &g, 0, "a user request deleted the AutoScalingGroup");
    }
    asg_group_free(&g);
    return rc ? NULL : json_object();
}

int asg_set_desired(struct dd_request *r, struct asg_group *g, int64_t desired, const char *why)
{
    int64_t old = dd_in_int(g->doc, "DesiredCapacity", 0);
    if (old != desired) {
        char at[32], cause[1024];
        asg_iso(r->now_ms, at);
        snprintf(cause, sizeof cause, "At %s %s changing the desired capacity from %" PRId64 " to %" PRId64 ".", at,
                 why, old, desired);
        json_object_set_new(g->doc, "_cause", json_string(cause));
        json_object_set_new(g->doc, "DesiredCapacity", json_integer(desired));
    }
    return asg_group_save(r, g) || asg_poke(r, g->name, 0);
}

/* ---- describe ---------------------------------------------------------------------------------------- */

static json_t *group_json(struct dd_request *r, const struct asg_group *g)
{
    json_t *out = json_object(), *v, *members = members_of(r, g->name), *m;
    const char *key;
    json_object_foreach(g->doc, key, v)
    {
        if (key[0] != '_')
            json_object_set(out, key, v);
    }
    json_object_set_new(out, "CreatedTime", dd_time(dd_in_int(g->doc, "_created_ms", 0)));
    size_t i;
    json_array_foreach(members, i, m)
    {
        json_object_del(m, "_launch_ms");
        json_object_del(m, "AutoScalingGroupName");
    }
    json_object_set_new(out, "Instances", members);
    return out;
}

/* Whether group `g` passes DescribeAutoScalingGroups' Filters (tag:KEY, tag-key, tag-value). */
static bool group_matches(const struct asg_group *g, json_t *filters)
{
    size_t i, k, j;
    json_t *f, *t, *v;
    json_array_foreach(filters, i, f)
    {
        const char *name = dd_in_str(f, "Name");
        bool any = false;
        json_array_foreach(json_object_get(g->doc, "Tags"), k, t)
        {
            json_array_foreach(json_object_get(f, "Values"), j, v)
            {
                const char *want = json_string_value(v);
                if (strncmp(name, "tag:", 4) == 0)
                    any =
                        any || (strcmp(dd_in_str(t, "Key"), name + 4) == 0 && strcmp(dd_in_str(t, "Value"), want) == 0);
                else if (strcmp(name, "tag-key") == 0)
                    any = any || strcmp(dd_in_str(t, "Key"), want) == 0;
                else if (strcmp(name, "tag-value") == 0)
                    any = any || strcmp(dd_in_str(t, "Value"), want) == 0;
            }
        }
        if (!any)
            return false;
    }
    return true;
}

json_t *asg_op_DescribeAutoScalingGroups(struct dd_request *r, json_t *in)
{
    json_t *names = json_object_get(in, "AutoScalingGroupNames"), *all = NULL, *items = json_array(), *n;
    if (!json_array_size(names))
        names = all = asg_group_names(r);
    size_t i;
    json_array_foreach(names, i, n)
    {
        struct asg_group g;
        if (asg_group_load(r, json_string_value(n), &g))
            continue;
        if (group_matches(&g, json_object_get(in, "Filters")))
            json_array_append_new(items, group_json(r, &g));
        asg_group_free(&g);
    }
    json_decref(all);
    return asg_page(in, items, "AutoScalingGroups", 50);
}

json_t *asg_op_DescribeAutoScalingInstances(struct dd_request *r, json_t *in)
{
    json_t *ids = json_object_get(in, "InstanceIds"), *all = members_of(r, NULL), *items = json_array(), *m, *id;
    size_t i, k;
    json_array_foreach(all, i, m)
    {
        bool wanted = !json_array_size(ids);
        json_array_foreach(ids, k, id) wanted =
            wanted || strcmp(json_string_value(id), dd_in_str(m, "InstanceId")) == 0;
        if (!wanted)
            continue;
        json_object_del(m, "_launch_ms");
        if (strcmp(dd_in_str(m, "HealthStatus"), "Healthy") == 0) /* this API writes it in capitals */
            json_object_set_new(m, "HealthStatus", json_string("HEALTHY"));
        else
            json_object_set_new(m, "HealthStatus", json_string("UNHEALTHY"));
        json_array_append(items, m);
    }
    json_decref(all);
    return asg_page(in, items, "AutoScalingInstances", 50);
}

/* ---- capacity and instances -------------------------------------------------------------------------- */

json_t *asg_op_SetDesiredCapacity(struct dd_request *r, json_t *in)
{
    struct asg_group g;
    if (asg_group_or_err(r, dd_in_str(in, "AutoScalingGroupName"), &g))
        return NULL;
    int64_t want = dd_in_int(in, "DesiredCapacity", 0), rc;
    int64_t min = dd_in_int(g.doc, "MinSize", 0), max = dd_in_int(g.doc, "MaxSize", 0);
    int64_t until = dd_in_int(g.doc, "_scaled_ms", -1) + dd_in_int(g.doc, "DefaultCooldown", 300) * 1000;
    if (want > max)
        rc = dd_reject(r, 400, "ValidationError",
                       "New SetDesiredCapacity value %" PRId64 " is above max value %" PRId64
                       " for the AutoScalingGroup.",
                       want, max);
    else if (want < min)
        rc = dd_reject(r, 400, "ValidationError",
                       "New SetDesiredCapacity value %" PRId64 " is below min value %" PRId64
                       " for the AutoScalingGroup.",
                       want, min);
    else if (dd_in_bool(in, "HonorCooldown") && dd_in_int(g.doc, "_scaled_ms", -1) >= 0 && r->now_ms < until)
        rc = dd_reject(r, 400, "ScalingActivityInProgress", "Scaling activity is in progress and blocks this action.");
    else
        rc = asg_set_desired(r, &g, want, "a user request explicitly set group desired capacity");
    asg_group_free(&g);
    return rc ? NULL : json_object();
}

/* The group member `id`, or -1 with AWS's error. `m` holds a new reference to its object. */
static int member_or_err(struct dd_request *r, const char *group, const char *id, struct member *out, json_t **m)
{
    json_t *all = members_of(r, group), *x;
    size_t i;
    *m = NULL;
    json_array_foreach(all, i, x)
    {
        if (strcmp(dd_in_str(x, "InstanceId"), id) == 0) {
            *m = json_incref(x);
            member_of_json(x, out);
        }
    }
    json_decref(all);
    if (*m)
        return 0;
    return dd_reject(r, 400, "ValidationError", "Instance Id not found - No managed instance found for instance ID: %s",
                     id);
}

static void target_groups_each(struct dd_request *r, const struct asg_group *g, const char *id, bool add)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(g->doc, "TargetGroupARNs"), i, a)
    {
        /* a group that vanished or refuses the instance leaves the instance out, as AWS does */
        if (add ? elbv2_register_target(r, json_string_value(a), id, 0)
                : elbv2_deregister_target(r, json_string_value(a), id, 0))
            dd_err_clear(&r->err);
    }
}

/* Starts terminating member `m` with `cause`: an activity, deregistration, EC2 termination. */
static int member_terminate(struct dd_request *r, const struct asg_group *g, const struct member *m, const char *cause,
                            char activity[37])
{
    char desc[96];
    snprintf(desc, sizeof desc, "Terminating EC2 instance: %s", m->id);
    if (!asg_suspended(g, "AddToLoadBalancer"))
        target_groups_each(r, g, m->id, false);
    ec2_instance_terminate(r, m->id);
    return member_set(r, m->id, "Terminating", NULL, -1) ||
           asg_activity_add(r, g->name, desc, cause, "Successful", NULL, activity);
}

json_t *asg_op_TerminateInstanceInAutoScalingGroup(struct dd_request *r, json_t *in)
{
    struct member m;
    json_t *mj;
    if (member_or_err(r, NULL, dd_in_str(in, "InstanceId"), &m, &mj))
        return NULL;
    json_decref(mj);
    struct asg_group g;
    if (asg_group_or_err(r, m.group, &g))
        return NULL;
    bool decrement = dd_in_bool(in, "ShouldDecrementDesiredCapacity");
    int64_t desired = dd_in_int(g.doc, "DesiredCapacity", 0), cap = asg_capacity(r, g.name);
    char at[32], cause[1024], activity[37];
    asg_iso(r->now_ms, at);
    int rc = 0;
    if (decrement && desired - 1 < dd_in_int(g.doc, "MinSize", 0))
        rc = dd_reject(r, 400, "ValidationError",
                       "Currently, desiredSize equals minSize (%" PRId64
                       "). Terminating instance without replacement will violate group's min size constraint. Either "
                       "set shouldDecrementDesiredCapacity flag to false or lower group's min size.",
                       desired);
    if (!rc && strcmp(m.state, "Terminating") != 0) {
        if (decrement)
            snprintf(cause, sizeof cause,
                     "At %s instance %s was taken out of service in response to a user request, shrinking the capacity "
                     "from %" PRId64 " to %" PRId64 ".",
                     at, m.id, cap, cap - 1);
        else
            snprintf(cause, sizeof cause, "At %s instance %s was taken out of service in response to a user request.",
                     at, m.id);
        rc = member_terminate(r, &g, &m, cause, activity);
        if (!rc && decrement) {
            json_object_set_new(g.doc, "DesiredCapacity", json_integer(desired - 1));
            json_object_del(g.doc, "_cause");
        }
        rc = rc || asg_group_save(r, &g) || asg_poke(r, g.name, 0);
    }
    asg_group_free(&g);
    if (rc)
        return NULL;
    json_t *a = asg_activity_json(r, activity);
    return json_pack("{s:o?}", "Activity", a);
}

json_t *asg_op_SetInstanceProtection(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "AutoScalingGroupName");
    struct asg_group g;
    if (asg_group_or_err(r, name, &g))
        return NULL;
    asg_group_free(&g);
    size_t i;
    json_t *id;
    json_array_foreach(json_object_get(in, "InstanceIds"), i, id)
    {
        struct member m;
        json_t *mj;
        if (member_or_err(r, name, json_string_value(id), &m, &mj))
            return NULL;
        json_decref(mj);
        if (member_set(r, m.id, NULL, NULL, dd_in_bool(in, "ProtectedFromScaleIn")))
            return NULL;
    }
    return json_object();
}

json_t *asg_op_SetInstanceHealth(struct dd_request *r, json_t *in)
{
    const char *id = dd_in_str(in, "InstanceId"), *health = dd_in_str(in, "HealthStatus");
    if (strcmp(health, "Healthy") != 0 && strcmp(health, "Unhealthy") != 0)
        return dd_fail(r, 400, "ValidationError", "Valid instance health states are: [Healthy, Unhealthy].");
    struct member m;
    json_t *mj;
    if (member_or_err(r, NULL, id, &m, &mj))
        return NULL;
    json_decref(mj);
    return member_set(r, id, NULL, health, -1) || asg_poke(r, m.group, 0) ? NULL : json_object();
}

/* ---- target groups ----------------------------------------------------------------------------------- */

static json_t *target_groups_change(struct dd_request *r, json_t *in, bool attach)
{
    struct asg_group g;
    json_t *arns = json_object_get(in, "TargetGroupARNs");
    if (asg_group_or_err(r, dd_in_str(in, "AutoScalingGroupName"), &g))
        return NULL;
    if (attach && target_groups_or_err(r, arns)) {
        asg_group_free(&g);
        return NULL;
    }
    json_t *now = json_object_get(g.doc, "TargetGroupARNs"), *kept = json_array(), *a, *b;
    size_t i, k;
    json_array_foreach(now, i, a)
    {
        bool named = false;
        json_array_foreach(arns, k, b) named = named || json_equal(a, b);
        if (attach || !named)
            json_array_append(kept, a);
    }
    json_array_foreach(arns, k, b)
    {
        bool had = false;
        json_array_foreach(now, i, a) had = had || json_equal(a, b);
        if (attach && !had)
            json_array_append(kept, b);
    }
    /* the group's InService instances join (or leave) the named groups */
    json_t *members = members_of(r, g.name), *m;
    json_t *named = json_pack("{s:O}", "TargetGroupARNs", arns);
    struct asg_group only = {.doc = named};
    json_array_foreach(members, i, m)
    {
        if (strcmp(dd_in_str(m, "LifecycleState"), "InService") == 0)
            target_groups_each(r, &only, dd_in_str(m, "InstanceId"), attach);
    }
    json_decref(named);
    json_decref(members);
    json_object_set_new(g.doc, "TargetGroupARNs", kept);
    int rc = asg_group_save(r, &g);
    asg_group_free(&g);
    return rc ? NULL : json_object();
}

json_t *asg_op_AttachLoadBalancerTargetGroups(struct dd_request *r, json_t *in)
{
    return target_groups_change(r, in, true);
}

json_t *asg_op_DetachLoadBalancerTargetGroups(struct dd_request *r, json_t *in)
{
    return target_groups_change(r, in, false);
}

json_t *asg_op_DescribeLoadBalancerTargetGroups(struct dd_request *r, json_t *in)
{
    struct asg_group g;
    if (asg_group_or_err(r, dd_in_str(in, "AutoScalingGroupName"), &g))
        return NULL;
    json_t *items = json_array(), *a;
    size_t i;
    json_array_foreach(json_object_get(g.doc, "TargetGroupARNs"), i, a)
        json_array_append_new(items, json_pack("{s:O, s:s}", "LoadBalancerTargetGroupARN", a, "State", "InService"));
    asg_group_free(&g);
    return json_pack("{s:o}", "LoadBalancerTargetGroups", items);
}

/* ---- reconcile: the simulation ----------------------------------------------------------------------- */

/* The subnets instances launch in (new reference): VPCZoneIdentifier's, else the default VPC's in the group's zones. */
static json_t *launch_subnets(struct dd_request *r, const struct asg_group *g)
{
    json_t *out = json_array(), *zones = json_array();
    const char *list = dd_in_str(g->doc, "VPCZoneIdentifier");
    if (list && *list) {
        json_t *s = subnets_or_err(r, list, zones);
        dd_err_clear(&r->err);
        json_decref(zones);
        json_decref(out);
        return s ? s : json_array();
    }
    char vpc[64];
    json_t *all = json_array(), *s, *z;
    size_t i, k;
    if (ec2_default_vpc_subnets(r, vpc, all) == 0) {
        json_array_foreach(all, i, s)
        {
            struct ec2_subnet_info info;
            if (ec2_subnet_info(r, json_string_value(s), &info))
                continue;
            json_array_foreach(json_object_get(g->doc, "AvailabilityZones"), k, z)
            {
                if (strcmp(json_string_value(z), info.zone) == 0)
                    json_array_append(out, s);
            }
        }
    }
    dd_err_clear(&r->err);
    json_decref(all);
    json_decref(zones);
    return out;
}

/* How many of `members` (not terminating) are in `zone`. */
static int zone_count(json_t *members, const char *zone)
{
    int n = 0;
    size_t i;
    json_t *m;
    json_array_foreach(members, i, m) n += strcmp(dd_in_str(m, "AvailabilityZone"), zone) == 0 &&
                                           strcmp(dd_in_str(m, "LifecycleState"), "Terminating") != 0;
    return n;
}

/* The RunInstances input of one launch in `subnet`: the group's template and tags (new reference). */
static json_t *launch_input(const struct asg_group *g, const char *subnet, json_t **template_out)
{
    json_t *lt = json_object_get(g->doc, "LaunchTemplate"), *in = json_object(), *tags, *t;
    json_t *mixed = json_object_get(g->doc, "MixedInstancesPolicy");
    if (!lt && mixed) {
        json_t *spec = json_object_get(json_object_get(mixed, "LaunchTemplate"), "LaunchTemplateSpecification");
        json_t *over = json_array_get(json_object_get(json_object_get(mixed, "LaunchTemplate"), "Overrides"), 0);
        lt = spec;
        if (dd_in_str(over, "InstanceType"))
            json_object_set_new(in, "InstanceType", json_string(dd_in_str(over, "InstanceType")));
    }
    *template_out = lt;
    if (lt)
        json_object_set(in, "LaunchTemplate", lt);
    json_object_set_new(in, "SubnetId", json_string(subnet));
    json_object_set_new(in, "MinCount", json_integer(1));
    json_object_set_new(in, "MaxCount", json_integer(1));
    tags = json_pack("[{s:s, s:s}]", "Key", "aws:autoscaling:groupName", "Value", g->name);
    size_t i;
    json_array_foreach(json_object_get(g->doc, "Tags"), i, t)
    {
        if (dd_in_bool(t, "PropagateAtLaunch"))
            json_array_append_new(
                tags, json_pack("{s:O, s:O}", "Key", json_object_get(t, "Key"), "Value", json_object_get(t, "Value")));
    }
    json_object_set_new(in, "TagSpecifications", json_pack("[{s:s, s:o}]", "ResourceType", "instance", "Tags", tags));
    return in;
}

/* Launches one instance in the least used zone; 1 when EC2 refused (a failed activity is recorded). */
static int launch_one(struct dd_request *r, const struct asg_group *g, json_t *members, json_t *subnets,
                      const char *cause_prefix, int64_t from, int64_t to)
{
    const char *best = NULL;
    int best_n = 0;
    char best_zone[32] = "";
    size_t i;
    json_t *s;
    json_array_foreach(subnets, i, s)
    {
        struct ec2_subnet_info info;
        if (ec2_subnet_info(r, json_string_value(s), &info))
            continue;
        int n = zone_count(members, info.zone);
        if (!best || n < best_n) {
            best = json_string_value(s), best_n = n;
            snprintf(best_zone, sizeof best_zone, "%s", info.zone);
        }
    }
    char at[32], cause[1024];
    asg_iso(r->now_ms, at);
    snprintf(cause, sizeof cause,
             "%s%sAt %s an instance was started in response to a difference between desired and actual capacity, "
             "increasing the capacity from %" PRId64 " to %" PRId64 ".",
             cause_prefix ? cause_prefix : "", cause_prefix ? "  " : "", at, from, to);
    if (!best)
        return asg_activity_add(r, g->name, "Launching a new EC2 instance.  Status Reason: No subnets.", cause,
                                "Failed", "No subnets.", NULL)
                   ? -1
                   : 1;
    json_t *tpl = NULL, *in = launch_input(g, best, &tpl), *ids = json_array();
    int rc = ec2_instances_run(r, in, 1, ids);
    json_decref(in);
    if (rc) {
        char msg[1100], desc[1200];
        snprintf(msg, sizeof msg, "%s", r->err.message);
        dd_err_clear(&r->err);
        snprintf(desc, sizeof desc, "Launching a new EC2 instance.  Status Reason: %s", msg);
        json_decref(ids);
        return asg_activity_add(r, g->name, desc, cause, "Failed", msg, NULL) ? -1 : 1;
    }
    const char *id = json_string_value(json_array_get(ids, 0));
    struct ec2_instance_info info;
    if (ec2_instance_get(r, id, &info))
        memset(&info, 0, sizeof info);
    char *tpl_json = tpl ? json_dumps(tpl, JSON_COMPACT) : NULL;
    sqlite3_stmt *st = dd_stmt(r, SQL_INSTANCE_ADD);
    store_bind_text(st, 3, id);
    store_bind_text(st, 4, g->name);
    store_bind_text(st, 5, info.zone[0] ? info.zone : best_zone);
    store_bind_text(st, 6, info.type);
    store_bind_text(st, 7, "Pending");
    sqlite3_bind_int(st, 8, dd_in_bool(g->doc, "NewInstancesProtectedFromScaleIn"));
    sqlite3_bind_int64(st, 9, r->now_ms);
    store_bind_text(st, 10, tpl_json);
    free(tpl_json);
    char desc[96];
    snprintf(desc, sizeof desc, "Launching a new EC2 instance: %s", id);
    json_array_append_new(members, json_pack("{s:s, s:s, s:s}", "InstanceId", id, "AvailabilityZone",
                                             info.zone[0] ? info.zone : best_zone, "LifecycleState", "Pending"));
    rc = dd_exec(r, st) || asg_activity_add(r, g->name, desc, cause, "Successful", NULL, NULL);
    json_decref(ids);
    return rc ? -1 : 0;
}

/* The member to terminate on scale-in (default policy: the zone with the most, then the oldest), or NULL. */
static json_t *scale_in_victim(json_t *members)
{
    json_t *best = NULL, *m;
    int best_n = -1;
    size_t i;
    json_array_foreach(members, i, m)
    {
        if (dd_in_bool(m, "ProtectedFromScaleIn") || strcmp(dd_in_str(m, "LifecycleState"), "Terminating") == 0)
            continue;
        int n = zone_count(members, dd_in_str(m, "AvailabilityZone"));
        if (n > best_n) /* members are oldest first: the first of the fullest zone */
            best = m, best_n = n;
    }
    return best;
}

/* Follows one member's EC2 state: 1 when it left (its slot may need a replacement). */
static int member_follow(struct dd_request *r, const struct asg_group *g, json_t *mj, bool *moving)
{
    struct member m;
    member_of_json(mj, &m);
    struct ec2_instance_info info;
    bool gone = ec2_instance_get(r, m.id, &info) != 0;
    bool down = gone || strcmp(info.state, "terminated") == 0 || strcmp(info.state, "shutting-down") == 0 ||
                strcmp(info.state, "stopped") == 0 || strcmp(info.state, "stopping") == 0;
    char at[32], cause[512];
    asg_iso(r->now_ms, at);
    if (strcmp(m.state, "Terminating") == 0) {
        if (gone || strcmp(info.state, "terminated") == 0)
            return member_delete(r, m.id) ? -1 : 1;
        *moving = true;
        return 0;
    }
    if (down && !asg_suspended(g, "HealthCheck")) {
        snprintf(cause, sizeof cause,
                 "At %s an instance was taken out of service in response to an EC2 health check indicating it has been "
                 "terminated or stopped.",
                 at);
        if (member_terminate(r, g, &m, cause, NULL))
            return -1;
        json_object_set_new(mj, "LifecycleState", json_string("Terminating"));
        *moving = true;
        return 0;
    }
    if (strcmp(m.health, "Unhealthy") == 0 && !asg_suspended(g, "ReplaceUnhealthy")) {
        snprintf(cause, sizeof cause, "At %s an instance was taken out of service in response to a user health-check.",
                 at);
        if (member_terminate(r, g, &m, cause, NULL))
            return -1;
        json_object_set_new(mj, "LifecycleState", json_string("Terminating"));
        *moving = true;
        return 0;
    }
    if (strcmp(m.state, "Pending") == 0) {
        if (gone || strcmp(info.state, "running") != 0) {
            *moving = true;
            return 0;
        }
        if (!asg_suspended(g, "AddToLoadBalancer"))
            target_groups_each(r, g, m.id, true);
        json_object_set_new(mj, "LifecycleState", json_string("InService"));
        return member_set(r, m.id, "InService", NULL, -1) ? -1 : 0;
    }
    return 0;
}

int asg_reconcile(struct dd_request *r, const char *name, json_t *payload)
{
    (void)payload;
    struct asg_group g;
    if (asg_group_load(r, name, &g))
        return 0;
    json_t *members = members_of(r, name), *m;
    bool moving = false, acted = false, refused = false;
    int rc = 0;
    size_t i;
    json_array_foreach(members, i, m)
    {
        int left = member_follow(r, &g, m, &moving);
        if (left < 0)
            rc = -1;
    }
    json_decref(members);
    members = members_of(r, name);
    int64_t desired = dd_in_int(g.doc, "DesiredCapacity", 0), cap = asg_capacity(r, name);
    const char *prefix = dd_in_str(g.doc, "_cause");
    if (!rc && cap < desired && !asg_suspended(&g, "Launch")) {
        json_t *subnets = launch_subnets(r, &g);
        int64_t from = cap;
        for (; !rc && cap < desired; cap++) {
            int x = launch_one(r, &g, members, subnets, prefix, from, desired);
            if (x)
                rc = x < 0 ? -1 : 0, refused = true, cap = desired; /* refused: try again later */
        }
        json_decref(subnets);
        acted = true;
        moving = moving || !refused;
    } else if (!rc && cap > desired && !asg_suspended(&g, "Terminate")) {
        char at[32], cause[1400];
        asg_iso(r->now_ms, at);
        int64_t from = cap;
        for (; !rc && cap > desired; cap--) {
            json_t *v = scale_in_victim(members);
            if (!v)
                break;
            struct member vm;
            member_of_json(v, &vm);
            snprintf(cause, sizeof cause,
                     "%s%sAt %s an instance was taken out of service in response to a difference between desired and "
                     "actual capacity, shrinking the capacity from %" PRId64 " to %" PRId64
                     ".  At %s instance %s was selected for termination.",
                     prefix ? prefix : "", prefix ? "  " : "", at, from, desired, at, vm.id);
            rc = member_terminate(r, &g, &vm, cause, NULL);
            json_object_set_new(v, "LifecycleState", json_string("Terminating"));
        }
        acted = moving = true;
    }
    json_decref(members);
    if (acted) {
        json_object_del(g.doc, "_cause");
        json_object_set_new(g.doc, "_scaled_ms", json_integer(r->now_ms));
    }
    if (!rc && dd_in_str(g.doc, "Status") && asg_capacity(r, name) == 0 && !moving) {
        rc = group_delete_now(r, name);
        asg_group_free(&g);
        return rc;
    }
    if (!rc && acted)
        rc = asg_group_save(r, &g);
    if (!rc)
        rc = sim_schedule(r,
                          refused  ? sim_delay_ms(30000, 300000)
                          : moving ? sim_delay_ms(1000, 10000)
                                   : health_period(),
                          ASG_RECONCILE_EVENT, name, NULL);
    asg_group_free(&g);
    return rc;
}

/* ---- what ECS capacity providers ask (autoscaling.h) ------------------------------------------------- */

static const char SQL_GROUP_OF[] = "SELECT grp FROM asg_instance WHERE account=?1 AND region=?2 AND id=?3";

int asg_group_exists(struct dd_request *r, const char *name, bool *protect_new)
{
    struct asg_group g;
    if (asg_group_load(r, name, &g))
        return 1;
    if (protect_new)
        *protect_new = dd_in_bool(g.doc, "NewInstancesProtectedFromScaleIn");
    asg_group_free(&g);
    return 0;
}

int asg_group_of_instance(struct dd_request *r, const char *id, char *group)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_GROUP_OF);
    store_bind_text(st, 3, id);
    int rc = 1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(group, 256, "%s", store_col_text(st, 0));
        rc = 0;
    }
    sqlite3_reset(st);
    return rc;
}

int asg_protect_instance(struct dd_request *r, const char *id, bool protect)
{
    char group[256];
    if (asg_group_of_instance(r, id, group))
        return 1;
    return member_set(r, id, NULL, NULL, protect ? 1 : 0);
}
