/* scenario.c - `drydock run`: loads a scenario, runs its steps, reports (see scenario.h). */
#define _GNU_SOURCE
#include "scenario.h"

#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../protocol/buf.h"
#include "curl_lib.h"
#include "embedded.h"
#include "engine.h"
#include "state.h"
#include "template.h"

/* ---- the step kinds ----------------------------------------------------------------------------- */

struct runner;
struct outcome {
    json_t *doc;          /* the step's result (owned), may be NULL */
    struct dd_error err;  /* when failed */
    bool failed;          /* the step's action failed (an AWS error, or the stack failed) */
    char note[256];       /* shown after the timing ("clock +35s, 8 tries") */
    char *output;         /* the provisioner's output (owned), for stack steps */
};
typedef int (*step_fn)(struct runner *r, json_t *step, struct outcome *o);

struct kind {
    const char *name;
    const char *keys;    /* the other keys the step may have, space-separated */
    bool emulator_only;  /* skipped, with a note, against real AWS */
    bool checks_itself;  /* runs its own expectations (wait_until) */
    step_fn run;
};

static int run_stack_apply(struct runner *r, json_t *step, struct outcome *o);
static int run_stack_destroy(struct runner *r, json_t *step, struct outcome *o);
static int run_call(struct runner *r, json_t *step, struct outcome *o);
static int run_wait_until(struct runner *r, json_t *step, struct outcome *o);
static int run_advance(struct runner *r, json_t *step, struct outcome *o);
static int run_inject(struct runner *r, json_t *step, struct outcome *o);
static int run_assert_outputs(struct runner *r, json_t *step, struct outcome *o);

static const struct kind KINDS[] = {
    {"apply", " name expect params template ", false, false, run_stack_apply},
    {"update", " name expect params template ", false, false, run_stack_apply},
    {"destroy", " name expect ", false, false, run_stack_destroy},
    {"call", " name expect params save emulator_only ", false, false, run_call},
    {"wait_until", " name expect params save timeout interval emulator_only ", false, true, run_wait_until},
    {"advance", " name ", true, false, run_advance},
    {"inject", " name expect body ", true, false, run_inject},
    {"assert_outputs", " name expect ", false, false, run_assert_outputs},
};
#define NKINDS (sizeof KINDS / sizeof KINDS[0])

static const struct kind *kind_of(json_t *step)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (json_object_get(step, KINDS[i].name))
            return &KINDS[i];
    return NULL;
}

/* ---- loading and checking a scenario ------------------------------------------------------------- */

