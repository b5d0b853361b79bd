#!/bin/bash
# SPDX-License-Identifier: MIT
#
# plugins/webdav over the smb backend: a private Samba smbd on loopback
# (tests/smb/smbd-fixture.sh), gatewayd with the smb plugin connected to it and
# the webdav plugin on an ephemeral loopback port, then the WebDAV checks that
# make sense against SMB (GET/HEAD/ranges/conditionals, PUT, 512 MiB round
# trip, PROPFIND, MKCOL/DELETE/COPY/MOVE, odd names, error statuses), each
# cross-checked with smbclient against the same smbd in both directions.
# Needs root (the fixture creates a unix user), Samba's smbd and smbclient,
# curl, xmllint, python3 and mount (a small tmpfs for the "disk full" share).
# A missing requirement is a failure, not a skip.  Ends with "N passed,
# N failed"; exits 1 on any failure.
set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
GATEWAYD=$top_builddir/gatewayd/gatewayd
PLUGINS=$top_builddir/plugins/smb/.libs:$top_builddir/plugins/webdav/.libs

passed=0
failed=0
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
finish() {
        echo "$passed passed, $failed failed"
        [ "$failed" -eq 0 ] || exit 1
        exit 0
}

missing=
[ "$(id -u)" = 0 ] || missing="$missing root"
for tool in curl xmllint sha256sum python3 smbclient mount umount; do
        command -v $tool >/dev/null 2>&1 || missing="$missing $tool"
done
command -v smbd >/dev/null 2>&1 || [ -x /usr/sbin/smbd ] || missing="$missing smbd"
for f in "$GATEWAYD" "$top_builddir/plugins/smb/.libs/smb.so" \
         "$top_builddir/plugins/webdav/.libs/webdav.so"; do
        [ -e "$f" ] || missing="$missing $f"
done
if [ -n "$missing" ]; then
        echo "FAIL needs:$missing"
        echo "0 passed, 1 failed"
        exit 1
fi

WORK=$(mktemp -d /tmp/test-webdav-smb.XXXXXX)
chmod 755 "$WORK"       # smbd, as the share user, walks into $WORK/full
GW_PID=
FULL_MOUNTED=
cleanup() {
        if [ -n "$GW_PID" ]; then
                kill "$GW_PID" 2>/dev/null
                wait "$GW_PID" 2>/dev/null
        fi
        smbd_fixture_stop
        [ -n "$FULL_MOUNTED" ] && umount -l "$WORK/full" 2>/dev/null
        rm -rf "$WORK"
}
# shellcheck source=tests/smb/smbd-fixture.sh
. "$top_srcdir/tests/smb/smbd-fixture.sh"
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
if ! smbd_fixture_start; then
        echo "FAIL the smbd fixture starts"
        echo "0 passed, 1 failed"
        exit 1
