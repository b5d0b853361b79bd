/* SPDX-License-Identifier: MIT */
/*
 * NEGOTIATE (MS-SMB2 3.2.4.2.1, 3.2.5.2) and SESSION_SETUP with NTLMv2 in
 * SPNEGO (3.2.4.2.3, 3.2.5.3), the 3.1.1 pre-authentication integrity hash
 * (3.2.5.2: over NEGOTIATE request and response on the connection, then
 * over every SESSION_SETUP request and every response except the final
 * successful one), key derivation (3.2.5.3.1) and LOGOFF.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/smb/ntstatus.h"
#include "plugins/smb/smb2_negotiate.h"
#include "plugins/smb/smb2_session.h"
#include "plugins/smb/smb_session.h"
#include "plugins/smb/smb_tcon.h"
#include "plugins/smb/spnego.h"

#define MAX_IO_CAP (8u << 20)
#define SETUP_MAX_LEGS 4

static const uint16_t all_dialects[] = {
        SMB2_DIALECT_202, SMB2_DIALECT_210, SMB2_DIALECT_300, SMB2_DIALECT_302, SMB2_DIALECT_311,
};

/* What we offered, kept until the response is checked against it. */
struct neg_offer {
        struct smb2_negotiate_req req;
        uint16_t dialects[5];
        uint16_t ciphers[SMB_MAX_CIPHERS];
        uint16_t signing_algs[3];
        uint8_t salt[32];
};

static void fill_offer(const struct smb_conn *c, struct neg_offer *o)
{
        const struct smb_server_conf *conf = c->conf;
        uint16_t n = 0;

        memset(o, 0, sizeof(*o));
        for (size_t i = 0; i < sizeof(all_dialects) / sizeof(all_dialects[0]); i++)
                if (all_dialects[i] >= conf->dialect_min && all_dialects[i] <= conf->dialect_max)
                        o->dialects[n++] = all_dialects[i];
        o->req.dialects = o->dialects;
        o->req.dialect_count = n;
        o->req.security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED |
                               (conf->signing == SMB_SIGNING_REQUIRED
                                        ? SMB2_NEGOTIATE_SIGNING_REQUIRED : 0);
        if (conf->dialect_max >= SMB2_DIALECT_210)
                o->req.capabilities |= SMB2_GLOBAL_CAP_LARGE_MTU;
        if (conf->dialect_max >= SMB2_DIALECT_300 && conf->encryption != SMB_ENCRYPTION_OFF)
                o->req.capabilities |= SMB2_GLOBAL_CAP_ENCRYPTION;
        memcpy(o->req.client_guid, c->client_guid, SMB2_GUID_SIZE);
        if (conf->dialect_max >= SMB2_DIALECT_311) {
                o->req.salt = o->salt;
                o->req.salt_len = sizeof(o->salt);
                if (conf->encryption != SMB_ENCRYPTION_OFF) {
                        for (unsigned i = 0; i < conf->n_ciphers; i++)
                                o->ciphers[i] = conf->ciphers[i];
                        o->req.ciphers = o->ciphers;
                        o->req.cipher_count = (uint16_t)conf->n_ciphers;
                }
                o->signing_algs[0] = SMB2_SIGNING_AES_GMAC;
                o->signing_algs[1] = SMB2_SIGNING_AES_CMAC;
                o->signing_algs[2] = SMB2_SIGNING_HMAC_SHA256;
                o->req.signing_algs = o->signing_algs;
                o->req.signing_alg_count = 3;
        }
}

static void negotiate_fail(struct smb_conn *c, int error, uint32_t status, const char *what)
{
        char cause[200];
        if (status)
                snprintf(cause, sizeof(cause), "NEGOTIATE failed: %s (%s)", what,
                         ntstatus_name(status));
        else
                snprintf(cause, sizeof(cause), "NEGOTIATE failed: %s: %s", what,
                         strerror(-error));
        smb_conn_set_error(c, error, status, cause);
        c->last_status = status;
        smb_conn_drop(c, error, cause);
        /* Keep the precise reason (the drop overwrote nothing but errno). */
        smb_conn_set_error(c, error, status, cause);
}

