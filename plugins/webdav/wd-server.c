/* SPDX-License-Identifier: MIT */
/*
 * plugins/webdav: WebDAV (RFC 4918 class 1 and 2) and plain HTTP export of
 * the registered shares.  This file holds the plugin entry, the request
 * state machine, authentication and routing; each method family has its
 * own file.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gatewayd/registry.h"

#include "wd-path.h"
#include "wd-xml.h"
#include "wd.h"

static const char ALLOW[] = "OPTIONS, GET, HEAD, PUT, DELETE, MKCOL, COPY, MOVE, PROPFIND, "
                            "PROPPATCH, LOCK, UNLOCK";

uint64_t wd_now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void wd_ignore_done(void *cbdata, const struct gwd_result *res)
{
}

static void server_unref(struct wd_server *srv)
{
        if (--srv->refs > 0)
                return;
        wd_locks_clear(&srv->locks);
        wd_conf_free(&srv->conf);
        free(srv);
}

/* --- requests -------------------------------------------------------------- */

const char *req_header(struct wd_req *req, const char *name)
{
        return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

void req_ref(struct wd_req *req)
{
        req->refs++;
}

void req_unref(struct wd_req *req)
{
        struct wd_server *srv;

        if (--req->refs > 0)
                return;
        srv = req->srv;
        if (req->m_free)
                req->m_free(req);
        if (req->resp)
                MHD_destroy_response(req->resp);
        wd_if_free(req->ifh);
        buf_done(&req->body);
        free(req->path);
        free(req->vpath);
        free(req);
        server_unref(srv);
}

void req_wait(struct wd_req *req)
{
        req->waiting = true;
}

void req_wake(struct wd_req *req)
{
        req->waiting = false;
        if (req->suspended && !req->mhd_done) {
                req->suspended = false;
                MHD_resume_connection(req->conn);
                httpd_kick(req->srv->httpd);
        }
}

void req_respond(struct wd_req *req, unsigned status, struct MHD_Response *resp)
{
        if (!resp) {
                /* Without memory for a response the best we can do is drop
                 * the connection: MHD closes it when nothing is queued. */
                status = 0;
        }
        if (req->resp)
                MHD_destroy_response(req->resp);
        req->resp = resp;
        req->status = status;
        if (resp) {
                MHD_add_response_header(resp, "DAV", "1, 2");
                if (status == 503)
                        MHD_add_response_header(resp, "Retry-After", WD_RETRY_AFTER);
                if (status == 405 && !MHD_get_response_header(resp, MHD_HTTP_HEADER_ALLOW))
                        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, ALLOW);
        } else {
                req->status = 500;
        }
        req_wake(req);
}

void req_respond_buf(struct wd_req *req, unsigned status, const char *ctype, struct wd_buf *b)
{
        size_t len = 0;
        char *data = buf_steal(b, &len);
        struct MHD_Response *resp;

        if (!data) {
                req_respond(req, 500, NULL);
                return;
        }
        resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(data);
                req_respond(req, 500, NULL);
                return;
        }
        if (ctype)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
        req_respond(req, status, resp);
}

void req_respond_text(struct wd_req *req, unsigned status, const char *msg)
{
        struct wd_buf b;
        buf_init(&b);
        if (status != 204 && status != 304 && status >= 200) {
                buf_printf(&b, "%u %s", status, wd_reason(status));
                if (msg)
                        buf_printf(&b, ": %s", msg);
                buf_addc(&b, '\n');
        }
        req_respond_buf(req, status, b.len ? "text/plain; charset=utf-8" : NULL, &b);
}

void req_respond_errno(struct wd_req *req, int err, enum wd_method_kind kind)
{
        int retry;
        unsigned status = wd_status_of_errno(err, kind, &retry);
        if (status == 503 || status >= 500)
                gwd_log(req->srv->api, req->srv->ctx, GWD_LOG_DEBUG, "%s: backend error %s",
                        req->path ? req->path : "?", strerror(-err));
        req_respond_text(req, status, strerror(-err));
}

