/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gatewayd/json-escape.h"
#include "objects.h"

struct history_entry {
        uint64_t time_usec;
        char from[GWD_STATE_MAX + 1];
        char to[GWD_STATE_MAX + 1];
        char cause[GWD_CAUSE_MAX + 1];
};

struct gwd_object {
        struct registry *reg;
        struct gwd_ctx *owner;
        struct gwd_object *prev, *next;     /* creation order */
        struct gwd_object *hnext;           /* hash bucket chain */
        uint32_t hash;                      /* of kind and id */
        struct gwd_object *parent;
        /* Children in creation order, so that a parent's children are
         * found without a pass over the whole registry. */
        struct gwd_object *first_child, *last_child;
        struct gwd_object *prev_sibling, *next_sibling;
        char kind[GWD_KIND_MAX + 1];
        char id[GWD_ID_MAX + 1];
        char state[GWD_STATE_MAX + 1];
        uint64_t since_usec;
        uint64_t created_usec;
        char **actions;                     /* NULL-terminated copy */
        struct gwd_object_ops ops;
        void *userdata;
        struct history_entry hist[GWD_HISTORY_MAX];
        unsigned hist_start, hist_n;
        /* GWD_JSON_SERIALIZED: the text before "details" (kind .. created)
         * and the "actions" member, kept between state changes; NULL when
         * not built yet or out of date. */
        char *json_head, *json_actions;
        size_t json_head_len, json_actions_len;
};

struct stored_event {
        uint64_t seq, time_usec, mono_usec;
        char kind[GWD_KIND_MAX + 1];
        char id[GWD_ID_MAX + 1];
        char from[GWD_STATE_MAX + 1];
        char to[GWD_STATE_MAX + 1];
        char cause[GWD_CAUSE_MAX + 1];
};

struct subscriber {
        uint64_t id;
        gwd_event_fn fn;                    /* NULL: unsubscribed */
        void *ud;
};

struct registry {
        struct gwd_object *head, *tail;
        size_t n_objects;
        /* Index by (kind, id): chained buckets, a power of two in number,
         * doubled when the objects outnumber them. */
        struct gwd_object **buckets;
        size_t n_buckets;
        struct stored_event *ring;          /* GWD_EVENTS_MAX entries */
        uint64_t seq;                       /* last assigned */
        struct subscriber *subs;
        size_t n_subs;
        uint64_t next_sub_id;
        unsigned dispatching;
};

static uint64_t now_usec(clockid_t clk)
{
        struct timespec ts;
        clock_gettime(clk, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void format_time_usec(uint64_t usec, char buf[32])
{
        time_t sec = (time_t)(usec / 1000000u);
        struct tm tm;
        size_t n;

        gmtime_r(&sec, &tm);
        n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, 32 - n, ".%03uZ", (unsigned)(usec % 1000000u / 1000u) % 1000u);
}

/* Copy with truncation marked by the caller's limits; returns -EINVAL for
 * strings that do not fit or contain characters outside `allowed`. */
static int copy_token(char *dst, size_t size, const char *src, int id_chars)
{
        size_t n = src ? strlen(src) : 0;
        if (n == 0 || n >= size)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                char c = src[i];
                int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                if (id_chars)
                        ok = ok || (c >= 'A' && c <= 'Z') || c == '-' || c == '.';
                if (!ok)
                        return -EINVAL;
        }
        memcpy(dst, src, n + 1);
        return 0;
}

/* Free text: copied, cut at a character boundary to fit, control
 * characters and invalid UTF-8 replaced by '?', so that every cause can be
 * put into JSON. */
