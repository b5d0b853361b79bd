/* SPDX-License-Identifier: MIT */
/* Read-only resources: index, OpenAPI, health, collections, objects. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/api/api.h"
#include "plugins/api/filter.h"

enum MHD_Result res_index(struct api_req *r)
{
        json_t *routes = json_array();

        for (size_t i = 0; i < route_table_len; i++) {
                const struct route_info *ri = &route_table[i];
                char methods[32];
                route_allow_string(ri->methods, methods, sizeof(methods));
                json_array_append_new(routes, json_pack("{s:s, s:s, s:s, s:b}", "path",
                                                        ri->pattern, "methods", methods,
                                                        "summary", ri->summary, "auth",
                                                        ri->auth));
        }
        return api_reply_json(r, MHD_HTTP_OK,
                              json_pack("{s:s, s:s, s:o}", "api", "gatewayd admin API",
                                        "version", "v1", "routes", routes));
}

enum MHD_Result res_openapi(struct api_req *r)
{
        return api_reply_text(r, MHD_HTTP_OK, "application/json", api_openapi_json,
                              api_openapi_json_len, false);
}

/* --- health ------------------------------------------------------------------ */

struct health_acc {
        struct api *a;
        json_t *kinds;
        size_t total, good;
        json_t *not_good;
};

static int health_one(void *ud, struct gwd_object *obj)
{
        struct health_acc *h = ud;
        const struct gwd_api *g = h->a->gapi;
        const char *kind = g->object_kind(obj), *state = g->object_state(obj);
        json_t *k = json_object_get(h->kinds, kind);
        json_t *n;

        if (!k) {
                k = json_object();
                json_object_set_new(h->kinds, kind, k);
        }
        n = json_object_get(k, state);
        json_object_set_new(k, state, json_integer(n ? json_integer_value(n) + 1 : 1));
        h->total++;
        if (strcmp(state, "good") == 0) {
                h->good++;
        } else if (json_array_size(h->not_good) < 100) {
                json_array_append_new(h->not_good,
                                      json_pack("{s:s, s:s, s:s}", "kind", kind, "id",
                                                g->object_id(obj), "state", state));
        }
        return 0;
}

/* "ok": every object good (or none); "degraded": some object not good;
 * "down": there are objects and none of them is good. */
static const char *health_status(const struct health_acc *h)
{
        if (h->good == h->total)
                return "ok";
        return h->good == 0 ? "down" : "degraded";
}

enum MHD_Result res_healthz(struct api_req *r)
{
        struct health_acc h = { .a = r->api, .kinds = json_object(), .not_good = json_array() };
        const char *status;

        r->api->gapi->object_foreach(r->api->ctx, NULL, health_one, &h);
        status = health_status(&h);
        json_decref(h.kinds);
        json_decref(h.not_good);
        return api_reply_json(r, strcmp(status, "down") == 0 ? MHD_HTTP_SERVICE_UNAVAILABLE
                                                             : MHD_HTTP_OK,
                              json_pack("{s:s}", "status", status));
}

enum MHD_Result res_health(struct api_req *r)
{
        struct health_acc h = { .a = r->api, .kinds = json_object(), .not_good = json_array() };

        r->api->gapi->object_foreach(r->api->ctx, NULL, health_one, &h);
        return api_reply_json(r, MHD_HTTP_OK,
                              json_pack("{s:s, s:I, s:I, s:o, s:o, s:I}", "status",
                                        health_status(&h), "objects", (json_int_t)h.total,
                                        "good", (json_int_t)h.good, "kinds", h.kinds,
                                        "not_good", h.not_good, "last_event_seq",
                                        (json_int_t)r->api->gapi->events_last_seq(r->api->ctx)));
}

/* --- collections ------------------------------------------------------------- */

struct query_acc {
        struct api *a;
        struct api_filter f;
        char err[256];
        int bad;
};

static enum MHD_Result query_one(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
        struct query_acc *q = cls;
        int r;

        if (q->bad)
                return MHD_NO;
        r = filter_add(&q->f, key, value, q->err, sizeof(q->err));
        if (r == 0 && q->f.n_anc && !api_kind_known(q->a, q->f.anc[q->f.n_anc - 1].kind) &&
            strcmp(q->f.anc[q->f.n_anc - 1].kind, key) == 0)
                r = -ENOENT;
        if (r == -ENOENT) {
                /* The key came from the client: only print it when safe. */
                if (route_valid_kind(key))
                        snprintf(q->err, sizeof(q->err), "unknown query parameter \"%s\" "
                                 "(filters: state, parent, <kind>)", key);
                else
                        snprintf(q->err, sizeof(q->err), "unknown query parameter "
                                 "(filters: state, parent, <kind>)");
        }
        if (r < 0) {
                q->bad = 1;
                return MHD_NO;
        }
        return MHD_YES;
}