void req_respond_cond(struct wd_req *req, unsigned status, const char *cond, const char *href)
{
        struct wd_buf b;
        buf_init(&b);
        buf_adds(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"DAV:\"><D:");
        buf_adds(&b, cond);
        if (href) {
                buf_adds(&b, "><D:href>");
                buf_add_xml(&b, href);
                buf_adds(&b, "</D:href></D:");
                buf_adds(&b, cond);
                buf_adds(&b, ">");
        } else {
                buf_adds(&b, "/>");
        }
        buf_adds(&b, "</D:error>\n");
        req_respond_buf(req, status, "application/xml; charset=utf-8", &b);
}

/* --- routing and permissions ---------------------------------------------- */

unsigned wd_resolve(struct wd_server *srv, const char *url, const struct wd_export **ret_exp,
                    char **ret_path, bool *ret_slash)
{
        const struct wd_export *best = NULL;
        int best_len = -1, slash = 0, r;

        if (!url || url[0] != '/')
                return 400;
        if (strlen(url) > WD_URL_MAX)
                return 414;
        for (size_t i = 0; i < srv->conf.n_exports; i++) {
                int m = wd_prefix_match(srv->conf.exports[i].prefix, url);
                if (m > best_len) {
                        best_len = m;
                        best = &srv->conf.exports[i];
                }
        }
        if (!best)
                return 404;
        r = wd_share_path(best->prefix, url, srv->api->path_check, ret_path, &slash);
        if (r == -ENAMETOOLONG)
                return 414;
        if (r == -ENOMEM)
                return 500;
        if (r < 0)
                return 400;
        *ret_exp = best;
        *ret_slash = slash;
        return 0;
}

bool wd_user_allowed(const struct wd_export *exp, const char *user)
{
        if (!exp->users)
                return true;
        for (size_t i = 0; i < exp->n_users; i++)
                if (strcmp(exp->users[i], user) == 0)
                        return true;
        return false;
}

/* --- lock checks ---------------------------------------------------------- */

/* A resource tag of the If header as (share, path); false when it names
 * something outside our exports. */
static bool tag_target(struct wd_req *req, const char *tag, const char **share, char **path)
{
        char *upath = NULL, *dec = NULL;
        const struct wd_export *exp;
        bool slash;
        bool ok = false;

        if (!tag) {
                *share = req->exp->share;
                *path = strdup(req->path);
                return *path != NULL;
        }
        if (wd_uri_path(tag, &upath) == 0 && wd_url_decode(upath, &dec) == 0 &&
            wd_resolve(req->srv, dec, &exp, path, &slash) == 0) {
                *share = exp->share;
                ok = true;
        }
        free(upath);
        free(dec);
        return ok;
}

static int if_token_ok(void *ud, const char *tag, const char *token)
{
        struct wd_req *req = ud;
        struct wd_lock *l = wd_locks_find(&req->srv->locks, token);
        const char *share;
        char *path = NULL;
        int ok = 0;

        if (!l)
                return 0;
        if (tag_target(req, tag, &share, &path))
                ok = wd_lock_covers(l, share, path);
        free(path);
        return ok;
}

static const char *if_etag_of(void *ud, const char *tag)
{
        struct wd_req *req = ud;
        const char *share;
        char *path = NULL;
        const char *r = NULL;

        if (!req->have_etag)
                return NULL;
        if (!tag)
                return req->etag;
        if (tag_target(req, tag, &share, &path) && strcmp(share, req->exp->share) == 0 &&
            strcmp(path, req->path) == 0)
                r = req->etag;
        free(path);
        return r;
}

static int if_submitted(void *ud, const char *token)
{
        struct wd_req *req = ud;
        return wd_if_has_token(req->ifh, token);
}

