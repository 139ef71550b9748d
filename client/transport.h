/*
 * transport.h - the provisioner's one way to call AWS: aws_call().
 *
 * A target says where calls go and who signs them: the emulator (an
 * endpoint URL) or real AWS (regional endpoints), with credentials from the
 * standard chain. Every call goes through the same steps:
 *
 *   input (loosely shaped json) -> coerce to the model (member names matched
 *   case-insensitively, scalars converted) -> codec_write_request -> SigV4 ->
 *   libcurl (retries with backoff and jitter on throttling, 5xx and network
 *   errors) -> codec_parse_response -> output json or an AWS error.
 */
#ifndef DD_TRANSPORT_H
#define DD_TRANSPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "../protocol/error.h"
#include "../protocol/model.h"

/* What the command line says about the target; NULL members are unset. */
struct aws_options {
    const char *endpoint; /* --endpoint URL */
    const char *region;   /* --region */
    const char *profile;  /* --profile */
};

/* Where the environment and the files come from (tests substitute them). */
typedef const char *(*aws_getenv_fn)(const char *name);

enum aws_creds_source { AWS_CREDS_NONE, AWS_CREDS_ENV, AWS_CREDS_PROFILE, AWS_CREDS_DEFAULT };

struct aws_target {
    char region[64];
    char endpoint[512];     /* --endpoint: every service, whatever the environment says; or "" */
    char env_endpoint[512]; /* $AWS_ENDPOINT_URL: services without their own variable; or "" */
    char access_key[256];
    char secret_key[256];
    char session_token[4096];
    char profile[128];
    enum aws_creds_source creds_source;
    bool configured;   /* an endpoint, credentials or a profile were found */
    char ca_file[1024]; /* extra CA bundle ($AWS_CA_BUNDLE), or "" */
    aws_getenv_fn getenv_fn;
};

/* Resolves region, endpoint and credentials from `opt`, the environment and
 * the shared files. Returns 0, or -1 with `why` (a named profile that does
 * not exist, a malformed endpoint). */
int aws_target_resolve(const struct aws_options *opt, aws_getenv_fn env, struct aws_target *t, char *why,
                       size_t why_len);

/* Points every service at `endpoint` with credentials test/test (the emulator). */
void aws_target_emulator(struct aws_target *t, const char *endpoint);

/* The endpoint URL for `svc` and the region to sign with. */
void aws_endpoint_for(const struct aws_target *t, const struct dd_service_model *svc, char *url, size_t url_len,
                      char signing_region[64]);

/* "Elastic Load Balancing v2" -> "ELASTIC_LOAD_BALANCING_V2" (the AWS_ENDPOINT_URL_<SERVICE> suffix). */
void aws_service_env_name(const char *service_id, char *out, size_t len);

/* The partition and URL suffix of a region ("aws", "amazonaws.com"). */
const char *aws_partition(const char *region);
const char *aws_url_suffix(const char *region);

/*
 * Calls `operation` of `service` (botocore id: "ec2", "elbv2", ...) with
 * `input` (borrowed, may be NULL). Returns a new reference to the output, or
 * NULL with `err` holding the AWS error (or a transport error, code
 * "RequestError"). Thread-safe.
 */
json_t *aws_call(const struct aws_target *t, const char *service, const char *operation, json_t *input,
                 struct dd_error *err);

/* Converts `v` (borrowed) to the model's shape: a new reference, or NULL when it has no place there. */
json_t *aws_coerce(const struct dd_service_model *svc, uint32_t shape, json_t *v);

/* Calls made so far, and how many were writes (not Describe/Get/List). */
void aws_call_counts(long *calls, long *writes);

#endif
