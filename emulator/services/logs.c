/*
 * logs.c - Amazon CloudWatch Logs: log groups, streams and events.
 *
 * State, all isolated by (account, region):
 *   logs_group   log groups (retention, KMS key, class)
 *   logs_tag     tags of a log group
 *   logs_stream  streams of a group, with their first/last event times
 *   logs_event   events; `id` orders events of equal timestamps
 *
 * Sequence tokens are ignored, as AWS has done since 2023: PutLogEvents
 * always accepts and still answers a nextSequenceToken. Events are ordered
 * by (timestamp, id); GetLogEvents tokens ("f/..." and "b/...") and
 * FilterLogEvents' nextToken encode a position in that order, so paging is
 * stable while events keep arriving. Describe* listings page by offset.
 */
#define _GNU_SOURCE
#include "logs.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_TAGS 50
#define DEFAULT_GROUP_LIMIT 50
#define DEFAULT_EVENT_LIMIT 10000
#define EVENT_OVERHEAD 26 /* bytes AWS counts per event */
#define DAY_MS (86400 * 1000LL)
#define MAX_AGE_MS (14 * DAY_MS)
#define MAX_FUTURE_MS (2 * 3600 * 1000LL)

static const char MSG_NO_GROUP[] = "The specified log group does not exist.";
static const char MSG_NO_STREAM[] = "The specified log stream does not exist.";

/* ---- schema ------------------------------------------------------------------------------ */

static const char SCHEMA_1[] =
    "CREATE TABLE logs_group ("
    " account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, created_ms INTEGER NOT NULL,"
    " retention INTEGER, kms_key TEXT, class TEXT NOT NULL,"
    " PRIMARY KEY (account, region, name)) WITHOUT ROWID;"
    "CREATE TABLE logs_tag ("
    " account TEXT NOT NULL, region TEXT NOT NULL, grp TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY (account, region, grp, key)) WITHOUT ROWID;"
    "CREATE TABLE logs_stream ("
    " account TEXT NOT NULL, region TEXT NOT NULL, grp TEXT NOT NULL, name TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL, first_ts INTEGER, last_ts INTEGER, last_ingest INTEGER,"
    " bytes INTEGER NOT NULL DEFAULT 0, seq INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (account, region, grp, name)) WITHOUT ROWID;"
    "CREATE TABLE logs_event ("
    " id INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, grp TEXT NOT NULL,"
    " stream TEXT NOT NULL, ts INTEGER NOT NULL, ingest_ms INTEGER NOT NULL, message TEXT NOT NULL);"
    "CREATE INDEX logs_event_stream ON logs_event (account, region, grp, stream, ts, id);"
    "CREATE INDEX logs_event_group ON logs_event (account, region, grp, ts, id);";

static const char *const schema[] = {SCHEMA_1, NULL};

/* Every statement binds ?1 account, ?2 region, ?3 group. */
#define GROUP_COLS "name, created_ms, retention, kms_key, class"
static const char SQL_GROUP[] = "SELECT " GROUP_COLS " FROM logs_group WHERE account=?1 AND region=?2 AND name=?3";
static const char SQL_GROUPS[] = "SELECT " GROUP_COLS " FROM logs_group WHERE account=?1 AND region=?2"
                                 " AND (?3 IS NULL OR substr(name, 1, length(?3))=?3)"
                                 " AND (?4 IS NULL OR instr(lower(name), lower(?4)) > 0) ORDER BY name";
static const char SQL_GROUP_BYTES[] = "SELECT coalesce(sum(bytes), 0) FROM logs_stream"
                                      " WHERE account=?1 AND region=?2 AND grp=?3";
static const char SQL_INSERT_GROUP[] = "INSERT INTO logs_group (account, region, name, created_ms, kms_key, class)"
                                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_SET_RETENTION[] = "UPDATE logs_group SET retention=?4 WHERE account=?1 AND region=?2 AND name=?3";
static const char SQL_DELETE_GROUP[] = "DELETE FROM logs_group WHERE account=?1 AND region=?2 AND name=?3";
static const char SQL_DELETE_GROUP_STREAMS[] = "DELETE FROM logs_stream WHERE account=?1 AND region=?2 AND grp=?3";
static const char SQL_DELETE_GROUP_EVENTS[] = "DELETE FROM logs_event WHERE account=?1 AND region=?2 AND grp=?3";
static const char SQL_DELETE_GROUP_TAGS[] = "DELETE FROM logs_tag WHERE account=?1 AND region=?2 AND grp=?3";

static const char SQL_TAGS[] = "SELECT key, value FROM logs_tag WHERE account=?1 AND region=?2 AND grp=?3 ORDER BY key";
static const char SQL_TAG_COUNT[] = "SELECT COUNT(*) FROM logs_tag WHERE account=?1 AND region=?2 AND grp=?3"
                                    " AND key NOT IN (SELECT key FROM json_each(?4))";
