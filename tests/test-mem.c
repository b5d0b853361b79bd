/* SPDX-License-Identifier: MIT */
/*
 * Check suite for the in-memory backend (plugins/mem).  The plugin is
 * loaded through the real loader, driven through the host api, and every
 * operation goes through share_ops() of a registered mem share; every
 * completion is checked to arrive from the loop, exactly once.
 */
#include "core-testutil.h"

#include <inttypes.h>
#include <unistd.h>

#include <jansson.h>

#include "gatewayd/conf.h"
#include "gatewayd/loader.h"
#include "tests/check-run.h"

#ifndef GWD_TEST_MEM_PLUGIN_DIR
#define GWD_TEST_MEM_PLUGIN_DIR "plugins/mem/.libs"
#endif

#define SMALL_MAX 65536

static struct ct_env env;
static struct loaded_plugin *plug;
static json_t *config;
static void *state;
static int stopped;
static const struct gwd_backend_ops *ops;
static void *ud;
static const char *cur_share;

static void use_share(const char *name)
{
        struct gwd_share *s = env.api->share_find(env.ctx, name);
        ck_assert_msg(s != NULL, "share \"%s\" not registered", name);
        ops = env.api->share_ops(s, &ud);
        ck_assert_ptr_nonnull(ops);
        cur_share = name;
}

static void setup(void)
{
        const char *dir = getenv("GWD_TEST_MEM_PLUGIN_DIR");
        struct gwd_conf_errors errs;
        char *err = NULL;
        int r;

        ct_env_init(&env, "mem");
        if (!dir || !*dir)
                dir = GWD_TEST_MEM_PLUGIN_DIR;
        r = plugin_load(dir, "mem", &plug, &err);
        ck_assert_msg(r == 0, "plugin_load(%s, mem): %s", dir, err ? err : ct_errname(r));
        free(err);
        config = json_pack("{s:[{s:s}, {s:s, s:i}, {s:s, s:b}]}", "shares", "name", "rw",
                           "name", "small", "max_bytes", SMALL_MAX, "name", "ro", "read_only",
                           1);
        ck_assert_ptr_nonnull(config);
        conf_errors_init(&errs);
        r = plug->hooks.check_config(env.api, config, "instances[0].config", &errs);
        ck_assert_msg(r == 0 && errs.n == 0, "check_config: %d problems, first: %s", r,
                      errs.n ? errs.msgs[0] : "-");
        conf_errors_done(&errs);
        r = plug->hooks.init(env.api, env.ctx, config, &state);
        ck_assert_msg(r == 0, "init: %s", ct_errname(r));
        r = plug->hooks.start(state);
        ck_assert_msg(r == 0, "start: %s", ct_errname(r));
        stopped = 0;
        use_share("rw");
}

static void teardown(void)
{
        ct_env_drain(&env);
        if (!stopped)
                plug->hooks.stop(state);
        ct_env_drain(&env);
        plug->hooks.destroy(state);
        state = NULL;
        ct_env_drain(&env);
        json_decref(config);
        config = NULL;
        ct_env_free(&env);
        plugin_unload(plug);
        plug = NULL;
}

/* --- operation helpers: each checks "not inline, exactly once" ------------ */

#define m_open(...) m_open_at(__FILE__, __LINE__, __VA_ARGS__)
static int m_open_at(const char *file, int line, const char *path, uint32_t flags,
                     struct gwd_file **ret, struct gwd_stat *ret_st)
{
        struct ct_wait w = { 0 };
        int e;

        CT_CALL_AT(&env, &w, ops->open(ud, path, flags, ct_done, &w), file, line);
        e = w.error;
        if (e == 0) {
                ck_assert_msg(w.file != NULL, "open(%s) succeeded without a file (%s:%d)",
                              path, file, line);
                ck_assert_msg(w.has_st, "open(%s) gave no stat (%s:%d)", path, file, line);
                if (ret)
                        *ret = w.file;
                else
                        ck_abort_msg("unexpected open success for %s (%s:%d)", path, file,
                                     line);
                if (ret_st)
                        *ret_st = w.st;
        }
        ct_wait_clear(&w);
        return e;
}

#define m_close(f) m_close_at(__FILE__, __LINE__, (f))
static int m_close_at(const char *file, int line, struct gwd_file *f)
{
        struct ct_wait w = { 0 };
        CT_CALL_AT(&env, &w, ops->close(ud, f, ct_done, &w), file, line);
        return w.error;
}

#define m_read(...) m_read_at(__FILE__, __LINE__, __VA_ARGS__)
static int m_read_at(const char *file, int line, struct gwd_file *f, uint64_t off, void *buf,
                     size_t len, size_t *count)
{
        struct ct_wait w = { 0 };
        CT_CALL_AT(&env, &w, ops->read(ud, f, off, buf, len, ct_done, &w), file, line);
        if (w.error == 0) {
                ck_assert_msg(w.count <= len, "read returned %" PRIu64 " > %zu (%s:%d)",
                              w.count, len, file, line);
                if (count)
                        *count = (size_t)w.count;
        }
        return w.error;
}

#define m_write(...) m_write_at(__FILE__, __LINE__, __VA_ARGS__)
static int m_write_at(const char *file, int line, struct gwd_file *f, uint64_t off,
                      const void *buf, size_t len)
{
        struct ct_wait w = { 0 };
        CT_CALL_AT(&env, &w, ops->write(ud, f, off, buf, len, ct_done, &w), file, line);
        if (w.error == 0)
                ck_assert_msg(w.count == len, "short write: %" PRIu64 " of %zu (%s:%d)",
                              w.count, len, file, line);
        return w.error;
}

#define m_stat(...) m_stat_at(__FILE__, __LINE__, __VA_ARGS__)
static int m_stat_at(const char *file, int line, const char *path, struct gwd_stat *st)
{
        struct ct_wait w = { 0 };
        CT_CALL_AT(&env, &w, ops->stat(ud, path, ct_done, &w), file, line);
        if (w.error == 0) {
                ck_assert_msg(w.has_st, "stat(%s) without st (%s:%d)", path, file, line);
                if (st)
                        *st = w.st;
        }
        return w.error;
}

#define m_fstat(...) m_fstat_at(__FILE__, __LINE__, __VA_ARGS__)
static int m_fstat_at(const char *file, int line, struct gwd_file *f, struct gwd_stat *st)
{
        struct ct_wait w = { 0 };
        CT_CALL_AT(&env, &w, ops->fstat(ud, f, ct_done, &w), file, line);
        if (w.error == 0) {
                ck_assert_msg(w.has_st, "fstat without st (%s:%d)", file, line);
                if (st)
                        *st = w.st;
        }
        return w.error;
}

/* The listing stays in *w (ct_wait_clear it). */
#define m_readdir(...) m_readdir_at(__FILE__, __LINE__, __VA_ARGS__)
static int m_readdir_at(const char *file, int line, const char *path, struct ct_wait *w)
{
        CT_CALL_AT(&env, w, ops->readdir(ud, path, ct_done, w), file, line);
        return w->error;
}

#define PATH_HELPER(name)                                                              \
        static int m_##name##_at(const char *file, int line, const char *path)        \
        {                                                                              \
                struct ct_wait w = { 0 };                                              \
                CT_CALL_AT(&env, &w, ops->name(ud, path, ct_done, &w), file, line);   \
                return w.error;                                                        \
        }
PATH_HELPER(mkdir)
PATH_HELPER(rmdir)
PATH_HELPER(unlink)
#define m_mkdir(p) m_mkdir_at(__FILE__, __LINE__, (p))
#define m_rmdir(p) m_rmdir_at(__FILE__, __LINE__, (p))
#define m_unlink(p) m_unlink_at(__FILE__, __LINE__, (p))

#define m_rename(...) m_rename_at(__FILE__, __LINE__, __VA_ARGS__)
static int m_rename_at(const char *file, int line, const char *from, const char *to,
                       uint32_t flags)
{
        struct ct_wait w = { 0 };
        CT_CALL_AT(&env, &w, ops->rename(ud, from, to, flags, ct_done, &w), file, line);
        return w.error;
}

#define m_truncate(...) m_truncate_at(__FILE__, __LINE__, __VA_ARGS__)
static int m_truncate_at(const char *file, int line, struct gwd_file *f, uint64_t size)
{
        struct ct_wait w = { 0 };
        CT_CALL_AT(&env, &w, ops->truncate(ud, f, size, ct_done, &w), file, line);
        return w.error;
}

#define m_flush(f) m_flush_at(__FILE__, __LINE__, (f))
static int m_flush_at(const char *file, int line, struct gwd_file *f)
{
        struct ct_wait w = { 0 };
        CT_CALL_AT(&env, &w, ops->flush(ud, f, ct_done, &w), file, line);
        return w.error;
}

#define m_set_mtime(...) m_set_mtime_at(__FILE__, __LINE__, __VA_ARGS__)
static int m_set_mtime_at(const char *file, int line, const char *path, int64_t ns)
{
        struct ct_wait w = { 0 };
        CT_CALL_AT(&env, &w, ops->set_mtime(ud, path, ns, ct_done, &w), file, line);
        return w.error;
}

