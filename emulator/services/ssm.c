/*
 * ssm.c - AWS Systems Manager Parameter Store.
 *
 * State, all isolated by (account, region):
 *   ssm_parameter          name -> its current version
 *   ssm_parameter_version  every kept version (at most 100); a SecureString
 *                          value is stored only sealed (crypto_seal), bound
 *                          to account, region, name and version
 *   ssm_parameter_label    label -> version (a label is on one version at a time)
 *   ssm_tag                tags of a parameter
 * Public parameters (/aws/service/...) are served read-only from the fixture
 * fixtures/ssm_public_parameters.json.
 *
 * Listings (DescribeParameters, GetParametersByPath) walk parameters in name
 * order; NextToken is an opaque encoding of the last name returned, so a walk
 * returns each parameter exactly once even while others are added.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "fixtures.h"
#include "service.h"

#define MAX_VERSIONS 100
#define MAX_LABELS_PER_VERSION 10
#define MAX_TAGS 50
#define MAX_HIERARCHY_LEVELS 15
#define MAX_NAME_WITH_ARN 1011
#define STANDARD_MAX_VALUE 4096
#define ADVANCED_MAX_VALUE 8192
#define MAX_POLICIES 10
#define DEFAULT_KEY_ID "alias/aws/ssm"
#define TOKEN_MAGIC "ssm1\n"

/* AWS's wording, used by more than one check. */
static const char MSG_NAME_PREFIX[] = "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).";
static const char MSG_NAME_PATH[] =
    "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If formed as a path, it can "
    "consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the "
    "following 3 symbols .-_";
static const char MSG_PATH_INVALID[] =
    "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward "
    "slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, "
    "numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not "
    "allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: "
    "/get/parameters2-/by1./path0_.";
static const char MSG_VERSION_NOT_FOUND[] =
    "Systems Manager could not find version %s of %s. Verify the version and try again.";

/* ---- schema ------------------------------------------------------------------ */

static const char SCHEMA_1[] =
    "CREATE TABLE ssm_parameter ("
    " account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " PRIMARY KEY (account, region, name)) WITHOUT ROWID;"
    "CREATE TABLE ssm_parameter_version ("
    " account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,"
    " type TEXT NOT NULL, value TEXT NOT NULL, key_id TEXT, description TEXT, allowed_pattern TEXT,"
    " tier TEXT NOT NULL, data_type TEXT NOT NULL, policies TEXT,"
    " modified_ms INTEGER NOT NULL, modified_user TEXT NOT NULL,"
    " PRIMARY KEY (account, region, name, version)) WITHOUT ROWID;"
    "CREATE TABLE ssm_parameter_label ("
    " account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, label TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " PRIMARY KEY (account, region, name, label)) WITHOUT ROWID;"
    "CREATE TABLE ssm_tag ("
    " account TEXT NOT NULL, region TEXT NOT NULL, resource_type TEXT NOT NULL, resource_id TEXT NOT NULL,"
    " key TEXT NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY (account, region, resource_type, resource_id, key)) WITHOUT ROWID;";

static const char *const schema[] = {SCHEMA_1, NULL};

/* Every statement binds ?1 account and ?2 region. PCOLS is what param_from_row reads. */
#define PCOLS                                                                                                  \
    "v.name, v.version, v.type, v.value, v.key_id, v.description, v.allowed_pattern, v.tier, v.data_type, " \
    "v.policies, v.modified_ms, v.modified_user"
#define CURRENT_JOIN                                                                                           \
    " FROM ssm_parameter p JOIN ssm_parameter_version v"                                                       \
    " ON v.account=p.account AND v.region=p.region AND v.name=p.name AND v.version=p.version"

static const char SQL_CURRENT[] = "SELECT " PCOLS CURRENT_JOIN " WHERE p.account=?1 AND p.region=?2 AND p.name=?3";
static const char SQL_LIST_CURRENT[] =
    "SELECT " PCOLS CURRENT_JOIN " WHERE p.account=?1 AND p.region=?2 AND p.name>?3 ORDER BY p.name";
static const char SQL_VERSION[] = "SELECT " PCOLS
                                  " FROM ssm_parameter_version v"
                                  " WHERE v.account=?1 AND v.region=?2 AND v.name=?3 AND v.version=?4";
static const char SQL_HISTORY[] = "SELECT " PCOLS
                                  " FROM ssm_parameter_version v"
                                  " WHERE v.account=?1 AND v.region=?2 AND v.name=?3 AND v.version>?4"
                                  " ORDER BY v.version";
static const char SQL_LABELED[] = "SELECT " PCOLS
                                  " FROM ssm_parameter_label l JOIN ssm_parameter_version v"
                                  " ON v.account=l.account AND v.region=l.region AND v.name=l.name"
                                  " AND v.version=l.version"
                                  " WHERE l.account=?1 AND l.region=?2 AND l.name=?3 AND l.label=?4";
static const char SQL_EXISTS[] = "SELECT version FROM ssm_parameter WHERE account=?1 AND region=?2 AND name=?3";
static const char SQL_VERSION_EXISTS[] =
    "SELECT 1 FROM ssm_parameter_version WHERE account=?1 AND region=?2 AND name=?3 AND version=?4";
static const char SQL_OLDEST[] = "SELECT COUNT(*), MIN(version) FROM ssm_parameter_version"
                                 " WHERE account=?1 AND region=?2 AND name=?3";
static const char SQL_DELETE_VERSION[] =
    "DELETE FROM ssm_parameter_version WHERE account=?1 AND region=?2 AND name=?3 AND version=?4";
static const char SQL_INSERT_VERSION[] =
    "INSERT INTO ssm_parameter_version (account, region, name, version, type, value, key_id, description,"
    " allowed_pattern, tier, data_type, policies, modified_ms, modified_user)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
static const char SQL_SET_CURRENT[] = "INSERT INTO ssm_parameter (account, region, name, version) VALUES (?1, ?2, ?3, ?4)"
                                      " ON CONFLICT (account, region, name) DO UPDATE SET version=excluded.version";
static const char SQL_DELETE_PARAMETER[] = "DELETE FROM ssm_parameter WHERE account=?1 AND region=?2 AND name=?3";
static const char SQL_DELETE_VERSIONS[] =
    "DELETE FROM ssm_parameter_version WHERE account=?1 AND region=?2 AND name=?3";
static const char SQL_DELETE_LABELS[] = "DELETE FROM ssm_parameter_label WHERE account=?1 AND region=?2 AND name=?3";
static const char SQL_LABELS_OF_VERSION[] = "SELECT label FROM ssm_parameter_label"
                                            " WHERE account=?1 AND region=?2 AND name=?3 AND version=?4"
                                            " ORDER BY label";
static const char SQL_LABEL_COUNT[] = "SELECT COUNT(*) FROM ssm_parameter_label"
                                      " WHERE account=?1 AND region=?2 AND name=?3 AND version=?4";
static const char SQL_LABEL_WHERE[] = "SELECT version FROM ssm_parameter_label"
                                      " WHERE account=?1 AND region=?2 AND name=?3 AND label=?4";
static const char SQL_SET_LABEL[] =
    "INSERT INTO ssm_parameter_label (account, region, name, label, version) VALUES (?1, ?2, ?3, ?4, ?5)"
    " ON CONFLICT (account, region, name, label) DO UPDATE SET version=excluded.version";
static const char SQL_UNSET_LABEL[] = "DELETE FROM ssm_parameter_label"
                                      " WHERE account=?1 AND region=?2 AND name=?3 AND label=?4 AND version=?5";
static const char SQL_TAG_VALUE[] = "SELECT value FROM ssm_tag WHERE account=?1 AND region=?2"
                                    " AND resource_type='Parameter' AND resource_id=?3 AND key=?4";
static const char SQL_TAGS[] = "SELECT key, value FROM ssm_tag WHERE account=?1 AND region=?2"
                               " AND resource_type='Parameter' AND resource_id=?3 ORDER BY key";
static const char SQL_TAG_COUNT[] = "SELECT COUNT(*) FROM ssm_tag WHERE account=?1 AND region=?2"
                                    " AND resource_type='Parameter' AND resource_id=?3";
static const char SQL_SET_TAG[] =
    "INSERT INTO ssm_tag (account, region, resource_type, resource_id, key, value)"
    " VALUES (?1, ?2, 'Parameter', ?3, ?4, ?5)"
    " ON CONFLICT (account, region, resource_type, resource_id, key) DO UPDATE SET value=excluded.value";
static const char SQL_UNSET_TAG[] = "DELETE FROM ssm_tag WHERE account=?1 AND region=?2"
                                    " AND resource_type='Parameter' AND resource_id=?3 AND key=?4";
