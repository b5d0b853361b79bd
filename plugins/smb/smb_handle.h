/* SPDX-License-Identifier: MIT */
/*
 * Long-lived open handles across reconnects (MS-SMB2 3.2.4.3.5 durable v2
 * request, 3.2.4.4 reconnect).
 *
 * A handle belongs to one tree connect generation (smb_tcon.tcons at
 * open).  When the tree was connected again since, the handle must be
 * reopened before use; smb_handle_ensure() is the claim for that, one
 * reopen per handle however many operations wait:
 *
 *  1. durable v2 granted at open: CREATE with DH2C (same create GUID and
 *     file id) on the new tree.  Success keeps the server-side open, its
 *     oplock and the data written through it: writes that were in flight
 *     may be replayed.
 *  2. otherwise, or when the server no longer has the durable open (smbd
 *     restarted, timeout), a handle opened for reading only is opened
 *     again by path (reads are idempotent).  A handle opened for writing
 *     cannot be: what the lost connection did with its last writes is
 *     unknown, so it is marked lost and every operation on it fails with
 *     -ESTALE.
 */
#ifndef GWD_SMB_HANDLE_H
#define GWD_SMB_HANDLE_H

#include "plugins/smb/smb2_create.h"
#include "plugins/smb/smb_tcon.h"

/* What a CREATE for a long-lived handle asks for: batch oplock + DH2Q
 * (durable v2 needs a batch oplock or a handle lease, 3.3.5.9.10). */
struct smb_handle_req {
        struct smb2_dh2q dh2q;
        bool durable;
};

/* Fill req for a new open of f (fresh create GUID) when the server's
 * configuration asks for durable handles. */
int smb_handle_request(const struct smb_tcon *t, struct smb_handle_req *req);

/* Record the outcome of the open: file id, durable or not, generation. */
void smb_handle_opened(struct gwd_file *f, const struct smb_handle_req *req,
                       const struct smb2_create_rsp *rsp);

/*
 * 0: the handle is usable on the current tree.  -EINPROGRESS: w queued, it
 * runs with the result of the reopen.  -ESTALE: the handle is lost.  The
 * tree must be good.
 */
int smb_handle_ensure(struct gwd_file *f, struct smb_waiter *w);

/* Usable without a reopen. */
bool smb_handle_current(const struct gwd_file *f);

/* Free a handle's own memory (not the server-side open). */
void smb_handle_free(struct gwd_file *f);

#endif /* GWD_SMB_HANDLE_H */
