/*
 * auth.h - who is calling: SigV4 verification and the caller's account.
 *
 * Keys the emulator knows (default test/test, more from --keys FILE) always
 * have their signatures verified; unknown keys are accepted unverified unless
 * --require-auth. A 12-digit access key id is that account; any other key
 * belongs to the default account (or to the account its --keys entry names).
 */
#ifndef DD_AUTH_H
#define DD_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "../protocol/error.h"
#include "../protocol/model.h"
#include "../protocol/sigv4.h"

/* The failures every protocol reports in its own words (see auth_error). */
enum auth_failure {
    AUTH_MISSING,
    AUTH_MALFORMED,
    AUTH_UNKNOWN_KEY,
    AUTH_BAD_SIGNATURE,
    AUTH_EXPIRED,
    AUTH_TOO_LARGE, /* not auth, but answered per protocol the same way */
    AUTH_TOKEN_EXPIRED, /* STS temporary credentials past their expiry */
};

struct auth_caller {
    char access_key[129];
    char account[13];
    char region[64];
    char arn[256];
    char user_id[160];
};

/* Configuration, before the server starts. Returns -1 with `why` on a bad file. */
void auth_configure(bool require_auth, const char *default_account);
int auth_load_keys(const char *path, char *why, size_t why_len);

/* The account of an access key (12 digits: itself; configured; else the default). */
const char *auth_account_for(const char *access_key);

/*
 * Authenticates a parsed request. `parse_status`/`auth` come from sigv4_parse
 * and `why` holds its message for a malformed header. On success fills
 * `caller` and returns 0; otherwise fills `err` in `svc`'s protocol's words.
 */
int auth_check(const struct dd_service_model *svc, const struct sigv4_request *req,
               enum sigv4_status parse_status, const struct sigv4_auth *auth, const char *why,
               struct auth_caller *caller, struct dd_error *err);

/* The caller of an operation AWS serves unsigned (authtype "none"): the default account, anonymous. */
void auth_anonymous(struct auth_caller *caller);

/* Fills `err` with `failure` as `protocol` reports it; `detail` completes some messages. */
void auth_error(enum dd_protocol protocol, enum auth_failure failure, const char *detail,
                struct dd_error *err);

#endif