/* Create or replace a file with `data`. */
static void put_file(const char *path, const void *data, size_t len)
{
        struct gwd_file *f = NULL;
        ck_assert_errno(m_open(path, GWD_O_WRITE | GWD_O_CREATE | GWD_O_TRUNC, &f, NULL), 0);
        if (len)
                ck_assert_errno(m_write(f, 0, data, len), 0);
        ck_assert_errno(m_close(f), 0);
}

static void put_str(const char *path, const char *s)
{
        put_file(path, s, strlen(s));
}

/* Whole content (malloc'd, NUL-terminated) of a file, read through a handle. */
static char *get_file(const char *path, size_t *ret_len)
{
        struct gwd_file *f = NULL;
        struct gwd_stat st;
        size_t n = 0;
        char *buf;

        ck_assert_errno(m_open(path, GWD_O_READ, &f, &st), 0);
        ck_assert_uint_eq(st.type, GWD_TYPE_FILE);
        buf = malloc(st.size + 1);
        ck_assert_ptr_nonnull(buf);
        if (st.size) {
                ck_assert_errno(m_read(f, 0, buf, st.size, &n), 0);
                ck_assert_uint_eq(n, st.size);
        }
        buf[st.size] = '\0';
        ck_assert_errno(m_close(f), 0);
        if (ret_len)
                *ret_len = st.size;
        return buf;
}

static void assert_content(const char *path, const char *want)
{
        size_t len;
        char *got = get_file(path, &len);
        ck_assert_msg(len == strlen(want) && memcmp(got, want, len) == 0,
                      "content of %s: \"%s\", want \"%s\"", path, got, want);
        free(got);
}

static int is_zero(const void *p, size_t n)
{
        const unsigned char *c = p;
        for (size_t i = 0; i < n; i++)
                if (c[i])
                        return 0;
        return 1;
}

static int64_t share_detail(const char *share, const char *key)
{
        char id[128];
        struct gwd_object *o;
        json_t *j, *v;
        int64_t r;

        snprintf(id, sizeof(id), "mem.%s", share);
        o = env.api->object_find(env.ctx, "share", id);
        ck_assert_msg(o != NULL, "no share object %s", id);
        j = env.api->object_to_json(o, 0);
        ck_assert_ptr_nonnull(j);
        v = json_object_get(json_object_get(j, "details"), key);
        ck_assert_msg(v != NULL, "no detail %s", key);
        r = json_is_boolean(v) ? json_is_true(v) : (int64_t)json_integer_value(v);
        json_decref(j);
        return r;
}

static void pause_clock(void)
{
        /* make realtime stamps of consecutive steps differ */
        usleep(2000);
}

/* --- loading ------------------------------------------------------------- */

START_TEST(t_plugin_loaded)
{
        struct gwd_conf_errors errs;
        const char *bad[] = {
                "{}",
                "{\"shares\": []}",
                "{\"shares\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}",
                "{\"shares\": [{\"name\": \".hidden\"}]}",
                "{\"shares\": [{\"name\": \"a b\"}]}",
                "{\"shares\": [{\"name\": \"a\", \"max_bytes\": -1}]}",
                "{\"shares\": [{\"name\": \"a\", \"read_only\": \"yes\"}]}",
                "{\"shares\": [{\"name\": \"a\", \"bogus\": 1}]}",
                "{\"shares\": [{}]}",
                NULL,
        };

        ck_assert_str_eq(plug->entry->name, "mem");
        ck_assert_uint_eq(plug->entry->abi_major, GWD_ABI_MAJOR);
        ck_assert_ptr_nonnull(env.api->share_find(env.ctx, "rw"));
        ck_assert_ptr_nonnull(env.api->share_find(env.ctx, "small"));
        ck_assert_ptr_nonnull(env.api->share_find(env.ctx, "ro"));
        ck_assert_str_eq(env.api->share_name(env.api->share_find(env.ctx, "ro")), "ro");
        ck_assert_int_eq(share_detail("rw", "used_bytes"), 0);
        ck_assert_int_eq(share_detail("small", "max_bytes"), SMALL_MAX);
        ck_assert_int_eq(share_detail("ro", "read_only"), 1);
        ck_assert_int_eq(share_detail("rw", "read_only"), 0);
        ck_assert_str_eq(env.api->object_state(env.api->object_find(env.ctx, "share",
                                                                    "mem.rw")), "good");

        for (size_t i = 0; bad[i]; i++) {
                json_t *c = json_loads(bad[i], 0, NULL);
                int r;
                ck_assert_ptr_nonnull(c);
                conf_errors_init(&errs);
                r = plug->hooks.check_config(env.api, c, "cfg", &errs);
                ck_assert_msg(r > 0 && errs.n > 0, "config %s accepted", bad[i]);
                conf_errors_done(&errs);
                json_decref(c);
        }
}
END_TEST

/* --- open ----------------------------------------------------------------- */

enum target { T_MISSING, T_FILE, T_DIR };

/* What the open contract (backend.h + POSIX) says for one combination. */
static int open_model(uint32_t fl, enum target t, int *ret_type, int *ret_trunc)
{
        int dir;

        *ret_trunc = 0;
        if (!(fl & (GWD_O_READ | GWD_O_WRITE | GWD_O_DIRECTORY)))
                return -EINVAL;
        if ((fl & GWD_O_EXCL) && !(fl & GWD_O_CREATE))
                return -EINVAL;
        if (t == T_MISSING) {
                if (!(fl & GWD_O_CREATE))
                        return -ENOENT;
                dir = !!(fl & GWD_O_DIRECTORY);
                if (dir && (fl & (GWD_O_WRITE | GWD_O_TRUNC)))
                        return -EISDIR;
                *ret_type = dir ? GWD_TYPE_DIR : GWD_TYPE_FILE;
                return 0;
        }
        if ((fl & GWD_O_CREATE) && (fl & GWD_O_EXCL))
                return -EEXIST;
        if (t == T_FILE && (fl & GWD_O_DIRECTORY))
                return -ENOTDIR;
        if (t == T_DIR && (fl & (GWD_O_WRITE | GWD_O_TRUNC)))
                return -EISDIR;
        *ret_type = t == T_DIR ? GWD_TYPE_DIR : GWD_TYPE_FILE;
        *ret_trunc = t == T_FILE && (fl & GWD_O_TRUNC);
        return 0;
}

static void flags_str(uint32_t fl, char *buf, size_t size)
{
        snprintf(buf, size, "%s%s%s%s%s%s", fl & GWD_O_READ ? "R" : "-",
                 fl & GWD_O_WRITE ? "W" : "-", fl & GWD_O_CREATE ? "C" : "-",
                 fl & GWD_O_EXCL ? "X" : "-", fl & GWD_O_TRUNC ? "T" : "-",
                 fl & GWD_O_DIRECTORY ? "D" : "-");
}

START_TEST(t_open_flag_matrix)
{
        static const char *tname[] = { "missing", "file", "dir" };
        char report[4096] = "";
        int mismatches = 0;

        for (uint32_t fl = 0; fl < 64; fl++) {
                for (int t = T_MISSING; t <= T_DIR; t++) {
                        char path[32], fs[8], line[160];
                        int want_type = 0, want_trunc = 0, got_type = -1;
                        int want = open_model(fl, (enum target)t, &want_type, &want_trunc);
                        struct gwd_file *f = NULL;
                        struct gwd_stat st, after;
                        int got, ok = 1, exists_after;
                        const char *why = "";

                        snprintf(path, sizeof(path), "%c%u", "mfd"[t], fl);
                        if (t == T_FILE)
                                put_str(path, "hello");
                        else if (t == T_DIR)
                                ck_assert_errno(m_mkdir(path), 0);
                        flags_str(fl, fs, sizeof(fs));

                        got = m_open(path, fl, &f, &st);
                        if (got != want) {
                                ok = 0;
                                why = "wrong result";
                        }
                        if (got == 0) {
                                got_type = (int)st.type;
                                if (want == 0 && got_type != want_type) {
                                        ok = 0;
                                        why = "wrong type";
                                }
                                if (st.type == GWD_TYPE_FILE) {
                                        char b[8];
                                        size_t n = 99;
                                        uint64_t size = t == T_FILE && !want_trunc ? 5 : 0;
                                        int r = m_read(f, 0, b, sizeof(b), &n);
                                        if (st.size != size) {
                                                ok = 0;
                                                why = "wrong size";
                                        }
                                        if ((fl & GWD_O_READ) ? (r != 0 || n != size)
                                                              : r != -EBADF) {
                                                ok = 0;
                                                why = "read vs. READ flag";
                                        }
                                        r = m_write(f, 0, "x", 1);
                                        if ((fl & GWD_O_WRITE) ? r != 0 : r != -EBADF) {
                                                ok = 0;
                                                why = "write vs. WRITE flag";
                                        }
                                }
                                ck_assert_errno(m_close(f), 0);
                        } else {
                                /* a failed open changes nothing */
                                int r = m_stat(path, &after);
                                exists_after = r == 0;
                                if (t == T_MISSING && exists_after) {
                                        ok = 0;
                                        why = "failed open left a new node behind";
                                } else if (t == T_FILE &&
                                           (r != 0 || after.type != GWD_TYPE_FILE ||
                                            after.size != 5)) {
                                        ok = 0;
                                        why = "failed open changed the file";
                                } else if (t == T_DIR && (r != 0 || after.type != GWD_TYPE_DIR)) {
                                        ok = 0;
                                        why = "failed open changed the dir";
                                }
                        }
                        if (!ok) {
                                mismatches++;
                                snprintf(line, sizeof(line),
                                         "\n  %s on %s: got %d (type %d), want %d (type %d): "
                                         "%s", fs, tname[t], got, got_type, want, want_type,
                                         why);
                                if (strlen(report) + strlen(line) + 1 < sizeof(report))
                                        strcat(report, line);
                        }
                }
        }
        ck_assert_msg(mismatches == 0, "%d open flag combinations misbehave:%s", mismatches,
                      report);
}
END_TEST

