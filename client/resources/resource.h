/*
 * resource.h - resource drivers: one `struct rs_driver` per AWS::Service::Type.
 *
 * A family file (resources/ec2.c, iam.c, ...) exports a NULL-terminated
 * array of drivers; registry.c lists the families. A driver maps a resource's
 * (resolved) Properties to API calls through aws_call(), and nothing else:
 * ordering, parallelism, state and plans are the engine's.
 */
#ifndef DD_RESOURCE_H
#define DD_RESOURCE_H

#include <jansson.h>
#include <stdbool.h>

#include "../../protocol/error.h"
#include "../transport.h"

struct rs_ctx {
    const struct aws_target *aws;
    const char *stack;       /* stack name, for generated physical names */
    const char *logical_id;
    const char *physical_id; /* read, update, remove: the resource's id */
    json_t *old_props;       /* update: the properties as last applied (borrowed) */
    json_t *attrs;           /* read: the object to fill with "Ref" and Fn::GetAtt attributes (borrowed) */
    const char *deletion_policy; /* remove: the resource's DeletionPolicy ("Delete", "Snapshot"), NULL if none */
    struct dd_error err;     /* the AWS error of a failed call */
    /* Reports a long step ("waiting for available"); may be NULL. */
    void (*progress)(struct rs_ctx *c, const char *status);
    void *ud;
};

struct rs_driver {
    const char *type;               /* "AWS::EC2::VPC" */
    const char *const *required;    /* required properties (validate), NULL-terminated, or NULL */
    const char *const *replace;     /* properties whose change replaces the resource; {"*"}: any change */
    const char *const *attributes;  /* the names Fn::GetAtt accepts, NULL-terminated */
    /* Creates the resource and waits until it is usable; sets *physical_id (new string). */
    int (*create)(struct rs_ctx *c, json_t *props, char **physical_id);
    /* Fills c->attrs: "Ref" (when it is not the physical id) and the attributes. NULL: Ref only. */
    int (*read)(struct rs_ctx *c, json_t *props);
    /* Changes the resource in place from c->old_props to `props`. NULL: every change replaces. */
    int (*update)(struct rs_ctx *c, json_t *props);
    /* Deletes the resource and waits until it is gone; a resource already gone is success. */
    int (*remove)(struct rs_ctx *c, json_t *props);
};

/* The driver for `type`, or NULL. AWS::CDK::Metadata has a driver that creates nothing. */
const struct rs_driver *rs_find(const char *type);

/* ---- helpers shared by the drivers -------------------------------------------------------- */

/* Calls the API with `input` (stolen). New reference to the output, or NULL with c->err set. */
json_t *rs_call(struct rs_ctx *c, const char *service, const char *op, json_t *input);
/* Same, discarding the output: 0 or -1. */
int rs_do(struct rs_ctx *c, const char *service, const char *op, json_t *input);
/* Whether the last error says the resource does not exist (deleting it is then done). */
bool rs_gone(const struct rs_ctx *c);
/* Records an error of the driver's own and returns -1. */
int rs_fail(struct rs_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The first item of out[list] (borrowed), e.g. Vpcs[0]. */
json_t *rs_first(json_t *out, const char *list);
/* Calls `op` (input stolen) and takes the new physical id from out[container][id_key], or with
 * `container` NULL from out[id_key]; with `in_list`, out[container][0][id_key]. New string in *id. */
int rs_create_id(struct rs_ctx *c, const char *service, const char *op, json_t *in, const char *container,
                 bool in_list, const char *id_key, char **id);
/* `op` {id_key: physical id}; a resource already gone counts as deleted. 0 or -1. */
int rs_delete_id(struct rs_ctx *c, const char *service, const char *op, const char *id_key);
/* `op` {ids_key: [physical id]}: the first item of out[list] (new reference), or NULL with c->err. */
json_t *rs_describe_one(struct rs_ctx *c, const char *service, const char *op, const char *ids_key,
                        const char *list);
/* Copies item[from] to c->attrs[to] when present. */
void rs_attr(struct rs_ctx *c, json_t *item, const char *from, const char *to);

/* A CloudFormation-style generated name: stack-LogicalId-RANDOM, at most `max` characters. New string. */
char *rs_physical_name(struct rs_ctx *c, size_t max);
/* props[key] as a string (borrowed) or NULL. */
const char *rs_str(json_t *props, const char *key);
/* Whether props[key] differs from c->old_props[key]. */
bool rs_changed(struct rs_ctx *c, json_t *props, const char *key);
/* A copy of `props` keeping only `keys` (NULL-terminated). New reference. */
json_t *rs_pick(json_t *props, const char *const *keys);

/* Whether calls go to an endpoint given on the command line or in $AWS_ENDPOINT_URL (the emulator). */
bool rs_emulated(const struct rs_ctx *c);

/*
 * Polls `probe` until it says done (1) or failed (-1), for at most
 * `timeout_s`: every 50 ms against the emulator (its fast clock), else
 * backing off from 1 s to the SDK waiters' 15 s. `what` is shown as progress
 * ("waiting for available").
 */
int rs_wait(struct rs_ctx *c, const char *what, int (*probe)(struct rs_ctx *c, void *ud), void *ud, int timeout_s);

/* EC2: TagSpecifications for CloudFormation Tags (borrowed), or NULL when none. New reference. */
json_t *rs_ec2_tag_spec(json_t *tags, const char *resource_type);
/* EC2: replaces the tags of `id` from c->old_props' Tags to `props`' Tags. */
int rs_ec2_update_tags(struct rs_ctx *c, const char *id, json_t *props);

/* Tags from c->old_props to `props`: the keys dropped (new array of strings) and the
 * [{Key, Value}] added or changed (new array). */
void rs_tag_changes(struct rs_ctx *c, json_t *props, json_t **removed, json_t **added);

/* How a service tags a resource by ARN: its untag and tag operations and their members. */
struct rs_tagging {
    const char *service;
    const char *untag_op, *tag_op;   /* "UntagResource", "TagResource" */
    const char *arn_key;             /* "resourceArn" */
    bool arn_list;                   /* the ARN goes in a list (ELBv2's ResourceArns) */
    const char *keys_key, *tags_key; /* "tagKeys", "tags" */
};

/* Moves the tags of `arn` from c->old_props' Tags to `props`' (nothing when they are the same):
 * untags the keys that went, tags what came or changed. 0 or -1. */
int rs_update_tags(struct rs_ctx *c, const struct rs_tagging *t, const char *arn, json_t *props);

#endif
