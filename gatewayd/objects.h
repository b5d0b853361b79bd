/* SPDX-License-Identifier: MIT */
/* The object registry: published objects, their state history, events. */
#ifndef GWD_CORE_OBJECTS_H
#define GWD_CORE_OBJECTS_H

#include <stdint.h>

#include "gatewayd/plugin.h"
#include "gatewayd/registry.h"

struct gwd_ctx;
struct registry;

int registry_new(struct registry **ret);
/* Frees remaining objects (there should be none). Accepts NULL. */
void registry_free(struct registry *reg);

int registry_object_new(struct registry *reg, struct gwd_ctx *owner, const char *kind,
                        const char *id, struct gwd_object *parent,
                        const char *initial_state, const char *const *actions,
                        const struct gwd_object_ops *ops, void *userdata,
                        struct gwd_object **ret);
void registry_object_set_state(struct gwd_object *obj, const char *state, const char *cause);
const char *registry_object_state(const struct gwd_object *obj);
void registry_object_free(struct gwd_object *obj);
/* Free every object owned by `owner` (children first); returns how many. */
unsigned registry_free_owned(struct registry *reg, struct gwd_ctx *owner);

struct gwd_object *registry_find(struct registry *reg, const char *kind, const char *id);
int registry_foreach(struct registry *reg, const char *kind,
                     int (*fn)(void *ud, struct gwd_object *obj), void *ud);
/* fn for each child of parent, in creation order; fn may free the child
 * it is given (not others). */
int registry_foreach_child(const struct gwd_object *parent,
                           int (*fn)(void *ud, struct gwd_object *obj), void *ud);
const char *registry_object_kind(const struct gwd_object *obj);
const char *registry_object_id(const struct gwd_object *obj);
struct gwd_object *registry_object_parent(const struct gwd_object *obj);
json_t *registry_object_to_json(const struct gwd_object *obj, uint32_t flags);
int registry_object_action(struct gwd_object *obj, const char *name, const json_t *args,
                           const char *requested_by);

int registry_subscribe(struct registry *reg, gwd_event_fn fn, void *ud, uint64_t *ret_id);
void registry_unsubscribe(struct registry *reg, uint64_t id);
int registry_events_since(struct registry *reg, uint64_t after, gwd_event_fn fn, void *ud);
uint64_t registry_last_seq(struct registry *reg);
size_t registry_count(struct registry *reg);

/* RFC 3339 UTC with milliseconds: "2026-11-21T10:00:00.123Z". */
void format_time_usec(uint64_t usec, char buf[32]);

#endif
