# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# tests/testlib.sh -- the TAP-like reporting shared by the shell tests.
# Source it; it defines:
#   ok DESC / nok DESC      count and print "ok - DESC" / "not ok - DESC"
#   check DESC CMD...       ok if CMD succeeds, nok otherwise
#   finish                  print "N passed, N failed" (the line the test
#                           command sums) and exit 1 on any failure
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
nok() { fail=$((fail + 1)); echo "not ok - $*"; }
check() { # check DESCRIPTION COMMAND...
        local d=$1
        shift
        if "$@"; then ok "$d"; else nok "$d"; fi
}
finish() {
        echo "$pass passed, $fail failed"
        [ "$fail" = 0 ] || exit 1
        exit 0
}