bool wd_locks_ok(struct wd_req *req, const char *share, const char *path, unsigned what)
{
        const struct wd_lock *l = NULL;
        int r;

        wd_locks_expire(&req->srv->locks, wd_now_us());
        if (req->ifh && !wd_if_eval(req->ifh, if_token_ok, if_etag_of, req)) {
                req_respond_text(req, 412, "the If header does not match");
                return false;
        }
        r = wd_locks_check(&req->srv->locks, share, path, what, if_submitted, req, &l);
        if (r == -EAGAIN) {
                struct wd_buf href;
                const struct wd_export *exp = NULL;
                buf_init(&href);
                for (size_t i = 0; i < req->srv->conf.n_exports; i++)
                        if (strcmp(req->srv->conf.exports[i].share, l->share) == 0) {
                                exp = &req->srv->conf.exports[i];
                                break;
                        }
                if (exp)
                        wd_href(&href, exp->prefix, l->path, 0);
                req_respond_cond(req, 423, "lock-token-submitted", href.len ? href.data : NULL);
                buf_done(&href);
                return false;
        }
        if (r < 0) {
                req_respond_errno(req, r, WD_M_READ);
                return false;
        }
        return true;
}

/* --- authentication --------------------------------------------------------- */

/* Who is asking: 0 with *ret_user set ("" for anonymous), or an HTTP status
 * (401, 403) with *ret_msg. */
static unsigned authenticate(struct wd_req *req, const char **ret_user, const char **ret_msg)
{
        struct wd_server *srv = req->srv;
        const char *auth = req_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
        struct httpd_peer peer = { 0 };
        bool secure = srv->conf.tls_cert_file != NULL;

        if (httpd_peer(req->conn, &peer) < 0)
                peer.loopback = 0;
        if (!auth) {
                if (srv->conf.anon_loopback && peer.loopback) {
                        *ret_user = "";
                        return 0;
                }
                *ret_msg = "authentication required";
                return 401;
        }
        if (!secure && !peer.loopback) {
                *ret_msg = "credentials are only accepted over TLS or on loopback";
                return 403;
        }
        if (!srv->conf.have_users) {
                *ret_msg = "no users are configured";
                return 401;
        }
        if (strncasecmp(auth, "Basic ", 6) == 0) {
                char *dec = NULL, *colon;
                const char *user = NULL;
                const char *p = auth + 6;
                while (*p == ' ')
                        p++;
                if (wd_base64_decode(p, &dec) < 0 || !(colon = strchr(dec, ':'))) {
                        free(dec);
                        *ret_msg = "malformed Basic credentials";
                        return 401;
                }
                *colon = '\0';
                if (wd_users_check_password(&srv->conf.users, dec, colon + 1)) {
                        /* point into the table, which outlives the request */
                        for (size_t i = 0; i < srv->conf.users.n; i++)
                                if (strcmp(srv->conf.users.c[i].user, dec) == 0) {
                                        user = srv->conf.users.c[i].user;
                                        break;
                                }
                }
                free(dec);
                if (!user) {
                        *ret_msg = "wrong user name or password";
                        return 401;
                }
                *ret_user = user;
                return 0;
        }
        if (strncasecmp(auth, "Bearer ", 7) == 0) {
                const char *p = auth + 7, *user;
                while (*p == ' ')
                        p++;
                user = wd_users_check_token(&srv->conf.users, p);
                if (!user) {
                        *ret_msg = "unknown token";
                        return 401;
                }
                *ret_user = user;
                return 0;
        }
        *ret_msg = "unsupported authorization scheme";
        return 401;
}

/* --- dispatch ---------------------------------------------------------------- */

