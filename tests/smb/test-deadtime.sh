#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Samba closing idle connections ("deadtime" in smb.conf, in minutes) against
# the fixture's real smbd, no proxy:
#
#   - gatewayd reads a file through WebDAV (so the tree is in use), then
#     stays idle with its own keepalive rare (echo_interval 600);
#   - smbd's deadtime (1 minute, no open files) closes the connection;
#     gatewayd notices the EOF (the peer closed it) and reconnects on its
#     own, without any request waiting for it;
#   - the next GET through WebDAV succeeds transparently with the right
#     data and every object is good.
#
# Takes 1-3 minutes: Samba's deadtime is counted in minutes and smbd only
# checks it on its housekeeping timer.
#
# Ends with "N passed, N failed"; exit 1 on any failure.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}

# shellcheck source=tests/testlib.sh
. "$top_srcdir/tests/testlib.sh"

# shellcheck source=tests/smb/gw-helpers.sh
. "$top_srcdir/tests/smb/gw-helpers.sh"
gw_preflight

gw_workdir deadtime

# deadtime = 1: smbd closes a connection idle for a minute with no open files.
SMBD_EXTRA_GLOBAL="deadtime = 1" smbd_fixture_start "$WORK/smbd" || { echo "0 passed, 1 failed"; exit 1; }
DATA=$SMBD_DIR/shares/data

gw_endpoints

# echo_interval 600: our own keepalive stays out of the way of smbd's deadtime.
cat >"$WORK/gw.json" <<EOF2
{
  "daemon": { "log_level": "info" },
  "instances": [
    { "name": "smb", "plugin": "smb", "config": {
      "servers": [ { "name": "fx", "host": "127.0.0.1", "port": $SMBD_PORT,
                     "user": "$SMBD_USER", "password_file": "$SMBD_PASSWORD_FILE",
                     "echo_interval": 600, "connect_timeout": 3, "request_timeout": 10,
                     "reconnect_delay_min_ms": 20, "reconnect_delay_max_ms": 250 } ],
      "shares": [ { "name": "t0", "server": "fx", "share": "data", "recovery": "hard" } ] } },
    { "name": "webdav", "plugin": "webdav", "config": {
      "listen": [ "127.0.0.1:$WPORT" ], "allow_anonymous_loopback": true,
      "exports": [ { "share": "t0", "path": "/t0" } ] } },
    { "name": "api", "plugin": "api", "config": {
      "listen": [ "127.0.0.1:$APORT" ], "tokens_file": "$WORK/tokens" } }
  ]
}
EOF2

sha() { sha256sum "$1" | cut -d' ' -f1; }

head -c $((1 << 20)) /dev/urandom >"$DATA/f"
chown "$SMBD_USER" "$DATA/f"
SUM=$(sha "$DATA/f")

gw_start "$WORK/gw.json"
if wait_all_good 20; then
        ok "gatewayd up: every channel, session and tcon good"
else
        nok "gatewayd up: every channel, session and tcon good"
        api "$API/health"
        tail -20 "$WORK/gw.log"
        finish
fi

# One read through WebDAV: the tree has been used.
code=$(curl -s -o "$WORK/get0" -w '%{http_code}' "$DAV/t0/f")
check "GET /t0/f before the idle period: HTTP 200 (got $code)" test "$code" = 200
check "GET /t0/f before the idle period: sha256 matches" test "$(sha "$WORK/get0")" = "$SUM"
gen0=$(detail channel smb.fx '["generation"]')
echo "# channel smb.fx generation $gen0; now idle until smbd's deadtime closes the connection"

# Idle: no request from us; wait for smbd to close the connection and for
# gatewayd to reconnect on its own.
t=0
gen=$gen0
while [ "$t" -lt 300 ]; do
        sleep 1
        t=$((t + 1))
        gen=$(detail channel smb.fx '["generation"]')
        [ -n "$gen" ] && [ "$gen" -gt "$gen0" ] 2>/dev/null && break
done
echo "# generation $gen0 -> $gen after $t s idle"
reconnected() { [ -n "$gen" ] && [ "$gen" -gt "$gen0" ] 2>/dev/null; }
check "Samba's deadtime closed the idle connection and gatewayd reconnected (after $t s)" reconnected

msg=$(detail channel smb.fx '["last_error"]["message"]')
echo "# channel last_error: $msg"
grep -i "closed by the server" "$WORK/gw.log" | head -5 | sed 's/^/# log: /'
closed_by_peer() {
        case $msg in *"closed by the server (end of stream)"*) return 0 ;; esac
        grep -q "connection closed by the server (end of stream)" "$WORK/gw.log"
}
check "the channel saw an orderly close by the server (end of stream; last_error or log)" closed_by_peer

# The next request goes through transparently.
code=$(curl -s -o "$WORK/get1" -w '%{http_code}' "$DAV/t0/f")
check "GET /t0/f after the deadtime close: HTTP 200 (got $code)" test "$code" = 200
check "GET /t0/f after the deadtime close: sha256 matches" test "$(sha "$WORK/get1")" = "$SUM"
check "every channel, session and tcon good" wait_all_good 20

gw_stop_checked
finish
