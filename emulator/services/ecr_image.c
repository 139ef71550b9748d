/*
 * ecr_image.c - Amazon ECR: layer uploads, images, and what ECS asks (ecr.h).
 *
 * A push is: InitiateLayerUpload, UploadLayerPart (parts follow on byte for
 * byte), CompleteLayerUpload (the digest must be the sha256 of the bytes) per
 * blob - layers and the image config - then PutImage with the manifest, whose
 * digest is the sha256 of the manifest text. A manifest may only name blobs
 * the repository holds (foreign, non-distributable layers excepted: Docker
 * never pushes them), and a manifest list or index only images it holds.
 *
 * Layer bytes are kept (ecr_part), so a digest is always checked against what
 * was uploaded; GetDownloadUrlForLayer answers a URL but nothing serves it.
 */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../crypto.h"
#include "ecr_internal.h"

#define PART_SIZE (10 * 1024 * 1024LL)    /* what InitiateLayerUpload advises, and the largest part taken */
#define MIN_PART_SIZE (5 * 1024 * 1024LL) /* every part but the last, as AWS requires */
#define DEFAULT_PAGE 100
#define DIGEST_MAX 160

static const char MT_DOCKER_V1[] = "application/vnd.docker.distribution.manifest.v1+json";
static const char MT_DOCKER_V1_SIGNED[] = "application/vnd.docker.distribution.manifest.v1+prettyjws";
static const char MT_DOCKER_V2[] = "application/vnd.docker.distribution.manifest.v2+json";
static const char MT_DOCKER_LIST[] = "application/vnd.docker.distribution.manifest.list.v2+json";
static const char MT_OCI_MANIFEST[] = "application/vnd.oci.image.manifest.v1+json";
static const char MT_OCI_INDEX[] = "application/vnd.oci.image.index.v1+json";
static const char MT_LAYER[] = "application/vnd.docker.container.image.rootfs.diff+x-gtar";

/* ---- statements: ?1 account, ?2 region, ?3 repository (or upload id / part owner) ------------ */

static const char SQL_LAYER[] = "SELECT size FROM ecr_layer WHERE account=?1 AND region=?2 AND repo=?3 AND digest=?4";
static const char SQL_INSERT_LAYER[] = "INSERT INTO ecr_layer (account, region, repo, digest, size)"
                                       " VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_DELETE_LAYERS[] = "DELETE FROM ecr_layer WHERE account=?1 AND region=?2 AND repo=?3";

static const char SQL_INSERT_UPLOAD[] = "INSERT INTO ecr_upload (account, region, id, repo, received, created_ms)"
                                        " VALUES (?1, ?2, ?3, ?4, 0, ?5)";
static const char SQL_UPLOAD[] = "SELECT received FROM ecr_upload WHERE account=?1 AND region=?2 AND id=?3 AND repo=?4";
static const char SQL_SET_RECEIVED[] = "UPDATE ecr_upload SET received=?4 WHERE account=?1 AND region=?2 AND id=?3";
static const char SQL_DELETE_UPLOAD[] = "DELETE FROM ecr_upload WHERE account=?1 AND region=?2 AND id=?3";
static const char SQL_DELETE_UPLOADS[] = "DELETE FROM ecr_upload WHERE account=?1 AND region=?2 AND repo=?3";

static const char SQL_INSERT_PART[] = "INSERT INTO ecr_part (account, region, owner, first, data)"
                                      " VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_PARTS[] = "SELECT first, data FROM ecr_part WHERE account=?1 AND region=?2 AND owner=?3"
                                " ORDER BY first";
static const char SQL_MOVE_PARTS[] = "UPDATE ecr_part SET owner=?4 WHERE account=?1 AND region=?2 AND owner=?3";
/* ?3 repository: its layers' parts ("layer/REPO@...") and its uploads' */
static const char SQL_DELETE_REPO_PARTS[] =
    "DELETE FROM ecr_part WHERE account=?1 AND region=?2 AND (substr(owner, 1, length(?3) + 7)='layer/' || ?3 || '@'"
    " OR owner IN (SELECT 'upload/' || id FROM ecr_upload WHERE account=?1 AND region=?2 AND repo=?3))";

#define IMAGE_COLS "digest, pushed_ms, size, media_type, artifact_type"
static const char SQL_IMAGE[] = "SELECT " IMAGE_COLS ", manifest FROM ecr_image"
                                " WHERE account=?1 AND region=?2 AND repo=?3 AND digest=?4";
static const char SQL_IMAGES[] =
    "SELECT " IMAGE_COLS ", (SELECT json_group_array(tag) FROM (SELECT tag FROM ecr_image_tag t"
    " WHERE t.account=?1 AND t.region=?2 AND t.repo=?3 AND t.digest=i.digest ORDER BY tag))"
    " FROM ecr_image i WHERE account=?1 AND region=?2 AND repo=?3 ORDER BY pushed_ms DESC, rowid DESC";