static const struct {
        const char *name;
        enum wd_method m;
        bool writes;
} methods[] = {
        { "OPTIONS", WD_OPTIONS, false }, { "GET", WD_GET, false },
        { "HEAD", WD_HEAD, false },       { "PUT", WD_PUT, true },
        { "DELETE", WD_DELETE, true },    { "MKCOL", WD_MKCOL, true },
        { "COPY", WD_COPY, false },        { "MOVE", WD_MOVE, true },
        { "PROPFIND", WD_PROPFIND, false }, { "PROPPATCH", WD_PROPPATCH, true },
        { "LOCK", WD_LOCK, true },        { "UNLOCK", WD_UNLOCK, true },
        { "POST", WD_POST, false },
};

static void do_options(struct wd_req *req)
{
        struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL,
                                                                   MHD_RESPMEM_PERSISTENT);
        if (resp) {
                MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, ALLOW);
                MHD_add_response_header(resp, "MS-Author-Via", "DAV");
                MHD_add_response_header(resp, "Accept-Ranges", "bytes");
        }
        req_respond(req, 200, resp);
}

void wd_auth_failed(struct wd_req *req, unsigned status, const char *msg)
{
        struct wd_buf b;
        struct MHD_Response *resp;
        size_t len;
        char *data;

        buf_init(&b);
        buf_printf(&b, "%u %s: %s\n", status, wd_reason(status), msg);
        data = buf_steal(&b, &len);
        resp = data ? MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE) : NULL;
        if (!resp) {
                free(data);
                req_respond(req, 500, NULL);
                return;
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
        if (status == 401) {
                MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                        "Basic realm=\"gatewayd\", charset=\"UTF-8\"");
                MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                        "Bearer realm=\"gatewayd\"");
        }
        req_respond(req, status, resp);
}

/* First call: headers only.  Either an answer is ready (req->resp) or the
 * method is set up to receive the body / start at the end. */
static void req_begin(struct wd_req *req, const char *url, const char *method)
{
        struct wd_server *srv = req->srv;
        const char *user = NULL, *msg = NULL, *ifh;
        char *dec = NULL;
        bool writes = false;
        unsigned st;
        int r;

        for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
                if (strcmp(methods[i].name, method) == 0) {
                        req->method = methods[i].m;
                        writes = methods[i].writes;
                }
        if (!req->method || req->method == WD_POST) {
                req_respond_text(req, 405, "method not supported");
                return;
        }
        st = authenticate(req, &user, &msg);
        if (st) {
                wd_auth_failed(req, st, msg);
                return;
        }
        req->user = user;
        /* The glue hands us the path as sent (see httpd-loop.c): decode it
         * strictly, so "%00" and malformed escapes are refused, not cut. */
        r = wd_url_decode(url, &dec);
        if (r < 0) {
                req_respond_text(req, r == -ENAMETOOLONG ? 414 : r == -ENOMEM ? 500 : 400,
                                 "bad path");
                return;
        }
        st = wd_resolve(srv, dec, &req->exp, &req->path, &req->slash);
        if (st == 404 && wd_root_begin(req, dec)) {
                free(dec);
                return;
        }
        if (st == 404 && writes && wd_root_parent_virtual(srv, dec)) {
                free(dec);
                req_respond_text(req, 403, "nothing can be created above the exports");
                return;
        }
        free(dec);
        if (st) {
                req_respond_text(req, st, st == 404 ? "no export here" : "bad path");
                return;
        }
        if (!wd_user_allowed(req->exp, user)) {
                if (!*user)
                        wd_auth_failed(req, 401, "this export needs a user");
                else
                        req_respond_text(req, 403, "not allowed on this export");
                return;
        }
        if (writes && req->exp->read_only) {
                req_respond_text(req, 403, "read-only export");
                return;
        }
        ifh = req_header(req, "If");
        if (ifh && wd_if_parse(ifh, &req->ifh) < 0) {
                req_respond_text(req, 400, "malformed If header");
                return;
        }
        if (req->method == WD_OPTIONS) {
                do_options(req);
                return;
        }
        req->share = srv->api->share_find(srv->ctx, req->exp->share);
        if (!req->share) {
                req_respond_text(req, 503, "the share is not available");
                return;
        }
        req->ops = srv->api->share_ops(req->share, &req->sh);
        if (req->method == WD_PUT)
                wd_put_begin(req);      /* prepares, then streams the body */
}

