/*
 * ecs_service.c - services: CreateService (launch type, network and load
 * balancer rules), UpdateService (a new task definition, network or load
 * balancers start a new deployment), DescribeServices (counts from the
 * tasks), ListServices, DeleteService. The scheduler that keeps them true is
 * ecs_sim.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim.h"
#include "elbv2.h"
#include "ecs.h"
#include "ecs_internal.h"

#define MAX_EVENTS 100

static const char SQL_SERVICE[] = "SELECT doc FROM ecs_service WHERE account=?1 AND region=?2 AND cluster=?3 AND name=?4";
static const char SQL_PUT[] =
    "INSERT INTO ecs_service (account, region, cluster, name, arn, status, seq, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
    " (SELECT coalesce(max(seq), 0) + 1 FROM ecs_service WHERE account=?1 AND region=?2), ?7)"
    " ON CONFLICT (account, region, cluster, name) DO UPDATE SET arn=excluded.arn, status=excluded.status,"
    " doc=excluded.doc";
static const char SQL_ACTIVE[] =
    "SELECT count(*) FROM ecs_service WHERE account=?1 AND region=?2 AND cluster=?3 AND status='ACTIVE'";
static const char SQL_LIST[] = "SELECT arn, doc FROM ecs_service WHERE account=?1 AND region=?2 AND cluster=?3"
                               " AND status<>'INACTIVE' ORDER BY seq";

/* ---- the store ---------------------------------------------------------------------------------- */

json_t *ecs_service_load(struct dd_request *r, const char *cluster, const char *name)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_SERVICE);
    store_bind_text(st, 3, cluster);
    store_bind_text(st, 4, name);
    json_t *doc = sqlite3_step(st) == SQLITE_ROW ? json_loads(store_col_text(st, 0), 0, NULL) : NULL;
    sqlite3_reset(st);
    return doc;
}

void ecs_service_save(struct dd_request *r, const char *cluster, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    sqlite3_stmt *st = dd_stmt(r, SQL_PUT);
    store_bind_text(st, 3, cluster);
    store_bind_text(st, 4, dd_in_str(doc, "serviceName"));
    store_bind_text(st, 5, dd_in_str(doc, "serviceArn"));
    store_bind_text(st, 6, dd_in_str(doc, "status"));
    store_bind_text(st, 7, text);
    free(text);
    dd_exec(r, st);
}

int64_t ecs_active_services(struct dd_request *r, const char *cluster)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_ACTIVE);
    store_bind_text(st, 3, cluster);
    return dd_single_int(st, 0);
}

void ecs_service_event(struct dd_request *r, json_t *svc, const char *fmt, ...)
{
    char msg[1024], uuid[37];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dd_uuid(uuid);
    json_t *events = json_object_get(svc, "events");
    json_array_insert_new(events, 0, json_pack("{s:s, s:o, s:s}", "id", uuid, "createdAt", dd_time(r->now_ms),
                                               "message", msg));
    while (json_array_size(events) > MAX_EVENTS)
        json_array_remove(events, json_array_size(events) - 1);
}

int ecs_service_poke(struct dd_request *r, const char *service_arn, int64_t delay_ms)
{
    sim_cancel(r, ECS_RECONCILE_EVENT, service_arn);
    return sim_schedule(r, delay_ms, ECS_RECONCILE_EVENT, service_arn, NULL);
}

/* The service of `in` ("cluster", "service"), or NULL with AWS's error. */
static json_t *service_or_err(struct dd_request *r, json_t *in, struct ecs_cluster *c)
{
    if (ecs_cluster_get(r, dd_in_str(in, "cluster"), c))
        return NULL;
    json_t *svc = ecs_service_load(r, c->name, ecs_basename(dd_in_str(in, "service")));
    if (!svc || strcmp(dd_in_str(svc, "status"), "INACTIVE") == 0) {
        json_decref(svc);
        return dd_fail(r, 400, "ServiceNotFoundException", "Service not found.");
    }
    return svc;
}