static void negotiate_done(struct smb_req *r, int error, uint32_t status, const uint8_t *msg,
                           size_t len)
{
        struct smb_conn *c = r->conn;
        struct neg_offer *o = r->userdata;
        struct smb2_negotiate_rsp rsp;
        char cause[200];
        int ret;

        if (error < 0) {
                negotiate_fail(c, error, 0, "no valid response");
                goto out;
        }
        if (status != STATUS_SUCCESS) {
                int e = ntstatus_to_errno(status);
                negotiate_fail(c, e < 0 ? e : -EPROTO, status, "server refused");
                goto out;
        }
        ret = smb2_negotiate_rsp_decode(msg, len, &o->req, &rsp);
        if (ret < 0) {
                negotiate_fail(c, ret == -EPROTO ? -EPROTONOSUPPORT : ret, 0,
                               ret == -EPROTO ? "server chose something we did not offer"
                                              : "malformed response");
                goto out;
        }
        if (rsp.dialect < c->conf->dialect_min || rsp.dialect > c->conf->dialect_max) {
                negotiate_fail(c, -EPROTONOSUPPORT, 0, "dialect out of the configured range");
                goto out;
        }
        c->dialect = rsp.dialect;
        c->server_sec_mode = rsp.security_mode;
        c->server_caps = rsp.capabilities;
        memcpy(c->server_guid, rsp.server_guid, sizeof(c->server_guid));
        if (rsp.dialect == SMB2_DIALECT_311) {
                struct iovec a = { (void *)smb_req_msg(r), smb_req_msg_len(r) };
                struct iovec b = { (void *)msg, len };
                memset(c->preauth, 0, sizeof(c->preauth));
                if (smb_preauth_update(c->preauth, &a, 1) < 0 ||
                    smb_preauth_update(c->preauth, &b, 1) < 0) {
                        negotiate_fail(c, -EIO, 0, "pre-auth hash");
                        goto out;
                }
                c->cipher = rsp.has_encryption ? rsp.cipher : 0;
                c->sign_alg = rsp.has_signing ? rsp.signing_alg : SMB2_SIGNING_AES_CMAC;
        } else if (rsp.dialect >= SMB2_DIALECT_300) {
                c->cipher = (rsp.capabilities & SMB2_GLOBAL_CAP_ENCRYPTION) &&
                                            c->conf->encryption != SMB_ENCRYPTION_OFF
                                    ? SMB2_ENCRYPTION_AES128_CCM : 0;
                c->sign_alg = SMB2_SIGNING_AES_CMAC;
        } else {
                c->cipher = 0;
                c->sign_alg = SMB2_SIGNING_HMAC_SHA256;
        }
        if (c->conf->encryption == SMB_ENCRYPTION_ALWAYS && !c->cipher) {
                negotiate_fail(c, -EPROTONOSUPPORT, 0,
                               "encryption is required but the server offers no common cipher");
                goto out;
        }
        uint32_t large = (rsp.capabilities & SMB2_GLOBAL_CAP_LARGE_MTU) ? MAX_IO_CAP : 65536;
        uint32_t cap = c->conf->max_io && c->conf->max_io < large ? c->conf->max_io : large;
        c->max_read = rsp.max_read_size < cap ? rsp.max_read_size : cap;
        c->max_write = rsp.max_write_size < cap ? rsp.max_write_size : cap;
        c->max_trans = rsp.max_transact_size < cap ? rsp.max_transact_size : cap;
        if (c->max_read < 4096 || c->max_write < 4096 || c->max_trans < 4096) {
                negotiate_fail(c, -EPROTO, 0, "server sizes below 4 KiB");
                goto out;
        }
        uint32_t biggest = c->max_read > c->max_write ? c->max_read : c->max_write;
        if (c->max_trans > biggest)
                biggest = c->max_trans;
        c->max_frame = biggest + 4096 + SMB2_TRANSFORM_HDR_SIZE;
        if (c->max_frame > SMB2_TCP_FRAME_MAX)
                c->max_frame = SMB2_TCP_FRAME_MAX;
        snprintf(cause, sizeof(cause), "negotiated SMB %s, signing %s, cipher %s",
                 smb_dialect_name(c->dialect), smb_sign_alg_name(c->sign_alg),
                 smb_cipher_name(c->cipher));
        smb_sm_release(&c->sm, SMB_CHAN_GOOD, 0, cause);
out:
        free(o);
}