static void copy_text(char *dst, size_t size, const char *src)
{
        const unsigned char *p = (const unsigned char *)(src ? src : "");
        size_t o = 0;

        while (*p && o + 1 < size) {
                unsigned c = *p;
                size_t n = c < 0x80 ? 1 : (c >= 0xc2 && c <= 0xdf) ? 2
                         : (c >= 0xe0 && c <= 0xef) ? 3 : (c >= 0xf0 && c <= 0xf4) ? 4 : 0;
                size_t k;
                for (k = 1; n && k < n; k++)
                        if ((p[k] & 0xc0) != 0x80)
                                n = 0;
                /* overlong 3/4-byte forms, surrogates, > U+10FFFF */
                if (n == 3 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0)))
                        n = 0;
                if (n == 4 && ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90)))
                        n = 0;
                if (n == 0 || (n == 1 && (c < 0x20 || c == 0x7f))) {
                        dst[o++] = n == 1 ? ' ' : '?';
                        p += n ? n : 1;
                        continue;
                }
                if (o + n >= size)
                        break;
                memcpy(dst + o, p, n);
                o += n;
                p += n;
        }
        dst[o] = '\0';
}

#define REGISTRY_MIN_BUCKETS 64u

/* FNV-1a over kind, a separator that no token contains, and id. */
static uint32_t object_hash(const char *kind, const char *id)
{
        uint32_t h = 2166136261u;
        for (const char *p = kind; *p; p++)
                h = (h ^ (unsigned char)*p) * 16777619u;
        h = (h ^ 0xffu) * 16777619u;
        for (const char *p = id; *p; p++)
                h = (h ^ (unsigned char)*p) * 16777619u;
        return h;
}

static void bucket_insert(struct registry *reg, struct gwd_object *obj)
{
        struct gwd_object **b = &reg->buckets[obj->hash & (reg->n_buckets - 1)];
        obj->hnext = *b;
        *b = obj;
}

/* Doubling is best effort: a failed allocation keeps the current table,
 * which stays correct, only with longer chains.  Returns whether every
 * object in the creation list was re-inserted. */
static bool buckets_grow(struct registry *reg)
{
        size_t n = reg->n_buckets * 2;
        struct gwd_object **nb = calloc(n, sizeof(*nb));
        if (!nb)
                return false;
        free(reg->buckets);
        reg->buckets = nb;
        reg->n_buckets = n;
        for (struct gwd_object *o = reg->head; o; o = o->next)
                bucket_insert(reg, o);
        return true;
}

static void bucket_remove(struct registry *reg, struct gwd_object *obj)
{
        struct gwd_object **pp = &reg->buckets[obj->hash & (reg->n_buckets - 1)];
        while (*pp && *pp != obj)
                pp = &(*pp)->hnext;
        if (*pp)
                *pp = obj->hnext;
        obj->hnext = NULL;
}

static void child_link(struct gwd_object *parent, struct gwd_object *obj)
{
        obj->parent = parent;
        if (!parent)
                return;
        obj->prev_sibling = parent->last_child;
        obj->next_sibling = NULL;
        if (parent->last_child)
                parent->last_child->next_sibling = obj;
        else
                parent->first_child = obj;
        parent->last_child = obj;
}

static void child_unlink(struct gwd_object *obj)
{
        struct gwd_object *parent = obj->parent;
        if (!parent)
                return;
        if (obj->prev_sibling)
                obj->prev_sibling->next_sibling = obj->next_sibling;
        else
                parent->first_child = obj->next_sibling;
        if (obj->next_sibling)
                obj->next_sibling->prev_sibling = obj->prev_sibling;
        else
                parent->last_child = obj->prev_sibling;
        obj->parent = obj->prev_sibling = obj->next_sibling = NULL;
}

int registry_new(struct registry **ret)
{
        struct registry *reg = calloc(1, sizeof(*reg));
        if (!reg)
                return -ENOMEM;
        reg->ring = calloc(GWD_EVENTS_MAX, sizeof(*reg->ring));
        reg->buckets = calloc(REGISTRY_MIN_BUCKETS, sizeof(*reg->buckets));
        if (!reg->ring || !reg->buckets) {
                free(reg->ring);
                free(reg->buckets);
                free(reg);
                return -ENOMEM;
        }
        reg->n_buckets = REGISTRY_MIN_BUCKETS;
        reg->next_sub_id = 1;
        *ret = reg;
        return 0;
}

