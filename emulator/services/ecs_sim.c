/*
 * ecs_sim.c - ECS on the simulation clock: a task's lifecycle, one step per
 * event, and the service scheduler.
 *
 * A task walks PROVISIONING -> PENDING (its ENI attached) -> ACTIVATING (the
 * checks AWS makes before a container starts: roles, secrets, log group;
 * images pulled, those in drydock's ECR looked up) -> RUNNING (targets
 * registered). Asked to stop, it walks DEACTIVATING (targets deregistered)
 * -> STOPPING (containers exit) -> DEPROVISIONING -> STOPPED (ENI released);
 * a task that never ran goes straight to DEPROVISIONING. Stopped tasks are
 * purged an hour later.
 *
 * The scheduler ("ecs.service.reconcile") runs whenever something changed:
 * it keeps desiredCount tasks of the PRIMARY deployment, rolls older
 * deployments out within minimumHealthyPercent / maximumPercent, applies the
 * deployment circuit breaker, and reports completion and steady state as
 * AWS words them in the service's events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim.h"
#include "ec2.h"
#include "ecr.h"
#include "ecs_internal.h"
#include "elbv2.h"
#include "iam.h"
#include "logs.h"
#include "ssm.h"

#define PURGE_AFTER_MS (3600 * 1000LL)

/* A service's live tasks; those on a DRAINING container instance belong to no deployment (?: replaced). */
static const char SQL_SERVICE_TASKS[] =
    "SELECT t.arn, CASE WHEN i.status='DRAINING' THEN NULL ELSE t.deployment END, t.last_status FROM ecs_task t"
    " LEFT JOIN ecs_instance i ON i.account=t.account AND i.region=t.region AND i.arn=t.container_instance"
    " WHERE t.account=?1 AND t.region=?2 AND t.cluster=?3 AND t.service=?4 AND t.desired_status='RUNNING'"
    " ORDER BY t.seq";
static const char SQL_IN_TRANSIT[] = "SELECT count(*) FROM ecs_task WHERE account=?1 AND region=?2 AND cluster=?3"
                                     " AND service=?4 AND desired_status='STOPPED' AND last_status<>'STOPPED'";
static const char SQL_PURGE[] =
    "DELETE FROM ecs_task WHERE account=?1 AND region=?2 AND arn=?3 AND last_status='STOPPED'";

int64_t ecs_step_delay(void)
{
    return sim_delay_ms(200, 6000);
}

int ecs_task_schedule(struct dd_request *r, const char *task_arn, int64_t delay_ms)
{
    sim_cancel(r, ECS_STEP_EVENT, task_arn);
    return sim_schedule(r, delay_ms, ECS_STEP_EVENT, task_arn, NULL);
}

/* ---- small helpers -------------------------------------------------------------------------------- */

/* "arn:aws:ecs:R:A:service/CLUSTER/NAME" -> cluster and name; 0 or -1. */
int ecs_split_service_arn(const char *arn, char cluster[256], char name[256])
{
    const char *p = strstr(arn, ":service/");
    if (!p)
        return -1;
    p += strlen(":service/");
    const char *slash = strchr(p, '/');
    if (!slash)
        return -1;
    snprintf(cluster, 256, "%.*s", (int)(slash - p), p);
    snprintf(name, 256, "%s", slash + 1);
    return 0;
}

static void set_status(json_t *t, const char *status)
{
    json_object_set_new(t, "lastStatus", json_string(status));
    json_object_set_new(t, "version", json_integer(dd_in_int(t, "version", 1) + 1));
}

static void containers_set(json_t *t, const char *status)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(t, "containers"), i, c) json_object_set_new(c, "lastStatus", json_string(status));
}

static json_t *taskdef_of(struct dd_request *r, json_t *t)
{
    json_t *td = NULL;
    ecs_taskdef_find(r, dd_in_str(t, "taskDefinitionArn"), &td);
    return td;
}

/* The service (new reference) a task belongs to, or NULL. */
static json_t *service_of(struct dd_request *r, json_t *t, char cluster[256])
{
    const char *name = dd_in_str(t, "_service");
    if (!name)
        return NULL;
    snprintf(cluster, 256, "%s", ecs_basename(dd_in_str(t, "clusterArn")));
    return ecs_service_load(r, cluster, name);
}

