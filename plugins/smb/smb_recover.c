/* SPDX-License-Identifier: MIT */
/* The reconnect engine (see smb_recover.h). */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#include "gatewayd/registry.h"
#include "plugins/smb/smb_client.h"
#include "plugins/smb/smb_recover.h"

/* --- backoff and timers -------------------------------------------------------- */

uint32_t smb_backoff_delay_ms(const struct smb_backoff *b, unsigned failures, int last_error)
{
        uint64_t d, cap = b->max_ms;

        if (failures == 0)
                return b->first_ms;
        /* Refused, reset or closed at once: the host is up, its service is
         * not. */
        if ((last_error == -ECONNREFUSED || last_error == -ECONNRESET || last_error == -EPIPE) &&
            b->refused_max_ms && b->refused_max_ms < cap)
                cap = b->refused_max_ms;
        d = b->min_ms ? b->min_ms : 1;
        for (unsigned i = 1; i < failures && d < cap; i++)
                d *= 2;
        return d > cap ? (uint32_t)cap : (uint32_t)d;
}

static int retry_arm(struct smb_retry *r, sd_event *loop, uint32_t delay_ms,
                     sd_event_time_handler_t fn, void *ud)
{
        uint64_t at = smb_now_us() + (uint64_t)delay_ms * 1000u;
        int ret;

        if (!r->timer) {
                /* 1 ms accuracy: sd-event's default (250 ms) would dominate
                 * the recovery time. */
                ret = sd_event_add_time(loop, &r->timer, CLOCK_MONOTONIC, at, 1000, fn, ud);
                if (ret < 0)
                        return ret;
        } else {
                ret = sd_event_source_set_time(r->timer, at);
                if (ret < 0)
                        return ret;
        }
        ret = sd_event_source_set_enabled(r->timer, SD_EVENT_ONESHOT);
        if (ret < 0)
                return ret;
        r->at_us = at;
        r->delay_ms = delay_ms;
        return 0;
}

void smb_retry_cancel(struct smb_retry *r)
{
        if (r->timer)
                sd_event_source_set_enabled(r->timer, SD_EVENT_OFF);
        r->at_us = 0;
}

void smb_retry_free(struct smb_retry *r)
{
        r->timer = sd_event_source_disable_unref(r->timer);
        r->at_us = 0;
}

void smb_retry_snapshot(const struct smb_retry *r, json_t *d)
{
        uint64_t now = smb_now_us();
        json_t *o = json_object();

        json_object_set_new(o, "scheduled", json_boolean(r->at_us != 0));
        json_object_set_new(o, "next_in_ms",
                            r->at_us ? json_integer((json_int_t)(r->at_us > now
                                                                         ? (r->at_us - now) / 1000
                                                                         : 0))
                                     : json_null());
        json_object_set_new(o, "backoff_ms", json_integer(r->delay_ms));
        json_object_set_new(o, "failures", json_integer(r->failures));
        json_object_set_new(o, "attempts", json_integer((json_int_t)r->attempts));
        json_object_set_new(d, "retry", o);
}

/* --- attempts ------------------------------------------------------------------- */

static void schedule_server(struct smb_server *srv);
static void schedule_server_in(struct smb_server *srv, uint32_t delay);
static void schedule_tcon(struct smb_tcon *t);

static bool server_attempt_running(const struct smb_server *srv)
{
        for (const struct smb_tcon *t = srv->ses ? srv->ses->tcons : NULL; t; t = t->next)
                if (t->bg_wait.queued)
                        return true;
        for (unsigned i = 0; srv->ses && i < srv->ses->n_chans; i++)
                if (smb_session_binding(srv->ses, i))
                        return true;
        return false;
}

/* One failed round counts once, however many tcons or channels it failed. */
static void round_failed(struct smb_server *srv, int error, int conn_errno)
{
        if (srv->retry.failed_round != srv->retry.round) {
                srv->retry.failed_round = srv->retry.round;
                srv->retry.failures++;
        }
        srv->retry.last_error = conn_errno ? conn_errno : error;
        schedule_server(srv);
}

/* The end of one tcon's part of an attempt. */
static void tcon_result(struct smb_tcon *t, int error)
{
        struct smb_server *srv = t->userdata_srv;

        if (srv->on_tcon_result && !srv->stopping)
                srv->on_tcon_result(srv, t, error);
        if (srv->stopping || error == -ECANCELED || error == -ESHUTDOWN)
                return;
        if (error == 0) {
                t->retry.failures = 0;
                if (smb_sm_is(&srv->ses->sm, SMB_SES_GOOD) && !srv->ses->chans_need_reconnect)
                        srv->retry.failures = 0;
                return;
        }
        if (smb_sm_is(&t->sm, SMB_TCON_NEED_TCON) && smb_sm_is(&srv->ses->sm, SMB_SES_GOOD)) {
                /* The tree alone was refused. */
                t->retry.failures++;
                t->retry.last_error = error;
                schedule_tcon(t);
                return;
        }
        round_failed(srv, error, srv->conn->last_errno);
}

void smb_recover_bind_result(struct smb_session *ses, unsigned index, int error)
{
        struct smb_server *srv = ses->userdata;

        if (!srv || srv->stopping || error == -ECANCELED || error == -ESHUTDOWN)
                return;
        if (error == 0) {
                if (!ses->chans_need_reconnect)
                        srv->retry.failures = 0;
                return;
        }
        if (error == -EOPNOTSUPP)
                return;         /* the server cannot bind: nothing to retry */
        round_failed(srv, error, ses->chans[index]->last_errno);
}

