/* SPDX-License-Identifier: MIT */
/* Config parsing and validation: every kind of problem gets its own clear
 * message naming where it is. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gatewayd/conf.h"
#include "tests/check-run.h"

/* Parse `text`; return the joined error messages (static buffer) or NULL
 * when the config is valid. */
static const char *errors_of(const char *text)
{
        static char buf[4096];
        struct gwd_conf_errors errs;
        struct gwd_config *cfg = NULL;
        int r;

        conf_errors_init(&errs);
        r = config_parse(text, "test.json", &cfg, &errs);
        buf[0] = '\0';
        for (size_t i = 0; i < errs.n; i++) {
                strncat(buf, errs.msgs[i], sizeof(buf) - strlen(buf) - 2);
                strncat(buf, "\n", sizeof(buf) - strlen(buf) - 1);
        }
        ck_assert_int_eq(r < 0, errs.n > 0);
        conf_errors_done(&errs);
        config_free(cfg);
        return r < 0 ? buf : NULL;
}

#define ck_assert_has(hay, needle)                                                        \
        do {                                                                              \
                const char *h_ = (hay);                                                   \
                ck_assert_msg(h_ && strstr(h_, (needle)), "expected \"%s\" in \"%s\"",    \
                              (needle), h_ ? h_ : "(valid)");                             \
        } while (0)

START_TEST(valid_minimal)
{
        ck_assert_ptr_null(errors_of("{\"instances\": [{\"name\": \"a\", \"plugin\": \"mem\"}]}"));
}
END_TEST

START_TEST(valid_full)
{
        struct gwd_conf_errors errs;
        struct gwd_config *cfg = NULL;
        conf_errors_init(&errs);
        ck_assert_int_eq(config_parse("{\"#\": \"comment\", \"daemon\": {\"log_level\": \"debug\","
                                      " \"plugin_dir\": \"/x\", \"#c\": 1},"
                                      " \"instances\": [{\"name\": \"A-1\", \"plugin\": \"mem\","
                                      " \"config\": {\"k\": 1}}, {\"name\": \"b_2\", \"plugin\":"
                                      " \"mem\"}]}",
                                      "t", &cfg, &errs),
                         0);
        ck_assert_int_eq(cfg->log_level, 7);
        ck_assert_str_eq(cfg->plugin_dir, "/x");
        ck_assert_uint_eq(cfg->n_instances, 2);
        ck_assert_str_eq(cfg->instances[0].name, "A-1");
        ck_assert_int_eq(json_integer_value(json_object_get(cfg->instances[0].config, "k")), 1);
        /* a missing config section is an empty object, not NULL */
        ck_assert(json_is_object(cfg->instances[1].config));
        ck_assert_ptr_nonnull(config_find_instance(cfg, "b_2"));
        ck_assert_ptr_null(config_find_instance(cfg, "c"));
        config_free(cfg);
        conf_errors_done(&errs);
}
END_TEST

START_TEST(syntax_error_has_line_and_column)
{
        ck_assert_has(errors_of("{\n  \"instances\": [\n    {\"name\": }\n  ]\n}"), "3:14:");
        ck_assert_has(errors_of(""), "1:");
        ck_assert_has(errors_of("{\"instances\": [], }"), "1:");
}
END_TEST

START_TEST(duplicate_keys_rejected)
{
        ck_assert_has(errors_of("{\"instances\": [], \"instances\": []}"), "duplicate");
}
END_TEST

START_TEST(unknown_keys_named_by_path)
{
        ck_assert_has(errors_of("{\"instances\": [{\"name\": \"a\", \"plugin\": \"mem\"}],"
                                " \"bogus\": 1}"),
                      "bogus: unknown key");
        ck_assert_has(errors_of("{\"daemon\": {\"loglevel\": \"info\"}, \"instances\":"
                                " [{\"name\": \"a\", \"plugin\": \"mem\"}]}"),
                      "daemon.loglevel: unknown key");
        ck_assert_has(errors_of("{\"instances\": [{\"name\": \"a\", \"plugin\": \"mem\"},"
                                " {\"name\": \"b\", \"plugin\": \"mem\", \"extra\": true}]}"),
                      "instances[1].extra: unknown key");
}
END_TEST

