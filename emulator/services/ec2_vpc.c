/*
 * ec2_vpc.c - VPCs and their default network ACLs.
 *
 * A new VPC comes with its main route table (the `local` route), its
 * default security group and its default network ACL, as in AWS; deleting
 * the VPC takes those with it, and is refused while anything else remains.
 */
#include <stdio.h>
#include <string.h>

#include "ec2_internal.h"

static const struct ec2_filter_def vpc_filters[] = {
    {"cidr", "CidrBlock"},
    {"cidr-block-association.cidr-block", "CidrBlockAssociationSet.CidrBlock"},
    {"cidr-block-association.association-id", "CidrBlockAssociationSet.AssociationId"},
    {"cidr-block-association.state", "CidrBlockAssociationSet.CidrBlockState.State"},
    {"dhcp-options-id", "DhcpOptionsId"},
    {"is-default", "IsDefault"},
    {"isDefault", "IsDefault"},
    {"owner-id", "OwnerId"},
    {"state", "State"},
    {"vpc-id", "VpcId"},
    {NULL, NULL},
};

const struct ec2_kind ec2_kind_vpc = {
    .type = "vpc",
    .prefix = "vpc-",
    .noun = "vpc",
    .not_found = "InvalidVpcID.NotFound",
    .not_found_fmt = "The vpc ID '%s' does not exist",
    .malformed = "InvalidVpcID.Malformed",
    .list_member = "Vpcs",
    .filter_member = "Filters",
    .tags_member = "Tags",
    .tag_type = "vpc",
    .filters = vpc_filters,
};

static int acl_render(struct dd_request *r, json_t *doc);

static const struct ec2_filter_def acl_filters[] = {
    {"association.association-id", "Associations.NetworkAclAssociationId"},
    {"association.network-acl-id", "Associations.NetworkAclId"},
    {"association.subnet-id", "Associations.SubnetId"},
    {"default", "IsDefault"},
    {"entry.cidr", "Entries.CidrBlock"},
    {"entry.egress", "Entries.Egress"},
    {"entry.protocol", "Entries.Protocol"},
    {"entry.rule-action", "Entries.RuleAction"},
    {"entry.rule-number", "Entries.RuleNumber"},
    {"network-acl-id", "NetworkAclId"},
    {"owner-id", "OwnerId"},
    {"vpc-id", "VpcId"},
    {NULL, NULL},
};

const struct ec2_kind ec2_kind_acl = {
    .type = "acl",
    .prefix = "acl-",
    .noun = "networkAcl",
    .not_found = "InvalidNetworkAclID.NotFound",
    .not_found_fmt = "The networkAcl ID '%s' does not exist",
    .malformed = "InvalidNetworkAclID.Malformed",
    .list_member = "NetworkAcls",
    .filter_member = "Filters",
    .tags_member = "Tags",
    .tag_type = "network-acl",
    .filters = acl_filters,
    .vpc_filter = "vpc-id",
    .render = acl_render,
};

/* ---- creation ---------------------------------------------------------------- */

static json_t *cidr_association(const char *cidr)
{
    char id[64];
    ec2_new_id("vpc-cidr-assoc-", id);
    return json_pack("{s:s, s:s, s:{s:s}}", "AssociationId", id, "CidrBlock", cidr, "CidrBlockState", "State",
                     "associated");
}

int ec2_acl_create(struct dd_request *r, const char *vpc_id, bool is_default)
{
    struct ec2_res acl;
    ec2_res_init(&acl, &ec2_kind_acl);
    ec2_set(&acl.vpc_id, vpc_id);
    json_t *entries = json_array();
    for (int egress = 0; egress < 2; egress++) {
        json_array_append_new(entries, json_pack("{s:s, s:b, s:s, s:s, s:i}", "CidrBlock", "0.0.0.0/0", "Egress",
                                                 egress, "Protocol", "-1", "RuleAction", "allow", "RuleNumber", 100));
        json_array_append_new(entries, json_pack("{s:s, s:b, s:s, s:s, s:i}", "CidrBlock", "0.0.0.0/0", "Egress",
                                                 egress, "Protocol", "-1", "RuleAction", "deny", "RuleNumber", 32767));
    }
    json_t *doc = json_pack("{s:s, s:s, s:s, s:b, s:o, s:[], s:[]}", "NetworkAclId", acl.id, "VpcId", vpc_id,
                            "OwnerId", r->account, "IsDefault", is_default, "Entries", entries, "Associations", "Tags");
    json_object_update(acl.doc, doc);
    json_decref(doc);
    ec2_res_save(r, &acl);
    ec2_res_free(&acl);
    return 0;
}

