/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "defer.h"
#include "host.h"
#include "log.h"
#include "objects.h"
#include "shares.h"

struct gwd_host {
        sd_event *loop;
        struct defer_queue *dq;
        struct registry *reg;
        struct share_table *shares;
};

struct gwd_ctx {
        struct gwd_host *host;
        char *name;
        char *log_prefix;
        uint64_t *subs;         /* subscriptions to drop at the end */
        size_t n_subs;
};

int host_new(sd_event *loop, struct gwd_host **ret)
{
        struct gwd_host *h = calloc(1, sizeof(*h));
        int r;

        if (!h)
                return -ENOMEM;
        h->loop = sd_event_ref(loop);
        r = defer_queue_new(loop, &h->dq);
        if (r >= 0)
                r = registry_new(&h->reg);
        if (r >= 0)
                r = share_table_new(h->dq, &h->shares);
        if (r < 0) {
                host_free(h);
                return r;
        }
        *ret = h;
        return 0;
}

void host_free(struct gwd_host *h)
{
        if (!h)
                return;
        if (h->dq)
                defer_queue_drain(h->dq);
        share_table_free(h->shares);
        registry_free(h->reg);
        defer_queue_free(h->dq);
        sd_event_unref(h->loop);
        free(h);
}

sd_event *host_event(struct gwd_host *host)
{
        return host->loop;
}

struct registry *host_registry(struct gwd_host *host)
{
        return host->reg;
}

struct share_table *host_shares(struct gwd_host *host)
{
        return host->shares;
}

struct defer_queue *host_defer_queue(struct gwd_host *host)
{
        return host->dq;
}

int host_ctx_new(struct gwd_host *host, const char *instance_name, struct gwd_ctx **ret)
{
        struct gwd_ctx *ctx = calloc(1, sizeof(*ctx));
        if (!ctx)
                return -ENOMEM;
        ctx->host = host;
        ctx->name = strdup(instance_name);
        if (!ctx->name || asprintf(&ctx->log_prefix, "%s", instance_name) < 0) {
                free(ctx->name);
                free(ctx);
                return -ENOMEM;
        }
        *ret = ctx;
        return 0;
}

void host_ctx_free(struct gwd_ctx *ctx)
{
        unsigned n;

        if (!ctx)
                return;
        for (size_t i = 0; i < ctx->n_subs; i++)
                registry_unsubscribe(ctx->host->reg, ctx->subs[i]);
        n = share_unregister_owned(ctx->host->shares, ctx);
        if (n)
                log_warning("%s: plugin left %u share(s) registered; removed", ctx->name, n);
        n = registry_free_owned(ctx->host->reg, ctx);
        if (n)
                log_warning("%s: plugin left %u object(s) registered; removed", ctx->name, n);
        free(ctx->subs);
        free(ctx->log_prefix);
        free(ctx->name);
        free(ctx);
}

/* --- the api table ------------------------------------------------------ */

static sd_event *api_event(struct gwd_ctx *ctx)
{
        return ctx->host->loop;
}

static const char *api_instance_name(struct gwd_ctx *ctx)
{
        return ctx->name;
}

static void api_logv(struct gwd_ctx *ctx, int level, const char *fmt, va_list ap)
{
        log_msgv(level, ctx ? ctx->log_prefix : NULL, fmt, ap);
}

static int api_defer(struct gwd_ctx *ctx, void (*fn)(void *arg), void *arg)
{
        return defer_call(ctx->host->dq, fn, arg);
}

static int api_object_new(struct gwd_ctx *ctx, const char *kind, const char *id,
                          struct gwd_object *parent, const char *initial_state,
                          const char *const *actions, const struct gwd_object_ops *ops,
                          void *userdata, struct gwd_object **ret)
{
        return registry_object_new(ctx->host->reg, ctx, kind, id, parent, initial_state,
                                   actions, ops, userdata, ret);
}

static int api_share_register(struct gwd_ctx *ctx, const char *name,
                              const struct gwd_backend_ops *ops, void *userdata,
                              struct gwd_share **ret)
{
        return share_register(ctx->host->shares, ctx, name, ops, userdata, ret);
}

static struct gwd_object *api_object_find(struct gwd_ctx *ctx, const char *kind, const char *id)
{
        return registry_find(ctx->host->reg, kind, id);
}

static int api_object_foreach(struct gwd_ctx *ctx, const char *kind,
                              int (*fn)(void *ud, struct gwd_object *obj), void *ud)
{
        return registry_foreach(ctx->host->reg, kind, fn, ud);
}

static int api_subscribe(struct gwd_ctx *ctx, gwd_event_fn fn, void *ud, uint64_t *ret_id)
{
        uint64_t id, *grown;
        int r;

        grown = realloc(ctx->subs, (ctx->n_subs + 1) * sizeof(*grown));
        if (!grown)
                return -ENOMEM;
        ctx->subs = grown;
        r = registry_subscribe(ctx->host->reg, fn, ud, &id);
        if (r < 0)
                return r;
        ctx->subs[ctx->n_subs++] = id;
        if (ret_id)
                *ret_id = id;
        return 0;
}

static void api_unsubscribe(struct gwd_ctx *ctx, uint64_t id)
{
        for (size_t i = 0; i < ctx->n_subs; i++)
                if (ctx->subs[i] == id) {
                        ctx->subs[i] = ctx->subs[--ctx->n_subs];
                        registry_unsubscribe(ctx->host->reg, id);
                        return;
                }
}

static int api_events_since(struct gwd_ctx *ctx, uint64_t after, gwd_event_fn fn, void *ud)
{
        return registry_events_since(ctx->host->reg, after, fn, ud);
}

static uint64_t api_events_last_seq(struct gwd_ctx *ctx)
{
        return registry_last_seq(ctx->host->reg);
}

static struct gwd_share *api_share_find(struct gwd_ctx *ctx, const char *name)
{
        return share_find(ctx->host->shares, name);
}

static int api_share_foreach(struct gwd_ctx *ctx, int (*fn)(void *ud, struct gwd_share *s),
                             void *ud)
{
        return share_foreach(ctx->host->shares, fn, ud);
}

static const struct gwd_api api = {
        .struct_size = sizeof(struct gwd_api),
        .abi_major = GWD_ABI_MAJOR,
        .abi_minor = GWD_ABI_MINOR,
        .event = api_event,
        .instance_name = api_instance_name,
        .logv = api_logv,
        .defer = api_defer,
        .conf_error = conf_error,
        .conf_check = conf_check,
        .secret_read = secret_read,
        .object_new = api_object_new,
        .object_set_state = registry_object_set_state,
        .object_state = registry_object_state,
        .object_free = registry_object_free,
        .share_register = api_share_register,
        .share_unregister = share_unregister,
        .object_find = api_object_find,
        .object_foreach = api_object_foreach,
        .object_kind = registry_object_kind,
        .object_id = registry_object_id,
        .object_parent = registry_object_parent,
        .object_to_json = registry_object_to_json,
        .object_action = registry_object_action,
        .subscribe = api_subscribe,
        .unsubscribe = api_unsubscribe,
        .events_since = api_events_since,
        .events_last_seq = api_events_last_seq,
        .share_find = api_share_find,
        .share_foreach = api_share_foreach,
        .share_name = share_name,
        .share_ops = share_ops,
        .path_check = path_check,
        .object_foreach_child = registry_foreach_child,
};

const struct gwd_api *host_api(void)
{
        return &api;
}
