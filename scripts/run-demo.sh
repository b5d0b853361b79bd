#!/bin/bash
# The "run the gateway" command: install dependencies, build, start a
# private Samba server on loopback (scripts/demo-smbd.sh) and run gatewayd in
# the foreground on its built-in default configuration (build-demo/demo.json)
# until Ctrl-C; then smbd is stopped too.
#
# Usage (as root on Debian 12):  ./scripts/run-demo.sh
# Environment: SKIP_DEPS=1 skips apt-get; BUILD_DIR (default ./build-demo).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build-demo}
jobs=$(nproc 2>/dev/null || echo 2)

if [ "${SKIP_DEPS:-0}" != 1 ]; then
        "$src/scripts/install-deps.sh"
fi

(cd "$src" && autoreconf -fi)
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$src/configure" --disable-werror
make -j"$jobs"

plugin_path="$build/plugins/mem/.libs"
for p in smb webdav api; do
        [ -d "$build/plugins/$p/.libs" ] && plugin_path="$plugin_path:$build/plugins/$p/.libs"
done

# The built-in default backend: a private Samba smbd on loopback, with a
# demo share, started here and stopped again (by PID) when the gateway ends.
eval "$("$src/scripts/demo-smbd.sh" start)"
trap '"$src/scripts/demo-smbd.sh" stop' EXIT

"$src/scripts/demo-config.sh" "$build" >"$build/demo.json"
echo "gatewayd demo: configuration in $build/demo.json"
export GWD_PLUGIN_DIR="$plugin_path"
"$build/gatewayd/gatewayd" --check-config -c "$build/demo.json"
echo "gatewayd demo: WebDAV/HTTP on http://127.0.0.1:8080/demo/ (the Samba share)," \
     "http://127.0.0.1:8080/scratch/ (memory), admin API on http://127.0.0.1:8377/; Ctrl-C stops"
"$build/gatewayd/gatewayd" --foreground -c "$build/demo.json" &
gw=$!
trap 'kill -TERM $gw 2>/dev/null' INT TERM
wait $gw || true
wait $gw 2>/dev/null || true
