/* SPDX-License-Identifier: MIT */
/*
 * The collections above the exports: "/" (unless an export is mounted
 * there) and every proper ancestor of an export prefix ("/dav" above
 * "/dav/demo").  They list the exports below them that the user may use
 * (HTML, JSON with "Accept: application/json", or a PROPFIND Multi-Status),
 * behind the same authentication as the exports, and cannot be modified.
 * Nothing here touches a backend: a listed share may still be unavailable.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wd-path.h"
#include "wd.h"

static const char ROOT_ALLOW[] = "OPTIONS, GET, HEAD, PROPFIND";

bool wd_root_is_virtual(struct wd_server *srv, const char *url)
{
        const char *name;

        for (size_t i = 0; i < srv->conf.n_exports; i++)
                if (wd_above_prefix(url, srv->conf.exports[i].prefix, &name) > 0)
                        return true;
        return false;
}

bool wd_root_parent_virtual(struct wd_server *srv, const char *url)
{
        size_t len = strlen(url);
        char *parent;
        bool r;

        if (len > 1 && url[len - 1] == '/')
                len--;
        while (len > 0 && url[len - 1] != '/')
                len--;
        if (len == 0)
                return false;
        parent = strndup(url, len);
        r = parent && wd_root_is_virtual(srv, parent);
        free(parent);
        return r;
}

static void vents_free(struct wd_vent *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].href);
                free(v[i].name);
        }
        free(v);
}

static int by_name(const void *a, const void *b)
{
        return strcmp(((const struct wd_vent *)a)->name, ((const struct wd_vent *)b)->name);
}

/* href (encoded, with a final '/') of the first `len` bytes of a path. */
static char *href_of(const char *path, size_t len)
{
        char *p = strndup(path, len);
        struct wd_buf h;
        size_t n;

        if (!p)
                return NULL;
        buf_init(&h);
        wd_href(&h, p, "", 1);
        free(p);
        return buf_steal(&h, &n);
}

/* v[0]: the collection `url` itself; then its members that req->user may
 * use, sorted.  -ENOMEM. */
static int vents_collect(struct wd_req *req, const char *url, struct wd_vent **ret,
                         size_t *ret_n)
{
        struct wd_server *srv = req->srv;
        struct wd_vent *v = calloc(srv->conf.n_exports + 1, sizeof(*v));
        size_t n = 1, len = strlen(url);

        if (!v)
                return -ENOMEM;
        if (len > 1 && url[len - 1] == '/')
                len--;
        {
                /* the last component of url, without its trailing '/' */
                const char *end = url + len, *start = end;
                while (start > url && start[-1] != '/')
                        start--;
                v[0].name = strndup(start, (size_t)(end - start));
                v[0].href = href_of(url, len);
                if (!v[0].href || !v[0].name)
                        goto oom;
        }
        for (size_t i = 0; i < srv->conf.n_exports; i++) {
                const struct wd_export *e = &srv->conf.exports[i];
                const char *name = NULL;
                size_t l = wd_above_prefix(url, e->prefix, &name), k;
                bool here;

                if (l == 0 || !wd_user_allowed(e, req->user))
                        continue;
                here = name[l] == '\0';         /* mounted right at this member */
                for (k = 1; k < n; k++)
                        if (strlen(v[k].name) == l && memcmp(v[k].name, name, l) == 0)
                                break;
                if (k < n) {
                        if (here)
                                v[k].exp = e;
                        continue;
                }
                v[n].name = strndup(name, l);
                v[n].href = href_of(e->prefix, (size_t)(name + l - e->prefix));
                v[n].exp = here ? e : NULL;
                n++;
                if (!v[n - 1].name || !v[n - 1].href)
                        goto oom;
        }
        qsort(v + 1, n - 1, sizeof(*v), by_name);
        *ret = v;
        *ret_n = n;
        return 0;
oom:
        vents_free(v, n);
        return -ENOMEM;
}

