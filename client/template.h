/*
 * template.h - CloudFormation templates: parsing (JSON and YAML with the
 * short-form tags), parameters, conditions, rules and intrinsic functions.
 *
 * A YAML short form becomes its JSON long form at parse time (`!Ref X` ->
 * {"Ref": "X"}, `!GetAtt A.B` -> {"Fn::GetAtt": ["A", "B"]}), so everything
 * after parsing sees one shape. Intrinsics resolve against a `struct tpl`:
 * its parameters and conditions, pseudo parameters, and callbacks for what
 * only the target knows (resources' ids and attributes, the account, AZs).
 *
 * Two marker values travel through resolution: "no value" (AWS::NoValue,
 * dropped from the enclosing object or array) and "unknown" (a resource
 * attribute not known before apply; anything computed from it is unknown).
 */
#ifndef DD_TEMPLATE_H
#define DD_TEMPLATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* What only the target or the stack's state can answer. Each returns a new reference or NULL. */
struct tpl_lookup {
    json_t *(*ref)(void *ud, const char *logical_id);                   /* NULL: unknown yet */
    json_t *(*getatt)(void *ud, const char *logical_id, const char *attr); /* NULL: unknown yet */
    json_t *(*account_id)(void *ud);                                    /* NULL: unknown */
    json_t *(*azs)(void *ud, const char *region);                       /* array, NULL: unknown */
    json_t *(*ssm_value)(void *ud, const char *name, char *why, size_t why_len); /* NULL: error */
    void *ud;
};

struct tpl {
    json_t *doc;        /* the template (owned) */
    json_t *params;     /* name -> value, a string or an array of strings (owned) */
    json_t *noecho;     /* names of NoEcho parameters -> true (owned) */
    json_t *conditions; /* name -> true/false (owned) */
    char stack_name[128];
    char stack_id[256];
    char region[64];
    struct tpl_lookup lk;
};

/* Parses a template, JSON or YAML (told apart by content). New reference, or NULL with `why`. */
json_t *tpl_parse(const char *text, size_t len, char *why, size_t why_len);
json_t *tpl_load_file(const char *path, char *why, size_t why_len);

/* Takes `doc` (stolen). `stack_id` is derived from the stack name and region. */
void tpl_init(struct tpl *t, json_t *doc, const char *stack_name, const char *region, const struct tpl_lookup *lk);
void tpl_free(struct tpl *t);

/*
 * Binds parameter values: `given` (borrowed, name -> string) over the
 * Defaults, checked against each parameter's type and constraints;
 * AWS::SSM::Parameter::Value<...> parameters are read through lk.ssm_value.
 * Appends one message per problem to `errors` (an array); returns their count.
 */
int tpl_bind_params(struct tpl *t, json_t *given, json_t *errors);

/* Evaluates every Condition, then the Rules' assertions. Appends problems to `errors`. */
int tpl_eval_conditions(struct tpl *t, json_t *errors);
int tpl_check_rules(struct tpl *t, json_t *errors);

/* Whether a resource (or output) is created: its Condition holds (or it has none). */
bool tpl_condition_holds(const struct tpl *t, json_t *entity);

/* Resolves every intrinsic in `v` (borrowed). New reference (possibly the no-value
 * marker at the top level), or NULL with `why`. */
json_t *tpl_resolve(struct tpl *t, json_t *v, char *why, size_t why_len);
/* Same; `conditions`: {"Condition": name} is the named condition's value (Conditions, Rules). */
json_t *tpl_resolve_in(struct tpl *t, json_t *v, bool conditions, char *why, size_t why_len);

/* The markers. tpl_unknown returns a new reference naming what is unknown. */
json_t *tpl_unknown(const char *what);
bool tpl_is_unknown(json_t *v);
bool tpl_is_novalue(json_t *v);
/* Whether `v` holds an unknown anywhere. */
bool tpl_contains_unknown(json_t *v);

/* Adds to `names` (an object used as a set) every name `v` refers to with Ref,
 * Fn::GetAtt or Fn::Sub (parameters and pseudo parameters included). */
void tpl_collect_refs(json_t *v, json_t *names);
/* Adds "Name.Attr" -> true for each Fn::GetAtt (and ${Name.Attr} in Fn::Sub) in `v`. */
void tpl_collect_getatts(json_t *v, json_t *pairs);

/* Adds the condition names `v` uses ({"Condition": X}, Fn::If's first argument) to `names`. */
void tpl_collect_condition_names(json_t *v, json_t *names);

/* Whether `name` is a pseudo parameter (AWS::Region, ...). */
bool tpl_is_pseudo(const char *name);

#endif
