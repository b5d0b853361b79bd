#!/bin/sh
# demo-smbd.sh -- a private Samba smbd on loopback for trying gatewayd out.
#
#   eval "$(scripts/demo-smbd.sh)"      start (or find running) and load the
#                                       connection facts into this shell
#   scripts/demo-smbd.sh env             print the facts again
#   scripts/demo-smbd.sh status          exit 0 while it runs
#   scripts/demo-smbd.sh stop            stop smbd (by PID); keep the directory
#   scripts/demo-smbd.sh clean           stop and remove the directory
#
# The directory is persistent (GWD_DEMO_DIR, default /var/tmp/gatewayd-demo):
# shares, password and, when still free, the port survive a stop/start.
# Shares: data (writable, with demo files), ro (read only), secure (encryption
# required).  User gwdtest; password in $SMBD_PASSWORD_FILE (no newline).
# Facts go to stdout as `export` lines, everything else to stderr.  Needs root.
set -u

here=$(cd "$(dirname "$0")" && pwd) || exit 1
# shellcheck source-path=SCRIPTDIR/..
# shellcheck source=tests/smb/smbd-fixture.sh
. "$here/../tests/smb/smbd-fixture.sh" || exit 1

dir=${GWD_DEMO_DIR:-/var/tmp/gatewayd-demo}
user_port=${SMBD_PORT:-}

usage() {
        echo "usage: $0 [start|stop|status|env|clean]" >&2
        exit 2
}

# Load a previous run's variables, if any; true if its smbd still runs.
load() {
        [ -f "$dir/fixture.env" ] || return 1
        smbd_fixture_load "$dir" || return 1
        smbd_fixture_running
}

start() {
        if load; then
                echo "demo smbd already running (pid $SMBD_PID)" >&2
                smbd_fixture_env
                return 0
        fi
        # load may have read a stale state file: start from the caller's
        # environment again, and reuse last run's port if nobody took it.
        SMBD_PORT=$user_port
        if [ -z "$SMBD_PORT" ] && [ -f "$dir/fixture.env" ]; then
                old=$(sed -n "s/^export SMBD_PORT='\([0-9][0-9]*\)'\$/\1/p" "$dir/fixture.env")
                if [ -n "$old" ] && [ -z "$(ss -Htan "( sport = :$old )" 2>/dev/null)" ]; then
                        SMBD_PORT=$old
                fi
        fi
        if [ -n "$SMBD_PORT" ]; then
                export SMBD_PORT
        else
                unset SMBD_PORT
        fi
        unset SMBD_DIR SMBD_PID
        # The demo outlives this shell: no watchdog, and keep the directory.
        SMBD_WATCHDOG=0 SMBD_KEEP=1
        smbd_fixture_start "$dir" || return 1

        # Demo files go in through SMB, so they also prove the setup works.
        tmp=$(mktemp -d /tmp/gwd-demo.XXXXXX) || return 1
        printf 'Hello from the gatewayd demo share.\n' >"$tmp/hello.txt"
        seq 1 100000 >"$tmp/numbers.txt"
        head -c 4194304 /dev/urandom >"$tmp/random-4MiB.bin"
        if ! (cd "$tmp" && smbd_fixture_smbclient data --client-protection=sign \
                -c 'put hello.txt; put numbers.txt; put random-4MiB.bin' >"$tmp/out" 2>&1); then
                cat "$tmp/out" >&2
                rm -rf "$tmp"
                echo "demo: putting the demo files failed" >&2
                return 1
        fi
        rm -rf "$tmp"
        echo "demo smbd: //$SMBD_HOST:$SMBD_PORT/{data,ro,secure} user $SMBD_USER," \
                "password in $SMBD_PASSWORD_FILE; stop: $0 stop" >&2
        smbd_fixture_env
}

case ${1:-start} in
start)
        start || exit 1
        ;;
env)
        if ! load; then
                echo "demo smbd is not running" >&2
                exit 1
        fi
        smbd_fixture_env
        ;;
status)
        if load; then
                echo "demo smbd running: pid $SMBD_PID, $SMBD_HOST:$SMBD_PORT, $SMBD_DIR" >&2
        else
                echo "demo smbd is not running" >&2
                exit 1
        fi
        ;;
stop | clean)
        if [ -f "$dir/fixture.env" ] && smbd_fixture_load "$dir"; then
                if [ "$1" = clean ]; then
                        # The fixture removes the directory only if it created it.
                        SMBD_KEEP=0
                        smbd_fixture_stop || exit 1
                        [ ! -e "$dir" ] || exit 1
                else
                        SMBD_KEEP=1
                        smbd_fixture_stop || exit 1
                fi
                echo "demo smbd stopped" >&2
        else
                echo "demo smbd is not running" >&2
        fi
        ;;
*)
        usage
        ;;
esac
