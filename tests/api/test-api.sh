#!/bin/sh
# SPDX-License-Identifier: MIT
# Integration test of the admin API: gatewayd with mem + testobj + api on a
# free loopback port, every route and error status driven with curl.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
B=$top_builddir
PASS=0 FAIL=0
T=$(mktemp -d /tmp/gwd-api-test.XXXXXX)
GWD_PID=

ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
nok() { FAIL=$((FAIL + 1)); echo "FAIL - $1"; }
cleanup() {
        if [ -n "$GWD_PID" ] && kill -0 "$GWD_PID" 2>/dev/null; then
                kill -TERM "$GWD_PID"; wait "$GWD_PID" 2>/dev/null
        fi
        rm -rf "$T"
}
trap cleanup EXIT

for f in gatewayd/gatewayd plugins/api/.libs/api.so plugins/mem/.libs/mem.so \
         tests/plugins/.libs/testobj.so; do
        [ -e "$B/$f" ] || { echo "missing $B/$f (build first)"; echo "0 passed, 1 failed"; exit 1; }
done
command -v curl >/dev/null || { echo "curl missing"; echo "0 passed, 1 failed"; exit 1; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
ADMIN=AdminAdminAdmin0123456789
READ=ReadReadRead0123456789
printf '# role name token\nadmin ops %s\nread viewer %s\n' "$ADMIN" "$READ" > "$T/tokens"
cat > "$T/gw.json" <<JSON
{ "daemon": { "log_level": "info" },
  "instances": [
    { "name": "mem", "plugin": "mem", "config": { "shares": [ { "name": "scratch" } ] } },
    { "name": "objs", "plugin": "testobj",
      "config": { "servers": 2, "sessions_per_server": 2, "tcons_per_session": 2, "step_ms": 30 } },
    { "name": "api", "plugin": "api",
      "config": { "listen": [ "127.0.0.1:$PORT", "unix:$T/api.sock" ], "tokens_file": "$T/tokens",
                  "unix_socket_admin_uids": [ $(id -u) ], "max_body_bytes": 4096,
                  "max_sse_subscribers": 2, "connection_timeout": 3,
                  "listing_cache_ms": 60000 } } ] }
JSON

# --- config validation -------------------------------------------------------
cat > "$T/bad.json" <<JSON
{ "instances": [ { "name": "api", "plugin": "api",
  "config": { "listen": [ "127.0.0.1:x" ], "tokens_file": "$T/tokens", "max_body_bytes": "big",
              "allow_anonymous_loopback": true, "bogus": 1 } } ] }
JSON
out=$(GWD_PLUGIN_DIR=$B/plugins/api/.libs "$B/gatewayd/gatewayd" -t -c "$T/bad.json" 2>&1)
case $out in *"listen[0]"*) ok "config: bad listen address reported with its path" ;; *) nok "config listen: $out" ;; esac
case $out in *"max_body_bytes"*) ok "config: wrong type reported" ;; *) nok "config type: $out" ;; esac
case $out in *"bogus"*) ok "config: unknown key reported" ;; *) nok "config unknown: $out" ;; esac
printf 'admin x %s\nroot y TOKENTOKENTOKENTOKEN\n' "$ADMIN" > "$T/badtokens"
cat > "$T/bad2.json" <<JSON
{ "instances": [ { "name": "api", "plugin": "api", "config": { "tokens_file": "$T/badtokens" } } ] }
JSON
out=$(GWD_PLUGIN_DIR=$B/plugins/api/.libs "$B/gatewayd/gatewayd" -t -c "$T/bad2.json" 2>&1)
case $out in *"line 2"*) ok "config: token file error has a line number" ;; *) nok "token file: $out" ;; esac
case $out in *"$ADMIN"*|*TOKENTOKEN*) nok "config: token leaked in error" ;; *) ok "config: no token in errors" ;; esac

# --- start -------------------------------------------------------------------
GWD_PLUGIN_DIR=$B/plugins/mem/.libs:$B/plugins/api/.libs:$B/tests/plugins/.libs \
        "$B/gatewayd/gatewayd" -f -c "$T/gw.json" > "$T/log" 2>&1 &
