# tests/: the core's Check suites, lifecycle tests and test plugins.
TEST_CORE_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
TEST_CORE_LIBS = libgwdcore.la $(CHECK_LIBS) $(JANSSON_LIBS) $(SYSTEMD_LIBS)

check_PROGRAMS += tests/test-config
tests_test_config_SOURCES = tests/test-config.c
tests_test_config_CFLAGS = $(TEST_CORE_CFLAGS)
tests_test_config_LDADD = $(TEST_CORE_LIBS)
TESTS += tests/test-config
