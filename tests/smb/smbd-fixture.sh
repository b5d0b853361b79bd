# shellcheck shell=sh
# shellcheck disable=SC3043
# (SC3043: `local` is not POSIX, but dash, bash, busybox sh and ksh all have it.)
#
# smbd-fixture.sh -- run a private Samba smbd on loopback for tests, the demo
# and the benchmarks.  Source it from sh (dash) or bash; it defines functions
# and a few global variables, and runs nothing when sourced.
#
#     . "$top_srcdir/tests/smb/smbd-fixture.sh"
#     trap smbd_fixture_stop EXIT
#     trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM
#     smbd_fixture_start || exit 1
#     smbclient "//$SMBD_HOST/data" -p "$SMBD_PORT" -s "$SMBD_CLIENT_CONF" \
#             -A "$SMBD_AUTH_FILE" --client-protection=sign -c ls
#
# Requires root (it creates a unix account and smbd has to switch to it),
# Samba's smbd/smbpasswd/smbcontrol (Debian: apt-get install samba smbclient),
# util-linux setsid, iproute2 ss, and /proc.
#
# API
#   smbd_fixture_start [DIR]   create DIR (default: mktemp -d /tmp/gwd-smbd.XXXXXX)
#                              with config, passdb, shares and logs; start smbd on
#                              127.0.0.1/::1 and wait until it accepts connections.
#   smbd_fixture_stop          stop every process of the fixture (SIGTERM, bounded
#                              wait, SIGKILL); remove DIR unless SMBD_KEEP=1 or DIR
#                              existed before start.  No-op when nothing runs.
#   smbd_fixture_restart       stop the daemon only and start it on the same port.
#   smbd_fixture_reload        smbcontrol reload-config (after editing shares).
#   smbd_fixture_close_share NAME
#                              smbcontrol close-share NAME (forced tree disconnect).
#   smbd_fixture_add_share NAME ['param = value' ...]
#                              add/replace a share and reload.  Default: path =
#                              DIR/shares/NAME (created, owned by the test user),
#                              read only = no; given parameters come later and win.
#   smbd_fixture_remove_share NAME
#                              drop a share added at run time, reload.
#   smbd_fixture_client_pid CLIENT_PORT
#                              print the PID of the smbd child serving the TCP
#                              connection whose client side uses CLIENT_PORT.
#   smbd_fixture_clients       print "PEER_ADDRESS:PORT PID" per client connection.
#   smbd_fixture_pause_client PID / smbd_fixture_resume_client PID /
#   smbd_fixture_kill_client PID
#                              SIGSTOP / SIGCONT / SIGKILL a process of this
#                              fixture (refuses any other PID).
#   smbd_fixture_pids          print the PIDs of all processes of the fixture.
#   smbd_fixture_cpu_ticks     print the CPU time (user + sys, clock ticks) of
#                              the fixture's processes, reaped children
#                              included (benchmarks: the difference around a
#                              run is smbd's cost of it).
#   smbd_fixture_status [ARGS] smbstatus -s $SMBD_CONF ARGS (e.g. -b: dialect,
#                              encryption and signing of every session).
#   smbd_fixture_smbclient SHARE [ARGS]
#                              smbclient //$SMBD_HOST/SHARE with port, client
#                              config and credentials filled in.
#   smbd_fixture_load DIR      in another shell: load the variables of a fixture
#                              started earlier in DIR (from DIR/fixture.env);
#                              smbd_fixture_stop then works there as well.
#   smbd_fixture_running       true while the fixture's smbd is alive.
#   smbd_fixture_env           print the variables below as `export` lines.
#   All functions return 0 on success and non-zero on failure; errors go to stderr.
#
# Exported after a successful start:
#   SMBD_HOST=127.0.0.1  SMBD_PORT  SMBD_PID (the setsid'ed smbd parent)
#   SMBD_DIR  SMBD_CONF (DIR/smb.conf)  SMBD_USER  SMBD_PASSWORD_FILE
#   SMBD_AUTH_FILE    smbclient -A file (username/password lines), mode 600
#   SMBD_CLIENT_CONF  smb.conf for smbclient/smbstatus-free clients: keeps their
#                     caches inside DIR and ignores /etc/samba/smb.conf
#   SMBD_LOG          the log file shared by all fixture processes
# SMBD_PASSWORD_FILE (mode 600) holds the password with NO trailing newline; read
# it verbatim (`$(cat file)` works too, it would strip a newline anyway).
#
# Inputs (environment, all optional):
#   SMBD_PORT           TCP port; default: a free random port in 10000-32767
#                       (below the ephemeral range), retried on a bind race.
#   SMBD_USER           unix + SMB user (default gwdtest); created with
#                       useradd -M -s /usr/sbin/nologin when missing, never removed.
#   SMBD_KEEP=1         keep DIR on stop (logs, shares) for post-mortems.
#   SMBD_EXTRA_SHARES   space-separated NAME[:key=value[,key=value...]]; an
#                       underscore in a key stands for a space, e.g.
#                       "big scratch:read_only=yes,smb_encrypt=desired".
#   SMBD_EXTRA_GLOBAL   text appended verbatim to [global] (later lines win),
#                       e.g. 'server signing = mandatory'.
#   SMBD_LOG_LEVEL      smbd log level (default 1).
#   SMBD_START_TIMEOUT  seconds to wait for the port (default 20).
#   SMBD_STOP_TIMEOUT   seconds to wait after SIGTERM before SIGKILL (default 10).
#   SMBD_WATCHDOG=0     do not start the watchdog.  By default a small setsid'ed
#                       watchdog stops the fixture when the shell that started
#                       it ($$) dies without running smbd_fixture_stop (SIGKILL,
#                       harness timeout).  Turn it off when that shell is meant
#                       to exit before the fixture stops (the demo does).
#   SMBD_BIN            smbd binary (default: smbd from PATH or /usr/sbin/smbd).
#
# How processes are found: every process started for a fixture carries the
# environment variable GWD_SMBD_FIXTURE=<DIR> (the watchdog GWD_SMBD_WATCHDOG=
# <DIR>); it is inherited through fork and exec.  smbd itself runs in a new
# session (setsid: on exit smbd signals its whole process group, which would
# otherwise hit the test runner), and samba-dcerpcd, which smbd spawns on demand
# for named pipes (share listing), daemonises into yet another session.  So
# the session id alone does not find everything; the marker does, and nothing
# else carries it.  The shell that sources this file must not export those names.
#
# Layout of DIR: smb.conf, shares.conf (generated from shares.d/*.conf, included
# by smb.conf), client.conf, password, smbclient.auth, fixture.env, log/smbd.log,
# log/smbd.stdout, private/ (0700: passdb.tdb, secrets.tdb), lock/ state/
# cache/ pid/ ncalrpc/, client/ (smbclient caches), shares/{data,ro,secure,...}.

