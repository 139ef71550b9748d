/*
 * autoscaling.h - what other services ask of EC2 Auto Scaling.
 *
 * CloudWatch invokes an Auto Scaling group's scaling policy when an alarm whose
 * actions name the policy's ARN
 * (arn:aws:autoscaling:REGION:ACCOUNT:scalingPolicy:UUID:autoScalingGroupName/GROUP:policyName/NAME)
 * is in that state: once on entering it and again at every evaluation while it
 * stays in it. Runs inside the alarm evaluation's transaction (r).
 */
#ifndef DD_AUTOSCALING_H
#define DD_AUTOSCALING_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cloudwatch.h"
#include "service.h"

/* Whether `arn` is an EC2 Auto Scaling policy ARN (":autoScalingGroupName/" form). */
bool asg_is_policy_arn(const char *arn);

/* Executes the group's scaling policy `policy_arn` for alarm `t` (simple, step or target
 * tracking), honouring cooldowns/warm-up, suspended processes and the group's limits; a
 * scaling activity is recorded when it acts. 0 (acted or declined), 1 when there is no such
 * policy, -1 on error (r->err). */
int asg_alarm_action(struct dd_request *r, const char *policy_arn, const struct cw_trigger *t);

/* ---- what ECS capacity providers ask ---------------------------------------------------------------- */

/* Creates or replaces the group's target tracking policy `policy` on a customized metric (`metric`, borrowed:
 * Namespace, MetricName, Dimensions, Statistic) held at `target`, instances warming up for `warmup_s`, exactly as
 * PutScalingPolicy does (its alarms included). 0, or -1 (r->err; ValidationError when there is no such group). */
int asg_put_tracking_policy(struct dd_request *r, const char *group, const char *policy, json_t *metric, double target,
                            int64_t warmup_s);

/* Deletes the group's policy `policy` (and its alarms) if it exists: 0 or -1. */
int asg_delete_named_policy(struct dd_request *r, const char *group, const char *policy);

/* Whether group `name` exists (0, or 1), with its NewInstancesProtectedFromScaleIn into *protect_new (may be NULL). */
int asg_group_exists(struct dd_request *r, const char *name, bool *protect_new);

/* The group whose instance EC2 instance `id` is, into group (>= 256): 0, or 1 when it is in none. */
int asg_group_of_instance(struct dd_request *r, const char *id, char *group);

/* Sets the instance's ProtectedFromScaleIn as SetInstanceProtection does: 0, 1 when it is in no group, -1. */
int asg_protect_instance(struct dd_request *r, const char *id, bool protect);

/* The number of the group's instances that count toward its capacity (not Terminating). */
int64_t asg_capacity(struct dd_request *r, const char *name);

#endif
