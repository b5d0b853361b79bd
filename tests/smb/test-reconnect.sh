#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The state machine under fire (issue 4): gatewayd with the smb backend, the
# webdav frontend and the admin API against the fixture's real smbd, and
# fault drills while clients transfer data through WebDAV:
#
#   - smbd restarted under 16 concurrent readers and writers: every tcon
#     back to good, every byte read matches (SHA-256), every write either
#     completed (content verified) or failed visibly (HTTP 5xx);
#   - a share removed and force-closed: that tcon alone leaves good, the
#     reason (STATUS_BAD_NETWORK_NAME) is published; re-adding it recovers;
#   - the smbd child serving us stopped (SIGSTOP): echo/deadline detection,
#     reconnect, the waiting download completes;
#   - deduplication: 64 requests over 8 tcons hit a cut connection: one
#     NEGOTIATE, one SESSION_SETUP exchange, one TREE_CONNECT per tcon;
#   - the API drills (disconnect, hang, session_expired,
#     network_name_deleted) each recover, with their wire deltas;
#   - through the fault proxy (tests/smb/smb-proxy): cut, blackhole, and
#     the counts of commands seen on the wire by an independent parser.
#
# Ends with "N passed, N failed"; exit 1 on any failure.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
SMB_PROXY_BIN=${SMB_PROXY_BIN:-$top_builddir/tests/smb/smb-proxy}

# shellcheck source=tests/testlib.sh
. "$top_srcdir/tests/testlib.sh"

# shellcheck source=tests/smb/gw-helpers.sh
. "$top_srcdir/tests/smb/gw-helpers.sh"
gw_preflight
for c in curl python3 sha256sum; do
        command -v $c >/dev/null || { echo "missing $c"; echo "0 passed, 1 failed"; exit 1; }
done

STOPPED_PID=
# a paused smbd child goes on again before anything is stopped
gw_cleanup_extra() {
        [ -n "$STOPPED_PID" ] && kill -CONT "$STOPPED_PID" 2>/dev/null
}
gw_workdir reconnect
HAVE_PROXY=0
if [ -x "$SMB_PROXY_BIN" ] && [ -f "$top_srcdir/tests/smb/smb-proxy.sh" ]; then
        # shellcheck source=tests/smb/smb-proxy.sh
        . "$top_srcdir/tests/smb/smb-proxy.sh"
        HAVE_PROXY=1
fi

smbd_fixture_start "$WORK/smbd" || { echo "0 passed, 1 failed"; exit 1; }
DATA=$SMBD_DIR/shares/data
smbd_fixture_add_share extra >/dev/null || { echo "0 passed, 1 failed"; exit 1; }

gw_endpoints
NT=8

# gatewayd.json: 8 tcons on the share "data" plus one on "extra", hard
# recovery, short echo and backoff so that drills run in seconds.
write_config() { # write_config PORT FILE
        local shares="" exports="" i
        for i in $(seq 0 $((NT - 1))); do
                shares="$shares{ \"name\": \"t$i\", \"server\": \"fx\", \"share\": \"data\", \"recovery\": \"hard\", \"hard_timeout\": 60 },"
                exports="$exports{ \"share\": \"t$i\", \"path\": \"/t$i\" },"
        done
        cat >"$2" <<EOF
{
  "daemon": { "log_level": "info" },
  "instances": [
    { "name": "smb", "plugin": "smb", "config": {
      "servers": [ { "name": "fx", "host": "127.0.0.1", "port": $1,
                     "user": "$SMBD_USER", "password_file": "$SMBD_PASSWORD_FILE",
                     "echo_interval": 1, "connect_timeout": 3, "request_timeout": 10,
                     "reconnect_delay_min_ms": 20, "reconnect_delay_max_ms": 250 } ],
      "shares": [ $shares
                  { "name": "x", "server": "fx", "share": "extra", "recovery": "soft",
                    "reconnect_timeout": 5 } ] } },
    { "name": "webdav", "plugin": "webdav", "config": {
      "listen": [ "127.0.0.1:$WPORT" ], "allow_anonymous_loopback": true,
      "exports": [ $exports { "share": "x", "path": "/x" } ] } },
    { "name": "api", "plugin": "api", "config": {
      "listen": [ "127.0.0.1:$APORT" ], "tokens_file": "$WORK/tokens" } }
  ]
}
EOF
}

