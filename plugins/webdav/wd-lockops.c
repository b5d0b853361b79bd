/* SPDX-License-Identifier: MIT */
/*
 * LOCK and UNLOCK (RFC 4918 9.10, 9.11): write locks, exclusive or shared,
 * depth 0 or infinity, refresh by an empty LOCK with the token in If, and
 * the creation of an empty resource when an unmapped URL is locked.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wd-path.h"
#include "wd-xml.h"
#include "wd.h"

struct lock_state {
        struct wd_xnode *doc;
        bool exclusive, infinite;
        unsigned timeout;
        char *owner;
        char token[WD_TOKEN_MAX];
        bool created;
};

static void lock_free_state(struct wd_req *req)
{
        struct lock_state *ls = req->m;
        if (!ls)
                return;
        wd_xml_free(ls->doc);
        free(ls->owner);
        free(ls);
        req->m = NULL;
}

static void respond_lock(struct wd_req *req, unsigned status, const struct wd_lock *l,
                         bool with_header)
{
        struct wd_buf b;
        char hdr[WD_TOKEN_MAX + 2];

        buf_init(&b);
        buf_adds(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                     "<D:prop xmlns:D=\"DAV:\"><D:lockdiscovery>");
        wd_activelock(&b, l, req->exp->prefix);
        buf_adds(&b, "</D:lockdiscovery></D:prop>\n");
        snprintf(hdr, sizeof(hdr), "<%s>", l->token);
        req_respond_buf(req, status, "application/xml; charset=utf-8", &b);
        if (with_header && req->resp)
                MHD_add_response_header(req->resp, "Lock-Token", hdr);
}

static void create_close_done(void *cbdata, const struct gwd_result *res)
{
        struct wd_req *req = cbdata;
        struct lock_state *ls = req->m;
        struct wd_lock *l = wd_locks_find(&req->srv->locks, ls->token);

        if (res->error < 0 || !l) {
                wd_locks_remove(&req->srv->locks, ls->token);
                req_respond_errno(req, res->error < 0 ? res->error : -EIO, WD_M_WRITE);
        } else {
                respond_lock(req, 201, l, true);
        }
        req_unref(req);
}

static void create_open_done(void *cbdata, const struct gwd_result *res)
{
        struct wd_req *req = cbdata;
        struct lock_state *ls = req->m;

        if (res->error < 0) {
                wd_locks_remove(&req->srv->locks, ls->token);
                if (res->error == -ENOENT || res->error == -ENOTDIR)
                        req_respond_text(req, 409, "the parent collection does not exist");
                else
                        req_respond_errno(req, res->error, WD_M_WRITE);
                req_unref(req);
                return;
        }
        /* the chain's reference moves on to the close */
        req->ops->close(req->sh, res->file, create_close_done, req);
}

static void lock_stat_done(void *cbdata, const struct gwd_result *res)
{
        struct wd_req *req = cbdata;
        struct lock_state *ls = req->m;
        const struct wd_lock *conflict = NULL;
        struct wd_lock *l = NULL;
        bool exists = res->error == 0;
        int r;

        if (res->error < 0 && res->error != -ENOENT) {
                if (res->error == -ENOTDIR)
                        req_respond_text(req, 409, "a parent is not a collection");
                else
                        req_respond_errno(req, res->error, WD_M_READ);
                goto out;
        }
        if (exists && res->st->type == GWD_TYPE_FILE) {
                wd_etag(res->st, req->etag);
                req->have_etag = true;
        }
        if (!exists && !wd_locks_ok(req, req->exp->share, req->path, WD_LCK_PARENT))
                goto out;
        wd_locks_expire(&req->srv->locks, wd_now_us());
        r = wd_locks_add(&req->srv->locks, req->exp->share, req->path, ls->exclusive,
                         ls->infinite && (!exists || res->st->type == GWD_TYPE_DIR), ls->owner,
                         req->user, ls->timeout, wd_now_us(), &l, &conflict);
        if (r == -EBUSY) {
                struct wd_buf h;
                buf_init(&h);
                wd_href(&h, req->exp->prefix, conflict->path, 0);
                req_respond_cond(req, 423, "no-conflicting-lock", h.data);
                buf_done(&h);
                goto out;
        }
        if (r < 0) {
                req_respond_errno(req, r == -ENOSPC ? -EAGAIN : r, WD_M_WRITE);
                goto out;
        }
        memcpy(ls->token, l->token, sizeof(ls->token));
        if (exists) {
                respond_lock(req, 200, l, true);
                goto out;
        }
        req_ref(req);
        req->ops->open(req->sh, req->path, GWD_O_WRITE | GWD_O_CREATE | GWD_O_EXCL,
                       create_open_done, req);
out:
        req_unref(req);
}

