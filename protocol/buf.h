/*
 * buf.h - a growable byte buffer, used by every codec and the HTTP layer.
 */
#ifndef DD_BUF_H
#define DD_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct dd_buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
};

/* Appends; all abort on allocation failure (the process cannot go on without memory). */
void buf_append(struct dd_buf *b, const void *data, size_t len);
void buf_puts(struct dd_buf *b, const char *s);
void buf_putc(struct dd_buf *b, char c);
void buf_printf(struct dd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct dd_buf *b, const char *fmt, va_list ap);
/* Appends `s` escaped for XML text and attribute values. */
void buf_put_xml(struct dd_buf *b, const char *s);
/* Appends `s` percent-encoded per RFC 3986 (unreserved characters kept), as SigV4 wants. */
void buf_put_uri(struct dd_buf *b, const char *s, size_t len, int keep_slash);
/* Appends the shortest text that reads back as exactly `v`; with
 * `whole_as_real`, a whole value keeps ".0" (5.0, not 5). */
void buf_put_double(struct dd_buf *b, double v, int whole_as_real);
/* The value of one hex digit, or -1. */
int buf_hex_digit(char c);
void buf_reset(struct dd_buf *b);
void buf_free(struct dd_buf *b);
/* Gives the data away (caller frees it) and empties the buffer. */
char *buf_steal(struct dd_buf *b);

#endif
