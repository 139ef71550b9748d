/*
 * ec2_gateway.c - the ways out of a VPC: internet gateways, elastic IPs and
 * NAT gateways.
 *
 * A NAT gateway takes time, as in AWS: it is `pending` until the simulation
 * engine makes it `available` (or `failed` when its VPC has no internet
 * gateway), and `deleting` until the engine makes it `deleted`, which
 * releases its network interface and elastic IP. A deleted gateway stays
 * visible for an hour of the emulator's clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "ec2_internal.h"
#include "sim.h"

/* ---- internet gateways ------------------------------------------------------- */

static const struct ec2_filter_def igw_filters[] = {
    {"attachment.state", "Attachments.State"},
    {"attachment.vpc-id", "Attachments.VpcId"},
    {"internet-gateway-id", "InternetGatewayId"},
    {"owner-id", "OwnerId"},
    {NULL, NULL},
};

const struct ec2_kind ec2_kind_igw = {
    .type = "igw",
    .prefix = "igw-",
    .noun = "internetGateway",
    .not_found = "InvalidInternetGatewayID.NotFound",
    .not_found_fmt = "The internetGateway ID '%s' does not exist",
    .malformed = "InvalidInternetGatewayId.Malformed",
    .list_member = "InternetGateways",
    .filter_member = "Filters",
    .tags_member = "Tags",
    .tag_type = "internet-gateway",
    .filters = igw_filters,
    .vpc_filter = "attachment.vpc-id",
};

int ec2_igw_create(struct dd_request *r, json_t *in, struct ec2_res *out)
{
    ec2_res_init(out, &ec2_kind_igw);
    json_object_set_new(out->doc, "InternetGatewayId", json_string(out->id));
    json_object_set_new(out->doc, "OwnerId", json_string(r->account));
    json_object_set_new(out->doc, "Attachments", json_array());
    json_object_set_new(out->doc, "Tags", json_array());
    if (ec2_tag_specs(r, in, out))
        return -1;
    ec2_res_save(r, out);
    ec2_tags_sync(r, out);
    return 0;
}

void ec2_igw_attach(struct dd_request *r, struct ec2_res *igw, const char *vpc_id)
{
    json_t *attachments = json_array();
    if (vpc_id)
        json_array_append_new(attachments, json_pack("{s:s, s:s}", "State", "available", "VpcId", vpc_id));
    json_object_set_new(igw->doc, "Attachments", attachments);
    ec2_set(&igw->vpc_id, vpc_id);
    ec2_res_save(r, igw);
}

json_t *ec2_op_CreateInternetGateway(struct dd_request *r, json_t *in)
{
    struct ec2_res igw = {0};
    json_t *out = NULL;
    if (ec2_igw_create(r, in, &igw) == 0)
        out = json_pack("{s:o}", "InternetGateway", ec2_res_public(r, &igw));
    ec2_res_free(&igw);
    return out;
}

/* Loads the gateway and the VPC an attach/detach call names. */
static int igw_and_vpc(struct dd_request *r, json_t *in, struct ec2_res *igw)
{
    struct ec2_res vpc;
    if (ec2_res_get_or_err(r, &ec2_kind_igw, dd_in_str(in, "InternetGatewayId"), igw))
        return -1;
    if (ec2_res_get_or_err(r, &ec2_kind_vpc, dd_in_str(in, "VpcId"), &vpc)) {
        ec2_res_free(igw);
        return -1;
    }
    ec2_res_free(&vpc);
    return 0;
}

json_t *ec2_op_AttachInternetGateway(struct dd_request *r, json_t *in)
{
    struct ec2_res igw;
    const char *vpc_id = dd_in_str(in, "VpcId");
    if (igw_and_vpc(r, in, &igw))
        return NULL;
    json_t *out = NULL;
    if (igw.vpc_id)
        dd_fail(r, 400, "Resource.AlreadyAssociated", "resource %s is already attached to network %s", igw.id,
                igw.vpc_id);
    else if (ec2_count(r, &ec2_kind_igw, "vpc_id", vpc_id) > 0)
        dd_fail(r, 400, "InvalidParameterValue", "Network %s already has an internet gateway attached", vpc_id);
    else
        ec2_igw_attach(r, &igw, vpc_id), out = json_object();
    ec2_res_free(&igw);
    return out;
}

