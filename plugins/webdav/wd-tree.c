/* SPDX-License-Identifier: MIT */
/*
 * Namespace operations: MKCOL, DELETE (recursive), COPY and MOVE (with
 * Destination, Overwrite and Depth, also between exports of different
 * shares).  Trees are walked one backend operation at a time with an
 * explicit stack of directory frames, so memory is bounded by the depth
 * times the listing sizes, never by the data.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wd-path.h"
#include "wd.h"

/* --- MKCOL -------------------------------------------------------------------- */

static void mkcol_done(void *cbdata, const struct gwd_result *res)
{
        struct wd_req *req = cbdata;
        if (res->error == -ENOENT || res->error == -ENOTDIR)
                req_respond_text(req, 409, "the parent collection does not exist");
        else if (res->error < 0)
                req_respond_errno(req, res->error, WD_M_CREATE);
        else
                req_respond_text(req, 201, NULL);
        req_unref(req);
}

void wd_mkcol(struct wd_req *req)
{
        if (req->body_seen > 0) {
                req_respond_text(req, 415, "MKCOL with a body is not supported");
                return;
        }
        if (!*req->path) {
                req_respond_text(req, 405, "the collection exists");
                return;
        }
        if (!wd_locks_ok(req, req->exp->share, req->path, WD_LCK_SELF | WD_LCK_PARENT))
                return;
        req_wait(req);
        req_ref(req);
        req->ops->mkdir(req->sh, req->path, mkcol_done, req);
}

/* --- the tree engine ----------------------------------------------------------- */

struct frame {
        struct frame *up;
        char *src, *dst;        /* dst only when copying */
        char **names;
        uint32_t *types;
        size_t n, i;
        bool listed;
        bool child_failed;
};

enum side { SRC, DST };

struct tree {
        struct wd_req *req;
        const char *share[2];           /* share names (owned by the config) */
        const struct wd_export *exp[2];
        char *path[2];                  /* request source and destination */
        int depth;
        bool overwrite, dest_existed, src_dir;
        struct frame *top;
        int root_err;
        struct wd_buf errs;             /* <D:response> elements */
        size_t n_errs;
        void (*after)(struct tree *t);
        /* file copy */
        struct gwd_share *cs[2];        /* shares of the open files */
        const struct gwd_backend_ops *cops[2];
        void *csh[2];
        struct gwd_file *cf[2];
        char *cpath[2];
        char *cbuf;
        uint64_t coff;
        int cerr;
        void (*cdone)(struct tree *t, int err);
};

/* The share of `side`, looked up again: between operations on different
 * shares nothing keeps the other one alive, and a share that went away
 * must give an error, not a dangling pointer. */
static const struct gwd_backend_ops *side_ops(struct tree *t, enum side s, void **sh,
                                              struct gwd_share **ret_share)
{
        struct wd_server *srv = t->req->srv;
        struct gwd_share *share = srv->api->share_find(srv->ctx, t->share[s]);
        if (ret_share)
                *ret_share = share;
        if (!share)
                return NULL;
        return srv->api->share_ops(share, sh);
}

static void frame_free(struct frame *f)
{
        if (!f)
                return;
        for (size_t i = 0; i < f->n; i++)
                free(f->names[i]);
        free(f->names);
        free(f->types);
        free(f->src);
        free(f->dst);
        free(f);
}

static void tree_free(struct wd_req *req)
{
        struct tree *t = req->m;
        if (!t)
                return;
        while (t->top) {
                struct frame *f = t->top;
                t->top = f->up;
                frame_free(f);
        }
        free(t->path[SRC]);
        free(t->path[DST]);
        free(t->cbuf);
        free(t->cpath[SRC]);
        free(t->cpath[DST]);
        buf_done(&t->errs);
        free(t);
        req->m = NULL;
}

