/*
 * sigv4.c - AWS Signature Version 4 (see sigv4.h).
 *
 * The steps follow AWS's description of the signing process and botocore's
 * signer, which is the reference the unit tests compare against:
 *
 *   canonical request = method \n canonical uri \n canonical query \n
 *                       canonical headers \n signed headers \n hashed payload
 *   string to sign    = "AWS4-HMAC-SHA256" \n amz date \n scope \n hex(sha256(canonical request))
 *   signing key       = HMAC chain over "AWS4"+secret, date, region, service, "aws4_request"
 *   signature         = hex(HMAC(signing key, string to sign))
 *
 * Verification is on the emulator's hot path, so derived signing keys are kept
 * in a small per-thread cache: a request then costs two SHA-256 and one HMAC.
 */
#include "sigv4.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <pthread.h>

#include "buf.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define TERMINATOR "aws4_request"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* Presigned URLs without X-Amz-Expires get the header form's validity window. */
#define DEFAULT_EXPIRES 900

/* ---- small helpers ------------------------------------------------------- */

static void hex_encode(const unsigned char *in, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * len] = '\0';
}

/* SHA-256 fetched once: OpenSSL 3's one-shot SHA256() and HMAC() look the
 * algorithm up by name on every call, which showed as the largest part of
 * verifying a request. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!sha256_md)
        abort();
}

static void sha256(const void *a, size_t a_len, const void *b, size_t b_len, unsigned char out[SHA256_DIGEST_LENGTH])
{
    pthread_once(&sha256_once, sha256_fetch);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c || !EVP_DigestInit_ex(c, sha256_md, NULL) || !EVP_DigestUpdate(c, a, a_len) ||
        (b_len && !EVP_DigestUpdate(c, b, b_len)) || !EVP_DigestFinal_ex(c, out, NULL))
        abort();
    EVP_MD_CTX_free(c);
}

/* HMAC-SHA256 (RFC 2104) over the fetched digest. */
static void hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                        unsigned char out[SHA256_DIGEST_LENGTH])
{
    enum { BLOCK = 64 };
    unsigned char k[BLOCK] = {0}, pad[BLOCK], inner[SHA256_DIGEST_LENGTH];
    if (key_len > BLOCK)
        sha256(key, key_len, NULL, 0, k);
    else
        memcpy(k, key, key_len);
    for (int i = 0; i < BLOCK; i++)
        pad[i] = k[i] ^ 0x36;
    sha256(pad, BLOCK, msg, msg_len, inner);
    for (int i = 0; i < BLOCK; i++)
        pad[i] = k[i] ^ 0x5c;
    sha256(pad, BLOCK, inner, sizeof inner, out);
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(pad, sizeof pad);
}

void sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    sha256(len ? data : (const void *)"", len, NULL, 0, md);
    hex_encode(md, sizeof md, out);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * Percent-decodes s[0..len) into `out` (reset first). '+' is a space, as in
 * the form encoding that AWS's query parsers apply; a '%' not followed by two
 * hex digits is kept literally.
 */
static void uri_decode(struct dd_buf *out, const char *s, size_t len)
{
    buf_reset(out);
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = buf_hex_digit(s[i + 1])) >= 0 && (lo = buf_hex_digit(s[i + 2])) >= 0) {
            buf_putc(out, (char)(hi << 4 | lo));
            i += 2;
        } else {
            buf_putc(out, s[i] == '+' ? ' ' : s[i]);
        }
    }
    if (!out->data)
        buf_append(out, "", 0);
}

/* The first header named `name` (any case), or NULL. */
static const char *find_header(const struct sigv4_request *req, const char *name)
{
    for (size_t i = 0; i < req->header_count; i++)
        if (req->headers[i].name && strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value ? req->headers[i].value : "";
    return NULL;
}

/* Copies s[0..len) into dst[size]; false (and dst untouched) if it does not fit. */
static bool copy_bounded(char *dst, size_t size, const char *s, size_t len)
{
    if (len >= size)
        return false;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return true;
}

/* ---- query strings --------------------------------------------------------- */

struct query_param {
    char *key; /* canonical (RFC 3986) encoding */
    char *value;
};

/* Appends `raw` re-encoded the canonical way: decoded, then percent-encoded once. */
static char *canonical_component(const char *raw, size_t len, struct dd_buf *scratch)
{
    struct dd_buf out = {0};
    uri_decode(scratch, raw, len);
    buf_put_uri(&out, scratch->data, scratch->len, 0);
    return buf_steal(&out);
}

static void free_params(struct query_param *params, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(params[i].key);
        free(params[i].value);
    }
    free(params);
}