static int bad(char *why, size_t why_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int bad(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    return -1;
}

/* "service Operation" -> the two words, checked against the compiled-in models. */
static int split_call(const char *s, char *svc, size_t svc_len, char *op, size_t op_len, char *why, size_t why_len)
{
    const char *sp = s ? strchr(s, ' ') : NULL;
    if (!sp || sp == s || !sp[1])
        return bad(why, why_len, "a call reads \"SERVICE Operation\" (e.g. \"ec2 DescribeVpcs\")");
    snprintf(svc, svc_len, "%.*s", (int)(sp - s), s);
    snprintf(op, op_len, "%s", sp + 1);
    const struct dd_service_model *m = model_find(svc);
    if (!m)
        return bad(why, why_len, "unknown service %s", svc);
    if (!model_operation(m, op))
        return bad(why, why_len, "%s has no operation %s", svc, op);
    return 0;
}

static int check_step(json_t *doc, json_t *step, char *why, size_t why_len)
{
    const struct kind *k = kind_of(step);
    if (!json_is_object(step) || !k)
        return bad(why, why_len, "a step is one of apply, update, destroy, call, wait_until, advance, inject, "
                                 "assert_outputs");
    const char *key;
    json_t *v;
    json_object_foreach(step, key, v) {
        char pad[80];
        snprintf(pad, sizeof pad, " %s ", key);
        if (strcmp(key, k->name) != 0 && strcmp(key, "always") != 0 && !strstr(k->keys, pad))
            return bad(why, why_len, "%s: unknown key %s (it takes%salways)", k->name, key, k->keys);
    }
    json_t *arg = json_object_get(step, k->name);
    bool stack_step = strcmp(k->name, "apply") == 0 || strcmp(k->name, "update") == 0 ||
                      strcmp(k->name, "destroy") == 0 || strcmp(k->name, "assert_outputs") == 0;
    if (stack_step && !json_object_get(json_object_get(doc, "stacks"), json_string_value(arg) ?: ""))
        return bad(why, why_len, "%s: no stack named %s in stacks", k->name, json_string_value(arg) ?: "(not a name)");
    char svc[64], op[128];
    if (k->run == run_call || k->run == run_wait_until)
        if (split_call(json_string_value(arg), svc, sizeof svc, op, sizeof op, why, why_len))
            return -1;
    if (k->run == run_advance && (!json_is_number(arg) || json_number_value(arg) <= 0))
        return bad(why, why_len, "advance takes a number of seconds");
    if (k->run == run_inject && !json_is_string(arg))
        return bad(why, why_len, "inject takes an admin action, e.g. ecs/stop-task");
    json_t *expect = json_object_get(step, "expect"), *e;
    json_t *list = json_is_array(expect) ? json_incref(expect) : expect ? json_pack("[O]", expect) : json_array();
    size_t i;
    int rc = 0;
    json_array_foreach(list, i, e) {
        if (!rc && scn_expectation_valid(e, why, why_len))
            rc = -1;
    }
    json_decref(list);
    return rc;
}

json_t *scenario_load(const char *path, char *why, size_t why_len)
{
    json_t *doc = tpl_load_file(path, why, why_len), *v, *step;
    if (!doc)
        return NULL;
    const char *name;
    size_t i;
    char msg[1024];
    if (!json_is_object(doc)) {
        bad(why, why_len, "a scenario is a mapping with name, stacks and steps");
        goto fail;
    }
    json_object_foreach(json_object_get(doc, "stacks"), name, v) {
        if (!json_is_string(json_object_get(v, "template"))) {
            bad(why, why_len, "stacks.%s: a stack needs a template (a path relative to the scenario)", name);
            goto fail;
        }
        json_t *params = json_object_get(v, "params");
        if (params && !json_is_object(params)) {
            bad(why, why_len, "stacks.%s: params is a mapping of parameter names to values", name);
            goto fail;
        }
    }
    if (!json_array_size(json_object_get(doc, "steps"))) {
        bad(why, why_len, "a scenario needs a list of steps");
        goto fail;
    }
    json_array_foreach(json_object_get(doc, "steps"), i, step) {
        if (check_step(doc, step, msg, sizeof msg)) {
            bad(why, why_len, "step %zu: %s", i + 1, msg);
            goto fail;
        }
    }
    return doc;
fail:
    json_decref(doc);
    return NULL;
}

/* ---- the run ----------------------------------------------------------------------------------------- */

struct result {
    char label[256];
    double secs;
    enum { R_PASS, R_FAIL, R_SKIP } status;
    char *message; /* failure or skip reason (owned) */
    char *output;  /* the provisioner's output, kept for a failure (owned) */
};

struct runner {
    const struct scenario_opts *o;
    json_t *doc;
    char name[128];
    char dir[PATH_MAX];       /* the scenario file's directory */
    char state_dir[PATH_MAX];
    bool temp_state;
    struct aws_target *t;
    bool emulator;            /* the target answers drydock's admin API */
    char admin[512];          /* its base URL */
    char clock_mode[16];      /* the emulator clock's mode before the run, restored after */
    json_t *vars;             /* ${...} variables */
    json_t *stacks;           /* name -> {template, params}: the current definition (updates change it) */
    struct result *results;
    size_t nresults;
};

static double since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* ---- the emulator's admin API --------------------------------------------------------------------- */

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    buf_append(ud, p, size * n);
    return size * n;
}

