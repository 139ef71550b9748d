/*
 * ecr.c - Amazon ECR: the service table, repositories, their tags and
 * policies, authorization tokens and the registry. Layer uploads and images
 * live in ecr_image.c, lifecycle policies in ecr_lifecycle.c (see
 * ecr_internal.h for the state).
 *
 * The registry of an account is that account's: registryId, when given, must
 * be the caller's own account (cross-account registries are not emulated).
 */
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim.h"
#include "ecr_internal.h"

#define MAX_TAGS 50
#define DEFAULT_PAGE 100
#define TOKEN_TTL_MS (12 * 3600 * 1000LL) /* GetAuthorizationToken: valid for 12 hours */

/* ---- schema ------------------------------------------------------------------------------------ */

#define KEY_COLS "account TEXT NOT NULL, region TEXT NOT NULL"

static const char SCHEMA_1[] =
    "CREATE TABLE ecr_repo (" KEY_COLS ", name TEXT NOT NULL, created_ms INTEGER NOT NULL,"
    " mutability TEXT NOT NULL, scan_on_push INTEGER NOT NULL, enc_type TEXT NOT NULL, kms_key TEXT,"
    " policy TEXT, lifecycle TEXT, lifecycle_ms INTEGER, PRIMARY KEY (account, region, name)) WITHOUT ROWID;"
    "CREATE TABLE ecr_tag (" KEY_COLS ", repo TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY (account, region, repo, key)) WITHOUT ROWID;"
    "CREATE TABLE ecr_image (" KEY_COLS ", repo TEXT NOT NULL, digest TEXT NOT NULL, manifest TEXT NOT NULL,"
    " media_type TEXT NOT NULL, artifact_type TEXT, size INTEGER NOT NULL, pushed_ms INTEGER NOT NULL,"
    " PRIMARY KEY (account, region, repo, digest));"
    "CREATE TABLE ecr_image_tag (" KEY_COLS ", repo TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL,"
    " PRIMARY KEY (account, region, repo, tag)) WITHOUT ROWID;"
    "CREATE INDEX ecr_image_tag_digest ON ecr_image_tag (account, region, repo, digest);"
    "CREATE TABLE ecr_layer (" KEY_COLS ", repo TEXT NOT NULL, digest TEXT NOT NULL, size INTEGER NOT NULL,"
    " PRIMARY KEY (account, region, repo, digest)) WITHOUT ROWID;"
    "CREATE TABLE ecr_upload (" KEY_COLS ", id TEXT NOT NULL, repo TEXT NOT NULL, received INTEGER NOT NULL,"
    " created_ms INTEGER NOT NULL, PRIMARY KEY (account, region, id)) WITHOUT ROWID;"
    /* a rowid table: its rows carry up to a request body of bytes */
    "CREATE TABLE ecr_part (" KEY_COLS ", owner TEXT NOT NULL, first INTEGER NOT NULL, data BLOB NOT NULL);"
    "CREATE UNIQUE INDEX ecr_part_owner ON ecr_part (account, region, owner, first);"
    "CREATE TABLE ecr_preview (" KEY_COLS ", repo TEXT NOT NULL, policy TEXT NOT NULL, results TEXT NOT NULL,"
    " PRIMARY KEY (account, region, repo)) WITHOUT ROWID;";

static const char *const schema[] = {SCHEMA_1, NULL};

#define REPO_COLS "name, created_ms, mutability, scan_on_push, enc_type, kms_key"
static const char SQL_REPO[] = "SELECT " REPO_COLS " FROM ecr_repo WHERE account=?1 AND region=?2 AND name=?3";
static const char SQL_REPOS[] = "SELECT " REPO_COLS " FROM ecr_repo WHERE account=?1 AND region=?2"
                                " ORDER BY created_ms, name";
static const char SQL_INSERT_REPO[] =
    "INSERT INTO ecr_repo (account, region, " REPO_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_DELETE_REPO[] = "DELETE FROM ecr_repo WHERE account=?1 AND region=?2 AND name=?3";
static const char SQL_SET_MUTABILITY[] =
    "UPDATE ecr_repo SET mutability=?4 WHERE account=?1 AND region=?2 AND name=?3";
