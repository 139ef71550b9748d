/*
 * elbv2.c - AWS::ElasticLoadBalancingV2: LoadBalancer, TargetGroup, Listener, ListenerRule,
 * ListenerCertificate. Every physical id is the resource's ARN, which is also its Ref.
 *
 * CloudFormation's property names are the API's (aws_call matches them case-insensitively),
 * so most calls are rs_pick()s of the properties; what differs is spelled out below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"

#define NONE ((const char *const[]){NULL})
#define ALL ((const char *const[]){"*", NULL})

/* The *FullName attributes: the ARN from `marker` on, with or without it
 * ("...:loadbalancer/app/n/id" -> "app/n/id"; "...:targetgroup/n/id" -> "targetgroup/n/id"). */
static void full_name(struct rs_ctx *c, const char *marker, bool keep_marker, const char *to)
{
    const char *p = strstr(c->physical_id, marker);
    if (p)
        json_object_set_new(c->attrs, to, json_string(keep_marker ? p : p + strlen(marker)));
}

/* The resource's given name (props[key]) or a generated one of at most 32 characters, as ELBv2 allows. New string. */
static char *name_of(struct rs_ctx *c, json_t *props, const char *key)
{
    return rs_str(props, key) ? strdup(rs_str(props, key)) : rs_physical_name(c, 32);
}

static const struct rs_tagging TAGGING = {"elbv2", "RemoveTags", "AddTags", "ResourceArns", true, "TagKeys", "Tags"};

/* LoadBalancerAttributes / TargetGroupAttributes [{Key, Value}] -> `op` {arn_key: arn, Attributes}. */
static int set_attributes(struct rs_ctx *c, const char *op, const char *arn_key, const char *arn, json_t *props,
                          const char *key)
{
    json_t *list = json_object_get(props, key);
    if (!json_array_size(list))
        return 0;
    return rs_do(c, "elbv2", op, json_pack("{sssO}", arn_key, arn, "Attributes", list));
}

/* ---- LoadBalancer ------------------------------------------------------------------------------- */

struct lb_wait {
    const char *want; /* "active" or NULL: deleted */
};

static int lb_probe(struct rs_ctx *c, void *ud)
{
    struct lb_wait *w = ud;
    json_t *lb = rs_describe_one(c, "elbv2", "DescribeLoadBalancers", "LoadBalancerArns", "LoadBalancers");
    if (!lb)
        return !w->want && rs_gone(c) ? 1 : -1;
    const char *state = rs_str(json_object_get(lb, "State"), "Code");
    int rc = !w->want || !state ? 0
             : strcmp(state, w->want) == 0 ? 1
             : strcmp(state, "failed") == 0
                 ? rs_fail(c, "the load balancer failed: %s", rs_str(json_object_get(lb, "State"), "Reason") ?: "")
                 : 0;
    json_decref(lb);
    return rc;
}

static int lb_create(struct rs_ctx *c, json_t *props, char **id)
{
    char *name = name_of(c, props, "Name");
    json_t *in = rs_pick(props, (const char *const[]){"Subnets", "SubnetMappings", "SecurityGroups", "Scheme", "Tags",
                                                       "Type", "IpAddressType", "CustomerOwnedIpv4Pool", NULL});
    json_object_set_new(in, "Name", json_string(name));
    free(name);
    if (rs_create_id(c, "elbv2", "CreateLoadBalancer", in, "LoadBalancers", true, "LoadBalancerArn", id))
        return -1;
    struct rs_ctx probe = *c;
    probe.physical_id = *id;
    int rc = set_attributes(&probe, "ModifyLoadBalancerAttributes", "LoadBalancerArn", *id, props,
                            "LoadBalancerAttributes");
    if (!rc)
        rc = rs_wait(&probe, "waiting for active", lb_probe, &(struct lb_wait){"active"}, 1800);
    c->err = probe.err;
    return rc;
}

