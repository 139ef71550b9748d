/*
 * test_sigv4.c - SigV4 against botocore's own signer.
 *
 * The vectors come from tests/unit/sigv4_vectors.py, which signs a set of
 * varied requests with botocore.auth.SigV4Auth / SigV4QueryAuth at a fixed
 * time. Each must parse and verify here byte for byte; changing the body, a
 * signed header or the secret must break the signature; and sigv4_sign must
 * produce the Authorization botocore produced for the same request.
 */
#include <check.h>
#include <jansson.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sigv4.h"

static json_t *vectors; /* array, loaded once in main() */

/* ---- loading the vectors --------------------------------------------------- */

static json_t *load_vectors(void)
{
    char src[4096], cmd[8192];
    const char *dir = getenv("DRYDOCK_SOURCE_DIR");
    const char *python = getenv("DRYDOCK_PYTHON");
    if (dir && *dir) {
        snprintf(src, sizeof src, "%s/tests/unit/sigv4_vectors.py", dir);
    } else {
        char here[4096];
        snprintf(here, sizeof here, "%s", __FILE__);
        snprintf(src, sizeof src, "%s/sigv4_vectors.py", dirname(here));
    }
    snprintf(cmd, sizeof cmd, "'%s' '%s'", python && *python ? python : "/usr/bin/python3", src);
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    json_error_t err;
    json_t *doc = json_loadf(p, 0, &err);
    int rc = pclose(p);
    if (!doc || rc != 0 || !json_is_array(doc)) {
        fprintf(stderr, "sigv4_vectors.py failed (status %d): %s\n", rc, doc ? "not an array" : err.text);
        json_decref(doc);
        return NULL;
    }
    return doc;
}

static const char *vstr(json_t *v, const char *key)
{
    const char *s = json_string_value(json_object_get(v, key));
    return s ? s : "";
}

/* A vector's request, with room to add or change headers. */
struct vreq {
    struct sigv4_header headers[32];
    char values[32][1024];
    struct sigv4_request req;
};

static void vreq_init(struct vreq *r, json_t *v, const char *headers_key)
{
    memset(r, 0, sizeof *r);
    json_t *hs = json_object_get(v, headers_key);
    size_t i;
    json_t *h;
    json_array_foreach(hs, i, h)
    {
        ck_assert_uint_lt(i, 31);
        snprintf(r->values[i], sizeof r->values[i], "%s", json_string_value(json_array_get(h, 1)));
        r->headers[i] = (struct sigv4_header){json_string_value(json_array_get(h, 0)), r->values[i]};
    }
    r->req = (struct sigv4_request){vstr(v, "method"),   vstr(v, "path"), vstr(v, "query"),       r->headers,
                                    json_array_size(hs), vstr(v, "body"), strlen(vstr(v, "body"))};
}

static void vreq_add(struct vreq *r, const char *name, const char *value)
{
    size_t i = r->req.header_count++;
    snprintf(r->values[i], sizeof r->values[i], "%s", value);
    r->headers[i] = (struct sigv4_header){name, r->values[i]};
}

