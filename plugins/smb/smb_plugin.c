/* SPDX-License-Identifier: MIT */
/*
 * plugins/smb: the SMB2/3 backend plugin.
 *
 * Each configured server gets one channel and one session; each gateway
 * share is a tree connect on its server, registered with the core under
 * the gateway share name.  Everything is published in the registry from
 * its first state (see smb_client.h for kinds and ids).  Connecting starts
 * in start() and runs in the background; operations that arrive before
 * the tree is good wait on its claim.  Configuration reference: docs/smb.md.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gatewayd/backend.h"
#include "gatewayd/plugin.h"
#include "gatewayd/registry.h"
#include "plugins/smb/ntstatus.h"
#include "plugins/smb/smb_client.h"
#include "plugins/smb/smb_fileops.h"

#define MAX_SERVERS 32
#define MAX_SHARES 256

struct smb_share_cfg {
        char *name;
        char *server;
        char *share;
        bool hard;                      /* recovery mode */
        uint32_t wait_ms;               /* reconnect_timeout or hard_timeout */
        struct smb_server *srv;
        struct smb_tcon *tcon;
        struct gwd_share *registered;
};

struct smb_plugin {
        const struct gwd_api *api;
        struct gwd_ctx *ctx;
        struct smb_server *servers;
        size_t n_servers;
        struct smb_share_cfg *shares;
        size_t n_shares;
        bool started;
};

/* --- configuration -------------------------------------------------------- */

static const char *const dialect_choices[] = { "2.0.2", "2.1", "3.0", "3.0.2", "3.1.1", NULL };
static const char *const signing_choices[] = { "required", "if_offered", "off", NULL };
static const char *const encryption_choices[] = { "off", "if_required", "always", NULL };

static const struct gwd_conf_key top_keys[] = {
        { "servers", GWD_CONF_ARRAY, 1, 0, 0, NULL },
        { "shares", GWD_CONF_ARRAY, 1, 0, 0, NULL },
        { NULL, 0, 0, 0, 0, NULL },
};

static const struct gwd_conf_key server_keys[] = {
        { "name", GWD_CONF_STRING, 1, 0, 0, NULL },
        { "host", GWD_CONF_STRING, 1, 0, 0, NULL },
        { "port", GWD_CONF_INT, 0, 1, 65535, NULL },
        { "user", GWD_CONF_STRING, 0, 0, 0, NULL },
        { "domain", GWD_CONF_STRING, 0, 0, 0, NULL },
        { "password_file", GWD_CONF_STRING, 0, 0, 0, NULL },
        { "password_credential", GWD_CONF_STRING, 0, 0, 0, NULL },
        { "dialect_min", GWD_CONF_ENUM, 0, 0, 0, dialect_choices },
        { "dialect_max", GWD_CONF_ENUM, 0, 0, 0, dialect_choices },
        { "signing", GWD_CONF_ENUM, 0, 0, 0, signing_choices },
        { "encryption", GWD_CONF_ENUM, 0, 0, 0, encryption_choices },
        { "ciphers", GWD_CONF_ARRAY, 0, 0, 0, NULL },
        { "connect_timeout", GWD_CONF_INT, 0, 1, 600, NULL },
        { "request_timeout", GWD_CONF_INT, 0, 1, 3600, NULL },
        { "echo_interval", GWD_CONF_INT, 0, 1, 600, NULL },
        { "allow_guest", GWD_CONF_BOOL, 0, 0, 0, NULL },
        { "io_depth", GWD_CONF_INT, 0, 1, 64, NULL },
        { "max_io", GWD_CONF_INT, 0, 65536, 8388608, NULL },
        { "reconnect_delay_first_ms", GWD_CONF_INT, 0, 0, 60000, NULL },
        { "reconnect_delay_min_ms", GWD_CONF_INT, 0, 1, 60000, NULL },
        { "reconnect_delay_max_ms", GWD_CONF_INT, 0, 1, 600000, NULL },
        { "reconnect_delay_refused_max_ms", GWD_CONF_INT, 0, 1, 600000, NULL },
        { "durable_handles", GWD_CONF_BOOL, 0, 0, 0, NULL },
        { "channels", GWD_CONF_INT, 0, 1, SMB_MAX_CHANNELS, NULL },
        { NULL, 0, 0, 0, 0, NULL },
};

