/*
 * elbv2_lb.c - load balancers: AWS's rules on names, subnets (an application
 * load balancer spans at least two Availability Zones, one subnet each, all
 * in one VPC) and security groups; a network interface in every subnet; the
 * DNS name and hosted zone AWS gives; `provisioning` -> `active` on the clock;
 * attributes, with deletion protection guarding DeleteLoadBalancer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2.h"
#include "elbv2_internal.h"
#include "sim.h"

#define MAX_LOAD_BALANCERS 50

static bool is_network(json_t *doc)
{
    return strcmp(dd_in_str(doc, "Type") ? dd_in_str(doc, "Type") : "", "network") == 0;
}

/* ---- names --------------------------------------------------------------------- */

static int name_or_err(struct dd_request *r, const char *name)
{
    size_t n = strlen(name);
    if (n > 32)
        return dd_reject(r, 400, "ValidationError", "The load balancer name '%s' cannot be longer than '32' characters",
                         name);
    if (n == 0 || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != n)
        return dd_reject(r, 400, "ValidationError",
                         "The load balancer name '%s' can only contain characters that are alphanumeric characters "
                         "and hyphens(-)",
                         name);
    if (name[0] == '-')
        return dd_reject(r, 400, "ValidationError", "The load balancer name '%s' cannot begin with a hyphen(-)", name);
    if (name[n - 1] == '-')
        return dd_reject(r, 400, "ValidationError", "The load balancer name '%s' cannot end with a hyphen(-)", name);
    if (strncmp(name, "internal-", 9) == 0)
        return dd_reject(r, 400, "ValidationError", "The load balancer name '%s' cannot begin with 'internal-'", name);
    return 0;
}

/* ---- subnets and security groups ------------------------------------------------- */

/* The subnet ids of the call (Subnets or SubnetMappings), as a new array. */
static json_t *subnet_ids(json_t *in)
{
    json_t *ids = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(in, "Subnets"), i, v)
    {
        json_array_append(ids, v);
    }
    json_array_foreach(json_object_get(in, "SubnetMappings"), i, v)
    {
        json_array_append_new(ids, json_string(dd_in_str(v, "SubnetId") ? dd_in_str(v, "SubnetId") : ""));
    }
    return ids;
}

/*
 * Checks the subnets as AWS does and answers [{ZoneName, SubnetId}] (new)
 * with their VPC into vpc_id; NULL after recording the error.
 */
static json_t *zones_or_err(struct dd_request *r, json_t *ids, bool network, char vpc_id[64])
{
    json_t *zones = json_array();
    size_t i, j;
    json_t *id, *z;
    vpc_id[0] = '\0';
    json_array_foreach(ids, i, id)
    {
        struct ec2_subnet_info s;
        const char *err = NULL;
        if (ec2_subnet_info(r, json_string_value(id), &s)) {
            dd_fail(r, 400, "SubnetNotFound", "The subnet ID '%s' is not valid", json_string_value(id));
            err = "";
        } else if (vpc_id[0] && strcmp(vpc_id, s.vpc_id) != 0) {
            dd_fail(r, 400, "InvalidConfigurationRequest", "All subnets must belong to the same VPC: '%s' is in '%s'",
                    json_string_value(id), s.vpc_id);
            err = "";
        }
        json_array_foreach(zones, j, z)
        {
            if (!err && strcmp(dd_in_str(z, "ZoneName"), s.zone) == 0) {
                dd_fail(r, 400, "InvalidConfigurationRequest",
                        "A load balancer cannot be attached to multiple subnets in the same Availability Zone");
                err = "";
            }
        }
        if (err) {
            json_decref(zones);
            return NULL;
        }
        snprintf(vpc_id, 64, "%s", s.vpc_id);
        json_array_append_new(
            zones, json_pack("{s:s, s:O, s:[]}", "ZoneName", s.zone, "SubnetId", id, "LoadBalancerAddresses"));
    }
    if (!network && json_array_size(zones) < 2) {
        json_decref(zones);
        return dd_fail(r, 400, "ValidationError",
                       "At least two subnets in two different Availability Zones must be specified");
    }
    if (network && json_array_size(zones) < 1) {
        json_decref(zones);
        return dd_fail(r, 400, "ValidationError", "At least one subnet must be specified");
    }
    return zones;
}