START_TEST(t_open_results)
{
        struct gwd_file *f = NULL, *g = NULL;
        struct gwd_stat st, st2;

        put_str("a", "12345");
        ck_assert_errno(m_open("a", GWD_O_READ, &f, &st), 0);
        ck_assert_errno(m_stat("a", &st2), 0);
        ck_assert_uint_eq(st.type, GWD_TYPE_FILE);
        ck_assert_uint_eq(st.size, 5);
        ck_assert_uint_ne(st.file_id, 0);
        ck_assert_uint_eq(st.file_id, st2.file_id);
        ck_assert_int_eq(st.mtime_ns, st2.mtime_ns);
        /* two handles on one file are independent objects */
        ck_assert_errno(m_open("a", GWD_O_READ | GWD_O_WRITE, &g, NULL), 0);
        ck_assert_ptr_ne(f, g);
        ck_assert_int_eq(share_detail("rw", "open_files"), 2);
        ck_assert_errno(m_write(g, 5, "6", 1), 0);
        ck_assert_errno(m_fstat(f, &st), 0);
        ck_assert_uint_eq(st.size, 6);
        ck_assert_errno(m_close(f), 0);
        ck_assert_int_eq(share_detail("rw", "open_files"), 1);
        ck_assert_errno(m_close(g), 0);
        ck_assert_int_eq(share_detail("rw", "open_files"), 0);
        /* the root */
        ck_assert_errno(m_open("", GWD_O_READ | GWD_O_DIRECTORY, &f, &st), 0);
        ck_assert_uint_eq(st.type, GWD_TYPE_DIR);
        ck_assert_errno(m_close(f), 0);
        ck_assert_errno(m_open("", GWD_O_CREATE | GWD_O_EXCL | GWD_O_READ, &f, NULL), -EEXIST);
        /* durable is accepted and otherwise ignored */
        ck_assert_errno(m_open("a", GWD_O_READ | GWD_O_DURABLE, &f, NULL), 0);
        ck_assert_errno(m_close(f), 0);
}
END_TEST

/* --- read / write ---------------------------------------------------------- */

START_TEST(t_read_write)
{
        struct gwd_file *f = NULL;
        struct gwd_stat st;
        char buf[256];
        size_t n;

        ck_assert_errno(m_open("rw.txt", GWD_O_READ | GWD_O_WRITE | GWD_O_CREATE, &f, &st), 0);
        ck_assert_uint_eq(st.size, 0);
        /* empty file: read at 0 and past the end give 0 */
        ck_assert_errno(m_read(f, 0, buf, sizeof(buf), &n), 0);
        ck_assert_uint_eq(n, 0);
        ck_assert_errno(m_write(f, 0, "hello world", 11), 0);
        ck_assert_errno(m_fstat(f, &st), 0);
        ck_assert_uint_eq(st.size, 11);

        /* full read: short only because of EOF */
        memset(buf, '#', sizeof(buf));
        ck_assert_errno(m_read(f, 0, buf, sizeof(buf), &n), 0);
        ck_assert_uint_eq(n, 11);
        ck_assert_mem_eq(buf, "hello world", 11);
        ck_assert_int_eq(buf[11], '#');         /* nothing written past count */
        /* in the middle: exactly len */
        ck_assert_errno(m_read(f, 6, buf, 3, &n), 0);
        ck_assert_uint_eq(n, 3);
        ck_assert_mem_eq(buf, "wor", 3);
        /* crossing EOF */
        ck_assert_errno(m_read(f, 8, buf, 100, &n), 0);
        ck_assert_uint_eq(n, 3);
        ck_assert_mem_eq(buf, "rld", 3);
        /* at and past EOF */
        ck_assert_errno(m_read(f, 11, buf, 10, &n), 0);
        ck_assert_uint_eq(n, 0);
        ck_assert_errno(m_read(f, 1u << 30, buf, 10, &n), 0);
        ck_assert_uint_eq(n, 0);
        /* zero-length read and write */
        ck_assert_errno(m_read(f, 0, buf, 0, &n), 0);
        ck_assert_uint_eq(n, 0);
        ck_assert_errno(m_write(f, 3, "", 0), 0);
        ck_assert_errno(m_fstat(f, &st), 0);
        ck_assert_uint_eq(st.size, 11);

        /* overwrite in the middle */
        ck_assert_errno(m_write(f, 0, "J", 1), 0);
        ck_assert_errno(m_write(f, 6, "W", 1), 0);
        ck_assert_errno(m_read(f, 0, buf, sizeof(buf), &n), 0);
        ck_assert_uint_eq(n, 11);
        ck_assert_mem_eq(buf, "Jello World", 11);

        /* extend with a hole: it reads back as zeros */
        ck_assert_errno(m_write(f, 100, "tail", 4), 0);
        ck_assert_errno(m_fstat(f, &st), 0);
        ck_assert_uint_eq(st.size, 104);
        memset(buf, '#', sizeof(buf));
        ck_assert_errno(m_read(f, 0, buf, sizeof(buf), &n), 0);
        ck_assert_uint_eq(n, 104);
        ck_assert_mem_eq(buf, "Jello World", 11);
        ck_assert_msg(is_zero(buf + 11, 89), "hole does not read back as zeros");
        ck_assert_mem_eq(buf + 100, "tail", 4);
        /* a hole far out, crossing allocation sizes */
        ck_assert_errno(m_write(f, 70000, "z", 1), 0);
        {
                char *big = malloc(70001);
                ck_assert_ptr_nonnull(big);
                ck_assert_errno(m_read(f, 0, big, 70001, &n), 0);
                ck_assert_uint_eq(n, 70001);
                ck_assert(is_zero(big + 104, 70000 - 104));
                ck_assert_int_eq(big[70000], 'z');
                free(big);
        }
        ck_assert_errno(m_close(f), 0);

        /* the data survives close/reopen */
        {
                size_t len;
                char *c = get_file("rw.txt", &len);
                ck_assert_uint_eq(len, 70001);
                ck_assert_mem_eq(c, "Jello World", 11);
                free(c);
        }
}
END_TEST

/* 4 MiB in 64 KiB chunks at random offsets, compared with a reference. */
static uint64_t rng_state;

static uint64_t rng(void)
{
        uint64_t x = rng_state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return rng_state = x;
}

static void compare_file(struct gwd_file *f, const uint8_t *ref, size_t size, uint64_t seed,
                         const char *when)
{
        uint8_t *got = malloc(size + 1);
        size_t n = 0;

        ck_assert_ptr_nonnull(got);
        ck_assert_errno(m_read(f, 0, got, size + 1, &n), 0);
        ck_assert_msg(n == size, "%s: read %zu bytes, want %zu (seed %" PRIu64 ")", when, n,
                      size, seed);
        for (size_t i = 0; i < size; i++)
                if (got[i] != ref[i])
                        ck_abort_msg("%s: byte %zu is 0x%02x, want 0x%02x (seed %" PRIu64 ")",
                                     when, i, got[i], ref[i], seed);
        free(got);
}

