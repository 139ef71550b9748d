/*
 * appautoscaling_policy.c - Application Auto Scaling scaling policies: step
 * scaling and target tracking, their CloudWatch alarms, and what a policy
 * does when an alarm invokes it (aas_alarm_action).
 *
 * A target tracking policy owns two alarms it creates through CloudWatch
 * (AlarmHigh: 3 of 3 one-minute periods above the target; AlarmLow: 15 of 15
 * below 90% of it, absent when scale-in is disabled); updating the policy
 * replaces them and deleting it deletes them. A step scaling policy is
 * invoked by alarms its owner creates; the step is chosen by how far the
 * alarm's newest datapoint is from the alarm's threshold.
 *
 * Cooldowns are kept per policy: when it last scaled out and from what
 * capacity (a scale-out during the scale-out cooldown counts the capacity the
 * first one added, so it only goes further when a larger one is asked for),
 * and when it last scaled in (scale-in waits for the cooldown; scale-out
 * never waits for a scale-in cooldown).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appautoscaling_internal.h"
#include "autoscaling_steps.h"
#include "cloudwatch.h"

#define DEFAULT_COOLDOWN_S 300 /* ECS services' default cooldowns */
#define MAX_STEPS 20

#define POLICY_COLS "ns, rid, dim, name, arn, type, config, alarms, created_ms, out_ms, in_ms, out_base"
static const char SQL_POLICY[] = "SELECT " POLICY_COLS " FROM aas_policy"
                                 " WHERE account=?1 AND region=?2 AND ns=?3 AND rid=?4 AND dim=?5 AND name=?6";
static const char SQL_POLICY_BY_ARN[] =
    "SELECT " POLICY_COLS " FROM aas_policy WHERE account=?1 AND region=?2 AND arn=?3";
static const char SQL_POLICIES[] = "SELECT " POLICY_COLS " FROM aas_policy WHERE account=?1 AND region=?2 AND ns=?3"
                                   " AND (?4 IS NULL OR rid=?4) AND (?5 IS NULL OR dim=?5)"
                                   " AND (?6 IS NULL OR name IN (SELECT value FROM json_each(?6)))"
                                   " ORDER BY created_ms, name";
static const char SQL_TARGET_POLICIES[] = "SELECT " POLICY_COLS " FROM aas_policy"
                                          " WHERE account=?1 AND region=?2 AND ns=?3 AND rid=?4 AND dim=?5";
static const char SQL_PUT_POLICY[] =
    "INSERT INTO aas_policy (account, region, ns, rid, dim, name, arn, type, config, alarms, created_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    " ON CONFLICT (account, region, ns, rid, dim, name) DO UPDATE SET type=excluded.type, config=excluded.config,"
    " alarms=excluded.alarms";
static const char SQL_DELETE_POLICY[] =
    "DELETE FROM aas_policy WHERE account=?1 AND region=?2 AND ns=?3 AND rid=?4 AND dim=?5 AND name=?6";
static const char SQL_DELETE_TARGET_POLICIES[] =
    "DELETE FROM aas_policy WHERE account=?1 AND region=?2 AND ns=?3 AND rid=?4 AND dim=?5";
static const char SQL_COOLDOWN[] =
    "UPDATE aas_policy SET out_ms=?4, in_ms=?5, out_base=?6 WHERE account=?1 AND region=?2 AND arn=?3";

/* A stored policy (config and alarms are owned references). */
struct policy {
    struct aas_target target;
    char name[257], arn[2048], type[32];
    json_t *config, *alarms;
    int64_t created_ms, out_ms, in_ms, out_base; /* -1: never */
};

static void policy_free(struct policy *p)
{
    json_decref(p->config);
    json_decref(p->alarms);
    p->config = p->alarms = NULL;
}

