/*
 * store.h - drydock's state: one SQLite database in WAL mode.
 *
 * Each server thread owns one connection (store_conn_get), so readers never
 * wait on a global lock: SQLite's WAL lets them read while one writer writes.
 * Each API call runs in one transaction (store_begin/commit/rollback).
 * Statements are prepared once per connection and cached by the address of
 * their SQL text, so services keep SQL in `static const char` strings:
 *
 *     static const char SQL_GET[] = "SELECT value FROM t WHERE account=?1 AND name=?2";
 *     sqlite3_stmt *st = store_stmt(r->db, SQL_GET);
 *
 * The schema is a list of numbered migrations (emulator/schema.c); the
 * database records the last one applied (PRAGMA user_version).
 */
#ifndef DD_STORE_H
#define DD_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_conn;

/* Opens (creating and migrating) the database. `path` may be ":memory:",
 * which uses a private temporary file removed at exit, so that concurrency
 * behaves exactly as with a real file. `durable`: fsync every commit. */
int store_open(const char *path, bool durable, char *why, size_t why_len);
void store_close(void);

/* The calling thread's connection (opened on first use). Never NULL after store_open. */
struct store_conn *store_conn_get(void);
sqlite3 *store_sqlite(struct store_conn *c);

/* The cached, reset and unbound statement for `sql` (a static string: cached
 * by address). Aborts on SQL errors, which are programming errors. */
sqlite3_stmt *store_stmt(struct store_conn *c, const char *sql);

int store_begin(struct store_conn *c, bool write);
int store_commit(struct store_conn *c);
void store_rollback(struct store_conn *c);

/* Deletes every resource (account == NULL) or one account's. */
int store_reset(const char *account);

/* Binding helpers: text may be NULL (binds NULL). */
void store_bind_text(sqlite3_stmt *st, int i, const char *s);
/* Column text (borrowed until the next step/reset), or NULL. */
const char *store_col_text(sqlite3_stmt *st, int i);

#endif
