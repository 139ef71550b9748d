/*
 * ec2_sg.c - security groups and their rules.
 *
 * Each rule is a row of its own (sgr-...), one per peer (CIDR, IPv6 CIDR,
 * prefix list or referenced group), as DescribeSecurityGroupRules shows
 * them; DescribeSecurityGroups folds them back into IpPermissions. A group
 * referenced by another group's rule cannot be deleted.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2_internal.h"

static int sg_render(struct dd_request *r, json_t *doc);

static const struct ec2_filter_def sg_filters[] = {
    {"description", "Description"},
    {"egress.ip-permission.cidr", "IpPermissionsEgress.IpRanges.CidrIp"},
    {"egress.ip-permission.from-port", "IpPermissionsEgress.FromPort"},
    {"egress.ip-permission.group-id", "IpPermissionsEgress.UserIdGroupPairs.GroupId"},
    {"egress.ip-permission.ipv6-cidr", "IpPermissionsEgress.Ipv6Ranges.CidrIpv6"},
    {"egress.ip-permission.prefix-list-id", "IpPermissionsEgress.PrefixListIds.PrefixListId"},
    {"egress.ip-permission.protocol", "IpPermissionsEgress.IpProtocol"},
    {"egress.ip-permission.to-port", "IpPermissionsEgress.ToPort"},
    {"group-id", "GroupId"},
    {"group-name", "GroupName"},
    {"ip-permission.cidr", "IpPermissions.IpRanges.CidrIp"},
    {"ip-permission.from-port", "IpPermissions.FromPort"},
    {"ip-permission.group-id", "IpPermissions.UserIdGroupPairs.GroupId"},
    {"ip-permission.ipv6-cidr", "IpPermissions.Ipv6Ranges.CidrIpv6"},
    {"ip-permission.prefix-list-id", "IpPermissions.PrefixListIds.PrefixListId"},
    {"ip-permission.protocol", "IpPermissions.IpProtocol"},
    {"ip-permission.to-port", "IpPermissions.ToPort"},
    {"owner-id", "OwnerId"},
    {"vpc-id", "VpcId"},
    {NULL, NULL},
};

const struct ec2_kind ec2_kind_sg = {
    .type = "sg",
    .prefix = "sg-",
    .noun = "securityGroup",
    .not_found = "InvalidGroup.NotFound",
    .not_found_fmt = "The security group '%s' does not exist",
    .malformed = "InvalidGroupId.Malformed",
    .list_member = "SecurityGroups",
    .filter_member = "Filters",
    .tags_member = "Tags",
    .tag_type = "security-group",
    .filters = sg_filters,
    .vpc_filter = "vpc-id",
    .name_filter = "group-name",
    .render = sg_render,
};

static const struct ec2_filter_def sgr_filters[] = {
    {"group-id", "GroupId"},
    {"security-group-rule-id", "SecurityGroupRuleId"},
    {NULL, NULL},
};

const struct ec2_kind ec2_kind_sgr = {
    .type = "sgr",
    .prefix = "sgr-",
    .noun = "securityGroupRule",
    .not_found = "InvalidSecurityGroupRuleId.NotFound",
    .not_found_fmt = "The security group rule ID '%s' does not exist",
    .malformed = "InvalidSecurityGroupRuleId.Malformed",
    .list_member = "SecurityGroupRules",
    .filter_member = "Filters",
    .tags_member = "Tags",
    .tag_type = "security-group-rule",
    .filters = sgr_filters,
    .parent_filter = "group-id",
};

/* ---- rules --------------------------------------------------------------------- */

/* One rule as a call asks for it: a permission with exactly one peer. */
struct rule {
    bool egress;
    char proto[8];
    int from, to;
    const char *peer_member; /* "CidrIpv4", "CidrIpv6", "PrefixListId" or "ReferencedGroupInfo" */
    const char *peer;
    const char *description;
};