json_t *ec2_op_DetachInternetGateway(struct dd_request *r, json_t *in)
{
    struct ec2_res igw;
    const char *vpc_id = dd_in_str(in, "VpcId");
    if (igw_and_vpc(r, in, &igw))
        return NULL;
    json_t *out = NULL;
    if (!igw.vpc_id || strcmp(igw.vpc_id, vpc_id) != 0)
        dd_fail(r, 400, "Gateway.NotAttached", "resource %s is not attached to network %s", igw.id, vpc_id);
    else if (ec2_count(r, &ec2_kind_eip, "vpc_id", vpc_id) > 0)
        dd_fail(r, 400, "DependencyViolation",
                "Network %s has some mapped public address(es). Please unmap those public address(es) before "
                "detaching the gateway.",
                vpc_id);
    else
        ec2_igw_attach(r, &igw, NULL), out = json_object();
    ec2_res_free(&igw);
    return out;
}

json_t *ec2_op_DeleteInternetGateway(struct dd_request *r, json_t *in)
{
    struct ec2_res igw;
    if (ec2_res_get_or_err(r, &ec2_kind_igw, dd_in_str(in, "InternetGatewayId"), &igw))
        return NULL;
    bool attached = igw.vpc_id != NULL;
    if (!attached)
        ec2_res_delete(r, igw.id);
    json_t *out = attached ? dd_fail(r, 400, "DependencyViolation",
                                     "The internetGateway '%s' has dependencies and cannot be deleted.", igw.id)
                           : json_object();
    ec2_res_free(&igw);
    return out;
}

json_t *ec2_op_DescribeInternetGateways(struct dd_request *r, json_t *in)
{
    return ec2_describe(r, in, &ec2_kind_igw, json_object_get(in, "InternetGatewayIds"));
}

/* ---- elastic IPs --------------------------------------------------------------- */

static const struct ec2_filter_def eip_filters[] = {
    {"allocation-id", "AllocationId"},
    {"association-id", "AssociationId"},
    {"domain", "Domain"},
    {"instance-id", "InstanceId"},
    {"network-border-group", "NetworkBorderGroup"},
    {"network-interface-id", "NetworkInterfaceId"},
    {"network-interface-owner-id", "NetworkInterfaceOwnerId"},
    {"private-ip-address", "PrivateIpAddress"},
    {"public-ip", "PublicIp"},
    {NULL, NULL},
};

const struct ec2_kind ec2_kind_eip = {
    .type = "eip",
    .prefix = "eipalloc-",
    .noun = "allocation",
    .not_found = "InvalidAllocationID.NotFound",
    .not_found_fmt = "The allocation ID '%s' does not exist",
    .malformed = "InvalidAllocationID.Malformed",
    .list_member = "Addresses",
    .filter_member = "Filters",
    .tags_member = "Tags",
    .tag_type = "elastic-ip",
    .filters = eip_filters,
    .name_filter = "public-ip",
};

/* A public address no elastic IP of this account and region holds yet. */
static void new_public_ip(struct dd_request *r, char out[16])
{
    do {
        uint32_t x;
        RAND_bytes((unsigned char *)&x, sizeof x);
        /* 3.208.0.0/12 and the like: Amazon's public ranges look like this */
        ec2_ip_format(0x03d00000u | (x & 0x000fffffu), out);
    } while (ec2_count(r, &ec2_kind_eip, "name", out) > 0);
}

json_t *ec2_op_AllocateAddress(struct dd_request *r, json_t *in)
{
    struct ec2_res eip;
    char ip[16];
    new_public_ip(r, ip);
    ec2_res_init(&eip, &ec2_kind_eip);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[]}", "AllocationId", eip.id, "PublicIp", ip, "Domain",
                            "vpc", "PublicIpv4Pool", "amazon", "NetworkBorderGroup", r->region, "Tags");
    json_object_update(eip.doc, doc);
    json_decref(doc);
    json_t *out = NULL;
    if (ec2_tag_specs(r, in, &eip) == 0) {
        ec2_set(&eip.name, ip);
        ec2_res_save(r, &eip);
        ec2_tags_sync(r, &eip);
        out = json_pack("{s:s, s:s, s:s, s:s, s:s}", "PublicIp", ip, "AllocationId", eip.id, "PublicIpv4Pool",
                        "amazon", "NetworkBorderGroup", r->region, "Domain", "vpc");
    }
    ec2_res_free(&eip);
    return out;
}

