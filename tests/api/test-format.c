/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/api/format.h"
#include "tests/check-run.h"

START_TEST(sse_frames)
{
        struct sbuf b = { 0 };
        struct gwd_event ev = {
                .seq = 42, .time_usec = 1000000ull * 86400 + 123456, .kind = "tcon",
                .id = "srv0.s0.t1", .from = "good", .to = "need_reconnect",
                .cause = "line1\nline2 \"quoted\"",
        };
        json_t *j;
        const char *data;

        sse_event(&b, &ev);
        ck_assert_ptr_nonnull(b.p);
        ck_assert(strncmp(b.p, "id: 42\nevent: state\ndata: {", 27) == 0);
        /* exactly one blank line, at the end: the JSON has no raw newline */
        ck_assert_ptr_eq(strstr(b.p, "\n\n"), b.p + b.len - 2);
        data = strstr(b.p, "data: ") + 6;
        j = json_loadb(data, (size_t)(b.p + b.len - 2 - data), 0, NULL);
        ck_assert_ptr_nonnull(j);
        ck_assert_int_eq(json_integer_value(json_object_get(j, "seq")), 42);
        ck_assert_str_eq(json_string_value(json_object_get(j, "time")), "1970-01-02T00:00:00.123Z");
        ck_assert_str_eq(json_string_value(json_object_get(j, "cause")), ev.cause);
        ck_assert_str_eq(json_string_value(json_object_get(j, "to")), "need_reconnect");
        json_decref(j);
        sbuf_free(&b);

        sse_error(&b, "history_lost", "gone", 7);
        ck_assert(strncmp(b.p, "event: error\ndata: {", 20) == 0);
        ck_assert_ptr_null(strstr(b.p, "id:"));
        ck_assert_ptr_nonnull(strstr(b.p, "\"last_seq\":7"));
        sbuf_free(&b);

        sse_comment(&b, "a\nb");
        ck_assert_str_eq(b.p, ": a\n\n");
        sbuf_free(&b);
}
END_TEST

/* sbuf_json_string() writes what json_dumps() writes for the same string. */
START_TEST(json_strings)
{
        static const char *const cases[] = {
                "", "plain", "q\"uote", "back\\slash", "sl/ash", "\b\f\n\r\t",
                "\x01\x1f\x7f", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "end\\",
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct sbuf b = { 0 };
                json_t *j = json_string(cases[i]);
                char *want;

                ck_assert_ptr_nonnull(j);
                want = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
                ck_assert_ptr_nonnull(want);
                sbuf_json_string(&b, cases[i]);
                ck_assert_ptr_nonnull(b.p);
                ck_assert_str_eq(b.p, want);
                ck_assert_uint_eq(b.len, strlen(want));
                free(want);
                json_decref(j);
                sbuf_free(&b);
        }
}
END_TEST

/* A reservation is a size hint only: content and length are unaffected. */
START_TEST(reserve)
{
        struct sbuf b = { 0 };

        sbuf_reserve(&b, 100000);
        ck_assert_uint_ge(b.cap, 100001);
        ck_assert_uint_eq(b.len, 0);
        sbuf_append(&b, "ab", 2);
        sbuf_reserve(&b, 10);
        ck_assert_str_eq(b.p, "ab");
        ck_assert_uint_eq(b.len, 2);
        sbuf_free(&b);
}
END_TEST

START_TEST(prometheus_names)
{
        char n[64];
        const char *p1[] = { "gwd_object", "tcon", "wire.bytes-read" };
        const char *p2[] = { "9lives" };
        struct sbuf b = { 0 };

        prom_name(n, sizeof(n), p1, 3);
        ck_assert_str_eq(n, "gwd_object_tcon_wire_bytes_read");
        prom_name(n, sizeof(n), p2, 1);
        ck_assert_str_eq(n, "_9lives");
        prom_label_value(&b, "a\"b\\c\nd");
        ck_assert_str_eq(b.p, "a\\\"b\\\\c\\nd");
        sbuf_free(&b);
}
END_TEST

START_TEST(histogram)
{
        struct histo h = { 0 };
        struct sbuf b = { 0 };

        histo_observe(&h, 0.0001);
        histo_observe(&h, 0.003);
        histo_observe(&h, 100);
        histo_format(&b, "x", "route=\"/r\"", &h);
        ck_assert_ptr_nonnull(strstr(b.p, "x_bucket{route=\"/r\",le=\"0.0005\"} 1\n"));
        ck_assert_ptr_nonnull(strstr(b.p, "x_bucket{route=\"/r\",le=\"0.001\"} 1\n"));
        ck_assert_ptr_nonnull(strstr(b.p, "x_bucket{route=\"/r\",le=\"0.005\"} 2\n"));
        ck_assert_ptr_nonnull(strstr(b.p, "x_bucket{route=\"/r\",le=\"5\"} 2\n"));
        ck_assert_ptr_nonnull(strstr(b.p, "x_bucket{route=\"/r\",le=\"+Inf\"} 3\n"));
        ck_assert_ptr_nonnull(strstr(b.p, "x_count{route=\"/r\"} 3\n"));
        ck_assert_ptr_nonnull(strstr(b.p, "x_sum{route=\"/r\"} 100.003100\n"));
        sbuf_free(&b);
        histo_format(&b, "y", "", &h);
        ck_assert_ptr_nonnull(strstr(b.p, "y_bucket{le=\"+Inf\"} 3\n"));
        ck_assert_ptr_nonnull(strstr(b.p, "y_count 3\n"));
        sbuf_free(&b);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("format");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, sse_frames);
        tcase_add_test(tc, json_strings);
        tcase_add_test(tc, reserve);
        tcase_add_test(tc, prometheus_names);
        tcase_add_test(tc, histogram);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