static const char SQL_INSERT_IMAGE[] =
    "INSERT INTO ecr_image (account, region, repo, digest, manifest, media_type, artifact_type, size, pushed_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SQL_DELETE_IMAGE[] = "DELETE FROM ecr_image WHERE account=?1 AND region=?2 AND repo=?3 AND digest=?4";
static const char SQL_DELETE_IMAGES[] = "DELETE FROM ecr_image WHERE account=?1 AND region=?2 AND repo=?3";
static const char SQL_IMAGE_COUNT[] = "SELECT count(*) FROM ecr_image WHERE account=?1 AND region=?2 AND repo=?3";

static const char SQL_TAG_DIGEST[] =
    "SELECT digest FROM ecr_image_tag WHERE account=?1 AND region=?2 AND repo=?3 AND tag=?4";
static const char SQL_DIGEST_TAGS[] = "SELECT tag FROM ecr_image_tag WHERE account=?1 AND region=?2 AND repo=?3"
                                      " AND digest=?4 ORDER BY tag";
static const char SQL_SET_IMAGE_TAG[] =
    "INSERT INTO ecr_image_tag (account, region, repo, tag, digest) VALUES (?1, ?2, ?3, ?4, ?5)"
    " ON CONFLICT (account, region, repo, tag) DO UPDATE SET digest=excluded.digest";
static const char SQL_DELETE_IMAGE_TAG[] =
    "DELETE FROM ecr_image_tag WHERE account=?1 AND region=?2 AND repo=?3 AND tag=?4";
static const char SQL_DELETE_DIGEST_TAGS[] =
    "DELETE FROM ecr_image_tag WHERE account=?1 AND region=?2 AND repo=?3 AND digest=?4";
static const char SQL_DELETE_ALL_TAGS[] = "DELETE FROM ecr_image_tag WHERE account=?1 AND region=?2 AND repo=?3";

/* ---- helpers ------------------------------------------------------------------------------------ */

/* "ALGORITHM:HEX", the model's LayerDigest pattern [a-zA-Z0-9-_+.]+:[a-fA-F0-9]+. */
static bool digest_valid(const char *d)
{
    const char *colon = d ? strchr(d, ':') : NULL;
    if (!colon || colon == d || !colon[1] || strlen(d) >= DIGEST_MAX)
        return false;
    for (const char *p = d; p < colon; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-_+.", *p))
            return false;
    for (const char *p = colon + 1; *p; p++)
        if (!isxdigit((unsigned char)*p))
            return false;
    return true;
}

static void digest_hex(const unsigned char md[32], char out[72])
{
    int n = snprintf(out, 72, "sha256:");
    for (int i = 0; i < 32; i++)
        n += snprintf(out + n, (size_t)(72 - n), "%02x", md[i]);
}

static int64_t layer_size(struct dd_request *r, const char *repo, const char *digest)
{
    sqlite3_stmt *st = ecr_stmt(r, SQL_LAYER, repo);
    store_bind_text(st, 4, digest);
    return dd_single_int(st, -1);
}

static json_t *layer_missing(struct dd_request *r, const char *repo, const char *digest)
{
    return dd_fail(r, 400, "LayersNotFoundException",
                   "The layer with digest '%s' does not exist within the repository with name '%s' in the registry "
                   "with id '%s'",
                   digest, repo, r->account);
}

/* ---- layer uploads ------------------------------------------------------------------------------ */

json_t *ecr_op_InitiateLayerUpload(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    if (ecr_repo_of(r, in, &o))
        return NULL;
    char id[37];
    dd_uuid(id);
    sqlite3_stmt *st = ecr_stmt(r, SQL_INSERT_UPLOAD, id);
    store_bind_text(st, 4, o.name);
    sqlite3_bind_int64(st, 5, r->now_ms);
    if (dd_exec(r, st))
        return NULL;
    return json_pack("{s:s, s:I}", "uploadId", id, "partSize", (json_int_t)PART_SIZE);
}

/* The upload `id` of `repo`: its byte count, or -1 with UploadNotFoundException. */
static int64_t upload_received(struct dd_request *r, const char *repo, const char *id)
{
    sqlite3_stmt *st = ecr_stmt(r, SQL_UPLOAD, id);
    store_bind_text(st, 4, repo);
    int64_t received = dd_single_int(st, -1);
    if (received < 0)
        dd_reject(r, 404, "UploadNotFoundException",
                  "The upload with id '%s' does not exist in the repository with name '%s' in the registry with id "
                  "'%s'",
                  id, repo, r->account);
    return received;
}

json_t *ecr_op_UploadLayerPart(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    const char *id = dd_in_str(in, "uploadId");
    if (ecr_repo_of(r, in, &o))
        return NULL;
    int64_t received = upload_received(r, o.name, id);
    if (received < 0)
        return NULL;
    json_t *blob = json_object_get(in, "layerPartBlob");
    unsigned char *bytes;
    long decoded = crypto_base64_decode(json_string_value(blob), json_string_length(blob), &bytes);
    size_t len = decoded > 0 ? (size_t)decoded : 0;
    if (decoded < 0)
        return dd_fail(r, 400, "InvalidParameterException",
                       "Invalid parameter at 'layerPartBlob' failed to satisfy constraint: 'must be base64-encoded'");
    int64_t first = dd_in_int(in, "partFirstByte", -1), last = dd_in_int(in, "partLastByte", -1);
    json_t *out = NULL;
    if (first != received || last < first || (int64_t)len != last - first + 1 || (int64_t)len > PART_SIZE) {
        dd_fail(r, 400, "InvalidLayerPartException",
                "The layer part with first byte %lld and last byte %lld is not valid for upload '%s': the next byte "
                "expected is %lld, parts are at most %lld bytes and the range must match the part's length (%zu)",
                (long long)first, (long long)last, id, (long long)received, (long long)PART_SIZE, len);
        goto cleanup;
    }
    char owner[64];
    snprintf(owner, sizeof owner, "upload/%s", id);
    sqlite3_stmt *st = ecr_stmt(r, SQL_INSERT_PART, owner);
    sqlite3_bind_int64(st, 4, first);
    sqlite3_bind_blob64(st, 5, bytes, len, SQLITE_STATIC);
    if (dd_exec(r, st))
        goto cleanup;
    st = ecr_stmt(r, SQL_SET_RECEIVED, id);
    sqlite3_bind_int64(st, 4, last + 1);
    if (dd_exec(r, st))
        goto cleanup;
    out = ecr_head(r, o.name);
    json_object_set_new(out, "uploadId", json_string(id));
    json_object_set_new(out, "lastByteReceived", json_integer(last));
cleanup:
    free(bytes);
    return out;
}

/*
 * Hashes the parts of `owner` in order into `digest`: 0, 1 when there are
 * none, or 2 when a part other than the last is under the minimum size.
 */
static int parts_digest(struct dd_request *r, const char *owner, char digest[72])
{
    sqlite3_stmt *st = ecr_stmt(r, SQL_PARTS, owner);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    int parts = 0, rc = 0;
    int64_t prev_len = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (parts++ && prev_len < MIN_PART_SIZE)
            rc = 2;
        prev_len = sqlite3_column_bytes(st, 1);
        EVP_DigestUpdate(ctx, sqlite3_column_blob(st, 1), (size_t)prev_len);
    }
    sqlite3_reset(st);
    unsigned char md[32];
    EVP_DigestFinal_ex(ctx, md, NULL);
    EVP_MD_CTX_free(ctx);
    digest_hex(md, digest);
    return parts ? rc : 1;
}

