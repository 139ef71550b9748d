/*
 * router.h - from a request's signals to (service model, operation, implementation).
 *
 * Signals, strongest first: the SigV4 credential scope's service name, the
 * X-Amz-Target prefix (json), the Version parameter (query/ec2). All services
 * share one port. Built once at start-up; look-ups never allocate.
 */
#ifndef DD_ROUTER_H
#define DD_ROUTER_H

#include "../protocol/model.h"
#include "service.h"

/* Indexes every model and joins it to its implementation, if any. */
void router_init(void);

/*
 * The model a request is for, or NULL. Any argument may be NULL:
 * `scope_service` (credential scope), `target` (X-Amz-Target header, full),
 * `version` (the form's Version).
 */
const struct dd_service_model *router_model(const char *scope_service, const char *target, const char *version);

/* The implementation of `svc`, or NULL if drydock emulates none of it. */
const struct dd_service *router_service(const struct dd_service_model *svc);

/* The handler for `op` of `svc`, or NULL (not implemented). */
const struct dd_handler *router_handler(const struct dd_service_model *svc, const struct dd_operation *op);

/* How many operations of `svc` have handlers. */
size_t router_implemented(const struct dd_service_model *svc);

#endif
