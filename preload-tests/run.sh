#!/bin/bash
# preload-tests/run.sh: LD_PRELOAD acceptance tests of sctpudp (issue 5).
#
# Unmodified Linux SCTP programs -- Debian's lksctp-tools binaries and C
# programs built against the SYSTEM <netinet/sctp.h> and linked with
# -lsctp (libsctp.so.1), never with sctpudp -- run with
# LD_PRELOAD=libsctpudp.so on loopback, every process with its own UDP
# encapsulation port (SCTPUDP_UDP_PORT), every client pointed at its
# server's port (SCTPUDP_REMOTE_UDP_PORT).
#
# Prints "PASS <case>" or "FAIL <case>: <reason>" per case, then exactly one
# line "N passed, M failed"; exits non-zero if a case failed.  Every command
# runs under timeout(1); the whole run takes about a minute or two.
#
# Environment:
#   SCTPUDP_PRELOAD_LIB  the library (default: ../build/prefix/lib/libsctpudp.so,
#                        built with `make stage` if missing).  It is copied
#                        first, so a rebuild during the run changes nothing.
#   PT_WORK              logs and binaries (default ../build/preload-tests)
#   PT_FILTER            run only cases whose name contains this string
#   PT_ONLY_C            1: only the cases that run our C programs
#   PT_CFLAGS            more flags for those (make test-sanitize)
#   PT_VERBOSE=1         print the log of each failing case to stderr
#   PT_NO_INSTALL=1      never call apt-get
#
# Each case's files are in $PT_WORK/<case>/ (outputs of every process).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
work=${PT_WORK:-$root/build/preload-tests}
filter=${PT_FILTER:-}
mkdir -p "$work" || exit 2
work=$(cd "$work" && pwd)

say() { echo "run.sh: $*" >&2; }

# ---- packages -----------------------------------------------------------
need_pkgs=()
for p in lksctp-tools libsctp-dev socat; do
	dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