/* POST (or GET with body NULL) <admin>/_drydock/<path>. Returns the answer (new) or NULL with `err`. */
static json_t *admin_call(struct runner *r, const char *path, json_t *body, struct dd_error *err)
{
    char why[256], url[1024];
    const struct curl_lib *cl = curl_lib(why, sizeof why);
    if (!cl) {
        dd_err(err, 500, "RequestError", "%s", why);
        return NULL;
    }
    snprintf(url, sizeof url, "%s/_drydock/%s", r->admin, path);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    struct dd_buf resp = {0};
    CURL *c = cl->easy_init();
    struct curl_slist *headers = cl->slist_append(NULL, "Content-Type: application/json");
    cl->easy_setopt(c, CURLOPT_URL, url);
    if (text) {
        cl->easy_setopt(c, CURLOPT_POST, 1L);
        cl->easy_setopt(c, CURLOPT_POSTFIELDS, text);
    }
    cl->easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    cl->easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    cl->easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    cl->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    cl->easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    if (r->t->ca_file[0])
        cl->easy_setopt(c, CURLOPT_CAINFO, r->t->ca_file);
    CURLcode rc = cl->easy_perform(c);
    long status = 0;
    json_t *out = NULL;
    if (rc != CURLE_OK) {
        dd_err(err, 503, "RequestError", "could not reach %s: %s", url, cl->easy_strerror(rc));
    } else {
        cl->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        out = json_loadb(resp.data ? resp.data : "", resp.len, 0, NULL);
        if (status / 100 != 2 || !out) {
            const char *msg = json_string_value(json_object_get(out, "error"));
            dd_err(err, (int)status, "AdminError", "%s answered %ld: %.*s", url, status, msg ? (int)strlen(msg) : (int)resp.len,
                   msg ? msg : resp.data ? resp.data : "");
            json_decref(out);
            out = NULL;
        }
    }
    cl->slist_free_all(headers);
    cl->easy_cleanup(c);
    buf_free(&resp);
    free(text);
    return out;
}

static int set_clock(struct runner *r, const char *mode, double advance, struct dd_error *err)
{
    json_t *body = mode ? json_pack("{ss}", "mode", mode) : json_pack("{sf}", "advance_seconds", advance);
    json_t *out = admin_call(r, "clock", body, err);
    json_decref(body);
    json_decref(out);
    return out ? 0 : -1;
}

/* ---- stack steps ------------------------------------------------------------------------------------ */

/* A parameter value as the provisioner takes it: a string (a list joined with commas). */
static json_t *param_text(json_t *v)
{
    if (!json_is_array(v)) {
        char *t = scn_text(v);
        json_t *s = json_string(t);
        free(t);
        return s;
    }
    json_t *e;
    size_t i;
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    json_array_foreach(v, i, e) {
        char *t = scn_text(e);
        fprintf(f, "%s%s", i ? "," : "", t);
        free(t);
    }
    fclose(f);
    json_t *s = json_string(buf);
    free(buf);
    return s;
}

/* Why the provisioner failed: its first failed resource's AWS error, else what it printed. */
static void engine_error(const struct dd_error *failure, const char *err_text, struct dd_error *err)
{
    if (failure->code[0]) {
        *err = *failure;
    } else if (err_text && strstr(err_text, "the template is invalid")) {
        const char *p = strchr(err_text, '\n');
        dd_err(err, 400, "ValidationError", "%s", p ? p + 1 : err_text);
    } else {
        dd_err(err, 400, "StackFailed", "%s", err_text && *err_text ? err_text : "the stack failed");
    }
    size_t n = strlen(err->message);
    while (n && (err->message[n - 1] == '\n' || err->message[n - 1] == ' '))
        err->message[--n] = 0;
}

/* The stack's outputs, flattened to name -> value, from the state. New reference (an object). */
static json_t *stack_outputs(struct runner *r, const char *stack)
{
    char why[1024];
    struct state *st = state_open(r->state_dir, why, sizeof why);
    json_t *outs = st ? state_outputs(st, stack) : NULL, *flat = json_object(), *v;
    const char *k;
    json_object_foreach(outs, k, v) json_object_set(flat, k, json_object_get(v, "Value"));
    json_decref(outs);
    if (st)
        state_close(st);
    return flat;
}

/* Runs the provisioner (apply or destroy) with its output captured; on the emulator with its clock
 * running, since resources wait for their lifecycles (a NAT gateway becoming available). */
