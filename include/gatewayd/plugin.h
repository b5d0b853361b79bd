/* SPDX-License-Identifier: MIT */
/*
 * gatewayd plugin ABI.
 *
 * A plugin is a shared object that exports exactly one symbol,
 * `gwd_plugin_entry`, a `const struct gwd_plugin`.  The daemon loads it with
 * dlopen(RTLD_NOW | RTLD_LOCAL), checks the ABI fields and then drives the
 * lifecycle hooks below.  Everything the plugin may ask of the daemon comes
 * through the `struct gwd_api` table it receives in init(); a plugin never
 * links against symbols of the daemon, so it can be unit-tested with any
 * host that fills the same table (libgwdcore does, for the CLI tools).
 *
 * Versioning rule
 *   GWD_ABI_MAJOR is bumped on any incompatible change: a field or hook
 *   removed, reordered or retyped, a changed meaning.  GWD_ABI_MINOR is reset
 *   to 0 then.  GWD_ABI_MINOR is bumped when something is appended at the
 *   end of a struct (hooks in gwd_plugin, services in gwd_api, ops in
 *   gwd_backend_ops).  The daemon refuses a plugin whose major differs or
 *   whose minor is newer than its own; an older minor is accepted and the
 *   fields it lacks (known from struct_size) are treated as absent.
 *
 * Threading
 *   Everything runs on the daemon's single sd-event loop thread: hooks,
 *   services, completions, event callbacks.  No service may be called from
 *   another thread.  A plugin that needs a thread talks to the loop through
 *   its own queue + eventfd registered on the loop.
 *
 * Errors
 *   Functions return 0 (or a non-negative count) on success and a negative
 *   errno on failure.  Services never log on the caller's behalf; the
 *   caller that knows the context logs once.
 *
 * Lifecycle of one plugin instance (one "instances" entry of the config)
 *   check_config()  may be called any number of times, without init, to
 *                   validate a section (--check-config, reload).
 *   init()          allocate state, parse config; no I/O that can block.
 *                   On failure it must release everything it took.
 *   start()         begin serving (open sockets, connect).  Called after
 *                   every instance has been initialised, in config order.
 *   reload()        optional: apply a changed section in place.  Return
 *                   -EOPNOTSUPP to let the daemon stop and re-create the
 *                   instance instead.
 *   stop()          stop serving; called in reverse config order.  After
 *                   stop() the plugin must not start new work; pending
 *                   backend completions must still be delivered (with
 *                   -ECANCELED) before or during destroy().
 *   destroy()       free everything; accepts state == NULL.
 */
#ifndef GATEWAYD_PLUGIN_H
#define GATEWAYD_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <systemd/sd-event.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GWD_ABI_MAJOR 1
#define GWD_ABI_MINOR 1

/* The one exported symbol of every plugin. */
#define GWD_PLUGIN_ENTRY_SYMBOL "gwd_plugin_entry"

/* Syslog priorities, as used by sd-journal and the "<N>" stderr prefix. */
enum gwd_log_level {
        GWD_LOG_ERR = 3,
        GWD_LOG_WARNING = 4,
        GWD_LOG_NOTICE = 5,
        GWD_LOG_INFO = 6,
        GWD_LOG_DEBUG = 7,
};

/* Opaque handle of one plugin instance, passed back to every service. */
struct gwd_ctx;

/* Opaque: see registry.h and backend.h. */
struct gwd_object;
struct gwd_share;

/* Collects configuration errors, each with its JSON path. */
struct gwd_conf_errors;

/* Types accepted by the table-driven config validator. */
enum gwd_conf_type {
        GWD_CONF_STRING = 1,
        GWD_CONF_INT,       /* integer within [min, max] */
        GWD_CONF_BOOL,
        GWD_CONF_OBJECT,    /* checked by the plugin itself */
        GWD_CONF_ARRAY,     /* checked by the plugin itself */
        GWD_CONF_ENUM,      /* string, one of `choices` */
};

struct gwd_conf_key {
        const char *name;
        int32_t type;               /* enum gwd_conf_type */
        int32_t required;           /* 1: missing key is an error */
        int64_t min, max;           /* GWD_CONF_INT range; ignored otherwise */
        const char *const *choices; /* GWD_CONF_ENUM: NULL-terminated */
};