static int first_row(struct dd_request *r, struct ec2_res *res, void *ctx)
{
    struct ec2_res *out = ctx;
    *out = *res;
    res->vpc_id = res->parent = res->name = res->ref = NULL;
    res->doc = json_incref(res->doc);
    return 1;
}

/* The elastic IP a call names by AllocationId or PublicIp. */
static int eip_from_call(struct dd_request *r, json_t *in, struct ec2_res *eip)
{
    const char *alloc = dd_in_str(in, "AllocationId"), *ip = dd_in_str(in, "PublicIp");
    memset(eip, 0, sizeof *eip);
    if (alloc)
        return ec2_res_get_or_err(r, &ec2_kind_eip, alloc, eip);
    if (ip && ec2_each(r, &ec2_kind_eip, "name", ip, first_row, eip))
        return 0;
    if (ip)
        dd_fail(r, 400, "InvalidAddress.NotFound", "Address '%s' not found.", ip);
    else
        dd_fail(r, 400, "MissingParameter", "The request must contain the parameter AllocationId");
    return -1;
}

json_t *ec2_op_ReleaseAddress(struct dd_request *r, json_t *in)
{
    struct ec2_res eip;
    if (eip_from_call(r, in, &eip))
        return NULL;
    json_t *out = NULL;
    if (eip.ref)
        dd_fail(r, 400, "InvalidIPAddress.InUse", "Address %s is in use.", dd_in_str(eip.doc, "PublicIp"));
    else
        ec2_res_delete(r, eip.id), out = json_object();
    ec2_res_free(&eip);
    return out;
}

void ec2_eip_associate(struct dd_request *r, struct ec2_res *eip, struct ec2_res *eni)
{
    char assoc[64], dns[128], dashed[16];
    const char *ip = dd_in_str(eip->doc, "PublicIp"), *private_ip = dd_in_str(eni->doc, "PrivateIpAddress");
    ec2_new_id("eipassoc-", assoc);
    snprintf(dashed, sizeof dashed, "%s", ip);
    for (char *c = dashed; *c; c++)
        *c = *c == '.' ? '-' : *c;
    snprintf(dns, sizeof dns, "ec2-%s.%s.amazonaws.com", dashed,
             strcmp(r->region, "us-east-1") == 0 ? "compute-1" : r->region);
    json_object_set_new(eip->doc, "AssociationId", json_string(assoc));
    json_object_set_new(eip->doc, "NetworkInterfaceId", json_string(eni->id));
    json_object_set_new(eip->doc, "NetworkInterfaceOwnerId", json_string(r->account));
    json_object_set_new(eip->doc, "PrivateIpAddress", json_string(private_ip));
    ec2_set(&eip->ref, assoc);
    ec2_set(&eip->parent, eni->id);
    ec2_set(&eip->vpc_id, eni->vpc_id);
    ec2_res_save(r, eip);
    json_t *association = json_pack("{s:s, s:s, s:s, s:s, s:s}", "IpOwnerId", "amazon", "PublicDnsName", dns,
                                    "PublicIp", ip, "AllocationId", eip->id, "AssociationId", assoc);
    json_object_set(eni->doc, "Association", association);
    json_object_set(json_array_get(json_object_get(eni->doc, "PrivateIpAddresses"), 0), "Association", association);
    json_decref(association);
    ec2_res_save(r, eni);
}

void ec2_eip_disassociate(struct dd_request *r, struct ec2_res *eip)
{
    struct ec2_res eni;
    if (eip->parent && ec2_res_load(r, &ec2_kind_eni, eip->parent, &eni) == 0) {
        json_object_del(eni.doc, "Association");
        json_object_del(json_array_get(json_object_get(eni.doc, "PrivateIpAddresses"), 0), "Association");
        ec2_res_save(r, &eni);
        ec2_res_free(&eni);
    }
    static const char *const members[] = {"AssociationId", "NetworkInterfaceId", "NetworkInterfaceOwnerId",
                                          "PrivateIpAddress"};
    for (size_t i = 0; i < sizeof members / sizeof *members; i++)
        json_object_del(eip->doc, members[i]);
    ec2_set(&eip->ref, NULL);
    ec2_set(&eip->parent, NULL);
    ec2_set(&eip->vpc_id, NULL);
    ec2_res_save(r, eip);
}