json_t *ecr_op_CompleteLayerUpload(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    const char *id = dd_in_str(in, "uploadId");
    if (ecr_repo_of(r, in, &o))
        return NULL;
    int64_t size = upload_received(r, o.name, id);
    if (size < 0)
        return NULL;
    char owner[64], digest[72];
    snprintf(owner, sizeof owner, "upload/%s", id);
    int rc = parts_digest(r, owner, digest);
    if (rc == 1)
        return dd_fail(r, 400, "EmptyUploadException", "The upload with id '%s' contains no layer parts", id);
    if (rc == 2)
        return dd_fail(r, 400, "LayerPartTooSmallException", "Layer parts must be at least 5 MiB in size");
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(in, "layerDigests"), i, d)
    {
        if (strcmp(json_string_value(d), digest) != 0)
            return dd_fail(r, 400, "InvalidLayerException",
                           "The layer digest '%s' does not match the digest '%s' calculated for the uploaded layer",
                           json_string_value(d), digest);
    }
    if (layer_size(r, o.name, digest) >= 0)
        return dd_fail(r, 400, "LayerAlreadyExistsException",
                       "The layer with digest '%s' already exists in the repository with name '%s' in the registry "
                       "with id '%s'",
                       digest, o.name, r->account);
    char layer_owner[DIGEST_MAX + 300];
    snprintf(layer_owner, sizeof layer_owner, "layer/%s@%s", o.name, digest);
    sqlite3_stmt *st = ecr_stmt(r, SQL_INSERT_LAYER, o.name);
    store_bind_text(st, 4, digest);
    sqlite3_bind_int64(st, 5, size);
    if (dd_exec(r, st))
        return NULL;
    st = ecr_stmt(r, SQL_MOVE_PARTS, owner);
    store_bind_text(st, 4, layer_owner);
    if (dd_exec(r, st) || dd_exec(r, ecr_stmt(r, SQL_DELETE_UPLOAD, id)))
        return NULL;
    json_t *out = ecr_head(r, o.name);
    json_object_set_new(out, "uploadId", json_string(id));
    json_object_set_new(out, "layerDigest", json_string(digest));
    return out;
}

