/*
 * elbv2.c - Elastic Load Balancing v2: the service table, the schema, the
 * store every family shares (see elbv2_internal.h), Describe paging, tags,
 * links, attributes, account limits and the admin actions.
 *
 * The families live beside this file: elbv2_lb.c (load balancers),
 * elbv2_tg.c (target groups, targets and their health, and the interface
 * ECS calls, elbv2.h), elbv2_listener.c (listeners, actions, rules,
 * certificates and SSL policies).
 *
 * Admin actions, at /_drydock/elbv2/<action> (POST, JSON body):
 *   target-health  {"target_group_arn": ARN, "target_id": "10.0.1.5",
 *                   "port": 8000 (default: the group's port),
 *                   "state": "unhealthy" | "healthy",
 *                   "reason": "Target.ResponseCodeMismatch" (default) |
 *                             "Target.Timeout" | "Target.FailedHealthChecks",
 *                   "account": ..., "region": ... (optional)}
 *   marks a registered target unhealthy (as its health checks would after
 *   failing) or healthy again, so scenarios can exercise failures. Answers
 *   {"TargetHealthDescription": {...}} as DescribeTargetHealth words it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elbv2_internal.h"
#include "fixtures.h"
#include "sim.h"

#define MAX_TAGS 50

/* ---- the service ---------------------------------------------------------- */

#define ELBV2_ROW(op, flags) {#op, elbv2_op_##op, flags},
static const struct dd_handler handlers[] = {ELBV2_HANDLERS(ELBV2_ROW)};
#undef ELBV2_ROW

static const char *const schema[] = {
    /* 1: resources, tags, forwarding links, targets */
    "CREATE TABLE elbv2_resources (seq INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,"
    " type TEXT NOT NULL, arn TEXT NOT NULL, name TEXT, parent TEXT, num INTEGER NOT NULL DEFAULT 0,"
    " doc TEXT NOT NULL, attrs TEXT NOT NULL);"
    "CREATE UNIQUE INDEX elbv2_resources_arn ON elbv2_resources (account, region, arn);"
    "CREATE INDEX elbv2_resources_name ON elbv2_resources (account, region, type, name);"
    "CREATE INDEX elbv2_resources_parent ON elbv2_resources (account, region, type, parent, seq);"
    "CREATE TABLE elbv2_tags (account TEXT NOT NULL, region TEXT NOT NULL, arn TEXT NOT NULL,"
    " key TEXT NOT NULL, value TEXT NOT NULL, seq INTEGER NOT NULL,"
    " PRIMARY KEY (account, region, arn, key)) WITHOUT ROWID;"
    "CREATE TABLE elbv2_links (account TEXT NOT NULL, region TEXT NOT NULL, owner TEXT NOT NULL,"
    " tg_arn TEXT NOT NULL, lb_arn TEXT NOT NULL, PRIMARY KEY (account, region, owner, tg_arn)) WITHOUT ROWID;"
    "CREATE INDEX elbv2_links_tg ON elbv2_links (account, region, tg_arn);"
    "CREATE INDEX elbv2_links_lb ON elbv2_links (account, region, lb_arn);"
    "CREATE TABLE elbv2_targets (seq INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,"
    " tg_arn TEXT NOT NULL, target_id TEXT NOT NULL, port INTEGER NOT NULL, zone TEXT,"
    " state TEXT NOT NULL, reason TEXT, description TEXT);"
    "CREATE UNIQUE INDEX elbv2_targets_key ON elbv2_targets (account, region, tg_arn, target_id, port);",
    NULL,
};

static const struct sim_kind events[] = {
    {"elbv2.load_balancer.active", elbv2_lb_active},
    {"elbv2.target.healthy", elbv2_target_healthy},
    {"elbv2.target.removed", elbv2_target_removed},
};

static json_t *admin(struct dd_request *r, const char *action, json_t *params)
{
    if (strcmp(action, "target-health") == 0)
        return elbv2_admin_target_health(r, params);
    return dd_fail(r, 404, "NotFound", "no such admin action: %s", action);
}