/* The cached text names the parent and the state: drop it when either
 * changes. */
static void json_cache_drop(struct gwd_object *obj)
{
        free(obj->json_head);
        obj->json_head = NULL;
        obj->json_head_len = 0;
}

static void object_unlink_free(struct gwd_object *obj)
{
        struct registry *reg = obj->reg;
        if (obj->prev)
                obj->prev->next = obj->next;
        else
                reg->head = obj->next;
        if (obj->next)
                obj->next->prev = obj->prev;
        else
                reg->tail = obj->prev;
        reg->n_objects--;
        bucket_remove(reg, obj);
        child_unlink(obj);
        /* Orphans keep living (their owner frees them); their cached text
         * named this parent. */
        while (obj->first_child) {
                struct gwd_object *o = obj->first_child;
                child_unlink(o);
                json_cache_drop(o);
        }
        json_cache_drop(obj);
        free(obj->json_actions);
        if (obj->actions) {
                for (char **a = obj->actions; *a; a++)
                        free(*a);
                free(obj->actions);
        }
        free(obj);
}

void registry_free(struct registry *reg)
{
        if (!reg)
                return;
        while (reg->head)
                object_unlink_free(reg->head);
        free(reg->ring);
        free(reg->buckets);
        free(reg->subs);
        free(reg);
}

static void compact_subscribers(struct registry *reg)
{
        size_t j = 0;
        for (size_t i = 0; i < reg->n_subs; i++)
                if (reg->subs[i].fn)
                        reg->subs[j++] = reg->subs[i];
        reg->n_subs = j;
}

static void emit(struct registry *reg, const struct gwd_object *obj, const char *from,
                 const char *to, const char *cause, uint64_t time_usec)
{
        struct stored_event *se = &reg->ring[reg->seq % GWD_EVENTS_MAX];
        struct gwd_event ev;

        *se = (struct stored_event){
                .seq = ++reg->seq,
                .time_usec = time_usec,
                .mono_usec = now_usec(CLOCK_MONOTONIC),
        };
        /* The ring slot is chosen by (seq - 1) % size, which is what the
         * statement above used before incrementing. */
        memcpy(se->kind, obj->kind, sizeof(se->kind));
        memcpy(se->id, obj->id, sizeof(se->id));
        copy_text(se->from, sizeof(se->from), from);
        copy_text(se->to, sizeof(se->to), to);
        copy_text(se->cause, sizeof(se->cause), cause);

        ev = (struct gwd_event){
                .seq = se->seq, .time_usec = se->time_usec, .mono_usec = se->mono_usec,
                .kind = se->kind, .id = se->id, .from = se->from, .to = se->to,
                .cause = se->cause,
        };
        reg->dispatching++;
        for (size_t i = 0; i < reg->n_subs; i++)
                if (reg->subs[i].fn)
                        reg->subs[i].fn(reg->subs[i].ud, &ev);
        if (--reg->dispatching == 0)
                compact_subscribers(reg);
}

int registry_object_new(struct registry *reg, struct gwd_ctx *owner, const char *kind,
                        const char *id, struct gwd_object *parent,
                        const char *initial_state, const char *const *actions,
                        const struct gwd_object_ops *ops, void *userdata,
                        struct gwd_object **ret)
{
        struct gwd_object *obj;
        size_t n_actions = 0;

