/*
 * rds.c - Amazon RDS: the service table, the schema, the store every family
 * shares (see rds_internal.h), Describe paging and filters, tags, the
 * identifier rules and the admin actions.
 *
 * The families live beside this file: rds_instance.c (DB instances and their
 * lifecycle), rds_subnet_group.c, rds_param.c (parameter groups and
 * parameters), rds_snapshot.c (snapshots and restores), rds_engine.c
 * (engine versions, instance classes, orderable options).
 *
 * Admin actions, at /_drydock/rds/<action> (POST, JSON body):
 *   apply-pending  {"db_instance_identifier": ID, "account": ..., "region": ...}
 *   applies the instance's PendingModifiedValues now, as its next maintenance
 *   window would (the instance goes `modifying`, then `available`). Answers
 *   {"DBInstance": {...}} as DescribeDBInstances words it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rds_internal.h"
#include "sim.h"

#define MAX_TAGS 50

/* ---- the service ---------------------------------------------------------- */

#define RDS_ROW(op, flags) {#op, rds_op_##op, flags},
static const struct dd_handler handlers[] = {RDS_HANDLERS(RDS_ROW)};
#undef RDS_ROW

static const char *const schema[] = {
    /* 1: resources and tags */
    "CREATE TABLE rds_resources (seq INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,"
    " type TEXT NOT NULL, name TEXT NOT NULL, parent TEXT, doc TEXT NOT NULL);"
    "CREATE UNIQUE INDEX rds_resources_name ON rds_resources (account, region, type, name);"
    "CREATE INDEX rds_resources_parent ON rds_resources (account, region, type, parent, seq);"
    "CREATE TABLE rds_tags (account TEXT NOT NULL, region TEXT NOT NULL, arn TEXT NOT NULL,"
    " key TEXT NOT NULL, value TEXT NOT NULL, seq INTEGER NOT NULL,"
    " PRIMARY KEY (account, region, arn, key)) WITHOUT ROWID;",
    NULL,
};

static const struct sim_kind events[] = {
    {"rds.instance.settle", rds_instance_settle},
    {"rds.snapshot.available", rds_snapshot_available},
};

static json_t *admin(struct dd_request *r, const char *action, json_t *params)
{
    if (strcmp(action, "apply-pending") == 0)
        return rds_admin_apply_pending(r, params);
    return dd_fail(r, 404, "NotFound", "no such admin action: %s", action);
}

const struct dd_service dd_service_rds = {
    .model_id = "rds",
    .handlers = handlers,
    .handler_count = sizeof handlers / sizeof *handlers,
    .validation_code = "InvalidParameterValue",
    .schema = schema,
    .events = events,
    .event_count = sizeof events / sizeof *events,
    .admin = admin,
};

/* ---- kinds ------------------------------------------------------------------- */

const struct rds_kind rds_kind_db = {"db", "DBInstanceNotFound", "DBInstance %s not found."};
const struct rds_kind rds_kind_subgrp = {"subgrp", "DBSubnetGroupNotFoundFault", "DB subnet group '%s' does not exist."};
const struct rds_kind rds_kind_pg = {"pg", "DBParameterGroupNotFound", "DBParameterGroup not found: %s"};
const struct rds_kind rds_kind_snapshot = {"snapshot", "DBSnapshotNotFound", "DBSnapshot not found: %s"};

static const struct rds_kind *const KINDS[] = {&rds_kind_db, &rds_kind_subgrp, &rds_kind_pg, &rds_kind_snapshot};

/* ---- the store ---------------------------------------------------------------- */

#define RCOLS "seq, type, name, parent, doc"
static const char SQL_GET[] = "SELECT " RCOLS " FROM rds_resources WHERE account=?1 AND region=?2 AND type=?3"
                              " AND name=?4";
static const char SQL_PAGE[] = "SELECT " RCOLS " FROM rds_resources WHERE account=?1 AND region=?2 AND type=?3"
                               " AND (?4 IS NULL OR parent=?4) AND seq>?5 ORDER BY seq LIMIT ?6";
static const char SQL_COUNT[] = "SELECT count(*) FROM rds_resources WHERE account=?1 AND region=?2 AND type=?3"
                                " AND parent=?4";