static const char SQL_DELETE_TAGS[] = "DELETE FROM ssm_tag WHERE account=?1 AND region=?2"
                                      " AND resource_type='Parameter' AND resource_id=?3";

/* ---- small helpers -------------------------------------------------------------- */

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

static bool name_char_ok(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-' || c == '/';
}

static bool is_public_name(const char *name)
{
    return strncmp(name, "/aws/", 5) == 0 || strcmp(name, "/aws") == 0;
}

static char *aad_for(struct dd_request *r, const char *name, int64_t version)
{
    char *aad = NULL;
    if (asprintf(&aad, "ssm:%s:%s:%s:%lld", r->account, r->region, name, (long long)version) < 0)
        abort();
    return aad;
}

/* ---- one parameter version -------------------------------------------------------- */

struct param {
    const char *name, *type, *value, *key_id, *description, *allowed_pattern, *tier, *data_type, *policies,
        *user;
    int64_t version, modified_ms;
    bool public; /* from the fixture: no account in its ARN, never sealed */
    bool owned;  /* the strings are ours to free (param_own) */
};

static const char *col(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* Borrows the current row of a PCOLS statement (valid until the statement moves). */
static void param_from_row(sqlite3_stmt *st, struct param *p)
{
    *p = (struct param){
        .name = col(st, 0),
        .version = sqlite3_column_int64(st, 1),
        .type = col(st, 2),
        .value = col(st, 3),
        .key_id = col(st, 4),
        .description = col(st, 5),
        .allowed_pattern = col(st, 6),
        .tier = col(st, 7),
        .data_type = col(st, 8),
        .policies = col(st, 9),
        .modified_ms = sqlite3_column_int64(st, 10),
        .user = col(st, 11),
    };
}

static const char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Makes a borrowed parameter own copies of its strings. */
static void param_own(struct param *p)
{
    p->name = dup_or_null(p->name);
    p->type = dup_or_null(p->type);
    p->value = dup_or_null(p->value);
    p->key_id = dup_or_null(p->key_id);
    p->description = dup_or_null(p->description);
    p->allowed_pattern = dup_or_null(p->allowed_pattern);
    p->tier = dup_or_null(p->tier);
    p->data_type = dup_or_null(p->data_type);
    p->policies = dup_or_null(p->policies);
    p->user = dup_or_null(p->user);
    p->owned = true;
}

static void param_free(struct param *p)
{
    if (!p->owned)
        return;
    const char *fields[] = {p->name,        p->type,      p->value,     p->key_id,   p->description,
                            p->allowed_pattern, p->tier, p->data_type, p->policies, p->user};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        free((char *)fields[i]);
    *p = (struct param){0};
}

/* Steps a PCOLS statement once: true with an owned copy of the row in *p. */
static bool fetch_one(sqlite3_stmt *st, struct param *p)
{
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        param_from_row(st, p);
        param_own(p);
    }
    sqlite3_reset(st);
    return found;
}

static bool fetch_current(struct dd_request *r, const char *name, struct param *p)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_CURRENT);
    store_bind_text(st, 3, name);
    return fetch_one(st, p);
}

static bool parameter_exists(struct dd_request *r, const char *name)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_EXISTS);
    store_bind_text(st, 3, name);
    return dd_single_int(st, 0) > 0;
}

/* ---- public parameters (fixture) ---------------------------------------------------- */

static struct param *g_public;
static size_t g_public_count;
static pthread_once_t g_public_once = PTHREAD_ONCE_INIT;

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct param *)a)->name, ((const struct param *)b)->name);
}

/* Loads the fixture once: the parameters keep their own copies of its strings. */
static void public_load(void)
{
    json_t *doc = fixture_json("ssm_public_parameters");
    json_t *list = json_object_get(doc, "parameters");
    size_t n = json_array_size(list);
    g_public = calloc(n ? n : 1, sizeof *g_public);
    if (!g_public)
        abort();
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(list, i);
        const char *name = dd_in_str(e, "Name"), *value = dd_in_str(e, "Value");
        if (!name || !value || !is_public_name(name))
            continue; /* the fixture is ours; a bad entry is simply not served */
        struct param *p = &g_public[g_public_count++];
        *p = (struct param){
            .name = name,
            .type = dd_in_str(e, "Type") ? dd_in_str(e, "Type") : "String",
            .value = value,
            .tier = "Standard",
            .data_type = dd_in_str(e, "DataType") ? dd_in_str(e, "DataType") : "text",
            .version = dd_in_int(e, "Version", 1),
            .modified_ms = (int64_t)(json_number_value(json_object_get(e, "LastModifiedDate")) * 1000),
        };
        param_own(p);
        p->public = true;
    }
    json_decref(doc);
    qsort(g_public, g_public_count, sizeof *g_public, by_name);
}

static const struct param *public_find(const char *name)
{
    pthread_once(&g_public_once, public_load);
    struct param key = {.name = name};
    return bsearch(&key, g_public, g_public_count, sizeof *g_public, by_name);
}

/* ---- the json forms of a parameter ------------------------------------------------------ */

enum view {
    VIEW_VALUE,    /* Parameter: GetParameter(s), GetParametersByPath */
    VIEW_METADATA, /* ParameterMetadata: DescribeParameters */
    VIEW_HISTORY,  /* ParameterHistory: GetParameterHistory */
};

static json_t *param_arn(struct dd_request *r, const struct param *p)
{
    return json_sprintf("arn:aws:ssm:%s:%s:parameter%s%s", r->region, p->public ? "" : r->account,
                        p->name[0] == '/' ? "" : "/", p->name);
}

/* The Value member: a SecureString is opened only WithDecryption; otherwise
 * it shows its ciphertext, as AWS shows the KMS blob. */
static json_t *param_value(struct dd_request *r, const struct param *p, bool decrypt)
{
    if (p->public || strcmp(p->type, "SecureString") != 0)
        return json_string(p->value);
    if (!decrypt)
        return json_string(strncmp(p->value, "v1:", 3) == 0 ? p->value + 3 : p->value);
    char *aad = aad_for(r, p->name, p->version);
    size_t len = 0;
    char *plain = crypto_open(p->value, aad, &len);
    free(aad);
    if (!plain)
        return dd_fail(r, 500, "InternalServerError",
                       "The SecureString value of %s cannot be decrypted with this state's key.", p->name);
    json_t *v = json_stringn(plain, len);
    OPENSSL_cleanse(plain, len);
    free(plain);
    return v;
}

/* Policies as ParameterInlinePolicy objects, from the stored JSON array. */
static json_t *policies_json(const char *policies)
{
    json_t *out = json_array();
    json_t *list = policies ? json_loads(policies, 0, NULL) : NULL;
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p)
    {
        char *text = json_dumps(p, JSON_COMPACT);
        json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "PolicyText", text ? text : "", "PolicyType",
                                             dd_in_str(p, "Type") ? dd_in_str(p, "Type") : "", "PolicyStatus",
                                             "Pending"));
        free(text);
    }
    json_decref(list);
    return out;
}

static json_t *labels_json(struct dd_request *r, const struct param *p)
{
    json_t *labels = json_array();
    sqlite3_stmt *st = dd_stmt(r, SQL_LABELS_OF_VERSION);
    store_bind_text(st, 3, p->name);
    sqlite3_bind_int64(st, 4, p->version);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(labels, json_string(col(st, 0)));
    sqlite3_reset(st);
    return labels;
}

/* The one place a parameter becomes json. NULL (error recorded) if its value cannot be opened. */
static json_t *param_json(struct dd_request *r, const struct param *p, enum view view, bool decrypt)
{
    json_t *o = json_object();
    json_object_set_new(o, "Name", json_string(p->name));
    json_object_set_new(o, "Type", json_string(p->type));
    json_object_set_new(o, "Version", json_integer(p->version));
    json_object_set_new(o, "LastModifiedDate", json_real((double)p->modified_ms / 1000.0));
    json_object_set_new(o, "DataType", json_string(p->data_type));
    if (view == VIEW_VALUE)
        json_object_set_new(o, "ARN", param_arn(r, p));
    if (view != VIEW_VALUE) {
        if (p->key_id)
            json_object_set_new(o, "KeyId", json_string(p->key_id));
        if (p->description)
            json_object_set_new(o, "Description", json_string(p->description));
        if (p->allowed_pattern)
            json_object_set_new(o, "AllowedPattern", json_string(p->allowed_pattern));
        json_object_set_new(o, "LastModifiedUser", json_string(p->user ? p->user : ""));
        json_object_set_new(o, "Tier", json_string(p->tier));
        json_object_set_new(o, "Policies", policies_json(p->policies));
    }
    if (view == VIEW_HISTORY)
        json_object_set_new(o, "Labels", labels_json(r, p));
    if (view != VIEW_METADATA) {
        json_t *value = param_value(r, p, decrypt);
        if (!value) {
            json_decref(o);
            return NULL;
        }
        json_object_set_new(o, "Value", value);
    }
    return o;
}

