/* cli.h - the provisioner's subcommands: validate, plan, apply, destroy, outputs, state list, graph. */
#ifndef DD_CLI_H
#define DD_CLI_H

#include <stdbool.h>

/* Whether `cmd` is one of the provisioner's subcommands. */
bool cli_is_provisioner_command(const char *cmd);
/* Runs `drydock <cmd> ...` (argv[0] is the subcommand). Returns the exit code. */
int cli_main(int argc, char **argv);

extern const char CLI_USAGE[];

#endif
