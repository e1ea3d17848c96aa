#!/bin/sh
# scripts/sanitize.sh (make test-sanitize): the C tests and the LD_PRELOAD
# C programs built with AddressSanitizer and UndefinedBehaviorSanitizer,
# then the quick C tests once under valgrind's memcheck (no errors, no
# definite leaks). The library itself is Rust; this checks the C side of
# the boundary: what our headers, structs and calls make C programs do.
#
# Left out, and why:
#  * t_fault under the sanitizers: it checks that a program's SIGSEGV
#    behaves as without the library, and ASan's own SIGSEGV handler
#    (which the library's chains to) reports and exits instead.
#  * leak detection under ASan: the tests exit with their sockets open,
#    as programs do; valgrind checks definite leaks instead.
#  * under valgrind: t_badinput and t_fault, whose bad pointers valgrind
#    reports as the invalid accesses they are (the library turns them
#    into EFAULT); the copies stay the guarded ones, since valgrind does
#    not see process_vm_writev to our own process define the bytes it
#    writes (SCTPUDP_FAULT_HANDLER=0 makes every output "uninitialised");
#    and the tests that measure throughput or wait on timers for long
#    (t_relay, t_restart, t_shutdown_linger, t_autoclose_maxseg,
#    t_reconf, t_flood), too slow there.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
# As make sets them (the staged library), when run by hand.
export PKG_CONFIG_PATH="$build/prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$build/prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g"
export ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

echo "== C tests, ASan + UBSan"
# (t_flood for 2 s a phase: its point here is the code paths, not the load.)
CC="cc $san" SCTPUDP_TEST_SKIP="t_fault t_relay" SCTPUDP_TEST_TIMEOUT=300 SCTPUDP_FLOOD_SECS=2 \
	sh "$root/c-tests/run.sh" "$build/c-tests-asan"

echo "== LD_PRELOAD C programs, ASan + UBSan"
PT_ONLY_C=1 PT_CFLAGS="$san" bash "$root/preload-tests/run.sh"

echo "== C tests under valgrind memcheck"
SCTPUDP_TEST_WRAP="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --trace-children=no" \
	SCTPUDP_TEST_SKIP="t_relay t_restart t_shutdown_linger t_autoclose_maxseg t_reconf t_fault t_badinput t_flood" \
	SCTPUDP_TEST_TIMEOUT=300 sh "$root/c-tests/run.sh" "$build/c-tests-valgrind"
