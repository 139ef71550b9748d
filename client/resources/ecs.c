/*
 * ecs.c - AWS::ECS: Cluster, ClusterCapacityProviderAssociations, TaskDefinition, Service.
 *
 * CloudFormation's PascalCase properties are the API's camelCase members (aws_call matches
 * names case-insensitively); the few that differ (ClusterSettings -> settings,
 * PlacementStrategies -> placementStrategy) are renamed here. Physical ids follow
 * CloudFormation's Refs: a cluster's name, a task definition's ARN, a service's ARN.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"

#define NONE ((const char *const[]){NULL})
#define ALL ((const char *const[]){"*", NULL})

/* Moves in[from] to in[to] (a CloudFormation name the API spells otherwise). */
static void rename_key(json_t *in, const char *from, const char *to)
{
    json_t *v = json_object_get(in, from);
    if (!v)
        return;
    json_object_set(in, to, v);
    json_object_del(in, from);
}

/* props[key] or, when absent, an empty list: how the API is told to clear a list. New reference. */
static json_t *list_or_empty(json_t *props, const char *key)
{
    json_t *v = json_object_get(props, key);
    return v ? json_incref(v) : json_array();
}

static const struct rs_tagging TAGGING = {"ecs", "UntagResource", "TagResource", "resourceArn", false, "tagKeys",
                                         "tags"};

/* Whether the error says the call should simply be tried again shortly. */
static bool busy(const struct rs_ctx *c, const char *const *codes)
{
    for (size_t i = 0; codes[i]; i++)
        if (strcmp(c->err.code, codes[i]) == 0)
            return true;
    return false;
}

/* ---- Cluster --------------------------------------------------------------------------------------- */

static int capacity_providers(struct rs_ctx *c, const char *cluster, json_t *props)
{
    return rs_do(c, "ecs", "PutClusterCapacityProviders",
                 json_pack("{ssso so}", "cluster", cluster, "capacityProviders", list_or_empty(props, "CapacityProviders"),
                           "defaultCapacityProviderStrategy", list_or_empty(props, "DefaultCapacityProviderStrategy")));
}

static int cluster_create(struct rs_ctx *c, json_t *props, char **id)
{
    char *name = rs_str(props, "ClusterName") ? strdup(rs_str(props, "ClusterName")) : rs_physical_name(c, 255);
    json_t *in = rs_pick(props, (const char *const[]){"ClusterSettings", "Configuration", "CapacityProviders",
                                                       "DefaultCapacityProviderStrategy", "ServiceConnectDefaults",
                                                       "Tags", NULL});
    rename_key(in, "ClusterSettings", "settings");
    json_object_set_new(in, "clusterName", json_string(name));
    *id = name;
    return rs_do(c, "ecs", "CreateCluster", in);
}

static json_t *cluster_describe(struct rs_ctx *c)
{
    json_t *out = rs_call(c, "ecs", "DescribeClusters", json_pack("{s[s]}", "clusters", c->physical_id));
    json_t *cl = json_incref(json_array_get(json_object_get(out, "clusters"), 0));
    json_decref(out);
    if (out && !cl)
        dd_err(&c->err, 400, "ClusterNotFoundException", "Cluster not found: %s", c->physical_id);
    return cl;
}

static int cluster_read(struct rs_ctx *c, json_t *props)
{
    json_t *cl = cluster_describe(c);
    if (!cl)
        return -1;
    json_object_set(c->attrs, "Arn", json_object_get(cl, "clusterArn"));
    json_decref(cl);
    return 0;
}

static int cluster_update(struct rs_ctx *c, json_t *props)
{
    const char *name = c->physical_id;
    if (rs_changed(c, props, "ClusterSettings") &&
        rs_do(c, "ecs", "UpdateClusterSettings",
              json_pack("{ssso}", "cluster", name, "settings", list_or_empty(props, "ClusterSettings"))))
        return -1;
    if ((rs_changed(c, props, "CapacityProviders") || rs_changed(c, props, "DefaultCapacityProviderStrategy")) &&
        capacity_providers(c, name, props))
        return -1;
    if (rs_changed(c, props, "Configuration") || rs_changed(c, props, "ServiceConnectDefaults")) {
        json_t *in = rs_pick(props, (const char *const[]){"Configuration", "ServiceConnectDefaults", NULL});
        json_object_set_new(in, "cluster", json_string(name));
        if (rs_do(c, "ecs", "UpdateCluster", in))
            return -1;
    }
    if (!rs_changed(c, props, "Tags"))
        return 0;
    json_t *cl = cluster_describe(c);
    int rc = cl ? rs_update_tags(c, &TAGGING, rs_str(cl, "clusterArn"), props) : -1;
    json_decref(cl);
    return rc;
}

