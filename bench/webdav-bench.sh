#!/bin/bash
# SPDX-License-Identifier: MIT
# WebDAV/HTTP throughput of gatewayd.
#
# Default mode, against the mem backend:
#   - PUT and GET of one large file (curl, best of RUNS),
#   - peak RSS of gatewayd during 1 and during 16 concurrent large GETs,
#   - 4 KiB GETs with 64 concurrent clients (wrk, or parallel curl).
# --smb mode (as root), against a private loopback smbd (tests/smb/smbd-fixture.sh):
#   - GET and PUT of one large file through gatewayd (curl -> webdav -> smb
#     plugin -> smbd) side by side with `smbclient get/put` of the same file
#     to the same smbd in the same run (no signing, no encryption on either
#     side), median and best of RUNS with alternating order, MiB/s and the
#     ratio gatewayd/smbclient of each (the best run is the one without
#     this VM's noise: see bench/smb-bench.sh), and gatewayd's peak RSS
#     (both write a new file each time after deleting the old one; the
#     gateway runs with its default flush_uploads=false, so neither side
#     FLUSHes), and the CPU seconds per GiB of every process of each side
#     (curl, gatewayd, smbd vs smbclient, smbd): on a small machine their
#     sum, not any one process, limits the run; then PARALLEL concurrent
#     GETs of that file and 4 KiB GETs from CLIENTS clients, through SMB.
# Usage: bench/webdav-bench.sh [--smb] [BUILDDIR]   (environment: SIZE_MB=1024,
#        RUNS=3, CLIENTS=64, DURATION=10, PARALLEL=16; --smb only: DIRS, the
#        parts to run, default "PUT GET PARALLEL SMALL", and PER_RUN=1 to
#        print every PUT and GET run)
# Use a build without --enable-sanitizers for meaningful numbers.
set -eu

MODE=mem
if [ "${1:-}" = --smb ]; then
        MODE=smb
        shift
fi
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
BUILDDIR=$(cd "${1:-.}" && pwd)
SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-3}
CLIENTS=${CLIENTS:-64}
DURATION=${DURATION:-10}
PARALLEL=${PARALLEL:-16}
GATEWAYD=$BUILDDIR/gatewayd/gatewayd
[ -x "$GATEWAYD" ] || { echo "no $GATEWAYD: build first" >&2; exit 1; }
if grep -q '^SAN_CFLAGS = -f' "$BUILDDIR/Makefile" 2>/dev/null; then
        echo "webdav-bench: warning: $BUILDDIR is built with sanitizers; numbers are not meaningful" >&2
fi

