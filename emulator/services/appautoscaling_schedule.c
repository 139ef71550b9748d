/*
 * appautoscaling_schedule.c - Application Auto Scaling scheduled actions.
 *
 * A scheduled action runs on the simulation clock: its next run is a sim
 * event (resource = the action's ARN) scheduled when the action is put and
 * again after each run. A run sets the target's MinCapacity / MaxCapacity as
 * ScalableTargetAction says and brings the capacity inside them.
 *
 * Schedules: at(yyyy-mm-ddThh:mm:ss) once; rate(N minute(s)|hour(s)|day(s))
 * every N units from StartTime (or from its creation); cron(minutes hours
 * day-of-month month day-of-week year), one of the two day fields '?', with
 * *, ?, lists, ranges, steps and month / day names. at and cron read their
 * times in Timezone (an IANA name, default UTC), whose UTC offsets come from
 * the system's zoneinfo (TZif) files. StartTime / EndTime bound recurring runs.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../sim.h"
#include "appautoscaling_internal.h"

#define ZONEINFO "/usr/share/zoneinfo/"
#define MAX_TZ_FILE (1 << 20)
#define CRON_HORIZON_S (5LL * 366 * 86400) /* how far ahead a cron's next run is looked for */

#define ACTION_COLS                                                                                                    \
    "ns, rid, dim, name, arn, schedule, timezone, start_ms, end_ms, min_cap, max_cap, created_ms, next_ms"
static const char SQL_ACTION[] = "SELECT " ACTION_COLS " FROM aas_scheduled"
                                 " WHERE account=?1 AND region=?2 AND ns=?3 AND rid=?4 AND dim=?5 AND name=?6";
static const char SQL_ACTION_BY_ARN[] =
    "SELECT " ACTION_COLS " FROM aas_scheduled WHERE account=?1 AND region=?2 AND arn=?3";
static const char SQL_ACTIONS[] = "SELECT " ACTION_COLS " FROM aas_scheduled WHERE account=?1 AND region=?2 AND ns=?3"
                                  " AND (?4 IS NULL OR rid=?4) AND (?5 IS NULL OR dim=?5)"
                                  " AND (?6 IS NULL OR name IN (SELECT value FROM json_each(?6)))"
                                  " ORDER BY created_ms, name";
static const char SQL_TARGET_ACTIONS[] =
    "SELECT arn FROM aas_scheduled WHERE account=?1 AND region=?2 AND ns=?3 AND rid=?4 AND dim=?5";
static const char SQL_PUT_ACTION[] =
    "INSERT INTO aas_scheduled (account, region, " ACTION_COLS ")"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
    " ON CONFLICT (account, region, ns, rid, dim, name) DO UPDATE SET schedule=excluded.schedule,"
    " timezone=excluded.timezone, start_ms=excluded.start_ms, end_ms=excluded.end_ms, min_cap=excluded.min_cap,"
    " max_cap=excluded.max_cap, next_ms=excluded.next_ms";
static const char SQL_SET_NEXT[] = "UPDATE aas_scheduled SET next_ms=?4 WHERE account=?1 AND region=?2 AND arn=?3";
static const char SQL_DELETE_ACTION[] =
    "DELETE FROM aas_scheduled WHERE account=?1 AND region=?2 AND ns=?3 AND rid=?4 AND dim=?5 AND name=?6";
static const char SQL_DELETE_TARGET_ACTIONS[] =
    "DELETE FROM aas_scheduled WHERE account=?1 AND region=?2 AND ns=?3 AND rid=?4 AND dim=?5";

/* A stored scheduled action; -1 for an absent time or capacity. */
struct action {
    struct aas_target target; /* ns, rid, dim only */
    char name[257], arn[2048], schedule[1601], timezone[128];
    int64_t start_ms, end_ms, min, max, created_ms, next_ms;
};

