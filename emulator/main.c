/*
 * main.c - the drydock command: `drydock serve` runs the emulator; the
 * provisioner's subcommands (validate, plan, apply, destroy, outputs,
 * state list, graph) are client/cli.c's.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../client/cli.h"
#include "auth.h"
#include "clock.h"
#include "crypto.h"
#include "log.h"
#include "server.h"
#include "sim.h"
#include "store.h"

static const char USAGE[] =
    "usage: drydock <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve      run the AWS emulator\n"
    "  version    print the version\n"
    "%s"
    "\n"
    "drydock serve [options]\n"
    "  --host ADDR            address to bind (default 127.0.0.1)\n"
    "  --port N               port (default 4566; 0 picks a free one)\n"
    "  --state PATH|:memory:  state database (default drydock.db)\n"
    "  --require-auth         refuse access keys drydock does not know\n"
    "  --keys FILE            known access keys: {\"AKID\": \"secret\" | {\"secret\":..., \"account\":...}}\n"
    "  --default-account ID   account of keys that name none (default 000000000000,\n"
    "                         or $DRYDOCK_DEFAULT_ACCOUNT)\n"
    "  --max-body BYTES       largest request body accepted (default 16777216)\n"
    "  --threads N            worker threads (default: one per core)\n"
    "  --pace fast|aws        simulated delays: short (default) or AWS-like\n"
    "  --manual-clock         start with the clock frozen (advance it with POST /_drydock/clock)\n"
    "  --log-level LEVEL      error, warn, info (default) or debug\n"
    "  --tls-cert FILE        serve HTTPS with this PEM certificate (chain); needs --tls-key\n"
    "  --tls-key FILE         the PEM private key of --tls-cert (unencrypted)\n";

static void print_usage(FILE *f)
{
    fprintf(f, USAGE, CLI_USAGE);
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "drydock: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n");
    print_usage(stderr);
    return 2;
}

static bool parse_number(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool valid_account(const char *s)
{
    if (strlen(s) != 12)
        return false;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

static int serve(int argc, char **argv)
{
    struct server_config cfg = {.host = "127.0.0.1", .port = 4566, .max_body = 16 * 1024 * 1024};
    const char *state = "drydock.db", *keys = NULL;
    const char *account = getenv("DRYDOCK_DEFAULT_ACCOUNT");
    bool require_auth = false;
    static const struct option opts[] = {
        {"host", required_argument, 0, 'h'},      {"port", required_argument, 0, 'p'},
        {"state", required_argument, 0, 's'},     {"require-auth", no_argument, 0, 'r'},
        {"keys", required_argument, 0, 'k'},      {"default-account", required_argument, 0, 'a'},
        {"max-body", required_argument, 0, 'b'},  {"threads", required_argument, 0, 't'},
        {"log-level", required_argument, 0, 'l'}, {"help", no_argument, 0, '?'},
        {"pace", required_argument, 0, 'P'},      {"manual-clock", no_argument, 0, 'm'},
        {"tls-cert", required_argument, 0, 'C'},  {"tls-key", required_argument, 0, 'K'},
        {0, 0, 0, 0},
    };
    long n;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'h': cfg.host = optarg; break;
        case 'p':
            if (!parse_number(optarg, 0, 65535, &n))
                return usage_error("bad --port: %s", optarg);
            cfg.port = (int)n;
            break;
        case 's': state = optarg; break;
        case 'r': require_auth = true; break;
        case 'k': keys = optarg; break;
        case 'a': account = optarg; break;
        case 'b':
            if (!parse_number(optarg, 1024, LONG_MAX, &n))
                return usage_error("bad --max-body: %s", optarg);
            cfg.max_body = (size_t)n;
            break;
        case 't':
            if (!parse_number(optarg, 1, 256, &n))
                return usage_error("bad --threads: %s", optarg);
            cfg.threads = (unsigned)n;
            break;
        case 'l':
            if (log_parse_level(optarg) < 0)
                return usage_error("bad --log-level: %s", optarg);
            log_set_level((enum log_level)log_parse_level(optarg));
            break;
        case 'P':
            if (strcmp(optarg, "fast") != 0 && strcmp(optarg, "aws") != 0)
                return usage_error("bad --pace (fast or aws): %s", optarg);
            sim_set_pace(strcmp(optarg, "aws") == 0 ? SIM_AWS : SIM_FAST);
            break;
        case 'm': clock_set_manual(true); break;
        case 'C': cfg.tls_cert = optarg; break;
        case 'K': cfg.tls_key = optarg; break;
        default: return usage_error("%s", "unknown option");
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument: %s", argv[optind]);
    if (account && !valid_account(account))
        return usage_error("the default account must be 12 digits: %s", account);
    if (!cfg.tls_cert != !cfg.tls_key)
        return usage_error("%s", cfg.tls_cert ? "--tls-cert needs --tls-key" : "--tls-key needs --tls-cert");

    char why[1024];
    auth_configure(require_auth, account);
    if (keys && auth_load_keys(keys, why, sizeof why)) {
        fprintf(stderr, "drydock: %s\n", why);
        return 1;
    }
    bool memory = strcmp(state, ":memory:") == 0;
    char key_path[4200];
    snprintf(key_path, sizeof key_path, "%s.key", state);
    if (crypto_init(memory ? NULL : key_path, why, sizeof why) || store_open(state, true, why, sizeof why)) {
        fprintf(stderr, "drydock: %s\n", why);
        return 1;
    }

    /* Block the stop signals in every thread; main waits for them below. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (server_start(&cfg, why, sizeof why) || sim_start()) {
        fprintf(stderr, "drydock: %s\n", why);
        server_stop();
        store_close();
        return 1;
    }
    log_msg(LOG_INFO, "drydock %s listening on %s://%s:%d (state %s)", DRYDOCK_VERSION, server_scheme(), cfg.host,
            server_port(), state);
    int sig;
    sigwait(&stop, &sig);
    log_msg(LOG_INFO, "stopping on signal %d", sig);
    server_stop();
    sim_stop();
    store_close();
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") == 0)
        return serve(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("drydock %s\n", DRYDOCK_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0) {
        print_usage(stdout);
        return 0;
    }
    if (cli_is_provisioner_command(cmd))
        return cli_main(argc - 1, argv + 1);
    return usage_error("unknown command: %s", cmd);
}
