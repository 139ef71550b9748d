/*
 * ecs_internal.h - what the ECS families (ecs*.c) share.
 *
 * State, all isolated by (account, region):
 *   ecs_cluster   clusters: name, status, doc (the Cluster as Describe shows it, counts aside)
 *   ecs_taskdef   task definition revisions per family, doc (the TaskDefinition), tags,
 *                 and `fail` (an admin switch: tasks of this revision fail to start)
 *   ecs_service   services per cluster, doc (the Service; deployments and events
 *                 included; counts computed from the tasks when described)
 *   ecs_task      tasks: the indexed columns ListTasks filters on, doc (the Task)
 *   ecs_setting   account settings per principal
 *   ecs_instance  container instances per cluster: the EC2 instance, status, doc (the
 *                 ContainerInstance; counts computed from the tasks when described)
 *   ecs_capacity  capacity providers backed by an Auto Scaling group: name, the group, doc
 *                 (the CapacityProvider; the cluster it is associated with and its managed policy)
 *
 * Documents are stored as AWS shows them; keys starting with '_' are private
 * (a task's ENI, a deployment's bookkeeping) and never leave the emulator.
 *
 * Everything that takes time is a simulation event (ecs_sim.c): a task's
 * lifecycle step ("ecs.task.step", resource = task ARN) and a service's
 * scheduler pass ("ecs.service.reconcile", resource = service ARN).
 */
#ifndef DD_ECS_INTERNAL_H
#define DD_ECS_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "service.h"

#define ECS_STEP_EVENT "ecs.task.step"
#define ECS_PURGE_EVENT "ecs.task.purge"
#define ECS_RECONCILE_EVENT "ecs.service.reconcile"
#define ECS_METRICS_EVENT "ecs.service.metrics"
#define ECS_CLUSTER_METRICS_EVENT "ecs.cluster.metrics"
#define ECS_CAPACITY_METRICS_EVENT "ecs.capacity.metrics"

/* ---- common (ecs.c) --------------------------------------------------------------------------- */

/* A cluster resolved from a name or ARN (NULL: "default"). */
struct ecs_cluster {
    char name[256];
    char arn[512];
};

/* Resolves `ref`: 0, or -1 with ClusterNotFoundException ("Cluster not found."). */
int ecs_cluster_get(struct dd_request *r, const char *ref, struct ecs_cluster *out);

/* The part of an ARN (or name) after its last '/' (borrowed from `ref`). */
const char *ecs_basename(const char *ref);

/* The cluster's defaultCapacityProviderStrategy (new reference, [] when none). */
json_t *ecs_cluster_strategy(struct dd_request *r, const char *cluster);

/* A deep copy of `doc` without private ('_') keys, at any depth (new reference). */
json_t *ecs_public(json_t *doc);