/* The Service as Describe shows it: counts from the tasks. */
static json_t *service_view(struct dd_request *r, json_t *svc, const char *cluster, bool tags)
{
    json_t *o = ecs_public(svc);
    int64_t running, pending;
    ecs_task_counts(r, cluster, dd_in_str(svc, "serviceName"), NULL, &running, &pending);
    json_object_set_new(o, "runningCount", json_integer(running));
    json_object_set_new(o, "pendingCount", json_integer(pending));
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(o, "deployments"), i, d)
    {
        ecs_task_counts(r, cluster, dd_in_str(svc, "serviceName"), dd_in_str(d, "id"), &running, &pending);
        json_object_set_new(d, "runningCount", json_integer(running));
        json_object_set_new(d, "pendingCount", json_integer(pending));
    }
    if (!tags)
        json_object_del(o, "tags");
    return o;
}

/* ---- rules -------------------------------------------------------------------------------------- */

static int taskdef_or_err(struct dd_request *r, const char *ref, json_t **td)
{
    if (!ref || ecs_taskdef_find(r, ref, td))
        return ecs_invalid(r, "TaskDefinition not found.");
    if (strcmp(dd_in_str(*td, "status"), "ACTIVE") != 0) {
        json_decref(*td);
        *td = NULL;
        return ecs_invalid(r, "TaskDefinition is inactive");
    }
    return 0;
}

static bool port_mapped(json_t *container, json_int_t port)
{
    size_t i;
    json_t *pm;
    json_array_foreach(json_object_get(container, "portMappings"), i, pm)
    {
        if (dd_in_int(pm, "containerPort", -1) == port)
            return true;
    }
    return false;
}

static int check_load_balancer(struct dd_request *r, json_t *lb, json_t *td)
{
    const char *name = dd_in_str(lb, "containerName"), *tg = dd_in_str(lb, "targetGroupArn");
    json_int_t port = dd_in_int(lb, "containerPort", -1);
    json_t *c = ecs_taskdef_container(td, name);
    if (!c)
        return ecs_invalid(r, "The container %s does not exist in the task definition.", name ? name : "null");
    if (!port_mapped(c, port))
        return ecs_invalid(r, "The container %s did not have a container port %lld defined.", name, (long long)port);
    if (!tg)
        return ecs_invalid(r, "Target Group ARN can not be blank.");
    struct elbv2_target_group_info info;
    if (elbv2_target_group_get(r, tg, &info))
        return ecs_invalid(r, "Unable to assume role and validate the specified targetGroupArn. Please verify that "
                              "the ECS service role being passed has the proper permissions.");
    bool awsvpc = strcmp(dd_in_str(td, "networkMode"), "awsvpc") == 0;
    if (awsvpc && strcmp(info.target_type, "ip") != 0)
        return ecs_invalid(r, "The provided target group %s has target type %s, which is incompatible with the "
                              "awsvpc network mode specified in the task definition.",
                           tg, info.target_type);
    if (!awsvpc && strcmp(info.target_type, "ip") == 0)
        return ecs_invalid(r, "The provided target group %s has target type ip, which is incompatible with the %s "
                              "network mode specified in the task definition.",
                           tg, dd_in_str(td, "networkMode"));
    if (!info.has_load_balancer)
        return ecs_invalid(r, "The target group with targetGroupArn %s does not have an associated load balancer.",
                           tg);
    return 0;
}

static int check_load_balancers(struct dd_request *r, json_t *lbs, json_t *td, json_t *in)
{
    size_t i;
    json_t *lb;
    json_array_foreach(lbs, i, lb)
    {
        if (check_load_balancer(r, lb, td))
            return -1;
    }
    if (json_object_get(in, "healthCheckGracePeriodSeconds") && json_array_size(lbs) == 0)
        return ecs_invalid(r, "Health check grace period is only valid for services configured to use load "
                              "balancers");
    return 0;
}

static json_t *deployment_config(json_t *given, json_t *old)
{
    json_t *dc = old ? json_deep_copy(old) : json_pack("{s:{s:b, s:b}, s:i, s:i}", "deploymentCircuitBreaker",
                                                       "enable", 0, "rollback", 0, "maximumPercent", 200,
                                                       "minimumHealthyPercent", 100);
    if (given)
        json_object_update(dc, given);
    return dc;
}

/* ---- deployments -------------------------------------------------------------------------------- */

