/*
 * ecs_taskdef.c - task definitions: RegisterTaskDefinition with AWS's rules
 * (containers, essential, awsvpc port mappings, Fargate's network mode,
 * execution role and cpu/memory pairs from fixtures/ecs_fargate.json),
 * revisions numbered per family, describe/list/deregister/delete.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../fixtures.h"
#include "ecs_internal.h"

static const char SQL_NEXT_REVISION[] =
    "SELECT coalesce(max(revision), 0) + 1 FROM ecs_taskdef WHERE account=?1 AND region=?2 AND family=?3";
static const char SQL_INSERT[] = "INSERT INTO ecs_taskdef (account, region, family, revision, arn, status, doc)"
                                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_BY_REVISION[] =
    "SELECT doc FROM ecs_taskdef WHERE account=?1 AND region=?2 AND family=?3 AND revision=?4";
static const char SQL_LATEST_ACTIVE[] = "SELECT doc FROM ecs_taskdef WHERE account=?1 AND region=?2 AND family=?3"
                                        " AND status='ACTIVE' ORDER BY revision DESC LIMIT 1";
static const char SQL_UPDATE[] =
    "UPDATE ecs_taskdef SET status=?5, doc=?6 WHERE account=?1 AND region=?2 AND family=?3 AND revision=?4";
static const char SQL_FAIL_GET[] = "SELECT fail FROM ecs_taskdef WHERE account=?1 AND region=?2 AND arn=?3";
static const char SQL_FAIL_SET[] =
    "UPDATE ecs_taskdef SET fail=?5 WHERE account=?1 AND region=?2 AND family=?3 AND revision=?4";
/* ?3 family prefix or NULL, ?4 status or NULL (ALL), ?5 descending */
static const char SQL_LIST[] =
    "SELECT arn FROM ecs_taskdef WHERE account=?1 AND region=?2 AND (?3 IS NULL OR substr(family, 1, length(?3))=?3)"
    " AND (?4 IS NULL OR status=?4) ORDER BY CASE WHEN ?5 THEN NULL ELSE family END, family DESC,"
    " CASE WHEN ?5 THEN -revision ELSE revision END";
static const char SQL_FAMILIES[] =
    "SELECT family, max(status='ACTIVE') FROM ecs_taskdef WHERE account=?1 AND region=?2"
    " AND (?3 IS NULL OR substr(family, 1, length(?3))=?3) GROUP BY family ORDER BY family";

/* ---- lookups ------------------------------------------------------------------------------------ */

/* Splits "family:revision" (an ARN's last part too): revision 0 when absent, -1 when malformed. */
static long split_ref(const char *ref, char *family, size_t len)
{
    const char *base = strncmp(ref, "arn:", 4) == 0 ? ecs_basename(ref) : ref;
    const char *colon = strrchr(base, ':');
    size_t n = colon ? (size_t)(colon - base) : strlen(base);
    snprintf(family, len, "%.*s", (int)n, base);
    if (!colon)
        return 0;
    char *end;
    long rev = strtol(colon + 1, &end, 10);
    return *end || rev <= 0 ? -1 : rev;
}

int ecs_taskdef_find(struct dd_request *r, const char *ref, json_t **doc)
{
    char family[256];
    *doc = NULL;
    long rev = ref ? split_ref(ref, family, sizeof family) : -1;
    if (rev < 0)
        return 1;
    sqlite3_stmt *st = dd_stmt(r, rev ? SQL_BY_REVISION : SQL_LATEST_ACTIVE);
    store_bind_text(st, 3, family);
    if (rev)
        sqlite3_bind_int64(st, 4, rev);
    if (sqlite3_step(st) == SQLITE_ROW)
        *doc = json_loads(store_col_text(st, 0), 0, NULL);
    sqlite3_reset(st);
    return *doc ? 0 : 1;
}

