/* SPDX-License-Identifier: MIT */
/*
 * The backend registry.
 *
 * Frontends never call a backend directly: share_ops() hands them a table of
 * wrappers that (1) reject hostile paths before any backend sees them,
 * (2) stand in for operations the backend left out (-EOPNOTSUPP),
 * (3) keep the share alive while an operation or an open file refers to it,
 * so a share unregistered by a reload cannot dangle under a running
 * download, and (4) deliver every early error through the defer queue, so
 * that a completion never runs inside the call that started it.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "defer.h"
#include "shares.h"

struct gwd_share {
        struct share_table *table;
        struct gwd_share *next;
        struct gwd_ctx *owner;
        char *name;
        struct gwd_backend_ops ops;     /* the backend's, NULL where absent */
        void *userdata;
        unsigned refs;                  /* 1 while registered + in-flight ops + open files */
        int registered;
};

struct share_table {
        struct defer_queue *dq;
        struct gwd_share *head;
};

int share_table_new(struct defer_queue *dq, struct share_table **ret)
{
        struct share_table *t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->dq = dq;
        *ret = t;
        return 0;
}

static void share_unref(struct gwd_share *s)
{
        if (--s->refs > 0)
                return;
        free(s->name);
        free(s);
}

void share_table_free(struct share_table *t)
{
        if (!t)
                return;
        while (t->head)
                share_unregister(t->head);
        free(t);
}

int share_name_check(const char *name)
{
        size_t n = name ? strlen(name) : 0;
        if (n == 0 || n > 64 || name[0] == '.')
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                char c = name[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
                        return -EINVAL;
        }
        return 0;
}

/* Length of a valid UTF-8 sequence at p (max bytes left), 0 if invalid:
 * overlong forms, surrogates and values above U+10FFFF are refused. */
