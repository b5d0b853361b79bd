/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "conf.h"
#include "daemon.h"
#include "defer.h"
#include "host.h"
#include "loader.h"
#include "log.h"

#ifndef PLUGINDIR
#define PLUGINDIR "/usr/lib/gatewayd/plugins"
#endif

struct instance {
        char *name;
        struct loaded_plugin *plugin;   /* owned by daemon->plugins */
        struct gwd_ctx *ctx;
        void *state;
        json_t *entry;                  /* our reference, for change detection */
        json_t *config;                 /* our reference, what the plugin got */
        int started;
};

struct daemon {
        sd_event *loop;
        struct gwd_host *host;
        char *config_path;
        struct gwd_config *cfg;
        struct instance **inst;
        size_t n_inst;
        struct loaded_plugin **plugins;
        char **plugin_names;
        size_t n_plugins;
        sd_event_source *sig_term, *sig_int, *sig_hup;
        void (*ready_fn)(void *ud, int code);
        void *ready_ud;
        unsigned reloads, reload_failures;
};

int daemon_new(const char *config_path, struct daemon **ret)
{
        struct daemon *d = calloc(1, sizeof(*d));
        int r;

        if (!d || !(d->config_path = strdup(config_path))) {
                free(d);
                return -ENOMEM;
        }
        r = sd_event_new(&d->loop);
        if (r >= 0)
                r = host_new(d->loop, &d->host);
        if (r < 0) {
                daemon_free(d);
                return r;
        }
        *ret = d;
        return 0;
}

void daemon_set_ready_hook(struct daemon *d, void (*fn)(void *ud, int code), void *ud)
{
        d->ready_fn = fn;
        d->ready_ud = ud;
}

static const char *plugin_search_path(const struct gwd_config *cfg)
{
        const char *env = getenv("GWD_PLUGIN_DIR");
        if (env && *env)
                return env;
        if (cfg && cfg->plugin_dir)
                return cfg->plugin_dir;
        return PLUGINDIR;
}

/* Load a plugin once; later instances of the same plugin share it. */
static int get_plugin(struct daemon *d, const struct gwd_config *cfg, const char *name,
                      struct loaded_plugin **ret, char **ret_error)
{
        struct loaded_plugin *p, **grown_p;
        char *copy, **grown_n;
        int r;

        for (size_t i = 0; i < d->n_plugins; i++)
                if (strcmp(d->plugin_names[i], name) == 0) {
                        *ret = d->plugins[i];
                        return 0;
                }
        r = plugin_load(plugin_search_path(cfg), name, &p, ret_error);
        if (r < 0)
                return r;
        grown_p = realloc(d->plugins, (d->n_plugins + 1) * sizeof(*grown_p));
        if (grown_p)
                d->plugins = grown_p;
        grown_n = realloc(d->plugin_names, (d->n_plugins + 1) * sizeof(*grown_n));
        if (grown_n)
                d->plugin_names = grown_n;
        copy = strdup(name);
        if (!grown_p || !grown_n || !copy) {
                free(copy);
                plugin_unload(p);
                *ret_error = strdup("out of memory");
                return -ENOMEM;
        }
        d->plugins[d->n_plugins] = p;
        d->plugin_names[d->n_plugins++] = copy;
        *ret = p;
        return 0;
}

/*
 * Load every plugin `cfg` names and let each validate its section.
 * Returns 0, EXIT_CONFIG or EXIT_FAILURE; problems are logged.
 */