static void add_err(struct tree *t, enum side s, const char *path, bool dir, int err)
{
        int retry;
        unsigned st = wd_status_of_errno(err, WD_M_WRITE, &retry);
        struct wd_buf h;

        buf_init(&h);
        wd_href(&h, t->exp[s]->prefix, path, dir);
        buf_adds(&t->errs, "<D:response><D:href>");
        buf_add_xml(&t->errs, h.data ? h.data : "/");
        buf_printf(&t->errs, "</D:href><D:status>HTTP/1.1 %u %s</D:status></D:response>\n", st,
                   wd_reason(st));
        buf_done(&h);
        t->n_errs++;
}

static int frame_push(struct tree *t, const char *src, const char *dst)
{
        struct frame *f = calloc(1, sizeof(*f));
        if (!f || !(f->src = strdup(src)) || (dst && !(f->dst = strdup(dst)))) {
                frame_free(f);
                return -ENOMEM;
        }
        f->up = t->top;
        t->top = f;
        return 0;
}

static void frame_pop(struct tree *t)
{
        struct frame *f = t->top;
        t->top = f->up;
        frame_free(f);
}

/* Keep a copy of a listing (the result is only valid in the callback). */
static int frame_fill(struct frame *f, const struct gwd_result *res)
{
        size_t n = 0;
        f->names = calloc(res->n_entries ? res->n_entries : 1, sizeof(*f->names));
        f->types = calloc(res->n_entries ? res->n_entries : 1, sizeof(*f->types));
        if (!f->names || !f->types)
                return -ENOMEM;
        for (size_t i = 0; i < res->n_entries; i++) {
                if (wd_hidden_name(res->entries[i].name))
                        continue;
                f->names[n] = strdup(res->entries[i].name);
                if (!f->names[n]) {
                        f->n = n;
                        return -ENOMEM;
                }
                f->types[n++] = res->entries[i].st.type;
        }
        f->n = n;
        f->listed = true;
        return 0;
}

/* --- recursive delete (on side s) ------------------------------------------ */

static void del_step(struct tree *t, enum side s);

/* Completion tags carry the side. */
struct tag {
        struct tree *t;
        enum side s;
        char *path;
};

static struct tag *tag_new(struct tree *t, enum side s, char *path)
{
        struct tag *g = malloc(sizeof(*g));
        if (g) {
                g->t = t;
                g->s = s;
                g->path = path;
        }
        return g;
}

static void tag_free(struct tag *g)
{
        free(g->path);
        free(g);
}

static void del_unlink_done(void *cbdata, const struct gwd_result *res)
{
        struct tag *g = cbdata;
        struct tree *t = g->t;
        if (res->error < 0 && res->error != -ENOENT) {
                add_err(t, g->s, g->path, false, res->error);
                t->top->child_failed = true;
        }
        enum side s = g->s;
        tag_free(g);
        del_step(t, s);
}

static void del_rmdir_done(void *cbdata, const struct gwd_result *res)
{
        struct tag *g = cbdata;
        struct tree *t = g->t;
        enum side s = g->s;
        struct frame *f = t->top;
        bool failed = res->error < 0 && res->error != -ENOENT;

        if (failed && !(res->error == -ENOTEMPTY && f->child_failed)) {
                if (f->up)
                        add_err(t, s, f->src, true, res->error);
                else
                        t->root_err = res->error;
        }
        tag_free(g);
        frame_pop(t);
        if (!t->top) {
                t->after(t);
                return;
        }
        if (failed)
                t->top->child_failed = true;
        del_step(t, s);
}

static void del_readdir_done(void *cbdata, const struct gwd_result *res)
{
        struct tag *g = cbdata;
        struct tree *t = g->t;
        enum side s = g->s;
        int r = res->error < 0 ? res->error : frame_fill(t->top, res);

        tag_free(g);
        if (r < 0) {
                struct frame *f = t->top;
                if (f->up) {
                        add_err(t, s, f->src, true, r);
                        frame_pop(t);
                        t->top->child_failed = true;
                } else {
                        t->root_err = r;
                        frame_pop(t);
                        t->after(t);
                        return;
                }
        }
        del_step(t, s);
}

