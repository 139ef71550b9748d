/*
 * ec2_internal.h - what the EC2 resource families (ec2_*.c) share.
 *
 * Every EC2 resource is one row of `ec2_resources`: its id, its type, a few
 * indexed columns the rules need (the VPC it lives in, its parent, a name,
 * a reference) and `doc`, the resource exactly as Describe returns it
 * (keys starting with '_' are private and never leave the emulator).
 * Sub-objects with ids of their own (route table associations, security
 * group rules) are rows too, so one store, one filter engine and one pager
 * serve every Describe call.
 */
#ifndef DD_EC2_INTERNAL_H
#define DD_EC2_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "service.h"

/* One filter AWS documents for a Describe call: its name and where its
 * values live in the document ("Attachments.VpcId": arrays are traversed). */
struct ec2_filter_def {
    const char *name;
    const char *path;
};

/* A resource type. */
struct ec2_kind {
    const char *type;          /* the row's type: "vpc" */
    const char *prefix;        /* the id prefix with its dash: "vpc-" */
    const char *noun;          /* as AWS names it in messages: "vpc", "subnet", "routeTable" */
    const char *not_found;     /* "InvalidVpcID.NotFound" */
    const char *not_found_fmt; /* its message, one %s: "The vpc ID '%s' does not exist" */
    const char *malformed;     /* "InvalidVpcID.Malformed" (NULL: any id is looked up) */
    const char *list_member;   /* the Describe output list: "Vpcs" */
    const char *filter_member; /* the Describe input filters: "Filters" (NAT gateways: "Filter") */
    const char *tags_member;   /* "Tags" (network interfaces: "TagSet") */
    const char *tag_type;      /* DescribeTags resource-type / TagSpecifications: "vpc" */
    const struct ec2_filter_def *filters;
    /* Filters answered by an index when given one exact value (NULL: none). */
    const char *vpc_filter, *parent_filter, *name_filter;
    /* Adds derived members to a document before filtering (NULL: none). 0 or -1. */
    int (*render)(struct dd_request *r, json_t *doc);
};

extern const struct ec2_kind ec2_kind_vpc, ec2_kind_subnet, ec2_kind_igw, ec2_kind_eip, ec2_kind_nat,
    ec2_kind_rtb, ec2_kind_rtbassoc, ec2_kind_sg, ec2_kind_sgr, ec2_kind_eni, ec2_kind_key, ec2_kind_acl,
    ec2_kind_instance, ec2_kind_lt;

/* A row of ec2_resources. Strings are owned (malloc'd), doc is a new reference. */
struct ec2_res {
    int64_t seq; /* 0 until stored */
    const struct ec2_kind *kind;
    char id[64];
    char *vpc_id, *parent, *name, *ref;
    json_t *doc;
};

/* ---- ids ----------------------------------------------------------------- */
/* prefix + 17 hex digits ("vpc-0a1b...") into out (>= 64 bytes). */
void ec2_new_id(const char *prefix, char *out);
/* Whether `id` is prefix + 8 or 17 hex digits. */
bool ec2_id_wellformed(const char *id, const char *prefix);

/* ---- the store ----------------------------------------------------------- */
/* Loads `id`; 0 found, 1 absent. `kind` NULL accepts any type. */
int ec2_res_load(struct dd_request *r, const struct ec2_kind *kind, const char *id, struct ec2_res *out);
/* Loads `id` of `kind` or records AWS's Malformed / NotFound error and returns -1. */
int ec2_res_get_or_err(struct dd_request *r, const struct ec2_kind *kind, const char *id, struct ec2_res *out);
/* A fresh resource of `kind` with a new id and an empty doc. */
void ec2_res_init(struct ec2_res *res, const struct ec2_kind *kind);
/* Inserts (seq 0) or updates the row. */
void ec2_res_save(struct dd_request *r, struct ec2_res *res);
/* Deletes the row and its tags. */
void ec2_res_delete(struct dd_request *r, const char *id);
void ec2_res_free(struct ec2_res *res);
/* Sets one of the res string fields (vpc_id, parent, ...) to a copy of s (may be NULL). */
void ec2_set(char **field, const char *s);
/* Rows of `kind` whose `column` ("vpc_id", "parent", "name", "ref") equals value. */
int64_t ec2_count(struct dd_request *r, const struct ec2_kind *kind, const char *column, const char *value);
/* Calls fn for each row of `kind` whose column equals value (in creation order).
 * fn returns 0 to go on, non-zero to stop (that value is returned). */
