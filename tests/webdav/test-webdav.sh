#!/bin/bash
# SPDX-License-Identifier: MIT
# Integration test of plugins/webdav against the mem backend: gatewayd is
# started on loopback (ephemeral ports), curl and cadaver talk to it.
# Ends with "N passed, N failed"; exit 1 on any failure (a missing tool or
# binary is a failure too, not a skip).
set -u

top_builddir=${top_builddir:-$(pwd)}
GATEWAYD=$top_builddir/gatewayd/gatewayd
PLUGINS=$top_builddir/plugins/mem/.libs:$top_builddir/plugins/webdav/.libs
for tool in curl xmllint sha256sum openssl python3 unshare ip; do
        command -v $tool >/dev/null || { echo "FAIL $tool is missing"; echo "0 passed, 1 failed"; exit 1; }
done
[ -x "$GATEWAYD" ] || { echo "FAIL $GATEWAYD not built"; echo "0 passed, 1 failed"; exit 1; }

T=$(mktemp -d /tmp/test-webdav.XXXXXX)
PIDS=()
passed=0
failed=0

cleanup() {
        for p in "${PIDS[@]}"; do
                kill "$p" 2>/dev/null
        done
        for p in "${PIDS[@]}"; do
                wait "$p" 2>/dev/null
        done
        rm -rf "$T"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1${2:+: $2}"; }
# check NAME EXPECTED ACTUAL
check() {
        if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "expected '$2', got '$3'"; fi
}
# checkgrep NAME PATTERN FILE
checkgrep() {
        if grep -qE -- "$2" "$3"; then ok "$1"; else bad "$1" "no /$2/ in $(head -c 300 "$3")"; fi
}

# --- fixtures ------------------------------------------------------------------------
salt=s4lt
hash=$(printf '%s%s' "$salt" "alicepw" | sha256sum | cut -d' ' -f1)
tokhash=$(printf '%s' "citoken123" | sha256sum | cut -d' ' -f1)
cat > "$T/users" <<USERS
# test users
alice sha256:$salt:$hash
bob plain:bobpw
ci token-sha256:$tokhash
USERS

cat > "$T/gw.json" <<CONF
{
  "daemon": { "log_level": "debug" },
  "instances": [
    { "name": "mem", "plugin": "mem", "config": { "shares": [
        { "name": "demo", "max_bytes": 805306368 },
        { "name": "ro" },
        { "name": "tiny", "max_bytes": 100663296 } ] } },
    { "name": "dav", "plugin": "webdav", "config": {
        "listen": [ "127.0.0.1:0" ],
        "users_file": "$T/users",
        "allow_anonymous_loopback": true,
        "max_connections": 128,
        "upload_buffer_bytes": 8388608,
        "exports": [
          { "share": "demo", "path": "/dav/demo" },
          { "share": "ro", "read_only": true },
          { "share": "demo", "path": "/private", "users": [ "alice" ] },
          { "share": "tiny" },
          { "share": "nosuch", "path": "/missing" } ] } }
  ]
}
CONF

start_daemon() { # conf log
        GWD_PLUGIN_DIR=$PLUGINS "$GATEWAYD" -f -c "$1" > "$2" 2>&1 &
        PIDS+=($!)
        DPID=$!
        for _ in $(seq 50); do
                grep -q "started" "$2" && break
                kill -0 $DPID 2>/dev/null || break
                sleep 0.1
        done
}

# --- configuration is checked strictly --------------------------------------------------
cat > "$T/bad.json" <<CONF
{ "instances": [
  { "name": "m", "plugin": "mem", "config": { "shares": [ { "name": "s" } ] } },
  { "name": "d", "plugin": "webdav", "config": {
      "listen": [ "nonsense" ], "bogus": 1, "tls_cert_file": "/x", "max_connections": 0,
      "upload_buffer_bytes": 1048576, "flush_uploads": "yes", "connection_memory_bytes": 1024,
      "exports": [ { "share": "s", "path": "dav/x" },
                   { "share": "s", "path": "/s/../x", "users": [ "bad name" ] },
                   { "share": "s" }, { "share": "s", "path": "/s" } ] } } ] }
CONF
GWD_PLUGIN_DIR=$PLUGINS "$GATEWAYD" --check-config -c "$T/bad.json" > "$T/bad.out" 2>&1
check "bad config refused (exit 78)" 78 "$?"
for m in 'config.bogus: unknown key' 'config.max_connections: 0 is out of range' \
         'config.upload_buffer_bytes: 1048576 is out of range' 'config.flush_uploads: ' \
         'config.connection_memory_bytes: 1024 is out of range' \
         'tls_cert_file and tls_key_file go together' 'nobody could log in' \
         'config.listen\[0\]: "nonsense" is not an address' \
         'exports\[0\].path: "dav/x" must be' 'exports\[1\].path: "/s/../x" must be' \
         'exports\[1\].users\[0\]: must be a user name' \
         'exports\[3\]: path "/s" is used twice'; do
        checkgrep "config error: $m" "$m" "$T/bad.out"
done
GWD_PLUGIN_DIR=$PLUGINS "$GATEWAYD" --check-config -c "$T/gw.json" > "$T/good.out" 2>&1
check "the test config is valid" 0 "$?"

start_daemon "$T/gw.json" "$T/log"
PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:0 (port \([0-9]*\)).*/\1/p' "$T/log" | head -1)
if [ -z "$PORT" ]; then
        cat "$T/log"
        echo "0 passed, 1 failed"
        exit 1
fi
B=http://127.0.0.1:$PORT
D=$B/dav/demo
echo "# gatewayd pid $DPID on port $PORT"

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
hdrs() { curl -s -o /dev/null -D - "$@" | tr -d '\r'; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

# --- OPTIONS ------------------------------------------------------------------------------
hdrs -X OPTIONS "$D/" > "$T/h"
checkgrep "OPTIONS says DAV: 1, 2" '^DAV: 1, 2$' "$T/h"
checkgrep "OPTIONS Allow lists LOCK" '^Allow: .*PROPFIND.*LOCK' "$T/h"

# --- round trips --------------------------------------------------------------------------
: > "$T/f0"
head -c 1 /dev/urandom > "$T/f1"
head -c $((1048576 + 1)) /dev/urandom > "$T/f1m"
head -c $((64 << 20)) /dev/urandom > "$T/f64m"
head -c $((512 << 20)) /dev/urandom > "$T/f512m"
for f in f0 f1 f1m f64m f512m; do
        check "PUT $f creates (201)" 201 "$(code -T "$T/$f" "$D/$f")"
        curl -s -o "$T/$f.back" "$D/$f"
        check "GET $f sha256" "$(sha "$T/$f")" "$(sha "$T/$f.back")"
        rm -f "$T/$f.back"
done
# The upload buffer budget (upload_buffer_bytes: two 4 MiB chunks) is shared:
# six concurrent uploads, at most two of them holding chunks, the others
# waiting in line; every one must complete with the right bytes.
head -c $((20 << 20)) /dev/urandom > "$T/f20m"
CPIDS=()
for i in 1 2 3 4 5 6; do
        curl -s -m 120 -o /dev/null -w '%{http_code}' -T "$T/f20m" "$D/par$i" > "$T/par$i.code" &
        CPIDS+=($!)
done
wait "${CPIDS[@]}"
checkgrep "uploads waited for a buffer of the budget" 'waits for a buffer \(upload_buffer_bytes in use\)' "$T/log"
for i in 1 2 3 4 5 6; do
        check "concurrent PUT $i of 6 with a 2-chunk budget (201)" 201 "$(cat "$T/par$i.code")"
        curl -s -o "$T/back" "$D/par$i"
        check "concurrent PUT $i of 6: sha256" "$(sha "$T/f20m")" "$(sha "$T/back")"
        code -X DELETE "$D/par$i" > /dev/null
done
rm -f "$T/f20m" "$T/back"
# The share's quota (768 MiB) is for the tests below.
check "DELETE f512m (204)" 204 "$(code -X DELETE "$D/f512m")"
rm -f "$T/f512m"
check "PUT over an existing file (204)" 204 "$(code -T "$T/f1m" "$D/f1")"
curl -s -o "$T/back" "$D/f1"
check "overwritten content" "$(sha "$T/f1m")" "$(sha "$T/back")"
check "chunked PUT (201)" 201 "$(printf 'chunked body' | code -T - "$D/chunked.txt")"
check "chunked content" "chunked body" "$(curl -s "$D/chunked.txt")"
hdrs -I "$D/f1m" > "$T/h"
checkgrep "HEAD Content-Length" '^Content-Length: 1048577$' "$T/h"
checkgrep "HEAD ETag" '^ETag: "[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$' "$T/h"
checkgrep "HEAD Last-Modified" '^Last-Modified: [A-Z][a-z]{2}, [0-9]{2} ' "$T/h"
check "Content-Type by extension" "text/plain; charset=utf-8" \
        "$(curl -s -o /dev/null -w '%{content_type}' "$D/chunked.txt")"
check "GET missing (404)" 404 "$(code "$D/nope")"

# The loop glue re-runs MHD at once when it has work ("run again now"); with
# sd-event's default 250 ms timer accuracy every request that waits for the
# backend took a quarter of a second, 20 of them 5 s.
START=$(date +%s%N)
curl -s $(for _ in $(seq 20); do printf -- '-o /dev/null %s ' "$D/f1"; done)
MS=$(( ($(date +%s%N) - START) / 1000000 ))
if [ "$MS" -lt 2000 ]; then ok "20 sequential GETs on one connection in ${MS} ms (< 2000)"
else bad "20 sequential GETs on one connection in < 2000 ms" "${MS} ms"; fi

# --- ranges ------------------------------------------------------------------------------------
for r in "0-0 0 1" "10-19 10 10" "1048570- 1048570 7" "-5 1048572 5"; do
        set -- $r
        curl -s -D "$T/h" -o "$T/part" -r "$1" "$D/f1m"
        dd if="$T/f1m" of="$T/want" bs=1 skip="$2" count="$3" status=none
        check "range $1 bytes" "$(sha "$T/want")" "$(sha "$T/part")"
        checkgrep "range $1 is 206" '^HTTP/1.1 206' "$T/h"
done
curl -s -D "$T/h" -o /dev/null -r 0-1 "$D/f1m"
checkgrep "Content-Range" '^Content-Range: bytes 0-1/1048577' "$T/h"
check "range beyond the end (416)" 416 "$(code -r 2000000- "$D/f1m")"
curl -s -D "$T/h" -o /dev/null -r 2000000- "$D/f1m"
checkgrep "416 Content-Range" '^Content-Range: bytes \*/1048577' "$T/h"
check "multi-range is served whole (200)" 200 "$(code -r 0-1,5-6 "$D/f1m")"

# --- conditionals ------------------------------------------------------------------------------
ETAG=$(hdrs -I "$D/f1m" | sed -n 's/^ETag: //p')
LM=$(hdrs -I "$D/f1m" | sed -n 's/^Last-Modified: //p')
check "If-None-Match -> 304" 304 "$(code -H "If-None-Match: $ETAG" "$D/f1m")"
check "If-None-Match other -> 200" 200 "$(code -H 'If-None-Match: "x"' "$D/f1m")"
check "If-Modified-Since -> 304" 304 "$(code -H "If-Modified-Since: $LM" "$D/f1m")"
check "If-Modified-Since old -> 200" 200 \
        "$(code -H 'If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT' "$D/f1m")"
check "If-Range mismatch -> 200" 200 "$(code -r 0-1 -H 'If-Range: "x"' "$D/f1m")"
check "If-Range match -> 206" 206 "$(code -r 0-1 -H "If-Range: $ETAG" "$D/f1m")"
check "PUT If-Match wrong -> 412" 412 "$(code -T "$T/f1" -H 'If-Match: "x"' "$D/f1m")"
check "PUT If-Match right -> 204" 204 "$(code -T "$T/f1m" -H "If-Match: $ETAG" "$D/f1m")"
check "PUT If-None-Match * existing -> 412" 412 "$(code -T "$T/f1" -H 'If-None-Match: *' "$D/f1m")"
check "PUT If-None-Match * new -> 201" 201 "$(code -T "$T/f1" -H 'If-None-Match: *' "$D/new1")"
check "PUT If-Unmodified-Since old -> 412" 412 \
        "$(code -T "$T/f1" -H 'If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT' "$D/f1m")"
check "DELETE If-Match wrong -> 412" 412 "$(code -X DELETE -H 'If-Match: "x"' "$D/f1m")"

# --- PROPFIND / PROPPATCH --------------------------------------------------------------------
curl -s -X PROPFIND -H 'Depth: 1' "$D/" -D "$T/h" -o "$T/pf.xml"
checkgrep "PROPFIND depth 1 is 207" '^HTTP/1.1 207' "$T/h"
if xmllint --noout "$T/pf.xml" 2>"$T/xerr"; then ok "PROPFIND XML well-formed"; else bad "PROPFIND XML" "$(cat "$T/xerr")"; fi
check "PROPFIND depth 1 lists members" 1 \
        "$(xmllint --xpath 'count(//*[local-name()="href"][.="/dav/demo/f1m"])' "$T/pf.xml")"
check "getcontentlength" 1048577 "$(xmllint --xpath 'string(//*[local-name()="response"][*[local-name()="href"]="/dav/demo/f1m"]//*[local-name()="getcontentlength"])' "$T/pf.xml")"
check "collection resourcetype" 1 "$(xmllint --xpath 'count(//*[local-name()="response"][*[local-name()="href"]="/dav/demo/"]//*[local-name()="resourcetype"]/*[local-name()="collection" and namespace-uri()="DAV:"])' "$T/pf.xml")"
curl -s -X PROPFIND -H 'Depth: 0' "$D/f1m" -o "$T/pf0.xml"
check "PROPFIND depth 0 one response" 1 "$(xmllint --xpath 'count(//*[local-name()="response"])' "$T/pf0.xml")"
for p in getetag getlastmodified creationdate getcontenttype displayname supportedlock lockdiscovery; do
        check "allprop has $p" 1 "$(xmllint --xpath "count(//*[local-name()='$p' and namespace-uri()='DAV:'])" "$T/pf0.xml")"
done
curl -s -X PROPFIND -H 'Depth: infinity' "$D/" -D "$T/h" -o "$T/pfi.xml"
checkgrep "PROPFIND infinity refused (403)" '^HTTP/1.1 403' "$T/h"
checkgrep "propfind-finite-depth" 'propfind-finite-depth' "$T/pfi.xml"
curl -s -X PROPFIND -H 'Depth: 0' "$D/f1m" -o "$T/pfp.xml" --data \
        '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getcontentlength/><Z:x xmlns:Z="urn:z"/></D:prop></D:propfind>'
xmllint --noout "$T/pfp.xml" && ok "prop PROPFIND well-formed" || bad "prop PROPFIND well-formed"
check "unknown property in a 404 propstat" 1 "$(xmllint --xpath 'count(//*[local-name()="propstat"][contains(*[local-name()="status"],"404")]//*[local-name()="x" and namespace-uri()="urn:z"])' "$T/pfp.xml")"
curl -s -X PROPFIND -H 'Depth: 0' "$D/f1m" -o "$T/pfn.xml" --data \
        '<?xml version="1.0"?><propfind xmlns="DAV:"><propname/></propfind>'
check "propname lists empty getetag" 1 "$(xmllint --xpath 'count(//*[local-name()="getetag"][not(node())])' "$T/pfn.xml")"
check "PROPFIND bad XML (400)" 400 "$(code -X PROPFIND -H 'Depth: 0' --data '<propfind' "$D/")"
check "PROPFIND DOCTYPE refused (400)" 400 "$(code -X PROPFIND -H 'Depth: 0' --data '<!DOCTYPE x><x/>' "$D/")"
curl -s -X PROPPATCH "$D/f1m" -o "$T/pp.xml" -D "$T/h" --data \
        '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><Z:a xmlns:Z="urn:z">1</Z:a></D:prop></D:set></D:propertyupdate>'
checkgrep "PROPPATCH 207" '^HTTP/1.1 207' "$T/h"
checkgrep "PROPPATCH dead property refused with 403" 'HTTP/1.1 403' "$T/pp.xml"

# --- MKCOL / COPY / MOVE / DELETE -------------------------------------------------------------
check "MKCOL (201)" 201 "$(code -X MKCOL "$D/col")"
check "MKCOL existing (405)" 405 "$(code -X MKCOL "$D/col")"
check "MKCOL missing parent (409)" 409 "$(code -X MKCOL "$D/no/such")"
check "MKCOL with a body (415)" 415 "$(code -X MKCOL --data x "$D/col2")"
check "PUT into missing collection (409)" 409 "$(code -T "$T/f1" "$D/no/such/file")"
check "PUT on a collection (405)" 405 "$(code -T "$T/f1" "$D/col")"
check "COPY file (201)" 201 "$(code -X COPY -H "Destination: $D/col/copy1" "$D/f1m")"
check "COPY Overwrite F (412)" 412 "$(code -X COPY -H "Destination: $D/col/copy1" -H 'Overwrite: F' "$D/f1m")"
check "COPY overwrite (204)" 204 "$(code -X COPY -H "Destination: $D/col/copy1" "$D/f1")"
curl -s -o "$T/back" "$D/col/copy1"
check "COPY content" "$(sha "$T/f1m")" "$(sha "$T/back")"    # f1 holds f1m by now
check "MKCOL sub (201)" 201 "$(code -X MKCOL "$D/col/sub")"
check "PUT in sub (201)" 201 "$(code -T "$T/f1m" "$D/col/sub/deep")"
check "COPY collection (201)" 201 "$(code -X COPY -H "Destination: /dav/demo/col2" "$D/col")"
curl -s -o "$T/back" "$D/col2/sub/deep"
check "COPY collection deep content" "$(sha "$T/f1m")" "$(sha "$T/back")"
check "COPY Depth 0 (201)" 201 "$(code -X COPY -H 'Depth: 0' -H "Destination: $D/col3" "$D/col")"
check "Depth 0 copy is empty" 404 "$(code "$D/col3/copy1")"
check "COPY onto itself (403)" 403 "$(code -X COPY -H "Destination: $D/col" "$D/col")"
check "COPY into itself (403)" 403 "$(code -X COPY -H "Destination: $D/col/sub/x" "$D/col")"
check "COPY to read-only export (403)" 403 "$(code -X COPY -H "Destination: $B/ro/x" "$D/f1")"
check "COPY without Destination (400)" 400 "$(code -X COPY "$D/f1")"
check "COPY to another share (201)" 201 "$(code -X COPY -H "Destination: $B/tiny/x" "$D/f1m")"
curl -s -o "$T/back" "$B/tiny/x"
check "cross-share COPY content" "$(sha "$T/f1m")" "$(sha "$T/back")"
check "MOVE (201)" 201 "$(code -X MOVE -H "Destination: $D/col/moved" "$D/col/copy1")"
check "MOVE source gone" 404 "$(code "$D/col/copy1")"
check "MOVE Overwrite F (412)" 412 "$(code -X MOVE -H "Destination: $D/col/moved" -H 'Overwrite: F' "$D/f1")"
check "MOVE overwrite (204)" 204 "$(code -X MOVE -H "Destination: $D/col/moved" "$D/new1")"
check "MOVE collection (201)" 201 "$(code -X MOVE -H "Destination: $D/col4" "$D/col2")"
check "MOVE collection content" 200 "$(code "$D/col4/sub/deep")"
check "MOVE across shares (201)" 201 "$(code -X MOVE -H "Destination: $B/tiny/moved" "$D/col4/sub/deep")"
check "MOVE across shares removed the source" 404 "$(code "$D/col4/sub/deep")"
check "DELETE collection (204)" 204 "$(code -X DELETE "$D/col4")"
check "DELETE collection gone" 404 "$(code -X PROPFIND -H 'Depth: 0' "$D/col4")"
check "DELETE missing (404)" 404 "$(code -X DELETE "$D/col4")"
check "DELETE export root (403)" 403 "$(code -X DELETE "$D/")"

# --- locks ---------------------------------------------------------------------------------------
LI='<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner><D:href>mailto:t@example.com</D:href></D:owner></D:lockinfo>'
LS='<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>'
curl -s -X LOCK -H 'Timeout: Second-300' --data "$LI" -D "$T/h" -o "$T/lock.xml" "$D/f1"
checkgrep "LOCK (200)" '^HTTP/1.1 200' "$T/h"
TOK=$(tr -d '\r' < "$T/h" | sed -n 's/^Lock-Token: <\(.*\)>$/\1/p')
case "$TOK" in opaquelocktoken:????????-????-4???-????-????????????) ok "lock token is a UUID";;
        *) bad "lock token is a UUID" "$TOK";; esac
xmllint --noout "$T/lock.xml" && ok "LOCK body well-formed" || bad "LOCK body well-formed"
checkgrep "LOCK body has the owner" 'mailto:t@example.com' "$T/lock.xml"
check "PUT without the token (423)" 423 "$(code -T "$T/f1" "$D/f1")"
check "DELETE without the token (423)" 423 "$(code -X DELETE "$D/f1")"
check "MOVE without the token (423)" 423 "$(code -X MOVE -H "Destination: $D/f1x" "$D/f1")"
check "PROPPATCH without the token (423)" 423 "$(code -X PROPPATCH --data '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:remove><D:prop><Z:a xmlns:Z="urn:z"/></D:prop></D:remove></D:propertyupdate>' "$D/f1")"
check "PUT with a wrong token (412)" 412 "$(code -T "$T/f1" -H '(<opaquelocktoken:00000000-0000-4000-8000-000000000000>)' -H 'If: (<opaquelocktoken:00000000-0000-4000-8000-000000000000>)' "$D/f1")"
check "PUT with the token (204)" 204 "$(code -T "$T/f1" -H "If: (<$TOK>)" "$D/f1")"
check "PUT with a tagged If (204)" 204 "$(code -T "$T/f1" -H "If: <$D/f1> (<$TOK>)" "$D/f1")"
check "second exclusive LOCK (423)" 423 "$(code -X LOCK --data "$LI" "$D/f1")"
check "PROPFIND shows the lock" 1 "$(curl -s -X PROPFIND -H 'Depth: 0' "$D/f1" | xmllint --xpath "count(//*[local-name()='locktoken']/*[local-name()='href'][.='$TOK'])" -)"
check "LOCK refresh (200)" 200 "$(code -X LOCK -H "If: (<$TOK>)" -H 'Timeout: Second-100' "$D/f1")"
check "UNLOCK wrong token (409)" 409 "$(code -X UNLOCK -H 'Lock-Token: <opaquelocktoken:nope>' "$D/f1")"
check "UNLOCK (204)" 204 "$(code -X UNLOCK -H "Lock-Token: <$TOK>" "$D/f1")"
check "PUT after UNLOCK (204)" 204 "$(code -T "$T/f1" "$D/f1")"
check "shared LOCK (200)" 200 "$(code -X LOCK --data "$LS" "$D/f1")"
check "second shared LOCK (200)" 200 "$(code -X LOCK --data "$LS" "$D/f1")"
check "exclusive over shared (423)" 423 "$(code -X LOCK --data "$LI" "$D/f1")"
curl -s -X LOCK --data "$LI" -D "$T/h" -o /dev/null "$D/locknull"
checkgrep "LOCK unmapped URL creates (201)" '^HTTP/1.1 201' "$T/h"
check "locked empty resource exists" 0 "$(curl -s "$D/locknull" | wc -c)"
check "MKCOL lockcol (201)" 201 "$(code -X MKCOL "$D/lockcol")"
curl -s -X LOCK -H 'Depth: infinity' --data "$LI" -D "$T/h" -o /dev/null "$D/lockcol"
CTOK=$(tr -d '\r' < "$T/h" | sed -n 's/^Lock-Token: <\(.*\)>$/\1/p')
check "PUT into a depth-infinity locked collection (423)" 423 "$(code -T "$T/f1" "$D/lockcol/x")"
check "... with the collection's token (201)" 201 "$(code -T "$T/f1" -H "If: (<$CTOK>)" "$D/lockcol/x")"
check "DELETE of the locked collection (423)" 423 "$(code -X DELETE "$D/lockcol")"
check "DELETE with the token (204)" 204 "$(code -X DELETE -H "If: (<$CTOK>)" "$D/lockcol")"
check "the lock went with the collection" 201 "$(code -X MKCOL "$D/lockcol")"

# --- names ------------------------------------------------------------------------------------------
check "PUT percent-encoded non-ASCII (201)" 201 "$(code -T "$T/f1m" "$D/h%C3%A9llo%20w%C3%B6rld%20%231.txt")"
curl -s -o "$T/back" "$D/h%C3%A9llo%20w%C3%B6rld%20%231.txt"
check "GET non-ASCII name" "$(sha "$T/f1m")" "$(sha "$T/back")"
curl -s -X PROPFIND -H 'Depth: 1' "$D/" -o "$T/pf.xml"
check "href percent-encoded" 1 "$(xmllint --xpath 'count(//*[local-name()="href"][.="/dav/demo/h%C3%A9llo%20w%C3%B6rld%20%231.txt"])' "$T/pf.xml")"
check "displayname in UTF-8" 1 "$(xmllint --xpath 'count(//*[local-name()="displayname"][.="héllo wörld #1.txt"])' "$T/pf.xml")"
curl -s -H 'Accept: application/json' "$D/" -o "$T/list.json"
checkgrep "JSON listing has the UTF-8 name" '"name":"héllo wörld #1.txt"' "$T/list.json"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/list.json" 2>/dev/null && ok "JSON listing parses" || bad "JSON listing parses"
check "PUT & and ' name (201)" 201 "$(code -T "$T/f1" "$D/a%26b%27c.txt")"
curl -s "$D/" -o "$T/list.html"
checkgrep "HTML listing escapes names" '>a&amp;b&#39;c\.txt<' "$T/list.html"
checkgrep "HTML listing encodes hrefs" 'href="/dav/demo/a%26b%27c.txt"' "$T/list.html"
check "SMB-forbidden < > rejected (400)" 400 "$(code -T "$T/f1" "$D/a%3Cb%3E")"
check ".. rejected (400)" 400 "$(code --path-as-is "$D/../ro/x")"
check "%2e%2e rejected (400)" 400 "$(code "$D/%2e%2e/x")"
# The path reaches the plugin undecoded (httpd_config.raw_urls): "a%00b" must
# be refused, not cut to "a".
check "PUT nul-a (201)" 201 "$(code -T "$T/f1" "$D/nul-a")"
check "NUL in a URL rejected (400)" 400 "$(code -T "$T/f1m" "$D/nul-a%00b")"
curl -s -o "$T/back" "$D/nul-a"
check "... and nul-a was not overwritten" "$(sha "$T/f1")" "$(sha "$T/back")"
check "NUL in a MKCOL URL rejected (400)" 400 "$(code -X MKCOL "$D/nul-d%00x")"
check "... no collection nul-d" 404 "$(code -X PROPFIND -H 'Depth: 0' "$D/nul-d")"
check "malformed escape %zz (400)" 400 "$(code "$D/a%zzb")"
check "truncated escape at the end (400)" 400 "$(code "$D/a%4")"
check "encoded unreserved characters are decoded (%66%31 is f1)" 200 "$(code "$D/%66%31")"
check "a query string is not part of the path" 200 "$(code "$D/f1?x=%00")"
check "backslash rejected (400)" 400 "$(code "$D/a%5Cb")"
check "colon rejected (400)" 400 "$(code -T "$T/f1" "$D/a%3Ab")"
check "invalid UTF-8 rejected (400)" 400 "$(code "$D/a%FFb")"
check "name over 255 bytes (414)" 414 "$(code "$D/$(printf 'n%.0s' $(seq 300))")"
check "reserved upload prefix (403)" 403 "$(code -T "$T/f1" "$D/.gwd-upload-x")"
check "Destination with .. (400)" 400 "$(code -X COPY -H "Destination: $D/%2e%2e/x" "$D/f1")"

# --- exports ------------------------------------------------------------------------------------
check "read-only GET (404 on missing)" 404 "$(code "$B/ro/x")"
check "read-only PUT (403)" 403 "$(code -T "$T/f1" "$B/ro/x")"
check "read-only MKCOL (403)" 403 "$(code -X MKCOL "$B/ro/d")"
check "read-only DELETE (403)" 403 "$(code -X DELETE "$B/ro/x")"
check "read-only PROPFIND (207)" 207 "$(code -X PROPFIND -H 'Depth: 1' "$B/ro/")"
hdrs "$B/missing/x" > "$T/h"
checkgrep "missing share is 503" '^HTTP/1.1 503' "$T/h"
checkgrep "503 has Retry-After" '^Retry-After: ' "$T/h"
check "no export here (404)" 404 "$(code "$B/elsewhere")"
check "unknown method (405)" 405 "$(code -X PATCH "$D/f1")"

# --- collections above the exports ----------------------------------------------------------------
curl -s -D "$T/h" -o "$T/root.html" "$B/"
checkgrep "GET / is 200" '^HTTP/1.1 200' "$T/h"
checkgrep "GET / is HTML" '^Content-Type: text/html' "$T/h"
checkgrep "GET / links the export /ro/" 'href="/ro/">ro/</a></td><td>ro</td><td>read-only' "$T/root.html"
checkgrep "GET / links the level /dav/" 'href="/dav/">dav/</a>' "$T/root.html"
if grep -q '/private/' "$T/root.html"; then bad "anonymous does not see /private/"; else ok "anonymous does not see /private/"; fi
curl -s -H 'Accept: application/json' "$B/" -o "$T/root.json"
check "GET / JSON lists the visible members" "dav missing ro tiny" \
        "$(python3 -c 'import json,sys; print(" ".join(e["name"] for e in json.load(open(sys.argv[1]))["entries"]))' "$T/root.json")"
check "GET / JSON: ro is a read-only export of share ro" "ro True True" \
        "$(python3 -c 'import json,sys; e=[e for e in json.load(open(sys.argv[1]))["entries"] if e["name"]=="ro"][0]; print(e["share"], e["read_only"], e["available"])' "$T/root.json")"
check "GET / JSON: the missing share is listed as unavailable" "nosuch False" \
        "$(python3 -c 'import json,sys; e=[e for e in json.load(open(sys.argv[1]))["entries"] if e["name"]=="missing"][0]; print(e["share"], e["available"])' "$T/root.json")"
check "alice also sees /private/" "dav missing private ro tiny" \
        "$(curl -s -u alice:alicepw -H 'Accept: application/json' "$B/" | python3 -c 'import json,sys; print(" ".join(e["name"] for e in json.load(sys.stdin)["entries"]))')"
check "GET /dav lists /dav/demo/" '/dav/demo/' \
        "$(curl -s -H 'Accept: application/json' "$B/dav" | python3 -c 'import json,sys; print(" ".join(e["href"] for e in json.load(sys.stdin)["entries"]))')"
check "HEAD / (200)" 200 "$(code -I "$B/")"
curl -s -X PROPFIND -H 'Depth: 1' "$B/" -D "$T/h" -o "$T/rootpf.xml"
checkgrep "PROPFIND / depth 1 is 207" '^HTTP/1.1 207' "$T/h"
if xmllint --noout "$T/rootpf.xml" 2>"$T/xerr"; then ok "PROPFIND / well-formed"; else bad "PROPFIND / well-formed" "$(cat "$T/xerr")"; fi
check "PROPFIND / depth 1 hrefs" "/ /dav/ /missing/ /ro/ /tiny/" \
        "$(xmllint --xpath '//*[local-name()="href"]/text()' "$T/rootpf.xml" | tr '\n' ' ' | sed 's/ $//')"
check "PROPFIND / members are collections" 5 \
        "$(xmllint --xpath 'count(//*[local-name()="resourcetype"]/*[local-name()="collection" and namespace-uri()="DAV:"])' "$T/rootpf.xml")"
check "PROPFIND / names an export after its share" 1 \
        "$(xmllint --xpath 'count(//*[local-name()="response"][*[local-name()="href"]="/missing/"]//*[local-name()="displayname"][.="nosuch"])' "$T/rootpf.xml")"
check "PROPFIND / depth 0 is one response" 1 \
        "$(curl -s -X PROPFIND -H 'Depth: 0' "$B/" | xmllint --xpath 'count(//*[local-name()="response"])' -)"
curl -s -X PROPFIND -H 'Depth: 0' "$B/" -o "$T/rootpp.xml" --data \
        '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getlastmodified/></D:prop></D:propfind>'
check "PROPFIND / unknown property in a 404 propstat" 1 \
        "$(xmllint --xpath 'count(//*[local-name()="propstat"][contains(*[local-name()="status"],"404")]//*[local-name()="getlastmodified"])' "$T/rootpp.xml")"
check "PROPFIND / depth infinity (403)" 403 "$(code -X PROPFIND -H 'Depth: infinity' "$B/")"
hdrs -X OPTIONS "$B/" > "$T/h"
checkgrep "OPTIONS / allows reading only" '^Allow: OPTIONS, GET, HEAD, PROPFIND$' "$T/h"
check "PUT / (405)" 405 "$(code -X PUT --data x "$B/")"
hdrs -X MKCOL "$B/dav/" > "$T/h"
checkgrep "MKCOL /dav/ (405) with the short Allow" '^Allow: OPTIONS, GET, HEAD, PROPFIND$' "$T/h"
check "DELETE / (405)" 405 "$(code -X DELETE "$B/")"
check "PUT /x beside the exports (403)" 403 "$(code -T "$T/f1" "$B/x")"
check "MKCOL /dav/new beside an export (403)" 403 "$(code -X MKCOL "$B/dav/new")"
check "COPY to /dav/x beside an export (403)" 403 "$(code -X COPY -H "Destination: $B/dav/x" "$D/f1")"
check "GET /nowhere is still 404" 404 "$(code "$B/nowhere")"
check "GET /dav/demo/ is the export, not a listing of exports" 1 \
        "$(curl -s -H 'Accept: application/json' "$D/" | grep -c '"name":"f1m"')"

# --- auth ---------------------------------------------------------------------------------------
check "anonymous on a users-only export (401)" 401 "$(code "$B/private/")"
hdrs "$B/private/" > "$T/h"
checkgrep "401 asks for Basic" '^WWW-Authenticate: Basic realm=' "$T/h"
check "wrong password (401)" 401 "$(code -u alice:nope "$B/private/")"
check "unknown user (401)" 401 "$(code -u mallory:alicepw "$B/private/")"
check "alice with her password (200)" 200 "$(code -u alice:alicepw "$B/private/")"
check "bob is not on the list (403)" 403 "$(code -u bob:bobpw "$B/private/")"
check "bob on an open export (200)" 200 "$(code -u bob:bobpw "$D/")"
check "bearer token (200)" 200 "$(code -H 'Authorization: Bearer citoken123' "$D/")"
check "bad bearer token (401)" 401 "$(code -H 'Authorization: Bearer nope' "$D/")"
check "bearer user not on the list (403)" 403 "$(code -H 'Authorization: Bearer citoken123' "$B/private/")"
check "malformed Basic (401)" 401 "$(code -H 'Authorization: Basic !!!' "$D/")"

# Requests from a peer that is not loopback: a second gatewayd in a private
# network namespace, listening on 192.0.2.1 (TEST-NET-1) added to that
# namespace's lo, so no real network can reach it; gatewayd only sees a
# peer address outside 127.0.0.0/8.
cat > "$T/netns.json" <<CONF
{ "instances": [
    { "name": "mem3", "plugin": "mem", "config": { "shares": [ { "name": "n" } ] } },
    { "name": "dav3", "plugin": "webdav", "config": {
        "listen": [ "192.0.2.1:0" ], "users_file": "$T/users",
        "allow_anonymous_loopback": true, "exports": [ { "share": "n" } ] } } ] }
CONF
cat > "$T/netns.sh" <<'SCRIPT'
# run inside the namespace: $1 gatewayd, $2 plugin dirs, $3 config, $4 log
set -u
ip link set lo up && ip addr add 192.0.2.1/32 dev lo || exit 3
GWD_PLUGIN_DIR=$2 "$1" -f -c "$3" > "$4" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
for _ in $(seq 50); do
        grep -q 'port [0-9]' "$4" && break
        sleep 0.1
done
port=$(sed -n 's/.*listening on 192\.0\.2\.1:0 (port \([0-9]*\)).*/\1/p' "$4" | head -1)
u=http://192.0.2.1:$port/n/
printf '%s %s %s' "$(curl -s -o /dev/null -w '%{http_code}' "$u")" \
        "$(curl -s -o /dev/null -w '%{http_code}' -u alice:alicepw "$u")" \
        "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer citoken123' "$u")"
kill $pid
wait $pid
rc=$?
trap - EXIT
printf ' %s\n' "$rc"
SCRIPT
if [ "$(id -u)" = 0 ]; then NS="unshare -n"; else NS="unshare -rn"; fi
NSOUT=$($NS bash "$T/netns.sh" "$GATEWAYD" "$PLUGINS" "$T/netns.json" "$T/netns.log")
set -- $NSOUT
check "off loopback: anonymous (401)" 401 "${1:-}"
check "off loopback: Basic without TLS (403)" 403 "${2:-}"
check "off loopback: a bearer token without TLS (403)" 403 "${3:-}"
check "off loopback: the namespaced gatewayd stops cleanly" 0 "${4:-}"
if grep -q 'ERROR: AddressSanitizer\|runtime error:' "$T/netns.log" 2>/dev/null; then
        bad "off loopback: no sanitizer reports" "$(grep -m3 'ERROR\|runtime error' "$T/netns.log")"
fi

# --- an interrupted upload ----------------------------------------------------------------------
# "tiny" holds 96 MiB: next to the 1 MiB target, a complete 88 MiB upload
# only fits if the ~16 MiB of the interrupted one were removed.
head -c $((88 << 20)) /dev/urandom > "$T/f88m"
check "PUT the old target (201)" 201 "$(code -T "$T/f1m" "$B/tiny/target")"
curl -s -T "$T/f88m" --limit-rate 8M "$B/tiny/target" -o /dev/null &
CURL=$!
sleep 2
kill $CURL 2>/dev/null
wait $CURL 2>/dev/null
sleep 0.5
grep -q 'upload of "target" interrupted' "$T/log" && ok "the daemon saw the interrupted upload" || bad "the daemon saw the interrupted upload"
curl -s -o "$T/back" "$B/tiny/target"
check "old target intact after an interrupted upload" "$(sha "$T/f1m")" "$(sha "$T/back")"
check "no temporary file in the listing" 0 "$(curl -s -H 'Accept: application/json' "$B/tiny/" | grep -c gwd-upload)"
check "the partial upload's space was freed (201)" 201 "$(code -T "$T/f88m" "$B/tiny/big")"
check "a full share answers 507" 507 "$(code -T "$T/f88m" "$B/tiny/big2")"
check "the failed upload left no file" 404 "$(code "$B/tiny/big2")"
curl -s -o "$T/back" "$B/tiny/target"
check "old target intact after a failed upload" "$(sha "$T/f1m")" "$(sha "$T/back")"
code -X DELETE "$B/tiny/big" >/dev/null

# --- cadaver, a real WebDAV client -----------------------------------------------------------------
if command -v cadaver >/dev/null; then
        cp "$T/f1m" "$T/cad.bin"
        (cd "$T" && printf 'mkcol cadir\ncd cadir\nput cad.bin\nmove cad.bin renamed.bin\nget renamed.bin cad.back\nls\nlock renamed.bin\nunlock renamed.bin\nquit\n' \
                | HOME="$T" timeout 60 cadaver "$D/" > "$T/cadaver.out" 2>&1)
        check "cadaver put/move/get content" "$(sha "$T/f1m")" "$(sha "$T/cad.back" 2>/dev/null)"
        check "cadaver's move is visible over HTTP" 200 "$(code "$D/cadir/renamed.bin")"
        check "cadaver's move removed the source" 404 "$(code "$D/cadir/cad.bin")"
        checkgrep "cadaver lists the file" 'renamed.bin' "$T/cadaver.out"
        checkgrep "cadaver lock succeeded" 'Locking .renamed.bin.: *succeeded' "$T/cadaver.out"
else
        bad "cadaver is installed" "apt-get install cadaver"
fi

# --- memory stays bounded during a large download ---------------------------------------------------
check "PUT 256 MiB, chunked from a pipe (201)" 201 \
        "$(head -c $((256 << 20)) /dev/zero | code -T - "$D/big256")"
rss() { awk '/^VmRSS/ {print $2}' /proc/$DPID/status; }
BASE=$(rss)
curl -s "$D/big256" -o /dev/null -w '%{size_download}' > "$T/dl256" &
CURL=$!
MAX=$BASE
while kill -0 $CURL 2>/dev/null; do
        R=$(rss)
        [ "$R" -gt "$MAX" ] && MAX=$R
        sleep 0.05
done
wait $CURL
check "256 MiB download complete" $((256 << 20)) "$(cat "$T/dl256")"
GROWTH=$(( (MAX - BASE) / 1024 ))
echo "# RSS before ${BASE} kB, peak ${MAX} kB during the download (+${GROWTH} MiB)"
if [ "$GROWTH" -lt 32 ]; then ok "RSS grew by less than 32 MiB (+$GROWTH MiB)"; else bad "RSS bounded" "+$GROWTH MiB"; fi
rm -f "$T/dl256"
code -X DELETE "$D/big256" >/dev/null

# --- TLS --------------------------------------------------------------------------------------------
if openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 \
        -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1; then
        cat > "$T/tls.json" <<CONF
{ "instances": [
    { "name": "mem2", "plugin": "mem", "config": { "shares": [ { "name": "t" } ] } },
    { "name": "dav2", "plugin": "webdav", "config": {
        "listen": [ "127.0.0.1:0" ], "users_file": "$T/users",
        "tls_cert_file": "$T/cert.pem", "tls_key_file": "$T/key.pem",
        "exports": [ { "share": "t" } ] } } ] }
CONF
        start_daemon "$T/tls.json" "$T/tls.log"
        TPORT=$(sed -n 's/.*listening on 127\.0\.0\.1:0 (port \([0-9]*\)).*TLS.*/\1/p' "$T/tls.log" | head -1)
        check "TLS: anonymous refused (401)" 401 "$(code -k "https://127.0.0.1:$TPORT/t/")"
        check "TLS: Basic accepted (201)" 201 "$(code -k -u alice:alicepw -T "$T/f1m" "https://127.0.0.1:$TPORT/t/x")"
        curl -s -k -u alice:alicepw -o "$T/back" "https://127.0.0.1:$TPORT/t/x"
        check "TLS: content" "$(sha "$T/f1m")" "$(sha "$T/back")"
        check "TLS: GET / needs a user like the exports (401)" 401 "$(code -k "https://127.0.0.1:$TPORT/")"
        check "TLS: GET / with a user lists the export" '/t/' \
                "$(curl -s -k -u alice:alicepw -H 'Accept: application/json' "https://127.0.0.1:$TPORT/" | python3 -c 'import json,sys; print(" ".join(e["href"] for e in json.load(sys.stdin)["entries"]))')"
        check "TLS: plain HTTP is not served" 000 "$(code --max-time 3 "http://127.0.0.1:$TPORT/t/")"
        kill $DPID
        wait $DPID
        check "TLS daemon stops cleanly" 0 "$?"
else
        bad "openssl can make a test certificate"
fi

# --- clean stop -----------------------------------------------------------------------------------
MAINPID=${PIDS[0]}
kill "$MAINPID"
wait "$MAINPID"
check "gatewayd stops cleanly" 0 "$?"
if grep -q 'ERROR: AddressSanitizer\|runtime error:' "$T/log"; then
        bad "no sanitizer reports" "$(grep -m3 'ERROR\|runtime error' "$T/log")"
else
        ok "no sanitizer reports"
fi
PIDS=()

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