static const char SQL_INSERT[] = "INSERT INTO rds_resources (account, region, type, name, parent, doc)"
                                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_UPDATE[] = "UPDATE rds_resources SET parent=?5, doc=?6 WHERE account=?1 AND region=?2"
                                 " AND type=?3 AND name=?4";
static const char SQL_DELETE[] = "DELETE FROM rds_resources WHERE account=?1 AND region=?2 AND type=?3 AND name=?4";
static const char SQL_TAGS_DELETE_ALL[] = "DELETE FROM rds_tags WHERE account=?1 AND region=?2 AND arn=?3";

void rds_lower(const char *s, char *out, size_t n)
{
    size_t i = 0;
    for (; s && s[i] && i + 1 < n; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[i] = '\0';
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void read_row(sqlite3_stmt *st, struct rds_res *out)
{
    memset(out, 0, sizeof *out);
    out->seq = sqlite3_column_int64(st, 0);
    const char *type = store_col_text(st, 1);
    for (size_t i = 0; i < sizeof KINDS / sizeof *KINDS; i++)
        if (strcmp(KINDS[i]->type, type) == 0)
            out->kind = KINDS[i];
    out->name = strdup(store_col_text(st, 2));
    out->parent = dup_or_null(store_col_text(st, 3));
    out->doc = json_loads(store_col_text(st, 4), 0, NULL);
    if (!out->doc)
        out->doc = json_object();
}

char *rds_arn(struct dd_request *r, const struct rds_kind *kind, const char *name)
{
    return dd_arn(r, "rds", "%s:%s", kind->type, name);
}

/* The name an input value gives: itself, or the last segment of an ARN of this kind. */
static const char *name_of_ref(struct dd_request *r, const struct rds_kind *kind, const char *ref)
{
    char prefix[160];
    int n = snprintf(prefix, sizeof prefix, "arn:aws:rds:%s:%s:%s:", r->region, r->account, kind->type);
    if (ref && n > 0 && strncmp(ref, prefix, (size_t)n) == 0)
        return ref + n;
    return ref;
}

int rds_load(struct dd_request *r, const struct rds_kind *kind, const char *name, struct rds_res *out)
{
    memset(out, 0, sizeof *out);
    if (!name)
        return 1;
    char lower[256];
    rds_lower(name_of_ref(r, kind, name), lower, sizeof lower);
    sqlite3_stmt *st = dd_stmt(r, SQL_GET);
    store_bind_text(st, 3, kind->type);
    store_bind_text(st, 4, lower);
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found)
        read_row(st, out);
    sqlite3_reset(st);
    return found ? 0 : 1;
}

int rds_get_or_err(struct dd_request *r, const struct rds_kind *kind, const char *name, struct rds_res *out)
{
    if (rds_load(r, kind, name, out) == 0)
        return 0;
    return dd_reject(r, 404, kind->not_found, kind->missing_fmt, name ? name_of_ref(r, kind, name) : "");
}

void rds_res_init(struct rds_res *res, const struct rds_kind *kind, const char *name, const char *parent)
{
    char lower[256];
    rds_lower(name, lower, sizeof lower);
    memset(res, 0, sizeof *res);
    res->kind = kind;
    res->name = strdup(lower);
    res->parent = dup_or_null(parent);
    res->doc = json_object();
}

void rds_res_save(struct dd_request *r, struct rds_res *res)
{
    sqlite3_stmt *st = dd_stmt(r, res->seq ? SQL_UPDATE : SQL_INSERT);
    char *doc = json_dumps(res->doc, JSON_COMPACT);
    store_bind_text(st, 3, res->kind->type);
    store_bind_text(st, 4, res->name);
    store_bind_text(st, 5, res->parent);
    store_bind_text(st, 6, doc);
    sqlite3_step(st);
    sqlite3_reset(st);
    if (!res->seq)
        res->seq = sqlite3_last_insert_rowid(store_sqlite(r->db));
    free(doc);
}

void rds_res_delete(struct dd_request *r, struct rds_res *res)
{
    char *arn = rds_arn(r, res->kind, res->name);
    sqlite3_stmt *st = dd_stmt(r, SQL_DELETE);
    store_bind_text(st, 3, res->kind->type);
    store_bind_text(st, 4, res->name);
    dd_exec(r, st);
    st = dd_stmt(r, SQL_TAGS_DELETE_ALL);
    store_bind_text(st, 3, arn);
    dd_exec(r, st);
    sim_cancel(r, NULL, arn);
    free(arn);
}

void rds_res_free(struct rds_res *res)
{
    free(res->name);
    free(res->parent);
    json_decref(res->doc);
    memset(res, 0, sizeof *res);
}

int64_t rds_count(struct dd_request *r, const struct rds_kind *kind, const char *parent)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_COUNT);
    store_bind_text(st, 3, kind->type);
    store_bind_text(st, 4, parent);
    return dd_single_int(st, 0);
}

