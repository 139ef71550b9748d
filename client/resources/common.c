/* common.c - helpers every resource driver shares (see resource.h). */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "resource.h"

json_t *rs_call(struct rs_ctx *c, const char *service, const char *op, json_t *input)
{
    json_t *out = aws_call(c->aws, service, op, input, &c->err);
    json_decref(input);
    return out;
}

int rs_do(struct rs_ctx *c, const char *service, const char *op, json_t *input)
{
    json_t *out = rs_call(c, service, op, input);
    json_decref(out);
    return out ? 0 : -1;
}

bool rs_gone(const struct rs_ctx *c)
{
    const char *code = c->err.code;
    return strstr(code, "NotFound") || strcmp(code, "NoSuchEntity") == 0 ||
           strcmp(code, "ResourceNotFoundException") == 0 || strcmp(code, "ParameterNotFound") == 0 ||
           strcmp(code, "ClusterNotFoundException") == 0 || strcmp(code, "ServiceNotFoundException") == 0 ||
           strcmp(code, "InvalidPermission.NotFound") == 0;
}

int rs_fail(struct rs_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dd_verr(&c->err, 400, "ValidationError", fmt, ap);
    va_end(ap);
    return -1;
}

char *rs_physical_name(struct rs_ctx *c, size_t max)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    char suffix[14], name[512];
    /* Distinct per call: a replacement made in the same second as its original needs another name. */
    static atomic_uint calls;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    unsigned seed = (unsigned)now.tv_sec ^ (unsigned)now.tv_nsec ^ (unsigned)getpid() * 2654435761u ^
                    (atomic_fetch_add(&calls, 1) + 1) * 40503u;
    for (const char *p = c->logical_id; *p; p++)
        seed = seed * 31 + (unsigned char)*p;
    for (int i = 0; i < 12; i++)
        suffix[i] = alphabet[rand_r(&seed) % 36];
    suffix[12] = 0;
    /* CloudFormation shortens the stack name and logical id to fit, keeping the random part. */
    size_t room = max > 14 ? max - 14 : 2, half = room / 2;
    size_t sl = strlen(c->stack), ll = strlen(c->logical_id);
    if (sl + ll > room) {
        sl = sl < half ? sl : half;
        ll = ll < room - sl ? ll : room - sl;
    }
    snprintf(name, sizeof name, "%.*s-%.*s-%s", (int)sl, c->stack, (int)ll, c->logical_id, suffix);
    return strdup(name);
}

const char *rs_str(json_t *props, const char *key)
{
    return json_string_value(json_object_get(props, key));
}

bool rs_changed(struct rs_ctx *c, json_t *props, const char *key)
{
    json_t *a = json_object_get(c->old_props, key), *b = json_object_get(props, key);
    return !(a == b || (a && b && json_equal(a, b)));
}

json_t *rs_pick(json_t *props, const char *const *keys)
{
    json_t *out = json_object();
    for (size_t i = 0; keys[i]; i++) {
        json_t *v = json_object_get(props, keys[i]);
        if (v)
            json_object_set(out, keys[i], v);
    }
    return out;
}

bool rs_emulated(const struct rs_ctx *c)
{
    return c->aws && (c->aws->endpoint[0] || c->aws->env_endpoint[0]);
}

int rs_wait(struct rs_ctx *c, const char *what, int (*probe)(struct rs_ctx *c, void *ud), void *ud, int timeout_s)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    /* The emulator's fast clock turns AWS seconds into milliseconds: a short, steady poll finds the change
     * as it happens. Real AWS gets the SDK waiters' manners: back off to their 15 s delay. */
    bool emulated = rs_emulated(c);
    long delay_ms = emulated ? 50 : 1000, cap_ms = emulated ? 50 : 15000;
    bool reported = false;
    for (;;) {
        int rc = probe(c, ud);
        if (rc)
            return rc > 0 ? 0 : -1;
        if (!reported && c->progress)
            c->progress(c, what);
        reported = true;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec > timeout_s)
            return rs_fail(c, "timed out after %d s %s", timeout_s, what);
        nanosleep(&(struct timespec){delay_ms / 1000, (delay_ms % 1000) * 1000000L}, NULL);
        delay_ms = delay_ms * 2 > cap_ms ? cap_ms : delay_ms * 2;
    }
}

json_t *rs_ec2_tag_spec(json_t *tags, const char *resource_type)
{
    if (!json_is_array(tags) || !json_array_size(tags))
        return NULL;
    return json_pack("[{sssO}]", "ResourceType", resource_type, "Tags", tags);
}

