/* SPDX-License-Identifier: MIT */
/* TREE_CONNECT / TREE_DISCONNECT and the tree's open-handle list. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/smb/ntstatus.h"
#include "plugins/smb/smb2_tree.h"
#include "plugins/smb/smb_tcon.h"
#include "plugins/smb/utf16.h"

int smb_path_to_utf16(const char *path, uint8_t **out, size_t *out_len)
{
        size_t len = strlen(path), n;
        uint8_t *buf;
        int r;

        r = utf8_to_utf16le(path, len, NULL, 0, &n);
        if (r < 0)
                return r;
        buf = malloc(n ? n : 1);
        if (!buf)
                return -ENOMEM;
        r = utf8_to_utf16le(path, len, buf, n, &n);
        if (r < 0) {
                free(buf);
                return r;
        }
        /* '/' separators become '\' (both are single UTF-16 units). */
        for (size_t i = 0; i + 1 < n; i += 2)
                if (buf[i] == '/' && buf[i + 1] == 0)
                        buf[i] = '\\';
        *out = buf;
        *out_len = n;
        return 0;
}

void smb_tcon_file_add(struct smb_tcon *t, struct gwd_file *f)
{
        f->tcon = t;
        f->prev = t->files.prev;
        f->next = &t->files;
        t->files.prev->next = f;
        t->files.prev = f;
        t->n_files++;
}

void smb_tcon_file_remove(struct smb_tcon *t, struct gwd_file *f)
{
        if (!f->next)
                return;
        f->prev->next = f->next;
        f->next->prev = f->prev;
        f->next = f->prev = NULL;
        t->n_files--;
}

struct smb_req *smb_tcon_req_new(struct smb_tcon *t, uint16_t command, size_t body_cap)
{
        /* Any bound channel carries the tree's requests (tree ids belong
         * to the session). */
        struct smb_req *r = smb_req_new(smb_session_pick(t->ses), t->ses, command, body_cap);
        if (r) {
                r->tree_id = t->tree_id;
                r->encrypt = t->encrypt;
        }
        return r;
}

static void set_error(struct smb_tcon *t, int error, uint32_t status, const char *msg)
{
        t->last_errno = error;
        t->last_status = status;
        smb_copy_msg(t->last_error, sizeof(t->last_error), msg);
        t->last_error_at = error ? smb_realtime_us() : 0;
}

/* Handles die with their tree.  Nothing is sent: each handle belongs to
 * the tree generation it was opened in (gwd_file.tree_gen) and is reopened
 * on its next use (smb_handle.c); the open-handle list stays so that
 * close() still finds them.  The in_files_invalidate claim therefore only
 * records how many handles will need a reopen. */

static void tcon_fail(struct smb_tcon *t, enum smb_tcon_state to, int error, uint32_t status,
                      const char *what)
{
        char cause[200];
        if (status)
                snprintf(cause, sizeof(cause), "TREE_CONNECT %s failed: %s (%s)", t->unc, what,
                         ntstatus_name(status));
        else
                snprintf(cause, sizeof(cause), "TREE_CONNECT %s failed: %s: %s", t->unc, what,
                         strerror(-error));
        set_error(t, error, status, cause);
        smb_sm_release(&t->sm, to, error, cause);
}

static void tcon_done(struct smb_req *r, int error, uint32_t status, const uint8_t *msg,
                      size_t len)
{
        struct smb_tcon *t = r->userdata;
        struct smb2_tree_connect_rsp rsp;
        struct smb2_hdr h;
        char cause[200];

        if (!smb_sm_is(&t->sm, SMB_TCON_IN_TCON))
                return;
        if (error < 0)
                return tcon_fail(t, SMB_TCON_NEED_RECONNECT, error, 0, "no valid response");
        if (status != STATUS_SUCCESS) {
                int e = ntstatus_to_errno(status);
                return tcon_fail(t, SMB_TCON_NEED_TCON, e ? e : -EIO, status, "server refused");
        }
        if (smb2_hdr_decode(msg, len, &h) < 0 ||
            smb2_tree_connect_rsp_decode(msg, len, &rsp) < 0)
                return tcon_fail(t, SMB_TCON_NEED_TCON, -EBADMSG, 0, "malformed response");
        if (rsp.share_type != SMB2_SHARE_TYPE_DISK)
                return tcon_fail(t, SMB_TCON_NEED_TCON, -ENOTDIR, 0, "not a disk share");
        t->tree_id = h.tree_id;
        t->share_type = rsp.share_type;
        t->share_flags = rsp.share_flags;
        t->share_caps = rsp.capabilities;
        t->maximal_access = rsp.maximal_access;
        t->encrypt = (rsp.share_flags & SMB2_SHAREFLAG_ENCRYPT_DATA) || t->ses->encrypt;
        if (t->encrypt && (!t->ses->cipher || !t->ses->keys.cipher_key_len ||
                           t->ses->conn->conf->encryption == SMB_ENCRYPTION_OFF))
                return tcon_fail(t, SMB_TCON_NEED_TCON, -EPROTONOSUPPORT, 0,
                                 "the share requires encryption, none is available");
        t->tcons++;
        set_error(t, 0, 0, "");
        snprintf(cause, sizeof(cause), "tree %s connected, tree id 0x%x%s", t->unc, t->tree_id,
                 t->encrypt ? ", encrypted" : "");
        smb_sm_release(&t->sm, SMB_TCON_GOOD, 0, cause);
}