_smbd_fx_say() {
        printf 'smbd-fixture: %s\n' "$*" >&2
}

# Variables of one started fixture, so that smbd_fixture_load can restore them.
_SMBD_FX_VARS='SMBD_DIR SMBD_HOST SMBD_PORT SMBD_PID SMBD_CONF SMBD_USER
SMBD_PASSWORD_FILE SMBD_AUTH_FILE SMBD_CLIENT_CONF SMBD_LOG'

# _smbd_fx_procstat PID: sets _fx_state _fx_ppid _fx_pgrp _fx_sid; fails when
# the process is gone.
_smbd_fx_procstat() {
        local line
        { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
        # comm (field 2) may contain spaces and parentheses: cut after the last ')'.
        line=${line##*) }
        # shellcheck disable=SC2086
        set -- $line
        _fx_state=$1 _fx_ppid=$2 _fx_pgrp=$3 _fx_sid=$4
        return 0
}

# _smbd_fx_alive PID: running or stopped, not a zombie.
_smbd_fx_alive() {
        _smbd_fx_procstat "$1" || return 1
        case $_fx_state in
        Z | X | x) return 1 ;;
        esac
        return 0
}

# _smbd_fx_marked NAME DIR: PIDs of processes whose environment has NAME=DIR.
# Zombies have an empty environ and are not listed.
_smbd_fx_marked() {
        grep -lzxF -e "$1=$2" /proc/[0-9]*/environ 2>/dev/null |
                sed -n 's,^/proc/\([0-9][0-9]*\)/environ$,\1,p' || true
}

_smbd_fx_is_ours() {
        [ -n "${SMBD_DIR:-}" ] || return 1
        grep -qzxF -e "GWD_SMBD_FIXTURE=$SMBD_DIR" "/proc/$1/environ" 2>/dev/null
}

smbd_fixture_pids() {
        [ -n "${SMBD_DIR:-}" ] || return 0
        _smbd_fx_marked GWD_SMBD_FIXTURE "$SMBD_DIR"
}

smbd_fixture_cpu_ticks() {
        local p t=0
        for p in $(smbd_fixture_pids); do
                # utime stime cutime cstime; a process gone meanwhile counts 0
                t=$((t + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null || echo 0)))
        done
        echo "$t"
}

# _smbd_fx_leader DIR: the setsid'ed smbd (session leader carrying the marker).
_smbd_fx_leader() {
        local p
        for p in $(_smbd_fx_marked GWD_SMBD_FIXTURE "$1"); do
                _smbd_fx_procstat "$p" || continue
                [ "$_fx_sid" = "$p" ] || continue
                case $(cat "/proc/$p/comm" 2>/dev/null) in
                smbd) echo "$p"; return 0 ;;
                esac
        done
        return 1
}

# _smbd_fx_listening PID PORT: PID listens on 127.0.0.1:PORT and, when lo
# has ::1, on [::1]:PORT too.
_smbd_fx_listening() {
        local out
        out=$(ss -Hltnp "( sport = :$2 )" 2>/dev/null | grep -F "pid=$1,") || return 1
        case $out in
        *" 127.0.0.1:$2 "*) ;;
        *) return 1 ;;
        esac
        if grep -q ' lo$' /proc/net/if_inet6 2>/dev/null; then
                case $out in
                *" [::1]:$2 "*) ;;
                *) return 1 ;;
                esac
        fi
        return 0
}

