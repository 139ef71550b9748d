/*
 * error.h - one AWS error, as a handler or codec reports it.
 *
 * Every layer records errors the same way: dd_err() fills a struct dd_error
 * and returns -1, so a caller writes `return dd_err(e, 400, "Code", "...")`.
 * The protocol codec turns the struct into the wire form of the service.
 */
#ifndef DD_ERROR_H
#define DD_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

struct dd_error {
    int http_status; /* 400, 403, 404, ... */
    bool sender;     /* Sender (client) fault, else Receiver (server) */
    char code[96];   /* AWS error code, e.g. "ParameterNotFound" */
    char message[1024];
};

/* Records an error (sender fault when status < 500) and returns -1. */
int dd_err(struct dd_error *e, int http_status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int dd_verr(struct dd_error *e, int http_status, const char *code, const char *fmt, va_list ap);

/* Clears an error record. */
void dd_err_clear(struct dd_error *e);

#endif
