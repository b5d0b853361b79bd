/* SPDX-License-Identifier: MIT */
/*
 * Actions, operations and drills.
 *
 * Every POST of an action (and every drill) becomes an operation that
 * watches the events of its target and everything below it.  The watch
 * starts before the action is invoked, so no transition is missed even when
 * the plugin changes states synchronously.  An operation succeeds once at
 * least one transition was seen and then, for SETTLE_USEC without further
 * events, the target and all its descendants are "good"; it times out at
 * its deadline (?wait=SECONDS, or API_OP_DEFAULT_DEADLINE_S).  With ?wait
 * the request is suspended until then and answered with the timeline;
 * otherwise it is answered 202 with the operation's URL.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugins/api/api.h"

#define SETTLE_USEC 50000u

struct api_op {
        struct api_op *next;
        struct api *a;
        bool drill;
        bool running;
        char id[40];
        char kind[GWD_KIND_MAX];
        char obj_id[GWD_ID_MAX];
        char action[GWD_KIND_MAX];
        char fault[32];
        char requested_by[320];
        char status[16];                /* running, succeeded, timed_out, canceled */
        uint64_t start_mono, start_real, end_mono;
        uint64_t detect_mono, recover_mono;     /* 0: not (yet) */
        json_t *timeline;
        json_t *details_before, *details_after;
        sd_event_source *deadline, *settle;
        struct api_req *waiter;
};

static const char *const faults[] = {
        "disconnect", "network_name_deleted", "session_expired", "hang", NULL,
};

static uint64_t now_real(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static json_t *ms_or_null(uint64_t from, uint64_t to)
{
        return to && to >= from ? json_real((double)(to - from) / 1000.0) : json_null();
}

/* Numeric fields of `after` minus `before`, for counters the plugin
 * publishes in its details (wire commands, delayed/failed requests...). */
static json_t *details_delta(const json_t *before, const json_t *after)
{
        json_t *d = json_object();
        const char *key;
        json_t *v;

        json_object_foreach((json_t *)after, key, v) {
                const json_t *b = json_object_get(before, key);
                if (json_is_integer(v) && json_is_integer(b))
                        json_object_set_new(d, key, json_integer(json_integer_value(v) -
                                                                 json_integer_value(b)));
        }
        return d;
}

static json_t *op_json(const struct api_op *op)
{
        char started[32], url[96];
        uint64_t end = op->end_mono ? op->end_mono : api_now_mono();
        struct gwd_object *obj = op->a->gapi->object_find(op->a->ctx, op->kind, op->obj_id);
        json_t *j;

        format_time(op->start_real, started);
        snprintf(url, sizeof(url), "/api/v1/%s/%s", op->drill ? "drills" : "operations", op->id);
        j = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:O, s:s?}",
                      "id", op->id, "url", url, "target", "kind", op->kind, "id", op->obj_id,
                      "action", op->action, "requested_by", op->requested_by, "status",
                      op->status, "started", started, "duration_ms",
                      json_real((double)(end - op->start_mono) / 1000.0), "detection_ms",
                      ms_or_null(op->start_mono, op->detect_mono), "recovery_ms",
                      ms_or_null(op->start_mono, op->recover_mono), "timeline", op->timeline,
                      "final_state", obj ? op->a->gapi->object_state(obj) : NULL);
        if (j && op->drill) {
                json_object_set_new(j, "fault", json_string(op->fault));
                json_object_set_new(j, "wire", op->details_after
                                                       ? details_delta(op->details_before,
                                                                       op->details_after)
                                                       : json_null());
                json_object_set(j, "details_before",
                                op->details_before ? op->details_before : json_null());
                json_object_set(j, "details_after",
                                op->details_after ? op->details_after : json_null());
        }
        return j;
}

static json_t *object_details(struct api *a, const char *kind, const char *id)
{
        struct gwd_object *obj = a->gapi->object_find(a->ctx, kind, id);
        json_t *j = obj ? a->gapi->object_to_json(obj, 0) : NULL;
        json_t *d = json_incref(json_object_get(j, "details"));
        json_decref(j);
        return d;
}

