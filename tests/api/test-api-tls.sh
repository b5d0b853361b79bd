#!/bin/sh
# SPDX-License-Identifier: MIT
# Integration test of the admin API's listeners: TLS (a self-signed
# certificate made here, https on 127.0.0.1, plain http refused, config
# errors for bad certificate and key files) and systemd socket activation
# ("sd:NAME" listen addresses, sockets passed by systemd-socket-activate).
# Every gatewayd started here listens on loopback only and is stopped by PID.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
B=$top_builddir
PASS=0 FAIL=0
T=$(mktemp -d /tmp/gwd-api-tls.XXXXXX)
GWD_PID=

ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
nok() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; }
stop_gwd() {
        if [ -n "$GWD_PID" ] && kill -0 "$GWD_PID" 2>/dev/null; then
                kill -TERM "$GWD_PID"; wait "$GWD_PID" 2>/dev/null
        fi
        GWD_PID=
}
cleanup() { stop_gwd; rm -rf "$T"; }
trap cleanup EXIT
bail() { echo "$1"; echo "$PASS passed, $((FAIL + 1)) failed"; exit 1; }

for f in gatewayd/gatewayd plugins/api/.libs/api.so tests/plugins/.libs/testobj.so; do
        [ -e "$B/$f" ] || bail "missing $B/$f (build first)"
done
# Missing tools are failures, not skips: the checks below would not run.
for tool in curl openssl python3 systemd-socket-activate; do
        command -v "$tool" >/dev/null || bail "$tool is missing (scripts/install-deps.sh)"
done

free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
PLUGINS=$B/plugins/api/.libs:$B/tests/plugins/.libs
ADMIN=AdminAdminAdmin0123456789
printf 'admin ops %s\n' "$ADMIN" > "$T/tokens"
A="Authorization: Bearer $ADMIN"

# gw_config FILE API_CONFIG_MEMBERS: testobj (2 servers x 1 session x 1 tcon)
# and the api with the given config members.
gw_config() {
        cat > "$1" <<JSON
{ "daemon": { "log_level": "info" },
  "instances": [
    { "name": "objs", "plugin": "testobj",
      "config": { "servers": 2, "sessions_per_server": 1, "tcons_per_session": 1 } },
    { "name": "api", "plugin": "api",
      "config": { "tokens_file": "$T/tokens", $2 } } ] }
JSON
}

# wait_up URL CURL-ARGS...: poll until an HTTP answer; 1 after 10 s or when
# the daemon died.
wait_up() {
        url=$1; shift
        i=0
        until curl -s -o /dev/null "$@" "$url"; do
                i=$((i + 1))
                if [ $i -gt 100 ] || ! kill -0 "$GWD_PID" 2>/dev/null; then return 1; fi
                sleep 0.1
        done
        return 0
}

# exits_with_error NAME LOG EXPECTED-TEXT: the daemon ($GWD_PID) must exit
# non-zero by itself within 10 s and say EXPECTED-TEXT in LOG.
exits_with_error() {
        i=0
        while kill -0 "$GWD_PID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        if kill -0 "$GWD_PID" 2>/dev/null; then
                nok "$1: still running after 10 s"; stop_gwd; return
        fi
        wait "$GWD_PID"; rc=$?
        GWD_PID=
        if [ $rc -ne 0 ] && grep -q -- "$3" "$2"; then ok "$1 (exit $rc)"
        else nok "$1: exit $rc, log: $(tail -5 "$2")"; fi
}

no_sanitizer_report() {
        if grep -qi "runtime error\|AddressSanitizer\|LeakSanitizer" "$2"; then
                nok "$1: sanitizer report"; grep -A20 -i "sanitizer\|runtime error" "$2" | head -40
        else ok "$1: no sanitizer report"; fi
}

# =========================================================================
# TLS
# =========================================================================
mkcert() {      # mkcert NAME: $T/NAME.crt and $T/NAME.key, P-256, for 127.0.0.1
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
                -keyout "$T/$1.key" -out "$T/$1.crt" -days 2 -subj "/CN=gatewayd-test-$1" \
                -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" >/dev/null 2>&1
}
mkcert srv || bail "openssl cannot make a self-signed certificate"
mkcert other || bail "openssl cannot make a second certificate"
openssl pkey -in "$T/srv.key" -aes256 -passout pass:secret -out "$T/enc.key" 2>/dev/null ||
        bail "openssl cannot encrypt a key"
chmod 600 "$T/srv.key" "$T/other.key" "$T/enc.key"

