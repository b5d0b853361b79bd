#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The SMB client (gwd-smb and the smb plugin inside gatewayd) against a real
# Samba smbd on loopback (tests/smb/smbd-fixture.sh): every dialect, signing
# (including a response whose signature a proxy corrupts), the encrypted
# share with every cipher (and encrypted READ responses a proxy damages),
# the error cases, 256 MiB round trip, a 10,000 entry directory, the
# namespace operations, and gatewayd's objects reaching `good`.  Ends with
# "N passed, N failed"; exits 1 on failure, 77 (skip) without root or Samba.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
GWD_SMB=$top_builddir/plugins/smb/gwd-smb
GATEWAYD=$top_builddir/gatewayd/gatewayd
PLUGIN_DIR=$top_builddir/plugins/smb/.libs

# shellcheck source=tests/testlib.sh
. "$top_srcdir/tests/testlib.sh"

if [ "$(id -u)" != 0 ] || ! command -v smbd >/dev/null 2>&1 && [ ! -x /usr/sbin/smbd ]; then
        echo "skip: needs root and Samba's smbd"
        echo "0 passed, 0 failed"
        exit 77
fi
for b in "$GWD_SMB" "$GATEWAYD"; do
        if [ ! -x "$b" ]; then
                echo "missing $b (build first)"
                echo "0 passed, 1 failed"
                exit 1
        fi
done

