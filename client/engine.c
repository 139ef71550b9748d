/* engine.c - plan, apply, destroy, outputs, state list, graph, validate (see engine.h). */
#include "engine.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dag.h"
#include "graph.h"
#include "resources/resource.h"
#include "state.h"
#include "template.h"

enum action { ACT_NONE, ACT_ADD, ACT_UPDATE, ACT_REPLACE, ACT_DELETE };
static const char *const ACT_SIGN[] = {" ", "+", "~", "-/+", "-"};

struct node {
    const char *id; /* borrowed from the template */
    const char *type;
    const struct rs_driver *drv;
    json_t *decl;    /* the template's resource (borrowed) */
    json_t *entry;   /* state entry (owned), NULL before creation */
    json_t *props;   /* resolved Properties (owned) */
    json_t *changed; /* names of changed properties (owned) */
    enum action act;
};

struct run {
    const struct engine_opts *o;
    struct tpl t;
    struct state *st;
    char stack[128];
    struct graph g;
    struct node *nodes;
    bool planning;
    pthread_mutex_t mu;     /* nodes' entries, output */
    pthread_mutex_t net_mu; /* the account and AZ caches */
    json_t *account, *azs;
    char target_error[1200]; /* the first failed look-up on the target (account, zones) */
    struct timespec start;
    int counts[5];
};

static double since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void say(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&r->mu);
    vfprintf(r->o->out, fmt, ap);
    fflush(r->o->out);
    pthread_mutex_unlock(&r->mu);
    va_end(ap);
}

/* ---- lookups for intrinsics --------------------------------------------------------------------- */

static struct node *node_of(struct run *r, const char *id)
{
    size_t i = graph_index(&r->g, id);
    return i < r->g.n ? &r->nodes[i] : NULL;
}

/* The node's state entry if its values are known now (not about to be created or replaced). */
static json_t *known_entry(struct run *r, const char *id)
{
    struct node *n = node_of(r, id);
    if (!n || !n->entry || (r->planning && (n->act == ACT_ADD || n->act == ACT_REPLACE)))
        return NULL;
    return n->entry;
}

static json_t *lk_ref(void *ud, const char *id)
{
    struct run *r = ud;
    pthread_mutex_lock(&r->mu);
    json_t *e = known_entry(r, id), *v = NULL;
    if (e) {
        v = json_object_get(json_object_get(e, "Attributes"), "Ref");
        v = json_incref(v ? v : json_object_get(e, "PhysicalId"));
    }
    pthread_mutex_unlock(&r->mu);
    return v;
}

static json_t *lk_getatt(void *ud, const char *id, const char *attr)
{
    struct run *r = ud;
    pthread_mutex_lock(&r->mu);
    json_t *v = json_incref(json_object_get(json_object_get(known_entry(r, id), "Attributes"), attr));
    pthread_mutex_unlock(&r->mu);
    return v;
}

static json_t *lk_account(void *ud)
{
    struct run *r = ud;
    struct dd_error err;
    pthread_mutex_lock(&r->net_mu);
    if (!r->account && r->o->aws) {
        json_t *out = aws_call(r->o->aws, "sts", "GetCallerIdentity", NULL, &err);
        if (!out && !r->target_error[0])
            snprintf(r->target_error, sizeof r->target_error, "%s: %s", err.code, err.message);
        r->account = json_incref(json_object_get(out, "Account"));
        json_decref(out);
    }
    json_t *v = json_incref(r->account);
    pthread_mutex_unlock(&r->net_mu);
    return v;
}

static json_t *lk_azs(void *ud, const char *region)
{
    struct run *r = ud;
    struct dd_error err;
    pthread_mutex_lock(&r->net_mu);
    if (!r->azs && r->o->aws) {
        json_t *out = aws_call(r->o->aws, "ec2", "DescribeAvailabilityZones", NULL, &err), *z;
        size_t i;
        if (!out && !r->target_error[0])
            snprintf(r->target_error, sizeof r->target_error, "%s: %s", err.code, err.message);
        if (out) {
            r->azs = json_array();
            json_array_foreach(json_object_get(out, "AvailabilityZones"), i, z)
                json_array_append(r->azs, json_object_get(z, "ZoneName"));
        }
        json_decref(out);
    }
    json_t *v = json_incref(r->azs);
    pthread_mutex_unlock(&r->net_mu);
    return v;
}