# --- config errors (gatewayd -t) -------------------------------------------
# check_tls NAME CERT KEY EXPECTED-PATH EXPECTED-TEXT: -t fails and names both
check_tls() {
        gw_config "$T/bad.json" "\"listen\": [ \"127.0.0.1:1\" ], \"tls_cert_file\": \"$2\", \"tls_key_file\": \"$3\""
        out=$(GWD_PLUGIN_DIR=$PLUGINS "$B/gatewayd/gatewayd" -t -c "$T/bad.json" 2>&1); rc=$?
        case $out in
        *"$4"*"$5"*) [ $rc -ne 0 ] && ok "config: $1" || nok "config: $1: exit 0" ;;
        *) nok "config: $1: exit $rc: $out" ;;
        esac
}
check_tls "missing certificate file is an error naming key and path" \
        "$T/nope.crt" "$T/srv.key" "tls_cert_file" "\"$T/nope.crt\": No such file or directory"
check_tls "missing key file is an error naming key and path" \
        "$T/srv.crt" "$T/nope.key" "tls_key_file" "\"$T/nope.key\": No such file or directory"
check_tls "a directory as certificate" "$T" "$T/srv.key" "tls_cert_file" "regular file"
check_tls "certificate file without a certificate" "$T/tokens" "$T/srv.key" "tls_cert_file" \
        "holds no PEM certificate"
check_tls "key file without a key (the certificate)" "$T/srv.crt" "$T/srv.crt" "tls_key_file" \
        "holds no PEM private key"
check_tls "encrypted key" "$T/srv.crt" "$T/enc.key" "tls_key_file" "encrypted private key"
out=$(GWD_PLUGIN_DIR=$PLUGINS "$B/gatewayd/gatewayd" -t -c "$T/bad.json" 2>&1)
case $out in *"ENCRYPTED"*|*"BEGIN"*) nok "config: key material in an error: $out" ;;
             *) ok "config: errors hold no file contents" ;; esac
gw_config "$T/half.json" "\"listen\": [ \"127.0.0.1:1\" ], \"tls_cert_file\": \"$T/srv.crt\""
out=$(GWD_PLUGIN_DIR=$PLUGINS "$B/gatewayd/gatewayd" -t -c "$T/half.json" 2>&1)
case $out in *tls_key_file*"go together"*) ok "config: certificate without key" ;;
             *) nok "config: certificate without key: $out" ;; esac
gw_config "$T/good.json" "\"listen\": [ \"127.0.0.1:1\" ], \"tls_cert_file\": \"$T/srv.crt\", \"tls_key_file\": \"$T/srv.key\""
if out=$(GWD_PLUGIN_DIR=$PLUGINS "$B/gatewayd/gatewayd" -t -c "$T/good.json" 2>&1); then
        ok "config: a valid certificate and key pass -t"
else
        nok "config: valid pair rejected: $out"
fi

# --- a key that is not the certificate's: refused at start ------------------
PORT=$(free_port)
gw_config "$T/mismatch.json" "\"listen\": [ \"127.0.0.1:$PORT\" ], \"tls_cert_file\": \"$T/srv.crt\", \"tls_key_file\": \"$T/other.key\""
GWD_PLUGIN_DIR=$PLUGINS "$B/gatewayd/gatewayd" -f -c "$T/mismatch.json" > "$T/mismatch.log" 2>&1 &
GWD_PID=$!
exits_with_error "start: key of another certificate refused" "$T/mismatch.log" \
        "refused tls_cert_file/tls_key_file"

# --- serving https ------------------------------------------------------------
PORT=$(free_port)
URL=https://127.0.0.1:$PORT
gw_config "$T/tls.json" "\"listen\": [ \"127.0.0.1:$PORT\" ], \"tls_cert_file\": \"$T/srv.crt\", \"tls_key_file\": \"$T/srv.key\""
GWD_PLUGIN_DIR=$PLUGINS "$B/gatewayd/gatewayd" -f -c "$T/tls.json" > "$T/tls.log" 2>&1 &
GWD_PID=$!
wait_up "$URL/healthz" --cacert "$T/srv.crt" || { cat "$T/tls.log"; bail "gatewayd with TLS did not come up"; }

code=$(curl -s -o "$T/body" -w '%{http_code}' --cacert "$T/srv.crt" "$URL/healthz")
[ "$code" = 200 ] && grep -q '"status":"ok"' "$T/body" && ok "https healthz with --cacert (200)" ||
        nok "https healthz: $code $(head -c 200 "$T/body")"
code=$(curl -s -o "$T/body" -w '%{http_code}' --cacert "$T/srv.crt" -H "$A" "$URL/api/v1/tcons")
n=$(python3 -c "import json; print(json.load(open('$T/body'))['count'])" 2>/dev/null)
[ "$code" = 200 ] && [ "$n" = 2 ] && ok "https listing with a token (200, 2 tcons)" ||
        nok "https listing: $code count=$n"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/srv.crt" "https://localhost:$PORT/api/v1")
