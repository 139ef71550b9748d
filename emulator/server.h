/*
 * server.h - the HTTP front of the emulator (libmicrohttpd, thread pool).
 *
 * Per request: bounded body -> admin API (/_drydock/...) or AWS call:
 * SigV4 -> route -> decode -> validate -> handler in one transaction ->
 * encode. Every response carries x-amzn-RequestId; one log line each.
 */
#ifndef DD_SERVER_H
#define DD_SERVER_H

#include <stddef.h>

struct server_config {
    const char *host; /* "127.0.0.1" unless told otherwise */
    int port;         /* 0: any free port (see server_port) */
    size_t max_body;  /* bytes; larger bodies get 413 */
    unsigned threads; /* worker threads; 0: one per core */
    /* PEM files; both set: HTTPS, both NULL: plain HTTP. Read once at start. */
    const char *tls_cert;
    const char *tls_key;
};

/* Starts the daemon. Returns 0, or -1 with `why` set (cannot bind, a TLS file
 * unreadable or invalid, or a libmicrohttpd built without TLS). */
int server_start(const struct server_config *cfg, char *why, size_t why_len);
/* The port actually bound. */
int server_port(void);
/* "https" when serving TLS, else "http". */
const char *server_scheme(void);
void server_stop(void);

/* Seconds since server_start. */
double server_uptime(void);

#endif
