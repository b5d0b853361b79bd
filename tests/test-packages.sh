#!/bin/sh
# SPDX-License-Identifier: MIT
# Package test: builds the .deb and .rpm packages with
# packaging/build-packages.sh, installs the .deb files on this system and
# checks the result (daemon, config, plugins, user, directories, unit,
# maintainer scripts, man pages, headers), then checks the .rpm contents
# with rpm -qlp, and finally removes and purges the packages again.
#
# NOT part of `make check`: it needs root and modifies the system (installs
# packages, possibly their dependencies with apt-get, creates the gatewayd
# system user).  Run it as root, from the source tree or a build directory:
#     sh tests/test-packages.sh
# Environment:
#   top_builddir        configured build directory to take `make dist` from
#                       (default: the current directory if it is one, else
#                       a scratch configure of the source tree)
#   GWD_PKG_OUTDIR      keep the built packages there (default: a scratch
#                       directory, deleted at the end)
#   GWD_KEEP_INSTALLED  1: leave the packages installed at the end
# If gatewayd was already installed before the test, it is upgraded/replaced
# by the new build and left installed.
#
# Ends with "N passed, N failed"; exits 1 on any failure.

set -u

script_dir=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$script_dir/.." && pwd)

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
finish() {
        echo "$passed passed, $failed failed"
        [ "$failed" -eq 0 ] || exit 1
        exit 0
}
# check DESCRIPTION COMMAND...: pass if the command succeeds.
check() {
        what=$1
        shift
        if "$@"; then pass "$what"; else fail "$what"; fi
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatewayd-pkgtest.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
outdir=${GWD_PKG_OUTDIR:-$tmp/out}

if [ "$(id -u)" -ne 0 ]; then
        fail "must run as root (installs packages)"
        finish
fi

# The daemon must find its plugins on its own, as it does when installed.
unset GWD_PLUGIN_DIR

# --- build --------------------------------------------------------------------
set -- -o "$outdir"
if [ -n "${top_builddir:-}" ] && [ -f "$top_builddir/Makefile" ]; then
        set -- "$@" --builddir "$top_builddir"
fi
echo "building packages (log: $tmp/build.log)"
if sh "$srcdir/packaging/build-packages.sh" "$@" > "$tmp/build.log" 2>&1; then
        pass "packaging/build-packages.sh"
        build_ok=1
else
        fail "packaging/build-packages.sh"
        build_ok=0
fi
sed 's/^/  | /' "$tmp/build.log"
if [ $build_ok = 0 ]; then
        # Without packages nothing else can be checked.
        finish
fi

# first FILE...: the first argument that exists (unmatched globs stay
# literal and are skipped); source rpms are not wanted.
first() {
        for f in "$@"; do
                case $f in *.src.rpm) continue ;; esac
                if [ -e "$f" ]; then
                        echo "$f"
                        return
                fi
        done
}

# The version comes from the tarball the script made.
tarball=$(first "$outdir"/gatewayd-*.tar.gz)
version=${tarball##*/gatewayd-}
version=${version%.tar.gz}
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
deb=$(first "$outdir"/gatewayd_"$version"-*_"$arch".deb)
devdeb=$(first "$outdir"/gatewayd-dev_"$version"-*_all.deb)
rpm_main=$(first "$outdir"/gatewayd-"$version"-*.rpm)
rpm_devel=$(first "$outdir"/gatewayd-devel-"$version"-*.noarch.rpm)

check "tarball gatewayd-$version.tar.gz" test -n "$version"
check "gatewayd .deb built (${deb##*/})" test -f "$deb"
check "gatewayd-dev .deb built (${devdeb##*/})" test -f "$devdeb"
check "gatewayd .rpm built (${rpm_main##*/})" test -f "$rpm_main"
check "gatewayd-devel .rpm built (${rpm_devel##*/})" test -f "$rpm_devel"
if [ -f "$outdir/lintian.txt" ] && ! grep -q '^E: ' "$outdir/lintian.txt"; then
        pass "lintian: no errors ($(grep -c '^W: ' "$outdir/lintian.txt") warnings)"
else
        fail "lintian reported errors (or did not run)"
fi

# --- install the .deb files -----------------------------------------------------
preinstalled=0
if dpkg-query -W -f='${Status}' gatewayd 2>/dev/null | grep -q 'install ok installed'; then
        preinstalled=1
        echo "note: gatewayd was installed before the test; it will be left installed"
fi

if [ -f "$deb" ] && [ -f "$devdeb" ]; then
        if dpkg -i "$deb" "$devdeb" > "$tmp/dpkg.log" 2>&1; then
                pass "dpkg -i"
        else
                sed 's/^/  | /' "$tmp/dpkg.log"
                echo "dpkg -i failed; resolving dependencies with apt-get install -f"
                if DEBIAN_FRONTEND=noninteractive apt-get install -f -y > "$tmp/apt.log" 2>&1; then
                        pass "dpkg -i + apt-get install -f"
                else
                        sed 's/^/  | /' "$tmp/apt.log"
                        fail "dpkg -i + apt-get install -f"
                fi
        fi
fi
status=$(dpkg-query -W -f='${Status}' gatewayd 2>/dev/null)
if [ "$status" != "install ok installed" ]; then
        fail "gatewayd is not installed (status '$status')"
        finish
fi
pass "gatewayd installed and configured"

# --- the daemon -----------------------------------------------------------------
check "/usr/sbin/gatewayd is executable" test -x /usr/sbin/gatewayd
out=$(/usr/sbin/gatewayd --version 2>&1)
case $out in
"gatewayd $version "*|"gatewayd $version") pass "gatewayd --version: $out" ;;
*) fail "gatewayd --version printed '$out', expected gatewayd $version" ;;
esac

