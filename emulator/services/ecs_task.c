/*
 * ecs_task.c - tasks: the store, launching and stopping (shared by RunTask and
 * the service scheduler), the network and launch type rules, and RunTask,
 * StopTask, DescribeTasks and ListTasks. The lifecycle itself is ecs_sim.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim.h"
#include "ec2.h"
#include "ecs_internal.h"

static const char SQL_TASK[] = "SELECT doc FROM ecs_task WHERE account=?1 AND region=?2 AND arn=?3";
static const char SQL_INSERT[] =
    "INSERT INTO ecs_task (account, region, arn, cluster, service, deployment, family, started_by, launch_type,"
    " last_status, desired_status, doc, container_instance)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
static const char SQL_UPDATE[] =
    "UPDATE ecs_task SET last_status=?4, desired_status=?5, doc=?6 WHERE account=?1 AND region=?2 AND arn=?3";
static const char SQL_SET_INSTANCE[] =
    "UPDATE ecs_task SET container_instance=?4 WHERE account=?1 AND region=?2 AND arn=?3";
static const char SQL_AWAITING[] =
    "SELECT arn FROM ecs_task WHERE account=?1 AND region=?2 AND cluster=?3 AND desired_status='RUNNING'"
    " AND container_instance IS NULL AND json_extract(doc, '$._awaiting') ORDER BY seq";
static const char SQL_COUNTS[] =
    "SELECT coalesce(sum(last_status='RUNNING'), 0),"
    " coalesce(sum(last_status IN ('PROVISIONING', 'PENDING', 'ACTIVATING') AND desired_status='RUNNING'), 0)"
    " FROM ecs_task WHERE account=?1 AND region=?2 AND cluster=?3 AND (?4 IS NULL OR service=?4)"
    " AND (?5 IS NULL OR deployment=?5)";
/* ListTasks: ?3 cluster, ?4 desired status, ?5 family, ?6 service, ?7 startedBy, ?8 launch type,
 * ?11 container instance (id or ARN); one page: the ?10 tasks after seq ?9 (the page token), so a
 * page costs its size, not the cluster's. */
static const char SQL_LIST[] =
    "SELECT arn, seq FROM ecs_task WHERE account=?1 AND region=?2 AND cluster=?3"
    " AND desired_status=?4 AND (?5 IS NULL OR family=?5) AND (?6 IS NULL OR service=?6)"
    " AND (?7 IS NULL OR started_by=?7) AND (?8 IS NULL OR launch_type=?8) AND seq>?9"
    " AND (?11 IS NULL OR container_instance=?11 OR container_instance LIKE '%/' || ?11) ORDER BY seq LIMIT ?10";

#define MAX_RUN_COUNT 10

/* ---- the store ---------------------------------------------------------------------------------- */

json_t *ecs_task_load(struct dd_request *r, const char *task_arn)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_TASK);
    store_bind_text(st, 3, task_arn);
    json_t *doc = sqlite3_step(st) == SQLITE_ROW ? json_loads(store_col_text(st, 0), 0, NULL) : NULL;
    sqlite3_reset(st);
    return doc;
}

void ecs_task_save(struct dd_request *r, json_t *task)
{
    char *text = json_dumps(task, JSON_COMPACT);
    sqlite3_stmt *st = dd_stmt(r, SQL_UPDATE);
    store_bind_text(st, 3, dd_in_str(task, "taskArn"));
    store_bind_text(st, 4, dd_in_str(task, "lastStatus"));
    store_bind_text(st, 5, dd_in_str(task, "desiredStatus"));
    store_bind_text(st, 6, text);
    free(text);
    dd_exec(r, st);
}

void ecs_task_counts(struct dd_request *r, const char *cluster, const char *service, const char *deployment,
                     int64_t *running, int64_t *pending)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_COUNTS);
    store_bind_text(st, 3, cluster);
    store_bind_text(st, 4, service);
    store_bind_text(st, 5, deployment);
    *running = *pending = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *running = sqlite3_column_int64(st, 0);
        *pending = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
}

/* ---- rules shared with CreateService ------------------------------------------------------------ */

