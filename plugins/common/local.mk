# plugins/common: code shared by the HTTP frontends (admin API, WebDAV).
# libgwdhttpd.la runs libmicrohttpd on the daemon's sd-event loop; see
# plugins/common/httpd-loop.h.  Plugins link it (no daemon symbols inside).
noinst_LTLIBRARIES += libgwdhttpd.la
libgwdhttpd_la_SOURCES = plugins/common/httpd-loop.c plugins/common/httpd-loop.h
libgwdhttpd_la_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(SYSTEMD_CFLAGS)
libgwdhttpd_la_LIBADD = $(MHD_LIBS) $(SYSTEMD_LIBS)
