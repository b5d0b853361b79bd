/* SPDX-License-Identifier: MIT */
/*
 * GET /metrics: Prometheus text format 0.0.4.
 *
 *   gwd_objects{kind,state}                    gauge
 *   gwd_state_changes_total{kind,to}           counter (creations and state
 *                                              changes seen since the API
 *                                              started; destructions are not
 *                                              counted)
 *   gwd_events_last_seq                        gauge
 *   gwd_http_requests_total{route,method,code} counter
 *   gwd_http_request_duration_seconds{route,method} histogram
 *   gwd_http_connections, gwd_sse_subscribers  gauges
 *   gwd_api_listing_cache_hits_total           counter
 *   gwd_object_<kind>_<field>{id}              numeric details of objects
 *
 * Detail naming rule: every number (or boolean, as 0/1) in an object's
 * details becomes gwd_object_<kind>_<field>{id="<object id>"}; a nested
 * object adds one level (<field>_<subfield>), deeper levels and strings are
 * left out; characters outside [a-zA-Z0-9_] become '_'.  A name ending in
 * "_total" is typed counter, anything else gauge.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/api/api.h"

void metrics_on_event(struct api *a, const struct gwd_event *ev)
{
        struct state_counter *grown;

        if (ev->to[0] == '\0')
                return;
        for (size_t i = 0; i < a->n_state_changes; i++) {
                struct state_counter *c = &a->state_changes[i];
                if (strcmp(c->kind, ev->kind) == 0 && strcmp(c->to, ev->to) == 0) {
                        c->n++;
                        return;
                }
        }
        if (a->n_state_changes >= 1024)
                return;         /* bounded: states are a small vocabulary */
        grown = realloc(a->state_changes, (a->n_state_changes + 1) * sizeof(*grown));
        if (!grown)
                return;
        a->state_changes = grown;
        grown[a->n_state_changes] = (struct state_counter){ .n = 1 };
        snprintf(grown[a->n_state_changes].kind, GWD_KIND_MAX, "%s", ev->kind);
        snprintf(grown[a->n_state_changes].to, GWD_STATE_MAX, "%s", ev->to);
        a->n_state_changes++;
}

void metrics_request_done(struct api *a, const struct api_req *r)
{
        enum route_id id = r->route_result == ROUTE_OK ? r->route.id : ROUTE_NONE;
        struct route_stats *s = &a->routes[id];
        unsigned code = r->status ? r->status : 0;     /* 0: closed without answer */
        size_t i;

        a->requests_total++;
        for (i = 0; i < s->n_codes; i++)
                if (s->codes[i].code == code)
                        break;
        if (i == s->n_codes) {
                if (s->n_codes < ROUTE_STATS_CODES) {
                        s->codes[s->n_codes++].code = code;
                } else {
                        i = ROUTE_STATS_CODES - 1;
                }
        }
        s->codes[i].n++;
        histo_observe(&s->latency, (double)(api_now_mono() - r->start_mono) / 1e6);
}

/* Each route has exactly one method; unmatched requests get "any". */
static const char *route_method(enum route_id id)
{
        for (size_t i = 0; i < route_table_len; i++)
                if (route_table[i].id == id)
                        return route_table[i].methods == METHOD_POST ? "POST" : "GET";
        return "any";
}

void metrics_free(struct api *a)
{
        free(a->state_changes);
        a->state_changes = NULL;
        a->n_state_changes = 0;
}

/* --- rendering ----------------------------------------------------------------- */

struct family {
        char name[160];
        struct sbuf lines;
};

struct render {
        struct api *a;
        json_t *counts;         /* kind -> state -> n */
        struct family *fam;
        size_t n_fam;
        int oom;
};

static struct family *family_get(struct render *rd, const char *name)
{
        struct family *grown;
        for (size_t i = 0; i < rd->n_fam; i++)
                if (strcmp(rd->fam[i].name, name) == 0)
                        return &rd->fam[i];
        if (rd->n_fam >= 4096)
                return NULL;
        grown = realloc(rd->fam, (rd->n_fam + 1) * sizeof(*grown));
        if (!grown) {
                rd->oom = 1;
                return NULL;
        }
        rd->fam = grown;
        grown[rd->n_fam] = (struct family){ 0 };
        snprintf(grown[rd->n_fam].name, sizeof(grown[0].name), "%s", name);
        return &grown[rd->n_fam++];
}

static void detail_sample(struct render *rd, const char *kind, const char *key,
                          const char *sub, const char *id, json_t *v)
{
        const char *parts[5] = { "gwd_object", kind, key, sub };
        char name[160];
        struct family *f;
        double x;

        if (json_is_integer(v))
                x = (double)json_integer_value(v);
        else if (json_is_real(v))
                x = json_real_value(v);
        else if (json_is_boolean(v))
                x = json_is_true(v) ? 1 : 0;
        else
                return;
        prom_name(name, sizeof(name), parts, sub ? 4 : 3);
        f = family_get(rd, name);
        if (!f)
                return;
        sbuf_printf(&f->lines, "%s{id=\"", name);
        prom_label_value(&f->lines, id);
        if (json_is_integer(v))
                sbuf_printf(&f->lines, "\"} %lld\n", (long long)json_integer_value(v));
        else
                sbuf_printf(&f->lines, "\"} %.17g\n", x);
}

