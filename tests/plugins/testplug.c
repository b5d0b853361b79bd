/* SPDX-License-Identifier: MIT */
/*
 * Test plugins for the loader, built several times from this one file with
 * different TESTPLUG_* defines: a good one (whose init/start can be told to
 * fail through its config), and broken ones for every ABI check.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gatewayd/plugin.h"

#ifndef TESTPLUG_NAME
#error "TESTPLUG_NAME must be defined"
#endif
#ifndef TESTPLUG_MAJOR
#define TESTPLUG_MAJOR GWD_ABI_MAJOR
#endif
#ifndef TESTPLUG_MINOR
#define TESTPLUG_MINOR GWD_ABI_MINOR
#endif
#ifndef TESTPLUG_SIZE
#define TESTPLUG_SIZE sizeof(struct gwd_plugin)
#endif
#ifndef TESTPLUG_SYMBOL
#define TESTPLUG_SYMBOL gwd_plugin_entry
#endif

struct state {
        const struct gwd_api *api;
        struct gwd_ctx *ctx;
        char *buffer;           /* something to leak if destroy were skipped */
        int fail_start;
        struct gwd_object *obj;
};

static const struct gwd_conf_key keys[] = {
        { "fail_init", GWD_CONF_BOOL, 0, 0, 0, NULL },
        { "fail_start", GWD_CONF_BOOL, 0, 0, 0, NULL },
        { "tag", GWD_CONF_STRING, 0, 0, 0, NULL },
        { NULL, 0, 0, 0, 0, NULL },
};

static int tp_check(const struct gwd_api *api, const json_t *config, const char *path,
                    struct gwd_conf_errors *errs)
{
        return api->conf_check(errs, path, config, keys);
}

static int tp_init(const struct gwd_api *api, struct gwd_ctx *ctx, const json_t *config,
                   void **ret)
{
        struct state *s;
        if (json_is_true(json_object_get(config, "fail_init")))
                return -EIO;
        s = calloc(1, sizeof(*s));
        if (!s || !(s->buffer = malloc(4096))) {
                free(s);
                return -ENOMEM;
        }
        s->api = api;
        s->ctx = ctx;
        s->fail_start = json_is_true(json_object_get(config, "fail_start"));
        *ret = s;
        return 0;
}

static int tp_start(void *state)
{
        struct state *s = state;
        char id[64];
        if (s->fail_start)
                return -EADDRINUSE;
        strcpy(id, s->api->instance_name(s->ctx));
        gwd_log(s->api, s->ctx, GWD_LOG_INFO, "test plugin started");
        return s->api->object_new(s->ctx, "testobj", id, NULL, "good", NULL, NULL, s, &s->obj);
}

static void tp_stop(void *state)
{
        struct state *s = state;
        s->api->object_free(s->obj);
        s->obj = NULL;
        gwd_log(s->api, s->ctx, GWD_LOG_INFO, "test plugin stopped");
}

static void tp_destroy(void *state)
{
        struct state *s = state;
        if (!s)
                return;
        free(s->buffer);
        free(s);
}

GWD_PLUGIN_EXPORT const struct gwd_plugin TESTPLUG_SYMBOL = {
        .abi_major = TESTPLUG_MAJOR,
        .abi_minor = TESTPLUG_MINOR,
        .struct_size = TESTPLUG_SIZE,
        .name = TESTPLUG_NAME,
        .version = "test",
        .check_config = tp_check,
        .init = tp_init,
        .start = tp_start,
        .stop = tp_stop,
        .destroy = tp_destroy,
};