/* The keys of `tags` absent from `other` (or with another value when `values`). */
static json_t *tag_difference(json_t *tags, json_t *other, bool values)
{
    json_t *out = json_array(), *t, *o;
    size_t i, j;
    json_array_foreach(tags, i, t) {
        bool found = false;
        json_array_foreach(other, j, o) {
            found |= json_equal(json_object_get(t, "Key"), json_object_get(o, "Key")) &&
                     (!values || json_equal(json_object_get(t, "Value"), json_object_get(o, "Value")));
        }
        if (!found)
            json_array_append_new(out, values ? json_incref(t) : json_pack("{sO}", "Key", json_object_get(t, "Key")));
    }
    return out;
}

void rs_tag_changes(struct rs_ctx *c, json_t *props, json_t **removed, json_t **added)
{
    json_t *old = json_object_get(c->old_props, "Tags"), *now = json_object_get(props, "Tags");
    json_t *gone = tag_difference(old, now, false), *t;
    size_t i;
    *removed = json_array();
    json_array_foreach(gone, i, t) json_array_append(*removed, json_object_get(t, "Key"));
    json_decref(gone);
    *added = tag_difference(now, old, true);
}

int rs_ec2_update_tags(struct rs_ctx *c, const char *id, json_t *props)
{
    if (!rs_changed(c, props, "Tags"))
        return 0;
    json_t *old = json_object_get(c->old_props, "Tags"), *now = json_object_get(props, "Tags");
    json_t *gone = tag_difference(old, now, false), *set = tag_difference(now, old, true);
    int rc = 0;
    if (json_array_size(gone))
        rc = rs_do(c, "ec2", "DeleteTags", json_pack("{s[s]sO}", "Resources", id, "Tags", gone));
    if (!rc && json_array_size(set))
        rc = rs_do(c, "ec2", "CreateTags", json_pack("{s[s]sO}", "Resources", id, "Tags", set));
    json_decref(gone);
    json_decref(set);
    return rc;
}

json_t *rs_first(json_t *out, const char *list)
{
    return json_array_get(json_object_get(out, list), 0);
}

int rs_create_id(struct rs_ctx *c, const char *service, const char *op, json_t *in, const char *container,
                 bool in_list, const char *id_key, char **id)
{
    json_t *out = rs_call(c, service, op, in);
    json_t *holder = container ? json_object_get(out, container) : out;
    if (in_list)
        holder = json_array_get(holder, 0);
    const char *v = json_string_value(json_object_get(holder, id_key));
    *id = v ? strdup(v) : NULL;
    json_decref(out);
    if (out && !v)
        return rs_fail(c, "%s returned no %s", op, id_key);
    return out ? 0 : -1;
}

int rs_delete_id(struct rs_ctx *c, const char *service, const char *op, const char *id_key)
{
    int rc = rs_do(c, service, op, json_pack("{ss}", id_key, c->physical_id));
    return rc && !rs_gone(c) ? -1 : 0;
}

json_t *rs_describe_one(struct rs_ctx *c, const char *service, const char *op, const char *ids_key,
                        const char *list)
{
    json_t *out = rs_call(c, service, op, json_pack("{s[s]}", ids_key, c->physical_id));
    json_t *item = json_incref(rs_first(out, list));
    json_decref(out);
    if (out && !item)
        rs_fail(c, "%s does not find %s", op, c->physical_id);
    return item;
}

void rs_attr(struct rs_ctx *c, json_t *item, const char *from, const char *to)
{
    json_t *v = json_object_get(item, from);
    if (v)
        json_object_set(c->attrs, to, v);
}

int rs_update_tags(struct rs_ctx *c, const struct rs_tagging *t, const char *arn, json_t *props)
{
    if (!rs_changed(c, props, "Tags"))
        return 0;
    json_t *removed, *added;
    rs_tag_changes(c, props, &removed, &added);
    json_t *target = t->arn_list ? json_pack("[s]", arn) : json_string(arn);
    int rc = 0;
    if (json_array_size(removed))
        rc = rs_do(c, t->service, t->untag_op, json_pack("{sOsO}", t->arn_key, target, t->keys_key, removed));
    if (!rc && json_array_size(added))
        rc = rs_do(c, t->service, t->tag_op, json_pack("{sOsO}", t->arn_key, target, t->tags_key, added));
    json_decref(target);
    json_decref(removed);
    json_decref(added);
    return rc;
}
