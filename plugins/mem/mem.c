/* SPDX-License-Identifier: MIT */
/*
 * plugins/mem: an in-memory backend.
 *
 * It implements every backend operation with POSIX-like semantics so that
 * the daemon, the admin API and the frontends can be tested without a
 * network.  Completions are always deferred through the host, as the
 * backend contract requires.  A node lives while it is in the tree or
 * open: unlinking an open file leaves the handle usable, as on POSIX.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gatewayd/backend.h"
#include "gatewayd/plugin.h"
#include "gatewayd/registry.h"

#define MEM_DEFAULT_MAX_BYTES (256ull << 20)
#define MEM_SHARES_MAX 64

struct mem_node {
        struct mem_node *parent;        /* NULL for the root or when unlinked */
        struct mem_node *next_sibling;
        struct mem_node *children;      /* directories */
        size_t n_children;
        char *name;
        unsigned refs;                  /* 1 while in the tree + open handles */
        struct gwd_stat st;
        uint8_t *data;                  /* files */
        size_t cap;
};

struct gwd_file {
        struct mem_node *node;
        uint32_t flags;
};

struct mem_share {
        struct mem_plugin *plugin;
        char *name;
        uint64_t max_bytes;
        uint64_t used_bytes;
        int read_only;
        struct mem_node *root;
        uint64_t next_file_id;
        unsigned open_files;
        struct gwd_share *registered;
        struct gwd_object *obj;
};

struct mem_plugin {
        const struct gwd_api *api;
        struct gwd_ctx *ctx;
        struct mem_share *shares;
        size_t n_shares;
};

/* --- completion ---------------------------------------------------------- */

struct mem_completion {
        gwd_done_fn done;
        void *cbdata;
        struct gwd_result res;
        struct gwd_stat st;
        struct gwd_dirent *entries;
        char **names;
};

static void deliver(void *arg)
{
        struct mem_completion *c = arg;
        c->done(c->cbdata, &c->res);
        for (size_t i = 0; c->names && i < c->res.n_entries; i++)
                free(c->names[i]);
        free(c->names);
        free(c->entries);
        free(c);
}

static struct mem_completion *completion_new(gwd_done_fn done, void *cbdata)
{
        struct mem_completion *c = calloc(1, sizeof(*c));
        if (c) {
                c->done = done;
                c->cbdata = cbdata;
        }
        return c;
}

/* Queue c (or, without memory for it, an inline -ENOMEM: the contract's
 * one exception). */
static void complete(struct mem_share *s, struct mem_completion *c, gwd_done_fn done,
                     void *cbdata, int error)
{
        if (!c) {
                struct gwd_result res = { .error = -ENOMEM };
                done(cbdata, &res);
                return;
        }
        if (error < 0) {
                c->res = (struct gwd_result){ .error = error };
        }
        if (s->plugin->api->defer(s->plugin->ctx, deliver, c) < 0) {
                struct gwd_result res = { .error = -ENOMEM };
                free(c->entries);
                free(c->names);
                free(c);
                done(cbdata, &res);
        }
}

static void complete_error(struct mem_share *s, gwd_done_fn done, void *cbdata, int error)
{
        complete(s, completion_new(done, cbdata), done, cbdata, error);
}

/* --- the tree ------------------------------------------------------------ */

static int64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct mem_node *node_new(struct mem_share *s, const char *name, uint32_t type)
{
        struct mem_node *n = calloc(1, sizeof(*n));
        if (!n || !(n->name = strdup(name))) {
                free(n);
                return NULL;
        }
        n->refs = 1;
        n->st.type = type;
        n->st.file_id = ++s->next_file_id;
        n->st.btime_ns = n->st.mtime_ns = n->st.ctime_ns = n->st.atime_ns = now_ns();
        return n;
}