static int validate(struct daemon *d, const struct gwd_config *cfg)
{
        struct gwd_conf_errors errs;
        int code = 0;

        conf_errors_init(&errs);
        for (size_t i = 0; i < cfg->n_instances; i++) {
                const struct instance_conf *ic = &cfg->instances[i];
                struct loaded_plugin *p;
                char path[64], *error = NULL;
                int r;

                r = get_plugin(d, cfg, ic->plugin, &p, &error);
                if (r == -ENOENT) {
                        snprintf(path, sizeof(path), "instances[%zu].plugin", i);
                        conf_error(&errs, path, "%s", error ? error : "plugin not found");
                        free(error);
                        continue;
                }
                if (r < 0) {
                        log_error("%s", error ? error : "cannot load plugin");
                        free(error);
                        code = EXIT_FAILURE;
                        continue;
                }
                if (p->hooks.check_config) {
                        snprintf(path, sizeof(path), "instances[%zu].config", i);
                        p->hooks.check_config(host_api(), ic->config, path, &errs);
                }
        }
        if (errs.n || errs.dropped) {
                conf_errors_log(&errs, cfg->path);
                if (!code)
                        code = EXIT_CONFIG;
        }
        conf_errors_done(&errs);
        return code;
}

/* Load and fully validate (daemon part and every plugin section), logging
 * every problem.  Returns 0 with *ret set, or an exit code. */
static int load_config(struct daemon *d, struct gwd_config **ret)
{
        struct gwd_conf_errors errs;
        struct gwd_config *cfg = NULL;
        int r, code;

        conf_errors_init(&errs);
        r = config_load(d->config_path, &cfg, &errs);
        if (r < 0)
                conf_errors_log(&errs, d->config_path);
        conf_errors_done(&errs);
        if (!cfg)
                return EXIT_CONFIG;
        code = validate(d, cfg);
        if (r < 0 && !code)
                code = EXIT_CONFIG;
        if (code) {
                config_free(cfg);
                return code;
        }
        *ret = cfg;
        return 0;
}

int daemon_check_config(struct daemon *d)
{
        struct gwd_config *cfg = NULL;
        int code = load_config(d, &cfg);
        config_free(cfg);
        return code;
}

/* --- instances ---------------------------------------------------------- */

static void instance_free(struct instance *in)
{
        if (!in)
                return;
        if (in->state && in->plugin)
                in->plugin->hooks.destroy(in->state);
        host_ctx_free(in->ctx);
        json_decref(in->entry);
        json_decref(in->config);
        free(in->name);
        free(in);
}

static int instance_create(struct daemon *d, const struct gwd_config *cfg,
                           const struct instance_conf *ic, struct instance **ret)
{
        struct instance *in = calloc(1, sizeof(*in));
        char *error = NULL;
        int r;

        if (!in || !(in->name = strdup(ic->name))) {
                free(in);
                return -ENOMEM;
        }
        r = get_plugin(d, cfg, ic->plugin, &in->plugin, &error);
        if (r < 0) {
                log_error("%s", error ? error : "cannot load plugin");
                free(error);
                instance_free(in);
                return r;
        }
        in->entry = json_incref(ic->entry);
        in->config = json_incref(ic->config);
        r = host_ctx_new(d->host, ic->name, &in->ctx);
        if (r < 0) {
                instance_free(in);
                return r;
        }
        r = in->plugin->hooks.init(host_api(), in->ctx, in->config, &in->state);
        if (r < 0) {
                log_error("%s: plugin %s failed to initialise: %s", in->name,
                          in->plugin->entry->name, strerror(-r));
                in->state = NULL;       /* init must have released its state */
                instance_free(in);
                return r;
        }
        *ret = in;
        return 0;
}

static int instance_start(struct instance *in)
{
        int r = in->plugin->hooks.start(in->state);
        if (r < 0) {
                log_error("%s: plugin %s failed to start: %s", in->name,
                          in->plugin->entry->name, strerror(-r));
                return r;
        }
        in->started = 1;
        return 0;
}

static void instance_stop(struct instance *in)
{
        if (!in->started)
                return;
        in->plugin->hooks.stop(in->state);
        in->started = 0;
}

static void drain(struct daemon *d)
{
        /* Completions queued by stop() (-ECANCELED) reach their owners
         * before anything is destroyed. */
        defer_queue_drain(host_defer_queue(d->host));
}