/* AWS's protocol names: numbers of the named protocols become names, "-1" is all. */
static int protocol_or_err(struct dd_request *r, const char *in, char out[8])
{
    static const struct {
        const char *number, *name;
    } named[] = {{"6", "tcp"}, {"17", "udp"}, {"1", "icmp"}, {"58", "icmpv6"}, {"all", "-1"}};
    char lower[16] = "";
    for (size_t i = 0; in && in[i] && i < sizeof lower - 1; i++)
        lower[i] = (char)tolower((unsigned char)in[i]);
    for (size_t i = 0; i < sizeof named / sizeof *named; i++)
        if (strcmp(lower, named[i].number) == 0 || strcmp(lower, named[i].name) == 0) {
            snprintf(out, 8, "%s", named[i].name);
            return 0;
        }
    char *end;
    long n = strtol(lower, &end, 10);
    if (lower[0] && !*end && ((n >= 0 && n <= 255) || n == -1)) {
        snprintf(out, 8, "%ld", n);
        return 0;
    }
    dd_fail(r, 400, "InvalidParameterValue", "Invalid value '%s' for IP protocol. Unknown protocol.", in ? in : "null");
    return -1;
}

/* Fills proto/from/to of `rule` from a permission. */
static int ports_or_err(struct dd_request *r, json_t *perm, struct rule *rule)
{
    if (protocol_or_err(r, dd_in_str(perm, "IpProtocol"), rule->proto))
        return -1;
    json_t *from = json_object_get(perm, "FromPort"), *to = json_object_get(perm, "ToPort");
    bool ported = strcmp(rule->proto, "tcp") == 0 || strcmp(rule->proto, "udp") == 0;
    bool icmp = strcmp(rule->proto, "icmp") == 0 || strcmp(rule->proto, "icmpv6") == 0;
    rule->from = ported || icmp ? (int)json_integer_value(from) : -1;
    rule->to = ported || icmp ? (int)json_integer_value(to) : -1;
    if (ported && (!from || !to || rule->from < 0 || rule->to > 65535 || rule->from > rule->to)) {
        dd_fail(r, 400, "InvalidParameterValue", "Invalid TCP/UDP port range");
        return -1;
    }
    if (icmp && (!from || !to)) {
        rule->from = from ? rule->from : -1;
        rule->to = to ? rule->to : -1;
    }
    return 0;
}

/* AWS's description of a rule in its Duplicate message. */
static void rule_text(const struct rule *rule, char *out, size_t len)
{
    const char *peer = rule->peer;
    if (strcmp(rule->proto, "-1") == 0)
        snprintf(out, len, "peer: %s, ALL, ALLOW", peer);
    else if (strcmp(rule->proto, "tcp") == 0 || strcmp(rule->proto, "udp") == 0)
        snprintf(out, len, "peer: %s, %s, from port: %d, to port: %d, ALLOW", peer,
                 strcmp(rule->proto, "tcp") == 0 ? "TCP" : "UDP", rule->from, rule->to);
    else if (strcmp(rule->proto, "icmp") == 0)
        snprintf(out, len, "peer: %s, ICMP, type: %d, code: %d, ALLOW", peer, rule->from, rule->to);
    else
        snprintf(out, len, "peer: %s, protocol: %s, ALLOW", peer, rule->proto);
}

static bool rule_matches(json_t *doc, const struct rule *rule)
{
    json_t *peer = json_object_get(doc, rule->peer_member);
    const char *value = json_is_object(peer) ? dd_in_str(peer, "GroupId") : json_string_value(peer);
    return dd_in_bool(doc, "IsEgress") == rule->egress && strcmp(dd_in_str(doc, "IpProtocol"), rule->proto) == 0 &&
           json_integer_value(json_object_get(doc, "FromPort")) == rule->from &&
           json_integer_value(json_object_get(doc, "ToPort")) == rule->to && value && strcmp(value, rule->peer) == 0;
}

struct match_ctx {
    const struct rule *rule;
    struct ec2_res *found; /* NULL: only tell whether one exists */
};

