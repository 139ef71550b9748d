/*
 * scenario.h - `drydock run SCENARIO`: a scenario file (YAML or JSON) names
 * stacks and runs steps against them - apply, update, destroy, call (any AWS
 * operation, with expectations), wait_until, advance, inject, assert_outputs -
 * printing one line per step and, on request, a JUnit XML report.
 *
 * The expectation language (scenario_lang.c), small on purpose:
 *
 *   selector   := path | "length(" path ")"
 *   path       := "$" { "." NAME | "[" INDEX "]" | "[*]" | "[?" KEY ("=" | "!=") VALUE "]" }
 *
 *   .NAME      an object's member; over a projection, each element's member (missing ones dropped)
 *   [N]        an array's element (N < 0 counts from the end); after a projection, the N-th match
 *   [*]        every element of an array (or value of an object): starts a projection
 *   [?K=V]     the elements whose member K (a dotted path) reads V (quoted or bare): a projection
 *   length(p)  the size of an array or object, or a string's length; 0 when nothing is there
 *
 * A projection yields the list of what matched. An expectation is an object
 * {path: SELECTOR (default "$"), CHECK: VALUE...} with one or more checks:
 *
 *   equals: V      the value equals V (numbers and strings compared by their text);
 *                  over a projection, every match equals V (and there is one), unless V is a list
 *   contains: V    a string holds V as a substring, an array holds an element equal to V,
 *                  an object has the member V
 *   matches: RE    the value (its text) matches the POSIX extended regex RE; over a projection, every match
 *   count: N       an array (or projection) has N elements, an object N members; nothing there counts 0
 *   exists: B      something is (true) or nothing is (false) at the path
 *   error: CODE    the call failed with this AWS error code
 *
 * A failed call's result is {"Error": {"Code", "Message"}}: its message can
 * be checked with a path. A failed call with no `error` expectation fails.
 *
 * ${EXPR} in a step's params, body or template parameters is a selector
 * (the leading "$." may be left out) evaluated on the variables: each
 * stack's outputs under its name (${net.VpcId}), each call saved with
 * `save: NAME` (${tasks.taskArns[0]}), and `last`, the previous call's
 * result. A string that is one ${...} takes the value's type (a projection
 * with one match: that match); `$${` is a literal `${`. Expectations'
 * values are substituted too.
 */
#ifndef DD_SCENARIO_H
#define DD_SCENARIO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../protocol/error.h"
#include "transport.h"

struct scenario_opts {
    const char *path;      /* the scenario file */
    const char *junit;     /* write JUnit XML here, or NULL */
    const char *state_dir; /* NULL: a temporary directory (embedded emulator) or ".drydock" */
    struct aws_options ao; /* --endpoint, --region, --profile */
    unsigned threads;
    bool verbose; /* print the provisioner's own output under each step */
    FILE *out;
    FILE *err;
};

/* Runs the scenario; returns the exit code: 0 every step passed, 1 one failed, 2 a usage or file error. */
int scenario_run(const struct scenario_opts *o);

/* Loads and checks a scenario file (step kinds, keys, selectors). New reference, or NULL with `why`. */
json_t *scenario_load(const char *path, char *why, size_t why_len);

/* ---- the expectation language (scenario_lang.c) ---- */

/* Evaluates `selector` on `doc` (borrowed). Returns 0 with *out a new reference (NULL: nothing
 * there) and *projection set, or -1 with `why` on a malformed selector. */
int scn_select(json_t *doc, const char *selector, json_t **out, bool *projection, char *why, size_t why_len);

/* Checks one expectation's syntax: its keys and selector. 0, or -1 with `why`. */
int scn_expectation_valid(json_t *exp, char *why, size_t why_len);

/* Checks `expect` (an expectation or an array of them, may be NULL) against a step's
 * result: `doc` (borrowed) and `err` (NULL when the call succeeded). Returns true when
 * every check holds; otherwise false with what failed in `msg`. */
bool scn_expect(json_t *doc, const struct dd_error *err, json_t *expect, char *msg, size_t msg_len);

/* Replaces ${EXPR} in every string of `v` (borrowed) using `vars`. New reference, or NULL with `why`. */
json_t *scn_substitute(json_t *v, json_t *vars, char *why, size_t why_len);

/* A value's text: a string as is, other scalars as JSON. New string (free it). */
char *scn_text(json_t *v);

#endif