_smbd_fx_port_free() {
        [ -z "$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ]
}

_smbd_fx_pick_port() {
        local i n
        i=0
        while [ "$i" -lt 200 ]; do
                n=$(od -An -N2 -tu2 /dev/urandom | tr -d ' \n')
                n=$((10000 + n % 22768))
                if _smbd_fx_port_free "$n"; then
                        echo "$n"
                        return 0
                fi
                i=$((i + 1))
        done
        _smbd_fx_say "no free TCP port found"
        return 1
}

_smbd_fx_ensure_user() {
        local i
        id -u "$1" >/dev/null 2>&1 && return 0
        # Two fixtures may race here: useradd then fails on the lock of
        # /etc/passwd or on the existing name; what matters is that it exists.
        i=0
        while [ "$i" -lt 20 ]; do
                useradd -M -s /usr/sbin/nologin -c 'gatewayd test user' "$1" \
                        >/dev/null 2>&1 || true
                id -u "$1" >/dev/null 2>&1 && return 0
                sleep 0.2
                i=$((i + 1))
        done
        _smbd_fx_say "cannot create unix user $1"
        return 1
}

# _smbd_fx_share_conf NAME PATH [param ...]: one [NAME] section on stdout.
_smbd_fx_share_conf() {
        local name path p
        name=$1 path=$2
        shift 2
        printf '[%s]\n\tpath = %s\n\tread only = no\n' "$name" "$path"
        for p in "$@"; do
                printf '\t%s\n' "$p"
        done
}

_smbd_fx_valid_name() {
        case $1 in
        '' | *[!A-Za-z0-9._-]*) return 1 ;;
        esac
        case $(printf '%s' "$1" | tr '[:upper:]' '[:lower:]') in
        global | homes | printers | ipc\$ | data | ro | secure) return 1 ;;
        esac
        return 0
}

_smbd_fx_make_share_dir() {
        mkdir -p "$1" || return 1
        chown "$SMBD_USER:" "$1" && chmod 0755 "$1"
}

