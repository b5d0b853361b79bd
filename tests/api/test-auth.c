/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/api/auth.h"
#include "tests/check-run.h"

START_TEST(parse_ok)
{
        struct auth_tokens t;
        char err[128];
        const char *text = "# comment\n\nadmin ops  AAAAAAAAAAAAAAAAAAAA\r\n"
                           "read\tviewer\tRRRRRRRRRRRRRRRRRRRR";
        ck_assert_int_eq(auth_parse(text, &t, err, sizeof(err)), 0);
        ck_assert_uint_eq(t.n, 2);
        ck_assert_int_eq(t.v[0].role, ROLE_ADMIN);
        ck_assert_str_eq(t.v[0].name, "ops");
        ck_assert_str_eq(t.v[0].token, "AAAAAAAAAAAAAAAAAAAA");
        ck_assert_int_eq(t.v[1].role, ROLE_READ);
        ck_assert_str_eq(t.v[1].name, "viewer");
        auth_tokens_clear(&t);
}
END_TEST

static void bad(const char *text, const char *want)
{
        struct auth_tokens t = { 0 };
        char err[256] = "";
        ck_assert_int_eq(auth_parse(text, &t, err, sizeof(err)), -EINVAL);
        ck_assert_msg(strstr(err, want), "\"%s\" lacks \"%s\"", err, want);
        /* The message never quotes a token. */
        ck_assert_ptr_null(strstr(err, "SECRETSECRETSECRET"));
        ck_assert_uint_eq(t.n, 0);
}

START_TEST(parse_errors)
{
        bad("root x SECRETSECRETSECRET\n", "line 1: role");
        bad("admin x\n", "line 1: expected");
        bad("\nadmin x SECRETSECRETSECRET extra\n", "line 2: expected");
        bad("admin x short\n", "line 1: token must be");
        bad("admin b@d SECRETSECRETSECRET\n", "line 1: name");
        bad("admin a SECRETSECRETSECRET\nread a SECRETSECRETSECRE2\n", "line 2: name \"a\" is used twice");
        bad("admin a SECRETSECRETSECRET\nread b SECRETSECRETSECRET\n", "line 2: the token of \"b\"");
        bad("admin a SECRET\x01SECRETSECRET\n", "line 1: token");
}
END_TEST

START_TEST(equal)
{
        ck_assert(auth_equal("abc", 3, "abc", 3));
        ck_assert(!auth_equal("abd", 3, "abc", 3));
        ck_assert(!auth_equal("ab", 2, "abc", 3));
        ck_assert(!auth_equal("abcd", 4, "abc", 3));
        ck_assert(!auth_equal("", 0, "abc", 3));
        ck_assert(auth_equal("", 0, "", 0));
}
END_TEST

START_TEST(lookup)
{
        struct auth_tokens t;
        char err[128];
        int malformed;
        const struct auth_token *k;

        ck_assert_int_eq(auth_parse("admin ops AAAAAAAAAAAAAAAAAAAA\nread v RRRRRRRRRRRRRRRRRRRR\n",
                                    &t, err, sizeof(err)), 0);
        k = auth_lookup(&t, "Bearer RRRRRRRRRRRRRRRRRRRR", &malformed);
        ck_assert_ptr_nonnull(k);
        ck_assert_str_eq(k->name, "v");
        k = auth_lookup(&t, "bearer  AAAAAAAAAAAAAAAAAAAA ", &malformed);
        ck_assert_ptr_nonnull(k);
        ck_assert_str_eq(k->name, "ops");
        ck_assert_ptr_null(auth_lookup(&t, "Bearer AAAAAAAAAAAAAAAAAAAB", &malformed));
        ck_assert_int_eq(malformed, 0);
        ck_assert_ptr_null(auth_lookup(&t, "Bearer AAAAAAAAAAAAAAAAAAA", &malformed));
        ck_assert_ptr_null(auth_lookup(&t, "Basic dXNlcjpwYXNz", &malformed));
        ck_assert_int_eq(malformed, 1);
        ck_assert_ptr_null(auth_lookup(&t, "Bearer ", &malformed));
        ck_assert_int_eq(malformed, 1);
        ck_assert_int_eq(auth_role_needed("GET"), ROLE_READ);
        ck_assert_int_eq(auth_role_needed("HEAD"), ROLE_READ);
        ck_assert_int_eq(auth_role_needed("POST"), ROLE_ADMIN);
        ck_assert_int_eq(auth_role_needed("DELETE"), ROLE_ADMIN);
        auth_tokens_clear(&t);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("auth");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, parse_ok);
        tcase_add_test(tc, parse_errors);
        tcase_add_test(tc, equal);
        tcase_add_test(tc, lookup);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