START_TEST(t_integrity_4mib)
{
        enum { CHUNK = 64 * 1024, TOTAL = 4 * 1024 * 1024, SLOTS = TOTAL / CHUNK };
        const char *s = getenv("GWD_TEST_SEED");
        uint64_t seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL) * 2654435761u + 1;
        uint8_t *ref = calloc(1, TOTAL), *chunk = malloc(CHUNK);
        int slots[SLOTS];
        size_t size = 0;
        struct gwd_file *f = NULL;
        struct gwd_stat st;

        ck_assert_ptr_nonnull(ref);
        ck_assert_ptr_nonnull(chunk);
        rng_state = seed ? seed : 1;
        for (int i = 0; i < SLOTS; i++)
                slots[i] = i;
        for (int i = SLOTS - 1; i > 0; i--) {
                int j = (int)(rng() % (uint64_t)(i + 1)), t = slots[i];
                slots[i] = slots[j];
                slots[j] = t;
        }
        ck_assert_errno(m_open("big.bin", GWD_O_READ | GWD_O_WRITE | GWD_O_CREATE, &f, NULL),
                        0);

        /* every chunk slot once, in random order (leaving holes on the way) */
        for (int i = 0; i < SLOTS; i++) {
                size_t off = (size_t)slots[i] * CHUNK;
                for (size_t k = 0; k < CHUNK; k += 8) {
                        uint64_t v = rng();
                        memcpy(chunk + k, &v, 8);
                }
                ck_assert_errno(m_write(f, off, chunk, CHUNK), 0);
                memcpy(ref + off, chunk, CHUNK);
                if (off + CHUNK > size)
                        size = off + CHUNK;
                if (i == SLOTS / 2)
                        compare_file(f, ref, size, seed, "half way, with holes");
        }
        ck_assert_uint_eq(size, TOTAL);
        compare_file(f, ref, size, seed, "after aligned writes");

        /* then unaligned overwrites at random offsets */
        for (int i = 0; i < SLOTS; i++) {
                size_t off = (size_t)(rng() % (TOTAL - CHUNK + 1));
                for (size_t k = 0; k < CHUNK; k++)
                        chunk[k] = (uint8_t)rng();
                ck_assert_errno(m_write(f, off, chunk, CHUNK), 0);
                memcpy(ref + off, chunk, CHUNK);
        }
        ck_assert_errno(m_fstat(f, &st), 0);
        ck_assert_uint_eq(st.size, TOTAL);
        compare_file(f, ref, size, seed, "after unaligned writes");

        /* random unaligned reads */
        for (int i = 0; i < 64; i++) {
                size_t off = (size_t)(rng() % TOTAL), len = (size_t)(rng() % (2 * CHUNK)) + 1;
                size_t want = off + len > TOTAL ? TOTAL - off : len, n = 0;
                ck_assert_errno(m_read(f, off, chunk, len > CHUNK ? CHUNK : len, &n), 0);
                if (len > CHUNK)
                        want = off + CHUNK > TOTAL ? TOTAL - off : CHUNK;
                ck_assert_uint_eq(n, want);
                ck_assert_msg(memcmp(chunk, ref + off, n) == 0,
                              "read at %zu len %zu differs (seed %" PRIu64 ")", off, n, seed);
        }
        ck_assert_errno(m_close(f), 0);
        ck_assert_int_eq(share_detail("rw", "used_bytes"), TOTAL);

        /* and after reopening */
        ck_assert_errno(m_open("big.bin", GWD_O_READ, &f, NULL), 0);
        compare_file(f, ref, size, seed, "after reopen");
        ck_assert_errno(m_close(f), 0);
        free(ref);
        free(chunk);
}
END_TEST

/* --- stat / fstat / times ---------------------------------------------------- */

START_TEST(t_stat_fstat_times)
{
        struct gwd_stat root0, root1, st0, st1, st2, fst, dst;
        struct gwd_file *f = NULL;
        int64_t t_before = (int64_t)ct_now_usec(CLOCK_REALTIME) * 1000;

        ck_assert_errno(m_stat("", &root0), 0);
        ck_assert_uint_eq(root0.type, GWD_TYPE_DIR);
        pause_clock();
        ck_assert_errno(m_open("t", GWD_O_READ | GWD_O_WRITE | GWD_O_CREATE, &f, NULL), 0);
        ck_assert_errno(m_stat("t", &st0), 0);
        ck_assert_uint_eq(st0.type, GWD_TYPE_FILE);
        ck_assert_uint_eq(st0.size, 0);
        ck_assert_uint_ne(st0.file_id, 0);
        ck_assert_uint_ne(st0.file_id, root0.file_id);
        ck_assert_int_ge(st0.btime_ns, t_before);
        ck_assert_int_ge(st0.mtime_ns, t_before);
        ck_assert_int_le(st0.mtime_ns, (int64_t)ct_now_usec(CLOCK_REALTIME) * 1000 + 1000000);
        /* creating an entry changes the directory */
        ck_assert_errno(m_stat("", &root1), 0);
        ck_assert_int_gt(root1.mtime_ns, root0.mtime_ns);
        ck_assert_uint_eq(root1.file_id, root0.file_id);

        pause_clock();
        ck_assert_errno(m_write(f, 0, "abc", 3), 0);
        ck_assert_errno(m_stat("t", &st1), 0);
        ck_assert_errno(m_fstat(f, &fst), 0);
        ck_assert_uint_eq(st1.size, 3);
        ck_assert_int_gt(st1.mtime_ns, st0.mtime_ns);
        ck_assert_int_gt(st1.ctime_ns, st0.ctime_ns);
        ck_assert_int_eq(st1.btime_ns, st0.btime_ns);
        ck_assert_uint_eq(st1.file_id, st0.file_id);
        ck_assert_mem_eq(&fst, &st1, sizeof(fst));

        pause_clock();
        ck_assert_errno(m_truncate(f, 1), 0);
        ck_assert_errno(m_fstat(f, &st2), 0);
        ck_assert_uint_eq(st2.size, 1);
        ck_assert_int_gt(st2.mtime_ns, st1.mtime_ns);

        /* a directory */
        ck_assert_errno(m_mkdir("d"), 0);
        ck_assert_errno(m_stat("d", &dst), 0);
        ck_assert_uint_eq(dst.type, GWD_TYPE_DIR);
        ck_assert_uint_ne(dst.file_id, st0.file_id);
        ck_assert_errno(m_close(f), 0);
        /* an unrelated file does not change t */
        pause_clock();
        put_str("d/other", "x");
        ck_assert_errno(m_stat("t", &st1), 0);
        ck_assert_int_eq(st1.mtime_ns, st2.mtime_ns);
        ck_assert_errno(m_stat("d", &st1), 0);
        ck_assert_int_gt(st1.mtime_ns, dst.mtime_ns);
}
END_TEST

START_TEST(t_set_mtime)
{
        struct gwd_stat st;
        const int64_t when = 1234567890123456789ll;

        put_str("f", "x");
        ck_assert_errno(m_mkdir("d"), 0);
        ck_assert_errno(m_set_mtime("f", when), 0);
        ck_assert_errno(m_stat("f", &st), 0);
        ck_assert_int_eq(st.mtime_ns, when);
        ck_assert_uint_eq(st.size, 1);
        ck_assert_errno(m_set_mtime("d", 42), 0);
        ck_assert_errno(m_stat("d", &st), 0);
        ck_assert_int_eq(st.mtime_ns, 42);
        ck_assert_errno(m_set_mtime("missing", when), -ENOENT);
        ck_assert_errno(m_set_mtime("f/x", when), -ENOTDIR);
        /* a later write moves it to now */
        {
                struct gwd_file *f = NULL;
                ck_assert_errno(m_open("f", GWD_O_WRITE, &f, NULL), 0);
                ck_assert_errno(m_write(f, 1, "y", 1), 0);
                ck_assert_errno(m_close(f), 0);
                ck_assert_errno(m_stat("f", &st), 0);
                ck_assert_int_gt(st.mtime_ns, when / 1000);
                ck_assert_int_ne(st.mtime_ns, when);
        }
}
END_TEST

/* --- readdir ---------------------------------------------------------------- */

static const struct ct_dirent *find_ent(const struct ct_wait *w, const char *name)
{
        const struct ct_dirent *hit = NULL;
        for (size_t i = 0; i < w->n_ents; i++)
                if (strcmp(w->ents[i].name, name) == 0) {
                        ck_assert_msg(hit == NULL, "\"%s\" listed twice", name);
                        hit = &w->ents[i];
                }
        return hit;
}

START_TEST(t_readdir)
{
        struct ct_wait w = { 0 };
        char long_name[GWD_NAME_MAX + 1];
        const char *files[] = { "a", "\xc3\xbcn\xc3\xaf", "with space", "...", "B", long_name,
                                NULL };
        const struct ct_dirent *e;
        struct gwd_stat st;

        memset(long_name, 'L', GWD_NAME_MAX);
        long_name[GWD_NAME_MAX] = '\0';
        ck_assert_errno(m_readdir("", &w), 0);
        ck_assert_uint_eq(w.n_ents, 0);

        for (size_t i = 0; files[i]; i++)
                put_file(files[i], "0123456789", i + 1);
        ck_assert_errno(m_mkdir("sub"), 0);
        put_str("sub/inner", "in");

        ck_assert_errno(m_readdir("", &w), 0);
        ck_assert_uint_eq(w.n_ents, 7);
        for (size_t i = 0; files[i]; i++) {
                e = find_ent(&w, files[i]);
                ck_assert_msg(e != NULL, "\"%s\" not listed", files[i]);
                ck_assert_uint_eq(e->st.type, GWD_TYPE_FILE);
                ck_assert_uint_eq(e->st.size, i + 1);
                ck_assert_errno(m_stat(files[i], &st), 0);
                ck_assert_uint_eq(e->st.file_id, st.file_id);
        }
        e = find_ent(&w, "sub");
        ck_assert_ptr_nonnull(e);
        ck_assert_uint_eq(e->st.type, GWD_TYPE_DIR);
        ck_assert_ptr_null(find_ent(&w, "inner"));
        ck_assert_ptr_null(find_ent(&w, "."));
        ck_assert_ptr_null(find_ent(&w, ".."));

        ck_assert_errno(m_readdir("sub", &w), 0);
        ck_assert_uint_eq(w.n_ents, 1);
        ck_assert_str_eq(w.ents[0].name, "inner");
        ck_assert_uint_eq(w.ents[0].st.size, 2);

        /* removal shows */
        ck_assert_errno(m_unlink("a"), 0);
        ck_assert_errno(m_readdir("", &w), 0);
        ck_assert_uint_eq(w.n_ents, 6);
        ck_assert_ptr_null(find_ent(&w, "a"));

        ck_assert_errno(m_readdir("B", &w), -ENOTDIR);
        ck_assert_errno(m_readdir("nope", &w), -ENOENT);
        ck_assert_errno(m_readdir("nope/deeper", &w), -ENOENT);
        ck_assert_uint_eq(w.n_ents, 0);
        ct_wait_clear(&w);
}
END_TEST

