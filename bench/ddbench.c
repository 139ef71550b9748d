/*
 * ddbench.c - a load generator for the emulator, and a cold-start probe.
 *
 *   ddbench --endpoint URL --op get|put [--connections N] [--duration S] [--warmup S]
 *           [--pool N] [--region R] [--key AKID --secret SECRET]
 *   ddbench --probe-start --endpoint URL [--timeout S] -- DRYDOCK-COMMAND...
 *   ddbench --probe-exit [--timeout S] -- COMMAND...
 *   ddbench --wait-ready --endpoint URL [--timeout S]
 *
 * Load: every SSM JSON 1.1 request is built and SigV4-signed once, up front
 * (a signature stays valid for 15 minutes), so the loop measures the server,
 * not the client's hashing. N threads each keep one HTTP/1.1 keep-alive
 * connection and run request -> full response -> record latency, one request
 * in flight per connection. Ends with a human-readable report and one JSON line;
 * exits 1 if any request failed (non-200 or I/O).
 *
 * Probe: starts the command, then connects and sends GET /_drydock/health as
 * fast as it can; reports milliseconds from spawn to the first 200 and the
 * process's VmRSS at that moment, then stops the process. --probe-exit times
 * spawn to exit of a command: the machine's floor for process start-up.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sigv4.h"

extern char **environ;

#define IO_TIMEOUT_S 5           /* per send/recv: a hung server cannot hang a thread */
#define MAX_RESPONSE (16u << 20) /* larger responses are treated as an error */
#define MAX_DURATION_S 600       /* pre-signed requests expire after 15 minutes */

/* ---- time ----------------------------------------------------------------- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(long ns)
{
    struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
    nanosleep(&ts, NULL);
}

/* ---- endpoint ------------------------------------------------------------- */

struct endpoint {
    char host_header[300]; /* "host:port", as sent in Host and signed */
    struct sockaddr_storage addr;
    socklen_t addr_len;
};

/* Parses "http://HOST:PORT[/]" and resolves it once. Returns 0 or -1 with a message. */
static int endpoint_parse(const char *url, struct endpoint *ep)
{
    if (strncmp(url, "http://", 7) != 0) {
        fprintf(stderr, "ddbench: the endpoint must be http://HOST:PORT: %s\n", url);
        return -1;
    }
    char host[256], port[16];
    const char *h = url + 7, *colon = strrchr(h, ':');
    size_t hlen = colon ? (size_t)(colon - h) : 0;
    size_t plen = colon ? strcspn(colon + 1, "/") : 0;
    if (!colon || hlen == 0 || hlen >= sizeof host || plen == 0 || plen >= sizeof port) {
        fprintf(stderr, "ddbench: the endpoint must be http://HOST:PORT: %s\n", url);
        return -1;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    memcpy(port, colon + 1, plen);
    port[plen] = '\0';
    snprintf(ep->host_header, sizeof ep->host_header, "%s:%s", host, port);

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc) {
        fprintf(stderr, "ddbench: cannot resolve %s: %s\n", host, gai_strerror(rc));
        return -1;
    }
    memcpy(&ep->addr, res->ai_addr, res->ai_addrlen);
    ep->addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* ---- one keep-alive connection ---------------------------------------------- */

struct conn {
    const struct endpoint *ep;
    int fd;
    char *buf; /* received bytes not yet consumed */
    size_t len, cap;
    unsigned long opens; /* connections made; opens - 1 = reconnects */
    const char *body;    /* last response's body (points into buf until the next read) */
    size_t body_len;
};

static void conn_close(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->len = 0;
}

static int conn_open(struct conn *c)
{
    int fd = socket(c->ep->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    struct timeval tv = {IO_TIMEOUT_S, 0};
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (const struct sockaddr *)&c->ep->addr, c->ep->addr_len)) {
        close(fd);
        return -1;
    }
    c->fd = fd;
    c->len = 0;
    c->opens++;
    return 0;
}

