/*
 * ec2_keypair.c - key pairs: created (a real key, its private half returned
 * once and never stored) or imported from an OpenSSH public key, with AWS's
 * fingerprints: SHA-1 of the PKCS#8 private key for created RSA keys, MD5 of
 * the DER public key for imported RSA keys, base64 SHA-256 for ed25519.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "../protocol/buf.h"
#include "../crypto.h"
#include "ec2_internal.h"

static const struct ec2_filter_def key_filters[] = {
    {"key-pair-id", "KeyPairId"},
    {"key-name", "KeyName"},
    {"fingerprint", "KeyFingerprint"},
    {"key-type", "KeyType"},
    {NULL, NULL},
};

const struct ec2_kind ec2_kind_key = {
    .type = "key",
    .prefix = "key-",
    .noun = "keyPair",
    .not_found = "InvalidKeyPair.NotFound",
    .not_found_fmt = "The key pair '%s' does not exist",
    .list_member = "KeyPairs",
    .filter_member = "Filters",
    .tags_member = "Tags",
    .tag_type = "key-pair",
    .filters = key_filters,
    .name_filter = "key-name",
};

/* ---- encodings -------------------------------------------------------------------- */

static void hex_colons(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 3 * i, "%02x%s", d[i], i + 1 < n ? ":" : "");
}

static char *base64(const unsigned char *d, size_t n)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (!out)
        abort();
    EVP_EncodeBlock((unsigned char *)out, d, (int)n);
    return out;
}

static void digest(const char *md, const unsigned char *d, size_t n, unsigned char *out, unsigned *out_len)
{
    EVP_Digest(d, n, out, out_len, EVP_get_digestbyname(md), NULL);
}

/* SSH wire strings: a 4-byte length then the bytes; mpints keep a leading zero when the top bit is set. */
static void ssh_string(struct dd_buf *b, const unsigned char *d, size_t n, bool mpint)
{
    bool pad = mpint && n && (d[0] & 0x80);
    uint32_t len = (uint32_t)(n + pad);
    unsigned char hdr[5] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16), (unsigned char)(len >> 8),
                            (unsigned char)len, 0};
    buf_append(b, (const char *)hdr, 4 + pad);
    buf_append(b, (const char *)d, n);
}

static int ssh_read(const unsigned char **p, const unsigned char *end, const unsigned char **d, size_t *n)
{
    if (end - *p < 4)
        return -1;
    size_t len = ((size_t)(*p)[0] << 24) | ((size_t)(*p)[1] << 16) | ((size_t)(*p)[2] << 8) | (*p)[3];
    if ((size_t)(end - *p - 4) < len)
        return -1;
    *d = *p + 4;
    *n = len;
    *p += 4 + len;
    return 0;
}

/* ---- keys ------------------------------------------------------------------------- */

/* "ssh-rsa AAAA..." for an RSA key (new string). */
static char *rsa_openssh(EVP_PKEY *pkey)
{
    BIGNUM *n = NULL, *e = NULL;
    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e);
    unsigned char nb[1024], eb[16];
    int nl = BN_bn2bin(n, nb), el = BN_bn2bin(e, eb);
    struct dd_buf blob = {0};
    ssh_string(&blob, (const unsigned char *)"ssh-rsa", 7, false);
    ssh_string(&blob, eb, (size_t)el, true);
    ssh_string(&blob, nb, (size_t)nl, true);
    char *b64 = base64((const unsigned char *)blob.data, blob.len);
    struct dd_buf out = {0};
    buf_printf(&out, "ssh-rsa %s", b64);
    free(b64);
    buf_free(&blob);
    BN_free(n);
    BN_free(e);
    return buf_steal(&out);
}

/* The ed25519 public blob and its OpenSSH line (new string). */
static char *ed25519_openssh(EVP_PKEY *pkey, struct dd_buf *blob)
{
    unsigned char raw[32];
    size_t rl = sizeof raw;
    EVP_PKEY_get_raw_public_key(pkey, raw, &rl);
    ssh_string(blob, (const unsigned char *)"ssh-ed25519", 11, false);
    ssh_string(blob, raw, rl, false);
    char *b64 = base64((const unsigned char *)blob->data, blob->len);
    struct dd_buf out = {0};
    buf_printf(&out, "ssh-ed25519 %s", b64);
    free(b64);
    return buf_steal(&out);
}

/* OpenSSH's SHA256 fingerprint: base64 without padding. */
static void sha256_fingerprint(const struct dd_buf *blob, char *out, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned ml;
    digest("SHA256", (const unsigned char *)blob->data, blob->len, md, &ml);
    char *b64 = base64(md, ml);
    b64[strcspn(b64, "=")] = '\0';
    snprintf(out, len, "%s", b64);
    free(b64);
}

