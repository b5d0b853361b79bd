/* SPDX-License-Identifier: MIT */
/* Backend operations over SMB2 (see smb_fileops.h). */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/smb/ntstatus.h"
#include "plugins/smb/smb2_create.h"
#include "plugins/smb/smb2_dir.h"
#include "plugins/smb/smb2_info.h"
#include "plugins/smb/smb2_io.h"
#include "plugins/smb/smb_client.h"
#include "plugins/smb/smb_fileops.h"
#include "plugins/smb/smb_handle.h"
#include "plugins/smb/utf16.h"

#define DIR_BUF_LEN (256u << 10)
#define DIR_MAX_ENTRIES 4000000u
#define DEFAULT_DEPTH 4u

enum fop_kind {
        OP_OPEN, OP_CLOSE, OP_READ, OP_WRITE, OP_STAT, OP_FSTAT, OP_READDIR, OP_MKDIR,
        OP_RMDIR, OP_UNLINK, OP_RENAME, OP_TRUNCATE, OP_FLUSH, OP_SETMTIME,
};

struct fop {
        struct smb_tcon *t;
        const struct gwd_api *api;
        struct gwd_ctx *ctx;
        enum fop_kind kind;
        gwd_done_fn done;
        void *cbdata;
        struct smb_waiter wait;         /* on the tcon (recovery) */
        struct smb_waiter hwait;        /* on the handle (reopen) */
        bool finished;
        bool submitted;                 /* something went on the wire */
        bool parked;                    /* waiting for a recovery */
        bool no_retry;
        unsigned retries;
        uint64_t deadline_us;           /* end of the wait for recovery, 0: not waiting yet */
        sd_event_source *park_timer;
        int error;
        /* path operations */
        const char *path;
        uint32_t flags;
        uint8_t *name16, *name16b;      /* path, rename target */
        size_t name16_len, name16b_len;
        bool have_fid;
        struct smb2_file_id fid;
        bool created_dir;
        uint32_t access, opts;          /* of the CREATE (kept by an open handle) */
        unsigned steps_left;            /* compound: responses still to come */
        int step_err[3];                /* compound: CREATE, SET_INFO, CLOSE */
        struct smb_handle_req hreq;
        /* handle operations */
        struct gwd_file *f;
        struct gwd_file *newf;          /* open result */
        uint8_t *buf;
        const uint8_t *cbuf;
        size_t len;
        uint64_t off;
        size_t issued;
        unsigned inflight;
        bool short_seen;
        uint64_t eof_at;
        uint64_t size;
        int64_t mtime_ns;
        /* results */
        struct gwd_stat st;
        struct gwd_result res;
        struct gwd_dirent *ents;
        char **names;
        size_t n, cap;
};

static void (*const starters[])(struct fop *);

/* --- completion ---------------------------------------------------------- */

static void fop_free(struct fop *op)
{
        op->park_timer = sd_event_source_disable_unref(op->park_timer);
        for (size_t i = 0; op->names && i < op->n; i++)
                free(op->names[i]);
        free(op->names);
        free(op->ents);
        free(op->name16);
        free(op->name16b);
        free(op);
}

static void deliver(void *arg)
{
        struct fop *op = arg;
        op->done(op->cbdata, &op->res);
        fop_free(op);
}

static void park(struct fop *op);

static bool transient(int error)
{
        switch (-error) {
        case ECONNRESET: case ECONNABORTED: case ECONNREFUSED: case ETIMEDOUT: case EPIPE:
        case ENOTCONN: case EHOSTUNREACH: case ENETUNREACH: case ENETDOWN: case EHOSTDOWN:
        case EAGAIN:
                return true;
        default:
                return false;
        }
}

/*
 * May a failed operation run again after the recovery?  -EAGAIN means the
 * server refused the request unexecuted (tree or session deleted).  After a
 * transport failure, only what is idempotent runs again: reads, stats,
 * listings, opens that create nothing; writes only on a durable handle
 * (reopened with DH2C, the same bytes at the same offsets are replayed).
 * Anything else that reached the wire fails visibly.
 */
static bool retryable(const struct fop *op, int error)
{
        if (op->no_retry || !transient(error))
                return false;
        if (error == -EAGAIN || !op->submitted)
                return true;
        switch (op->kind) {
        case OP_STAT:
        case OP_FSTAT:
        case OP_READDIR:
        case OP_READ:
                return true;
        case OP_OPEN:
                return !(op->flags & (GWD_O_WRITE | GWD_O_TRUNC | GWD_O_CREATE));
        case OP_WRITE:
        case OP_TRUNCATE:
        case OP_FLUSH:
                return op->f && op->f->durable;
        default:
                return false;
        }
}

/* Forget the partial progress of an attempt (what the dead connection had
 * open dies with it on the server). */
static void op_reset(struct fop *op)
{
        for (size_t i = 0; op->names && i < op->n; i++)
                free(op->names[i]);
        op->n = 0;
        op->have_fid = false;
        op->created_dir = false;
        op->issued = 0;
        op->inflight = 0;
        op->short_seen = false;
        op->eof_at = 0;
        op->error = 0;
        op->submitted = false;
        op->steps_left = 0;
        memset(op->step_err, 0, sizeof(op->step_err));
        memset(&op->st, 0, sizeof(op->st));
}

/* smb_req_submit() of a request built for `op` (or the error that
 * building it gave), remembering that something of the operation went on
 * the wire (it decides whether a retry is safe). */
static int submit_built(struct fop *op, int built, struct smb_req *r)
{
        int ret = built < 0 ? built : smb_req_submit(r);
        if (ret == 0)
                op->submitted = true;
        return ret;
}

/* smb_req_send() for `op`: prepare, then submit_built(). */
static int submit(struct fop *op, struct smb_req *r, const struct wire_wr *w, int encoded,
                  size_t charge_len, smb_req_done_fn done)
{
        return submit_built(op, smb_req_prepare(r, w, encoded, charge_len, done, op), r);
}

/* The tail of a build_*(): the request prepared into *ret_req, or freed. */
static int prepared(struct fop *op, struct smb_req *r, const struct wire_wr *w, int encoded,
                    smb_req_done_fn done, struct smb_req **ret_req)
{
        int ret = smb_req_prepare(r, w, encoded, 0, done, op);
        *ret_req = ret < 0 ? NULL : r;
        return ret;
}

