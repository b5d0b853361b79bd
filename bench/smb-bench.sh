#!/bin/bash
# SPDX-License-Identifier: MIT
#
# smb-bench.sh: 1 GiB read and write on the loopback smbd fixture with
# gwd-smb and with `smbclient get/put` of the same file in the same run,
# unencrypted (share "data", no signing on either side) and on the share
# that requires encryption ("secure"; both clients pick AES-128-GCM).
# Prints MB/s (median and best of RUNS runs), the gwd-smb/smbclient ratio of
# each, the CPU seconds (user + sys, median) of the client and of smbd (the
# fixture's processes, children reaped included) per run, and the peak RSS
# (/usr/bin/time -v) of each client.
#
# Why best as well as median: on a small VM the wall time of the same
# transfer scatters by 2-3x from run to run (perf shows smbd's copy into the
# page cache taking 5x longer in the slow runs: guest memory the host has to
# back afresh), independent of the client.  The best run is the transfer
# without that noise; the CPU seconds say what each client costs.
#
#   sudo bench/smb-bench.sh [GWD_SMB]
#
# Use a build without sanitizers (configure --disable-werror, no
# --enable-sanitizers): ASan slows everything down several times.
# Environment: SIZE_MB (default 1024), RUNS (default 3), DEPTH (gwd-smb
# --depth, default 4), MODES (default "plain encrypted"), DIRS (default
# "write read"; read reads the files written by write).
set -u

top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
GWD_SMB=${1:-${GWD_SMB:-./plugins/smb/gwd-smb}}
SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-3}
DEPTH=${DEPTH:-4}
MODES=${MODES:-plain encrypted}
DIRS=${DIRS:-write read}

if [ "$(id -u)" != 0 ]; then
        echo "smb-bench: needs root (the smbd fixture creates a user)" >&2
        exit 1
fi
if [ ! -x "$GWD_SMB" ] || [ ! -x /usr/bin/time ] || ! command -v smbclient >/dev/null; then
        echo "smb-bench: needs $GWD_SMB, /usr/bin/time and smbclient" >&2
        exit 1
fi
if nm -C "$GWD_SMB" 2>/dev/null | grep -q __asan_init || ldd "$GWD_SMB" | grep -q libasan; then
        echo "smb-bench: warning: $GWD_SMB is built with sanitizers; numbers are not meaningful" >&2
fi

