/*
 * ecs_instance.c - container instances and EC2 launch type placement.
 *
 * The ECS agent of an EC2 instance registers it as a container instance
 * when the instance reaches running (ecs_agent_instance_running, called by
 * EC2), or when it calls RegisterContainerInstance itself. A container
 * instance offers CPU (1024 units a vCPU), MEMORY (what the kernel leaves,
 * less ECS_RESERVED_MEMORY), PORTS (the agent's and SSH's reserved ports)
 * and PORTS_UDP; tasks placed on it reserve from remainingResources until
 * they stop. Its attributes are the agent's (ecs.*, capabilities) and the
 * custom ones PutAttributes sets; placement constraints read both.
 *
 * Placement (ecs_place) follows AWS's order: the ACTIVE container instances
 * of the cluster whose agent is connected, then those with the CPU, memory
 * and host ports the task needs, then the placement constraints, then the
 * placement strategies ranking what is left.
 *
 * Private keys of the document: `_cluster`, `_subnet`, `_dynamic` (the
 * dynamic host ports in use, which AWS does not list in PORTS).
 */
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2.h"
#include "ecs.h"
#include "ecs_internal.h"

#define AGENT_VERSION "1.86.3"
#define AGENT_HASH "d8a1bc4c"
#define DOCKER_VERSION "DockerVersion: 20.10.25"
#define DYNAMIC_FIRST 32768
#define DYNAMIC_LAST 60999
#define MAX_ATTRIBUTES 10 /* custom attributes per PutAttributes call */

static const char *const reserved_ports[] = {"22", "2375", "2376", "51678", "51679"};

static const char SQL_GET[] = "SELECT doc FROM ecs_instance WHERE account=?1 AND region=?2 AND arn=?3";
static const char SQL_BY_ID[] = "SELECT doc FROM ecs_instance WHERE account=?1 AND region=?2 AND cluster=?3"
                                " AND (arn=?4 OR arn LIKE '%/' || ?4)";
static const char SQL_BY_EC2[] = "SELECT doc FROM ecs_instance WHERE account=?1 AND region=?2 AND ec2_id=?3"
                                 " AND status<>'INACTIVE' ORDER BY seq DESC LIMIT 1";
static const char SQL_PUT[] = "INSERT INTO ecs_instance (account, region, cluster, arn, ec2_id, status, doc)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (account, region, arn)"
                              " DO UPDATE SET status=excluded.status, doc=excluded.doc";
static const char SQL_COUNT[] = "SELECT count(*) FROM ecs_instance WHERE account=?1 AND region=?2 AND cluster=?3"
                                " AND status IN ('ACTIVE', 'DRAINING')";
/* ?3 cluster, ?4 status (NULL: all but INACTIVE) */
static const char SQL_LIST[] = "SELECT doc FROM ecs_instance WHERE account=?1 AND region=?2 AND cluster=?3"
                               " AND (?4 IS NULL AND status<>'INACTIVE' OR status=?4) ORDER BY seq";
static const char SQL_TASK_COUNTS[] =
    "SELECT coalesce(sum(last_status='RUNNING'), 0), coalesce(sum(last_status<>'RUNNING'), 0) FROM ecs_task"
    " WHERE account=?1 AND region=?2 AND container_instance=?3 AND desired_status='RUNNING'";
static const char SQL_LIVE_TASKS[] = "SELECT arn FROM ecs_task WHERE account=?1 AND region=?2"
                                     " AND container_instance=?3 AND desired_status='RUNNING' ORDER BY seq";
/* Live tasks of group ?4 per container instance (spread, distinctInstance). */
static const char SQL_GROUP_COUNTS[] =
    "SELECT container_instance, count(*) FROM ecs_task WHERE account=?1 AND region=?2 AND cluster=?3"
    " AND desired_status='RUNNING' AND container_instance IS NOT NULL AND json_extract(doc, '$.group')=?4"
    " GROUP BY container_instance";
static const char SQL_SERVICES[] =
    "SELECT arn FROM ecs_service WHERE account=?1 AND region=?2 AND cluster=?3 AND status='ACTIVE'";

/* ---- the store ---------------------------------------------------------------------------------- */

static json_t *load_one(sqlite3_stmt *st)
{
    json_t *doc = sqlite3_step(st) == SQLITE_ROW ? json_loads(store_col_text(st, 0), 0, NULL) : NULL;
    sqlite3_reset(st);
    return doc;
}

static json_t *instance_load(struct dd_request *r, const char *arn)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_GET);
    store_bind_text(st, 3, arn);
    return load_one(st);
}

/* The container instance `ref` (ARN or id) of cluster c, or NULL. */
static json_t *instance_find(struct dd_request *r, const struct ecs_cluster *c, const char *ref)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_BY_ID);
    store_bind_text(st, 3, c->name);
    store_bind_text(st, 4, ref);
    return load_one(st);
}

static int instance_save(struct dd_request *r, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    sqlite3_stmt *st = dd_stmt(r, SQL_PUT);
    store_bind_text(st, 3, dd_in_str(doc, "_cluster"));
    store_bind_text(st, 4, dd_in_str(doc, "containerInstanceArn"));
    store_bind_text(st, 5, dd_in_str(doc, "ec2InstanceId"));
    store_bind_text(st, 6, dd_in_str(doc, "status"));
    store_bind_text(st, 7, text);
    free(text);
    return dd_exec(r, st);
}

int64_t ecs_instance_count(struct dd_request *r, const char *cluster)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_COUNT);
    store_bind_text(st, 3, cluster);
    return dd_single_int(st, 0);
}

/* Capacity came or went: tasks waiting for it are placed, every ACTIVE service of the cluster runs its scheduler. */
static int poke_services(struct dd_request *r, const char *cluster)
{
    json_t *arns = json_array();
    sqlite3_stmt *st = dd_stmt(r, SQL_SERVICES);
    store_bind_text(st, 3, cluster);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(arns, json_string(store_col_text(st, 0)));
    sqlite3_reset(st);
    int rc = ecs_place_waiting(r, cluster);
    size_t i;
    json_t *a;
    json_array_foreach(arns, i, a)
    {
        if (rc == 0)
            rc = ecs_service_poke(r, json_string_value(a), 0);
    }
    json_decref(arns);
    return rc;
}

/* ---- resources ----------------------------------------------------------------------------------- */

static json_t *resource_int(const char *name, json_int_t v)
{
    return json_pack("{s:s, s:s, s:f, s:i, s:I}", "name", name, "type", "INTEGER", "doubleValue", 0.0, "longValue", 0,
                     "integerValue", v);
}

