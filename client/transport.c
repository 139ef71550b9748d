/* transport.c - endpoints, the credential chain and aws_call() (see transport.h). */
#include "transport.h"

#include "curl_lib.h"

#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../protocol/buf.h"
#include "../protocol/codec.h"
#include "../protocol/sigv4.h"

enum { MAX_ATTEMPTS = 6, BACKOFF_BASE_MS = 50, BACKOFF_CAP_MS = 5000 };

static atomic_long calls_made, writes_made;

static const char *env_get(const struct aws_target *t, const char *name)
{
    const char *v = t->getenv_fn ? t->getenv_fn(name) : getenv(name);
    return v && *v ? v : NULL;
}

static void copy(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

/* ---- shared config files (INI) ---------------------------------------------------------- */

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

/* Reads `key` of section `section` of an INI file into out; 1 if the section exists. */
static int ini_section(const char *path, const char *section, const char *const *keys, char *const *outs,
                       const size_t *lens)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        return 0;
    char line[4096];
    int found = 0, inside = 0;
    while (fgets(line, sizeof line, f)) {
        char *s = trim(line);
        if (*s == '#' || *s == ';' || !*s)
            continue;
        if (*s == '[') {
            char *e = strchr(s, ']');
            if (e)
                *e = 0;
            inside = strcmp(trim(s + 1), section) == 0;
            found |= inside;
            continue;
        }
        char *eq = strchr(s, '=');
        if (!inside || !eq)
            continue;
        *eq = 0;
        const char *k = trim(s), *v = trim(eq + 1);
        for (size_t i = 0; keys[i]; i++)
            if (strcmp(k, keys[i]) == 0 && !*outs[i])
                snprintf(outs[i], lens[i], "%s", v);
    }
    fclose(f);
    return found;
}

static void home_file(const struct aws_target *t, const char *var, const char *rel, char *out, size_t len)
{
    const char *v = env_get(t, var), *home = env_get(t, "HOME");
    if (v)
        snprintf(out, len, "%s", v);
    else if (home)
        snprintf(out, len, "%s/.aws/%s", home, rel);
    else
        *out = 0;
}

/* Loads the profile from the credentials file, then the config file ("profile NAME"). */
static int load_profile(struct aws_target *t, char *region, size_t region_len)
{
    char creds[1024], config[1024], section[200];
    home_file(t, "AWS_SHARED_CREDENTIALS_FILE", "credentials", creds, sizeof creds);
    home_file(t, "AWS_CONFIG_FILE", "config", config, sizeof config);
    static const char *const keys[] = {"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "region",
                                       NULL};
    char *outs[] = {t->access_key, t->secret_key, t->session_token, region};
    const size_t lens[] = {sizeof t->access_key, sizeof t->secret_key, sizeof t->session_token, region_len};
    int found = ini_section(creds, t->profile, keys, outs, lens);
    if (strcmp(t->profile, "default") == 0)
        snprintf(section, sizeof section, "default");
    else
        snprintf(section, sizeof section, "profile %s", t->profile);
    found |= ini_section(config, section, keys, outs, lens);
    return found;
}

/* ---- target resolution ---------------------------------------------------------------- */

/* Environment keys first (unless --profile names a profile), then the profile's keys. */
static int resolve_credentials(const struct aws_options *opt, struct aws_target *t, char *region, size_t rlen,
                               char *why, size_t why_len)
{
    const char *named = opt->profile ? opt->profile : env_get(t, "AWS_PROFILE");
    copy(t->profile, sizeof t->profile, named ? named : "default");
    if (!opt->profile && env_get(t, "AWS_ACCESS_KEY_ID") && env_get(t, "AWS_SECRET_ACCESS_KEY")) {
        copy(t->access_key, sizeof t->access_key, env_get(t, "AWS_ACCESS_KEY_ID"));
        copy(t->secret_key, sizeof t->secret_key, env_get(t, "AWS_SECRET_ACCESS_KEY"));
        copy(t->session_token, sizeof t->session_token, env_get(t, "AWS_SESSION_TOKEN"));
        t->creds_source = AWS_CREDS_ENV;
    }
    /* The profile supplies the region even when the keys come from the environment. */
    struct aws_target p = *t;
    p.access_key[0] = p.secret_key[0] = p.session_token[0] = 0;
    int found = load_profile(&p, region, rlen);
    if (named && !found) {
        snprintf(why, why_len, "the config profile (%s) could not be found", named);
        return -1;
    }
    if (t->creds_source == AWS_CREDS_NONE && *p.access_key && *p.secret_key) {
        copy(t->access_key, sizeof t->access_key, p.access_key);
        copy(t->secret_key, sizeof t->secret_key, p.secret_key);
        copy(t->session_token, sizeof t->session_token, p.session_token);
        t->creds_source = AWS_CREDS_PROFILE;
    }
    if (named)
        t->configured = true;
    return 0;
}

