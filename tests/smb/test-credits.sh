#!/bin/bash
# SPDX-License-Identifier: MIT
#
# A server that grants few credits ("smb2 max credits" in smb.conf), against
# the fixture's real smbd, no proxy.  A request charged more credits than the
# server ever lets us hold would wait for them forever (MS-SMB2 3.2.4.1.5), so
# the client sizes READs and WRITEs by the credits it has seen granted, and a
# path operation's compound (CREATE [+ SET_INFO] + CLOSE, 2 or 3 credits) goes
# out request by request when the server grants fewer:
#
#   - gwd-smb with 1, 2 and 3 credits: a 3 MB put and get (byte-equal), stat,
#     mkdir, mv, rm, rmdir;
#   - gatewayd with 8 credits (the channel's credit_peak says so) and 40
#     concurrent WebDAV MKCOL, PROPFIND, MOVE, DELETE and GET: every answer
#     right, and requests did wait for credits (the channel's credit_waits),
#     compounds among them, as one block.
#
# Ends with "N passed, N failed"; exit 1 on any failure.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}

# shellcheck source=tests/testlib.sh
. "$top_srcdir/tests/testlib.sh"

# shellcheck source=tests/smb/gw-helpers.sh
. "$top_srcdir/tests/smb/gw-helpers.sh"
GWD_SMB=$top_builddir/plugins/smb/gwd-smb
gw_preflight "$GWD_SMB"

gw_workdir credits

G() { "$GWD_SMB" -p "$SMBD_PORT" -U "$SMBD_USER" --password-file "$SMBD_PASSWORD_FILE" \
        --timeout 20 "$@"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
head -c 3000000 /dev/urandom >"$WORK/big"

# --- gwd-smb with 1, 2 and 3 credits ----------------------------------------------------------
for m in 1 2 3; do
        SMBD_EXTRA_GLOBAL="smb2 max credits = $m" smbd_fixture_start "$WORK/smbd$m" ||
                { echo "0 passed, 1 failed"; exit 1; }
        DATA=$SMBD_DIR/shares/data
        rm -f "$WORK/back"
        G //127.0.0.1/data put "$WORK/big" big && G //127.0.0.1/data get big "$WORK/back"
        check "$m credits: 3 MB put and get" test $? = 0 -a "$(sha "$WORK/back" 2>/dev/null)" = "$(sha "$WORK/big")"
        out=$(G //127.0.0.1/data info 2>&1)
        check "$m credits: the server granted no more" grep -qE "\"credit_peak\": $m([^0-9]|\$)" <<<"$out"
        out=$(G //127.0.0.1/data stat big 2>&1)
        check "$m credits: stat" grep -q "size: 3000000" <<<"$out"
        G //127.0.0.1/data mkdir d && G //127.0.0.1/data mv big d/b && G //127.0.0.1/data rm d/b &&
                G //127.0.0.1/data rmdir d
        check "$m credits: mkdir, mv, rm, rmdir" test $? = 0 -a ! -e "$DATA/d" -a ! -e "$DATA/big"
        smbd_fixture_stop
done

# --- gatewayd with 8 credits, 40 clients at once ------------------------------------------------
SMBD_EXTRA_GLOBAL="smb2 max credits = 8" smbd_fixture_start "$WORK/smbd8" ||
        { echo "0 passed, 1 failed"; exit 1; }
DATA=$SMBD_DIR/shares/data
cp "$WORK/big" "$DATA/f" && chown "$SMBD_USER" "$DATA/f"
gw_endpoints
cat >"$WORK/gw.json" <<EOF2
{
  "daemon": { "log_level": "info" },
  "instances": [
    { "name": "smb", "plugin": "smb", "config": {
      "servers": [ { "name": "fx", "host": "127.0.0.1", "port": $SMBD_PORT,
                     "user": "$SMBD_USER", "password_file": "$SMBD_PASSWORD_FILE",
                     "request_timeout": 20 } ],
      "shares": [ { "name": "t0", "server": "fx", "share": "data" } ] } },
    { "name": "webdav", "plugin": "webdav", "config": {
      "listen": [ "127.0.0.1:$WPORT" ], "allow_anonymous_loopback": true,
      "exports": [ { "share": "t0", "path": "/t0" } ] } },
    { "name": "api", "plugin": "api", "config": {
      "listen": [ "127.0.0.1:$APORT" ], "tokens_file": "$WORK/tokens" } }
  ]
}
EOF2
gw_start "$WORK/gw.json"
check "gatewayd up: every channel, session and tcon good" wait_all_good 20

# all N concurrent: each curl prints its status; the statuses, sorted and counted
storm() { # storm CURL-ARGS (@ replaced by the client's index)
        local i pids=() args a
        for i in $(seq 40); do
                args=()
                for a in "$@"; do args+=("${a//@/$i}"); done
                curl -s -m 60 -o /dev/null -w '%{http_code}\n' "${args[@]}" >"$WORK/st.$i" &
                pids+=($!)
        done
        wait "${pids[@]}"
        cat "$WORK"/st.* | sort | uniq -c | awk '{ printf "%s%sx%s", sep, $1, $2; sep = " " }'
        rm -f "$WORK"/st.*
        echo
}
check "40 MKCOL at once: all 201" test "$(storm -X MKCOL "$DAV/t0/d@")" = "40x201"
check "40 PROPFIND Depth 0 at once: all 207" \
        test "$(storm -X PROPFIND -H 'Depth: 0' "$DAV/t0/d@")" = "40x207"
check "40 MOVE at once: all 201" \
        test "$(storm -X MOVE -H "Destination: $DAV/t0/e@" "$DAV/t0/d@")" = "40x201"
check "40 DELETE at once: all 204" test "$(storm -X DELETE "$DAV/t0/e@")" = "40x204"
check "... the share holds the file only" test "$(ls "$DATA")" = f
pids=()
for i in $(seq 8); do
        curl -s -m 60 -o "$WORK/get.$i" "$DAV/t0/f" &
        pids+=($!)
done
wait "${pids[@]}"
n=0
for i in $(seq 8); do [ "$(sha "$WORK/get.$i")" = "$(sha "$WORK/big")" ] && n=$((n + 1)); done
check "8 GETs of 3 MB at once: all byte-equal ($n)" test "$n" = 8
peak=$(detail channel smb.fx '["credit_peak"]')
waits=$(detail channel smb.fx '["credit_waits"]')
echo "# channel smb.fx: credit_peak $peak, credit_waits $waits"
check "the channel never held more than 8 credits" test "$peak" -le 8
check "requests waited for credits (the case under test happened)" test "$waits" -gt 0

gw_stop_checked
finish
