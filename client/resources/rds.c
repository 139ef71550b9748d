/*
 * rds.c - AWS::RDS::DBSubnetGroup, AWS::RDS::DBParameterGroup and AWS::RDS::DBInstance.
 *
 * Refs are names, lowercased as RDS stores them (a generated name is lowercase from the
 * start). An instance's create waits until it is available, as CloudFormation does; its
 * in-place updates go through ModifyDBInstance with ApplyImmediately and wait again. A
 * deleted instance takes a final snapshot unless its DeletionPolicy is Delete: CloudFormation's
 * default for an instance outside a cluster is Snapshot.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"

#define INSTANCE_TIMEOUT_S 3600

/* props[key] lowercased, or a generated lowercase name of at most `max` characters. New string. */
static char *lower_name(struct rs_ctx *c, json_t *props, const char *key, size_t max)
{
    char *name = rs_str(props, key) ? strdup(rs_str(props, key)) : rs_physical_name(c, max);
    for (char *p = name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return name;
}

static const struct rs_tagging TAGGING = {"rds", "RemoveTagsFromResource", "AddTagsToResource", "ResourceName", false,
                                         "TagKeys", "Tags"};

/* `op` {name_key: physical id} (RDS names one resource by a scalar, not a list): the first item of
 * out[list] (new reference), or NULL with c->err set. */
static json_t *describe_one(struct rs_ctx *c, const char *op, const char *name_key, const char *list)
{
    json_t *out = rs_call(c, "rds", op, json_pack("{s:s}", name_key, c->physical_id));
    json_t *item = json_incref(rs_first(out, list));
    json_decref(out);
    if (out && !item)
        rs_fail(c, "%s does not find %s", op, c->physical_id);
    return item;
}

/* ---- DBSubnetGroup ------------------------------------------------------------------------------ */

static int subnet_group_create(struct rs_ctx *c, json_t *props, char **id)
{
    char *name = lower_name(c, props, "DBSubnetGroupName", 255);
    json_t *in = rs_pick(props, (const char *const[]){"DBSubnetGroupDescription", "SubnetIds", "Tags", NULL});
    json_object_set_new(in, "DBSubnetGroupName", json_string(name));
    if (rs_do(c, "rds", "CreateDBSubnetGroup", in)) {
        free(name);
        return -1;
    }
    *id = name;
    return 0;
}

static char *subnet_group_arn(struct rs_ctx *c)
{
    json_t *g = describe_one(c, "DescribeDBSubnetGroups", "DBSubnetGroupName", "DBSubnetGroups");
    char *arn = g && rs_str(g, "DBSubnetGroupArn") ? strdup(rs_str(g, "DBSubnetGroupArn")) : NULL;
    json_decref(g);
    return arn;
}

static int subnet_group_update(struct rs_ctx *c, json_t *props)
{
    if (rs_changed(c, props, "SubnetIds") || rs_changed(c, props, "DBSubnetGroupDescription")) {
        json_t *in = rs_pick(props, (const char *const[]){"DBSubnetGroupDescription", "SubnetIds", NULL});
        json_object_set_new(in, "DBSubnetGroupName", json_string(c->physical_id));
        if (rs_do(c, "rds", "ModifyDBSubnetGroup", in))
            return -1;
    }
    if (!rs_changed(c, props, "Tags"))
        return 0;
    char *arn = subnet_group_arn(c);
    int rc = arn ? rs_update_tags(c, &TAGGING, arn, props) : -1;
    free(arn);
    return rc;
}

static int subnet_group_remove(struct rs_ctx *c, json_t *props)
{
    return rs_delete_id(c, "rds", "DeleteDBSubnetGroup", "DBSubnetGroupName");
}

static const struct rs_driver subnet_group = {
    .type = "AWS::RDS::DBSubnetGroup",
    .required = (const char *const[]){"DBSubnetGroupDescription", "SubnetIds", NULL},
    .replace = (const char *const[]){"DBSubnetGroupName", NULL},
    .attributes = (const char *const[]){NULL},
    .create = subnet_group_create, .update = subnet_group_update, .remove = subnet_group_remove,
};

/* ---- DBParameterGroup --------------------------------------------------------------------------- */

/* A Parameters value as the API takes it: a string (templates may write numbers). New reference. */
static json_t *value_text(json_t *v)
{
    if (json_is_string(v))
        return json_incref(v);
    char *text = json_dumps(v, JSON_ENCODE_ANY);
    json_t *out = json_string(text ? text : "");
    free(text);
    return out;
}

/* ModifyDBParameterGroup for the Parameters map's entries in `now` that differ from `was`
 * (20 a call, as RDS allows); pending-reboot suits static and dynamic parameters alike. */
static int parameters_apply(struct rs_ctx *c, json_t *now, json_t *was)
{
    json_t *batch = json_array(), *v;
    const char *key;
    int rc = 0;
    json_object_foreach(now, key, v)
    {
        if (rc || json_equal(v, json_object_get(was, key)))
            continue;
        json_array_append_new(batch, json_pack("{s:s, s:o, s:s}", "ParameterName", key, "ParameterValue",
                                               value_text(v), "ApplyMethod", "pending-reboot"));
        if (json_array_size(batch) == 20) {
            rc = rs_do(c, "rds", "ModifyDBParameterGroup",
                       json_pack("{s:s, s:O}", "DBParameterGroupName", c->physical_id, "Parameters", batch));
            json_array_clear(batch);
        }
    }
    if (!rc && json_array_size(batch))
        rc = rs_do(c, "rds", "ModifyDBParameterGroup",
                   json_pack("{s:s, s:O}", "DBParameterGroupName", c->physical_id, "Parameters", batch));
    json_decref(batch);
    return rc;
}

static int param_group_create(struct rs_ctx *c, json_t *props, char **id)
{
    char *name = lower_name(c, props, "DBParameterGroupName", 255);
    json_t *in = rs_pick(props, (const char *const[]){"Description", "Tags", NULL});
    json_object_set_new(in, "DBParameterGroupName", json_string(name));
    json_object_set(in, "DBParameterGroupFamily", json_object_get(props, "Family"));
    if (rs_do(c, "rds", "CreateDBParameterGroup", in)) {
        free(name);
        return -1;
    }
    *id = name;
    struct rs_ctx made = *c;
    made.physical_id = name;
    int rc = parameters_apply(&made, json_object_get(props, "Parameters"), NULL);
    c->err = made.err;
    return rc;
}

static int param_group_update(struct rs_ctx *c, json_t *props)
{
    json_t *now = json_object_get(props, "Parameters"), *was = json_object_get(c->old_props, "Parameters"), *v;
    json_t *gone = json_array();
    const char *key;
    json_object_foreach(was, key, v)
    {
        if (!json_object_get(now, key))
            json_array_append_new(gone, json_pack("{s:s, s:s}", "ParameterName", key, "ApplyMethod", "pending-reboot"));
    }
    int rc = 0;
    if (json_array_size(gone))
        rc = rs_do(c, "rds", "ResetDBParameterGroup",
                   json_pack("{s:s, s:O}", "DBParameterGroupName", c->physical_id, "Parameters", gone));
    json_decref(gone);
    if (!rc)
        rc = parameters_apply(c, now, was);
    if (!rc && rs_changed(c, props, "Tags")) {
        json_t *g = describe_one(c, "DescribeDBParameterGroups", "DBParameterGroupName",
                                    "DBParameterGroups");
        rc = g ? rs_update_tags(c, &TAGGING, rs_str(g, "DBParameterGroupArn"), props) : -1;
        json_decref(g);
    }
    return rc;
}

static int param_group_remove(struct rs_ctx *c, json_t *props)
{
    return rs_delete_id(c, "rds", "DeleteDBParameterGroup", "DBParameterGroupName");
}

static const struct rs_driver param_group = {
    .type = "AWS::RDS::DBParameterGroup",
    .required = (const char *const[]){"Family", "Description", NULL},
    .replace = (const char *const[]){"DBParameterGroupName", "Family", "Description", NULL},
    .attributes = (const char *const[]){"DBParameterGroupName", NULL},
    .create = param_group_create, .update = param_group_update, .remove = param_group_remove,
};

/* ---- DBInstance ---------------------------------------------------------------------------------- */

/* CloudFormation properties that are CreateDBInstance members of the same name. */
static const char *const INSTANCE_MEMBERS[] = {
    "DBInstanceClass", "Engine", "EngineVersion", "AllocatedStorage", "MasterUsername", "MasterUserPassword",
    "DBName", "DBSubnetGroupName", "DBParameterGroupName", "Port", "MultiAZ", "PubliclyAccessible", "StorageType",
    "StorageEncrypted", "KmsKeyId", "BackupRetentionPeriod", "DeletionProtection", "Tags", "CopyTagsToSnapshot",
    "AutoMinorVersionUpgrade", "PreferredBackupWindow", "PreferredMaintenanceWindow", "Iops", "MaxAllocatedStorage",
    "AvailabilityZone", "EnableIAMDatabaseAuthentication", "MonitoringInterval", "EnablePerformanceInsights",
    "LicenseModel", "OptionGroupName", "EnableCloudwatchLogsExports", "StorageThroughput", NULL,
};

/* Properties ModifyDBInstance changes in place (CloudFormation: no replacement). */
static const char *const INSTANCE_MODIFIABLE[] = {
    "DBInstanceClass", "AllocatedStorage", "MasterUserPassword", "BackupRetentionPeriod", "DeletionProtection",
    "PubliclyAccessible", "MultiAZ", "EngineVersion", "DBParameterGroupName", "StorageType", "Iops",
    "PreferredBackupWindow", "PreferredMaintenanceWindow", "CopyTagsToSnapshot", "AutoMinorVersionUpgrade",
    "MaxAllocatedStorage", "MonitoringInterval", "EnableIAMDatabaseAuthentication", "EnablePerformanceInsights",
    "CACertificateIdentifier", "StorageThroughput", NULL,
};

struct db_wait {
    bool gone; /* waiting for the instance to be deleted */
};

static int db_probe(struct rs_ctx *c, void *ud)
{
    struct db_wait *w = ud;
    json_t *db = describe_one(c, "DescribeDBInstances", "DBInstanceIdentifier", "DBInstances");
    if (!db)
        return w->gone && rs_gone(c) ? 1 : -1;
    const char *status = rs_str(db, "DBInstanceStatus");
    int rc = w->gone || !status ? 0
             : strcmp(status, "available") == 0 && !json_object_size(json_object_get(db, "PendingModifiedValues"))
                 ? 1
             : strcmp(status, "failed") == 0 || strncmp(status, "incompatible-", 13) == 0
                 ? rs_fail(c, "the DB instance is %s", status)
                 : 0;
    json_decref(db);
    return rc;
}

static int db_create(struct rs_ctx *c, json_t *props, char **id)
{
    char *name = lower_name(c, props, "DBInstanceIdentifier", 63);
    json_t *in = rs_pick(props, INSTANCE_MEMBERS);
    json_object_set_new(in, "DBInstanceIdentifier", json_string(name));
    if (json_object_get(props, "VPCSecurityGroups"))
        json_object_set(in, "VpcSecurityGroupIds", json_object_get(props, "VPCSecurityGroups"));
    const char *op = "CreateDBInstance";
    if (rs_str(props, "DBSnapshotIdentifier")) {
        op = "RestoreDBInstanceFromDBSnapshot";
        json_object_set(in, "DBSnapshotIdentifier", json_object_get(props, "DBSnapshotIdentifier"));
    }
    if (rs_do(c, "rds", op, in)) {
        free(name);
        return -1;
    }
    *id = name;
    struct rs_ctx probe = *c;
    probe.physical_id = name;
    int rc = rs_wait(&probe, "waiting for available", db_probe, &(struct db_wait){false}, INSTANCE_TIMEOUT_S);
    c->err = probe.err;
    return rc;
}

static int db_read(struct rs_ctx *c, json_t *props)
{
    json_t *db = describe_one(c, "DescribeDBInstances", "DBInstanceIdentifier", "DBInstances");
    if (!db)
        return -1;
    json_t *endpoint = json_object_get(db, "Endpoint");
    rs_attr(c, endpoint, "Address", "Endpoint.Address");
    rs_attr(c, endpoint, "HostedZoneId", "Endpoint.HostedZoneId");
    if (json_object_get(endpoint, "Port")) /* CloudFormation answers the port as a string */
        json_object_set_new(c->attrs, "Endpoint.Port",
                            json_sprintf("%lld", (long long)json_integer_value(json_object_get(endpoint, "Port"))));
    rs_attr(c, db, "DBInstanceArn", "DBInstanceArn");
    rs_attr(c, db, "DbiResourceId", "DbiResourceId");
    json_decref(db);
    return 0;
}

static int db_update(struct rs_ctx *c, json_t *props)
{
    json_t *in = json_pack("{s:s, s:b}", "DBInstanceIdentifier", c->physical_id, "ApplyImmediately", 1);
    size_t changed = 0;
    for (const char *const *k = INSTANCE_MODIFIABLE; *k; k++) {
        if (!rs_changed(c, props, *k) || !json_object_get(props, *k))
            continue;
        json_object_set(in, *k, json_object_get(props, *k));
        changed++;
    }
    if (rs_changed(c, props, "VPCSecurityGroups") && json_object_get(props, "VPCSecurityGroups")) {
        json_object_set(in, "VpcSecurityGroupIds", json_object_get(props, "VPCSecurityGroups"));
        changed++;
    }
    if (rs_changed(c, props, "Port") && json_object_get(props, "Port")) {
        json_object_set(in, "DBPortNumber", json_object_get(props, "Port"));
        changed++;
    }
    if (json_object_get(in, "EngineVersion"))
        json_object_set_new(in, "AllowMajorVersionUpgrade", json_true());
    int rc = 0;
    if (changed)
        rc = rs_do(c, "rds", "ModifyDBInstance", in);
    else
        json_decref(in);
    if (!rc && changed)
        rc = rs_wait(c, "waiting for available", db_probe, &(struct db_wait){false}, INSTANCE_TIMEOUT_S);
    if (!rc && rs_changed(c, props, "Tags")) {
        json_t *db = describe_one(c, "DescribeDBInstances", "DBInstanceIdentifier", "DBInstances");
        rc = db ? rs_update_tags(c, &TAGGING, rs_str(db, "DBInstanceArn"), props) : -1;
        json_decref(db);
    }
    return rc;
}

static int db_remove(struct rs_ctx *c, json_t *props)
{
    json_t *in = json_pack("{s:s}", "DBInstanceIdentifier", c->physical_id);
    if (c->deletion_policy && strcmp(c->deletion_policy, "Delete") == 0) {
        json_object_set_new(in, "SkipFinalSnapshot", json_true());
    } else {
        char *name = rs_physical_name(c, 255), *p;
        for (p = name; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        size_t n = strlen(name) + 10;
        char *snapshot = malloc(n);
        snprintf(snapshot, n, "%s-snapshot", name);
        json_object_set_new(in, "FinalDBSnapshotIdentifier", json_string(snapshot));
        free(snapshot);
        free(name);
    }
    int rc = rs_do(c, "rds", "DeleteDBInstance", in);
    if (rc && rs_gone(c))
        return 0;
    if (rc && strcmp(c->err.code, "InvalidDBInstanceState") != 0) /* already deleting: wait for it */
        return -1;
    return rs_wait(c, "waiting for deleted", db_probe, &(struct db_wait){true}, INSTANCE_TIMEOUT_S);
}

static const struct rs_driver instance = {
    .type = "AWS::RDS::DBInstance",
    .required = (const char *const[]){NULL},
    .replace = (const char *const[]){"DBInstanceIdentifier", "DBName", "DBSubnetGroupName", "Engine", "KmsKeyId",
                                     "MasterUsername", "StorageEncrypted", "AvailabilityZone", "CharacterSetName",
                                     "DBSnapshotIdentifier", "SourceDBInstanceIdentifier", "Timezone",
                                     "DBClusterIdentifier", "NcharCharacterSetName", NULL},
    .attributes = (const char *const[]){"Endpoint.Address", "Endpoint.Port", "Endpoint.HostedZoneId",
                                        "DBInstanceArn", "DbiResourceId", NULL},
    .create = db_create, .read = db_read, .update = db_update, .remove = db_remove,
};

const struct rs_driver *const rs_family_rds[] = {&subnet_group, &param_group, &instance, NULL};
