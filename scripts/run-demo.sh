#!/bin/bash
# The "run the gateway" command: install dependencies, build, and run
# gatewayd in the foreground on its built-in default configuration
# (build-demo/demo.json), until Ctrl-C.
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
for p in api webdav smb; do
        [ -d "$build/plugins/$p/.libs" ] && plugin_path="$plugin_path:$build/plugins/$p/.libs"
done

"$src/scripts/demo-config.sh" "$build" >"$build/demo.json"
echo "gatewayd demo: configuration in $build/demo.json"
"$build/gatewayd/gatewayd" --check-config -c "$build/demo.json"
export GWD_PLUGIN_DIR="$plugin_path"
exec "$build/gatewayd/gatewayd" --foreground -c "$build/demo.json"
