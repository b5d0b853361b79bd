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
#include "plugins/smb/smb_conn.h"
#include "plugins/smb/smb_state.h"

struct smb_tcon;

struct smb_session {
        const struct gwd_api *api;
        struct gwd_ctx *ctx;
        struct smb_conn *conn;          /* the (only, for now) channel */
        struct smb_sm sm;
        char *id;
        uint64_t session_id;
        uint64_t previous_session_id;
        uint16_t session_flags;         /* IS_GUEST, IS_NULL, ENCRYPT_DATA */
        bool signing;                   /* sign requests, require signed responses */
        bool encrypt;                   /* whole session encrypted */
        bool keys_valid;
        struct smb_keys keys;
        uint8_t preauth[SMB_PREAUTH_HASH_LEN];
        uint64_t nonce_counter;
        uint8_t nonce_salt[4];
        /* Channels needing (re)connection, bit i = channel i (only bit 0 now). */
        uint32_t chans_need_reconnect;

        /* SESSION_SETUP exchange in progress */
        struct smb_waiter chan_wait;
        uint8_t *ntlm_neg;
        size_t ntlm_neg_len;
        struct ntlm_gss gss;
        bool gss_valid;
        uint8_t exported_key[16];       /* NTLM session key until keys are derived */
        int legs;

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

/* The channel went away: good -> need_reconnect, tcons too. */
void smb_session_channel_lost(struct smb_session *ses, const char *cause);
/* Force a new SESSION_SETUP on next use (admin action / session expired). */
void smb_session_mark_reconnect(struct smb_session *ses, const char *cause);

/* Channel NEGOTIATE, claimed by smb_conn_ensure (conn is in_negotiate). */
int smb_negotiate_start(struct smb_conn *conn);

/* Sign / encrypt helpers for the transport. */
bool smb_session_can_sign(const struct smb_session *ses);
int smb_session_next_nonce(struct smb_session *ses, uint8_t *nonce, size_t len);

void smb_session_snapshot(struct smb_session *ses, json_t *details);

#endif /* GWD_SMB_SESSION_H */