void rds_first_child(struct dd_request *r, const struct rds_kind *kind, const char *parent, char out[256])
{
    sqlite3_stmt *st = dd_stmt(r, SQL_PAGE);
    store_bind_text(st, 3, kind->type);
    store_bind_text(st, 4, parent);
    sqlite3_bind_int64(st, 5, 0);
    sqlite3_bind_int64(st, 6, 1);
    out[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(out, 256, "%s", store_col_text(st, 2));
    sqlite3_reset(st);
}

/* Every row of `kind` (under `parent`) in creation order: a new array of loaded rows' names and seqs.
 * Collected first so that callers may run statements of their own while walking. */
static json_t *rows_of(struct dd_request *r, const struct rds_kind *kind, const char *parent)
{
    json_t *rows = json_array();
    int64_t after = 0;
    for (;;) {
        sqlite3_stmt *st = dd_stmt(r, SQL_PAGE);
        store_bind_text(st, 3, kind->type);
        store_bind_text(st, 4, parent);
        sqlite3_bind_int64(st, 5, after);
        sqlite3_bind_int64(st, 6, 500);
        int n = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            after = sqlite3_column_int64(st, 0);
            json_array_append_new(rows, json_pack("{s:I, s:s}", "seq", (json_int_t)after, "name",
                                                  store_col_text(st, 2)));
            n++;
        }
        sqlite3_reset(st);
        if (n < 500)
            return rows;
    }
}

void rds_each(struct dd_request *r, const struct rds_kind *kind, const char *parent, rds_each_fn fn, void *ctx)
{
    json_t *rows = rows_of(r, kind, parent);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        struct rds_res res;
        if (rds_load(r, kind, dd_in_str(row, "name"), &res) == 0) {
            fn(r, &res, ctx);
            rds_res_free(&res);
        }
    }
    json_decref(rows);
}

json_t *rds_public(struct dd_request *r, struct rds_res *res, bool with_tags)
{
    json_t *out = json_object();
    const char *key;
    json_t *v;
    json_object_foreach(res->doc, key, v)
    {
        if (key[0] != '_')
            json_object_set(out, key, v);
    }
    if (with_tags) {
        char *arn = rds_arn(r, res->kind, res->name);
        json_object_set_new(out, "TagList", rds_tags_of(r, arn));
        free(arn);
    }
    return out;
}

/* ---- Describe paging and filters ------------------------------------------------ */

/* MaxRecords as AWS bounds it: 0 and the size, or -1 with the error. */
static int max_records_or_err(struct dd_request *r, json_t *in, int64_t *size)
{
    *size = dd_in_int(in, "MaxRecords", 100);
    if (*size < 20 || *size > 100)
        return dd_reject(r, 400, "InvalidParameterValue",
                         "Invalid value %lld for MaxRecords. Must be between 20 and 100", (long long)*size);
    return 0;
}

/* A marker: the decimal the previous page ended at. */
static int marker_or_err(struct dd_request *r, json_t *in, int64_t *after)
{
    const char *marker = dd_in_str(in, "Marker");
    char *end;
    *after = 0;
    if (!marker)
        return 0;
    long long v = strtoll(marker, &end, 10);
    if (!*marker || *end || v < 0)
        return dd_reject(r, 400, "InvalidParameterValue", "Invalid marker: %s", marker);
    *after = v;
    return 0;
}