GWD_PID=$!
i=0
until curl -s -o /dev/null "$URL/healthz"; do
        i=$((i + 1)); [ $i -gt 100 ] && { cat "$T/log"; echo "0 passed, 1 failed"; exit 1; }
        sleep 0.1
done

# st EXPECTED NAME curl-args...: check the status code; body in $T/body
st() {
        want=$1 name=$2; shift 2
        got=$(curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' "$@")
        if [ "$got" = "$want" ]; then ok "$name ($got)"; else nok "$name: got $got want $want: $(head -c 300 "$T/body")"; fi
}
jq_() { python3 -c "import json,sys; d=json.load(open('$T/body')); print($1)" 2>/dev/null; }
has() { if grep -q -- "$2" "$T/body"; then ok "$1"; else nok "$1: no '$2' in $(head -c 300 "$T/body")"; fi; }
hdr() { if grep -qi -- "$2" "$T/headers"; then ok "$1"; else nok "$1: no header '$2'"; fi; }
problem() {
        ct=$(grep -i '^content-type:' "$T/headers" | tr -d '\r')
        s=$(jq_ 'd["status"]')
        if [ "$ct" = "Content-Type: application/problem+json" ] && [ "$s" = "$1" ]; then ok "problem+json $1"; else nok "problem+json $1: $ct / $s"; fi
}
A="Authorization: Bearer $ADMIN"
R="Authorization: Bearer $READ"

# --- basic routes --------------------------------------------------------------
st 200 "healthz without auth" "$URL/healthz"
has "healthz says ok" '"status":"ok"'
st 401 "api without auth" "$URL/api/v1"; problem 401
hdr "401 has WWW-Authenticate" 'WWW-Authenticate: Bearer'
st 401 "wrong token" -H "Authorization: Bearer WrongWrongWrong0123456789" "$URL/api/v1"; problem 401
st 401 "basic auth is not bearer" -u a:b "$URL/api/v1"
st 200 "index with read token" -H "$R" "$URL/api/v1"
has "index lists routes" '/api/v1/{kind}s/{id}/{action}'
st 200 "openapi" -H "$R" "$URL/api/v1/openapi.json"
[ "$(jq_ 'd["openapi"][:2]')" = "3." ] && ok "openapi document parses" || nok "openapi document"
cp "$T/body" "$T/openapi"
st 200 "health" -H "$R" "$URL/api/v1/health"
[ "$(jq_ 'd["kinds"]["tcon"]["good"]')" = 8 ] && ok "health counts 8 good tcons" || nok "health counts: $(cat "$T/body")"
[ "$(jq_ 'd["status"]')" = ok ] && ok "health ok" || nok "health status"
st 200 "list tcons" -H "$R" "$URL/api/v1/tcons"
[ "$(jq_ 'd["count"]')" = 8 ] && ok "8 tcons" || nok "tcon count"
# The listing cache (listing_cache_ms 60 s here, so only events refresh it):
# the same unfiltered listing again is a hit and the same bytes.
cp "$T/body" "$T/list1"
hits() { curl -s -H "$R" "$URL/metrics" | sed -n 's/^gwd_api_listing_cache_hits_total //p'; }
h0=$(hits)
st 200 "list tcons again" -H "$R" "$URL/api/v1/tcons"
[ "$(hits)" = $((h0 + 1)) ] && ok "second listing served from the cache" || nok "cache hits $h0 -> $(hits)"
cmp -s "$T/body" "$T/list1" && ok "cached listing is the same listing" || nok "cached listing differs"
st 200 "filtered listing" -H "$R" "$URL/api/v1/tcons?state=good"
[ "$(hits)" = $((h0 + 1)) ] && ok "filtered listings are not cached" || nok "cache hits $h0 -> $(hits)"
curl -s -o "$T/one" -H "$R" "$URL/api/v1/tcons/srv0.s1.t1"
python3 - "$T/body" "$T/one" "$T/openapi" <<'PY2' && ok "listing: members in order (as the OpenAPI schemas say), each item the object without history/children" || nok "listing shape: $(head -c 300 "$T/body")"
import json, sys
lst, one = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
schemas = json.load(open(sys.argv[3]))["components"]["schemas"]
assert list(lst) == ["kind", "count", "items"] == schemas["Collection"]["required"], list(lst)
assert lst["kind"] == "tcon"
assert lst["count"] == len(lst["items"]), lst["count"]
want = ["kind", "id", "parent", "state", "since", "created", "details", "actions"]
assert want == schemas["Object"]["required"], schemas["Object"]["required"]
for i in lst["items"]:
    assert list(i) == want, list(i)
    assert i["kind"] == "tcon" and i["parent"]["kind"] == "session", i
ids = [i["id"] for i in lst["items"]]
assert ids == ["srv%d.s%d.t%d" % (a, b, c) for a in range(2) for b in range(2) for c in range(2)], ids
assert list(one) == want + ["history", "children"], list(one)
item = [i for i in lst["items"] if i["id"] == "srv0.s1.t1"][0]
assert {k: v for k, v in one.items() if k not in ("history", "children")} == item, (one, item)
PY2
st 200 "list servers" -H "$R" "$URL/api/v1/servers"
[ "$(jq_ 'd["count"]')" = 2 ] && ok "2 servers" || nok "server count"
st 200 "list shares (mem)" -H "$R" "$URL/api/v1/shares"
has "mem share listed" '"id":"mem.scratch"'
st 200 "filter server=srv1" -H "$R" "$URL/api/v1/tcons?server=srv1"
[ "$(jq_ 'd["count"]')" = 4 ] && ok "4 tcons under srv1" || nok "server filter: $(jq_ 'd["count"]')"
st 200 "filter parent" -H "$R" "$URL/api/v1/tcons?parent=srv0.s1"
[ "$(jq_ '[i["id"] for i in d["items"]]')" = "['srv0.s1.t0', 'srv0.s1.t1']" ] && ok "parent filter" || nok "parent filter"
st 200 "filter state=!good" -H "$R" "$URL/api/v1/tcons?state=!good"
[ "$(jq_ 'd["count"]')" = 0 ] && ok "no tcon not good" || nok "state filter"
st 400 "bad filter value" -H "$R" "$URL/api/v1/tcons?state=Bad%20State"; problem 400
st 400 "unknown query parameter" -H "$R" "$URL/api/v1/tcons?colour=red"
st 404 "unknown kind" -H "$R" "$URL/api/v1/widgets"; problem 404
st 200 "one session" -H "$R" "$URL/api/v1/sessions/srv0.s0"
[ "$(jq_ 'len(d["children"])')" = 2 ] && ok "session has 2 children" || nok "children"
[ "$(jq_ '"history" in d')" = True ] && ok "object has history" || nok "history"
st 404 "unknown object" -H "$R" "$URL/api/v1/tcons/nope"; problem 404
st 400 "id '..'" --path-as-is -H "$R" "$URL/api/v1/tcons/.."
st 404 "id %00" -H "$R" "$URL/api/v1/tcons/%00"
st 400 "id with a space" -H "$R" "$URL/api/v1/tcons/a%20b"
st 405 "id with %2F is decoded into a deeper path" -H "$R" "$URL/api/v1/tcons/a%2Fb"
LONG=$(python3 -c 'print("a"*10240)')
st 400 "10 KB id" -H "$R" "$URL/api/v1/tcons/$LONG"
st 400 "invalid UTF-8 in id" -H "$R" "$URL/api/v1/tcons/%ff%fe"
st 404 "unknown path" -H "$R" "$URL/nope"
st 405 "DELETE on object" -X DELETE -H "$A" "$URL/api/v1/tcons/srv0.s0.t0"; problem 405
hdr "405 has Allow" 'Allow: GET, HEAD'
st 405 "GET on action" -H "$A" "$URL/api/v1/tcons/srv0.s0.t0/reconnect"
hdr "405 Allow POST" 'Allow: POST'
st 405 "POST on healthz" -X POST -H "$A" "$URL/healthz"

# --- roles and actions ---------------------------------------------------------
st 403 "read token cannot POST" -X POST -H "$R" "$URL/api/v1/tcons/srv0.s0.t0/reconnect"; problem 403
st 415 "wrong content type" -X POST -H "$A" -H 'Content-Type: text/plain' -d 'x' "$URL/api/v1/tcons/srv0.s0.t0/reconnect"; problem 415
st 400 "malformed JSON" -X POST -H "$A" -H 'Content-Type: application/json' -d '{"reason":' "$URL/api/v1/tcons/srv0.s0.t0/reconnect"; problem 400
printf '{"reason":"\377\376"}' > "$T/badutf8"
st 400 "invalid UTF-8 body" -X POST -H "$A" -H 'Content-Type: application/json' --data-binary @"$T/badutf8" "$URL/api/v1/tcons/srv0.s0.t0/reconnect"
st 400 "body not an object" -X POST -H "$A" -H 'Content-Type: application/json' -d '[1]' "$URL/api/v1/tcons/srv0.s0.t0/reconnect"
st 400 "reason not a string" -X POST -H "$A" -H 'Content-Type: application/json' -d '{"reason":1}' "$URL/api/v1/tcons/srv0.s0.t0/reconnect"
st 400 "unknown args rejected by the plugin" -X POST -H "$A" -H 'Content-Type: application/json' -d '{"x":1}' "$URL/api/v1/tcons/srv0.s0.t0/reconnect"
python3 -c 'print("{\"reason\":\"" + "x"*8000 + "\"}")' > "$T/big"
st 413 "huge body" -X POST -H "$A" -H 'Content-Type: application/json' --data-binary @"$T/big" "$URL/api/v1/tcons/srv0.s0.t0/reconnect"; problem 413
st 413 "huge chunked body" -X POST -H "$A" -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @"$T/big" "$URL/api/v1/tcons/srv0.s0.t0/reconnect"
st 404 "unknown action" -X POST -H "$A" "$URL/api/v1/tcons/srv0.s0.t0/explode"
st 404 "action on unknown object" -X POST -H "$A" "$URL/api/v1/tcons/nope/reconnect"
st 400 "bad wait" -X POST -H "$A" "$URL/api/v1/tcons/srv0.s0.t0/reconnect?wait=abc"
st 400 "wait out of range" -X POST -H "$A" "$URL/api/v1/tcons/srv0.s0.t0/reconnect?wait=100000"

# reconnect with wait: timeline ends good, starts with need_reconnect
st 200 "reconnect session ?wait=10" -X POST -H "$A" -H 'Content-Type: application/json' \
        -d '{"reason":"test run"}' "$URL/api/v1/sessions/srv0.s0/reconnect?wait=10"
[ "$(jq_ 'd["status"]')" = succeeded ] && ok "wait: succeeded" || nok "wait status: $(head -c 400 "$T/body")"
[ "$(jq_ 'd["timeline"][0]["to"]')" = need_reconnect ] && ok "timeline starts with need_reconnect" || nok "timeline start"
[ "$(jq_ '[e for e in d["timeline"] if e["id"]=="srv0.s0"][-1]["to"]')" = good ] && ok "timeline ends good" || nok "timeline end"
[ "$(jq_ 'len(d["timeline"])')" = 7 ] && ok "timeline has 7 transitions (session 3, 2 tcons 2 each)" || nok "timeline length $(jq_ 'len(d["timeline"])')"
[ "$(jq_ 'd["requested_by"]')" = "api:ops: test run" ] && ok "requested_by names token and reason" || nok "requested_by: $(jq_ 'd["requested_by"]')"
[ "$(jq_ 'd["recovery_ms"] > 0 and d["timeline"][-1]["t_ms"] <= d["recovery_ms"]')" = True ] && ok "recovery time plausible" || nok "recovery time"

# async: 202 + Location, then poll
st 200 "unfiltered listing before the reconnect (cached)" -H "$R" "$URL/api/v1/tcons"
[ "$(jq_ 'all(i["state"] == "good" for i in d["items"] if i["parent"]["id"].startswith("srv1."))')" = True ] \
        && ok "srv1 tcons good before the reconnect" || nok "srv1 before: $(head -c 300 "$T/body")"
st 202 "reconnect without wait" -X POST -H "$A" "$URL/api/v1/servers/srv1/reconnect"
LOC=$(grep -i '^location:' "$T/headers" | tr -d '\r' | cut -d' ' -f2)
case $LOC in /api/v1/operations/op-*) ok "Location of the operation" ;; *) nok "Location: $LOC" ;; esac
st 409 "second reconnect while busy" -X POST -H "$A" "$URL/api/v1/servers/srv1/reconnect"; problem 409
st 200 "tcons not good while reconnecting" -H "$R" "$URL/api/v1/tcons?state=!good&server=srv1"
[ "$(jq_ 'd["count"]')" -gt 0 ] 2>/dev/null && ok "some srv1 tcons not good" || nok "not-good filter during reconnect"
[ "$(jq_ 'all(i["state"] != "good" and i["parent"]["id"].startswith("srv1.") for i in d["items"])')" = True ] \
        && ok "listed items show the new state (nothing stale from the earlier listing)" || nok "stale items: $(head -c 300 "$T/body")"
