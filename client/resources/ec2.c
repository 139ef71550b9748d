/* ec2.c - AWS::EC2 networking: VPC, subnets, gateways, addresses, routes, security groups. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"

#define NONE ((const char *const[]){NULL})
#define ALL ((const char *const[]){"*", NULL})

/* ---- VPC ----------------------------------------------------------------------------------- */

static int vpc_attributes(struct rs_ctx *c, const char *id, json_t *props, bool only_changed)
{
    static const char *const names[] = {"EnableDnsSupport", "EnableDnsHostnames", NULL};
    for (size_t i = 0; names[i]; i++) {
        json_t *v = json_object_get(props, names[i]);
        if (!v || (only_changed && !rs_changed(c, props, names[i])))
            continue;
        if (rs_do(c, "ec2", "ModifyVpcAttribute", json_pack("{sss{sO}}", "VpcId", id, names[i], "Value", v)))
            return -1;
    }
    return 0;
}

static int vpc_create(struct rs_ctx *c, json_t *props, char **id)
{
    json_t *in = rs_pick(props, (const char *const[]){"CidrBlock", "InstanceTenancy", "Ipv4IpamPoolId",
                                                       "Ipv4NetmaskLength", NULL});
    json_object_set_new(in, "TagSpecifications", rs_ec2_tag_spec(json_object_get(props, "Tags"), "vpc"));
    if (rs_create_id(c, "ec2", "CreateVpc", in, "Vpc", false, "VpcId", id))
        return -1;
    return vpc_attributes(c, *id, props, false);
}

static int vpc_read(struct rs_ctx *c, json_t *props)
{
    json_t *vpc = rs_describe_one(c, "ec2", "DescribeVpcs", "VpcIds", "Vpcs");
    if (!vpc)
        return -1;
    rs_attr(c, vpc, "CidrBlock", "CidrBlock");
    rs_attr(c, vpc, "VpcId", "VpcId");
    json_t *assoc = json_array(), *x, *v6 = json_array();
    size_t i;
    json_array_foreach(json_object_get(vpc, "CidrBlockAssociationSet"), i, x)
        json_array_append(assoc, json_object_get(x, "AssociationId"));
    json_array_foreach(json_object_get(vpc, "Ipv6CidrBlockAssociationSet"), i, x)
        json_array_append(v6, json_object_get(x, "Ipv6CidrBlock"));
    json_object_set_new(c->attrs, "CidrBlockAssociations", assoc);
    json_object_set_new(c->attrs, "Ipv6CidrBlocks", v6);
    json_decref(vpc);
    json_t *sgs = rs_call(c, "ec2", "DescribeSecurityGroups",
                          json_pack("{s[{ss[s]}{ss[s]}]}", "Filters", "Name", "vpc-id", "Values", c->physical_id,
                                    "Name", "group-name", "Values", "default"));
    rs_attr(c, rs_first(sgs, "SecurityGroups"), "GroupId", "DefaultSecurityGroup");
    json_decref(sgs);
    json_t *acls = rs_call(c, "ec2", "DescribeNetworkAcls",
                           json_pack("{s[{ss[s]}{ss[s]}]}", "Filters", "Name", "vpc-id", "Values", c->physical_id,
                                     "Name", "default", "Values", "true"));
    rs_attr(c, rs_first(acls, "NetworkAcls"), "NetworkAclId", "DefaultNetworkAcl");
    json_decref(acls);
    return 0;
}

static int vpc_update(struct rs_ctx *c, json_t *props)
{
    if (vpc_attributes(c, c->physical_id, props, true))
        return -1;
    return rs_ec2_update_tags(c, c->physical_id, props);
}

static int vpc_remove(struct rs_ctx *c, json_t *props)
{
    return rs_delete_id(c, "ec2", "DeleteVpc", "VpcId");
}

