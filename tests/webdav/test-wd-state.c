/* SPDX-License-Identifier: MIT */
/* plugins/webdav state and tables: the lock table, Content-Type, users and
 * credentials, errno mapping, the response buffer. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/webdav/wd-auth.h"
#include "plugins/webdav/wd-buf.h"
#include "plugins/webdav/wd-errmap.h"
#include "plugins/webdav/wd-lock.h"
#include "plugins/webdav/wd-mime.h"
#include "tests/check-run.h"

/* --- lock table ----------------------------------------------------------------- */

static const char *submitted_token;

static int submitted(void *ud, const char *token)
{
        return submitted_token && strcmp(token, submitted_token) == 0;
}

START_TEST(lock_conflicts)
{
        struct wd_locks t;
        struct wd_lock *a = NULL, *b = NULL;
        const struct wd_lock *c = NULL;

        wd_locks_init(&t);
        ck_assert_int_eq(wd_locks_add(&t, "s", "d/f", 1, 0, NULL, "u", 60, 0, &a, &c), 0);
        ck_assert(strncmp(a->token, "opaquelocktoken:", 16) == 0);
        ck_assert_uint_eq(strlen(a->token), 16 + 36);
        /* exclusive vs anything on the same resource */
        ck_assert_int_eq(wd_locks_add(&t, "s", "d/f", 0, 0, NULL, "u", 60, 0, &b, &c), -EBUSY);
        ck_assert_ptr_eq(c, a);
        /* a depth-infinity lock on the parent overlaps it */
        ck_assert_int_eq(wd_locks_add(&t, "s", "d", 1, 1, NULL, "u", 60, 0, &b, &c), -EBUSY);
        /* a depth-0 lock on the parent does not */
        ck_assert_int_eq(wd_locks_add(&t, "s", "d", 1, 0, NULL, "u", 60, 0, &b, &c), 0);
        /* other share: independent */
        ck_assert_int_eq(wd_locks_add(&t, "other", "d/f", 1, 0, NULL, "u", 60, 0, &b, &c), 0);
        ck_assert_uint_eq(t.n, 3);
        wd_locks_clear(&t);
        ck_assert_uint_eq(t.n, 0);
}
END_TEST

START_TEST(lock_shared)
{
        struct wd_locks t;
        struct wd_lock *a = NULL, *b = NULL;
        const struct wd_lock *c = NULL;

        wd_locks_init(&t);
        ck_assert_int_eq(wd_locks_add(&t, "s", "f", 0, 0, NULL, "u", 60, 0, &a, &c), 0);
        ck_assert_int_eq(wd_locks_add(&t, "s", "f", 0, 0, NULL, "v", 60, 0, &b, &c), 0);
        ck_assert_str_ne(a->token, b->token);
        ck_assert_int_eq(wd_locks_add(&t, "s", "f", 1, 0, NULL, "w", 60, 0, &b, &c), -EBUSY);
        wd_locks_clear(&t);
}
END_TEST

START_TEST(lock_check_and_expire)
{
        struct wd_locks t;
        struct wd_lock *a = NULL, *d = NULL;
        const struct wd_lock *c = NULL;
        char tok[WD_TOKEN_MAX];

        wd_locks_init(&t);
        ck_assert_int_eq(wd_locks_add(&t, "s", "dir", 1, 1, "<x/>", "u", 10, 1000, &d, &c), 0);
        ck_assert_str_eq(d->owner, "<x/>");
        /* a file below a depth-infinity lock needs its token */
        submitted_token = NULL;
        ck_assert_int_eq(wd_locks_check(&t, "s", "dir/f", WD_LCK_SELF, submitted, NULL, &c),
                         -EAGAIN);
        submitted_token = d->token;
        ck_assert_int_eq(wd_locks_check(&t, "s", "dir/f", WD_LCK_SELF, submitted, NULL, &c), 0);
        /* elsewhere: nothing applies */
        submitted_token = NULL;
        ck_assert_int_eq(wd_locks_check(&t, "s", "other", WD_LCK_SELF | WD_LCK_PARENT, submitted,
                                        NULL, &c), 0);
        /* deleting the root: locks below count */
        ck_assert_int_eq(wd_locks_check(&t, "s", "", WD_LCK_BELOW, submitted, NULL, &c), -EAGAIN);
        ck_assert_int_eq(wd_locks_check(&t, "s", "", WD_LCK_SELF, submitted, NULL, &c), 0);

        ck_assert_int_eq(wd_locks_add(&t, "s", "f2", 1, 0, NULL, "u", 10, 1000, &a, &c), 0);
        /* membership change in a depth-0 locked collection */
        ck_assert_int_eq(wd_locks_add(&t, "s", "col", 1, 0, NULL, "u", 10, 1000, &a, &c), 0);
        ck_assert_int_eq(wd_locks_check(&t, "s", "col/new", WD_LCK_SELF, submitted, NULL, &c), 0);
        ck_assert_int_eq(wd_locks_check(&t, "s", "col/new", WD_LCK_PARENT, submitted, NULL, &c),
                         -EAGAIN);

        memcpy(tok, d->token, sizeof(tok));
        ck_assert_ptr_eq(wd_locks_find(&t, tok), d);
        wd_locks_expire(&t, 1000 + 9 * 1000000u);
        ck_assert_uint_eq(t.n, 3);
        wd_locks_expire(&t, 1000 + 10 * 1000000u);
        ck_assert_uint_eq(t.n, 0);
        ck_assert_ptr_null(wd_locks_find(&t, tok));
        ck_assert_int_eq(wd_locks_remove(&t, tok), -ENOENT);
        wd_locks_clear(&t);
}
END_TEST