/* The task's awslogs stream of container `c` (defined in td) into group/stream; false when not awslogs. */
static bool awslogs_target(json_t *t, json_t *def, const char **group, char *stream, size_t len)
{
    json_t *lc = json_object_get(def, "logConfiguration");
    const char *driver = dd_in_str(lc, "logDriver");
    if (!driver || strcmp(driver, "awslogs") != 0)
        return false;
    json_t *opts = json_object_get(lc, "options");
    *group = dd_in_str(opts, "awslogs-group");
    const char *prefix = dd_in_str(opts, "awslogs-stream-prefix");
    const char *id = ecs_basename(dd_in_str(t, "taskArn"));
    if (prefix)
        snprintf(stream, len, "%s/%s/%s", prefix, dd_in_str(def, "name"), id);
    else
        snprintf(stream, len, "%s", id);
    return *group != NULL;
}

/* awslogs-create-group "true": the agent creates a missing group rather than fail. */
static bool awslogs_creates_group(json_t *def)
{
    const char *v = dd_in_str(json_object_get(json_object_get(def, "logConfiguration"), "options"),
                              "awslogs-create-group");
    return v && strcmp(v, "true") == 0;
}

/* Writes one line per awslogs container, creating groups the container asks
 * for; fails (-1, r->err cleared) when a group is missing. */
static int log_line(struct dd_request *r, json_t *t, json_t *td, const char *fmt_what)
{
    size_t i;
    json_t *def;
    int rc = 0;
    json_array_foreach(json_object_get(td, "containerDefinitions"), i, def)
    {
        const char *group;
        char stream[768], msg[1024];
        if (!awslogs_target(t, def, &group, stream, sizeof stream))
            continue;
        snprintf(msg, sizeof msg, "[drydock] %s: container %s (%s) task %s", fmt_what, dd_in_str(def, "name"),
                 dd_in_str(def, "image"), ecs_basename(dd_in_str(t, "taskArn")));
        if ((awslogs_creates_group(def) && logs_ensure_group(r, group)) ||
            logs_append(r, group, stream, r->now_ms, msg)) {
            r->err = (struct dd_error){0};
            rc = -1;
        }
    }
    return rc;
}

/* ---- the checks before a task starts ---------------------------------------------------------------- */

static bool role_exists(struct dd_request *r, const char *arn)
{
    char account[16] = "";
    const char *p = strncmp(arn, "arn:aws:iam::", 13) == 0 ? arn + 13 : NULL;
    if (p && strchr(p, ':'))
        snprintf(account, sizeof account, "%.*s", (int)(strchr(p, ':') - p), p);
    else
        snprintf(account, sizeof account, "%s", r->account);
    struct iam_role_ref role;
    if (!iam_role_lookup(r, account, ecs_basename(arn), &role))
        return false;
    free(role.trust);
    return true;
}

static int check_roles(json_t *td, struct dd_request *r, char *why, size_t len)
{
    static const char *const keys[] = {"executionRoleArn", "taskRoleArn"};
    for (size_t i = 0; i < 2; i++) {
        const char *arn = dd_in_str(td, keys[i]);
        if (arn && !role_exists(r, arn)) {
            snprintf(why, len,
                     "ECS was unable to assume the role '%s' that was provided for this task. Please verify that "
                     "the role being passed has the proper trust relationship and permissions and that your IAM "
                     "user has permissions to pass this role.",
                     arn);
            return -1;
        }
    }
    return 0;
}

static bool is_ssm_ref(const char *v)
{
    return strncmp(v, "arn:", 4) != 0 || strstr(v, ":ssm:") != NULL;
}

static int check_secrets(json_t *td, struct dd_request *r, char *why, size_t len)
{
    char missing[512] = "";
    size_t i, j;
    json_t *def, *s;
    json_array_foreach(json_object_get(td, "containerDefinitions"), i, def)
    {
        json_array_foreach(json_object_get(def, "secrets"), j, s)
        {
            const char *v = dd_in_str(s, "valueFrom");
            if (v && is_ssm_ref(v) && !ssm_parameter_exists(r, v))
                snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s%s", *missing ? " " : "",
                         v);
        }
    }
    if (!*missing)
        return 0;
    snprintf(why, len,
             "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
             "failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid ssm "
             "parameters: %s",
             missing);
    return -1;
}