static json_t *lk_ssm(void *ud, const char *name, char *why, size_t why_len)
{
    struct run *r = ud;
    struct dd_error err;
    if (!r->o->aws) {
        snprintf(why, why_len, "no target to read SSM parameter %s from", name);
        return NULL;
    }
    json_t *in = json_pack("{sssb}", "Name", name, "WithDecryption", 1);
    json_t *out = aws_call(r->o->aws, "ssm", "GetParameter", in, &err);
    json_decref(in);
    json_t *v = json_incref(json_object_get(json_object_get(out, "Parameter"), "Value"));
    json_decref(out);
    if (!v)
        snprintf(why, why_len, "cannot read SSM parameter %s: %s: %s", name, err.code, err.message);
    return v;
}

/* ---- preparing a run ------------------------------------------------------------------------------ */

void engine_stack_name(const char *path, char *out, size_t len)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strcspn(base, ".");
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < len; i++)
        out[j++] = (base[i] >= 'a' && base[i] <= 'z') || (base[i] >= 'A' && base[i] <= 'Z') ||
                           (base[i] >= '0' && base[i] <= '9') || base[i] == '-'
                       ? base[i]
                       : '-';
    out[j] = 0;
}

static int print_errors(const struct engine_opts *o, json_t *errors, const char *what)
{
    json_t *x;
    size_t i;
    fprintf(o->err, "drydock: %s:\n", what);
    json_array_foreach(errors, i, x) fprintf(o->err, "  %s\n", json_string_value(x));
    return 1;
}

/* The stack name: --stack, else the template's base name, else the one stack in the state. */
static int pick_stack(struct run *r)
{
    if (r->o->stack) {
        snprintf(r->stack, sizeof r->stack, "%s", r->o->stack);
        return 0;
    }
    if (r->o->template_path) {
        engine_stack_name(r->o->template_path, r->stack, sizeof r->stack);
        return 0;
    }
    json_t *stacks = state_stacks(r->st);
    int rc = 0;
    if (json_array_size(stacks) == 1)
        snprintf(r->stack, sizeof r->stack, "%s", json_string_value(json_array_get(stacks, 0)));
    else {
        fprintf(r->o->err, "drydock: %s; name one with --stack NAME\n",
                json_array_size(stacks) ? "the state holds several stacks" : "the state holds no stack");
        rc = 1;
    }
    json_decref(stacks);
    return rc;
}

static int open_state(struct run *r, bool lock)
{
    char why[2048];
    r->st = state_open(r->o->state_dir, why, sizeof why);
    if (!r->st || pick_stack(r)) {
        if (!r->st)
            fprintf(r->o->err, "drydock: %s\n", why);
        return 1;
    }
    if (lock && state_lock(r->st, r->stack, why, sizeof why)) {
        fprintf(r->o->err, "drydock: %s\n", why);
        return 1;
    }
    return 0;
}

