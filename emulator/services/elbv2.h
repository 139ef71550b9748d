/*
 * elbv2.h - what other services ask of Elastic Load Balancing v2.
 *
 * ECS registers its tasks' addresses in a service's target groups and reads
 * their health, the way the real ECS agent and scheduler do through ELB.
 * All functions run inside the caller's transaction (r) and use r's account
 * and region.
 */
#ifndef DD_ELBV2_H
#define DD_ELBV2_H

#include <stdbool.h>
#include <stddef.h>

#include "service.h"

/* What ECS needs to know of a target group. */
struct elbv2_target_group_info {
    char target_type[16]; /* "ip", "instance", ... */
    char protocol[16];
    int port;
    char vpc_id[32];
    bool has_load_balancer; /* a listener or rule of some load balancer forwards to it */
};

/* Fills `info` for the group `arn`; 0, or -1 with r->err set
 * (TargetGroupNotFound as ELBv2 words it) when it does not exist. */
int elbv2_target_group_get(struct dd_request *r, const char *arn, struct elbv2_target_group_info *info);

/* RegisterTargets / DeregisterTargets of one ip:port (or instance id), with
 * ELBv2's own rules and health lifecycle. 0, or -1 with r->err set. */
int elbv2_register_target(struct dd_request *r, const char *arn, const char *target_id, int port);
int elbv2_deregister_target(struct dd_request *r, const char *arn, const char *target_id, int port);

/* The target's health state ("initial", "healthy", "unhealthy", "unused",
 * "draining", "unavailable") into `state`, or "" when it is not registered. */
void elbv2_target_state(struct dd_request *r, const char *arn, const char *target_id, int port, char state[24]);

#endif
