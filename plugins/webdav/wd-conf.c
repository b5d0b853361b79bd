/* SPDX-License-Identifier: MIT */
/* The plugin's configuration section: strict checking and loading. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wd-path.h"
#include "wd.h"

#define WD_EXPORTS_MAX 64
#define WD_LISTEN_MAX 16

static const struct gwd_conf_key top_keys[] = {
        { "listen", GWD_CONF_ARRAY, 0, 0, 0, NULL },
        { "exports", GWD_CONF_ARRAY, 1, 0, 0, NULL },
        { "users_file", GWD_CONF_STRING, 0, 0, 0, NULL },
        { "users_credential", GWD_CONF_STRING, 0, 0, 0, NULL },
        { "allow_anonymous_loopback", GWD_CONF_BOOL, 0, 0, 0, NULL },
        { "tls_cert_file", GWD_CONF_STRING, 0, 0, 0, NULL },
        { "tls_key_file", GWD_CONF_STRING, 0, 0, 0, NULL },
        { "max_upload_bytes", GWD_CONF_INT, 0, 0, 1ll << 50, NULL },
        { "upload_buffer_bytes", GWD_CONF_INT, 0, WD_PUT_CHUNK, 1ll << 40, NULL },
        { "flush_uploads", GWD_CONF_BOOL, 0, 0, 0, NULL },
        { "max_connections", GWD_CONF_INT, 0, 1, 65536, NULL },
        { "connection_timeout", GWD_CONF_INT, 0, 1, 86400, NULL },
        { "connection_memory_bytes", GWD_CONF_INT, 0, WD_CONNECTION_MEMORY_MIN,
          WD_CONNECTION_MEMORY_MAX, NULL },
        { NULL, 0, 0, 0, 0, NULL },
};

static const struct gwd_conf_key export_keys[] = {
        { "share", GWD_CONF_STRING, 1, 0, 0, NULL },
        { "path", GWD_CONF_STRING, 0, 0, 0, NULL },
        { "read_only", GWD_CONF_BOOL, 0, 0, 0, NULL },
        { "users", GWD_CONF_ARRAY, 0, 0, 0, NULL },
        { NULL, 0, 0, 0, 0, NULL },
};

/* "/", or "/seg/seg" with segments of unreserved characters. */
static bool prefix_valid(const char *p)
{
        size_t n = strlen(p);
        if (n == 0 || n > 256 || p[0] != '/')
                return false;
        if (n == 1)
                return true;
        if (p[n - 1] == '/')
                return false;
        for (size_t i = 1; i < n; i++) {
                char c = p[i];
                if (c == '/' && p[i - 1] == '/')
                        return false;
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~' ||
                      c == '/'))
                        return false;
        }
        return !strstr(p, "/./") && !strstr(p, "/../") &&
               !(n >= 2 && strcmp(p + n - 2, "/.") == 0) &&
               !(n >= 3 && strcmp(p + n - 3, "/..") == 0);
}

static void default_prefix(const char *share, char *out, size_t size)
{
        snprintf(out, size, "/%s", share);
}

int wd_conf_check(const struct gwd_api *api, const json_t *config, const char *path,
                  struct gwd_conf_errors *errs)
{
        int problems = api->conf_check(errs, path, config, top_keys);
        const json_t *listen = json_object_get(config, "listen");
        const json_t *exports = json_object_get(config, "exports");
        bool tls = json_object_get(config, "tls_cert_file") != NULL;
        char sub[512];

