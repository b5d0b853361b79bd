/* SPDX-License-Identifier: MIT */
/* Check suite for the backend registry and the share_ops() wrappers
 * (gatewayd/shares.c), driven by a recording stub backend. */
#include "core-testutil.h"

#include <stddef.h>

#include "gatewayd/shares.h"
#include "tests/check-run.h"

/* --- a stub backend that records calls and defers completions ------------- */

enum stub_op {
        S_OPEN, S_CLOSE, S_READ, S_WRITE, S_STAT, S_FSTAT, S_READDIR, S_MKDIR, S_RMDIR,
        S_UNLINK, S_RENAME, S_TRUNCATE, S_FLUSH, S_SET_MTIME, S_N
};

static const char *const stub_op_names[S_N] = {
        "open", "close", "read", "write", "stat", "fstat", "readdir", "mkdir", "rmdir",
        "unlink", "rename", "truncate", "flush", "set_mtime",
};

struct gwd_file {
        unsigned magic;
        int id;
};
#define FILE_MAGIC 0xf11eu

struct stub {
        struct ct_env *env;
        int calls[S_N];
        int open_files;
        int next_id;
        int close_error;        /* what close reports */
        int open_error;         /* what open reports */
        char last_path[2048];
};

struct stub_pending {
        gwd_done_fn done;
        void *cbdata;
        struct gwd_result res;
        struct gwd_stat st;
};

static void stub_deliver(void *arg)
{
        struct stub_pending *p = arg;
        p->done(p->cbdata, &p->res);
        free(p);
}

static void stub_complete(struct stub *sb, gwd_done_fn done, void *cbdata,
                          struct gwd_result res, const struct gwd_stat *st)
{
        struct stub_pending *p = calloc(1, sizeof(*p));
        ck_assert_ptr_nonnull(p);
        p->done = done;
        p->cbdata = cbdata;
        p->res = res;
        if (st) {
                p->st = *st;
                p->res.st = &p->st;
        }
        ck_assert_int_eq(sb->env->api->defer(sb->env->ctx, stub_deliver, p), 0);
}

static void stub_record(struct stub *sb, enum stub_op op, const char *path)
{
        sb->calls[op]++;
        if (path)
                snprintf(sb->last_path, sizeof(sb->last_path), "%s", path);
}

static void check_file(struct gwd_file *f)
{
        ck_assert_ptr_nonnull(f);
        ck_assert_msg(f->magic == FILE_MAGIC, "backend got a file it never opened");
}

static void st_open(void *share, const char *path, uint32_t flags, gwd_done_fn done, void *cb)
{
        struct stub *sb = share;
        struct gwd_stat st = { .type = GWD_TYPE_FILE, .size = 3 };
        struct gwd_file *f;

        stub_record(sb, S_OPEN, path);
        if (sb->open_error) {
                stub_complete(sb, done, cb, (struct gwd_result){ .error = sb->open_error }, NULL);
                return;
        }
        f = calloc(1, sizeof(*f));
        ck_assert_ptr_nonnull(f);
        f->magic = FILE_MAGIC;
        f->id = ++sb->next_id;
        sb->open_files++;
        stub_complete(sb, done, cb, (struct gwd_result){ .file = f }, &st);
}

static void st_close(void *share, struct gwd_file *f, gwd_done_fn done, void *cb)
{
        struct stub *sb = share;
        stub_record(sb, S_CLOSE, NULL);
        check_file(f);
        f->magic = 0;
        free(f);
        sb->open_files--;
        stub_complete(sb, done, cb, (struct gwd_result){ .error = sb->close_error }, NULL);
}

static void st_read(void *share, struct gwd_file *f, uint64_t off, void *buf, size_t len,
                    gwd_done_fn done, void *cb)
{
        struct stub *sb = share;
        stub_record(sb, S_READ, NULL);
        check_file(f);
        memset(buf, 'r', len);
        stub_complete(sb, done, cb, (struct gwd_result){ .count = len }, NULL);
}

static void st_write(void *share, struct gwd_file *f, uint64_t off, const void *buf,
                     size_t len, gwd_done_fn done, void *cb)
{
        struct stub *sb = share;
        stub_record(sb, S_WRITE, NULL);
        check_file(f);
        stub_complete(sb, done, cb, (struct gwd_result){ .count = len }, NULL);
}

static void st_stat(void *share, const char *path, gwd_done_fn done, void *cb)
{
        struct stub *sb = share;
        struct gwd_stat st = { .type = GWD_TYPE_DIR, .file_id = 7 };
        stub_record(sb, S_STAT, path);
        stub_complete(sb, done, cb, (struct gwd_result){ .error = 0 }, &st);
}

static void st_fstat(void *share, struct gwd_file *f, gwd_done_fn done, void *cb)
{
        struct stub *sb = share;
        struct gwd_stat st = { .type = GWD_TYPE_FILE, .size = 3 };
        stub_record(sb, S_FSTAT, NULL);
        check_file(f);
        stub_complete(sb, done, cb, (struct gwd_result){ .error = 0 }, &st);
}