/* Images in drydock's ECR (the task's account and region) must be there; others are not checked. */
static int check_images(json_t *td, struct dd_request *r, char *why, size_t len)
{
    size_t i;
    json_t *def;
    json_array_foreach(json_object_get(td, "containerDefinitions"), i, def)
    {
        const char *image = dd_in_str(def, "image");
        if (image && ecr_image_resolve(r, image, why, len) < 0)
            return -1;
    }
    return 0;
}

/* 0 when the task may start, else -1 with AWS's stoppedReason in `why`. */
static int start_checks(struct dd_request *r, json_t *t, json_t *td, char *why, size_t len)
{
    if (check_roles(td, r, why, len) || check_secrets(td, r, why, len))
        return -1;
    if (log_line(r, t, td, "pulling image")) {
        snprintf(why, len, "ResourceInitializationError: failed to validate logger args: create stream has been "
                           "retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The "
                           "specified log group does not exist. : exit status 1");
        return -1;
    }
    if (check_images(td, r, why, len))
        return -1;
    char *fail = ecs_taskdef_failure(r, dd_in_str(t, "taskDefinitionArn"));
    if (fail) {
        snprintf(why, len, "%s", fail);
        free(fail);
        return -1;
    }
    return 0;
}

/* ---- network ---------------------------------------------------------------------------------------- */

static json_t *eni_attachment(json_t *t)
{
    return json_array_get(json_object_get(t, "attachments"), 0);
}

static void detail_set(json_t *att, const char *name, const char *value)
{
    json_array_append_new(json_object_get(att, "details"), json_pack("{s:s, s:s}", "name", name, "value", value));
}

/* Creates the task's ENI: 0, or -1 with the failure reason in `why`. */
static int attach_eni(struct dd_request *r, json_t *t, char *why, size_t len)
{
    json_t *att = eni_attachment(t);
    if (!att)
        return 0;
    char eni[64], ip[16], desc[600];
    snprintf(desc, sizeof desc, "arn:aws:ecs:%s:%s:attachment/%s", r->region, r->account, dd_in_str(att, "id"));
    json_t *groups = json_object_get(t, "_groups");
    if (ec2_managed_eni_create(r, dd_in_str(t, "_subnet"), json_is_array(groups) ? groups : NULL, desc, eni, ip)) {
        snprintf(why, len, "ResourceInitializationError: unable to create network interface: %s: %.700s",
                 r->err.code, r->err.message);
        r->err = (struct dd_error){0};
        return -1;
    }
    char mac[32], hex[11], dns[128];
    dd_random_hex(hex, 10);
    snprintf(mac, sizeof mac, "0e:%.2s:%.2s:%.2s:%.2s:%.2s", hex, hex + 2, hex + 4, hex + 6, hex + 8);
    char dashed[16];
    snprintf(dashed, sizeof dashed, "%s", ip);
    for (char *p = dashed; *p; p++)
        if (*p == '.')
            *p = '-';
    snprintf(dns, sizeof dns, "ip-%s.ec2.internal", dashed);
    detail_set(att, "networkInterfaceId", eni);
    detail_set(att, "macAddress", mac);
    detail_set(att, "privateDnsName", dns);
    detail_set(att, "privateIPv4Address", ip);
    json_object_set_new(att, "status", json_string("ATTACHED"));
    json_object_set_new(t, "_eni", json_string(eni));
    json_object_set_new(t, "_ip", json_string(ip));
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(t, "containers"), i, c)
    {
        json_array_append_new(json_object_get(c, "networkInterfaces"),
                              json_pack("{s:s, s:s}", "attachmentId", dd_in_str(att, "id"), "privateIpv4Address", ip));
    }
    return 0;
}

static void release_eni(struct dd_request *r, json_t *t)
{
    json_t *att = eni_attachment(t);
    if (!att)
        return;
    ec2_managed_eni_delete(r, dd_in_str(t, "_eni"));
    json_object_set_new(att, "status", json_string("DELETED"));
    json_object_del(t, "_eni");
}

/* Registers (true) or deregisters the task in its service's target groups. */
static void targets(struct dd_request *r, json_t *t, bool reg)
{
    char cluster[256];
    json_t *svc = service_of(r, t, cluster);
    bool any = false;
    size_t i;
    json_t *lb;
    json_array_foreach(svc ? json_object_get(svc, "loadBalancers") : NULL, i, lb)
    {
        const char *tg = dd_in_str(lb, "targetGroupArn");
        int port;
        const char *id = ecs_task_target(t, lb, &port);
        if (!id)
            continue;
        any = true;
        if (reg ? elbv2_register_target(r, tg, id, port) : elbv2_deregister_target(r, tg, id, port))
            r->err = (struct dd_error){0};
        else
            ecs_service_event(r, svc, "(service %s) %s 1 targets in (target-group %s)", dd_in_str(svc, "serviceName"),
                              reg ? "registered" : "deregistered", tg);
    }
    if (any)
        ecs_service_save(r, cluster, svc);
    json_decref(svc);
}