static void run_engine(struct runner *r, int (*fn)(const struct engine_opts *), struct engine_opts *eo,
                       struct outcome *o)
{
    char *out = NULL, *err = NULL;
    size_t out_len = 0, err_len = 0;
    eo->out = open_memstream(&out, &out_len);
    eo->err = open_memstream(&err, &err_len);
    eo->state_dir = r->state_dir;
    eo->aws = r->t;
    eo->threads = r->o->threads;
    struct dd_error ce, failure = {0};
    eo->failure = &failure;
    if (r->emulator)
        set_clock(r, "real", 0, &ce);
    int rc = fn(eo);
    if (r->emulator)
        set_clock(r, "manual", 0, &ce);
    fclose(eo->out);
    fclose(eo->err);
    if (rc) {
        o->failed = true;
        engine_error(&failure, err, &o->err);
    }
    if (asprintf(&o->output, "%s%s", out ? out : "", err ? err : "") < 0)
        o->output = NULL;
    free(out);
    free(err);
}

static int run_stack_apply(struct runner *r, json_t *step, struct outcome *o)
{
    const char *stack = json_string_value(json_object_get(step, "apply") ?: json_object_get(step, "update"));
    json_t *def = json_object_get(r->stacks, stack);
    char why[1024], path[PATH_MAX * 2];
    /* An update changes the stack's definition for the steps after it. */
    if (json_object_get(step, "template"))
        json_object_set(def, "template", json_object_get(step, "template"));
    json_t *params = json_object_get(def, "params");
    if (!params)
        json_object_set_new(def, "params", params = json_object());
    json_object_update(params, json_object_get(step, "params"));
    json_t *resolved = scn_substitute(params, r->vars, why, sizeof why), *given = json_object(), *v;
    if (!resolved) {
        json_decref(given);
        o->failed = true;
        return dd_err(&o->err, 400, "ScenarioError", "%s", why), 0;
    }
    const char *k;
    json_object_foreach(resolved, k, v) json_object_set_new(given, k, param_text(v));
    json_decref(resolved);
    const char *tpl = json_string_value(json_object_get(def, "template"));
    snprintf(path, sizeof path, "%s%s%s", tpl[0] == '/' ? "" : r->dir, tpl[0] == '/' ? "" : "/", tpl);
    struct engine_opts eo = {.template_path = path, .stack = stack, .params = given};
    run_engine(r, engine_apply, &eo, o);
    json_decref(given);
    json_t *outs = stack_outputs(r, stack);
    if (!o->failed)
        json_object_set(r->vars, stack, outs);
    o->doc = o->failed ? json_pack("{s{ssss}}", "Error", "Code", o->err.code, "Message", o->err.message)
                       : json_pack("{sO}", "Outputs", outs);
    json_decref(outs);
    return 0;
}

static int run_stack_destroy(struct runner *r, json_t *step, struct outcome *o)
{
    struct engine_opts eo = {.stack = json_string_value(json_object_get(step, "destroy"))};
    run_engine(r, engine_destroy, &eo, o);
    o->doc = o->failed ? json_pack("{s{ssss}}", "Error", "Code", o->err.code, "Message", o->err.message)
                       : json_object();
    return 0;
}

static int run_assert_outputs(struct runner *r, json_t *step, struct outcome *o)
{
    o->doc = stack_outputs(r, json_string_value(json_object_get(step, "assert_outputs")));
    return 0;
}

/* ---- calls ------------------------------------------------------------------------------------------------ */

/* One call; the result (or {"Error": ...}) in o->doc. */
static void call_once(struct runner *r, const char *kind, json_t *step, struct outcome *o)
{
    char svc[64], op[128], why[1024];
    split_call(json_string_value(json_object_get(step, kind)), svc, sizeof svc, op, sizeof op, why, sizeof why);
    json_decref(o->doc);
    o->doc = NULL;
    o->failed = false;
    json_t *input = scn_substitute(json_object_get(step, "params") ?: json_null(), r->vars, why, sizeof why);
    if (!input) {
        dd_err(&o->err, 400, "ScenarioError", "%s", why);
        o->failed = true;
    } else {
        o->doc = aws_call(r->t, svc, op, json_is_null(input) ? NULL : input, &o->err);
        o->failed = o->doc == NULL;
    }
    if (o->failed)
        o->doc = json_pack("{s{ssss}}", "Error", "Code", o->err.code, "Message", o->err.message);
    json_decref(input);
}

static void save_result(struct runner *r, json_t *step, json_t *doc)
{
    json_object_set(r->vars, "last", doc);
    const char *name = json_string_value(json_object_get(step, "save"));
    if (name)
        json_object_set(r->vars, name, doc);
}

static int run_call(struct runner *r, json_t *step, struct outcome *o)
{
    call_once(r, "call", step, o);
    save_result(r, step, o->doc);
    return 0;
}

