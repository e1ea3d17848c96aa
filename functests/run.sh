#!/bin/bash
# functests/run.sh: Linux's own SCTP test suite on sctpudp.
#
# lksctp-tools' functional tests (src/func_tests: every v4 and v6 program
# its Makefile.am lists), from the upstream 1.0.21 release as Debian
# trixie ships it (source package lksctp-tools 1.0.21+dfsg-1; the
# .orig.tarball's SHA-256 is checked), built unmodified with its own build
# system, then run:
#
#   preload   the suite's own binaries (linked with its own libsctp) under
#             LD_PRELOAD=libsctpudp.so
#   relinked  the same sources compiled against our <netinet/sctp.h> and
#             linked with -lsctpudp instead of libsctp
#
# each with the default host stack (UDP 9899) and with SCTPUDP_UDP_PORT=0
# (a stack of the program's own). Every run is in a network namespace of
# its own (so 9899 is free) and is killed after 20 s: a hang fails in
# seconds. A program passes as in the suite's own v4test/v6test targets
# (exit status 0; a failed check prints BROK and crashes on purpose), and
# besides printed at least one PASS and no "skip".
#
#   bash functests/run.sh                 everything (4 modes)
#   FT_MODES="preload:9899" FT_TESTS="test_basic test_connect" bash functests/run.sh
#
# Prints one line per program and mode, then the table, then
# "N passed, M failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
work=$root/build/functests
mkdir -p "$work"
say() { echo "functests: $*" >&2; }

VERSION=1.0.21
DEBVER=1.0.21+dfsg-1
TARBALL=lksctp-tools_1.0.21+dfsg.orig.tar.xz
SHA256=eedbe00668bdf39eacdfff3ba663bfa817d23f55469f11f6ea3dc1eea7078c8a
LIB=$root/build/prefix/lib/libsctpudp.so
MODES=${FT_MODES:-preload:9899 preload:0 relinked:9899 relinked:0}
TIMEOUT=${FT_TIMEOUT:-20}

if [ "$(id -u)" != 0 ]; then
	echo "FAIL setup: needs root (network namespaces)"
	echo "0 passed, 1 failed"
	exit 1
fi

# ---- tools ----------------------------------------------------------------
need=
for p in autoconf automake libtool pkg-config dpkg-dev libsctp-dev iproute2 xz-utils make gcc; do
	dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
if [ -n "$need" ]; then
	say "installing:$need"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >"$work/apt.log" 2>&1 ||
		{ apt-get update -qq >>"$work/apt.log" 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >>"$work/apt.log" 2>&1; } ||
		say "apt-get install failed (see $work/apt.log)"
fi

# ---- the source -------------------------------------------------------------
src=$work/lksctp-tools-$VERSION
if [ ! -f "$work/$TARBALL" ] || ! echo "$SHA256  $work/$TARBALL" | sha256sum -c --quiet 2>/dev/null; then
	say "fetching lksctp-tools $DEBVER (Debian trixie source)"
	apt=$work/apt
	mkdir -p "$apt/lists/partial"
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" >"$apt/sources.list"
	o=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$apt/lists")
	apt-get "${o[@]}" update >"$work/fetch.log" 2>&1
	# The .dsc may be missing from the mirror; the upstream tarball is
	# what is needed (the func_tests are not patched by Debian).
	(cd "$work" && apt-get "${o[@]}" source --download-only "lksctp-tools=$DEBVER" >>"$work/fetch.log" 2>&1)
	[ -f "$work/$TARBALL" ] || { echo "FAIL setup: could not fetch $TARBALL (see $work/fetch.log)"; echo "0 passed, 1 failed"; exit 1; }
	echo "$SHA256  $work/$TARBALL" | sha256sum -c --quiet ||
		{ echo "FAIL setup: $TARBALL does not have SHA-256 $SHA256"; echo "0 passed, 1 failed"; exit 1; }
	rm -rf "$src"
fi
if [ ! -x "$src/src/func_tests/test_basic" ]; then
	say "building lksctp-tools $VERSION (unmodified)"
	rm -rf "$src"
	tar -C "$work" -xf "$work/$TARBALL"
	(cd "$src" && ./bootstrap && ./configure && make -j2) >"$work/build.log" 2>&1 ||
		{ echo "FAIL setup: lksctp-tools did not build (see $work/build.log)"; echo "0 passed, 1 failed"; exit 1; }
fi
ft=$src/src/func_tests

# The program lists, from the Makefile.am (automake conditionals as
# configure decided them).
v4=$(make -s -C "$ft" -f Makefile -f - print-v4 <<<'print-v4: ; @echo $(PASSING_KERN_TESTS)')
v6=$(make -s -C "$ft" -f Makefile -f - print-v6 <<<'print-v6: ; @echo $(PASSING_V6_KERN_TESTS)')
tests=${FT_TESTS:-$v4 $v6}