static int check_subnets(struct dd_request *r, json_t *subnets, char vpc[64])
{
    if (json_array_size(subnets) == 0)
        return ecs_invalid(r, "subnets can not be empty.");
    vpc[0] = '\0';
    size_t i;
    json_t *s;
    json_array_foreach(subnets, i, s)
    {
        struct ec2_subnet_info info;
        const char *id = json_string_value(s);
        if (ec2_subnet_info(r, id, &info))
            return ecs_invalid(r, "Error retrieving subnet information for [%s]: The subnet ID '%s' does not exist "
                                  "(ErrorCode: InvalidSubnetID.NotFound)",
                               id, id);
        if (vpc[0] && strcmp(vpc, info.vpc_id) != 0)
            return ecs_invalid(r, "The subnets provided must all belong to the same VPC.");
        snprintf(vpc, 64, "%s", info.vpc_id);
    }
    return 0;
}

static int check_groups(struct dd_request *r, json_t *groups, const char *vpc)
{
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        char sg_vpc[64];
        const char *id = json_string_value(g);
        if (ec2_sg_vpc(r, id, sg_vpc))
            return ecs_invalid(r, "Error retrieving security group information for [%s]: The security group '%s' "
                                  "does not exist (ErrorCode: InvalidGroup.NotFound)",
                               id, id);
        if (strcmp(sg_vpc, vpc) != 0)
            return ecs_invalid(r, "Security group %s and the subnets provided belong to different networks.", id);
    }
    return 0;
}

int ecs_network_check(struct dd_request *r, json_t *taskdef, json_t *netconf)
{
    json_t *aws = json_object_get(netconf, "awsvpcConfiguration");
    bool awsvpc = strcmp(dd_in_str(taskdef, "networkMode"), "awsvpc") == 0;
    if (awsvpc && !aws)
        return ecs_invalid(r, "Network Configuration must be provided when networkMode 'awsvpc' is specified.");
    if (!awsvpc && aws)
        return ecs_invalid(r, "Network Configuration is not valid for the given networkMode of this task "
                              "definition.");
    if (!aws)
        return 0;
    char vpc[64];
    if (check_subnets(r, json_object_get(aws, "subnets"), vpc))
        return -1;
    return check_groups(r, json_object_get(aws, "securityGroups"), vpc);
}

static bool td_supports(json_t *td, const char *what)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(td, "compatibilities"), i, v)
    {
        if (strcmp(json_string_value(v), what) == 0)
            return true;
    }
    return false;
}

int ecs_launch_type(struct dd_request *r, json_t *in, const struct ecs_cluster *c, json_t *taskdef, char *lt,
                    char *cp)
{
    json_t *strategy = json_object_get(in, "capacityProviderStrategy");
    const char *given = dd_in_str(in, "launchType");
    if (given && json_array_size(strategy))
        return ecs_invalid(r, "Specifying both a launch type and capacity provider strategy is not supported. "
                              "Remove one and try again.");
    cp[0] = '\0';
    json_t *dflt = given || json_array_size(strategy) ? NULL : ecs_cluster_strategy(r, c->name);
    json_t *use = json_array_size(strategy) ? strategy : dflt;
    if (given) {
        snprintf(lt, 16, "%s", given);
    } else if (json_array_size(use)) {
        const char *p = dd_in_str(json_array_get(use, 0), "capacityProvider");
        bool fargate = ecs_capacity_is_fargate(p);
        if (!fargate && ecs_capacity_usable(r, p, c->name)) {
            json_decref(dflt);
            return -1;
        }
        snprintf(lt, 16, "%s", fargate ? "FARGATE" : "EC2");
        snprintf(cp, 64, "%s", p);
    } else {
        snprintf(lt, 16, "EC2");
    }
    json_decref(dflt);
    if (strcmp(lt, "FARGATE") == 0 && !td_supports(taskdef, "FARGATE"))
        return ecs_invalid(r, "Task definition does not support launch_type FARGATE.");
    const char *pub = dd_in_str(json_object_get(json_object_get(in, "networkConfiguration"), "awsvpcConfiguration"),
                                "assignPublicIp");
    if (strcmp(lt, "EC2") == 0 && pub && strcmp(pub, "ENABLED") == 0)
        return ecs_invalid(r, "Assign public IP is not supported for this launch type.");
    return 0;
}

/* ---- launching and stopping --------------------------------------------------------------------- */