st 200 "unfiltered listing during reconnect" -H "$R" "$URL/api/v1/tcons"
[ "$(jq_ 'any(i["state"] != "good" for i in d["items"] if i["parent"]["id"].startswith("srv1."))')" = True ] \
        && ok "a cached listing is dropped on the first event (srv1 tcons not good)" || nok "stale cached listing: $(head -c 300 "$T/body")"
st 200 "health degraded during reconnect" -H "$R" "$URL/api/v1/health"
[ "$(jq_ 'd["status"]')" = degraded ] && ok "health degraded" || nok "health: $(jq_ 'd["status"]')"
i=0; s=running
while [ "$s" = running ] && [ $i -lt 100 ]; do
        curl -s -o "$T/body" -H "$R" "$URL$LOC"; s=$(jq_ 'd["status"]'); i=$((i + 1)); sleep 0.1
done
[ "$s" = succeeded ] && ok "operation polled to succeeded" || nok "operation: $s"
# After events, the kind's cache slot is refilled in place: two listings in a
# row again give one hit (a second slot for the kind would miss forever).
h0=$(hits)
st 200 "listing after the reconnect" -H "$R" "$URL/api/v1/tcons"
st 200 "listing after the reconnect, again" -H "$R" "$URL/api/v1/tcons"
[ "$(hits)" = $((h0 + 1)) ] && ok "the cache works again after events" || nok "cache hits $h0 -> $(hits)"
st 404 "unknown operation" -H "$R" "$URL/api/v1/operations/op-999"

