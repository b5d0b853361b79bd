# shellcheck shell=bash
# gw-helpers.sh -- helpers for the tests that drive a running gatewayd
# through its admin API (test-reconnect.sh, test-multichannel.sh).
# Source it from bash after setting API (the API base URL, e.g.
# http://127.0.0.1:PORT/api/v1) and TOKEN (a bearer token); it runs nothing.
#
#   free_port                  a free TCP port on 127.0.0.1
#   api CURL-ARGS...           curl with the token
#   jget FILE|- EXPR           a Python expression over the JSON `j`
#   state KIND ID              the object's state
#   detail KIND ID '["k"]...'  one of its details
#   all_good                   every channel, session and tcon good
#   wait_all_good SECONDS      ... within SECONDS
#   wait_state KIND ID STATE SECONDS

free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
api() { curl -s -m 60 -H "Authorization: Bearer $TOKEN" "$@"; }
# jget JSONFILE-or-- EXPR: python expression over `j`
jget() {
        python3 -c 'import json,sys
j=json.load(open(sys.argv[1]) if sys.argv[1] != "-" else sys.stdin)
v=eval(sys.argv[2])
print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$@"
}
state() { api "$API/$1s/$2" | jget - 'j["state"]'; }
detail() { api "$API/$1s/$2" | jget - "j['details']$3"; }
# Every channel, session and tcon good (other kinds, e.g. the webdav server, do not count).
all_good() {
        [ "$(api "$API/health" | jget - 'all(set(j["kinds"].get(k, {"x": 1})) == {"good"} for k in ("channel", "session", "tcon"))')" = true ]
}
wait_all_good() { # wait_all_good SECONDS
        local i=0
        while [ $i -lt $(($1 * 10)) ]; do
                all_good && return 0
                sleep 0.1
                i=$((i + 1))
        done
        return 1
}
wait_state() { # wait_state KIND ID STATE SECONDS
        local i=0
        while [ $i -lt $(($4 * 10)) ]; do
                [ "$(state "$1" "$2")" = "$3" ] && return 0
                sleep 0.1
                i=$((i + 1))
        done
        return 1
}
