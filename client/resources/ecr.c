/*
 * ecr.c - AWS::ECR::Repository. Ref is the repository name; Fn::GetAtt gives
 * Arn and RepositoryUri. Policies, scanning, tag mutability and tags change
 * in place; a new name or encryption replaces the repository, as
 * CloudFormation does.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"

/* A JSON property CloudFormation accepts as an object or as its text: the text (new string). */
static char *json_text(json_t *v)
{
    return json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_COMPACT);
}

/* A boolean property, which templates may also give as "true" / "false". */
static bool flag(json_t *v)
{
    return json_is_true(v) || (json_is_string(v) && strcmp(json_string_value(v), "true") == 0);
}

static json_t *repo_input(const char *name)
{
    return json_pack("{ss}", "repositoryName", name);
}

/* LifecyclePolicy {LifecyclePolicyText, RegistryId}: put it, or delete the one there when it went. */
static int lifecycle(struct rs_ctx *c, const char *name, json_t *props)
{
    json_t *lp = json_object_get(props, "LifecyclePolicy");
    const char *text = rs_str(lp, "LifecyclePolicyText");
    if (!text) {
        int rc = rs_do(c, "ecr", "DeleteLifecyclePolicy", repo_input(name));
        return rc && strcmp(c->err.code, "LifecyclePolicyNotFoundException") != 0 ? -1 : 0;
    }
    json_t *in = repo_input(name);
    json_object_set_new(in, "lifecyclePolicyText", json_string(text));
    if (rs_str(lp, "RegistryId"))
        json_object_set_new(in, "registryId", json_string(rs_str(lp, "RegistryId")));
    return rs_do(c, "ecr", "PutLifecyclePolicy", in);
}

/* RepositoryPolicyText (an object or its text): set it, or delete the one there when it went. */
static int repo_policy(struct rs_ctx *c, const char *name, json_t *props)
{
    json_t *doc = json_object_get(props, "RepositoryPolicyText");
    if (!doc) {
        int rc = rs_do(c, "ecr", "DeleteRepositoryPolicy", repo_input(name));
        return rc && strcmp(c->err.code, "RepositoryPolicyNotFoundException") != 0 ? -1 : 0;
    }
    json_t *in = repo_input(name);
    char *text = json_text(doc);
    json_object_set_new(in, "policyText", json_string(text ? text : ""));
    free(text);
    return rs_do(c, "ecr", "SetRepositoryPolicy", in);
}

static int scanning(struct rs_ctx *c, const char *name, json_t *props)
{
    json_t *scan = json_object_get(json_object_get(props, "ImageScanningConfiguration"), "ScanOnPush");
    json_t *in = repo_input(name);
    json_object_set_new(in, "imageScanningConfiguration", json_pack("{sb}", "scanOnPush", flag(scan)));
    return rs_do(c, "ecr", "PutImageScanningConfiguration", in);
}