/* ---- references: name, name:version, name:label, or an ARN ------------------------------- */

struct ref {
    char *buf;            /* owned */
    const char *name;     /* the parameter name */
    const char *alt_name; /* from a one-level ARN: the name without its leading slash, else NULL */
    const char *selector; /* after the ':' (version or label), or NULL */
    bool bad;             /* cannot name any parameter */
};

static void ref_parse(struct dd_request *r, const char *text, struct ref *ref)
{
    *ref = (struct ref){0};
    const char *name = text;
    if (strncmp(text, "arn:", 4) == 0) {
        /* arn:aws:ssm:REGION:ACCOUNT:parameter/NAME */
        char prefix[160];
        const char *res = strstr(text, ":parameter/");
        int n = snprintf(prefix, sizeof prefix, "arn:aws:ssm:%s:", r->region);
        if (!res || strncmp(text, prefix, (size_t)n) != 0) {
            ref->bad = true;
            return;
        }
        const char *account = text + n;
        size_t alen = (size_t)(res - account);
        bool mine = alen == strlen(r->account) && strncmp(account, r->account, alen) == 0;
        name = res + strlen(":parameter");
        if (!mine && !(alen == 0 && is_public_name(name))) {
            ref->bad = true;
            return;
        }
    }
    ref->buf = strdup(name);
    char *colon = strchr(ref->buf, ':');
    if (colon) {
        *colon = '\0';
        ref->selector = colon + 1;
        if (strchr(ref->selector, ':') || !*ref->selector)
            ref->bad = true;
    }
    ref->name = ref->buf;
    if (name != text && !strchr(ref->buf + 1, '/'))
        ref->alt_name = ref->buf + 1;
}

static void ref_free(struct ref *ref)
{
    free(ref->buf);
}

enum found {
    FOUND,
    NO_PARAMETER,
    NO_VERSION,
};

static enum found public_lookup(struct ref *ref, struct param *p)
{
    const struct param *pub = public_find(ref->name);
    if (!pub)
        return NO_PARAMETER;
    if (ref->selector && !(all_digits(ref->selector) && strtoll(ref->selector, NULL, 10) == pub->version))
        return all_digits(ref->selector) ? NO_VERSION : NO_PARAMETER;
    *p = *pub;
    p->owned = false; /* borrowed from the fixture table */
    return FOUND;
}

/* Finds the version `ref` names: *p owned on FOUND (ref->name then says which name matched). */
static enum found param_lookup(struct dd_request *r, struct ref *ref, struct param *p)
{
    if (ref->bad)
        return NO_PARAMETER;
    if (is_public_name(ref->name))
        return public_lookup(ref, p);
    const char *candidates[] = {ref->name, ref->alt_name};
    for (size_t i = 0; i < 2 && candidates[i]; i++) {
        const char *name = candidates[i];
        sqlite3_stmt *st;
        if (!ref->selector) {
            st = dd_stmt(r, SQL_CURRENT);
        } else if (all_digits(ref->selector)) {
            st = dd_stmt(r, SQL_VERSION);
            sqlite3_bind_int64(st, 4, strtoll(ref->selector, NULL, 10));
        } else {
            st = dd_stmt(r, SQL_LABELED);
            store_bind_text(st, 4, ref->selector);
        }
        store_bind_text(st, 3, name);
        if (fetch_one(st, p)) {
            ref->name = name;
            return FOUND;
        }
        if (ref->selector && parameter_exists(r, name)) {
            ref->name = name;
            return all_digits(ref->selector) ? NO_VERSION : NO_PARAMETER;
        }
    }
    return NO_PARAMETER;
}

/* The Parameter json for `text`, or NULL with *found saying why (errors recorded for NO_*: no). */
static json_t *lookup_json(struct dd_request *r, const char *text, bool decrypt, enum found *found, struct ref *ref)
{
    struct param p = {0};
    ref_parse(r, text, ref);
    *found = param_lookup(r, ref, &p);
    if (*found != FOUND)
        return NULL;
    json_t *o = param_json(r, &p, VIEW_VALUE, decrypt);
    if (o && ref->selector)
        json_object_set_new(o, "Selector", json_sprintf(":%s", ref->selector));
    param_free(&p);
    return o;
}

/* ---- PutParameter --------------------------------------------------------------------------- */

/* Name rules for a parameter being written. */
static int check_new_name(struct dd_request *r, const char *name)
{
    size_t slashes = 0;
    for (const char *s = name; *s; s++)
        slashes += *s == '/';
    if (slashes && name[0] != '/')
        return dd_reject(r, 400, "ValidationException", "Parameter name must be a fully qualified name.");
    const char *first = name + (name[0] == '/');
    bool is_path = slashes > 1;
    if (strncasecmp(first, "aws", 3) == 0 || strncasecmp(first, "ssm", 3) == 0) {
        if (is_path && strncasecmp(name, "/aws", 4) == 0)
            return dd_reject(r, 400, "AccessDeniedException", "No access to reserved parameter name: %s.", name);
        return dd_reject(r, 400, "ValidationException", "%s", is_path ? MSG_NAME_PATH : MSG_NAME_PREFIX);
    }
    for (const char *s = name; *s; s++) {
        if (!name_char_ok(*s) || (s[0] == '/' && (s[1] == '/' || s[1] == '\0')))
            return dd_reject(r, 400, "ValidationException", "%s", MSG_NAME_PATH);
    }
    if (slashes > MAX_HIERARCHY_LEVELS)
        return dd_reject(r, 400, "HierarchyLevelLimitExceededException",
                       "A hierarchy can have a maximum of %d levels. Parameter name %s has %zu levels.",
                       MAX_HIERARCHY_LEVELS, name, slashes);
    /* AWS counts the name with its ARN against the 1011-character limit */
    size_t arn_len = strlen("arn:aws:ssm:") + strlen(r->region) + 1 + strlen(r->account) + strlen(":parameter") +
                     (name[0] != '/') + strlen(name);
    if (arn_len > MAX_NAME_WITH_ARN)
        return dd_reject(r, 400, "ValidationException",
                       "Parameter name: the name with its ARN is %zu characters, longer than the maximum of %d.",
                       arn_len, MAX_NAME_WITH_ARN);
    return 0;
}

static bool key_id_ok(const char *k)
{
    if (strncmp(k, "alias/", 6) == 0)
        return k[6] != '\0';
    if (strncmp(k, "arn:aws:kms:", 12) == 0)
        return strstr(k, ":key/") || strstr(k, ":alias/");
    if (strncmp(k, "mrk-", 4) == 0)
        return strlen(k) == 36;
    /* a key id: 8-4-4-4-12 hex */
    if (strlen(k) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? k[i] != '-' : !isxdigit((unsigned char)k[i]))
            return false;
    }
    return true;
}

/* AllowedPattern is a Java regular expression; POSIX ERE lacks the \d \w \s
 * shorthands, so they are spelled out before regcomp. */