static int match_rule(struct dd_request *r, struct ec2_res *res, void *ctx)
{
    struct match_ctx *c = ctx;
    if (!rule_matches(res->doc, c->rule))
        return 0;
    if (c->found) {
        *c->found = *res;
        res->vpc_id = res->parent = res->name = res->ref = NULL;
        res->doc = json_incref(res->doc);
    }
    return 1;
}

/* Stores one rule of group `sg` (a new row); its document is added to `out`. */
static int add_rule(struct dd_request *r, struct ec2_res *sg, const struct rule *rule, json_t *in, json_t *out)
{
    struct match_ctx c = {rule, NULL};
    if (ec2_each(r, &ec2_kind_sgr, "parent", sg->id, match_rule, &c)) {
        char text[256];
        rule_text(rule, text, sizeof text);
        dd_fail(r, 400, "InvalidPermission.Duplicate", "the specified rule \"%s\" already exists", text);
        return -1;
    }
    struct ec2_res res;
    ec2_res_init(&res, &ec2_kind_sgr);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:b, s:s, s:i, s:i, s:[]}", "SecurityGroupRuleId", res.id, "GroupId",
                            sg->id, "GroupOwnerId", r->account, "IsEgress", rule->egress, "IpProtocol", rule->proto,
                            "FromPort", rule->from, "ToPort", rule->to, "Tags");
    if (strcmp(rule->peer_member, "ReferencedGroupInfo") == 0)
        json_object_set_new(doc, rule->peer_member, json_pack("{s:s, s:s}", "GroupId", rule->peer, "UserId", r->account));
    else
        json_object_set_new(doc, rule->peer_member, json_string(rule->peer));
    if (rule->description)
        json_object_set_new(doc, "Description", json_string(rule->description));
    json_object_update(res.doc, doc);
    json_decref(doc);
    int rc = in ? ec2_tag_specs(r, in, &res) : 0;
    if (rc == 0) {
        ec2_set(&res.parent, sg->id);
        ec2_set(&res.vpc_id, sg->vpc_id);
        if (strcmp(rule->peer_member, "ReferencedGroupInfo") == 0)
            ec2_set(&res.ref, rule->peer);
        ec2_res_save(r, &res);
        ec2_tags_sync(r, &res);
        if (out)
            json_array_append(out, res.doc);
    }
    ec2_res_free(&res);
    return rc;
}

/* ---- groups --------------------------------------------------------------------- */

struct name_ctx {
    const char *vpc_id;
    char *id; /* out: strdup'd */
};

static int same_vpc(struct dd_request *r, struct ec2_res *sg, void *ctx)
{
    struct name_ctx *c = ctx;
    if (!sg->vpc_id || strcmp(sg->vpc_id, c->vpc_id) != 0)
        return 0;
    c->id = strdup(sg->id);
    return 1;
}

/* The id of the group named `name` in the VPC (new string), or NULL. */
static char *sg_named(struct dd_request *r, const char *vpc_id, const char *name)
{
    struct name_ctx c = {vpc_id, NULL};
    ec2_each(r, &ec2_kind_sg, "name", name, same_vpc, &c);
    return c.id;
}

int ec2_sg_create(struct dd_request *r, const char *vpc_id, const char *name, const char *desc, json_t *in,
                  struct ec2_res *out)
{
    ec2_res_init(out, &ec2_kind_sg);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[]}", "GroupId", out->id, "GroupName", name, "Description",
                            desc, "VpcId", vpc_id, "OwnerId", r->account, "Tags");
    json_object_update(out->doc, doc);
    json_decref(doc);
    if (ec2_tag_specs(r, in, out))
        return -1;
    ec2_set(&out->vpc_id, vpc_id);
    ec2_set(&out->name, name);
    ec2_res_save(r, out);
    ec2_tags_sync(r, out);
    /* AWS's defaults: all traffic out; the default group also lets its members talk */
    struct rule egress = {true, "-1", -1, -1, "CidrIpv4", "0.0.0.0/0", NULL};
    struct rule self = {false, "-1", -1, -1, "ReferencedGroupInfo", out->id, NULL};
    if (add_rule(r, out, &egress, NULL, NULL))
        return -1;
    return strcmp(name, "default") == 0 ? add_rule(r, out, &self, NULL, NULL) : 0;
}