sent() { detail channel smb.fx "[\"sent_$1\"]"; }

start_gateway() { # start_gateway PORT
        write_config "$1" "$WORK/gw.json"
        gw_start "$WORK/gw.json" && wait_all_good 20
}
stop_gateway() {
        kill -TERM "$GW_PID"
        wait "$GW_PID"
        local rc=$?
        GW_PID=
        return $rc
}

# Test data: 8 files of 24 MiB and 64 small ones.
for i in $(seq 0 7); do
        head -c $((24 << 20)) /dev/urandom >"$DATA/big$i"
done
for i in $(seq 0 63); do
        head -c 65536 /dev/urandom >"$DATA/small$i"
done
head -c $((24 << 20)) /dev/urandom >"$WORK/upload"
chown -R "$SMBD_USER" "$DATA"
sha() { sha256sum "$1" | cut -d' ' -f1; }
UPSHA=$(sha "$WORK/upload")

if start_gateway "$SMBD_PORT"; then
        ok "gatewayd starts and every object is good"
else
        nok "gatewayd starts and every object is good"
        tail -20 "$WORK/gw.log"
        api "$API/health"
        finish
fi

# --- 1. smbd restarted under 16 concurrent readers and writers -------------------
gen0=$(detail channel smb.fx '["generation"]')
PIDS=
for i in $(seq 0 7); do
        curl -s -m 120 --limit-rate 6M -o "$WORK/get$i" -w '%{http_code}' "$DAV/t$i/big$i" \
                >"$WORK/get$i.code" &
        PIDS="$PIDS $!"
        curl -s -m 120 --limit-rate 6M -T "$WORK/upload" -o /dev/null -w '%{http_code}' \
                "$DAV/t$i/up$i" >"$WORK/put$i.code" &
        PIDS="$PIDS $!"
done
curl -sN -m 120 -H "Authorization: Bearer $TOKEN" "$API/events" >"$WORK/sse" 2>/dev/null &
SSE_PID=$!
PIDS="$PIDS $SSE_PID"
sleep 1.5
t0=$(date +%s%N)
smbd_fixture_restart >/dev/null 2>&1
check "drill restart: smbd restarted" smbd_fixture_running
for p in $PIDS; do [ "$p" = "$SSE_PID" ] || wait "$p"; done
wait_all_good 20 >/dev/null
sleep 0.3
kill "$SSE_PID" 2>/dev/null
wait "$SSE_PID" 2>/dev/null
PIDS=
# The SSE stream shows the restart's transitions in order.
sse_order() {
        python3 - "$WORK/sse" <<'PY'
import json, sys
ev = [json.loads(l[5:]) for l in open(sys.argv[1]) if l.startswith("data:")]
seqs = [e["seq"] for e in ev]
if seqs != sorted(seqs) or len(set(seqs)) != len(seqs):
    sys.exit("sequence numbers not increasing")
def path(kind, oid):
    return [e["to"] for e in ev if e["kind"] == kind and e["id"] == oid]
def has(seq, want):
    it = iter(seq)
    return all(w in it for w in want)
ch, t0 = path("channel", "smb.fx"), path("tcon", "smb.t0")
ok = has(ch, ["need_reconnect", "need_negotiate", "in_negotiate", "good"]) and \
     has(t0, ["need_reconnect", "in_files_invalidate", "need_tcon", "in_tcon", "good"])
good = [e["seq"] for e in ev if e["kind"] == "channel" and e["to"] == "good"]
last_t = max(e["seq"] for e in ev if e["kind"] == "tcon" and e["to"] == "good")
print("channel:", " ".join(ch)); print("tcon smb.t0:", " ".join(t0))
sys.exit(0 if ok and good and good[-1] < last_t else 1)
PY
}
check "drill restart: the SSE stream shows the transitions in order" sse_order
reads_ok=0
for i in $(seq 0 7); do
        if [ "$(cat "$WORK/get$i.code")" = 200 ] && [ "$(sha "$WORK/get$i")" = "$(sha "$DATA/big$i")" ]; then
                reads_ok=$((reads_ok + 1))
        else
                echo "# read $i: HTTP $(cat "$WORK/get$i.code"), $(stat -c %s "$WORK/get$i" 2>/dev/null) bytes"
        fi
