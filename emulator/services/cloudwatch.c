/*
 * cloudwatch.c - Amazon CloudWatch: metrics (PutMetricData, GetMetricStatistics,
 * GetMetricData with simple metric math, ListMetrics), dashboards, and the
 * service table. Alarms live in cloudwatch_alarm.c; the state is described in
 * cloudwatch_internal.h.
 *
 * A datapoint is stored as published: one row per MetricDatum (or cw_publish
 * call) holding its statistic set and, for Value / Values+Counts, the raw
 * values, so that percentiles are exact. A statistic set only yields
 * percentiles when its values are known (Minimum == Maximum), as AWS
 * documents. Periods are aggregated at read time, starting at the query's
 * start. Datapoints older than 15 days are dropped whenever new ones arrive.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../protocol/buf.h"
#include "../sim.h"
#include "cloudwatch_internal.h"

#define DAY_MS (86400 * 1000LL)
#define KEEP_MS (15 * DAY_MS)
#define PAST_LIMIT_MS (14 * DAY_MS)
#define FUTURE_LIMIT_MS (2 * 3600 * 1000LL)
#define RECENT_MS (3 * 3600 * 1000LL)
#define MAX_VALUES 150
#define MAX_STATS_POINTS 1440
#define MAX_DATA_POINTS 100800
#define LIST_PAGE 500
#define DASHBOARD_PAGE 1000
#define VALUE_LIMIT 0x1p360

/* ---- schema --------------------------------------------------------------------------------- */

static const char SCHEMA_1[] =
    "CREATE TABLE cw_metric ("
    " id INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, namespace TEXT NOT NULL,"
    " name TEXT NOT NULL, dims TEXT NOT NULL, last_ms INTEGER NOT NULL,"
    " UNIQUE (account, region, namespace, name, dims));"
    "CREATE TABLE cw_datum ("
    " id INTEGER PRIMARY KEY, account TEXT NOT NULL, metric INTEGER NOT NULL, ts INTEGER NOT NULL,"
    " unit TEXT NOT NULL, n REAL NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, vals TEXT);"
    "CREATE INDEX cw_datum_metric ON cw_datum (metric, ts);"
    "CREATE INDEX cw_datum_age ON cw_datum (account, ts);"
    "CREATE TABLE cw_alarm ("
    " account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, arn TEXT NOT NULL, type TEXT NOT NULL,"
    " doc TEXT NOT NULL, PRIMARY KEY (account, region, name)) WITHOUT ROWID;"
    "CREATE TABLE cw_history ("
    " id INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, alarm TEXT NOT NULL,"
    " type TEXT NOT NULL, item TEXT NOT NULL, ts INTEGER NOT NULL, summary TEXT NOT NULL, data TEXT NOT NULL);"
    "CREATE INDEX cw_history_alarm ON cw_history (account, region, alarm, ts);"
    "CREATE INDEX cw_history_time ON cw_history (account, region, ts);"
    "CREATE TABLE cw_tag ("
    " account TEXT NOT NULL, region TEXT NOT NULL, arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
    " seq INTEGER NOT NULL, PRIMARY KEY (account, region, arn, key)) WITHOUT ROWID;"
    "CREATE TABLE cw_dashboard ("
    " account TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL, modified_ms INTEGER NOT NULL,"
    " PRIMARY KEY (account, name)) WITHOUT ROWID;";

static const char *const schema[] = {SCHEMA_1, NULL};

/* Statements bind ?1 account, ?2 region (dd_stmt); ?2 may go unused. */
static const char SQL_METRIC_UPSERT[] =
    "INSERT INTO cw_metric (account, region, namespace, name, dims, last_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    " ON CONFLICT (account, region, namespace, name, dims) DO UPDATE SET last_ms=max(last_ms, excluded.last_ms)"
    " RETURNING id";
static const char SQL_METRIC_ID[] =
    "SELECT id FROM cw_metric WHERE account=?1 AND region=?2 AND namespace=?3 AND name=?4 AND dims=?5";
static const char SQL_METRICS[] = "SELECT namespace, name, dims FROM cw_metric WHERE account=?1 AND region=?2"
                                  " AND (?3 IS NULL OR namespace=?3) AND (?4 IS NULL OR name=?4) AND last_ms >= ?5"
                                  " ORDER BY namespace, name, dims";
static const char SQL_INSERT_DATUM[] = "INSERT INTO cw_datum (account, metric, ts, unit, n, sum, min, max, vals)"
                                       " VALUES (?1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char SQL_PRUNE[] = "DELETE FROM cw_datum WHERE account=?1 AND ts < ?3";
static const char SQL_DATA[] = "SELECT ts, unit, n, sum, min, max, vals FROM cw_datum"
                               " WHERE metric=?3 AND ts >= ?4 AND ts < ?5 AND (?6 IS NULL OR unit=?6) ORDER BY ts, id";

static const char SQL_DASHBOARD[] = "SELECT body, modified_ms FROM cw_dashboard WHERE account=?1 AND name=?3";
static const char SQL_DASHBOARDS[] = "SELECT name, modified_ms, length(CAST(body AS BLOB)) FROM cw_dashboard"
                                     " WHERE account=?1 AND substr(name, 1, length(?3))=?3 ORDER BY name";
static const char SQL_PUT_DASHBOARD[] =
    "INSERT INTO cw_dashboard (account, name, body, modified_ms) VALUES (?1, ?3, ?4, ?5)"
    " ON CONFLICT (account, name) DO UPDATE SET body=excluded.body, modified_ms=excluded.modified_ms";
static const char SQL_DELETE_DASHBOARD[] = "DELETE FROM cw_dashboard WHERE account=?1 AND name=?3";

/* ---- small helpers -------------------------------------------------------------------------- */

int64_t cw_in_time(json_t *in, const char *key)
{
    json_t *v = json_object_get(in, key);
    return v ? (int64_t)llround(json_number_value(v) * 1000.0) : 0;
}

void cw_iso(int64_t ms, char out[32])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    char day[24];
    gmtime_r(&secs, &tm);
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%.19s.%03d+0000", day, (int)((ms % 1000 + 1000) % 1000));
}

void cw_series_push(struct cw_series *s, int64_t ts_ms, double value, double samples)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->p = realloc(s->p, s->cap * sizeof *s->p);
        if (!s->p)
            abort();
    }
    s->p[s->n++] = (struct cw_point){ts_ms, value, samples};
}

void cw_series_free(struct cw_series *s)
{
    free(s->p);
    *s = (struct cw_series){0};
}

/* Dimensions in one canonical text (sorted by name), so that a metric is one row
 * however its publisher ordered them. A new malloc'd string. */