int smb_negotiate_start(struct smb_conn *c)
{
        struct neg_offer *o = calloc(1, sizeof(*o));
        struct smb_req *r;
        struct wire_wr w;
        int ret;

        if (!o)
                return -ENOMEM;
        fill_offer(c, o);
        if (o->req.dialect_count == 0) {
                free(o);
                return -EINVAL;
        }
        ret = smb_random(o->salt, sizeof(o->salt));
        r = ret == 0 ? smb_req_new(c, NULL, SMB2_NEGOTIATE, 512) : NULL;
        if (!r) {
                free(o);
                return ret < 0 ? ret : -ENOMEM;
        }
        w = smb_req_body(r);
        ret = smb2_negotiate_req_encode(&w, &o->req);
        if (ret == 0)
                ret = smb_req_finish(r, &w);
        if (ret < 0) {
                smb_req_free(r);
                free(o);
                return ret;
        }
        r->charge = 0;
        /* A server that accepts TCP but never answers NEGOTIATE (hung, or
         * a blackhole in between) is given the connect timeout, not the
         * much longer request timeout. */
        r->timeout_us = (uint64_t)c->conf->connect_timeout_ms * 1000u;
        r->done = negotiate_done;
        r->userdata = o;
        ret = smb_req_submit(r);
        if (ret < 0)
                free(o);
        return ret;
}

/* --- session ------------------------------------------------------------------ */

bool smb_session_can_sign(const struct smb_session *ses)
{
        return ses && ses->keys_valid;
}

int smb_session_next_nonce(struct smb_session *ses, uint8_t *nonce, size_t len)
{
        /* Unique per key: a random 4-byte (CCM: 3-byte) prefix chosen at setup
         * and a 64-bit counter; 2^64 messages never wrap in practice. */
        uint64_t n = ++ses->nonce_counter;
        size_t salt = len >= 12 ? 4 : 3;
        if (len < 11)
                return -EINVAL;
        memset(nonce, 0, len);
        memcpy(nonce, ses->nonce_salt, salt);
        for (size_t i = 0; i < 8; i++)
                nonce[salt + i] = (uint8_t)(n >> (8 * i));
        return 0;
}

static void setup_clear(struct smb_session *ses)
{
        free(ses->ntlm_neg);
        ses->ntlm_neg = NULL;
        ses->ntlm_neg_len = 0;
        if (ses->gss_valid)
                ntlm_gss_wipe(&ses->gss);
        ses->gss_valid = false;
        ses->legs = 0;
        smb_wipe(ses->exported_key, sizeof(ses->exported_key));
}

static void setup_fail(struct smb_session *ses, int error, uint32_t status, const char *what)
{
        char cause[200];

        if (status)
                snprintf(cause, sizeof(cause), "SESSION_SETUP failed: %s (%s)", what,
                         ntstatus_name(status));
        else
                snprintf(cause, sizeof(cause), "SESSION_SETUP failed: %s: %s", what,
                         strerror(-error));
        ses->last_errno = error;
        ses->last_status = status;
        smb_copy_msg(ses->last_error, sizeof(ses->last_error), cause);
        ses->last_error_at = smb_realtime_us();
        setup_clear(ses);
        ses->keys_valid = false;
        smb_wipe(&ses->keys, sizeof(ses->keys));
        smb_sm_release(&ses->sm, SMB_SES_NEED_RECONNECT, error, cause);
}

static void setup_done(struct smb_req *r, int error, uint32_t status, const uint8_t *msg,
                       size_t len);

static int send_setup(struct smb_session *ses, const uint8_t *token, size_t token_len)
{
        struct smb_conn *c = ses->conn;
        struct smb_req *r = smb_req_new(c, ses, SMB2_SESSION_SETUP, 32 + token_len);
        struct wire_wr w;
        int ret;

        if (!r)
                return -ENOMEM;
        struct smb2_session_setup_req q = {
                .security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED |
                                 (c->conf->signing == SMB_SIGNING_REQUIRED
                                          ? SMB2_NEGOTIATE_SIGNING_REQUIRED : 0),
                .previous_session_id = ses->legs == 0 ? ses->previous_session_id : 0,
                .security_buffer = token,
                .security_buffer_len = token_len,
        };
        w = smb_req_body(r);
        ret = smb2_session_setup_req_encode(&w, &q);
        if (ret < 0) {
                smb_req_free(r);
                return ret;
        }
        r->no_verify = true;
        ses->legs++;
        return smb_req_send(r, &w, 0, 0, setup_done, ses);
}