static const struct rs_driver vpc = {
    .type = "AWS::EC2::VPC",
    .required = NONE,
    .replace = (const char *const[]){"CidrBlock", "InstanceTenancy", "Ipv4IpamPoolId", "Ipv4NetmaskLength", NULL},
    .attributes = (const char *const[]){"CidrBlock", "CidrBlockAssociations", "DefaultNetworkAcl",
                                        "DefaultSecurityGroup", "Ipv6CidrBlocks", "VpcId", NULL},
    .create = vpc_create, .read = vpc_read, .update = vpc_update, .remove = vpc_remove,
};

/* ---- Subnet ---------------------------------------------------------------------------------- */

static int subnet_attributes(struct rs_ctx *c, const char *id, json_t *props, bool only_changed)
{
    json_t *v = json_object_get(props, "MapPublicIpOnLaunch");
    if (!v || (only_changed && !rs_changed(c, props, "MapPublicIpOnLaunch")))
        return 0;
    return rs_do(c, "ec2", "ModifySubnetAttribute",
                 json_pack("{sss{sO}}", "SubnetId", id, "MapPublicIpOnLaunch", "Value", v));
}

static int subnet_create(struct rs_ctx *c, json_t *props, char **id)
{
    json_t *in = rs_pick(props, (const char *const[]){"VpcId", "CidrBlock", "AvailabilityZone",
                                                       "AvailabilityZoneId", "Ipv6CidrBlock", NULL});
    json_object_set_new(in, "TagSpecifications", rs_ec2_tag_spec(json_object_get(props, "Tags"), "subnet"));
    if (rs_create_id(c, "ec2", "CreateSubnet", in, "Subnet", false, "SubnetId", id))
        return -1;
    return subnet_attributes(c, *id, props, false);
}

static int subnet_read(struct rs_ctx *c, json_t *props)
{
    json_t *s = rs_describe_one(c, "ec2", "DescribeSubnets", "SubnetIds", "Subnets");
    if (!s)
        return -1;
    static const char *const same[] = {"AvailabilityZone", "AvailabilityZoneId", "CidrBlock", "SubnetId", "VpcId",
                                       "OutpostArn", NULL};
    for (size_t i = 0; same[i]; i++)
        rs_attr(c, s, same[i], same[i]);
    json_decref(s);
    return 0;
}

static int subnet_update(struct rs_ctx *c, json_t *props)
{
    if (subnet_attributes(c, c->physical_id, props, true))
        return -1;
    return rs_ec2_update_tags(c, c->physical_id, props);
}

static int subnet_remove(struct rs_ctx *c, json_t *props)
{
    return rs_delete_id(c, "ec2", "DeleteSubnet", "SubnetId");
}

static const struct rs_driver subnet = {
    .type = "AWS::EC2::Subnet",
    .required = (const char *const[]){"VpcId", NULL},
    .replace = (const char *const[]){"VpcId", "CidrBlock", "AvailabilityZone", "AvailabilityZoneId",
                                     "Ipv6CidrBlock", NULL},
    .attributes = (const char *const[]){"AvailabilityZone", "AvailabilityZoneId", "CidrBlock", "Ipv6CidrBlocks",
                                        "NetworkAclAssociationId", "OutpostArn", "SubnetId", "VpcId", NULL},
    .create = subnet_create, .read = subnet_read, .update = subnet_update, .remove = subnet_remove,
};

/* ---- InternetGateway, VPCGatewayAttachment ------------------------------------------------------- */

static int igw_create(struct rs_ctx *c, json_t *props, char **id)
{
    json_t *in = json_object();
    json_object_set_new(in, "TagSpecifications", rs_ec2_tag_spec(json_object_get(props, "Tags"), "internet-gateway"));
    return rs_create_id(c, "ec2", "CreateInternetGateway", in, "InternetGateway", false, "InternetGatewayId", id);
}

static int igw_read(struct rs_ctx *c, json_t *props)
{
    json_object_set_new(c->attrs, "InternetGatewayId", json_string(c->physical_id));
    return 0;
}

static int igw_update(struct rs_ctx *c, json_t *props)
{
    return rs_ec2_update_tags(c, c->physical_id, props);
}

