/*
 * iam.c - AWS Identity and Access Management: roles, managed and inline
 * policies, instance profiles, service-linked roles.
 *
 * IAM is global: every resource is keyed by account alone (the tables keep an
 * `account` column so that a reset clears them). Names are unique without
 * regard to case, as in IAM. State:
 *   iam_role              roles (trust policy kept as the caller sent it)
 *   iam_role_policy       inline policies of a role
 *   iam_policy            customer managed policies; iam_policy_version their versions
 *   iam_attachment        managed policies attached to roles
 *   iam_instance_profile  instance profiles; iam_profile_role their (one) role
 *   iam_tag               tags of roles, policies and instance profiles
 * AWS managed policies (arn:aws:iam::aws:policy/...) are read-only and come
 * from the fixture fixtures/iam_managed_policies.json.
 *
 * Policy documents are returned URL-encoded, as IAM does (SDKs decode them).
 * Listings return everything after Marker (an index) up to MaxItems.
 */
#define _GNU_SOURCE
#include "iam.h"

#include <ctype.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../protocol/buf.h"
#include "../../protocol/codec.h"
#include "fixtures.h"

#define MAX_TAGS 50
#define MAX_ATTACHED_PER_ROLE 10
#define MAX_POLICY_VERSIONS 5
#define DEFAULT_MAX_ITEMS 100
#define DEFAULT_SESSION 3600

static const char AWS_POLICY_PREFIX[] = "arn:aws:iam::aws:policy";
static const char MSG_SYNTAX[] = "Syntax errors in policy.";

/* ---- schema ------------------------------------------------------------------------------ */

static const char SCHEMA_1[] =
    "CREATE TABLE iam_role ("
    " account TEXT NOT NULL, name TEXT NOT NULL COLLATE NOCASE, id TEXT NOT NULL, path TEXT NOT NULL,"
    " arn TEXT NOT NULL, trust TEXT NOT NULL, description TEXT, max_session INTEGER NOT NULL,"
    " created_ms INTEGER NOT NULL, linked INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (account, name)) WITHOUT ROWID;"
    "CREATE TABLE iam_role_policy ("
    " account TEXT NOT NULL, role TEXT NOT NULL COLLATE NOCASE, name TEXT NOT NULL COLLATE NOCASE,"
    " document TEXT NOT NULL,"
    " PRIMARY KEY (account, role, name)) WITHOUT ROWID;"
    "CREATE TABLE iam_policy ("
    " account TEXT NOT NULL, arn TEXT NOT NULL, name TEXT NOT NULL COLLATE NOCASE, id TEXT NOT NULL,"
    " path TEXT NOT NULL, description TEXT, default_version INTEGER NOT NULL, next_version INTEGER NOT NULL,"
    " created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
    " PRIMARY KEY (account, arn)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX iam_policy_name ON iam_policy (account, name);"
    "CREATE TABLE iam_policy_version ("
    " account TEXT NOT NULL, arn TEXT NOT NULL, version INTEGER NOT NULL, document TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL,"
    " PRIMARY KEY (account, arn, version)) WITHOUT ROWID;"
    "CREATE TABLE iam_attachment ("
    " account TEXT NOT NULL, role TEXT NOT NULL COLLATE NOCASE, policy_arn TEXT NOT NULL,"
    " policy_name TEXT NOT NULL, policy_path TEXT NOT NULL, attached_ms INTEGER NOT NULL,"
    " PRIMARY KEY (account, role, policy_arn)) WITHOUT ROWID;"
    "CREATE INDEX iam_attachment_policy ON iam_attachment (account, policy_arn);"
    "CREATE TABLE iam_instance_profile ("
    " account TEXT NOT NULL, name TEXT NOT NULL COLLATE NOCASE, id TEXT NOT NULL, path TEXT NOT NULL,"
    " arn TEXT NOT NULL, created_ms INTEGER NOT NULL,"
    " PRIMARY KEY (account, name)) WITHOUT ROWID;"
    "CREATE TABLE iam_profile_role ("
    " account TEXT NOT NULL, profile TEXT NOT NULL COLLATE NOCASE, role TEXT NOT NULL COLLATE NOCASE,"
    " PRIMARY KEY (account, profile, role)) WITHOUT ROWID;"
    "CREATE INDEX iam_profile_role_role ON iam_profile_role (account, role);"
    "CREATE TABLE iam_tag ("
    " account TEXT NOT NULL, kind TEXT NOT NULL, resource TEXT NOT NULL COLLATE NOCASE,"
    " key TEXT NOT NULL COLLATE NOCASE, value TEXT NOT NULL, seq INTEGER NOT NULL,"
    " PRIMARY KEY (account, kind, resource, key)) WITHOUT ROWID;";

static const char *const schema[] = {SCHEMA_1, NULL};

/* Every statement binds ?1 account. */
#define ROLE_COLS "name, id, path, arn, trust, description, max_session, created_ms, linked"
static const char SQL_ROLE[] = "SELECT " ROLE_COLS " FROM iam_role WHERE account=?1 AND name=?2";
static const char SQL_ROLES[] = "SELECT " ROLE_COLS " FROM iam_role WHERE account=?1 AND substr(path, 1, length(?2))=?2"
                                " ORDER BY name";
static const char SQL_INSERT_ROLE[] =
    "INSERT INTO iam_role (account, name, id, path, arn, trust, description, max_session, created_ms, linked)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char SQL_UPDATE_ROLE[] = "UPDATE iam_role SET description=coalesce(?3, description),"
                                      " max_session=coalesce(?4, max_session) WHERE account=?1 AND name=?2";
static const char SQL_UPDATE_TRUST[] = "UPDATE iam_role SET trust=?3 WHERE account=?1 AND name=?2";
static const char SQL_DELETE_ROLE[] = "DELETE FROM iam_role WHERE account=?1 AND name=?2";

static const char SQL_INLINE[] = "SELECT name, document FROM iam_role_policy WHERE account=?1 AND role=?2 AND name=?3";
static const char SQL_INLINES[] = "SELECT name FROM iam_role_policy WHERE account=?1 AND role=?2 ORDER BY name";
static const char SQL_PUT_INLINE[] =
    "INSERT INTO iam_role_policy (account, role, name, document) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (account, role, name) DO UPDATE SET document=excluded.document";
static const char SQL_DELETE_INLINE[] = "DELETE FROM iam_role_policy WHERE account=?1 AND role=?2 AND name=?3";
static const char SQL_COUNT_INLINE[] = "SELECT COUNT(*) FROM iam_role_policy WHERE account=?1 AND role=?2";

#define POLICY_COLS "arn, name, id, path, description, default_version, created_ms, updated_ms"
static const char SQL_POLICY[] = "SELECT " POLICY_COLS " FROM iam_policy WHERE account=?1 AND arn=?2";
static const char SQL_POLICIES[] = "SELECT " POLICY_COLS " FROM iam_policy WHERE account=?1 ORDER BY name";
static const char SQL_POLICY_NAMED[] = "SELECT 1 FROM iam_policy WHERE account=?1 AND name=?2";
static const char SQL_INSERT_POLICY[] =
    "INSERT INTO iam_policy (account, arn, name, id, path, description, default_version, next_version,"
    " created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, 2, ?7, ?7)";
static const char SQL_NEXT_VERSION[] = "UPDATE iam_policy SET next_version=next_version+1, updated_ms=?3"
                                       " WHERE account=?1 AND arn=?2 RETURNING next_version-1";
static const char SQL_SET_DEFAULT[] =
    "UPDATE iam_policy SET default_version=?3, updated_ms=?4 WHERE account=?1 AND arn=?2";
static const char SQL_DELETE_POLICY[] = "DELETE FROM iam_policy WHERE account=?1 AND arn=?2";
static const char SQL_VERSION[] = "SELECT version, document, created_ms FROM iam_policy_version"
                                  " WHERE account=?1 AND arn=?2 AND version=?3";
static const char SQL_VERSIONS[] = "SELECT version, document, created_ms FROM iam_policy_version"
                                   " WHERE account=?1 AND arn=?2 ORDER BY version DESC";
static const char SQL_COUNT_VERSIONS[] = "SELECT COUNT(*) FROM iam_policy_version WHERE account=?1 AND arn=?2";
static const char SQL_INSERT_VERSION[] =
    "INSERT INTO iam_policy_version (account, arn, version, document, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_DELETE_VERSION[] = "DELETE FROM iam_policy_version WHERE account=?1 AND arn=?2 AND version=?3";
static const char SQL_DELETE_VERSIONS[] = "DELETE FROM iam_policy_version WHERE account=?1 AND arn=?2";

static const char SQL_ATTACHED[] = "SELECT policy_name, policy_arn, policy_path FROM iam_attachment"
                                   " WHERE account=?1 AND role=?2 ORDER BY attached_ms, policy_name";
