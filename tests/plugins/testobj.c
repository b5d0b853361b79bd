/* SPDX-License-Identifier: MIT */
/*
 * testobj: a test plugin that publishes fake servers, sessions and tcons
 * (parents: tcon -> session -> server) and acts on them like a reconnecting
 * client would, on timers, so that the admin API's wait/timeline/drill code
 * runs against real state changes.
 *
 * Config (all optional):
 *   servers, sessions_per_server, tcons_per_session   counts (1, 1, 2)
 *   step_ms                                           time per transition (20)
 *
 * Ids: "srvI", "srvI.sJ", "srvI.sJ.tK".  Actions on every object:
 *   reconnect            self and descendants -> need_reconnect, then self
 *                        -> reconnecting -> good, then each descendant ->
 *                        good, one step each
 *   drill_disconnect, drill_network_name_deleted, drill_session_expired,
 *   drill_hang           the same walk, starting with the fault's state
 *   break                self -> broken, never recovers (wait timeouts)
 *   repair               broken -> good
 * An action on an object that is not good returns -EBUSY; an "args" key
 * other than the API's returns -EINVAL.  Details: reconnects,
 * wire_commands_total, requests_delayed_total, last_error.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatewayd/plugin.h"
#include "gatewayd/registry.h"

struct tobj {
        struct tplug *p;
        struct gwd_object *obj;
        struct tobj *parent;
        char id[GWD_ID_MAX];
        unsigned reconnects;
        unsigned wire;
        unsigned delayed;
        char last_error[64];
};

struct step {
        struct tobj *o;
        char state[GWD_STATE_MAX];
        char cause[GWD_CAUSE_MAX];
};

struct tplug {
        const struct gwd_api *api;
        struct gwd_ctx *ctx;
        unsigned n_srv, n_sess, n_tcon, step_ms;
        struct tobj *objs;
        size_t n_objs;
        struct step *q;
        size_t q_len, q_cap;
        sd_event_source *timer;
};

static const char *const actions[] = {
        "reconnect", "drill_disconnect", "drill_network_name_deleted",
        "drill_session_expired", "drill_hang", "break", "repair", NULL,
};

static const char *const kinds[] = { "server", "session", "tcon" };

static int kind_level(const struct tobj *o)
{
        int l = 0;
        for (const struct tobj *p = o->parent; p; p = p->parent)
                l++;
        return l;
}

static void arm(struct tplug *p)
{
        uint64_t now;
        if (!p->q_len || sd_event_now(p->api->event(p->ctx), CLOCK_MONOTONIC, &now) < 0)
                return;
        sd_event_source_set_time(p->timer, now + (uint64_t)p->step_ms * 1000u);
        sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT);
}

static int push(struct tplug *p, struct tobj *o, const char *state, const char *cause)
{
        if (p->q_len == p->q_cap) {
                size_t cap = p->q_cap ? p->q_cap * 2 : 64;
                struct step *g = realloc(p->q, cap * sizeof(*g));
                if (!g)
                        return -ENOMEM;
                p->q = g;
                p->q_cap = cap;
        }
        p->q[p->q_len].o = o;
        snprintf(p->q[p->q_len].state, GWD_STATE_MAX, "%s", state);
        snprintf(p->q[p->q_len].cause, GWD_CAUSE_MAX, "%s", cause);
        p->q_len++;
        return 0;
}

static int on_step(sd_event_source *s, uint64_t usec, void *ud)
{
        struct tplug *p = ud;
        struct step st;

        if (!p->q_len)
                return 0;
        st = p->q[0];
        memmove(p->q, p->q + 1, (p->q_len - 1) * sizeof(*p->q));
        p->q_len--;
        st.o->wire += 3;
        if (strcmp(st.state, "good") == 0 && kind_level(st.o) == 0)
                st.o->reconnects++;
        p->api->object_set_state(st.o->obj, st.state, st.cause);
        arm(p);
        return 0;
}

static bool is_below(const struct tobj *o, const struct tobj *top)
{
        for (const struct tobj *q = o->parent; q; q = q->parent)
                if (q == top)
                        return true;
        return false;
}

static void snapshot(void *ud, json_t *d)
{
        struct tobj *o = ud;
        json_object_set_new(d, "reconnects", json_integer(o->reconnects));
        json_object_set_new(d, "wire_commands_total", json_integer(o->wire));
        json_object_set_new(d, "requests_delayed_total", json_integer(o->delayed));
        json_object_set_new(d, "last_error", json_string(o->last_error));
        json_object_set_new(d, "level", json_integer(kind_level(o)));
}

static int action(void *ud, const char *name, const json_t *args, const char *requested_by)
{
        struct tobj *o = ud;
        struct tplug *p = o->p;
        const char *first = "need_reconnect";
        char cause[GWD_CAUSE_MAX];

        if (json_object_size(args) > 0)
                return -EINVAL;
        if (strcmp(name, "repair") == 0) {
                if (strcmp(p->api->object_state(o->obj), "broken") != 0)
                        return -EBUSY;
                p->api->object_set_state(o->obj, "good", requested_by);
                return 0;
        }
        if (strcmp(p->api->object_state(o->obj), "good") != 0)
                return -EBUSY;
        for (size_t i = 0; i < p->q_len; i++)
                if (p->q[i].o == o || is_below(p->q[i].o, o))
                        return -EBUSY;
        if (strcmp(name, "break") == 0) {
                snprintf(o->last_error, sizeof(o->last_error), "broken on request");
                p->api->object_set_state(o->obj, "broken", requested_by);
                return 0;
        }
        if (strcmp(name, "drill_hang") == 0)
                first = "hung";
        else if (strcmp(name, "drill_session_expired") == 0)
                first = "session_expired";
        else if (strcmp(name, "drill_network_name_deleted") == 0)
                first = "network_name_deleted";
        else if (strcmp(name, "drill_disconnect") == 0)
                first = "disconnected";
        else if (strcmp(name, "reconnect") != 0)
                return -EOPNOTSUPP;
        snprintf(cause, sizeof(cause), "%s by %s", name, requested_by);
        snprintf(o->last_error, sizeof(o->last_error), "%s", first);
        /* Synchronous first transition (like a client noticing at once). */
        p->api->object_set_state(o->obj, first, cause);
        for (size_t i = 0; i < p->n_objs; i++)
                if (is_below(&p->objs[i], o)) {
                        p->objs[i].delayed++;
                        p->api->object_set_state(p->objs[i].obj, "need_reconnect",
                                                 "parent reconnecting");
                }
        if (strcmp(first, "hung") == 0)
                push(p, o, "need_reconnect", "hang detected: request timed out");
        push(p, o, "reconnecting", "reconnecting");
        push(p, o, "good", "reconnected");
        for (size_t i = 0; i < p->n_objs; i++)
                if (is_below(&p->objs[i], o))
                        push(p, &p->objs[i], "good", "reopened after parent reconnect");
        arm(p);
        return 0;
}