static void action_row(sqlite3_stmt *st, struct action *a)
{
    snprintf(a->target.ns, sizeof a->target.ns, "%s", store_col_text(st, 0));
    snprintf(a->target.rid, sizeof a->target.rid, "%s", store_col_text(st, 1));
    snprintf(a->target.dim, sizeof a->target.dim, "%s", store_col_text(st, 2));
    snprintf(a->name, sizeof a->name, "%s", store_col_text(st, 3));
    snprintf(a->arn, sizeof a->arn, "%s", store_col_text(st, 4));
    snprintf(a->schedule, sizeof a->schedule, "%s", store_col_text(st, 5));
    snprintf(a->timezone, sizeof a->timezone, "%s", store_col_text(st, 6) ? store_col_text(st, 6) : "");
    a->start_ms = aas_col_int(st, 7);
    a->end_ms = aas_col_int(st, 8);
    a->min = aas_col_int(st, 9);
    a->max = aas_col_int(st, 10);
    a->created_ms = sqlite3_column_int64(st, 11);
    a->next_ms = aas_col_int(st, 12);
}

static int action_step(sqlite3_stmt *st, struct action *a)
{
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found)
        action_row(st, a);
    sqlite3_reset(st);
    return found ? 0 : 1;
}

/* ---- time zones: UTC offsets from a TZif file ---------------------------------------------------- */

struct tz {
    int64_t *when;   /* transition times (UTC seconds), ascending */
    int32_t *offset; /* the UTC offset from each transition on */
    size_t n;
    int32_t initial; /* before the first transition */
};

static void tz_free(struct tz *z)
{
    free(z->when);
    free(z->offset);
    memset(z, 0, sizeof *z);
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Parses a TZif file's data (the 64-bit block of version 2+, else the 32-bit one): 0 or -1. */
static int tz_parse(const unsigned char *buf, size_t len, struct tz *z)
{
    if (len < 44 || memcmp(buf, "TZif", 4) != 0)
        return -1;
    size_t tsize = 4;
    uint32_t c[6]; /* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
    for (int i = 0; i < 6; i++)
        c[i] = be32(buf + 20 + 4 * i);
    const unsigned char *p = buf + 44;
    if (buf[4] >= '2') { /* skip the version 1 block to the 64-bit one */
        size_t v1 = (size_t)c[3] * 5 + (size_t)c[4] * 6 + c[5] + (size_t)c[2] * 8 + c[1] + c[0];
        if (44 + v1 + 44 > len || memcmp(p + v1, "TZif", 4) != 0)
            return -1;
        p += v1;
        for (int i = 0; i < 6; i++)
            c[i] = be32(p + 20 + 4 * i);
        p += 44;
        tsize = 8;
    }
    size_t need = (size_t)c[3] * (tsize + 1) + (size_t)c[4] * 6;
    if (c[4] == 0 || (size_t)(p - buf) + need > len)
        return -1;
    const unsigned char *idx = p + (size_t)c[3] * tsize, *types = idx + c[3];
    z->n = c[3];
    z->when = calloc(z->n + 1, sizeof *z->when);
    z->offset = calloc(z->n + 1, sizeof *z->offset);
    if (!z->when || !z->offset)
        goto fail;
    for (size_t i = 0; i < z->n; i++) {
        z->when[i] = tsize == 8 ? be64(p + 8 * i) : (int32_t)be32(p + 4 * i);
        if (idx[i] >= c[4])
            goto fail;
        z->offset[i] = (int32_t)be32(types + 6 * idx[i]);
    }
    z->initial = (int32_t)be32(types);
    for (uint32_t i = 0; i < c[4]; i++)
        if (!types[6 * i + 4]) { /* the first standard-time type */
            z->initial = (int32_t)be32(types + 6 * i);
            break;
        }
    return 0;
fail:
    tz_free(z);
    return -1;
}

static bool tz_name_ok(const char *name)
{
    if (!*name || strlen(name) > 100 || name[0] == '/' || strstr(name, ".."))
        return false;
    for (const char *s = name; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("/_+-", *s))
            return false;
    return true;
}