static int vreq_find(struct vreq *r, const char *name)
{
    for (size_t i = 0; i < r->req.header_count; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Parses and computes; returns whether the request's signature verifies with `secret`. */
static bool verifies(const struct sigv4_request *req, const char *secret)
{
    struct sigv4_auth auth;
    char why[512], sig[65];
    if (sigv4_parse(req, &auth, why, sizeof why) != SIGV4_OK)
        return false;
    if (sigv4_compute(req, &auth, secret, sig, NULL, 0) != 0)
        return false;
    return sigv4_equal(sig, auth.signature);
}

static bool is_sign_vector(json_t *v)
{
    return json_is_true(json_object_get(v, "sign"));
}

/* ---- botocore vectors --------------------------------------------------------- */

START_TEST(test_vectors_verify)
{
    ck_assert_ptr_nonnull(vectors);
    ck_assert_uint_ge(json_array_size(vectors), 10);
    size_t i;
    json_t *v;
    json_array_foreach(vectors, i, v)
    {
        struct vreq r;
        struct sigv4_auth auth;
        char why[512] = "", sig[65], canonical[4096];
        vreq_init(&r, v, "headers");
        enum sigv4_status st = sigv4_parse(&r.req, &auth, why, sizeof why);
        ck_assert_msg(st == SIGV4_OK, "%s: parse %d: %s", vstr(v, "name"), st, why);
        ck_assert_str_eq(auth.access_key, vstr(v, "access_key"));
        ck_assert_str_eq(auth.date, "20230101");
        ck_assert_str_eq(auth.region, vstr(v, "region"));
        ck_assert_str_eq(auth.service, vstr(v, "service"));
        ck_assert_str_eq(auth.amz_date, vstr(v, "amz_date"));
        ck_assert_str_eq(auth.security_token, vstr(v, "token"));
        ck_assert_str_eq(auth.signature, vstr(v, "signature"));
        ck_assert(auth.presigned == json_is_true(json_object_get(v, "presigned")));
        if (auth.presigned)
            ck_assert_int_eq(auth.expires, json_integer_value(json_object_get(v, "expires")));
        ck_assert_int_eq(sigv4_parse_amz_date(auth.amz_date), json_integer_value(json_object_get(v, "epoch")));

        ck_assert_int_eq(sigv4_compute(&r.req, &auth, vstr(v, "secret"), sig, canonical, sizeof canonical), 0);
        ck_assert_msg(strcmp(sig, vstr(v, "signature")) == 0, "%s: got %s, botocore %s\ncanonical:\n%s",
                      vstr(v, "name"), sig, vstr(v, "signature"), canonical);
        ck_assert(sigv4_equal(sig, auth.signature));
        /* Again, now from the signing key cache. */
        ck_assert_int_eq(sigv4_compute(&r.req, &auth, vstr(v, "secret"), sig, NULL, 0), 0);
        ck_assert_str_eq(sig, vstr(v, "signature"));
    }
}
END_TEST

START_TEST(test_vectors_body_tampered)
{
    size_t i;
    json_t *v;
    json_array_foreach(vectors, i, v)
    {
        struct vreq r;
        vreq_init(&r, v, "headers");
        char body[4096];
        snprintf(body, sizeof body, "%s", vstr(v, "body"));
        size_t len = strlen(body);
        if (len)
            body[len / 2] ^= 1;
        else
            body[len++] = 'x';
        r.req.body = body;
        r.req.body_len = len;
        int declared = vreq_find(&r, "x-amz-content-sha256");
        /* A declared payload hash is what gets signed; the body is not looked at. */
        bool expect = declared >= 0;
        ck_assert_msg(verifies(&r.req, vstr(v, "secret")) == expect, "%s", vstr(v, "name"));
    }
}
END_TEST

START_TEST(test_vectors_signed_header_tampered)
{
    size_t i;
    json_t *v;
    json_array_foreach(vectors, i, v)
    {
        struct vreq r;
        struct sigv4_auth auth;
        char why[512];
        vreq_init(&r, v, "headers");
        ck_assert_int_eq(sigv4_parse(&r.req, &auth, why, sizeof why), SIGV4_OK);
        /* Every signed header, one byte changed in turn. */
        for (const char *p = auth.signed_headers; *p;) {
            char name[128];
            size_t len = strcspn(p, ";");
            snprintf(name, sizeof name, "%.*s", (int)len, p);
            p += len + (p[len] == ';');
            if (strcmp(name, "x-amz-date") == 0 || strcmp(name, "date") == 0)
                continue; /* the scope date comes from there: checked below */
            int h = vreq_find(&r, name);
            ck_assert_int_ge(h, 0);
            char saved[1024];
            memcpy(saved, r.values[h], sizeof saved);
            r.values[h][0] ^= 2;
            ck_assert_msg(!verifies(&r.req, vstr(v, "secret")), "%s: %s", vstr(v, "name"), name);
            memcpy(r.values[h], saved, sizeof saved);
            /* Extra surrounding whitespace is not a change. */
            snprintf(r.values[h], sizeof r.values[h], "  %.1000s \t", saved);
            ck_assert_msg(verifies(&r.req, vstr(v, "secret")), "%s: %s padded", vstr(v, "name"), name);
            memcpy(r.values[h], saved, sizeof saved);
        }
        ck_assert(verifies(&r.req, vstr(v, "secret")));
    }
}
END_TEST

START_TEST(test_vectors_secret_tampered)
{
    size_t i;
    json_t *v;
    json_array_foreach(vectors, i, v)
    {
        struct vreq r;
        vreq_init(&r, v, "headers");
        char secret[128];
        snprintf(secret, sizeof secret, "%s", vstr(v, "secret"));
        secret[5] ^= 1;
        ck_assert(!verifies(&r.req, secret));
        ck_assert(verifies(&r.req, vstr(v, "secret")));
    }
}
END_TEST

START_TEST(test_vectors_unsigned_and_missing_headers)
{
    size_t i;
    json_t *v;
    json_array_foreach(vectors, i, v)
    {
        struct vreq r;
        vreq_init(&r, v, "headers");
        vreq_add(&r, "User-Agent", "aws-cli/2.15 Python/3.11");
        vreq_add(&r, "X-Not-Signed", "anything");
        ck_assert_msg(verifies(&r.req, vstr(v, "secret")), "%s", vstr(v, "name"));

        /* A signed header that is not sent: compute refuses. */
        struct sigv4_auth auth;
        char why[512], sig[65];
        ck_assert_int_eq(sigv4_parse(&r.req, &auth, why, sizeof why), SIGV4_OK);
        int host = vreq_find(&r, "host");
        r.headers[host].name = "X-Host-Gone";
        ck_assert_int_eq(sigv4_compute(&r.req, &auth, vstr(v, "secret"), sig, NULL, 0), -1);
    }
}
END_TEST

START_TEST(test_vector_date_scope_tampered)
{
    /* Another X-Amz-Date with the same scope date must not verify. */
    size_t i;
    json_t *v;
    json_array_foreach(vectors, i, v)
    {
        struct vreq r;
        vreq_init(&r, v, "headers");
        int h = vreq_find(&r, "x-amz-date");
        if (h < 0 || json_is_true(json_object_get(v, "presigned")))
            continue;
        r.values[h][15 - 1] = r.values[h][14] == '0' ? '1' : '0';
        ck_assert_msg(!verifies(&r.req, vstr(v, "secret")), "%s", vstr(v, "name"));
    }
}
END_TEST

static json_t *vector_named(const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(vectors, i, v) if (strcmp(vstr(v, "name"), name) == 0) return v;
    ck_abort_msg("no vector %s", name);
    return NULL;
}

START_TEST(test_canonical_uri_double_encoded)
{
    json_t *v = vector_named("path-special");
    struct vreq r;
    struct sigv4_auth auth;
    char why[512], sig[65], canonical[4096];
    vreq_init(&r, v, "headers");
    ck_assert_int_eq(sigv4_parse(&r.req, &auth, why, sizeof why), SIGV4_OK);
    ck_assert_int_eq(sigv4_compute(&r.req, &auth, vstr(v, "secret"), sig, canonical, sizeof canonical), 0);
    const char *expected = "GET\n/foo%2520bar/baz/a%252Fb/~x%21y%2A%27%28%29%3D%3A%40%2C%24%26%3B%2B/\n\n";
    ck_assert_msg(strncmp(canonical, expected, strlen(expected)) == 0, "%s", canonical);

    v = vector_named("query-repeated-unsorted");
    vreq_init(&r, v, "headers");
    ck_assert_int_eq(sigv4_parse(&r.req, &auth, why, sizeof why), SIGV4_OK);
    ck_assert_int_eq(sigv4_compute(&r.req, &auth, vstr(v, "secret"), sig, canonical, sizeof canonical), 0);
    expected = "GET\n/items\n%C3%A9t%C3%A9=%E2%82%AC&Z=upper&a=1&a=3&a-b=x&b=2&c%20d=e%2Ff&empty=&novalue=\n";
    ck_assert_msg(strncmp(canonical, expected, strlen(expected)) == 0, "%s", canonical);

    /* A canonical buffer too small is truncated, not overrun. */
    char tiny[8];
    ck_assert_int_eq(sigv4_compute(&r.req, &auth, vstr(v, "secret"), sig, tiny, sizeof tiny), 0);
    ck_assert_str_eq(tiny, "GET\n/it");
}
END_TEST

START_TEST(test_authorization_layouts)
{
    json_t *v = vector_named("ssm-json");
    const char *sig = vstr(v, "signature");
    char layouts[5][1024];
    snprintf(layouts[0], 1024,
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20230101/us-east-1/ssm/aws4_request,SignedHeaders=content-type;"
             "host;x-amz-date;x-amz-target,Signature=%s",
             sig);
    snprintf(layouts[1], 1024,
             "  AWS4-HMAC-SHA256   Credential=AKIDEXAMPLE/20230101/us-east-1/ssm/aws4_request ,  "
             "SignedHeaders=content-type;host;x-amz-date;x-amz-target ,\tSignature=%s  ",
             sig);
    snprintf(layouts[2], 1024,
             "AWS4-HMAC-SHA256 Signature=%s, Credential=AKIDEXAMPLE/20230101/us-east-1/ssm/aws4_request, "
             "SignedHeaders=content-type;host;x-amz-date;x-amz-target",
             sig);
    snprintf(layouts[3], 1024,
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20230101/us-east-1/ssm/aws4_request SignedHeaders=content-type;"
             "host;x-amz-date;x-amz-target Signature=%s",
             sig);
    snprintf(layouts[4], 1024,
             "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20230101/us-east-1/ssm/aws4_request,,, "
             "SignedHeaders=content-type;host;x-amz-date;x-amz-target,, Signature=%s,",
             sig);
    for (int i = 0; i < 5; i++) {
        struct vreq r;
        vreq_init(&r, v, "headers");
        snprintf(r.values[vreq_find(&r, "authorization")], sizeof r.values[0], "%s", layouts[i]);
        ck_assert_msg(verifies(&r.req, vstr(v, "secret")), "layout %d", i);
    }
}
END_TEST

/* ---- signing ---------------------------------------------------------------- */

START_TEST(test_sign_matches_botocore)
{
    size_t i, checked = 0;
    json_t *v;
    json_array_foreach(vectors, i, v)
    {
        if (!is_sign_vector(v))
            continue;
        struct vreq r;
        struct sigv4_signed out;
        vreq_init(&r, v, "client_headers");
        const char *token = *vstr(v, "token") ? vstr(v, "token") : NULL;
        ck_assert_int_eq(sigv4_sign(&r.req, vstr(v, "access_key"), vstr(v, "secret"), token, vstr(v, "region"),
                                    vstr(v, "service"), (time_t)json_integer_value(json_object_get(v, "epoch")), &out),
                         0);
        ck_assert_str_eq(out.authorization, vstr(v, "authorization"));
        ck_assert_str_eq(out.amz_date, vstr(v, "amz_date"));

        /* What the client sends verifies on the emulator's side. */
        vreq_add(&r, "X-Amz-Date", out.amz_date);
        vreq_add(&r, "X-Amz-Content-SHA256", out.content_sha256);
        if (token)
            vreq_add(&r, "X-Amz-Security-Token", token);
        vreq_add(&r, "Authorization", out.authorization);
        ck_assert(verifies(&r.req, vstr(v, "secret")));
        checked++;
    }
    ck_assert_uint_ge(checked, 2);
}
END_TEST

START_TEST(test_sign_roundtrip_and_errors)
{
    struct sigv4_header hs[] = {{"Host", "localhost:4566"},
                                {"Content-Type", "application/x-amz-json-1.1"},
                                {"X-Amz-Target", "AmazonSSM.GetParameter"},
                                {"User-Agent", "drydock/0.1"},
                                {"Authorization", "stale"}};
    const char *body = "{}";
    struct sigv4_request req = {"POST", "/", "", hs, 5, body, 2};
    struct sigv4_signed out;
    ck_assert_int_eq(sigv4_sign(&req, "test", "test", NULL, "us-east-1", "ssm", 1700000000, &out), 0);
    ck_assert_str_eq(out.amz_date, "20231114T221320Z");
    ck_assert_str_eq(out.content_sha256, "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    ck_assert_ptr_nonnull(strstr(out.authorization,
                                 "Credential=test/20231114/us-east-1/ssm/aws4_request, SignedHeaders=content-type;host;"
                                 "x-amz-content-sha256;x-amz-date;x-amz-target, Signature="));

    struct sigv4_header sent[] = {hs[0],
                                  hs[1],
                                  hs[2],
                                  hs[3],
                                  {"X-Amz-Date", out.amz_date},
                                  {"X-Amz-Content-SHA256", out.content_sha256},
                                  {"Authorization", out.authorization}};
    struct sigv4_request sreq = {"POST", "/", "", sent, 7, body, 2};
    ck_assert(verifies(&sreq, "test"));
    ck_assert(!verifies(&sreq, "test2"));

    /* No Host header: nothing to sign it with. */
    req.headers = hs + 1;
    req.header_count = 4;
    ck_assert_int_eq(sigv4_sign(&req, "test", "test", NULL, "us-east-1", "ssm", 1700000000, &out), -1);
    ck_assert_str_eq(out.authorization, "");
}
END_TEST

/* ---- parse errors ------------------------------------------------------------ */

static enum sigv4_status parse_auth(const char *authz, const char *amz_date, const char *query, char *why,
                                    size_t why_len)
{
    struct sigv4_header hs[3];
    size_t n = 0;
    hs[n++] = (struct sigv4_header){"Host", "localhost"};
    if (authz)
        hs[n++] = (struct sigv4_header){"Authorization", authz};
    if (amz_date)
        hs[n++] = (struct sigv4_header){"X-Amz-Date", amz_date};
    struct sigv4_request req = {"GET", "/", query, hs, n, NULL, 0};
    struct sigv4_auth auth;
    return sigv4_parse(&req, &auth, why, why_len);
}

#define GOOD_SIG "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DATE "20230101T123456Z"

START_TEST(test_parse_missing)
{
    char why[1024];
    ck_assert_int_eq(parse_auth(NULL, DATE, NULL, why, sizeof why), SIGV4_MISSING);
    ck_assert_int_eq(parse_auth(NULL, NULL, "", why, sizeof why), SIGV4_MISSING);
    ck_assert_int_eq(parse_auth(NULL, NULL, "Action=DescribeVpcs&X-Amz-Date=x", why, sizeof why), SIGV4_MISSING);
}
END_TEST

START_TEST(test_parse_missing_parameters)
{
    char why[1024];
    const char *a = "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=" GOOD_SIG;
    ck_assert_int_eq(parse_auth(a, DATE, NULL, why, sizeof why), SIGV4_MALFORMED);
    ck_assert_str_eq(why, "Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256 "
                          "SignedHeaders=host;x-amz-date, Signature=" GOOD_SIG);

    ck_assert_int_eq(parse_auth("Bearer eyJhbGciOi", NULL, NULL, why, sizeof why), SIGV4_MALFORMED);
    ck_assert_str_eq(why, "Authorization header requires 'Credential' parameter. Authorization header requires "
                          "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
                          "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                          "Authorization=Bearer eyJhbGciOi");

    a = "AWS4-HMAC-SHA256 Credential=AKID/20230101/us-east-1/ssm/aws4_request, Signature=" GOOD_SIG;
    ck_assert_int_eq(parse_auth(a, DATE, NULL, why, sizeof why), SIGV4_MALFORMED);
    ck_assert_str_eq(why, "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 "
                          "Credential=AKID/20230101/us-east-1/ssm/aws4_request, Signature=" GOOD_SIG);

    a = "AWS4-HMAC-SHA256 Credential=AKID/20230101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=" GOOD_SIG;
    ck_assert_int_eq(parse_auth(a, NULL, NULL, why, sizeof why), SIGV4_MALFORMED);
    ck_assert_ptr_nonnull(strstr(why, "requires existence of either a 'X-Amz-Date' or a 'Date' header."));
    ck_assert_int_eq(parse_auth(a, DATE, NULL, why, sizeof why), SIGV4_OK);
    ck_assert_str_eq(why, "");
}
END_TEST

START_TEST(test_parse_bad_credential)
{
    char why[1024];
    const char *a =
        "AWS4-HMAC-SHA256 Credential=AKID/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=" GOOD_SIG;
    ck_assert_int_eq(parse_auth(a, DATE, NULL, why, sizeof why), SIGV4_MALFORMED);
    ck_assert_str_eq(why, "Credential must have exactly 5 slash-delimited elements, e.g. "
                          "keyid/date/region/service/term, got 'AKID/us-east-1/ssm/aws4_request'");

    a = "AWS4-HMAC-SHA256 Credential=A/K/20230101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=" GOOD_SIG;
    ck_assert_int_eq(parse_auth(a, DATE, NULL, why, sizeof why), SIGV4_MALFORMED);
    ck_assert_ptr_nonnull(strstr(why, "exactly 5 slash-delimited elements"));

    a = "AWS4-HMAC-SHA256 Credential=AKID/20230101/us-east-1/ssm/aws5_request, SignedHeaders=host, Signature=" GOOD_SIG;
    ck_assert_int_eq(parse_auth(a, DATE, NULL, why, sizeof why), SIGV4_MALFORMED);
    ck_assert_str_eq(why, "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'.");

    a = "AWS4-HMAC-SHA256 Credential=AKID/2023011/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=" GOOD_SIG;
    ck_assert_int_eq(parse_auth(a, DATE, NULL, why, sizeof why), SIGV4_MALFORMED);
    ck_assert_str_eq(why, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                          "'2023011' != '20230101', from '20230101T123456Z'.");

    a = "AWS4-HMAC-SHA256 Credential=AKID/20230101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=" GOOD_SIG;
    ck_assert_int_eq(parse_auth(a, "2023-01-01T12:34:56Z", NULL, why, sizeof why), SIGV4_MALFORMED);
    ck_assert_str_eq(why, "Date must be in ISO-8601 'basic format'. Got '2023-01-01T12:34:56Z'. See "
                          "http://en.wikipedia.org/wiki/ISO_8601");
}
END_TEST

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

START_TEST(test_parse_overlong)
{
    char why[1024], a[16384];
    char *big = repeat('A', 5000);
    const char *fmts[] = {
        "AWS4-HMAC-SHA256 Credential=%s/20230101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=AKID/20230101/%s/ssm/aws4_request, SignedHeaders=host, Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=AKID/20230101/us-east-1/%s/aws4_request, SignedHeaders=host, Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=AKID/%s/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=AKID/20230101/us-east-1/ssm/aws4_request, SignedHeaders=host;%s, "
        "Signature=" GOOD_SIG,
        "AWS4-HMAC-SHA256 Credential=AKID/20230101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=%s",
        "AWS4-HMAC-SHA256 Credential=AKID/20230101/us-east-1/ssm/aws4_request%s, SignedHeaders=host, "
        "Signature=" GOOD_SIG,
    };
    for (size_t i = 0; i < sizeof fmts / sizeof *fmts; i++) {
        static const size_t lens[] = {1100, 2100, 4999};
        for (size_t k = 0; k < 3; k++) {
            size_t len = lens[k];
            big[len] = '\0';
            snprintf(a, sizeof a, fmts[i], big);
            big[len] = 'A';
            ck_assert_msg(parse_auth(a, DATE, NULL, why, sizeof why) == SIGV4_MALFORMED, "fmt %zu len %zu", i, len);
            ck_assert_uint_lt(strlen(why), sizeof why);
            ck_assert_uint_gt(strlen(why), 0);
        }
    }
    /* The access key fits 128 characters, not 129. */
    for (size_t len = 127; len <= 129; len++) {
        big[len] = '\0';
        snprintf(a, sizeof a, fmts[0], big);
        big[len] = 'A';
        ck_assert_int_eq(parse_auth(a, DATE, NULL, why, sizeof why), len <= 128 ? SIGV4_OK : SIGV4_MALFORMED);
    }

    /* A signature one character too long must not be truncated into a match. */
    snprintf(a, sizeof a,
             "AWS4-HMAC-SHA256 Credential=AKID/20230101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=%s0",
             GOOD_SIG);
    ck_assert_int_eq(parse_auth(a, DATE, NULL, why, sizeof why), SIGV4_MALFORMED);

    /* Overlong token, in header and query form. */
    struct sigv4_header hs[] = {
        {"Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20230101/us-east-1/ssm/aws4_request, SignedHeaders=host, "
                          "Signature=" GOOD_SIG},
        {"X-Amz-Date", DATE},
        {"X-Amz-Security-Token", big}};
    struct sigv4_request req = {"GET", "/", "", hs, 3, NULL, 0};
    struct sigv4_auth auth;
    ck_assert_int_eq(sigv4_parse(&req, &auth, why, sizeof why), SIGV4_MALFORMED);
    snprintf(a, sizeof a,
             "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%%2F20230101%%2Fus-east-1%%2Fsts%%2Faws4_request"
             "&X-Amz-Date=" DATE "&X-Amz-SignedHeaders=host&X-Amz-Signature=" GOOD_SIG "&X-Amz-Security-Token=%s",
             big);
    req.headers = hs + 2;
    req.header_count = 0;
    req.query = a;
    ck_assert_int_eq(sigv4_parse(&req, &auth, why, sizeof why), SIGV4_MALFORMED);

    /* A tiny or absent `why` is fine. */
    char tiny[6];
    ck_assert_int_eq(parse_auth("garbage", NULL, NULL, tiny, sizeof tiny), SIGV4_MALFORMED);
    ck_assert_str_eq(tiny, "Autho");
    ck_assert_int_eq(parse_auth("garbage", NULL, NULL, NULL, 0), SIGV4_MALFORMED);
    free(big);
}
END_TEST

START_TEST(test_parse_presigned_errors)
{
    char why[1024];
    ck_assert_int_eq(
        parse_auth(NULL, NULL, "Action=GetCallerIdentity&X-Amz-Algorithm=AWS4-HMAC-SHA256", why, sizeof why),
        SIGV4_MALFORMED);
    ck_assert_str_eq(why, "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters "
                          "must include 'X-Amz-Signature'. AWS query-string parameters must include "
                          "'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. "
                          "Re-examine the query-string parameters.");

    const char *base = "X-Amz-Credential=AKID%2F20230101%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=" DATE
                       "&X-Amz-SignedHeaders=host&X-Amz-Signature=" GOOD_SIG;
    char q[1024];
    snprintf(q, sizeof q, "X-Amz-Algorithm=AWS4-HMAC-SHA1&%s", base);
    ck_assert_int_eq(parse_auth(NULL, NULL, q, why, sizeof why), SIGV4_MALFORMED);
    ck_assert_str_eq(why, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");

    snprintf(q, sizeof q, "X-Amz-Algorithm=AWS4-HMAC-SHA256&%s&X-Amz-Expires=soon", base);
    ck_assert_int_eq(parse_auth(NULL, NULL, q, why, sizeof why), SIGV4_MALFORMED);
    ck_assert_str_eq(why, "X-Amz-Expires should be a number");

    snprintf(q, sizeof q, "X-Amz-Algorithm=AWS4-HMAC-SHA256&%s", base);
    ck_assert_int_eq(parse_auth("AWS4-HMAC-SHA256 Credential=x", DATE, q, why, sizeof why), SIGV4_MALFORMED);
    ck_assert_ptr_nonnull(strstr(why, "Only one auth mechanism allowed"));

    struct sigv4_header host = {"Host", "localhost"};
    struct sigv4_request req = {"GET", "/", q, &host, 1, NULL, 0};
    struct sigv4_auth auth;
    ck_assert_int_eq(sigv4_parse(&req, &auth, why, sizeof why), SIGV4_OK);
    ck_assert(auth.presigned);
    ck_assert_int_eq(auth.expires, 900); /* no X-Amz-Expires: the header form's window */
    ck_assert_str_eq(auth.service, "sts");
}
END_TEST

/* Random inputs, shaped enough to reach the deep branches: no crash, no overrun. */
START_TEST(test_parse_fuzz)
{
    static const char *const pieces[] = {"AWS4-HMAC-SHA256",
                                         " ",
                                         ",",
                                         "=",
                                         "/",
                                         ";",
                                         "Credential=",
                                         "SignedHeaders=",
                                         "Signature=",
                                         "AKID",
                                         "20230101",
                                         "us-east-1",
                                         "ssm",
                                         "aws4_request",
                                         "host",
                                         "x-amz-date",
                                         GOOD_SIG,
                                         "%",
                                         "%2F",
                                         "%zz",
                                         "&",
                                         "X-Amz-Algorithm=",
                                         "X-Amz-Credential=",
                                         "X-Amz-Signature=",
                                         "X-Amz-SignedHeaders=",
                                         "X-Amz-Date=",
                                         "X-Amz-Expires=",
                                         "99999999999",
                                         DATE,
                                         "\t",
                                         "\xff",
                                         "+"};
    const size_t npieces = sizeof pieces / sizeof *pieces;
    unsigned seed = 12345;
    for (int iter = 0; iter < 20000; iter++) {
        char a[2048] = "", q[2048] = "";
        int n = rand_r(&seed) % 24;
        for (int k = 0; k < n; k++) {
            strncat(a, pieces[rand_r(&seed) % npieces], sizeof a - strlen(a) - 1);
            strncat(q, pieces[rand_r(&seed) % npieces], sizeof q - strlen(q) - 1);
        }
        struct sigv4_header hs[] = {{"Host", "h"}, {"X-Amz-Date", rand_r(&seed) % 2 ? DATE : a}, {"Authorization", a}};
        struct sigv4_request req = {"GET", q, q, hs, (size_t)(2 + rand_r(&seed) % 2), q, strlen(q)};
        struct sigv4_auth auth;
        char why[256], sig[65], canonical[512];
        enum sigv4_status st = sigv4_parse(&req, &auth, why, sizeof why);
        ck_assert(st == SIGV4_OK || st == SIGV4_MALFORMED || st == SIGV4_MISSING);
        if (st == SIGV4_OK)
            sigv4_compute(&req, &auth, "secret", sig, canonical, sizeof canonical);
    }
}
END_TEST

/* ---- helpers ---------------------------------------------------------------- */

START_TEST(test_amz_date)
{
    ck_assert_int_eq(sigv4_parse_amz_date("19700101T000000Z"), 0);
    ck_assert_int_eq(sigv4_parse_amz_date("20230101T123456Z"), 1672576496);
    ck_assert_int_eq(sigv4_parse_amz_date("20240229T000000Z"), 1709164800);
    ck_assert_int_eq(sigv4_parse_amz_date("20230229T000000Z"), -1);
    ck_assert_int_eq(sigv4_parse_amz_date("20230101T240000Z"), -1);
    ck_assert_int_eq(sigv4_parse_amz_date("20230101T123456"), -1);
    ck_assert_int_eq(sigv4_parse_amz_date("2023010xT123456Z"), -1);
    ck_assert_int_eq(sigv4_parse_amz_date("20230101T123456Z0"), -1);
    ck_assert_int_eq(sigv4_parse_amz_date(""), -1);
    ck_assert_int_eq(sigv4_parse_amz_date(NULL), -1);
}
END_TEST

START_TEST(test_equal_and_sha256)
{
    char hex[65];
    sigv4_sha256_hex("", 0, hex);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sigv4_sha256_hex("abc", 3, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ck_assert(sigv4_equal(GOOD_SIG, GOOD_SIG));
    ck_assert(!sigv4_equal(GOOD_SIG, GOOD_SIG "0"));
    ck_assert(!sigv4_equal(GOOD_SIG, "1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
    ck_assert(!sigv4_equal("", ""));
}
END_TEST

/* The signing key cache is per thread: many threads verifying at once with different secrets. */
struct thread_arg {
    json_t *vector;
    int id;
    int failures;
};

static void *verify_loop(void *p)
{
    struct thread_arg *arg = p;
    struct vreq *r = malloc(sizeof *r);
    vreq_init(r, arg->vector, "headers");
    for (int i = 0; i < 2000; i++) {
        bool right = (i + arg->id) % 3 != 0;
        if (verifies(&r->req, right ? vstr(arg->vector, "secret") : "wrong-secret") != right)
            arg->failures++;
    }
    free(r);
    return NULL;
}

START_TEST(test_threads)
{
    pthread_t t[4];
    struct thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct thread_arg){json_array_get(vectors, (size_t)i), i, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, verify_loop, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(args[i].failures, 0);
    }
}
END_TEST

static Suite *sigv4_suite(void)
{
    Suite *s = suite_create("sigv4");
    TCase *botocore = tcase_create("botocore");
    tcase_add_test(botocore, test_vectors_verify);
    tcase_add_test(botocore, test_vectors_body_tampered);
    tcase_add_test(botocore, test_vectors_signed_header_tampered);
    tcase_add_test(botocore, test_vectors_secret_tampered);
    tcase_add_test(botocore, test_vectors_unsigned_and_missing_headers);
    tcase_add_test(botocore, test_vector_date_scope_tampered);
    tcase_add_test(botocore, test_canonical_uri_double_encoded);
    tcase_add_test(botocore, test_authorization_layouts);
    tcase_add_test(botocore, test_sign_matches_botocore);
    tcase_add_test(botocore, test_threads);
    suite_add_tcase(s, botocore);

    TCase *local = tcase_create("local");
    tcase_add_test(local, test_sign_roundtrip_and_errors);
    tcase_add_test(local, test_parse_missing);
    tcase_add_test(local, test_parse_missing_parameters);
    tcase_add_test(local, test_parse_bad_credential);
    tcase_add_test(local, test_parse_overlong);
    tcase_add_test(local, test_parse_presigned_errors);
    tcase_add_test(local, test_parse_fuzz);
    tcase_add_test(local, test_amz_date);
    tcase_add_test(local, test_equal_and_sha256);
    suite_add_tcase(s, local);
    return s;
}

int main(void)
{
    vectors = load_vectors();
    SRunner *sr = srunner_create(sigv4_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    json_decref(vectors);
    return failed == 0 && vectors ? EXIT_SUCCESS : EXIT_FAILURE;
}
