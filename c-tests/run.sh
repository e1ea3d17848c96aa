#!/bin/sh
# run.sh [BUILD_DIR]: build and run the sctpudp C acceptance tests.
#
# Each c-tests/t_*.c is compiled with common.c against the installed
# sctpudp (pkg-config --cflags/--libs sctpudp) or, when pkg-config does not
# know sctpudp, with $SCTPUDP_CFLAGS and $SCTPUDP_LIBS, into BUILD_DIR
# (default ./build/c-tests).  Each test runs under `timeout 120` and its
# output goes to BUILD_DIR/<test>.log.  One line is printed per test, then
# exactly one summary line "N passed, M failed"; the exit status is
# non-zero if any test failed (or none matched the filter).
#
# Environment:
#   SCTPUDP_TEST_FILTER   run only tests whose name contains this substring
#   SCTPUDP_TEST_VERBOSE  1: print each failing test's log to stderr
#   SCTPUDP_TEST_TIMEOUT  seconds per test (default 120)
#   SCTPUDP_TEST_SKIP     names of tests not to run (space-separated)
#   SCTPUDP_TEST_WRAP     a command each test runs under (valgrind ...)
#   CC                    compiler (default cc; may carry flags, e.g.
#                         "cc -fsanitize=address,undefined")
#   SCTPUDP_LOG etc.      passed through to the tests
set -u

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-./build/c-tests}
filter=${SCTPUDP_TEST_FILTER:-}
tmo=${SCTPUDP_TEST_TIMEOUT:-120}
cc=${CC:-cc}
mkdir -p "$build" || exit 2
build=$(cd "$build" && pwd)

if pkg-config --exists sctpudp 2>/dev/null; then
	cflags=$(pkg-config --cflags sctpudp)
	libs=$(pkg-config --libs sctpudp)
else
	cflags=${SCTPUDP_CFLAGS:-}
	libs=${SCTPUDP_LIBS:-}
	echo "run.sh: pkg-config does not know sctpudp; using SCTPUDP_CFLAGS='$cflags' SCTPUDP_LIBS='$libs'" >&2
fi

passed=0
failed=0
for src in "$here"/t_*.c; do
	name=$(basename "$src" .c)
	case "$name" in *"$filter"*) ;; *) continue ;; esac
	case " ${SCTPUDP_TEST_SKIP:-} " in *" $name "*) continue ;; esac
	bin="$build/$name"
	log="$build/$name.log"

	# shellcheck disable=SC2086 # flags are word lists
	if ! $cc -Wall -Wextra -Werror -O1 $cflags -o "$bin" "$src" "$here/common.c" $libs >"$log" 2>&1; then
		echo "FAIL $name: build failed (log: $log)"
		failed=$((failed + 1))
		[ "${SCTPUDP_TEST_VERBOSE:-}" = 1 ] && sed 's/^/    /' "$log" >&2
		continue
	fi

	start=$(date +%s)
	# shellcheck disable=SC2086 # a command and its arguments
	timeout -k 5 "$tmo" ${SCTPUDP_TEST_WRAP:-} "$bin" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	if [ $rc -eq 0 ] && grep -q "^PASS $name\$" "$log"; then
		echo "PASS $name (${secs}s)"
		passed=$((passed + 1))
		continue
	fi
	# The first FAIL line is the root cause (a child's failure comes first).
	reason=$(grep -m1 "^FAIL " "$log" | sed "s/^FAIL $name: //")
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		reason="killed by timeout $tmo${reason:+; $reason}"
	elif [ -z "$reason" ]; then
		reason="exit status $rc without a FAIL line"
	fi
	echo "FAIL $name: $reason (log: $log)"
	failed=$((failed + 1))
	[ "${SCTPUDP_TEST_VERBOSE:-}" = 1 ] && sed 's/^/    /' "$log" >&2
done

echo "$passed passed, $failed failed"
if [ $((passed + failed)) -eq 0 ]; then
	echo "run.sh: no test matches SCTPUDP_TEST_FILTER='$filter'" >&2
	exit 1
fi
[ $failed -eq 0 ]