static int render_object(void *ud, struct gwd_object *obj)
{
        struct render *rd = ud;
        const struct gwd_api *g = rd->a->gapi;
        const char *kind = g->object_kind(obj), *state = g->object_state(obj);
        json_t *k = json_object_get(rd->counts, kind), *n, *j, *details, *v, *v2;
        const char *key, *key2;

        if (!k) {
                k = json_object();
                json_object_set_new(rd->counts, kind, k);
        }
        n = json_object_get(k, state);
        json_object_set_new(k, state, json_integer(n ? json_integer_value(n) + 1 : 1));

        j = g->object_to_json(obj, 0);
        details = json_object_get(j, "details");
        json_object_foreach(details, key, v) {
                if (json_is_object(v)) {
                        json_object_foreach(v, key2, v2)
                                detail_sample(rd, kind, key, key2, g->object_id(obj), v2);
                } else {
                        detail_sample(rd, kind, key, NULL, g->object_id(obj), v);
                }
        }
        json_decref(j);
        return 0;
}

enum MHD_Result metrics_serve(struct api_req *r)
{
        struct api *a = r->api;
        struct render rd = { .a = a, .counts = json_object() };
        struct sbuf b = { 0 };
        const char *kind, *state;
        json_t *states, *n;
        enum MHD_Result ret;

        a->gapi->object_foreach(a->ctx, NULL, render_object, &rd);

        sbuf_printf(&b, "# HELP gwd_objects Objects in the registry by kind and state.\n"
                        "# TYPE gwd_objects gauge\n");
        json_object_foreach(rd.counts, kind, states) {
                json_object_foreach(states, state, n) {
                        sbuf_printf(&b, "gwd_objects{kind=\"");
                        prom_label_value(&b, kind);
                        sbuf_printf(&b, "\",state=\"");
                        prom_label_value(&b, state);
                        sbuf_printf(&b, "\"} %lld\n", (long long)json_integer_value(n));
                }
        }
        sbuf_printf(&b, "# HELP gwd_state_changes_total Object creations and state changes "
                        "by kind and new state.\n# TYPE gwd_state_changes_total counter\n");
        for (size_t i = 0; i < a->n_state_changes; i++) {
                sbuf_printf(&b, "gwd_state_changes_total{kind=\"");
                prom_label_value(&b, a->state_changes[i].kind);
                sbuf_printf(&b, "\",to=\"");
                prom_label_value(&b, a->state_changes[i].to);
                sbuf_printf(&b, "\"} %llu\n", (unsigned long long)a->state_changes[i].n);
        }
        sbuf_printf(&b, "# HELP gwd_events_last_seq Sequence number of the newest event.\n"
                        "# TYPE gwd_events_last_seq gauge\ngwd_events_last_seq %llu\n",
                    (unsigned long long)a->gapi->events_last_seq(a->ctx));
        sbuf_printf(&b, "# HELP gwd_http_requests_total HTTP requests by route and status "
                        "(code 0: closed before an answer).\n"
                        "# TYPE gwd_http_requests_total counter\n");
        for (size_t i = 0; i < ROUTE__MAX; i++) {
                const struct route_stats *s = &a->routes[i];
                for (size_t k = 0; k < s->n_codes; k++)
                        sbuf_printf(&b, "gwd_http_requests_total{route=\"%s\",method=\"%s\","
                                        "code=\"%u\"} %llu\n", route_name((enum route_id)i),
                                    route_method((enum route_id)i), s->codes[k].code,
                                    (unsigned long long)s->codes[k].n);
        }
        sbuf_printf(&b, "# HELP gwd_http_request_duration_seconds Time from the first byte "
                        "of a request to its completion.\n"
                        "# TYPE gwd_http_request_duration_seconds histogram\n");
        for (size_t i = 0; i < ROUTE__MAX; i++) {
                char labels[96];
                if (a->routes[i].latency.count == 0)
                        continue;
                snprintf(labels, sizeof(labels), "route=\"%s\",method=\"%s\"",
                         route_name((enum route_id)i), route_method((enum route_id)i));
                histo_format(&b, "gwd_http_request_duration_seconds", labels,
                             &a->routes[i].latency);
        }
        sbuf_printf(&b, "# HELP gwd_http_connections Open HTTP connections.\n"
                        "# TYPE gwd_http_connections gauge\ngwd_http_connections %u\n",
                    httpd_connections(a->httpd));
        sbuf_printf(&b, "# HELP gwd_sse_subscribers Open event streams.\n"
                        "# TYPE gwd_sse_subscribers gauge\ngwd_sse_subscribers %u\n", a->n_sse);
        sbuf_printf(&b, "# HELP gwd_api_listing_cache_hits_total Unfiltered listings served "
                        "from the listing cache.\n# TYPE gwd_api_listing_cache_hits_total counter\n"
                        "gwd_api_listing_cache_hits_total %" PRIu64 "\n", a->list_cache_hits);
        for (size_t i = 0; i < rd.n_fam; i++) {
                size_t len = strlen(rd.fam[i].name);
                int counter = len > 6 && strcmp(rd.fam[i].name + len - 6, "_total") == 0;
                sbuf_printf(&b, "# TYPE %s %s\n", rd.fam[i].name, counter ? "counter" : "gauge");
                if (rd.fam[i].lines.p)
                        sbuf_append(&b, rd.fam[i].lines.p, rd.fam[i].lines.len);
                sbuf_free(&rd.fam[i].lines);
        }
        free(rd.fam);
        json_decref(rd.counts);
        if (b.oom || rd.oom) {
                sbuf_free(&b);
                return api_problem(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        }
        ret = api_reply_text(r, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", b.p,
                             b.len, true);
        sbuf_free(&b);
        return ret;
}