done
check "drill restart: all 8 downloads complete with the right SHA-256 ($reads_ok/8)" test $reads_ok = 8
writes_done=0 writes_failed=0 writes_bad=0
for i in $(seq 0 7); do
        code=$(cat "$WORK/put$i.code")
        case $code in
        2??)
                if [ "$(sha "$DATA/up$i")" = "$UPSHA" ]; then writes_done=$((writes_done + 1))
                else writes_bad=$((writes_bad + 1)); echo "# write $i: $code but content differs"; fi ;;
        5??)
                writes_failed=$((writes_failed + 1))
                # nothing partial under the target name
                if [ -e "$DATA/up$i" ]; then writes_bad=$((writes_bad + 1)); echo "# write $i: $code but $DATA/up$i exists"; fi ;;
        *) writes_bad=$((writes_bad + 1)); echo "# write $i: HTTP $code" ;;
        esac
done
echo "# writes: $writes_done completed, $writes_failed failed visibly (5xx)"
check "drill restart: every upload completed intact or failed visibly (5xx, nothing under the target name)" \
        test $writes_bad = 0
check "drill restart: every object good again" wait_all_good 20
gen1=$(detail channel smb.fx '["generation"]')
check "drill restart: the channel reconnected (generation $gen0 -> $gen1)" test "$gen1" -gt "$gen0"
rr=0
for i in $(seq 0 $((NT - 1))); do rr=$((rr + $(detail tcon "smb.t$i" '["requests_retried"]'))); done
echo "# requests retried transparently: $rr"
t1=$(date +%s%N)
echo "# restart drill took $(((t1 - t0) / 1000000)) ms (includes the transfers)"

# --- 2. a share removed and force-closed --------------------------------------------
smbd_fixture_remove_share extra >/dev/null 2>&1
smbd_fixture_close_share extra >/dev/null 2>&1
code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' -X PROPFIND -H 'Depth: 1' "$DAV/x/")
check "drill close-share: a request on the closed tree fails visibly (HTTP $code)" \
        bash -c '[ "$1" -ge 400 ]' _ "$code"
check "drill close-share: tcon smb.x leaves good" bash -c '[ "$(state tcon smb.x)" != good ]'
st=$(detail tcon smb.x '["last_error"]["ntstatus"]')
check "drill close-share: reason STATUS_BAD_NETWORK_NAME is published ($st)" \
        test "$st" = STATUS_BAD_NETWORK_NAME
check "drill close-share: the other tcons stay good" test "$(state tcon smb.t0)" = good
check "drill close-share: the channel stays good" test "$(state channel smb.fx)" = good
smbd_fixture_add_share extra >/dev/null 2>&1
check "drill close-share: re-adding the share recovers smb.x" wait_state tcon smb.x good 10
code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' -X PROPFIND -H 'Depth: 1' "$DAV/x/")
check "drill close-share: requests work again (HTTP $code)" test "$code" = 207

