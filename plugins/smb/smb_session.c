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

#define MAX_IO_CAP (8u << 20)

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
        if (conf->dialect_max >= SMB2_DIALECT_300 && conf->channels > 1)
                o->req.capabilities |= SMB2_GLOBAL_CAP_MULTI_CHANNEL;
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
        smb_auth_clear(&ses->auth);
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

static int send_setup(struct smb_session *ses, const uint8_t *tok, size_t tok_len)
{
        return smb_auth_send(&ses->auth, ses->conn, ses, 0, ses->previous_session_id, tok,
                             tok_len, setup_done, ses, 0);
}

static int start_setup(struct smb_session *ses)
{
        uint8_t *tok = NULL;
        size_t tok_len = 0;
        int ret;

        if (ses->session_id)
                ses->previous_session_id = ses->session_id;
        ses->session_id = 0;
        ses->keys_valid = false;
        ses->session_flags = 0;
        ret = smb_auth_start(&ses->auth, ses->conn, &tok, &tok_len);
        if (ret == 0)
                ret = send_setup(ses, tok, tok_len);
        free(tok);
        return ret;
}

static void setup_challenge(struct smb_session *ses, const struct smb2_hdr *h, const uint8_t *msg,
                            size_t len)
{
        struct smb2_session_setup_rsp rsp;
        const char *what = "malformed challenge";
        uint8_t *tok = NULL;
        size_t tok_len = 0;
        int ret;

        if (smb_auth_hash(&ses->auth, msg, len) < 0)
                return setup_fail(ses, -EIO, 0, "pre-auth hash");
        ses->session_id = h->session_id;
        ret = smb2_session_setup_rsp_decode(msg, len, &rsp);
        if (ret == 0)
                ret = smb_auth_answer(&ses->auth, ses->conn->conf, rsp.security_buffer,
                                      rsp.security_buffer_len, &tok, &tok_len, &what);
        if (ret == 0)
                ret = send_setup(ses, tok, tok_len);
        free(tok);
        if (ret < 0)
                setup_fail(ses, ret, 0, what);
}

/* The setup channel carries the session: Channel.SigningKey =
 * Session.SigningKey (3.2.5.3.1). */
static void bind_setup_channel(struct smb_session *ses)
{
        struct smb_conn *c = ses->conn;

        memcpy(c->signing_key, ses->keys.signing, sizeof(c->signing_key));
        c->bound = true;
        ses->chans_need_reconnect &= ~(1u << c->index);
        ses->binds[c->index].binds++;
}