        obj = calloc(1, sizeof(*obj));
        if (!obj)
                return -ENOMEM;
        if (copy_token(obj->kind, sizeof(obj->kind), kind, 0) < 0 ||
            copy_token(obj->id, sizeof(obj->id), id, 1) < 0 ||
            copy_token(obj->state, sizeof(obj->state), initial_state, 0) < 0 ||
            (parent && parent->reg != reg)) {
                free(obj);
                return -EINVAL;
        }
        if (registry_find(reg, kind, id)) {
                free(obj);
                return -EEXIST;
        }
        for (const char *const *a = actions; a && *a; a++)
                n_actions++;
        obj->actions = calloc(n_actions + 1, sizeof(char *));
        if (!obj->actions) {
                free(obj);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n_actions; i++) {
                char tmp[GWD_KIND_MAX + 1];
                int bad = copy_token(tmp, sizeof(tmp), actions[i], 0) < 0;
                if (bad || !(obj->actions[i] = strdup(tmp))) {
                        for (size_t j = 0; j < i; j++)
                                free(obj->actions[j]);
                        free(obj->actions);
                        free(obj);
                        return bad ? -EINVAL : -ENOMEM;
                }
        }
        if (ops) {
                size_t n = ops->struct_size < sizeof(obj->ops) ? ops->struct_size
                                                               : sizeof(obj->ops);
                memcpy(&obj->ops, ops, n);
        }
        obj->reg = reg;
        obj->owner = owner;
        obj->userdata = userdata;
        obj->created_usec = obj->since_usec = now_usec(CLOCK_REALTIME);

        obj->prev = reg->tail;
        if (reg->tail)
                reg->tail->next = obj;
        else
                reg->head = obj;
        reg->tail = obj;
        reg->n_objects++;
        obj->hash = object_hash(obj->kind, obj->id);
        if (reg->n_objects <= reg->n_buckets || !buckets_grow(reg))
                bucket_insert(reg, obj);
        child_link(parent, obj);

        emit(reg, obj, "", obj->state, "created", obj->since_usec);
        *ret = obj;
        return 0;
}

void registry_object_set_state(struct gwd_object *obj, const char *state, const char *cause)
{
        char next[GWD_STATE_MAX + 1];
        struct history_entry *h;
        uint64_t now = now_usec(CLOCK_REALTIME);

        if (!obj || copy_token(next, sizeof(next), state, 0) < 0)
                return;
        if (obj->hist_n < GWD_HISTORY_MAX) {
                h = &obj->hist[(obj->hist_start + obj->hist_n) % GWD_HISTORY_MAX];
                obj->hist_n++;
        } else {
                h = &obj->hist[obj->hist_start];
                obj->hist_start = (obj->hist_start + 1) % GWD_HISTORY_MAX;
        }
        h->time_usec = now;
        memcpy(h->from, obj->state, sizeof(h->from));
        memcpy(h->to, next, sizeof(h->to));
        copy_text(h->cause, sizeof(h->cause), cause ? cause : "");

        memcpy(obj->state, next, sizeof(obj->state));
        obj->since_usec = now;
        json_cache_drop(obj);
        emit(obj->reg, obj, h->from, h->to, h->cause, now);
}

const char *registry_object_state(const struct gwd_object *obj)
{
        return obj->state;
}

void registry_object_free(struct gwd_object *obj)
{
        if (!obj)
                return;
        emit(obj->reg, obj, obj->state, "", "destroyed", now_usec(CLOCK_REALTIME));
        object_unlink_free(obj);
}

unsigned registry_free_owned(struct registry *reg, struct gwd_ctx *owner)
{
        unsigned n = 0;
        /* Newest first, so children (created after their parents) go first. */
        for (struct gwd_object *o = reg->tail, *prev; o; o = prev) {
                prev = o->prev;
                if (o->owner == owner) {
                        registry_object_free(o);
                        n++;
                }
        }
        return n;
}

struct gwd_object *registry_find(struct registry *reg, const char *kind, const char *id)
{
        if (!kind || !id)
                return NULL;
        uint32_t h = object_hash(kind, id);
        for (struct gwd_object *o = reg->buckets[h & (reg->n_buckets - 1)]; o; o = o->hnext)
                if (o->hash == h && strcmp(o->id, id) == 0 && strcmp(o->kind, kind) == 0)
                        return o;
        return NULL;
}