static void req_start(struct wd_req *req)
{
        if (req->body_too_big) {
                req_respond_text(req, 413, "request body too large");
                return;
        }
        if (req->vpath) {
                wd_root(req);
                return;
        }
        if (req->on_end) {
                wd_step_fn fn = req->on_end;
                req->on_end = NULL;
                fn(req);
                return;
        }
        switch (req->method) {
        case WD_GET:
        case WD_HEAD:
                wd_get(req);
                break;
        case WD_PROPFIND:
                wd_propfind(req);
                break;
        case WD_PROPPATCH:
                wd_proppatch(req);
                break;
        case WD_MKCOL:
                wd_mkcol(req);
                break;
        case WD_DELETE:
                wd_delete(req);
                break;
        case WD_COPY:
        case WD_MOVE:
                wd_copy_move(req);
                break;
        case WD_LOCK:
                wd_lock(req);
                break;
        case WD_UNLOCK:
                wd_unlock(req);
                break;
        default:
                req_respond_text(req, 500, "no handler");
                break;
        }
}

static bool has_body(struct wd_req *req)
{
        const char *cl = req_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
        const char *te = req_header(req, MHD_HTTP_HEADER_TRANSFER_ENCODING);
        return (cl && strcmp(cl, "0") != 0) || te;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
        struct wd_server *srv = cls;
        struct wd_req *req = *con_cls;

        if (!req) {
                if (srv->stopping)
                        return MHD_NO;
                req = calloc(1, sizeof(*req));
                if (!req)
                        return MHD_NO;
                req->srv = srv;
                srv->refs++;
                req->conn = conn;
                req->refs = 1;
                buf_init(&req->body);
                req->next = srv->reqs;
                if (srv->reqs)
                        srv->reqs->prev = req;
                srv->reqs = req;
                srv->n_requests++;
                *con_cls = req;
                req_begin(req, url, method);
                /* An answer to a request with a body goes out now (the body
                 * is not wanted); otherwise on the next call, so MHD keeps
                 * the connection alive. */
                if (req->resp && !req->waiting && !has_body(req))
                        return MHD_YES;
                req->in_headers = req->waiting;
                goto out;
        }
        if (req->in_headers && !*upload_data_size) {
                /* MHD calls again after a suspension in the first call: we
                 * are still before the body, where a response may be queued
                 * (an early error) or MHD goes on with the body. */
                req->in_headers = false;
                if (!req->resp)
                        return MHD_YES;
                goto out;
        }
        req->in_headers = false;
        if (req->queued) {
                *upload_data_size = 0;  /* MHD owns the answer: nothing more to do */
                return MHD_YES;
        }
        if (*upload_data_size) {
                if (req->resp) {
                        /* answered already: MHD only lets us queue it once the
                         * body is in, so drain a bounded amount of it */
                        const char *cl = req_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
                        uint64_t limit = cl ? strtoull(cl, NULL, 10) : 0;
                        if (limit < WD_DRAIN_MAX)
                                limit = WD_DRAIN_MAX;
                        req->body_seen += *upload_data_size;
                        *upload_data_size = 0;
                        /* the client sends a declared length anyway; an
                         * endless chunked body is cut off */
                        if (req->body_seen > limit)
                                return MHD_NO;
                        return MHD_YES;
                } else if (req->on_body) {
                        req->on_body(req, upload_data, upload_data_size);
                } else {
                        req->body_seen += *upload_data_size;
                        if (req->body_seen > WD_XML_BODY_MAX)
                                req->body_too_big = true;
                        else
                                buf_add(&req->body, upload_data, *upload_data_size);
                        *upload_data_size = 0;
                }
                if (req->waiting && !req->suspended) {
                        req->suspended = true;
                        MHD_suspend_connection(conn);
                }
                return MHD_YES;
        }
        if (!req->started && !req->resp && !req->waiting) {
                req->started = true;
                req_start(req);
        }
out:
        if (req->resp && !req->waiting) {
                /* MHD takes its own reference; ours goes with the request */
                enum MHD_Result r = MHD_queue_response(conn, req->status, req->resp);
                MHD_destroy_response(req->resp);
                req->resp = NULL;
                req->queued = true;
                return r;
        }
        if (req->waiting && !req->suspended) {
                req->suspended = true;
                MHD_suspend_connection(conn);
        }
        return MHD_YES;
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
        struct wd_req *req = *con_cls;
        struct wd_server *srv = cls;

        if (!req)
                return;
        *con_cls = NULL;
        req->mhd_done = true;
        req->suspended = false;
        if (req->prev)
                req->prev->next = req->next;
        else
                srv->reqs = req->next;
        if (req->next)
                req->next->prev = req->prev;
        req->next = req->prev = NULL;
        if (req->on_abort) {
                wd_step_fn fn = req->on_abort;
                req->on_abort = NULL;
                fn(req);
        }
        if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && req->method)
                gwd_log(srv->api, srv->ctx, GWD_LOG_DEBUG, "request for \"%s\" ended early (%d)",
                        req->path ? req->path : "?", (int)toe);
        req_unref(req);
}

