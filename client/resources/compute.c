/*
 * compute.c - EC2 capacity for ECS on EC2: AWS::EC2::LaunchTemplate, AWS::EC2::Instance,
 * AWS::AutoScaling::AutoScalingGroup and AWS::AutoScaling::ScalingPolicy.
 *
 * CloudFormation's properties are the APIs' members except where noted: an instance's
 * IamInstanceProfile is a profile name (the API's {Name}); a group's VPCZoneIdentifier is a
 * list (the API's comma-separated string) and its Cooldown is the API's DefaultCooldown; a
 * launch template's data change makes a new version and makes it the default, as
 * CloudFormation does. A group is created when its desired instances are InService.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"

#define INSTANCE_TIMEOUT_S 900
#define GROUP_TIMEOUT_S 1800

/* ---- launch template ------------------------------------------------------------------------- */

static int template_create(struct rs_ctx *c, json_t *props, char **id)
{
    char *name = rs_str(props, "LaunchTemplateName") ? strdup(rs_str(props, "LaunchTemplateName"))
                                                      : rs_physical_name(c, 128);
    json_t *in = rs_pick(props, (const char *const[]){"LaunchTemplateData", "VersionDescription",
                                                       "TagSpecifications", NULL});
    json_object_set_new(in, "LaunchTemplateName", json_string(name));
    free(name);
    return rs_create_id(c, "ec2", "CreateLaunchTemplate", in, "LaunchTemplate", false, "LaunchTemplateId", id);
}

static int template_read(struct rs_ctx *c, json_t *props)
{
    json_t *t = rs_describe_one(c, "ec2", "DescribeLaunchTemplates", "LaunchTemplateIds", "LaunchTemplates");
    if (!t)
        return -1;
    json_object_set_new(c->attrs, "LaunchTemplateId", json_string(c->physical_id));
    json_t *latest = json_object_get(t, "LatestVersionNumber"), *dflt = json_object_get(t, "DefaultVersionNumber");
    /* CloudFormation gives the version numbers as strings */
    if (json_is_integer(latest))
        json_object_set_new(c->attrs, "LatestVersionNumber",
                            json_sprintf("%lld", (long long)json_integer_value(latest)));
    if (json_is_integer(dflt))
        json_object_set_new(c->attrs, "DefaultVersionNumber",
                            json_sprintf("%lld", (long long)json_integer_value(dflt)));
    json_decref(t);
    return 0;
}

static int template_update(struct rs_ctx *c, json_t *props)
{
    if (!rs_changed(c, props, "LaunchTemplateData") && !rs_changed(c, props, "VersionDescription"))
        return 0;
    json_t *in = rs_pick(props, (const char *const[]){"LaunchTemplateData", "VersionDescription", NULL});
    json_object_set_new(in, "LaunchTemplateId", json_string(c->physical_id));
    json_t *out = rs_call(c, "ec2", "CreateLaunchTemplateVersion", in);
    json_t *version = json_object_get(json_object_get(out, "LaunchTemplateVersion"), "VersionNumber");
    int rc = -1;
    if (json_is_integer(version)) {
        char number[32];
        snprintf(number, sizeof number, "%lld", (long long)json_integer_value(version));
        rc = rs_do(c, "ec2", "ModifyLaunchTemplate",
                   json_pack("{s:s, s:s}", "LaunchTemplateId", c->physical_id, "DefaultVersion", number));
    } else if (out) {
        rs_fail(c, "CreateLaunchTemplateVersion answered no version number");
    }
    json_decref(out);
    return rc;
}

static int template_remove(struct rs_ctx *c, json_t *props)
{
    return rs_delete_id(c, "ec2", "DeleteLaunchTemplate", "LaunchTemplateId");
}

static const struct rs_driver launch_template = {
    .type = "AWS::EC2::LaunchTemplate",
    .required = (const char *const[]){"LaunchTemplateData", NULL},
    .replace = (const char *const[]){"LaunchTemplateName", "TagSpecifications", NULL},
    .attributes = (const char *const[]){"LaunchTemplateId", "LatestVersionNumber", "DefaultVersionNumber", NULL},
    .create = template_create, .read = template_read, .update = template_update, .remove = template_remove,
};

