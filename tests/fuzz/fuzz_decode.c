/*
 * fuzz_decode.c - everything that reads untrusted bytes, under one fuzz target:
 * form decoding, the three protocols' request decoders, validation, the
 * clients' response decoders, and SigV4 header parsing.
 *
 * With clang: -fsanitize=fuzzer (cmake -DDRYDOCK_FUZZ=ON, target fuzz_decode_libfuzzer).
 * Without: a standalone driver (target fuzz_decode) replays tests/fuzz/corpus
 * and then a fixed number of deterministic mutations of it; CTest runs that
 * under ASan/UBSan on every test run.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "sigv4.h"
#include "validate.h"

/* The first byte picks what to feed; the rest is the input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const SERVICES[] = {"ssm", "sts", "ec2", "elbv2", "ecs", "iam"};

static const struct dd_operation *pick_op(const struct dd_service_model *m, uint8_t sel)
{
    return &m->operations[sel % m->operation_count];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t mode = data[0], sel = data[1];
    const char *body = (const char *)data + 2;
    size_t len = size - 2;
    const struct dd_service_model *m = model_find(SERVICES[mode % 6]);
    const struct dd_operation *op = pick_op(m, sel);
    struct dd_error err;
    memset(&err, 0, sizeof err);
    switch ((mode / 6) % 4) {
    case 0: { /* server: request decoding and validation */
        json_t *in = NULL;
        if (m->protocol == DD_PROTO_JSON) {
            in = codec_parse_request(m, op, body, len, &err);
        } else {
            json_t *form = codec_parse_form(body, len, &err);
            if (form)
                in = codec_parse_form_request(m, op, form, &err);
            json_decref(form);
        }
        if (in)
            validate_input(m, op, in, "ValidationException", &err);
        json_decref(in);
        break;
    }
    case 1: { /* client: response decoding, success and error statuses */
        json_t *out = codec_parse_response(m, op, (sel & 1) ? 400 : 200, body, len, &err);
        json_decref(out);
        break;
    }
    case 2: { /* SigV4: the Authorization header as sent */
        char *value = strndup(body, len);
        struct sigv4_header h[2] = {{"Authorization", value}, {"X-Amz-Date", "20240101T000000Z"}};
        struct sigv4_request req = {"POST", "/", "", h, 2, "", 0};
        struct sigv4_auth auth;
        char why[256];
        if (sigv4_parse(&req, &auth, why, sizeof why) == SIGV4_OK) {
            char sig[65];
            sigv4_compute(&req, &auth, "secret", sig, NULL, 0);
        }
        free(value);
        break;
    }
    default: { /* SigV4: presigned query strings */
        char *query = strndup(body, len);
        struct sigv4_request req = {"GET", "/", query, NULL, 0, "", 0};
        struct sigv4_auth auth;
        char why[256];
        sigv4_parse(&req, &auth, why, sizeof why);
        free(query);
        break;
    }
    }
    return 0;
}

#ifndef DRYDOCK_LIBFUZZER
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = malloc(1 << 16);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

/* Flips, inserts, deletes and splices bytes of a seed. */
static size_t mutate(uint8_t *buf, size_t len, size_t cap)
{
    int rounds = 1 + (int)(next() % 8);
    for (int i = 0; i < rounds; i++) {
        size_t at = len ? next() % len : 0;
        switch (next() % 5) {
        case 0: if (len) buf[at] ^= (uint8_t)(1u << (next() % 8)); break;
        case 1: if (len) buf[at] = (uint8_t)next(); break;
        case 2: if (len < cap) { memmove(buf + at + 1, buf + at, len - at); buf[at] = (uint8_t)next(); len++; } break;
        case 3: if (len > 2) { memmove(buf + at, buf + at + 1, len - at - 1); len--; } break;
        default: if (len) { static const char *const tok[] = {"%", "%zz", "\xff", ".member.", ".1", "=", "&", "{", "}", "\"", "[", "null", "\\u0000", "99999999999999999999"};
                     const char *t = tok[next() % (sizeof tok / sizeof *tok)]; size_t n = strlen(t);
                     if (len + n <= cap) { memmove(buf + at + n, buf + at, len - at); memcpy(buf + at, t, n); len += n; } }
        }
    }
    return len;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/fuzz/corpus";
    long iterations = argc > 2 ? atol(argv[2]) : 20000;
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "fuzz_decode: cannot open %s\n", dir);
        return 1;
    }
    uint8_t *seeds[256];
    size_t lens[256], n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if ((seeds[n] = read_file(path, &lens[n])))
            n++;
    }
    closedir(d);
    if (!n) {
        fprintf(stderr, "fuzz_decode: no seeds in %s\n", dir);
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        LLVMFuzzerTestOneInput(seeds[i], lens[i]);
    static uint8_t buf[1 << 17];
    for (long i = 0; i < iterations; i++) {
        size_t s = next() % n;
        memcpy(buf, seeds[s], lens[s]);
        size_t len = mutate(buf, lens[s], sizeof buf);
        if (len > 1 && (next() & 3) == 0) { /* retarget the same bytes at another decoder */
            buf[0] = (uint8_t)next();
            buf[1] = (uint8_t)next();
        }
        LLVMFuzzerTestOneInput(buf, len);
    }
    for (size_t i = 0; i < n; i++)
        free(seeds[i]);
    printf("fuzz_decode: %zu seeds, %ld mutated inputs, no crash\n", n, iterations);
    return 0;
}
#endif
