/* SPDX-License-Identifier: MIT */
/*
 * plugins/api: the admin REST API.  This file holds the plugin entry,
 * configuration, lifecycle and the request dispatch; see api.h for the
 * other files.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "plugins/api/api.h"

uint64_t api_now_mono(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

bool api_kind_known(struct api *a, const char *kind)
{
        for (size_t i = 0; i < a->n_kinds; i++)
                if (strcmp(a->kinds[i], kind) == 0)
                        return true;
        return false;
}

void api_kind_seen(struct api *a, const char *kind)
{
        if (api_kind_known(a, kind) || a->n_kinds == API_KINDS_MAX)
                return;
        snprintf(a->kinds[a->n_kinds++], GWD_KIND_MAX, "%s", kind);
}

/* --- configuration -------------------------------------------------------- */

static const struct gwd_conf_key api_keys[] = {
        { "listen", GWD_CONF_ARRAY, 0, 0, 0, NULL },
        { "tokens_file", GWD_CONF_STRING, 0, 0, 0, NULL },
        { "tokens_credential", GWD_CONF_STRING, 0, 0, 0, NULL },
        { "allow_anonymous_loopback", GWD_CONF_BOOL, 0, 0, 0, NULL },
        { "unix_socket_admin_uids", GWD_CONF_ARRAY, 0, 0, 0, NULL },
        { "tls_cert_file", GWD_CONF_STRING, 0, 0, 0, NULL },
        { "tls_key_file", GWD_CONF_STRING, 0, 0, 0, NULL },
        { "max_body_bytes", GWD_CONF_INT, 0, 1024, 16 << 20, NULL },
        { "max_connections", GWD_CONF_INT, 0, 1, 65536, NULL },
        { "connection_timeout", GWD_CONF_INT, 0, 1, 3600, NULL },
        { "max_sse_subscribers", GWD_CONF_INT, 0, 0, 4096, NULL },
        { "listing_cache_ms", GWD_CONF_INT, 0, 0, 60000, NULL },
        { NULL, 0, 0, 0, 0, NULL },
};

static void sub_path(char *buf, size_t size, const char *path, const char *key)
{
        if (path && *path)
                snprintf(buf, size, "%s.%s", path, key);
        else
                snprintf(buf, size, "%s", key);
}

/* Reads and parses the token file; err gets a message that never holds a
 * token.  -ENOENT: no token source configured. */
static int load_tokens(const struct gwd_api *gapi, const json_t *config,
                       struct auth_tokens *ret, char *err, size_t err_size)
{
        char *text = NULL;
        int r = gapi->secret_read(config, "tokens", &text);

        if (r == -ENOENT && !json_object_get(config, "tokens_file") &&
            !json_object_get(config, "tokens_credential"))
                return -ENOENT;
        if (r < 0) {
                snprintf(err, err_size, "cannot read the token file: %s", strerror(-r));
                return r;
        }
        r = auth_parse(text, ret, err, err_size);
        explicit_bzero(text, strlen(text));
        free(text);
        return r;
}

/* What httpd-loop accepts for a PEM file (TLS_FILE_MAX there). */
#define API_TLS_FILE_MAX (256u * 1024u)

/* A PEM file for the TLS listeners: a readable regular file of at most
 * API_TLS_FILE_MAX bytes holding a certificate, or an unencrypted private
 * key (no passphrase is configured).  That the key belongs to the
 * certificate is checked by the TLS library at start.  err never holds
 * file contents. */
