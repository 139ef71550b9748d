/*
 * rds_instance.c - DB instances: AWS's rules on identifiers, engines,
 * versions, classes, storage, credentials and networking; a requester-managed
 * network interface in one of the subnet group's subnets (so EC2 refuses to
 * delete the subnet, VPC or security groups while the database exists); the
 * endpoint; and the lifecycle on the simulation clock.
 *
 * Every transitional status (creating, backing-up, modifying, rebooting,
 * stopping, starting, deleting, ...) schedules one "rds.instance.settle"
 * event; when it runs, the status says what comes next (creating ->
 * backing-up -> available, stopping -> stopped, deleting -> gone, ...).
 * Modifications wait in PendingModifiedValues until applied: at once with
 * ApplyImmediately (status modifying), else at the next maintenance window
 * (the admin action apply-pending).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2.h"
#include "rds_internal.h"
#include "sim.h"

/* ---- the lifecycle ------------------------------------------------------------------ */

/* How long each transitional status lasts: {fast ms, AWS-like ms}. */
static const struct {
    const char *status;
    int64_t fast_ms, aws_ms;
} STEPS[] = {
    {"creating", 240, 240000},  {"backing-up", 120, 120000}, {"modifying", 60, 60000},
    {"resetting-master-credentials", 30, 30000}, {"rebooting", 30, 30000}, {"starting", 120, 120000},
    {"stopping", 60, 60000},    {"deleting", 60, 60000},
};

static const char *status_of(struct rds_res *db)
{
    return dd_in_str(db->doc, "DBInstanceStatus");
}

/* Moves `db` into a transitional status and schedules its end (the row is saved). 0 or -1. */
static int begin(struct dd_request *r, struct rds_res *db, const char *status)
{
    json_object_set_new(db->doc, "DBInstanceStatus", json_string(status));
    rds_res_save(r, db);
    char *arn = rds_arn(r, &rds_kind_db, db->name);
    int rc = 0;
    sim_cancel(r, "rds.instance.settle", arn);
    for (size_t i = 0; i < sizeof STEPS / sizeof *STEPS; i++)
        if (strcmp(STEPS[i].status, status) == 0)
            rc = sim_schedule(r, sim_delay_ms(STEPS[i].fast_ms, STEPS[i].aws_ms), "rds.instance.settle", arn, NULL);
    free(arn);
    return rc;
}

/* Applies PendingModifiedValues to the instance (the password is never kept). */
static void apply_pending(struct rds_res *db)
{
    json_t *pending = json_object_get(db->doc, "PendingModifiedValues"), *v;
    const char *key;
    json_object_foreach(pending, key, v)
    {
        if (strcmp(key, "Port") == 0)
            json_object_set(json_object_get(db->doc, "Endpoint"), "Port", v);
        else if (strcmp(key, "MasterUserPassword") != 0)
            json_object_set(db->doc, key, v);
    }
    if (json_object_get(pending, "EngineVersion")) {
        char group[64];
        json_t *engine = rds_engine(dd_in_str(db->doc, "Engine"));
        rds_option_group(engine, dd_in_str(db->doc, "Engine"), dd_in_str(db->doc, "EngineVersion"), group);
        json_object_set_new(json_array_get(json_object_get(db->doc, "OptionGroupMemberships"), 0), "OptionGroupName",
                            json_string(group));
    }
    json_object_clear(pending);
}

/* An instance once created: reachable at its endpoint. */
static void created(struct dd_request *r, struct rds_res *db)
{
    json_object_set_new(db->doc, "InstanceCreateTime", json_real((double)r->now_ms / 1000.0));
    json_object_set_new(db->doc, "LatestRestorableTime", json_real((double)r->now_ms / 1000.0));
    json_object_set(db->doc, "Endpoint", json_object_get(db->doc, "_endpoint"));
    json_object_clear(json_object_get(db->doc, "PendingModifiedValues"));
}

static void destroy(struct dd_request *r, struct rds_res *db)
{
    ec2_managed_eni_delete(r, dd_in_str(db->doc, "_eni"));
    rds_res_delete(r, db);
}

int rds_instance_settle(struct dd_request *r, const char *arn, json_t *payload)
{
    (void)payload;
    struct rds_res db;
    if (rds_load(r, &rds_kind_db, arn, &db))
        return 0;
    const char *status = status_of(&db), *next = "available";
    int rc = 0;
    json_t *group = json_array_get(json_object_get(db.doc, "DBParameterGroups"), 0);
    if (strcmp(status, "creating") == 0) {
        created(r, &db);
        if (dd_in_int(db.doc, "BackupRetentionPeriod", 0) > 0) /* the first automated backup */
            next = "backing-up";
    } else if (strcmp(status, "modifying") == 0 || strcmp(status, "resetting-master-credentials") == 0) {
        apply_pending(&db);
    } else if (strcmp(status, "rebooting") == 0 || strcmp(status, "starting") == 0) {
        json_object_set_new(group, "ParameterApplyStatus", json_string("in-sync"));
    } else if (strcmp(status, "stopping") == 0) {
        next = "stopped";
    } else if (strcmp(status, "deleting") == 0) {
        destroy(r, &db);
        next = NULL;
    }
    if (next && strcmp(next, "backing-up") == 0)
        rc = begin(r, &db, next);
    else if (next) {
        json_object_set_new(db.doc, "DBInstanceStatus", json_string(next));
        rds_res_save(r, &db);
    }
    rds_res_free(&db);
    return rc;
}

