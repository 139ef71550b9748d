/*
 * appautoscaling_internal.h - what the Application Auto Scaling files share.
 *
 * State, all isolated by (account, region), keyed by the scalable target's
 * (namespace, resource id, scalable dimension):
 *   aas_target     scalable targets: limits, role, suspended state
 *   aas_policy     scaling policies: type, configuration (as given), the alarms
 *                  of a target tracking policy, and the cooldown bookkeeping
 *                  (when it last scaled out / in, and from what capacity)
 *   aas_scheduled  scheduled actions, with the next time each runs
 *   aas_activity   scaling activities, newest last (seq)
 *
 * appautoscaling.c holds targets, activities and the service table;
 * appautoscaling_policy.c the policies and what an alarm makes them do;
 * appautoscaling_schedule.c scheduled actions, their expressions and time zones.
 *
 * Only ECS services (ecs / ecs:service:DesiredCount / service/CLUSTER/SERVICE)
 * are resources drydock emulates; every other namespace's resources do not
 * exist, so nothing can be registered there.
 */
#ifndef DD_APPAUTOSCALING_INTERNAL_H
#define DD_APPAUTOSCALING_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "appautoscaling.h"

#define AAS_SCHEDULE_EVENT "application-autoscaling.scheduled-action.run"

/* The identity of a scalable target (borrowed strings). */
struct aas_key {
    const char *ns, *rid, *dim;
};

/* A scalable target as stored. */
struct aas_target {
    char ns[32], dim[96], rid[1601], role[1601];
    int64_t min, max, created_ms;
    bool susp_in, susp_out, susp_sched;
};

/* The key an operation's input names (ServiceNamespace, ResourceId, ScalableDimension). */
struct aas_key aas_input_key(json_t *in);
/* The key of a stored target (borrowed from t). */
struct aas_key aas_target_key(const struct aas_target *t);

/* Loads a target: 0, or 1 when it is not registered. */
int aas_target_get(struct dd_request *r, const struct aas_key *k, struct aas_target *t);
/* Loads a target that must be registered: 0, or -1 with ObjectNotFoundException. */
int aas_target_must_exist(struct dd_request *r, const struct aas_key *k, struct aas_target *t);

/* Creates or updates a target: 0 or -1. */
int aas_target_save(struct dd_request *r, const struct aas_target *t);

/* The current capacity of the target (the ECS service's desired count):
 * 0, or 1 when the resource is gone. */
int aas_capacity(struct dd_request *r, const struct aas_target *t, int64_t *capacity);

/*
 * Sets the target's capacity to `capacity` and records a successful activity
 * with `cause`: 0, 1 when the resource is gone (nothing recorded), -1 on error.
 */
int aas_scale(struct dd_request *r, const struct aas_target *t, int64_t capacity, const char *cause);

/* Brings the capacity inside [min, max] (an activity with `cause` when it moves): 0 or -1. */
int aas_clamp(struct dd_request *r, const struct aas_target *t, const char *cause);

/* The cached statement for `sql` with ?1 account, ?2 region and the key's
 * ns, rid, dim bound to ?3, ?4, ?5 (NULL members bind NULL). */
sqlite3_stmt *aas_stmt(struct dd_request *r, const char *sql, const struct aas_key *k);

/* An integer column, -1 when NULL (absent times and capacities). */
int64_t aas_col_int(sqlite3_stmt *st, int i);

/* One page of `items` (stolen) as {member: [...], "NextToken": ...}, MaxResults default 50. */
json_t *aas_page(json_t *in, json_t *items, const char *member);

/* Records ValidationException with `fmt` and returns -1. */
int aas_invalid(struct dd_request *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ObjectNotFoundException "No scalable target registered for ..." (PutScalingPolicy, PutScheduledAction). */
int aas_not_registered(struct dd_request *r, const struct aas_key *k);

/* Deletes everything a target owns (policies and their alarms, scheduled actions): 0 or -1. */
int aas_policies_delete_all(struct dd_request *r, const struct aas_key *k);
int aas_scheduled_delete_all(struct dd_request *r, const struct aas_key *k);

/* The scheduled action's run (sim event). */
int aas_scheduled_run(struct dd_request *r, const char *arn, json_t *payload);

/* ---- handlers --------------------------------------------------------------------------------- */
#define AAS_HANDLERS(X)                                                                                                \
    X(RegisterScalableTarget, 0)                                                                                       \
    X(DescribeScalableTargets, DD_OP_READ) X(DeregisterScalableTarget, 0) X(PutScalingPolicy, 0)                       \
        X(DescribeScalingPolicies, DD_OP_READ) X(DeleteScalingPolicy, 0) X(DescribeScalingActivities, DD_OP_READ)      \
            X(PutScheduledAction, 0) X(DescribeScheduledActions, DD_OP_READ) X(DeleteScheduledAction, 0)

#define AAS_DECLARE(op, flags) json_t *aas_op_##op(struct dd_request *r, json_t *in);
AAS_HANDLERS(AAS_DECLARE)
#undef AAS_DECLARE

#endif
