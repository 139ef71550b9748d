/*
 * ecs.h - what other services ask of ECS.
 *
 * Application Auto Scaling reads and sets a service's desired count (the
 * scalable dimension ecs:service:DesiredCount) the way it does through
 * ECS's public API. All functions run inside the caller's transaction (r)
 * and use r's account and region.
 */
#ifndef DD_ECS_H
#define DD_ECS_H

#include <stdbool.h>
#include <stdint.h>

#include "service.h"

/* The desired and running task counts of the ACTIVE service `service` (name
 * or ARN) of cluster `cluster` (name or ARN): 0, or 1 when there is no such
 * cluster or ACTIVE service. */
int ecs_service_counts(struct dd_request *r, const char *cluster, const char *service, int64_t *desired,
                       int64_t *running);

/* Sets the service's desired count as UpdateService({desiredCount}) does:
 * the scheduler then starts or stops tasks. 0, 1 when there is no such
 * ACTIVE service, -1 on error (r->err). */
int ecs_service_set_desired(struct dd_request *r, const char *cluster, const char *service, int64_t desired);

/*
 * The ECS container agent on an EC2 instance. EC2 calls these when an instance
 * reaches running and when it leaves it (stopping, shutting-down), inside its
 * own transaction. A running instance whose user data sets ECS_CLUSTER=NAME
 * (the /etc/ecs/ecs.config line ECS-optimized AMIs read) and whose instance
 * profile exists joins that cluster as a container instance (no user data, or
 * no ECS_CLUSTER line: the "default" cluster, as the agent does); one that stops
 * takes its tasks down with it. 0, or -1 on error (r->err).
 */
int ecs_agent_instance_running(struct dd_request *r, const char *instance_id);
int ecs_agent_instance_stopped(struct dd_request *r, const char *instance_id, bool terminated);

#endif