/* Loads an instance that must be `want` (available, stopped): 0, or -1 with InvalidDBInstanceState. */
static int instance_in_or_err(struct dd_request *r, const char *id, const char *want, const char *message,
                              struct rds_res *db)
{
    if (rds_get_or_err(r, &rds_kind_db, id, db))
        return -1;
    if (strcmp(status_of(db), want) == 0)
        return 0;
    dd_fail(r, 400, "InvalidDBInstanceState", message, db->name);
    rds_res_free(db);
    return -1;
}

/* ---- the rules of CreateDBInstance ------------------------------------------------------ */

static int engine_version_or_err(struct dd_request *r, json_t *engine, const char *name, const char *want,
                                 const char **version)
{
    *version = want ? rds_engine_version(engine, want) : dd_in_str(engine, "default_version");
    if (!*version)
        return dd_reject(r, 400, "InvalidParameterCombination", "Cannot find version %s for %s", want, name);
    return 0;
}

static int class_or_err(struct dd_request *r, json_t *engine, const char *name, const char *version, const char *cls)
{
    if (rds_class_known(cls))
        return 0;
    return dd_reject(r, 400, "InvalidParameterCombination",
                     "RDS does not support creating a DB instance with the following combination: DBInstanceClass=%s, "
                     "Engine=%s, EngineVersion=%s, LicenseModel=%s. For supported combinations of instance class and "
                     "database engine version, see the documentation.",
                     cls, name, version, dd_in_str(engine, "license"));
}

static int storage_or_err(struct dd_request *r, json_t *engine, const char *name, const char *type, json_int_t size)
{
    json_t *range = json_object_get(json_object_get(engine, "storage"), type);
    if (!range)
        return dd_reject(r, 400, "InvalidParameterValue", "Invalid storage type: %s", type);
    if (size < json_integer_value(json_array_get(range, 0)) || size > json_integer_value(json_array_get(range, 1)))
        return dd_reject(r, 400, "InvalidParameterCombination",
                         "Invalid storage size for engine name %s and storage type %s: %lld", name, type,
                         (long long)size);
    return 0;
}

static int username_or_err(struct dd_request *r, json_t *engine, const char *user)
{
    size_t n = user ? strlen(user) : 0, i;
    json_t *w;
    if (!n)
        return dd_reject(r, 400, "InvalidParameterValue",
                         "The parameter MasterUsername must be provided and must not be blank.");
    bool ok = isalpha((unsigned char)user[0]) && n <= (size_t)dd_in_int(engine, "username_max", 16);
    for (i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)user[i]) || user[i] == '_';
    if (!ok)
        return dd_reject(r, 400, "InvalidParameterValue",
                         "MasterUsername must begin with a letter and contain only alphanumeric characters or "
                         "underscores, %lld at most.",
                         (long long)dd_in_int(engine, "username_max", 16));
    json_array_foreach(json_object_get(engine, "reserved_usernames"), i, w)
    {
        if (strcasecmp(json_string_value(w), user) == 0)
            return dd_reject(r, 400, "InvalidParameterValue",
                             "MasterUsername %s cannot be used as it is a reserved word used by the engine", user);
    }
    return 0;
}

static int password_or_err(struct dd_request *r, json_t *engine, const char *pw)
{
    size_t n = pw ? strlen(pw) : 0, max = (size_t)dd_in_int(engine, "password_max", 41);
    if (!n)
        return dd_reject(r, 400, "InvalidParameterValue",
                         "The parameter MasterUserPassword must be provided and must not be blank.");
    for (size_t i = 0; i < n; i++)
        if (pw[i] <= ' ' || pw[i] > '~' || strchr("/@\"", pw[i]))
            return dd_reject(r, 400, "InvalidParameterValue",
                             "The parameter MasterUserPassword is not a valid password. Only printable ASCII "
                             "characters besides '/', '@', '\"', ' ' may be used.");
    if (n < 8)
        return dd_reject(r, 400, "InvalidParameterValue",
                         "The parameter MasterUserPassword is not a valid password because it is shorter than 8 "
                         "characters.");
    if (n > max)
        return dd_reject(r, 400, "InvalidParameterValue",
                         "The parameter MasterUserPassword is not a valid password because it is longer than %zu "
                         "characters.",
                         max);
    return 0;
}