/* Loads the template and binds parameters, conditions and rules; builds the graph of the active resources. */
static int load(struct run *r)
{
    char why[2048];
    json_t *doc = tpl_load_file(r->o->template_path, why, sizeof why);
    if (!doc) {
        fprintf(r->o->err, "drydock: %s: %s\n", r->o->template_path, why);
        return 1;
    }
    struct tpl_lookup lk = {lk_ref, lk_getatt, lk_account, lk_azs, lk_ssm, r};
    tpl_init(&r->t, doc, r->stack, r->o->aws ? r->o->aws->region : "us-east-1", &lk);
    json_t *errors = json_array(), *empty = json_object();
    engine_check_template(doc, errors);
    if (!json_array_size(errors))
        tpl_bind_params(&r->t, r->o->params ? r->o->params : empty, errors);
    if (!json_array_size(errors))
        tpl_eval_conditions(&r->t, errors);
    if (!json_array_size(errors))
        tpl_check_rules(&r->t, errors);
    json_decref(empty);
    int rc = json_array_size(errors) ? print_errors(r->o, errors, "the template is invalid") : 0;
    json_decref(errors);
    if (rc)
        return rc;
    json_t *active = json_object(), *decl;
    const char *id;
    json_t *resources = json_object_get(doc, "Resources");
    json_object_foreach(resources, id, decl) {
        if (tpl_condition_holds(&r->t, decl))
            json_object_set_new(active, id, json_true());
    }
    graph_build(resources, active, &r->g);
    json_decref(active);
    r->nodes = calloc(r->g.n + 1, sizeof *r->nodes);
    json_t *entries = state_resources(r->st, r->stack);
    for (size_t i = 0; i < r->g.n; i++) {
        struct node *n = &r->nodes[i];
        n->id = r->g.ids[i];
        n->decl = json_object_get(resources, n->id);
        n->type = json_string_value(json_object_get(n->decl, "Type"));
        n->drv = rs_find(n->type);
        n->entry = json_incref(json_object_get(entries, n->id));
    }
    json_decref(entries);
    return 0;
}

static void run_free(struct run *r)
{
    for (size_t i = 0; r->nodes && i < r->g.n; i++) {
        json_decref(r->nodes[i].entry);
        json_decref(r->nodes[i].props);
        json_decref(r->nodes[i].changed);
    }
    free(r->nodes);
    graph_free(&r->g);
    if (r->t.doc)
        tpl_free(&r->t);
    json_decref(r->account);
    json_decref(r->azs);
    state_close(r->st);
}

/* ---- deciding what to do ---------------------------------------------------------------------------- */

static bool replaces(const struct rs_driver *d, const char *prop)
{
    for (size_t i = 0; d->replace && d->replace[i]; i++)
        if (strcmp(d->replace[i], "*") == 0 || strcmp(d->replace[i], prop) == 0)
            return true;
    return !d->update;
}

/* Resolves the node's properties and compares them with what was applied. */
static int decide(struct run *r, struct node *n, char *why, size_t why_len)
{
    json_t *decl_props = json_object_get(n->decl, "Properties"), *empty = json_object();
    json_t *props = tpl_resolve(&r->t, decl_props ? decl_props : empty, why, why_len);
    json_decref(empty);
    if (!props)
        return -1;
    json_decref(n->props);
    json_decref(n->changed);
    n->props = props;
    n->changed = json_array();
    if (!n->entry) {
        n->act = ACT_ADD;
        return 0;
    }
    if (strcmp(json_string_value(json_object_get(n->entry, "Type")) ?: "", n->type) != 0) {
        n->act = ACT_REPLACE;
        return 0;
    }
    json_t *old = json_object_get(n->entry, "Properties"), *union_keys = json_deep_copy(old), *v;
    json_object_update(union_keys, props);
    const char *k;
    bool replace = false;
    json_object_foreach(union_keys, k, v) {
        json_t *a = json_object_get(old, k), *b = json_object_get(props, k);
        if (a && b && json_equal(a, b) && !tpl_contains_unknown(b))
            continue;
        json_array_append_new(n->changed, json_string(k));
        replace |= replaces(n->drv, k);
    }
    json_decref(union_keys);
    n->act = !json_array_size(n->changed) ? ACT_NONE : replace ? ACT_REPLACE : ACT_UPDATE;
    return 0;
}

/* ---- plan -------------------------------------------------------------------------------------------- */

/* A value for display: NoEcho parameters' values masked. New string. */
static char *shown(struct run *r, json_t *v)
{
    if (!v)
        return strdup("(none)");
    if (tpl_contains_unknown(v))
        return strdup("(known after apply)");
    const char *name;
    json_t *x;
    json_object_foreach(r->t.noecho, name, x) {
        if (json_equal(json_object_get(r->t.params, name), v))
            return strdup("\"****\"");
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s && strlen(s) > 200)
        strcpy(s + 190, " ...");
    return s;
}

