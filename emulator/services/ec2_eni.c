/*
 * ec2_eni.c - network interfaces: one private address from the subnet
 * (after AWS's four reserved at the start and the broadcast address), the
 * VPC's default security group unless told otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "ec2_internal.h"

static const struct ec2_filter_def eni_filters[] = {
    {"addresses.private-ip-address", "PrivateIpAddresses.PrivateIpAddress"},
    {"addresses.primary", "PrivateIpAddresses.Primary"},
    {"association.allocation-id", "Association.AllocationId"},
    {"association.association-id", "Association.AssociationId"},
    {"association.public-ip", "Association.PublicIp"},
    {"availability-zone", "AvailabilityZone"},
    {"description", "Description"},
    {"group-id", "Groups.GroupId"},
    {"group-name", "Groups.GroupName"},
    {"interface-type", "InterfaceType"},
    {"mac-address", "MacAddress"},
    {"network-interface-id", "NetworkInterfaceId"},
    {"owner-id", "OwnerId"},
    {"private-dns-name", "PrivateDnsName"},
    {"private-ip-address", "PrivateIpAddress"},
    {"requester-managed", "RequesterManaged"},
    {"source-dest-check", "SourceDestCheck"},
    {"status", "Status"},
    {"subnet-id", "SubnetId"},
    {"vpc-id", "VpcId"},
    {NULL, NULL},
};

const struct ec2_kind ec2_kind_eni = {
    .type = "eni",
    .prefix = "eni-",
    .noun = "networkInterface",
    .not_found = "InvalidNetworkInterfaceID.NotFound",
    .not_found_fmt = "The networkInterface ID '%s' does not exist",
    .malformed = "InvalidNetworkInterfaceID.Malformed",
    .list_member = "NetworkInterfaces",
    .filter_member = "Filters",
    .tags_member = "TagSet",
    .tag_type = "network-interface",
    .filters = eni_filters,
    .vpc_filter = "vpc-id",
    .parent_filter = "subnet-id",
};

static int in_subnet(struct dd_request *r, struct ec2_res *eni, void *ctx)
{
    return eni->parent && strcmp(eni->parent, ctx) == 0;
}

static bool address_taken(struct dd_request *r, const char *subnet_id, const char *ip)
{
    return ec2_each(r, &ec2_kind_eni, "name", ip, in_subnet, (void *)subnet_id) != 0;
}

/* The requested address, checked, or the next free one (from where the last
 * allocation stopped, so a busy subnet does not rescan from the start). */
static int allocate_address(struct dd_request *r, struct ec2_res *subnet, const char *want, char out[16])
{
    uint32_t net, ip;
    int len;
    ec2_cidr_parse(dd_in_str(subnet->doc, "CidrBlock"), &net, &len);
    uint32_t size = 1u << (32 - len), first = 4, last = size - 2;
    if (want) {
        if (ec2_ip_parse(want, &ip) || !ec2_cidr_contains(net, len, ip, 32) || ip - net < first || ip - net > last) {
            dd_fail(r, 400, "InvalidParameterValue", "Address %s does not fall within the subnet's address range",
                    want);
            return -1;
        }
        if (address_taken(r, subnet->id, want)) {
            dd_fail(r, 400, "InvalidIPAddress.InUse", "The specified address is already in use.");
            return -1;
        }
        snprintf(out, 16, "%s", want);
        return 0;
    }
    uint32_t start = (uint32_t)json_integer_value(json_object_get(subnet->doc, "_next"));
    if (start < first || start > last)
        start = first;
    for (uint32_t k = 0; k <= last - first; k++) {
        uint32_t off = first + (start - first + k) % (last - first + 1);
        ec2_ip_format(net + off, out);
        if (!address_taken(r, subnet->id, out)) {
            json_object_set_new(subnet->doc, "_next", json_integer(off + 1));
            return 0;
        }
    }
    dd_fail(r, 400, "InsufficientFreeAddressesInSubnet",
            "There are not enough free addresses in subnet '%s' to satisfy the requested number of instances.",
            subnet->id);
    return -1;
}

/* [{GroupId, GroupName}] for the ids given, or the VPC's default group. */
static json_t *groups_or_err(struct dd_request *r, struct ec2_res *subnet, json_t *group_ids)
{
    json_t *groups = json_array(), *ids = json_incref(group_ids);
    if (!ids) {
        struct ec2_res vpc;
        ids = json_array();
        if (ec2_res_load(r, &ec2_kind_vpc, subnet->vpc_id, &vpc) == 0) {
            json_array_append(ids, json_object_get(vpc.doc, "_default_sg"));
            ec2_res_free(&vpc);
        }
    }
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id)
    {
        struct ec2_res sg;
        if (ec2_res_get_or_err(r, &ec2_kind_sg, json_string_value(id), &sg)) {
            json_decref(groups);
            groups = NULL;
            break;
        }
        bool same = sg.vpc_id && strcmp(sg.vpc_id, subnet->vpc_id) == 0;
        if (same)
            json_array_append_new(groups, json_pack("{s:s, s:s}", "GroupId", sg.id, "GroupName",
                                                    dd_in_str(sg.doc, "GroupName")));
        else
            dd_fail(r, 400, "InvalidParameter", "Security group %s and subnet %s belong to different networks.",
                    sg.id, subnet->id);
        ec2_res_free(&sg);
        if (!same) {
            json_decref(groups);
            groups = NULL;
            break;
        }
    }
    json_decref(ids);
    return groups;
}