static const char SQL_IS_ATTACHED[] = "SELECT 1 FROM iam_attachment WHERE account=?1 AND role=?2 AND policy_arn=?3";
static const char SQL_COUNT_ATTACHED[] = "SELECT COUNT(*) FROM iam_attachment WHERE account=?1 AND role=?2";
static const char SQL_ATTACHMENT_COUNT[] = "SELECT COUNT(*) FROM iam_attachment WHERE account=?1 AND policy_arn=?2";
static const char SQL_ATTACH[] =
    "INSERT OR IGNORE INTO iam_attachment (account, role, policy_arn, policy_name, policy_path, attached_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_DETACH[] = "DELETE FROM iam_attachment WHERE account=?1 AND role=?2 AND policy_arn=?3";

#define PROFILE_COLS "name, id, path, arn, created_ms"
static const char SQL_PROFILE[] = "SELECT " PROFILE_COLS " FROM iam_instance_profile WHERE account=?1 AND name=?2";
static const char SQL_PROFILES[] = "SELECT " PROFILE_COLS " FROM iam_instance_profile"
                                   " WHERE account=?1 AND substr(path, 1, length(?2))=?2 ORDER BY name";
static const char SQL_PROFILES_OF_ROLE[] = "SELECT p.name, p.id, p.path, p.arn, p.created_ms"
                                           " FROM iam_instance_profile p JOIN iam_profile_role pr"
                                           " ON pr.account=p.account AND pr.profile=p.name"
                                           " WHERE p.account=?1 AND pr.role=?2 ORDER BY p.name";
static const char SQL_INSERT_PROFILE[] = "INSERT INTO iam_instance_profile (account, name, id, path, arn, created_ms)"
                                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_DELETE_PROFILE[] = "DELETE FROM iam_instance_profile WHERE account=?1 AND name=?2";
static const char SQL_PROFILE_ROLES[] = "SELECT " ROLE_COLS " FROM iam_role r WHERE account=?1 AND name IN"
                                        " (SELECT role FROM iam_profile_role WHERE account=?1 AND profile=?2)";
static const char SQL_COUNT_PROFILE_ROLES[] = "SELECT COUNT(*) FROM iam_profile_role WHERE account=?1 AND profile=?2";
static const char SQL_COUNT_ROLE_PROFILES[] = "SELECT COUNT(*) FROM iam_profile_role WHERE account=?1 AND role=?2";
static const char SQL_ADD_PROFILE_ROLE[] = "INSERT INTO iam_profile_role (account, profile, role) VALUES (?1, ?2, ?3)";
static const char SQL_REMOVE_PROFILE_ROLE[] =
    "DELETE FROM iam_profile_role WHERE account=?1 AND profile=?2 AND role=?3";

static const char SQL_TAGS[] = "SELECT key, value FROM iam_tag WHERE account=?1 AND kind=?2 AND resource=?3 ORDER BY seq";
static const char SQL_TAG_COUNT[] = "SELECT COUNT(*) FROM iam_tag WHERE account=?1 AND kind=?2 AND resource=?3"
                                    " AND key NOT IN (SELECT value FROM json_each(?4))";
static const char SQL_SET_TAG[] =
    "INSERT INTO iam_tag (account, kind, resource, key, value, seq) VALUES (?1, ?2, ?3, ?4, ?5,"
    " (SELECT coalesce(max(seq), 0) + 1 FROM iam_tag WHERE account=?1 AND kind=?2 AND resource=?3))"
    " ON CONFLICT (account, kind, resource, key) DO UPDATE SET value=excluded.value";
static const char SQL_UNSET_TAG[] = "DELETE FROM iam_tag WHERE account=?1 AND kind=?2 AND resource=?3 AND key=?4";
static const char SQL_DELETE_TAGS[] = "DELETE FROM iam_tag WHERE account=?1 AND kind=?2 AND resource=?3";

/* ---- small helpers --------------------------------------------------------------------------- */

/* The cached statement for `sql` with ?1 account bound. */
static sqlite3_stmt *scoped(struct dd_request *r, const char *sql)
{
    sqlite3_stmt *st = store_stmt(r->db, sql);
    store_bind_text(st, 1, r->account);
    return st;
}

static sqlite3_stmt *scoped1(struct dd_request *r, const char *sql, const char *a)
{
    sqlite3_stmt *st = scoped(r, sql);
    store_bind_text(st, 2, a);
    return st;
}

static sqlite3_stmt *scoped2(struct dd_request *r, const char *sql, const char *a, const char *b)
{
    sqlite3_stmt *st = scoped1(r, sql, a);
    store_bind_text(st, 3, b);
    return st;
}

/* Whether a statement yields any row. */
static bool exists(sqlite3_stmt *st)
{
    bool found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return found;
}

static const char *col(sqlite3_stmt *st, int i)
{
    return store_col_text(st, i);
}

static json_t *seconds(int64_t ms)
{
    return json_integer(ms / 1000);
}

void iam_random_id(const char *prefix, size_t len, char *out)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned char raw[128];
    size_t p = strlen(prefix);
    if (len >= sizeof raw)
        len = sizeof raw - 1;
    if (RAND_bytes(raw, (int)len) != 1)
        abort();
    memcpy(out, prefix, p);
    for (size_t i = p; i < len; i++)
        out[i] = alphabet[raw[i] & 31];
    out[len] = '\0';
}

/* Policy documents as IAM returns them: percent-encoded (RFC 3986 unreserved kept). */
static json_t *url_encoded(const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    struct dd_buf b = {0};
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            buf_append(&b, (const char *)p, 1);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            buf_append(&b, esc, 3);
        }
    }
    char *s = buf_steal(&b);
    json_t *v = json_string(s ? s : "");
    free(s);
    return v;
}

/* The model's patterns IAM checks: answered as model validation errors. */
static bool name_ok(const char *s, const char *extra)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_+=,.@-", *s) && !(extra && strchr(extra, *s)))
            return false;
    return true;
}

static bool path_ok(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || p[0] != '/' || p[n - 1] != '/')
        return false;
    for (; *p; p++)
        if (*p < 0x21 || *p > 0x7e)
            return false;
    return true;
}

static int check_name(struct dd_request *r, const char *member, const char *value)
{
    if (!value || name_ok(value, NULL))
        return 0;
    return dd_reject(r, 400, "ValidationError",
                  "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must "
                  "satisfy regular expression pattern: [\\w+=,.@-]+",
                  value, member);
}

static int check_path(struct dd_request *r, const char *member, const char *value)
{
    if (!value || path_ok(value))
        return 0;
    return dd_reject(r, 400, "ValidationError",
                  "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must "
                  "satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
                  value, member);
}

/*
 * Listings, the IAM way: the items after Marker (an index into the full,
 * ordered listing) up to MaxItems, IsTruncated, and the next Marker.
 * Steals `items`.
 */
static json_t *page(json_t *in, json_t *items, const char *member)
{
    const char *marker = dd_in_str(in, "Marker");
    size_t start = marker ? strtoul(marker, NULL, 10) : 0;
    size_t max = (size_t)dd_in_int(in, "MaxItems", DEFAULT_MAX_ITEMS), total = json_array_size(items);
    json_t *slice = json_array();
    for (size_t i = start; i < total && json_array_size(slice) < max; i++)
        json_array_append(slice, json_array_get(items, i));
    size_t next = start + json_array_size(slice);
    json_t *out = json_pack("{s:o, s:b}", member, slice, "IsTruncated", next < total);
    if (next < total)
        json_object_set_new(out, "Marker", json_sprintf("%zu", next));
    json_decref(items);
    return out;
}

/* ---- tags (roles, policies, instance profiles) ------------------------------------------------ */

static json_t *tags_json(struct dd_request *r, const char *kind, const char *resource)
{
    json_t *tags = json_array();
    sqlite3_stmt *st = scoped2(r, SQL_TAGS, kind, resource);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(tags, json_pack("{s:s, s:s}", "Key", col(st, 0), "Value", col(st, 1)));
    sqlite3_reset(st);
    return tags;
}

/* Adds or replaces `tags` (a Tag list, borrowed): at most 50 per resource, keys unique regardless of case. */
static int tags_put(struct dd_request *r, const char *kind, const char *resource, json_t *tags)
{
    json_t *keys = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(dd_in_str(json_array_get(tags, j), "Key"), dd_in_str(t, "Key")) == 0) {
                json_decref(keys);
                return dd_reject(r, 400, "InvalidInput",
                              "Duplicate tag keys found. Please note that Tag keys are case insensitive.");
            }
        json_array_append_new(keys, json_string(dd_in_str(t, "Key")));
    }
    char *keys_text = json_dumps(keys, JSON_COMPACT);
    json_decref(keys);
    sqlite3_stmt *st = scoped2(r, SQL_TAG_COUNT, kind, resource);
    store_bind_text(st, 4, keys_text);
    int64_t kept = dd_single_int(st, 0);
    free(keys_text);
    if (kept + (int64_t)json_array_size(tags) > MAX_TAGS)
        return dd_reject(r, 409, "LimitExceeded", "The number of tags has reached the maximum limit.");
    json_array_foreach(tags, i, t)
    {
        st = scoped2(r, SQL_SET_TAG, kind, resource);
        store_bind_text(st, 4, dd_in_str(t, "Key"));
        store_bind_text(st, 5, dd_in_str(t, "Value") ? dd_in_str(t, "Value") : "");
        if (dd_exec(r, st))
            return -1;
    }
    return 0;
}