/* Every group exists and lives in the VPC: 0, or -1 (InvalidSecurityGroup). */
static int groups_or_err(struct dd_request *r, json_t *groups, const char *vpc_id)
{
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        char vpc[64];
        if (ec2_sg_vpc(r, json_string_value(g), vpc))
            return dd_reject(r, 400, "InvalidSecurityGroup", "Security group '%s' does not exist",
                             json_string_value(g));
        if (strcmp(vpc, vpc_id) != 0)
            return dd_reject(r, 400, "InvalidSecurityGroup", "Security group '%s' does not belong to VPC '%s'",
                             json_string_value(g), vpc_id);
    }
    return 0;
}

/* ---- network interfaces ------------------------------------------------------------ */

/* A network interface in each zone's subnet not yet holding one (ids kept in _enis). */
static int enis_create(struct dd_request *r, struct elbv2_res *lb)
{
    json_t *enis = json_object_get(lb->doc, "_enis"), *groups = json_object_get(lb->doc, "SecurityGroups");
    const char *arn_tail = strstr(lb->arn, ":loadbalancer/") + 14;
    char desc[160];
    snprintf(desc, sizeof desc, "ELB %s", arn_tail);
    size_t i;
    json_t *z;
    json_array_foreach(json_object_get(lb->doc, "AvailabilityZones"), i, z)
    {
        const char *subnet = dd_in_str(z, "SubnetId");
        if (json_object_get(enis, subnet))
            continue;
        char eni[64], ip[16];
        if (ec2_managed_eni_create(r, subnet, json_array_size(groups) ? groups : NULL, desc, eni, ip))
            return -1;
        json_object_set_new(enis, subnet, json_string(eni));
    }
    return 0;
}

/* Deletes the interfaces of subnets no longer in the zones (all, when `all`). */
static void enis_prune(struct dd_request *r, struct elbv2_res *lb, bool all)
{
    json_t *enis = json_object_get(lb->doc, "_enis"), *gone = json_array();
    const char *subnet;
    json_t *eni;
    json_object_foreach(enis, subnet, eni)
    {
        bool kept = false;
        size_t i;
        json_t *z;
        json_array_foreach(json_object_get(lb->doc, "AvailabilityZones"), i, z)
        {
            if (strcmp(dd_in_str(z, "SubnetId"), subnet) == 0)
                kept = true;
        }
        if (all || !kept) {
            ec2_managed_eni_delete(r, json_string_value(eni));
            json_array_append_new(gone, json_string(subnet));
        }
    }
    size_t i;
    json_t *s;
    json_array_foreach(gone, i, s)
    {
        json_object_del(enis, json_string_value(s));
    }
    json_decref(gone);
}

/* ---- CreateLoadBalancer -------------------------------------------------------------- */

static json_t *attrs_defaults(bool network)
{
    json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:s}", "access_logs.s3.enabled", "false", "access_logs.s3.bucket", "",
                          "access_logs.s3.prefix", "", "deletion_protection.enabled", "false",
                          "ipv6.deny_all_igw_traffic", "false");
    json_t *more =
        network ? json_pack("{s:s, s:s}", "load_balancing.cross_zone.enabled", "false",
                            "dns_record.client_routing_policy", "any_availability_zone")
                : json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                            "idle_timeout.timeout_seconds", "60", "client_keep_alive.seconds", "3600",
                            "connection_logs.s3.enabled", "false", "connection_logs.s3.bucket", "",
                            "connection_logs.s3.prefix", "", "routing.http.desync_mitigation_mode", "defensive",
                            "routing.http.drop_invalid_header_fields.enabled", "false",
                            "routing.http.preserve_host_header.enabled", "false",
                            "routing.http.x_amzn_tls_version_and_cipher_suite.enabled", "false",
                            "routing.http.xff_client_port.enabled", "false", "routing.http.xff_header_processing.mode",
                            "append", "routing.http2.enabled", "true", "waf.fail_open.enabled", "false",
                            "load_balancing.cross_zone.enabled", "true", "zonal_shift.config.enabled", "false");
    json_object_update(a, more);
    json_decref(more);
    return a;
}

/* name-<digits>.<region>.elb.amazonaws.com (network: name-<id>.elb.<region>.amazonaws.com). */
static void dns_name(struct dd_request *r, const char *name, const char *id, bool network, bool internal, char out[256])
{
    const char *prefix = internal ? "internal-" : "";
    if (network) {
        snprintf(out, 256, "%s%s-%s.elb.%s.amazonaws.com", prefix, name, id, r->region);
        return;
    }
    unsigned long long digits = strtoull(id + 6, NULL, 16) % 9000000000ULL + 1000000000ULL;
    snprintf(out, 256, "%s%s-%llu.%s.elb.amazonaws.com", prefix, name, digits, r->region);
}

