/*
 * cloudwatch_alarm.c - CloudWatch metric and composite alarms: their API,
 * their evaluation on the simulation clock, their actions and history.
 *
 * Each metric alarm is evaluated every minute at a whole minute + 30 s
 * (cloudwatch.h's timing contract) by an event that reschedules itself; a
 * deleted alarm's pending event is dropped. An evaluation looks at the
 * EvaluationPeriods whole periods that ended at or before it, counts the
 * breaching ones (missing ones per TreatMissingData) against
 * DatapointsToAlarm, and on a state change writes the state reason AWS
 * writes, a StateUpdate history item, and runs the new state's actions.
 * Auto Scaling policy actions also run again at every evaluation while the
 * alarm stays in that state, as AWS does. Composite alarms are evaluated
 * when created (at the next evaluation minute) and whenever one of their
 * children changes state.
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
#include "appautoscaling.h"
#include "autoscaling.h"
#include "cloudwatch_internal.h"

#define MAX_TAGS 50
#define DEFAULT_MAX_RECORDS 50
#define HISTORY_MAX_RECORDS 100
#define DAY_S 86400
#define COMPOSITE_DEPTH 8

static const char METRIC_ALARM[] = "MetricAlarm";
static const char COMPOSITE_ALARM[] = "CompositeAlarm";

static const char SQL_ALARM[] = "SELECT type, doc FROM cw_alarm WHERE account=?1 AND region=?2 AND name=?3";
static const char SQL_ALARM_BY_ARN[] = "SELECT name FROM cw_alarm WHERE account=?1 AND region=?2 AND arn=?3";
static const char SQL_ALARMS[] = "SELECT type, doc FROM cw_alarm WHERE account=?1 AND region=?2 ORDER BY name";
static const char SQL_COMPOSITES[] =
    "SELECT name FROM cw_alarm WHERE account=?1 AND region=?2 AND type='CompositeAlarm' ORDER BY name";
static const char SQL_SAVE_ALARM[] =
    "INSERT INTO cw_alarm (account, region, name, arn, type, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    " ON CONFLICT (account, region, name) DO UPDATE SET arn=excluded.arn, type=excluded.type, doc=excluded.doc";
static const char SQL_DELETE_ALARM[] = "DELETE FROM cw_alarm WHERE account=?1 AND region=?2 AND name=?3";
static const char SQL_INSERT_HISTORY[] =
    "INSERT INTO cw_history (account, region, alarm, type, item, ts, summary, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_HISTORY[] =
    "SELECT alarm, type, item, ts, summary, data FROM cw_history WHERE account=?1 AND region=?2"
    " AND (?3 IS NULL OR alarm=?3) AND (?4 IS NULL OR item=?4) AND ts >= ?5 AND ts <= ?6"
    " ORDER BY CASE WHEN ?7 THEN -ts ELSE ts END, CASE WHEN ?7 THEN -id ELSE id END";
static const char SQL_TAGS[] =
    "SELECT key, value FROM cw_tag WHERE account=?1 AND region=?2 AND arn=?3 ORDER BY seq";
static const char SQL_TAG_COUNT[] = "SELECT COUNT(*) FROM cw_tag WHERE account=?1 AND region=?2 AND arn=?3"
                                    " AND key NOT IN (SELECT json_extract(value, '$.Key') FROM json_each(?4))";
static const char SQL_SET_TAG[] =
    "INSERT INTO cw_tag (account, region, arn, key, value, seq) VALUES (?1, ?2, ?3, ?4, ?5,"
    " (SELECT coalesce(max(seq), 0) + 1 FROM cw_tag WHERE account=?1 AND region=?2 AND arn=?3))"
    " ON CONFLICT (account, region, arn, key) DO UPDATE SET value=excluded.value";
static const char SQL_UNSET_TAG[] = "DELETE FROM cw_tag WHERE account=?1 AND region=?2 AND arn=?3 AND key=?4";
static const char SQL_DELETE_TAGS[] = "DELETE FROM cw_tag WHERE account=?1 AND region=?2 AND arn=?3";

/* PutMetricAlarm's members that make up the alarm's configuration, as given. */
static const char *const METRIC_CONFIG[] = {
    "AlarmDescription", "OKActions", "AlarmActions", "InsufficientDataActions", "MetricName", "Namespace",
    "Statistic", "ExtendedStatistic", "Dimensions", "Period", "Unit", "EvaluationPeriods", "DatapointsToAlarm",
    "Threshold", "ComparisonOperator", "TreatMissingData", "EvaluateLowSampleCountPercentile", "Metrics",
    "ThresholdMetricId", "ActionsEnabled", NULL};
static const char *const COMPOSITE_CONFIG[] = {"AlarmDescription", "OKActions", "AlarmActions",
                                               "InsufficientDataActions", "AlarmRule", "ActionsEnabled",
                                               "ActionsSuppressor", "ActionsSuppressorWaitPeriod",
                                               "ActionsSuppressorExtensionPeriod", NULL};

/* ---- storage ---------------------------------------------------------------------------------- */

static sqlite3_stmt *named(struct dd_request *r, const char *sql, const char *name)
{
    sqlite3_stmt *st = dd_stmt(r, sql);
    store_bind_text(st, 3, name);
    return st;
}

/* The alarm's document (new reference) and type (static string), or NULL. */
static json_t *alarm_load(struct dd_request *r, const char *name, const char **type)
{
    sqlite3_stmt *st = named(r, SQL_ALARM, name);
    json_t *doc = NULL;
    if (sqlite3_step(st) == SQLITE_ROW) {
        if (type)
            *type = strcmp(store_col_text(st, 0), COMPOSITE_ALARM) == 0 ? COMPOSITE_ALARM : METRIC_ALARM;
        doc = json_loads(store_col_text(st, 1), 0, NULL);
    }
    sqlite3_reset(st);
    return doc;
}

static int alarm_save(struct dd_request *r, json_t *doc, const char *type)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    sqlite3_stmt *st = named(r, SQL_SAVE_ALARM, dd_in_str(doc, "AlarmName"));
    store_bind_text(st, 4, dd_in_str(doc, "AlarmArn"));
    store_bind_text(st, 5, type);
    store_bind_text(st, 6, text);
    free(text);
    return dd_exec(r, st);
}

static bool is_composite(json_t *doc)
{
    return json_object_get(doc, "AlarmRule") != NULL;
}

static const char *alarm_type(json_t *doc)
{
    return is_composite(doc) ? COMPOSITE_ALARM : METRIC_ALARM;
}

/* Adds a history item; `data` is stolen. */
static int history_add(struct dd_request *r, const char *alarm, const char *type, const char *item, json_t *data,
                       const char *summary_fmt, ...) __attribute__((format(printf, 6, 7)));
static int history_add(struct dd_request *r, const char *alarm, const char *type, const char *item, json_t *data,
                       const char *summary_fmt, ...)
{
    struct dd_buf summary = {0};
    va_list ap;
    va_start(ap, summary_fmt);
    buf_vprintf(&summary, summary_fmt, ap);
    va_end(ap);
    char *text = json_dumps(data, JSON_COMPACT);
    sqlite3_stmt *st = named(r, SQL_INSERT_HISTORY, alarm);
    store_bind_text(st, 4, type);
    store_bind_text(st, 5, item);
    sqlite3_bind_int64(st, 6, r->now_ms);
    store_bind_text(st, 7, summary.data);
    store_bind_text(st, 8, text);
    int rc = dd_exec(r, st);
    free(text);
    buf_free(&summary);
    json_decref(data);
    return rc;
}

