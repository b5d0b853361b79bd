#!/bin/bash
# Integration test of tests/smb/smbd-fixture.sh: start a private smbd on
# loopback and exercise it with smbclient (login, signing, encryption, every
# dialect, read-only share, run-time shares, close-share, pausing the child
# that serves a client, restart, stop).  Needs root and Samba (smbd,
# smbclient); a missing smbd is a failure, not a skip.
# Ends with "N passed, N failed"; exit 0 only when nothing failed.

# The harness runs .sh tests with $(SHELL), which may be dash.
if [ -z "${BASH_VERSION:-}" ]; then
        exec bash "$0" "$@"
fi
set -u

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source-path=SCRIPTDIR/../..
# shellcheck source=tests/smb/smbd-fixture.sh
. "$srcdir/tests/smb/smbd-fixture.sh"

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

# Scratch files live in the fixture directory, so whatever removes that
# (smbd_fixture_stop, or the fixture's watchdog if this shell is SIGKILLed)
# removes them too; SMBD_KEEP=1 keeps both for a post-mortem.
work=
held=
# shellcheck disable=SC2317  # (run by the EXIT trap)
cleanup() {
        [ -n "$held" ] && kill "$held" 2>/dev/null
        smbd_fixture_stop
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# smbclient against the fixture; the first argument is the share.  The
# command line goes into the log so that failures can be replayed by hand.
sc() {
        local share=$1
        shift
        note "smbclient //$SMBD_HOST/$share -p $SMBD_PORT -s \$SMBD_CLIENT_CONF $*"
        timeout 60 smbclient "//$SMBD_HOST/$share" -p "$SMBD_PORT" \
                -s "$SMBD_CLIENT_CONF" "$@" 2>&1
}

# hold SHARE SECONDS ARGS...: background smbclient session that lists the
# share, sleeps, lists again; output in $work/held.out, PID in $held.
hold() {
        local share=$1 secs=$2
        shift 2
        note "held: smbclient //$SMBD_HOST/$share -p $SMBD_PORT -s \$SMBD_CLIENT_CONF $*"
        { echo ls; sleep "$secs"; echo ls; } |
                timeout 60 smbclient "//$SMBD_HOST/$share" -p "$SMBD_PORT" \
                        -s "$SMBD_CLIENT_CONF" "$@" >"$work/held.out" 2>&1 &
        held=$!
}
unhold() {
        local rc=0
        wait "$held" || rc=$?
        held=
        return "$rc"
}

# session_line: the smbstatus -b line of the only session, waiting up to 5 s.
# Fields: PID user group ip (ipv4:ip:port) protocol encryption signing
session_line() {
        local i line
        for i in $(seq 50); do
                line=$(smbd_fixture_status -b 2>/dev/null | grep -E '^[0-9]+ +'"$SMBD_USER"' ')
                if [ -n "$line" ]; then
                        echo "$line"
                        return 0
                fi
                sleep 0.1
        done
        return 1
}

# wait_no_session: until smbstatus lists no session (previous client gone).
wait_no_session() {
        local i
        for i in $(seq 50); do
                smbd_fixture_status -b 2>/dev/null | grep -qE '^[0-9]+ +'"$SMBD_USER"' ' || return 0
                sleep 0.1
        done
        return 1
}

# wait_tcon SHARE: until smbstatus lists a tree connect to SHARE (5 s).
wait_tcon() {
        local i
        for i in $(seq 50); do
                smbd_fixture_status -S 2>/dev/null | grep -q "^$1 " && return 0
                sleep 0.1
        done
        return 1
}

# ours DIR PID: PID carries the marker of the fixture in DIR (a PID can be
# reused quickly: pid_max may be as low as 32768).
ours() {
        grep -qzxF "GWD_SMBD_FIXTURE=$1" "/proc/$2/environ" 2>/dev/null
}

proc_state() {
        local line
        { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
        line=${line##*) }
        echo "${line%% *}"
}
# ---- 1: start -------------------------------------------------------------
export SMBD_EXTRA_SHARES="scratch:comment=from_SMBD_EXTRA_SHARES,read_only=no"
# shellcheck disable=SC2119  # (no argument: a fresh mktemp directory)
if ! smbd_fixture_start; then
        not_ok "smbd_fixture_start"
        finish
fi
note "SMBD_DIR=$SMBD_DIR SMBD_PORT=$SMBD_PORT SMBD_PID=$SMBD_PID SMBD_USER=$SMBD_USER"
work=$SMBD_DIR/test-work
mkdir -m 700 "$work" || { not_ok "scratch directory"; finish; }
start_ok=yes
for v in SMBD_DIR SMBD_PORT SMBD_PID SMBD_CONF SMBD_USER SMBD_PASSWORD_FILE SMBD_HOST \
        SMBD_AUTH_FILE SMBD_CLIENT_CONF; do
        # exported and non-empty
        if [ -z "$(printenv "$v")" ]; then
                note "$v not exported"
                start_ok=no
        fi
done
[ "$SMBD_HOST" = 127.0.0.1 ] || start_ok=no
[ "$(stat -c %a "$SMBD_PASSWORD_FILE")" = 600 ] || { note "password mode"; start_ok=no; }
[ "$(tail -c 1 "$SMBD_PASSWORD_FILE" | od -An -tx1 | tr -d ' ')" != 0a ] ||
        { note "password has a trailing newline"; start_ok=no; }
[ "$(cat "/proc/$SMBD_PID/comm")" = smbd ] || { note "SMBD_PID is not smbd"; start_ok=no; }
if [ "$start_ok" = yes ]; then
        ok "fixture started, variables exported"
else
        not_ok "fixture started, variables exported"
fi

# ---- login ------------------------------------------------------------------
out=$(sc data -A "$SMBD_AUTH_FILE" -c ls)
rc=$?
if [ "$rc" -eq 0 ] && [[ $out == *blocks\ available* ]]; then
        ok "login with the generated password"
else
        echo "$out"
        not_ok "login with the generated password"
fi

printf 'username = %s\npassword = %s\n' "$SMBD_USER" "wrong-$(cat "$SMBD_PASSWORD_FILE")" \
        >"$work/wrong.auth"
chmod 600 "$work/wrong.auth"
out=$(sc data -A "$work/wrong.auth" -c ls)
rc=$?
if [ "$rc" -ne 0 ] && [[ $out == *NT_STATUS_LOGON_FAILURE* ]]; then
        ok "login with a wrong password fails (rc $rc, NT_STATUS_LOGON_FAILURE)"
else
        echo "$out"
        not_ok "login with a wrong password fails"
fi

# ---- data with signing ------------------------------------------------------
head -c 1048577 /dev/urandom >"$work/src.bin"
want=$(sha256sum <"$work/src.bin" | cut -d' ' -f1)
out=$(cd "$work" && sc data -A "$SMBD_AUTH_FILE" --client-protection=sign \
        -c "put src.bin signed.bin; get signed.bin back-signed.bin")
rc=$?
got=$(sha256sum <"$work/back-signed.bin" 2>/dev/null | cut -d' ' -f1)
disk=$(sha256sum <"$SMBD_DIR/shares/data/signed.bin" 2>/dev/null | cut -d' ' -f1)
owner=$(stat -c %U "$SMBD_DIR/shares/data/signed.bin" 2>/dev/null)
if [ "$rc" -eq 0 ] && [ "$got" = "$want" ] && [ "$disk" = "$want" ] && [ "$owner" = "$SMBD_USER" ]; then
        ok "put/get on data with --client-protection=sign, SHA-256 equal, file owned by $owner"
else
        echo "$out"
        note "rc=$rc want=$want got=$got disk=$disk owner=$owner"
        not_ok "put/get on data with --client-protection=sign"
fi

# ---- secure with encryption -------------------------------------------------
out=$(cd "$work" && sc secure -A "$SMBD_AUTH_FILE" --client-protection=encrypt \
        -c "put src.bin sealed.bin; get sealed.bin back-sealed.bin")
rc=$?
got=$(sha256sum <"$work/back-sealed.bin" 2>/dev/null | cut -d' ' -f1)
disk=$(sha256sum <"$SMBD_DIR/shares/secure/sealed.bin" 2>/dev/null | cut -d' ' -f1)
if [ "$rc" -eq 0 ] && [ "$got" = "$want" ] && [ "$disk" = "$want" ]; then
        ok "put/get on secure with --client-protection=encrypt, SHA-256 equal"
else
        echo "$out"
        note "rc=$rc want=$want got=$got disk=$disk"
        not_ok "put/get on secure with --client-protection=encrypt"
fi

wait_no_session
hold secure 2 -A "$SMBD_AUTH_FILE" --client-protection=encrypt
wait_tcon secure
enc=-
for _ in $(seq 20); do
        line=$(session_line)
        enc=$(echo "$line" | awk '{print $7}')
        [ -n "$enc" ] && [ "$enc" != - ] && break
        sleep 0.1
done
unhold
rc=$?
note "smbstatus -b: $line"
if [ "$rc" -eq 0 ] && [ -n "$enc" ] && [ "$enc" != - ]; then
        ok "session on secure is encrypted ($enc)"
else
        cat "$work/held.out"
        not_ok "session on secure is encrypted"
fi

# SMB 2.1 has no encryption: a share with "smb encrypt = required" must refuse it.
out=$(sc secure -A "$SMBD_AUTH_FILE" -m SMB2_10 -c ls)
rc=$?
if [ "$rc" -ne 0 ] && [[ $out == *NT_STATUS_ACCESS_DENIED* ]]; then
        ok "secure refuses SMB2_10 (no encryption) with NT_STATUS_ACCESS_DENIED"
else
        echo "$out"
        not_ok "secure refuses a session without encryption"
fi

# ---- read-only share --------------------------------------------------------
out=$(cd "$work" && sc ro -A "$SMBD_AUTH_FILE" -c "get readme.txt ro-readme.txt; put src.bin x.bin")
rc=$?
if [ "$rc" -ne 0 ] && [[ $out == *NT_STATUS_ACCESS_DENIED* || $out == *NT_STATUS_MEDIA_WRITE_PROTECTED* ]] &&
        [ -s "$work/ro-readme.txt" ] && [ ! -e "$SMBD_DIR/shares/ro/x.bin" ]; then
        ok "ro: get works, put fails ($(grep -o 'NT_STATUS_[A-Z_]*' <<<"$out" | head -n 1))"
else
        echo "$out"
        not_ok "ro: get works, put fails"
fi

# ---- every dialect, checked on the server side --------------------------------
for d in SMB2_02 SMB2_10 SMB3_00 SMB3_02 SMB3_11; do
        wait_no_session
        hold data 1 -A "$SMBD_AUTH_FILE" -m "$d" --option="client min protocol=$d"
        line=$(session_line)
        unhold
        rc=$?
        proto=$(echo "$line" | awk '{print $6}')
        if [ "$rc" -eq 0 ] && [ "$proto" = "$d" ] &&
                [ "$(grep -c 'blocks available' "$work/held.out")" -eq 2 ]; then
                ok "listing with -m $d, server reports dialect $proto"
        else
                cat "$work/held.out"
                note "rc=$rc smbstatus: $line"
                not_ok "listing with -m $d"
        fi
done

# ---- share list, and nothing listens beyond loopback --------------------------
note "smbclient -L $SMBD_HOST -p $SMBD_PORT -s \$SMBD_CLIENT_CONF -A \$SMBD_AUTH_FILE"
out=$(timeout 60 smbclient -L "$SMBD_HOST" -p "$SMBD_PORT" -s "$SMBD_CLIENT_CONF" \
        -A "$SMBD_AUTH_FILE" 2>&1)
missing=
for s in data ro secure scratch IPC\$; do
        grep -qE "^[[:space:]]+$(printf '%s' "$s" | sed 's/\$/\\$/') " <<<"$out" ||
                missing="$missing $s"
done
if [ -z "$missing" ]; then
        ok "share list has data ro secure scratch IPC\$"
else
        echo "$out"
        not_ok "share list misses:$missing"
fi

# -L started samba-dcerpcd: look at every listening socket of every fixture
# process (TCP and UDP, v4 and v6).
bad=
seen=
for p in $(smbd_fixture_pids); do
        while read -r addr; do
                case $addr in
                127.0.0.1:* | \[::1\]:*) seen="$seen $addr" ;;
                *) bad="$bad $addr(pid $p)" ;;
                esac
        done < <(ss -Hltunp 2>/dev/null | grep -F "pid=$p," | awk '{print $5}')
done
note "fixture listeners:$seen"
if [ -z "$bad" ] && [[ $seen == *"127.0.0.1:$SMBD_PORT"* ]]; then
        ok "fixture processes listen on 127.0.0.1/::1 only"
else
        not_ok "fixture listens beyond loopback:$bad"
fi

# ---- run-time shares --------------------------------------------------------
rt_ok=yes
smbd_fixture_add_share added 'comment = added at run time' || rt_ok=no
out=$(cd "$work" && sc added -A "$SMBD_AUTH_FILE" -c "put src.bin a.bin; ls")
if [[ $out != *a.bin* ]] || [ ! -s "$SMBD_DIR/shares/added/a.bin" ]; then
        echo "$out"
        rt_ok=no
fi
smbd_fixture_remove_share added || rt_ok=no
out=$(sc added -A "$SMBD_AUTH_FILE" -c ls)
rc=$?
if [ "$rc" -eq 0 ] || [[ $out != *NT_STATUS_BAD_NETWORK_NAME* ]]; then
        echo "$out"
        rt_ok=no
fi
if [ "$rt_ok" = yes ]; then
        ok "add_share + reload serves a new share, remove_share drops it"
else
        not_ok "add_share / remove_share"
fi

# ---- close-share --------------------------------------------------------------
wait_no_session
hold data 3 -A "$SMBD_AUTH_FILE"
wait_tcon data
before=$(smbd_fixture_status -S 2>/dev/null | grep -c '^data ')
smbd_fixture_close_share data
cs_rc=$?
after=1
for _ in $(seq 30); do
        after=$(smbd_fixture_status -S 2>/dev/null | grep -c '^data ')
        [ "$after" -eq 0 ] && break
        sleep 0.1
done
unhold
if [ "$cs_rc" -eq 0 ] && [ "$before" -eq 1 ] && [ "$after" -eq 0 ] &&
        grep -q NT_STATUS_NETWORK_NAME_DELETED "$work/held.out"; then
        ok "close-share data disconnects the tree (client sees NT_STATUS_NETWORK_NAME_DELETED)"
else
        cat "$work/held.out"
        note "rc=$cs_rc tree connects before=$before after=$after"
        not_ok "close-share data"
fi

# ---- find, pause and resume the child serving a client ------------------------
wait_no_session
hold data 2 -A "$SMBD_AUTH_FILE"
# smbstatus -b names the client's address and port: "(ipv4:127.0.0.1:PORT)"
line=$(session_line)
cport=$(echo "$line" | sed -n 's/.*(ipv[46]:.*:\([0-9][0-9]*\)).*/\1/p')
child=$(smbd_fixture_client_pid "${cport:-0}")
note "smbd_fixture_clients: $(smbd_fixture_clients | tr '\n' ' ')"
pr_ok=no
if [ -n "$child" ] && [ "$child" != "$SMBD_PID" ] &&
        [ "$child" = "$(echo "$line" | awk '{print $1}')" ]; then
        smbd_fixture_pause_client "$child"
        sleep 0.2
        s1=$(proc_state "$child")
        smbd_fixture_resume_client "$child"
        sleep 0.2
        s2=$(proc_state "$child")
        note "client port $cport -> smbd child $child, state paused=$s1 resumed=$s2"
        [ "$s1" = T ] && [ "$s2" != T ] && pr_ok=yes
fi
smbd_fixture_pause_client "$$" 2>/dev/null && pr_ok=no # must refuse foreign PIDs
unhold || pr_ok=no
[ "$(grep -c 'blocks available' "$work/held.out")" -eq 2 ] || pr_ok=no
if [ "$pr_ok" = yes ]; then
        ok "client_pid finds the child; pause/resume; session survives"
else
        cat "$work/held.out"
        not_ok "client_pid / pause / resume"
fi

# ---- restart on the same port ---------------------------------------------------
old_pid=$SMBD_PID
old_port=$SMBD_PORT
smbd_fixture_restart
rc=$?
out=$(sc data -A "$SMBD_AUTH_FILE" --client-protection=sign -c ls)
rc2=$?
if [ "$rc" -eq 0 ] && [ "$SMBD_PORT" = "$old_port" ] && [ "$SMBD_PID" != "$old_pid" ] &&
        ! ours "$SMBD_DIR" "$old_pid" && [ "$rc2" -eq 0 ]; then
        ok "restart: same port $SMBD_PORT, new pid $SMBD_PID, login works"
else
        echo "$out"
        note "rc=$rc/$rc2 port $old_port->$SMBD_PORT pid $old_pid->$SMBD_PID"
        not_ok "restart"
fi

# ---- stop -----------------------------------------------------------------------
# One more client and the RPC helpers, so that stop has children to reap.
sc data -A "$SMBD_AUTH_FILE" -c ls >/dev/null
timeout 60 smbclient -L "$SMBD_HOST" -p "$SMBD_PORT" -s "$SMBD_CLIENT_CONF" \
        -A "$SMBD_AUTH_FILE" >/dev/null 2>&1
hold data 5 -A "$SMBD_AUTH_FILE"
session_line >/dev/null
pid=$SMBD_PID
port=$SMBD_PORT
dir=$SMBD_DIR
pids=$(smbd_fixture_pids | tr '\n' ' ')
note "processes before stop: $pids"
smbd_fixture_stop
rc=$?
unhold
# Left over: any live process of smbd's session, or carrying the fixture's
# marker (samba-dcerpcd and its workers run in a session of their own).  A
# live process with smbd's old PID but neither is a reuse of the PID.
left=
for d in /proc/[0-9]*; do
        p=${d#/proc/}
        { read -r line <"$d/stat"; } 2>/dev/null || continue
        line=${line##*) }
        read -r st _ _ sid _ <<<"$line"
        [ "$st" = Z ] && continue
        if [ "$sid" = "$pid" ]; then
                left="$left $p(session)"
        elif ours "$dir" "$p"; then
                left="$left $p(marker)"
        fi
done
listen=$(ss -Hltn "( sport = :$port )" 2>/dev/null)
if [ "$rc" -eq 0 ] && [ -z "$left" ] && [ ! -e "$dir" ] && [ -z "$listen" ] &&
        [ -z "${SMBD_PID:-}" ]; then
        ok "stop: pid $pid and its session gone, port $port closed, $dir removed"
else
        note "rc=$rc left:$left listen:$listen dir exists: $([ -e "$dir" ] && echo yes)"
        not_ok "stop"
fi

finish