static const char SQL_SET_SCAN[] = "UPDATE ecr_repo SET scan_on_push=?4 WHERE account=?1 AND region=?2 AND name=?3";
static const char SQL_POLICY[] = "SELECT policy FROM ecr_repo WHERE account=?1 AND region=?2 AND name=?3";
static const char SQL_SET_POLICY[] = "UPDATE ecr_repo SET policy=?4 WHERE account=?1 AND region=?2 AND name=?3";

static const char SQL_TAGS[] = "SELECT key, value FROM ecr_tag WHERE account=?1 AND region=?2 AND repo=?3 ORDER BY key";
static const char SQL_TAG_COUNT[] = "SELECT count(*) FROM ecr_tag WHERE account=?1 AND region=?2 AND repo=?3"
                                    " AND key NOT IN (SELECT value FROM json_each(?4))";
static const char SQL_SET_TAG[] = "INSERT INTO ecr_tag (account, region, repo, key, value) VALUES (?1, ?2, ?3, ?4, ?5)"
                                  " ON CONFLICT (account, region, repo, key) DO UPDATE SET value=excluded.value";
static const char SQL_DELETE_TAG[] = "DELETE FROM ecr_tag WHERE account=?1 AND region=?2 AND repo=?3 AND key=?4";
static const char SQL_DELETE_TAGS[] = "DELETE FROM ecr_tag WHERE account=?1 AND region=?2 AND repo=?3";

/* ---- common helpers ----------------------------------------------------------------------------- */

sqlite3_stmt *ecr_stmt(struct dd_request *r, const char *sql, const char *repo)
{
    sqlite3_stmt *st = dd_stmt(r, sql);
    store_bind_text(st, 3, repo);
    return st;
}

int ecr_invalid(struct dd_request *r, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dd_reject(r, 400, "InvalidParameterException", "%s", msg);
}

json_t *ecr_head(struct dd_request *r, const char *name)
{
    return json_pack("{s:s, s:s}", "registryId", r->account, "repositoryName", name);
}

static void repo_row(sqlite3_stmt *st, struct ecr_repo *o)
{
    snprintf(o->name, sizeof o->name, "%s", store_col_text(st, 0));
    o->created_ms = sqlite3_column_int64(st, 1);
    snprintf(o->mutability, sizeof o->mutability, "%s", store_col_text(st, 2));
    o->scan_on_push = sqlite3_column_int(st, 3);
    snprintf(o->enc_type, sizeof o->enc_type, "%s", store_col_text(st, 4));
    snprintf(o->kms_key, sizeof o->kms_key, "%s", store_col_text(st, 5) ? store_col_text(st, 5) : "");
}

int ecr_repo_find(struct dd_request *r, const char *name, struct ecr_repo *out)
{
    sqlite3_stmt *st = ecr_stmt(r, SQL_REPO, name);
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found)
        repo_row(st, out);
    sqlite3_reset(st);
    return found ? 0 : 1;
}

int ecr_repo_get(struct dd_request *r, const char *name, struct ecr_repo *out)
{
    if (!ecr_repo_find(r, name, out))
        return 0;
    return dd_reject(r, 400, "RepositoryNotFoundException",
                     "The repository with name '%s' does not exist in the registry with id '%s'", name, r->account);
}

/* registryId, when given, must be the caller's: other registries are not emulated. */
static int registry_check(struct dd_request *r, json_t *in)
{
    const char *id = dd_in_str(in, "registryId");
    if (!id || strcmp(id, r->account) == 0)
        return 0;
    return ecr_invalid(r, "Invalid parameter at 'registryId' failed to satisfy constraint: 'registryId must be the "
                          "caller's account id'");
}

int ecr_repo_of(struct dd_request *r, json_t *in, struct ecr_repo *out)
{
    if (registry_check(r, in))
        return -1;
    return ecr_repo_get(r, dd_in_str(in, "repositoryName"), out);
}