static int start_setup(struct smb_session *ses)
{
        struct smb_conn *c = ses->conn;
        uint8_t neg[64];
        uint8_t *tok = NULL;
        size_t tok_len = 0;
        int n, ret;

        setup_clear(ses);
        if (ses->session_id)
                ses->previous_session_id = ses->session_id;
        ses->session_id = 0;
        ses->keys_valid = false;
        ses->session_flags = 0;
        memcpy(ses->preauth, c->preauth, sizeof(ses->preauth));
        n = ntlm_build_negotiate(NTLM_DEFAULT_FLAGS, NULL, neg, sizeof(neg));
        if (n < 0)
                return n;
        ses->ntlm_neg = malloc((size_t)n);
        if (!ses->ntlm_neg)
                return -ENOMEM;
        memcpy(ses->ntlm_neg, neg, (size_t)n);
        ses->ntlm_neg_len = (size_t)n;
        ret = spnego_build_init(neg, (size_t)n, &tok, &tok_len);
        if (ret < 0)
                return ret;
        ret = send_setup(ses, tok, tok_len);
        free(tok);
        return ret;
}

static int preauth_add(struct smb_session *ses, const uint8_t *p, size_t len)
{
        struct iovec iov = { (void *)p, len };
        if (ses->conn->dialect != SMB2_DIALECT_311)
                return 0;
        return smb_preauth_update(ses->preauth, &iov, 1);
}

static void setup_challenge(struct smb_session *ses, const struct smb2_hdr *h, const uint8_t *msg,
                            size_t len)
{
        struct smb_conn *c = ses->conn;
        struct smb2_session_setup_rsp rsp;
        struct spnego_resp sr;
        struct ntlm_auth_result res;
        uint8_t *auth = NULL, *tok = NULL, mic[16];
        size_t auth_len = 0, tok_len = 0;
        int ret;

        if (ses->legs >= SETUP_MAX_LEGS)
                return setup_fail(ses, -EPROTO, 0, "too many round trips");
        if (preauth_add(ses, msg, len) < 0)
                return setup_fail(ses, -EIO, 0, "pre-auth hash");
        ses->session_id = h->session_id;
        ret = smb2_session_setup_rsp_decode(msg, len, &rsp);
        if (ret == 0)
                ret = spnego_parse_resp(rsp.security_buffer, rsp.security_buffer_len, &sr);
        if (ret < 0 || !sr.response_token)
                return setup_fail(ses, ret < 0 ? ret : -EBADMSG, 0, "bad NTLM challenge");
        struct ntlm_creds creds = {
                .user = c->conf->user ? c->conf->user : "",
                .domain = c->conf->domain ? c->conf->domain : "",
                .password = c->conf->password ? c->conf->password : "",
                .workstation = c->conf->workstation,
        };
        ret = ntlm_build_authenticate(&creds, ses->ntlm_neg, ses->ntlm_neg_len, sr.response_token,
                                      sr.response_token_len, NULL, &auth, &auth_len, &res);
        if (ret < 0)
                return setup_fail(ses, ret, 0, "cannot answer the NTLM challenge");
        if (res.session_key_len) {
                ret = ntlm_gss_init(&ses->gss, res.session_key, res.flags);
                if (ret == 0) {
                        ses->gss_valid = true;
                        ret = ntlm_gss_getmic(&ses->gss, SPNEGO_NTLM_MECH_LIST,
                                              SPNEGO_NTLM_MECH_LIST_LEN, mic);
                }
                if (ret < 0) {
                        free(auth);
                        return setup_fail(ses, ret, 0, "mechListMIC");
                }
                /* The exported key becomes the SMB session key. */
                memcpy(ses->exported_key, res.session_key, sizeof(ses->exported_key));
        }
        ret = spnego_build_resp(-1, auth, auth_len, res.session_key_len ? mic : NULL,
                                res.session_key_len ? sizeof(mic) : 0, &tok, &tok_len);
        free(auth);
        smb_wipe(&res, sizeof(res));
        if (ret == 0)
                ret = send_setup(ses, tok, tok_len);
        free(tok);
        if (ret < 0)
                setup_fail(ses, ret, 0, "cannot send the NTLM authentication");
}

