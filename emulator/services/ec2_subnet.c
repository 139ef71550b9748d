/*
 * ec2_subnet.c - subnets: a CIDR inside the VPC's, overlapping no other
 * subnet, in one zone; AWS keeps five addresses of each, and every network
 * interface takes one more.
 */
#include <stdio.h>
#include <string.h>

#include "ec2_internal.h"

static const struct ec2_filter_def subnet_filters[] = {
    {"availability-zone", "AvailabilityZone"},
    {"availabilityZone", "AvailabilityZone"},
    {"availability-zone-id", "AvailabilityZoneId"},
    {"availabilityZoneId", "AvailabilityZoneId"},
    {"available-ip-address-count", "AvailableIpAddressCount"},
    {"cidr", "CidrBlock"},
    {"cidr-block", "CidrBlock"},
    {"cidrBlock", "CidrBlock"},
    {"default-for-az", "DefaultForAz"},
    {"defaultForAz", "DefaultForAz"},
    {"ipv6-native", "Ipv6Native"},
    {"map-public-ip-on-launch", "MapPublicIpOnLaunch"},
    {"owner-id", "OwnerId"},
    {"state", "State"},
    {"subnet-arn", "SubnetArn"},
    {"subnet-id", "SubnetId"},
    {"vpc-id", "VpcId"},
    {NULL, NULL},
};

const struct ec2_kind ec2_kind_subnet = {
    .type = "subnet",
    .prefix = "subnet-",
    .noun = "subnet",
    .not_found = "InvalidSubnetID.NotFound",
    .not_found_fmt = "The subnet ID '%s' does not exist",
    .malformed = "InvalidSubnetID.Malformed",
    .list_member = "Subnets",
    .filter_member = "Filters",
    .tags_member = "Tags",
    .tag_type = "subnet",
    .filters = subnet_filters,
    .vpc_filter = "vpc-id",
    .name_filter = "availability-zone",
};

int ec2_subnet_create(struct dd_request *r, struct ec2_res *vpc, const char *cidr, const char *zone,
                      const char *zone_id, bool is_default, json_t *in, struct ec2_res *out)
{
    uint32_t net;
    int len;
    ec2_cidr_parse(cidr, &net, &len);
    ec2_res_init(out, &ec2_kind_subnet);
    char *arn = dd_arn(r, "ec2", "subnet/%s", out->id), assoc[64];
    ec2_new_id("aclassoc-", assoc);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:b, s:s, s:s, s:b, s:b, s:b, s:b, s:[],"
                            " s:{s:s, s:b, s:b}, s:[], s:s}",
                            "SubnetId", out->id, "SubnetArn", arn, "VpcId", vpc->id, "CidrBlock", cidr,
                            "AvailabilityZone", zone, "AvailabilityZoneId", zone_id, "AvailableIpAddressCount",
                            (json_int_t)((1LL << (32 - len)) - 5), "DefaultForAz", is_default, "MapPublicIpOnLaunch",
                            is_default, "State", "available", "OwnerId", r->account, "AssignIpv6AddressOnCreation", 0,
                            "MapCustomerOwnedIpOnLaunch", 0, "EnableDns64", 0, "Ipv6Native", 0,
                            "Ipv6CidrBlockAssociationSet", "PrivateDnsNameOptionsOnLaunch", "HostnameType", "ip-name",
                            "EnableResourceNameDnsARecord", 0, "EnableResourceNameDnsAAAARecord", 0, "Tags",
                            "_acl_assoc", assoc);
    free(arn);
    json_object_update(out->doc, doc);
    json_decref(doc);
    if (ec2_tag_specs(r, in, out))
        return -1;
    ec2_set(&out->vpc_id, vpc->id);
    ec2_set(&out->name, zone);
    ec2_res_save(r, out);
    ec2_tags_sync(r, out);
    return 0;
}

/* The zone the call names (by name or id), or the next one round the region. */
static json_t *pick_zone(struct dd_request *r, json_t *in, const char *vpc_id)
{
    json_t *zones = ec2_zones(r);
    const char *name = dd_in_str(in, "AvailabilityZone"), *id = dd_in_str(in, "AvailabilityZoneId");
    if (!name && !id) {
        size_t n = json_array_size(zones);
        return n ? json_array_get(zones, (size_t)ec2_count(r, &ec2_kind_subnet, "vpc_id", vpc_id) % n) : NULL;
    }
    size_t i;
    json_t *z;
    json_array_foreach(zones, i, z)
    {
        if ((name && strcmp(name, dd_in_str(z, "ZoneName")) == 0) || (!name && strcmp(id, dd_in_str(z, "ZoneId")) == 0))
            return z;
    }
    char list[1024] = "";
    json_array_foreach(zones, i, z)
    {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", dd_in_str(z, name ? "ZoneName" : "ZoneId"));
    }
    dd_fail(r, 400, "InvalidParameterValue",
            "Value (%s) for parameter %s is invalid. Subnets can currently only be created in the following "
            "availability zones: %s.",
            name ? name : id, name ? "availabilityZone" : "availabilityZoneId", list);
    return NULL;
}

/* Whether the new range is inside one of the VPC's CIDR blocks. */
static bool inside_vpc(json_t *vpc_doc, uint32_t net, int len)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(vpc_doc, "CidrBlockAssociationSet"), i, a)
    {
        uint32_t vnet;
        int vlen;
        if (ec2_cidr_parse(dd_in_str(a, "CidrBlock"), &vnet, &vlen) == 0 && ec2_cidr_contains(vnet, vlen, net, len))
            return true;
    }
    return false;
}

struct overlap_ctx {
    uint32_t net;
    int len;
};

