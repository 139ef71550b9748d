/* admin.c - the admin API (see admin.h). */
#include "admin.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../protocol/codec.h"
#include "clock.h"
#include "router.h"
#include "auth.h"
#include "server.h"
#include "service.h"
#include "sim.h"
#include "store.h"

static int answer(struct dd_buf *out, int status, json_t *doc /* stolen */)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    buf_puts(out, text ? text : "{}");
    free(text);
    return status;
}

static int problem(struct dd_buf *out, int status, const char *message)
{
    return answer(out, status, json_pack("{s:s}", "error", message));
}

static int health(struct dd_buf *out)
{
    json_t *services = json_object();
    for (const struct dd_service_model *const *m = dd_models; *m; m++) {
        json_object_set_new(services, (*m)->id,
                            json_pack("{s:s, s:s, s:I, s:I}", "service_id", (*m)->service_id, "protocol",
                                      (*m)->protocol == DD_PROTO_JSON    ? "json"
                                      : (*m)->protocol == DD_PROTO_QUERY ? "query"
                                                                          : "ec2",
                                      "operations", (json_int_t)(*m)->operation_count, "implemented",
                                      (json_int_t)router_implemented(*m)));
    }
    return answer(out, 200,
                  json_pack("{s:s, s:s, s:f, s:o}", "status", "running", "version", DRYDOCK_VERSION,
                            "uptime_seconds", server_uptime(), "services", services));
}

/* Every implemented service and its implemented operations. */
static int services(struct dd_buf *out)
{
    json_t *doc = json_object();
    for (const struct dd_service_model *const *m = dd_models; *m; m++) {
        json_t *ops = json_array();
        for (uint32_t i = 0; i < (*m)->operation_count; i++)
            if (router_handler(*m, &(*m)->operations[i]))
                json_array_append_new(ops, json_string((*m)->operations[i].name));
        if (json_array_size(ops))
            json_object_set_new(doc, (*m)->id, ops);
        else
            json_decref(ops);
    }
    return answer(out, 200, doc);
}

/* Parameters from the JSON body, or else the query string (?account=...). */
static json_t *params(const char *uri, const char *body, size_t len)
{
    if (len) {
        json_t *doc = json_loadb(body, len, 0, NULL);
        return json_is_object(doc) ? doc : (json_decref(doc), NULL);
    }
    const char *q = strchr(uri, '?');
    struct dd_error err;
    return q ? codec_parse_form(q + 1, strlen(q + 1), &err) : json_object();
}

static int reset(const char *uri, const char *body, size_t len, struct dd_buf *out)
{
    json_t *p = params(uri, body, len);
    if (!p)
        return problem(out, 400, "the body must be a JSON object");
    const char *account = json_string_value(json_object_get(p, "account"));
    int rc = store_reset(account);
    json_t *doc = json_pack("{s:s, s:s?}", "reset", account ? "account" : "all", "account", account);
    json_decref(p);
    return rc ? problem(out, 500, "reset failed") : answer(out, 200, doc);
}

/* `events_run` < 0: not an advance, leave it out. */
static int clock_state(struct dd_buf *out, int events_run)
{
    int64_t now = clock_now_ms();
    char iso[32];
    codec_format_iso8601((double)now / 1000.0, iso);
    json_t *doc = json_pack("{s:s, s:I, s:s, s:I}", "mode", clock_is_manual() ? "manual" : "real", "now_ms",
                            (json_int_t)now, "now", iso, "pending_events", (json_int_t)sim_pending());
    if (events_run >= 0)
        json_object_set_new(doc, "events_run", json_integer(events_run));
    return answer(out, 200, doc);
}

static int clock_set(const char *uri, const char *body, size_t len, struct dd_buf *out)
{
    json_t *p = params(uri, body, len);
    if (!p)
        return problem(out, 400, "the body must be a JSON object");
    const char *mode = json_string_value(json_object_get(p, "mode"));
    json_t *adv = json_object_get(p, "advance_seconds");
    int status = 0;
    if (mode && strcmp(mode, "manual") != 0 && strcmp(mode, "real") != 0)
        status = problem(out, 400, "mode must be \"manual\" or \"real\"");
    else if (adv && (!json_is_number(adv) || json_number_value(adv) < 0))
        status = problem(out, 400, "advance_seconds must be a non-negative number");
    if (status == 0 && mode)
        clock_set_manual(strcmp(mode, "manual") == 0);
    if (status == 0 && adv)
        clock_advance_ms((int64_t)(json_number_value(adv) * 1000.0));
    json_decref(p);
    if (status)
        return status;
    /* Everything due by the new time happens before the answer: a test that
     * advances the clock sees the consequences at once, without sleeping. */
    int ran = sim_run_due();
    sim_wake();
    return clock_state(out, ran);
}

/* /_drydock/<service>/<action>: the service's own admin actions (see dd_service.admin). */
static int service_action(const char *path, size_t n, const char *uri, const char *body, size_t len,
                          struct dd_buf *out)
{
    const char *slash = memchr(path + 1, '/', n - 1);
    if (!slash)
        return problem(out, 404, "no such admin endpoint");
    const struct dd_service *svc = NULL;
    for (const struct dd_service *const *s = dd_services; *s; s++)
        if (strlen((*s)->model_id) == (size_t)(slash - path - 1) && strncmp((*s)->model_id, path + 1, slash - path - 1) == 0)
            svc = *s;
    if (!svc || !svc->admin)
        return problem(out, 404, "no such admin endpoint");
    json_t *p = params(uri, body, len);
    if (!p)
        return problem(out, 400, "the body must be a JSON object");
    char action[128];
    snprintf(action, sizeof action, "%.*s", (int)(n - (size_t)(slash + 1 - path)), slash + 1);
    const char *account = json_string_value(json_object_get(p, "account"));
    const char *region = json_string_value(json_object_get(p, "region"));
    struct dd_request r = {
        .model = model_find(svc->model_id),
        .account = account ? account : auth_account_for(""),
        .region = region ? region : "us-east-1",
        .access_key = "",
        .caller_arn = "",
        .user_id = "",
        .request_id = "admin",
        .db = store_conn_get(),
        .now_ms = clock_now_ms(),
        .writable = true,
    };
    json_t *result = NULL;
    if (store_begin(r.db, true) == 0) {
        result = svc->admin(&r, action, p);
        if (result && store_commit(r.db) == 0) {
            sim_wake();
        } else {
            store_rollback(r.db);
            json_decref(result);
            result = NULL;
        }
    }
    json_decref(p);
    if (!result)
        return answer(out, r.err.http_status ? r.err.http_status : 500,
                      json_pack("{s:s, s:s}", "error", r.err.code[0] ? r.err.code : "InternalFailure", "message",
                                r.err.message));
    return answer(out, 200, result);
}

int admin_handle(const char *method, const char *uri, const char *body, size_t len, struct dd_buf *out)
{
    const char *path = uri + strlen("/_drydock");
    size_t n = strcspn(path, "?");
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
#define IS(p) (n == strlen(p) && strncmp(path, p, n) == 0)
    if (IS("/health"))
        return get ? health(out) : problem(out, 405, "use GET");
    if (IS("/services"))
        return get ? services(out) : problem(out, 405, "use GET");
    if (IS("/reset"))
        return post ? reset(uri, body, len, out) : problem(out, 405, "use POST");
    if (IS("/clock"))
        return get ? clock_state(out, -1) : post ? clock_set(uri, body, len, out) : problem(out, 405, "use GET or POST");
#undef IS
    return service_action(path, n, uri, body, len, out);
}