START_TEST(t_readdir_1000)
{
        struct ct_wait w = { 0 };
        static char seen[1000];

        ck_assert_errno(m_mkdir("many"), 0);
        for (int i = 0; i < 1000; i++) {
                char p[32];
                snprintf(p, sizeof(p), "many/e%04d", i);
                if (i % 10 == 0)
                        ck_assert_errno(m_mkdir(p), 0);
                else
                        put_str(p, "");
        }
        ck_assert_errno(m_readdir("many", &w), 0);
        ck_assert_uint_eq(w.n_ents, 1000);
        memset(seen, 0, sizeof(seen));
        for (size_t i = 0; i < w.n_ents; i++) {
                int k = -1, n = 0;
                ck_assert_msg(sscanf(w.ents[i].name, "e%4d%n", &k, &n) == 1 && n == 5 &&
                                      strlen(w.ents[i].name) == 5 && k >= 0 && k < 1000,
                              "unexpected name \"%s\"", w.ents[i].name);
                ck_assert_msg(!seen[k], "\"%s\" listed twice", w.ents[i].name);
                seen[k] = 1;
                ck_assert_uint_eq(w.ents[i].st.type, k % 10 == 0 ? GWD_TYPE_DIR : GWD_TYPE_FILE);
        }
        ct_wait_clear(&w);
}
END_TEST

/* --- mkdir / rmdir / unlink -------------------------------------------------- */

START_TEST(t_mkdir_rmdir)
{
        struct gwd_stat st;

        ck_assert_errno(m_mkdir("d"), 0);
        ck_assert_errno(m_stat("d", &st), 0);
        ck_assert_uint_eq(st.type, GWD_TYPE_DIR);
        ck_assert_errno(m_mkdir("d"), -EEXIST);
        ck_assert_errno(m_mkdir("d/e"), 0);
        ck_assert_errno(m_mkdir("d/e/f"), 0);
        ck_assert_errno(m_mkdir("x/y"), -ENOENT);
        put_str("file", "1");
        ck_assert_errno(m_mkdir("file"), -EEXIST);
        ck_assert_errno(m_mkdir("file/sub"), -ENOTDIR);
        ck_assert_errno(m_mkdir(""), -EEXIST);

        ck_assert_errno(m_rmdir("d"), -ENOTEMPTY);
        ck_assert_errno(m_rmdir("d/e"), -ENOTEMPTY);
        ck_assert_errno(m_stat("d/e/f", &st), 0);
        ck_assert_errno(m_rmdir("file"), -ENOTDIR);
        ck_assert_errno(m_stat("file", &st), 0);
        ck_assert_errno(m_rmdir("missing"), -ENOENT);
        ck_assert_errno(m_rmdir("file/x"), -ENOTDIR);
        ck_assert_msg(m_rmdir("") != 0, "rmdir of the share root succeeded");
        ck_assert_errno(m_stat("", &st), 0);

        ck_assert_errno(m_rmdir("d/e/f"), 0);
        ck_assert_errno(m_stat("d/e/f", &st), -ENOENT);
        ck_assert_errno(m_rmdir("d/e"), 0);
        ck_assert_errno(m_rmdir("d"), 0);
        ck_assert_errno(m_stat("d", &st), -ENOENT);
        ck_assert_errno(m_rmdir("d"), -ENOENT);
        /* a directory emptied by unlink can go */
        ck_assert_errno(m_mkdir("g"), 0);
        put_str("g/h", "x");
        ck_assert_errno(m_rmdir("g"), -ENOTEMPTY);
        ck_assert_errno(m_unlink("g/h"), 0);
        ck_assert_errno(m_rmdir("g"), 0);
}
END_TEST

START_TEST(t_unlink)
{
        struct gwd_stat st;

        put_str("f", "abc");
        ck_assert_errno(m_mkdir("d"), 0);
        ck_assert_errno(m_unlink("d"), -EISDIR);
        ck_assert_errno(m_stat("d", &st), 0);
        ck_assert_errno(m_unlink("missing"), -ENOENT);
        ck_assert_errno(m_unlink("f/x"), -ENOTDIR);
        ck_assert_errno(m_unlink("f"), 0);
        ck_assert_errno(m_stat("f", &st), -ENOENT);
        ck_assert_errno(m_unlink("f"), -ENOENT);
        ck_assert_int_eq(share_detail("rw", "used_bytes"), 0);
}
END_TEST

START_TEST(t_unlink_open_file)
{
        struct gwd_file *f = NULL, *g = NULL;
        struct gwd_stat st, st_new;
        struct ct_wait w = { 0 };
        char buf[16];
        size_t n;

        put_str("u", "data");
        ck_assert_errno(m_open("u", GWD_O_READ | GWD_O_WRITE, &f, &st), 0);
        ck_assert_errno(m_unlink("u"), 0);
        ck_assert_errno(m_stat("u", NULL), -ENOENT);
        ck_assert_errno(m_readdir("", &w), 0);
        ck_assert_uint_eq(w.n_ents, 0);
        ct_wait_clear(&w);

        /* the handle still works */
        ck_assert_errno(m_read(f, 0, buf, sizeof(buf), &n), 0);
        ck_assert_uint_eq(n, 4);
        ck_assert_mem_eq(buf, "data", 4);
        ck_assert_errno(m_write(f, 4, "more", 4), 0);
        ck_assert_errno(m_truncate(f, 6), 0);
        ck_assert_errno(m_fstat(f, &st_new), 0);
        ck_assert_uint_eq(st_new.size, 6);
        ck_assert_uint_eq(st_new.file_id, st.file_id);
        ck_assert_errno(m_flush(f), 0);

        /* a new file of the same name is a different file */
        put_str("u", "new");
        ck_assert_errno(m_open("u", GWD_O_READ, &g, &st_new), 0);
        ck_assert_uint_ne(st_new.file_id, st.file_id);
        ck_assert_errno(m_read(f, 0, buf, sizeof(buf), &n), 0);
        ck_assert_uint_eq(n, 6);
        ck_assert_mem_eq(buf, "datamo", 6);
        ck_assert_errno(m_read(g, 0, buf, sizeof(buf), &n), 0);
        ck_assert_uint_eq(n, 3);
        ck_assert_errno(m_close(g), 0);

        /* the unlinked file's space goes with its last handle */
        ck_assert_int_eq(share_detail("rw", "used_bytes"), 6 + 3);
        ck_assert_errno(m_close(f), 0);
        ck_assert_int_eq(share_detail("rw", "used_bytes"), 3);
        assert_content("u", "new");
}
END_TEST

/* --- rename ---------------------------------------------------------------- */

START_TEST(t_rename_basic)
{
        struct gwd_stat a, b;

        put_str("a", "AAA");
        ck_assert_errno(m_stat("a", &a), 0);
        pause_clock();
        ck_assert_errno(m_rename("a", "b", 0), 0);
        ck_assert_errno(m_stat("a", NULL), -ENOENT);
        ck_assert_errno(m_stat("b", &b), 0);
        ck_assert_uint_eq(b.file_id, a.file_id);
        ck_assert_int_gt(b.ctime_ns, a.ctime_ns);
        assert_content("b", "AAA");

        /* into another directory, under another name */
        ck_assert_errno(m_mkdir("d"), 0);
        ck_assert_errno(m_rename("b", "d/c", 0), 0);
        ck_assert_errno(m_stat("b", NULL), -ENOENT);
        assert_content("d/c", "AAA");

        /* a directory moves with its subtree */
        ck_assert_errno(m_mkdir("x"), 0);
        ck_assert_errno(m_mkdir("x/y"), 0);
        put_str("x/y/z", "deep");
        ck_assert_errno(m_rename("x", "d/w", 0), 0);
        ck_assert_errno(m_stat("x", NULL), -ENOENT);
        ck_assert_errno(m_stat("x/y/z", NULL), -ENOENT);
        assert_content("d/w/y/z", "deep");
        /* and back up */
        ck_assert_errno(m_rename("d/w/y", "y", 0), 0);
        assert_content("y/z", "deep");

        /* errors */
        ck_assert_errno(m_rename("missing", "q", 0), -ENOENT);
        ck_assert_errno(m_rename("y", "nodir/q", 0), -ENOENT);
        ck_assert_errno(m_rename("y/z/q", "q", 0), -ENOTDIR);
        ck_assert_errno(m_rename("y", "y/z/q", 0), -ENOTDIR);
        assert_content("y/z", "deep");
}
END_TEST