static void del_fail_now(struct tree *t, enum side s, int err)
{
        /* the share went away: unwind everything */
        while (t->top)
                frame_pop(t);
        t->root_err = err;
        t->after(t);
}

static void del_step(struct tree *t, enum side s)
{
        struct frame *f = t->top;
        void *sh;
        const struct gwd_backend_ops *ops = side_ops(t, s, &sh, NULL);
        struct tag *g;

        if (!ops)
                return del_fail_now(t, s, -ENODEV);
        if (!f->listed) {
                g = tag_new(t, s, NULL);
                if (!g)
                        return del_fail_now(t, s, -ENOMEM);
                ops->readdir(sh, f->src, del_readdir_done, g);
                return;
        }
        if (f->i < f->n) {
                size_t i = f->i++;
                char *child = wd_join(f->src, f->names[i]);
                if (!child)
                        return del_fail_now(t, s, -ENOMEM);
                if (f->types[i] == GWD_TYPE_DIR) {
                        int r = frame_push(t, child, NULL);
                        free(child);
                        if (r < 0)
                                return del_fail_now(t, s, r);
                        del_step(t, s);
                        return;
                }
                g = tag_new(t, s, child);
                if (!g) {
                        free(child);
                        return del_fail_now(t, s, -ENOMEM);
                }
                ops->unlink(sh, g->path, del_unlink_done, g);
                return;
        }
        g = tag_new(t, s, NULL);
        if (!g)
                return del_fail_now(t, s, -ENOMEM);
        ops->rmdir(sh, f->src, del_rmdir_done, g);
}

static void del_file_done(void *cbdata, const struct gwd_result *res)
{
        struct tag *g = cbdata;
        struct tree *t = g->t;
        t->root_err = res->error;
        tag_free(g);
        t->after(t);
}

/* Delete path on side s (a directory when dir), then t->after(t). */
static void delete_tree(struct tree *t, enum side s, const char *path, bool dir,
                        void (*after)(struct tree *t))
{
        void *sh;
        const struct gwd_backend_ops *ops = side_ops(t, s, &sh, NULL);
        struct tag *g;
        int r;

        t->after = after;
        t->root_err = 0;
        if (!ops)
                return del_fail_now(t, s, -ENODEV);
        if (!dir) {
                g = tag_new(t, s, NULL);
                if (!g)
                        return del_fail_now(t, s, -ENOMEM);
                ops->unlink(sh, path, del_file_done, g);
                return;
        }
        r = frame_push(t, path, NULL);
        if (r < 0)
                return del_fail_now(t, s, r);
        del_step(t, s);
}

/* --- file copy --------------------------------------------------------------- */

static void copy_read(struct tree *t);

static void copy_finish(struct tree *t);

static void copy_unlink_done(void *cbdata, const struct gwd_result *res)
{
        struct tree *t = cbdata;
        t->cdone(t, t->cerr);
}

static void copy_close_done(void *cbdata, const struct gwd_result *res)
{
        struct tag *g = cbdata;
        struct tree *t = g->t;
        if (res->error < 0 && g->s == DST && !t->cerr)
                t->cerr = res->error;   /* the destination may not be complete */
        tag_free(g);
        copy_finish(t);
}

/* Close what is open, one at a time; on error remove the partial copy. */
static void copy_finish(struct tree *t)
{
        for (int s = SRC; s <= DST; s++) {
                if (t->cf[s]) {
                        struct gwd_file *f = t->cf[s];
                        struct tag *g = tag_new(t, (enum side)s, NULL);
                        t->cf[s] = NULL;
                        if (!g) {
                                t->cerr = -ENOMEM;
                                continue;       /* leaks the handle: out of memory */
                        }
                        t->cops[s]->close(t->csh[s], f, copy_close_done, g);
                        return;
                }
        }
        if (t->cerr && t->cpath[DST]) {
                void *sh;
                const struct gwd_backend_ops *ops = side_ops(t, DST, &sh, NULL);
                if (ops) {
                        ops->unlink(sh, t->cpath[DST], copy_unlink_done, t);
                        return;
                }
        }
        t->cdone(t, t->cerr);
}