/* --- registry object ------------------------------------------------------------- */

static void server_snapshot(void *userdata, json_t *details)
{
        struct wd_server *srv = userdata;
        json_t *listen = json_array(), *exports = json_array();
        size_t active = 0;

        for (size_t i = 0; srv->conf.listen[i]; i++)
                json_array_append_new(listen, json_string(srv->conf.listen[i]));
        for (size_t i = 0; i < srv->conf.n_exports; i++) {
                const struct wd_export *e = &srv->conf.exports[i];
                json_array_append_new(exports, json_pack("{s:s, s:s, s:b}", "share", e->share,
                                                         "path", *e->prefix ? e->prefix : "/",
                                                         "read_only", e->read_only));
        }
        for (struct wd_req *r = srv->reqs; r; r = r->next)
                active++;
        wd_locks_expire(&srv->locks, wd_now_us());
        json_object_set_new(details, "listen", listen);
        json_object_set_new(details, "exports", exports);
        json_object_set_new(details, "tls", json_boolean(srv->conf.tls_cert_file != NULL));
        json_object_set_new(details, "connections",
                            json_integer(srv->httpd ? httpd_connections(srv->httpd) : 0));
        json_object_set_new(details, "active_requests", json_integer((json_int_t)active));
        json_object_set_new(details, "requests", json_integer((json_int_t)srv->n_requests));
        json_object_set_new(details, "locks", json_integer((json_int_t)srv->locks.n));
}

static const struct gwd_object_ops server_object_ops = {
        .struct_size = sizeof(struct gwd_object_ops),
        .snapshot = server_snapshot,
};

/* --- plugin lifecycle ----------------------------------------------------------- */

static int wd_check_config(const struct gwd_api *api, const json_t *config, const char *path,
                           struct gwd_conf_errors *errs)
{
        return wd_conf_check(api, config, path, errs);
}

static int wd_init(const struct gwd_api *api, struct gwd_ctx *ctx, const json_t *config,
                   void **ret_state)
{
        struct wd_server *srv = calloc(1, sizeof(*srv));
        const char *err = NULL;
        int r;

        if (!srv)
                return -ENOMEM;
        srv->api = api;
        srv->ctx = ctx;
        srv->refs = 1;
        wd_locks_init(&srv->locks);
        r = wd_conf_load(api, config, &srv->conf, &err);
        if (r < 0) {
                gwd_log(api, ctx, GWD_LOG_ERR, "%s", err ? err : strerror(-r));
                free(srv);
                return r;
        }
        if (srv->conf.users.n_plain)
                gwd_log(api, ctx, GWD_LOG_WARNING, "the users file holds %zu plain-text "
                        "password%s; prefer sha256:<salt>:<hash> lines",
                        srv->conf.users.n_plain, srv->conf.users.n_plain == 1 ? "" : "s");
        *ret_state = srv;
        return 0;
}