static int dbname_or_err(struct dd_request *r, json_t *engine, const char *dbname)
{
    size_t n = dbname ? strlen(dbname) : 0;
    if (!dbname)
        return 0;
    bool ok = n > 0 && n <= (size_t)dd_in_int(engine, "dbname_max", 63) && isalpha((unsigned char)dbname[0]);
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)dbname[i]) || (dbname[i] == '_' && dd_in_bool(engine, "dbname_underscore"));
    if (ok)
        return 0;
    return dd_reject(r, 400, "InvalidParameterValue", "DBName must begin with a letter and contain only alphanumeric "
                                                       "characters.");
}

/* Every security group exists and lives in the subnet group's VPC: 0, or -1. */
static int groups_or_err(struct dd_request *r, json_t *groups, const char *vpc_id)
{
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        char vpc[64];
        if (ec2_sg_vpc(r, json_string_value(g), vpc))
            return dd_reject(r, 400, "InvalidParameterValue", "Invalid security group , groupId= %s, groupName=.",
                             json_string_value(g));
        if (strcmp(vpc, vpc_id) != 0)
            return dd_reject(r, 400, "InvalidParameterCombination",
                             "The DB instance and EC2 security group are in different VPCs. The DB instance is in %s "
                             "and the EC2 security group is in %s",
                             vpc_id, vpc);
    }
    return 0;
}

static json_t *group_memberships(json_t *groups)
{
    json_t *out = json_array(), *g;
    size_t i;
    json_array_foreach(groups, i, g)
    {
        json_array_append_new(out, json_pack("{s:O, s:s}", "VpcSecurityGroupId", g, "Status", "active"));
    }
    return out;
}

/* ---- identities ------------------------------------------------------------------------- */

/* The 12 characters of an endpoint that stand for the account in a region (stable, as AWS's are). */
static void endpoint_id(struct dd_request *r, char out[13])
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = r->account; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    for (const char *p = r->region; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    for (int i = 0; i < 12; i++, h /= 36)
        out[i] = alphabet[h % 36];
    out[0] = 'c'; /* AWS's ids start with a letter */
    out[12] = '\0';
}

/* "db-" and 26 base32 characters, like AWS's DbiResourceId. */
static void resource_id(char out[30])
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    char hex[27];
    dd_random_hex(hex, 26);
    memcpy(out, "db-", 3);
    for (int i = 0; i < 26; i++)
        out[3 + i] = alphabet[(hex[i] <= '9' ? hex[i] - '0' : hex[i] - 'a' + 10) * 2 % 32 + (i & 1)];
    out[29] = '\0';
}

/* The KMS key an encrypted instance uses, as an ARN (new string). */
static char *kms_key_arn(struct dd_request *r, const char *given)
{
    char id[37];
    if (given && strncmp(given, "arn:", 4) == 0)
        return strdup(given);
    if (given)
        return dd_arn(r, "kms", "%s%s", strncmp(given, "alias/", 6) == 0 ? "" : "key/", given);
    dd_random_hex(id, 32); /* the account's aws/rds key */
    return dd_arn(r, "kms", "key/%.8s-%.4s-%.4s-%.4s-%.12s", id, id + 8, id + 12, id + 16, id + 20);
}

/* ---- CreateDBInstance --------------------------------------------------------------------- */

/* The settings an instance is made from: the call's, or for a restore the snapshot's where the call is silent. */
struct spec {
    const char *id, *engine_name, *version, *cls, *storage_type, *user, *dbname;
    json_t *engine, *in, *snapshot;
    json_int_t storage, port;
};

static const char *spec_str(struct spec *s, const char *key, const char *snapshot_key)
{
    const char *v = dd_in_str(s->in, key);
    return v || !s->snapshot ? v : dd_in_str(s->snapshot, snapshot_key);
}