static const char *const recovery_choices[] = { "soft", "hard", NULL };

static const struct gwd_conf_key share_keys[] = {
        { "name", GWD_CONF_STRING, 1, 0, 0, NULL },
        { "server", GWD_CONF_STRING, 1, 0, 0, NULL },
        { "share", GWD_CONF_STRING, 1, 0, 0, NULL },
        { "recovery", GWD_CONF_ENUM, 0, 0, 0, recovery_choices },
        { "reconnect_timeout", GWD_CONF_INT, 0, 0, 3600, NULL },
        { "hard_timeout", GWD_CONF_INT, 0, 1, 86400, NULL },
        { NULL, 0, 0, 0, 0, NULL },
};

#define DEFAULT_RECONNECT_TIMEOUT_S 30
#define DEFAULT_HARD_TIMEOUT_S 600

/* Names that end up in object ids: URL-safe. */
static bool valid_id_part(const char *n, size_t max)
{
        size_t len = n ? strlen(n) : 0;
        if (len == 0 || len > max || n[0] == '.')
                return false;
        for (; *n; n++)
                if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') ||
                      (*n >= '0' && *n <= '9') || *n == '_' || *n == '.' || *n == '-'))
                        return false;
        return true;
}

static bool valid_smb_share(const char *n)
{
        size_t len = n ? strlen(n) : 0;
        if (len == 0 || len > 80)
                return false;
        for (; *n; n++)
                if ((unsigned char)*n < 0x20 || strchr("\\/:*?\"<>|", *n))
                        return false;
        return true;
}

