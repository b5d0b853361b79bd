/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/api/filter.h"
#include "tests/check-run.h"

static int anc_srv1(void *ud, const char *kind, const char *id)
{
        return strcmp(kind, "server") == 0 && strcmp(id, "srv1") == 0;
}

START_TEST(states)
{
        struct api_filter f = { 0 };
        char err[128];
        ck_assert_int_eq(filter_add(&f, "state", "good,need_reconnect", err, sizeof(err)), 0);
        ck_assert(filter_match(&f, "good", NULL, anc_srv1, NULL));
        ck_assert(filter_match(&f, "need_reconnect", NULL, anc_srv1, NULL));
        ck_assert(!filter_match(&f, "reconnecting", NULL, anc_srv1, NULL));
        ck_assert_int_eq(filter_add(&f, "state", "good", err, sizeof(err)), -EINVAL);
}
END_TEST

START_TEST(negation_and_tree)
{
        struct api_filter f = { 0 };
        char err[128];
        ck_assert_int_eq(filter_add(&f, "state", "!good", err, sizeof(err)), 0);
        ck_assert_int_eq(filter_add(&f, "server", "srv1", err, sizeof(err)), 0);
        ck_assert_int_eq(filter_add(&f, "parent", "srv1.s0", err, sizeof(err)), 0);
        ck_assert(!filter_match(&f, "good", "srv1.s0", anc_srv1, NULL));
        ck_assert(filter_match(&f, "broken", "srv1.s0", anc_srv1, NULL));
        ck_assert(!filter_match(&f, "broken", "srv1.s1", anc_srv1, NULL));
        ck_assert(!filter_match(&f, "broken", NULL, anc_srv1, NULL));
}
END_TEST

START_TEST(bad_values)
{
        struct api_filter f = { 0 };
        char err[128];
        ck_assert_int_eq(filter_add(&f, "state", "", err, sizeof(err)), -EINVAL);
        memset(&f, 0, sizeof(f));
        ck_assert_int_eq(filter_add(&f, "state", "good,,bad", err, sizeof(err)), -EINVAL);
        memset(&f, 0, sizeof(f));
        ck_assert_int_eq(filter_add(&f, "state", "Good", err, sizeof(err)), -EINVAL);
        ck_assert_int_eq(filter_add(&f, "parent", "..", err, sizeof(err)), -EINVAL);
        ck_assert_int_eq(filter_add(&f, "server", "a/b", err, sizeof(err)), -EINVAL);
        ck_assert_int_eq(filter_add(&f, "Bogus-Key", "x", err, sizeof(err)), -ENOENT);
        ck_assert_int_eq(filter_add(&f, "parent", NULL, err, sizeof(err)), -EINVAL);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("filter");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, states);
        tcase_add_test(tc, negation_and_tree);
        tcase_add_test(tc, bad_values);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
