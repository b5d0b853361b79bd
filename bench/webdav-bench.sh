#!/bin/bash
# SPDX-License-Identifier: MIT
# WebDAV/HTTP throughput of gatewayd against the mem backend:
#   - PUT and GET of one large file (curl, best of RUNS),
#   - peak RSS of gatewayd during 1 and during 16 concurrent large GETs,
#   - 4 KiB GETs with 64 concurrent clients (wrk, or parallel curl).
# Usage: bench/webdav-bench.sh [BUILDDIR]   (environment: SIZE_MB=1024,
#        RUNS=3, CLIENTS=64, DURATION=10, PARALLEL=16)
# Use a build without --enable-sanitizers for meaningful numbers.
# The SMB comparison (smbclient get/put from a loopback smbd) is added when
# the SMB backend lands.
set -eu

BUILDDIR=$(cd "${1:-.}" && pwd)
SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-3}
CLIENTS=${CLIENTS:-64}
DURATION=${DURATION:-10}
PARALLEL=${PARALLEL:-16}
GATEWAYD=$BUILDDIR/gatewayd/gatewayd
[ -x "$GATEWAYD" ] || { echo "no $GATEWAYD: build first" >&2; exit 1; }

T=$(mktemp -d /tmp/webdav-bench.XXXXXX)
DPID=
cleanup() {
        [ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT

MAX=$(( (SIZE_MB + 64) << 20 ))
cat > "$T/gw.json" <<CONF
{ "daemon": { "log_level": "info" },
  "instances": [
    { "name": "mem", "plugin": "mem",
      "config": { "shares": [ { "name": "bench", "max_bytes": $MAX } ] } },
    { "name": "dav", "plugin": "webdav",
      "config": { "listen": [ "127.0.0.1:0" ], "allow_anonymous_loopback": true,
                  "max_connections": 512,
                  "exports": [ { "share": "bench" } ] } } ] }
CONF
GWD_PLUGIN_DIR=$BUILDDIR/plugins/mem/.libs:$BUILDDIR/plugins/webdav/.libs \
        "$GATEWAYD" -f -c "$T/gw.json" > "$T/log" 2>&1 &
DPID=$!
for _ in $(seq 50); do
        grep -q "port [0-9]" "$T/log" && break
        sleep 0.1
done
PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:0 (port \([0-9]*\)).*/\1/p' "$T/log" | head -1)
[ -n "$PORT" ] || { cat "$T/log"; exit 1; }
U=http://127.0.0.1:$PORT/bench

rss() { awk '/^VmRSS/ {print $2}' /proc/$DPID/status; }
mbps() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }
best() { sort -n | tail -1; }

echo "# gatewayd webdav benchmark: $(date -u +%F), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# build: $BUILDDIR ($(grep -q fsanitize "$BUILDDIR/Makefile" 2>/dev/null && grep -q '^SAN_CFLAGS = -f' "$BUILDDIR/Makefile" && echo sanitizers || echo plain))"

head -c $((SIZE_MB << 20)) /dev/urandom > "$T/big"
RSS0=$(rss)
for _ in $(seq "$RUNS"); do
        curl -s -T "$T/big" -o /dev/null -w '%{speed_upload}\n' "$U/big"
done | best > "$T/put"
echo "PUT ${SIZE_MB} MiB: $(mbps "$(cat "$T/put")") MiB/s (best of $RUNS)"
rm -f "$T/big"
RSS1=$(rss)

sample_rss() { # pids to watch -> peak rss in kB while any of them runs
        local peak=0 r alive p
        while :; do
                alive=0
                for p in "$@"; do
                        kill -0 "$p" 2>/dev/null && alive=1
                done
                [ "$alive" = 1 ] || break
                r=$(rss)
                [ "$r" -gt "$peak" ] && peak=$r
                sleep 0.05
        done
        echo "$peak"
}
for _ in $(seq "$RUNS"); do
        curl -s -o /dev/null -w '%{speed_download}\n' "$U/big"
done | best > "$T/get"
echo "GET ${SIZE_MB} MiB: $(mbps "$(cat "$T/get")") MiB/s (best of $RUNS)"

curl -s -o /dev/null "$U/big" &
PEAK=$(sample_rss $!)
echo "RSS: $((RSS0 / 1024)) MiB idle, $((RSS1 / 1024)) MiB with the file in the mem backend," \
     "peak $((PEAK / 1024)) MiB during one GET (+$(( (PEAK - RSS1) / 1024 )) MiB)"

START=$(date +%s.%N)
PIDS=()
for i in $(seq "$PARALLEL"); do
        curl -s -o /dev/null "$U/big" &
        PIDS+=($!)
done
PEAK=$(sample_rss "${PIDS[@]}")
wait
END=$(date +%s.%N)
TOTAL=$(awk -v s="$START" -v e="$END" -v n="$PARALLEL" -v m="$SIZE_MB" \
        'BEGIN { printf "%.0f", n * m / (e - s) }')
echo "$PARALLEL concurrent GETs of ${SIZE_MB} MiB: $TOTAL MiB/s total," \
     "peak RSS $((PEAK / 1024)) MiB (+$(( (PEAK - RSS1) / 1024 )) MiB over the data)"
curl -s -X DELETE "$U/big" >/dev/null

head -c 4096 /dev/urandom > "$T/small"
curl -s -T "$T/small" -o /dev/null "$U/small"
if command -v wrk >/dev/null; then
        wrk -t2 -c"$CLIENTS" -d"${DURATION}s" "$U/small" > "$T/wrk"
        echo "4 KiB GET, $CLIENTS clients (wrk, ${DURATION}s):" \
             "$(awk '/Requests\/sec/ {print $2}' "$T/wrk") requests/s," \
             "latency avg $(awk '/Latency/ {print $2; exit}' "$T/wrk")," \
             "errors: $(grep -c 'Non-2xx\|Socket errors' "$T/wrk" || true)"
else
        N=$((CLIENTS * 100))
        START=$(date +%s.%N)
        seq "$N" | xargs -P "$CLIENTS" -I{} curl -s -o /dev/null "$U/small"
        END=$(date +%s.%N)
        echo "4 KiB GET, $CLIENTS clients (curl): $(awk -v s="$START" -v e="$END" -v n="$N" \
                'BEGIN { printf "%.0f", n / (e - s) }') requests/s"
fi