static int igw_remove(struct rs_ctx *c, json_t *props)
{
    return rs_delete_id(c, "ec2", "DeleteInternetGateway", "InternetGatewayId");
}

static const struct rs_driver igw = {
    .type = "AWS::EC2::InternetGateway",
    .required = NONE,
    .replace = NONE,
    .attributes = (const char *const[]){"InternetGatewayId", NULL},
    .create = igw_create, .read = igw_read, .update = igw_update, .remove = igw_remove,
};

static int attach_create(struct rs_ctx *c, json_t *props, char **id)
{
    const char *igw_id = rs_str(props, "InternetGatewayId"), *vpc_id = rs_str(props, "VpcId");
    if (!igw_id)
        return rs_fail(c, "only InternetGatewayId attachments are supported (VpnGatewayId is not)");
    if (rs_do(c, "ec2", "AttachInternetGateway", json_pack("{ssss}", "InternetGatewayId", igw_id, "VpcId", vpc_id)))
        return -1;
    char buf[256];
    snprintf(buf, sizeof buf, "IGW|%s", vpc_id);
    *id = strdup(buf);
    return 0;
}

static int attach_remove(struct rs_ctx *c, json_t *props)
{
    int rc = rs_do(c, "ec2", "DetachInternetGateway",
                   json_pack("{ssss}", "InternetGatewayId", rs_str(props, "InternetGatewayId"), "VpcId",
                             rs_str(props, "VpcId")));
    return rc && !rs_gone(c) && strcmp(c->err.code, "Gateway.NotAttached") != 0 ? -1 : 0;
}

static const struct rs_driver attachment = {
    .type = "AWS::EC2::VPCGatewayAttachment",
    .required = (const char *const[]){"VpcId", NULL},
    .replace = ALL,
    .attributes = NONE,
    .create = attach_create, .remove = attach_remove,
};

/* ---- EIP, NatGateway ---------------------------------------------------------------------------- */

static int eip_create(struct rs_ctx *c, json_t *props, char **id)
{
    json_t *in = json_pack("{ss}", "Domain", "vpc");
    json_object_set_new(in, "TagSpecifications", rs_ec2_tag_spec(json_object_get(props, "Tags"), "elastic-ip"));
    return rs_create_id(c, "ec2", "AllocateAddress", in, NULL, false, "AllocationId", id);
}

static int eip_read(struct rs_ctx *c, json_t *props)
{
    json_t *a = rs_describe_one(c, "ec2", "DescribeAddresses", "AllocationIds", "Addresses");
    if (!a)
        return -1;
    rs_attr(c, a, "PublicIp", "Ref");
    rs_attr(c, a, "PublicIp", "PublicIp");
    rs_attr(c, a, "AllocationId", "AllocationId");
    json_decref(a);
    return 0;
}

static int eip_update(struct rs_ctx *c, json_t *props)
{
    return rs_ec2_update_tags(c, c->physical_id, props);
}

static int eip_remove(struct rs_ctx *c, json_t *props)
{
    return rs_delete_id(c, "ec2", "ReleaseAddress", "AllocationId");
}

static const struct rs_driver eip = {
    .type = "AWS::EC2::EIP",
    .required = NONE,
    .replace = (const char *const[]){"Domain", "InstanceId", "NetworkBorderGroup", "PublicIpv4Pool", NULL},
    .attributes = (const char *const[]){"AllocationId", "PublicIp", NULL},
    .create = eip_create, .read = eip_read, .update = eip_update, .remove = eip_remove,
};

struct nat_wait {
    const char *want; /* "available" or "deleted" */
};

static int nat_probe(struct rs_ctx *c, void *ud)
{
    struct nat_wait *w = ud;
    json_t *n = rs_describe_one(c, "ec2", "DescribeNatGateways", "NatGatewayIds", "NatGateways");
    const char *state = json_string_value(json_object_get(n, "State"));
    int rc = !n ? (strcmp(w->want, "deleted") == 0 ? 1 : -1)
             : !state ? 0
             : strcmp(state, w->want) == 0 ? 1
             : strcmp(state, "failed") == 0 ? rs_fail(c, "the NAT gateway failed: %s",
                                                      rs_str(n, "FailureMessage") ? rs_str(n, "FailureMessage") : "")
                                            : 0;
    json_decref(n);
    return rc;
}

