#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the gatewayd packages from a `make dist` tarball:
#   1. the tarball: `make dist` in a configured build directory (the current
#      one, or --builddir), or, run from anywhere else, in a scratch
#      configure of the source tree this script belongs to;
#   2. the .deb files: the tarball unpacked in a scratch directory,
#      packaging/debian copied to debian/, `dpkg-buildpackage -us -uc -b`;
#   3. lintian on the result: errors fail the build, warnings are printed;
#   4. the .rpm files: `rpmbuild -bb` with a scratch _topdir (--nodeps where
#      the rpm database cannot know the build dependencies, i.e. on a
#      non-RPM host such as Debian).
# Results (tarball, .deb, .buildinfo, .changes, .rpm, lintian.txt and the
# build logs) go to OUTDIR, ./dist-packages by default.  `make packages`
# runs this script from the build directory.  Exit status 0 only when every
# requested package was built and lintian reported no error.

set -eu

me=$(basename "$0")
script_dir=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$script_dir/.." && pwd)

outdir=./dist-packages
builddir=
do_deb=1
do_rpm=1
keep_tmp=0

die() { echo "$me: error: $*" >&2; exit 1; }
note() { echo "$me: $*"; }

usage() {
        cat <<EOF
Usage: $me [-o OUTDIR] [--builddir DIR] [--no-deb] [--no-rpm] [--keep-tmp]
  -o, --output OUTDIR  where the results go (default ./dist-packages)
  --builddir DIR       configured build directory to run 'make dist' in
                       (default: the current directory if it is one, else
                       a scratch configure of $srcdir)
  --no-deb, --no-rpm   skip the Debian build (and lintian) or the RPM build
  --keep-tmp           keep the scratch directory for inspection
EOF
}

while [ $# -gt 0 ]; do
        case $1 in
        -o|--output) [ $# -ge 2 ] || die "$1 needs a directory"; outdir=$2; shift 2 ;;
        --output=*) outdir=${1#*=}; shift ;;
        --builddir) [ $# -ge 2 ] || die "$1 needs a directory"; builddir=$2; shift 2 ;;
        --builddir=*) builddir=${1#*=}; shift ;;
        --no-deb) do_deb=0; shift ;;
        --no-rpm) do_rpm=0; shift ;;
        --keep-tmp) keep_tmp=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument '$1'" ;;
        esac
done

need() {
        command -v "$1" >/dev/null 2>&1 || die "$1 not found (install: $2)"
}
need make make
need tar tar
if [ $do_deb = 1 ]; then
        need dpkg-buildpackage dpkg-dev
        need dpkg-parsechangelog dpkg-dev
        need dh debhelper
        need lintian lintian
fi
if [ $do_rpm = 1 ]; then
        need rpmbuild "rpm (Debian) / rpm-build (Fedora)"
        need rpmspec "rpm (Debian) / rpm-build (Fedora)"