bool wd_root_begin(struct wd_req *req, const char *url)
{
        struct wd_server *srv = req->srv;
        size_t below = 0, visible = 0;

        for (size_t i = 0; i < srv->conf.n_exports; i++) {
                const char *name;
                if (wd_above_prefix(url, srv->conf.exports[i].prefix, &name) == 0)
                        continue;
                below++;
                if (wd_user_allowed(&srv->conf.exports[i], req->user))
                        visible++;
        }
        if (below == 0)
                return false;
        if (visible == 0 && !*req->user) {
                wd_auth_failed(req, 401, "the exports here need a user");
                return true;
        }
        if (visible == 0 && strcmp(url, "/") != 0) {
                req_respond_text(req, 403, "no export here is allowed for this user");
                return true;
        }
        switch (req->method) {
        case WD_OPTIONS: {
                struct MHD_Response *resp = MHD_create_response_from_buffer(
                        0, NULL, MHD_RESPMEM_PERSISTENT);
                if (resp)
                        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, ROOT_ALLOW);
                req_respond(req, 200, resp);
                return true;
        }
        case WD_GET:
        case WD_HEAD:
        case WD_PROPFIND:
                req->vpath = strdup(url);
                if (!req->vpath)
                        req_respond_errno(req, -ENOMEM, WD_M_READ);
                return true;
        default: {
                struct MHD_Response *resp = MHD_create_response_from_buffer(
                        0, NULL, MHD_RESPMEM_PERSISTENT);
                if (resp)
                        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, ROOT_ALLOW);
                /* nothing above the exports can be written, whoever asks */
                req_respond(req, 405, resp);
                return true;
        }
        }
}

static void list_json(struct wd_req *req, const struct wd_vent *v, size_t n)
{
        struct wd_buf b;

        buf_init(&b);
        buf_adds(&b, "{\"href\":");
        buf_add_json(&b, v[0].href);
        buf_adds(&b, ",\"entries\":[");
        for (size_t i = 1; i < n; i++) {
                buf_adds(&b, i > 1 ? ",{\"name\":" : "{\"name\":");
                buf_add_json(&b, v[i].name);
                buf_adds(&b, ",\"href\":");
                buf_add_json(&b, v[i].href);
                buf_adds(&b, ",\"type\":\"dir\"");
                if (v[i].exp) {
                        buf_adds(&b, ",\"share\":");
                        buf_add_json(&b, v[i].exp->share);
                        buf_printf(&b, ",\"read_only\":%s,\"available\":%s",
                                   v[i].exp->read_only ? "true" : "false",
                                   req->srv->api->share_find(req->srv->ctx, v[i].exp->share)
                                           ? "true" : "false");
                }
                buf_addc(&b, '}');
        }
        buf_adds(&b, "]}\n");
        req_respond_buf(req, 200, "application/json", &b);
}

static void list_html(struct wd_req *req, const struct wd_vent *v, size_t n)
{
        struct wd_buf b;

        buf_init(&b);
        buf_adds(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of ");
        buf_add_xml(&b, v[0].href);
        buf_adds(&b, "</title></head>\n<body><h1>Index of ");
        buf_add_xml(&b, v[0].href);
        buf_adds(&b, "</h1>\n<table>\n<tr><th>Name</th><th>Share</th><th>Access</th></tr>\n");
        if (*v[0].name) {
                /* v[0].href is "/a/b/": the parent is up to the second-to-last '/' */
                size_t len = strlen(v[0].href) - 1;
                while (len > 0 && v[0].href[len - 1] != '/')
                        len--;
                buf_adds(&b, "<tr><td><a href=\"");
                buf_add(&b, v[0].href, len);
                buf_adds(&b, "\">../</a></td><td></td><td></td></tr>\n");
        }
        for (size_t i = 1; i < n; i++) {
                buf_adds(&b, "<tr><td><a href=\"");
                buf_add_xml(&b, v[i].href);
                buf_adds(&b, "\">");
                buf_add_xml(&b, v[i].name);
                buf_adds(&b, "/</a></td><td>");
                if (v[i].exp) {
                        buf_add_xml(&b, v[i].exp->share);
                        buf_adds(&b, v[i].exp->read_only ? "</td><td>read-only</td></tr>\n"
                                                         : "</td><td>read-write</td></tr>\n");
                } else {
                        buf_adds(&b, "</td><td></td></tr>\n");
                }
        }
        buf_adds(&b, "</table>\n</body></html>\n");
        req_respond_buf(req, 200, "text/html; charset=utf-8", &b);
}

void wd_root(struct wd_req *req)
{
        const char *accept = req_header(req, MHD_HTTP_HEADER_ACCEPT);
        struct wd_vent *v = NULL;
        size_t n = 0;

        if (vents_collect(req, req->vpath, &v, &n) < 0) {
                req_respond_errno(req, -ENOMEM, WD_M_READ);
                return;
        }
        if (req->method == WD_PROPFIND)
                wd_propfind_virtual(req, v, n);
        else if (accept && strstr(accept, "application/json"))
                list_json(req, v, n);
        else
                list_html(req, v, n);
        vents_free(v, n);
}