static int tags_remove(struct dd_request *r, const char *kind, const char *resource, json_t *keys)
{
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        sqlite3_stmt *st = scoped2(r, SQL_UNSET_TAG, kind, resource);
        store_bind_text(st, 4, json_string_value(k));
        if (dd_exec(r, st))
            return -1;
    }
    return 0;
}

static int tags_drop(struct dd_request *r, const char *kind, const char *resource)
{
    return dd_exec(r, scoped2(r, SQL_DELETE_TAGS, kind, resource));
}

/* ---- policy grammar ------------------------------------------------------------------------- */

enum policy_kind {
    POLICY_IDENTITY, /* managed and inline policies */
    POLICY_TRUST,    /* a role's AssumeRolePolicyDocument */
};

static int malformed(struct dd_request *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int malformed(struct dd_request *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dd_verr(&r->err, 400, "MalformedPolicyDocument", fmt, ap);
    va_end(ap);
    return -1;
}

static bool is_string_or_strings(json_t *v)
{
    if (json_is_string(v))
        return true;
    if (!json_is_array(v))
        return false;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e))
            return false;
    }
    return true;
}

static size_t value_count(json_t *v)
{
    return json_is_string(v) ? 1 : json_array_size(v);
}

static json_t *value_at(json_t *v, size_t i)
{
    return json_is_string(v) ? v : json_array_get(v, i);
}

/* Principal: "*" or {"AWS"|"Service"|"Federated"|"CanonicalUser": string or strings}. */
static bool principal_shape_ok(json_t *p)
{
    if (json_is_string(p))
        return strcmp(json_string_value(p), "*") == 0;
    if (!json_is_object(p) || json_object_size(p) == 0)
        return false;
    const char *k;
    json_t *v;
    json_object_foreach(p, k, v)
    {
        if (strcmp(k, "AWS") && strcmp(k, "Service") && strcmp(k, "Federated") && strcmp(k, "CanonicalUser"))
            return false;
        if (!is_string_or_strings(v) || value_count(v) == 0)
            return false;
    }
    return true;
}

/* Condition: {operator: {key: scalar or list of scalars}}. */
static bool condition_shape_ok(json_t *c)
{
    if (!json_is_object(c))
        return false;
    const char *op;
    json_t *block;
    json_object_foreach(c, op, block)
    {
        if (!json_is_object(block) || json_object_size(block) == 0)
            return false;
        const char *k;
        json_t *v;
        json_object_foreach(block, k, v)
        {
            if (json_is_object(v) || json_is_null(v))
                return false;
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e)
            {
                if (json_is_object(e) || json_is_array(e) || json_is_null(e))
                    return false;
            }
        }
    }
    return true;
}

/* The grammar of one statement: fields, their types, no pair given twice. */
static bool statement_shape_ok(json_t *s)
{
    static const char *const fields[] = {"Sid",      "Effect",       "Action",    "NotAction", "Resource",
                                         "NotResource", "Principal", "NotPrincipal", "Condition"};
    if (!json_is_object(s))
        return false;
    const char *k;
    json_t *v;
    json_object_foreach(s, k, v)
    {
        bool known = false;
        for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
            known = known || strcmp(k, fields[i]) == 0;
        if (!known)
            return false;
    }
    const char *effect = json_string_value(json_object_get(s, "Effect"));
    if (!effect || (strcmp(effect, "Allow") && strcmp(effect, "Deny")))
        return false;
    json_t *sid = json_object_get(s, "Sid");
    if (sid && !json_is_string(sid))
        return false;
    static const char *const pairs[][2] = {{"Action", "NotAction"}, {"Resource", "NotResource"}};
    for (size_t i = 0; i < 2; i++) {
        json_t *a = json_object_get(s, pairs[i][0]), *b = json_object_get(s, pairs[i][1]);
        if ((a && b) || (a && !is_string_or_strings(a)) || (b && !is_string_or_strings(b)))
            return false;
    }
    json_t *p = json_object_get(s, "Principal"), *np = json_object_get(s, "NotPrincipal");
    if ((p && np) || (p && !principal_shape_ok(p)) || (np && !principal_shape_ok(np)))
        return false;
    json_t *c = json_object_get(s, "Condition");
    return !c || condition_shape_ok(c);
}

static bool vendor_ok(const char *v, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)v[i]) && v[i] != '-')
            return false;
    return true;
}

static int check_action(struct dd_request *r, const char *a, enum policy_kind kind)
{
    if (strcmp(a, "*") == 0)
        return 0;
    const char *colon = strchr(a, ':');
    if (!colon)
        return malformed(r, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
    if (strchr(colon + 1, ':'))
        return malformed(r, "Actions/Condition can contain only one colon.");
    if (!vendor_ok(a, (size_t)(colon - a)))
        return malformed(r, "Vendor %.*s is not valid", (int)(colon - a), a);
    if (kind == POLICY_TRUST && strncasecmp(a, "sts:", 4) != 0)
        return malformed(r, "AssumeRole policy may only specify STS AssumeRole actions.");
    return 0;
}

static int check_resource(struct dd_request *r, const char *res)
{
    if (strcmp(res, "*") == 0 || strncmp(res, "arn:", 4) == 0 || strncmp(res, "${", 2) == 0)
        return 0;
    return malformed(r, "Resource %s must be in ARN format or \"*\".", res);
}

/* A trust policy's principals: services, accounts, ARNs or "*". */
static int check_principals(struct dd_request *r, json_t *p)
{
    if (json_is_string(p))
        return 0;
    const char *k;
    json_t *v;
    json_object_foreach(p, k, v)
    {
        for (size_t i = 0; i < value_count(v); i++) {
            const char *s = json_string_value(value_at(v, i));
            bool ok = true;
            if (strcmp(k, "AWS") == 0) {
                size_t n = strlen(s);
                bool digits = n == 12 && strspn(s, "0123456789") == 12;
                ok = strcmp(s, "*") == 0 || digits || strncmp(s, "arn:aws:iam::", 13) == 0 ||
                     strncmp(s, "arn:aws:sts::", 13) == 0;
            } else if (strcmp(k, "Service") == 0) {
                ok = *s && !strchr(s, ' ') && strchr(s, '.');
            }
            if (!ok)
                return malformed(r, "Invalid principal in policy: \"%s\":\"%s\"", k, s);
        }
    }
    return 0;
}

/* What a statement must say, once its grammar is right. */
static int check_statement(struct dd_request *r, json_t *s, enum policy_kind kind)
{
    json_t *actions = json_object_get(s, "Action") ? json_object_get(s, "Action") : json_object_get(s, "NotAction");
    json_t *resources =
        json_object_get(s, "Resource") ? json_object_get(s, "Resource") : json_object_get(s, "NotResource");
    json_t *principal =
        json_object_get(s, "Principal") ? json_object_get(s, "Principal") : json_object_get(s, "NotPrincipal");
    if (kind == POLICY_IDENTITY && principal)
        return malformed(r, "Policy document should not specify a principal.");
    if (kind == POLICY_TRUST && resources)
        return malformed(r, "Has prohibited field %s", json_object_get(s, "Resource") ? "Resource" : "NotResource");
    if (value_count(actions) == 0)
        return malformed(r, "Policy statement must contain actions.");
    if (kind == POLICY_IDENTITY && value_count(resources) == 0)
        return malformed(r, "Policy statement must contain resources.");
    if (kind == POLICY_TRUST && !principal)
        return malformed(r, "Missing required field Principal");
    for (size_t i = 0; i < value_count(actions); i++)
        if (check_action(r, json_string_value(value_at(actions, i)), kind))
            return -1;
    for (size_t i = 0; i < value_count(resources); i++)
        if (check_resource(r, json_string_value(value_at(resources, i))))
            return -1;
    return kind == POLICY_TRUST ? check_principals(r, principal) : 0;
}

/* The grammar of the whole document: any fault is "Syntax errors in policy." */
static bool document_shape_ok(json_t *doc, json_t *statements)
{
    const char *k;
    json_t *v, *s;
    size_t i;
    json_object_foreach(doc, k, v)
    {
        if (strcmp(k, "Version") && strcmp(k, "Id") && strcmp(k, "Statement"))
            return false;
    }
    json_t *version = json_object_get(doc, "Version"), *id = json_object_get(doc, "Id");
    if ((version && !json_is_string(version)) || (id && !json_is_string(id)) || !json_is_array(statements) ||
        json_array_size(statements) == 0)
        return false;
    const char *ver = json_string_value(version);
    if (ver && strcmp(ver, "2012-10-17") && strcmp(ver, "2008-10-17"))
        return false;
    json_array_foreach(statements, i, s)
    {
        if (!statement_shape_ok(s))
            return false;
    }
    return true;
}

static bool sids_unique(json_t *statements)
{
    for (size_t i = 0; i < json_array_size(statements); i++) {
        const char *sid = json_string_value(json_object_get(json_array_get(statements, i), "Sid"));
        for (size_t j = 0; sid && j < i; j++) {
            const char *other = json_string_value(json_object_get(json_array_get(statements, j), "Sid"));
            if (other && strcmp(sid, other) == 0)
                return false;
        }
    }
    return true;
}

/*
 * Checks a policy document as IAM does: first the grammar, then the version
 * (identity policies need 2012-10-17), then each statement's content, in
 * AWS's words. Returns 0, or -1 with MalformedPolicyDocument recorded.
 */
static int check_policy(struct dd_request *r, const char *text, enum policy_kind kind)
{
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return malformed(r, "%s", kind == POLICY_TRUST ? "This policy contains invalid Json" : MSG_SYNTAX);
    }
    json_t *stmts = json_object_get(doc, "Statement");
    json_t *list = json_is_object(stmts) ? json_pack("[O]", stmts) : json_incref(stmts);
    const char *ver = json_string_value(json_object_get(doc, "Version"));
    int rc = 0;
    if (!document_shape_ok(doc, list))
        rc = malformed(r, "%s", MSG_SYNTAX);
    else if (kind == POLICY_IDENTITY && (!ver || strcmp(ver, "2012-10-17")))
        rc = malformed(r, "Policy document must be version 2012-10-17 or greater.");
    else if (!sids_unique(list))
        rc = malformed(r, "Statement IDs (SID) in a single policy must be unique.");
    for (size_t i = 0; rc == 0 && i < json_array_size(list); i++)
        rc = check_statement(r, json_array_get(list, i), kind);
    json_decref(list);
    json_decref(doc);
    return rc;
}