static int nat_create(struct rs_ctx *c, json_t *props, char **id)
{
    json_t *in = rs_pick(props, (const char *const[]){"SubnetId", "AllocationId", "ConnectivityType",
                                                       "PrivateIpAddress", NULL});
    json_object_set_new(in, "TagSpecifications", rs_ec2_tag_spec(json_object_get(props, "Tags"), "natgateway"));
    if (rs_create_id(c, "ec2", "CreateNatGateway", in, "NatGateway", false, "NatGatewayId", id))
        return -1;
    struct nat_wait w = {"available"};
    struct rs_ctx probe = *c;
    probe.physical_id = *id;
    int rc = rs_wait(&probe, "waiting for available", nat_probe, &w, 900);
    c->err = probe.err;
    return rc;
}

static int nat_read(struct rs_ctx *c, json_t *props)
{
    json_object_set_new(c->attrs, "NatGatewayId", json_string(c->physical_id));
    return 0;
}

static int nat_update(struct rs_ctx *c, json_t *props)
{
    return rs_ec2_update_tags(c, c->physical_id, props);
}

static int nat_remove(struct rs_ctx *c, json_t *props)
{
    if (rs_delete_id(c, "ec2", "DeleteNatGateway", "NatGatewayId"))
        return -1;
    struct nat_wait w = {"deleted"};
    return rs_wait(c, "waiting for deleted", nat_probe, &w, 900);
}

static const struct rs_driver nat = {
    .type = "AWS::EC2::NatGateway",
    .required = (const char *const[]){"SubnetId", NULL},
    .replace = (const char *const[]){"SubnetId", "AllocationId", "ConnectivityType", "PrivateIpAddress", NULL},
    .attributes = (const char *const[]){"NatGatewayId", NULL},
    .create = nat_create, .read = nat_read, .update = nat_update, .remove = nat_remove,
};

/* ---- RouteTable, Route, SubnetRouteTableAssociation ----------------------------------------------- */

static int rtb_create(struct rs_ctx *c, json_t *props, char **id)
{
    json_t *in = rs_pick(props, (const char *const[]){"VpcId", NULL});
    json_object_set_new(in, "TagSpecifications", rs_ec2_tag_spec(json_object_get(props, "Tags"), "route-table"));
    return rs_create_id(c, "ec2", "CreateRouteTable", in, "RouteTable", false, "RouteTableId", id);
}

static int rtb_read(struct rs_ctx *c, json_t *props)
{
    json_object_set_new(c->attrs, "RouteTableId", json_string(c->physical_id));
    return 0;
}

static int rtb_update(struct rs_ctx *c, json_t *props)
{
    return rs_ec2_update_tags(c, c->physical_id, props);
}

static int rtb_remove(struct rs_ctx *c, json_t *props)
{
    return rs_delete_id(c, "ec2", "DeleteRouteTable", "RouteTableId");
}

static const struct rs_driver route_table = {
    .type = "AWS::EC2::RouteTable",
    .required = (const char *const[]){"VpcId", NULL},
    .replace = (const char *const[]){"VpcId", NULL},
    .attributes = (const char *const[]){"RouteTableId", NULL},
    .create = rtb_create, .read = rtb_read, .update = rtb_update, .remove = rtb_remove,
};

static const char *const ROUTE_KEYS[] = {"RouteTableId", "DestinationCidrBlock", "DestinationIpv6CidrBlock",
                                         "DestinationPrefixListId", "GatewayId", "NatGatewayId", "NetworkInterfaceId",
                                         "TransitGatewayId", "VpcPeeringConnectionId", "VpcEndpointId",
                                         "EgressOnlyInternetGatewayId", "InstanceId", "CarrierGatewayId", NULL};