# wait timeout: "break" never recovers
st 200 "break with wait=1 times out" -X POST -H "$A" "$URL/api/v1/tcons/srv1.s1.t1/break?wait=1"
[ "$(jq_ 'd["status"]')" = timed_out ] && ok "timed_out reported" || nok "timeout: $(jq_ 'd["status"]')"
st 200 "health degraded with a broken tcon" -H "$R" "$URL/api/v1/health"
[ "$(jq_ 'd["not_good"][0]["id"]')" = srv1.s1.t1 ] && ok "health names the broken tcon" || nok "not_good list"
st 409 "drill on a broken target" -X POST -H "$A" -H 'Content-Type: application/json' \
        -d '{"target":{"kind":"tcon","id":"srv1.s1.t1"},"fault":"hang"}' "$URL/api/v1/drills"
st 202 "repair" -X POST -H "$A" "$URL/api/v1/tcons/srv1.s1.t1/repair"

# --- drills --------------------------------------------------------------------
for f in disconnect network_name_deleted session_expired hang; do
        st 200 "drill $f ?wait=10" -X POST -H "$A" -H 'Content-Type: application/json' \
                -d "{\"target\":{\"kind\":\"server\",\"id\":\"srv0\"},\"fault\":\"$f\"}" "$URL/api/v1/drills?wait=10"
        [ "$(jq_ 'd["status"] == "succeeded" and d["detection_ms"] is not None and d["recovery_ms"] >= d["detection_ms"]')" = True ] \
                && ok "drill $f report: detection and recovery" || nok "drill $f: $(head -c 400 "$T/body")"
        [ "$(jq_ 'd["wire"]["wire_commands_total"] > 0')" = True ] && ok "drill $f: wire counters" || nok "drill $f wire"