int aws_target_resolve(const struct aws_options *opt, aws_getenv_fn env, struct aws_target *t, char *why,
                       size_t why_len)
{
    memset(t, 0, sizeof *t);
    t->getenv_fn = env;
    char profile_region[64] = "";
    if (resolve_credentials(opt, t, profile_region, sizeof profile_region, why, why_len))
        return -1;
    const char *region = opt->region ? opt->region : env_get(t, "AWS_REGION");
    if (!region)
        region = env_get(t, "AWS_DEFAULT_REGION");
    if (!region && *profile_region)
        region = profile_region;
    copy(t->region, sizeof t->region, region ? region : "us-east-1");
    const char *endpoint = opt->endpoint ? opt->endpoint : env_get(t, "AWS_ENDPOINT_URL");
    if (endpoint && strncmp(endpoint, "http://", 7) != 0 && strncmp(endpoint, "https://", 8) != 0) {
        snprintf(why, why_len, "the endpoint must be an http:// or https:// URL: %s", endpoint);
        return -1;
    }
    copy(t->endpoint, sizeof t->endpoint, opt->endpoint);
    copy(t->env_endpoint, sizeof t->env_endpoint, env_get(t, "AWS_ENDPOINT_URL"));
    copy(t->ca_file, sizeof t->ca_file, env_get(t, "AWS_CA_BUNDLE"));
    bool service_endpoint = false;
    for (const struct dd_service_model *const *m = dd_models; *m; m++) {
        char var[128] = "AWS_ENDPOINT_URL_";
        aws_service_env_name((*m)->service_id, var + 17, sizeof var - 17);
        service_endpoint |= env_get(t, var) != NULL;
    }
    if (endpoint || service_endpoint || t->creds_source != AWS_CREDS_NONE)
        t->configured = true;
    if (t->creds_source == AWS_CREDS_NONE && (endpoint || service_endpoint)) {
        /* An emulator endpoint without credentials: the emulator's default key. */
        copy(t->access_key, sizeof t->access_key, "test");
        copy(t->secret_key, sizeof t->secret_key, "test");
        t->creds_source = AWS_CREDS_DEFAULT;
    }
    return 0;
}

void aws_target_emulator(struct aws_target *t, const char *endpoint)
{
    copy(t->endpoint, sizeof t->endpoint, endpoint);
    copy(t->access_key, sizeof t->access_key, "test");
    copy(t->secret_key, sizeof t->secret_key, "test");
    t->session_token[0] = 0;
    t->creds_source = AWS_CREDS_DEFAULT;
    if (!*t->region)
        copy(t->region, sizeof t->region, "us-east-1");
}

void aws_service_env_name(const char *service_id, char *out, size_t len)
{
    size_t n = 0;
    for (const char *p = service_id; *p && n + 1 < len; p++)
        out[n++] = (*p == ' ' || *p == '-') ? '_' : (char)toupper((unsigned char)*p);
    out[n] = 0;
}

const char *aws_partition(const char *region)
{
    if (strncmp(region, "cn-", 3) == 0)
        return "aws-cn";
    if (strncmp(region, "us-gov-", 7) == 0)
        return "aws-us-gov";
    return "aws";
}

const char *aws_url_suffix(const char *region)
{
    return strncmp(region, "cn-", 3) == 0 ? "amazonaws.com.cn" : "amazonaws.com";
}

