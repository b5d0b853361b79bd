/* SPDX-License-Identifier: MIT */
/*
 * PUT: the body is streamed into a temporary file next to the target
 * (".gwd-upload-<random>") and renamed over the target only once complete.
 * At most WD_PUT_BUFS chunks of WD_PUT_CHUNK bytes are held, taken from the
 * server-wide budget (upload_buffer_bytes); while they are all being
 * written the connection is suspended, so the client is slowed down to the
 * backend's pace.  An upload that cannot get its first chunk waits in line
 * (FIFO) for one.  Any failure or an interrupted upload closes and unlinks
 * the temporary file; the old target is never touched.  With flush_uploads
 * the data is flushed to stable storage before the rename.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "wd-path.h"
#include "wd.h"

#define TMP_PREFIX ".gwd-upload-"

struct put_buf {
        char *data;
        size_t len;
        bool inflight;
};

struct put_state {
        struct wd_req *req;
        struct put_state *wait_next;    /* in srv->put_waiters */
        bool waiting;                   /* for a chunk of the budget */
        unsigned nbufs;                 /* chunks held */
        struct gwd_file *f;
        char *tmp;              /* share path of the temporary file */
        bool exists;            /* the target existed: 204, else 201 */
        bool create_only;       /* If-None-Match: * */
        struct put_buf bufs[WD_PUT_BUFS];
        unsigned cur;
        unsigned inflight;
        uint64_t off;           /* next write offset */
        uint64_t received;
        int error;
        bool ending;            /* body complete, finishing */
        bool cleaning;          /* close + unlink started */
        bool done;              /* answered and nothing left to clean */
        bool opening;           /* stat + open of the temporary file started */
};

/* --- the upload buffer budget ----------------------------------------------- */

static void waiter_remove(struct wd_server *srv, struct put_state *p)
{
        for (struct put_state **pp = &srv->put_waiters; *pp; pp = &(*pp)->wait_next) {
                if (*pp == p) {
                        *pp = p->wait_next;
                        break;
                }
        }
        p->wait_next = NULL;
        p->waiting = false;
}

static void waiter_add(struct wd_server *srv, struct put_state *p)
{
        struct put_state **pp = &srv->put_waiters;
        if (p->waiting)
                return;
        while (*pp)
                pp = &(*pp)->wait_next;
        *pp = p;
        p->wait_next = NULL;
        p->waiting = true;
}

/* A chunk for `b`: 0, -EAGAIN when the budget is spent, -ENOMEM. */
static int chunk_take(struct wd_req *req, struct put_buf *b)
{
        struct wd_server *srv = req->srv;
        struct put_state *p = req->m;

        if (srv->put_chunks_used >= srv->conf.upload_chunks)
                return -EAGAIN;
        b->data = malloc(WD_PUT_CHUNK);
        if (!b->data)
                return -ENOMEM;
        srv->put_chunks_used++;
        p->nbufs++;
        return 0;
}

/* Give back every chunk not being written, and wake as many waiting
 * uploads as there are chunks free (first come, first served). */
static void chunks_release(struct wd_req *req)
{
        struct wd_server *srv = req->srv;
        struct put_state *p = req->m;

        for (unsigned i = 0; i < WD_PUT_BUFS; i++) {
                struct put_buf *b = &p->bufs[i];
                if (!b->data || b->inflight)
                        continue;
                free(b->data);
                b->data = NULL;
                b->len = 0;
                srv->put_chunks_used--;
                p->nbufs--;
        }
        if (p->waiting)
                waiter_remove(srv, p);
        for (uint64_t free_chunks = srv->conf.upload_chunks - srv->put_chunks_used;
             free_chunks && srv->put_waiters; free_chunks--) {
                struct put_state *w = srv->put_waiters;
                waiter_remove(srv, w);
                req_wake(w->req);       /* takes its chunk in put_body() */
        }
}

static void put_free(struct wd_req *req)
{
        struct put_state *p = req->m;
        if (!p)
                return;
        chunks_release(req);    /* every write holds a reference: none is in flight */
        free(p->tmp);
        free(p);
        req->m = NULL;
}

/* --- cleanup: close and unlink the temporary file ------------------------- */

