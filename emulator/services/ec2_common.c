/*
 * ec2_common.c - the machinery every EC2 resource family shares: ids, the
 * resource store, tags, the one filter engine and the one Describe pager,
 * and IPv4 arithmetic.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2_internal.h"


/* ---- ids ------------------------------------------------------------------ */

void ec2_new_id(const char *prefix, char *out)
{
    char hex[18];
    dd_random_hex(hex, 17);
    snprintf(out, 64, "%s%s", prefix, hex);
}

bool ec2_id_wellformed(const char *id, const char *prefix)
{
    size_t p = strlen(prefix);
    if (strncmp(id, prefix, p) != 0)
        return false;
    size_t n = strlen(id + p);
    if (n != 8 && n != 17)
        return false;
    for (const char *c = id + p; *c; c++)
        if (!isxdigit((unsigned char)*c))
            return false;
    return true;
}

/* ---- the store -------------------------------------------------------------- */

static const struct ec2_kind *const all_kinds[] = {
    &ec2_kind_vpc, &ec2_kind_subnet, &ec2_kind_igw, &ec2_kind_eip, &ec2_kind_nat, &ec2_kind_rtb,
    &ec2_kind_rtbassoc, &ec2_kind_sg, &ec2_kind_sgr, &ec2_kind_eni, &ec2_kind_key, &ec2_kind_acl,
    &ec2_kind_instance, &ec2_kind_lt,
};

static const struct ec2_kind *kind_of(const char *type)
{
    for (size_t i = 0; i < sizeof all_kinds / sizeof *all_kinds; i++)
        if (strcmp(all_kinds[i]->type, type) == 0)
            return all_kinds[i];
    return NULL;
}

#define COLS "seq, type, id, vpc_id, parent, name, ref, doc"

static const char SQL_GET[] = "SELECT " COLS " FROM ec2_resources WHERE account=?1 AND region=?2 AND id=?3";
static const char SQL_INSERT[] = "INSERT INTO ec2_resources (account, region, type, id, vpc_id, parent, name, ref, doc)"
                                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SQL_UPDATE[] = "UPDATE ec2_resources SET vpc_id=?5, parent=?6, name=?7, ref=?8, doc=?9"
                                 " WHERE account=?1 AND region=?2 AND type=?3 AND id=?4";
static const char SQL_DELETE[] = "DELETE FROM ec2_resources WHERE account=?1 AND region=?2 AND id=?3";
static const char SQL_DELETE_TAGS[] = "DELETE FROM ec2_tags WHERE account=?1 AND region=?2 AND resource_id=?3";
static const char SQL_INSERT_TAG[] =
    "INSERT OR REPLACE INTO ec2_tags (account, region, resource_id, resource_type, key, value)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/* Rows of a type by one indexed column, in creation order, after a position. */
#define LIST_BY(col)                                                                                                \
    "SELECT " COLS " FROM ec2_resources WHERE account=?1 AND region=?2 AND type=?3 AND " col "=?4 AND seq>?5"      \
    " ORDER BY seq"
static const char SQL_LIST_ALL[] =
    "SELECT " COLS " FROM ec2_resources WHERE account=?1 AND region=?2 AND type=?3 AND seq>?5 ORDER BY seq";
static const char SQL_LIST_VPC[] = LIST_BY("vpc_id");
static const char SQL_LIST_PARENT[] = LIST_BY("parent");
static const char SQL_LIST_NAME[] = LIST_BY("name");
static const char SQL_LIST_REF[] = LIST_BY("ref");

#define COUNT_BY(col) "SELECT count(*) FROM ec2_resources WHERE account=?1 AND region=?2 AND type=?3 AND " col "=?4"
static const char SQL_COUNT_VPC[] = COUNT_BY("vpc_id");
static const char SQL_COUNT_PARENT[] = COUNT_BY("parent");
static const char SQL_COUNT_NAME[] = COUNT_BY("name");
static const char SQL_COUNT_REF[] = COUNT_BY("ref");