#define ST_PATH_OP(name, idx)                                                           \
        static void st_##name(void *share, const char *path, gwd_done_fn done, void *cb) \
        {                                                                               \
                struct stub *sb = share;                                                \
                stub_record(sb, idx, path);                                             \
                stub_complete(sb, done, cb, (struct gwd_result){ .error = 0 }, NULL);   \
        }
ST_PATH_OP(readdir, S_READDIR)
ST_PATH_OP(mkdir, S_MKDIR)
ST_PATH_OP(rmdir, S_RMDIR)
ST_PATH_OP(unlink, S_UNLINK)

static void st_rename(void *share, const char *from, const char *to, uint32_t flags,
                      gwd_done_fn done, void *cb)
{
        struct stub *sb = share;
        stub_record(sb, S_RENAME, to);
        stub_complete(sb, done, cb, (struct gwd_result){ .error = 0 }, NULL);
}

static void st_truncate(void *share, struct gwd_file *f, uint64_t size, gwd_done_fn done,
                        void *cb)
{
        struct stub *sb = share;
        stub_record(sb, S_TRUNCATE, NULL);
        check_file(f);
        stub_complete(sb, done, cb, (struct gwd_result){ .error = 0 }, NULL);
}

static void st_flush(void *share, struct gwd_file *f, gwd_done_fn done, void *cb)
{
        struct stub *sb = share;
        stub_record(sb, S_FLUSH, NULL);
        check_file(f);
        stub_complete(sb, done, cb, (struct gwd_result){ .error = 0 }, NULL);
}

static void st_set_mtime(void *share, const char *path, int64_t mtime_ns, gwd_done_fn done,
                         void *cb)
{
        struct stub *sb = share;
        stub_record(sb, S_SET_MTIME, path);
        stub_complete(sb, done, cb, (struct gwd_result){ .error = 0 }, NULL);
}

static const struct gwd_backend_ops full_ops = {
        .struct_size = sizeof(struct gwd_backend_ops),
        .open = st_open,
        .close = st_close,
        .read = st_read,
        .write = st_write,
        .stat = st_stat,
        .fstat = st_fstat,
        .readdir = st_readdir,
        .mkdir = st_mkdir,
        .rmdir = st_rmdir,
        .unlink = st_unlink,
        .rename = st_rename,
        .truncate = st_truncate,
        .flush = st_flush,
        .set_mtime = st_set_mtime,
};

static int total_calls(const struct stub *sb)
{
        int n = 0;
        for (int i = 0; i < S_N; i++)
                n += sb->calls[i];
        return n;
}

/* --- fixture ---------------------------------------------------------------- */

static struct ct_env env;
static struct stub sb;

static void setup(void)
{
        ct_env_init(&env, "shares");
        memset(&sb, 0, sizeof(sb));
        sb.env = &env;
}

static void teardown(void)
{
        ct_env_drain(&env);
        ct_env_free(&env);
}

static struct gwd_share *reg(const char *name, const struct gwd_backend_ops *ops)
{
        struct gwd_share *s = NULL;
        int r = env.api->share_register(env.ctx, name, ops, &sb, &s);
        ck_assert_msg(r == 0, "share_register(%s): %s", name, ct_errname(r));
        ck_assert_ptr_nonnull(s);
        return s;
}

/* Every operation of the wrapped table, by index, with arguments that are
 * valid unless the caller's path/file say otherwise. */
static char io_buf[64];

static void call_op(struct gwd_share *share, enum stub_op op, const char *path,
                    struct gwd_file *f, struct ct_wait *w)
{
        void *ud = NULL;
        const struct gwd_backend_ops *o = env.api->share_ops(share, &ud);

        ck_assert_ptr_nonnull(o);
        ck_assert_ptr_eq(ud, share);
        switch (op) {
        case S_OPEN:
                CT_CALL(&env, w, o->open(ud, path, GWD_O_READ, ct_done, w));
                break;
        case S_CLOSE:
                CT_CALL(&env, w, o->close(ud, f, ct_done, w));
                break;
        case S_READ:
                CT_CALL(&env, w, o->read(ud, f, 0, io_buf, sizeof(io_buf), ct_done, w));
                break;
        case S_WRITE:
                CT_CALL(&env, w, o->write(ud, f, 0, io_buf, sizeof(io_buf), ct_done, w));
                break;
        case S_STAT:
                CT_CALL(&env, w, o->stat(ud, path, ct_done, w));
                break;
        case S_FSTAT:
                CT_CALL(&env, w, o->fstat(ud, f, ct_done, w));
                break;
        case S_READDIR:
                CT_CALL(&env, w, o->readdir(ud, path, ct_done, w));
                break;
        case S_MKDIR:
                CT_CALL(&env, w, o->mkdir(ud, path, ct_done, w));
                break;
        case S_RMDIR:
                CT_CALL(&env, w, o->rmdir(ud, path, ct_done, w));
                break;
        case S_UNLINK:
                CT_CALL(&env, w, o->unlink(ud, path, ct_done, w));
                break;
        case S_RENAME:
                CT_CALL(&env, w, o->rename(ud, path, "renamed", 0, ct_done, w));
                break;
        case S_TRUNCATE:
                CT_CALL(&env, w, o->truncate(ud, f, 10, ct_done, w));
                break;
        case S_FLUSH:
                CT_CALL(&env, w, o->flush(ud, f, ct_done, w));
                break;
        case S_SET_MTIME:
                CT_CALL(&env, w, o->set_mtime(ud, path, 1000000000, ct_done, w));
                break;
        default:
                ck_abort();
        }
}

