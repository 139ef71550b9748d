/*
 * sts.c - AWS Security Token Service.
 *
 * GetCallerIdentity answers from the caller the server authenticated: the
 * account its access key belongs to and its ARN (an assumed role's session
 * included). AssumeRole checks the role's trust policy against the caller
 * and issues temporary credentials (ASIA... key, secret, session token),
 * kept in sts_session until they expire; auth.c accepts them through
 * sts_session_find, only with their session token and before expiry.
 */
#define _GNU_SOURCE
#include "sts.h"

#include <fnmatch.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iam.h"
#include "service.h"

#define DEFAULT_DURATION 3600
#define CHAINED_MAX_DURATION 3600

static const char SCHEMA_1[] =
    "CREATE TABLE sts_session ("
    " access_key TEXT PRIMARY KEY, account TEXT NOT NULL, secret TEXT NOT NULL, token TEXT NOT NULL,"
    " arn TEXT NOT NULL, user_id TEXT NOT NULL, role_arn TEXT NOT NULL, expires_ms INTEGER NOT NULL,"
    " caller_account TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX sts_session_expiry ON sts_session (expires_ms);";

static const char *const schema[] = {SCHEMA_1, NULL};

static const char SQL_FIND[] = "SELECT secret, token, account, arn, user_id, expires_ms FROM sts_session"
                               " WHERE access_key=?1";
static const char SQL_ROLE_OF[] = "SELECT role_arn FROM sts_session WHERE access_key=?1";
static const char SQL_INSERT[] =
    "INSERT INTO sts_session (access_key, account, secret, token, arn, user_id, role_arn, expires_ms, caller_account)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
/* Sessions expired a day ago can no longer be presented (auth refuses them anyway). */
static const char SQL_PURGE[] = "DELETE FROM sts_session WHERE expires_ms < ?1";

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

bool sts_session_find(const char *access_key, struct sts_session *out)
{
    struct store_conn *c = store_conn_get();
    sqlite3_stmt *st = store_stmt(c, SQL_FIND);
    store_bind_text(st, 1, access_key);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        copy(out->secret, sizeof out->secret, store_col_text(st, 0));
        copy(out->token, sizeof out->token, store_col_text(st, 1));
        copy(out->account, sizeof out->account, store_col_text(st, 2));
        copy(out->arn, sizeof out->arn, store_col_text(st, 3));
        copy(out->user_id, sizeof out->user_id, store_col_text(st, 4));
        out->expires_ms = sqlite3_column_int64(st, 5);
    }
    sqlite3_reset(st);
    return found;
}

static json_t *get_caller_identity(struct dd_request *r, json_t *in)
{
    return json_pack("{s:s, s:s, s:s}", "UserId", r->user_id, "Account", r->account, "Arn", r->caller_arn);
}

/* ---- trust policy evaluation ------------------------------------------------------------------- */

/* Who is asking, in the forms a trust policy may name them. */
struct principal {
    const char *account;
    const char *arn;      /* root or assumed-role session ARN */
    char role_arn[700];   /* for a role session: the role's ARN, else "" */
};

static bool any_value(json_t *v, bool (*match)(const char *, const struct principal *), const struct principal *p)
{
    if (json_is_string(v))
        return match(json_string_value(v), p);
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) if (json_is_string(e) && match(json_string_value(e), p)) return true;
    return false;
}

static bool aws_principal_matches(const char *s, const struct principal *p)
{
    char root[64];
    snprintf(root, sizeof root, "arn:aws:iam::%s:root", p->account);
    return strcmp(s, "*") == 0 || strcmp(s, p->account) == 0 || strcmp(s, root) == 0 || strcmp(s, p->arn) == 0 ||
           (p->role_arn[0] && strcmp(s, p->role_arn) == 0);
}

static bool action_matches(const char *s, const struct principal *p)
{
    return fnmatch(s, "sts:AssumeRole", FNM_CASEFOLD) == 0;
}

static bool principal_matches(json_t *principal, const struct principal *p)
{
    if (json_is_string(principal))
        return strcmp(json_string_value(principal), "*") == 0;
    return any_value(json_object_get(principal, "AWS"), aws_principal_matches, p);
}

/* Does statement `s` apply to `p` calling sts:AssumeRole? (Conditions are not evaluated.) */
static bool statement_applies(json_t *s, const struct principal *p)
{
    json_t *a = json_object_get(s, "Action"), *na = json_object_get(s, "NotAction");
    json_t *pr = json_object_get(s, "Principal"), *npr = json_object_get(s, "NotPrincipal");
    bool action = a ? any_value(a, action_matches, p) : (na && !any_value(na, action_matches, p));
    bool who = pr ? principal_matches(pr, p) : (npr && !principal_matches(npr, p));
    return action && who;
}

/* An explicit Deny wins; otherwise some Allow must apply. */
static bool trust_allows(const char *trust, const struct principal *p)
{
    json_t *doc = json_loads(trust, 0, NULL);
    json_t *stmts = json_object_get(doc, "Statement");
    json_t *list = json_is_object(stmts) ? json_pack("[O]", stmts) : json_incref(stmts);
    bool allowed = false, denied = false;
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s)
    {
        if (!statement_applies(s, p))
            continue;
        const char *effect = json_string_value(json_object_get(s, "Effect"));
        if (effect && strcmp(effect, "Deny") == 0)
            denied = true;
        else
            allowed = true;
    }
    json_decref(list);
    json_decref(doc);
    return allowed && !denied;
}

/* ---- AssumeRole -------------------------------------------------------------------------------- */

