/*
 * iam.h - what other services need from IAM (STS assumes its roles).
 */
#ifndef DD_IAM_H
#define DD_IAM_H

#include <stdbool.h>
#include <stddef.h>

#include "service.h"

/* A role as STS sees it. */
struct iam_role_ref {
    char name[65];
    char id[32];
    char arn[640];
    int max_session; /* MaxSessionDuration, seconds */
    char *trust;     /* the trust policy text: a new malloc'd string */
};

/* Looks up role `name` of `account` in r's transaction: true with *out filled
 * (free out->trust), false when there is no such role. */
bool iam_role_lookup(struct dd_request *r, const char *account, const char *name, struct iam_role_ref *out);

/* Looks up the instance profile named `name`, or with ARN `arn` (one of them non-NULL), of r's
 * account: true with its ARN and id copied out, false when there is no such profile. */
bool iam_instance_profile_lookup(struct dd_request *r, const char *name, const char *arn, char arn_out[640],
                                 char id_out[32]);

/* An IAM-style unique id: `prefix` (4 letters: AROA, ANPA, AIPA, ASIA) then
 * uppercase letters and digits up to `len` characters; out holds len+1. */
void iam_random_id(const char *prefix, size_t len, char *out);

#endif