json_t *ec2_op_AssociateAddress(struct dd_request *r, json_t *in)
{
    struct ec2_res eip, eni = {0};
    const char *eni_id = dd_in_str(in, "NetworkInterfaceId"), *instance = dd_in_str(in, "InstanceId");
    if (eip_from_call(r, in, &eip))
        return NULL;
    json_t *out = NULL;
    if (!eni_id && instance)
        dd_fail(r, 400, "InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", instance);
    else if (!eni_id)
        dd_fail(r, 400, "MissingParameter", "Either instance ID or network interface ID must be specified");
    else if (ec2_res_get_or_err(r, &ec2_kind_eni, eni_id, &eni))
        ;
    else if (ec2_count(r, &ec2_kind_igw, "vpc_id", eni.vpc_id) == 0)
        dd_fail(r, 400, "Gateway.NotAttached", "Network %s is not attached to any internet gateway", eni.vpc_id);
    else if (eip.ref && !dd_in_bool(in, "AllowReassociation"))
        dd_fail(r, 400, "Resource.AlreadyAssociated", "resource %s is already associated with associate-id %s",
                eip.id, eip.ref);
    else {
        if (eip.ref) {
            ec2_eip_disassociate(r, &eip);
            ec2_res_free(&eni);
            ec2_res_load(r, &ec2_kind_eni, eni_id, &eni); /* its document just changed */
        }
        ec2_eip_associate(r, &eip, &eni);
        out = json_pack("{s:s}", "AssociationId", eip.ref);
    }
    ec2_res_free(&eip);
    ec2_res_free(&eni);
    return out;
}

json_t *ec2_op_DisassociateAddress(struct dd_request *r, json_t *in)
{
    struct ec2_res eip = {0};
    const char *assoc = dd_in_str(in, "AssociationId");
    if (!assoc)
        return dd_fail(r, 400, "MissingParameter", "The request must contain the parameter AssociationId");
    if (!ec2_each(r, &ec2_kind_eip, "ref", assoc, first_row, &eip))
        return dd_fail(r, 400, "InvalidAssociationID.NotFound", "The association ID '%s' does not exist", assoc);
    ec2_eip_disassociate(r, &eip);
    ec2_res_free(&eip);
    return json_object();
}

json_t *ec2_op_DescribeAddresses(struct dd_request *r, json_t *in)
{
    /* Public IPs name addresses too: resolve them to allocation ids. */
    json_t *ids = json_deep_copy(json_object_get(in, "AllocationIds")), *ips = json_object_get(in, "PublicIps");
    if (!ids)
        ids = json_array();
    size_t i;
    json_t *ip;
    json_array_foreach(ips, i, ip)
    {
        struct ec2_res eip = {0};
        if (!ec2_each(r, &ec2_kind_eip, "name", json_string_value(ip), first_row, &eip)) {
            json_decref(ids);
            return dd_fail(r, 400, "InvalidAddress.NotFound", "Address '%s' not found.", json_string_value(ip));
        }
        json_array_append_new(ids, json_string(eip.id));
        ec2_res_free(&eip);
    }
    json_t *out = ec2_describe(r, in, &ec2_kind_eip, ids);
    json_decref(ids);
    return out;
}

/* ---- NAT gateways ------------------------------------------------------------------ */

static const struct ec2_filter_def nat_filters[] = {
    {"nat-gateway-id", "NatGatewayId"},
    {"state", "State"},
    {"subnet-id", "SubnetId"},
    {"vpc-id", "VpcId"},
    {NULL, NULL},
};

/* No index filters: deleted gateways keep their subnet and VPC in the
 * document only, so a scan (of a handful of rows) sees them too. */