json_t *ec2_op_CreateSecurityGroup(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "GroupName"), *vpc_id = dd_in_str(in, "VpcId");
    char default_vpc[64];
    struct ec2_res vpc, sg = {0};
    if (!vpc_id) {
        ec2_default_vpc(r, default_vpc);
        if (!default_vpc[0])
            return dd_fail(r, 400, "VPCIdNotSpecified", "No default VPC for this user");
        vpc_id = default_vpc;
    }
    if (ec2_res_get_or_err(r, &ec2_kind_vpc, vpc_id, &vpc))
        return NULL;
    ec2_res_free(&vpc);
    if (strcmp(name, "default") == 0)
        return dd_fail(r, 400, "InvalidParameterValue", "Cannot use reserved security group name: default");
    if (strncmp(name, "sg-", 3) == 0)
        return dd_fail(r, 400, "InvalidParameterValue", "Group names may not be in the format sg-*");
    char *existing = sg_named(r, vpc_id, name);
    if (existing) {
        free(existing);
        return dd_fail(r, 400, "InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'", name,
                       vpc_id);
    }
    json_t *out = NULL;
    if (ec2_sg_create(r, vpc_id, name, dd_in_str(in, "Description"), in, &sg) == 0) {
        out = json_pack("{s:s}", "GroupId", sg.id);
        json_t *tags = json_object_get(sg.doc, "Tags");
        if (json_array_size(tags))
            json_object_set(out, "Tags", tags);
    }
    ec2_res_free(&sg);
    return out;
}

/* The group a call names by GroupId, or by GroupName in the default VPC. */
static int sg_from_call(struct dd_request *r, json_t *in, struct ec2_res *sg)
{
    const char *id = dd_in_str(in, "GroupId"), *name = dd_in_str(in, "GroupName");
    memset(sg, 0, sizeof *sg);
    if (id)
        return ec2_res_get_or_err(r, &ec2_kind_sg, id, sg);
    if (!name) {
        dd_fail(r, 400, "MissingParameter", "The request must contain the parameter groupName or groupId");
        return -1;
    }
    char vpc[64];
    ec2_default_vpc(r, vpc);
    char *found = vpc[0] ? sg_named(r, vpc, name) : NULL;
    if (!found) {
        dd_fail(r, 400, "InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC '%s'", name,
                vpc[0] ? vpc : "none");
        return -1;
    }
    int rc = ec2_res_get_or_err(r, &ec2_kind_sg, found, sg);
    free(found);
    return rc;
}

struct user_ctx {
    const char *group_id;
};

static int eni_uses_group(struct dd_request *r, struct ec2_res *eni, void *ctx)
{
    struct user_ctx *c = ctx;
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(eni->doc, "Groups"), i, g) if (strcmp(dd_in_str(g, "GroupId"), c->group_id) == 0)
        return 1;
    return 0;
}

static int referenced_elsewhere(struct dd_request *r, struct ec2_res *rule, void *ctx)
{
    struct user_ctx *c = ctx;
    return rule->parent && strcmp(rule->parent, c->group_id) != 0;
}

static int drop_rule(struct dd_request *r, struct ec2_res *rule, void *ctx)
{
    ec2_res_delete(r, rule->id);
    return 0;
}

json_t *ec2_op_DeleteSecurityGroup(struct dd_request *r, json_t *in)
{
    struct ec2_res sg;
    if (sg_from_call(r, in, &sg))
        return NULL;
    struct user_ctx c = {sg.id};
    json_t *out = NULL;
    if (strcmp(dd_in_str(sg.doc, "GroupName"), "default") == 0)
        dd_fail(r, 400, "CannotDelete", "the specified group: \"%s\" name: \"default\" cannot be deleted by a user",
                sg.id);
    else if (ec2_each(r, &ec2_kind_sgr, "ref", sg.id, referenced_elsewhere, &c) ||
             ec2_each(r, &ec2_kind_eni, "vpc_id", sg.vpc_id, eni_uses_group, &c))
        dd_fail(r, 400, "DependencyViolation", "resource %s has a dependent object", sg.id);
    else {
        ec2_each(r, &ec2_kind_sgr, "parent", sg.id, drop_rule, NULL);
        ec2_res_delete(r, sg.id);
        out = json_object();
    }
    ec2_res_free(&sg);
    return out;
}