static char *ere_from_java(const char *pattern)
{
    static const struct {
        char c;
        const char *outside, *inside;
    } shorthands[] = {
        {'d', "[0-9]", "0-9"},
        {'D', "[^0-9]", NULL},
        {'w', "[[:alnum:]_]", "[:alnum:]_"},
        {'W', "[^[:alnum:]_]", NULL},
        {'s', "[[:space:]]", "[:space:]"},
        {'S', "[^[:space:]]", NULL},
    };
    char *out = malloc(strlen(pattern) * 14 + 1), *o = out;
    bool in_class = false;
    for (const char *s = pattern; *s; s++) {
        if (*s == '\\' && s[1]) {
            const char *rep = NULL;
            for (size_t i = 0; i < sizeof shorthands / sizeof *shorthands; i++)
                if (shorthands[i].c == s[1])
                    rep = in_class ? shorthands[i].inside : shorthands[i].outside;
            s++;
            if (rep) {
                o = stpcpy(o, rep);
            } else {
                if (!in_class) /* inside a POSIX bracket a backslash is literal */
                    *o++ = '\\';
                *o++ = *s;
            }
            continue;
        }
        if (*s == '[' && !in_class)
            in_class = true;
        else if (*s == ']' && in_class && o[-1] != '[' && !(o[-1] == '^' && o[-2] == '['))
            in_class = false;
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

static int check_allowed_pattern(struct dd_request *r, const char *pattern, const char *value)
{
    if (!pattern || !*pattern)
        return 0;
    char *ere = ere_from_java(pattern);
    regex_t re;
    int rc = regcomp(&re, ere, REG_EXTENDED | REG_NOSUB);
    free(ere);
    if (rc != 0)
        return dd_reject(r, 400, "InvalidAllowedPatternException",
                       "The request doesn't meet the regular expression requirement: %s is not a valid pattern.",
                       pattern);
    rc = regexec(&re, value, 0, NULL, 0);
    regfree(&re);
    if (rc != 0)
        return dd_reject(r, 400, "ParameterPatternMismatchException",
                       "Parameter value, cannot be validated against allowedPattern: %s", pattern);
    return 0;
}

static int check_policies(struct dd_request *r, const char *policies)
{
    static const char *const types[] = {"Expiration", "ExpirationNotification", "NoChangeNotification"};
    json_t *list = json_loads(policies, 0, NULL);
    int rc = 0;
    if (!json_is_array(list)) {
        rc = dd_reject(r, 400, "InvalidPolicyAttributeException", "A policy attribute or its value is invalid.");
        goto cleanup;
    }
    if (json_array_size(list) > MAX_POLICIES) {
        rc = dd_reject(r, 400, "PoliciesLimitExceededException",
                     "You specified more than the maximum number of allowed policies for the parameter. The "
                     "maximum is %d.",
                     MAX_POLICIES);
        goto cleanup;
    }
    bool seen[3] = {false, false, false};
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p)
    {
        const char *type = dd_in_str(p, "Type");
        size_t t = 0;
        while (t < 3 && !(type && strcmp(type, types[t]) == 0))
            t++;
        if (t == 3) {
            rc = dd_reject(r, 400, "InvalidPolicyTypeException",
                         "The policy type is not supported. Parameter Store supports the following policy types: "
                         "Expiration, ExpirationNotification, and NoChangeNotification.");
            goto cleanup;
        }
        if (!json_is_object(json_object_get(p, "Attributes"))) {
            rc = dd_reject(r, 400, "InvalidPolicyAttributeException", "A policy attribute or its value is invalid.");
            goto cleanup;
        }
        if (seen[t]) {
            rc = dd_reject(r, 400, "IncompatiblePolicyException",
                         "There is a conflict in the policies specified for this parameter. You can't, for example, "
                         "specify two Expiration policies for a parameter. Review your policies, and try again.");
            goto cleanup;
        }
        seen[t] = true;
    }
cleanup:
    json_decref(list);
    return rc;
}

/* The tier the new version is stored in: *out, or -1 with an error recorded. */
static int resolve_tier(struct dd_request *r, const char *asked, const struct param *old, size_t len, bool policies,
                        const char **out)
{
    const char *current = old ? old->tier : "Standard";
    const char *tier = asked ? asked : current;
    bool was_advanced = strcmp(current, "Advanced") == 0;
    if (strcmp(tier, "Intelligent-Tiering") == 0)
        tier = len > STANDARD_MAX_VALUE || policies || was_advanced ? "Advanced" : "Standard";
    if (strcmp(tier, "Standard") == 0 && was_advanced)
        return dd_reject(r, 400, "ValidationException",
                       "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the "
                       "advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the "
                       "advanced parameter and recreate it as a standard parameter.");
    if (strcmp(tier, "Standard") == 0 && len > STANDARD_MAX_VALUE)
        return dd_reject(r, 400, "ValidationException",
                       "Standard tier parameters support a maximum parameter value of %d characters. To create a "
                       "larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more "
                       "information, see "
                       "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
                       "parameter-store-advanced-parameters.html",
                       STANDARD_MAX_VALUE);
    if (len > ADVANCED_MAX_VALUE)
        return dd_reject(r, 400, "ValidationException",
                       "Advanced tier parameters support a maximum parameter value of %d characters.",
                       ADVANCED_MAX_VALUE);
    if (policies && strcmp(tier, "Standard") == 0)
        return dd_reject(r, 400, "ValidationException",
                       "Parameter policies are supported only for advanced-tier parameters. Set Tier to Advanced "
                       "or Intelligent-Tiering to use policies.");
    *out = tier;
    return 0;
}

static bool ami_id_ok(const char *v)
{
    if (strncmp(v, "ami-", 4) != 0)
        return false;
    size_t n = strlen(v + 4);
    for (const char *s = v + 4; *s; s++)
        if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
            return false;
    return n == 8 || n == 17;
}

/* Makes room for one more version: the oldest goes, unless a label holds it. */
static int drop_oldest_if_full(struct dd_request *r, const char *name)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_OLDEST);
    store_bind_text(st, 3, name);
    int64_t count = 0, oldest = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        count = sqlite3_column_int64(st, 0);
        oldest = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (count < MAX_VERSIONS)
        return 0;
    st = dd_stmt(r, SQL_LABEL_COUNT);
    store_bind_text(st, 3, name);
    sqlite3_bind_int64(st, 4, oldest);
    if (dd_single_int(st, 0) > 0)
        return dd_reject(r, 400, "ParameterMaxVersionLimitExceeded",
                       "You attempted to create a new version of %s by calling the PutParameter API with the "
                       "overwrite flag. Version %lld, the oldest version, can't be deleted because it has a label "
                       "associated with it. Move the label to another version of the parameter, and try again.",
                       name, (long long)oldest);
    st = dd_stmt(r, SQL_DELETE_VERSION);
    store_bind_text(st, 3, name);
    sqlite3_bind_int64(st, 4, oldest);
    return dd_exec(r, st);
}

static int set_tags(struct dd_request *r, const char *name, json_t *tags)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        sqlite3_stmt *st = dd_stmt(r, SQL_SET_TAG);
        store_bind_text(st, 3, name);
        store_bind_text(st, 4, dd_in_str(t, "Key"));
        store_bind_text(st, 5, dd_in_str(t, "Value"));
        if (dd_exec(r, st))
            return -1;
    }
    sqlite3_stmt *st = dd_stmt(r, SQL_TAG_COUNT);
    store_bind_text(st, 3, name);
    if (dd_single_int(st, 0) > MAX_TAGS)
        return dd_reject(r, 400, "TooManyTagsError",
                       "The Targets parameter includes too many tags. Remove one or more tags and try the command "
                       "again.");
    return 0;
}

/* A new version as PutParameter asked for it, defaults taken from the current one. */
struct put {
    const char *name, *value, *type, *key_id, *description, *pattern, *tier, *data_type, *policies;
};

static int resolve_put(struct dd_request *r, json_t *in, const struct param *old, struct put *w)
{
    const char *type = dd_in_str(in, "Type");
    if (!old && !type)
        return dd_reject(r, 400, "ValidationException", "A parameter type is required when you create a parameter.");
    if (old && type && strcmp(type, old->type) != 0)
        return dd_reject(r, 400, "HierarchyTypeMismatchException",
                       "The parameter type can't be changed from %s to %s. Parameter Store doesn't support changing "
                       "a parameter type in a hierarchy. You must create a new, unique parameter.",
                       old->type, type);
    w->type = type ? type : old->type;
    bool secure = strcmp(w->type, "SecureString") == 0;
    w->key_id = dd_in_str(in, "KeyId");
    if (w->key_id && !secure)
        return dd_reject(r, 400, "ValidationException", "KeyId is required for SecureString type parameter only.");
    if (w->key_id && !key_id_ok(w->key_id))
        return dd_reject(r, 400, "InvalidKeyId", "Invalid keyId %s", w->key_id);
    if (secure && !w->key_id)
        w->key_id = old && old->key_id ? old->key_id : DEFAULT_KEY_ID;

    w->description = dd_in_str(in, "Description") ? dd_in_str(in, "Description") : old ? old->description : NULL;
    w->pattern = dd_in_str(in, "AllowedPattern") ? dd_in_str(in, "AllowedPattern") : old ? old->allowed_pattern : NULL;
    if (check_allowed_pattern(r, w->pattern, w->value))
        return -1;

    w->data_type = dd_in_str(in, "DataType") ? dd_in_str(in, "DataType") : old ? old->data_type : "text";
    if (strcmp(w->data_type, "text") != 0 && strcmp(w->data_type, "aws:ec2:image") != 0 &&
        strcmp(w->data_type, "aws:ssm:integration") != 0)
        return dd_reject(r, 400, "ValidationException",
                       "The following data type is not supported: %s (Data type names are all lowercase.)",
                       w->data_type);

    w->policies = dd_in_str(in, "Policies") ? dd_in_str(in, "Policies") : old ? old->policies : NULL;
    if (dd_in_str(in, "Policies") && check_policies(r, w->policies))
        return -1;
    bool has_policies = w->policies && strcmp(w->policies, "[]") != 0;
    return resolve_tier(r, dd_in_str(in, "Tier"), old, strlen(w->value), has_policies, &w->tier);
}

