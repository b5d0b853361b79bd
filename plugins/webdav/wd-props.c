/* SPDX-License-Identifier: MIT */
/*
 * PROPFIND (depth 0 and 1) and PROPPATCH.  Only live properties exist:
 * dead properties are not stored, so PROPPATCH answers 403 for every
 * property it is asked to set (and 424 for the rest of the same request,
 * which is atomic), while removing a property that does not exist succeeds
 * as RFC 4918 9.2 says.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wd-mime.h"
#include "wd-path.h"
#include "wd-xml.h"
#include "wd.h"

enum pf_mode { PF_ALLPROP, PF_PROPNAME, PF_PROP };

struct propfind {
        enum pf_mode mode;
        struct wd_xnode *doc;
        const struct wd_xnode *prop;    /* PF_PROP: the <prop> element */
        int depth;
        struct wd_buf out;
};

static const char *const live_props[] = {
        "creationdate", "displayname", "getcontentlength", "getcontenttype", "getetag",
        "getlastmodified", "lockdiscovery", "resourcetype", "supportedlock", NULL,
};

static void pf_free(struct wd_req *req)
{
        struct propfind *pf = req->m;
        if (!pf)
                return;
        wd_xml_free(pf->doc);
        buf_done(&pf->out);
        free(pf);
        req->m = NULL;
}

void wd_activelock(struct wd_buf *b, const struct wd_lock *l, const char *prefix)
{
        uint64_t now = wd_now_us();
        uint64_t left = l->expires_us > now ? (l->expires_us - now + 999999) / 1000000 : 0;

        buf_printf(b, "<D:activelock><D:locktype><D:write/></D:locktype>"
                   "<D:lockscope><D:%s/></D:lockscope><D:depth>%s</D:depth>",
                   l->exclusive ? "exclusive" : "shared", l->infinite ? "infinity" : "0");
        if (l->owner)
                buf_printf(b, "<D:owner>%s</D:owner>", l->owner);
        buf_printf(b, "<D:timeout>Second-%" PRIu64 "</D:timeout>"
                   "<D:locktoken><D:href>%s</D:href></D:locktoken><D:lockroot><D:href>",
                   left, l->token);
        {
                struct wd_buf h;
                buf_init(&h);
                wd_href(&h, prefix, l->path, 0);
                buf_add_xml(b, h.data ? h.data : "/");
                buf_done(&h);
        }
        buf_adds(b, "</D:href></D:lockroot></D:activelock>");
}

struct ld_ctx {
        struct wd_buf *b;
        const char *prefix;
};

static void ld_one(void *ud, const struct wd_lock *l)
{
        struct ld_ctx *c = ud;
        wd_activelock(c->b, l, c->prefix);
}

void wd_lockdiscovery(struct wd_buf *b, struct wd_server *srv, const char *share,
                      const char *path)
{
        const char *prefix = "";
        struct ld_ctx c;
        for (size_t i = 0; i < srv->conf.n_exports; i++)
                if (strcmp(srv->conf.exports[i].share, share) == 0) {
                        prefix = srv->conf.exports[i].prefix;
                        break;
                }
        c.b = b;
        c.prefix = prefix;
        wd_locks_expire(&srv->locks, wd_now_us());
        wd_locks_foreach(&srv->locks, share, path, ld_one, &c);
}

/* Append the value element of live property `name` for (rel, st); false
 * when the resource does not have it. */
