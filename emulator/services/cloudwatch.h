/*
 * cloudwatch.h - what other services ask of CloudWatch metrics and alarms.
 *
 * Services publish their metrics (ECS's AWS/ECS CPUUtilization per service,
 * ...) as AWS does, one aggregated datapoint per minute; Application Auto
 * Scaling creates and deletes the alarms of its target tracking policies.
 * All functions run inside the caller's transaction (r) and use r's account
 * and region.
 *
 * Timing on the simulation clock (metric periods are AWS time whatever the
 * pace: a 60 s period is 60 s of emulator clock):
 *   - publishers write the datapoint of minute [T-60 s, T) at T, T a whole
 *     minute, timestamped T-60 s (a datapoint is stamped with its period's start);
 *   - each alarm is evaluated every minute at a whole minute + 30 s, over the
 *     periods that ended at or before the evaluation, so it always sees the
 *     datapoints published at the minute before it.
 */
#ifndef DD_CLOUDWATCH_H
#define DD_CLOUDWATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "service.h"

/* One published datapoint: a statistic set (PutMetricData's StatisticValues). */
struct cw_stats {
    double sample_count, sum, min, max;
};

/* Stores a datapoint of `ns`/`metric` with dimensions `dims` (borrowed,
 * [{"Name": ..., "Value": ...}], may be NULL) at `ts_ms`; `unit` may be NULL
 * ("None"). 0 or -1 (r->err). */
int cw_publish(struct dd_request *r, const char *ns, const char *metric, json_t *dims, int64_t ts_ms,
               const struct cw_stats *s, const char *unit);

/* Creates or replaces a metric alarm from a PutMetricAlarm-shaped input
 * (borrowed), with PutMetricAlarm's rules, and starts its evaluation. The
 * alarm's ARN into arn_out (>= 512 bytes). 0 or -1 (r->err). */
int cw_alarm_put(struct dd_request *r, json_t *in, char *arn_out);

/* Creates one of a target tracking policy's two alarms as AWS names and configures them:
 * "TargetTracking-RESOURCE-AlarmHigh-UUID", 3 of 3 one-minute periods above `threshold`, or
 * "...-AlarmLow-UUID", 15 of 15 below it; on `metric` (borrowed: Namespace, MetricName,
 * Dimensions, Statistic, Unit), with `policy_arn` its only action. Appends {AlarmName, AlarmARN}
 * to `alarms`. 0 or -1 (r->err). */
int cw_tracking_alarm_put(struct dd_request *r, const char *policy_arn, const char *resource, json_t *metric,
                          bool high, double threshold, json_t *alarms);

/* Deletes the alarm `name` if it exists (and its pending evaluation). */
void cw_alarm_delete(struct dd_request *r, const char *name);

/* Deletes the alarms of a list like cw_tracking_alarm_put's ([{AlarmName, ...}], borrowed). */
void cw_alarms_delete(struct dd_request *r, json_t *alarms);

/* Why an alarm invokes a scaling policy (Application Auto Scaling's or EC2 Auto Scaling's):
 * an alarm whose actions name a policy ARN invokes it when it enters that state and, as AWS
 * does for Auto Scaling actions, again at every evaluation while it stays in it. */
struct cw_trigger {
    const char *alarm_name;
    const char *alarm_arn;
    const char *state; /* "ALARM", "OK", "INSUFFICIENT_DATA" */
    double threshold;  /* the alarm's threshold */
    double value;      /* the metric value of the newest evaluated datapoint (NAN when none) */
};

#endif