/* The step's expectations, with ${...} substituted, against its outcome. */
static bool expect_holds(struct runner *r, json_t *step, struct outcome *o, char *msg, size_t msg_len)
{
    json_t *expect = json_object_get(step, "expect");
    json_t *resolved = expect ? scn_substitute(expect, r->vars, msg, msg_len) : NULL;
    if (expect && !resolved)
        return false;
    bool ok = scn_expect(o->doc, o->failed ? &o->err : NULL, resolved, msg, msg_len);
    json_decref(resolved);
    return ok;
}

/* Retries the call until its expectations hold: on the emulator, advancing its clock `interval`
 * seconds per try; on AWS, sleeping. Gives up after `timeout` seconds (of the emulator's clock). */
static int run_wait_until(struct runner *r, json_t *step, struct outcome *o)
{
    double timeout = json_number_value(json_object_get(step, "timeout")) ?: 300;
    double interval = json_number_value(json_object_get(step, "interval")) ?: 5;
    double waited = 0;
    char msg[2048];
    int tries = 0;
    for (;;) {
        tries++;
        call_once(r, "wait_until", step, o);
        bool ok = expect_holds(r, step, o, msg, sizeof msg);
        if (ok || waited >= timeout) {
            snprintf(o->note, sizeof o->note, "%s +%gs, %d tr%s", r->emulator ? "clock" : "waited", waited, tries,
                     tries == 1 ? "y" : "ies");
            save_result(r, step, o->doc);
            if (!ok) {
                o->failed = true;
                dd_err(&o->err, 400, "Timeout", "not true after %gs: %s", waited, msg);
            } else {
                o->failed = false;
            }
            return 0;
        }
        struct dd_error e;
        if (r->emulator) {
            if (set_clock(r, NULL, interval, &e)) {
                o->failed = true;
                o->err = e;
                return 0;
            }
        } else {
            usleep((useconds_t)(interval * 1e6));
        }
        waited += interval;
    }
}

/* ---- emulator only --------------------------------------------------------------------------------------- */

static int run_advance(struct runner *r, json_t *step, struct outcome *o)
{
    double secs = json_number_value(json_object_get(step, "advance"));
    json_t *body = json_pack("{sf}", "advance_seconds", secs);
    o->doc = admin_call(r, "clock", body, &o->err);
    json_decref(body);
    o->failed = !o->doc;
    if (o->doc)
        snprintf(o->note, sizeof o->note, "%lld events ran",
                 (long long)json_integer_value(json_object_get(o->doc, "events_run")));
    return 0;
}

static int run_inject(struct runner *r, json_t *step, struct outcome *o)
{
    char why[1024];
    json_t *given = json_object_get(step, "body");
    json_t *body = given ? scn_substitute(given, r->vars, why, sizeof why) : json_object();
    if (!body) {
        o->failed = true;
        o->doc = json_pack("{s{ssss}}", "Error", "Code", "ScenarioError", "Message", why);
        return dd_err(&o->err, 400, "ScenarioError", "%s", why), 0;
    }
    o->doc = admin_call(r, json_string_value(json_object_get(step, "inject")), body, &o->err);
    json_decref(body);
    o->failed = !o->doc;
    if (o->failed)
        o->doc = json_pack("{s{ssss}}", "Error", "Code", o->err.code, "Message", o->err.message);
    return 0;
}

/* ---- running and reporting --------------------------------------------------------------------------------- */

static void label_of(json_t *step, const struct kind *k, char *out, size_t len)
{
    const char *name = json_string_value(json_object_get(step, "name"));
    json_t *arg = json_object_get(step, k->name);
    if (name) {
        snprintf(out, len, "%s", name);
    } else {
        char *t = scn_text(arg);
        snprintf(out, len, "%s %s%s", k->name, t, k->run == run_advance ? "s" : "");
        free(t);
    }
}

static void indent(FILE *f, const char *text, const char *prefix)
{
    for (const char *p = text; p && *p;) {
        size_t n = strcspn(p, "\n");
        fprintf(f, "%s%.*s\n", prefix, (int)n, p);
        p += n + (p[n] == '\n');
    }
}