static void print_change(struct run *r, struct node *n)
{
    json_t *x;
    size_t i;
    say(r, "  %s %s (%s)", ACT_SIGN[n->act], n->id, n->type);
    if (n->act == ACT_REPLACE) {
        say(r, " replace because of:");
        json_array_foreach(n->changed, i, x) if (replaces(n->drv, json_string_value(x)))
            say(r, " %s", json_string_value(x));
    }
    say(r, "\n");
    if (n->act != ACT_UPDATE && n->act != ACT_REPLACE)
        return;
    json_array_foreach(n->changed, i, x) {
        const char *k = json_string_value(x);
        char *a = shown(r, json_object_get(json_object_get(n->entry, "Properties"), k));
        char *b = shown(r, json_object_get(n->props, k));
        say(r, "      %s %s: %s -> %s\n", replaces(n->drv, k) ? "!" : "~", k, a, b);
        free(a);
        free(b);
    }
}

/* Entries of the state the template no longer has (and replaced resources awaiting deletion). */
static json_t *leftovers(struct run *r)
{
    json_t *entries = state_resources(r->st, r->stack), *out = json_object(), *e;
    const char *id;
    json_object_foreach(entries, id, e) {
        if (graph_index(&r->g, id) == r->g.n)
            json_object_set(out, id, e);
    }
    json_decref(entries);
    return out;
}

/* Decides every node in dependency order (so a replaced resource makes its dependents' inputs unknown). */
static int decide_all(struct run *r)
{
    size_t *order = calloc(r->g.n + 1, sizeof *order);
    dag_order(r->g.n, r->g.deps, r->g.ndeps, order, NULL);
    int rc = 0;
    for (size_t k = 0; k < r->g.n && !rc; k++) {
        struct node *n = &r->nodes[order[k]];
        char why[1024];
        if (decide(r, n, why, sizeof why)) {
            fprintf(r->o->err, "drydock: %s: %s\n", n->id, why);
            rc = 1;
        }
    }
    free(order);
    return rc;
}

/* Plan and apply need the target (the account id, at least): asking for it
 * first turns an unreachable or untrusted endpoint into one clear error
 * instead of plans and failures built on missing values. */
static int reach_target(struct run *r)
{
    if (!r->o->aws)
        return 0;
    json_decref(lk_account(r));
    if (!r->target_error[0])
        return 0;
    fprintf(r->o->err, "drydock: cannot use the target: %s\n", r->target_error);
    return 1;
}

int engine_plan(const struct engine_opts *o)
{
    struct run r = {.o = o, .planning = true};
    pthread_mutex_init(&r.mu, NULL);
    pthread_mutex_init(&r.net_mu, NULL);
    int rc = open_state(&r, false) || load(&r) || reach_target(&r) || decide_all(&r);
    if (!rc && r.target_error[0]) {
        fprintf(o->err, "drydock: cannot use the target: %s\n", r.target_error);
        rc = 1;
    }
    if (!rc) {
        say(&r, "Plan for stack %s:\n", r.stack);
        for (size_t i = 0; i < r.g.n; i++) {
            r.counts[r.nodes[i].act]++;
            if (r.nodes[i].act != ACT_NONE)
                print_change(&r, &r.nodes[i]);
        }
        json_t *gone = leftovers(&r), *e;
        const char *id;
        json_object_foreach(gone, id, e) {
            say(&r, "  - %s (%s)\n", id, json_string_value(json_object_get(e, "Type")));
            r.counts[ACT_DELETE]++;
        }
        json_decref(gone);
        int total = r.counts[ACT_ADD] + r.counts[ACT_UPDATE] + r.counts[ACT_REPLACE] + r.counts[ACT_DELETE];
        say(&r, "%s%d to add, %d to change, %d to replace, %d to delete.\n", total ? "Plan: " : "No changes. ",
            r.counts[ACT_ADD], r.counts[ACT_UPDATE], r.counts[ACT_REPLACE], r.counts[ACT_DELETE]);
    }
    run_free(&r);
    return rc ? 1 : 0;
}