static json_t *containers_for(struct dd_request *r, const struct ecs_launch *l, const char *task_arn,
                              const char *task_id)
{
    json_t *list = json_array();
    size_t i;
    json_t *def;
    json_array_foreach(json_object_get(l->taskdef, "containerDefinitions"), i, def)
    {
        char uuid[37];
        dd_uuid(uuid);
        char *carn = dd_arn(r, "ecs", "container/%s/%s/%s", l->cluster->name, task_id, uuid);
        json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[], s:[], s:s, s:s}", "containerArn", carn, "taskArn",
                              task_arn, "name", dd_in_str(def, "name"), "image", dd_in_str(def, "image"),
                              "lastStatus", "PENDING", "networkBindings", "networkInterfaces", "healthStatus",
                              "UNKNOWN", "cpu", "0");
        json_object_set_new(c, "cpu", json_sprintf("%lld", (long long)dd_in_int(def, "cpu", 0)));
        if (json_object_get(def, "memory"))
            json_object_set_new(c, "memory", json_sprintf("%lld", (long long)dd_in_int(def, "memory", 0)));
        if (json_object_get(def, "memoryReservation"))
            json_object_set_new(c, "memoryReservation",
                                json_sprintf("%lld", (long long)dd_in_int(def, "memoryReservation", 0)));
        json_array_append_new(list, c);
        free(carn);
    }
    return list;
}

/* The ENI attachment (PRECREATED) in one of the subnets (on EC2, the instance's own: `own`);
 * the subnet choice and groups kept private. */
static void attach_network(struct dd_request *r, json_t *task, json_t *aws, const char *own)
{
    json_t *subnets = json_object_get(aws, "subnets");
    char pick[2];
    dd_random_hex(pick, 1);
    const char *subnet = json_string_value(json_array_get(subnets, strtoul(pick, NULL, 16) % json_array_size(subnets)));
    if (own && *own)
        subnet = own;
    struct ec2_subnet_info info;
    ec2_subnet_info(r, subnet, &info);
    char uuid[37];
    dd_uuid(uuid);
    json_object_set_new(task, "attachments",
                        json_pack("[{s:s, s:s, s:s, s:[{s:s, s:s}]}]", "id", uuid, "type", "ElasticNetworkInterface",
                                  "status", "PRECREATED", "details", "name", "subnetId", "value", subnet));
    json_object_set_new(task, "availabilityZone", json_string(info.zone));
    json_object_set_new(task, "_subnet", json_string(subnet));
    json_object_set(task, "_groups", json_object_get(aws, "securityGroups") ?: json_null());
    json_object_set_new(task, "_public_ip", json_boolean(dd_in_str(aws, "assignPublicIp") &&
                                                         strcmp(dd_in_str(aws, "assignPublicIp"), "ENABLED") == 0));
}

/* EC2 launch type: the container instance, its zone, and each container's host port bindings. */
static void place_on_instance(json_t *t, const struct ecs_launch *l)
{
    json_object_set_new(t, "containerInstanceArn", json_string(l->instance));
    json_object_set_new(t, "availabilityZone", json_string(dd_in_str(l->placed, "zone")));
    json_object_set(t, "_placed", l->placed);
    json_t *bindings = json_object_get(l->placed, "bindings");
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(t, "containers"), i, c)
    {
        json_t *b = json_object_get(bindings, dd_in_str(c, "name"));
        if (b)
            json_object_set(c, "networkBindings", b);
    }
}