static bool live_value(struct wd_req *req, struct wd_buf *b, const char *name, const char *rel,
                       const struct gwd_stat *st)
{
        bool dir = st->type == GWD_TYPE_DIR;
        char t[64];

        if (strcmp(name, "creationdate") == 0) {
                wd_iso_date((time_t)((st->btime_ns ? st->btime_ns : st->mtime_ns) / 1000000000),
                            t);
                buf_printf(b, "<D:creationdate>%s</D:creationdate>", t);
        } else if (strcmp(name, "displayname") == 0) {
                const char *dn = *rel ? wd_basename(rel) : req->exp->share;
                buf_adds(b, "<D:displayname>");
                buf_add_xml(b, dn);
                buf_adds(b, "</D:displayname>");
        } else if (strcmp(name, "getcontentlength") == 0) {
                if (dir)
                        return false;
                buf_printf(b, "<D:getcontentlength>%" PRIu64 "</D:getcontentlength>", st->size);
        } else if (strcmp(name, "getcontenttype") == 0) {
                if (dir)
                        return false;
                buf_adds(b, "<D:getcontenttype>");
                buf_add_xml(b, wd_mime_type(rel));
                buf_adds(b, "</D:getcontenttype>");
        } else if (strcmp(name, "getetag") == 0) {
                if (dir)
                        return false;
                wd_etag(st, t);
                buf_adds(b, "<D:getetag>");
                buf_add_xml(b, t);
                buf_adds(b, "</D:getetag>");
        } else if (strcmp(name, "getlastmodified") == 0) {
                wd_http_date((time_t)(st->mtime_ns / 1000000000), t);
                buf_printf(b, "<D:getlastmodified>%s</D:getlastmodified>", t);
        } else if (strcmp(name, "resourcetype") == 0) {
                buf_adds(b, dir ? "<D:resourcetype><D:collection/></D:resourcetype>"
                                : "<D:resourcetype/>");
        } else if (strcmp(name, "supportedlock") == 0) {
                buf_adds(b, "<D:supportedlock>"
                            "<D:lockentry><D:lockscope><D:exclusive/></D:lockscope>"
                            "<D:locktype><D:write/></D:locktype></D:lockentry>"
                            "<D:lockentry><D:lockscope><D:shared/></D:lockscope>"
                            "<D:locktype><D:write/></D:locktype></D:lockentry>"
                            "</D:supportedlock>");
        } else if (strcmp(name, "lockdiscovery") == 0) {
                buf_adds(b, "<D:lockdiscovery>");
                wd_lockdiscovery(b, req->srv, req->exp->share, rel);
                buf_adds(b, "</D:lockdiscovery>");
        } else {
                return false;
        }
        return true;
}

/* An empty element for a property name in any namespace. */
static void prop_name(struct wd_buf *b, const char *ns, const char *name)
{
        if (!*ns) {
                buf_printf(b, "<%s xmlns=\"\"/>", name);     /* no namespace */
        } else if (strcmp(ns, DAV_NS) == 0) {
                buf_printf(b, "<D:%s/>", name);
        } else {
                buf_printf(b, "<X:%s xmlns:X=\"", name);
                buf_add_xml(b, ns);
                buf_adds(b, "\"/>");
        }
}

static void status_line(struct wd_buf *b, unsigned st)
{
        buf_printf(b, "<D:status>HTTP/1.1 %u %s</D:status>", st, wd_reason(st));
}

/* The value of property `name` of one resource, appended to b; false when
 * the resource does not have it. */
typedef bool (*pf_value_fn)(void *ud, struct wd_buf *b, const char *name);

/* One <D:response> for the resource at `href` (encoded) whose properties
 * are `names` (DAV: namespace), valued by `value`. */