char *ecs_taskdef_failure(struct dd_request *r, const char *arn)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_FAIL_GET);
    store_bind_text(st, 3, arn);
    char *fail = NULL;
    if (sqlite3_step(st) == SQLITE_ROW && store_col_text(st, 0))
        fail = strdup(store_col_text(st, 0));
    sqlite3_reset(st);
    return fail;
}

int ecs_taskdef_set_failure(struct dd_request *r, const char *ref, const char *reason)
{
    json_t *doc;
    if (ecs_taskdef_find(r, ref, &doc))
        return 1;
    sqlite3_stmt *st = dd_stmt(r, SQL_FAIL_SET);
    store_bind_text(st, 3, dd_in_str(doc, "family"));
    sqlite3_bind_int64(st, 4, dd_in_int(doc, "revision", 0));
    store_bind_text(st, 5, reason);
    json_decref(doc);
    return dd_exec(r, st) ? 1 : 0;
}

json_t *ecs_taskdef_container(json_t *td, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(td, "containerDefinitions"), i, c)
    {
        if (name && strcmp(dd_in_str(c, "name"), name) == 0)
            return c;
    }
    return NULL;
}

/* ---- cpu and memory ----------------------------------------------------------------------------- */

/* "256", "1 vCPU", ".25 vcpu" -> CPU units; "512", "2GB", "2 gb" -> MiB. -1 when unreadable. */
static long parse_size(const char *s, const char *unit, long per_unit)
{
    char *end;
    double v = strtod(s, &end);
    while (*end == ' ')
        end++;
    if (end == s || v <= 0)
        return -1;
    if (!*end)
        return (long)v;
    if (strcasecmp(end, unit) != 0)
        return -1;
    return (long)(v * (double)per_unit + 0.5);
}

static bool fargate_pair_ok(long cpu, long memory)
{
    json_t *fx = fixture_json("ecs_fargate");
    bool ok = false;
    size_t i, j;
    json_t *p, *m;
    json_array_foreach(json_object_get(fx, "pairs"), i, p)
    {
        if (json_integer_value(json_object_get(p, "cpu")) != cpu)
            continue;
        json_array_foreach(json_object_get(p, "memory"), j, m) ok |= json_integer_value(m) == memory;
    }
    json_decref(fx);
    return ok;
}

/* Normalizes cpu/memory in `td` to unit strings and checks Fargate's table. */
static int check_size(struct dd_request *r, json_t *td, bool fargate)
{
    const char *cpu_s = dd_in_str(td, "cpu"), *mem_s = dd_in_str(td, "memory");
    long cpu = cpu_s ? parse_size(cpu_s, "vcpu", 1024) : 0, mem = mem_s ? parse_size(mem_s, "gb", 1024) : 0;
    if (cpu < 0)
        return ecs_client_error(r, "Invalid 'cpu' setting for task.");
    if (mem < 0)
        return ecs_client_error(r, "Invalid 'memory' setting for task.");
    if (cpu_s)
        json_object_set_new(td, "cpu", json_sprintf("%ld", cpu));
    if (mem_s)
        json_object_set_new(td, "memory", json_sprintf("%ld", mem));
    if (!fargate)
        return 0;
    if (!cpu_s)
        return ecs_client_error(r, "Fargate requires that 'cpu' be defined at the task level.");
    if (!mem_s)
        return ecs_client_error(r, "Fargate requires that 'memory' be defined at the task level.");
    if (!fargate_pair_ok(cpu, mem))
        return ecs_client_error(r, "No Fargate configuration exists for given values.");
    return 0;
}

/* ---- containers --------------------------------------------------------------------------------- */

static bool is_ecr_image(const char *image)
{
    return image && strstr(image, ".dkr.ecr.") && strstr(image, ".amazonaws.com");
}

static bool uses_awslogs(json_t *c)
{
    const char *driver = dd_in_str(json_object_get(c, "logConfiguration"), "logDriver");
    return driver && strcmp(driver, "awslogs") == 0;
}

