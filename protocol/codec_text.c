/*
 * codec_text.c - scalars as text, for the form and XML codecs, and the
 * timestamp helpers of codec.h (see codec_query_common.h).
 *
 * Query and ec2 carry every scalar as text: this file is the one place that
 * turns text into the internal form (strictly: a request with "abc" for an
 * integer must be refused, not read as 0) and back.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec_query_common.h"

/* ---- numbers -------------------------------------------------------------- */

/* Whether `v` is a whole number that fits a long long exactly. Written
 * without libm (floor/llround), which ddprotocol does not link. */
static bool codec_text_is_whole(double v)
{
    return v > -9e15 && v < 9e15 && v == (double)(long long)v;
}

/* ---- calendar ------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * algorithm): no timegm()/TZ involvement, defined for every year we accept. */
static int64_t codec_text_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void codec_text_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static unsigned codec_text_days_in_month(int y, unsigned m)
{
    static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* Years 0001..9999: what ISO 8601 text can say in four digits. */
#define CODEC_TEXT_MIN_EPOCH (-62135596800.0)
#define CODEC_TEXT_MAX_EPOCH (253402300799.999)

struct codec_text_tm {
    int year;
    unsigned mon, day, hour, min, sec, msec, wday;
};

static void codec_text_split(double epoch, struct codec_text_tm *t)
{
    if (!(epoch >= CODEC_TEXT_MIN_EPOCH)) /* also NaN */
        epoch = CODEC_TEXT_MIN_EPOCH;
    if (epoch > CODEC_TEXT_MAX_EPOCH)
        epoch = CODEC_TEXT_MAX_EPOCH;
    double scaled = epoch * 1000.0; /* within +-2.6e14: exact enough, and fits int64_t */
    int64_t ms = (int64_t)(scaled < 0 ? scaled - 0.5 : scaled + 0.5);
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    t->msec = (unsigned)(ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    unsigned rem = (unsigned)(secs - days * 86400);
    codec_text_civil_from_days(days, &t->year, &t->mon, &t->day);
    t->hour = rem / 3600;
    t->min = rem / 60 % 60;
    t->sec = rem % 60;
    t->wday = (unsigned)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
}

static void codec_text_iso8601(double epoch, bool millis, char out[32])
{
    struct codec_text_tm t;
    codec_text_split(epoch, &t);
    if (millis || t.msec)
        snprintf(out, 32, "%04d-%02u-%02uT%02u:%02u:%02u.%03uZ", t.year, t.mon, t.day, t.hour,
                 t.min, t.sec, t.msec);
    else
        snprintf(out, 32, "%04d-%02u-%02uT%02u:%02u:%02uZ", t.year, t.mon, t.day, t.hour, t.min,
                 t.sec);
}

void codec_format_iso8601(double epoch, char out[32])
{
    codec_text_iso8601(epoch, false, out);
}

static void codec_text_rfc822(double epoch, char out[40])
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct codec_text_tm t;
    codec_text_split(epoch, &t);
    snprintf(out, 40, "%s, %02u %s %04d %02u:%02u:%02u GMT", days[t.wday], t.day,
             months[t.mon - 1], t.year, t.hour, t.min, t.sec);
}

/* ---- timestamp parsing ---------------------------------------------------- */

/* Reads exactly `n` digits at *p. */
static bool codec_text_digits(const char **p, int n, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        v = v * 10 + (unsigned)((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool codec_text_epoch_text(const char *s, double *epoch)
{
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    bool digits = false, dot = false;
    for (; *p; p++) {
        if (isdigit((unsigned char)*p))
            digits = true;
        else if (*p == '.' && !dot)
            dot = true;
        else
            return false;
    }
    if (!digits)
        return false;
    errno = 0;
    double v = strtod(s, NULL);
    if (errno || !(v >= CODEC_TEXT_MIN_EPOCH && v <= CODEC_TEXT_MAX_EPOCH))
        return false;
    *epoch = v;
    return true;
}

/* `Z`, `+HH:MM`, `-HHMM`, `+HH`, or nothing (UTC). Sets *offset in seconds east. */
static bool codec_text_zone(const char *p, long *offset)
{
    *offset = 0;
    if (*p == '\0' || ((*p == 'Z' || *p == 'z') && p[1] == '\0'))
        return true;
    if (*p != '+' && *p != '-')
        return false;
    int sign = *p++ == '-' ? -1 : 1;
    unsigned hh, mm = 0;
    if (!codec_text_digits(&p, 2, &hh))
        return false;
    if (*p == ':')
        p++;
    if (*p && !codec_text_digits(&p, 2, &mm))
        return false;
    if (*p || hh > 23 || mm > 59)
        return false;
    *offset = sign * (long)(hh * 3600 + mm * 60);
    return true;
}

static bool codec_text_parse_iso(const char *s, double *epoch)
{
    const char *p = s;
    unsigned y, mo, d, h = 0, mi = 0, sec = 0;
    double frac = 0;
    if (!codec_text_digits(&p, 4, &y) || *p++ != '-' || !codec_text_digits(&p, 2, &mo) ||
        *p++ != '-' || !codec_text_digits(&p, 2, &d))
        return false;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (!codec_text_digits(&p, 2, &h) || *p++ != ':' || !codec_text_digits(&p, 2, &mi))
            return false;
        if (*p == ':') {
            p++;
            if (!codec_text_digits(&p, 2, &sec))
                return false;
            if (*p == '.' || *p == ',') {
                p++;
                double scale = 0.1;
                if (!isdigit((unsigned char)*p))
                    return false;
                for (; isdigit((unsigned char)*p); p++, scale /= 10)
                    frac += (*p - '0') * scale;
            }
        }
    }
    long offset;
    if (!codec_text_zone(p, &offset))
        return false;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > codec_text_days_in_month((int)y, mo) || h > 23 ||
        mi > 59 || sec > 60)
        return false;
    if (sec == 60) /* a leap second reads as the last second of its minute */
        sec = 59;
    int64_t days = codec_text_days_from_civil(y, mo, d);
    *epoch = (double)(days * 86400 + h * 3600 + mi * 60 + sec - offset) + frac;
    return true;
}

/* "Tue, 15 Jul 2011 23:28:33 GMT" (the weekday is optional and not checked). */
static bool codec_text_parse_rfc822(const char *s, double *epoch)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    const char *comma = strchr(s, ',');
    const char *p = comma ? comma + 1 : s;
    while (*p == ' ')
        p++;
    unsigned d, y, h, mi, sec;
    char mon[4] = "";
    if (!codec_text_digits(&p, 2, &d) || *p++ != ' ')
        return false;
    if (strnlen(p, 4) < 4 || p[3] != ' ')
        return false;
    memcpy(mon, p, 3);
    p += 4;
    const char *m = strstr(months, mon);
    if (!m || (m - months) % 3)
        return false;
    unsigned mo = (unsigned)(m - months) / 3 + 1;
    if (!codec_text_digits(&p, 4, &y) || *p++ != ' ' || !codec_text_digits(&p, 2, &h) ||
        *p++ != ':' || !codec_text_digits(&p, 2, &mi) || *p++ != ':' ||
        !codec_text_digits(&p, 2, &sec))
        return false;
    if (strcmp(p, " GMT") != 0 && strcmp(p, " UTC") != 0 && strcmp(p, " +0000") != 0)
        return false;
    if (y < 1 || d < 1 || d > codec_text_days_in_month((int)y, mo) || h > 23 || mi > 59 || sec > 60)
        return false;
    *epoch = (double)(codec_text_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
                      (sec == 60 ? 59 : sec));
    return true;
}

int codec_parse_timestamp(const char *s, double *epoch)
{
    if (!s || !*s)
        return -1;
    if (codec_text_epoch_text(s, epoch) || codec_text_parse_iso(s, epoch) ||
        codec_text_parse_rfc822(s, epoch))
        return 0;
    return -1;
}

/* ---- scalars -> text ------------------------------------------------------ */

/* The shortest %g text that reads back as the same double. */
static void codec_text_put_double(struct dd_buf *out, double v)
{
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    buf_puts(out, tmp);
}

static void codec_text_put_timestamp(struct dd_buf *out, int fmt, double epoch, bool millis)
{
    char tmp[40];
    switch (fmt) {
    case DD_TS_EPOCH:
        if (codec_text_is_whole(epoch))
            buf_printf(out, "%lld", (long long)epoch);
        else
            codec_text_put_double(out, epoch);
        return;
    case DD_TS_RFC822: codec_text_rfc822(epoch, tmp); break;
    default: codec_text_iso8601(epoch, millis, tmp); break;
    }
    buf_puts(out, tmp);
}

int codec_text_put_scalar(struct dd_buf *out, const struct dd_shape *shape, int fmt, json_t *value,
                          bool millis)
{
    switch (json_typeof(value)) {
    case JSON_STRING:
        /* already text: strings, blobs (base64), and anything a caller chose
         * to pre-format */
        buf_append(out, json_string_value(value), json_string_length(value));
        return 0;
    case JSON_TRUE: buf_puts(out, "true"); return 0;
    case JSON_FALSE: buf_puts(out, "false"); return 0;
    case JSON_INTEGER:
        if (shape->type == DD_T_TIMESTAMP)
            codec_text_put_timestamp(out, fmt, (double)json_integer_value(value), millis);
        else
            buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        return 0;
    case JSON_REAL: {
        double v = json_real_value(value);
        if (shape->type == DD_T_TIMESTAMP)
            codec_text_put_timestamp(out, fmt, v, millis);
        else if ((shape->type == DD_T_INTEGER || shape->type == DD_T_LONG) && codec_text_is_whole(v))
            buf_printf(out, "%lld", (long long)v);
        else
            codec_text_put_double(out, v);
        return 0;
    }
    default: return -1;
    }
}

/* ---- text -> scalars ------------------------------------------------------ */

/* Trims ASCII whitespace into `tmp` when needed; returns the trimmed text
 * (`tmp` or `text`), or NULL when it does not fit in `tmp`. Numbers and
 * booleans in pretty-printed XML may carry it; strings never are trimmed. */
static const char *codec_text_trim(const char *text, char *tmp, size_t tmp_size)
{
    while (isspace((unsigned char)*text))
        text++;
    size_t n = strlen(text);
    while (n && isspace((unsigned char)text[n - 1]))
        n--;
    if (text[n] == '\0')
        return text;
    if (n >= tmp_size)
        return NULL;
    memcpy(tmp, text, n);
    tmp[n] = '\0';
    return tmp;
}

static json_t *codec_text_integer(const char *s, long long min, long long max)
{
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    if (!isdigit((unsigned char)*p))
        return NULL;
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q))
            return NULL;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == ERANGE || v < min || v > max)
        return NULL;
    return json_integer(v);
}