static int check_pem(const char *file, bool key, char *err, size_t err_size)
{
        int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;
        char *buf;
        size_t len = 0;
        int r = 0;

        if (fd < 0) {
                r = -errno;
                snprintf(err, err_size, "cannot open \"%s\": %s", file, strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
            st.st_size > (off_t)API_TLS_FILE_MAX) {
                snprintf(err, err_size, "\"%s\" must be a non-empty regular file of at most "
                         "%u bytes", file, API_TLS_FILE_MAX);
                close(fd);
                return -EINVAL;
        }
        buf = malloc((size_t)st.st_size + 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        while (len < (size_t)st.st_size) {
                ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        snprintf(err, err_size, "cannot read \"%s\": %s", file, strerror(-r));
                        break;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        close(fd);
        buf[len] = '\0';
        if (r == 0 && key && strstr(buf, "-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
                snprintf(err, err_size, "\"%s\" holds an encrypted private key; give the key "
                         "without a passphrase", file);
                r = -EINVAL;
        } else if (r == 0 && key && !(strstr(buf, "-----BEGIN ") &&
                                      strstr(buf, "PRIVATE KEY-----"))) {
                snprintf(err, err_size, "\"%s\" holds no PEM private key", file);
                r = -EINVAL;
        } else if (r == 0 && !key && !strstr(buf, "-----BEGIN CERTIFICATE-----")) {
                snprintf(err, err_size, "\"%s\" holds no PEM certificate", file);
                r = -EINVAL;
        }
        explicit_bzero(buf, len);
        free(buf);
        return r;
}

static int api_check_config(const struct gwd_api *gapi, const json_t *config, const char *path,
                            struct gwd_conf_errors *errs)
{
        int problems = gapi->conf_check(errs, path, config, api_keys);
        const json_t *listen = json_object_get(config, "listen");
        const json_t *uids = json_object_get(config, "unix_socket_admin_uids");
        bool all_loopback = true;
        char sub[512], err[256];
        struct auth_tokens tokens = { 0 };
        int r;

        if (!json_is_object(config))
                return problems;
        if (json_is_array(listen)) {
                sub_path(sub, sizeof(sub), path, "listen");
                if (json_array_size(listen) == 0 || json_array_size(listen) > 16) {
                        gapi->conf_error(errs, sub, "must list 1..16 addresses");
                        problems++;
                }
                for (size_t i = 0; i < json_array_size(listen); i++) {
                        const json_t *v = json_array_get(listen, i);
                        int loop = 0;
                        char item[560];
                        snprintf(item, sizeof(item), "%s[%zu]", sub, i);
                        if (!json_is_string(v) ||
                            httpd_address_check(json_string_value(v), &loop) < 0) {
                                gapi->conf_error(errs, item, "must be \"IPv4:PORT\", "
                                                 "\"[IPv6]:PORT\", \"unix:/PATH\" or "
                                                 "\"sd:FDNAME\"");
                                problems++;
                        }
                        if (!loop)
                                all_loopback = false;
                }
        }
        if (json_is_array(uids)) {
                sub_path(sub, sizeof(sub), path, "unix_socket_admin_uids");
                for (size_t i = 0; i < json_array_size(uids); i++) {
                        const json_t *v = json_array_get(uids, i);
                        char item[560];
                        snprintf(item, sizeof(item), "%s[%zu]", sub, i);
                        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                            json_integer_value(v) > 4294967294ll) {
                                gapi->conf_error(errs, item, "must be a uid (0..4294967294)");
                                problems++;
                        }
                }
        }
        if (!json_object_get(config, "tls_cert_file") != !json_object_get(config, "tls_key_file")) {
                sub_path(sub, sizeof(sub), path,
                         json_object_get(config, "tls_cert_file") ? "tls_key_file"
                                                                  : "tls_cert_file");
                gapi->conf_error(errs, sub, "tls_cert_file and tls_key_file go together");
                problems++;
        } else if (json_is_string(json_object_get(config, "tls_cert_file")) &&
                   json_is_string(json_object_get(config, "tls_key_file"))) {
                static const char *const tls_keys[] = { "tls_cert_file", "tls_key_file" };
                for (size_t i = 0; i < 2; i++) {
                        const char *file = json_string_value(json_object_get(config,
                                                                             tls_keys[i]));
                        if (check_pem(file, i == 1, err, sizeof(err)) < 0) {
                                sub_path(sub, sizeof(sub), path, tls_keys[i]);
                                gapi->conf_error(errs, sub, "%s", err);
                                problems++;
                        }
                }
        }
        if (json_object_get(config, "tokens_file") && json_object_get(config, "tokens_credential")) {
                sub_path(sub, sizeof(sub), path, "tokens_credential");
                gapi->conf_error(errs, sub, "give tokens_file or tokens_credential, not both");
                problems++;
        } else if (json_is_string(json_object_get(config, "tokens_file")) ||
                   json_is_string(json_object_get(config, "tokens_credential"))) {
                r = load_tokens(gapi, config, &tokens, err, sizeof(err));
                if (r < 0) {
                        sub_path(sub, sizeof(sub), path,
                                 json_object_get(config, "tokens_file") ? "tokens_file"
                                                                        : "tokens_credential");
                        gapi->conf_error(errs, sub, "%s", err);
                        problems++;
                } else if (tokens.n == 0) {
                        sub_path(sub, sizeof(sub), path,
                                 json_object_get(config, "tokens_file") ? "tokens_file"
                                                                        : "tokens_credential");
                        gapi->conf_error(errs, sub, "the token file holds no token");
                        problems++;
                }
                auth_tokens_clear(&tokens);
        } else if (!json_is_true(json_object_get(config, "allow_anonymous_loopback")) &&
                   json_array_size(uids) == 0 && !json_object_get(config, "tokens_file") &&
                   !json_object_get(config, "tokens_credential")) {
                sub_path(sub, sizeof(sub), path, "tokens_file");
                gapi->conf_error(errs, sub, "nobody could use the API: set tokens_file or "
                                 "tokens_credential (or unix_socket_admin_uids, or "
                                 "allow_anonymous_loopback)");
                problems++;
        }
        if (json_is_true(json_object_get(config, "allow_anonymous_loopback")) && !all_loopback) {
                sub_path(sub, sizeof(sub), path, "allow_anonymous_loopback");
                gapi->conf_error(errs, sub, "only allowed when every listen address is "
                                 "loopback (127.0.0.0/8, [::1] or unix:)");
                problems++;
        }
        return problems;
}

static void settings_clear(struct api_settings *s)
{
        for (size_t i = 0; i < s->n_listen; i++)
                free(s->listen[i]);
        free(s->listen);
        free(s->admin_uids);
        free(s->tls_cert_file);
        free(s->tls_key_file);
        auth_tokens_clear(&s->tokens);
        memset(s, 0, sizeof(*s));
}

static unsigned int_or(const json_t *config, const char *key, unsigned def)
{
        const json_t *v = json_object_get(config, key);
        return json_is_integer(v) ? (unsigned)json_integer_value(v) : def;
}

static int settings_load(struct api *a, const json_t *config)
{
        struct api_settings *s = &a->set;
        const json_t *listen = json_object_get(config, "listen");
        const json_t *uids = json_object_get(config, "unix_socket_admin_uids");
        size_t n = listen ? json_array_size(listen) : 1;
        char err[256];
        int r;

        s->listen = calloc(n + 1, sizeof(char *));
        if (!s->listen)
                return -ENOMEM;
        s->all_loopback = true;
        for (size_t i = 0; i < n; i++) {
                const char *v = listen ? json_string_value(json_array_get(listen, i))
                                       : API_DEFAULT_LISTEN;
                int loop = 0;
                if (!v || httpd_address_check(v, &loop) < 0)
                        return -EINVAL;
                if (!(s->listen[i] = strdup(v)))
                        return -ENOMEM;
                s->n_listen++;
                if (!loop)
                        s->all_loopback = false;
        }
        s->allow_anonymous_loopback =
                json_is_true(json_object_get(config, "allow_anonymous_loopback")) &&
                s->all_loopback;
        s->n_admin_uids = json_array_size(uids);
        s->admin_uids = calloc(s->n_admin_uids + 1, sizeof(uid_t));
        if (!s->admin_uids)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_admin_uids; i++)
                s->admin_uids[i] = (uid_t)json_integer_value(json_array_get(uids, i));
        if (json_object_get(config, "tls_cert_file")) {
                s->tls_cert_file = strdup(json_string_value(json_object_get(config,
                                                                            "tls_cert_file")));
                s->tls_key_file = strdup(json_string_value(json_object_get(config,
                                                                           "tls_key_file")));
                if (!s->tls_cert_file || !s->tls_key_file)
                        return -ENOMEM;
        }
        s->max_body = int_or(config, "max_body_bytes", API_DEFAULT_MAX_BODY);
        s->max_connections = int_or(config, "max_connections", API_DEFAULT_MAX_CONNECTIONS);
        s->connection_timeout = int_or(config, "connection_timeout", API_DEFAULT_CONN_TIMEOUT);
        s->max_sse = int_or(config, "max_sse_subscribers", API_DEFAULT_MAX_SSE);
        s->listing_cache_ms = int_or(config, "listing_cache_ms", API_DEFAULT_LISTING_CACHE_MS);
        r = load_tokens(a->gapi, config, &s->tokens, err, sizeof(err));
        if (r == -ENOENT)
                r = 0;
        if (r < 0)
                gwd_log(a->gapi, a->ctx, GWD_LOG_ERR, "tokens: %s", err);
        return r;
}

/* --- requests ---------------------------------------------------------------- */

static bool uid_is_admin(const struct api *a, uid_t uid)
{
        for (size_t i = 0; i < a->set.n_admin_uids; i++)
                if (a->set.admin_uids[i] == uid)
                        return true;
        return false;
}

/* 0 when authenticated (r->role, r->who set), else the response queued. */
static int authenticate(struct api_req *r, enum MHD_Result *ret)
{
        struct api *a = r->api;
        const char *hdr = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                      MHD_HTTP_HEADER_AUTHORIZATION);
        struct httpd_peer peer;
        int malformed = 0;

        if (hdr) {
                const struct auth_token *t = auth_lookup(&a->set.tokens, hdr, &malformed);
                if (t) {
                        r->role = t->role;
                        snprintf(r->who, sizeof(r->who), "api:%s", t->name);
                        return 0;
                }
                *ret = api_problem(r, MHD_HTTP_UNAUTHORIZED, malformed
                                   ? "the Authorization header must be \"Bearer <token>\""
                                   : "the token is not valid");
                return -1;
        }
        if (httpd_peer(r->conn, &peer) == 0) {
                if (peer.family == AF_UNIX && peer.has_cred && uid_is_admin(a, peer.uid)) {
                        r->role = ROLE_ADMIN;
                        snprintf(r->who, sizeof(r->who), "api:uid:%u", (unsigned)peer.uid);
                        return 0;
                }
                if (a->set.allow_anonymous_loopback && peer.loopback) {
                        r->role = ROLE_READ;
                        snprintf(r->who, sizeof(r->who), "api:anonymous");
                        return 0;
                }
        }
        *ret = api_problem(r, MHD_HTTP_UNAUTHORIZED, "authentication required: send "
                           "\"Authorization: Bearer <token>\"");
        return -1;
}

static bool content_type_json(const char *ct)
{
        size_t n = strlen("application/json");
        if (!ct || strncasecmp(ct, "application/json", n) != 0)
                return false;
        return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* Checks done before any body byte is read. */
static enum MHD_Result first_call(struct api_req *r)
{
        struct api *a = r->api;
        enum MHD_Result ret;
        const char *cl, *te;
        enum auth_role need;

        r->route_result = route_find(r->method, r->url, &r->route);
        if (a->stopping)
                return api_problem(r, MHD_HTTP_SERVICE_UNAVAILABLE, "the API is stopping");
        if (r->route_result == ROUTE_OK && r->route.id == ROUTE_HEALTHZ)
                return MHD_YES;
        if (authenticate(r, &ret) < 0)
                return ret;
        if (r->route_result == ROUTE_BAD_METHOD)
                return api_problem_allow(r, r->route.allow);
        if (r->route_result == ROUTE_NOT_FOUND)
                return api_problem(r, MHD_HTTP_NOT_FOUND, "no such resource");
        if (r->route_result == ROUTE_BAD_PARAM)
                return api_problem(r, MHD_HTTP_BAD_REQUEST, "a path parameter is malformed: "
                                   "ids are 1..128 of [A-Za-z0-9._-] (not \".\" or \"..\"), "
                                   "kinds and actions 1..31 of [a-z0-9_]");
        need = auth_role_needed(r->method);
        if (r->role < need)
                return api_problem(r, MHD_HTTP_FORBIDDEN, "the token's role \"%s\" may not %s; "
                                   "role \"%s\" is needed", auth_role_name(r->role), r->method,
                                   auth_role_name(need));
        cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        te = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                         MHD_HTTP_HEADER_TRANSFER_ENCODING);
        if (cl) {
                char *end;
                unsigned long long n = strtoull(cl, &end, 10);
                if (*end || end == cl)
                        return api_problem(r, MHD_HTTP_BAD_REQUEST, "bad Content-Length");
                if (n > a->set.max_body)
                        return api_problem(r, 413, "the body may have "
                                           "at most %zu bytes", a->set.max_body);
                if (n > 0 && !content_type_json(MHD_lookup_connection_value(
                                     r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE)))
                        return api_problem(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                           "the body must be application/json");
        } else if (te && !content_type_json(MHD_lookup_connection_value(
                                     r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE))) {
                return api_problem(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                   "the body must be application/json");
        }
        return MHD_YES;
}

static enum MHD_Result dispatch(struct api_req *r)
{
        if (r->body_too_large)
                return api_problem(r, 413, "the body may have at most "
                                   "%zu bytes", r->api->set.max_body);
        if (r->api->stopping)
                return api_problem(r, MHD_HTTP_SERVICE_UNAVAILABLE, "the API is stopping");
        if (r->body.len && r->route.id != ROUTE_ACTION && r->route.id != ROUTE_DRILL_NEW)
                return api_problem(r, MHD_HTTP_BAD_REQUEST, "this request takes no body");
        switch (r->route.id) {
        case ROUTE_HEALTHZ: return res_healthz(r);
        case ROUTE_METRICS: return metrics_serve(r);
        case ROUTE_INDEX: return res_index(r);
        case ROUTE_OPENAPI: return res_openapi(r);
        case ROUTE_HEALTH: return res_health(r);
        case ROUTE_EVENTS: return sse_open(r);
        case ROUTE_OPERATION: return ops_get_operation(r);
        case ROUTE_DRILLS_LIST: return ops_drill_list(r);
        case ROUTE_DRILL_NEW: return ops_drill_new(r);
        case ROUTE_DRILL: return ops_drill_get(r);
        case ROUTE_COLLECTION: return res_collection(r);
        case ROUTE_OBJECT: return res_object(r);
        case ROUTE_ACTION: return ops_action(r);
        default: break;
        }
        return api_problem(r, MHD_HTTP_NOT_FOUND, "no such resource");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
        struct api *a = cls;
        struct api_req *r = *con_cls;

        if (!r) {
                r = calloc(1, sizeof(*r));
                if (!r)
                        return MHD_NO;
                r->api = a;
                r->conn = conn;
                r->method = method;
                r->start_mono = api_now_mono();
                r->url = strdup(url);
                *con_cls = r;
                if (!r->url)
                        return MHD_NO;
                return first_call(r);
        }
        if (r->responded) {
                *upload_data_size = 0;
                return MHD_YES;
        }
        if (*upload_data_size) {
                if (r->body.len + *upload_data_size > a->set.max_body)
                        r->body_too_large = true;       /* answered once complete */
                else
                        sbuf_append(&r->body, upload_data, *upload_data_size);
                *upload_data_size = 0;
                return MHD_YES;
        }
        if (r->body.oom)
                return MHD_NO;
        if (r->op)
                return ops_resumed(r);
        return dispatch(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
        struct api *a = cls;
        struct api_req *r = *con_cls;

        if (!r)
                return;
        if (r->op)
                ops_request_gone(r);
        metrics_request_done(a, r);
        sbuf_free(&r->body);
        free(r->url);
        free(r);
        *con_cls = NULL;
}

/* --- events ------------------------------------------------------------------- */

static void on_event(void *ud, const struct gwd_event *ev)
{
        struct api *a = ud;
        a->reg_gen++;   /* cached listings are stale now */
        if (ev->from[0] == '\0')
                api_kind_seen(a, ev->kind);
        metrics_on_event(a, ev);
        sse_on_event(a, ev);
        ops_on_event(a, ev);
}

static int seed_kind(void *ud, struct gwd_object *obj)
{
        struct api *a = ud;
        api_kind_seen(a, a->gapi->object_kind(obj));
        return 0;
}

/* --- lifecycle ------------------------------------------------------------------ */

static void api_destroy(void *state);

static int api_init(const struct gwd_api *gapi, struct gwd_ctx *ctx, const json_t *config,
                    void **ret_state)
{
        struct api *a = calloc(1, sizeof(*a));
        int r;

        if (!a)
                return -ENOMEM;
        a->gapi = gapi;
        a->ctx = ctx;
        a->loop = gapi->event(ctx);
        r = settings_load(a, config);
        if (r < 0) {
                api_destroy(a);
                return r;
        }
        *ret_state = a;
        return 0;
}

static int api_start(void *state)
{
        struct api *a = state;
        const struct gwd_api *gapi = a->gapi;
        struct httpd_config hc = {
                .listen = (const char *const *)a->set.listen,
                .connection_limit = a->set.max_connections,
                .connection_timeout_s = a->set.connection_timeout,
                .tls_cert_file = a->set.tls_cert_file,
                .tls_key_file = a->set.tls_key_file,
                /* The admin plane yields to the data plane: when both are
                 * ready in one loop iteration, file I/O is served first. */
                .priority = API_EVENT_PRIORITY,
                .handler = on_request,
                .handler_cls = a,
                .completed = on_completed,
                .completed_cls = a,
        };
        const char *bad = NULL;
        int r;

        a->stopping = false;
        gapi->object_foreach(a->ctx, NULL, seed_kind, a);
        r = gapi->subscribe(a->ctx, on_event, a, &a->sub_id);
        if (r < 0) {
                gwd_log(gapi, a->ctx, GWD_LOG_ERR, "cannot subscribe to events: %s",
                        strerror(-r));
                return r;
        }
        a->subscribed = true;
        r = httpd_start(a->loop, &hc, &a->httpd, &bad);
        if (r < 0) {
                char why[192];
                snprintf(why, sizeof(why), "%s", strerror(-r));
                if (r == -ENOENT && bad && strncmp(bad, "sd:", 3) == 0)
                        snprintf(why, sizeof(why), "no socket of that name was passed by systemd");
                else if (!bad && a->set.tls_cert_file && r == -EOPNOTSUPP)
                        snprintf(why, sizeof(why), "libmicrohttpd was built without TLS");
                else if (!bad && a->set.tls_cert_file && r == -EINVAL)
                        /* httpd-loop reads the files (checked by check_config)
                         * and reports libmicrohttpd refusing them as -EINVAL. */
                        snprintf(why, sizeof(why), "the TLS library refused tls_cert_file/"
                                 "tls_key_file (is the key the certificate's own?)");
                else if (!bad && a->set.tls_cert_file)
                        snprintf(why, sizeof(why), "cannot load tls_cert_file/tls_key_file: %s",
                                 strerror(-r));
                gwd_log(gapi, a->ctx, GWD_LOG_ERR, "cannot listen%s%s: %s", bad ? " on " : "",
                        bad ? bad : "", why);
                return r;
        }
        for (size_t i = 0; i < httpd_n_listeners(a->httpd); i++) {
                int port = httpd_local_port(a->httpd, i);
                gwd_log(gapi, a->ctx, GWD_LOG_INFO, "listening (socket %zu%s%.0d)%s", i,
                        port > 0 ? ", port " : "", port, a->set.tls_cert_file ? " with TLS" : "");
        }
        return 0;
}

static void api_stop(void *state)
{
        struct api *a = state;

        a->stopping = true;
        /* MHD may not be stopped with suspended connections: wake them all
         * (they answer 503 or close) before tearing the listeners down. */
        ops_stop_all(a);
        sse_close_all(a);
        httpd_free(a->httpd);
        a->httpd = NULL;
        if (a->subscribed) {
                a->gapi->unsubscribe(a->ctx, a->sub_id);
                a->subscribed = false;
        }
}

static void api_destroy(void *state)
{
        struct api *a = state;
        if (!a)
                return;
        if (a->httpd)
                api_stop(a);
        ops_free_all(a);
        metrics_free(a);
        api_list_cache_free(a);
        settings_clear(&a->set);
        free(a);
}

static int api_reload(void *state, const json_t *config)
{
        return -EOPNOTSUPP;     /* listeners and tokens change: restart */
}

GWD_PLUGIN_EXPORT const struct gwd_plugin gwd_plugin_entry = {
        GWD_PLUGIN_HEADER,
        .name = "api",
        .version = PACKAGE_VERSION,
        .description = "JSON REST admin API: objects, events, actions, drills, metrics",
        .check_config = api_check_config,
        .init = api_init,
        .start = api_start,
        .reload = api_reload,
        .stop = api_stop,
        .destroy = api_destroy,
};
