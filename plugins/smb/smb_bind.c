/* SPDX-License-Identifier: MIT */
/*
 * Binding a further channel to a good session (SMB 3.x multichannel,
 * MS-SMB2 3.2.4.2.3 with SMB2_SESSION_FLAG_BINDING, 3.2.5.3.3).
 *
 * The channel connects and negotiates like any other, with the session's
 * ClientGuid and dialect (Samba hands the connection to the process that
 * serves the session by ClientGuid).  Then a fresh NTLM exchange runs with
 * the session's SessionId and the BINDING flag; every request of it is
 * signed with Session.SigningKey.  On success the channel's own signing
 * key is derived like a session's signing key but from the binding
 * exchange's NTLM session key (3.1.1: KDF(key, "SMBSigningKey", pre-auth
 * hash of this connection's NEGOTIATE and the binding exchange); 3.0 and
 * 3.0.2: KDF(key, "SMB2AESCMAC", "SmbSign")); the final response is signed
 * with it.  Encryption keys stay the session's.
 *
 * One binding runs at a time; the others wait in ses->binds_queued and
 * start, in channel order, as each one ends.  Samba 4.17 hands each new
 * connection of a known ClientGuid to the process serving that client;
 * with several handed over at once it sometimes never answers the first
 * SESSION_SETUP of one of them (seen on the wire: NEGOTIATE answered,
 * binding leg 1 never), which costs a connect timeout and a second
 * binding.  Binding in turn costs a few milliseconds per channel.
 *
 * A binding that fails drops the channel's socket: the engine reconnects
 * and binds it again with backoff.  A server that cannot bind (no
 * multichannel capability, dialect below 3.0) is not asked again until
 * the session is set up anew.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatewayd/registry.h"
#include "plugins/smb/ntstatus.h"
#include "plugins/smb/smb2_session.h"
#include "plugins/smb/smb_session.h"

static struct smb_conn *bind_conn(const struct smb_bind *b)
{
        return b->ses->chans[b->index];
}

void smb_bind_clear(struct smb_bind *b)
{
        b->running = false;
        b->seq++;               /* a response still on the wire is stale now */
        smb_sm_unwait(&b->chan_wait);
        smb_auth_clear(&b->auth);
}

/* The next queued channel's turn, unless a binding is running. */
static void bind_next(struct smb_session *ses)
{
        for (unsigned i = 0; i < ses->n_chans; i++)
                if (ses->binds[i].running)
                        return;
        for (unsigned i = 0; i < ses->n_chans; i++)
                if (ses->binds_queued & (1u << i)) {
                        ses->binds_queued &= ~(1u << i);
                        (void)smb_session_bind(ses, i);
                        return;
                }
}

static void bind_end(struct smb_bind *b, int error, uint32_t status, const char *what)
{
        struct smb_session *ses = b->ses;
        struct smb_conn *c = bind_conn(b);
        char cause[200];

        smb_bind_clear(b);
        if (error == 0) {
                b->binds++;
                b->last_errno = 0;
                b->last_status = 0;
                b->last_error[0] = 0;
                gwd_log(ses->api, ses->ctx, GWD_LOG_INFO, "%s: channel %s bound (%u of %u)",
                        ses->id, c->id, smb_session_bound_channels(ses), ses->n_chans);
        } else {
                if (status)
                        snprintf(cause, sizeof(cause), "binding to %s failed: %s (%s)", ses->id,
                                 what, ntstatus_name(status));
                else
                        snprintf(cause, sizeof(cause), "binding to %s failed: %s: %s", ses->id,
                                 what, strerror(-error));
                b->last_errno = error;
                b->last_status = status;
                smb_copy_msg(b->last_error, sizeof(b->last_error), cause);
                b->last_error_at = smb_realtime_us();
                if (error == -EOPNOTSUPP)
                        b->unsupported = true;
                gwd_log(ses->api, ses->ctx, b->unsupported ? GWD_LOG_WARNING : GWD_LOG_INFO,
                        "%s: %s", c->id, cause);
                /* Unbound, the connection is of no use: start again from
                 * the socket (the engine schedules it). */
                if (c->fd >= 0)
                        smb_conn_drop(c, error, cause);
                smb_conn_set_error(c, error, status, cause);
        }
        if (ses->on_bind_result)
                ses->on_bind_result(ses, b->index, error);
        bind_next(ses);
}

