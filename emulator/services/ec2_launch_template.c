/*
 * ec2_launch_template.c - launch templates and their versions.
 *
 * A template is a row of kind "lt" (`name` its name); its versions live in
 * its document as `_versions`, each a LaunchTemplateVersion as Describe
 * returns it. As in AWS the data is hardly checked at creation: a bad AMI
 * or instance type is only a Warning in the answer, and fails when
 * RunInstances (or an Auto Scaling group) launches from the template.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2_internal.h"

static const struct ec2_filter_def lt_filters[] = {
    {"create-time", "CreateTime"},
    {"launch-template-name", "LaunchTemplateName"},
    {NULL, NULL},
};

const struct ec2_kind ec2_kind_lt = {
    .type = "lt",
    .prefix = "lt-",
    .noun = "launchTemplate",
    .not_found = "InvalidLaunchTemplateId.NotFound",
    .not_found_fmt = "The specified launch template, with template ID %s, does not exist.",
    .malformed = "InvalidLaunchTemplateId.Malformed",
    .list_member = "LaunchTemplates",
    .filter_member = "Filters",
    .tags_member = "Tags",
    .tag_type = "launch-template",
    .filters = lt_filters,
    .name_filter = "launch-template-name",
};

static int first_row(struct dd_request *r, struct ec2_res *res, void *ctx)
{
    *(struct ec2_res *)ctx = *res;
    memset(res, 0, sizeof *res); /* ownership moves to ctx */
    return 1;
}

/* The template a call names by LaunchTemplateId or LaunchTemplateName. */
static int lt_or_err(struct dd_request *r, json_t *in, struct ec2_res *lt)
{
    const char *id = dd_in_str(in, "LaunchTemplateId"), *name = dd_in_str(in, "LaunchTemplateName");
    memset(lt, 0, sizeof *lt);
    if (id)
        return ec2_res_get_or_err(r, &ec2_kind_lt, id, lt);
    if (!name)
        return dd_reject(r, 400, "MissingParameter",
                         "The request must contain the parameter launchTemplateName or launchTemplateId");
    if (ec2_each(r, &ec2_kind_lt, "name", name, first_row, lt))
        return 0;
    return dd_reject(r, 400, "InvalidLaunchTemplateName.NotFoundException",
                     "The specified launch template, with template name %s, does not exist.", name);
}

/* Version `spec` ("$Latest", "$Default", "N") of the template (borrowed), or NULL with AWS's error. */
static json_t *version_or_err(struct dd_request *r, struct ec2_res *lt, const char *spec)
{
    json_int_t n;
    if (!spec || strcmp(spec, "$Default") == 0)
        n = dd_in_int(lt->doc, "DefaultVersionNumber", 1);
    else if (strcmp(spec, "$Latest") == 0)
        n = dd_in_int(lt->doc, "LatestVersionNumber", 1);
    else {
        char *end;
        n = strtoll(spec, &end, 10);
        if (*end || n < 1) {
            dd_fail(r, 400, "InvalidLaunchTemplateId.VersionNotFound",
                    "Could not find launch template version %s for template %s", spec, lt->id);
            return NULL;
        }
    }
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(lt->doc, "_versions"), i, v) if (dd_in_int(v, "VersionNumber", 0) == n) return v;
    dd_fail(r, 400, "InvalidLaunchTemplateId.VersionNotFound",
            "Could not find launch template version %s for template %s", spec, lt->id);
    return NULL;
}

json_t *ec2_launch_template_data(struct dd_request *r, json_t *spec)
{
    struct ec2_res lt;
    if (lt_or_err(r, spec, &lt))
        return NULL;
    json_t *v = version_or_err(r, &lt, dd_in_str(spec, "Version"));
    json_t *data = v ? json_deep_copy(json_object_get(v, "LaunchTemplateData")) : NULL;
    ec2_res_free(&lt);
    return data;
}

/*
 * AWS creates a template whatever its data holds and reports what would fail
 * at launch as a Warning: {Errors: [{Code, Message}]} (NULL when nothing).
 */
static json_t *data_warning(json_t *data)
{
    json_t *errors = json_array();
    const char *ami = dd_in_str(data, "ImageId"), *type = dd_in_str(data, "InstanceType");
    if (ami && !ec2_image(ami))
        json_array_append_new(errors, json_pack("{s:s, s:s++}", "Code", "InvalidAMIID.NotFound", "Message",
                                                "The image id '[", ami, "]' does not exist"));
    if (type && !ec2_instance_type(type))
        json_array_append_new(errors, json_pack("{s:s, s:s++}", "Code", "InvalidParameterValue", "Message",
                                                "Invalid value '", type, "' for InstanceType."));
    if (json_array_size(errors))
        return json_pack("{s:o}", "Errors", errors);
    json_decref(errors);
    return NULL;
}