static int send_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads more bytes into c->buf. Returns bytes read, 0 on EOF, -1 on error. */
static ssize_t conn_fill(struct conn *c)
{
    if (c->cap - c->len < 4096) {
        size_t cap = c->cap ? c->cap * 2 : 65536;
        if (cap > MAX_RESPONSE + 65536)
            return -1;
        char *b = realloc(c->buf, cap);
        if (!b)
            return -1;
        c->buf = b;
        c->cap = cap;
    }
    for (;;) {
        ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n > 0) {
            c->len += (size_t)n;
            c->buf[c->len] = '\0';
        } else if (n == 0) {
            errno = ECONNRESET; /* closed by the server: report it as such */
        }
        return n;
    }
}

/* The value of header `name` in the header block [p, end), or NULL. */
static const char *find_header(const char *p, const char *end, const char *name, size_t *vlen)
{
    size_t nlen = strlen(name);
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > nlen && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = eol;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                ve--;
            *vlen = (size_t)(ve - v);
            return v;
        }
        p = eol + 1;
    }
    return NULL;
}

enum read_result { READ_OK, READ_CLOSED_IDLE, READ_ERROR };

/*
 * Reads one whole response (Content-Length framing). READ_CLOSED_IDLE: the
 * server closed the connection before sending a byte (a keep-alive it gave up on).
 */
static enum read_result read_response(struct conn *c, int *status)
{
    char *hdr_end;
    while (!(hdr_end = c->len ? strstr(c->buf, "\r\n\r\n") : NULL)) {
        size_t before = c->len;
        ssize_t n = conn_fill(c);
        if (n == 0 && before == 0)
            return READ_CLOSED_IDLE;
        if (n <= 0)
            return READ_ERROR;
    }
    size_t head_len = (size_t)(hdr_end - c->buf) + 4;
    errno = EPROTO; /* until the framing checks out */
    if (sscanf(c->buf, "HTTP/1.%*d %d", status) != 1)
        return READ_ERROR;

    size_t vlen;
    const char *v = find_header(c->buf, hdr_end, "Content-Length", &vlen);
    if (!v)
        return READ_ERROR; /* chunked or close-delimited: not what the emulator sends */
    char *endp;
    unsigned long long body_len = strtoull(v, &endp, 10);
    if (endp == v || body_len > MAX_RESPONSE)
        return READ_ERROR;
    bool close_after = false;
    if ((v = find_header(c->buf, hdr_end, "Connection", &vlen)))
        close_after = vlen == 5 && strncasecmp(v, "close", 5) == 0;

    size_t total = head_len + (size_t)body_len;
    errno = 0;
    while (c->len < total)
        if (conn_fill(c) <= 0)
            return READ_ERROR;
    c->body = c->buf + head_len;
    c->body_len = (size_t)body_len;
    /* One request in flight, so nothing should follow; keep it if it does. */
    if (close_after) {
        close(c->fd);
        c->fd = -1;
    }
    c->len -= total;
    if (c->len) {
        memmove(c->buf, c->buf + total, c->len);
        c->buf[c->len] = '\0';
    }
    return READ_OK;
}

/*
 * Sends a request and reads its response, reconnecting once if a reused
 * connection turns out to have been closed by the server. Returns 0 or -1.
 * c->body stays valid until the next call (it may already have been moved).
 */
static int conn_exchange(struct conn *c, const char *req, size_t req_len, int *status)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        bool reused = c->fd >= 0;
        if (!reused && conn_open(c))
            return -1;
        c->len = 0;
        enum read_result r = send_all(c->fd, req, req_len) ? READ_CLOSED_IDLE : read_response(c, status);
        if (r == READ_OK)
            return 0;
        conn_close(c);
        if (r == READ_ERROR || !reused)
            return -1;
    }
    return -1;
}

/* ---- the requests ----------------------------------------------------------- */

struct request {
    char *data; /* the whole HTTP request, signed */
    size_t len;
};

