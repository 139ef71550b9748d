/*
 * ec2.c - Amazon EC2 (VPC networking): the service table, what every call
 * goes through (the account's default VPC, DryRun), the schema, regions and
 * zones, account attributes and the tag operations.
 *
 * The resource families live beside this file: ec2_vpc.c (VPCs, network
 * ACLs), ec2_subnet.c, ec2_gateway.c (internet gateways, elastic IPs, NAT
 * gateways), ec2_route.c, ec2_sg.c, ec2_eni.c, ec2_keypair.c, ec2_instance.c
 * (instances, instance types, images), ec2_launch_template.c; the shared
 * store, filters and pager are in ec2_common.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "ec2_internal.h"
#include "fixtures.h"
#include "sim.h"

/* ---- every call ------------------------------------------------------------ */

/* Runs a handler the way AWS runs every EC2 call: the account's default VPC
 * exists, and with DryRun the call is checked in full and then undone. */
static json_t *ec2_call(struct dd_request *r, json_t *in, dd_handler_fn fn)
{
    if (ec2_ensure_defaults(r))
        return NULL;
    json_t *out = fn(r, in);
    if (out && dd_in_bool(in, "DryRun")) {
        json_decref(out);
        return dd_fail(r, 412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.");
    }
    return out;
}

#define EC2_WRAP(op, flags)                                                                                             \
    static json_t *wrap_##op(struct dd_request *r, json_t *in)                                                     \
    {                                                                                                              \
        return ec2_call(r, in, ec2_op_##op);                                                                       \
    }
EC2_HANDLERS(EC2_WRAP)
#undef EC2_WRAP

#define EC2_ROW(op, flags) {#op, wrap_##op, flags},
static const struct dd_handler handlers[] = {EC2_HANDLERS(EC2_ROW)};
#undef EC2_ROW

/* ---- the schema ------------------------------------------------------------- */

static const char *const schema[] = {
    /* 1: every resource, its indexed relations and its Describe document */
    "CREATE TABLE ec2_resources (seq INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,"
    " type TEXT NOT NULL, id TEXT NOT NULL, vpc_id TEXT, parent TEXT, name TEXT, ref TEXT, doc TEXT NOT NULL);"
    "CREATE UNIQUE INDEX ec2_resources_id ON ec2_resources (account, region, id);"
    "CREATE INDEX ec2_resources_type ON ec2_resources (account, region, type);"
    "CREATE INDEX ec2_resources_vpc ON ec2_resources (account, region, type, vpc_id);"
    "CREATE INDEX ec2_resources_parent ON ec2_resources (account, region, type, parent);"
    "CREATE INDEX ec2_resources_name ON ec2_resources (account, region, type, name);"
    "CREATE INDEX ec2_resources_ref ON ec2_resources (account, region, type, ref);"
    "CREATE TABLE ec2_tags (seq INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,"
    " resource_id TEXT NOT NULL, resource_type TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL);"
    "CREATE UNIQUE INDEX ec2_tags_resource ON ec2_tags (account, region, resource_id, key);"
    "CREATE INDEX ec2_tags_key ON ec2_tags (account, region, key);"
    /* the (account, region) pairs whose default VPC was created: reset empties it */
    "CREATE TABLE ec2_defaults (account TEXT NOT NULL, region TEXT NOT NULL, vpc_id TEXT NOT NULL,"
    " PRIMARY KEY (account, region));",
    NULL,
};

static const struct sim_kind events[] = {
    {"ec2.nat_gateway.available", ec2_nat_available},
    {"ec2.nat_gateway.deleted", ec2_nat_deleted},
    {"ec2.nat_gateway.purge", ec2_nat_purge},
    {"ec2.instance.running", ec2_instance_running},
    {"ec2.instance.stopped", ec2_instance_stopped},
    {"ec2.instance.terminated", ec2_instance_terminated},
    {"ec2.instance.purge", ec2_instance_purge},
    {"ec2.instance.metrics", ec2_instance_metrics},
};

/* /_drydock/ec2/<action>: "load" sets an instance's simulated CPU. */
static json_t *ec2_admin(struct dd_request *r, const char *action, json_t *params)
{
    if (strcmp(action, "load") == 0)
        return ec2_admin_load(r, params);
    return dd_fail(r, 404, "NotFound", "no such admin action: %s", action);
}

const struct dd_service dd_service_ec2 = {
    .model_id = "ec2",
    .handlers = handlers,
    .handler_count = sizeof handlers / sizeof *handlers,
    .validation_code = "InvalidParameterValue",
    .schema = schema,
    .events = events,
    .event_count = sizeof events / sizeof *events,
    .admin = ec2_admin,
};

/* ---- the default VPC ---------------------------------------------------------- */

static const char SQL_DEFAULTS_GET[] = "SELECT vpc_id FROM ec2_defaults WHERE account=?1 AND region=?2";
static const char SQL_DEFAULTS_PUT[] = "INSERT INTO ec2_defaults (account, region, vpc_id) VALUES (?1, ?2, ?3)";

/* The default VPC's id, "" when deleted, or NULL (new) when never created. */
static char *defaults_get(struct dd_request *r)
{
    sqlite3_stmt *st = store_stmt(r->db, SQL_DEFAULTS_GET);
    store_bind_text(st, 1, r->account);
    store_bind_text(st, 2, r->region);
    char *id = sqlite3_step(st) == SQLITE_ROW ? strdup(store_col_text(st, 0)) : NULL;
    sqlite3_reset(st);
    return id;
}

/* AWS's default VPC: 172.31.0.0/16, a /20 per zone mapping public IPs, an
 * internet gateway and the main route table's default route through it. */
static int create_default_vpc(struct dd_request *r)
{
    struct ec2_res vpc = {0}, igw = {0}, rtb = {0};
    int rc = -1;
    if (ec2_vpc_create(r, "172.31.0.0/16", true, NULL, &vpc) || ec2_igw_create(r, NULL, &igw))
        goto cleanup;
    ec2_igw_attach(r, &igw, vpc.id);
    const char *main_rtb = dd_in_str(vpc.doc, "_main_route_table");
    if (ec2_res_load(r, &ec2_kind_rtb, main_rtb, &rtb) == 0) {
        ec2_route_add(rtb.doc, "0.0.0.0/0", "GatewayId", igw.id);
        ec2_res_save(r, &rtb);
    }
    json_t *zones = ec2_zones(r);
    size_t i;
    json_t *z;
    json_array_foreach(zones, i, z)
    {
        char cidr[32];
        snprintf(cidr, sizeof cidr, "172.31.%zu.0/20", (i * 16) % 256);
        struct ec2_res subnet = {0};
        int failed = ec2_subnet_create(r, &vpc, cidr, dd_in_str(z, "ZoneName"), dd_in_str(z, "ZoneId"), true, NULL,
                                       &subnet);
        ec2_res_free(&subnet);
        if (failed)
            goto cleanup;
    }
    sqlite3_stmt *st = store_stmt(r->db, SQL_DEFAULTS_PUT);
    store_bind_text(st, 1, r->account);
    store_bind_text(st, 2, r->region);
    store_bind_text(st, 3, vpc.id);
    sqlite3_step(st);
    sqlite3_reset(st);
    rc = 0;
cleanup:
    ec2_res_free(&vpc);
    ec2_res_free(&igw);
    ec2_res_free(&rtb);
    return rc;
}

int ec2_ensure_defaults(struct dd_request *r)
{
    char *id = defaults_get(r);
    if (id) {
        free(id);
        return 0;
    }
    if (!r->writable) { /* a describe, first in this account and region */
        dd_retry_as_write(r);
        return -1;
    }
    return create_default_vpc(r);
}

void ec2_default_vpc(struct dd_request *r, char out[64])
{
    char *id = defaults_get(r);
    struct ec2_res vpc;
    out[0] = '\0';
    if (id && *id && ec2_res_load(r, &ec2_kind_vpc, id, &vpc) == 0) {
        snprintf(out, 64, "%s", vpc.id);
        ec2_res_free(&vpc);
    }
    free(id);
}

/* ---- regions and zones ---------------------------------------------------------- */

static json_t *regions_fixture;
static pthread_once_t regions_once = PTHREAD_ONCE_INIT;

static void regions_load(void)
{
    json_t *doc = fixture_json("ec2_regions");
    regions_fixture = json_incref(json_object_get(doc, "regions"));
    json_decref(doc);
    if (!regions_fixture)
        regions_fixture = json_array();
}

static json_t *regions(void)
{
    pthread_once(&regions_once, regions_load);
    return regions_fixture;
}

static json_t *region_entry(const char *name)
{
    size_t i;
    json_t *reg;
    json_array_foreach(regions(), i, reg) if (strcmp(dd_in_str(reg, "RegionName"), name) == 0) return reg;
    return NULL;
}

json_t *ec2_zones(struct dd_request *r)
{
    static json_t *none;
    json_t *reg = region_entry(r->region);
    if (reg)
        return json_object_get(reg, "Zones");
    if (!none)
        none = json_array(); /* a benign race: both threads make an empty array */
    return none;
}

static const struct ec2_filter_def region_filters[] = {
    {"endpoint", "Endpoint"},
    {"region-name", "RegionName"},
    {"opt-in-status", "OptInStatus"},
    {NULL, NULL},
};

static json_t *region_doc(json_t *reg)
{
    const char *name = dd_in_str(reg, "RegionName");
    char endpoint[128];
    snprintf(endpoint, sizeof endpoint, "ec2.%s.amazonaws.com", name);
    return json_pack("{s:s, s:s, s:s}", "Endpoint", endpoint, "RegionName", name, "OptInStatus",
                     dd_in_bool(reg, "OptInRequired") ? "not-opted-in" : "opt-in-not-required");
}

static bool in_list(json_t *list, const char *s)
{
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) if (json_is_string(e) && strcmp(json_string_value(e), s) == 0) return true;
    return false;
}

json_t *ec2_op_DescribeRegions(struct dd_request *r, json_t *in)
{
    json_t *filters = json_object_get(in, "Filters"), *names = json_object_get(in, "RegionNames");
    if (ec2_filters_check(r, region_filters, filters))
        return NULL;
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) if (!region_entry(json_string_value(n)))
        return dd_fail(r, 400, "InvalidParameterValue", "Invalid region: %s", json_string_value(n));
    json_t *items = json_array(), *reg;
    json_array_foreach(regions(), i, reg)
    {
        bool listed = json_array_size(names) ? in_list(names, dd_in_str(reg, "RegionName"))
                                             : dd_in_bool(in, "AllRegions") || !dd_in_bool(reg, "OptInRequired");
        json_t *doc = region_doc(reg);
        if (listed && ec2_filters_match(region_filters, filters, doc, NULL))
            json_array_append(items, doc);
        json_decref(doc);
    }
    return json_pack("{s:o}", "Regions", items);
}