const struct ec2_kind ec2_kind_nat = {
    .type = "nat",
    .prefix = "nat-",
    .noun = "natGateway",
    .not_found = "NatGatewayNotFound",
    .not_found_fmt = "NAT gateway %s was not found",
    .list_member = "NatGateways",
    .filter_member = "Filter",
    .tags_member = "Tags",
    .tag_type = "natgateway",
    .filters = nat_filters,
};

json_t *ec2_op_CreateNatGateway(struct dd_request *r, json_t *in)
{
    struct ec2_res subnet, eip = {0}, eni = {0}, nat = {0};
    const char *type = dd_in_str(in, "ConnectivityType"), *alloc = dd_in_str(in, "AllocationId");
    bool public = !type || strcmp(type, "public") == 0;
    json_t *out = NULL;
    if (ec2_res_get_or_err(r, &ec2_kind_subnet, dd_in_str(in, "SubnetId"), &subnet))
        return NULL;
    if (public && !alloc) {
        dd_fail(r, 400, "MissingParameter", "The request must contain the parameter AllocationId");
        goto cleanup;
    }
    if (alloc && ec2_res_get_or_err(r, &ec2_kind_eip, alloc, &eip))
        goto cleanup;
    if (eip.ref) {
        dd_fail(r, 400, "Resource.AlreadyAssociated", "Elastic IP address [%s] is already associated", eip.id);
        goto cleanup;
    }
    ec2_res_init(&nat, &ec2_kind_nat);
    char description[128];
    snprintf(description, sizeof description, "Interface for NAT Gateway %s", nat.id);
    json_t *none = json_array();
    int rc = ec2_eni_create(r, &subnet, none, dd_in_str(in, "PrivateIpAddress"), description, "nat_gateway", true,
                            NULL, &eni);
    json_decref(none);
    if (rc)
        goto cleanup;
    if (alloc)
        ec2_eip_associate(r, &eip, &eni);
    json_t *address = json_pack("{s:s, s:s, s:s?, s:s?}", "NetworkInterfaceId", eni.id, "PrivateIp",
                                dd_in_str(eni.doc, "PrivateIpAddress"), "AllocationId", alloc, "PublicIp",
                                dd_in_str(eip.doc, "PublicIp"));
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:[o], s:[]}", "NatGatewayId", nat.id, "SubnetId",
                            subnet.id, "VpcId", subnet.vpc_id, "State", "pending", "ConnectivityType",
                            public ? "public" : "private", "CreateTime", (double)r->now_ms / 1000.0,
                            "NatGatewayAddresses", address, "Tags");
    json_object_update(nat.doc, doc);
    json_decref(doc);
    if (ec2_tag_specs(r, in, &nat))
        goto cleanup;
    ec2_set(&nat.vpc_id, subnet.vpc_id);
    ec2_set(&nat.parent, subnet.id);
    ec2_res_save(r, &nat);
    ec2_tags_sync(r, &nat);
    if (sim_schedule(r, sim_delay_ms(200, 90000), "ec2.nat_gateway.available", nat.id, NULL))
        goto cleanup;
    out = json_pack("{s:o}", "NatGateway", ec2_res_public(r, &nat));
    if (dd_in_str(in, "ClientToken"))
        json_object_set_new(out, "ClientToken", json_string(dd_in_str(in, "ClientToken")));
cleanup:
    ec2_res_free(&subnet);
    ec2_res_free(&eip);
    ec2_res_free(&eni);
    ec2_res_free(&nat);
    return out;
}

/* Routes through a gone NAT gateway turn into black holes. */
static int blackhole_routes(struct dd_request *r, struct ec2_res *rtb, void *ctx)
{
    const char *nat_id = ctx;
    size_t i;
    json_t *route;
    bool changed = false;
    json_array_foreach(json_object_get(rtb->doc, "Routes"), i, route)
    {
        const char *target = dd_in_str(route, "NatGatewayId");
        if (target && strcmp(target, nat_id) == 0) {
            json_object_set_new(route, "State", json_string("blackhole"));
            changed = true;
        }
    }
    if (changed)
        ec2_res_save(r, rtb);
    return 0;
}