# --- 3. the smbd child serving us hangs (SIGSTOP) -------------------------------------
lport=$(detail channel smb.fx '["local_port"]')
STOPPED_PID=$(smbd_fixture_client_pid "$lport" 2>/dev/null)
if [ -n "$STOPPED_PID" ]; then
        gen0=$(detail channel smb.fx '["generation"]')
        smbd_fixture_pause_client "$STOPPED_PID"
        t0=$(date +%s%N)
        code=$(curl -s -m 60 -o "$WORK/hang" -w '%{http_code}' "$DAV/t1/big1")
        t1=$(date +%s%N)
        smbd_fixture_resume_client "$STOPPED_PID"
        STOPPED_PID=
        check "drill hang: the download during the hang completes intact (HTTP $code, $(((t1 - t0) / 1000000)) ms)" \
                bash -c '[ "$1" = 200 ] && [ "$(sha256sum <"$2")" = "$(sha256sum <"$3")" ]' _ "$code" "$WORK/hang" "$DATA/big1"
        check "drill hang: detected within 3 echo intervals + backoff (< 5 s)" \
                test $(((t1 - t0) / 1000000)) -lt 5000
        gen1=$(detail channel smb.fx '["generation"]')
        check "drill hang: the channel reconnected" test "$gen1" -gt "$gen0"
        msg=$(detail channel smb.fx '["last_error"]["message"]')
        check "drill hang: the reason says timed out ($msg)" bash -c 'grep -qi "timed out" <<<"$1"' _ "$msg"
else
        nok "drill hang: no smbd child found for local port $lport"
fi
check "drill hang: every object good again" wait_all_good 20

# --- 4. deduplication: 64 requests over 8 tcons hit a dead connection ----------------
neg0=$(sent negotiate); ses0=$(sent session_setup); tc0=$(sent tree_connect)
PIDS=
for k in $(seq 0 63); do
        curl -s -m 60 -o "$WORK/s$k" -w '%{http_code}' "$DAV/t$((k % NT))/small$k" >"$WORK/s$k.code" &
        PIDS="$PIDS $!"
done
api -X POST "$API/channels/smb.fx/drill_disconnect" >/dev/null
for p in $PIDS; do wait "$p"; done
PIDS=
good=0
for k in $(seq 0 63); do
        [ "$(cat "$WORK/s$k.code")" = 200 ] && cmp -s "$WORK/s$k" "$DATA/small$k" && good=$((good + 1))
done
check "dedup: all 64 requests completed with the right data ($good/64)" test $good = 64
check "dedup: every object good again" wait_all_good 20
dn=$(($(sent negotiate) - neg0)); ds=$(($(sent session_setup) - ses0)); dt=$(($(sent tree_connect) - tc0))
echo "# wire after the cut: NEGOTIATE $dn, SESSION_SETUP $ds, TREE_CONNECT $dt"
check "dedup: exactly one NEGOTIATE ($dn)" test "$dn" = 1
check "dedup: exactly one SESSION_SETUP exchange (2 legs: $ds)" test "$ds" = 2
check "dedup: exactly one TREE_CONNECT per tcon ($dt for $((NT + 1)))" test "$dt" = $((NT + 1))

# --- 5. the API drills ------------------------------------------------------------------
drill() { # drill KIND ID FAULT
        api -X POST -H 'Content-Type: application/json' \
                -d "{\"target\":{\"kind\":\"$1\",\"id\":\"$2\"},\"fault\":\"$3\",\"reason\":\"test\"}" \
                "$API/drills?wait=30" >"$WORK/drill.json"
        [ "$(jget "$WORK/drill.json" 'j["status"]')" = succeeded ]
}
for d in "channel smb.fx disconnect" "channel smb.fx hang" "session smb.fx.s1 session_expired" \
        "tcon smb.t3 network_name_deleted"; do
        # shellcheck disable=SC2086
        if drill $d; then
                ok "API drill $d succeeded (recovery $(jget "$WORK/drill.json" 'j.get("recovery_ms")') ms)"
        else
                nok "API drill $d: $(cat "$WORK/drill.json")"
        fi
        wait_all_good 20 >/dev/null