static void setup_success(struct smb_session *ses, const struct smb2_hdr *h, const uint8_t *msg,
                          size_t len)
{
        struct smb_conn *c = ses->conn;
        const struct smb_server_conf *conf = c->conf;
        struct smb2_session_setup_rsp rsp;
        const char *what = "";
        char cause[200];
        int ret;

        ret = smb2_session_setup_rsp_decode(msg, len, &rsp);
        if (ret < 0)
                return setup_fail(ses, ret, 0, "malformed final response");
        if (ses->auth.legs < 2)
                return setup_fail(ses, -EPROTO, 0, "server skipped authentication");
        if (h->session_id != ses->session_id)
                return setup_fail(ses, -EPROTO, 0, "session id changed");
        ses->session_flags = rsp.session_flags;
        bool guest = rsp.session_flags & (SMB2_SESSION_FLAG_IS_GUEST | SMB2_SESSION_FLAG_IS_NULL);
        if (guest && !conf->allow_guest)
                return setup_fail(ses, -EACCES, STATUS_LOGON_FAILURE,
                                  "the server logged us on as guest (allow_guest is off)");
        ret = smb_auth_finish(&ses->auth, rsp.security_buffer, rsp.security_buffer_len, &what);
        if (ret < 0)
                return setup_fail(ses, ret, 0, what);
        if (!guest) {
                ret = smb_derive_keys(c->dialect, c->cipher, ses->auth.key, sizeof(ses->auth.key),
                                      c->dialect == SMB2_DIALECT_311 ? ses->auth.preauth : NULL,
                                      &ses->keys);
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
        ses->dialect = c->dialect;
        ses->cipher = c->cipher;
        ses->sign_alg = c->sign_alg;
        ses->keys_valid = true;
        ses->setups++;
        bind_setup_channel(ses);
        setup_clear(ses);
        snprintf(cause, sizeof(cause), "logged on as %s%s%s, signing %s, encryption %s",
                 conf->domain && *conf->domain ? conf->domain : "",
                 conf->domain && *conf->domain ? "\\" : "", conf->user ? conf->user : "",
                 ses->signing ? "on" : "off",
                 ses->encrypt ? smb_cipher_name(c->cipher) : "off");
        ses->last_errno = 0;
        ses->last_status = 0;
        smb_sm_release(&ses->sm, SMB_SES_GOOD, 0, cause);
        /* A new session: every other channel binds, even one the last
         * session could not bind. */
        for (unsigned i = 0; i < ses->n_chans; i++)
                ses->binds[i].unsupported = false;
        if (smb_sm_is(&ses->sm, SMB_SES_GOOD))
                smb_session_bind_all(ses);
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
        if (smb_auth_hash(&ses->auth, smb_req_msg(r), smb_req_msg_len(r)) < 0)
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

/* --- channels ------------------------------------------------------------------- */

unsigned smb_session_bound_channels(const struct smb_session *ses)
{
        unsigned n = 0;
        for (unsigned i = 0; i < ses->n_chans; i++)
                n += ses->chans[i]->bound;
        return n;
}

bool smb_session_peers_alive(struct smb_session *ses)
{
        bool alive = true;

        for (unsigned i = 0; i < ses->n_chans; i++) {
                struct smb_conn *c = ses->chans[i];
                if (!c->bound || c->last_rx_us > ses->chan_lost_us)
                        continue;
                smb_conn_probe(c);
                alive = false;
        }
        return alive;
}

struct smb_conn *smb_session_pick(struct smb_session *ses)
{
        struct smb_conn *best = NULL;
        unsigned best_load = 0;

        for (unsigned i = 0; i < ses->n_chans; i++) {
                struct smb_conn *c = ses->chans[i];
                if (!c->bound || !smb_sm_is(&c->sm, SMB_CHAN_GOOD) || c->drill_hang)
                        continue;
                unsigned load = c->n_pending + c->n_credit_wait;
                if (!best || load < best_load)
                        best = c, best_load = load;
        }
        return best ? best : ses->conn;
}

void smb_session_new_client_guid(struct smb_session *ses, struct smb_conn *c)
{
        uint8_t guid[16];

        if (smb_random(guid, sizeof(guid)) < 0)
                memset(guid, 0, sizeof(guid));
        if (!ses) {
                memcpy(c->client_guid, guid, sizeof(guid));
                return;
        }
        for (unsigned i = 0; i < ses->n_chans; i++)
                memcpy(ses->chans[i]->client_guid, guid, sizeof(guid));
}

int smb_session_add_channel(struct smb_session *ses, struct smb_conn *c)
{
        if (ses->n_chans >= SMB_MAX_CHANNELS)
                return -ERANGE;
        c->index = ses->n_chans;
        c->ses = ses;
        memcpy(c->client_guid, ses->conn->client_guid, sizeof(c->client_guid));
        ses->chans[ses->n_chans] = c;
        ses->binds[c->index].ses = ses;
        ses->binds[c->index].index = c->index;
        ses->n_chans++;
        ses->chans_need_reconnect |= 1u << c->index;
        return 0;
}

/* Every channel loses its binding (the session id is about to change). */
static void unbind_all(struct smb_session *ses)
{
        ses->binds_queued = 0;
        for (unsigned i = 0; i < ses->n_chans; i++) {
                if (ses->binds[i].running)
                        smb_bind_clear(&ses->binds[i]);
                ses->chans[i]->bound = false;
                smb_wipe(ses->chans[i]->signing_key, sizeof(ses->chans[i]->signing_key));
                ses->chans_need_reconnect |= 1u << i;
        }
}

static void session_lost(struct smb_session *ses, const char *cause)
{
        unbind_all(ses);
        if (!smb_sm_is(&ses->sm, SMB_SES_GOOD))
                return;         /* in_setup fails through its own request */
        ses->keys_valid = false;
        smb_ses_transition(&ses->sm, SMB_SES_NEED_RECONNECT, cause);
        for (struct smb_tcon *t = ses->tcons; t; t = t->next)
                smb_tcon_session_lost(t, cause);
}

void smb_session_channel_lost(struct smb_session *ses, struct smb_conn *c, const char *cause)
{
        bool was_bound = c->bound;

        ses->chans_need_reconnect |= 1u << c->index;
        c->bound = false;
        if (smb_sm_is(&ses->sm, SMB_SES_GOOD) && smb_session_bound_channels(ses)) {
                /* The others carry on; requests that were on c fail with the
                 * transport error and are retried on them. */
                if (was_bound)
                        ses->chan_lost_us = smb_now_us();
                if (was_bound)
                        gwd_log(ses->api, ses->ctx, GWD_LOG_INFO,
                                "%s: channel %s lost, %u of %u still bound (%s)", ses->id, c->id,
                                smb_session_bound_channels(ses), ses->n_chans, cause);
                return;
        }
        session_lost(ses, cause);
}

void smb_session_mark_reconnect(struct smb_session *ses, const char *cause)
{
        if (!smb_sm_is(&ses->sm, SMB_SES_GOOD))
                return;
        session_lost(ses, cause);
}

void smb_session_snapshot(struct smb_session *ses, json_t *d)
{
        char sid[24];
        snprintf(sid, sizeof(sid), "0x%016llx", (unsigned long long)ses->session_id);
        json_object_set_new(d, "session_id", json_string(sid));
        json_object_set_new(d, "user", json_string(ses->conn->conf->user ? ses->conn->conf->user
                                                                         : ""));
        json_object_set_new(d, "dialect", json_string(smb_dialect_name(ses->dialect)));
        json_object_set_new(d, "signing", json_boolean(ses->signing));
        json_object_set_new(d, "signing_algorithm",
                            json_string(ses->signing ? smb_sign_alg_name(ses->sign_alg) : "none"));
        json_object_set_new(d, "encryption", json_boolean(ses->encrypt));
        json_object_set_new(d, "cipher",
                            json_string(smb_cipher_name(ses->keys_valid ? ses->cipher : 0)));
        json_object_set_new(d, "guest",
                            json_boolean(ses->session_flags & SMB2_SESSION_FLAG_IS_GUEST));
        json_object_set_new(d, "channels", json_integer(ses->n_chans));
        json_object_set_new(d, "channels_bound", json_integer(smb_session_bound_channels(ses)));
        json_object_set_new(d, "channels_need_reconnect", json_integer(ses->chans_need_reconnect));
        json_t *ch = json_array();
        for (unsigned i = 0; i < ses->n_chans; i++) {
                const struct smb_bind *b = &ses->binds[i];
                json_t *o = json_object();
                json_object_set_new(o, "id", json_string(ses->chans[i]->id));
                json_object_set_new(o, "bound", json_boolean(ses->chans[i]->bound));
                json_object_set_new(o, "binding", json_boolean(b->running));
                json_object_set_new(o, "bind_queued",
                                    json_boolean(ses->binds_queued & (1u << i)));
                json_object_set_new(o, "binds", json_integer((json_int_t)b->binds));
                if (b->last_error[0])
                        json_object_set_new(o, "last_error", json_string(b->last_error));
                json_array_append_new(ch, o);
        }
        json_object_set_new(d, "channel_list", ch);
        json_object_set_new(d, "setups", json_integer((json_int_t)ses->setups));
        json_object_set_new(d, "reconnect_count",
                            json_integer((json_int_t)(ses->setups ? ses->setups - 1 : 0)));
        json_object_set_new(d, "generation", json_integer((json_int_t)ses->setups));
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
        ses->chan_wait.fn = on_chan_ready;
        smb_sm_init(&ses->sm, &smb_ses_table, conn->api, conn->ctx, ses->id);
        smb_session_add_channel(ses, conn);
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
        struct smb_conn *c = smb_session_pick(ses);
        if (smb_sm_is(&ses->sm, SMB_SES_GOOD) && c->bound && smb_sm_is(&c->sm, SMB_CHAN_GOOD)) {
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
        for (unsigned i = 0; i < ses->n_chans; i++)
                smb_bind_clear(&ses->binds[i]);
        if (!smb_sm_is(&ses->sm, SMB_SES_EXITING))
                smb_ses_transition(&ses->sm, SMB_SES_EXITING, "session closed");
        smb_sm_wake(&ses->sm, -ECANCELED);
        smb_sm_unpublish(&ses->sm);
        setup_clear(ses);
        smb_wipe(&ses->keys, sizeof(ses->keys));
        /* Requests still queued on the channels point at us: detach them. */
        for (unsigned i = 0; i < ses->n_chans; i++) {
                ses->chans[i]->ses = NULL;
                ses->chans[i]->bound = false;
        }
        ses->keys_valid = false;
        free(ses->id);
        free(ses);
}