/* Hooks for the object registry (registry.h). */
struct gwd_object_ops {
        uint32_t struct_size;
        /* Fill `details` (an empty JSON object) with the object's current
         * details.  Called whenever a client asks; must be cheap. */
        void (*snapshot)(void *userdata, json_t *details);
        /* Start action `name` (one of the names given at creation).
         * `args` is a JSON object (maybe empty), `requested_by` says who
         * asked and why ("api:token-name: reason").  Return 0 when the
         * action was started, -EBUSY when impossible in the current state,
         * -EINVAL for bad args, -EOPNOTSUPP for an unknown action.  The
         * result shows up as state changes (events), not as a callback. */
        int (*action)(void *userdata, const char *name, const json_t *args,
                      const char *requested_by);
};

/* One state change, as delivered to subscribers and kept in history. */
struct gwd_event {
        uint64_t seq;          /* strictly increasing, daemon-wide, from 1 */
        uint64_t time_usec;    /* CLOCK_REALTIME */
        uint64_t mono_usec;    /* CLOCK_MONOTONIC */
        const char *kind;      /* "tcon", "session", ... */
        const char *id;        /* unique within kind */
        const char *from;      /* previous state; "" when created */
        const char *to;        /* new state; "" when destroyed */
        const char *cause;     /* why, free text, never NULL */
};

typedef void (*gwd_event_fn)(void *userdata, const struct gwd_event *ev);

struct gwd_backend_ops;

/* Flags for object_to_json. */
#define GWD_JSON_HISTORY 0x1u

/*
 * Services of the daemon.  Every pointer is non-NULL.  Strings passed in
 * are copied unless stated otherwise.
 */
struct gwd_api {
        uint32_t struct_size;
        uint32_t abi_major, abi_minor;

        /* --- loop and logging ------------------------------------------ */
        sd_event *(*event)(struct gwd_ctx *ctx);
        /* Instance name as given in the config ("smb", "api", ...). */
        const char *(*instance_name)(struct gwd_ctx *ctx);
        void (*logv)(struct gwd_ctx *ctx, int level, const char *fmt, va_list ap);
        /* Run fn(arg) from the loop soon, never from inside this call. */
        int (*defer)(struct gwd_ctx *ctx, void (*fn)(void *arg), void *arg);

        /* --- configuration --------------------------------------------- */
        /* Record an error at JSON path `path` ("instances[0].config.port"). */
        void (*conf_error)(struct gwd_conf_errors *errs, const char *path,
                           const char *fmt, ...)
                __attribute__((format(printf, 3, 4)));
        /* Check `obj` (must be an object) against a table ending with a
         * {NULL} entry: unknown keys, types, ranges, required keys.  Each
         * problem is recorded; returns the number of problems. */
        int (*conf_check)(struct gwd_conf_errors *errs, const char *path,
                          const json_t *obj, const struct gwd_conf_key *keys);
        /* Resolve a secret.  `obj` may hold "<field>_file" (a path) or
         * "<field>_credential" (a name under $CREDENTIALS_DIRECTORY); the
         * value is read, a single trailing newline stripped, and returned
         * in *ret (malloc'd, caller frees).  -ENOENT when neither key is
         * present, other negative errno on read errors. */
        int (*secret_read)(const json_t *obj, const char *field, char **ret);

        /* --- object registry (see registry.h) --------------------------- */
        int (*object_new)(struct gwd_ctx *ctx, const char *kind, const char *id,
                          struct gwd_object *parent, const char *initial_state,
                          const char *const *actions,
                          const struct gwd_object_ops *ops, void *userdata,
                          struct gwd_object **ret);
        /* Record a state change (time, from, to, cause) and emit an event.
         * The registry does not judge the move: the plugin's transition
         * function does, before calling this. */
        void (*object_set_state)(struct gwd_object *obj, const char *state,
                                 const char *cause);
        const char *(*object_state)(const struct gwd_object *obj);
        /* Destroy, emitting a final event with to = "". Accepts NULL. */
        void (*object_free)(struct gwd_object *obj);

        /* --- backends (see backend.h) ---------------------------------- */
        int (*share_register)(struct gwd_ctx *ctx, const char *name,
                              const struct gwd_backend_ops *ops, void *userdata,
                              struct gwd_share **ret);
        void (*share_unregister)(struct gwd_share *share);

