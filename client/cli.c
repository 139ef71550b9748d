/* cli.c - parses the provisioner's command lines and picks the target (see cli.h). */
#include "cli.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "engine.h"
#include "scenario.h"
#include "transport.h"

const char CLI_USAGE[] =
    "  validate TEMPLATE                 check a template offline\n"
    "  plan TEMPLATE [options]           show what apply would add, change, replace and delete\n"
    "  apply TEMPLATE [options]          create, update and delete the stack's resources\n"
    "  destroy [TEMPLATE] [options]      delete the stack's resources, dependents first\n"
    "  outputs [TEMPLATE] [options]      print the stack's Outputs\n"
    "  state list [TEMPLATE] [options]   list the resources the state records\n"
    "  graph TEMPLATE                    print the dependency graph (Graphviz dot)\n"
    "  run SCENARIO [options]            run a scenario's steps; --junit FILE writes a JUnit XML report,\n"
    "                                    -v shows the provisioner's output under each step\n"
    "\n"
    "provisioner options:\n"
    "  --stack NAME          stack name (default: the template's base name)\n"
    "  --param K=V           a parameter value (repeatable)\n"
    "  --endpoint URL        send every call to URL (the emulator); also $AWS_ENDPOINT_URL[_<SERVICE>]\n"
    "  --region REGION       region (default $AWS_REGION, $AWS_DEFAULT_REGION, the profile's, us-east-1)\n"
    "  --profile NAME        credentials profile (~/.aws/credentials, ~/.aws/config)\n"
    "  --state-dir DIR       where the stack state lives (default .drydock)\n"
    "  --threads N           resources created in parallel (default 8)\n"
    "  With no endpoint and no AWS configuration the emulator runs embedded for the command.\n";

static const char *const COMMANDS[] = {"validate", "plan", "apply", "destroy", "outputs", "state", "graph", "run", NULL};

bool cli_is_provisioner_command(const char *cmd)
{
    for (size_t i = 0; COMMANDS[i]; i++)
        if (strcmp(cmd, COMMANDS[i]) == 0)
            return true;
    return false;
}

static int usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "drydock: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\nusage: drydock <command> [options]\n%s", CLI_USAGE);
    return 2;
}

struct cli {
    struct engine_opts eo;
    struct aws_options ao;
    const char *cmd;
    const char *positional[3];
    int npos;
    const char *junit;      /* run --junit FILE */
    bool verbose;           /* run -v */
    bool state_dir_given;
};

static int add_param(json_t *params, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return -1;
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)(eq - kv), kv);
    json_object_set_new(params, name, json_string(eq + 1));
    return 0;
}

static int parse(struct cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"stack", required_argument, 0, 's'},    {"param", required_argument, 0, 'p'},
        {"endpoint", required_argument, 0, 'e'}, {"region", required_argument, 0, 'r'},
        {"profile", required_argument, 0, 'P'},  {"state-dir", required_argument, 0, 'd'},
        {"threads", required_argument, 0, 't'},  {"junit", required_argument, 0, 'j'},
        {"verbose", no_argument, 0, 'v'},        {0, 0, 0, 0},
    };
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
        switch (ch) {
        case 's': c->eo.stack = optarg; break;
        case 'p':
            if (add_param(c->eo.params, optarg))
                return usage("--param takes NAME=VALUE: %s", optarg);
            break;
        case 'e': c->ao.endpoint = optarg; break;
        case 'r': c->ao.region = optarg; break;
        case 'P': c->ao.profile = optarg; break;
        case 'd':
            c->eo.state_dir = optarg;
            c->state_dir_given = true;
            break;
        case 'j': c->junit = optarg; break;
        case 'v': c->verbose = true; break;
        case 't': {
            int n = atoi(optarg);
            if (n < 1 || n > 64)
                return usage("bad --threads: %s", optarg);
            c->eo.threads = (unsigned)n;
            break;
        }
        default: return usage("unknown or incomplete option: %s", argv[optind - 1]);
        }
    }
    for (int i = optind; i < argc; i++) {
        if (c->npos == 3)
            return usage("unexpected argument: %s", argv[i]);
        c->positional[c->npos++] = argv[i];
    }
    return 0;
}

