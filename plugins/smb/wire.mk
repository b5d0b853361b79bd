# plugins/smb: build rules (fragment of the top Makefile.am)
# SMB2 PDU codec (pure functions, no sockets) and the NTSTATUS table.

smb_wire_c = \
	plugins/smb/ntstatus.c \
	plugins/smb/smb2_header.c \
	plugins/smb/smb2_negotiate.c \
	plugins/smb/smb2_session.c \
	plugins/smb/smb2_tree.c \
	plugins/smb/smb2_create.c \
	plugins/smb/smb2_io.c \
	plugins/smb/smb2_dir.c \
	plugins/smb/smb2_info.c \
	plugins/smb/smb2_misc.c

libgwdsmb_la_SOURCES += $(smb_wire_c) \
	plugins/smb/smb2_proto.h \
	plugins/smb/ntstatus.h \
	plugins/smb/smb2_header.h \
	plugins/smb/smb2_negotiate.h \
	plugins/smb/smb2_session.h \
	plugins/smb/smb2_tree.h \
	plugins/smb/smb2_create.h \
	plugins/smb/smb2_io.h \
	plugins/smb/smb2_dir.h \
	plugins/smb/smb2_info.h \
	plugins/smb/smb2_misc.h

# Codec suites: every encoder against hand-written bytes, every decoder
# against hand-made responses and their truncated/inconsistent variants.
smb_wire_tests = \
	tests/smb/test-smb2-codec \
	tests/smb/test-smb2-negotiate \
	tests/smb/test-smb2-create \
	tests/smb/test-smb2-io \
	tests/smb/test-smb2-dir \
	tests/smb/test-smb2-info

check_PROGRAMS += $(smb_wire_tests) tests/smb/fuzz-response
TESTS += $(smb_wire_tests) tests/smb/fuzz-response
EXTRA_DIST += tests/smb/smb2-testutil.h

tests_smb_test_smb2_codec_SOURCES = tests/smb/test-smb2-codec.c tests/smb/smb2-testutil.h
tests_smb_test_smb2_codec_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_smb_test_smb2_codec_LDADD = libgwdsmb.la $(CHECK_LIBS)

tests_smb_test_smb2_negotiate_SOURCES = tests/smb/test-smb2-negotiate.c tests/smb/smb2-testutil.h
tests_smb_test_smb2_negotiate_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_smb_test_smb2_negotiate_LDADD = libgwdsmb.la $(CHECK_LIBS)

tests_smb_test_smb2_create_SOURCES = tests/smb/test-smb2-create.c tests/smb/smb2-testutil.h
tests_smb_test_smb2_create_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_smb_test_smb2_create_LDADD = libgwdsmb.la $(CHECK_LIBS)

tests_smb_test_smb2_io_SOURCES = tests/smb/test-smb2-io.c tests/smb/smb2-testutil.h
tests_smb_test_smb2_io_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_smb_test_smb2_io_LDADD = libgwdsmb.la $(CHECK_LIBS)

tests_smb_test_smb2_dir_SOURCES = tests/smb/test-smb2-dir.c tests/smb/smb2-testutil.h
tests_smb_test_smb2_dir_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_smb_test_smb2_dir_LDADD = libgwdsmb.la $(CHECK_LIBS)

tests_smb_test_smb2_info_SOURCES = tests/smb/test-smb2-info.c tests/smb/smb2-testutil.h
tests_smb_test_smb2_info_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_smb_test_smb2_info_LDADD = libgwdsmb.la $(CHECK_LIBS)

# Every response decoder on mutated hand-made seeds, bounded by
# GWD_FUZZ_ITERATIONS (200000) / GWD_FUZZ_SECONDS (20); no libFuzzer needed.
tests_smb_fuzz_response_SOURCES = tests/smb/fuzz-response.c tests/smb/fuzz-driver.c
tests_smb_fuzz_response_LDADD = libgwdsmb.la

# Optional coverage-guided run: `make fuzz [FUZZ_TIME=seconds]` (needs clang).
FUZZ_CC = clang
FUZZ_TIME = 60
CLEANFILES += tests/smb/fuzz-libfuzzer
fuzz: tests/smb/fuzz-response$(EXEEXT)
	$(MKDIR_P) tests/smb/fuzz-corpus tests/smb/fuzz-seeds
	GWD_FUZZ_WRITE_SEEDS=tests/smb/fuzz-seeds tests/smb/fuzz-response$(EXEEXT)
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-I$(top_srcdir) -I$(top_srcdir)/include -o tests/smb/fuzz-libfuzzer \
		$(top_srcdir)/tests/smb/fuzz-response.c \
		`for f in $(smb_wire_c); do echo $(top_srcdir)/$$f; done`
	tests/smb/fuzz-libfuzzer -max_total_time=$(FUZZ_TIME) -max_len=65536 \
		tests/smb/fuzz-corpus tests/smb/fuzz-seeds
.PHONY: fuzz
