# bench: build rules (fragment of the top Makefile.am)
EXTRA_DIST += bench/webdav-bench.sh
EXTRA_DIST += bench/api-bench.sh bench/reconnect-bench.sh bench/api-load-bench.sh