/* --- watching -------------------------------------------------------------------- */

/* `o` (may be NULL) is the operation's target or one of its descendants. */
static bool obj_below_target(struct api *a, const struct api_op *op, struct gwd_object *o)
{
        const struct gwd_api *g = a->gapi;

        for (struct gwd_object *p = o; p; p = g->object_parent(p))
                if (strcmp(g->object_kind(p), op->kind) == 0 &&
                    strcmp(g->object_id(p), op->obj_id) == 0)
                        return true;
        return false;
}

static bool below_target(struct api *a, const struct api_op *op, const char *kind,
                         const char *id)
{
        if (strcmp(kind, op->kind) == 0 && strcmp(id, op->obj_id) == 0)
                return true;
        return obj_below_target(a, op, a->gapi->object_find(a->ctx, kind, id));
}

struct good_acc {
        struct api *a;
        const struct api_op *op;
        bool all_good;
};

static int check_good(void *ud, struct gwd_object *obj)
{
        struct good_acc *g = ud;
        const struct gwd_api *ga = g->a->gapi;
        if (strcmp(ga->object_state(obj), "good") != 0 &&
            obj_below_target(g->a, g->op, obj)) {
                g->all_good = false;
                return 1;
        }
        return 0;
}

static bool target_all_good(struct api *a, const struct api_op *op)
{
        struct good_acc g = { a, op, true };
        if (!a->gapi->object_find(a->ctx, op->kind, op->obj_id))
                return false;
        a->gapi->object_foreach(a->ctx, NULL, check_good, &g);
        return g.all_good;
}

static void finish(struct api_op *op, const char *status)
{
        struct api *a = op->a;

        if (!op->running)
                return;
        op->running = false;
        a->n_ops_running--;
        op->end_mono = api_now_mono();
        snprintf(op->status, sizeof(op->status), "%s", status);
        op->deadline = sd_event_source_disable_unref(op->deadline);
        op->settle = sd_event_source_disable_unref(op->settle);
        if (op->drill)
                op->details_after = object_details(a, op->kind, op->obj_id);
        if (op->waiter && op->waiter->suspended) {
                op->waiter->suspended = false;
                MHD_resume_connection(op->waiter->conn);
                httpd_kick(a->httpd);
        }
}

static int on_settle(sd_event_source *s, uint64_t usec, void *ud)
{
        struct api_op *op = ud;
        if (json_array_size(op->timeline) > 0 && target_all_good(op->a, op)) {
                op->recover_mono = api_now_mono();
                finish(op, "succeeded");
        }
        return 0;
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *ud)
{
        finish(ud, "timed_out");
        return 0;
}

void ops_on_event(struct api *a, const struct gwd_event *ev)
{
        for (struct api_op *op = a->ops; op; op = op->next) {
                char t[32];
                json_t *e;

                if (!op->running || !below_target(a, op, ev->kind, ev->id))
                        continue;
                format_time(ev->time_usec, t);
                e = json_pack("{s:I, s:s, s:f, s:s, s:s, s:s, s:s, s:s}", "seq",
                              (json_int_t)ev->seq, "time", t, "t_ms",
                              ev->mono_usec >= op->start_mono
                                      ? (double)(ev->mono_usec - op->start_mono) / 1000.0
                                      : 0.0,
                              "kind", ev->kind, "id", ev->id, "from", ev->from, "to", ev->to,
                              "cause", ev->cause);
                if (e && json_array_size(op->timeline) < 1000)
                        json_array_append_new(op->timeline, e);
                else
                        json_decref(e);
                if (!op->detect_mono && ev->from[0] && strcmp(ev->to, "good") != 0)
                        op->detect_mono = ev->mono_usec;
                if (op->settle) {
                        sd_event_source_set_time(op->settle, api_now_mono() + SETTLE_USEC);
                        sd_event_source_set_enabled(op->settle, SD_EVENT_ONESHOT);
                }
        }
}