json_t *ec2_op_DescribeSecurityGroups(struct dd_request *r, json_t *in)
{
    json_t *ids = json_deep_copy(json_object_get(in, "GroupIds")), *names = json_object_get(in, "GroupNames");
    if (!ids)
        ids = json_array();
    size_t i;
    json_t *name;
    json_array_foreach(names, i, name)
    {
        json_t *one = json_pack("{s:O}", "GroupName", name);
        struct ec2_res sg;
        int rc = sg_from_call(r, one, &sg);
        json_decref(one);
        if (rc) {
            json_decref(ids);
            return NULL;
        }
        json_array_append_new(ids, json_string(sg.id));
        ec2_res_free(&sg);
    }
    json_t *out = ec2_describe(r, in, &ec2_kind_sg, ids);
    json_decref(ids);
    return out;
}

json_t *ec2_op_DescribeSecurityGroupRules(struct dd_request *r, json_t *in)
{
    return ec2_describe(r, in, &ec2_kind_sgr, json_object_get(in, "SecurityGroupRuleIds"));
}

/* ---- IpPermissions, in and out -------------------------------------------------------- */

/* The permission in `list` with these protocol and ports, created if absent (borrowed). */
static json_t *permission_for(json_t *list, json_t *rule)
{
    const char *proto = dd_in_str(rule, "IpProtocol");
    json_int_t from = json_integer_value(json_object_get(rule, "FromPort")),
               to = json_integer_value(json_object_get(rule, "ToPort"));
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p) if (strcmp(dd_in_str(p, "IpProtocol"), proto) == 0 &&
                                       json_integer_value(json_object_get(p, "_from")) == from &&
                                       json_integer_value(json_object_get(p, "_to")) == to) return p;
    p = json_pack("{s:s, s:[], s:[], s:[], s:[], s:I, s:I}", "IpProtocol", proto, "IpRanges", "Ipv6Ranges",
                  "PrefixListIds", "UserIdGroupPairs", "_from", from, "_to", to);
    if (strcmp(proto, "-1") != 0) {
        json_object_set_new(p, "FromPort", json_integer(from));
        json_object_set_new(p, "ToPort", json_integer(to));
    }
    json_array_append_new(list, p);
    return p;
}

struct fold_ctx {
    json_t *ingress, *egress;
    const char *vpc_id;
};

/* Folds one rule row into its group's IpPermissions / IpPermissionsEgress. */
static int fold_rule(struct dd_request *r, struct ec2_res *rule, void *ctx)
{
    struct fold_ctx *c = ctx;
    json_t *d = rule->doc, *perm = permission_for(dd_in_bool(d, "IsEgress") ? c->egress : c->ingress, d);
    const char *desc = dd_in_str(d, "Description");
    json_t *entry = NULL, *list = NULL, *group = json_object_get(d, "ReferencedGroupInfo");
    if (dd_in_str(d, "CidrIpv4"))
        entry = json_pack("{s:s}", "CidrIp", dd_in_str(d, "CidrIpv4")), list = json_object_get(perm, "IpRanges");
    else if (dd_in_str(d, "CidrIpv6"))
        entry = json_pack("{s:s}", "CidrIpv6", dd_in_str(d, "CidrIpv6")), list = json_object_get(perm, "Ipv6Ranges");
    else if (dd_in_str(d, "PrefixListId"))
        entry = json_pack("{s:s}", "PrefixListId", dd_in_str(d, "PrefixListId")),
        list = json_object_get(perm, "PrefixListIds");
    else if (group)
        entry = json_pack("{s:s, s:s}", "GroupId", dd_in_str(group, "GroupId"), "UserId", r->account),
        list = json_object_get(perm, "UserIdGroupPairs");
    if (!entry)
        return 0;
    if (desc)
        json_object_set_new(entry, "Description", json_string(desc));
    json_array_append_new(list, entry);
    return 0;
}

