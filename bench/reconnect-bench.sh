#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Recovery benchmark (issue 4): gatewayd with 16 tcons over CHANNELS (4)
# channels of one session on the fixture's smbd, reached through the fault
# proxy (tests/smb/smb-proxy).  Each run:
#   1. the proxy starts refusing new connections and cuts every open one;
#   2. the engine retries with backoff (refused) for REFUSE_MS;
#   3. the proxy accepts again at T0 ("the server accepts connections");
#   4. recovery = the moment the last tcon entered `good` (its "since"
#      in the registry, ms resolution) minus T0; the run ends when every
#      channel is bound again too (reported separately, polled).
# Meanwhile 8 clients GET small files through WebDAV (hard recovery, so
# none should fail).  Printed per profile: median / p90 / max recovery,
# the commands the proxy saw per recovery, and failed client requests.
#
#   [CHANNELS=N] bench/reconnect-bench.sh [BUILD_DIR] [RUNS]      (as root)
#
# Profiles: "default" (reconnect_delay_min_ms 50, max 2000: the shipped
# defaults) and "fast" (min 5, max 50).  With the default profile the
# recovery time is dominated by when the next scheduled retry falls after
# T0; "fast" shows the cost of the reconnect itself.
set -u

B=$(cd "${1:-.}" && pwd)
RUNS=${2:-15}
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
NT=16
CHANNELS=${CHANNELS:-4}
SMB_PROXY_BIN=$B/tests/smb/smb-proxy
for f in "$B/gatewayd/gatewayd" "$SMB_PROXY_BIN" "$B/plugins/smb/.libs/smb.so" \
        "$B/plugins/webdav/.libs/webdav.so" "$B/plugins/api/.libs/api.so"; do
        [ -e "$f" ] || { echo "missing $f (build first; make tests/smb/smb-proxy)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/gwd-recbench.XXXXXX)
chmod 755 "$WORK"
GW_PID=
LOAD_PIDS=
cleanup() {
        for p in $LOAD_PIDS; do kill "$p" 2>/dev/null; done
        [ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null
        [ -n "${SMB_PROXY_PID:-}" ] && smb_proxy_stop
        smbd_fixture_stop
        rm -rf "$WORK"
}
. "$top_srcdir/tests/smb/smbd-fixture.sh"
. "$top_srcdir/tests/smb/smb-proxy.sh"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

smbd_fixture_start "$WORK/smbd" >/dev/null || exit 1
smb_proxy_start 127.0.0.1 "$SMBD_PORT" >/dev/null || exit 1
for i in $(seq 0 31); do head -c 16384 /dev/urandom >"$SMBD_DIR/shares/data/s$i"; done
chown -R "$SMBD_USER" "$SMBD_DIR/shares/data"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
WPORT=$(port)
APORT=$(port)

run_profile() { # run_profile NAME MIN_MS MAX_MS
        local shares="" exports="" i
        for i in $(seq 0 $((NT - 1))); do
                shares="$shares{ \"name\": \"t$i\", \"server\": \"fx\", \"share\": \"data\", \"recovery\": \"hard\" },"
                exports="$exports{ \"share\": \"t$i\", \"path\": \"/t$i\" },"
        done
        cat >"$WORK/gw.json" <<EOF
{ "daemon": { "log_level": "warning" },
  "instances": [
    { "name": "smb", "plugin": "smb", "config": {
      "servers": [ { "name": "fx", "host": "127.0.0.1", "port": $SMB_PROXY_PORT,
                     "channels": $CHANNELS, "user": "$SMBD_USER", "password_file": "$SMBD_PASSWORD_FILE",
                     "reconnect_delay_min_ms": $2, "reconnect_delay_max_ms": $3 } ],
      "shares": [ ${shares%,} ] } },
    { "name": "webdav", "plugin": "webdav", "config": {
      "listen": [ "127.0.0.1:$WPORT" ], "allow_anonymous_loopback": true,
      "exports": [ ${exports%,} ] } },
    { "name": "api", "plugin": "api", "config": {
      "listen": [ "127.0.0.1:$APORT" ], "allow_anonymous_loopback": true } } ] }
EOF
        GWD_PLUGIN_DIR=$B/plugins/smb/.libs:$B/plugins/webdav/.libs:$B/plugins/api/.libs \
                "$B/gatewayd/gatewayd" -f -c "$WORK/gw.json" >"$WORK/gw.log" 2>&1 &
        GW_PID=$!
        # client load: 8 loops of GETs, failures counted in files
        LOAD_PIDS=
        for c in $(seq 0 7); do
                (
                        ok=0 bad=0
                        trap 'echo "$ok $bad" >"$WORK/load$c"; exit 0' TERM
                        sleep 1
                        while :; do
                                code=$(curl -s -m 120 -o /dev/null -w '%{http_code}' \
                                        "http://127.0.0.1:$WPORT/t$((c * 2))/s$c")
                                if [ "$code" = 200 ]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
                        done
                ) &
                LOAD_PIDS="$LOAD_PIDS $!"
        done
        python3 - "$APORT" "$SMB_PROXY_BIN" "$SMB_PROXY_CTL" "$RUNS" "$1" "$CHANNELS" <<'PY'
import json, subprocess, sys, time, urllib.request, datetime, statistics
aport, proxy, ctl, runs, name = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
nch = int(sys.argv[6])
api = f"http://127.0.0.1:{aport}/api/v1"
def get(path):
    with urllib.request.urlopen(api + path, timeout=30) as r:
        return json.load(r)
def pcmd(c):
    return subprocess.run([proxy, "--control", ctl, "--cmd", c], capture_output=True, text=True).stdout.strip()
def kinds_good():
    k = get("/health")["kinds"]
    return all(set(k.get(x, {"x": 1})) == {"good"} for x in ("channel", "session", "tcon"))
def bound():
    return get("/sessions/smb.fx.s1")["details"].get("channels_bound", 1) == nch
def wait_good(limit=60):
    end = time.time() + limit
    while time.time() < end:
        if kinds_good():
            return True
        time.sleep(0.005)
    return False
def wait_bound(limit=60):
    end = time.time() + limit
    while time.time() < end:
        if bound():
            return True
        time.sleep(0.005)
    return False
def ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
if not wait_good() or not wait_bound():
    sys.exit("gatewayd did not become good")
time.sleep(1.5)
rec, wire, cost, allb = [], [], [], []
for i in range(runs):
    pcmd("refuse on"); pcmd("cut all")
    time.sleep(0.4)                          # several refused attempts, backoff grows
    pcmd("reset")
    t0 = time.time()
    pcmd("refuse off")
    if not wait_good():
        sys.exit("no recovery")
    if not wait_bound():
        sys.exit("channels not bound again")
    allb.append((time.time() - t0) * 1000)
    tc = get("/tcons")
    items = tc.get("items") or tc.get("objects") or []
    last = max(ts(o["since"]) for o in items)
    rec.append((last - t0) * 1000)
    ch = get("/channels/smb.fx")
    tcp = max(ts(h["time"]) for h in ch["history"] if h.get("to") == "need_negotiate")
    cost.append((last - tcp) * 1000)
    wire.append((int(pcmd("count request NEGOTIATE")), int(pcmd("count request SESSION_SETUP")),
                 int(pcmd("count request TREE_CONNECT"))))
    time.sleep(0.3)
rec.sort()
p90 = rec[min(len(rec) - 1, int(0.9 * len(rec)))]
print(f"{name}: {runs} recoveries of {len(items)} tcons over {nch} channel(s): median "
      f"{statistics.median(rec):.1f} ms, p90 {p90:.1f} ms, max {rec[-1]:.1f} ms")
print(f"{name}: every channel bound again (polled every 5 ms): median {statistics.median(allb):.1f} ms, "
      f"max {max(allb):.1f} ms")
print(f"{name}: the reconnect itself (TCP connected -> last tcon good): median "
      f"{statistics.median(cost):.1f} ms, max {max(cost):.1f} ms")
ws = sorted(set(wire))
print(f"{name}: wire per recovery (NEGOTIATE, SESSION_SETUP legs, TREE_CONNECT): " +
      ", ".join(f"{w} x{wire.count(w)}" for w in ws))
PY
        for p in $LOAD_PIDS; do kill -TERM "$p" 2>/dev/null; done
        for p in $LOAD_PIDS; do wait "$p" 2>/dev/null; done
        LOAD_PIDS=
        local ok=0 bad=0 a b
        for c in $(seq 0 7); do
                read -r a b <"$WORK/load$c" || continue
                ok=$((ok + a)); bad=$((bad + b))
        done
        echo "$1: client requests during the runs: $ok succeeded, $bad failed"
        kill "$GW_PID"; wait "$GW_PID" 2>/dev/null; GW_PID=
}

echo "# reconnect-bench: $(nproc) cores, loopback, smbd $(smbd -V 2>/dev/null | cut -d' ' -f2), $RUNS runs per profile"
run_profile default 50 2000
run_profile fast 5 50
