#!/usr/bin/env bash
# run.sh: interoperability tests between sctpudp and usrsctp (Debian's
# libusrsctp), SCTP over UDP (RFC 6951) on loopback, both directions, every
# packet checked by Wireshark's dissector.
#
#   interop/run.sh            (as root: installs missing Debian packages)
#
# Steps:
#   1. installs libusrsctp-dev, libusrsctp-examples and tshark with apt-get
#      if any is missing (non-interactive; wireshark-common's setuid
#      question preseeded to false);
#   2. builds sctpudp (`make -C .. stage`, skipped with
#      SCTPUDP_INTEROP_NO_STAGE=1), copies the staged library to
#      interop/build/lib (so a concurrent re-stage cannot swap it mid-run),
#      and builds the peers into interop/build: usrpeer (peer.c on usrsctp),
#      sudpeer (peer.c on sctpudp), udputil (free ports, the relay), and
#      sctpudp's examples-c programs;
#   3. runs every case in both directions, each on its own free UDP ports,
#      under a capture (capture.sh); a case passes when every program in it
#      succeeded and the capture check found no malformed packet, no expert
#      info of warning severity or above, no unverified or bad CRC32c, and
#      none of capture.sh's protocol checks failed; each case also checks
#      its own chunks on the wire (e.g. a SHUTDOWN COMPLETE ends every
#      graceful case, both sides fragment in the sizes case);
#   4. prints one line per case, "PASS|FAIL <peer> <direction> <case>" (a
#      failure's reasons follow on indented lines), writes interop/matrix.md
#      (interop/build/matrix.md for a filtered run), and ends with exactly
#      one line "N passed, M failed" (exit status 1 if any case failed).
#
# Directions: "sctpudp->usrsctp" is an sctpudp client against a usrsctp
# server, "usrsctp->sctpudp" the reverse.  Cases (function case_*):
#   setup-shutdown           association setup, graceful shutdown
#   abort                    an ABORT with a user cause, seen by the server
#   streams-10-ordered-unordered  10 streams, ordered and unordered
#   sizes-1B-256KiB          1 byte ... 256 KiB, fragmented both ways
#   echo-1000                1,000 messages echoed intact
#   assocs-50-one-to-many    50 associations at once to one one-to-many socket
#   peer-restart             client killed, a new one on the same ports
#   relay-port-learning      client behind a source-port-rewriting relay
#                            that rebinds midway (RFC 6951 5.4)
#   bulk-tsctp-100x64KiB     usrsctp's tsctp as client or server
#   idle-3s-path-verification  3 s idle while addresses are verified
#   accept-60-in-a-row       60 associations in turn to an accept()ing server
# Our usrsctp peer (usrpeer) binds 127.0.0.1 except in the idle case: bound
# to the wildcard, usrsctp lists every local address of the host in its
# INIT / INIT ACK, and what sctpudp does with those (NOTES.md section 1)
# would otherwise fail every case that outlasts an RTO; the idle case
# tests exactly that.  usrsctp's example programs bind the wildcard.
# Programs per case are listed in matrix.md: usrsctp's own example programs
# (/usr/lib/usrsctp: echo_server, discard_server, client, tsctp) and
# sctpudp's examples-c where they can express the case, our peers (peer.c)
# elsewhere.
#
# Environment:
#   SCTPUDP_INTEROP_FILTER   run only cases whose "<peer> <direction> <case>"
#                            contains this substring
#   SCTPUDP_INTEROP_TIMEOUT  seconds each program may run (default 15)
#   SCTPUDP_INTEROP_NO_STAGE 1: use the already staged build/prefix
#   SCTPUDP_INTEROP_VERBOSE  1: print the logs of failing cases
# Logs and captures of each case: interop/build/cases/<case-id>/.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=$here/build
filter=${SCTPUDP_INTEROP_FILTER:-}
tmo=${SCTPUDP_INTEROP_TIMEOUT:-15}
stage=$root/build/prefix
usrbin=/usr/lib/usrsctp
t_start=$(date +%s)

# shellcheck source=capture.sh
. "$here/capture.sh"

say() { echo "run.sh: $*" >&2; }

# ---------------------------------------------------------------- 1. deps
need_pkgs() {
	local p missing=""
	for p in libusrsctp-dev libusrsctp-examples tshark; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	echo "$missing"
}
missing=$(need_pkgs)
if [ -n "$missing" ]; then
	say "installing$missing"
	if [ "$(id -u)" != 0 ]; then
		say "not root: cannot install$missing"
		echo "0 passed, 1 failed"
		exit 1
	fi
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	# shellcheck disable=SC2086
	if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; } \
		>"${TMPDIR:-/tmp}/interop-apt.log" 2>&1; then
		tail -20 "${TMPDIR:-/tmp}/interop-apt.log" >&2
		say "apt-get failed"
		echo "0 passed, 1 failed"
		exit 1
	fi
fi
for p in dumpcap tshark; do
	command -v $p >/dev/null || { say "$p not found"; echo "0 passed, 1 failed"; exit 1; }
done
if [ ! -x "$usrbin/echo_server" ]; then
	usrbin=$(dirname "$(dpkg -L libusrsctp-examples | grep '/echo_server$' | head -1)")
fi

# --------------------------------------------------------------- 2. build
mkdir -p "$build/lib" "$build/cases"
if [ "${SCTPUDP_INTEROP_NO_STAGE:-}" != 1 ]; then
	# another engineer may be staging at the same moment: retry once
	if ! make -s -C "$root" stage >"$build/stage.log" 2>&1; then
		sleep 3
		if ! make -s -C "$root" stage >"$build/stage.log" 2>&1; then
			tail -20 "$build/stage.log" >&2
			say "make stage failed (log: $build/stage.log)"
			echo "0 passed, 1 failed"
			exit 1
		fi
	fi