static int op_takes_file(enum stub_op op)
{
        return op == S_CLOSE || op == S_READ || op == S_WRITE || op == S_FSTAT ||
               op == S_TRUNCATE || op == S_FLUSH;
}

static struct gwd_file *open_file(struct gwd_share *share, const char *path)
{
        struct ct_wait w = { 0 };
        struct gwd_file *f;
        call_op(share, S_OPEN, path, NULL, &w);
        ck_assert_errno(w.error, 0);
        ck_assert_ptr_nonnull(w.file);
        f = w.file;
        ct_wait_clear(&w);
        return f;
}

/* --- path_check --------------------------------------------------------------- */

static char *repeat(char c, size_t n)
{
        char *s = malloc(n + 1);
        ck_assert_ptr_nonnull(s);
        memset(s, c, n);
        s[n] = '\0';
        return s;
}

static const char *shown(const char *p)
{
        static char buf[256];
        size_t o = 0;
        for (const unsigned char *c = (const unsigned char *)p; *c && o + 8 < sizeof(buf); c++)
                o += (size_t)snprintf(buf + o, sizeof(buf) - o,
                                      *c < 0x20 || *c >= 0x7f ? "\\x%02x" : "%c", *c);
        buf[o] = '\0';
        return buf;
}

START_TEST(t_path_check_accept)
{
        char *c255 = repeat('n', GWD_NAME_MAX);
        char p1024[GWD_PATH_MAX + 1];
        char kana255[GWD_NAME_MAX + 1] = "";
        const char *ok[] = {
                "", "a", "a/b", "\xc3\xbcn\xc3\xaf\x63\xc3\xb8\x64\xc3\xa9/"
                "\xe3\x83\x95\xe3\x82\xa1\xe3\x82\xa4\xe3\x83\xab",     /* ünïcødé/ファイル */
                "...", "a..", "..a", ".a/b.", "a b", "a.b/c d/e-f_g", "\xf0\x9f\x98\x80",
                "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf", "\xee\x80\x80", "#%&'()+,;=@[]^`{}~$!",
                c255, p1024, kana255, NULL,
        };
        size_t o = 0;

        /* 1024 bytes: five 200-byte components, four slashes, a 20-byte tail */
        for (int i = 0; i < 5; i++) {
                memset(p1024 + o, 'a' + i, 200);
                o += 200;
                p1024[o++] = '/';
        }
        memset(p1024 + o, 'z', GWD_PATH_MAX - o);
        p1024[GWD_PATH_MAX] = '\0';
        ck_assert_uint_eq(strlen(p1024), GWD_PATH_MAX);
        for (int i = 0; i < GWD_NAME_MAX / 3; i++)
                strcat(kana255, "\xe3\x82\xa2");        /* ア: 85 x 3 = 255 bytes */
        ck_assert_uint_eq(strlen(kana255), GWD_NAME_MAX);

        for (size_t i = 0; ok[i]; i++) {
                int r = env.api->path_check(ok[i]);
                ck_assert_msg(r == 0, "path_check(\"%s\") [%zu] = %s, want 0", shown(ok[i]), i,
                              ct_errname(r));
        }
        free(c255);
}
END_TEST