static int spec_or_err(struct dd_request *r, struct spec *s)
{
    s->id = dd_in_str(s->in, "DBInstanceIdentifier");
    s->engine_name = s->snapshot ? dd_in_str(s->snapshot, "Engine") : dd_in_str(s->in, "Engine");
    s->engine = rds_engine(s->engine_name);
    if (rds_identifier_or_err(r, "DBInstanceIdentifier", s->id, 63))
        return -1;
    if (!s->engine)
        return dd_reject(r, 400, "InvalidParameterValue", "Invalid DB engine: %s", s->engine_name);
    if (engine_version_or_err(r, s->engine, s->engine_name, spec_str(s, "EngineVersion", "EngineVersion"),
                              &s->version))
        return -1;
    s->cls = spec_str(s, "DBInstanceClass", "_class");
    s->storage_type = spec_str(s, "StorageType", "StorageType");
    if (!s->storage_type)
        s->storage_type = json_object_get(s->in, "Iops") ? "io1" : "gp2";
    s->storage = s->snapshot ? dd_in_int(s->snapshot, "AllocatedStorage", 0) : dd_in_int(s->in, "AllocatedStorage", 0);
    s->port = dd_in_int(s->in, "Port", s->snapshot ? dd_in_int(s->snapshot, "Port", 0)
                                                   : dd_in_int(s->engine, "port", 0));
    s->user = s->snapshot ? dd_in_str(s->snapshot, "MasterUsername") : dd_in_str(s->in, "MasterUsername");
    s->dbname = spec_str(s, "DBName", "_dbname");
    if (class_or_err(r, s->engine, s->engine_name, s->version, s->cls) ||
        storage_or_err(r, s->engine, s->engine_name, s->storage_type, s->storage))
        return -1;
    if (!s->snapshot && (username_or_err(r, s->engine, s->user) ||
                         password_or_err(r, s->engine, dd_in_str(s->in, "MasterUserPassword")) ||
                         dbname_or_err(r, s->engine, s->dbname)))
        return -1;
    json_int_t retention = dd_in_int(s->in, "BackupRetentionPeriod", 1);
    if (retention < 0 || retention > 35)
        return dd_reject(r, 400, "InvalidParameterValue",
                         "The parameter BackupRetentionPeriod must be a value from 0 to 35.");
    if (dd_in_bool(s->in, "MultiAZ") && dd_in_str(s->in, "AvailabilityZone"))
        return dd_reject(r, 400, "InvalidParameterValue",
                         "Requesting a specific availability zone is not valid for Multi-AZ instances.");
    if (dd_in_str(s->in, "KmsKeyId") && !dd_in_bool(s->in, "StorageEncrypted") && !s->snapshot)
        return dd_reject(r, 400, "InvalidParameterCombination", "Encryption must be enabled when specifying KmsKeyId");
    return 0;
}

/* The subnet the instance lives in: one in the zone asked for, else one picked by its name. */
static const char *place_or_err(struct dd_request *r, struct spec *s, json_t *group, const char **zone,
                                const char **secondary)
{
    json_t *subnets = json_object_get(group, "Subnets"), *chosen = NULL, *sub;
    const char *want = dd_in_str(s->in, "AvailabilityZone");
    size_t i, n = json_array_size(subnets), h = 0;
    for (const char *p = s->id; *p; p++)
        h = h * 31 + (unsigned char)tolower((unsigned char)*p);
    json_array_foreach(subnets, i, sub)
    {
        if (want && !chosen && strcmp(dd_in_str(json_object_get(sub, "SubnetAvailabilityZone"), "Name"), want) == 0)
            chosen = sub;
    }
    if (want && !chosen) {
        dd_fail(r, 400, "InvalidParameterCombination",
                "No subnets in DB subnet group %s cover the availability zone %s", dd_in_str(group, "DBSubnetGroupName"),
                want);
        return NULL;
    }
    if (!chosen)
        chosen = json_array_get(subnets, h % n);
    *zone = dd_in_str(json_object_get(chosen, "SubnetAvailabilityZone"), "Name");
    *secondary = NULL;
    json_array_foreach(subnets, i, sub)
    {
        const char *z = dd_in_str(json_object_get(sub, "SubnetAvailabilityZone"), "Name");
        if (!*secondary && strcmp(z, *zone) != 0)
            *secondary = z;
    }
    return dd_in_str(chosen, "SubnetIdentifier");
}

