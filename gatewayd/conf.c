/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"

void conf_errors_init(struct gwd_conf_errors *errs)
{
        *errs = (struct gwd_conf_errors){ 0 };
}

void conf_errors_done(struct gwd_conf_errors *errs)
{
        for (size_t i = 0; i < errs->n; i++)
                free(errs->msgs[i]);
        free(errs->msgs);
        *errs = (struct gwd_conf_errors){ 0 };
}

void conf_errorv(struct gwd_conf_errors *errs, const char *path, const char *fmt, va_list ap)
{
        char what[512];
        char *msg;
        char **grown;

        if (errs->n >= GWD_CONF_ERRORS_MAX) {
                errs->dropped++;
                return;
        }
        vsnprintf(what, sizeof(what), fmt, ap);
        if (asprintf(&msg, "%s%s%s", path && *path ? path : "",
                     path && *path ? ": " : "", what) < 0) {
                errs->dropped++;
                return;
        }
        grown = realloc(errs->msgs, (errs->n + 1) * sizeof(*grown));
        if (!grown) {
                free(msg);
                errs->dropped++;
                return;
        }
        errs->msgs = grown;
        errs->msgs[errs->n++] = msg;
}

void conf_error(struct gwd_conf_errors *errs, const char *path, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        conf_errorv(errs, path, fmt, ap);
        va_end(ap);
}

void conf_errors_log(const struct gwd_conf_errors *errs, const char *file)
{
        for (size_t i = 0; i < errs->n; i++)
                log_error("%s: %s", file, errs->msgs[i]);
        if (errs->dropped)
                log_error("%s: %zu more errors not shown", file, errs->dropped);
}

static const char *json_type_name(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT: return "an object";
        case JSON_ARRAY: return "an array";
        case JSON_STRING: return "a string";
        case JSON_INTEGER: return "an integer";
        case JSON_REAL: return "a number";
        case JSON_TRUE:
        case JSON_FALSE: return "a boolean";
        case JSON_NULL: return "null";
        }
        return "unknown";
}

static const char *conf_type_name(int type)
{
        switch (type) {
        case GWD_CONF_STRING: return "a string";
        case GWD_CONF_INT: return "an integer";
        case GWD_CONF_BOOL: return "a boolean";
        case GWD_CONF_OBJECT: return "an object";
        case GWD_CONF_ARRAY: return "an array";
        case GWD_CONF_ENUM: return "a string";
        }
        return "?";
}

static int type_matches(int type, const json_t *v)
{
        switch (type) {
        case GWD_CONF_STRING:
        case GWD_CONF_ENUM: return json_is_string(v);
        case GWD_CONF_INT: return json_is_integer(v);
        case GWD_CONF_BOOL: return json_is_boolean(v);
        case GWD_CONF_OBJECT: return json_is_object(v);
        case GWD_CONF_ARRAY: return json_is_array(v);
        }
        return 0;
}

static void join_path(char *buf, size_t size, const char *path, const char *key)
{
        if (path && *path)
                snprintf(buf, size, "%s.%s", path, key);
        else
                snprintf(buf, size, "%s", key);
}

int conf_check(struct gwd_conf_errors *errs, const char *path, const json_t *obj,
               const struct gwd_conf_key *keys)
{
        const char *key;
        json_t *val;
        char sub[512];
        int problems = 0;

        if (!json_is_object(obj)) {
                conf_error(errs, path, "must be an object, not %s",
                           obj ? json_type_name(obj) : "missing");
                return 1;
        }
        json_object_foreach((json_t *)obj, key, val) {
                const struct gwd_conf_key *k;

                if (key[0] == '#')
                        continue;       /* comment */
                join_path(sub, sizeof(sub), path, key);
                for (k = keys; k->name; k++)
                        if (strcmp(k->name, key) == 0)
                                break;
                if (!k->name) {
                        conf_error(errs, sub, "unknown key");
                        problems++;
                        continue;
                }
                if (!type_matches(k->type, val)) {
                        conf_error(errs, sub, "must be %s, not %s",
                                   conf_type_name(k->type), json_type_name(val));
                        problems++;
                        continue;
                }
                if (k->type == GWD_CONF_INT) {
                        json_int_t i = json_integer_value(val);
                        if (i < k->min || i > k->max) {
                                conf_error(errs, sub, "%lld is out of range %lld..%lld",
                                           (long long)i, (long long)k->min,
                                           (long long)k->max);
                                problems++;
                        }
                } else if (k->type == GWD_CONF_ENUM && k->choices) {
                        const char *s = json_string_value(val);
                        const char *const *c;
                        for (c = k->choices; *c; c++)
                                if (strcmp(*c, s) == 0)
                                        break;
                        if (!*c) {
                                char list[256] = "";
                                size_t used = 0;
                                for (c = k->choices; *c && used < sizeof(list); c++) {
                                        int n = snprintf(list + used, sizeof(list) - used,
                                                         "%s%s", c == k->choices ? "" : ", ", *c);
                                        if (n < 0)
                                                break;
                                        used += (size_t)n;
                                }
                                conf_error(errs, sub, "\"%s\" is not one of: %s", s, list);
                                problems++;
                        }
                }
        }
        for (const struct gwd_conf_key *k = keys; k->name; k++) {
                if (k->required && !json_object_get(obj, k->name)) {
                        join_path(sub, sizeof(sub), path, k->name);
                        conf_error(errs, sub, "required key is missing");
                        problems++;
                }
        }
        return problems;
}