START_TEST(t_path_check_reject)
{
        char *c256 = repeat('n', GWD_NAME_MAX + 1);
        char *in_middle = NULL;
        char p1025[GWD_PATH_MAX + 2];
        char kana258[GWD_NAME_MAX + 4] = "";
        struct {
                const char *path;
                int want;
        } bad[] = {
                { "/", -EINVAL },
                { "/a", -EINVAL },
                { "a/", -EINVAL },
                { "a//b", -EINVAL },
                { "//", -EINVAL },
                { ".", -EINVAL },
                { "..", -EINVAL },
                { "a/..", -EINVAL },
                { "./a", -EINVAL },
                { "a/../b", -EINVAL },
                { "a/./b", -EINVAL },
                { "a\\b", -EINVAL },
                { "\\", -EINVAL },
                { "a\x01", -EINVAL },
                { "\x1f", -EINVAL },
                { "a\tb", -EINVAL },
                { "a\nb", -EINVAL },
                { "a\x7f", -EINVAL },
                { "a:b", -EINVAL },
                { "a*b", -EINVAL },
                { "a?b", -EINVAL },
                { "a\"b", -EINVAL },
                { "a<b", -EINVAL },
                { "a>b", -EINVAL },
                { "a|b", -EINVAL },
                { "ok/a|b", -EINVAL },
                { "\xc0\xaf", -EINVAL },                /* overlong '/' */
                { "\xc1\xbf", -EINVAL },                /* overlong */
                { "\xe0\x80\xaf", -EINVAL },            /* overlong, 3 bytes */
                { "\xf0\x80\x80\xaf", -EINVAL },        /* overlong, 4 bytes */
                { "\xed\xa0\x80", -EINVAL },            /* surrogate U+D800 */
                { "\xed\xbf\xbf", -EINVAL },            /* surrogate U+DFFF */
                { "\xe2\x82", -EINVAL },                /* truncated */
                { "a\xe2\x82/b", -EINVAL },             /* truncated before '/' */
                { "\xe2", -EINVAL },
                { "\x80", -EINVAL },                    /* lone continuation */
                { "a\xbf", -EINVAL },
                { "\xf4\x90\x80\x80", -EINVAL },        /* > U+10FFFF */
                { "\xf5\x80\x80\x80", -EINVAL },
                { "\xff", -EINVAL },
                { "\xfe\xff", -EINVAL },
                { c256, -ENAMETOOLONG },
                { NULL, -ENAMETOOLONG },                /* in_middle */
                { p1025, -ENAMETOOLONG },
                { kana258, -ENAMETOOLONG },
        };
        size_t n = sizeof(bad) / sizeof(bad[0]);

        ck_assert_int_ge(asprintf(&in_middle, "a/%s/b", c256), 0);
        bad[n - 3].path = in_middle;
        memset(p1025, 'p', sizeof(p1025) - 1);
        p1025[GWD_PATH_MAX + 1] = '\0';
        for (size_t i = 100; i < GWD_PATH_MAX; i += 101)
                p1025[i] = '/';         /* short components: only the total is too long */
        ck_assert_uint_eq(strlen(p1025), GWD_PATH_MAX + 1);
        for (int i = 0; i < GWD_NAME_MAX / 3 + 1; i++)
                strcat(kana258, "\xe3\x82\xa2");
        ck_assert_uint_eq(strlen(kana258), GWD_NAME_MAX + 3);

        for (size_t i = 0; i < n; i++) {
                int r = env.api->path_check(bad[i].path);
                ck_assert_msg(r == bad[i].want, "path_check(\"%s\") [%zu] = %s, want %s",
                              shown(bad[i].path), i, ct_errname(r),
                              bad[i].want == -EINVAL ? "-EINVAL" : "-ENAMETOOLONG");
        }
        ck_assert_errno(env.api->path_check(NULL), -EINVAL);
        free(c256);
        free(in_middle);
}
END_TEST

/* --- share names and the table ------------------------------------------------ */

START_TEST(t_share_names)
{
        char *n64 = repeat('s', 64), *n65 = repeat('s', 65);
        const char *good[] = { "a", "Share_1", "my-share.v2", "0", "a.", n64, NULL };
        const char *bad[] = { "", ".hidden", ".", "..", "a b", "a/b", "a\\b", "a:b", "\xc3\xa4",
                              "a%b", n65, NULL };

        for (size_t i = 0; good[i]; i++) {
                struct gwd_share *s = NULL;
                int r = env.api->share_register(env.ctx, good[i], &full_ops, &sb, &s);
                ck_assert_msg(r == 0, "share name \"%s\": %s", good[i], ct_errname(r));
                ck_assert_str_eq(env.api->share_name(s), good[i]);
                ck_assert_int_eq(share_name_check(good[i]), 0);
        }
        for (size_t i = 0; bad[i]; i++) {
                struct gwd_share *s = NULL;
                int r = env.api->share_register(env.ctx, bad[i], &full_ops, &sb, &s);
                ck_assert_msg(r == -EINVAL, "share name \"%s\": %s, want -EINVAL",
                              shown(bad[i]), ct_errname(r));
                ck_assert_ptr_null(s);
                ck_assert_ptr_null(env.api->share_find(env.ctx, bad[i]));
        }
        ck_assert_errno(env.api->share_register(env.ctx, NULL, &full_ops, &sb, NULL), -EINVAL);
        ck_assert_errno(env.api->share_register(env.ctx, "noops", NULL, &sb, NULL), -EINVAL);
        ck_assert_ptr_null(env.api->share_find(env.ctx, "noops"));
        free(n64);
        free(n65);
}
END_TEST

struct seen {
        struct gwd_share *s[8];
        int n, stop_at;
};

static int seen_fn(void *ud, struct gwd_share *s)
{
        struct seen *v = ud;
        ck_assert_int_lt(v->n, 8);
        v->s[v->n++] = s;
        return v->stop_at && v->n == v->stop_at ? 5 : 0;
}

static int seen_has(const struct seen *v, const struct gwd_share *s)
{
        for (int i = 0; i < v->n; i++)
                if (v->s[i] == s)
                        return 1;
        return 0;
}

