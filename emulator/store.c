/*
 * store.c - SQLite state (see store.h).
 *
 * One connection per server thread, opened lazily: WAL lets every thread read
 * at once while one writes, so there is no global lock around reads. Writers
 * are serialized by a process mutex rather than by SQLite's busy handler,
 * whose sleep-and-retry would add milliseconds under contention.
 */
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "service.h"

struct stmt_slot {
    const char *sql; /* the key: the address of a static SQL string */
    sqlite3_stmt *stmt;
};

struct store_conn {
    sqlite3 *db;
    struct stmt_slot *slots; /* open addressing, power-of-two size */
    size_t slot_count, used;
    bool writing;
    struct store_conn *next; /* all connections, for store_close */
};

static struct {
    char path[4096];
    char tmpdir[1024]; /* set when the state is :memory: */
    bool durable;
    pthread_mutex_t writer;
    pthread_mutex_t conns_lock;
    struct store_conn *conns;
} store = {
    .writer = PTHREAD_MUTEX_INITIALIZER,
    .conns_lock = PTHREAD_MUTEX_INITIALIZER,
};

static _Thread_local struct store_conn *tls_conn;

static int exec(sqlite3 *db, const char *sql, char *why, size_t why_len)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        if (why)
            snprintf(why, why_len, "%s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static sqlite3 *open_db(char *why, size_t why_len)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(store.path, &db, flags, NULL) != SQLITE_OK) {
        snprintf(why, why_len, "cannot open %s: %s", store.path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 10000);
    const char *sync = store.durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF";
    /* synchronous first: switching a new database to WAL otherwise syncs its journal */
    if (exec(db, sync, why, why_len) || exec(db, "PRAGMA journal_mode=WAL", why, why_len) ||
        exec(db, "PRAGMA foreign_keys=ON", why, why_len)) {
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

/* The engine's own tables (the simulation queue), migrated like a service's. */
static const char *const core_schema[] = {
    "CREATE TABLE sim_events (id INTEGER PRIMARY KEY, due_ms INTEGER NOT NULL, account TEXT NOT NULL,"
    " region TEXT NOT NULL, kind TEXT NOT NULL, resource TEXT, payload TEXT);"
    "CREATE INDEX sim_events_due ON sim_events (due_ms, id);"
    "CREATE INDEX sim_events_resource ON sim_events (account, region, resource);",
    NULL,
};

/* Applies the migrations of `name` not yet recorded in dd_schema (inside migrate's transaction). */
static int migrate_one(sqlite3 *db, const char *name, const char *const *schema, char *why, size_t why_len)
{
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT version FROM dd_schema WHERE service=?1", -1, &st, NULL);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int done = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    int n = 0;
    while (schema[n])
        n++;
    if (done > n) {
        snprintf(why, why_len, "state was written by a newer drydock (%s schema %d > %d)", name, done, n);
        return -1;
    }
    for (int v = done; v < n; v++) {
        char record[256];
        snprintf(record, sizeof record, "INSERT OR REPLACE INTO dd_schema VALUES ('%s', %d)", name, v + 1);
        if (exec(db, schema[v], why, why_len) || exec(db, record, why, why_len))
            return -1;
    }
    return 0;
}

/* All pending migrations in one transaction: a start either brings the whole
 * schema up to date or changes nothing (and one commit is much faster than
 * one per table on a fresh state). */
static int migrate(sqlite3 *db, char *why, size_t why_len)
{
    if (exec(db, "BEGIN IMMEDIATE", why, why_len))
        return -1;
    int rc = exec(db, "CREATE TABLE IF NOT EXISTS dd_schema (service TEXT PRIMARY KEY, version INTEGER NOT NULL)",
                  why, why_len) ||
             migrate_one(db, "drydock", core_schema, why, why_len);
    for (const struct dd_service *const *s = dd_services; *s && !rc; s++)
        if ((*s)->schema)
            rc = migrate_one(db, (*s)->model_id, (*s)->schema, why, why_len);
    if (rc) {
        exec(db, "ROLLBACK", NULL, 0);
        return -1;
    }
    return exec(db, "COMMIT", why, why_len);
}

static void remove_tmpdir(void)
{
    if (!store.tmpdir[0])
        return;
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s%s", store.path, suffixes[i]);
        unlink(p);
    }
    rmdir(store.tmpdir);
    store.tmpdir[0] = '\0';
}

int store_open(const char *path, bool durable, char *why, size_t why_len)
{
    store.durable = durable;
    if (strcmp(path, ":memory:") == 0) {
        /* A private file, not SQLite's :memory:, which is one connection only:
         * every thread must see the same data with WAL's concurrency. */
        const char *tmp = getenv("TMPDIR");
        snprintf(store.tmpdir, sizeof store.tmpdir, "%.900s/drydock-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(store.tmpdir)) {
            snprintf(why, why_len, "cannot create a temporary directory: %s", strerror(errno));
            store.tmpdir[0] = '\0';
            return -1;
        }
        snprintf(store.path, sizeof store.path, "%s/state.db", store.tmpdir);
        store.durable = false;
        atexit(remove_tmpdir);
    } else {
        snprintf(store.path, sizeof store.path, "%s", path);
    }
    sqlite3 *db = open_db(why, why_len);
    if (!db)
        return -1;
    int rc = migrate(db, why, why_len);
    sqlite3_close(db);
    if (rc)
        return -1;
    return 0;
}

static void conn_free(struct store_conn *c)
{
    for (size_t i = 0; i < c->slot_count; i++)
        if (c->slots[i].stmt)
            sqlite3_finalize(c->slots[i].stmt);
    free(c->slots);
    sqlite3_close(c->db);
    free(c);
}

void store_close(void)
{
    pthread_mutex_lock(&store.conns_lock);
    struct store_conn *c = store.conns;
    store.conns = NULL;
    pthread_mutex_unlock(&store.conns_lock);
    while (c) {
        struct store_conn *next = c->next;
        conn_free(c);
        c = next;
    }
    tls_conn = NULL;
    remove_tmpdir();
}

struct store_conn *store_conn_get(void)
{
    if (tls_conn)
        return tls_conn;
    char why[512];
    struct store_conn *c = calloc(1, sizeof *c);
    if (!c || !(c->db = open_db(why, sizeof why))) {
        fprintf(stderr, "drydock: store: %s\n", c ? why : "out of memory");
        abort();
    }
    c->slot_count = 64;
    c->slots = calloc(c->slot_count, sizeof *c->slots);
    if (!c->slots)
        abort();
    pthread_mutex_lock(&store.conns_lock);
    c->next = store.conns;
    store.conns = c;
    pthread_mutex_unlock(&store.conns_lock);
    tls_conn = c;
    return c;
}

sqlite3 *store_sqlite(struct store_conn *c)
{
    return c->db;
}

static size_t slot_index(const struct store_conn *c, const char *sql)
{
    uintptr_t h = (uintptr_t)sql;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 7) & (c->slot_count - 1);
}

