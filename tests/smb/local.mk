# tests/smb: build rules (fragment of the top Makefile.am)

# Private smbd on loopback (tests/smb/smbd-fixture.sh, sourced by tests,
# scripts/demo-smbd.sh and benchmarks) and its integration test.
TESTS += tests/smb/test-smbd-fixture.sh
EXTRA_DIST += tests/smb/smbd-fixture.sh tests/smb/test-smbd-fixture.sh

# SMB client core (plugins/smb/smb_*.c): state tables and claims (unit).
check_PROGRAMS += tests/smb/test-smb-state
TESTS += tests/smb/test-smb-state
tests_smb_test_smb_state_SOURCES = tests/smb/test-smb-state.c
tests_smb_test_smb_state_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_smb_test_smb_state_LDADD = libgwdsmb.la libgwdcore.la $(CHECK_LIBS) $(JANSSON_LIBS) \
	$(SYSTEMD_LIBS)
# SMB client against the fixture's smbd: dialects, signing, ciphers, errors,
# 256 MiB round trip, 10,000 entries, namespace ops, gatewayd + smb plugin.
TESTS += tests/smb/test-smb-integration.sh
EXTRA_DIST += tests/smb/test-smb-integration.sh

# Loopback TCP proxy that counts SMB2 commands on the wire (the independent
# witness for the client's reconnect bookkeeping) and injects faults on
# command; tests/smb/smb-proxy.sh starts it, test-smb-proxy.sh checks it
# against the fixture's smbd.
check_PROGRAMS += tests/smb/smb-proxy
tests_smb_smb_proxy_SOURCES = tests/smb/smb-proxy.c
TESTS += tests/smb/test-smb-proxy.sh
EXTRA_DIST += tests/smb/smb-proxy.sh tests/smb/test-smb-proxy.sh

# Issue 4: fault drills against the real smbd (restart, close-share, SIGSTOP,
# deduplication, API drills, the fault proxy).
TESTS += tests/smb/test-reconnect.sh
EXTRA_DIST += tests/smb/test-reconnect.sh tests/smb/gw-helpers.sh
# Multichannel: 4 channels bound to one session, requests spread over them,
# one channel cut (drill, proxy) rebinds alone, all cut rebuild once each.
TESTS += tests/smb/test-multichannel.sh
EXTRA_DIST += tests/smb/test-multichannel.sh
# Samba closing idle connections (deadtime): recovered without a client noticing.
TESTS += tests/smb/test-deadtime.sh
EXTRA_DIST += tests/smb/test-deadtime.sh
# A server granting 1, 2, 3 and 8 credits: I/O sizes and compounds adapt.
TESTS += tests/smb/test-credits.sh
EXTRA_DIST += tests/smb/test-credits.sh
