/* SPDX-License-Identifier: MIT */
/* The plugin loader and the daemon's handling of plugins that cannot be
 * used: each case gives one clear error, and nothing is leaked (the suite
 * runs under AddressSanitizer's leak checker). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gatewayd/daemon.h"
#include "gatewayd/loader.h"
#include "tests/check-run.h"

#define ck_assert_has(hay, needle)                                                     \
        ck_assert_msg((hay) && strstr((hay), (needle)), "expected \"%s\" in \"%s\"",   \
                      (needle), (hay) ? (hay) : "(null)")

static int load(const char *name, struct loaded_plugin **p, char **err)
{
        *p = NULL;
        *err = NULL;
        return plugin_load("/nonexistent-dir:" TEST_PLUGIN_DIR, name, p, err);
}

START_TEST(good_plugin_loads)
{
        struct loaded_plugin *p;
        char *err;
        ck_assert_int_eq(load("tgood", &p, &err), 0);
        ck_assert_ptr_null(err);
        ck_assert_str_eq(p->hooks.name, "tgood");
        ck_assert_ptr_nonnull(p->hooks.init);
        ck_assert_ptr_nonnull(p->hooks.check_config);
        ck_assert_has(p->path, "/tgood.so");
        plugin_unload(p);
}
END_TEST

START_TEST(older_minor_with_shorter_struct_loads)
{
        struct loaded_plugin *p;
        char *err;
        ck_assert_int_eq(load("toldminor", &p, &err), 0);
        ck_assert_ptr_nonnull(p->hooks.destroy);
        plugin_unload(p);
}
END_TEST

START_TEST(missing_file)
{
        struct loaded_plugin *p;
        char *err;
        ck_assert_int_eq(load("nosuchplugin", &p, &err), -ENOENT);
        ck_assert_ptr_null(p);
        ck_assert_has(err, "plugin \"nosuchplugin\" not found");
        ck_assert_has(err, TEST_PLUGIN_DIR);
        free(err);
}
END_TEST

START_TEST(wrong_major_names_both_versions)
{
        struct loaded_plugin *p;
        char *err, want[64];
        ck_assert_int_eq(load("tbadmajor", &p, &err), -EPROTO);
        snprintf(want, sizeof(want), "ABI %d.%d", GWD_ABI_MAJOR + 1, GWD_ABI_MINOR);
        ck_assert_has(err, want);
        snprintf(want, sizeof(want), "ABI %d.%d", GWD_ABI_MAJOR, GWD_ABI_MINOR);
        ck_assert_has(err, want);
        ck_assert_has(err, "major versions must match");
        free(err);
}
END_TEST

START_TEST(newer_minor_names_both_versions)
{
        struct loaded_plugin *p;
        char *err, want[64];
        ck_assert_int_eq(load("tnewminor", &p, &err), -EPROTO);
        snprintf(want, sizeof(want), "ABI %d.%d, newer", GWD_ABI_MAJOR, GWD_ABI_MINOR + 1);
        ck_assert_has(err, want);
        snprintf(want, sizeof(want), "ABI %d.%d", GWD_ABI_MAJOR, GWD_ABI_MINOR);
        ck_assert_has(err, want);
        free(err);
}
END_TEST

START_TEST(missing_entry_symbol)
{
        struct loaded_plugin *p;
        char *err;
        ck_assert_int_eq(load("tnosym", &p, &err), -ENOSYS);
        ck_assert_has(err, "has no symbol gwd_plugin_entry");
        free(err);
}
END_TEST

START_TEST(name_mismatch)
{
        struct loaded_plugin *p;
        char *err;
        ck_assert_int_eq(load("twrongname", &p, &err), -EPROTO);
        ck_assert_has(err, "calls itself \"somethingelse\"");
        free(err);
}
END_TEST

START_TEST(struct_too_small)
{
        struct loaded_plugin *p;
        char *err;
        ck_assert_int_eq(load("tsmall", &p, &err), -EPROTO);
        ck_assert_has(err, "of 16 bytes");
        free(err);
}
END_TEST

START_TEST(not_a_shared_object)
{
        char dir[] = "/tmp/gwd-test-loader.XXXXXX", path[128];
        struct loaded_plugin *p = NULL;
        char *err = NULL;
        FILE *f;

        ck_assert_ptr_nonnull(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/junk.so", dir);
        f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs("this is not ELF\n", f);
        fclose(f);
        ck_assert_int_eq(plugin_load(dir, "junk", &p, &err), -ENOEXEC);
        ck_assert_has(err, "cannot load plugin");
        free(err);
        unlink(path);
        rmdir(dir);
}
END_TEST

/* --- the daemon refusing to start, cleanly ------------------------------- */