/* ---- apply -------------------------------------------------------------------------------------------- */

static void progress(struct rs_ctx *c, const char *status)
{
    struct run *r = c->ud;
    say(r, "  . %s (%s): %s\n", c->logical_id, c->physical_id ? c->physical_id : "", status);
}

static json_t *dep_names(struct run *r, size_t i)
{
    json_t *deps = json_array();
    for (size_t j = 0; j < r->g.ndeps[i]; j++)
        json_array_append_new(deps, json_string(r->g.ids[r->g.deps[i][j]]));
    return deps;
}

/* Records the node's resource as it now exists. */
static void record(struct run *r, size_t i, const char *physical, json_t *props, json_t *attrs)
{
    struct node *n = &r->nodes[i];
    const char *policy = json_string_value(json_object_get(n->decl, "DeletionPolicy"));
    json_t *entry = json_pack("{sssssOsOsosb}", "Type", n->type, "PhysicalId", physical, "Properties", props,
                              "Attributes", attrs, "DependsOn", dep_names(r, i), "Retain",
                              policy && strcmp(policy, "Retain") == 0);
    if (policy) /* a driver may act on it when deleting (an RDS instance's final snapshot) */
        json_object_set_new(entry, "DeletionPolicy", json_string(policy));
    state_put(r->st, r->stack, n->id, entry);
    pthread_mutex_lock(&r->mu);
    json_decref(n->entry);
    n->entry = entry;
    pthread_mutex_unlock(&r->mu);
}

/* Keeps a replaced resource's entry under another name until the cleanup deletes it. */
static void retire(struct run *r, struct node *n)
{
    char key[1024];
    snprintf(key, sizeof key, "%s#replaced#%s", n->id, json_string_value(json_object_get(n->entry, "PhysicalId")));
    state_put(r->st, r->stack, key, n->entry);
}

static int fail_node(struct run *r, struct node *n, struct rs_ctx *c, double t0)
{
    say(r, "  x %s (%s): failed after %.2fs: %s: %s\n", n->id, n->type, t0, c->err.code, c->err.message);
    pthread_mutex_lock(&r->mu);
    if (r->o->failure && !r->o->failure->code[0])
        *r->o->failure = c->err;
    pthread_mutex_unlock(&r->mu);
    return -1;
}

static int apply_node(void *ud, size_t i)
{
    struct run *r = ud;
    struct node *n = &r->nodes[i];
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct rs_ctx c = {.aws = r->o->aws, .stack = r->stack, .logical_id = n->id, .progress = progress, .ud = r};
    char why[1024];
    if (decide(r, n, why, sizeof why) || tpl_contains_unknown(n->props)) {
        dd_err(&c.err, 400, "ValidationError", "%s", why[0] ? why : "a referenced attribute has no value");
        return fail_node(r, n, &c, 0);
    }
    if (n->act == ACT_NONE)
        return 0;
    static const char *const verbs[] = {"", "creating", "updating", "replacing", ""};
    say(r, "  %s %s (%s): %s\n", ACT_SIGN[n->act], n->id, n->type, verbs[n->act]);
    char *physical = NULL;
    json_t *attrs = json_object();
    int rc;
    if (n->act == ACT_UPDATE) {
        physical = strdup(json_string_value(json_object_get(n->entry, "PhysicalId")));
        c.physical_id = physical;
        c.old_props = json_object_get(n->entry, "Properties");
        rc = n->drv->update(&c, n->props);
    } else {
        rc = n->drv->create(&c, n->props, &physical);
        if (physical && n->act == ACT_REPLACE)
            retire(r, n);
    }
    c.physical_id = physical;
    c.attrs = attrs;
    if (!rc && n->drv->read)
        rc = n->drv->read(&c, n->props);
    if (physical) {
        /* What exists is recorded even when a later step failed; the next apply continues from it. */
        json_t *empty = json_object();
        record(r, i, physical, rc && n->act != ACT_UPDATE ? empty : n->props, attrs);
        json_decref(empty);
    }
    double secs = since(&t0);
    if (!rc)
        say(r, "  %s %s (%s): %s %s (%.2fs)\n", ACT_SIGN[n->act], n->id, n->type,
            n->act == ACT_ADD ? "created" : n->act == ACT_UPDATE ? "updated" : "replaced", physical, secs);
    free(physical);
    json_decref(attrs);
    if (rc)
        return fail_node(r, n, &c, secs);
    pthread_mutex_lock(&r->mu);
    r->counts[n->act]++;
    pthread_mutex_unlock(&r->mu);
    return 0;
}