static char *dims_key(json_t *dims)
{
    size_t n = json_array_size(dims);
    json_t *sorted = json_array();
    const char **names = calloc(n + 1, sizeof *names);
    size_t *order = calloc(n + 1, sizeof *order);
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        const char *name = dd_in_str(json_array_get(dims, i), "Name");
        while (j > 0 && strcmp(names[j - 1], name ? name : "") > 0) {
            names[j] = names[j - 1];
            order[j] = order[j - 1];
            j--;
        }
        names[j] = name ? name : "";
        order[j] = i;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *d = json_array_get(dims, order[i]);
        json_array_append_new(sorted, json_pack("{s:s, s:s}", "Name", names[i], "Value",
                                                dd_in_str(d, "Value") ? dd_in_str(d, "Value") : ""));
    }
    char *key = json_dumps(sorted, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(sorted);
    free(names);
    free(order);
    return key;
}

bool cw_stat_valid(const char *stat, double *pct)
{
    static const char *const simple[] = {"SampleCount", "Average", "Sum", "Minimum", "Maximum"};
    *pct = -1;
    for (size_t i = 0; i < sizeof simple / sizeof *simple; i++)
        if (strcmp(stat, simple[i]) == 0)
            return true;
    /* pNN or pNN.NN, 0..100: the percentiles drydock computes */
    if (stat[0] != 'p' || !isdigit((unsigned char)stat[1]))
        return false;
    char *end;
    double p = strtod(stat + 1, &end);
    const char *dot = strchr(stat, '.');
    if (*end || p < 0 || p > 100 || (dot && (strlen(dot + 1) < 1 || strlen(dot + 1) > 2)) ||
        strspn(stat + 1, "0123456789.") != strlen(stat + 1))
        return false;
    *pct = p;
    return true;
}

int cw_period_check(struct dd_request *r, const char *param, int64_t period_s)
{
    if (period_s == 1 || period_s == 5 || period_s == 10 || period_s == 30 || (period_s > 0 && period_s % 60 == 0))
        return 0;
    return dd_reject(r, 400, "InvalidParameterValue",
                     "The parameter %s must be 1, 5, 10, 30, or a multiple of 60.", param);
}

/* ---- aggregation ------------------------------------------------------------------------------ */

struct sample {
    double v, c;
};

/* One period's data. */
struct bucket {
    int64_t ts_ms;
    double n, sum, min, max;
    struct sample *s;
    size_t ns, cap;
    bool exact, sorted;
    char unit[32];
};

static void bucket_add_sample(struct bucket *b, double v, double c)
{
    if (b->ns == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 8;
        b->s = realloc(b->s, b->cap * sizeof *b->s);
        if (!b->s)
            abort();
    }
    b->s[b->ns++] = (struct sample){v, c};
}

static void buckets_free(struct bucket *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(b[i].s);
    free(b);
}

/* Adds one stored datum (the current row of SQL_DATA) to bucket `b`. */
static void bucket_add_row(struct bucket *b, sqlite3_stmt *st)
{
    double n = sqlite3_column_double(st, 2), sum = sqlite3_column_double(st, 3);
    double mn = sqlite3_column_double(st, 4), mx = sqlite3_column_double(st, 5);
    const char *vals = store_col_text(st, 6);
    b->n += n;
    b->sum += sum;
    b->min = fmin(b->min, mn);
    b->max = fmax(b->max, mx);
    snprintf(b->unit, sizeof b->unit, "%s", store_col_text(st, 1));
    if (vals) {
        json_t *list = json_loads(vals, 0, NULL), *pair;
        size_t i;
        json_array_foreach(list, i, pair)
        {
            bucket_add_sample(b, json_number_value(json_array_get(pair, 0)),
                              json_number_value(json_array_get(pair, 1)));
        }
        json_decref(list);
    } else if (mn == mx && fabs(sum - mn * n) <= 1e-9 * fmax(1.0, fabs(sum))) {
        bucket_add_sample(b, mn, n); /* a statistic set whose values are all known */
    } else {
        b->exact = false;
    }
}

/* The non-empty periods of metric `id` in [start, end), periods starting at start. */
static int gather(struct dd_request *r, int64_t id, const char *unit, int64_t start_ms, int64_t end_ms,
                  int64_t period_ms, struct bucket **out, size_t *count)
{
    struct bucket *b = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *st = dd_stmt(r, SQL_DATA);
    sqlite3_bind_int64(st, 3, id);
    sqlite3_bind_int64(st, 4, start_ms);
    sqlite3_bind_int64(st, 5, end_ms);
    store_bind_text(st, 6, unit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t ts = sqlite3_column_int64(st, 0);
        int64_t at = start_ms + (ts - start_ms) / period_ms * period_ms;
        if (n == 0 || b[n - 1].ts_ms != at) {
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                b = realloc(b, cap * sizeof *b);
                if (!b)
                    abort();
            }
            b[n++] = (struct bucket){.ts_ms = at, .min = INFINITY, .max = -INFINITY, .exact = true};
        }
        bucket_add_row(&b[n - 1], st);
    }
    sqlite3_reset(st);
    *out = b;
    *count = n;
    if (rc != SQLITE_DONE) {
        buckets_free(b, n);
        *out = NULL;
        *count = 0;
        return dd_internal(r);
    }
    return 0;
}

static int by_value(const void *a, const void *b)
{
    double x = ((const struct sample *)a)->v, y = ((const struct sample *)b)->v;
    return x < y ? -1 : x > y;
}

/* Statistic `stat` of a period: false when it has no value (a percentile of unknown values). */
static bool bucket_stat(struct bucket *b, const char *stat, double *v)
{
    double pct;
    if (!cw_stat_valid(stat, &pct) || b->n <= 0)
        return false;
    if (pct < 0) {
        switch (stat[0]) {
        case 'S': *v = stat[1] == 'a' ? b->n : b->sum; return true;
        case 'A': *v = b->sum / b->n; return true;
        default: *v = strcmp(stat, "Minimum") == 0 ? b->min : b->max; return true;
        }
    }
    if (!b->exact || b->ns == 0)
        return false;
    if (!b->sorted) {
        qsort(b->s, b->ns, sizeof *b->s, by_value);
        b->sorted = true;
    }
    /* nearest rank: the smallest value with at least pct% of the samples at or below it */
    double total = 0, seen = 0;
    for (size_t i = 0; i < b->ns; i++)
        total += b->s[i].c;
    double rank = fmax(1.0, ceil(pct / 100.0 * total - 1e-9));
    for (size_t i = 0; i < b->ns; i++) {
        seen += b->s[i].c;
        if (seen >= rank) {
            *v = b->s[i].v;
            return true;
        }
    }
    *v = b->s[b->ns - 1].v;
    return true;
}

/* The metric's row id, or 0 when nothing was ever published to it. */
static int64_t metric_id(struct dd_request *r, const char *ns, const char *name, json_t *dims)
{
    char *key = dims_key(dims);
    sqlite3_stmt *st = dd_stmt(r, SQL_METRIC_ID);
    store_bind_text(st, 3, ns);
    store_bind_text(st, 4, name);
    store_bind_text(st, 5, key);
    int64_t id = dd_single_int(st, 0);
    free(key);
    return id;
}