static json_t *new_task_doc(struct dd_request *r, const struct ecs_launch *l, const char *arn, const char *id)
{
    json_t *td = l->taskdef;
    json_t *t = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:i, s:[], s:o, s:b, s:s}", "taskArn", arn,
                          "clusterArn", l->cluster->arn, "taskDefinitionArn", dd_in_str(td, "taskDefinitionArn"),
                          "launchType", l->launch_type, "group", l->group, "lastStatus", "PROVISIONING", "createdAt",
                          dd_time(r->now_ms), "desiredStatus", "RUNNING", "healthStatus", "UNKNOWN", "version", 1,
                          "attachments", "containers", containers_for(r, l, arn, id), "enableExecuteCommand", 0,
                          "platformFamily", "Linux");
    if (dd_in_str(td, "cpu"))
        json_object_set_new(t, "cpu", json_string(dd_in_str(td, "cpu")));
    if (dd_in_str(td, "memory"))
        json_object_set_new(t, "memory", json_string(dd_in_str(td, "memory")));
    if (strcmp(l->launch_type, "FARGATE") == 0) {
        json_object_set_new(t, "platformVersion", json_string("1.4.0"));
        json_object_set_new(t, "ephemeralStorage", json_pack("{s:i}", "sizeInGiB", 20));
    }
    if (l->capacity && *l->capacity)
        json_object_set_new(t, "capacityProviderName", json_string(l->capacity));
    if (l->started_by)
        json_object_set_new(t, "startedBy", json_string(l->started_by));
    json_t *ov = l->overrides ? json_deep_copy(l->overrides) : json_object();
    if (!json_object_get(ov, "containerOverrides"))
        json_object_set_new(ov, "containerOverrides", json_array());
    if (!json_object_get(ov, "inferenceAcceleratorOverrides"))
        json_object_set_new(ov, "inferenceAcceleratorOverrides", json_array());
    json_object_set_new(t, "overrides", ov);
    json_object_set_new(t, "tags", json_array());
    ecs_tags_merge(t, l->tags, NULL);
    if (l->instance)
        place_on_instance(t, l);
    if (l->awaiting)
        json_object_set_new(t, "_awaiting", json_true());
    if (l->awsvpc)
        attach_network(r, t, l->awsvpc, dd_in_str(l->placed, "subnet"));
    if (l->service)
        json_object_set_new(t, "_service", json_string(l->service));
    if (l->deployment)
        json_object_set_new(t, "_deployment", json_string(l->deployment));
    return t;
}

int ecs_task_launch(struct dd_request *r, const struct ecs_launch *l, char *arn_out)
{
    char id[33];
    dd_random_hex(id, 32);
    char *arn = dd_arn(r, "ecs", "task/%s/%s", l->cluster->name, id);
    snprintf(arn_out, 512, "%s", arn);
    json_t *t = new_task_doc(r, l, arn, id);
    char *text = json_dumps(t, JSON_COMPACT);
    sqlite3_stmt *st = dd_stmt(r, SQL_INSERT);
    store_bind_text(st, 3, arn);
    store_bind_text(st, 4, l->cluster->name);
    store_bind_text(st, 5, l->service);
    store_bind_text(st, 6, l->deployment);
    store_bind_text(st, 7, dd_in_str(l->taskdef, "family"));
    store_bind_text(st, 8, l->started_by);
    store_bind_text(st, 9, l->launch_type);
    store_bind_text(st, 10, "PROVISIONING");
    store_bind_text(st, 11, "RUNNING");
    store_bind_text(st, 12, text);
    store_bind_text(st, 13, l->instance);
    free(text);
    json_decref(t);
    int rc = dd_exec(r, st);
    if (rc == 0 && !l->awaiting)
        rc = ecs_task_schedule(r, arn, ecs_step_delay());
    free(arn);
    return rc;
}

int ecs_task_assign(struct dd_request *r, json_t *t, const struct ecs_launch *l)
{
    place_on_instance(t, l);
    json_object_del(t, "_awaiting");
    ecs_task_save(r, t);
    sqlite3_stmt *st = dd_stmt(r, SQL_SET_INSTANCE);
    store_bind_text(st, 3, dd_in_str(t, "taskArn"));
    store_bind_text(st, 4, l->instance);
    int rc = dd_exec(r, st);
    return rc ? rc : ecs_task_schedule(r, dd_in_str(t, "taskArn"), ecs_step_delay());
}

/* The first essential container exits with `code` (its reason from the admin crash, if any). */
static void mark_exit(json_t *task, int code)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(task, "containers"), i, c)
    {
        json_object_set_new(c, "exitCode", json_integer(code));
        const char *why = dd_in_str(task, "_crash_reason");
        if (why && *why)
            json_object_set_new(c, "reason", json_string(why));
        break;
    }
}