/*
 * Splits a raw query string into canonically encoded (key, value) pairs.
 * `skip` names a (decoded) key to leave out, as X-Amz-Signature in presigned form.
 * Returns a new array (caller frees with free_params) and its length in *count.
 */
static struct query_param *split_query(const char *query, const char *skip, size_t *count)
{
    struct query_param *params = NULL;
    size_t n = 0, cap = 0;
    struct dd_buf scratch = {0};
    for (const char *p = query ? query : ""; *p;) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            const char *eq = memchr(p, '=', len);
            size_t klen = eq ? (size_t)(eq - p) : len;
            char *key = canonical_component(p, klen, &scratch);
            if (skip && strcmp(key, skip) == 0) {
                free(key);
            } else {
                if (n == cap) {
                    cap = cap ? 2 * cap : 16;
                    params = realloc(params, cap * sizeof *params);
                    if (!params)
                        abort();
                }
                params[n].key = key;
                params[n].value = eq ? canonical_component(eq + 1, len - klen - 1, &scratch) : strdup("");
                if (!params[n].value)
                    abort();
                n++;
            }
        }
        p += len;
        if (*p == '&')
            p++;
    }
    buf_free(&scratch);
    *count = n;
    return params;
}

static int compare_params(const void *a, const void *b)
{
    const struct query_param *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

/* Step: canonical query string, pairs sorted by encoded key, then value. */
static void canonical_query(struct dd_buf *out, const char *query, bool presigned)
{
    size_t n;
    struct query_param *params = split_query(query, presigned ? "X-Amz-Signature" : NULL, &n);
    if (n > 1)
        qsort(params, n, sizeof *params, compare_params);
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(out, '&');
        buf_puts(out, params[i].key);
        buf_putc(out, '=');
        buf_puts(out, params[i].value);
    }
    free_params(params, n);
}

/*
 * Finds query parameter `name` (exact, after decoding) and decodes its value
 * into `out`. Returns false when absent.
 */
static bool query_param(const char *query, const char *name, struct dd_buf *out)
{
    size_t name_len = strlen(name);
    for (const char *p = query ? query : ""; *p;) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        uri_decode(out, p, klen);
        if (out->len == name_len && memcmp(out->data, name, name_len) == 0) {
            if (eq)
                uri_decode(out, eq + 1, len - klen - 1);
            else
                buf_reset(out);
            return true;
        }
        p += len;
        if (*p == '&')
            p++;
    }
    return false;
}

/* ---- canonical request ------------------------------------------------------ */

/*
 * Step: canonical URI. Non-S3 services sign the normalized path (dot segments
 * and empty segments removed) percent-encoded once more, as botocore does; S3
 * signs the raw path.
 */
static void canonical_uri(struct dd_buf *out, const char *path, const char *service)
{
    if (!path || !*path) {
        buf_putc(out, '/');
        return;
    }
    if (strcmp(service, "s3") == 0) {
        buf_puts(out, path);
        return;
    }
    size_t len = strlen(path);
    /* Segments kept so far, as (offset, length) into `path`; at most len/2+1. */
    size_t(*segs)[2] = malloc((len / 2 + 2) * sizeof *segs);
    if (!segs)
        abort();
    size_t nseg = 0;
    for (size_t i = 0; i <= len;) {
        size_t j = i;
        while (j < len && path[j] != '/')
            j++;
        size_t seg_len = j - i;
        if (seg_len == 2 && path[i] == '.' && path[i + 1] == '.') {
            if (nseg)
                nseg--;
        } else if (seg_len > 0 && !(seg_len == 1 && path[i] == '.')) {
            segs[nseg][0] = i;
            segs[nseg][1] = seg_len;
            nseg++;
        }
        i = j + 1;
    }
    if (path[0] == '/')
        buf_putc(out, '/');
    for (size_t k = 0; k < nseg; k++) {
        if (k)
            buf_putc(out, '/');
        buf_put_uri(out, path + segs[k][0], segs[k][1], 0);
    }
    if (path[len - 1] == '/' && nseg)
        buf_putc(out, '/');
    free(segs);
}