/* The statement for a column name; `list` picks the listing or the count. */
static const char *by_column(const char *column, bool list)
{
    if (!column)
        return list ? SQL_LIST_ALL : NULL;
    if (strcmp(column, "vpc_id") == 0)
        return list ? SQL_LIST_VPC : SQL_COUNT_VPC;
    if (strcmp(column, "parent") == 0)
        return list ? SQL_LIST_PARENT : SQL_COUNT_PARENT;
    if (strcmp(column, "name") == 0)
        return list ? SQL_LIST_NAME : SQL_COUNT_NAME;
    if (strcmp(column, "ref") == 0)
        return list ? SQL_LIST_REF : SQL_COUNT_REF;
    abort(); /* a programming error */
}

static char *dup_col(sqlite3_stmt *st, int i)
{
    const char *s = store_col_text(st, i);
    return s ? strdup(s) : NULL;
}

static void read_row(sqlite3_stmt *st, struct ec2_res *out)
{
    memset(out, 0, sizeof *out);
    out->seq = sqlite3_column_int64(st, 0);
    out->kind = kind_of(store_col_text(st, 1));
    snprintf(out->id, sizeof out->id, "%s", store_col_text(st, 2));
    out->vpc_id = dup_col(st, 3);
    out->parent = dup_col(st, 4);
    out->name = dup_col(st, 5);
    out->ref = dup_col(st, 6);
    out->doc = json_loads(store_col_text(st, 7), 0, NULL);
    if (!out->doc)
        out->doc = json_object();
}

static void bind_scope(sqlite3_stmt *st, struct dd_request *r)
{
    store_bind_text(st, 1, r->account);
    store_bind_text(st, 2, r->region);
}

int ec2_res_load(struct dd_request *r, const struct ec2_kind *kind, const char *id, struct ec2_res *out)
{
    sqlite3_stmt *st = store_stmt(r->db, SQL_GET);
    bind_scope(st, r);
    store_bind_text(st, 3, id);
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found)
        read_row(st, out);
    sqlite3_reset(st);
    if (found && kind && out->kind != kind) {
        ec2_res_free(out);
        found = 0;
    }
    return found ? 0 : 1;
}

int ec2_res_get_or_err(struct dd_request *r, const struct ec2_kind *kind, const char *id, struct ec2_res *out)
{
    memset(out, 0, sizeof *out);
    if (kind->malformed && !ec2_id_wellformed(id, kind->prefix)) {
        if (kind == &ec2_kind_sg)
            dd_fail(r, 400, kind->malformed, "Invalid id: \"%s\" (expecting \"sg-...\")", id);
        else
            dd_fail(r, 400, kind->malformed, "Invalid id: \"%s\"", id);
        return -1;
    }
    if (ec2_res_load(r, kind, id, out) == 0)
        return 0;
    dd_err(&r->err, 400, kind->not_found, kind->not_found_fmt, id);
    return -1;
}

void ec2_res_init(struct ec2_res *res, const struct ec2_kind *kind)
{
    memset(res, 0, sizeof *res);
    res->kind = kind;
    ec2_new_id(kind->prefix, res->id);
    res->doc = json_object();
}

void ec2_set(char **field, const char *s)
{
    char *copy = s ? strdup(s) : NULL;
    free(*field);
    *field = copy;
}

void ec2_res_save(struct dd_request *r, struct ec2_res *res)
{
    sqlite3_stmt *st = store_stmt(r->db, res->seq ? SQL_UPDATE : SQL_INSERT);
    char *text = json_dumps(res->doc, JSON_COMPACT);
    bind_scope(st, r);
    store_bind_text(st, 3, res->kind->type);
    store_bind_text(st, 4, res->id);
    store_bind_text(st, 5, res->vpc_id);
    store_bind_text(st, 6, res->parent);
    store_bind_text(st, 7, res->name);
    store_bind_text(st, 8, res->ref);
    store_bind_text(st, 9, text);
    sqlite3_step(st);
    sqlite3_reset(st);
    free(text);
    if (!res->seq)
        res->seq = sqlite3_last_insert_rowid(store_sqlite(r->db));
}

