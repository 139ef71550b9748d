/*
 * ec2_route.c - route tables, their routes and their associations.
 *
 * Every table has the `local` route of each VPC CIDR. Associations (a subnet
 * or gateway to a table, and each VPC's one main association) are rows of
 * their own, so "which table serves this subnet" is an indexed lookup and a
 * table with associations cannot be deleted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2_internal.h"

static int rtb_render(struct dd_request *r, json_t *doc);

static const struct ec2_filter_def rtb_filters[] = {
    {"association.gateway-id", "Associations.GatewayId"},
    {"association.main", "Associations.Main"},
    {"association.route-table-association-id", "Associations.RouteTableAssociationId"},
    {"association.route-table-id", "Associations.RouteTableId"},
    {"association.subnet-id", "Associations.SubnetId"},
    {"owner-id", "OwnerId"},
    {"route-table-id", "RouteTableId"},
    {"route.destination-cidr-block", "Routes.DestinationCidrBlock"},
    {"route.gateway-id", "Routes.GatewayId"},
    {"route.nat-gateway-id", "Routes.NatGatewayId"},
    {"route.network-interface-id", "Routes.NetworkInterfaceId"},
    {"route.origin", "Routes.Origin"},
    {"route.state", "Routes.State"},
    {"vpc-id", "VpcId"},
    {NULL, NULL},
};

const struct ec2_kind ec2_kind_rtb = {
    .type = "rtb",
    .prefix = "rtb-",
    .noun = "routeTable",
    .not_found = "InvalidRouteTableID.NotFound",
    .not_found_fmt = "The routeTable ID '%s' does not exist",
    .malformed = "InvalidRouteTableID.Malformed",
    .list_member = "RouteTables",
    .filter_member = "Filters",
    .tags_member = "Tags",
    .tag_type = "route-table",
    .filters = rtb_filters,
    .vpc_filter = "vpc-id",
    .render = rtb_render,
};

const struct ec2_kind ec2_kind_rtbassoc = {
    .type = "rtbassoc",
    .prefix = "rtbassoc-",
    .noun = "association",
    .not_found = "InvalidAssociationID.NotFound",
    .not_found_fmt = "The association ID '%s' does not exist",
    .list_member = "Associations",
    .filter_member = "Filters",
    .tags_member = "Tags",
    .tag_type = "route-table-association",
};

static int add_association(struct dd_request *r, struct ec2_res *assoc, void *ctx)
{
    json_array_append(ctx, assoc->doc);
    return 0;
}

static int rtb_render(struct dd_request *r, json_t *doc)
{
    json_t *associations = json_array();
    ec2_each(r, &ec2_kind_rtbassoc, "parent", dd_in_str(doc, "RouteTableId"), add_association, associations);
    json_object_set_new(doc, "Associations", associations);
    return 0;
}

static json_t *route_new(const char *dest, const char *target_member, const char *target)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "DestinationCidrBlock", dest, target_member, target, "Origin",
                     strcmp(target, "local") == 0 ? "CreateRouteTable" : "CreateRoute", "State", "active");
}

void ec2_route_add(json_t *rtb_doc, const char *dest, const char *target_member, const char *target)
{
    json_array_append_new(json_object_get(rtb_doc, "Routes"), route_new(dest, target_member, target));
}

/* A new association row of `rtb` for a subnet or gateway (`member`), or the main one. */
static void associate(struct dd_request *r, const char *rtb_id, const char *vpc_id, const char *member,
                      const char *target, struct ec2_res *assoc)
{
    ec2_res_init(assoc, &ec2_kind_rtbassoc);
    json_t *doc = json_pack("{s:b, s:s, s:s, s:{s:s}}", "Main", member == NULL, "RouteTableAssociationId", assoc->id,
                            "RouteTableId", rtb_id, "AssociationState", "State", "associated");
    if (member)
        json_object_set_new(doc, member, json_string(target));
    json_object_update(assoc->doc, doc);
    json_decref(doc);
    ec2_set(&assoc->parent, rtb_id);
    ec2_set(&assoc->vpc_id, vpc_id);
    ec2_set(&assoc->name, target);
    ec2_res_save(r, assoc);
}

