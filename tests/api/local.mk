# tests/api: the admin API's Check suites (pure functions), the testobj
# plugin and the integration script.
check_LTLIBRARIES += tests/plugins/testobj.la
tests_plugins_testobj_la_SOURCES = tests/plugins/testobj.c
tests_plugins_testobj_la_LDFLAGS = -module -avoid-version -shared -no-undefined \
	-export-symbols-regex '^gwd_plugin_entry$$' -rpath /nowhere
tests_plugins_testobj_la_LIBADD = $(JANSSON_LIBS) $(SYSTEMD_LIBS)

TEST_API_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
TEST_API_LIBS = plugins/api/libapicore.la $(CHECK_LIBS) $(JANSSON_LIBS)

check_PROGRAMS += tests/api/test-router tests/api/test-auth tests/api/test-format \
	tests/api/test-filter
tests_api_test_router_SOURCES = tests/api/test-router.c
tests_api_test_router_CFLAGS = $(TEST_API_CFLAGS)
tests_api_test_router_LDADD = $(TEST_API_LIBS)
tests_api_test_auth_SOURCES = tests/api/test-auth.c
tests_api_test_auth_CFLAGS = $(TEST_API_CFLAGS)
tests_api_test_auth_LDADD = $(TEST_API_LIBS)
tests_api_test_format_SOURCES = tests/api/test-format.c
tests_api_test_format_CFLAGS = $(TEST_API_CFLAGS)
tests_api_test_format_LDADD = $(TEST_API_LIBS)
tests_api_test_filter_SOURCES = tests/api/test-filter.c
tests_api_test_filter_CFLAGS = $(TEST_API_CFLAGS)
tests_api_test_filter_LDADD = $(TEST_API_LIBS)
TESTS += tests/api/test-router tests/api/test-auth tests/api/test-format \
	tests/api/test-filter

# The registry's serialized object JSON (GWD_JSON_SERIALIZED), which the
# listings are built from: a core function, tested through host_api().
check_PROGRAMS += tests/api/test-objdump
tests_api_test_objdump_SOURCES = tests/api/test-objdump.c tests/core-testutil.h
tests_api_test_objdump_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_api_test_objdump_LDADD = libgwdcore.la $(CHECK_LIBS) $(JANSSON_LIBS) $(SYSTEMD_LIBS)
TESTS += tests/api/test-objdump

# Integration: needs the daemon, mem, api and testobj.
TESTS += tests/api/test-api.sh
EXTRA_DIST += tests/api/test-api.sh tests/api/promcheck.py
# Listeners: TLS and systemd socket activation (needs openssl and
# systemd-socket-activate).
TESTS += tests/api/test-api-tls.sh
EXTRA_DIST += tests/api/test-api-tls.sh