# ---- relinked: the same sources against our header and library -------------
[ -e "$LIB" ] || make -C "$root" stage >"$work/stage.log" 2>&1
rel=$work/relinked
mkdir -p "$rel"
inc=$root/build/prefix/include/sctpudp
libdir=$root/build/prefix/lib
case " $MODES " in *relinked*)
	for t in $tests; do
		base=${t%_v6}
		extra=
		[ "$base" != "$t" ] && extra="-DCONFIG_IPV6=1 -DTEST_V6=1"
		[ "$rel/$t" -nt "$LIB" ] && [ "$rel/$t" -nt "$ft/$base.c" ] && continue
		# shellcheck disable=SC2086
		cc -g -O2 -fno-strict-aliasing -Wall $extra -I"$inc" -I"$src/src/testlib" -I"$src" \
			-o "$rel/$t" "$ft/$base.c" "$src/src/testlib/sctputil.c" \
			-L"$libdir" -lsctpudp -Wl,-rpath,"$libdir" -lpthread >"$rel/$t.build.log" 2>&1 ||
			say "relinked $t did not build (see $rel/$t.build.log)"
	done
	;;
esac

# ---- running ------------------------------------------------------------------
# run_one MODE PORT TEST: one program in a namespace of its own; writes
# its output to LOG and prints "result checks" (result: PASS, FAIL, HANG).
run_one() {
	local mode=$1 port=$2 t=$3 log=$4
	local ns=sctpudp-ft$$-$RANDOM$RANDOM
	ip netns add "$ns" 2>/dev/null || { echo "FAIL 0/0 no-netns"; return; }
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add ::1/128 dev lo 2>/dev/null
	local envs=(SCTPUDP_IDLE_EXIT=1)
	[ "$port" = 0 ] && envs+=(SCTPUDP_UDP_PORT=0)
	local rc
	if [ "$mode" = preload ]; then
		(cd "$ft" && timeout -k 2 "$TIMEOUT" ip netns exec "$ns" env "${envs[@]}" LD_PRELOAD="$LIB" "./$t") >"$log" 2>&1
		rc=$?
	else
		(cd "$rel" && timeout -k 2 "$TIMEOUT" ip netns exec "$ns" env "${envs[@]}" "./$t") >"$log" 2>&1
		rc=$?
	fi
	# shellcheck disable=SC2046
	kill -9 $(ip netns pids "$ns") 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	local total pass brok skip
	total=$(grep -h -o 'TST_TOTAL *= *[0-9]*' "$ft/${t%_v6}.c" | head -1 | grep -o '[0-9]*$')
	pass=$(grep -c ' PASS : ' "$log")
	brok=$(grep -c ' BROK : \|DUMP_CORE' "$log")
	skip=$(grep -ci 'skip' "$log")
	local res=FAIL
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		res=HANG
	elif [ $rc = 0 ] && [ "$brok" = 0 ] && [ "$skip" = 0 ] && [ "$pass" -gt 0 ]; then
		res=PASS
	fi
	echo "$res $pass/${total:-?} rc=$rc"
}

# Programs known to fail, one per line with the reason (functests/
# known-failures): they count as XFAIL, and one that passes fails the run
# (XPASS) so the list only shrinks.
declare -A known
while read -r name _; do
	case $name in ''|'#'*) continue ;; esac
	known[$name]=1
done < <(cat "$here/known-failures" 2>/dev/null)

passed=0
failed=0
xfailed=0
declare -A table
for m in $MODES; do
	mode=${m%%:*}
	port=${m#*:}
	mkdir -p "$work/logs/$mode-$port"
	for t in $tests; do
		log=$work/logs/$mode-$port/$t.log
		r=$(run_one "$mode" "$port" "$t" "$log")
		table[$t/$m]=$r
		if [ -n "${known[$t]:-}" ]; then
			if [ "${r%% *}" = PASS ]; then
				failed=$((failed + 1))
				table[$t/$m]="XPASS ${r#* }"
				echo "FAIL $t [$m]: XPASS: passes but is listed in functests/known-failures"
			else
				xfailed=$((xfailed + 1))
				table[$t/$m]="XFAIL ${r#* }"
			fi
		elif [ "${r%% *}" = PASS ]; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
			echo "FAIL $t [$m]: $r: $(grep -h -m1 ' BROK : \|skip' "$log" | cut -c1-160) (log: $log)"
		fi
	done
done

echo
printf '| program |'
for m in $MODES; do printf ' %s |' "$m"; done
echo
printf '|---|'
for m in $MODES; do printf -- '---|'; done
echo
for t in $tests; do
	printf '| %s |' "$t"
	for m in $MODES; do
		r=${table[$t/$m]}
		printf ' %s %s |' "${r%% *}" "$(echo "$r" | awk '{ print $2 }')"
	done
	echo
done
echo
echo "$passed passed, $failed failed, $xfailed known failures (functests/known-failures)"
[ "$failed" = 0 ]
