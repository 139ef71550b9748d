/*
 * autoscaling_policy.c - EC2 Auto Scaling policies (simple, step, target tracking), the CloudWatch alarms of target
 * tracking, and what a policy does when an alarm invokes it (asg_alarm_action) or ExecutePolicy runs it.
 *
 * A target tracking policy owns two alarms, named as AWS names them (TargetTracking-GROUP-AlarmHigh-UUID: 3 of 3
 * one-minute periods above the target; -AlarmLow-UUID: 15 of 15 below 90% of it, absent with DisableScaleIn). A simple
 * policy waits for its cooldown (the group's default when it names none) after it scaled; step and target tracking
 * scale-outs wait for the instance warm-up (EstimatedInstanceWarmup, else the group's DefaultInstanceWarmup, else its
 * DefaultCooldown), target tracking scale-ins for the same.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoscaling_internal.h"
#include "autoscaling_steps.h"
#include "cloudwatch.h"

#define POLICY_COLS "grp, name, arn, doc, created_ms, scaled_ms"
static const char SQL_POLICY[] =
    "SELECT " POLICY_COLS " FROM asg_policy WHERE account=?1 AND region=?2 AND grp=?3 AND name=?4";
static const char SQL_POLICY_BY_ARN[] =
    "SELECT " POLICY_COLS " FROM asg_policy WHERE account=?1 AND region=?2 AND arn=?3";
static const char SQL_POLICIES[] =
    "SELECT " POLICY_COLS
    " FROM asg_policy WHERE account=?1 AND region=?2 AND (?3 IS NULL OR grp=?3) ORDER BY created_ms, name";
static const char SQL_PUT_POLICY[] =
    "INSERT INTO asg_policy (account, region, grp, name, arn, doc, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON "
    "CONFLICT (account, region, grp, name) DO UPDATE SET doc=excluded.doc";
static const char SQL_DELETE_POLICY[] = "DELETE FROM asg_policy WHERE account=?1 AND region=?2 AND arn=?3";
static const char SQL_SCALED[] = "UPDATE asg_policy SET scaled_ms=?4 WHERE account=?1 AND region=?2 AND arn=?3";

/* A stored policy (doc owned). */
struct policy {
    char group[256], name[256], arn[1600];
    json_t *doc;
    int64_t created_ms, scaled_ms; /* -1: never */
};

static int policy_step(sqlite3_stmt *st, struct policy *p)
{
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        snprintf(p->group, sizeof p->group, "%s", store_col_text(st, 0));
        snprintf(p->name, sizeof p->name, "%s", store_col_text(st, 1));
        snprintf(p->arn, sizeof p->arn, "%s", store_col_text(st, 2));
        p->doc = json_loads(store_col_text(st, 3), 0, NULL);
        p->created_ms = sqlite3_column_int64(st, 4);
        p->scaled_ms = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 5);
    }
    return found ? 0 : 1;
}

static int policy_get(struct dd_request *r, const char *group, const char *name_or_arn, struct policy *p)
{
    bool arn = strncmp(name_or_arn, "arn:", 4) == 0;
    sqlite3_stmt *st = dd_stmt(r, arn ? SQL_POLICY_BY_ARN : SQL_POLICY);
    if (arn)
        store_bind_text(st, 3, name_or_arn);
    else {
        store_bind_text(st, 3, group);
        store_bind_text(st, 4, name_or_arn);
    }
    int rc = policy_step(st, p);
    sqlite3_reset(st);
    return rc;
}

static int policy_delete(struct dd_request *r, struct policy *p)
{
    cw_alarms_delete(r, json_object_get(p->doc, "Alarms"));
    sqlite3_stmt *st = dd_stmt(r, SQL_DELETE_POLICY);
    store_bind_text(st, 3, p->arn);
    return dd_exec(r, st);
}