/* Loads zone `name` (NULL or "": UTC): 0, or -1 when there is no such zone. */
static int tz_load(const char *name, struct tz *z)
{
    memset(z, 0, sizeof *z);
    if (!name || !*name || strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0)
        return 0;
    if (!tz_name_ok(name))
        return -1;
    char path[256];
    snprintf(path, sizeof path, ZONEINFO "%s", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    unsigned char *buf = malloc(MAX_TZ_FILE);
    size_t len = buf ? fread(buf, 1, MAX_TZ_FILE, f) : 0;
    fclose(f);
    int rc = buf ? tz_parse(buf, len, z) : -1;
    free(buf);
    return rc;
}

/* The zone's UTC offset (seconds) at UTC time t. */
static int32_t tz_offset(const struct tz *z, int64_t t)
{
    size_t lo = 0, hi = z->n;
    if (z->n == 0 || t < z->when[0])
        return z->initial;
    while (hi - lo > 1) { /* the last transition at or before t */
        size_t mid = (lo + hi) / 2;
        if (z->when[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return z->offset[lo];
}

/* The UTC time of local time `local` in the zone. */
static int64_t tz_to_utc(const struct tz *z, int64_t local)
{
    int64_t guess = local - tz_offset(z, local);
    return local - tz_offset(z, guess);
}

/* ---- schedule expressions ------------------------------------------------------------------------ */

enum cron_field { C_MIN, C_HOUR, C_DOM, C_MONTH, C_DOW, C_YEAR, C_FIELDS };

/* The values of each cron field as bits from the field's lowest value; `any` for '?'. */
struct cron {
    uint64_t bits[C_FIELDS][4];
    bool any[C_FIELDS];
};

struct schedule {
    enum { S_AT, S_RATE, S_CRON } kind;
    int64_t at_local; /* seconds */
    int64_t rate_ms;
    struct cron cron;
};

static const struct {
    int lo, hi;
} cron_range[C_FIELDS] = {{0, 59}, {0, 23}, {1, 31}, {1, 12}, {1, 7}, {1970, 2199}};

static const char *const MONTHS[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                     "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char *const DAYS[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

/* One value of field f at *s (a number, or a month / day name): the value, or -1. */
static int cron_value(const char **s, enum cron_field f)
{
    const char *const *names = f == C_MONTH ? MONTHS : f == C_DOW ? DAYS : NULL;
    int count = f == C_MONTH ? 12 : 7;
    for (int i = 0; names && i < count; i++)
        if (strncasecmp(*s, names[i], 3) == 0) {
            *s += 3;
            return cron_range[f].lo + i;
        }
    if (!isdigit((unsigned char)**s))
        return -1;
    char *end;
    long v = strtol(*s, &end, 10);
    *s = end;
    return v < cron_range[f].lo || v > cron_range[f].hi ? -1 : (int)v;
}

static void bit_set(uint64_t *bits, int i)
{
    bits[i / 64] |= 1ULL << (i % 64);
}

static bool bit_get(const uint64_t *bits, int i)
{
    return i >= 0 && i < 256 && (bits[i / 64] >> (i % 64) & 1);
}

/* Parses one cron field (`text`, NUL-terminated): 0 or -1. */
static int cron_field_parse(char *text, enum cron_field f, struct cron *c)
{
    int lo = cron_range[f].lo, hi = cron_range[f].hi;
    if (strcmp(text, "?") == 0) {
        if (f != C_DOM && f != C_DOW)
            return -1;
        c->any[f] = true;
        return 0;
    }
    char *save = NULL;
    for (char *item = strtok_r(text, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        const char *s = item;
        int from = lo, to = hi, step = 1;
        if (*s == '*')
            s++;
        else {
            if ((from = cron_value(&s, f)) < 0)
                return -1;
            to = from;
            if (*s == '-') {
                s++;
                if ((to = cron_value(&s, f)) < 0 || to < from)
                    return -1;
            }
        }
        if (*s == '/') {
            char *end;
            step = (int)strtol(s + 1, &end, 10);
            if (step < 1 || end == s + 1)
                return -1;
            s = end;
            if (from == to)
                to = hi;
        }
        if (*s)
            return -1;
        for (int v = from; v <= to; v += step)
            bit_set(c->bits[f], v - lo);
    }
    return 0;
}

static int cron_parse(const char *fields, struct cron *c)
{
    char buf[256];
    if (strlen(fields) >= sizeof buf)
        return -1;
    snprintf(buf, sizeof buf, "%s", fields);
    memset(c, 0, sizeof *c);
    char *save = NULL, *tok = strtok_r(buf, " ", &save);
    int n = 0;
    for (; tok; tok = strtok_r(NULL, " ", &save), n++)
        if (n >= C_FIELDS || cron_field_parse(tok, (enum cron_field)n, c))
            return -1;
    /* exactly one of day-of-month and day-of-week is '?' */
    return n == C_FIELDS && c->any[C_DOM] != c->any[C_DOW] ? 0 : -1;
}

/* Parses at(...), rate(...) or cron(...): 0 or -1. */
static int schedule_parse(const char *text, struct schedule *s)
{
    size_t len = strlen(text);
    if (len < 6 || text[len - 1] != ')')
        return -1;
    char inner[256];
    if (strncmp(text, "at(", 3) == 0 && len - 4 < sizeof inner) {
        struct tm tm = {0};
        int consumed = 0;
        snprintf(inner, sizeof inner, "%.*s", (int)(len - 4), text + 3);
        if (sscanf(inner, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                   &tm.tm_sec, &consumed) != 6 ||
            inner[consumed] || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
            tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
            return -1;
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        s->kind = S_AT;
        s->at_local = (int64_t)timegm(&tm);
        return 0;
    }
    if (strncmp(text, "rate(", 5) == 0 && len - 6 < sizeof inner) {
        char unit[16];
        long n;
        int consumed = 0;
        snprintf(inner, sizeof inner, "%.*s", (int)(len - 6), text + 5);
        if (sscanf(inner, "%ld %15s%n", &n, unit, &consumed) != 2 || inner[consumed] || n < 1)
            return -1;
        int64_t unit_ms = !strcmp(unit, "minute") || !strcmp(unit, "minutes") ? 60000
                          : !strcmp(unit, "hour") || !strcmp(unit, "hours")   ? 3600000
                          : !strcmp(unit, "day") || !strcmp(unit, "days")     ? 86400000
                                                                              : 0;
        if (!unit_ms)
            return -1;
        s->kind = S_RATE;
        s->rate_ms = n * unit_ms;
        return 0;
    }
    if (strncmp(text, "cron(", 5) == 0 && len - 6 < sizeof inner) {
        snprintf(inner, sizeof inner, "%.*s", (int)(len - 6), text + 5);
        s->kind = S_CRON;
        return cron_parse(inner, &s->cron);
    }
    return -1;
}

static bool cron_date_ok(const struct cron *c, const struct tm *tm)
{
    return bit_get(c->bits[C_YEAR], tm->tm_year + 1900 - 1970) && bit_get(c->bits[C_MONTH], tm->tm_mon) &&
           (c->any[C_DOM] || bit_get(c->bits[C_DOM], tm->tm_mday - 1)) &&
           (c->any[C_DOW] || bit_get(c->bits[C_DOW], tm->tm_wday));
}

/* The first whole minute (UTC seconds) after `after` that the cron matches in the zone, or -1. */
static int64_t cron_next(const struct cron *c, const struct tz *z, int64_t after)
{
    int64_t t = (after / 60 + 1) * 60;
    for (int64_t limit = t + CRON_HORIZON_S; t < limit;) {
        int64_t local = t + tz_offset(z, t);
        time_t lt = (time_t)local;
        struct tm tm;
        gmtime_r(&lt, &tm);
        if (!cron_date_ok(c, &tm))
            t += 86400 - (local % 86400 + 86400) % 86400; /* the next local midnight */
        else if (!bit_get(c->bits[C_HOUR], tm.tm_hour))
            t += 3600 - (local % 3600 + 3600) % 3600;
        else if (!bit_get(c->bits[C_MIN], tm.tm_min))
            t += 60;
        else
            return t;
    }
    return -1;
}

/* The action's first run after `after_ms`, or -1 when it has no more. */
static int64_t next_run(const struct action *a, const struct schedule *s, const struct tz *z, int64_t after_ms)
{
    int64_t next = -1;
    if (s->kind == S_AT) {
        int64_t at = tz_to_utc(z, s->at_local) * 1000;
        return at > after_ms ? at : -1;
    }
    if (s->kind == S_RATE) {
        /* runs at anchor + k * rate: from StartTime (k >= 0), or from the action's creation (k >= 1) */
        int64_t anchor = a->start_ms >= 0 ? a->start_ms : a->created_ms, k = a->start_ms >= 0 ? 0 : 1;
        if (after_ms >= anchor && (after_ms - anchor) / s->rate_ms + 1 > k)
            k = (after_ms - anchor) / s->rate_ms + 1;
        next = anchor + k * s->rate_ms;
    } else {
        int64_t from = a->start_ms > after_ms ? a->start_ms - 1 : after_ms;
        int64_t t = cron_next(&s->cron, z, from >= 0 ? from / 1000 : -1);
        next = t < 0 ? -1 : t * 1000;
    }
    return next >= 0 && a->end_ms >= 0 && next > a->end_ms ? -1 : next;
}

/* Computes and stores the action's next run, and schedules it: 0 or -1. */
static int action_arm(struct dd_request *r, struct action *a, int64_t after_ms)
{
    struct schedule s;
    struct tz z;
    sim_cancel(r, AAS_SCHEDULE_EVENT, a->arn);
    if (schedule_parse(a->schedule, &s) || tz_load(a->timezone, &z))
        return dd_internal(r);
    a->next_ms = next_run(a, &s, &z, after_ms);
    tz_free(&z);
    sqlite3_stmt *st = dd_stmt(r, SQL_SET_NEXT);
    store_bind_text(st, 3, a->arn);
    if (a->next_ms >= 0)
        sqlite3_bind_int64(st, 4, a->next_ms);
    if (dd_exec(r, st))
        return -1;
    int64_t delay = a->next_ms - r->now_ms;
    return a->next_ms < 0 ? 0 : sim_schedule(r, delay > 0 ? delay : 0, AAS_SCHEDULE_EVENT, a->arn, NULL);
}

/* ---- the operations ------------------------------------------------------------------------------ */

static json_t *action_json(const struct action *a)
{
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{}, s:o}", "ScheduledActionName", a->name, "ScheduledActionARN",
                  a->arn, "ServiceNamespace", a->target.ns, "Schedule", a->schedule, "ResourceId", a->target.rid,
                  "ScalableDimension", a->target.dim, "ScalableTargetAction", "CreationTime", dd_time(a->created_ms));
    json_t *sta = json_object_get(o, "ScalableTargetAction");
    if (a->min >= 0)
        json_object_set_new(sta, "MinCapacity", json_integer(a->min));
    if (a->max >= 0)
        json_object_set_new(sta, "MaxCapacity", json_integer(a->max));
    if (a->timezone[0])
        json_object_set_new(o, "Timezone", json_string(a->timezone));
    if (a->start_ms >= 0)
        json_object_set_new(o, "StartTime", dd_time(a->start_ms));
    if (a->end_ms >= 0)
        json_object_set_new(o, "EndTime", dd_time(a->end_ms));
    return o;
}

/* An input timestamp (epoch seconds) in ms, or -1 when absent. */
static int64_t input_ms(json_t *in, const char *key)
{
    json_t *v = json_object_get(in, key);
    return v ? (int64_t)(json_number_value(v) * 1000.0 + 0.5) : -1;
}

/* Applies the members of a PutScheduledAction call to `a` (new or stored) and checks them: 0 or -1. */
static int action_update(struct dd_request *r, json_t *in, struct action *a, bool fresh)
{
    const char *sched = dd_in_str(in, "Schedule"), *tz = dd_in_str(in, "Timezone");
    json_t *sta = json_object_get(in, "ScalableTargetAction");
    if (sched)
        snprintf(a->schedule, sizeof a->schedule, "%s", sched);
    else if (fresh)
        return aas_invalid(r, "Schedule must be specified");
    if (tz)
        snprintf(a->timezone, sizeof a->timezone, "%s", tz);
    a->start_ms = input_ms(in, "StartTime"); /* not given: the old ones are deleted, as AWS documents */
    a->end_ms = input_ms(in, "EndTime");
    if (sta) {
        json_t *mn = json_object_get(sta, "MinCapacity"), *mx = json_object_get(sta, "MaxCapacity");
        if (!mn && !mx)
            return aas_invalid(r, "At least one of minimum capacity and maximum capacity should be provided");
        a->min = mn ? json_integer_value(mn) : -1;
        a->max = mx ? json_integer_value(mx) : -1;
        if ((mn && a->min < 0) || (mx && a->max < 0))
            return aas_invalid(r, "Minimum capacity cannot be less than 0");
        if (mn && mx && a->max < a->min)
            return aas_invalid(r, "Maximum capacity cannot be less than minimum capacity");
    } else if (fresh)
        return aas_invalid(r, "ScalableTargetAction must be set");
    struct schedule s;
    struct tz z;
    if (schedule_parse(a->schedule, &s))
        return aas_invalid(r, "Invalid schedule expression: %s", a->schedule);
    if (tz_load(a->timezone, &z))
        return aas_invalid(r, "Invalid timezone: %s", a->timezone);
    tz_free(&z);
    if (a->start_ms >= 0 && a->end_ms >= 0 && a->start_ms >= a->end_ms)
        return aas_invalid(r, "StartTime must be before EndTime");
    return 0;
}

static int action_save(struct dd_request *r, const struct action *a)
{
    struct aas_key k = aas_target_key(&a->target);
    sqlite3_stmt *st = aas_stmt(r, SQL_PUT_ACTION, &k);
    store_bind_text(st, 6, a->name);
    store_bind_text(st, 7, a->arn);
    store_bind_text(st, 8, a->schedule);
    store_bind_text(st, 9, a->timezone[0] ? a->timezone : NULL);
    const int64_t ints[] = {a->start_ms, a->end_ms, a->min, a->max, a->created_ms, a->next_ms};
    for (int i = 0; i < 6; i++)
        if (ints[i] >= 0)
            sqlite3_bind_int64(st, 10 + i, ints[i]);
        else
            sqlite3_bind_null(st, 10 + i);
    return dd_exec(r, st);
}

json_t *aas_op_PutScheduledAction(struct dd_request *r, json_t *in)
{
    struct aas_key k = aas_input_key(in);
    const char *name = dd_in_str(in, "ScheduledActionName");
    struct aas_target t;
    if (aas_target_must_exist(r, &k, &t))
        return NULL;
    struct action a;
    sqlite3_stmt *st = aas_stmt(r, SQL_ACTION, &k);
    store_bind_text(st, 6, name);
    bool fresh = action_step(st, &a) != 0;
    if (fresh) {
        char uuid[37];
        memset(&a, 0, sizeof a);
        a.target = t;
        snprintf(a.name, sizeof a.name, "%s", name);
        dd_uuid(uuid);
        char *arn = dd_arn(r, "autoscaling", "scheduledAction:%s:resource/%s/%s:scheduledActionName/%s", uuid, k.ns,
                           k.rid, name);
        snprintf(a.arn, sizeof a.arn, "%s", arn);
        free(arn);
        a.created_ms = r->now_ms;
        a.min = a.max = a.next_ms = -1;
    }
    if (action_update(r, in, &a, fresh) || action_save(r, &a) || action_arm(r, &a, r->now_ms))
        return NULL;
    return json_object();
}

json_t *aas_op_DescribeScheduledActions(struct dd_request *r, json_t *in)
{
    struct aas_key k = aas_input_key(in);
    json_t *names = json_object_get(in, "ScheduledActionNames");
    char *names_json = json_array_size(names) ? json_dumps(names, JSON_COMPACT) : NULL;
    sqlite3_stmt *st = aas_stmt(r, SQL_ACTIONS, &k);
    store_bind_text(st, 6, names_json);
    json_t *items = json_array();
    struct action a;
    while (sqlite3_step(st) == SQLITE_ROW) {
        action_row(st, &a);
        json_array_append_new(items, action_json(&a));
    }
    sqlite3_reset(st);
    free(names_json);
    return aas_page(in, items, "ScheduledActions");
}

json_t *aas_op_DeleteScheduledAction(struct dd_request *r, json_t *in)
{
    struct aas_key k = aas_input_key(in);
    const char *name = dd_in_str(in, "ScheduledActionName");
    struct action a;
    sqlite3_stmt *st = aas_stmt(r, SQL_ACTION, &k);
    store_bind_text(st, 6, name);
    if (action_step(st, &a))
        return dd_fail(r, 400, "ObjectNotFoundException",
                       "No scheduled action found for service namespace: %s, resource ID: %s, scalable dimension: %s, "
                       "scheduled action name: %s",
                       k.ns, k.rid, k.dim, name);
    sim_cancel(r, AAS_SCHEDULE_EVENT, a.arn);
    st = aas_stmt(r, SQL_DELETE_ACTION, &k);
    store_bind_text(st, 6, name);
    return dd_exec(r, st) ? NULL : json_object();
}

int aas_scheduled_delete_all(struct dd_request *r, const struct aas_key *k)
{
    sqlite3_stmt *st = aas_stmt(r, SQL_TARGET_ACTIONS, k);
    while (sqlite3_step(st) == SQLITE_ROW)
        sim_cancel(r, AAS_SCHEDULE_EVENT, store_col_text(st, 0));
    sqlite3_reset(st);
    return dd_exec(r, aas_stmt(r, SQL_DELETE_TARGET_ACTIONS, k));
}

/* ---- a run ---------------------------------------------------------------------------------------- */

/* Sets the target's limits as the action says (the other limit follows when they would cross). */
static void limits_apply(struct aas_target *t, const struct action *a)
{
    if (a->min >= 0)
        t->min = a->min;
    if (a->max >= 0)
        t->max = a->max;
    if (t->min > t->max) {
        if (a->max < 0)
            t->max = t->min;
        else
            t->min = t->max;
    }
}

int aas_scheduled_run(struct dd_request *r, const char *arn, json_t *payload)
{
    (void)payload;
    struct action a;
    sqlite3_stmt *st = dd_stmt(r, SQL_ACTION_BY_ARN);
    store_bind_text(st, 3, arn);
    if (action_step(st, &a) || a.next_ms != r->now_ms)
        return 0; /* deleted or rescheduled since */
    struct aas_key k = aas_target_key(&a.target);
    struct aas_target t;
    if (aas_target_get(r, &k, &t))
        return 0;
    if (!t.susp_sched) {
        char cause[512];
        snprintf(cause, sizeof cause, "scheduled action name %s was triggered", a.name);
        limits_apply(&t, &a);
        if (aas_target_save(r, &t) || aas_clamp(r, &t, cause))
            return -1;
    }
    return action_arm(r, &a, r->now_ms);
}
