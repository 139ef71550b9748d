/*
 * state.h - the provisioner's record of what exists: one SQLite file
 * (.drydock/state.db by default) holding, per stack, each resource's entry
 * {Type, PhysicalId, Properties, Attributes, DependsOn, Retain} and the
 * stack's Outputs. Entries are written one at a time as resources change,
 * so a failed apply leaves exactly what exists. Thread-safe.
 */
#ifndef DD_STATE_H
#define DD_STATE_H

#include <jansson.h>
#include <stddef.h>

struct state;

/* Opens (creating) <dir>/state.db. */
struct state *state_open(const char *dir, char *why, size_t why_len);
void state_close(struct state *s);

/* Takes the stack's lock (a lock file beside the state); -1 with `why` if another command holds it. */
int state_lock(struct state *s, const char *stack, char *why, size_t why_len);

/* Every entry of the stack: logical id -> entry. New reference. */
json_t *state_resources(struct state *s, const char *stack);
/* Writes (`entry` borrowed) or deletes one entry. */
int state_put(struct state *s, const char *stack, const char *logical_id, json_t *entry);
int state_delete(struct state *s, const char *stack, const char *logical_id);

/* The stack's outputs (new reference, NULL if never applied); setting NULL forgets the stack. */
json_t *state_outputs(struct state *s, const char *stack);
int state_set_outputs(struct state *s, const char *stack, json_t *outputs);

/* The names of the stacks recorded (new reference, an array). */
json_t *state_stacks(struct state *s);

#endif