START_TEST(wrong_types_named_by_path)
{
        ck_assert_has(errors_of("{\"instances\": {}}"), "instances: must be an array, not an object");
        ck_assert_has(errors_of("{\"daemon\": [], \"instances\": [{\"name\": \"a\", \"plugin\": \"m\"}]}"),
                      "daemon: must be an object, not an array");
        ck_assert_has(errors_of("{\"instances\": [{\"name\": 5, \"plugin\": \"m\"}]}"),
                      "instances[0].name: must be a string, not an integer");
        ck_assert_has(errors_of("{\"instances\": [{\"name\": \"a\", \"plugin\": \"m\", \"config\": 1}]}"),
                      "instances[0].config: must be an object");
        ck_assert_has(errors_of("[]"), "must be an object, not an array");
        ck_assert_has(errors_of("{\"instances\": [7]}"), "instances[0]: must be an object");
}
END_TEST

START_TEST(missing_required_keys)
{
        ck_assert_has(errors_of("{}"), "instances: required key is missing");
        ck_assert_has(errors_of("{\"instances\": [{\"plugin\": \"m\"}]}"),
                      "instances[0].name: required key is missing");
        ck_assert_has(errors_of("{\"instances\": [{\"name\": \"a\"}]}"),
                      "instances[0].plugin: required key is missing");
}
END_TEST

START_TEST(bad_values)
{
        ck_assert_has(errors_of("{\"daemon\": {\"log_level\": \"loud\"}, \"instances\":"
                                " [{\"name\": \"a\", \"plugin\": \"m\"}]}"),
                      "daemon.log_level: \"loud\" is not one of: err, warning, notice, info, debug");
        ck_assert_has(errors_of("{\"daemon\": {\"plugin_dir\": \"rel\"}, \"instances\":"
                                " [{\"name\": \"a\", \"plugin\": \"m\"}]}"),
                      "daemon.plugin_dir: must be an absolute path");
        ck_assert_has(errors_of("{\"instances\": []}"), "at least one");
        ck_assert_has(errors_of("{\"instances\": [{\"name\": \"a b\", \"plugin\": \"m\"}]}"),
                      "instances[0]: name \"a b\"");
        ck_assert_has(errors_of("{\"instances\": [{\"name\": \"a\", \"plugin\": \"../x\"}]}"),
                      "instances[0]: plugin \"../x\"");
        ck_assert_has(errors_of("{\"instances\": [{\"name\": \"a\", \"plugin\": \"m\"},"
                                " {\"name\": \"a\", \"plugin\": \"m\"}]}"),
                      "instances[1]: instance name \"a\" is used twice");
}
END_TEST

START_TEST(too_many_instances)
{
        char text[16384];
        size_t n = (size_t)snprintf(text, sizeof(text), "{\"instances\": [");
        for (int i = 0; i < GWD_INSTANCES_MAX + 1; i++)
                n += (size_t)snprintf(text + n, sizeof(text) - n, "%s{\"name\": \"i%d\", \"plugin\": \"m\"}",
                                      i ? ", " : "", i);
        snprintf(text + n, sizeof(text) - n, "]}");
        ck_assert_has(errors_of(text), "at most 64 instances");
}
END_TEST

START_TEST(every_problem_reported)
{
        const char *e = errors_of("{\"bogus\": 1, \"daemon\": {\"log_level\": 3},"
                                  " \"instances\": [{\"name\": \"a\"}]}");
        ck_assert_has(e, "bogus: unknown key");
        ck_assert_has(e, "daemon.log_level: must be a string");
        ck_assert_has(e, "instances[0].plugin: required key is missing");
}
END_TEST

