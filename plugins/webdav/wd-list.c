/* SPDX-License-Identifier: MIT */
/* GET on a collection: an HTML index for browsers, JSON for
 * "Accept: application/json". */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "wd-path.h"
#include "wd.h"

static int by_name(const void *a, const void *b)
{
        const struct gwd_dirent *x = *(const struct gwd_dirent *const *)a;
        const struct gwd_dirent *y = *(const struct gwd_dirent *const *)b;
        if (x->st.type != y->st.type)
                return x->st.type == GWD_TYPE_DIR ? -1 : 1;
        return strcmp(x->name, y->name);
}

/* Temporary upload files are an implementation detail. */
bool wd_hidden_name(const char *name)
{
        return strncmp(name, ".gwd-upload-", 12) == 0;
}

void wd_list_respond(struct wd_req *req, const struct gwd_dirent *entries, size_t n)
{
        const char *accept = req_header(req, MHD_HTTP_HEADER_ACCEPT);
        bool json = accept && strstr(accept, "application/json");
        const struct gwd_dirent **v = calloc(n ? n : 1, sizeof(*v));
        struct wd_buf b, here;
        size_t m = 0;

        if (!v) {
                req_respond_errno(req, -ENOMEM, WD_M_READ);
                return;
        }
        for (size_t i = 0; i < n; i++)
                if (!wd_hidden_name(entries[i].name))
                        v[m++] = &entries[i];
        qsort(v, m, sizeof(*v), by_name);
        buf_init(&b);
        buf_init(&here);
        wd_href(&here, req->exp->prefix, req->path, 1);
        if (json) {
                buf_adds(&b, "{\"href\":");
                buf_add_json(&b, here.data);
                buf_adds(&b, ",\"entries\":[");
                for (size_t i = 0; i < m; i++) {
                        const struct gwd_dirent *e = v[i];
                        char date[32], etag[WD_ETAG_MAX];
                        char *rel = wd_join(req->path, e->name);
                        struct wd_buf h;
                        buf_init(&h);
                        if (rel)
                                wd_href(&h, req->exp->prefix, rel, e->st.type == GWD_TYPE_DIR);
                        free(rel);
                        wd_iso_date((time_t)(e->st.mtime_ns / 1000000000), date);
                        wd_etag(&e->st, etag);
                        buf_adds(&b, i ? ",{\"name\":" : "{\"name\":");
                        buf_add_json(&b, e->name);
                        buf_adds(&b, ",\"href\":");
                        buf_add_json(&b, h.data ? h.data : "");
                        buf_printf(&b, ",\"type\":\"%s\",\"size\":%" PRIu64 ",\"mtime\":\"%s\","
                                   "\"etag\":", e->st.type == GWD_TYPE_DIR ? "dir" : "file",
                                   e->st.type == GWD_TYPE_DIR ? 0 : e->st.size, date);
                        buf_add_json(&b, etag);
                        buf_addc(&b, '}');
                        if (buf_error(&h))
                                b.error = h.error;
                        buf_done(&h);
                }
                buf_adds(&b, "]}\n");
                free(v);
                buf_done(&here);
                req_respond_buf(req, 200, "application/json", &b);
                return;
        }
        buf_adds(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of ");
        buf_add_xml(&b, here.data ? here.data : "");
        buf_adds(&b, "</title></head>\n<body><h1>Index of ");
        buf_add_xml(&b, here.data ? here.data : "");
        buf_adds(&b, "</h1>\n<table>\n<tr><th>Name</th><th>Size</th><th>Modified</th></tr>\n");
        if (*req->path) {
                char *parent = wd_dirname(req->path);
                struct wd_buf h;
                buf_init(&h);
                if (parent)
                        wd_href(&h, req->exp->prefix, parent, 1);
                buf_adds(&b, "<tr><td><a href=\"");
                buf_add_xml(&b, h.data ? h.data : "/");
                buf_adds(&b, "\">../</a></td><td></td><td></td></tr>\n");
                buf_done(&h);
                free(parent);
        }
        for (size_t i = 0; i < m; i++) {
                const struct gwd_dirent *e = v[i];
                bool dir = e->st.type == GWD_TYPE_DIR;
                char *rel = wd_join(req->path, e->name);
                char date[32];
                struct wd_buf h;

                buf_init(&h);
                if (rel)
                        wd_href(&h, req->exp->prefix, rel, dir);
                free(rel);
                wd_http_date((time_t)(e->st.mtime_ns / 1000000000), date);
                buf_adds(&b, "<tr><td><a href=\"");
                buf_add_xml(&b, h.data ? h.data : "");
                buf_adds(&b, "\">");
                buf_add_xml(&b, e->name);
                buf_adds(&b, dir ? "/</a></td><td>-</td>" : "</a></td>");
                if (!dir)
                        buf_printf(&b, "<td>%" PRIu64 "</td>", e->st.size);
                buf_printf(&b, "<td>%s</td></tr>\n", date);
                buf_done(&h);
        }
        buf_adds(&b, "</table>\n</body></html>\n");
        free(v);
        buf_done(&here);
        req_respond_buf(req, 200, "text/html; charset=utf-8", &b);
}