done
api -X POST "$API/channels/smb.fx/reconnect?wait=10" >"$WORK/rec.json"
check "POST channels/smb.fx/reconnect?wait=10: succeeded, final state good, with a timeline" \
        bash -c 'python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j[\"status\"]==\"succeeded\" and j[\"final_state\"]==\"good\" and len(j[\"timeline\"])>=4 and j[\"timeline\"][-1][\"to\"]==\"good\" else 1)" "$1"' _ "$WORK/rec.json"
check "the reconnect's cause names who asked" grep -q "api:drills" "$WORK/rec.json"
wait_all_good 20 >/dev/null
drill channel smb.fx disconnect
check "API drill report: detection and recovery times" \
        bash -c 'python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if isinstance(j.get(\"recovery_ms\"),(int,float)) and \"detection_ms\" in j else 1)" "$1"' _ "$WORK/drill.json"
w=$(jget "$WORK/drill.json" 'j["wire"]')
check "API drill disconnect: wire deltas 1 NEGOTIATE, 2 SESSION_SETUP legs, $((NT + 1)) TREE_CONNECT" \
        bash -c 'python3 -c "import json,sys; w=json.loads(sys.argv[1]); sys.exit(0 if (w.get(\"sent_negotiate\"),w.get(\"sent_session_setup\"),w.get(\"sent_tree_connect\"))==(1,2,int(sys.argv[2])) else 1)" "$1" "$2"' _ "$w" $((NT + 1))

