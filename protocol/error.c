/* error.c - recording AWS errors (see error.h). */
#include "error.h"

#include <stdio.h>
#include <string.h>

int dd_verr(struct dd_error *e, int http_status, const char *code, const char *fmt, va_list ap)
{
    e->http_status = http_status;
    e->sender = http_status < 500;
    snprintf(e->code, sizeof e->code, "%s", code);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    return -1;
}

int dd_err(struct dd_error *e, int http_status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dd_verr(e, http_status, code, fmt, ap);
    va_end(ap);
    return -1;
}

void dd_err_clear(struct dd_error *e)
{
    memset(e, 0, sizeof *e);
}
