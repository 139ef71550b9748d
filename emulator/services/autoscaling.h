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

#include <stdbool.h>

#include "cloudwatch.h"
#include "service.h"

/* Whether `arn` is an EC2 Auto Scaling policy ARN (":autoScalingGroupName/" form). */
bool asg_is_policy_arn(const char *arn);

/* Executes the group's scaling policy `policy_arn` for alarm `t` (simple, step or target
 * tracking), honouring cooldowns/warm-up, suspended processes and the group's limits; a
 * scaling activity is recorded when it acts. 0 (acted or declined), 1 when there is no such
 * policy, -1 on error (r->err). */
int asg_alarm_action(struct dd_request *r, const char *policy_arn, const struct cw_trigger *t);

#endif