# Regenerate shares.conf from shares.d/*.conf; rename keeps smbd from ever
# reading a half-written file.
_smbd_fx_write_shares() {
        local d f
        d=$1
        : >"$d/shares.conf.tmp" || return 1
        for f in "$d"/shares.d/*.conf; do
                [ -e "$f" ] || continue
                cat "$f" >>"$d/shares.conf.tmp" || return 1
        done
        mv -f "$d/shares.conf.tmp" "$d/shares.conf"
}

# _smbd_fx_add_share_file NAME [param ...]: write shares.d/NAME.conf.
_smbd_fx_add_share_file() {
        local name path p
        name=$1
        shift
        path=$SMBD_DIR/shares/$name
        for p in "$@"; do
                case $p in
                *"
"*)
                        _smbd_fx_say "share $name: newline in parameter"
                        return 1
                        ;;
                path=* | path\ *)
                        path=${p#*=}
                        path=${path# }
                        path=${path# }
                        ;;
                esac
        done
        # A directory given with "path =" that exists already is left as it is.
        if [ "$path" = "$SMBD_DIR/shares/$name" ] || [ ! -e "$path" ]; then
                _smbd_fx_make_share_dir "$path" || return 1
        fi
        _smbd_fx_share_conf "$name" "$path" "$@" >"$SMBD_DIR/shares.d/$name.conf"
}

# SMBD_EXTRA_SHARES -> shares.d/*.conf
_smbd_fx_extra_shares() {
        local entry name opts kv key val old_ifs
        for entry in ${SMBD_EXTRA_SHARES:-}; do
                name=${entry%%:*}
                opts=
                [ "$name" = "$entry" ] || opts=${entry#*:}
                if ! _smbd_fx_valid_name "$name"; then
                        _smbd_fx_say "SMBD_EXTRA_SHARES: bad share name '$name'"
                        return 1
                fi
                set --
                old_ifs=$IFS
                IFS=,
                for kv in $opts; do
                        case $kv in
                        *=*) ;;
                        *)
                                IFS=$old_ifs
                                _smbd_fx_say "SMBD_EXTRA_SHARES: '$kv' is not key=value"
                                return 1
                                ;;
                        esac
                        key=$(printf '%s' "${kv%%=*}" | tr _ ' ')
                        val=${kv#*=}
                        set -- "$@" "$key = $val"
                done
                IFS=$old_ifs
                _smbd_fx_add_share_file "$name" "$@" || return 1
        done
        return 0
}

_smbd_fx_write_conf() {
        local d
        d=$SMBD_DIR
        cat >"$d/smb.conf.tmp" <<EOF || return 1
# Generated by tests/smb/smbd-fixture.sh on every start; edits are lost.
# Run-time shares: shares.d/*.conf -> shares.conf (smbd_fixture_add_share).
[global]
	server role = standalone server
	netbios name = GWDTEST
	workgroup = WORKGROUP
	server string = gatewayd test smbd
	smb ports = $SMBD_PORT
	interfaces = lo 127.0.0.1 ::1
	bind interfaces only = yes
	disable netbios = yes
	server min protocol = SMB2_02
	server max protocol = SMB3_11
	server signing = auto
	server multi channel support = yes
	load printers = no
	printcap name = /dev/null
	printing = bsd
	disable spoolss = yes
	security = user
	passdb backend = tdbsam:$d/private/passdb.tdb
	restrict anonymous = 2
	map to guest = never
	lock directory = $d/lock
	state directory = $d/state
	cache directory = $d/cache
	pid directory = $d/pid
	private dir = $d/private
	binddns dir = $d/private/bind-dns
	ncalrpc dir = $d/ncalrpc
	usershare path = $d/usershares
	usershare max shares = 0
	log file = $d/log/smbd.log
	max log size = 0
	log level = ${SMBD_LOG_LEVEL:-1}
	debug pid = yes
	panic action =
${SMBD_EXTRA_GLOBAL:-}

[data]
	comment = writable
	path = $d/shares/data
	read only = no

[ro]
	comment = read only
	path = $d/shares/ro
	read only = yes

[secure]
	comment = writable, encryption required
	path = $d/shares/secure
	read only = no
	smb encrypt = required

include = $d/shares.conf
EOF
        mv -f "$d/smb.conf.tmp" "$d/smb.conf" || return 1

        # smbclient: no /etc/samba/smb.conf, caches inside the fixture.
        cat >"$d/client.conf" <<EOF || return 1
# smbclient configuration for this fixture: smbclient -s $d/client.conf
[global]
	workgroup = WORKGROUP
	client min protocol = SMB2_02
	client max protocol = SMB3_11
	lock directory = $d/client/lock
	state directory = $d/client/state
	cache directory = $d/client/cache
	pid directory = $d/client/pid
	private dir = $d/client/private
	ncalrpc dir = $d/client/ncalrpc
EOF
}

_smbd_fx_write_env() {
        {
                echo "# smbd fixture state (smbd_fixture_load $SMBD_DIR)"
                smbd_fixture_env
                printf "_SMBD_FX_CREATED='%s'\n" "${_SMBD_FX_CREATED:-0}"
                printf "_SMBD_FX_PORT_GIVEN='%s'\n" "${_SMBD_FX_PORT_GIVEN:-1}"
        } >"$SMBD_DIR/fixture.env.tmp" && mv -f "$SMBD_DIR/fixture.env.tmp" "$SMBD_DIR/fixture.env"
}

_smbd_fx_log_tail() {
        local f
        for f in "$SMBD_DIR/log/smbd.log" "$SMBD_DIR/log/smbd.stdout"; do
                [ -s "$f" ] || continue
                echo "---- tail of $f" >&2
                tail -n 30 "$f" >&2
        done
}

_smbd_fx_smbd_bin() {
        if [ -n "${SMBD_BIN:-}" ]; then
                echo "$SMBD_BIN"
        elif command -v smbd >/dev/null 2>&1; then
                command -v smbd
        else
                echo /usr/sbin/smbd
        fi
}

# _smbd_fx_kill_marked NAME DIR TIMEOUT: SIGTERM (+SIGCONT for paused ones),
# wait up to TIMEOUT s, then SIGKILL and wait up to 5 s.  Returns 1 if
# something survived.
_smbd_fx_kill_marked() {
        local pids p i limit
        pids=$(_smbd_fx_marked "$1" "$2")
        [ -n "$pids" ] || return 0
        # shellcheck disable=SC2086
        kill -TERM $pids 2>/dev/null
        # shellcheck disable=SC2086
        kill -CONT $pids 2>/dev/null
        limit=$(($3 * 10))
        i=0
        while [ "$i" -lt "$limit" ]; do
                pids=$(_smbd_fx_marked "$1" "$2")
                [ -n "$pids" ] || return 0
                sleep 0.1
                i=$((i + 1))
        done
        _smbd_fx_say "still running after SIGTERM, sending SIGKILL:" "$(echo "$pids" | tr '\n' ' ')"
        i=0
        while [ "$i" -lt 50 ]; do
                pids=$(_smbd_fx_marked "$1" "$2")
                [ -n "$pids" ] || return 0
                for p in $pids; do
                        kill -KILL "$p" 2>/dev/null
                done
                sleep 0.1
                i=$((i + 1))
        done
        _smbd_fx_say "processes survive SIGKILL:" "$(echo "$pids" | tr '\n' ' ')"
        return 1
}

_smbd_fx_stop_watchdog() {
        local p i
        i=0
        while [ "$i" -lt 20 ]; do
                p=$(_smbd_fx_marked GWD_SMBD_WATCHDOG "$SMBD_DIR")
                [ -n "$p" ] || return 0
                # shellcheck disable=SC2086
                kill -KILL $p 2>/dev/null
                sleep 0.05
                i=$((i + 1))
        done
        return 1
}

# The watchdog: its own session (survives the process-group kill that took
# the test shell), polls the PID of the shell that started the fixture and,
# once that is gone, stops the fixture and removes DIR like smbd_fixture_stop.
_smbd_fx_start_watchdog() {
        [ "${SMBD_WATCHDOG:-1}" = 0 ] && return 0
        local rm_dir
        rm_dir=0
        [ "${_SMBD_FX_CREATED:-0}" = 1 ] && [ "${SMBD_KEEP:-0}" != 1 ] && rm_dir=1
        # shellcheck disable=SC2016
        setsid -f env GWD_SMBD_WATCHDOG="$SMBD_DIR" sh -c '
                parent=$1 dir=$2 rm_dir=$3
                trap "" HUP INT TERM
                gone() {
                        read -r l <"/proc/$parent/stat" 2>/dev/null || return 0
                        case ${l##*) } in Z* | X*) return 0 ;; esac
                        return 1
                }
                marked() {
                        grep -lzxF -e "GWD_SMBD_FIXTURE=$dir" /proc/[0-9]*/environ \
                                2>/dev/null | sed -n "s,^/proc/\([0-9]*\)/environ\$,\1,p"
                }
                while ! gone; do sleep 1; done
                p=$(marked)
                if [ -n "$p" ]; then
                        kill -TERM $p 2>/dev/null; kill -CONT $p 2>/dev/null
                        i=0
                        while [ $i -lt 100 ] && [ -n "$(marked)" ]; do
                                sleep 0.1; i=$((i + 1))
                        done
                        p=$(marked); [ -z "$p" ] || kill -KILL $p 2>/dev/null
                        sleep 0.5
                fi
                if [ "$rm_dir" = 1 ] && [ -f "$dir/.gwd-smbd-fixture" ]; then
                        rm -rf "$dir"
                fi
        ' gwd-smbd-watchdog "$$" "$SMBD_DIR" "$rm_dir" </dev/null >/dev/null 2>&1
}