fi
DATA=$SMBD_DIR/shares/data
smbc() { smbd_fixture_smbclient "$@" >"$WORK/smbc.out" 2>&1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
hdrs() { curl -s -o /dev/null -D - "$@" | tr -d '\r'; }

# A 16 MiB file system for the share that runs full.
mkdir -p "$WORK/full"
if mount -t tmpfs -o "size=16m,mode=0755,uid=$(id -u "$SMBD_USER")" tmpfs "$WORK/full"; then
        FULL_MOUNTED=1
        ok "a 16 MiB tmpfs for the share \"full\""
else
        bad "a 16 MiB tmpfs for the share \"full\""
fi
smbd_fixture_add_share full "path = $WORK/full" || bad "smbd_fixture_add_share full"

# --- gatewayd: smb backend, webdav frontend ------------------------------------------------
MAX_UPLOAD=$(( (512 + 8) << 20 ))
cat >"$WORK/gw.json" <<EOF
{
  "daemon": { "log_level": "info" },
  "instances": [
    { "name": "smb", "plugin": "smb", "config": {
        "servers": [ { "name": "fx", "host": "127.0.0.1", "port": $SMBD_PORT,
                       "user": "$SMBD_USER", "password_file": "$SMBD_PASSWORD_FILE",
                       "request_timeout": 30 } ],
        "shares": [ { "name": "data", "server": "fx", "share": "data" },
                    { "name": "ro", "server": "fx", "share": "ro" },
                    { "name": "full", "server": "fx", "share": "full" } ] } },
    { "name": "dav", "plugin": "webdav", "config": {
        "listen": [ "127.0.0.1:0" ],
        "allow_anonymous_loopback": true,
        "max_upload_bytes": $MAX_UPLOAD,
        "flush_uploads": true, "connection_memory_bytes": 1048576,
        "exports": [
          { "share": "data", "path": "/dav/data" },
          { "share": "ro" },
          { "share": "ro", "path": "/ro-export", "read_only": true },
          { "share": "full" } ] } }
  ]
}
EOF
GWD_PLUGIN_DIR=$PLUGINS "$GATEWAYD" -f -c "$WORK/gw.json" >"$WORK/gw.log" 2>&1 &
GW_PID=$!
# Ready when the port is logged and the three tree connects are good (a
# request before that gets 503, which is tested elsewhere).
for _ in $(seq 150); do
        grep -q 'listening on 127\.0\.0\.1:0 (port' "$WORK/gw.log" &&
                [ "$(grep -c ': good: ' "$WORK/gw.log")" -ge 3 ] && break
        kill -0 "$GW_PID" 2>/dev/null || break
        sleep 0.1
done
PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:0 (port \([0-9]*\)).*/\1/p' "$WORK/gw.log" | head -1)
if [ -z "$PORT" ]; then
        cat "$WORK/gw.log"
        bad "gatewayd starts with the smb and webdav plugins"
        finish
fi
ok "gatewayd starts with the smb and webdav plugins (port $PORT)"
B=http://127.0.0.1:$PORT
D=$B/dav/data
echo "# gatewayd pid $GW_PID on port $PORT, smbd on port $SMBD_PORT"

# --- the exports -------------------------------------------------------------------------
check "GET / lists the exports" "dav full ro ro-export" \
        "$(curl -s -H 'Accept: application/json' "$B/" |
           python3 -c 'import json,sys; print(" ".join(e["name"] for e in json.load(sys.stdin)["entries"]))')"
check "GET /dav lists the data export" "/dav/data/ data" \
        "$(curl -s -H 'Accept: application/json' "$B/dav/" |
           python3 -c 'import json,sys; print(" ".join(e["href"] + " " + e["share"] for e in json.load(sys.stdin)["entries"]))')"
check "GET a file the SMB server holds" "read-only share of the gatewayd smbd fixture" \
        "$(curl -s "$B/ro/readme.txt")"

# --- PUT and GET, cross-checked with smbclient ----------------------------------------------
: >"$WORK/f0"
head -c 1 /dev/urandom >"$WORK/f1"
head -c $((1048576 + 1)) /dev/urandom >"$WORK/f1m"
head -c $((5 << 20)) /dev/urandom >"$WORK/f5m"
for f in f0 f1 f1m f5m; do
        check "PUT $f creates (201)" 201 "$(code -T "$WORK/$f" "$D/$f")"
        curl -s -o "$WORK/$f.back" "$D/$f"
        check "GET $f returns what was PUT" "$(sha "$WORK/$f")" "$(sha "$WORK/$f.back")"
        rm -f "$WORK/$f.smb"
        smbc data -c "get $f $WORK/$f.smb"
        check "smbclient reads $f as PUT over WebDAV" "$(sha "$WORK/$f")" \
                "$(sha "$WORK/$f.smb" 2>/dev/null)"