static const char *const colors[] = { "red", "blue", NULL };
static const struct gwd_conf_key keys[] = {
        { "port", GWD_CONF_INT, 1, 1, 65535, NULL },
        { "color", GWD_CONF_ENUM, 0, 0, 0, colors },
        { "on", GWD_CONF_BOOL, 0, 0, 0, NULL },
        { "list", GWD_CONF_ARRAY, 0, 0, 0, NULL },
        { NULL, 0, 0, 0, 0, NULL },
};

static const char *check_of(const char *text)
{
        static char buf[2048];
        struct gwd_conf_errors errs;
        json_t *o = json_loads(text, 0, NULL);
        ck_assert_ptr_nonnull(o);
        conf_errors_init(&errs);
        int n = conf_check(&errs, "x.config", o, keys);
        ck_assert_int_eq((size_t)n, errs.n);
        buf[0] = '\0';
        for (size_t i = 0; i < errs.n; i++) {
                strncat(buf, errs.msgs[i], sizeof(buf) - strlen(buf) - 2);
                strncat(buf, "\n", sizeof(buf) - strlen(buf) - 1);
        }
        conf_errors_done(&errs);
        json_decref(o);
        return n ? buf : NULL;
}

START_TEST(table_checks)
{
        ck_assert_ptr_null(check_of("{\"port\": 1, \"color\": \"red\", \"on\": true, \"list\": [],"
                                    " \"#\": \"x\"}"));
        ck_assert_has(check_of("{\"port\": 0}"), "x.config.port: 0 is out of range 1..65535");
        ck_assert_has(check_of("{\"port\": 65536}"), "out of range");
        ck_assert_has(check_of("{\"port\": 1.5}"), "x.config.port: must be an integer, not a number");
        ck_assert_has(check_of("{\"port\": \"80\"}"), "must be an integer, not a string");
        ck_assert_has(check_of("{\"port\": 1, \"color\": \"green\"}"), "not one of: red, blue");
        ck_assert_has(check_of("{\"port\": 1, \"on\": 1}"), "x.config.on: must be a boolean");
        ck_assert_has(check_of("{}"), "x.config.port: required key is missing");
        ck_assert_has(check_of("{\"port\": 1, \"password\": \"x\"}"), "x.config.password: unknown key");
}
END_TEST

static char tmpdir[64];

static void make_tmpdir(void)
{
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/gwd-test-config.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void write_file(const char *dir, const char *name, const char *content, size_t len)
{
        char path[256];
        FILE *f;
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(content, 1, len, f), len);
        fclose(f);
}

START_TEST(secrets)
{
        char path[256], *secret = NULL;
        json_t *o;

        make_tmpdir();
        write_file(tmpdir, "pw", "s3cret\n", 7);
        write_file(tmpdir, "cred", "fromcred", 8);
        write_file(tmpdir, "nul", "a\0b", 3);

        snprintf(path, sizeof(path), "%s/pw", tmpdir);
        o = json_pack("{s:s}", "password_file", path);
        ck_assert_int_eq(secret_read(o, "password", &secret), 0);
        ck_assert_str_eq(secret, "s3cret");        /* one trailing newline stripped */
        free(secret);
        json_decref(o);

        setenv("CREDENTIALS_DIRECTORY", tmpdir, 1);
        o = json_pack("{s:s}", "password_credential", "cred");
        ck_assert_int_eq(secret_read(o, "password", &secret), 0);
        ck_assert_str_eq(secret, "fromcred");
        free(secret);
        json_decref(o);

        o = json_pack("{s:s}", "password_credential", "../pw");
        ck_assert_int_eq(secret_read(o, "password", &secret), -EINVAL);
        json_decref(o);
        o = json_pack("{s:s}", "password_credential", "missing");
        ck_assert_int_eq(secret_read(o, "password", &secret), -ENOENT);
        json_decref(o);
        o = json_pack("{s:s}", "password_credential", "nul");
        ck_assert_int_eq(secret_read(o, "password", &secret), -EINVAL);
        json_decref(o);
        unsetenv("CREDENTIALS_DIRECTORY");
        o = json_pack("{s:s}", "password_credential", "cred");
        ck_assert_int_eq(secret_read(o, "password", &secret), -ENXIO);
        json_decref(o);

        o = json_pack("{s:s, s:s}", "password_file", path, "password_credential", "cred");
        ck_assert_int_eq(secret_read(o, "password", &secret), -EINVAL);
        json_decref(o);
        o = json_pack("{s:s}", "password", "inline");
        ck_assert_int_eq(secret_read(o, "password", &secret), -ENOENT);
        json_decref(o);
        o = json_pack("{s:s}", "password_file", tmpdir);   /* a directory */
        ck_assert_int_eq(secret_read(o, "password", &secret), -EINVAL);
        json_decref(o);
}
END_TEST

