/* logs_ssm.c - AWS::Logs::LogGroup and AWS::SSM::Parameter: named resources, Ref is the name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"

/* CloudFormation Tags [{Key, Value}] -> {Key: Value}. New reference. */
static json_t *tag_map(json_t *tags)
{
    json_t *out = json_object(), *t;
    size_t i;
    json_array_foreach(tags, i, t) {
        if (rs_str(t, "Key"))
            json_object_set(out, rs_str(t, "Key"), json_object_get(t, "Value"));
    }
    return out;
}

/* ---- LogGroup ------------------------------------------------------------------------------------ */

static int retention(struct rs_ctx *c, const char *name, json_t *props)
{
    json_t *days = json_object_get(props, "RetentionInDays");
    if (days)
        return rs_do(c, "logs", "PutRetentionPolicy",
                     json_pack("{sssO}", "logGroupName", name, "retentionInDays", days));
    return rs_do(c, "logs", "DeleteRetentionPolicy", json_pack("{ss}", "logGroupName", name));
}

static int log_group_create(struct rs_ctx *c, json_t *props, char **id)
{
    char *name = rs_str(props, "LogGroupName") ? strdup(rs_str(props, "LogGroupName")) : rs_physical_name(c, 512);
    json_t *in = json_pack("{ss}", "logGroupName", name);
    if (rs_str(props, "KmsKeyId"))
        json_object_set_new(in, "kmsKeyId", json_string(rs_str(props, "KmsKeyId")));
    if (json_array_size(json_object_get(props, "Tags")))
        json_object_set_new(in, "tags", tag_map(json_object_get(props, "Tags")));
    *id = name;
    if (rs_do(c, "logs", "CreateLogGroup", in))
        return -1;
    return json_object_get(props, "RetentionInDays") ? retention(c, name, props) : 0;
}

static int log_group_read(struct rs_ctx *c, json_t *props)
{
    json_t *out = rs_call(c, "logs", "DescribeLogGroups", json_pack("{ss}", "logGroupNamePrefix", c->physical_id)), *g;
    size_t i;
    json_array_foreach(json_object_get(out, "logGroups"), i, g) {
        if (strcmp(rs_str(g, "logGroupName") ? rs_str(g, "logGroupName") : "", c->physical_id) == 0)
            json_object_set(c->attrs, "Arn", json_object_get(g, "arn"));
    }
    json_decref(out);
    return out ? 0 : -1;
}

static int log_group_update(struct rs_ctx *c, json_t *props)
{
    return rs_changed(c, props, "RetentionInDays") ? retention(c, c->physical_id, props) : 0;
}

static int log_group_remove(struct rs_ctx *c, json_t *props)
{
    int rc = rs_do(c, "logs", "DeleteLogGroup", json_pack("{ss}", "logGroupName", c->physical_id));
    return rc && !rs_gone(c) ? -1 : 0;
}

static const struct rs_driver log_group = {
    .type = "AWS::Logs::LogGroup",
    .required = (const char *const[]){NULL},
    .replace = (const char *const[]){"LogGroupName", "KmsKeyId", "LogGroupClass", NULL},
    .attributes = (const char *const[]){"Arn", NULL},
    .create = log_group_create, .read = log_group_read, .update = log_group_update, .remove = log_group_remove,
};

/* ---- SSM Parameter ------------------------------------------------------------------------------------ */

static json_t *put_input(const char *name, json_t *props, bool overwrite)
{
    json_t *in = rs_pick(props, (const char *const[]){"Type", "Value", "Description", "AllowedPattern", "Tier",
                                                       "DataType", "Policies", NULL});
    json_object_set_new(in, "Name", json_string(name));
    if (overwrite)
        json_object_set_new(in, "Overwrite", json_true());
    return in;
}

static int ssm_tags(struct rs_ctx *c, const char *name, json_t *tags)
{
    if (!json_object_size(tags))
        return 0;
    json_t *list = json_array(), *v;
    const char *k;
    json_object_foreach(tags, k, v) json_array_append_new(list, json_pack("{sssO}", "Key", k, "Value", v));
    return rs_do(c, "ssm", "AddTagsToResource",
                 json_pack("{sssss o}", "ResourceType", "Parameter", "ResourceId", name, "Tags", list));
}

static int parameter_create(struct rs_ctx *c, json_t *props, char **id)
{
    char *name = rs_str(props, "Name") ? strdup(rs_str(props, "Name")) : NULL;
    if (!name) {
        char *generated = rs_physical_name(c, 200);
        size_t n = strlen(generated) + 5;
        name = malloc(n);
        snprintf(name, n, "CFN-%s", generated);
        free(generated);
    }
    *id = name;
    if (rs_do(c, "ssm", "PutParameter", put_input(name, props, false)))
        return -1;
    return ssm_tags(c, name, json_object_get(props, "Tags"));
}

static int parameter_read(struct rs_ctx *c, json_t *props)
{
    json_object_set(c->attrs, "Type", json_object_get(props, "Type"));
    json_object_set(c->attrs, "Value", json_object_get(props, "Value"));
    return 0;
}

static int parameter_update(struct rs_ctx *c, json_t *props)
{
    if (rs_do(c, "ssm", "PutParameter", put_input(c->physical_id, props, true)))
        return -1;
    return rs_changed(c, props, "Tags") ? ssm_tags(c, c->physical_id, json_object_get(props, "Tags")) : 0;
}

static int parameter_remove(struct rs_ctx *c, json_t *props)
{
    int rc = rs_do(c, "ssm", "DeleteParameter", json_pack("{ss}", "Name", c->physical_id));
    return rc && !rs_gone(c) ? -1 : 0;
}

static const struct rs_driver parameter = {
    .type = "AWS::SSM::Parameter",
    .required = (const char *const[]){"Type", "Value", NULL},
    .replace = (const char *const[]){"Name", NULL},
    .attributes = (const char *const[]){"Type", "Value", NULL},
    .create = parameter_create, .read = parameter_read, .update = parameter_update, .remove = parameter_remove,
};

/* ---- AWS::CDK::Metadata: accepted, creates nothing ------------------------------------------------ */

static int nothing_create(struct rs_ctx *c, json_t *props, char **id)
{
    *id = strdup(c->logical_id);
    return 0;
}

static int nothing_update(struct rs_ctx *c, json_t *props) { return 0; }
static int nothing_remove(struct rs_ctx *c, json_t *props) { return 0; }

static const struct rs_driver cdk_metadata = {
    .type = "AWS::CDK::Metadata",
    .required = (const char *const[]){NULL},
    .replace = (const char *const[]){NULL},
    .attributes = (const char *const[]){NULL},
    .create = nothing_create, .update = nothing_update, .remove = nothing_remove,
};

const struct rs_driver *const rs_family_logs_ssm[] = {&log_group, &parameter, &cdk_metadata, NULL};