static int store_version(struct dd_request *r, const struct put *w, int64_t version)
{
    char *sealed = NULL;
    if (strcmp(w->type, "SecureString") == 0) {
        char *aad = aad_for(r, w->name, version);
        sealed = crypto_seal(w->value, strlen(w->value), aad);
        free(aad);
        if (!sealed)
            return dd_internal(r);
    }
    sqlite3_stmt *st = dd_stmt(r, SQL_INSERT_VERSION);
    store_bind_text(st, 3, w->name);
    sqlite3_bind_int64(st, 4, version);
    store_bind_text(st, 5, w->type);
    store_bind_text(st, 6, sealed ? sealed : w->value);
    store_bind_text(st, 7, w->key_id);
    store_bind_text(st, 8, w->description);
    store_bind_text(st, 9, w->pattern);
    store_bind_text(st, 10, w->tier);
    store_bind_text(st, 11, w->data_type);
    store_bind_text(st, 12, w->policies);
    sqlite3_bind_int64(st, 13, r->now_ms);
    store_bind_text(st, 14, r->caller_arn);
    int rc = dd_exec(r, st);
    free(sealed);
    if (rc)
        return -1;
    st = dd_stmt(r, SQL_SET_CURRENT);
    store_bind_text(st, 3, w->name);
    sqlite3_bind_int64(st, 4, version);
    return dd_exec(r, st);
}

static json_t *put_parameter(struct dd_request *r, json_t *in)
{
    struct put w = {.name = dd_in_str(in, "Name"), .value = dd_in_str(in, "Value")};
    json_t *tags = json_object_get(in, "Tags");
    bool overwrite = dd_in_bool(in, "Overwrite");
    if (check_new_name(r, w.name))
        return NULL;
    if (!*w.value)
        return dd_fail(r, 400, "ValidationException",
                       "1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must "
                       "have length greater than or equal to 1.");
    if (overwrite && json_array_size(tags) > 0)
        return dd_fail(r, 400, "ValidationException",
                       "Invalid request: tags and overwrite can't be used together. To create a parameter with "
                       "tags, please remove overwrite flag. To update tags for an existing parameter, please use "
                       "AddTagsToResource or RemoveTagsFromResource.");

    struct param old = {0};
    bool exists = fetch_current(r, w.name, &old);
    json_t *out = NULL;
    if (exists && !overwrite) {
        dd_fail(r, 400, "ParameterAlreadyExists",
                "The parameter already exists. To overwrite this value, set the overwrite option in the request to "
                "true.");
        goto cleanup;
    }
    if (resolve_put(r, in, exists ? &old : NULL, &w))
        goto cleanup;
    int64_t version = exists ? old.version + 1 : 1;
    /* AWS validates aws:ec2:image values after answering: a bad one is
     * acknowledged, then neither created nor updated. */
    bool accepted = strcmp(w.data_type, "aws:ec2:image") != 0 || ami_id_ok(w.value);
    if (accepted) {
        if ((exists && drop_oldest_if_full(r, w.name)) || store_version(r, &w, version))
            goto cleanup;
        if (!exists && set_tags(r, w.name, tags))
            goto cleanup;
    }
    out = json_pack("{s:I, s:s}", "Version", (json_int_t)version, "Tier", w.tier);
cleanup:
    param_free(&old);
    return out;
}

/* ---- GetParameter, GetParameters ------------------------------------------------------------- */

static json_t *get_parameter(struct dd_request *r, json_t *in)
{
    enum found found;
    struct ref ref;
    json_t *p = lookup_json(r, dd_in_str(in, "Name"), dd_in_bool(in, "WithDecryption"), &found, &ref);
    if (!p && found == NO_VERSION)
        dd_fail(r, 400, "ParameterVersionNotFound", MSG_VERSION_NOT_FOUND, ref.selector, ref.name);
    else if (!p && found == NO_PARAMETER)
        dd_fail(r, 400, "ParameterNotFound", "%s", "");
    ref_free(&ref);
    return p ? json_pack("{s:o}", "Parameter", p) : NULL;
}

/* Whether `name` appeared earlier in `list`. */
static bool seen_before(json_t *list, size_t index)
{
    const char *name = json_string_value(json_array_get(list, index));
    for (size_t i = 0; i < index; i++)
        if (strcmp(json_string_value(json_array_get(list, i)), name) == 0)
            return true;
    return false;
}

static json_t *get_parameters(struct dd_request *r, json_t *in)
{
    json_t *names = json_object_get(in, "Names"), *found_list = json_array(), *invalid = json_array();
    bool decrypt = dd_in_bool(in, "WithDecryption");
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
    {
        if (seen_before(names, i))
            continue;
        enum found found;
        struct ref ref;
        json_t *p = lookup_json(r, json_string_value(n), decrypt, &found, &ref);
        ref_free(&ref);
        if (p) {
            json_array_append_new(found_list, p);
        } else if (found == FOUND) { /* found but not readable: an error is recorded */
            json_decref(found_list);
            json_decref(invalid);
            return NULL;
        } else {
            json_array_append(invalid, n);
        }
    }
    return json_pack("{s:o, s:o}", "Parameters", found_list, "InvalidParameters", invalid);
}

/* ---- filters and pages: DescribeParameters, GetParametersByPath ----------------------------------- */

enum fkey { FK_NAME, FK_TYPE, FK_KEYID, FK_PATH, FK_TIER, FK_DATATYPE, FK_LABEL, FK_TAG };
enum fopt { FO_EQUALS, FO_BEGINS_WITH, FO_CONTAINS, FO_ONE_LEVEL, FO_RECURSIVE };

static const char *const fkey_names[] = {"Name", "Type", "KeyId", "Path", "Tier", "DataType", "Label", "tag"};
static const char *const fopt_names[] = {"Equals", "BeginsWith", "Contains", "OneLevel", "Recursive"};

struct filter {
    enum fkey key;
    enum fopt option;
    const char *key_text; /* as given: "Type", "tag:Env" */
    json_t *values;       /* borrowed; NULL or empty only for tag filters */
};

struct query {
    bool by_path;          /* GetParametersByPath (else DescribeParameters) */
    const char *path;      /* by path: the path, without its trailing slash ("" for the root) */
    bool recursive;
    bool decrypt;
    struct filter *filters; /* owned */
    size_t filter_count;
};

struct page {
    size_t max;
    json_t *items;
    char *last;  /* owned: the sort key of the last item */
    char *next;  /* owned: NextToken, when more remain */
};

static char *token_encode(const char *key)
{
    size_t len = strlen(TOKEN_MAGIC) + strlen(key);
    char *raw = malloc(len + 1);
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    snprintf(raw, len + 1, "%s%s", TOKEN_MAGIC, key);
    EVP_EncodeBlock((unsigned char *)out, (unsigned char *)raw, (int)len);
    free(raw);
    return out;
}

/* The key a NextToken carries: a new string, or NULL (error recorded) for a token we never gave. */
static char *token_decode(struct dd_request *r, const char *token)
{
    size_t tlen = strlen(token);
    unsigned char *raw = malloc(tlen / 4 * 3 + 1);
    int n = tlen && tlen % 4 == 0 ? EVP_DecodeBlock(raw, (const unsigned char *)token, (int)tlen) : -1;
    if (n >= 0) {
        n -= (token[tlen - 1] == '=') + (token[tlen - 2] == '=');
        raw[n] = '\0';
    }
    size_t magic = strlen(TOKEN_MAGIC);
    if (n < (int)magic || memcmp(raw, TOKEN_MAGIC, magic) != 0 || strlen((char *)raw) != (size_t)n) {
        free(raw);
        dd_reject(r, 400, "InvalidNextToken", "The specified token isn't valid.");
        return NULL;
    }
    char *key = strdup((char *)raw + magic);
    free(raw);
    return key;
}

static bool path_ok(const char *path)
{
    if (path[0] != '/')
        return false;
    for (const char *s = path; *s; s++)
        if (!name_char_ok(*s) || (s[0] == '/' && s[1] == '/'))
            return false;
    return true;
}