json_t *ecr_op_BatchCheckLayerAvailability(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    if (ecr_repo_of(r, in, &o))
        return NULL;
    json_t *layers = json_array(), *failures = json_array();
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(in, "layerDigests"), i, d)
    {
        const char *digest = json_string_value(d);
        int64_t size = digest_valid(digest) ? layer_size(r, o.name, digest) : -2;
        if (size >= 0)
            json_array_append_new(layers, json_pack("{s:s, s:s, s:I, s:s}", "layerDigest", digest,
                                                    "layerAvailability", "AVAILABLE", "layerSize", (json_int_t)size,
                                                    "mediaType", MT_LAYER));
        else
            json_array_append_new(failures, json_pack("{s:s, s:s, s:s}", "layerDigest", digest, "failureCode",
                                                      size == -2 ? "InvalidLayerDigest" : "MissingLayerDigest",
                                                      "failureReason",
                                                      size == -2 ? "Invalid layer digest" : "Could not find layer"));
    }
    return json_pack("{s:o, s:o}", "layers", layers, "failures", failures);
}

json_t *ecr_op_GetDownloadUrlForLayer(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    const char *digest = dd_in_str(in, "layerDigest");
    if (ecr_repo_of(r, in, &o))
        return NULL;
    if (layer_size(r, o.name, digest) < 0)
        return layer_missing(r, o.name, digest);
    /* AWS answers a presigned URL of its layer bucket; drydock serves no bytes. */
    char url[1024];
    snprintf(url, sizeof url, "https://prod-%s-starport-layer-bucket.s3.%s.amazonaws.com/%s/%s/%s", r->region,
             r->region, r->account, o.name, digest);
    return json_pack("{s:s, s:s}", "downloadUrl", url, "layerDigest", digest);
}

/* ---- images: what a manifest says --------------------------------------------------------------- */

struct manifest {
    const char *media_type;    /* borrowed from the input or the doc */
    const char *artifact_type; /* the config's media type, or NULL */
    int64_t size;              /* the sum of the layers' sizes */
    json_t *blobs;             /* digests the repository must hold (new reference) */
    json_t *images;            /* digests of images a list/index names (new reference) */
};

static bool is_foreign(const char *media_type)
{
    return media_type && (strstr(media_type, ".foreign.") || strstr(media_type, ".nondistributable."));
}

/* Reads `doc` (borrowed): 0, or -1 with InvalidParameterException. */
static int manifest_read(struct dd_request *r, json_t *doc, const char *given_type, struct manifest *m)
{
    *m = (struct manifest){.blobs = json_array(), .images = json_array()};
    const char *doc_type = dd_in_str(doc, "mediaType");
    json_int_t version = dd_in_int(doc, "schemaVersion", 0);
    m->media_type = given_type ? given_type
                    : doc_type ? doc_type
                    : version == 1 ? MT_DOCKER_V1
                    : json_object_get(doc, "manifests") ? MT_OCI_INDEX
                                                        : MT_OCI_MANIFEST;
    if (given_type && doc_type && strcmp(given_type, doc_type) != 0)
        return ecr_invalid(r, "Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'Manifest "
                              "media type does not match the mediaType of the manifest'");
    size_t i;
    json_t *e;
    if (!strcmp(m->media_type, MT_DOCKER_V2) || !strcmp(m->media_type, MT_OCI_MANIFEST)) {
        json_t *config = json_object_get(doc, "config");
        if (version != 2 || !digest_valid(dd_in_str(config, "digest")) || !json_is_array(json_object_get(doc, "layers")))
            return ecr_invalid(r, "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid "
                                  "manifest: schemaVersion 2, config and layers are required'");
        m->artifact_type = dd_in_str(config, "mediaType");
        json_array_append_new(m->blobs, json_string(dd_in_str(config, "digest")));
        json_array_foreach(json_object_get(doc, "layers"), i, e)
        {
            if (!digest_valid(dd_in_str(e, "digest")))
                return ecr_invalid(r, "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid "
                                      "layer digest'");
            m->size += dd_in_int(e, "size", 0);
            if (!is_foreign(dd_in_str(e, "mediaType")))
                json_array_append_new(m->blobs, json_string(dd_in_str(e, "digest")));
        }
        return 0;
    }
    if (!strcmp(m->media_type, MT_DOCKER_LIST) || !strcmp(m->media_type, MT_OCI_INDEX)) {
        json_array_foreach(json_object_get(doc, "manifests"), i, e)
        {
            if (!digest_valid(dd_in_str(e, "digest")))
                return ecr_invalid(r, "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid "
                                      "manifest digest'");
            json_array_append_new(m->images, json_string(dd_in_str(e, "digest")));
        }
        return 0;
    }
    if (!strcmp(m->media_type, MT_DOCKER_V1) || !strcmp(m->media_type, MT_DOCKER_V1_SIGNED)) {
        json_array_foreach(json_object_get(doc, "fsLayers"), i, e)
        {
            if (digest_valid(dd_in_str(e, "blobSum")))
                json_array_append_new(m->blobs, json_string(dd_in_str(e, "blobSum")));
        }
        return 0;
    }
    return ecr_invalid(r, "Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'Unsupported "
                          "media type %s'",
                       m->media_type);
}

