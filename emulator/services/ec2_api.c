/*
 * ec2_api.c - EC2's small public interface for other services (see ec2.h),
 * over the resource store of ec2_common.c.
 */
#include <stdio.h>
#include <string.h>

#include "ec2.h"
#include "ec2_internal.h"

int ec2_subnet_info(struct dd_request *r, const char *subnet_id, struct ec2_subnet_info *out)
{
    struct ec2_res subnet;
    memset(out, 0, sizeof *out);
    if (!subnet_id || ec2_res_load(r, &ec2_kind_subnet, subnet_id, &subnet))
        return 1;
    snprintf(out->vpc_id, sizeof out->vpc_id, "%s", subnet.vpc_id ? subnet.vpc_id : "");
    snprintf(out->zone, sizeof out->zone, "%s", dd_in_str(subnet.doc, "AvailabilityZone"));
    snprintf(out->zone_id, sizeof out->zone_id, "%s",
             dd_in_str(subnet.doc, "AvailabilityZoneId") ? dd_in_str(subnet.doc, "AvailabilityZoneId") : "");
    snprintf(out->cidr, sizeof out->cidr, "%s", dd_in_str(subnet.doc, "CidrBlock"));
    ec2_res_free(&subnet);
    return 0;
}

static int collect_id(struct dd_request *r, struct ec2_res *res, void *ids)
{
    (void)r;
    json_array_append_new(ids, json_string(res->id));
    return 0;
}

int ec2_default_vpc_subnets(struct dd_request *r, char vpc_id[64], json_t *subnet_ids)
{
    if (ec2_ensure_defaults(r))
        return -1;
    ec2_default_vpc(r, vpc_id);
    if (vpc_id[0])
        ec2_each(r, &ec2_kind_subnet, "vpc_id", vpc_id, collect_id, subnet_ids);
    return 0;
}

bool ec2_vpc_exists(struct dd_request *r, const char *vpc_id)
{
    struct ec2_res vpc;
    if (!vpc_id || ec2_res_load(r, &ec2_kind_vpc, vpc_id, &vpc))
        return false;
    ec2_res_free(&vpc);
    return true;
}

bool ec2_vpc_contains_ip(struct dd_request *r, const char *vpc_id, const char *ip)
{
    struct ec2_res vpc;
    uint32_t addr, net;
    int len;
    bool inside = false;
    if (ec2_ip_parse(ip, &addr) || !vpc_id || ec2_res_load(r, &ec2_kind_vpc, vpc_id, &vpc))
        return false;
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(vpc.doc, "CidrBlockAssociationSet"), i, a)
    {
        if (ec2_cidr_parse(dd_in_str(a, "CidrBlock"), &net, &len) == 0 && ec2_cidr_contains(net, len, addr, 32))
            inside = true;
    }
    ec2_res_free(&vpc);
    return inside;
}

void ec2_vpc_default_sg(struct dd_request *r, const char *vpc_id, char sg_id[64])
{
    struct ec2_res vpc;
    sg_id[0] = '\0';
    if (!vpc_id || ec2_res_load(r, &ec2_kind_vpc, vpc_id, &vpc))
        return;
    snprintf(sg_id, 64, "%s", dd_in_str(vpc.doc, "_default_sg") ? dd_in_str(vpc.doc, "_default_sg") : "");
    ec2_res_free(&vpc);
}

int ec2_sg_vpc(struct dd_request *r, const char *sg_id, char vpc_id[64])
{
    struct ec2_res sg;
    vpc_id[0] = '\0';
    if (!sg_id || ec2_res_load(r, &ec2_kind_sg, sg_id, &sg))
        return 1;
    snprintf(vpc_id, 64, "%s", sg.vpc_id ? sg.vpc_id : "");
    ec2_res_free(&sg);
    return 0;
}

int ec2_managed_eni_create(struct dd_request *r, const char *subnet_id, json_t *group_ids, const char *description,
                           char eni_id[64], char ip[16])
{
    struct ec2_res subnet, eni = {0};
    if (ec2_res_get_or_err(r, &ec2_kind_subnet, subnet_id, &subnet))
        return -1;
    int rc = ec2_eni_create(r, &subnet, group_ids, NULL, description, "interface", true, NULL, &eni);
    if (rc == 0) {
        snprintf(eni_id, 64, "%s", eni.id);
        snprintf(ip, 16, "%s", dd_in_str(eni.doc, "PrivateIpAddress"));
    }
    ec2_res_free(&subnet);
    ec2_res_free(&eni);
    return rc;
}

void ec2_managed_eni_delete(struct dd_request *r, const char *eni_id)
{
    struct ec2_res eni;
    if (!eni_id || ec2_res_load(r, &ec2_kind_eni, eni_id, &eni))
        return;
    ec2_subnet_adjust_free(r, eni.parent, +1);
    ec2_res_delete(r, eni.id);
    ec2_res_free(&eni);
}

void ec2_eni_set_groups(struct dd_request *r, const char *eni_id, json_t *group_ids)
{
    struct ec2_res eni, sg;
    if (!eni_id || ec2_res_load(r, &ec2_kind_eni, eni_id, &eni))
        return;
    json_t *groups = json_array();
    size_t i;
    json_t *id;
    json_array_foreach(group_ids, i, id)
    {
        if (ec2_res_load(r, &ec2_kind_sg, json_string_value(id), &sg) == 0) {
            json_array_append_new(groups, json_pack("{s:s, s:s}", "GroupId", sg.id, "GroupName",
                                                    dd_in_str(sg.doc, "GroupName")));
            ec2_res_free(&sg);
        }
    }
    json_object_set_new(eni.doc, "Groups", groups);
    ec2_res_save(r, &eni);
    ec2_res_free(&eni);
}