static json_t *resource_set(const char *name, json_t *values)
{
    return json_pack("{s:s, s:s, s:f, s:i, s:i, s:o}", "name", name, "type", "STRINGSET", "doubleValue", 0.0,
                     "longValue", 0, "integerValue", 0, "stringSetValue", values);
}

/* The resource `name` of doc[list] (borrowed) or NULL. */
static json_t *resource_of(json_t *doc, const char *list, const char *name)
{
    size_t i;
    json_t *res;
    json_array_foreach(json_object_get(doc, list), i, res)
    {
        if (strcmp(dd_in_str(res, "name"), name) == 0)
            return res;
    }
    return NULL;
}

static json_int_t remaining(json_t *doc, const char *name)
{
    return dd_in_int(resource_of(doc, "remainingResources", name), "integerValue", 0);
}

static void remaining_add(json_t *doc, const char *name, json_int_t delta)
{
    json_t *res = resource_of(doc, "remainingResources", name);
    if (res)
        json_object_set_new(res, "integerValue", json_integer(dd_in_int(res, "integerValue", 0) + delta));
}

static bool set_has(json_t *set, const char *v)
{
    size_t i;
    json_t *s;
    json_array_foreach(set, i, s)
    {
        if (strcmp(json_string_value(s), v) == 0)
            return true;
    }
    return false;
}

static void set_remove(json_t *set, const char *v)
{
    for (size_t i = json_array_size(set); i-- > 0;)
        if (strcmp(json_string_value(json_array_get(set, i)), v) == 0)
            json_array_remove(set, i);
}

/* The registered resources: all of CPU and MEMORY, the agent's reserved ports. */
static json_t *registered_resources(json_int_t cpu, json_int_t memory)
{
    json_t *ports = json_array();
    for (size_t i = 0; i < sizeof reserved_ports / sizeof *reserved_ports; i++)
        json_array_append_new(ports, json_string(reserved_ports[i]));
    return json_pack("[o, o, o, o]", resource_int("CPU", cpu), resource_int("MEMORY", memory),
                     resource_set("PORTS", ports), resource_set("PORTS_UDP", json_array()));
}

/* The totals CPUReservation / MemoryReservation are made of. */
int64_t ecs_instance_totals(struct dd_request *r, const char *cluster, int64_t reg[2], int64_t used[2])
{
    static const char *const names[] = {"CPU", "MEMORY"};
    int64_t n = 0;
    reg[0] = reg[1] = used[0] = used[1] = 0;
    sqlite3_stmt *st = dd_stmt(r, SQL_LIST);
    store_bind_text(st, 3, cluster);
    store_bind_text(st, 4, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *doc = json_loads(store_col_text(st, 0), 0, NULL);
        if (doc && dd_in_bool(doc, "agentConnected")) {
            n++;
            for (int i = 0; i < 2; i++) {
                int64_t total = dd_in_int(resource_of(doc, "registeredResources", names[i]), "integerValue", 0);
                reg[i] += total;
                used[i] += total - remaining(doc, names[i]);
            }
        }
        json_decref(doc);
    }
    sqlite3_reset(st);
    return n;
}

/* ---- registration -------------------------------------------------------------------------------- */

/* The value of `key`=VALUE in user data: a line of the ecs.config file itself, or of a
 * script writing it (echo ECS_CLUSTER=x >> /etc/ecs/ecs.config). Into out; false when absent. */
static bool config_value(const char *user_data, const char *key, char *out, size_t len)
{
    size_t klen = strlen(key);
    for (const char *p = user_data; p && (p = strstr(p, key)) != NULL; p += klen) {
        if (p[klen] != '=' || (p > user_data && (isalnum((unsigned char)p[-1]) || p[-1] == '_')))
            continue;
        const char *v = p + klen + 1;
        if (*v == '"' || *v == '\'')
            v++;
        size_t n = strcspn(v, "\"' \t\r\n>;|&");
        snprintf(out, len, "%.*s", (int)n, v);
        return n > 0;
    }
    return false;
}

static json_t *attr(const char *name, const char *value)
{
    return json_pack("{s:s, s:s?}", "name", name, "value", value);
}

/* Graviton types carry a 'g' after the generation digit of their family (t4g, c6gn, m7g). */
static bool graviton(const char *type)
{
    size_t family = strcspn(type, ".");
    size_t digit = strcspn(type, "0123456789");
    return digit < family && memchr(type + digit, 'g', family - digit) != NULL;
}

static json_t *agent_attributes(const char *zone, const char *type, const char *ami)
{
    static const char *const capabilities[] = {
        "com.amazonaws.ecs.capability.logging-driver.awslogs",
        "com.amazonaws.ecs.capability.logging-driver.json-file",
        "com.amazonaws.ecs.capability.logging-driver.syslog",
        "com.amazonaws.ecs.capability.docker-remote-api.1.17",
        "com.amazonaws.ecs.capability.docker-remote-api.1.18",
        "com.amazonaws.ecs.capability.docker-remote-api.1.19",
        "com.amazonaws.ecs.capability.docker-remote-api.1.20",
        "com.amazonaws.ecs.capability.docker-remote-api.1.21",
        "com.amazonaws.ecs.capability.docker-remote-api.1.22",
        "com.amazonaws.ecs.capability.docker-remote-api.1.23",
        "com.amazonaws.ecs.capability.docker-remote-api.1.24",
        "com.amazonaws.ecs.capability.docker-remote-api.1.25",
        "com.amazonaws.ecs.capability.docker-remote-api.1.29",
        "com.amazonaws.ecs.capability.docker-remote-api.1.30",
        "com.amazonaws.ecs.capability.docker-remote-api.1.32",
        "com.amazonaws.ecs.capability.docker-remote-api.1.44",
        "com.amazonaws.ecs.capability.ecr-auth",
        "com.amazonaws.ecs.capability.task-iam-role",
        "com.amazonaws.ecs.capability.task-iam-role-network-host",
        "com.amazonaws.ecs.capability.privileged-container",
        "ecs.capability.execution-role-ecr-pull",
        "ecs.capability.execution-role-awslogs",
        "ecs.capability.secrets.ssm.environment-variables",
        "ecs.capability.task-eni",
        "ecs.capability.container-health-check",
    };
    json_t *a = json_array();
    for (size_t i = 0; i < sizeof capabilities / sizeof *capabilities; i++)
        json_array_append_new(a, attr(capabilities[i], NULL));
    json_array_append_new(a, attr("ecs.os-type", "linux"));
    json_array_append_new(a, attr("ecs.os-family", "LINUX"));
    json_array_append_new(a, attr("ecs.cpu-architecture", graviton(type) ? "arm64" : "x86_64"));
    json_array_append_new(a, attr("ecs.availability-zone", zone));
    json_array_append_new(a, attr("ecs.instance-type", type));
    json_array_append_new(a, attr("ecs.ami-id", ami));
    return a;
}