/* Appends a header value trimmed, with inner runs of whitespace collapsed to one space. */
static void put_trimmed(struct dd_buf *out, const char *v)
{
    bool pending_space = false, started = false;
    for (; *v; v++) {
        if (is_space(*v)) {
            pending_space = started;
            continue;
        }
        if (pending_space)
            buf_putc(out, ' ');
        buf_putc(out, *v);
        pending_space = false;
        started = true;
    }
}

/*
 * Step: canonical headers, one "name:value\n" per name in the signed headers
 * list (in its order); repeated headers are joined with ','. Returns -1 when a
 * signed header is absent from the request.
 */
static int canonical_headers(struct dd_buf *out, const struct sigv4_request *req, const char *signed_headers)
{
    char name[256];
    for (const char *p = signed_headers; *p;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (!copy_bounded(name, sizeof name, p, len) || len == 0)
            return -1;
        for (size_t i = 0; i < len; i++)
            name[i] = (char)tolower((unsigned char)name[i]);
        buf_append(out, name, len);
        buf_putc(out, ':');
        bool found = false;
        for (size_t i = 0; i < req->header_count; i++) {
            const struct sigv4_header *h = &req->headers[i];
            if (!h->name || strcasecmp(h->name, name) != 0)
                continue;
            if (found)
                buf_putc(out, ',');
            put_trimmed(out, h->value ? h->value : "");
            found = true;
        }
        if (!found)
            return -1;
        buf_putc(out, '\n');
        p += len;
        if (*p == ';')
            p++;
    }
    return 0;
}

/* Step: hashed payload: the x-amz-content-sha256 header if sent (UNSIGNED-PAYLOAD too), else SHA-256 of the body. */
static void hashed_payload(struct dd_buf *out, const struct sigv4_request *req)
{
    const char *declared = find_header(req, "x-amz-content-sha256");
    if (declared) {
        put_trimmed(out, declared); /* surrounding whitespace is not part of an HTTP field value */
        return;
    }
    char hex[65];
    if (req->body_len == 0)
        memcpy(hex, EMPTY_SHA256, sizeof hex);
    else
        sigv4_sha256_hex(req->body, req->body_len, hex);
    buf_puts(out, hex);
}

static int canonical_request(struct dd_buf *out, const struct sigv4_request *req, const struct sigv4_auth *auth)
{
    buf_puts(out, req->method ? req->method : "");
    buf_putc(out, '\n');
    canonical_uri(out, req->path, auth->service);
    buf_putc(out, '\n');
    canonical_query(out, req->query, auth->presigned);
    buf_putc(out, '\n');
    if (canonical_headers(out, req, auth->signed_headers) != 0)
        return -1;
    buf_putc(out, '\n');
    buf_puts(out, auth->signed_headers);
    buf_putc(out, '\n');
    hashed_payload(out, req);
    return 0;
}

/* ---- signing key (cached per thread) --------------------------------------- */

struct key_cache_entry {
    char secret[129];
    char date[9];
    char region[64];
    char service[64];
    unsigned char key[SHA256_DIGEST_LENGTH];
};

#define KEY_CACHE_SIZE 8
static _Thread_local struct key_cache_entry key_cache[KEY_CACHE_SIZE];
static _Thread_local unsigned key_cache_next;

