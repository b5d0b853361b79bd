#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Multichannel (issue 4): one session over 4 channels to the fixture's real
# smbd, through the fault proxy (tests/smb/smb-proxy) that counts the SMB2
# commands on the wire with its own parser:
#
#   - the session is set up once and 3 channels bind to it: 4 NEGOTIATE,
#     8 SESSION_SETUP legs, one TREE_CONNECT per tcon on the wire;
#   - requests spread over the channels (every channel carries READs);
#   - one channel cut (API drill, then the proxy cutting its TCP
#     connection) while downloads run: the session stays good, only that
#     channel reconnects and binds again (1 NEGOTIATE, 2 SESSION_SETUP, no
#     TREE_CONNECT), every byte downloaded is right;
#   - a channel that hangs: no request waits for it;
#   - every connection cut: C NEGOTIATE, 2C SESSION_SETUP legs and M
#     TREE_CONNECT for C channels and M tcons, and the requests complete.
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
gw_preflight "$SMB_PROXY_BIN"

# shellcheck source=tests/smb/smb-proxy.sh
. "$top_srcdir/tests/smb/smb-proxy.sh"
gw_workdir multichannel

smbd_fixture_start "$WORK/smbd" || { echo "0 passed, 1 failed"; exit 1; }
smb_proxy_start 127.0.0.1 "$SMBD_PORT" || { echo "0 passed, 1 failed"; exit 1; }
DATA=$SMBD_DIR/shares/data

gw_endpoints
NC=4    # channels
NT=4    # tcons
CHANS="smb.fx smb.fx.c1 smb.fx.c2 smb.fx.c3"

shares="" exports=""
for i in $(seq 0 $((NT - 1))); do
        shares="$shares{ \"name\": \"t$i\", \"server\": \"fx\", \"share\": \"data\", \"recovery\": \"hard\", \"hard_timeout\": 60 },"
        exports="$exports{ \"share\": \"t$i\", \"path\": \"/t$i\" },"
done
cat >"$WORK/gw.json" <<EOF2
{
  "daemon": { "log_level": "info" },
  "instances": [
    { "name": "smb", "plugin": "smb", "config": {
      "servers": [ { "name": "fx", "host": "127.0.0.1", "port": $SMB_PROXY_PORT, "channels": $NC,
                     "user": "$SMBD_USER", "password_file": "$SMBD_PASSWORD_FILE",
                     "echo_interval": 1, "connect_timeout": 3, "request_timeout": 10,
                     "reconnect_delay_min_ms": 20, "reconnect_delay_max_ms": 250 } ],
      "shares": [ ${shares%,} ] } },
    { "name": "webdav", "plugin": "webdav", "config": {
      "listen": [ "127.0.0.1:$WPORT" ], "allow_anonymous_loopback": true,
      "exports": [ ${exports%,} ] } },
    { "name": "api", "plugin": "api", "config": {
      "listen": [ "127.0.0.1:$APORT" ], "tokens_file": "$WORK/tokens" } }
  ]
}
EOF2

# Wire counts by the proxy: "NEGOTIATE SESSION_SETUP TREE_CONNECT".
wire() {
        echo "$(smb_proxy_count request NEGOTIATE) $(smb_proxy_count request SESSION_SETUP)" \
                "$(smb_proxy_count request TREE_CONNECT)"
}
# Sum over the channels of one detail.
chan_sum() {
        local c n=0
        for c in $CHANS; do n=$((n + $(detail channel "$c" "[\"$1\"]"))); done
        echo $n
}
all_bound() {
        [ "$(api "$API/sessions/smb.fx.s1" | jget - 'j["state"] == "good" and j["details"]["channels_bound"] == 4')" = true ]
}
wait_all_bound() { # SECONDS
        local i=0
        while [ $i -lt $(($1 * 10)) ]; do
                all_good && all_bound && return 0
                sleep 0.1
                i=$((i + 1))
        done
        return 1
}
sha() { sha256sum "$1" | cut -d' ' -f1; }

# 4 files of 32 MiB.
for i in 0 1 2 3; do head -c $((32 << 20)) /dev/urandom >"$DATA/big$i"; done
chown -R "$SMBD_USER" "$DATA"

smb_proxy_cmd reset >/dev/null
gw_start "$WORK/gw.json"
if wait_all_bound 20; then
        ok "gatewayd up: session good with $NC channels bound, every tcon good"
else
        nok "gatewayd up with $NC channels bound"
        api "$API/sessions/smb.fx.s1"
        tail -20 "$WORK/gw.log"
        finish
fi
check "the proxy carried $NC connections" test "$(smb_proxy_counter connections_open)" = $NC
read -r n s t <<<"$(wire)"
check "bring-up on the wire: $NC NEGOTIATE, $((2 * NC)) SESSION_SETUP legs (1 setup + $((NC - 1)) bindings), $NT TREE_CONNECT (got $n $s $t)" \
        test "$n $s $t" = "$NC $((2 * NC)) $NT"
check "the session was set up once" test "$(detail session smb.fx.s1 '["setups"]')" = 1

# Downloads spread over the channels.
download_all() { # download_all TAG: 4 parallel GETs, one per tcon; prints the number right
        local i good=0
        PIDS=
        for i in 0 1 2 3; do
                curl -s -o "$WORK/$1.$i" "$DAV/t$i/big$i" &
                PIDS="$PIDS $!"
        done
        for p in $PIDS; do wait "$p"; done
        PIDS=
        for i in 0 1 2 3; do
                [ "$(sha "$WORK/$1.$i")" = "$(sha "$DATA/big$i")" ] && good=$((good + 1))
                rm -f "$WORK/$1.$i"
        done
        echo $good
}
check "4 parallel downloads of 32 MiB: every byte right" test "$(download_all d0)" = 4
spread=1
for c in $CHANS; do
        r=$(detail channel "$c" '["sent_read"]')
        echo "# $c carried $r READ"
        [ "$r" -gt 0 ] || spread=0