/* Deletes the cluster, retrying while the tasks of services deleted just before still wind down. */
static int cluster_delete_probe(struct rs_ctx *c, void *ud)
{
    static const char *const retry[] = {"ClusterContainsServicesException", "ClusterContainsTasksException",
                                        "UpdateInProgressException", NULL};
    int rc = rs_do(c, "ecs", "DeleteCluster", json_pack("{ss}", "cluster", c->physical_id));
    return rc == 0 || rs_gone(c) ? 1 : busy(c, retry) ? 0 : -1;
}

static int cluster_remove(struct rs_ctx *c, json_t *props)
{
    return rs_wait(c, "waiting for the cluster to empty", cluster_delete_probe, NULL, 1800);
}

static const struct rs_driver ecs_cluster = {
    .type = "AWS::ECS::Cluster",
    .required = NONE,
    .replace = (const char *const[]){"ClusterName", NULL},
    .attributes = (const char *const[]){"Arn", NULL},
    .create = cluster_create, .read = cluster_read, .update = cluster_update, .remove = cluster_remove,
};

/* ---- ClusterCapacityProviderAssociations: the cluster's providers, set as a whole ------------------- */

static int assoc_create(struct rs_ctx *c, json_t *props, char **id)
{
    const char *name = rs_str(props, "Cluster");
    *id = strdup(name);
    return capacity_providers(c, name, props);
}

static int assoc_update(struct rs_ctx *c, json_t *props)
{
    return capacity_providers(c, c->physical_id, props);
}

static int assoc_remove(struct rs_ctx *c, json_t *props)
{
    json_t *none = json_object();
    int rc = capacity_providers(c, c->physical_id, none);
    json_decref(none);
    return rc && !rs_gone(c) ? -1 : 0;
}

static const struct rs_driver cluster_assoc = {
    .type = "AWS::ECS::ClusterCapacityProviderAssociations",
    .required = (const char *const[]){"Cluster", "CapacityProviders", "DefaultCapacityProviderStrategy", NULL},
    .replace = (const char *const[]){"Cluster", NULL},
    .attributes = NONE,
    .create = assoc_create, .update = assoc_update, .remove = assoc_remove,
};

/* ---- TaskDefinition: immutable; every change registers a new revision (replacement) ----------------- */

static int taskdef_create(struct rs_ctx *c, json_t *props, char **id)
{
    json_t *in = rs_pick(props, (const char *const[]){"ContainerDefinitions", "TaskRoleArn", "ExecutionRoleArn",
                                                       "NetworkMode", "Volumes", "PlacementConstraints",
                                                       "RequiresCompatibilities", "Cpu", "Memory", "Tags", "PidMode",
                                                       "IpcMode", "ProxyConfiguration", "InferenceAccelerators",
                                                       "EphemeralStorage", "RuntimePlatform", NULL});
    char *family = rs_str(props, "Family") ? strdup(rs_str(props, "Family")) : rs_physical_name(c, 255);
    json_object_set_new(in, "family", json_string(family));
    free(family);
    json_t *out = rs_call(c, "ecs", "RegisterTaskDefinition", in);
    const char *arn = rs_str(json_object_get(out, "taskDefinition"), "taskDefinitionArn");
    *id = arn ? strdup(arn) : NULL;
    json_decref(out);
    if (out && !*id)
        return rs_fail(c, "RegisterTaskDefinition returned no taskDefinitionArn");
    return out ? 0 : -1;
}

static int taskdef_read(struct rs_ctx *c, json_t *props)
{
    json_object_set_new(c->attrs, "TaskDefinitionArn", json_string(c->physical_id));
    return 0;
}