WORK=$(mktemp -d /tmp/gwd-smb-it.XXXXXX)
GW_PID=
PROXY_PID=
cleanup() {
        [ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null
        [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null && wait "$PROXY_PID" 2>/dev/null
        smb_proxy_stop
        smbd_fixture_stop
        rm -rf "$WORK"
}
# shellcheck source=tests/smb/smbd-fixture.sh
. "$top_srcdir/tests/smb/smbd-fixture.sh"
# shellcheck source=tests/smb/smb-proxy.sh
. "$top_srcdir/tests/smb/smb-proxy.sh"
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
if ! smbd_fixture_start; then
        echo "0 passed, 1 failed"
        exit 1
fi

G() { "$GWD_SMB" -p "$SMBD_PORT" -U "$SMBD_USER" --password-file "$SMBD_PASSWORD_FILE" \
        --timeout 30 "$@"; }
URL=//127.0.0.1
DATA=$SMBD_DIR/shares/data

# --- dialects ---------------------------------------------------------------
for d in 2.0.2 2.1 3.0 3.0.2 3.1.1; do
        out=$(G --dialect-min "$d" --dialect-max "$d" "$URL/ro" info 2>&1)
        check "dialect $d negotiates" grep -q "\"dialect\": \"$d\"" <<<"$out"
        out=$(G --dialect-min "$d" --dialect-max "$d" "$URL/ro" get readme.txt - 2>&1)
        check "dialect $d reads" grep -q "read-only share" <<<"$out"
        out=$(G --dialect-min "$d" --dialect-max "$d" "$URL/ro" stat readme.txt 2>&1)
        check "dialect $d stats (a compound)" grep -q "type: file" <<<"$out"
done
out=$("$GWD_SMB" -p "$SMBD_PORT" -U "$SMBD_USER" --password-file "$SMBD_PASSWORD_FILE" \
        --dialect-max 3.1.1 --dialect-min 3.1.1 "$URL/data" info 2>&1)
check "3.1.1 session signs with a negotiated algorithm" \
        grep -Eq '"signing_algorithm": "AES-128-(GMAC|CMAC)"' <<<"$out"

# --- signing ---------------------------------------------------------------
head -c 3000000 /dev/urandom >"$WORK/small"
check "signed put (signing required)" G --signing required "$URL/data" put "$WORK/small" small
out=$(G --signing required "$URL/data" info 2>&1)
check "session reports signing on" grep -q '"signing": true' <<<"$out"
for d in 2.1 3.0.2 3.1.1; do
        rm -f "$WORK/small.back"
        G --signing required --dialect-max "$d" "$URL/data" get small "$WORK/small.back" &&
                cmp -s "$WORK/small" "$WORK/small.back"
        check "signed get with dialect $d verifies and matches" test $? = 0
done

# A proxy that flips one byte of the signature of every signed READ response.
cat >"$WORK/proxy.py" <<'EOF'
import socket, sys, threading
lport, rport = int(sys.argv[1]), int(sys.argv[2])
# sig: flip a byte of the signature of signed READ responses; enc: flip the
# last byte of encrypted frames over 64 KiB (a READ response's data)
mode = sys.argv[3] if len(sys.argv) > 3 else "sig"
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", lport)); ls.listen(4)
def recvn(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c: raise EOFError
        b += c
    return b
def up(c, s):
    try:
        while True:
            d = c.recv(65536)
            if not d: break
            s.sendall(d)
    except Exception: pass
    for x in (c, s):
        try: x.shutdown(socket.SHUT_RDWR)
        except Exception: pass
def down(s, c):
    try:
        while True:
            h = recvn(s, 4); m = bytearray(recvn(s, int.from_bytes(h[1:], "big")))
            if mode == "sig" and m[:4] == b"\xfeSMB" and len(m) >= 64:
                cmd = int.from_bytes(m[12:14], "little"); fl = int.from_bytes(m[16:20], "little")
                if cmd == 8 and fl & 8: m[50] ^= 0x55
            if mode == "enc" and m[:4] == b"\xfdSMB" and len(m) > 65536:
                m[-1] ^= 0x01
            c.sendall(h + bytes(m))
    except Exception: pass
    for x in (c, s):
        try: x.shutdown(socket.SHUT_RDWR)
        except Exception: pass
while True:
    c, _ = ls.accept(); s = socket.create_connection(("127.0.0.1", rport))
    threading.Thread(target=up, args=(c, s), daemon=True).start()
    threading.Thread(target=down, args=(s, c), daemon=True).start()
EOF
PPORT=$((SMBD_PORT + 1))
python3 "$WORK/proxy.py" "$PPORT" "$SMBD_PORT" &
PROXY_PID=$!
sleep 0.5
out=$("$GWD_SMB" -p "$PPORT" -U "$SMBD_USER" --password-file "$SMBD_PASSWORD_FILE" --timeout 10 \
        --signing required "$URL/data" get small "$WORK/small.bad" 2>&1)
rc=$?
check "corrupted response signature is rejected" test "$rc" = 1
check "... with a clear error" grep -q "Bad message" <<<"$out"
kill "$PROXY_PID" 2>/dev/null
wait "$PROXY_PID" 2>/dev/null
PROXY_PID=

# --- reconnect action (drop and redo) ------------------------------------------
out=$(G "$URL/ro" reconnect 2>&1)
check "channel reconnect action: back to good, generation 2" \
        grep -q "reconnected: channel good, generation 2, reconnects 1, tcon good" <<<"$out"
check "... and the tree works afterwards" grep -q "readme.txt" <<<"$out"

# --- encryption ------------------------------------------------------------
for c in AES-128-CCM AES-128-GCM AES-256-CCM AES-256-GCM; do
        rm -f "$WORK/enc.back"
        G --cipher "$c" "$URL/secure" put "$WORK/small" "enc-$c" &&
                G --cipher "$c" "$URL/secure" get "enc-$c" "$WORK/enc.back" &&
                cmp -s "$WORK/small" "$WORK/enc.back"
        check "secure share round trip with $c" test $? = 0
        out=$(G --cipher "$c" "$URL/secure" info 2>&1)
        check "... tree encrypted, cipher $c in use" \
                bash -c 'grep -q "\"encrypted\": true" <<<"$1" && grep -q "\"cipher\": \"$2\"" <<<"$1"' \
                _ "$out" "$c"
done
out=$(G --encrypt "$URL/data" info 2>&1)
check "--encrypt encrypts the whole session" grep -q '"encryption": true' <<<"$out"
# A READ response whose last byte is damaged on the way: with GCM its data
# is decrypted straight into the caller's buffer before the tag is checked;
# the tag fails, the read fails (and the buffer is wiped), nothing written.
python3 "$WORK/proxy.py" "$PPORT" "$SMBD_PORT" enc &
PROXY_PID=$!
sleep 0.5
for c in AES-128-GCM AES-256-GCM AES-128-CCM; do
        rm -f "$WORK/enc.bad"
        out=$("$GWD_SMB" -p "$PPORT" -U "$SMBD_USER" --password-file "$SMBD_PASSWORD_FILE" \
                --timeout 10 --cipher "$c" "$URL/secure" get "enc-$c" "$WORK/enc.bad" 2>&1)
        rc=$?
        check "damaged encrypted READ response ($c) is rejected" test "$rc" = 1
        check "... with a clear error, no data written" \
                bash -c 'grep -q "Bad message" <<<"$1" && ! test -s "$2"' _ "$out" "$WORK/enc.bad"
done
kill "$PROXY_PID" 2>/dev/null
wait "$PROXY_PID" 2>/dev/null
PROXY_PID=
out=$(G --no-encrypt "$URL/secure" ls 2>&1)
check "encryption off: secure share refused clearly" grep -q "STATUS_ACCESS_DENIED\|encryption" <<<"$out"

# --- errors ----------------------------------------------------------------
printf 'not-the-password' >"$WORK/badpw"
out=$("$GWD_SMB" -p "$SMBD_PORT" -U "$SMBD_USER" --password-file "$WORK/badpw" "$URL/data" ls 2>&1)
rc=$?
check "wrong password fails" test "$rc" = 1
check "... with STATUS_LOGON_FAILURE" grep -q STATUS_LOGON_FAILURE <<<"$out"
out=$(G "$URL/nosuchshare" ls 2>&1)
check "unknown share: STATUS_BAD_NETWORK_NAME" grep -q STATUS_BAD_NETWORK_NAME <<<"$out"
out=$(G "$URL/ro" put "$WORK/small" x 2>&1)
check "write on ro: access denied" grep -q "STATUS_ACCESS_DENIED\|STATUS_MEDIA_WRITE_PROTECTED" <<<"$out"
out=$(G "$URL/data" get no-such-file - 2>&1)
check "missing file: STATUS_OBJECT_NAME_NOT_FOUND" grep -q STATUS_OBJECT_NAME_NOT_FOUND <<<"$out"
out=$("$GWD_SMB" -p 1 --timeout 5 "$URL/data" ls 2>&1)
check "closed port: connection refused" grep -q "Connection refused" <<<"$out"

# --- 256 MiB round trip ------------------------------------------------------
head -c $((256 << 20)) /dev/urandom >"$WORK/big"
check "256 MiB put" G "$URL/data" put "$WORK/big" big.bin
check "256 MiB get" G "$URL/data" get big.bin "$WORK/big.back"
a=$(sha256sum <"$WORK/big" | cut -d' ' -f1)
b=$(sha256sum <"$WORK/big.back" | cut -d' ' -f1)
c=$(sha256sum <"$DATA/big.bin" | cut -d' ' -f1)
check "256 MiB SHA-256 equal (local, read back, on the server)" \
        test "$a" = "$b" -a "$a" = "$c"
rm -f "$WORK/big" "$WORK/big.back" "$DATA/big.bin"

# --- 10,000 entries ------------------------------------------------------------
mkdir -p "$DATA/many"
(cd "$DATA/many" && seq -f 'entry-with-a-longish-name-%05g.txt' 1 10000 | xargs touch)
chown -R "$SMBD_USER:" "$DATA/many"
n=$(G "$URL/data" ls many | wc -l)
check "directory of 10,000 entries listed completely ($n)" test "$n" = 10000
n=$(G "$URL/data" ls many | awk '{print $NF}' | sort -u | wc -l)
check "... no duplicates" test "$n" = 10000

# --- namespace operations -------------------------------------------------------
check "mkdir" G "$URL/data" mkdir d1
check "mkdir existing fails" bash -c '! "$@"' _ "$GWD_SMB" -p "$SMBD_PORT" -U "$SMBD_USER" \
        --password-file "$SMBD_PASSWORD_FILE" "$URL/data" mkdir d1
out=$(G "$URL/data" stat d1)
check "stat directory" grep -q "type: directory" <<<"$out"
check "put into a subdirectory" G "$URL/data" put "$WORK/small" d1/f1
out=$(G "$URL/data" stat d1/f1)
check "stat file size" grep -q "size: 3000000" <<<"$out"
check "truncate" G "$URL/data" truncate d1/f1 1000
check "truncate took effect" test "$(stat -c %s "$DATA/d1/f1")" = 1000
check "rename" G "$URL/data" mv d1/f1 d1/f2
check "rename took effect" test -f "$DATA/d1/f2" -a ! -e "$DATA/d1/f1"
check "rmdir of a non-empty directory fails" bash -c '! "$@" 2>/dev/null' _ "$GWD_SMB" \
        -p "$SMBD_PORT" -U "$SMBD_USER" --password-file "$SMBD_PASSWORD_FILE" "$URL/data" rmdir d1
check "delete" G "$URL/data" rm d1/f2
check "delete took effect" test ! -e "$DATA/d1/f2"
check "rmdir" G "$URL/data" rmdir d1
check "rmdir took effect" test ! -e "$DATA/d1"

# --- path operations in one round trip ----------------------------------------------
# stat, mkdir, rm, rmdir and mv send CREATE [+ SET_INFO] + CLOSE as one related
# compound: the counting proxy sees one compound frame per operation and the
# commands in it; the results are those of the separate requests before.
if smb_proxy_start 127.0.0.1 "$SMBD_PORT"; then
        PX() { "$GWD_SMB" -p "$SMB_PROXY_PORT" -U "$SMBD_USER" \
                --password-file "$SMBD_PASSWORD_FILE" --timeout 30 "$@"; }
        # one operation, then "compound CREATE SET_INFO CLOSE" as the proxy counted them
        counted() {
                smb_proxy_cmd reset >/dev/null || return 1
                PX "$@" >/dev/null 2>&1
                local rc=$?
                smb_proxy_wait_idle 10 || return 1
                echo "$rc $(smb_proxy_counter compound_requests) $(smb_proxy_count request CREATE)" \
                     "$(smb_proxy_count request SET_INFO) $(smb_proxy_count request CLOSE)"
        }
        G "$URL/data" put "$WORK/small" c1 >/dev/null
        check "stat: CREATE + CLOSE in one compound" test "$(counted "$URL/data" stat c1)" = "0 1 1 0 1"
        check "mkdir: CREATE + CLOSE in one compound" test "$(counted "$URL/data" mkdir cd)" = "0 1 1 0 1"
        check "... made the directory" test -d "$DATA/cd"
        check "mv: CREATE + SET_INFO + CLOSE in one compound" \
                test "$(counted "$URL/data" mv c1 cd/c2)" = "0 1 1 1 1"
        check "... moved the file" test -f "$DATA/cd/c2" -a ! -e "$DATA/c1"
        check "rmdir of a non-empty directory: one compound, fails" \
                test "$(counted "$URL/data" rmdir cd)" = "1 1 1 1 1"
        check "rm: CREATE + SET_INFO + CLOSE in one compound" \
                test "$(counted "$URL/data" rm cd/c2)" = "0 1 1 1 1"
        check "rm of a missing file: one compound, fails" \
                test "$(counted "$URL/data" rm cd/c2)" = "1 1 1 1 1"
        check "rmdir: one compound" test "$(counted "$URL/data" rmdir cd)" = "0 1 1 1 1"
        check "... removed the directory" test ! -e "$DATA/cd"
        smb_proxy_stop
else
        check "the counting proxy starts" false
fi
# The compounds signed (each message over its padding) and encrypted (one
# transform for the chain), with each cipher.
out=$(G --signing required "$URL/ro" stat readme.txt 2>&1)
check "signed compound: stat" grep -q "type: file" <<<"$out"
G --signing required "$URL/data" mkdir sg && G --signing required "$URL/data" rmdir sg
check "signed compounds: mkdir, rmdir" test $? = 0 -a ! -e "$DATA/sg"
for c in AES-128-CCM AES-128-GCM AES-256-CCM AES-256-GCM; do
        out=
        G --cipher "$c" "$URL/secure" mv "enc-$c" "enc2-$c" >/dev/null 2>&1 &&
                out=$(G --cipher "$c" "$URL/secure" stat "enc2-$c" 2>&1) &&
                G --cipher "$c" "$URL/secure" rm "enc2-$c" >/dev/null 2>&1
        rc=$?
        check "encrypted compounds with $c: mv, stat, rm" \
                bash -c 'test "$1" = 0 && grep -q "size: 3000000" <<<"$2"' _ "$rc" "$out"
done

# --- gatewayd with the smb plugin -------------------------------------------------
cat >"$WORK/gw.json" <<EOF
{
  "daemon": { "log_level": "info" },
  "instances": [
    { "name": "smb", "plugin": "smb", "config": {
      "servers": [ { "name": "fx", "host": "127.0.0.1", "port": $SMBD_PORT,
                     "user": "$SMBD_USER", "password_file": "$SMBD_PASSWORD_FILE",
                     "signing": "required", "echo_interval": 5 } ],
      "shares": [ { "name": "docs", "server": "fx", "share": "data" },
                  { "name": "sec", "server": "fx", "share": "secure" } ] } }
  ]
}
EOF
check "gatewayd accepts the smb configuration" \
        env GWD_PLUGIN_DIR="$PLUGIN_DIR" "$GATEWAYD" -t -c "$WORK/gw.json"
sed 's/"port": [0-9]*/"port": 70000/; s/"password_file"/"password"/' "$WORK/gw.json" >"$WORK/bad.json"
out=$(GWD_PLUGIN_DIR="$PLUGIN_DIR" "$GATEWAYD" -t -c "$WORK/bad.json" 2>&1)
check "bad smb configuration rejected with JSON paths" \
        bash -c 'grep -q "servers\[0\].port" <<<"$1" && grep -q "servers\[0\].password: unknown key" <<<"$1"' _ "$out"
GWD_PLUGIN_DIR="$PLUGIN_DIR" "$GATEWAYD" -f -c "$WORK/gw.json" >"$WORK/gw.log" 2>&1 &
GW_PID=$!
i=0
while [ $i -lt 100 ]; do
        [ "$(grep -c ': good: ' "$WORK/gw.log")" -ge 2 ] && break
        sleep 0.1
        i=$((i + 1))
done
check "gatewayd: tcon smb.docs reaches good" grep -q "smb.docs: good: .*SMB 3.1.1" "$WORK/gw.log"
check "gatewayd: tcon smb.sec reaches good, encrypted" grep -q "smb.sec: good: .*encrypted with" \
        "$WORK/gw.log"
out=$(smbd_fixture_status -b 2>/dev/null)
check "gatewayd: smbd lists our SMB3_11 session" grep -q "SMB3_11" <<<"$out"
kill -TERM "$GW_PID"
wait "$GW_PID"
rc=$?
GW_PID=
check "gatewayd stops cleanly (exit 0, no sanitizer report)" test "$rc" = 0
check "gatewayd log has no BUG line" bash -c '! grep -q "BUG" "$1"' _ "$WORK/gw.log"

finish
