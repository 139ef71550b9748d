/*
 * scaling.c - AWS::CloudWatch::Alarm, AWS::ApplicationAutoScaling::ScalableTarget and
 * AWS::ApplicationAutoScaling::ScalingPolicy: what scales a service.
 *
 * CloudFormation's properties are the APIs' members (PutMetricAlarm,
 * RegisterScalableTarget, PutScalingPolicy), so inputs are picked from the
 * properties as they are. The ids are CloudFormation's: an alarm's Ref is
 * its name; a scalable target's is "ResourceId|ScalableDimension|ServiceNamespace"
 * (what a policy's ScalingTargetId takes); a policy's is its ARN.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"

/* ---- CloudWatch alarm ----------------------------------------------------------------------------- */

static const char *const ALARM_MEMBERS[] = {
    "AlarmDescription", "ActionsEnabled", "AlarmActions", "OKActions", "InsufficientDataActions", "MetricName",
    "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period", "Unit", "EvaluationPeriods",
    "DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData", "EvaluateLowSampleCountPercentile",
    "Metrics", "ThresholdMetricId", NULL,
};

static const struct rs_tagging TAGGING = {"cloudwatch", "UntagResource", "TagResource", "ResourceARN", false, "TagKeys",
                                         "Tags"};

static json_t *alarm_input(const char *name, json_t *props)
{
    json_t *in = rs_pick(props, ALARM_MEMBERS);
    json_object_set_new(in, "AlarmName", json_string(name));
    return in;
}

static int alarm_create(struct rs_ctx *c, json_t *props, char **id)
{
    char *name = rs_str(props, "AlarmName") ? strdup(rs_str(props, "AlarmName")) : rs_physical_name(c, 255);
    *id = name;
    json_t *in = alarm_input(name, props);
    if (json_array_size(json_object_get(props, "Tags")))
        json_object_set(in, "Tags", json_object_get(props, "Tags"));
    return rs_do(c, "cloudwatch", "PutMetricAlarm", in);
}

static int alarm_read(struct rs_ctx *c, json_t *props)
{
    json_t *out = rs_call(c, "cloudwatch", "DescribeAlarms", json_pack("{s[s]}", "AlarmNames", c->physical_id));
    rs_attr(c, rs_first(out, "MetricAlarms"), "AlarmArn", "Arn");
    json_decref(out);
    return out ? 0 : -1;
}

/* The alarm's ARN (new string) or NULL with c->err set. */
static char *alarm_arn(struct rs_ctx *c)
{
    json_t *out = rs_call(c, "cloudwatch", "DescribeAlarms", json_pack("{s[s]}", "AlarmNames", c->physical_id));
    const char *arn = rs_str(rs_first(out, "MetricAlarms"), "AlarmArn");
    char *copy = arn ? strdup(arn) : NULL;
    if (out && !copy)
        rs_fail(c, "alarm %s is gone", c->physical_id);
    json_decref(out);
    return copy;
}

static int alarm_update(struct rs_ctx *c, json_t *props)
{
    /* PutMetricAlarm replaces the alarm's configuration but ignores Tags on an existing alarm. */
    if (rs_do(c, "cloudwatch", "PutMetricAlarm", alarm_input(c->physical_id, props)))
        return -1;
    if (!rs_changed(c, props, "Tags"))
        return 0;
    char *arn = alarm_arn(c);
    int rc = arn ? rs_update_tags(c, &TAGGING, arn, props) : -1;
    free(arn);
    return rc;
}

static int alarm_remove(struct rs_ctx *c, json_t *props)
{
    int rc = rs_do(c, "cloudwatch", "DeleteAlarms", json_pack("{s[s]}", "AlarmNames", c->physical_id));
    return rc && !rs_gone(c) ? -1 : 0;
}

