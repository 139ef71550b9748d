/*
 * rds_internal.h - what the RDS resource families (rds_*.c) share.
 *
 * DB instances, DB subnet groups, DB parameter groups and DB snapshots are
 * rows of one table, `rds_resources`: the type (the ARN's resource segment:
 * "db", "subgrp", "pg", "snapshot"), the name (stored lowercase, as RDS stores
 * identifiers), a parent (an instance's subnet group, a snapshot's instance)
 * and `doc`, the resource exactly as Describe returns it (keys starting with
 * '_' are private and never leave the emulator). Tags live in `rds_tags`,
 * keyed by ARN. So one store, one pager and one tag mechanism serve every
 * family.
 *
 * Engines, versions, instance classes and default parameters come from
 * fixtures/rds_engines.json.
 */
#ifndef DD_RDS_INTERNAL_H
#define DD_RDS_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "service.h"

/* A resource type. */
struct rds_kind {
    const char *type;        /* the row's type and the ARN segment: "db" */
    const char *not_found;   /* "DBInstanceNotFound" */
    const char *missing_fmt; /* its message, one %s (the name) */
};

extern const struct rds_kind rds_kind_db, rds_kind_subgrp, rds_kind_pg, rds_kind_snapshot;

/* A row of rds_resources. Strings are owned (malloc'd), doc is a new reference. */
struct rds_res {
    int64_t seq; /* 0 until stored */
    const struct rds_kind *kind;
    char *name, *parent;
    json_t *doc;
};

/* ---- the store (rds.c) ------------------------------------------------------ */
/* Loads `name` (compared lowercase) of `kind`; 0 found, 1 absent. */
int rds_load(struct dd_request *r, const struct rds_kind *kind, const char *name, struct rds_res *out);
/* Loads `name` (or an ARN of the kind) or records kind->not_found (404) and returns -1. */
int rds_get_or_err(struct dd_request *r, const struct rds_kind *kind, const char *name, struct rds_res *out);
/* A fresh resource with an empty doc; name lowercased, parent copied. */
void rds_res_init(struct rds_res *res, const struct rds_kind *kind, const char *name, const char *parent);
/* Inserts (seq 0) or updates the row. */
void rds_res_save(struct dd_request *r, struct rds_res *res);
/* Deletes the row, its tags and its pending events. */
void rds_res_delete(struct dd_request *r, struct rds_res *res);
void rds_res_free(struct rds_res *res);
/* Rows of `kind` whose parent is `parent`. */
int64_t rds_count(struct dd_request *r, const struct rds_kind *kind, const char *parent);
/* The name of the first row of `kind` with parent `parent` into out ("" when none). */
void rds_first_child(struct dd_request *r, const struct rds_kind *kind, const char *parent, char out[256]);
/* Calls fn for each row of `kind` (with `parent`, any when NULL) in creation order. */
typedef void (*rds_each_fn)(struct dd_request *r, struct rds_res *res, void *ctx);
void rds_each(struct dd_request *r, const struct rds_kind *kind, const char *parent, rds_each_fn fn, void *ctx);
/* arn:aws:rds:REGION:ACCOUNT:<type>:<name> (new string). */
char *rds_arn(struct dd_request *r, const struct rds_kind *kind, const char *name);
/* The doc without private keys, with TagList when `with_tags` (new reference). */
json_t *rds_public(struct dd_request *r, struct rds_res *res, bool with_tags);

/* ---- Describe paging ---------------------------------------------------------- */
/*
 * One page of the rows of `kind` for which `keep` (NULL: all) says true,
 * rendered by rds_public (TagList when `with_tags`), under the input's
 * Marker and MaxRecords (20 to 100, default 100): {member: [...], Marker?}
 * (new), or NULL with r->err set.
 */
typedef bool (*rds_keep_fn)(struct dd_request *r, struct rds_res *res, void *ctx);
json_t *rds_describe(struct dd_request *r, json_t *in, const struct rds_kind *kind, const char *member,
                     bool with_tags, rds_keep_fn keep, void *ctx);
/* One page of an already built list (steals `items`): offsets as markers. NULL with r->err. */
json_t *rds_page_list(struct dd_request *r, json_t *in, json_t *items, const char *member);
/* Whether the call's Filters (borrowed) name only `known` (NULL-terminated): 0, or -1 with the error. */
int rds_filters_check(struct dd_request *r, json_t *filters, const char *const *known);
/* Whether `value` passes the filter `name` of the call (true when the call has no such filter). */
bool rds_filter_pass(json_t *filters, const char *name, const char *value);

/* ---- tags ---------------------------------------------------------------------- */
/* Adds [{Key, Value}] (borrowed, may be NULL) to `arn`. 0 or -1. */
int rds_tags_add(struct dd_request *r, const char *arn, json_t *tags);
/* [{Key, Value}] of `arn` (new). */
json_t *rds_tags_of(struct dd_request *r, const char *arn);