[ "$code" = 401 ] && ok "https: still 401 without a token" || nok "https without token: $code"
curl -s -o /dev/null "$URL/healthz"; rc=$?
[ $rc = 60 ] && ok "https without --cacert: certificate not trusted (curl exit 60)" ||
        nok "https without --cacert: curl exit $rc, want 60"
curl -s -o /dev/null --cacert "$T/other.crt" "$URL/healthz"; rc=$?
[ $rc = 60 ] && ok "https with another CA: refused (curl exit 60)" ||
        nok "https with another CA: curl exit $rc, want 60"
python3 - "$PORT" "$T/srv.crt" <<'PY' && ok "the served certificate is tls_cert_file" || nok "served certificate differs"
import ssl, sys
served = ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate(("127.0.0.1", int(sys.argv[1]))))
mine = ssl.PEM_cert_to_DER_cert(open(sys.argv[2]).read())
sys.exit(0 if served == mine else 1)
PY
code=$(curl -s -m 5 -o "$T/body" -w '%{http_code}' "http://127.0.0.1:$PORT/healthz"); rc=$?
[ $rc -ne 0 ] && [ "$code" = 000 ] && ok "plain http to the TLS port gets no HTTP answer (curl exit $rc)" ||
        nok "plain http to the TLS port: curl exit $rc, status $code"
python3 - "$PORT" <<'PY' && ok "plain http request: no cleartext HTTP comes back" || nok "cleartext answer on the TLS port"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
data = b""
try:
    while len(data) < 4096:
        d = s.recv(4096)
        if not d:
            break
        data += d
except (socket.timeout, ConnectionResetError):
    pass
sys.exit(1 if b"HTTP/1." in data or b"status" in data else 0)
PY
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/srv.crt" "$URL/healthz")
[ "$code" = 200 ] && ok "https still served after the plain-http attempts" || nok "https after plain http: $code"
grep -q "listening (socket 0, port $PORT) with TLS" "$T/tls.log" && ok "log says the listener has TLS" ||
        nok "no TLS listening line in the log"
# A reload naming a key file that is gone: rejected, the old listener stays.
gw_config "$T/tls.json" "\"listen\": [ \"127.0.0.1:$PORT\" ], \"tls_cert_file\": \"$T/srv.crt\", \"tls_key_file\": \"$T/gone.key\""
kill -HUP "$GWD_PID"
i=0
until grep -q "reload of .* rejected\|reload complete" "$T/tls.log" || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
grep -q "tls_key_file: cannot open \"$T/gone.key\": No such file or directory" "$T/tls.log" &&
        grep -q "reload of .* rejected" "$T/tls.log" && ok "reload with a missing key file rejected, naming it" ||
        nok "reload with missing key: $(tail -5 "$T/tls.log")"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/srv.crt" "$URL/healthz")
[ "$code" = 200 ] && ok "https still served after the rejected reload" || nok "https after rejected reload: $code"
kill -TERM "$GWD_PID"; wait "$GWD_PID"; rc=$?; GWD_PID=
[ $rc = 0 ] && ok "TLS gatewayd exits 0 on SIGTERM" || nok "TLS gatewayd exit $rc"
if grep -q "PRIVATE KEY\|$ADMIN" "$T/tls.log"; then nok "key material or token in the log"; else ok "no key or token in the log"; fi
no_sanitizer_report "TLS run" "$T/tls.log"

# =========================================================================
# systemd socket activation
# =========================================================================
# "sd:" without any passed socket: a start error naming the address.
gw_config "$T/sd-none.json" "\"listen\": [ \"sd:api\" ]"
GWD_PLUGIN_DIR=$PLUGINS "$B/gatewayd/gatewayd" -t -c "$T/sd-none.json" >/dev/null 2>&1 &&
        ok "config: sd:api is a valid listen address" || nok "config: sd:api rejected"
env -u LISTEN_FDS -u LISTEN_PID -u LISTEN_FDNAMES GWD_PLUGIN_DIR=$PLUGINS \
        "$B/gatewayd/gatewayd" -f -c "$T/sd-none.json" > "$T/sd-none.log" 2>&1 &
GWD_PID=$!
exits_with_error "sd:api without socket activation" "$T/sd-none.log" \
        "cannot listen on sd:api: no socket of that name was passed by systemd"

