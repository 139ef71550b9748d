/* graph.h - the dependency graph of a template's resources (Ref, Fn::GetAtt, Fn::Sub, DependsOn). */
#ifndef DD_GRAPH_H
#define DD_GRAPH_H

#include <jansson.h>
#include <stddef.h>

struct graph {
    size_t n;
    const char **ids; /* borrowed from the template */
    size_t **deps;    /* deps[i]: indexes of the resources i refers to */
    size_t *ndeps;
};

/* Builds the graph of the resources of `resources` (the template's Resources,
 * borrowed) whose names are in `include` (an object used as a set; NULL: all). */
void graph_build(json_t *resources, json_t *include, struct graph *g);
void graph_free(struct graph *g);
/* The index of `id`, or g->n. */
size_t graph_index(const struct graph *g, const char *id);

#endif