static const char *route_destination(json_t *props)
{
    const char *d = rs_str(props, "DestinationCidrBlock");
    return d ? d : rs_str(props, "DestinationIpv6CidrBlock") ? rs_str(props, "DestinationIpv6CidrBlock")
                                                             : rs_str(props, "DestinationPrefixListId");
}

static int route_create(struct rs_ctx *c, json_t *props, char **id)
{
    if (rs_do(c, "ec2", "CreateRoute", rs_pick(props, ROUTE_KEYS)))
        return -1;
    char buf[512];
    const char *dest = route_destination(props);
    snprintf(buf, sizeof buf, "%s|%s", rs_str(props, "RouteTableId"), dest ? dest : "");
    *id = strdup(buf);
    return 0;
}

static int route_update(struct rs_ctx *c, json_t *props)
{
    return rs_do(c, "ec2", "ReplaceRoute", rs_pick(props, ROUTE_KEYS));
}

static int route_remove(struct rs_ctx *c, json_t *props)
{
    json_t *in = rs_pick(props, (const char *const[]){"RouteTableId", "DestinationCidrBlock",
                                                       "DestinationIpv6CidrBlock", "DestinationPrefixListId", NULL});
    int rc = rs_do(c, "ec2", "DeleteRoute", in);
    return rc && !rs_gone(c) ? -1 : 0;
}

static const struct rs_driver route = {
    .type = "AWS::EC2::Route",
    .required = (const char *const[]){"RouteTableId", NULL},
    .replace = (const char *const[]){"RouteTableId", "DestinationCidrBlock", "DestinationIpv6CidrBlock",
                                     "DestinationPrefixListId", NULL},
    .attributes = (const char *const[]){"CidrBlock", NULL},
    .create = route_create, .update = route_update, .remove = route_remove,
};

static int assoc_create(struct rs_ctx *c, json_t *props, char **id)
{
    json_t *in = rs_pick(props, (const char *const[]){"RouteTableId", "SubnetId", NULL});
    return rs_create_id(c, "ec2", "AssociateRouteTable", in, NULL, false, "AssociationId", id);
}

static int assoc_read(struct rs_ctx *c, json_t *props)
{
    json_object_set_new(c->attrs, "Id", json_string(c->physical_id));
    return 0;
}

static int assoc_remove(struct rs_ctx *c, json_t *props)
{
    return rs_delete_id(c, "ec2", "DisassociateRouteTable", "AssociationId");
}

static const struct rs_driver subnet_rtb_assoc = {
    .type = "AWS::EC2::SubnetRouteTableAssociation",
    .required = (const char *const[]){"RouteTableId", "SubnetId", NULL},
    .replace = ALL,
    .attributes = (const char *const[]){"Id", NULL},
    .create = assoc_create, .read = assoc_read, .remove = assoc_remove,
};

/* ---- SecurityGroup (inline rules), SecurityGroupIngress, SecurityGroupEgress ------------------------- */

/* One CloudFormation rule -> one IpPermission (new reference). */
static json_t *ip_permission(json_t *rule, bool egress)
{
    json_t *p = json_object(), *proto = json_object_get(rule, "IpProtocol");
    json_object_set_new(p, "IpProtocol", proto ? json_incref(proto) : json_string("-1"));
    bool all = !proto || (json_is_string(proto) && strcmp(json_string_value(proto), "-1") == 0) ||
               (json_is_integer(proto) && json_integer_value(proto) == -1);
    if (!all && json_object_get(rule, "FromPort"))
        json_object_set(p, "FromPort", json_object_get(rule, "FromPort"));
    if (!all && json_object_get(rule, "ToPort"))
        json_object_set(p, "ToPort", json_object_get(rule, "ToPort"));
    const char *desc = rs_str(rule, "Description");
    json_t *peer = json_object();
    if (desc)
        json_object_set_new(peer, "Description", json_string(desc));
    const char *group = rs_str(rule, egress ? "DestinationSecurityGroupId" : "SourceSecurityGroupId");
    const char *prefix = rs_str(rule, egress ? "DestinationPrefixListId" : "SourcePrefixListId");
    if (rs_str(rule, "CidrIp")) {
        json_object_set_new(peer, "CidrIp", json_string(rs_str(rule, "CidrIp")));
        json_object_set_new(p, "IpRanges", json_pack("[O]", peer));
    } else if (rs_str(rule, "CidrIpv6")) {
        json_object_set_new(peer, "CidrIpv6", json_string(rs_str(rule, "CidrIpv6")));
        json_object_set_new(p, "Ipv6Ranges", json_pack("[O]", peer));
    } else if (group) {
        json_object_set_new(peer, "GroupId", json_string(group));
        json_object_set_new(p, "UserIdGroupPairs", json_pack("[O]", peer));
    } else if (prefix) {
        json_object_set_new(peer, "PrefixListId", json_string(prefix));
        json_object_set_new(p, "PrefixListIds", json_pack("[O]", peer));
    }
    json_decref(peer);
    return p;
}