int ec2_vpc_create(struct dd_request *r, const char *cidr, bool is_default, json_t *in, struct ec2_res *vpc)
{
    char dopt[64];
    ec2_new_id("dopt-", dopt);
    ec2_res_init(vpc, &ec2_kind_vpc);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[o], s:b, s:[], s:b, s:b}", "VpcId", vpc->id,
                            "OwnerId", r->account, "CidrBlock", cidr, "State", "available", "DhcpOptionsId", dopt,
                            "InstanceTenancy", "default", "CidrBlockAssociationSet", cidr_association(cidr),
                            "IsDefault", is_default, "Tags", "_dns_support", 1, "_dns_hostnames", is_default);
    json_object_update(vpc->doc, doc);
    json_decref(doc);
    const char *tenancy = dd_in_str(in, "InstanceTenancy");
    if (tenancy)
        json_object_set_new(vpc->doc, "InstanceTenancy", json_string(tenancy));
    if (ec2_tag_specs(r, in, vpc))
        return -1;
    ec2_set(&vpc->vpc_id, vpc->id);
    ec2_res_save(r, vpc);
    ec2_tags_sync(r, vpc);

    struct ec2_res rtb = {0}, sg = {0};
    int rc = ec2_route_table_create(r, vpc, true, NULL, &rtb) ||
             ec2_sg_create(r, vpc->id, "default", "default VPC security group", NULL, &sg) ||
             ec2_acl_create(r, vpc->id, true);
    if (rc == 0) {
        json_object_set_new(vpc->doc, "_main_route_table", json_string(rtb.id));
        json_object_set_new(vpc->doc, "_default_sg", json_string(sg.id));
        ec2_res_save(r, vpc);
    }
    ec2_res_free(&rtb);
    ec2_res_free(&sg);
    return rc ? -1 : 0;
}

/* ---- VPC operations ------------------------------------------------------------ */

/* Parses a CIDR the caller gave for `param`, refusing what is not a network address. */
static int cidr_or_err(struct dd_request *r, const char *cidr, const char *param, uint32_t *net, int *len)
{
    char again[40], ip[16];
    if (ec2_cidr_parse(cidr, net, len) == 0) {
        ec2_ip_format(*net, ip);
        snprintf(again, sizeof again, "%s/%d", ip, *len);
        if (strcmp(again, cidr) == 0)
            return 0;
    }
    dd_fail(r, 400, "InvalidParameterValue", "Value (%s) for parameter %s is invalid. This is not a valid CIDR block.",
            cidr ? cidr : "null", param);
    return -1;
}

json_t *ec2_op_CreateVpc(struct dd_request *r, json_t *in)
{
    const char *cidr = dd_in_str(in, "CidrBlock");
    uint32_t net;
    int len;
    if (!cidr)
        return dd_fail(r, 400, "MissingParameter", "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.");
    if (cidr_or_err(r, cidr, "cidrBlock", &net, &len))
        return NULL;
    if (len < 16 || len > 28)
        return dd_fail(r, 400, "InvalidVpc.Range", "The CIDR '%s' is invalid.", cidr);
    struct ec2_res vpc = {0};
    json_t *out = NULL;
    if (ec2_vpc_create(r, cidr, false, in, &vpc) == 0)
        out = json_pack("{s:o}", "Vpc", ec2_res_public(r, &vpc));
    ec2_res_free(&vpc);
    return out;
}

/* Deletes every row of `kind` in the VPC (after the dependency checks). */
static int delete_row(struct dd_request *r, struct ec2_res *res, void *ctx)
{
    if (res->kind == &ec2_kind_sg || res->kind == &ec2_kind_rtb)
        ec2_each(r, res->kind == &ec2_kind_sg ? &ec2_kind_sgr : &ec2_kind_rtbassoc, "parent", res->id, delete_row,
                 NULL);
    ec2_res_delete(r, res->id);
    return 0;
}

json_t *ec2_op_DeleteVpc(struct dd_request *r, json_t *in)
{
    struct ec2_res vpc;
    const char *id = dd_in_str(in, "VpcId");
    if (ec2_res_get_or_err(r, &ec2_kind_vpc, id, &vpc))
        return NULL;
    /* What the user created in the VPC must go first; what came with it goes with it. */
    bool busy = ec2_count(r, &ec2_kind_subnet, "vpc_id", id) > 0 || ec2_count(r, &ec2_kind_igw, "vpc_id", id) > 0 ||
                ec2_count(r, &ec2_kind_sg, "vpc_id", id) > 1 || ec2_count(r, &ec2_kind_rtb, "vpc_id", id) > 1 ||
                ec2_count(r, &ec2_kind_eni, "vpc_id", id) > 0 || ec2_count(r, &ec2_kind_nat, "vpc_id", id) > 0;
    ec2_res_free(&vpc);
    if (busy)
        return dd_fail(r, 400, "DependencyViolation", "The vpc '%s' has dependencies and cannot be deleted.", id);
    const struct ec2_kind *owned[] = {&ec2_kind_rtb, &ec2_kind_sg, &ec2_kind_acl};
    for (size_t i = 0; i < sizeof owned / sizeof *owned; i++)
        ec2_each(r, owned[i], "vpc_id", id, delete_row, NULL);
    ec2_res_delete(r, id);
    return json_object();
}

json_t *ec2_op_DescribeVpcs(struct dd_request *r, json_t *in)
{
    return ec2_describe(r, in, &ec2_kind_vpc, json_object_get(in, "VpcIds"));
}