command -v cc >/dev/null 2>&1 || need_pkgs+=(gcc)
if [ ${#need_pkgs[@]} -gt 0 ]; then
	if [ "${PT_NO_INSTALL:-}" = 1 ]; then
		say "missing packages: ${need_pkgs[*]} (PT_NO_INSTALL=1)"
	else
		say "installing ${need_pkgs[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >/dev/null 2>&1
		apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >"$work/apt.log" 2>&1 ||
			say "apt-get install failed (see $work/apt.log)"
	fi
fi

# ---- the library (a private copy) ----------------------------------------
src_lib=${SCTPUDP_PRELOAD_LIB:-$root/build/prefix/lib/libsctpudp.so}
if [ ! -e "$src_lib" ] && [ -z "${SCTPUDP_PRELOAD_LIB:-}" ]; then
	say "building the library (make -C $root stage)"
	make -C "$root" stage >"$work/build.log" 2>&1 || { say "make stage failed (see $work/build.log)"; }
fi
if [ ! -e "$src_lib" ]; then
	echo "FAIL setup: no library at $src_lib"
	echo "0 passed, 1 failed"
	exit 1
fi
mkdir -p "$work/lib/shim" "$work/bin" "$work/libexec/sctpudp"
cp -L "$src_lib" "$work/lib/libsctpudp.so.new" && mv -f "$work/lib/libsctpudp.so.new" "$work/lib/libsctpudp.so"
LIB=$work/lib/libsctpudp.so
# The host stack program, where the library looks for it (LIBDIR/../libexec).
src_daemon=$(dirname "$(readlink -f "$src_lib")")/../libexec/sctpudp/sctpudpd
cp "$src_daemon" "$work/libexec/sctpudp/sctpudpd.new" && mv -f "$work/libexec/sctpudp/sctpudpd.new" "$work/libexec/sctpudp/sctpudpd"
# For the withsctp work-around case: "libc.so" that is really sctpudp.
ln -sf "$LIB" "$work/lib/shim/libc.so"
WITHSCTP_LIB=$(ls /usr/lib/*/lksctp-tools/libwithsctp.so.1 2>/dev/null | head -1)

# ---- bookkeeping ----------------------------------------------------------
passed=0
failed=0
REASON=""
CASE=""
D=""
declare -a BG=()

cleanup_bg() {
	local p
	for p in "${BG[@]:-}"; do
		[ -n "$p" ] || continue
		kill -KILL "$p" 2>/dev/null
		# timeout(1)'s child too, if it is still there.
		pkill -KILL -P "$p" 2>/dev/null
	done
	BG=()
}
trap 'cleanup_bg' EXIT

# run_case NAME FUNCTION [ARGS...]: the function sets REASON and returns 0/1.
run_case() {
	local name=$1
	shift
	case "$name" in *"$filter"*) ;; *) return 0 ;; esac
	# PT_ONLY_C=1: only the cases that are our own C programs (built with
	# PT_CFLAGS, e.g. under the sanitizers: make test-sanitize).
	[ "${PT_ONLY_C:-}" = 1 ] && [ "$1" != case_c ] && return 0
	CASE=$name
	D=$work/$name
	rm -rf "$D"
	mkdir -p "$D"
	REASON=""
	local t0=$SECONDS
	"$@" >"$D/case.log" 2>&1
	local rc=$?
	cleanup_bg
	local secs=$((SECONDS - t0))
	if [ $rc -eq 0 ]; then
		echo "PASS $name (${secs}s)"
		passed=$((passed + 1))
	else
		echo "FAIL $name: ${REASON:-exit $rc} (${secs}s; logs: $D)"
		failed=$((failed + 1))
		if [ "${PT_VERBOSE:-}" = 1 ]; then
			for f in "$D"/*; do
				[ -f "$f" ] || continue
				echo "---- $f" >&2
				tail -n 40 "$f" >&2
			done
		fi
	fi
}

fail() {
	REASON=$*
	echo "FAIL: $*"
	return 1
}

# A UDP port that no socket uses now, and that this run has not handed out.
declare -A GIVEN=()
free_port() {
	local used p i
	used=" $(awk 'FNR>1 {print $2}' /proc/net/udp /proc/net/udp6 2>/dev/null | sed 's/.*://' |
		while read -r h; do printf '%d ' "0x$h"; done) "
	for i in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
		case "$used" in *" $p "*) continue ;; esac
		[ -n "${GIVEN[$p]:-}" ] && continue
		GIVEN[$p]=1
		echo "$p"
		return 0
	done
	echo 0
}

# wait_for FILE REGEX SECONDS: true once FILE has a line matching REGEX.
wait_for() {
	local f=$1 re=$2 s=$3 end=$((SECONDS + $3))
	while [ $SECONDS -le $end ]; do
		grep -q -E -- "$re" "$f" 2>/dev/null && return 0
		sleep 0.1
	done
	grep -q -E -- "$re" "$f" 2>/dev/null
}

# start_bg CMD...: runs CMD in the background under timeout; sets BGPID.
start_bg() {
	"$@" &
	BGPID=$!
	BG+=("$BGPID")
}

# stop_server PID WHAT: the server must still be alive (it serves until
# stopped); it is stopped with SIGTERM and must then be gone.
stop_server() {
	local pid=$1 what=$2 child
	child=$(pgrep -P "$pid" 2>/dev/null | head -1)
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null
		fail "$what died before it was stopped (exit status $?)"
		return 1
	fi
	kill -TERM "$pid" 2>/dev/null
	local i
	for i in $(seq 1 30); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null || { [ -n "$child" ] && kill -0 "$child" 2>/dev/null; }; then
		kill -KILL "$pid" "$child" 2>/dev/null
		wait "$pid" 2>/dev/null
		fail "$what did not stop on SIGTERM"
		return 1
	fi
	wait "$pid" 2>/dev/null
	return 0
}


# ======================================================================
# 1. checksctp
# ======================================================================
case_checksctp() {
	local out
	out=$(timeout -k 2 10 env LD_PRELOAD="$LIB" SCTPUDP_UDP_PORT=0 checksctp 2>&1)
	local rc=$?
	echo "with LD_PRELOAD: rc=$rc: $out"
	echo "without: $(timeout 5 checksctp 2>&1)"
	[ $rc -eq 0 ] || { fail "checksctp exit status $rc: $out"; return 1; }
	echo "$out" | grep -q "SCTP supported" || { fail "checksctp printed '$out'"; return 1; }
}

# ======================================================================
# 2. sctp_test
# ======================================================================
# case_sctp_test "CLIENT ARGS" EXPECTED_MESSAGES ["SERVER ARGS"] [SERVER_END_REGEX]
case_sctp_test() {
	local cargs=$1 n=$2 sargs=${3:-}
	local sp
	sp=$(free_port)
	# shellcheck disable=SC2086
	start_bg timeout -k 2 90 env LD_PRELOAD="$LIB" SCTPUDP_UDP_PORT="$sp" \
		sctp_test -H 127.0.0.1 -P 5000 -l $sargs >"$D/server.out" 2>"$D/server.err"
	local spid=$BGPID
	wait_for "$D/server.out" "Server: Receiving packets" 10 || {
		fail "sctp_test server did not start: $(tail -c 300 "$D/server.err")"
		return 1
	}
	# shellcheck disable=SC2086
	timeout -k 2 25 env LD_PRELOAD="$LIB" SCTPUDP_UDP_PORT=0 SCTPUDP_REMOTE_UDP_PORT="$sp" \
		sctp_test -H 127.0.0.1 -P 5001 -h 127.0.0.1 -p 5000 -s $cargs >"$D/client.out" 2>"$D/client.err"
	local crc=$?
	# The association ends gracefully once the client has closed.
	wait_for "$D/server.out" "SHUTDOWN_COMPLETE|COMMUNICATION_LOST|No association is present" 4
	sleep 0.3
	stop_server "$spid" "sctp_test server" || return 1

	local sent got sentsum gotsum
	sed -n 's/.*sendmsg(sk=[0-9]*, assoc=[0-9]*) *\([0-9][0-9]*\) bytes.*/\1/p' "$D/client.out" | sort -n >"$D/sent.sizes"
	grep -o 'Data [0-9]* bytes' "$D/server.out" | awk '{print $2}' | sort -n >"$D/got.sizes"
	sent=$(wc -l <"$D/sent.sizes")
	got=$(wc -l <"$D/got.sizes")
	sentsum=$(awk '{s+=$1} END {print s+0}' "$D/sent.sizes")
	gotsum=$(awk '{s+=$1} END {print s+0}' "$D/got.sizes")
	echo "client rc=$crc sent=$sent ($sentsum bytes) server got=$got recvmsg ($gotsum bytes)"
	if [ $crc -eq 124 ] || [ $crc -eq 137 ]; then
		fail "client hung (killed after 25 s, blocked after sending $sent of $n messages; the server had received $got / $gotsum bytes)"
		return 1
	fi
	[ $crc -eq 0 ] || { fail "client exit status $crc: $(grep -h -m1 '\*\*\*' "$D/client.out" "$D/client.err")"; return 1; }
	if grep -q '\*\*\*' "$D/client.out" "$D/client.err" "$D/server.out" "$D/server.err"; then
		fail "error reported: $(grep -h -m1 '\*\*\*' "$D/client.out" "$D/client.err" "$D/server.out" "$D/server.err")"
		return 1
	fi
	[ "$sent" -eq "$n" ] || { fail "client sent $sent messages, expected $n"; return 1; }
	if [ "$gotsum" -ne "$sentsum" ]; then
		fail "server received $got messages / $gotsum bytes of $sent messages / $sentsum bytes sent"
		return 1
	fi
	if [ "$got" -ne "$sent" ] || ! cmp -s "$D/sent.sizes" "$D/got.sizes"; then
		fail "all $gotsum bytes arrived, but as $got recvmsg() results for $sent messages (messages split: partial delivery)"
		return 1
	fi
	if grep -q "COMMUNICATION_LOST" "$D/server.out"; then
		fail "server saw COMMUNICATION_LOST"
		return 1
	fi
	if ! grep -q -E "SHUTDOWN_COMPLETE|No association is present" "$D/server.out"; then
		fail "server never saw the association end (no SHUTDOWN_COMPLETE)"
		return 1
	fi
}

# Mixed mode: the server listens on 3 ports (select() over 3 sockets), the
# client sends to all 3 from one socket.
case_sctp_test_mixed() {
	local sp
	sp=$(free_port)
	start_bg timeout -k 2 60 env LD_PRELOAD="$LIB" SCTPUDP_UDP_PORT="$sp" \
		sctp_test -H 127.0.0.1 -P 5000 -l -L 3 >"$D/server.out" 2>"$D/server.err"
	local spid=$BGPID
	sleep 0.5
	kill -0 "$spid" 2>/dev/null || { fail "server died: $(tail -c 300 "$D/server.err")"; return 1; }
	timeout -k 2 30 env LD_PRELOAD="$LIB" SCTPUDP_UDP_PORT=0 SCTPUDP_REMOTE_UDP_PORT="$sp" \
		sctp_test -H 127.0.0.1 -P 6000 -h 127.0.0.1 -p 5000 -s -S 3 -x 1 -c 2 >"$D/client.out" 2>"$D/client.err"
	local crc=$?
	local i
	for i in $(seq 1 50); do
		[ "$(grep -c 'Data 1453' "$D/server.out")" -ge 30 ] && break
		sleep 0.1
	done
	sleep 0.5
	stop_server "$spid" "sctp_test mixed-mode server" || return 1
	local got
	got=$(grep -c 'Data 1453' "$D/server.out")
	echo "client rc=$crc; server got $got messages"
	[ $crc -eq 0 ] || { fail "client exit status $crc"; return 1; }
	[ "$(grep -c 'completed 10 msg' "$D/client.err")" -eq 3 ] || { fail "client did not complete 3 associations"; return 1; }
	[ "$got" -eq 30 ] || { fail "server (3 listening sockets, select) got $got of 30 messages"; return 1; }
}

# ======================================================================
# 3. sctp_darn
# ======================================================================
# darn_listener OUTFILE [ARGS]: a line-buffered listener in the background.
darn_listener() {
	local sp=$1 out=$2
	shift 2
	start_bg timeout -k 2 40 env LD_PRELOAD="$LIB" SCTPUDP_UDP_PORT="$sp" \
		stdbuf -oL sctp_darn -H 127.0.0.1 -P 5000 "$@" -l >"$out" 2>"${out%.out}.err"
	DARN_PID=$BGPID
	wait_for "$out" "listening" 10
}

# Lines from stdin, one every 0.4 s, then EOF.
slow_lines() {
	local l
	for l in "$@"; do
		echo "$l"
		sleep 0.4
	done
	sleep 0.4
}

case_darn_lines() {
	local sp
	sp=$(free_port)
	darn_listener "$sp" "$D/listener.out" "$@" || { fail "listener did not start"; return 1; }
	local spid=$DARN_PID
	slow_lines "first line from darn" "second line" "third line" |
		timeout -k 2 20 env LD_PRELOAD="$LIB" SCTPUDP_UDP_PORT=0 SCTPUDP_REMOTE_UDP_PORT="$sp" \
			sctp_darn -H 127.0.0.1 -P 5001 -h 127.0.0.1 -p 5000 "$@" -s >"$D/sender.out" 2>"$D/sender.err"
	local rc=$?
	echo "sender exit status $rc (sctp_darn exits with the length of its last message)"
	wait_for "$D/listener.out" "SHUTDOWN_COMP|No association" 5
	sleep 0.2
	stop_server "$spid" "sctp_darn listener" || return 1
	[ $rc -ne 124 ] && [ $rc -ne 137 ] || { fail "sender hung (timeout)"; return 1; }
	[ -s "$D/sender.err" ] && { fail "sender: $(head -c 200 "$D/sender.err")"; return 1; }
	local l missing=""
	for l in "first line from darn" "second line" "third line"; do
		grep -q -F "DATA($((${#l} + 2))):  $l." "$D/listener.out" || missing="$missing '$l'"
	done
	[ -z "$missing" ] || { fail "listener did not get:$missing"; return 1; }
	grep -q "SHUTDOWN_COMP" "$D/listener.out" || grep -q "No association" "$D/listener.out" ||
		{ fail "listener never saw the association end"; return 1; }
}

case_darn_interactive_listener() {
	local sp
	sp=$(free_port)
	# The listener is driven through stdin: each "rcv" is one recvmsg; it
	# exits by itself at EOF.
	{ printf 'rcv\nrcv\nrcv\nrcv\n'; } |
		timeout -k 2 8 env LD_PRELOAD="$LIB" SCTPUDP_UDP_PORT="$sp" \
			sctp_darn -H 127.0.0.1 -P 5000 -l -I >"$D/listener.out" 2>"$D/listener.err" &
	local lpid=$!
	BG+=("$lpid")
	wait_for "$D/listener.out" "listening" 10 || { fail "listener did not start"; return 1; }
	slow_lines "interactive listener gets this" "and this" |
		timeout -k 2 20 env LD_PRELOAD="$LIB" SCTPUDP_UDP_PORT=0 SCTPUDP_REMOTE_UDP_PORT="$sp" \
			sctp_darn -H 127.0.0.1 -P 5001 -h 127.0.0.1 -p 5000 -s >"$D/sender.out" 2>"$D/sender.err"
	local rc=$?
	wait "$lpid"
	local lrc=$?
	echo "sender rc=$rc listener rc=$lrc"
	[ $lrc -ne 124 ] && [ $lrc -ne 137 ] || { fail "interactive listener hung in 'rcv' (4 recvmsg: COMM_UP, 2 lines, SHUTDOWN_COMP)"; return 1; }
	local l missing=""
	for l in "interactive listener gets this" "and this"; do
		grep -q -F "DATA($((${#l} + 2))):  $l." "$D/listener.out" || missing="$missing '$l'"
	done
	[ -z "$missing" ] || { fail "interactive listener did not get:$missing"; return 1; }
}

case_darn_interactive_sender() {
	local sp
	sp=$(free_port)
	darn_listener "$sp" "$D/listener.out" || { fail "listener did not start"; return 1; }
	local spid=$DARN_PID
	{
		printf 'snd=20\n'
		sleep 0.4
		printf 'sndbuf\nrcvbuf\nnodelay=1\nnodelay\nmaxseg\nprimary\nheartbeat=127.0.0.1\nstats\n'
		printf 'snd=30\n'
		sleep 0.4
		printf 'shutdown\n'
		sleep 0.4
	} | timeout -k 2 20 env LD_PRELOAD="$LIB" SCTPUDP_UDP_PORT=0 SCTPUDP_REMOTE_UDP_PORT="$sp" \
		sctp_darn -H 127.0.0.1 -P 5001 -h 127.0.0.1 -p 5000 -s -I >"$D/sender.out" 2>"$D/sender.err"
	local rc=$?
	wait_for "$D/listener.out" "SHUTDOWN_COMP" 3
	stop_server "$spid" "sctp_darn listener" || return 1
	echo "sender rc=$rc"
	[ $rc -ne 124 ] && [ $rc -ne 137 ] || { fail "interactive sender hung"; return 1; }
	# gen_message(): bytes 0x21.. in turn; sctp_darn prints len-1 of them.
	local m20='!"#$%&'"'"'()*+,-./0123' m30='56789:;<=>?@ABCDEFGHIJKLMNOPQ'
	local bad=""
	grep -q -F "DATA(20):  $m20" "$D/listener.out" || bad="$bad; listener did not get snd=20"
	grep -q -F "DATA(30):  $m30" "$D/listener.out" || bad="$bad; listener did not get snd=30 (sent after the association came up)"
	grep -q "sndbuf is [1-9]" "$D/sender.out" || bad="$bad; no 'sndbuf is'"
	grep -q "rcvbuf is [1-9]" "$D/sender.out" || bad="$bad; no 'rcvbuf is'"
	grep -q "nodelay is 1" "$D/sender.out" || bad="$bad; no 'nodelay is 1'"
	grep -q "Successfully SHUTDOWN" "$D/sender.out" || bad="$bad; interactive 'shutdown' did not complete"
	grep -q "SHUTDOWN_COMP" "$D/listener.out" || bad="$bad; listener saw no SHUTDOWN_COMP"
	[ -s "$D/sender.err" ] && bad="$bad; sender stderr: $(head -c 200 "$D/sender.err" | tr '\n' ' ')"
	[ -z "$bad" ] || { fail "${bad#; }"; return 1; }
}

case_darn_bindx_connectx() {
	local sp
	sp=$(free_port)
	darn_listener "$sp" "$D/listener.out" -B 127.0.0.2 || { fail "listener (with -B 127.0.0.2) did not start: $(head -c 200 "$D/listener.err")"; return 1; }
	local spid=$DARN_PID
	slow_lines "over connectx" "second over connectx" |
		timeout -k 2 20 env LD_PRELOAD="$LIB" SCTPUDP_UDP_PORT=0 SCTPUDP_REMOTE_UDP_PORT="$sp" \
			sctp_darn -H 127.0.0.1 -P 5001 -B 127.0.0.2 -c 127.0.0.1 -c 127.0.0.2 -p 5000 -s \
			>"$D/sender.out" 2>"$D/sender.err"
	local rc=$?
	wait_for "$D/listener.out" "SHUTDOWN_COMP" 5
	stop_server "$spid" "sctp_darn listener" || return 1
	echo "sender rc=$rc"
	[ $rc -ne 124 ] && [ $rc -ne 137 ] || { fail "sender hung"; return 1; }
	[ -s "$D/sender.err" ] && { fail "sender: $(head -c 200 "$D/sender.err")"; return 1; }
	grep -q "^127.0.0.1:5000$" "$D/sender.out" && grep -q "^127.0.0.2:5000$" "$D/sender.out" ||
		{ fail "sctp_getpaddrs after sctp_connectx did not list both 127.0.0.1:5000 and 127.0.0.2:5000"; return 1; }
	local l missing=""
	for l in "over connectx" "second over connectx"; do
		grep -q -F "DATA($((${#l} + 2))):  $l." "$D/listener.out" || missing="$missing '$l'"
	done
	[ -z "$missing" ] || { fail "listener did not get:$missing"; return 1; }
}

# ======================================================================
# 4. withsctp: a plain TCP program (socat) carried over SCTP over UDP
# ======================================================================
# withsctp_try ORDER [SHIM]: a socat echo server and client with
# LD_PRELOAD=ORDER; true if the line comes back through the SCTP stack.
withsctp_try() {
	local order=$1 shim=${2:-} tag=$3
	local sp tcpport
	sp=$(free_port)
	tcpport=$((6000 + RANDOM % 1000))
	local envs=(LD_PRELOAD="$order" SCTPUDP_LOG=info)
	[ -n "$shim" ] && envs+=(LD_LIBRARY_PATH="$shim")
	start_bg timeout -k 2 15 env "${envs[@]}" SCTPUDP_UDP_PORT="$sp" \
		socat -d TCP4-LISTEN:"$tcpport",bind=127.0.0.1,reuseaddr PIPE >"$D/$tag.server.out" 2>"$D/$tag.server.err"
	local spid=$BGPID
	sleep 0.5
	local out
	# stdin stays open until the echo is back: SCTP has no half-close, so
	# socat's shutdown(SHUT_WR) at EOF would end the association.
	out=$( (echo "tcp line over sctp over udp"; sleep 1.5) | timeout -k 2 8 env "${envs[@]}" SCTPUDP_UDP_PORT=0 \
		SCTPUDP_REMOTE_UDP_PORT="$sp" socat -d -t 1 - TCP4:127.0.0.1:"$tcpport" 2>"$D/$tag.client.err")
	local rc=$?
	sleep 0.2
	kill -TERM "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	echo "[$tag] LD_PRELOAD=$order${shim:+ LD_LIBRARY_PATH=$shim}: client rc=$rc, got '$out'"
	echo "[$tag] client: $(head -c 300 "$D/$tag.client.err" | tr '\n' ' ')"
	echo "[$tag] server: $(head -c 300 "$D/$tag.server.err" | tr '\n' ' ')"
	[ "$out" = "tcp line over sctp over udp" ] || return 1
	# It really went through sctpudp: both processes used a host stack.
	grep -q "using host stack" "$D/$tag.server.err" && grep -q "using host stack" "$D/$tag.client.err"
}

case_withsctp() {
	[ -n "$WITHSCTP_LIB" ] || { fail "libwithsctp.so.1 not found"; return 1; }
	local ok=""
	withsctp_try "$WITHSCTP_LIB:$LIB" "" withsctp_first && ok="$ok withsctp-first"
	withsctp_try "$LIB:$WITHSCTP_LIB" "" sctpudp_first && ok="$ok sctpudp-first"
	[ -n "$ok" ] && { echo "works with order(s):$ok"; return 0; }
	local why
	why=$(grep -h -o "socket([^)]*): [A-Za-z ]*" "$D"/*.client.err | head -1)
	fail "neither LD_PRELOAD order works (${why:-no echo}): libwithsctp calls libc's socket() through dlopen(\"libc.so.6\")+dlsym, past sctpudp"
	return 1
}

# The same with a "libc.so" (found first by libwithsctp's dlopen("libc.so"))
# that is sctpudp: withsctp's real_socket() is then sctpudp's socket().
case_withsctp_libc_shim() {
	[ -n "$WITHSCTP_LIB" ] || { fail "libwithsctp.so.1 not found"; return 1; }
	withsctp_try "$WITHSCTP_LIB:$LIB" "$work/lib/shim" shim && return 0
	# Seen once in ~40 runs (2026-12-07, a fresh clone's first run): the
	# client's read() got ENOTCONN right after connect. Not understood yet;
	# the first attempt's logs stay (shim.*) and a second attempt decides.
	echo "[shim] first attempt failed; trying once more (logs kept as shim.*)"
	withsctp_try "$WITHSCTP_LIB:$LIB" "$work/lib/shim" shim2 && return 0
	if grep -q "Connection refused" "$D/shim.server.err"; then
		fail "echo lost: socat's accepted socket failed with ECONNREFUSED after it closed the listener (the accept race of case accept_first_message)"
	else
		fail "withsctp with the libc.so shim did not carry the echo: $(head -c 200 "$D/shim.server.err" "$D/shim.client.err" | tr '\n' ' ')"
	fi
	return 1
}

# ======================================================================
# 5-8. C tests (system lksctp headers, -lsctp), run preloaded
# ======================================================================
CFLAGS_T="-Wall -Wextra -O1 -g ${PT_CFLAGS:-}"
build_c() {
	local name=$1
	shift
	# shellcheck disable=SC2086
	cc $CFLAGS_T -o "$work/bin/$name" "$here/$name.c" -lsctp "$@" >"$work/bin/$name.build.log" 2>&1
}

c_ok=1
for t in t_kill:-lpthread t_fork: t_exit: t_mixed_poll: t_symver:-ldl t_accept:; do
	n=${t%%:*}
	extra=${t#*:}
	# shellcheck disable=SC2086
	build_c "$n" $extra || { c_ok=0; say "building $n failed: $(head -c 500 "$work/bin/$n.build.log")"; }
done

# case_c BINARY ARGS...: runs a C test preloaded; it prints PASS/FAIL itself.
case_c() {
	local bin=$1
	shift
	[ -x "$work/bin/$bin" ] || { fail "$bin did not build (see $work/bin/$bin.build.log)"; return 1; }
	timeout -k 3 60 env LD_PRELOAD="$LIB" "$work/bin/$bin" "$@" >"$D/test.out" 2>&1
	local rc=$?
	cat "$D/test.out"
	if [ $rc -eq 0 ] && grep -q "^PASS " "$D/test.out"; then
		return 0
	fi
	local r
	r=$(grep -m1 "^FAIL " "$D/test.out" | sed 's/^FAIL [^:]*: //')
	[ $rc -eq 124 ] || [ $rc -eq 137 ] && r="killed by timeout${r:+; $r}"
	fail "${r:-exit status $rc}"
	return 1
}

# ======================================================================
# The cases
# ======================================================================
run_case checksctp case_checksctp

for c in 0 1 2 3 4 5 6; do
	run_case "sctp_test_c$c" case_sctp_test "-c $c -x 3" 30
done
run_case sctp_test_c5_default_repeat case_sctp_test "-c 5" 100
run_case sctp_test_c6_x20_ordered case_sctp_test "-c 6 -x 20 -o 1" 200
run_case sctp_test_streams_random_order case_sctp_test "-c 4 -x 3 -M 10 -t 1 -o 3" 30
run_case sctp_test_tcp_style case_sctp_test "-T -c 3 -x 3" 30 "-T"
run_case sctp_test_mixed_mode case_sctp_test_mixed

run_case darn_lines case_darn_lines
run_case darn_tcp_style case_darn_lines -t
run_case darn_interactive_listener case_darn_interactive_listener
run_case darn_interactive_sender case_darn_interactive_sender
run_case darn_bindx_connectx case_darn_bindx_connectx

run_case withsctp_chain case_withsctp
run_case withsctp_chain_libc_shim case_withsctp_libc_shim

run_case kill_one_to_one case_c t_kill stream
run_case kill_one_to_many case_c t_kill seqpacket
run_case fork case_c t_fork
run_case exit_one_to_one case_c t_exit 1to1
run_case exit_one_to_one_bulk case_c t_exit 1to1 60 32768
run_case exit_one_to_many_implicit case_c t_exit 1tomany
run_case exit_one_to_many_connectx case_c t_exit 1tomany-connectx
run_case exit_after_close_one_to_one case_c t_exit 1to1-close 60 32768
run_case exit_after_close_one_to_many case_c t_exit 1tomany-close
run_case mixed_poll case_c t_mixed_poll
run_case accept_first_message case_c t_accept
run_case symver_both_paths case_c t_symver paths
# Old binaries reference lksctp's three-argument sctp_connectx@VERS_1:
# the versioned link (link/sctpudp.map) gives them that form.
run_case symver_connectx_vers1_ref case_c t_symver v1ref

[ $c_ok -eq 1 ] || say "some C tests did not build"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ] && [ $((passed + failed)) -gt 0 ]