const struct dd_service dd_service_elbv2 = {
    .model_id = "elbv2",
    .handlers = handlers,
    .handler_count = sizeof handlers / sizeof *handlers,
    .validation_code = "ValidationError",
    .schema = schema,
    .events = events,
    .event_count = sizeof events / sizeof *events,
    .admin = admin,
};

/* ---- kinds ------------------------------------------------------------------ */

const struct elbv2_kind elbv2_kind_lb = {"lb", "loadbalancer/", "load balancer", "LoadBalancerNotFound",
                                         "Load balancers '[%s]' not found"};
const struct elbv2_kind elbv2_kind_tg = {"tg", "targetgroup/", "target group", "TargetGroupNotFound",
                                         "One or more target groups not found"};
const struct elbv2_kind elbv2_kind_listener = {"listener", "listener/", "listener", "ListenerNotFound",
                                               "One or more listeners not found"};
const struct elbv2_kind elbv2_kind_rule = {"rule", "listener-rule/", "listener rule", "RuleNotFound",
                                           "One or more rules not found"};

/* ---- the store ---------------------------------------------------------------- */

#define RCOLS "seq, type, arn, name, parent, num, doc, attrs"
static const char SQL_GET[] = "SELECT " RCOLS " FROM elbv2_resources WHERE account=?1 AND region=?2 AND arn=?3";
static const char SQL_BY_NAME[] =
    "SELECT " RCOLS " FROM elbv2_resources WHERE account=?1 AND region=?2 AND type=?3 AND name=?4";
static const char SQL_PAGE[] = "SELECT " RCOLS " FROM elbv2_resources WHERE account=?1 AND region=?2 AND type=?3"
                               " AND (?4 IS NULL OR parent=?4) AND seq>?5 ORDER BY seq LIMIT ?6";
static const char SQL_COUNT[] = "SELECT count(*) FROM elbv2_resources WHERE account=?1 AND region=?2 AND type=?3"
                                " AND (?4 IS NULL OR parent=?4)";
static const char SQL_INSERT[] = "INSERT INTO elbv2_resources (account, region, type, arn, name, parent, num, doc,"
                                 " attrs) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SQL_UPDATE[] = "UPDATE elbv2_resources SET name=?5, parent=?6, num=?7, doc=?8, attrs=?9"
                                 " WHERE account=?1 AND region=?2 AND type=?3 AND arn=?4";
static const char SQL_DELETE[] = "DELETE FROM elbv2_resources WHERE account=?1 AND region=?2 AND arn=?3";
static const char SQL_TAGS_DELETE_ALL[] = "DELETE FROM elbv2_tags WHERE account=?1 AND region=?2 AND arn=?3";
static const char SQL_LINKS_DELETE_OWNER[] = "DELETE FROM elbv2_links WHERE account=?1 AND region=?2 AND owner=?3";

static const struct elbv2_kind *kind_of(const char *type)
{
    static const struct elbv2_kind *const all[] = {&elbv2_kind_lb, &elbv2_kind_tg, &elbv2_kind_listener,
                                                   &elbv2_kind_rule};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (strcmp(all[i]->type, type) == 0)
            return all[i];
    return NULL;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void read_row(sqlite3_stmt *st, struct elbv2_res *out)
{
    memset(out, 0, sizeof *out);
    out->seq = sqlite3_column_int64(st, 0);
    out->kind = kind_of(store_col_text(st, 1));
    out->arn = dup_or_null(store_col_text(st, 2));
    out->name = dup_or_null(store_col_text(st, 3));
    out->parent = dup_or_null(store_col_text(st, 4));
    out->num = sqlite3_column_int64(st, 5);
    out->doc = json_loads(store_col_text(st, 6), 0, NULL);
    out->attrs = json_loads(store_col_text(st, 7), 0, NULL);
    if (!out->doc)
        out->doc = json_object();
    if (!out->attrs)
        out->attrs = json_object();
}

/* Steps `st` once into `out`: 0 found, 1 absent (st reset either way). */
static int load_one(sqlite3_stmt *st, const struct elbv2_kind *kind, struct elbv2_res *out)
{
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found)
        read_row(st, out);
    sqlite3_reset(st);
    if (found && kind && out->kind != kind) {
        elbv2_res_free(out);
        found = 0;
    }
    return found ? 0 : 1;
}