static void policy_row(sqlite3_stmt *st, struct policy *p)
{
    snprintf(p->target.ns, sizeof p->target.ns, "%s", store_col_text(st, 0));
    snprintf(p->target.rid, sizeof p->target.rid, "%s", store_col_text(st, 1));
    snprintf(p->target.dim, sizeof p->target.dim, "%s", store_col_text(st, 2));
    snprintf(p->name, sizeof p->name, "%s", store_col_text(st, 3));
    snprintf(p->arn, sizeof p->arn, "%s", store_col_text(st, 4));
    snprintf(p->type, sizeof p->type, "%s", store_col_text(st, 5));
    p->config = json_loads(store_col_text(st, 6), 0, NULL);
    p->alarms = store_col_text(st, 7) ? json_loads(store_col_text(st, 7), 0, NULL) : NULL;
    p->created_ms = sqlite3_column_int64(st, 8);
    p->out_ms = aas_col_int(st, 9);
    p->in_ms = aas_col_int(st, 10);
    p->out_base = aas_col_int(st, 11);
}

/* Steps `st` once into *p: 0, or 1 when there is no row. Resets st. */
static int policy_step(sqlite3_stmt *st, struct policy *p)
{
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found)
        policy_row(st, p);
    sqlite3_reset(st);
    return found ? 0 : 1;
}

static json_t *policy_json(const struct policy *p)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:o}", "PolicyARN", p->arn, "PolicyName", p->name,
                          "ServiceNamespace", p->target.ns, "ResourceId", p->target.rid, "ScalableDimension",
                          p->target.dim, "PolicyType", p->type,
                          strcmp(p->type, "StepScaling") == 0 ? "StepScalingPolicyConfiguration"
                                                              : "TargetTrackingScalingPolicyConfiguration",
                          p->config, "CreationTime", dd_time(p->created_ms));
    if (p->alarms)
        json_object_set(o, "Alarms", p->alarms);
    return o;
}

/* ---- step scaling: the rules of StepAdjustments ---------------------------------------------------- */

static int interval_cmp(const void *a, const void *b)
{
    const struct step_interval *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Checks the steps of a step scaling configuration as AWS does: 0 or -1. */
static int steps_check(struct dd_request *r, json_t *cfg)
{
    json_t *steps = json_object_get(cfg, "StepAdjustments");
    const char *type = dd_in_str(cfg, "AdjustmentType");
    size_t n = json_array_size(steps);
    if (!type)
        return aas_invalid(r, "Adjustment type must be specified");
    if (n == 0)
        return aas_invalid(r, "There must be at least one step adjustment");
    if (n > MAX_STEPS)
        return aas_invalid(r, "There can be at most %d step adjustments per scaling policy", MAX_STEPS);
    if (json_object_get(cfg, "MinAdjustmentMagnitude") && strcmp(type, "PercentChangeInCapacity") != 0)
        return aas_invalid(r,
                           "Minimum adjustment magnitude is only allowed for adjustment type PercentChangeInCapacity");
    struct step_interval iv[MAX_STEPS];
    int open_lo = 0, open_hi = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(steps, i);
        iv[i] = step_interval_of(s);
        if (!iv[i].has_lo && !iv[i].has_hi)
            return aas_invalid(r, "Both lower and upper bounds of a step adjustment cannot be left unspecified");
        if (iv[i].has_lo && iv[i].has_hi && iv[i].lo >= iv[i].hi)
            return aas_invalid(r, "The upper bound of a step adjustment must be greater than its lower bound");
        if (strcmp(type, "ExactCapacity") == 0 && dd_in_int(s, "ScalingAdjustment", 0) < 0)
            return aas_invalid(r, "Scaling adjustment cannot be less than 0 when adjustment type is ExactCapacity");
        open_lo += !iv[i].has_lo;
        open_hi += !iv[i].has_hi;
    }
    if (open_lo > 1)
        return aas_invalid(r, "At most one step adjustment may have an unspecified lower bound");
    if (open_hi > 1)
        return aas_invalid(r, "At most one step adjustment may have an unspecified upper bound");
    qsort(iv, n, sizeof *iv, interval_cmp);
    for (size_t i = 1; i < n; i++) {
        if (iv[i].lo < iv[i - 1].hi)
            return aas_invalid(r, "Step adjustment intervals cannot overlap");
        if (iv[i].lo > iv[i - 1].hi)
            return aas_invalid(r, "Step adjustment intervals cannot have gaps between them");
    }
    if (!open_hi && iv[n - 1].hi > 0)
        return aas_invalid(r, "There must be a step adjustment with an unspecified upper bound when one step "
                              "adjustment has a positive upper bound");
    if (!open_lo && iv[0].lo < 0)
        return aas_invalid(r, "There must be a step adjustment with an unspecified lower bound when one step "
                              "adjustment has a negative lower bound");
    return 0;
}

