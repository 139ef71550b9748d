/* dag.c - dependency-ordered execution on a thread pool (see dag.h). */
#include "dag.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct pool {
    struct dag *d;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t running;
    bool failed;
};

/* A pending node whose dependencies are all done, or n. Marks nodes behind a failure skipped. */
static size_t next_ready(struct pool *p, bool *work_left)
{
    struct dag *d = p->d;
    *work_left = false;
    for (size_t i = 0; i < d->n; i++) {
        if (d->status[i] != DAG_PENDING)
            continue;
        bool ready = true, blocked = false;
        for (size_t j = 0; j < d->ndeps[i]; j++) {
            enum dag_status s = d->status[d->deps[i][j]];
            ready &= s == DAG_DONE;
            blocked |= s == DAG_FAILED || s == DAG_SKIPPED;
        }
        if (blocked || p->failed) {
            d->status[i] = DAG_SKIPPED;
            continue;
        }
        *work_left = true;
        if (ready)
            return i;
    }
    return d->n;
}

static void *worker(void *arg)
{
    struct pool *p = arg;
    struct dag *d = p->d;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        bool left;
        size_t i = next_ready(p, &left);
        if (i == d->n) {
            if (!left && p->running == 0)
                break;
            if (!left && p->failed)
                break;
            pthread_cond_wait(&p->cv, &p->mu);
            continue;
        }
        d->status[i] = DAG_RUNNING;
        p->running++;
        pthread_mutex_unlock(&p->mu);
        int rc = d->run(d->ud, i);
        pthread_mutex_lock(&p->mu);
        p->running--;
        d->status[i] = rc ? DAG_FAILED : DAG_DONE;
        p->failed |= rc != 0;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int dag_run(struct dag *d)
{
    struct pool p = {.d = d};
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    for (size_t i = 0; i < d->n; i++)
        d->status[i] = DAG_PENDING;
    unsigned n = d->threads ? d->threads : 8;
    pthread_t *threads = calloc(n, sizeof *threads);
    for (unsigned t = 0; t < n; t++)
        pthread_create(&threads[t], NULL, worker, &p);
    for (unsigned t = 0; t < n; t++)
        pthread_join(threads[t], NULL);
    free(threads);
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
    for (size_t i = 0; i < d->n; i++)
        if (d->status[i] != DAG_DONE)
            return -1;
    return 0;
}

size_t dag_order(size_t n, size_t **deps, const size_t *ndeps, size_t *order, unsigned char *in_cycle)
{
    unsigned char *placed = calloc(n ? n : 1, 1);
    size_t count = 0;
    for (bool progress = true; progress && count < n;) {
        progress = false;
        for (size_t i = 0; i < n; i++) {
            if (placed[i])
                continue;
            bool ready = true;
            for (size_t j = 0; j < ndeps[i]; j++)
                ready &= placed[deps[i][j]] != 0;
            if (ready) {
                placed[i] = 1;
                order[count++] = i;
                progress = true;
            }
        }
    }
    if (in_cycle)
        for (size_t i = 0; i < n; i++)
            in_cycle[i] = !placed[i];
    free(placed);
    return count;
}