json_t *rds_describe(struct dd_request *r, json_t *in, const struct rds_kind *kind, const char *member,
                     bool with_tags, rds_keep_fn keep, void *ctx)
{
    int64_t size, after;
    if (max_records_or_err(r, in, &size) || marker_or_err(r, in, &after))
        return NULL;
    json_t *rows = rows_of(r, kind, NULL), *items = json_array(), *out;
    int64_t last = 0;
    bool more = false;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        struct rds_res res;
        if (dd_in_int(row, "seq", 0) <= after || rds_load(r, kind, dd_in_str(row, "name"), &res))
            continue;
        if (!keep || keep(r, &res, ctx)) {
            if ((int64_t)json_array_size(items) == size)
                more = true;
            else {
                json_array_append_new(items, rds_public(r, &res, with_tags));
                last = res.seq;
            }
        }
        rds_res_free(&res);
        if (more)
            break;
    }
    json_decref(rows);
    out = json_pack("{s:o}", member, items);
    if (more)
        json_object_set_new(out, "Marker", json_sprintf("%lld", (long long)last));
    return out;
}

json_t *rds_page_list(struct dd_request *r, json_t *in, json_t *items, const char *member)
{
    int64_t size, start;
    if (max_records_or_err(r, in, &size) || marker_or_err(r, in, &start)) {
        json_decref(items);
        return NULL;
    }
    json_t *page = json_array();
    for (size_t i = (size_t)start; i < json_array_size(items) && (int64_t)json_array_size(page) < size; i++)
        json_array_append(page, json_array_get(items, i));
    json_t *out = json_pack("{s:o}", member, page);
    if ((size_t)start + json_array_size(page) < json_array_size(items))
        json_object_set_new(out, "Marker", json_sprintf("%zu", (size_t)start + json_array_size(page)));
    json_decref(items);
    return out;
}

int rds_filters_check(struct dd_request *r, json_t *filters, const char *const *known)
{
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f)
    {
        const char *name = dd_in_str(f, "Name");
        bool ok = false;
        for (const char *const *k = known; *k && name; k++)
            ok |= strcmp(*k, name) == 0;
        if (!ok)
            return dd_reject(r, 400, "InvalidParameterValue", "Unrecognized filter name: %s", name ? name : "");
    }
    return 0;
}

bool rds_filter_pass(json_t *filters, const char *name, const char *value)
{
    size_t i, j;
    json_t *f, *v;
    json_array_foreach(filters, i, f)
    {
        if (strcmp(dd_in_str(f, "Name"), name) != 0)
            continue;
        bool any = false;
        json_array_foreach(json_object_get(f, "Values"), j, v)
        {
            const char *want = json_string_value(v), *tail = want ? strrchr(want, ':') : NULL;
            /* identifiers may be given as ARNs; names compare without case */
            any |= value && want && (strcasecmp(want, value) == 0 || (tail && strcasecmp(tail + 1, value) == 0));
        }
        if (!any)
            return false;
    }
    return true;
}

/* ---- identifiers --------------------------------------------------------------------- */

int rds_identifier_or_err(struct dd_request *r, const char *member, const char *value, size_t max)
{
    size_t n = value ? strlen(value) : 0;
    bool ok = n > 0 && n <= max && isalpha((unsigned char)value[0]) && value[n - 1] != '-' && !strstr(value, "--");
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)value[i]) || value[i] == '-';
    if (ok)
        return 0;
    return dd_reject(r, 400, "InvalidParameterValue",
                     "The parameter %s is not a valid identifier. Identifiers must begin with a letter; must contain "
                     "only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two "
                     "consecutive hyphens.",
                     member);
}

/* ---- tags ------------------------------------------------------------------------------ */

static const char SQL_TAG_PUT[] = "INSERT INTO rds_tags (account, region, arn, key, value, seq) VALUES (?1, ?2, ?3,"
                                  " ?4, ?5, (SELECT coalesce(max(seq), 0) + 1 FROM rds_tags WHERE account=?1 AND"
                                  " region=?2 AND arn=?3)) ON CONFLICT (account, region, arn, key) DO UPDATE SET"
                                  " value=excluded.value";
