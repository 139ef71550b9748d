/*
 * rds_engine.c - what RDS offers: engines and their versions, parameter group
 * families, instance classes (fixtures/rds_engines.json), answered by
 * DescribeDBEngineVersions and DescribeOrderableDBInstanceOptions and used
 * by every family to check a request.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "rds_internal.h"

static json_t *fixture;
static pthread_once_t fixture_once = PTHREAD_ONCE_INIT;

static void fixture_load(void)
{
    fixture = fixture_json("rds_engines");
    if (!fixture)
        fixture = json_object();
}

json_t *rds_fixture(void)
{
    pthread_once(&fixture_once, fixture_load);
    return fixture;
}

json_t *rds_engine(const char *engine)
{
    return engine ? json_object_get(json_object_get(rds_fixture(), "engines"), engine) : NULL;
}

const char *rds_engine_version(json_t *engine, const char *version)
{
    size_t i, n = strlen(version);
    json_t *v;
    json_array_foreach(json_object_get(engine, "versions"), i, v)
    {
        if (strcmp(json_string_value(v), version) == 0)
            return json_string_value(v);
    }
    /* a major version alone ("16", "8.0"): the newest minor, listed first */
    json_array_foreach(json_object_get(engine, "versions"), i, v)
    {
        if (strncmp(json_string_value(v), version, n) == 0 && json_string_value(v)[n] == '.')
            return json_string_value(v);
    }
    return NULL;
}

/* The first `parts` dot-separated parts of a version into out. */
static void version_major(const char *version, json_int_t parts, char out[32])
{
    size_t n = 0;
    for (json_int_t seen = 0; version[n] && n < 31; n++)
        if (version[n] == '.' && ++seen == parts)
            break;
    snprintf(out, 32, "%.*s", (int)n, version);
}

void rds_family(json_t *engine, const char *version, char out[64])
{
    char major[32];
    version_major(version, dd_in_int(engine, "family_parts", 1), major);
    snprintf(out, 64, "%s%s", dd_in_str(engine, "family_prefix"), major);
}

json_t *rds_family_engine(const char *family, const char **name)
{
    const char *key;
    json_t *engine, *v;
    json_object_foreach(json_object_get(rds_fixture(), "engines"), key, engine)
    {
        size_t i;
        json_array_foreach(json_object_get(engine, "versions"), i, v)
        {
            char f[64];
            rds_family(engine, json_string_value(v), f);
            if (family && strcmp(f, family) == 0) {
                *name = key;
                return engine;
            }
        }
    }
    return NULL;
}

bool rds_class_known(const char *cls)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(rds_fixture(), "classes"), i, c)
    {
        if (cls && strcmp(json_string_value(c), cls) == 0)
            return true;
    }
    return false;
}

void rds_option_group(json_t *engine, const char *name, const char *version, char out[64])
{
    char major[32];
    version_major(version, dd_in_int(engine, "family_parts", 1), major);
    for (char *p = major; *p; p++)
        if (*p == '.')
            *p = '-';
    snprintf(out, 64, "default:%s-%s", name, major);
}

int rds_version_cmp(const char *a, const char *b)
{
    while (*a || *b) {
        char *ea, *eb;
        long x = strtol(a, &ea, 10), y = strtol(b, &eb, 10);
        if (x != y)
            return x < y ? -1 : 1;
        a = *ea == '.' ? ea + 1 : ea;
        b = *eb == '.' ? eb + 1 : eb;
        if (a == ea && b == eb) /* neither moved: not numbers any more */
            return strcmp(a, b);
    }
    return 0;
}

/* ---- DescribeDBEngineVersions ---------------------------------------------------------- */

/* Newer versions of the engine, as ValidUpgradeTarget lists them. */
static json_t *upgrade_targets(json_t *engine, const char *name, const char *version)
{
    json_t *out = json_array(), *v;
    char family[64], other[64];
    rds_family(engine, version, family);
    size_t i;
    json_array_foreach(json_object_get(engine, "versions"), i, v)
    {
        const char *to = json_string_value(v);
        if (rds_version_cmp(to, version) <= 0)
            continue;
        rds_family(engine, to, other);
        json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:b, s:b}", "Engine", name, "EngineVersion", to,
                                             "Description", to, "AutoUpgrade", 0, "IsMajorVersionUpgrade",
                                             strcmp(family, other) != 0));
    }
    return out;
}

static json_t *engine_version_doc(json_t *engine, const char *name, const char *version)
{
    char family[64], major[32];
    rds_family(engine, version, family);
    version_major(version, dd_in_int(engine, "family_parts", 1), major);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:O, s:b, s:b, s:s, s:s, s:[], s:[], s:b}", "Engine", name,
                     "EngineVersion", version, "DBParameterGroupFamily", family, "DBEngineDescription",
                     dd_in_str(engine, "description"), "DBEngineVersionDescription", version, "ValidUpgradeTarget",
                     upgrade_targets(engine, name, version), "ExportableLogTypes",
                     json_object_get(engine, "log_exports"), "SupportsLogExportsToCloudwatchLogs", 1,
                     "SupportsReadReplica", 1, "Status", "available", "MajorEngineVersion", major,
                     "SupportedEngineModes", "SupportedFeatureNames", "SupportsParallelQuery", 0);
}

