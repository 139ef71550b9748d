/*
 * elbv2_internal.h - what the ELBv2 resource families (elbv2_*.c) share.
 *
 * Load balancers, target groups, listeners and rules are rows of one table,
 * `elbv2_resources`: the ARN, the type, a name (load balancers and target
 * groups), a parent (a listener's load balancer, a rule's listener), a number
 * (a listener's port, a rule's priority; 0 for a listener's default rule),
 * `doc` - the resource exactly as Describe returns it (keys starting with '_'
 * are private and never leave the emulator) - and `attrs`, its attributes.
 * So one store, one pager and one tag mechanism serve every family.
 *
 * Beside it: `elbv2_tags` (every resource's tags), `elbv2_links` (which
 * listener or rule forwards to which target group of which load balancer:
 * "in use" and LoadBalancerArns come from here) and `elbv2_targets` (the
 * registered targets and their health).
 */
#ifndef DD_ELBV2_INTERNAL_H
#define DD_ELBV2_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "elbv2.h"
#include "service.h"

/* A resource type. */
struct elbv2_kind {
    const char *type;        /* the row's type: "lb" */
    const char *segment;     /* the ARN's resource segment with its slash: "loadbalancer/" */
    const char *noun;        /* "load balancer": "'x' is not a valid load balancer ARN" */
    const char *not_found;   /* "LoadBalancerNotFound" */
    const char *missing_fmt; /* its message, one %s (the ARN or name) */
};

extern const struct elbv2_kind elbv2_kind_lb, elbv2_kind_tg, elbv2_kind_listener, elbv2_kind_rule;

/* A row of elbv2_resources. Strings are owned (malloc'd), doc and attrs are new references. */
struct elbv2_res {
    int64_t seq; /* 0 until stored */
    const struct elbv2_kind *kind;
    char *arn, *name, *parent;
    int64_t num;
    json_t *doc;
    json_t *attrs;
};

/* ---- the store ----------------------------------------------------------- */
/* Loads `arn` of `kind`; 0 found, 1 absent. */
int elbv2_load(struct dd_request *r, const struct elbv2_kind *kind, const char *arn, struct elbv2_res *out);
/* Loads `arn` or records AWS's error (ValidationError for a value that is not
 * an ARN of this kind here, else kind->not_found) and returns -1. */
int elbv2_get_or_err(struct dd_request *r, const struct elbv2_kind *kind, const char *arn, struct elbv2_res *out);
/* Whether `arn` is an ARN of `kind` in r's account and region. */
bool elbv2_arn_wellformed(struct dd_request *r, const struct elbv2_kind *kind, const char *arn);
/* Records "'arn' is not a valid <noun> ARN" and returns -1. */
int elbv2_malformed(struct dd_request *r, const struct elbv2_kind *kind, const char *arn);
/* Loads the `kind` named `name`; 0 found, 1 absent. */
int elbv2_load_by_name(struct dd_request *r, const struct elbv2_kind *kind, const char *name, struct elbv2_res *out);
/* A fresh resource with an empty doc and attrs (arn, name, parent copied). */
void elbv2_res_init(struct elbv2_res *res, const struct elbv2_kind *kind, const char *arn, const char *name,
                    const char *parent);
/* Inserts (seq 0) or updates the row. */
void elbv2_res_save(struct dd_request *r, struct elbv2_res *res);
/* Deletes the row, its tags and the links it owns. */
void elbv2_res_delete(struct dd_request *r, const char *arn);
void elbv2_res_free(struct elbv2_res *res);
/* The Describe document: doc without its private keys (new reference). */
json_t *elbv2_public(json_t *doc);
/* Rows of `kind` (with `parent`, or any when NULL), in creation order.
 * fn returns 0 to go on, non-zero to stop (that value is returned). */
typedef int (*elbv2_each_fn)(struct dd_request *r, struct elbv2_res *res, void *ctx);
int elbv2_each(struct dd_request *r, const struct elbv2_kind *kind, const char *parent, elbv2_each_fn fn, void *ctx);
int64_t elbv2_count(struct dd_request *r, const struct elbv2_kind *kind, const char *parent);
/* A 16-digit hex id into out (17 bytes). */
void elbv2_new_id(char out[17]);
/* The fixture named `name` (borrowed; an empty object when absent). */
json_t *elbv2_fixture(const char *name);

/* ---- Describe: explicit lists or one page of everything ------------------- */
/*
 * The one Describe: with `arns` (borrowed, may be NULL or empty) every ARN
 * must name a `kind` (or the call fails); otherwise the rows of `kind` under
 * `parent` (NULL: all) are paged with the input's Marker and PageSize.
 * `render` turns a row into its output item (new reference, or NULL after
 * recording an error). Returns {member: [...], NextMarker?} (new) or NULL.
 */
typedef json_t *(*elbv2_render_fn)(struct dd_request *r, struct elbv2_res *res);
json_t *elbv2_describe(struct dd_request *r, json_t *in, const struct elbv2_kind *kind, json_t *arns,
                       const char *parent, const char *member, elbv2_render_fn render);

/* ---- tags ------------------------------------------------------------------ */
/* Adds `tags` (borrowed [{Key, Value}], may be NULL) to `arn`, with AWS's
 * checks (duplicate keys, at most 50). 0, or -1 with r->err set. */