/* An alarm's configuration as history data writes it: lowerCamel keys, no state. */
static json_t *history_config(json_t *doc)
{
    json_t *out = json_object(), *v;
    const char *k;
    json_object_foreach(doc, k, v)
    {
        if (k[0] == '_' || strncmp(k, "State", 5) == 0)
            continue;
        char key[64];
        snprintf(key, sizeof key, "%s", k);
        key[0] = (char)tolower((unsigned char)key[0]);
        if (strncmp(k, "OKActions", 9) == 0)
            snprintf(key, sizeof key, "okactions");
        json_object_set(out, key, v);
    }
    return out;
}

/* ---- tags ------------------------------------------------------------------------------------- */

static int tags_put(struct dd_request *r, const char *arn, json_t *tags)
{
    char *text = json_dumps(tags, JSON_COMPACT);
    sqlite3_stmt *st = named(r, SQL_TAG_COUNT, arn);
    store_bind_text(st, 4, text ? text : "[]");
    int64_t kept = dd_single_int(st, 0);
    free(text);
    if (kept + (int64_t)json_array_size(tags) > MAX_TAGS)
        return dd_reject(r, 400, "InvalidParameterValue", "The number of tags exceeds the limit of %d.", MAX_TAGS);
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        st = named(r, SQL_SET_TAG, arn);
        store_bind_text(st, 4, dd_in_str(t, "Key"));
        store_bind_text(st, 5, dd_in_str(t, "Value") ? dd_in_str(t, "Value") : "");
        if (dd_exec(r, st))
            return -1;
    }
    return 0;
}

/* The alarm an ARN names: 0 with its name in `name`, or -1 with ResourceNotFoundException. */
static int alarm_by_arn(struct dd_request *r, const char *arn, char name[256])
{
    sqlite3_stmt *st = named(r, SQL_ALARM_BY_ARN, arn);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found)
        snprintf(name, 256, "%s", store_col_text(st, 0));
    sqlite3_reset(st);
    if (found)
        return 0;
    dd_reject(r, 404, "ResourceNotFoundException", "The specified resource %s does not exist.", arn);
    return -1;
}

json_t *cw_tag_resource(struct dd_request *r, json_t *in)
{
    char name[256];
    const char *arn = dd_in_str(in, "ResourceARN");
    if (alarm_by_arn(r, arn, name) || tags_put(r, arn, json_object_get(in, "Tags")))
        return NULL;
    return json_object();
}

json_t *cw_untag_resource(struct dd_request *r, json_t *in)
{
    char name[256];
    const char *arn = dd_in_str(in, "ResourceARN");
    json_t *keys = json_object_get(in, "TagKeys"), *k;
    size_t i;
    if (alarm_by_arn(r, arn, name))
        return NULL;
    json_array_foreach(keys, i, k)
    {
        sqlite3_stmt *st = named(r, SQL_UNSET_TAG, arn);
        store_bind_text(st, 4, json_string_value(k));
        if (dd_exec(r, st))
            return NULL;
    }
    return json_object();
}

json_t *cw_list_tags_for_resource(struct dd_request *r, json_t *in)
{
    char name[256];
    const char *arn = dd_in_str(in, "ResourceARN");
    if (alarm_by_arn(r, arn, name))
        return NULL;
    json_t *tags = json_array();
    sqlite3_stmt *st = named(r, SQL_TAGS, arn);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(tags, json_pack("{s:s, s:s}", "Key", store_col_text(st, 0), "Value", store_col_text(st, 1)));
    sqlite3_reset(st);
    return json_pack("{s:o}", "Tags", tags);
}

/* ---- composite alarm rules -------------------------------------------------------------------- */

/* A rule being read: with `r` set, states are looked up; `names` collects the children. */
struct rule {
    const char *p;
    struct dd_request *r;
    json_t *names;
    bool bad;
};

static void rule_space(struct rule *x)
{
    while (isspace((unsigned char)*x->p))
        x->p++;
}

static bool rule_word(struct rule *x, const char *word)
{
    size_t n = strlen(word);
    rule_space(x);
    if (strncmp(x->p, word, n) != 0 || isalnum((unsigned char)x->p[n]) || x->p[n] == '_')
        return false;
    x->p += n;
    return true;
}

/* The alarm name in a rule's argument: "name", name or an alarm ARN. */
static char *rule_name(struct rule *x)
{
    rule_space(x);
    const char *start = x->p, *end;
    if (*x->p == '"') {
        start = ++x->p;
        end = strchr(start, '"');
        if (!end)
            return NULL;
        x->p = end + 1;
    } else {
        end = strchr(start, ')');
        if (!end)
            return NULL;
        while (end > start && isspace((unsigned char)end[-1]))
            end--;
        x->p = end;
    }
    char *name = strndup(start, (size_t)(end - start));
    char *arn_name = strstr(name, ":alarm:");
    if (strncmp(name, "arn:", 4) == 0 && arn_name)
        memmove(name, arn_name + 7, strlen(arn_name + 7) + 1);
    return name;
}

static bool rule_or(struct rule *x);

static bool rule_primary(struct rule *x)
{
    static const char *const fns[] = {"ALARM", "OK", "INSUFFICIENT_DATA"};
    rule_space(x);
    if (*x->p == '(') {
        x->p++;
        bool v = rule_or(x);
        rule_space(x);
        if (*x->p != ')')
            x->bad = true;
        else
            x->p++;
        return v;
    }
    if (rule_word(x, "NOT"))
        return !rule_primary(x);
    if (rule_word(x, "TRUE"))
        return true;
    if (rule_word(x, "FALSE"))
        return false;
    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) {
        if (!rule_word(x, fns[i]))
            continue;
        rule_space(x);
        char *name = *x->p == '(' ? (x->p++, rule_name(x)) : NULL;
        rule_space(x);
        if (!name || !*name || *x->p != ')') {
            free(name);
            x->bad = true;
            return false;
        }
        x->p++;
        json_array_append_new(x->names, json_string(name));
        bool v = false;
        if (x->r) {
            json_t *child = alarm_load(x->r, name, NULL);
            v = child && strcmp(dd_in_str(child, "StateValue"), fns[i]) == 0;
            json_decref(child);
        }
        free(name);
        return v;
    }
    x->bad = true;
    return false;
}

static bool rule_and(struct rule *x)
{
    bool v = rule_primary(x);
    while (!x->bad && rule_word(x, "AND"))
        v = rule_primary(x) && v;
    return v;
}

static bool rule_or(struct rule *x)
{
    bool v = rule_and(x);
    while (!x->bad && rule_word(x, "OR"))
        v = rule_and(x) || v;
    return v;
}

/* Reads `text`: its value (states looked up when r is set) and children (new
 * reference in *names, may be NULL). -1 on a syntax error. */