static void setup_success(struct smb_session *ses, const struct smb2_hdr *h, const uint8_t *msg,
                          size_t len)
{
        struct smb_conn *c = ses->conn;
        const struct smb_server_conf *conf = c->conf;
        struct smb2_session_setup_rsp rsp;
        uint8_t session_key[16];
        char cause[200];
        int ret;

        ret = smb2_session_setup_rsp_decode(msg, len, &rsp);
        if (ret < 0)
                return setup_fail(ses, ret, 0, "malformed final response");
        if (ses->legs < 2)
                return setup_fail(ses, -EPROTO, 0, "server skipped authentication");
        if (h->session_id != ses->session_id)
                return setup_fail(ses, -EPROTO, 0, "session id changed");
        ses->session_flags = rsp.session_flags;
        bool guest = rsp.session_flags & (SMB2_SESSION_FLAG_IS_GUEST | SMB2_SESSION_FLAG_IS_NULL);
        if (guest && !conf->allow_guest)
                return setup_fail(ses, -EACCES, STATUS_LOGON_FAILURE,
                                  "the server logged us on as guest (allow_guest is off)");
        if (rsp.security_buffer_len && ses->gss_valid) {
                struct spnego_resp sr;
                if (spnego_parse_resp(rsp.security_buffer, rsp.security_buffer_len, &sr) < 0)
                        return setup_fail(ses, -EBADMSG, 0, "malformed final SPNEGO token");
                if (sr.neg_state == SPNEGO_REJECT)
                        return setup_fail(ses, -EACCES, 0, "SPNEGO rejected");
                if (sr.mech_list_mic &&
                    ntlm_gss_verifymic(&ses->gss, SPNEGO_NTLM_MECH_LIST,
                                       SPNEGO_NTLM_MECH_LIST_LEN, sr.mech_list_mic,
                                       sr.mech_list_mic_len) < 0)
                        return setup_fail(ses, -EBADMSG, 0, "server mechListMIC invalid");
        }
        memcpy(session_key, ses->exported_key, sizeof(session_key));
        smb_wipe(ses->exported_key, sizeof(ses->exported_key));
        if (!guest) {
                ret = smb_derive_keys(c->dialect, c->cipher, session_key, sizeof(session_key),
                                      c->dialect == SMB2_DIALECT_311 ? ses->preauth : NULL,
                                      &ses->keys);
                smb_wipe(session_key, sizeof(session_key));
                if (ret < 0)
                        return setup_fail(ses, ret, 0, "key derivation");
                if (h->flags & SMB2_FLAGS_SIGNED) {
                        struct iovec iov = { (void *)msg, len };
                        if (smb_verify(c->sign_alg, ses->keys.signing, &iov, 1) < 0) {
                                c->stats.bad_signatures++;
                                return setup_fail(ses, -EBADMSG, 0,
                                                  "final response has a bad signature");
                        }
                } else if (c->dialect == SMB2_DIALECT_311) {
                        return setup_fail(ses, -EBADMSG, 0, "final response is not signed");
                }
        } else {
                smb_wipe(session_key, sizeof(session_key));
                memset(&ses->keys, 0, sizeof(ses->keys));
        }
        ses->signing = !guest && (conf->signing == SMB_SIGNING_REQUIRED ||
                                  (c->server_sec_mode & SMB2_NEGOTIATE_SIGNING_REQUIRED) ||
                                  (conf->signing == SMB_SIGNING_IF_OFFERED &&
                                   (c->server_sec_mode & SMB2_NEGOTIATE_SIGNING_ENABLED)));
        if (conf->signing == SMB_SIGNING_REQUIRED && guest)
                return setup_fail(ses, -EACCES, 0, "signing required but the logon is a guest");
        ses->encrypt = (rsp.session_flags & SMB2_SESSION_FLAG_ENCRYPT_DATA) ||
                       conf->encryption == SMB_ENCRYPTION_ALWAYS;
        if (ses->encrypt && (guest || !c->cipher || !ses->keys.cipher_key_len))
                return setup_fail(ses, -EPROTONOSUPPORT, 0,
                                  "the session needs encryption but no cipher is available");
        if (smb_random(ses->nonce_salt, sizeof(ses->nonce_salt)) < 0)
                return setup_fail(ses, -EIO, 0, "random");
        ses->nonce_counter = 0;
        ses->keys_valid = true;
        ses->chans_need_reconnect &= ~1u;
        ses->setups++;
        setup_clear(ses);
        snprintf(cause, sizeof(cause), "logged on as %s%s%s, signing %s, encryption %s",
                 conf->domain && *conf->domain ? conf->domain : "",
                 conf->domain && *conf->domain ? "\\" : "", conf->user ? conf->user : "",
                 ses->signing ? "on" : "off",
                 ses->encrypt ? smb_cipher_name(c->cipher) : "off");
        ses->last_errno = 0;
        ses->last_status = 0;
        smb_sm_release(&ses->sm, SMB_SES_GOOD, 0, cause);
}

