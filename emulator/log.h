/*
 * log.h - one line per event on stderr. Secrets never reach it: request
 * bodies are not logged, only service, operation, status and latency.
 */
#ifndef DD_LOG_H
#define DD_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
/* Parses "error", "warn", "info", "debug"; -1 if none. */
int log_parse_level(const char *s);
int log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