static const char SQL_SET_TAG[] = "INSERT INTO logs_tag (account, region, grp, key, value) VALUES (?1, ?2, ?3, ?4, ?5)"
                                  " ON CONFLICT (account, region, grp, key) DO UPDATE SET value=excluded.value";
static const char SQL_UNSET_TAG[] = "DELETE FROM logs_tag WHERE account=?1 AND region=?2 AND grp=?3 AND key=?4";

#define STREAM_COLS "name, created_ms, first_ts, last_ts, last_ingest, bytes, seq"
static const char SQL_STREAM[] =
    "SELECT " STREAM_COLS " FROM logs_stream WHERE account=?1 AND region=?2 AND grp=?3 AND name=?4";
/* ?5 descending: the first key is then constant and the second decides */
static const char SQL_STREAMS_BY_NAME[] = "SELECT " STREAM_COLS " FROM logs_stream WHERE account=?1 AND region=?2"
                                          " AND grp=?3 AND (?4 IS NULL OR substr(name, 1, length(?4))=?4)"
                                          " ORDER BY CASE WHEN ?5 THEN NULL ELSE name END, name DESC";
static const char SQL_STREAMS_BY_TIME[] = "SELECT " STREAM_COLS " FROM logs_stream WHERE account=?1 AND region=?2"
                                          " AND grp=?3 ORDER BY CASE WHEN ?5 THEN -coalesce(last_ts, 0)"
                                          " ELSE coalesce(last_ts, 0) END, name";
static const char SQL_INSERT_STREAM[] = "INSERT INTO logs_stream (account, region, grp, name, created_ms)"
                                        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING";
static const char SQL_TOUCH_STREAM[] =
    "UPDATE logs_stream SET first_ts=coalesce(min(first_ts, ?5), first_ts, ?5),"
    " last_ts=coalesce(max(last_ts, ?6), last_ts, ?6),"
    " last_ingest=?7, bytes=bytes+?8, seq=seq+1 WHERE account=?1 AND region=?2 AND grp=?3 AND name=?4"
    " RETURNING seq";
static const char SQL_DELETE_STREAM[] = "DELETE FROM logs_stream WHERE account=?1 AND region=?2 AND grp=?3 AND name=?4";
static const char SQL_DELETE_STREAM_EVENTS[] =
    "DELETE FROM logs_event WHERE account=?1 AND region=?2 AND grp=?3 AND stream=?4";

static const char SQL_INSERT_EVENT[] =
    "INSERT INTO logs_event (account, region, grp, stream, ts, ingest_ms, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
/* ?4 stream, (?5 ts, ?6 id) the position, ?7/?8 the time range [start, end), ?9 limit */
#define EVENT_RANGE " AND ts >= ?7 AND ts < ?8"
static const char SQL_EVENTS_AFTER[] = "SELECT id, ts, ingest_ms, message FROM logs_event"
                                       " WHERE account=?1 AND region=?2 AND grp=?3 AND stream=?4"
                                       " AND (ts > ?5 OR (ts = ?5 AND id > ?6))" EVENT_RANGE
                                       " ORDER BY ts, id LIMIT ?9";
static const char SQL_EVENTS_BEFORE[] = "SELECT id, ts, ingest_ms, message FROM logs_event"
                                        " WHERE account=?1 AND region=?2 AND grp=?3 AND stream=?4"
                                        " AND (ts < ?5 OR (ts = ?5 AND id < ?6))" EVENT_RANGE
                                        " ORDER BY ts DESC, id DESC LIMIT ?9";
/* FilterLogEvents: ?4 stream prefix, ?5/?6 position, ?7/?8 range (end inclusive), ?9 JSON array of stream names */
static const char SQL_FILTER[] = "SELECT id, ts, ingest_ms, message, stream FROM logs_event"
                                 " WHERE account=?1 AND region=?2 AND grp=?3"
                                 " AND (?4 IS NULL OR substr(stream, 1, length(?4))=?4)"
                                 " AND (?9 IS NULL OR stream IN (SELECT value FROM json_each(?9)))"
                                 " AND (ts > ?5 OR (ts = ?5 AND id > ?6)) AND ts >= ?7 AND ts <= ?8"
                                 " ORDER BY ts, id";
static const char SQL_FILTER_STREAMS[] = "SELECT name FROM logs_stream WHERE account=?1 AND region=?2 AND grp=?3"
                                         " AND (?4 IS NULL OR substr(name, 1, length(?4))=?4)"
                                         " AND (?9 IS NULL OR name IN (SELECT value FROM json_each(?9)))"
                                         " ORDER BY name";

/* ---- small helpers ------------------------------------------------------------------------- */

/* The cached statement for `sql` with ?1 account, ?2 region and ?3 group bound. */
static sqlite3_stmt *scoped(struct dd_request *r, const char *sql, const char *group)
{
    sqlite3_stmt *st = store_stmt(r->db, sql);
    store_bind_text(st, 1, r->account);
    store_bind_text(st, 2, r->region);
    store_bind_text(st, 3, group);
    return st;
}