/* Port mappings: awsvpc/host need hostPort == containerPort (filled in when absent). */
static int check_ports(struct dd_request *r, json_t *c, const char *mode)
{
    bool same_port = strcmp(mode, "awsvpc") == 0 || strcmp(mode, "host") == 0;
    size_t i;
    json_t *pm;
    json_array_foreach(json_object_get(c, "portMappings"), i, pm)
    {
        json_int_t cport = dd_in_int(pm, "containerPort", 0), hport = dd_in_int(pm, "hostPort", -1);
        if (same_port && hport >= 0 && hport != cport && !json_object_get(pm, "containerPortRange"))
            return ecs_client_error(r, "When networkMode=%s, the host ports and container ports in port mappings "
                                       "must match.",
                                    mode);
        if (same_port && hport < 0 && cport)
            json_object_set_new(pm, "hostPort", json_integer(cport));
        if (!json_object_get(pm, "protocol"))
            json_object_set_new(pm, "protocol", json_string("tcp"));
    }
    return 0;
}

static int check_container(struct dd_request *r, json_t *td, json_t *c, bool fargate, const char *mode)
{
    const char *name = dd_in_str(c, "name"), *image = dd_in_str(c, "image");
    if (!name || !*name)
        return ecs_client_error(r, "Container.name should not be null or empty.");
    if (!image || !*image)
        return ecs_client_error(r, "Container.image should not be null or empty.");
    bool has_memory = json_object_get(c, "memory") || json_object_get(c, "memoryReservation");
    if (!has_memory && !dd_in_str(td, "memory"))
        return ecs_client_error(r, "Invalid setting for container '%s'. At least one of 'memory' or "
                                   "'memoryReservation' must be specified.",
                                name);
    bool role = dd_in_str(td, "executionRoleArn") != NULL;
    if (fargate && !role && is_ecr_image(image))
        return ecs_client_error(r, "Fargate requires task definition to have execution role ARN to support ECR "
                                   "images.");
    if (fargate && !role && uses_awslogs(c))
        return ecs_client_error(r, "Fargate requires task definition to have execution role ARN to support log "
                                   "driver awslogs.");
    if (check_ports(r, c, mode))
        return -1;
    if (!json_object_get(c, "essential"))
        json_object_set_new(c, "essential", json_true());
    static const char *const empty_lists[] = {"portMappings", "environment", "mountPoints", "volumesFrom"};
    for (size_t i = 0; i < sizeof empty_lists / sizeof *empty_lists; i++)
        if (!json_object_get(c, empty_lists[i]))
            json_object_set_new(c, empty_lists[i], json_array());
    if (!json_object_get(c, "cpu"))
        json_object_set_new(c, "cpu", json_integer(0));
    return 0;
}

static int check_containers(struct dd_request *r, json_t *td, bool fargate, const char *mode)
{
    json_t *list = json_object_get(td, "containerDefinitions");
    if (json_array_size(list) == 0)
        return ecs_client_error(r, "Container list cannot be empty.");
    bool essential = false;
    size_t i, j;
    json_t *c;
    json_array_foreach(list, i, c)
    {
        if (check_container(r, td, c, fargate, mode))
            return -1;
        for (j = 0; j < i; j++)
            if (strcmp(dd_in_str(json_array_get(list, j), "name"), dd_in_str(c, "name")) == 0)
                return ecs_client_error(r, "Duplicate container names are not allowed.");
        essential |= dd_in_bool(c, "essential");
    }
    if (!essential)
        return ecs_client_error(r, "Task definition doesn't have any essential container.");
    return 0;
}

static bool family_ok(const char *f)
{
    if (!*f || strlen(f) > 255)
        return false;
    for (; *f; f++)
        if (!isalnum((unsigned char)*f) && *f != '-' && *f != '_')
            return false;
    return true;
}

static bool requires(json_t *td, const char *what)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(td, "requiresCompatibilities"), i, v)
    {
        if (strcmp(json_string_value(v), what) == 0)
            return true;
    }
    return false;
}