static void copy_write_done(void *cbdata, const struct gwd_result *res)
{
        struct tree *t = cbdata;
        if (res->error < 0) {
                t->cerr = res->error;
                copy_finish(t);
                return;
        }
        t->coff += res->count;
        copy_read(t);
}

static void copy_read_done(void *cbdata, const struct gwd_result *res)
{
        struct tree *t = cbdata;
        if (res->error < 0) {
                t->cerr = res->error;
                copy_finish(t);
                return;
        }
        if (res->count == 0) {
                copy_finish(t);
                return;
        }
        t->cops[DST]->write(t->csh[DST], t->cf[DST], t->coff, t->cbuf, (size_t)res->count,
                            copy_write_done, t);
}

static void copy_read(struct tree *t)
{
        t->cops[SRC]->read(t->csh[SRC], t->cf[SRC], t->coff, t->cbuf, WD_CHUNK, copy_read_done, t);
}

static void copy_open_done(void *cbdata, const struct gwd_result *res)
{
        struct tag *g = cbdata;
        struct tree *t = g->t;
        enum side s = g->s;

        tag_free(g);
        if (res->error < 0) {
                t->cerr = res->error;
                if (s == DST) {
                        /* nothing was created: no unlink */
                        free(t->cpath[DST]);
                        t->cpath[DST] = NULL;
                }
                copy_finish(t);
                return;
        }
        t->cf[s] = res->file;
        if (s == SRC) {
                t->cops[DST] = side_ops(t, DST, &t->csh[DST], &t->cs[DST]);
                if (!t->cops[DST]) {
                        t->cerr = -ENODEV;
                        free(t->cpath[DST]);
                        t->cpath[DST] = NULL;
                        copy_finish(t);
                        return;
                }
                g = tag_new(t, DST, NULL);
                if (!g) {
                        t->cerr = -ENOMEM;
                        copy_finish(t);
                        return;
                }
                t->cops[DST]->open(t->csh[DST], t->cpath[DST],
                                   GWD_O_WRITE | GWD_O_CREATE | GWD_O_TRUNC, copy_open_done, g);
                return;
        }
        copy_read(t);
}

/* Copy the file src (side SRC) to dst (side DST), then done(t, err). */
static void copy_file(struct tree *t, const char *src, const char *dst,
                      void (*done)(struct tree *t, int err))
{
        struct tag *g;

        t->cdone = done;
        t->cerr = 0;
        t->coff = 0;
        free(t->cpath[SRC]);
        free(t->cpath[DST]);
        t->cpath[SRC] = strdup(src);
        t->cpath[DST] = strdup(dst);
        if (!t->cbuf)
                t->cbuf = malloc(WD_CHUNK);
        t->cops[SRC] = side_ops(t, SRC, &t->csh[SRC], &t->cs[SRC]);
        g = tag_new(t, SRC, NULL);
        if (!t->cpath[SRC] || !t->cpath[DST] || !t->cbuf || !g || !t->cops[SRC]) {
                free(g);
                free(t->cpath[DST]);
                t->cpath[DST] = NULL;
                done(t, t->cops[SRC] ? -ENOMEM : -ENODEV);
                return;
        }
        t->cops[SRC]->open(t->csh[SRC], t->cpath[SRC], GWD_O_READ, copy_open_done, g);
}

/* --- recursive copy ----------------------------------------------------------- */

static void cp_step(struct tree *t);

static void cp_child_file_done(struct tree *t, int err)
{
        if (err < 0) {
                add_err(t, DST, t->cpath[DST] ? t->cpath[DST] : t->top->dst, false, err);
                t->top->child_failed = true;
        }
        cp_step(t);
}