static json_t *new_deployment(struct dd_request *r, json_t *svc, const char *td_arn, json_t *net)
{
    char digits[20];
    unsigned long long n = 0;
    dd_random_hex(digits, 15);
    n = strtoull(digits, NULL, 16) % 9000000000000000000ULL + 1000000000000000000ULL;
    char id[40];
    snprintf(id, sizeof id, "ecs-svc/%llu", n);
    json_t *d = json_pack("{s:s, s:s, s:s, s:I, s:i, s:i, s:i, s:o, s:o, s:s, s:s}", "id", id, "status", "PRIMARY",
                          "taskDefinition", td_arn, "desiredCount", dd_in_int(svc, "desiredCount", 0), "pendingCount",
                          0, "runningCount", 0, "failedTasks", 0, "createdAt", dd_time(r->now_ms), "updatedAt",
                          dd_time(r->now_ms), "rolloutState", "IN_PROGRESS", "launchType",
                          dd_in_str(svc, "launchType") ? dd_in_str(svc, "launchType") : "FARGATE");
    json_object_set_new(d, "rolloutStateReason", json_sprintf("ECS deployment %s in progress.", id));
    if (json_object_get(svc, "capacityProviderStrategy")) {
        json_object_set(d, "capacityProviderStrategy", json_object_get(svc, "capacityProviderStrategy"));
        json_object_del(d, "launchType");
    }
    if (net)
        json_object_set(d, "networkConfiguration", net);
    if (strcmp(dd_in_str(svc, "launchType") ? dd_in_str(svc, "launchType") : "FARGATE", "FARGATE") == 0) {
        json_object_set_new(d, "platformVersion", json_string("1.4.0"));
        json_object_set_new(d, "platformFamily", json_string("Linux"));
    }
    return d;
}

void ecs_service_deploy(struct dd_request *r, json_t *svc)
{
    json_t *deps = json_object_get(svc, "deployments");
    size_t i;
    json_t *d;
    json_array_foreach(deps, i, d) json_object_set_new(d, "status", json_string("ACTIVE"));
    json_array_insert_new(deps, 0, new_deployment(r, svc, dd_in_str(svc, "taskDefinition"),
                                                  json_object_get(svc, "networkConfiguration")));
    json_object_del(svc, "_steady");
}

/* ---- CreateService ------------------------------------------------------------------------------- */

static json_t *service_doc(struct dd_request *r, json_t *in, const struct ecs_cluster *c, json_t *td, const char *lt)
{
    char *arn = dd_arn(r, "ecs", "service/%s/%s", c->name, dd_in_str(in, "serviceName"));
    json_t *lbs = json_object_get(in, "loadBalancers");
    json_t *svc = json_pack("{s:s, s:s, s:s, s:o, s:[], s:s, s:I, s:i, s:i, s:s, s:o, s:[], s:[], s:o, s:[],"
                            " s:[], s:s, s:{s:s}, s:s, s:b, s:s, s:b, s:[]}",
                            "serviceArn", arn, "serviceName", dd_in_str(in, "serviceName"), "clusterArn", c->arn,
                            "loadBalancers", lbs ? json_incref(lbs) : json_array(), "serviceRegistries",
                            "status", "ACTIVE", "desiredCount", dd_in_int(in, "desiredCount", 0), "runningCount", 0,
                            "pendingCount", 0, "taskDefinition", dd_in_str(td, "taskDefinitionArn"),
                            "deploymentConfiguration",
                            deployment_config(json_object_get(in, "deploymentConfiguration"), NULL), "deployments",
                            "events", "createdAt", dd_time(r->now_ms), "placementConstraints", "placementStrategy",
                            "schedulingStrategy", "REPLICA", "deploymentController", "type", "ECS", "createdBy",
                            r->caller_arn ? r->caller_arn : "", "enableECSManagedTags",
                            dd_in_bool(in, "enableECSManagedTags"), "propagateTags",
                            dd_in_str(in, "propagateTags") ? dd_in_str(in, "propagateTags") : "NONE",
                            "enableExecuteCommand", dd_in_bool(in, "enableExecuteCommand"), "tags");
    free(arn);
    /* the cluster's default strategy, when it names an Auto Scaling group provider, becomes the service's */
    json_t *dflt = dd_in_str(in, "launchType") ? NULL : ecs_cluster_strategy(r, c->name);
    const char *first = dd_in_str(json_array_get(dflt, 0), "capacityProvider");
    json_t *strategy = json_object_get(in, "capacityProviderStrategy");
    if (!json_array_size(strategy) && first && !ecs_capacity_is_fargate(first))
        strategy = dflt;
    if (json_array_size(strategy))
        json_object_set(svc, "capacityProviderStrategy", strategy);
    else
        json_object_set_new(svc, "launchType", json_string(lt));
    json_decref(dflt);
    if (json_object_get(in, "placementConstraints"))
        json_object_set(svc, "placementConstraints", json_object_get(in, "placementConstraints"));
    if (json_object_get(in, "placementStrategy"))
        json_object_set(svc, "placementStrategy", json_object_get(in, "placementStrategy"));
    if (strcmp(lt, "FARGATE") == 0)
        json_object_set_new(svc, "platformVersion", json_string(dd_in_str(in, "platformVersion") ?: "LATEST"));
    if (json_object_get(in, "networkConfiguration"))
        json_object_set(svc, "networkConfiguration", json_object_get(in, "networkConfiguration"));
    if (json_array_size(json_object_get(in, "loadBalancers"))) {
        char role[256];
        snprintf(role, sizeof role,
                 "arn:aws:iam::%s:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS", r->account);
        json_object_set_new(svc, "roleArn", json_string(role));
        json_object_set_new(svc, "healthCheckGracePeriodSeconds",
                            json_integer(dd_in_int(in, "healthCheckGracePeriodSeconds", 0)));
    }
    ecs_tags_merge(svc, json_object_get(in, "tags"), NULL);
    ecs_service_deploy(r, svc);
    return svc;
}