/* Read a whole small file; -EFBIG past `max` bytes. */
static int read_small_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        struct stat st;
        char *buf;
        size_t len = 0;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                close(fd);
                return -EINVAL;
        }
        if ((uint64_t)st.st_size > max) {
                close(fd);
                return -EFBIG;
        }
        buf = malloc(max + 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        for (;;) {
                ssize_t n = read(fd, buf + len, max + 1 - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int r = -errno;
                        free(buf);
                        close(fd);
                        return r;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > max) {
                        free(buf);
                        close(fd);
                        return -EFBIG;
                }
        }
        close(fd);
        buf[len] = '\0';
        *ret = buf;
        if (ret_len)
                *ret_len = len;
        return 0;
}

#define SECRET_MAX 4096

int secret_read(const json_t *obj, const char *field, char **ret)
{
        char key_file[128], key_cred[128];
        const json_t *file, *cred;
        char path[PATH_MAX];
        char *buf;
        size_t len;
        int r;

        snprintf(key_file, sizeof(key_file), "%s_file", field);
        snprintf(key_cred, sizeof(key_cred), "%s_credential", field);
        file = json_object_get(obj, key_file);
        cred = json_object_get(obj, key_cred);
        if (file && cred)
                return -EINVAL;
        if (file) {
                if (!json_is_string(file))
                        return -EINVAL;
                snprintf(path, sizeof(path), "%s", json_string_value(file));
        } else if (cred) {
                const char *name = json_is_string(cred) ? json_string_value(cred) : NULL;
                const char *dir = getenv("CREDENTIALS_DIRECTORY");
                if (!name || !*name || strchr(name, '/') || strcmp(name, ".") == 0 ||
                    strcmp(name, "..") == 0)
                        return -EINVAL;
                if (!dir || !*dir)
                        return -ENXIO;  /* no credentials passed to us */
                if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
                        return -ENAMETOOLONG;
        } else {
                return -ENOENT;
        }
        r = read_small_file(path, SECRET_MAX, &buf, &len);
        if (r < 0)
                return r;
        if (memchr(buf, '\0', len)) {
                free(buf);
                return -EINVAL;
        }
        if (len > 0 && buf[len - 1] == '\n')
                buf[--len] = '\0';
        if (len > 0 && buf[len - 1] == '\r')
                buf[--len] = '\0';
        *ret = buf;
        return 0;
}

static int name_ok(const char *s, size_t max, int allow_upper_dash)
{
        size_t n = strlen(s);
        if (n == 0 || n > max)
                return 0;
        for (const char *p = s; *p; p++) {
                char c = *p;
                if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')
                        continue;
                if (allow_upper_dash && ((c >= 'A' && c <= 'Z') || c == '-'))
                        continue;
                return 0;
        }
        return 1;
}

static const char *const log_levels[] = { "err", "warning", "notice", "info", "debug", NULL };

static const struct gwd_conf_key top_keys[] = {
        { "daemon", GWD_CONF_OBJECT, 0, 0, 0, NULL },
        { "instances", GWD_CONF_ARRAY, 1, 0, 0, NULL },
        { NULL, 0, 0, 0, 0, NULL },
};

static const struct gwd_conf_key daemon_keys[] = {
        { "log_level", GWD_CONF_ENUM, 0, 0, 0, log_levels },
        { "plugin_dir", GWD_CONF_STRING, 0, 0, 0, NULL },
        { NULL, 0, 0, 0, 0, NULL },
};

static const struct gwd_conf_key instance_keys[] = {
        { "name", GWD_CONF_STRING, 1, 0, 0, NULL },
        { "plugin", GWD_CONF_STRING, 1, 0, 0, NULL },
        { "config", GWD_CONF_OBJECT, 0, 0, 0, NULL },
        { NULL, 0, 0, 0, 0, NULL },
};

static int config_build(json_t *root, const char *name, struct gwd_config **ret,
                        struct gwd_conf_errors *errs)
{
        struct gwd_config *cfg;
        json_t *daemon, *instances;
        size_t before = errs->n + errs->dropped;

        if (conf_check(errs, "", root, top_keys) > 0 && !json_is_object(root))
                return -EINVAL;

        cfg = calloc(1, sizeof(*cfg));
        if (!cfg)
                return -ENOMEM;
        cfg->root = json_incref(root);
        cfg->path = strdup(name);
        cfg->log_level = 6;
        if (!cfg->path) {
                config_free(cfg);
                return -ENOMEM;
        }

