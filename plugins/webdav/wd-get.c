/* SPDX-License-Identifier: MIT */
/*
 * GET and HEAD: conditionals, single ranges and streaming with bounded
 * memory.  A download keeps at most WD_RING_SLOTS chunks of WD_CHUNK bytes:
 * reads are issued ahead in file order into a ring, MHD's content reader
 * copies out of the oldest slot and suspends the connection while that
 * slot is still being read; each completion resumes it.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wd-mime.h"
#include "wd-path.h"
#include "wd.h"

enum slot_state { SLOT_EMPTY = 0, SLOT_READING, SLOT_READY };

struct slot {
        char *buf;
        uint64_t off;           /* relative to the range start */
        size_t want, len;
        enum slot_state state;
};

struct stream {
        struct wd_req *req;     /* NULL once MHD finished the request */
        const struct gwd_backend_ops *ops;
        void *sh;
        struct gwd_file *f;
        uint64_t start, len;    /* the range of the file being sent */
        uint64_t next_off;      /* next read, relative to start */
        struct slot slots[WD_RING_SLOTS];
        unsigned head;
        unsigned refs;          /* the response + reads in flight + close */
        int error;
        bool reader_waiting;
        bool dead;
};

struct get_state {
        struct stream *stream;
};

static void stream_unref(struct stream *s)
{
        if (--s->refs > 0)
                return;
        for (unsigned i = 0; i < WD_RING_SLOTS; i++)
                free(s->slots[i].buf);
        free(s);
}

static void close_done(void *cbdata, const struct gwd_result *res)
{
        stream_unref(cbdata);
}

static void stream_maybe_close(struct stream *s)
{
        for (unsigned i = 0; i < WD_RING_SLOTS; i++)
                if (s->slots[i].state == SLOT_READING)
                        return;
        if (s->f) {
                struct gwd_file *f = s->f;
                s->f = NULL;
                s->refs++;
                s->ops->close(s->sh, f, close_done, s);
        }
}

/* Completions carry only cbdata, so each read gets a small tag naming its
 * slot. */
struct read_tag {
        struct stream *s;
        struct slot *sl;
};

static void tagged_read_done(void *cbdata, const struct gwd_result *res)
{
        struct read_tag *t = cbdata;
        struct stream *s = t->s;
        struct slot *sl = t->sl;

        free(t);
        if (res->error < 0) {
                if (!s->error)
                        s->error = res->error;
                sl->state = SLOT_EMPTY;
        } else if (res->count < sl->want) {
                /* the file shrank under us: the promised length cannot be met */
                if (!s->error)
                        s->error = -EIO;
                sl->state = SLOT_EMPTY;
        } else {
                sl->len = (size_t)res->count;
                sl->state = SLOT_READY;
        }
        if (s->dead) {
                stream_maybe_close(s);
        } else if (s->reader_waiting && s->req) {
                s->reader_waiting = false;
                req_wake(s->req);
        }
        stream_unref(s);
}

static void refill_tagged(struct stream *s)
{
        for (unsigned k = 0; k < WD_RING_SLOTS && !s->error && !s->dead; k++) {
                struct slot *sl = &s->slots[(s->head + k) % WD_RING_SLOTS];
                uint64_t left = s->len - s->next_off;
                struct read_tag *t;

                if (sl->state != SLOT_EMPTY)
                        continue;
                if (left == 0)
                        break;
                if (!sl->buf && !(sl->buf = malloc(WD_CHUNK)))
                        break;  /* fewer reads ahead; with none at all the reader fails */
                t = malloc(sizeof(*t));
                if (!t)
                        break;
                t->s = s;
                t->sl = sl;
                sl->off = s->next_off;
                sl->want = left < WD_CHUNK ? (size_t)left : WD_CHUNK;
                sl->len = 0;
                sl->state = SLOT_READING;
                s->next_off += sl->want;
                s->refs++;
                s->ops->read(s->sh, s->f, s->start + sl->off, sl->buf, sl->want,
                             tagged_read_done, t);
        }
}