static void cleanup_unlink_done(void *cbdata, const struct gwd_result *res)
{
        struct wd_req *req = cbdata;
        struct put_state *p = req->m;
        /* -ENODEV: the share itself went away (shutdown, reload) */
        if (res->error < 0 && res->error != -ENOENT)
                gwd_log(req->srv->api, req->srv->ctx,
                        res->error == -ENODEV ? GWD_LOG_DEBUG : GWD_LOG_WARNING,
                        "cannot remove the partial upload \"%s\": %s", p->tmp,
                        strerror(-res->error));
        p->done = true;
        req_unref(req);
}

static void cleanup_close_done(void *cbdata, const struct gwd_result *res)
{
        struct wd_req *req = cbdata;
        struct put_state *p = req->m;
        /* still inside a completion of this share: it is alive */
        req->ops->unlink(req->sh, p->tmp, cleanup_unlink_done, req);
}

/* Start the cleanup once no write is in flight; holds a request reference
 * until the unlink completes. */
static void maybe_cleanup(struct wd_req *req)
{
        struct put_state *p = req->m;
        if (p->cleaning || p->inflight || !p->f)
                return;
        chunks_release(req);
        p->cleaning = true;
        req_ref(req);
        struct gwd_file *f = p->f;
        p->f = NULL;
        req->ops->close(req->sh, f, cleanup_close_done, req);
}

static void put_fail(struct wd_req *req, int err)
{
        struct put_state *p = req->m;
        if (!p->error)
                p->error = err;
        req->on_body = NULL;
        req->on_end = NULL;
        req->on_abort = NULL;
        if (!req->resp && !req->mhd_done) {
                if (err == -EFBIG)
                        req_respond_text(req, 413, "the upload is larger than max_upload_bytes");
                else
                        req_respond_errno(req, err, WD_M_WRITE);
        }
        maybe_cleanup(req);
}

static void put_abort(struct wd_req *req)
{
        struct put_state *p = req->m;
        req->on_body = NULL;
        req->on_end = NULL;
        if (!p->error)
                p->error = -ECONNRESET;
        gwd_log(req->srv->api, req->srv->ctx, GWD_LOG_INFO,
                "upload of \"%s\" interrupted after %" PRIu64 " bytes; discarded", req->path,
                p->received);
        maybe_cleanup(req);
}

/* --- finishing: close, rename -------------------------------------------------- */

static void finish_rename_done(void *cbdata, const struct gwd_result *res)
{
        struct wd_req *req = cbdata;
        struct put_state *p = req->m;

        req->on_abort = NULL;
        if (res->error < 0) {
                if (!req->mhd_done)
                        req_respond_errno(req, res->error, WD_M_WRITE);
                req_ref(req);
                req->ops->unlink(req->sh, p->tmp, cleanup_unlink_done, req);
        } else {
                p->done = true;
                req_respond_text(req, p->exists ? 204 : 201, NULL);
        }
        req_unref(req);
}

static void finish_close_done(void *cbdata, const struct gwd_result *res)
{
        struct wd_req *req = cbdata;
        struct put_state *p = req->m;

        if (res->error < 0) {
                req->on_abort = NULL;
                if (!req->mhd_done)
                        req_respond_errno(req, res->error, WD_M_WRITE);
                req_ref(req);
                req->ops->unlink(req->sh, p->tmp, cleanup_unlink_done, req);
        } else {
                req_ref(req);
                req->ops->rename(req->sh, p->tmp, req->path,
                                 p->create_only ? 0 : GWD_RENAME_REPLACE, finish_rename_done,
                                 req);
        }
        req_unref(req);
}

/* Close the temporary file; finish_close_done() renames it. */
static void finish_close(struct wd_req *req)
{
        struct put_state *p = req->m;
        struct gwd_file *f = p->f;

        p->f = NULL;
        req_ref(req);
        req->ops->close(req->sh, f, finish_close_done, req);
}

static void flush_done(void *cbdata, const struct gwd_result *res)
{
        struct wd_req *req = cbdata;
        struct put_state *p = req->m;

        p->inflight--;
        if (res->error < 0 && res->error != -EOPNOTSUPP)
                put_fail(req, res->error);
        else
                finish_close(req);
        req_unref(req);
}

static void submit(struct wd_req *req, struct put_buf *b);

/* All data written: flush (with flush_uploads: durability before the
 * rename), close, rename. */
static void maybe_finish(struct wd_req *req)
{
        struct put_state *p = req->m;
        if (!p->ending || p->inflight || p->error || !p->f)
                return;
        chunks_release(req);
        if (!req->srv->conf.flush_uploads) {
                finish_close(req);
                return;
        }
        p->inflight++;
        req_ref(req);
        req->ops->flush(req->sh, p->f, flush_done, req);
}

