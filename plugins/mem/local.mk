# plugins/mem: the in-memory backend.
plugin_LTLIBRARIES += plugins/mem/mem.la
plugins_mem_mem_la_SOURCES = plugins/mem/mem.c
plugins_mem_mem_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_mem_mem_la_LIBADD = $(JANSSON_LIBS)
