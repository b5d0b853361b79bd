# shellcheck shell=bash
# gw-helpers.sh -- helpers for the tests that drive a running gatewayd
# through its admin API (test-reconnect.sh, test-multichannel.sh).
# Source it from bash after tests/testlib.sh, with top_builddir set; set
# API (the API base URL, e.g. http://127.0.0.1:PORT/api/v1), TOKEN (a bearer
# token), APORT and WORK before using them.  It runs nothing.
#
#   gw_workdir NAME            WORK=/tmp/gwd-NAME.XXXXXX (smbd's test user can
#                              reach it), GW_PID and PIDS empty, and on exit (or
#                              HUP/INT/TERM) gw_cleanup: gw_cleanup_extra if the
#                              test defines it, then PIDS killed, gatewayd, the
#                              proxy (if one runs) and smbd stopped, WORK removed
#                              unless KEEP is set
#   gw_preflight [FILE...]     root, the daemon, the smb/webdav/api plugins and
#                              FILEs built; else "0 passed, 1 failed", exit 1
#   gw_endpoints               pick WPORT (WebDAV) and APORT (API), make an
#                              admin TOKEN in $WORK/tokens; set API and DAV
#   gw_start CONFIG            start gatewayd (GW_PID; log appended to
#                              $WORK/gw.log), wait until /healthz on APORT answers
#   gw_check_log               checks: no BUG line, no sanitizer report (the
#                              report is printed as comments)
#   gw_stop_checked            SIGTERM, wait; checks exit 0, then gw_check_log
#   free_port                  a free TCP port on 127.0.0.1
#   api CURL-ARGS...           curl with the token
#   jget FILE|- EXPR           a Python expression over the JSON `j`
#   state KIND ID              the object's state
#   detail KIND ID '["k"]...'  one of its details
#   all_good                   every channel, session and tcon good
#   wait_all_good SECONDS      ... within SECONDS
#   wait_state KIND ID STATE SECONDS

# shellcheck source=tests/smb/smbd-fixture.sh
. "$top_srcdir/tests/smb/smbd-fixture.sh"

GATEWAYD=$top_builddir/gatewayd/gatewayd
PLUGIN_PATH=$top_builddir/plugins/smb/.libs:$top_builddir/plugins/webdav/.libs:$top_builddir/plugins/api/.libs

gw_cleanup() {
        local p
        if declare -F gw_cleanup_extra >/dev/null; then gw_cleanup_extra; fi
        for p in ${PIDS:-}; do kill "$p" 2>/dev/null; done
        [ -n "${GW_PID:-}" ] && kill "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null
        if [ -n "${SMB_PROXY_PID:-}" ] && declare -F smb_proxy_stop >/dev/null; then
                smb_proxy_stop
        fi
        smbd_fixture_stop
        [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
gw_workdir() { # gw_workdir NAME
        WORK=$(mktemp -d "/tmp/gwd-$1.XXXXXX")
        chmod 755 "$WORK"       # smbd's test user must reach the shares below it
        GW_PID=
        PIDS=
        trap gw_cleanup EXIT
        trap 'exit 129' HUP
        trap 'exit 130' INT
        trap 'exit 143' TERM
}
gw_preflight() {
        local b
        if [ "$(id -u)" != 0 ]; then
                echo "needs root (the Samba fixture switches to a test user)"
                echo "0 passed, 1 failed"
                exit 1
        fi
        for b in "$GATEWAYD" "$top_builddir/plugins/smb/.libs/smb.so" \
                "$top_builddir/plugins/webdav/.libs/webdav.so" \
                "$top_builddir/plugins/api/.libs/api.so" "$@"; do
                if [ ! -e "$b" ]; then
                        echo "missing $b (build first)"
                        echo "0 passed, 1 failed"
                        exit 1
                fi
        done
}
gw_endpoints() {
        WPORT=$(free_port)
        APORT=$(free_port)
        TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
        printf 'admin drills %s\n' "$TOKEN" >"$WORK/tokens"
        chmod 600 "$WORK/tokens"
        API=http://127.0.0.1:$APORT/api/v1
        DAV=http://127.0.0.1:$WPORT
}
gw_start() { # gw_start CONFIG
        local i=0
        GWD_PLUGIN_DIR="$PLUGIN_PATH" "$GATEWAYD" -f -c "$1" >>"$WORK/gw.log" 2>&1 &
        GW_PID=$!
        until curl -s -o /dev/null "http://127.0.0.1:$APORT/healthz"; do
                i=$((i + 1))
                [ $i -lt 100 ] || return 1
                sleep 0.1
        done
}
gw_check_log() {
        check "gatewayd log has no BUG line" bash -c '! grep -q "BUG" "$1"' _ "$WORK/gw.log"
        if grep -q "Sanitizer\|runtime error" "$WORK/gw.log"; then
                nok "gatewayd log has no sanitizer report"
                # Show the report itself: CI keeps only the test's output.
                grep -n -A40 "ERROR: .*Sanitizer\|runtime error" "$WORK/gw.log" | head -80 |
                        sed 's/^/# /'
        else
                ok "gatewayd log has no sanitizer report"
        fi
}
gw_stop_checked() {
        local rc
        kill -TERM "$GW_PID"
        wait "$GW_PID"
        rc=$?
        GW_PID=
        check "gatewayd stops cleanly (exit $rc)" test $rc = 0
        gw_check_log
}

free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
api() { curl -s -m 60 -H "Authorization: Bearer $TOKEN" "$@"; }
# jget JSONFILE-or-- EXPR: python expression over `j`
jget() {
        python3 -c 'import json,sys
j=json.load(open(sys.argv[1]) if sys.argv[1] != "-" else sys.stdin)
v=eval(sys.argv[2])
print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$@"
}
state() { api "$API/$1s/$2" | jget - 'j["state"]'; }
detail() { api "$API/$1s/$2" | jget - "j['details']$3"; }
# Every channel, session and tcon good (other kinds, e.g. the webdav server, do not count).
all_good() {
        [ "$(api "$API/health" | jget - 'all(set(j["kinds"].get(k, {"x": 1})) == {"good"} for k in ("channel", "session", "tcon"))')" = true ]
}
wait_all_good() { # wait_all_good SECONDS
        local i=0
        while [ $i -lt $(($1 * 10)) ]; do
                all_good && return 0
                sleep 0.1
                i=$((i + 1))
        done
        return 1
}
wait_state() { # wait_state KIND ID STATE SECONDS
        local i=0
        while [ $i -lt $(($4 * 10)) ]; do
                [ "$(state "$1" "$2")" = "$3" ] && return 0
                sleep 0.1
                i=$((i + 1))
        done
        return 1
}
wait_for() { # wait_for SECONDS COMMAND [ARGS...]: until COMMAND succeeds
        local i=0 n=$(($1 * 10))
        shift
        while [ $i -lt $n ]; do
                "$@" && return 0
                sleep 0.1
                i=$((i + 1))
        done
        return 1
}