START_TEST(t_register_find_unregister)
{
        struct gwd_share *a = reg("alpha", &full_ops), *b = reg("beta", &full_ops), *c;
        struct seen v = { .n = 0 };

        ck_assert_ptr_ne(a, b);
        ck_assert_ptr_eq(env.api->share_find(env.ctx, "alpha"), a);
        ck_assert_ptr_eq(env.api->share_find(env.ctx, "beta"), b);
        ck_assert_ptr_null(env.api->share_find(env.ctx, "Alpha"));
        ck_assert_ptr_null(env.api->share_find(env.ctx, "gamma"));
        ck_assert_ptr_null(env.api->share_find(env.ctx, NULL));
        ck_assert_str_eq(env.api->share_name(a), "alpha");

        /* duplicate, also from another instance */
        ck_assert_errno(env.api->share_register(env.ctx, "alpha", &full_ops, &sb, &c), -EEXIST);
        {
                struct gwd_ctx *ctx2;
                ck_assert_int_eq(host_ctx_new(env.host, "two", &ctx2), 0);
                ck_assert_errno(env.api->share_register(ctx2, "beta", &full_ops, &sb, NULL),
                                -EEXIST);
                /* shares are daemon-wide: found through any ctx */
                ck_assert_ptr_eq(env.api->share_find(ctx2, "alpha"), a);
                host_ctx_free(ctx2);
        }
        ck_assert_ptr_eq(env.api->share_find(env.ctx, "alpha"), a);

        ck_assert_int_eq(env.api->share_foreach(env.ctx, seen_fn, &v), 0);
        ck_assert_int_eq(v.n, 2);
        ck_assert(seen_has(&v, a) && seen_has(&v, b));
        v = (struct seen){ .stop_at = 1 };
        ck_assert_int_eq(env.api->share_foreach(env.ctx, seen_fn, &v), 5);
        ck_assert_int_eq(v.n, 1);

        env.api->share_unregister(a);
        ck_assert_ptr_null(env.api->share_find(env.ctx, "alpha"));
        ck_assert_ptr_eq(env.api->share_find(env.ctx, "beta"), b);
        v = (struct seen){ .n = 0 };
        ck_assert_int_eq(env.api->share_foreach(env.ctx, seen_fn, &v), 0);
        ck_assert_int_eq(v.n, 1);
        ck_assert_ptr_eq(v.s[0], b);
        env.api->share_unregister(NULL);

        /* the name is free again */
        c = reg("alpha", &full_ops);
        ck_assert_ptr_eq(env.api->share_find(env.ctx, "alpha"), c);
        ck_assert_int_eq(total_calls(&sb), 0);
}
END_TEST

/* --- the wrappers ------------------------------------------------------------ */

/* A backend offering only open and close: everything else completes with
 * -EOPNOTSUPP, from the loop, without reaching the backend. */
START_TEST(t_missing_ops)
{
        static const struct gwd_backend_ops open_close = {
                .struct_size = sizeof(struct gwd_backend_ops),
                .open = st_open,
                .close = st_close,
        };
        struct gwd_share *s = reg("partial", &open_close);
        struct gwd_file *f = open_file(s, "f");
        struct ct_wait w = { 0 };

        ck_assert_int_eq(sb.calls[S_OPEN], 1);
        for (int op = S_READ; op < S_N; op++) {
                int before = total_calls(&sb);
                call_op(s, (enum stub_op)op, "some/path", f, &w);
                ck_assert_msg(w.error == -EOPNOTSUPP, "%s: got %s, want -EOPNOTSUPP",
                              stub_op_names[op], ct_errname(w.error));
                ck_assert_int_eq(total_calls(&sb), before);
        }
        call_op(s, S_CLOSE, NULL, f, &w);
        ck_assert_errno(w.error, 0);
        ck_assert_int_eq(sb.calls[S_CLOSE], 1);
        ck_assert_int_eq(sb.open_files, 0);
        ct_wait_clear(&w);
}
END_TEST

/* Nothing at all: even open and close are defaults. */
START_TEST(t_empty_ops)
{
        static const struct gwd_backend_ops none = { .struct_size = sizeof(none) };
        struct gwd_share *s = reg("empty", &none);
        struct ct_wait w = { 0 };

        for (int op = 0; op < S_N; op++) {
                if (op_takes_file((enum stub_op)op))
                        continue;
                call_op(s, (enum stub_op)op, "x", NULL, &w);
                ck_assert_msg(w.error == -EOPNOTSUPP, "%s: got %s", stub_op_names[op],
                              ct_errname(w.error));
        }
        ct_wait_clear(&w);
}
END_TEST

/* A backend built against a smaller gwd_backend_ops (older minor): pointers
 * past its struct_size are not looked at. */
START_TEST(t_ops_struct_size)
{
        struct gwd_backend_ops small = full_ops;
        struct gwd_share *s;
        struct gwd_file *f;
        struct ct_wait w = { 0 };

        small.struct_size = offsetof(struct gwd_backend_ops, read);
        s = reg("small", &small);
        f = open_file(s, "f");
        call_op(s, S_READ, NULL, f, &w);
        ck_assert_errno(w.error, -EOPNOTSUPP);
        call_op(s, S_SET_MTIME, "f", NULL, &w);
        ck_assert_errno(w.error, -EOPNOTSUPP);
        ck_assert_int_eq(sb.calls[S_READ], 0);
        ck_assert_int_eq(sb.calls[S_SET_MTIME], 0);
        call_op(s, S_CLOSE, NULL, f, &w);
        ck_assert_errno(w.error, 0);
        ct_wait_clear(&w);
}
END_TEST

