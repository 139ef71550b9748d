/* sim.c - the simulation engine (see sim.h). */
#include "sim.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "store.h"

static const char SQL_INSERT[] =
    "INSERT INTO sim_events (due_ms, account, region, kind, resource, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_CANCEL[] =
    "DELETE FROM sim_events WHERE account=?1 AND region=?2 AND resource=?3 AND (?4 IS NULL OR kind=?4)";
static const char SQL_NEXT[] =
    "SELECT id, due_ms, account, region, kind, resource, payload FROM sim_events WHERE due_ms <= ?1 "
    "ORDER BY due_ms, id LIMIT 1";
static const char SQL_DELETE[] = "DELETE FROM sim_events WHERE id=?1";
static const char SQL_EARLIEST[] = "SELECT min(due_ms) FROM sim_events";
static const char SQL_COUNT[] = "SELECT count(*) FROM sim_events";

static struct {
    enum sim_pace pace;
    pthread_mutex_t run_lock; /* one runner at a time: events run in order */
    pthread_mutex_t wake_lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool running, woken;
} sim = {
    .run_lock = PTHREAD_MUTEX_INITIALIZER,
    .wake_lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
};

void sim_set_pace(enum sim_pace pace)
{
    sim.pace = pace;
}

int64_t sim_delay_ms(int64_t fast_ms, int64_t aws_ms)
{
    return sim.pace == SIM_AWS ? aws_ms : fast_ms;
}

int sim_schedule(struct dd_request *r, int64_t delay_ms, const char *kind, const char *resource, json_t *payload)
{
    sqlite3_stmt *st = store_stmt(r->db, SQL_INSERT);
    char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
    sqlite3_bind_int64(st, 1, r->now_ms + (delay_ms > 0 ? delay_ms : 0));
    store_bind_text(st, 2, r->account);
    store_bind_text(st, 3, r->region);
    store_bind_text(st, 4, kind);
    store_bind_text(st, 5, resource);
    store_bind_text(st, 6, text);
    free(text);
    if (sqlite3_step(st) != SQLITE_DONE) {
        dd_err(&r->err, 500, "InternalFailure", "The request processing has failed because of an unknown error.");
        return -1;
    }
    sim_wake();
    return 0;
}

void sim_cancel(struct dd_request *r, const char *kind, const char *resource)
{
    sqlite3_stmt *st = store_stmt(r->db, SQL_CANCEL);
    store_bind_text(st, 1, r->account);
    store_bind_text(st, 2, r->region);
    store_bind_text(st, 3, resource);
    store_bind_text(st, 4, kind);
    sqlite3_step(st);
}

static sim_fn find_handler(const char *kind)
{
    for (const struct dd_service *const *s = dd_services; *s; s++)
        for (size_t i = 0; i < (*s)->event_count; i++)
            if (strcmp((*s)->events[i].name, kind) == 0)
                return (*s)->events[i].fn;
    return NULL;
}

/* Takes the earliest due event and runs it, all in one transaction.
 * Returns 1 if one ran (or was dropped), 0 if none is due. */
static int run_one(struct store_conn *c, int64_t now)
{
    if (store_begin(c, true))
        return 0;
    sqlite3_stmt *st = store_stmt(c, SQL_NEXT);
    sqlite3_bind_int64(st, 1, now);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        store_rollback(c);
        return 0;
    }
    int64_t id = sqlite3_column_int64(st, 0);
    char account[16], region[64], kind[128], *resource = strdup(store_col_text(st, 5) ? store_col_text(st, 5) : "");
    snprintf(account, sizeof account, "%s", store_col_text(st, 2));
    snprintf(region, sizeof region, "%s", store_col_text(st, 3));
    snprintf(kind, sizeof kind, "%s", store_col_text(st, 4));
    const char *payload_text = store_col_text(st, 6);
    json_t *payload = payload_text ? json_loads(payload_text, 0, NULL) : NULL;
    struct dd_request r = {
        .account = account,
        .region = region,
        .db = c,
        .now_ms = sqlite3_column_int64(st, 1),
        .request_id = "simulation",
        .writable = true,
    };
    sqlite3_reset(st);
    sqlite3_stmt *del = store_stmt(c, SQL_DELETE);
    sqlite3_bind_int64(del, 1, id);
    sqlite3_step(del);

    sim_fn fn = find_handler(kind);
    int rc = fn ? fn(&r, resource, payload) : -1;
    if (rc == 0) {
        store_commit(c);
    } else {
        store_rollback(c);
        log_msg(LOG_WARN, "simulation: event %s for %s failed: %s", kind, resource,
                fn ? r.err.message : "no handler");
        /* drop the failed event so it cannot wedge the queue */
        if (store_begin(c, true) == 0) {
            del = store_stmt(c, SQL_DELETE);
            sqlite3_bind_int64(del, 1, id);
            sqlite3_step(del);
            store_commit(c);
        }
    }
    json_decref(payload);
    free(resource);
    return 1;
}

int sim_run_due(void)
{
    pthread_mutex_lock(&sim.run_lock);
    struct store_conn *c = store_conn_get();
    int n = 0;
    while (run_one(c, clock_now_ms()))
        n++;
    pthread_mutex_unlock(&sim.run_lock);
    return n;
}

static int64_t earliest_due(void)
{
    struct store_conn *c = store_conn_get();
    sqlite3_stmt *st = store_stmt(c, SQL_EARLIEST);
    int64_t due = -1;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        due = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return due;
}

int64_t sim_pending(void)
{
    sqlite3_stmt *st = store_stmt(store_conn_get(), SQL_COUNT);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return n;
}

void sim_wake(void)
{
    pthread_mutex_lock(&sim.wake_lock);
    sim.woken = true;
    pthread_cond_signal(&sim.wake);
    pthread_mutex_unlock(&sim.wake_lock);
}

static void *loop(void *arg)
{
    pthread_mutex_lock(&sim.wake_lock);
    while (sim.running) {
        pthread_mutex_unlock(&sim.wake_lock);
        sim_run_due();
        /* Sleep until the next event is due (at most a second: the clock may
         * be moved by the admin API, which wakes us anyway). */
        int64_t due = earliest_due(), wait_ms = 1000;
        if (due >= 0 && !clock_is_manual())
            wait_ms = due - clock_now_ms();
        if (wait_ms > 1000)
            wait_ms = 1000;
        pthread_mutex_lock(&sim.wake_lock);
        if (wait_ms > 0 && !sim.woken && sim.running) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += wait_ms / 1000;
            ts.tv_nsec += (wait_ms % 1000) * 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&sim.wake, &sim.wake_lock, &ts);
        }
        sim.woken = false;
    }
    pthread_mutex_unlock(&sim.wake_lock);
    return NULL;
}

int sim_start(void)
{
    sim.running = true;
    if (pthread_create(&sim.thread, NULL, loop, NULL) != 0) {
        sim.running = false;
        return -1;
    }
    return 0;
}

void sim_stop(void)
{
    if (!sim.running)
        return;
    pthread_mutex_lock(&sim.wake_lock);
    sim.running = false;
    pthread_cond_signal(&sim.wake);
    pthread_mutex_unlock(&sim.wake_lock);
    pthread_join(sim.thread, NULL);
}