static json_t *repo_json(struct dd_request *r, const struct ecr_repo *o)
{
    char arn[512], uri[512];
    snprintf(arn, sizeof arn, "arn:aws:ecr:%s:%s:repository/%s", r->region, r->account, o->name);
    snprintf(uri, sizeof uri, "%s.dkr.ecr.%s.amazonaws.com/%s", r->account, r->region, o->name);
    json_t *enc = json_pack("{s:s}", "encryptionType", o->enc_type);
    if (*o->kms_key)
        json_object_set_new(enc, "kmsKey", json_string(o->kms_key));
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:{s:b}, s:o}", "repositoryArn", arn, "registryId", r->account,
                     "repositoryName", o->name, "repositoryUri", uri, "createdAt", dd_time(o->created_ms),
                     "imageTagMutability", o->mutability, "imageScanningConfiguration", "scanOnPush",
                     o->scan_on_push, "encryptionConfiguration", enc);
}

/* ---- repositories ------------------------------------------------------------------------------- */

/* The model's pattern (?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*:
 * '/'-separated components of lowercase alphanumerics joined by single '.', '_' or '-'. */
static bool name_valid(const char *s)
{
    bool need_alnum = true; /* at a component's start or after a separator */
    for (; *s; s++) {
        bool alnum = (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9');
        if (alnum)
            need_alnum = false;
        else if (need_alnum || !strchr("._-/", *s))
            return false;
        else
            need_alnum = true;
    }
    return !need_alnum;
}

/* Checks a TagList ([{Key, Value}]): 0 or -1. */
static int tags_check(struct dd_request *r, json_t *tags)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        const char *k = dd_in_str(t, "Key"), *v = dd_in_str(t, "Value");
        if (!k || !*k || strlen(k) > 128 || (v && strlen(v) > 256))
            return dd_reject(r, 400, "InvalidTagParameterException",
                             "Tag keys must be between 1 and 128 characters and tag values at most 256 characters.");
        if (strncmp(k, "aws:", 4) == 0)
            return dd_reject(r, 400, "InvalidTagParameterException",
                             "Invalid tag key: keys prefixed with 'aws:' are reserved for AWS use.");
    }
    return 0;
}

/* Adds or overwrites tags (a TagList, borrowed): at most 50 per repository. */
static int tags_put(struct dd_request *r, const char *repo, json_t *tags)
{
    if (tags_check(r, tags))
        return -1;
    json_t *keys = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) json_array_append_new(keys, json_string(dd_in_str(t, "Key")));
    char *text = json_dumps(keys, JSON_COMPACT);
    json_decref(keys);
    sqlite3_stmt *st = ecr_stmt(r, SQL_TAG_COUNT, repo);
    store_bind_text(st, 4, text);
    int64_t kept = dd_single_int(st, 0);
    free(text);
    if (kept + (int64_t)json_array_size(tags) > MAX_TAGS)
        return dd_reject(r, 400, "TooManyTagsException", "A resource can have at most %d tags.", MAX_TAGS);
    json_array_foreach(tags, i, t)
    {
        st = ecr_stmt(r, SQL_SET_TAG, repo);
        store_bind_text(st, 4, dd_in_str(t, "Key"));
        store_bind_text(st, 5, dd_in_str(t, "Value") ? dd_in_str(t, "Value") : "");
        if (dd_exec(r, st))
            return -1;
    }
    return 0;
}

