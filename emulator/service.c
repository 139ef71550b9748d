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

void dd_uuid(char out[37])
{
    char hex[33];
    dd_random_hex(hex, 32);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

json_t *dd_time(int64_t ms)
{
    return ms % 1000 ? json_real((double)ms / 1000.0) : json_integer(ms / 1000);
}

const char *dd_in_str(json_t *in, const char *key)
{
    return json_string_value(json_object_get(in, key));
}

bool dd_in_bool(json_t *in, const char *key)
{
    return json_is_true(json_object_get(in, key));
}

json_int_t dd_in_int(json_t *in, const char *key, json_int_t dflt)
{
    json_t *v = json_object_get(in, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

int dd_reject(struct dd_request *r, int http_status, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dd_verr(&r->err, http_status, code, fmt, ap);
    va_end(ap);
    return -1;
}

int dd_internal(struct dd_request *r)
{
    return dd_reject(r, 500, "InternalFailure", "The request processing has failed because of an unknown error, "
                                                "exception or failure.");
}

sqlite3_stmt *dd_stmt(struct dd_request *r, const char *sql)
{
    sqlite3_stmt *st = store_stmt(r->db, sql);
    store_bind_text(st, 1, r->account);
    store_bind_text(st, 2, r->region);
    return st;
}

int dd_exec(struct dd_request *r, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : dd_internal(r);
}

int64_t dd_single_int(sqlite3_stmt *st, int64_t dflt)
{
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : dflt;
    sqlite3_reset(st);
    return v;
}

json_t *dd_page(json_t *in, json_t *items, const char *member, const char *limit_member, json_int_t dflt)
{
    const char *token = dd_in_str(in, "nextToken");
    size_t start = token ? strtoul(token, NULL, 10) : 0, total = json_array_size(items);
    json_int_t limit = dd_in_int(in, limit_member, dflt);
    if (limit < 1) /* a page of nothing with a token would never end */
        limit = dflt;
    json_t *slice = json_array();
    for (size_t i = start; i < total && json_array_size(slice) < (size_t)limit; i++)
        json_array_append(slice, json_array_get(items, i));
    size_t next = start + json_array_size(slice);
    json_t *out = json_pack("{s:o}", member, slice);
    if (next < total)
        json_object_set_new(out, "nextToken", json_sprintf("%zu", next));
    json_decref(items);
    return out;
}