/* ---- rules shared by the families ------------------------------------------------- */
/*
 * AWS's identifier rule (instances, snapshots, parameter groups): 1 to `max`
 * letters, digits or hyphens, starting with a letter, not ending with a
 * hyphen nor holding two in a row. 0, or -1 with InvalidParameterValue
 * "The parameter <member> is not a valid identifier. ...".
 */
int rds_identifier_or_err(struct dd_request *r, const char *member, const char *value, size_t max);
/* A copy of s in lowercase into out (n bytes). */
void rds_lower(const char *s, char *out, size_t n);

/* ---- engines (rds_engine.c, fixtures/rds_engines.json) -------------------------------- */
/* The fixture (borrowed, loaded once). */
json_t *rds_fixture(void);
/* The engine's fixture entry (borrowed) or NULL. */
json_t *rds_engine(const char *engine);
/* The full version for `version` (exact, or a major like "16" / "8.0": its newest minor), or NULL. */
const char *rds_engine_version(json_t *engine, const char *version);
/* The parameter group family of an engine version into out ("postgres16", "mysql8.0"). */
void rds_family(json_t *engine, const char *version, char out[64]);
/* The engine whose family is `family` (borrowed) and its name into name, or NULL. */
json_t *rds_family_engine(const char *family, const char **name);
/* Compares dotted numeric versions ("16.10" > "16.9"): <0, 0, >0. */
int rds_version_cmp(const char *a, const char *b);
/* Whether `cls` is an instance class RDS offers. */
bool rds_class_known(const char *cls);
/* "default:postgres-16" / "default:mysql-8-0" for an engine version into out. */
void rds_option_group(json_t *engine, const char *name, const char *version, char out[64]);

/* ---- subnet groups (rds_subnet_group.c) ------------------------------------------------- */
/* The group `name` for an instance (NULL: "default", made from the default VPC
 * as AWS does on first use), as a new DBSubnetGroup document. NULL with r->err. */
json_t *rds_subnet_group_for_instance(struct dd_request *r, const char *name);

/* ---- parameter groups (rds_param.c) ------------------------------------------------------- */
/* Checks that group `name` (NULL: the family's default) exists and fits `family`;
 * its name into out. Default groups are created on first use. 0 or -1. */
int rds_param_group_for_instance(struct dd_request *r, const char *name, const char *family, char out[256]);
/* Instances of parameter group `name` whose static changes now wait for a reboot. */
void rds_param_group_changed(struct dd_request *r, const char *name);

/* ---- instances (rds_instance.c), for snapshots ------------------------------------------------ */
/* Creates an instance from a CreateDBInstance-shaped input (borrowed); `snapshot`
 * (borrowed, may be NULL) is the DBSnapshot restored. New {DBInstance}, or NULL. */
json_t *rds_instance_create(struct dd_request *r, json_t *in, json_t *snapshot);
/* A new manual snapshot of `db` named `name` in state creating (its
 * completion scheduled). 0, or -1 (DBSnapshotAlreadyExists, ...). */
int rds_snapshot_take(struct dd_request *r, struct rds_res *db, const char *name, json_t *tags);

/* ---- handlers (named like the operation) ------------------------------------------------------- */
#define RDS_HANDLERS(X)                                                                                             \
    X(CreateDBSubnetGroup, 0) X(DescribeDBSubnetGroups, DD_OP_READ) X(ModifyDBSubnetGroup, 0)                      \
    X(DeleteDBSubnetGroup, 0) X(CreateDBInstance, 0) X(DescribeDBInstances, DD_OP_READ) X(ModifyDBInstance, 0)     \
    X(DeleteDBInstance, 0) X(RebootDBInstance, 0) X(StopDBInstance, 0) X(StartDBInstance, 0)                       \
    X(CreateDBParameterGroup, 0) X(DescribeDBParameterGroups, DD_OP_READ) X(DeleteDBParameterGroup, 0)             \
    X(ModifyDBParameterGroup, 0) X(ResetDBParameterGroup, 0) X(DescribeDBParameters, DD_OP_READ)                   \
    X(CreateDBSnapshot, 0) X(DescribeDBSnapshots, DD_OP_READ) X(DeleteDBSnapshot, 0)                               \
    X(RestoreDBInstanceFromDBSnapshot, 0) X(AddTagsToResource, 0) X(RemoveTagsFromResource, 0)                     \
    X(ListTagsForResource, DD_OP_READ) X(DescribeDBEngineVersions, DD_OP_READ)                                     \
    X(DescribeOrderableDBInstanceOptions, DD_OP_READ)

#define RDS_DECLARE(op, flags) json_t *rds_op_##op(struct dd_request *r, json_t *in);
RDS_HANDLERS(RDS_DECLARE)
#undef RDS_DECLARE

/* Simulation events (rds_instance.c, rds_snapshot.c). */
int rds_instance_settle(struct dd_request *r, const char *arn, json_t *payload);
int rds_snapshot_available(struct dd_request *r, const char *arn, json_t *payload);

/* The admin action apply-pending (rds_instance.c). */
json_t *rds_admin_apply_pending(struct dd_request *r, json_t *params);

#endif