static const struct ec2_filter_def zone_filters[] = {
    {"group-name", "GroupName"},
    {"message", "Messages.Message"},
    {"opt-in-status", "OptInStatus"},
    {"region-name", "RegionName"},
    {"state", "State"},
    {"zone-id", "ZoneId"},
    {"zone-name", "ZoneName"},
    {"zone-type", "ZoneType"},
    {"network-border-group", "NetworkBorderGroup"},
    {NULL, NULL},
};

json_t *ec2_op_DescribeAvailabilityZones(struct dd_request *r, json_t *in)
{
    json_t *filters = json_object_get(in, "Filters"), *names = json_object_get(in, "ZoneNames"),
           *ids = json_object_get(in, "ZoneIds"), *zones = ec2_zones(r);
    if (ec2_filters_check(r, zone_filters, filters))
        return NULL;
    size_t i;
    json_t *z, *n;
    json_array_foreach(names, i, n)
    {
        bool known = false;
        size_t j;
        json_array_foreach(zones, j, z) known = known || strcmp(dd_in_str(z, "ZoneName"), json_string_value(n)) == 0;
        if (!known)
            return dd_fail(r, 400, "InvalidParameterValue", "Invalid availability zone: [%s]", json_string_value(n));
    }
    json_t *items = json_array();
    json_array_foreach(zones, i, z)
    {
        const char *name = dd_in_str(z, "ZoneName"), *id = dd_in_str(z, "ZoneId");
        if ((json_array_size(names) || json_array_size(ids)) && !in_list(names, name) && !in_list(ids, id))
            continue;
        json_t *doc = json_pack("{s:s, s:s, s:[], s:s, s:s, s:s, s:s, s:s, s:s}", "State", "available",
                                "OptInStatus", "opt-in-not-required", "Messages", "RegionName", r->region,
                                "ZoneName", name, "ZoneId", id, "GroupName", r->region, "NetworkBorderGroup",
                                r->region, "ZoneType", "availability-zone");
        if (ec2_filters_match(zone_filters, filters, doc, NULL))
            json_array_append(items, doc);
        json_decref(doc);
    }
    return json_pack("{s:o}", "AvailabilityZones", items);
}