static void pf_response_with(struct propfind *pf, const char *href, const char *const *names,
                             pf_value_fn value, void *ud)
{
        struct wd_buf *b = &pf->out;

        buf_adds(b, "<D:response><D:href>");
        buf_add_xml(b, href);
        buf_adds(b, "</D:href>");
        if (pf->mode == PF_ALLPROP || pf->mode == PF_PROPNAME) {
                buf_adds(b, "<D:propstat><D:prop>");
                for (const char *const *n = names; *n; n++) {
                        if (pf->mode == PF_PROPNAME) {
                                struct wd_buf tmp;
                                buf_init(&tmp);
                                if (value(ud, &tmp, *n))
                                        buf_printf(b, "<D:%s/>", *n);
                                buf_done(&tmp);
                        } else {
                                value(ud, b, *n);
                        }
                }
                buf_adds(b, "</D:prop>");
                status_line(b, 200);
                buf_adds(b, "</D:propstat>");
        } else {
                bool any_ok = false, any_missing = false;
                for (const struct wd_xnode *p = pf->prop->child; p; p = p->next) {
                        bool live = strcmp(p->ns, DAV_NS) == 0;
                        if (live) {
                                struct wd_buf tmp;
                                buf_init(&tmp);
                                if (value(ud, &tmp, p->name))
                                        any_ok = true;
                                else
                                        any_missing = true;
                                buf_done(&tmp);
                        } else {
                                any_missing = true;
                        }
                }
                if (any_ok) {
                        buf_adds(b, "<D:propstat><D:prop>");
                        for (const struct wd_xnode *p = pf->prop->child; p; p = p->next)
                                if (strcmp(p->ns, DAV_NS) == 0)
                                        value(ud, b, p->name);
                        buf_adds(b, "</D:prop>");
                        status_line(b, 200);
                        buf_adds(b, "</D:propstat>");
                }
                if (any_missing) {
                        buf_adds(b, "<D:propstat><D:prop>");
                        for (const struct wd_xnode *p = pf->prop->child; p; p = p->next) {
                                struct wd_buf tmp;
                                bool have = false;
                                if (strcmp(p->ns, DAV_NS) == 0) {
                                        buf_init(&tmp);
                                        have = value(ud, &tmp, p->name);
                                        buf_done(&tmp);
                                }
                                if (!have)
                                        prop_name(b, p->ns, p->name);
                        }
                        buf_adds(b, "</D:prop>");
                        status_line(b, 404);
                        buf_adds(b, "</D:propstat>");
                }
        }
        buf_adds(b, "</D:response>\n");
}

struct live_ctx {
        struct wd_req *req;
        const char *rel;
        const struct gwd_stat *st;
};

static bool live_value_cb(void *ud, struct wd_buf *b, const char *name)
{
        struct live_ctx *c = ud;
        return live_value(c->req, b, name, c->rel, c->st);
}

static void pf_response(struct wd_req *req, struct propfind *pf, const char *rel,
                        const struct gwd_stat *st)
{
        struct live_ctx c = { req, rel, st };
        struct wd_buf h;

        buf_init(&h);
        wd_href(&h, req->exp->prefix, rel, st->type == GWD_TYPE_DIR);
        pf_response_with(pf, h.data ? h.data : "/", live_props, live_value_cb, &c);
        buf_done(&h);
}

static void pf_finish(struct wd_req *req)
{
        struct propfind *pf = req->m;
        buf_adds(&pf->out, "</D:multistatus>\n");
        req_respond_buf(req, 207, "application/xml; charset=utf-8", &pf->out);
}

static void pf_readdir_done(void *cbdata, const struct gwd_result *res)
{
        struct wd_req *req = cbdata;
        struct propfind *pf = req->m;

        if (res->error < 0) {
                req_respond_errno(req, res->error, WD_M_READ);
                goto out;
        }
        for (size_t i = 0; i < res->n_entries; i++) {
                const struct gwd_dirent *e = &res->entries[i];
                char *rel;
                if (wd_hidden_name(e->name))
                        continue;
                rel = wd_join(req->path, e->name);
                if (!rel) {
                        req_respond_errno(req, -ENOMEM, WD_M_READ);
                        goto out;
                }
                pf_response(req, pf, rel, &e->st);
                free(rel);
        }
        pf_finish(req);
out:
        req_unref(req);
}

static void pf_stat_done(void *cbdata, const struct gwd_result *res)
{
        struct wd_req *req = cbdata;
        struct propfind *pf = req->m;

        if (res->error < 0) {
                req_respond_errno(req, res->error, WD_M_READ);
                goto out;
        }
        if (req->mhd_done)
                goto out;
        if (res->st->type != GWD_TYPE_DIR && req->slash && *req->path) {
                req_respond_text(req, 404, "not a collection");
                goto out;
        }
        pf_response(req, pf, req->path, res->st);
        if (pf->depth == 1 && res->st->type == GWD_TYPE_DIR) {
                req_ref(req);
                req->ops->readdir(req->sh, req->path, pf_readdir_done, req);
                goto out;
        }
        pf_finish(req);
out:
        req_unref(req);
}

