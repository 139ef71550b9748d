/*
 * sigv4.h - AWS Signature Version 4, for signing (client) and verifying (emulator).
 *
 * Small named steps, as the signing process itself is described:
 * canonical request -> string to sign -> signing key -> signature.
 * Header form (Authorization: AWS4-HMAC-SHA256 ...) and presigned query form
 * (X-Amz-Algorithm=... in the query string) are both supported.
 */
#ifndef DD_SIGV4_H
#define DD_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "error.h"

struct sigv4_header {
    const char *name; /* any case */
    const char *value;
};

/* An HTTP request as SigV4 sees it. All strings borrowed. */
struct sigv4_request {
    const char *method;
    const char *path;  /* raw (still percent-encoded) path, e.g. "/" */
    const char *query; /* raw query string without '?', or NULL/"" */
    const struct sigv4_header *headers;
    size_t header_count;
    const void *body;
    size_t body_len;
};

/* What a request's Authorization header (or presigned query) says. */
struct sigv4_auth {
    char access_key[129];
    char date[9];     /* credential scope date, YYYYMMDD */
    char region[64];
    char service[64];
    char amz_date[17]; /* X-Amz-Date, YYYYMMDDTHHMMSSZ */
    char signed_headers[1024];
    char signature[65];
    char security_token[2048]; /* X-Amz-Security-Token, "" if none */
    bool presigned;
    long expires; /* presigned: X-Amz-Expires seconds */
};

enum sigv4_status {
    SIGV4_OK = 0,
    SIGV4_MISSING,   /* no Authorization header and no presigned query */
    SIGV4_MALFORMED, /* present but unparseable (e.g. missing Credential=) */
};

/* Extracts the auth parameters. On SIGV4_MALFORMED, `why` holds a message in AWS's words. */
enum sigv4_status sigv4_parse(const struct sigv4_request *req, struct sigv4_auth *auth, char *why,
                              size_t why_len);

/*
 * Computes the hex signature of `req` for `auth`'s scope, date and signed
 * headers with `secret`. Returns 0, or -1 if a signed header is missing.
 * `canonical` (optional) receives the canonical request for error messages.
 */
int sigv4_compute(const struct sigv4_request *req, const struct sigv4_auth *auth, const char *secret,
                  char signature[65], char *canonical, size_t canonical_len);

/* Constant-time comparison of two hex signatures. */
bool sigv4_equal(const char *a, const char *b);

/* Parses "YYYYMMDDTHHMMSSZ" to epoch seconds; -1 on error. */
time_t sigv4_parse_amz_date(const char *amz_date);

/*
 * Client: signs a request. Produces the Authorization header value and the
 * X-Amz-Date and x-amz-content-sha256 values to send. Signs host,
 * x-amz-date, x-amz-content-sha256 (and x-amz-security-token if `token`),
 * plus any headers in `req` (content-type, x-amz-target ...).
 */
struct sigv4_signed {
    char authorization[1024];
    char amz_date[17];
    char content_sha256[65];
};
int sigv4_sign(const struct sigv4_request *req, const char *access_key, const char *secret,
               const char *token, const char *region, const char *service, time_t now,
               struct sigv4_signed *out);

/* Hex SHA-256 of data. */
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);

#endif