static const struct rs_driver alarm = {
    .type = "AWS::CloudWatch::Alarm",
    .required = (const char *const[]){"ComparisonOperator", "EvaluationPeriods", NULL},
    .replace = (const char *const[]){"AlarmName", NULL},
    .attributes = (const char *const[]){"Arn", NULL},
    .create = alarm_create, .read = alarm_read, .update = alarm_update, .remove = alarm_remove,
};

/* ---- Application Auto Scaling scalable target ------------------------------------------------------- */

/* {ServiceNamespace, ResourceId, ScalableDimension} of a target id "RESOURCE|DIMENSION|NAMESPACE"
 * (new reference), or NULL when `id` is not of that form. */
static json_t *target_key(const char *id)
{
    const char *bar1 = id ? strchr(id, '|') : NULL, *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
    if (!bar2 || strchr(bar2 + 1, '|'))
        return NULL;
    return json_pack("{s:s, s:s%, s:s%}", "ServiceNamespace", bar2 + 1, "ResourceId", id, (size_t)(bar1 - id),
                     "ScalableDimension", bar1 + 1, (size_t)(bar2 - bar1 - 1));
}

/* Puts the scheduled actions of `props` and deletes those c->old_props had that it has no more. */
static int scheduled_actions(struct rs_ctx *c, json_t *key, json_t *props)
{
    json_t *now = json_object_get(props, "ScheduledActions"), *old = json_object_get(c->old_props, "ScheduledActions");
    json_t *a, *b;
    size_t i, j;
    json_array_foreach(old, i, a) {
        bool kept = false;
        json_array_foreach(now, j, b) kept |= json_equal(json_object_get(a, "ScheduledActionName"),
                                                         json_object_get(b, "ScheduledActionName"));
        if (kept)
            continue;
        json_t *in = json_deep_copy(key);
        json_object_set(in, "ScheduledActionName", json_object_get(a, "ScheduledActionName"));
        if (rs_do(c, "application-autoscaling", "DeleteScheduledAction", in) && !rs_gone(c))
            return -1;
    }
    json_array_foreach(now, i, a) {
        json_t *in = rs_pick(a, (const char *const[]){"ScheduledActionName", "Schedule", "ScalableTargetAction",
                                                       "StartTime", "EndTime", "Timezone", NULL});
        json_object_update(in, key);
        if (rs_do(c, "application-autoscaling", "PutScheduledAction", in))
            return -1;
    }
    return 0;
}

static int target_register(struct rs_ctx *c, json_t *props, json_t *key)
{
    json_t *in = rs_pick(props, (const char *const[]){"MinCapacity", "MaxCapacity", "RoleARN", "SuspendedState", NULL});
    json_object_update(in, key);
    if (rs_do(c, "application-autoscaling", "RegisterScalableTarget", in))
        return -1;
    return scheduled_actions(c, key, props);
}

static int target_create(struct rs_ctx *c, json_t *props, char **id)
{
    const char *resource = rs_str(props, "ResourceId"), *dimension = rs_str(props, "ScalableDimension"),
               *ns = rs_str(props, "ServiceNamespace");
    size_t n = strlen(resource) + strlen(dimension) + strlen(ns) + 3;
    *id = malloc(n);
    snprintf(*id, n, "%s|%s|%s", resource, dimension, ns);
    json_t *key = json_pack("{s:s, s:s, s:s}", "ServiceNamespace", ns, "ResourceId", resource, "ScalableDimension",
                            dimension);
    int rc = target_register(c, props, key);
    json_decref(key);
    return rc;
}

static int target_read(struct rs_ctx *c, json_t *props)
{
    json_object_set_new(c->attrs, "Id", json_string(c->physical_id));
    return 0;
}

static int target_update(struct rs_ctx *c, json_t *props)
{
    json_t *key = target_key(c->physical_id);
    if (!key)
        return rs_fail(c, "scalable target id %s is not RESOURCE|DIMENSION|NAMESPACE", c->physical_id);
    int rc = target_register(c, props, key);
    json_decref(key);
    return rc;
}