int cw_metric_series(struct dd_request *r, const struct cw_metric_ref *m, int64_t start_ms, int64_t end_ms,
                     double min_samples, struct cw_series *out)
{
    *out = (struct cw_series){0};
    int64_t id = metric_id(r, m->ns, m->name, m->dims);
    if (!id || end_ms <= start_ms)
        return 0;
    struct bucket *b;
    size_t n;
    if (gather(r, id, m->unit, start_ms, end_ms, m->period_s * 1000, &b, &n))
        return -1;
    for (size_t i = 0; i < n; i++) {
        double v;
        if (b[i].n >= min_samples && bucket_stat(&b[i], m->stat, &v))
            cw_series_push(out, b[i].ts_ms, v, b[i].n);
    }
    buckets_free(b, n);
    return 0;
}

/* ---- PutMetricData ----------------------------------------------------------------------------- */

int cw_publish(struct dd_request *r, const char *ns, const char *metric, json_t *dims, int64_t ts_ms,
               const struct cw_stats *s, const char *unit)
{
    char *key = dims_key(dims);
    sqlite3_stmt *st = dd_stmt(r, SQL_METRIC_UPSERT);
    store_bind_text(st, 3, ns);
    store_bind_text(st, 4, metric);
    store_bind_text(st, 5, key);
    sqlite3_bind_int64(st, 6, r->now_ms);
    int64_t id = dd_single_int(st, 0);
    free(key);
    if (!id)
        return dd_internal(r);
    st = dd_stmt(r, SQL_INSERT_DATUM);
    sqlite3_bind_int64(st, 3, id);
    sqlite3_bind_int64(st, 4, ts_ms);
    store_bind_text(st, 5, unit ? unit : "None");
    sqlite3_bind_double(st, 6, s->sample_count);
    sqlite3_bind_double(st, 7, s->sum);
    sqlite3_bind_double(st, 8, s->min);
    sqlite3_bind_double(st, 9, s->max);
    return dd_exec(r, st);
}

/* Stores Values (with Counts) as raw samples, so that percentiles are exact. */
static int publish_values(struct dd_request *r, const char *ns, json_t *d, int64_t ts, const char *unit)
{
    json_t *values = json_object_get(d, "Values"), *counts = json_object_get(d, "Counts");
    json_t *pairs = json_array();
    struct cw_stats s = {0, 0, INFINITY, -INFINITY};
    for (size_t i = 0; i < json_array_size(values); i++) {
        double v = json_number_value(json_array_get(values, i));
        double c = counts ? json_number_value(json_array_get(counts, i)) : 1.0;
        if (c <= 0)
            continue;
        s.sample_count += c;
        s.sum += v * c;
        s.min = fmin(s.min, v);
        s.max = fmax(s.max, v);
        json_array_append_new(pairs, json_pack("[f, f]", v, c));
    }
    int rc = 0;
    if (s.sample_count > 0) {
        char *key = dims_key(json_object_get(d, "Dimensions"));
        sqlite3_stmt *st = dd_stmt(r, SQL_METRIC_UPSERT);
        store_bind_text(st, 3, ns);
        store_bind_text(st, 4, dd_in_str(d, "MetricName"));
        store_bind_text(st, 5, key);
        sqlite3_bind_int64(st, 6, r->now_ms);
        int64_t id = dd_single_int(st, 0);
        free(key);
        char *text = json_dumps(pairs, JSON_COMPACT);
        st = dd_stmt(r, SQL_INSERT_DATUM);
        sqlite3_bind_int64(st, 3, id);
        sqlite3_bind_int64(st, 4, ts);
        store_bind_text(st, 5, unit);
        sqlite3_bind_double(st, 6, s.sample_count);
        sqlite3_bind_double(st, 7, s.sum);
        sqlite3_bind_double(st, 8, s.min);
        sqlite3_bind_double(st, 9, s.max);
        store_bind_text(st, 10, text);
        rc = id ? dd_exec(r, st) : dd_internal(r);
        if (!id)
            sqlite3_reset(st);
        free(text);
    }
    json_decref(pairs);
    return rc;
}

static bool value_ok(double v)
{
    return fabs(v) <= VALUE_LIMIT && (v == 0 || fabs(v) >= 0x1p-260);
}

/* AWS's checks of one MetricDatum (`i` counts from 1). */
static int datum_check(struct dd_request *r, json_t *d, size_t i)
{
    json_t *value = json_object_get(d, "Value"), *values = json_object_get(d, "Values");
    json_t *counts = json_object_get(d, "Counts"), *set = json_object_get(d, "StatisticValues");
    const char *combo = value && set ? "StatisticValues" : value && values ? "Values" : values && set ? "StatisticValues" : NULL;
    if (combo)
        return dd_reject(r, 400, "InvalidParameterCombination",
                         "The parameters MetricData.member.%zu.%s and MetricData.member.%zu.%s are mutually exclusive "
                         "and you have specified both.",
                         i, value ? "Value" : "Values", i, combo);
    if (!value && !values && !set)
        return dd_reject(r, 400, "MissingParameter", "The parameter MetricData.member.%zu.Value is required.", i);
    if (counts && !values)
        return dd_reject(r, 400, "InvalidParameterCombination",
                         "The parameter MetricData.member.%zu.Counts requires MetricData.member.%zu.Values.", i, i);
    if (counts && json_array_size(counts) != json_array_size(values))
        return dd_reject(r, 400, "InvalidParameterValue",
                         "The parameters MetricData.member.%zu.Values and MetricData.member.%zu.Counts must be of the "
                         "same size.",
                         i, i);
    if (json_array_size(values) > MAX_VALUES)
        return dd_reject(r, 400, "InvalidParameterValue",
                         "The collection MetricData.member.%zu.Values must not have a size greater than %d.", i,
                         MAX_VALUES);
    if (value && !value_ok(json_number_value(value)))
        return dd_reject(r, 400, "InvalidParameterValue", "The value %g for parameter MetricData.member.%zu.Value is invalid.",
                         json_number_value(value), i);
    for (size_t k = 0; k < json_array_size(values); k++)
        if (!value_ok(json_number_value(json_array_get(values, k))))
            return dd_reject(r, 400, "InvalidParameterValue",
                             "The value %g for parameter MetricData.member.%zu.Values is invalid.",
                             json_number_value(json_array_get(values, k)), i);
    if (set && json_number_value(json_object_get(set, "Minimum")) > json_number_value(json_object_get(set, "Maximum")))
        return dd_reject(r, 400, "InvalidParameterValue",
                         "The parameter MetricData.member.%zu.StatisticValues.Maximum must be greater than "
                         "MetricData.member.%zu.StatisticValues.Minimum.",
                         i, i);
    if (set && json_number_value(json_object_get(set, "SampleCount")) <= 0)
        return dd_reject(r, 400, "InvalidParameterValue",
                         "The parameter MetricData.member.%zu.StatisticValues.SampleCount must be greater than 0.", i);
    json_int_t res = dd_in_int(d, "StorageResolution", 60);
    if (res != 1 && res != 60)
        return dd_reject(r, 400, "InvalidParameterValue",
                         "The value %lld for parameter MetricData.member.%zu.StorageResolution is invalid. Valid "
                         "values are 1 and 60.",
                         (long long)res, i);
    if (json_object_get(d, "Timestamp")) {
        int64_t ts = cw_in_time(d, "Timestamp");
        if (ts < r->now_ms - PAST_LIMIT_MS)
            return dd_reject(r, 400, "InvalidParameterValue",
                             "The parameter MetricData.member.%zu.Timestamp must specify a time within the past two "
                             "weeks.",
                             i);
        if (ts > r->now_ms + FUTURE_LIMIT_MS)
            return dd_reject(r, 400, "InvalidParameterValue",
                             "The parameter MetricData.member.%zu.Timestamp must specify a time no more than two hours "
                             "in the future.",
                             i);
    }
    return 0;
}