static void derive_signing_key(const char *secret, const struct sigv4_auth *auth,
                               unsigned char key[SHA256_DIGEST_LENGTH])
{
    unsigned char k_date[SHA256_DIGEST_LENGTH], k_region[SHA256_DIGEST_LENGTH], k_service[SHA256_DIGEST_LENGTH];
    struct dd_buf seed = {0};
    buf_puts(&seed, "AWS4");
    buf_puts(&seed, secret);
    hmac_sha256(seed.data, seed.len, auth->date, strlen(auth->date), k_date);
    OPENSSL_cleanse(seed.data, seed.len);
    buf_free(&seed);
    hmac_sha256(k_date, sizeof k_date, auth->region, strlen(auth->region), k_region);
    hmac_sha256(k_region, sizeof k_region, auth->service, strlen(auth->service), k_service);
    hmac_sha256(k_service, sizeof k_service, TERMINATOR, strlen(TERMINATOR), key);
    OPENSSL_cleanse(k_date, sizeof k_date);
    OPENSSL_cleanse(k_region, sizeof k_region);
    OPENSSL_cleanse(k_service, sizeof k_service);
}

/* Step: signing key, from the cache when this thread derived it before. */
static void signing_key(const char *secret, const struct sigv4_auth *auth, unsigned char key[SHA256_DIGEST_LENGTH])
{
    for (unsigned i = 0; i < KEY_CACHE_SIZE; i++) {
        struct key_cache_entry *e = &key_cache[i];
        if (e->date[0] && strcmp(e->date, auth->date) == 0 && strcmp(e->region, auth->region) == 0 &&
            strcmp(e->service, auth->service) == 0 && strcmp(e->secret, secret) == 0) {
            memcpy(key, e->key, SHA256_DIGEST_LENGTH);
            return;
        }
    }
    derive_signing_key(secret, auth, key);
    struct key_cache_entry *e = &key_cache[key_cache_next];
    if (strlen(secret) < sizeof e->secret && strlen(auth->date) == 8) {
        key_cache_next = (key_cache_next + 1) % KEY_CACHE_SIZE;
        strcpy(e->secret, secret);
        strcpy(e->date, auth->date);
        snprintf(e->region, sizeof e->region, "%s", auth->region);
        snprintf(e->service, sizeof e->service, "%s", auth->service);
        memcpy(e->key, key, SHA256_DIGEST_LENGTH);
    }
}

/* ---- compute / compare ------------------------------------------------------ */

int sigv4_compute(const struct sigv4_request *req, const struct sigv4_auth *auth, const char *secret,
                  char signature[65], char *canonical, size_t canonical_len)
{
    int rc = -1;
    struct dd_buf creq = {0}, sts = {0};
    signature[0] = '\0';
    if (canonical && canonical_len)
        canonical[0] = '\0';

    if (canonical_request(&creq, req, auth) != 0)
        goto cleanup;
    if (canonical && canonical_len)
        snprintf(canonical, canonical_len, "%s", creq.data);

    /* Step: string to sign. */
    char creq_hash[65];
    sigv4_sha256_hex(creq.data, creq.len, creq_hash);
    const char *parts[] = {ALGORITHM "\n", auth->amz_date,      "\n",     auth->date, "/", auth->region, "/",
                           auth->service,  "/" TERMINATOR "\n", creq_hash};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        buf_puts(&sts, parts[i]);

    /* Step: signature. */
    unsigned char key[SHA256_DIGEST_LENGTH], mac[SHA256_DIGEST_LENGTH];
    signing_key(secret, auth, key);
    hmac_sha256(key, sizeof key, sts.data, sts.len, mac);
    OPENSSL_cleanse(key, sizeof key);
    hex_encode(mac, sizeof mac, signature);
    rc = 0;

cleanup:
    buf_free(&creq);
    buf_free(&sts);
    return rc;
}

bool sigv4_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb || la == 0)
        return false;
    return CRYPTO_memcmp(a, b, la) == 0;
}

/* ---- dates -------------------------------------------------------------------- */

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Epoch seconds of a UTC civil time, or -1 when a field is out of range. */
static time_t civil_to_epoch(int y, int mon, int d, int h, int mi, int s)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || y > 9999 || mon < 1 || mon > 12 || d < 1 || h > 23 || mi > 59 || s > 60 || h < 0 || mi < 0 || s < 0)
        return -1;
    if (d > mdays[mon - 1] + (mon == 2 && is_leap(y)))
        return -1;
    /* Days from civil (H. Hinnant's algorithm). */
    int yy = y - (mon <= 2);
    int era = yy / 400;
    int yoe = yy - era * 400;
    int doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long long days = (long long)era * 146097 + doe - 719468;
    return (time_t)(days * 86400 + h * 3600 + mi * 60 + s);
}

