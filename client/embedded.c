/* embedded.c - the in-process emulator (see embedded.h). */
#include "embedded.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "auth.h"
#include "crypto.h"
#include "log.h"
#include "server.h"
#include "sim.h"
#include "store.h"

static int running;

int embedded_start(const char *state_dir, char *endpoint, size_t len, char *why, size_t why_len)
{
    char db[1100], key[1200];
    if (mkdir(state_dir, 0755) && errno != EEXIST) {
        snprintf(why, why_len, "cannot create %s: %s", state_dir, strerror(errno));
        return -1;
    }
    snprintf(db, sizeof db, "%s/emulator.db", state_dir);
    snprintf(key, sizeof key, "%s.key", db);
    log_set_level(LOG_WARN);
    auth_configure(false, NULL);
    if (crypto_init(key, why, why_len) || store_open(db, true, why, why_len))
        return -1;
    struct server_config cfg = {.host = "127.0.0.1", .port = 0, .max_body = 16 * 1024 * 1024, .threads = 4};
    if (server_start(&cfg, why, why_len) || sim_start()) {
        server_stop();
        store_close();
        return -1;
    }
    snprintf(endpoint, len, "http://127.0.0.1:%d", server_port());
    running = 1;
    return 0;
}

void embedded_stop(void)
{
    if (!running)
        return;
    server_stop();
    sim_stop();
    store_close();
    running = 0;
}