struct keypair {
    char fingerprint[128];
    char *private_pem; /* created keys only */
    char *public_line;
};

static int generate(const char *type, struct keypair *kp)
{
    bool ed = type && strcmp(type, "ed25519") == 0;
    EVP_PKEY *pkey = ed ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    if (!pkey)
        return -1;
    BIO *bio = BIO_new(BIO_s_mem());
    if (ed)
        PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL);
    else
        PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL, NULL, 0, NULL, NULL);
    char *pem;
    long pl = BIO_get_mem_data(bio, &pem);
    kp->private_pem = strndup(pem, (size_t)pl);
    BIO_free(bio);
    if (ed) {
        struct dd_buf blob = {0};
        kp->public_line = ed25519_openssh(pkey, &blob);
        sha256_fingerprint(&blob, kp->fingerprint, sizeof kp->fingerprint);
        buf_free(&blob);
    } else {
        PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(pkey);
        unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
        unsigned ml;
        int dl = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
        digest("SHA1", der, (size_t)dl, md, &ml);
        hex_colons(md, ml, kp->fingerprint);
        OPENSSL_free(der);
        PKCS8_PRIV_KEY_INFO_free(p8);
        kp->public_line = rsa_openssh(pkey);
    }
    EVP_PKEY_free(pkey);
    return 0;
}

/* MD5 of the DER SubjectPublicKeyInfo of the RSA key in an ssh-rsa blob. */
static int rsa_import_fingerprint(const unsigned char *p, const unsigned char *end, char *out)
{
    const unsigned char *e, *n;
    size_t el, nl;
    if (ssh_read(&p, end, &e, &el) || ssh_read(&p, end, &n, &nl))
        return -1;
    BIGNUM *bn = BN_bin2bn(n, (int)nl, NULL), *be = BN_bin2bn(e, (int)el, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *pkey = NULL;
    int rc = -1;
    if (ctx && EVP_PKEY_fromdata_init(ctx) == 1 && EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1) {
        unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
        unsigned ml;
        int dl = i2d_PUBKEY(pkey, &der);
        if (dl > 0) {
            digest("MD5", der, (size_t)dl, md, &ml);
            hex_colons(md, ml, out);
            rc = 0;
        }
        OPENSSL_free(der);
    }
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    return rc;
}

/* Reads "ssh-rsa|ssh-ed25519 BASE64 [comment]"; -1 when it is not one. */
static int import_key(const char *text, struct keypair *kp, const char **type)
{
    char kind[32], b64[8192];
    if (sscanf(text, "%31s %8191s", kind, b64) != 2)
        return -1;
    unsigned char *blob;
    long decoded = crypto_base64_decode(b64, strlen(b64), &blob);
    if (decoded <= 0) {
        free(blob);
        return -1;
    }
    size_t len = (size_t)decoded;
    const unsigned char *p = blob, *end = blob + len, *name;
    size_t nl;
    int rc = -1;
    if (ssh_read(&p, end, &name, &nl) == 0 && nl == strlen(kind) && memcmp(name, kind, nl) == 0) {
        if (strcmp(kind, "ssh-rsa") == 0) {
            rc = rsa_import_fingerprint(p, end, kp->fingerprint);
            *type = "rsa";
        } else if (strcmp(kind, "ssh-ed25519") == 0) {
            struct dd_buf b = {.data = (char *)blob, .len = len};
            sha256_fingerprint(&b, kp->fingerprint, sizeof kp->fingerprint);
            *type = "ed25519";
            rc = 0;
        }
    }
    free(blob);
    if (rc == 0) {
        struct dd_buf line = {0};
        buf_printf(&line, "%s %s", kind, b64);
        kp->public_line = buf_steal(&line);
    }
    return rc;
}

/* ---- operations --------------------------------------------------------------------- */

static int key_named(struct dd_request *r, struct ec2_res *key, void *ctx)
{
    return 1;
}

/* Stores a key pair named `name` unless the name is taken; res is the new row. */
static int store_key(struct dd_request *r, json_t *in, const char *name, const char *type, struct keypair *kp,
                     struct ec2_res *res)
{
    if (ec2_each(r, &ec2_kind_key, "name", name, key_named, NULL)) {
        dd_fail(r, 400, "InvalidKeyPair.Duplicate", "The keypair '%s' already exists.", name);
        return -1;
    }
    ec2_res_init(res, &ec2_kind_key);
    struct dd_buf line = {0};
    buf_printf(&line, "%s %s", kp->public_line, name);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:f, s:[], s:s}", "KeyPairId", res->id, "KeyName", name,
                            "KeyFingerprint", kp->fingerprint, "KeyType", type, "CreateTime",
                            (double)r->now_ms / 1000.0, "Tags", "_public", line.data);
    buf_free(&line);
    json_object_update(res->doc, doc);
    json_decref(doc);
    if (ec2_tag_specs(r, in, res))
        return -1;
    ec2_set(&res->name, name);
    ec2_res_save(r, res);
    ec2_tags_sync(r, res);
    return 0;
}

