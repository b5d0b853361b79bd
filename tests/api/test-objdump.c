/* SPDX-License-Identifier: MIT */
/*
 * Check suite for object_to_json(..., GWD_JSON_SERIALIZED) (gatewayd/objects.c),
 * the registry's fast path behind the admin API's listings: the text must be
 * byte for byte json_dumps(object_to_json(obj, flags), JSON_COMPACT), the
 * parts it keeps between calls must follow every state change and the loss
 * of a parent, and details must never be cached.
 */
#include "tests/core-testutil.h"

#include <jansson.h>
#include "tests/check-run.h"

struct tobj {
        json_int_t counter;
        int snapshots;
        const char *text;               /* a string detail */
        double real;
};

static void snapshot(void *ud, json_t *d)
{
        struct tobj *t = ud;
        t->snapshots++;
        json_object_set_new(d, "counter_total", json_integer(t->counter));
        json_object_set_new(d, "text", json_string(t->text));
        json_object_set_new(d, "ratio", json_real(t->real));
        json_object_set_new(d, "flag", json_true());
        json_object_set_new(d, "none", json_null());
        json_object_set_new(d, "nested", json_pack("{s:i, s:[i, s]}", "a", 1, "b", 2, "x"));
}

static const struct gwd_object_ops ops = {
        .struct_size = sizeof(struct gwd_object_ops),
        .snapshot = snapshot,
};

static const char *const actions[] = { "reconnect", "drill_hang", NULL };

static struct ct_env env;

static void setup(void)
{
        ct_env_init(&env, "test");
}

static void teardown(void)
{
        ct_env_free(&env);
}

/* The serialized text; fails the test when it is not a JSON string. */
static char *serialized(const struct gwd_object *o, uint32_t flags)
{
        json_t *j = env.api->object_to_json(o, flags | GWD_JSON_SERIALIZED);
        char *s;

        ck_assert_ptr_nonnull(j);
        ck_assert_msg(json_is_string(j), "GWD_JSON_SERIALIZED gave no string");
        ck_assert_uint_eq(strlen(json_string_value(j)), json_string_length(j));
        s = strdup(json_string_value(j));
        json_decref(j);
        ck_assert_ptr_nonnull(s);
        return s;
}

static char *dumped(const struct gwd_object *o, uint32_t flags)
{
        json_t *j = env.api->object_to_json(o, flags);
        char *s;

        ck_assert_ptr_nonnull(j);
        ck_assert(json_is_object(j));
        s = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        ck_assert_ptr_nonnull(s);
        return s;
}

/* Both forms, with and without history, give the same bytes, and the text
 * parses back. */
static void assert_same(const struct gwd_object *o)
{
        for (uint32_t flags = 0; flags <= GWD_JSON_HISTORY; flags += GWD_JSON_HISTORY) {
                char *a = serialized(o, flags), *b = dumped(o, flags);
                json_error_t err;
                json_t *back = json_loads(a, 0, &err);

                ck_assert_msg(back, "serialized text does not parse: %s: %s", err.text, a);
                json_decref(back);
                ck_assert_str_eq(a, b);
                free(a);
                free(b);
        }
}

static struct gwd_object *mk(const char *kind, const char *id, struct gwd_object *parent,
                             const struct gwd_object_ops *o, void *ud)
{
        struct gwd_object *obj = NULL;
        int r = env.api->object_new(env.ctx, kind, id, parent, "good", o ? actions : NULL, o,
                                    ud, &obj);
        ck_assert_msg(r == 0, "object_new: %d", r);
        return obj;
}