static void node_unref(struct mem_share *s, struct mem_node *n)
{
        if (!n || --n->refs > 0)
                return;
        /* Only detached, childless nodes reach zero (see tree_free). */
        s->used_bytes -= n->st.size;
        free(n->data);
        free(n->name);
        free(n);
}

static void tree_free(struct mem_share *s, struct mem_node *n)
{
        while (n->children) {
                struct mem_node *c = n->children;
                n->children = c->next_sibling;
                c->parent = NULL;
                tree_free(s, c);
        }
        node_unref(s, n);
}

static struct mem_node *child_find(struct mem_node *dir, const char *name, size_t len)
{
        for (struct mem_node *c = dir->children; c; c = c->next_sibling)
                if (strlen(c->name) == len && memcmp(c->name, name, len) == 0)
                        return c;
        return NULL;
}

static void child_add(struct mem_node *dir, struct mem_node *n)
{
        n->parent = dir;
        n->next_sibling = dir->children;
        dir->children = n;
        dir->n_children++;
        dir->st.mtime_ns = dir->st.ctime_ns = now_ns();
}

static void child_remove(struct mem_node *n)
{
        struct mem_node *dir = n->parent;
        for (struct mem_node **pp = &dir->children; *pp; pp = &(*pp)->next_sibling)
                if (*pp == n) {
                        *pp = n->next_sibling;
                        break;
                }
        dir->n_children--;
        dir->st.mtime_ns = dir->st.ctime_ns = now_ns();
        n->parent = NULL;
        n->next_sibling = NULL;
}

/*
 * Walk `path` (already checked by the core).  On success *ret is the node;
 * with `ret_parent`, a missing last component is not an error: *ret is
 * NULL, *ret_parent the directory and *ret_name the last component.
 */
static int lookup(struct mem_share *s, const char *path, struct mem_node **ret,
                  struct mem_node **ret_parent, const char **ret_name)
{
        struct mem_node *cur = s->root;
        const char *p = path;

        if (ret_parent) {
                *ret_parent = NULL;
                *ret_name = NULL;
        }
        while (*p) {
                const char *slash = strchr(p, '/');
                size_t len = slash ? (size_t)(slash - p) : strlen(p);
                struct mem_node *next;

                if (cur->st.type != GWD_TYPE_DIR)
                        return -ENOTDIR;
                next = child_find(cur, p, len);
                if (!next) {
                        if (!slash && ret_parent) {
                                *ret_parent = cur;
                                *ret_name = p;
                                *ret = NULL;
                                return 0;
                        }
                        return -ENOENT;
                }
                cur = next;
                p = slash ? slash + 1 : p + len;
        }
        *ret = cur;
        if (ret_parent) {
                *ret_parent = cur->parent;
                *ret_name = cur->name;
        }
        return 0;
}

static int reserve(struct mem_share *s, struct mem_node *n, uint64_t new_size)
{
        if (new_size > n->st.size) {
                uint64_t grow = new_size - n->st.size;
                if (grow > s->max_bytes - s->used_bytes)
                        return -ENOSPC;
                if (new_size > SIZE_MAX)
                        return -EFBIG;
                if (new_size > n->cap) {
                        size_t cap = n->cap ? n->cap : 4096;
                        while (cap < new_size)
                                cap = cap > SIZE_MAX / 2 ? (size_t)new_size : cap * 2;
                        uint8_t *d = realloc(n->data, cap);
                        if (!d)
                                return -ENOMEM;
                        n->data = d;
                        n->cap = cap;
                }
                memset(n->data + n->st.size, 0, (size_t)grow);
                s->used_bytes += grow;
        } else {
                s->used_bytes -= n->st.size - new_size;
        }
        n->st.size = new_size;
        return 0;
}

/* --- operations ---------------------------------------------------------- */

