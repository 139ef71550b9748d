/* state.c - stack state in SQLite (see state.h). */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct state {
    sqlite3 *db;
    pthread_mutex_t mu;
    char dir[1024];
    int lock_fd;
};

static const char SQL_SCHEMA[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS resources (stack TEXT NOT NULL, logical_id TEXT NOT NULL, entry TEXT NOT NULL,"
    " seq INTEGER NOT NULL, PRIMARY KEY (stack, logical_id));"
    "CREATE TABLE IF NOT EXISTS stacks (name TEXT PRIMARY KEY, outputs TEXT NOT NULL);";
static const char SQL_LIST[] = "SELECT logical_id, entry FROM resources WHERE stack=?1 ORDER BY seq";
static const char SQL_PUT[] =
    "INSERT INTO resources VALUES (?1, ?2, ?3, (SELECT coalesce(max(seq), 0) + 1 FROM resources))"
    " ON CONFLICT (stack, logical_id) DO UPDATE SET entry=excluded.entry";
static const char SQL_DELETE[] = "DELETE FROM resources WHERE stack=?1 AND logical_id=?2";
static const char SQL_OUTPUTS[] = "SELECT outputs FROM stacks WHERE name=?1";
static const char SQL_SET_OUTPUTS[] =
    "INSERT INTO stacks VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET outputs=excluded.outputs";
static const char SQL_FORGET[] = "DELETE FROM stacks WHERE name=?1";
static const char SQL_STACKS[] =
    "SELECT name FROM stacks UNION SELECT DISTINCT stack FROM resources ORDER BY 1";

struct state *state_open(const char *dir, char *why, size_t why_len)
{
    if (mkdir(dir, 0755) && errno != EEXIST) {
        snprintf(why, why_len, "cannot create the state directory %s: %s", dir, strerror(errno));
        return NULL;
    }
    struct state *s = calloc(1, sizeof *s);
    char path[1100];
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    snprintf(path, sizeof path, "%s/state.db", dir);
    pthread_mutex_init(&s->mu, NULL);
    s->lock_fd = -1;
    char *err = NULL;
    if (sqlite3_open(path, &s->db) != SQLITE_OK || sqlite3_busy_timeout(s->db, 10000) != SQLITE_OK ||
        sqlite3_exec(s->db, SQL_SCHEMA, NULL, NULL, &err) != SQLITE_OK) {
        snprintf(why, why_len, "cannot open the state %s: %s", path, err ? err : sqlite3_errmsg(s->db));
        sqlite3_free(err);
        state_close(s);
        return NULL;
    }
    return s;
}

void state_close(struct state *s)
{
    if (!s)
        return;
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

int state_lock(struct state *s, const char *stack, char *why, size_t why_len)
{
    char path[1400];
    snprintf(path, sizeof path, "%s/%s.lock", s->dir, stack);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB)) {
        snprintf(why, why_len, "stack %s is locked: another drydock command is changing it (%s)", stack, path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    s->lock_fd = fd;
    return 0;
}

/* Runs `sql` with text parameters; calls `row` per result row. */
static int run(struct state *s, const char *sql, const char *const *params, int n,
               void (*row)(sqlite3_stmt *st, void *ud), void *ud)
{
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    for (int i = 0; rc == SQLITE_OK && i < n; i++)
        sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_TRANSIENT);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (row)
            row(st, ud);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc == SQLITE_DONE ? 0 : -1;
}

static void add_entry(sqlite3_stmt *st, void *ud)
{
    json_t *entry = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
    if (entry)
        json_object_set_new(ud, (const char *)sqlite3_column_text(st, 0), entry);
}

json_t *state_resources(struct state *s, const char *stack)
{
    json_t *out = json_object();
    run(s, SQL_LIST, (const char *const[]){stack}, 1, add_entry, out);
    return out;
}

int state_put(struct state *s, const char *stack, const char *logical_id, json_t *entry)
{
    char *text = json_dumps(entry, JSON_COMPACT);
    int rc = run(s, SQL_PUT, (const char *const[]){stack, logical_id, text}, 3, NULL, NULL);
    free(text);
    return rc;
}

int state_delete(struct state *s, const char *stack, const char *logical_id)
{
    return run(s, SQL_DELETE, (const char *const[]){stack, logical_id}, 2, NULL, NULL);
}

static void take_outputs(sqlite3_stmt *st, void *ud)
{
    *(json_t **)ud = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
}

json_t *state_outputs(struct state *s, const char *stack)
{
    json_t *out = NULL;
    run(s, SQL_OUTPUTS, (const char *const[]){stack}, 1, take_outputs, &out);
    return out;
}

int state_set_outputs(struct state *s, const char *stack, json_t *outputs)
{
    if (!outputs)
        return run(s, SQL_FORGET, (const char *const[]){stack}, 1, NULL, NULL);
    char *text = json_dumps(outputs, JSON_COMPACT);
    int rc = run(s, SQL_SET_OUTPUTS, (const char *const[]){stack, text}, 2, NULL, NULL);
    free(text);
    return rc;
}

static void add_name(sqlite3_stmt *st, void *ud)
{
    json_array_append_new(ud, json_string((const char *)sqlite3_column_text(st, 0)));
}

json_t *state_stacks(struct state *s)
{
    json_t *out = json_array();
    run(s, SQL_STACKS, NULL, 0, add_name, out);
    return out;
}
