/* SPDX-License-Identifier: MIT */
/*
 * One NTLMv2-in-SPNEGO authentication exchange over SESSION_SETUP
 * (MS-SMB2 3.2.4.2.3, 3.2.5.3; MS-SPNG; MS-NLMP), shared by a new session
 * (smb_session.c) and the binding of a further channel to it
 * (smb_bind.c): the tokens of each leg, the mechListMIC, the NTLM
 * exported key and, for 3.1.1, the pre-authentication integrity hash of
 * the exchange (3.2.5.2: NEGOTIATE of the connection, then every
 * SESSION_SETUP request and every response but the final successful one).
 */
#ifndef GWD_SMB_AUTH_H
#define GWD_SMB_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugins/smb/crypto.h"
#include "plugins/smb/ntlm.h"
#include "plugins/smb/smb_conn.h"

#define SMB_AUTH_MAX_LEGS 4

struct smb_auth {
        uint8_t *ntlm_neg;              /* our NEGOTIATE_MESSAGE, for the MIC */
        size_t ntlm_neg_len;
        struct ntlm_gss gss;
        bool gss_valid;
        bool have_key;
        uint8_t key[16];                /* NTLM exported session key */
        int legs;                       /* requests sent */
        bool hash;                      /* 3.1.1: keep the pre-auth hash */
        uint8_t preauth[SMB_PREAUTH_HASH_LEN];
};

/* Forget everything (keys wiped). */
void smb_auth_clear(struct smb_auth *a);

/* Begin on connection c (its NEGOTIATE hash seeds ours): the first token
 * (SPNEGO NegTokenInit with the NTLM NEGOTIATE_MESSAGE), malloc'ed. */
int smb_auth_start(struct smb_auth *a, const struct smb_conn *c, uint8_t **tok, size_t *tok_len);

/* Add one SESSION_SETUP message to the pre-auth hash (no-op before 3.1.1). */
int smb_auth_hash(struct smb_auth *a, const uint8_t *msg, size_t len);

/* The server's challenge (security buffer of a MORE_PROCESSING_REQUIRED
 * response) -> the AUTHENTICATE token, malloc'ed.  *what says what failed. */
int smb_auth_answer(struct smb_auth *a, const struct smb_server_conf *conf, const uint8_t *buf,
                    size_t len, uint8_t **tok, size_t *tok_len, const char **what);

/* The final response's security buffer (may be empty): SPNEGO accepted,
 * the server's mechListMIC valid if present. */
int smb_auth_finish(struct smb_auth *a, const uint8_t *buf, size_t len, const char **what);

/* Send one SESSION_SETUP leg on c for ses (flags: SMB2_SESSION_FLAG_BINDING
 * or 0).  Same contract as smb_req_send.  Responses are verified by the
 * caller (no_verify), binding requests are always signed.  `tag` goes to
 * the request's arg0 (the caller's check for stale responses). */
int smb_auth_send(struct smb_auth *a, struct smb_conn *c, struct smb_session *ses, uint8_t flags,
                  uint64_t previous_session_id, const uint8_t *tok, size_t tok_len,
                  smb_req_done_fn done, void *userdata, uint64_t tag);

#endif /* GWD_SMB_AUTH_H */
