/* clock.c - the emulator clock (see clock.h). */
#include "clock.h"

#include <stdatomic.h>
#include <time.h>

static _Atomic int64_t offset_ms;    /* added to real time */
static _Atomic int64_t frozen_ms;    /* manual mode: the current time */
static _Atomic bool manual;

static int64_t real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_now_ms(void)
{
    return atomic_load(&manual) ? atomic_load(&frozen_ms) : real_ms() + atomic_load(&offset_ms);
}

void clock_set_manual(bool on)
{
    if (on == atomic_load(&manual))
        return;
    if (on) {
        atomic_store(&frozen_ms, real_ms() + atomic_load(&offset_ms));
    } else {
        atomic_store(&offset_ms, atomic_load(&frozen_ms) - real_ms());
    }
    atomic_store(&manual, on);
}

bool clock_is_manual(void)
{
    return atomic_load(&manual);
}

void clock_advance_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    if (atomic_load(&manual))
        atomic_fetch_add(&frozen_ms, ms);
    else
        atomic_fetch_add(&offset_ms, ms);
}

int64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