done
check "PUT over an existing file (204)" 204 "$(code -T "$WORK/f5m" "$D/f1")"
smbc data -c "get f1 $WORK/f1.smb2"
check "smbclient sees the overwritten content" "$(sha "$WORK/f5m")" "$(sha "$WORK/f1.smb2")"
check "chunked PUT (201)" 201 "$(printf 'chunked body' | code -T - "$D/chunked.txt")"
check "chunked content on the SMB server" "chunked body" "$(cat "$DATA/chunked.txt" 2>/dev/null)"
check "no temporary upload file is left on the server" "" \
        "$(find "$DATA" -name '.gwd-upload-*' | head -3)"
head -c 300000 /dev/urandom >"$WORK/bysmb"
smbc data -c "put $WORK/bysmb bysmb.bin"
curl -s -o "$WORK/bysmb.back" "$D/bysmb.bin"
check "GET reads a file written by smbclient" "$(sha "$WORK/bysmb")" "$(sha "$WORK/bysmb.back")"
check "GET missing (404)" 404 "$(code "$D/nope")"
check "GET missing in a missing directory (404)" 404 "$(code "$D/no/such/file")"

# --- HEAD, ranges, conditionals ---------------------------------------------------------------
hdrs -I "$D/f1m" >"$WORK/h"
checkgrep "HEAD Content-Length" '^Content-Length: 1048577$' "$WORK/h"
checkgrep "HEAD ETag" '^ETag: "[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$' "$WORK/h"
checkgrep "HEAD Last-Modified" '^Last-Modified: [A-Z][a-z]{2}, [0-9]{2} ' "$WORK/h"
checkgrep "HEAD Accept-Ranges" '^Accept-Ranges: bytes$' "$WORK/h"
check "HEAD of a file written by smbclient (200)" 200 "$(code -I "$D/bysmb.bin")"
for r in "0-0 0 1" "10-19 10 10" "262140-262150 262140 11" "1048570- 1048570 7" "-5 1048572 5"; do
        set -- $r
        curl -s -D "$WORK/h" -o "$WORK/part" -r "$1" "$D/f1m"
        dd if="$WORK/f1m" of="$WORK/want" bs=1 skip="$2" count="$3" status=none
        check "range $1 bytes" "$(sha "$WORK/want")" "$(sha "$WORK/part")"
        checkgrep "range $1 is 206" '^HTTP/1.1 206' "$WORK/h"
done
curl -s -D "$WORK/h" -o /dev/null -r 0-1 "$D/f1m"
checkgrep "Content-Range" '^Content-Range: bytes 0-1/1048577' "$WORK/h"
check "range beyond the end (416)" 416 "$(code -r 2000000- "$D/f1m")"
check "multi-range is served whole (200)" 200 "$(code -r 0-1,5-6 "$D/f1m")"
ETAG=$(hdrs -I "$D/f1m" | sed -n 's/^ETag: //p')
LM=$(hdrs -I "$D/f1m" | sed -n 's/^Last-Modified: //p')
check "the ETag is stable between requests" "$ETAG" "$(hdrs -I "$D/f1m" | sed -n 's/^ETag: //p')"
check "If-None-Match -> 304" 304 "$(code -H "If-None-Match: $ETAG" "$D/f1m")"
check "If-None-Match other -> 200" 200 "$(code -H 'If-None-Match: "x"' "$D/f1m")"
check "If-Modified-Since -> 304" 304 "$(code -H "If-Modified-Since: $LM" "$D/f1m")"
check "GET If-Match wrong -> 412" 412 "$(code -H 'If-Match: "x"' "$D/f1m")"
check "GET f1m/ (a file as a collection) -> 404" 404 "$(code "$D/f1m/")"
# A GET opens the file at once and decides from what the open returned: the
# answers above without a body closed the handle they opened.
check "no handle left open on the SMB server by 304, 412 and 404" 0 \
        "$(smbd_fixture_status -L 2>/dev/null | grep -c 'f1m' || true)"