struct write_tag {
        struct wd_req *req;
        struct put_buf *b;
};

static void tagged_write_done(void *cbdata, const struct gwd_result *res)
{
        struct write_tag *t = cbdata;
        struct wd_req *req = t->req;
        struct put_state *p = req->m;
        struct put_buf *b = t->b;

        free(t);
        b->inflight = false;
        b->len = 0;
        p->inflight--;
        if (res->error < 0) {
                put_fail(req, res->error);
        } else if (p->error || req->mhd_done) {
                maybe_cleanup(req);
        } else if (p->ending) {
                maybe_finish(req);
        } else {
                req_wake(req);  /* room again: take more of the body */
        }
        req_unref(req);
}

static void submit(struct wd_req *req, struct put_buf *b)
{
        struct put_state *p = req->m;
        struct write_tag *t = malloc(sizeof(*t));
        size_t len = b->len;

        if (!t) {
                put_fail(req, -ENOMEM);
                return;
        }
        t->req = req;
        t->b = b;
        b->inflight = true;
        p->inflight++;
        req_ref(req);
        req->ops->write(req->sh, p->f, p->off, b->data, len, tagged_write_done, t);
        p->off += len;
}

static void put_prepare(struct wd_req *req);

static void put_body(struct wd_req *req, const char *data, size_t *len)
{
        struct put_state *p = req->m;
        uint64_t max = req->srv->conf.max_upload;

        if (!p->f) {
                /* first data: find out about the target and open the
                 * temporary file; the data stays with MHD until then */
                if (!p->opening)
                        put_prepare(req);
                if (!p->f && !req->resp)
                        req_wait(req);
                return;
        }

        while (*len > 0) {
                struct put_buf *b = &p->bufs[p->cur];
                size_t n;

                if (p->error) {
                        *len = 0;
                        return;
                }
                if (b->inflight) {
                        req_wait(req);  /* backpressure: suspend until a write is done */
                        return;
                }
                if (!b->data) {
                        int r = chunk_take(req, b);
                        if (r == -EAGAIN && !p->nbufs) {
                                if (!p->waiting)
                                        gwd_log(req->srv->api, req->srv->ctx, GWD_LOG_DEBUG,
                                                "upload of \"%s\" waits for a buffer "
                                                "(upload_buffer_bytes in use)", req->path);
                                waiter_add(req->srv, p);
                                req_wait(req);  /* chunks_release() wakes us */
                                return;
                        }
                        if (r == -EAGAIN) {
                                /* the budget is spent: go round the chunks
                                 * this upload has (taken in slot order) */
                                p->cur = 0;
                                continue;
                        }
                        if (r < 0) {
                                put_fail(req, r);
                                *len = 0;
                                return;
                        }
                }
                n = WD_PUT_CHUNK - b->len < *len ? WD_PUT_CHUNK - b->len : *len;
                if (max && p->received + n > max) {
                        put_fail(req, -EFBIG);
                        *len = 0;
                        return;
                }
                memcpy(b->data + b->len, data, n);
                b->len += n;
                data += n;
                *len -= n;
                p->received += n;
                if (b->len == WD_PUT_CHUNK) {
                        submit(req, b);
                        p->cur = (p->cur + 1) % WD_PUT_BUFS;
                }
        }
}

static void put_end(struct wd_req *req)
{
        struct put_state *p = req->m;
        struct put_buf *b = &p->bufs[p->cur];

        if (!p->f) {
                /* an empty body: prepare first, then come back here */
                p->ending = true;
                if (!p->opening)
                        put_prepare(req);
                if (!req->resp)
                        req_wait(req);
                return;
        }
        req->on_body = NULL;
        req->on_abort = put_abort;      /* until the rename: a drop still cleans up */
        p->ending = true;
        req_wait(req);
        if (b->len && !b->inflight)
                submit(req, b);
        maybe_finish(req);
}

/* --- start: stat the target, check, open the temporary file ----------------- */

