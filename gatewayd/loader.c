/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader.h"

/* The smallest gwd_plugin a 1.x plugin can have: everything up to and
 * including `destroy`, the last hook of ABI 1.0. */
#define PLUGIN_STRUCT_MIN_1_0 (offsetof(struct gwd_plugin, destroy) + sizeof(void (*)(void *)))

static int fail(char **ret_error, int r, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int fail(char **ret_error, int r, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(ret_error, fmt, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return r;
}

static int find_file(const char *search_path, const char *name, char *out, size_t size)
{
        const char *p = search_path;

        while (p && *p) {
                const char *colon = strchr(p, ':');
                size_t n = colon ? (size_t)(colon - p) : strlen(p);
                if (n > 0) {
                        int len = snprintf(out, size, "%.*s/%s.so", (int)n, p, name);
                        if (len > 0 && (size_t)len < size && access(out, F_OK) == 0)
                                return 0;
                }
                p = colon ? colon + 1 : NULL;
        }
        return -ENOENT;
}

int plugin_load(const char *search_path, const char *name, struct loaded_plugin **ret,
                char **ret_error)
{
        char path[PATH_MAX];
        struct loaded_plugin *p;
        const struct gwd_plugin *e;
        void *handle;
        size_t n;

        *ret_error = NULL;
        if (find_file(search_path, name, path, sizeof(path)) < 0)
                return fail(ret_error, -ENOENT, "plugin \"%s\" not found: no %s.so in %s", name,
                            name, search_path);
        handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!handle)
                return fail(ret_error, -ENOEXEC, "cannot load plugin %s: %s", path, dlerror());
        e = dlsym(handle, GWD_PLUGIN_ENTRY_SYMBOL);
        if (!e) {
                dlclose(handle);
                return fail(ret_error, -ENOSYS,
                            "%s is not a gatewayd plugin: it has no symbol %s", path,
                            GWD_PLUGIN_ENTRY_SYMBOL);
        }
        if (e->abi_major != GWD_ABI_MAJOR) {
                int r = fail(ret_error, -EPROTO,
                             "plugin %s was built for plugin ABI %u.%u, this gatewayd provides "
                             "ABI %d.%d: the major versions must match (rebuild the plugin)",
                             path, e->abi_major, e->abi_minor, GWD_ABI_MAJOR, GWD_ABI_MINOR);
                dlclose(handle);
                return r;
        }
        if (e->abi_minor > GWD_ABI_MINOR) {
                int r = fail(ret_error, -EPROTO,
                             "plugin %s needs plugin ABI %u.%u, newer than this gatewayd's "
                             "ABI %d.%d (upgrade gatewayd)",
                             path, e->abi_major, e->abi_minor, GWD_ABI_MAJOR, GWD_ABI_MINOR);
                dlclose(handle);
                return r;
        }
        if (e->struct_size < PLUGIN_STRUCT_MIN_1_0) {
                int r = fail(ret_error, -EPROTO,
                             "plugin %s declares a struct gwd_plugin of %u bytes, smaller "
                             "than ABI %d.0's %zu bytes",
                             path, e->struct_size, GWD_ABI_MAJOR, PLUGIN_STRUCT_MIN_1_0);
                dlclose(handle);
                return r;
        }
        if (!e->name || strcmp(e->name, name) != 0) {
                int r = fail(ret_error, -EPROTO, "plugin %s calls itself \"%s\", not \"%s\"",
                             path, e->name ? e->name : "(null)", name);
                dlclose(handle);
                return r;
        }
        if (!e->init || !e->start || !e->stop || !e->destroy) {
                int r = fail(ret_error, -EPROTO,
                             "plugin %s lacks a required hook (init, start, stop, destroy)",
                             path);
                dlclose(handle);
                return r;
        }

        p = calloc(1, sizeof(*p));
        if (!p || !(p->path = strdup(path))) {
                free(p);
                dlclose(handle);
                return fail(ret_error, -ENOMEM, "out of memory loading %s", path);
        }
        p->handle = handle;
        p->entry = e;
        n = e->struct_size < sizeof(p->hooks) ? e->struct_size : sizeof(p->hooks);
        memcpy(&p->hooks, e, n);
        *ret = p;
        return 0;
}

void plugin_unload(struct loaded_plugin *p)
{
        if (!p)
                return;
        /* Sanitizer builds keep the code mapped so that leak reports from a
         * plugin still have symbols. */
#ifndef GWD_KEEP_PLUGINS_MAPPED
        dlclose(p->handle);
#endif
        free(p->path);
        free(p);
}
