/* SPDX-License-Identifier: MIT */
/* NTLMv2 in SPNEGO over SESSION_SETUP (see smb_auth.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/smb/smb2_session.h"
#include "plugins/smb/smb_auth.h"
#include "plugins/smb/spnego.h"

void smb_auth_clear(struct smb_auth *a)
{
        free(a->ntlm_neg);
        a->ntlm_neg = NULL;
        a->ntlm_neg_len = 0;
        if (a->gss_valid)
                ntlm_gss_wipe(&a->gss);
        a->gss_valid = false;
        a->have_key = false;
        a->legs = 0;
        smb_wipe(a->key, sizeof(a->key));
        memset(a->preauth, 0, sizeof(a->preauth));
}

int smb_auth_start(struct smb_auth *a, const struct smb_conn *c, uint8_t **tok, size_t *tok_len)
{
        uint8_t neg[64];
        int n;

        smb_auth_clear(a);
        a->hash = c->dialect == SMB2_DIALECT_311;
        memcpy(a->preauth, c->preauth, sizeof(a->preauth));
        n = ntlm_build_negotiate(NTLM_DEFAULT_FLAGS, NULL, neg, sizeof(neg));
        if (n < 0)
                return n;
        a->ntlm_neg = malloc((size_t)n);
        if (!a->ntlm_neg)
                return -ENOMEM;
        memcpy(a->ntlm_neg, neg, (size_t)n);
        a->ntlm_neg_len = (size_t)n;
        return spnego_build_init(neg, (size_t)n, tok, tok_len);
}

int smb_auth_hash(struct smb_auth *a, const uint8_t *msg, size_t len)
{
        struct iovec iov = { (void *)msg, len };
        if (!a->hash)
                return 0;
        return smb_preauth_update(a->preauth, &iov, 1);
}

int smb_auth_answer(struct smb_auth *a, const struct smb_server_conf *conf, const uint8_t *buf,
                    size_t len, uint8_t **tok, size_t *tok_len, const char **what)
{
        struct spnego_resp sr;
        struct ntlm_auth_result res;
        uint8_t *auth = NULL, mic[16];
        size_t auth_len = 0;
        int ret;

        if (a->legs >= SMB_AUTH_MAX_LEGS) {
                *what = "too many round trips";
                return -EPROTO;
        }
        ret = spnego_parse_resp(buf, len, &sr);
        if (ret < 0 || !sr.response_token) {
                *what = "bad NTLM challenge";
                return ret < 0 ? ret : -EBADMSG;
        }
        struct ntlm_creds creds = {
                .user = conf->user ? conf->user : "",
                .domain = conf->domain ? conf->domain : "",
                .password = conf->password ? conf->password : "",
                .workstation = conf->workstation,
        };
        ret = ntlm_build_authenticate(&creds, a->ntlm_neg, a->ntlm_neg_len, sr.response_token,
                                      sr.response_token_len, NULL, &auth, &auth_len, &res);
        if (ret < 0) {
                *what = "cannot answer the NTLM challenge";
                return ret;
        }
        if (res.session_key_len) {
                ret = ntlm_gss_init(&a->gss, res.session_key, res.flags);
                if (ret == 0) {
                        a->gss_valid = true;
                        ret = ntlm_gss_getmic(&a->gss, SPNEGO_NTLM_MECH_LIST,
                                              SPNEGO_NTLM_MECH_LIST_LEN, mic);
                }
                if (ret < 0) {
                        free(auth);
                        smb_wipe(&res, sizeof(res));
                        *what = "mechListMIC";
                        return ret;
                }
                /* The exported key becomes the SMB session key. */
                memcpy(a->key, res.session_key, sizeof(a->key));
                a->have_key = true;
        }
        ret = spnego_build_resp(-1, auth, auth_len, res.session_key_len ? mic : NULL,
                                res.session_key_len ? sizeof(mic) : 0, tok, tok_len);
        free(auth);
        smb_wipe(&res, sizeof(res));
        if (ret < 0)
                *what = "cannot build the NTLM authentication";
        return ret;
}

int smb_auth_finish(struct smb_auth *a, const uint8_t *buf, size_t len, const char **what)
{
        struct spnego_resp sr;

        if (!len || !a->gss_valid)
                return 0;
        if (spnego_parse_resp(buf, len, &sr) < 0) {
                *what = "malformed final SPNEGO token";
                return -EBADMSG;
        }
        if (sr.neg_state == SPNEGO_REJECT) {
                *what = "SPNEGO rejected";
                return -EACCES;
        }
        if (sr.mech_list_mic &&
            ntlm_gss_verifymic(&a->gss, SPNEGO_NTLM_MECH_LIST, SPNEGO_NTLM_MECH_LIST_LEN,
                               sr.mech_list_mic, sr.mech_list_mic_len) < 0) {
                *what = "server mechListMIC invalid";
                return -EBADMSG;
        }
        return 0;
}

int smb_auth_send(struct smb_auth *a, struct smb_conn *c, struct smb_session *ses, uint8_t flags,
                  uint64_t previous_session_id, const uint8_t *tok, size_t tok_len,
                  smb_req_done_fn done, void *userdata, uint64_t tag)
{
        struct smb_req *r = smb_req_new(c, ses, SMB2_SESSION_SETUP, 32 + tok_len);
        struct wire_wr w;
        int ret;

        if (!r)
                return -ENOMEM;
        struct smb2_session_setup_req q = {
                .flags = flags,
                .security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED |
                                 (c->conf->signing == SMB_SIGNING_REQUIRED
                                          ? SMB2_NEGOTIATE_SIGNING_REQUIRED : 0),
                .previous_session_id = a->legs == 0 ? previous_session_id : 0,
                .security_buffer = tok,
                .security_buffer_len = tok_len,
        };
        w = smb_req_body(r);
        ret = smb2_session_setup_req_encode(&w, &q);
        /* Verified by the caller: which key depends on how the exchange
         * ends.  A binding request must be signed (3.2.4.2.3), with the
         * session's key. */
        r->no_verify = true;
        r->arg0 = tag;
        /* A binding leg gets the connect timeout, like NEGOTIATE: seen with
         * Samba after every connection was cut, a binding handed to the
         * smbd process still winding the old connections down may never
         * be answered; the channel is then tried again, the session does
         * not wait for it. */
        if (flags & SMB2_SESSION_FLAG_BINDING)
                r->timeout_us = (uint64_t)c->conf->connect_timeout_ms * 1000u;
        r->sign = flags & SMB2_SESSION_FLAG_BINDING;
        a->legs++;
        return smb_req_send(r, &w, ret, 0, done, userdata);
}