static void setup_done(struct smb_req *r, int error, uint32_t status, const uint8_t *msg,
                       size_t len)
{
        struct smb_session *ses = r->userdata;
        struct smb2_hdr h;

        if (!smb_sm_is(&ses->sm, SMB_SES_IN_SETUP))
                return;         /* the claim ended meanwhile (channel lost) */
        if (error < 0)
                return setup_fail(ses, error, 0, "no valid response");
        if (smb2_hdr_decode(msg, len, &h) < 0)
                return setup_fail(ses, -EBADMSG, 0, "malformed response");
        if (preauth_add(ses, smb_req_msg(r), smb_req_msg_len(r)) < 0)
                return setup_fail(ses, -EIO, 0, "pre-auth hash");
        if (status == STATUS_MORE_PROCESSING_REQUIRED)
                return setup_challenge(ses, &h, msg, len);
        if (status == STATUS_SUCCESS)
                return setup_success(ses, &h, msg, len);
        int e = ntstatus_to_errno(status);
        setup_fail(ses, e < 0 ? e : -EACCES, status, "server refused");
}

static void on_chan_ready(struct smb_waiter *w, int error)
{
        struct smb_session *ses = (struct smb_session *)((char *)w -
                                                          offsetof(struct smb_session, chan_wait));
        struct smb_conn *c = ses->conn;
        int ret;

        if (!smb_sm_is(&ses->sm, SMB_SES_IN_SETUP))
                return;
        if (error < 0)
                return setup_fail(ses, error, c->last_status,
                                  c->last_error[0] ? c->last_error : "channel failed");
        ret = start_setup(ses);
        if (ret < 0)
                setup_fail(ses, ret, 0, "cannot start");
}

int smb_session_ensure(struct smb_session *ses, struct smb_waiter *w)
{
        int r;

        switch (ses->sm.state) {
        case SMB_SES_GOOD:
                return 0;
        case SMB_SES_EXITING:
                return -ESHUTDOWN;
        case SMB_SES_IN_SETUP:
                smb_sm_wait(&ses->sm, w);
                return -EINPROGRESS;
        default:
                break;
        }
        r = smb_sm_claim(&ses->sm, SMB_SES_IN_SETUP, "session setup started");
        if (r < 0)
                return r;
        smb_sm_wait(&ses->sm, w);
        r = smb_conn_ensure(ses->conn, &ses->chan_wait);
        if (r == 0)
                r = start_setup(ses);
        if (r < 0 && r != -EINPROGRESS) {
                /* Nobody but `w` waits yet, and it must not hear it inline. */
                smb_sm_unwait(w);
                setup_fail(ses, r, ses->conn->last_status,
                           ses->conn->last_error[0] ? ses->conn->last_error : "cannot start");
                return r;
        }
        return -EINPROGRESS;
}

void smb_session_channel_lost(struct smb_session *ses, const char *cause)
{
        ses->chans_need_reconnect |= 1u;
        if (!smb_sm_is(&ses->sm, SMB_SES_GOOD))
                return;         /* in_setup fails through its own request */
        ses->keys_valid = false;
        smb_ses_transition(&ses->sm, SMB_SES_NEED_RECONNECT, cause);
        for (struct smb_tcon *t = ses->tcons; t; t = t->next)
                smb_tcon_session_lost(t, cause);
}

