# shellcheck shell=sh
# shellcheck disable=SC3043
# (SC3043: `local` is not POSIX, but dash, bash, busybox sh and ksh all have it.)
#
# smb-proxy.sh -- run tests/smb/smb-proxy (a loopback TCP proxy that counts
# SMB2 commands on the wire and injects faults) in front of an SMB server.
# Source it from sh (dash) or bash; it defines functions and runs nothing.
#
#     . "$top_srcdir/tests/smb/smb-proxy.sh"
#     trap smb_proxy_stop EXIT
#     smb_proxy_start "$SMBD_HOST" "$SMBD_PORT" || exit 1
#     smbclient "//127.0.0.1/data" -p "$SMB_PROXY_PORT" ... -c ls
#     smb_proxy_count request TREE_CONNECT          # prints a number
#     smb_proxy_cmd blackhole on
#
# API
#   smb_proxy_start HOST PORT  start the proxy on 127.0.0.1 (a free port picked by
#                              the kernel) forwarding to HOST:PORT; wait until it
#                              listens.  One proxy per shell at a time.
#   smb_proxy_cmd WORDS...     send one control command, print the reply (one line
#                              of JSON, or a number); fails unless the reply is
#                              {"ok":true...} or a number.  Commands:
#                                stats | reset | ping | quit
#                                cut all|ID [fin|rst]      (rst is the default)
#                                blackhole|refuse|hold on|off
#                                count request|response SMB2_COMMAND | count COUNTER
#   smb_proxy_count request|response COMMAND
#                              print the total count of that SMB2 command since the
#                              last reset (COMMAND as in MS-SMB2: NEGOTIATE,
#                              SESSION_SETUP, TREE_CONNECT, CREATE, READ, ...).
#   smb_proxy_counter NAME     print a global counter (connections_open, malformed,
#                              truncated, encrypted, pending_interim, refused, ...).
#   smb_proxy_wait_idle [SECS] wait until no connection is open (default 10 s).
#   smb_proxy_stop             SIGTERM by PID, bounded wait, SIGKILL; removes the
#                              proxy's directory unless SMB_PROXY_KEEP=1.  No-op
#                              when nothing runs.
#   All functions return 0 on success and non-zero on failure; errors go to stderr.
#
# Exported after a successful start:
#   SMB_PROXY_PORT  SMB_PROXY_PID  SMB_PROXY_CTL (control socket)
#   SMB_PROXY_DIR   SMB_PROXY_LOG  (the proxy's stderr: one line per connection)
#
# Inputs (environment, all optional):
#   SMB_PROXY_BIN   the binary (default: $top_builddir/tests/smb/smb-proxy, and
#                   top_builddir defaults to the current directory, which is
#                   where `make check` runs tests).  May be a wrapper that execs
#                   it (valgrind): the PID stays the same.
#   SMB_PROXY_KEEP=1        keep SMB_PROXY_DIR on stop.
#   SMB_PROXY_STOP_TIMEOUT  seconds between SIGTERM and SIGKILL (default 10).
#
# The proxy runs with --exit-with-parent, so it dies with the shell that started
# it even when that shell is SIGKILLed.  It carries GWD_SMB_PROXY=<dir> in its
# environment; stop checks that marker before signalling, so a recycled PID is
# never hit.

_smb_proxy_say() {
        printf 'smb-proxy.sh: %s\n' "$*" >&2
}

_smb_proxy_bin() {
        printf '%s\n' "${SMB_PROXY_BIN:-${top_builddir:-.}/tests/smb/smb-proxy}"
}

_smb_proxy_ours() {
        [ -n "${SMB_PROXY_DIR:-}" ] &&
                grep -qzxF -e "GWD_SMB_PROXY=$SMB_PROXY_DIR" "/proc/$1/environ" 2>/dev/null
}

