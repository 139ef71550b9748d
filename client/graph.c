/* graph.c - resource dependencies (see graph.h). */
#include "graph.h"

#include <stdlib.h>
#include <string.h>

#include "template.h"

size_t graph_index(const struct graph *g, const char *id)
{
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->ids[i], id) == 0)
            return i;
    return g->n;
}

/* The names resource `decl` depends on: references in its Properties plus DependsOn. New reference. */
static json_t *names_of(json_t *decl)
{
    json_t *names = json_object(), *dep = json_object_get(decl, "DependsOn"), *x;
    size_t i;
    tpl_collect_refs(json_object_get(decl, "Properties"), names);
    if (json_is_string(dep))
        json_object_set_new(names, json_string_value(dep), json_true());
    json_array_foreach(dep, i, x) if (json_is_string(x)) json_object_set_new(names, json_string_value(x), json_true());
    return names;
}

void graph_build(json_t *resources, json_t *include, struct graph *g)
{
    memset(g, 0, sizeof *g);
    size_t cap = json_object_size(resources) + 1;
    g->ids = calloc(cap, sizeof *g->ids);
    g->deps = calloc(cap, sizeof *g->deps);
    g->ndeps = calloc(cap, sizeof *g->ndeps);
    const char *id;
    json_t *decl;
    json_object_foreach(resources, id, decl) {
        if (!include || json_object_get(include, id))
            g->ids[g->n++] = id;
    }
    for (size_t i = 0; i < g->n; i++) {
        json_t *names = names_of(json_object_get(resources, g->ids[i])), *x;
        const char *name;
        g->deps[i] = calloc(json_object_size(names) + 1, sizeof **g->deps);
        json_object_foreach(names, name, x) {
            size_t j = graph_index(g, name);
            if (j < g->n)
                g->deps[i][g->ndeps[i]++] = j;
        }
        json_decref(names);
    }
}

void graph_free(struct graph *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->deps[i]);
    free(g->deps);
    free(g->ndeps);
    free(g->ids);
    memset(g, 0, sizeof *g);
}