# --- 6. through the fault proxy ---------------------------------------------------------
if [ $HAVE_PROXY = 1 ]; then
        check "stop gatewayd before the proxy drills" stop_gateway
        smb_proxy_start 127.0.0.1 "$SMBD_PORT" >/dev/null
        check "proxy: gatewayd through the proxy, all good" start_gateway "$SMB_PROXY_PORT"
        smb_proxy_cmd reset >/dev/null
        PIDS=
        for k in $(seq 0 63); do
                curl -s -m 60 -o "$WORK/p$k" -w '%{http_code}' "$DAV/t$((k % NT))/small$k" >"$WORK/p$k.code" &
                PIDS="$PIDS $!"
        done
        smb_proxy_cmd cut all >/dev/null
        for p in $PIDS; do wait "$p"; done
        PIDS=
        good=0
        for k in $(seq 0 63); do
                [ "$(cat "$WORK/p$k.code")" = 200 ] && cmp -s "$WORK/p$k" "$DATA/small$k" && good=$((good + 1))
        done
        check "proxy cut: all 64 requests completed with the right data ($good/64)" test $good = 64
        check "proxy cut: every object good again" wait_all_good 20
        pn=$(smb_proxy_count request NEGOTIATE); ps=$(smb_proxy_count request SESSION_SETUP)
        pt=$(smb_proxy_count request TREE_CONNECT)
        echo "# the proxy saw: NEGOTIATE $pn, SESSION_SETUP $ps, TREE_CONNECT $pt"
        check "proxy cut: the wire carried exactly one NEGOTIATE ($pn)" test "$pn" = 1
        check "proxy cut: and one SESSION_SETUP exchange ($ps legs)" test "$ps" = 2
        check "proxy cut: and one TREE_CONNECT per tcon ($pt)" test "$pt" = $((NT + 1))

        # Uploads while the connection is cut: durable handles survive on
        # the server, are reopened with DH2C, the lost writes replayed.
        PIDS=
        for i in $(seq 0 7); do
                curl -s -m 120 --limit-rate 6M -T "$WORK/upload" -o /dev/null -w '%{http_code}' \
                        "$DAV/t$i/pup$i" >"$WORK/pput$i.code" &
                PIDS="$PIDS $!"
        done
        sleep 1.5
        smb_proxy_cmd cut all >/dev/null
        for p in $PIDS; do wait "$p"; done
        PIDS=
        done_ok=0
        for i in $(seq 0 7); do
                if [ "$(cat "$WORK/pput$i.code")" = 201 ] && [ "$(sha "$DATA/pup$i")" = "$UPSHA" ]; then
                        done_ok=$((done_ok + 1))
                else
                        echo "# upload $i: HTTP $(cat "$WORK/pput$i.code")"
                fi
        done
        check "proxy cut during 8 uploads: all complete intact via durable reopen ($done_ok/8)" \
                test $done_ok = 8
        ro=0
        for i in $(seq 0 $((NT - 1))); do ro=$((ro + $(detail tcon "smb.t$i" '["handles_reopened_durable"]'))); done
        check "proxy cut during uploads: handles were reopened durably ($ro)" test "$ro" -ge 1

        # Soft and hard recovery while the server refuses connections.
        smb_proxy_cmd refuse on >/dev/null
        smb_proxy_cmd cut all >/dev/null
        curl -s -m 60 -o "$WORK/hard" -w '%{http_code}' "$DAV/t4/small4" >"$WORK/hard.code" &
        hard_pid=$!
        PIDS=$hard_pid
        t0=$(date +%s%N)
        code=$(curl -s -m 60 -o /dev/null -w '%{http_code}' -X PROPFIND -H 'Depth: 0' "$DAV/x/")
        t1=$(date +%s%N)
        ms=$(((t1 - t0) / 1000000))
        check "soft share: fails with 503 after its reconnect_timeout of 5 s (HTTP $code after $ms ms)" \
                bash -c '[ "$1" = 503 ] && [ "$2" -ge 4500 ] && [ "$2" -lt 15000 ]' _ "$code" "$ms"
        failed=$(detail tcon smb.x '["requests_failed"]')
        check "soft share: counted in requests_failed ($failed)" test "$failed" -ge 1
        retry=$(api "$API/channels/smb.fx" | jget - 'j["details"]["retry"]')
        check "the channel publishes its retry schedule ($retry)" \
                bash -c 'python3 -c "import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if r[\"failures\"] >= 1 and r[\"attempts\"] >= 1 and r[\"backoff_ms\"] <= 250 else 1)" "$1"' _ "$retry"
        check "hard share: the request is still waiting" kill -0 "$hard_pid"
        smb_proxy_cmd refuse off >/dev/null
        wait "$hard_pid"
        PIDS=
        check "hard share: the waiting request completes once the server is back (HTTP $(cat "$WORK/hard.code"))" \
                bash -c '[ "$(cat "$1")" = 200 ] && cmp -s "$2" "$3"' _ "$WORK/hard.code" "$WORK/hard" "$DATA/small4"
        check "every object good again" wait_all_good 20

        # blackhole: sockets stay open, nothing flows; the echo must notice.
        gen0=$(detail channel smb.fx '["generation"]')
        smb_proxy_cmd blackhole on >/dev/null
        t0=$(date +%s%N)
        sleep 4
        smb_proxy_cmd blackhole off >/dev/null
        code=$(curl -s -m 60 -o "$WORK/bh" -w '%{http_code}' "$DAV/t2/small2")
        check "proxy blackhole: a request afterwards succeeds (HTTP $code)" test "$code" = 200
        gen1=$(detail channel smb.fx '["generation"]')
        check "proxy blackhole: detected (echo) and reconnected ($gen0 -> $gen1)" test "$gen1" -gt "$gen0"
        check "proxy blackhole: every object good again" wait_all_good 20
        check "stop gatewayd after the proxy drills" stop_gateway
        smb_proxy_stop
else
        nok "the fault proxy (tests/smb/smb-proxy) is not built"
fi

if [ -n "$GW_PID" ]; then
        check "gatewayd stops cleanly (exit 0, no sanitizer report)" stop_gateway
fi
gw_check_log
finish