START_TEST(t_same_bytes)
{
        struct tobj td = { .counter = 5, .text = "q\"b\\s/\n\t\x01 \xc3\xa9 \xe2\x82\xac", .real = 0.1 };
        struct gwd_object *srv = mk("server", "srv-0", NULL, NULL, NULL);
        struct gwd_object *t = mk("tcon", "srv-0.A_b.t0", srv, &ops, &td);

        assert_same(srv);
        assert_same(t);
        /* causes with every character class the registry keeps or rewrites */
        env.api->object_set_state(t, "need_reconnect", "quote \" backslash \\ nl \n tab \t");
        env.api->object_set_state(t, "reconnecting", "utf-8 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
        env.api->object_set_state(t, "good", "invalid \xff\xfe utf-8 \xc3");
        env.api->object_set_state(t, "broken", "");
        assert_same(t);
        td.real = 1e300;
        td.counter = -9007199254740993ll;
        assert_same(t);
        env.api->object_free(t);
        env.api->object_free(srv);
}
END_TEST

START_TEST(t_history_wraps)
{
        struct gwd_object *o = mk("session", "s1", NULL, &ops, &(struct tobj){ .text = "" });
        char cause[32];

        for (int i = 0; i < GWD_HISTORY_MAX + 5; i++) {
                snprintf(cause, sizeof(cause), "step %d", i);
                env.api->object_set_state(o, i % 2 ? "good" : "need_reconnect", cause);
        }
        assert_same(o);
        env.api->object_free(o);
}
END_TEST

START_TEST(t_follows_state)
{
        struct tobj td = { .text = "x" };
        struct gwd_object *o = mk("tcon", "t1", NULL, &ops, &td);
        char *before = serialized(o, 0), *after;

        ck_assert_ptr_nonnull(strstr(before, "\"state\":\"good\""));
        usleep(2000);   /* "since" has millisecond resolution */
        env.api->object_set_state(o, "need_reconnect", "test");
        after = serialized(o, 0);
        ck_assert_ptr_nonnull(strstr(after, "\"state\":\"need_reconnect\""));
        ck_assert_ptr_null(strstr(after, "\"state\":\"good\""));
        ck_assert_str_ne(before, after);
        assert_same(o);
        free(before);
        free(after);
        env.api->object_free(o);
}
END_TEST

START_TEST(t_details_not_cached)
{
        struct tobj td = { .counter = 1, .text = "a" };
        struct gwd_object *o = mk("tcon", "t1", NULL, &ops, &td);
        char *s;
        int n;

        s = serialized(o, 0);
        ck_assert_ptr_nonnull(strstr(s, "\"counter_total\":1,"));
        free(s);
        /* a detail changes without any state change: the next call shows it */
        td.counter = 77;
        td.text = "b";
        n = td.snapshots;
        s = serialized(o, 0);
        ck_assert_int_eq(td.snapshots, n + 1);
        ck_assert_ptr_nonnull(strstr(s, "\"counter_total\":77,"));
        ck_assert_ptr_nonnull(strstr(s, "\"text\":\"b\""));
        free(s);
        env.api->object_free(o);
}
END_TEST

START_TEST(t_parent_freed)
{
        struct gwd_object *p = mk("server", "srv", NULL, NULL, NULL);
        struct gwd_object *c = mk("tcon", "t", p, &ops, &(struct tobj){ .text = "" });
        char *s = serialized(c, 0);

        ck_assert_ptr_nonnull(strstr(s, "\"parent\":{\"kind\":\"server\",\"id\":\"srv\"}"));
        free(s);
        env.api->object_free(p);
        s = serialized(c, 0);
        ck_assert_ptr_nonnull(strstr(s, "\"parent\":null"));
        free(s);
        assert_same(c);
        env.api->object_free(c);
}
END_TEST

START_TEST(t_no_snapshot_no_actions)
{
        struct gwd_object *o = mk("share", "mem.x", NULL, NULL, NULL);
        char *s = serialized(o, 0);

        ck_assert_ptr_nonnull(strstr(s, "\"details\":{},\"actions\":[]}"));
        free(s);
        assert_same(o);
        env.api->object_free(o);
}
END_TEST

static Suite *objdump_suite(void)
{
        Suite *s = suite_create("objdump");
        TCase *tc = tcase_create("serialized");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, t_same_bytes);
        tcase_add_test(tc, t_history_wraps);
        tcase_add_test(tc, t_follows_state);
        tcase_add_test(tc, t_details_not_cached);
        tcase_add_test(tc, t_parent_freed);
        tcase_add_test(tc, t_no_snapshot_no_actions);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return check_run_suite(objdump_suite());
}