static int sg_render(struct dd_request *r, json_t *doc)
{
    struct fold_ctx c = {json_array(), json_array(), dd_in_str(doc, "VpcId")};
    ec2_each(r, &ec2_kind_sgr, "parent", dd_in_str(doc, "GroupId"), fold_rule, &c);
    json_object_set_new(doc, "IpPermissions", c.ingress);
    json_object_set_new(doc, "IpPermissionsEgress", c.egress);
    return 0;
}

/* The permissions of an Authorize/Revoke call: IpPermissions, or the flat legacy members. */
static json_t *call_permissions(json_t *in)
{
    json_t *perms = json_object_get(in, "IpPermissions");
    if (json_array_size(perms))
        return json_incref(perms);
    const char *proto = dd_in_str(in, "IpProtocol"), *cidr = dd_in_str(in, "CidrIp"),
               *source = dd_in_str(in, "SourceSecurityGroupName");
    if (!proto && !cidr && !source)
        return json_array();
    json_t *p = json_pack("{s:s}", "IpProtocol", proto ? proto : "-1");
    if (json_object_get(in, "FromPort"))
        json_object_set(p, "FromPort", json_object_get(in, "FromPort"));
    if (json_object_get(in, "ToPort"))
        json_object_set(p, "ToPort", json_object_get(in, "ToPort"));
    if (cidr)
        json_object_set_new(p, "IpRanges", json_pack("[{s:s}]", "CidrIp", cidr));
    if (source)
        json_object_set_new(p, "UserIdGroupPairs", json_pack("[{s:s}]", "GroupName", source));
    return json_pack("[o]", p);
}

/* Calls fn for each one-peer rule of the call's permissions; stops at the first error. */
typedef int (*rule_fn)(struct dd_request *r, struct ec2_res *sg, const struct rule *rule, json_t *in, json_t *out);

static int each_rule(struct dd_request *r, struct ec2_res *sg, bool egress, json_t *in, rule_fn fn, json_t *out)
{
    static const struct {
        const char *list, *member, *peer_member;
    } peers[] = {
        {"IpRanges", "CidrIp", "CidrIpv4"},
        {"Ipv6Ranges", "CidrIpv6", "CidrIpv6"},
        {"PrefixListIds", "PrefixListId", "PrefixListId"},
        {"UserIdGroupPairs", "GroupId", "ReferencedGroupInfo"},
    };
    json_t *perms = call_permissions(in), *perm;
    size_t i;
    int rc = 0;
    json_array_foreach(perms, i, perm)
    {
        struct rule rule = {.egress = egress};
        if ((rc = ports_or_err(r, perm, &rule)))
            break;
        for (size_t k = 0; rc == 0 && k < sizeof peers / sizeof *peers; k++) {
            size_t j;
            json_t *entry;
            json_array_foreach(json_object_get(perm, peers[k].list), j, entry)
            {
                char *named = NULL;
                rule.peer_member = peers[k].peer_member;
                rule.peer = dd_in_str(entry, peers[k].member);
                rule.description = dd_in_str(entry, "Description");
                if (k == 3 && !rule.peer && dd_in_str(entry, "GroupName"))
                    rule.peer = named = sg_named(r, sg->vpc_id, dd_in_str(entry, "GroupName"));
                rc = rule.peer ? 0 : -1;
                if (rc)
                    dd_fail(r, 400, k == 3 ? "InvalidGroup.NotFound" : "InvalidParameterValue",
                            k == 3 ? "The security group '%s' does not exist" : "Invalid value '%s' for peer",
                            dd_in_str(entry, "GroupName") ? dd_in_str(entry, "GroupName") : "null");
                if (rc == 0)
                    rc = fn(r, sg, &rule, in, out);
                free(named);
                if (rc)
                    break;
            }
        }
        if (rc)
            break;
    }
    json_decref(perms);
    return rc;
}