static void run_step(struct runner *r, size_t i, json_t *step, bool broken)
{
    const struct kind *k = kind_of(step);
    struct result *res = &r->results[i];
    label_of(step, k, res->label, sizeof res->label);
    size_t n = json_array_size(json_object_get(r->doc, "steps"));
    fprintf(r->o->out, "[%2zu/%zu] %-52s ", i + 1, n, res->label);
    fflush(r->o->out);
    bool emulator_only = k->emulator_only || json_is_true(json_object_get(step, "emulator_only"));
    /* After a failure only the clean-up runs: destroy steps, and steps marked `always: true`. */
    bool always = k->run == run_stack_destroy || json_is_true(json_object_get(step, "always"));
    if (broken && !always) {
        res->status = R_SKIP;
        res->message = strdup("not run: an earlier step failed");
    } else if (emulator_only && !r->emulator) {
        res->status = R_SKIP;
        res->message = strdup("skipped: emulator only (the target is AWS)");
    }
    if (res->status == R_SKIP) {
        fprintf(r->o->out, "skip  %s\n", res->message);
        fflush(r->o->out);
        return;
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct outcome o = {0};
    k->run(r, step, &o);
    char msg[2048] = "";
    bool ok = k->checks_itself ? !o.failed : expect_holds(r, step, &o, msg, sizeof msg);
    if (k->checks_itself && o.failed)
        snprintf(msg, sizeof msg, "%s: %s", o.err.code, o.err.message);
    res->secs = since(&t0);
    res->status = ok ? R_PASS : R_FAIL;
    fprintf(r->o->out, "%s %6.2fs%s%s%s\n", ok ? "ok  " : "FAIL", res->secs, o.note[0] ? " (" : "", o.note,
            o.note[0] ? ")" : "");
    if (!ok) {
        res->message = strdup(msg);
        indent(r->o->out, msg, "        ");
    }
    if (o.output && (r->o->verbose || !ok))
        indent(r->o->out, o.output, "        | ");
    res->output = o.output;
    fflush(r->o->out);
    json_decref(o.doc);
}

static void xml_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
                fputc(*s, f);
        }
    }
}

static int write_junit(struct runner *r, const char *path, int failed, int skipped, double total)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(r->o->err, "drydock: cannot write %s\n", path);
        return -1;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    fprintf(f, "  <testsuite name=\"");
    xml_text(f, r->name);
    fprintf(f, "\" tests=\"%zu\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%.3f\">\n", r->nresults, failed,
            skipped, total);
    for (size_t i = 0; i < r->nresults; i++) {
        struct result *res = &r->results[i];
        fprintf(f, "    <testcase classname=\"drydock.");
        xml_text(f, r->name);
        fprintf(f, "\" name=\"%02zu ", i + 1);
        xml_text(f, res->label);
        fprintf(f, "\" time=\"%.3f\"", res->secs);
        if (res->status == R_PASS) {
            fprintf(f, "/>\n");
            continue;
        }
        fprintf(f, ">\n      <%s message=\"", res->status == R_FAIL ? "failure" : "skipped");
        xml_text(f, res->message);
        if (res->status == R_SKIP) {
            fprintf(f, "\"/>\n    </testcase>\n");
            continue;
        }
        fprintf(f, "\" type=\"AssertionError\">");
        xml_text(f, res->message);
        if (res->output) {
            fputs("\n", f);
            xml_text(f, res->output);
        }
        fprintf(f, "</failure>\n    </testcase>\n");
    }
    fprintf(f, "  </testsuite>\n</testsuites>\n");
    return fclose(f) ? -1 : 0;
}

/* ---- target and state ---------------------------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

/* Picks the target: --endpoint or AWS configuration, else the embedded emulator; learns whether
 * the target is drydock's emulator and puts its clock in manual mode. */