int asg_policies_delete_all(struct dd_request *r, const char *group)
{
    json_t *arns = json_array(), *a;
    struct policy p;
    sqlite3_stmt *st = dd_stmt(r, SQL_POLICIES);
    store_bind_text(st, 3, group);
    while (policy_step(st, &p) == 0) {
        json_array_append_new(arns, json_string(p.arn));
        json_decref(p.doc);
    }
    sqlite3_reset(st);
    size_t i;
    int rc = 0;
    json_array_foreach(arns, i, a)
    {
        if (!rc && policy_get(r, NULL, json_string_value(a), &p) == 0) {
            rc = policy_delete(r, &p);
            json_decref(p.doc);
        }
    }
    json_decref(arns);
    return rc;
}

/* ---- target tracking: the metric and the alarms ------------------------------------------------------ */

/* The alarm metric of a TargetTrackingConfiguration as PutMetricAlarm members, or NULL (error set). */
static json_t *tracked_metric(struct dd_request *r, const char *group, json_t *cfg)
{
    json_t *pre = json_object_get(cfg, "PredefinedMetricSpecification");
    json_t *custom = json_object_get(cfg, "CustomizedMetricSpecification");
    if (pre && custom)
        return dd_fail(r, 400, "ValidationError",
                       "TargetTrackingConfiguration must specify exactly one of PredefinedMetricSpecification and "
                       "CustomizedMetricSpecification.");
    if (custom)
        return json_pack("{s:s, s:s, s:s, s:O*, s:s*}", "Namespace", dd_in_str(custom, "Namespace"), "MetricName",
                         dd_in_str(custom, "MetricName"), "Statistic",
                         dd_in_str(custom, "Statistic") ? dd_in_str(custom, "Statistic") : "Average", "Dimensions",
                         json_object_get(custom, "Dimensions"), "Unit", dd_in_str(custom, "Unit"));
    if (!pre)
        return dd_fail(r, 400, "ValidationError",
                       "TargetTrackingConfiguration must specify exactly one of PredefinedMetricSpecification and "
                       "CustomizedMetricSpecification.");
    const char *type = dd_in_str(pre, "PredefinedMetricType"), *label = dd_in_str(pre, "ResourceLabel");
    if (strcmp(type, "ALBRequestCountPerTarget") == 0) {
        const char *tg = label ? strstr(label, "/targetgroup/") : NULL;
        if (!label || strncmp(label, "app/", 4) != 0 || !tg)
            return dd_fail(
                r, 400, "ValidationError",
                "Resource label must be specified for ALBRequestCountPerTarget metric type and must be of the form "
                "app/<load-balancer-name>/<load-balancer-id>/targetgroup/<target-group-name>/<target-group-id>");
        return json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}]}", "Namespace", "AWS/ApplicationELB", "MetricName",
                         "RequestCountPerTarget", "Statistic", "Sum", "Dimensions", "Name", "TargetGroup", "Value",
                         tg + 1);
    }
    const char *metric = strcmp(type, "ASGAverageCPUUtilization") == 0 ? "CPUUtilization"
                         : strcmp(type, "ASGAverageNetworkIn") == 0    ? "NetworkIn"
                         : strcmp(type, "ASGAverageNetworkOut") == 0   ? "NetworkOut"
                                                                       : NULL;
    if (!metric)
        return dd_fail(r, 400, "ValidationError", "Unsupported predefined metric type: %s", type);
    return json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}]}", "Namespace", "AWS/EC2", "MetricName", metric, "Statistic",
                     "Average", "Dimensions", "Name", "AutoScalingGroupName", "Value", group);
}

static json_t *tracking_alarms(struct dd_request *r, const char *policy_arn, const char *group, json_t *cfg)
{
    json_t *metric = tracked_metric(r, group, cfg);
    if (!metric)
        return NULL;
    double target = json_number_value(json_object_get(cfg, "TargetValue"));
    json_t *alarms = json_array();
    int rc = cw_tracking_alarm_put(r, policy_arn, group, metric, true, target, alarms);
    if (!rc && !dd_in_bool(cfg, "DisableScaleIn"))
        rc = cw_tracking_alarm_put(r, policy_arn, group, metric, false, target * 0.9, alarms);
    json_decref(metric);
    if (rc) {
        json_decref(alarms);
        return NULL;
    }
    return alarms;
}

/* ---- the operations ---------------------------------------------------------------------------------- */

static bool adjustment_type_valid(const char *t)
{
    return !t || strcmp(t, "ChangeInCapacity") == 0 || strcmp(t, "ExactCapacity") == 0 ||
           strcmp(t, "PercentChangeInCapacity") == 0;
}