json_t *ecr_op_CreateRepository(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "repositoryName");
    if (registry_check(r, in))
        return NULL;
    if (!name_valid(name))
        return dd_fail(r, 400, "InvalidParameterException",
                       "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular "
                       "expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''");
    struct ecr_repo o = {.created_ms = r->now_ms};
    if (!ecr_repo_find(r, name, &o))
        return dd_fail(r, 400, "RepositoryAlreadyExistsException",
                       "The repository with name '%s' already exists in the registry with id '%s'", name, r->account);
    snprintf(o.name, sizeof o.name, "%s", name);
    o.created_ms = r->now_ms;
    snprintf(o.mutability, sizeof o.mutability, "%s",
             dd_in_str(in, "imageTagMutability") ? dd_in_str(in, "imageTagMutability") : "MUTABLE");
    o.scan_on_push = dd_in_bool(json_object_get(in, "imageScanningConfiguration"), "scanOnPush");
    json_t *enc = json_object_get(in, "encryptionConfiguration");
    const char *type = enc ? dd_in_str(enc, "encryptionType") : "AES256";
    const char *key = enc ? dd_in_str(enc, "kmsKey") : NULL;
    if (strcmp(type, "AES256") == 0 && key)
        return dd_fail(r, 400, "InvalidParameterException",
                       "Invalid parameter at 'encryptionConfiguration' failed to satisfy constraint: 'kmsKey can only "
                       "be specified when encryptionType is KMS'");
    snprintf(o.enc_type, sizeof o.enc_type, "%s", type);
    if (key && strncmp(key, "arn:", 4) == 0)
        snprintf(o.kms_key, sizeof o.kms_key, "%s", key);
    else if (key) /* a key id or alias: shown as the ARN it names */
        snprintf(o.kms_key, sizeof o.kms_key, "arn:aws:kms:%s:%s:%s%s", r->region, r->account,
                 strncmp(key, "alias/", 6) == 0 ? "" : "key/", key);
    else if (strcmp(type, "KMS") == 0) /* the AWS managed key for ECR */
        snprintf(o.kms_key, sizeof o.kms_key, "arn:aws:kms:%s:%s:alias/aws/ecr", r->region, r->account);
    sqlite3_stmt *st = ecr_stmt(r, SQL_INSERT_REPO, name);
    sqlite3_bind_int64(st, 4, o.created_ms);
    store_bind_text(st, 5, o.mutability);
    sqlite3_bind_int(st, 6, o.scan_on_push);
    store_bind_text(st, 7, o.enc_type);
    store_bind_text(st, 8, *o.kms_key ? o.kms_key : NULL);
    if (dd_exec(r, st) || tags_put(r, name, json_object_get(in, "tags")))
        return NULL;
    return json_pack("{s:o}", "repository", repo_json(r, &o));
}

json_t *ecr_op_DescribeRepositories(struct dd_request *r, json_t *in)
{
    if (registry_check(r, in))
        return NULL;
    json_t *names = json_object_get(in, "repositoryNames");
    json_t *items = json_array();
    struct ecr_repo o;
    if (names) {
        if (json_object_get(in, "maxResults") || json_object_get(in, "nextToken")) {
            json_decref(items);
            return dd_fail(r, 400, "InvalidParameterException",
                           "Invalid parameter: maxResults and nextToken cannot be used with repositoryNames");
        }
        size_t i;
        json_t *n;
        json_array_foreach(names, i, n)
        {
            if (ecr_repo_get(r, json_string_value(n), &o)) {
                json_decref(items);
                return NULL;
            }
            json_array_append_new(items, repo_json(r, &o));
        }
        return json_pack("{s:o}", "repositories", items);
    }
    sqlite3_stmt *st = dd_stmt(r, SQL_REPOS);
    while (sqlite3_step(st) == SQLITE_ROW) {
        repo_row(st, &o);
        json_array_append_new(items, repo_json(r, &o));
    }
    sqlite3_reset(st);
    return dd_page(in, items, "repositories", "maxResults", DEFAULT_PAGE);
}

json_t *ecr_op_DeleteRepository(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    if (ecr_repo_of(r, in, &o))
        return NULL;
    if (!dd_in_bool(in, "force") && ecr_image_count(r, o.name) > 0)
        return dd_fail(r, 400, "RepositoryNotEmptyException",
                       "The repository with name '%s' in registry with id '%s' cannot be deleted because it still "
                       "contains images",
                       o.name, r->account);
    if (ecr_images_drop(r, o.name) || ecr_lifecycle_drop(r, o.name) ||
        dd_exec(r, ecr_stmt(r, SQL_DELETE_TAGS, o.name)) || dd_exec(r, ecr_stmt(r, SQL_DELETE_REPO, o.name)))
        return NULL;
    return json_pack("{s:o}", "repository", repo_json(r, &o));
}

json_t *ecr_op_PutImageTagMutability(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    if (ecr_repo_of(r, in, &o))
        return NULL;
    const char *m = dd_in_str(in, "imageTagMutability");
    sqlite3_stmt *st = ecr_stmt(r, SQL_SET_MUTABILITY, o.name);
    store_bind_text(st, 4, m);
    if (dd_exec(r, st))
        return NULL;
    json_t *out = ecr_head(r, o.name);
    json_object_set_new(out, "imageTagMutability", json_string(m));
    return out;
}