/* ---- the lifecycle ---------------------------------------------------------------------------------- */

/* Stops a task that failed before running: straight to DEPROVISIONING. */
static void fail_start(struct dd_request *r, json_t *t, const char *why)
{
    json_object_set_new(t, "desiredStatus", json_string("STOPPED"));
    json_object_set_new(t, "stopCode", json_string("TaskFailedToStart"));
    json_object_set_new(t, "stoppedReason", json_string(why));
    json_object_set_new(t, "stoppingAt", dd_time(r->now_ms));
    containers_set(t, "STOPPED");
    set_status(t, "DEPROVISIONING");
}

static void step_start(struct dd_request *r, json_t *t, const char *last)
{
    char why[1024];
    if (strcmp(last, "PROVISIONING") == 0) {
        if (attach_eni(r, t, why, sizeof why))
            fail_start(r, t, why);
        else
            set_status(t, "PENDING");
        return;
    }
    if (strcmp(last, "PENDING") == 0) {
        json_t *td = taskdef_of(r, t);
        if (!td || start_checks(r, t, td, why, sizeof why)) {
            fail_start(r, t, td ? why : "TaskDefinition not found.");
        } else {
            json_object_set_new(t, "pullStartedAt", dd_time(r->now_ms));
            set_status(t, "ACTIVATING");
        }
        json_decref(td);
        return;
    }
    if (strcmp(last, "ACTIVATING") == 0) {
        json_t *td = taskdef_of(r, t);
        json_object_set_new(t, "pullStoppedAt", dd_time(r->now_ms));
        json_object_set_new(t, "startedAt", dd_time(r->now_ms));
        json_object_set_new(t, "connectivity", json_string("CONNECTED"));
        json_object_set_new(t, "connectivityAt", dd_time(r->now_ms));
        containers_set(t, "RUNNING");
        set_status(t, "RUNNING");
        log_line(r, t, td, "started");
        json_decref(td);
        targets(r, t, true);
    }
}

static void exit_containers(json_t *t)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(t, "containers"), i, c)
    {
        if (!json_object_get(c, "exitCode") && strcmp(dd_in_str(c, "lastStatus"), "RUNNING") == 0)
            json_object_set_new(c, "exitCode", json_integer(0));
        json_object_set_new(c, "lastStatus", json_string("STOPPED"));
    }
}

/* A service task that failed counts against its deployment (the circuit breaker's input). */
static void count_failure(struct dd_request *r, json_t *t)
{
    const char *code = dd_in_str(t, "stopCode");
    if (!code || (strcmp(code, "TaskFailedToStart") != 0 && strcmp(code, "EssentialContainerExited") != 0))
        return;
    char cluster[256];
    json_t *svc = service_of(r, t, cluster);
    size_t i;
    json_t *d;
    json_array_foreach(svc ? json_object_get(svc, "deployments") : NULL, i, d)
    {
        if (strcmp(dd_in_str(d, "id"), dd_in_str(t, "_deployment") ? dd_in_str(t, "_deployment") : "") == 0)
            json_object_set_new(d, "failedTasks", json_integer(dd_in_int(d, "failedTasks", 0) + 1));
    }
    if (svc)
        ecs_service_save(r, cluster, svc);
    json_decref(svc);
}

static void step_stop(struct dd_request *r, json_t *t, const char *last)
{
    if (strcmp(last, "RUNNING") == 0) {
        targets(r, t, false);
        set_status(t, "DEACTIVATING");
    } else if (strcmp(last, "DEACTIVATING") == 0) {
        json_t *td = taskdef_of(r, t);
        exit_containers(t);
        log_line(r, t, td, "stopped");
        json_decref(td);
        json_object_set_new(t, "executionStoppedAt", dd_time(r->now_ms));
        set_status(t, "STOPPING");
    } else if (strcmp(last, "DEPROVISIONING") == 0) {
        release_eni(r, t);
        ecs_instance_release(r, t);
        json_object_set_new(t, "stoppedAt", dd_time(r->now_ms));
        if (!json_object_get(t, "executionStoppedAt"))
            json_object_set_new(t, "executionStoppedAt", dd_time(r->now_ms));
        json_object_set_new(t, "connectivity", json_string("DISCONNECTED"));
        set_status(t, "STOPPED");
        count_failure(r, t);
    } else if (strcmp(last, "STOPPED") != 0) { /* STOPPING, or never ran */
        exit_containers(t);
        set_status(t, "DEPROVISIONING");
    }
}

