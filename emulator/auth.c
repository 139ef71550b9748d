/* auth.c - SigV4 verification and callers' accounts (see auth.h). */
#include "auth.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "services/sts.h"

#define MAX_SKEW_SECONDS (15 * 60)

static struct {
    bool require_auth;
    char default_account[13];
    json_t *keys; /* access key -> {"secret": "...", "account": "..."} */
} cfg = {.default_account = "000000000000"};

void auth_configure(bool require_auth, const char *default_account)
{
    cfg.require_auth = require_auth;
    if (default_account)
        snprintf(cfg.default_account, sizeof cfg.default_account, "%s", default_account);
    if (!cfg.keys) {
        cfg.keys = json_object();
        json_object_set_new(cfg.keys, "test", json_pack("{s:s}", "secret", "test"));
    }
}

/* A keys file maps access key ids to a secret, or to {"secret":..., "account":...}. */
int auth_load_keys(const char *path, char *why, size_t why_len)
{
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (!json_is_object(doc)) {
        snprintf(why, why_len, "%s: %s", path, doc ? "must be a JSON object" : jerr.text);
        json_decref(doc);
        return -1;
    }
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v)
    {
        json_t *entry = json_is_string(v) ? json_pack("{s:O}", "secret", v) : json_deep_copy(v);
        if (!json_is_string(json_object_get(entry, "secret"))) {
            snprintf(why, why_len, "%s: key %s has no secret", path, key);
            json_decref(entry);
            json_decref(doc);
            return -1;
        }
        json_object_set_new(cfg.keys, key, entry);
    }
    json_decref(doc);
    return 0;
}

static bool is_account_id(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!isdigit((unsigned char)s[n]))
            return false;
    return n == 12;
}

const char *auth_account_for(const char *access_key)
{
    if (is_account_id(access_key))
        return access_key;
    const char *acct = json_string_value(json_object_get(json_object_get(cfg.keys, access_key), "account"));
    return acct ? acct : cfg.default_account;
}

struct auth_words {
    int status;
    const char *code;
    const char *message;
};

/* [protocol][failure]: AWS's codes and messages for each wire protocol. */
static const struct auth_words words[3][AUTH_TOKEN_EXPIRED + 1] = {
    [DD_PROTO_JSON] = {
        [AUTH_MISSING] = {400, "MissingAuthenticationTokenException", "Missing Authentication Token"},
        [AUTH_MALFORMED] = {400, "IncompleteSignatureException", NULL},
        [AUTH_UNKNOWN_KEY] = {400, "UnrecognizedClientException", "The security token included in the request is invalid."},
        [AUTH_BAD_SIGNATURE] = {400, "InvalidSignatureException", NULL},
        [AUTH_EXPIRED] = {400, "InvalidSignatureException", NULL},
        [AUTH_TOO_LARGE] = {413, "RequestEntityTooLargeException", NULL},
        [AUTH_TOKEN_EXPIRED] = {400, "ExpiredTokenException", "The security token included in the request is expired"},
    },
    [DD_PROTO_QUERY] = {
        [AUTH_MISSING] = {403, "MissingAuthenticationToken", "Request is missing Authentication Token"},
        [AUTH_MALFORMED] = {400, "IncompleteSignature", NULL},
        [AUTH_UNKNOWN_KEY] = {403, "InvalidClientTokenId", "The security token included in the request is invalid."},
        [AUTH_BAD_SIGNATURE] = {403, "SignatureDoesNotMatch", NULL},
        [AUTH_EXPIRED] = {403, "SignatureDoesNotMatch", NULL},
        [AUTH_TOO_LARGE] = {413, "RequestEntityTooLarge", NULL},
        [AUTH_TOKEN_EXPIRED] = {403, "ExpiredToken", "The security token included in the request is expired"},
    },
    [DD_PROTO_EC2] = {
        [AUTH_MISSING] = {401, "MissingAuthenticationToken", "Request is missing Authentication Token"},
        [AUTH_MALFORMED] = {400, "IncompleteSignature", NULL},
        [AUTH_UNKNOWN_KEY] = {401, "AuthFailure", "AWS was not able to validate the provided access credentials"},
        [AUTH_BAD_SIGNATURE] = {401, "AuthFailure", "AWS was not able to validate the provided access credentials"},
        [AUTH_EXPIRED] = {400, "RequestExpired", "Request has expired."},
        [AUTH_TOO_LARGE] = {413, "RequestEntityTooLarge", NULL},
        [AUTH_TOKEN_EXPIRED] = {400, "RequestExpired", "Request has expired."},
    },
};

static const char SIGNATURE_MISMATCH[] =
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details.";

void auth_error(enum dd_protocol protocol, enum auth_failure failure, const char *detail, struct dd_error *err)
{
    const struct auth_words *w = &words[protocol][failure];
    const char *msg = w->message;
    if (!msg)
        msg = failure == AUTH_BAD_SIGNATURE ? SIGNATURE_MISMATCH : (detail ? detail : "");
    dd_err(err, w->status, w->code, "%s", msg);
}