static int rule_read(struct dd_request *r, const char *text, bool *value, json_t **names)
{
    struct rule x = {.p = text, .r = r, .names = json_array()};
    bool v = rule_or(&x);
    rule_space(&x);
    if (*x.p)
        x.bad = true;
    if (value)
        *value = v;
    if (names)
        *names = x.names;
    else
        json_decref(x.names);
    return x.bad ? -1 : 0;
}

static bool rule_names(const char *text, const char *name)
{
    json_t *names, *n;
    size_t i;
    bool found = false;
    rule_read(NULL, text, NULL, &names);
    json_array_foreach(names, i, n)
    {
        found = found || strcmp(json_string_value(n), name) == 0;
    }
    json_decref(names);
    return found;
}

/* ---- state changes and actions ---------------------------------------------------------------- */

static const char *actions_member(const char *state)
{
    return strcmp(state, "ALARM") == 0 ? "AlarmActions" : strcmp(state, "OK") == 0 ? "OKActions"
                                                                                  : "InsufficientDataActions";
}

/* Runs one action and records its Action history item. `repeat`: only Auto Scaling actions. */
static int run_action(struct dd_request *r, json_t *doc, const char *arn, double value, bool repeat)
{
    const char *name = dd_in_str(doc, "AlarmName");
    bool aas = aas_is_policy_arn(arn), asg = asg_is_policy_arn(arn);
    if (repeat && !aas && !asg)
        return 0;
    json_t *data = json_pack("{s:I, s:s}", "stateUpdateTimestamp", (json_int_t)r->now_ms, "notificationResource", arn);
    const char *error = NULL;
    char why[sizeof r->err.message] = "";
    if (aas || asg) {
        struct cw_trigger t = {name, dd_in_str(doc, "AlarmArn"), dd_in_str(doc, "StateValue"),
                               json_number_value(json_object_get(doc, "Threshold")), value};
        int rc = aas ? aas_alarm_action(r, arn, &t) : asg_alarm_action(r, arn, &t);
        if (rc < 0) {
            /* the policy's failure is the action's, not the evaluation's */
            snprintf(why, sizeof why, "%s", r->err.message);
            r->err = (struct dd_error){0};
            error = why;
        } else if (rc == 1) {
            error = "The scaling policy does not exist.";
        }
    } else {
        error = "drydock cannot deliver this action offline: only Auto Scaling policy actions are executed.";
    }
    json_object_set_new(data, "actionState", json_string(error ? "Failed" : "Succeeded"));
    json_object_set_new(data, "error", error ? json_string(error) : json_null());
    return history_add(r, name, alarm_type(doc), "Action", data, "%s action %s",
                       error ? "Failed to execute" : "Successfully executed", arn);
}

/* Runs the actions of the alarm's current state (all, or with `repeat` the Auto Scaling ones). */
static int run_actions(struct dd_request *r, json_t *doc, double value, bool repeat)
{
    if (!dd_in_bool(doc, "ActionsEnabled"))
        return 0;
    json_t *list = json_object_get(doc, actions_member(dd_in_str(doc, "StateValue"))), *a;
    size_t i;
    json_array_foreach(list, i, a)
    {
        if (run_action(r, doc, json_string_value(a), value, repeat))
            return -1;
    }
    return 0;
}

static int composites_update(struct dd_request *r, const char *child, int depth);

/* Moves the alarm to `state` with `reason` and `data` (stolen, may be NULL),
 * records the StateUpdate, runs the new state's actions, and re-evaluates
 * the composite alarms that depend on it. */
static int alarm_transition(struct dd_request *r, json_t *doc, const char *state, const char *reason, json_t *data,
                            double value, int depth)
{
    const char *name = dd_in_str(doc, "AlarmName");
    json_t *old = json_pack("{s:s, s:s}", "stateValue", dd_in_str(doc, "StateValue"), "stateReason",
                            dd_in_str(doc, "StateReason"));
    json_t *old_data = dd_in_str(doc, "StateReasonData") ? json_loads(dd_in_str(doc, "StateReasonData"), 0, NULL) : NULL;
    if (old_data)
        json_object_set_new(old, "stateReasonData", old_data);
    json_t *new = json_pack("{s:s, s:s}", "stateValue", state, "stateReason", reason);
    char *old_state = strdup(dd_in_str(doc, "StateValue"));
    json_object_set_new(doc, "StateValue", json_string(state));
    json_object_set_new(doc, "StateReason", json_string(reason));
    if (data) {
        char *text = json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_object_set_new(doc, "StateReasonData", json_string(text));
        json_object_set_new(new, "stateReasonData", data);
        free(text);
    } else {
        json_object_del(doc, "StateReasonData");
    }
    json_object_set_new(doc, "StateUpdatedTimestamp", dd_time(r->now_ms));
    json_object_set_new(doc, "StateTransitionedTimestamp", dd_time(r->now_ms));
    int rc = history_add(r, name, alarm_type(doc), "StateUpdate",
                         json_pack("{s:s, s:o, s:o}", "version", "1.0", "oldState", old, "newState", new),
                         "Alarm updated from %s to %s", old_state, state);
    free(old_state);
    if (rc == 0)
        rc = alarm_save(r, doc, alarm_type(doc));
    if (rc == 0)
        rc = run_actions(r, doc, value, false);
    if (rc == 0)
        rc = composites_update(r, name, depth + 1);
    return rc;
}

/* ---- composite evaluation ------------------------------------------------------------------- */

static int composite_evaluate(struct dd_request *r, json_t *doc, int depth)
{
    bool v;
    json_t *names;
    if (rule_read(r, dd_in_str(doc, "AlarmRule"), &v, &names)) {
        json_decref(names);
        return 0;
    }
    const char *state = v ? "ALARM" : "OK";
    int rc = 0;
    if (strcmp(state, dd_in_str(doc, "StateValue")) != 0) {
        /* the children whose state the rule looked at, as triggeringAlarms */
        json_t *triggering = json_array(), *n;
        size_t i;
        struct dd_buf reason = {0};
        json_array_foreach(names, i, n)
        {
            json_t *child = alarm_load(r, json_string_value(n), NULL);
            if (!child)
                continue;
            char at[32];
            cw_iso((int64_t)llround(json_number_value(json_object_get(child, "StateUpdatedTimestamp")) * 1000), at);
            json_array_append_new(triggering, json_pack("{s:s, s:{s:s, s:s}}", "arn", dd_in_str(child, "AlarmArn"),
                                                        "state", "value", dd_in_str(child, "StateValue"),
                                                        "timestamp", at));
            if (!reason.len)
                buf_printf(&reason, "%s transitioned to %s at %s", dd_in_str(child, "AlarmArn"),
                           dd_in_str(child, "StateValue"), at);
            json_decref(child);
        }
        if (!reason.len)
            buf_puts(&reason, v ? "The alarm rule evaluated to TRUE" : "The alarm rule evaluated to FALSE");
        rc = alarm_transition(r, doc, state, reason.data, json_pack("{s:o}", "triggeringAlarms", triggering), NAN,
                              depth);
        buf_free(&reason);
    }
    json_decref(names);
    return rc;
}

