/* iam.c - AWS::IAM: Role (inline Policies, ManagedPolicyArns), Policy, ManagedPolicy, InstanceProfile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"

/* Whether the string `s` is in the array `list`. */
static bool has(json_t *list, const char *s)
{
    json_t *x;
    size_t i;
    json_array_foreach(list, i, x) if (json_is_string(x) && strcmp(json_string_value(x), s) == 0) return true;
    return false;
}

static bool gone_ok(struct rs_ctx *c, int rc)
{
    return rc == 0 || rs_gone(c);
}

/* For each string of `a` absent from `b`: `op` {name_key: name, item_key: item}. */
static int each_missing(struct rs_ctx *c, json_t *a, json_t *b, const char *op, const char *name_key,
                        const char *name, const char *item_key)
{
    json_t *x;
    size_t i;
    json_array_foreach(a, i, x) {
        if (!json_is_string(x) || has(b, json_string_value(x)))
            continue;
        int rc = rs_do(c, "iam", op, json_pack("{ssss}", name_key, name, item_key, json_string_value(x)));
        if (!gone_ok(c, rc))
            return -1;
    }
    return 0;
}

/* ---- Role ------------------------------------------------------------------------------------ */

static const char *role_name_of(struct rs_ctx *c)
{
    return c->physical_id;
}

/* Puts each inline policy of `props` that differs from `old`, deletes those no longer there. */
static int role_policies(struct rs_ctx *c, const char *role, json_t *old, json_t *props)
{
    json_t *p, *q, *was = json_object_get(old, "Policies");
    size_t i, j;
    json_array_foreach(json_object_get(props, "Policies"), i, p) {
        bool same = false;
        json_array_foreach(was, j, q) same |= json_equal(p, q);
        if (!same && rs_do(c, "iam", "PutRolePolicy",
                           json_pack("{sssOsO}", "RoleName", role, "PolicyName", json_object_get(p, "PolicyName"),
                                     "PolicyDocument", json_object_get(p, "PolicyDocument"))))
            return -1;
    }
    json_array_foreach(was, j, q) {
        bool kept = false;
        json_array_foreach(json_object_get(props, "Policies"), i, p)
            kept |= json_equal(json_object_get(p, "PolicyName"), json_object_get(q, "PolicyName"));
        int rc = kept ? 0 : rs_do(c, "iam", "DeleteRolePolicy",
                                   json_pack("{sssO}", "RoleName", role, "PolicyName", json_object_get(q, "PolicyName")));
        if (!gone_ok(c, rc))
            return -1;
    }
    return 0;
}

static int role_managed(struct rs_ctx *c, const char *role, json_t *old, json_t *props)
{
    json_t *a = json_object_get(old, "ManagedPolicyArns"), *b = json_object_get(props, "ManagedPolicyArns");
    if (each_missing(c, b, a, "AttachRolePolicy", "RoleName", role, "PolicyArn"))
        return -1;
    return each_missing(c, a, b, "DetachRolePolicy", "RoleName", role, "PolicyArn");
}

static int role_create(struct rs_ctx *c, json_t *props, char **id)
{
    char *name = rs_str(props, "RoleName") ? strdup(rs_str(props, "RoleName")) : rs_physical_name(c, 64);
    json_t *in = rs_pick(props, (const char *const[]){"AssumeRolePolicyDocument", "Path", "Description",
                                                       "MaxSessionDuration", "PermissionsBoundary", "Tags", NULL});
    json_object_set_new(in, "RoleName", json_string(name));
    *id = name;
    json_t *none = json_object();
    int rc = rs_do(c, "iam", "CreateRole", in);
    if (!rc)
        rc = role_policies(c, name, none, props);
    if (!rc)
        rc = role_managed(c, name, none, props);
    json_decref(none);
    return rc;
}

static int role_read(struct rs_ctx *c, json_t *props)
{
    json_t *out = rs_call(c, "iam", "GetRole", json_pack("{ss}", "RoleName", role_name_of(c)));
    json_t *role = json_object_get(out, "Role");
    if (role) {
        json_object_set(c->attrs, "Arn", json_object_get(role, "Arn"));
        json_object_set(c->attrs, "RoleId", json_object_get(role, "RoleId"));
    }
    json_decref(out);
    return out ? 0 : -1;
}