/* Checks a rule's peer (a well-formed CIDR, an existing group) before adding it. */
static int authorize_one(struct dd_request *r, struct ec2_res *sg, const struct rule *rule, json_t *in, json_t *out)
{
    uint32_t net;
    int len;
    if (strcmp(rule->peer_member, "CidrIpv4") == 0 && ec2_cidr_parse(rule->peer, &net, &len)) {
        dd_fail(r, 400, "InvalidParameterValue", "CIDR block %s is malformed", rule->peer);
        return -1;
    }
    if (strcmp(rule->peer_member, "ReferencedGroupInfo") == 0) {
        struct ec2_res peer;
        if (ec2_res_get_or_err(r, &ec2_kind_sg, rule->peer, &peer))
            return -1;
        ec2_res_free(&peer);
    }
    return add_rule(r, sg, rule, in, out);
}

static json_t *authorize(struct dd_request *r, json_t *in, bool egress)
{
    struct ec2_res sg;
    if (sg_from_call(r, in, &sg))
        return NULL;
    json_t *rules = json_array(), *out = NULL;
    if (each_rule(r, &sg, egress, in, authorize_one, rules) == 0)
        out = json_pack("{s:b, s:O}", "Return", 1, "SecurityGroupRules", rules);
    json_decref(rules);
    ec2_res_free(&sg);
    return out;
}

json_t *ec2_op_AuthorizeSecurityGroupIngress(struct dd_request *r, json_t *in)
{
    return authorize(r, in, false);
}

json_t *ec2_op_AuthorizeSecurityGroupEgress(struct dd_request *r, json_t *in)
{
    return authorize(r, in, true);
}

static int revoke_one(struct dd_request *r, struct ec2_res *sg, const struct rule *rule, json_t *in, json_t *out)
{
    struct ec2_res found = {0};
    struct match_ctx c = {rule, &found};
    if (!ec2_each(r, &ec2_kind_sgr, "parent", sg->id, match_rule, &c)) {
        dd_fail(r, 400, "InvalidPermission.NotFound", "The specified rule does not exist in this security group.");
        return -1;
    }
    ec2_res_delete(r, found.id);
    ec2_res_free(&found);
    return 0;
}

/* Revokes rules named by SecurityGroupRuleIds, which must belong to the group and direction. */
static int revoke_ids(struct dd_request *r, struct ec2_res *sg, bool egress, json_t *ids)
{
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id)
    {
        struct ec2_res rule;
        if (ec2_res_get_or_err(r, &ec2_kind_sgr, json_string_value(id), &rule))
            return -1;
        bool ours = rule.parent && strcmp(rule.parent, sg->id) == 0 && dd_in_bool(rule.doc, "IsEgress") == egress;
        if (ours)
            ec2_res_delete(r, rule.id);
        ec2_res_free(&rule);
        if (!ours) {
            dd_fail(r, 400, "InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist",
                    json_string_value(id));
            return -1;
        }
    }
    return 0;
}

static json_t *revoke(struct dd_request *r, json_t *in, bool egress)
{
    struct ec2_res sg;
    if (sg_from_call(r, in, &sg))
        return NULL;
    json_t *out = NULL;
    if (revoke_ids(r, &sg, egress, json_object_get(in, "SecurityGroupRuleIds")) == 0 &&
        each_rule(r, &sg, egress, in, revoke_one, NULL) == 0)
        out = json_pack("{s:b}", "Return", 1);
    ec2_res_free(&sg);
    return out;
}

json_t *ec2_op_RevokeSecurityGroupIngress(struct dd_request *r, json_t *in)
{
    return revoke(r, in, false);
}

json_t *ec2_op_RevokeSecurityGroupEgress(struct dd_request *r, json_t *in)
{
    return revoke(r, in, true);
}