int elbv2_tags_add(struct dd_request *r, const char *arn, json_t *tags);

/* ---- links: which listener or rule forwards to which target group --------- */
/* The target groups `actions` (borrowed) forward to, as a new array of ARNs. */
json_t *elbv2_action_groups(json_t *actions);
/* Replaces what `owner` (a listener or rule of load balancer `lb_arn`)
 * forwards to, and moves the targets of every group concerned between
 * "unused" and "initial". 0 or -1. */
int elbv2_links_set(struct dd_request *r, const char *owner, const char *lb_arn, json_t *actions);
/* Whether some listener or rule forwards to `tg_arn`. */
bool elbv2_tg_in_use(struct dd_request *r, const char *tg_arn);
/* The load balancers forwarding to `tg_arn` (new array of ARNs). */
json_t *elbv2_tg_load_balancers(struct dd_request *r, const char *tg_arn);
/* Target groups some listener or rule of `lb_arn` forwards to (new array). */
json_t *elbv2_lb_target_groups(struct dd_request *r, const char *lb_arn);

/* ---- targets (elbv2_tg.c) ----------------------------------------------------- */
/* The group's targets start (used) or stop (unused) their health checks. 0 or -1. */
int elbv2_targets_refresh(struct dd_request *r, const char *tg_arn);
/* Deletes every target of a group (and their pending events). */
void elbv2_targets_drop(struct dd_request *r, const char *tg_arn);

/* ---- attributes --------------------------------------------------------------- */
/* [{Key, Value}] of an attrs object (new reference). */
json_t *elbv2_attrs_list(json_t *attrs);
/* Applies [{Key, Value}] to attrs after checking each key is one of `defaults`'
 * keys: 0, or -1 with ValidationError "<what> attribute key '%s' is not recognized". */
int elbv2_attrs_apply(struct dd_request *r, json_t *attrs, json_t *changes, const char *what);

/* An attribute whose value AWS checks (the rest are free text; every
 * "*.enabled" key must be true or false). `values` NULL: an integer in [min, max]. */
struct elbv2_attr_rule {
    const char *key;
    long min, max;
    const char *const *values; /* NULL-terminated, or NULL */
};

/* Modify*Attributes / Describe*Attributes of the resource named by input member
 * `arn_member`: keys checked by elbv2_attrs_apply, values by `rules` (ending
 * with a NULL key). New reference, or NULL with r->err. */
json_t *elbv2_attrs_modify(struct dd_request *r, json_t *in, const struct elbv2_kind *kind, const char *arn_member,
                           const char *what, const struct elbv2_attr_rule *rules);
json_t *elbv2_attrs_describe(struct dd_request *r, json_t *in, const struct elbv2_kind *kind,
                             const char *arn_member);

/* ---- handlers (named like the operation) ---------------------------------- */
#define ELBV2_HANDLERS(X)                                                                                          \
    X(CreateLoadBalancer, 0) X(DescribeLoadBalancers, DD_OP_READ) X(DeleteLoadBalancer, 0)                         \
    X(ModifyLoadBalancerAttributes, 0) X(DescribeLoadBalancerAttributes, DD_OP_READ) X(SetSecurityGroups, 0)       \
    X(SetSubnets, 0) X(SetIpAddressType, 0) X(CreateTargetGroup, 0) X(DescribeTargetGroups, DD_OP_READ)           \
    X(ModifyTargetGroup, 0) X(DeleteTargetGroup, 0) X(ModifyTargetGroupAttributes, 0)                              \
    X(DescribeTargetGroupAttributes, DD_OP_READ) X(RegisterTargets, 0) X(DeregisterTargets, 0)                    \
    X(DescribeTargetHealth, DD_OP_READ) X(CreateListener, 0) X(DescribeListeners, DD_OP_READ) X(ModifyListener, 0) \
    X(DeleteListener, 0) X(AddListenerCertificates, 0) X(RemoveListenerCertificates, 0)                           \
    X(DescribeListenerCertificates, DD_OP_READ) X(DescribeSSLPolicies, DD_OP_READ) X(CreateRule, 0)               \
    X(DescribeRules, DD_OP_READ) X(ModifyRule, 0) X(DeleteRule, 0) X(SetRulePriorities, 0) X(AddTags, 0)          \
    X(RemoveTags, 0) X(DescribeTags, DD_OP_READ) X(DescribeAccountLimits, DD_OP_READ)

#define ELBV2_DECLARE(op, flags) json_t *elbv2_op_##op(struct dd_request *r, json_t *in);
ELBV2_HANDLERS(ELBV2_DECLARE)
#undef ELBV2_DECLARE

/* Simulation events. */
int elbv2_lb_active(struct dd_request *r, const char *arn, json_t *payload);
int elbv2_target_healthy(struct dd_request *r, const char *key, json_t *payload);
int elbv2_target_removed(struct dd_request *r, const char *key, json_t *payload);

/* The admin action target-health (elbv2_tg.c). */
json_t *elbv2_admin_target_health(struct dd_request *r, json_t *params);

/* Listener deletion with its rules and links (elbv2_listener.c), for DeleteLoadBalancer. */
void elbv2_listener_destroy(struct dd_request *r, struct elbv2_res *listener);

#endif