static ssize_t content_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
        struct stream *s = cls;
        struct slot *sl = &s->slots[s->head];

        if (s->error)
                return MHD_CONTENT_READER_END_WITH_ERROR;
        if (pos >= s->len)
                return MHD_CONTENT_READER_END_OF_STREAM;
        if (sl->state == SLOT_READY && pos >= sl->off && pos < sl->off + sl->len) {
                size_t d = (size_t)(pos - sl->off);
                size_t n = sl->len - d < max ? sl->len - d : max;
                memcpy(buf, sl->buf + d, n);
                if (d + n == sl->len) {
                        sl->state = SLOT_EMPTY;
                        s->head = (s->head + 1) % WD_RING_SLOTS;
                        refill_tagged(s);
                }
                return (ssize_t)n;
        }
        if (sl->state == SLOT_EMPTY)
                refill_tagged(s);
        if (sl->state != SLOT_READING) {
                /* nothing could be started for the head slot */
                return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        /* wait for the read: suspend; its completion resumes us */
        s->reader_waiting = true;
        if (s->req && !s->req->suspended) {
                s->req->suspended = true;
                MHD_suspend_connection(s->req->conn);
        }
        return 0;
}

static void content_free(void *cls)
{
        struct stream *s = cls;
        s->dead = true;
        s->req = NULL;
        stream_maybe_close(s);
        stream_unref(s);
}

static ssize_t head_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
        return MHD_CONTENT_READER_END_WITH_ERROR;       /* HEAD has no body */
}

static void get_free(struct wd_req *req)
{
        struct get_state *g = req->m;
        if (g && g->stream) {
                g->stream->req = NULL;
                g->stream->reader_waiting = false;
        }
        free(g);
        req->m = NULL;
}

/* Headers shared by 200, 206 and HEAD. */
static void add_meta(struct MHD_Response *resp, const struct wd_req *req,
                     const struct gwd_stat *st, const char *etag)
{
        char date[32];
        wd_http_date((time_t)(st->mtime_ns / 1000000000), date);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, date);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, wd_mime_type(req->path));
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
}

static void respond_not_modified(struct wd_req *req, const struct gwd_stat *st,
                                 const char *etag)
{
        struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL,
                                                                   MHD_RESPMEM_PERSISTENT);
        char date[32];
        if (resp) {
                wd_http_date((time_t)(st->mtime_ns / 1000000000), date);
                MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
                MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, date);
        }
        req_respond(req, 304, resp);
}

static void list_done(void *cbdata, const struct gwd_result *res)
{
        struct wd_req *req = cbdata;
        if (res->error < 0)
                req_respond_errno(req, res->error, WD_M_READ);
        else if (!req->mhd_done)
                wd_list_respond(req, res->entries, res->n_entries);
        req_unref(req);
}

/* What GET and HEAD decide from the target's metadata alone: a collection
 * answers with its listing, the conditions with 304 or 412, "file/" with
 * 404.  True when the body (or HEAD's headers) is to follow, with the file's
 * ETag in etag; false when an answer is queued or on its way. */
static bool answer_from_stat(struct wd_req *req, const struct gwd_stat *st,
                             char etag[WD_ETAG_MAX])
{
        struct wd_cond c;
        int pre;

        if (st->type == GWD_TYPE_DIR) {
                req_ref(req);
                req->ops->readdir(req->sh, req->path, list_done, req);
                return false;
        }
        wd_etag(st, etag);
        c = (struct wd_cond){
                .if_match = req_header(req, MHD_HTTP_HEADER_IF_MATCH),
                .if_none_match = req_header(req, MHD_HTTP_HEADER_IF_NONE_MATCH),
                .if_modified_since = req_header(req, MHD_HTTP_HEADER_IF_MODIFIED_SINCE),
                .if_unmodified_since = req_header(req, MHD_HTTP_HEADER_IF_UNMODIFIED_SINCE),
        };
        pre = wd_preconditions(&c, 1, etag, (time_t)(st->mtime_ns / 1000000000), 1);
        if (pre == 304) {
                respond_not_modified(req, st, etag);
                return false;
        }
        if (pre == 412) {
                req_respond_text(req, 412, "precondition failed");
                return false;
        }
        if (req->slash) {
                req_respond_text(req, 404, "not a collection");
                return false;
        }
        return true;
}