int ecs_task_step(struct dd_request *r, const char *task_arn, json_t *payload)
{
    json_t *t = ecs_task_load(r, task_arn);
    if (!t)
        return 0;
    char last[32];
    snprintf(last, sizeof last, "%s", dd_in_str(t, "lastStatus"));
    if (strcmp(dd_in_str(t, "desiredStatus"), "RUNNING") == 0)
        step_start(r, t, last);
    else
        step_stop(r, t, last);
    const char *now = dd_in_str(t, "lastStatus");
    int rc = 0;
    if (strcmp(now, "STOPPED") == 0)
        rc = sim_schedule(r, PURGE_AFTER_MS, ECS_PURGE_EVENT, task_arn, NULL);
    else if (strcmp(now, "RUNNING") != 0 || strcmp(dd_in_str(t, "desiredStatus"), "STOPPED") == 0)
        rc = ecs_task_schedule(r, task_arn, ecs_step_delay());
    ecs_task_save(r, t);
    bool settled = strcmp(now, "RUNNING") == 0 || strcmp(now, "STOPPED") == 0;
    if (rc == 0 && settled && dd_in_str(t, "_service")) {
        char *arn = dd_arn(r, "ecs", "service/%s/%s", ecs_basename(dd_in_str(t, "clusterArn")),
                           dd_in_str(t, "_service"));
        bool failed = dd_in_str(t, "stopCode") && strcmp(dd_in_str(t, "stopCode"), "TaskFailedToStart") == 0;
        rc = ecs_service_poke(r, arn, failed ? sim_delay_ms(1000, 30000) : 0);
        free(arn);
    }
    json_decref(t);
    return rc;
}

int ecs_task_purge(struct dd_request *r, const char *task_arn, json_t *payload)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_PURGE);
    store_bind_text(st, 3, task_arn);
    return dd_exec(r, st);
}

/* ---- the scheduler ------------------------------------------------------------------------------------ */

/* One pass's view of a service's live (desiredStatus RUNNING) tasks. */
struct live {
    json_t *tasks; /* [{arn, deployment, status}] */
    int64_t total, running;
};

static void live_load(struct dd_request *r, const char *cluster, const char *name, struct live *l)
{
    l->tasks = json_array();
    l->total = l->running = 0;
    sqlite3_stmt *st = dd_stmt(r, SQL_SERVICE_TASKS);
    store_bind_text(st, 3, cluster);
    store_bind_text(st, 4, name);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *status = store_col_text(st, 2);
        json_array_append_new(l->tasks, json_pack("{s:s, s:s?, s:s}", "arn", store_col_text(st, 0), "deployment",
                                                  store_col_text(st, 1), "status", status));
        l->total++;
        l->running += strcmp(status, "RUNNING") == 0;
    }
    sqlite3_reset(st);
}

static bool in_deployment(json_t *task, const char *dep)
{
    const char *d = dd_in_str(task, "deployment");
    return d && strcmp(d, dep) == 0;
}

static int64_t count_of(struct live *l, const char *dep, bool running_only, bool primary)
{
    int64_t n = 0;
    size_t i;
    json_t *t;
    json_array_foreach(l->tasks, i, t)
    {
        bool mine = in_deployment(t, dep) == primary;
        if (mine && (!running_only || strcmp(dd_in_str(t, "status"), "RUNNING") == 0))
            n++;
    }
    return n;
}

/* Stops up to `n` live tasks (of `dep` when primary, else of the other deployments),
 * running ones only when `running` (else only those not yet running). Returns how many. */
