/*
 * crypto.h - encryption at rest (AES-256-GCM) for secret values.
 *
 * The key is a 32-byte file created with mode 0600 on first start beside the
 * state (<state>.key), or a random key held in memory for --state :memory:.
 */
#ifndef DD_CRYPTO_H
#define DD_CRYPTO_H

#include <stddef.h>

/* key_path NULL: an ephemeral random key. Returns -1 with `why` on failure. */
int crypto_init(const char *key_path, char *why, size_t why_len);

/* Seals `plain` bound to `aad`: a new string "v1:" + base64(iv | tag | ciphertext). */
char *crypto_seal(const void *plain, size_t len, const char *aad);

/* Opens a sealed string: new NUL-terminated plaintext (length in *len), or NULL if tampered. */
void *crypto_open(const char *sealed, const char *aad, size_t *len);

/* Decodes strict base64 (`len` a multiple of 4, padding respected) into a new buffer in
 * *out: the byte count (0 for ""), or -1 when `text` is not base64. */
long crypto_base64_decode(const char *text, size_t len, unsigned char **out);

#endif
