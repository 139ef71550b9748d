/*
 * ecr_lifecycle.c - Amazon ECR lifecycle policies: validation, previews, and
 * their runs on the simulation clock.
 *
 * Evaluation follows AWS's documented rules: rules apply in rulePriority
 * order; an image is expired by at most one rule; an image that matches the
 * tag selection of a rule cannot be expired by a rule of lower priority, yet
 * later rules still count it (imageCountMoreThan keeps the newest N of what a
 * rule selects, images of higher-priority rules included); images go oldest
 * first. tagPrefixList / tagPatternList select images that carry a match for
 * every entry of the list.
 *
 * AWS expires images within 24 hours of their meeting the criteria. drydock
 * runs a repository's policy ("ecr.lifecycle.run") a pace-dependent moment
 * after the policy is set or an image is pushed, and again when an image next
 * crosses a sinceImagePushed age; each run replaces the runs pending.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim.h"
#include "ecr_internal.h"

#define MAX_WILDCARDS 4
#define DEFAULT_PREVIEW_PAGE 100

static const char SQL_LIFECYCLE[] = "SELECT lifecycle, lifecycle_ms FROM ecr_repo WHERE account=?1 AND region=?2"
                                    " AND name=?3";
static const char SQL_SET_LIFECYCLE[] = "UPDATE ecr_repo SET lifecycle=?4, lifecycle_ms=NULL"
                                        " WHERE account=?1 AND region=?2 AND name=?3";
static const char SQL_SET_EVALUATED[] = "UPDATE ecr_repo SET lifecycle_ms=?4 WHERE account=?1 AND region=?2 AND name=?3";
static const char SQL_PREVIEW[] = "SELECT policy, results FROM ecr_preview WHERE account=?1 AND region=?2 AND repo=?3";
static const char SQL_SET_PREVIEW[] =
    "INSERT INTO ecr_preview (account, region, repo, policy, results) VALUES (?1, ?2, ?3, ?4, ?5)"
    " ON CONFLICT (account, region, repo) DO UPDATE SET policy=excluded.policy, results=excluded.results";
static const char SQL_DELETE_PREVIEW[] = "DELETE FROM ecr_preview WHERE account=?1 AND region=?2 AND repo=?3";

/* ---- validation --------------------------------------------------------------------------------- */

static int policy_invalid(struct dd_request *r, const char *why)
{
    return ecr_invalid(r,
                       "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy "
                       "validation failure: %s'",
                       why);
}

/* Whether every key of `obj` is one of `allowed` (NULL-terminated). */
static bool keys_known(json_t *obj, const char *const *allowed)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        const char *const *a = allowed;
        while (*a && strcmp(*a, k) != 0)
            a++;
        if (!*a)
            return false;
    }
    return true;
}

/* A non-empty list of non-empty strings, each with at most `wildcards` '*' (-1: any number). */
static bool string_list(json_t *list, int wildcards)
{
    size_t i;
    json_t *s;
    if (!json_array_size(list))
        return false;
    json_array_foreach(list, i, s)
    {
        const char *v = json_string_value(s);
        int stars = 0;
        if (!v || !*v)
            return false;
        for (const char *p = v; *p; p++)
            stars += *p == '*';
        if (wildcards >= 0 && stars > wildcards)
            return false;
    }
    return true;
}

