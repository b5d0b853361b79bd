#!/bin/bash
# SPDX-License-Identifier: MIT
#
# smb-bench.sh: 1 GiB read and write on the loopback smbd fixture with
# gwd-smb and with `smbclient get/put` of the same file in the same run,
# unencrypted (share "data", no signing on either side) and on the share
# that requires encryption ("secure"; both clients pick AES-128-GCM).
# Prints MB/s (median of RUNS runs), the gwd-smb/smbclient ratio and the
# peak RSS (/usr/bin/time -v) of each client.
#
#   sudo bench/smb-bench.sh [GWD_SMB]
#
# Use a build without sanitizers (configure --disable-werror, no
# --enable-sanitizers): ASan slows everything down several times.
# Environment: SIZE_MB (default 1024), RUNS (default 3), DEPTH (gwd-smb
# --depth, default 4).
set -u

top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
GWD_SMB=${1:-${GWD_SMB:-./plugins/smb/gwd-smb}}
SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-3}
DEPTH=${DEPTH:-4}

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

# run NAME CMD...: wall seconds and peak RSS (KiB) into $secs $rss
run() {
        local t0 t1
        sync
        t0=$(date +%s.%N)
        /usr/bin/time -v -o "$WORK/time.out" "$@" >"$WORK/cmd.out" 2>&1
        local rc=$?
        t1=$(date +%s.%N)
        if [ $rc != 0 ]; then
                echo "smb-bench: failed: $*" >&2
                cat "$WORK/cmd.out" >&2
                exit 1
        fi
        secs=$(echo "$t1 - $t0" | bc -l)
        rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.out")
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# /usr/bin/time needs programs, not shell functions.
GA=("$GWD_SMB" -p "$SMBD_PORT" -U "$SMBD_USER" --password-file "$SMBD_PASSWORD_FILE"
        --depth "$DEPTH")
SA=(smbclient -p "$SMBD_PORT" -s "$SMBD_CLIENT_CONF" -A "$SMBD_AUTH_FILE")

printf '%-22s %-10s %10s %10s\n' case client MB/s peakRSS_KiB
results=
for mode in plain encrypted; do
        if [ "$mode" = plain ]; then
                share=data gopt="--signing off --no-encrypt" sprot=off
        else
                share=secure gopt="--cipher AES-128-GCM" sprot=encrypt
        fi
        for dir in write read; do
                : >"$WORK/g.t"; : >"$WORK/s.t"; : >"$WORK/g.r"; : >"$WORK/s.r"
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
                        done
                done
                if [ $dir = write ]; then
                        cmp -s "$SRC" "$SMBD_DIR/shares/$share/g.bin" ||
                                { echo "smb-bench: gwd-smb wrote different data" >&2; exit 1; }
                fi
                gt=$(median <"$WORK/g.t"); st=$(median <"$WORK/s.t")
                gr=$(sort -g "$WORK/g.r" | tail -1); sr=$(sort -g "$WORK/s.r" | tail -1)
                gm=$(echo "$BYTES / $gt / 1000000" | bc -l); sm=$(echo "$BYTES / $st / 1000000" | bc -l)
                ratio=$(echo "$gm / $sm" | bc -l)
                printf '%-22s %-10s %10.1f %10s\n' "$dir $mode" gwd-smb "$gm" "$gr"
                printf '%-22s %-10s %10.1f %10s\n' "$dir $mode" smbclient "$sm" "$sr"
                printf '%-22s %-10s %10.2f\n' "$dir $mode" ratio "$ratio"
                results="$results$dir $mode: gwd-smb $(printf %.1f "$gm") MB/s, smbclient $(printf %.1f "$sm") MB/s, ratio $(printf %.2f "$ratio")
"
        done
done
echo
echo "size ${SIZE_MB} MiB, median of $RUNS runs, depth $DEPTH, $(nproc) CPUs"
printf '%s' "$results"