static int role_update(struct rs_ctx *c, json_t *props)
{
    const char *role = role_name_of(c);
    if (rs_changed(c, props, "AssumeRolePolicyDocument") &&
        rs_do(c, "iam", "UpdateAssumeRolePolicy",
              json_pack("{sssO}", "RoleName", role, "PolicyDocument", json_object_get(props, "AssumeRolePolicyDocument"))))
        return -1;
    if ((rs_changed(c, props, "Description") || rs_changed(c, props, "MaxSessionDuration"))) {
        json_t *in = rs_pick(props, (const char *const[]){"Description", "MaxSessionDuration", NULL});
        json_object_set_new(in, "RoleName", json_string(role));
        if (!json_object_get(in, "Description"))
            json_object_set_new(in, "Description", json_string(""));
        if (rs_do(c, "iam", "UpdateRole", in))
            return -1;
    }
    if (role_policies(c, role, c->old_props, props))
        return -1;
    return role_managed(c, role, c->old_props, props);
}

/* Detaches what AWS refuses to delete a role with, then deletes it. */
static int role_remove(struct rs_ctx *c, json_t *props)
{
    const char *role = role_name_of(c);
    json_t *none = json_object();
    int rc = role_policies(c, role, props, none);
    if (!rc)
        rc = role_managed(c, role, props, none);
    json_decref(none);
    json_t *profiles = rc ? NULL : rs_call(c, "iam", "ListInstanceProfilesForRole", json_pack("{ss}", "RoleName", role));
    json_t *p;
    size_t i;
    json_array_foreach(json_object_get(profiles, "InstanceProfiles"), i, p)
        rs_do(c, "iam", "RemoveRoleFromInstanceProfile",
              json_pack("{sOss}", "InstanceProfileName", json_object_get(p, "InstanceProfileName"), "RoleName", role));
    json_decref(profiles);
    if (rc && !rs_gone(c))
        return -1;
    rc = rs_do(c, "iam", "DeleteRole", json_pack("{ss}", "RoleName", role));
    return gone_ok(c, rc) ? 0 : -1;
}

static const struct rs_driver role = {
    .type = "AWS::IAM::Role",
    .required = (const char *const[]){"AssumeRolePolicyDocument", NULL},
    .replace = (const char *const[]){"RoleName", "Path", "PermissionsBoundary", NULL},
    .attributes = (const char *const[]){"Arn", "RoleId", NULL},
    .create = role_create, .read = role_read, .update = role_update, .remove = role_remove,
};

/* ---- Policy: one inline policy put on each of its Roles ---------------------------------------------- */

static int policy_put(struct rs_ctx *c, json_t *props, json_t *roles)
{
    json_t *r;
    size_t i;
    json_array_foreach(roles, i, r) {
        if (rs_do(c, "iam", "PutRolePolicy",
                  json_pack("{sOsOsO}", "RoleName", r, "PolicyName", json_object_get(props, "PolicyName"),
                            "PolicyDocument", json_object_get(props, "PolicyDocument"))))
            return -1;
    }
    return 0;
}

static int policy_delete_from(struct rs_ctx *c, json_t *props, json_t *roles, json_t *keep)
{
    json_t *r;
    size_t i;
    json_array_foreach(roles, i, r) {
        if (json_is_string(r) && has(keep, json_string_value(r)))
            continue;
        int rc = rs_do(c, "iam", "DeleteRolePolicy",
                       json_pack("{sOsO}", "RoleName", r, "PolicyName", json_object_get(props, "PolicyName")));
        if (!gone_ok(c, rc))
            return -1;
    }
    return 0;
}