/* Whether `name` sits under `path` ("" = the root): one level down, or any depth. */
static bool under_path(const char *name, const char *path, bool recursive)
{
    size_t plen = strlen(path);
    const char *rest;
    if (plen == 0) {
        rest = name[0] == '/' ? name + 1 : name;
    } else {
        if (strncmp(name, path, plen) != 0 || name[plen] != '/')
            return false;
        rest = name + plen + 1;
    }
    return *rest && (recursive || !strchr(rest, '/'));
}

/* A path without its trailing slash (the root becomes ""): points into `path`'s copy in *buf. */
static const char *path_trim(const char *path, char **buf)
{
    *buf = strdup(path);
    size_t n = strlen(*buf);
    while (n > 0 && (*buf)[n - 1] == '/')
        (*buf)[--n] = '\0';
    return *buf;
}

static bool value_matches(const char *s, enum fopt option, json_t *values)
{
    if (!s)
        return false;
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v)
    {
        const char *want = json_string_value(v);
        if ((option == FO_EQUALS && strcmp(s, want) == 0) ||
            (option == FO_BEGINS_WITH && strncmp(s, want, strlen(want)) == 0) ||
            (option == FO_CONTAINS && strstr(s, want)))
            return true;
    }
    return false;
}

/* Name filters ignore a leading slash on either side, as AWS does. */
static bool name_matches(const char *name, enum fopt option, json_t *values)
{
    if (option == FO_CONTAINS)
        return value_matches(name, option, values);
    const char *bare = name + (name[0] == '/');
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v)
    {
        const char *want = json_string_value(v);
        want += want[0] == '/';
        if ((option == FO_EQUALS && strcmp(bare, want) == 0) ||
            (option == FO_BEGINS_WITH && strncmp(bare, want, strlen(want)) == 0))
            return true;
    }
    return false;
}

static bool path_matches(const char *name, const struct filter *f)
{
    size_t i;
    json_t *v;
    json_array_foreach(f->values, i, v)
    {
        char *buf;
        bool ok = under_path(name, path_trim(json_string_value(v), &buf), f->option == FO_RECURSIVE);
        free(buf);
        if (ok)
            return true;
    }
    return false;
}

static bool tag_matches(struct dd_request *r, const struct param *p, const struct filter *f)
{
    if (p->public)
        return false;
    sqlite3_stmt *st = dd_stmt(r, SQL_TAG_VALUE);
    store_bind_text(st, 3, p->name);
    store_bind_text(st, 4, f->key_text + 4);
    bool ok = false;
    if (sqlite3_step(st) == SQLITE_ROW)
        ok = json_array_size(f->values) == 0 || value_matches(col(st, 0), f->option, f->values);
    sqlite3_reset(st);
    return ok;
}

/* For a Label filter: the labeled version of `p` (owned), or false. */
static bool labeled_version(struct dd_request *r, const struct param *p, const struct filter *f, struct param *out)
{
    if (p->public)
        return false;
    size_t i;
    json_t *v;
    json_array_foreach(f->values, i, v)
    {
        sqlite3_stmt *st = dd_stmt(r, SQL_LABELED);
        store_bind_text(st, 3, p->name);
        store_bind_text(st, 4, json_string_value(v));
        if (fetch_one(st, out))
            return true;
    }
    return false;
}

static bool filter_matches(struct dd_request *r, const struct param *p, const struct filter *f)
{
    switch (f->key) {
    case FK_NAME:
        return name_matches(p->name, f->option, f->values);
    case FK_TYPE:
        return value_matches(p->type, f->option, f->values);
    case FK_KEYID:
        return value_matches(p->key_id, f->option, f->values);
    case FK_PATH:
        return path_matches(p->name, f);
    case FK_TIER:
        return value_matches(p->tier, f->option, f->values);
    case FK_DATATYPE:
        return value_matches(p->data_type, f->option, f->values);
    case FK_TAG:
        return tag_matches(r, p, f);
    case FK_LABEL:
        return true; /* decided by labeled_version */
    }
    return false;
}

/*
 * Offers one candidate (in sort order) to the page. Returns 1 when the page
 * was already full (NextToken set: stop), -1 on error, else 0.
 */
static int page_offer(struct dd_request *r, const struct query *q, struct page *pg, const struct param *p)
{
    if (q->by_path && !under_path(p->name, q->path, q->recursive))
        return 0;
    const struct filter *label = NULL;
    for (size_t i = 0; i < q->filter_count; i++) {
        if (q->filters[i].key == FK_LABEL)
            label = &q->filters[i];
        else if (!filter_matches(r, p, &q->filters[i]))
            return 0;
    }
    struct param labeled = {0};
    if (label && !labeled_version(r, p, label, &labeled))
        return 0;
    if (json_array_size(pg->items) == pg->max) {
        param_free(&labeled);
        pg->next = token_encode(pg->last);
        return 1;
    }
    json_t *item = param_json(r, label ? &labeled : p, q->by_path ? VIEW_VALUE : VIEW_METADATA, q->decrypt);
    param_free(&labeled);
    if (!item)
        return -1;
    json_array_append_new(pg->items, item);
    free(pg->last);
    pg->last = strdup(p->name);
    return 0;
}

/* Fills one page from the public fixture (a path under /aws) or the caller's parameters. */
static int page_fill(struct dd_request *r, const struct query *q, struct page *pg, const char *after)
{
    int rc = 0;
    if (q->by_path && is_public_name(q->path)) {
        pthread_once(&g_public_once, public_load);
        for (size_t i = 0; i < g_public_count && rc == 0; i++)
            if (!after || strcmp(g_public[i].name, after) > 0)
                rc = page_offer(r, q, pg, &g_public[i]);
        return rc < 0 ? -1 : 0;
    }
    sqlite3_stmt *st = dd_stmt(r, SQL_LIST_CURRENT);
    store_bind_text(st, 3, after ? after : "");
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        struct param p;
        param_from_row(st, &p);
        if (!is_public_name(p.name))
            rc = page_offer(r, q, pg, &p);
    }
    sqlite3_reset(st);
    return rc < 0 ? -1 : 0;
}

static int parse_key(struct dd_request *r, const struct query *q, json_t *f, size_t index, struct filter *out)
{
    const char *key = dd_in_str(f, "Key");
    out->key_text = key;
    if (strncmp(key, "tag:", 4) == 0 && key[4]) {
        out->key = FK_TAG;
    } else {
        size_t k = 0;
        while (k < FK_TAG && strcmp(key, fkey_names[k]) != 0)
            k++;
        if (k == FK_TAG)
            return dd_reject(r, 400, "ValidationException",
                           "1 validation error detected: Value '%s' at 'parameterFilters.%zu.member.key' failed to "
                           "satisfy constraint: Member must satisfy regular expression pattern: "
                           "tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType",
                           key, index + 1);
        out->key = (enum fkey)k;
    }
    bool allowed = q->by_path ? (out->key == FK_TYPE || out->key == FK_KEYID || out->key == FK_LABEL)
                              : out->key != FK_LABEL;
    if (!allowed)
        return dd_reject(r, 400, "InvalidFilterKey",
                            q->by_path ? "The following filter key is not valid: %s. Valid filter keys include: "
                                         "[Type, KeyId, Label]."
                                       : "The following filter key is not valid: %s. Valid filter keys include: "
                                         "[Path, Name, Type, KeyId, Tier, DataType, tag].",
                            key);
    return 0;
}

static int parse_option(struct dd_request *r, const struct query *q, json_t *f, struct filter *out)
{
    const char *option = dd_in_str(f, "Option");
    const char *valid;
    unsigned mask;
    if (out->key == FK_PATH) {
        valid = "[Recursive, OneLevel]";
        mask = 1u << FO_RECURSIVE | 1u << FO_ONE_LEVEL;
        out->option = FO_ONE_LEVEL;
    } else if (out->key == FK_LABEL) {
        valid = "[Equals]";
        mask = 1u << FO_EQUALS;
        out->option = FO_EQUALS;
    } else if (out->key == FK_NAME) {
        valid = "[Equals, BeginsWith, Contains]";
        mask = 1u << FO_EQUALS | 1u << FO_BEGINS_WITH | 1u << FO_CONTAINS;
        out->option = FO_EQUALS;
    } else {
        valid = "[Equals, BeginsWith]";
        mask = 1u << FO_EQUALS | 1u << FO_BEGINS_WITH;
        out->option = FO_EQUALS;
    }
    if (!option)
        return 0;
    size_t o = 0;
    while (o < sizeof fopt_names / sizeof *fopt_names && strcmp(option, fopt_names[o]) != 0)
        o++;
    if (o == sizeof fopt_names / sizeof *fopt_names || !(mask & 1u << o)) {
        return dd_reject(r, 400, "InvalidFilterOption",
                      "The following filter option is not valid: %s. Valid options include: %s.", option, valid);
    }
    out->option = (enum fopt)o;
    return 0;
}