static void bg_done(struct smb_waiter *w, int error)
{
        struct smb_tcon *t = (struct smb_tcon *)((char *)w - offsetof(struct smb_tcon, bg_wait));
        tcon_result(t, error);
}

static void tcon_attempt(struct smb_tcon *t)
{
        int r;

        if (smb_sm_is(&t->sm, SMB_TCON_GOOD) || t->bg_wait.queued)
                return;
        smb_retry_cancel(&t->retry);
        t->retry.attempts++;
        t->bg_wait.fn = bg_done;
        r = smb_tcon_ensure(t, &t->bg_wait);
        if (r != -EINPROGRESS)
                tcon_result(t, r);
}

static void server_attempt(struct smb_server *srv)
{
        if (srv->stopping || !srv->ses)
                return;
        smb_retry_cancel(&srv->retry);
        srv->retry.attempts++;
        srv->retry.round++;
        for (struct smb_tcon *t = srv->ses->tcons; t; t = t->next)
                tcon_attempt(t);
        /* The session good on some channels: bind the others, once every
         * channel still bound has shown it is alive since the loss (when
         * the whole path died, they are about to report their own loss,
         * and a binding to the session would be wasted).  A new session
         * binds them itself once it is good. */
        if (smb_sm_is(&srv->ses->sm, SMB_SES_GOOD)) {
                if (smb_session_peers_alive(srv->ses))
                        smb_session_bind_all(srv->ses);
                else
                        schedule_server_in(srv, srv->conf.backoff.min_ms);
        }
}

static int on_server_retry(sd_event_source *s, uint64_t usec, void *ud)
{
        struct smb_server *srv = ud;
        srv->retry.at_us = 0;
        server_attempt(srv);
        return 0;
}

static int on_tcon_retry(sd_event_source *s, uint64_t usec, void *ud)
{
        struct smb_tcon *t = ud;
        t->retry.at_us = 0;
        if (!t->userdata_srv->stopping)
                tcon_attempt(t);
        return 0;
}

/* Arm the server retry `delay` ms from now, or earlier than it is armed. */
static void schedule_server_in(struct smb_server *srv, uint32_t delay)
{
        int r;

        if (srv->stopping)
                return;
        if (srv->retry.at_us && srv->retry.at_us <= smb_now_us() + (uint64_t)delay * 1000u)
                return;
        r = retry_arm(&srv->retry, srv->api->event(srv->ctx), delay, on_server_retry, srv);
        if (r < 0)
                gwd_log(srv->api, srv->ctx, GWD_LOG_ERR,
                        "%s: cannot schedule a reconnect: %s", srv->conn->id, strerror(-r));
}

static void schedule_server(struct smb_server *srv)
{
        if (srv->retry.at_us)
                return;
        schedule_server_in(srv, smb_backoff_delay_ms(&srv->conf.backoff, srv->retry.failures,
                                                     srv->retry.last_error));
}

static void schedule_tcon(struct smb_tcon *t)
{
        struct smb_server *srv = t->userdata_srv;
        uint32_t delay;
        int r;

        if (srv->stopping || t->retry.at_us || srv->retry.at_us)
                return;
        delay = smb_backoff_delay_ms(&srv->conf.backoff, t->retry.failures, t->retry.last_error);
        r = retry_arm(&t->retry, srv->api->event(srv->ctx), delay, on_tcon_retry, t);
        if (r < 0)
                gwd_log(srv->api, srv->ctx, GWD_LOG_ERR,
                        "%s: cannot schedule a tree connect: %s", t->id, strerror(-r));
}

/* --- entry points ------------------------------------------------------------------ */

void smb_recover_kick(struct smb_server *srv, const char *why)
{
        if (!srv || srv->stopping)
                return;
        if (srv->ses && smb_sm_is(&srv->ses->sm, SMB_SES_GOOD) && srv->retry.failures == 0) {
                /* Only some channels lost, the others carry the session:
                 * nothing waits for the rebind, so it waits a little for
                 * the others to report their own loss if the whole path
                 * died (a binding to a session about to go would be
                 * wasted: one NEGOTIATE and SESSION_SETUP per channel). */
                if (!srv->retry.at_us)
                        schedule_server_in(srv, srv->conf.backoff.min_ms);
                return;
        }
        if (server_attempt_running(srv) && !srv->retry.at_us)
                return;
        uint64_t before = srv->retry.at_us;
        schedule_server_in(srv, smb_backoff_delay_ms(&srv->conf.backoff, srv->retry.failures,
                                                     srv->retry.last_error));
        if (srv->retry.at_us != before)
                gwd_log(srv->api, srv->ctx, GWD_LOG_INFO, "%s: reconnecting in %u ms (%s)",
                        srv->conn->id, srv->retry.delay_ms, why ? why : "lost");
}

void smb_recover_tcon_kick(struct smb_tcon *t, const char *why)
{
        struct smb_server *srv = t->userdata_srv;

        if (!srv || srv->stopping || t->bg_wait.queued)
                return;
        schedule_tcon(t);
}

void smb_recover_now(struct smb_server *srv)
{
        if (!srv || srv->stopping)
                return;
        server_attempt(srv);
}

bool smb_recover_pending(const struct smb_tcon *t)
{
        const struct smb_server *srv = t->userdata_srv;

        return t->bg_wait.queued || t->retry.at_us || smb_sm_in_claim(&t->sm) ||
               (srv && srv->retry.at_us);
}

void smb_recover_stop(struct smb_server *srv)
{
        smb_retry_free(&srv->retry);
        for (struct smb_tcon *t = srv->ses ? srv->ses->tcons : NULL; t; t = t->next)
                smb_retry_free(&t->retry);
}
