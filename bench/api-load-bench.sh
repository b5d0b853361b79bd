#!/bin/bash
# SPDX-License-Identifier: MIT
#
# API load vs. SMB data path (issue 5): ONE gatewayd process runs
#   - testobj publishing 1,000 tcons (10 servers x 10 sessions x 10 tcons),
#   - smb with one server (the fixture's smbd on 127.0.0.1) and one share on
#     `data`, exported by webdav,
#   - api with a tokens file,
# so that the admin API and the SMB data path share one event loop.
# A SIZE_MB (512) MiB random file is put in the share; RUNS (5) rounds then
# download it once per condition through WebDAV with curl:
#   base     no API load;
#   one      wrk on GET /api/v1/tcons/{id} (THREADS 2, CONNS 32, as
#            bench/api-bench.sh);
#   list     wrk on the full listing GET /api/v1/tcons (THREADS 2, LIST_CONNS 4);
#   control  (CONTROL=1, default) wrk as in `one` against a SECOND gatewayd
#            (testobj + api only): only the machine's CPUs are shared, not the
#            event loop, so one vs. control is what sharing the loop costs and
#            control vs. base is the benchmark client competing for the CPUs.
# wrk starts WRK_LEAD (0.5) s before the download and is stopped with SIGINT
# right after it, so it runs for the whole download.  The order of the
# conditions rotates from round to round, so that the drift of a shared
# machine's load hits them alike.
# Printed: per round the MiB/s (and wrk's requests/s), then per condition the
# median MiB/s, the loss against the baseline's median, wrk's requests/s over
# the downloads, and gatewayd's CPU use meanwhile (% of one core, from /proc).
# Goal: loss < 10% under each API load (one, list).
#
#   bench/api-load-bench.sh [BUILD_DIR]      (as root: the smbd fixture)
#   environment: RUNS=5 SIZE_MB=512 THREADS=2 CONNS=32 LIST_CONNS=4 CONTROL=1
#                WRK_LEAD=0.5
#
# BUILD_DIR needs gatewayd, the smb, webdav and api plugins and the test
# plugin testobj (`make tests/plugins/testobj.la`, it is a check library).
# Use a build without --enable-sanitizers for meaningful numbers.
set -eu
# LISTING_CACHE_MS: the api plugin's listing_cache_ms (default 250, its
# default; 0 measures every listing serialized afresh).
LISTING_CACHE_MS=${LISTING_CACHE_MS:-250}

top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-.}" && pwd)
RUNS=${RUNS:-5}
SIZE_MB=${SIZE_MB:-512}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
LIST_CONNS=${LIST_CONNS:-4}
CONTROL=${CONTROL:-1}
WRK_LEAD=${WRK_LEAD:-0.5}

command -v wrk >/dev/null || { echo "api-load-bench: wrk is needed (apt-get install wrk)"; exit 77; }
command -v smbd >/dev/null || { echo "api-load-bench: smbd is needed (apt-get install samba)"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "api-load-bench: needs root (the smbd fixture)"; exit 77; }
for f in "$B/gatewayd/gatewayd" "$B/plugins/smb/.libs/smb.so" "$B/plugins/webdav/.libs/webdav.so" \
        "$B/plugins/api/.libs/api.so" "$B/tests/plugins/.libs/testobj.so"; do
        [ -e "$f" ] || { echo "api-load-bench: missing $f (build first;" \
                "make tests/plugins/testobj.la)" >&2; exit 1; }
done
if grep -q '^SAN_CFLAGS = -f' "$B/Makefile" 2>/dev/null; then
        echo "api-load-bench: warning: $B is built with sanitizers; numbers are not meaningful" >&2
fi