static void mem_open(void *share, const char *path, uint32_t flags, gwd_done_fn done,
                     void *cbdata)
{
        struct mem_share *s = share;
        struct mem_node *n, *parent;
        const char *name;
        struct gwd_file *f;
        int r, created = 0;

        if ((flags & (GWD_O_WRITE | GWD_O_CREATE | GWD_O_TRUNC)) && s->read_only)
                return complete_error(s, done, cbdata, -EROFS);
        r = lookup(s, path, &n, &parent, &name);
        if (r < 0)
                return complete_error(s, done, cbdata, r);
        if (n && (flags & GWD_O_CREATE) && (flags & GWD_O_EXCL))
                return complete_error(s, done, cbdata, -EEXIST);
        if (!n && !(flags & GWD_O_CREATE))
                return complete_error(s, done, cbdata, -ENOENT);
        if (n && (flags & GWD_O_DIRECTORY) && n->st.type != GWD_TYPE_DIR)
                return complete_error(s, done, cbdata, -ENOTDIR);
        /* before anything is created: a failed open leaves no trace */
        if ((flags & GWD_O_DIRECTORY) && (flags & (GWD_O_WRITE | GWD_O_TRUNC)))
                return complete_error(s, done, cbdata, -EISDIR);
        if (!n) {
                n = node_new(s, name, (flags & GWD_O_DIRECTORY) ? GWD_TYPE_DIR : GWD_TYPE_FILE);
                if (!n)
                        return complete_error(s, done, cbdata, -ENOMEM);
                child_add(parent, n);
                created = 1;
        }
        if ((flags & GWD_O_DIRECTORY) && n->st.type != GWD_TYPE_DIR)
                return complete_error(s, done, cbdata, -ENOTDIR);
        if (n->st.type == GWD_TYPE_DIR && (flags & (GWD_O_WRITE | GWD_O_TRUNC)))
                return complete_error(s, done, cbdata, -EISDIR);
        if ((flags & GWD_O_TRUNC) && n->st.size) {
                reserve(s, n, 0);
                n->st.mtime_ns = n->st.ctime_ns = now_ns();
        }
        struct mem_completion *c = completion_new(done, cbdata);
        f = calloc(1, sizeof(*f));
        if (!c || !f) {
                free(f);
                if (created) {
                        /* do not leave behind what this failed open created */
                        child_remove(n);
                        node_unref(s, n);
                }
                return complete(s, c, done, cbdata, -ENOMEM);
        }
        f->node = n;
        f->flags = flags;
        n->refs++;
        s->open_files++;
        c->st = n->st;
        c->res = (struct gwd_result){ .file = f, .st = &c->st };
        complete(s, c, done, cbdata, 0);
}

static void mem_close(void *share, struct gwd_file *f, gwd_done_fn done, void *cbdata)
{
        struct mem_share *s = share;
        node_unref(s, f->node);
        s->open_files--;
        free(f);
        complete_error(s, done, cbdata, 0);
}

static void mem_read(void *share, struct gwd_file *f, uint64_t off, void *buf, size_t len,
                     gwd_done_fn done, void *cbdata)
{
        struct mem_share *s = share;
        struct mem_node *n = f->node;
        struct mem_completion *c;
        size_t count = 0;

        if (!(f->flags & GWD_O_READ))
                return complete_error(s, done, cbdata, -EBADF);
        if (n->st.type == GWD_TYPE_DIR)
                return complete_error(s, done, cbdata, -EISDIR);
        if (off < n->st.size) {
                uint64_t avail = n->st.size - off;
                count = avail < len ? (size_t)avail : len;
                memcpy(buf, n->data + off, count);
        }
        c = completion_new(done, cbdata);
        if (c)
                c->res.count = count;
        complete(s, c, done, cbdata, 0);
}

