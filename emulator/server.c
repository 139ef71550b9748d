/* server.c - HTTP, per-request pipeline (see server.h). */
#include "server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <errno.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../protocol/codec.h"
#include "../protocol/sigv4.h"
#include "../protocol/validate.h"
#include "admin.h"
#include "auth.h"
#include "clock.h"
#include "log.h"
#include "router.h"
#include "service.h"
#include "store.h"

static struct {
    struct MHD_Daemon *daemon;
    size_t max_body;
    int port;
    int64_t started_ns;
    char *tls_cert, *tls_key; /* PEM text; libmicrohttpd borrows it while the daemon runs */
} srv;

/* One HTTP exchange; lives from the URI callback to the completion callback. */
struct exchange {
    char *raw_uri;
    struct dd_buf body;
    bool started;
    bool too_large;
    int64_t start_ns;
    struct sigv4_header *headers;
    size_t header_count, header_cap;
    char request_id[37];
};

/* ---- small helpers ------------------------------------------------------ */

/* A version-4 UUID from a per-thread generator seeded once from OpenSSL:
 * request ids need uniqueness, not secrecy, and this is on the hot path. */
static void new_request_id(char out[37])
{
    static _Thread_local uint64_t s[2];
    if (!s[0] && !s[1]) {
        if (RAND_bytes((unsigned char *)s, sizeof s) != 1)
            abort();
        s[0] |= 1;
    }
    uint64_t v[2];
    for (int i = 0; i < 2; i++) { /* xorshift128+ */
        uint64_t x = s[0], y = s[1];
        s[0] = y;
        x ^= x << 23;
        s[1] = x ^ y ^ (x >> 17) ^ (y >> 26);
        v[i] = s[1] + y;
    }
    snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(v[0] >> 32), (unsigned)(v[0] >> 16) & 0xffff,
             (unsigned)v[0] & 0xfff, (unsigned)((v[1] >> 48) & 0x3fff) | 0x8000,
             (unsigned long long)(v[1] & 0xffffffffffffull));
}

static const char *header(const struct exchange *x, const char *name)
{
    for (size_t i = 0; i < x->header_count; i++)
        if (strcasecmp(x->headers[i].name, name) == 0)
            return x->headers[i].value;
    return NULL;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct exchange *x = cls;
    if (x->header_count == x->header_cap) {
        x->header_cap = x->header_cap ? x->header_cap * 2 : 16;
        x->headers = realloc(x->headers, x->header_cap * sizeof *x->headers);
        if (!x->headers)
            abort();
    }
    x->headers[x->header_count++] = (struct sigv4_header){key, value ? value : ""};
    return MHD_YES;
}

static enum MHD_Result reply(struct MHD_Connection *conn, struct exchange *x, int status, const char *content_type,
                            struct dd_buf *body)
{
    size_t len = body->len;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, len ? buf_steal(body) : (void *)"", len ? MHD_RESPMEM_MUST_FREE
                                                                                     : MHD_RESPMEM_PERSISTENT);
    buf_free(body);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, "x-amzn-RequestId", x->request_id);
    enum MHD_Result r = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return r;
}

static double elapsed_ms(const struct exchange *x)
{
    return (double)(clock_mono_ns() - x->start_ns) / 1e6;
}

/* ---- the AWS pipeline ------------------------------------------------------ */

/* What one AWS call has learned so far; errors are written in svc's protocol. */
struct call {
    const struct dd_service_model *svc;
    const struct dd_operation *op;
    json_t *form; /* query/ec2: decoded parameters (new reference) */
    const char *action;
    struct dd_error err;
    struct auth_caller caller;
};