fi
export PKG_CONFIG_PATH=$stage/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
if ! pkg-config --exists sctpudp; then
	say "pkg-config does not find sctpudp under $stage"
	echo "0 passed, 1 failed"
	exit 1
fi
rm -f "$build"/lib/libsctpudp.so*
cp -P "$stage"/lib/libsctpudp.so* "$build/lib/"
cc=${CC:-cc}
cflags="-O1 -g -Wall -Wextra"
sud_cflags=$(pkg-config --cflags sctpudp)
sud_libs="-L$build/lib -lsctpudp -Wl,-rpath,$build/lib"
build_ok=1
b() { # b OUTPUT COMMAND...
	local out=$1
	shift
	if ! "$@" >"$build/$out.build.log" 2>&1; then
		say "building $out failed:"
		sed 's/^/    /' "$build/$out.build.log" >&2
		build_ok=0
	fi
}
b udputil $cc $cflags -o "$build/udputil" "$here/udputil.c"
b usrpeer $cc $cflags -o "$build/usrpeer" "$here/peer.c" "$here/stack_usrsctp.c" -lusrsctp -lpthread
# shellcheck disable=SC2086
b sudpeer $cc $cflags $sud_cflags -o "$build/sudpeer" "$here/peer.c" "$here/stack_sctpudp.c" $sud_libs
for p in echo_server echo_client multi_server; do
	# shellcheck disable=SC2086
	b "ex_$p" $cc $cflags $sud_cflags -o "$build/ex_$p" "$root/examples-c/$p.c" $sud_libs
done
if [ $build_ok != 1 ]; then
	echo "0 passed, 1 failed"
	exit 1
fi
if ! capture_selftest >"$build/capture-selftest.log" 2>&1; then
	cat "$build/capture-selftest.log" >&2
	say "the capture check does not work with this Wireshark"
	echo "0 passed, 1 failed"
	exit 1
fi
usr_version=$(dpkg-query -W -f='${Version}' libusrsctp2 2>/dev/null || echo "?")
sud_version=$(pkg-config --modversion sctpudp)