static int datum_store(struct dd_request *r, const char *ns, json_t *d)
{
    const char *unit = dd_in_str(d, "Unit") ? dd_in_str(d, "Unit") : "None";
    int64_t ts = json_object_get(d, "Timestamp") ? cw_in_time(d, "Timestamp") : r->now_ms;
    /* standard resolution keeps whole seconds; periods aggregate them anyway */
    ts -= ts % 1000;
    json_t *set = json_object_get(d, "StatisticValues");
    if (json_object_get(d, "Values"))
        return publish_values(r, ns, d, ts, unit);
    struct cw_stats s;
    if (set) {
        s = (struct cw_stats){json_number_value(json_object_get(set, "SampleCount")),
                              json_number_value(json_object_get(set, "Sum")),
                              json_number_value(json_object_get(set, "Minimum")),
                              json_number_value(json_object_get(set, "Maximum"))};
    } else {
        double v = json_number_value(json_object_get(d, "Value"));
        s = (struct cw_stats){1, v, v, v};
    }
    return cw_publish(r, ns, dd_in_str(d, "MetricName"), json_object_get(d, "Dimensions"), ts, &s, unit);
}

static json_t *put_metric_data(struct dd_request *r, json_t *in)
{
    const char *ns = dd_in_str(in, "Namespace");
    json_t *data = json_object_get(in, "MetricData"), *d;
    size_t i;
    if (strncmp(ns, "AWS/", 4) == 0)
        return dd_fail(r, 400, "InvalidParameterValue", "The value %s for parameter Namespace is invalid.", ns);
    if (json_array_size(data) > 1000)
        return dd_fail(r, 400, "InvalidParameterValue",
                       "The collection MetricData must not have a size greater than 1000.");
    json_array_foreach(data, i, d)
    {
        if (datum_check(r, d, i + 1))
            return NULL;
    }
    json_array_foreach(data, i, d)
    {
        if (datum_store(r, ns, d))
            return NULL;
    }
    sqlite3_stmt *st = dd_stmt(r, SQL_PRUNE);
    sqlite3_bind_int64(st, 3, r->now_ms - KEEP_MS);
    return dd_exec(r, st) ? NULL : json_object();
}

/* ---- GetMetricStatistics ------------------------------------------------------------------------ */

static int time_range_check(struct dd_request *r, int64_t start, int64_t end)
{
    if (start == end)
        return dd_reject(r, 400, "InvalidParameterValue", "The parameter StartTime must not equal parameter EndTime.");
    if (start > end)
        return dd_reject(r, 400, "InvalidParameterValue",
                         "The parameter StartTime must be less than the parameter EndTime.");
    return 0;
}

/* AWS rounds a start down to the minute (to the period below a minute). */
static int64_t round_start(int64_t start_ms, int64_t period_s)
{
    int64_t unit = period_s >= 60 ? CW_MINUTE_MS : period_s * 1000;
    return start_ms - ((start_ms % unit) + unit) % unit;
}

static json_t *get_metric_statistics(struct dd_request *r, json_t *in)
{
    int64_t start = cw_in_time(in, "StartTime"), end = cw_in_time(in, "EndTime");
    int64_t period = dd_in_int(in, "Period", 60);
    json_t *stats = json_object_get(in, "Statistics"), *ext = json_object_get(in, "ExtendedStatistics"), *v;
    const char *unit = dd_in_str(in, "Unit");
    size_t i;
    double pct;
    if (time_range_check(r, start, end) || cw_period_check(r, "Period", period))
        return NULL;
    if (!stats && !ext)
        return dd_fail(r, 400, "InvalidParameterCombination", "Must specify either Statistics or ExtendedStatistics");
    json_array_foreach(ext, i, v)
    {
        if (!cw_stat_valid(json_string_value(v), &pct) || pct < 0)
            return dd_fail(r, 400, "InvalidParameterValue",
                           "The value %s for parameter ExtendedStatistics is not supported.", json_string_value(v));
    }
    start = round_start(start, period);
    int64_t points = (end - start + period * 1000 - 1) / (period * 1000);
    if (points > MAX_STATS_POINTS)
        return dd_fail(r, 400, "InvalidParameterCombination",
                       "You have requested up to %lld datapoints, which exceeds the limit of %d. You may reduce the "
                       "datapoints requested by increasing Period, or decreasing the time range.",
                       (long long)points, MAX_STATS_POINTS);

    json_t *datapoints = json_array();
    int64_t id = metric_id(r, dd_in_str(in, "Namespace"), dd_in_str(in, "MetricName"), json_object_get(in, "Dimensions"));
    struct bucket *b = NULL;
    size_t n = 0;
    if (id && gather(r, id, unit, start, end, period * 1000, &b, &n)) {
        json_decref(datapoints);
        return NULL;
    }
    for (size_t k = 0; k < n; k++) {
        json_t *dp = json_pack("{s:o, s:s}", "Timestamp", dd_time(b[k].ts_ms), "Unit", unit ? unit : b[k].unit);
        double x;
        json_array_foreach(stats, i, v)
        {
            if (bucket_stat(&b[k], json_string_value(v), &x))
                json_object_set_new(dp, json_string_value(v), json_real(x));
        }
        json_t *extended = json_object();
        json_array_foreach(ext, i, v)
        {
            if (bucket_stat(&b[k], json_string_value(v), &x))
                json_object_set_new(extended, json_string_value(v), json_real(x));
        }
        if (json_object_size(extended))
            json_object_set(dp, "ExtendedStatistics", extended);
        json_decref(extended);
        json_array_append_new(datapoints, dp);
    }
    buckets_free(b, n);
    return json_pack("{s:s, s:o}", "Label", dd_in_str(in, "MetricName"), "Datapoints", datapoints);
}

/* ---- metric queries and metric math ---------------------------------------------------------- */

/*
 * A query set: MetricStat queries read their metric; Expression queries are
 * simple metric math over the others' results: ids, numbers, + - * / and
 * parentheses, and SUM / AVG / MIN / MAX of an array ([m1, m2] or METRICS())
 * - a series, per timestamp - or of one series - a scalar. A series combined
 * with a series keeps the timestamps both have.
 */