/* ---- deleting (apply's cleanup and destroy) ---------------------------------------------------------- */

struct deletion {
    struct run *r;
    const char **ids;
    json_t **entries;
    size_t n;
};

static int delete_node(void *ud, size_t i)
{
    struct deletion *d = ud;
    struct run *r = d->r;
    json_t *e = d->entries[i];
    const char *type = json_string_value(json_object_get(e, "Type")) ?: "";
    const struct rs_driver *drv = rs_find(type);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (json_is_true(json_object_get(e, "Retain"))) {
        say(r, "  - %s (%s): retained %s (DeletionPolicy Retain)\n", d->ids[i], type,
            json_string_value(json_object_get(e, "PhysicalId")));
        return state_delete(r->st, r->stack, d->ids[i]);
    }
    say(r, "  - %s (%s): deleting\n", d->ids[i], type);
    struct rs_ctx c = {.aws = r->o->aws, .stack = r->stack, .logical_id = d->ids[i],
                       .physical_id = json_string_value(json_object_get(e, "PhysicalId")),
                       .deletion_policy = json_string_value(json_object_get(e, "DeletionPolicy")),
                       .progress = progress, .ud = r};
    if (!drv) {
        dd_err(&c.err, 400, "ValidationError", "unsupported resource type %s", type);
        return fail_node(r, &(struct node){.id = d->ids[i], .type = type}, &c, 0);
    }
    if (drv->remove(&c, json_object_get(e, "Properties")))
        return fail_node(r, &(struct node){.id = d->ids[i], .type = type}, &c, since(&t0));
    state_delete(r->st, r->stack, d->ids[i]);
    say(r, "  - %s (%s): deleted (%.2fs)\n", d->ids[i], type, since(&t0));
    pthread_mutex_lock(&r->mu);
    r->counts[ACT_DELETE]++;
    pthread_mutex_unlock(&r->mu);
    return 0;
}

/* The logical id an entry key stands for ("Subnet#replaced#subnet-1" -> "Subnet"). */
static size_t base_len(const char *key)
{
    return strcspn(key, "#");
}

/* Deletes `entries` (logical id -> entry): a resource goes after every resource that depends on it. */
static int delete_entries(struct run *r, json_t *entries)
{
    struct deletion d = {r, NULL, NULL, json_object_size(entries)};
    if (!d.n)
        return 0;
    d.ids = calloc(d.n, sizeof *d.ids);
    d.entries = calloc(d.n, sizeof *d.entries);
    size_t **deps = calloc(d.n, sizeof *deps), *ndeps = calloc(d.n, sizeof *ndeps), k = 0;
    const char *id;
    json_t *e, *x;
    json_object_foreach(entries, id, e) {
        d.ids[k] = id;
        d.entries[k++] = e;
    }
    for (size_t i = 0; i < d.n; i++) {
        deps[i] = calloc(d.n, sizeof **deps);
        for (size_t j = 0; j < d.n; j++) {
            size_t idx;
            json_array_foreach(json_object_get(d.entries[j], "DependsOn"), idx, x) {
                const char *name = json_string_value(x);
                if (j != i && name && strlen(name) == base_len(d.ids[i]) &&
                    strncmp(name, d.ids[i], base_len(d.ids[i])) == 0) {
                    deps[i][ndeps[i]++] = j;
                    break;
                }
            }
        }
    }
    enum dag_status *status = calloc(d.n, sizeof *status);
    struct dag dag = {d.n, deps, ndeps, delete_node, &d, r->o->threads, status};
    int rc = dag_run(&dag);
    for (size_t i = 0; i < d.n; i++)
        free(deps[i]);
    free(deps);
    free(ndeps);
    free(status);
    free(d.ids);
    free(d.entries);
    return rc;
}