/* Records InvalidParameterException / ClientException with `msg` and returns -1. */
int ecs_invalid(struct dd_request *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ecs_client_error(struct dd_request *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Checks a tags list (key/value) the way TagResource does: 0 or -1. */
int ecs_tags_check(struct dd_request *r, json_t *tags);
/* Merges `tags` (borrowed, [{key, value}]) into doc["tags"]; removes `keys` when non-NULL. */
void ecs_tags_merge(json_t *doc, json_t *tags, json_t *keys);

/* ---- task definitions (ecs_taskdef.c) --------------------------------------------------------- */

/* Loads the revision `ref` names (family, family:revision or ARN; a bare family is
 * its latest ACTIVE revision): 0 with *doc (new reference), 1 when there is none. */
int ecs_taskdef_find(struct dd_request *r, const char *ref, json_t **doc);
/* The admin failure set on a revision (NULL: none), a new malloc'd string. */
char *ecs_taskdef_failure(struct dd_request *r, const char *arn);
/* Sets (reason) or clears (NULL) it: 0, or 1 when there is no such revision. */
int ecs_taskdef_set_failure(struct dd_request *r, const char *ref, const char *reason);
/* The container of `td` named `name` (borrowed) or NULL. */
json_t *ecs_taskdef_container(json_t *td, const char *name);

/* ---- tasks (ecs_task.c) ----------------------------------------------------------------------- */

/* What a new task is started from. */
struct ecs_launch {
    const struct ecs_cluster *cluster;
    json_t *taskdef;          /* borrowed TaskDefinition doc */
    const char *launch_type;  /* "FARGATE", "EC2" */
    const char *capacity;     /* capacity provider name or NULL */
    json_t *awsvpc;           /* borrowed awsvpcConfiguration or NULL */
    json_t *overrides;        /* borrowed or NULL */
    json_t *tags;             /* borrowed or NULL */
    const char *started_by;   /* or NULL */
    const char *group;        /* "family:NAME" or "service:NAME" */
    const char *service;      /* the service name or NULL */
    const char *deployment;   /* the deployment id or NULL */
    /* EC2 launch type: where ecs_place put the task (NULL for Fargate). */
    const char *instance;     /* the container instance ARN */
    json_t *placed;           /* borrowed ecs_place result: {ec2, subnet, cpu, memory, bindings} */
    /* Unplaced on a managed-scaling capacity provider: the task waits in PROVISIONING for capacity. */
    bool awaiting;
};

/* Creates a task in PROVISIONING and schedules its first step. Its ARN into
 * arn_out (>= 512). 0 or -1 (r->err). */
int ecs_task_launch(struct dd_request *r, const struct ecs_launch *l, char *arn_out);

/* Places a task waiting for capacity where l (placed by ecs_place) says and starts its lifecycle:
 * 0 or -1. `t` is the loaded task (borrowed; saved). */
int ecs_task_assign(struct dd_request *r, json_t *t, const struct ecs_launch *l);

/* Places the cluster's tasks waiting for capacity where they now fit: 0 or -1. */
int ecs_place_waiting(struct dd_request *r, const char *cluster);

/* Asks a task to stop (desiredStatus STOPPED): `stop_code` and `reason` are
 * kept; exit_code >= 0 marks its essential container as exited with it.
 * Already stopping: nothing. 0, 1 when there is no such task, -1 on error. */
int ecs_task_stop(struct dd_request *r, const char *task_arn, const char *stop_code, const char *reason,
                  int exit_code);

/* Checks a network configuration against a task definition (awsvpc rules,
 * subnets and security groups that exist in one VPC): 0 or -1. */
int ecs_network_check(struct dd_request *r, json_t *taskdef, json_t *netconf);

/* Resolves the launch type from launchType / capacityProviderStrategy / the
 * cluster's default strategy into lt (>= 16) and cp (>= 64, "" for none), and
 * checks the task definition supports it: 0 or -1. */
int ecs_launch_type(struct dd_request *r, json_t *in, const struct ecs_cluster *c, json_t *taskdef, char *lt,
                    char *cp);

/* Counts of a cluster's tasks by state (running / pending). */
void ecs_task_counts(struct dd_request *r, const char *cluster, const char *service, const char *deployment,
                     int64_t *running, int64_t *pending);

/* ---- container instances and placement (ecs_instance.c) -------------------------------------- */

/* ACTIVE and DRAINING container instances of the cluster (registeredContainerInstancesCount). */
int64_t ecs_instance_count(struct dd_request *r, const char *cluster);

/*
 * Places one task of l (EC2 launch type) on a container instance of l->cluster:
 * resources (CPU, MEMORY, PORTS), then `placement`'s placementConstraints
 * (borrowed; distinctInstance, memberOf), then its placementStrategy
 * (binpack, spread, random; `dflt_spread`: spread over zones then instances when none).
 * A private "_only" (StartTask's container instance, ARN or id) limits the candidates to it.
 * Placed: 0, the instance's resources reserved, its ARN into instance (>= 512) and
 * *placed (new reference, for l->placed). Unplaceable: 1 with *failures (new,
 * RunTask's Failure list) and *closest (AWS's service event words, >= 512).
 * -1 on error.
 */
int ecs_place(struct dd_request *r, const struct ecs_launch *l, json_t *placement, bool dflt_spread, char *instance,
              json_t **placed, json_t **failures, char *closest);

/* The cluster's connected ACTIVE/DRAINING container instances: how many, and their
 * registered and reserved (registered - remaining) CPU and MEMORY. */
int64_t ecs_instance_totals(struct dd_request *r, const char *cluster, int64_t reg[2], int64_t used[2]);

/* Gives the task's reserved resources back to its container instance (once). */
void ecs_instance_release(struct dd_request *r, json_t *task);

/* The target a load balancer entry `lb` registers for task t: the task's IP and the
 * container port (awsvpc), else its EC2 instance and the host port. NULL when none. */
const char *ecs_task_target(json_t *t, json_t *lb, int *port);

/* ---- capacity providers (ecs_capacity.c) ------------------------------------------------------ */

/* The provider `name` (new reference) or NULL. */
json_t *ecs_capacity_load(struct dd_request *r, const char *name);
bool ecs_capacity_is_fargate(const char *name);
/* Whether `name` is a custom provider with managed scaling ENABLED. */
bool ecs_capacity_managed(struct dd_request *r, const char *name);
/* Whether the custom provider exists, is ACTIVE and (cluster non-NULL) free for or associated with `cluster`:
 * 0, or -1 with InvalidParameterException. */
int ecs_capacity_usable(struct dd_request *r, const char *name, const char *cluster);
/* Follows a cluster's capacityProviders going from `before` to `after` (borrowed): providers added are
 * associated with `cluster` (their managed policy made), those removed dissociated. 0 or -1. */
int ecs_capacity_sync(struct dd_request *r, const char *cluster, json_t *before, json_t *after);
/* Keeps in `instances` (container instance docs) only those the custom provider's group launched. */
void ecs_capacity_filter(struct dd_request *r, const char *name, json_t *instances);
/* The provider whose group launched EC2 instance `ec2_id` into out (>= 256), or NULL. */
const char *ecs_capacity_of_instance(struct dd_request *r, const char *ec2_id, char *out);
/* The "ecs.capacity.metrics" event (resource: the provider's name). */
int ecs_capacity_metrics(struct dd_request *r, const char *name, json_t *payload);

/* ---- services (ecs_service.c) ----------------------------------------------------------------- */

/* The service doc for (cluster, name) (new reference) or NULL. */
json_t *ecs_service_load(struct dd_request *r, const char *cluster, const char *name);
void ecs_service_save(struct dd_request *r, const char *cluster, json_t *doc);
/* Adds an event "(service NAME) ..." newest first (at most 100 kept). */
void ecs_service_event(struct dd_request *r, json_t *svc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Schedules the service's scheduler pass after delay_ms (replacing a pending one). */
int ecs_service_poke(struct dd_request *r, const char *service_arn, int64_t delay_ms);
int64_t ecs_active_services(struct dd_request *r, const char *cluster);
/* Makes a new PRIMARY deployment of the service's taskDefinition and network (others become ACTIVE). */
void ecs_service_deploy(struct dd_request *r, json_t *svc);

/* ---- simulation (ecs_sim.c) ------------------------------------------------------------------- */

int ecs_task_step(struct dd_request *r, const char *task_arn, json_t *payload);
int ecs_task_purge(struct dd_request *r, const char *task_arn, json_t *payload);
int ecs_service_reconcile(struct dd_request *r, const char *service_arn, json_t *payload);
/* Schedules the task's next lifecycle step after delay_ms (replacing a pending one). */
int ecs_task_schedule(struct dd_request *r, const char *task_arn, int64_t delay_ms);
/* The pace-dependent delay of one lifecycle step (ms). */
int64_t ecs_step_delay(void);

/* CLUSTER and NAME of arn:...:service/CLUSTER/NAME: 0, or -1 when `arn` is not of that form. */
int ecs_split_service_arn(const char *arn, char cluster[256], char name[256]);

/* ---- metrics and simulated load (ecs_metrics.c) ----------------------------------------------- */

/* Starts the service's per-minute CloudWatch metrics (at the next whole minute). */
int ecs_metrics_start(struct dd_request *r, const char *service_arn);
/* The "ecs.service.metrics" event: publishes the minute's datapoints and reschedules. */
int ecs_service_metrics(struct dd_request *r, const char *service_arn, json_t *payload);
/* Starts the cluster's per-minute CPUReservation / MemoryReservation (at the next whole minute). */
int ecs_cluster_metrics_start(struct dd_request *r, const char *cluster_arn);
/* The "ecs.cluster.metrics" event: publishes them while the cluster has container instances. */
int ecs_cluster_metrics(struct dd_request *r, const char *cluster_arn, json_t *payload);
/* Admin action "load": sets a service's simulated CPU and memory load. */
json_t *ecs_admin_load(struct dd_request *r, json_t *params);

/* Task store (ecs_task.c): load by ARN (new reference) and save. */
json_t *ecs_task_load(struct dd_request *r, const char *task_arn);
void ecs_task_save(struct dd_request *r, json_t *task);

/* ---- handlers --------------------------------------------------------------------------------- */
#define ECS_HANDLERS(X)                                                                                            \
    X(CreateCluster, 0) X(DescribeClusters, DD_OP_READ) X(ListClusters, DD_OP_READ) X(DeleteCluster, 0)            \
    X(UpdateCluster, 0) X(UpdateClusterSettings, 0) X(PutClusterCapacityProviders, 0)                              \
    X(RegisterTaskDefinition, 0) X(DescribeTaskDefinition, DD_OP_READ) X(ListTaskDefinitions, DD_OP_READ)          \
    X(ListTaskDefinitionFamilies, DD_OP_READ) X(DeregisterTaskDefinition, 0)           \
    X(CreateService, 0) X(UpdateService, 0) X(DescribeServices, DD_OP_READ) X(ListServices, DD_OP_READ)            \
    X(DeleteService, 0) X(RunTask, 0) X(StopTask, 0) X(DescribeTasks, DD_OP_READ) X(ListTasks, DD_OP_READ)         \
    X(TagResource, 0) X(UntagResource, 0) X(ListTagsForResource, DD_OP_READ) X(PutAccountSetting, 0)               \
    X(PutAccountSettingDefault, 0) X(ListAccountSettings, DD_OP_READ) X(RegisterContainerInstance, 0)             \
    X(DeregisterContainerInstance, 0) X(ListContainerInstances, DD_OP_READ)                                        \
    X(DescribeContainerInstances, DD_OP_READ) X(UpdateContainerInstancesState, 0) X(PutAttributes, 0)              \
    X(ListAttributes, DD_OP_READ) X(DeleteAttributes, 0) X(StartTask, 0) X(CreateCapacityProvider, 0)              \
    X(DescribeCapacityProviders, DD_OP_READ) X(UpdateCapacityProvider, 0) X(DeleteCapacityProvider, 0)

#define ECS_DECLARE(op, flags) json_t *ecs_op_##op(struct dd_request *r, json_t *in);
ECS_HANDLERS(ECS_DECLARE)
#undef ECS_DECLARE

#endif