/* The blobs a manifest names that the repository lacks: 0, or -1 with LayersNotFoundException. */
static int blobs_check(struct dd_request *r, const char *repo, const struct manifest *m)
{
    char missing[2048] = "";
    size_t i, n = 0;
    json_t *d;
    json_array_foreach(m->blobs, i, d)
    {
        if (layer_size(r, repo, json_string_value(d)) < 0)
            n += (size_t)snprintf(missing + n, n < sizeof missing ? sizeof missing - n : 0, "%s%s", n ? ", " : "",
                                  json_string_value(d));
        if (n >= sizeof missing)
            n = sizeof missing - 1;
    }
    if (!n)
        return 0;
    return dd_reject(r, 400, "LayersNotFoundException",
                     "Layers with digests '[%s]' required for pushing image into repository with name '%s' in the "
                     "registry with id '%s' do not exist",
                     missing, repo, r->account);
}

/* The images a list/index names must be in the repository; the list's size is their largest. */
static int images_check(struct dd_request *r, const char *repo, struct manifest *m)
{
    size_t i;
    json_t *d;
    json_array_foreach(m->images, i, d)
    {
        sqlite3_stmt *st = ecr_stmt(r, SQL_IMAGE, repo);
        store_bind_text(st, 4, json_string_value(d));
        int found = sqlite3_step(st) == SQLITE_ROW;
        int64_t size = found ? sqlite3_column_int64(st, 2) : 0;
        sqlite3_reset(st);
        if (!found)
            return dd_reject(r, 400, "ReferencedImagesNotFoundException",
                             "Manifest references image '%s' which does not exist in the repository with name '%s' "
                             "in the registry with id '%s'",
                             json_string_value(d), repo, r->account);
        if (size > m->size)
            m->size = size;
    }
    return 0;
}

/* ---- images: lookups ---------------------------------------------------------------------------- */

/* The digest tag `tag` names into `digest`: 0, or 1 when it names none. */
static int tag_digest(struct dd_request *r, const char *repo, const char *tag, char digest[DIGEST_MAX])
{
    sqlite3_stmt *st = ecr_stmt(r, SQL_TAG_DIGEST, repo);
    store_bind_text(st, 4, tag);
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found)
        snprintf(digest, DIGEST_MAX, "%s", store_col_text(st, 0));
    sqlite3_reset(st);
    return found ? 0 : 1;
}

static bool image_exists(struct dd_request *r, const char *repo, const char *digest)
{
    sqlite3_stmt *st = ecr_stmt(r, SQL_IMAGE, repo);
    store_bind_text(st, 4, digest);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return found;
}

static json_t *digest_tags(struct dd_request *r, const char *repo, const char *digest)
{
    json_t *tags = json_array();
    sqlite3_stmt *st = ecr_stmt(r, SQL_DIGEST_TAGS, repo);
    store_bind_text(st, 4, digest);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(tags, json_string(store_col_text(st, 0)));
    sqlite3_reset(st);
    return tags;
}

/* How an ImageIdentifier resolves, with the failure codes BatchGetImage and BatchDeleteImage answer. */
enum id_result { ID_FOUND, ID_MISSING_BOTH, ID_BAD_DIGEST, ID_NOT_FOUND, ID_MISMATCH };

static const struct {
    const char *code, *reason;
} id_failures[] = {
    [ID_MISSING_BOTH] = {"MissingDigestAndTag", "Invalid request parameters: both tag and digest cannot be null"},
    [ID_BAD_DIGEST] = {"InvalidImageDigest", "Invalid request parameters: image digest should satisfy the regex "
                                             "'[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'"},
    [ID_NOT_FOUND] = {"ImageNotFound", "Requested image not found"},
    [ID_MISMATCH] = {"ImageTagDoesNotMatchDigest", "Invalid request parameters: given tag does not map to the given "
                                                   "digest"},
};

static enum id_result id_resolve(struct dd_request *r, const char *repo, json_t *id, char digest[DIGEST_MAX])
{
    const char *tag = dd_in_str(id, "imageTag"), *want = dd_in_str(id, "imageDigest");
    if (!tag && !want)
        return ID_MISSING_BOTH;
    if (want && !digest_valid(want))
        return ID_BAD_DIGEST;
    if (tag) {
        if (tag_digest(r, repo, tag, digest))
            return ID_NOT_FOUND;
        return want && strcmp(want, digest) != 0 ? ID_MISMATCH : ID_FOUND;
    }
    snprintf(digest, DIGEST_MAX, "%s", want);
    return image_exists(r, repo, digest) ? ID_FOUND : ID_NOT_FOUND;
}