/* A group's egress as written, or the allow-all rule EC2 gives every new VPC group. */
static json_t *effective_egress(json_t *props)
{
    json_t *e = json_object_get(props, "SecurityGroupEgress");
    if (json_is_array(e))
        return json_incref(e);
    return json_pack("[{ssss}]", "IpProtocol", "-1", "CidrIp", "0.0.0.0/0");
}

static json_t *rules_of(json_t *props, bool egress)
{
    return egress ? effective_egress(props) : json_incref(json_object_get(props, "SecurityGroupIngress"));
}

/* Applies `op` to the rules of `rules` absent from `except`. */
static int apply_rules(struct rs_ctx *c, const char *group_id, const char *op, json_t *rules, json_t *except,
                       bool egress)
{
    json_t *perms = json_array(), *r, *x;
    size_t i, j;
    json_array_foreach(rules, i, r) {
        bool kept = false;
        json_array_foreach(except, j, x) kept |= json_equal(r, x);
        if (!kept)
            json_array_append_new(perms, ip_permission(r, egress));
    }
    int rc = 0;
    if (json_array_size(perms))
        rc = rs_do(c, "ec2", op, json_pack("{sssO}", "GroupId", group_id, "IpPermissions", perms));
    json_decref(perms);
    if (rc && (strcmp(c->err.code, "InvalidPermission.Duplicate") == 0 || rs_gone(c)))
        rc = 0;
    return rc;
}

/* Moves the group's rules of one direction from `old` to `now`: revoke what went, authorize what came. */
static int sync_rules(struct rs_ctx *c, const char *id, json_t *old, json_t *now, bool egress)
{
    json_t *a = rules_of(old, egress), *b = rules_of(now, egress);
    int rc = apply_rules(c, id, egress ? "RevokeSecurityGroupEgress" : "RevokeSecurityGroupIngress", a, b, egress);
    if (!rc)
        rc = apply_rules(c, id, egress ? "AuthorizeSecurityGroupEgress" : "AuthorizeSecurityGroupIngress", b, a,
                         egress);
    json_decref(a);
    json_decref(b);
    return rc;
}

static int sg_create(struct rs_ctx *c, json_t *props, char **id)
{
    char *name = rs_str(props, "GroupName") ? strdup(rs_str(props, "GroupName")) : rs_physical_name(c, 255);
    json_t *in = json_pack("{ssss}", "GroupName", name, "Description", rs_str(props, "GroupDescription"));
    free(name);
    if (rs_str(props, "VpcId"))
        json_object_set_new(in, "VpcId", json_string(rs_str(props, "VpcId")));
    json_object_set_new(in, "TagSpecifications", rs_ec2_tag_spec(json_object_get(props, "Tags"), "security-group"));
    if (rs_create_id(c, "ec2", "CreateSecurityGroup", in, NULL, false, "GroupId", id))
        return -1;
    json_t *empty = json_object();
    int rc = sync_rules(c, *id, empty, props, false);
    if (!rc && rs_str(props, "VpcId"))
        rc = sync_rules(c, *id, empty, props, true);
    json_decref(empty);
    return rc;
}