# As root and as the service user (who must be able to read the config and
# load the plugins).  The example config sets no plugin_dir, so this also
# proves that the compiled-in default directory holds the plugins.
out=$(/usr/sbin/gatewayd --check-config -c /etc/gatewayd/gatewayd.json 2>&1)
rc=$?
if [ $rc -eq 0 ]; then
        pass "gatewayd --check-config -c /etc/gatewayd/gatewayd.json (exit 0)"
else
        printf '%s\n' "$out" | sed 's/^/  | /'
        fail "gatewayd --check-config -c /etc/gatewayd/gatewayd.json exited $rc"
fi
if getent passwd gatewayd >/dev/null; then
        out=$(setpriv --reuid=gatewayd --regid=gatewayd --clear-groups \
                /usr/sbin/gatewayd --check-config -c /etc/gatewayd/gatewayd.json 2>&1)
        rc=$?
        if [ $rc -eq 0 ]; then
                pass "--check-config as user gatewayd (exit 0)"
        else
                printf '%s\n' "$out" | sed 's/^/  | /'
                fail "--check-config as user gatewayd exited $rc"
        fi
fi

printf '{ "instances": [ { "name": "x", "plugin": "mem", "config": { "bogus": 1 } } ] }\n' \
        > "$tmp/bad.json"
/usr/sbin/gatewayd --check-config -c "$tmp/bad.json" > "$tmp/bad.out" 2>&1
rc=$?
check "--check-config of an invalid file exits 78 (got $rc)" test $rc -eq 78

# --- plugins --------------------------------------------------------------------
plugindir=/usr/lib/$multiarch/gatewayd/plugins
check "mem plugin at $plugindir/mem.so" test -f "$plugindir/mem.so"
check "daemon's built-in plugin_dir is $plugindir" grep -q -a -F "$plugindir" /usr/sbin/gatewayd
if ls "$plugindir"/*.la >/dev/null 2>&1; then
        fail "libtool .la files installed in $plugindir"
else
        pass "no .la files in $plugindir"
fi
for so in "$plugindir"/*.so; do
        [ -f "$so" ] || continue
        check "${so##*/} exports gwd_plugin_entry" \
                sh -c "nm -D --defined-only '$so' | grep -q ' gwd_plugin_entry\$'"
done

# --- user, directories, conffile --------------------------------------------------
if pw=$(getent passwd gatewayd); then
        pass "user gatewayd exists ($pw)"
        home=$(echo "$pw" | cut -d: -f6)
        shell=$(echo "$pw" | cut -d: -f7)
        uid=$(echo "$pw" | cut -d: -f3)
        check "gatewayd is a system user (uid $uid < 1000)" test "$uid" -lt 1000
        check "gatewayd home is /var/lib/gatewayd" test "$home" = /var/lib/gatewayd
        case $shell in
        */nologin|/bin/false) pass "gatewayd has no login shell ($shell)" ;;
        *) fail "gatewayd has the login shell $shell" ;;
        esac
else
        fail "user gatewayd does not exist"
fi
check "group gatewayd exists" sh -c 'getent group gatewayd >/dev/null'

check "/etc/gatewayd/credentials is root:root 0700" \
        test "$(stat -c '%U:%G %a' /etc/gatewayd/credentials 2>/dev/null)" = "root:root 700"