check "If-Range match -> 206" 206 "$(code -r 0-1 -H "If-Range: $ETAG" "$D/f1m")"
check "If-Range mismatch -> 200" 200 "$(code -r 0-1 -H 'If-Range: "x"' "$D/f1m")"
check "PUT If-Match wrong -> 412" 412 "$(code -T "$WORK/f1" -H 'If-Match: "x"' "$D/f1m")"
check "PUT If-None-Match * on an existing file -> 412" 412 \
        "$(code -T "$WORK/f1" -H 'If-None-Match: *' "$D/f1m")"
check "PUT If-Match right -> 204" 204 "$(code -T "$WORK/f1m" -H "If-Match: $ETAG" "$D/f1m")"
smbc data -c "put $WORK/f1 f1m"
check "a change made through SMB changes the ETag" 1 \
        "$([ "$(hdrs -I "$D/f1m" | sed -n 's/^ETag: //p')" != "$ETAG" ] && echo 1 || echo 0)"
check "... so the old ETag no longer matches (200)" 200 "$(code -H "If-None-Match: $ETAG" "$D/f1m")"
check "... and If-Match with it fails (412)" 412 "$(code -T "$WORK/f1" -H "If-Match: $ETAG" "$D/f1m")"

# --- 512 MiB up and down ----------------------------------------------------------------------
head -c $((512 << 20)) /dev/urandom >"$WORK/big"
BIGSHA=$(sha "$WORK/big")
check "PUT 512 MiB (201)" 201 "$(code -T "$WORK/big" "$D/big.bin")"
check "the 512 MiB file on the SMB server" "$BIGSHA" "$(sha "$DATA/big.bin" 2>/dev/null)"
check "GET 512 MiB" "$BIGSHA" "$(curl -s "$D/big.bin" | sha256sum | cut -d' ' -f1)"
rm -f "$WORK/big.smb"
smbc data -c "get big.bin $WORK/big.smb"
check "smbclient reads the 512 MiB file" "$BIGSHA" "$(sha "$WORK/big.smb" 2>/dev/null)"
rm -f "$WORK/big.smb"
check "range in the middle of the 512 MiB file" \
        "$(dd if="$WORK/big" bs=1M skip=400 count=1 status=none | sha256sum | cut -d' ' -f1)" \
        "$(curl -s -r $((400 << 20))-$(((401 << 20) - 1)) "$D/big.bin" | sha256sum | cut -d' ' -f1)"
rm -f "$WORK/big"
check "DELETE the 512 MiB file (204)" 204 "$(code -X DELETE "$D/big.bin")"
check "... gone on the SMB server" "" "$(ls "$DATA/big.bin" 2>/dev/null)"

# --- PROPFIND -------------------------------------------------------------------------------
curl -s -X PROPFIND -H 'Depth: 1' "$D/" -D "$WORK/h" -o "$WORK/pf.xml"
checkgrep "PROPFIND depth 1 is 207" '^HTTP/1.1 207' "$WORK/h"
if xmllint --noout "$WORK/pf.xml" 2>"$WORK/xerr"; then ok "PROPFIND XML well-formed"
else bad "PROPFIND XML well-formed" "$(cat "$WORK/xerr")"; fi
check "PROPFIND depth 1 lists a file written by smbclient" 1 \
        "$(xmllint --xpath 'count(//*[local-name()="href"][.="/dav/data/bysmb.bin"])' "$WORK/pf.xml")"
check "getcontentlength of it" 300000 \
        "$(xmllint --xpath 'string(//*[local-name()="response"][*[local-name()="href"]="/dav/data/bysmb.bin"]//*[local-name()="getcontentlength"])' "$WORK/pf.xml")"
check "the export root is a collection" 1 \
        "$(xmllint --xpath 'count(//*[local-name()="response"][*[local-name()="href"]="/dav/data/"]//*[local-name()="resourcetype"]/*[local-name()="collection"])' "$WORK/pf.xml")"