static const char *col(sqlite3_stmt *st, int i)
{
    return store_col_text(st, i);
}

/* A column that may be NULL, as a JSON integer or nothing. */
static void set_int_col(json_t *o, const char *key, sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) != SQLITE_NULL)
        json_object_set_new(o, key, json_integer(sqlite3_column_int64(st, i)));
}

/* ---- log groups ----------------------------------------------------------------------------- */

static char *group_arn(struct dd_request *r, const char *name)
{
    return dd_arn(r, "logs", "log-group:%s", name);
}

/* 0 when the group exists, else -1 with ResourceNotFoundException. */
static int group_must_exist(struct dd_request *r, const char *name)
{
    sqlite3_stmt *st = scoped(r, SQL_GROUP, name);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return found ? 0 : dd_reject(r, 400, "ResourceNotFoundException", MSG_NO_GROUP);
}

static json_t *group_json(struct dd_request *r, sqlite3_stmt *st)
{
    const char *name = col(st, 0);
    char *arn = group_arn(r, name);
    json_t *o = json_pack("{s:s, s:I, s:i, s:s+, s:s, s:s}", "logGroupName", name, "creationTime",
                          (json_int_t)sqlite3_column_int64(st, 1), "metricFilterCount", 0, "arn", arn, ":*",
                          "logGroupArn", arn, "logGroupClass", col(st, 4));
    set_int_col(o, "retentionInDays", st, 2);
    if (col(st, 3))
        json_object_set_new(o, "kmsKeyId", json_string(col(st, 3)));
    json_object_set_new(o, "storedBytes", json_integer(dd_single_int(scoped(r, SQL_GROUP_BYTES, name), 0)));
    free(arn);
    return o;
}

static bool group_name_ok(const char *s)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._-/#", *s))
            return false;
    return true;
}

/* Tags from a {key: value} object (borrowed): at most 50 per group. */
static int tags_put(struct dd_request *r, const char *group, json_t *tags)
{
    char *keys = json_dumps(tags, JSON_COMPACT);
    sqlite3_stmt *st = scoped(r, SQL_TAG_COUNT, group);
    store_bind_text(st, 4, keys ? keys : "{}");
    int64_t kept = dd_single_int(st, 0);
    free(keys);
    if (kept + (int64_t)json_object_size(tags) > MAX_TAGS)
        return dd_reject(r, 400, "TooManyTagsException", "A resource can only have %d tags.", MAX_TAGS);
    const char *k;
    json_t *v;
    json_object_foreach(tags, k, v)
    {
        st = scoped(r, SQL_SET_TAG, group);
        store_bind_text(st, 4, k);
        store_bind_text(st, 5, json_string_value(v) ? json_string_value(v) : "");
        if (dd_exec(r, st))
            return -1;
    }
    return 0;
}

static int tags_remove(struct dd_request *r, const char *group, json_t *keys)
{
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        sqlite3_stmt *st = scoped(r, SQL_UNSET_TAG, group);
        store_bind_text(st, 4, json_string_value(k));
        if (dd_exec(r, st))
            return -1;
    }
    return 0;
}

static json_t *tags_json(struct dd_request *r, const char *group)
{
    json_t *tags = json_object();
    sqlite3_stmt *st = scoped(r, SQL_TAGS, group);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_object_set_new(tags, col(st, 0), json_string(col(st, 1)));
    sqlite3_reset(st);
    return tags;
}

/*
 * Creates group `name` (kms_key may be NULL): 0, 1 when it already exists, or
 * -1 with InvalidParameterException (a bad name) or a store error recorded.
 */
static int group_insert(struct dd_request *r, const char *name, const char *kms_key, const char *cls)
{
    if (!group_name_ok(name))
        return dd_reject(r, 400, "InvalidParameterException",
                         "1 validation error detected: Value '%s' at 'logGroupName' failed to satisfy constraint: "
                         "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+",
                         name);
    sqlite3_stmt *st = scoped(r, SQL_INSERT_GROUP, name);
    sqlite3_bind_int64(st, 4, r->now_ms);
    store_bind_text(st, 5, kms_key);
    store_bind_text(st, 6, cls);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_CONSTRAINT)
        return 1;
    if (rc != SQLITE_DONE)
        return dd_reject(r, 500, "ServiceUnavailableException", "The service cannot complete the request.");
    return 0;
}

int logs_ensure_group(struct dd_request *r, const char *group)
{
    return group_insert(r, group, NULL, "STANDARD") < 0 ? -1 : 0;
}

