/* SPDX-License-Identifier: MIT */
/*
 * The host: what the daemon (or a tool such as gwd-smb) offers plugins.
 * It owns the loop reference, the defer queue, the object registry and the
 * share table, and hands out one gwd_ctx per plugin instance.
 */
#ifndef GWD_CORE_HOST_H
#define GWD_CORE_HOST_H

#include <systemd/sd-event.h>

#include "gatewayd/backend.h"
#include "gatewayd/plugin.h"

struct gwd_host;
struct registry;
struct share_table;
struct defer_queue;

int host_new(sd_event *loop, struct gwd_host **ret);
/* Frees everything still registered; accepts NULL. */
void host_free(struct gwd_host *host);
const struct gwd_api *host_api(void);

int host_ctx_new(struct gwd_host *host, const char *instance_name, struct gwd_ctx **ret);
/* Releases what the instance left registered (logging each leftover at
 * warning level: a plugin must clean up after itself).  Accepts NULL. */
void host_ctx_free(struct gwd_ctx *ctx);

sd_event *host_event(struct gwd_host *host);
struct registry *host_registry(struct gwd_host *host);
struct share_table *host_shares(struct gwd_host *host);
struct defer_queue *host_defer_queue(struct gwd_host *host);

#endif