WORK=$(mktemp -d /tmp/gwd-smb-bench.XXXXXX)
# shellcheck source=tests/smb/smbd-fixture.sh
. "$top_srcdir/tests/smb/smbd-fixture.sh"
cleanup() {
        smbd_fixture_stop
        rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
smbd_fixture_start >/dev/null || exit 1

SRC=$WORK/src.bin
head -c $((SIZE_MB << 20)) /dev/urandom >"$SRC"
BYTES=$((SIZE_MB << 20))

# run CMD...: wall seconds, peak RSS (KiB), client and smbd CPU seconds into
# $secs $rss $ccpu $scpu
run() {
        local t0 t1 c0
        sync
        c0=$(smbd_fixture_cpu_ticks)
        t0=$(date +%s.%N)
        /usr/bin/time -v -o "$WORK/time.out" "$@" >"$WORK/cmd.out" 2>&1
        local rc=$?
        t1=$(date +%s.%N)
        if [ $rc != 0 ]; then
                echo "smb-bench: failed: $*" >&2
                cat "$WORK/cmd.out" >&2
                exit 1
        fi
        sleep 0.3       # let smbd reap the connection's child
        secs=$(echo "$t1 - $t0" | bc -l)
        rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.out")
        ccpu=$(sed -n -e 's/.*User time (seconds): //p' -e 's/.*System time (seconds): //p' \
                "$WORK/time.out" | paste -sd+ | bc -l)
        scpu=$(echo "($(smbd_fixture_cpu_ticks) - $c0) / $(getconf CLK_TCK)" | bc -l)
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
best() { sort -g | head -1; }

# summary WHO: "MB/s-median MB/s-best client-CPU smbd-CPU peak-RSS" of WHO's runs
summary() {
        local t b
        t=$(median <"$WORK/$1.t"); b=$(best <"$WORK/$1.t")
        echo "$(echo "$BYTES / $t / 1000000" | bc -l) $(echo "$BYTES / $b / 1000000" | bc -l)" \
                "$(median <"$WORK/$1.c") $(median <"$WORK/$1.d") $(sort -g "$WORK/$1.r" | tail -1)"
}

# /usr/bin/time needs programs, not shell functions.
GA=("$GWD_SMB" -p "$SMBD_PORT" -U "$SMBD_USER" --password-file "$SMBD_PASSWORD_FILE"
        --depth "$DEPTH")
SA=(smbclient -p "$SMBD_PORT" -s "$SMBD_CLIENT_CONF" -A "$SMBD_AUTH_FILE")

printf '%-17s %-10s %8s %8s %7s %7s %11s\n' case client MB/s best_MB/s cpu_s smbd_s peakRSS_KiB
results=
for mode in $MODES; do
        if [ "$mode" = plain ]; then
                share=data gopt="--signing off --no-encrypt" sprot=off
        else
                share=secure gopt="--cipher AES-128-GCM" sprot=encrypt
        fi
        for dir in $DIRS; do
                : >"$WORK/g.t"; : >"$WORK/s.t"; : >"$WORK/g.r"; : >"$WORK/s.r"
                : >"$WORK/g.c"; : >"$WORK/s.c"; : >"$WORK/g.d"; : >"$WORK/s.d"
                for i in $(seq "$RUNS"); do
                        # Alternate who goes first: the server's page cache and
                        # writeback otherwise favour one side.
                        if [ $((i % 2)) = 1 ]; then order="g s"; else order="s g"; fi
                        for who in $order; do
                                if [ $dir = write ]; then
                                        rm -f "$SMBD_DIR/shares/$share/$who.bin"
                                        if [ $who = g ]; then
                                                # shellcheck disable=SC2086
                                                run "${GA[@]}" $gopt "//127.0.0.1/$share" \
                                                        put "$SRC" g.bin
                                        else
                                                run "${SA[@]}" "//$SMBD_HOST/$share" \
                                                        --client-protection="$sprot" \
                                                        -c "put $SRC s.bin"
                                        fi
                                elif [ $who = g ]; then
                                        # shellcheck disable=SC2086
                                        run "${GA[@]}" $gopt "//127.0.0.1/$share" get g.bin /dev/null
                                else
                                        run "${SA[@]}" "//$SMBD_HOST/$share" \
                                                --client-protection="$sprot" -c "get s.bin /dev/null"
                                fi
                                echo "$secs" >>"$WORK/$who.t"
                                echo "$rss" >>"$WORK/$who.r"
                                echo "$ccpu" >>"$WORK/$who.c"
                                echo "$scpu" >>"$WORK/$who.d"
                        done
                done
                if [ $dir = write ]; then
                        cmp -s "$SRC" "$SMBD_DIR/shares/$share/g.bin" ||
                                { echo "smb-bench: gwd-smb wrote different data" >&2; exit 1; }
                fi
                read -r gm gb gc gd gr <<<"$(summary g)"
                read -r sm sb sc sd sr <<<"$(summary s)"
                ratio=$(echo "$gm / $sm" | bc -l); bratio=$(echo "$gb / $sb" | bc -l)
                printf '%-17s %-10s %8.1f %8.1f %7.2f %7.2f %11s\n' "$dir $mode" gwd-smb "$gm" "$gb" "$gc" "$gd" "$gr"
                printf '%-17s %-10s %8.1f %8.1f %7.2f %7.2f %11s\n' "$dir $mode" smbclient "$sm" "$sb" "$sc" "$sd" "$sr"
                printf '%-17s %-10s %8.2f %8.2f\n' "$dir $mode" ratio "$ratio" "$bratio"
                results="$results$dir $mode: gwd-smb $(printf %.1f "$gm") MB/s (best $(printf %.1f "$gb")), smbclient $(printf %.1f "$sm") MB/s (best $(printf %.1f "$sb")), ratio $(printf %.2f "$ratio") (best $(printf %.2f "$bratio")); CPU s client $(printf %.2f "$gc") vs $(printf %.2f "$sc"), smbd $(printf %.2f "$gd") vs $(printf %.2f "$sd")
"
        done
done
echo
echo "size ${SIZE_MB} MiB, median and best of $RUNS runs, depth $DEPTH, $(nproc) CPUs"
printf '%s' "$results"