int ec2_eni_create(struct dd_request *r, struct ec2_res *subnet, json_t *group_ids, const char *private_ip,
                   const char *description, const char *interface_type, bool requester_managed, json_t *in,
                   struct ec2_res *out)
{
    char ip[16], dns[128], mac[32];
    unsigned char b[5];
    json_t *groups = groups_or_err(r, subnet, group_ids);
    if (!groups)
        return -1;
    if (allocate_address(r, subnet, private_ip, ip)) {
        json_decref(groups);
        return -1;
    }
    ec2_private_dns(r, ip, dns);
    RAND_bytes(b, sizeof b);
    snprintf(mac, sizeof mac, "0e:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4]);
    ec2_res_init(out, &ec2_kind_eni);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:[], s:s, s:s, s:s, s:s,"
                            " s:[{s:b, s:s, s:s}], s:b, s:b, s:s, s:[], s:[], s:[]}",
                            "NetworkInterfaceId", out->id, "SubnetId", subnet->id, "VpcId", subnet->vpc_id,
                            "AvailabilityZone", dd_in_str(subnet->doc, "AvailabilityZone"), "Description",
                            description ? description : "", "Groups", groups, "InterfaceType",
                            interface_type ? interface_type : "interface", "Ipv6Addresses", "MacAddress", mac,
                            "OwnerId", r->account, "PrivateDnsName", dns, "PrivateIpAddress", ip, "PrivateIpAddresses",
                            "Primary", 1, "PrivateIpAddress", ip, "PrivateDnsName", dns, "RequesterManaged",
                            requester_managed, "SourceDestCheck", 1, "Status", requester_managed ? "in-use" : "available",
                            "Ipv4Prefixes", "Ipv6Prefixes", "TagSet");
    json_object_update(out->doc, doc);
    json_decref(doc);
    if (ec2_tag_specs(r, in, out))
        return -1;
    ec2_set(&out->vpc_id, subnet->vpc_id);
    ec2_set(&out->parent, subnet->id);
    ec2_set(&out->name, ip);
    ec2_res_save(r, out);
    ec2_tags_sync(r, out);
    /* the subnet's allocation hint moved and it has one address fewer */
    json_int_t n = json_integer_value(json_object_get(subnet->doc, "AvailableIpAddressCount"));
    json_object_set_new(subnet->doc, "AvailableIpAddressCount", json_integer(n - 1));
    ec2_res_save(r, subnet);
    return 0;
}

json_t *ec2_op_CreateNetworkInterface(struct dd_request *r, json_t *in)
{
    struct ec2_res subnet, eni = {0};
    if (ec2_res_get_or_err(r, &ec2_kind_subnet, dd_in_str(in, "SubnetId"), &subnet))
        return NULL;
    json_t *out = NULL;
    if (ec2_eni_create(r, &subnet, json_object_get(in, "Groups"), dd_in_str(in, "PrivateIpAddress"),
                       dd_in_str(in, "Description"), dd_in_str(in, "InterfaceType"), false, in, &eni) == 0) {
        out = json_pack("{s:o}", "NetworkInterface", ec2_res_public(r, &eni));
        if (dd_in_str(in, "ClientToken"))
            json_object_set_new(out, "ClientToken", json_string(dd_in_str(in, "ClientToken")));
    }
    ec2_res_free(&subnet);
    ec2_res_free(&eni);
    return out;
}

json_t *ec2_op_DeleteNetworkInterface(struct dd_request *r, json_t *in)
{
    struct ec2_res eni, eip;
    if (ec2_res_get_or_err(r, &ec2_kind_eni, dd_in_str(in, "NetworkInterfaceId"), &eni))
        return NULL;
    json_t *out = NULL;
    if (strcmp(dd_in_str(eni.doc, "Status"), "in-use") == 0) {
        dd_fail(r, 400, "InvalidParameterValue", "Network interface '%s' is currently in use.", eni.id);
    } else {
        const char *alloc = dd_in_str(json_object_get(eni.doc, "Association"), "AllocationId");
        if (alloc && ec2_res_load(r, &ec2_kind_eip, alloc, &eip) == 0) {
            ec2_eip_disassociate(r, &eip);
            ec2_res_free(&eip);
        }
        ec2_subnet_adjust_free(r, eni.parent, +1);
        ec2_res_delete(r, eni.id);
        out = json_object();
    }
    ec2_res_free(&eni);
    return out;
}

json_t *ec2_op_DescribeNetworkInterfaces(struct dd_request *r, json_t *in)
{
    return ec2_describe(r, in, &ec2_kind_eni, json_object_get(in, "NetworkInterfaceIds"));
}
