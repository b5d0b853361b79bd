/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "defer.h"

struct deferred {
        struct deferred *next;
        void (*fn)(void *arg);
        void *arg;
};

struct defer_queue {
        sd_event_source *src;
        struct deferred *head, *tail;
        size_t n;
};

static size_t run_batch(struct defer_queue *dq)
{
        /* Take the current batch only: calls queued while it runs go in the
         * next loop iteration, so I/O is not starved by a busy chain. */
        struct deferred *d = dq->head;
        size_t n = 0;

        dq->head = dq->tail = NULL;
        dq->n = 0;
        while (d) {
                struct deferred *next = d->next;
                d->fn(d->arg);
                free(d);
                d = next;
                n++;
        }
        return n;
}

static int on_defer(sd_event_source *s, void *userdata)
{
        struct defer_queue *dq = userdata;
        run_batch(dq);
        if (!dq->head)
                sd_event_source_set_enabled(dq->src, SD_EVENT_OFF);
        return 0;
}

int defer_queue_new(sd_event *loop, struct defer_queue **ret)
{
        struct defer_queue *dq = calloc(1, sizeof(*dq));
        int r;

        if (!dq)
                return -ENOMEM;
        r = sd_event_add_defer(loop, &dq->src, on_defer, dq);
        if (r < 0) {
                free(dq);
                return r;
        }
        sd_event_source_set_enabled(dq->src, SD_EVENT_OFF);
        sd_event_source_set_description(dq->src, "deferred-calls");
        *ret = dq;
        return 0;
}

void defer_queue_free(struct defer_queue *dq)
{
        if (!dq)
                return;
        for (struct deferred *d = dq->head, *next; d; d = next) {
                next = d->next;
                free(d);
        }
        sd_event_source_disable_unref(dq->src);
        free(dq);
}

int defer_call(struct defer_queue *dq, void (*fn)(void *arg), void *arg)
{
        struct deferred *d = malloc(sizeof(*d));
        if (!d)
                return -ENOMEM;
        *d = (struct deferred){ .fn = fn, .arg = arg };
        if (dq->tail)
                dq->tail->next = d;
        else
                dq->head = d;
        dq->tail = d;
        dq->n++;
        sd_event_source_set_enabled(dq->src, SD_EVENT_ON);
        return 0;
}

size_t defer_queue_drain(struct defer_queue *dq)
{
        size_t total = 0;
        while (dq->head)
                total += run_batch(dq);
        sd_event_source_set_enabled(dq->src, SD_EVENT_OFF);
        return total;
}

size_t defer_queue_pending(const struct defer_queue *dq)
{
        return dq->n;
}