static void bind_done(struct smb_req *r, int error, uint32_t status, const uint8_t *msg,
                      size_t len);

static int bind_send(struct smb_bind *b, const uint8_t *tok, size_t tok_len)
{
        return smb_auth_send(&b->auth, bind_conn(b), b->ses, SMB2_SESSION_FLAG_BINDING, 0, tok,
                             tok_len, bind_done, b, b->seq);
}

static int bind_start(struct smb_bind *b)
{
        struct smb_session *ses = b->ses;
        struct smb_conn *c = bind_conn(b);
        uint8_t *tok = NULL;
        size_t tok_len = 0;
        int ret;

        if (c->dialect != ses->dialect) {
                bind_end(b, -EPROTO, 0, "the channel negotiated another dialect");
                return 0;
        }
        if (!(c->server_caps & SMB2_GLOBAL_CAP_MULTI_CHANNEL)) {
                bind_end(b, -EOPNOTSUPP, 0, "the server does not offer multichannel");
                return 0;
        }
        ret = smb_auth_start(&b->auth, c, &tok, &tok_len);
        if (ret == 0)
                ret = bind_send(b, tok, tok_len);
        free(tok);
        return ret;
}

/* The final response: derive Channel.SigningKey and check it signed. */
static void bind_success(struct smb_bind *b, const struct smb2_hdr *h, const uint8_t *msg,
                         size_t len)
{
        struct smb_session *ses = b->ses;
        struct smb_conn *c = bind_conn(b);
        struct smb2_session_setup_rsp rsp;
        struct iovec iov = { (void *)msg, len };
        uint8_t key[16];
        const char *what = "";
        int ret;

        ret = smb2_session_setup_rsp_decode(msg, len, &rsp);
        if (ret < 0)
                return bind_end(b, ret, 0, "malformed final response");
        if (h->session_id != ses->session_id)
                return bind_end(b, -EPROTO, 0, "session id differs");
        if (rsp.session_flags & (SMB2_SESSION_FLAG_IS_GUEST | SMB2_SESSION_FLAG_IS_NULL))
                return bind_end(b, -EPROTO, 0, "bound as guest");
        ret = smb_auth_finish(&b->auth, rsp.security_buffer, rsp.security_buffer_len, &what);
        if (ret < 0)
                return bind_end(b, ret, 0, what);
        /* The channel's key derives from this exchange's own NTLM session
         * key, as the session's keys did from the first one (Samba
         * verifies so; the encryption keys stay the session's). */
        if (!b->auth.have_key)
                return bind_end(b, -EPROTO, 0, "no session key from the binding");
        struct smb_keys k;
        ret = smb_derive_keys(ses->dialect, ses->cipher, b->auth.key, sizeof(b->auth.key),
                              ses->dialect == SMB2_DIALECT_311 ? b->auth.preauth : NULL, &k);
        memcpy(key, k.signing, sizeof(key));
        smb_wipe(&k, sizeof(k));
        if (ret < 0)
                return bind_end(b, ret, 0, "key derivation");
        if (!(h->flags & SMB2_FLAGS_SIGNED) || smb_verify(ses->sign_alg, key, &iov, 1) < 0) {
                smb_wipe(key, sizeof(key));
                c->stats.bad_signatures++;
                return bind_end(b, -EBADMSG, 0, "final response not signed with the channel key");
        }
        memcpy(c->signing_key, key, sizeof(c->signing_key));
        smb_wipe(key, sizeof(key));
        c->bound = true;
        ses->chans_need_reconnect &= ~(1u << b->index);
        bind_end(b, 0, 0, NULL);
}