struct signing {
    const struct endpoint *ep;
    const char *region, *key, *secret;
    time_t now;
};

/* Builds and signs one SSM JSON 1.1 request. Returns 0 or -1. */
static int build_ssm_request(const struct signing *s, const char *target, const char *body, struct request *out)
{
    const char *ctype = "application/x-amz-json-1.1";
    struct sigv4_header headers[] = {
        {"host", s->ep->host_header},
        {"content-type", ctype},
        {"x-amz-target", target},
    };
    struct sigv4_request sreq = {"POST", "/", "", headers, 3, body, strlen(body)};
    struct sigv4_signed sig;
    if (sigv4_sign(&sreq, s->key, s->secret, NULL, s->region, "ssm", s->now, &sig))
        return -1;
    static const char fmt[] = "POST / HTTP/1.1\r\n"
                              "Host: %s\r\n"
                              "Content-Type: %s\r\n"
                              "X-Amz-Target: %s\r\n"
                              "X-Amz-Date: %s\r\n"
                              "X-Amz-Content-Sha256: %s\r\n"
                              "Authorization: %s\r\n"
                              "Content-Length: %zu\r\n"
                              "\r\n"
                              "%s";
    int n = snprintf(NULL, 0, fmt, s->ep->host_header, ctype, target, sig.amz_date, sig.content_sha256,
                     sig.authorization, strlen(body), body);
    char *data = n < 0 ? NULL : malloc((size_t)n + 1);
    if (!data)
        return -1;
    snprintf(data, (size_t)n + 1, fmt, s->ep->host_header, ctype, target, sig.amz_date, sig.content_sha256,
             sig.authorization, strlen(body), body);
    out->data = data;
    out->len = (size_t)n;
    return 0;
}

/* Parameter names are spread over a pool so puts do not all hit one row. */
static void param_name(char *out, size_t len, const char *op, size_t i)
{
    snprintf(out, len, "/ddbench/%s/param-%04zu", op, i);
}

static int build_put(const struct signing *s, const char *op, size_t i, struct request *out)
{
    char name[64], body[256];
    param_name(name, sizeof name, op, i);
    snprintf(body, sizeof body,
             "{\"Name\":\"%s\",\"Value\":\"value-%04zu-of-the-ddbench-pool\",\"Type\":\"String\",\"Overwrite\":true}",
             name, i);
    return build_ssm_request(s, "AmazonSSM.PutParameter", body, out);
}

static int build_get(const struct signing *s, size_t i, struct request *out)
{
    char name[64], body[128];
    param_name(name, sizeof name, "get", i);
    snprintf(body, sizeof body, "{\"Name\":\"%s\"}", name);
    return build_ssm_request(s, "AmazonSSM.GetParameter", body, out);
}

static void free_requests(struct request *reqs, size_t n)
{
    for (size_t i = 0; reqs && i < n; i++)
        free(reqs[i].data);
    free(reqs);
}

/* ---- the load run ------------------------------------------------------------- */

struct run {
    const struct endpoint *ep;
    const struct request *reqs;
    size_t nreqs;
    uint64_t warm_end_ns, end_ns;
    pthread_mutex_t lock;
    char first_error[512]; /* first non-200 or I/O failure, for the report */
};

struct worker {
    struct run *run;
    pthread_t thread;
    size_t first; /* index of the first request: threads start spread over the pool */
    uint64_t *lat_ns;
    size_t count, cap;
    unsigned long non200, io_errors, reconnects;
};

static void note_error(struct run *r, const char *what, const char *detail, size_t detail_len)
{
    pthread_mutex_lock(&r->lock);
    if (!r->first_error[0]) {
        int n = detail_len > 400 ? 400 : (int)detail_len;
        snprintf(r->first_error, sizeof r->first_error, "%s%s%.*s", what, n ? ": " : "", n, detail ? detail : "");
    }
    pthread_mutex_unlock(&r->lock);
}