/* Re-evaluates every composite alarm whose rule names `child`. */
static int composites_update(struct dd_request *r, const char *child, int depth)
{
    if (depth > COMPOSITE_DEPTH)
        return 0;
    json_t *names = json_array(), *n;
    sqlite3_stmt *st = dd_stmt(r, SQL_COMPOSITES);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(names, json_string(store_col_text(st, 0)));
    sqlite3_reset(st);
    size_t i;
    int rc = 0;
    json_array_foreach(names, i, n)
    {
        json_t *doc = alarm_load(r, json_string_value(n), NULL);
        if (doc && rc == 0 && rule_names(dd_in_str(doc, "AlarmRule"), child))
            rc = composite_evaluate(r, doc, depth);
        json_decref(doc);
    }
    json_decref(names);
    return rc;
}

/* ---- metric alarm evaluation ------------------------------------------------------------------ */

/* The delay from now to the next whole minute + 30 s. */
static int64_t to_next_evaluation(const struct dd_request *r)
{
    int64_t t = r->now_ms - 30000;
    int64_t next = (t - ((t % CW_MINUTE_MS) + CW_MINUTE_MS) % CW_MINUTE_MS) + CW_MINUTE_MS + 30000;
    return next - r->now_ms;
}

static int schedule_evaluation(struct dd_request *r, const char *name)
{
    sim_cancel(r, CW_EVAL_EVENT, name);
    return sim_schedule(r, to_next_evaluation(r), CW_EVAL_EVENT, name, NULL);
}

static bool breaches(const char *op, double v, double threshold)
{
    if (strcmp(op, "GreaterThanThreshold") == 0)
        return v > threshold;
    if (strcmp(op, "GreaterThanOrEqualToThreshold") == 0)
        return v >= threshold;
    if (strcmp(op, "LessThanThreshold") == 0)
        return v < threshold;
    return v <= threshold;
}

static const char *op_words(const char *op)
{
    if (strcmp(op, "GreaterThanThreshold") == 0)
        return "greater than";
    if (strcmp(op, "GreaterThanOrEqualToThreshold") == 0)
        return "greater than or equal to";
    if (strcmp(op, "LessThanThreshold") == 0)
        return "less than";
    return "less than or equal to";
}

/* A number as AWS's (Java) messages print it: 90.0, 5.890436746986786. */
static void put_number(struct dd_buf *b, double v)
{
    buf_put_double(b, v, 1);
}

/* The alarm's evaluation period in seconds. */
static int64_t alarm_period(json_t *doc)
{
    json_t *metrics = json_object_get(doc, "Metrics"), *q;
    size_t i;
    int64_t period = 0;
    if (!metrics)
        return dd_in_int(doc, "Period", 60);
    json_array_foreach(metrics, i, q)
    {
        json_t *ms = json_object_get(q, "MetricStat");
        int64_t p = ms ? dd_in_int(ms, "Period", 60) : dd_in_int(q, "Period", 0);
        if (p > 0 && (period == 0 || p < period))
            period = p;
    }
    return period ? period : 60;
}

/* The alarm's metric over [start, end): 0 or -1. */
static int alarm_series(struct dd_request *r, json_t *doc, int64_t period, int64_t start, int64_t end,
                        struct cw_series *out, bool *low_samples)
{
    json_t *metrics = json_object_get(doc, "Metrics");
    *low_samples = false;
    if (!metrics) {
        const char *stat = dd_in_str(doc, "Statistic") ? dd_in_str(doc, "Statistic") : dd_in_str(doc, "ExtendedStatistic");
        struct cw_metric_ref ref = {dd_in_str(doc, "Namespace"), dd_in_str(doc, "MetricName"),
                                    json_object_get(doc, "Dimensions"), dd_in_str(doc, "Unit"), stat, period};
        if (cw_metric_series(r, &ref, start, end, 0, out))
            return -1;
        double pct;
        const char *lscp = dd_in_str(doc, "EvaluateLowSampleCountPercentile");
        if (cw_stat_valid(stat, &pct) && pct >= 0 && lscp && strcmp(lscp, "ignore") == 0) {
            /* AWS's rule for a statistically significant percentile */
            double p = pct / 100.0, need = p >= 0.5 ? 10.0 / fmax(1e-9, 1.0 - p) : 10.0 / fmax(1e-9, p);
            for (size_t i = 0; i < out->n; i++)
                *low_samples = *low_samples || out->p[i].samples < need;
        }
        return 0;
    }
    struct cw_series *all;
    if (cw_queries_run(r, metrics, "Metrics", start, end, &all))
        return -1;
    size_t i, n = json_array_size(metrics);
    json_t *q;
    *out = (struct cw_series){0};
    json_array_foreach(metrics, i, q)
    {
        json_t *rd = json_object_get(q, "ReturnData");
        if ((!rd || json_is_true(rd)) && out->n == 0 && !out->p) {
            *out = all[i];
            all[i] = (struct cw_series){0};
        }
    }
    for (i = 0; i < n; i++)
        cw_series_free(&all[i]);
    free(all);
    return 0;
}

/* What one evaluation found. */
struct verdict {
    int64_t period_s, start_ms;
    size_t n, m, breach, missing;
    struct cw_series s; /* the periods with data, ascending */
    const char *treat;
};