T=$(mktemp -d /tmp/gwd-apiload.XXXXXX)
chmod 755 "$T"          # smbd runs as $SMBD_USER and has to reach $T/smbd/shares
GW_PID=
CTL_PID=
WRK_PID=
FIXTURE=
cleanup() {
        # no set -e here: a killed child's status must not cut the clean-up short
        set +e
        for p in $WRK_PID $CTL_PID $GW_PID; do
                kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
        done
        [ -n "$FIXTURE" ] && smbd_fixture_stop
        rm -rf "$T"
}
# shellcheck source=tests/smb/smbd-fixture.sh
. "$top_srcdir/tests/smb/smbd-fixture.sh"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

FIXTURE=1
smbd_fixture_start "$T/smbd" >/dev/null 2>"$T/fixture.err" || { cat "$T/fixture.err" >&2; exit 1; }
BYTES=$((SIZE_MB << 20))
head -c "$BYTES" /dev/urandom > "$SMBD_DIR/shares/data/big.bin"
chown "$SMBD_USER" "$SMBD_DIR/shares/data/big.bin"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
WPORT=$(port)
APORT=$(port)
TOKEN=BenchBenchBench0123456789
printf 'read bench %s\n' "$TOKEN" > "$T/tokens"
TESTOBJ='{ "name": "objs", "plugin": "testobj",
      "config": { "servers": 10, "sessions_per_server": 10, "tcons_per_session": 10 } }'
cat > "$T/gw.json" <<JSON
{ "daemon": { "log_level": "warning" },
  "instances": [
    $TESTOBJ,
    { "name": "smb", "plugin": "smb", "config": {
        "servers": [ { "name": "fx", "host": "127.0.0.1", "port": $SMBD_PORT,
                       "user": "$SMBD_USER", "password_file": "$SMBD_PASSWORD_FILE",
                       "signing": "off", "encryption": "off" } ],
        "shares": [ { "name": "bench", "server": "fx", "share": "data" } ] } },
    { "name": "dav", "plugin": "webdav",
      "config": { "listen": [ "127.0.0.1:$WPORT" ], "allow_anonymous_loopback": true,
                  "exports": [ { "share": "bench" } ] } },
    { "name": "api", "plugin": "api",
      "config": { "listen": [ "127.0.0.1:$APORT" ], "tokens_file": "$T/tokens",
                  "max_connections": 512, "listing_cache_ms": $LISTING_CACHE_MS } } ] }
JSON
GWD_PLUGIN_DIR=$B/plugins/smb/.libs:$B/plugins/webdav/.libs:$B/plugins/api/.libs:$B/tests/plugins/.libs \
        "$B/gatewayd/gatewayd" -f -c "$T/gw.json" > "$T/gw.log" 2>&1 &
GW_PID=$!
U=http://127.0.0.1:$WPORT/bench/big.bin
A=http://127.0.0.1:$APORT/api/v1
AUTH="Authorization: Bearer $TOKEN"
ready=
for _ in $(seq 300); do
        kill -0 "$GW_PID" 2>/dev/null || break
        if [ "$(curl -s -o /dev/null -w '%{http_code}' -I "$U")" = 200 ] &&
                curl -sf -o /dev/null "http://127.0.0.1:$APORT/healthz"; then
                ready=1
                break
        fi
        sleep 0.1
done
[ -n "$ready" ] || { echo "api-load-bench: gatewayd did not get ready" >&2; cat "$T/gw.log" >&2; exit 1; }
NTCONS=$(curl -s -H "$AUTH" "$A/tcons" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
ONE=srv5.s5.t5
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" "$A/tcons/$ONE")" = 200 ] ||
        { echo "api-load-bench: no tcon $ONE" >&2; exit 1; }
LISTING_BYTES=$(curl -s -H "$AUTH" "$A/tcons" | wc -c)

if [ "$CONTROL" = 1 ]; then
        CPORT=$(port)
        cat > "$T/ctl.json" <<JSON
{ "daemon": { "log_level": "warning" },
  "instances": [
    $TESTOBJ,
    { "name": "api", "plugin": "api",
      "config": { "listen": [ "127.0.0.1:$CPORT" ], "tokens_file": "$T/tokens",
                  "max_connections": 512, "listing_cache_ms": $LISTING_CACHE_MS } } ] }