static json_t *create_log_group(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "logGroupName");
    const char *cls = dd_in_str(in, "logGroupClass") ? dd_in_str(in, "logGroupClass") : "STANDARD";
    int rc = group_insert(r, name, dd_in_str(in, "kmsKeyId"), cls);
    if (rc < 0)
        return NULL;
    if (rc == 1)
        return dd_fail(r, 400, "ResourceAlreadyExistsException", "The specified log group already exists");
    json_t *tags = json_object_get(in, "tags");
    return tags && tags_put(r, name, tags) ? NULL : json_object();
}

static json_t *delete_log_group(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "logGroupName");
    if (group_must_exist(r, name))
        return NULL;
    const char *const sqls[] = {SQL_DELETE_GROUP_EVENTS, SQL_DELETE_GROUP_STREAMS, SQL_DELETE_GROUP_TAGS,
                                SQL_DELETE_GROUP};
    for (size_t i = 0; i < sizeof sqls / sizeof *sqls; i++)
        if (dd_exec(r, scoped(r, sqls[i], name)))
            return NULL;
    return json_object();
}

static json_t *describe_log_groups(struct dd_request *r, json_t *in)
{
    const char *prefix = dd_in_str(in, "logGroupNamePrefix"), *pattern = dd_in_str(in, "logGroupNamePattern");
    if (prefix && pattern)
        return dd_fail(r, 400, "InvalidParameterException",
                       "LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters.");
    json_t *groups = json_array();
    sqlite3_stmt *st = scoped(r, SQL_GROUPS, prefix);
    store_bind_text(st, 4, pattern && *pattern ? pattern : NULL);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(groups, group_json(r, st));
    sqlite3_reset(st);
    return dd_page(in, groups, "logGroups", "limit", DEFAULT_GROUP_LIMIT);
}

static const int RETENTION_DAYS[] = {1,   3,   5,   7,    14,   30,   60,   90,   120,  150,  180,
                                     365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653};

static json_t *put_retention_policy(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "logGroupName");
    json_int_t days = dd_in_int(in, "retentionInDays", 0);
    bool allowed = false;
    for (size_t i = 0; i < sizeof RETENTION_DAYS / sizeof *RETENTION_DAYS; i++)
        allowed = allowed || RETENTION_DAYS[i] == days;
    if (!allowed)
        return dd_fail(r, 400, "InvalidParameterException",
                       "1 validation error detected: Value '%" JSON_INTEGER_FORMAT
                       "' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: "
                       "[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, "
                       "2922, 3288, 3653]",
                       days);
    if (group_must_exist(r, name))
        return NULL;
    sqlite3_stmt *st = scoped(r, SQL_SET_RETENTION, name);
    sqlite3_bind_int64(st, 4, days);
    return dd_exec(r, st) ? NULL : json_object();
}

static json_t *delete_retention_policy(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "logGroupName");
    if (group_must_exist(r, name))
        return NULL;
    sqlite3_stmt *st = scoped(r, SQL_SET_RETENTION, name); /* ?4 unbound: NULL */
    return dd_exec(r, st) ? NULL : json_object();
}

/* ---- tags: by name (TagLogGroup...) and by ARN (TagResource...) ---------------------------------- */

/* The log group named by a log group ARN of this account and region (a new string), or NULL with an error. */
static char *group_of_arn(struct dd_request *r, const char *arn)
{
    char *prefix = dd_arn(r, "logs", "log-group:");
    size_t n = strlen(prefix);
    char *name = NULL;
    if (strncmp(arn, prefix, n) == 0 && arn[n]) {
        name = strdup(arn + n);
        size_t len = strlen(name);
        if (len >= 2 && strcmp(name + len - 2, ":*") == 0)
            name[len - 2] = '\0';
    }
    free(prefix);
    if (!name)
        dd_reject(r, 400, "ResourceNotFoundException", MSG_NO_GROUP);
    else if (group_must_exist(r, name)) {
        free(name);
        name = NULL;
    }
    return name;
}

static json_t *tag_log_group(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "logGroupName");
    if (group_must_exist(r, name) || tags_put(r, name, json_object_get(in, "tags")))
        return NULL;
    return json_object();
}

static json_t *untag_log_group(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "logGroupName");
    if (group_must_exist(r, name) || tags_remove(r, name, json_object_get(in, "tags")))
        return NULL;
    return json_object();
}

static json_t *list_tags_log_group(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "logGroupName");
    return group_must_exist(r, name) ? NULL : json_pack("{s:o}", "tags", tags_json(r, name));
}

static json_t *tag_resource(struct dd_request *r, json_t *in)
{
    char *name = group_of_arn(r, dd_in_str(in, "resourceArn"));
    int rc = name ? tags_put(r, name, json_object_get(in, "tags")) : -1;
    free(name);
    return rc ? NULL : json_object();
}

static json_t *untag_resource(struct dd_request *r, json_t *in)
{
    char *name = group_of_arn(r, dd_in_str(in, "resourceArn"));
    int rc = name ? tags_remove(r, name, json_object_get(in, "tagKeys")) : -1;
    free(name);
    return rc ? NULL : json_object();
}

