/*
 * dag.h - runs the nodes of a dependency graph on a small thread pool: a
 * node starts once every node it depends on has succeeded. After a failure
 * no new node starts; running ones finish; the rest are skipped.
 */
#ifndef DD_DAG_H
#define DD_DAG_H

#include <stddef.h>

enum dag_status { DAG_PENDING, DAG_RUNNING, DAG_DONE, DAG_FAILED, DAG_SKIPPED };

struct dag {
    size_t n;
    size_t **deps;  /* deps[i]: the nodes i waits for */
    size_t *ndeps;
    int (*run)(void *ud, size_t i); /* 0 or -1 */
    void *ud;
    unsigned threads;
    enum dag_status *status; /* filled by dag_run (n entries, caller-allocated) */
};

/* Returns 0 when every node succeeded, else -1. */
int dag_run(struct dag *d);

/*
 * Topological order of the graph (dependencies first) into `order` (n
 * entries). Returns the number ordered: less than n when there is a cycle,
 * and then `in_cycle` (n entries, may be NULL) marks the nodes left over.
 */
size_t dag_order(size_t n, size_t **deps, const size_t *ndeps, size_t *order, unsigned char *in_cycle);

#endif