/* The rules of each policy type: 0 or -1. */
static int policy_check(struct dd_request *r, const char *type, json_t *in)
{
    const char *adj = dd_in_str(in, "AdjustmentType");
    if (!adjustment_type_valid(adj))
        return dd_reject(r, 400, "ValidationError", "Invalid adjustment type %s", adj);
    if (strcmp(type, "SimpleScaling") == 0) {
        if (!json_object_get(in, "ScalingAdjustment"))
            return dd_reject(r, 400, "ValidationError", "ScalingAdjustment is required for simple scaling policy");
        if (!adj)
            return dd_reject(r, 400, "ValidationError", "AdjustmentType is required for simple scaling policy");
    } else if (strcmp(type, "StepScaling") == 0) {
        if (!json_array_size(json_object_get(in, "StepAdjustments")))
            return dd_reject(r, 400, "ValidationError", "StepAdjustments is required for step scaling policy");
        if (!adj)
            return dd_reject(r, 400, "ValidationError", "AdjustmentType is required for step scaling policy");
    } else if (strcmp(type, "TargetTrackingScaling") == 0) {
        if (!json_object_get(in, "TargetTrackingConfiguration"))
            return dd_reject(r, 400, "ValidationError",
                             "TargetTrackingConfiguration is required for target tracking scaling policy");
    } else {
        return dd_reject(r, 400, "ValidationError", "Invalid policy type %s", type);
    }
    return 0;
}

json_t *asg_op_PutScalingPolicy(struct dd_request *r, json_t *in)
{
    const char *group = dd_in_str(in, "AutoScalingGroupName"), *name = dd_in_str(in, "PolicyName");
    const char *type = dd_in_str(in, "PolicyType") ? dd_in_str(in, "PolicyType") : "SimpleScaling";
    struct asg_group g;
    if (asg_group_or_err(r, group, &g))
        return NULL;
    asg_group_free(&g);
    if (policy_check(r, type, in))
        return NULL;
    struct policy old = {0};
    char arn[1600];
    bool fresh = policy_get(r, group, name, &old) != 0;
    if (fresh) {
        char uuid[37];
        dd_uuid(uuid);
        char *a = dd_arn(r, "autoscaling", "scalingPolicy:%s:autoScalingGroupName/%s:policyName/%s", uuid, group, name);
        snprintf(arn, sizeof arn, "%s", a);
        free(a);
    } else {
        snprintf(arn, sizeof arn, "%s", old.arn);
        cw_alarms_delete(r, json_object_get(old.doc, "Alarms"));
        json_decref(old.doc);
    }
    json_t *doc = json_deep_copy(in), *alarms = json_array();
    json_object_set_new(doc, "PolicyType", json_string(type));
    json_object_set_new(doc, "PolicyARN", json_string(arn));
    if (!json_object_get(doc, "Enabled"))
        json_object_set_new(doc, "Enabled", json_true());
    if (strcmp(type, "TargetTrackingScaling") == 0) {
        json_decref(alarms);
        alarms = tracking_alarms(r, arn, group, json_object_get(in, "TargetTrackingConfiguration"));
        if (!alarms) {
            json_decref(doc);
            return NULL;
        }
    }
    json_object_set(doc, "Alarms", alarms);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    sqlite3_stmt *st = dd_stmt(r, SQL_PUT_POLICY);
    store_bind_text(st, 3, group);
    store_bind_text(st, 4, name);
    store_bind_text(st, 5, arn);
    store_bind_text(st, 6, text);
    sqlite3_bind_int64(st, 7, r->now_ms);
    free(text);
    if (dd_exec(r, st)) {
        json_decref(alarms);
        return NULL;
    }
    return json_pack("{s:s, s:o}", "PolicyARN", arn, "Alarms", alarms);
}

static bool listed(json_t *list, const char *s)
{
    size_t i;
    json_t *v;
    if (!json_array_size(list))
        return true;
    json_array_foreach(list, i, v)
    {
        if (strcmp(json_string_value(v), s) == 0)
            return true;
    }
    return false;
}