static int64_t stop_some(struct dd_request *r, json_t *svc, struct live *l, const char *dep, bool primary,
                         bool running, int64_t n)
{
    char list[2048] = "";
    int64_t stopped = 0;
    for (size_t i = json_array_size(l->tasks); i-- > 0 && stopped < n;) {
        json_t *t = json_array_get(l->tasks, i);
        bool is_running = strcmp(dd_in_str(t, "status"), "RUNNING") == 0;
        if (in_deployment(t, dep) != primary || is_running != running)
            continue;
        char reason[128];
        snprintf(reason, sizeof reason, "Scaling activity initiated by (deployment %s)",
                 dd_in_str(t, "deployment") ? dd_in_str(t, "deployment") : dep);
        if (ecs_task_stop(r, dd_in_str(t, "arn"), "ServiceSchedulerInitiated", reason, -1) < 0)
            break;
        snprintf(list + strlen(list), sizeof list - strlen(list), " (task %s)", ecs_basename(dd_in_str(t, "arn")));
        l->total--;
        l->running -= is_running;
        json_array_remove(l->tasks, i);
        stopped++;
    }
    if (stopped)
        ecs_service_event(r, svc, "(service %s) has stopped %lld %stasks:%s.", dd_in_str(svc, "serviceName"),
                          (long long)stopped, running ? "running " : "", list);
    return stopped;
}

static const char *service_launch_type(json_t *svc, const char **capacity)
{
    json_t *s = json_array_get(json_object_get(svc, "capacityProviderStrategy"), 0);
    *capacity = s ? dd_in_str(s, "capacityProvider") : NULL;
    const char *lt = dd_in_str(svc, "launchType");
    return s ? (ecs_capacity_is_fargate(*capacity) ? "FARGATE" : "EC2") : lt ? lt : "EC2";
}

/* EC2 launch type: places the service's next task (l->instance, l->placed). 0 placed, 1 not
 * (the service's event, unless it is already the newest one), -1 on error. */
static int place_for_service(struct dd_request *r, json_t *svc, struct ecs_launch *l, char *instance)
{
    json_t *failures = NULL;
    char closest[512];
    json_decref(l->placed);
    l->placed = NULL;
    int rc = ecs_place(r, l, svc, true, instance, &l->placed, &failures, closest);
    json_decref(failures);
    if (rc == 0) {
        l->instance = instance;
        json_object_del(svc, "_unplaceable");
    } else if (rc == 1) {
        char msg[1024];
        snprintf(msg, sizeof msg,
                 "(service %s) was unable to place a task because no container instance met all of its requirements. "
                 "%s For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
                 dd_in_str(svc, "serviceName"), closest);
        const char *newest = dd_in_str(json_array_get(json_object_get(svc, "events"), 0), "message");
        if (!newest || strcmp(newest, msg) != 0)
            ecs_service_event(r, svc, "%s", msg);
        json_object_set_new(svc, "_unplaceable", json_true());
    }
    return rc;
}

static int start_some(struct dd_request *r, json_t *svc, const struct ecs_cluster *c, json_t *dep, int64_t n)
{
    const char *cap, *lt = service_launch_type(svc, &cap);
    bool ec2 = strcmp(lt, "EC2") == 0;
    json_t *td = NULL;
    if (ecs_taskdef_find(r, dd_in_str(dep, "taskDefinition"), &td))
        return 0;
    char group[300], list[2048] = "", arn[512];
    snprintf(group, sizeof group, "service:%s", dd_in_str(svc, "serviceName"));
    struct ecs_launch l = {
        .cluster = c,
        .taskdef = td,
        .launch_type = lt,
        .capacity = cap,
        .awsvpc = json_object_get(json_object_get(dep, "networkConfiguration"), "awsvpcConfiguration"),
        .started_by = dd_in_str(dep, "id"),
        .group = group,
        .service = dd_in_str(svc, "serviceName"),
        .deployment = dd_in_str(dep, "id"),
    };
    int rc = 0;
    int64_t started = 0;
    char instance[512];
    for (int64_t i = 0; i < n && rc == 0; i++) {
        int placed = ec2 ? place_for_service(r, svc, &l, instance) : 0;
        l.awaiting = placed > 0 && ecs_capacity_managed(r, cap);
        if (placed > 0 && !l.awaiting)
            break;
        if (l.awaiting)
            l.instance = NULL;
        rc = placed < 0 ? -1 : ecs_task_launch(r, &l, arn);
        if (rc == 0) {
            snprintf(list + strlen(list), sizeof list - strlen(list), " (task %s)", ecs_basename(arn));
            started++;
        }
    }
    json_decref(l.placed);
    json_decref(td);
    if (rc == 0 && started > 0)
        ecs_service_event(r, svc, "(service %s) has started %lld tasks:%s.", dd_in_str(svc, "serviceName"),
                          (long long)started, list);
    return rc;
}