static json_t *id_failure(json_t *id, enum id_result res)
{
    return json_pack("{s:O, s:s, s:s}", "imageId", id, "failureCode", id_failures[res].code, "failureReason",
                     id_failures[res].reason);
}

json_t *ecr_images(struct dd_request *r, const char *repo)
{
    json_t *out = json_array();
    sqlite3_stmt *st = ecr_stmt(r, SQL_IMAGES, repo);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *img = json_pack("{s:s, s:I, s:I, s:s, s:s?, s:o}", "digest", store_col_text(st, 0), "pushed_ms",
                                (json_int_t)sqlite3_column_int64(st, 1), "size",
                                (json_int_t)sqlite3_column_int64(st, 2), "media_type", store_col_text(st, 3),
                                "artifact_type", store_col_text(st, 4), "tags",
                                json_loads(store_col_text(st, 5), 0, NULL));
        json_array_append_new(out, img);
    }
    sqlite3_reset(st);
    return out;
}

int64_t ecr_image_count(struct dd_request *r, const char *repo)
{
    return dd_single_int(ecr_stmt(r, SQL_IMAGE_COUNT, repo), 0);
}

int ecr_image_delete(struct dd_request *r, const char *repo, const char *digest)
{
    sqlite3_stmt *st = ecr_stmt(r, SQL_DELETE_DIGEST_TAGS, repo);
    store_bind_text(st, 4, digest);
    if (dd_exec(r, st))
        return -1;
    st = ecr_stmt(r, SQL_DELETE_IMAGE, repo);
    store_bind_text(st, 4, digest);
    return dd_exec(r, st);
}

int ecr_images_drop(struct dd_request *r, const char *repo)
{
    static const char *const sqls[] = {SQL_DELETE_REPO_PARTS, SQL_DELETE_UPLOADS, SQL_DELETE_LAYERS,
                                       SQL_DELETE_ALL_TAGS, SQL_DELETE_IMAGES};
    for (size_t i = 0; i < sizeof sqls / sizeof *sqls; i++)
        if (dd_exec(r, ecr_stmt(r, sqls[i], repo)))
            return -1;
    return 0;
}

/* ---- images: operations ------------------------------------------------------------------------- */

static json_t *image_json(struct dd_request *r, const char *repo, const char *digest, const char *tag,
                          const char *manifest, const char *media_type)
{
    json_t *out = ecr_head(r, repo);
    json_object_set_new(out, "imageId", json_pack("{s:s, s:s?}", "imageDigest", digest, "imageTag", tag));
    json_object_set_new(out, "imageManifest", json_string(manifest));
    json_object_set_new(out, "imageManifestMediaType", json_string(media_type));
    return out;
}

/* Stores a new image (its tag aside): 0 or -1. */
static int image_insert(struct dd_request *r, const char *repo, const char *digest, const char *text,
                        const struct manifest *m)
{
    sqlite3_stmt *st = ecr_stmt(r, SQL_INSERT_IMAGE, repo);
    store_bind_text(st, 4, digest);
    store_bind_text(st, 5, text);
    store_bind_text(st, 6, m->media_type);
    store_bind_text(st, 7, m->artifact_type);
    sqlite3_bind_int64(st, 8, m->size);
    sqlite3_bind_int64(st, 9, r->now_ms);
    return dd_exec(r, st);
}

/* Checks the new image's tag against the repository's tags: 0 or -1. */
static int tag_check(struct dd_request *r, const struct ecr_repo *o, const char *digest, const char *tag)
{
    char current[DIGEST_MAX];
    bool tagged = tag && !tag_digest(r, o->name, tag, current);
    if (image_exists(r, o->name, digest) && (!tag || (tagged && strcmp(current, digest) == 0)))
        return dd_reject(r, 400, "ImageAlreadyExistsException",
                         "Image with digest '%s' and tag '%s' already exists in the repository with name '%s' in "
                         "registry with id '%s'",
                         digest, tag ? tag : "null", o->name, r->account);
    if (tagged && strcmp(o->mutability, "IMMUTABLE") == 0)
        return dd_reject(r, 400, "ImageTagAlreadyExistsException",
                         "The image tag '%s' already exists in the '%s' repository and cannot be overwritten because "
                         "the repository is immutable.",
                         tag, o->name);
    return 0;
}