static int sg_read(struct rs_ctx *c, json_t *props)
{
    json_t *g = rs_describe_one(c, "ec2", "DescribeSecurityGroups", "GroupIds", "SecurityGroups");
    if (!g)
        return -1;
    rs_attr(c, g, "GroupId", "GroupId");
    rs_attr(c, g, "VpcId", "VpcId");
    json_decref(g);
    return 0;
}

static int sg_update(struct rs_ctx *c, json_t *props)
{
    if (sync_rules(c, c->physical_id, c->old_props, props, false) ||
        sync_rules(c, c->physical_id, c->old_props, props, true))
        return -1;
    return rs_ec2_update_tags(c, c->physical_id, props);
}

static int sg_remove(struct rs_ctx *c, json_t *props)
{
    return rs_delete_id(c, "ec2", "DeleteSecurityGroup", "GroupId");
}

static const struct rs_driver security_group = {
    .type = "AWS::EC2::SecurityGroup",
    .required = (const char *const[]){"GroupDescription", NULL},
    .replace = (const char *const[]){"GroupName", "GroupDescription", "VpcId", NULL},
    .attributes = (const char *const[]){"GroupId", "VpcId", NULL},
    .create = sg_create, .read = sg_read, .update = sg_update, .remove = sg_remove,
};

/* A standalone rule: authorized on its group; its id is the SecurityGroupRuleId EC2 returns. */
static int rule_create(struct rs_ctx *c, json_t *props, char **id, bool egress)
{
    json_t *in = json_pack("{sss[o]}", "GroupId", rs_str(props, "GroupId"), "IpPermissions",
                           ip_permission(props, egress));
    json_t *out = rs_call(c, "ec2", egress ? "AuthorizeSecurityGroupEgress" : "AuthorizeSecurityGroupIngress", in);
    if (!out)
        return -1;
    const char *rule_id = rs_str(rs_first(out, "SecurityGroupRules"), "SecurityGroupRuleId");
    *id = strdup(rule_id ? rule_id : rs_str(props, "GroupId"));
    json_decref(out);
    return 0;
}

static int rule_remove(struct rs_ctx *c, json_t *props, bool egress)
{
    json_t *in = json_pack("{sss[o]}", "GroupId", rs_str(props, "GroupId"), "IpPermissions",
                           ip_permission(props, egress));
    int rc = rs_do(c, "ec2", egress ? "RevokeSecurityGroupEgress" : "RevokeSecurityGroupIngress", in);
    return rc && !rs_gone(c) ? -1 : 0;
}

static int ingress_create(struct rs_ctx *c, json_t *props, char **id) { return rule_create(c, props, id, false); }
static int ingress_remove(struct rs_ctx *c, json_t *props) { return rule_remove(c, props, false); }
static int egress_create(struct rs_ctx *c, json_t *props, char **id) { return rule_create(c, props, id, true); }
static int egress_remove(struct rs_ctx *c, json_t *props) { return rule_remove(c, props, true); }

static const struct rs_driver sg_ingress = {
    .type = "AWS::EC2::SecurityGroupIngress",
    .required = (const char *const[]){"IpProtocol", NULL},
    .replace = ALL,
    .attributes = (const char *const[]){"Id", NULL},
    .create = ingress_create, .remove = ingress_remove,
};

static const struct rs_driver sg_egress = {
    .type = "AWS::EC2::SecurityGroupEgress",
    .required = (const char *const[]){"GroupId", "IpProtocol", NULL},
    .replace = ALL,
    .attributes = (const char *const[]){"Id", NULL},
    .create = egress_create, .remove = egress_remove,
};

const struct rs_driver *const rs_family_ec2[] = {
    &vpc, &subnet, &igw, &attachment, &eip, &nat, &route_table, &route, &subnet_rtb_assoc,
    &security_group, &sg_ingress, &sg_egress, NULL,
};