static char cfgdir[64];

static int start_with(const char *json)
{
        char path[128];
        struct daemon *d;
        FILE *f;
        int code;

        snprintf(cfgdir, sizeof(cfgdir), "/tmp/gwd-test-loader.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(cfgdir));
        snprintf(path, sizeof(path), "%s/gatewayd.json", cfgdir);
        f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(json, f);
        fclose(f);
        setenv("GWD_PLUGIN_DIR", TEST_PLUGIN_DIR, 1);
        unsetenv("NOTIFY_SOCKET");
        ck_assert_int_eq(daemon_new(path, &d), 0);
        code = daemon_start(d);
        daemon_free(d);
        unlink(path);
        rmdir(cfgdir);
        return code;
}

START_TEST(daemon_failing_init)
{
        ck_assert_int_eq(start_with("{\"instances\": ["
                                    "{\"name\": \"a\", \"plugin\": \"tgood\"},"
                                    "{\"name\": \"b\", \"plugin\": \"tgood\","
                                    " \"config\": {\"fail_init\": true}}]}"),
                         EXIT_FAILURE);
}
END_TEST

START_TEST(daemon_failing_start_stops_the_others)
{
        ck_assert_int_eq(start_with("{\"instances\": ["
                                    "{\"name\": \"a\", \"plugin\": \"tgood\"},"
                                    "{\"name\": \"b\", \"plugin\": \"tgood\","
                                    " \"config\": {\"fail_start\": true}}]}"),
                         EXIT_FAILURE);
}
END_TEST

START_TEST(daemon_abi_mismatch)
{
        ck_assert_int_eq(start_with("{\"instances\": ["
                                    "{\"name\": \"a\", \"plugin\": \"tgood\"},"
                                    "{\"name\": \"b\", \"plugin\": \"tbadmajor\"}]}"),
                         EXIT_FAILURE);
}
END_TEST

START_TEST(daemon_missing_plugin_is_a_config_error)
{
        ck_assert_int_eq(start_with("{\"instances\": [{\"name\": \"a\", \"plugin\": \"nope\"}]}"),
                         EXIT_CONFIG);
}
END_TEST

START_TEST(daemon_plugin_section_error_is_a_config_error)
{
        ck_assert_int_eq(start_with("{\"instances\": [{\"name\": \"a\", \"plugin\": \"tgood\","
                                    " \"config\": {\"fail_init\": \"yes\"}}]}"),
                         EXIT_CONFIG);
}
END_TEST

START_TEST(daemon_good_start)
{
        ck_assert_int_eq(start_with("{\"instances\": [{\"name\": \"a\", \"plugin\": \"tgood\"},"
                                    " {\"name\": \"b\", \"plugin\": \"toldminor\"}]}"),
                         0);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("loader");
        TCase *tc = tcase_create("loader");
        TCase *td = tcase_create("daemon");

        tcase_add_test(tc, good_plugin_loads);
        tcase_add_test(tc, older_minor_with_shorter_struct_loads);
        tcase_add_test(tc, missing_file);
        tcase_add_test(tc, wrong_major_names_both_versions);
        tcase_add_test(tc, newer_minor_names_both_versions);
        tcase_add_test(tc, missing_entry_symbol);
        tcase_add_test(tc, name_mismatch);
        tcase_add_test(tc, struct_too_small);
        tcase_add_test(tc, not_a_shared_object);
        tcase_add_test(td, daemon_failing_init);
        tcase_add_test(td, daemon_failing_start_stops_the_others);
        tcase_add_test(td, daemon_abi_mismatch);
        tcase_add_test(td, daemon_missing_plugin_is_a_config_error);
        tcase_add_test(td, daemon_plugin_section_error_is_a_config_error);
        tcase_add_test(td, daemon_good_start);
        suite_add_tcase(s, tc);
        suite_add_tcase(s, td);
        return check_run_suite(s);
}