START_TEST(lock_remove_under)
{
        struct wd_locks t;
        struct wd_lock *a = NULL;
        const struct wd_lock *c = NULL;

        wd_locks_init(&t);
        ck_assert_int_eq(wd_locks_add(&t, "s", "a/b", 1, 0, NULL, "", 10, 0, &a, &c), 0);
        ck_assert_int_eq(wd_locks_add(&t, "s", "a/c", 1, 0, NULL, "", 10, 0, &a, &c), 0);
        ck_assert_int_eq(wd_locks_add(&t, "s", "ab", 1, 0, NULL, "", 10, 0, &a, &c), 0);
        wd_locks_remove_under(&t, "s", "a");
        ck_assert_uint_eq(t.n, 1);
        ck_assert_str_eq(t.head->path, "ab");
        ck_assert_int_eq(wd_locks_remove(&t, t.head->token), 0);
        ck_assert_uint_eq(t.n, 0);
        wd_locks_clear(&t);
}
END_TEST

/* --- Content-Type ------------------------------------------------------------------ */

START_TEST(mime)
{
        ck_assert_str_eq(wd_mime_type("a/b/file.TXT"), "text/plain; charset=utf-8");
        ck_assert_str_eq(wd_mime_type("x.json"), "application/json");
        ck_assert_str_eq(wd_mime_type("x.tar.gz"), "application/gzip");
        ck_assert_str_eq(wd_mime_type("x.7z"), "application/x-7z-compressed");
        ck_assert_str_eq(wd_mime_type("x.zst"), "application/zstd");
        ck_assert_str_eq(wd_mime_type("x.docx"), "application/vnd.openxmlformats-officedocument."
                                                 "wordprocessingml.document");
        ck_assert_str_eq(wd_mime_type("noext"), "application/octet-stream");
        ck_assert_str_eq(wd_mime_type("dir.d/noext"), "application/octet-stream");
        ck_assert_str_eq(wd_mime_type("trailing."), "application/octet-stream");
        ck_assert_str_eq(wd_mime_type("x.unknownext"), "application/octet-stream");
}
END_TEST

/* --- users ------------------------------------------------------------------------- */

/* sha256("salt" "secret") and sha256("tok123"), computed with sha256sum */
#define SALTED "sha256:salt:" \
        "bede90386d450cea8b77b822f8887065e4e5abf132c2f9dccfcc7fbd4cba5e35"
#define TOKEN "token-sha256:" \
        "4f6e1f65055263866dedb3c5fe22defb0cc045648cf0b87afac54cc6420e5647"

START_TEST(users_parse_and_check)
{
        struct wd_users u;
        unsigned line = 0;
        const char *text = "# users\n\nalice " SALTED "\n  bob plain:pw\ncarol " TOKEN "\r\n";

        ck_assert_int_eq(wd_users_parse(text, &u, &line), 0);
        ck_assert_uint_eq(u.n, 3);
        ck_assert_uint_eq(u.n_plain, 1);
        ck_assert(wd_users_check_password(&u, "alice", "secret"));
        ck_assert(!wd_users_check_password(&u, "alice", "Secret"));
        ck_assert(!wd_users_check_password(&u, "alice", ""));
        ck_assert(wd_users_check_password(&u, "bob", "pw"));
        ck_assert(!wd_users_check_password(&u, "bob", "pw2"));
        ck_assert(!wd_users_check_password(&u, "carol", "tok123"));    /* a token, not a password */
        ck_assert(!wd_users_check_password(&u, "nobody", "secret"));
        ck_assert_str_eq(wd_users_check_token(&u, "tok123"), "carol");
        ck_assert_ptr_null(wd_users_check_token(&u, "tok124"));
        wd_users_free(&u);
}
END_TEST

START_TEST(users_bad_lines)
{
        struct wd_users u;
        unsigned line = 0;
        ck_assert_int_eq(wd_users_parse("ok plain:x\nbad\n", &u, &line), -EINVAL);
        ck_assert_uint_eq(line, 2);
        ck_assert_int_eq(wd_users_parse("a sha256:s:abc\n", &u, &line), -EINVAL);
        ck_assert_int_eq(wd_users_parse("a md5:x\n", &u, &line), -EINVAL);
        ck_assert_int_eq(wd_users_parse("bad/name plain:x\n", &u, &line), -EINVAL);
        ck_assert_int_eq(wd_users_parse("a plain:\n", &u, &line), -EINVAL);
        ck_assert_int_eq(wd_users_parse("# only comments\n", &u, &line), 0);
        ck_assert_uint_eq(u.n, 0);
        wd_users_free(&u);
}
END_TEST