static int send_tcon(struct smb_tcon *t)
{
        struct smb_session *ses = t->ses;
        uint8_t *path;
        size_t path_len;
        int ret = smb_path_to_utf16(t->unc, &path, &path_len);
        if (ret < 0)
                return ret;
        /* TREE_CONNECT uses '\' already; smb_path_to_utf16 kept them. */
        struct smb_req *r = smb_req_new(smb_session_pick(ses), ses, SMB2_TREE_CONNECT,
                                        16 + path_len);
        if (!r) {
                free(path);
                return -ENOMEM;
        }
        struct smb2_tree_connect_req q = { .path = path, .path_len = path_len };
        struct wire_wr w = smb_req_body(r);
        ret = smb2_tree_connect_req_encode(&w, &q);
        free(path);
        /* 3.1.1 signs every TREE_CONNECT of a non-guest session (3.2.4.1.1). */
        if (ses->dialect == SMB2_DIALECT_311 &&
            !(ses->session_flags & (SMB2_SESSION_FLAG_IS_GUEST | SMB2_SESSION_FLAG_IS_NULL)))
                r->sign = true;
        return smb_req_send(r, &w, ret, 0, tcon_done, t);
}

static void on_ses_ready(struct smb_waiter *w, int error)
{
        struct smb_tcon *t = (struct smb_tcon *)((char *)w - offsetof(struct smb_tcon, ses_wait));
        int ret;

        if (!smb_sm_is(&t->sm, SMB_TCON_IN_TCON))
                return;
        if (error < 0) {
                struct smb_session *ses = t->ses;
                return tcon_fail(t, SMB_TCON_NEED_RECONNECT, error, ses->last_status,
                                 ses->last_error[0] ? ses->last_error : "session failed");
        }
        ret = send_tcon(t);
        if (ret < 0)
                tcon_fail(t, SMB_TCON_NEED_TCON, ret, 0, "cannot send");
}

int smb_tcon_ensure(struct smb_tcon *t, struct smb_waiter *w)
{
        int r;

        switch (t->sm.state) {
        case SMB_TCON_GOOD:
                return 0;
        case SMB_TCON_EXITING:
                return -ESHUTDOWN;
        case SMB_TCON_IN_TCON:
        case SMB_TCON_IN_FILES_INVALIDATE:
                smb_sm_wait(&t->sm, w);
                return -EINPROGRESS;
        case SMB_TCON_NEED_RECONNECT:
                r = smb_sm_claim(&t->sm, SMB_TCON_IN_FILES_INVALIDATE,
                                 "invalidating open handles");
                if (r < 0)
                        return r;
                {
                        char cause[80];
                        snprintf(cause, sizeof(cause), "%u open handle%s to reopen",
                                 t->n_files, t->n_files == 1 ? "" : "s");
                        smb_tcon_transition(&t->sm, SMB_TCON_NEED_TCON, cause);
                }
                break;
        default:
                break;
        }
        r = smb_sm_claim(&t->sm, SMB_TCON_IN_TCON, "tree connect started");
        if (r < 0)
                return r;
        smb_sm_wait(&t->sm, w);
        r = smb_session_ensure(t->ses, &t->ses_wait);
        if (r == 0)
                r = send_tcon(t);
        if (r < 0 && r != -EINPROGRESS) {
                smb_sm_unwait(w);
                struct smb_session *ses = t->ses;
                tcon_fail(t, smb_sm_is(&ses->sm, SMB_SES_GOOD) ? SMB_TCON_NEED_TCON
                                                               : SMB_TCON_NEED_RECONNECT,
                          r, ses->last_status,
                          ses->last_error[0] ? ses->last_error : "cannot start");
                return r;
        }
        return -EINPROGRESS;
}

void smb_tcon_session_lost(struct smb_tcon *t, const char *cause)
{
        if (smb_sm_is(&t->sm, SMB_TCON_GOOD))
                smb_tcon_transition(&t->sm, SMB_TCON_NEED_RECONNECT, cause);
}

void smb_tcon_mark_reconnect(struct smb_tcon *t, const char *cause)
{
        smb_tcon_session_lost(t, cause);
}