START_TEST(t_rename_replace)
{
        struct gwd_stat st;

        put_str("a", "A");
        put_str("b", "BB");
        ck_assert_errno(m_rename("a", "b", 0), -EEXIST);
        assert_content("a", "A");
        assert_content("b", "BB");
        ck_assert_errno(m_rename("a", "b", GWD_RENAME_REPLACE), 0);
        ck_assert_errno(m_stat("a", NULL), -ENOENT);
        assert_content("b", "A");
        ck_assert_int_eq(share_detail("rw", "used_bytes"), 1);

        /* directories */
        ck_assert_errno(m_mkdir("d1"), 0);
        put_str("d1/in", "1");
        ck_assert_errno(m_mkdir("d2"), 0);
        ck_assert_errno(m_rename("d1", "d2", 0), -EEXIST);
        ck_assert_errno(m_rename("d1", "d2", GWD_RENAME_REPLACE), 0);   /* over an empty dir */
        assert_content("d2/in", "1");
        ck_assert_errno(m_stat("d1", NULL), -ENOENT);
        ck_assert_errno(m_mkdir("d3"), 0);
        ck_assert_errno(m_rename("d3", "d2", GWD_RENAME_REPLACE), -ENOTEMPTY);
        assert_content("d2/in", "1");
        ck_assert_errno(m_stat("d3", &st), 0);
}
END_TEST

START_TEST(t_rename_type_conflicts)
{
        struct gwd_stat st;

        put_str("f", "file");
        ck_assert_errno(m_mkdir("d"), 0);
        ck_assert_errno(m_rename("f", "d", GWD_RENAME_REPLACE), -EISDIR);
        ck_assert_errno(m_rename("d", "f", GWD_RENAME_REPLACE), -ENOTDIR);
        assert_content("f", "file");
        ck_assert_errno(m_stat("d", &st), 0);
        ck_assert_uint_eq(st.type, GWD_TYPE_DIR);
        /* without REPLACE both just exist */
        ck_assert_errno(m_rename("f", "d", 0), -EEXIST);
        ck_assert_errno(m_rename("d", "f", 0), -EEXIST);
}
END_TEST

START_TEST(t_rename_into_own_subtree)
{
        struct ct_wait w = { 0 };

        ck_assert_errno(m_mkdir("d"), 0);
        ck_assert_errno(m_mkdir("d/e"), 0);
        put_str("d/e/f", "x");
        ck_assert_errno(m_rename("d", "d/sub", 0), -EINVAL);
        ck_assert_errno(m_rename("d", "d/e/sub", 0), -EINVAL);
        ck_assert_errno(m_rename("d", "d/e", GWD_RENAME_REPLACE), -EINVAL);
        ck_assert_errno(m_rename("d/e", "d/e/sub", 0), -EINVAL);
        /* moving a child over its non-empty ancestor fails too */
        ck_assert_msg(m_rename("d/e", "d", GWD_RENAME_REPLACE) != 0,
                      "a directory replaced its own parent");
        /* nothing moved */
        ck_assert_errno(m_readdir("d", &w), 0);
        ck_assert_uint_eq(w.n_ents, 1);
        ck_assert_str_eq(w.ents[0].name, "e");
        ck_assert_errno(m_readdir("", &w), 0);
        ck_assert_uint_eq(w.n_ents, 1);
        ct_wait_clear(&w);
        assert_content("d/e/f", "x");
        /* a sibling whose name starts with the same letters is not a subtree */
        ck_assert_errno(m_rename("d/e", "de", 0), 0);
        assert_content("de/f", "x");
}
END_TEST

START_TEST(t_rename_onto_itself)
{
        struct ct_wait w = { 0 };
        struct gwd_stat before, after;

        put_str("a", "same");
        ck_assert_errno(m_stat("a", &before), 0);
        ck_assert_errno(m_rename("a", "a", 0), 0);
        ck_assert_errno(m_rename("a", "a", GWD_RENAME_REPLACE), 0);
        ck_assert_errno(m_stat("a", &after), 0);
        ck_assert_uint_eq(after.file_id, before.file_id);
        assert_content("a", "same");
        ck_assert_errno(m_mkdir("d"), 0);
        put_str("d/in", "x");
        ck_assert_errno(m_rename("d", "d", 0), 0);
        ck_assert_errno(m_rename("d", "d", GWD_RENAME_REPLACE), 0);
        assert_content("d/in", "x");
        ck_assert_errno(m_readdir("", &w), 0);
        ck_assert_uint_eq(w.n_ents, 2);
        ct_wait_clear(&w);
        ck_assert_int_eq(share_detail("rw", "used_bytes"), 5);
}
END_TEST

START_TEST(t_rename_open_file)
{
        struct gwd_file *f = NULL;
        struct gwd_stat st;
        char buf[8];
        size_t n;

        put_str("a", "open");
        ck_assert_errno(m_open("a", GWD_O_READ | GWD_O_WRITE, &f, NULL), 0);
        ck_assert_errno(m_rename("a", "b", 0), 0);
        ck_assert_errno(m_read(f, 0, buf, sizeof(buf), &n), 0);
        ck_assert_uint_eq(n, 4);
        ck_assert_mem_eq(buf, "open", 4);
        ck_assert_errno(m_write(f, 4, "ed", 2), 0);
        ck_assert_errno(m_stat("b", &st), 0);
        ck_assert_uint_eq(st.size, 6);
        /* replacing a file that is open leaves that handle on the old data */
        put_str("c", "target");
        {
                struct gwd_file *g = NULL;
                ck_assert_errno(m_open("c", GWD_O_READ, &g, NULL), 0);
                ck_assert_errno(m_rename("b", "c", GWD_RENAME_REPLACE), 0);
                ck_assert_errno(m_read(g, 0, buf, sizeof(buf), &n), 0);
                ck_assert_uint_eq(n, 6);
                ck_assert_mem_eq(buf, "target", 6);
                ck_assert_errno(m_close(g), 0);
        }
        assert_content("c", "opened");
        ck_assert_errno(m_close(f), 0);
        ck_assert_int_eq(share_detail("rw", "used_bytes"), 6);
}
END_TEST

/* --- truncate / flush -------------------------------------------------------- */

START_TEST(t_truncate)
{
        struct gwd_file *f = NULL, *r = NULL;
        struct gwd_stat st;
        char buf[32];
        size_t n;

        put_str("t", "0123456789");
        ck_assert_errno(m_open("t", GWD_O_READ | GWD_O_WRITE, &f, NULL), 0);
        ck_assert_errno(m_truncate(f, 4), 0);
        ck_assert_errno(m_fstat(f, &st), 0);
        ck_assert_uint_eq(st.size, 4);
        ck_assert_errno(m_read(f, 0, buf, sizeof(buf), &n), 0);
        ck_assert_uint_eq(n, 4);
        ck_assert_mem_eq(buf, "0123", 4);
        /* growing again shows zeros, not the old bytes */
        ck_assert_errno(m_truncate(f, 10), 0);
        memset(buf, '#', sizeof(buf));
        ck_assert_errno(m_read(f, 0, buf, sizeof(buf), &n), 0);
        ck_assert_uint_eq(n, 10);
        ck_assert_mem_eq(buf, "0123", 4);
        ck_assert_msg(is_zero(buf + 4, 6), "grown region is not zero");
        /* grow far */
        ck_assert_errno(m_truncate(f, 1 << 20), 0);
        ck_assert_errno(m_stat("t", &st), 0);
        ck_assert_uint_eq(st.size, 1 << 20);
        ck_assert_errno(m_read(f, (1 << 20) - 8, buf, sizeof(buf), &n), 0);
        ck_assert_uint_eq(n, 8);
        ck_assert(is_zero(buf, 8));
        ck_assert_int_eq(share_detail("rw", "used_bytes"), 1 << 20);
        /* same size: no change */
        ck_assert_errno(m_truncate(f, 1 << 20), 0);
        ck_assert_errno(m_truncate(f, 0), 0);
        ck_assert_errno(m_read(f, 0, buf, sizeof(buf), &n), 0);
        ck_assert_uint_eq(n, 0);
        ck_assert_int_eq(share_detail("rw", "used_bytes"), 0);
        /* a read-only handle cannot truncate */
        ck_assert_errno(m_write(f, 0, "abc", 3), 0);
        ck_assert_errno(m_open("t", GWD_O_READ, &r, NULL), 0);
        ck_assert_errno(m_truncate(r, 0), -EBADF);
        ck_assert_errno(m_fstat(r, &st), 0);
        ck_assert_uint_eq(st.size, 3);
        ck_assert_errno(m_close(r), 0);
        ck_assert_errno(m_close(f), 0);
}
END_TEST