/* LOCK without a body: refresh the lock named in the If header. */
static void lock_refresh(struct wd_req *req, unsigned timeout)
{
        wd_locks_expire(&req->srv->locks, wd_now_us());
        for (size_t i = 0; req->ifh && i < req->ifh->n; i++)
                for (size_t j = 0; j < req->ifh->l[i].n; j++) {
                        const struct wd_if_cond *c = &req->ifh->l[i].c[j];
                        struct wd_lock *l;
                        if (c->is_etag || c->negate)
                                continue;
                        l = wd_locks_find(&req->srv->locks, c->value);
                        if (!l || !wd_lock_covers(l, req->exp->share, req->path))
                                continue;
                        l->timeout_s = timeout;
                        l->expires_us = wd_now_us() + (uint64_t)timeout * 1000000u;
                        respond_lock(req, 200, l, false);
                        return;
                }
        req_respond_cond(req, 412, "lock-token-matches-request-uri", NULL);
}

void wd_lock(struct wd_req *req)
{
        struct lock_state *ls;
        const struct wd_xnode *info, *scope, *type, *owner;
        const char *msg = NULL;
        int depth = wd_parse_depth(req_header(req, "Depth"), WD_DEPTH_INFINITY);
        unsigned timeout = wd_parse_timeout(req_header(req, "Timeout"), WD_LOCK_TIMEOUT_DEFAULT,
                                            WD_LOCK_TIMEOUT_MAX);
        int r;

        if (depth != 0 && depth != WD_DEPTH_INFINITY) {
                req_respond_text(req, 400, "LOCK takes Depth 0 or infinity");
                return;
        }
        if (req->body.len == 0) {
                lock_refresh(req, timeout);
                return;
        }
        ls = calloc(1, sizeof(*ls));
        if (!ls) {
                req_respond_errno(req, -ENOMEM, WD_M_WRITE);
                return;
        }
        req->m = ls;
        req->m_free = lock_free_state;
        r = wd_xml_parse(req->body.data, req->body.len, &ls->doc, &msg);
        if (r < 0) {
                req_respond_text(req, r == -ENOMEM ? 500 : 400, msg ? msg : "bad body");
                return;
        }
        info = ls->doc;
        scope = wd_xml_child(info, DAV_NS, "lockscope");
        type = wd_xml_child(info, DAV_NS, "locktype");
        owner = wd_xml_child(info, DAV_NS, "owner");
        if (!wd_xml_is(info, DAV_NS, "lockinfo") || !scope || !type ||
            !wd_xml_child(type, DAV_NS, "write")) {
                req_respond_text(req, 400, "DAV:lockinfo with lockscope and a write locktype "
                                 "expected");
                return;
        }
        if (wd_xml_child(scope, DAV_NS, "exclusive"))
                ls->exclusive = true;
        else if (!wd_xml_child(scope, DAV_NS, "shared")) {
                req_respond_text(req, 400, "lockscope must be exclusive or shared");
                return;
        }
        if (owner) {
                struct wd_buf b;
                buf_init(&b);
                wd_xml_write_children(&b, owner);
                if (b.len > 4096) {
                        buf_done(&b);
                        req_respond_text(req, 400, "owner too long");
                        return;
                }
                ls->owner = buf_steal(&b, NULL);
                buf_done(&b);
        }
        ls->infinite = depth == WD_DEPTH_INFINITY;
        ls->timeout = timeout;
        req_wait(req);
        req_ref(req);
        req->ops->stat(req->sh, req->path, lock_stat_done, req);
}

void wd_unlock(struct wd_req *req)
{
        const char *hdr = req_header(req, "Lock-Token");
        char token[WD_TOKEN_MAX];
        struct wd_lock *l;
        size_t n;

        if (!hdr) {
                req_respond_text(req, 400, "Lock-Token is missing");
                return;
        }
        while (*hdr == ' ')
                hdr++;
        n = strlen(hdr);
        while (n > 0 && hdr[n - 1] == ' ')
                n--;
        if (n < 3 || hdr[0] != '<' || hdr[n - 1] != '>' || n - 2 >= sizeof(token)) {
                req_respond_text(req, 400, "Lock-Token must be <token>");
                return;
        }
        memcpy(token, hdr + 1, n - 2);
        token[n - 2] = '\0';
        wd_locks_expire(&req->srv->locks, wd_now_us());
        l = wd_locks_find(&req->srv->locks, token);
        if (!l || !wd_lock_covers(l, req->exp->share, req->path)) {
                req_respond_cond(req, 409, "lock-token-matches-request-uri", NULL);
                return;
        }
        if (strcmp(l->principal, req->user) != 0) {
                req_respond_text(req, 403, "the lock belongs to another user");
                return;
        }
        wd_locks_remove(&req->srv->locks, token);
        req_respond_text(req, 204, NULL);
}