static int create_checks(struct dd_request *r, json_t *in, const struct ecs_cluster *c, json_t *td, char *lt)
{
    char cp[64];
    json_t *old = ecs_service_load(r, c->name, dd_in_str(in, "serviceName"));
    bool exists = old && strcmp(dd_in_str(old, "status"), "INACTIVE") != 0;
    json_decref(old);
    if (exists)
        return ecs_invalid(r, "Creation of service was not idempotent.");
    if (ecs_launch_type(r, in, c, td, lt, cp) || ecs_network_check(r, td, json_object_get(in, "networkConfiguration")))
        return -1;
    if (check_load_balancers(r, json_object_get(in, "loadBalancers"), td, in))
        return -1;
    return ecs_tags_check(r, json_object_get(in, "tags"));
}

json_t *ecs_op_CreateService(struct dd_request *r, json_t *in)
{
    struct ecs_cluster c;
    json_t *td = NULL, *out = NULL;
    char lt[16];
    if (ecs_cluster_get(r, dd_in_str(in, "cluster"), &c) || taskdef_or_err(r, dd_in_str(in, "taskDefinition"), &td))
        return NULL;
    if (create_checks(r, in, &c, td, lt) == 0) {
        json_t *svc = service_doc(r, in, &c, td, lt);
        ecs_service_save(r, c.name, svc);
        const char *arn = dd_in_str(svc, "serviceArn");
        if (ecs_service_poke(r, arn, 0) == 0 && ecs_metrics_start(r, arn) == 0)
            out = json_pack("{s:o}", "service", service_view(r, svc, c.name, true));
        json_decref(svc);
    }
    json_decref(td);
    return out;
}

/* ---- UpdateService -------------------------------------------------------------------------------- */

