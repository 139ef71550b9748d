/*
 * sim.h - the simulation engine: one queue of timed events on the emulator clock.
 *
 * Every lifecycle that takes time in AWS (a NAT gateway becoming available,
 * a task starting, a target turning healthy, an alarm firing) is an event a
 * handler schedules inside its own transaction:
 *
 *     sim_schedule(r, sim_delay_ms(1000, 60000), "ec2.nat_gateway.available", id, NULL);
 *
 * so the resource and its future change commit together or not at all.
 * When the event is due, its handler runs in a transaction of its own with
 * `r->now_ms` set to the moment it was due, and may schedule more events.
 *
 * In real time a background thread runs events as they fall due. With the
 * manual clock nothing happens until the clock is advanced (admin API); the
 * advance runs every event due up to the new time, in time order, before it
 * returns - so CI runs are deterministic and never sleep.
 */
#ifndef DD_SIM_H
#define DD_SIM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "service.h"

/* Runs one due event. `resource` and `payload` (borrowed, may be NULL) are
 * what was scheduled. Returns 0, or -1 after recording r->err (rolled back). */
typedef int (*sim_fn)(struct dd_request *r, const char *resource, json_t *payload);

struct sim_kind {
    const char *name; /* "service.resource.event", unique */
    sim_fn fn;
};

enum sim_pace {
    SIM_FAST, /* short delays: seconds become milliseconds (the default) */
    SIM_AWS,  /* AWS-like delays */
};

void sim_set_pace(enum sim_pace pace);
/* The delay to use: `fast_ms` or `aws_ms` depending on the pace. */
int64_t sim_delay_ms(int64_t fast_ms, int64_t aws_ms);

/* Schedules `kind` for `resource` after `delay_ms`, in r's transaction.
 * `payload` is borrowed. Returns 0 or -1 (r->err set). */
int sim_schedule(struct dd_request *r, int64_t delay_ms, const char *kind, const char *resource, json_t *payload);

/* Drops pending events of `kind` (NULL: any) for `resource`, in r's transaction. */
void sim_cancel(struct dd_request *r, const char *kind, const char *resource);

/* Runs every event due at or before the clock's current time. Returns how many ran. */
int sim_run_due(void);

/* Starts/stops the background thread that runs events in real time. */
int sim_start(void);
void sim_stop(void);

/* Wakes the background thread (the clock moved or an event was scheduled). */
void sim_wake(void);

/* Pending events (all accounts), for the admin API and tests. */
int64_t sim_pending(void);

#endif