/* "90.0 (23/11/26 22:03:00), ..." for the present datapoints, newest first. */
static void put_datapoints(struct dd_buf *b, const struct cw_series *s)
{
    buf_putc(b, '[');
    for (size_t i = s->n; i-- > 0;) {
        time_t t = (time_t)(s->p[i].ts_ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        char when[32];
        strftime(when, sizeof when, "%d/%m/%y %H:%M:%S", &tm);
        if (i + 1 < s->n)
            buf_puts(b, ", ");
        put_number(b, s->p[i].value);
        buf_printf(b, " (%s)", when);
    }
    buf_putc(b, ']');
}

/* AWS's StateReason for the state an evaluation reached. */
static void reason_text(struct dd_buf *b, json_t *doc, const struct verdict *v, const char *state, const char *old)
{
    const char *op = dd_in_str(doc, "ComparisonOperator");
    double threshold = json_number_value(json_object_get(doc, "Threshold"));
    bool alarm = strcmp(state, "ALARM") == 0;
    if (strcmp(state, "INSUFFICIENT_DATA") == 0) {
        buf_printf(b, "Insufficient Data: %zu datapoint%s %s unknown.", v->n, v->n == 1 ? "" : "s",
                   v->n == 1 ? "was" : "were");
        return;
    }
    if (v->s.n == 0) {
        buf_printf(b, "Threshold Crossed: no datapoints were received for %zu period%s and %zu missing datapoint%s %s "
                      "treated as [%s].",
                   v->n, v->n == 1 ? "" : "s", v->missing, v->missing == 1 ? "" : "s",
                   v->missing == 1 ? "was" : "were", alarm ? "Breaching" : "NonBreaching");
        return;
    }
    size_t good = v->s.n - v->breach;
    size_t count = alarm ? v->breach : good;
    if (v->m == v->n && v->missing == 0 && count == v->n) {
        buf_printf(b, "Threshold Crossed: %zu datapoint%s ", v->n, v->n == 1 ? "" : "s");
        put_datapoints(b, &v->s);
        buf_printf(b, " %s %s%s the threshold (", v->n == 1 ? "was" : "were", alarm ? "" : "not ", op_words(op));
        put_number(b, threshold);
        buf_puts(b, ").");
        return;
    }
    size_t minimum = alarm ? v->m : v->n - v->m + 1;
    buf_printf(b, "Threshold Crossed: %zu out of the last %zu datapoints ", count, v->n);
    put_datapoints(b, &v->s);
    buf_printf(b, " %s %s%s the threshold (", count == 1 ? "was" : "were", alarm ? "" : "not ", op_words(op));
    put_number(b, threshold);
    buf_printf(b, ") (minimum %zu datapoint%s for %s -> %s transition).", minimum, minimum == 1 ? "" : "s", old,
               state);
}

/* AWS's StateReasonData. */
static json_t *reason_data(json_t *doc, const struct verdict *v, int64_t now_ms)
{
    char query[32], start[32];
    cw_iso(now_ms, query);
    cw_iso(v->start_ms, start);
    json_t *d = json_pack("{s:s, s:s, s:s}", "version", "1.0", "queryDate", query, "startDate", start);
    if (dd_in_str(doc, "Statistic"))
        json_object_set_new(d, "statistic", json_string(dd_in_str(doc, "Statistic")));
    if (dd_in_str(doc, "ExtendedStatistic"))
        json_object_set_new(d, "extendedStatistic", json_string(dd_in_str(doc, "ExtendedStatistic")));
    if (dd_in_str(doc, "Unit"))
        json_object_set_new(d, "unit", json_string(dd_in_str(doc, "Unit")));
    json_object_set_new(d, "period", json_integer(v->period_s));
    json_t *recent = json_array(), *evaluated = json_array();
    for (size_t i = 0; i < v->s.n; i++)
        json_array_append_new(recent, json_real(v->s.p[i].value));
    for (size_t i = v->s.n; i-- > 0;) {
        char at[32];
        cw_iso(v->s.p[i].ts_ms, at);
        json_t *e = json_pack("{s:s}", "timestamp", at);
        if (!json_object_get(doc, "Metrics"))
            json_object_set_new(e, "sampleCount", json_real(v->s.p[i].samples));
        json_object_set_new(e, "value", json_real(v->s.p[i].value));
        json_array_append_new(evaluated, e);
    }
    json_object_set_new(d, "recentDatapoints", recent);
    json_object_set_new(d, "threshold", json_real(json_number_value(json_object_get(doc, "Threshold"))));
    json_object_set_new(d, "evaluatedDatapoints", evaluated);
    return d;
}

/* Evaluates a metric alarm now; changes its state and runs its actions. */
static int metric_evaluate(struct dd_request *r, json_t *doc)
{
    struct verdict v = {.period_s = alarm_period(doc)};
    int64_t pms = v.period_s * 1000;
    int64_t end = r->now_ms - r->now_ms % pms;
    v.n = (size_t)dd_in_int(doc, "EvaluationPeriods", 1);
    v.m = (size_t)dd_in_int(doc, "DatapointsToAlarm", (json_int_t)v.n);
    v.start_ms = end - (int64_t)v.n * pms;
    v.treat = dd_in_str(doc, "TreatMissingData") ? dd_in_str(doc, "TreatMissingData") : "missing";
    bool low;
    if (alarm_series(r, doc, v.period_s, v.start_ms, end, &v.s, &low))
        return -1;
    const char *op = dd_in_str(doc, "ComparisonOperator"), *old = dd_in_str(doc, "StateValue");
    double threshold = json_number_value(json_object_get(doc, "Threshold"));
    for (size_t i = 0; i < v.s.n; i++)
        v.breach += breaches(op, v.s.p[i].value, threshold);
    v.missing = v.n - v.s.n;
    double newest = v.s.n ? v.s.p[v.s.n - 1].value : NAN;

    const char *state;
    if (low) {
        state = old; /* a low-sample percentile with "ignore": the state holds */
    } else if (v.s.n == 0) {
        state = strcmp(v.treat, "breaching") == 0      ? "ALARM"
                : strcmp(v.treat, "notBreaching") == 0 ? "OK"
                : strcmp(v.treat, "ignore") == 0       ? old
                                                       : "INSUFFICIENT_DATA";
    } else {
        size_t bad = v.breach + (strcmp(v.treat, "breaching") == 0 ? v.missing : 0);
        state = bad >= v.m ? "ALARM" : "OK";
    }
    int rc;
    if (strcmp(state, old) == 0) {
        rc = run_actions(r, doc, newest, true);
    } else {
        struct dd_buf reason = {0};
        char *old_copy = strdup(old);
        reason_text(&reason, doc, &v, state, old_copy);
        json_t *data = strcmp(state, "INSUFFICIENT_DATA") == 0 && v.s.n == 0 ? NULL : reason_data(doc, &v, r->now_ms);
        rc = alarm_transition(r, doc, state, reason.data, data, newest, 0);
        free(old_copy);
        buf_free(&reason);
    }
    cw_series_free(&v.s);
    return rc;
}

int cw_alarm_evaluate(struct dd_request *r, const char *name, json_t *payload)
{
    (void)payload;
    const char *type;
    json_t *doc = alarm_load(r, name, &type);
    if (!doc)
        return 0; /* deleted: its evaluations stop */
    int rc;
    if (type == COMPOSITE_ALARM) {
        rc = composite_evaluate(r, doc, 0);
    } else {
        rc = metric_evaluate(r, doc);
        if (rc == 0)
            rc = schedule_evaluation(r, name);
    }
    json_decref(doc);
    return rc;
}

/* ---- target tracking alarms (cloudwatch.h) ------------------------------------------------------- */

int cw_tracking_alarm_put(struct dd_request *r, const char *policy_arn, const char *resource, json_t *metric,
                          bool high, double threshold, json_t *alarms)
{
    char uuid[37], name[2048], arn[512];
    dd_uuid(uuid);
    snprintf(name, sizeof name, "TargetTracking-%s-%s-%s", resource, high ? "AlarmHigh" : "AlarmLow", uuid);
    int periods = high ? 3 : 15;
    json_t *in = json_deep_copy(metric);
    json_t *extra =
        json_pack("{s:s, s:s++, s:b, s:[s], s:i, s:i, s:i, s:f, s:s}", "AlarmName", name, "AlarmDescription",
                  "DO NOT EDIT OR DELETE. For TargetTrackingScaling policy ", policy_arn, ".", "ActionsEnabled", 1,
                  "AlarmActions", policy_arn, "Period", 60, "EvaluationPeriods", periods, "DatapointsToAlarm", periods,
                  "Threshold", threshold, "ComparisonOperator", high ? "GreaterThanThreshold" : "LessThanThreshold");
    json_object_update(in, extra);
    json_decref(extra);
    int rc = cw_alarm_put(r, in, arn);
    json_decref(in);
    if (rc)
        return -1;
    json_array_append_new(alarms, json_pack("{s:s, s:s}", "AlarmName", name, "AlarmARN", arn));
    return 0;
}

void cw_alarms_delete(struct dd_request *r, json_t *alarms)
{
    size_t i;
    json_t *a;
    json_array_foreach(alarms, i, a) cw_alarm_delete(r, dd_in_str(a, "AlarmName"));
}

/* ---- PutMetricAlarm ---------------------------------------------------------------------------- */

static int invalid(struct dd_request *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int invalid(struct dd_request *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dd_verr(&r->err, 400, "ValidationError", fmt, ap);
    va_end(ap);
    return -1;
}

static int actions_check(struct dd_request *r, json_t *in)
{
    static const char *const lists[] = {"OKActions", "AlarmActions", "InsufficientDataActions"};
    for (size_t k = 0; k < 3; k++) {
        json_t *a;
        size_t i;
        json_array_foreach(json_object_get(in, lists[k]), i, a)
        {
            if (strncmp(json_string_value(a), "arn:", 4) != 0)
                return invalid(r, "Invalid arn syntax: %s", json_string_value(a));
        }
    }
    return 0;
}

static int metric_alarm_check(struct dd_request *r, json_t *in)
{
    static const char *const not_with_metrics[] = {"MetricName", "Namespace", "Dimensions", "Period",
                                                   "Statistic",  "ExtendedStatistic", "Unit"};
    json_t *metrics = json_object_get(in, "Metrics");
    const char *op = dd_in_str(in, "ComparisonOperator");
    int64_t periods = dd_in_int(in, "EvaluationPeriods", 1), period = 60;
    double pct;
    if (metrics) {
        for (size_t i = 0; i < sizeof not_with_metrics / sizeof *not_with_metrics; i++)
            if (json_object_get(in, not_with_metrics[i]))
                return invalid(r, "%s should not be set if list of Metrics is set.", not_with_metrics[i]);
        if (cw_queries_check(r, metrics, "Metrics"))
            return -1;
        size_t returning = 0, i;
        json_t *q;
        json_array_foreach(metrics, i, q)
        {
            json_t *rd = json_object_get(q, "ReturnData");
            returning += !rd || json_is_true(rd);
        }
        if (returning != 1)
            return invalid(r, "Exactly one element of the metrics list should return data.");
        period = alarm_period(in);
    } else {
        const char *missing = !json_object_get(in, "MetricName") ? "MetricName"
                              : !json_object_get(in, "Namespace") ? "Namespace"
                              : !json_object_get(in, "Period")    ? "Period"
                                                                  : NULL;
        if (missing)
            return invalid(r, "%s must not be null", missing);
        if (!!json_object_get(in, "Statistic") == !!json_object_get(in, "ExtendedStatistic"))
            return invalid(r, "Exactly one element of the statistic and extendedStatistic parameters must be "
                              "specified.");
        const char *ext = dd_in_str(in, "ExtendedStatistic");
        if (ext && (!cw_stat_valid(ext, &pct) || pct < 0))
            return dd_reject(r, 400, "InvalidParameterValue",
                             "The value %s for parameter ExtendedStatistic is not supported.", ext);
        period = dd_in_int(in, "Period", 60);
    }
    if (period != 10 && period != 30 && period % 60 != 0)
        return invalid(r, "Period must be 10, 30 or a multiple of 60");
    if (periods * period > (period >= 3600 ? 7 * DAY_S : DAY_S))
        return invalid(r, "The evaluation period (EvaluationPeriods * Period) must not exceed %d seconds.",
                       period >= 3600 ? 7 * DAY_S : DAY_S);
    if (dd_in_int(in, "DatapointsToAlarm", periods) > periods)
        return invalid(r, "DatapointsToAlarm must be less than or equal to EvaluationPeriods");
    if (json_object_get(in, "ThresholdMetricId") && json_object_get(in, "Threshold"))
        return invalid(r, "Threshold and ThresholdMetricId cannot both be set");
    if (json_object_get(in, "ThresholdMetricId"))
        return invalid(r, "ThresholdMetricId is not supported: drydock does not emulate anomaly detection models.");
    if (strstr(op, "Lower") || strstr(op, "Upper"))
        return invalid(r, "Comparison operator %s requires ThresholdMetricId (an anomaly detection band).", op);
    if (!json_object_get(in, "Threshold"))
        return invalid(r, "Threshold must not be null");
    const char *treat = dd_in_str(in, "TreatMissingData");
    if (treat && strcmp(treat, "breaching") && strcmp(treat, "notBreaching") && strcmp(treat, "ignore") &&
        strcmp(treat, "missing"))
        return invalid(r, "Option %s is not supported. Supported options for parameter TreatMissingData are "
                          "breaching, notBreaching, ignore and missing.",
                       treat);
    const char *lscp = dd_in_str(in, "EvaluateLowSampleCountPercentile");
    if (lscp && strcmp(lscp, "evaluate") && strcmp(lscp, "ignore"))
        return invalid(r, "Option %s is not supported. Supported options for parameter "
                          "EvaluateLowSampleCountPercentile are evaluate and ignore.",
                       lscp);
    return actions_check(r, in);
}

/* The configuration members that changed, with their old values (history's originalUpdatedFields). */
static json_t *changed_fields(json_t *old, json_t *now, const char *const *config)
{
    json_t *out = json_object();
    for (const char *const *k = config; *k; k++) {
        json_t *a = json_object_get(old, *k), *b = json_object_get(now, *k);
        if ((a || b) && !(a && b && json_equal(a, b))) {
            char key[64];
            snprintf(key, sizeof key, "%s", *k);
            key[0] = (char)tolower((unsigned char)key[0]);
            json_object_set(out, key, a ? a : json_null());
        }
    }
    return out;
}

/* Creates or replaces an alarm of `type` from `in` (config members as given). */
static int alarm_store(struct dd_request *r, json_t *in, const char *type, const char *const *config,
                       char *arn_out)
{
    const char *name = dd_in_str(in, "AlarmName");
    char *arn = dd_arn(r, "cloudwatch", "alarm:%s", name);
    snprintf(arn_out, 512, "%s", arn);
    json_t *doc = json_pack("{s:s, s:s, s:b}", "AlarmName", name, "AlarmArn", arn, "ActionsEnabled", 1);
    free(arn);
    for (const char *const *k = config; *k; k++)
        if (json_object_get(in, *k))
            json_object_set(doc, *k, json_object_get(in, *k));
    static const char *const lists[] = {"OKActions", "AlarmActions", "InsufficientDataActions"};
    for (size_t i = 0; i < 3; i++)
        if (!json_object_get(doc, lists[i]))
            json_object_set_new(doc, lists[i], json_array());
    if (type == METRIC_ALARM && json_object_get(doc, "MetricName") && !json_object_get(doc, "Dimensions"))
        json_object_set_new(doc, "Dimensions", json_array());
    json_object_set_new(doc, "AlarmConfigurationUpdatedTimestamp", dd_time(r->now_ms));

    const char *old_type;
    json_t *old = alarm_load(r, name, &old_type);
    int rc;
    if (old) {
        /* an update keeps the alarm's state; tags given now are ignored, as AWS does */
        static const char *const state[] = {"StateValue", "StateReason", "StateReasonData", "StateUpdatedTimestamp",
                                            "StateTransitionedTimestamp"};
        for (size_t i = 0; i < sizeof state / sizeof *state; i++)
            if (json_object_get(old, state[i]))
                json_object_set(doc, state[i], json_object_get(old, state[i]));
        rc = history_add(r, name, type, "ConfigurationUpdate",
                         json_pack("{s:s, s:s, s:o, s:o}", "version", "1.0", "type", "Update", "updatedAlarm",
                                   history_config(doc), "originalUpdatedFields", changed_fields(old, doc, config)),
                         "Alarm \"%s\" updated", name);
        json_decref(old);
    } else {
        json_object_set_new(doc, "StateValue", json_string("INSUFFICIENT_DATA"));
        json_object_set_new(doc, "StateReason", json_string("Unchecked: Initial alarm creation"));
        json_object_set_new(doc, "StateUpdatedTimestamp", dd_time(r->now_ms));
        json_object_set_new(doc, "StateTransitionedTimestamp", dd_time(r->now_ms));
        rc = history_add(r, name, type, "ConfigurationUpdate",
                         json_pack("{s:s, s:s, s:o}", "version", "1.0", "type", "Create", "createdAlarm",
                                   history_config(doc)),
                         "Alarm \"%s\" created", name);
        if (rc == 0 && json_object_get(in, "Tags"))
            rc = tags_put(r, arn_out, json_object_get(in, "Tags"));
    }
    if (rc == 0)
        rc = alarm_save(r, doc, type);
    if (rc == 0)
        rc = schedule_evaluation(r, name);
    json_decref(doc);
    return rc;
}

int cw_alarm_put(struct dd_request *r, json_t *in, char *arn_out)
{
    if (metric_alarm_check(r, in))
        return -1;
    return alarm_store(r, in, METRIC_ALARM, METRIC_CONFIG, arn_out);
}

json_t *cw_put_metric_alarm(struct dd_request *r, json_t *in)
{
    char arn[512];
    return cw_alarm_put(r, in, arn) ? NULL : json_object();
}

json_t *cw_put_composite_alarm(struct dd_request *r, json_t *in)
{
    const char *rule = dd_in_str(in, "AlarmRule");
    json_t *names, *n;
    size_t i;
    if (rule_read(NULL, rule, NULL, &names)) {
        json_decref(names);
        return dd_fail(r, 400, "ValidationError", "AlarmRule is invalid: %s", rule);
    }
    struct dd_buf missing = {0};
    json_array_foreach(names, i, n)
    {
        json_t *child = alarm_load(r, json_string_value(n), NULL);
        if (!child || strcmp(json_string_value(n), dd_in_str(in, "AlarmName")) == 0)
            buf_printf(&missing, "%s%s", missing.len ? ", " : "", json_string_value(n));
        json_decref(child);
    }
    json_decref(names);
    if (missing.len) {
        dd_fail(r, 400, "ValidationError",
                "Could not save the composite alarm as alarms [%s] in the alarm rule do not exist", missing.data);
        buf_free(&missing);
        return NULL;
    }
    if (actions_check(r, in))
        return NULL;
    char arn[512];
    return alarm_store(r, in, COMPOSITE_ALARM, COMPOSITE_CONFIG, arn) ? NULL : json_object();
}

/* ---- deleting, enabling, setting state -------------------------------------------------------- */

void cw_alarm_delete(struct dd_request *r, const char *name)
{
    const char *type;
    json_t *doc = alarm_load(r, name, &type);
    if (!doc)
        return;
    sim_cancel(r, CW_EVAL_EVENT, name);
    dd_exec(r, named(r, SQL_DELETE_TAGS, dd_in_str(doc, "AlarmArn")));
    dd_exec(r, named(r, SQL_DELETE_ALARM, name));
    history_add(r, name, type, "ConfigurationUpdate",
                json_pack("{s:s, s:s, s:o}", "version", "1.0", "type", "Delete", "deletedAlarm", history_config(doc)),
                "Alarm \"%s\" deleted", name);
    json_decref(doc);
}

json_t *cw_delete_alarms(struct dd_request *r, json_t *in)
{
    json_t *names = json_object_get(in, "AlarmNames"), *n;
    size_t i;
    /* AWS answers success for names that do not exist */
    json_array_foreach(names, i, n)
    {
        cw_alarm_delete(r, json_string_value(n));
    }
    return r->err.code[0] ? NULL : json_object();
}

static json_t *set_actions_enabled(struct dd_request *r, json_t *in, bool enabled)
{
    json_t *names = json_object_get(in, "AlarmNames"), *n;
    size_t i;
    json_array_foreach(names, i, n)
    {
        const char *type;
        json_t *doc = alarm_load(r, json_string_value(n), &type);
        if (!doc)
            continue;
        json_object_set_new(doc, "ActionsEnabled", json_boolean(enabled));
        int rc = alarm_save(r, doc, type);
        json_decref(doc);
        if (rc)
            return NULL;
    }
    return json_object();
}

json_t *cw_enable_alarm_actions(struct dd_request *r, json_t *in)
{
    return set_actions_enabled(r, in, true);
}

json_t *cw_disable_alarm_actions(struct dd_request *r, json_t *in)
{
    return set_actions_enabled(r, in, false);
}

json_t *cw_set_alarm_state(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "AlarmName"), *state = dd_in_str(in, "StateValue");
    const char *data_text = dd_in_str(in, "StateReasonData");
    json_t *data = NULL;
    if (data_text && !(data = json_loads(data_text, JSON_DECODE_ANY, NULL)))
        return dd_fail(r, 400, "InvalidFormat", "StateReasonData is not valid JSON.");
    const char *type;
    json_t *doc = alarm_load(r, name, &type);
    if (!doc) {
        json_decref(data);
        return dd_fail(r, 404, "ResourceNotFound", "Alarm %s not found", name);
    }
    int rc;
    if (strcmp(dd_in_str(doc, "StateValue"), state) == 0) {
        /* no transition: the reason is updated, no action runs */
        json_object_set_new(doc, "StateReason", json_string(dd_in_str(in, "StateReason")));
        if (data_text)
            json_object_set_new(doc, "StateReasonData", json_string(data_text));
        json_object_set_new(doc, "StateUpdatedTimestamp", dd_time(r->now_ms));
        rc = alarm_save(r, doc, type);
        json_decref(data);
    } else {
        rc = alarm_transition(r, doc, state, dd_in_str(in, "StateReason"), data, NAN, 0);
        if (rc == 0 && data_text) {
            /* the caller's text, as given */
            json_object_set_new(doc, "StateReasonData", json_string(data_text));
            rc = alarm_save(r, doc, type);
        }
    }
    json_decref(doc);
    return rc ? NULL : json_object();
}

/* ---- describing ------------------------------------------------------------------------------- */

/* A stored document as DescribeAlarms shows it (new reference). */
static json_t *alarm_public(json_t *doc)
{
    json_t *out = json_deep_copy(doc), *v;
    const char *k;
    void *tmp;
    json_object_foreach_safe(out, tmp, k, v)
    {
        if (k[0] == '_')
            json_object_del(out, k);
    }
    return out;
}

static bool any_action_prefix(json_t *doc, const char *prefix)
{
    static const char *const lists[] = {"OKActions", "AlarmActions", "InsufficientDataActions"};
    for (size_t k = 0; k < 3; k++) {
        json_t *a;
        size_t i;
        json_array_foreach(json_object_get(doc, lists[k]), i, a)
        {
            if (strncmp(json_string_value(a), prefix, strlen(prefix)) == 0)
                return true;
        }
    }
    return false;
}

static bool in_list(json_t *list, const char *s)
{
    json_t *v;
    size_t i;
    json_array_foreach(list, i, v)
    {
        if (strcmp(json_string_value(v), s) == 0)
            return true;
    }
    return false;
}

/* The alarm types asked for: AWS returns only metric alarms when none are named. */
static bool type_wanted(json_t *types, const char *type)
{
    return types ? in_list(types, type) : type == METRIC_ALARM;
}

static bool alarm_wanted(struct dd_request *r, json_t *in, json_t *doc, const char *type)
{
    const char *name = dd_in_str(doc, "AlarmName"), *prefix = dd_in_str(in, "AlarmNamePrefix");
    const char *state = dd_in_str(in, "StateValue"), *action = dd_in_str(in, "ActionPrefix");
    const char *children = dd_in_str(in, "ChildrenOfAlarmName"), *parents = dd_in_str(in, "ParentsOfAlarmName");
    json_t *names = json_object_get(in, "AlarmNames");
    if (!type_wanted(json_object_get(in, "AlarmTypes"), type))
        return false;
    if ((names && !in_list(names, name)) || (prefix && strncmp(name, prefix, strlen(prefix)) != 0) ||
        (state && strcmp(dd_in_str(doc, "StateValue"), state) != 0) || (action && !any_action_prefix(doc, action)))
        return false;
    if (parents && !(type == COMPOSITE_ALARM && rule_names(dd_in_str(doc, "AlarmRule"), parents)))
        return false;
    if (children) {
        json_t *composite = alarm_load(r, children, NULL);
        bool child = composite && is_composite(composite) && rule_names(dd_in_str(composite, "AlarmRule"), name);
        json_decref(composite);
        if (!child)
            return false;
    }
    return true;
}

static int token_offset(struct dd_request *r, json_t *in, size_t *skip)
{
    const char *token = dd_in_str(in, "NextToken");
    *skip = 0;
    if (!token)
        return 0;
    if (!*token || strspn(token, "0123456789") != strlen(token))
        return dd_reject(r, 400, "InvalidNextToken", "The service couldn't process the NextToken.");
    *skip = strtoul(token, NULL, 10);
    return 0;
}

json_t *cw_describe_alarms(struct dd_request *r, json_t *in)
{
    size_t skip, seen = 0, max = (size_t)dd_in_int(in, "MaxRecords", DEFAULT_MAX_RECORDS);
    if (token_offset(r, in, &skip))
        return NULL;
    json_t *metric = json_array(), *composite = json_array();
    bool more = false;
    sqlite3_stmt *st = dd_stmt(r, SQL_ALARMS);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *type = strcmp(store_col_text(st, 0), COMPOSITE_ALARM) == 0 ? COMPOSITE_ALARM : METRIC_ALARM;
        json_t *doc = json_loads(store_col_text(st, 1), 0, NULL);
        if (doc && alarm_wanted(r, in, doc, type) && seen++ >= skip) {
            if (json_array_size(metric) + json_array_size(composite) == max) {
                more = true;
                json_decref(doc);
                break;
            }
            json_array_append_new(type == COMPOSITE_ALARM ? composite : metric, alarm_public(doc));
        }
        json_decref(doc);
    }
    sqlite3_reset(st);
    json_t *out = json_pack("{s:o, s:o}", "MetricAlarms", metric, "CompositeAlarms", composite);
    if (more)
        json_object_set_new(out, "NextToken", json_sprintf("%zu", skip + max));
    return out;
}