static const char SQL_TAG_DELETE[] = "DELETE FROM rds_tags WHERE account=?1 AND region=?2 AND arn=?3 AND key=?4";
static const char SQL_TAG_LIST[] = "SELECT key, value FROM rds_tags WHERE account=?1 AND region=?2 AND arn=?3"
                                   " ORDER BY seq";
static const char SQL_TAG_COUNT_AFTER[] =
    "SELECT count(*) FROM (SELECT key FROM rds_tags WHERE account=?1 AND region=?2 AND arn=?3"
    " UNION SELECT value FROM json_each(?4))";

int rds_tags_add(struct dd_request *r, const char *arn, json_t *tags)
{
    if (!json_array_size(tags))
        return 0;
    json_t *keys = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        json_array_append_new(keys, json_string(dd_in_str(t, "Key") ? dd_in_str(t, "Key") : ""));
    }
    char *text = json_dumps(keys, JSON_COMPACT);
    json_decref(keys);
    sqlite3_stmt *st = dd_stmt(r, SQL_TAG_COUNT_AFTER);
    store_bind_text(st, 3, arn);
    store_bind_text(st, 4, text);
    free(text);
    if (dd_single_int(st, 0) > MAX_TAGS)
        return dd_reject(r, 400, "TagQuotaPerResourceExceeded", "Cannot add more than 50 tags to a resource");
    json_array_foreach(tags, i, t)
    {
        if (!dd_in_str(t, "Key"))
            return dd_reject(r, 400, "InvalidParameterValue", "Tag key must not be empty");
        st = dd_stmt(r, SQL_TAG_PUT);
        store_bind_text(st, 3, arn);
        store_bind_text(st, 4, dd_in_str(t, "Key"));
        store_bind_text(st, 5, dd_in_str(t, "Value") ? dd_in_str(t, "Value") : "");
        if (dd_exec(r, st))
            return -1;
    }
    return 0;
}

json_t *rds_tags_of(struct dd_request *r, const char *arn)
{
    json_t *tags = json_array();
    sqlite3_stmt *st = dd_stmt(r, SQL_TAG_LIST);
    store_bind_text(st, 3, arn);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(tags,
                              json_pack("{s:s, s:s}", "Key", store_col_text(st, 0), "Value", store_col_text(st, 1)));
    sqlite3_reset(st);
    return tags;
}

/*
 * The resource an ARN of the tagging calls names must exist: 0, or -1 with
 * the kind's not-found error (any other ARN: InvalidParameterValue).
 */
static int tag_target_or_err(struct dd_request *r, const char *arn)
{
    for (size_t i = 0; i < sizeof KINDS / sizeof *KINDS; i++) {
        char *prefix = rds_arn(r, KINDS[i], "");
        bool mine = strncmp(arn, prefix, strlen(prefix)) == 0 && arn[strlen(prefix)];
        free(prefix);
        if (!mine)
            continue;
        struct rds_res res;
        if (rds_get_or_err(r, KINDS[i], arn, &res))
            return -1;
        rds_res_free(&res);
        return 0;
    }
    return dd_reject(r, 400, "InvalidParameterValue", "Invalid resource name: %s", arn);
}

json_t *rds_op_AddTagsToResource(struct dd_request *r, json_t *in)
{
    const char *arn = dd_in_str(in, "ResourceName");
    if (tag_target_or_err(r, arn) || rds_tags_add(r, arn, json_object_get(in, "Tags")))
        return NULL;
    return json_object();
}

json_t *rds_op_RemoveTagsFromResource(struct dd_request *r, json_t *in)
{
    const char *arn = dd_in_str(in, "ResourceName");
    if (tag_target_or_err(r, arn))
        return NULL;
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(in, "TagKeys"), i, k)
    {
        sqlite3_stmt *st = dd_stmt(r, SQL_TAG_DELETE);
        store_bind_text(st, 3, arn);
        store_bind_text(st, 4, json_string_value(k));
        if (dd_exec(r, st))
            return NULL;
    }
    return json_object();
}

json_t *rds_op_ListTagsForResource(struct dd_request *r, json_t *in)
{
    const char *arn = dd_in_str(in, "ResourceName");
    if (tag_target_or_err(r, arn))
        return NULL;
    return json_pack("{s:o}", "TagList", rds_tags_of(r, arn));
}