/* The circuit breaker: a failing PRIMARY deployment is FAILED (and rolled back). */
static void circuit_breaker(struct dd_request *r, json_t *svc, int64_t n)
{
    json_t *cb = json_object_get(json_object_get(svc, "deploymentConfiguration"), "deploymentCircuitBreaker");
    json_t *p = json_array_get(json_object_get(svc, "deployments"), 0);
    int64_t threshold = (n + 1) / 2;
    threshold = threshold < 3 ? 3 : threshold > 200 ? 200 : threshold;
    if (!dd_in_bool(cb, "enable") || strcmp(dd_in_str(p, "rolloutState"), "IN_PROGRESS") != 0 ||
        dd_in_int(p, "failedTasks", 0) < threshold)
        return;
    const char *name = dd_in_str(svc, "serviceName");
    json_object_set_new(p, "rolloutState", json_string("FAILED"));
    json_object_set_new(p, "rolloutStateReason", json_string("ECS deployment circuit breaker: tasks failed to start."));
    json_object_set_new(p, "updatedAt", dd_time(r->now_ms));
    ecs_service_event(r, svc, "(service %s) (deployment %s) deployment failed: tasks failed to start.", name,
                      dd_in_str(p, "id"));
    json_t *stable = json_object_get(svc, "_stable");
    if (!dd_in_bool(cb, "rollback") || !stable)
        return;
    json_object_set(svc, "taskDefinition", json_object_get(stable, "taskDefinition"));
    if (json_object_get(stable, "networkConfiguration"))
        json_object_set(svc, "networkConfiguration", json_object_get(stable, "networkConfiguration"));
    ecs_service_deploy(r, svc);
    json_t *np = json_array_get(json_object_get(svc, "deployments"), 0);
    json_object_set_new(np, "rolloutStateReason",
                        json_sprintf("ECS deployment circuit breaker: rolling back to deploymentId %s.",
                                     dd_in_str(stable, "id")));
    ecs_service_event(r, svc, "(service %s) (deployment %s) rolling back to deployment %s.", name,
                      dd_in_str(np, "id"), dd_in_str(stable, "id"));
}

/* Whether every RUNNING primary task is healthy in every target group (true without load balancers). */
static bool targets_healthy(struct dd_request *r, json_t *svc, struct live *l, const char *dep)
{
    json_t *lbs = json_object_get(svc, "loadBalancers");
    if (json_array_size(lbs) == 0)
        return true;
    size_t i, j;
    json_t *t, *lb;
    json_array_foreach(l->tasks, i, t)
    {
        if (!in_deployment(t, dep))
            continue;
        json_t *doc = ecs_task_load(r, dd_in_str(t, "arn"));
        bool ok = true;
        json_array_foreach(lbs, j, lb)
        {
            char state[24];
            int port;
            const char *id = ecs_task_target(doc, lb, &port);
            if (!id)
                continue;
            elbv2_target_state(r, dd_in_str(lb, "targetGroupArn"), id, port, state);
            ok &= strcmp(state, "healthy") == 0;
        }
        json_decref(doc);
        if (!ok)
            return false;
    }
    return true;
}

/* Drops drained deployments; marks completion and steady state. Returns true when waiting on health. */
static bool settle(struct dd_request *r, json_t *svc, struct live *l, int64_t n, int64_t in_transit)
{
    json_t *deps = json_object_get(svc, "deployments"), *p = json_array_get(deps, 0);
    const char *name = dd_in_str(svc, "serviceName"), *pid = dd_in_str(p, "id");
    for (size_t i = json_array_size(deps); i-- > 1;)
        if (count_of(l, dd_in_str(json_array_get(deps, i), "id"), false, true) == 0)
            json_array_remove(deps, i);
    if (json_array_size(deps) != 1 || count_of(l, pid, true, true) != n || l->total != n || in_transit)
        return false;
    if (!targets_healthy(r, svc, l, pid))
        return true;
    if (strcmp(dd_in_str(p, "rolloutState"), "IN_PROGRESS") == 0) {
        json_object_set_new(p, "rolloutState", json_string("COMPLETED"));
        json_object_set_new(p, "rolloutStateReason", json_sprintf("ECS deployment %s completed.", pid));
        json_object_set_new(p, "updatedAt", dd_time(r->now_ms));
        ecs_service_event(r, svc, "(service %s) (deployment %s) deployment completed.", name, pid);
        json_object_set_new(svc, "_stable", json_pack("{s:s, s:s}", "id", pid, "taskDefinition",
                                                      dd_in_str(p, "taskDefinition")));
        if (json_object_get(p, "networkConfiguration"))
            json_object_set(json_object_get(svc, "_stable"), "networkConfiguration",
                            json_object_get(p, "networkConfiguration"));
    }
    if (!dd_in_bool(svc, "_steady")) {
        ecs_service_event(r, svc, "(service %s) has reached a steady state.", name);
        json_object_set_new(svc, "_steady", json_true());
    }
    return false;
}