json_t *cw_describe_alarms_for_metric(struct dd_request *r, json_t *in)
{
    static const char *const match[] = {"Namespace", "MetricName", "Statistic", "ExtendedStatistic", "Period", "Unit"};
    json_t *alarms = json_array();
    sqlite3_stmt *st = dd_stmt(r, SQL_ALARMS);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *doc = json_loads(store_col_text(st, 1), 0, NULL);
        bool ok = doc && !is_composite(doc);
        for (size_t i = 0; ok && i < sizeof match / sizeof *match; i++) {
            json_t *want = json_object_get(in, match[i]);
            ok = !want || json_equal(want, json_object_get(doc, match[i]));
        }
        json_t *dims = json_object_get(in, "Dimensions");
        if (ok && dims) {
            /* the same dimensions, in any order */
            json_t *have = json_object_get(doc, "Dimensions"), *d;
            size_t i;
            ok = json_array_size(have) == json_array_size(dims);
            json_array_foreach(dims, i, d)
            {
                bool found = false;
                json_t *h;
                size_t k;
                json_array_foreach(have, k, h)
                {
                    found = found || json_equal(h, d);
                }
                ok = ok && found;
            }
        }
        if (ok)
            json_array_append_new(alarms, alarm_public(doc));
        json_decref(doc);
    }
    sqlite3_reset(st);
    return json_pack("{s:o}", "MetricAlarms", alarms);
}

