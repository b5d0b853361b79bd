/* SPDX-License-Identifier: MIT */
/* A FIFO of calls to run from the loop "soon", never from inside the
 * caller: how completions that are known at once are delivered. */
#ifndef GWD_CORE_DEFER_H
#define GWD_CORE_DEFER_H

#include <stddef.h>

#include <systemd/sd-event.h>

struct defer_queue;

int defer_queue_new(sd_event *loop, struct defer_queue **ret);
/* Runs nothing that is still queued: call defer_queue_drain first. */
void defer_queue_free(struct defer_queue *dq);
int defer_call(struct defer_queue *dq, void (*fn)(void *arg), void *arg);
/* Run queued calls (and calls they queue) right now; returns how many. */
size_t defer_queue_drain(struct defer_queue *dq);
size_t defer_queue_pending(const struct defer_queue *dq);

#endif
