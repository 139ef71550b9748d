/*
 * engine.h - plan, apply, destroy: a template against a target, with state.
 *
 * Each command returns the process exit code: 0 success, 1 the stack failed
 * or is invalid (the problems printed), 2 a usage error.
 */
#ifndef DD_ENGINE_H
#define DD_ENGINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "../protocol/error.h"
#include "transport.h"

struct engine_opts {
    const char *template_path; /* plan/apply/validate/graph; optional for destroy */
    const char *stack;         /* NULL: the template's base name, or the one stack recorded */
    json_t *params;            /* --param K=V, name -> string (borrowed) */
    const char *state_dir;     /* ".drydock" unless --state-dir */
    const struct aws_target *aws;
    unsigned threads;
    FILE *out;                 /* progress and results */
    FILE *err;                 /* problems */
    struct dd_error *failure;  /* optional: receives the first failed resource's AWS error (code "" if none) */
};

int engine_validate(const struct engine_opts *o);
int engine_graph(const struct engine_opts *o);
int engine_plan(const struct engine_opts *o);
int engine_apply(const struct engine_opts *o);
int engine_destroy(const struct engine_opts *o);
int engine_outputs(const struct engine_opts *o);
int engine_state_list(const struct engine_opts *o);

/* Offline checks of a parsed template: grammar, resource types, required properties,
 * references, conditions, cycles. Appends "LogicalId: message" strings to `errors`. */
void engine_check_template(json_t *doc, json_t *errors);

/* The stack name a template path implies: its base name without extension. */
void engine_stack_name(const char *path, char *out, size_t len);

#endif
