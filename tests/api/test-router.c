/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/api/router.h"
#include "tests/check-run.h"

static struct route_match m;

START_TEST(literal_routes)
{
        ck_assert_int_eq(route_find("GET", "/healthz", &m), ROUTE_OK);
        ck_assert_int_eq(m.id, ROUTE_HEALTHZ);
        ck_assert_int_eq(route_find("HEAD", "/metrics", &m), ROUTE_OK);
        ck_assert_int_eq(m.id, ROUTE_METRICS);
        ck_assert_int_eq(route_find("GET", "/api/v1", &m), ROUTE_OK);
        ck_assert_int_eq(m.id, ROUTE_INDEX);
        ck_assert_int_eq(route_find("GET", "/api/v1/events", &m), ROUTE_OK);
        ck_assert_int_eq(m.id, ROUTE_EVENTS);
        ck_assert_int_eq(route_find("GET", "/api/v1/drills", &m), ROUTE_OK);
        ck_assert_int_eq(m.id, ROUTE_DRILLS_LIST);
        ck_assert_int_eq(route_find("POST", "/api/v1/drills", &m), ROUTE_OK);
        ck_assert_int_eq(m.id, ROUTE_DRILL_NEW);
}
END_TEST

START_TEST(generic_routes)
{
        ck_assert_int_eq(route_find("GET", "/api/v1/tcons", &m), ROUTE_OK);
        ck_assert_int_eq(m.id, ROUTE_COLLECTION);
        ck_assert_str_eq(m.params[0], "tcon");
        ck_assert_int_eq(route_find("GET", "/api/v1/sessions/srv0.s1", &m), ROUTE_OK);
        ck_assert_int_eq(m.id, ROUTE_OBJECT);
        ck_assert_str_eq(m.params[0], "session");
        ck_assert_str_eq(m.params[1], "srv0.s1");
        ck_assert_int_eq(route_find("POST", "/api/v1/servers/a-b_c/reconnect", &m), ROUTE_OK);
        ck_assert_int_eq(m.id, ROUTE_ACTION);
        ck_assert_str_eq(m.params[2], "reconnect");
        ck_assert_int_eq(route_find("GET", "/api/v1/operations/op-1", &m), ROUTE_OK);
        ck_assert_int_eq(m.id, ROUTE_OPERATION);
        ck_assert_str_eq(m.params[0], "op-1");
        ck_assert_int_eq(route_find("GET", "/api/v1/drills/drill-3", &m), ROUTE_OK);
        ck_assert_int_eq(m.id, ROUTE_DRILL);
}
END_TEST

START_TEST(methods)
{
        char allow[64];
        ck_assert_int_eq(route_find("DELETE", "/api/v1/tcons/x", &m), ROUTE_BAD_METHOD);
        route_allow_string(m.allow, allow, sizeof(allow));
        ck_assert_str_eq(allow, "GET, HEAD");
        ck_assert_int_eq(route_find("GET", "/api/v1/tcons/x/reconnect", &m), ROUTE_BAD_METHOD);
        route_allow_string(m.allow, allow, sizeof(allow));
        ck_assert_str_eq(allow, "POST");
        ck_assert_int_eq(route_find("PUT", "/api/v1/drills", &m), ROUTE_BAD_METHOD);
        route_allow_string(m.allow, allow, sizeof(allow));
        ck_assert_str_eq(allow, "GET, HEAD, POST");
        ck_assert_int_eq(route_find("POST", "/healthz", &m), ROUTE_BAD_METHOD);
}
END_TEST

START_TEST(odd_paths)
{
        char longid[10 * 1024];
        ck_assert_int_eq(route_find("GET", "/api/v1/tcons/..", &m), ROUTE_BAD_PARAM);
        ck_assert_int_eq(route_find("GET", "/api/v1/tcons/.", &m), ROUTE_BAD_PARAM);
        ck_assert_int_eq(route_find("GET", "/api/v1/tcons/a b", &m), ROUTE_BAD_PARAM);
        ck_assert_int_eq(route_find("GET", "/api/v1/tcons/", &m), ROUTE_NOT_FOUND);
        ck_assert_int_eq(route_find("GET", "/api/v1//tcons", &m), ROUTE_NOT_FOUND);
        ck_assert_int_eq(route_find("GET", "api/v1", &m), ROUTE_NOT_FOUND);
        ck_assert_int_eq(route_find("GET", "/api/v1/TCONs", &m), ROUTE_BAD_PARAM);
        ck_assert_int_eq(route_find("GET", "/api/v1/s", &m), ROUTE_NOT_FOUND);
        ck_assert_int_eq(route_find("GET", "/api/v1/a/b/c/d/e/f/g/h/i", &m), ROUTE_NOT_FOUND);
        ck_assert_int_eq(route_find("GET", "/nope", &m), ROUTE_NOT_FOUND);
        memset(longid, 'a', sizeof(longid) - 1);
        longid[sizeof(longid) - 1] = '\0';
        memcpy(longid, "/api/v1/tcons/", 14);
        ck_assert_int_eq(route_find("GET", longid, &m), ROUTE_BAD_PARAM);
        /* 128 bytes is the longest id */
        longid[14 + 128] = '\0';
        ck_assert_int_eq(route_find("GET", longid, &m), ROUTE_OK);
        longid[14 + 129] = '\0';
        longid[14 + 128] = 'a';
        ck_assert_int_eq(route_find("GET", longid, &m), ROUTE_BAD_PARAM);
}
END_TEST

START_TEST(validators)
{
        ck_assert(route_valid_id("srv0.s1.t2"));
        ck_assert(!route_valid_id(""));
        ck_assert(!route_valid_id(".."));
        ck_assert(!route_valid_id("a/b"));
        ck_assert(route_valid_kind("tcon"));
        ck_assert(!route_valid_kind("Tcon"));
        ck_assert(!route_valid_kind("abcdefghijabcdefghijabcdefghijab"));
}
END_TEST

int main(void)
{
        Suite *s = suite_create("router");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, literal_routes);
        tcase_add_test(tc, generic_routes);
        tcase_add_test(tc, methods);
        tcase_add_test(tc, odd_paths);
        tcase_add_test(tc, validators);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