static void format_amz(time_t t, char out[17])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* AWS's words: "Signature expired: X is now earlier than Y (Z - 15 min.)" and its mirror. */
static int check_time(const struct dd_service_model *svc, const struct sigv4_auth *auth, struct dd_error *err)
{
    time_t signed_at = sigv4_parse_amz_date(auth->amz_date);
    time_t now = time(NULL);
    char msg[256], now_s[17], edge_s[17];
    format_amz(now, now_s);
    if (signed_at < 0) {
        auth_error(svc->protocol, AUTH_MALFORMED, "Date must be in ISO-8601 'basic format'. Got '' .", err);
        return -1;
    }
    if (strncmp(auth->date, auth->amz_date, 8) != 0) {
        snprintf(msg, sizeof msg,
                 "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                 "'%s' != '%.8s', from '%s'.",
                 auth->date, auth->amz_date, auth->amz_date);
        auth_error(svc->protocol, AUTH_BAD_SIGNATURE, msg, err);
        snprintf(err->message, sizeof err->message, "%s", msg);
        return -1;
    }
    time_t valid_until = signed_at + (auth->presigned ? auth->expires : 0) + MAX_SKEW_SECONDS;
    if (auth->presigned ? now > signed_at + auth->expires : now > valid_until) {
        format_amz(now - MAX_SKEW_SECONDS, edge_s);
        snprintf(msg, sizeof msg, "Signature expired: %s is now earlier than %s (%s - 15 min.)", auth->amz_date,
                 edge_s, now_s);
        auth_error(svc->protocol, AUTH_EXPIRED, msg, err);
        return -1;
    }
    if (signed_at > now + MAX_SKEW_SECONDS) {
        format_amz(now + MAX_SKEW_SECONDS, edge_s);
        snprintf(msg, sizeof msg, "Signature not yet current: %s is still later than %s (%s + 15 min.)",
                 auth->amz_date, edge_s, now_s);
        auth_error(svc->protocol, AUTH_EXPIRED, msg, err);
        return -1;
    }
    return 0;
}

int auth_check(const struct dd_service_model *svc, const struct sigv4_request *req,
               enum sigv4_status parse_status, const struct sigv4_auth *auth, const char *why,
               struct auth_caller *caller, struct dd_error *err)
{
    if (parse_status == SIGV4_MISSING) {
        auth_error(svc->protocol, AUTH_MISSING, NULL, err);
        return -1;
    }
    if (parse_status == SIGV4_MALFORMED) {
        auth_error(svc->protocol, AUTH_MALFORMED, why, err);
        return -1;
    }
    if (check_time(svc, auth, err))
        return -1;
    const char *secret = json_string_value(json_object_get(json_object_get(cfg.keys, auth->access_key), "secret"));
    /* Temporary credentials issued by STS AssumeRole: valid only with their
     * own session token and until they expire; the caller is the role session. */
    struct sts_session session;
    bool temporary = !secret && sts_session_find(auth->access_key, &session);
    if (temporary) {
        if (strcmp(session.token, auth->security_token) != 0) {
            auth_error(svc->protocol, AUTH_UNKNOWN_KEY, NULL, err);
            return -1;
        }
        if (clock_now_ms() >= session.expires_ms) {
            auth_error(svc->protocol, AUTH_TOKEN_EXPIRED, NULL, err);
            return -1;
        }
        secret = session.secret;
    }
    if (!secret && cfg.require_auth) {
        auth_error(svc->protocol, AUTH_UNKNOWN_KEY, NULL, err);
        return -1;
    }
    if (secret) {
        char expected[65], canonical[4096] = "";
        if (sigv4_compute(req, auth, secret, expected, canonical, sizeof canonical) != 0 ||
            !sigv4_equal(expected, auth->signature)) {
            /* What a client author needs to compare with their own signer (no secret in it). */
            log_msg(LOG_DEBUG, "signature mismatch; canonical request:\n%s", canonical);
            auth_error(svc->protocol, AUTH_BAD_SIGNATURE, NULL, err);
            return -1;
        }
    }
    const char *account = auth_account_for(auth->access_key);
    snprintf(caller->access_key, sizeof caller->access_key, "%s", auth->access_key);
    snprintf(caller->account, sizeof caller->account, "%.12s", account);
    snprintf(caller->region, sizeof caller->region, "%s", auth->region);
    snprintf(caller->arn, sizeof caller->arn, "arn:aws:iam::%s:root", account);
    snprintf(caller->user_id, sizeof caller->user_id, "%s", account);
    if (temporary) {
        snprintf(caller->account, sizeof caller->account, "%s", session.account);
        snprintf(caller->arn, sizeof caller->arn, "%s", session.arn);
        snprintf(caller->user_id, sizeof caller->user_id, "%s", session.user_id);
    }
    return 0;
}

void auth_anonymous(struct auth_caller *caller)
{
    memset(caller, 0, sizeof *caller);
    snprintf(caller->account, sizeof caller->account, "%s", cfg.default_account);
    snprintf(caller->region, sizeof caller->region, "us-east-1");
    snprintf(caller->arn, sizeof caller->arn, "arn:aws:iam::%s:root", cfg.default_account);
    snprintf(caller->user_id, sizeof caller->user_id, "%s", cfg.default_account);
}
