# plugins/smb: the SMB2/3 client.  Its code lives in the convenience library
# libgwdsmb.la (sources appended by crypto.mk, wire.mk and below), shared by
# the plugin, the gwd-smb CLI and the tests.
noinst_LTLIBRARIES += libgwdsmb.la
EXTRA_DIST += plugins/smb/wire.h

# Client core: state machines, transport, session, tree connects, file ops.
libgwdsmb_la_SOURCES += \
	plugins/smb/smb_state.c plugins/smb/smb_state.h \
	plugins/smb/smb_conn.c plugins/smb/smb_conn.h \
	plugins/smb/smb_auth.c plugins/smb/smb_auth.h \
	plugins/smb/smb_session.c plugins/smb/smb_session.h \
	plugins/smb/smb_bind.c \
	plugins/smb/smb_tcon.c plugins/smb/smb_tcon.h \
	plugins/smb/smb_fileops.c plugins/smb/smb_fileops.h \
	plugins/smb/smb_handle.c plugins/smb/smb_handle.h \
	plugins/smb/smb_recover.c plugins/smb/smb_recover.h \
	plugins/smb/smb_client.c plugins/smb/smb_client.h

# The plugin: exports gwd_plugin_entry only, links the client library.
plugin_LTLIBRARIES += plugins/smb/smb.la
plugins_smb_smb_la_SOURCES = plugins/smb/smb_plugin.c
plugins_smb_smb_la_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS)
plugins_smb_smb_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_smb_smb_la_LIBADD = libgwdsmb.la $(OPENSSL_LIBS) $(JANSSON_LIBS) $(SYSTEMD_LIBS)

# gwd-smb: operators' diagnostics and benchmarks, same code as the plugin.
bin_PROGRAMS += plugins/smb/gwd-smb
plugins_smb_gwd_smb_SOURCES = plugins/smb/gwd_smb_cli.c
plugins_smb_gwd_smb_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS)
plugins_smb_gwd_smb_LDADD = libgwdsmb.la libgwdcore.la $(OPENSSL_LIBS) $(JANSSON_LIBS) \
	$(SYSTEMD_LIBS) $(DL_LIBS)

# Documentation and the benchmark of this piece.
EXTRA_DIST += docs/smb.md bench/smb-bench.sh