/* Runs the handler in one transaction. Returns the output (new) or NULL with c->err. */
static json_t *invoke(struct call *c, const struct dd_handler *h, json_t *input, const char *request_id)
{
    struct dd_request r = {
        .model = c->svc,
        .op = c->op,
        .account = c->caller.account,
        .region = c->caller.region,
        .access_key = c->caller.access_key,
        .caller_arn = c->caller.arn,
        .user_id = c->caller.user_id,
        .request_id = request_id,
        .db = store_conn_get(),
        .now_ms = clock_now_ms(),
    };
    bool write = !(h->flags & DD_OP_READ);
    json_t *out = NULL;
    for (;;) {
        r.writable = write;
        if (store_begin(r.db, write)) {
            dd_err(&c->err, 500, "InternalFailure", "The request processing has failed because of an unknown error.");
            return NULL;
        }
        out = h->fn(&r, input);
        if (out)
            break;
        store_rollback(r.db);
        if (r.retry_as_write && !write) {
            write = true;
            r.retry_as_write = false;
            dd_err_clear(&r.err);
            continue;
        }
        c->err = r.err;
        if (!c->err.code[0])
            dd_err(&c->err, 500, "InternalFailure", "The request processing has failed because of an unknown error.");
        return NULL;
    }
    if (store_commit(r.db)) {
        json_decref(out);
        dd_err(&c->err, 500, "InternalFailure", "The request processing has failed because of an unknown error.");
        return NULL;
    }
    return out;
}

/* Finds the operation; query/ec2 read Action from the form. */
static int find_operation(struct call *c, const char *target)
{
    const char *name = NULL;
    if (c->svc->protocol == DD_PROTO_JSON) {
        const char *dot = target ? strchr(target, '.') : NULL;
        name = dot ? dot + 1 : NULL;
        if (name)
            c->op = model_operation(c->svc, name);
        if (!c->op)
            return dd_err(&c->err, 400, "UnknownOperationException", "%s", "");
        return 0;
    }
    name = c->action;
    if (!name)
        return dd_err(&c->err, 400, "MissingAction", "The request must contain the parameter Action.");
    c->op = model_operation(c->svc, name);
    if (c->op)
        return 0;
    if (c->svc->protocol == DD_PROTO_EC2)
        return dd_err(&c->err, 400, "InvalidAction", "The action %s is not valid for this web service.", name);
    return dd_err(&c->err, 400, "InvalidAction", "Could not find operation %s for version %s", name,
                  c->svc->api_version);
}

/* The model for an error when routing failed: a guess from the request's shape. */
static const struct dd_service_model *fallback_model(bool json_like)
{
    return model_find(json_like ? "ssm" : "sts");
}

static json_t *run(struct call *c, struct exchange *x, const struct sigv4_request *sreq, enum sigv4_status st,
                   const struct sigv4_auth *auth, const char *why)
{
    const char *target = header(x, "X-Amz-Target");
    if (find_operation(c, target)) {
        /* an unsigned call to nothing is first of all unsigned */
        if (st != SIGV4_OK)
            auth_check(c->svc, sreq, st, auth, why, &c->caller, &c->err);
        return NULL;
    }
    if ((c->op->flags & DD_OP_UNSIGNED) && st == SIGV4_MISSING)
        auth_anonymous(&c->caller);
    else if (auth_check(c->svc, sreq, st, auth, why, &c->caller, &c->err))
        return NULL;
    const struct dd_service *impl = router_service(c->svc);
    const struct dd_handler *h = router_handler(c->svc, c->op);
    if (!h) {
        dd_err(&c->err, 501, "NotImplemented", "The operation %s of service %s is not implemented by drydock.",
               c->op->name, c->svc->service_id);
        return NULL;
    }
    json_t *input = c->svc->protocol == DD_PROTO_JSON
                        ? codec_parse_request(c->svc, c->op, x->body.data ? x->body.data : "", x->body.len, &c->err)
                        : codec_parse_form_request(c->svc, c->op, c->form, &c->err);
    if (!input)
        return NULL;
    json_t *out = NULL;
    if (validate_input(c->svc, c->op, input, impl->validation_code, &c->err) == 0)
        out = invoke(c, h, input, x->request_id);
    json_decref(input);
    return out;
}

static enum MHD_Result handle_aws(struct MHD_Connection *conn, struct exchange *x, const char *method)
{
    struct call c = {0};
    const char *query = strchr(x->raw_uri, '?');
    char *path = strndup(x->raw_uri, query ? (size_t)(query - x->raw_uri) : strlen(x->raw_uri));
    if (query)
        query++;
    const char *target = header(x, "X-Amz-Target");
    const char *ctype = header(x, MHD_HTTP_HEADER_CONTENT_TYPE);
    bool form_body = ctype && strncasecmp(ctype, "application/x-www-form-urlencoded", 33) == 0;

