# plugins/smb: build rules (fragment of the top Makefile.am)
# Cryptography, NTLMSSP, SPNEGO and UTF-16 helpers of the SMB client.

libgwdsmb_la_SOURCES += \
	plugins/smb/crypto.c plugins/smb/crypto.h \
	plugins/smb/ntlm.c plugins/smb/ntlm.h \
	plugins/smb/spnego.c plugins/smb/spnego.h \
	plugins/smb/utf16.c plugins/smb/utf16.h

check_PROGRAMS += tests/smb/test-crypto tests/smb/test-ntlm tests/smb/test-spnego
TESTS += tests/smb/test-crypto tests/smb/test-ntlm tests/smb/test-spnego

tests_smb_test_crypto_SOURCES = tests/smb/test-crypto.c tests/smb/enc311-packets.h
tests_smb_test_crypto_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_smb_test_crypto_LDADD = libgwdsmb.la $(CHECK_LIBS) $(OPENSSL_LIBS)

tests_smb_test_ntlm_SOURCES = tests/smb/test-ntlm.c tests/smb/enc311-packets.h
tests_smb_test_ntlm_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_smb_test_ntlm_LDADD = libgwdsmb.la $(CHECK_LIBS) $(OPENSSL_LIBS)

tests_smb_test_spnego_SOURCES = tests/smb/test-spnego.c tests/smb/enc311-packets.h
tests_smb_test_spnego_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_smb_test_spnego_LDADD = libgwdsmb.la $(CHECK_LIBS) $(OPENSSL_LIBS)