int elbv2_load(struct dd_request *r, const struct elbv2_kind *kind, const char *arn, struct elbv2_res *out)
{
    memset(out, 0, sizeof *out);
    if (!arn)
        return 1;
    sqlite3_stmt *st = dd_stmt(r, SQL_GET);
    store_bind_text(st, 3, arn);
    return load_one(st, kind, out);
}

int elbv2_load_by_name(struct dd_request *r, const struct elbv2_kind *kind, const char *name, struct elbv2_res *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = dd_stmt(r, SQL_BY_NAME);
    store_bind_text(st, 3, kind->type);
    store_bind_text(st, 4, name);
    return load_one(st, kind, out);
}

bool elbv2_arn_wellformed(struct dd_request *r, const struct elbv2_kind *kind, const char *arn)
{
    char prefix[160];
    int n =
        snprintf(prefix, sizeof prefix, "arn:aws:elasticloadbalancing:%s:%s:%s", r->region, r->account, kind->segment);
    return arn && n > 0 && strncmp(arn, prefix, (size_t)n) == 0 && arn[n] != '\0';
}

int elbv2_malformed(struct dd_request *r, const struct elbv2_kind *kind, const char *arn)
{
    return dd_reject(r, 400, "ValidationError", "'%s' is not a valid %s ARN", arn ? arn : "", kind->noun);
}

int elbv2_get_or_err(struct dd_request *r, const struct elbv2_kind *kind, const char *arn, struct elbv2_res *out)
{
    memset(out, 0, sizeof *out);
    if (!elbv2_arn_wellformed(r, kind, arn))
        return elbv2_malformed(r, kind, arn);
    if (elbv2_load(r, kind, arn, out) == 0)
        return 0;
    return dd_reject(r, 400, kind->not_found, kind->missing_fmt, arn);
}

void elbv2_res_init(struct elbv2_res *res, const struct elbv2_kind *kind, const char *arn, const char *name,
                    const char *parent)
{
    memset(res, 0, sizeof *res);
    res->kind = kind;
    res->arn = dup_or_null(arn);
    res->name = dup_or_null(name);
    res->parent = dup_or_null(parent);
    res->doc = json_object();
    res->attrs = json_object();
}

void elbv2_res_save(struct dd_request *r, struct elbv2_res *res)
{
    sqlite3_stmt *st = dd_stmt(r, res->seq ? SQL_UPDATE : SQL_INSERT);
    char *doc = json_dumps(res->doc, JSON_COMPACT), *attrs = json_dumps(res->attrs, JSON_COMPACT);
    store_bind_text(st, 3, res->kind->type);
    store_bind_text(st, 4, res->arn);
    store_bind_text(st, 5, res->name);
    store_bind_text(st, 6, res->parent);
    sqlite3_bind_int64(st, 7, res->num);
    store_bind_text(st, 8, doc);
    store_bind_text(st, 9, attrs);
    sqlite3_step(st);
    sqlite3_reset(st);
    if (!res->seq)
        res->seq = sqlite3_last_insert_rowid(store_sqlite(r->db));
    free(doc);
    free(attrs);
}

void elbv2_res_delete(struct dd_request *r, const char *arn)
{
    static const char *const sqls[] = {SQL_DELETE, SQL_TAGS_DELETE_ALL, SQL_LINKS_DELETE_OWNER};
    for (size_t i = 0; i < sizeof sqls / sizeof *sqls; i++) {
        sqlite3_stmt *st = dd_stmt(r, sqls[i]);
        store_bind_text(st, 3, arn);
        dd_exec(r, st);
    }
}