/* ---- roles -------------------------------------------------------------------------------- */

static json_t *role_json(sqlite3_stmt *st)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:i}", "Path", col(st, 2), "RoleName", col(st, 0),
                          "RoleId", col(st, 1), "Arn", col(st, 3), "CreateDate", seconds(sqlite3_column_int64(st, 7)),
                          "AssumeRolePolicyDocument", url_encoded(col(st, 4)), "MaxSessionDuration",
                          sqlite3_column_int(st, 6));
    if (col(st, 5))
        json_object_set_new(o, "Description", json_string(col(st, 5)));
    return o;
}

/* The role `name` as a Role (new), or NULL with NoSuchEntity recorded. `linked` reports a service-linked role. */
static json_t *role_get(struct dd_request *r, const char *name, bool *linked)
{
    sqlite3_stmt *st = scoped1(r, SQL_ROLE, name);
    json_t *role = NULL;
    if (sqlite3_step(st) == SQLITE_ROW) {
        role = role_json(st);
        if (linked)
            *linked = sqlite3_column_int(st, 8) != 0;
    }
    sqlite3_reset(st);
    if (!role)
        dd_fail(r, 404, "NoSuchEntity", "The role with name %s cannot be found.", name);
    return role;
}

/* Like role_get, for handlers that only need to know the role exists. */
static int role_must_exist(struct dd_request *r, const char *name)
{
    json_t *role = role_get(r, name, NULL);
    json_decref(role);
    return role ? 0 : -1;
}

/* Service-linked roles are AWS's to change. */
static int role_modifiable(struct dd_request *r, const char *name)
{
    bool linked = false;
    json_t *role = role_get(r, name, &linked);
    json_decref(role);
    if (!role)
        return -1;
    if (linked)
        return dd_reject(r, 400, "UnmodifiableEntity",
                      "Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS",
                      name);
    return 0;
}

static const char SQL_PROFILE_LOOKUP[] = "SELECT arn, id FROM iam_instance_profile WHERE account=?1 AND ?2 IS NOT NULL"
                                         " AND (name=?3 OR arn=?4)";

bool iam_instance_profile_lookup(struct dd_request *r, const char *name, const char *arn, char arn_out[640],
                                 char id_out[32])
{
    sqlite3_stmt *st = dd_stmt(r, SQL_PROFILE_LOOKUP);
    store_bind_text(st, 3, name);
    store_bind_text(st, 4, arn);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        snprintf(arn_out, 640, "%s", store_col_text(st, 0));
        snprintf(id_out, 32, "%s", store_col_text(st, 1));
    }
    sqlite3_reset(st);
    return found;
}

bool iam_role_lookup(struct dd_request *r, const char *account, const char *name, struct iam_role_ref *out)
{
    sqlite3_stmt *st = store_stmt(r->db, SQL_ROLE);
    store_bind_text(st, 1, account);
    store_bind_text(st, 2, name);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        snprintf(out->name, sizeof out->name, "%s", col(st, 0));
        snprintf(out->id, sizeof out->id, "%s", col(st, 1));
        snprintf(out->arn, sizeof out->arn, "%s", col(st, 3));
        out->trust = strdup(col(st, 4));
        out->max_session = sqlite3_column_int(st, 6);
    }
    sqlite3_reset(st);
    return found;
}

/* Inserts a role; the trust policy must already be checked. */
static json_t *role_insert(struct dd_request *r, const char *name, const char *path, const char *trust,
                           const char *description, int max_session, bool linked)
{
    sqlite3_stmt *st = scoped1(r, SQL_ROLE, name);
    bool taken = exists(st);
    if (taken)
        return dd_fail(r, 409, "EntityAlreadyExists", "Role with name %s already exists.", name);
    char id[22], *arn = NULL;
    iam_random_id("AROA", 21, id);
    if (asprintf(&arn, "arn:aws:iam::%s:role%s%s", r->account, path, name) < 0)
        abort();
    st = scoped1(r, SQL_INSERT_ROLE, name);
    store_bind_text(st, 3, id);
    store_bind_text(st, 4, path);
    store_bind_text(st, 5, arn);
    store_bind_text(st, 6, trust);
    store_bind_text(st, 7, description);
    sqlite3_bind_int(st, 8, max_session);
    sqlite3_bind_int64(st, 9, r->now_ms);
    sqlite3_bind_int(st, 10, linked);
    free(arn);
    if (dd_exec(r, st))
        return NULL;
    return role_get(r, name, NULL);
}

static json_t *create_role(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "RoleName"), *path = dd_in_str(in, "Path") ? dd_in_str(in, "Path") : "/";
    const char *trust = dd_in_str(in, "AssumeRolePolicyDocument");
    json_t *tags = json_object_get(in, "Tags");
    if (check_name(r, "roleName", name) || check_path(r, "path", path) || check_policy(r, trust, POLICY_TRUST))
        return NULL;
    json_t *role = role_insert(r, name, path, trust, dd_in_str(in, "Description"),
                               (int)dd_in_int(in, "MaxSessionDuration", DEFAULT_SESSION), false);
    if (!role)
        return NULL;
    if (json_array_size(tags)) {
        if (tags_put(r, "role", name, tags)) {
            json_decref(role);
            return NULL;
        }
        json_object_set_new(role, "Tags", tags_json(r, "role", name));
    }
    return json_pack("{s:o}", "Role", role);
}

static json_t *get_role(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "RoleName");
    json_t *role = role_get(r, name, NULL);
    if (!role)
        return NULL;
    json_t *tags = tags_json(r, "role", name);
    if (json_array_size(tags))
        json_object_set(role, "Tags", tags);
    json_decref(tags);
    json_object_set_new(role, "RoleLastUsed", json_object());
    return json_pack("{s:o}", "Role", role);
}

static json_t *list_roles(struct dd_request *r, json_t *in)
{
    const char *prefix = dd_in_str(in, "PathPrefix") ? dd_in_str(in, "PathPrefix") : "/";
    json_t *roles = json_array();
    sqlite3_stmt *st = scoped1(r, SQL_ROLES, prefix);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(roles, role_json(st));
    sqlite3_reset(st);
    return page(in, roles, "Roles");
}

static json_t *update_role(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "RoleName");
    if (role_modifiable(r, name))
        return NULL;
    sqlite3_stmt *st = scoped1(r, SQL_UPDATE_ROLE, name);
    store_bind_text(st, 3, dd_in_str(in, "Description"));
    if (json_object_get(in, "MaxSessionDuration"))
        sqlite3_bind_int64(st, 4, dd_in_int(in, "MaxSessionDuration", DEFAULT_SESSION));
    return dd_exec(r, st) ? NULL : json_object();
}

static json_t *update_assume_role_policy(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "RoleName"), *doc = dd_in_str(in, "PolicyDocument");
    if (role_modifiable(r, name) || check_policy(r, doc, POLICY_TRUST))
        return NULL;
    sqlite3_stmt *st = scoped1(r, SQL_UPDATE_TRUST, name);
    store_bind_text(st, 3, doc);
    return dd_exec(r, st) ? NULL : json_object();
}