/* What a registration is made of. */
struct registration {
    const struct ecs_cluster *cluster;
    const char *ec2_id, *zone, *type, *ami, *subnet;
    json_int_t cpu, memory;
    json_t *attributes; /* borrowed, extra (RegisterContainerInstance's), or NULL */
    json_t *tags;       /* borrowed or NULL */
};

/* Creates the container instance (ACTIVE, agent connected) into *out (new). 0 or -1. */
static int instance_register(struct dd_request *r, const struct registration *g, json_t **out)
{
    char hex[33];
    dd_random_hex(hex, 32);
    char *arn = dd_arn(r, "ecs", "container-instance/%s/%s", g->cluster->name, hex);
    json_t *attrs = agent_attributes(g->zone, g->type, g->ami);
    size_t i;
    json_t *a;
    json_array_foreach(g->attributes, i, a)
    {
        json_array_append_new(attrs, attr(dd_in_str(a, "name"), dd_in_str(a, "value")));
    }
    json_t *doc = json_pack("{s:s, s:s, s:i, s:{s:s, s:s, s:s}, s:o, s:o, s:s, s:b, s:i, s:i, s:o, s:o, s:[], s:[],"
                            " s:s, s:s}",
                            "containerInstanceArn", arn, "ec2InstanceId", g->ec2_id, "version", 1, "versionInfo",
                            "agentVersion", AGENT_VERSION, "agentHash", AGENT_HASH, "dockerVersion", DOCKER_VERSION,
                            "remainingResources", registered_resources(g->cpu, g->memory), "registeredResources",
                            registered_resources(g->cpu, g->memory), "status", "ACTIVE", "agentConnected", 1,
                            "runningTasksCount", 0, "pendingTasksCount", 0, "attributes", attrs, "registeredAt",
                            dd_time(r->now_ms), "attachments", "tags", "_cluster", g->cluster->name, "_subnet",
                            g->subnet ? g->subnet : "");
    free(arn);
    json_object_set_new(doc, "_dynamic", json_array());
    char provider[256];
    if (ecs_capacity_of_instance(r, g->ec2_id, provider))
        json_object_set_new(doc, "capacityProviderName", json_string(provider));
    ecs_tags_merge(doc, g->tags, NULL);
    int rc = instance_save(r, doc);
    if (rc == 0)
        rc = poke_services(r, g->cluster->name);
    if (rc == 0)
        rc = ecs_cluster_metrics_start(r, g->cluster->arn);
    if (rc == 0 && out)
        *out = json_incref(doc);
    json_decref(doc);
    return rc;
}

/* The memory the agent registers: what the kernel reports (m4.large: 8 GiB installed,
 * 7985 MiB of MemTotal) less ECS_RESERVED_MEMORY. */
static json_int_t agent_memory(int memory_mib, const char *user_data)
{
    char v[32];
    json_int_t reserved = config_value(user_data, "ECS_RESERVED_MEMORY", v, sizeof v) ? strtoll(v, NULL, 10) : 0;
    json_int_t mem = (json_int_t)memory_mib * 7985 / 8192 - reserved;
    return mem > 0 ? mem : 0;
}

int ecs_agent_instance_running(struct dd_request *r, const char *instance_id)
{
    struct ec2_instance_info info;
    if (ec2_instance_get(r, instance_id, &info) || !info.profile_arn[0])
        return 0; /* without credentials the agent cannot register */
    sqlite3_stmt *st = dd_stmt(r, SQL_BY_EC2);
    store_bind_text(st, 3, instance_id);
    json_t *doc = load_one(st);
    if (doc) { /* started again: the agent reconnects */
        json_object_set_new(doc, "agentConnected", json_true());
        json_object_set_new(doc, "version", json_integer(dd_in_int(doc, "version", 1) + 1));
        int rc = instance_save(r, doc);
        if (rc == 0)
            rc = poke_services(r, dd_in_str(doc, "_cluster"));
        json_decref(doc);
        return rc;
    }
    char *user_data = ec2_instance_user_data(r, instance_id);
    char name[256] = "default";
    config_value(user_data, "ECS_CLUSTER", name, sizeof name);
    struct ecs_cluster c;
    int rc = 0;
    if (ecs_cluster_get(r, name, &c)) {
        r->err = (struct dd_error){0}; /* the agent keeps retrying; nothing registers */
    } else {
        struct registration g = {.cluster = &c,
                                 .ec2_id = instance_id,
                                 .zone = info.zone,
                                 .type = info.type,
                                 .ami = info.image_id,
                                 .subnet = info.subnet_id,
                                 .cpu = (json_int_t)info.vcpus * 1024,
                                 .memory = agent_memory(info.memory_mib, user_data)};
        rc = instance_register(r, &g, NULL);
    }
    free(user_data);
    return rc;
}

/* Stops every live task on the container instance. */
static int stop_tasks_on(struct dd_request *r, const char *arn, const char *code, const char *reason)
{
    json_t *tasks = json_array();
    sqlite3_stmt *st = dd_stmt(r, SQL_LIVE_TASKS);
    store_bind_text(st, 3, arn);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(tasks, json_string(store_col_text(st, 0)));
    sqlite3_reset(st);
    int rc = 0;
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t)
    {
        if (rc == 0 && ecs_task_stop(r, json_string_value(t), code, reason, -1) < 0)
            rc = -1;
    }
    json_decref(tasks);
    return rc;
}

int ecs_agent_instance_stopped(struct dd_request *r, const char *instance_id, bool terminated)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_BY_EC2);
    store_bind_text(st, 3, instance_id);
    json_t *doc = load_one(st);
    if (!doc)
        return 0;
    char reason[128];
    snprintf(reason, sizeof reason, "Host EC2 (instance %s) stopped/terminated.", instance_id);
    int rc = stop_tasks_on(r, dd_in_str(doc, "containerInstanceArn"), "TerminationNotice", reason);
    json_object_set_new(doc, "agentConnected", json_false());
    if (terminated)
        json_object_set_new(doc, "status", json_string("INACTIVE"));
    json_object_set_new(doc, "version", json_integer(dd_in_int(doc, "version", 1) + 1));
    if (rc == 0)
        rc = instance_save(r, doc);
    if (rc == 0)
        rc = poke_services(r, dd_in_str(doc, "_cluster"));
    json_decref(doc);
    return rc;
}