static void mem_write(void *share, struct gwd_file *f, uint64_t off, const void *buf,
                      size_t len, gwd_done_fn done, void *cbdata)
{
        struct mem_share *s = share;
        struct mem_node *n = f->node;
        struct mem_completion *c;
        int r;

        if (!(f->flags & GWD_O_WRITE))
                return complete_error(s, done, cbdata, -EBADF);
        if (s->read_only)
                return complete_error(s, done, cbdata, -EROFS);
        if (len && off + len > n->st.size) {
                r = reserve(s, n, off + len);
                if (r < 0)
                        return complete_error(s, done, cbdata, r);
        }
        if (len)
                memcpy(n->data + off, buf, len);
        n->st.mtime_ns = n->st.ctime_ns = now_ns();
        c = completion_new(done, cbdata);
        if (c)
                c->res.count = len;
        complete(s, c, done, cbdata, 0);
}

static void complete_stat(struct mem_share *s, const struct mem_node *n, gwd_done_fn done,
                          void *cbdata)
{
        struct mem_completion *c = completion_new(done, cbdata);
        if (c) {
                c->st = n->st;
                c->res.st = &c->st;
        }
        complete(s, c, done, cbdata, 0);
}

static void mem_stat(void *share, const char *path, gwd_done_fn done, void *cbdata)
{
        struct mem_share *s = share;
        struct mem_node *n;
        int r = lookup(s, path, &n, NULL, NULL);
        if (r < 0)
                return complete_error(s, done, cbdata, r);
        complete_stat(s, n, done, cbdata);
}

static void mem_fstat(void *share, struct gwd_file *f, gwd_done_fn done, void *cbdata)
{
        complete_stat(share, f->node, done, cbdata);
}

static void mem_readdir(void *share, const char *path, gwd_done_fn done, void *cbdata)
{
        struct mem_share *s = share;
        struct mem_completion *c;
        struct mem_node *dir;
        size_t i = 0;
        int r = lookup(s, path, &dir, NULL, NULL);

        if (r < 0)
                return complete_error(s, done, cbdata, r);
        if (dir->st.type != GWD_TYPE_DIR)
                return complete_error(s, done, cbdata, -ENOTDIR);
        c = completion_new(done, cbdata);
        if (!c)
                return complete(s, c, done, cbdata, -ENOMEM);
        if (dir->n_children) {
                c->entries = calloc(dir->n_children, sizeof(*c->entries));
                c->names = calloc(dir->n_children, sizeof(*c->names));
                if (!c->entries || !c->names)
                        return complete(s, c, done, cbdata, -ENOMEM);
        }
        for (struct mem_node *ch = dir->children; ch; ch = ch->next_sibling, i++) {
                c->names[i] = strdup(ch->name);
                if (!c->names[i]) {
                        c->res.n_entries = i;   /* so deliver() frees what we have */
                        c->res.error = -ENOMEM;
                        return complete(s, c, done, cbdata, 0);
                }
                c->entries[i] = (struct gwd_dirent){ .name = c->names[i], .st = ch->st };
        }
        c->res = (struct gwd_result){ .entries = c->entries, .n_entries = i };
        complete(s, c, done, cbdata, 0);
}

static void mem_mkdir(void *share, const char *path, gwd_done_fn done, void *cbdata)
{
        struct mem_share *s = share;
        struct mem_node *n, *parent;
        const char *name;
        int r;

        if (s->read_only)
                return complete_error(s, done, cbdata, -EROFS);
        r = lookup(s, path, &n, &parent, &name);
        if (r < 0)
                return complete_error(s, done, cbdata, r);
        if (n)
                return complete_error(s, done, cbdata, -EEXIST);
        n = node_new(s, name, GWD_TYPE_DIR);
        if (!n)
                return complete_error(s, done, cbdata, -ENOMEM);
        child_add(parent, n);
        complete_error(s, done, cbdata, 0);
}

