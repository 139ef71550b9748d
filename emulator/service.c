/* service.c - helpers shared by every service implementation (see service.h). */
#include "service.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>

#include "../protocol/buf.h"

json_t *dd_fail(struct dd_request *r, int http_status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dd_verr(&r->err, http_status, code, fmt, ap);
    va_end(ap);
    return NULL;
}

json_t *dd_retry_as_write(struct dd_request *r)
{
    r->retry_as_write = true;
    return NULL;
}

char *dd_arn(const struct dd_request *r, const char *service, const char *resource_fmt, ...)
{
    struct dd_buf b = {0};
    buf_printf(&b, "arn:aws:%s:%s:%s:", service, r->region, r->account);
    va_list ap;
    va_start(ap, resource_fmt);
    buf_vprintf(&b, resource_fmt, ap);
    va_end(ap);
    return buf_steal(&b);
}

void dd_random_hex(char *out, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[32];
    if (n > 63)
        n = 63;
    if (RAND_bytes(raw, (int)((n + 1) / 2)) != 1)
        abort();
    for (size_t i = 0; i < n; i++)
        out[i] = hex[(raw[i / 2] >> ((i & 1) ? 0 : 4)) & 15];
    out[n] = '\0';
}