void ec2_res_delete(struct dd_request *r, const char *id)
{
    static const char *const sqls[] = {SQL_DELETE, SQL_DELETE_TAGS};
    for (size_t i = 0; i < 2; i++) {
        sqlite3_stmt *st = store_stmt(r->db, sqls[i]);
        bind_scope(st, r);
        store_bind_text(st, 3, id);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
}

void ec2_res_free(struct ec2_res *res)
{
    free(res->vpc_id);
    free(res->parent);
    free(res->name);
    free(res->ref);
    json_decref(res->doc);
    memset(res, 0, sizeof *res);
}

int64_t ec2_count(struct dd_request *r, const struct ec2_kind *kind, const char *column, const char *value)
{
    sqlite3_stmt *st = store_stmt(r->db, by_column(column, false));
    bind_scope(st, r);
    store_bind_text(st, 3, kind->type);
    store_bind_text(st, 4, value);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return n;
}

int ec2_each(struct dd_request *r, const struct ec2_kind *kind, const char *column, const char *value,
             ec2_each_fn fn, void *ctx)
{
    /* Read every row first: fn may write, or run this same query itself. */
    sqlite3_stmt *st = store_stmt(r->db, by_column(column, true));
    bind_scope(st, r);
    store_bind_text(st, 3, kind->type);
    store_bind_text(st, 4, value);
    sqlite3_bind_int64(st, 5, 0);
    size_t n = 0, cap = 0;
    struct ec2_res *rows = NULL;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            rows = realloc(rows, cap * sizeof *rows);
            if (!rows)
                abort();
        }
        read_row(st, &rows[n++]);
    }
    sqlite3_reset(st);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            rc = fn(r, &rows[i], ctx);
        ec2_res_free(&rows[i]);
    }
    free(rows);
    return rc;
}

/* Removes the private ('_') members, recursively through objects and arrays. */
static void strip_private(json_t *v)
{
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) strip_private(e);
        return;
    }
    if (!json_is_object(v))
        return;
    const char *key;
    json_t *e, *tmp;
    json_object_foreach_safe(v, tmp, key, e)
    {
        if (key[0] == '_')
            json_object_del(v, key);
        else
            strip_private(e);
    }
}

/* What leaves the emulator: no private members, and no empty tag list (AWS omits it). */
static void finish(const struct ec2_kind *kind, json_t *doc)
{
    strip_private(doc);
    if (json_array_size(json_object_get(doc, kind->tags_member)) == 0)
        json_object_del(doc, kind->tags_member);
}