static int policy_create(struct rs_ctx *c, json_t *props, char **id)
{
    if (json_array_size(json_object_get(props, "Users")) || json_array_size(json_object_get(props, "Groups")))
        return rs_fail(c, "AWS::IAM::Policy: only Roles are supported (IAM users and groups are not emulated)");
    if (policy_put(c, props, json_object_get(props, "Roles")))
        return -1;
    char *name = rs_physical_name(c, 128);
    *id = name;
    return 0;
}

static int policy_update(struct rs_ctx *c, json_t *props)
{
    if (policy_put(c, props, json_object_get(props, "Roles")))
        return -1;
    return policy_delete_from(c, c->old_props, json_object_get(c->old_props, "Roles"), json_object_get(props, "Roles"));
}

static int policy_remove(struct rs_ctx *c, json_t *props)
{
    return policy_delete_from(c, props, json_object_get(props, "Roles"), NULL);
}

static const struct rs_driver policy = {
    .type = "AWS::IAM::Policy",
    .required = (const char *const[]){"PolicyName", "PolicyDocument", NULL},
    .replace = (const char *const[]){"PolicyName", NULL},
    .attributes = (const char *const[]){"Id", NULL},
    .create = policy_create, .update = policy_update, .remove = policy_remove,
};

/* ---- ManagedPolicy --------------------------------------------------------------------------------- */

static int managed_create(struct rs_ctx *c, json_t *props, char **id)
{
    char *name = rs_str(props, "ManagedPolicyName") ? strdup(rs_str(props, "ManagedPolicyName"))
                                                     : rs_physical_name(c, 128);
    json_t *in = rs_pick(props, (const char *const[]){"Path", "PolicyDocument", "Description", NULL});
    json_object_set_new(in, "PolicyName", json_string(name));
    free(name);
    json_t *out = rs_call(c, "iam", "CreatePolicy", in);
    const char *arn = rs_str(json_object_get(out, "Policy"), "Arn");
    *id = arn ? strdup(arn) : NULL;
    json_decref(out);
    if (!*id)
        return -1;
    return each_missing(c, json_object_get(props, "Roles"), NULL, "AttachRolePolicy", "PolicyArn", *id, "RoleName");
}

/* each_missing with the roles as the items: AttachRolePolicy {PolicyArn, RoleName}. */
static int managed_update(struct rs_ctx *c, json_t *props)
{
    if (rs_changed(c, props, "PolicyDocument")) {
        json_t *versions = rs_call(c, "iam", "ListPolicyVersions", json_pack("{ss}", "PolicyArn", c->physical_id)), *v;
        size_t i;
        json_array_foreach(json_object_get(versions, "Versions"), i, v) {
            if (!json_is_true(json_object_get(v, "IsDefaultVersion")))
                rs_do(c, "iam", "DeletePolicyVersion",
                      json_pack("{sssO}", "PolicyArn", c->physical_id, "VersionId", json_object_get(v, "VersionId")));
        }
        json_decref(versions);
        if (rs_do(c, "iam", "CreatePolicyVersion",
                  json_pack("{sssOsb}", "PolicyArn", c->physical_id, "PolicyDocument",
                            json_object_get(props, "PolicyDocument"), "SetAsDefault", 1)))
            return -1;
    }
    json_t *a = json_object_get(c->old_props, "Roles"), *b = json_object_get(props, "Roles");
    if (each_missing(c, b, a, "AttachRolePolicy", "PolicyArn", c->physical_id, "RoleName"))
        return -1;
    return each_missing(c, a, b, "DetachRolePolicy", "PolicyArn", c->physical_id, "RoleName");
}

static int managed_remove(struct rs_ctx *c, json_t *props)
{
    if (each_missing(c, json_object_get(props, "Roles"), NULL, "DetachRolePolicy", "PolicyArn", c->physical_id,
                     "RoleName"))
        return -1;
    json_t *versions = rs_call(c, "iam", "ListPolicyVersions", json_pack("{ss}", "PolicyArn", c->physical_id)), *v;
    size_t i;
    json_array_foreach(json_object_get(versions, "Versions"), i, v) {
        if (!json_is_true(json_object_get(v, "IsDefaultVersion")))
            rs_do(c, "iam", "DeletePolicyVersion",
                  json_pack("{sssO}", "PolicyArn", c->physical_id, "VersionId", json_object_get(v, "VersionId")));
    }
    json_decref(versions);
    int rc = rs_do(c, "iam", "DeletePolicy", json_pack("{ss}", "PolicyArn", c->physical_id));
    return gone_ok(c, rc) ? 0 : -1;
}