/* Record the outcome and hand it to the loop: never inline. */
static void finish(struct fop *op, int error)
{
        if (op->finished)
                return;
        if (error < 0 && retryable(op, error) &&
            (!op->deadline_us || smb_now_us() < op->deadline_us)) {
                op->retries++;
                op->t->requests_retried++;
                op_reset(op);
                return park(op);
        }
        op->finished = true;
        smb_sm_unwait(&op->wait);
        smb_sm_unwait(&op->hwait);
        op->park_timer = sd_event_source_disable_unref(op->park_timer);
        if (error < 0 && transient(error) && op->deadline_us && op->t->wait_ms &&
            smb_now_us() >= op->deadline_us) {
                /* It waited for a recovery that did not come in time. */
                op->t->requests_failed++;
                error = -EHOSTDOWN;
        }
        if (error < 0) {
                if (op->newf) {
                        smb_handle_free(op->newf);
                        op->newf = NULL;
                }
                op->res = (struct gwd_result){ .error = error };
        } else {
                op->res.error = 0;
                switch (op->kind) {
                case OP_OPEN:
                        op->res.file = op->newf;
                        op->res.st = &op->st;
                        op->newf = NULL;
                        break;
                case OP_STAT:
                case OP_FSTAT:
                        op->res.st = &op->st;
                        break;
                case OP_READ:
                        op->res.count = op->short_seen ? op->eof_at - op->off : op->len;
                        break;
                case OP_WRITE:
                        op->res.count = op->len;
                        break;
                case OP_READDIR:
                        op->res.entries = op->ents;
                        op->res.n_entries = op->n;
                        break;
                default:
                        break;
                }
        }
        if (op->api->defer(op->ctx, deliver, op) < 0) {
                struct gwd_result res = { .error = -ENOMEM };
                op->done(op->cbdata, &res);
                fop_free(op);
        }
}

/* Map a response; remember the NTSTATUS for diagnostics; react to the
 * statuses that say a tree or session is gone. */
static int rsp_error(struct fop *op, int error, uint32_t status)
{
        struct smb_tcon *t = op->t;
        int e;

        if (error < 0)
                return error;
        if (status == STATUS_SUCCESS)
                return 0;
        t->op_status = status;
        /* The server refused the request unexecuted because the tree or
         * the session is gone: recover it, then run the request again. */
        if (status == STATUS_NETWORK_NAME_DELETED) {
                smb_tcon_mark_reconnect(t, "server answered STATUS_NETWORK_NAME_DELETED");
                smb_recover_tcon_kick(t, "STATUS_NETWORK_NAME_DELETED");
                return -EAGAIN;
        }
        if (status == STATUS_USER_SESSION_DELETED || status == STATUS_NETWORK_SESSION_EXPIRED) {
                char cause[96];
                snprintf(cause, sizeof(cause), "server answered %s", ntstatus_name(status));
                smb_session_mark_reconnect(t->ses, cause);
                smb_recover_kick(t->userdata_srv, cause);
                return -EAGAIN;
        }
        e = ntstatus_to_errno(status);
        return e < 0 ? e : -EIO;
}

/* --- start: wait for the tree, then go -------------------------------- */

/*
 * Requests never start a recovery themselves: the engine (smb_recover.c)
 * does, and a request waits on the tcon until it is good again, until the
 * recovery fails for a reason that waiting does not cure (wrong password,
 * share removed), or until its deadline (tcon wait_ms: the share's
 * reconnect_timeout in soft mode, hard_timeout in hard mode) passes; then
 * it fails with -EHOSTDOWN.
 */
static void run(struct fop *op)
{
        if (op->parked) {
                op->parked = false;
                op->t->parked--;
        }
        starters[op->kind](op);
}

static void deferred_begin(void *arg)
{
        struct fop *op = arg;
        if (smb_sm_is(&op->t->sm, SMB_TCON_GOOD))
                return run(op);
        park(op);
}

static void on_tree_ready(struct smb_waiter *w, int error)
{
        struct fop *op = (struct fop *)((char *)w - offsetof(struct fop, wait));

        if (error == 0 && smb_sm_is(&op->t->sm, SMB_TCON_GOOD))
                return run(op);
        if (error == -ESHUTDOWN || error == -ECANCELED || smb_sm_is(&op->t->sm, SMB_TCON_EXITING)) {
                op->no_retry = true;
                return finish(op, -ECANCELED);
        }
        if (error == 0 || (transient(error) && smb_now_us() < op->deadline_us))
                return park(op);
        op->no_retry = true;
        finish(op, error);
}

static int on_park_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct fop *op = userdata;

        /* A bring-up covering the tree is on the wire: its result decides
         * (it is bounded by its own deadlines). */
        if (!op->wait.queued || smb_sm_in_claim(&op->t->sm))
                return 0;
        smb_sm_unwait(&op->wait);
        op->no_retry = true;
        finish(op, -EHOSTDOWN);
        return 0;
}

static void park(struct fop *op)
{
        struct smb_tcon *t = op->t;
        uint64_t now = smb_now_us();

        if (smb_sm_is(&t->sm, SMB_TCON_EXITING)) {
                op->no_retry = true;
                return finish(op, -ECANCELED);
        }
        if (!op->parked) {
                op->parked = true;
                t->parked++;
        }
        if (!op->deadline_us)
                op->deadline_us = now + (uint64_t)t->wait_ms * 1000u;
        if (smb_sm_is(&t->sm, SMB_TCON_GOOD)) {
                /* Never inline: the caller may be deep in a completion. */
                if (op->api->defer(op->ctx, deferred_begin, op) < 0) {
                        op->no_retry = true;
                        finish(op, -ENOMEM);
                }
                return;
        }
        smb_sm_wait(&t->sm, &op->wait);
        if (!smb_recover_pending(t))
                smb_recover_now(t->userdata_srv);       /* the invariant, if nobody runs */
        if (!op->wait.queued)
                return;         /* the attempt ended synchronously and woke us */
        if (!op->park_timer) {
                if (sd_event_add_time(op->api->event(op->ctx), &op->park_timer, CLOCK_MONOTONIC,
                                      op->deadline_us, 1000, on_park_deadline, op) < 0) {
                        smb_sm_unwait(&op->wait);
                        op->no_retry = true;
                        return finish(op, -ENOMEM);
                }
        } else {
                sd_event_source_set_time(op->park_timer, op->deadline_us);
                sd_event_source_set_enabled(op->park_timer, SD_EVENT_ONESHOT);
        }
}