json_t *asg_op_DescribePolicies(struct dd_request *r, json_t *in)
{
    const char *group = dd_in_str(in, "AutoScalingGroupName");
    sqlite3_stmt *st = dd_stmt(r, SQL_POLICIES);
    store_bind_text(st, 3, group);
    json_t *items = json_array();
    struct policy p;
    while (policy_step(st, &p) == 0) {
        if ((listed(json_object_get(in, "PolicyNames"), p.name) || listed(json_object_get(in, "PolicyNames"), p.arn)) &&
            listed(json_object_get(in, "PolicyTypes"), dd_in_str(p.doc, "PolicyType")))
            json_array_append(items, p.doc);
        json_decref(p.doc);
    }
    sqlite3_reset(st);
    return asg_page(in, items, "ScalingPolicies", 50);
}

json_t *asg_op_DeletePolicy(struct dd_request *r, json_t *in)
{
    struct policy p;
    const char *name = dd_in_str(in, "PolicyName"), *group = dd_in_str(in, "AutoScalingGroupName");
    if (policy_get(r, group, name, &p))
        return dd_fail(r, 400, "ValidationError", "Policy not found - Policy %s not found", name);
    int rc = policy_delete(r, &p);
    json_decref(p.doc);
    return rc ? NULL : json_object();
}

/* ---- what a policy does ------------------------------------------------------------------------------ */

/* The capacity a policy asks for when its metric is `value` against `threshold`, or -1 for none. */
static int64_t decide(const struct policy *p, const char *alarm, double value, double threshold, int64_t cur)
{
    const char *type = dd_in_str(p->doc, "PolicyType"), *adj = dd_in_str(p->doc, "AdjustmentType");
    int64_t magnitude = dd_in_int(p->doc, "MinAdjustmentMagnitude", 0);
    if (strcmp(type, "SimpleScaling") == 0)
        return adjusted_capacity(adj, dd_in_int(p->doc, "ScalingAdjustment", 0), cur, magnitude);
    if (strcmp(type, "StepScaling") == 0) {
        json_t *s = isnan(value) ? NULL : step_for(json_object_get(p->doc, "StepAdjustments"), value - threshold);
        return s ? adjusted_capacity(adj, dd_in_int(s, "ScalingAdjustment", 0), cur, magnitude) : -1;
    }
    json_t *cfg = json_object_get(p->doc, "TargetTrackingConfiguration");
    double target = json_number_value(json_object_get(cfg, "TargetValue"));
    if (isnan(value) || target <= 0 || !alarm)
        return -1;
    int64_t want = (int64_t)ceil((double)(cur ? cur : 1) * value / target);
    if (strstr(alarm, "-AlarmLow-"))
        return !dd_in_bool(cfg, "DisableScaleIn") && want < cur ? want : -1;
    return want > cur ? want : -1;
}

/* Whether the policy is waiting (its cooldown or the instances' warm-up) after it last scaled. */
static bool waiting(const struct policy *p, const struct asg_group *g, int64_t now)
{
    if (p->scaled_ms < 0)
        return false;
    int64_t dflt = dd_in_int(g->doc, "DefaultCooldown", 300);
    int64_t s = strcmp(dd_in_str(p->doc, "PolicyType"), "SimpleScaling") == 0
                    ? dd_in_int(p->doc, "Cooldown", dflt)
                    : dd_in_int(p->doc, "EstimatedInstanceWarmup", dd_in_int(g->doc, "DefaultInstanceWarmup", dflt));
    return now < p->scaled_ms + s * 1000;
}

/* Applies policy `p` to its group for `why`: 0 (acted or declined) or -1. */
static int act(struct dd_request *r, const struct policy *p, const char *alarm, double value, double threshold,
               bool honor_cooldown, const char *why)
{
    struct asg_group g;
    if (asg_group_load(r, p->group, &g))
        return 0;
    int64_t cur = dd_in_int(g.doc, "DesiredCapacity", 0), want = decide(p, alarm, value, threshold, cur);
    int64_t min = dd_in_int(g.doc, "MinSize", 0), max = dd_in_int(g.doc, "MaxSize", 0);
    int rc = 0;
    if (want >= 0 && !(honor_cooldown && waiting(p, &g, r->now_ms)) && dd_in_str(g.doc, "Status") == NULL) {
        want = want < min ? min : want > max ? max : want;
        if (want != cur) {
            sqlite3_stmt *st = dd_stmt(r, SQL_SCALED);
            store_bind_text(st, 3, p->arn);
            sqlite3_bind_int64(st, 4, r->now_ms);
            rc = asg_set_desired(r, &g, want, why) || dd_exec(r, st);
        }
    }
    asg_group_free(&g);
    return rc;
}