/* Everything reaches the backend when the arguments are fine, and the
 * backend's results pass through. */
START_TEST(t_passthrough)
{
        struct gwd_share *s = reg("full", &full_ops);
        struct gwd_file *f = open_file(s, "dir/file");
        struct ct_wait w = { 0 };

        ck_assert_str_eq(sb.last_path, "dir/file");
        for (int op = S_READ; op < S_N; op++) {
                int before = sb.calls[op];
                call_op(s, (enum stub_op)op, "dir/x", f, &w);
                ck_assert_msg(w.error == 0, "%s: %s", stub_op_names[op], ct_errname(w.error));
                ck_assert_msg(sb.calls[op] == before + 1, "%s did not reach the backend",
                              stub_op_names[op]);
        }
        call_op(s, S_READ, NULL, f, &w);
        ck_assert_uint_eq(w.count, sizeof(io_buf));
        ck_assert_int_eq(io_buf[0], 'r');
        call_op(s, S_STAT, "", NULL, &w);       /* the root */
        ck_assert(w.has_st);
        ck_assert_uint_eq(w.st.file_id, 7);
        ck_assert_str_eq(sb.last_path, "");
        sb.close_error = -EIO;
        call_op(s, S_CLOSE, NULL, f, &w);
        ck_assert_errno(w.error, -EIO);
        ck_assert_int_eq(sb.open_files, 0);
        ct_wait_clear(&w);
}
END_TEST

/* Hostile paths never reach the backend. */
START_TEST(t_bad_paths)
{
        struct gwd_share *s = reg("full", &full_ops);
        char *c256 = repeat('x', GWD_NAME_MAX + 1);
        const char *bad[] = { "/etc/passwd", "../up", "a/../../b", "a//b", "a/", ".", "a\\b",
                              "a:b", "\xc0\xaf", "a\x01", NULL };
        const enum stub_op path_ops[] = { S_OPEN, S_STAT, S_READDIR, S_MKDIR, S_RMDIR,
                                          S_UNLINK, S_RENAME, S_SET_MTIME };
        struct ct_wait w = { 0 };
        void *ud;
        const struct gwd_backend_ops *o = env.api->share_ops(s, &ud);

        for (size_t i = 0; bad[i]; i++)
                for (size_t k = 0; k < sizeof(path_ops) / sizeof(path_ops[0]); k++) {
                        call_op(s, path_ops[k], bad[i], NULL, &w);
                        ck_assert_msg(w.error == -EINVAL, "%s(\"%s\"): %s, want -EINVAL",
                                      stub_op_names[path_ops[k]], shown(bad[i]),
                                      ct_errname(w.error));
                }
        for (size_t k = 0; k < sizeof(path_ops) / sizeof(path_ops[0]); k++) {
                call_op(s, path_ops[k], c256, NULL, &w);
                ck_assert_msg(w.error == -ENAMETOOLONG, "%s(256-byte name): %s",
                              stub_op_names[path_ops[k]], ct_errname(w.error));
                call_op(s, path_ops[k], NULL, NULL, &w);
                ck_assert_msg(w.error == -EINVAL, "%s(NULL): %s", stub_op_names[path_ops[k]],
                              ct_errname(w.error));
        }
        /* rename: a bad target is caught too */
        for (size_t i = 0; bad[i]; i++) {
                CT_CALL(&env, &w, o->rename(ud, "good", bad[i], 0, ct_done, &w));
                ck_assert_msg(w.error == -EINVAL, "rename to \"%s\": %s", shown(bad[i]),
                              ct_errname(w.error));
        }
        ck_assert_msg(total_calls(&sb) == 0, "the backend saw %d calls with bad paths",
                      total_calls(&sb));
        free(c256);
        ct_wait_clear(&w);
}
END_TEST

