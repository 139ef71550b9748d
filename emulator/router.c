/* router.c - routing requests to models and handlers (see router.h). */
#include "router.h"

#include <stdlib.h>
#include <string.h>

struct route {
    const struct dd_service_model *model;
    const struct dd_service *impl;
    const struct dd_handler **handlers; /* by operation index */
    size_t implemented;
};

static struct route *routes;
static size_t route_count;

static const struct route *route_of(const struct dd_service_model *svc)
{
    for (size_t i = 0; i < route_count; i++)
        if (routes[i].model == svc)
            return &routes[i];
    return NULL;
}

void router_init(void)
{
    if (routes)
        return;
    while (dd_models[route_count])
        route_count++;
    routes = calloc(route_count, sizeof *routes);
    if (!routes)
        abort();
    for (size_t i = 0; i < route_count; i++) {
        struct route *r = &routes[i];
        r->model = dd_models[i];
        r->handlers = calloc(r->model->operation_count ? r->model->operation_count : 1, sizeof *r->handlers);
        if (!r->handlers)
            abort();
        for (const struct dd_service *const *s = dd_services; *s; s++)
            if (strcmp((*s)->model_id, r->model->id) == 0)
                r->impl = *s;
        if (!r->impl)
            continue;
        for (size_t h = 0; h < r->impl->handler_count; h++) {
            const struct dd_operation *op = model_operation(r->model, r->impl->handlers[h].operation);
            if (!op)
                abort(); /* a handler for an operation the model does not have: a programming error */
            r->handlers[op - r->model->operations] = &r->impl->handlers[h];
            r->implemented++;
        }
    }
}

static bool prefix_matches(const char *target, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(target, prefix, n) == 0 && target[n] == '.';
}

const struct dd_service_model *router_model(const char *scope_service, const char *target, const char *version)
{
    const struct dd_service_model *by_scope = NULL;
    for (size_t i = 0; i < route_count; i++) {
        const struct dd_service_model *m = routes[i].model;
        if (scope_service && strcmp(m->signing_name, scope_service) != 0)
            continue;
        if (target && m->target_prefix && prefix_matches(target, m->target_prefix))
            return m;
        if (!target && version && m->protocol != DD_PROTO_JSON && strcmp(m->api_version, version) == 0)
            return m;
        if (scope_service && !by_scope)
            by_scope = m;
    }
    /* Signed for a service we know but the target/version did not match any:
     * answer in that service's words (unknown operation, and so on). */
    return by_scope;
}

const struct dd_service *router_service(const struct dd_service_model *svc)
{
    const struct route *r = route_of(svc);
    return r ? r->impl : NULL;
}

const struct dd_handler *router_handler(const struct dd_service_model *svc, const struct dd_operation *op)
{
    const struct route *r = route_of(svc);
    return r ? r->handlers[op - svc->operations] : NULL;
}

size_t router_implemented(const struct dd_service_model *svc)
{
    const struct route *r = route_of(svc);
    return r ? r->implemented : 0;
}
