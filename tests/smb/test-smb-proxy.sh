#!/bin/bash
# shellcheck disable=SC2016  # (check's conditions are single-quoted: evaluated when checked)
# Integration test of tests/smb/smb-proxy (the SMB2-counting fault-injection
# proxy) and tests/smb/smb-proxy.sh, in front of the private Samba of
# tests/smb/smbd-fixture.sh: counts seen with smbclient and with hand-written
# frames (compound, interim, encrypted), data passing unchanged, cut (RST and
# FIN, all and one), blackhole, refuse, hold, hostile framing and control
# input, clean stop.  Needs root and Samba (smbd,
# smbclient) and python3 (json.tool); anything missing is a failure, not a skip.
# Ends with "N passed, N failed"; exit 0 only when nothing failed.

# The harness runs .sh tests with $(SHELL), which may be dash.
if [ -z "${BASH_VERSION:-}" ]; then
        exec bash "$0" "$@"
fi
set -u

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
export top_builddir
# shellcheck source-path=SCRIPTDIR/../..
# shellcheck source=tests/smb/smbd-fixture.sh
. "$srcdir/tests/smb/smbd-fixture.sh"
# shellcheck source=tests/smb/smb-proxy.sh
. "$srcdir/tests/smb/smb-proxy.sh"

pass=0
fail=0
ok() {
        pass=$((pass + 1))
        echo "ok $((pass + fail)) - $*"
}
not_ok() {
        fail=$((fail + 1))
        echo "not ok $((pass + fail)) - $*"
}
note() {
        echo "# $*"
}
finish() {
        echo "$pass passed, $fail failed"
        [ "$fail" -eq 0 ] && exit 0
        exit 1
}
check() { # check DESCRIPTION CONDITION: ok when eval CONDITION succeeds
        if eval "$2"; then
                ok "$1"
        else
                not_ok "$1"
        fi
}