static int target_remove(struct rs_ctx *c, json_t *props)
{
    json_t *key = target_key(c->physical_id);
    if (!key)
        return rs_fail(c, "scalable target id %s is not RESOURCE|DIMENSION|NAMESPACE", c->physical_id);
    int rc = rs_do(c, "application-autoscaling", "DeregisterScalableTarget", key);
    return rc && !rs_gone(c) ? -1 : 0;
}

static const struct rs_driver scalable_target = {
    .type = "AWS::ApplicationAutoScaling::ScalableTarget",
    .required = (const char *const[]){"MaxCapacity", "MinCapacity", "ResourceId", "ScalableDimension",
                                      "ServiceNamespace", NULL},
    .replace = (const char *const[]){"ResourceId", "ScalableDimension", "ServiceNamespace", NULL},
    .attributes = (const char *const[]){"Id", NULL},
    .create = target_create, .read = target_read, .update = target_update, .remove = target_remove,
};

/* ---- Application Auto Scaling scaling policy -------------------------------------------------------- */

/* The policy's target: ScalingTargetId, or the three properties. New reference or NULL (c->err). */
static json_t *policy_target(struct rs_ctx *c, json_t *props)
{
    const char *id = rs_str(props, "ScalingTargetId");
    if (id) {
        json_t *key = target_key(id);
        if (!key)
            rs_fail(c, "ScalingTargetId %s is not the Ref of an AWS::ApplicationAutoScaling::ScalableTarget", id);
        return key;
    }
    json_t *key = rs_pick(props, (const char *const[]){"ServiceNamespace", "ResourceId", "ScalableDimension", NULL});
    if (json_object_size(key) != 3) {
        json_decref(key);
        rs_fail(c, "a scaling policy needs ScalingTargetId, or ResourceId, ScalableDimension and ServiceNamespace");
        return NULL;
    }
    return key;
}

static int policy_put(struct rs_ctx *c, json_t *props, char **arn)
{
    json_t *in = policy_target(c, props);
    if (!in)
        return -1;
    json_t *policy = rs_pick(props, (const char *const[]){"PolicyName", "PolicyType", "StepScalingPolicyConfiguration",
                                                           "TargetTrackingScalingPolicyConfiguration", NULL});
    json_object_update(in, policy);
    json_decref(policy);
    json_t *out = rs_call(c, "application-autoscaling", "PutScalingPolicy", in);
    if (out && arn)
        *arn = strdup(rs_str(out, "PolicyARN") ? rs_str(out, "PolicyARN") : "");
    json_decref(out);
    return out ? 0 : -1;
}

static int policy_create(struct rs_ctx *c, json_t *props, char **id)
{
    return policy_put(c, props, id);
}

static int policy_read(struct rs_ctx *c, json_t *props)
{
    json_object_set_new(c->attrs, "Arn", json_string(c->physical_id));
    return 0;
}

static int policy_update(struct rs_ctx *c, json_t *props)
{
    return policy_put(c, props, NULL);
}

static int policy_remove(struct rs_ctx *c, json_t *props)
{
    json_t *in = policy_target(c, props);
    if (!in)
        return -1;
    json_object_set(in, "PolicyName", json_object_get(props, "PolicyName"));
    int rc = rs_do(c, "application-autoscaling", "DeleteScalingPolicy", in);
    return rc && !rs_gone(c) ? -1 : 0;
}

static const struct rs_driver scaling_policy = {
    .type = "AWS::ApplicationAutoScaling::ScalingPolicy",
    .required = (const char *const[]){"PolicyName", "PolicyType", NULL},
    .replace = (const char *const[]){"PolicyName", "ResourceId", "ScalableDimension", "ServiceNamespace",
                                     "ScalingTargetId", NULL},
    .attributes = (const char *const[]){"Arn", NULL},
    .create = policy_create, .read = policy_read, .update = policy_update, .remove = policy_remove,
};

const struct rs_driver *const rs_family_scaling[] = {&alarm, &scalable_target, &scaling_policy, NULL};