/* A copy of the stored document with its derived members (new reference). */
static json_t *rendered(struct dd_request *r, const struct ec2_kind *kind, json_t *doc)
{
    json_t *out = json_deep_copy(doc);
    if (kind->render && kind->render(r, out)) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *ec2_res_public(struct dd_request *r, struct ec2_res *res)
{
    json_t *out = rendered(r, res->kind, res->doc);
    if (out)
        finish(res->kind, out);
    return out;
}

/* ---- tags --------------------------------------------------------------------- */

int ec2_tag_specs(struct dd_request *r, json_t *in, struct ec2_res *res)
{
    json_t *specs = json_object_get(in, "TagSpecifications");
    size_t i;
    json_t *spec;
    json_array_foreach(specs, i, spec)
    {
        const char *type = dd_in_str(spec, "ResourceType");
        if (!type || strcmp(type, res->kind->tag_type) != 0) {
            dd_fail(r, 400, "InvalidParameterValue",
                    "'%s' is not a valid taggable resource type for this operation.", type ? type : "null");
            return -1;
        }
        json_t *tags = json_object_get(spec, "Tags");
        size_t j;
        json_t *tag;
        json_array_foreach(tags, j, tag)
        {
            const char *key = dd_in_str(tag, "Key");
            if (!key)
                continue;
            if (strncmp(key, "aws:", 4) == 0) {
                dd_fail(r, 400, "InvalidParameterValue",
                        "Tag keys starting with 'aws:' are reserved for internal use");
                return -1;
            }
            json_t *list = json_object_get(res->doc, res->kind->tags_member);
            if (!list) {
                list = json_array();
                json_object_set_new(res->doc, res->kind->tags_member, list);
            }
            const char *value = dd_in_str(tag, "Value");
            size_t k;
            json_t *old;
            bool replaced = false;
            json_array_foreach(list, k, old) if (strcmp(dd_in_str(old, "Key"), key) == 0)
            {
                json_object_set_new(old, "Value", json_string(value ? value : ""));
                replaced = true;
            }
            if (!replaced)
                json_array_append_new(list, json_pack("{s:s, s:s}", "Key", key, "Value", value ? value : ""));
        }
    }
    return 0;
}

void ec2_tags_sync(struct dd_request *r, struct ec2_res *res)
{
    sqlite3_stmt *st = store_stmt(r->db, SQL_DELETE_TAGS);
    bind_scope(st, r);
    store_bind_text(st, 3, res->id);
    sqlite3_step(st);
    sqlite3_reset(st);
    json_t *tags = json_object_get(res->doc, res->kind->tags_member);
    size_t i;
    json_t *tag;
    json_array_foreach(tags, i, tag)
    {
        st = store_stmt(r->db, SQL_INSERT_TAG);
        bind_scope(st, r);
        store_bind_text(st, 3, res->id);
        store_bind_text(st, 4, res->kind->tag_type);
        store_bind_text(st, 5, dd_in_str(tag, "Key"));
        store_bind_text(st, 6, dd_in_str(tag, "Value"));
        sqlite3_step(st);
        sqlite3_reset(st);
    }
}

/* ---- filters -------------------------------------------------------------------- */

bool ec2_glob(const char *p, const char *s)
{
    const char *star_p = NULL, *star_s = NULL;
    while (*s) {
        if (*p == '\\' && p[1] && p[1] == *s) {
            p += 2;
            s++;
        } else if (*p == '*') {
            star_p = ++p;
            star_s = s;
        } else if (*p == '?' || (*p && *p == *s && *p != '\\')) {
            p++;
            s++;
        } else if (star_p) {
            p = star_p;
            s = ++star_s;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

static bool is_tag_filter(const char *name)
{
    return strncmp(name, "tag:", 4) == 0 || strcmp(name, "tag-key") == 0 || strcmp(name, "tag-value") == 0;
}

static const struct ec2_filter_def *find_def(const struct ec2_filter_def *defs, const char *name)
{
    for (; defs && defs->name; defs++)
        if (strcmp(defs->name, name) == 0)
            return defs;
    return NULL;
}

int ec2_filters_check(struct dd_request *r, const struct ec2_filter_def *defs, json_t *filters)
{
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f)
    {
        const char *name = dd_in_str(f, "Name");
        if (!name) {
            dd_fail(r, 400, "InvalidParameterValue", "The filter 'null' is invalid");
            return -1;
        }
        if (!is_tag_filter(name) && !find_def(defs, name)) {
            dd_fail(r, 400, "InvalidParameterValue", "The filter '%s' is invalid", name);
            return -1;
        }
    }
    return 0;
}

/* Whether the scalar `v` matches any of the patterns. */
static bool value_matches(json_t *v, json_t *patterns)
{
    char buf[64];
    const char *s = NULL;
    if (json_is_string(v))
        s = json_string_value(v);
    else if (json_is_boolean(v))
        s = json_is_true(v) ? "true" : "false";
    else if (json_is_integer(v))
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v)), s = buf;
    else if (json_is_real(v))
        snprintf(buf, sizeof buf, "%g", json_real_value(v)), s = buf;
    if (!s)
        return false;
    size_t i;
    json_t *p;
    json_array_foreach(patterns, i, p) if (json_is_string(p) && ec2_glob(json_string_value(p), s)) return true;
    return false;
}

/* Whether any value at `path` under v (arrays traversed at every level) matches. */
static bool path_matches(json_t *v, const char *path, json_t *patterns)
{
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) if (path_matches(e, path, patterns)) return true;
        return false;
    }
    if (!*path)
        return value_matches(v, patterns);
    if (!json_is_object(v))
        return false;
    const char *dot = strchr(path, '.');
    size_t len = dot ? (size_t)(dot - path) : strlen(path);
    char key[96];
    snprintf(key, sizeof key, "%.*s", (int)len, path);
    return path_matches(json_object_get(v, key), dot ? dot + 1 : "", patterns);
}