# Background processes of this test, stopped by PID on exit.
bg_pids=
# shellcheck disable=SC2317  # (run by the EXIT trap)
cleanup() {
        local p
        exec 3>&- 4>&- 5<&- 2>/dev/null
        for p in $bg_pids; do
                kill -TERM "$p" 2>/dev/null
        done
        for p in $bg_pids; do
                wait "$p" 2>/dev/null
        done
        smb_proxy_stop
        smbd_fixture_stop
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

forget_bg() { # forget_bg PID: it has been waited for
        local p keep=
        for p in $bg_pids; do
                [ "$p" = "$1" ] || keep="$keep $p"
        done
        bg_pids=$keep
}

# sc SHARE ARGS...: smbclient through the proxy (the command line is logged).
sc() {
        local share=$1
        shift
        note "smbclient //127.0.0.1/$share -p $SMB_PROXY_PORT $*"
        timeout 60 smbclient "//127.0.0.1/$share" -p "$SMB_PROXY_PORT" \
                -s "$SMBD_CLIENT_CONF" -A "$SMBD_AUTH_FILE" "$@" 2>&1
}

# n COUNTER / req CMD / rsp CMD: numbers from the proxy ("ERR" on failure, which
# no numeric test accepts).
n() { smb_proxy_counter "$1" 2>/dev/null || echo ERR; }
req() { smb_proxy_count request "$1" 2>/dev/null || echo ERR; }
rsp() { smb_proxy_count response "$1" 2>/dev/null || echo ERR; }
is_num() { [[ $1 =~ ^[0-9]+$ ]]; }
eq() { is_num "$1" && [ "$1" -eq "$2" ]; }
ge() { is_num "$1" && [ "$1" -ge "$2" ]; }

# wait_for SECS COMMAND...: until COMMAND succeeds.
wait_for() {
        local i limit=$(($1 * 20))
        shift
        for ((i = 0; i < limit; i++)); do
                "$@" && return 0
                sleep 0.05
        done
        return 1
}
# shellcheck disable=SC2317  # (called through wait_for)
open_is() { eq "$(n connections_open)" "$1"; }

# alive: the proxy process still runs and answers on its control socket.
alive() {
        kill -0 "$SMB_PROXY_PID" 2>/dev/null &&
                [ "$(smb_proxy_cmd ping 2>/dev/null)" = '{"ok":true}' ]
}

# raw HEX: one connection to the proxy, send the bytes, give the server a
# moment to answer, close; then wait until the proxy has closed it too.
raw() {
        local esc
        esc=$(sed 's/[[:space:]]//g; s/../\\x&/g' <<<"$1")
        exec 3<>"/dev/tcp/127.0.0.1/$SMB_PROXY_PORT" || return 1
        # shellcheck disable=SC2059  # (the bytes are the format: \xHH escapes)
        printf "$esc" >&3
        sleep 0.3
        exec 3>&-
        wait_for 10 open_is 0
}

# An SMB2 request header (MS-SMB2 2.2.1.2), hex: hdr CMD_LO NEXTCOMMAND_LE32.
hdr() {
        echo "FE534D42 4000 0000 00000000 ${1}00 0100 00000000 $2" \
                "0000000000000000 00000000 00000000 0000000000000000" \
                "00000000000000000000000000000000"
}
ECHO_BODY="0400 0000"

# ---- start ------------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
        not_ok "needs root (the fixture creates a unix user)"
        finish
fi
for t in smbclient python3 timeout; do
        command -v "$t" >/dev/null || { not_ok "$t not installed"; finish; }
done
BIN=$(_smb_proxy_bin)
[ -x "$BIN" ] || { not_ok "$BIN not built"; finish; }

# Without DFS, listing a share is exactly one tree connect: smbclient asks IPC$
# for a referral first when the server advertises DFS.
export SMBD_EXTRA_GLOBAL='host msdfs = no'
export SMBD_EXTRA_SHARES=
# shellcheck disable=SC2119  # (no argument: a fresh mktemp directory)
if ! smbd_fixture_start; then
        not_ok "smbd_fixture_start"
        finish
fi
work=$SMBD_DIR/proxy-test
mkdir -m 700 "$work" || { not_ok "scratch directory"; finish; }

if smb_proxy_start "$SMBD_HOST" "$SMBD_PORT" && is_num "$SMB_PROXY_PORT" &&
        [ -S "$SMB_PROXY_CTL" ] && [ "$(cat "$SMB_PROXY_DIR/pid")" = "$SMB_PROXY_PID" ] &&
        ss -Hltn "( sport = :$SMB_PROXY_PORT )" | grep -q " 127.0.0.1:$SMB_PROXY_PORT "; then
        ok "proxy listens on 127.0.0.1:$SMB_PROXY_PORT (pid $SMB_PROXY_PID) -> $SMBD_HOST:$SMBD_PORT"
else
        not_ok "smb_proxy_start"
        finish
fi

# ---- refuses to listen beyond loopback -----------------------------------------
bad=
for a in 0.0.0.0:0 '[::]:0' 192.0.2.1:0 localhost:0 127.0.0.1 '[::1:0'; do
        out=$(timeout 5 "$BIN" --listen "$a" --target "$SMBD_HOST:$SMBD_PORT" \
                --control "$work/never.sock" 2>&1)
        rc=$?
        if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ] || [ -e "$work/never.sock" ]; then
                bad="$bad $a(rc $rc)"
        fi
        [[ $a == 0.0.0.0:0 && $out != *"not a loopback"* ]] && bad="$bad $a(message: $out)"
done
if [ -z "$bad" ]; then
        ok "--listen refuses 0.0.0.0, [::], 192.0.2.1, names and malformed addresses"
else
        not_ok "--listen accepted:$bad"
fi

# ---- smbclient through the proxy: exact counts ----------------------------------
smb_proxy_cmd reset >/dev/null
out=$(sc data -c ls)
rc=$?
wait_for 10 open_is 0
note "requests: $(smb_proxy_cmd stats | python3 -c 'import json,sys; d=json.load(sys.stdin)
print(" ".join("%s=%d/%d" % (k, v, d["responses"][k]) for k, v in d["requests"].items() if v))')"
if [ "$rc" -eq 0 ] && [[ $out == *"blocks available"* ]]; then
        ok "smbclient lists data through the proxy"