static struct fop *fop_new(struct smb_tcon *t, enum fop_kind kind, gwd_done_fn done,
                           void *cbdata)
{
        struct fop *op = calloc(1, sizeof(*op));
        if (!op) {
                struct gwd_result res = { .error = -ENOMEM };
                done(cbdata, &res);     /* the contract's one inline case */
                return NULL;
        }
        op->t = t;
        op->api = t->api;
        op->ctx = t->ctx;
        op->kind = kind;
        op->done = done;
        op->cbdata = cbdata;
        op->wait.fn = on_tree_ready;
        return op;
}

static void begin(struct fop *op)
{
        if (smb_sm_is(&op->t->sm, SMB_TCON_GOOD))
                return run(op);
        park(op);
}

/* The handle of a handle operation: reopened first when its tree was
 * connected again since it was opened. */
static void on_handle_ready(struct smb_waiter *w, int error)
{
        struct fop *op = (struct fop *)((char *)w - offsetof(struct fop, hwait));
        if (error < 0)
                return finish(op, error);
        begin(op);
}

static bool handle_ready(struct fop *op)
{
        int r;

        if (smb_handle_current(op->f))
                return true;
        op->hwait.fn = on_handle_ready;
        r = smb_handle_ensure(op->f, &op->hwait);
        if (r == 0)
                return true;
        if (r != -EINPROGRESS)
                finish(op, r);
        return false;
}

static uint16_t depth(const struct fop *op)
{
        unsigned d = op->t->ses->conn->conf->io_depth;
        return (uint16_t)(d ? d : DEFAULT_DEPTH);
}