static const char *selection_problem(json_t *sel)
{
    static const char *const allowed[] = {"tagStatus", "tagPrefixList", "tagPatternList", "countType",
                                          "countUnit", "countNumber",   NULL};
    if (!json_is_object(sel) || !keys_known(sel, allowed))
        return "selection has unknown or missing properties";
    const char *status = dd_in_str(sel, "tagStatus"), *type = dd_in_str(sel, "countType");
    json_t *prefixes = json_object_get(sel, "tagPrefixList"), *patterns = json_object_get(sel, "tagPatternList");
    json_t *number = json_object_get(sel, "countNumber");
    if (!status || (strcmp(status, "tagged") && strcmp(status, "untagged") && strcmp(status, "any")))
        return "tagStatus must be one of tagged, untagged or any";
    if (!strcmp(status, "tagged")) {
        if (prefixes && patterns)
            return "tagPrefixList and tagPatternList cannot both be specified";
        if (!prefixes && !patterns)
            return "tagPrefixList or tagPatternList is required when tagStatus is tagged";
        if ((prefixes && !string_list(prefixes, -1)) || (patterns && !string_list(patterns, MAX_WILDCARDS)))
            return "tagPrefixList and tagPatternList must be non-empty lists of strings with at most 4 wildcards";
    } else if (prefixes || patterns)
        return "tagPrefixList and tagPatternList can only be used when tagStatus is tagged";
    if (!type || (strcmp(type, "imageCountMoreThan") && strcmp(type, "sinceImagePushed")))
        return "countType must be imageCountMoreThan or sinceImagePushed";
    if (!json_is_integer(number) || json_integer_value(number) < 1)
        return "countNumber must be an integer of at least 1";
    const char *unit = dd_in_str(sel, "countUnit");
    if (!strcmp(type, "sinceImagePushed") && (!unit || strcmp(unit, "days") != 0))
        return "countUnit must be days when countType is sinceImagePushed";
    if (!strcmp(type, "imageCountMoreThan") && json_object_get(sel, "countUnit"))
        return "countUnit can only be used when countType is sinceImagePushed";
    return NULL;
}

static int priority_order(const void *a, const void *b)
{
    json_int_t x = dd_in_int(*(json_t *const *)a, "rulePriority", 0);
    json_int_t y = dd_in_int(*(json_t *const *)b, "rulePriority", 0);
    return x < y ? -1 : x > y;
}

/* The policy's rules sorted by priority (new reference), or NULL with InvalidParameterException. */
static json_t *policy_rules(struct dd_request *r, const char *text)
{
    static const char *const rule_keys[] = {"rulePriority", "description", "selection", "action", NULL};
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    json_t *rules = json_object_get(doc, "rules");
    const char *problem = NULL;
    if (!json_is_object(doc) || !json_array_size(rules) || json_object_size(doc) != 1)
        problem = "the policy must be a JSON object with a non-empty list of rules";
    size_t n = json_array_size(rules), i, untagged = 0;
    json_t **sorted = calloc(n ? n : 1, sizeof *sorted);
    for (i = 0; !problem && i < n; i++) {
        json_t *rule = json_array_get(rules, i), *action = json_object_get(rule, "action");
        json_t *prio = json_object_get(rule, "rulePriority");
        if (!json_is_object(rule) || !keys_known(rule, rule_keys) || !json_is_integer(prio) ||
            json_integer_value(prio) < 1)
            problem = "each rule needs a rulePriority (an integer of at least 1), a selection and an action";
        else if (!json_is_object(action) || json_object_size(action) != 1 || !dd_in_str(action, "type") ||
                 strcmp(dd_in_str(action, "type"), "expire") != 0)
            problem = "action type must be expire";
        else if (json_object_get(rule, "description") && !json_is_string(json_object_get(rule, "description")))
            problem = "description must be a string";
        else
            problem = selection_problem(json_object_get(rule, "selection"));
        sorted[i] = rule;
    }
    if (!problem) {
        qsort(sorted, n, sizeof *sorted, priority_order);
        for (i = 0; !problem && i < n; i++) {
            const char *status = dd_in_str(json_object_get(sorted[i], "selection"), "tagStatus");
            if (i && priority_order(&sorted[i - 1], &sorted[i]) == 0)
                problem = "rulePriority must be unique";
            else if (!strcmp(status, "any") && i != n - 1)
                problem = "a rule with tagStatus any must have the highest rulePriority";
            else if (!strcmp(status, "untagged") && ++untagged > 1)
                problem = "only one rule may select untagged images";
        }
    }
    json_t *out = NULL;
    if (problem)
        policy_invalid(r, problem);
    else {
        out = json_array();
        for (i = 0; i < n; i++)
            json_array_append(out, sorted[i]);
    }
    free(sorted);
    json_decref(doc);
    return out;
}