/* The checks, in AWS's order; fills defaults into td. */
static int taskdef_check(struct dd_request *r, json_t *td)
{
    const char *family = dd_in_str(td, "family");
    if (!family_ok(family))
        return ecs_client_error(r, "Family contains invalid characters. Up to 255 letters (uppercase and "
                                   "lowercase), numbers, underscores, and hyphens are allowed.");
    bool fargate = requires(td, "FARGATE");
    if (!dd_in_str(td, "networkMode"))
        json_object_set_new(td, "networkMode", json_string(fargate ? "awsvpc" : "bridge"));
    const char *mode = dd_in_str(td, "networkMode");
    if (fargate && strcmp(mode, "awsvpc") != 0)
        return ecs_client_error(r, "Fargate only supports network mode \u2018awsvpc\u2019.");
    if (check_size(r, td, fargate))
        return -1;
    return check_containers(r, td, fargate, mode);
}

/* ---- operations --------------------------------------------------------------------------------- */

static int64_t next_revision(struct dd_request *r, const char *family)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_NEXT_REVISION);
    store_bind_text(st, 3, family);
    return dd_single_int(st, 1);
}

static bool awsvpc_compatible(json_t *td)
{
    return strcmp(dd_in_str(td, "networkMode"), "awsvpc") == 0;
}

static json_t *taskdef_tags(json_t *td)
{
    json_t *tags = json_object_get(td, "tags");
    return tags ? json_incref(tags) : json_array();
}

json_t *ecs_op_RegisterTaskDefinition(struct dd_request *r, json_t *in)
{
    json_t *td = json_deep_copy(in);
    json_t *tags = json_object_get(in, "tags");
    json_object_del(td, "tags");
    if (taskdef_check(r, td) || ecs_tags_check(r, tags)) {
        json_decref(td);
        return NULL;
    }
    const char *family = dd_in_str(td, "family");
    int64_t rev = next_revision(r, family);
    char *arn = dd_arn(r, "ecs", "task-definition/%s:%lld", family, (long long)rev);
    json_t *compat = awsvpc_compatible(td) ? json_pack("[s, s]", "EC2", "FARGATE") : json_pack("[s]", "EC2");
    json_object_set_new(td, "taskDefinitionArn", json_string(arn));
    json_object_set_new(td, "revision", json_integer(rev));
    json_object_set_new(td, "status", json_string("ACTIVE"));
    json_object_set_new(td, "compatibilities", compat);
    json_object_set_new(td, "registeredAt", dd_time(r->now_ms));
    json_object_set_new(td, "registeredBy", json_string(r->caller_arn ? r->caller_arn : ""));
    json_object_set_new(td, "requiresAttributes", json_array());
    if (!json_object_get(td, "volumes"))
        json_object_set_new(td, "volumes", json_array());
    if (!json_object_get(td, "placementConstraints"))
        json_object_set_new(td, "placementConstraints", json_array());
    ecs_tags_merge(td, tags, NULL);
    char *text = json_dumps(td, JSON_COMPACT);
    sqlite3_stmt *st = dd_stmt(r, SQL_INSERT);
    store_bind_text(st, 3, family);
    sqlite3_bind_int64(st, 4, rev);
    store_bind_text(st, 5, arn);
    store_bind_text(st, 6, "ACTIVE");
    store_bind_text(st, 7, text);
    free(text);
    free(arn);
    json_t *out = NULL;
    if (dd_exec(r, st) == 0) {
        json_t *pub = ecs_public(td);
        json_object_del(pub, "tags");
        out = json_pack("{s:o, s:o}", "taskDefinition", pub, "tags", taskdef_tags(td));
    }
    json_decref(td);
    return out;
}

/* The public TaskDefinition (tags apart) of `ref`, or NULL with "Unable to describe task definition." */
static json_t *describe_or_err(struct dd_request *r, const char *ref, json_t **doc)
{
    if (ecs_taskdef_find(r, ref, doc))
        return dd_fail(r, 400, "ClientException", "Unable to describe task definition.");
    json_t *pub = ecs_public(*doc);
    json_object_del(pub, "tags");
    return pub;
}