/* ---- instance ------------------------------------------------------------------------------------ */

/* The instance (new reference) or NULL: c->err set, or (gone) with *gone. */
static json_t *instance_describe(struct rs_ctx *c, bool *gone)
{
    *gone = false;
    json_t *out = rs_call(c, "ec2", "DescribeInstances", json_pack("{s[s]}", "InstanceIds", c->physical_id));
    if (!out) {
        *gone = rs_gone(c);
        return NULL;
    }
    json_t *i = rs_first(rs_first(out, "Reservations"), "Instances");
    json_incref(i);
    json_decref(out);
    *gone = i == NULL;
    return i;
}

struct instance_wait {
    const char *want; /* "running" or "terminated" */
};

static int instance_probe(struct rs_ctx *c, void *ud)
{
    struct instance_wait *w = ud;
    bool gone;
    json_t *i = instance_describe(c, &gone);
    if (!i)
        return gone && strcmp(w->want, "terminated") == 0 ? 1 : gone ? rs_fail(c, "the instance is gone") : -1;
    const char *state = rs_str(json_object_get(i, "State"), "Name");
    int rc = state && strcmp(state, w->want) == 0 ? 1
             : state && strcmp(w->want, "running") == 0 &&
                     (strcmp(state, "terminated") == 0 || strcmp(state, "shutting-down") == 0)
                 ? rs_fail(c, "the instance went %s: %s", state,
                           rs_str(json_object_get(i, "StateReason"), "Message")
                               ? rs_str(json_object_get(i, "StateReason"), "Message")
                               : "")
                 : 0;
    json_decref(i);
    return rc;
}

static int instance_wait(struct rs_ctx *c, const char *id, const char *want)
{
    struct instance_wait w = {want};
    struct rs_ctx probe = *c;
    probe.physical_id = id;
    int rc = rs_wait(&probe, strcmp(want, "running") == 0 ? "waiting for running" : "waiting for terminated",
                     instance_probe, &w, INSTANCE_TIMEOUT_S);
    c->err = probe.err;
    return rc;
}

static int instance_create(struct rs_ctx *c, json_t *props, char **id)
{
    json_t *in = rs_pick(props, (const char *const[]){"ImageId", "InstanceType", "SubnetId", "SecurityGroupIds",
                                                       "SecurityGroups", "KeyName", "UserData", "PrivateIpAddress",
                                                       "LaunchTemplate", "Monitoring", "EbsOptimized",
                                                       "BlockDeviceMappings", "MetadataOptions", NULL});
    json_object_set_new(in, "MinCount", json_integer(1));
    json_object_set_new(in, "MaxCount", json_integer(1));
    if (rs_str(props, "IamInstanceProfile"))
        json_object_set_new(in, "IamInstanceProfile", json_pack("{s:s}", "Name", rs_str(props, "IamInstanceProfile")));
    json_t *spec = rs_ec2_tag_spec(json_object_get(props, "Tags"), "instance");
    if (spec)
        json_object_set_new(in, "TagSpecifications", spec);
    json_t *out = rs_call(c, "ec2", "RunInstances", in);
    const char *iid = rs_str(rs_first(out, "Instances"), "InstanceId");
    *id = iid ? strdup(iid) : NULL;
    json_decref(out);
    if (!*id)
        return out ? rs_fail(c, "RunInstances answered no instance") : -1;
    return instance_wait(c, *id, "running");
}

static int instance_read(struct rs_ctx *c, json_t *props)
{
    bool gone;
    json_t *i = instance_describe(c, &gone);
    if (!i)
        return gone ? rs_fail(c, "instance %s is gone", c->physical_id) : -1;
    json_object_set_new(c->attrs, "InstanceId", json_string(c->physical_id));
    rs_attr(c, i, "PrivateIpAddress", "PrivateIp");
    rs_attr(c, i, "PublicIpAddress", "PublicIp");
    rs_attr(c, i, "PrivateDnsName", "PrivateDnsName");
    rs_attr(c, i, "PublicDnsName", "PublicDnsName");
    rs_attr(c, i, "VpcId", "VpcId");
    rs_attr(c, json_object_get(i, "Placement"), "AvailabilityZone", "AvailabilityZone");
    json_decref(i);
    return 0;
}