static void grow(struct store_conn *c)
{
    struct stmt_slot *old = c->slots;
    size_t old_count = c->slot_count;
    c->slot_count *= 2;
    c->slots = calloc(c->slot_count, sizeof *c->slots);
    if (!c->slots)
        abort();
    for (size_t i = 0; i < old_count; i++) {
        if (!old[i].sql)
            continue;
        size_t j = slot_index(c, old[i].sql);
        while (c->slots[j].sql)
            j = (j + 1) & (c->slot_count - 1);
        c->slots[j] = old[i];
    }
    free(old);
}

sqlite3_stmt *store_stmt(struct store_conn *c, const char *sql)
{
    size_t i = slot_index(c, sql);
    while (c->slots[i].sql) {
        if (c->slots[i].sql == sql) {
            sqlite3_stmt *st = c->slots[i].stmt;
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return st;
        }
        i = (i + 1) & (c->slot_count - 1);
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "drydock: store: cannot prepare [%s]: %s\n", sql, sqlite3_errmsg(c->db));
        abort();
    }
    c->slots[i].sql = sql;
    c->slots[i].stmt = st;
    if (++c->used * 2 > c->slot_count)
        grow(c);
    return st;
}

/* Transaction control through cached statements too: parsing "BEGIN" and
 * "COMMIT" again on every call was a measurable share of a request. */
static const char SQL_BEGIN[] = "BEGIN";
static const char SQL_BEGIN_WRITE[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";

static int step_once(struct store_conn *c, const char *sql)
{
    sqlite3_stmt *st = store_stmt(c, sql);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int store_begin(struct store_conn *c, bool write)
{
    if (write) {
        pthread_mutex_lock(&store.writer);
        c->writing = true;
        if (step_once(c, SQL_BEGIN_WRITE) == 0)
            return 0;
        c->writing = false;
        pthread_mutex_unlock(&store.writer);
        return -1;
    }
    return step_once(c, SQL_BEGIN);
}

static void end_write(struct store_conn *c)
{
    if (c->writing) {
        c->writing = false;
        pthread_mutex_unlock(&store.writer);
    }
}

int store_commit(struct store_conn *c)
{
    int rc = step_once(c, SQL_COMMIT);
    if (rc && !sqlite3_get_autocommit(c->db))
        step_once(c, SQL_ROLLBACK);
    end_write(c);
    return rc;
}

void store_rollback(struct store_conn *c)
{
    if (!sqlite3_get_autocommit(c->db))
        step_once(c, SQL_ROLLBACK);
    end_write(c);
}

int store_reset(const char *account)
{
    struct store_conn *c = store_conn_get();
    static const char SQL_TABLES[] =
        "SELECT m.name FROM sqlite_master m WHERE m.type='table' AND m.name NOT LIKE 'dd\\_%' ESCAPE '\\' "
        "AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
        "AND (?1 IS NULL OR EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name='account'))";
    if (store_begin(c, true))
        return -1;
    sqlite3_stmt *st = store_stmt(c, SQL_TABLES);
    store_bind_text(st, 1, account);
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        char sql[512];
        const char *table = (const char *)sqlite3_column_text(st, 0);
        snprintf(sql, sizeof sql, account ? "DELETE FROM \"%s\" WHERE account=?1" : "DELETE FROM \"%s\"", table);
        sqlite3_stmt *del;
        if (sqlite3_prepare_v2(c->db, sql, -1, &del, NULL) != SQLITE_OK) {
            rc = -1;
            break;
        }
        if (account)
            sqlite3_bind_text(del, 1, account, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(del) != SQLITE_DONE)
            rc = -1;
        sqlite3_finalize(del);
    }
    sqlite3_reset(st);
    if (rc) {
        store_rollback(c);
        return -1;
    }
    return store_commit(c);
}

void store_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

const char *store_col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}
