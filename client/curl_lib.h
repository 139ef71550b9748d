/*
 * curl_lib.h - libcurl, loaded the first time the provisioner sends a request.
 *
 * `drydock serve` never speaks HTTP as a client, yet linking libcurl made
 * every emulator start load its ~20 dependent libraries (krb5, ldap, sasl,
 * ssh2, nghttp2, brotli, ...): about 2 ms of the cold start and over a
 * megabyte of resident pages, measured with bench/run.sh. So the one binary
 * links libcurl's headers only and dlopen()s Debian's libcurl.so.4 on demand.
 */
#ifndef DD_CURL_LIB_H
#define DD_CURL_LIB_H

#include <curl/curl.h>
#include <stddef.h>

struct curl_lib {
    CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
    CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
    CURL *(*easy_init)(void);
    CURLcode (*easy_perform)(CURL *c);
    void (*easy_cleanup)(CURL *c);
    const char *(*easy_strerror)(CURLcode rc);
    struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
    void (*slist_free_all)(struct curl_slist *l);
};

/* libcurl, loaded and globally initialised once (thread-safe); NULL when it
 * cannot be loaded, with the reason in `why`. */
const struct curl_lib *curl_lib(char *why, size_t why_len);

#endif