/* Applies the changes that need a new deployment; *redeploy set when one does. */
static int update_deploying(struct dd_request *r, json_t *in, json_t *svc, bool *redeploy)
{
    json_t *td = NULL;
    const char *ref = dd_in_str(in, "taskDefinition");
    if (taskdef_or_err(r, ref ? ref : dd_in_str(svc, "taskDefinition"), &td))
        return -1;
    json_t *net = json_object_get(in, "networkConfiguration");
    json_t *lbs = json_object_get(in, "loadBalancers");
    int rc = ecs_network_check(r, td, net ? net : json_object_get(svc, "networkConfiguration"));
    if (rc == 0)
        rc = check_load_balancers(r, lbs ? lbs : json_object_get(svc, "loadBalancers"), td, NULL);
    json_t *strategy = json_object_get(in, "capacityProviderStrategy");
    const char *cp = dd_in_str(json_array_get(strategy, 0), "capacityProvider");
    if (rc == 0 && cp && !ecs_capacity_is_fargate(cp))
        rc = ecs_capacity_usable(r, cp, ecs_basename(dd_in_str(svc, "clusterArn")));
    if (rc == 0 && cp) { /* a new strategy: a new deployment on it */
        json_object_set(svc, "capacityProviderStrategy", strategy);
        json_object_del(svc, "launchType");
    }
    if (rc == 0) {
        *redeploy = dd_in_bool(in, "forceNewDeployment") || net || lbs || cp ||
                    strcmp(dd_in_str(td, "taskDefinitionArn"), dd_in_str(svc, "taskDefinition")) != 0;
        json_object_set_new(svc, "taskDefinition", json_string(dd_in_str(td, "taskDefinitionArn")));
        if (net)
            json_object_set(svc, "networkConfiguration", net);
        if (lbs)
            json_object_set(svc, "loadBalancers", lbs);
    }
    json_decref(td);
    return rc;
}

/* The ACTIVE service of `in`, or NULL with AWS's error (ServiceNotActiveException once draining). */
static json_t *active_or_err(struct dd_request *r, json_t *in, struct ecs_cluster *c)
{
    json_t *svc = service_or_err(r, in, c);
    if (svc && strcmp(dd_in_str(svc, "status"), "ACTIVE") != 0) {
        json_decref(svc);
        return dd_fail(r, 400, "ServiceNotActiveException", "Service was not ACTIVE.");
    }
    return svc;
}

/* The primary deployment follows the service's desired count. */
static void primary_follows(struct dd_request *r, json_t *svc)
{
    json_t *primary = json_array_get(json_object_get(svc, "deployments"), 0);
    json_object_set(primary, "desiredCount", json_object_get(svc, "desiredCount"));
    json_object_set_new(primary, "updatedAt", dd_time(r->now_ms));
}

json_t *ecs_op_UpdateService(struct dd_request *r, json_t *in)
{
    struct ecs_cluster c;
    json_t *svc = active_or_err(r, in, &c);
    if (!svc)
        return NULL;
    bool redeploy = false;
    if (update_deploying(r, in, svc, &redeploy)) {
        json_decref(svc);
        return NULL;
    }
    if (json_object_get(in, "desiredCount")) {
        json_object_set(svc, "desiredCount", json_object_get(in, "desiredCount"));
        json_object_del(svc, "_steady");
    }
    if (json_object_get(in, "deploymentConfiguration"))
        json_object_set_new(svc, "deploymentConfiguration",
                            deployment_config(json_object_get(in, "deploymentConfiguration"),
                                              json_object_get(svc, "deploymentConfiguration")));
    if (json_object_get(in, "healthCheckGracePeriodSeconds"))
        json_object_set(svc, "healthCheckGracePeriodSeconds", json_object_get(in, "healthCheckGracePeriodSeconds"));
    if (redeploy)
        ecs_service_deploy(r, svc);
    primary_follows(r, svc);
    ecs_service_save(r, c.name, svc);
    json_t *out = NULL;
    if (ecs_service_poke(r, dd_in_str(svc, "serviceArn"), 0) == 0)
        out = json_pack("{s:o}", "service", service_view(r, svc, c.name, false));
    json_decref(svc);
    return out;
}

/* ---- DescribeServices, ListServices, DeleteService -------------------------------------------------- */