/* ---- target tracking: metrics and alarms ------------------------------------------------------------ */

static const char *const ECS_METRIC_TYPES[] = {"ALBRequestCountPerTarget", "ECSServiceAverageCPUUtilization",
                                               "ECSServiceAverageMemoryUtilization"};

/* The metric an alarm of this configuration watches, as PutMetricAlarm members, or NULL (error set). */
static json_t *tracked_metric(struct dd_request *r, const struct aas_key *k, json_t *cfg)
{
    json_t *pre = json_object_get(cfg, "PredefinedMetricSpecification");
    json_t *custom = json_object_get(cfg, "CustomizedMetricSpecification");
    if (pre && custom)
        return dd_fail(r, 400, "ValidationException",
                       "Only one of PredefinedMetricSpecification or "
                       "CustomizedMetricSpecification can be set for target tracking "
                       "scaling.");
    if (!pre && !custom)
        return dd_fail(r, 400, "ValidationException",
                       "PredefinedMetricSpecification or CustomizedMetricSpecification must be set for target "
                       "tracking scaling.");
    if (custom) {
        return json_pack("{s:s, s:s, s:s, s:O*, s:s*}", "Namespace", dd_in_str(custom, "Namespace"), "MetricName",
                         dd_in_str(custom, "MetricName"), "Statistic", dd_in_str(custom, "Statistic"), "Dimensions",
                         json_object_get(custom, "Dimensions"), "Unit", dd_in_str(custom, "Unit"));
    }
    const char *type = dd_in_str(pre, "PredefinedMetricType"), *label = dd_in_str(pre, "ResourceLabel");
    size_t i, n = sizeof ECS_METRIC_TYPES / sizeof *ECS_METRIC_TYPES;
    for (i = 0; i < n && strcmp(ECS_METRIC_TYPES[i], type) != 0; i++)
        ;
    if (i == n)
        return dd_fail(r, 400, "ValidationException",
                       "Scalable dimension %s only supports the following predefined metric types: %s, %s, %s", k->dim,
                       ECS_METRIC_TYPES[0], ECS_METRIC_TYPES[1], ECS_METRIC_TYPES[2]);
    if (strcmp(type, "ALBRequestCountPerTarget") == 0) {
        /* app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>: the metric's TargetGroup is the second half */
        const char *tg = label ? strstr(label, "/targetgroup/") : NULL;
        if (!label)
            return dd_fail(r, 400, "ValidationException",
                           "ResourceLabel must be specified when predefined metric type is ALBRequestCountPerTarget");
        if (strncmp(label, "app/", 4) != 0 || !tg)
            return dd_fail(r, 400, "ValidationException", "Invalid ResourceLabel for ALBRequestCountPerTarget: %s",
                           label);
        return json_pack("{s:s, s:s, s:s, s:[{s:s, s:s}]}", "Namespace", "AWS/ApplicationELB", "MetricName",
                         "RequestCountPerTarget", "Statistic", "Sum", "Dimensions", "Name", "TargetGroup", "Value",
                         tg + 1);
    }
    const char *svc = strrchr(k->rid, '/'), *cl = k->rid + strlen("service/");
    return json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:s%}, {s:s, s:s}]}", "Namespace", "AWS/ECS", "MetricName",
                     strstr(type, "CPU") ? "CPUUtilization" : "MemoryUtilization", "Statistic", "Average", "Unit",
                     "Percent", "Dimensions", "Name", "ClusterName", "Value", cl, (size_t)(svc - cl), "Name",
                     "ServiceName", "Value", svc + 1);
}