/* Argument checks of the wrappers, before the backend. */
START_TEST(t_wrapper_args)
{
        struct gwd_share *s = reg("full", &full_ops);
        struct ct_wait w = { 0 };
        void *ud;
        const struct gwd_backend_ops *o = env.api->share_ops(s, &ud);
        struct gwd_file *f;
        char buf[8];

        CT_CALL(&env, &w, o->open(ud, "f", 0, ct_done, &w));
        ck_assert_errno(w.error, -EINVAL);
        CT_CALL(&env, &w, o->open(ud, "f", GWD_O_CREATE | GWD_O_TRUNC, ct_done, &w));
        ck_assert_errno(w.error, -EINVAL);
        CT_CALL(&env, &w, o->open(ud, "f", GWD_O_READ | GWD_O_EXCL, ct_done, &w));
        ck_assert_errno(w.error, -EINVAL);
        CT_CALL(&env, &w, o->rename(ud, "", "b", 0, ct_done, &w));
        ck_assert_errno(w.error, -EBUSY);
        CT_CALL(&env, &w, o->rename(ud, "a", "", GWD_RENAME_REPLACE, ct_done, &w));
        ck_assert_errno(w.error, -EBUSY);
        CT_CALL(&env, &w, o->rename(ud, "a", "b", 0x80, ct_done, &w));
        ck_assert_errno(w.error, -EINVAL);
        CT_CALL(&env, &w, o->read(ud, NULL, 0, buf, sizeof(buf), ct_done, &w));
        ck_assert_errno(w.error, -EBADF);
        CT_CALL(&env, &w, o->write(ud, NULL, 0, buf, sizeof(buf), ct_done, &w));
        ck_assert_errno(w.error, -EBADF);
        CT_CALL(&env, &w, o->fstat(ud, NULL, ct_done, &w));
        ck_assert_errno(w.error, -EBADF);
        CT_CALL(&env, &w, o->truncate(ud, NULL, 0, ct_done, &w));
        ck_assert_errno(w.error, -EBADF);
        CT_CALL(&env, &w, o->flush(ud, NULL, ct_done, &w));
        ck_assert_errno(w.error, -EBADF);
        ck_assert_int_eq(total_calls(&sb), 0);

        f = open_file(s, "f");
        CT_CALL(&env, &w, o->read(ud, f, (uint64_t)INT64_MAX + 1, buf, 1, ct_done, &w));
        ck_assert_errno(w.error, -EINVAL);
        CT_CALL(&env, &w, o->read(ud, f, (uint64_t)INT64_MAX - 2, buf, 8, ct_done, &w));
        ck_assert_errno(w.error, -EINVAL);
        CT_CALL(&env, &w, o->write(ud, f, UINT64_MAX, buf, 1, ct_done, &w));
        ck_assert_errno(w.error, -EFBIG);
        CT_CALL(&env, &w, o->write(ud, f, (uint64_t)INT64_MAX - 2, buf, 8, ct_done, &w));
        ck_assert_errno(w.error, -EFBIG);
        CT_CALL(&env, &w, o->truncate(ud, f, (uint64_t)INT64_MAX + 1, ct_done, &w));
        ck_assert_errno(w.error, -EFBIG);
        ck_assert_int_eq(sb.calls[S_READ] + sb.calls[S_WRITE] + sb.calls[S_TRUNCATE], 0);
        CT_CALL(&env, &w, o->close(ud, f, ct_done, &w));
        ck_assert_errno(w.error, 0);
        ct_wait_clear(&w);
}
END_TEST

/* close(NULL) is a caller error answered with -EBADF; it must not cost the
 * share a reference it never took. */
START_TEST(t_close_null_file)
{
        struct gwd_share *s = reg("full", &full_ops);
        struct ct_wait w = { 0 };
        void *ud;
        const struct gwd_backend_ops *o = env.api->share_ops(s, &ud);

        CT_CALL(&env, &w, o->close(ud, NULL, ct_done, &w));
        ck_assert_errno(w.error, -EBADF);
        ck_assert_int_eq(sb.calls[S_CLOSE], 0);
        /* the share must be intact (ASan reports a use-after-free if the
         * unbalanced reference drop freed it) */
        ck_assert_ptr_eq(env.api->share_find(env.ctx, "full"), s);
        ck_assert_str_eq(env.api->share_name(s), "full");
        call_op(s, S_STAT, "x", NULL, &w);
        ck_assert_errno(w.error, 0);
        ck_assert_int_eq(sb.calls[S_STAT], 1);
        ct_wait_clear(&w);
}
END_TEST

/* Unregistered with a file open: new operations get -ENODEV without
 * reaching the backend, the open file still closes through it, and the
 * share's memory stays valid until then. */
START_TEST(t_unregister_with_open_file)
{
        struct gwd_share *s = reg("full", &full_ops), *again;
        struct gwd_file *f1 = open_file(s, "one"), *f2 = open_file(s, "two");
        struct ct_wait w = { 0 };

        env.api->share_unregister(s);
        ck_assert_ptr_null(env.api->share_find(env.ctx, "full"));
        /* the name can be reused right away */
        again = reg("full", &full_ops);
        ck_assert_ptr_ne(again, s);
        ck_assert_ptr_eq(env.api->share_find(env.ctx, "full"), again);

        ck_assert_str_eq(env.api->share_name(s), "full");
        {
                int before = total_calls(&sb);
                for (int op = 0; op < S_N; op++) {
                        if (op == S_CLOSE)
                                continue;
                        call_op(s, (enum stub_op)op, "one", f1, &w);
                        ck_assert_msg(w.error == -ENODEV, "%s after unregister: %s",
                                      stub_op_names[op], ct_errname(w.error));
                }
                ck_assert_int_eq(total_calls(&sb), before);
        }
        /* a second unregister is harmless */
        env.api->share_unregister(s);
        ck_assert_ptr_eq(env.api->share_find(env.ctx, "full"), again);

        sb.close_error = 0;
        call_op(s, S_CLOSE, NULL, f1, &w);
        ck_assert_errno(w.error, 0);
        ck_assert_int_eq(sb.calls[S_CLOSE], 1);
        /* still one open file: the share must still be there */
        call_op(s, S_FSTAT, NULL, f2, &w);
        ck_assert_errno(w.error, -ENODEV);
        sb.close_error = -EIO;  /* a failing close still releases the handle */
        call_op(s, S_CLOSE, NULL, f2, &w);
        ck_assert_errno(w.error, -EIO);
        ck_assert_int_eq(sb.calls[S_CLOSE], 2);
        ck_assert_int_eq(sb.open_files, 0);
        ct_wait_clear(&w);
        /* LeakSanitizer / valgrind check that the share was freed now */
}
END_TEST

