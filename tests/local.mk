# tests/: the core's Check suites, lifecycle tests and test plugins.
TEST_CORE_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
TEST_CORE_LIBS = libgwdcore.la $(CHECK_LIBS) $(JANSSON_LIBS) $(SYSTEMD_LIBS)

check_PROGRAMS += tests/test-config
tests_test_config_SOURCES = tests/test-config.c
tests_test_config_CFLAGS = $(TEST_CORE_CFLAGS)
tests_test_config_LDADD = $(TEST_CORE_LIBS)
TESTS += tests/test-config

# Test plugins for the loader: one source, one module per defect.
TESTPLUG_LDFLAGS = -module -avoid-version -shared -no-undefined -rpath /nowhere
TESTPLUG_LIBS = $(JANSSON_LIBS)
check_LTLIBRARIES += tests/plugins/tgood.la tests/plugins/tbadmajor.la \
	tests/plugins/tnewminor.la tests/plugins/toldminor.la tests/plugins/tnosym.la \
	tests/plugins/twrongname.la tests/plugins/tsmall.la
tests_plugins_tgood_la_SOURCES = tests/plugins/testplug.c
tests_plugins_tgood_la_CPPFLAGS = $(AM_CPPFLAGS) -DTESTPLUG_NAME='"tgood"'
tests_plugins_tgood_la_LDFLAGS = $(TESTPLUG_LDFLAGS)
tests_plugins_tgood_la_LIBADD = $(TESTPLUG_LIBS)
tests_plugins_tbadmajor_la_SOURCES = tests/plugins/testplug.c
tests_plugins_tbadmajor_la_CPPFLAGS = $(AM_CPPFLAGS) -DTESTPLUG_NAME='"tbadmajor"' \
	-DTESTPLUG_MAJOR='(GWD_ABI_MAJOR + 1)'
tests_plugins_tbadmajor_la_LDFLAGS = $(TESTPLUG_LDFLAGS)
tests_plugins_tbadmajor_la_LIBADD = $(TESTPLUG_LIBS)
tests_plugins_tnewminor_la_SOURCES = tests/plugins/testplug.c
tests_plugins_tnewminor_la_CPPFLAGS = $(AM_CPPFLAGS) -DTESTPLUG_NAME='"tnewminor"' \
	-DTESTPLUG_MINOR='(GWD_ABI_MINOR + 1)'
tests_plugins_tnewminor_la_LDFLAGS = $(TESTPLUG_LDFLAGS)
tests_plugins_tnewminor_la_LIBADD = $(TESTPLUG_LIBS)
# An older minor with a shorter struct (no appended hooks) must load.
tests_plugins_toldminor_la_SOURCES = tests/plugins/testplug.c
tests_plugins_toldminor_la_CPPFLAGS = $(AM_CPPFLAGS) -DTESTPLUG_NAME='"toldminor"' \
	-DTESTPLUG_SIZE='(offsetof(struct gwd_plugin, destroy) + sizeof(void *))'
tests_plugins_toldminor_la_LDFLAGS = $(TESTPLUG_LDFLAGS)
tests_plugins_toldminor_la_LIBADD = $(TESTPLUG_LIBS)
tests_plugins_tnosym_la_SOURCES = tests/plugins/testplug.c
tests_plugins_tnosym_la_CPPFLAGS = $(AM_CPPFLAGS) -DTESTPLUG_NAME='"tnosym"' \
	-DTESTPLUG_SYMBOL=gwd_plugin_entry_misspelt
tests_plugins_tnosym_la_LDFLAGS = $(TESTPLUG_LDFLAGS)
tests_plugins_tnosym_la_LIBADD = $(TESTPLUG_LIBS)
tests_plugins_twrongname_la_SOURCES = tests/plugins/testplug.c
tests_plugins_twrongname_la_CPPFLAGS = $(AM_CPPFLAGS) -DTESTPLUG_NAME='"somethingelse"'
tests_plugins_twrongname_la_LDFLAGS = $(TESTPLUG_LDFLAGS)
tests_plugins_twrongname_la_LIBADD = $(TESTPLUG_LIBS)
tests_plugins_tsmall_la_SOURCES = tests/plugins/testplug.c
tests_plugins_tsmall_la_CPPFLAGS = $(AM_CPPFLAGS) -DTESTPLUG_NAME='"tsmall"' -DTESTPLUG_SIZE=16
tests_plugins_tsmall_la_LDFLAGS = $(TESTPLUG_LDFLAGS)
tests_plugins_tsmall_la_LIBADD = $(TESTPLUG_LIBS)

check_PROGRAMS += tests/test-loader
tests_test_loader_SOURCES = tests/test-loader.c
tests_test_loader_CFLAGS = $(TEST_CORE_CFLAGS)
tests_test_loader_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_PLUGIN_DIR='"$(abs_top_builddir)/tests/plugins/.libs"'
tests_test_loader_LDADD = $(TEST_CORE_LIBS)
TESTS += tests/test-loader

check_PROGRAMS += tests/test-lifecycle
tests_test_lifecycle_SOURCES = tests/test-lifecycle.c
tests_test_lifecycle_CFLAGS = $(TEST_CORE_CFLAGS)
tests_test_lifecycle_CPPFLAGS = $(AM_CPPFLAGS) \
	-DGATEWAYD_BIN='"$(abs_top_builddir)/gatewayd/gatewayd"' \
	-DTEST_PLUGIN_PATH='"$(abs_top_builddir)/plugins/mem/.libs:$(abs_top_builddir)/tests/plugins/.libs"'
tests_test_lifecycle_LDADD = $(CHECK_LIBS)
TESTS += tests/test-lifecycle

# Core unit suites: object registry, backend registry + wrappers, mem backend.
check_PROGRAMS += tests/test-objects
tests_test_objects_SOURCES = tests/test-objects.c tests/core-testutil.h
tests_test_objects_CFLAGS = $(TEST_CORE_CFLAGS)
tests_test_objects_LDADD = $(TEST_CORE_LIBS)
TESTS += tests/test-objects

check_PROGRAMS += tests/test-shares
tests_test_shares_SOURCES = tests/test-shares.c tests/core-testutil.h
tests_test_shares_CFLAGS = $(TEST_CORE_CFLAGS)
tests_test_shares_LDADD = $(TEST_CORE_LIBS)
TESTS += tests/test-shares

# test-mem dlopen()s the real plugin through the loader.
check_PROGRAMS += tests/test-mem
tests_test_mem_SOURCES = tests/test-mem.c tests/core-testutil.h
tests_test_mem_CPPFLAGS = $(AM_CPPFLAGS) \
	-DGWD_TEST_MEM_PLUGIN_DIR=\"$(abs_top_builddir)/plugins/mem/.libs\"
tests_test_mem_CFLAGS = $(TEST_CORE_CFLAGS)
tests_test_mem_LDADD = $(TEST_CORE_LIBS)
EXTRA_tests_test_mem_DEPENDENCIES = plugins/mem/mem.la
TESTS += tests/test-mem

# Shared reporting of the shell tests (ok/nok/check/finish).
EXTRA_DIST += tests/testlib.sh tests/check-run.h
