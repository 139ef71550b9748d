/* test_crypto.c - encryption at rest (emulator/crypto.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"

static char g_dir[64];
static char g_key_path[128];

static void setup(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/dd-crypto-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(g_dir));
    snprintf(g_key_path, sizeof g_key_path, "%s/state.db.key", g_dir);
}

static void teardown(void)
{
    unlink(g_key_path);
    rmdir(g_dir);
}

static void init_or_fail(const char *path)
{
    char why[256] = "";
    ck_assert_msg(crypto_init(path, why, sizeof why) == 0, "crypto_init: %s", why);
}

START_TEST(round_trip)
{
    init_or_fail(NULL);
    const char *secret = "hunter2 with spaces and \xc3\xa9";
    char *sealed = crypto_seal(secret, strlen(secret), "000000000000:us-east-1:/db/password:1");
    ck_assert_ptr_nonnull(sealed);
    ck_assert_int_eq(strncmp(sealed, "v1:", 3), 0);
    ck_assert_ptr_null(strstr(sealed, "hunter2"));
    size_t len = 0;
    char *plain = crypto_open(sealed, "000000000000:us-east-1:/db/password:1", &len);
    ck_assert_ptr_nonnull(plain);
    ck_assert_uint_eq(len, strlen(secret));
    ck_assert_str_eq(plain, secret);
    free(plain);
    free(sealed);
}
END_TEST

START_TEST(empty_and_binary)
{
    init_or_fail(NULL);
    char *sealed = crypto_seal("", 0, "a");
    ck_assert_ptr_nonnull(sealed);
    size_t len = 99;
    char *plain = crypto_open(sealed, "a", &len);
    ck_assert_ptr_nonnull(plain);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(plain, "");
    free(plain);
    free(sealed);

    unsigned char bytes[300];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (unsigned char)i;
    sealed = crypto_seal(bytes, sizeof bytes, NULL);
    plain = crypto_open(sealed, NULL, &len);
    ck_assert_ptr_nonnull(plain);
    ck_assert_uint_eq(len, sizeof bytes);
    ck_assert_int_eq(memcmp(plain, bytes, sizeof bytes), 0);
    free(plain);
    free(sealed);
}
END_TEST

START_TEST(same_plaintext_different_ciphertext)
{
    init_or_fail(NULL);
    char *a = crypto_seal("same", 4, "x");
    char *b = crypto_seal("same", 4, "x");
    ck_assert_str_ne(a, b); /* fresh IV each time */
    free(a);
    free(b);
}
END_TEST

START_TEST(tamper_detected)
{
    init_or_fail(NULL);
    char *sealed = crypto_seal("top secret value", 16, "aad");
    size_t n = strlen(sealed);
    for (size_t i = 3; i < n; i += 7) {
        char *copy = strdup(sealed);
        copy[i] = copy[i] == 'A' ? 'B' : 'A';
        ck_assert_msg(crypto_open(copy, "aad", NULL) == NULL, "tampered byte %zu accepted", i);
        free(copy);
    }
    /* truncated, garbage, wrong version prefix */
    char *cut = strndup(sealed, n - 4);
    ck_assert_ptr_null(crypto_open(cut, "aad", NULL));
    free(cut);
    ck_assert_ptr_null(crypto_open("v1:not base64!", "aad", NULL));
    ck_assert_ptr_null(crypto_open("v1:", "aad", NULL));
    ck_assert_ptr_null(crypto_open("v2:AAAA", "aad", NULL));
    ck_assert_ptr_null(crypto_open("top secret value", "aad", NULL));
    free(sealed);
}
END_TEST

START_TEST(wrong_aad_refused)
{
    init_or_fail(NULL);
    char *sealed = crypto_seal("value", 5, "111111111111:us-east-1:/a:1");
    ck_assert_ptr_null(crypto_open(sealed, "222222222222:us-east-1:/a:1", NULL));
    ck_assert_ptr_null(crypto_open(sealed, "111111111111:us-east-1:/a:2", NULL));
    ck_assert_ptr_null(crypto_open(sealed, NULL, NULL));
    char *plain = crypto_open(sealed, "111111111111:us-east-1:/a:1", NULL);
    ck_assert_str_eq(plain, "value");
    free(plain);
    free(sealed);
}
END_TEST

START_TEST(key_file_created_0600)
{
    ck_assert_int_ne(access(g_key_path, F_OK), 0);
    init_or_fail(g_key_path);
    struct stat sb;
    ck_assert_int_eq(stat(g_key_path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
    ck_assert_int_eq(sb.st_size, 32);
}
END_TEST

START_TEST(reload_gives_same_key)
{
    init_or_fail(g_key_path);
    char *sealed = crypto_seal("persisted", 9, "k");

    init_or_fail(NULL); /* another key: the value no longer opens */
    ck_assert_ptr_null(crypto_open(sealed, "k", NULL));

    init_or_fail(g_key_path); /* the same file: it opens again */
    char *plain = crypto_open(sealed, "k", NULL);
    ck_assert_ptr_nonnull(plain);
    ck_assert_str_eq(plain, "persisted");
    free(plain);
    free(sealed);
}
END_TEST

START_TEST(wrong_size_key_refused)
{
    FILE *f = fopen(g_key_path, "w");
    fputs("too short", f);
    fclose(f);
    char why[256] = "";
    ck_assert_int_eq(crypto_init(g_key_path, why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "expected 32"));
    /* refused, not replaced */
    struct stat sb;
    ck_assert_int_eq(stat(g_key_path, &sb), 0);
    ck_assert_int_eq(sb.st_size, 9);
    /* and nothing seals with a half-initialised key */
    ck_assert_ptr_null(crypto_seal("x", 1, NULL));
}
END_TEST

START_TEST(unreadable_dir_refused)
{
    char why[256] = "";
    ck_assert_int_eq(crypto_init("/nonexistent-dir/x/state.key", why, sizeof why), -1);
    ck_assert_str_ne(why, "");
}
END_TEST

static Suite *crypto_suite(void)
{
    Suite *s = suite_create("crypto");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, empty_and_binary);
    tcase_add_test(tc, same_plaintext_different_ciphertext);
    tcase_add_test(tc, tamper_detected);
    tcase_add_test(tc, wrong_aad_refused);
    tcase_add_test(tc, key_file_created_0600);
    tcase_add_test(tc, reload_gives_same_key);
    tcase_add_test(tc, wrong_size_key_refused);
    tcase_add_test(tc, unreadable_dir_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(crypto_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