static int record(struct worker *w, uint64_t ns)
{
    if (w->count == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 65536;
        uint64_t *p = realloc(w->lat_ns, cap * sizeof *p);
        if (!p)
            return -1;
        w->lat_ns = p;
        w->cap = cap;
    }
    w->lat_ns[w->count++] = ns;
    return 0;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct run *r = w->run;
    struct conn c = {.ep = r->ep, .fd = -1};
    size_t i = w->first;
    for (;;) {
        uint64_t t0 = now_ns();
        if (t0 >= r->end_ns)
            break;
        const struct request *rq = &r->reqs[i];
        i = (i + 1) % r->nreqs;
        int status = 0;
        errno = 0;
        int rc = conn_exchange(&c, rq->data, rq->len, &status);
        uint64_t t1 = now_ns();
        if (rc) {
            if (t0 >= r->warm_end_ns)
                w->io_errors++;
            const char *why = strerror(errno ? errno : EPROTO);
            note_error(r, "connection failed or bad response", why, strlen(why));
            sleep_ns(1000000); /* the server may be down: do not spin */
            continue;
        }
        if (t0 < r->warm_end_ns)
            continue;
        if (status != 200) {
            w->non200++;
            char what[32];
            snprintf(what, sizeof what, "HTTP %d", status);
            note_error(r, what, c.body, c.body_len);
        }
        if (record(w, t1 - t0))
            break;
    }
    w->reconnects = c.opens > 1 ? c.opens - 1 : 0;
    conn_close(&c);
    free(c.buf);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array, in microseconds. */
static double pct_us(const uint64_t *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return (double)v[rank - 1] / 1000.0;
}

/* Prints the report; returns the error count. */
static unsigned long report(const char *op, unsigned conns, double duration_s, struct worker *ws, struct run *r)
{
    size_t total = 0;
    unsigned long non200 = 0, io = 0, reconnects = 0;
    for (unsigned t = 0; t < conns; t++) {
        total += ws[t].count;
        non200 += ws[t].non200;
        io += ws[t].io_errors;
        reconnects += ws[t].reconnects;
    }
    uint64_t *all = malloc((total ? total : 1) * sizeof *all);
    if (!all) {
        fprintf(stderr, "ddbench: out of memory\n");
        return 1;
    }
    size_t k = 0;
    for (unsigned t = 0; t < conns; t++) {
        memcpy(all + k, ws[t].lat_ns, ws[t].count * sizeof *all);
        k += ws[t].count;
    }
    qsort(all, total, sizeof *all, cmp_u64);
    double rps = (double)total / duration_s;
    double p50 = pct_us(all, total, 50), p90 = pct_us(all, total, 90), p99 = pct_us(all, total, 99);
    double max = total ? (double)all[total - 1] / 1000.0 : 0;
    free(all);

    printf("ddbench: %s, %u connection%s, %.1f s\n", op, conns, conns == 1 ? "" : "s", duration_s);
    printf("  requests    %zu (%.0f req/s)\n", total, rps);
    printf("  latency µs  p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n", p50, p90, p99, max);
    printf("  errors      %lu (non-200 %lu, i/o %lu); reconnects %lu\n", non200 + io, non200, io, reconnects);
    if (r->first_error[0])
        printf("  first error %s\n", r->first_error);
    printf("{\"op\":\"%s\",\"connections\":%u,\"duration_s\":%.3f,\"requests\":%zu,\"rps\":%.1f,"
           "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,\"errors\":%lu,"
           "\"non200\":%lu,\"io_errors\":%lu,\"reconnects\":%lu}\n",
           op, conns, duration_s, total, rps, p50, p90, p99, max, non200 + io, non200, io, reconnects);
    fflush(stdout);
    return non200 + io;
}

/* Puts every parameter a `get` run reads, over one connection. Returns 0 or -1. */
static int seed_parameters(const struct endpoint *ep, const struct signing *s, size_t pool)
{
    struct conn c = {.ep = ep, .fd = -1};
    int rc = 0;
    for (size_t i = 0; i < pool && rc == 0; i++) {
        struct request rq;
        int status = 0;
        if (build_put(s, "get", i, &rq)) {
            fprintf(stderr, "ddbench: signing failed\n");
            rc = -1;
            break;
        }
        if (conn_exchange(&c, rq.data, rq.len, &status)) {
            fprintf(stderr, "ddbench: seeding parameters: cannot reach %s\n", ep->host_header);
            rc = -1;
        } else if (status != 200) {
            fprintf(stderr, "ddbench: seeding parameters: PutParameter answered HTTP %d: %.*s\n", status,
                    (int)(c.body_len > 400 ? 400 : c.body_len), c.body);
            rc = -1;
        }
        free(rq.data);
    }
    conn_close(&c);
    free(c.buf);
    return rc;
}

struct load_opts {
    const char *op, *region, *key, *secret;
    unsigned connections;
    double duration_s, warmup_s;
    size_t pool;
};

static int run_load(const struct endpoint *ep, const struct load_opts *o)
{
    bool put = strcmp(o->op, "put") == 0;
    struct signing s = {ep, o->region, o->key, o->secret, time(NULL)};
    if (!put && seed_parameters(ep, &s, o->pool))
        return 1;

    struct request *reqs = calloc(o->pool, sizeof *reqs);
    if (!reqs)
        return 1;
    for (size_t i = 0; i < o->pool; i++) {
        if (put ? build_put(&s, "put", i, &reqs[i]) : build_get(&s, i, &reqs[i])) {
            fprintf(stderr, "ddbench: signing failed\n");
            free_requests(reqs, o->pool);
            return 1;
        }
    }

    struct run r = {.ep = ep, .reqs = reqs, .nreqs = o->pool, .lock = PTHREAD_MUTEX_INITIALIZER};
    uint64_t start = now_ns();
    r.warm_end_ns = start + (uint64_t)(o->warmup_s * 1e9);
    r.end_ns = r.warm_end_ns + (uint64_t)(o->duration_s * 1e9);
    struct worker *ws = calloc(o->connections, sizeof *ws);
    if (!ws) {
        free_requests(reqs, o->pool);
        return 1;
    }
    unsigned started = 0;
    for (; started < o->connections; started++) {
        ws[started].run = &r;
        ws[started].first = (size_t)started * o->pool / o->connections;
        if (pthread_create(&ws[started].thread, NULL, worker_main, &ws[started])) {
            fprintf(stderr, "ddbench: cannot start thread %u\n", started);
            r.end_ns = 0; /* stop the others */
            break;
        }
    }
    for (unsigned t = 0; t < started; t++)
        pthread_join(ws[t].thread, NULL);
    int rc = 1;
    if (started == o->connections)
        rc = report(o->op, o->connections, o->duration_s, ws, &r) ? 1 : 0;
    for (unsigned t = 0; t < started; t++)
        free(ws[t].lat_ns);
    free(ws);
    free_requests(reqs, o->pool);
    return rc;
}

/* ---- cold start probe ------------------------------------------------------------ */

/* One GET /_drydock/health on a fresh connection: the HTTP status, or -1. */
static int health_once(const struct endpoint *ep)
{
    char req[512];
    int n = snprintf(req, sizeof req, "GET /_drydock/health HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
                     ep->host_header);
    struct conn c = {.ep = ep, .fd = -1};
    int status = -1;
    if (conn_exchange(&c, req, (size_t)n, &status))
        status = -1;
    conn_close(&c);
    free(c.buf);
    return status;
}

static long vmrss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* SIGTERM, then SIGKILL after 5 s; reaps the child. */
static void stop_child(pid_t pid)
{
    kill(pid, SIGTERM);
    for (int i = 0; i < 5000; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        sleep_ns(1000000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static int probe_start(const struct endpoint *ep, char **cmd, double timeout_s)
{
    if (health_once(ep) >= 0) {
        fprintf(stderr, "ddbench: something already answers on %s; pick a free port\n", ep->host_header);
        return 1;
    }
    pid_t pid;
    uint64_t t0 = now_ns();
    int err = posix_spawnp(&pid, cmd[0], NULL, NULL, cmd, environ);
    if (err) {
        fprintf(stderr, "ddbench: cannot start %s: %s\n", cmd[0], strerror(err));
        return 1;
    }
    uint64_t deadline = t0 + (uint64_t)(timeout_s * 1e9);
    unsigned long attempts = 0;
    int status = -1;
    while (now_ns() < deadline) {
        attempts++;
        if ((status = health_once(ep)) == 200)
            break;
        int ws;
        if (waitpid(pid, &ws, WNOHANG) == pid) {
            fprintf(stderr, "ddbench: %s exited before answering (status %d)\n", cmd[0], ws);
            return 1;
        }
        sleep_ns(20000); /* 20 µs: fine resolution without starving the server of a core */
    }
    uint64_t t1 = now_ns();
    long rss = status == 200 ? vmrss_kb(pid) : -1;
    stop_child(pid);
    if (status != 200) {
        fprintf(stderr, "ddbench: no 200 from /_drydock/health within %.1f s (last status %d)\n", timeout_s, status);
        return 1;
    }
    double ms = (double)(t1 - t0) / 1e6;
    printf("cold start: %.2f ms to the first 200 (%lu attempts), VmRSS %ld kB\n", ms, attempts, rss);
    printf("{\"probe\":\"start\",\"ms\":%.3f,\"attempts\":%lu,\"rss_kb\":%ld}\n", ms, attempts, rss);
    return 0;
}

/* The machine's floor for a cold start: spawn to exit of a command (e.g. `drydock version`). */
static int probe_exit(char **cmd, double timeout_s)
{
    pid_t pid;
    uint64_t t0 = now_ns();
    int err = posix_spawnp(&pid, cmd[0], NULL, NULL, cmd, environ);
    if (err) {
        fprintf(stderr, "ddbench: cannot start %s: %s\n", cmd[0], strerror(err));
        return 1;
    }
    uint64_t deadline = t0 + (uint64_t)(timeout_s * 1e9);
    int ws;
    while (waitpid(pid, &ws, WNOHANG) != pid) {
        if (now_ns() >= deadline) {
            stop_child(pid);
            fprintf(stderr, "ddbench: %s did not exit within %.1f s\n", cmd[0], timeout_s);
            return 1;
        }
        sleep_ns(20000);
    }
    double ms = (double)(now_ns() - t0) / 1e6;
    printf("spawn to exit: %.2f ms (status %d)\n", ms, ws);
    printf("{\"probe\":\"exit\",\"ms\":%.3f,\"status\":%d}\n", ms, ws);
    return 0;
}

static int wait_ready(const struct endpoint *ep, double timeout_s)
{
    uint64_t deadline = now_ns() + (uint64_t)(timeout_s * 1e9);
    while (now_ns() < deadline) {
        if (health_once(ep) == 200)
            return 0;
        sleep_ns(1000000);
    }
    fprintf(stderr, "ddbench: %s not ready within %.1f s\n", ep->host_header, timeout_s);
    return 1;
}

/* ---- command line ------------------------------------------------------------------- */

static const char USAGE[] =
    "usage: ddbench --endpoint http://HOST:PORT --op get|put [options]\n"
    "       ddbench --probe-start --endpoint http://HOST:PORT [--timeout S] -- COMMAND [ARGS...]\n"
    "       ddbench --probe-exit [--timeout S] -- COMMAND [ARGS...]\n"
    "       ddbench --wait-ready --endpoint http://HOST:PORT [--timeout S]\n"
    "\n"
    "load options:\n"
    "  --connections N   keep-alive connections, one thread each (default 1)\n"
    "  --duration S      measured seconds (default 10)\n"
    "  --warmup S        unmeasured seconds first (default 1)\n"
    "  --pool N          distinct parameters cycled through (default 100 for get, 1000 for put)\n"
    "  --region R        signing region (default us-east-1)\n"
    "  --key K --secret S  credentials (default test/test)\n"
    "probe options:\n"
    "  --timeout S       give up after S seconds (default 10)\n";

static int usage(const char *why)
{
    if (why)
        fprintf(stderr, "ddbench: %s\n\n", why);
    fputs(USAGE, stderr);
    return 2;
}

static bool parse_double(const char *s, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    struct load_opts o = {
        .region = "us-east-1", .key = "test", .secret = "test", .connections = 1, .duration_s = 10, .warmup_s = 1};
    const char *endpoint = NULL;
    bool probe = false, probe_exit_mode = false, wait = false;
    double timeout_s = 10, v;
    static const struct option opts[] = {
        {"endpoint", required_argument, 0, 'e'},
        {"op", required_argument, 0, 'o'},
        {"connections", required_argument, 0, 'c'},
        {"duration", required_argument, 0, 'd'},
        {"warmup", required_argument, 0, 'w'},
        {"pool", required_argument, 0, 'n'},
        {"region", required_argument, 0, 'r'},
        {"key", required_argument, 0, 'k'},
        {"secret", required_argument, 0, 's'},
        {"probe-start", no_argument, 0, 'P'},
        {"wait-ready", no_argument, 0, 'W'},
        {"probe-exit", no_argument, 0, 'X'},
        {"timeout", required_argument, 0, 't'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case 'e': endpoint = optarg; break;
        case 'o': o.op = optarg; break;
        case 'c':
            if (!parse_double(optarg, 1, 1024, &v) || v != (unsigned)v)
                return usage("--connections must be a whole number from 1 to 1024");
            o.connections = (unsigned)v;
            break;
        case 'd':
            if (!parse_double(optarg, 0.1, MAX_DURATION_S, &o.duration_s))
                return usage("--duration must be from 0.1 to 600 seconds");
            break;
        case 'w':
            if (!parse_double(optarg, 0, 60, &o.warmup_s))
                return usage("--warmup must be from 0 to 60 seconds");
            break;
        case 'n':
            if (!parse_double(optarg, 1, 100000, &v) || v != (size_t)v)
                return usage("--pool must be a whole number from 1 to 100000");
            o.pool = (size_t)v;
            break;
        case 'r': o.region = optarg; break;
        case 'k': o.key = optarg; break;
        case 's': o.secret = optarg; break;
        case 'P': probe = true; break;
        case 'W': wait = true; break;
        case 'X': probe_exit_mode = true; break;
        case 't':
            if (!parse_double(optarg, 0.1, 300, &timeout_s))
                return usage("--timeout must be from 0.1 to 300 seconds");
            break;
        case 'h': fputs(USAGE, stdout); return 0;
        default: return usage(NULL);
        }
    }
    if (probe_exit_mode) {
        if (optind >= argc)
            return usage("--probe-exit needs the command to run after --");
        return probe_exit(argv + optind, timeout_s);
    }
    struct endpoint ep;
    if (!endpoint)
        return usage("--endpoint is required");
    if (endpoint_parse(endpoint, &ep))
        return 2;
    signal(SIGPIPE, SIG_IGN);

    if (probe) {
        if (optind >= argc)
            return usage("--probe-start needs the command to start after --");
        return probe_start(&ep, argv + optind, timeout_s);
    }
    if (optind < argc)
        return usage("unexpected argument");
    if (wait)
        return wait_ready(&ep, timeout_s);
    if (!o.op || (strcmp(o.op, "get") && strcmp(o.op, "put")))
        return usage("--op must be get or put");
    if (!o.pool)
        o.pool = strcmp(o.op, "put") == 0 ? 1000 : 100;
    return run_load(&ep, &o);
}