static json_t *codec_text_double(const char *s)
{
    char *end;
    if (!*s)
        return NULL;
    errno = 0;
    double v = strtod(s, &end);
    /* strtod also reads "nan", "inf" and hex floats: none is a JSON number */
    if (*end || errno == ERANGE || !isfinite(v) || strpbrk(s, "xXnN"))
        return NULL;
    return json_real(v);
}

static bool codec_text_is_base64(const char *s)
{
    size_t n = 0, pad = 0;
    for (const char *p = s; *p; p++, n++) {
        if (*p == '=') {
            pad++;
        } else if (pad || !(isalnum((unsigned char)*p) || *p == '+' || *p == '/')) {
            return false;
        }
    }
    return n % 4 == 0 && pad <= 2;
}

json_t *codec_text_to_json(const struct dd_shape *shape, const char *text, const char **expected)
{
    char tmp[128];
    const char *s = text;
    double epoch;
    json_t *v = NULL;

    switch (shape->type) {
    case DD_T_INTEGER:
        *expected = "an integer";
        s = codec_text_trim(text, tmp, sizeof tmp);
        return s ? codec_text_integer(s, INT32_MIN, INT32_MAX) : NULL;
    case DD_T_LONG:
        *expected = "a long";
        s = codec_text_trim(text, tmp, sizeof tmp);
        return s ? codec_text_integer(s, LLONG_MIN, LLONG_MAX) : NULL;
    case DD_T_DOUBLE:
    case DD_T_FLOAT:
        *expected = "a number";
        s = codec_text_trim(text, tmp, sizeof tmp);
        return s ? codec_text_double(s) : NULL;
    case DD_T_BOOLEAN:
        *expected = "a boolean";
        s = codec_text_trim(text, tmp, sizeof tmp);
        if (s && strcasecmp(s, "true") == 0)
            return json_true();
        if (s && strcasecmp(s, "false") == 0)
            return json_false();
        return NULL;
    case DD_T_TIMESTAMP:
        *expected = "a timestamp";
        s = codec_text_trim(text, tmp, sizeof tmp);
        if (!s || codec_parse_timestamp(s, &epoch) != 0)
            return NULL;
        /* whole seconds stay integers, as the internal form promises */
        if (codec_text_is_whole(epoch))
            return json_integer((json_int_t)epoch);
        return json_real(epoch);
    case DD_T_BLOB:
        *expected = "base64-encoded binary data";
        return codec_text_is_base64(text) ? json_string(text) : NULL;
    default:
        *expected = "a string";
        v = json_string(text); /* NULL for invalid UTF-8 */
        return v;
    }
}