check "/var/lib/gatewayd is gatewayd:gatewayd 0750" \
        test "$(stat -c '%U:%G %a' /var/lib/gatewayd 2>/dev/null)" = "gatewayd:gatewayd 750"
check "/etc/gatewayd/gatewayd.json is a conffile" \
        sh -c "dpkg-query -W -f='\${Conffiles}' gatewayd | grep -q '^ /etc/gatewayd/gatewayd.json '"

# --- systemd unit and maintainer scripts -----------------------------------------
unit=/lib/systemd/system/gatewayd.service
check "unit installed at $unit" test -f "$unit"
check "unit ExecStart is /usr/sbin/gatewayd on /etc/gatewayd/gatewayd.json" \
        grep -qx 'ExecStart=/usr/sbin/gatewayd --foreground -c /etc/gatewayd/gatewayd.json' "$unit"
# With the man pages installed, verify also resolves Documentation= through
# man(1); without man-db that part cannot run (the man page files are
# checked below either way).
if command -v systemd-analyze >/dev/null 2>&1; then
        if command -v man >/dev/null 2>&1; then
                verify_opts=
                verify_what="systemd-analyze verify $unit"
        else
                verify_opts=--man=no
                verify_what="systemd-analyze verify --man=no $unit (man-db not installed)"
        fi
        if out=$(systemd-analyze verify $verify_opts "$unit" 2>&1) && [ -z "$out" ]; then
                pass "$verify_what"
        else
                printf '%s\n' "$out" | sed 's/^/  | /'
                fail "$verify_what"
        fi
else
        fail "systemd-analyze not available (install systemd)"
fi
check "unit enabled (multi-user.target.wants symlink)" \
        test -L /etc/systemd/system/multi-user.target.wants/gatewayd.service
postinst=/var/lib/dpkg/info/gatewayd.postinst
prerm=/var/lib/dpkg/info/gatewayd.prerm
check "postinst creates the user (systemd-sysusers)" grep -q 'systemd-sysusers' "$postinst"
check "postinst never starts the service at installation" \
        sh -c "! grep -q 'deb-systemd-invoke start' '$postinst'"
check "postinst try-restarts a running service on upgrade" \
        grep -q 'deb-systemd-invoke try-restart' "$postinst"
check "prerm stops the service on removal" grep -q 'deb-systemd-invoke stop' "$prerm"

# --- documentation, CLI and headers ----------------------------------------------------
check "man page gatewayd(8)" test -f /usr/share/man/man8/gatewayd.8.gz
check "man page gatewayd.json(5)" test -f /usr/share/man/man5/gatewayd.json.5.gz
# gwd-smb is packaged only once plugins/smb builds it.
if dpkg -L gatewayd | grep -qx /usr/bin/gwd-smb; then
        check "gwd-smb --help runs" sh -c '/usr/bin/gwd-smb --help >/dev/null'
        check "man page gwd-smb(1)" test -f /usr/share/man/man1/gwd-smb.1.gz
else
        echo "note: gwd-smb not built in this tree; not packaged"
fi
for h in plugin.h backend.h registry.h; do
        check "header /usr/include/gatewayd/$h (gatewayd-dev)" test -f "/usr/include/gatewayd/$h"
done
if command -v cc >/dev/null 2>&1 && command -v pkg-config >/dev/null 2>&1; then
        printf '#include <gatewayd/plugin.h>\n#include <gatewayd/backend.h>\n#include <gatewayd/registry.h>\n' \
                > "$tmp/hdr.c"
        # shellcheck disable=SC2046
        check "installed headers compile" \
                cc -std=c11 -fsyntax-only $(pkg-config --cflags jansson libsystemd) "$tmp/hdr.c"
fi