static int instance_update(struct rs_ctx *c, json_t *props)
{
    if (rs_changed(c, props, "SecurityGroupIds") &&
        rs_do(c, "ec2", "ModifyInstanceAttribute",
              json_pack("{s:s, s:O}", "InstanceId", c->physical_id, "Groups", json_object_get(props, "SecurityGroupIds"))))
        return -1;
    return rs_ec2_update_tags(c, c->physical_id, props);
}

static int instance_remove(struct rs_ctx *c, json_t *props)
{
    if (rs_do(c, "ec2", "TerminateInstances", json_pack("{s[s]}", "InstanceIds", c->physical_id)))
        return rs_gone(c) ? 0 : -1;
    return instance_wait(c, c->physical_id, "terminated");
}

static const struct rs_driver instance = {
    .type = "AWS::EC2::Instance",
    .required = (const char *const[]){NULL},
    /* what changes only by stopping or replacing the instance is replaced */
    .replace = (const char *const[]){"ImageId", "InstanceType", "SubnetId", "KeyName", "UserData",
                                     "PrivateIpAddress", "LaunchTemplate", "IamInstanceProfile", "SecurityGroups",
                                     "AvailabilityZone", "BlockDeviceMappings", NULL},
    .attributes = (const char *const[]){"InstanceId", "PrivateIp", "PublicIp", "PrivateDnsName", "PublicDnsName",
                                        "VpcId", "AvailabilityZone", NULL},
    .create = instance_create, .read = instance_read, .update = instance_update, .remove = instance_remove,
};

/* ---- Auto Scaling group ------------------------------------------------------------------------------ */

/* UpdateAutoScalingGroup's members from the properties (new reference). */
static json_t *group_input(const char *name, json_t *props)
{
    json_t *in = rs_pick(props, (const char *const[]){"MinSize", "MaxSize", "DesiredCapacity", "LaunchTemplate",
                                                       "MixedInstancesPolicy", "HealthCheckType",
                                                       "HealthCheckGracePeriod", "AvailabilityZones",
                                                       "NewInstancesProtectedFromScaleIn", "CapacityRebalance",
                                                       "TerminationPolicies", "MaxInstanceLifetime",
                                                       "DefaultInstanceWarmup", NULL});
    json_object_set_new(in, "AutoScalingGroupName", json_string(name));
    json_t *zones = json_object_get(props, "VPCZoneIdentifier"), *z;
    if (json_array_size(zones)) {
        char list[4096] = "";
        size_t i, n = 0;
        json_array_foreach(zones, i, z) n += (size_t)snprintf(list + n, n < sizeof list ? sizeof list - n : 0, "%s%s",
                                                              i ? "," : "", json_string_value(z) ?: "");
        json_object_set_new(in, "VPCZoneIdentifier", json_string(list));
    }
    if (json_object_get(props, "Cooldown"))
        json_object_set(in, "DefaultCooldown", json_object_get(props, "Cooldown"));
    return in;
}

/* The group (new reference) or NULL: c->err set, or gone with *gone. */
static json_t *group_describe(struct rs_ctx *c, const char *name, bool *gone)
{
    json_t *out = rs_call(c, "autoscaling", "DescribeAutoScalingGroups",
                          json_pack("{s[s]}", "AutoScalingGroupNames", name));
    json_t *g = json_incref(rs_first(out, "AutoScalingGroups"));
    *gone = out && !g;
    json_decref(out);
    return g;
}

struct group_wait {
    bool deleted;
};

static int group_probe(struct rs_ctx *c, void *ud)
{
    struct group_wait *w = ud;
    bool gone;
    json_t *g = group_describe(c, c->physical_id, &gone);
    if (!g)
        return gone ? (w->deleted ? 1 : rs_fail(c, "the group is gone")) : -1;
    int rc = 0;
    if (!w->deleted) {
        json_int_t desired = json_integer_value(json_object_get(g, "DesiredCapacity")), in_service = 0;
        json_t *i;
        size_t k;
        json_array_foreach(json_object_get(g, "Instances"), k, i) in_service +=
            strcmp(rs_str(i, "LifecycleState") ? rs_str(i, "LifecycleState") : "", "InService") == 0;
        rc = in_service >= desired;
    }
    json_decref(g);
    return rc;
}