static int taskdef_remove(struct rs_ctx *c, json_t *props)
{
    int rc = rs_do(c, "ecs", "DeregisterTaskDefinition", json_pack("{ss}", "taskDefinition", c->physical_id));
    return rc && !rs_gone(c) ? -1 : 0;
}

static const struct rs_driver task_definition = {
    .type = "AWS::ECS::TaskDefinition",
    .required = NONE,
    .replace = ALL,
    .attributes = (const char *const[]){"TaskDefinitionArn", NULL},
    .create = taskdef_create, .read = taskdef_read, .remove = taskdef_remove,
};

/* ---- Service ---------------------------------------------------------------------------------------- */

/* What UpdateService can change in place; the rest of the driver's properties replace the service. */
static const char *const SERVICE_UPDATABLE[] = {
    "TaskDefinition", "DesiredCount", "DeploymentConfiguration", "NetworkConfiguration", "PlatformVersion",
    "HealthCheckGracePeriodSeconds", "CapacityProviderStrategy", "EnableExecuteCommand", "EnableECSManagedTags",
    "LoadBalancers", "PropagateTags", "ServiceRegistries", "PlacementConstraints", "PlacementStrategies",
    "ServiceConnectConfiguration", "VolumeConfigurations", "AvailabilityZoneRebalancing", NULL};

/* The service's cluster as the API takes it: props' Cluster (name or ARN), else the ARN's, else "default". */
static void service_cluster(struct rs_ctx *c, json_t *props, char *out, size_t len)
{
    const char *given = rs_str(props, "Cluster"), *p = c->physical_id ? strstr(c->physical_id, ":service/") : NULL;
    if (given)
        snprintf(out, len, "%s", given);
    else if (p && strchr(p + 9, '/'))
        snprintf(out, len, "%.*s", (int)(strchr(p + 9, '/') - (p + 9)), p + 9);
    else
        snprintf(out, len, "default");
}

/* The service (new reference), or NULL: c->err set, ServiceNotFoundException when it does not exist. */
static json_t *service_describe(struct rs_ctx *c, const char *cluster)
{
    json_t *out = rs_call(c, "ecs", "DescribeServices",
                          json_pack("{sss[s]}", "cluster", cluster, "services", c->physical_id));
    json_t *svc = json_incref(json_array_get(json_object_get(out, "services"), 0));
    json_decref(out);
    if (out && !svc)
        dd_err(&c->err, 400, "ServiceNotFoundException", "Service not found: %s", c->physical_id);
    return svc;
}

struct service_wait {
    const char *cluster;
    bool deleting; /* waiting for INACTIVE rather than for a steady state */
};

/*
 * CloudFormation's stabilization: one deployment left, the PRIMARY, with its tasks all
 * running and - where ECS reports rollouts - its rollout COMPLETED (that is, healthy behind
 * its load balancers). A FAILED rollout (the circuit breaker) fails the resource.
 */
static int service_probe(struct rs_ctx *c, void *ud)
{
    struct service_wait *w = ud;
    json_t *svc = service_describe(c, w->cluster);
    if (!svc)
        return w->deleting && rs_gone(c) ? 1 : -1;
    const char *status = rs_str(svc, "status") ?: "";
    json_t *deps = json_object_get(svc, "deployments"), *d, *primary = NULL;
    size_t i;
    json_array_foreach(deps, i, d) if (strcmp(rs_str(d, "status") ?: "", "PRIMARY") == 0) primary = d;
    const char *rollout = rs_str(primary, "rolloutState");
    int rc;
    if (w->deleting)
        rc = strcmp(status, "INACTIVE") == 0;
    else if (strcmp(status, "ACTIVE") != 0)
        rc = rs_fail(c, "the service is %s", status);
    else if (rollout && strcmp(rollout, "FAILED") == 0)
        rc = rs_fail(c, "the deployment failed: %s", rs_str(primary, "rolloutStateReason") ?: "");
    else
        rc = primary && json_array_size(deps) == 1 &&
             json_integer_value(json_object_get(primary, "runningCount")) ==
                 json_integer_value(json_object_get(svc, "desiredCount")) &&
             (!rollout || strcmp(rollout, "COMPLETED") == 0);
    json_decref(svc);
    return rc;
}