struct mq {
    struct dd_request *r;
    json_t *queries;
    const char *member;
    int64_t start_ms, end_ms;
    bool dry; /* checking only: metrics read as empty */
    struct cw_series *out;
    unsigned char *state; /* 0 not run, 1 running, 2 done */
};

/* A math value: a scalar or a series (owned). */
struct mval {
    bool scalar;
    double d;
    struct cw_series s;
};

struct mparse {
    struct mq *q;
    const char *expr, *p;
    size_t index; /* the query being evaluated */
};

static int mq_run_one(struct mq *q, size_t i);

static int math_error(struct mparse *m, const char *what)
{
    return dd_reject(m->q->r, 400, "InvalidParameterValue", "Error in expression %s: %s",
                     dd_in_str(json_array_get(m->q->queries, m->index), "Id"), what);
}

static void skip_space(struct mparse *m)
{
    while (isspace((unsigned char)*m->p))
        m->p++;
}

static bool accept(struct mparse *m, char c)
{
    skip_space(m);
    if (*m->p != c)
        return false;
    m->p++;
    return true;
}

static long query_index(struct mq *q, const char *id, size_t len)
{
    for (size_t i = 0; i < json_array_size(q->queries); i++) {
        const char *qid = dd_in_str(json_array_get(q->queries, i), "Id");
        if (qid && strlen(qid) == len && strncmp(qid, id, len) == 0)
            return (long)i;
    }
    return -1;
}

static void series_copy(struct cw_series *dst, const struct cw_series *src)
{
    *dst = (struct cw_series){0};
    for (size_t i = 0; i < src->n; i++)
        cw_series_push(dst, src->p[i].ts_ms, src->p[i].value, src->p[i].samples);
}

static double apply(char op, double a, double b, bool *ok)
{
    *ok = true;
    switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    default: *ok = b != 0; return *ok ? a / b : 0;
    }
}

/* a = a op b (b consumed). */
static void combine(struct mval *a, struct mval *b, char op)
{
    bool ok;
    if (a->scalar && b->scalar) {
        a->d = apply(op, a->d, b->d, &ok);
        if (!ok)
            a->d = NAN;
        return;
    }
    struct cw_series out = {0};
    if (a->scalar || b->scalar) {
        const struct cw_series *s = a->scalar ? &b->s : &a->s;
        for (size_t i = 0; i < s->n; i++) {
            double x = a->scalar ? apply(op, a->d, s->p[i].value, &ok) : apply(op, s->p[i].value, b->d, &ok);
            if (ok)
                cw_series_push(&out, s->p[i].ts_ms, x, s->p[i].samples);
        }
    } else {
        for (size_t i = 0, j = 0; i < a->s.n && j < b->s.n;) {
            if (a->s.p[i].ts_ms < b->s.p[j].ts_ms) {
                i++;
            } else if (a->s.p[i].ts_ms > b->s.p[j].ts_ms) {
                j++;
            } else {
                double x = apply(op, a->s.p[i].value, b->s.p[j].value, &ok);
                if (ok)
                    cw_series_push(&out, a->s.p[i].ts_ms, x, a->s.p[i].samples);
                i++, j++;
            }
        }
    }
    cw_series_free(&a->s);
    cw_series_free(&b->s);
    a->scalar = false;
    a->s = out;
}

static int math_expr(struct mparse *m, struct mval *v);

static int by_time(const void *a, const void *b)
{
    int64_t x = ((const struct cw_point *)a)->ts_ms, y = ((const struct cw_point *)b)->ts_ms;
    return x < y ? -1 : x > y;
}

static double fold(const char *fn, double acc, double x, size_t k)
{
    if (k == 0)
        return x;
    switch (fn[1]) {
    case 'U': return acc + x;              /* SUM */
    case 'V': return acc + x;              /* AVG: divided at the end */
    case 'I': return fmin(acc, x);         /* MIN */
    default: return fmax(acc, x);          /* MAX */
    }
}

/* FUNC over an array of series: one series, per timestamp. */
static void fold_array(const char *fn, struct cw_series *items, size_t n, struct mval *v)
{
    struct cw_series all = {0};
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < items[i].n; k++)
            cw_series_push(&all, items[i].p[k].ts_ms, items[i].p[k].value, items[i].p[k].samples);
    qsort(all.p, all.n, sizeof *all.p, by_time);
    *v = (struct mval){0};
    for (size_t i = 0; i < all.n;) {
        size_t k = 0;
        double acc = 0;
        int64_t ts = all.p[i].ts_ms;
        for (; i < all.n && all.p[i].ts_ms == ts; i++, k++)
            acc = fold(fn, acc, all.p[i].value, k);
        cw_series_push(&v->s, ts, fn[1] == 'V' ? acc / (double)k : acc, 0);
    }
    cw_series_free(&all);
}

/* FUNC( [a, b, ...] | METRICS() | expr ). */
static int math_function(struct mparse *m, const char *fn, struct mval *v)
{
    struct cw_series items[64];
    size_t n = 0;
    int rc = -1;
    skip_space(m);
    if (accept(m, '[')) {
        do {
            struct mval item;
            if (n == 64 || math_expr(m, &item))
                goto done;
            if (item.scalar) {
                cw_series_push(&item.s, m->q->start_ms, item.d, 0);
                item.scalar = false;
            }
            items[n++] = item.s;
        } while (accept(m, ','));
        if (!accept(m, ']') || !accept(m, ')')) {
            math_error(m, "expected ] and )");
            goto done;
        }
        fold_array(fn, items, n, v);
        rc = 0;
        goto done;
    }
    if (strncmp(m->p, "METRICS()", 9) == 0) {
        m->p += 9;
        for (size_t i = 0; i < json_array_size(m->q->queries) && n < 64; i++) {
            if (!json_object_get(json_array_get(m->q->queries, i), "MetricStat"))
                continue;
            if (mq_run_one(m->q, i))
                goto done;
            series_copy(&items[n++], &m->q->out[i]);
        }
        if (!accept(m, ')')) {
            math_error(m, "expected )");
            goto done;
        }
        fold_array(fn, items, n, v);
        rc = 0;
        goto done;
    }
    struct mval arg;
    if (math_expr(m, &arg))
        goto done;
    if (!accept(m, ')')) {
        if (!arg.scalar)
            cw_series_free(&arg.s);
        math_error(m, "expected )");
        goto done;
    }
    *v = (struct mval){.scalar = true, .d = arg.d};
    if (!arg.scalar) {
        double acc = NAN;
        for (size_t k = 0; k < arg.s.n; k++)
            acc = fold(fn, acc, arg.s.p[k].value, k);
        v->d = fn[1] == 'V' && arg.s.n ? acc / (double)arg.s.n : acc;
        cw_series_free(&arg.s);
    }
    rc = 0;
done:
    for (size_t i = 0; i < n; i++)
        cw_series_free(&items[i]);
    return rc;
}