json_t *ecs_op_DescribeServices(struct dd_request *r, json_t *in)
{
    struct ecs_cluster c;
    if (ecs_cluster_get(r, dd_in_str(in, "cluster"), &c))
        return NULL;
    json_t *refs = json_object_get(in, "services");
    if (json_array_size(refs) > 10)
        return dd_fail(r, 400, "InvalidParameterException", "Services cannot have more than 10 elements");
    bool tags = false;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(in, "include"), i, v) tags |= strcmp(json_string_value(v), "TAGS") == 0;
    json_t *services = json_array(), *failures = json_array();
    json_array_foreach(refs, i, v)
    {
        json_t *svc = ecs_service_load(r, c.name, ecs_basename(json_string_value(v)));
        if (svc)
            json_array_append_new(services, service_view(r, svc, c.name, tags));
        else
            json_array_append_new(failures, json_pack("{s:s, s:s}", "arn", json_string_value(v), "reason", "MISSING"));
        json_decref(svc);
    }
    return json_pack("{s:o, s:o}", "services", services, "failures", failures);
}

json_t *ecs_op_ListServices(struct dd_request *r, json_t *in)
{
    struct ecs_cluster c;
    if (ecs_cluster_get(r, dd_in_str(in, "cluster"), &c))
        return NULL;
    const char *lt = dd_in_str(in, "launchType");
    sqlite3_stmt *st = dd_stmt(r, SQL_LIST);
    store_bind_text(st, 3, c.name);
    json_t *arns = json_array();
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *doc = json_loads(store_col_text(st, 1), 0, NULL);
        const char *svc_lt = dd_in_str(doc, "launchType") ? dd_in_str(doc, "launchType") : "FARGATE";
        if (!lt || strcmp(lt, svc_lt) == 0)
            json_array_append_new(arns, json_string(store_col_text(st, 0)));
        json_decref(doc);
    }
    sqlite3_reset(st);
    return dd_page(in, arns, "serviceArns", "maxResults", 10);
}

json_t *ecs_op_DeleteService(struct dd_request *r, json_t *in)
{
    struct ecs_cluster c;
    json_t *svc = active_or_err(r, in, &c);
    if (!svc)
        return NULL;
    if (dd_in_int(svc, "desiredCount", 0) > 0 && !dd_in_bool(in, "force")) {
        json_decref(svc);
        return dd_fail(r, 400, "InvalidParameterException", "The service cannot be stopped while it is scaled above 0.");
    }
    json_object_set_new(svc, "status", json_string("DRAINING"));
    json_object_set_new(svc, "desiredCount", json_integer(0));
    ecs_service_save(r, c.name, svc);
    json_t *out = NULL;
    if (ecs_service_poke(r, dd_in_str(svc, "serviceArn"), 0) == 0)
        out = json_pack("{s:o}", "service", service_view(r, svc, c.name, false));
    json_decref(svc);
    return out;
}

/* ---- for other services (ecs.h) ------------------------------------------------------------------- */

/* The ACTIVE service (cluster, service) or NULL; the cluster's name into c. */
static json_t *active_service(struct dd_request *r, const char *cluster, const char *service, struct ecs_cluster *c)
{
    struct dd_error saved = r->err;
    if (ecs_cluster_get(r, cluster, c)) {
        r->err = saved; /* "no such service" is the caller's to word */
        return NULL;
    }
    json_t *svc = ecs_service_load(r, c->name, ecs_basename(service));
    if (svc && strcmp(dd_in_str(svc, "status"), "ACTIVE") != 0) {
        json_decref(svc);
        svc = NULL;
    }
    return svc;
}

int ecs_service_counts(struct dd_request *r, const char *cluster, const char *service, int64_t *desired,
                       int64_t *running)
{
    struct ecs_cluster c;
    json_t *svc = active_service(r, cluster, service, &c);
    if (!svc)
        return 1;
    int64_t pending;
    *desired = dd_in_int(svc, "desiredCount", 0);
    ecs_task_counts(r, c.name, dd_in_str(svc, "serviceName"), NULL, running, &pending);
    json_decref(svc);
    return 0;
}

int ecs_service_set_desired(struct dd_request *r, const char *cluster, const char *service, int64_t desired)
{
    struct ecs_cluster c;
    json_t *svc = active_service(r, cluster, service, &c);
    if (!svc)
        return 1;
    json_object_set_new(svc, "desiredCount", json_integer(desired));
    json_object_del(svc, "_steady");
    primary_follows(r, svc);
    ecs_service_save(r, c.name, svc);
    int rc = ecs_service_poke(r, dd_in_str(svc, "serviceArn"), 0);
    json_decref(svc);
    return rc;
}