static void bind_challenge(struct smb_bind *b, const uint8_t *msg, size_t len)
{
        struct smb2_session_setup_rsp rsp;
        const char *what = "malformed challenge";
        uint8_t *tok = NULL;
        size_t tok_len = 0;
        int ret;

        if (smb_auth_hash(&b->auth, msg, len) < 0)
                return bind_end(b, -EIO, 0, "pre-auth hash");
        ret = smb2_session_setup_rsp_decode(msg, len, &rsp);
        if (ret == 0)
                ret = smb_auth_answer(&b->auth, bind_conn(b)->conf, rsp.security_buffer,
                                      rsp.security_buffer_len, &tok, &tok_len, &what);
        if (ret == 0)
                ret = bind_send(b, tok, tok_len);
        free(tok);
        if (ret < 0)
                bind_end(b, ret, 0, what);
}

static void bind_done(struct smb_req *r, int error, uint32_t status, const uint8_t *msg,
                      size_t len)
{
        struct smb_bind *b = r->userdata;
        struct smb2_hdr h;

        if (!b->running || r->arg0 != b->seq)
                return;         /* aborted meanwhile (session lost, shutdown) */
        if (error < 0)
                return bind_end(b, error, 0, "no valid response");
        if (smb2_hdr_decode(msg, len, &h) < 0)
                return bind_end(b, -EBADMSG, 0, "malformed response");
        if (smb_auth_hash(&b->auth, smb_req_msg(r), smb_req_msg_len(r)) < 0)
                return bind_end(b, -EIO, 0, "pre-auth hash");
        if (status == STATUS_MORE_PROCESSING_REQUIRED)
                return bind_challenge(b, msg, len);
        if (status == STATUS_SUCCESS)
                return bind_success(b, &h, msg, len);
        int e = ntstatus_to_errno(status);
        bind_end(b, e < 0 ? e : -EACCES, status, "server refused");
}

static void on_chan_ready(struct smb_waiter *w, int error)
{
        struct smb_bind *b = (struct smb_bind *)((char *)w - offsetof(struct smb_bind, chan_wait));
        struct smb_conn *c;
        int ret;

        if (!b->running)
                return;
        c = bind_conn(b);
        if (error < 0)
                return bind_end(b, error, c->last_status,
                                c->last_error[0] ? c->last_error : "channel failed");
        ret = bind_start(b);
        if (ret < 0)
                bind_end(b, ret, 0, "cannot start");
}

int smb_session_bind(struct smb_session *ses, unsigned index)
{
        struct smb_bind *b;
        struct smb_conn *c;
        int ret;

        if (index >= ses->n_chans)
                return -EINVAL;
        b = &ses->binds[index];
        c = ses->chans[index];
        if (c->bound)
                return 0;
        if (b->running || (ses->binds_queued & (1u << index)))
                return -EINPROGRESS;
        if (!smb_sm_is(&ses->sm, SMB_SES_GOOD) || !ses->keys_valid)
                return -EAGAIN;
        if (b->unsupported)
                return -EOPNOTSUPP;
        for (unsigned i = 0; i < ses->n_chans; i++)
                if (ses->binds[i].running) {
                        ses->binds_queued |= 1u << index;
                        return -EINPROGRESS;
                }
        b->running = true;
        b->seq++;
        b->chan_wait.fn = on_chan_ready;
        if (ses->dialect < SMB2_DIALECT_300) {
                bind_end(b, -EOPNOTSUPP, 0, "multichannel needs SMB 3.0 or later");
                return -EINPROGRESS;
        }
        ret = smb_conn_ensure(c, &b->chan_wait);
        if (ret == 0)
                ret = bind_start(b);
        if (ret < 0 && ret != -EINPROGRESS)
                bind_end(b, ret, c->last_status, c->last_error[0] ? c->last_error : "cannot start");
        return -EINPROGRESS;
}

bool smb_session_binding(const struct smb_session *ses, unsigned index)
{
        return ses->binds[index].running || (ses->binds_queued & (1u << index));
}

void smb_session_bind_all(struct smb_session *ses)
{
        for (unsigned i = 0; i < ses->n_chans; i++)
                if (!ses->chans[i]->bound && !ses->binds[i].unsupported)
                        (void)smb_session_bind(ses, i);
}