json_t *cw_describe_alarm_history(struct dd_request *r, json_t *in)
{
    size_t skip, seen = 0, max = (size_t)dd_in_int(in, "MaxRecords", HISTORY_MAX_RECORDS);
    const char *scan = dd_in_str(in, "ScanBy");
    json_t *types = json_object_get(in, "AlarmTypes");
    if (token_offset(r, in, &skip))
        return NULL;
    sqlite3_stmt *st = dd_stmt(r, SQL_HISTORY);
    store_bind_text(st, 3, dd_in_str(in, "AlarmName"));
    store_bind_text(st, 4, dd_in_str(in, "HistoryItemType"));
    sqlite3_bind_int64(st, 5, json_object_get(in, "StartDate") ? cw_in_time(in, "StartDate") : INT64_MIN);
    sqlite3_bind_int64(st, 6, json_object_get(in, "EndDate") ? cw_in_time(in, "EndDate") : INT64_MAX);
    sqlite3_bind_int(st, 7, !scan || strcmp(scan, "TimestampDescending") == 0);
    json_t *items = json_array();
    bool more = false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *type = strcmp(store_col_text(st, 1), COMPOSITE_ALARM) == 0 ? COMPOSITE_ALARM : METRIC_ALARM;
        if (!type_wanted(types, type) || seen++ < skip)
            continue;
        if (json_array_size(items) == max) {
            more = true;
            break;
        }
        json_array_append_new(items, json_pack("{s:s, s:s, s:o, s:s, s:s, s:s}", "AlarmName", store_col_text(st, 0),
                                               "AlarmType", type, "Timestamp", dd_time(sqlite3_column_int64(st, 3)),
                                               "HistoryItemType", store_col_text(st, 2), "HistorySummary",
                                               store_col_text(st, 4), "HistoryData", store_col_text(st, 5)));
    }
    sqlite3_reset(st);
    json_t *out = json_pack("{s:o}", "AlarmHistoryItems", items);
    if (more)
        json_object_set_new(out, "NextToken", json_sprintf("%zu", skip + max));
    return out;
}