int ecs_task_stop(struct dd_request *r, const char *task_arn, const char *stop_code, const char *reason,
                  int exit_code)
{
    json_t *t = ecs_task_load(r, task_arn);
    if (!t)
        return 1;
    if (strcmp(dd_in_str(t, "desiredStatus"), "STOPPED") == 0) {
        json_decref(t);
        return 0;
    }
    json_object_set_new(t, "desiredStatus", json_string("STOPPED"));
    json_object_set_new(t, "stopCode", json_string(stop_code));
    json_object_set_new(t, "stoppedReason", json_string(reason));
    json_object_set_new(t, "stoppingAt", dd_time(r->now_ms));
    json_object_set_new(t, "version", json_integer(dd_in_int(t, "version", 1) + 1));
    if (exit_code >= 0)
        mark_exit(t, exit_code);
    ecs_task_save(r, t);
    json_decref(t);
    return ecs_task_schedule(r, task_arn, ecs_step_delay()) ? -1 : 0;
}

/* ---- RunTask, StopTask ---------------------------------------------------------------------------- */

static int taskdef_for_run(struct dd_request *r, const char *ref, json_t **td)
{
    if (ecs_taskdef_find(r, ref, td))
        return ecs_invalid(r, "TaskDefinition not found.");
    if (strcmp(dd_in_str(*td, "status"), "ACTIVE") != 0) {
        json_decref(*td);
        *td = NULL;
        return ecs_invalid(r, "TaskDefinition is inactive");
    }
    return 0;
}

static json_t *task_view(json_t *doc, bool tags)
{
    json_t *o = ecs_public(doc);
    if (!tags)
        json_object_del(o, "tags");
    return o;
}

/* EC2 launch type: places the next task (l->instance, l->placed). 0 placed, 1 not
 * (failures appended, once), -1 on error. */
static int place_for_run(struct dd_request *r, json_t *in, struct ecs_launch *l, char *instance, json_t *failures)
{
    json_t *why = NULL;
    char closest[512];
    json_decref(l->placed);
    l->placed = NULL;
    int rc = ecs_place(r, l, in, false, instance, &l->placed, &why, closest);
    l->instance = rc == 0 ? instance : NULL;
    l->awaiting = rc == 1 && ecs_capacity_managed(r, l->capacity);
    if (rc == 1 && !l->awaiting && json_array_size(failures) == 0)
        json_array_extend(failures, why);
    json_decref(why);
    return rc;
}

static json_t *run_tasks(struct dd_request *r, json_t *in, struct ecs_launch *l, json_int_t count)
{
    json_t *tasks = json_array(), *failures = json_array();
    bool ec2 = strcmp(l->launch_type, "EC2") == 0;
    char instance[512];
    for (json_int_t i = 0; i < count; i++) {
        char arn[512];
        int placed = ec2 ? place_for_run(r, in, l, instance, failures) : 0;
        if (placed > 0 && !l->awaiting)
            continue;
        if (placed < 0 || ecs_task_launch(r, l, arn)) {
            json_decref(l->placed);
            l->placed = NULL;
            json_decref(tasks);
            json_decref(failures);
            return NULL;
        }
        json_t *doc = ecs_task_load(r, arn);
        json_array_append_new(tasks, task_view(doc, true));
        json_decref(doc);
    }
    json_decref(l->placed);
    l->placed = NULL;
    l->instance = NULL; /* it pointed into this frame */
    return json_pack("{s:o, s:o}", "tasks", tasks, "failures", failures);
}

/* StartTask: one task on each of the container instances named, no strategy asked. */
static json_t *start_tasks(struct dd_request *r, json_t *in, struct ecs_launch *l)
{
    json_t *tasks = json_array(), *failures = json_array();
    size_t i;
    json_t *ref;
    json_array_foreach(json_object_get(in, "containerInstances"), i, ref)
    {
        json_t *only = json_pack("{s:O}", "_only", ref);
        json_t *out = run_tasks(r, only, l, 1);
        json_decref(only);
        if (!out) {
            json_decref(tasks);
            json_decref(failures);
            return NULL;
        }
        json_array_extend(tasks, json_object_get(out, "tasks"));
        json_array_extend(failures, json_object_get(out, "failures"));
        json_decref(out);
    }
    return json_pack("{s:o, s:o}", "tasks", tasks, "failures", failures);
}