/* An operation in flight keeps the share alive across unregister. */
struct inflight {
        struct ct_wait w;
        struct gwd_share *share;
        int seen_name_ok;
};

static void inflight_done(void *cbdata, const struct gwd_result *res)
{
        struct inflight *in = cbdata;
        /* the share is still a valid object inside the completion */
        in->seen_name_ok = strcmp(env.api->share_name(in->share), "full") == 0;
        ct_done(&in->w, res);
}

START_TEST(t_unregister_with_op_in_flight)
{
        struct inflight in = { .w = { 0 } };
        struct ct_wait ow = { 0 }, w = { 0 };
        void *ud;
        const struct gwd_backend_ops *o;

        in.share = reg("full", &full_ops);
        o = env.api->share_ops(in.share, &ud);
        ct_wait_start(&in.w);
        o->stat(ud, "x", inflight_done, &in);
        in.w.in_call = 0;
        ct_wait_start(&ow);
        o->open(ud, "x", GWD_O_READ, ct_done, &ow);
        ow.in_call = 0;
        ck_assert_int_eq(in.w.calls + ow.calls, 0);
        ck_assert_int_eq(sb.calls[S_STAT], 1);
        ck_assert_int_eq(sb.calls[S_OPEN], 1);

        /* unregister while both are in the backend */
        env.api->share_unregister(in.share);
        ct_loop_until(&env, &in.w.calls, "stat completion");
        ct_loop_until(&env, &ow.calls, "open completion");
        ct_env_drain(&env);
        ck_assert_int_eq(in.w.calls, 1);
        ck_assert_int_eq(ow.calls, 1);
        ck_assert_errno(in.w.error, 0);
        ck_assert(in.seen_name_ok);
        /* the open the backend had accepted completes with a file, which
         * keeps the share until it is closed */
        ck_assert_errno(ow.error, 0);
        ck_assert_ptr_nonnull(ow.file);
        call_op(in.share, S_READ, NULL, ow.file, &w);
        ck_assert_errno(w.error, -ENODEV);
        call_op(in.share, S_CLOSE, NULL, ow.file, &w);
        ck_assert_errno(w.error, 0);
        ck_assert_int_eq(sb.open_files, 0);
        ct_wait_clear(&w);
        ct_wait_clear(&ow);
        ct_wait_clear(&in.w);
}
END_TEST

/* Completions of early errors keep their order and never run inline, even
 * when many are queued in one go. */
START_TEST(t_many_early_errors)
{
        struct gwd_share *s = reg("full", &full_ops);
        struct ct_wait w[64];
        void *ud;
        const struct gwd_backend_ops *o = env.api->share_ops(s, &ud);

        memset(w, 0, sizeof(w));
        for (int i = 0; i < 64; i++) {
                w[i].in_call = 1;
                o->stat(ud, (i & 1) ? "/abs" : "a//b", ct_done, &w[i]);
                w[i].in_call = 0;
                ck_assert_int_eq(w[i].calls, 0);
        }
        ct_loop_until(&env, &w[63].calls, "the last early error");
        ct_env_drain(&env);
        for (int i = 0; i < 64; i++) {
                ck_assert_int_eq(w[i].calls, 1);
                ck_assert_int_eq(w[i].inline_hit, 0);
                ck_assert_errno(w[i].error, -EINVAL);
        }
        ck_assert_int_eq(total_calls(&sb), 0);
}
END_TEST

static Suite *shares_suite(void)
{
        Suite *s = suite_create("shares");
        TCase *tc = tcase_create("shares");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, t_path_check_accept);
        tcase_add_test(tc, t_path_check_reject);
        tcase_add_test(tc, t_share_names);
        tcase_add_test(tc, t_register_find_unregister);
        tcase_add_test(tc, t_missing_ops);
        tcase_add_test(tc, t_empty_ops);
        tcase_add_test(tc, t_ops_struct_size);
        tcase_add_test(tc, t_passthrough);
        tcase_add_test(tc, t_bad_paths);
        tcase_add_test(tc, t_wrapper_args);
        tcase_add_test(tc, t_close_null_file);
        tcase_add_test(tc, t_unregister_with_open_file);
        tcase_add_test(tc, t_unregister_with_op_in_flight);
        tcase_add_test(tc, t_many_early_errors);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return check_run_suite(shares_suite());
}