json_t *ecs_op_DescribeTaskDefinition(struct dd_request *r, json_t *in)
{
    json_t *doc, *pub = describe_or_err(r, dd_in_str(in, "taskDefinition"), &doc);
    if (!pub)
        return NULL;
    json_t *out = json_pack("{s:o}", "taskDefinition", pub);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(in, "include"), i, v)
    {
        if (strcmp(json_string_value(v), "TAGS") == 0)
            json_object_set_new(out, "tags", taskdef_tags(doc));
    }
    json_decref(doc);
    return out;
}

json_t *ecs_op_ListTaskDefinitions(struct dd_request *r, json_t *in)
{
    const char *status = dd_in_str(in, "status") ? dd_in_str(in, "status") : "ACTIVE";
    const char *sort = dd_in_str(in, "sort");
    sqlite3_stmt *st = dd_stmt(r, SQL_LIST);
    store_bind_text(st, 3, dd_in_str(in, "familyPrefix"));
    store_bind_text(st, 4, strcmp(status, "ALL") == 0 ? NULL : status);
    sqlite3_bind_int(st, 5, sort && strcmp(sort, "DESC") == 0);
    json_t *arns = json_array();
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(arns, json_string(store_col_text(st, 0)));
    sqlite3_reset(st);
    return dd_page(in, arns, "taskDefinitionArns", "maxResults", 100);
}

json_t *ecs_op_ListTaskDefinitionFamilies(struct dd_request *r, json_t *in)
{
    const char *status = dd_in_str(in, "status") ? dd_in_str(in, "status") : "ACTIVE";
    sqlite3_stmt *st = dd_stmt(r, SQL_FAMILIES);
    store_bind_text(st, 3, dd_in_str(in, "familyPrefix"));
    json_t *families = json_array();
    while (sqlite3_step(st) == SQLITE_ROW) {
        bool active = sqlite3_column_int(st, 1) != 0;
        if (strcmp(status, "ALL") == 0 || active == (strcmp(status, "ACTIVE") == 0))
            json_array_append_new(families, json_string(store_col_text(st, 0)));
    }
    sqlite3_reset(st);
    return dd_page(in, families, "families", "maxResults", 100);
}

static int set_status(struct dd_request *r, json_t *doc, const char *status)
{
    json_object_set_new(doc, "status", json_string(status));
    char *text = json_dumps(doc, JSON_COMPACT);
    sqlite3_stmt *st = dd_stmt(r, SQL_UPDATE);
    store_bind_text(st, 3, dd_in_str(doc, "family"));
    sqlite3_bind_int64(st, 4, dd_in_int(doc, "revision", 0));
    store_bind_text(st, 5, status);
    store_bind_text(st, 6, text);
    free(text);
    return dd_exec(r, st);
}

json_t *ecs_op_DeregisterTaskDefinition(struct dd_request *r, json_t *in)
{
    const char *ref = dd_in_str(in, "taskDefinition");
    char family[256];
    if (split_ref(ref, family, sizeof family) <= 0)
        return dd_fail(r, 400, "ClientException", "Invalid revision number. Number: %s",
                       strchr(ecs_basename(ref), ':') ? strchr(ecs_basename(ref), ':') + 1 : "");
    json_t *doc, *pub = describe_or_err(r, ref, &doc);
    if (!pub)
        return NULL;
    json_decref(pub);
    if (strcmp(dd_in_str(doc, "status"), "ACTIVE") == 0) {
        json_object_set_new(doc, "deregisteredAt", dd_time(r->now_ms));
        if (set_status(r, doc, "INACTIVE")) {
            json_decref(doc);
            return NULL;
        }
    }
    pub = ecs_public(doc);
    json_object_del(pub, "tags");
    json_decref(doc);
    return json_pack("{s:o}", "taskDefinition", pub);
}
