/* SPDX-License-Identifier: MIT */
/* The daemon's lifecycle: instances from the config, start, reload, stop. */
#ifndef GWD_CORE_DAEMON_H
#define GWD_CORE_DAEMON_H

#define EXIT_CONFIG 78  /* EX_CONFIG from sysexits.h */

struct daemon;

int daemon_new(const char *config_path, struct daemon **ret);
void daemon_free(struct daemon *d);

/* --check-config: 0 when valid, else EXIT_CONFIG (config problems) or
 * EXIT_FAILURE (a plugin cannot be loaded); problems are logged. */
int daemon_check_config(struct daemon *d);

/* Load, validate, init and start every instance; returns an exit code
 * (0 on success).  On failure everything taken is released again. */
int daemon_start(struct daemon *d);

/* Run the loop until SIGTERM/SIGINT; returns the exit code. */
int daemon_run(struct daemon *d);

/* Called once the daemon is serving (for --foreground=no: tell the parent). */
void daemon_set_ready_hook(struct daemon *d, void (*fn)(void *ud, int code), void *ud);

#endif