# --- RPM contents -----------------------------------------------------------------
if command -v rpm >/dev/null 2>&1 && [ -f "$rpm_main" ]; then
        rpm -qlp "$rpm_main" > "$tmp/rpm.list" 2>"$tmp/rpm.err"
        rpm_has() {
                if grep -qx -e "$1" "$tmp/rpm.list"; then
                        pass "rpm contains $1"
                else
                        fail "rpm lacks $1"
                fi
        }
        rpm_has /usr/sbin/gatewayd
        rpm_has /usr/lib64/gatewayd/plugins/mem.so
        rpm_has /etc/gatewayd/gatewayd.json
        rpm_has /usr/lib/systemd/system/gatewayd.service
        rpm_has /usr/lib/sysusers.d/gatewayd.conf
        rpm_has /usr/lib/tmpfiles.d/gatewayd.conf
        rpm_has '/usr/share/man/man8/gatewayd\.8.*'
        rpm_has '/usr/share/man/man5/gatewayd\.json\.5.*'
        check "rpm has no .la files" sh -c "! grep -q '\\.la\$' '$tmp/rpm.list'"
        check "rpm marks /etc/gatewayd/gatewayd.json as %config(noreplace)" \
                sh -c "rpm -qp --qf '[%{FILENAMES} %{FILEFLAGS:fflags}\\n]' '$rpm_main' 2>/dev/null |
                       grep -qx '/etc/gatewayd/gatewayd.json cn'"
        check "rpm scriptlets create the user and handle the unit" \
                sh -c "rpm -qp --scripts '$rpm_main' 2>/dev/null | grep -q systemd-sysusers &&
                       rpm -qp --scripts '$rpm_main' 2>/dev/null | grep -q 'gatewayd.service'"
        # The binary in the rpm has the RPM plugin directory compiled in.
        mkdir "$tmp/rpmroot"
        # rpm2archive (shipped with rpm2cpio, a dependency of rpm) gives a
        # tar stream, so no cpio is needed.
        if (cd "$tmp/rpmroot" && rpm2archive - < "$rpm_main" | tar -xzf - ./usr/sbin/gatewayd) 2>/dev/null; then
                check "rpm's daemon looks for plugins in /usr/lib64/gatewayd/plugins" \
                        grep -q -a -F /usr/lib64/gatewayd/plugins "$tmp/rpmroot/usr/sbin/gatewayd"
        else
                fail "cannot extract /usr/sbin/gatewayd from the rpm (rpm2archive)"
        fi
        if [ -f "$rpm_devel" ]; then
                rpm -qlp "$rpm_devel" > "$tmp/rpm.list" 2>/dev/null
                rpm_has /usr/include/gatewayd/plugin.h
                rpm_has /usr/include/gatewayd/backend.h
                rpm_has /usr/include/gatewayd/registry.h
        fi
else
        fail "rpm not available or no rpm built"
fi

# --- reinstall: upgrade maintainer-script path, local config kept -------------------
if [ -f "$deb" ]; then
        cp -p /etc/gatewayd/gatewayd.json "$tmp/gatewayd.json.orig"
        sed -i '1a\  "#local": "changed by test-packages.sh",' /etc/gatewayd/gatewayd.json
        if dpkg -i "$deb" < /dev/null > "$tmp/reinstall.log" 2>&1; then
                pass "dpkg -i again (upgrade path of the maintainer scripts)"
        else
                sed 's/^/  | /' "$tmp/reinstall.log"
                fail "dpkg -i again (upgrade path of the maintainer scripts)"
        fi
        check "locally changed /etc/gatewayd/gatewayd.json kept" \
                grep -q '"#local": "changed by test-packages.sh"' /etc/gatewayd/gatewayd.json
        check "changed config still valid" \
                sh -c '/usr/sbin/gatewayd --check-config -c /etc/gatewayd/gatewayd.json >/dev/null 2>&1'
        cp -p "$tmp/gatewayd.json.orig" /etc/gatewayd/gatewayd.json
fi

# --- removal --------------------------------------------------------------------
if [ "$preinstalled" = 1 ] || [ "${GWD_KEEP_INSTALLED:-0}" = 1 ]; then
        echo "note: leaving gatewayd installed"
else
        if dpkg -r gatewayd-dev gatewayd > "$tmp/remove.log" 2>&1; then
                pass "dpkg -r"
        else
                sed 's/^/  | /' "$tmp/remove.log"
                fail "dpkg -r"
        fi
        check "daemon removed" test ! -e /usr/sbin/gatewayd
        check "conffile kept after remove" test -f /etc/gatewayd/gatewayd.json
        if dpkg --purge gatewayd-dev gatewayd > "$tmp/purge.log" 2>&1; then
                pass "dpkg --purge"
        else
                sed 's/^/  | /' "$tmp/purge.log"
                fail "dpkg --purge"
        fi
        check "/etc/gatewayd removed by purge" test ! -e /etc/gatewayd
        check "/var/lib/gatewayd removed by purge" test ! -e /var/lib/gatewayd
        check "unit symlink removed by purge" \
                test ! -e /etc/systemd/system/multi-user.target.wants/gatewayd.service
fi

finish