json_t *ecr_op_PutImageScanningConfiguration(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    if (ecr_repo_of(r, in, &o))
        return NULL;
    bool scan = dd_in_bool(json_object_get(in, "imageScanningConfiguration"), "scanOnPush");
    sqlite3_stmt *st = ecr_stmt(r, SQL_SET_SCAN, o.name);
    sqlite3_bind_int(st, 4, scan);
    if (dd_exec(r, st))
        return NULL;
    json_t *out = ecr_head(r, o.name);
    json_object_set_new(out, "imageScanningConfiguration", json_pack("{s:b}", "scanOnPush", scan));
    return out;
}

/* ---- tags ---------------------------------------------------------------------------------------- */

/* The repository an ARN names: 0 with its name in `name`, or -1 (InvalidParameter / RepositoryNotFound). */
static int repo_of_arn(struct dd_request *r, const char *arn, struct ecr_repo *o)
{
    char prefix[128];
    int n = snprintf(prefix, sizeof prefix, "arn:aws:ecr:%s:%s:repository/", r->region, r->account);
    if (strncmp(arn, prefix, (size_t)n) != 0 || !arn[n])
        return ecr_invalid(r, "Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'");
    return ecr_repo_get(r, arn + n, o);
}

json_t *ecr_op_TagResource(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    if (repo_of_arn(r, dd_in_str(in, "resourceArn"), &o) || tags_put(r, o.name, json_object_get(in, "tags")))
        return NULL;
    return json_object();
}

json_t *ecr_op_UntagResource(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    if (repo_of_arn(r, dd_in_str(in, "resourceArn"), &o))
        return NULL;
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(in, "tagKeys"), i, k)
    {
        sqlite3_stmt *st = ecr_stmt(r, SQL_DELETE_TAG, o.name);
        store_bind_text(st, 4, json_string_value(k));
        if (dd_exec(r, st))
            return NULL;
    }
    return json_object();
}

json_t *ecr_op_ListTagsForResource(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    if (repo_of_arn(r, dd_in_str(in, "resourceArn"), &o))
        return NULL;
    json_t *tags = json_array();
    sqlite3_stmt *st = ecr_stmt(r, SQL_TAGS, o.name);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(tags, json_pack("{s:s, s:s}", "Key", store_col_text(st, 0), "Value",
                                              store_col_text(st, 1)));
    sqlite3_reset(st);
    return json_pack("{s:o}", "tags", tags);
}

/* ---- repository policies ------------------------------------------------------------------------- */

/* An IAM policy document in outline: an object whose Statement (one or a list)
 * has an Effect of Allow or Deny and an Action or NotAction each. */
static bool policy_valid(const char *text)
{
    json_t *doc = json_loads(text, 0, NULL);
    json_t *stmts = json_object_get(doc, "Statement");
    bool ok = json_is_object(doc) && (json_is_object(stmts) || json_array_size(stmts) > 0);
    json_t *list = json_is_object(stmts) ? json_pack("[O]", stmts) : json_incref(stmts);
    size_t i;
    json_t *s;
    json_array_foreach(ok ? list : NULL, i, s)
    {
        const char *effect = dd_in_str(s, "Effect");
        ok = ok && json_is_object(s) && effect && (!strcmp(effect, "Allow") || !strcmp(effect, "Deny")) &&
             (json_object_get(s, "Action") || json_object_get(s, "NotAction"));
    }
    json_decref(list);
    json_decref(doc);
    return ok;
}

/* The repository's policy (a new malloc'd string) or NULL when it has none. */
static char *policy_get(struct dd_request *r, const char *repo)
{
    sqlite3_stmt *st = ecr_stmt(r, SQL_POLICY, repo);
    char *text = sqlite3_step(st) == SQLITE_ROW && store_col_text(st, 0) ? strdup(store_col_text(st, 0)) : NULL;
    sqlite3_reset(st);
    return text;
}