static int math_primary(struct mparse *m, struct mval *v)
{
    skip_space(m);
    *v = (struct mval){.scalar = true};
    if (accept(m, '(')) {
        if (math_expr(m, v))
            return -1;
        if (accept(m, ')'))
            return 0;
        if (!v->scalar)
            cw_series_free(&v->s);
        return math_error(m, "expected )");
    }
    if (accept(m, '-')) {
        if (math_primary(m, v))
            return -1;
        struct mval minus = {.scalar = true, .d = -1};
        combine(v, &minus, '*');
        return 0;
    }
    if (isdigit((unsigned char)*m->p) || *m->p == '.') {
        char *end;
        v->d = strtod(m->p, &end);
        m->p = end;
        return 0;
    }
    const char *start = m->p;
    while (isalnum((unsigned char)*m->p) || *m->p == '_')
        m->p++;
    size_t len = (size_t)(m->p - start);
    if (len == 0)
        return math_error(m, "syntax error");
    skip_space(m);
    if (*m->p == '(') {
        static const char *const fns[] = {"SUM", "AVG", "MIN", "MAX"};
        m->p++;
        for (size_t i = 0; i < sizeof fns / sizeof *fns; i++)
            if (len == 3 && strncmp(start, fns[i], 3) == 0)
                return math_function(m, fns[i], v);
        char what[320];
        snprintf(what, sizeof what, "unsupported function %.*s (drydock supports SUM, AVG, MIN and MAX)", (int)len,
                 start);
        return math_error(m, what);
    }
    long i = query_index(m->q, start, len);
    if (i < 0) {
        char what[320];
        snprintf(what, sizeof what, "unknown metric id %.*s", (int)len, start);
        return math_error(m, what);
    }
    if (mq_run_one(m->q, (size_t)i))
        return -1;
    v->scalar = false;
    series_copy(&v->s, &m->q->out[i]);
    return 0;
}

static int math_term(struct mparse *m, struct mval *v)
{
    if (math_primary(m, v))
        return -1;
    for (;;) {
        skip_space(m);
        char op = *m->p;
        if (op != '*' && op != '/')
            return 0;
        m->p++;
        struct mval rhs;
        if (math_primary(m, &rhs)) {
            if (!v->scalar)
                cw_series_free(&v->s);
            return -1;
        }
        combine(v, &rhs, op);
    }
}

static int math_expr(struct mparse *m, struct mval *v)
{
    if (math_term(m, v))
        return -1;
    for (;;) {
        skip_space(m);
        char op = *m->p;
        if (op != '+' && op != '-')
            return 0;
        m->p++;
        struct mval rhs;
        if (math_term(m, &rhs)) {
            if (!v->scalar)
                cw_series_free(&v->s);
            return -1;
        }
        combine(v, &rhs, op);
    }
}

/* Query i's MetricStat as a metric reference (borrowing from the query). */
static struct cw_metric_ref metric_ref(json_t *query)
{
    json_t *ms = json_object_get(query, "MetricStat"), *metric = json_object_get(ms, "Metric");
    return (struct cw_metric_ref){
        .ns = dd_in_str(metric, "Namespace"),
        .name = dd_in_str(metric, "MetricName"),
        .dims = json_object_get(metric, "Dimensions"),
        .unit = dd_in_str(ms, "Unit"),
        .stat = dd_in_str(ms, "Stat"),
        .period_s = dd_in_int(ms, "Period", 60),
    };
}

/* The union of the MetricStat results' timestamps: where a scalar result is shown. */
static void scalar_series(struct mq *q, double d, struct cw_series *out)
{
    struct cw_series all = {0};
    for (size_t i = 0; i < json_array_size(q->queries); i++)
        if (json_object_get(json_array_get(q->queries, i), "MetricStat") && q->state[i] == 2)
            for (size_t k = 0; k < q->out[i].n; k++)
                cw_series_push(&all, q->out[i].p[k].ts_ms, d, 0);
    qsort(all.p, all.n, sizeof *all.p, by_time);
    for (size_t k = 0; k < all.n; k++)
        if (k == 0 || all.p[k].ts_ms != all.p[k - 1].ts_ms)
            cw_series_push(out, all.p[k].ts_ms, d, 0);
    cw_series_free(&all);
}

static int mq_run_one(struct mq *q, size_t i)
{
    json_t *query = json_array_get(q->queries, i);
    if (q->state[i] == 2)
        return 0;
    if (q->state[i] == 1)
        return dd_reject(q->r, 400, "InvalidParameterValue", "Error in expression %s: circular reference",
                         dd_in_str(query, "Id"));
    q->state[i] = 1;
    const char *expr = dd_in_str(query, "Expression");
    int rc = 0;
    if (!expr) {
        struct cw_metric_ref ref = metric_ref(query);
        if (!q->dry)
            rc = cw_metric_series(q->r, &ref, q->start_ms, q->end_ms, 0, &q->out[i]);
    } else {
        struct mparse m = {.q = q, .expr = expr, .p = expr, .index = i};
        struct mval v;
        rc = math_expr(&m, &v);
        skip_space(&m);
        if (rc == 0 && *m.p) {
            if (!v.scalar)
                cw_series_free(&v.s);
            rc = math_error(&m, "syntax error");
        } else if (rc == 0 && v.scalar) {
            scalar_series(q, v.d, &q->out[i]);
        } else if (rc == 0) {
            q->out[i] = v.s;
        }
    }
    q->state[i] = 2;
    return rc;
}