static json_t *instance_doc(struct dd_request *r, struct spec *s, json_t *group, json_t *groups, const char *pg,
                            const char *zone)
{
    char eid[13], dbi[30], option_group[64], address[256];
    json_t *in = s->in;
    endpoint_id(r, eid);
    resource_id(dbi);
    rds_option_group(s->engine, s->engine_name, s->version, option_group);
    char lower[64];
    rds_lower(s->id, lower, sizeof lower);
    snprintf(address, sizeof address, "%s.%s.%s.rds.amazonaws.com", lower, eid, r->region);
    char *arn = rds_arn(r, &rds_kind_db, lower);
    bool is_default_group = strcmp(dd_in_str(group, "DBSubnetGroupName"), "default") == 0;
    json_t *publicly = json_object_get(in, "PubliclyAccessible");
    bool encrypted = s->snapshot ? dd_in_bool(s->snapshot, "Encrypted") : dd_in_bool(in, "StorageEncrypted");
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:[], s:o, s:[{s:s, s:s}], s:s, s:O, s:s, s:{s:s}, s:b, s:s, "
        "s:b, s:[], s:[], s:s, s:[{s:s, s:s}], s:b, s:s, s:I, s:b, s:s, s:s, s:[], s:b, s:I, s:s, s:b, s:b, s:b, "
        "s:[], s:b, s:s, s:s, s:[], s:[]}",
        "DBInstanceIdentifier", lower, "DBInstanceClass", s->cls, "Engine", s->engine_name, "DBInstanceStatus",
        "creating", "MasterUsername", s->user, "AllocatedStorage", s->storage, "PreferredBackupWindow",
        dd_in_str(in, "PreferredBackupWindow") ? dd_in_str(in, "PreferredBackupWindow") : "03:00-03:30",
        "BackupRetentionPeriod", dd_in_int(in, "BackupRetentionPeriod", 1), "DBSecurityGroups", "VpcSecurityGroups",
        group_memberships(groups), "DBParameterGroups", "DBParameterGroupName", pg, "ParameterApplyStatus", "in-sync",
        "AvailabilityZone", zone, "DBSubnetGroup", group, "PreferredMaintenanceWindow",
        dd_in_str(in, "PreferredMaintenanceWindow") ? dd_in_str(in, "PreferredMaintenanceWindow")
                                                    : "sun:05:00-sun:05:30",
        "PendingModifiedValues", "MasterUserPassword", "****", "MultiAZ", dd_in_bool(in, "MultiAZ"), "EngineVersion",
        s->version, "AutoMinorVersionUpgrade",
        json_object_get(in, "AutoMinorVersionUpgrade") ? dd_in_bool(in, "AutoMinorVersionUpgrade") : 1,
        "ReadReplicaDBInstanceIdentifiers", "ReadReplicaDBClusterIdentifiers", "LicenseModel",
        dd_in_str(s->engine, "license"), "OptionGroupMemberships", "OptionGroupName", option_group, "Status",
        "in-sync", "PubliclyAccessible", publicly ? json_is_true(publicly) : is_default_group, "StorageType",
        s->storage_type, "DbInstancePort", (json_int_t)0, "StorageEncrypted", encrypted, "DbiResourceId", dbi,
        "CACertificateIdentifier", "rds-ca-rsa2048-g1", "DomainMemberships", "CopyTagsToSnapshot",
        dd_in_bool(in, "CopyTagsToSnapshot"), "MonitoringInterval", dd_in_int(in, "MonitoringInterval", 0),
        "DBInstanceArn", arn, "IAMDatabaseAuthenticationEnabled", dd_in_bool(in, "EnableIAMDatabaseAuthentication"),
        "PerformanceInsightsEnabled", dd_in_bool(in, "EnablePerformanceInsights"), "DeletionProtection",
        dd_in_bool(in, "DeletionProtection"), "AssociatedRoles", "CustomerOwnedIpEnabled", 0, "BackupTarget",
        "region", "NetworkType", "IPV4", "EnabledCloudwatchLogsExports", "ProcessorFeatures");
    free(arn);
    json_t *zone_id = json_object_get(json_object_get(rds_fixture(), "hosted_zones"), r->region);
    json_t *endpoint = json_pack("{s:s, s:I}", "Address", address, "Port", s->port);
    if (zone_id)
        json_object_set(endpoint, "HostedZoneId", zone_id);
    json_object_set_new(doc, "_endpoint", endpoint);
    if (s->dbname)
        json_object_set_new(doc, "DBName", json_string(s->dbname));
    if (json_object_get(in, "EnableCloudwatchLogsExports"))
        json_object_set(doc, "EnabledCloudwatchLogsExports", json_object_get(in, "EnableCloudwatchLogsExports"));
    if (json_object_get(in, "MaxAllocatedStorage"))
        json_object_set(doc, "MaxAllocatedStorage", json_object_get(in, "MaxAllocatedStorage"));
    if (json_object_get(in, "Iops"))
        json_object_set(doc, "Iops", json_object_get(in, "Iops"));
    if (strcmp(s->storage_type, "gp3") == 0) /* gp3's baseline below 400 GiB */
        json_object_set_new(doc, "StorageThroughput", json_integer(125));
    if (encrypted) {
        char *key = kms_key_arn(r, s->snapshot ? dd_in_str(s->snapshot, "KmsKeyId") : dd_in_str(in, "KmsKeyId"));
        json_object_set_new(doc, "KmsKeyId", json_string(key));
        free(key);
    }
    if (s->snapshot)
        json_object_clear(json_object_get(doc, "PendingModifiedValues"));
    return doc;
}

/* The groups of the call, or the VPC's default group (new array). */
static json_t *groups_of(struct dd_request *r, json_t *in, const char *vpc_id)
{
    json_t *groups = json_object_get(in, "VpcSecurityGroupIds");
    if (json_array_size(groups))
        return json_incref(groups);
    char sg[64];
    ec2_vpc_default_sg(r, vpc_id, sg);
    return sg[0] ? json_pack("[s]", sg) : json_array();
}