        /* --- registry readers, for frontends such as the admin API ------- */
        struct gwd_object *(*object_find)(struct gwd_ctx *ctx, const char *kind,
                                          const char *id);
        /* Calls fn for every object of `kind` (NULL: all) in creation
         * order; stops early and returns fn's value when it is non-zero.
         * fn must not create or free objects. */
        int (*object_foreach)(struct gwd_ctx *ctx, const char *kind,
                              int (*fn)(void *ud, struct gwd_object *obj),
                              void *ud);
        const char *(*object_kind)(const struct gwd_object *obj);
        const char *(*object_id)(const struct gwd_object *obj);
        struct gwd_object *(*object_parent)(const struct gwd_object *obj);
        /* New JSON object: kind, id, parent, state, since, details, actions
         * and (with GWD_JSON_HISTORY) the bounded state history. */
        json_t *(*object_to_json)(const struct gwd_object *obj, uint32_t flags);
        /* Run an action; the plugin's return value passes through, plus
         * -EOPNOTSUPP when the object does not offer `name`. */
        int (*object_action)(struct gwd_object *obj, const char *name,
                             const json_t *args, const char *requested_by);
        /* Event subscription; *ret_id is for unsubscribe. */
        int (*subscribe)(struct gwd_ctx *ctx, gwd_event_fn fn, void *ud,
                         uint64_t *ret_id);
        void (*unsubscribe)(struct gwd_ctx *ctx, uint64_t id);
        /* Replay kept events with seq > after, oldest first.  -ERANGE when
         * events after `after` were already dropped from the bounded log. */
        int (*events_since)(struct gwd_ctx *ctx, uint64_t after,
                            gwd_event_fn fn, void *ud);
        uint64_t (*events_last_seq)(struct gwd_ctx *ctx);

        /* --- backend users, for frontends ------------------------------ */
        struct gwd_share *(*share_find)(struct gwd_ctx *ctx, const char *name);
        int (*share_foreach)(struct gwd_ctx *ctx,
                             int (*fn)(void *ud, struct gwd_share *share),
                             void *ud);
        const char *(*share_name)(const struct gwd_share *share);
        /* The share's complete ops table: every op the backend left out is
         * a default that completes with -EOPNOTSUPP.  *ret_userdata is the
         * first argument every op takes. */
        const struct gwd_backend_ops *(*share_ops)(const struct gwd_share *share,
                                                   void **ret_userdata);
        /* 0 if `path` is acceptable to every backend (see backend.h),
         * -EINVAL or -ENAMETOOLONG otherwise. */
        int (*path_check)(const char *path);

        /* --- appended in minor versions go below -------------------------- */
        /* 1.1: calls fn for each child of `parent` (objects created with it
         * as parent), in creation order, without visiting the rest of the
         * registry; stops early and returns fn's value when non-zero. */
        int (*object_foreach_child)(const struct gwd_object *parent,
                                    int (*fn)(void *ud, struct gwd_object *obj),
                                    void *ud);
};

struct gwd_plugin {
        uint32_t abi_major;
        uint32_t abi_minor;
        uint32_t struct_size;     /* sizeof(struct gwd_plugin) at build time */
        const char *name;         /* must match the file name: <name>.so */
        const char *version;
        const char *description;

        int (*check_config)(const struct gwd_api *api, const json_t *config,
                            const char *path, struct gwd_conf_errors *errs);
        int (*init)(const struct gwd_api *api, struct gwd_ctx *ctx,
                    const json_t *config, void **ret_state);
        int (*start)(void *state);
        int (*reload)(void *state, const json_t *config);   /* may be NULL */
        void (*stop)(void *state);
        void (*destroy)(void *state);
        /* --- appended in minor versions go below -------------------------- */
};

/* Fills the ABI fields; use as the first initialiser of gwd_plugin_entry. */
#define GWD_PLUGIN_HEADER                                       \
        .abi_major = GWD_ABI_MAJOR, .abi_minor = GWD_ABI_MINOR, \
        .struct_size = sizeof(struct gwd_plugin)

#if defined(__GNUC__)
#define GWD_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define GWD_PLUGIN_EXPORT
#endif

/* Convenience: log through the host with printf-style arguments. */
static inline void gwd_log(const struct gwd_api *api, struct gwd_ctx *ctx,
                           int level, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static inline void gwd_log(const struct gwd_api *api, struct gwd_ctx *ctx,
                           int level, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        api->logv(ctx, level, fmt, ap);
        va_end(ap);
}

#ifdef __cplusplus
}
#endif

#endif /* GATEWAYD_PLUGIN_H */