static int service_wait(struct rs_ctx *c, json_t *props, bool deleting)
{
    char cluster[512];
    service_cluster(c, props, cluster, sizeof cluster);
    struct service_wait w = {cluster, deleting};
    return rs_wait(c, deleting ? "waiting for inactive" : "waiting for a steady state", service_probe, &w, 10800);
}

static int service_create(struct rs_ctx *c, json_t *props, char **id)
{
    static const char *const keys[] = {"Cluster", "TaskDefinition", "LoadBalancers", "ServiceRegistries",
                                       "DesiredCount", "LaunchType", "CapacityProviderStrategy", "PlatformVersion",
                                       "Role", "DeploymentConfiguration", "PlacementConstraints",
                                       "PlacementStrategies", "NetworkConfiguration", "HealthCheckGracePeriodSeconds",
                                       "SchedulingStrategy", "DeploymentController", "Tags", "EnableECSManagedTags",
                                       "PropagateTags", "EnableExecuteCommand", "ServiceConnectConfiguration",
                                       "VolumeConfigurations", "AvailabilityZoneRebalancing", NULL};
    json_t *in = rs_pick(props, keys);
    rename_key(in, "PlacementStrategies", "placementStrategy");
    char *name = rs_str(props, "ServiceName") ? strdup(rs_str(props, "ServiceName")) : rs_physical_name(c, 255);
    json_object_set_new(in, "serviceName", json_string(name));
    free(name);
    /* CloudFormation starts one task when DesiredCount is not given (a REPLICA service). */
    const char *strategy = rs_str(props, "SchedulingStrategy");
    if (!json_object_get(in, "DesiredCount") && !(strategy && strcmp(strategy, "DAEMON") == 0))
        json_object_set_new(in, "desiredCount", json_integer(1));
    json_t *out = rs_call(c, "ecs", "CreateService", in);
    const char *arn = rs_str(json_object_get(out, "service"), "serviceArn");
    *id = arn ? strdup(arn) : NULL;
    json_decref(out);
    if (!*id)
        return out ? rs_fail(c, "CreateService returned no serviceArn") : -1;
    struct rs_ctx made = *c;
    made.physical_id = *id;
    int rc = service_wait(&made, props, false);
    c->err = made.err;
    return rc;
}

static int service_read(struct rs_ctx *c, json_t *props)
{
    char cluster[512];
    service_cluster(c, props, cluster, sizeof cluster);
    json_t *svc = service_describe(c, cluster);
    if (!svc)
        return -1;
    json_object_set(c->attrs, "Name", json_object_get(svc, "serviceName"));
    json_object_set(c->attrs, "ServiceArn", json_object_get(svc, "serviceArn"));
    json_decref(svc);
    return 0;
}

static int service_update(struct rs_ctx *c, json_t *props)
{
    char cluster[512];
    service_cluster(c, props, cluster, sizeof cluster);
    json_t *in = json_pack("{ssss}", "cluster", cluster, "service", c->physical_id);
    bool any = false;
    for (size_t i = 0; SERVICE_UPDATABLE[i]; i++) {
        const char *k = SERVICE_UPDATABLE[i];
        json_t *v = json_object_get(props, k);
        /* A property taken out of the template leaves the service as it is, as in CloudFormation. */
        if (v && rs_changed(c, props, k)) {
            json_object_set(in, strcmp(k, "PlacementStrategies") == 0 ? "placementStrategy" : k, v);
            any = true;
        }
    }
    if (!any)
        json_decref(in);
    else if (rs_do(c, "ecs", "UpdateService", in))
        return -1;
    if (rs_update_tags(c, &TAGGING, c->physical_id, props))
        return -1;
    return any ? service_wait(c, props, false) : 0;
}