/* The alarms of a target tracking configuration (new reference), or NULL (error set). */
static json_t *tracking_alarms(struct dd_request *r, const char *policy_arn, const struct aas_key *k, json_t *cfg)
{
    json_t *metric = tracked_metric(r, k, cfg);
    if (!metric)
        return NULL;
    double target = json_number_value(json_object_get(cfg, "TargetValue"));
    json_t *alarms = json_array();
    int rc = cw_tracking_alarm_put(r, policy_arn, k->rid, metric, true, target, alarms);
    if (!rc && !dd_in_bool(cfg, "DisableScaleIn"))
        rc = cw_tracking_alarm_put(r, policy_arn, k->rid, metric, false, target * 0.9, alarms);
    json_decref(metric);
    if (rc) {
        json_decref(alarms);
        return NULL;
    }
    return alarms;
}

/* ---- the operations ------------------------------------------------------------------------------------ */

/* The configuration member of a policy type. */
static const char *config_member(const char *type)
{
    return strcmp(type, "StepScaling") == 0 ? "StepScalingPolicyConfiguration"
                                            : "TargetTrackingScalingPolicyConfiguration";
}

/*
 * The configuration a PutScalingPolicy call leaves (new reference): the one
 * given, over the stored one when the policy keeps its type (members not given
 * are unchanged); NULL with an error when a new policy has none.
 */
static json_t *config_merged(struct dd_request *r, json_t *in, const char *type, const struct policy *old)
{
    json_t *given = json_object_get(in, config_member(type));
    json_t *cfg = old && strcmp(old->type, type) == 0 ? json_deep_copy(old->config) : NULL;
    if (!cfg && !given)
        return dd_fail(r, 400, "ValidationException", "%s policy configuration must be specified", type);
    if (!cfg)
        return json_deep_copy(given);
    if (given)
        json_object_update(cfg, given);
    return cfg;
}

json_t *aas_op_PutScalingPolicy(struct dd_request *r, json_t *in)
{
    struct aas_key k = aas_input_key(in);
    const char *name = dd_in_str(in, "PolicyName");
    struct aas_target t;
    if (aas_target_must_exist(r, &k, &t))
        return NULL;
    struct policy old = {0};
    sqlite3_stmt *st = aas_stmt(r, SQL_POLICY, &k);
    store_bind_text(st, 6, name);
    bool exists = policy_step(st, &old) == 0;
    const char *type = dd_in_str(in, "PolicyType") ? dd_in_str(in, "PolicyType") : exists ? old.type : "StepScaling";
    char arn[2048], uuid[37];
    json_t *out = NULL, *alarms = NULL, *cfg = config_merged(r, in, type, exists ? &old : NULL);
    if (!cfg)
        goto cleanup;
    if (exists)
        snprintf(arn, sizeof arn, "%s", old.arn);
    else {
        dd_uuid(uuid);
        char *a = dd_arn(r, "autoscaling", "scalingPolicy:%s:resource/%s/%s:policyName/%s", uuid, k.ns, k.rid, name);
        snprintf(arn, sizeof arn, "%s", a);
        free(a);
    }
    if (strcmp(type, "StepScaling") == 0 ? steps_check(r, cfg) : 0)
        goto cleanup;
    if (exists)
        cw_alarms_delete(r, old.alarms);
    if (strcmp(type, "TargetTrackingScaling") == 0 && !(alarms = tracking_alarms(r, arn, &k, cfg)))
        goto cleanup;
    char *cfg_text = json_dumps(cfg, JSON_COMPACT), *alarms_text = alarms ? json_dumps(alarms, JSON_COMPACT) : NULL;
    st = aas_stmt(r, SQL_PUT_POLICY, &k);
    store_bind_text(st, 6, name);
    store_bind_text(st, 7, arn);
    store_bind_text(st, 8, type);
    store_bind_text(st, 9, cfg_text);
    store_bind_text(st, 10, alarms_text);
    sqlite3_bind_int64(st, 11, r->now_ms);
    int rc = dd_exec(r, st);
    free(cfg_text);
    free(alarms_text);
    if (!rc) {
        out = json_pack("{s:s}", "PolicyARN", arn);
        if (alarms)
            json_object_set(out, "Alarms", alarms);
    }
cleanup:
    json_decref(cfg);
    json_decref(alarms);
    policy_free(&old);
    return out;
}