json_t *rds_instance_create(struct dd_request *r, json_t *in, json_t *snapshot)
{
    struct spec s = {.in = in, .snapshot = snapshot};
    struct rds_res db = {0};
    char family[64], pg[256], eni[64], ip[16];
    const char *zone, *secondary, *subnet;
    json_t *group = NULL, *groups = NULL, *out = NULL;
    if (spec_or_err(r, &s))
        return NULL;
    if (rds_load(r, &rds_kind_db, s.id, &db) == 0) {
        rds_res_free(&db);
        return dd_fail(r, 400, "DBInstanceAlreadyExists", "DB Instance already exists");
    }
    rds_family(s.engine, s.version, family);
    group = rds_subnet_group_for_instance(r, spec_str(&s, "DBSubnetGroupName", "_subnet_group"));
    if (!group)
        return NULL;
    groups = groups_of(r, in, dd_in_str(group, "VpcId"));
    if (groups_or_err(r, groups, dd_in_str(group, "VpcId")) ||
        rds_param_group_for_instance(r, spec_str(&s, "DBParameterGroupName", "_parameter_group"), family, pg) ||
        !(subnet = place_or_err(r, &s, group, &zone, &secondary)) ||
        ec2_managed_eni_create(r, subnet, groups, "RDSNetworkInterface", eni, ip))
        goto cleanup;
    rds_res_init(&db, &rds_kind_db, s.id, dd_in_str(group, "DBSubnetGroupName"));
    json_decref(db.doc);
    db.doc = instance_doc(r, &s, group, groups, pg, zone);
    json_object_set_new(db.doc, "_eni", json_string(eni));
    json_object_set_new(db.doc, "_subnet", json_string(subnet));
    if (dd_in_bool(in, "MultiAZ") && secondary)
        json_object_set_new(db.doc, "SecondaryAvailabilityZone", json_string(secondary));
    char *arn = rds_arn(r, &rds_kind_db, db.name);
    int rc = rds_tags_add(r, arn, json_object_get(in, "Tags"));
    free(arn);
    if (rc == 0 && begin(r, &db, "creating") == 0)
        out = json_pack("{s:o}", "DBInstance", rds_public(r, &db, true));
cleanup:
    json_decref(group);
    json_decref(groups);
    rds_res_free(&db);
    return out;
}

json_t *rds_op_CreateDBInstance(struct dd_request *r, json_t *in)
{
    return rds_instance_create(r, in, NULL);
}

/* ---- Describe ------------------------------------------------------------------------------ */

static const char *const INSTANCE_FILTERS[] = {"db-instance-id", "dbi-resource-id", "engine", "db-cluster-id",
                                               "domain", NULL};

static bool instance_wanted(struct dd_request *r, struct rds_res *db, void *ctx)
{
    (void)r;
    json_t *f = ctx;
    return rds_filter_pass(f, "db-instance-id", db->name) &&
           rds_filter_pass(f, "dbi-resource-id", dd_in_str(db->doc, "DbiResourceId")) &&
           rds_filter_pass(f, "engine", dd_in_str(db->doc, "Engine")) && rds_filter_pass(f, "db-cluster-id", NULL) &&
           rds_filter_pass(f, "domain", NULL);
}

json_t *rds_op_DescribeDBInstances(struct dd_request *r, json_t *in)
{
    const char *id = dd_in_str(in, "DBInstanceIdentifier");
    json_t *filters = json_object_get(in, "Filters");
    if (rds_filters_check(r, filters, INSTANCE_FILTERS))
        return NULL;
    if (!id)
        return rds_describe(r, in, &rds_kind_db, "DBInstances", true, instance_wanted, filters);
    struct rds_res db;
    if (rds_get_or_err(r, &rds_kind_db, id, &db))
        return NULL;
    json_t *out = json_pack("{s:[o]}", "DBInstances", rds_public(r, &db, true));
    rds_res_free(&db);
    return out;
}

/* ---- ModifyDBInstance ------------------------------------------------------------------------- */

/* Members applied in place at once, whatever ApplyImmediately says. */
static const char *const IMMEDIATE[] = {"DeletionProtection", "PubliclyAccessible", "CopyTagsToSnapshot",
                                        "AutoMinorVersionUpgrade", "PreferredBackupWindow",
                                        "PreferredMaintenanceWindow", "MaxAllocatedStorage", "BackupRetentionPeriod",
                                        "MonitoringInterval", "CACertificateIdentifier", NULL};
/* Members that wait for the maintenance window unless ApplyImmediately. */
static const char *const DEFERRED[] = {"DBInstanceClass", "AllocatedStorage", "MultiAZ", "EngineVersion",
                                       "StorageType", "Iops", NULL};

static int engine_upgrade_or_err(struct dd_request *r, struct rds_res *db, json_t *in, json_t *engine,
                                 const char **version)
{
    const char *name = dd_in_str(db->doc, "Engine"), *have = dd_in_str(db->doc, "EngineVersion");
    char from[64], to[64];
    if (engine_version_or_err(r, engine, name, dd_in_str(in, "EngineVersion"), version))
        return -1;
    if (rds_version_cmp(*version, have) < 0)
        return dd_reject(r, 400, "InvalidParameterCombination", "Cannot upgrade %s from %s to %s", name, have,
                         *version);
    rds_family(engine, have, from);
    rds_family(engine, *version, to);
    if (strcmp(from, to) != 0 && !dd_in_bool(in, "AllowMajorVersionUpgrade"))
        return dd_reject(r, 400, "InvalidParameterCombination",
                         "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.");
    return 0;
}