static int lb_read(struct rs_ctx *c, json_t *props)
{
    json_t *lb = rs_describe_one(c, "elbv2", "DescribeLoadBalancers", "LoadBalancerArns", "LoadBalancers");
    if (!lb)
        return -1;
    rs_attr(c, lb, "DNSName", "DNSName");
    rs_attr(c, lb, "CanonicalHostedZoneId", "CanonicalHostedZoneID");
    rs_attr(c, lb, "LoadBalancerName", "LoadBalancerName");
    rs_attr(c, lb, "LoadBalancerArn", "LoadBalancerArn");
    rs_attr(c, lb, "SecurityGroups", "SecurityGroups");
    full_name(c, ":loadbalancer/", false, "LoadBalancerFullName");
    json_decref(lb);
    return 0;
}

static int lb_update(struct rs_ctx *c, json_t *props)
{
    const char *arn = c->physical_id;
    if (rs_changed(c, props, "SecurityGroups") &&
        rs_do(c, "elbv2", "SetSecurityGroups",
              json_pack("{sss o}", "LoadBalancerArn", arn, "SecurityGroups",
                        json_incref(json_object_get(props, "SecurityGroups")) ?: json_array())))
        return -1;
    if (rs_changed(c, props, "Subnets") || rs_changed(c, props, "SubnetMappings")) {
        json_t *in = rs_pick(props, (const char *const[]){"Subnets", "SubnetMappings", NULL});
        json_object_set_new(in, "LoadBalancerArn", json_string(arn));
        if (rs_do(c, "elbv2", "SetSubnets", in))
            return -1;
    }
    if (rs_changed(c, props, "IpAddressType") &&
        rs_do(c, "elbv2", "SetIpAddressType",
              json_pack("{ssss}", "LoadBalancerArn", arn, "IpAddressType", rs_str(props, "IpAddressType") ?: "ipv4")))
        return -1;
    if (rs_changed(c, props, "LoadBalancerAttributes") &&
        set_attributes(c, "ModifyLoadBalancerAttributes", "LoadBalancerArn", arn, props, "LoadBalancerAttributes"))
        return -1;
    return rs_update_tags(c, &TAGGING, c->physical_id, props);
}

static int lb_remove(struct rs_ctx *c, json_t *props)
{
    if (rs_delete_id(c, "elbv2", "DeleteLoadBalancer", "LoadBalancerArn"))
        return -1;
    return rs_wait(c, "waiting for deleted", lb_probe, &(struct lb_wait){NULL}, 1800);
}

static const struct rs_driver load_balancer = {
    .type = "AWS::ElasticLoadBalancingV2::LoadBalancer",
    .required = NONE,
    .replace = (const char *const[]){"Name", "Scheme", "Type", "CustomerOwnedIpv4Pool", NULL},
    .attributes = (const char *const[]){"CanonicalHostedZoneID", "DNSName", "LoadBalancerArn",
                                        "LoadBalancerFullName", "LoadBalancerName", "SecurityGroups", NULL},
    .create = lb_create, .read = lb_read, .update = lb_update, .remove = lb_remove,
};

/* ---- TargetGroup --------------------------------------------------------------------------------- */

static const char *const TG_HEALTH[] = {"HealthCheckProtocol", "HealthCheckPort", "HealthCheckEnabled",
                                        "HealthCheckPath", "HealthCheckIntervalSeconds", "HealthCheckTimeoutSeconds",
                                        "HealthyThresholdCount", "UnhealthyThresholdCount", "Matcher", NULL};

/* `op` (RegisterTargets / DeregisterTargets) for the targets of `a` absent from `b`. */
static int targets_missing(struct rs_ctx *c, const char *op, json_t *a, json_t *b)
{
    json_t *list = json_array(), *t, *u;
    size_t i, j;
    json_array_foreach(a, i, t) {
        bool found = false;
        json_array_foreach(b, j, u) found |= json_equal(t, u);
        if (!found)
            json_array_append(list, t);
    }
    int rc = 0;
    if (json_array_size(list))
        rc = rs_do(c, "elbv2", op, json_pack("{sssO}", "TargetGroupArn", c->physical_id, "Targets", list));
    json_decref(list);
    return rc;
}