struct ancestor_ud {
        struct api *a;
        struct gwd_object *obj;
};

static int ancestor_is(void *ud, const char *kind, const char *id)
{
        struct ancestor_ud *u = ud;
        const struct gwd_api *g = u->a->gapi;
        for (struct gwd_object *p = g->object_parent(u->obj); p; p = g->object_parent(p))
                if (strcmp(g->object_kind(p), kind) == 0 && strcmp(g->object_id(p), id) == 0)
                        return 1;
        return 0;
}

/* Appends the compact JSON text of one object.  The daemon serializes it
 * (GWD_JSON_SERIALIZED, see registry.h): no jansson tree is built and
 * dumped per object.  A daemon that predates the flag returns the object,
 * which is dumped here instead. */
static int dump_to_sbuf(const char *buffer, size_t size, void *data)
{
        struct sbuf *b = data;
        sbuf_append(b, buffer, size);
        return b->oom ? -1 : 0;
}

static int append_object(struct api *a, struct sbuf *b, struct gwd_object *obj, uint32_t flags)
{
        json_t *j = a->gapi->object_to_json(obj, flags | GWD_JSON_SERIALIZED);
        int r = 0;

        if (json_is_string(j))
                sbuf_append(b, json_string_value(j), json_string_length(j));
        else if (!j || json_dump_callback(j, dump_to_sbuf, b, JSON_COMPACT) < 0)
                r = -ENOMEM;
        json_decref(j);
        return r < 0 || b->oom ? -ENOMEM : 0;
}

struct list_acc {
        struct api *a;
        const struct api_filter *f;
        struct gwd_object **objs;
        size_t n, cap;
};

/* First pass: pick the matching objects, so that the count can be written
 * before the items without building them twice. */
static int list_one(void *ud, struct gwd_object *obj)
{
        struct list_acc *l = ud;
        const struct gwd_api *g = l->a->gapi;
        struct gwd_object *parent = g->object_parent(obj);
        struct ancestor_ud au = { l->a, obj };

        if (!filter_match(l->f, g->object_state(obj), parent ? g->object_id(parent) : NULL,
                          ancestor_is, &au))
                return 0;
        if (l->n == l->cap) {
                size_t cap = l->cap ? 2 * l->cap : 256;
                struct gwd_object **grown = realloc(l->objs, cap * sizeof(*grown));
                if (!grown)
                        return -ENOMEM;
                l->objs = grown;
                l->cap = cap;
        }
        l->objs[l->n++] = obj;
        return 0;
}

/* --- the listing cache (see API_DEFAULT_LISTING_CACHE_MS) ---------------------- */

void api_list_cache_free(struct api *a)
{
        for (size_t i = 0; i < API_LIST_CACHE_KINDS; i++) {
                free(a->list_cache[i].body);
                a->list_cache[i] = (struct list_cache){ 0 };
        }
}

/* The slot holding a listing of `kind`, fresh or not, or NULL. */
static struct list_cache *list_cache_find(struct api *a, const char *kind)
{
        for (size_t i = 0; i < API_LIST_CACHE_KINDS; i++)
                if (a->list_cache[i].body && strcmp(a->list_cache[i].kind, kind) == 0)
                        return &a->list_cache[i];
        return NULL;
}

/* A fresh cached listing of `kind`, or NULL. */
static struct list_cache *list_cache_get(struct api *a, const char *kind)
{
        struct list_cache *c = list_cache_find(a, kind);
        uint64_t ttl = (uint64_t)a->set.listing_cache_ms * 1000u;
        return c && c->gen == a->reg_gen && api_now_mono() - c->made_mono < ttl ? c : NULL;
}

/* Keep a copy of a listing: in the slot of its kind, else an empty one,
 * else the oldest.  Without memory there is simply no cache. */
static void list_cache_put(struct api *a, const char *kind, const char *body, size_t len)
{
        struct list_cache *slot = list_cache_find(a, kind);
        char *copy;

        if (strlen(kind) >= sizeof(slot->kind))
                return;         /* known kinds are shorter; never truncated */
        if (!slot) {
                /* an empty slot, else the oldest */
                slot = &a->list_cache[0];
                for (size_t i = 1; i < API_LIST_CACHE_KINDS && slot->body; i++)
                        if (!a->list_cache[i].body ||
                            a->list_cache[i].made_mono < slot->made_mono)
                                slot = &a->list_cache[i];
        }
        copy = malloc(len);
        if (!copy)
                return;
        memcpy(copy, body, len);
        free(slot->body);
        *slot = (struct list_cache){ .body = copy, .len = len, .gen = a->reg_gen,
                                     .made_mono = api_now_mono() };
        memcpy(slot->kind, kind, strlen(kind) + 1);
}