done
st 202 "drill without wait" -X POST -H "$A" -H 'Content-Type: application/json' \
        -d '{"target":{"kind":"session","id":"srv1.s0"},"fault":"hang","reason":"rehearsal"}' "$URL/api/v1/drills"
DLOC=$(grep -i '^location:' "$T/headers" | tr -d '\r' | cut -d' ' -f2)
st 409 "second drill on the same target" -X POST -H "$A" -H 'Content-Type: application/json' \
        -d '{"target":{"kind":"session","id":"srv1.s0"},"fault":"hang"}' "$URL/api/v1/drills"
st 200 "GET the running drill" -H "$R" "$URL$DLOC"
has "drill has fault" '"fault":"hang"'
st 200 "drill list" -H "$R" "$URL/api/v1/drills"
st 400 "drill with unknown fault" -X POST -H "$A" -H 'Content-Type: application/json' \
        -d '{"target":{"kind":"server","id":"srv0"},"fault":"meteor"}' "$URL/api/v1/drills"
st 400 "drill without body" -X POST -H "$A" "$URL/api/v1/drills"
st 400 "drill with bad target" -X POST -H "$A" -H 'Content-Type: application/json' \
        -d '{"target":"srv0","fault":"hang"}' "$URL/api/v1/drills"
st 400 "drill on a target without drills (share)" -X POST -H "$A" -H 'Content-Type: application/json' \
        -d '{"target":{"kind":"share","id":"mem.scratch"},"fault":"hang"}' "$URL/api/v1/drills"