static int open_target(struct runner *r, char *why, size_t why_len)
{
    const struct scenario_opts *o = r->o;
    r->t = calloc(1, sizeof *r->t);
    if (aws_target_resolve(&o->ao, NULL, r->t, why, why_len))
        return -1;
    bool embedded = !r->t->configured;
    if (o->state_dir) {
        snprintf(r->state_dir, sizeof r->state_dir, "%s", o->state_dir);
    } else if (embedded) {
        /* A fresh emulator and state per run: a scenario starts from nothing. */
        snprintf(r->state_dir, sizeof r->state_dir, "%s/drydock-run-XXXXXX", getenv("TMPDIR") ?: "/tmp");
        if (!mkdtemp(r->state_dir))
            return bad(why, why_len, "cannot create a temporary directory in %s", getenv("TMPDIR") ?: "/tmp");
        r->temp_state = true;
    } else {
        snprintf(r->state_dir, sizeof r->state_dir, ".drydock");
    }
    if (embedded) {
        char endpoint[256];
        if (embedded_start(r->state_dir, endpoint, sizeof endpoint, why, why_len))
            return -1;
        aws_target_emulator(r->t, endpoint);
        fprintf(o->out, "Target: the embedded emulator (%s, manual clock)\n", endpoint);
    }
    snprintf(r->admin, sizeof r->admin, "%s", r->t->endpoint[0] ? r->t->endpoint : r->t->env_endpoint);
    size_t n = strlen(r->admin);
    while (n && r->admin[n - 1] == '/')
        r->admin[--n] = 0;
    struct dd_error err;
    json_t *clock = r->admin[0] ? admin_call(r, "clock", NULL, &err) : NULL;
    r->emulator = clock != NULL;
    if (clock) {
        snprintf(r->clock_mode, sizeof r->clock_mode, "%s", json_string_value(json_object_get(clock, "mode")) ?: "real");
        json_decref(clock);
        if (set_clock(r, "manual", 0, &err))
            return bad(why, why_len, "cannot set the emulator's clock: %s", err.message);
        if (!embedded)
            fprintf(o->out, "Target: the emulator at %s (manual clock for the run)\n", r->admin);
    } else if (!embedded) {
        fprintf(o->out, "Target: %s (region %s): emulator-only steps are skipped\n",
                r->admin[0] ? r->admin : "AWS", r->t->region);
    }
    return 0;
}

static void close_target(struct runner *r)
{
    struct dd_error err;
    if (r->emulator && r->clock_mode[0] && strcmp(r->clock_mode, "manual") != 0)
        set_clock(r, r->clock_mode, 0, &err);
    embedded_stop();
    if (r->temp_state)
        nftw(r->state_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(r->t);
}

int scenario_run(const struct scenario_opts *o)
{
    char why[2048];
    struct runner r = {.o = o};
    r.doc = scenario_load(o->path, why, sizeof why);
    if (!r.doc) {
        fprintf(o->err, "drydock: %s: %s\n", o->path, why);
        return 2;
    }
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", o->path);
    snprintf(r.dir, sizeof r.dir, "%s", dirname(copy));
    const char *name = json_string_value(json_object_get(r.doc, "name"));
    if (name)
        snprintf(r.name, sizeof r.name, "%s", name);
    else
        engine_stack_name(o->path, r.name, sizeof r.name);
    if (open_target(&r, why, sizeof why)) {
        fprintf(o->err, "drydock: %s\n", why);
        close_target(&r);
        json_decref(r.doc);
        return 2;
    }
    r.vars = json_object();
    r.stacks = json_deep_copy(json_object_get(r.doc, "stacks")) ?: json_object();
    json_t *steps = json_object_get(r.doc, "steps"), *step;
    r.nresults = json_array_size(steps);
    r.results = calloc(r.nresults, sizeof *r.results);
    fprintf(o->out, "Scenario %s (%zu steps):\n", r.name, r.nresults);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t i;
    int failed = 0, skipped = 0, passed = 0;
    json_array_foreach(steps, i, step) {
        run_step(&r, i, step, failed > 0);
        failed += r.results[i].status == R_FAIL;
        skipped += r.results[i].status == R_SKIP;
        passed += r.results[i].status == R_PASS;
    }
    double total = since(&t0);
    fprintf(o->out, "Scenario %s %s: %d passed, %d failed, %d skipped in %.2fs\n", r.name,
            failed ? "FAILED" : "passed", passed, failed, skipped, total);
    int rc = failed ? 1 : 0;
    if (o->junit && write_junit(&r, o->junit, failed, skipped, total))
        rc = 1;
    close_target(&r);
    for (i = 0; i < r.nresults; i++) {
        free(r.results[i].message);
        free(r.results[i].output);
    }
    free(r.results);
    json_decref(r.vars);
    json_decref(r.stacks);
    json_decref(r.doc);
    return rc;
}