/* Checks what the call changes: 0, or -1 with AWS's error. */
static int modify_or_err(struct dd_request *r, struct rds_res *db, json_t *in, json_t *changes)
{
    json_t *engine = rds_engine(dd_in_str(db->doc, "Engine"));
    const char *name = dd_in_str(db->doc, "Engine"), *version = dd_in_str(db->doc, "EngineVersion");
    if (dd_in_str(in, "NewDBInstanceIdentifier"))
        return dd_reject(r, 400, "InvalidParameterValue", "Renaming a DB instance is not supported by drydock");
    if (dd_in_str(in, "DBSubnetGroupName") &&
        strcasecmp(dd_in_str(in, "DBSubnetGroupName"), db->parent) != 0)
        return dd_reject(r, 400, "InvalidParameterValue",
                         "Moving a DB instance to another DB subnet group is not supported by drydock");
    if (dd_in_str(in, "EngineVersion") && engine_upgrade_or_err(r, db, in, engine, &version))
        return -1;
    if (dd_in_str(in, "EngineVersion"))
        json_object_set_new(changes, "EngineVersion", json_string(version));
    if (dd_in_str(in, "DBInstanceClass") && class_or_err(r, engine, name, version, dd_in_str(in, "DBInstanceClass")))
        return -1;
    const char *type = dd_in_str(in, "StorageType") ? dd_in_str(in, "StorageType") : dd_in_str(db->doc, "StorageType");
    json_int_t size = dd_in_int(in, "AllocatedStorage", dd_in_int(db->doc, "AllocatedStorage", 0));
    if (storage_or_err(r, engine, name, type, size))
        return -1;
    if (size < dd_in_int(db->doc, "AllocatedStorage", 0))
        return dd_reject(r, 400, "InvalidParameterValue",
                         "Invalid storage size for engine name %s and storage type %s: %lld. Allocated storage can't "
                         "be decreased.",
                         name, type, (long long)size);
    if (dd_in_str(in, "MasterUserPassword") && password_or_err(r, engine, dd_in_str(in, "MasterUserPassword")))
        return -1;
    json_int_t retention = dd_in_int(in, "BackupRetentionPeriod", 0);
    if (retention < 0 || retention > 35)
        return dd_reject(r, 400, "InvalidParameterValue",
                         "The parameter BackupRetentionPeriod must be a value from 0 to 35.");
    json_t *groups = json_object_get(in, "VpcSecurityGroupIds");
    if (groups && groups_or_err(r, groups, dd_in_str(json_object_get(db->doc, "DBSubnetGroup"), "VpcId")))
        return -1;
    return 0;
}

/* Applies the call's immediate members, security groups and parameter group to the document. */
static int modify_now(struct dd_request *r, struct rds_res *db, json_t *in)
{
    for (const char *const *k = IMMEDIATE; *k; k++)
        if (json_object_get(in, *k))
            json_object_set(db->doc, *k, json_object_get(in, *k));
    json_t *groups = json_object_get(in, "VpcSecurityGroupIds");
    if (groups) {
        json_object_set_new(db->doc, "VpcSecurityGroups", group_memberships(groups));
        ec2_eni_set_groups(r, dd_in_str(db->doc, "_eni"), groups);
    }
    if (dd_in_str(in, "DBParameterGroupName")) {
        char family[64], pg[256];
        rds_family(rds_engine(dd_in_str(db->doc, "Engine")), dd_in_str(db->doc, "EngineVersion"), family);
        if (rds_param_group_for_instance(r, dd_in_str(in, "DBParameterGroupName"), family, pg))
            return -1;
        json_object_set_new(db->doc, "DBParameterGroups",
                            json_pack("[{s:s, s:s}]", "DBParameterGroupName", pg, "ParameterApplyStatus",
                                      "pending-reboot"));
    }
    return 0;
}

json_t *rds_op_ModifyDBInstance(struct dd_request *r, json_t *in)
{
    struct rds_res db;
    if (instance_in_or_err(r, dd_in_str(in, "DBInstanceIdentifier"), "available",
                           "Instance %s is not in available state.", &db))
        return NULL;
    json_t *changes = json_object(), *out = NULL;
    json_t *pending = json_object_get(db.doc, "PendingModifiedValues");
    if (modify_or_err(r, &db, in, changes) || modify_now(r, &db, in))
        goto cleanup;
    for (const char *const *k = DEFERRED; *k; k++)
        if (json_object_get(in, *k) && !json_object_get(changes, *k))
            json_object_set(changes, *k, json_object_get(in, *k));
    if (json_object_get(in, "DBPortNumber"))
        json_object_set(changes, "Port", json_object_get(in, "DBPortNumber"));
    json_object_update(pending, changes);
    const char *status = NULL;
    if (dd_in_bool(in, "ApplyImmediately") && json_object_size(changes))
        status = "modifying";
    if (dd_in_str(in, "MasterUserPassword")) { /* applied as soon as possible, whatever ApplyImmediately says */
        json_object_set_new(pending, "MasterUserPassword", json_string("****"));
        status = status ? status : "resetting-master-credentials";
    }
    if (status ? begin(r, &db, status) : (rds_res_save(r, &db), 0))
        goto cleanup;
    out = json_pack("{s:o}", "DBInstance", rds_public(r, &db, true));
cleanup:
    json_decref(changes);
    rds_res_free(&db);
    return out;
}