st 404 "drill on unknown target" -X POST -H "$A" -H 'Content-Type: application/json' \
        -d '{"target":{"kind":"server","id":"srv9"},"fault":"hang"}' "$URL/api/v1/drills"
st 404 "unknown drill" -H "$R" "$URL/api/v1/drills/drill-999"
st 403 "read token cannot drill" -X POST -H "$R" -H 'Content-Type: application/json' \
        -d '{"target":{"kind":"server","id":"srv0"},"fault":"hang"}' "$URL/api/v1/drills"
sleep 1

# --- SSE -------------------------------------------------------------------------
curl -s -N -m 3 -H "$R" "$URL/api/v1/events" > "$T/sse1" &
SSE1=$!
sleep 0.5
curl -s -o /dev/null -X POST -H "$A" "$URL/api/v1/tcons/srv0.s0.t0/reconnect?wait=5"
wait $SSE1
python3 - "$T/sse1" <<'PY' && ok "SSE framing: id/event/data frames, seq increasing, JSON data" || nok "SSE framing: $(head -c 400 "$T/sse1")"
import json, sys
frames = [f for f in open(sys.argv[1]).read().split('\n\n') if f.strip()]
seqs = []
for f in frames:
    lines = f.split('\n')
    if lines[0].startswith(':') or lines[0].startswith('retry:'):
        continue
    assert lines[0].startswith('id: ') and lines[1] == 'event: state' and lines[2].startswith('data: '), f
    d = json.loads(lines[2][6:])
    assert set(d) == {'seq', 'time', 'kind', 'id', 'from', 'to', 'cause'}, d
    assert int(lines[0][4:]) == d['seq']
    seqs.append(d['seq'])
assert len(seqs) == 3 and seqs == sorted(seqs), seqs
PY
FIRST=$(grep -m1 '^id: ' "$T/sse1" | cut -d' ' -f2)
curl -s -N -m 1 -H "$R" -H "Last-Event-ID: $FIRST" "$URL/api/v1/events" > "$T/sse2"
n=$(grep -c '^id: ' "$T/sse2")
[ "$n" -ge 2 ] && [ "$(grep -m1 '^id: ' "$T/sse2" | cut -d' ' -f2)" = $((FIRST + 1)) ] && ok "Last-Event-ID resumes after $FIRST" || nok "resume: $(head -c 300 "$T/sse2")"
curl -s -N -m 1 -H "$R" -H "Last-Event-ID: 999999" "$URL/api/v1/events" > "$T/sse3"
grep -q '^event: error' "$T/sse3" && grep -q '"history_lost"' "$T/sse3" && ok "too-old id: error event" || nok "history_lost: $(cat "$T/sse3")"
st 400 "bad Last-Event-ID" -H "$R" -H "Last-Event-ID: abc" "$URL/api/v1/events"
curl -s -N -m 3 -H "$R" "$URL/api/v1/events" > /dev/null &
S1=$!
curl -s -N -m 3 -H "$R" "$URL/api/v1/events" > /dev/null &
S2=$!
sleep 0.5
st 503 "third SSE subscriber over the limit" -H "$R" "$URL/api/v1/events"; problem 503
wait $S1 $S2