START_TEST(load_file_errors)
{
        struct gwd_conf_errors errs;
        struct gwd_config *cfg = NULL;
        char path[256];

        make_tmpdir();
        conf_errors_init(&errs);
        snprintf(path, sizeof(path), "%s/none.json", tmpdir);
        ck_assert_int_eq(config_load(path, &cfg, &errs), -ENOENT);
        ck_assert_ptr_null(cfg);
        ck_assert_uint_eq(errs.n, 1);
        ck_assert_has(errs.msgs[0], "cannot read: No such file or directory");
        conf_errors_done(&errs);

        write_file(tmpdir, "nul.json", "{\"a\"\0}", 6);
        snprintf(path, sizeof(path), "%s/nul.json", tmpdir);
        conf_errors_init(&errs);
        ck_assert_int_eq(config_load(path, &cfg, &errs), -EINVAL);
        ck_assert_has(errs.msgs[0], "NUL byte");
        conf_errors_done(&errs);

        static const char ok[] = "{\"instances\": [{\"name\": \"a\", \"plugin\": \"m\"}]}";
        write_file(tmpdir, "ok.json", ok, strlen(ok));
        snprintf(path, sizeof(path), "%s/ok.json", tmpdir);
        conf_errors_init(&errs);
        ck_assert_int_eq(config_load(path, &cfg, &errs), 0);
        ck_assert_str_eq(cfg->path, path);
        config_free(cfg);
        conf_errors_done(&errs);
}
END_TEST

START_TEST(error_list_is_bounded)
{
        struct gwd_conf_errors errs;
        conf_errors_init(&errs);
        for (int i = 0; i < GWD_CONF_ERRORS_MAX + 10; i++)
                conf_error(&errs, "p", "problem %d", i);
        ck_assert_uint_eq(errs.n, GWD_CONF_ERRORS_MAX);
        ck_assert_uint_eq(errs.dropped, 10);
        conf_errors_done(&errs);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("config");
        TCase *tc = tcase_create("core");

        tcase_add_test(tc, valid_minimal);
        tcase_add_test(tc, valid_full);
        tcase_add_test(tc, syntax_error_has_line_and_column);
        tcase_add_test(tc, duplicate_keys_rejected);
        tcase_add_test(tc, unknown_keys_named_by_path);
        tcase_add_test(tc, wrong_types_named_by_path);
        tcase_add_test(tc, missing_required_keys);
        tcase_add_test(tc, bad_values);
        tcase_add_test(tc, too_many_instances);
        tcase_add_test(tc, every_problem_reported);
        tcase_add_test(tc, table_checks);
        tcase_add_test(tc, secrets);
        tcase_add_test(tc, load_file_errors);
        tcase_add_test(tc, error_list_is_bounded);
        suite_add_tcase(s, tc);
        return check_run_suite(s);
}