void smb_session_mark_reconnect(struct smb_session *ses, const char *cause)
{
        if (!smb_sm_is(&ses->sm, SMB_SES_GOOD))
                return;
        ses->keys_valid = false;
        smb_ses_transition(&ses->sm, SMB_SES_NEED_RECONNECT, cause);
        for (struct smb_tcon *t = ses->tcons; t; t = t->next)
                smb_tcon_session_lost(t, cause);
}

void smb_session_snapshot(struct smb_session *ses, json_t *d)
{
        char sid[24];
        snprintf(sid, sizeof(sid), "0x%016llx", (unsigned long long)ses->session_id);
        json_object_set_new(d, "session_id", json_string(sid));
        json_object_set_new(d, "user", json_string(ses->conn->conf->user ? ses->conn->conf->user
                                                                         : ""));
        json_object_set_new(d, "dialect", json_string(smb_dialect_name(ses->conn->dialect)));
        json_object_set_new(d, "signing", json_boolean(ses->signing));
        json_object_set_new(d, "signing_algorithm",
                            json_string(ses->signing ? smb_sign_alg_name(ses->conn->sign_alg)
                                                     : "none"));
        json_object_set_new(d, "encryption", json_boolean(ses->encrypt));
        json_object_set_new(d, "cipher",
                            json_string(smb_cipher_name(ses->keys_valid ? ses->conn->cipher : 0)));
        json_object_set_new(d, "guest",
                            json_boolean(ses->session_flags & SMB2_SESSION_FLAG_IS_GUEST));
        json_object_set_new(d, "channels_need_reconnect", json_integer(ses->chans_need_reconnect));
        json_object_set_new(d, "setups", json_integer((json_int_t)ses->setups));
        json_object_set_new(d, "reconnect_count",
                            json_integer((json_int_t)(ses->setups ? ses->setups - 1 : 0)));
        json_object_set_new(d, "generation", json_integer((json_int_t)ses->conn->generation));
        json_t *le = json_object();
        json_object_set_new(le, "ntstatus",
                            json_string(ses->last_status ? ntstatus_name(ses->last_status) : ""));
        json_object_set_new(le, "errno", json_integer(-ses->last_errno));
        json_object_set_new(le, "time", smb_time_json(ses->last_error_at));
        json_object_set_new(le, "message", json_string(ses->last_error));
        json_object_set_new(d, "last_error", le);
}

int smb_session_new(struct smb_conn *conn, const char *id, struct smb_session **ret)
{
        struct smb_session *ses = calloc(1, sizeof(*ses));
        if (!ses)
                return -ENOMEM;
        ses->id = strdup(id);
        if (!ses->id) {
                free(ses);
                return -ENOMEM;
        }
        ses->api = conn->api;
        ses->ctx = conn->ctx;
        ses->conn = conn;
        ses->chans_need_reconnect = 1u;
        ses->chan_wait.fn = on_chan_ready;
        smb_sm_init(&ses->sm, &smb_ses_table, conn->api, conn->ctx, ses->id);
        conn->ses = ses;
        *ret = ses;
        return 0;
}

static void logoff_done(struct smb_req *r, int error, uint32_t status, const uint8_t *msg,
                        size_t len)
{
}

void smb_session_free(struct smb_session *ses)
{
        if (!ses)
                return;
        struct smb_conn *c = ses->conn;
        if (smb_sm_is(&ses->sm, SMB_SES_GOOD) && smb_sm_is(&c->sm, SMB_CHAN_GOOD)) {
                struct smb_req *r = smb_req_new(c, ses, SMB2_LOGOFF, 8);
                if (r) {
                        struct wire_wr w = smb_req_body(r);
                        smb2_logoff_req_encode(&w);
                        if (smb_req_finish(r, &w) == 0) {
                                r->done = logoff_done;
                                smb_req_submit(r);
                        } else {
                                smb_req_free(r);
                        }
                }
        }
        smb_sm_unwait(&ses->chan_wait);
        if (!smb_sm_is(&ses->sm, SMB_SES_EXITING))
                smb_ses_transition(&ses->sm, SMB_SES_EXITING, "session closed");
        smb_sm_wake(&ses->sm, -ECANCELED);
        smb_sm_unpublish(&ses->sm);
        setup_clear(ses);
        smb_wipe(&ses->keys, sizeof(ses->keys));
        /* Requests still queued on the channel point at us: detach them. */
        c->ses = NULL;
        ses->keys_valid = false;
        free(ses->id);
        free(ses);
}