static bool tag_matches(json_t *tags, const char *name, json_t *values)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        const char *key = dd_in_str(t, "Key");
        if (!key)
            continue;
        if (strncmp(name, "tag:", 4) == 0) {
            if (strcmp(key, name + 4) == 0 && value_matches(json_object_get(t, "Value"), values))
                return true;
        } else if (strcmp(name, "tag-key") == 0) {
            if (value_matches(json_object_get(t, "Key"), values))
                return true;
        } else if (value_matches(json_object_get(t, "Value"), values)) {
            return true;
        }
    }
    return false;
}

bool ec2_filters_match(const struct ec2_filter_def *defs, json_t *filters, json_t *doc, const char *tags_member)
{
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f)
    {
        const char *name = dd_in_str(f, "Name");
        json_t *values = json_object_get(f, "Values");
        bool ok;
        if (is_tag_filter(name))
            ok = tag_matches(json_object_get(doc, tags_member ? tags_member : "Tags"), name, values);
        else
            ok = path_matches(doc, find_def(defs, name)->path, values);
        if (!ok)
            return false;
    }
    return true;
}

/* ---- Describe and pagination ------------------------------------------------------ */

/* The exact single value of filter `name`, when an index can answer it. */
static const char *indexable(json_t *filters, const char *name)
{
    if (!name)
        return NULL;
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f)
    {
        const char *n = dd_in_str(f, "Name");
        json_t *values = json_object_get(f, "Values");
        if (!n || strcmp(n, name) != 0 || json_array_size(values) != 1)
            continue;
        const char *v = json_string_value(json_array_get(values, 0));
        if (v && !strpbrk(v, "*?\\"))
            return v;
    }
    return NULL;
}

/* Adds the rendered doc to items if it passes the filters; 0, or -1 (render failed). */
static int consider(struct dd_request *r, const struct ec2_kind *kind, json_t *filters, json_t *doc, json_t *items,
                    bool *added)
{
    json_t *out = rendered(r, kind, doc);
    *added = false;
    if (!out)
        return -1;
    if (ec2_filters_match(kind->filters, filters, out, kind->tags_member)) {
        finish(kind, out);
        json_array_append(items, out);
        *added = true;
    }
    json_decref(out);
    return 0;
}

static json_t *describe_ids(struct dd_request *r, const struct ec2_kind *kind, json_t *filters, json_t *ids)
{
    json_t *items = json_array();
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id)
    {
        struct ec2_res res = {0};
        bool added;
        if (!json_is_string(id) || ec2_res_get_or_err(r, kind, json_string_value(id), &res) ||
            consider(r, kind, filters, res.doc, items, &added)) {
            ec2_res_free(&res);
            json_decref(items);
            return NULL;
        }
        ec2_res_free(&res);
    }
    return json_pack("{s:o}", kind->list_member, items);
}

int ec2_page_start(struct dd_request *r, json_t *in, struct ec2_page *p)
{
    const char *token = dd_in_str(in, "NextToken");
    memset(p, 0, sizeof *p);
    p->max = json_integer_value(json_object_get(in, "MaxResults"));
    p->items = json_array();
    if (!token || !*token)
        return 0;
    char *end;
    long long v = strncmp(token, "dd1.", 4) == 0 ? strtoll(token + 4, &end, 16) : -1;
    if (v < 0 || *end) {
        json_decref(p->items);
        p->items = NULL;
        dd_fail(r, 400, "InvalidParameterValue", "Invalid value '%s' for parameter NextToken", token);
        return -1;
    }
    p->after = v;
    return 0;
}

bool ec2_page_room(struct ec2_page *p)
{
    return p->max <= 0 || (int64_t)json_array_size(p->items) < p->max;
}

void ec2_page_add(struct ec2_page *p, int64_t seq, json_t *item)
{
    if (!ec2_page_room(p)) {
        p->more = true;
        json_decref(item);
        return;
    }
    json_array_append_new(p->items, item);
    p->last = seq;
}

json_t *ec2_page_result(struct ec2_page *p, const char *member)
{
    json_t *out = json_pack("{s:o}", member, p->items);
    p->items = NULL;
    if (p->more) {
        char token[40];
        snprintf(token, sizeof token, "dd1.%" PRIx64, (uint64_t)p->last);
        json_object_set_new(out, "NextToken", json_string(token));
    }
    return out;
}