static json_t *list_tags_for_resource(struct dd_request *r, json_t *in)
{
    char *name = group_of_arn(r, dd_in_str(in, "resourceArn"));
    json_t *out = name ? json_pack("{s:o}", "tags", tags_json(r, name)) : NULL;
    free(name);
    return out;
}

/* ---- log streams ----------------------------------------------------------------------------- */

static json_t *sequence_token(int64_t seq)
{
    return json_sprintf("49%054" PRId64, seq);
}

static json_t *stream_json(struct dd_request *r, const char *group, sqlite3_stmt *st)
{
    char *arn = dd_arn(r, "logs", "log-group:%s:log-stream:%s", group, col(st, 0));
    json_t *o = json_pack("{s:s, s:I, s:s, s:I, s:o}", "logStreamName", col(st, 0), "creationTime",
                          (json_int_t)sqlite3_column_int64(st, 1), "arn", arn, "storedBytes",
                          (json_int_t)sqlite3_column_int64(st, 5), "uploadSequenceToken",
                          sequence_token(sqlite3_column_int64(st, 6)));
    set_int_col(o, "firstEventTimestamp", st, 2);
    set_int_col(o, "lastEventTimestamp", st, 3);
    set_int_col(o, "lastIngestionTime", st, 4);
    free(arn);
    return o;
}

static bool stream_exists(struct dd_request *r, const char *group, const char *stream)
{
    sqlite3_stmt *st = scoped(r, SQL_STREAM, group);
    store_bind_text(st, 4, stream);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return found;
}

/* The group a stream call names: logGroupName, or logGroupIdentifier (a name or an ARN). */
static char *group_of(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "logGroupName"), *ident = dd_in_str(in, "logGroupIdentifier");
    if (name && ident) {
        dd_reject(r, 400, "InvalidParameterException", "LogGroup name and LogGroup ARN are mutually exclusive parameters.");
        return NULL;
    }
    if (ident && strncmp(ident, "arn:", 4) == 0)
        return group_of_arn(r, ident);
    name = name ? name : ident;
    if (!name) {
        dd_reject(r, 400, "InvalidParameterException", "Should provide either name or ARN of the log group.");
        return NULL;
    }
    if (group_must_exist(r, name))
        return NULL;
    return strdup(name);
}

static json_t *create_log_stream(struct dd_request *r, json_t *in)
{
    const char *group = dd_in_str(in, "logGroupName"), *name = dd_in_str(in, "logStreamName");
    if (strpbrk(name, ":*"))
        return dd_fail(r, 400, "InvalidParameterException",
                       "1 validation error detected: Value '%s' at 'logStreamName' failed to satisfy constraint: "
                       "Member must satisfy regular expression pattern: [^:*]*",
                       name);
    if (group_must_exist(r, group))
        return NULL;
    if (stream_exists(r, group, name))
        return dd_fail(r, 400, "ResourceAlreadyExistsException", "The specified log stream already exists");
    sqlite3_stmt *st = scoped(r, SQL_INSERT_STREAM, group);
    store_bind_text(st, 4, name);
    sqlite3_bind_int64(st, 5, r->now_ms);
    return dd_exec(r, st) ? NULL : json_object();
}

static json_t *delete_log_stream(struct dd_request *r, json_t *in)
{
    const char *group = dd_in_str(in, "logGroupName"), *name = dd_in_str(in, "logStreamName");
    if (group_must_exist(r, group))
        return NULL;
    if (!stream_exists(r, group, name))
        return dd_fail(r, 400, "ResourceNotFoundException", MSG_NO_STREAM);
    sqlite3_stmt *st = scoped(r, SQL_DELETE_STREAM_EVENTS, group);
    store_bind_text(st, 4, name);
    if (dd_exec(r, st))
        return NULL;
    st = scoped(r, SQL_DELETE_STREAM, group);
    store_bind_text(st, 4, name);
    return dd_exec(r, st) ? NULL : json_object();
}

static json_t *describe_log_streams(struct dd_request *r, json_t *in)
{
    const char *prefix = dd_in_str(in, "logStreamNamePrefix"), *order = dd_in_str(in, "orderBy");
    bool by_time = order && strcmp(order, "LastEventTime") == 0;
    if (by_time && prefix)
        return dd_fail(r, 400, "InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.");
    char *group = group_of(r, in);
    if (!group)
        return NULL;
    json_t *streams = json_array();
    sqlite3_stmt *st = scoped(r, by_time ? SQL_STREAMS_BY_TIME : SQL_STREAMS_BY_NAME, group);
    store_bind_text(st, 4, prefix);
    sqlite3_bind_int(st, 5, json_is_true(json_object_get(in, "descending")));
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(streams, stream_json(r, group, st));
    sqlite3_reset(st);
    free(group);
    return dd_page(in, streams, "logStreams", "limit", DEFAULT_GROUP_LIMIT);
}