static void cp_mkdir_done(void *cbdata, const struct gwd_result *res)
{
        struct tag *g = cbdata;
        struct tree *t = g->t;
        if (res->error < 0) {
                /* the pushed frame cannot be used: drop it */
                add_err(t, DST, t->top->dst, true, res->error);
                frame_pop(t);
                if (t->top)
                        t->top->child_failed = true;
        }
        tag_free(g);
        cp_step(t);
}

static void cp_readdir_done(void *cbdata, const struct gwd_result *res)
{
        struct tag *g = cbdata;
        struct tree *t = g->t;
        int r = res->error < 0 ? res->error : frame_fill(t->top, res);

        tag_free(g);
        if (r < 0) {
                add_err(t, SRC, t->top->src, true, r);
                t->top->n = t->top->i;  /* nothing more from here */
                t->top->listed = true;
        }
        cp_step(t);
}

static void cp_fail_now(struct tree *t, int err)
{
        while (t->top)
                frame_pop(t);
        t->root_err = err;
        t->after(t);
}

static void cp_step(struct tree *t)
{
        struct frame *f = t->top;
        void *sh;
        const struct gwd_backend_ops *ops;
        struct tag *g;

        if (!f) {
                t->after(t);
                return;
        }
        if (!f->listed) {
                ops = side_ops(t, SRC, &sh, NULL);
                if (!ops)
                        return cp_fail_now(t, -ENODEV);
                g = tag_new(t, SRC, NULL);
                if (!g)
                        return cp_fail_now(t, -ENOMEM);
                ops->readdir(sh, f->src, cp_readdir_done, g);
                return;
        }
        if (f->i < f->n) {
                size_t i = f->i++;
                char *cs = wd_join(f->src, f->names[i]);
                char *cd = wd_join(f->dst, f->names[i]);
                if (!cs || !cd) {
                        free(cs);
                        free(cd);
                        return cp_fail_now(t, -ENOMEM);
                }
                if (f->types[i] == GWD_TYPE_DIR) {
                        int r = frame_push(t, cs, cd);
                        free(cs);
                        free(cd);
                        if (r < 0)
                                return cp_fail_now(t, r);
                        ops = side_ops(t, DST, &sh, NULL);
                        if (!ops)
                                return cp_fail_now(t, -ENODEV);
                        g = tag_new(t, DST, NULL);
                        if (!g)
                                return cp_fail_now(t, -ENOMEM);
                        ops->mkdir(sh, t->top->dst, cp_mkdir_done, g);
                        return;
                }
                copy_file(t, cs, cd, cp_child_file_done);
                free(cs);
                free(cd);
                return;
        }
        frame_pop(t);
        cp_step(t);
}

static void cp_root_file_done(struct tree *t, int err)
{
        t->root_err = err;
        t->after(t);
}

static void cp_root_mkdir_done(void *cbdata, const struct gwd_result *res)
{
        struct tag *g = cbdata;
        struct tree *t = g->t;
        int r;

        tag_free(g);
        if (res->error < 0) {
                t->root_err = res->error;
                t->after(t);
                return;
        }
        if (t->depth == 0) {
                t->after(t);
                return;
        }
        r = frame_push(t, t->path[SRC], t->path[DST]);
        if (r < 0)
                return cp_fail_now(t, r);
        cp_step(t);
}

static void copy_tree(struct tree *t, void (*after)(struct tree *t))
{
        void *sh;
        const struct gwd_backend_ops *ops;
        struct tag *g;

        t->after = after;
        t->root_err = 0;
        if (!t->src_dir) {
                copy_file(t, t->path[SRC], t->path[DST], cp_root_file_done);
                return;
        }
        ops = side_ops(t, DST, &sh, NULL);
        g = ops ? tag_new(t, DST, NULL) : NULL;
        if (!g)
                return cp_fail_now(t, ops ? -ENOMEM : -ENODEV);
        ops->mkdir(sh, t->path[DST], cp_root_mkdir_done, g);
}