void elbv2_res_free(struct elbv2_res *res)
{
    free(res->arn);
    free(res->name);
    free(res->parent);
    json_decref(res->doc);
    json_decref(res->attrs);
    memset(res, 0, sizeof *res);
}

json_t *elbv2_public(json_t *doc)
{
    json_t *out = json_object();
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v)
    {
        if (key[0] != '_')
            json_object_set(out, key, v);
    }
    return out;
}

int elbv2_each(struct dd_request *r, const struct elbv2_kind *kind, const char *parent, elbv2_each_fn fn, void *ctx)
{
    /* Collect first: fn may run statements of its own (even this one). */
    json_t *arns = json_array();
    int64_t after = 0;
    for (;;) {
        sqlite3_stmt *st = dd_stmt(r, SQL_PAGE);
        store_bind_text(st, 3, kind->type);
        store_bind_text(st, 4, parent);
        sqlite3_bind_int64(st, 5, after);
        sqlite3_bind_int64(st, 6, 500);
        int n = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            json_array_append_new(arns, json_string(store_col_text(st, 2)));
            after = sqlite3_column_int64(st, 0);
            n++;
        }
        sqlite3_reset(st);
        if (n < 500)
            break;
    }
    int rc = 0;
    size_t i;
    json_t *arn;
    json_array_foreach(arns, i, arn)
    {
        struct elbv2_res res;
        if (elbv2_load(r, kind, json_string_value(arn), &res))
            continue;
        rc = fn(r, &res, ctx);
        elbv2_res_free(&res);
        if (rc)
            break;
    }
    json_decref(arns);
    return rc;
}

int64_t elbv2_count(struct dd_request *r, const struct elbv2_kind *kind, const char *parent)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_COUNT);
    store_bind_text(st, 3, kind->type);
    store_bind_text(st, 4, parent);
    return dd_single_int(st, 0);
}

void elbv2_new_id(char out[17])
{
    dd_random_hex(out, 16);
}

/* Fixtures are parsed once and kept for the life of the process. */
static struct {
    pthread_mutex_t lock;
    json_t *loaded; /* name -> document */
} fixtures = {.lock = PTHREAD_MUTEX_INITIALIZER};

json_t *elbv2_fixture(const char *name)
{
    pthread_mutex_lock(&fixtures.lock);
    if (!fixtures.loaded)
        fixtures.loaded = json_object();
    json_t *doc = json_object_get(fixtures.loaded, name);
    if (!doc) {
        doc = fixture_json(name);
        if (!doc)
            doc = json_object();
        json_object_set_new(fixtures.loaded, name, doc);
    }
    pthread_mutex_unlock(&fixtures.lock);
    return doc;
}

/* ---- Describe ------------------------------------------------------------------ */

/* Markers are the last row's seq, as an opaque-looking decimal. */
static int marker_parse(struct dd_request *r, const char *marker, int64_t *after)
{
    char *end;
    *after = 0;
    if (!marker)
        return 0;
    long long v = strtoll(marker, &end, 10);
    if (*marker == '\0' || *end != '\0' || v < 0)
        return dd_reject(r, 400, "ValidationError", "The marker '%s' is not valid", marker);
    *after = v;
    return 0;
}

static json_t *describe_arns(struct dd_request *r, const struct elbv2_kind *kind, json_t *arns, elbv2_render_fn render)
{
    size_t i;
    json_t *arn, *items = json_array();
    json_array_foreach(arns, i, arn)
    {
        if (!elbv2_arn_wellformed(r, kind, json_string_value(arn))) {
            json_decref(items);
            elbv2_malformed(r, kind, json_string_value(arn));
            return NULL;
        }
    }
    json_array_foreach(arns, i, arn)
    {
        struct elbv2_res res;
        json_t *item = NULL;
        if (elbv2_load(r, kind, json_string_value(arn), &res) == 0) {
            item = render(r, &res);
            elbv2_res_free(&res);
        } else {
            dd_fail(r, 400, kind->not_found, kind->missing_fmt, json_string_value(arn));
        }
        if (!item) {
            json_decref(items);
            return NULL;
        }
        json_array_append_new(items, item);
    }
    return items;
}

