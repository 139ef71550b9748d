/*
 * rds_snapshot.c - manual DB snapshots (CreateDBSnapshot, a final snapshot
 * on DeleteDBInstance, a snapshot on StopDBInstance): `creating` ->
 * `available` on the clock; and restoring one into a new instance, which
 * takes the snapshot's engine, storage, credentials and placement wherever
 * the call is silent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rds_internal.h"
#include "sim.h"

int rds_snapshot_take(struct dd_request *r, struct rds_res *db, const char *name, json_t *tags)
{
    struct rds_res snap;
    if (rds_identifier_or_err(r, "DBSnapshotIdentifier", name, 255))
        return -1;
    if (rds_load(r, &rds_kind_snapshot, name, &snap) == 0) {
        rds_res_free(&snap);
        return dd_reject(r, 400, "DBSnapshotAlreadyExists",
                         "Cannot create the snapshot because a snapshot with the identifier %s already exists.", name);
    }
    rds_res_init(&snap, &rds_kind_snapshot, name, db->name);
    char *arn = rds_arn(r, &rds_kind_snapshot, snap.name);
    json_t *d = db->doc, *now = json_real((double)r->now_ms / 1000.0);
    json_t *fill = json_pack(
        "{s:s, s:s, s:O, s:O, s:O, s:s, s:O, s:O, s:O, s:O, s:O, s:O, s:s, s:O, s:i, s:O, s:O, s:s, s:O, s:[], "
        "s:O, s:O, s:s}",
        "DBSnapshotIdentifier", snap.name, "DBInstanceIdentifier", db->name, "SnapshotCreateTime", now, "Engine",
        json_object_get(d, "Engine"), "AllocatedStorage", json_object_get(d, "AllocatedStorage"), "Status",
        "creating", "Port", json_object_get(json_object_get(d, "_endpoint"), "Port"), "AvailabilityZone",
        json_object_get(d, "AvailabilityZone"), "VpcId", json_object_get(json_object_get(d, "DBSubnetGroup"), "VpcId"),
        "InstanceCreateTime", json_object_get(d, "InstanceCreateTime") ?: now, "MasterUsername",
        json_object_get(d, "MasterUsername"), "EngineVersion", json_object_get(d, "EngineVersion"), "SnapshotType",
        "manual", "OptionGroupName",
        json_object_get(json_array_get(json_object_get(d, "OptionGroupMemberships"), 0), "OptionGroupName"),
        "PercentProgress", 0, "StorageType", json_object_get(d, "StorageType"), "Encrypted",
        json_object_get(d, "StorageEncrypted"), "DBSnapshotArn", arn, "IAMDatabaseAuthenticationEnabled",
        json_object_get(d, "IAMDatabaseAuthenticationEnabled"), "ProcessorFeatures", "DbiResourceId",
        json_object_get(d, "DbiResourceId"), "OriginalSnapshotCreateTime", now, "SnapshotTarget", "region");
    json_object_update(snap.doc, fill);
    json_decref(fill);
    json_decref(now);
    if (json_object_get(d, "KmsKeyId"))
        json_object_set(snap.doc, "KmsKeyId", json_object_get(d, "KmsKeyId"));
    /* what a restore takes from the instance beyond the public members */
    json_object_set(snap.doc, "_class", json_object_get(d, "DBInstanceClass"));
    json_object_set(snap.doc, "_subnet_group", json_object_get(json_object_get(d, "DBSubnetGroup"),
                                                                "DBSubnetGroupName"));
    json_object_set(snap.doc, "_parameter_group",
                    json_object_get(json_array_get(json_object_get(d, "DBParameterGroups"), 0), "DBParameterGroupName"));
    if (json_object_get(d, "DBName"))
        json_object_set(snap.doc, "_dbname", json_object_get(d, "DBName"));
    int rc = rds_tags_add(r, arn, tags);
    if (rc == 0 && dd_in_bool(d, "CopyTagsToSnapshot") && !json_array_size(tags)) {
        char *db_arn = rds_arn(r, &rds_kind_db, db->name);
        json_t *db_tags = rds_tags_of(r, db_arn);
        rc = rds_tags_add(r, arn, db_tags);
        json_decref(db_tags);
        free(db_arn);
    }
    if (rc == 0) {
        rds_res_save(r, &snap);
        rc = sim_schedule(r, sim_delay_ms(60, 60000), "rds.snapshot.available", arn, NULL);
    }
    free(arn);
    rds_res_free(&snap);
    return rc;
}

int rds_snapshot_available(struct dd_request *r, const char *arn, json_t *payload)
{
    (void)payload;
    struct rds_res snap;
    if (rds_load(r, &rds_kind_snapshot, arn, &snap))
        return 0;
    json_object_set_new(snap.doc, "Status", json_string("available"));
    json_object_set_new(snap.doc, "PercentProgress", json_integer(100));
    rds_res_save(r, &snap);
    rds_res_free(&snap);
    return 0;
}