/* --- answers --------------------------------------------------------------------- */

/* 207 with the collected member failures, or the root's own status. */
static void respond_tree(struct tree *t, unsigned ok_status)
{
        struct wd_req *req = t->req;

        if (t->root_err == -ENOENT && req->method != WD_DELETE)
                req_respond_text(req, 409, "the destination's parent does not exist");
        else if (t->root_err < 0 && t->root_err != -ENOTEMPTY)
                req_respond_errno(req, t->root_err, WD_M_WRITE);
        else if (t->n_errs) {
                struct wd_buf b;
                buf_init(&b);
                buf_adds(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                             "<D:multistatus xmlns:D=\"DAV:\">\n");
                buf_add(&b, t->errs.data, t->errs.len);
                buf_adds(&b, "</D:multistatus>\n");
                req_respond_buf(req, 207, "application/xml; charset=utf-8", &b);
        } else if (t->root_err < 0) {
                req_respond_errno(req, t->root_err, WD_M_WRITE);
        } else {
                req_respond_text(req, ok_status, NULL);
        }
        req_unref(req);         /* the chain's reference */
}

/* --- DELETE ----------------------------------------------------------------------- */

static void delete_after(struct tree *t)
{
        struct wd_req *req = t->req;
        if (t->root_err == 0 && t->n_errs == 0)
                wd_locks_remove_under(&req->srv->locks, t->share[SRC], t->path[SRC]);
        respond_tree(t, 204);
}

static struct tree *tree_new(struct wd_req *req)
{
        struct tree *t = calloc(1, sizeof(*t));
        if (!t)
                return NULL;
        t->req = req;
        buf_init(&t->errs);
        t->share[SRC] = t->share[DST] = req->exp->share;
        t->exp[SRC] = t->exp[DST] = req->exp;
        t->path[SRC] = strdup(req->path);
        if (!t->path[SRC]) {
                free(t);
                return NULL;
        }
        req->m = t;
        req->m_free = tree_free;
        return t;
}

static void delete_stat_done(void *cbdata, const struct gwd_result *res)
{
        struct wd_req *req = cbdata;
        struct tree *t = req->m;
        struct wd_cond c;

        if (res->error < 0) {
                req_respond_errno(req, res->error, WD_M_READ);
                req_unref(req);
                return;
        }
        t->src_dir = res->st->type == GWD_TYPE_DIR;
        if (!t->src_dir) {
                wd_etag(res->st, req->etag);
                req->have_etag = true;
        }
        c = (struct wd_cond){
                .if_match = req_header(req, MHD_HTTP_HEADER_IF_MATCH),
                .if_unmodified_since = req_header(req, MHD_HTTP_HEADER_IF_UNMODIFIED_SINCE),
        };
        if (wd_preconditions(&c, 1, req->have_etag ? req->etag : "\"dir\"",
                             (time_t)(res->st->mtime_ns / 1000000000), 0)) {
                req_respond_text(req, 412, "precondition failed");
                req_unref(req);
                return;
        }
        if (!wd_locks_ok(req, t->share[SRC], req->path,
                         WD_LCK_SELF | WD_LCK_BELOW | WD_LCK_PARENT)) {
                req_unref(req);
                return;
        }
        /* the chain keeps the reference taken for this stat */
        delete_tree(t, SRC, t->path[SRC], t->src_dir, delete_after);
}

void wd_delete(struct wd_req *req)
{
        int depth = wd_parse_depth(req_header(req, "Depth"), WD_DEPTH_INFINITY);

        if (!*req->path) {
                req_respond_text(req, 403, "the root of an export cannot be deleted");
                return;
        }
        if (depth != WD_DEPTH_INFINITY) {
                req_respond_text(req, 400, "DELETE needs Depth: infinity");
                return;
        }
        if (!tree_new(req)) {
                req_respond_errno(req, -ENOMEM, WD_M_WRITE);
                return;
        }
        req_wait(req);
        req_ref(req);
        req->ops->stat(req->sh, req->path, delete_stat_done, req);
}