static json_t *new_doc(struct dd_request *r, json_t *in, const char *arn, const char *id, json_t *zones,
                       const char *vpc_id, json_t *groups)
{
    const char *name = dd_in_str(in, "Name"), *type = dd_in_str(in, "Type") ? dd_in_str(in, "Type") : "application";
    const char *scheme = dd_in_str(in, "Scheme") ? dd_in_str(in, "Scheme") : "internet-facing";
    bool network = strcmp(type, "network") == 0;
    char dns[256];
    dns_name(r, name, id, network, strcmp(scheme, "internal") == 0, dns);
    json_t *doc =
        json_pack("{s:s, s:s, s:f, s:s, s:s, s:s, s:{s:s}, s:s, s:O, s:s, s:{}}", "LoadBalancerArn", arn, "DNSName",
                  dns, "CreatedTime", (double)r->now_ms / 1000.0, "LoadBalancerName", name, "Scheme", scheme, "VpcId",
                  vpc_id, "State", "Code", "provisioning", "Type", type, "AvailabilityZones", zones, "IpAddressType",
                  dd_in_str(in, "IpAddressType") ? dd_in_str(in, "IpAddressType") : "ipv4", "_enis");
    const char *zone_id = dd_in_str(json_object_get(elbv2_fixture("elbv2_hosted_zones"), type), r->region);
    if (zone_id)
        json_object_set_new(doc, "CanonicalHostedZoneId", json_string(zone_id));
    if (json_array_size(groups) || !network)
        json_object_set(doc, "SecurityGroups", groups);
    return doc;
}

/* Same name and settings: AWS answers the existing load balancer. */
static bool same_settings(json_t *doc, json_t *in, json_t *zones)
{
    const char *type = dd_in_str(in, "Type") ? dd_in_str(in, "Type") : "application";
    const char *scheme = dd_in_str(in, "Scheme") ? dd_in_str(in, "Scheme") : "internet-facing";
    return strcmp(dd_in_str(doc, "Type"), type) == 0 && strcmp(dd_in_str(doc, "Scheme"), scheme) == 0 &&
           json_equal(json_object_get(doc, "AvailabilityZones"), zones);
}

static json_t *create_lb(struct dd_request *r, json_t *in, json_t *zones, const char *vpc_id, json_t *groups)
{
    const char *name = dd_in_str(in, "Name");
    bool network = strcmp(dd_in_str(in, "Type") ? dd_in_str(in, "Type") : "", "network") == 0;
    char id[17];
    elbv2_new_id(id);
    char *arn = dd_arn(r, "elasticloadbalancing", "loadbalancer/%s/%s/%s", network ? "net" : "app", name, id);
    struct elbv2_res lb;
    elbv2_res_init(&lb, &elbv2_kind_lb, arn, name, NULL);
    free(arn);
    json_decref(lb.doc);
    lb.doc = new_doc(r, in, lb.arn, id, zones, vpc_id, groups);
    json_decref(lb.attrs);
    lb.attrs = attrs_defaults(network);
    json_t *out = NULL;
    if (enis_create(r, &lb) == 0 && elbv2_tags_add(r, lb.arn, json_object_get(in, "Tags")) == 0 &&
        sim_schedule(r, sim_delay_ms(180, 180000), "elbv2.load_balancer.active", lb.arn, NULL) == 0) {
        elbv2_res_save(r, &lb);
        out = json_pack("{s:[o]}", "LoadBalancers", elbv2_public(lb.doc));
    }
    elbv2_res_free(&lb);
    return out;
}

/* The groups of the call, or an application load balancer's default: the VPC's default group. */
static json_t *groups_of(struct dd_request *r, json_t *in, bool network, const char *vpc_id)
{
    json_t *groups = json_object_get(in, "SecurityGroups");
    if (groups || network)
        return groups ? json_incref(groups) : json_array();
    char sg[64];
    ec2_vpc_default_sg(r, vpc_id, sg);
    return sg[0] ? json_pack("[s]", sg) : json_array();
}