json_t *elbv2_describe(struct dd_request *r, json_t *in, const struct elbv2_kind *kind, json_t *arns,
                       const char *parent, const char *member, elbv2_render_fn render)
{
    if (json_array_size(arns)) {
        json_t *items = describe_arns(r, kind, arns, render);
        return items ? json_pack("{s:o}", member, items) : NULL;
    }
    int64_t after, size = dd_in_int(in, "PageSize", 400), last = 0;
    if (marker_parse(r, dd_in_str(in, "Marker"), &after))
        return NULL;
    sqlite3_stmt *st = dd_stmt(r, SQL_PAGE);
    store_bind_text(st, 3, kind->type);
    store_bind_text(st, 4, parent);
    sqlite3_bind_int64(st, 5, after);
    sqlite3_bind_int64(st, 6, size + 1);
    json_t *rows = json_array();
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(rows, json_pack("{s:I, s:s}", "seq", (json_int_t)sqlite3_column_int64(st, 0), "arn",
                                              store_col_text(st, 2)));
    sqlite3_reset(st);
    bool more = (int64_t)json_array_size(rows) > size;
    json_t *items = json_array();
    for (size_t i = 0; i < json_array_size(rows) && (int64_t)i < size; i++) {
        json_t *row = json_array_get(rows, i);
        struct elbv2_res res;
        if (elbv2_load(r, kind, dd_in_str(row, "arn"), &res))
            continue;
        json_t *item = render(r, &res);
        elbv2_res_free(&res);
        if (!item) {
            json_decref(rows);
            json_decref(items);
            return NULL;
        }
        json_array_append_new(items, item);
        last = dd_in_int(row, "seq", 0);
    }
    json_decref(rows);
    json_t *out = json_pack("{s:o}", member, items);
    if (more) {
        char marker[32];
        snprintf(marker, sizeof marker, "%lld", (long long)last);
        json_object_set_new(out, "NextMarker", json_string(marker));
    }
    return out;
}

/* ---- tags --------------------------------------------------------------------------- */

static const char SQL_TAG_PUT[] = "INSERT INTO elbv2_tags (account, region, arn, key, value, seq) VALUES (?1, ?2, ?3,"
                                  " ?4, ?5, (SELECT coalesce(max(seq), 0) + 1 FROM elbv2_tags WHERE account=?1 AND"
                                  " region=?2 AND arn=?3)) ON CONFLICT (account, region, arn, key) DO UPDATE SET"
                                  " value=excluded.value";
static const char SQL_TAG_DELETE[] = "DELETE FROM elbv2_tags WHERE account=?1 AND region=?2 AND arn=?3 AND key=?4";
static const char SQL_TAG_LIST[] = "SELECT key, value FROM elbv2_tags WHERE account=?1 AND region=?2 AND arn=?3"
                                   " ORDER BY seq";
static const char SQL_TAG_COUNT_AFTER[] =
    "SELECT count(*) FROM (SELECT key FROM elbv2_tags WHERE account=?1 AND region=?2 AND arn=?3"
    " UNION SELECT value FROM json_each(?4))";

/* Tag keys given more than once: the first one, or NULL. */
static const char *duplicate_key(json_t *tags)
{
    size_t i, j;
    json_t *a, *b;
    json_array_foreach(tags, i, a)
    {
        json_array_foreach(tags, j, b)
        {
            if (j > i && strcmp(dd_in_str(a, "Key"), dd_in_str(b, "Key")) == 0)
                return dd_in_str(a, "Key");
        }
    }
    return NULL;
}