static void remove_node(struct mem_share *s, const char *path, int want_dir, gwd_done_fn done,
                        void *cbdata)
{
        struct mem_node *n;
        int r;

        if (s->read_only)
                return complete_error(s, done, cbdata, -EROFS);
        r = lookup(s, path, &n, NULL, NULL);
        if (r < 0)
                return complete_error(s, done, cbdata, r);
        if (n == s->root)
                return complete_error(s, done, cbdata, -EBUSY);
        if (want_dir && n->st.type != GWD_TYPE_DIR)
                return complete_error(s, done, cbdata, -ENOTDIR);
        if (!want_dir && n->st.type == GWD_TYPE_DIR)
                return complete_error(s, done, cbdata, -EISDIR);
        if (n->children)
                return complete_error(s, done, cbdata, -ENOTEMPTY);
        child_remove(n);
        node_unref(s, n);
        complete_error(s, done, cbdata, 0);
}

static void mem_rmdir(void *share, const char *path, gwd_done_fn done, void *cbdata)
{
        remove_node(share, path, 1, done, cbdata);
}

static void mem_unlink(void *share, const char *path, gwd_done_fn done, void *cbdata)
{
        remove_node(share, path, 0, done, cbdata);
}

static void mem_rename(void *share, const char *from, const char *to, uint32_t flags,
                       gwd_done_fn done, void *cbdata)
{
        struct mem_share *s = share;
        struct mem_node *src, *dst, *dst_parent;
        const char *dst_name;
        char *name_copy;
        int r;

        if (s->read_only)
                return complete_error(s, done, cbdata, -EROFS);
        r = lookup(s, from, &src, NULL, NULL);
        if (r < 0)
                return complete_error(s, done, cbdata, r);
        r = lookup(s, to, &dst, &dst_parent, &dst_name);
        if (r < 0)
                return complete_error(s, done, cbdata, r);
        /* A directory cannot move into itself or below itself. */
        for (struct mem_node *a = dst_parent; a; a = a->parent)
                if (a == src)
                        return complete_error(s, done, cbdata, -EINVAL);
        if (dst == src)
                return complete_error(s, done, cbdata, 0);
        if (dst) {
                if (!(flags & GWD_RENAME_REPLACE))
                        return complete_error(s, done, cbdata, -EEXIST);
                if (dst->st.type == GWD_TYPE_DIR && src->st.type != GWD_TYPE_DIR)
                        return complete_error(s, done, cbdata, -EISDIR);
                if (dst->st.type != GWD_TYPE_DIR && src->st.type == GWD_TYPE_DIR)
                        return complete_error(s, done, cbdata, -ENOTDIR);
                if (dst->children)
                        return complete_error(s, done, cbdata, -ENOTEMPTY);
        }
        name_copy = strdup(dst_name);
        if (!name_copy)
                return complete_error(s, done, cbdata, -ENOMEM);
        if (dst) {
                child_remove(dst);
                node_unref(s, dst);
        }
        child_remove(src);
        free(src->name);
        src->name = name_copy;
        src->st.ctime_ns = now_ns();
        child_add(dst_parent, src);
        complete_error(s, done, cbdata, 0);
}

static void mem_truncate(void *share, struct gwd_file *f, uint64_t size, gwd_done_fn done,
                         void *cbdata)
{
        struct mem_share *s = share;
        int r;

        if (!(f->flags & GWD_O_WRITE))
                return complete_error(s, done, cbdata, -EBADF);
        if (s->read_only)
                return complete_error(s, done, cbdata, -EROFS);
        r = reserve(s, f->node, size);
        if (r == 0)
                f->node->st.mtime_ns = f->node->st.ctime_ns = now_ns();
        complete_error(s, done, cbdata, r);
}

static void mem_flush(void *share, struct gwd_file *f, gwd_done_fn done, void *cbdata)
{
        complete_error(share, done, cbdata, 0);   /* memory is as stable as it gets */
}

static void mem_set_mtime(void *share, const char *path, int64_t mtime_ns, gwd_done_fn done,
                          void *cbdata)
{
        struct mem_share *s = share;
        struct mem_node *n;
        int r;

        if (s->read_only)
                return complete_error(s, done, cbdata, -EROFS);
        r = lookup(s, path, &n, NULL, NULL);
        if (r == 0)
                n->st.mtime_ns = mtime_ns;
        complete_error(s, done, cbdata, r);
}