fi

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gatewayd-pkg.XXXXXX")
# shellcheck disable=SC2317 # called through trap
cleanup() {
        if [ "$keep_tmp" = 1 ]; then
                note "scratch files kept in $tmp"
        else
                rm -rf "$tmp"
        fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# Run a step with its output in a log; show the end of the log on failure.
run_logged() {
        log=$1
        shift
        if ! "$@" > "$log" 2>&1; then
                echo "---- last lines of $log ----" >&2
                tail -n 60 "$log" >&2
                die "failed: $*"
        fi
}

is_gatewayd_builddir() {
        [ -f "$1/Makefile" ] && grep -q '^PACKAGE = gatewayd$' "$1/Makefile"
}

# --- 1. the dist tarball ----------------------------------------------------
if [ -n "$builddir" ]; then
        is_gatewayd_builddir "$builddir" ||
                die "$builddir is not a configured gatewayd build directory"
elif is_gatewayd_builddir .; then
        builddir=.
else
        # A scratch build directory; configure only has to get as far as
        # producing a Makefile for `make dist`.  Nothing may be generated in
        # the (shared) source tree: if its configure/Makefile.in are missing
        # or older than their inputs (make would regenerate them in place),
        # autoreconf runs in a copy instead.
        [ ! -f "$srcdir/config.status" ] ||
                die "$srcdir is configured in-tree: pass --builddir $srcdir or run 'make distclean' there"
        src=$srcdir
        stale=
        if [ ! -x "$srcdir/configure" ] || [ ! -f "$srcdir/Makefile.in" ]; then
                stale="no configure script or Makefile.in"
        else
                for generated in configure Makefile.in; do
                        newer=$(cd "$srcdir" && find . -path ./.git -prune -o \
                                \( -name configure.ac -o -name Makefile.am -o -name '*.mk' \
                                   -o -path './m4/*.m4' \) -newer "$generated" -print | head -n 1)
                        if [ -n "$newer" ]; then
                                stale="$newer is newer than $generated"
                                break
                        fi
                done
        fi
        if [ -n "$stale" ]; then
                note "$srcdir: $stale; running autoreconf in a copy"
                need autoreconf "autoconf automake libtool"
                # Copy the tree without VCS data, earlier results and
                # out-of-tree build directories kept inside it.
                set -- --exclude=./.git --exclude=./dist-packages --exclude=./autom4te.cache
                for d in $(cd "$srcdir" && find . -mindepth 2 -name config.status \
                                -exec dirname {} \;); do
                        set -- "$@" "--exclude=$d"
                done
                mkdir "$tmp/src"
                (cd "$srcdir" && tar "$@" -cf - .) | (cd "$tmp/src" && tar -xf -)
                run_logged "$tmp/autoreconf.log" sh -c "cd '$tmp/src' && autoreconf -fi"
                src=$tmp/src
        fi
        mkdir "$tmp/build"
        note "configuring $src in $tmp/build"
        run_logged "$tmp/configure.log" \
                sh -c "cd '$tmp/build' && '$src/configure' --disable-werror"
        builddir=$tmp/build
fi
builddir=$(cd "$builddir" && pwd)

version=$(sed -n 's/^PACKAGE_VERSION = //p' "$builddir/Makefile")
[ -n "$version" ] || die "cannot read PACKAGE_VERSION from $builddir/Makefile"
tarball_name=gatewayd-$version.tar.gz

note "make dist in $builddir"
run_logged "$tmp/dist.log" make -C "$builddir" dist
[ -f "$builddir/$tarball_name" ] || die "make dist did not produce $tarball_name"
tarball=$tmp/$tarball_name
cp "$builddir/$tarball_name" "$tarball"

produced=$tmp/produced
: > "$produced"
# Copy results to OUTDIR and remember them for the summary.
deliver() {
        for f in "$@"; do
                cp "$f" "$outdir/"
                basename "$f" >> "$produced"
        done
}
deliver "$tarball"
note "tarball: $tarball_name"

# The packaging files used are the ones inside the tarball.
mkdir "$tmp/unpacked"
tar -xzf "$tarball" -C "$tmp/unpacked"
tree=$tmp/unpacked/gatewayd-$version
[ -f "$tree/packaging/debian/control" ] ||
        die "packaging/debian missing from $tarball_name (EXTRA_DIST in packaging/local.mk?)"
[ -f "$tree/packaging/rpm/gatewayd.spec" ] ||
        die "packaging/rpm/gatewayd.spec missing from $tarball_name"

failures=0

# --- 2. Debian packages -----------------------------------------------------
if [ $do_deb = 1 ]; then
        deb_version=$(dpkg-parsechangelog -l "$tree/packaging/debian/changelog" -S Version)
        deb_version=${deb_version#*:}
        upstream=${deb_version%-*}
        [ "$upstream" = "$version" ] ||
                die "packaging/debian/changelog is at $deb_version but the tarball at $version: add a changelog entry (dch -v $version-1)"

        debwork=$tmp/deb
        mkdir "$debwork"
        # 3.0 (quilt) expects the pristine tarball next to the tree.
        cp "$tarball" "$debwork/gatewayd_$version.orig.tar.gz"
        tar -xzf "$tarball" -C "$debwork"
        cp -a "$debwork/gatewayd-$version/packaging/debian" "$debwork/gatewayd-$version/debian"

        note "dpkg-buildpackage -us -uc -b (log: $outdir/dpkg-buildpackage.log)"
        jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
        if ! (cd "$debwork/gatewayd-$version" &&
              DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" \
              dpkg-buildpackage -us -uc -b) > "$outdir/dpkg-buildpackage.log" 2>&1; then
                tail -n 60 "$outdir/dpkg-buildpackage.log" >&2
                die "dpkg-buildpackage failed (full log: $outdir/dpkg-buildpackage.log)"
        fi
        changes=$(ls "$debwork"/gatewayd_"$deb_version"_*.changes)
        deliver "$debwork"/*.deb "$debwork"/*.buildinfo "$changes"

        # --- 3. lintian -------------------------------------------------------
        note "lintian $(basename "$changes") (output: $outdir/lintian.txt)"
        lintian_rc=0
        lintian --fail-on error "$changes" > "$outdir/lintian.txt" 2>&1 || lintian_rc=$?
        sed 's/^/  /' "$outdir/lintian.txt"
        n_err=$(grep -c '^E: ' "$outdir/lintian.txt" || :)
        n_warn=$(grep -c '^W: ' "$outdir/lintian.txt" || :)
        if [ $lintian_rc -ne 0 ]; then
                echo "$me: lintian failed (exit $lintian_rc): $n_err error(s), $n_warn warning(s)" >&2
                failures=$((failures + 1))
        else
                note "lintian: $n_err error(s), $n_warn warning(s)"
        fi
fi

# --- 4. RPM packages --------------------------------------------------------
if [ $do_rpm = 1 ]; then
        spec=$tree/packaging/rpm/gatewayd.spec
        spec_version=$(rpmspec -q --srpm --qf '%{VERSION}\n' "$spec" 2>/dev/null | head -n 1)
        [ "$spec_version" = "$version" ] ||
                die "packaging/rpm/gatewayd.spec has Version ${spec_version:-?} but the tarball $version"

        topdir=$tmp/rpm
        mkdir -p "$topdir/SOURCES" "$topdir/SPECS" "$topdir/BUILD" "$topdir/RPMS" "$topdir/SRPMS"
        cp "$tarball" "$topdir/SOURCES/"
        cp "$spec" "$topdir/SPECS/"
        # On an RPM distribution the rpm database knows the BuildRequires
        # and rpmbuild checks them; on a dpkg host it cannot (the build
        # dependencies are Debian packages there), so the check is skipped.
        nodeps=
        if ! rpm -q rpm >/dev/null 2>&1; then
                nodeps=--nodeps
        fi
        note "rpmbuild -bb $nodeps (log: $outdir/rpmbuild.log)"
        if ! rpmbuild -bb $nodeps --define "_topdir $topdir" \
                        "$topdir/SPECS/gatewayd.spec" > "$outdir/rpmbuild.log" 2>&1; then
                tail -n 60 "$outdir/rpmbuild.log" >&2
                die "rpmbuild failed (full log: $outdir/rpmbuild.log)"
        fi
        rpms=$(find "$topdir/RPMS" -name '*.rpm' | sort)
        [ -n "$rpms" ] || die "rpmbuild produced no package"
        # Word splitting wanted: one path per rpm, mktemp paths have no blanks.
        # shellcheck disable=SC2086
        deliver $rpms
fi

echo
note "results in $outdir:"
while read -r f; do
        printf '  %10s  %s\n' "$(stat -c %s "$outdir/$f")" "$f"
done < "$produced"

if [ $failures -ne 0 ]; then
        exit 1
fi
exit 0