/* RunTask (count tasks placed by the scheduler) and StartTask (`start`: on the instances named). */
static json_t *run_or_start(struct dd_request *r, json_t *in, bool start)
{
    struct ecs_cluster c;
    json_t *td = NULL, *out = NULL;
    json_int_t count = dd_in_int(in, "count", 1);
    if (count < 1 || count > MAX_RUN_COUNT)
        return dd_fail(r, 400, "InvalidParameterException", "Count must be between 1 and %d.", MAX_RUN_COUNT);
    if (start && (json_array_size(json_object_get(in, "containerInstances")) == 0 ||
                  json_array_size(json_object_get(in, "containerInstances")) > MAX_RUN_COUNT))
        return dd_fail(r, 400, "InvalidParameterException", "instanceIds can have at most %d items.", MAX_RUN_COUNT);
    if (ecs_cluster_get(r, dd_in_str(in, "cluster"), &c) || taskdef_for_run(r, dd_in_str(in, "taskDefinition"), &td))
        return NULL;
    char lt[16] = "EC2", cp[64] = "", group[300];
    json_t *net = json_object_get(in, "networkConfiguration");
    if ((start || ecs_launch_type(r, in, &c, td, lt, cp) == 0) && ecs_network_check(r, td, net) == 0 &&
        ecs_tags_check(r, json_object_get(in, "tags")) == 0) {
        snprintf(group, sizeof group, "family:%s", dd_in_str(td, "family"));
        struct ecs_launch l = {
            .cluster = &c,
            .taskdef = td,
            .launch_type = lt,
            .capacity = cp,
            .awsvpc = json_object_get(net, "awsvpcConfiguration"),
            .overrides = json_object_get(in, "overrides"),
            .tags = json_object_get(in, "tags"),
            .started_by = dd_in_str(in, "startedBy"),
            .group = dd_in_str(in, "group") ? dd_in_str(in, "group") : group,
        };
        out = start ? start_tasks(r, in, &l) : run_tasks(r, in, &l, count);
    }
    json_decref(td);
    return out;
}

json_t *ecs_op_RunTask(struct dd_request *r, json_t *in)
{
    return run_or_start(r, in, false);
}

json_t *ecs_op_StartTask(struct dd_request *r, json_t *in)
{
    return run_or_start(r, in, true);
}

/* A task reference (ARN or id) of cluster c as an ARN into out (>= 512). */
static void task_arn_of(struct dd_request *r, const struct ecs_cluster *c, const char *ref, char *out)
{
    if (strncmp(ref, "arn:", 4) == 0) {
        snprintf(out, 512, "%s", ref);
        return;
    }
    char *arn = dd_arn(r, "ecs", "task/%s/%s", c->name, ref);
    snprintf(out, 512, "%s", arn);
    free(arn);
}

json_t *ecs_op_StopTask(struct dd_request *r, json_t *in)
{
    struct ecs_cluster c;
    if (ecs_cluster_get(r, dd_in_str(in, "cluster"), &c))
        return NULL;
    char arn[512];
    task_arn_of(r, &c, dd_in_str(in, "task"), arn);
    const char *reason = dd_in_str(in, "reason");
    int rc = ecs_task_stop(r, arn, "UserInitiated", reason ? reason : "Task stopped by user", -1);
    if (rc < 0)
        return NULL;
    if (rc > 0)
        return dd_fail(r, 400, "InvalidParameterException", "The referenced task was not found.");
    json_t *doc = ecs_task_load(r, arn);
    json_t *out = json_pack("{s:o}", "task", task_view(doc, false));
    json_decref(doc);
    return out;
}

/* Places one task waiting for capacity (its service's placement, else the default spread): 0 placed or not, -1. */
static int place_waiting(struct dd_request *r, const struct ecs_cluster *c, json_t *t)
{
    json_t *td = NULL, *svc = NULL, *placed = NULL, *failures = NULL;
    if (ecs_taskdef_find(r, dd_in_str(t, "taskDefinitionArn"), &td))
        return 0;
    if (dd_in_str(t, "_service"))
        svc = ecs_service_load(r, c->name, dd_in_str(t, "_service"));
    struct ecs_launch l = {.cluster = c,
                           .taskdef = td,
                           .launch_type = "EC2",
                           .capacity = dd_in_str(t, "capacityProviderName"),
                           .group = dd_in_str(t, "group")};
    char instance[512], closest[512];
    int rc = ecs_place(r, &l, svc, true, instance, &placed, &failures, closest);
    if (rc == 0) {
        l.instance = instance;
        l.placed = placed;
        rc = ecs_task_assign(r, t, &l);
    }
    json_decref(placed);
    json_decref(failures);
    json_decref(svc);
    json_decref(td);
    return rc < 0 ? -1 : 0;
}