# _smbd_fx_port_taken OFFSET_LOG OFFSET_STDOUT: this attempt logged a bind failure.
_smbd_fx_port_taken() {
        { tail -c "+$1" "$SMBD_LOG"; tail -c "+$2" "$SMBD_DIR/log/smbd.stdout"; } 2>/dev/null |
                grep -q -e 'Address already in use' -e 'No sockets available'
}

# _smbd_fx_launch: start smbd with the current config.  0 = listening,
# 2 = port taken (retry another), 1 = other failure.
_smbd_fx_launch() {
        local smbd i limit pid off1 off2
        smbd=$(_smbd_fx_smbd_bin)
        if [ ! -x "$smbd" ]; then
                _smbd_fx_say "smbd not found (apt-get install -y samba smbclient)"
                return 1
        fi
        rm -f "$SMBD_DIR/pid/smbd.pid"
        touch "$SMBD_LOG" "$SMBD_DIR/log/smbd.stdout"
        printf '==== %s start on port %s\n' "$(date '+%F %T')" "$SMBD_PORT" \
                >>"$SMBD_DIR/log/smbd.stdout"
        # Only what this attempt logs decides whether the port was taken.
        off1=$(($(wc -c <"$SMBD_LOG") + 1))
        off2=$(($(wc -c <"$SMBD_DIR/log/smbd.stdout") + 1))
        # setsid -f always forks, so it behaves the same whether or not the
        # caller has job control; the PID is found through the marker.
        if ! setsid -f env GWD_SMBD_FIXTURE="$SMBD_DIR" "$smbd" --foreground \
                --no-process-group -s "$SMBD_CONF" \
                </dev/null >>"$SMBD_DIR/log/smbd.stdout" 2>&1; then
                _smbd_fx_say "cannot run setsid $smbd"
                return 1
        fi
        limit=$((${SMBD_START_TIMEOUT:-20} * 10))
        i=0
        pid=
        while [ "$i" -lt "$limit" ]; do
                if [ -z "$pid" ]; then
                        pid=$(_smbd_fx_leader "$SMBD_DIR") || pid=
                        # smbd gone before we saw it (bad config, port taken)
                        if [ -z "$pid" ] && [ "$i" -ge 30 ] &&
                                [ -z "$(_smbd_fx_marked GWD_SMBD_FIXTURE "$SMBD_DIR")" ]; then
                                break
                        fi
                fi
                if [ -n "$pid" ]; then
                        _smbd_fx_alive "$pid" || break
                        if _smbd_fx_listening "$pid" "$SMBD_PORT"; then
                                SMBD_PID=$pid
                                return 0
                        fi
                fi
                # smbd keeps running when only some of its addresses could be
                # bound (e.g. ::1 taken): the log says so, at level 0.
                if [ $((i % 5)) = 4 ] && _smbd_fx_port_taken "$off1" "$off2"; then
                        break
                fi
                sleep 0.1
                i=$((i + 1))
        done
        _smbd_fx_kill_marked GWD_SMBD_FIXTURE "$SMBD_DIR" 5
        if _smbd_fx_port_taken "$off1" "$off2"; then
                _smbd_fx_say "port $SMBD_PORT is taken"
                return 2
        fi
        _smbd_fx_say "smbd did not start listening on 127.0.0.1:$SMBD_PORT"
        return 1
}