/* The listing is written in one go, on the loop, so that it shows one
 * moment: streaming it over several loop iterations would mix states of
 * different moments and could meet objects freed in between (the registry
 * hands out no references). */
enum MHD_Result res_collection(struct api_req *r)
{
        struct api *a = r->api;
        const char *kind = r->route.params[0];
        struct query_acc q = { .a = a };
        struct list_acc l = { .a = a, .f = &q.f };
        struct sbuf b = { 0 };
        int rc;

        if (!api_kind_known(a, kind))
                return api_problem(r, MHD_HTTP_NOT_FOUND, "no objects of kind \"%s\" were ever "
                                   "registered", kind);
        int nargs = MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_one, &q);
        if (q.bad)
                return api_problem(r, MHD_HTTP_BAD_REQUEST, "%s", q.err);
        bool cacheable = nargs == 0 && a->set.listing_cache_ms;
        struct list_cache *hit = cacheable ? list_cache_get(a, kind) : NULL;
        if (hit) {
                a->list_cache_hits++;
                sbuf_append(&b, hit->body, hit->len);
                return api_reply_sbuf(r, MHD_HTTP_OK, &b);
        }
        rc = a->gapi->object_foreach(a->ctx, kind, list_one, &l);
        if (rc < 0) {
                free(l.objs);
                return api_problem(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", strerror(-rc));
        }
        /* Sized from the last listing's bytes per item (a hint, at most
         * 64 MiB): no copying while growing. */
        sbuf_reserve(&b, a->item_size_hint && l.n > (64u << 20) / a->item_size_hint
                                 ? (64u << 20) : 64 + l.n * a->item_size_hint);
        sbuf_append(&b, "{\"kind\":", 8);
        sbuf_json_string(&b, kind);
        sbuf_printf(&b, ",\"count\":%zu,\"items\":[", l.n);
        for (size_t i = 0; i < l.n && rc == 0; i++) {
                if (i)
                        sbuf_append(&b, ",", 1);
                rc = append_object(a, &b, l.objs[i], 0);
        }
        free(l.objs);
        sbuf_append(&b, "]}", 2);
        if (rc < 0 || b.oom) {
                sbuf_free(&b);
                return MHD_NO;
        }
        if (l.n)
                a->item_size_hint = b.len / l.n + b.len / l.n / 8;
        if (cacheable)
                list_cache_put(a, kind, b.p, b.len);
        return api_reply_sbuf(r, MHD_HTTP_OK, &b);
}

/* --- one object ---------------------------------------------------------------- */

struct children_acc {
        struct api *a;
        struct sbuf *b;
        size_t n;
};

static int child_one(void *ud, struct gwd_object *obj)
{
        struct children_acc *c = ud;
        const struct gwd_api *g = c->a->gapi;
        if (c->n++)
                sbuf_append(c->b, ",", 1);
        sbuf_append(c->b, "{\"kind\":", 8);
        sbuf_json_string(c->b, g->object_kind(obj));
        sbuf_append(c->b, ",\"id\":", 6);
        sbuf_json_string(c->b, g->object_id(obj));
        sbuf_append(c->b, ",\"state\":", 9);
        sbuf_json_string(c->b, g->object_state(obj));
        sbuf_append(c->b, "}", 1);
        return 0;
}

enum MHD_Result res_object(struct api_req *r)
{
        struct api *a = r->api;
        const char *kind = r->route.params[0], *id = r->route.params[1];
        struct gwd_object *obj = a->gapi->object_find(a->ctx, kind, id);
        struct sbuf b = { 0 };
        struct children_acc c = { .a = a, .b = &b };

        if (MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, NULL, NULL) > 0)
                return api_problem(r, MHD_HTTP_BAD_REQUEST, "this resource takes no query "
                                   "parameters");
        if (!obj)
                return api_problem(r, MHD_HTTP_NOT_FOUND, "no %s with id \"%s\"", kind, id);
        if (append_object(a, &b, obj, GWD_JSON_HISTORY) < 0 || b.len == 0 ||
            b.p[b.len - 1] != '}') {
                sbuf_free(&b);
                return MHD_NO;
        }
        /* Both forms end with the object's closing brace: "children" goes
         * in before it. */
        b.len--;
        sbuf_append(&b, ",\"children\":[", 13);
        a->gapi->object_foreach_child(obj, child_one, &c);
        sbuf_append(&b, "]}", 2);
        if (b.oom) {
                sbuf_free(&b);
                return MHD_NO;
        }
        return api_reply_sbuf(r, MHD_HTTP_OK, &b);
}