static int64_t nt_to_ns(uint64_t nt)
{
        struct timespec ts;
        if (!nt)
                return 0;
        ts = smb2_nttime_to_timespec(nt);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t ns_to_nt(int64_t ns)
{
        struct timespec ts = { .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };
        if (ts.tv_nsec < 0) {
                ts.tv_sec--;
                ts.tv_nsec += 1000000000;
        }
        return smb2_timespec_to_nttime(ts);
}

static void stat_fill(struct gwd_stat *st, uint32_t attrs, uint64_t size, uint64_t btime,
                      uint64_t atime, uint64_t mtime, uint64_t ctime)
{
        st->type = (attrs & FILE_ATTRIBUTE_DIRECTORY) ? GWD_TYPE_DIR : GWD_TYPE_FILE;
        st->attributes = attrs;
        st->size = st->type == GWD_TYPE_DIR ? 0 : size;
        st->btime_ns = nt_to_ns(btime);
        st->atime_ns = nt_to_ns(atime);
        st->mtime_ns = nt_to_ns(mtime);
        st->ctime_ns = nt_to_ns(ctime);
}

/* --- CREATE / CLOSE steps shared by path operations ------------------------- */

static void path_close(struct fop *op);
static void path_action(struct fop *op);

static void create_done(struct smb_req *r, int error, uint32_t status, const uint8_t *msg,
                        size_t len)
{
        struct fop *op = r->userdata;
        struct smb2_create_rsp rsp;
        int e = rsp_error(op, error, status);

        if (e == 0 && smb2_create_rsp_decode(msg, len, &rsp) < 0)
                e = -EBADMSG;
        if (e < 0)
                return finish(op, e);
        op->have_fid = true;
        op->fid = rsp.file_id;
        stat_fill(&op->st, rsp.file_attributes, rsp.end_of_file, rsp.creation_time,
                  rsp.last_access_time, rsp.last_write_time, rsp.change_time);
        if (op->kind == OP_OPEN) {
                struct gwd_file *f = calloc(1, sizeof(*f));
                if (!f) {
                        op->error = -ENOMEM;
                        return path_close(op);
                }
                f->tcon = op->t;
                f->flags = op->flags;
                f->is_dir = op->st.type == GWD_TYPE_DIR;
                f->access = op->access;
                /* A reopen must not create or truncate again. */
                f->options = op->opts;
                f->name16 = op->name16;
                f->name16_len = op->name16_len;
                op->name16 = NULL;
                f->path = strdup(op->path);
                smb_handle_opened(f, &op->hreq, &rsp);
                smb_tcon_file_add(op->t, f);
                op->newf = f;
                op->have_fid = false;
                if ((op->flags & GWD_O_DIRECTORY) && !f->is_dir) {
                        op->error = -ENOTDIR;
                        smb_tcon_file_remove(op->t, f);
                        smb_handle_free(f);
                        op->newf = NULL;
                        op->have_fid = true;
                        return path_close(op);
                }
                return finish(op, 0);
        }
        path_action(op);
}

/* A prepared CREATE for op->path (0, or <0 with nothing left over). */
static int build_create(struct fop *op, uint32_t access, uint32_t disposition, uint32_t options,
                        uint32_t attrs, smb_req_done_fn done, struct smb_req **ret_req)
{
        struct smb_req *r = smb_tcon_req_new(op->t, SMB2_CREATE, 128 + op->name16_len);
        struct wire_wr w;
        int ret;

        if (!r)
                return -ENOMEM;
        /* A handle that outlives this request asks for a durable v2 open,
         * which needs a batch oplock (breaks are acknowledged at once). */
        bool durable = op->kind == OP_OPEN && op->hreq.durable &&
                       !(op->flags & GWD_O_DIRECTORY);
        op->access = access;
        op->opts = options;
        struct smb2_create_req q = {
                .oplock_level = durable ? SMB2_OPLOCK_LEVEL_BATCH : SMB2_OPLOCK_LEVEL_NONE,
                .impersonation_level = SMB2_IMPERSONATION_IMPERSONATION,
                .desired_access = access,
                .file_attributes = attrs,
                .share_access = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                .create_disposition = disposition,
                .create_options = options,
                .name = op->name16,
                .name_len = op->name16_len,
                .dh2q = durable ? &op->hreq.dh2q : NULL,
        };
        w = smb_req_body(r);
        ret = smb2_create_req_encode(&w, &q);
        return prepared(op, r, &w, ret, done, ret_req);
}

static int send_create(struct fop *op, uint32_t access, uint32_t disposition, uint32_t options,
                       uint32_t attrs)
{
        struct smb_req *r;
        int ret = build_create(op, access, disposition, options, attrs, create_done, &r);
        return submit_built(op, ret, r);
}

static void close_done(struct smb_req *r, int error, uint32_t status, const uint8_t *msg,
                       size_t len)
{
        struct fop *op = r->userdata;
        int e = rsp_error(op, error, status);
        /* The connection went away with the handle: it is closed. */
        if (op->kind == OP_CLOSE && transient(e))
                e = 0;
        finish(op, op->error < 0 ? op->error : e);
}

/* A request of the operation: on its tree, or behind `lead` in a compound. */
static struct smb_req *op_req_new(struct fop *op, const struct smb_req *lead, uint16_t command,
                                  size_t body_cap)
{
        return lead ? smb_req_new_related(lead, command, body_cap)
                    : smb_tcon_req_new(op->t, command, body_cap);
}

static int build_close(struct fop *op, const struct smb_req *lead,
                       const struct smb2_file_id *fid, smb_req_done_fn done,
                       struct smb_req **ret_req)
{
        struct smb_req *r = op_req_new(op, lead, SMB2_CLOSE, 32);
        struct smb2_close_req q = { .file_id = *fid };
        struct wire_wr w;
        int ret;

        if (!r)
                return -ENOMEM;
        w = smb_req_body(r);
        ret = smb2_close_req_encode(&w, &q);
        return prepared(op, r, &w, ret, done, ret_req);
}

static int send_close(struct fop *op, const struct smb2_file_id *fid)
{
        struct smb_req *r;
        int ret = build_close(op, NULL, fid, close_done, &r);
        return submit_built(op, ret, r);
}

static void path_close(struct fop *op)
{
        int ret;
        if (!op->have_fid)
                return finish(op, op->error);
        op->have_fid = false;
        ret = send_close(op, &op->fid);
        if (ret < 0)
                finish(op, op->error < 0 ? op->error : ret);
}

static void setinfo_done(struct smb_req *r, int error, uint32_t status, const uint8_t *msg,
                         size_t len)
{
        struct fop *op = r->userdata;
        int e = rsp_error(op, error, status);
        if (e == 0 && smb2_set_info_rsp_decode(msg, len) < 0)
                e = -EBADMSG;
        if (e < 0)
                op->error = e;
        if (op->kind == OP_TRUNCATE)
                return finish(op, e);
        if (error < 0)
                return finish(op, error);       /* transport gone: nothing to close */
        path_close(op);
}

/* A prepared SET_INFO for what operation `kind` changes. */
static int build_setinfo(struct fop *op, const struct smb_req *lead,
                         const struct smb2_file_id *fid, int kind, smb_req_done_fn done,
                         struct smb_req **ret_req)
{
        struct smb_req *r = op_req_new(op, lead, SMB2_SET_INFO, 128 + op->name16b_len);
        struct wire_wr w;
        int ret;

        if (!r)
                return -ENOMEM;
        w = smb_req_body(r);
        switch (kind) {
        case OP_RMDIR:
        case OP_UNLINK:
                ret = smb2_set_info_disposition_encode(&w, fid, true);
                break;
        case OP_RENAME:
                ret = smb2_set_info_rename_encode(&w, fid, op->flags & GWD_RENAME_REPLACE,
                                                  op->name16b, op->name16b_len);
                break;
        case OP_TRUNCATE:
                ret = smb2_set_info_eof_encode(&w, fid, op->size);
                break;
        default: {
                struct smb2_file_basic_info b = { .last_write_time = ns_to_nt(op->mtime_ns) };
                ret = smb2_set_info_basic_encode(&w, fid, &b);
                break;
        }
        }
        return prepared(op, r, &w, ret, done, ret_req);
}

static int send_setinfo(struct fop *op, const struct smb2_file_id *fid, int kind)
{
        struct smb_req *r;
        int ret = build_setinfo(op, NULL, fid, kind, setinfo_done, &r);
        return submit_built(op, ret, r);
}

/* --- readdir ------------------------------------------------------------------- */

static void send_query_dir(struct fop *op);

static int add_entry(struct fop *op, const struct smb2_dirent *e)
{
        size_t n8;
        char *name;

        if (e->name_len == 2 && e->name[0] == '.' && e->name[1] == 0)
                return 0;
        if (e->name_len == 4 && e->name[0] == '.' && e->name[1] == 0 && e->name[2] == '.' &&
            e->name[3] == 0)
                return 0;
        if (op->n >= DIR_MAX_ENTRIES)
                return -E2BIG;
        if (utf16le_to_utf8(e->name, e->name_len, NULL, 0, &n8) < 0)
                return 0;       /* a name we cannot represent is skipped */
        name = malloc(n8 + 1);
        if (!name)
                return -ENOMEM;
        if (utf16le_to_utf8(e->name, e->name_len, name, n8, &n8) < 0) {
                free(name);
                return 0;
        }
        name[n8] = 0;
        if (op->n == op->cap) {
                size_t cap = op->cap ? op->cap * 2 : 256;
                struct gwd_dirent *ents = realloc(op->ents, cap * sizeof(*ents));
                if (!ents) {
                        free(name);
                        return -ENOMEM;
                }
                op->ents = ents;
                char **names = realloc(op->names, cap * sizeof(*names));
                if (!names) {
                        free(name);
                        return -ENOMEM;
                }
                op->names = names;
                op->cap = cap;
        }
        op->names[op->n] = name;
        op->ents[op->n].name = name;
        stat_fill(&op->ents[op->n].st, e->file_attributes, e->end_of_file, e->creation_time,
                  e->last_access_time, e->last_write_time, e->change_time);
        op->ents[op->n].st.file_id = e->file_id;
        op->n++;
        return 0;
}

static void query_dir_done(struct smb_req *r, int error, uint32_t status, const uint8_t *msg,
                           size_t len)
{
        struct fop *op = r->userdata;
        struct smb2_query_directory_rsp rsp;
        struct smb2_dir_iter it;
        struct smb2_dirent e;
        int ret;

        if (error < 0)
                return finish(op, error);
        if (status == STATUS_NO_MORE_FILES)
                return path_close(op);
        ret = rsp_error(op, 0, status);
        if (ret == 0)
                ret = smb2_query_directory_rsp_decode(msg, len, &rsp);
        if (ret == 0)
                ret = smb2_dir_iter_init(&it, FILE_ID_BOTH_DIRECTORY_INFORMATION, rsp.buf,
                                         rsp.len);
        while (ret == 0 && (ret = smb2_dir_iter_next(&it, &e)) == 1)
                ret = add_entry(op, &e);
        if (ret < 0) {
                op->error = ret;
                return path_close(op);
        }
        if (rsp.len == 0)
                return path_close(op);  /* defensive: an empty success ends it too */
        send_query_dir(op);
}

static void send_query_dir(struct fop *op)
{
        static const uint8_t star[2] = { '*', 0 };
        struct smb_conn *c = smb_session_pick(op->t->ses);
        uint32_t outlen = c->max_trans < DIR_BUF_LEN ? c->max_trans : DIR_BUF_LEN;
        struct smb_req *r = smb_tcon_req_new(op->t, SMB2_QUERY_DIRECTORY, 64);
        struct wire_wr w;
        int ret;

        if (!r) {
                op->error = -ENOMEM;
                return path_close(op);
        }
        struct smb2_query_directory_req q = {
                .info_class = FILE_ID_BOTH_DIRECTORY_INFORMATION,
                .file_id = op->fid,
                .pattern = star,
                .pattern_len = sizeof(star),
                .output_buffer_length = outlen,
        };
        w = smb_req_body(r);
        ret = smb2_query_directory_req_encode(&w, &q);
        ret = submit(op, r, &w, ret, outlen, query_dir_done);
        if (ret < 0) {
                op->error = ret;
                path_close(op);
        }
}

/* After CREATE: the operation's own step, if any. */
/* After a CREATE sent alone: READDIR lists, the others act (when a server
 * grants too few credits for a compound) and close. */
static void path_action(struct fop *op)
{
        int ret = 0;

        switch (op->kind) {
        case OP_READDIR:
                if (op->st.type != GWD_TYPE_DIR) {
                        op->error = -ENOTDIR;
                        return path_close(op);
                }
                return send_query_dir(op);
        case OP_RMDIR:
        case OP_UNLINK:
        case OP_RENAME:
        case OP_SETMTIME:
                ret = send_setinfo(op, &op->fid, op->kind);
                break;
        default:
                return path_close(op);
        }
        if (ret < 0) {
                op->error = ret;
                path_close(op);
        }
}

/* --- path operations in one round trip ------------------------------------ */

/*
 * STAT, MKDIR, UNLINK, RMDIR, RENAME and SETMTIME open the path only to act
 * on it and close it again: CREATE [+ SET_INFO] + CLOSE go out as one
 * related compound (MS-SMB2 3.2.4.1.4), one round trip instead of two or
 * three.  Each response lands in op->step_err[] (a server fails the
 * followers of a failed CREATE with its status); the operation ends with
 * the last of them, with the first error in request order.
 */
enum { STEP_CREATE, STEP_SETINFO, STEP_CLOSE };

static void step_done(struct fop *op, unsigned step, int e)
{
        int error = 0;

        op->step_err[step] = e;
        if (--op->steps_left)
                return;
        for (unsigned i = 0; i < 3 && !error; i++)
                error = op->step_err[i];
        /* A server that also failed the CLOSE after a failed SET_INFO (the
         * spec lets it) kept the handle open: close it on its own. */
        if (op->have_fid && op->step_err[STEP_CLOSE] < 0 && !transient(op->step_err[STEP_CLOSE])) {
                op->error = error;
                return path_close(op);
        }
        op->have_fid = false;
        finish(op, error);
}

static void chain_create_done(struct smb_req *r, int error, uint32_t status,
                              const uint8_t *msg, size_t len)
{
        struct fop *op = r->userdata;
        struct smb2_create_rsp rsp;
        int e = rsp_error(op, error, status);

        if (e == 0 && smb2_create_rsp_decode(msg, len, &rsp) < 0)
                e = -EBADMSG;
        if (e == 0) {
                op->have_fid = true;    /* for the CLOSE of last resort in step_done() */
                op->fid = rsp.file_id;
                stat_fill(&op->st, rsp.file_attributes, rsp.end_of_file, rsp.creation_time,
                          rsp.last_access_time, rsp.last_write_time, rsp.change_time);
        }
        step_done(op, STEP_CREATE, e);
}

static void chain_setinfo_done(struct smb_req *r, int error, uint32_t status,
                               const uint8_t *msg, size_t len)
{
        struct fop *op = r->userdata;
        int e = rsp_error(op, error, status);

        if (e == 0 && smb2_set_info_rsp_decode(msg, len) < 0)
                e = -EBADMSG;
        step_done(op, STEP_SETINFO, e);
}

static void chain_close_done(struct smb_req *r, int error, uint32_t status,
                             const uint8_t *msg, size_t len)
{
        step_done(r->userdata, STEP_CLOSE, rsp_error(r->userdata, error, status));
}

static const struct smb2_file_id related_fid = { UINT64_MAX, UINT64_MAX };

static void start_path_compound(struct fop *op, uint32_t access, uint32_t disposition,
                                uint32_t options, uint32_t attrs)
{
        struct smb_req *reqs[3];
        size_t n = 0;
        bool setinfo = op->kind != OP_STAT && op->kind != OP_MKDIR;
        int ret = build_create(op, access, disposition, options, attrs, chain_create_done,
                               &reqs[n]);

        if (ret == 0 && reqs[0]->conn->credit_peak < (setinfo ? 3u : 2u)) {
                /* a server granting fewer credits than the compound costs:
                 * the requests one by one (create_done() goes on) */
                reqs[0]->done = create_done;
                ret = submit_built(op, 0, reqs[0]);
                if (ret < 0)
                        finish(op, ret);
                return;
        }

        if (ret == 0) {
                n++;
                if (setinfo) {
                        ret = build_setinfo(op, reqs[0], &related_fid, op->kind,
                                            chain_setinfo_done, &reqs[n]);
                        if (ret == 0)
                                n++;
                }
        }
        if (ret == 0) {
                ret = build_close(op, reqs[0], &related_fid, chain_close_done, &reqs[n]);
                if (ret == 0)
                        n++;
        }
        if (ret < 0) {
                while (n)
                        smb_req_free(reqs[--n]);
                return finish(op, ret);
        }
        memset(op->step_err, 0, sizeof(op->step_err));
        op->steps_left = (unsigned)n;
        ret = smb_req_submit_chain(reqs, n);
        if (ret < 0)
                return finish(op, ret);
        op->submitted = true;
}

static void start_path(struct fop *op)
{
        uint32_t access = FILE_READ_ATTRIBUTES | SMB2_SYNCHRONIZE, disp = FILE_OPEN, opts = 0;
        uint32_t attrs = 0;
        int ret;

        switch (op->kind) {
        case OP_OPEN:
                if (op->flags & GWD_O_READ)
                        access |= (op->flags & GWD_O_DIRECTORY) ? FILE_LIST_DIRECTORY
                                                                : FILE_READ_DATA;
                if (op->flags & (GWD_O_WRITE | GWD_O_TRUNC))
                        access |= FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_ATTRIBUTES;
                if ((op->flags & GWD_O_CREATE) && (op->flags & GWD_O_EXCL))
                        disp = FILE_CREATE;
                else if ((op->flags & GWD_O_CREATE) && (op->flags & GWD_O_TRUNC))
                        disp = FILE_OVERWRITE_IF;
                else if (op->flags & GWD_O_CREATE)
                        disp = FILE_OPEN_IF;
                else if (op->flags & GWD_O_TRUNC)
                        disp = FILE_OVERWRITE;
                if (op->flags & GWD_O_DIRECTORY)
                        opts = FILE_DIRECTORY_FILE;
                else if (op->flags & (GWD_O_WRITE | GWD_O_TRUNC | GWD_O_CREATE))
                        opts = FILE_NON_DIRECTORY_FILE;
                if (op->flags & GWD_O_CREATE)
                        attrs = (op->flags & GWD_O_DIRECTORY) ? FILE_ATTRIBUTE_DIRECTORY
                                                              : FILE_ATTRIBUTE_NORMAL;
                break;
        case OP_MKDIR:
                disp = FILE_CREATE;
                opts = FILE_DIRECTORY_FILE;
                attrs = FILE_ATTRIBUTE_DIRECTORY;
                break;
        case OP_RMDIR:
                access |= SMB2_DELETE;
                opts = FILE_DIRECTORY_FILE;
                break;
        case OP_UNLINK:
                access |= SMB2_DELETE;
                opts = FILE_NON_DIRECTORY_FILE;
                break;
        case OP_RENAME:
                access |= SMB2_DELETE;
                break;
        case OP_SETMTIME:
                access |= FILE_WRITE_ATTRIBUTES;
                break;
        case OP_READDIR:
                access |= FILE_LIST_DIRECTORY;
                opts = FILE_DIRECTORY_FILE;
                break;
        default:
                break;
        }
        if (op->kind != OP_OPEN && op->kind != OP_READDIR)
                return start_path_compound(op, access, disp, opts, attrs);
        if (op->kind == OP_OPEN) {
                ret = smb_handle_request(op->t, &op->hreq);
                if (ret < 0)
                        return finish(op, ret);
        }
        ret = send_create(op, access, disp, opts, attrs);
        if (ret < 0)
                finish(op, ret);
}

/* --- read / write ------------------------------------------------------------ */

static void io_pump(struct fop *op);

static void io_done(struct smb_req *r, int error, uint32_t status, const uint8_t *msg,
                    size_t len)
{
        struct fop *op = r->userdata;
        uint64_t coff = r->arg0;
        size_t clen = (size_t)r->arg1;
        int e;

        op->inflight--;
        if (op->kind == OP_READ) {
                struct smb2_read_rsp rsp;
                if (error == 0 && status == STATUS_END_OF_FILE) {
                        rsp.data_len = 0;
                        e = 0;
                } else {
                        e = rsp_error(op, error, status);
                        if (e == 0 && r->rx_placed) {
                                /* The transport decrypted the data into
                                 * op->buf already; msg ends before it. */
                                if (smb2_read_rsp_decode_fixed(msg, len, &rsp) < 0 ||
                                    rsp.data_len != r->rx_placed || rsp.data_len > clen)
                                        e = -EBADMSG;
                        } else if (e == 0) {
                                if (smb2_read_rsp_decode(msg, len, &rsp) < 0 ||
                                    rsp.data_len > clen)
                                        e = -EBADMSG;
                                if (e == 0 && rsp.data_len)
                                        memcpy(op->buf + (coff - op->off), rsp.data,
                                               rsp.data_len);
                        }
                }
                if (e == 0 && rsp.data_len < clen) {
                        uint64_t at = coff + rsp.data_len;
                        if (!op->short_seen || at < op->eof_at)
                                op->eof_at = at;
                        op->short_seen = true;
                }
        } else {
                struct smb2_write_rsp rsp;
                e = rsp_error(op, error, status);
                if (e == 0 && smb2_write_rsp_decode(msg, len, &rsp) < 0)
                        e = -EBADMSG;
                if (e == 0 && rsp.count != clen)
                        e = -EIO;       /* a short write is never reported as success */
        }
        if (e < 0 && !op->error)
                op->error = e;
        io_pump(op);
}

static int send_io(struct fop *op, uint64_t coff, size_t clen)
{
        struct gwd_file *f = op->f;
        struct smb_req *r;
        struct wire_wr w;
        int ret;

        if (op->kind == OP_READ) {
                r = smb_tcon_req_new(op->t, SMB2_READ, 64);
                if (!r)
                        return -ENOMEM;
                struct smb2_read_req q = {
                        .padding = SMB2_READ_DATA_OFFSET,
                        .length = (uint32_t)clen,
                        .offset = coff,
                        .file_id = f->fid,
                };
                w = smb_req_body(r);
                ret = smb2_read_req_encode(&w, &q);
                /* The transport may decrypt the data straight there. */
                r->rx_buf = op->buf + (coff - op->off);
                r->rx_cap = clen;
        } else {
                r = smb_tcon_req_new(op->t, SMB2_WRITE, 64);
                if (!r)
                        return -ENOMEM;
                struct smb2_write_req q = {
                        .offset = coff,
                        .file_id = f->fid,
                        .data = NULL,
                        .length = (uint32_t)clen,
                };
                w = smb_req_body(r);
                ret = smb2_write_req_encode(&w, &q);
                r->payload = op->cbuf + (coff - op->off);
                r->payload_len = clen;
        }
        r->arg0 = coff;
        r->arg1 = clen;
        if (op->retries && op->kind == OP_WRITE && op->t->ses->dialect >= SMB2_DIALECT_300)
                smb2_hdr_set_flags(r->buf + 4, SMB2_FLAGS_REPLAY_OPERATION);
        ret = submit(op, r, &w, ret, clen, io_done);
        if (ret == 0)
                op->inflight++;
        return ret;
}

static void io_pump(struct fop *op)
{
        struct smb_conn *c = smb_session_pick(op->t->ses);
        size_t chunk = smb_conn_io_max(c, op->kind == OP_READ);

        while (!op->error && !op->short_seen && op->issued < op->len &&
               op->inflight < depth(op)) {
                size_t n = op->len - op->issued;
                if (!chunk) {
                        op->error = -ENOTCONN;
                        break;
                }
                if (n > chunk)
                        n = chunk;
                int ret = send_io(op, op->off + op->issued, n);
                if (ret < 0) {
                        op->error = ret;
                        break;
                }
                op->issued += n;
        }
        if (op->inflight == 0)
                finish(op, op->error);
}

static void start_io(struct fop *op)
{
        if (!handle_ready(op))
                return;
        if (op->len == 0)
                return finish(op, 0);
        io_pump(op);
}

/* --- handle operations --------------------------------------------------------- */

static void fstat_done(struct smb_req *r, int error, uint32_t status, const uint8_t *msg,
                       size_t len)
{
        struct fop *op = r->userdata;
        struct smb2_query_info_rsp rsp;
        struct smb2_file_all_info all;
        int e = rsp_error(op, error, status);

        if (e == 0 && (smb2_query_info_rsp_decode(msg, len, &rsp) < 0 ||
                       smb2_file_all_info_decode(rsp.buf, rsp.len, &all) < 0))
                e = -EBADMSG;
        if (e == 0) {
                stat_fill(&op->st, all.basic.file_attributes, all.standard.end_of_file,
                          all.basic.creation_time, all.basic.last_access_time,
                          all.basic.last_write_time, all.basic.change_time);
                op->st.file_id = all.index_number;
        }
        finish(op, e);
}

static void flush_done(struct smb_req *r, int error, uint32_t status, const uint8_t *msg,
                       size_t len)
{
        struct fop *op = r->userdata;
        int e = rsp_error(op, error, status);
        if (e == 0 && smb2_flush_rsp_decode(msg, len) < 0)
                e = -EBADMSG;
        finish(op, e);
}

static void start_handle(struct fop *op)
{
        struct smb_req *r;
        struct wire_wr w;
        int ret;

        if (!handle_ready(op))
                return;
        switch (op->kind) {
        case OP_TRUNCATE:
                ret = send_setinfo(op, &op->f->fid, OP_TRUNCATE);
                break;
        case OP_FSTAT:
                r = smb_tcon_req_new(op->t, SMB2_QUERY_INFO, 64);
                if (!r) {
                        ret = -ENOMEM;
                        break;
                }
                {
                        struct smb2_query_info_req q = {
                                .info_type = SMB2_0_INFO_FILE,
                                .file_info_class = FILE_ALL_INFORMATION,
                                .output_buffer_length = 4096,
                                .file_id = op->f->fid,
                        };
                        w = smb_req_body(r);
                        ret = smb2_query_info_req_encode(&w, &q);
                }
                goto send;
        case OP_FLUSH:
                r = smb_tcon_req_new(op->t, SMB2_FLUSH, 32);
                if (!r) {
                        ret = -ENOMEM;
                        break;
                }
                w = smb_req_body(r);
                ret = smb2_flush_req_encode(&w, &op->f->fid);
                goto send;
        default:
                ret = -EINVAL;
                break;
        }
        if (ret < 0)
                finish(op, ret);
        return;
send:
        ret = submit(op, r, &w, ret, op->kind == OP_FSTAT ? 4096 : 0,
                     op->kind == OP_FSTAT ? fstat_done : flush_done);
        if (ret < 0)
                finish(op, ret);
}

static void start_close(struct fop *op)
{
        struct gwd_file *f = op->f;
        int ret;

        smb_tcon_file_remove(op->t, f);
        bool live = smb_handle_current(f);
        struct smb2_file_id fid = f->fid;
        smb_handle_free(f);
        op->f = NULL;
        /* A handle that died with its tree has nothing to close (a durable
         * open left on the server expires there by its timeout). */
        op->no_retry = true;
        if (!live)
                return finish(op, 0);
        ret = send_close(op, &fid);
        if (ret < 0)
                finish(op, ret);
}

static void (*const starters[])(struct fop *) = {
        [OP_OPEN] = start_path,      [OP_CLOSE] = start_close,   [OP_READ] = start_io,
        [OP_WRITE] = start_io,       [OP_STAT] = start_path,     [OP_FSTAT] = start_handle,
        [OP_READDIR] = start_path,   [OP_MKDIR] = start_path,    [OP_RMDIR] = start_path,
        [OP_UNLINK] = start_path,    [OP_RENAME] = start_path,   [OP_TRUNCATE] = start_handle,
        [OP_FLUSH] = start_handle,   [OP_SETMTIME] = start_path,
};

/* --- the ops table ------------------------------------------------------------- */

static struct fop *path_op(void *share, enum fop_kind kind, const char *path, gwd_done_fn done,
                           void *cbdata)
{
        struct fop *op = fop_new(share, kind, done, cbdata);
        int r;

        if (!op)
                return NULL;
        op->path = path;
        r = smb_path_to_utf16(path, &op->name16, &op->name16_len);
        if (r < 0) {
                finish(op, r == -EILSEQ ? -EINVAL : r);
                return NULL;
        }
        return op;
}

static void smb_open(void *share, const char *path, uint32_t flags, gwd_done_fn done,
                     void *cbdata)
{
        struct fop *op = path_op(share, OP_OPEN, path, done, cbdata);
        if (!op)
                return;
        op->flags = flags;
        begin(op);
}

static void smb_close(void *share, struct gwd_file *f, gwd_done_fn done, void *cbdata)
{
        struct smb_tcon *t = f->tcon;
        struct fop *op;

        if (!t || !smb_sm_is(&t->sm, SMB_TCON_GOOD)) {
                /* Tree gone or being rebuilt: the handle is dead, forget it. */
                if (t)
                        smb_tcon_file_remove(t, f);
                smb_handle_free(f);
                op = fop_new(share, OP_CLOSE, done, cbdata);
                if (op)
                        finish(op, 0);
                return;
        }
        op = fop_new(t, OP_CLOSE, done, cbdata);
        if (!op)
                return;
        op->f = f;
        start_close(op);
}

static void smb_read(void *share, struct gwd_file *f, uint64_t offset, void *buf, size_t len,
                     gwd_done_fn done, void *cbdata)
{
        struct fop *op = fop_new(share, OP_READ, done, cbdata);
        if (!op)
                return;
        if (!f->tcon)
                return finish(op, -ESTALE);
        if (!(f->flags & GWD_O_READ))
                return finish(op, -EBADF);
        if (f->is_dir)
                return finish(op, -EISDIR);
        op->f = f;
        op->buf = buf;
        op->off = offset;
        op->len = len;
        begin(op);
}

static void smb_write(void *share, struct gwd_file *f, uint64_t offset, const void *buf,
                      size_t len, gwd_done_fn done, void *cbdata)
{
        struct fop *op = fop_new(share, OP_WRITE, done, cbdata);
        if (!op)
                return;
        if (!f->tcon)
                return finish(op, -ESTALE);
        if (!(f->flags & GWD_O_WRITE))
                return finish(op, -EBADF);
        op->f = f;
        op->cbuf = buf;
        op->off = offset;
        op->len = len;
        begin(op);
}

static void smb_stat(void *share, const char *path, gwd_done_fn done, void *cbdata)
{
        struct fop *op = path_op(share, OP_STAT, path, done, cbdata);
        if (op)
                begin(op);
}

static void handle_op(void *share, enum fop_kind kind, struct gwd_file *f, uint64_t size,
                      gwd_done_fn done, void *cbdata)
{
        struct fop *op = fop_new(share, kind, done, cbdata);
        if (!op)
                return;
        if (!f->tcon)
                return finish(op, -ESTALE);
        if (kind == OP_TRUNCATE && !(f->flags & GWD_O_WRITE))
                return finish(op, -EBADF);
        op->f = f;
        op->size = size;
        begin(op);
}

static void smb_fstat(void *share, struct gwd_file *f, gwd_done_fn done, void *cbdata)
{
        handle_op(share, OP_FSTAT, f, 0, done, cbdata);
}

static void smb_truncate(void *share, struct gwd_file *f, uint64_t size, gwd_done_fn done,
                         void *cbdata)
{
        handle_op(share, OP_TRUNCATE, f, size, done, cbdata);
}

static void smb_flush(void *share, struct gwd_file *f, gwd_done_fn done, void *cbdata)
{
        handle_op(share, OP_FLUSH, f, 0, done, cbdata);
}

static void smb_readdir(void *share, const char *path, gwd_done_fn done, void *cbdata)
{
        struct fop *op = path_op(share, OP_READDIR, path, done, cbdata);
        if (op)
                begin(op);
}

static void smb_mkdir(void *share, const char *path, gwd_done_fn done, void *cbdata)
{
        struct fop *op = path_op(share, OP_MKDIR, path, done, cbdata);
        if (op)
                begin(op);
}

static void smb_rmdir(void *share, const char *path, gwd_done_fn done, void *cbdata)
{
        struct fop *op = path_op(share, OP_RMDIR, path, done, cbdata);
        if (op)
                begin(op);
}

static void smb_unlink(void *share, const char *path, gwd_done_fn done, void *cbdata)
{
        struct fop *op = path_op(share, OP_UNLINK, path, done, cbdata);
        if (op)
                begin(op);
}

static void smb_rename(void *share, const char *from, const char *to, uint32_t flags,
                       gwd_done_fn done, void *cbdata)
{
        struct fop *op = path_op(share, OP_RENAME, from, done, cbdata);
        int r;

        if (!op)
                return;
        op->flags = flags;
        r = smb_path_to_utf16(to, &op->name16b, &op->name16b_len);
        if (r < 0)
                return finish(op, r == -EILSEQ ? -EINVAL : r);
        begin(op);
}

static void smb_set_mtime(void *share, const char *path, int64_t mtime_ns, gwd_done_fn done,
                          void *cbdata)
{
        struct fop *op = path_op(share, OP_SETMTIME, path, done, cbdata);
        if (!op)
                return;
        op->mtime_ns = mtime_ns;
        begin(op);
}

const struct gwd_backend_ops smb_backend_ops = {
        .struct_size = sizeof(struct gwd_backend_ops),
        .open = smb_open,
        .close = smb_close,
        .read = smb_read,
        .write = smb_write,
        .stat = smb_stat,
        .fstat = smb_fstat,
        .readdir = smb_readdir,
        .mkdir = smb_mkdir,
        .rmdir = smb_rmdir,
        .unlink = smb_unlink,
        .rename = smb_rename,
        .truncate = smb_truncate,
        .flush = smb_flush,
        .set_mtime = smb_set_mtime,
};