/* ---- evaluation --------------------------------------------------------------------------------- */

/* Glob match with '*' only: the greedy walk that backtracks to the last star (linear, no recursion). */
static bool glob(const char *p, const char *s)
{
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*p == '*') {
            star = p++;
            resume = s;
        } else if (*p == *s) {
            p++;
            s++;
        } else if (star) {
            p = star + 1;
            s = ++resume;
        } else
            return false;
    }
    while (*p == '*')
        p++;
    return !*p;
}

/* Whether some tag of `tags` matches `want` as a prefix or a pattern. */
static bool some_tag(json_t *tags, const char *want, bool pattern)
{
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        const char *tag = json_string_value(t);
        if (pattern ? glob(want, tag) : strncmp(tag, want, strlen(want)) == 0)
            return true;
    }
    return false;
}

/* Whether the rule's tag selection selects the image. */
static bool selects(json_t *sel, json_t *img)
{
    const char *status = dd_in_str(sel, "tagStatus");
    json_t *tags = json_object_get(img, "tags");
    if (!strcmp(status, "any"))
        return true;
    if (!strcmp(status, "untagged"))
        return json_array_size(tags) == 0;
    json_t *patterns = json_object_get(sel, "tagPatternList");
    json_t *list = patterns ? patterns : json_object_get(sel, "tagPrefixList");
    size_t i;
    json_t *w;
    json_array_foreach(list, i, w) if (!some_tag(tags, json_string_value(w), patterns != NULL)) return false;
    return json_array_size(tags) > 0;
}

/*
 * Sets "rule" (the expiring rule's priority) on each image of `images`
 * (borrowed, newest first) that the rules expire at `now`. Returns the
 * earliest time a sinceImagePushed rule will expire another image, or
 * INT64_MAX.
 */
static int64_t evaluate(json_t *rules, json_t *images, int64_t now)
{
    int64_t next = INT64_MAX;
    size_t i, j;
    json_t *rule, *img;
    json_array_foreach(rules, i, rule)
    {
        json_t *sel = json_object_get(rule, "selection");
        bool by_count = !strcmp(dd_in_str(sel, "countType"), "imageCountMoreThan");
        json_int_t number = dd_in_int(sel, "countNumber", 1), seen = 0;
        json_array_foreach(images, j, img)
        {
            if (!selects(sel, img))
                continue;
            int64_t expires = dd_in_int(img, "pushed_ms", 0) + number * ECR_DAY_MS;
            bool chosen = by_count ? ++seen > number : now > expires;
            bool claimed = json_object_get(img, "claimed") != NULL;
            if (chosen && !claimed)
                json_object_set_new(img, "rule", json_integer(dd_in_int(rule, "rulePriority", 0)));
            if (!by_count && !chosen && !claimed && expires + 1 < next)
                next = expires + 1;
        }
        /* claimed after the rule ran: a rule's own selection never protects from itself */
        json_array_foreach(images, j, img) if (selects(sel, img)) json_object_set_new(img, "claimed", json_true());
    }
    return next;
}

/* The expired images of an evaluation as preview results, oldest first (new reference). */
static json_t *preview_results(json_t *images)
{
    json_t *out = json_array();
    for (size_t i = json_array_size(images); i-- > 0;) {
        json_t *img = json_array_get(images, i);
        if (!json_object_get(img, "rule"))
            continue;
        json_t *res = json_pack("{s:O, s:o, s:{s:s}, s:O}", "imageDigest", json_object_get(img, "digest"),
                                "imagePushedAt", dd_time(dd_in_int(img, "pushed_ms", 0)), "action", "type", "EXPIRE",
                                "appliedRulePriority", json_object_get(img, "rule"));
        if (json_array_size(json_object_get(img, "tags")))
            json_object_set(res, "imageTags", json_object_get(img, "tags"));
        json_array_append_new(out, res);
    }
    return out;
}