json_t *elbv2_op_CreateLoadBalancer(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "Name"), *type = dd_in_str(in, "Type") ? dd_in_str(in, "Type") : "application";
    if (name_or_err(r, name))
        return NULL;
    if (strcmp(type, "gateway") == 0)
        return dd_fail(r, 400, "ValidationError", "Load balancer type 'gateway' is not supported by drydock");
    if (json_object_get(in, "Subnets") && json_object_get(in, "SubnetMappings"))
        return dd_fail(r, 400, "ValidationError", "You can specify subnets or subnet mappings, not both");
    bool network = strcmp(type, "network") == 0;
    char vpc_id[64];
    json_t *ids = subnet_ids(in), *zones = zones_or_err(r, ids, network, vpc_id), *out = NULL, *groups = NULL;
    json_decref(ids);
    if (!zones)
        return NULL;
    groups = groups_of(r, in, network, vpc_id);
    struct elbv2_res old;
    if (groups_or_err(r, groups, vpc_id) == 0) {
        if (elbv2_load_by_name(r, &elbv2_kind_lb, name, &old) == 0) {
            if (same_settings(old.doc, in, zones))
                out = json_pack("{s:[o]}", "LoadBalancers", elbv2_public(old.doc));
            else
                dd_fail(r, 400, "DuplicateLoadBalancerName",
                        "A load balancer with the same name '%s' exists, but with different settings", name);
            elbv2_res_free(&old);
        } else if (elbv2_count(r, &elbv2_kind_lb, NULL) >= MAX_LOAD_BALANCERS) {
            dd_fail(r, 400, "TooManyLoadBalancers", "The maximum number of load balancers has been reached");
        } else {
            out = create_lb(r, in, zones, vpc_id, groups);
        }
    }
    json_decref(zones);
    json_decref(groups);
    return out;
}

int elbv2_lb_active(struct dd_request *r, const char *arn, json_t *payload)
{
    (void)payload;
    struct elbv2_res lb;
    if (elbv2_load(r, &elbv2_kind_lb, arn, &lb))
        return 0;
    json_object_set_new(lb.doc, "State", json_pack("{s:s}", "Code", "active"));
    elbv2_res_save(r, &lb);
    elbv2_res_free(&lb);
    return 0;
}

/* ---- Describe / Delete --------------------------------------------------------------- */

static json_t *render_lb(struct dd_request *r, struct elbv2_res *lb)
{
    (void)r;
    return elbv2_public(lb->doc);
}

json_t *elbv2_op_DescribeLoadBalancers(struct dd_request *r, json_t *in)
{
    json_t *names = json_object_get(in, "Names");
    if (!json_array_size(names))
        return elbv2_describe(r, in, &elbv2_kind_lb, json_object_get(in, "LoadBalancerArns"), NULL, "LoadBalancers",
                              render_lb);
    json_t *items = json_array();
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
    {
        struct elbv2_res lb;
        if (elbv2_load_by_name(r, &elbv2_kind_lb, json_string_value(n), &lb)) {
            json_decref(items);
            return dd_fail(r, 400, "LoadBalancerNotFound", "Load balancers '[%s]' not found", json_string_value(n));
        }
        json_array_append_new(items, render_lb(r, &lb));
        elbv2_res_free(&lb);
    }
    return json_pack("{s:o}", "LoadBalancers", items);
}

static int destroy_listener(struct dd_request *r, struct elbv2_res *listener, void *ctx)
{
    (void)ctx;
    elbv2_listener_destroy(r, listener);
    return 0;
}

json_t *elbv2_op_DeleteLoadBalancer(struct dd_request *r, json_t *in)
{
    const char *arn = dd_in_str(in, "LoadBalancerArn");
    struct elbv2_res lb;
    if (!elbv2_arn_wellformed(r, &elbv2_kind_lb, arn)) {
        elbv2_malformed(r, &elbv2_kind_lb, arn);
        return NULL;
    }
    if (elbv2_load(r, &elbv2_kind_lb, arn, &lb)) /* already gone: AWS answers success */
        return json_object();
    if (strcmp(dd_in_str(lb.attrs, "deletion_protection.enabled"), "true") == 0) {
        elbv2_res_free(&lb);
        return dd_fail(r, 400, "OperationNotPermitted",
                       "Load balancer '%s' cannot be deleted because deletion protection is enabled", arn);
    }
    elbv2_each(r, &elbv2_kind_listener, arn, destroy_listener, NULL);
    enis_prune(r, &lb, true);
    sim_cancel(r, NULL, arn);
    elbv2_res_delete(r, arn);
    elbv2_res_free(&lb);
    return json_object();
}

