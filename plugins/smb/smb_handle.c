/* SPDX-License-Identifier: MIT */
/* Long-lived handles across reconnects (see smb_handle.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatewayd/registry.h"
#include "plugins/smb/ntstatus.h"
#include "plugins/smb/smb_client.h"
#include "plugins/smb/smb_handle.h"

int smb_handle_request(const struct smb_tcon *t, struct smb_handle_req *req)
{
        memset(req, 0, sizeof(*req));
        if (!t->ses->conn->conf->durable_handles)
                return 0;
        req->durable = true;
        /* timeout 0: the server's default (Samba: 60 s). */
        return smb_random(req->dh2q.create_guid, sizeof(req->dh2q.create_guid));
}

void smb_handle_opened(struct gwd_file *f, const struct smb_handle_req *req,
                       const struct smb2_create_rsp *rsp)
{
        f->fid = rsp->file_id;
        f->tree_gen = f->tcon->tcons;
        f->durable = req->durable && rsp->has_dh2q;
        if (f->durable)
                memcpy(f->create_guid, req->dh2q.create_guid, sizeof(f->create_guid));
        if (!f->reopen_wait.next)
                smb_waitq_init(&f->reopen_wait);
}

bool smb_handle_current(const struct gwd_file *f)
{
        return !f->lost && f->tcon && f->tree_gen == f->tcon->tcons;
}

struct reopen {
        struct gwd_file *f;             /* NULL once the handle is freed */
        bool by_path;
        struct smb_handle_req req;
};

void smb_handle_free(struct gwd_file *f)
{
        if (!f)
                return;
        /* Closed while its reopen is on the wire: the response must not
         * find the handle, and operations still waiting for the reopen end
         * now (they would otherwise run on freed memory). */
        if (f->reopen_rq)
                ((struct reopen *)f->reopen_rq)->f = NULL;
        if (f->reopen_wait.next)
                smb_waitq_wake(&f->reopen_wait, -EBADF);
        free(f->name16);
        free(f->path);
        free(f);
}

/* --- reopen ---------------------------------------------------------------------- */

static int send_reopen(struct gwd_file *f, bool by_path);

static void orphan_closed(struct smb_req *r, int error, uint32_t status, const uint8_t *msg,
                          size_t len)
{
        (void)r, (void)error, (void)status, (void)msg, (void)len;
}

/* Fire and forget: nobody waits for this CLOSE, a failure only leaves the
 * open to the server's cleanup of the tree or session. */
static void close_orphan(const struct smb_req *create, const struct smb2_file_id *fid)
{
        struct smb_req *r = smb_req_new(create->conn, create->ses, SMB2_CLOSE, 32);
        struct smb2_close_req q = { .file_id = *fid };
        struct wire_wr w;

        if (!r)
                return;
        r->tree_id = create->tree_id;
        r->encrypt = create->encrypt;
        w = smb_req_body(r);
        (void)smb_req_send(r, &w, smb2_close_req_encode(&w, &q), 0, orphan_closed, NULL);
}

static void reopen_end(struct gwd_file *f, int error)
{
        f->reopening = false;
        smb_waitq_wake(&f->reopen_wait, error);
}

static void mark_lost(struct gwd_file *f, uint32_t status, const char *why)
{
        struct smb_tcon *t = f->tcon;

        f->lost = true;
        t->handles_lost++;
        gwd_log(t->api, t->ctx, GWD_LOG_WARNING, "%s: handle \"%s\" lost after reconnect: %s%s%s%s",
                t->id, f->path ? f->path : "?", why, status ? " (" : "",
                status ? ntstatus_name(status) : "", status ? ")" : "");
        reopen_end(f, -ESTALE);
}