static bool one_of(const char *s, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(s, *set) == 0)
            return true;
    return false;
}

static int parse_values(struct dd_request *r, json_t *f, struct filter *out)
{
    static const char *const types[] = {"String", "StringList", "SecureString", NULL};
    static const char *const tiers[] = {"Standard", "Advanced", "Intelligent-Tiering", NULL};
    out->values = json_object_get(f, "Values");
    if (json_array_size(out->values) == 0 && out->key != FK_TAG)
        return dd_reject(r, 400, "InvalidFilterValue", "The following filter values are missing : null for filter key %s.",
                            out->key_text);
    size_t i;
    json_t *v;
    json_array_foreach(out->values, i, v)
    {
        const char *s = json_string_value(v);
        if (out->key == FK_TYPE && out->option == FO_EQUALS && !one_of(s, types))
            return dd_reject(r, 400, "InvalidFilterValue",
                                "The following filter value is not valid: %s. Valid values include: [String, "
                                "StringList, SecureString].",
                                s);
        if (out->key == FK_TIER && out->option == FO_EQUALS && !one_of(s, tiers))
            return dd_reject(r, 400, "InvalidFilterValue",
                                "The following filter value is not valid: %s. Valid values include: [Standard, "
                                "Advanced, Intelligent-Tiering].",
                                s);
        if (out->key == FK_PATH && (strncasecmp(s, "/aws", 4) == 0 || strncasecmp(s, "/ssm", 4) == 0))
            return dd_reject(r, 400, "ValidationException",
                           "Filters for common parameters can't be prefixed with \"aws\" or \"ssm\" "
                           "(case-insensitive). When using global parameters, please specify within a global "
                           "namespace.");
        if (out->key == FK_PATH && !path_ok(s))
            return dd_reject(r, 400, "ValidationException", "%s", MSG_PATH_INVALID);
    }
    return 0;
}

/* Compiles ParameterFilters (and DescribeParameters' older Filters) into q. */
static int parse_filters(struct dd_request *r, json_t *in, struct query *q)
{
    json_t *filters = json_object_get(in, "ParameterFilters");
    json_t *old = json_object_get(in, "Filters");
    if (filters && old)
        return dd_reject(r, 400, "ValidationException",
                       "You can use either Filters or ParameterFilters in a single request.");
    size_t n = json_array_size(filters) + json_array_size(old);
    q->filters = calloc(n ? n : 1, sizeof *q->filters);
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f)
    {
        struct filter *out = &q->filters[q->filter_count];
        if (parse_key(r, q, f, i, out) || parse_option(r, q, f, out) || parse_values(r, f, out))
            return -1;
        for (size_t j = 0; j < q->filter_count; j++)
            if (strcmp(q->filters[j].key_text, out->key_text) == 0)
                return dd_reject(r, 400, "InvalidFilterKey",
                                    "The following filter is duplicated in the request: %s. A request can contain "
                                    "only one occurrence of a specific filter.",
                                    out->key_text);
        q->filter_count++;
    }
    /* Filters (deprecated): Name begins with, Type and KeyId equal */
    json_array_foreach(old, i, f)
    {
        struct filter *out = &q->filters[q->filter_count++];
        const char *key = dd_in_str(f, "Key");
        out->key_text = key;
        out->key = strcmp(key, "Name") == 0 ? FK_NAME : strcmp(key, "Type") == 0 ? FK_TYPE : FK_KEYID;
        out->option = out->key == FK_NAME ? FO_BEGINS_WITH : FO_EQUALS;
        out->values = json_object_get(f, "Values");
    }
    return 0;
}

/* One page of parameters for `q`: {Parameters, NextToken}. */
static json_t *list_page(struct dd_request *r, json_t *in, struct query *q, size_t max)
{
    struct page pg = {.max = max, .items = json_array()};
    char *after = NULL;
    json_t *out = NULL;
    const char *token = dd_in_str(in, "NextToken");
    if (parse_filters(r, in, q) || (token && !(after = token_decode(r, token))))
        goto cleanup;
    if (page_fill(r, q, &pg, after))
        goto cleanup;
    out = json_pack("{s:O}", "Parameters", pg.items);
    if (pg.next)
        json_object_set_new(out, "NextToken", json_string(pg.next));
cleanup:
    json_decref(pg.items);
    free(pg.last);
    free(pg.next);
    free(after);
    free(q->filters);
    return out;
}

static json_t *describe_parameters(struct dd_request *r, json_t *in)
{
    struct query q = {.by_path = false};
    return list_page(r, in, &q, (size_t)dd_in_int(in, "MaxResults", 10));
}

static json_t *get_parameters_by_path(struct dd_request *r, json_t *in)
{
    const char *path = dd_in_str(in, "Path");
    if (!path_ok(path))
        return dd_fail(r, 400, "ValidationException", "%s", MSG_PATH_INVALID);
    char *buf;
    struct query q = {
        .by_path = true,
        .path = path_trim(path, &buf),
        .recursive = dd_in_bool(in, "Recursive"),
        .decrypt = dd_in_bool(in, "WithDecryption"),
    };
    json_t *out = list_page(r, in, &q, (size_t)dd_in_int(in, "MaxResults", 10));
    free(buf);
    return out;
}

/* ---- GetParameterHistory ----------------------------------------------------------------------- */

static json_t *get_parameter_history(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "Name");
    const char *token = dd_in_str(in, "NextToken");
    size_t max = (size_t)dd_in_int(in, "MaxResults", 50);
    bool decrypt = dd_in_bool(in, "WithDecryption");
    if (!parameter_exists(r, name))
        return dd_fail(r, 400, "ParameterNotFound", "Parameter %s not found.", name);
    char *after = token ? token_decode(r, token) : NULL;
    if (token && (!after || !all_digits(after))) {
        free(after);
        return dd_fail(r, 400, "InvalidNextToken", "The specified token isn't valid.");
    }
    json_t *items = json_array();
    char next[32] = "";
    int64_t last = 0;
    sqlite3_stmt *st = dd_stmt(r, SQL_HISTORY);
    store_bind_text(st, 3, name);
    sqlite3_bind_int64(st, 4, after ? strtoll(after, NULL, 10) : 0);
    free(after);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (json_array_size(items) == max) {
            snprintf(next, sizeof next, "%lld", (long long)last);
            break;
        }
        struct param p;
        param_from_row(st, &p);
        json_t *item = param_json(r, &p, VIEW_HISTORY, decrypt);
        if (!item) {
            sqlite3_reset(st);
            json_decref(items);
            return NULL;
        }
        json_array_append_new(items, item);
        last = p.version;
    }
    sqlite3_reset(st);
    json_t *out = json_pack("{s:o}", "Parameters", items);
    if (*next) {
        char *t = token_encode(next);
        json_object_set_new(out, "NextToken", json_string(t));
        free(t);
    }
    return out;
}

/* ---- DeleteParameter, DeleteParameters -------------------------------------------------------- */

/* Deletes `name` with its versions, labels and tags: 1 if there was none, -1 on error. */
static int delete_one(struct dd_request *r, const char *name)
{
    if (!parameter_exists(r, name))
        return 1;
    static const char *const sqls[] = {SQL_DELETE_PARAMETER, SQL_DELETE_VERSIONS, SQL_DELETE_LABELS,
                                       SQL_DELETE_TAGS};
    for (size_t i = 0; i < sizeof sqls / sizeof *sqls; i++) {
        sqlite3_stmt *st = dd_stmt(r, sqls[i]);
        store_bind_text(st, 3, name);
        if (dd_exec(r, st))
            return -1;
    }
    return 0;
}

static json_t *delete_parameter(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "Name");
    int rc = delete_one(r, name);
    if (rc > 0)
        return dd_fail(r, 400, "ParameterNotFound", "Parameter %s not found.", name);
    return rc < 0 ? NULL : json_object();
}

static json_t *delete_parameters(struct dd_request *r, json_t *in)
{
    json_t *names = json_object_get(in, "Names"), *deleted = json_array(), *invalid = json_array();
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
    {
        if (seen_before(names, i))
            continue;
        int rc = delete_one(r, json_string_value(n));
        if (rc < 0) {
            json_decref(deleted);
            json_decref(invalid);
            return NULL;
        }
        json_array_append(rc == 0 ? deleted : invalid, n);
    }
    return json_pack("{s:o, s:o}", "DeletedParameters", deleted, "InvalidParameters", invalid);
}