START_TEST(t_flush)
{
        struct gwd_file *f = NULL;

        ck_assert_errno(m_open("fl", GWD_O_WRITE | GWD_O_CREATE, &f, NULL), 0);
        ck_assert_errno(m_write(f, 0, "x", 1), 0);
        ck_assert_errno(m_flush(f), 0);
        ck_assert_errno(m_close(f), 0);
        ck_assert_errno(m_open("fl", GWD_O_READ, &f, NULL), 0);
        ck_assert_errno(m_flush(f), 0);
        ck_assert_errno(m_close(f), 0);
        ck_assert_errno(m_open("", GWD_O_READ | GWD_O_DIRECTORY, &f, NULL), 0);
        ck_assert_errno(m_flush(f), 0);
        ck_assert_errno(m_close(f), 0);
        assert_content("fl", "x");
}
END_TEST

/* --- errors ------------------------------------------------------------------ */

START_TEST(t_enoent)
{
        struct gwd_file *f = NULL;
        struct ct_wait w = { 0 };

        ck_assert_errno(m_stat("nope", NULL), -ENOENT);
        ck_assert_errno(m_stat("nope/deeper", NULL), -ENOENT);
        ck_assert_errno(m_open("nope", GWD_O_READ, &f, NULL), -ENOENT);
        ck_assert_errno(m_open("nope", GWD_O_WRITE | GWD_O_TRUNC, &f, NULL), -ENOENT);
        ck_assert_errno(m_open("nodir/x", GWD_O_WRITE | GWD_O_CREATE, &f, NULL), -ENOENT);
        ck_assert_errno(m_readdir("nope", &w), -ENOENT);
        ck_assert_errno(m_mkdir("nodir/x"), -ENOENT);
        ck_assert_errno(m_rmdir("nope"), -ENOENT);
        ck_assert_errno(m_unlink("nope"), -ENOENT);
        ck_assert_errno(m_rename("nope", "x", 0), -ENOENT);
        ck_assert_errno(m_set_mtime("nope", 1), -ENOENT);
        /* nothing got created on the way */
        ck_assert_errno(m_readdir("", &w), 0);
        ck_assert_uint_eq(w.n_ents, 0);
        ct_wait_clear(&w);
}
END_TEST

/* A file used as a directory in the middle of a path. */
START_TEST(t_enotdir_in_path)
{
        struct gwd_file *f = NULL;
        struct ct_wait w = { 0 };

        ck_assert_errno(m_mkdir("d"), 0);
        put_str("d/f", "x");
        ck_assert_errno(m_stat("d/f/x", NULL), -ENOTDIR);
        ck_assert_errno(m_stat("d/f/x/y", NULL), -ENOTDIR);
        ck_assert_errno(m_open("d/f/x", GWD_O_READ, &f, NULL), -ENOTDIR);
        ck_assert_errno(m_open("d/f/x", GWD_O_WRITE | GWD_O_CREATE, &f, NULL), -ENOTDIR);
        ck_assert_errno(m_open("d/f/x/y", GWD_O_WRITE | GWD_O_CREATE, &f, NULL), -ENOTDIR);
        ck_assert_errno(m_open("d/f", GWD_O_READ | GWD_O_DIRECTORY, &f, NULL), -ENOTDIR);
        ck_assert_errno(m_mkdir("d/f/x"), -ENOTDIR);
        ck_assert_errno(m_readdir("d/f", &w), -ENOTDIR);
        ck_assert_errno(m_readdir("d/f/x", &w), -ENOTDIR);
        ck_assert_errno(m_unlink("d/f/x"), -ENOTDIR);
        ck_assert_errno(m_rmdir("d/f/x"), -ENOTDIR);
        ck_assert_errno(m_rmdir("d/f"), -ENOTDIR);
        ck_assert_errno(m_rename("d/f/x", "y", 0), -ENOTDIR);
        ck_assert_errno(m_rename("d", "d/f/y", 0), -ENOTDIR);
        ck_assert_errno(m_set_mtime("d/f/x", 1), -ENOTDIR);
        assert_content("d/f", "x");
        ct_wait_clear(&w);
}
END_TEST

START_TEST(t_eisdir_ebadf_eexist)
{
        struct gwd_file *f = NULL, *d = NULL;
        char buf[4];
        size_t n;

        ck_assert_errno(m_mkdir("d"), 0);
        put_str("f", "abc");
        /* EISDIR */
        ck_assert_errno(m_open("d", GWD_O_WRITE, &f, NULL), -EISDIR);
        ck_assert_errno(m_open("d", GWD_O_READ | GWD_O_WRITE, &f, NULL), -EISDIR);
        ck_assert_errno(m_open("d", GWD_O_READ | GWD_O_TRUNC, &f, NULL), -EISDIR);
        ck_assert_errno(m_open("d", GWD_O_WRITE | GWD_O_CREATE, &f, NULL), -EISDIR);
        ck_assert_errno(m_open("d", GWD_O_READ | GWD_O_DIRECTORY, &d, NULL), 0);
        ck_assert_errno(m_read(d, 0, buf, sizeof(buf), &n), -EISDIR);
        ck_assert_errno(m_close(d), 0);
        ck_assert_errno(m_unlink("d"), -EISDIR);
        /* EBADF */
        ck_assert_errno(m_open("f", GWD_O_READ, &f, NULL), 0);
        ck_assert_errno(m_write(f, 0, "x", 1), -EBADF);
        ck_assert_errno(m_write(f, 3, "x", 1), -EBADF);
        ck_assert_errno(m_truncate(f, 0), -EBADF);
        ck_assert_errno(m_close(f), 0);
        ck_assert_errno(m_open("f", GWD_O_WRITE, &f, NULL), 0);
        ck_assert_errno(m_read(f, 0, buf, sizeof(buf), &n), -EBADF);
        ck_assert_errno(m_close(f), 0);
        assert_content("f", "abc");
        /* EEXIST */
        ck_assert_errno(m_open("f", GWD_O_WRITE | GWD_O_CREATE | GWD_O_EXCL, &f, NULL),
                        -EEXIST);
        ck_assert_errno(m_open("d", GWD_O_READ | GWD_O_CREATE | GWD_O_EXCL | GWD_O_DIRECTORY,
                               &f, NULL), -EEXIST);
        ck_assert_errno(m_mkdir("f"), -EEXIST);
        ck_assert_errno(m_mkdir("d"), -EEXIST);
        ck_assert_errno(m_rename("f", "d", 0), -EEXIST);
        assert_content("f", "abc");
        ck_assert_int_eq(share_detail("rw", "open_files"), 0);
}
END_TEST

START_TEST(t_enospc)
{
        struct gwd_file *f = NULL, *g = NULL;
        struct gwd_stat st;
        uint8_t *buf = malloc(SMALL_MAX + 1);
        size_t n;

        ck_assert_ptr_nonnull(buf);
        memset(buf, 's', SMALL_MAX + 1);
        use_share("small");
        /* one write bigger than the share: refused whole, nothing written */
        ck_assert_errno(m_open("f", GWD_O_READ | GWD_O_WRITE | GWD_O_CREATE, &f, NULL), 0);
        ck_assert_errno(m_write(f, 0, buf, SMALL_MAX + 1), -ENOSPC);
        ck_assert_errno(m_fstat(f, &st), 0);
        ck_assert_uint_eq(st.size, 0);
        ck_assert_int_eq(share_detail("small", "used_bytes"), 0);
        /* exactly full */
        ck_assert_errno(m_write(f, 0, buf, SMALL_MAX), 0);
        ck_assert_int_eq(share_detail("small", "used_bytes"), SMALL_MAX);
        ck_assert_errno(m_write(f, SMALL_MAX, "x", 1), -ENOSPC);
        ck_assert_errno(m_truncate(f, SMALL_MAX + 1), -ENOSPC);
        ck_assert_errno(m_open("g", GWD_O_WRITE | GWD_O_CREATE, &g, NULL), 0);
        ck_assert_errno(m_write(g, 0, "x", 1), -ENOSPC);
        ck_assert_errno(m_write(g, 1000, "", 0), 0);    /* nothing to store */
        ck_assert_errno(m_fstat(f, &st), 0);
        ck_assert_uint_eq(st.size, SMALL_MAX);
        /* overwriting inside the file needs no space */
        ck_assert_errno(m_write(f, 100, "over", 4), 0);
        /* shrinking frees space */
        ck_assert_errno(m_truncate(f, SMALL_MAX - 10), 0);
        ck_assert_errno(m_write(g, 0, "0123456789", 10), 0);
        ck_assert_errno(m_write(g, 10, "x", 1), -ENOSPC);
        ck_assert_errno(m_read(f, 100, buf, 4, &n), 0);
        ck_assert_mem_eq(buf, "over", 4);
        ck_assert_errno(m_close(g), 0);
        ck_assert_errno(m_close(f), 0);
        /* unlinking frees space */
        ck_assert_errno(m_unlink("f"), 0);
        ck_assert_int_eq(share_detail("small", "used_bytes"), 10);
        ck_assert_errno(m_open("g", GWD_O_WRITE, &g, NULL), 0);
        ck_assert_errno(m_write(g, 10, buf, SMALL_MAX - 10), 0);
        ck_assert_errno(m_close(g), 0);
        /* the other shares are not affected */
        use_share("rw");
        put_file("big", buf, SMALL_MAX + 1);
        free(buf);
}
END_TEST