json_t *ec2_op_DescribeAccountAttributes(struct dd_request *r, json_t *in)
{
    char vpc[64];
    ec2_default_vpc(r, vpc);
    struct {
        const char *name, *value;
    } attrs[] = {
        {"supported-platforms", "VPC"},
        {"vpc-max-security-groups-per-interface", "5"},
        {"max-elastic-ips", "5"},
        {"max-instances", "20"},
        {"vpc-max-elastic-ips", "5"},
        {"default-vpc", vpc[0] ? vpc : "none"},
    };
    json_t *names = json_object_get(in, "AttributeNames"), *items = json_array();
    for (size_t i = 0; i < sizeof attrs / sizeof *attrs; i++) {
        if (json_array_size(names) && !in_list(names, attrs[i].name))
            continue;
        json_array_append_new(items, json_pack("{s:s, s:[{s:s}]}", "AttributeName", attrs[i].name,
                                               "AttributeValues", "AttributeValue", attrs[i].value));
    }
    return json_pack("{s:o}", "AccountAttributes", items);
}

/* ---- tags -------------------------------------------------------------------------- */

/* Loads a resource to tag, answering as AWS does for an unknown id. */
static int load_taggable(struct dd_request *r, const char *id, struct ec2_res *res)
{
    if (ec2_res_load(r, NULL, id, res) == 0 && res->kind && res->kind != &ec2_kind_rtbassoc)
        return 0;
    static const struct ec2_kind *const kinds[] = {&ec2_kind_vpc, &ec2_kind_subnet, &ec2_kind_igw, &ec2_kind_eip,
                                                   &ec2_kind_nat, &ec2_kind_rtb,    &ec2_kind_sg,  &ec2_kind_sgr,
                                                   &ec2_kind_eni, &ec2_kind_key,    &ec2_kind_acl,
                                                   &ec2_kind_instance, &ec2_kind_lt};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (ec2_id_wellformed(id, kinds[i]->prefix)) {
            dd_err(&r->err, 400, kinds[i]->not_found, kinds[i]->not_found_fmt, id);
            return -1;
        }
    dd_err(&r->err, 400, "InvalidID", "The ID '%s' is not valid", id);
    return -1;
}