/* ---- the ContainerInstance as Describe shows it --------------------------------------------------- */

static json_t *instance_view(struct dd_request *r, json_t *doc, bool tags)
{
    json_t *o = ecs_public(doc);
    sqlite3_stmt *st = dd_stmt(r, SQL_TASK_COUNTS);
    store_bind_text(st, 3, dd_in_str(doc, "containerInstanceArn"));
    if (sqlite3_step(st) == SQLITE_ROW) {
        json_object_set_new(o, "runningTasksCount", json_integer(sqlite3_column_int64(st, 0)));
        json_object_set_new(o, "pendingTasksCount", json_integer(sqlite3_column_int64(st, 1)));
    }
    sqlite3_reset(st);
    if (!tags)
        json_object_del(o, "tags");
    return o;
}

/* A Failure for a container instance reference that is not there. */
static json_t *missing(json_t *ref)
{
    return json_pack("{s:s, s:s}", "arn", json_string_value(ref), "reason", "MISSING");
}

static bool includes(json_t *in, const char *what)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(in, "include"), i, v)
    {
        if (strcmp(json_string_value(v), what) == 0)
            return true;
    }
    return false;
}

/* ---- RegisterContainerInstance, DeregisterContainerInstance --------------------------------------- */

json_t *ecs_op_RegisterContainerInstance(struct dd_request *r, json_t *in)
{
    struct ecs_cluster c;
    if (ecs_cluster_get(r, dd_in_str(in, "cluster"), &c))
        return NULL;
    json_t *identity = json_loads(dd_in_str(in, "instanceIdentityDocument") ?: "", 0, NULL);
    const char *ec2_id = dd_in_str(identity, "instanceId");
    if (!ec2_id) {
        json_decref(identity);
        return dd_fail(r, 400, "InvalidParameterException", "Unable to parse instanceIdentityDocument.");
    }
    struct ec2_instance_info info = {0};
    bool known = ec2_instance_get(r, ec2_id, &info) == 0;
    json_t *total = json_object_get(in, "totalResources");
    json_t *holder = json_pack("{s:O?}", "remainingResources", total);
    struct registration g = {
        .cluster = &c,
        .ec2_id = ec2_id,
        .zone = known ? info.zone : dd_in_str(identity, "availabilityZone") ?: "",
        .type = known ? info.type : dd_in_str(identity, "instanceType") ?: "",
        .ami = known ? info.image_id : dd_in_str(identity, "imageId") ?: "",
        .subnet = known ? info.subnet_id : NULL,
        .cpu = total ? remaining(holder, "CPU") : (json_int_t)info.vcpus * 1024,
        .memory = total ? remaining(holder, "MEMORY") : agent_memory(info.memory_mib, NULL),
        .attributes = json_object_get(in, "attributes"),
        .tags = json_object_get(in, "tags"),
    };
    json_t *doc = NULL, *out = NULL;
    if (ecs_tags_check(r, g.tags) == 0 && instance_register(r, &g, &doc) == 0)
        out = json_pack("{s:o}", "containerInstance", instance_view(r, doc, false));
    json_decref(doc);
    json_decref(holder);
    json_decref(identity);
    return out;
}

/* The container instance of `in` ("cluster", `member`), or NULL with AWS's error. */
static json_t *instance_or_err(struct dd_request *r, json_t *in, const char *member, struct ecs_cluster *c)
{
    if (ecs_cluster_get(r, dd_in_str(in, "cluster"), c))
        return NULL;
    json_t *doc = instance_find(r, c, dd_in_str(in, member));
    if (!doc || strcmp(dd_in_str(doc, "status"), "INACTIVE") == 0) {
        json_decref(doc);
        return dd_fail(r, 400, "InvalidParameterException", "The referenced container instance was not found.");
    }
    return doc;
}

json_t *ecs_op_DeregisterContainerInstance(struct dd_request *r, json_t *in)
{
    struct ecs_cluster c;
    json_t *doc = instance_or_err(r, in, "containerInstance", &c);
    if (!doc)
        return NULL;
    const char *arn = dd_in_str(doc, "containerInstanceArn");
    json_t *out = NULL;
    sqlite3_stmt *st = dd_stmt(r, SQL_TASK_COUNTS);
    store_bind_text(st, 3, arn);
    int64_t live = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) + sqlite3_column_int64(st, 1) : 0;
    sqlite3_reset(st);
    if (live > 0 && !dd_in_bool(in, "force")) {
        json_decref(doc);
        return dd_fail(r, 400, "InvalidParameterException",
                       "Found running tasks on the instance. Use force to deregister the instance.");
    }
    /* forced: the tasks keep running on the host but ECS no longer tracks them; service
     * tasks are replaced elsewhere */
    if (live > 0 && stop_tasks_on(r, arn, "ServiceSchedulerInitiated",
                                  "Container instance deregistration forced by user"))
        goto done;
    json_object_set_new(doc, "status", json_string("INACTIVE"));
    json_object_set_new(doc, "agentConnected", json_false());
    json_object_set_new(doc, "version", json_integer(dd_in_int(doc, "version", 1) + 1));
    if (instance_save(r, doc) || poke_services(r, c.name))
        goto done;
    out = json_pack("{s:o}", "containerInstance", instance_view(r, doc, false));
done:
    json_decref(doc);
    return out;
}

/* ---- ListContainerInstances, DescribeContainerInstances ------------------------------------------- */

static bool matches_filter(json_t *doc, const char *filter);

json_t *ecs_op_ListContainerInstances(struct dd_request *r, json_t *in)
{
    struct ecs_cluster c;
    if (ecs_cluster_get(r, dd_in_str(in, "cluster"), &c))
        return NULL;
    const char *filter = dd_in_str(in, "filter");
    json_t *arns = json_array();
    sqlite3_stmt *st = dd_stmt(r, SQL_LIST);
    store_bind_text(st, 3, c.name);
    store_bind_text(st, 4, dd_in_str(in, "status"));
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *doc = json_loads(store_col_text(st, 0), 0, NULL);
        if (doc && (!filter || matches_filter(doc, filter)))
            json_array_append_new(arns, json_string(dd_in_str(doc, "containerInstanceArn")));
        json_decref(doc);
    }
    sqlite3_reset(st);
    return dd_page(in, arns, "containerInstanceArns", "maxResults", 100);
}