/* ---- writing events ---------------------------------------------------------------------------- */

/* Stores events [from, to) of `events` (chronological) and updates the stream; returns its new sequence. */
static int64_t store_events(struct dd_request *r, const char *group, const char *stream, json_t *events, size_t from,
                            size_t to)
{
    int64_t bytes = 0;
    for (size_t i = from; i < to; i++) {
        json_t *e = json_array_get(events, i);
        const char *msg = dd_in_str(e, "message");
        sqlite3_stmt *st = scoped(r, SQL_INSERT_EVENT, group);
        store_bind_text(st, 4, stream);
        sqlite3_bind_int64(st, 5, dd_in_int(e, "timestamp", 0));
        sqlite3_bind_int64(st, 6, r->now_ms);
        store_bind_text(st, 7, msg);
        if (dd_exec(r, st))
            return -1;
        bytes += (int64_t)strlen(msg) + EVENT_OVERHEAD;
    }
    sqlite3_stmt *st = scoped(r, SQL_TOUCH_STREAM, group);
    store_bind_text(st, 4, stream);
    if (from < to) {
        sqlite3_bind_int64(st, 5, dd_in_int(json_array_get(events, from), "timestamp", 0));
        sqlite3_bind_int64(st, 6, dd_in_int(json_array_get(events, to - 1), "timestamp", 0));
    }
    sqlite3_bind_int64(st, 7, r->now_ms);
    sqlite3_bind_int64(st, 8, bytes);
    return dd_single_int(st, 0);
}

int logs_append(struct dd_request *r, const char *group, const char *stream, int64_t ts_ms, const char *message)
{
    if (group_must_exist(r, group))
        return -1;
    sqlite3_stmt *st = scoped(r, SQL_INSERT_STREAM, group);
    store_bind_text(st, 4, stream);
    sqlite3_bind_int64(st, 5, r->now_ms);
    if (dd_exec(r, st))
        return -1;
    json_t *events = json_pack("[{s:I, s:s}]", "timestamp", (json_int_t)ts_ms, "message", message);
    int64_t seq = store_events(r, group, stream, events, 0, 1);
    json_decref(events);
    return seq < 0 ? -1 : 0;
}

/* The batch rules PutLogEvents refuses outright. */
static int check_batch(struct dd_request *r, json_t *events)
{
    json_int_t first = dd_in_int(json_array_get(events, 0), "timestamp", 0), prev = first;
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e)
    {
        json_int_t ts = dd_in_int(e, "timestamp", 0);
        if (ts < prev)
            return dd_reject(r, 400, "InvalidParameterException",
                          "Log events in a single PutLogEvents request must be in chronological order.");
        prev = ts;
    }
    if (prev - first > 24 * 3600 * 1000LL)
        return dd_reject(r, 400, "InvalidParameterException",
                      "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.");
    return 0;
}

static json_t *put_log_events(struct dd_request *r, json_t *in)
{
    const char *group = dd_in_str(in, "logGroupName"), *stream = dd_in_str(in, "logStreamName");
    json_t *events = json_object_get(in, "logEvents");
    sqlite3_stmt *st = scoped(r, SQL_GROUP, group);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return dd_fail(r, 400, "ResourceNotFoundException", MSG_NO_GROUP);
    }
    int64_t retention = sqlite3_column_type(st, 2) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    if (!stream_exists(r, group, stream))
        return dd_fail(r, 400, "ResourceNotFoundException", MSG_NO_STREAM);
    if (check_batch(r, events))
        return NULL;
    /* events are chronological: the too old and expired ones lead, the too new ones trail */
    size_t n = json_array_size(events), too_old = 0, expired = 0, too_new = n;
    for (size_t i = 0; i < n; i++) {
        json_int_t ts = dd_in_int(json_array_get(events, i), "timestamp", 0);
        if (ts < r->now_ms - MAX_AGE_MS)
            too_old = i + 1;
        if (retention && ts < r->now_ms - retention * DAY_MS)
            expired = i + 1;
        if (ts > r->now_ms + MAX_FUTURE_MS && too_new == n)
            too_new = i;
    }
    size_t from = too_old > expired ? too_old : expired;
    int64_t seq = store_events(r, group, stream, events, from, too_new > from ? too_new : from);
    if (seq < 0)
        return NULL;
    json_t *out = json_pack("{s:o}", "nextSequenceToken", sequence_token(seq));
    if (too_old || expired || too_new < n) {
        json_t *info = json_object();
        if (too_old)
            json_object_set_new(info, "tooOldLogEventEndIndex", json_integer((json_int_t)too_old));
        if (expired)
            json_object_set_new(info, "expiredLogEventEndIndex", json_integer((json_int_t)expired));
        if (too_new < n)
            json_object_set_new(info, "tooNewLogEventStartIndex", json_integer((json_int_t)too_new));
        json_object_set_new(out, "rejectedLogEventsInfo", info);
    }
    return out;
}

