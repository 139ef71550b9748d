/*
 * cloudwatch_internal.h - what the CloudWatch files (cloudwatch*.c) share.
 *
 * State, all isolated by (account, region):
 *   cw_metric     one row per metric (namespace, name, canonical dimensions),
 *                 with when it last received data (ListMetrics, RecentlyActive)
 *   cw_datum      published datapoints: a statistic set, the raw values when
 *                 known (so percentiles work), the unit; kept 15 days
 *   cw_alarm      metric and composite alarms, each a JSON document shaped like
 *                 DescribeAlarms' MetricAlarm / CompositeAlarm ('_' keys private)
 *   cw_history    alarm history items (kept after the alarm is deleted, as AWS does)
 *   cw_tag        tags of alarms, by ARN
 *   cw_dashboard  dashboards (global in AWS: keyed by account alone)
 *
 * cloudwatch.c holds metrics, dashboards and the service table;
 * cloudwatch_alarm.c alarms, their evaluation on the simulation clock and
 * their history.
 */
#ifndef DD_CLOUDWATCH_INTERNAL_H
#define DD_CLOUDWATCH_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cloudwatch.h"

#define CW_EVAL_EVENT "cloudwatch.alarm.evaluate"
#define CW_MINUTE_MS 60000LL

/* ---- metrics (cloudwatch.c) ----------------------------------------------------------------- */

/* One value of a time series. */
struct cw_point {
    int64_t ts_ms;
    double value;
    double samples; /* the period's SampleCount (alarms report it) */
};

/* A time series, ascending by time (malloc'd points). */
struct cw_series {
    struct cw_point *p;
    size_t n, cap;
};

void cw_series_push(struct cw_series *s, int64_t ts_ms, double value, double samples);
void cw_series_free(struct cw_series *s);

/* What a MetricStat asks for. */
struct cw_metric_ref {
    const char *ns, *name;
    json_t *dims;     /* borrowed Dimensions list, may be NULL */
    const char *unit; /* NULL: any */
    const char *stat; /* "Average", "p99", ... */
    int64_t period_s;
};

/*
 * The series of `m` over [start_ms, end_ms): one point per period (periods
 * start at start_ms) that has data and for which the statistic is defined.
 * `min_samples` > 0 drops periods with fewer samples (low-sample percentiles).
 * 0 or -1 (r->err).
 */
int cw_metric_series(struct dd_request *r, const struct cw_metric_ref *m, int64_t start_ms, int64_t end_ms,
                     double min_samples, struct cw_series *out);

/* Whether `stat` is a statistic CloudWatch knows; *pct the percentile (or -1). */
bool cw_stat_valid(const char *stat, double *pct);

/*
 * Runs GetMetricData-shaped `queries` (borrowed) over [start_ms, end_ms):
 * out[i] is query i's series (the caller frees each and the array). The
 * queries are checked first (ids, MetricStat xor Expression, statistics,
 * periods, math). 0 or -1 (r->err); `member` names the list in messages
 * ("MetricDataQueries", "Metrics").
 */
int cw_queries_run(struct dd_request *r, json_t *queries, const char *member, int64_t start_ms, int64_t end_ms,
                   struct cw_series **out);
/* Checks queries as cw_queries_run does, without running them. */
int cw_queries_check(struct dd_request *r, json_t *queries, const char *member);

/* Checks a period the way metric queries need it (1, 5, 10, 30 or a multiple of 60). */
int cw_period_check(struct dd_request *r, const char *param, int64_t period_s);

/* A timestamp input member in ms (0 when absent). */
int64_t cw_in_time(json_t *in, const char *key);
/* "2024-04-16T08:42:00.000+0000", AWS's form inside JSON documents. */
void cw_iso(int64_t ms, char out[32]);

/* ---- alarms (cloudwatch_alarm.c) ------------------------------------------------------------ */

#define CW_ALARM_HANDLERS(X)                                                                                          \
    X(PutMetricAlarm, cw_put_metric_alarm, 0)                                                                         \
    X(PutCompositeAlarm, cw_put_composite_alarm, 0)                                                                   \
    X(DescribeAlarms, cw_describe_alarms, DD_OP_READ)                                                                 \
    X(DescribeAlarmsForMetric, cw_describe_alarms_for_metric, DD_OP_READ)                                             \
    X(DeleteAlarms, cw_delete_alarms, 0)                                                                              \
    X(SetAlarmState, cw_set_alarm_state, 0)                                                                           \
    X(EnableAlarmActions, cw_enable_alarm_actions, 0)                                                                 \
    X(DisableAlarmActions, cw_disable_alarm_actions, 0)                                                               \
    X(DescribeAlarmHistory, cw_describe_alarm_history, DD_OP_READ)                                                   \
    X(TagResource, cw_tag_resource, 0)                                                                                \
    X(UntagResource, cw_untag_resource, 0)                                                                            \
    X(ListTagsForResource, cw_list_tags_for_resource, DD_OP_READ)

#define CW_DECLARE(op, fn, flags) json_t *fn(struct dd_request *r, json_t *in);
CW_ALARM_HANDLERS(CW_DECLARE)
#undef CW_DECLARE

/* The alarm evaluation event (sim kind CW_EVAL_EVENT, resource the alarm name). */
int cw_alarm_evaluate(struct dd_request *r, const char *name, json_t *payload);

#endif