# ------------------------------------------------------------ 3. helpers
: >"$build/times.tsv"
passed=0
failed=0
rows=()
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for d in "$build"/cases/*/; do
		[ -f "$d/dumpcap.pid" ] && capture_stop "$d"
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# UDP port bound (IPv4 or IPv6) according to /proc
udp_bound() {
	local hex
	hex=$(printf ':%04X ' "$1")
	grep -q "$hex" /proc/net/udp /proc/net/udp6 2>/dev/null
}

# wait_ready LOG PATTERN PORT: until LOG matches PATTERN (or, with an empty
# pattern, UDP PORT is bound and a moment has passed); 5 s at most
wait_ready() {
	local log=$1 pat=$2 port=$3 i
	for i in $(seq 100); do
		if [ -n "$pat" ]; then
			grep -q "$pat" "$log" 2>/dev/null && return 0
		elif udp_bound "$port"; then
			sleep 0.3
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# bg NAME CMD...: start a program in the case directory, output to NAME.log;
# its pid in $last_pid
bg() {
	local name=$1
	shift
	timeout -k 2 $((tmo + 10)) "$@" >"$cdir/$name.log" 2>&1 </dev/null &
	last_pid=$!
	pids+=("$last_pid")
}

# bg_direct NAME CMD...: the same without timeout(1) in between, so that
# $last_pid is the program itself (to be killed with SIGKILL); the program
# must bound its own run time
bg_direct() {
	local name=$1
	shift
	"$@" >"$cdir/$name.log" 2>&1 </dev/null &
	last_pid=$!
	pids+=("$last_pid")
}

# fg NAME CMD...: run a program to completion (bounded), output to NAME.log
fg() {
	local name=$1
	shift
	# a little longer than the peers' own -t, so that they report first
	timeout -k 2 $((tmo + 3)) "$@" >"$cdir/$name.log" 2>&1 </dev/null
}

# wait_exit PID SECONDS: wait for a background program; its status in $?
wait_exit() {
	local pid=$1 secs=$2 i
	for i in $(seq $((secs * 20))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid"
}

stop() { # stop PID: end a server that runs until killed
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

reasons=()
why() { reasons+=("$*"); }

nosockopt_note() {
	if grep -qs "ENOPROTOOPT\|Protocol not available" "$cdir"/*.log; then
		why "note: sctpudp answered ENOPROTOOPT to a socket option (not implemented yet)"
	fi
}

# ------------------------------------------------------------- the cases
# Each case_* function runs one case in one direction.  $dir is
# "sctpudp->usrsctp" or "usrsctp->sctpudp"; it picks free UDP ports, starts
# the capture on them with begin() before any program runs, appends
# failure reasons with why(), and records the programs used in $progs and
# extra capture checks (capture.sh check options) in $cap_args.

begin() { # begin PORT...: start the capture of this case
	capture_start "$cdir" "$@" || why "capture did not start"
}

client_ok() { # client_ok STATUS LOG WHAT
	if [ "$1" != 0 ]; then
		why "$3 exited with status $1: $(grep -m1 -E 'FAIL|rror|echo_client:|usage' "$2" || tail -1 "$2")"
		return 1
	fi
}

case_setup() {
	local S C spid rc
	read -r S C < <("$build/udputil" freeports 2 | xargs)
	begin "$S" "$C"
	cap_args=(--expect "sctp.chunk_type == 7" --expect "sctp.chunk_type == 8"
		--expect "sctp.chunk_type == 14")
	if [ "$dir" = "sctpudp->usrsctp" ]; then
		progs="usrsctp discard_server / sudpeer setup"
		bg server "$usrbin/discard_server" "$S" "$C"
		spid=$last_pid
		wait_ready "" "" "$S" || why "server did not start"
		fg client env SCTPUDP_UDP_PORT="$C" SCTPUDP_REMOTE_UDP_PORT="$S" "$build/sudpeer" client -c setup -p 9 -t "$tmo"
		client_ok $? "$cdir/client.log" "sudpeer client"
		stop "$spid"
	else
		progs="examples-c echo_server / usrsctp client"
		bg server env SCTPUDP_UDP_PORT="$S" SCTPUDP_REMOTE_UDP_PORT="$C" "$build/ex_echo_server" 127.0.0.1 5000 1
		spid=$last_pid
		wait_ready "$cdir/server.log" "listening" "$S" || why "server did not start: $(tail -1 "$cdir/server.log")"
		echo "interop hello from usrsctp" >"$cdir/client.in"
		# The client shuts down at the end of its input, and SCTP has no
		# half-close: keep the input open until the echo is back (a peer
		# that SACKs the first DATA at once, as Linux and sctpudp do, would
		# otherwise see the SHUTDOWN before it could answer).
		{ cat "$cdir/client.in"; sleep 1; } | timeout -k 2 "$tmo" "$usrbin/client" 127.0.0.1 5000 0 "$C" "$S" \
			>"$cdir/client.log" 2>&1
		rc=${PIPESTATUS[1]}
		[ $rc = 0 ] || why "usrsctp client exited with status $rc"
		grep -q "interop hello from usrsctp" "$cdir/client.log" ||
			why "usrsctp client did not receive its echo"
		wait_exit "$spid" 5
		rc=$?
		[ $rc = 0 ] || why "examples-c echo_server exited with status $rc: $(tail -1 "$cdir/server.log")"
	fi
}

case_abort() {
	local S C spid rc
	read -r S C < <("$build/udputil" freeports 2 | xargs)
	begin "$S" "$C"
	cap_args=(--expect "sctp.chunk_type == 6" --expect "sctp.cause_code == 12")
	if [ "$dir" = "sctpudp->usrsctp" ]; then
		progs="usrpeer server (one-to-one) / sudpeer abort (one-to-many)"
		bg server "$build/usrpeer" server -b 127.0.0.1 -1 -n 1 -e abort -u "$S" -r "$C" -p 5000 -t "$tmo"
		spid=$last_pid
		wait_ready "$cdir/server.log" READY "$S" || why "server did not start"
		fg client env SCTPUDP_UDP_PORT="$C" SCTPUDP_REMOTE_UDP_PORT="$S" "$build/sudpeer" client -c abort -p 5000 -t "$tmo"
		client_ok $? "$cdir/client.log" "sudpeer client"
	else
		progs="sudpeer server (one-to-one) / usrpeer abort (one-to-many)"
		bg server env SCTPUDP_UDP_PORT="$S" SCTPUDP_REMOTE_UDP_PORT="$C" "$build/sudpeer" server -1 -n 1 -e abort -p 5000 -t "$tmo"
		spid=$last_pid
		wait_ready "$cdir/server.log" READY "$S" || why "server did not start: $(tail -1 "$cdir/server.log")"
		fg client "$build/usrpeer" client -b 127.0.0.1 -c abort -u "$C" -r "$S" -p 5000 -t "$tmo"
		client_ok $? "$cdir/client.log" "usrpeer client"
	fi
	wait_exit "$spid" 5
	rc=$?
	[ $rc = 0 ] || why "server did not see the ABORT (status $rc): $(grep -m1 FAIL "$cdir/server.log" || tail -1 "$cdir/server.log")"
}

case_streams() {
	local S C spid rc
	read -r S C < <("$build/udputil" freeports 2 | xargs)
	begin "$S" "$C"
	cap_args=(--expect "sctp.data_u_bit == 1 && udp.srcport == $C"
		--expect "sctp.data_u_bit == 1 && udp.srcport == $S"
		--expect "sctp.data_sid == 9 && udp.srcport == $C"
		--expect "sctp.data_sid == 9 && udp.srcport == $S"
		--expect "sctp.chunk_type == 14")
	if [ "$dir" = "sctpudp->usrsctp" ]; then
		progs="usrsctp echo_server / sudpeer streams"
		bg server "$usrbin/echo_server" "$S" "$C"
		spid=$last_pid
		wait_ready "" "" "$S" || why "server did not start"
		fg client env SCTPUDP_UDP_PORT="$C" SCTPUDP_REMOTE_UDP_PORT="$S" "$build/sudpeer" client -c streams -s 10 -p 7 -t "$tmo"
		client_ok $? "$cdir/client.log" "sudpeer client"
		stop "$spid"
	else
		progs="sudpeer server (one-to-many) / usrpeer streams"
		bg server env SCTPUDP_UDP_PORT="$S" SCTPUDP_REMOTE_UDP_PORT="$C" "$build/sudpeer" server -n 1 -s 10 -p 5000 -t "$tmo"
		spid=$last_pid
		wait_ready "$cdir/server.log" READY "$S" || why "server did not start: $(tail -1 "$cdir/server.log")"
		fg client "$build/usrpeer" client -b 127.0.0.1 -c streams -s 10 -u "$C" -r "$S" -p 5000 -t "$tmo"
		client_ok $? "$cdir/client.log" "usrpeer client"
		wait_exit "$spid" 5
		rc=$?
		[ $rc = 0 ] || why "sudpeer server status $rc: $(grep -m1 FAIL "$cdir/server.log" || tail -1 "$cdir/server.log")"
	fi
}

case_sizes() {
	local S C spid rc
	read -r S C < <("$build/udputil" freeports 2 | xargs)
	begin "$S" "$C"
	# both sides fragment (B bit without E bit) and the largest message
	# needs 180+ DATA chunks each way
	cap_args=(--expect "sctp.data_b_bit == 1 && sctp.data_e_bit == 0 && udp.srcport == $C"
		--expect "sctp.data_b_bit == 1 && sctp.data_e_bit == 0 && udp.srcport == $S"
		--expect "sctp.chunk_type == 14")
	if [ "$dir" = "sctpudp->usrsctp" ]; then
		progs="usrpeer server (one-to-one) / sudpeer sizes"
		bg server "$build/usrpeer" server -b 127.0.0.1 -1 -n 1 -u "$S" -r "$C" -p 5000 -t "$tmo"
		spid=$last_pid
		wait_ready "$cdir/server.log" READY "$S" || why "server did not start"
		# 256 KiB messages need SO_SNDBUF above them (EMSGSIZE otherwise, as on Linux)
		fg client env SCTPUDP_UDP_PORT="$C" SCTPUDP_REMOTE_UDP_PORT="$S" "$build/sudpeer" client -c sizes -B 262144 -p 5000 -t "$tmo"
		client_ok $? "$cdir/client.log" "sudpeer client"
		wait_exit "$spid" 5
		rc=$?
		[ $rc = 0 ] || why "usrpeer server status $rc: $(grep -m1 FAIL "$cdir/server.log" || tail -1 "$cdir/server.log")"
	else
		progs="examples-c echo_server / usrpeer sizes"
		bg server env SCTPUDP_UDP_PORT="$S" SCTPUDP_REMOTE_UDP_PORT="$C" "$build/ex_echo_server" 127.0.0.1 5000 1
		spid=$last_pid
		wait_ready "$cdir/server.log" "listening" "$S" || why "server did not start: $(tail -1 "$cdir/server.log")"
		fg client "$build/usrpeer" client -b 127.0.0.1 -c sizes -u "$C" -r "$S" -p 5000 -t "$tmo"
		client_ok $? "$cdir/client.log" "usrpeer client"
		wait_exit "$spid" 5
		rc=$?
		[ $rc = 0 ] || why "examples-c echo_server status $rc: $(tail -1 "$cdir/server.log")"
	fi
}

case_echo() {
	local S C spid rc
	read -r S C < <("$build/udputil" freeports 2 | xargs)
	begin "$S" "$C"
	cap_args=(--expect "sctp.chunk_type == 0 && udp.srcport == $C"
		--expect "sctp.chunk_type == 0 && udp.srcport == $S"
		--expect "sctp.chunk_type == 14")
	if [ "$dir" = "sctpudp->usrsctp" ]; then
		progs="usrsctp echo_server / examples-c echo_client"
		bg server "$usrbin/echo_server" "$S" "$C"
		spid=$last_pid
		wait_ready "" "" "$S" || why "server did not start"
		fg client env SCTPUDP_UDP_PORT="$C" SCTPUDP_REMOTE_UDP_PORT="$S" "$build/ex_echo_client" 127.0.0.1 7 1000 1000
		client_ok $? "$cdir/client.log" "examples-c echo_client"
		stop "$spid"
	else
		progs="examples-c echo_server / usrpeer echo"
		bg server env SCTPUDP_UDP_PORT="$S" SCTPUDP_REMOTE_UDP_PORT="$C" "$build/ex_echo_server" 127.0.0.1 5000 1
		spid=$last_pid
		wait_ready "$cdir/server.log" "listening" "$S" || why "server did not start: $(tail -1 "$cdir/server.log")"
		fg client "$build/usrpeer" client -b 127.0.0.1 -c echo -n 1000 -u "$C" -r "$S" -p 5000 -t "$tmo"
		client_ok $? "$cdir/client.log" "usrpeer client"
		wait_exit "$spid" 5
		rc=$?
		[ $rc = 0 ] || why "examples-c echo_server status $rc: $(tail -1 "$cdir/server.log")"
	fi
}

case_many() {
	local S C spid rc
	read -r S C < <("$build/udputil" freeports 2 | xargs)
	begin "$S" "$C"
	cap_args=(--expect-count 50 "sctp.chunk_type == 1" --expect-count 50 "sctp.chunk_type == 14")
	if [ "$dir" = "sctpudp->usrsctp" ]; then
		progs="usrsctp echo_server (one-to-many) / sudpeer many"
		bg server "$usrbin/echo_server" "$S" "$C"
		spid=$last_pid
		wait_ready "" "" "$S" || why "server did not start"
		fg client env SCTPUDP_UDP_PORT="$C" SCTPUDP_REMOTE_UDP_PORT="$S" "$build/sudpeer" client -c many -k 50 -p 7 -t "$tmo"
		client_ok $? "$cdir/client.log" "sudpeer client"
		stop "$spid"
	else
		progs="examples-c multi_server / usrpeer many"
		bg server env SCTPUDP_UDP_PORT="$S" SCTPUDP_REMOTE_UDP_PORT="$C" "$build/ex_multi_server" 127.0.0.1 5000 10 50
		spid=$last_pid
		wait_ready "$cdir/server.log" "listening" "$S" || why "server did not start: $(tail -1 "$cdir/server.log")"
		fg client "$build/usrpeer" client -b 127.0.0.1 -c many -k 50 -u "$C" -r "$S" -p 5000 -t "$tmo"
		client_ok $? "$cdir/client.log" "usrpeer client"
		wait_exit "$spid" 5
		rc=$?
		[ $rc = 0 ] || why "multi_server did not see 50 associations end (status $rc): $(tail -1 "$cdir/server.log")"
		[ "$(grep -c ' up, ' "$cdir/server.log")" -ge 50 ] ||
			why "multi_server reported $(grep -c ' up, ' "$cdir/server.log") associations up, not 50"
	fi
}

case_restart() {
	local S C LP spid hpid rc
	read -r S C LP < <("$build/udputil" freeports 3 | xargs)
	begin "$S" "$C"
	# two INITs from the same SCTP port, the second answered
	cap_args=(--expect-count 2 "sctp.chunk_type == 1 && sctp.srcport == $LP"
		--expect-count 2 "sctp.chunk_type == 11 && sctp.dstport == $LP"
		--expect "sctp.chunk_type == 14")
	if [ "$dir" = "sctpudp->usrsctp" ]; then
		progs="usrsctp echo_server / sudpeer hold, kill -9, sudpeer echo (same ports)"
		bg server "$usrbin/echo_server" "$S" "$C"
		spid=$last_pid
		wait_ready "" "" "$S" || why "server did not start"
		bg_direct hold env SCTPUDP_UDP_PORT="$C" SCTPUDP_REMOTE_UDP_PORT="$S" "$build/sudpeer" client -c hold -l "$LP" -p 7 -t "$tmo"
	else
		progs="examples-c multi_server / usrpeer hold, kill -9, usrpeer echo (same ports)"
		bg server env SCTPUDP_UDP_PORT="$S" SCTPUDP_REMOTE_UDP_PORT="$C" "$build/ex_multi_server" 127.0.0.1 5000 10 1
		spid=$last_pid
		wait_ready "$cdir/server.log" "listening" "$S" || why "server did not start: $(tail -1 "$cdir/server.log")"
		bg_direct hold "$build/usrpeer" client -b 127.0.0.1 -c hold -l "$LP" -u "$C" -r "$S" -p 5000 -t "$tmo"
	fi
	hpid=$last_pid
	wait_ready "$cdir/hold.log" HOLDING "$C" || why "first client did not get its echoes: $(tail -1 "$cdir/hold.log")"
	kill -KILL "$hpid" 2>/dev/null
	wait "$hpid" 2>/dev/null
	if [ "$dir" = "sctpudp->usrsctp" ]; then
		fg client env SCTPUDP_UDP_PORT="$C" SCTPUDP_REMOTE_UDP_PORT="$S" "$build/sudpeer" client -c echo -n 20 -l "$LP" -p 7 -t "$tmo"
		client_ok $? "$cdir/client.log" "restarted sudpeer client"
		stop "$spid"
	else
		fg client "$build/usrpeer" client -b 127.0.0.1 -c echo -n 20 -l "$LP" -u "$C" -r "$S" -p 5000 -t "$tmo"
		client_ok $? "$cdir/client.log" "restarted usrpeer client"
		wait_exit "$spid" 5
		rc=$?
		[ $rc = 0 ] || why "multi_server status $rc: $(tail -1 "$cdir/server.log")"
		grep -q "restarted" "$cdir/server.log" ||
			why "multi_server saw no SCTP_RESTART notification"
	fi
}

case_relay() {
	local S C R X1 X2 D spid rpid rc
	read -r S C R X1 X2 D < <("$build/udputil" freeports 6 | xargs)
	begin "$S" "$C" "$R" "$X1" "$X2" "$D"
	# the server must never use its configured (dead) remote port
	# (each packet crosses the capture twice: client<->relay, relay<->server)
	cap_args=(--forbid "udp.dstport == $D" --expect "udp.dstport == $X2 && udp.srcport == $S"
		--expect-count 2 "sctp.chunk_type == 14")
	bg relay "$build/udputil" relay "$R" "$S" "$X1" "$X2" 300
	rpid=$last_pid
	wait_ready "$cdir/relay.log" READY "$R" || why "relay did not start"
	if [ "$dir" = "sctpudp->usrsctp" ]; then
		progs="usrsctp echo_server (remote port: dead) / relay / sudpeer echo"
		bg server "$usrbin/echo_server" "$S" "$D"
		spid=$last_pid
		wait_ready "" "" "$S" || why "server did not start"
		fg client env SCTPUDP_UDP_PORT="$C" SCTPUDP_REMOTE_UDP_PORT="$R" "$build/sudpeer" client -c echo -n 1000 -p 7 -t "$tmo"
		client_ok $? "$cdir/client.log" "sudpeer client"
		stop "$spid"
	else
		progs="examples-c echo_server (remote port: dead) / relay / usrpeer echo"
		bg server env SCTPUDP_UDP_PORT="$S" SCTPUDP_REMOTE_UDP_PORT="$D" "$build/ex_echo_server" 127.0.0.1 5000 1
		spid=$last_pid
		wait_ready "$cdir/server.log" "listening" "$S" || why "server did not start: $(tail -1 "$cdir/server.log")"
		fg client "$build/usrpeer" client -b 127.0.0.1 -c echo -n 1000 -u "$C" -r "$R" -p 5000 -t "$tmo"
		client_ok $? "$cdir/client.log" "usrpeer client"
		wait_exit "$spid" 5
		rc=$?
		[ $rc = 0 ] || why "examples-c echo_server status $rc: $(tail -1 "$cdir/server.log")"
	fi
	stop "$rpid"
	if ! grep -q "rebound=1" "$cdir/relay.log"; then
		why "relay never rebound (too little traffic): $(tail -1 "$cdir/relay.log")"
	elif grep -q "s2c_out2=0 " "$cdir/relay.log"; then
		why "server never answered to the relay's new port: $(tail -1 "$cdir/relay.log")"
	fi
}

case_idle() {
	local S C spid rc
	read -r S C < <("$build/udputil" freeports 2 | xargs)
	begin "$S" "$C"
	# usrsctp lists every local address in its INIT / INIT ACK (here also
	# the host's non-loopback ones): the other side verifies them with
	# HEARTBEATs within about an RTO; the association must survive that.
	cap_args=(--forbid "sctp.chunk_type == 6" --expect "sctp.chunk_type == 14")
	if [ "$dir" = "sctpudp->usrsctp" ]; then
		progs="usrpeer server (wildcard-bound) / sudpeer idle (3 s)"
		bg server "$build/usrpeer" server -1 -n 1 -u "$S" -r "$C" -p 5000 -t "$tmo"
		spid=$last_pid
		wait_ready "$cdir/server.log" READY "$S" || why "server did not start"
		fg client env SCTPUDP_UDP_PORT="$C" SCTPUDP_REMOTE_UDP_PORT="$S" "$build/sudpeer" client -c idle -i 3 -p 5000 -t "$tmo"
		client_ok $? "$cdir/client.log" "sudpeer client"
	else
		progs="sudpeer server / usrpeer idle (3 s, wildcard-bound)"
		bg server env SCTPUDP_UDP_PORT="$S" SCTPUDP_REMOTE_UDP_PORT="$C" "$build/sudpeer" server -1 -n 1 -p 5000 -t "$tmo"
		spid=$last_pid
		wait_ready "$cdir/server.log" READY "$S" || why "server did not start: $(tail -1 "$cdir/server.log")"
		fg client "$build/usrpeer" client -c idle -i 3 -u "$C" -r "$S" -p 5000 -t "$tmo"
		client_ok $? "$cdir/client.log" "usrpeer client"
	fi
	wait_exit "$spid" 5
	rc=$?
	[ $rc = 0 ] || why "server status $rc: $(grep -m1 FAIL "$cdir/server.log" || tail -1 "$cdir/server.log")"
}

case_accept() {
	local S C spid rc
	read -r S C < <("$build/udputil" freeports 2 | xargs)
	begin "$S" "$C"
	# 60 associations one after the other to a one-to-one server that
	# accept()s each; 20 echoes each with 16 in flight, so data and
	# notifications arrive while accept() hands the association over.  The
	# client binds 127.0.0.1 so that usrsctp lists no other address (keeps
	# this case apart from idle-3s-path-verification).
	cap_args=(--expect-count 60 "sctp.chunk_type == 14" --forbid "sctp.chunk_type == 6")
	if [ "$dir" = "sctpudp->usrsctp" ]; then
		progs="usrpeer server (one-to-one, accept) / sudpeer echo x60"
		bg server "$build/usrpeer" server -1 -n 60 -b 127.0.0.1 -u "$S" -r "$C" -p 5000 -t "$tmo"
		spid=$last_pid
		wait_ready "$cdir/server.log" READY "$S" || why "server did not start"
		fg client env SCTPUDP_UDP_PORT="$C" SCTPUDP_REMOTE_UDP_PORT="$S" "$build/sudpeer" client -c echo -n 20 -R 60 -b 127.0.0.1 -p 5000 -t 10
		client_ok $? "$cdir/client.log" "sudpeer client"
	else
		progs="sudpeer server (one-to-one, accept) / usrpeer echo x60"
		bg server env SCTPUDP_UDP_PORT="$S" SCTPUDP_REMOTE_UDP_PORT="$C" "$build/sudpeer" server -1 -n 60 -p 5000 -t "$tmo"
		spid=$last_pid
		wait_ready "$cdir/server.log" READY "$S" || why "server did not start: $(tail -1 "$cdir/server.log")"
		fg client "$build/usrpeer" client -c echo -n 20 -R 60 -b 127.0.0.1 -u "$C" -r "$S" -p 5000 -t 10
		client_ok $? "$cdir/client.log" "usrpeer client"
	fi
	[ "$(grep -c '^CLIENT OK' "$cdir/client.log")" = 60 ] ||
		why "$(grep -c '^CLIENT OK' "$cdir/client.log") of 60 associations completed"
	wait_exit "$spid" 5
	rc=$?
	[ $rc = 0 ] || why "server status $rc: $(grep -m1 FAIL "$cdir/server.log" || tail -1 "$cdir/server.log")"
}

case_bulk() {
	local S C spid rc
	read -r S C < <("$build/udputil" freeports 2 | xargs)
	begin "$S" "$C"
	# ECN (RFC 4960 appendix A): both offer it in INIT and INIT ACK.
	cap_args=(--expect "sctp.chunk_type == 14" --expect "sctp.chunk_type == 1 && sctp.parameter_type == 0x8000"
		--expect "sctp.chunk_type == 2 && sctp.parameter_type == 0x8000")
	if [ "$dir" = "sctpudp->usrsctp" ]; then
		progs="usrsctp tsctp (server) / sudpeer bulk"
		# Our DATA leaves ECN-capable, ECT(0).
		cap_args+=(--expect-count 50 "sctp.chunk_type == 0 && ip.dsfield.ecn == 2")
		bg server "$usrbin/tsctp" -E "$S" -U "$C" -p 5001
		spid=$last_pid
		wait_ready "" "" "$S" || why "server did not start"
		fg client env SCTPUDP_UDP_PORT="$C" SCTPUDP_REMOTE_UDP_PORT="$S" "$build/sudpeer" client -c bulk -n 100 -L 65536 -p 5001 -t "$tmo"
		client_ok $? "$cdir/client.log" "sudpeer client"
		# tsctp prints "length, messages, calls, bytes, ..." per connection
		for _ in $(seq 40); do
			grep -q '^65536, 100, ' "$cdir/server.log" && break
			sleep 0.05
		done
		stop "$spid"
		grep -q '^65536, 100, [0-9]*, 6553600, ' "$cdir/server.log" ||
			why "tsctp did not report 100 messages of 65536 bytes: $(grep -E '^[0-9]+, ' "$cdir/server.log" | head -1)"
	else
		progs="sudpeer server (discard) / usrsctp tsctp (client)"
		# tsctp puts an Adaptation Layer Indication in its INIT
		cap_args+=(--expect "sctp.parameter_type == 0xc006")
		bg server env SCTPUDP_UDP_PORT="$S" SCTPUDP_REMOTE_UDP_PORT="$C" "$build/sudpeer" server -d -1 -n 1 -p 5001 -t "$tmo"
		spid=$last_pid
		wait_ready "$cdir/server.log" READY "$S" || why "server did not start: $(tail -1 "$cdir/server.log")"
		fg client "$usrbin/tsctp" -E "$C" -U "$S" -p 5001 -l 65536 -n 100 127.0.0.1
		rc=$?
		[ $rc = 0 ] || why "tsctp client exited with status $rc: $(grep -v '^\[' "$cdir/client.log" | tail -1)"
		wait_exit "$spid" 5
		rc=$?
		[ $rc = 0 ] || why "sudpeer server status $rc: $(grep -m1 FAIL "$cdir/server.log" || tail -1 "$cdir/server.log")"
		grep -q "msgs=100 bytes=6553600 " "$cdir/server.log" ||
			why "sudpeer server did not count 100 messages of 65536 bytes: $(grep summary "$cdir/server.log")"
	fi
}

case_auth() {
	local S C spid rc
	read -r S C < <("$build/udputil" freeports 2 | xargs)
	begin "$S" "$C"
	# AUTH (RFC 4895): each side requires DATA and SACK authenticated, with
	# shared key 1 active; sctpudp prefers SHA-256, usrsctp has SHA-1 only
	# (as Debian builds it), so both sign with SHA-1.
	export PEER_AUTH_CHUNKS=0,3 PEER_AUTH_KEY=1:interop-shared-secret
	cap_args=(--expect "sctp.chunk_type == 15 && sctp.shared_key_id == 1 && sctp.hmac_id == 1 && udp.srcport == $C"
		--expect "sctp.chunk_type == 15 && sctp.shared_key_id == 1 && sctp.hmac_id == 1 && udp.srcport == $S"
		--expect-count 100 "sctp.chunk_type == 15 && sctp.chunk_type == 0"
		--expect "sctp.chunk_type == 14")
	if [ "$dir" = "sctpudp->usrsctp" ]; then
		progs="usrpeer server (one-to-one echo) / sudpeer echo, AUTH on DATA and SACK"
		bg server "$build/usrpeer" server -1 -n 1 -u "$S" -r "$C" -p 5000 -t "$tmo"
		spid=$last_pid
		wait_ready "$cdir/server.log" READY "$S" || why "server did not start: $(tail -1 "$cdir/server.log")"
		fg client env PEER_AUTH_HMACS=3,1 SCTPUDP_UDP_PORT="$C" SCTPUDP_REMOTE_UDP_PORT="$S" \
			"$build/sudpeer" client -c echo -n 500 -p 5000 -t "$tmo"
		client_ok $? "$cdir/client.log" "sudpeer client"
	else
		progs="sudpeer server (one-to-one echo) / usrpeer echo, AUTH on DATA and SACK"
		bg server env PEER_AUTH_HMACS=3,1 SCTPUDP_UDP_PORT="$S" SCTPUDP_REMOTE_UDP_PORT="$C" \
			"$build/sudpeer" server -1 -n 1 -p 5000 -t "$tmo"
		spid=$last_pid
		wait_ready "$cdir/server.log" READY "$S" || why "server did not start: $(tail -1 "$cdir/server.log")"
		fg client "$build/usrpeer" client -b 127.0.0.1 -c echo -n 500 -u "$C" -r "$S" -p 5000 -t "$tmo"
		client_ok $? "$cdir/client.log" "usrpeer client"
	fi
	wait_exit "$spid" 5
	rc=$?
	[ $rc = 0 ] || why "server status $rc: $(grep -m1 FAIL "$cdir/server.log" || tail -1 "$cdir/server.log")"
	unset PEER_AUTH_CHUNKS PEER_AUTH_KEY
}

case_asconf() {
	local S C spid rc alt
	read -r S C < <("$build/udputil" freeports 2 | xargs)
	begin "$S" "$C"
	# ASCONF (RFC 5061) needs a second local address: this host's own
	# (traffic to it stays on loopback, where the capture is).
	alt=$(ip -4 -o addr show scope global 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }')
	[ -n "$alt" ] || { why "no second local IPv4 address for the case"; return; }
	export PEER_AUTH_CHUNKS= PEER_ASCONF=1 PEER_RENUMBER=$alt
	cap_args=(--expect "sctp.chunk_type == 193 && sctp.chunk_type == 15"
		--expect "sctp.chunk_type == 128 && sctp.chunk_type == 15"
		--expect "sctp.chunk_type == 14")
	if [ "$dir" = "sctpudp->usrsctp" ]; then
		# Ours adds the address, makes it usrsctp's primary, then removes
		# 127.0.0.1: usrsctp sends to the new address, ours from it.
		progs="usrpeer server (one-to-one echo) / sudpeer echo, renumbering 127.0.0.1 -> $alt"
		cap_args+=(--expect-count 50 "ip.dst == $alt && sctp.chunk_type == 0 && udp.srcport == $S"
			--expect-count 50 "ip.src == $alt && sctp.chunk_type == 0 && udp.srcport == $C")
		bg server "$build/usrpeer" server -1 -n 1 -u "$S" -r "$C" -p 5000 -t "$tmo"
		spid=$last_pid
		wait_ready "$cdir/server.log" READY "$S" || why "server did not start: $(tail -1 "$cdir/server.log")"
		fg client env PEER_RENUMBER_DEL=1 SCTPUDP_UDP_PORT="$C" SCTPUDP_REMOTE_UDP_PORT="$S" \
			"$build/sudpeer" client -b 127.0.0.1 -c echo -n 600 -p 5000 -t "$tmo"
		client_ok $? "$cdir/client.log" "sudpeer client"
	else
		# usrsctp adds the address and makes it our primary (it cannot
		# choose its source address over UDP, so it removes nothing).
		progs="sudpeer server (one-to-one echo) / usrpeer echo, adding $alt as our primary"
		cap_args+=(--expect-count 50 "ip.dst == $alt && sctp.chunk_type == 0 && udp.srcport == $S")
		bg server env SCTPUDP_UDP_PORT="$S" SCTPUDP_REMOTE_UDP_PORT="$C" \
			"$build/sudpeer" server -1 -n 1 -p 5000 -t "$tmo"
		spid=$last_pid
		wait_ready "$cdir/server.log" READY "$S" || why "server did not start: $(tail -1 "$cdir/server.log")"
		fg client "$build/usrpeer" client -b 127.0.0.1 -c echo -n 600 -u "$C" -r "$S" -p 5000 -t "$tmo"
		client_ok $? "$cdir/client.log" "usrpeer client"
	fi
	wait_exit "$spid" 5
	rc=$?
	[ $rc = 0 ] || why "server status $rc: $(grep -m1 FAIL "$cdir/server.log" || tail -1 "$cdir/server.log")"
	unset PEER_AUTH_CHUNKS PEER_ASCONF PEER_RENUMBER
}

# -------------------------------------------------------------- 4. run
cases="setup:setup-shutdown abort:abort streams:streams-10-ordered-unordered
sizes:sizes-1B-256KiB echo:echo-1000 many:assocs-50-one-to-many restart:peer-restart
relay:relay-port-learning bulk:bulk-tsctp-100x64KiB idle:idle-3s-path-verification
accept:accept-60-in-a-row auth:auth-data-sack-key-1
asconf:asconf-add-primary-delete"
peer=usrsctp
n_run=0
for entry in $cases; do
	fn=${entry%%:*}
	cname=${entry#*:}
	for dir in "sctpudp->usrsctp" "usrsctp->sctpudp"; do
		id="$peer $dir $cname"
		case $id in *"$filter"*) ;; *) continue ;; esac
		n_run=$((n_run + 1))
		cdir="$build/cases/$cname.${dir/->/-to-}"
		rm -rf "$cdir"
		mkdir -p "$cdir"
		reasons=()
		cap_args=()
		progs=""
		pids=()
		t0=$(date +%s.%N)
		"case_$fn"
		if ! capture_check "$cdir" "${cap_args[@]+"${cap_args[@]}"}" >"$cdir/capture.log" 2>&1; then
			# one line per kind of problem (the first packet showing it),
			# at most 8; everything is in capture.log
			while IFS= read -r l; do why "$l"; done < <(awk '{
				key = $0
				sub(/^capture: frame [0-9]+ \([0-9]+ -> [0-9]+\): /, "", key)
				sub(/ \[.*\]$/, "", key)
				if (!(key in n)) { order[++k] = key; first[key] = $0 }
				n[key]++
			} END {
				for (i = 1; i <= k; i++)
					print first[order[i]] (n[order[i]] > 1 ? " (" n[order[i]] " packets like this)" : "")
			}' "$cdir/capture.log" | head -8)
		fi
		nosockopt_note
		secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
		result=PASS
		for r in "${reasons[@]+"${reasons[@]}"}"; do
			case $r in note:*) ;; *) result=FAIL ;; esac
		done
		echo "$result $id"
		if [ $result = PASS ]; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
		for r in "${reasons[@]+"${reasons[@]}"}"; do
			echo "    $r"
		done
		if [ $result = FAIL ] && [ "${SCTPUDP_INTEROP_VERBOSE:-}" = 1 ]; then
			for f in "$cdir"/*.log; do
				echo "    --- $(basename "$f")"
				tail -15 "$f" | sed 's/^/    /'
			done
		fi
		detail=$(printf '%s; ' "${reasons[@]+"${reasons[@]}"}" | sed 's/; $//; s/|/\\|/g')
		rows+=("| $peer $usr_version | $dir | $cname | $progs | **$result** | ${detail:-} |")
		printf '%s\t%s\n' "$id" "$secs" >>"$build/times.tsv"
	done
done

elapsed=$(($(date +%s) - t_start))
# a filtered run must not overwrite the full matrix
matrix=$here/matrix.md
[ -n "$filter" ] && matrix=$build/matrix.md
{
	echo "# Interoperability matrix: sctpudp and usrsctp"
	echo
	echo "Generated by \`interop/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') in ${elapsed} s:"
	echo "sctpudp $sud_version against usrsctp $usr_version (Debian libusrsctp2),"
	echo "SCTP over UDP (RFC 6951) on loopback.  Every packet of every case was"
	echo "captured and decoded by tshark $(tshark --version 2>/dev/null | head -1 | sed 's/.*(Wireshark) //; s/ .*//'); besides the programs' own checks, a case"
	echo "fails on a malformed packet, an expert info of warning severity or above,"
	echo "an unverified or bad CRC32c, a failed protocol check of \`capture.sh\`, or"
	echo "missing chunks the case must show (e.g. SHUTDOWN COMPLETE)."
	[ -n "$filter" ] && echo "Filter: \`SCTPUDP_INTEROP_FILTER=$filter\`."
	echo
	echo "Direction \`A->B\`: A is the client, B the server.  The failures are"
	echo "explained, with packet traces, in [NOTES.md](NOTES.md)."
	echo
	echo "| peer | direction | case | programs (server / client) | result | notes |"
	echo "|---|---|---|---|---|---|"
	printf '%s\n' "${rows[@]+"${rows[@]}"}"
	echo
	echo "$passed passed, $failed failed."
} >"$matrix"

if [ $n_run = 0 ]; then
	say "no case matches SCTPUDP_INTEROP_FILTER='$filter'"
	echo "0 passed, 1 failed"
	exit 1
fi
say "done in ${elapsed}s; logs and captures in $build/cases, matrix in $matrix"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
