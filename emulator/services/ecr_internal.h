/*
 * ecr_internal.h - what the Amazon ECR files (ecr*.c) share.
 *
 * State, all isolated by (account, region), keyed by repository name:
 *   ecr_repo       repositories: settings, repository policy, lifecycle policy
 *                  and when it last ran
 *   ecr_tag        resource tags of a repository
 *   ecr_image      images by manifest digest: the manifest as pushed, its media
 *                  types, size and push time
 *   ecr_image_tag  image tags, each naming one digest
 *   ecr_layer      layers (blobs) a repository holds, by digest
 *   ecr_upload     layer uploads in progress and how many bytes they received
 *   ecr_part       the bytes of uploads and layers, one row per uploaded part;
 *                  `owner` is "upload/ID" while uploading and "layer/REPO@DIGEST"
 *                  once complete, so completing an upload never copies bytes
 *   ecr_preview    the last lifecycle policy preview of a repository (results
 *                  computed when it was started)
 *
 * ecr.c holds repositories, tags, policies, tokens and the service table;
 * ecr_image.c layer uploads, images, and what ECS asks (ecr.h);
 * ecr_lifecycle.c lifecycle policies, their previews and their runs on the
 * simulation clock ("ecr.lifecycle.run", resource = repository name).
 */
#ifndef DD_ECR_INTERNAL_H
#define DD_ECR_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "ecr.h"

#define ECR_LIFECYCLE_EVENT "ecr.lifecycle.run"
#define ECR_DAY_MS (86400 * 1000LL)

/* A repository as stored (policies aside). */
struct ecr_repo {
    char name[257];
    int64_t created_ms;
    char mutability[16]; /* MUTABLE | IMMUTABLE */
    bool scan_on_push;
    char enc_type[8]; /* AES256 | KMS */
    char kms_key[2049];
};

/* ---- common (ecr.c) --------------------------------------------------------------------------- */

/* Loads repository `name`: 0, or 1 when there is none (nothing recorded). */
int ecr_repo_find(struct dd_request *r, const char *name, struct ecr_repo *out);
/* Loads repository `name`: 0, or -1 with AWS's RepositoryNotFoundException. */
int ecr_repo_get(struct dd_request *r, const char *name, struct ecr_repo *out);
/* The input's repositoryName must name an existing repository: 0 or -1. */
int ecr_repo_of(struct dd_request *r, json_t *in, struct ecr_repo *out);

/* {"registryId": account, "repositoryName": name}, the head of most outputs (new reference). */
json_t *ecr_head(struct dd_request *r, const char *name);

/* Records InvalidParameterException with the message and returns -1. */
int ecr_invalid(struct dd_request *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The cached statement for `sql` with ?1 account, ?2 region, ?3 the repository. */
sqlite3_stmt *ecr_stmt(struct dd_request *r, const char *sql, const char *repo);

/* ---- images (ecr_image.c) --------------------------------------------------------------------- */

/*
 * The repository's images, newest push first (new reference): each
 * {"digest", "tags": [...], "pushed_ms", "size", "media_type", "artifact_type"}.
 */
json_t *ecr_images(struct dd_request *r, const char *repo);
/* Deletes an image with its tags: 0 or -1. */
int ecr_image_delete(struct dd_request *r, const char *repo, const char *digest);
/* Deletes every image, layer and upload of a repository: 0 or -1. */
int ecr_images_drop(struct dd_request *r, const char *repo);
/* How many images a repository holds. */
int64_t ecr_image_count(struct dd_request *r, const char *repo);

/* ---- lifecycle policies (ecr_lifecycle.c) ----------------------------------------------------- */

/* Schedules the repository's lifecycle run (when it has a policy): 0 or -1. */
int ecr_lifecycle_poke(struct dd_request *r, const char *repo);
/* The "ecr.lifecycle.run" event. */
int ecr_lifecycle_run(struct dd_request *r, const char *repo, json_t *payload);
/* Forgets a deleted repository's preview and pending runs. */
int ecr_lifecycle_drop(struct dd_request *r, const char *repo);

/* ---- handlers --------------------------------------------------------------------------------- */
#define ECR_HANDLERS(X)                                                                                                \
    X(CreateRepository, 0)                                                                                             \
    X(DescribeRepositories, DD_OP_READ)                                                                                \
    X(DeleteRepository, 0)                                                                                             \
    X(PutImageTagMutability, 0)                                                                                        \
    X(PutImageScanningConfiguration, 0)                                                                                \
    X(TagResource, 0)                                                                                                  \
    X(UntagResource, 0)                                                                                                \
    X(ListTagsForResource, DD_OP_READ)                                                                                 \
    X(SetRepositoryPolicy, 0)                                                                                          \
    X(GetRepositoryPolicy, DD_OP_READ)                                                                                 \
    X(DeleteRepositoryPolicy, 0)                                                                                       \
    X(GetAuthorizationToken, DD_OP_READ)                                                                               \
    X(DescribeRegistry, DD_OP_READ)                                                                                    \
    X(GetRegistryPolicy, DD_OP_READ)                                                                                   \
    X(InitiateLayerUpload, 0)                                                                                          \
    X(UploadLayerPart, 0)                                                                                              \
    X(CompleteLayerUpload, 0)                                                                                          \
    X(BatchCheckLayerAvailability, DD_OP_READ)                                                                         \
    X(GetDownloadUrlForLayer, DD_OP_READ)                                                                              \
    X(PutImage, 0)                                                                                                     \
    X(BatchGetImage, DD_OP_READ)                                                                                       \
    X(DescribeImages, DD_OP_READ)                                                                                      \
    X(ListImages, DD_OP_READ)                                                                                          \
    X(BatchDeleteImage, 0)                                                                                             \
    X(PutLifecyclePolicy, 0)                                                                                           \
    X(GetLifecyclePolicy, DD_OP_READ)                                                                                  \
    X(DeleteLifecyclePolicy, 0)                                                                                        \
    X(StartLifecyclePolicyPreview, 0)                                                                                  \
    X(GetLifecyclePolicyPreview, DD_OP_READ)

#define ECR_DECLARE(op, flags) json_t *ecr_op_##op(struct dd_request *r, json_t *in);
ECR_HANDLERS(ECR_DECLARE)
#undef ECR_DECLARE

#endif