smbd_fixture_start() {
        local dir pw tries rc c
        if [ -n "${SMBD_DIR:-}" ]; then
                if [ -n "$(smbd_fixture_pids)" ]; then
                        _smbd_fx_say "a fixture is already running in $SMBD_DIR (pid ${SMBD_PID:-?})"
                        return 1
                fi
                # Leftovers of a failed start in this shell.
                smbd_fixture_stop 2>/dev/null
        fi
        if [ "$(id -u)" != 0 ]; then
                _smbd_fx_say "must run as root (useradd, smbd switching users)"
                return 1
        fi
        for c in setsid ss smbpasswd smbcontrol smbstatus grep sed od base64; do
                if ! command -v "$c" >/dev/null 2>&1; then
                        _smbd_fx_say "$c not found (apt-get install -y samba smbclient)"
                        return 1
                fi
        done
        SMBD_USER=${SMBD_USER:-gwdtest}
        case $SMBD_USER in
        [a-z_]*) ;;
        *) _smbd_fx_say "bad SMBD_USER '$SMBD_USER'"; return 1 ;;
        esac
        case $SMBD_USER in
        *[!a-z0-9_-]*) _smbd_fx_say "bad SMBD_USER '$SMBD_USER'"; return 1 ;;
        esac

        _SMBD_FX_CREATED=0
        dir=${1:-}
        if [ -z "$dir" ]; then
                dir=$(mktemp -d /tmp/gwd-smbd.XXXXXX) || return 1
                _SMBD_FX_CREATED=1
        elif [ ! -e "$dir" ]; then
                mkdir -p "$dir" || return 1
                _SMBD_FX_CREATED=1
        elif [ -f "$dir/.gwd-smbd-fixture" ] && [ "$(cat "$dir/.gwd-smbd-fixture")" = created ]; then
                _SMBD_FX_CREATED=1      # made by an earlier fixture run: ours to remove
        fi
        dir=$(cd "$dir" && pwd -P) || return 1
        case $dir in
        /*/* | /[!/]*) ;;
        *) _smbd_fx_say "refusing directory '$dir'"; return 1 ;;
        esac
        case $dir in
        *[!A-Za-z0-9._/+-]*)
                # smb.conf would substitute %-sequences, and quoting gets fragile.
                _smbd_fx_say "directory name must match [A-Za-z0-9._/+-]: $dir"
                return 1
                ;;
        esac
        if [ -n "$(_smbd_fx_marked GWD_SMBD_FIXTURE "$dir")" ]; then
                _smbd_fx_say "an smbd of another fixture still runs in $dir"
                return 1
        fi
        if [ "$_SMBD_FX_CREATED" = 1 ]; then
                echo created >"$dir/.gwd-smbd-fixture"
        elif [ ! -f "$dir/.gwd-smbd-fixture" ]; then
                echo adopted >"$dir/.gwd-smbd-fixture"
        fi

        SMBD_DIR=$dir
        SMBD_HOST=127.0.0.1
        SMBD_CONF=$dir/smb.conf
        SMBD_CLIENT_CONF=$dir/client.conf
        SMBD_PASSWORD_FILE=$dir/password
        SMBD_AUTH_FILE=$dir/smbclient.auth
        SMBD_LOG=$dir/log/smbd.log
        SMBD_PID=

        # smbd switches to the test user: DIR must be traversable, private/ not.
        chmod 0755 "$dir" &&
                mkdir -p "$dir/lock" "$dir/state" "$dir/cache" "$dir/pid" \
                        "$dir/private" "$dir/ncalrpc" "$dir/log" "$dir/usershares" \
                        "$dir/client/lock" "$dir/client/state" "$dir/client/cache" \
                        "$dir/client/pid" "$dir/client/private" "$dir/client/ncalrpc" \
                        "$dir/shares" "$dir/shares.d" &&
                chmod 0700 "$dir/private" "$dir/client/private" &&
                chmod 0755 "$dir/shares" || return 1
        _smbd_fx_ensure_user "$SMBD_USER" || return 1
        _smbd_fx_make_share_dir "$dir/shares/data" &&
                _smbd_fx_make_share_dir "$dir/shares/ro" &&
                _smbd_fx_make_share_dir "$dir/shares/secure" || return 1
        if [ ! -e "$dir/shares/ro/readme.txt" ]; then
                printf 'read-only share of the gatewayd smbd fixture\n' \
                        >"$dir/shares/ro/readme.txt" &&
                        chown "$SMBD_USER:" "$dir/shares/ro/readme.txt" || return 1
        fi
        rm -f "$dir"/shares.d/*.conf
        _smbd_fx_extra_shares || return 1
        _smbd_fx_write_shares "$dir" || return 1

        # Keep an existing password (a persistent demo directory) stable.
        pw=
        [ -s "$SMBD_PASSWORD_FILE" ] && pw=$(cat "$SMBD_PASSWORD_FILE")
        case $pw in
        '' | *[!A-Za-z0-9]*)
                pw=$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | cut -c1-24)
                ;;
        esac
        (umask 077 && printf '%s' "$pw" >"$SMBD_PASSWORD_FILE" &&
                printf 'username = %s\npassword = %s\n' "$SMBD_USER" "$pw" \
                        >"$SMBD_AUTH_FILE") || return 1
        chmod 0600 "$SMBD_PASSWORD_FILE" "$SMBD_AUTH_FILE"

        if [ -n "${SMBD_PORT:-}" ]; then
                case $SMBD_PORT in
                *[!0-9]*)
                        _smbd_fx_say "bad SMBD_PORT '$SMBD_PORT'"
                        return 1
                        ;;
                esac
                _SMBD_FX_PORT_GIVEN=1
                tries=1
        else
                _SMBD_FX_PORT_GIVEN=0
                SMBD_PORT=$(_smbd_fx_pick_port) || return 1
                tries=5
        fi
        _smbd_fx_write_conf || return 1
        # The password goes through a pipe, never through argv.
        if ! printf '%s\n%s\n' "$pw" "$pw" |
                smbpasswd -c "$SMBD_CONF" -a -s "$SMBD_USER" >"$dir/log/smbpasswd.out" 2>&1; then
                _smbd_fx_say "smbpasswd -a failed:"
                cat "$dir/log/smbpasswd.out" >&2
                return 1
        fi
        rc=1
        while [ "$tries" -gt 0 ]; do
                tries=$((tries - 1))
                rc=0
                _smbd_fx_launch || rc=$?
                if [ "$rc" != 2 ] || [ "$_SMBD_FX_PORT_GIVEN" = 1 ] || [ "$tries" = 0 ]; then
                        break
                fi
                # lost a race for the port: another one
                SMBD_PORT=$(_smbd_fx_pick_port) || break
                _smbd_fx_write_conf || break
        done
        if [ "$rc" != 0 ]; then
                _smbd_fx_log_tail
                _smbd_fx_say "start failed; directory left in $dir"
                SMBD_PID=
                [ "$_SMBD_FX_PORT_GIVEN" = 1 ] || unset SMBD_PORT
                return 1
        fi
        export SMBD_DIR SMBD_HOST SMBD_PORT SMBD_PID SMBD_CONF SMBD_USER \
                SMBD_PASSWORD_FILE SMBD_AUTH_FILE SMBD_CLIENT_CONF SMBD_LOG
        _smbd_fx_write_env || return 1
        _smbd_fx_start_watchdog
        _smbd_fx_say "smbd pid $SMBD_PID on $SMBD_HOST:$SMBD_PORT (and [::1]), dir $SMBD_DIR"
        return 0
}

# _smbd_fx_session SID: live (non-zombie) members of session SID.
_smbd_fx_session() {
        local d p
        for d in /proc/[0-9]*; do
                p=${d#/proc/}
                _smbd_fx_procstat "$p" || continue
                [ "$_fx_sid" = "$1" ] || continue
                case $_fx_state in
                Z | X | x) continue ;;
                esac
                echo "$p"
        done
}

# Stop the daemon (and the watchdog), keep DIR and the variables.
_smbd_fx_stop_daemon() {
        local rc left
        rc=0
        _smbd_fx_stop_watchdog || rc=1
        _smbd_fx_kill_marked GWD_SMBD_FIXTURE "$SMBD_DIR" "${SMBD_STOP_TIMEOUT:-10}" || rc=1
        # Belt and braces: anything still in smbd's session descends from it,
        # marker or not: Linux does not hand out a PID while it still names a
        # session.  If a live process has that PID, it was reused after all of
        # the session died: not ours, and neither is its session.
        if [ -n "${SMBD_PID:-}" ] && ! _smbd_fx_alive "$SMBD_PID"; then
                left=$(_smbd_fx_session "$SMBD_PID")
                if [ -n "$left" ]; then
                        _smbd_fx_say "killing unmarked members of session $SMBD_PID:" \
                                "$(echo "$left" | tr '\n' ' ')"
                        # shellcheck disable=SC2086
                        kill -KILL $left 2>/dev/null
                        sleep 0.2
                        [ -z "$(_smbd_fx_session "$SMBD_PID")" ] || rc=1
                fi
        fi
        return $rc
}

smbd_fixture_stop() {
        local rc v
        [ -n "${SMBD_DIR:-}" ] || return 0
        rc=0
        _smbd_fx_stop_daemon || rc=1
        if [ "$rc" = 0 ] && [ "${SMBD_KEEP:-0}" != 1 ] && [ "${_SMBD_FX_CREATED:-0}" = 1 ] &&
                [ -f "$SMBD_DIR/.gwd-smbd-fixture" ]; then
                rm -rf "$SMBD_DIR" || rc=1
        elif [ -d "$SMBD_DIR" ]; then
                _smbd_fx_say "kept $SMBD_DIR"
        fi
        for v in $_SMBD_FX_VARS; do
                [ "$v" = SMBD_PORT ] && [ "${_SMBD_FX_PORT_GIVEN:-1}" = 1 ] && continue
                [ "$v" = SMBD_USER ] && continue
                unset "$v"
        done
        unset _SMBD_FX_CREATED _SMBD_FX_PORT_GIVEN
        return $rc
}

smbd_fixture_restart() {
        if [ -z "${SMBD_DIR:-}" ] || [ ! -f "${SMBD_CONF:-}" ]; then
                _smbd_fx_say "restart: no fixture"
                return 1
        fi
        _smbd_fx_stop_daemon || return 1
        SMBD_PID=
        if ! _smbd_fx_launch; then
                _smbd_fx_log_tail
                return 1
        fi
        export SMBD_PID
        _smbd_fx_write_env || return 1
        _smbd_fx_start_watchdog
        _smbd_fx_say "smbd restarted: pid $SMBD_PID on $SMBD_HOST:$SMBD_PORT"
        return 0
}

_smbd_fx_need_running() {
        if ! smbd_fixture_running; then
                _smbd_fx_say "smbd of the fixture is not running"
                return 1
        fi
        return 0
}

smbd_fixture_reload() {
        _smbd_fx_need_running || return 1
        smbcontrol -s "$SMBD_CONF" "$SMBD_PID" reload-config
}

smbd_fixture_close_share() {
        _smbd_fx_need_running || return 1
        smbcontrol -s "$SMBD_CONF" "$SMBD_PID" close-share "$1"
}

smbd_fixture_add_share() {
        local name
        name=${1:-}
        [ -n "${SMBD_DIR:-}" ] || { _smbd_fx_say "add_share: no fixture"; return 1; }
        if ! _smbd_fx_valid_name "$name"; then
                _smbd_fx_say "add_share: bad or reserved share name '$name'"
                return 1
        fi
        shift
        _smbd_fx_add_share_file "$name" "$@" || return 1
        _smbd_fx_write_shares "$SMBD_DIR" || return 1
        if [ -n "${SMBD_PID:-}" ] && _smbd_fx_alive "$SMBD_PID"; then
                smbd_fixture_reload
        fi
}

smbd_fixture_remove_share() {
        [ -n "${SMBD_DIR:-}" ] || { _smbd_fx_say "remove_share: no fixture"; return 1; }
        if ! _smbd_fx_valid_name "${1:-}" || [ ! -f "$SMBD_DIR/shares.d/$1.conf" ]; then
                _smbd_fx_say "remove_share: no run-time share '${1:-}'"
                return 1
        fi
        rm -f "$SMBD_DIR/shares.d/$1.conf"
        _smbd_fx_write_shares "$SMBD_DIR" || return 1
        if [ -n "${SMBD_PID:-}" ] && _smbd_fx_alive "$SMBD_PID"; then
                smbd_fixture_reload
        fi
}

smbd_fixture_clients() {
        [ -n "${SMBD_PORT:-}" ] || return 1
        # ss: Recv-Q Send-Q Local Peer users:(("smbd",pid=N,fd=M))
        ss -Htnp state established "( sport = :$SMBD_PORT )" 2>/dev/null |
                sed -n 's/^[^ ]* *[^ ]* *[^ ]* *\([^ ]*\) .*pid=\([0-9][0-9]*\),.*/\1 \2/p'
}