static bool id_ok(const char *id)
{
    if (!islower((unsigned char)id[0]))
        return false;
    for (const char *p = id; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return false;
    return true;
}

/* The shape rules of each query (before any runs). */
static int queries_shape_check(struct dd_request *r, json_t *queries, const char *member)
{
    size_t i;
    json_t *q;
    json_array_foreach(queries, i, q)
    {
        const char *id = dd_in_str(q, "Id");
        json_t *ms = json_object_get(q, "MetricStat");
        if (!id_ok(id))
            return dd_reject(r, 400, "InvalidParameterValue",
                             "The value %s for parameter %s.member.%zu.Id is invalid. An id must start with a "
                             "lowercase letter and contain only letters, numbers and underscores.",
                             id, member, i + 1);
        if (query_index(&(struct mq){.queries = queries}, id, strlen(id)) != (long)i)
            return dd_reject(r, 400, "InvalidParameterValue", "The value %s for parameter %s.member.%zu.Id is not unique.",
                             id, member, i + 1);
        if (!ms && !json_object_get(q, "Expression"))
            return dd_reject(r, 400, "ValidationError", "The parameter %s.member.%zu.MetricStat is required.\n", member,
                             i + 1);
        if (ms && json_object_get(q, "Expression"))
            return dd_reject(r, 400, "InvalidParameterCombination",
                             "The parameters %s.member.%zu.MetricStat and %s.member.%zu.Expression are mutually "
                             "exclusive and you have specified both.",
                             member, i + 1, member, i + 1);
        if (!ms)
            continue;
        json_t *metric = json_object_get(ms, "Metric");
        const char *missing = !dd_in_str(metric, "Namespace") ? "Namespace"
                              : !dd_in_str(metric, "MetricName") ? "MetricName"
                                                                 : NULL;
        if (missing)
            return dd_reject(r, 400, "MissingParameter", "The parameter %s.member.%zu.MetricStat.Metric.%s is required.",
                             member, i + 1, missing);
        double pct;
        if (!cw_stat_valid(dd_in_str(ms, "Stat"), &pct))
            return dd_reject(r, 400, "InvalidParameterValue",
                             "The value %s for parameter %s.member.%zu.MetricStat.Stat is not supported.",
                             dd_in_str(ms, "Stat"), member, i + 1);
        char param[128];
        snprintf(param, sizeof param, "%s.member.%zu.MetricStat.Period", member, i + 1);
        if (cw_period_check(r, param, dd_in_int(ms, "Period", 60)))
            return -1;
    }
    return 0;
}

static int queries_eval(struct dd_request *r, json_t *queries, const char *member, int64_t start_ms, int64_t end_ms,
                        bool dry, struct cw_series **out)
{
    size_t n = json_array_size(queries);
    if (queries_shape_check(r, queries, member))
        return -1;
    struct mq q = {r, queries, member, start_ms, end_ms, dry, calloc(n + 1, sizeof(struct cw_series)),
                   calloc(n + 1, 1)};
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = mq_run_one(&q, i);
    free(q.state);
    if (rc || dry) {
        for (size_t i = 0; i < n; i++)
            cw_series_free(&q.out[i]);
        free(q.out);
        return rc;
    }
    *out = q.out;
    return 0;
}

int cw_queries_run(struct dd_request *r, json_t *queries, const char *member, int64_t start_ms, int64_t end_ms,
                   struct cw_series **out)
{
    return queries_eval(r, queries, member, start_ms, end_ms, false, out);
}

int cw_queries_check(struct dd_request *r, json_t *queries, const char *member)
{
    return queries_eval(r, queries, member, 0, 0, true, NULL);
}

/* ---- GetMetricData ----------------------------------------------------------------------------- */

static bool returned(json_t *query)
{
    json_t *rd = json_object_get(query, "ReturnData");
    return !rd || json_is_true(rd);
}

static json_t *get_metric_data(struct dd_request *r, json_t *in)
{
    json_t *queries = json_object_get(in, "MetricDataQueries");
    int64_t start = cw_in_time(in, "StartTime"), end = cw_in_time(in, "EndTime");
    json_int_t max = dd_in_int(in, "MaxDatapoints", MAX_DATA_POINTS);
    const char *token = dd_in_str(in, "NextToken"), *scan = dd_in_str(in, "ScanBy");
    bool descending = !scan || strcmp(scan, "TimestampDescending") == 0;
    if (time_range_check(r, start, end))
        return NULL;
    if (max < 1)
        max = MAX_DATA_POINTS;
    if (token && (!*token || strspn(token, "0123456789") != strlen(token)))
        return dd_fail(r, 400, "InvalidNextToken", "The service couldn't process the NextToken.");
    if (json_array_size(queries) > 500)
        return dd_fail(r, 400, "InvalidParameterValue",
                       "The collection MetricDataQueries must not have a size greater than 500.");
    struct cw_series *series;
    if (cw_queries_run(r, queries, "MetricDataQueries", start, end, &series))
        return NULL;

    size_t skip = token ? strtoul(token, NULL, 10) : 0, left = (size_t)max, total = 0;
    json_t *results = json_array(), *q;
    size_t i;
    json_array_foreach(queries, i, q)
    {
        if (!returned(q))
            continue;
        const struct cw_series *s = &series[i];
        json_t *ts = json_array(), *vals = json_array();
        /* this query's points before the page, and those on it */
        size_t before = skip > total ? (skip - total < s->n ? skip - total : s->n) : 0, taken = 0;
        for (size_t k = before; k < s->n && left > 0; k++, left--, taken++) {
            const struct cw_point *p = &s->p[descending ? s->n - 1 - k : k];
            json_array_append_new(ts, dd_time(p->ts_ms));
            json_array_append_new(vals, json_real(p->value));
        }
        total += s->n;
        bool partial = before + taken < s->n;
        const char *label = dd_in_str(q, "Label");
        if (!label)
            label = json_object_get(q, "MetricStat")
                        ? dd_in_str(json_object_get(json_object_get(q, "MetricStat"), "Metric"), "MetricName")
                        : dd_in_str(q, "Id");
        json_array_append_new(results, json_pack("{s:s, s:s, s:o, s:o, s:s, s:[]}", "Id", dd_in_str(q, "Id"), "Label",
                                                 label, "Timestamps", ts, "Values", vals, "StatusCode",
                                                 partial ? "PartialData" : "Complete", "Messages"));
    }
    for (i = 0; i < json_array_size(queries); i++)
        cw_series_free(&series[i]);
    free(series);
    json_t *out = json_pack("{s:o, s:[]}", "MetricDataResults", results, "Messages");
    if (total > skip + (size_t)max)
        json_object_set_new(out, "NextToken", json_sprintf("%zu", skip + (size_t)max));
    return out;
}

/* ---- ListMetrics ------------------------------------------------------------------------------- */

/* Whether stored dimensions `dims` match every filter {Name[, Value]}. */
static bool dims_match(json_t *dims, json_t *filters)
{
    size_t i, k;
    json_t *f, *d;
    json_array_foreach(filters, i, f)
    {
        bool found = false;
        json_array_foreach(dims, k, d)
        {
            if (strcmp(dd_in_str(d, "Name"), dd_in_str(f, "Name")) == 0 &&
                (!dd_in_str(f, "Value") || strcmp(dd_in_str(d, "Value"), dd_in_str(f, "Value")) == 0))
                found = true;
        }
        if (!found)
            return false;
    }
    return true;
}

static json_t *list_metrics(struct dd_request *r, json_t *in)
{
    const char *token = dd_in_str(in, "NextToken");
    json_t *filters = json_object_get(in, "Dimensions");
    if (token && (!*token || strspn(token, "0123456789") != strlen(token)))
        return dd_fail(r, 400, "InvalidParameterValue", "Request parameter NextToken is invalid");
    size_t skip = token ? strtoul(token, NULL, 10) : 0, seen = 0;
    sqlite3_stmt *st = dd_stmt(r, SQL_METRICS);
    store_bind_text(st, 3, dd_in_str(in, "Namespace"));
    store_bind_text(st, 4, dd_in_str(in, "MetricName"));
    /* metrics without data for two weeks are no longer listed */
    sqlite3_bind_int64(st, 5, r->now_ms - (dd_in_str(in, "RecentlyActive") ? RECENT_MS : PAST_LIMIT_MS));
    json_t *metrics = json_array();
    bool more = false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *dims = json_loads(store_col_text(st, 2), 0, NULL);
        if (!dims_match(dims, filters)) {
            json_decref(dims);
            continue;
        }
        if (seen++ < skip) {
            json_decref(dims);
            continue;
        }
        if (json_array_size(metrics) == LIST_PAGE) {
            more = true;
            json_decref(dims);
            break;
        }
        json_array_append_new(metrics, json_pack("{s:s, s:s, s:o}", "Namespace", store_col_text(st, 0), "MetricName",
                                                 store_col_text(st, 1), "Dimensions", dims));
    }
    sqlite3_reset(st);
    json_t *out = json_pack("{s:o}", "Metrics", metrics);
    if (more)
        json_object_set_new(out, "NextToken", json_sprintf("%zu", skip + LIST_PAGE));
    return out;
}