/* Parse the body; 0 or an HTTP status with the reason in *msg. */
static unsigned pf_parse(struct wd_req *req, struct propfind *pf, const char **msg)
{
        const struct wd_xnode *c;
        int r;

        pf->mode = PF_ALLPROP;
        if (req->body.len == 0)
                return 0;
        r = wd_xml_parse(req->body.data, req->body.len, &pf->doc, msg);
        if (r < 0)
                return r == -ENOMEM ? 500 : 400;
        if (!wd_xml_is(pf->doc, DAV_NS, "propfind")) {
                *msg = "the root element must be DAV:propfind";
                return 400;
        }
        for (c = pf->doc->child; c; c = c->next) {
                if (wd_xml_is(c, DAV_NS, "allprop")) {
                        pf->mode = PF_ALLPROP;
                        return 0;
                }
                if (wd_xml_is(c, DAV_NS, "propname")) {
                        pf->mode = PF_PROPNAME;
                        return 0;
                }
                if (wd_xml_is(c, DAV_NS, "prop")) {
                        pf->mode = PF_PROP;
                        pf->prop = c;
                        return 0;
                }
        }
        *msg = "DAV:propfind needs allprop, propname or prop";
        return 400;
}

/* The common start of a PROPFIND: Depth checked (0 or 1), the body parsed,
 * the multistatus opened.  NULL when the request was answered already. */
static struct propfind *pf_begin(struct wd_req *req)
{
        struct propfind *pf;
        const char *msg = NULL;
        unsigned st;
        int depth = wd_parse_depth(req_header(req, "Depth"), WD_DEPTH_INFINITY);

        if (depth == WD_DEPTH_BAD) {
                req_respond_text(req, 400, "Depth must be 0, 1 or infinity");
                return NULL;
        }
        if (depth == WD_DEPTH_INFINITY) {
                req_respond_cond(req, 403, "propfind-finite-depth", NULL);
                return NULL;
        }
        pf = calloc(1, sizeof(*pf));
        if (!pf) {
                req_respond_errno(req, -ENOMEM, WD_M_READ);
                return NULL;
        }
        req->m = pf;
        req->m_free = pf_free;
        pf->depth = depth;
        buf_init(&pf->out);
        st = pf_parse(req, pf, &msg);
        if (st) {
                req_respond_text(req, st, msg ? msg : "bad PROPFIND body");
                return NULL;
        }
        buf_adds(&pf->out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                           "<D:multistatus xmlns:D=\"DAV:\">\n");
        return pf;
}

void wd_propfind(struct wd_req *req)
{
        if (!pf_begin(req))
                return;
        req_wait(req);
        req_ref(req);
        req->ops->stat(req->sh, req->path, pf_stat_done, req);
}

/* --- collections above the exports ------------------------------------------ */

static const char *const virtual_props[] = {
        "displayname", "lockdiscovery", "resourcetype", "supportedlock", NULL,
};

static bool virtual_value(void *ud, struct wd_buf *b, const char *name)
{
        const struct wd_vent *v = ud;

        if (strcmp(name, "resourcetype") == 0) {
                buf_adds(b, "<D:resourcetype><D:collection/></D:resourcetype>");
        } else if (strcmp(name, "displayname") == 0) {
                /* an export's own PROPFIND names it after its share */
                const char *dn = v->exp ? v->exp->share : v->name;
                if (!*dn)
                        return false;
                buf_adds(b, "<D:displayname>");
                buf_add_xml(b, dn);
                buf_adds(b, "</D:displayname>");
        } else if (strcmp(name, "lockdiscovery") == 0) {
                buf_adds(b, "<D:lockdiscovery/>");
        } else if (strcmp(name, "supportedlock") == 0) {
                buf_adds(b, "<D:supportedlock/>");      /* cannot be locked */
        } else {
                return false;
        }
        return true;
}

void wd_propfind_virtual(struct wd_req *req, const struct wd_vent *v, size_t n)
{
        struct propfind *pf = pf_begin(req);

        if (!pf)
                return;
        for (size_t i = 0; i < (pf->depth == 1 ? n : 1); i++)
                pf_response_with(pf, v[i].href, virtual_props, virtual_value,
                                 (void *)&v[i]);
        pf_finish(req);
}

/* --- PROPPATCH -------------------------------------------------------------- */

static bool is_live(const struct wd_xnode *p)
{
        if (strcmp(p->ns, DAV_NS) != 0)
                return false;
        for (const char *const *n = live_props; *n; n++)
                if (strcmp(*n, p->name) == 0)
                        return true;
        return false;
}