static size_t utf8_seq_len(const unsigned char *p, size_t left)
{
        unsigned c = p[0];
        size_t n;
        unsigned cp;

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                n = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
                n = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
                n = 4, cp = c & 0x07;
        else
                return 0;
        if (n > left)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (p[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

int path_check(const char *path)
{
        size_t len, comp = 0;
        const unsigned char *p = (const unsigned char *)path;

        if (!path)
                return -EINVAL;
        len = strlen(path);
        if (len == 0)
                return 0;               /* the share root */
        if (len > GWD_PATH_MAX)
                return -ENAMETOOLONG;
        if (path[0] == '/' || path[len - 1] == '/')
                return -EINVAL;
        for (size_t i = 0; i < len;) {
                unsigned char c = p[i];
                if (c == '/') {
                        if (comp == 0)
                                return -EINVAL;         /* empty component */
                        comp = 0;
                        i++;
                        continue;
                }
                if (c < 0x20 || c == 0x7f || c == '\\' || strchr(":*?\"<>|", c))
                        return -EINVAL;
                size_t n = utf8_seq_len(p + i, len - i);
                if (n == 0)
                        return -EINVAL;
                if (c == 0xc2 && p[i + 1] < 0xa0)
                        return -EINVAL;         /* C1 controls U+0080..U+009F */
                /* "." and ".." components */
                if (c == '.' && comp == 0) {
                        size_t dots = 1;
                        while (i + dots < len && p[i + dots] == '.')
                                dots++;
                        if (dots <= 2 && (i + dots == len || p[i + dots] == '/'))
                                return -EINVAL;
                }
                comp += n;
                if (comp > GWD_NAME_MAX)
                        return -ENAMETOOLONG;
                i += n;
        }
        return 0;
}

int share_register(struct share_table *t, struct gwd_ctx *owner, const char *name,
                   const struct gwd_backend_ops *ops, void *userdata, struct gwd_share **ret)
{
        struct gwd_share *s;
        size_t n;

        if (share_name_check(name) < 0 || !ops)
                return -EINVAL;
        if (share_find(t, name))
                return -EEXIST;
        s = calloc(1, sizeof(*s));
        if (!s || !(s->name = strdup(name))) {
                free(s);
                return -ENOMEM;
        }
        n = ops->struct_size < sizeof(s->ops) ? ops->struct_size : sizeof(s->ops);
        memcpy(&s->ops, ops, n);
        s->ops.struct_size = sizeof(s->ops);
        s->table = t;
        s->owner = owner;
        s->userdata = userdata;
        s->refs = 1;
        s->registered = 1;
        s->next = t->head;
        t->head = s;
        if (ret)
                *ret = s;
        return 0;
}

void share_unregister(struct gwd_share *share)
{
        struct share_table *t;

        if (!share || !share->registered)
                return;
        t = share->table;
        for (struct gwd_share **pp = &t->head; *pp; pp = &(*pp)->next)
                if (*pp == share) {
                        *pp = share->next;
                        break;
                }
        share->registered = 0;
        share_unref(share);
}

unsigned share_unregister_owned(struct share_table *t, struct gwd_ctx *owner)
{
        unsigned n = 0;
        for (struct gwd_share *s = t->head, *next; s; s = next) {
                next = s->next;
                if (s->owner == owner) {
                        share_unregister(s);
                        n++;
                }
        }
        return n;
}

struct gwd_share *share_find(struct share_table *t, const char *name)
{
        if (!name)
                return NULL;
        for (struct gwd_share *s = t->head; s; s = s->next)
                if (strcmp(s->name, name) == 0)
                        return s;
        return NULL;
}

int share_foreach(struct share_table *t, int (*fn)(void *ud, struct gwd_share *s), void *ud)
{
        for (struct gwd_share *s = t->head, *next; s; s = next) {
                next = s->next;
                int r = fn(ud, s);
                if (r != 0)
                        return r;
        }
        return 0;
}

const char *share_name(const struct gwd_share *share)
{
        return share->name;
}

/* --- the wrappers ------------------------------------------------------ */

enum op_kind { OP_OTHER, OP_OPEN, OP_CLOSE };

struct op {
        struct gwd_share *share;
        gwd_done_fn done;
        void *cbdata;
        enum op_kind kind;
        int early_error;
};

static void op_complete(void *cbdata, const struct gwd_result *res)
{
        struct op *op = cbdata;
        struct gwd_share *s = op->share;

        if (op->kind == OP_OPEN && res->error == 0 && res->file)
                s->refs++;              /* the open file keeps the share */
        if (op->kind == OP_CLOSE)
                s->refs--;              /* dropped whatever close returned */
        op->done(op->cbdata, res);
        free(op);
        share_unref(s);
}

static void op_fail_now(void *arg)
{
        struct op *op = arg;
        struct gwd_result res = { .error = op->early_error };
        op_complete(op, &res);
}

/* Start an operation: NULL means the completion was already arranged
 * (out of memory is the one case where it cannot be, see below). */
static struct op *op_begin(void *share, enum op_kind kind, gwd_done_fn done, void *cbdata,
                           int early_error)
{
        struct gwd_share *s = share;
        struct op *op = malloc(sizeof(*op));

        if (!op) {
                /* Without memory there is no way to queue the completion:
                 * this is the one documented inline completion. */
                struct gwd_result res = { .error = -ENOMEM };
                done(cbdata, &res);
                return NULL;
        }
        *op = (struct op){ .share = s, .done = done, .cbdata = cbdata, .kind = kind };
        s->refs++;
        if (!s->registered && !early_error)
                early_error = -ENODEV;
        if (early_error) {
                op->early_error = early_error;
                if (defer_call(s->table->dq, op_fail_now, op) < 0) {
                        struct gwd_result res = { .error = early_error };
                        op_complete(op, &res);
                }
                return NULL;
        }
        return op;
}

#define CHECKED_PATH(p) (path_check(p))

static void w_open(void *share, const char *path, uint32_t flags, gwd_done_fn done, void *cb)
{
        struct gwd_share *s = share;
        int e = CHECKED_PATH(path);
        if (!e && !(flags & (GWD_O_READ | GWD_O_WRITE | GWD_O_DIRECTORY)))
                e = -EINVAL;
        if (!e && (flags & GWD_O_EXCL) && !(flags & GWD_O_CREATE))
                e = -EINVAL;
        if (!e && !s->ops.open)
                e = -EOPNOTSUPP;
        struct op *op = op_begin(share, OP_OPEN, done, cb, e);
        if (op)
                s->ops.open(s->userdata, path, flags, op_complete, op);
}

static void w_close(void *share, struct gwd_file *f, gwd_done_fn done, void *cb)
{
        struct gwd_share *s = share;
        /* A close must always reach the backend so the handle is freed,
         * even after unregister; only a missing op is an early error. */
        struct op *op = malloc(sizeof(*op));
        if (!op) {
                struct gwd_result res = { .error = -ENOMEM };
                done(cb, &res);
                return;
        }
        /* Only a real handle holds a reference on the share to give back. */
        *op = (struct op){ .share = s, .done = done, .cbdata = cb,
                           .kind = f ? OP_CLOSE : OP_OTHER };
        s->refs++;
        if (!s->ops.close || !f) {
                op->early_error = f ? -EOPNOTSUPP : -EBADF;
                if (defer_call(s->table->dq, op_fail_now, op) == 0)
                        return;
                struct gwd_result res = { .error = op->early_error };
                op_complete(op, &res);
                return;
        }
        s->ops.close(s->userdata, f, op_complete, op);
}

static void w_read(void *share, struct gwd_file *f, uint64_t off, void *buf, size_t len,
                   gwd_done_fn done, void *cb)
{
        struct gwd_share *s = share;
        int e = !f ? -EBADF : !s->ops.read ? -EOPNOTSUPP
                : (off > INT64_MAX || len > INT64_MAX - off) ? -EINVAL : 0;
        struct op *op = op_begin(share, OP_OTHER, done, cb, e);
        if (op)
                s->ops.read(s->userdata, f, off, buf, len, op_complete, op);
}

static void w_write(void *share, struct gwd_file *f, uint64_t off, const void *buf, size_t len,
                    gwd_done_fn done, void *cb)
{
        struct gwd_share *s = share;
        int e = !f ? -EBADF : !s->ops.write ? -EOPNOTSUPP
                : (off > INT64_MAX || len > INT64_MAX - off) ? -EFBIG : 0;
        struct op *op = op_begin(share, OP_OTHER, done, cb, e);
        if (op)
                s->ops.write(s->userdata, f, off, buf, len, op_complete, op);
}

static void w_fstat(void *share, struct gwd_file *f, gwd_done_fn done, void *cb)
{
        struct gwd_share *s = share;
        int e = !f ? -EBADF : !s->ops.fstat ? -EOPNOTSUPP : 0;
        struct op *op = op_begin(share, OP_OTHER, done, cb, e);
        if (op)
                s->ops.fstat(s->userdata, f, op_complete, op);
}

static void w_truncate(void *share, struct gwd_file *f, uint64_t size, gwd_done_fn done,
                       void *cb)
{
        struct gwd_share *s = share;
        int e = !f ? -EBADF : !s->ops.truncate ? -EOPNOTSUPP : size > INT64_MAX ? -EFBIG : 0;
        struct op *op = op_begin(share, OP_OTHER, done, cb, e);
        if (op)
                s->ops.truncate(s->userdata, f, size, op_complete, op);
}

static void w_flush(void *share, struct gwd_file *f, gwd_done_fn done, void *cb)
{
        struct gwd_share *s = share;
        int e = !f ? -EBADF : !s->ops.flush ? -EOPNOTSUPP : 0;
        struct op *op = op_begin(share, OP_OTHER, done, cb, e);
        if (op)
                s->ops.flush(s->userdata, f, op_complete, op);
}

/* The path-only operations share one shape. */
#define PATH_OP(opname)                                                              \
        static void w_##opname(void *share, const char *path, gwd_done_fn done,     \
                               void *cb)                                              \
        {                                                                            \
                struct gwd_share *s = share;                                         \
                int e = CHECKED_PATH(path);                                          \
                if (!e && !s->ops.opname)                                            \
                        e = -EOPNOTSUPP;                                             \
                struct op *op = op_begin(share, OP_OTHER, done, cb, e);             \
                if (op)                                                              \
                        s->ops.opname(s->userdata, path, op_complete, op);          \
        }
PATH_OP(stat)
PATH_OP(readdir)
PATH_OP(mkdir)
PATH_OP(rmdir)
PATH_OP(unlink)

static void w_rename(void *share, const char *from, const char *to, uint32_t flags,
                     gwd_done_fn done, void *cb)
{
        struct gwd_share *s = share;
        int e = CHECKED_PATH(from);
        if (!e)
                e = CHECKED_PATH(to);
        if (!e && (!*from || !*to))
                e = -EBUSY;             /* the root cannot move */
        if (!e && (flags & ~GWD_RENAME_REPLACE))
                e = -EINVAL;
        if (!e && !s->ops.rename)
                e = -EOPNOTSUPP;
        struct op *op = op_begin(share, OP_OTHER, done, cb, e);
        if (op)
                s->ops.rename(s->userdata, from, to, flags, op_complete, op);
}

static void w_set_mtime(void *share, const char *path, int64_t mtime_ns, gwd_done_fn done,
                        void *cb)
{
        struct gwd_share *s = share;
        int e = CHECKED_PATH(path);
        if (!e && !s->ops.set_mtime)
                e = -EOPNOTSUPP;
        struct op *op = op_begin(share, OP_OTHER, done, cb, e);
        if (op)
                s->ops.set_mtime(s->userdata, path, mtime_ns, op_complete, op);
}

static const struct gwd_backend_ops wrapped_ops = {
        .struct_size = sizeof(struct gwd_backend_ops),
        .open = w_open,
        .close = w_close,
        .read = w_read,
        .write = w_write,
        .stat = w_stat,
        .fstat = w_fstat,
        .readdir = w_readdir,
        .mkdir = w_mkdir,
        .rmdir = w_rmdir,
        .unlink = w_unlink,
        .rename = w_rename,
        .truncate = w_truncate,
        .flush = w_flush,
        .set_mtime = w_set_mtime,
};

const struct gwd_backend_ops *share_ops(const struct gwd_share *share, void **ret_userdata)
{
        *ret_userdata = (void *)share;
        return &wrapped_ops;
}
