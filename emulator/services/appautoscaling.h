/*
 * appautoscaling.h - what CloudWatch asks of Application Auto Scaling.
 *
 * An alarm whose actions name a scaling policy ARN
 * (arn:aws:autoscaling:REGION:ACCOUNT:scalingPolicy:UUID:resource/...:policyName/NAME)
 * invokes it when it enters the state the action is listed under, and, as
 * AWS does for Auto Scaling actions, again at every evaluation while it stays
 * in that state. Runs inside the alarm evaluation's transaction (r).
 */
#ifndef DD_APPAUTOSCALING_H
#define DD_APPAUTOSCALING_H

#include "cloudwatch.h"
#include "service.h"

/* True when `arn` is an Application Auto Scaling policy ARN (":resource/" form). */
int aas_is_policy_arn(const char *arn);

/* Executes the scaling policy `policy_arn` for alarm `t`: a scaling activity
 * is recorded when it acts; cooldowns, suspended scaling and capacity limits
 * are honoured. 0 (acted or declined), 1 when there is no such policy, -1 on
 * error (r->err). */
int aas_alarm_action(struct dd_request *r, const char *policy_arn, const struct cw_trigger *t);

#endif