static int overlaps(struct dd_request *r, struct ec2_res *subnet, void *ctx)
{
    struct overlap_ctx *c = ctx;
    uint32_t net;
    int len;
    return ec2_cidr_parse(dd_in_str(subnet->doc, "CidrBlock"), &net, &len) == 0 &&
           ec2_cidr_overlap(c->net, c->len, net, len);
}

json_t *ec2_op_CreateSubnet(struct dd_request *r, json_t *in)
{
    struct ec2_res vpc, subnet = {0};
    const char *cidr = dd_in_str(in, "CidrBlock");
    json_t *out = NULL, *zone;
    char ip[16], normal[40];
    struct overlap_ctx c;
    if (ec2_res_get_or_err(r, &ec2_kind_vpc, dd_in_str(in, "VpcId"), &vpc))
        return NULL;
    if (!cidr) {
        dd_fail(r, 400, "MissingParameter", "The request must contain the parameter cidrBlock");
        goto cleanup;
    }
    if (ec2_cidr_parse(cidr, &c.net, &c.len) == 0)
        ec2_ip_format(c.net, ip), snprintf(normal, sizeof normal, "%s/%d", ip, c.len);
    if (ec2_cidr_parse(cidr, &c.net, &c.len) || strcmp(normal, cidr) != 0) {
        dd_fail(r, 400, "InvalidParameterValue",
                "Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", cidr);
        goto cleanup;
    }
    if (c.len < 16 || c.len > 28 || !inside_vpc(vpc.doc, c.net, c.len)) {
        dd_fail(r, 400, "InvalidSubnet.Range", "The CIDR '%s' is invalid.", cidr);
        goto cleanup;
    }
    if (ec2_each(r, &ec2_kind_subnet, "vpc_id", vpc.id, overlaps, &c)) {
        dd_fail(r, 400, "InvalidSubnet.Conflict", "The CIDR '%s' conflicts with another subnet", cidr);
        goto cleanup;
    }
    if (!(zone = pick_zone(r, in, vpc.id))) {
        if (!r->err.code[0])
            dd_fail(r, 400, "InvalidParameterValue", "No availability zones are known for region %s", r->region);
        goto cleanup;
    }
    if (ec2_subnet_create(r, &vpc, cidr, dd_in_str(zone, "ZoneName"), dd_in_str(zone, "ZoneId"), false, in, &subnet) ==
        0)
        out = json_pack("{s:o}", "Subnet", ec2_res_public(r, &subnet));
cleanup:
    ec2_res_free(&vpc);
    ec2_res_free(&subnet);
    return out;
}

static int drop_association(struct dd_request *r, struct ec2_res *assoc, void *ctx)
{
    ec2_res_delete(r, assoc->id);
    return 0;
}

json_t *ec2_op_DeleteSubnet(struct dd_request *r, json_t *in)
{
    struct ec2_res subnet;
    const char *id = dd_in_str(in, "SubnetId");
    if (ec2_res_get_or_err(r, &ec2_kind_subnet, id, &subnet))
        return NULL;
    ec2_res_free(&subnet);
    if (ec2_count(r, &ec2_kind_eni, "parent", id) > 0 || ec2_count(r, &ec2_kind_nat, "parent", id) > 0)
        return dd_fail(r, 400, "DependencyViolation", "The subnet '%s' has dependencies and cannot be deleted.", id);
    /* its route table association goes with it */
    ec2_each(r, &ec2_kind_rtbassoc, "name", id, drop_association, NULL);
    ec2_res_delete(r, id);
    return json_object();
}

json_t *ec2_op_DescribeSubnets(struct dd_request *r, json_t *in)
{
    return ec2_describe(r, in, &ec2_kind_subnet, json_object_get(in, "SubnetIds"));
}

json_t *ec2_op_ModifySubnetAttribute(struct dd_request *r, json_t *in)
{
    static const char *const flags[] = {"MapPublicIpOnLaunch", "AssignIpv6AddressOnCreation",
                                        "MapCustomerOwnedIpOnLaunch", "EnableDns64"};
    static const struct {
        const char *member, *key;
    } dns[] = {
        {"EnableResourceNameDnsARecordOnLaunch", "EnableResourceNameDnsARecord"},
        {"EnableResourceNameDnsAAAARecordOnLaunch", "EnableResourceNameDnsAAAARecord"},
    };
    struct ec2_res subnet;
    if (ec2_res_get_or_err(r, &ec2_kind_subnet, dd_in_str(in, "SubnetId"), &subnet))
        return NULL;
    json_t *opts = json_object_get(subnet.doc, "PrivateDnsNameOptionsOnLaunch");
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++) {
        json_t *v = json_object_get(json_object_get(in, flags[i]), "Value");
        if (json_is_boolean(v))
            json_object_set(subnet.doc, flags[i], v);
    }
    for (size_t i = 0; i < sizeof dns / sizeof *dns; i++) {
        json_t *v = json_object_get(json_object_get(in, dns[i].member), "Value");
        if (json_is_boolean(v))
            json_object_set(opts, dns[i].key, v);
    }
    const char *hostname = dd_in_str(in, "PrivateDnsHostnameTypeOnLaunch");
    if (hostname)
        json_object_set_new(opts, "HostnameType", json_string(hostname));
    ec2_res_save(r, &subnet);
    ec2_res_free(&subnet);
    return json_object();
}

void ec2_subnet_adjust_free(struct dd_request *r, const char *subnet_id, int delta)
{
    struct ec2_res subnet;
    if (ec2_res_load(r, &ec2_kind_subnet, subnet_id, &subnet))
        return;
    json_int_t n = json_integer_value(json_object_get(subnet.doc, "AvailableIpAddressCount"));
    json_object_set_new(subnet.doc, "AvailableIpAddressCount", json_integer(n + delta));
    ec2_res_save(r, &subnet);
    ec2_res_free(&subnet);
}