json_t *ecr_op_PutImage(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    if (ecr_repo_of(r, in, &o))
        return NULL;
    const char *text = dd_in_str(in, "imageManifest"), *tag = dd_in_str(in, "imageTag");
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return dd_fail(r, 400, "InvalidParameterException",
                       "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'");
    }
    unsigned char md[32];
    char digest[72];
    EVP_Digest(text, strlen(text), md, NULL, EVP_sha256(), NULL);
    digest_hex(md, digest);
    const char *given = dd_in_str(in, "imageDigest");
    struct manifest m;
    json_t *out = NULL;
    if (manifest_read(r, doc, dd_in_str(in, "imageManifestMediaType"), &m))
        goto cleanup;
    if (given && strcmp(given, digest) != 0) {
        dd_fail(r, 400, "ImageDigestDoesNotMatchException",
                "The provided digest '%s' does not match the digest '%s' calculated for the image manifest", given,
                digest);
        goto cleanup;
    }
    bool fresh = !image_exists(r, o.name, digest);
    if (tag_check(r, &o, digest, tag) || blobs_check(r, o.name, &m) || images_check(r, o.name, &m) ||
        (fresh && image_insert(r, o.name, digest, text, &m)))
        goto cleanup;
    if (tag) {
        sqlite3_stmt *st = ecr_stmt(r, SQL_SET_IMAGE_TAG, o.name);
        store_bind_text(st, 4, tag);
        store_bind_text(st, 5, digest);
        if (dd_exec(r, st))
            goto cleanup;
    }
    if (ecr_lifecycle_poke(r, o.name))
        goto cleanup;
    out = json_pack("{s:o}", "image", image_json(r, o.name, digest, tag, text, m.media_type));
cleanup:
    json_decref(m.blobs);
    json_decref(m.images);
    json_decref(doc);
    return out;
}

json_t *ecr_op_BatchGetImage(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    if (ecr_repo_of(r, in, &o))
        return NULL;
    json_t *images = json_array(), *failures = json_array();
    size_t i;
    json_t *id;
    json_array_foreach(json_object_get(in, "imageIds"), i, id)
    {
        char digest[DIGEST_MAX];
        enum id_result res = id_resolve(r, o.name, id, digest);
        if (res != ID_FOUND) {
            json_array_append_new(failures, id_failure(id, res));
            continue;
        }
        sqlite3_stmt *st = ecr_stmt(r, SQL_IMAGE, o.name);
        store_bind_text(st, 4, digest);
        if (sqlite3_step(st) == SQLITE_ROW)
            json_array_append_new(images, image_json(r, o.name, digest, dd_in_str(id, "imageTag"),
                                                     store_col_text(st, 5), store_col_text(st, 3)));
        sqlite3_reset(st);
    }
    return json_pack("{s:o, s:o}", "images", images, "failures", failures);
}

/* Whether an image with `tags` passes a tagStatus filter (NULL: ANY). */
static bool status_matches(const char *status, json_t *tags)
{
    if (!status || !strcmp(status, "ANY"))
        return true;
    bool tagged = json_array_size(tags) > 0;
    return !strcmp(status, "TAGGED") ? tagged : !tagged;
}

static json_t *detail_json(struct dd_request *r, const char *repo, json_t *img)
{
    json_t *d = ecr_head(r, repo);
    json_object_set(d, "imageDigest", json_object_get(img, "digest"));
    if (json_array_size(json_object_get(img, "tags")))
        json_object_set(d, "imageTags", json_object_get(img, "tags"));
    json_object_set(d, "imageSizeInBytes", json_object_get(img, "size"));
    json_object_set_new(d, "imagePushedAt", dd_time(dd_in_int(img, "pushed_ms", 0)));
    json_object_set(d, "imageManifestMediaType", json_object_get(img, "media_type"));
    if (dd_in_str(img, "artifact_type"))
        json_object_set(d, "artifactMediaType", json_object_get(img, "artifact_type"));
    return d;
}

/* The image of `images` (borrowed) with `digest` (borrowed) or NULL. */
static json_t *image_of(json_t *images, const char *digest)
{
    size_t i;
    json_t *img;
    json_array_foreach(images, i, img) if (!strcmp(dd_in_str(img, "digest"), digest)) return img;
    return NULL;
}

json_t *ecr_op_DescribeImages(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    if (ecr_repo_of(r, in, &o))
        return NULL;
    json_t *ids = json_object_get(in, "imageIds");
    const char *status = dd_in_str(json_object_get(in, "filter"), "tagStatus");
    json_t *all = ecr_images(r, o.name), *items = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(ids, i, e)
    {
        char digest[DIGEST_MAX];
        enum id_result res = id_resolve(r, o.name, e, digest);
        if (res != ID_FOUND) {
            const char *d = dd_in_str(e, "imageDigest"), *t = dd_in_str(e, "imageTag");
            json_decref(all);
            json_decref(items);
            if (res == ID_BAD_DIGEST || res == ID_MISSING_BOTH)
                return dd_fail(r, 400, "InvalidParameterException", "%s", id_failures[res].reason);
            return dd_fail(r, 400, "ImageNotFoundException",
                           "The image with imageId {imageDigest:'%s', imageTag:'%s'} does not exist within the "
                           "repository with name '%s' in the registry with id '%s'",
                           d ? d : "null", t ? t : "null", o.name, r->account);
        }
        json_t *img = image_of(all, digest);
        bool seen = false;
        size_t j;
        json_t *prev;
        json_array_foreach(items, j, prev) seen = seen || !strcmp(dd_in_str(prev, "imageDigest"), digest);
        if (img && !seen)
            json_array_append_new(items, detail_json(r, o.name, img));
    }
    json_array_foreach(ids ? NULL : all, i, e)
    {
        if (status_matches(status, json_object_get(e, "tags")))
            json_array_append_new(items, detail_json(r, o.name, e));
    }
    json_decref(all);
    return ids ? json_pack("{s:o}", "imageDetails", items)
               : dd_page(in, items, "imageDetails", "maxResults", DEFAULT_PAGE);
}