static json_t *delete_role(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "RoleName");
    if (role_modifiable(r, name))
        return NULL;
    if (dd_single_int(scoped1(r, SQL_COUNT_ROLE_PROFILES, name), 0))
        return dd_fail(r, 409, "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.");
    if (dd_single_int(scoped1(r, SQL_COUNT_ATTACHED, name), 0))
        return dd_fail(r, 409, "DeleteConflict", "Cannot delete entity, must detach all policies first.");
    if (dd_single_int(scoped1(r, SQL_COUNT_INLINE, name), 0))
        return dd_fail(r, 409, "DeleteConflict", "Cannot delete entity, must delete policies first.");
    if (tags_drop(r, "role", name) || dd_exec(r, scoped1(r, SQL_DELETE_ROLE, name)))
        return NULL;
    return json_object();
}

static json_t *tag_role(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "RoleName");
    if (role_must_exist(r, name) || tags_put(r, "role", name, json_object_get(in, "Tags")))
        return NULL;
    return json_object();
}

static json_t *untag_role(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "RoleName");
    if (role_must_exist(r, name) || tags_remove(r, "role", name, json_object_get(in, "TagKeys")))
        return NULL;
    return json_object();
}

static json_t *list_role_tags(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "RoleName");
    if (role_must_exist(r, name))
        return NULL;
    return page(in, tags_json(r, "role", name), "Tags");
}

/* ---- service-linked roles ------------------------------------------------------------------- */

static const struct linked_role {
    const char *service;
    const char *role;
    const char *description;
    bool suffix_allowed;
} linked_roles[] = {
    {"ecs.amazonaws.com", "AWSServiceRoleForECS",
     "Role to enable Amazon ECS to manage your cluster.", false},
    {"elasticloadbalancing.amazonaws.com", "AWSServiceRoleForElasticLoadBalancing",
     "Allows ELB to call AWS services on your behalf.", false},
    {"rds.amazonaws.com", "AWSServiceRoleForRDS",
     "Allows Amazon RDS to manage AWS resources on your behalf", false},
    {"autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling",
     "Default Service-Linked Role enables access to AWS Services and Resources used or managed by Auto Scaling",
     true},
    {"ecs.application-autoscaling.amazonaws.com", "AWSServiceRoleForApplicationAutoScaling_ECSService", NULL, false},
    {"rds.application-autoscaling.amazonaws.com", "AWSServiceRoleForApplicationAutoScaling_RDSCluster", NULL, false},
    {"dynamodb.application-autoscaling.amazonaws.com", "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable", NULL,
     false},
};

static json_t *create_service_linked_role(struct dd_request *r, json_t *in)
{
    const char *service = dd_in_str(in, "AWSServiceName"), *suffix = dd_in_str(in, "CustomSuffix");
    const struct linked_role *lr = NULL;
    for (size_t i = 0; i < sizeof linked_roles / sizeof *linked_roles; i++)
        if (strcmp(linked_roles[i].service, service) == 0)
            lr = &linked_roles[i];
    if (!lr)
        return dd_fail(r, 400, "InvalidInput", "Unrecognized service name: %s", service);
    if (suffix && !lr->suffix_allowed)
        return dd_fail(r, 400, "InvalidInput", "Custom suffix is not allowed for %s", service);
    char name[160], path[200], trust[512];
    snprintf(name, sizeof name, "%s%s%s", lr->role, suffix ? "_" : "", suffix ? suffix : "");
    snprintf(path, sizeof path, "/aws-service-role/%s/", service);
    snprintf(trust, sizeof trust,
             "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":[\"%s\"]},"
             "\"Action\":[\"sts:AssumeRole\"]}]}",
             service);
    if (exists(scoped1(r, SQL_ROLE, name)))
        return dd_fail(r, 400, "InvalidInput",
                       "Service role name %s has been taken in this account, please try a different suffix.", name);
    const char *desc = dd_in_str(in, "Description") ? dd_in_str(in, "Description") : lr->description;
    json_t *role = role_insert(r, name, path, trust, desc, DEFAULT_SESSION, true);
    return role ? json_pack("{s:o}", "Role", role) : NULL;
}

/* ---- AWS managed policies (fixture) ------------------------------------------------------------ */

struct aws_policy {
    json_t *entry; /* the fixture's object: PolicyName, Path, PolicyId, DefaultVersionId, Document, ... */
    char *arn;
    int64_t created_ms, updated_ms;
};

static struct aws_policy *g_aws;
static size_t g_aws_count;
static pthread_once_t g_aws_once = PTHREAD_ONCE_INIT;

static int64_t fixture_ms(json_t *e, const char *key)
{
    double t = 0;
    const char *s = dd_in_str(e, key);
    return s && codec_parse_timestamp(s, &t) == 0 ? (int64_t)(t * 1000) : 0;
}

/* Loaded once and never changed: threads only read it. */
static void aws_load(void)
{
    json_t *doc = fixture_json("iam_managed_policies");
    json_t *list = json_object_get(doc, "policies");
    g_aws = calloc(json_array_size(list) + 1, sizeof *g_aws);
    if (!g_aws)
        abort();
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        if (!dd_in_str(e, "PolicyName") || !dd_in_str(e, "Path") || !dd_in_str(e, "Document"))
            continue;
        struct aws_policy *p = &g_aws[g_aws_count++];
        p->entry = json_incref(e);
        if (asprintf(&p->arn, "%s%s%s", AWS_POLICY_PREFIX, dd_in_str(e, "Path"), dd_in_str(e, "PolicyName")) < 0)
            abort();
        p->created_ms = fixture_ms(e, "CreateDate");
        p->updated_ms = fixture_ms(e, "UpdateDate");
    }
    json_decref(doc);
}

static const struct aws_policy *aws_find(const char *arn)
{
    pthread_once(&g_aws_once, aws_load);
    for (size_t i = 0; i < g_aws_count; i++)
        if (strcmp(g_aws[i].arn, arn) == 0)
            return &g_aws[i];
    return NULL;
}

/* ---- managed policies ------------------------------------------------------------------------ */

static bool is_aws_policy(const char *arn)
{
    return strncmp(arn, AWS_POLICY_PREFIX, sizeof AWS_POLICY_PREFIX - 1) == 0;
}

static json_t *policy_base(struct dd_request *r, const char *arn, const char *name, const char *id, const char *path,
                           const char *version, int64_t created_ms, int64_t updated_ms)
{
    sqlite3_stmt *st = scoped1(r, SQL_ATTACHMENT_COUNT, arn);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:b, s:o, s:o}", "PolicyName", name, "PolicyId", id,
                     "Arn", arn, "Path", path, "DefaultVersionId", version, "AttachmentCount",
                     (json_int_t)dd_single_int(st, 0), "PermissionsBoundaryUsageCount", 0, "IsAttachable", 1,
                     "CreateDate", seconds(created_ms), "UpdateDate", seconds(updated_ms));
}

static json_t *aws_policy_json(struct dd_request *r, const struct aws_policy *p, bool with_description)
{
    json_t *e = p->entry;
    json_t *o = policy_base(r, p->arn, dd_in_str(e, "PolicyName"), dd_in_str(e, "PolicyId"), dd_in_str(e, "Path"),
                            dd_in_str(e, "DefaultVersionId"), p->created_ms, p->updated_ms);
    if (with_description && dd_in_str(e, "Description"))
        json_object_set_new(o, "Description", json_string(dd_in_str(e, "Description")));
    return o;
}

/* The current row of a POLICY_COLS statement as a Policy. */
static json_t *local_policy_json(struct dd_request *r, sqlite3_stmt *st, bool with_description)
{
    char version[24];
    snprintf(version, sizeof version, "v%lld", (long long)sqlite3_column_int64(st, 5));
    json_t *o = policy_base(r, col(st, 0), col(st, 1), col(st, 2), col(st, 3), version,
                            sqlite3_column_int64(st, 6), sqlite3_column_int64(st, 7));
    if (with_description && col(st, 4))
        json_object_set_new(o, "Description", json_string(col(st, 4)));
    return o;
}

/* The policy `arn` as a Policy (new), or NULL with NoSuchEntity (`missing` is AWS's message for the caller). */
static json_t *policy_get(struct dd_request *r, const char *arn, const char *missing)
{
    json_t *o = NULL;
    if (is_aws_policy(arn)) {
        const struct aws_policy *p = aws_find(arn);
        o = p ? aws_policy_json(r, p, true) : NULL;
    } else {
        sqlite3_stmt *st = scoped1(r, SQL_POLICY, arn);
        if (sqlite3_step(st) == SQLITE_ROW)
            o = local_policy_json(r, st, true);
        sqlite3_reset(st);
    }
    if (!o)
        dd_fail(r, 404, "NoSuchEntity", missing, arn);
    return o;
}