json_t *rds_admin_apply_pending(struct dd_request *r, json_t *params)
{
    struct rds_res db;
    if (instance_in_or_err(r, dd_in_str(params, "db_instance_identifier"), "available",
                           "Instance %s is not in available state.", &db))
        return NULL;
    json_t *out = NULL;
    if (json_object_size(json_object_get(db.doc, "PendingModifiedValues")) == 0 || begin(r, &db, "modifying") == 0)
        out = json_pack("{s:o}", "DBInstance", rds_public(r, &db, true));
    rds_res_free(&db);
    return out;
}

/* ---- Reboot / Stop / Start --------------------------------------------------------------------- */

static json_t *transition(struct dd_request *r, const char *id, const char *want, const char *message,
                          const char *status)
{
    struct rds_res db;
    if (instance_in_or_err(r, id, want, message, &db))
        return NULL;
    json_t *out = begin(r, &db, status) ? NULL : json_pack("{s:o}", "DBInstance", rds_public(r, &db, true));
    rds_res_free(&db);
    return out;
}

json_t *rds_op_RebootDBInstance(struct dd_request *r, json_t *in)
{
    struct rds_res db;
    if (dd_in_bool(in, "ForceFailover")) {
        if (rds_get_or_err(r, &rds_kind_db, dd_in_str(in, "DBInstanceIdentifier"), &db))
            return NULL;
        bool multi = dd_in_bool(db.doc, "MultiAZ");
        rds_res_free(&db);
        if (!multi)
            return dd_fail(r, 400, "InvalidParameterCombination",
                           "Cannot use ForceFailover option for a DB instance that isn't a Multi-AZ instance.");
    }
    return transition(r, dd_in_str(in, "DBInstanceIdentifier"), "available", "Instance %s is not in available state.",
                      "rebooting");
}

json_t *rds_op_StopDBInstance(struct dd_request *r, json_t *in)
{
    struct rds_res db;
    const char *snap = dd_in_str(in, "DBSnapshotIdentifier");
    if (instance_in_or_err(r, dd_in_str(in, "DBInstanceIdentifier"), "available",
                           "Instance %s is not in available state.", &db))
        return NULL;
    json_t *out = NULL;
    if ((!snap || rds_snapshot_take(r, &db, snap, NULL) == 0) && begin(r, &db, "stopping") == 0)
        out = json_pack("{s:o}", "DBInstance", rds_public(r, &db, true));
    rds_res_free(&db);
    return out;
}

json_t *rds_op_StartDBInstance(struct dd_request *r, json_t *in)
{
    return transition(r, dd_in_str(in, "DBInstanceIdentifier"), "stopped",
                      "Instance %s is not stopped, cannot be started.", "starting");
}

/* ---- DeleteDBInstance ---------------------------------------------------------------------------- */

json_t *rds_op_DeleteDBInstance(struct dd_request *r, json_t *in)
{
    struct rds_res db;
    const char *final = dd_in_str(in, "FinalDBSnapshotIdentifier");
    bool skip = dd_in_bool(in, "SkipFinalSnapshot");
    if (rds_get_or_err(r, &rds_kind_db, dd_in_str(in, "DBInstanceIdentifier"), &db))
        return NULL;
    json_t *out = NULL;
    if (dd_in_bool(db.doc, "DeletionProtection"))
        dd_fail(r, 400, "InvalidParameterCombination",
                "Cannot delete protected DB Instance, please disable deletion protection and try again.");
    else if (strcmp(status_of(&db), "deleting") == 0)
        dd_fail(r, 400, "InvalidDBInstanceState", "Instance %s is already being deleted.", db.name);
    else if (!skip && !final)
        dd_fail(r, 400, "InvalidParameterCombination",
                "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.");
    else if (skip && final)
        dd_fail(r, 400, "InvalidParameterCombination",
                "Cannot specify both FinalDBSnapshotIdentifier and SkipFinalSnapshot.");
    else if ((!final || rds_snapshot_take(r, &db, final, NULL) == 0) && begin(r, &db, "deleting") == 0)
        out = json_pack("{s:o}", "DBInstance", rds_public(r, &db, true));
    rds_res_free(&db);
    return out;
}
