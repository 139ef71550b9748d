/*
 * clock.h - the emulator's one clock.
 *
 * Every lifecycle (and every timestamp a service writes) reads this clock.
 * It runs in real time, or is manual: it then moves only when advanced
 * (through the admin API), so CI runs are deterministic and never sleep.
 */
#ifndef DD_CLOCK_H
#define DD_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Milliseconds since the epoch on the emulator's clock. */
int64_t clock_now_ms(void);
/* Switches to manual mode (frozen at the current time) or back to real time. */
void clock_set_manual(bool manual);
bool clock_is_manual(void);
/* Moves the clock forward by `ms` (either mode: real time gains an offset). */
void clock_advance_ms(int64_t ms);
/* Monotonic wall time in nanoseconds, for latency measurement only. */
int64_t clock_mono_ns(void);

#endif
