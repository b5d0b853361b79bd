/* SPDX-License-Identifier: MIT */
/* Finding, dlopen()ing and checking plugins. */
#ifndef GWD_CORE_LOADER_H
#define GWD_CORE_LOADER_H

#include "gatewayd/plugin.h"

struct loaded_plugin {
        void *handle;
        char *path;
        const struct gwd_plugin *entry;
        /* A copy padded to the daemon's struct size: hooks an older plugin
         * does not have are NULL here. */
        struct gwd_plugin hooks;
};

/*
 * Load `<dir>/<name>.so` for the first dir in the colon-separated
 * `search_path` that has the file.  On failure returns a negative errno and
 * a one-line explanation in *ret_error (malloc'd):
 *   -ENOENT    no such plugin file in the search path
 *   -ENOEXEC   dlopen failed (bad file, missing library)
 *   -ENOSYS    no gwd_plugin_entry symbol
 *   -EPROTO    ABI mismatch, bad struct size, name mismatch, missing hooks
 */
int plugin_load(const char *search_path, const char *name, struct loaded_plugin **ret,
                char **ret_error);
void plugin_unload(struct loaded_plugin *p);

#endif
