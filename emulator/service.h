/*
 * service.h - what a service implementation sees, and how it plugs in.
 *
 * A service file (services/<svc>.c) exports one `const struct dd_service`:
 * its model id, its handler table and its rules. The server has already
 * authenticated the caller, routed to the operation, decoded the body and
 * validated it against the model, and opened a transaction, so a handler
 * only applies the service's own rules:
 *
 *     static json_t *get_parameter(struct dd_request *r, json_t *in)
 *     {
 *         ...
 *         if (!found)
 *             return dd_fail(r, 400, "ParameterNotFound", "");
 *         return json_pack("{s:o}", "Parameter", p);
 *     }
 *
 * A handler returns a new reference to its output (shaped like the model's
 * output; json_object() for an empty one) or NULL after recording an error
 * with dd_fail(). On NULL the transaction is rolled back.
 */
#ifndef DD_SERVICE_H
#define DD_SERVICE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../protocol/error.h"
#include "../protocol/model.h"
#include "store.h"

struct dd_request {
    const struct dd_service_model *model;
    const struct dd_operation *op;
    const char *account;    /* 12 digits */
    const char *region;     /* from the credential scope */
    const char *access_key; /* the caller's access key id */
    const char *caller_arn; /* arn:aws:iam::ACCOUNT:root, or an assumed-role ARN */
    const char *user_id;    /* GetCallerIdentity UserId */
    const char *request_id;
    struct store_conn *db; /* this thread's connection, inside the call's transaction */
    int64_t now_ms;        /* the emulator clock at the start of the call */
    bool writable;         /* false inside a DD_OP_READ call's read transaction */
    bool retry_as_write;   /* set by dd_retry_as_write() */
    struct dd_error err;
};

typedef json_t *(*dd_handler_fn)(struct dd_request *r, json_t *input);

/* dd_handler.flags */
#define DD_OP_READ 0x1u /* only reads: runs in a deferred (shared) transaction */

struct dd_handler {
    const char *operation; /* the model's operation name */
    dd_handler_fn fn;
    unsigned flags;
};

struct sim_kind;

struct dd_service {
    const char *model_id; /* botocore id: "ssm" */
    const struct dd_handler *handlers;
    size_t handler_count;
    /* The code this service answers model validation failures with:
     * "ValidationException" (SSM, ECS uses "InvalidParameterException"...). */
    const char *validation_code;
    /* The service's tables: numbered migrations, applied in order once each
     * (the store records per service how many have run). NULL-terminated. */
    const char *const *schema;
    /* Simulation events this service's handlers schedule (see sim.h). */
    const struct sim_kind *events;
    size_t event_count;
    /*
     * Optional: the service's admin actions, reached at
     * /_drydock/<model_id>/<action> (e.g. /_drydock/elbv2/target-health).
     * `params` (borrowed) is the JSON body or the query string's pairs.
     * Runs in a write transaction with `r` set up for `params`' "account"
     * (default the default account) and "region" (default us-east-1).
     * Returns a new JSON document, or NULL with r->err set (its
     * http_status is used).
     */
    json_t *(*admin)(struct dd_request *r, const char *action, json_t *params);
};

/* Records an error on the request and returns NULL, for `return dd_fail(...)`. */
json_t *dd_fail(struct dd_request *r, int http_status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * From a DD_OP_READ handler that finds it must write after all (say, to
 * create an account's default resources on its first call): returns NULL,
 * and the server rolls back and runs the handler again in a write
 * transaction. Reads stay lock-free in the common case.
 */
json_t *dd_retry_as_write(struct dd_request *r);

/* ---- small helpers every service uses ------------------------------------- */

/* A handler input's members (borrowed; NULL, false or `dflt` when absent). */
const char *dd_in_str(json_t *in, const char *key);
bool dd_in_bool(json_t *in, const char *key);
json_int_t dd_in_int(json_t *in, const char *key, json_int_t dflt);

/* Records an error and returns -1, for helpers that answer int (dd_fail's twin). */
int dd_reject(struct dd_request *r, int http_status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records AWS's common 500 InternalFailure and returns -1. */
int dd_internal(struct dd_request *r);

/* The cached statement for `sql` with ?1 bound to the account and ?2 to the region. */
sqlite3_stmt *dd_stmt(struct dd_request *r, const char *sql);

/* Steps `st` once (rows, if any, ignored) and resets it: 0, or dd_internal(). */
int dd_exec(struct dd_request *r, sqlite3_stmt *st);

/* The first column of the first row as an integer (or `dflt`); resets `st`. */
int64_t dd_single_int(sqlite3_stmt *st, int64_t dflt);

/*
 * One page of an already listed result, for APIs whose nextToken is opaque:
 * up to input member `limit_member` (or `dflt`) items from the offset the
 * token carries, as {member: [...], "nextToken": ...}. Steals `items`.
 */
json_t *dd_page(json_t *in, json_t *items, const char *member, const char *limit_member, json_int_t dflt);

/* arn:aws:<service>:<region>:<account>:<resource> into `out` (a new malloc'd string). */
char *dd_arn(const struct dd_request *r, const char *service, const char *resource_fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A random lowercase hex id of `n` characters (n < 64) into out (n+1 bytes). */
void dd_random_hex(char *out, size_t n);

/* A random UUID (8-4-4-4-12 lowercase hex) into out. */
void dd_uuid(char out[37]);

/* A clock time in ms as the codecs' timestamp form, epoch seconds (new reference):
 * an integer when whole, else a real. */
json_t *dd_time(int64_t ms);

/* The registered services, NULL-terminated (emulator/services/services.c). */
extern const struct dd_service *const dd_services[];

#endif