/* ---- reading events ---------------------------------------------------------------------------- */

/* A position in (timestamp, id) order; GetLogEvents tokens are "f/" or "b/" then 20 + 16 digits. */
struct position {
    int64_t ts, id;
};

static const struct position POS_HEAD = {0, 0};
static const struct position POS_TAIL = {INT64_MAX, 0};

static json_t *token(char dir, struct position p)
{
    return json_sprintf("%c/%020" PRId64 "%016" PRId64, dir, p.ts, p.id);
}

static int parse_token(const char *s, char *dir, struct position *p)
{
    char ts[21] = "", id[17] = "";
    if (strlen(s) != 38 || (s[0] != 'f' && s[0] != 'b') || s[1] != '/' || strspn(s + 2, "0123456789") != 36)
        return -1;
    memcpy(ts, s + 2, 20);
    memcpy(id, s + 22, 16);
    *dir = s[0];
    p->ts = strtoll(ts, NULL, 10);
    p->id = strtoll(id, NULL, 10);
    return 0;
}

static json_t *get_log_events(struct dd_request *r, json_t *in)
{
    const char *stream = dd_in_str(in, "logStreamName"), *next = dd_in_str(in, "nextToken");
    char *group = group_of(r, in);
    if (!group)
        return NULL;
    json_t *out = NULL;
    char dir = json_is_true(json_object_get(in, "startFromHead")) ? 'f' : 'b';
    struct position pos = dir == 'f' ? POS_HEAD : POS_TAIL;
    if (!stream_exists(r, group, stream)) {
        dd_reject(r, 400, "ResourceNotFoundException", MSG_NO_STREAM);
        goto done;
    }
    if (next && parse_token(next, &dir, &pos)) {
        dd_reject(r, 400, "InvalidParameterException", "The specified nextToken is invalid.");
        goto done;
    }
    json_t *events = json_array();
    sqlite3_stmt *st = scoped(r, dir == 'f' ? SQL_EVENTS_AFTER : SQL_EVENTS_BEFORE, group);
    store_bind_text(st, 4, stream);
    sqlite3_bind_int64(st, 5, pos.ts);
    sqlite3_bind_int64(st, 6, pos.id);
    sqlite3_bind_int64(st, 7, dd_in_int(in, "startTime", 0));
    sqlite3_bind_int64(st, 8, dd_in_int(in, "endTime", INT64_MAX));
    sqlite3_bind_int64(st, 9, dd_in_int(in, "limit", DEFAULT_EVENT_LIMIT));
    struct position first = pos, last = pos;
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct position p = {sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 0)};
        json_t *e = json_pack("{s:I, s:s, s:I}", "timestamp", (json_int_t)p.ts, "message", col(st, 3),
                              "ingestionTime", (json_int_t)sqlite3_column_int64(st, 2));
        if (dir == 'f') {
            json_array_append_new(events, e);
            if (json_array_size(events) == 1)
                first = p;
            last = p;
        } else {
            json_array_insert_new(events, 0, e);
            if (json_array_size(events) == 1)
                last = p;
            first = p;
        }
    }
    sqlite3_reset(st);
    /* with no events, both tokens stay where the caller was: the end of the stream */
    out = json_pack("{s:o, s:o, s:o}", "events", events, "nextForwardToken", token('f', last), "nextBackwardToken",
                    token('b', first));
done:
    free(group);
    return out;
}

/* ---- filter patterns: terms, "quoted phrases", ?either, -excluded ----------------------------------- */

struct terms {
    json_t *required, *optional, *excluded; /* arrays of strings */
};

static void terms_parse(const char *pattern, struct terms *t)
{
    *t = (struct terms){json_array(), json_array(), json_array()};
    const char *p = pattern ? pattern : "";
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        json_t *into = t->required;
        if (*p == '?' || *p == '-') {
            into = *p == '?' ? t->optional : t->excluded;
            p++;
        }
        const char *start = p, *end;
        if (*p == '"') {
            start = ++p;
            end = strchr(p, '"');
            if (!end)
                end = p + strlen(p);
            p = *end ? end + 1 : end;
        } else {
            end = p + strcspn(p, " ");
            p = end;
        }
        if (end > start)
            json_array_append_new(into, json_stringn(start, (size_t)(end - start)));
    }
}

static void terms_free(struct terms *t)
{
    json_decref(t->required);
    json_decref(t->optional);
    json_decref(t->excluded);
}

static bool any_in(json_t *list, const char *message)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) if (strstr(message, json_string_value(v))) return true;
    return false;
}

static bool terms_match(const struct terms *t, const char *message)
{
    size_t i;
    json_t *v;
    json_array_foreach(t->required, i, v) if (!strstr(message, json_string_value(v))) return false;
    if (any_in(t->excluded, message))
        return false;
    return json_array_size(t->optional) == 0 || any_in(t->optional, message);
}