static json_t *new_version(struct dd_request *r, struct ec2_res *lt, json_int_t n, json_t *in, json_t *data)
{
    char creator[64];
    snprintf(creator, sizeof creator, "arn:aws:iam::%s:root", r->account);
    json_t *v = json_pack("{s:s, s:s, s:I, s:o, s:s, s:b, s:O}", "LaunchTemplateId", lt->id, "LaunchTemplateName",
                          dd_in_str(lt->doc, "LaunchTemplateName"), "VersionNumber", n, "CreateTime",
                          dd_time(r->now_ms), "CreatedBy", creator, "DefaultVersion",
                          n == dd_in_int(lt->doc, "DefaultVersionNumber", 1), "LaunchTemplateData", data);
    if (dd_in_str(in, "VersionDescription"))
        json_object_set_new(v, "VersionDescription", json_string(dd_in_str(in, "VersionDescription")));
    return v;
}

json_t *ec2_op_CreateLaunchTemplate(struct dd_request *r, json_t *in)
{
    const char *name = dd_in_str(in, "LaunchTemplateName");
    json_t *data = json_object_get(in, "LaunchTemplateData");
    if (ec2_count(r, &ec2_kind_lt, "name", name) > 0)
        return dd_fail(r, 400, "InvalidLaunchTemplateName.AlreadyExistsException",
                       "Launch template name already in use.");
    struct ec2_res lt;
    char creator[64];
    snprintf(creator, sizeof creator, "arn:aws:iam::%s:root", r->account);
    ec2_res_init(&lt, &ec2_kind_lt);
    json_t *doc = json_pack("{s:s, s:s, s:o, s:s, s:i, s:i, s:[]}", "LaunchTemplateId", lt.id, "LaunchTemplateName",
                            name, "CreateTime", dd_time(r->now_ms), "CreatedBy", creator, "DefaultVersionNumber", 1,
                            "LatestVersionNumber", 1, "Tags");
    json_object_update(lt.doc, doc);
    json_decref(doc);
    json_object_set_new(lt.doc, "_versions", json_pack("[o]", new_version(r, &lt, 1, in, data)));
    json_t *out = NULL;
    if (ec2_tag_specs(r, in, &lt) == 0) {
        ec2_set(&lt.name, name);
        ec2_res_save(r, &lt);
        ec2_tags_sync(r, &lt);
        out = json_pack("{s:o, s:o*}", "LaunchTemplate", ec2_res_public(r, &lt), "Warning", data_warning(data));
    }
    ec2_res_free(&lt);
    return out;
}

json_t *ec2_op_CreateLaunchTemplateVersion(struct dd_request *r, json_t *in)
{
    struct ec2_res lt;
    if (lt_or_err(r, in, &lt))
        return NULL;
    json_t *out = NULL, *data = json_object();
    const char *source = dd_in_str(in, "SourceVersion");
    if (source) {
        json_t *v = version_or_err(r, &lt, source);
        if (!v)
            goto cleanup;
        json_object_update(data, json_object_get(v, "LaunchTemplateData"));
    }
    json_object_update(data, json_object_get(in, "LaunchTemplateData"));
    json_int_t n = dd_in_int(lt.doc, "LatestVersionNumber", 1) + 1;
    json_t *v = new_version(r, &lt, n, in, data);
    json_array_append(json_object_get(lt.doc, "_versions"), v);
    json_object_set_new(lt.doc, "LatestVersionNumber", json_integer(n));
    ec2_res_save(r, &lt);
    out = json_pack("{s:o, s:o*}", "LaunchTemplateVersion", v, "Warning", data_warning(data));
cleanup:
    json_decref(data);
    ec2_res_free(&lt);
    return out;
}

json_t *ec2_op_DescribeLaunchTemplates(struct dd_request *r, json_t *in)
{
    json_t *ids = json_deep_copy(json_object_get(in, "LaunchTemplateIds"));
    if (!ids)
        ids = json_array();
    size_t i;
    json_t *name;
    json_array_foreach(json_object_get(in, "LaunchTemplateNames"), i, name)
    {
        struct ec2_res lt;
        json_t *by_name = json_pack("{s:O}", "LaunchTemplateName", name);
        int rc = lt_or_err(r, by_name, &lt);
        json_decref(by_name);
        if (rc) {
            json_decref(ids);
            return NULL;
        }
        json_array_append_new(ids, json_string(lt.id));
        ec2_res_free(&lt);
    }
    json_t *out = ec2_describe(r, in, &ec2_kind_lt, ids);
    json_decref(ids);
    return out;
}

static const struct ec2_filter_def version_filters[] = {
    {"image-id", "LaunchTemplateData.ImageId"},
    {"instance-type", "LaunchTemplateData.InstanceType"},
    {"is-default-version", "DefaultVersion"},
    {"key-name", "LaunchTemplateData.KeyName"},
    {NULL, NULL},
};

