/*
 * rds_subnet_group.c - DB subnet groups: the subnets of one VPC, covering at
 * least two Availability Zones, that a DB instance may be placed in; the
 * "default" group AWS makes from the default VPC when an instance names
 * none; groups in use cannot be deleted, nor lose a subnet an instance uses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2.h"
#include "rds_internal.h"

/* ---- subnets ------------------------------------------------------------------- */

/*
 * The Subnets member for subnet ids `ids` (borrowed), with their VPC into
 * vpc_id, checked as AWS does: every subnet exists, all in one VPC, two
 * Availability Zones at least. New array, or NULL with r->err set.
 */
static json_t *subnets_or_err(struct dd_request *r, json_t *ids, char vpc_id[64])
{
    json_t *subnets = json_array(), *zones = json_array(), *id;
    size_t i;
    vpc_id[0] = '\0';
    json_array_foreach(ids, i, id)
    {
        struct ec2_subnet_info s;
        bool bad = true;
        if (ec2_subnet_info(r, json_string_value(id), &s))
            dd_fail(r, 400, "InvalidSubnet", "Some input subnets in :[%s] are invalid.", json_string_value(id));
        else if (vpc_id[0] && strcmp(vpc_id, s.vpc_id) != 0)
            dd_fail(r, 400, "InvalidSubnet", "Subnets must all belong to the same VPC: %s is in %s, not %s",
                    json_string_value(id), s.vpc_id, vpc_id);
        else
            bad = false;
        if (bad) {
            json_decref(subnets);
            json_decref(zones);
            return NULL;
        }
        snprintf(vpc_id, 64, "%s", s.vpc_id);
        bool seen = false;
        size_t j;
        json_t *z;
        json_array_foreach(zones, j, z) seen |= strcmp(json_string_value(z), s.zone) == 0;
        if (!seen)
            json_array_append_new(zones, json_string(s.zone));
        json_array_append_new(subnets, json_pack("{s:O, s:{s:s}, s:{}, s:s}", "SubnetIdentifier", id,
                                                 "SubnetAvailabilityZone", "Name", s.zone, "SubnetOutpost",
                                                 "SubnetStatus", "Active"));
    }
    if (json_array_size(zones) < 2) {
        char coverage[256] = "";
        size_t n = 0;
        json_t *z;
        json_array_foreach(zones, i, z)
        {
            n += (size_t)snprintf(coverage + n, n < sizeof coverage ? sizeof coverage - n : 0, "%s%s", i ? ", " : "",
                                  json_string_value(z));
        }
        json_decref(subnets);
        json_decref(zones);
        return dd_fail(r, 400, "DBSubnetGroupDoesNotCoverEnoughAZs",
                       "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. Current AZ "
                       "coverage: %s. Add subnets to cover at least 2 AZs.",
                       coverage);
    }
    json_decref(zones);
    return subnets;
}

/* AWS's rule on DBSubnetGroupName: up to 255 letters, digits, periods, underscores, spaces or hyphens. */
static int group_name_or_err(struct dd_request *r, const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 255 ||
        strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._- ") != n)
        return dd_reject(r, 400, "InvalidParameterValue",
                         "The parameter DBSubnetGroupName must contain no more than 255 letters, numbers, periods, "
                         "underscores, spaces, or hyphens.");
    if (strcasecmp(name, "default") == 0)
        return dd_reject(r, 400, "InvalidParameterValue", "DBSubnetGroupName must not be default.");
    return 0;
}

static void group_fill(struct dd_request *r, struct rds_res *g, const char *desc, const char *vpc_id, json_t *subnets)
{
    char *arn = rds_arn(r, &rds_kind_subgrp, g->name);
    json_t *fill = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:[s]}", "DBSubnetGroupName", g->name,
                             "DBSubnetGroupDescription", desc, "VpcId", vpc_id, "SubnetGroupStatus", "Complete",
                             "Subnets", subnets, "DBSubnetGroupArn", arn, "SupportedNetworkTypes", "IPV4");
    json_object_update(g->doc, fill);
    json_decref(fill);
    free(arn);
}

/* ---- Create / Describe ------------------------------------------------------------- */

json_t *rds_op_CreateDBSubnetGroup(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "DBSubnetGroupName");
    struct rds_res g;
    char vpc_id[64];
    if (group_name_or_err(r, name))
        return NULL;
    if (rds_load(r, &rds_kind_subgrp, name, &g) == 0) {
        dd_fail(r, 400, "DBSubnetGroupAlreadyExists", "The DB subnet group '%s' already exists.", g.name);
        rds_res_free(&g);
        return NULL;
    }
    json_t *subnets = subnets_or_err(r, json_object_get(in, "SubnetIds"), vpc_id), *out = NULL;
    if (!subnets)
        return NULL;
    rds_res_init(&g, &rds_kind_subgrp, name, NULL);
    group_fill(r, &g, dd_in_str(in, "DBSubnetGroupDescription"), vpc_id, subnets);
    char *arn = rds_arn(r, &rds_kind_subgrp, g.name);
    if (rds_tags_add(r, arn, json_object_get(in, "Tags")) == 0) {
        rds_res_save(r, &g);
        out = json_pack("{s:o}", "DBSubnetGroup", rds_public(r, &g, false));
    }
    free(arn);
    json_decref(subnets);
    rds_res_free(&g);
    return out;
}