static int managed_read(struct rs_ctx *c, json_t *props)
{
    json_t *out = rs_call(c, "iam", "GetPolicy", json_pack("{ss}", "PolicyArn", c->physical_id));
    json_t *p = json_object_get(out, "Policy");
    json_object_set(c->attrs, "PolicyArn", json_object_get(p, "Arn"));
    json_object_set(c->attrs, "PolicyId", json_object_get(p, "PolicyId"));
    json_object_set(c->attrs, "DefaultVersionId", json_object_get(p, "DefaultVersionId"));
    json_decref(out);
    return out ? 0 : -1;
}

static const struct rs_driver managed_policy = {
    .type = "AWS::IAM::ManagedPolicy",
    .required = (const char *const[]){"PolicyDocument", NULL},
    .replace = (const char *const[]){"ManagedPolicyName", "Path", "Description", NULL},
    .attributes = (const char *const[]){"PolicyArn", "PolicyId", "DefaultVersionId", "AttachmentCount",
                                        "CreateDate", "IsAttachable", "UpdateDate", NULL},
    .create = managed_create, .read = managed_read, .update = managed_update, .remove = managed_remove,
};

/* ---- InstanceProfile -------------------------------------------------------------------------------- */

static int profile_create(struct rs_ctx *c, json_t *props, char **id)
{
    char *name = rs_str(props, "InstanceProfileName") ? strdup(rs_str(props, "InstanceProfileName"))
                                                       : rs_physical_name(c, 128);
    json_t *in = rs_pick(props, (const char *const[]){"Path", NULL});
    json_object_set_new(in, "InstanceProfileName", json_string(name));
    *id = name;
    if (rs_do(c, "iam", "CreateInstanceProfile", in))
        return -1;
    return each_missing(c, json_object_get(props, "Roles"), NULL, "AddRoleToInstanceProfile", "InstanceProfileName",
                        name, "RoleName");
}

static int profile_read(struct rs_ctx *c, json_t *props)
{
    json_t *out = rs_call(c, "iam", "GetInstanceProfile", json_pack("{ss}", "InstanceProfileName", c->physical_id));
    json_object_set(c->attrs, "Arn", json_object_get(json_object_get(out, "InstanceProfile"), "Arn"));
    json_decref(out);
    return out ? 0 : -1;
}

static int profile_update(struct rs_ctx *c, json_t *props)
{
    json_t *a = json_object_get(c->old_props, "Roles"), *b = json_object_get(props, "Roles");
    if (each_missing(c, a, b, "RemoveRoleFromInstanceProfile", "InstanceProfileName", c->physical_id, "RoleName"))
        return -1;
    return each_missing(c, b, a, "AddRoleToInstanceProfile", "InstanceProfileName", c->physical_id, "RoleName");
}

static int profile_remove(struct rs_ctx *c, json_t *props)
{
    if (each_missing(c, json_object_get(props, "Roles"), NULL, "RemoveRoleFromInstanceProfile",
                     "InstanceProfileName", c->physical_id, "RoleName"))
        return -1;
    int rc = rs_do(c, "iam", "DeleteInstanceProfile", json_pack("{ss}", "InstanceProfileName", c->physical_id));
    return gone_ok(c, rc) ? 0 : -1;
}

static const struct rs_driver instance_profile = {
    .type = "AWS::IAM::InstanceProfile",
    .required = (const char *const[]){"Roles", NULL},
    .replace = (const char *const[]){"InstanceProfileName", "Path", NULL},
    .attributes = (const char *const[]){"Arn", NULL},
    .create = profile_create, .read = profile_read, .update = profile_update, .remove = profile_remove,
};

const struct rs_driver *const rs_family_iam[] = {&role, &policy, &managed_policy, &instance_profile, NULL};
