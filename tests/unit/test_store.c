/* Unit tests for emulator/store.c: migrations, statement cache, transactions, reset. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"

static const char SQL_CREATE[] =
    "CREATE TABLE IF NOT EXISTS t_items (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL)";
static const char SQL_INSERT[] = "INSERT INTO t_items VALUES (?1, ?2, ?3)";
static const char SQL_COUNT[] = "SELECT count(*) FROM t_items WHERE account=?1";

static void setup_memory(void)
{
    char why[256];
    ck_assert_int_eq(store_open(":memory:", false, why, sizeof why), 0);
    sqlite3_exec(store_sqlite(store_conn_get()), SQL_CREATE, NULL, NULL, NULL);
}

static void teardown(void)
{
    store_close();
}

static void insert(const char *account, const char *name)
{
    struct store_conn *c = store_conn_get();
    sqlite3_stmt *st = store_stmt(c, SQL_INSERT);
    store_bind_text(st, 1, account);
    store_bind_text(st, 2, "us-east-1");
    store_bind_text(st, 3, name);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
}

static int count(const char *account)
{
    sqlite3_stmt *st = store_stmt(store_conn_get(), SQL_COUNT);
    store_bind_text(st, 1, account);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return n;
}

START_TEST(statement_cache_returns_same_statement)
{
    struct store_conn *c = store_conn_get();
    sqlite3_stmt *a = store_stmt(c, SQL_COUNT);
    sqlite3_stmt *b = store_stmt(c, SQL_COUNT);
    ck_assert_ptr_eq(a, b);
    ck_assert_ptr_ne(a, store_stmt(c, SQL_INSERT));
}
END_TEST

START_TEST(commit_keeps_rollback_discards)
{
    struct store_conn *c = store_conn_get();
    ck_assert_int_eq(store_begin(c, true), 0);
    insert("111111111111", "kept");
    ck_assert_int_eq(store_commit(c), 0);
    ck_assert_int_eq(store_begin(c, true), 0);
    insert("111111111111", "dropped");
    store_rollback(c);
    ck_assert_int_eq(count("111111111111"), 1);
}
END_TEST

START_TEST(reset_one_account_or_all)
{
    insert("111111111111", "a");
    insert("222222222222", "b");
    ck_assert_int_eq(store_reset("111111111111"), 0);
    ck_assert_int_eq(count("111111111111"), 0);
    ck_assert_int_eq(count("222222222222"), 1);
    ck_assert_int_eq(store_reset(NULL), 0);
    ck_assert_int_eq(count("222222222222"), 0);
}
END_TEST

static void *reader(void *arg)
{
    int *seen = arg;
    struct store_conn *c = store_conn_get();
    ck_assert_int_eq(store_begin(c, false), 0);
    *seen = count("333333333333");
    store_commit(c);
    return NULL;
}

START_TEST(threads_have_own_connections_and_see_commits)
{
    struct store_conn *c = store_conn_get();
    ck_assert_int_eq(store_begin(c, true), 0);
    insert("333333333333", "x");
    /* uncommitted: another thread reads the old snapshot without waiting */
    int seen = -1;
    pthread_t t;
    pthread_create(&t, NULL, reader, &seen);
    pthread_join(t, NULL);
    ck_assert_int_eq(seen, 0);
    ck_assert_int_eq(store_commit(c), 0);
    pthread_create(&t, NULL, reader, &seen);
    pthread_join(t, NULL);
    ck_assert_int_eq(seen, 1);
}
END_TEST

START_TEST(file_state_survives_reopen)
{
    char dir[] = "/tmp/dd-store-XXXXXX", path[64], why[256];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/s.db", dir);
    ck_assert_int_eq(store_open(path, true, why, sizeof why), 0);
    sqlite3_exec(store_sqlite(store_conn_get()), SQL_CREATE, NULL, NULL, NULL);
    insert("444444444444", "persisted");
    store_close();
    ck_assert_int_eq(store_open(path, true, why, sizeof why), 0);
    ck_assert_int_eq(count("444444444444"), 1);
    /* migrations recorded once: the engine's own schema at version 1, and the
     * simulation queue it created is there */
    sqlite3_stmt *st;
    sqlite3_prepare_v2(store_sqlite(store_conn_get()), "SELECT version FROM dd_schema WHERE service='drydock'", -1,
                       &st, NULL);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
    ck_assert_int_eq(sqlite3_exec(store_sqlite(store_conn_get()), "SELECT count(*) FROM sim_events", NULL, NULL, NULL),
                     SQLITE_OK);
    store_close();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("memory");
    tcase_add_checked_fixture(tc, setup_memory, teardown);
    tcase_add_test(tc, statement_cache_returns_same_statement);
    tcase_add_test(tc, commit_keeps_rollback_discards);
    tcase_add_test(tc, reset_one_account_or_all);
    tcase_add_test(tc, threads_have_own_connections_and_see_commits);
    suite_add_tcase(s, tc);
    TCase *tf = tcase_create("file");
    tcase_add_test(tf, file_state_survives_reopen);
    suite_add_tcase(s, tf);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(store_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