json_t *ec2_op_CreateTags(struct dd_request *r, json_t *in)
{
    json_t *ids = json_object_get(in, "Resources"), *spec = json_pack("{s:[{s:s?, s:O}]}", "TagSpecifications",
                                                                         "ResourceType", NULL, "Tags",
                                                                         json_object_get(in, "Tags"));
    json_t *specs = json_object_get(spec, "TagSpecifications");
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id)
    {
        struct ec2_res res = {0};
        if (load_taggable(r, json_string_value(id), &res)) {
            json_decref(spec);
            return NULL;
        }
        json_object_set_new(json_array_get(specs, 0), "ResourceType", json_string(res.kind->tag_type));
        int rc = ec2_tag_specs(r, spec, &res);
        if (rc == 0) {
            ec2_res_save(r, &res);
            ec2_tags_sync(r, &res);
        }
        ec2_res_free(&res);
        if (rc) {
            json_decref(spec);
            return NULL;
        }
    }
    json_decref(spec);
    return json_object();
}

/* Whether tag t is one DeleteTags asks to remove (a key alone removes any value). */
static bool tag_deleted(json_t *t, json_t *which)
{
    if (!json_array_size(which))
        return true;
    size_t i;
    json_t *w;
    json_array_foreach(which, i, w)
    {
        const char *key = dd_in_str(w, "Key"), *value = dd_in_str(w, "Value");
        if (key && strcmp(key, dd_in_str(t, "Key")) == 0 && (!value || strcmp(value, dd_in_str(t, "Value")) == 0))
            return true;
    }
    return false;
}