/* The repository's policy text (new malloc'd) and when it last ran (-1: never); NULL when it has none. */
static char *policy_get(struct dd_request *r, const char *repo, int64_t *evaluated_ms)
{
    sqlite3_stmt *st = ecr_stmt(r, SQL_LIFECYCLE, repo);
    char *text = NULL;
    if (sqlite3_step(st) == SQLITE_ROW && store_col_text(st, 0)) {
        text = strdup(store_col_text(st, 0));
        if (evaluated_ms)
            *evaluated_ms = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return text;
}

static int64_t run_delay(void)
{
    return sim_delay_ms(1000, 3600 * 1000LL);
}

int ecr_lifecycle_poke(struct dd_request *r, const char *repo)
{
    char *text = policy_get(r, repo, NULL);
    int rc = text ? sim_schedule(r, run_delay(), ECR_LIFECYCLE_EVENT, repo, NULL) : 0;
    free(text);
    return rc;
}

int ecr_lifecycle_run(struct dd_request *r, const char *repo, json_t *payload)
{
    (void)payload;
    char *text = policy_get(r, repo, NULL);
    json_t *rules = text ? policy_rules(r, text) : NULL;
    free(text);
    if (!rules) {
        r->err = (struct dd_error){0};
        return 0; /* the policy (or repository) is gone */
    }
    sim_cancel(r, ECR_LIFECYCLE_EVENT, repo);
    json_t *images = ecr_images(r, repo);
    int64_t next = evaluate(rules, images, r->now_ms);
    int rc = 0;
    size_t i;
    json_t *img;
    json_array_foreach(images, i, img)
    {
        if (rc == 0 && json_object_get(img, "rule"))
            rc = ecr_image_delete(r, repo, dd_in_str(img, "digest"));
    }
    json_decref(images);
    json_decref(rules);
    sqlite3_stmt *st = ecr_stmt(r, SQL_SET_EVALUATED, repo);
    sqlite3_bind_int64(st, 4, r->now_ms);
    if (rc || dd_exec(r, st))
        return -1;
    return next == INT64_MAX ? 0 : sim_schedule(r, next - r->now_ms + run_delay(), ECR_LIFECYCLE_EVENT, repo, NULL);
}

int ecr_lifecycle_drop(struct dd_request *r, const char *repo)
{
    sim_cancel(r, ECR_LIFECYCLE_EVENT, repo);
    return dd_exec(r, ecr_stmt(r, SQL_DELETE_PREVIEW, repo));
}

/* ---- operations ----------------------------------------------------------------------------------- */

static json_t *policy_missing(struct dd_request *r, const char *repo)
{
    return dd_fail(r, 400, "LifecyclePolicyNotFoundException",
                   "Lifecycle policy does not exist for the repository with name '%s' in the registry with id '%s'",
                   repo, r->account);
}

static json_t *policy_out(struct dd_request *r, const char *repo, const char *text, int64_t evaluated_ms)
{
    json_t *out = ecr_head(r, repo);
    json_object_set_new(out, "lifecyclePolicyText", json_string(text));
    if (evaluated_ms >= 0)
        json_object_set_new(out, "lastEvaluatedAt", dd_time(evaluated_ms));
    return out;
}

json_t *ecr_op_PutLifecyclePolicy(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    const char *text = dd_in_str(in, "lifecyclePolicyText");
    if (ecr_repo_of(r, in, &o))
        return NULL;
    json_t *rules = policy_rules(r, text);
    if (!rules)
        return NULL;
    json_decref(rules);
    sqlite3_stmt *st = ecr_stmt(r, SQL_SET_LIFECYCLE, o.name);
    store_bind_text(st, 4, text);
    if (dd_exec(r, st) || ecr_lifecycle_poke(r, o.name))
        return NULL;
    return policy_out(r, o.name, text, -1);
}

json_t *ecr_op_GetLifecyclePolicy(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    if (ecr_repo_of(r, in, &o))
        return NULL;
    int64_t evaluated = -1;
    char *text = policy_get(r, o.name, &evaluated);
    json_t *out = text ? policy_out(r, o.name, text, evaluated) : policy_missing(r, o.name);
    free(text);
    return out;
}

json_t *ecr_op_DeleteLifecyclePolicy(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    if (ecr_repo_of(r, in, &o))
        return NULL;
    int64_t evaluated = -1;
    char *text = policy_get(r, o.name, &evaluated);
    if (!text)
        return policy_missing(r, o.name);
    json_t *out = policy_out(r, o.name, text, evaluated);
    free(text);
    sqlite3_stmt *st = ecr_stmt(r, SQL_SET_LIFECYCLE, o.name);
    store_bind_text(st, 4, NULL);
    sim_cancel(r, ECR_LIFECYCLE_EVENT, o.name);
    if (dd_exec(r, st)) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *ecr_op_StartLifecyclePolicyPreview(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    if (ecr_repo_of(r, in, &o))
        return NULL;
    char *text = dd_in_str(in, "lifecyclePolicyText") ? strdup(dd_in_str(in, "lifecyclePolicyText"))
                                                      : policy_get(r, o.name, NULL);
    if (!text)
        return policy_missing(r, o.name);
    json_t *rules = policy_rules(r, text), *out = NULL;
    if (!rules)
        goto cleanup;
    /* Computed at once: the preview is COMPLETE by the time anyone asks. */
    json_t *images = ecr_images(r, o.name);
    evaluate(rules, images, r->now_ms);
    json_t *results = preview_results(images);
    char *dump = json_dumps(results, JSON_COMPACT);
    sqlite3_stmt *st = ecr_stmt(r, SQL_SET_PREVIEW, o.name);
    store_bind_text(st, 4, text);
    store_bind_text(st, 5, dump);
    int rc = dd_exec(r, st);
    free(dump);
    json_decref(results);
    json_decref(images);
    json_decref(rules);
    if (rc == 0) {
        out = policy_out(r, o.name, text, -1);
        json_object_set_new(out, "status", json_string("IN_PROGRESS"));
    }
cleanup:
    free(text);
    return out;
}

/* Whether a preview result passes the request's imageIds and filter. */
static bool preview_wanted(json_t *res, json_t *ids, const char *status)
{
    json_t *tags = json_object_get(res, "imageTags");
    if (status && strcmp(status, "ANY") != 0 && (strcmp(status, "TAGGED") == 0) != (json_array_size(tags) > 0))
        return false;
    if (!ids)
        return true;
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id)
    {
        const char *d = dd_in_str(id, "imageDigest"), *t = dd_in_str(id, "imageTag");
        if ((!d || !strcmp(d, dd_in_str(res, "imageDigest"))) && (!t || some_tag(tags, t, true)) && (d || t))
            return true;
    }
    return false;
}

json_t *ecr_op_GetLifecyclePolicyPreview(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    if (ecr_repo_of(r, in, &o))
        return NULL;
    sqlite3_stmt *st = ecr_stmt(r, SQL_PREVIEW, o.name);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return dd_fail(r, 400, "LifecyclePolicyPreviewNotFoundException",
                       "Lifecycle policy preview request does not exist for the repository with name '%s' in the "
                       "registry with id '%s'",
                       o.name, r->account);
    }
    char *text = strdup(store_col_text(st, 0));
    json_t *results = json_loads(store_col_text(st, 1), 0, NULL);
    sqlite3_reset(st);
    json_t *ids = json_object_get(in, "imageIds");
    const char *status = dd_in_str(json_object_get(in, "filter"), "tagStatus");
    json_t *items = json_array();
    size_t i;
    json_t *res;
    json_array_foreach(results, i, res) if (preview_wanted(res, ids, status)) json_array_append(items, res);
    json_t *out = dd_page(in, items, "previewResults", "maxResults", DEFAULT_PREVIEW_PAGE);
    json_object_update_missing_new(out, policy_out(r, o.name, text, -1));
    json_object_set_new(out, "status", json_string("COMPLETE"));
    json_object_set_new(out, "summary", json_pack("{s:I}", "expiringImageTotalCount",
                                                  (json_int_t)json_array_size(results)));
    json_decref(results);
    free(text);
    return out;
}