static int group_wait(struct rs_ctx *c, const char *name, bool deleted)
{
    struct group_wait w = {deleted};
    struct rs_ctx probe = *c;
    probe.physical_id = name;
    int rc = rs_wait(&probe, deleted ? "waiting for deleted" : "waiting for its instances to be InService",
                     group_probe, &w, GROUP_TIMEOUT_S);
    c->err = probe.err;
    return rc;
}

/* CloudFormation's Tags [{Key, Value, PropagateAtLaunch}] as the API's, for group `name` (new reference). */
static json_t *group_tags(const char *name, json_t *tags)
{
    json_t *out = json_array(), *t;
    size_t i;
    json_array_foreach(tags, i, t) {
        json_t *tag = json_pack("{s:s, s:s, s:O, s:O}", "ResourceId", name, "ResourceType", "auto-scaling-group", "Key",
                                json_object_get(t, "Key"), "Value", json_object_get(t, "Value"));
        json_t *p = json_object_get(t, "PropagateAtLaunch");
        json_object_set_new(tag, "PropagateAtLaunch",
                            json_boolean(json_is_true(p) || (json_is_string(p) && strcmp(json_string_value(p), "true") == 0)));
        json_array_append_new(out, tag);
    }
    return out;
}

static int group_create(struct rs_ctx *c, json_t *props, char **id)
{
    char *name = rs_str(props, "AutoScalingGroupName") ? strdup(rs_str(props, "AutoScalingGroupName"))
                                                        : rs_physical_name(c, 255);
    *id = name;
    json_t *in = group_input(name, props);
    json_t *more = rs_pick(props, (const char *const[]){"TargetGroupARNs", "LoadBalancerNames", "PlacementGroup",
                                                         "ServiceLinkedRoleARN", NULL});
    json_object_update(in, more);
    json_decref(more);
    if (json_array_size(json_object_get(props, "Tags")))
        json_object_set_new(in, "Tags", group_tags(name, json_object_get(props, "Tags")));
    if (rs_do(c, "autoscaling", "CreateAutoScalingGroup", in))
        return -1;
    return group_wait(c, name, false);
}

static int group_read(struct rs_ctx *c, json_t *props)
{
    return 0; /* Ref is the name, and a group has no Fn::GetAtt attributes */
}

static int group_update(struct rs_ctx *c, json_t *props)
{
    if (rs_do(c, "autoscaling", "UpdateAutoScalingGroup", group_input(c->physical_id, props)))
        return -1;
    if (rs_changed(c, props, "TargetGroupARNs")) {
        json_t *old = json_object_get(c->old_props, "TargetGroupARNs"), *now = json_object_get(props, "TargetGroupARNs");
        if (json_array_size(old) &&
            rs_do(c, "autoscaling", "DetachLoadBalancerTargetGroups",
                  json_pack("{s:s, s:O}", "AutoScalingGroupName", c->physical_id, "TargetGroupARNs", old)))
            return -1;
        if (json_array_size(now) &&
            rs_do(c, "autoscaling", "AttachLoadBalancerTargetGroups",
                  json_pack("{s:s, s:O}", "AutoScalingGroupName", c->physical_id, "TargetGroupARNs", now)))
            return -1;
    }
    if (rs_changed(c, props, "Tags") && json_array_size(json_object_get(props, "Tags")) &&
        rs_do(c, "autoscaling", "CreateOrUpdateTags",
              json_pack("{s:o}", "Tags", group_tags(c->physical_id, json_object_get(props, "Tags")))))
        return -1;
    return group_wait(c, c->physical_id, false);
}