static const struct gwd_backend_ops mem_ops = {
        .struct_size = sizeof(struct gwd_backend_ops),
        .open = mem_open,
        .close = mem_close,
        .read = mem_read,
        .write = mem_write,
        .stat = mem_stat,
        .fstat = mem_fstat,
        .readdir = mem_readdir,
        .mkdir = mem_mkdir,
        .rmdir = mem_rmdir,
        .unlink = mem_unlink,
        .rename = mem_rename,
        .truncate = mem_truncate,
        .flush = mem_flush,
        .set_mtime = mem_set_mtime,
};

/* --- registry object: one per share -------------------------------------- */

static void share_snapshot(void *userdata, json_t *details)
{
        struct mem_share *s = userdata;
        json_object_set_new(details, "share", json_string(s->name));
        json_object_set_new(details, "used_bytes", json_integer((json_int_t)s->used_bytes));
        json_object_set_new(details, "max_bytes", json_integer((json_int_t)s->max_bytes));
        json_object_set_new(details, "read_only", json_boolean(s->read_only));
        json_object_set_new(details, "open_files", json_integer(s->open_files));
}

static const struct gwd_object_ops share_object_ops = {
        .struct_size = sizeof(struct gwd_object_ops),
        .snapshot = share_snapshot,
};

/* --- configuration and lifecycle ------------------------------------------ */

static const struct gwd_conf_key top_keys[] = {
        { "shares", GWD_CONF_ARRAY, 1, 0, 0, NULL },
        { NULL, 0, 0, 0, 0, NULL },
};

static const struct gwd_conf_key share_keys[] = {
        { "name", GWD_CONF_STRING, 1, 0, 0, NULL },
        { "max_bytes", GWD_CONF_INT, 0, 0, 1ll << 40, NULL },
        { "read_only", GWD_CONF_BOOL, 0, 0, 0, NULL },
        { NULL, 0, 0, 0, 0, NULL },
};

static int valid_share_name(const char *n)
{
        size_t len = strlen(n);
        if (len == 0 || len > 64 || n[0] == '.')
                return 0;
        for (; *n; n++)
                if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') ||
                      (*n >= '0' && *n <= '9') || *n == '_' || *n == '.' || *n == '-'))
                        return 0;
        return 1;
}

static int mem_check_config(const struct gwd_api *api, const json_t *config, const char *path,
                            struct gwd_conf_errors *errs)
{
        int problems = api->conf_check(errs, path, config, top_keys);
        const json_t *shares = json_object_get(config, "shares");
        char sub[256];

        if (!json_is_array(shares))
                return problems;
        if (json_array_size(shares) == 0 || json_array_size(shares) > MEM_SHARES_MAX) {
                snprintf(sub, sizeof(sub), "%s.shares", path);
                api->conf_error(errs, sub, "must list 1..%d shares", MEM_SHARES_MAX);
                problems++;
        }
        for (size_t i = 0; i < json_array_size(shares); i++) {
                const json_t *sh = json_array_get(shares, i);
                const json_t *name;
                snprintf(sub, sizeof(sub), "%s.shares[%zu]", path, i);
                if (api->conf_check(errs, sub, sh, share_keys) > 0) {
                        problems++;
                        continue;
                }
                name = json_object_get(sh, "name");
                if (!valid_share_name(json_string_value(name))) {
                        api->conf_error(errs, sub, "share name \"%s\" must be 1..64 of "
                                        "[A-Za-z0-9_.-], not starting with '.'",
                                        json_string_value(name));
                        problems++;
                }
                for (size_t j = 0; j < i; j++) {
                        const json_t *other = json_object_get(json_array_get(shares, j), "name");
                        if (json_is_string(other) &&
                            strcmp(json_string_value(other), json_string_value(name)) == 0) {
                                api->conf_error(errs, sub, "share name \"%s\" is used twice",
                                                json_string_value(name));
                                problems++;
                        }
                }
        }
        return problems;
}

