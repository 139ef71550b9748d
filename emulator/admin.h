/*
 * admin.h - the admin API under /_drydock/ (the only place drydock differs from AWS).
 *
 *   GET  /_drydock/health   version, uptime, services and their operation counts
 *   POST /_drydock/reset    everything, or one account: {"account": "123456789012"}
 *                           (or ?account=...)
 *   GET  /_drydock/clock    the emulator clock
 *   POST /_drydock/clock    {"mode": "manual"|"real"} and/or {"advance_seconds": N}
 */
#ifndef DD_ADMIN_H
#define DD_ADMIN_H

#include <stddef.h>

#include "../protocol/buf.h"

/* Answers one admin request into `out` (JSON); returns the HTTP status. */
int admin_handle(const char *method, const char *uri, const char *body, size_t len, struct dd_buf *out);

#endif