static int64_t in_transit(struct dd_request *r, const char *cluster, const char *name)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_IN_TRANSIT);
    store_bind_text(st, 3, cluster);
    store_bind_text(st, 4, name);
    return dd_single_int(st, 0);
}

/* One scheduler pass over a loaded service. */
static int reconcile(struct dd_request *r, json_t *svc, const struct ecs_cluster *c, const char *name)
{
    bool active = strcmp(dd_in_str(svc, "status"), "ACTIVE") == 0;
    int64_t n = active ? dd_in_int(svc, "desiredCount", 0) : 0;
    json_t *dc = json_object_get(svc, "deploymentConfiguration");
    int64_t max_total = n * dd_in_int(dc, "maximumPercent", 200) / 100;
    int64_t min_healthy = (n * dd_in_int(dc, "minimumHealthyPercent", 100) + 99) / 100;
    circuit_breaker(r, svc, n);
    json_t *p = json_array_get(json_object_get(svc, "deployments"), 0);
    const char *pid = p ? dd_in_str(p, "id") : "";
    struct live l;
    live_load(r, c->name, name, &l);
    /* old deployments' tasks that are not running yet help nobody */
    stop_some(r, svc, &l, pid, false, false, l.total);
    int64_t mine = count_of(&l, pid, false, true);
    if (mine > n) {
        int64_t extra = mine - n;
        extra -= stop_some(r, svc, &l, pid, true, false, extra);
        stop_some(r, svc, &l, pid, true, true, extra);
    }
    int64_t old = count_of(&l, pid, false, false);
    int64_t room = (old ? max_total : (max_total > n ? max_total : n)) - l.total;
    int64_t want = n - count_of(&l, pid, false, true);
    int rc = 0;
    bool failed = p && strcmp(dd_in_str(p, "rolloutState"), "FAILED") == 0;
    if (p && !failed && want > 0 && room > 0)
        rc = start_some(r, svc, c, p, want < room ? want : room);
    int64_t old_running = count_of(&l, pid, true, false);
    if (rc == 0 && old_running > 0 && l.running - min_healthy > 0)
        stop_some(r, svc, &l, pid, false, true,
                  old_running < l.running - min_healthy ? old_running : l.running - min_healthy);
    int64_t transit = in_transit(r, c->name, name);
    bool waiting = p && active && settle(r, svc, &l, n, transit);
    if (!active && l.total == 0 && transit == 0) {
        json_object_set_new(svc, "status", json_string("INACTIVE"));
        json_object_set_new(svc, "deployments", json_array());
    }
    json_decref(l.tasks);
    if (rc == 0 && waiting)
        rc = ecs_service_poke(r, dd_in_str(svc, "serviceArn"), sim_delay_ms(100, 15000));
    else if (rc == 0 && active && want > 0 && dd_in_bool(svc, "_unplaceable"))
        rc = ecs_service_poke(r, dd_in_str(svc, "serviceArn"), sim_delay_ms(10000, 60000)); /* placement retries */
    return rc;
}

int ecs_service_reconcile(struct dd_request *r, const char *service_arn, json_t *payload)
{
    char cluster[256], name[256];
    if (ecs_split_service_arn(service_arn, cluster, name))
        return 0;
    json_t *svc = ecs_service_load(r, cluster, name);
    struct ecs_cluster c;
    if (!svc || ecs_cluster_get(r, cluster, &c)) {
        r->err = (struct dd_error){0};
        json_decref(svc);
        return 0;
    }
    if (strcmp(dd_in_str(svc, "status"), "INACTIVE") == 0) {
        json_decref(svc);
        return 0;
    }
    int rc = reconcile(r, svc, &c, name);
    if (rc == 0)
        ecs_service_save(r, cluster, svc);
    json_decref(svc);
    return rc;
}
