/* SPDX-License-Identifier: MIT */
/* Loading and validating gatewayd.json (the daemon's part; each plugin
 * validates its own section through its check_config hook). */
#ifndef GWD_CONF_H
#define GWD_CONF_H

#include <stddef.h>

#include <jansson.h>

#include "gatewayd/plugin.h"

#define GWD_INSTANCES_MAX 64
#define GWD_CONF_ERRORS_MAX 100
#define GWD_CONF_FILE_MAX (4u << 20)

/* A list of "where: what" messages. */
struct gwd_conf_errors {
        char **msgs;
        size_t n;
        size_t dropped;     /* past GWD_CONF_ERRORS_MAX */
};

struct instance_conf {
        const char *name;       /* points into root */
        const char *plugin;
        json_t *config;         /* borrowed from root; never NULL */
        json_t *entry;          /* the whole entry, for change detection */
};

struct gwd_config {
        json_t *root;
        char *path;
        int log_level;
        char *plugin_dir;       /* NULL: built-in default */
        size_t n_instances;
        struct instance_conf *instances;
};

void conf_errors_init(struct gwd_conf_errors *errs);
void conf_errors_done(struct gwd_conf_errors *errs);
void conf_error(struct gwd_conf_errors *errs, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void conf_errorv(struct gwd_conf_errors *errs, const char *path, const char *fmt, va_list ap);
/* Log every message, prefixed with `file`, at error level. */
void conf_errors_log(const struct gwd_conf_errors *errs, const char *file);

int conf_check(struct gwd_conf_errors *errs, const char *path, const json_t *obj,
               const struct gwd_conf_key *keys);
int secret_read(const json_t *obj, const char *field, char **ret);

/* Parse and validate the daemon's part of the file.  Returns 0, or
 * -EINVAL with the problems in errs (*ret is then still set when the file
 * was a JSON object, so plugin sections can be checked too; such a config
 * must not be run), or another negative errno when the file cannot be read
 * (described in errs, *ret untouched). */
int config_load(const char *path, struct gwd_config **ret, struct gwd_conf_errors *errs);
/* Same from a string, for tests. */
int config_parse(const char *text, const char *name, struct gwd_config **ret,
                 struct gwd_conf_errors *errs);
void config_free(struct gwd_config *cfg);
const struct instance_conf *config_find_instance(const struct gwd_config *cfg,
                                                 const char *name);

#endif