int registry_foreach_child(const struct gwd_object *parent,
                           int (*fn)(void *ud, struct gwd_object *obj), void *ud)
{
        for (struct gwd_object *o = parent ? parent->first_child : NULL, *next; o; o = next) {
                next = o->next_sibling;
                int r = fn(ud, o);
                if (r != 0)
                        return r;
        }
        return 0;
}

int registry_foreach(struct registry *reg, const char *kind,
                     int (*fn)(void *ud, struct gwd_object *obj), void *ud)
{
        for (struct gwd_object *o = reg->head; o; o = o->next) {
                if (kind && strcmp(o->kind, kind) != 0)
                        continue;
                int r = fn(ud, o);
                if (r != 0)
                        return r;
        }
        return 0;
}

const char *registry_object_kind(const struct gwd_object *obj)
{
        return obj->kind;
}

const char *registry_object_id(const struct gwd_object *obj)
{
        return obj->id;
}

struct gwd_object *registry_object_parent(const struct gwd_object *obj)
{
        return obj->parent;
}

static json_t *time_json(uint64_t usec)
{
        char buf[32];
        format_time_usec(usec, buf);
        return json_string(buf);
}

/* --- serialized JSON (GWD_JSON_SERIALIZED) ---------------------------------- */

struct tbuf {
        char *p;
        size_t len, cap;
        int oom;
};

static void tb_add(struct tbuf *b, const char *s, size_t n)
{
        if (b->oom || n == 0)
                return;
        if (n > b->cap - b->len) {
                size_t cap = b->cap ? b->cap : 512;
                char *p;
                while (cap - b->len < n) {
                        if (cap > SIZE_MAX / 2) {
                                b->oom = 1;
                                return;
                        }
                        cap *= 2;
                }
                p = realloc(b->p, cap);
                if (!p) {
                        b->oom = 1;
                        return;
                }
                b->p = p;
                b->cap = cap;
        }
        memcpy(b->p + b->len, s, n);
        b->len += n;
}

/* String literals only: the length comes from sizeof. */
#define tb_lit(b, lit) tb_add((b), "" lit, sizeof(lit) - 1)

static int tb_dump_cb(const char *buffer, size_t size, void *data)
{
        struct tbuf *b = data;
        tb_add(b, buffer, size);
        return b->oom ? -1 : 0;
}

/* A string escaped as json_dumps() escapes it without flags, so that both
 * forms of object_to_json give the same bytes.  Every string written here
 * is valid UTF-8: tokens are ASCII, free text went through copy_text(). */
static void tb_put(void *ctx, const char *s, size_t n)
{
        tb_add(ctx, s, n);
}

static void tb_string(struct tbuf *b, const char *s)
{
        gwd_json_escape(s, tb_put, b);
}

static void tb_time(struct tbuf *b, uint64_t usec)
{
        char t[32];
        format_time_usec(usec, t);
        tb_lit(b, "\"");
        tb_add(b, t, strlen(t));
        tb_lit(b, "\"");
}

/* Everything before "details": changes only with the state or when the
 * parent goes away. */
static int build_head(struct gwd_object *obj)
{
        struct tbuf b = { 0 };

        tb_lit(&b, "{\"kind\":");
        tb_string(&b, obj->kind);
        tb_lit(&b, ",\"id\":");
        tb_string(&b, obj->id);
        tb_lit(&b, ",\"parent\":");
        if (obj->parent) {
                tb_lit(&b, "{\"kind\":");
                tb_string(&b, obj->parent->kind);
                tb_lit(&b, ",\"id\":");
                tb_string(&b, obj->parent->id);
                tb_lit(&b, "}");
        } else {
                tb_lit(&b, "null");
        }
        tb_lit(&b, ",\"state\":");
        tb_string(&b, obj->state);
        tb_lit(&b, ",\"since\":");
        tb_time(&b, obj->since_usec);
        tb_lit(&b, ",\"created\":");
        tb_time(&b, obj->created_usec);
        if (b.oom) {
                free(b.p);
                return -ENOMEM;
        }
        obj->json_head = b.p;
        obj->json_head_len = b.len;
        return 0;
}