static const struct gwd_object_ops ops = {
        .struct_size = sizeof(struct gwd_object_ops),
        .snapshot = snapshot,
        .action = action,
};

static const struct gwd_conf_key keys[] = {
        { "servers", GWD_CONF_INT, 0, 0, 100, NULL },
        { "sessions_per_server", GWD_CONF_INT, 0, 0, 100, NULL },
        { "tcons_per_session", GWD_CONF_INT, 0, 0, 1000, NULL },
        { "step_ms", GWD_CONF_INT, 0, 1, 10000, NULL },
        { NULL, 0, 0, 0, 0, NULL },
};

static int t_check(const struct gwd_api *api, const json_t *config, const char *path,
                   struct gwd_conf_errors *errs)
{
        return api->conf_check(errs, path, config, keys);
}

static unsigned get(const json_t *c, const char *k, unsigned def)
{
        const json_t *v = json_object_get(c, k);
        return v ? (unsigned)json_integer_value(v) : def;
}

static void t_destroy(void *state);

static int t_init(const struct gwd_api *api, struct gwd_ctx *ctx, const json_t *config,
                  void **ret)
{
        struct tplug *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->api = api;
        p->ctx = ctx;
        p->n_srv = get(config, "servers", 1);
        p->n_sess = get(config, "sessions_per_server", 1);
        p->n_tcon = get(config, "tcons_per_session", 2);
        p->step_ms = get(config, "step_ms", 20);
        p->objs = calloc((size_t)p->n_srv * (1 + p->n_sess * (1 + p->n_tcon)) + 1,
                         sizeof(*p->objs));
        if (!p->objs) {
                free(p);
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}

static int add(struct tplug *p, struct tobj *parent, const char *id)
{
        struct tobj *o = &p->objs[p->n_objs];
        int r;
        o->p = p;
        o->parent = parent;
        snprintf(o->id, sizeof(o->id), "%s", id);
        r = p->api->object_new(p->ctx, kinds[kind_level(o)], id, parent ? parent->obj : NULL,
                               "good", actions, &ops, o, &o->obj);
        if (r == 0)
                p->n_objs++;
        return r;
}

static int t_start(void *state)
{
        struct tplug *p = state;
        char id[GWD_ID_MAX];
        int r;

        r = sd_event_add_time(p->api->event(p->ctx), &p->timer, CLOCK_MONOTONIC, 0, 0, on_step, p);
        if (r < 0)
                return r;
        sd_event_source_set_enabled(p->timer, SD_EVENT_OFF);
        for (unsigned s = 0; s < p->n_srv; s++) {
                struct tobj *srv;
                snprintf(id, sizeof(id), "srv%u", s);
                if ((r = add(p, NULL, id)) < 0)
                        return r;
                srv = &p->objs[p->n_objs - 1];
                for (unsigned j = 0; j < p->n_sess; j++) {
                        struct tobj *sess;
                        snprintf(id, sizeof(id), "srv%u.s%u", s, j);
                        if ((r = add(p, srv, id)) < 0)
                                return r;
                        sess = &p->objs[p->n_objs - 1];
                        for (unsigned k = 0; k < p->n_tcon; k++) {
                                snprintf(id, sizeof(id), "srv%u.s%u.t%u", s, j, k);
                                if ((r = add(p, sess, id)) < 0)
                                        return r;
                        }
                }
        }
        return 0;
}

static void t_stop(void *state)
{
        struct tplug *p = state;
        p->timer = sd_event_source_disable_unref(p->timer);
        p->q_len = 0;
        for (size_t i = p->n_objs; i-- > 0;)
                p->api->object_free(p->objs[i].obj);
        p->n_objs = 0;
}

static void t_destroy(void *state)
{
        struct tplug *p = state;
        if (!p)
                return;
        if (p->n_objs || p->timer)
                t_stop(p);
        free(p->q);
        free(p->objs);
        free(p);
}

GWD_PLUGIN_EXPORT const struct gwd_plugin gwd_plugin_entry = {
        GWD_PLUGIN_HEADER,
        .name = "testobj",
        .version = PACKAGE_VERSION,
        .description = "fake reconnecting objects for the admin API tests",
        .check_config = t_check,
        .init = t_init,
        .start = t_start,
        .reload = NULL,
        .stop = t_stop,
        .destroy = t_destroy,
};
