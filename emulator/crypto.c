/*
 * crypto.c - encryption at rest (see crypto.h).
 *
 * One process-wide AES-256 key, set once by crypto_init before any thread
 * serves requests and only read afterwards. A sealed value is
 *
 *     "v1:" base64( iv[12] | tag[16] | ciphertext )
 *
 * with AES-256-GCM and the caller's `aad` (e.g. account, region, name and
 * version of a parameter) authenticated but not stored: a sealed value
 * moved to another row no longer opens.
 */
#include "crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_LEN 32
#define IV_LEN 12
#define TAG_LEN 16
#define PREFIX "v1:"
#define PREFIX_LEN 3

static unsigned char g_key[KEY_LEN];
static bool g_ready;

/* ---- the key file ---------------------------------------------------------- */

static int read_key(int fd, const char *path, char *why, size_t why_len)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        snprintf(why, why_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (sb.st_size != KEY_LEN) {
        snprintf(why, why_len, "%s: key file is %lld bytes, expected %d", path, (long long)sb.st_size, KEY_LEN);
        return -1;
    }
    size_t got = 0;
    while (got < KEY_LEN) {
        ssize_t n = read(fd, g_key + got, KEY_LEN - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(why, why_len, "%s: short read", path);
            return -1;
        }
        got += (size_t)n;
    }
    return 0;
}

/* Makes the new key file's directory entry durable too. */
static void sync_parent_dir(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Creates the key file with a fresh random key. 1 if it appeared meanwhile. */
static int create_key(const char *path, char *why, size_t why_len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST)
        return 1;
    if (fd < 0) {
        snprintf(why, why_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = -1;
    if (RAND_bytes(g_key, KEY_LEN) != 1) {
        snprintf(why, why_len, "no randomness for the state key");
        goto cleanup;
    }
    size_t put = 0;
    while (put < KEY_LEN) {
        ssize_t n = write(fd, g_key + put, KEY_LEN - put);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(why, why_len, "%s: %s", path, strerror(errno));
            goto cleanup;
        }
        put += (size_t)n;
    }
    if (fsync(fd) != 0) {
        snprintf(why, why_len, "%s: %s", path, strerror(errno));
        goto cleanup;
    }
    rc = 0;
cleanup:
    close(fd);
    if (rc != 0)
        unlink(path); /* never leave a half-written key to be refused next start */
    else
        sync_parent_dir(path);
    return rc;
}

int crypto_init(const char *key_path, char *why, size_t why_len)
{
    g_ready = false;
    if (!key_path) {
        if (RAND_bytes(g_key, KEY_LEN) != 1) {
            snprintf(why, why_len, "no randomness for the state key");
            return -1;
        }
        g_ready = true;
        return 0;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = open(key_path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            int rc = read_key(fd, key_path, why, why_len);
            close(fd);
            g_ready = rc == 0;
            return rc;
        }
        if (errno != ENOENT) {
            snprintf(why, why_len, "%s: %s", key_path, strerror(errno));
            return -1;
        }
        int rc = create_key(key_path, why, why_len);
        if (rc <= 0) {
            g_ready = rc == 0;
            return rc;
        }
        /* another process created it between our open and create: read it */
    }
    snprintf(why, why_len, "%s: cannot create or read the key file", key_path);
    return -1;
}

/* ---- sealing ------------------------------------------------------------------ */

char *crypto_seal(const void *plain, size_t len, const char *aad)
{
    if (!g_ready || len > (size_t)1 << 30)
        return NULL;
    size_t raw_len = IV_LEN + TAG_LEN + len;
    unsigned char *raw = malloc(raw_len);
    char *out = NULL;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    if (!raw || !ctx || RAND_bytes(raw, IV_LEN) != 1)
        goto cleanup;
    unsigned char *ct = raw + IV_LEN + TAG_LEN;
    if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, IV_LEN, NULL) != 1 ||
        EVP_EncryptInit_ex(ctx, NULL, NULL, g_key, raw) != 1)
        goto cleanup;
    if (aad && *aad && EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)strlen(aad)) != 1)
        goto cleanup;
    if (len && EVP_EncryptUpdate(ctx, ct, &n, plain, (int)len) != 1)
        goto cleanup;
    if (EVP_EncryptFinal_ex(ctx, ct + n, &n) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, raw + IV_LEN) != 1)
        goto cleanup;
    out = malloc(PREFIX_LEN + 4 * ((raw_len + 2) / 3) + 1);
    if (!out)
        goto cleanup;
    memcpy(out, PREFIX, PREFIX_LEN);
    EVP_EncodeBlock((unsigned char *)out + PREFIX_LEN, raw, (int)raw_len);
cleanup:
    EVP_CIPHER_CTX_free(ctx);
    if (raw)
        OPENSSL_cleanse(raw, raw_len);
    free(raw);
    return out;
}

long crypto_base64_decode(const char *text, size_t len, unsigned char **out)
{
    *out = NULL;
    if (len % 4 != 0 || len > (size_t)1 << 31)
        return -1;
    *out = malloc(len / 4 * 3 + 1);
    if (!*out)
        abort();
    int n = len ? EVP_DecodeBlock(*out, (const unsigned char *)text, (int)len) : 0;
    if (n < 0) {
        free(*out);
        *out = NULL;
        return -1;
    }
    /* EVP_DecodeBlock counts the padding as zero bytes */
    if (len && text[len - 1] == '=')
        n--;
    if (len > 1 && text[len - 2] == '=')
        n--;
    return n;
}

void *crypto_open(const char *sealed, const char *aad, size_t *len)
{
    if (!g_ready || !sealed || strncmp(sealed, PREFIX, PREFIX_LEN) != 0)
        return NULL;
    unsigned char *raw = NULL;
    long raw_len = crypto_base64_decode(sealed + PREFIX_LEN, strlen(sealed + PREFIX_LEN), &raw);
    if (raw_len < IV_LEN + TAG_LEN) {
        free(raw);
        return NULL;
    }
    size_t ct_len = (size_t)raw_len - IV_LEN - TAG_LEN;
    unsigned char *plain = malloc(ct_len + 1);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, fin = 0;
    bool ok = false;
    if (!plain || !ctx)
        goto cleanup;
    if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, IV_LEN, NULL) != 1 ||
        EVP_DecryptInit_ex(ctx, NULL, NULL, g_key, raw) != 1)
        goto cleanup;
    if (aad && *aad && EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)strlen(aad)) != 1)
        goto cleanup;
    n = 0;
    if (ct_len && EVP_DecryptUpdate(ctx, plain, &n, raw + IV_LEN + TAG_LEN, (int)ct_len) != 1)
        goto cleanup;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, raw + IV_LEN) != 1)
        goto cleanup;
    ok = EVP_DecryptFinal_ex(ctx, plain + n, &fin) > 0;
cleanup:
    EVP_CIPHER_CTX_free(ctx);
    free(raw);
    if (!ok) {
        if (plain)
            OPENSSL_cleanse(plain, ct_len);
        free(plain);
        return NULL;
    }
    plain[n + fin] = '\0';
    if (len)
        *len = (size_t)(n + fin);
    return plain;
}
