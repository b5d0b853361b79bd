/* SPDX-License-Identifier: MIT */
/*
 * gatewayd object registry conventions.
 *
 * Plugins publish their live objects (connections, sessions, channels, tree
 * connects, ...) so that frontends such as the admin API can render and act
 * on them without knowing the plugin.  The services are in struct gwd_api
 * (plugin.h): object_new, object_set_state, object_free for publishers;
 * object_find, object_foreach, object_to_json, object_action, subscribe,
 * events_since for readers.
 *
 * Objects
 *   - `kind` is a short lower-case word ("server", "session", "channel",
 *     "tcon", "share"); `id` is unique within its kind for the daemon's
 *     lifetime and URL-safe ([A-Za-z0-9._-], at most GWD_ID_MAX bytes).
 *   - `parent` (may be NULL) must outlive the child: free children first.
 *   - The state is a lower-case name chosen by the plugin ("good",
 *     "need_reconnect", ...).  The registry keeps the time the object
 *     entered it and the last GWD_HISTORY_MAX changes (time, from, to,
 *     cause).
 *   - `details` are produced on demand by ops->snapshot(); they are never
 *     cached, so what a client sees is current.
 *   - object_to_json(obj, flags | GWD_JSON_SERIALIZED) returns, instead of
 *     a JSON object, a JSON *string* holding that object's compact text
 *     (the bytes json_dumps(JSON_COMPACT) would give).  For listings: the
 *     members that only change with the state are kept serialized between
 *     state changes, the details are still asked from the plugin at every
 *     call.  A daemon older than the flag ignores it and returns the
 *     object; callers check json_is_string() and fall back.
 *   - Actions are named verbs offered at creation ("reconnect", ...).
 *
 * Events
 *   Every creation, state change and destruction is an event with a
 *   daemon-wide sequence number.  The last GWD_EVENTS_MAX events are kept so
 *   that a subscriber that lost its stream can resume (events_since).
 *   Subscriber callbacks run synchronously inside object_set_state(); they
 *   must not create, free or change objects.
 */
#ifndef GATEWAYD_REGISTRY_H
#define GATEWAYD_REGISTRY_H

#include <gatewayd/plugin.h>

#define GWD_ID_MAX 128
#define GWD_KIND_MAX 32
#define GWD_STATE_MAX 32
#define GWD_CAUSE_MAX 256
#define GWD_HISTORY_MAX 32
#define GWD_EVENTS_MAX 4096

/* object_to_json flag, next to GWD_JSON_HISTORY (plugin.h); see above. */
#define GWD_JSON_SERIALIZED 0x2u

#endif /* GATEWAYD_REGISTRY_H */