json_t *ec2_op_DescribeLaunchTemplateVersions(struct dd_request *r, json_t *in)
{
    struct ec2_res lt;
    json_t *filters = json_object_get(in, "Filters"), *wanted = json_object_get(in, "Versions");
    struct ec2_page page;
    if (ec2_filters_check(r, version_filters, filters) || lt_or_err(r, in, &lt))
        return NULL;
    json_t *chosen = json_array();
    size_t i;
    json_t *w, *v;
    json_array_foreach(wanted, i, w)
    {
        json_t *found = version_or_err(r, &lt, json_string_value(w));
        if (!found) {
            json_decref(chosen);
            ec2_res_free(&lt);
            return NULL;
        }
        json_array_append(chosen, found);
    }
    if (!json_array_size(wanted))
        json_array_extend(chosen, json_object_get(lt.doc, "_versions"));
    json_int_t min = 0, max = 0;
    if (dd_in_str(in, "MinVersion"))
        min = strtoll(dd_in_str(in, "MinVersion"), NULL, 10);
    if (dd_in_str(in, "MaxVersion"))
        max = strtoll(dd_in_str(in, "MaxVersion"), NULL, 10);
    if (ec2_page_start(r, in, &page)) {
        json_decref(chosen);
        ec2_res_free(&lt);
        return NULL;
    }
    json_array_foreach(chosen, i, v)
    {
        json_int_t n = dd_in_int(v, "VersionNumber", 0);
        if ((int64_t)i + 1 <= page.after || page.more || (min && n < min) || (max && n > max))
            continue;
        if (ec2_filters_match(version_filters, filters, v, NULL))
            ec2_page_add(&page, (int64_t)i + 1, json_incref(v));
    }
    json_decref(chosen);
    ec2_res_free(&lt);
    return ec2_page_result(&page, "LaunchTemplateVersions");
}

json_t *ec2_op_ModifyLaunchTemplate(struct dd_request *r, json_t *in)
{
    struct ec2_res lt;
    if (lt_or_err(r, in, &lt))
        return NULL;
    const char *dflt = dd_in_str(in, "DefaultVersion");
    json_t *out = NULL;
    if (dflt) {
        json_t *v = version_or_err(r, &lt, dflt);
        if (!v)
            goto cleanup;
        json_int_t n = dd_in_int(v, "VersionNumber", 1);
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(lt.doc, "_versions"), i, e)
            json_object_set_new(e, "DefaultVersion", json_boolean(dd_in_int(e, "VersionNumber", 0) == n));
        json_object_set_new(lt.doc, "DefaultVersionNumber", json_integer(n));
        ec2_res_save(r, &lt);
    }
    out = json_pack("{s:o}", "LaunchTemplate", ec2_res_public(r, &lt));
cleanup:
    ec2_res_free(&lt);
    return out;
}

json_t *ec2_op_DeleteLaunchTemplate(struct dd_request *r, json_t *in)
{
    struct ec2_res lt;
    if (lt_or_err(r, in, &lt))
        return NULL;
    json_t *out = json_pack("{s:o}", "LaunchTemplate", ec2_res_public(r, &lt));
    ec2_res_delete(r, lt.id);
    ec2_res_free(&lt);
    return out;
}

json_t *ec2_op_DeleteLaunchTemplateVersions(struct dd_request *r, json_t *in)
{
    struct ec2_res lt;
    if (lt_or_err(r, in, &lt))
        return NULL;
    json_t *ok = json_array(), *failed = json_array(), *versions = json_object_get(lt.doc, "_versions");
    const char *name = dd_in_str(lt.doc, "LaunchTemplateName");
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(in, "Versions"), i, w)
    {
        const char *s = json_string_value(w);
        json_int_t n = strtoll(s, NULL, 10);
        size_t j, at = (size_t)-1;
        json_t *v;
        json_array_foreach(versions, j, v) if (dd_in_int(v, "VersionNumber", 0) == n) at = j;
        json_t *item = json_pack("{s:s, s:s, s:I}", "LaunchTemplateId", lt.id, "LaunchTemplateName", name,
                                 "VersionNumber", n);
        if (at == (size_t)-1) {
            json_object_set_new(item, "ResponseError",
                                json_pack("{s:s, s:s}", "Code", "launchTemplateVersionDoesNotExist", "Message",
                                          "The specified launch template version does not exist."));
            json_array_append_new(failed, item);
        } else if (n == dd_in_int(lt.doc, "DefaultVersionNumber", 1)) {
            json_object_set_new(item, "ResponseError",
                                json_pack("{s:s, s:s}", "Code", "launchTemplateVersionIsDefault", "Message",
                                          "The specified launch template version is the default version and cannot "
                                          "be deleted."));
            json_array_append_new(failed, item);
        } else {
            json_array_remove(versions, at);
            json_array_append_new(ok, item);
        }
    }
    ec2_res_save(r, &lt);
    ec2_res_free(&lt);
    return json_pack("{s:o, s:o}", "SuccessfullyDeletedLaunchTemplateVersions", ok,
                     "UnsuccessfullyDeletedLaunchTemplateVersions", failed);
}