json_t *aas_op_DescribeScalingPolicies(struct dd_request *r, json_t *in)
{
    struct aas_key k = aas_input_key(in);
    json_t *names = json_object_get(in, "PolicyNames");
    char *names_json = json_array_size(names) ? json_dumps(names, JSON_COMPACT) : NULL;
    sqlite3_stmt *st = aas_stmt(r, SQL_POLICIES, &k);
    store_bind_text(st, 6, names_json);
    json_t *items = json_array();
    struct policy p;
    while (sqlite3_step(st) == SQLITE_ROW) {
        policy_row(st, &p);
        json_array_append_new(items, policy_json(&p));
        policy_free(&p);
    }
    sqlite3_reset(st);
    free(names_json);
    return aas_page(in, items, "ScalingPolicies");
}

json_t *aas_op_DeleteScalingPolicy(struct dd_request *r, json_t *in)
{
    struct aas_key k = aas_input_key(in);
    const char *name = dd_in_str(in, "PolicyName");
    struct policy p;
    sqlite3_stmt *st = aas_stmt(r, SQL_POLICY, &k);
    store_bind_text(st, 6, name);
    if (policy_step(st, &p))
        return dd_fail(r, 400, "ObjectNotFoundException",
                       "No scaling policy found for service namespace: %s, resource ID: %s, scalable dimension: %s, "
                       "policy name: %s",
                       k.ns, k.rid, k.dim, name);
    cw_alarms_delete(r, p.alarms);
    policy_free(&p);
    st = aas_stmt(r, SQL_DELETE_POLICY, &k);
    store_bind_text(st, 6, name);
    return dd_exec(r, st) ? NULL : json_object();
}

int aas_policies_delete_all(struct dd_request *r, const struct aas_key *k)
{
    sqlite3_stmt *st = aas_stmt(r, SQL_TARGET_POLICIES, k);
    struct policy p;
    while (sqlite3_step(st) == SQLITE_ROW) {
        policy_row(st, &p);
        cw_alarms_delete(r, p.alarms);
        policy_free(&p);
    }
    sqlite3_reset(st);
    return dd_exec(r, aas_stmt(r, SQL_DELETE_TARGET_POLICIES, k));
}

/* ---- what an alarm makes a policy do ------------------------------------------------------------------- */

static int64_t cooldown_ms(json_t *cfg, const char *member)
{
    return dd_in_int(cfg, member, DEFAULT_COOLDOWN_S) * 1000;
}

/* The capacity a step scaling policy asks for from `base`, or -1 for none. */
static int64_t step_capacity(const struct policy *p, const struct cw_trigger *t, int64_t base)
{
    json_t *step =
        isnan(t->value) ? NULL : step_for(json_object_get(p->config, "StepAdjustments"), t->value - t->threshold);
    if (!step)
        return -1;
    return adjusted_capacity(dd_in_str(p->config, "AdjustmentType"), dd_in_int(step, "ScalingAdjustment", 0), base,
                             dd_in_int(p->config, "MinAdjustmentMagnitude", 0));
}

/* True when the alarm is the policy's AlarmLow (its scale-in alarm). */
static bool is_low_alarm(const struct policy *p, const char *alarm)
{
    size_t i;
    json_t *a;
    json_array_foreach(p->alarms, i, a)
    {
        const char *name = dd_in_str(a, "AlarmName");
        if (alarm && name && strcmp(name, alarm) == 0)
            return strstr(name, "-AlarmLow-") != NULL;
    }
    return false;
}

/* What a policy asks for; `want` < 0 when nothing. */
struct decision {
    int64_t want;
    bool in_cooldown_out; /* a scale-out computed from the previous scale-out's base */
};

/*
 * A scale-out asks for more than `cur`, from `base` (the capacity before the
 * scale-out whose cooldown is running, so that the capacity it added counts);
 * a scale-in asks for less. Anything else asks for nothing.
 */
