/* curl_lib.c - libcurl loaded on demand (see curl_lib.h). */
#include "curl_lib.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>

static struct curl_lib lib;
static const struct curl_lib *loaded;
static char load_error[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Binds one symbol; false (with the reason kept) when it is missing. */
static bool bind_symbol(void *handle, const char *name, void **slot)
{
    *slot = dlsym(handle, name);
    if (!*slot)
        snprintf(load_error, sizeof load_error, "libcurl.so.4 has no %s", name);
    return *slot != NULL;
}

static void load(void)
{
    void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(load_error, sizeof load_error, "cannot load libcurl: %s", dlerror());
        return;
    }
    CURLcode (*global_init)(long) = NULL;
    if (!bind_symbol(h, "curl_global_init", (void **)&global_init) || !bind_symbol(h, "curl_easy_setopt", (void **)&lib.easy_setopt) ||
        !bind_symbol(h, "curl_easy_getinfo", (void **)&lib.easy_getinfo) || !bind_symbol(h, "curl_easy_init", (void **)&lib.easy_init) ||
        !bind_symbol(h, "curl_easy_perform", (void **)&lib.easy_perform) ||
        !bind_symbol(h, "curl_easy_cleanup", (void **)&lib.easy_cleanup) ||
        !bind_symbol(h, "curl_easy_strerror", (void **)&lib.easy_strerror) ||
        !bind_symbol(h, "curl_slist_append", (void **)&lib.slist_append) ||
        !bind_symbol(h, "curl_slist_free_all", (void **)&lib.slist_free_all))
        return;
    if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(load_error, sizeof load_error, "libcurl failed to initialise");
        return;
    }
    loaded = &lib; /* the handle stays open for the life of the process */
}

const struct curl_lib *curl_lib(char *why, size_t why_len)
{
    pthread_once(&once, load);
    if (!loaded && why)
        snprintf(why, why_len, "%s", load_error);
    return loaded;
}