typedef int (*ec2_each_fn)(struct dd_request *r, struct ec2_res *res, void *ctx);
int ec2_each(struct dd_request *r, const struct ec2_kind *kind, const char *column, const char *value,
             ec2_each_fn fn, void *ctx);
/* Document for `res` as Describe returns it: rendered, private keys removed (new reference). */
json_t *ec2_res_public(struct dd_request *r, struct ec2_res *res);

/* ---- tags ---------------------------------------------------------------- */
/* Applies the call's TagSpecifications for `res` (unsaved changes to doc; rows
 * after save: call ec2_tags_sync). Returns 0 or -1 with AWS's error. */
int ec2_tag_specs(struct dd_request *r, json_t *in, struct ec2_res *res);
/* Writes res's tags (from its doc) to the DescribeTags index. Call after ec2_res_save. */
void ec2_tags_sync(struct dd_request *r, struct ec2_res *res);

/* ---- filters, describe and pagination ------------------------------------ */
/* Checks every filter name is documented for the call: 0, or -1 (InvalidParameterValue). */
int ec2_filters_check(struct dd_request *r, const struct ec2_filter_def *defs, json_t *filters);
/* Whether `doc` passes every filter (tags read from doc[tags_member]). */
bool ec2_filters_match(const struct ec2_filter_def *defs, json_t *filters, json_t *doc, const char *tags_member);
/* AWS's wildcard match: '*' any run, '?' one character, '\' escapes. */
bool ec2_glob(const char *pattern, const char *s);
/*
 * The one Describe: `ids` (borrowed, may be NULL) restricts to those ids
 * (each must exist), then the call's filters, MaxResults and NextToken apply.
 * Returns the output object {list_member: [...], NextToken?} (new) or NULL.
 */
json_t *ec2_describe(struct dd_request *r, json_t *in, const struct ec2_kind *kind, json_t *ids);

/* One page of a Describe: rows offered in creation order (seq), MaxResults
 * honoured, NextToken = the last row returned. */
struct ec2_page {
    int64_t max;   /* 0: no limit */
    int64_t after; /* from the call's NextToken */
    int64_t last;
    bool more;
    json_t *items;
};
/* Reads MaxResults and NextToken; 0, or -1 (bad token). */
int ec2_page_start(struct dd_request *r, json_t *in, struct ec2_page *p);
/* Whether the page has room; once full, the next match only marks `more`. */
bool ec2_page_room(struct ec2_page *p);
/* Adds a matching item (stolen) found at `seq`. */
void ec2_page_add(struct ec2_page *p, int64_t seq, json_t *item);
/* The output {member: items, NextToken?} (new); the page is consumed. */
json_t *ec2_page_result(struct ec2_page *p, const char *member);

/* ---- addresses ----------------------------------------------------------- */
/* Parses "a.b.c.d/n" (normalized to its network); 0 or -1. */
int ec2_cidr_parse(const char *s, uint32_t *net, int *len);
int ec2_ip_parse(const char *s, uint32_t *ip);
void ec2_ip_format(uint32_t ip, char out[16]);
bool ec2_cidr_overlap(uint32_t a, int alen, uint32_t b, int blen);
/* Whether [b/blen] lies inside [a/alen]. */
bool ec2_cidr_contains(uint32_t a, int alen, uint32_t b, int blen);