/* Gives back what the gateway held: its interface (and address) and elastic IP. */
static void nat_release(struct dd_request *r, struct ec2_res *nat)
{
    json_t *address = json_array_get(json_object_get(nat->doc, "NatGatewayAddresses"), 0);
    const char *alloc = dd_in_str(address, "AllocationId"), *eni_id = dd_in_str(address, "NetworkInterfaceId");
    struct ec2_res eip, eni;
    if (alloc && ec2_res_load(r, &ec2_kind_eip, alloc, &eip) == 0) {
        if (eip.parent && eni_id && strcmp(eip.parent, eni_id) == 0)
            ec2_eip_disassociate(r, &eip);
        ec2_res_free(&eip);
    }
    if (eni_id && ec2_res_load(r, &ec2_kind_eni, eni_id, &eni) == 0) {
        ec2_subnet_adjust_free(r, eni.parent, +1);
        ec2_res_delete(r, eni.id);
        ec2_res_free(&eni);
    }
    if (nat->vpc_id)
        ec2_each(r, &ec2_kind_rtb, "vpc_id", nat->vpc_id, blackhole_routes, nat->id);
    ec2_set(&nat->vpc_id, NULL);
    ec2_set(&nat->parent, NULL);
}

int ec2_nat_available(struct dd_request *r, const char *id, json_t *payload)
{
    struct ec2_res nat;
    if (ec2_res_load(r, &ec2_kind_nat, id, &nat))
        return 0; /* gone meanwhile (reset) */
    if (strcmp(dd_in_str(nat.doc, "State"), "pending") == 0) {
        bool public = strcmp(dd_in_str(nat.doc, "ConnectivityType"), "public") == 0;
        if (public && ec2_count(r, &ec2_kind_igw, "vpc_id", nat.vpc_id) == 0) {
            char msg[160];
            snprintf(msg, sizeof msg, "Network %s has no Internet gateway attached", nat.vpc_id);
            json_object_set_new(nat.doc, "State", json_string("failed"));
            json_object_set_new(nat.doc, "FailureCode", json_string("Gateway.NotAttached"));
            json_object_set_new(nat.doc, "FailureMessage", json_string(msg));
            json_object_set_new(nat.doc, "DeleteTime", json_real((double)r->now_ms / 1000.0));
            nat_release(r, &nat);
        } else {
            json_object_set_new(nat.doc, "State", json_string("available"));
        }
        ec2_res_save(r, &nat);
    }
    ec2_res_free(&nat);
    return 0;
}

int ec2_nat_deleted(struct dd_request *r, const char *id, json_t *payload)
{
    struct ec2_res nat;
    if (ec2_res_load(r, &ec2_kind_nat, id, &nat))
        return 0;
    nat_release(r, &nat);
    json_object_set_new(nat.doc, "State", json_string("deleted"));
    ec2_res_save(r, &nat);
    ec2_res_free(&nat);
    return sim_schedule(r, 3600 * 1000, "ec2.nat_gateway.purge", id, NULL);
}

int ec2_nat_purge(struct dd_request *r, const char *id, json_t *payload)
{
    ec2_res_delete(r, id);
    return 0;
}

json_t *ec2_op_DeleteNatGateway(struct dd_request *r, json_t *in)
{
    struct ec2_res nat;
    if (ec2_res_get_or_err(r, &ec2_kind_nat, dd_in_str(in, "NatGatewayId"), &nat))
        return NULL;
    const char *state = dd_in_str(nat.doc, "State");
    json_t *out = json_pack("{s:s}", "NatGatewayId", nat.id);
    if (strcmp(state, "pending") == 0 || strcmp(state, "available") == 0) {
        json_object_set_new(nat.doc, "State", json_string("deleting"));
        json_object_set_new(nat.doc, "DeleteTime", json_real((double)r->now_ms / 1000.0));
        ec2_res_save(r, &nat);
        sim_cancel(r, "ec2.nat_gateway.available", nat.id);
        if (sim_schedule(r, sim_delay_ms(200, 60000), "ec2.nat_gateway.deleted", nat.id, NULL)) {
            json_decref(out);
            out = NULL;
        }
    }
    ec2_res_free(&nat);
    return out;
}

json_t *ec2_op_DescribeNatGateways(struct dd_request *r, json_t *in)
{
    return ec2_describe(r, in, &ec2_kind_nat, json_object_get(in, "NatGatewayIds"));
}
