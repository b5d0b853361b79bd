# gatewayd/: the daemon core.  libgwdcore is the host (loop, registry,
# shares, config, loader); the daemon, the CLI tools and the tests link it.
noinst_LTLIBRARIES += libgwdcore.la
libgwdcore_la_SOURCES = \
	gatewayd/conf.c gatewayd/conf.h \
	gatewayd/daemon.c gatewayd/daemon.h \
	gatewayd/defer.c gatewayd/defer.h \
	gatewayd/host.c gatewayd/host.h \
	gatewayd/json-escape.h \
	gatewayd/loader.c gatewayd/loader.h \
	gatewayd/log.c gatewayd/log.h \
	gatewayd/objects.c gatewayd/objects.h \
	gatewayd/shares.c gatewayd/shares.h
libgwdcore_la_CPPFLAGS = $(AM_CPPFLAGS)
libgwdcore_la_LIBADD = $(JANSSON_LIBS) $(SYSTEMD_LIBS) $(DL_LIBS)
if SANITIZERS
libgwdcore_la_CPPFLAGS += -DGWD_KEEP_PLUGINS_MAPPED
endif

sbin_PROGRAMS += gatewayd/gatewayd
gatewayd_gatewayd_SOURCES = gatewayd/main.c
gatewayd_gatewayd_LDADD = libgwdcore.la