START_TEST(base64)
{
        char *s = NULL;
        ck_assert_int_eq(wd_base64_decode("YWxpY2U6c2VjcmV0", &s), 0);
        ck_assert_str_eq(s, "alice:secret");
        free(s);
        ck_assert_int_eq(wd_base64_decode("YQ==", &s), 0);
        ck_assert_str_eq(s, "a");
        free(s);
        ck_assert_int_eq(wd_base64_decode("YQ=", &s), -EINVAL);
        ck_assert_int_eq(wd_base64_decode("Y=Q=", &s), -EINVAL);
        ck_assert_int_eq(wd_base64_decode("YW!j", &s), -EINVAL);
        ck_assert_int_eq(wd_base64_decode("AAAA", &s), -EINVAL);        /* NUL bytes */
}
END_TEST

/* --- errors and buffers -------------------------------------------------------------- */

START_TEST(errno_mapping)
{
        int retry = 0;
        ck_assert_uint_eq(wd_status_of_errno(-ENOENT, WD_M_READ, &retry), 404);
        ck_assert_uint_eq(wd_status_of_errno(-EACCES, WD_M_READ, &retry), 403);
        ck_assert_uint_eq(wd_status_of_errno(-EPERM, WD_M_READ, &retry), 403);
        ck_assert_uint_eq(wd_status_of_errno(-EROFS, WD_M_WRITE, &retry), 403);
        ck_assert_uint_eq(wd_status_of_errno(-EEXIST, WD_M_CREATE, &retry), 405);
        ck_assert_uint_eq(wd_status_of_errno(-EEXIST, WD_M_WRITE, &retry), 412);
        ck_assert_uint_eq(wd_status_of_errno(-ENOTEMPTY, WD_M_WRITE, &retry), 409);
        ck_assert_uint_eq(wd_status_of_errno(-ENOTDIR, WD_M_WRITE, &retry), 409);
        ck_assert_uint_eq(wd_status_of_errno(-EISDIR, WD_M_WRITE, &retry), 409);
        ck_assert_uint_eq(wd_status_of_errno(-ENOSPC, WD_M_WRITE, &retry), 507);
        ck_assert_int_eq(retry, 0);
        ck_assert_uint_eq(wd_status_of_errno(-EHOSTDOWN, WD_M_READ, &retry), 503);
        ck_assert_int_eq(retry, 1);
        ck_assert_uint_eq(wd_status_of_errno(-ETIMEDOUT, WD_M_READ, &retry), 503);
        ck_assert_uint_eq(wd_status_of_errno(-ENOTCONN, WD_M_READ, &retry), 503);
        ck_assert_uint_eq(wd_status_of_errno(-ECONNRESET, WD_M_READ, &retry), 503);
        ck_assert_int_eq(retry, 1);
        ck_assert_uint_eq(wd_status_of_errno(-EIO, WD_M_READ, &retry), 502);
        ck_assert_int_eq(retry, 0);
        ck_assert_str_eq(wd_reason(207), "Multi-Status");
        ck_assert_str_eq(wd_reason(423), "Locked");
}
END_TEST

START_TEST(buffers)
{
        struct wd_buf b;
        char *s;
        size_t n;
        buf_init(&b);
        buf_add_xml(&b, "<a href=\"x\">&'</a>");
        ck_assert_str_eq(b.data, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
        buf_reset(&b);
        buf_add_json(&b, "q\"\\\n\x01\xc3\xa9");
        ck_assert_str_eq(b.data, "\"q\\\"\\\\\\u000a\\u0001\xc3\xa9\"");
        buf_reset(&b);
        for (int i = 0; i < 10000; i++)
                buf_printf(&b, "%d,", i);
        ck_assert_int_eq(buf_error(&b), 0);
        s = buf_steal(&b, &n);
        ck_assert_uint_eq(n, strlen(s));
        ck_assert(strncmp(s, "0,1,2,", 6) == 0);
        free(s);
        ck_assert_ptr_null(b.data);
        buf_done(&b);
}
END_TEST

static Suite *suite(void)
{
        Suite *s = suite_create("webdav-state");
        TCase *t = tcase_create("locks");
        tcase_add_test(t, lock_conflicts);
        tcase_add_test(t, lock_shared);
        tcase_add_test(t, lock_check_and_expire);
        tcase_add_test(t, lock_remove_under);
        suite_add_tcase(s, t);
        t = tcase_create("tables");
        tcase_add_test(t, mime);
        tcase_add_test(t, errno_mapping);
        tcase_add_test(t, buffers);
        suite_add_tcase(s, t);
        t = tcase_create("users");
        tcase_add_test(t, users_parse_and_check);
        tcase_add_test(t, users_bad_lines);
        tcase_add_test(t, base64);
        suite_add_tcase(s, t);
        return s;
}

int main(void)
{
        return check_run_suite(suite());
}