done
check "every channel carried READ requests" test $spread = 1

# --- one channel cut by the API drill while downloads run ------------------------
cut_one() { # cut_one HOW CHANNEL: cut it during 4 downloads, check what recovers
        local how=$1 ch=$2 w0 w1 gen0 gen1 setups0 tg0 tg1 good
        w0=$(wire)
        gen0=$(chan_sum generation)
        setups0=$(detail session smb.fx.s1 '["setups"]')
        tg0=$(for i in 0 1 2 3; do detail tcon "smb.t$i" '["tree_generation"]'; done | tr '\n' ' ')
        download_all "$how" >"$WORK/good" &
        local dl=$!
        sleep 0.3
        if [ "$how" = drill ]; then
                api -X POST -H 'Content-Type: application/json' \
                        -d "{\"target\":{\"kind\":\"channel\",\"id\":\"$ch\"},\"fault\":\"disconnect\",\"reason\":\"test\"}" \
                        "$API/drills?wait=20" >"$WORK/drill.json"
                check "$how: the drill on $ch succeeded" \
                        test "$(jget "$WORK/drill.json" 'j["status"]')" = succeeded
        else
                local port id
                port=$(detail channel "$ch" '["local_port"]')
                id=$(smb_proxy_cmd stats | jget - "[c['id'] for c in j['connections'] if c['open'] and c['client_port'] == $port][0]")
                check "$how: the proxy cut connection $id (port $port of $ch)" smb_proxy_cmd cut "$id"
        fi
        wait $dl
        good=$(cat "$WORK/good")
        check "$how: all 4 downloads complete with every byte right ($good/4)" test "$good" = 4
        check "$how: every channel bound again" wait_all_bound 20
        gen1=$(chan_sum generation)
        check "$how: exactly one channel reconnected (generations $gen0 -> $gen1)" \
                test "$gen1" = $((gen0 + 1))
        check "$how: the session was not set up again" \
                test "$(detail session smb.fx.s1 '["setups"]')" = "$setups0"
        check "$how: the session stayed good (no transition out of good)" \
                test "$(api "$API/sessions/smb.fx.s1" | jget - 'sum(1 for h in j["history"] if h["from"] == "good")')" = 0
        tg1=$(for i in 0 1 2 3; do detail tcon "smb.t$i" '["tree_generation"]'; done | tr '\n' ' ')
        check "$how: no tree was connected again ($tg0-> $tg1)" test "$tg0" = "$tg1"
        w1=$(wire)
        # shellcheck disable=SC2086
        set -- $w0 $w1
        echo "# $how: wire deltas NEGOTIATE $(($4 - $1)), SESSION_SETUP $(($5 - $2)), TREE_CONNECT $(($6 - $3))"
        check "$how: on the wire 1 NEGOTIATE, 2 SESSION_SETUP legs (a binding), 0 TREE_CONNECT" \
                test "$(($4 - $1)) $(($5 - $2)) $(($6 - $3))" = "1 2 0"
}
cut_one drill smb.fx.c2
cut_one proxy smb.fx.c1
# The primary channel (the one the session was set up on) is no different.
cut_one proxy smb.fx

# --- a hanging channel: requests go elsewhere ----------------------------------------
r0=$(detail channel smb.fx.c3 '["sent_read"]')
g0=$(detail channel smb.fx.c3 '["generation"]')
api -X POST "$API/channels/smb.fx.c3/drill_hang" >/dev/null
t0=$(date +%s%N)
check "c3 hung: 4 downloads complete with every byte right" test "$(download_all hang)" = 4
t1=$(date +%s%N)
echo "# downloads with c3 hung took $(((t1 - t0) / 1000000)) ms"
# Detected means c3 connected anew (its generation moved): until then it
# still counts as bound, and its rebinding must not fall into the next
# test's wire counts.
c3_reconnected() { test "$(detail channel smb.fx.c3 '["generation"]')" -gt "$g0"; }
check "c3 hung: detected (a new connection)" wait_for 20 c3_reconnected
check "c3 hung: detected and bound again" wait_all_bound 20
check "c3 hung: the session stayed good" test "$(state session smb.fx.s1)" = good

# --- every connection cut: a full rebuild, deduplicated ------------------------------
smb_proxy_cmd reset >/dev/null
setups0=$(detail session smb.fx.s1 '["setups"]')
PIDS=
for k in $(seq 1 16); do
        i=$((k % 4))
        curl -s -o "$WORK/all.$k" "$DAV/t$i/big$i" &
        PIDS="$PIDS $!"
done
sleep 0.3
check "proxy: cut all" smb_proxy_cmd cut all
for p in $PIDS; do wait "$p"; done
PIDS=
good=0
for k in $(seq 1 16); do
        [ "$(sha "$WORK/all.$k")" = "$(sha "$DATA/big$((k % 4))")" ] && good=$((good + 1))
done
check "cut all: 16 downloads complete with every byte right ($good/16)" test $good = 16
check "cut all: every channel bound again" wait_all_bound 20
read -r n s t <<<"$(wire)"
echo "# cut all: the proxy saw NEGOTIATE $n, SESSION_SETUP $s, TREE_CONNECT $t"
check "cut all: $NC NEGOTIATE, $((2 * NC)) SESSION_SETUP legs, $NT TREE_CONNECT on the wire" \
        test "$n $s $t" = "$NC $((2 * NC)) $NT"
check "cut all: the session was set up once more" \
        test "$(detail session smb.fx.s1 '["setups"]')" = $((setups0 + 1))

gw_stop_checked
finish