        if (!json_is_object(config))
                return problems;
        if (!!json_object_get(config, "tls_cert_file") != !!json_object_get(config, "tls_key_file")) {
                api->conf_error(errs, path, "tls_cert_file and tls_key_file go together");
                problems++;
        }
        if (json_object_get(config, "users_file") && json_object_get(config, "users_credential")) {
                api->conf_error(errs, path, "use either users_file or users_credential");
                problems++;
        }
        if (!json_object_get(config, "users_file") && !json_object_get(config, "users_credential") &&
            !json_is_true(json_object_get(config, "allow_anonymous_loopback"))) {
                api->conf_error(errs, path, "nobody could log in: set users_file or "
                                "users_credential, or allow_anonymous_loopback");
                problems++;
        }
        if (listen) {
                if (json_array_size(listen) == 0 || json_array_size(listen) > WD_LISTEN_MAX) {
                        snprintf(sub, sizeof(sub), "%s.listen", path);
                        api->conf_error(errs, sub, "must list 1..%d addresses", WD_LISTEN_MAX);
                        problems++;
                }
                for (size_t i = 0; i < json_array_size(listen); i++) {
                        const json_t *a = json_array_get(listen, i);
                        int loopback = 0;
                        snprintf(sub, sizeof(sub), "%s.listen[%zu]", path, i);
                        if (!json_is_string(a)) {
                                api->conf_error(errs, sub, "must be a string");
                                problems++;
                        } else if (httpd_address_check(json_string_value(a), &loopback) < 0) {
                                api->conf_error(errs, sub, "\"%s\" is not an address like "
                                                "\"127.0.0.1:8080\", \"[::1]:8080\", "
                                                "\"unix:/path\" or \"sd:NAME\"",
                                                json_string_value(a));
                                problems++;
                        } else if (!loopback && !tls) {
                                /* allowed, but credentials are refused there
                                 * (documented); nothing to report */
                        }
                }
        }
        if (json_array_size(exports) == 0 || json_array_size(exports) > WD_EXPORTS_MAX) {
                snprintf(sub, sizeof(sub), "%s.exports", path);
                api->conf_error(errs, sub, "must list 1..%d exports", WD_EXPORTS_MAX);
                problems++;
        }
        for (size_t i = 0; i < json_array_size(exports); i++) {
                const json_t *e = json_array_get(exports, i);
                const json_t *users, *pv;
                char pfx[300];

                snprintf(sub, sizeof(sub), "%s.exports[%zu]", path, i);
                if (api->conf_check(errs, sub, e, export_keys) > 0) {
                        problems++;
                        continue;
                }
                pv = json_object_get(e, "path");
                if (pv) {
                        snprintf(pfx, sizeof(pfx), "%s", json_string_value(pv));
                } else {
                        default_prefix(json_string_value(json_object_get(e, "share")), pfx,
                                       sizeof(pfx));
                }
                if (!prefix_valid(pfx)) {
                        char s2[600];
                        snprintf(s2, sizeof(s2), "%s.path", sub);
                        api->conf_error(errs, s2, "\"%s\" must be \"/\" or \"/a/b\" made of "
                                        "[A-Za-z0-9._~-] segments", pfx);
                        problems++;
                }
                for (size_t j = 0; j < i; j++) {
                        const json_t *o = json_array_get(exports, j);
                        char opfx[300];
                        if (!json_is_object(o) || !json_is_string(json_object_get(o, "share")))
                                continue;
                        if (json_is_string(json_object_get(o, "path")))
                                snprintf(opfx, sizeof(opfx), "%s",
                                         json_string_value(json_object_get(o, "path")));
                        else
                                default_prefix(json_string_value(json_object_get(o, "share")),
                                               opfx, sizeof(opfx));
                        if (strcmp(opfx, pfx) == 0) {
                                api->conf_error(errs, sub, "path \"%s\" is used twice", pfx);
                                problems++;
                        }
                }
                users = json_object_get(e, "users");
                for (size_t j = 0; j < json_array_size(users); j++) {
                        const json_t *u = json_array_get(users, j);
                        char s2[600];
                        snprintf(s2, sizeof(s2), "%s.users[%zu]", sub, j);
                        if (!json_is_string(u) || !wd_user_name_valid(json_string_value(u))) {
                                api->conf_error(errs, s2, "must be a user name (1..64 of "
                                                "[A-Za-z0-9_.@-])");
                                problems++;
                        }
                }
        }
        return problems;
}

void wd_conf_free(struct wd_conf *c)
{
        if (!c)
                return;
        for (size_t i = 0; c->listen && c->listen[i]; i++)
                free(c->listen[i]);
        free(c->listen);
        for (size_t i = 0; i < c->n_exports; i++) {
                struct wd_export *e = &c->exports[i];
                free(e->share);
                free(e->prefix);
                for (size_t j = 0; j < e->n_users; j++)
                        free(e->users[j]);
                free(e->users);
        }
        free(c->exports);
        wd_users_free(&c->users);
        free(c->tls_cert_file);
        free(c->tls_key_file);
        *c = (struct wd_conf){ 0 };
}