int ecs_place_waiting(struct dd_request *r, const char *cluster)
{
    struct ecs_cluster c;
    if (ecs_cluster_get(r, cluster, &c)) {
        r->err = (struct dd_error){0};
        return 0;
    }
    json_t *arns = json_array(), *a;
    sqlite3_stmt *st = dd_stmt(r, SQL_AWAITING);
    store_bind_text(st, 3, c.name);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(arns, json_string(store_col_text(st, 0)));
    sqlite3_reset(st);
    int rc = 0;
    size_t i;
    json_array_foreach(arns, i, a)
    {
        json_t *t = rc ? NULL : ecs_task_load(r, json_string_value(a));
        if (t)
            rc = place_waiting(r, &c, t);
        json_decref(t);
    }
    json_decref(arns);
    return rc;
}

/* ---- DescribeTasks, ListTasks --------------------------------------------------------------------- */

static bool include_tags(json_t *in)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(in, "include"), i, v)
    {
        if (strcmp(json_string_value(v), "TAGS") == 0)
            return true;
    }
    return false;
}

json_t *ecs_op_DescribeTasks(struct dd_request *r, json_t *in)
{
    struct ecs_cluster c;
    if (ecs_cluster_get(r, dd_in_str(in, "cluster"), &c))
        return NULL;
    json_t *refs = json_object_get(in, "tasks");
    if (json_array_size(refs) > 100)
        return dd_fail(r, 400, "InvalidParameterException", "Tasks cannot have more than 100 elements");
    json_t *tasks = json_array(), *failures = json_array();
    size_t i;
    json_t *ref;
    json_array_foreach(refs, i, ref)
    {
        char arn[512];
        task_arn_of(r, &c, json_string_value(ref), arn);
        json_t *doc = ecs_task_load(r, arn);
        if (doc && strcmp(dd_in_str(doc, "clusterArn"), c.arn) == 0)
            json_array_append_new(tasks, task_view(doc, include_tags(in)));
        else
            json_array_append_new(failures, json_pack("{s:s, s:s}", "arn", arn, "reason", "MISSING"));
        json_decref(doc);
    }
    return json_pack("{s:o, s:o}", "tasks", tasks, "failures", failures);
}

json_t *ecs_op_ListTasks(struct dd_request *r, json_t *in)
{
    struct ecs_cluster c;
    if (ecs_cluster_get(r, dd_in_str(in, "cluster"), &c))
        return NULL;
    const char *service = dd_in_str(in, "serviceName");
    const char *desired = dd_in_str(in, "desiredStatus") ? dd_in_str(in, "desiredStatus") : "RUNNING";
    if (service) {
        json_t *svc = ecs_service_load(r, c.name, ecs_basename(service));
        if (!svc)
            return dd_fail(r, 400, "ServiceNotFoundException", "Service not found.");
        json_decref(svc);
    }
    sqlite3_stmt *st = dd_stmt(r, SQL_LIST);
    store_bind_text(st, 3, c.name);
    store_bind_text(st, 4, desired);
    store_bind_text(st, 5, dd_in_str(in, "family"));
    store_bind_text(st, 6, service ? ecs_basename(service) : NULL);
    store_bind_text(st, 7, dd_in_str(in, "startedBy"));
    store_bind_text(st, 8, dd_in_str(in, "launchType"));
    store_bind_text(st, 11, dd_in_str(in, "containerInstance"));
    const char *token = dd_in_str(in, "nextToken");
    json_int_t max = dd_in_int(in, "maxResults", 100);
    sqlite3_bind_int64(st, 9, token ? strtoll(token, NULL, 10) : 0);
    sqlite3_bind_int64(st, 10, max + 1); /* one more than the page: is there a next one? */
    json_t *arns = json_array();
    int64_t last = 0;
    bool more = false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if ((json_int_t)json_array_size(arns) == max) {
            more = true;
            break;
        }
        json_array_append_new(arns, json_string(store_col_text(st, 0)));
        last = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    json_t *out = json_pack("{s:o}", "taskArns", arns);
    if (more)
        json_object_set_new(out, "nextToken", json_sprintf("%lld", (long long)last));
    return out;
}