# _smb_proxy_alive PID: running or stopped, not a zombie.
_smb_proxy_alive() {
        local line
        { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
        line=${line##*) }
        case $line in
        Z* | X* | x*) return 1 ;;
        esac
        return 0
}

smb_proxy_start() {
        local host port bin dir i
        host=${1:-}
        port=${2:-}
        if [ -z "$host" ] || [ -z "$port" ]; then
                _smb_proxy_say "usage: smb_proxy_start HOST PORT"
                return 2
        fi
        if [ -n "${SMB_PROXY_PID:-}" ] && _smb_proxy_ours "$SMB_PROXY_PID"; then
                _smb_proxy_say "a proxy is already running (pid $SMB_PROXY_PID)"
                return 1
        fi
        bin=$(_smb_proxy_bin)
        if [ ! -x "$bin" ]; then
                _smb_proxy_say "$bin: not executable (build it: make check, or set SMB_PROXY_BIN)"
                return 1
        fi
        dir=$(mktemp -d /tmp/gwd-smb-proxy.XXXXXX) || return 1
        SMB_PROXY_DIR=$dir
        SMB_PROXY_CTL=$dir/ctl.sock
        SMB_PROXY_LOG=$dir/proxy.log
        SMB_PROXY_PORT=
        GWD_SMB_PROXY=$dir "$bin" --listen 127.0.0.1:0 --target "$host:$port" \
                --control "$SMB_PROXY_CTL" --port-file "$dir/port" --pid-file "$dir/pid" \
                --exit-with-parent >"$SMB_PROXY_LOG" 2>&1 </dev/null &
        SMB_PROXY_PID=$!
        export SMB_PROXY_DIR SMB_PROXY_CTL SMB_PROXY_LOG SMB_PROXY_PID
        i=0
        # 10 s: generous for valgrind.
        while [ "$i" -lt 200 ]; do
                if [ -s "$dir/port" ]; then
                        read -r SMB_PROXY_PORT <"$dir/port"
                        break
                fi
                if ! _smb_proxy_alive "$SMB_PROXY_PID"; then
                        break
                fi
                sleep 0.05
                i=$((i + 1))
        done
        case ${SMB_PROXY_PORT:-} in
        '' | *[!0-9]*)
                _smb_proxy_say "the proxy did not start; its log:"
                cat "$SMB_PROXY_LOG" >&2
                smb_proxy_stop
                return 1
                ;;
        esac
        export SMB_PROXY_PORT
        return 0
}

smb_proxy_cmd() {
        if [ -z "${SMB_PROXY_CTL:-}" ]; then
                _smb_proxy_say "smb_proxy_cmd: no proxy started"
                return 2
        fi
        "$(_smb_proxy_bin)" --control "$SMB_PROXY_CTL" --cmd "$*"
}

smb_proxy_count() {
        case ${1:-} in
        request | response) ;;
        *)
                _smb_proxy_say "usage: smb_proxy_count request|response COMMAND"
                return 2
                ;;
        esac
        smb_proxy_cmd count "$1" "${2:-}"
}

smb_proxy_counter() {
        smb_proxy_cmd count "${1:-}"
}

smb_proxy_wait_idle() {
        local i n limit
        limit=$((${1:-10} * 20))
        i=0
        while [ "$i" -lt "$limit" ]; do
                n=$(smb_proxy_counter connections_open) || return 1
                [ "$n" -eq 0 ] && return 0
                sleep 0.05
                i=$((i + 1))
        done
        _smb_proxy_say "connections still open after ${1:-10} s"
        return 1
}

smb_proxy_stop() {
        local pid dir i limit
        pid=${SMB_PROXY_PID:-}
        dir=${SMB_PROXY_DIR:-}
        [ -n "$pid" ] || [ -n "$dir" ] || return 0
        if [ -n "$pid" ] && _smb_proxy_ours "$pid"; then
                kill -TERM "$pid" 2>/dev/null
                limit=$((${SMB_PROXY_STOP_TIMEOUT:-10} * 20))
                i=0
                while [ "$i" -lt "$limit" ] && _smb_proxy_alive "$pid"; do
                        sleep 0.05
                        i=$((i + 1))
                done
                if _smb_proxy_alive "$pid" && _smb_proxy_ours "$pid"; then
                        _smb_proxy_say "pid $pid ignored SIGTERM, sending SIGKILL"
                        kill -KILL "$pid" 2>/dev/null
                fi
        fi
        # Reap it when it is our child (it is when this shell started it).
        [ -n "$pid" ] && wait "$pid" 2>/dev/null
        if [ -n "$dir" ] && [ "${SMB_PROXY_KEEP:-0}" != 1 ]; then
                rm -rf "$dir"
        fi
        unset SMB_PROXY_PID SMB_PROXY_DIR SMB_PROXY_CTL SMB_PROXY_PORT SMB_PROXY_LOG
        return 0
}
