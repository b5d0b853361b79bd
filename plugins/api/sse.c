/* SPDX-License-Identifier: MIT */
/*
 * GET /api/v1/events: Server-Sent Events.  A stream is an MHD response
 * driven by a content reader; when its buffer is empty the connection is
 * suspended and woken by the next event (or keep-alive), so idle streams
 * cost nothing on the loop.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/api/api.h"

#define SSE_KEEPALIVE_USEC (15u * 1000000u)
#define SSE_BUFFER_MAX (1u << 20)   /* a client this far behind is dropped */

struct sse_client {
        struct api *a;
        struct sse_client *prev, *next;
        struct MHD_Connection *conn;
        struct sbuf buf;
        size_t off;
        bool suspended, closing;
        sd_event_source *keepalive;
        sd_event_source *hup;   /* watches the socket while suspended */
};

static void wake(struct sse_client *c)
{
        if (!c->suspended)
                return;
        c->suspended = false;
        sd_event_source_set_enabled(c->hup, SD_EVENT_OFF);
        MHD_resume_connection(c->conn);
        httpd_kick(c->a->httpd);
}

static void push_check(struct sse_client *c)
{
        if (c->buf.oom || c->buf.len - c->off > SSE_BUFFER_MAX) {
                /* Too slow (or no memory): tell it once, then end the stream;
                 * it can resume with Last-Event-ID. */
                sbuf_free(&c->buf);
                c->off = 0;
                sse_error(&c->buf, "too_slow", "the client fell too far behind; reconnect "
                          "with Last-Event-ID", c->a->gapi->events_last_seq(c->a->ctx));
                c->closing = true;
        }
        wake(c);
}

static int on_hup(sd_event_source *s, int fd, uint32_t revents, void *ud)
{
        struct sse_client *c = ud;
        c->closing = true;
        wake(c);
        return 0;
}

static ssize_t reader(void *cls, uint64_t pos, char *out, size_t max)
{
        struct sse_client *c = cls;

        if (c->off < c->buf.len) {
                size_t n = c->buf.len - c->off;
                if (n > max)
                        n = max;
                memcpy(out, c->buf.p + c->off, n);
                c->off += n;
                if (c->off == c->buf.len)
                        c->off = c->buf.len = 0;
                return (ssize_t)n;
        }
        if (c->closing || c->a->stopping)
                return MHD_CONTENT_READER_END_OF_STREAM;
        MHD_suspend_connection(c->conn);
        c->suspended = true;
        /* MHD does not notice a peer that hangs up while suspended: watch
         * for it, or dead streams would hold subscriber slots until the
         * next keep-alive write fails. */
        if (!c->hup) {
                const union MHD_ConnectionInfo *ci =
                        MHD_get_connection_info(c->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
                if (ci)
                        sd_event_add_io(c->a->loop, &c->hup, ci->connect_fd, EPOLLRDHUP,
                                        on_hup, c);
        } else {
                sd_event_source_set_enabled(c->hup, SD_EVENT_ON);
        }
        return 0;
}

static void client_free(void *cls)
{
        struct sse_client *c = cls;
        struct api *a = c->a;

        if (c->prev)
                c->prev->next = c->next;
        else
                a->sse_head = c->next;
        if (c->next)
                c->next->prev = c->prev;
        a->n_sse--;
        sd_event_source_disable_unref(c->keepalive);
        sd_event_source_disable_unref(c->hup);
        sbuf_free(&c->buf);
        free(c);
}

static int on_keepalive(sd_event_source *s, uint64_t usec, void *ud)
{
        struct sse_client *c = ud;
        sse_comment(&c->buf, "keep-alive");
        push_check(c);
        sd_event_source_set_time(s, usec + SSE_KEEPALIVE_USEC);
        sd_event_source_set_enabled(s, SD_EVENT_ON);
        return 0;
}

static void replay_one(void *ud, const struct gwd_event *ev)
{
        struct sse_client *c = ud;
        sse_event(&c->buf, ev);
}

/* Strict decimal u64; -EINVAL otherwise. */
static int parse_u64(const char *s, uint64_t *ret)
{
        uint64_t v = 0;
        if (!s || !*s || strlen(s) > 20)
                return -EINVAL;
        for (; *s; s++) {
                if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
                        return -EINVAL;
                v = v * 10 + (uint64_t)(*s - '0');
        }
        *ret = v;
        return 0;
}

enum MHD_Result sse_open(struct api_req *r)
{
        struct api *a = r->api;
        const char *last = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Last-Event-ID");
        const char *after_q = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "after");
        struct MHD_Response *resp;
        struct sse_client *c;
        uint64_t after = 0, now;
        bool resume = false;
        enum MHD_Result ret;
        int n_args = MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, NULL, NULL);

        if (n_args > (after_q ? 1 : 0))
                return api_problem(r, MHD_HTTP_BAD_REQUEST, "the only query parameter is "
                                   "after=SEQ");
        if (last || after_q) {
                if (parse_u64(last ? last : after_q, &after) < 0)
                        return api_problem(r, MHD_HTTP_BAD_REQUEST, "%s must be an event "
                                           "sequence number", last ? "Last-Event-ID" : "after");
                resume = true;
        }
        if (a->n_sse >= a->set.max_sse)
                return api_problem(r, MHD_HTTP_SERVICE_UNAVAILABLE, "too many event "
                                   "subscribers (max_sse_subscribers = %u)", a->set.max_sse);
        c = calloc(1, sizeof(*c));
        if (!c)
                return MHD_NO;
        c->a = a;
        c->conn = r->conn;
        sbuf_printf(&c->buf, "retry: 2000\n\n");
        if (resume) {
                int rc = a->gapi->events_since(a->ctx, after, replay_one, c);
                if (rc == -ERANGE) {
                        char detail[160];
                        snprintf(detail, sizeof(detail), "events after %llu are not kept (or "
                                 "never existed); fetch the current state with GET and "
                                 "continue from here", (unsigned long long)after);
                        sse_error(&c->buf, "history_lost", detail,
                                  a->gapi->events_last_seq(a->ctx));
                }
        } else {
                sse_comment(&c->buf, "connected");
        }
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, reader, c,
                                                 client_free);
        if (!resp) {
                sbuf_free(&c->buf);
                free(c);
                return MHD_NO;
        }
        /* Linked now: from here client_free (run by MHD) unlinks. */
        c->next = a->sse_head;
        if (a->sse_head)
                a->sse_head->prev = c;
        a->sse_head = c;
        a->n_sse++;
        if (sd_event_now(a->loop, CLOCK_MONOTONIC, &now) >= 0)
                sd_event_add_time(a->loop, &c->keepalive, CLOCK_MONOTONIC,
                                  now + SSE_KEEPALIVE_USEC, 0, on_keepalive, c);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        MHD_add_response_header(resp, "X-Accel-Buffering", "no");
        ret = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
        MHD_destroy_response(resp);
        if (ret == MHD_YES) {
                r->status = MHD_HTTP_OK;
                r->responded = true;
        }
        return ret;
}

void sse_on_event(struct api *a, const struct gwd_event *ev)
{
        for (struct sse_client *c = a->sse_head; c; c = c->next) {
                if (c->closing)
                        continue;
                sse_event(&c->buf, ev);
                push_check(c);
        }
}

void sse_close_all(struct api *a)
{
        for (struct sse_client *c = a->sse_head; c; c = c->next) {
                c->closing = true;
                wake(c);
        }
}