static void reopen_done(struct smb_req *r, int error, uint32_t status, const uint8_t *msg,
                        size_t len)
{
        struct reopen *ro = r->userdata;
        struct gwd_file *f = ro->f;
        bool by_path = ro->by_path;
        struct smb2_create_rsp rsp;
        int ret;

        if (!f) {
                /* The handle was closed meanwhile: close what the server
                 * opened again for it, on the same tree. */
                if (error == 0 && status == STATUS_SUCCESS &&
                    smb2_create_rsp_decode(msg, len, &rsp) == 0)
                        close_orphan(r, &rsp.file_id);
                free(ro);
                return;
        }
        f->reopen_rq = NULL;
        f->busy--;
        if (error < 0) {
                free(ro);
                return reopen_end(f, error);    /* transport: retried after recovery */
        }
        if (status == STATUS_NETWORK_NAME_DELETED || status == STATUS_USER_SESSION_DELETED ||
            status == STATUS_NETWORK_SESSION_EXPIRED) {
                free(ro);
                return reopen_end(f, -EAGAIN);
        }
        if (status == STATUS_SUCCESS && smb2_create_rsp_decode(msg, len, &rsp) == 0) {
                f->reopens++;
                f->replayable = !by_path;
                if (by_path)
                        f->tcon->handles_reopened_by_path++;
                else
                        f->tcon->handles_reopened_durable++;
                if (by_path) {
                        smb_handle_opened(f, &ro->req, &rsp);
                } else {
                        f->fid = rsp.file_id;
                        f->tree_gen = f->tcon->tcons;
                }
                free(ro);
                return reopen_end(f, 0);
        }
        free(ro);
        if (status == STATUS_SUCCESS)
                return mark_lost(f, 0, "malformed CREATE response");
        if (by_path)
                return mark_lost(f, status, "cannot open it again");
        if (f->flags & (GWD_O_WRITE | GWD_O_TRUNC))
                return mark_lost(f, status, "the server no longer has the durable open and "
                                            "a handle open for writing cannot be reopened safely");
        ret = send_reopen(f, true);
        if (ret < 0)
                mark_lost(f, 0, strerror(-ret));
}

static int send_reopen(struct gwd_file *f, bool by_path)
{
        struct smb_tcon *t = f->tcon;
        struct reopen *ro = calloc(1, sizeof(*ro));
        struct smb2_dh2c dh2c;
        struct smb_req *r;
        struct wire_wr w;
        int ret;

        if (!ro)
                return -ENOMEM;
        ro->f = f;
        ro->by_path = by_path;
        if (by_path) {
                ret = smb_handle_request(t, &ro->req);
                if (ret < 0) {
                        free(ro);
                        return ret;
                }
        } else {
                memset(&dh2c, 0, sizeof(dh2c));
                dh2c.file_id = f->fid;
                memcpy(dh2c.create_guid, f->create_guid, sizeof(dh2c.create_guid));
        }
        r = smb_tcon_req_new(t, SMB2_CREATE, 160 + f->name16_len);
        if (!r) {
                free(ro);
                return -ENOMEM;
        }
        bool durable = by_path ? ro->req.durable : true;
        struct smb2_create_req q = {
                .oplock_level = durable && !f->is_dir ? SMB2_OPLOCK_LEVEL_BATCH
                                                      : SMB2_OPLOCK_LEVEL_NONE,
                .impersonation_level = SMB2_IMPERSONATION_IMPERSONATION,
                .desired_access = f->access,
                .share_access = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                .create_disposition = FILE_OPEN,
                .create_options = f->options,
                .name = f->name16,
                .name_len = f->name16_len,
                .dh2q = by_path && ro->req.durable && !f->is_dir ? &ro->req.dh2q : NULL,
                .dh2c = by_path ? NULL : &dh2c,
        };
        w = smb_req_body(r);
        ret = smb2_create_req_encode(&w, &q);
        ret = smb_req_send(r, &w, ret, 0, reopen_done, ro);
        if (ret < 0) {
                free(ro);
                return ret;
        }
        f->busy++;
        f->reopen_rq = ro;
        return 0;
}

int smb_handle_ensure(struct gwd_file *f, struct smb_waiter *w)
{
        int ret;

        if (f->lost || !f->tcon)
                return -ESTALE;
        if (smb_handle_current(f))
                return 0;
        if (!f->reopen_wait.next)
                smb_waitq_init(&f->reopen_wait);
        smb_waitq_add(&f->reopen_wait, w);
        if (f->reopening)
                return -EINPROGRESS;
        f->reopening = true;
        if (f->durable)
                ret = send_reopen(f, false);
        else if (!(f->flags & (GWD_O_WRITE | GWD_O_TRUNC)))
                ret = send_reopen(f, true);
        else
                ret = -ESTALE;
        if (ret < 0) {
                smb_sm_unwait(w);
                f->reopening = false;
                if (ret == -ESTALE)
                        mark_lost(f, 0, "a handle open for writing without a durable open "
                                        "cannot be reopened safely");
                else if (ret != -ENOTCONN)
                        mark_lost(f, 0, strerror(-ret));
                return ret == -ENOTCONN ? ret : -ESTALE;
        }
        return -EINPROGRESS;
}