/* ---- attributes ------------------------------------------------------------------------ */

static const struct elbv2_attr_rule LB_ATTR_RULES[] = {
    {"idle_timeout.timeout_seconds", 1, 4000, NULL},
    {NULL, 0, 0, NULL},
};

json_t *elbv2_op_ModifyLoadBalancerAttributes(struct dd_request *r, json_t *in)
{
    return elbv2_attrs_modify(r, in, &elbv2_kind_lb, "LoadBalancerArn", "Load balancer", LB_ATTR_RULES);
}

json_t *elbv2_op_DescribeLoadBalancerAttributes(struct dd_request *r, json_t *in)
{
    return elbv2_attrs_describe(r, in, &elbv2_kind_lb, "LoadBalancerArn");
}

/* ---- SetSecurityGroups / SetSubnets / SetIpAddressType ------------------------------------ */

json_t *elbv2_op_SetSecurityGroups(struct dd_request *r, json_t *in)
{
    struct elbv2_res lb;
    if (elbv2_get_or_err(r, &elbv2_kind_lb, dd_in_str(in, "LoadBalancerArn"), &lb))
        return NULL;
    json_t *out = NULL, *groups = json_object_get(in, "SecurityGroups");
    if (is_network(lb.doc) && !json_object_get(lb.doc, "SecurityGroups")) {
        dd_fail(r, 400, "InvalidConfigurationRequest",
                "You cannot set security groups on a Network Load Balancer which was created without any security "
                "groups.");
    } else if (!is_network(lb.doc) && !json_array_size(groups)) {
        dd_fail(r, 400, "ValidationError", "A security group must be specified");
    } else if (groups_or_err(r, groups, dd_in_str(lb.doc, "VpcId")) == 0) {
        json_object_set(lb.doc, "SecurityGroups", groups);
        const char *subnet;
        json_t *eni;
        json_object_foreach(json_object_get(lb.doc, "_enis"), subnet, eni)
        {
            ec2_eni_set_groups(r, json_string_value(eni), groups);
        }
        elbv2_res_save(r, &lb);
        out = json_pack("{s:O}", "SecurityGroupIds", groups);
    }
    elbv2_res_free(&lb);
    return out;
}

json_t *elbv2_op_SetSubnets(struct dd_request *r, json_t *in)
{
    struct elbv2_res lb;
    if (elbv2_get_or_err(r, &elbv2_kind_lb, dd_in_str(in, "LoadBalancerArn"), &lb))
        return NULL;
    char vpc_id[64];
    json_t *ids = subnet_ids(in), *zones = zones_or_err(r, ids, is_network(lb.doc), vpc_id), *out = NULL;
    json_decref(ids);
    if (zones && strcmp(vpc_id, dd_in_str(lb.doc, "VpcId")) != 0) {
        dd_fail(r, 400, "InvalidConfigurationRequest", "All subnets must belong to the same VPC: '%s' is not in '%s'",
                vpc_id, dd_in_str(lb.doc, "VpcId"));
    } else if (zones) {
        json_object_set(lb.doc, "AvailabilityZones", zones);
        if (dd_in_str(in, "IpAddressType"))
            json_object_set_new(lb.doc, "IpAddressType", json_string(dd_in_str(in, "IpAddressType")));
        enis_prune(r, &lb, false);
        if (enis_create(r, &lb) == 0) {
            elbv2_res_save(r, &lb);
            out = json_pack("{s:O, s:s}", "AvailabilityZones", zones, "IpAddressType",
                            dd_in_str(lb.doc, "IpAddressType"));
        }
    }
    json_decref(zones);
    elbv2_res_free(&lb);
    return out;
}

json_t *elbv2_op_SetIpAddressType(struct dd_request *r, json_t *in)
{
    struct elbv2_res lb;
    if (elbv2_get_or_err(r, &elbv2_kind_lb, dd_in_str(in, "LoadBalancerArn"), &lb))
        return NULL;
    const char *type = dd_in_str(in, "IpAddressType");
    json_object_set_new(lb.doc, "IpAddressType", json_string(type));
    elbv2_res_save(r, &lb);
    elbv2_res_free(&lb);
    return json_pack("{s:s}", "IpAddressType", type);
}