json_t *ecs_op_DescribeContainerInstances(struct dd_request *r, json_t *in)
{
    struct ecs_cluster c;
    if (ecs_cluster_get(r, dd_in_str(in, "cluster"), &c))
        return NULL;
    json_t *refs = json_object_get(in, "containerInstances");
    if (json_array_size(refs) > 100)
        return dd_fail(r, 400, "InvalidParameterException", "instanceIds can have at most 100 items.");
    json_t *list = json_array(), *failures = json_array();
    size_t i;
    json_t *ref;
    json_array_foreach(refs, i, ref)
    {
        json_t *doc = instance_find(r, &c, json_string_value(ref));
        if (doc)
            json_array_append_new(list, instance_view(r, doc, includes(in, "TAGS")));
        else
            json_array_append_new(failures, missing(ref));
        json_decref(doc);
    }
    return json_pack("{s:o, s:o}", "containerInstances", list, "failures", failures);
}

/* ---- UpdateContainerInstancesState ---------------------------------------------------------------- */

json_t *ecs_op_UpdateContainerInstancesState(struct dd_request *r, json_t *in)
{
    struct ecs_cluster c;
    if (ecs_cluster_get(r, dd_in_str(in, "cluster"), &c))
        return NULL;
    const char *status = dd_in_str(in, "status");
    if (strcmp(status, "ACTIVE") != 0 && strcmp(status, "DRAINING") != 0)
        return dd_fail(r, 400, "InvalidParameterException",
                       "Container instances status should be one of [ACTIVE,DRAINING]");
    json_t *list = json_array(), *failures = json_array();
    size_t i;
    json_t *ref;
    int rc = 0;
    json_array_foreach(json_object_get(in, "containerInstances"), i, ref)
    {
        json_t *doc = instance_find(r, &c, json_string_value(ref));
        if (!doc || strcmp(dd_in_str(doc, "status"), "INACTIVE") == 0) {
            json_array_append_new(failures, missing(ref));
            json_decref(doc);
            continue;
        }
        json_object_set_new(doc, "status", json_string(status));
        json_object_set_new(doc, "version", json_integer(dd_in_int(doc, "version", 1) + 1));
        if (rc == 0)
            rc = instance_save(r, doc);
        json_array_append_new(list, instance_view(r, doc, false));
        json_decref(doc);
    }
    /* draining: the schedulers replace their tasks there as in a deployment, within
     * minimumHealthyPercent / maximumPercent (standalone tasks are left alone) */
    if (rc == 0)
        rc = poke_services(r, c.name);
    if (rc) {
        json_decref(list);
        json_decref(failures);
        return NULL;
    }
    return json_pack("{s:o, s:o}", "containerInstances", list, "failures", failures);
}

/* ---- attributes ---------------------------------------------------------------------------------- */

/* The container instance an attribute targets (targetId: ARN or id), or NULL with AWS's error. */
static json_t *attribute_target(struct dd_request *r, const struct ecs_cluster *c, json_t *a)
{
    const char *type = dd_in_str(a, "targetType"), *id = dd_in_str(a, "targetId");
    if (type && strcmp(type, "container-instance") != 0)
        return dd_fail(r, 400, "InvalidParameterException", "Invalid target type: %s", type);
    if (!id)
        return dd_fail(r, 400, "InvalidParameterException", "Attribute %s must have a targetId.",
                       dd_in_str(a, "name"));
    json_t *doc = instance_find(r, c, id);
    if (!doc)
        return dd_fail(r, 400, "TargetNotFoundException", "Could not find %s.", id);
    return doc;
}

static json_t *change_attributes(struct dd_request *r, json_t *in, bool put)
{
    struct ecs_cluster c;
    if (ecs_cluster_get(r, dd_in_str(in, "cluster"), &c))
        return NULL;
    json_t *attrs = json_object_get(in, "attributes");
    if (json_array_size(attrs) > MAX_ATTRIBUTES)
        return dd_fail(r, 400, "AttributeLimitExceededException",
                       "You can apply up to %d custom attributes per resource.", MAX_ATTRIBUTES);
    size_t i, j;
    json_t *a;
    json_array_foreach(attrs, i, a)
    {
        json_t *doc = attribute_target(r, &c, a);
        if (!doc)
            return NULL;
        json_t *list = json_object_get(doc, "attributes");
        for (j = json_array_size(list); j-- > 0;)
            if (strcmp(dd_in_str(json_array_get(list, j), "name"), dd_in_str(a, "name")) == 0)
                json_array_remove(list, j);
        if (put)
            json_array_append_new(list, attr(dd_in_str(a, "name"), dd_in_str(a, "value")));
        int rc = instance_save(r, doc);
        json_decref(doc);
        if (rc)
            return NULL;
    }
    return json_pack("{s:O}", "attributes", attrs);
}

json_t *ecs_op_PutAttributes(struct dd_request *r, json_t *in)
{
    return change_attributes(r, in, true);
}

json_t *ecs_op_DeleteAttributes(struct dd_request *r, json_t *in)
{
    return change_attributes(r, in, false);
}

json_t *ecs_op_ListAttributes(struct dd_request *r, json_t *in)
{
    struct ecs_cluster c;
    if (ecs_cluster_get(r, dd_in_str(in, "cluster"), &c))
        return NULL;
    const char *name = dd_in_str(in, "attributeName"), *value = dd_in_str(in, "attributeValue");
    if (value && !name)
        return dd_fail(r, 400, "InvalidParameterException", "Attribute name must be specified with attribute value.");
    json_t *items = json_array();
    sqlite3_stmt *st = dd_stmt(r, SQL_LIST);
    store_bind_text(st, 3, c.name);
    store_bind_text(st, 4, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *doc = json_loads(store_col_text(st, 0), 0, NULL);
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(doc, "attributes"), i, a)
        {
            const char *n = dd_in_str(a, "name"), *v = dd_in_str(a, "value");
            if ((name && strcmp(n, name) != 0) || (value && (!v || strcmp(v, value) != 0)))
                continue;
            json_t *item = json_pack("{s:s, s:s, s:s}", "name", n, "targetType", "container-instance", "targetId",
                                     dd_in_str(doc, "containerInstanceArn"));
            if (v)
                json_object_set_new(item, "value", json_string(v));
            json_array_append_new(items, item);
        }
        json_decref(doc);
    }
    sqlite3_reset(st);
    return dd_page(in, items, "attributes", "maxResults", 100);
}

/* ---- the cluster query language (memberOf, ListContainerInstances' filter) ------------------------ */