smbd_fixture_client_pid() {
        local p
        case ${1:-} in
        '' | *[!0-9]*) _smbd_fx_say "client_pid: bad port '${1:-}'"; return 1 ;;
        esac
        [ -n "${SMBD_PORT:-}" ] || return 1
        p=$(ss -Htnp state established "( sport = :$SMBD_PORT and dport = :$1 )" \
                2>/dev/null | sed -n 's/.*pid=\([0-9][0-9]*\),.*/\1/p' | head -n 1)
        if [ -z "$p" ] || ! _smbd_fx_is_ours "$p"; then
                _smbd_fx_say "no smbd of the fixture serves client port $1"
                return 1
        fi
        echo "$p"
}

_smbd_fx_signal_ours() {
        case ${2:-} in
        '' | *[!0-9]*) _smbd_fx_say "bad pid '${2:-}'"; return 1 ;;
        esac
        if ! _smbd_fx_is_ours "$2"; then
                _smbd_fx_say "pid $2 is not a process of this fixture"
                return 1
        fi
        kill "-$1" "$2"
}

smbd_fixture_pause_client() {
        _smbd_fx_signal_ours STOP "${1:-}"
}

smbd_fixture_resume_client() {
        _smbd_fx_signal_ours CONT "${1:-}"
}

smbd_fixture_kill_client() {
        _smbd_fx_signal_ours KILL "${1:-}"
}