/* ---- outputs ------------------------------------------------------------------------------------------- */

static json_t *compute_outputs(struct run *r)
{
    json_t *outs = json_object(), *decl;
    const char *id;
    json_object_foreach(json_object_get(r->t.doc, "Outputs"), id, decl) {
        if (!tpl_condition_holds(&r->t, decl))
            continue;
        char why[1024];
        json_t *v = tpl_resolve(&r->t, json_object_get(decl, "Value"), why, sizeof why);
        json_t *exp = json_object_get(decl, "Export") ? tpl_resolve(&r->t, json_object_get(json_object_get(decl, "Export"), "Name"), why, sizeof why) : NULL;
        json_t *o = json_pack("{so}", "Value", v ? v : json_string(why));
        if (json_object_get(decl, "Description"))
            json_object_set(o, "Description", json_object_get(decl, "Description"));
        if (exp)
            json_object_set_new(o, "ExportName", exp);
        json_object_set_new(outs, id, o);
    }
    return outs;
}

static void print_outputs(FILE *out, json_t *outs)
{
    const char *id;
    json_t *o;
    if (!json_object_size(outs))
        return;
    fprintf(out, "Outputs:\n");
    json_object_foreach(outs, id, o) {
        json_t *v = json_object_get(o, "Value");
        char *s = json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        fprintf(out, "  %s = %s", id, s);
        if (json_object_get(o, "ExportName"))
            fprintf(out, "  (export %s)", json_string_value(json_object_get(o, "ExportName")));
        fprintf(out, "\n");
        free(s);
    }
}

static void summary(struct run *r, const char *what, bool ok)
{
    long calls, writes;
    aws_call_counts(&calls, &writes);
    int total = r->counts[ACT_ADD] + r->counts[ACT_UPDATE] + r->counts[ACT_REPLACE] + r->counts[ACT_DELETE];
    say(r, "%s %s: %d added, %d changed, %d replaced, %d deleted in %.2fs (%ld API calls, %ld writes)%s\n", what,
        ok ? "complete" : "FAILED", r->counts[ACT_ADD], r->counts[ACT_UPDATE], r->counts[ACT_REPLACE],
        r->counts[ACT_DELETE], since(&r->start), calls, writes, ok && !total ? " - no changes" : "");
}

int engine_apply(const struct engine_opts *o)
{
    struct run r = {.o = o};
    pthread_mutex_init(&r.mu, NULL);
    pthread_mutex_init(&r.net_mu, NULL);
    clock_gettime(CLOCK_MONOTONIC, &r.start);
    int rc = open_state(&r, true) || load(&r) || reach_target(&r);
    if (!rc) {
        say(&r, "Applying stack %s (%zu resources):\n", r.stack, r.g.n);
        enum dag_status *status = calloc(r.g.n + 1, sizeof *status);
        struct dag d = {r.g.n, r.g.deps, r.g.ndeps, apply_node, &r, o->threads, status};
        rc = dag_run(&d) != 0;
        free(status);
        if (!rc) {
            json_t *gone = leftovers(&r);
            rc = delete_entries(&r, gone) != 0;
            json_decref(gone);
        }
        json_t *outs = rc ? NULL : compute_outputs(&r);
        if (outs)
            state_set_outputs(r.st, r.stack, outs);
        summary(&r, "Apply", !rc);
        if (outs)
            print_outputs(o->out, outs);
        json_decref(outs);
    }
    run_free(&r);
    return rc ? 1 : 0;
}