static int tg_create(struct rs_ctx *c, json_t *props, char **id)
{
    char *name = name_of(c, props, "Name");
    json_t *in = rs_pick(props, TG_HEALTH), *more = rs_pick(props, (const char *const[]){
                                               "Protocol", "ProtocolVersion", "Port", "VpcId", "TargetType", "Tags",
                                               "IpAddressType", NULL});
    json_object_update(in, more);
    json_decref(more);
    json_object_set_new(in, "Name", json_string(name));
    free(name);
    if (rs_create_id(c, "elbv2", "CreateTargetGroup", in, "TargetGroups", true, "TargetGroupArn", id))
        return -1;
    struct rs_ctx made = *c;
    made.physical_id = *id;
    int rc = set_attributes(&made, "ModifyTargetGroupAttributes", "TargetGroupArn", *id, props, "TargetGroupAttributes");
    if (!rc)
        rc = targets_missing(&made, "RegisterTargets", json_object_get(props, "Targets"), NULL);
    c->err = made.err;
    return rc;
}

static int tg_read(struct rs_ctx *c, json_t *props)
{
    json_t *tg = rs_describe_one(c, "elbv2", "DescribeTargetGroups", "TargetGroupArns", "TargetGroups");
    if (!tg)
        return -1;
    rs_attr(c, tg, "TargetGroupArn", "TargetGroupArn");
    rs_attr(c, tg, "TargetGroupName", "TargetGroupName");
    rs_attr(c, tg, "LoadBalancerArns", "LoadBalancerArns");
    full_name(c, "targetgroup/", true, "TargetGroupFullName");
    json_decref(tg);
    return 0;
}

static int tg_update(struct rs_ctx *c, json_t *props)
{
    bool health = false;
    for (size_t i = 0; TG_HEALTH[i]; i++)
        health |= rs_changed(c, props, TG_HEALTH[i]);
    if (health) {
        json_t *in = rs_pick(props, TG_HEALTH);
        json_object_set_new(in, "TargetGroupArn", json_string(c->physical_id));
        if (rs_do(c, "elbv2", "ModifyTargetGroup", in))
            return -1;
    }
    if (rs_changed(c, props, "TargetGroupAttributes") &&
        set_attributes(c, "ModifyTargetGroupAttributes", "TargetGroupArn", c->physical_id, props,
                       "TargetGroupAttributes"))
        return -1;
    json_t *was = json_object_get(c->old_props, "Targets"), *now = json_object_get(props, "Targets");
    if (targets_missing(c, "DeregisterTargets", was, now) || targets_missing(c, "RegisterTargets", now, was))
        return -1;
    return rs_update_tags(c, &TAGGING, c->physical_id, props);
}

/* Deletes the group once nothing uses it: a listener updated away from it lets go at once, but its
 * replacement's cleanup may race a rule or listener being deleted in parallel. */
static int tg_delete_probe(struct rs_ctx *c, void *ud)
{
    if (rs_delete_id(c, "elbv2", "DeleteTargetGroup", "TargetGroupArn") == 0)
        return 1;
    return strcmp(c->err.code, "ResourceInUse") == 0 ? 0 : -1;
}

static int tg_remove(struct rs_ctx *c, json_t *props)
{
    return rs_wait(c, "waiting for the target group to be released", tg_delete_probe, NULL, 600);
}

static const struct rs_driver target_group = {
    .type = "AWS::ElasticLoadBalancingV2::TargetGroup",
    .required = NONE,
    .replace = (const char *const[]){"Name", "Port", "Protocol", "ProtocolVersion", "TargetType", "VpcId",
                                     "IpAddressType", NULL},
    .attributes = (const char *const[]){"LoadBalancerArns", "TargetGroupArn", "TargetGroupFullName",
                                        "TargetGroupName", NULL},
    .create = tg_create, .read = tg_read, .update = tg_update, .remove = tg_remove,
};

/* ---- Listener ------------------------------------------------------------------------------------- */

static const char *const LISTENER_KEYS[] = {"Port", "Protocol", "SslPolicy", "Certificates", "DefaultActions",
                                            "AlpnPolicy", "MutualAuthentication", NULL};

static int listener_create(struct rs_ctx *c, json_t *props, char **id)
{
    json_t *in = rs_pick(props, LISTENER_KEYS);
    json_object_set(in, "LoadBalancerArn", json_object_get(props, "LoadBalancerArn"));
    return rs_create_id(c, "elbv2", "CreateListener", in, "Listeners", true, "ListenerArn", id);
}