static struct decision decide(const struct policy *p, const struct cw_trigger *t, int64_t now, int64_t cur)
{
    struct decision d = {-1, false};
    bool step = strcmp(p->type, "StepScaling") == 0;
    int64_t out_cool = cooldown_ms(p->config, step ? "Cooldown" : "ScaleOutCooldown");
    d.in_cooldown_out = p->out_ms >= 0 && now < p->out_ms + out_cool && p->out_base >= 0;
    int64_t base = d.in_cooldown_out ? p->out_base : cur, want;
    if (step) {
        want = step_capacity(p, t, cur);
        if (want > cur && (want = step_capacity(p, t, base)) <= cur)
            want = -1;
        d.want = want;
        return d;
    }
    double target = json_number_value(json_object_get(p->config, "TargetValue"));
    if (!t->state || strcmp(t->state, "ALARM") != 0 || isnan(t->value) || target <= 0)
        return d;
    if (is_low_alarm(p, t->alarm_name)) {
        want = (int64_t)ceil((double)cur * t->value / target);
        d.want = !dd_in_bool(p->config, "DisableScaleIn") && want < cur ? want : -1;
        return d;
    }
    want = (int64_t)ceil((double)base * t->value / target);
    d.want = want > cur ? want : -1;
    return d;
}

/* May the policy move the capacity from `cur` to `want` now? */
static bool allowed(const struct policy *p, int64_t now, int64_t cur, int64_t want)
{
    if (want > cur)
        return !p->target.susp_out;
    bool step = strcmp(p->type, "StepScaling") == 0;
    int64_t in_cool = cooldown_ms(p->config, step ? "Cooldown" : "ScaleInCooldown");
    /* a step policy's one cooldown follows any of its activities; target tracking's scale-in one follows scale-ins */
    int64_t last = step && p->out_ms > p->in_ms ? p->out_ms : p->in_ms;
    return !p->target.susp_in && (last < 0 || now >= last + in_cool);
}

static int cooldown_save(struct dd_request *r, const struct policy *p, int64_t out_ms, int64_t in_ms, int64_t base)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_COOLDOWN);
    store_bind_text(st, 3, p->arn);
    if (out_ms >= 0)
        sqlite3_bind_int64(st, 4, out_ms);
    if (in_ms >= 0)
        sqlite3_bind_int64(st, 5, in_ms);
    if (base >= 0)
        sqlite3_bind_int64(st, 6, base);
    return dd_exec(r, st);
}

static int act(struct dd_request *r, const struct policy *p, const struct cw_trigger *t)
{
    int64_t cur;
    if (aas_capacity(r, &p->target, &cur))
        return 0;
    struct decision d = decide(p, t, r->now_ms, cur);
    if (d.want < 0)
        return 0;
    int64_t want = d.want < p->target.min ? p->target.min : d.want > p->target.max ? p->target.max : d.want;
    if (want == cur || !allowed(p, r->now_ms, cur, want))
        return 0;
    char cause[4096];
    snprintf(cause, sizeof cause, "monitor alarm %s in state %s triggered policy %s",
             t->alarm_name ? t->alarm_name : "", t->state ? t->state : "ALARM", p->name);
    int rc = aas_scale(r, &p->target, want, cause);
    if (rc)
        return rc < 0 ? -1 : 0;
    if (want > cur)
        return cooldown_save(r, p, r->now_ms, p->in_ms, d.in_cooldown_out ? p->out_base : cur);
    return cooldown_save(r, p, p->out_ms, r->now_ms, p->out_base);
}

int aas_alarm_action(struct dd_request *r, const char *policy_arn, const struct cw_trigger *t)
{
    struct policy p = {0};
    sqlite3_stmt *st = dd_stmt(r, SQL_POLICY_BY_ARN);
    store_bind_text(st, 3, policy_arn);
    if (!policy_arn || policy_step(st, &p))
        return 1;
    struct aas_key k = aas_target_key(&p.target);
    int rc = aas_target_get(r, &k, &p.target) ? 1 : act(r, &p, t);
    policy_free(&p);
    return rc;
}
