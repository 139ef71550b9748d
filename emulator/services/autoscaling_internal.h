/*
 * autoscaling_internal.h - what the EC2 Auto Scaling files share.
 *
 * State, all isolated by (account, region):
 *   asg_group     groups: name and a document shaped like DescribeAutoScalingGroups'
 *                 AutoScalingGroup without Instances; members starting with '_' are ours
 *                 (_created_ms; _cause, the request that last moved the desired capacity;
 *                 _scaled_ms, when the group last scaled, for its default cooldown)
 *   asg_instance  the groups' instances: lifecycle state, health, protection
 *   asg_activity  scaling activities, newest last (seq)
 *   asg_policy    scaling policies: a DescribePolicies-shaped document (with the alarms
 *                 of a target tracking policy) and when the policy last scaled
 *
 * autoscaling.c holds the service table, activities, tags and the processes; autoscaling_group.c groups, their
 * instances and the reconcile event that keeps InService = desired; autoscaling_policy.c policies and what alarms make
 * them do.
 */
#ifndef DD_AUTOSCALING_INTERNAL_H
#define DD_AUTOSCALING_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "autoscaling.h"

#define ASG_RECONCILE_EVENT "autoscaling.group.reconcile"

/* A group as stored: `doc` is an owned reference. */
struct asg_group {
    char name[256];
    json_t *doc;
};

/* Loads group `name`: 0, or 1 when there is none. */
int asg_group_load(struct dd_request *r, const char *name, struct asg_group *g);
/* Loads a group that must exist: 0, or -1 with ValidationError "AutoScalingGroup name not found". */
int asg_group_or_err(struct dd_request *r, const char *name, struct asg_group *g);
/* The names of every group, oldest first (new reference): callers may run statements while walking them. */
json_t *asg_group_names(struct dd_request *r);
/* One page of `items` (stolen) as {member: [...], "NextToken": ...}: MaxRecords (default `dflt`) from NextToken. */
json_t *asg_page(json_t *in, json_t *items, const char *member, json_int_t dflt);
/* Stores g->doc: 0 or -1. */
int asg_group_save(struct dd_request *r, const struct asg_group *g);
void asg_group_free(struct asg_group *g);

/*
 * Moves the group's desired capacity to `desired` for the reason `why` (AWS's cause wording after "At TIME ": "a user
 * request explicitly set group desired capacity"), saves the group and schedules its reconcile. 0 or -1.
 */
int asg_set_desired(struct dd_request *r, struct asg_group *g, int64_t desired, const char *why);

/* Schedules the group's reconcile after `delay_ms` (replacing a pending one): 0 or -1. */
int asg_poke(struct dd_request *r, const char *name, int64_t delay_ms);

/* Whether the group's process `name` ("Launch", "AlarmNotification", ...) is suspended. */
bool asg_suspended(const struct asg_group *g, const char *process);

/* Clock time `ms` as AWS writes it in causes: 2024-05-14T10:20:30Z. */
void asg_iso(int64_t ms, char out[32]);

/* Records an activity: 0 or -1. `message` and `details` may be NULL. The activity's id into id_out when not NULL. */
int asg_activity_add(struct dd_request *r, const char *group, const char *description, const char *cause,
                     const char *status, const char *message, char id_out[37]);
/* An activity as the API returns it (new reference), NULL when there is none.
 */
json_t *asg_activity_json(struct dd_request *r, const char *id);

/* Applies `tags` (a CreateOrUpdateTags/DeleteTags Tags list, borrowed) to their groups, with the tag rules; `delete`
 * removes them: 0 or -1. */
int asg_tags_apply(struct dd_request *r, json_t *tags, bool delete);

/* Deletes everything of a group's policies (and their alarms): 0 or -1. */
int asg_policies_delete_all(struct dd_request *r, const char *group);

/* The reconcile event (autoscaling_group.c). */
int asg_reconcile(struct dd_request *r, const char *name, json_t *payload);

/* ---- handlers ---------------------------------------------------------------------------------------- */
#define ASG_HANDLERS(X)                                                                                                \
    X(CreateAutoScalingGroup, 0)                                                                                       \
    X(UpdateAutoScalingGroup, 0)                                                                                       \
    X(DeleteAutoScalingGroup, 0)                                                                                       \
    X(DescribeAutoScalingGroups, DD_OP_READ)                                                                           \
    X(DescribeAutoScalingInstances, DD_OP_READ)                                                                        \
    X(SetDesiredCapacity, 0)                                                                                           \
    X(TerminateInstanceInAutoScalingGroup, 0)                                                                          \
    X(SetInstanceProtection, 0)                                                                                        \
    X(SetInstanceHealth, 0)                                                                                            \
    X(AttachLoadBalancerTargetGroups, 0)                                                                               \
    X(DetachLoadBalancerTargetGroups, 0)                                                                               \
    X(DescribeLoadBalancerTargetGroups, DD_OP_READ)                                                                    \
    X(DescribeScalingActivities, DD_OP_READ)                                                                           \
    X(SuspendProcesses, 0)                                                                                             \
    X(ResumeProcesses, 0)                                                                                              \
    X(DescribeScalingProcessTypes, DD_OP_READ)                                                                         \
    X(CreateOrUpdateTags, 0)                                                                                           \
    X(DeleteTags, 0)                                                                                                   \
    X(DescribeTags, DD_OP_READ)                                                                                        \
    X(DescribeLifecycleHooks, DD_OP_READ)                                                                              \
    X(PutScalingPolicy, 0)                                                                                             \
    X(DescribePolicies, DD_OP_READ)                                                                                    \
    X(DeletePolicy, 0)                                                                                                 \
    X(ExecutePolicy, 0)

#define ASG_DECLARE(op, flags) json_t *asg_op_##op(struct dd_request *r, json_t *in);
ASG_HANDLERS(ASG_DECLARE)
#undef ASG_DECLARE

#endif