smbd_fixture_status() {
        [ -n "${SMBD_CONF:-}" ] || return 1
        smbstatus -s "$SMBD_CONF" "$@"
}

smbd_fixture_smbclient() {
        local share
        share=${1:-}
        if [ -z "$share" ] || [ -z "${SMBD_PORT:-}" ]; then
                _smbd_fx_say "usage: smbd_fixture_smbclient SHARE [smbclient args] (after start)"
                return 2
        fi
        shift
        smbclient "//$SMBD_HOST/$share" -p "$SMBD_PORT" -s "$SMBD_CLIENT_CONF" \
                -A "$SMBD_AUTH_FILE" "$@"
}

# smbd_fixture_running: the fixture's smbd is alive (not a zombie) and ours.
smbd_fixture_running() {
        [ -n "${SMBD_PID:-}" ] && _smbd_fx_alive "$SMBD_PID" && _smbd_fx_is_ours "$SMBD_PID"
}

# smbd_fixture_env: the exported variables as shell `export` lines.
smbd_fixture_env() {
        local v val
        [ -n "${SMBD_DIR:-}" ] || return 1
        for v in $_SMBD_FX_VARS; do
                eval "val=\${$v:-}"
                printf "export %s='%s'\n" "$v" "$val"
        done
}

smbd_fixture_load() {
        local dir
        dir=${1:-}
        if [ -z "$dir" ] || [ ! -f "$dir/fixture.env" ] || [ ! -f "$dir/.gwd-smbd-fixture" ]; then
                _smbd_fx_say "no fixture in $dir"
                return 1
        fi
        # shellcheck disable=SC1091
        . "$dir/fixture.env" || return 1
        return 0
}