static bool digits(const char *s, size_t n, int *value)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *value = v;
    return true;
}

time_t sigv4_parse_amz_date(const char *d)
{
    int y, mon, day, h, mi, s;
    if (!d || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z')
        return -1;
    if (!digits(d, 4, &y) || !digits(d + 4, 2, &mon) || !digits(d + 6, 2, &day) || !digits(d + 9, 2, &h) ||
        !digits(d + 11, 2, &mi) || !digits(d + 13, 2, &s))
        return -1;
    return civil_to_epoch(y, mon, day, h, mi, s);
}

static void format_amz_date(time_t t, char out[17])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* Converts an HTTP Date header (RFC 1123, e.g. "Sun, 01 Jan 2023 12:34:56 GMT") to amz form. */
static bool http_date_to_amz(const char *v, char out[17])
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char mon_name[4], zone[8] = "GMT";
    int d, y, h, mi, s;
    const char *comma = strchr(v, ',');
    if (comma)
        v = comma + 1;
    if (sscanf(v, "%2d %3s %4d %2d:%2d:%2d %7s", &d, mon_name, &y, &h, &mi, &s, zone) < 6)
        return false;
    const char *m = strstr(months, mon_name);
    if (strlen(mon_name) != 3 || !m || (m - months) % 3)
        return false;
    time_t t = civil_to_epoch(y, (int)(m - months) / 3 + 1, d, h, mi, s);
    if (t < 0)
        return false;
    if (zone[0] == '+' || zone[0] == '-') {
        int off;
        if (strlen(zone) != 5 || !digits(zone + 1, 4, &off))
            return false;
        off = off / 100 * 3600 + off % 100 * 60;
        t += zone[0] == '+' ? -off : off;
    } else if (strcmp(zone, "GMT") != 0 && strcmp(zone, "UTC") != 0 && strcmp(zone, "UT") != 0 &&
               strcmp(zone, "Z") != 0) {
        return false;
    }
    format_amz_date(t, out);
    return true;
}

/* ---- parsing ------------------------------------------------------------------ */