static void pp_stat_done(void *cbdata, const struct gwd_result *res)
{
        struct wd_req *req = cbdata;
        struct propfind *pf = req->m;
        struct wd_buf *b = &pf->out;
        bool any_fail = false;

        if (res->error < 0) {
                req_respond_errno(req, res->error, WD_M_READ);
                goto out;
        }
        if (req->mhd_done)
                goto out;
        if (res->st->type == GWD_TYPE_FILE) {
                wd_etag(res->st, req->etag);
                req->have_etag = true;
        }
        if (!wd_locks_ok(req, req->exp->share, req->path, WD_LCK_SELF))
                goto out;
        /* which instructions fail? set: always; remove: only live ones */
        for (const struct wd_xnode *op = pf->doc->child; op; op = op->next) {
                bool set = wd_xml_is(op, DAV_NS, "set");
                const struct wd_xnode *prop = wd_xml_child(op, DAV_NS, "prop");
                for (const struct wd_xnode *p = prop ? prop->child : NULL; p; p = p->next)
                        if (set || is_live(p))
                                any_fail = true;
        }
        buf_adds(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                    "<D:multistatus xmlns:D=\"DAV:\">\n<D:response><D:href>");
        {
                struct wd_buf h;
                buf_init(&h);
                wd_href(&h, req->exp->prefix, req->path, res->st->type == GWD_TYPE_DIR);
                buf_add_xml(b, h.data ? h.data : "/");
                buf_done(&h);
        }
        buf_adds(b, "</D:href>\n");
        for (const struct wd_xnode *op = pf->doc->child; op; op = op->next) {
                bool set = wd_xml_is(op, DAV_NS, "set");
                const struct wd_xnode *prop = wd_xml_child(op, DAV_NS, "prop");
                for (const struct wd_xnode *p = prop ? prop->child : NULL; p; p = p->next) {
                        unsigned st;
                        const char *cond = NULL;
                        if (is_live(p)) {
                                st = 403;
                                cond = "cannot-modify-protected-property";
                        } else if (set) {
                                st = 403;
                        } else {
                                st = any_fail ? 424 : 200;
                        }
                        buf_adds(b, "<D:propstat><D:prop>");
                        prop_name(b, p->ns, p->name);
                        buf_adds(b, "</D:prop>");
                        status_line(b, st);
                        if (cond)
                                buf_printf(b, "<D:error><D:%s/></D:error>", cond);
                        else if (st == 403)
                                buf_adds(b, "<D:responsedescription>dead properties are not "
                                            "stored</D:responsedescription>");
                        buf_adds(b, "</D:propstat>\n");
                }
        }
        buf_adds(b, "</D:response>\n</D:multistatus>\n");
        req_respond_buf(req, 207, "application/xml; charset=utf-8", b);
out:
        req_unref(req);
}

void wd_proppatch(struct wd_req *req)
{
        struct propfind *pf = calloc(1, sizeof(*pf));
        const char *msg = NULL;
        int r;

        if (!pf) {
                req_respond_errno(req, -ENOMEM, WD_M_WRITE);
                return;
        }
        req->m = pf;
        req->m_free = pf_free;
        buf_init(&pf->out);
        r = wd_xml_parse(req->body.data ? req->body.data : "", req->body.len, &pf->doc, &msg);
        if (r < 0) {
                req_respond_text(req, r == -ENOMEM ? 500 : 400, msg ? msg : "bad body");
                return;
        }
        if (!wd_xml_is(pf->doc, DAV_NS, "propertyupdate")) {
                req_respond_text(req, 400, "the root element must be DAV:propertyupdate");
                return;
        }
        for (const struct wd_xnode *op = pf->doc->child; op; op = op->next)
                if (!wd_xml_is(op, DAV_NS, "set") && !wd_xml_is(op, DAV_NS, "remove")) {
                        req_respond_text(req, 400, "DAV:propertyupdate holds set and remove");
                        return;
                }
        req_wait(req);
        req_ref(req);
        req->ops->stat(req->sh, req->path, pp_stat_done, req);
}