/* The value an expression's left side names on the instance (borrowed) or NULL. */
static const char *field_value(json_t *doc, const char *field)
{
    if (strcmp(field, "ec2InstanceId") == 0)
        return dd_in_str(doc, "ec2InstanceId");
    if (strcmp(field, "agentConnected") == 0)
        return dd_in_bool(doc, "agentConnected") ? "true" : "false";
    if (strncmp(field, "attribute:", 10) != 0)
        return NULL;
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(doc, "attributes"), i, a)
    {
        if (strcmp(dd_in_str(a, "name"), field + 10) == 0)
            return dd_in_str(a, "value") ? dd_in_str(a, "value") : "";
    }
    return NULL;
}

/* Whether `v` is in a list "[a, b, c]" (or a single value). */
static bool in_list(const char *v, const char *list)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *tok = strtok_r(buf, "[], ", &save); tok; tok = strtok_r(NULL, "[], ", &save))
        if (strcmp(tok, v) == 0)
            return true;
    return false;
}

/* One comparison: "FIELD OP VALUE", "FIELD exists", "not(FIELD exists)"... */
static bool match_term(json_t *doc, char *term)
{
    char field[256], op[16], value[512] = "";
    while (isspace((unsigned char)*term))
        term++;
    bool negate = strncmp(term, "not(", 4) == 0;
    if (negate) {
        term += 4;
        char *end = strrchr(term, ')');
        if (end)
            *end = '\0';
    }
    int n = sscanf(term, "%255s %15s %511[^\n]", field, op, value);
    if (n < 2)
        return false;
    const char *v = field_value(doc, field);
    bool m;
    if (strcmp(op, "exists") == 0)
        m = v != NULL;
    else if (strcmp(op, "==") == 0 || strcmp(op, "equals") == 0)
        m = v && strcmp(v, value) == 0;
    else if (strcmp(op, "!=") == 0)
        m = !v || strcmp(v, value) != 0;
    else if (strcmp(op, "=~") == 0 || strcmp(op, "matches") == 0)
        m = v && fnmatch(value, v, 0) == 0;
    else if (strcmp(op, "!~") == 0)
        m = !v || fnmatch(value, v, 0) != 0;
    else if (strcmp(op, "in") == 0)
        m = v && in_list(v, value);
    else if (strcmp(op, "not") == 0 && strncmp(value, "in ", 3) == 0)
        m = !v || !in_list(v, value + 3);
    else
        m = false;
    return negate ? !m : m;
}

/* "A and B", "A or B" (or binds looser than and; no parentheses beyond not(...)). */
static bool matches_filter(json_t *doc, const char *filter)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", filter);
    for (char *alt = buf; alt;) {
        char *next = strstr(alt, " or ");
        if (next)
            *next = '\0';
        bool all = true;
        for (char *t = alt; t && all;) {
            char *and = strstr(t, " and ");
            if (and)
                *and = '\0';
            all = match_term(doc, t);
            t = and ? and + 5 : NULL;
        }
        if (all)
            return true;
        alt = next ? next + 4 : NULL;
    }
    return false;
}

/* ---- placement ---------------------------------------------------------------------------------- */

/* What a task asks of an instance. */
struct needs {
    json_int_t cpu, memory;
    const char *mode; /* bridge, host, awsvpc, none */
};

static json_int_t td_int(json_t *td, const char *key)
{
    const char *s = dd_in_str(td, key);
    return s ? strtoll(s, NULL, 10) : 0;
}

static void task_needs(json_t *td, struct needs *n)
{
    n->cpu = td_int(td, "cpu");
    n->memory = td_int(td, "memory");
    n->mode = dd_in_str(td, "networkMode") ? dd_in_str(td, "networkMode") : "bridge";
    size_t i;
    json_t *c;
    json_int_t cpu = 0, memory = 0;
    json_array_foreach(json_object_get(td, "containerDefinitions"), i, c)
    {
        cpu += dd_in_int(c, "cpu", 0);
        memory += dd_in_int(c, "memoryReservation", dd_in_int(c, "memory", 0));
    }
    if (!dd_in_str(td, "cpu"))
        n->cpu = cpu;
    if (!dd_in_str(td, "memory"))
        n->memory = memory;
}

static bool is_udp(json_t *pm)
{
    const char *p = dd_in_str(pm, "protocol");
    return p && strcmp(p, "udp") == 0;
}

/* The static host port of a port mapping (0: dynamic) under the network mode. */
static json_int_t static_port(json_t *pm, const char *mode)
{
    json_int_t host = dd_in_int(pm, "hostPort", 0);
    return strcmp(mode, "host") == 0 && host == 0 ? dd_in_int(pm, "containerPort", 0) : host;
}

static bool host_ports(const char *mode)
{
    return strcmp(mode, "bridge") == 0 || strcmp(mode, "host") == 0;
}

/* Whether the task's static host ports are free on the instance (and distinct among themselves). */
static bool ports_free(json_t *doc, json_t *td, const char *mode)
{
    if (!host_ports(mode))
        return true;
    json_t *tcp = json_object_get(resource_of(doc, "remainingResources", "PORTS"), "stringSetValue");
    json_t *udp = json_object_get(resource_of(doc, "remainingResources", "PORTS_UDP"), "stringSetValue");
    json_t *mine = json_array();
    bool ok = true;
    size_t i, j;
    json_t *c, *pm;
    json_array_foreach(json_object_get(td, "containerDefinitions"), i, c)
    {
        json_array_foreach(json_object_get(c, "portMappings"), j, pm)
        {
            json_int_t port = static_port(pm, mode);
            if (port == 0)
                continue;
            char key[32], num[16];
            snprintf(num, sizeof num, "%lld", (long long)port);
            snprintf(key, sizeof key, "%s/%s", is_udp(pm) ? "udp" : "tcp", num);
            ok &= !set_has(is_udp(pm) ? udp : tcp, num) && !set_has(mine, key);
            json_array_append_new(mine, json_string(key));
        }
    }
    json_decref(mine);
    return ok;
}

/* One placement candidate. */
struct cand {
    json_t *doc;       /* borrowed from the candidates list */
    const char *why;   /* RunTask's failure reason, NULL when the task fits */
    int stage;         /* how far it got: 0 agent, 1 cpu, 2 memory, 3 ports, 4 constraints, 5 fits */
    double key[8];     /* the strategies' ranks, lower first */
};