JSON
        GWD_PLUGIN_DIR=$B/plugins/api/.libs:$B/tests/plugins/.libs \
                "$B/gatewayd/gatewayd" -f -c "$T/ctl.json" > "$T/ctl.log" 2>&1 &
        CTL_PID=$!
        for _ in $(seq 100); do
                curl -sf -o /dev/null "http://127.0.0.1:$CPORT/healthz" && break
                sleep 0.1
        done
        curl -sf -o /dev/null -H "$AUTH" "http://127.0.0.1:$CPORT/api/v1/tcons/$ONE" ||
                { echo "api-load-bench: control gatewayd did not start" >&2; cat "$T/ctl.log" >&2; exit 1; }
fi

echo "# gatewayd API load vs. SMB read: $(date -u +%F), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# build $B; smbd $(smbd -V 2>/dev/null | head -1) on 127.0.0.1:$SMBD_PORT (signing, encryption off)"
echo "# one gatewayd (pid $GW_PID, $(find /proc/$GW_PID/task -mindepth 1 -maxdepth 1 | wc -l) threads): testobj ($NTCONS tcons" \
     "with the smb one) + smb + webdav + api; file ${SIZE_MB} MiB; $RUNS rounds"

cpu_ticks() { # utime + stime of a process, in clock ticks
        awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}
th() { echo $(( THREADS < $1 ? THREADS : $1 )); }    # wrk threads for $1 connections
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# measure NAME [CONNS URL]: one download, while wrk runs against URL when
# given (started WRK_LEAD seconds before the download, stopped with SIGINT
# right after it: wrk then reports over the time it actually ran).  Appends
# MiB/s to $T/NAME.mibs, "gatewayd_ticks control_ticks seconds" to
# $T/NAME.cpu and "requests seconds" (wrk) to $T/NAME.req; sets $last.
measure() {
        local name=$1 out c0 c1 k0=0 k1=0 t0 t1 code size speed
        if [ $# -gt 1 ]; then
                # (wrk wants at least one connection per thread)
                wrk -t"$(th "$2")" -c"$2" -d600s -H "$AUTH" "$3" > "$T/wrk.out" 2>&1 &
                WRK_PID=$!
                sleep "$WRK_LEAD"
                kill -0 "$WRK_PID" 2>/dev/null ||
                        { echo "api-load-bench: wrk failed" >&2; cat "$T/wrk.out" >&2; exit 1; }
        fi
        c0=$(cpu_ticks "$GW_PID")
        [ -n "$CTL_PID" ] && k0=$(cpu_ticks "$CTL_PID")
        t0=$(date +%s.%N)
        out=$(curl -s -o /dev/null -w '%{http_code} %{size_download} %{speed_download}' "$U")
        t1=$(date +%s.%N)
        c1=$(cpu_ticks "$GW_PID")
        [ -n "$CTL_PID" ] && k1=$(cpu_ticks "$CTL_PID")
        read -r code size speed <<< "$out"
        if [ "$code" != 200 ] || [ "$size" != "$BYTES" ]; then
                echo "api-load-bench: download failed: $out" >&2
                exit 1
        fi
        last=$(awk -v s="$speed" 'BEGIN { printf "%.1f", s / 1048576 }')
        echo "$last" >> "$T/$name.mibs"
        echo "$((c1 - c0)) $((k1 - k0)) $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" >> "$T/$name.cpu"
        [ $# -gt 1 ] || return 0
        kill -INT "$WRK_PID"
        wait "$WRK_PID" || true
        WRK_PID=
        # "  123456 requests in 1.53s, 45.6MB read" (wrk's units: us ms s m h)
        awk '/ requests in / { t = $4; sub(/,$/, "", t); f = 1
                if (t ~ /us$/) f = 1e-6; else if (t ~ /ms$/) f = 1e-3
                else if (t ~ /m$/) f = 60; else if (t ~ /h$/) f = 3600
                sub(/[a-z]+$/, "", t); print $1, t * f; n = 1 }
             END { exit !n }' "$T/wrk.out" >> "$T/$name.req" ||
                { echo "api-load-bench: no wrk result" >&2; cat "$T/wrk.out" >&2; exit 1; }
        if grep -q 'Non-2xx\|Socket errors' "$T/wrk.out"; then
                echo "api-load-bench: wrk saw errors:" >&2
                grep 'Non-2xx\|Socket errors' "$T/wrk.out" >&2
        fi
        last="$last ($(tail -1 "$T/$name.req" | awk '{ printf "%.0f", $1 / $2 }') req/s)"
}

CONDS="base one list"
[ "$CONTROL" = 1 ] && CONDS="$CONDS control"
NCONDS=$(wc -w <<< "$CONDS")
run_cond() {
        case $1 in
        base)   measure base ;;
        one)    measure one "$CONNS" "$A/tcons/$ONE" ;;
        list)   measure list "$LIST_CONNS" "$A/tcons" ;;
        control) measure control "$CONNS" "http://127.0.0.1:$CPORT/api/v1/tcons/$ONE" ;;
        esac
}