else
        echo "$out"
        not_ok "smbclient lists data through the proxy (rc $rc)"
fi
check "exactly 1 connection and 1 TREE_CONNECT request; NEGOTIATE, SESSION_SETUP >= 1" \
        'eq "$(n connections_total)" 1 && eq "$(req TREE_CONNECT)" 1 &&
                ge "$(req NEGOTIATE)" 1 && ge "$(req SESSION_SETUP)" 1'
check "responses match: NEGOTIATE, SESSION_SETUP, TREE_CONNECT" \
        'eq "$(rsp NEGOTIATE)" "$(req NEGOTIATE)" &&
                eq "$(rsp SESSION_SETUP)" "$(req SESSION_SETUP)" && eq "$(rsp TREE_CONNECT)" 1'
# ls opens the directory, lists it (until STATUS_NO_MORE_FILES) and closes it.
check "ls is counted as CREATE, QUERY_DIRECTORY x2, CLOSE; every request has its response" \
        'ge "$(req CREATE)" 1 && ge "$(req QUERY_DIRECTORY)" 2 && ge "$(req CLOSE)" 1 &&
                smb_proxy_cmd stats | python3 -c "import json,sys; d=json.load(sys.stdin)
sys.exit(0 if d[\"requests\"] == d[\"responses\"] else 1)"'
check "nothing malformed, encrypted or interim in a plain session" \
        'eq "$(n malformed)" 0 && eq "$(n truncated)" 0 && eq "$(n encrypted)" 0 &&
                eq "$(n pending_interim)" 0 && eq "$(n flag_mismatch)" 0'

# ---- stats is well-formed JSON with every command name -----------------------------
smb_proxy_cmd stats >"$work/stats.json"
if python3 -m json.tool "$work/stats.json" >/dev/null &&
        python3 - "$work/stats.json" <<'EOF'; then
import json, sys
d = json.load(open(sys.argv[1]))
names = ["NEGOTIATE", "SESSION_SETUP", "LOGOFF", "TREE_CONNECT", "TREE_DISCONNECT", "CREATE",
         "CLOSE", "FLUSH", "READ", "WRITE", "LOCK", "IOCTL", "CANCEL", "ECHO", "QUERY_DIRECTORY",
         "CHANGE_NOTIFY", "QUERY_INFO", "SET_INFO", "OPLOCK_BREAK"]
assert d["ok"] is True
assert list(d["requests"]) == names and list(d["responses"]) == names
for k in ("connections_total", "connections_open", "pending_interim", "encrypted", "malformed"):
    assert isinstance(d[k], int), k
c = d["connections"]
assert len(c) == 1 and c[0]["id"] >= 1 and c[0]["open"] is False
assert c[0]["client_port"] > 0 and c[0]["upstream_port"] > 0
assert c[0]["requests"]["TREE_CONNECT"] == 1 and 0 not in c[0]["requests"].values()
EOF
        ok "stats: valid JSON (json.tool), all 19 names in the totals, one closed connection"
else
        cat "$work/stats.json"
        not_ok "stats JSON"
fi

# ---- data passes unchanged -------------------------------------------------------
smb_proxy_cmd reset >/dev/null
head -c $((24 * 1024 * 1024 + 12345)) /dev/urandom >"$work/src.bin"
want=$(sha256sum <"$work/src.bin" | cut -d' ' -f1)
out=$(cd "$work" && sc data -c "put src.bin copy.bin; get copy.bin back.bin")
rc=$?
wait_for 10 open_is 0
got=$(sha256sum <"$work/back.bin" 2>/dev/null | cut -d' ' -f1)
disk=$(sha256sum <"$SMBD_DIR/shares/data/copy.bin" 2>/dev/null | cut -d' ' -f1)
note "WRITE $(req WRITE)/$(rsp WRITE) READ $(req READ)/$(rsp READ)," \
        "bytes up $(n bytes_up) down $(n bytes_down)"
if [ "$rc" -eq 0 ] && [ "$got" = "$want" ] && [ "$disk" = "$want" ] &&
        ge "$(req WRITE)" 2 && eq "$(rsp WRITE)" "$(req WRITE)" && ge "$(req READ)" 2 &&
        eq "$(rsp READ)" "$(req READ)" && ge "$(n bytes_up)" $((24 * 1024 * 1024)) &&
        ge "$(n bytes_down)" $((24 * 1024 * 1024)) && eq "$(n malformed)" 0; then
        ok "24 MiB put/get through the proxy: SHA-256 equal, every WRITE and READ answered"
else
        echo "$out"
        note "rc=$rc want=$want got=$got disk=$disk"
        not_ok "put/get through the proxy"
fi

# ---- a compound chain, written by hand ---------------------------------------------
# Three ECHO requests in one frame: 64-byte header + 4-byte body, padded to 72.
smb_proxy_cmd reset >/dev/null
chain="$(hdr 0D 48000000) $ECHO_BODY 00000000 $(hdr 0D 48000000) $ECHO_BODY 00000000"
chain="$chain $(hdr 0D 00000000) $ECHO_BODY"
raw "00 0000D4 $chain"
check "a hand-written compound of 3 ECHOs: ECHO=3, compound_requests=1, nothing malformed" \
        'eq "$(req ECHO)" 3 && eq "$(n compound_requests)" 1 && eq "$(n malformed)" 0 &&
                eq "$(n frames_up)" 1'

# ---- STATUS_PENDING interim responses ------------------------------------------
smb_proxy_cmd reset >/dev/null
mkdir -m 777 "$SMBD_DIR/shares/data/watched"
out=$(timeout 4 smbclient "//127.0.0.1/data" -p "$SMB_PROXY_PORT" -s "$SMBD_CLIENT_CONF" \
        -A "$SMBD_AUTH_FILE" -c "notify watched" 2>&1)
rc=$?
wait_for 10 open_is 0
if [ "$rc" -eq 124 ] && ge "$(req CHANGE_NOTIFY)" 1 && ge "$(n pending_interim)" 1 &&
        eq "$(rsp CHANGE_NOTIFY)" 0; then
        ok "CHANGE_NOTIFY on a quiet directory: interim STATUS_PENDING counted apart from responses"
else
        echo "$out"
        note "rc=$rc CHANGE_NOTIFY $(req CHANGE_NOTIFY)/$(rsp CHANGE_NOTIFY) pending $(n pending_interim)"
        not_ok "STATUS_PENDING interim responses"
fi

# ---- encrypted traffic is counted as such, not decoded --------------------------------
smb_proxy_cmd reset >/dev/null
out=$(sc secure --client-protection=encrypt -c ls)
rc=$?
wait_for 10 open_is 0
if [ "$rc" -eq 0 ] && ge "$(n encrypted)" 2 && ge "$(req SESSION_SETUP)" 1 &&
        eq "$(req TREE_CONNECT)" 0 && eq "$(n malformed)" 0; then
        ok "encrypted session: $(n encrypted) transform frames, no TREE_CONNECT visible"
else
        echo "$out"
        not_ok "encrypted session (rc $rc, encrypted $(n encrypted), TREE_CONNECT $(req TREE_CONNECT))"
fi

# ---- cut all during a 200 MiB transfer -------------------------------------------
dd if=/dev/zero of="$SMBD_DIR/shares/data/big.bin" bs=1M count=200 status=none
size=$((200 * 1024 * 1024))
mkfifo "$work/get.fifo"
smb_proxy_cmd reset >/dev/null
note "smbclient //127.0.0.1/data -p $SMB_PROXY_PORT -c 'get big.bin -' >fifo"
timeout 60 smbclient "//127.0.0.1/data" -p "$SMB_PROXY_PORT" -s "$SMBD_CLIENT_CONF" \
        -A "$SMBD_AUTH_FILE" -c 'get big.bin -' >"$work/get.fifo" 2>"$work/get.err" &
getpid=$!
bg_pids="$bg_pids $getpid"
# Nobody reads the fifo yet: smbclient stalls with its pipe full, mid-transfer.
exec 5<"$work/get.fifo"
# shellcheck disable=SC2317  # (called through wait_for)
reads_seen() { ge "$(rsp READ)" 1; }
wait_for 20 reads_seen
sleep 0.5
reads_before=$(rsp READ)
down_before=$(n bytes_down)
cut=$(smb_proxy_cmd cut all)
got=$(wc -c <&5)
exec 5<&-
wait "$getpid"
rc=$?
forget_bg "$getpid"
note "cut reply $cut; READ responses before the cut $reads_before, bytes down $down_before;" \
        "smbclient rc $rc, $got of $size bytes: $(tr '\n' ' ' <"$work/get.err" | cut -c1-200)"
if [[ $cut == '{"ok":true,"cut":1}' ]] && [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] &&
        is_num "$got" && [ "$got" -lt "$size" ] && is_num "$down_before" &&
        [ "$down_before" -lt "$size" ] && grep -q NT_STATUS_ "$work/get.err" &&
        wait_for 5 open_is 0; then
        ok "cut all mid-transfer: smbclient fails (rc $rc) after $got of $size bytes"
else
        not_ok "cut all mid-transfer"
fi

# ---- cut ID (RST) and cut all fin (FIN), seen by a raw client ---------------------------
smb_proxy_cmd reset >/dev/null
exec 3<>"/dev/tcp/127.0.0.1/$SMB_PROXY_PORT"
wait_for 5 open_is 1
id1=$(smb_proxy_cmd stats | python3 -c 'import json,sys
print([c["id"] for c in json.load(sys.stdin)["connections"] if c["open"]][0])')
exec 4<>"/dev/tcp/127.0.0.1/$SMB_PROXY_PORT"
wait_for 5 open_is 2
r1=$(smb_proxy_cmd cut "$id1")
e3=$(timeout 5 cat <&3 2>&1)
rc3=$?
open_after=$(n connections_open)
r2=$(smb_proxy_cmd cut all fin)
e4=$(timeout 5 cat <&4 2>&1)
rc4=$?
exec 3>&- 4>&-
note "cut $id1: $r1, reader: rc $rc3 '$e3'; cut all fin: $r2, reader: rc $rc4 '$e4'"
if [ "$r1" = '{"ok":true,"cut":1}' ] && [ "$rc3" -ne 0 ] && [[ $e3 == *"reset by peer"* ]] &&
        eq "$open_after" 1 && [ "$r2" = '{"ok":true,"cut":1}' ] && [ "$rc4" -eq 0 ] &&
        [ -z "$e4" ]; then
        ok "cut ID resets only that connection; cut all fin ends the other with a FIN"
else
        not_ok "cut ID / cut all fin"
fi
out=$(smb_proxy_cmd cut 999999)
rc=$?
check "cut of an unknown id fails (ok:false, exit status 1)" \
        '[ "$rc" -eq 1 ] && [[ $out == "{\"ok\":false,"* ]]'

# ---- blackhole ---------------------------------------------------------------------
smb_proxy_cmd reset >/dev/null
r=$(smb_proxy_cmd blackhole on)
start=$SECONDS
out=$(timeout 5 smbclient "//127.0.0.1/data" -p "$SMB_PROXY_PORT" -s "$SMBD_CLIENT_CONF" \
        -A "$SMBD_AUTH_FILE" -c ls 2>&1)
rc=$?
neg=$(req NEGOTIATE)
disc=$(n bytes_discarded)
open_bh=$(n connections_open)
smb_proxy_cmd blackhole off >/dev/null
out2=$(sc data -c ls)
rc2=$?
note "blackhole: $r rc $rc after $((SECONDS - start)) s, NEGOTIATE forwarded $neg," \
        "$disc bytes discarded, $open_bh connection(s) kept open; after off: rc $rc2"
if [ "$r" = '{"ok":true,"blackhole":true}' ] && [ "$rc" -eq 124 ] && eq "$neg" 0 &&
        ge "$disc" 1 && eq "$open_bh" 1 && [ "$rc2" -eq 0 ] &&
        [[ $out2 == *"blocks available"* ]]; then
        ok "blackhole on: smbclient times out, nothing forwarded, socket kept; off: next one works"
else
        echo "$out"
        echo "$out2"
        not_ok "blackhole"
fi
wait_for 10 open_is 0

# ---- refuse ------------------------------------------------------------------------
smb_proxy_cmd reset >/dev/null
smb_proxy_cmd refuse on >/dev/null
t0=$(date +%s%N)
out=$(timeout 5 smbclient "//127.0.0.1/data" -p "$SMB_PROXY_PORT" -s "$SMBD_CLIENT_CONF" \
        -A "$SMBD_AUTH_FILE" -c ls 2>&1)
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
refused=$(n refused)
total=$(n connections_total)
smb_proxy_cmd refuse off >/dev/null
out2=$(sc data -c ls)
rc2=$?
note "refuse: rc $rc after $ms ms ($(grep -o 'NT_STATUS_[A-Z_]*' <<<"$out" | head -n 1))," \
        "refused $refused, connections $total; after off: rc $rc2"
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$ms" -lt 3000 ] && ge "$refused" 1 &&
        eq "$total" 0 && [ "$rc2" -eq 0 ]; then
        ok "refuse on: smbclient fails fast ($ms ms); off: next one works"
else
        echo "$out"
        not_ok "refuse"
fi
wait_for 10 open_is 0

# ---- hold ------------------------------------------------------------------------------
smb_proxy_cmd reset >/dev/null
smb_proxy_cmd hold on >/dev/null
out=$(timeout 5 smbclient "//127.0.0.1/data" -p "$SMB_PROXY_PORT" -s "$SMBD_CLIENT_CONF" \
        -A "$SMBD_AUTH_FILE" -c ls 2>&1)
rc=$?
neg=$(req NEGOTIATE)
if [ "$rc" -eq 124 ] && eq "$neg" 0 && eq "$(n connections_open)" 1; then
        ok "hold on: smbclient hangs at NEGOTIATE (timeout), nothing forwarded"
else
        echo "$out"
        not_ok "hold on (rc $rc, NEGOTIATE forwarded $neg)"
fi
# A held client goes on once released.
note "held: smbclient //127.0.0.1/data -p $SMB_PROXY_PORT -c ls"
timeout 60 smbclient "//127.0.0.1/data" -p "$SMB_PROXY_PORT" -s "$SMBD_CLIENT_CONF" \
        -A "$SMBD_AUTH_FILE" -c ls >"$work/held.out" 2>&1 &
heldpid=$!
bg_pids="$bg_pids $heldpid"
wait_for 10 open_is 2
sleep 1
held_states=$(smb_proxy_cmd stats | python3 -c 'import json,sys
print(" ".join(c["state"] for c in json.load(sys.stdin)["connections"] if c["open"]))')
still=no
kill -0 "$heldpid" 2>/dev/null && still=yes
smb_proxy_cmd hold off >/dev/null
wait "$heldpid"
rc=$?
forget_bg "$heldpid"
wait_for 10 open_is 0
note "while held: [$held_states], smbclient running: $still; after hold off: rc $rc," \
        "NEGOTIATE $(req NEGOTIATE)/$(rsp NEGOTIATE)"
if [ "$held_states" = "held held" ] && [ "$still" = yes ] && [ "$rc" -eq 0 ] &&
        grep -q "blocks available" "$work/held.out" && ge "$(req NEGOTIATE)" 2; then
        ok "hold off: held connections go upstream; the waiting smbclient completes"
else
        cat "$work/held.out"
        not_ok "hold off"
fi

# ---- hostile clients --------------------------------------------------------------------
smb_proxy_cmd reset >/dev/null
raw "00 000010 FE534D42 4000 0000 00000000 0000 0000"
check "truncated SMB2 header (16-byte frame): malformed=1, proxy alive" \
        'alive && eq "$(n malformed)" 1'
smb_proxy_cmd reset >/dev/null
raw "00 000000"
check "zero-length frame: malformed=1" 'alive && eq "$(n malformed)" 1'
smb_proxy_cmd reset >/dev/null
raw "00 00008C $(hdr 0D 00010000) $ECHO_BODY 00000000 $(hdr 0D 00000000) $ECHO_BODY"
check "NextCommand past the end of the frame: 1 ECHO counted, malformed=1" \
        'alive && eq "$(req ECHO)" 1 && eq "$(n malformed)" 1'
smb_proxy_cmd reset >/dev/null
second=$(hdr 0D 00000000)
raw "00 00008C $(hdr 0D 48000000) $ECHO_BODY 00000000 FD${second#FE} $ECHO_BODY"
check "chained header with a wrong protocol id: malformed=1" \
        'alive && eq "$(req ECHO)" 1 && eq "$(n malformed)" 1'
smb_proxy_cmd reset >/dev/null
raw "00 FFFFFF $(hdr 00 00000000)"
check "frame length 0xFFFFFF, then close: counted as truncated, proxy alive" \
        'alive && eq "$(n truncated)" 1 && eq "$(req NEGOTIATE)" 1'
smb_proxy_cmd reset >/dev/null
raw "FF 534D42 $(head -c 4096 /dev/urandom | od -An -tx1 -v | tr -d ' \n')"
check "garbage (4 KiB random after a non-zero type byte): malformed=1, framing given up" \
        'alive && eq "$(n malformed)" 1 && eq "$(n frames_up)" 1'
smb_proxy_cmd reset >/dev/null
for _ in 1 2 3 4 5 6 7 8; do
        raw "$(head -c 2048 /dev/urandom | od -An -tx1 -v | tr -d ' \n')"
done
check "8 connections of random bytes: proxy alive, all closed" 'alive && open_is 0'

# Hostile control input.
long=$(head -c 3000 /dev/zero | tr '\0' a)
r1=$(smb_proxy_cmd "$long" 2>&1)
rc1=$?
r2=$(smb_proxy_cmd bogus command)
rc2=$?
r3=$(smb_proxy_cmd count request NOT_A_COMMAND)
rc3=$?
r4=$(printf '%s' "$long$long" | timeout 5 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read() + b"\n"); print(s.recv(4096).decode().strip())' "$SMB_PROXY_CTL")
note "control: [$rc1] ${r1:0:80} | [$rc2] $r2 | [$rc3] $r3 | raw: $r4"
if [ "$rc1" -eq 2 ] && [ "$rc2" -eq 1 ] && [[ $r2 == '{"ok":false,'* ]] && [ "$rc3" -eq 1 ] &&
        [ "$r4" = '{"ok":false,"error":"line too long"}' ] && alive; then
        ok "control: overlong line, unknown command and unknown name are refused; proxy alive"
else
        not_ok "hostile control input"
fi

# ---- stop --------------------------------------------------------------------------------
pid=$SMB_PROXY_PID
ctl=$SMB_PROXY_CTL
kill -TERM "$pid"
wait "$pid"
rc=$?
if [ "$rc" -eq 0 ] && [ ! -e "/proc/$pid" ] && [ ! -e "$ctl" ] &&
        [ -z "$(ss -Hltn "( sport = :$SMB_PROXY_PORT )")" ]; then
        ok "SIGTERM: exit status 0, control socket removed, port closed"
else
        note "rc $rc; log:"
        cat "$SMB_PROXY_LOG"
        not_ok "SIGTERM"
fi
if grep -qiE 'AddressSanitizer|runtime error|LeakSanitizer' "$SMB_PROXY_LOG"; then
        cat "$SMB_PROXY_LOG"
        not_ok "sanitizer reports in the proxy's log"
else
        ok "no sanitizer report in the proxy's log"
fi
smb_proxy_stop

finish