void smb_tcon_snapshot(struct smb_tcon *t, json_t *d)
{
        char buf[16];
        json_object_set_new(d, "share", json_string(t->share));
        json_object_set_new(d, "unc", json_string(t->unc));
        snprintf(buf, sizeof(buf), "0x%08x", t->tree_id);
        json_object_set_new(d, "tree_id", json_string(buf));
        snprintf(buf, sizeof(buf), "0x%08x", t->share_flags);
        json_object_set_new(d, "share_flags", json_string(buf));
        snprintf(buf, sizeof(buf), "0x%08x", t->share_caps);
        json_object_set_new(d, "share_capabilities", json_string(buf));
        json_object_set_new(d, "encrypted", json_boolean(t->encrypt));
        json_object_set_new(d, "open_handles", json_integer(t->n_files));
        json_object_set_new(d, "tree_connects", json_integer((json_int_t)t->tcons));
        json_object_set_new(d, "reconnect_count",
                            json_integer((json_int_t)(t->tcons ? t->tcons - 1 : 0)));
        json_object_set_new(d, "generation", json_integer((json_int_t)t->ses->conn->generation));
        json_object_set_new(d, "tree_generation", json_integer((json_int_t)t->tcons));
        json_object_set_new(d, "recovery", json_string(t->hard ? "hard" : "soft"));
        json_object_set_new(d, "wait_ms", json_integer(t->wait_ms));
        json_object_set_new(d, "requests_waiting", json_integer(t->parked));
        json_object_set_new(d, "requests_retried", json_integer((json_int_t)t->requests_retried));
        json_object_set_new(d, "requests_failed", json_integer((json_int_t)t->requests_failed));
        json_object_set_new(d, "handles_reopened_durable",
                            json_integer((json_int_t)t->handles_reopened_durable));
        json_object_set_new(d, "handles_reopened_by_path",
                            json_integer((json_int_t)t->handles_reopened_by_path));
        json_object_set_new(d, "handles_lost", json_integer((json_int_t)t->handles_lost));
        json_t *le = json_object();
        json_object_set_new(le, "ntstatus",
                            json_string(t->last_status ? ntstatus_name(t->last_status) : ""));
        json_object_set_new(le, "errno", json_integer(-t->last_errno));
        json_object_set_new(le, "time", smb_time_json(t->last_error_at));
        json_object_set_new(le, "message", json_string(t->last_error));
        json_object_set_new(d, "last_error", le);
}

int smb_tcon_new(struct smb_session *ses, const char *id, const char *share,
                 struct smb_tcon **ret)
{
        struct smb_tcon *t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->id = strdup(id);
        t->share = strdup(share);
        if (!t->id || !t->share ||
            asprintf(&t->unc, "\\\\%s\\%s", ses->conn->conf->host, share) < 0) {
                free(t->id);
                free(t->share);
                free(t);
                return -ENOMEM;
        }
        t->api = ses->api;
        t->ctx = ses->ctx;
        t->ses = ses;
        t->files.next = t->files.prev = &t->files;
        t->ses_wait.fn = on_ses_ready;
        t->wait_ms = 30000;     /* soft, reconnect_timeout 30 s (docs/smb.md) */
        t->logged_error = 1;    /* nothing logged yet */
        smb_sm_init(&t->sm, &smb_tcon_table, ses->api, ses->ctx, t->id);
        t->next = ses->tcons;
        ses->tcons = t;
        *ret = t;
        return 0;
}

static void tdis_done(struct smb_req *r, int error, uint32_t status, const uint8_t *msg,
                      size_t len)
{
}

void smb_tcon_free(struct smb_tcon *t)
{
        if (!t)
                return;
        struct smb_session *ses = t->ses;
        if (smb_sm_is(&t->sm, SMB_TCON_GOOD) && smb_sm_is(&ses->sm, SMB_SES_GOOD) &&
            smb_sm_is(&smb_session_pick(ses)->sm, SMB_CHAN_GOOD)) {
                struct smb_req *r = smb_tcon_req_new(t, SMB2_TREE_DISCONNECT, 8);
                if (r) {
                        struct wire_wr w = smb_req_body(r);
                        smb2_tree_disconnect_req_encode(&w);
                        if (smb_req_finish(r, &w) == 0) {
                                r->done = tdis_done;
                                smb_req_submit(r);
                        } else {
                                smb_req_free(r);
                        }
                }
        }
        smb_sm_unwait(&t->ses_wait);
        smb_retry_free(&t->retry);
        if (!smb_sm_is(&t->sm, SMB_TCON_EXITING))
                smb_tcon_transition(&t->sm, SMB_TCON_EXITING, "tree disconnected");
        smb_sm_wake(&t->sm, -ECANCELED);
        smb_sm_unpublish(&t->sm);
        /* Handles still open are orphaned; close() sees tcon == NULL. */
        while (t->files.next != &t->files) {
                struct gwd_file *f = t->files.next;
                smb_tcon_file_remove(t, f);
                f->tcon = NULL;
                f->lost = true;
        }
        for (struct smb_tcon **pp = &ses->tcons; *pp; pp = &(*pp)->next)
                if (*pp == t) {
                        *pp = t->next;
                        break;
                }
        free(t->unc);
        free(t->share);
        free(t->id);
        free(t);
}