static void stop_all(struct daemon *d)
{
        for (size_t i = d->n_inst; i-- > 0;)
                instance_stop(d->inst[i]);
        drain(d);
        for (size_t i = d->n_inst; i-- > 0;) {
                instance_free(d->inst[i]);
                d->inst[i] = NULL;
        }
        drain(d);
        d->n_inst = 0;
}

static void notify_status(struct daemon *d, const char *what)
{
        sd_notifyf(0, "STATUS=%s: %zu instance%s running%s", what, d->n_inst,
                   d->n_inst == 1 ? "" : "s",
                   d->reload_failures ? " (last reload failed, old config kept)" : "");
}

/* --- reload ------------------------------------------------------------- */

static struct instance *take_instance(struct instance **old, size_t n_old, const char *name,
                                      const char *plugin)
{
        for (size_t i = 0; i < n_old; i++)
                if (old[i] && strcmp(old[i]->name, name) == 0 &&
                    strcmp(old[i]->plugin->entry->name, plugin) == 0) {
                        struct instance *in = old[i];
                        old[i] = NULL;
                        return in;
                }
        return NULL;
}

static void daemon_reload(struct daemon *d)
{
        struct gwd_config *cfg = NULL;
        struct instance **old, **next;
        size_t n_old, n_next = 0;
        struct timespec ts;
        int code;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=Reloading %s",
                   (unsigned long long)ts.tv_sec * 1000000ull +
                           (unsigned long long)ts.tv_nsec / 1000ull,
                   d->config_path);
        log_info("reloading %s", d->config_path);
        d->reloads++;

        code = load_config(d, &cfg);
        if (code) {
                log_error("reload of %s rejected; still running on the previous configuration",
                          d->config_path);
                d->reload_failures = 1;
                notify_status(d, "Running");
                sd_notify(0, "READY=1");
                return;
        }

        next = calloc(cfg->n_instances, sizeof(*next));
        if (!next) {
                config_free(cfg);
                log_error("reload: out of memory; still running on the previous configuration");
                sd_notify(0, "READY=1");
                return;
        }
        old = d->inst;
        n_old = d->n_inst;

        /* Instances that are gone: stop in reverse order, then free. */
        for (size_t i = n_old; i-- > 0;) {
                if (!config_find_instance(cfg, old[i]->name) ||
                    strcmp(config_find_instance(cfg, old[i]->name)->plugin,
                           old[i]->plugin->entry->name) != 0) {
                        log_info("%s: removed from the configuration; stopping", old[i]->name);
                        instance_stop(old[i]);
                        drain(d);
                        instance_free(old[i]);
                        old[i] = NULL;
                }
        }

        for (size_t i = 0; i < cfg->n_instances; i++) {
                const struct instance_conf *ic = &cfg->instances[i];
                struct instance *in = take_instance(old, n_old, ic->name, ic->plugin);

                if (in && json_equal(in->entry, ic->entry)) {
                        next[n_next++] = in;    /* untouched, connections kept */
                        continue;
                }
                if (in && in->plugin->hooks.reload) {
                        int r = in->plugin->hooks.reload(in->state, ic->config);
                        if (r == 0) {
                                log_info("%s: reloaded in place", in->name);
                                json_decref(in->entry);
                                json_decref(in->config);
                                in->entry = json_incref(ic->entry);
                                in->config = json_incref(ic->config);
                                next[n_next++] = in;
                                continue;
                        }
                        if (r != -EOPNOTSUPP) {
                                log_error("%s: reload failed (%s); keeping its previous "
                                          "configuration", in->name, strerror(-r));
                                d->reload_failures = 1;
                                next[n_next++] = in;
                                continue;
                        }
                }
                if (in) {
                        log_info("%s: configuration changed; restarting the instance", in->name);
                        instance_stop(in);
                        drain(d);
                        instance_free(in);
                }
                struct instance *fresh = NULL;
                if (instance_create(d, cfg, ic, &fresh) < 0 || instance_start(fresh) < 0) {
                        log_error("%s: could not be started after reload", ic->name);
                        d->reload_failures = 1;
                        if (fresh) {
                                drain(d);
                                instance_free(fresh);
                        }
                        continue;
                }
                next[n_next++] = fresh;
        }
        free(old);
        d->inst = next;
        d->n_inst = n_next;
        config_free(d->cfg);
        d->cfg = cfg;
        log_set_max_level(cfg->log_level);
        d->reload_failures = 0;
        log_info("reload complete: %zu instance%s running", n_next, n_next == 1 ? "" : "s");
        notify_status(d, "Running");
        sd_notify(0, "READY=1");
}