START_TEST(t_erofs)
{
        struct gwd_file *f = NULL;
        struct ct_wait w = { 0 };
        struct gwd_stat st;

        use_share("ro");
        ck_assert_errno(m_open("f", GWD_O_WRITE | GWD_O_CREATE, &f, NULL), -EROFS);
        ck_assert_errno(m_open("f", GWD_O_READ | GWD_O_CREATE, &f, NULL), -EROFS);
        ck_assert_errno(m_open("", GWD_O_WRITE, &f, NULL), -EROFS);
        ck_assert_errno(m_open("", GWD_O_READ | GWD_O_TRUNC, &f, NULL), -EROFS);
        ck_assert_errno(m_mkdir("d"), -EROFS);
        ck_assert_errno(m_rmdir("d"), -EROFS);
        ck_assert_errno(m_unlink("f"), -EROFS);
        ck_assert_errno(m_rename("a", "b", 0), -EROFS);
        ck_assert_errno(m_set_mtime("", 1), -EROFS);
        /* reading works */
        ck_assert_errno(m_stat("", &st), 0);
        ck_assert_uint_eq(st.type, GWD_TYPE_DIR);
        ck_assert_errno(m_readdir("", &w), 0);
        ck_assert_uint_eq(w.n_ents, 0);
        ck_assert_errno(m_open("", GWD_O_READ | GWD_O_DIRECTORY, &f, NULL), 0);
        ck_assert_errno(m_flush(f), 0);
        ck_assert_errno(m_close(f), 0);
        ck_assert_errno(m_open("f", GWD_O_READ, &f, NULL), -ENOENT);
        ct_wait_clear(&w);
        /* the writable share is unaffected */
        use_share("rw");
        put_str("f", "w");
}
END_TEST

/* used_bytes in the share object's details follows every size change. */
START_TEST(t_used_bytes)
{
        struct gwd_file *f = NULL;

        put_str("a", "12345");
        put_str("b", "123");
        ck_assert_int_eq(share_detail("rw", "used_bytes"), 8);
        put_str("a", "1");                      /* O_TRUNC then write */
        ck_assert_int_eq(share_detail("rw", "used_bytes"), 4);
        ck_assert_errno(m_rename("b", "a", GWD_RENAME_REPLACE), 0);
        ck_assert_int_eq(share_detail("rw", "used_bytes"), 3);
        ck_assert_errno(m_open("a", GWD_O_WRITE, &f, NULL), 0);
        ck_assert_errno(m_write(f, 1000, "x", 1), 0);
        ck_assert_int_eq(share_detail("rw", "used_bytes"), 1001);
        ck_assert_errno(m_truncate(f, 10), 0);
        ck_assert_int_eq(share_detail("rw", "used_bytes"), 10);
        ck_assert_errno(m_close(f), 0);
        ck_assert_errno(m_mkdir("d"), 0);
        put_str("d/x", "xyz");
        ck_assert_int_eq(share_detail("rw", "used_bytes"), 13);
        ck_assert_errno(m_unlink("d/x"), 0);
        ck_assert_errno(m_unlink("a"), 0);
        ck_assert_int_eq(share_detail("rw", "used_bytes"), 0);
        ck_assert_int_eq(share_detail("rw", "open_files"), 0);
}
END_TEST

/* Every operation, on success and on failure, completes from the loop. */
START_TEST(t_never_inline)
{
        struct gwd_file *f = NULL, *ro = NULL;
        struct ct_wait w = { 0 };
        char buf[4];
        size_t n;
        int ops_checked = 0;

        /* the helpers assert "not inline, exactly once" on each call */
        ck_assert_errno(m_open("n", GWD_O_READ | GWD_O_WRITE | GWD_O_CREATE, &f, NULL), 0);
        ck_assert_errno(m_open("missing", GWD_O_READ, &ro, NULL), -ENOENT);
        ops_checked++;
        ck_assert_errno(m_write(f, 0, "abc", 3), 0);
        ops_checked++;
        ck_assert_errno(m_read(f, 0, buf, 3, &n), 0);
        ops_checked++;
        ck_assert_errno(m_fstat(f, NULL), 0);
        ops_checked++;
        ck_assert_errno(m_truncate(f, 1), 0);
        ops_checked++;
        ck_assert_errno(m_flush(f), 0);
        ops_checked++;
        ck_assert_errno(m_stat("n", NULL), 0);
        ck_assert_errno(m_stat("x", NULL), -ENOENT);
        ops_checked++;
        ck_assert_errno(m_readdir("", &w), 0);
        ck_assert_errno(m_readdir("x", &w), -ENOENT);
        ops_checked++;
        ck_assert_errno(m_mkdir("dd"), 0);
        ck_assert_errno(m_mkdir("dd"), -EEXIST);
        ops_checked++;
        ck_assert_errno(m_rename("dd", "de", 0), 0);
        ck_assert_errno(m_rename("dd", "de", 0), -ENOENT);
        ops_checked++;
        ck_assert_errno(m_rmdir("de"), 0);
        ck_assert_errno(m_rmdir("de"), -ENOENT);
        ops_checked++;
        ck_assert_errno(m_set_mtime("n", 5), 0);
        ck_assert_errno(m_set_mtime("x", 5), -ENOENT);
        ops_checked++;
        ck_assert_errno(m_open("n", GWD_O_READ, &ro, NULL), 0);
        ck_assert_errno(m_write(ro, 0, "x", 1), -EBADF);
        ck_assert_errno(m_truncate(ro, 0), -EBADF);
        ck_assert_errno(m_close(ro), 0);
        ck_assert_errno(m_close(f), 0);
        ops_checked++;
        ck_assert_errno(m_unlink("n"), 0);
        ck_assert_errno(m_unlink("n"), -ENOENT);
        ops_checked++;
        ck_assert_int_eq(ops_checked, 14);
        ct_wait_clear(&w);
}
END_TEST

/* stop() unregisters the shares: new operations get -ENODEV, a file that
 * is still open closes through the backend. */
START_TEST(t_stop_with_open_file)
{
        struct gwd_file *f = NULL;
        char buf[4];
        size_t n;

        put_str("keep", "kept");
        ck_assert_errno(m_open("keep", GWD_O_READ, &f, NULL), 0);
        plug->hooks.stop(state);
        stopped = 1;
        ck_assert_ptr_null(env.api->share_find(env.ctx, "rw"));
        ck_assert_ptr_null(env.api->object_find(env.ctx, "share", "mem.rw"));
        ck_assert_errno(m_read(f, 0, buf, sizeof(buf), &n), -ENODEV);
        ck_assert_errno(m_stat("keep", NULL), -ENODEV);
        ck_assert_errno(m_open("keep", GWD_O_READ, NULL, NULL), -ENODEV);
        ck_assert_errno(m_close(f), 0);
}
END_TEST

static Suite *mem_suite(void)
{
        Suite *s = suite_create("mem");
        TCase *tc = tcase_create("mem");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, t_plugin_loaded);
        tcase_add_test(tc, t_open_flag_matrix);
        tcase_add_test(tc, t_open_results);
        tcase_add_test(tc, t_read_write);
        tcase_add_test(tc, t_integrity_4mib);
        tcase_add_test(tc, t_stat_fstat_times);
        tcase_add_test(tc, t_set_mtime);
        tcase_add_test(tc, t_readdir);
        tcase_add_test(tc, t_readdir_1000);
        tcase_add_test(tc, t_mkdir_rmdir);
        tcase_add_test(tc, t_unlink);
        tcase_add_test(tc, t_unlink_open_file);
        tcase_add_test(tc, t_rename_basic);
        tcase_add_test(tc, t_rename_replace);
        tcase_add_test(tc, t_rename_type_conflicts);
        tcase_add_test(tc, t_rename_into_own_subtree);
        tcase_add_test(tc, t_rename_onto_itself);
        tcase_add_test(tc, t_rename_open_file);
        tcase_add_test(tc, t_truncate);
        tcase_add_test(tc, t_flush);
        tcase_add_test(tc, t_enoent);
        tcase_add_test(tc, t_enotdir_in_path);
        tcase_add_test(tc, t_eisdir_ebadf_eexist);
        tcase_add_test(tc, t_enospc);
        tcase_add_test(tc, t_erofs);
        tcase_add_test(tc, t_used_bytes);
        tcase_add_test(tc, t_never_inline);
        tcase_add_test(tc, t_stop_with_open_file);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return check_run_suite(mem_suite());
}