static json_t *policy_out(struct dd_request *r, const char *repo, char *text)
{
    json_t *out = ecr_head(r, repo);
    json_object_set_new(out, "policyText", json_string(text));
    free(text);
    return out;
}

static json_t *policy_missing(struct dd_request *r, const char *repo)
{
    return dd_fail(r, 400, "RepositoryPolicyNotFoundException",
                   "Repository policy does not exist for the repository with name '%s' in the registry with id '%s'",
                   repo, r->account);
}

json_t *ecr_op_SetRepositoryPolicy(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    if (ecr_repo_of(r, in, &o))
        return NULL;
    const char *text = dd_in_str(in, "policyText");
    if (!policy_valid(text))
        return dd_fail(r, 400, "InvalidParameterException",
                       "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy "
                       "provided'");
    sqlite3_stmt *st = ecr_stmt(r, SQL_SET_POLICY, o.name);
    store_bind_text(st, 4, text);
    return dd_exec(r, st) ? NULL : policy_out(r, o.name, strdup(text));
}

json_t *ecr_op_GetRepositoryPolicy(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    if (ecr_repo_of(r, in, &o))
        return NULL;
    char *text = policy_get(r, o.name);
    return text ? policy_out(r, o.name, text) : policy_missing(r, o.name);
}

json_t *ecr_op_DeleteRepositoryPolicy(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    if (ecr_repo_of(r, in, &o))
        return NULL;
    char *text = policy_get(r, o.name);
    if (!text)
        return policy_missing(r, o.name);
    sqlite3_stmt *st = ecr_stmt(r, SQL_SET_POLICY, o.name);
    store_bind_text(st, 4, NULL);
    if (dd_exec(r, st)) {
        free(text);
        return NULL;
    }
    return policy_out(r, o.name, text);
}

/* ---- authorization tokens and the registry ------------------------------------------------------- */

static json_t *auth_data(struct dd_request *r, const char *registry)
{
    /* Docker logs in as user "AWS" with the token as password. */
    char hex[129], plain[140], b64[200], endpoint[128];
    dd_random_hex(hex, 128);
    int n = snprintf(plain, sizeof plain, "AWS:%s", hex);
    EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)plain, n);
    snprintf(endpoint, sizeof endpoint, "https://%s.dkr.ecr.%s.amazonaws.com", registry, r->region);
    return json_pack("{s:s, s:o, s:s}", "authorizationToken", b64, "expiresAt", dd_time(r->now_ms + TOKEN_TTL_MS),
                     "proxyEndpoint", endpoint);
}

json_t *ecr_op_GetAuthorizationToken(struct dd_request *r, json_t *in)
{
    json_t *ids = json_object_get(in, "registryIds");
    json_t *data = json_array();
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id) json_array_append_new(data, auth_data(r, json_string_value(id)));
    if (!json_array_size(ids))
        json_array_append_new(data, auth_data(r, r->account));
    return json_pack("{s:o}", "authorizationData", data);
}

json_t *ecr_op_DescribeRegistry(struct dd_request *r, json_t *in)
{
    (void)in;
    return json_pack("{s:s, s:{s:[]}}", "registryId", r->account, "replicationConfiguration", "rules");
}

json_t *ecr_op_GetRegistryPolicy(struct dd_request *r, json_t *in)
{
    (void)in;
    return dd_fail(r, 400, "RegistryPolicyNotFoundException",
                   "Registry policy does not exist in the registry with id '%s'", r->account);
}

/* ---- the service -------------------------------------------------------------------------------- */

#define ECR_ROW(op, flags) {#op, ecr_op_##op, flags},
static const struct dd_handler handlers[] = {ECR_HANDLERS(ECR_ROW)};
#undef ECR_ROW

static const struct sim_kind events[] = {
    {ECR_LIFECYCLE_EVENT, ecr_lifecycle_run},
};

const struct dd_service dd_service_ecr = {
    .model_id = "ecr",
    .handlers = handlers,
    .handler_count = sizeof handlers / sizeof *handlers,
    /* ECR answers malformed input with InvalidParameterException. */
    .validation_code = "InvalidParameterException",
    .schema = schema,
    .events = events,
    .event_count = sizeof events / sizeof *events,
};