static int listener_read(struct rs_ctx *c, json_t *props)
{
    json_object_set_new(c->attrs, "ListenerArn", json_string(c->physical_id));
    return 0;
}

static int listener_update(struct rs_ctx *c, json_t *props)
{
    json_t *in = rs_pick(props, LISTENER_KEYS);
    json_object_set_new(in, "ListenerArn", json_string(c->physical_id));
    return rs_do(c, "elbv2", "ModifyListener", in);
}

static int listener_remove(struct rs_ctx *c, json_t *props)
{
    return rs_delete_id(c, "elbv2", "DeleteListener", "ListenerArn");
}

static const struct rs_driver listener = {
    .type = "AWS::ElasticLoadBalancingV2::Listener",
    .required = (const char *const[]){"LoadBalancerArn", "DefaultActions", NULL},
    .replace = (const char *const[]){"LoadBalancerArn", NULL},
    .attributes = (const char *const[]){"ListenerArn", NULL},
    .create = listener_create, .read = listener_read, .update = listener_update, .remove = listener_remove,
};

/* ---- ListenerRule ---------------------------------------------------------------------------------- */

static int rule_create(struct rs_ctx *c, json_t *props, char **id)
{
    json_t *in = rs_pick(props, (const char *const[]){"ListenerArn", "Priority", "Conditions", "Actions", "Tags",
                                                       NULL});
    return rs_create_id(c, "elbv2", "CreateRule", in, "Rules", true, "RuleArn", id);
}

static int rule_read(struct rs_ctx *c, json_t *props)
{
    json_object_set_new(c->attrs, "RuleArn", json_string(c->physical_id));
    json_object_set_new(c->attrs, "IsDefault", json_false());
    return 0;
}

static int rule_update(struct rs_ctx *c, json_t *props)
{
    if (rs_changed(c, props, "Actions") || rs_changed(c, props, "Conditions")) {
        json_t *in = rs_pick(props, (const char *const[]){"Actions", "Conditions", NULL});
        json_object_set_new(in, "RuleArn", json_string(c->physical_id));
        if (rs_do(c, "elbv2", "ModifyRule", in))
            return -1;
    }
    if (rs_changed(c, props, "Priority") &&
        rs_do(c, "elbv2", "SetRulePriorities",
              json_pack("{s[{sssO}]}", "RulePriorities", "RuleArn", c->physical_id, "Priority",
                        json_object_get(props, "Priority"))))
        return -1;
    return 0;
}

static int rule_remove(struct rs_ctx *c, json_t *props)
{
    return rs_delete_id(c, "elbv2", "DeleteRule", "RuleArn");
}

static const struct rs_driver listener_rule = {
    .type = "AWS::ElasticLoadBalancingV2::ListenerRule",
    .required = (const char *const[]){"Actions", "Conditions", "Priority", NULL},
    .replace = (const char *const[]){"ListenerArn", NULL},
    .attributes = (const char *const[]){"IsDefault", "RuleArn", NULL},
    .create = rule_create, .read = rule_read, .update = rule_update, .remove = rule_remove,
};

/* ---- ListenerCertificate: extra certificates on a listener; any change replaces it ------------------ */

static json_t *certificates_input(json_t *props)
{
    return rs_pick(props, (const char *const[]){"ListenerArn", "Certificates", NULL});
}

static int cert_create(struct rs_ctx *c, json_t *props, char **id)
{
    if (rs_do(c, "elbv2", "AddListenerCertificates", certificates_input(props)))
        return -1;
    *id = rs_physical_name(c, 64);
    return 0;
}

static int cert_remove(struct rs_ctx *c, json_t *props)
{
    int rc = rs_do(c, "elbv2", "RemoveListenerCertificates", certificates_input(props));
    return rc && !rs_gone(c) ? -1 : 0;
}

static const struct rs_driver listener_certificate = {
    .type = "AWS::ElasticLoadBalancingV2::ListenerCertificate",
    .required = (const char *const[]){"Certificates", "ListenerArn", NULL},
    .replace = ALL,
    .attributes = NONE,
    .create = cert_create, .remove = cert_remove,
};

const struct rs_driver *const rs_family_elbv2[] = {
    &load_balancer, &target_group, &listener, &listener_rule, &listener_certificate, NULL,
};