static int build_actions(struct gwd_object *obj)
{
        struct tbuf b = { 0 };

        tb_lit(&b, "\"actions\":[");
        for (char **a = obj->actions; *a; a++) {
                if (a != obj->actions)
                        tb_lit(&b, ",");
                tb_string(&b, *a);
        }
        tb_lit(&b, "]");
        if (b.oom) {
                free(b.p);
                return -ENOMEM;
        }
        obj->json_actions = b.p;
        obj->json_actions_len = b.len;
        return 0;
}

/* The compact text of object_to_json(obj, flags): the same members in the
 * same order, byte for byte what json_dumps(JSON_COMPACT) gives for it.
 * The cache is not part of the object's observable state, hence the cast:
 * every object is allocated writable by registry_object_new(). */
static json_t *object_serialized(const struct gwd_object *cobj, uint32_t flags)
{
        struct gwd_object *obj = (struct gwd_object *)cobj;
        struct tbuf b = { 0 };
        json_t *details, *ret;

        if ((!obj->json_head && build_head(obj) < 0) ||
            (!obj->json_actions && build_actions(obj) < 0))
                return NULL;
        details = json_object();
        if (!details)
                return NULL;
        /* Details are never cached: the plugin is asked every time. */
        if (obj->ops.snapshot)
                obj->ops.snapshot(obj->userdata, details);
        tb_add(&b, obj->json_head, obj->json_head_len);
        tb_lit(&b, ",\"details\":");
        if (json_dump_callback(details, tb_dump_cb, &b, JSON_COMPACT) < 0)
                b.oom = 1;
        json_decref(details);
        tb_lit(&b, ",");
        tb_add(&b, obj->json_actions, obj->json_actions_len);
        if (flags & GWD_JSON_HISTORY) {
                tb_lit(&b, ",\"history\":[");
                for (unsigned i = 0; i < obj->hist_n; i++) {
                        const struct history_entry *h =
                                &obj->hist[(obj->hist_start + i) % GWD_HISTORY_MAX];
                        if (i)
                                tb_lit(&b, ",");
                        tb_lit(&b, "{\"time\":");
                        tb_time(&b, h->time_usec);
                        tb_lit(&b, ",\"from\":");
                        tb_string(&b, h->from);
                        tb_lit(&b, ",\"to\":");
                        tb_string(&b, h->to);
                        tb_lit(&b, ",\"cause\":");
                        tb_string(&b, h->cause);
                        tb_lit(&b, "}");
                }
                tb_lit(&b, "]");
        }
        tb_lit(&b, "}");
        /* Valid UTF-8 by construction (see tb_string; details come from
         * jansson values), so jansson's check would only cost time. */
        ret = b.oom ? NULL : json_stringn_nocheck(b.p, b.len);
        free(b.p);
        return ret;
}