json_t *ec2_describe(struct dd_request *r, json_t *in, const struct ec2_kind *kind, json_t *ids)
{
    json_t *filters = json_object_get(in, kind->filter_member);
    struct ec2_page page;
    if (ec2_filters_check(r, kind->filters, filters))
        return NULL;
    if (json_array_size(ids))
        return describe_ids(r, kind, filters, ids);
    if (ec2_page_start(r, in, &page))
        return NULL;

    /* One exact value of an indexed filter narrows the scan to its rows. */
    const char *column = NULL, *value;
    if ((value = indexable(filters, kind->vpc_filter)))
        column = "vpc_id";
    else if ((value = indexable(filters, kind->parent_filter)))
        column = "parent";
    else if ((value = indexable(filters, kind->name_filter)))
        column = "name";
    sqlite3_stmt *st = store_stmt(r->db, by_column(column, true));
    bind_scope(st, r);
    store_bind_text(st, 3, kind->type);
    store_bind_text(st, 4, column ? value : NULL);
    sqlite3_bind_int64(st, 5, page.after);
    while (!page.more && sqlite3_step(st) == SQLITE_ROW) {
        json_t *doc = json_loads(store_col_text(st, 7), 0, NULL), *item = doc ? rendered(r, kind, doc) : NULL;
        json_decref(doc);
        if (item && ec2_filters_match(kind->filters, filters, item, kind->tags_member)) {
            finish(kind, item);
            ec2_page_add(&page, sqlite3_column_int64(st, 0), item);
        } else {
            json_decref(item);
        }
    }
    sqlite3_reset(st);
    return ec2_page_result(&page, kind->list_member);
}

/* ---- IPv4 ------------------------------------------------------------------------ */

int ec2_ip_parse(const char *s, uint32_t *ip)
{
    unsigned a[4];
    char tail;
    if (!s || sscanf(s, "%3u.%3u.%3u.%3u%c", &a[0], &a[1], &a[2], &a[3], &tail) != 4)
        return -1;
    for (int i = 0; i < 4; i++)
        if (a[i] > 255)
            return -1;
    for (const char *c = s; *c; c++)
        if (!isdigit((unsigned char)*c) && *c != '.')
            return -1;
    *ip = (a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3];
    return 0;
}

int ec2_cidr_parse(const char *s, uint32_t *net, int *len)
{
    const char *slash = s ? strchr(s, '/') : NULL;
    if (!slash || slash - s > 15 || !slash[1] || strlen(slash + 1) > 2)
        return -1;
    char ip[16];
    snprintf(ip, sizeof ip, "%.*s", (int)(slash - s), s);
    for (const char *c = slash + 1; *c; c++)
        if (!isdigit((unsigned char)*c))
            return -1;
    int n = atoi(slash + 1);
    uint32_t addr;
    if (n > 32 || ec2_ip_parse(ip, &addr))
        return -1;
    *len = n;
    *net = n ? addr & (0xffffffffu << (32 - n)) : 0;
    return 0;
}

void ec2_ip_format(uint32_t ip, char out[16])
{
    snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

static uint32_t mask_of(int len)
{
    return len ? 0xffffffffu << (32 - len) : 0;
}

bool ec2_cidr_overlap(uint32_t a, int alen, uint32_t b, int blen)
{
    uint32_t m = mask_of(alen < blen ? alen : blen);
    return (a & m) == (b & m);
}

bool ec2_cidr_contains(uint32_t a, int alen, uint32_t b, int blen)
{
    return blen >= alen && (b & mask_of(alen)) == a;
}

void ec2_private_dns(struct dd_request *r, const char *ip, char out[128])
{
    char dashed[16];
    snprintf(dashed, sizeof dashed, "%s", ip);
    for (char *c = dashed; *c; c++)
        if (*c == '.')
            *c = '-';
    if (strcmp(r->region, "us-east-1") == 0)
        snprintf(out, 128, "ip-%s.ec2.internal", dashed);
    else
        snprintf(out, 128, "ip-%s.%s.compute.internal", dashed, r->region);
}
