/* SPDX-License-Identifier: MIT */
/*
 * NEGOTIATE (per channel) and the SMB session: SESSION_SETUP with NTLMv2 in
 * SPNEGO (MS-SMB2 3.2.4.2, 3.2.5.3), the 3.1.1 pre-authentication hash,
 * key derivation per dialect, LOGOFF.
 */
#ifndef GWD_SMB_SESSION_H
#define GWD_SMB_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "plugins/smb/crypto.h"
#include "plugins/smb/ntlm.h"
#include "plugins/smb/smb_auth.h"
#include "plugins/smb/smb_conn.h"
#include "plugins/smb/smb_state.h"

struct smb_tcon;
struct smb_session;

#define SMB_MAX_CHANNELS 16

/* Binding channel `index` to the session (smb_bind.c). */
struct smb_bind {
        struct smb_session *ses;
        unsigned index;
        bool running;                   /* claim: the binding exchange is under way */
        uint64_t seq;                   /* +1 per start/abort: stale responses */
        bool unsupported;               /* the server cannot bind: no retries */
        struct smb_auth auth;
        struct smb_waiter chan_wait;    /* for the channel's NEGOTIATE */
        uint64_t binds;                 /* successful bindings */
        int last_errno;
        uint32_t last_status;
        char last_error[160];
        uint64_t last_error_at;
};

struct smb_session {
        const struct gwd_api *api;
        struct gwd_ctx *ctx;
        /* The channel a new session is set up on (chans[0]); the others
         * are bound to it (MS-SMB2 3.2.4.2.3, SMB2_SESSION_FLAG_BINDING). */
        struct smb_conn *conn;
        struct smb_conn *chans[SMB_MAX_CHANNELS];
        struct smb_bind binds[SMB_MAX_CHANNELS];
        unsigned n_chans;
        struct smb_sm sm;
        char *id;
        uint64_t session_id;
        uint64_t previous_session_id;
        uint16_t session_flags;         /* IS_GUEST, IS_NULL, ENCRYPT_DATA */
        bool signing;                   /* sign requests, require signed responses */
        bool encrypt;                   /* whole session encrypted */
        bool keys_valid;
        struct smb_keys keys;
        uint16_t dialect, cipher, sign_alg;     /* as set up (every channel the same) */
        uint64_t nonce_counter;
        uint8_t nonce_salt[4];
        /* Channels not bound (need reconnection or binding), bit i = chans[i]. */
        uint32_t chans_need_reconnect;
        uint64_t chan_lost_us;          /* last loss of a bound channel (monotonic) */
        /* Channels waiting for their turn to bind, bit i = chans[i]: one
         * binding runs at a time (see smb_bind.c). */
        uint32_t binds_queued;

        /* SESSION_SETUP exchange in progress */
        struct smb_waiter chan_wait;
        struct smb_auth auth;

        /* Told when a binding ends (the reconnect engine retries). */
        void (*on_bind_result)(struct smb_session *ses, unsigned index, int error);
        void *userdata;

        struct smb_tcon *tcons;         /* list */
        uint64_t setups;
        int last_errno;
        uint32_t last_status;
        char last_error[160];
        uint64_t last_error_at;         /* CLOCK_REALTIME us, 0: never */
};

int smb_session_new(struct smb_conn *conn, const char *id, struct smb_session **ret);
/* Exiting + LOGOFF (best effort, not awaited); tcons must be freed first. */
void smb_session_free(struct smb_session *ses);

/* Same contract as smb_conn_ensure. */
int smb_session_ensure(struct smb_session *ses, struct smb_waiter *w);

/* Another channel for the session (3.x multichannel), bound later. */
int smb_session_add_channel(struct smb_session *ses, struct smb_conn *c);
/* Channel c went away.  While another channel stays bound the session stays
 * good (c's bit set, c alone is bound again); the last one takes the
 * session and its tcons to need_reconnect. */
void smb_session_channel_lost(struct smb_session *ses, struct smb_conn *c, const char *cause);
/* Channels bound now. */
unsigned smb_session_bound_channels(const struct smb_session *ses);
/* The bound, good channel with the least outstanding work; the setup
 * channel when none is (its requests then wait or fail with it). */
struct smb_conn *smb_session_pick(struct smb_session *ses);
/* A fresh ClientGuid for every channel (ses may be NULL: c alone). */
void smb_session_new_client_guid(struct smb_session *ses, struct smb_conn *c);
/* Bind channel `index` (smb_bind.c): 0 bound already, -EINPROGRESS
 * started (or running): the result goes to ses->on_bind_result. */
int smb_session_bind(struct smb_session *ses, unsigned index);
/* Every bound channel has heard from the server since the last channel
 * loss; those that have not are sent an ECHO (smb_conn_probe). */
bool smb_session_peers_alive(struct smb_session *ses);
/* Start binding every unbound channel (after a new session is good). */
void smb_session_bind_all(struct smb_session *ses);
/* Whether channel `index` is binding or waiting for its turn to bind. */
bool smb_session_binding(const struct smb_session *ses, unsigned index);
/* Abort a binding (no result is reported). */
void smb_bind_clear(struct smb_bind *b);
/* Force a new SESSION_SETUP on next use (admin action / session expired). */
void smb_session_mark_reconnect(struct smb_session *ses, const char *cause);

/* Channel NEGOTIATE, claimed by smb_conn_ensure (conn is in_negotiate). */
int smb_negotiate_start(struct smb_conn *conn);

/* Sign / encrypt helpers for the transport. */
bool smb_session_can_sign(const struct smb_session *ses);
int smb_session_next_nonce(struct smb_session *ses, uint8_t *nonce, size_t len);

void smb_session_snapshot(struct smb_session *ses, json_t *details);

#endif /* GWD_SMB_SESSION_H */