curl -s -o /dev/null "$U"          # warm up: smbd's page cache, connections
# Rounds: every condition once per round, the order rotated from round to
# round, so that drift of a shared machine's load hits all conditions alike.
read -r -a conds <<< "$CONDS"
for r in $(seq "$RUNS"); do
        line="round $r:"
        for k in $(seq 0 $((NCONDS - 1))); do
                c=${conds[$(( (r - 1 + k) % NCONDS ))]}
                run_cond "$c"
                line="$line $c $last,"
        done
        echo "${line%,} MiB/s"
done

BASE=$(median < "$T/base.mibs")
loss() { awk -v b="$BASE" -v x="$(median < "$T/$1.mibs")" 'BEGIN { printf "%.1f", (b - x) / b * 100 }'; }
rps() { awk '{ n += $1; t += $2 } END { printf "%.0f", n / t }' "$T/$1.req"; }
cpu() { # cpu NAME FIELD(1 gatewayd, 2 control): % of one core during the downloads
        awk -v f="$2" -v hz="$(getconf CLK_TCK)" '{ c += $f; t += $3 } END { printf "%.0f%%", c / hz / t * 100 }' "$T/$1.cpu"
}
echo
echo "== summary: median MiB/s of $RUNS downloads of ${SIZE_MB} MiB through WebDAV -> SMB per condition"
printf '%-52s %9s %10s %7s %7s\n' "condition" "API req/s" "SMB MiB/s" "loss %" "gw CPU"
printf '%-52s %9s %10s %7s %7s\n' "baseline, no API load" - "$BASE" - "$(cpu base 1)"
row() { # row NAME LABEL
        printf '%-52s %9s %10s %7s %7s\n' "$2" "$(rps "$1")" "$(median < "$T/$1.mibs")" \
                "$(loss "$1")" "$(cpu "$1" 1)"
}
row one "wrk -t$(th "$CONNS") -c$CONNS GET /api/v1/tcons/$ONE"
row list "wrk -t$(th "$LIST_CONNS") -c$LIST_CONNS GET /api/v1/tcons ($NTCONS, $LISTING_BYTES B)"
if [ "$CONTROL" = 1 ]; then
        row control "control: wrk as above on a 2nd gatewayd"
        echo "(control: the API load goes to a second gatewayd (testobj + api, $(cpu control 2) CPU);" \
             "only the CPUs are shared, not the event loop)"
fi
echo "(gw CPU: the gatewayd serving the download, % of one core while it ran)"
fail=0
for n in one list; do
        awk -v l="$(loss $n)" 'BEGIN { exit !(l >= 10) }' && fail=1
done
if [ "$fail" = 0 ]; then
        echo "goal: loss < 10% under API load: met"
else
        echo "goal: loss < 10% under API load: NOT met"
fi