void aws_endpoint_for(const struct aws_target *t, const struct dd_service_model *svc, char *url, size_t url_len,
                      char signing_region[64])
{
    char var[128] = "AWS_ENDPOINT_URL_";
    aws_service_env_name(svc->service_id, var + 17, sizeof var - 17);
    snprintf(signing_region, 64, "%s", t->region);
    /* --endpoint, then the service's own variable, then AWS_ENDPOINT_URL, as the SDKs order them. */
    const char *own = env_get(t, var);
    const char *chosen = t->endpoint[0] ? t->endpoint : own ? own : t->env_endpoint[0] ? t->env_endpoint : NULL;
    if (chosen) {
        snprintf(url, url_len, "%s", chosen);
        return;
    }
    if (strcmp(svc->id, "iam") == 0 && strcmp(aws_partition(t->region), "aws") == 0) {
        /* IAM is global: one endpoint, signed for us-east-1. */
        snprintf(url, url_len, "https://iam.amazonaws.com");
        snprintf(signing_region, 64, "us-east-1");
        return;
    }
    snprintf(url, url_len, "https://%s.%s.%s", svc->endpoint_prefix, t->region, aws_url_suffix(t->region));
}

/* ---- coercion to the model -------------------------------------------------------------- */

static const struct dd_member *member_ci(const struct dd_service_model *svc, const struct dd_shape *sh,
                                         const char *name)
{
    const struct dd_member *m = model_member(svc, sh, name);
    for (uint32_t i = 0; !m && i < sh->count; i++)
        if (strcasecmp(svc->members[sh->first + i].name, name) == 0)
            m = &svc->members[sh->first + i];
    return m;
}

static json_t *coerce_structure(const struct dd_service_model *svc, const struct dd_shape *sh, json_t *v)
{
    if (!json_is_object(v))
        return NULL;
    json_t *out = json_object(); /* new */
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        const struct dd_member *m = member_ci(svc, sh, k);
        if (m)
            json_object_set_new(out, m->name, aws_coerce(svc, m->shape, x));
    }
    return out;
}

static json_t *coerce_string(json_t *v)
{
    if (json_is_string(v))
        return json_incref(v);
    if (json_is_integer(v))
        return json_sprintf("%lld", (long long)json_integer_value(v));
    if (json_is_real(v))
        return json_sprintf("%g", json_real_value(v));
    if (json_is_boolean(v))
        return json_string(json_is_true(v) ? "true" : "false");
    char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER); /* documents given as objects */
    json_t *out = s ? json_string(s) : NULL;
    free(s);
    return out;
}

static json_t *coerce_number(json_t *v, bool integer)
{
    if (json_is_string(v)) {
        char *end;
        double d = strtod(json_string_value(v), &end);
        if (*end || end == json_string_value(v))
            return json_incref(v); /* let the service say what is wrong */
        return integer ? json_integer((json_int_t)d) : json_real(d);
    }
    if (integer && json_is_real(v))
        return json_integer((json_int_t)json_real_value(v));
    if (!integer && json_is_integer(v))
        return json_real((double)json_integer_value(v));
    return json_incref(v);
}

static json_t *coerce_boolean(json_t *v)
{
    if (json_is_string(v) && strcasecmp(json_string_value(v), "true") == 0)
        return json_true();
    if (json_is_string(v) && strcasecmp(json_string_value(v), "false") == 0)
        return json_false();
    return json_incref(v);
}

json_t *aws_coerce(const struct dd_service_model *svc, uint32_t shape, json_t *v)
{
    const struct dd_shape *sh = model_shape(svc, shape);
    if (!v || json_is_null(v))
        return NULL;
    switch ((enum dd_type)sh->type) {
    case DD_T_STRUCTURE: return coerce_structure(svc, sh, v);
    case DD_T_LIST: {
        json_t *out = json_array(), *x;
        size_t i;
        if (!json_is_array(v))
            json_array_append_new(out, aws_coerce(svc, sh->target, v));
        json_array_foreach(v, i, x) json_array_append_new(out, aws_coerce(svc, sh->target, x));
        return out;
    }
    case DD_T_MAP: {
        if (!json_is_object(v))
            return NULL;
        json_t *out = json_object(), *x;
        const char *k;
        json_object_foreach(v, k, x) json_object_set_new(out, k, aws_coerce(svc, sh->target, x));
        return out;
    }
    case DD_T_STRING:
    case DD_T_BLOB: return coerce_string(v);
    case DD_T_INTEGER:
    case DD_T_LONG: return coerce_number(v, true);
    case DD_T_DOUBLE:
    case DD_T_FLOAT:
    case DD_T_TIMESTAMP: return coerce_number(v, false);
    case DD_T_BOOLEAN: return coerce_boolean(v);
    case DD_T_DOCUMENT: return json_incref(v);
    }
    return NULL;
}