int ec2_route_table_create(struct dd_request *r, struct ec2_res *vpc, bool main, json_t *in, struct ec2_res *out)
{
    ec2_res_init(out, &ec2_kind_rtb);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:[], s:[], s:[]}", "RouteTableId", out->id, "VpcId", vpc->id,
                            "OwnerId", r->account, "Routes", "PropagatingVgws", "Tags");
    json_object_update(out->doc, doc);
    json_decref(doc);
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(vpc->doc, "CidrBlockAssociationSet"), i, a)
        ec2_route_add(out->doc, dd_in_str(a, "CidrBlock"), "GatewayId", "local");
    if (ec2_tag_specs(r, in, out))
        return -1;
    ec2_set(&out->vpc_id, vpc->id);
    ec2_res_save(r, out);
    ec2_tags_sync(r, out);
    if (main) {
        struct ec2_res assoc;
        associate(r, out->id, vpc->id, NULL, NULL, &assoc);
        ec2_res_free(&assoc);
    }
    return 0;
}

/* ---- route tables ---------------------------------------------------------------- */

json_t *ec2_op_CreateRouteTable(struct dd_request *r, json_t *in)
{
    struct ec2_res vpc, rtb = {0};
    if (ec2_res_get_or_err(r, &ec2_kind_vpc, dd_in_str(in, "VpcId"), &vpc))
        return NULL;
    json_t *out = NULL;
    if (ec2_route_table_create(r, &vpc, false, in, &rtb) == 0)
        out = json_pack("{s:o}", "RouteTable", ec2_res_public(r, &rtb));
    ec2_res_free(&vpc);
    ec2_res_free(&rtb);
    return out;
}

json_t *ec2_op_DeleteRouteTable(struct dd_request *r, json_t *in)
{
    struct ec2_res rtb;
    const char *id = dd_in_str(in, "RouteTableId");
    if (ec2_res_get_or_err(r, &ec2_kind_rtb, id, &rtb))
        return NULL;
    ec2_res_free(&rtb);
    if (ec2_count(r, &ec2_kind_rtbassoc, "parent", id) > 0)
        return dd_fail(r, 400, "DependencyViolation", "The routeTable '%s' has dependencies and cannot be deleted.", id);
    ec2_res_delete(r, id);
    return json_object();
}

json_t *ec2_op_DescribeRouteTables(struct dd_request *r, json_t *in)
{
    return ec2_describe(r, in, &ec2_kind_rtb, json_object_get(in, "RouteTableIds"));
}

/* ---- associations ------------------------------------------------------------------ */

/* The subnet or gateway an association call names, in the table's VPC. */
static int association_target(struct dd_request *r, json_t *in, struct ec2_res *rtb, const char **member,
                              const char **target)
{
    struct ec2_res res;
    const char *subnet = dd_in_str(in, "SubnetId"), *gateway = dd_in_str(in, "GatewayId");
    const struct ec2_kind *kind = subnet ? &ec2_kind_subnet : &ec2_kind_igw;
    *member = subnet ? "SubnetId" : "GatewayId";
    *target = subnet ? subnet : gateway;
    if (!*target) {
        dd_fail(r, 400, "MissingParameter", "The request must contain the parameter subnetId or gatewayId");
        return -1;
    }
    if (ec2_res_get_or_err(r, kind, *target, &res))
        return -1;
    bool same = res.vpc_id && strcmp(res.vpc_id, rtb->vpc_id) == 0;
    ec2_res_free(&res);
    if (!same) {
        dd_fail(r, 400, "InvalidParameterValue", "route table %s and %s %s belong to different networks", rtb->id,
                subnet ? "subnet" : "network gateway", *target);
        return -1;
    }
    if (ec2_count(r, &ec2_kind_rtbassoc, "name", *target) > 0) {
        dd_fail(r, 400, "Resource.AlreadyAssociated",
                "the specified association for route table %s conflicts with an existing association", rtb->id);
        return -1;
    }
    return 0;
}

json_t *ec2_op_AssociateRouteTable(struct dd_request *r, json_t *in)
{
    struct ec2_res rtb, assoc = {0};
    const char *member, *target;
    if (ec2_res_get_or_err(r, &ec2_kind_rtb, dd_in_str(in, "RouteTableId"), &rtb))
        return NULL;
    json_t *out = NULL;
    if (association_target(r, in, &rtb, &member, &target) == 0) {
        associate(r, rtb.id, rtb.vpc_id, member, target, &assoc);
        out = json_pack("{s:s, s:{s:s}}", "AssociationId", assoc.id, "AssociationState", "State", "associated");
    }
    ec2_res_free(&rtb);
    ec2_res_free(&assoc);
    return out;
}