json_t *ec2_op_DeleteTags(struct dd_request *r, json_t *in)
{
    json_t *ids = json_object_get(in, "Resources"), *which = json_object_get(in, "Tags");
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id)
    {
        struct ec2_res res = {0};
        if (load_taggable(r, json_string_value(id), &res))
            return NULL;
        json_t *tags = json_object_get(res.doc, res.kind->tags_member), *kept = json_array();
        size_t j;
        json_t *t;
        json_array_foreach(tags, j, t) if (!tag_deleted(t, which)) json_array_append(kept, t);
        json_object_set_new(res.doc, res.kind->tags_member, kept);
        ec2_res_save(r, &res);
        ec2_tags_sync(r, &res);
        ec2_res_free(&res);
    }
    return json_object();
}

static const struct ec2_filter_def tag_filters[] = {
    {"key", "Key"},
    {"value", "Value"},
    {"resource-id", "ResourceId"},
    {"resource-type", "ResourceType"},
    {NULL, NULL},
};

static const char SQL_TAGS[] = "SELECT seq, resource_id, resource_type, key, value FROM ec2_tags"
                               " WHERE account=?1 AND region=?2 AND seq>?3 ORDER BY seq";

json_t *ec2_op_DescribeTags(struct dd_request *r, json_t *in)
{
    json_t *filters = json_object_get(in, "Filters");
    struct ec2_page page;
    if (ec2_filters_check(r, tag_filters, filters) || ec2_page_start(r, in, &page))
        return NULL;
    sqlite3_stmt *st = store_stmt(r->db, SQL_TAGS);
    store_bind_text(st, 1, r->account);
    store_bind_text(st, 2, r->region);
    sqlite3_bind_int64(st, 3, page.after);
    while (!page.more && sqlite3_step(st) == SQLITE_ROW) {
        json_t *doc = json_pack("{s:s, s:s, s:s, s:s}", "ResourceId", store_col_text(st, 1), "ResourceType",
                                store_col_text(st, 2), "Key", store_col_text(st, 3), "Value", store_col_text(st, 4));
        if (ec2_filters_match(tag_filters, filters, doc, NULL))
            ec2_page_add(&page, sqlite3_column_int64(st, 0), doc);
        else
            json_decref(doc);
    }
    sqlite3_reset(st);
    return ec2_page_result(&page, "Tags");
}