static const char MSG_POLICY_NOT_FOUND[] = "Policy %s was not found.";
static const char MSG_NOT_ATTACHABLE[] = "Policy %s does not exist or is not attachable.";

/* A customer managed policy of the caller's account; AWS's own are read-only. */
static json_t *own_policy_get(struct dd_request *r, const char *arn)
{
    if (is_aws_policy(arn) && aws_find(arn))
        return dd_fail(r, 403, "AccessDenied", "User: %s is not authorized to perform: iam:%s on resource: policy %s",
                       r->caller_arn, r->op->name, arn);
    return policy_get(r, arn, MSG_POLICY_NOT_FOUND);
}

static json_t *create_policy(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "PolicyName"), *path = dd_in_str(in, "Path") ? dd_in_str(in, "Path") : "/";
    const char *doc = dd_in_str(in, "PolicyDocument");
    if (check_name(r, "policyName", name) || check_path(r, "path", path) || check_policy(r, doc, POLICY_IDENTITY))
        return NULL;
    if (exists(scoped1(r, SQL_POLICY_NAMED, name)))
        return dd_fail(r, 409, "EntityAlreadyExists", "A policy called %s already exists. Duplicate names are not allowed.",
                       name);
    char id[22], *arn = NULL;
    iam_random_id("ANPA", 21, id);
    if (asprintf(&arn, "arn:aws:iam::%s:policy%s%s", r->account, path, name) < 0)
        abort();
    sqlite3_stmt *st = scoped1(r, SQL_INSERT_POLICY, arn);
    store_bind_text(st, 3, name);
    store_bind_text(st, 4, id);
    store_bind_text(st, 5, path);
    store_bind_text(st, 6, dd_in_str(in, "Description"));
    sqlite3_bind_int64(st, 7, r->now_ms);
    json_t *out = NULL;
    if (dd_exec(r, st) == 0) {
        st = scoped1(r, SQL_INSERT_VERSION, arn);
        sqlite3_bind_int(st, 3, 1);
        store_bind_text(st, 4, doc);
        sqlite3_bind_int64(st, 5, r->now_ms);
        if (dd_exec(r, st) == 0 && tags_put(r, "policy", arn, json_object_get(in, "Tags")) == 0) {
            json_t *policy = policy_get(r, arn, MSG_POLICY_NOT_FOUND);
            json_object_del(policy, "Description");
            json_t *tags = tags_json(r, "policy", arn);
            if (json_array_size(tags))
                json_object_set(policy, "Tags", tags);
            json_decref(tags);
            out = json_pack("{s:o}", "Policy", policy);
        }
    }
    free(arn);
    return out;
}

static json_t *get_policy(struct dd_request *r, json_t *in)
{
    const char *arn = dd_in_str(in, "PolicyArn");
    json_t *policy = policy_get(r, arn, MSG_POLICY_NOT_FOUND);
    if (!policy)
        return NULL;
    json_t *tags = tags_json(r, "policy", arn);
    if (json_array_size(tags))
        json_object_set(policy, "Tags", tags);
    json_decref(tags);
    return json_pack("{s:o}", "Policy", policy);
}

static bool policy_listed(json_t *in, json_t *policy, bool aws)
{
    const char *scope = dd_in_str(in, "Scope") ? dd_in_str(in, "Scope") : "All";
    const char *prefix = dd_in_str(in, "PathPrefix") ? dd_in_str(in, "PathPrefix") : "/";
    if ((strcmp(scope, "AWS") == 0 && !aws) || (strcmp(scope, "Local") == 0 && aws))
        return false;
    if (json_is_true(json_object_get(in, "OnlyAttached")) && dd_in_int(policy, "AttachmentCount", 0) == 0)
        return false;
    return strncmp(dd_in_str(policy, "Path"), prefix, strlen(prefix)) == 0;
}

static json_t *list_policies(struct dd_request *r, json_t *in)
{
    json_t *all = json_array();
    pthread_once(&g_aws_once, aws_load);
    for (size_t i = 0; i < g_aws_count; i++) {
        json_t *p = aws_policy_json(r, &g_aws[i], false);
        if (policy_listed(in, p, true))
            json_array_append(all, p);
        json_decref(p);
    }
    sqlite3_stmt *st = scoped(r, SQL_POLICIES);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *p = local_policy_json(r, st, false);
        if (policy_listed(in, p, false))
            json_array_append(all, p);
        json_decref(p);
    }
    sqlite3_reset(st);
    return page(in, all, "Policies");
}

/* "v3" -> 3; 0 when not a version id. */
static int64_t version_number(const char *id)
{
    if (!id || id[0] != 'v' || !id[1] || strspn(id + 1, "0123456789") != strlen(id + 1))
        return 0;
    return strtoll(id + 1, NULL, 10);
}

static json_t *version_json(sqlite3_stmt *st, int64_t default_version, bool with_document)
{
    int64_t v = sqlite3_column_int64(st, 0);
    json_t *o = json_pack("{s:o, s:b, s:o}", "VersionId", json_sprintf("v%lld", (long long)v), "IsDefaultVersion",
                          v == default_version, "CreateDate", seconds(sqlite3_column_int64(st, 2)));
    if (with_document)
        json_object_set_new(o, "Document", url_encoded(col(st, 1)));
    return o;
}

static json_t *get_policy_version(struct dd_request *r, json_t *in)
{
    const char *arn = dd_in_str(in, "PolicyArn"), *vid = dd_in_str(in, "VersionId");
    const struct aws_policy *ap = is_aws_policy(arn) ? aws_find(arn) : NULL;
    if (ap && strcmp(vid, dd_in_str(ap->entry, "DefaultVersionId")) == 0)
        return json_pack("{s:{s:o, s:s, s:b, s:o}}", "PolicyVersion", "Document",
                         url_encoded(dd_in_str(ap->entry, "Document")), "VersionId", vid, "IsDefaultVersion", 1,
                         "CreateDate", seconds(ap->updated_ms));
    json_t *policy = policy_get(r, arn, MSG_POLICY_NOT_FOUND);
    if (!policy)
        return NULL;
    int64_t def = version_number(dd_in_str(policy, "DefaultVersionId"));
    json_decref(policy);
    sqlite3_stmt *st = scoped1(r, SQL_VERSION, arn);
    sqlite3_bind_int64(st, 3, version_number(vid));
    json_t *v = sqlite3_step(st) == SQLITE_ROW ? version_json(st, def, true) : NULL;
    sqlite3_reset(st);
    if (!v)
        return dd_fail(r, 404, "NoSuchEntity", "Policy %s version %s does not exist or is not attachable.", arn, vid);
    return json_pack("{s:o}", "PolicyVersion", v);
}

static json_t *list_policy_versions(struct dd_request *r, json_t *in)
{
    const char *arn = dd_in_str(in, "PolicyArn");
    json_t *policy = policy_get(r, arn, MSG_POLICY_NOT_FOUND);
    if (!policy)
        return NULL;
    json_t *versions = json_array();
    if (is_aws_policy(arn)) {
        const struct aws_policy *ap = aws_find(arn);
        json_array_append_new(versions, json_pack("{s:s, s:b, s:o}", "VersionId", dd_in_str(ap->entry, "DefaultVersionId"),
                                                  "IsDefaultVersion", 1, "CreateDate", seconds(ap->updated_ms)));
    } else {
        int64_t def = version_number(dd_in_str(policy, "DefaultVersionId"));
        sqlite3_stmt *st = scoped1(r, SQL_VERSIONS, arn);
        while (sqlite3_step(st) == SQLITE_ROW)
            json_array_append_new(versions, version_json(st, def, false));
        sqlite3_reset(st);
    }
    json_decref(policy);
    return page(in, versions, "Versions");
}

static json_t *create_policy_version(struct dd_request *r, json_t *in)
{
    const char *arn = dd_in_str(in, "PolicyArn"), *doc = dd_in_str(in, "PolicyDocument");
    json_t *policy = own_policy_get(r, arn);
    if (!policy)
        return NULL;
    json_decref(policy);
    if (check_policy(r, doc, POLICY_IDENTITY))
        return NULL;
    if (dd_single_int(scoped1(r, SQL_COUNT_VERSIONS, arn), 0) >= MAX_POLICY_VERSIONS)
        return dd_fail(r, 409, "LimitExceeded",
                       "A managed policy can have up to %d versions. Before you create a new version, you must "
                       "delete an existing version.",
                       MAX_POLICY_VERSIONS);
    sqlite3_stmt *st = scoped1(r, SQL_NEXT_VERSION, arn);
    sqlite3_bind_int64(st, 3, r->now_ms);
    int64_t v = dd_single_int(st, 0);
    st = scoped1(r, SQL_INSERT_VERSION, arn);
    sqlite3_bind_int64(st, 3, v);
    store_bind_text(st, 4, doc);
    sqlite3_bind_int64(st, 5, r->now_ms);
    if (dd_exec(r, st))
        return NULL;
    bool make_default = json_is_true(json_object_get(in, "SetAsDefault"));
    if (make_default) {
        st = scoped1(r, SQL_SET_DEFAULT, arn);
        sqlite3_bind_int64(st, 3, v);
        sqlite3_bind_int64(st, 4, r->now_ms);
        if (dd_exec(r, st))
            return NULL;
    }
    return json_pack("{s:{s:o, s:b, s:o}}", "PolicyVersion", "VersionId", json_sprintf("v%lld", (long long)v),
                     "IsDefaultVersion", make_default, "CreateDate", seconds(r->now_ms));
}