json_t *ec2_op_DisassociateRouteTable(struct dd_request *r, json_t *in)
{
    struct ec2_res assoc;
    if (ec2_res_get_or_err(r, &ec2_kind_rtbassoc, dd_in_str(in, "AssociationId"), &assoc))
        return NULL;
    bool main = dd_in_bool(assoc.doc, "Main");
    if (!main)
        ec2_res_delete(r, assoc.id);
    json_t *out = main ? dd_fail(r, 400, "InvalidParameterValue", "cannot disassociate the main route table association %s",
                                 assoc.id)
                       : json_object();
    ec2_res_free(&assoc);
    return out;
}

json_t *ec2_op_ReplaceRouteTableAssociation(struct dd_request *r, json_t *in)
{
    struct ec2_res old, rtb, assoc = {0};
    if (ec2_res_get_or_err(r, &ec2_kind_rtbassoc, dd_in_str(in, "AssociationId"), &old))
        return NULL;
    if (ec2_res_get_or_err(r, &ec2_kind_rtb, dd_in_str(in, "RouteTableId"), &rtb)) {
        ec2_res_free(&old);
        return NULL;
    }
    json_t *out = NULL;
    if (!old.vpc_id || strcmp(old.vpc_id, rtb.vpc_id) != 0) {
        dd_fail(r, 400, "InvalidParameterValue", "route table %s and association %s belong to different networks",
                rtb.id, old.id);
    } else {
        const char *member = dd_in_str(old.doc, "SubnetId") ? "SubnetId" : dd_in_str(old.doc, "GatewayId") ? "GatewayId"
                                                                                                      : NULL;
        ec2_res_delete(r, old.id);
        associate(r, rtb.id, rtb.vpc_id, member, old.name, &assoc);
        out = json_pack("{s:s, s:{s:s}}", "NewAssociationId", assoc.id, "AssociationState", "State", "associated");
    }
    ec2_res_free(&old);
    ec2_res_free(&rtb);
    ec2_res_free(&assoc);
    return out;
}

/* ---- routes ------------------------------------------------------------------------- */

/* The index of the route to `dest` in the table, or -1. */
static int find_route(json_t *rtb_doc, const char *dest)
{
    size_t i;
    json_t *route;
    json_array_foreach(json_object_get(rtb_doc, "Routes"), i, route)
    {
        const char *d = dd_in_str(route, "DestinationCidrBlock");
        if (d && strcmp(d, dest) == 0)
            return (int)i;
    }
    return -1;
}

/* The destination of a route call, normalized ("10.0.0.0/16"), into out. */
static int route_destination(struct dd_request *r, json_t *in, char out[40])
{
    const char *dest = dd_in_str(in, "DestinationCidrBlock");
    uint32_t net;
    int len;
    char ip[16];
    if (!dest) {
        dd_fail(r, 400, "MissingParameter", "The request must contain the parameter destinationCidrBlock");
        return -1;
    }
    if (ec2_cidr_parse(dest, &net, &len)) {
        dd_fail(r, 400, "InvalidParameterValue",
                "Value (%s) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.", dest);
        return -1;
    }
    ec2_ip_format(net, ip);
    snprintf(out, 40, "%s/%d", ip, len);
    return 0;
}

