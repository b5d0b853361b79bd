/* SPDX-License-Identifier: MIT */
/*
 * plugins/api: internal interfaces between the files of the admin API
 * plugin.  One concern per file:
 *   server.c     plugin entry, configuration, lifecycle, request dispatch
 *   auth.c       token file, constant-time compare, roles (pure)
 *   router.c     route table (pure)
 *   filter.c     collection filters (pure)
 *   format.c     SSE frames, Prometheus text, buffers (pure)
 *   problem.c    JSON and application/problem+json responses
 *   resources.c  index, health, collections, objects, OpenAPI
 *   sse.c        GET /api/v1/events
 *   metrics.c    GET /metrics and the counters behind it
 *   ops.c        actions, operations, ?wait and drills
 */
#ifndef GWD_API_API_H
#define GWD_API_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <microhttpd.h>

#include <gatewayd/plugin.h>
#include <gatewayd/registry.h>

#include "plugins/api/auth.h"
#include "plugins/api/format.h"
#include "plugins/api/router.h"
#include "plugins/common/httpd-loop.h"

#define API_DEFAULT_LISTEN "127.0.0.1:8377"
#define API_DEFAULT_MAX_BODY (64u * 1024u)
#define API_DEFAULT_MAX_CONNECTIONS 128u
#define API_DEFAULT_CONN_TIMEOUT 30u
/* sd-event priority of the API server: after the data path (0).  A
 * build-time knob (-DAPI_EVENT_PRIORITY=0) for measuring its effect. */
#ifndef API_EVENT_PRIORITY
#define API_EVENT_PRIORITY 10
#endif
#define API_DEFAULT_MAX_SSE 32u
/* An unfiltered listing (GET /api/v1/{kind}s) is kept this long and served
 * again while no registry event (create, state change, destroy) happened:
 * states are exact, details counters at most this old.  A listing of 1,000
 * tcons costs ~1.4 ms of the loop's CPU; a client polling it in a tight
 * loop otherwise starves the data path sharing the loop (docs/api.md). */
#define API_DEFAULT_LISTING_CACHE_MS 250u
#define API_LIST_CACHE_KINDS 8
#define API_MAX_WAIT_S 300
#define API_OP_DEFAULT_DEADLINE_S 120
#define API_OPS_KEPT 64             /* finished operations/drills kept */
#define API_OPS_RUNNING_MAX 64
#define API_KINDS_MAX 64

struct api_op;
struct sse_client;

struct api_settings {
        char **listen;
        size_t n_listen;
        bool all_loopback;
        bool allow_anonymous_loopback;
        uid_t *admin_uids;
        size_t n_admin_uids;
        char *tls_cert_file, *tls_key_file;
        size_t max_body;
        unsigned max_connections, connection_timeout, max_sse;
        unsigned listing_cache_ms;      /* 0: no cache */
        struct auth_tokens tokens;
};

/* One cached unfiltered listing (resources.c). */
struct list_cache {
        char kind[GWD_KIND_MAX];
        char *body;                     /* NULL: empty slot */
        size_t len;
        uint64_t gen;                   /* api.reg_gen when it was made */
        uint64_t made_mono;
};

#define ROUTE_STATS_CODES 16
struct route_stats {
        struct {
                unsigned code;
                uint64_t n;
        } codes[ROUTE_STATS_CODES];     /* the last slot also takes overflow */
        size_t n_codes;
        struct histo latency;
};

struct state_counter {
        char kind[GWD_KIND_MAX];
        char to[GWD_STATE_MAX];
        uint64_t n;
};

struct api {
        const struct gwd_api *gapi;
        struct gwd_ctx *ctx;
        sd_event *loop;
        struct api_settings set;
        struct httpd *httpd;
        uint64_t sub_id;
        bool subscribed;
        bool stopping;

        /* kinds seen since start (collections of unknown kinds are 404) */
        char kinds[API_KINDS_MAX][GWD_KIND_MAX];
        size_t n_kinds;

        size_t item_size_hint;          /* bytes per item of the last listing, and some */
        uint64_t reg_gen;               /* +1 per registry event */
        uint64_t list_cache_hits;
        struct list_cache list_cache[API_LIST_CACHE_KINDS];

        /* metrics */
        struct route_stats routes[ROUTE__MAX];
        uint64_t requests_total;
        struct state_counter *state_changes;
        size_t n_state_changes;

        struct sse_client *sse_head;
        unsigned n_sse;

        struct api_op *ops;             /* newest first */
        unsigned n_ops, n_ops_running;
        uint64_t next_op, next_drill;
};

/* Per request (MHD con_cls). */
struct api_req {
        struct api *api;
        struct MHD_Connection *conn;
        struct route_match route;
        int route_result;
        const char *method;
        char *url;
        enum auth_role role;
        char who[96];                   /* "api:<token name>", "api:uid:N", "api:anonymous" */
        struct sbuf body;
        bool body_too_large;
        bool responded;
        uint64_t start_mono;
        unsigned status;
        struct api_op *op;              /* ?wait: suspended on this operation */
        bool suspended;
};

/* server.c */
uint64_t api_now_mono(void);
void api_list_cache_free(struct api *a);
bool api_kind_known(struct api *a, const char *kind);
void api_kind_seen(struct api *a, const char *kind);

/* problem.c: queue a response; return the MHD result to hand back. */
enum MHD_Result api_reply_json(struct api_req *r, unsigned status, json_t *body);
/* Sends JSON text already in `body` (a newline is added); takes the buffer
 * in every case. */
enum MHD_Result api_reply_sbuf(struct api_req *r, unsigned status, struct sbuf *body);
enum MHD_Result api_reply_json_location(struct api_req *r, unsigned status, json_t *body,
                                        const char *location);
enum MHD_Result api_reply_text(struct api_req *r, unsigned status, const char *ctype,
                               const char *text, size_t len, bool copy);
enum MHD_Result api_problem(struct api_req *r, unsigned status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
enum MHD_Result api_problem_allow(struct api_req *r, unsigned allow);
const char *api_status_title(unsigned status);

/* resources.c */
enum MHD_Result res_index(struct api_req *r);
enum MHD_Result res_openapi(struct api_req *r);
enum MHD_Result res_healthz(struct api_req *r);
enum MHD_Result res_health(struct api_req *r);
enum MHD_Result res_collection(struct api_req *r);
enum MHD_Result res_object(struct api_req *r);

/* sse.c */
enum MHD_Result sse_open(struct api_req *r);
void sse_on_event(struct api *a, const struct gwd_event *ev);
void sse_close_all(struct api *a);

/* metrics.c */
enum MHD_Result metrics_serve(struct api_req *r);
void metrics_on_event(struct api *a, const struct gwd_event *ev);
void metrics_request_done(struct api *a, const struct api_req *r);
void metrics_free(struct api *a);

/* ops.c */
enum MHD_Result ops_action(struct api_req *r);
enum MHD_Result ops_get_operation(struct api_req *r);
enum MHD_Result ops_drill_new(struct api_req *r);
enum MHD_Result ops_drill_get(struct api_req *r);
enum MHD_Result ops_drill_list(struct api_req *r);
/* Called again for a request resumed after ?wait. */
enum MHD_Result ops_resumed(struct api_req *r);
void ops_on_event(struct api *a, const struct gwd_event *ev);
void ops_request_gone(struct api_req *r);
void ops_stop_all(struct api *a);
void ops_free_all(struct api *a);

/* openapi-doc.c (generated from docs/api/openapi.json) */
extern const char api_openapi_json[];
extern const size_t api_openapi_json_len;

#endif