/* The VPC attributes: API member, private doc key, Describe attribute name. */
static const struct {
    const char *member, *key, *attribute;
} vpc_attrs[] = {
    {"EnableDnsSupport", "_dns_support", "enableDnsSupport"},
    {"EnableDnsHostnames", "_dns_hostnames", "enableDnsHostnames"},
    {"EnableNetworkAddressUsageMetrics", "_nau_metrics", "enableNetworkAddressUsageMetrics"},
};

json_t *ec2_op_ModifyVpcAttribute(struct dd_request *r, json_t *in)
{
    struct ec2_res vpc;
    if (ec2_res_get_or_err(r, &ec2_kind_vpc, dd_in_str(in, "VpcId"), &vpc))
        return NULL;
    int given = 0;
    for (size_t i = 0; i < sizeof vpc_attrs / sizeof *vpc_attrs; i++) {
        json_t *v = json_object_get(json_object_get(in, vpc_attrs[i].member), "Value");
        if (json_is_boolean(v)) {
            json_object_set(vpc.doc, vpc_attrs[i].key, v);
            given++;
        }
    }
    if (given != 1) {
        ec2_res_free(&vpc);
        return dd_fail(r, 400, "InvalidParameterCombination",
                       given ? "Fields for multiple attribute types specified: enableDnsSupport, enableDnsHostnames"
                             : "No attributes specified.");
    }
    ec2_res_save(r, &vpc);
    ec2_res_free(&vpc);
    return json_object();
}

json_t *ec2_op_DescribeVpcAttribute(struct dd_request *r, json_t *in)
{
    struct ec2_res vpc;
    const char *attribute = dd_in_str(in, "Attribute");
    if (ec2_res_get_or_err(r, &ec2_kind_vpc, dd_in_str(in, "VpcId"), &vpc))
        return NULL;
    json_t *out = json_pack("{s:s}", "VpcId", vpc.id);
    for (size_t i = 0; i < sizeof vpc_attrs / sizeof *vpc_attrs; i++)
        if (strcmp(attribute, vpc_attrs[i].attribute) == 0)
            json_object_set_new(out, vpc_attrs[i].member,
                                json_pack("{s:b}", "Value", dd_in_bool(vpc.doc, vpc_attrs[i].key)));
    ec2_res_free(&vpc);
    return out;
}

json_t *ec2_op_AssociateVpcCidrBlock(struct dd_request *r, json_t *in)
{
    struct ec2_res vpc;
    const char *cidr = dd_in_str(in, "CidrBlock");
    uint32_t net, other;
    int len, olen;
    if (ec2_res_get_or_err(r, &ec2_kind_vpc, dd_in_str(in, "VpcId"), &vpc))
        return NULL;
    json_t *out = NULL, *set = json_object_get(vpc.doc, "CidrBlockAssociationSet");
    if (!cidr) {
        dd_fail(r, 400, "MissingParameter", "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.");
        goto cleanup;
    }
    if (cidr_or_err(r, cidr, "cidrBlock", &net, &len))
        goto cleanup;
    if (len < 16 || len > 28) {
        dd_fail(r, 400, "InvalidVpc.Range", "The CIDR '%s' is invalid.", cidr);
        goto cleanup;
    }
    size_t i;
    json_t *a;
    json_array_foreach(set, i, a) if (ec2_cidr_parse(dd_in_str(a, "CidrBlock"), &other, &olen) == 0 &&
                                      ec2_cidr_overlap(net, len, other, olen))
    {
        dd_fail(r, 400, "InvalidVpc.Range", "The CIDR '%s' is invalid.", cidr);
        goto cleanup;
    }
    json_t *assoc = cidr_association(cidr);
    json_array_append(set, assoc);
    ec2_res_save(r, &vpc);
    out = json_pack("{s:s, s:o}", "VpcId", vpc.id, "CidrBlockAssociation", assoc);
cleanup:
    ec2_res_free(&vpc);
    return out;
}

/* ---- network ACLs (the default one per VPC) -------------------------------------- */

struct acl_ctx {
    json_t *associations;
    const char *acl_id;
};

static int acl_association(struct dd_request *r, struct ec2_res *subnet, void *ctx)
{
    struct acl_ctx *c = ctx;
    json_array_append_new(c->associations,
                          json_pack("{s:s?, s:s, s:s}", "NetworkAclAssociationId", dd_in_str(subnet->doc, "_acl_assoc"),
                                    "NetworkAclId", c->acl_id, "SubnetId", subnet->id));
    return 0;
}

/* Every subnet of the VPC is associated with its default ACL. */
static int acl_render(struct dd_request *r, json_t *doc)
{
    if (!dd_in_bool(doc, "IsDefault"))
        return 0;
    struct acl_ctx c = {json_array(), dd_in_str(doc, "NetworkAclId")};
    ec2_each(r, &ec2_kind_subnet, "vpc_id", dd_in_str(doc, "VpcId"), acl_association, &c);
    json_object_set_new(doc, "Associations", c.associations);
    return 0;
}

json_t *ec2_op_DescribeNetworkAcls(struct dd_request *r, json_t *in)
{
    return ec2_describe(r, in, &ec2_kind_acl, json_object_get(in, "NetworkAclIds"));
}