static void mem_destroy(void *state);

static int mem_init(const struct gwd_api *api, struct gwd_ctx *ctx, const json_t *config,
                    void **ret_state)
{
        struct mem_plugin *p = calloc(1, sizeof(*p));
        const json_t *shares = json_object_get(config, "shares");
        size_t n = json_array_size(shares);

        if (!p)
                return -ENOMEM;
        p->api = api;
        p->ctx = ctx;
        p->shares = calloc(n ? n : 1, sizeof(*p->shares));
        if (!p->shares) {
                free(p);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                const json_t *sh = json_array_get(shares, i);
                const json_t *max = json_object_get(sh, "max_bytes");
                struct mem_share *s = &p->shares[i];

                s->plugin = p;
                s->name = strdup(json_string_value(json_object_get(sh, "name")));
                s->max_bytes = max ? (uint64_t)json_integer_value(max) : MEM_DEFAULT_MAX_BYTES;
                s->read_only = json_is_true(json_object_get(sh, "read_only"));
                p->n_shares++;
                if (!s->name || !(s->root = node_new(s, "", GWD_TYPE_DIR))) {
                        mem_destroy(p);
                        return -ENOMEM;
                }
        }
        *ret_state = p;
        return 0;
}

static int mem_start(void *state)
{
        struct mem_plugin *p = state;
        const struct gwd_api *api = p->api;

        for (size_t i = 0; i < p->n_shares; i++) {
                struct mem_share *s = &p->shares[i];
                char id[GWD_ID_MAX];
                int r;

                r = api->share_register(p->ctx, s->name, &mem_ops, s, &s->registered);
                if (r < 0) {
                        gwd_log(api, p->ctx, GWD_LOG_ERR, "cannot register share \"%s\": %s",
                                s->name, r == -EEXIST ? "another instance has a share of "
                                                        "that name" : strerror(-r));
                        return r;
                }
                snprintf(id, sizeof(id), "%s.%s", api->instance_name(p->ctx), s->name);
                r = api->object_new(p->ctx, "share", id, NULL, "good", NULL, &share_object_ops,
                                    s, &s->obj);
                if (r < 0) {
                        gwd_log(api, p->ctx, GWD_LOG_ERR, "cannot publish share \"%s\": %s",
                                s->name, strerror(-r));
                        return r;
                }
        }
        gwd_log(api, p->ctx, GWD_LOG_INFO, "serving %zu in-memory share%s", p->n_shares,
                p->n_shares == 1 ? "" : "s");
        return 0;
}

static void mem_stop(void *state)
{
        struct mem_plugin *p = state;
        for (size_t i = 0; i < p->n_shares; i++) {
                p->api->share_unregister(p->shares[i].registered);
                p->shares[i].registered = NULL;
                p->api->object_free(p->shares[i].obj);
                p->shares[i].obj = NULL;
        }
}

static void mem_destroy(void *state)
{
        struct mem_plugin *p = state;
        if (!p)
                return;
        for (size_t i = 0; i < p->n_shares; i++) {
                struct mem_share *s = &p->shares[i];
                if (s->registered)
                        p->api->share_unregister(s->registered);
                if (s->obj)
                        p->api->object_free(s->obj);
                if (s->root)
                        tree_free(s, s->root);
                free(s->name);
        }
        free(p->shares);
        free(p);
}

GWD_PLUGIN_EXPORT const struct gwd_plugin gwd_plugin_entry = {
        GWD_PLUGIN_HEADER,
        .name = "mem",
        .version = PACKAGE_VERSION,
        .description = "in-memory backend for tests and demos",
        .check_config = mem_check_config,
        .init = mem_init,
        .start = mem_start,
        .stop = mem_stop,
        .destroy = mem_destroy,
};