/* The stored version `vid` of a customer policy: its number, or 0 with NoSuchEntity. */
static int64_t own_version(struct dd_request *r, const char *arn, const char *vid, int64_t *default_version)
{
    json_t *policy = own_policy_get(r, arn);
    if (!policy)
        return 0;
    *default_version = version_number(dd_in_str(policy, "DefaultVersionId"));
    json_decref(policy);
    sqlite3_stmt *st = scoped1(r, SQL_VERSION, arn);
    sqlite3_bind_int64(st, 3, version_number(vid));
    if (!exists(st)) {
        dd_fail(r, 404, "NoSuchEntity", "Policy %s version %s does not exist or is not attachable.", arn, vid);
        return 0;
    }
    return version_number(vid);
}

static json_t *set_default_policy_version(struct dd_request *r, json_t *in)
{
    const char *arn = dd_in_str(in, "PolicyArn");
    int64_t def = 0, v = own_version(r, arn, dd_in_str(in, "VersionId"), &def);
    if (!v)
        return NULL;
    sqlite3_stmt *st = scoped1(r, SQL_SET_DEFAULT, arn);
    sqlite3_bind_int64(st, 3, v);
    sqlite3_bind_int64(st, 4, r->now_ms);
    return dd_exec(r, st) ? NULL : json_object();
}

static json_t *delete_policy_version(struct dd_request *r, json_t *in)
{
    const char *arn = dd_in_str(in, "PolicyArn");
    int64_t def = 0, v = own_version(r, arn, dd_in_str(in, "VersionId"), &def);
    if (!v)
        return NULL;
    if (v == def)
        return dd_fail(r, 409, "DeleteConflict", "Cannot delete the default version of a policy.");
    sqlite3_stmt *st = scoped1(r, SQL_DELETE_VERSION, arn);
    sqlite3_bind_int64(st, 3, v);
    return dd_exec(r, st) ? NULL : json_object();
}

static json_t *delete_policy(struct dd_request *r, json_t *in)
{
    const char *arn = dd_in_str(in, "PolicyArn");
    json_t *policy = own_policy_get(r, arn);
    if (!policy)
        return NULL;
    json_int_t attached = dd_in_int(policy, "AttachmentCount", 0);
    json_decref(policy);
    if (attached)
        return dd_fail(r, 409, "DeleteConflict", "Cannot delete a policy attached to entities.");
    if (dd_single_int(scoped1(r, SQL_COUNT_VERSIONS, arn), 0) > 1)
        return dd_fail(r, 409, "DeleteConflict",
                       "This policy has more than one version. Before you delete a policy, you must delete the "
                       "policy's versions. The default version is deleted with the policy.");
    if (dd_exec(r, scoped1(r, SQL_DELETE_VERSIONS, arn)) || tags_drop(r, "policy", arn) ||
        dd_exec(r, scoped1(r, SQL_DELETE_POLICY, arn)))
        return NULL;
    return json_object();
}

static json_t *tag_policy(struct dd_request *r, json_t *in)
{
    const char *arn = dd_in_str(in, "PolicyArn");
    json_t *policy = own_policy_get(r, arn);
    json_decref(policy);
    if (!policy || tags_put(r, "policy", arn, json_object_get(in, "Tags")))
        return NULL;
    return json_object();
}

static json_t *untag_policy(struct dd_request *r, json_t *in)
{
    const char *arn = dd_in_str(in, "PolicyArn");
    json_t *policy = own_policy_get(r, arn);
    json_decref(policy);
    if (!policy || tags_remove(r, "policy", arn, json_object_get(in, "TagKeys")))
        return NULL;
    return json_object();
}

static json_t *list_policy_tags(struct dd_request *r, json_t *in)
{
    const char *arn = dd_in_str(in, "PolicyArn");
    json_t *policy = policy_get(r, arn, MSG_POLICY_NOT_FOUND);
    json_decref(policy);
    return policy ? page(in, tags_json(r, "policy", arn), "Tags") : NULL;
}

/* ---- attached managed policies --------------------------------------------------------------------- */

static json_t *attach_role_policy(struct dd_request *r, json_t *in)
{
    const char *role = dd_in_str(in, "RoleName"), *arn = dd_in_str(in, "PolicyArn");
    if (role_must_exist(r, role))
        return NULL;
    json_t *policy = policy_get(r, arn, MSG_NOT_ATTACHABLE);
    if (!policy)
        return NULL;
    bool already = exists(scoped2(r, SQL_IS_ATTACHED, role, arn));
    if (!already && dd_single_int(scoped1(r, SQL_COUNT_ATTACHED, role), 0) >= MAX_ATTACHED_PER_ROLE) {
        json_decref(policy);
        return dd_fail(r, 409, "LimitExceeded", "Cannot exceed quota for PoliciesPerRole: %d", MAX_ATTACHED_PER_ROLE);
    }
    sqlite3_stmt *st = scoped2(r, SQL_ATTACH, role, arn);
    store_bind_text(st, 4, dd_in_str(policy, "PolicyName"));
    store_bind_text(st, 5, dd_in_str(policy, "Path"));
    sqlite3_bind_int64(st, 6, r->now_ms);
    json_decref(policy);
    return dd_exec(r, st) ? NULL : json_object();
}

static json_t *detach_role_policy(struct dd_request *r, json_t *in)
{
    const char *role = dd_in_str(in, "RoleName"), *arn = dd_in_str(in, "PolicyArn");
    if (role_must_exist(r, role))
        return NULL;
    if (!exists(scoped2(r, SQL_IS_ATTACHED, role, arn)))
        return dd_fail(r, 404, "NoSuchEntity", "Policy %s was not found.", arn);
    return dd_exec(r, scoped2(r, SQL_DETACH, role, arn)) ? NULL : json_object();
}

static json_t *list_attached_role_policies(struct dd_request *r, json_t *in)
{
    const char *role = dd_in_str(in, "RoleName");
    const char *prefix = dd_in_str(in, "PathPrefix") ? dd_in_str(in, "PathPrefix") : "/";
    if (role_must_exist(r, role))
        return NULL;
    json_t *list = json_array();
    sqlite3_stmt *st = scoped1(r, SQL_ATTACHED, role);
    while (sqlite3_step(st) == SQLITE_ROW)
        if (strncmp(col(st, 2), prefix, strlen(prefix)) == 0)
            json_array_append_new(list, json_pack("{s:s, s:s}", "PolicyName", col(st, 0), "PolicyArn", col(st, 1)));
    sqlite3_reset(st);
    return page(in, list, "AttachedPolicies");
}

/* ---- inline role policies ------------------------------------------------------------------------ */

static json_t *put_role_policy(struct dd_request *r, json_t *in)
{
    const char *role = dd_in_str(in, "RoleName"), *name = dd_in_str(in, "PolicyName"), *doc = dd_in_str(in, "PolicyDocument");
    if (check_name(r, "policyName", name) || role_must_exist(r, role) || check_policy(r, doc, POLICY_IDENTITY))
        return NULL;
    sqlite3_stmt *st = scoped2(r, SQL_PUT_INLINE, role, name);
    store_bind_text(st, 4, doc);
    return dd_exec(r, st) ? NULL : json_object();
}

static json_t *get_role_policy(struct dd_request *r, json_t *in)
{
    const char *role = dd_in_str(in, "RoleName"), *name = dd_in_str(in, "PolicyName");
    json_t *roleobj = role_get(r, role, NULL);
    if (!roleobj)
        return NULL;
    json_t *out = NULL;
    sqlite3_stmt *st = scoped2(r, SQL_INLINE, role, name);
    if (sqlite3_step(st) == SQLITE_ROW)
        out = json_pack("{s:s, s:s, s:o}", "RoleName", dd_in_str(roleobj, "RoleName"), "PolicyName", col(st, 0),
                        "PolicyDocument", url_encoded(col(st, 1)));
    sqlite3_reset(st);
    json_decref(roleobj);
    if (!out)
        return dd_fail(r, 404, "NoSuchEntity", "The role policy with name %s cannot be found.", name);
    return out;
}