json_t *asg_op_ExecutePolicy(struct dd_request *r, json_t *in)
{
    struct policy p;
    const char *name = dd_in_str(in, "PolicyName");
    if (policy_get(r, dd_in_str(in, "AutoScalingGroupName"), name, &p))
        return dd_fail(r, 400, "ValidationError", "Policy not found - Policy %s not found", name);
    const char *type = dd_in_str(p.doc, "PolicyType");
    int rc = 0;
    if (strcmp(type, "TargetTrackingScaling") == 0)
        rc = dd_reject(r, 400, "ValidationError", "ExecutePolicy is not supported for target tracking policies");
    else if (strcmp(type, "StepScaling") == 0 &&
             (!json_object_get(in, "MetricValue") || !json_object_get(in, "BreachThreshold")))
        rc = dd_reject(r, 400, "ValidationError",
                       "MetricValue and BreachThreshold are required for step scaling policies");
    if (!rc) {
        char why[600];
        snprintf(why, sizeof why, "a user request executed policy %s", p.name);
        bool honor = json_object_get(in, "HonorCooldown") ? dd_in_bool(in, "HonorCooldown") : false;
        rc = act(r, &p, NULL, json_number_value(json_object_get(in, "MetricValue")),
                 json_number_value(json_object_get(in, "BreachThreshold")), honor, why);
    }
    json_decref(p.doc);
    return rc ? NULL : json_object();
}

/* ---- what CloudWatch asks (autoscaling.h) ------------------------------------------------------------ */

bool asg_is_policy_arn(const char *arn)
{
    return arn && strstr(arn, ":scalingPolicy:") && strstr(arn, ":autoScalingGroupName/");
}

int asg_alarm_action(struct dd_request *r, const char *policy_arn, const struct cw_trigger *t)
{
    struct policy p;
    if (!policy_arn || policy_get(r, NULL, policy_arn, &p))
        return 1;
    struct asg_group g;
    int rc = 0;
    if (asg_group_load(r, p.group, &g) == 0) {
        bool off = asg_suspended(&g, "AlarmNotification") || !dd_in_bool(p.doc, "Enabled");
        asg_group_free(&g);
        if (!off && t->state && strcmp(t->state, "ALARM") == 0) {
            char why[1200];
            snprintf(why, sizeof why, "a monitor alarm %s in state ALARM triggered policy %s",
                     t->alarm_name ? t->alarm_name : "", p.name);
            rc = act(r, &p, t->alarm_name, t->value, t->threshold, true, why);
        }
    }
    json_decref(p.doc);
    return rc;
}

/* ---- what ECS capacity providers ask (autoscaling.h) ------------------------------------------------- */

int asg_put_tracking_policy(struct dd_request *r, const char *group, const char *policy, json_t *metric, double target,
                            int64_t warmup_s)
{
    json_t *in = json_pack("{s:s, s:s, s:s, s:I, s:{s:O, s:f}}", "AutoScalingGroupName", group, "PolicyName", policy,
                           "PolicyType", "TargetTrackingScaling", "EstimatedInstanceWarmup", (json_int_t)warmup_s,
                           "TargetTrackingConfiguration", "CustomizedMetricSpecification", metric, "TargetValue",
                           target);
    json_t *out = asg_op_PutScalingPolicy(r, in);
    json_decref(in);
    json_decref(out);
    return out ? 0 : -1;
}

int asg_delete_named_policy(struct dd_request *r, const char *group, const char *policy)
{
    struct policy p;
    if (policy_get(r, group, policy, &p))
        return 0;
    int rc = policy_delete(r, &p);
    json_decref(p.doc);
    return rc;
}