static void open_done(void *cbdata, const struct gwd_result *res)
{
        struct wd_req *req = cbdata;
        struct get_state *g = req->m;
        const struct gwd_stat *st = res->st;
        uint64_t start = 0, len;
        unsigned status = 200;
        struct MHD_Response *resp;
        struct stream *s;
        char etag[WD_ETAG_MAX], cr[96];

        if (res->error < 0) {
                req_respond_errno(req, res->error, WD_M_READ);
                goto out;
        }
        if (req->mhd_done || !answer_from_stat(req, st, etag)) {
                req->ops->close(req->sh, res->file, wd_ignore_done, NULL);
                goto out;
        }
        len = st->size;
        {
                const char *range = req_header(req, MHD_HTTP_HEADER_RANGE);
                const char *if_range = req_header(req, MHD_HTTP_HEADER_IF_RANGE);
                if (range && (!if_range ||
                              wd_if_range(if_range, etag, (time_t)(st->mtime_ns / 1000000000)))) {
                        switch (wd_parse_range(range, st->size, &start, &len)) {
                        case WD_RANGE_OK:
                                status = 206;
                                break;
                        case WD_RANGE_UNSATISFIABLE: {
                                struct wd_buf b;
                                buf_init(&b);
                                buf_printf(&b, "416 Range Not Satisfiable\n");
                                snprintf(cr, sizeof(cr), "bytes */%" PRIu64, st->size);
                                req->ops->close(req->sh, res->file, wd_ignore_done, NULL);
                                req_respond_buf(req, 416, "text/plain", &b);
                                if (req->resp)
                                        MHD_add_response_header(req->resp,
                                                                MHD_HTTP_HEADER_CONTENT_RANGE, cr);
                                goto out;
                        }
                        default:
                                start = 0;
                                len = st->size;
                                break;
                        }
                }
        }
        s = calloc(1, sizeof(*s));
        if (!s) {
                req->ops->close(req->sh, res->file, wd_ignore_done, NULL);
                req_respond_errno(req, -ENOMEM, WD_M_READ);
                goto out;
        }
        s->req = req;
        s->ops = req->ops;
        s->sh = req->sh;
        s->f = res->file;
        s->start = start;
        s->len = len;
        s->refs = 1;            /* the response's */
        resp = MHD_create_response_from_callback(len, WD_CHUNK, content_reader, s,
                                                 content_free);
        if (!resp) {
                content_free(s);
                req_respond_errno(req, -ENOMEM, WD_M_READ);
                goto out;
        }
        g->stream = s;
        add_meta(resp, req, st, etag);
        if (status == 206) {
                snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, start,
                         start + len - 1, st->size);
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
        }
        refill_tagged(s);       /* start reading before MHD asks */
        req_respond(req, status, resp);
out:
        req_unref(req);
}

static void stat_done(void *cbdata, const struct gwd_result *res)
{
        struct wd_req *req = cbdata;
        const struct gwd_stat *st = res->st;
        char etag[WD_ETAG_MAX];

        if (res->error < 0) {
                req_respond_errno(req, res->error, WD_M_READ);
                goto out;
        }
        if (req->mhd_done || !answer_from_stat(req, st, etag))
                goto out;
        /* only HEAD comes here with a file: GET opened it at once */
        struct MHD_Response *resp =
                MHD_create_response_from_callback(st->size, 4096, head_reader, NULL, NULL);
        if (resp)
                add_meta(resp, req, st, etag);
        req_respond(req, 200, resp);
out:
        req_unref(req);
}

void wd_get(struct wd_req *req)
{
        struct get_state *g = calloc(1, sizeof(*g));
        if (!g) {
                req_respond_errno(req, -ENOMEM, WD_M_READ);
                return;
        }
        req->m = g;
        req->m_free = get_free;
        req_wait(req);
        req_ref(req);
        /* A GET of a file opens it at once: the open answers with the same
         * metadata as a stat, and a separate stat would cost a CREATE and
         * a CLOSE on SMB (two of a small file's five round trips).  HEAD
         * and "path/" (a collection or 404) need the metadata only. */
        if (req->method == WD_GET && !req->slash)
                req->ops->open(req->sh, req->path, GWD_O_READ, open_done, req);
        else
                req->ops->stat(req->sh, req->path, stat_done, req);
}
