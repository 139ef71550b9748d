/*
 * ecs_metrics.c - a service's CloudWatch metrics, and the simulated load behind them.
 *
 * ECS publishes, for every service with running tasks, one datapoint a
 * minute of AWS/ECS CPUUtilization and MemoryUtilization with dimensions
 * ClusterName and ServiceName: the average over the service's tasks of the
 * share of their reserved CPU and memory they use. Nothing runs in drydock's
 * tasks, so that use is the simulated load set through the admin API:
 *
 *     POST /_drydock/ecs/load {"cluster": "web", "service": "app", "cpu": 90, "memory": 40}
 *
 * "cpu": 90 means the service's work keeps its tasks at 90% CPU at the
 * desired count it has now. The work stays the same when the count changes,
 * so when a scaling policy doubles the tasks, utilization halves - which is
 * what makes target tracking converge as it does on AWS. Utilization is
 * capped at 100%; a service with no load set reports 0%.
 *
 * "requests": N is the service's traffic in requests a minute. It stays N
 * whatever the task count, and is published for each target group the
 * service registers in as AWS/ApplicationELB RequestCountPerTarget
 * (dimension TargetGroup): N shared by the running tasks - the metric of
 * ALBRequestCountPerTarget target tracking.
 *
 * For every cluster with container instances, ECS also publishes AWS/ECS
 * CPUReservation and MemoryReservation (dimension ClusterName): the share of
 * the connected instances' registered CPU and memory that tasks reserve.
 *
 * The load is kept in the service document as `_load` {"cpu", "memory"} in
 * task-percent (percent x tasks) and "requests".
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../sim.h"
#include "cloudwatch.h"
#include "ecs_internal.h"

#define MINUTE_MS 60000

/* The delay from r->now_ms to the next whole minute (never 0: "now" is already published). */
static int64_t to_next_minute(const struct dd_request *r)
{
    return MINUTE_MS - r->now_ms % MINUTE_MS;
}

int ecs_metrics_start(struct dd_request *r, const char *service_arn)
{
    sim_cancel(r, ECS_METRICS_EVENT, service_arn);
    return sim_schedule(r, to_next_minute(r), ECS_METRICS_EVENT, service_arn, NULL);
}

/* One utilization metric: `work` task-percent shared by `running` tasks. */
static int publish(struct dd_request *r, const char *metric, json_t *dims, double work, int64_t running)
{
    double each = fmin(100.0, work / (double)running);
    struct cw_stats s = {.sample_count = (double)running, .sum = each * (double)running, .min = each, .max = each};
    return cw_publish(r, "AWS/ECS", metric, dims, r->now_ms - MINUTE_MS, &s, "Percent");
}

/* RequestCountPerTarget of each of the service's target groups: `requests` shared by `running` tasks. */
static int publish_requests(struct dd_request *r, json_t *svc, double requests, int64_t running)
{
    double each = requests / (double)running;
    struct cw_stats s = {.sample_count = (double)running, .sum = each, .min = each, .max = each};
    size_t i;
    json_t *lb;
    json_array_foreach(json_object_get(svc, "loadBalancers"), i, lb)
    {
        const char *tg = strstr(dd_in_str(lb, "targetGroupArn") ? dd_in_str(lb, "targetGroupArn") : "", "targetgroup/");
        if (!tg)
            continue;
        json_t *dims = json_pack("[{s:s, s:s}]", "Name", "TargetGroup", "Value", tg);
        int rc = cw_publish(r, "AWS/ApplicationELB", "RequestCountPerTarget", dims, r->now_ms - MINUTE_MS, &s,
                            "Count");
        json_decref(dims);
        if (rc)
            return rc;
    }
    return 0;
}

int ecs_service_metrics(struct dd_request *r, const char *service_arn, json_t *payload)
{
    (void)payload;
    char cluster[256], name[256];
    if (ecs_split_service_arn(service_arn, cluster, name))
        return 0;
    json_t *svc = ecs_service_load(r, cluster, name);
    if (!svc || strcmp(dd_in_str(svc, "status"), "INACTIVE") == 0) {
        json_decref(svc); /* deleted: its metrics stop */
        return 0;
    }
    int64_t running, pending;
    ecs_task_counts(r, cluster, name, NULL, &running, &pending);
    int rc = 0;
    if (running > 0) {
        json_t *load = json_object_get(svc, "_load");
        json_t *dims = json_pack("[{s:s, s:s}, {s:s, s:s}]", "Name", "ClusterName", "Value", cluster, "Name",
                                 "ServiceName", "Value", name);
        rc = publish(r, "CPUUtilization", dims, json_number_value(json_object_get(load, "cpu")), running);
        if (rc == 0)
            rc = publish(r, "MemoryUtilization", dims, json_number_value(json_object_get(load, "memory")), running);
        if (rc == 0)
            rc = publish_requests(r, svc, json_number_value(json_object_get(load, "requests")), running);
        json_decref(dims);
    }
    json_decref(svc);
    return rc ? rc : sim_schedule(r, MINUTE_MS, ECS_METRICS_EVENT, service_arn, NULL);
}