/* ---- regions and zones (fixtures/ec2_regions.json) ------------------------ */
/* The zones of r->region: an array of {ZoneName, ZoneId} (borrowed, never NULL). */
json_t *ec2_zones(struct dd_request *r);

/* ---- the account's default VPC -------------------------------------------- */
int ec2_ensure_defaults(struct dd_request *r);
/* The default VPC id into out, or "" when the account has none. */
void ec2_default_vpc(struct dd_request *r, char out[64]);

/* ---- cross-family helpers ------------------------------------------------- */
/* Creates a VPC with its main route table, default group and network ACL. */
int ec2_vpc_create(struct dd_request *r, const char *cidr, bool is_default, json_t *in, struct ec2_res *vpc);
/* Creates a subnet (no checks beyond the CIDR arithmetic the caller did). */
int ec2_subnet_create(struct dd_request *r, struct ec2_res *vpc, const char *cidr, const char *zone,
                      const char *zone_id, bool is_default, json_t *in, struct ec2_res *out);
/* Takes (-1) or gives back (+1) addresses of a subnet's AvailableIpAddressCount. */
void ec2_subnet_adjust_free(struct dd_request *r, const char *subnet_id, int delta);
int ec2_route_table_create(struct dd_request *r, struct ec2_res *vpc, bool main, json_t *in, struct ec2_res *out);
/* Adds a route to a table document (no checks). */
void ec2_route_add(json_t *rtb_doc, const char *dest, const char *target_member, const char *target);
int ec2_sg_create(struct dd_request *r, const char *vpc_id, const char *name, const char *desc, json_t *in,
                  struct ec2_res *out);
int ec2_igw_create(struct dd_request *r, json_t *in, struct ec2_res *out);
void ec2_igw_attach(struct dd_request *r, struct ec2_res *igw, const char *vpc_id);
int ec2_acl_create(struct dd_request *r, const char *vpc_id, bool is_default);
/* Creates a network interface in `subnet` (address allocated); group_ids NULL: the VPC's default group. */
int ec2_eni_create(struct dd_request *r, struct ec2_res *subnet, json_t *group_ids, const char *private_ip,
                   const char *description, const char *interface_type, bool requester_managed, json_t *in,
                   struct ec2_res *out);
/* Associates / dissociates an elastic IP and a network interface (both documents updated). */
void ec2_eip_associate(struct dd_request *r, struct ec2_res *eip, struct ec2_res *eni);
void ec2_eip_disassociate(struct dd_request *r, struct ec2_res *eip);
/* The private DNS name of an address in this region into out. */
void ec2_private_dns(struct dd_request *r, const char *ip, char out[128]);