/* The template argument: required for validate/plan/apply/graph, optional otherwise. */
static int take_template(struct cli *c)
{
    bool state_cmd = strcmp(c->cmd, "state") == 0;
    int first = state_cmd ? 1 : 0;
    if (state_cmd && (c->npos < 1 || strcmp(c->positional[0], "list") != 0))
        return usage("%s", "state takes the subcommand list");
    bool needs = strcmp(c->cmd, "validate") == 0 || strcmp(c->cmd, "plan") == 0 || strcmp(c->cmd, "apply") == 0 ||
                 strcmp(c->cmd, "graph") == 0;
    if (needs && c->npos <= first)
        return usage("%s needs a TEMPLATE", c->cmd);
    if (c->npos > first + 1)
        return usage("unexpected argument: %s", c->positional[first + 1]);
    c->eo.template_path = c->npos > first ? c->positional[first] : NULL;
    return 0;
}

static int dispatch(struct cli *c)
{
    if (strcmp(c->cmd, "plan") == 0)
        return engine_plan(&c->eo);
    if (strcmp(c->cmd, "apply") == 0)
        return engine_apply(&c->eo);
    if (strcmp(c->cmd, "destroy") == 0)
        return engine_destroy(&c->eo);
    if (strcmp(c->cmd, "outputs") == 0)
        return engine_outputs(&c->eo);
    return engine_state_list(&c->eo);
}

/* Resolves the target; with nothing configured, starts the embedded emulator. */
static int with_target(struct cli *c)
{
    struct aws_target *t = calloc(1, sizeof *t);
    char why[1024], endpoint[256];
    int rc;
    if (aws_target_resolve(&c->ao, NULL, t, why, sizeof why)) {
        free(t);
        return usage("%s", why);
    }
    bool embedded = !t->configured;
    bool needs_target = strcmp(c->cmd, "outputs") != 0 && strcmp(c->cmd, "state") != 0;
    if (embedded && needs_target) {
        if (embedded_start(c->eo.state_dir, endpoint, sizeof endpoint, why, sizeof why)) {
            fprintf(stderr, "drydock: cannot start the embedded emulator: %s\n", why);
            free(t);
            return 1;
        }
        aws_target_emulator(t, endpoint);
        fprintf(stderr, "drydock: no endpoint or AWS configuration: using the embedded emulator (%s, state %s/emulator.db)\n",
                endpoint, c->eo.state_dir);
    }
    c->eo.aws = t;
    rc = dispatch(c);
    if (embedded && needs_target)
        embedded_stop();
    free(t);
    return rc;
}

/* `run SCENARIO`: the scenario runner picks its own target (see scenario.h). */
static int run_scenario(struct cli *c)
{
    if (c->npos != 1)
        return usage("%s", c->npos ? "run takes one SCENARIO" : "run needs a SCENARIO");
    if (json_object_size(c->eo.params) || c->eo.stack)
        return usage("%s", "run takes no --param or --stack: the scenario names its stacks and parameters");
    struct scenario_opts so = {.path = c->positional[0], .junit = c->junit,
                               .state_dir = c->state_dir_given ? c->eo.state_dir : NULL, .ao = c->ao,
                               .threads = c->eo.threads, .verbose = c->verbose, .out = stdout, .err = stderr};
    return scenario_run(&so);
}

int cli_main(int argc, char **argv)
{
    struct cli c = {.cmd = argv[0]};
    c.eo.params = json_object();
    c.eo.state_dir = ".drydock";
    c.eo.threads = 8;
    c.eo.out = stdout;
    c.eo.err = stderr;
    signal(SIGPIPE, SIG_IGN);
    int rc = parse(&c, argc, argv);
    bool run = strcmp(c.cmd, "run") == 0;
    if (!rc && run)
        rc = run_scenario(&c);
    else if (!rc)
        rc = take_template(&c);
    if (!rc && !run) {
        if (strcmp(c.cmd, "validate") == 0)
            rc = engine_validate(&c.eo);
        else if (strcmp(c.cmd, "graph") == 0)
            rc = engine_graph(&c.eo);
        else
            rc = with_target(&c);
    }
    json_decref(c.eo.params);
    return rc;
}