/* ---- HTTP --------------------------------------------------------------------------------- */

struct http_request {
    const char *url;
    const char *content_type;
    const char *target; /* X-Amz-Target or NULL */
    const char *body;
    size_t body_len;
};

static size_t collect(char *data, size_t size, size_t n, void *ud)
{
    buf_append(ud, data, size * n);
    return size * n;
}

/* "https://host:port/path" -> host (with a non-default port) and path. */
static void split_url(const char *url, char *host, size_t hlen, char *path, size_t plen)
{
    const char *h = strstr(url, "://");
    h = h ? h + 3 : url;
    const char *slash = strchr(h, '/');
    size_t n = slash ? (size_t)(slash - h) : strlen(h);
    snprintf(host, hlen, "%.*s", (int)n, h);
    snprintf(path, plen, "%s", slash ? slash : "/");
}

static struct curl_slist *signed_headers(const struct curl_lib *cl, const struct aws_target *t, const struct http_request *hr,
                                         const char *region, const char *service, const char *path)
{
    char host[512], dummy[8];
    split_url(hr->url, host, sizeof host, dummy, sizeof dummy);
    struct sigv4_header hs[3] = {{"host", host}, {"content-type", hr->content_type}, {"x-amz-target", hr->target}};
    struct sigv4_request req = {.method = "POST", .path = path, .query = "", .headers = hs,
                                .header_count = hr->target ? 3 : 2, .body = hr->body, .body_len = hr->body_len};
    struct sigv4_signed sig;
    const char *token = t->session_token[0] ? t->session_token : NULL;
    if (sigv4_sign(&req, t->access_key, t->secret_key, token, region, service, time(NULL), &sig))
        return NULL;
    char line[4400];
    struct curl_slist *l = NULL;
    snprintf(line, sizeof line, "Content-Type: %s", hr->content_type);
    l = cl->slist_append(l, line);
    if (hr->target) {
        snprintf(line, sizeof line, "X-Amz-Target: %s", hr->target);
        l = cl->slist_append(l, line);
    }
    snprintf(line, sizeof line, "X-Amz-Date: %s", sig.amz_date);
    l = cl->slist_append(l, line);
    snprintf(line, sizeof line, "x-amz-content-sha256: %s", sig.content_sha256);
    l = cl->slist_append(l, line);
    snprintf(line, sizeof line, "Authorization: %s", sig.authorization);
    l = cl->slist_append(l, line);
    if (token) {
        snprintf(line, sizeof line, "X-Amz-Security-Token: %s", token);
        l = cl->slist_append(l, line);
    }
    return cl->slist_append(l, "Expect:");
}

/* http_post's status for a transport failure that a retry cannot fix. */
enum { HTTP_RETRYABLE_FAILURE = -1, HTTP_FATAL_FAILURE = -2 };

/* Certificate problems are configuration, not weather: retrying only delays the error. */
static bool tls_refused(CURLcode rc)
{
    return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM;
}

/* One attempt. Returns the HTTP status, or HTTP_*_FAILURE with `err` set on a transport failure. */
static long http_post(const struct aws_target *t, const struct http_request *hr, const char *region,
                      const char *service, struct dd_buf *resp, struct dd_error *err)
{
    char host[512], path[512];
    split_url(hr->url, host, sizeof host, path, sizeof path);
    char why[256];
    const struct curl_lib *cl = curl_lib(why, sizeof why);
    if (!cl) {
        dd_err(err, 500, "RequestError", "%s", why);
        return -1;
    }
    struct curl_slist *headers = signed_headers(cl, t, hr, region, service, path);
    CURL *c = cl->easy_init();
    long status = HTTP_RETRYABLE_FAILURE;
    char detail[CURL_ERROR_SIZE] = "";
    if (!c || !headers) {
        dd_err(err, 500, "RequestError", "cannot prepare the request to %s", hr->url);
        goto cleanup;
    }
    cl->easy_setopt(c, CURLOPT_URL, hr->url);
    cl->easy_setopt(c, CURLOPT_POST, 1L);
    cl->easy_setopt(c, CURLOPT_POSTFIELDS, hr->body);
    cl->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)hr->body_len);
    cl->easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    cl->easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    cl->easy_setopt(c, CURLOPT_WRITEDATA, resp);
    cl->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    cl->easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    cl->easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    cl->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    cl->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (t->ca_file[0])
        cl->easy_setopt(c, CURLOPT_CAINFO, t->ca_file);
    cl->easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
    CURLcode rc = cl->easy_perform(c);
    const char *reason = detail[0] ? detail : cl->easy_strerror(rc);
    if (tls_refused(rc)) {
        status = HTTP_FATAL_FAILURE;
        dd_err(err, 503, "RequestError", "TLS failure talking to %s: %s (trust a private CA with AWS_CA_BUNDLE)",
               hr->url, reason);
    } else if (rc != CURLE_OK) {
        dd_err(err, 503, "RequestError", "could not reach %s: %s", hr->url, reason);
    } else {
        cl->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    }