/* --- signals and the loop ------------------------------------------------ */

static int on_terminate(sd_event_source *s, const struct signalfd_siginfo *si, void *ud)
{
        struct daemon *d = ud;
        log_info("received %s; stopping", strsignal((int)si->ssi_signo));
        sd_notify(0, "STOPPING=1\nSTATUS=Stopping");
        stop_all(d);
        sd_event_exit(d->loop, 0);
        return 0;
}

static int on_hup(sd_event_source *s, const struct signalfd_siginfo *si, void *ud)
{
        daemon_reload(ud);
        return 0;
}

int daemon_start(struct daemon *d)
{
        sigset_t mask;
        int code, r;

        code = load_config(d, &d->cfg);
        if (code)
                return code;
        log_set_max_level(d->cfg->log_level);

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);
        r = sd_event_add_signal(d->loop, &d->sig_term, SIGTERM, on_terminate, d);
        if (r >= 0)
                r = sd_event_add_signal(d->loop, &d->sig_int, SIGINT, on_terminate, d);
        if (r >= 0)
                r = sd_event_add_signal(d->loop, &d->sig_hup, SIGHUP, on_hup, d);
        if (r < 0) {
                log_error("cannot set up signal handling: %s", strerror(-r));
                return EXIT_FAILURE;
        }
        r = sd_event_set_watchdog(d->loop, 1);
        if (r < 0)
                log_warning("cannot enable the watchdog: %s", strerror(-r));
        else if (r > 0)
                log_debug("systemd watchdog enabled");

        d->inst = calloc(d->cfg->n_instances, sizeof(*d->inst));
        if (!d->inst)
                return EXIT_FAILURE;
        sd_notify(0, "STATUS=Starting plugins");
        for (size_t i = 0; i < d->cfg->n_instances; i++) {
                r = instance_create(d, d->cfg, &d->cfg->instances[i], &d->inst[d->n_inst]);
                if (r < 0) {
                        stop_all(d);
                        return EXIT_FAILURE;
                }
                d->n_inst++;
        }
        for (size_t i = 0; i < d->n_inst; i++) {
                if (instance_start(d->inst[i]) < 0) {
                        stop_all(d);
                        return EXIT_FAILURE;
                }
        }
        log_info("started %zu instance%s from %s", d->n_inst, d->n_inst == 1 ? "" : "s",
                 d->config_path);
        notify_status(d, "Running");
        sd_notify(0, "READY=1");
        if (d->ready_fn)
                d->ready_fn(d->ready_ud, 0);
        return 0;
}

int daemon_run(struct daemon *d)
{
        int r = sd_event_loop(d->loop);
        if (r < 0) {
                log_error("event loop failed: %s", strerror(-r));
                stop_all(d);
                return EXIT_FAILURE;
        }
        return r;
}

void daemon_free(struct daemon *d)
{
        if (!d)
                return;
        stop_all(d);
        free(d->inst);
        sd_event_source_disable_unref(d->sig_term);
        sd_event_source_disable_unref(d->sig_int);
        sd_event_source_disable_unref(d->sig_hup);
        host_free(d->host);
        for (size_t i = 0; i < d->n_plugins; i++) {
                plugin_unload(d->plugins[i]);
                free(d->plugin_names[i]);
        }
        free(d->plugins);
        free(d->plugin_names);
        config_free(d->cfg);
        sd_event_unref(d->loop);
        free(d->config_path);
        free(d);
}