/* --- COPY and MOVE -------------------------------------------------------------------- */

static void cm_done(struct tree *t)
{
        struct wd_req *req = t->req;
        if (req->method == WD_MOVE && t->root_err == 0 && t->n_errs == 0)
                wd_locks_remove_under(&req->srv->locks, t->share[SRC], t->path[SRC]);
        respond_tree(t, t->dest_existed ? 204 : 201);
}

static void cm_after_copy(struct tree *t)
{
        if (t->req->method == WD_MOVE && t->root_err == 0 && t->n_errs == 0) {
                /* the copy is complete: now the source goes */
                delete_tree(t, SRC, t->path[SRC], t->src_dir, cm_done);
                return;
        }
        cm_done(t);
}

static void cm_rename_done(void *cbdata, const struct gwd_result *res)
{
        struct tag *g = cbdata;
        struct tree *t = g->t;
        tag_free(g);
        if (res->error == -EXDEV || res->error == -EOPNOTSUPP) {
                copy_tree(t, cm_after_copy);    /* the backend cannot: copy + delete */
                return;
        }
        t->root_err = res->error;
        cm_done(t);
}

static void cm_transfer(struct tree *t)
{
        struct wd_req *req = t->req;

        if (req->method == WD_MOVE && strcmp(t->share[SRC], t->share[DST]) == 0) {
                void *sh;
                const struct gwd_backend_ops *ops = side_ops(t, SRC, &sh, NULL);
                struct tag *g = ops ? tag_new(t, SRC, NULL) : NULL;
                if (!g) {
                        t->root_err = ops ? -ENOMEM : -ENODEV;
                        cm_done(t);
                        return;
                }
                ops->rename(sh, t->path[SRC], t->path[DST], 0, cm_rename_done, g);
                return;
        }
        copy_tree(t, cm_after_copy);
}

static void cm_after_delete(struct tree *t)
{
        if (t->root_err < 0 || t->n_errs) {
                respond_tree(t, 204);   /* the destination could not be cleared */
                return;
        }
        cm_transfer(t);
}

static void cm_dst_stat_done(void *cbdata, const struct gwd_result *res)
{
        struct tag *g = cbdata;
        struct tree *t = g->t;
        struct wd_req *req = t->req;
        bool dst_dir;

        tag_free(g);
        if (res->error < 0 && res->error != -ENOENT) {
                if (res->error == -ENOTDIR)
                        req_respond_text(req, 409, "a parent of the destination is not a "
                                         "collection");
                else
                        req_respond_errno(req, res->error, WD_M_WRITE);
                req_unref(req);
                return;
        }
        t->dest_existed = res->error == 0;
        dst_dir = t->dest_existed && res->st->type == GWD_TYPE_DIR;
        if (t->dest_existed && !t->overwrite) {
                req_respond_text(req, 412, "the destination exists and Overwrite is F");
                req_unref(req);
                return;
        }
        if (!wd_locks_ok(req, t->share[DST], t->path[DST],
                         WD_LCK_SELF | WD_LCK_BELOW | WD_LCK_PARENT)) {
                req_unref(req);
                return;
        }
        if (t->dest_existed) {
                wd_locks_remove_under(&req->srv->locks, t->share[DST], t->path[DST]);
                delete_tree(t, DST, t->path[DST], dst_dir, cm_after_delete);
                return;
        }
        cm_transfer(t);
}

