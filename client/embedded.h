/*
 * embedded.h - the emulator inside the provisioner: when no endpoint and no
 * AWS configuration is given, a command starts the emulator in-process on a
 * free loopback port, with its state beside the stack state
 * (<state dir>/emulator.db), and stops it when the command ends.
 */
#ifndef DD_EMBEDDED_H
#define DD_EMBEDDED_H

#include <stddef.h>

/* Starts it; writes its endpoint URL. Returns 0 or -1 with `why`. */
int embedded_start(const char *state_dir, char *endpoint, size_t len, char *why, size_t why_len);
void embedded_stop(void);

#endif