static int repository_create(struct rs_ctx *c, json_t *props, char **id)
{
    char *name = rs_str(props, "RepositoryName") ? strdup(rs_str(props, "RepositoryName")) : NULL;
    if (!name) { /* repository names are lowercase: so is the generated one */
        name = rs_physical_name(c, 256);
        for (char *p = name; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    *id = name;
    json_t *in = repo_input(name);
    if (rs_str(props, "ImageTagMutability"))
        json_object_set_new(in, "imageTagMutability", json_string(rs_str(props, "ImageTagMutability")));
    json_t *scan = json_object_get(props, "ImageScanningConfiguration");
    if (scan)
        json_object_set_new(in, "imageScanningConfiguration",
                            json_pack("{sb}", "scanOnPush", flag(json_object_get(scan, "ScanOnPush"))));
    json_t *enc = json_object_get(props, "EncryptionConfiguration");
    if (enc) {
        json_t *e = json_pack("{ss}", "encryptionType",
                              rs_str(enc, "EncryptionType") ? rs_str(enc, "EncryptionType") : "AES256");
        if (rs_str(enc, "KmsKey"))
            json_object_set_new(e, "kmsKey", json_string(rs_str(enc, "KmsKey")));
        json_object_set_new(in, "encryptionConfiguration", e);
    }
    if (json_array_size(json_object_get(props, "Tags")))
        json_object_set(in, "tags", json_object_get(props, "Tags"));
    if (rs_do(c, "ecr", "CreateRepository", in))
        return -1;
    if (json_object_get(props, "LifecyclePolicy") && lifecycle(c, name, props))
        return -1;
    return json_object_get(props, "RepositoryPolicyText") ? repo_policy(c, name, props) : 0;
}

/* The repository as DescribeRepositories shows it (new reference) or NULL with c->err. */
static json_t *describe(struct rs_ctx *c)
{
    json_t *out = rs_call(c, "ecr", "DescribeRepositories",
                          json_pack("{s[s]}", "repositoryNames", c->physical_id));
    json_t *repo = json_incref(rs_first(out, "repositories"));
    json_decref(out);
    return repo;
}

static int repository_read(struct rs_ctx *c, json_t *props)
{
    json_t *repo = describe(c);
    if (!repo)
        return -1;
    rs_attr(c, repo, "repositoryArn", "Arn");
    rs_attr(c, repo, "repositoryUri", "RepositoryUri");
    json_decref(repo);
    return 0;
}

static const struct rs_tagging TAGGING = {"ecr", "UntagResource", "TagResource", "resourceArn", false, "tagKeys",
                                         "tags"};

/* The repository's tags, by its ARN. */
static int update_tags(struct rs_ctx *c, json_t *props)
{
    json_t *repo = describe(c);
    int rc = repo ? rs_update_tags(c, &TAGGING, rs_str(repo, "repositoryArn"), props) : -1;
    json_decref(repo);
    return rc;
}

static int repository_update(struct rs_ctx *c, json_t *props)
{
    const char *name = c->physical_id;
    if (rs_changed(c, props, "ImageTagMutability")) {
        json_t *in = repo_input(name);
        json_object_set_new(in, "imageTagMutability", json_string(rs_str(props, "ImageTagMutability")
                                                                      ? rs_str(props, "ImageTagMutability")
                                                                      : "MUTABLE"));
        if (rs_do(c, "ecr", "PutImageTagMutability", in))
            return -1;
    }
    if (rs_changed(c, props, "ImageScanningConfiguration") && scanning(c, name, props))
        return -1;
    if (rs_changed(c, props, "LifecyclePolicy") && lifecycle(c, name, props))
        return -1;
    if (rs_changed(c, props, "RepositoryPolicyText") && repo_policy(c, name, props))
        return -1;
    return rs_changed(c, props, "Tags") ? update_tags(c, props) : 0;
}

static int repository_remove(struct rs_ctx *c, json_t *props)
{
    /* Without EmptyOnDelete a repository holding images cannot be deleted, as in CloudFormation. */
    json_t *in = repo_input(c->physical_id);
    json_object_set_new(in, "force", json_boolean(flag(json_object_get(props, "EmptyOnDelete"))));
    int rc = rs_do(c, "ecr", "DeleteRepository", in);
    return rc && strcmp(c->err.code, "RepositoryNotFoundException") != 0 ? -1 : 0;
}

static const struct rs_driver repository = {
    .type = "AWS::ECR::Repository",
    .required = (const char *const[]){NULL},
    .replace = (const char *const[]){"RepositoryName", "EncryptionConfiguration", NULL},
    .attributes = (const char *const[]){"Arn", "RepositoryUri", NULL},
    .create = repository_create,
    .read = repository_read,
    .update = repository_update,
    .remove = repository_remove,
};

const struct rs_driver *const rs_family_ecr[] = {&repository, NULL};
