/*
 * autoscaling_steps.h - the arithmetic both Auto Scalings share (EC2 Auto Scaling's autoscaling_policy.c and
 * Application Auto Scaling's appautoscaling_policy.c): step adjustment intervals and percentage changes. Header-only
 * (static inline): each user gets its own copy, no new module.
 */
#ifndef DD_AUTOSCALING_STEPS_H
#define DD_AUTOSCALING_STEPS_H

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A step adjustment's interval, infinite where a bound is absent. */
struct step_interval {
    double lo, hi;
    bool has_lo, has_hi;
};

static inline struct step_interval step_interval_of(json_t *step)
{
    json_t *lo = json_object_get(step, "MetricIntervalLowerBound"),
           *hi = json_object_get(step, "MetricIntervalUpperBound");
    return (struct step_interval){lo ? json_number_value(lo) : -INFINITY, hi ? json_number_value(hi) : INFINITY,
                                  lo != NULL, hi != NULL};
}

/* The step whose interval holds `diff` (the metric's distance from the alarm threshold), or NULL (borrowed). */
static inline json_t *step_for(json_t *steps, double diff)
{
    size_t i;
    json_t *s;
    json_array_foreach(steps, i, s)
    {
        struct step_interval iv = step_interval_of(s);
        /* above the threshold the lower bound is inclusive, below it the upper one
         */
        if (diff >= 0 ? iv.lo <= diff && diff < iv.hi : iv.lo < diff && diff <= iv.hi)
            return s;
    }
    return NULL;
}

/* The change a percentage asks for, rounded as AWS does (toward zero, but at least one). */
static inline int64_t percent_change(int64_t capacity, int64_t percent)
{
    double d = (double)capacity * (double)percent / 100.0;
    if (d > 1)
        return (int64_t)floor(d);
    if (d > 0)
        return 1;
    if (d >= -1)
        return d < 0 ? -1 : 0;
    return (int64_t)ceil(d);
}

/* The capacity an adjustment of `type` (ExactCapacity, ChangeInCapacity, PercentChangeInCapacity) by `adj` asks for
 * from `cur`; a percentage moves at least `min_magnitude` when it moves at all. */
static inline int64_t adjusted_capacity(const char *type, int64_t adj, int64_t cur, int64_t min_magnitude)
{
    if (strcmp(type, "ExactCapacity") == 0)
        return adj;
    if (strcmp(type, "ChangeInCapacity") == 0)
        return cur + adj;
    int64_t change = percent_change(cur, adj);
    if (change != 0 && llabs(change) < min_magnitude)
        change = change > 0 ? min_magnitude : -min_magnitude;
    return cur + change;
}

#endif