/* --- bookkeeping ------------------------------------------------------------------- */

static void op_free(struct api_op *op)
{
        if (!op)
                return;
        sd_event_source_disable_unref(op->deadline);
        sd_event_source_disable_unref(op->settle);
        json_decref(op->timeline);
        json_decref(op->details_before);
        json_decref(op->details_after);
        free(op);
}

/* Keep every running operation and the newest API_OPS_KEPT finished ones. */
static void prune(struct api *a)
{
        unsigned finished = 0;
        for (struct api_op **pp = &a->ops; *pp;) {
                struct api_op *op = *pp;
                if (!op->running && !op->waiter && ++finished > API_OPS_KEPT) {
                        *pp = op->next;
                        a->n_ops--;
                        op_free(op);
                        continue;
                }
                pp = &op->next;
        }
}

static void unlink_op(struct api *a, struct api_op *op)
{
        for (struct api_op **pp = &a->ops; *pp; pp = &(*pp)->next)
                if (*pp == op) {
                        *pp = op->next;
                        a->n_ops--;
                        return;
                }
}

static struct api_op *op_new(struct api *a, bool drill, const char *kind, const char *id,
                             const char *action, unsigned deadline_s)
{
        struct api_op *op = calloc(1, sizeof(*op));
        if (!op)
                return NULL;
        op->a = a;
        op->drill = drill;
        op->running = true;
        op->timeline = json_array();
        snprintf(op->id, sizeof(op->id), "%s-%llu", drill ? "drill" : "op",
                 (unsigned long long)(drill ? ++a->next_drill : ++a->next_op));
        snprintf(op->kind, sizeof(op->kind), "%s", kind);
        snprintf(op->obj_id, sizeof(op->obj_id), "%s", id);
        snprintf(op->action, sizeof(op->action), "%s", action);
        snprintf(op->status, sizeof(op->status), "running");
        op->start_mono = api_now_mono();
        op->start_real = now_real();
        if (!op->timeline ||
            sd_event_add_time(a->loop, &op->deadline, CLOCK_MONOTONIC,
                              op->start_mono + (uint64_t)deadline_s * 1000000u, 0, on_deadline,
                              op) < 0 ||
            sd_event_add_time(a->loop, &op->settle, CLOCK_MONOTONIC, 0, 0, on_settle, op) < 0) {
                op_free(op);
                return NULL;
        }
        sd_event_source_set_enabled(op->settle, SD_EVENT_OFF);
        op->next = a->ops;
        a->ops = op;
        a->n_ops++;
        a->n_ops_running++;
        prune(a);
        return op;
}

static struct api_op *op_find(struct api *a, const char *id, bool drill)
{
        for (struct api_op *op = a->ops; op; op = op->next)
                if (op->drill == drill && strcmp(op->id, id) == 0)
                        return op;
        return NULL;
}

void ops_request_gone(struct api_req *r)
{
        if (r->op && r->op->waiter == r)
                r->op->waiter = NULL;
        r->op = NULL;
}

void ops_stop_all(struct api *a)
{
        for (struct api_op *op = a->ops; op; op = op->next)
                finish(op, "canceled");
}

void ops_free_all(struct api *a)
{
        while (a->ops) {
                struct api_op *op = a->ops;
                a->ops = op->next;
                op_free(op);
        }
        a->n_ops = a->n_ops_running = 0;
}

/* --- requests ------------------------------------------------------------------------ */

struct query {
        long wait;              /* -1: not given */
        int bad;
};

static enum MHD_Result query_one(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
        struct query *q = cls;
        char *end;
        long v;

        if (strcmp(key, "wait") != 0 || !value || !*value || q->wait >= 0) {
                q->bad = 1;
                return MHD_NO;
        }
        v = strtol(value, &end, 10);
        if (*end || v < 1 || v > API_MAX_WAIT_S) {
                q->bad = 1;
                return MHD_NO;
        }
        q->wait = v;
        return MHD_YES;
}

