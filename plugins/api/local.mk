# plugins/api: the JSON REST admin API (docs/api.md).  The pure parts
# (router, auth, filter, format) are in a convenience library that the
# Check suites in tests/api link too.
noinst_LTLIBRARIES += plugins/api/libapicore.la
plugins_api_libapicore_la_SOURCES = \
	plugins/api/router.c plugins/api/router.h \
	plugins/api/auth.c plugins/api/auth.h \
	plugins/api/filter.c plugins/api/filter.h \
	plugins/api/format.c plugins/api/format.h
plugins_api_libapicore_la_LIBADD = $(JANSSON_LIBS)

plugin_LTLIBRARIES += plugins/api/api.la
plugins_api_api_la_SOURCES = \
	plugins/api/api.h \
	plugins/api/server.c \
	plugins/api/problem.c \
	plugins/api/resources.c \
	plugins/api/sse.c \
	plugins/api/metrics.c \
	plugins/api/ops.c
nodist_plugins_api_api_la_SOURCES = plugins/api/openapi-doc.c
plugins_api_api_la_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS)
plugins_api_api_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_api_api_la_LIBADD = plugins/api/libapicore.la libgwdhttpd.la \
	$(MHD_LIBS) $(JANSSON_LIBS) $(SYSTEMD_LIBS)

# The OpenAPI document is served from memory: embed docs/api/openapi.json.
plugins/api/openapi-doc.c: $(top_srcdir)/docs/api/openapi.json
	$(AM_V_GEN)$(MKDIR_P) plugins/api && { \
	  echo '/* generated from docs/api/openapi.json */'; \
	  echo '#include <stddef.h>'; \
	  echo 'extern const char api_openapi_json[];'; \
	  echo 'extern const size_t api_openapi_json_len;'; \
	  echo 'const char api_openapi_json[] = {'; \
	  od -An -v -tx1 $(top_srcdir)/docs/api/openapi.json | \
	    sed -e 's/  */ /g' -e 's/^ //' -e '/^$$/d' -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0x00 };'; \
	  echo 'const size_t api_openapi_json_len = sizeof(api_openapi_json) - 1;'; \
	} > $@-t && mv $@-t $@
BUILT_SOURCES += plugins/api/openapi-doc.c
CLEANFILES += plugins/api/openapi-doc.c
EXTRA_DIST += docs/api/openapi.json
