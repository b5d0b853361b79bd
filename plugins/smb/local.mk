# plugins/smb: the SMB2/3 client.  Its code lives in the convenience library
# libgwdsmb.la (sources appended by crypto.mk, wire.mk and below), shared by
# the plugin, the gwd-smb CLI and the tests.
noinst_LTLIBRARIES += libgwdsmb.la
EXTRA_DIST += plugins/smb/wire.h