static void open_tmp_done(void *cbdata, const struct gwd_result *res)
{
        struct wd_req *req = cbdata;
        struct put_state *p = req->m;

        if (res->error < 0) {
                /* a missing parent collection is a conflict (RFC 4918 9.7.1) */
                if (res->error == -ENOENT || res->error == -ENOTDIR)
                        req_respond_text(req, 409, "the parent collection does not exist");
                else
                        req_respond_errno(req, res->error, WD_M_WRITE);
                goto out;
        }
        p->f = res->file;
        req->on_abort = put_abort;
        if (req->mhd_done) {
                put_abort(req);
                goto out;
        }
        if (p->ending) {
                p->ending = false;
                put_end(req);
        } else {
                req_wake(req);
        }
out:
        req_unref(req);
}

static int tmp_name(const char *target, char **ret)
{
        uint8_t r[8];
        char name[64];
        char *dir;

        if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
                return -EIO;
        snprintf(name, sizeof(name), TMP_PREFIX "%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1],
                 r[2], r[3], r[4], r[5], r[6], r[7]);
        dir = wd_dirname(target);
        if (!dir)
                return -ENOMEM;
        *ret = wd_join(dir, name);
        free(dir);
        return *ret ? 0 : -ENOMEM;
}

static void stat_done(void *cbdata, const struct gwd_result *res)
{
        struct wd_req *req = cbdata;
        struct put_state *p = req->m;
        struct wd_cond c;
        int pre, r;

        if (res->error < 0 && res->error != -ENOENT) {
                if (res->error == -ENOTDIR)
                        req_respond_text(req, 409, "a parent is not a collection");
                else
                        req_respond_errno(req, res->error, WD_M_WRITE);
                goto out;
        }
        if (req->mhd_done)
                goto out;
        p->exists = res->error == 0;
        if (p->exists && res->st->type == GWD_TYPE_DIR) {
                req_respond_text(req, 405, "PUT on a collection");
                goto out;
        }
        if (p->exists) {
                wd_etag(res->st, req->etag);
                req->have_etag = true;
        }
        c = (struct wd_cond){
                .if_match = req_header(req, MHD_HTTP_HEADER_IF_MATCH),
                .if_none_match = req_header(req, MHD_HTTP_HEADER_IF_NONE_MATCH),
                .if_unmodified_since = req_header(req, MHD_HTTP_HEADER_IF_UNMODIFIED_SINCE),
        };
        pre = wd_preconditions(&c, p->exists, req->etag,
                               p->exists ? (time_t)(res->st->mtime_ns / 1000000000) : 0, 0);
        if (pre) {
                req_respond_text(req, 412, "precondition failed");
                goto out;
        }
        p->create_only = c.if_none_match && strcmp(c.if_none_match, "*") == 0;
        if (!wd_locks_ok(req, req->exp->share, req->path,
                         WD_LCK_SELF | (p->exists ? 0 : WD_LCK_PARENT)))
                goto out;
        r = tmp_name(req->path, &p->tmp);
        if (r < 0) {
                req_respond_errno(req, r, WD_M_WRITE);
                goto out;
        }
        req_ref(req);
        req->ops->open(req->sh, p->tmp, GWD_O_WRITE | GWD_O_CREATE | GWD_O_EXCL, open_tmp_done,
                       req);
out:
        req_unref(req);
}

void wd_put_begin(struct wd_req *req)
{
        struct put_state *p;
        const char *cl = req_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
        uint64_t max = req->srv->conf.max_upload;

        if (!*req->path || req->slash) {
                req_respond_text(req, 405, "PUT on a collection");
                return;
        }
        if (req_header(req, MHD_HTTP_HEADER_CONTENT_RANGE)) {
                req_respond_text(req, 400, "partial PUT is not supported");
                return;
        }
        if (cl && max && strtoull(cl, NULL, 10) > max) {
                req_respond_text(req, 413, "the upload is larger than max_upload_bytes");
                return;
        }
        if (strncmp(wd_basename(req->path), TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
                req_respond_text(req, 403, "names starting with " TMP_PREFIX " are reserved");
                return;
        }
        p = calloc(1, sizeof(*p));
        if (!p) {
                req_respond_errno(req, -ENOMEM, WD_M_WRITE);
                return;
        }
        p->req = req;
        req->m = p;
        req->m_free = put_free;
        req->on_body = put_body;
        req->on_end = put_end;
        /* ask the backend now, before the body: errors (412, 423, 409) go
         * out before the client sends it */
        req_wait(req);
        put_prepare(req);
}

static void put_prepare(struct wd_req *req)
{
        struct put_state *p = req->m;
        p->opening = true;
        req_ref(req);
        req->ops->stat(req->sh, req->path, stat_done, req);
}