static char *dup_opt(const json_t *obj, const char *key, int *oom)
{
        const char *s = json_string_value(json_object_get(obj, key));
        char *d;
        if (!s)
                return NULL;
        d = strdup(s);
        if (!d)
                *oom = 1;
        return d;
}

int wd_conf_load(const struct gwd_api *api, const json_t *config, struct wd_conf *ret,
                 const char **ret_err)
{
        struct wd_conf c = { 0 };
        const json_t *listen = json_object_get(config, "listen");
        const json_t *exports = json_object_get(config, "exports");
        const json_t *v;
        size_t n_listen = listen ? json_array_size(listen) : 1;
        char *text = NULL;
        int oom = 0, r;

        *ret_err = "out of memory";
        c.listen = calloc(n_listen + 1, sizeof(*c.listen));
        c.exports = calloc(json_array_size(exports) ? json_array_size(exports) : 1,
                           sizeof(*c.exports));
        if (!c.listen || !c.exports)
                goto oom;
        for (size_t i = 0; i < n_listen; i++) {
                const char *a = listen ? json_string_value(json_array_get(listen, i))
                                       : "127.0.0.1:8080";
                if (!(c.listen[i] = strdup(a)))
                        goto oom;
        }
        for (size_t i = 0; i < json_array_size(exports); i++) {
                const json_t *e = json_array_get(exports, i);
                const json_t *users = json_object_get(e, "users");
                struct wd_export *x = &c.exports[c.n_exports++];
                const char *share = json_string_value(json_object_get(e, "share"));
                const char *pv = json_string_value(json_object_get(e, "path"));
                char pfx[300];

                if (pv)
                        snprintf(pfx, sizeof(pfx), "%s", pv);
                else
                        default_prefix(share, pfx, sizeof(pfx));
                if (strcmp(pfx, "/") == 0)
                        pfx[0] = '\0';
                x->share = strdup(share);
                x->prefix = strdup(pfx);
                x->read_only = json_is_true(json_object_get(e, "read_only"));
                if (!x->share || !x->prefix)
                        goto oom;
                if (users) {
                        x->users = calloc(json_array_size(users) + 1, sizeof(*x->users));
                        if (!x->users)
                                goto oom;
                        for (size_t j = 0; j < json_array_size(users); j++) {
                                x->users[j] = strdup(json_string_value(json_array_get(users, j)));
                                if (!x->users[j])
                                        goto oom;
                                x->n_users++;
                        }
                }
        }
        c.anon_loopback = json_is_true(json_object_get(config, "allow_anonymous_loopback"));
        c.tls_cert_file = dup_opt(config, "tls_cert_file", &oom);
        c.tls_key_file = dup_opt(config, "tls_key_file", &oom);
        if (oom)
                goto oom;
        v = json_object_get(config, "max_upload_bytes");
        c.max_upload = v ? (uint64_t)json_integer_value(v) : 0;
        v = json_object_get(config, "upload_buffer_bytes");
        c.upload_chunks = (v ? (uint64_t)json_integer_value(v) : WD_UPLOAD_BUFFER_DEFAULT) /
                          WD_PUT_CHUNK;
        c.flush_uploads = json_is_true(json_object_get(config, "flush_uploads"));
        v = json_object_get(config, "max_connections");
        c.max_connections = v ? (unsigned)json_integer_value(v) : 256;
        v = json_object_get(config, "connection_timeout");
        c.connection_timeout = v ? (unsigned)json_integer_value(v) : 60;
        v = json_object_get(config, "connection_memory_bytes");
        c.connection_memory = v ? (size_t)json_integer_value(v) : WD_CONNECTION_MEMORY_DEFAULT;

        r = api->secret_read(config, "users", &text);
        if (r == 0) {
                unsigned line = 0;
                r = wd_users_parse(text, &c.users, &line);
                free(text);
                if (r < 0) {
                        static char msg[96];
                        snprintf(msg, sizeof(msg), "users file: line %u is not "
                                 "\"<name> sha256:|plain:|token-sha256:...\"", line);
                        *ret_err = r == -ENOMEM ? "out of memory" : msg;
                        wd_conf_free(&c);
                        return r;
                }
                c.have_users = true;
        } else if (r != -ENOENT) {
                *ret_err = "cannot read the users file";
                wd_conf_free(&c);
                return r;
        }
        *ret = c;
        *ret_err = NULL;
        return 0;
oom:
        wd_conf_free(&c);
        return -ENOMEM;
}