static int wd_start(void *state)
{
        struct wd_server *srv = state;
        struct httpd_config hc = {
                .listen = (const char *const *)srv->conf.listen,
                .connection_limit = srv->conf.max_connections,
                .connection_timeout_s = srv->conf.connection_timeout,
                .tls_cert_file = srv->conf.tls_cert_file,
                .tls_key_file = srv->conf.tls_key_file,
                .connection_memory_limit = srv->conf.connection_memory,
                .raw_urls = true,       /* decoded strictly in req_begin() */
                .handler = access_handler,
                .handler_cls = srv,
                .completed = request_completed,
                .completed_cls = srv,
        };
        const char *bad = NULL;
        int r = httpd_start(srv->api->event(srv->ctx), &hc, &srv->httpd, &bad);

        if (r < 0) {
                gwd_log(srv->api, srv->ctx, GWD_LOG_ERR, "cannot listen%s%s: %s",
                        bad ? " on " : "", bad ? bad : "", strerror(-r));
                return r;
        }
        {
                char id[GWD_ID_MAX];
                snprintf(id, sizeof(id), "%s.http", srv->api->instance_name(srv->ctx));
                /* "good": the admin API's health counts anything else as
                 * degraded */
                r = srv->api->object_new(srv->ctx, "server", id, NULL, "good", NULL,
                                         &server_object_ops, srv, &srv->obj);
                if (r < 0)      /* the admin view is a convenience: serve anyway */
                        gwd_log(srv->api, srv->ctx, GWD_LOG_WARNING,
                                "cannot publish the server object: %s", strerror(-r));
        }
        for (size_t i = 0; i < httpd_n_listeners(srv->httpd); i++)
                gwd_log(srv->api, srv->ctx, GWD_LOG_INFO, "listening on %s (port %d)%s",
                        i < 16 && srv->conf.listen[i] ? srv->conf.listen[i] : "passed socket",
                        httpd_local_port(srv->httpd, i), srv->conf.tls_cert_file ? ", TLS" : "");
        for (size_t i = 0; i < srv->conf.n_exports; i++)
                gwd_log(srv->api, srv->ctx, GWD_LOG_INFO, "exporting share \"%s\" at %s/%s",
                        srv->conf.exports[i].share, srv->conf.exports[i].prefix,
                        srv->conf.exports[i].read_only ? " (read-only)" : "");
        return 0;
}

static void wd_stop(void *state)
{
        struct wd_server *srv = state;

        srv->stopping = true;
        /* MHD cannot stop with suspended connections: resume them; their
         * chains find mhd_done set when they complete. */
        for (struct wd_req *req = srv->reqs; req; req = req->next)
                if (req->suspended) {
                        req->suspended = false;
                        MHD_resume_connection(req->conn);
                }
        httpd_free(srv->httpd);
        srv->httpd = NULL;
        srv->api->object_free(srv->obj);
        srv->obj = NULL;
}

static void wd_destroy(void *state)
{
        struct wd_server *srv = state;
        if (!srv)
                return;
        if (srv->httpd)
                wd_stop(srv);
        srv->destroyed = true;
        server_unref(srv);
}

GWD_PLUGIN_EXPORT const struct gwd_plugin gwd_plugin_entry = {
        GWD_PLUGIN_HEADER,
        .name = "webdav",
        .version = PACKAGE_VERSION,
        .description = "WebDAV and HTTP export of the shares",
        .check_config = wd_check_config,
        .init = wd_init,
        .start = wd_start,
        .stop = wd_stop,
        .destroy = wd_destroy,
};