json_t *rds_op_CreateDBSnapshot(struct dd_request *r, json_t *in)
{
    struct rds_res db, snap;
    const char *name = dd_in_str(in, "DBSnapshotIdentifier");
    if (rds_get_or_err(r, &rds_kind_db, dd_in_str(in, "DBInstanceIdentifier"), &db))
        return NULL;
    json_t *out = NULL;
    if (strcmp(dd_in_str(db.doc, "DBInstanceStatus"), "available") != 0)
        dd_fail(r, 400, "InvalidDBInstanceState",
                "Cannot create a snapshot because the database instance %s is not currently in the available state.",
                db.name);
    else if (rds_snapshot_take(r, &db, name, json_object_get(in, "Tags")) == 0 &&
             rds_load(r, &rds_kind_snapshot, name, &snap) == 0) {
        out = json_pack("{s:o}", "DBSnapshot", rds_public(r, &snap, true));
        rds_res_free(&snap);
    }
    rds_res_free(&db);
    return out;
}

static const char *const SNAPSHOT_FILTERS[] = {"db-instance-id", "db-snapshot-id", "dbi-resource-id", "snapshot-type",
                                               "engine", NULL};

static bool snapshot_wanted(struct dd_request *r, struct rds_res *snap, void *ctx)
{
    (void)r;
    json_t *in = ctx, *f = json_object_get(in, "Filters");
    const char *db = dd_in_str(in, "DBInstanceIdentifier"), *type = dd_in_str(in, "SnapshotType");
    const char *dbi = dd_in_str(in, "DbiResourceId");
    return (!db || strcasecmp(db, dd_in_str(snap->doc, "DBInstanceIdentifier")) == 0) &&
           (!type || strcmp(type, dd_in_str(snap->doc, "SnapshotType")) == 0) &&
           (!dbi || strcmp(dbi, dd_in_str(snap->doc, "DbiResourceId")) == 0) &&
           rds_filter_pass(f, "db-instance-id", dd_in_str(snap->doc, "DBInstanceIdentifier")) &&
           rds_filter_pass(f, "db-snapshot-id", snap->name) &&
           rds_filter_pass(f, "dbi-resource-id", dd_in_str(snap->doc, "DbiResourceId")) &&
           rds_filter_pass(f, "snapshot-type", dd_in_str(snap->doc, "SnapshotType")) &&
           rds_filter_pass(f, "engine", dd_in_str(snap->doc, "Engine"));
}

json_t *rds_op_DescribeDBSnapshots(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "DBSnapshotIdentifier");
    if (rds_filters_check(r, json_object_get(in, "Filters"), SNAPSHOT_FILTERS))
        return NULL;
    if (!name)
        return rds_describe(r, in, &rds_kind_snapshot, "DBSnapshots", true, snapshot_wanted, in);
    struct rds_res snap;
    if (rds_get_or_err(r, &rds_kind_snapshot, name, &snap))
        return NULL;
    json_t *out = json_pack("{s:[o]}", "DBSnapshots", rds_public(r, &snap, true));
    rds_res_free(&snap);
    return out;
}

json_t *rds_op_DeleteDBSnapshot(struct dd_request *r, json_t *in)
{
    struct rds_res snap;
    if (rds_get_or_err(r, &rds_kind_snapshot, dd_in_str(in, "DBSnapshotIdentifier"), &snap))
        return NULL;
    json_t *out = NULL;
    if (strcmp(dd_in_str(snap.doc, "Status"), "available") != 0)
        dd_fail(r, 400, "InvalidDBSnapshotState", "Cannot delete the snapshot because it is not in available state.");
    else {
        json_object_set_new(snap.doc, "Status", json_string("deleted"));
        out = json_pack("{s:o}", "DBSnapshot", rds_public(r, &snap, true));
        rds_res_delete(r, &snap);
    }
    rds_res_free(&snap);
    return out;
}

json_t *rds_op_RestoreDBInstanceFromDBSnapshot(struct dd_request *r, json_t *in)
{
    struct rds_res snap;
    const char *name = dd_in_str(in, "DBSnapshotIdentifier");
    if (!name)
        return dd_fail(r, 400, "InvalidParameterValue", "DBSnapshotIdentifier is required");
    if (rds_get_or_err(r, &rds_kind_snapshot, name, &snap))
        return NULL;
    json_t *out = NULL;
    if (strcmp(dd_in_str(snap.doc, "Status"), "available") != 0)
        dd_fail(r, 400, "InvalidDBSnapshotState", "Snapshot %s is not in available state.", snap.name);
    else
        out = rds_instance_create(r, in, snap.doc);
    rds_res_free(&snap);
    return out;
}