int ecs_cluster_metrics_start(struct dd_request *r, const char *cluster_arn)
{
    sim_cancel(r, ECS_CLUSTER_METRICS_EVENT, cluster_arn);
    return sim_schedule(r, to_next_minute(r), ECS_CLUSTER_METRICS_EVENT, cluster_arn, NULL);
}

/* One reservation metric: `used` of `registered`, in percent. */
static int publish_reservation(struct dd_request *r, const char *metric, json_t *dims, int64_t used,
                               int64_t registered)
{
    double pct = registered > 0 ? 100.0 * (double)used / (double)registered : 0.0;
    struct cw_stats s = {.sample_count = 1, .sum = pct, .min = pct, .max = pct};
    return cw_publish(r, "AWS/ECS", metric, dims, r->now_ms - MINUTE_MS, &s, "Percent");
}

int ecs_cluster_metrics(struct dd_request *r, const char *cluster_arn, json_t *payload)
{
    (void)payload;
    const char *cluster = ecs_basename(cluster_arn);
    int64_t reg[2], used[2];
    if (ecs_instance_totals(r, cluster, reg, used) == 0)
        return 0; /* no container instances left: the metrics stop until one registers */
    json_t *dims = json_pack("[{s:s, s:s}]", "Name", "ClusterName", "Value", cluster);
    int rc = publish_reservation(r, "CPUReservation", dims, used[0], reg[0]);
    if (rc == 0)
        rc = publish_reservation(r, "MemoryReservation", dims, used[1], reg[1]);
    json_decref(dims);
    return rc ? rc : sim_schedule(r, MINUTE_MS, ECS_CLUSTER_METRICS_EVENT, cluster_arn, NULL);
}

/* A load member: absent (keep `old`), or a percentage 0..100. */
static int load_value(struct dd_request *r, json_t *params, const char *key, double old_work, int64_t basis,
                      double *work)
{
    json_t *v = json_object_get(params, key);
    *work = old_work;
    if (!v)
        return 0;
    if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 100)
        return dd_reject(r, 400, "InvalidParameterException", "%s must be a percentage from 0 to 100", key);
    *work = json_number_value(v) * (double)basis;
    return 0;
}

json_t *ecs_admin_load(struct dd_request *r, json_t *params)
{
    struct ecs_cluster c;
    const char *service = dd_in_str(params, "service");
    if (!service)
        return dd_fail(r, 400, "InvalidParameterException", "service is required");
    if (ecs_cluster_get(r, dd_in_str(params, "cluster"), &c))
        return NULL;
    json_t *svc = ecs_service_load(r, c.name, ecs_basename(service));
    if (!svc || strcmp(dd_in_str(svc, "status"), "ACTIVE") != 0) {
        json_decref(svc);
        return dd_fail(r, 400, "ServiceNotFoundException", "Service not found.");
    }
    /* the work is measured against the tasks the service is meant to have now */
    int64_t basis = dd_in_int(svc, "desiredCount", 0) > 0 ? dd_in_int(svc, "desiredCount", 0) : 1;
    json_t *old = json_object_get(svc, "_load");
    double cpu, memory, requests = json_number_value(json_object_get(old, "requests"));
    json_t *rq = json_object_get(params, "requests");
    if (load_value(r, params, "cpu", json_number_value(json_object_get(old, "cpu")), basis, &cpu) ||
        load_value(r, params, "memory", json_number_value(json_object_get(old, "memory")), basis, &memory)) {
        json_decref(svc);
        return NULL;
    }
    if (rq && (!json_is_number(rq) || json_number_value(rq) < 0)) {
        json_decref(svc);
        return dd_fail(r, 400, "InvalidParameterException", "requests must be a number of requests a minute, >= 0");
    }
    if (rq)
        requests = json_number_value(rq);
    json_object_set_new(svc, "_load", json_pack("{s:f, s:f, s:f}", "cpu", cpu, "memory", memory, "requests", requests));
    ecs_service_save(r, c.name, svc);
    json_t *out = json_pack("{s:s, s:f, s:f, s:f, s:I}", "serviceArn", dd_in_str(svc, "serviceArn"), "cpu",
                            cpu / (double)basis, "memory", memory / (double)basis, "requests", requests, "tasks",
                            (json_int_t)basis);
    json_decref(svc);
    return out;
}