/* The one target a route call names, checked to exist in the table's VPC. */
static int route_target(struct dd_request *r, json_t *in, struct ec2_res *rtb, const char **member, const char **id)
{
    static const struct {
        const char *member;
        const struct ec2_kind *kind;
        const char *code, *noun;
    } targets[] = {
        {"GatewayId", &ec2_kind_igw, "InvalidGatewayID.NotFound", "network gateway"},
        {"NatGatewayId", &ec2_kind_nat, "InvalidNatGatewayID.NotFound", "NAT gateway"},
        {"NetworkInterfaceId", &ec2_kind_eni, "InvalidNetworkInterfaceID.NotFound", "interface"},
    };
    const char *instance = dd_in_str(in, "InstanceId");
    if (instance) {
        dd_fail(r, 400, "InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", instance);
        return -1;
    }
    for (size_t i = 0; i < sizeof targets / sizeof *targets; i++) {
        const char *value = dd_in_str(in, targets[i].member);
        if (!value)
            continue;
        struct ec2_res res;
        if (ec2_res_load(r, targets[i].kind, value, &res)) {
            if (i == 0)
                dd_fail(r, 400, targets[i].code, "The gateway ID '%s' does not exist", value);
            else if (i == 1)
                dd_fail(r, 400, targets[i].code, "The natGateway ID '%s' does not exist", value);
            else
                dd_fail(r, 400, targets[i].code, "The networkInterface ID '%s' does not exist", value);
            return -1;
        }
        const char *vpc = res.vpc_id ? res.vpc_id : dd_in_str(res.doc, "VpcId");
        bool same = vpc && strcmp(vpc, rtb->vpc_id) == 0;
        ec2_res_free(&res);
        if (!same) {
            dd_fail(r, 400, "InvalidParameterValue", "route table %s and %s %s belong to different networks", rtb->id,
                    targets[i].noun, value);
            return -1;
        }
        *member = targets[i].member;
        *id = value;
        return 0;
    }
    dd_fail(r, 400, "InvalidParameterCombination",
            "The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, "
            "vpcPeeringConnectionId, egressOnlyInternetGatewayId, transitGatewayId, localGatewayId, "
            "carrierGatewayId or instanceId");
    return -1;
}

/* The work of CreateRoute and ReplaceRoute, which differ in whether the route must exist. */
static json_t *put_route(struct dd_request *r, json_t *in, bool replace)
{
    struct ec2_res rtb;
    char dest[40];
    const char *member, *target;
    if (route_destination(r, in, dest) || ec2_res_get_or_err(r, &ec2_kind_rtb, dd_in_str(in, "RouteTableId"), &rtb))
        return NULL;
    json_t *out = NULL, *routes = json_object_get(rtb.doc, "Routes");
    int at = find_route(rtb.doc, dest);
    const char *current = at >= 0 ? dd_in_str(json_array_get(routes, (size_t)at), "GatewayId") : NULL;
    if (!replace && at >= 0)
        dd_fail(r, 400, "RouteAlreadyExists", "The route identified by %s already exists.", dest);
    else if (replace && at < 0)
        dd_fail(r, 400, "InvalidParameterValue",
                "There is no route defined for '%s' in the route table. Use CreateRoute instead.", dest);
    else if (replace && current && strcmp(current, "local") == 0)
        dd_fail(r, 400, "InvalidParameterValue", "cannot replace local route %s in route table %s", dest, rtb.id);
    else if (route_target(r, in, &rtb, &member, &target) == 0) {
        if (at >= 0) /* a replaced route keeps its place */
            json_array_set_new(routes, (size_t)at, route_new(dest, member, target));
        else
            ec2_route_add(rtb.doc, dest, member, target);
        ec2_res_save(r, &rtb);
        out = replace ? json_object() : json_pack("{s:b}", "Return", 1);
    }
    ec2_res_free(&rtb);
    return out;
}

json_t *ec2_op_CreateRoute(struct dd_request *r, json_t *in)
{
    return put_route(r, in, false);
}

json_t *ec2_op_ReplaceRoute(struct dd_request *r, json_t *in)
{
    return put_route(r, in, true);
}

json_t *ec2_op_DeleteRoute(struct dd_request *r, json_t *in)
{
    struct ec2_res rtb;
    char dest[40];
    if (route_destination(r, in, dest) || ec2_res_get_or_err(r, &ec2_kind_rtb, dd_in_str(in, "RouteTableId"), &rtb))
        return NULL;
    json_t *out = NULL, *routes = json_object_get(rtb.doc, "Routes");
    int at = find_route(rtb.doc, dest);
    const char *gateway = at >= 0 ? dd_in_str(json_array_get(routes, (size_t)at), "GatewayId") : NULL;
    if (at < 0)
        dd_fail(r, 400, "InvalidRoute.NotFound", "no route with destination-cidr-block %s in route table %s", dest,
                rtb.id);
    else if (gateway && strcmp(gateway, "local") == 0)
        dd_fail(r, 400, "InvalidParameterValue", "cannot remove local route %s in route table %s", dest, rtb.id);
    else {
        json_array_remove(routes, (size_t)at);
        ec2_res_save(r, &rtb);
        out = json_object();
    }
    ec2_res_free(&rtb);
    return out;
}