cleanup:
    cl->slist_free_all(headers);
    if (c)
        cl->easy_cleanup(c);
    return status;
}

static bool retryable(long status, const struct dd_error *err)
{
    static const char *const codes[] = {"Throttling", "ThrottlingException", "ThrottledException",
                                        "RequestLimitExceeded", "TooManyRequestsException", "RequestThrottled",
                                        "ProvisionedThroughputExceededException", "RequestError", NULL};
    if (status == HTTP_FATAL_FAILURE)
        return false;
    if (status >= 500 || status == 429 || status < 0)
        return true;
    for (size_t i = 0; codes[i]; i++)
        if (strcmp(err->code, codes[i]) == 0)
            return true;
    return false;
}

/* Full jitter: a random delay in [0, min(cap, base * 2^attempt)). */
static void backoff(int attempt)
{
    long ceiling = BACKOFF_BASE_MS << attempt;
    if (ceiling > BACKOFF_CAP_MS)
        ceiling = BACKOFF_CAP_MS;
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)&attempt;
    usleep((useconds_t)(rand_r(&seed) % ceiling) * 1000);
}

static bool is_write(const char *op)
{
    return strncmp(op, "Describe", 8) != 0 && strncmp(op, "Get", 3) != 0 && strncmp(op, "List", 4) != 0;
}

static json_t *send_with_retries(const struct aws_target *t, const struct dd_service_model *svc,
                                 const struct dd_operation *op, struct http_request *hr, const char *region,
                                 struct dd_error *err)
{
    struct dd_buf resp = {0};
    json_t *out = NULL;
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        buf_reset(&resp);
        dd_err_clear(err);
        atomic_fetch_add(&calls_made, 1);
        long status = http_post(t, hr, region, svc->signing_name, &resp, err);
        if (status >= 0)
            out = codec_parse_response(svc, op, (int)status, resp.data ? resp.data : "", resp.len, err);
        if (out || !retryable(status, err))
            break;
        if (attempt + 1 < MAX_ATTEMPTS)
            backoff(attempt);
    }
    buf_free(&resp);
    return out;
}

json_t *aws_call(const struct aws_target *t, const char *service, const char *operation, json_t *input,
                 struct dd_error *err)
{
    const struct dd_service_model *svc = model_find(service);
    const struct dd_operation *op = svc ? model_operation(svc, operation) : NULL;
    if (!op) {
        dd_err(err, 400, "UnknownOperation", "%s has no operation %s", service, operation);
        return NULL;
    }
    json_t *in = op->input >= 0 && input ? aws_coerce(svc, (uint32_t)op->input, input) : NULL;
    struct dd_buf body = {0};
    const char *content_type = NULL;
    char *target = NULL, url[512], region[64];
    json_t *out = NULL;
    if (codec_write_request(svc, op, in, &body, &content_type, &target, err))
        goto cleanup;
    aws_endpoint_for(t, svc, url, sizeof url, region);
    struct http_request hr = {url, content_type, target, body.data ? body.data : "", body.len};
    if (is_write(operation))
        atomic_fetch_add(&writes_made, 1);
    out = send_with_retries(t, svc, op, &hr, region, err);
cleanup:
    json_decref(in);
    free(target);
    buf_free(&body);
    return out;
}

void aws_call_counts(long *calls, long *writes)
{
    *calls = atomic_load(&calls_made);
    *writes = atomic_load(&writes_made);
}