    struct sigv4_request sreq = {method, path, query, x->headers, x->header_count, x->body.data, x->body.len};
    struct sigv4_auth auth;
    char why[512] = "";
    enum sigv4_status st = sigv4_parse(&sreq, &auth, why, sizeof why);
    const char *scope = st == SIGV4_OK ? auth.service : NULL;

    /* query/ec2 parameters come from the form body, or the query string of a GET */
    const char *version = NULL;
    if (!target) {
        if (form_body)
            c.form = codec_parse_form(x->body.data ? x->body.data : "", x->body.len, &c.err);
        else if (query && *query)
            c.form = codec_parse_form(query, strlen(query), &c.err);
        version = json_string_value(json_object_get(c.form, "Version"));
        c.action = json_string_value(json_object_get(c.form, "Action"));
    }
    c.svc = router_model(scope, target, version);
    bool routed = c.svc != NULL;
    if (!routed)
        c.svc = fallback_model(target != NULL || !form_body);

    json_t *out = NULL;
    if (x->too_large) {
        char msg[128];
        snprintf(msg, sizeof msg, "Request body exceeds the maximum size of %zu bytes.", srv.max_body);
        auth_error(c.svc->protocol, AUTH_TOO_LARGE, msg, &c.err);
    } else if (c.err.code[0]) {
        /* the form could not be decoded: already answered */
    } else if (routed) {
        out = run(&c, x, &sreq, st, &auth, why);
    } else if (target) {
        dd_err(&c.err, 400, "UnknownOperationException", "%s", "");
    } else if (scope) {
        dd_err(&c.err, 400, "InvalidAction", "The service '%s' is not emulated by drydock.", scope);
    } else {
        auth_error(c.svc->protocol, st == SIGV4_MALFORMED ? AUTH_MALFORMED : AUTH_MISSING, why, &c.err);
    }

    struct dd_buf body = {0};
    const char *content_type;
    int status = 200;
    if (out) {
        codec_write_response(c.svc, c.op, out, x->request_id, &body, &content_type);
    } else {
        status = c.err.http_status ? c.err.http_status : 500;
        codec_write_error(c.svc, &c.err, x->request_id, &body, &content_type);
    }
    log_msg(status >= 500 ? LOG_WARN : LOG_INFO, "%s %s %d %.3fms%s%s", c.svc->id,
            c.op ? c.op->name : (c.action ? c.action : "-"), status, elapsed_ms(x), out ? "" : " ",
            out ? "" : c.err.code);
    json_decref(out);
    json_decref(c.form);
    free(path);
    return reply(conn, x, status, content_type, &body);
}

/* ---- libmicrohttpd callbacks --------------------------------------------- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct exchange *x = calloc(1, sizeof *x);
    if (!x)
        abort();
    x->raw_uri = strdup(uri ? uri : "/");
    x->start_ns = clock_mono_ns();
    new_request_id(x->request_id);
    return x;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct exchange *x = *con_cls;
    if (!x)
        return;
    free(x->raw_uri);
    free(x->headers);
    buf_free(&x->body);
    free(x);
    *con_cls = NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct exchange *x = *con_cls;
    if (!x->started) {
        x->started = true;
        const char *len = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        /* Too large: the body is read and dropped, then answered. Answering
         * first would close the connection under a client still sending,
         * which then sees a reset instead of the 413. */
        if (len && strtoull(len, NULL, 10) > srv.max_body)
            x->too_large = true;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!x->too_large && x->body.len + *upload_data_size > srv.max_body) {
            x->too_large = true;
            buf_free(&x->body);
        }
        if (!x->too_large)
            buf_append(&x->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, x);
    if (strncmp(x->raw_uri, "/_drydock/", 10) == 0 || strcmp(x->raw_uri, "/_drydock") == 0) {
        struct dd_buf body = {0};
        int status = admin_handle(method, x->raw_uri, x->body.data ? x->body.data : "", x->body.len, &body);
        log_msg(LOG_DEBUG, "admin %s %s %d", method, x->raw_uri, status);
        return reply(conn, x, status, "application/json", &body);
    }
    return handle_aws(conn, x, method);
}

/* ---- TLS material ------------------------------------------------------- */