json_t *ecr_op_ListImages(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    if (ecr_repo_of(r, in, &o))
        return NULL;
    const char *status = dd_in_str(json_object_get(in, "filter"), "tagStatus");
    json_t *all = ecr_images(r, o.name), *items = json_array();
    size_t i, j;
    json_t *img, *tag;
    json_array_foreach(all, i, img)
    {
        json_t *tags = json_object_get(img, "tags");
        if (!status_matches(status, tags))
            continue;
        json_array_foreach(tags, j, tag) json_array_append_new(
            items, json_pack("{s:O, s:O}", "imageDigest", json_object_get(img, "digest"), "imageTag", tag));
        if (!json_array_size(tags))
            json_array_append_new(items, json_pack("{s:O}", "imageDigest", json_object_get(img, "digest")));
    }
    json_decref(all);
    return dd_page(in, items, "imageIds", "maxResults", DEFAULT_PAGE);
}

/* Removes what `id` names: a tag (the image too when it was its last), or a whole image by digest. */
static int delete_one(struct dd_request *r, const char *repo, json_t *id, const char *digest, json_t *deleted)
{
    const char *tag = dd_in_str(id, "imageTag");
    json_t *tags = digest_tags(r, repo, digest);
    int rc = 0;
    if (tag && json_array_size(tags) > 1) {
        sqlite3_stmt *st = ecr_stmt(r, SQL_DELETE_IMAGE_TAG, repo);
        store_bind_text(st, 4, tag);
        rc = dd_exec(r, st);
        json_array_append_new(deleted, json_pack("{s:s, s:s}", "imageDigest", digest, "imageTag", tag));
    } else {
        rc = ecr_image_delete(r, repo, digest);
        size_t i;
        json_t *t;
        json_array_foreach(tags, i, t) json_array_append_new(
            deleted, json_pack("{s:s, s:O}", "imageDigest", digest, "imageTag", t));
        if (!json_array_size(tags))
            json_array_append_new(deleted, json_pack("{s:s}", "imageDigest", digest));
    }
    json_decref(tags);
    return rc;
}

json_t *ecr_op_BatchDeleteImage(struct dd_request *r, json_t *in)
{
    struct ecr_repo o;
    if (ecr_repo_of(r, in, &o))
        return NULL;
    json_t *deleted = json_array(), *failures = json_array();
    size_t i;
    json_t *id;
    json_array_foreach(json_object_get(in, "imageIds"), i, id)
    {
        char digest[DIGEST_MAX];
        enum id_result res = id_resolve(r, o.name, id, digest);
        if (res != ID_FOUND)
            json_array_append_new(failures, id_failure(id, res));
        else if (delete_one(r, o.name, id, digest, deleted)) {
            json_decref(deleted);
            json_decref(failures);
            return NULL;
        }
    }
    return json_pack("{s:o, s:o}", "imageIds", deleted, "failures", failures);
}

/* ---- what ECS asks (ecr.h) ------------------------------------------------------------------------ */

int ecr_image_resolve(struct dd_request *r, const char *image_uri, char *why, size_t why_len)
{
    char host[128];
    int n = snprintf(host, sizeof host, "%s.dkr.ecr.%s.amazonaws.com/", r->account, r->region);
    if (strncmp(image_uri, host, (size_t)n) != 0)
        return 1;
    char repo[300], ref[DIGEST_MAX + 8] = "latest";
    const char *path = image_uri + n, *at = strchr(path, '@');
    const char *colon = at ? NULL : strrchr(path, ':');
    size_t len = at ? (size_t)(at - path) : colon ? (size_t)(colon - path) : strlen(path);
    snprintf(repo, sizeof repo, "%.*s", (int)(len < sizeof repo ? len : sizeof repo - 1), path);
    if (at || colon)
        snprintf(ref, sizeof ref, "%s", (at ? at : colon) + 1);
    struct ecr_repo o;
    char digest[DIGEST_MAX];
    if (ecr_repo_find(r, repo, &o)) {
        snprintf(why, why_len,
                 "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref "
                 "%s: pull access denied, repository does not exist or may require authorization: server message: "
                 "name_unknown: The repository with name '%s' does not exist in the registry with id '%s'",
                 image_uri, repo, r->account);
        return -1;
    }
    bool found = at ? image_exists(r, repo, ref) : !tag_digest(r, repo, ref, digest);
    if (found)
        return 0;
    snprintf(why, why_len,
             "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref %s: "
             "not found",
             image_uri);
    return -1;
}
