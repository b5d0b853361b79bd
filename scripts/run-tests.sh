#!/bin/bash
# The test command: install dependencies, build from scratch with
# AddressSanitizer + UndefinedBehaviorSanitizer, run every test suite, build
# and install the packages, and print one summary line "N passed, N failed".
#
# Usage (as root on Debian 12):  ./scripts/run-tests.sh
# Environment: SKIP_DEPS=1 skips apt-get; BUILD_DIR (default ./build-tests);
#              SKIP_PACKAGES=1 skips the package build/install test;
#              SKIP_DISTCHECK=1 skips `make distcheck`.
set -uo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build-tests}
jobs=$(nproc 2>/dev/null || echo 2)

step() { printf '\n==== %s\n' "$*"; }

if [ "${SKIP_DEPS:-0}" != 1 ]; then
        step "installing dependencies"
        "$src/scripts/install-deps.sh" || { echo "dependency installation failed"; exit 1; }
fi

step "building with sanitizers in $build"
(cd "$src" && autoreconf -fi) || { echo "autoreconf failed"; exit 1; }
rm -rf "$build"
mkdir -p "$build"
cd "$build" || exit 1
"$src/configure" --enable-sanitizers --enable-werror >configure.log 2>&1 ||
        { cat configure.log; echo "configure failed"; exit 1; }
make -j"$jobs" >make.log 2>&1 || { tail -50 make.log; echo "build failed"; exit 1; }

step "running the test suites (make check)"
make -j"$jobs" check >check.log 2>&1
check_rc=$?
grep -E '^(PASS|FAIL|XPASS|ERROR|SKIP|XFAIL):' check.log

passed=0
failed=0
skipped=0
# Each test's log ends with Check's "NN%: Checks: N, Failures: F, Errors: E"
# or a plain "N passed, N failed" line; a test with neither counts as one
# test, judged by its exit status.
while IFS= read -r trs; do
        log=${trs%.trs}.log
        result=$(sed -n 's/^:test-result: //p' "$trs" | head -n1)
        name=${trs#./}
        name=${name%.trs}
        counted=0
        while IFS= read -r line; do
                if [[ $line =~ Checks:\ ([0-9]+),\ Failures:\ ([0-9]+),\ Errors:\ ([0-9]+) ]]; then
                        n=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} e=${BASH_REMATCH[3]}
                        passed=$((passed + n - f - e))
                        failed=$((failed + f + e))
                        counted=1
                elif [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]]; then
                        passed=$((passed + BASH_REMATCH[1]))
                        failed=$((failed + BASH_REMATCH[2]))
                        skipped=$((skipped + ${BASH_REMATCH[4]:-0}))
                        counted=1
                fi
        done < <(grep -aE 'Checks: [0-9]+, Failures|^[0-9]+ passed, [0-9]+ failed' "$log" 2>/dev/null)
        case $result in
        PASS) [ $counted = 1 ] || passed=$((passed + 1)) ;;
        SKIP) skipped=$((skipped + 1)) ;;
        *)
                # A failing test whose own counts show no failure (a crash,
                # a sanitizer report, a timeout) still counts as failed.
                failed=$((failed + 1))
                echo "---- $name ($result): last lines of $log"
                tail -n 40 "$log"
                ;;
        esac
done < <(find . -name '*.trs' | sort)

if [ "$check_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
        echo "make check failed outside any test:"
        tail -n 40 check.log
        failed=$((failed + 1))
fi

if [ "${SKIP_PACKAGES:-0}" != 1 ]; then
        step "building and installing the packages"
        if bash "$src/tests/test-packages.sh" >packages.log 2>&1; then :; fi
        tail -n 25 packages.log
        if line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' packages.log | tail -n1) && [ -n "$line" ]; then
                passed=$((passed + ${line%% *}))
                f=${line#*, }
                failed=$((failed + ${f%% *}))
        else
                echo "package test printed no summary"
                failed=$((failed + 1))
        fi
fi

if [ "${SKIP_DISTCHECK:-0}" != 1 ]; then
        step "make distcheck"
        if make -j"$jobs" distcheck >distcheck.log 2>&1; then
                echo "distcheck: passed"
                passed=$((passed + 1))
        else
                tail -n 40 distcheck.log
                # Name the failing tests of distcheck's own suite run and
                # show the end of their logs (CI shows only the end of
                # this output, so this comes last before the summary).
                for trs in $(grep -lE '^:test-result: (FAIL|ERROR)' \
                        $(find . -path '*/_build/*' -name '*.trs' 2>/dev/null) 2>/dev/null); do
                        echo "---- distcheck: ${trs%.trs} failed; last lines of its log"
                        grep -aE '^(not ok|# )' "${trs%.trs}.log" | tail -n 30
                        tail -n 15 "${trs%.trs}.log"
                done
                echo "distcheck: FAILED"
                failed=$((failed + 1))
        fi
fi

step "summary"
if [ "$skipped" -gt 0 ]; then
        echo "$passed passed, $failed failed, $skipped skipped"
else
        echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$skipped" -eq 0 ]