/* ---- handlers (named like the operation) ---------------------------------- */
/* The operations, as X(name, flags): describes only read (see ec2_ensure_defaults). */
#define EC2_HANDLERS(X)                                                                                            \
    X(DescribeRegions, DD_OP_READ) X(DescribeAvailabilityZones, DD_OP_READ)                                        \
    X(DescribeAccountAttributes, DD_OP_READ) X(CreateTags, 0) X(DeleteTags, 0) X(DescribeTags, DD_OP_READ)         \
    X(CreateVpc, 0) X(DeleteVpc, 0) X(DescribeVpcs, DD_OP_READ) X(ModifyVpcAttribute, 0)                           \
    X(DescribeVpcAttribute, DD_OP_READ) X(AssociateVpcCidrBlock, 0) X(DescribeNetworkAcls, DD_OP_READ)             \
    X(CreateSubnet, 0) X(DeleteSubnet, 0) X(DescribeSubnets, DD_OP_READ) X(ModifySubnetAttribute, 0)               \
    X(CreateInternetGateway, 0) X(AttachInternetGateway, 0) X(DetachInternetGateway, 0)                            \
    X(DeleteInternetGateway, 0) X(DescribeInternetGateways, DD_OP_READ) X(AllocateAddress, 0)                      \
    X(ReleaseAddress, 0) X(AssociateAddress, 0) X(DisassociateAddress, 0) X(DescribeAddresses, DD_OP_READ)         \
    X(CreateNatGateway, 0) X(DeleteNatGateway, 0) X(DescribeNatGateways, DD_OP_READ) X(CreateRouteTable, 0)        \
    X(DeleteRouteTable, 0) X(DescribeRouteTables, DD_OP_READ) X(AssociateRouteTable, 0)                            \
    X(DisassociateRouteTable, 0) X(ReplaceRouteTableAssociation, 0) X(CreateRoute, 0) X(ReplaceRoute, 0)           \
    X(DeleteRoute, 0) X(CreateSecurityGroup, 0) X(DeleteSecurityGroup, 0) X(DescribeSecurityGroups, DD_OP_READ)    \
    X(AuthorizeSecurityGroupIngress, 0) X(AuthorizeSecurityGroupEgress, 0) X(RevokeSecurityGroupIngress, 0)        \
    X(RevokeSecurityGroupEgress, 0) X(DescribeSecurityGroupRules, DD_OP_READ) X(CreateNetworkInterface, 0)         \
    X(DeleteNetworkInterface, 0) X(DescribeNetworkInterfaces, DD_OP_READ) X(CreateKeyPair, 0) X(ImportKeyPair, 0)  \
    X(DescribeKeyPairs, DD_OP_READ) X(DeleteKeyPair, 0) X(RunInstances, 0) X(StopInstances, 0)                    \
    X(StartInstances, 0) X(RebootInstances, 0) X(TerminateInstances, 0) X(DescribeInstances, DD_OP_READ)         \
    X(DescribeInstanceStatus, DD_OP_READ) X(DescribeInstanceAttribute, DD_OP_READ) X(ModifyInstanceAttribute, 0) \
    X(DescribeInstanceTypes, DD_OP_READ) X(DescribeImages, DD_OP_READ) X(CreateLaunchTemplate, 0)                \
    X(CreateLaunchTemplateVersion, 0) X(DescribeLaunchTemplates, DD_OP_READ)                                     \
    X(DescribeLaunchTemplateVersions, DD_OP_READ) X(ModifyLaunchTemplate, 0) X(DeleteLaunchTemplate, 0)          \
    X(DeleteLaunchTemplateVersions, 0)

#define EC2_DECLARE(op, flags) json_t *ec2_op_##op(struct dd_request *r, json_t *in);
EC2_HANDLERS(EC2_DECLARE)
#undef EC2_DECLARE

/* Simulation events (ec2_gateway.c). */
int ec2_nat_available(struct dd_request *r, const char *id, json_t *payload);
int ec2_nat_deleted(struct dd_request *r, const char *id, json_t *payload);
int ec2_nat_purge(struct dd_request *r, const char *id, json_t *payload);

/* Simulation events (ec2_instance.c). */
int ec2_instance_running(struct dd_request *r, const char *id, json_t *payload);
int ec2_instance_stopped(struct dd_request *r, const char *id, json_t *payload);
int ec2_instance_terminated(struct dd_request *r, const char *id, json_t *payload);
int ec2_instance_purge(struct dd_request *r, const char *id, json_t *payload);
int ec2_instance_metrics(struct dd_request *r, const char *id, json_t *payload);

/* POST /_drydock/ec2/load {"instance_id", "cpu"}: the instance's simulated CPU percent (new reference or NULL). */
json_t *ec2_admin_load(struct dd_request *r, json_t *params);

/* The LaunchTemplateData of the version a LaunchTemplateSpecification names
 * ({LaunchTemplateId|LaunchTemplateName, Version}, borrowed): a new reference,
 * or NULL with AWS's error (ec2_launch_template.c). */
json_t *ec2_launch_template_data(struct dd_request *r, json_t *spec);

/* The fixtures' image (DescribeImages' shape) and instance type entries (borrowed), or NULL. */
json_t *ec2_image(const char *id);
json_t *ec2_instance_type(const char *name);

#endif