/* Live tasks of `group` per container instance ARN (new object of integers). */
static json_t *group_counts(struct dd_request *r, const char *cluster, const char *group)
{
    json_t *counts = json_object();
    sqlite3_stmt *st = dd_stmt(r, SQL_GROUP_COUNTS);
    store_bind_text(st, 3, cluster);
    store_bind_text(st, 4, group);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_object_set_new(counts, store_col_text(st, 0), json_integer(sqlite3_column_int64(st, 1)));
    sqlite3_reset(st);
    return counts;
}

static bool constraints_ok(json_t *doc, json_t *constraints, json_t *counts, const char **why)
{
    size_t i;
    json_t *pc;
    json_array_foreach(constraints, i, pc)
    {
        const char *type = dd_in_str(pc, "type");
        if (strcmp(type, "distinctInstance") == 0 &&
            dd_in_int(counts, dd_in_str(doc, "containerInstanceArn"), 0) > 0) {
            *why = "DistinctInstance placement constraint unsatisfied.";
            return false;
        }
        if (strcmp(type, "memberOf") == 0 && !matches_filter(doc, dd_in_str(pc, "expression") ?: "")) {
            *why = "MemberOf placement constraint unsatisfied.";
            return false;
        }
    }
    return true;
}

/* Checks one instance in AWS's order: agent, CPU, MEMORY, PORTS, constraints. */
static void evaluate(struct cand *k, json_t *td, const struct needs *n, json_t *constraints, json_t *counts)
{
    k->stage = 0;
    k->why = "AGENT";
    if (!dd_in_bool(k->doc, "agentConnected"))
        return;
    k->stage = 1, k->why = "RESOURCE:CPU";
    if (remaining(k->doc, "CPU") < n->cpu)
        return;
    k->stage = 2, k->why = "RESOURCE:MEMORY";
    if (remaining(k->doc, "MEMORY") < n->memory)
        return;
    k->stage = 3, k->why = "RESOURCE:PORTS";
    if (!ports_free(k->doc, td, n->mode))
        return;
    k->stage = 4;
    if (!constraints_ok(k->doc, constraints, counts, &k->why))
        return;
    k->stage = 5, k->why = NULL;
}

/* Tasks of the group on instances sharing the instance's value of `field` (spread). */
static double spread_rank(json_t *cands, json_t *doc, const char *field, json_t *counts)
{
    const char *mine = strcmp(field, "instanceId") == 0 || strcmp(field, "host") == 0
                           ? dd_in_str(doc, "containerInstanceArn")
                           : field_value(doc, field);
    double n = 0;
    size_t i;
    json_t *other;
    json_array_foreach(cands, i, other)
    {
        const char *v = strcmp(field, "instanceId") == 0 || strcmp(field, "host") == 0
                            ? dd_in_str(other, "containerInstanceArn")
                            : field_value(other, field);
        if (mine && v && strcmp(mine, v) == 0)
            n += (double)dd_in_int(counts, dd_in_str(other, "containerInstanceArn"), 0);
    }
    return n;
}

static void rank(struct cand *k, json_t *strategies, json_t *cands, json_t *counts)
{
    size_t i;
    json_t *s;
    json_array_foreach(strategies, i, s)
    {
        if (i >= sizeof k->key / sizeof *k->key)
            break;
        const char *type = dd_in_str(s, "type"), *field = dd_in_str(s, "field") ?: "";
        if (strcmp(type, "binpack") == 0)
            k->key[i] = (double)remaining(k->doc, strcasecmp(field, "cpu") == 0 ? "CPU" : "MEMORY");
        else if (strcmp(type, "spread") == 0)
            k->key[i] = spread_rank(cands, k->doc, field, counts);
        else {
            char hex[7];
            dd_random_hex(hex, 6);
            k->key[i] = (double)strtol(hex, NULL, 16);
        }
    }
}

static int cand_cmp(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    if (x->stage != y->stage)
        return y->stage - x->stage; /* the furthest first: the placed one, or the closest match */
    for (size_t i = 0; i < sizeof x->key / sizeof *x->key; i++)
        if (x->key[i] != y->key[i])
            return x->key[i] < y->key[i] ? -1 : 1;
    return 0;
}

/* The words of AWS's service event for the closest matching instance. */
static void closest_words(const struct cand *k, char *out)
{
    const char *id = ecs_basename(dd_in_str(k->doc, "containerInstanceArn"));
    static const char *const what[] = {
        "encountered error \"AGENT\".",
        "has insufficient CPU units available.",
        "has insufficient memory available.",
        "is already using a port required by your task.",
        "is missing an attribute required by your task.",
    };
    snprintf(out, 512, "The closest matching (container-instance %s) %s", id, what[k->stage < 5 ? k->stage : 4]);
}

/* Reserves the task's resources on the instance (host ports chosen) and describes them. */
static json_t *reserve(json_t *doc, json_t *td, const struct needs *n)
{
    remaining_add(doc, "CPU", -n->cpu);
    remaining_add(doc, "MEMORY", -n->memory);
    json_t *tcp = json_object_get(resource_of(doc, "remainingResources", "PORTS"), "stringSetValue");
    json_t *udp = json_object_get(resource_of(doc, "remainingResources", "PORTS_UDP"), "stringSetValue");
    json_t *dyn = json_object_get(doc, "_dynamic");
    json_t *bindings = json_object(), *statics = json_array(), *dynamics = json_array();
    size_t i, j;
    json_t *c, *pm;
    json_array_foreach(host_ports(n->mode) ? json_object_get(td, "containerDefinitions") : NULL, i, c)
    {
        json_t *list = json_array();
        json_array_foreach(json_object_get(c, "portMappings"), j, pm)
        {
            json_int_t port = static_port(pm, n->mode);
            char num[16];
            if (port == 0) { /* bridge: docker picks one from the ephemeral range */
                for (port = DYNAMIC_FIRST; port < DYNAMIC_LAST; port++) {
                    snprintf(num, sizeof num, "%lld", (long long)port);
                    if (!set_has(tcp, num) && !set_has(udp, num) && !set_has(dyn, num))
                        break;
                }
                json_array_append_new(dyn, json_string(num));
                json_array_append_new(dynamics, json_string(num));
            } else {
                snprintf(num, sizeof num, "%lld", (long long)port);
                json_array_append_new(is_udp(pm) ? udp : tcp, json_string(num));
                json_array_append_new(statics, json_sprintf("%s/%s", is_udp(pm) ? "udp" : "tcp", num));
            }
            json_array_append_new(list, json_pack("{s:s, s:I, s:I, s:s}", "bindIP", "0.0.0.0", "containerPort",
                                                  dd_in_int(pm, "containerPort", 0), "hostPort", port, "protocol",
                                                  is_udp(pm) ? "udp" : "tcp"));
        }
        json_object_set_new(bindings, dd_in_str(c, "name"), list);
    }
    return json_pack("{s:s, s:s, s:I, s:I, s:o, s:o, s:o}", "ec2", dd_in_str(doc, "ec2InstanceId"), "subnet",
                     dd_in_str(doc, "_subnet") ?: "", "cpu", n->cpu, "memory", n->memory, "bindings", bindings,
                     "ports", statics, "dynamic", dynamics);
}