/* ---- LabelParameterVersion, UnlabelParameterVersion ------------------------------------------------ */

static bool label_ok(const char *label)
{
    if (isdigit((unsigned char)label[0]) || strncasecmp(label, "aws", 3) == 0 || strncasecmp(label, "ssm", 3) == 0)
        return false;
    for (const char *s = label; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
            return false;
    return true;
}

/* The version a label call addresses: ParameterNotFound / ParameterVersionNotFound, else 0. */
static int check_version(struct dd_request *r, const char *name, int64_t *version)
{
    sqlite3_stmt *st = dd_stmt(r, SQL_EXISTS);
    store_bind_text(st, 3, name);
    int64_t current = dd_single_int(st, 0);
    if (current == 0)
        return dd_reject(r, 400, "ParameterNotFound", "Parameter %s not found.", name);
    if (*version == 0)
        *version = current;
    st = dd_stmt(r, SQL_VERSION_EXISTS);
    store_bind_text(st, 3, name);
    sqlite3_bind_int64(st, 4, *version);
    if (dd_single_int(st, 0) == 0) {
        char v[32];
        snprintf(v, sizeof v, "%lld", (long long)*version);
        return dd_reject(r, 400, "ParameterVersionNotFound", MSG_VERSION_NOT_FOUND, v, name);
    }
    return 0;
}

static json_t *label_parameter_version(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "Name");
    json_t *labels = json_object_get(in, "Labels");
    int64_t version = dd_in_int(in, "ParameterVersion", 0);
    if (check_version(r, name, &version))
        return NULL;
    json_t *invalid = json_array();
    size_t i, adding = 0;
    json_t *l;
    json_array_foreach(labels, i, l)
    {
        const char *label = json_string_value(l);
        if (!label_ok(label)) {
            json_array_append(invalid, l);
            continue;
        }
        if (seen_before(labels, i))
            continue;
        sqlite3_stmt *st = dd_stmt(r, SQL_LABEL_WHERE);
        store_bind_text(st, 3, name);
        store_bind_text(st, 4, label);
        adding += dd_single_int(st, 0) != version;
    }
    sqlite3_stmt *st = dd_stmt(r, SQL_LABEL_COUNT);
    store_bind_text(st, 3, name);
    sqlite3_bind_int64(st, 4, version);
    if (dd_single_int(st, 0) + (int64_t)adding > MAX_LABELS_PER_VERSION) {
        json_decref(invalid);
        return dd_fail(r, 400, "ParameterVersionLabelLimitExceeded",
                       "A parameter version can have maximum 10 labels.Move one or more labels to another version "
                       "and try again.");
    }
    json_array_foreach(labels, i, l)
    {
        if (!label_ok(json_string_value(l)))
            continue;
        st = dd_stmt(r, SQL_SET_LABEL);
        store_bind_text(st, 3, name);
        store_bind_text(st, 4, json_string_value(l));
        sqlite3_bind_int64(st, 5, version);
        if (dd_exec(r, st)) {
            json_decref(invalid);
            return NULL;
        }
    }
    return json_pack("{s:o, s:I}", "InvalidLabels", invalid, "ParameterVersion", (json_int_t)version);
}

static json_t *unlabel_parameter_version(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "Name");
    json_t *labels = json_object_get(in, "Labels");
    int64_t version = dd_in_int(in, "ParameterVersion", 0);
    if (version <= 0) {
        char v[32];
        snprintf(v, sizeof v, "%lld", (long long)version);
        if (!parameter_exists(r, name))
            return dd_fail(r, 400, "ParameterNotFound", "Parameter %s not found.", name);
        return dd_fail(r, 400, "ParameterVersionNotFound", MSG_VERSION_NOT_FOUND, v, name);
    }
    if (check_version(r, name, &version))
        return NULL;
    json_t *removed = json_array(), *invalid = json_array();
    size_t i;
    json_t *l;
    json_array_foreach(labels, i, l)
    {
        if (seen_before(labels, i))
            continue;
        sqlite3_stmt *st = dd_stmt(r, SQL_UNSET_LABEL);
        store_bind_text(st, 3, name);
        store_bind_text(st, 4, json_string_value(l));
        sqlite3_bind_int64(st, 5, version);
        if (dd_exec(r, st)) {
            json_decref(removed);
            json_decref(invalid);
            return NULL;
        }
        json_array_append(sqlite3_changes(store_sqlite(r->db)) > 0 ? removed : invalid, l);
    }
    return json_pack("{s:o, s:o}", "RemovedLabels", removed, "InvalidLabels", invalid);
}

/* ---- tags ---------------------------------------------------------------------------------------- */

/* The parameter a tagging call names (its name or ARN): a new string, or NULL with InvalidResourceId. */
static char *tag_resource(struct dd_request *r, json_t *in)
{
    const char *type = dd_in_str(in, "ResourceType"), *id = dd_in_str(in, "ResourceId");
    if (strcmp(type, "Parameter") == 0 && !strchr(id, ':')) {
        if (parameter_exists(r, id))
            return strdup(id);
    } else if (strcmp(type, "Parameter") == 0) {
        struct ref ref;
        ref_parse(r, id, &ref);
        const char *candidates[] = {ref.name, ref.alt_name};
        for (size_t i = 0; !ref.bad && !ref.selector && i < 2 && candidates[i]; i++) {
            if (parameter_exists(r, candidates[i])) {
                char *name = strdup(candidates[i]);
                ref_free(&ref);
                return name;
            }
        }
        ref_free(&ref);
    }
    /* other resource types (documents, maintenance windows, ...) have none here */
    dd_reject(r, 400, "InvalidResourceId", "The resource ID isn't valid. Verify that you entered the correct ID and try again.");
    return NULL;
}

static json_t *add_tags_to_resource(struct dd_request *r, json_t *in)
{
    char *name = tag_resource(r, in);
    if (!name)
        return NULL;
    int rc = set_tags(r, name, json_object_get(in, "Tags"));
    free(name);
    return rc ? NULL : json_object();
}

static json_t *remove_tags_from_resource(struct dd_request *r, json_t *in)
{
    char *name = tag_resource(r, in);
    if (!name)
        return NULL;
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(in, "TagKeys"), i, k)
    {
        sqlite3_stmt *st = dd_stmt(r, SQL_UNSET_TAG);
        store_bind_text(st, 3, name);
        store_bind_text(st, 4, json_string_value(k));
        if (dd_exec(r, st)) {
            free(name);
            return NULL;
        }
    }
    free(name);
    return json_object();
}

static json_t *list_tags_for_resource(struct dd_request *r, json_t *in)
{
    char *name = tag_resource(r, in);
    if (!name)
        return NULL;
    json_t *tags = json_array();
    sqlite3_stmt *st = dd_stmt(r, SQL_TAGS);
    store_bind_text(st, 3, name);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(tags, json_pack("{s:s, s:s}", "Key", col(st, 0), "Value", col(st, 1)));
    sqlite3_reset(st);
    free(name);
    return json_pack("{s:o}", "TagList", tags);
}

/* ---- the service ------------------------------------------------------------------------------------ */

static const struct dd_handler handlers[] = {
    {"AddTagsToResource", add_tags_to_resource, 0},
    {"DeleteParameter", delete_parameter, 0},
    {"DeleteParameters", delete_parameters, 0},
    {"DescribeParameters", describe_parameters, DD_OP_READ},
    {"GetParameter", get_parameter, DD_OP_READ},
    {"GetParameterHistory", get_parameter_history, DD_OP_READ},
    {"GetParameters", get_parameters, DD_OP_READ},
    {"GetParametersByPath", get_parameters_by_path, DD_OP_READ},
    {"LabelParameterVersion", label_parameter_version, 0},
    {"ListTagsForResource", list_tags_for_resource, DD_OP_READ},
    {"PutParameter", put_parameter, 0},
    {"RemoveTagsFromResource", remove_tags_from_resource, 0},
    {"UnlabelParameterVersion", unlabel_parameter_version, 0},
};

const struct dd_service dd_service_ssm = {
    .model_id = "ssm",
    .handlers = handlers,
    .handler_count = sizeof handlers / sizeof *handlers,
    .validation_code = "ValidationException",
    .schema = schema,
};

/* ---- for other services (ssm.h) ---------------------------------------------------------------------- */

bool ssm_parameter_exists(struct dd_request *r, const char *text)
{
    struct ref ref;
    struct param p = {0};
    ref_parse(r, text, &ref);
    enum found found = param_lookup(r, &ref, &p);
    if (found == FOUND)
        param_free(&p);
    ref_free(&ref);
    return found == FOUND;
}