static const char *str(const json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

static int check_server(const struct gwd_api *api, const json_t *s, const char *sub,
                        struct gwd_conf_errors *errs)
{
        int problems = api->conf_check(errs, sub, s, server_keys);
        char p[400];

        /* Semantic checks run even after type errors, on what is usable. */
        if (str(s, "name") && !valid_id_part(str(s, "name"), 48)) {
                snprintf(p, sizeof(p), "%s.name", sub);
                api->conf_error(errs, p, "must be 1..48 of [A-Za-z0-9_.-], not starting with '.'");
                problems++;
        }
        if (str(s, "host") && (!*str(s, "host") || strlen(str(s, "host")) > 253 || strpbrk(str(s, "host"), " /\\"))) {
                snprintf(p, sizeof(p), "%s.host", sub);
                api->conf_error(errs, p, "must be a host name or an IP address");
                problems++;
        }
        bool has_file = json_object_get(s, "password_file") != NULL;
        bool has_cred = json_object_get(s, "password_credential") != NULL;
        bool guest = json_is_true(json_object_get(s, "allow_guest"));
        if (has_file && has_cred) {
                api->conf_error(errs, sub, "give either password_file or password_credential");
                problems++;
        } else if (!has_file && !has_cred && !guest) {
                api->conf_error(errs, sub, "needs password_file or password_credential "
                                           "(or allow_guest)");
                problems++;
        }
        if (!guest && !json_object_get(s, "user")) {
                snprintf(p, sizeof(p), "%s.user", sub);
                api->conf_error(errs, p, "is required (unless allow_guest)");
                problems++;
        }
        const json_t *dmn = json_object_get(s, "reconnect_delay_min_ms");
        const json_t *dmx = json_object_get(s, "reconnect_delay_max_ms");
        if (json_is_integer(dmn) && json_is_integer(dmx) &&
            json_integer_value(dmn) > json_integer_value(dmx)) {
                snprintf(p, sizeof(p), "%s.reconnect_delay_min_ms", sub);
                api->conf_error(errs, p, "is above reconnect_delay_max_ms");
                problems++;
        }
        const char *dmin = str(s, "dialect_min"), *dmax = str(s, "dialect_max");
        const json_t *chans = json_object_get(s, "channels");
        if (dmax && json_is_integer(chans) && json_integer_value(chans) > 1 &&
            smb_dialect_parse(dmax) < SMB2_DIALECT_300) {
                snprintf(p, sizeof(p), "%s.channels", sub);
                api->conf_error(errs, p, "multichannel needs SMB 3.0 or later (dialect_max is "
                                         "\"%s\")", dmax);
                problems++;
        }
        if (dmin && dmax && smb_dialect_parse(dmin) > smb_dialect_parse(dmax)) {
                snprintf(p, sizeof(p), "%s.dialect_min", sub);
                api->conf_error(errs, p, "\"%s\" is above dialect_max \"%s\"", dmin, dmax);
                problems++;
        }
        const json_t *ciphers = json_object_get(s, "ciphers");
        if (json_is_array(ciphers)) {
                size_t n = json_array_size(ciphers);
                if (n < 1 || n > SMB_MAX_CIPHERS) {
                        snprintf(p, sizeof(p), "%s.ciphers", sub);
                        api->conf_error(errs, p, "must list 1..%d ciphers", SMB_MAX_CIPHERS);
                        problems++;
                }
                for (size_t i = 0; i < n; i++) {
                        const char *c = json_string_value(json_array_get(ciphers, i));
                        snprintf(p, sizeof(p), "%s.ciphers[%zu]", sub, i);
                        if (!smb_cipher_parse(c)) {
                                api->conf_error(errs, p, "must be one of AES-128-CCM, "
                                                         "AES-128-GCM, AES-256-CCM, AES-256-GCM");
                                problems++;
                                continue;
                        }
                        for (size_t j = 0; j < i; j++)
                                if (smb_cipher_parse(json_string_value(
                                            json_array_get(ciphers, j))) == smb_cipher_parse(c)) {
                                        api->conf_error(errs, p, "\"%s\" is listed twice", c);
                                        problems++;
                                }
                }
        }
        return problems;
}

static int smb_check_config(const struct gwd_api *api, const json_t *config, const char *path,
                            struct gwd_conf_errors *errs)
{
        int problems = api->conf_check(errs, path, config, top_keys);
        const json_t *servers = json_object_get(config, "servers");
        const json_t *shares = json_object_get(config, "shares");
        char sub[300];

        if (!json_is_array(servers) || !json_is_array(shares))
                return problems;
        if (json_array_size(servers) < 1 || json_array_size(servers) > MAX_SERVERS) {
                snprintf(sub, sizeof(sub), "%s.servers", path);
                api->conf_error(errs, sub, "must list 1..%d servers", MAX_SERVERS);
                problems++;
        }
        if (json_array_size(shares) < 1 || json_array_size(shares) > MAX_SHARES) {
                snprintf(sub, sizeof(sub), "%s.shares", path);
                api->conf_error(errs, sub, "must list 1..%d shares", MAX_SHARES);
                problems++;
        }
        for (size_t i = 0; i < json_array_size(servers); i++) {
                const json_t *s = json_array_get(servers, i);
                snprintf(sub, sizeof(sub), "%s.servers[%zu]", path, i);
                int p = check_server(api, s, sub, errs);
                problems += p;
                if (p)
                        continue;
                for (size_t j = 0; j < i; j++)
                        if (json_is_string(json_object_get(json_array_get(servers, j), "name")) &&
                            strcmp(str(json_array_get(servers, j), "name"), str(s, "name")) == 0) {
                                api->conf_error(errs, sub, "server name \"%s\" is used twice",
                                                str(s, "name"));
                                problems++;
                        }
        }
        for (size_t i = 0; i < json_array_size(shares); i++) {
                const json_t *sh = json_array_get(shares, i);
                char p[400];
                snprintf(sub, sizeof(sub), "%s.shares[%zu]", path, i);
                if (api->conf_check(errs, sub, sh, share_keys) > 0) {
                        problems++;
                        continue;
                }
                if (!valid_id_part(str(sh, "name"), 64)) {
                        snprintf(p, sizeof(p), "%s.name", sub);
                        api->conf_error(errs, p, "must be 1..64 of [A-Za-z0-9_.-], not "
                                                 "starting with '.'");
                        problems++;
                }
                if (!valid_smb_share(str(sh, "share"))) {
                        snprintf(p, sizeof(p), "%s.share", sub);
                        api->conf_error(errs, p, "must be an SMB share name (1..80 characters, "
                                                 "none of \\/:*?\"<>|)");
                        problems++;
                }
                bool found = false;
                for (size_t j = 0; j < json_array_size(servers); j++)
                        if (json_is_string(json_object_get(json_array_get(servers, j), "name")) &&
                            strcmp(str(json_array_get(servers, j), "name"), str(sh, "server")) ==
                                    0)
                                found = true;
                if (!found) {
                        snprintf(p, sizeof(p), "%s.server", sub);
                        api->conf_error(errs, p, "no server named \"%s\"", str(sh, "server"));
                        problems++;
                }
                for (size_t j = 0; j < i; j++)
                        if (json_is_string(json_object_get(json_array_get(shares, j), "name")) &&
                            strcmp(str(json_array_get(shares, j), "name"), str(sh, "name")) == 0) {
                                api->conf_error(errs, sub, "share name \"%s\" is used twice",
                                                str(sh, "name"));
                                problems++;
                        }
        }
        return problems;
}

static char *dup_or(const json_t *o, const char *key, const char *dflt)
{
        const char *v = str(o, key);
        return strdup(v ? v : dflt);
}

static int parse_server(const struct gwd_api *api, const json_t *s, struct smb_server_conf *c)
{
        const json_t *v;
        int r;

        smb_server_conf_defaults(c);
        c->name = dup_or(s, "name", "");
        c->host = dup_or(s, "host", "");
        c->user = dup_or(s, "user", "");
        c->domain = dup_or(s, "domain", "");
        if (!c->name || !c->host || !c->user || !c->domain)
                return -ENOMEM;
        if ((v = json_object_get(s, "port")))
                c->port = (uint16_t)json_integer_value(v);
        if ((v = json_object_get(s, "dialect_min")))
                c->dialect_min = smb_dialect_parse(json_string_value(v));
        if ((v = json_object_get(s, "dialect_max")))
                c->dialect_max = smb_dialect_parse(json_string_value(v));
        if ((v = json_object_get(s, "signing"))) {
                const char *m = json_string_value(v);
                c->signing = strcmp(m, "required") == 0 ? SMB_SIGNING_REQUIRED
                             : strcmp(m, "off") == 0    ? SMB_SIGNING_OFF
                                                        : SMB_SIGNING_IF_OFFERED;
        }
        if ((v = json_object_get(s, "encryption"))) {
                const char *m = json_string_value(v);
                c->encryption = strcmp(m, "always") == 0 ? SMB_ENCRYPTION_ALWAYS
                                : strcmp(m, "off") == 0  ? SMB_ENCRYPTION_OFF
                                                         : SMB_ENCRYPTION_IF_REQUIRED;
        }
        if ((v = json_object_get(s, "ciphers"))) {
                c->n_ciphers = 0;
                for (size_t i = 0; i < json_array_size(v) && i < SMB_MAX_CIPHERS; i++)
                        c->ciphers[c->n_ciphers++] =
                                smb_cipher_parse(json_string_value(json_array_get(v, i)));
        }
        if ((v = json_object_get(s, "connect_timeout")))
                c->connect_timeout_ms = (uint32_t)json_integer_value(v) * 1000u;
        if ((v = json_object_get(s, "request_timeout")))
                c->request_timeout_ms = (uint32_t)json_integer_value(v) * 1000u;
        if ((v = json_object_get(s, "echo_interval")))
                c->echo_interval_s = (uint32_t)json_integer_value(v);
        if ((v = json_object_get(s, "io_depth")))
                c->io_depth = (unsigned)json_integer_value(v);
        if ((v = json_object_get(s, "max_io")))
                c->max_io = (uint32_t)json_integer_value(v);
        if ((v = json_object_get(s, "reconnect_delay_first_ms")))
                c->backoff.first_ms = (uint32_t)json_integer_value(v);
        if ((v = json_object_get(s, "reconnect_delay_min_ms")))
                c->backoff.min_ms = (uint32_t)json_integer_value(v);
        if ((v = json_object_get(s, "reconnect_delay_max_ms")))
                c->backoff.max_ms = (uint32_t)json_integer_value(v);
        if ((v = json_object_get(s, "reconnect_delay_refused_max_ms")))
                c->backoff.refused_max_ms = (uint32_t)json_integer_value(v);
        if (c->backoff.min_ms > c->backoff.max_ms)
                c->backoff.min_ms = c->backoff.max_ms;
        if ((v = json_object_get(s, "durable_handles")))
                c->durable_handles = json_is_true(v);
        if ((v = json_object_get(s, "channels")))
                c->channels = (unsigned)json_integer_value(v);
        c->allow_guest = json_is_true(json_object_get(s, "allow_guest"));
        r = api->secret_read(s, "password", &c->password);
        if (r == -ENOENT && c->allow_guest) {
                c->password = strdup("");
                r = c->password ? 0 : -ENOMEM;
        }
        return r;
}

/* --- lifecycle ---------------------------------------------------------------- */

static void smb_destroy(void *state);

static int smb_init(const struct gwd_api *api, struct gwd_ctx *ctx, const json_t *config,
                    void **ret_state)
{
        const json_t *servers = json_object_get(config, "servers");
        const json_t *shares = json_object_get(config, "shares");
        struct smb_plugin *p = calloc(1, sizeof(*p));
        int r;

        if (!p)
                return -ENOMEM;
        p->api = api;
        p->ctx = ctx;
        p->servers = calloc(json_array_size(servers) + 1, sizeof(*p->servers));
        p->shares = calloc(json_array_size(shares) + 1, sizeof(*p->shares));
        if (!p->servers || !p->shares) {
                smb_destroy(p);
                return -ENOMEM;
        }
        for (size_t i = 0; i < json_array_size(servers); i++) {
                const json_t *s = json_array_get(servers, i);
                p->n_servers++;
                r = parse_server(api, s, &p->servers[i].conf);
                if (r < 0) {
                        gwd_log(api, ctx, GWD_LOG_ERR, "server \"%s\": cannot read the password: %s",
                                str(s, "name"), strerror(-r));
                        smb_destroy(p);
                        return r;
                }
                p->servers[i].userdata = p;
        }
        for (size_t i = 0; i < json_array_size(shares); i++) {
                const json_t *sh = json_array_get(shares, i);
                struct smb_share_cfg *c = &p->shares[i];
                p->n_shares++;
                c->name = dup_or(sh, "name", "");
                c->server = dup_or(sh, "server", "");
                c->share = dup_or(sh, "share", "");
                c->hard = str(sh, "recovery") && strcmp(str(sh, "recovery"), "hard") == 0;
                const json_t *to = json_object_get(sh, c->hard ? "hard_timeout"
                                                               : "reconnect_timeout");
                c->wait_ms = 1000u * (uint32_t)(to ? json_integer_value(to)
                                                   : c->hard ? DEFAULT_HARD_TIMEOUT_S
                                                             : DEFAULT_RECONNECT_TIMEOUT_S);
                if (!c->name || !c->server || !c->share) {
                        smb_destroy(p);
                        return -ENOMEM;
                }
                for (size_t j = 0; j < p->n_servers; j++)
                        if (strcmp(p->servers[j].conf.name, c->server) == 0)
                                c->srv = &p->servers[j];
                if (!c->srv) {
                        smb_destroy(p);
                        return -EINVAL;
                }
        }
        *ret_state = p;
        return 0;
}

static void on_tcon_result(struct smb_server *srv, struct smb_tcon *t, int error)
{
        struct smb_plugin *p = srv->userdata;
        struct smb_conn *c = srv->conn;
        char buf[300];

        /* The engine retries with backoff: log changes, not every attempt. */
        if (error == t->logged_error)
                return;
        int before = t->logged_error;
        t->logged_error = error;
        if (error == 0) {
                gwd_log(p->api, p->ctx, before < 0 ? GWD_LOG_NOTICE : GWD_LOG_INFO,
                        "%s: good: %s, SMB %s, signing %s, %s%s", t->id, t->unc,
                        smb_dialect_name(c->dialect),
                        srv->ses->signing ? smb_sign_alg_name(c->sign_alg) : "off",
                        t->encrypt ? "encrypted with " : "not encrypted",
                        t->encrypt ? smb_cipher_name(c->cipher) : "");
                return;
        }
        if (error == -ECANCELED)
                return;
        gwd_log(p->api, p->ctx, GWD_LOG_WARNING, "%s: cannot connect %s: %s", t->id, t->unc,
                smb_server_error(srv, t, error, buf, sizeof(buf)));
}

static int smb_start(void *state)
{
        struct smb_plugin *p = state;
        const struct gwd_api *api = p->api;
        int r;

        for (size_t i = 0; i < p->n_servers; i++) {
                struct smb_server *srv = &p->servers[i];
                srv->on_tcon_result = on_tcon_result;
                r = smb_server_create(srv, api, p->ctx);
                if (r < 0) {
                        gwd_log(api, p->ctx, GWD_LOG_ERR, "server \"%s\": cannot set up: %s",
                                srv->conf.name, strerror(-r));
                        return r;
                }
        }
        for (size_t i = 0; i < p->n_shares; i++) {
                struct smb_share_cfg *c = &p->shares[i];
                r = smb_server_add_tcon(c->srv, c->name, c->share, &c->tcon);
                if (r == 0) {
                        c->tcon->hard = c->hard;
                        c->tcon->wait_ms = c->wait_ms;
                }
                if (r < 0) {
                        gwd_log(api, p->ctx, GWD_LOG_ERR, "share \"%s\": cannot set up: %s",
                                c->name, strerror(-r));
                        return r;
                }
                r = api->share_register(p->ctx, c->name, &smb_backend_ops, c->tcon,
                                        &c->registered);
                if (r < 0) {
                        gwd_log(api, p->ctx, GWD_LOG_ERR, "cannot register share \"%s\": %s",
                                c->name, r == -EEXIST ? "another instance has a share of "
                                                        "that name" : strerror(-r));
                        return r;
                }
        }
        p->started = true;
        for (size_t i = 0; i < p->n_servers; i++)
                smb_server_bring_up(&p->servers[i]);
        gwd_log(api, p->ctx, GWD_LOG_INFO, "%zu share%s on %zu server%s; connecting",
                p->n_shares, p->n_shares == 1 ? "" : "s", p->n_servers,
                p->n_servers == 1 ? "" : "s");
        return 0;
}

static void smb_stop(void *state)
{
        struct smb_plugin *p = state;

        for (size_t i = 0; i < p->n_shares; i++) {
                if (p->shares[i].registered)
                        p->api->share_unregister(p->shares[i].registered);
                p->shares[i].registered = NULL;
                p->shares[i].tcon = NULL;
        }
        /* Every pending operation completes with -ECANCELED (deferred). */
        for (size_t i = 0; i < p->n_servers; i++)
                smb_server_destroy(&p->servers[i]);
        p->started = false;
}

static void smb_destroy(void *state)
{
        struct smb_plugin *p = state;
        if (!p)
                return;
        smb_stop(p);
        for (size_t i = 0; i < p->n_servers; i++)
                smb_server_conf_clear(&p->servers[i].conf);
        for (size_t i = 0; i < p->n_shares; i++) {
                free(p->shares[i].name);
                free(p->shares[i].server);
                free(p->shares[i].share);
        }
        free(p->servers);
        free(p->shares);
        free(p);
}

GWD_PLUGIN_EXPORT const struct gwd_plugin gwd_plugin_entry = {
        GWD_PLUGIN_HEADER,
        .name = "smb",
        .version = PACKAGE_VERSION,
        .description = "SMB2/3 backend (dialects 2.0.2 to 3.1.1, signing, encryption)",
        .check_config = smb_check_config,
        .init = smb_init,
        .start = smb_start,
        .stop = smb_stop,
        .destroy = smb_destroy,
};