T=$(mktemp -d /tmp/webdav-bench.XXXXXX)
DPID=
FIXTURE=
cleanup() {
        [ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
        [ -n "$FIXTURE" ] && smbd_fixture_stop
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_gatewayd PLUGIN_DIRS: start it on $T/gw.json, set DPID and PORT
start_gatewayd() {
        GWD_PLUGIN_DIR=$1 "$GATEWAYD" -f -c "$T/gw.json" > "$T/log" 2>&1 &
        DPID=$!
        for _ in $(seq 100); do
                grep -q "port [0-9]" "$T/log" &&
                        { [ "$MODE" = mem ] || grep -q ': good: ' "$T/log"; } && break
                sleep 0.1
        done
        PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:0 (port \([0-9]*\)).*/\1/p' "$T/log" | head -1)
        [ -n "$PORT" ] || { cat "$T/log"; exit 1; }
}

rss() { awk '/^VmRSS/ {print $2}' /proc/$DPID/status; }
mbps() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }
best() { sort -n | tail -1; }
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

# concurrent_gets NAME BASE_RSS_KB WHAT: PARALLEL concurrent GETs of $U/NAME,
# total MiB/s and gatewayd's peak RSS against BASE_RSS_KB
concurrent_gets() {
        local start end total peak pids=()
        start=$(date +%s.%N)
        for _ in $(seq "$PARALLEL"); do
                curl -s -o /dev/null "$U/$1" &
                pids+=($!)
        done
        peak=$(sample_rss "${pids[@]}")
        wait "${pids[@]}"
        end=$(date +%s.%N)
        total=$(awk -v s="$start" -v e="$end" -v n="$PARALLEL" -v m="$SIZE_MB" \
                'BEGIN { printf "%.0f", n * m / (e - s) }')
        echo "$PARALLEL concurrent GETs of ${SIZE_MB} MiB: $total MiB/s total," \
             "peak RSS $((peak / 1024)) MiB (+$(( (peak - $2) / 1024 )) MiB $3)"
}

# small_gets: 4 KiB GETs from CLIENTS concurrent clients
small_gets() {
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
}

if [ "$MODE" = smb ]; then
        [ "$(id -u)" = 0 ] || { echo "webdav-bench --smb: needs root (the smbd fixture)" >&2; exit 1; }
        if ! command -v smbclient >/dev/null || [ ! -x /usr/bin/time ]; then
                echo "webdav-bench --smb: needs smbclient and /usr/bin/time (apt-get install smbclient time)" >&2
                exit 1
        fi
        [ -e "$BUILDDIR/plugins/smb/.libs/smb.so" ] || { echo "no smb plugin in $BUILDDIR" >&2; exit 1; }
        # shellcheck source=tests/smb/smbd-fixture.sh
        . "$top_srcdir/tests/smb/smbd-fixture.sh"
        FIXTURE=1
        smbd_fixture_start >/dev/null 2>"$T/fixture.err" || { cat "$T/fixture.err" >&2; exit 1; }
        SHARE=$SMBD_DIR/shares/data
        cat > "$T/gw.json" <<CONF
{ "daemon": { "log_level": "info" },
  "instances": [
    { "name": "smb", "plugin": "smb", "config": {
        "servers": [ { "name": "fx", "host": "127.0.0.1", "port": $SMBD_PORT,
                       "user": "$SMBD_USER", "password_file": "$SMBD_PASSWORD_FILE",
                       "signing": "off", "encryption": "off" } ],
        "shares": [ { "name": "bench", "server": "fx", "share": "data" } ] } },
    { "name": "dav", "plugin": "webdav",
      "config": { "listen": [ "127.0.0.1:0" ], "allow_anonymous_loopback": true,
                  "max_connections": 512,
                  "exports": [ { "share": "bench" } ] } } ] }
CONF
        start_gatewayd "$BUILDDIR/plugins/smb/.libs:$BUILDDIR/plugins/webdav/.libs"
        U=http://127.0.0.1:$PORT/bench
        SMBC=(smbclient "//$SMBD_HOST/data" -p "$SMBD_PORT" -s "$SMBD_CLIENT_CONF"
              -A "$SMBD_AUTH_FILE" --client-protection=off)
        echo "# gatewayd webdav -> smb benchmark: $(date -u +%F), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
        echo "# smbd $(smbd -V 2>/dev/null | head -1) on 127.0.0.1:$SMBD_PORT, share dir $SHARE"
        head -c $((SIZE_MB << 20)) /dev/urandom > "$T/big"
        BYTES=$((SIZE_MB << 20))
        # timed CMD...: a command that must succeed: wall seconds in $secs,
        # CPU seconds (user + sys) of the command in $ccpu, of gatewayd in
        # $gcpu and of the fixture's smbd processes in $scpu.  On 2 cores the
        # three add up to what limits the run: see docs/webdav.md.
        gwd_ticks() { awk '{ print $14 + $15 }' "/proc/$DPID/stat"; }
        timed() {
                local t0 t1 g0 s0 tck
                sync
                g0=$(gwd_ticks)
                s0=$(smbd_fixture_cpu_ticks)
                t0=$(date +%s.%N)
                /usr/bin/time -f '%U %S' -o "$T/time.out" "$@" > "$T/cmd.out" 2>&1 ||
                        { echo "failed: $*" >&2; cat "$T/cmd.out" >&2; exit 1; }
                t1=$(date +%s.%N)
                sleep 0.3       # smbd reaps smbclient's connection: its CPU into cutime
                tck=$(getconf CLK_TCK)
                secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
                ccpu=$(awk '{ print $1 + $2 }' "$T/time.out")
                gcpu=$(awk -v a="$g0" -v b="$(gwd_ticks)" -v t="$tck" 'BEGIN { print (b - a) / t }')
                scpu=$(awk -v a="$s0" -v b="$(smbd_fixture_cpu_ticks)" -v t="$tck" 'BEGIN { print (b - a) / t }')
        }
        # curl --fail: an HTTP error fails the run
        DAV_PUT=(curl -s --fail -T "$T/big" -o /dev/null "$U/dav.bin")
        DAV_GET=(curl -s --fail -o /dev/null "$U/dav.bin")
        median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
        DIRS=${DIRS:-PUT GET PARALLEL SMALL}
        for dir in $DIRS; do
                case $dir in PUT|GET) ;; *) continue ;; esac
                if [ "$dir" = GET ]; then
                        # GET without PUT first: each side's file, as its PUT leaves it
                        for f in dav.bin smb.bin; do
                                [ -e "$SHARE/$f" ] || install -m 644 -o "$SMBD_USER" "$T/big" "$SHARE/$f"
                        done
                fi
                for who in d s; do
                        for f in t c g s; do : > "$T/$who.$f"; done
                done
                for i in $(seq "$RUNS"); do
                        # alternate who goes first: page cache and writeback
                        # of the server would otherwise favour one side
                        if [ $((i % 2)) = 1 ]; then order="d s"; else order="s d"; fi
                        for who in $order; do
                                # Both sides write a new file, and both delete
                                # the old one just before: overwriting allocated
                                # blocks in place is cheaper for the server's file
                                # system, and on a VM with free page reporting
                                # (virtio-balloon) memory freed seconds earlier
                                # has been handed back to the host and costs 5x
                                # more to fill (dd: 0.26 s vs 1.3-1.8 s of sys
                                # time for 1 GiB).  The gateway's rename over an
                                # existing target would free the old file's page
                                # cache at the end of its run, cold by its next.
                                if [ $dir = PUT ] && [ $who = d ]; then
                                        rm -f "$SHARE/dav.bin"
                                        timed "${DAV_PUT[@]}"
                                elif [ $dir = PUT ]; then
                                        rm -f "$SHARE/smb.bin"
                                        timed "${SMBC[@]}" -c "put $T/big smb.bin"
                                elif [ $who = d ]; then
                                        timed "${DAV_GET[@]}"
                                else
                                        timed "${SMBC[@]}" -c "get smb.bin /dev/null"
                                fi
                                echo "$secs" >> "$T/$who.t"
                                echo "$ccpu" >> "$T/$who.c"
                                echo "$gcpu" >> "$T/$who.g"
                                echo "$scpu" >> "$T/$who.s"
                                if [ -n "${PER_RUN:-}" ]; then
                                        awk -v d="$dir" -v w="$who" -v i="$i" -v t="$secs" -v b="$BYTES" \
                                            -v c="$ccpu" -v g="$gcpu" -v s="$scpu" 'BEGIN {
                                                printf "  %s run %d %s: %5.0f MiB/s, CPU s client %.2f" \
                                                       " gatewayd %.2f smbd %.2f\n", d, i,
                                                       w == "d" ? "gatewayd " : "smbclient",
                                                       b / t / 1048576, c, g, s }'
                                fi
                        done
                done
                if [ $dir = PUT ]; then
                        cmp -s "$T/big" "$SHARE/dav.bin" ||
                                { echo "webdav-bench: the file PUT through gatewayd differs" >&2; exit 1; }
                        cmp -s "$T/big" "$SHARE/smb.bin" ||
                                { echo "webdav-bench: the file put by smbclient differs" >&2; exit 1; }
                fi
                dm=$(awk -v b="$BYTES" -v t="$(median < "$T/d.t")" 'BEGIN { printf "%.0f", b / t / 1048576 }')
                sm=$(awk -v b="$BYTES" -v t="$(median < "$T/s.t")" 'BEGIN { printf "%.0f", b / t / 1048576 }')
                db=$(awk -v b="$BYTES" -v t="$(sort -g "$T/d.t" | head -1)" 'BEGIN { printf "%.0f", b / t / 1048576 }')
                sb=$(awk -v b="$BYTES" -v t="$(sort -g "$T/s.t" | head -1)" 'BEGIN { printf "%.0f", b / t / 1048576 }')
                ratio=$(awk -v a="$dm" -v b="$sm" 'BEGIN { printf "%.2f", a / b }')
                bratio=$(awk -v a="$db" -v b="$sb" 'BEGIN { printf "%.2f", a / b }')
                echo "$dir ${SIZE_MB} MiB: gatewayd (WebDAV -> SMB) $dm MiB/s," \
                     "smbclient $sm MiB/s, ratio $ratio (best runs: $db vs $sb MiB/s, $bratio)"
                dc=$(median < "$T/d.c") dg=$(median < "$T/d.g") ds=$(median < "$T/d.s")
                sc=$(median < "$T/s.c") ss=$(median < "$T/s.s")
                awk -v dc="$dc" -v dg="$dg" -v ds="$ds" -v sc="$sc" -v ss="$ss" -v d="$dir" \
                    -v g="$(awk -v m="$SIZE_MB" 'BEGIN { print m / 1024 }')" 'BEGIN {
                        printf "%s CPU s per GiB (medians): curl %.2f + gatewayd %.2f + smbd %.2f = %.2f;" \
                               " smbclient %.2f + smbd %.2f = %.2f; CPU ratio smbclient/gateway %.2f\n",
                               d, dc / g, dg / g, ds / g, (dc + dg + ds) / g, sc / g, ss / g,
                               (sc + ss) / g, (sc + ss) / (dc + dg + ds) }'
        done
        echo "gatewayd peak RSS: $(awk '/^VmHWM/ { printf "%d MiB", $2 / 1024 }' /proc/$DPID/status)" \
             "(median of $RUNS runs, alternating order; wall time, smbclient including its logon)"
        case " $DIRS " in *" PARALLEL "*)
                [ -e "$SHARE/dav.bin" ] || install -m 644 -o "$SMBD_USER" "$T/big" "$SHARE/dav.bin"
                concurrent_gets dav.bin "$(rss)" "over idle" ;;
        esac
        case " $DIRS " in *" SMALL "*) small_gets ;; esac
        exit 0
fi

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
start_gatewayd "$BUILDDIR/plugins/mem/.libs:$BUILDDIR/plugins/webdav/.libs"
U=http://127.0.0.1:$PORT/bench


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

for _ in $(seq "$RUNS"); do
        curl -s -o /dev/null -w '%{speed_download}\n' "$U/big"
done | best > "$T/get"
echo "GET ${SIZE_MB} MiB: $(mbps "$(cat "$T/get")") MiB/s (best of $RUNS)"

curl -s -o /dev/null "$U/big" &
PEAK=$(sample_rss $!)
echo "RSS: $((RSS0 / 1024)) MiB idle, $((RSS1 / 1024)) MiB with the file in the mem backend," \
     "peak $((PEAK / 1024)) MiB during one GET (+$(( (PEAK - RSS1) / 1024 )) MiB)"

concurrent_gets big "$RSS1" "over the data"
curl -s -X DELETE "$U/big" >/dev/null

small_gets