json_t *registry_object_to_json(const struct gwd_object *obj, uint32_t flags)
{
        json_t *o, *details, *actions, *parent = json_null();

        if (flags & GWD_JSON_SERIALIZED)
                return object_serialized(obj, flags);
        o = json_object();
        details = json_object();
        actions = json_array();
        if (!o || !details || !actions)
                goto fail;
        if (obj->parent) {
                parent = json_pack("{s:s, s:s}", "kind", obj->parent->kind, "id",
                                   obj->parent->id);
                if (!parent)
                        goto fail;
        }
        for (char **a = obj->actions; *a; a++)
                json_array_append_new(actions, json_string(*a));
        if (obj->ops.snapshot)
                obj->ops.snapshot(obj->userdata, details);
        json_object_set_new(o, "kind", json_string(obj->kind));
        json_object_set_new(o, "id", json_string(obj->id));
        json_object_set_new(o, "parent", parent);
        json_object_set_new(o, "state", json_string(obj->state));
        json_object_set_new(o, "since", time_json(obj->since_usec));
        json_object_set_new(o, "created", time_json(obj->created_usec));
        json_object_set_new(o, "details", details);
        json_object_set_new(o, "actions", actions);
        if (flags & GWD_JSON_HISTORY) {
                json_t *hist = json_array();
                if (!hist) {
                        json_decref(o);
                        return NULL;
                }
                for (unsigned i = 0; i < obj->hist_n; i++) {
                        const struct history_entry *h =
                                &obj->hist[(obj->hist_start + i) % GWD_HISTORY_MAX];
                        json_t *e = json_pack("{s:o, s:s, s:s, s:s}", "time",
                                              time_json(h->time_usec), "from", h->from,
                                              "to", h->to, "cause", h->cause);
                        if (!e || json_array_append_new(hist, e) < 0) {
                                json_decref(hist);
                                json_decref(o);
                                return NULL;
                        }
                }
                json_object_set_new(o, "history", hist);
        }
        return o;
fail:
        json_decref(o);
        json_decref(details);
        json_decref(actions);
        if (parent != json_null())
                json_decref(parent);
        return NULL;
}

int registry_object_action(struct gwd_object *obj, const char *name, const json_t *args,
                           const char *requested_by)
{
        int offered = 0;
        for (char **a = obj->actions; *a; a++)
                if (strcmp(*a, name) == 0)
                        offered = 1;
        if (!offered || !obj->ops.action)
                return -EOPNOTSUPP;
        return obj->ops.action(obj->userdata, name, args, requested_by ? requested_by : "");
}

int registry_subscribe(struct registry *reg, gwd_event_fn fn, void *ud, uint64_t *ret_id)
{
        struct subscriber *grown;

        if (!fn)
                return -EINVAL;
        grown = realloc(reg->subs, (reg->n_subs + 1) * sizeof(*grown));
        if (!grown)
                return -ENOMEM;
        reg->subs = grown;
        reg->subs[reg->n_subs++] = (struct subscriber){ .id = reg->next_sub_id, .fn = fn, .ud = ud };
        if (ret_id)
                *ret_id = reg->next_sub_id;
        reg->next_sub_id++;
        return 0;
}

void registry_unsubscribe(struct registry *reg, uint64_t id)
{
        for (size_t i = 0; i < reg->n_subs; i++)
                if (reg->subs[i].id == id)
                        reg->subs[i].fn = NULL;
        if (!reg->dispatching)
                compact_subscribers(reg);
}

int registry_events_since(struct registry *reg, uint64_t after, gwd_event_fn fn, void *ud)
{
        uint64_t oldest = reg->seq > GWD_EVENTS_MAX ? reg->seq - GWD_EVENTS_MAX + 1 : 1;

        if (after > reg->seq)
                return -ERANGE;
        if (after + 1 < oldest)
                return -ERANGE;
        for (uint64_t s = after + 1; s <= reg->seq; s++) {
                const struct stored_event *se = &reg->ring[(s - 1) % GWD_EVENTS_MAX];
                struct gwd_event ev = {
                        .seq = se->seq, .time_usec = se->time_usec, .mono_usec = se->mono_usec,
                        .kind = se->kind, .id = se->id, .from = se->from, .to = se->to,
                        .cause = se->cause,
                };
                fn(ud, &ev);
        }
        return 0;
}

uint64_t registry_last_seq(struct registry *reg)
{
        return reg->seq;
}

size_t registry_count(struct registry *reg)
{
        return reg->n_objects;
}