int elbv2_tags_add(struct dd_request *r, const char *arn, json_t *tags)
{
    if (!json_array_size(tags))
        return 0;
    const char *dup = duplicate_key(tags);
    if (dup)
        return dd_reject(r, 400, "DuplicateTagKeys", "Tag key was specified more than once: %s", dup);
    json_t *keys = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        json_array_append_new(keys, json_string(dd_in_str(t, "Key")));
    }
    char *text = json_dumps(keys, JSON_COMPACT);
    json_decref(keys);
    sqlite3_stmt *st = dd_stmt(r, SQL_TAG_COUNT_AFTER);
    store_bind_text(st, 3, arn);
    store_bind_text(st, 4, text);
    free(text);
    if (dd_single_int(st, 0) > MAX_TAGS)
        return dd_reject(r, 400, "TooManyTags",
                         "The quota for the number of tags that can be assigned to a load "
                         "balancer has been reached");
    json_array_foreach(tags, i, t)
    {
        st = dd_stmt(r, SQL_TAG_PUT);
        store_bind_text(st, 3, arn);
        store_bind_text(st, 4, dd_in_str(t, "Key"));
        store_bind_text(st, 5, dd_in_str(t, "Value") ? dd_in_str(t, "Value") : "");
        if (dd_exec(r, st))
            return -1;
    }
    return 0;
}

static json_t *tags_of(struct dd_request *r, const char *arn)
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

/* The kind an ARN of the tagging calls names (listener-rule before listener). */
static const struct elbv2_kind *tag_kind(struct dd_request *r, const char *arn)
{
    static const struct elbv2_kind *const order[] = {&elbv2_kind_lb, &elbv2_kind_tg, &elbv2_kind_rule,
                                                     &elbv2_kind_listener};
    for (size_t i = 0; i < sizeof order / sizeof *order; i++)
        if (elbv2_arn_wellformed(r, order[i], arn))
            return order[i];
    return NULL;
}

/* Every ARN of the call names an existing resource: 0, or -1 with the error. */
static int tag_resources_or_err(struct dd_request *r, json_t *arns)
{
    size_t i;
    json_t *a;
    json_array_foreach(arns, i, a)
    {
        const char *arn = json_string_value(a);
        const struct elbv2_kind *kind = tag_kind(r, arn);
        struct elbv2_res res;
        if (!kind)
            return dd_reject(r, 400, "ValidationError", "'%s' is not a valid resource ARN", arn);
        if (elbv2_get_or_err(r, kind, arn, &res))
            return -1;
        elbv2_res_free(&res);
    }
    return 0;
}

json_t *elbv2_op_AddTags(struct dd_request *r, json_t *in)
{
    json_t *arns = json_object_get(in, "ResourceArns");
    if (tag_resources_or_err(r, arns))
        return NULL;
    size_t i;
    json_t *a;
    json_array_foreach(arns, i, a)
    {
        if (elbv2_tags_add(r, json_string_value(a), json_object_get(in, "Tags")))
            return NULL;
    }
    return json_object();
}

json_t *elbv2_op_RemoveTags(struct dd_request *r, json_t *in)
{
    json_t *arns = json_object_get(in, "ResourceArns");
    if (tag_resources_or_err(r, arns))
        return NULL;
    size_t i, j;
    json_t *a, *k;
    json_array_foreach(arns, i, a)
    {
        json_array_foreach(json_object_get(in, "TagKeys"), j, k)
        {
            sqlite3_stmt *st = dd_stmt(r, SQL_TAG_DELETE);
            store_bind_text(st, 3, json_string_value(a));
            store_bind_text(st, 4, json_string_value(k));
            if (dd_exec(r, st))
                return NULL;
        }
    }
    return json_object();
}

json_t *elbv2_op_DescribeTags(struct dd_request *r, json_t *in)
{
    json_t *arns = json_object_get(in, "ResourceArns");
    if (tag_resources_or_err(r, arns))
        return NULL;
    json_t *out = json_array();
    size_t i;
    json_t *a;
    json_array_foreach(arns, i, a)
    {
        json_array_append_new(out, json_pack("{s:O, s:o}", "ResourceArn", a, "Tags", tags_of(r, json_string_value(a))));
    }
    return json_pack("{s:o}", "TagDescriptions", out);
}

/* ---- links ---------------------------------------------------------------------------- */