static void set_why(char *why, size_t why_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_why(char *why, size_t why_len, const char *fmt, ...)
{
    if (!why || !why_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

/*
 * Splits "AKID/YYYYMMDD/region/service/aws4_request" into `auth`. On failure
 * writes AWS's message (credential as given) and returns false.
 */
static bool parse_credential(const char *cred, struct sigv4_auth *auth, char *why, size_t why_len)
{
    const char *parts[5];
    size_t lens[5], n = 0;
    for (const char *p = cred;; p++) {
        const char *slash = strchr(p, '/');
        if (n == 5) {
            n++;
            break;
        }
        parts[n] = p;
        lens[n] = slash ? (size_t)(slash - p) : strlen(p);
        n++;
        if (!slash)
            break;
        p = slash;
    }
    if (n != 5) {
        set_why(why, why_len,
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
                "got '%s'",
                cred);
        return false;
    }
    if (lens[4] != strlen(TERMINATOR) || memcmp(parts[4], TERMINATOR, lens[4]) != 0) {
        set_why(why, why_len, "Credential should be scoped with a valid terminator: '" TERMINATOR "', not '%.*s'.",
                (int)lens[4], parts[4]);
        return false;
    }
    if (!copy_bounded(auth->access_key, sizeof auth->access_key, parts[0], lens[0]) || lens[0] == 0) {
        set_why(why, why_len, "The security token included in the request is invalid.");
        return false;
    }
    if (!copy_bounded(auth->region, sizeof auth->region, parts[2], lens[2])) {
        set_why(why, why_len, "Credential should be scoped to a valid region, not '%.*s'.", (int)lens[2], parts[2]);
        return false;
    }
    if (!copy_bounded(auth->service, sizeof auth->service, parts[3], lens[3])) {
        set_why(why, why_len, "Credential should be scoped to correct service: '%.*s'.", (int)lens[3], parts[3]);
        return false;
    }
    int ignored;
    if (lens[1] != 8 || !digits(parts[1], 8, &ignored)) {
        set_why(why, why_len,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                "'%.*s' != '%.8s', from '%s'.",
                (int)lens[1], parts[1], auth->amz_date, auth->amz_date);
        return false;
    }
    memcpy(auth->date, parts[1], 8);
    auth->date[8] = '\0';
    return true;
}

/* Stores an X-Amz-Date value; false (with AWS's message) when it is not YYYYMMDDTHHMMSSZ. */
static bool set_amz_date(struct sigv4_auth *auth, const char *v, char *why, size_t why_len)
{
    if (sigv4_parse_amz_date(v) < 0) {
        set_why(why, why_len,
                "Date must be in ISO-8601 'basic format'. Got '%.64s'. See http://en.wikipedia.org/wiki/ISO_8601", v);
        return false;
    }
    memcpy(auth->amz_date, v, 17);
    return true;
}

static bool set_token(struct sigv4_auth *auth, const char *v, size_t len, char *why, size_t why_len)
{
    if (copy_bounded(auth->security_token, sizeof auth->security_token, v, len))
        return true;
    set_why(why, why_len, "The security token included in the request is invalid.");
    return false;
}

static bool set_signed_headers(struct sigv4_auth *auth, const char *v, size_t len, char *why, size_t why_len)
{
    if (copy_bounded(auth->signed_headers, sizeof auth->signed_headers, v, len))
        return true;
    set_why(why, why_len, "SignedHeaders is too long: at most %zu characters are accepted.",
            sizeof auth->signed_headers - 1);
    return false;
}

static bool set_signature(struct sigv4_auth *auth, const char *v, size_t len, char *why, size_t why_len)
{
    if (copy_bounded(auth->signature, sizeof auth->signature, v, len))
        return true;
    set_why(why, why_len,
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
            "Access Key and signing method. Consult the service documentation for details.");
    return false;
}

/* The value of one "Name=value" parameter of the Authorization header, inside the header. */
struct span {
    const char *s;
    size_t len;
    bool found;
};

/*
 * Finds Credential=, SignedHeaders= and Signature= (first of each wins), with
 * any mix of ',' and whitespace between them: clients differ in both.
 */
static void split_authorization(const char *v, struct span *cred, struct span *sh, struct span *sig)
{
    static const char *const names[] = {"Credential=", "SignedHeaders=", "Signature="};
    struct span *slots[] = {cred, sh, sig};
    while (*v) {
        while (*v == ',' || is_space(*v))
            v++;
        const char *start = v;
        while (*v && *v != ',' && !is_space(*v))
            v++;
        size_t len = (size_t)(v - start);
        for (size_t i = 0; i < 3; i++) {
            size_t nlen = strlen(names[i]);
            if (!slots[i]->found && len >= nlen && strncasecmp(start, names[i], nlen) == 0) {
                *slots[i] = (struct span){start + nlen, len - nlen, true};
                break;
            }
        }
    }
}

static enum sigv4_status parse_header_form(const struct sigv4_request *req, const char *authz, struct sigv4_auth *auth,
                                           char *why, size_t why_len)
{
    struct span cred = {0}, sh = {0}, sig = {0};
    const char *v = authz;
    while (is_space(*v))
        v++;
    size_t alg_len = strlen(ALGORITHM);
    bool aws4 = strncmp(v, ALGORITHM, alg_len) == 0 && (v[alg_len] == '\0' || is_space(v[alg_len]));
    if (aws4)
        split_authorization(v + alg_len, &cred, &sh, &sig);

    const char *amz_date = find_header(req, "x-amz-date");
    const char *http_date = find_header(req, "date");
    if (!cred.found || !sig.found || !sh.found || (!amz_date && !http_date)) {
        set_why(why, why_len, "%s%s%s%sAuthorization=%s",
                cred.found ? "" : "Authorization header requires 'Credential' parameter. ",
                sig.found ? "" : "Authorization header requires 'Signature' parameter. ",
                sh.found ? "" : "Authorization header requires 'SignedHeaders' parameter. ",
                amz_date || http_date
                    ? ""
                    : "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
                authz);
        return SIGV4_MALFORMED;
    }
    if (amz_date) {
        if (!set_amz_date(auth, amz_date, why, why_len))
            return SIGV4_MALFORMED;
    } else if (!http_date_to_amz(http_date, auth->amz_date)) {
        set_why(why, why_len,
                "Date must be in ISO-8601 'basic format'. Got '%.64s'. See http://en.wikipedia.org/wiki/ISO_8601",
                http_date);
        return SIGV4_MALFORMED;
    }

    char credential[512];
    if (!copy_bounded(credential, sizeof credential, cred.s, cred.len)) {
        set_why(why, why_len,
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
                "got '%.*s...'",
                64, cred.s);
        return SIGV4_MALFORMED;
    }
    if (!parse_credential(credential, auth, why, why_len) || !set_signed_headers(auth, sh.s, sh.len, why, why_len) ||
        !set_signature(auth, sig.s, sig.len, why, why_len))
        return SIGV4_MALFORMED;
    const char *token = find_header(req, "x-amz-security-token");
    if (token && !set_token(auth, token, strlen(token), why, why_len))
        return SIGV4_MALFORMED;
    return SIGV4_OK;
}

static enum sigv4_status parse_query_form(const struct sigv4_request *req, struct sigv4_auth *auth, char *why,
                                          size_t why_len)
{
    static const char *const required[] = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature",
                                           "X-Amz-SignedHeaders", "X-Amz-Date"};
    enum { ALG, CRED, SIG, SH, DATE, NREQ };
    struct dd_buf vals[NREQ] = {{0}}, tmp = {0};
    bool have[NREQ];
    enum sigv4_status st = SIGV4_MALFORMED;
    struct dd_buf msg = {0};

    for (int i = 0; i < NREQ; i++) {
        have[i] = query_param(req->query, required[i], &vals[i]);
        if (!have[i])
            buf_printf(&msg, "AWS query-string parameters must include '%s'. ", required[i]);
    }
    if (msg.len) {
        set_why(why, why_len, "%sRe-examine the query-string parameters.", msg.data);
        goto cleanup;
    }
    if (strcmp(vals[ALG].data, ALGORITHM) != 0) {
        set_why(why, why_len, "X-Amz-Algorithm only supports \"" ALGORITHM "\"");
        goto cleanup;
    }
    if (!set_amz_date(auth, vals[DATE].data, why, why_len))
        goto cleanup;
    if (vals[CRED].len >= 512) {
        set_why(why, why_len,
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
                "got '%.64s...'",
                vals[CRED].data);
        goto cleanup;
    }
    if (!parse_credential(vals[CRED].data, auth, why, why_len) ||
        !set_signed_headers(auth, vals[SH].data, vals[SH].len, why, why_len) ||
        !set_signature(auth, vals[SIG].data, vals[SIG].len, why, why_len))
        goto cleanup;
    if (query_param(req->query, "X-Amz-Security-Token", &tmp) && !set_token(auth, tmp.data, tmp.len, why, why_len))
        goto cleanup;
    auth->expires = DEFAULT_EXPIRES;
    if (query_param(req->query, "X-Amz-Expires", &tmp)) {
        int expires;
        if (tmp.len == 0 || tmp.len > 9 || !digits(tmp.data, tmp.len, &expires)) {
            set_why(why, why_len, "X-Amz-Expires should be a number");
            goto cleanup;
        }
        auth->expires = expires;
    }
    auth->presigned = true;
    st = SIGV4_OK;

cleanup:
    for (int i = 0; i < NREQ; i++)
        buf_free(&vals[i]);
    buf_free(&tmp);
    buf_free(&msg);
    return st;
}

enum sigv4_status sigv4_parse(const struct sigv4_request *req, struct sigv4_auth *auth, char *why, size_t why_len)
{
    memset(auth, 0, sizeof *auth);
    if (why && why_len)
        why[0] = '\0';
    const char *authz = find_header(req, "authorization");
    struct dd_buf probe = {0};
    bool presigned = query_param(req->query, "X-Amz-Algorithm", &probe) ||
                     query_param(req->query, "X-Amz-Credential", &probe) ||
                     query_param(req->query, "X-Amz-Signature", &probe);
    buf_free(&probe);
    if (authz && presigned) {
        set_why(why, why_len,
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string "
                "parameter or the Authorization header should be specified");
        return SIGV4_MALFORMED;
    }
    if (authz)
        return parse_header_form(req, authz, auth, why, why_len);
    if (presigned)
        return parse_query_form(req, auth, why, why_len);
    return SIGV4_MISSING;
}

/* ---- client signing --------------------------------------------------------- */

/* Headers the signer never signs: set by the client below, or changed by proxies (as botocore). */
static bool unsignable(const char *name)
{
    static const char *const names[] = {"authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token",
                                        "expect",        "user-agent", "x-amzn-trace-id"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcasecmp(name, names[i]) == 0)
            return true;
    return false;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int sigv4_sign(const struct sigv4_request *req, const char *access_key, const char *secret, const char *token,
               const char *region, const char *service, time_t now, struct sigv4_signed *out)
{
    int rc = -1;
    size_t n = 0, nnames = 0;
    struct sigv4_header *headers = malloc((req->header_count + 3) * sizeof *headers);
    char **names = malloc((req->header_count + 3) * sizeof *names);
    struct sigv4_auth *auth = calloc(1, sizeof *auth);
    struct dd_buf list = {0};
    if (!headers || !names || !auth)
        abort();
    memset(out, 0, sizeof *out);

    format_amz_date(now, out->amz_date);
    sigv4_sha256_hex(req->body, req->body_len, out->content_sha256);
    for (size_t i = 0; i < req->header_count; i++)
        if (req->headers[i].name && !unsignable(req->headers[i].name))
            headers[n++] = req->headers[i];
    headers[n++] = (struct sigv4_header){"x-amz-date", out->amz_date};
    headers[n++] = (struct sigv4_header){"x-amz-content-sha256", out->content_sha256};
    if (token && *token)
        headers[n++] = (struct sigv4_header){"x-amz-security-token", token};
    if (!find_header(req, "host"))
        goto cleanup;

    /* Step: signed headers, lowercase, sorted, each once. */
    for (size_t i = 0; i < n; i++) {
        char *lower = strdup(headers[i].name);
        if (!lower)
            abort();
        for (char *c = lower; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        names[nnames++] = lower;
    }
    qsort(names, nnames, sizeof *names, compare_names);
    for (size_t i = 0; i < nnames; i++)
        if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
            buf_printf(&list, "%s%s", i ? ";" : "", names[i]);

    if (!copy_bounded(auth->signed_headers, sizeof auth->signed_headers, list.data, list.len) ||
        !copy_bounded(auth->access_key, sizeof auth->access_key, access_key, strlen(access_key)) ||
        !copy_bounded(auth->region, sizeof auth->region, region, strlen(region)) ||
        !copy_bounded(auth->service, sizeof auth->service, service, strlen(service)))
        goto cleanup;
    memcpy(auth->amz_date, out->amz_date, sizeof auth->amz_date);
    memcpy(auth->date, out->amz_date, 8);

    struct sigv4_request signed_req = *req;
    signed_req.headers = headers;
    signed_req.header_count = n;
    char signature[65];
    if (sigv4_compute(&signed_req, auth, secret, signature, NULL, 0) != 0)
        goto cleanup;
    int len = snprintf(out->authorization, sizeof out->authorization,
                       ALGORITHM " Credential=%s/%s/%s/%s/" TERMINATOR ", SignedHeaders=%s, Signature=%s", access_key,
                       auth->date, region, service, auth->signed_headers, signature);
    if (len < 0 || (size_t)len >= sizeof out->authorization)
        goto cleanup;
    rc = 0;

cleanup:
    for (size_t i = 0; i < nnames; i++)
        free(names[i]);
    free(names);
    free(headers);
    free(auth);
    buf_free(&list);
    if (rc != 0)
        out->authorization[0] = '\0';
    return rc;
}