/* As CloudFormation: scale to zero, delete, wait until the service is INACTIVE (its tasks stopped). */
static int service_remove(struct rs_ctx *c, json_t *props)
{
    char cluster[512];
    service_cluster(c, props, cluster, sizeof cluster);
    int rc = rs_do(c, "ecs", "UpdateService",
                   json_pack("{sssssi}", "cluster", cluster, "service", c->physical_id, "desiredCount", 0));
    if (rc && (rs_gone(c) || strcmp(c->err.code, "ServiceNotActiveException") == 0))
        return 0;
    if (!rc)
        rc = rs_do(c, "ecs", "DeleteService", json_pack("{ssss}", "cluster", cluster, "service", c->physical_id));
    if (rc)
        return rs_gone(c) ? 0 : -1;
    return service_wait(c, props, true);
}

static const struct rs_driver ecs_service = {
    .type = "AWS::ECS::Service",
    .required = NONE,
    .replace = (const char *const[]){"Cluster", "LaunchType", "Role", "SchedulingStrategy", "ServiceName",
                                     "DeploymentController", NULL},
    .attributes = (const char *const[]){"Name", "ServiceArn", NULL},
    .create = service_create, .read = service_read, .update = service_update, .remove = service_remove,
};

/* ---- CapacityProvider: an Auto Scaling group as a cluster's capacity ------------------------------- */

static int provider_create(struct rs_ctx *c, json_t *props, char **id)
{
    char *name = rs_str(props, "Name") ? strdup(rs_str(props, "Name")) : rs_physical_name(c, 255);
    json_t *in = rs_pick(props, (const char *const[]){"AutoScalingGroupProvider", "Tags", NULL});
    json_object_set_new(in, "name", json_string(name));
    *id = name;
    return rs_do(c, "ecs", "CreateCapacityProvider", in);
}

static int provider_update(struct rs_ctx *c, json_t *props)
{
    if (rs_changed(c, props, "AutoScalingGroupProvider")) {
        /* UpdateCapacityProvider takes the provider without its group, which cannot change */
        json_t *p = json_deep_copy(json_object_get(props, "AutoScalingGroupProvider"));
        json_object_del(p, "AutoScalingGroupArn");
        if (rs_do(c, "ecs", "UpdateCapacityProvider",
                  json_pack("{s:s, s:o}", "name", c->physical_id, "autoScalingGroupProvider", p)))
            return -1;
    }
    if (!rs_changed(c, props, "Tags"))
        return 0;
    json_t *out = rs_call(c, "ecs", "DescribeCapacityProviders", json_pack("{s[s]}", "capacityProviders",
                                                                            c->physical_id));
    const char *arn = rs_str(rs_first(out, "capacityProviders"), "capacityProviderArn");
    int rc = arn ? rs_update_tags(c, &TAGGING, arn, props) : out ? rs_fail(c, "capacity provider %s is gone",
                                                                           c->physical_id)
                                                                 : -1;
    json_decref(out);
    return rc;
}

static int provider_remove(struct rs_ctx *c, json_t *props)
{
    json_t *out = rs_call(c, "ecs", "DeleteCapacityProvider", json_pack("{s:s}", "capacityProvider", c->physical_id));
    if (!out) /* ECS says ClientException "The specified capacity provider does not exist." */
        return rs_gone(c) || strstr(c->err.message, "does not exist") ? 0 : -1;
    json_t *cp = json_object_get(out, "capacityProvider");
    int rc = 0;
    /* still associated with a cluster: ECS answers, but the provider stays */
    if (rs_str(cp, "updateStatus") && strcmp(rs_str(cp, "updateStatus"), "DELETE_FAILED") == 0)
        rc = rs_fail(c, "%s", rs_str(cp, "updateStatusReason") ? rs_str(cp, "updateStatusReason") : "DELETE_FAILED");
    json_decref(out);
    return rc;
}

static const struct rs_driver capacity_provider = {
    .type = "AWS::ECS::CapacityProvider",
    .required = (const char *const[]){"AutoScalingGroupProvider", NULL},
    .replace = (const char *const[]){"Name", NULL},
    .attributes = NONE,
    .create = provider_create, .update = provider_update, .remove = provider_remove,
};

const struct rs_driver *const rs_family_ecs[] = {&ecs_cluster, &cluster_assoc, &task_definition, &ecs_service,
                                                 &capacity_provider, NULL};