static json_t *zone_of(json_t *doc)
{
    const char *z = field_value(doc, "attribute:ecs.availability-zone");
    return json_string(z ? z : "");
}

/* The ACTIVE instances of the cluster (new list); only `only` (ARN or id) when not NULL. */
static json_t *active_instances(struct dd_request *r, const char *cluster, const char *only)
{
    json_t *list = json_array();
    sqlite3_stmt *st = dd_stmt(r, SQL_LIST);
    store_bind_text(st, 3, cluster);
    store_bind_text(st, 4, "ACTIVE");
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *doc = json_loads(store_col_text(st, 0), 0, NULL);
        const char *arn = dd_in_str(doc, "containerInstanceArn");
        if (doc && only && strcmp(arn, only) != 0 && strcmp(ecs_basename(arn), only) != 0)
            json_decref(doc);
        else if (doc)
            json_array_append_new(list, doc);
    }
    sqlite3_reset(st);
    return list;
}

int ecs_place(struct dd_request *r, const struct ecs_launch *l, json_t *placement, bool dflt_spread, char *instance,
              json_t **placed, json_t **failures, char *closest)
{
    *placed = NULL;
    *failures = NULL;
    const char *only = dd_in_str(placement, "_only");
    json_t *docs = active_instances(r, l->cluster->name, only);
    ecs_capacity_filter(r, l->capacity, docs);
    size_t count = json_array_size(docs);
    if (count == 0 && only) {
        json_decref(docs);
        *failures = json_pack("[{s:s, s:s}]", "arn", only, "reason", "MISSING");
        snprintf(closest, 512, "Reason: No Container Instances were found in your cluster.");
        return 1;
    }
    if (count == 0) {
        json_decref(docs);
        *failures = json_pack("[{s:s}]", "reason", "No Container Instances were found in your cluster.");
        snprintf(closest, 512, "Reason: No Container Instances were found in your cluster.");
        return 1;
    }
    json_t *strategies = json_object_get(placement, "placementStrategy");
    json_t *dflt = json_pack("[{s:s, s:s}, {s:s, s:s}]", "type", "spread", "field", "attribute:ecs.availability-zone",
                             "type", "spread", "field", "instanceId");
    if (json_array_size(strategies) == 0 && dflt_spread)
        strategies = dflt;
    json_t *counts = group_counts(r, l->cluster->name, l->group);
    struct needs n;
    task_needs(l->taskdef, &n);
    struct cand *cands = calloc(count, sizeof *cands);
    for (size_t i = 0; i < count; i++) {
        cands[i].doc = json_array_get(docs, i);
        evaluate(&cands[i], l->taskdef, &n, json_object_get(placement, "placementConstraints"), counts);
        if (cands[i].stage == 5)
            rank(&cands[i], strategies, docs, counts);
    }
    qsort(cands, count, sizeof *cands, cand_cmp);
    int rc = 1;
    if (cands[0].stage == 5) {
        json_t *doc = cands[0].doc;
        *placed = reserve(doc, l->taskdef, &n);
        json_object_set_new(*placed, "zone", zone_of(doc));
        json_object_set_new(doc, "version", json_integer(dd_in_int(doc, "version", 1) + 1));
        snprintf(instance, 512, "%s", dd_in_str(doc, "containerInstanceArn"));
        rc = instance_save(r, doc) ? -1 : 0;
    } else {
        *failures = json_array();
        for (size_t i = 0; i < count; i++)
            json_array_append_new(*failures, json_pack("{s:s, s:s}", "arn",
                                                       dd_in_str(cands[i].doc, "containerInstanceArn"), "reason",
                                                       cands[i].why));
        closest_words(&cands[0], closest);
    }
    free(cands);
    json_decref(counts);
    json_decref(dflt);
    json_decref(docs);
    return rc;
}

void ecs_instance_release(struct dd_request *r, json_t *task)
{
    json_t *p = json_object_get(task, "_placed");
    const char *arn = dd_in_str(task, "containerInstanceArn");
    if (!p || !arn || dd_in_bool(task, "_released"))
        return;
    json_object_set_new(task, "_released", json_true());
    json_t *doc = instance_load(r, arn);
    if (!doc)
        return;
    remaining_add(doc, "CPU", dd_in_int(p, "cpu", 0));
    remaining_add(doc, "MEMORY", dd_in_int(p, "memory", 0));
    json_t *tcp = json_object_get(resource_of(doc, "remainingResources", "PORTS"), "stringSetValue");
    json_t *udp = json_object_get(resource_of(doc, "remainingResources", "PORTS_UDP"), "stringSetValue");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(p, "ports"), i, v)
    {
        const char *s = json_string_value(v);
        set_remove(strncmp(s, "udp/", 4) == 0 ? udp : tcp, s + 4);
    }
    json_array_foreach(json_object_get(p, "dynamic"), i, v)
    {
        set_remove(json_object_get(doc, "_dynamic"), json_string_value(v));
    }
    json_object_set_new(doc, "version", json_integer(dd_in_int(doc, "version", 1) + 1));
    /* the room it frees may be what another service is waiting for */
    if (instance_save(r, doc) == 0)
        poke_services(r, dd_in_str(doc, "_cluster"));
    json_decref(doc);
}

const char *ecs_task_target(json_t *t, json_t *lb, int *port)
{
    *port = (int)dd_in_int(lb, "containerPort", 0);
    if (dd_in_str(t, "_ip"))
        return dd_in_str(t, "_ip");
    json_t *placed = json_object_get(t, "_placed");
    json_t *list = json_object_get(json_object_get(placed, "bindings"), dd_in_str(lb, "containerName") ?: "");
    size_t i;
    json_t *b;
    json_array_foreach(list, i, b)
    {
        if (dd_in_int(b, "containerPort", -1) == *port) {
            *port = (int)dd_in_int(b, "hostPort", 0);
            return dd_in_str(placed, "ec2");
        }
    }
    return NULL;
}