/* ---- dashboards ---------------------------------------------------------------------------------- */

static char *dashboard_arn(struct dd_request *r, const char *name)
{
    struct dd_request global = *r;
    global.region = ""; /* dashboards are global: arn:aws:cloudwatch::ACCOUNT:dashboard/NAME */
    return dd_arn(&global, "cloudwatch", "dashboard/%s", name);
}

static bool dashboard_name_ok(const char *s)
{
    if (!*s || strlen(s) > 255)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
            return false;
    return true;
}

static json_t *put_dashboard(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "DashboardName"), *body = dd_in_str(in, "DashboardBody");
    if (!dashboard_name_ok(name))
        return dd_fail(r, 400, "InvalidParameterValue",
                       "The value for field DashboardName contains invalid characters. It can only contain "
                       "alphanumerics, dash (-) and underscore (_).");
    json_t *doc = json_loads(body, 0, NULL);
    bool ok = json_is_object(doc), widgets = json_is_array(json_object_get(doc, "widgets"));
    json_decref(doc);
    if (!ok)
        return dd_fail(r, 400, "InvalidParameterInput", "The field DashboardBody must be a valid JSON object");
    if (!widgets)
        return dd_fail(r, 400, "InvalidParameterInput",
                       "The dashboard body is invalid, there are 1 validation errors: [ { \"dataPath\": \"\", "
                       "\"message\": \"Should have required property 'widgets'\" } ]");
    sqlite3_stmt *st = dd_stmt(r, SQL_PUT_DASHBOARD);
    store_bind_text(st, 3, name);
    store_bind_text(st, 4, body);
    sqlite3_bind_int64(st, 5, r->now_ms);
    return dd_exec(r, st) ? NULL : json_pack("{s:[]}", "DashboardValidationMessages");
}

static json_t *get_dashboard(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "DashboardName");
    sqlite3_stmt *st = dd_stmt(r, SQL_DASHBOARD);
    store_bind_text(st, 3, name);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return dd_fail(r, 404, "ResourceNotFound", "Dashboard %s does not exist", name);
    }
    char *arn = dashboard_arn(r, name);
    json_t *out = json_pack("{s:s, s:s, s:s}", "DashboardArn", arn, "DashboardBody", store_col_text(st, 0),
                            "DashboardName", name);
    sqlite3_reset(st);
    free(arn);
    return out;
}

static json_t *list_dashboards(struct dd_request *r, json_t *in)
{
    const char *prefix = dd_in_str(in, "DashboardNamePrefix"), *token = dd_in_str(in, "NextToken");
    if (token && (!*token || strspn(token, "0123456789") != strlen(token)))
        return dd_fail(r, 400, "InvalidParameterValue", "Request parameter NextToken is invalid");
    size_t skip = token ? strtoul(token, NULL, 10) : 0, seen = 0;
    json_t *entries = json_array();
    bool more = false;
    sqlite3_stmt *st = dd_stmt(r, SQL_DASHBOARDS);
    store_bind_text(st, 3, prefix ? prefix : "");
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (seen++ < skip)
            continue;
        if (json_array_size(entries) == DASHBOARD_PAGE) {
            more = true;
            break;
        }
        char *arn = dashboard_arn(r, store_col_text(st, 0));
        json_array_append_new(entries, json_pack("{s:s, s:s, s:o, s:I}", "DashboardName", store_col_text(st, 0),
                                                 "DashboardArn", arn, "LastModified",
                                                 dd_time(sqlite3_column_int64(st, 1)), "Size",
                                                 (json_int_t)sqlite3_column_int64(st, 2)));
        free(arn);
    }
    sqlite3_reset(st);
    json_t *out = json_pack("{s:o}", "DashboardEntries", entries);
    if (more)
        json_object_set_new(out, "NextToken", json_sprintf("%zu", skip + DASHBOARD_PAGE));
    return out;
}

static json_t *delete_dashboards(struct dd_request *r, json_t *in)
{
    json_t *names = json_object_get(in, "DashboardNames"), *n;
    size_t i;
    struct dd_buf missing = {0};
    if (json_array_size(names) == 0)
        return dd_fail(r, 400, "InvalidParameterValue", "Need at least 1 dashboard");
    json_array_foreach(names, i, n)
    {
        sqlite3_stmt *st = dd_stmt(r, SQL_DASHBOARD);
        store_bind_text(st, 3, json_string_value(n));
        bool found = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_reset(st);
        if (!found)
            buf_printf(&missing, "%s%s", missing.len ? ", " : "", json_string_value(n));
    }
    if (missing.len) {
        dd_fail(r, 404, "ResourceNotFound", "The specified dashboard does not exist. [%s]", missing.data);
        buf_free(&missing);
        return NULL;
    }
    json_array_foreach(names, i, n)
    {
        sqlite3_stmt *st = dd_stmt(r, SQL_DELETE_DASHBOARD);
        store_bind_text(st, 3, json_string_value(n));
        if (dd_exec(r, st))
            return NULL;
    }
    return json_object();
}

/* ---- the service ------------------------------------------------------------------------------- */

#define CW_ROW(op, fn, flags) {#op, fn, flags},
static const struct dd_handler handlers[] = {
    {"PutMetricData", put_metric_data, 0},
    {"GetMetricStatistics", get_metric_statistics, DD_OP_READ},
    {"GetMetricData", get_metric_data, DD_OP_READ},
    {"ListMetrics", list_metrics, DD_OP_READ},
    {"PutDashboard", put_dashboard, 0},
    {"GetDashboard", get_dashboard, DD_OP_READ},
    {"ListDashboards", list_dashboards, DD_OP_READ},
    {"DeleteDashboards", delete_dashboards, 0},
    CW_ALARM_HANDLERS(CW_ROW)};
#undef CW_ROW

static const struct sim_kind events[] = {
    {CW_EVAL_EVENT, cw_alarm_evaluate},
};

const struct dd_service dd_service_cloudwatch = {
    .model_id = "cloudwatch",
    .handlers = handlers,
    .handler_count = sizeof handlers / sizeof *handlers,
    /* CloudWatch answers model validation failures with ValidationError
     * ("1 validation error detected: ..."); its own checks use
     * InvalidParameterValue, MissingParameter and InvalidParameterCombination. */
    .validation_code = "ValidationError",
    .schema = schema,
    .events = events,
    .event_count = sizeof events / sizeof *events,
};