/* The default version DefaultOnly answers: the engine's, or the newest of the major version asked for. */
static const char *default_version(json_t *engine, const char *want_version)
{
    const char *dflt = dd_in_str(engine, "default_version");
    size_t n = want_version ? strlen(want_version) : 0;
    if (!want_version || strcmp(dflt, want_version) == 0 || (strncmp(dflt, want_version, n) == 0 && dflt[n] == '.'))
        return dflt;
    return rds_engine_version(engine, want_version);
}

/* Whether a version passes the call's Engine, EngineVersion, family and DefaultOnly. */
static bool version_wanted(json_t *in, json_t *engine, const char *name, const char *version)
{
    const char *want_engine = dd_in_str(in, "Engine"), *want_version = dd_in_str(in, "EngineVersion");
    const char *want_family = dd_in_str(in, "DBParameterGroupFamily");
    char family[64];
    rds_family(engine, version, family);
    if (want_engine && strcmp(want_engine, name) != 0)
        return false;
    if (want_version && strcmp(want_version, version) != 0 &&
        !(strncmp(version, want_version, strlen(want_version)) == 0 && version[strlen(want_version)] == '.'))
        return false;
    if (want_family && strcmp(want_family, family) != 0)
        return false;
    if (dd_in_bool(in, "DefaultOnly")) {
        const char *dflt = default_version(engine, want_version);
        return dflt && strcmp(dflt, version) == 0;
    }
    return true;
}

json_t *rds_op_DescribeDBEngineVersions(struct dd_request *r, json_t *in)
{
    json_t *items = json_array(), *engine, *v;
    const char *name;
    json_object_foreach(json_object_get(rds_fixture(), "engines"), name, engine)
    {
        size_t i;
        json_array_foreach(json_object_get(engine, "versions"), i, v)
        {
            if (version_wanted(in, engine, name, json_string_value(v)))
                json_array_append_new(items, engine_version_doc(engine, name, json_string_value(v)));
        }
    }
    return rds_page_list(r, in, items, "DBEngineVersions");
}

/* ---- DescribeOrderableDBInstanceOptions ------------------------------------------------ */

static json_t *orderable_doc(struct dd_request *r, json_t *engine, const char *name, const char *version,
                             const char *cls, const char *storage, json_t *range)
{
    char zone[32];
    json_t *zones = json_array();
    for (char c = 'a'; c <= 'f'; c++) {
        snprintf(zone, sizeof zone, "%s%c", r->region, c);
        json_array_append_new(zones, json_pack("{s:s}", "Name", zone));
    }
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:b, s:b, s:b, s:b, s:s, s:b, s:b, s:b, s:b, s:O, s:O, s:b, s:[s], s:b}", "Engine",
        name, "EngineVersion", version, "DBInstanceClass", cls, "LicenseModel", dd_in_str(engine, "license"),
        "AvailabilityZones", zones, "MultiAZCapable", 1, "ReadReplicaCapable", 1, "Vpc", 1,
        "SupportsStorageEncryption", 1, "StorageType", storage, "SupportsIops", strncmp(storage, "io", 2) == 0,
        "SupportsEnhancedMonitoring", 1, "SupportsIAMDatabaseAuthentication", 1, "SupportsPerformanceInsights", 1,
        "MinStorageSize", json_array_get(range, 0), "MaxStorageSize", json_array_get(range, 1),
        "SupportsStorageAutoscaling", 1, "SupportedNetworkTypes", "IPV4", "SupportsClusters", 0);
    return doc;
}

json_t *rds_op_DescribeOrderableDBInstanceOptions(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "Engine"), *want_version = dd_in_str(in, "EngineVersion");
    const char *want_class = dd_in_str(in, "DBInstanceClass");
    json_t *engine = rds_engine(name), *items = json_array(), *v, *c, *range;
    size_t i, j;
    json_array_foreach(json_object_get(engine, "versions"), i, v)
    {
        if (want_version && strcmp(want_version, json_string_value(v)) != 0)
            continue;
        json_array_foreach(json_object_get(rds_fixture(), "classes"), j, c)
        {
            if (want_class && strcmp(want_class, json_string_value(c)) != 0)
                continue;
            const char *storage;
            json_object_foreach(json_object_get(engine, "storage"), storage, range)
            {
                json_array_append_new(items, orderable_doc(r, engine, name, json_string_value(v),
                                                           json_string_value(c), storage, range));
            }
        }
    }
    return rds_page_list(r, in, items, "OrderableDBInstanceOptions");
}
