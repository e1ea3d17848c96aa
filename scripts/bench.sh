#!/bin/bash
# scripts/bench.sh: sctpudp against its 0.1.0 release, against a peer
# (usrsctp's best build) and raw UDP, in one run on this machine (make
# bench). Timing belongs here, never in a test.
#
# Builds benches/sctpbench.c against this tree's library (build/prefix) and
# against sctpudp 0.1.0 (the last commit before the host stack, built from
# a git worktree under build/bench/v0.1), then runs every figure for each,
# alternating, ROUNDS times, and prints the median of each with the ratio.
#
#   ROUNDS=2 SECS=4 bash scripts/bench.sh
#
# 0.1.0 ran one stack per process (client and server on two UDP ports);
# this tree runs one host stack, which client and server share (a private
# instance on a free UDP port, as users on one host get).
#
# The peer is usrsctp 0.9.5.0 from source (Debian trixie's, SHA-256
# checked) at -O2 -DNDEBUG without debug output, its tsctp for bulk and
# benches/usrsctp_pingpong.c for round trips, benches/usrsctp_setup.c for
# set-up (benches/usrsctp.sh says how). Its column is "-" when it cannot be fetched or
# built (USRSCTP=0 leaves it out).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build/bench
mkdir -p "$out"
ROUNDS=${ROUNDS:-2}
SECS=${SECS:-4}
V01=${V01:-4fd0c2c}

say() { echo "bench: $*" >&2; }

[ -e "$root/build/prefix/lib/libsctpudp.so" ] || make -C "$root" stage >"$out/stage.log" 2>&1
cc -O2 -Wall "$root/benches/sctpbench.c" -o "$out/sctpbench" \
	-I"$root/build/prefix/include/sctpudp" -L"$root/build/prefix/lib" -lsctpudp \
	-Wl,-rpath,"$root/build/prefix/lib" || exit 1

# sctpudp 0.1.0, from git.
v01=$out/v0.1
if [ ! -e "$v01/build/prefix/lib/libsctpudp.so" ]; then
	say "building sctpudp 0.1.0 ($V01) in $v01"
	rm -rf "$v01"
	git -C "$root" worktree prune
	git -C "$root" worktree add -f --detach "$v01" "$V01" >"$out/v01.log" 2>&1 &&
		make -C "$v01" stage >>"$out/v01.log" 2>&1 || { say "0.1.0 did not build (see $out/v01.log)"; v01=; }
fi
if [ -n "$v01" ]; then
	cc -O2 -Wall "$root/benches/sctpbench.c" -o "$out/sctpbench-0.1" \
		-I"$v01/build/prefix/include/sctpudp" -L"$v01/build/prefix/lib" -lsctpudp \
		-Wl,-rpath,"$v01/build/prefix/lib" || v01=
fi

# usrsctp, from Debian's source (benches/usrsctp.sh).
usr=
if [ "${USRSCTP:-1}" != 0 ]; then
	if bash "$root/benches/usrsctp.sh" build; then
		usr=1
	else
		say "usrsctp is not available; its column is left empty"
	fi
fi

free_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::", 0)); print(s.getsockname()[1])'
}

# run STACK ARGS...: one figure; prints its value (and p99 for round trips).
run() {
	local stack=$1
	shift
	local p q
	p=$(free_port)
	q=$(free_port)
	# Bounded: a figure that hangs (0.1.0's setup sometimes does) is
	# left out of the median instead of stopping the run.
	local t=(timeout -k 2 120)
	case $stack in
	new) SCTPUDP_UDP_PORT=$p "${t[@]}" "$out/sctpbench" "$@" ;;
	v0.1) SCTPUDP_UDP_PORT=$p SCTPUDP_REMOTE_UDP_PORT=$q SERVER_SCTPUDP_UDP_PORT=$q \
		SERVER_SCTPUDP_REMOTE_UDP_PORT=$p "${t[@]}" "$out/sctpbench-0.1" "$@" ;;
	udp) "${t[@]}" "$out/sctpbench" "$@" ;;
	usrsctp) "${t[@]}" bash "$root/benches/usrsctp.sh" "$@" ;;
	esac 2>>"$out/errors.log" | sed -n 's/^RESULT [^ ]* //p'
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else print v[int((NR + 1) / 2)] }'; }

declare -A res
figures=(
	"bulk-100-nodelay|bulk 100 $SECS nodelay|MB/s"
	"bulk-1000-nodelay|bulk 1000 $SECS nodelay|MB/s"
	"bulk-100|bulk 100 $SECS|MB/s"
	"bulk-1000|bulk 1000 $SECS|MB/s"
	"bulk-65536|bulk 65536 $SECS|MB/s"
	"pingpong-64|pingpong 64 20000|us"
	"setup|setup 1000|assoc/s"
)
stacks=(new)
[ -n "$v01" ] && stacks+=(v0.1)
[ -n "$usr" ] && stacks+=(usrsctp)
for ((r = 1; r <= ROUNDS; r++)); do
	for f in "${figures[@]}"; do
		IFS='|' read -r name args unit <<<"$f"
		for s in "${stacks[@]}"; do
			# shellcheck disable=SC2086
			v=$(run "$s" $args)
			res[$name/$s]+="${v%% *} "
			[ "$unit" = us ] && res[$name/$s/p99]+="$(echo "$v" | awk '{ print $4 }') "
		done
	done
	v=$(run udp udp-bulk "$SECS")
	res[udp-bulk]+="${v%% *} "
	v=$(run udp udp-pingpong 64 20000)
	res[udp-pp]+="${v%% *} "
	res[udp-pp/p99]+="$(echo "$v" | awk '{ print $4 }') "
done