/* FilterLogEvents nextToken: the position of the last event returned. */
static json_t *filter_token(struct position p)
{
    return json_sprintf("%020" PRId64 "%016" PRId64, p.ts, p.id);
}

static int parse_filter_token(const char *s, struct position *p)
{
    char f[39];
    if (strlen(s) != 36 || strspn(s, "0123456789") != 36)
        return -1;
    snprintf(f, sizeof f, "f/%s", s);
    char dir;
    return parse_token(f, &dir, p);
}

static void bind_filter(sqlite3_stmt *st, json_t *in, const char *names)
{
    store_bind_text(st, 4, dd_in_str(in, "logStreamNamePrefix"));
    store_bind_text(st, 9, names);
}

static json_t *filter_log_events(struct dd_request *r, json_t *in)
{
    json_t *names = json_object_get(in, "logStreamNames");
    if (names && dd_in_str(in, "logStreamNamePrefix"))
        return dd_fail(r, 400, "InvalidParameterException",
                       "You cannot specify both logStreamNames and logStreamNamePrefix.");
    struct position pos = POS_HEAD;
    if (dd_in_str(in, "nextToken") && parse_filter_token(dd_in_str(in, "nextToken"), &pos))
        return dd_fail(r, 400, "InvalidParameterException", "The specified nextToken is invalid.");
    char *group = group_of(r, in);
    if (!group)
        return NULL;
    char *names_text = names ? json_dumps(names, JSON_COMPACT) : NULL;
    struct terms terms;
    terms_parse(dd_in_str(in, "filterPattern"), &terms);
    size_t limit = (size_t)dd_in_int(in, "limit", DEFAULT_EVENT_LIMIT);
    json_t *events = json_array(), *out;
    bool more = false;
    sqlite3_stmt *st = scoped(r, SQL_FILTER, group);
    bind_filter(st, in, names_text);
    sqlite3_bind_int64(st, 5, pos.ts);
    sqlite3_bind_int64(st, 6, pos.id);
    sqlite3_bind_int64(st, 7, dd_in_int(in, "startTime", 0));
    sqlite3_bind_int64(st, 8, dd_in_int(in, "endTime", INT64_MAX));
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (!terms_match(&terms, col(st, 3)))
            continue;
        if (json_array_size(events) == limit) {
            more = true;
            break;
        }
        pos = (struct position){sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 0)};
        json_array_append_new(events, json_pack("{s:s, s:I, s:s, s:I, s:o}", "logStreamName", col(st, 4), "timestamp",
                                                (json_int_t)pos.ts, "message", col(st, 3), "ingestionTime",
                                                (json_int_t)sqlite3_column_int64(st, 2), "eventId",
                                                filter_token(pos)));
    }
    sqlite3_reset(st);
    json_t *searched = json_array();
    st = scoped(r, SQL_FILTER_STREAMS, group);
    bind_filter(st, in, names_text);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(searched, json_pack("{s:s, s:b}", "logStreamName", col(st, 0), "searchedCompletely", 1));
    sqlite3_reset(st);
    out = json_pack("{s:o, s:o}", "events", events, "searchedLogStreams", searched);
    if (more)
        json_object_set_new(out, "nextToken", filter_token(pos));
    terms_free(&terms);
    free(names_text);
    free(group);
    return out;
}

/* ---- the service ------------------------------------------------------------------------------------ */

static const struct dd_handler handlers[] = {
    {"CreateLogGroup", create_log_group, 0},
    {"CreateLogStream", create_log_stream, 0},
    {"DeleteLogGroup", delete_log_group, 0},
    {"DeleteLogStream", delete_log_stream, 0},
    {"DeleteRetentionPolicy", delete_retention_policy, 0},
    {"DescribeLogGroups", describe_log_groups, DD_OP_READ},
    {"DescribeLogStreams", describe_log_streams, DD_OP_READ},
    {"FilterLogEvents", filter_log_events, DD_OP_READ},
    {"GetLogEvents", get_log_events, DD_OP_READ},
    {"ListTagsForResource", list_tags_for_resource, DD_OP_READ},
    {"ListTagsLogGroup", list_tags_log_group, DD_OP_READ},
    {"PutLogEvents", put_log_events, 0},
    {"PutRetentionPolicy", put_retention_policy, 0},
    {"TagLogGroup", tag_log_group, 0},
    {"TagResource", tag_resource, 0},
    {"UntagLogGroup", untag_log_group, 0},
    {"UntagResource", untag_resource, 0},
};

const struct dd_service dd_service_logs = {
    .model_id = "logs",
    .handlers = handlers,
    .handler_count = sizeof handlers / sizeof *handlers,
    /* CloudWatch Logs answers malformed input with InvalidParameterException */
    .validation_code = "InvalidParameterException",
    .schema = schema,
};