static int group_remove(struct rs_ctx *c, json_t *props)
{
    /* CloudFormation deletes a group with its instances */
    if (rs_do(c, "autoscaling", "DeleteAutoScalingGroup",
              json_pack("{s:s, s:b}", "AutoScalingGroupName", c->physical_id, "ForceDelete", 1)))
        return rs_gone(c) || strstr(c->err.message, "not found") ? 0 : -1;
    return group_wait(c, c->physical_id, true);
}

static const struct rs_driver group = {
    .type = "AWS::AutoScaling::AutoScalingGroup",
    .required = (const char *const[]){"MinSize", "MaxSize", NULL},
    .replace = (const char *const[]){"AutoScalingGroupName", "InstanceId", NULL},
    .attributes = (const char *const[]){NULL},
    .create = group_create, .read = group_read, .update = group_update, .remove = group_remove,
};

/* ---- Auto Scaling policy ------------------------------------------------------------------------------- */

static const char *const POLICY_MEMBERS[] = {
    "AutoScalingGroupName", "PolicyType", "AdjustmentType", "ScalingAdjustment", "Cooldown", "MinAdjustmentStep",
    "MinAdjustmentMagnitude", "MetricAggregationType", "StepAdjustments", "EstimatedInstanceWarmup",
    "TargetTrackingConfiguration", "Enabled", "PredictiveScalingConfiguration", NULL,
};

/* The NAME of an ARN ending ":policyName/NAME" (borrowed), or NULL. */
static const char *policy_name_of(const char *arn)
{
    const char *p = arn ? strstr(arn, ":policyName/") : NULL;
    return p ? p + strlen(":policyName/") : NULL;
}

static int policy_put(struct rs_ctx *c, json_t *props, const char *name, char **arn)
{
    json_t *in = rs_pick(props, POLICY_MEMBERS);
    json_object_set_new(in, "PolicyName", json_string(name));
    json_t *out = rs_call(c, "autoscaling", "PutScalingPolicy", in);
    if (out && arn)
        *arn = rs_str(out, "PolicyARN") ? strdup(rs_str(out, "PolicyARN")) : NULL;
    json_decref(out);
    if (out && arn && !*arn)
        return rs_fail(c, "PutScalingPolicy answered no PolicyARN");
    return out ? 0 : -1;
}

static int asg_policy_create(struct rs_ctx *c, json_t *props, char **id)
{
    char *name = rs_physical_name(c, 255);
    int rc = policy_put(c, props, name, id);
    free(name);
    return rc;
}

static int asg_policy_read(struct rs_ctx *c, json_t *props)
{
    json_object_set_new(c->attrs, "Arn", json_string(c->physical_id));
    if (policy_name_of(c->physical_id))
        json_object_set_new(c->attrs, "PolicyName", json_string(policy_name_of(c->physical_id)));
    return 0;
}

static int asg_policy_update(struct rs_ctx *c, json_t *props)
{
    const char *name = policy_name_of(c->physical_id);
    return name ? policy_put(c, props, name, NULL) : rs_fail(c, "%s is not a scaling policy ARN", c->physical_id);
}

static int asg_policy_remove(struct rs_ctx *c, json_t *props)
{
    const char *name = policy_name_of(c->physical_id);
    if (!name)
        return rs_fail(c, "%s is not a scaling policy ARN", c->physical_id);
    int rc = rs_do(c, "autoscaling", "DeletePolicy",
                   json_pack("{s:O, s:s}", "AutoScalingGroupName", json_object_get(props, "AutoScalingGroupName"),
                             "PolicyName", name));
    return rc && !rs_gone(c) && !strstr(c->err.message, "not found") ? -1 : 0;
}

static const struct rs_driver asg_policy = {
    .type = "AWS::AutoScaling::ScalingPolicy",
    .required = (const char *const[]){"AutoScalingGroupName", NULL},
    .replace = (const char *const[]){"AutoScalingGroupName", NULL},
    .attributes = (const char *const[]){"Arn", "PolicyName", NULL},
    .create = asg_policy_create, .read = asg_policy_read, .update = asg_policy_update, .remove = asg_policy_remove,
};

const struct rs_driver *const rs_family_compute[] = {&launch_template, &instance, &group, &asg_policy, NULL};