static json_t *key_output(struct ec2_res *res, const char *material)
{
    json_t *out = json_pack("{s:s, s:s, s:s, s:s*}", "KeyFingerprint", dd_in_str(res->doc, "KeyFingerprint"), "KeyName",
                            dd_in_str(res->doc, "KeyName"), "KeyPairId", res->id, "KeyMaterial", material);
    json_t *tags = json_object_get(res->doc, "Tags");
    if (json_array_size(tags))
        json_object_set(out, "Tags", tags);
    return out;
}

json_t *ec2_op_CreateKeyPair(struct dd_request *r, json_t *in)
{
    const char *type = dd_in_str(in, "KeyType");
    struct keypair kp = {0};
    struct ec2_res res = {0};
    json_t *out = NULL;
    if (generate(type, &kp))
        dd_fail(r, 500, "InternalError", "An internal error has occurred");
    else if (store_key(r, in, dd_in_str(in, "KeyName"), type ? type : "rsa", &kp, &res) == 0)
        out = key_output(&res, kp.private_pem);
    free(kp.private_pem);
    free(kp.public_line);
    ec2_res_free(&res);
    return out;
}

json_t *ec2_op_ImportKeyPair(struct dd_request *r, json_t *in)
{
    /* PublicKeyMaterial is a blob: the codec hands it over as base64 */
    const char *material = dd_in_str(in, "PublicKeyMaterial");
    struct keypair kp = {0};
    struct ec2_res res = {0};
    unsigned char *text = NULL;
    const char *type = NULL;
    json_t *out = NULL;
    long len = crypto_base64_decode(material ? material : "", material ? strlen(material) : 0, &text);
    if (len > 0) {
        char *line = strndup((const char *)text, (size_t)len);
        if (import_key(line, &kp, &type))
            type = NULL;
        free(line);
    }
    free(text);
    if (!type)
        dd_fail(r, 400, "InvalidKey.Format", "Key is not in valid OpenSSH public key format");
    else if (store_key(r, in, dd_in_str(in, "KeyName"), type, &kp, &res) == 0)
        out = key_output(&res, NULL);
    free(kp.public_line);
    ec2_res_free(&res);
    return out;
}

static int first_id(struct dd_request *r, struct ec2_res *key, void *ctx)
{
    json_array_append_new(ctx, json_string(key->id));
    return 1;
}

json_t *ec2_op_DescribeKeyPairs(struct dd_request *r, json_t *in)
{
    json_t *ids = json_deep_copy(json_object_get(in, "KeyPairIds")), *names = json_object_get(in, "KeyNames");
    if (!ids)
        ids = json_array();
    size_t i;
    json_t *name;
    json_array_foreach(names, i, name) if (!ec2_each(r, &ec2_kind_key, "name", json_string_value(name), first_id, ids))
    {
        json_decref(ids);
        return dd_fail(r, 400, "InvalidKeyPair.NotFound", "The key pair '%s' does not exist", json_string_value(name));
    }
    json_t *out = ec2_describe(r, in, &ec2_kind_key, ids);
    json_decref(ids);
    if (!out || !dd_in_bool(in, "IncludePublicKey"))
        return out;
    /* the public key is private in the store: look each one up again */
    json_t *key;
    json_array_foreach(json_object_get(out, "KeyPairs"), i, key)
    {
        struct ec2_res res;
        if (ec2_res_load(r, &ec2_kind_key, dd_in_str(key, "KeyPairId"), &res) == 0) {
            json_object_set(key, "PublicKey", json_object_get(res.doc, "_public"));
            ec2_res_free(&res);
        }
    }
    return out;
}

json_t *ec2_op_DeleteKeyPair(struct dd_request *r, json_t *in)
{
    /* AWS answers success for a key that does not exist */
    json_t *ids = json_array();
    const char *name = dd_in_str(in, "KeyName"), *id = dd_in_str(in, "KeyPairId");
    if (name)
        ec2_each(r, &ec2_kind_key, "name", name, first_id, ids);
    if (id)
        json_array_append_new(ids, json_string(id));
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        struct ec2_res res;
        if (ec2_res_load(r, &ec2_kind_key, json_string_value(v), &res) == 0) {
            ec2_res_delete(r, res.id);
            ec2_res_free(&res);
        }
    }
    json_decref(ids);
    return json_object();
}