json_t *rds_op_DescribeDBSubnetGroups(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "DBSubnetGroupName");
    if (!name)
        return rds_describe(r, in, &rds_kind_subgrp, "DBSubnetGroups", false, NULL, NULL);
    struct rds_res g;
    if (rds_get_or_err(r, &rds_kind_subgrp, name, &g))
        return NULL;
    json_t *out = json_pack("{s:[o]}", "DBSubnetGroups", rds_public(r, &g, false));
    rds_res_free(&g);
    return out;
}

/* ---- Modify --------------------------------------------------------------------------- */

struct subnet_use {
    json_t *subnets;  /* the group's new Subnets (borrowed) */
    json_t *group;    /* the group's new document (borrowed) */
    char busy[64];    /* a subnet an instance uses that the group loses ("" when none) */
};

static bool subnet_listed(json_t *subnets, const char *id)
{
    size_t i;
    json_t *s;
    json_array_foreach(subnets, i, s)
    {
        if (id && strcmp(dd_in_str(s, "SubnetIdentifier"), id) == 0)
            return true;
    }
    return false;
}

static void find_busy(struct dd_request *r, struct rds_res *db, void *ctx)
{
    (void)r;
    struct subnet_use *use = ctx;
    const char *subnet = dd_in_str(db->doc, "_subnet");
    if (!use->busy[0] && subnet && !subnet_listed(use->subnets, subnet))
        snprintf(use->busy, sizeof use->busy, "%s", subnet);
}

/* Instances show their group as it is now. */
static void refresh_instance(struct dd_request *r, struct rds_res *db, void *ctx)
{
    struct subnet_use *use = ctx;
    json_object_set(db->doc, "DBSubnetGroup", use->group);
    rds_res_save(r, db);
}

json_t *rds_op_ModifyDBSubnetGroup(struct dd_request *r, json_t *in)
{
    struct rds_res g;
    char vpc_id[64];
    if (rds_get_or_err(r, &rds_kind_subgrp, dd_in_str(in, "DBSubnetGroupName"), &g))
        return NULL;
    json_t *subnets = subnets_or_err(r, json_object_get(in, "SubnetIds"), vpc_id), *out = NULL;
    bool used = rds_count(r, &rds_kind_db, g.name) > 0;
    struct subnet_use use = {.subnets = subnets};
    if (subnets && used && strcmp(vpc_id, dd_in_str(g.doc, "VpcId")) != 0)
        dd_fail(r, 400, "InvalidSubnet", "The new Subnets are not in the same Vpc as the existing subnet group");
    else if (subnets && (rds_each(r, &rds_kind_db, g.name, find_busy, &use), use.busy[0]))
        dd_fail(r, 400, "SubnetAlreadyInUse", "Some of the subnets to be deleted are currently in use: %s", use.busy);
    else if (subnets) {
        const char *desc = dd_in_str(in, "DBSubnetGroupDescription");
        char *keep = strdup(desc ? desc : dd_in_str(g.doc, "DBSubnetGroupDescription"));
        group_fill(r, &g, keep, vpc_id, subnets);
        free(keep);
        rds_res_save(r, &g);
        use.group = rds_public(r, &g, false);
        rds_each(r, &rds_kind_db, g.name, refresh_instance, &use);
        out = json_pack("{s:o}", "DBSubnetGroup", use.group);
    }
    json_decref(subnets);
    rds_res_free(&g);
    return out;
}

/* ---- Delete ------------------------------------------------------------------------------ */

json_t *rds_op_DeleteDBSubnetGroup(struct dd_request *r, json_t *in)
{
    struct rds_res g;
    char user[256];
    if (rds_get_or_err(r, &rds_kind_subgrp, dd_in_str(in, "DBSubnetGroupName"), &g))
        return NULL;
    rds_first_child(r, &rds_kind_db, g.name, user);
    json_t *out = NULL;
    if (user[0])
        dd_fail(r, 400, "InvalidDBSubnetGroupStateFault",
                "Cannot delete the subnet group '%s' because at least one database instance: %s is still using it.",
                g.name, user);
    else {
        rds_res_delete(r, &g);
        out = json_object();
    }
    rds_res_free(&g);
    return out;
}

/* ---- the default group --------------------------------------------------------------------- */

/* AWS's "default" group: every subnet of the default VPC, made on first use. */
static int default_group_create(struct dd_request *r, struct rds_res *g)
{
    char vpc[64], vpc_id[64];
    json_t *ids = json_array();
    if (ec2_default_vpc_subnets(r, vpc, ids)) {
        json_decref(ids);
        return -1;
    }
    if (!vpc[0]) {
        json_decref(ids);
        return dd_reject(r, 400, "InvalidVPCNetworkStateFault",
                         "Cannot create a DB instance because no DB subnet group was given and the account has no "
                         "default VPC");
    }
    json_t *subnets = subnets_or_err(r, ids, vpc_id);
    json_decref(ids);
    if (!subnets)
        return -1;
    rds_res_init(g, &rds_kind_subgrp, "default", NULL);
    group_fill(r, g, "default", vpc_id, subnets);
    rds_res_save(r, g);
    json_decref(subnets);
    return 0;
}

json_t *rds_subnet_group_for_instance(struct dd_request *r, const char *name)
{
    struct rds_res g;
    if (rds_load(r, &rds_kind_subgrp, name ? name : "default", &g)) {
        if (name) {
            rds_get_or_err(r, &rds_kind_subgrp, name, &g);
            return NULL;
        }
        if (default_group_create(r, &g))
            return NULL;
    }
    json_t *out = rds_public(r, &g, false);
    rds_res_free(&g);
    return out;
}