static void cm_src_stat_done(void *cbdata, const struct gwd_result *res)
{
        struct wd_req *req = cbdata;
        struct tree *t = req->m;
        void *sh;
        const struct gwd_backend_ops *ops;
        struct tag *g;

        if (res->error < 0) {
                req_respond_errno(req, res->error, WD_M_READ);
                req_unref(req);
                return;
        }
        t->src_dir = res->st->type == GWD_TYPE_DIR;
        if (!t->src_dir) {
                wd_etag(res->st, req->etag);
                req->have_etag = true;
        }
        if (!wd_locks_ok(req, t->share[SRC], req->path,
                         req->method == WD_MOVE ? WD_LCK_SELF | WD_LCK_BELOW | WD_LCK_PARENT
                                                : 0)) {
                req_unref(req);
                return;
        }
        ops = side_ops(t, DST, &sh, NULL);
        g = ops ? tag_new(t, DST, NULL) : NULL;
        if (!g) {
                req_respond_text(req, 503, "the destination share is not available");
                req_unref(req);
                return;
        }
        ops->stat(sh, t->path[DST], cm_dst_stat_done, g);
}

void wd_copy_move(struct wd_req *req)
{
        const char *dest = req_header(req, "Destination");
        int overwrite = wd_parse_overwrite(req_header(req, "Overwrite"));
        int depth = wd_parse_depth(req_header(req, "Depth"), WD_DEPTH_INFINITY);
        const struct wd_export *dexp = NULL;
        char *upath = NULL, *dec = NULL, *dpath = NULL;
        bool dslash = false;
        struct tree *t;
        unsigned st;

        if (!dest) {
                req_respond_text(req, 400, "Destination is missing");
                return;
        }
        if (overwrite < 0) {
                req_respond_text(req, 400, "Overwrite must be T or F");
                return;
        }
        if (depth == WD_DEPTH_BAD || (depth == 1) ||
            (req->method == WD_MOVE && depth != WD_DEPTH_INFINITY)) {
                req_respond_text(req, 400, req->method == WD_MOVE
                                 ? "MOVE needs Depth: infinity" : "COPY takes Depth 0 or infinity");
                return;
        }
        if (wd_uri_path(dest, &upath) < 0 || wd_url_decode(upath, &dec) < 0) {
                free(upath);
                req_respond_text(req, 400, "bad Destination");
                return;
        }
        free(upath);
        st = wd_resolve(req->srv, dec, &dexp, &dpath, &dslash);
        if (st == 404 && (wd_root_is_virtual(req->srv, dec) ||
                          wd_root_parent_virtual(req->srv, dec))) {
                free(dec);
                req_respond_text(req, 403, "the destination is above the exports");
                return;
        }
        free(dec);
        if (st) {
                req_respond_text(req, st == 404 ? 502 : st, st == 404
                                 ? "the destination is not on this server" : "bad Destination");
                return;
        }
        if (!wd_user_allowed(dexp, req->user)) {
                free(dpath);
                req_respond_text(req, 403, "not allowed on the destination export");
                return;
        }
        if (dexp->read_only) {
                free(dpath);
                req_respond_text(req, 403, "the destination export is read-only");
                return;
        }
        if (strcmp(dexp->share, req->exp->share) == 0 &&
            (wd_path_within(dpath, req->path) || wd_path_within(req->path, dpath))) {
                bool same = strcmp(dpath, req->path) == 0;
                free(dpath);
                req_respond_text(req, 403, same ? "source and destination are the same"
                                                : "source and destination overlap");
                return;
        }
        if (!*dpath || (req->method == WD_MOVE && !*req->path)) {
                free(dpath);
                req_respond_text(req, 403, "the root of an export cannot be replaced or moved");
                return;
        }
        t = tree_new(req);
        if (!t) {
                free(dpath);
                req_respond_errno(req, -ENOMEM, WD_M_WRITE);
                return;
        }
        t->path[DST] = dpath;
        t->share[DST] = dexp->share;
        t->exp[DST] = dexp;
        t->overwrite = overwrite;
        t->depth = depth;
        req_wait(req);
        req_ref(req);
        req->ops->stat(req->sh, req->path, cm_src_stat_done, req);
}