/* The whole file as a NUL-terminated string (new), or NULL with `why` set. */
static char *read_pem(const char *what, const char *path, char *why, size_t why_len)
{
    struct dd_buf b = {0};
    char chunk[4096];
    size_t n;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, why_len, "cannot read the TLS %s %s: %s", what, path, strerror(errno));
        return NULL;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    bool failed = ferror(f);
    fclose(f);
    if (failed || b.len == 0) {
        snprintf(why, why_len, "cannot read the TLS %s %s: %s", what, path, failed ? strerror(EIO) : "empty file");
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b); /* dd_buf keeps its data NUL-terminated */
}

/* Never prompts for a passphrase: an encrypted key is refused. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    return -1;
}

/* libmicrohttpd (GnuTLS) reports a bad certificate only as "cannot start";
 * parsing here first (OpenSSL) lets the error name the file and the problem. */
static int check_pem(const struct server_config *cfg, char *why, size_t why_len)
{
    BIO *cb = BIO_new_mem_buf(srv.tls_cert, -1), *kb = BIO_new_mem_buf(srv.tls_key, -1);
    X509 *cert = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    EVP_PKEY *key = kb ? PEM_read_bio_PrivateKey(kb, NULL, no_passphrase, NULL) : NULL;
    int rc = -1;
    if (!cert)
        snprintf(why, why_len, "the TLS certificate %s is not a PEM certificate", cfg->tls_cert);
    else if (!key)
        snprintf(why, why_len, "the TLS key %s is not an unencrypted PEM private key", cfg->tls_key);
    else if (X509_check_private_key(cert, key) != 1)
        snprintf(why, why_len, "the TLS key %s does not match the certificate %s", cfg->tls_key, cfg->tls_cert);
    else
        rc = 0;
    X509_free(cert);
    EVP_PKEY_free(key);
    BIO_free(cb);
    BIO_free(kb);
    return rc;
}

static void free_tls(void)
{
    free(srv.tls_cert);
    free(srv.tls_key);
    srv.tls_cert = srv.tls_key = NULL;
}

/* Loads cfg's certificate and key into srv. Returns 0 (nothing to do without them) or -1 with `why`. */
static int load_tls(const struct server_config *cfg, char *why, size_t why_len)
{
    if (!cfg->tls_cert && !cfg->tls_key)
        return 0;
    if (!cfg->tls_cert || !cfg->tls_key) {
        snprintf(why, why_len, "TLS needs both a certificate and a key");
        return -1;
    }
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(why, why_len, "this libmicrohttpd was built without TLS support; cannot serve HTTPS");
        return -1;
    }
    srv.tls_cert = read_pem("certificate", cfg->tls_cert, why, why_len);
    srv.tls_key = srv.tls_cert ? read_pem("key", cfg->tls_key, why, why_len) : NULL;
    if (!srv.tls_key || check_pem(cfg, why, why_len)) {
        free_tls();
        return -1;
    }
    return 0;
}

int server_start(const struct server_config *cfg, char *why, size_t why_len)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->port)};
    if (inet_pton(AF_INET, cfg->host, &addr.sin_addr) != 1) {
        snprintf(why, why_len, "not an IPv4 address: %s", cfg->host);
        return -1;
    }
    if (load_tls(cfg, why, why_len))
        return -1;
    srv.max_body = cfg->max_body;
    router_init();
    unsigned threads = cfg->threads;
    if (!threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 2;
    }
    /* Without TLS the array is empty: one daemon call serves both. */
    struct MHD_OptionItem tls[] = {
        {srv.tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, srv.tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, srv.tls_key},
        {MHD_OPTION_END, 0, NULL},
    };
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO;
    if (srv.tls_cert)
        flags |= MHD_USE_TLS;
    srv.daemon = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024, MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
        MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    if (!srv.daemon) {
        snprintf(why, why_len, "cannot listen on %s:%d (in use?%s)", cfg->host, cfg->port,
                 srv.tls_cert ? " or the TLS setup failed" : "");
        free_tls();
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv.daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv.port = info ? info->port : cfg->port;
    srv.started_ns = clock_mono_ns();
    return 0;
}

int server_port(void)
{
    return srv.port;
}

const char *server_scheme(void)
{
    return srv.tls_cert ? "https" : "http";
}

void server_stop(void)
{
    if (srv.daemon)
        MHD_stop_daemon(srv.daemon);
    srv.daemon = NULL;
    free_tls(); /* only once the daemon, which borrowed them, is gone */
}

double server_uptime(void)
{
    return (double)(clock_mono_ns() - srv.started_ns) / 1e9;
}