curl -s -X PROPFIND -H 'Depth: 0' "$D/f5m" -o "$WORK/pf0.xml"
check "PROPFIND depth 0 is one response" 1 \
        "$(xmllint --xpath 'count(//*[local-name()="response"])' "$WORK/pf0.xml")"
check "PROPFIND depth 0 getcontentlength" $((5 << 20)) \
        "$(xmllint --xpath 'string(//*[local-name()="getcontentlength"])' "$WORK/pf0.xml")"
for p in getetag getlastmodified creationdate getcontenttype displayname; do
        check "allprop has $p" 1 \
                "$(xmllint --xpath "count(//*[local-name()='$p' and namespace-uri()='DAV:'])" "$WORK/pf0.xml")"
done
check "PROPFIND missing (404)" 404 "$(code -X PROPFIND -H 'Depth: 0' "$D/nope")"
check "PROPFIND depth infinity refused (403)" 403 "$(code -X PROPFIND -H 'Depth: infinity' "$D/")"

# --- MKCOL, COPY, MOVE, DELETE -----------------------------------------------------------------
check "MKCOL (201)" 201 "$(code -X MKCOL "$D/col")"
check "... a directory on the SMB server" yes "$([ -d "$DATA/col" ] && echo yes)"
check "MKCOL existing (405)" 405 "$(code -X MKCOL "$D/col")"
check "GET of a collection without the slash lists it" "application/json" \
        "$(curl -s -o /dev/null -w '%{content_type}' -H 'Accept: application/json' "$D/col")"
check "... and leaves no handle of it open" 0 \
        "$(smbd_fixture_status -L 2>/dev/null | grep -cE '[[:space:]]col[[:space:]]' || true)"
check "MKCOL over a file (405)" 405 "$(code -X MKCOL "$D/f1")"
check "MKCOL missing parent (409)" 409 "$(code -X MKCOL "$D/no/such")"
check "PUT into a missing collection (409)" 409 "$(code -T "$WORK/f1" "$D/no/such/file")"
check "PUT on a collection (405)" 405 "$(code -T "$WORK/f1" "$D/col")"
smbc data -c "mkdir bysmbdir"
check "a directory made by smbclient is a collection" 207 \
        "$(code -X PROPFIND -H 'Depth: 0' "$D/bysmbdir/")"
check "PUT into it (201)" 201 "$(code -T "$WORK/f1m" "$D/bysmbdir/inner")"
check "COPY file (201)" 201 "$(code -X COPY -H "Destination: $D/col/copy1" "$D/f1m")"
check "COPY Overwrite F (412)" 412 \
        "$(code -X COPY -H "Destination: $D/col/copy1" -H 'Overwrite: F' "$D/f5m")"
check "COPY overwrite (204)" 204 "$(code -X COPY -H "Destination: $D/col/copy1" "$D/f5m")"
rm -f "$WORK/copy1.smb"
smbc data -c "get col/copy1 $WORK/copy1.smb"
check "smbclient reads the COPY" "$(sha "$WORK/f5m")" "$(sha "$WORK/copy1.smb" 2>/dev/null)"
check "COPY collection (201)" 201 "$(code -X COPY -H "Destination: $D/col2" "$D/bysmbdir")"
check "... deep content" "$(sha "$WORK/f1m")" "$(sha "$DATA/col2/inner" 2>/dev/null)"
check "COPY into a missing collection (409)" 409 "$(code -X COPY -H "Destination: $D/no/x" "$D/f1")"
check "COPY onto itself (403)" 403 "$(code -X COPY -H "Destination: $D/col" "$D/col")"
check "MOVE (201)" 201 "$(code -X MOVE -H "Destination: $D/col/moved" "$D/col/copy1")"
check "MOVE source gone (404)" 404 "$(code "$D/col/copy1")"
check "... and gone on the SMB server" no "$([ -e "$DATA/col/copy1" ] && echo yes || echo no)"
check "... the target on the SMB server" "$(sha "$WORK/f5m")" "$(sha "$DATA/col/moved" 2>/dev/null)"
check "MOVE Overwrite F (412)" 412 \
        "$(code -X MOVE -H "Destination: $D/col/moved" -H 'Overwrite: F' "$D/f0")"
check "MOVE overwrite (204)" 204 "$(code -X MOVE -H "Destination: $D/col/moved" "$D/f0")"
check "... the target is the moved file" 0 "$(stat -c %s "$DATA/col/moved" 2>/dev/null)"
check "MOVE collection (201)" 201 "$(code -X MOVE -H "Destination: $D/col3" "$D/col2")"
check "... visible to smbclient" 0 "$(smbc data -c 'ls col3/inner'; echo $?)"
check "MOVE to another share (read-only on the server: 403)" 403 \
        "$(code -X MOVE -H "Destination: $B/ro/x" "$D/f1")"
check "... the source is still there" 200 "$(code -I "$D/f1")"
check "DELETE file (204)" 204 "$(code -X DELETE "$D/f1")"
check "DELETE missing (404)" 404 "$(code -X DELETE "$D/f1")"
check "DELETE collection (204)" 204 "$(code -X DELETE "$D/col3")"
check "... gone on the SMB server" no "$([ -e "$DATA/col3" ] && echo yes || echo no)"
check "DELETE the export root (403)" 403 "$(code -X DELETE "$D/")"
smbc data -c "del bysmb.bin"
check "a file deleted by smbclient is gone (404)" 404 "$(code "$D/bysmb.bin")"

# --- names ------------------------------------------------------------------------------------
U8='h%C3%A9llo%20w%C3%B6rld%20%E2%82%AC%20%F0%9F%98%80.txt'
N8='héllo wörld € 😀.txt'
check "PUT a name with spaces and non-ASCII (201)" 201 "$(code -T "$WORK/f1m" "$D/$U8")"
check "... stored under that name on the SMB server" "$(sha "$WORK/f1m")" \
        "$(sha "$DATA/$N8" 2>/dev/null)"
smbc data -c "ls"
checkgrep "... listed by smbclient" "héllo wörld € 😀.txt" "$WORK/smbc.out"
curl -s -X PROPFIND -H 'Depth: 1' "$D/" -o "$WORK/pf.xml"
check "href percent-encoded" 1 \
        "$(xmllint --xpath "count(//*[local-name()='href'][.='/dav/data/$U8'])" "$WORK/pf.xml")"
check "displayname in UTF-8" 1 \
        "$(xmllint --xpath "count(//*[local-name()='displayname'][.='$N8'])" "$WORK/pf.xml")"
cp "$WORK/f5m" "$WORK/upload"
smbc data -c "mkdir \"dir ünï\"; put $WORK/upload \"dir ünï/fïlé 1.bin\""
curl -s -o "$WORK/back" "$D/dir%20%C3%BCn%C3%AF/f%C3%AFl%C3%A9%201.bin"
check "GET a non-ASCII name made by smbclient" "$(sha "$WORK/f5m")" "$(sha "$WORK/back")"
check "MOVE between non-ASCII names (201)" 201 \
        "$(code -X MOVE -H "Destination: /dav/data/dir%20%C3%BCn%C3%AF/%E6%97%A5%E6%9C%AC.bin" \
                "$D/dir%20%C3%BCn%C3%AF/f%C3%AFl%C3%A9%201.bin")"
check "... smbclient finds the new name" "$(sha "$WORK/f5m")" \
        "$(rm -f "$WORK/jp"; smbc data -c "get \"dir ünï/日本.bin\" $WORK/jp"; sha "$WORK/jp" 2>/dev/null)"
check "a name SMB cannot store (400)" 400 "$(code -T "$WORK/f1" "$D/a%3Fb")"
check "a colon (400)" 400 "$(code -T "$WORK/f1" "$D/a%3Ab")"
check "NUL in the URL (400)" 400 "$(code -T "$WORK/f1" "$D/nul%00x")"
check "... nothing named nul on the server" "" "$(ls "$DATA" | grep '^nul' || true)"
check "%2e%2e (400)" 400 "$(code "$D/%2e%2e/x")"

# --- errors mapped from SMB ---------------------------------------------------------------
check "read-only SMB share: GET works (200)" 200 "$(code "$B/ro/readme.txt")"
check "read-only SMB share: PUT (403)" 403 "$(code -T "$WORK/f1" "$B/ro/x")"
check "read-only SMB share: overwrite (403)" 403 "$(code -T "$WORK/f1" "$B/ro/readme.txt")"
check "read-only SMB share: MKCOL (403)" 403 "$(code -X MKCOL "$B/ro/d")"
check "read-only SMB share: DELETE (403)" 403 "$(code -X DELETE "$B/ro/readme.txt")"
check "read-only SMB share: MOVE out (403)" 403 \
        "$(code -X MOVE -H "Destination: $D/stolen" "$B/ro/readme.txt")"
check "read-only SMB share: the file is intact" \
        "read-only share of the gatewayd smbd fixture" "$(curl -s "$B/ro/readme.txt")"
check "read-only export: PUT (403)" 403 "$(code -T "$WORK/f1" "$B/ro-export/x")"
check "COPY from the read-only share (201)" 201 \
        "$(code -X COPY -H "Destination: $D/readme-copy.txt" "$B/ro/readme.txt")"
check "... smbclient reads the copy" "read-only share of the gatewayd smbd fixture" \
        "$(smbd_fixture_smbclient data -c "get readme-copy.txt -" 2>/dev/null | head -1)"
check "max_upload_bytes: a larger Content-Length gets 413" 413 \
        "$(head -c 1024 /dev/zero | code -T - -H "Content-Length: $((MAX_UPLOAD + 1))" \
                -H 'Expect: 100-continue' "$D/toolarge")"
check "... nothing was created" 404 "$(code "$D/toolarge")"
if [ -n "$FULL_MOUNTED" ]; then
        head -c $((10 << 20)) /dev/urandom >"$WORK/f10m"
        check "PUT 10 MiB into the 16 MiB share (201)" 201 "$(code -T "$WORK/f10m" "$B/full/a")"
        check "PUT another 10 MiB: disk full (507)" 507 "$(code -T "$WORK/f10m" "$B/full/b")"
        check "... nothing left under the target name" 404 "$(code "$B/full/b")"
        check "... nor a temporary file" "a" "$(ls -A "$WORK/full")"
        check "... the first file is intact" "$(sha "$WORK/f10m")" \
                "$(curl -s "$B/full/a" | sha256sum | cut -d' ' -f1)"
        check "PUT over the first file still fits? no: 507, old content kept" \
                "507 $(sha "$WORK/f10m")" \
                "$(code -T "$WORK/f10m" "$B/full/a") $(curl -s "$B/full/a" | sha256sum | cut -d' ' -f1)"
        check "COPY within the full share (507)" 507 \
                "$(code -X COPY -H "Destination: $B/full/c" "$B/full/a")"
        check "... nothing left of the copy" "a" "$(ls -A "$WORK/full")"
fi

# --- clean stop -------------------------------------------------------------------------------
kill "$GW_PID"
wait "$GW_PID"
rc=$?
GW_PID=
check "gatewayd stops cleanly (exit 0)" 0 "$rc"
if grep -q 'ERROR: AddressSanitizer\|runtime error:\|LeakSanitizer' "$WORK/gw.log"; then
        bad "no sanitizer reports" "$(grep -m3 'ERROR\|runtime error' "$WORK/gw.log")"
else
        ok "no sanitizer reports"
fi
finish