# Idle associations (once): IDLE_N associations from one-to-many clients
# to one one-to-many server, both on one host stack (2 IDLE_N in it): its
# resident memory per association and its CPU over IDLE_SECS (longer than
# the 30 s heartbeat interval).
IDLE_N=${IDLE_N:-10000}
IDLE_SECS=${IDLE_SECS:-40}
cc -O2 -Wall "$root/benches/idle.c" -o "$out/idle" \
	-I"$root/build/prefix/include/sctpudp" -L"$root/build/prefix/lib" -lsctpudp \
	-Wl,-rpath,"$root/build/prefix/lib" || exit 1
idle_fig() {
	local port fifo app pid=
	port=$(free_port)
	fifo=$out/idle.in
	rm -f "$fifo" && mkfifo "$fifo"
	exec 3<>"$fifo"
	SCTPUDP_UDP_PORT=$port timeout -k 2 $((IDLE_SECS + 300)) "$out/idle" "$IDLE_N" 7777 <&3 >"$out/idle.out" 2>>"$out/errors.log" &
	app=$!
	local base=
	for _ in $(seq 1500); do
		[ -n "$pid" ] || pid=$(pgrep -f "sctpudpd --instance $port " | head -1)
		if [ -z "$base" ] && [ -n "$pid" ] && grep -q ONE "$out/idle.out" 2>/dev/null; then
			base=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
			echo go >&3
		fi
		grep -q READY "$out/idle.out" 2>/dev/null && break
		kill -0 $app 2>/dev/null || break
		sleep 0.2
	done
	if [ -z "$pid" ] || ! grep -q READY "$out/idle.out"; then
		say "idle associations: no figure (see $out/errors.log)"
		echo x >&3; exec 3>&-; wait $app; return
	fi
	local rss t0 t1 up
	up=$(awk '/^UP/ { print $3 }' "$out/idle.out")
	rss=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
	t0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
	sleep "$IDLE_SECS"
	t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
	echo x >&3
	exec 3>&-
	wait $app
	IDLE_RES="$(awk -v r="$rss" -v b="$base" -v n="$IDLE_N" 'BEGIN { printf "%.2f KiB", (r - b) / (2 * n) }')|$(awk -v a="$t0" -v b="$t1" -v h="$(getconf CLK_TCK)" -v s="$IDLE_SECS" 'BEGIN { printf "%.2f %%", (b - a) / h / s * 100 }')|$(awk -v n="$IDLE_N" -v t="$up" 'BEGIN { printf "%.0f/s", n / t }')"
}
IDLE_RES=
[ "${IDLE:-1}" != 0 ] && idle_fig

med() { echo "${res[$1]:-}" | tr ' ' '\n' | grep . | median; }
ratio() { awk -v a="$1" -v b="$2" -v inv="$3" 'BEGIN { if (a == "-" || b == "-" || a == 0 || b == 0) print "-"; else printf "%.2fx", inv ? b / a : a / b }'; }

echo
echo "machine: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%d); median of $ROUNDS rounds, ${SECS} s per bulk figure"
echo
echo "| workload | sctpudp (host stack) | sctpudp 0.1.0 | ratio | usrsctp 0.9.5.0 | sctpudp / usrsctp |"
echo "|---|---|---|---|---|---|"
for f in "${figures[@]}"; do
	IFS='|' read -r name args unit <<<"$f"
	a=$(med "$name/new")
	b=$(med "$name/v0.1")
	c=$(med "$name/usrsctp")
	if [ "$unit" = us ]; then
		cu="$c us ($(med "$name/usrsctp/p99"))"
		[ "$c" = - ] && cu=-
		printf '| %s, median (p99) | %s us (%s) | %s us (%s) | %s | %s | %s |\n' "$name" "$a" "$(med "$name/new/p99")" "$b" "$(med "$name/v0.1/p99")" "$(ratio "$a" "$b" 1)" "$cu" "$(ratio "$a" "$c" 1)"
	else
		cu="$c $unit"
		[ "$c" = - ] && cu=-
		printf '| %s | %s %s | %s %s | %s | %s | %s |\n' "$name" "$a" "$unit" "$b" "$unit" "$(ratio "$a" "$b" 0)" "$cu" "$(ratio "$a" "$c" 0)"
	fi
done
echo "| raw UDP, 1472-byte datagrams (sendmmsg/recvmmsg) | $(med udp-bulk) MB/s | | | | |"
echo "| raw UDP 64-byte ping-pong, median (p99) | $(med udp-pp) us ($(med udp-pp/p99)) | | | | |"
if [ -n "$IDLE_RES" ]; then
	IFS='|' read -r mem cpu rate <<<"$IDLE_RES"
	echo
	echo "idle associations ($((2 * IDLE_N)) in one host stack: $IDLE_N from one-to-many clients to one one-to-many server): $mem of resident memory each; the stack's CPU over ${IDLE_SECS} s idle: $cpu of a core; set up at $rate (sequential sctp_connectx)"
fi
echo
echo "ratio: throughput and setup rate host stack / 0.1.0; round trips 0.1.0 / host stack (above 1: the host stack is faster)"
echo "sctpudp / usrsctp: the same, host stack against usrsctp (above 1: sctpudp is better)"
if [ -n "$usr" ]; then
	echo "usrsctp: $(bash "$root/benches/usrsctp.sh" describe); bulk: its tsctp (sink: tsctp -E <udp port> -p 5001; sender: tsctp -E <udp port> -U <sink's udp port> -p 5001 -T $SECS -l SIZE [-D] 127.0.0.1); round trips: benches/usrsctp_pingpong.c; setup: benches/usrsctp_setup.c"
elif [ "${USRSCTP:-1}" = 0 ]; then
	echo "usrsctp: left out (USRSCTP=0)"
else
	echo "usrsctp: not available (see build/bench/usrsctp/fetch.log, build.log)"
fi