# Environment for the activated daemon: systemd-socket-activate passes only
# what -E names.
SA_ENV="-E GWD_PLUGIN_DIR=$PLUGINS"
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
        eval "val=\${$v:-}"
        [ -n "$val" ] && SA_ENV="$SA_ENV -E $v=$val"
done

# A passed socket under another name: the same error, after activation.
PORT=$(free_port)
# shellcheck disable=SC2086
systemd-socket-activate -l "127.0.0.1:$PORT" --fdname=other $SA_ENV \
        "$B/gatewayd/gatewayd" -f -c "$T/sd-none.json" > "$T/sd-other.log" 2>&1 &
GWD_PID=$!
sleep 0.3
curl -s -m 10 -o /dev/null "http://127.0.0.1:$PORT/healthz"   # activates it
exits_with_error "a passed socket with another name is not taken" "$T/sd-other.log" \
        "no socket of that name was passed by systemd"

# Two passed sockets, TCP "api" and unix "adm"; no address of our own.
PORT=$(free_port)
SOCK=$T/sd-adm.sock
gw_config "$T/sd.json" "\"listen\": [ \"sd:api\", \"sd:adm\" ], \"unix_socket_admin_uids\": [ $(id -u) ]"
# shellcheck disable=SC2086
systemd-socket-activate -l "127.0.0.1:$PORT" -l "$SOCK" --fdname=api:adm $SA_ENV \
        "$B/gatewayd/gatewayd" -f -c "$T/sd.json" > "$T/sd.log" 2>&1 &
GWD_PID=$!
i=0
until [ -S "$SOCK" ] || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
if grep -q "listening (socket" "$T/sd.log"; then nok "gatewayd started before the first connection"
else ok "nothing started before the first connection (socket held by systemd-socket-activate)"; fi
wait_up "http://127.0.0.1:$PORT/healthz" -m 10 || { cat "$T/sd.log"; bail "socket-activated gatewayd did not come up"; }
code=$(curl -s -o "$T/body" -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")
[ "$code" = 200 ] && ok "sd:api (TCP) serves healthz (200)" || nok "sd:api healthz: $code"
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "$A" "http://127.0.0.1:$PORT/api/v1/servers")
[ "$code" = 200 ] && grep -q '"count":2' "$T/body" && ok "sd:api serves the listing with a token" ||
        nok "sd:api listing: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/servers")
[ "$code" = 401 ] && ok "sd:api: TCP peer without token is 401" || nok "sd:api no token: $code"
code=$(curl -s -o "$T/body" -w '%{http_code}' --unix-socket "$SOCK" -X POST \
        "http://x/api/v1/servers/srv1/reconnect?wait=10")
[ "$code" = 200 ] && grep -q '"status":"succeeded"' "$T/body" &&
        ok "sd:adm (unix, passed): peer uid is admin, reconnect succeeded" ||
        nok "sd:adm POST: $code $(head -c 300 "$T/body")"
n=$(grep -c "listening (socket" "$T/sd.log")
[ "$n" = 2 ] && grep -q "listening (socket 0, port $PORT)" "$T/sd.log" &&
        ok "log: two passed listeners, TCP on port $PORT" || nok "listening lines: $(grep listening "$T/sd.log")"
# A reload that changes the api section restarts the instance: the passed
# sockets must still be there for the new one.
gw_config "$T/sd.json" "\"listen\": [ \"sd:api\", \"sd:adm\" ], \"unix_socket_admin_uids\": [ $(id -u) ], \"max_connections\": 64"
kill -HUP "$GWD_PID"
i=0
until grep -q "reload complete\|reload of .* rejected\|could not be started" "$T/sd.log" || [ $i -gt 100 ]; do
        sleep 0.1; i=$((i + 1))
done
grep -q "api: configuration changed; restarting the instance" "$T/sd.log" && grep -q "reload complete" "$T/sd.log" &&
        ok "reload restarted the api instance" || nok "reload: $(tail -5 "$T/sd.log")"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")
[ "$code" = 200 ] && ok "sd:api still served after the restart" || nok "sd:api after restart: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" "http://x/api/v1/health")
[ "$code" = 200 ] && ok "sd:adm still served after the restart" || nok "sd:adm after restart: $code"
kill -TERM "$GWD_PID"; wait "$GWD_PID"; rc=$?; GWD_PID=
[ $rc = 0 ] && ok "socket-activated gatewayd exits 0 on SIGTERM" || nok "socket-activated exit $rc"
no_sanitizer_report "socket activation run" "$T/sd.log"
curl -s -m 2 -o /dev/null "http://127.0.0.1:$PORT/healthz"; rc=$?
[ $rc = 7 ] && ok "port closed after the stop (nothing left listening)" || nok "port after stop: curl exit $rc"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