/* Parses the body (may be empty: {}).  On error *ret_problem is queued. */
static json_t *parse_body(struct api_req *r, enum MHD_Result *ret_problem)
{
        json_error_t err;
        json_t *j;

        if (r->body.len == 0)
                return json_object();
        j = json_loadb(r->body.p, r->body.len, JSON_REJECT_DUPLICATES, &err);
        if (!j) {
                *ret_problem = api_problem(r, MHD_HTTP_BAD_REQUEST, "invalid JSON body at "
                                           "line %d, column %d: %s", err.line, err.column,
                                           err.text);
                return NULL;
        }
        if (!json_is_object(j)) {
                json_decref(j);
                *ret_problem = api_problem(r, MHD_HTTP_BAD_REQUEST, "the body must be a JSON "
                                           "object");
                return NULL;
        }
        return j;
}

/* requested_by = "api:<name>" or "api:<name>: <reason>". */
static int take_reason(struct api_req *r, json_t *body, char *out, size_t size,
                       enum MHD_Result *ret_problem)
{
        json_t *reason = json_object_get(body, "reason");
        if (reason && (!json_is_string(reason) || json_string_length(reason) > 200)) {
                *ret_problem = api_problem(r, MHD_HTTP_BAD_REQUEST, "reason must be a string "
                                           "of at most 200 bytes");
                return -EINVAL;
        }
        if (reason && json_string_length(reason))
                snprintf(out, size, "%s: %s", r->who, json_string_value(reason));
        else
                snprintf(out, size, "%s", r->who);
        json_object_del(body, "reason");
        return 0;
}

static enum MHD_Result action_error(struct api_req *r, int rc, const char *what,
                                    const char *kind, const char *id)
{
        switch (rc) {
        case -EOPNOTSUPP:
                return api_problem(r, MHD_HTTP_NOT_FOUND, "%s %s offers no action \"%s\"", kind,
                                   id, what);
        case -EBUSY:
                return api_problem(r, MHD_HTTP_CONFLICT, "%s %s cannot %s in its current "
                                   "state", kind, id, what);
        case -EINVAL:
                return api_problem(r, MHD_HTTP_BAD_REQUEST, "%s %s rejected the arguments of "
                                   "\"%s\"", kind, id, what);
        }
        return api_problem(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "action \"%s\" failed: %s", what,
                           strerror(-rc));
}

static enum MHD_Result answer_started(struct api_req *r, struct api_op *op, long wait)
{
        char url[96];

        if (wait > 0) {
                r->op = op;
                op->waiter = r;
                r->suspended = true;
                MHD_suspend_connection(r->conn);
                return MHD_YES;
        }
        snprintf(url, sizeof(url), "/api/v1/%s/%s", op->drill ? "drills" : "operations", op->id);
        return api_reply_json_location(r, MHD_HTTP_ACCEPTED, op_json(op), url);
}

enum MHD_Result ops_action(struct api_req *r)
{
        struct api *a = r->api;
        const char *kind = r->route.params[0], *id = r->route.params[1];
        const char *action = r->route.params[2];
        struct gwd_object *obj = a->gapi->object_find(a->ctx, kind, id);
        struct query q = { .wait = -1 };
        enum MHD_Result ret = MHD_NO;
        struct api_op *op;
        json_t *body;
        int rc;

        MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_one, &q);
        if (q.bad)
                return api_problem(r, MHD_HTTP_BAD_REQUEST, "the only query parameter is "
                                   "wait=SECONDS (1..%d)", API_MAX_WAIT_S);
        if (!obj)
                return api_problem(r, MHD_HTTP_NOT_FOUND, "no %s with id \"%s\"", kind, id);
        body = parse_body(r, &ret);
        if (!body)
                return ret;
        op = NULL;
        if (a->n_ops_running >= API_OPS_RUNNING_MAX) {
                json_decref(body);
                return api_problem(r, MHD_HTTP_SERVICE_UNAVAILABLE, "too many operations "
                                   "running; retry later");
        }
        op = op_new(a, false, kind, id, action, q.wait > 0 ? (unsigned)q.wait
                                                           : API_OP_DEFAULT_DEADLINE_S);
        if (!op || take_reason(r, body, op->requested_by, sizeof(op->requested_by), &ret) < 0) {
                if (op) {
                        unlink_op(a, op);
                        a->n_ops_running--;
                        op_free(op);
                }
                json_decref(body);
                return op ? ret : MHD_NO;
        }
        /* The op is watching already: events emitted inside the call count. */
        rc = a->gapi->object_action(obj, action, body, op->requested_by);
        json_decref(body);
        if (rc < 0) {
                unlink_op(a, op);
                a->n_ops_running--;
                op_free(op);
                return action_error(r, rc, action, kind, id);
        }
        gwd_log(a->gapi, a->ctx, GWD_LOG_NOTICE, "%s: %s %s %s (%s)", op->id, op->requested_by,
                action, id, kind);
        return answer_started(r, op, q.wait);
}

enum MHD_Result ops_resumed(struct api_req *r)
{
        struct api_op *op = r->op;
        r->op = NULL;
        op->waiter = NULL;
        return api_reply_json(r, MHD_HTTP_OK, op_json(op));
}

/* GET of one operation or drill: the running ones and the last finished. */
static enum MHD_Result op_get(struct api_req *r, bool drill)
{
        struct api_op *op = op_find(r->api, r->route.params[0], drill);
        if (!op)
                return api_problem(r, MHD_HTTP_NOT_FOUND, "no %s \"%s\" (only the last %d "
                                   "finished ones are kept)", drill ? "drill" : "operation",
                                   r->route.params[0], API_OPS_KEPT);
        return api_reply_json(r, MHD_HTTP_OK, op_json(op));
}

enum MHD_Result ops_get_operation(struct api_req *r)
{
        return op_get(r, false);
}

enum MHD_Result ops_drill_get(struct api_req *r)
{
        return op_get(r, true);
}

enum MHD_Result ops_drill_list(struct api_req *r)
{
        json_t *list = json_array();
        for (struct api_op *op = r->api->ops; op; op = op->next)
                if (op->drill)
                        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s}", "id",
                                                              op->id, "fault", op->fault,
                                                              "status", op->status, "kind",
                                                              op->kind, "target", op->obj_id));
        return api_reply_json(r, MHD_HTTP_OK, json_pack("{s:o}", "drills", list));
}

enum MHD_Result ops_drill_new(struct api_req *r)
{
        struct api *a = r->api;
        struct query q = { .wait = -1 };
        enum MHD_Result ret = MHD_NO;
        const char *kind, *id, *fault, *key;
        json_t *body, *target, *v;
        struct gwd_object *obj;
        struct api_op *op;
        char action[64], requested_by[320];
        char kind_buf[GWD_KIND_MAX], id_buf[GWD_ID_MAX], fault_buf[32];
        bool offered = false;
        json_t *oj;
        int rc;

        MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_one, &q);
        if (q.bad)
                return api_problem(r, MHD_HTTP_BAD_REQUEST, "the only query parameter is "
                                   "wait=SECONDS (1..%d)", API_MAX_WAIT_S);
        if (r->body.len == 0)
                return api_problem(r, MHD_HTTP_BAD_REQUEST, "a drill needs a body: "
                                   "{\"target\": {\"kind\": K, \"id\": I}, \"fault\": F}");
        body = parse_body(r, &ret);
        if (!body)
                return ret;
        json_object_foreach(body, key, v)
                if (strcmp(key, "target") && strcmp(key, "fault") && strcmp(key, "reason")) {
                        json_decref(body);
                        return api_problem(r, MHD_HTTP_BAD_REQUEST, "unknown key in the body "
                                           "(allowed: target, fault, reason)");
                }
        target = json_object_get(body, "target");
        kind = json_string_value(json_object_get(target, "kind"));
        id = json_string_value(json_object_get(target, "id"));
        fault = json_string_value(json_object_get(body, "fault"));
        if (!json_is_object(target) || json_object_size(target) != 2 || !kind || !id ||
            !route_valid_kind(kind) || !route_valid_id(id)) {
                json_decref(body);
                return api_problem(r, MHD_HTTP_BAD_REQUEST, "target must be {\"kind\": KIND, "
                                   "\"id\": ID}");
        }
        for (size_t i = 0; fault && faults[i]; i++)
                if (strcmp(faults[i], fault) == 0)
                        offered = true;
        if (!offered) {
                json_decref(body);
                return api_problem(r, MHD_HTTP_BAD_REQUEST, "fault must be one of: disconnect, "
                                   "network_name_deleted, session_expired, hang");
        }
        /* Copies: the body goes away on every path below. */
        snprintf(kind_buf, sizeof(kind_buf), "%s", kind);
        snprintf(id_buf, sizeof(id_buf), "%s", id);
        snprintf(fault_buf, sizeof(fault_buf), "%s", fault);
        kind = kind_buf;
        id = id_buf;
        fault = fault_buf;
        obj = a->gapi->object_find(a->ctx, kind, id);
        if (!obj) {
                json_decref(body);
                return api_problem(r, MHD_HTTP_NOT_FOUND, "no %s with id \"%s\"", kind, id);
        }
        snprintf(action, sizeof(action), "drill_%s", fault);
        oj = a->gapi->object_to_json(obj, 0);
        offered = false;
        for (size_t i = 0; i < json_array_size(json_object_get(oj, "actions")); i++)
                if (strcmp(json_string_value(json_array_get(json_object_get(oj, "actions"), i)),
                           action) == 0)
                        offered = true;
        json_decref(oj);
        if (!offered) {
                json_decref(body);
                return api_problem(r, MHD_HTTP_BAD_REQUEST, "%s %s does not support the fault "
                                   "\"%s\" (no action %s)", kind, id, fault, action);
        }
        if (strcmp(a->gapi->object_state(obj), "good") != 0) {
                json_decref(body);
                return api_problem(r, MHD_HTTP_CONFLICT, "%s %s is \"%s\"; drills need a good "
                                   "target", kind, id, a->gapi->object_state(obj));
        }
        for (struct api_op *o = a->ops; o; o = o->next)
                if (o->running && o->drill && strcmp(o->kind, kind) == 0 &&
                    strcmp(o->obj_id, id) == 0) {
                        json_decref(body);
                        return api_problem(r, MHD_HTTP_CONFLICT, "drill %s runs on this target "
                                           "already", o->id);
                }
        if (take_reason(r, body, requested_by, sizeof(requested_by), &ret) < 0) {
                json_decref(body);
                return ret;
        }
        if (a->n_ops_running >= API_OPS_RUNNING_MAX) {
                json_decref(body);
                return api_problem(r, MHD_HTTP_SERVICE_UNAVAILABLE, "too many operations "
                                   "running; retry later");
        }
        op = op_new(a, true, kind, id, action, q.wait > 0 ? (unsigned)q.wait
                                                          : API_OP_DEFAULT_DEADLINE_S);
        if (!op) {
                json_decref(body);
                return MHD_NO;
        }
        snprintf(op->fault, sizeof(op->fault), "%s", fault);
        snprintf(op->requested_by, sizeof(op->requested_by), "%s", requested_by);
        op->details_before = object_details(a, kind, id);
        json_object_clear(body);
        rc = a->gapi->object_action(obj, action, body, op->requested_by);
        json_decref(body);
        if (rc < 0) {
                unlink_op(a, op);
                a->n_ops_running--;
                op_free(op);
                return action_error(r, rc, action, kind, id);
        }
        gwd_log(a->gapi, a->ctx, GWD_LOG_NOTICE, "%s: %s started fault %s on %s %s", op->id,
                op->requested_by, fault, kind, id);
        if (q.wait <= 0) {
                char url[96];
                snprintf(url, sizeof(url), "/api/v1/drills/%s", op->id);
                return api_reply_json_location(r, MHD_HTTP_ACCEPTED, op_json(op), url);
        }
        return answer_started(r, op, q.wait);
}
