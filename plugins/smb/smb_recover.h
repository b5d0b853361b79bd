/* SPDX-License-Identifier: MIT */
/*
 * The reconnect engine (docs/smb.md, "Recovery").
 *
 * Something below "every tcon good" broke: a socket died, NEGOTIATE or
 * SESSION_SETUP failed, the server expired the session or deleted a tree.
 * The engine owns the retries; requests never start them on their own
 * (they wait on the tcon, see smb_fileops.c):
 *
 *  - server level (channel + session): the first attempt runs at once
 *    (`reconnect_delay_first`), each failed attempt after that waits a
 *    doubling delay from `reconnect_delay_min` capped at
 *    `reconnect_delay_max`.  An attempt is one smb_tcon_ensure() per tcon
 *    that is not good; the claims make it one TCP connect, one NEGOTIATE
 *    and one SESSION_SETUP however many tcons and requests wait.  With
 *    the session good, an attempt binds every channel that is not bound
 *    (one connect, NEGOTIATE and binding SESSION_SETUP per channel).
 *  - tcon level: a TREE_CONNECT refused while the session is good (share
 *    removed, access denied) retries that tcon alone with the same backoff.
 *
 * Invariant the request path relies on: while a tcon is not good and the
 * server is not stopping, either a claim covering it is running or a retry
 * covering it is scheduled (smb_recover_pending()).
 */
#ifndef GWD_SMB_RECOVER_H
#define GWD_SMB_RECOVER_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <systemd/sd-event.h>

/* One retry schedule with its backoff. */
struct smb_retry {
        sd_event_source *timer;
        uint64_t at_us;                 /* CLOCK_MONOTONIC; 0: nothing scheduled */
        uint32_t delay_ms;              /* delay of the scheduled (or last) retry */
        unsigned failures;              /* consecutive failed attempts */
        uint64_t attempts;              /* attempts started */
        uint64_t round;                 /* attempt id (server level) */
        uint64_t failed_round;          /* last round counted as a failure */
        int last_error;                 /* of the last failed attempt */
};

struct smb_backoff {
        uint32_t first_ms;              /* after a loss: 0 = at once */
        uint32_t min_ms;                /* after the first failed attempt */
        uint32_t max_ms;                /* cap */
        /* Cap while the server refuses or resets connections at once
         * (ECONNREFUSED, ECONNRESET, EPIPE: the host is up, its service
         * restarting): such an attempt costs one round trip, so it is
         * polled faster than a silent host. */
        uint32_t refused_max_ms;
};

/* The delay before the next attempt after `failures` failed ones, the last
 * failing with `last_error` (pure). */
uint32_t smb_backoff_delay_ms(const struct smb_backoff *b, unsigned failures, int last_error);

/* Publish next retry, delay, failures, attempts (smb_retry_snapshot). */
void smb_retry_snapshot(const struct smb_retry *r, json_t *details);
void smb_retry_cancel(struct smb_retry *r);
/* Cancel and release the timer. */
void smb_retry_free(struct smb_retry *r);

struct smb_server;
struct smb_tcon;

/* Something broke at server level: schedule an attempt (at once after a
 * loss) unless one is running or scheduled.  `why` goes to the log. */
void smb_recover_kick(struct smb_server *srv, const char *why);
/* Tree level: schedule a TREE_CONNECT attempt for t alone. */
void smb_recover_tcon_kick(struct smb_tcon *t, const char *why);
/* Start an attempt now (plugin start, forced reconnects). */
void smb_recover_now(struct smb_server *srv);
/* An attempt covering t is running or scheduled. */
bool smb_recover_pending(const struct smb_tcon *t);
/* A channel's binding ended (smb_session.on_bind_result): failures are
 * retried with the server's backoff. */
struct smb_session;
void smb_recover_bind_result(struct smb_session *ses, unsigned index, int error);
/* Stop every timer (server destroy). */
void smb_recover_stop(struct smb_server *srv);

#endif /* GWD_SMB_RECOVER_H */