        daemon = json_object_get(root, "daemon");
        if (json_is_object(daemon)) {
                json_t *v;
                conf_check(errs, "daemon", daemon, daemon_keys);
                v = json_object_get(daemon, "log_level");
                if (json_is_string(v) && log_level_from_string(json_string_value(v)) >= 0)
                        cfg->log_level = log_level_from_string(json_string_value(v));
                v = json_object_get(daemon, "plugin_dir");
                if (json_is_string(v)) {
                        if (json_string_value(v)[0] != '/')
                                conf_error(errs, "daemon.plugin_dir", "must be an absolute path");
                        cfg->plugin_dir = strdup(json_string_value(v));
                        if (!cfg->plugin_dir) {
                                config_free(cfg);
                                return -ENOMEM;
                        }
                }
        }

        instances = json_object_get(root, "instances");
        if (json_is_array(instances)) {
                size_t n = json_array_size(instances);
                if (n == 0)
                        conf_error(errs, "instances", "must list at least one plugin instance");
                if (n > GWD_INSTANCES_MAX)
                        conf_error(errs, "instances", "at most %d instances are allowed, not %zu",
                                   GWD_INSTANCES_MAX, n);
                if (n > 0 && n <= GWD_INSTANCES_MAX) {
                        cfg->instances = calloc(n, sizeof(*cfg->instances));
                        if (!cfg->instances) {
                                config_free(cfg);
                                return -ENOMEM;
                        }
                }
                for (size_t i = 0; cfg->instances && i < n; i++) {
                        json_t *e = json_array_get(instances, i);
                        char path[64];
                        json_t *nm, *pl, *cf;

                        snprintf(path, sizeof(path), "instances[%zu]", i);
                        if (conf_check(errs, path, e, instance_keys) > 0 && !json_is_object(e))
                                continue;
                        nm = json_object_get(e, "name");
                        pl = json_object_get(e, "plugin");
                        cf = json_object_get(e, "config");
                        if (!json_is_string(nm) || !json_is_string(pl) ||
                            (cf && !json_is_object(cf)))
                                continue;
                        if (!name_ok(json_string_value(nm), 32, 1)) {
                                conf_error(errs, path, "name \"%s\" must be 1..32 of [A-Za-z0-9_-]",
                                           json_string_value(nm));
                                continue;
                        }
                        if (!name_ok(json_string_value(pl), 32, 0)) {
                                conf_error(errs, path, "plugin \"%s\" must be 1..32 of [a-z0-9_]",
                                           json_string_value(pl));
                                continue;
                        }
                        if (config_find_instance(cfg, json_string_value(nm))) {
                                conf_error(errs, path, "instance name \"%s\" is used twice",
                                           json_string_value(nm));
                                continue;
                        }
                        if (!cf) {
                                cf = json_object();
                                if (!cf || json_object_set_new(e, "config", cf) < 0) {
                                        config_free(cfg);
                                        return -ENOMEM;
                                }
                        }
                        cfg->instances[cfg->n_instances++] = (struct instance_conf){
                                .name = json_string_value(nm),
                                .plugin = json_string_value(pl),
                                .config = cf,
                                .entry = e,
                        };
                }
        }

        /* The config is handed out even with problems, so that the caller
         * can also let the plugins check their sections and report every
         * problem in one go; it must not be used to run. */
        *ret = cfg;
        return errs->n + errs->dropped > before ? -EINVAL : 0;
}

static int parse_text(const char *text, size_t len, const char *name, struct gwd_config **ret,
                      struct gwd_conf_errors *errs)
{
        json_error_t jerr;
        json_t *root;
        int r;

        root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
                /* jansson counts columns from 1 and lines from 1; -1 when
                 * the position is unknown (e.g. empty input). */
                conf_error(errs, NULL, "%d:%d: %s", jerr.line < 1 ? 1 : jerr.line,
                           jerr.column < 1 ? 1 : jerr.column, jerr.text);
                return -EINVAL;
        }
        r = config_build(root, name, ret, errs);
        json_decref(root);
        return r;
}

int config_parse(const char *text, const char *name, struct gwd_config **ret,
                 struct gwd_conf_errors *errs)
{
        return parse_text(text, strlen(text), name, ret, errs);
}

int config_load(const char *path, struct gwd_config **ret, struct gwd_conf_errors *errs)
{
        char *text;
        size_t len;
        int r;

        r = read_small_file(path, GWD_CONF_FILE_MAX, &text, &len);
        if (r < 0) {
                if (r == -EFBIG)
                        conf_error(errs, NULL, "file is larger than %u bytes", GWD_CONF_FILE_MAX);
                else
                        conf_error(errs, NULL, "cannot read: %s", strerror(-r));
                return r;
        }
        if (memchr(text, '\0', len)) {
                conf_error(errs, NULL, "file contains a NUL byte");
                free(text);
                return -EINVAL;
        }
        r = parse_text(text, len, path, ret, errs);
        free(text);
        return r;
}

void config_free(struct gwd_config *cfg)
{
        if (!cfg)
                return;
        json_decref(cfg->root);
        free(cfg->path);
        free(cfg->plugin_dir);
        free(cfg->instances);
        free(cfg);
}

const struct instance_conf *config_find_instance(const struct gwd_config *cfg, const char *name)
{
        for (size_t i = 0; i < cfg->n_instances; i++)
                if (strcmp(cfg->instances[i].name, name) == 0)
                        return &cfg->instances[i];
        return NULL;
}
