# tests/webdav: Check suites for the pure parts of plugins/webdav and the
# curl/cadaver integration tests against the mem backend and (as root) the
# smb backend on the loopback Samba fixture.
TEST_WD_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
TEST_WD_LIBS = libgwdwebdav.la $(CHECK_LIBS) $(OPENSSL_LIBS)

check_PROGRAMS += tests/webdav/test-wd-parse tests/webdav/test-wd-state
tests_webdav_test_wd_parse_SOURCES = tests/webdav/test-wd-parse.c
tests_webdav_test_wd_parse_CFLAGS = $(TEST_WD_CFLAGS)
tests_webdav_test_wd_parse_LDADD = $(TEST_WD_LIBS)
tests_webdav_test_wd_state_SOURCES = tests/webdav/test-wd-state.c
tests_webdav_test_wd_state_CFLAGS = $(TEST_WD_CFLAGS)
tests_webdav_test_wd_state_LDADD = $(TEST_WD_LIBS)
TESTS += tests/webdav/test-wd-parse tests/webdav/test-wd-state tests/webdav/test-webdav.sh \
	tests/webdav/test-webdav-smb.sh
EXTRA_DIST += tests/webdav/test-webdav.sh tests/webdav/test-webdav-smb.sh