static const char SQL_LINK_PUT[] = "INSERT OR IGNORE INTO elbv2_links (account, region, owner, tg_arn, lb_arn)"
                                   " VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_LINK_GROUPS_OF_OWNER[] =
    "SELECT tg_arn FROM elbv2_links WHERE account=?1 AND region=?2 AND owner=?3";
static const char SQL_LINK_TG_USED[] = "SELECT count(*) FROM elbv2_links WHERE account=?1 AND region=?2 AND tg_arn=?3";
static const char SQL_LINK_TG_LBS[] =
    "SELECT DISTINCT lb_arn FROM elbv2_links WHERE account=?1 AND region=?2 AND tg_arn=?3 ORDER BY lb_arn";
static const char SQL_LINK_LB_TGS[] =
    "SELECT DISTINCT tg_arn FROM elbv2_links WHERE account=?1 AND region=?2 AND lb_arn=?3 ORDER BY tg_arn";

static void add_unique(json_t *list, const char *s)
{
    size_t i;
    json_t *v;
    if (!s)
        return;
    json_array_foreach(list, i, v)
    {
        if (strcmp(json_string_value(v), s) == 0)
            return;
    }
    json_array_append_new(list, json_string(s));
}

json_t *elbv2_action_groups(json_t *actions)
{
    json_t *out = json_array();
    size_t i, j;
    json_t *a, *t;
    json_array_foreach(actions, i, a)
    {
        if (strcmp(dd_in_str(a, "Type") ? dd_in_str(a, "Type") : "", "forward") != 0)
            continue;
        add_unique(out, dd_in_str(a, "TargetGroupArn"));
        json_array_foreach(json_object_get(json_object_get(a, "ForwardConfig"), "TargetGroups"), j, t)
        {
            add_unique(out, dd_in_str(t, "TargetGroupArn"));
        }
    }
    return out;
}

static json_t *column_list(struct dd_request *r, const char *sql, const char *arg)
{
    json_t *out = json_array();
    sqlite3_stmt *st = dd_stmt(r, sql);
    store_bind_text(st, 3, arg);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(out, json_string(store_col_text(st, 0)));
    sqlite3_reset(st);
    return out;
}

int elbv2_links_set(struct dd_request *r, const char *owner, const char *lb_arn, json_t *actions)
{
    json_t *touched = column_list(r, SQL_LINK_GROUPS_OF_OWNER, owner);
    json_t *groups = elbv2_action_groups(actions);
    sqlite3_stmt *st = dd_stmt(r, SQL_LINKS_DELETE_OWNER);
    store_bind_text(st, 3, owner);
    int rc = dd_exec(r, st);
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        st = dd_stmt(r, SQL_LINK_PUT);
        store_bind_text(st, 3, owner);
        store_bind_text(st, 4, json_string_value(g));
        store_bind_text(st, 5, lb_arn);
        rc = rc ? rc : dd_exec(r, st);
        add_unique(touched, json_string_value(g));
    }
    json_array_foreach(touched, i, g)
    {
        if (rc == 0)
            rc = elbv2_targets_refresh(r, json_string_value(g));
    }
    json_decref(groups);
    json_decref(touched);
    return rc;
}

bool elbv2_tg_in_use(struct dd_request *r, const char *tg_arn)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_LINK_TG_USED);
    store_bind_text(st, 3, tg_arn);
    return dd_single_int(st, 0) > 0;
}

json_t *elbv2_tg_load_balancers(struct dd_request *r, const char *tg_arn)
{
    return column_list(r, SQL_LINK_TG_LBS, tg_arn);
}

json_t *elbv2_lb_target_groups(struct dd_request *r, const char *lb_arn)
{
    return column_list(r, SQL_LINK_LB_TGS, lb_arn);
}

/* ---- attributes ------------------------------------------------------------------------- */

json_t *elbv2_attrs_list(json_t *attrs)
{
    json_t *out = json_array();
    const char *key;
    json_t *v;
    json_object_foreach(attrs, key, v)
    {
        json_array_append_new(out, json_pack("{s:s, s:O}", "Key", key, "Value", v));
    }
    return out;
}

