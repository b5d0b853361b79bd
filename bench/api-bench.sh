#!/bin/sh
# SPDX-License-Identifier: MIT
# Admin API benchmark: gatewayd with testobj publishing 1,000 tcons
# (10 servers x 10 sessions x 10 tcons) and the api plugin on loopback.
#   1. wrk on GET /api/v1/tcons/{id}      goal >= 20,000 requests/s
#   2. GET /api/v1/tcons (full listing)   goal p99 < 20 ms
# Usage: bench/api-bench.sh [BUILDDIR]  (or top_builddir=BUILDDIR; default:
# the current directory; use a build without --enable-sanitizers for
# meaningful numbers)
set -eu
# LISTING_CACHE_MS: the api plugin's listing_cache_ms (default 250, its
# default; 0 measures every listing serialized afresh).
LISTING_CACHE_MS=${LISTING_CACHE_MS:-250}
: "${top_builddir:=${1:-$(pwd)}}"
B=$top_builddir
[ -x "$B/gatewayd/gatewayd" ] || { echo "api-bench: no $B/gatewayd/gatewayd: build first" >&2; exit 1; }
DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)"; exit 77; }
T=$(mktemp -d /tmp/gwd-api-bench.XXXXXX)
PID=
cleanup() { [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
TOKEN=BenchBenchBench0123456789
printf 'read bench %s\n' "$TOKEN" > "$T/tokens"
cat > "$T/gw.json" <<JSON
{ "daemon": { "log_level": "warning" },
  "instances": [
    { "name": "objs", "plugin": "testobj",
      "config": { "servers": 10, "sessions_per_server": 10, "tcons_per_session": 10 } },
    { "name": "api", "plugin": "api",
      "config": { "listen": [ "127.0.0.1:$PORT" ], "tokens_file": "$T/tokens",
                  "max_connections": 512, "listing_cache_ms": $LISTING_CACHE_MS } } ] }
JSON
GWD_PLUGIN_DIR=$B/plugins/api/.libs:$B/tests/plugins/.libs "$B/gatewayd/gatewayd" -f -c "$T/gw.json" &
PID=$!
until curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz"; do
        kill -0 "$PID" 2>/dev/null || { echo "api-bench: gatewayd exited" >&2; exit 1; }
        sleep 0.1
done
n=$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/tcons" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
echo "tcons registered: $n"

echo "== wrk GET /api/v1/tcons/srv5.s5.t5 (${DURATION}s, $THREADS threads, $CONNS connections)"
wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" \
        "http://127.0.0.1:$PORT/api/v1/tcons/srv5.s5.t5" | tee "$T/one"
echo "== full listing GET /api/v1/tcons, sequential, 500 requests"
# Wall-clock latencies as a client sees them, and the daemon's own CPU time
# per listing (utime + stime from /proc), which other load on a shared
# machine disturbs much less.
python3 - "$PORT" "$TOKEN" "$PID" <<'PY'
import http.client, json, os, sys, time
port, token, pid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
def cpu_s():
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
c = http.client.HTTPConnection("127.0.0.1", port)
lat = []
cpu0 = cpu_s()
for _ in range(500):
    t = time.perf_counter()
    c.request("GET", "/api/v1/tcons", headers={"Authorization": "Bearer " + token})
    r = c.getresponse(); body = r.read()
    assert r.status == 200
    lat.append((time.perf_counter() - t) * 1000)
cpu1 = cpu_s()
assert json.loads(body)["count"] == 1000
lat.sort()
print("listing: %d bytes, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms, "
      "daemon CPU %.2f ms/request" %
      (len(body), lat[len(lat)//2], lat[int(len(lat)*.9)], lat[int(len(lat)*.99)], lat[-1],
       (cpu1 - cpu0) * 1000 / len(lat)))
PY