static void random_base64(size_t raw_len, char *out, size_t out_len)
{
    unsigned char raw[512];
    if (raw_len > sizeof raw || (raw_len + 2) / 3 * 4 >= out_len || RAND_bytes(raw, (int)raw_len) != 1)
        abort();
    EVP_EncodeBlock((unsigned char *)out, raw, (int)raw_len);
}

/* arn:aws:iam::ACCOUNT:role/[PATH/]NAME -> account and name; false if not a role ARN. */
static bool parse_role_arn(const char *arn, char account[13], const char **name)
{
    static const char prefix[] = "arn:aws:iam::";
    if (strncmp(arn, prefix, sizeof prefix - 1) != 0)
        return false;
    const char *acct = arn + sizeof prefix - 1;
    if (strspn(acct, "0123456789") != 12 || strncmp(acct + 12, ":role/", 6) != 0)
        return false;
    memcpy(account, acct, 12);
    account[12] = '\0';
    *name = strrchr(arn, '/') + 1;
    return **name != '\0';
}

static bool session_name_ok(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr("_+=,.@-", *s)))
            return false;
    return true;
}

static json_t *denied(struct dd_request *r, const char *role_arn)
{
    return dd_fail(r, 403, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s",
                   r->caller_arn, role_arn);
}

/* The caller as a trust policy sees it; a role session also as its role. */
static void caller_principal(struct dd_request *r, struct principal *p)
{
    *p = (struct principal){.account = r->account, .arn = r->caller_arn};
    sqlite3_stmt *st = store_stmt(r->db, SQL_ROLE_OF);
    store_bind_text(st, 1, r->access_key);
    if (sqlite3_step(st) == SQLITE_ROW)
        copy(p->role_arn, sizeof p->role_arn, store_col_text(st, 0));
    sqlite3_reset(st);
}

static int check_duration(struct dd_request *r, json_int_t duration, const struct iam_role_ref *role,
                          const struct principal *p)
{
    if (duration > role->max_session) {
        dd_fail(r, 400, "ValidationError",
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
        return -1;
    }
    if (p->role_arn[0] && duration > CHAINED_MAX_DURATION) {
        dd_fail(r, 400, "ValidationError",
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
        return -1;
    }
    return 0;
}

static json_t *issue(struct dd_request *r, const struct iam_role_ref *role, const char *account,
                     const char *session, json_int_t duration)
{
    char key[21], secret[41 + 4], token[400], arn[256], user_id[160];
    iam_random_id("ASIA", 20, key);
    random_base64(30, secret, sizeof secret);
    memcpy(token, "IQoJb3JpZ2luX2VjE", 17);
    random_base64(270, token + 17, sizeof token - 17);
    snprintf(arn, sizeof arn, "arn:aws:sts::%s:assumed-role/%s/%s", account, role->name, session);
    snprintf(user_id, sizeof user_id, "%s:%s", role->id, session);
    int64_t expires_ms = r->now_ms + (int64_t)duration * 1000;

    sqlite3_stmt *st = store_stmt(r->db, SQL_PURGE);
    sqlite3_bind_int64(st, 1, r->now_ms - 86400 * 1000LL);
    sqlite3_step(st);
    sqlite3_reset(st);
    st = store_stmt(r->db, SQL_INSERT);
    const char *vals[] = {key, account, secret, token, arn, user_id, role->arn};
    for (int i = 0; i < 7; i++)
        store_bind_text(st, i + 1, vals[i]);
    sqlite3_bind_int64(st, 8, expires_ms);
    store_bind_text(st, 9, r->account);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return dd_fail(r, 500, "InternalFailure", "The request processing has failed because of an unknown error.");
    return json_pack("{s:{s:s, s:s, s:s, s:I}, s:{s:s, s:s}, s:i}", "Credentials", "AccessKeyId", key,
                     "SecretAccessKey", secret, "SessionToken", token, "Expiration", (json_int_t)(expires_ms / 1000),
                     "AssumedRoleUser", "AssumedRoleId", user_id, "Arn", arn, "PackedPolicySize", 0);
}

static json_t *assume_role(struct dd_request *r, json_t *in)
{
    const char *role_arn = json_string_value(json_object_get(in, "RoleArn"));
    const char *session = json_string_value(json_object_get(in, "RoleSessionName"));
    json_t *dur = json_object_get(in, "DurationSeconds");
    json_int_t duration = json_is_integer(dur) ? json_integer_value(dur) : DEFAULT_DURATION;
    if (!session_name_ok(session))
        return dd_fail(r, 400, "ValidationError",
                       "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: "
                       "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
                       session);
    char account[13];
    const char *name;
    struct iam_role_ref role = {0};
    if (!parse_role_arn(role_arn, account, &name) || !iam_role_lookup(r, account, name, &role) ||
        strcmp(role.arn, role_arn) != 0) {
        free(role.trust);
        return denied(r, role_arn);
    }
    struct principal p;
    caller_principal(r, &p);
    json_t *out = NULL;
    if (!trust_allows(role.trust, &p))
        out = denied(r, role_arn);
    else if (check_duration(r, duration, &role, &p) == 0)
        out = issue(r, &role, account, session, duration);
    free(role.trust);
    return out;
}

static const struct dd_handler handlers[] = {
    {"AssumeRole", assume_role, 0},
    {"GetCallerIdentity", get_caller_identity, DD_OP_READ},
};

const struct dd_service dd_service_sts = {
    .model_id = "sts",
    .handlers = handlers,
    .handler_count = sizeof handlers / sizeof *handlers,
    .validation_code = "ValidationError",
    .schema = schema,
};
