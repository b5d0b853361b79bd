# plugins/webdav: WebDAV and HTTP export of the shares (fragment of the top
# Makefile.am).  The pure parts (paths, XML, headers, locks, users) are a
# convenience library shared by the plugin and the Check suites.
noinst_LTLIBRARIES += libgwdwebdav.la
libgwdwebdav_la_SOURCES = \
	plugins/webdav/wd-auth.c plugins/webdav/wd-auth.h \
	plugins/webdav/wd-buf.c plugins/webdav/wd-buf.h \
	plugins/webdav/wd-errmap.c plugins/webdav/wd-errmap.h \
	plugins/webdav/wd-http.c plugins/webdav/wd-http.h \
	plugins/webdav/wd-lock.c plugins/webdav/wd-lock.h \
	plugins/webdav/wd-mime.c plugins/webdav/wd-mime.h \
	plugins/webdav/wd-path.c plugins/webdav/wd-path.h \
	plugins/webdav/wd-xml.c plugins/webdav/wd-xml.h
libgwdwebdav_la_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS)
libgwdwebdav_la_LIBADD = $(OPENSSL_LIBS)

plugin_LTLIBRARIES += plugins/webdav/webdav.la
plugins_webdav_webdav_la_SOURCES = \
	plugins/webdav/wd.h \
	plugins/webdav/wd-conf.c \
	plugins/webdav/wd-server.c \
	plugins/webdav/wd-get.c \
	plugins/webdav/wd-put.c \
	plugins/webdav/wd-props.c \
	plugins/webdav/wd-tree.c \
	plugins/webdav/wd-lockops.c \
	plugins/webdav/wd-list.c \
	plugins/webdav/wd-root.c
plugins_webdav_webdav_la_CPPFLAGS = $(AM_CPPFLAGS) $(MHD_CFLAGS) $(OPENSSL_CFLAGS)
plugins_webdav_webdav_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_webdav_webdav_la_LIBADD = libgwdwebdav.la libgwdhttpd.la \
	$(MHD_LIBS) $(JANSSON_LIBS) $(OPENSSL_LIBS) $(SYSTEMD_LIBS)