# --- unix socket with uid ---------------------------------------------------------
st 200 "unix socket: uid is admin without token" --unix-socket "$T/api.sock" "http://x/api/v1/health"
st 202 "unix socket: admin may POST" -X POST --unix-socket "$T/api.sock" "http://x/api/v1/tcons/srv0.s1.t0/reconnect"

# --- metrics ------------------------------------------------------------------------
sleep 0.5
st 401 "metrics need a token" "$URL/metrics"
st 200 "metrics" -H "$R" "$URL/metrics"
python3 "$top_srcdir/tests/api/promcheck.py" \
        'gwd_objects{kind="tcon",state="good"}>=7' 'gwd_objects{kind="share",state="good"}' \
        'gwd_state_changes_total{kind="tcon",to="need_reconnect"}>=4' \
        'gwd_http_requests_total{route="/api/v1/{kind}s",method="GET",code="200"}>=5' \
        'gwd_http_requests_total{route="/api/v1/drills",method="POST",code="200"}>=4' \
        'gwd_http_requests_total{code="401"}>=3' \
        'gwd_http_request_duration_seconds_count{route="/api/v1/health"}>=1' \
        'gwd_object_server_wire_commands_total{id="srv0"}>=1' \
        'gwd_object_share_max_bytes{id="mem.scratch"}' \
        'gwd_sse_subscribers' 'gwd_http_connections' < "$T/body" > "$T/prom" 2>&1 \
        && ok "Prometheus output parses and has the expected series" || nok "promcheck: $(cat "$T/prom")"

# --- slow and abusive clients --------------------------------------------------------
python3 - "$PORT" <<'PY' && ok "slow client does not block others; timed out" || nok "slow client"
import socket, sys, time, urllib.request
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port))
req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
for b in req[:10]:
    s.send(bytes([b])); time.sleep(0.05)
# while the slow one dawdles, others are served at once
t = time.time()
assert urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=2).status == 200
assert time.time() - t < 1
# idle past connection_timeout (3 s): the server closes it
s.settimeout(8)
t = time.time()
data = s.recv(100)
assert data == b"" or b"408" in data or time.time() - t < 8, data
PY
python3 - "$PORT" <<'PY' && ok "garbage request line answered and closed" || nok "garbage request"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.send(b"\x00\xff GARBAGE\r\n\r\n")
d = s.recv(1000)
assert d.startswith(b"HTTP/1.1 4") or d == b"", d
PY
st 431 "headers too large" -H "$R" -H "X-Big: $(python3 -c 'print("a"*40000)')" "$URL/api/v1" || true
st 200 "daemon still answers" -H "$R" "$URL/api/v1/health"

# --- shutdown -------------------------------------------------------------------------
kill -TERM "$GWD_PID"
wait "$GWD_PID"; rc=$?
GWD_PID=
[ $rc = 0 ] && ok "gatewayd exits 0 on SIGTERM" || { nok "exit status $rc"; tail -20 "$T/log"; }
if grep -q "$ADMIN\|$READ" "$T/log"; then nok "tokens in the log"; else ok "no token in the log"; fi
if grep -qi "runtime error\|AddressSanitizer\|LeakSanitizer" "$T/log"; then nok "sanitizer report"; grep -A20 -i "sanitizer\|runtime error" "$T/log" | head -40; else ok "no sanitizer report"; fi
[ -e "$T/api.sock" ] && nok "unix socket left behind" || ok "unix socket removed"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