int engine_destroy(const struct engine_opts *o)
{
    struct run r = {.o = o};
    pthread_mutex_init(&r.mu, NULL);
    pthread_mutex_init(&r.net_mu, NULL);
    clock_gettime(CLOCK_MONOTONIC, &r.start);
    int rc = open_state(&r, true);
    if (!rc) {
        json_t *entries = state_resources(r.st, r.stack);
        say(&r, "Destroying stack %s (%zu resources):\n", r.stack, json_object_size(entries));
        rc = delete_entries(&r, entries) != 0;
        json_decref(entries);
        if (!rc)
            state_set_outputs(r.st, r.stack, NULL);
        summary(&r, "Destroy", !rc);
    }
    run_free(&r);
    return rc ? 1 : 0;
}

int engine_outputs(const struct engine_opts *o)
{
    struct run r = {.o = o};
    int rc = open_state(&r, false);
    json_t *outs = rc ? NULL : state_outputs(r.st, r.stack);
    if (!rc && !outs) {
        fprintf(o->err, "drydock: stack %s has not been applied\n", r.stack);
        rc = 1;
    }
    const char *id;
    json_t *v;
    json_object_foreach(outs, id, v) {
        json_t *val = json_object_get(v, "Value");
        char *s = json_is_string(val) ? strdup(json_string_value(val)) : json_dumps(val, JSON_COMPACT | JSON_ENCODE_ANY);
        fprintf(o->out, "%s = %s\n", id, s);
        free(s);
    }
    json_decref(outs);
    run_free(&r);
    return rc;
}

int engine_state_list(const struct engine_opts *o)
{
    struct run r = {.o = o};
    int rc = open_state(&r, false);
    json_t *entries = rc ? NULL : state_resources(r.st, r.stack), *e;
    const char *id;
    json_object_foreach(entries, id, e) {
        fprintf(o->out, "%-40s %-45s %s\n", id, json_string_value(json_object_get(e, "Type")),
                json_string_value(json_object_get(e, "PhysicalId")));
    }
    json_decref(entries);
    run_free(&r);
    return rc;
}

/* ---- offline: validate and graph ------------------------------------------------------------------------ */

int engine_validate(const struct engine_opts *o)
{
    char why[2048];
    json_t *doc = tpl_load_file(o->template_path, why, sizeof why);
    if (!doc) {
        fprintf(o->err, "drydock: %s: %s\n", o->template_path, why);
        return 1;
    }
    json_t *errors = json_array();
    engine_check_template(doc, errors);
    int rc = 0;
    if (json_array_size(errors))
        rc = print_errors(o, errors, "the template is invalid");
    else
        fprintf(o->out, "%s: valid (%zu resources, %zu parameters, %zu outputs)\n", o->template_path,
                json_object_size(json_object_get(doc, "Resources")), json_object_size(json_object_get(doc, "Parameters")),
                json_object_size(json_object_get(doc, "Outputs")));
    json_decref(errors);
    json_decref(doc);
    return rc;
}

int engine_graph(const struct engine_opts *o)
{
    char why[2048], stack[128];
    json_t *doc = tpl_load_file(o->template_path, why, sizeof why);
    if (!doc) {
        fprintf(o->err, "drydock: %s: %s\n", o->template_path, why);
        return 1;
    }
    engine_stack_name(o->template_path, stack, sizeof stack);
    json_t *resources = json_object_get(doc, "Resources");
    struct graph g;
    graph_build(resources, NULL, &g);
    fprintf(o->out, "digraph \"%s\" {\n  rankdir=BT;\n  node [shape=box];\n", o->stack ? o->stack : stack);
    for (size_t i = 0; i < g.n; i++)
        fprintf(o->out, "  \"%s\" [label=\"%s\\n%s\"];\n", g.ids[i], g.ids[i],
                json_string_value(json_object_get(json_object_get(resources, g.ids[i]), "Type")) ?: "?");
    for (size_t i = 0; i < g.n; i++)
        for (size_t j = 0; j < g.ndeps[i]; j++)
            fprintf(o->out, "  \"%s\" -> \"%s\";\n", g.ids[i], g.ids[g.deps[i][j]]);
    fprintf(o->out, "}\n");
    graph_free(&g);
    json_decref(doc);
    return 0;
}
