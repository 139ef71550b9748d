/*
 * sts.h - temporary credentials issued by STS AssumeRole, as auth sees them.
 */
#ifndef DD_STS_H
#define DD_STS_H

#include <stdbool.h>
#include <stdint.h>

struct sts_session {
    char secret[64];
    char token[1024];
    char account[13];   /* the assumed role's account */
    char arn[256];      /* arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION */
    char user_id[160];  /* ROLEID:SESSION */
    int64_t expires_ms; /* on the emulator clock */
};

/*
 * Looks up the credentials AssumeRole issued for `access_key`: true with
 * *out filled, false if it issued none. Reads the store outside any
 * transaction (auth runs before the call's transaction opens).
 */
bool sts_session_find(const char *access_key, struct sts_session *out);

#endif