static json_t *delete_role_policy(struct dd_request *r, json_t *in)
{
    const char *role = dd_in_str(in, "RoleName"), *name = dd_in_str(in, "PolicyName");
    if (role_must_exist(r, role))
        return NULL;
    if (!exists(scoped2(r, SQL_INLINE, role, name)))
        return dd_fail(r, 404, "NoSuchEntity", "The role policy with name %s cannot be found.", name);
    return dd_exec(r, scoped2(r, SQL_DELETE_INLINE, role, name)) ? NULL : json_object();
}

static json_t *list_role_policies(struct dd_request *r, json_t *in)
{
    const char *role = dd_in_str(in, "RoleName");
    if (role_must_exist(r, role))
        return NULL;
    json_t *names = json_array();
    sqlite3_stmt *st = scoped1(r, SQL_INLINES, role);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(names, json_string(col(st, 0)));
    sqlite3_reset(st);
    return page(in, names, "PolicyNames");
}

/* ---- instance profiles ----------------------------------------------------------------------------- */

/* The current row of a PROFILE_COLS statement as an InstanceProfile, with its roles. */
static json_t *profile_json(struct dd_request *r, sqlite3_stmt *st)
{
    json_t *roles = json_array();
    char *name = strdup(col(st, 0));
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o}", "Path", col(st, 2), "InstanceProfileName", name,
                          "InstanceProfileId", col(st, 1), "Arn", col(st, 3), "CreateDate",
                          seconds(sqlite3_column_int64(st, 4)));
    sqlite3_stmt *rs = scoped1(r, SQL_PROFILE_ROLES, name);
    while (sqlite3_step(rs) == SQLITE_ROW)
        json_array_append_new(roles, role_json(rs));
    sqlite3_reset(rs);
    json_object_set_new(o, "Roles", roles);
    json_t *tags = tags_json(r, "instance-profile", name);
    if (json_array_size(tags))
        json_object_set(o, "Tags", tags);
    json_decref(tags);
    free(name);
    return o;
}

static json_t *profile_get(struct dd_request *r, const char *name)
{
    sqlite3_stmt *st = scoped1(r, SQL_PROFILE, name);
    json_t *o = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        o = profile_json(r, st);
    sqlite3_reset(st);
    if (!o)
        dd_fail(r, 404, "NoSuchEntity", "Instance Profile %s cannot be found.", name);
    return o;
}

static json_t *create_instance_profile(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "InstanceProfileName"), *path = dd_in_str(in, "Path") ? dd_in_str(in, "Path") : "/";
    if (check_name(r, "instanceProfileName", name) || check_path(r, "path", path))
        return NULL;
    if (exists(scoped1(r, SQL_PROFILE, name)))
        return dd_fail(r, 409, "EntityAlreadyExists", "Instance Profile %s already exists.", name);
    char id[22], *arn = NULL;
    iam_random_id("AIPA", 21, id);
    if (asprintf(&arn, "arn:aws:iam::%s:instance-profile%s%s", r->account, path, name) < 0)
        abort();
    sqlite3_stmt *st = scoped1(r, SQL_INSERT_PROFILE, name);
    store_bind_text(st, 3, id);
    store_bind_text(st, 4, path);
    store_bind_text(st, 5, arn);
    sqlite3_bind_int64(st, 6, r->now_ms);
    free(arn);
    if (dd_exec(r, st) || tags_put(r, "instance-profile", name, json_object_get(in, "Tags")))
        return NULL;
    json_t *p = profile_get(r, name);
    return p ? json_pack("{s:o}", "InstanceProfile", p) : NULL;
}

static json_t *get_instance_profile(struct dd_request *r, json_t *in)
{
    json_t *p = profile_get(r, dd_in_str(in, "InstanceProfileName"));
    return p ? json_pack("{s:o}", "InstanceProfile", p) : NULL;
}

static json_t *profiles_list(struct dd_request *r, json_t *in, const char *sql, const char *arg)
{
    json_t *list = json_array();
    sqlite3_stmt *st = scoped1(r, sql, arg);
    /* profile_json uses other statements, never this one: iterating is safe */
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(list, profile_json(r, st));
    sqlite3_reset(st);
    return page(in, list, "InstanceProfiles");
}

static json_t *list_instance_profiles(struct dd_request *r, json_t *in)
{
    return profiles_list(r, in, SQL_PROFILES, dd_in_str(in, "PathPrefix") ? dd_in_str(in, "PathPrefix") : "/");
}

static json_t *list_instance_profiles_for_role(struct dd_request *r, json_t *in)
{
    const char *role = dd_in_str(in, "RoleName");
    return role_must_exist(r, role) ? NULL : profiles_list(r, in, SQL_PROFILES_OF_ROLE, role);
}

static json_t *add_role_to_instance_profile(struct dd_request *r, json_t *in)
{
    const char *profile = dd_in_str(in, "InstanceProfileName"), *role = dd_in_str(in, "RoleName");
    json_t *p = profile_get(r, profile);
    json_decref(p);
    if (!p || role_must_exist(r, role))
        return NULL;
    if (dd_single_int(scoped1(r, SQL_COUNT_PROFILE_ROLES, profile), 0) >= 1)
        return dd_fail(r, 409, "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1");
    return dd_exec(r, scoped2(r, SQL_ADD_PROFILE_ROLE, profile, role)) ? NULL : json_object();
}

static json_t *remove_role_from_instance_profile(struct dd_request *r, json_t *in)
{
    const char *profile = dd_in_str(in, "InstanceProfileName"), *role = dd_in_str(in, "RoleName");
    json_t *p = profile_get(r, profile);
    json_decref(p);
    if (!p || role_must_exist(r, role))
        return NULL;
    sqlite3_stmt *st = scoped2(r, SQL_REMOVE_PROFILE_ROLE, profile, role);
    if (dd_exec(r, st))
        return NULL;
    if (sqlite3_changes(store_sqlite(r->db)) == 0)
        return dd_fail(r, 404, "NoSuchEntity", "The role with name %s cannot be found.", role);
    return json_object();
}

static json_t *delete_instance_profile(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "InstanceProfileName");
    json_t *p = profile_get(r, name);
    if (!p)
        return NULL;
    size_t roles = json_array_size(json_object_get(p, "Roles"));
    json_decref(p);
    if (roles)
        return dd_fail(r, 409, "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.");
    if (tags_drop(r, "instance-profile", name) || dd_exec(r, scoped1(r, SQL_DELETE_PROFILE, name)))
        return NULL;
    return json_object();
}

/* ---- the service --------------------------------------------------------------------------------- */

static const struct dd_handler handlers[] = {
    {"AddRoleToInstanceProfile", add_role_to_instance_profile, 0},
    {"AttachRolePolicy", attach_role_policy, 0},
    {"CreateInstanceProfile", create_instance_profile, 0},
    {"CreatePolicy", create_policy, 0},
    {"CreatePolicyVersion", create_policy_version, 0},
    {"CreateRole", create_role, 0},
    {"CreateServiceLinkedRole", create_service_linked_role, 0},
    {"DeleteInstanceProfile", delete_instance_profile, 0},
    {"DeletePolicy", delete_policy, 0},
    {"DeletePolicyVersion", delete_policy_version, 0},
    {"DeleteRole", delete_role, 0},
    {"DeleteRolePolicy", delete_role_policy, 0},
    {"DetachRolePolicy", detach_role_policy, 0},
    {"GetInstanceProfile", get_instance_profile, DD_OP_READ},
    {"GetPolicy", get_policy, DD_OP_READ},
    {"GetPolicyVersion", get_policy_version, DD_OP_READ},
    {"GetRole", get_role, DD_OP_READ},
    {"GetRolePolicy", get_role_policy, DD_OP_READ},
    {"ListAttachedRolePolicies", list_attached_role_policies, DD_OP_READ},
    {"ListInstanceProfiles", list_instance_profiles, DD_OP_READ},
    {"ListInstanceProfilesForRole", list_instance_profiles_for_role, DD_OP_READ},
    {"ListPolicies", list_policies, DD_OP_READ},
    {"ListPolicyTags", list_policy_tags, DD_OP_READ},
    {"ListPolicyVersions", list_policy_versions, DD_OP_READ},
    {"ListRolePolicies", list_role_policies, DD_OP_READ},
    {"ListRoleTags", list_role_tags, DD_OP_READ},
    {"ListRoles", list_roles, DD_OP_READ},
    {"PutRolePolicy", put_role_policy, 0},
    {"RemoveRoleFromInstanceProfile", remove_role_from_instance_profile, 0},
    {"SetDefaultPolicyVersion", set_default_policy_version, 0},
    {"TagPolicy", tag_policy, 0},
    {"TagRole", tag_role, 0},
    {"UntagPolicy", untag_policy, 0},
    {"UntagRole", untag_role, 0},
    {"UpdateAssumeRolePolicy", update_assume_role_policy, 0},
    {"UpdateRole", update_role, 0},
};

const struct dd_service dd_service_iam = {
    .model_id = "iam",
    .handlers = handlers,
    .handler_count = sizeof handlers / sizeof *handlers,
    .validation_code = "ValidationError",
    .schema = schema,
};