int elbv2_attrs_apply(struct dd_request *r, json_t *attrs, json_t *changes, const char *what)
{
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c)
    {
        const char *key = dd_in_str(c, "Key");
        if (!key || !json_object_get(attrs, key))
            return dd_reject(r, 400, "ValidationError", "%s attribute key '%s' is not recognized", what,
                             key ? key : "");
    }
    json_array_foreach(changes, i, c)
    {
        json_object_set_new(attrs, dd_in_str(c, "Key"),
                            json_string(dd_in_str(c, "Value") ? dd_in_str(c, "Value") : ""));
    }
    return 0;
}

/* ---- account limits ------------------------------------------------------------------------- */

json_t *elbv2_op_DescribeAccountLimits(struct dd_request *r, json_t *in)
{
    (void)r;
    json_t *all = json_object_get(elbv2_fixture("elbv2_limits"), "limits");
    size_t size = (size_t)dd_in_int(in, "PageSize", 400), start = 0;
    const char *marker = dd_in_str(in, "Marker");
    if (marker)
        start = (size_t)strtoul(marker, NULL, 10);
    json_t *items = json_array();
    for (size_t i = start; i < json_array_size(all) && i < start + size; i++)
        json_array_append(items, json_array_get(all, i));
    json_t *out = json_pack("{s:o}", "Limits", items);
    if (start + size < json_array_size(all)) {
        char next[24];
        snprintf(next, sizeof next, "%zu", start + size);
        json_object_set_new(out, "NextMarker", json_string(next));
    }
    return out;
}

static bool attr_value_ok(const struct elbv2_attr_rule *rules, const char *key, const char *value)
{
    if (strstr(key, ".enabled"))
        return strcmp(value, "true") == 0 || strcmp(value, "false") == 0;
    for (const struct elbv2_attr_rule *rule = rules; rule->key; rule++) {
        if (strcmp(rule->key, key) != 0)
            continue;
        if (rule->values) {
            for (const char *const *v = rule->values; *v; v++)
                if (strcmp(*v, value) == 0)
                    return true;
            return false;
        }
        char *end;
        long n = strtol(value, &end, 10);
        return *value && !*end && n >= rule->min && n <= rule->max;
    }
    return true;
}

/* Checks each changed value: 0, or -1 with ValidationError as AWS words it. */
static int attr_values_or_err(struct dd_request *r, json_t *changes, const struct elbv2_attr_rule *rules,
                              const char *what)
{
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c)
    {
        const char *key = dd_in_str(c, "Key"), *value = dd_in_str(c, "Value") ? dd_in_str(c, "Value") : "";
        if (key && !attr_value_ok(rules, key, value))
            return dd_reject(r, 400, "ValidationError", "%s attribute '%s' has an invalid value '%s'", what, key,
                             value);
    }
    return 0;
}

json_t *elbv2_attrs_modify(struct dd_request *r, json_t *in, const struct elbv2_kind *kind, const char *arn_member,
                           const char *what, const struct elbv2_attr_rule *rules)
{
    struct elbv2_res res;
    if (elbv2_get_or_err(r, kind, dd_in_str(in, arn_member), &res))
        return NULL;
    json_t *out = NULL, *changes = json_object_get(in, "Attributes");
    if (elbv2_attrs_apply(r, res.attrs, changes, what) == 0 && attr_values_or_err(r, changes, rules, what) == 0) {
        elbv2_res_save(r, &res);
        out = json_pack("{s:o}", "Attributes", elbv2_attrs_list(res.attrs));
    }
    elbv2_res_free(&res);
    return out;
}

json_t *elbv2_attrs_describe(struct dd_request *r, json_t *in, const struct elbv2_kind *kind,
                             const char *arn_member)
{
    struct elbv2_res res;
    if (elbv2_get_or_err(r, kind, dd_in_str(in, arn_member), &res))
        return NULL;
    json_t *out = json_pack("{s:o}", "Attributes", elbv2_attrs_list(res.attrs));
    elbv2_res_free(&res);
    return out;
}
