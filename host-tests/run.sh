#!/bin/bash
# host-tests/run.sh: one SCTP endpoint per host, as a user meets it.
#
# Every case runs in network namespaces of its own (made here, removed
# after), so UDP port 9899 is free there and the host stack of the
# namespace is the case's alone; programs run with
# LD_PRELOAD=libsctpudp.so and no SCTPUDP_* variable, as on a host where
# nobody configured anything. Cases:
#
#   five-servers    5 server processes on SCTP ports 5201-5205, reached at
#                   UDP 9899 by 5 client processes, by usrsctp, and from a
#                   second host (a namespace joined by a veth pair)
#   socat-fork      socat SCTP-LISTEN:P,fork in front of an HTTP server:
#                   20 concurrent fetches, each intact
#   prefork         listen, fork 4 workers that accept(): 100 associations
#   daemon          daemon(3) after listen() keeps serving
#   scm-rights      a descriptor passed to another process carries the
#                   association on
#   exec            a descriptor inherited across exec keeps working
#   sigkill         a process holding 5 associations with unread data is
#                   killed: every peer sees ABORT within a second; then
#                   nothing is left (the stack exits when idle)
#   ports           SCTP ports below 1024 need CAP_NET_BIND_SERVICE; a
#                   port is bound host-wide (EADDRINUSE in another process)
#   attack          another user's process speaks nonsense to the host
#                   stack's socket while an association runs: refused, and
#                   the association is not disturbed
#   stack-death     the host stack is killed: sockets report ECONNRESET
#                   promptly, and the next socket starts a new stack
#   stat            sctpudp-stat (table and --json) during a transfer
#   pmtu            the path MTU drops mid-transfer; ICMP lowers ours
#   asconf          a (two addresses) renumbers a live association with
#                   sctp_bindx ADD, SCTP_SET_PEER_PRIMARY_ADDR and
#                   sctp_bindx REM: b reports each change and sends to the
#                   new address only; the echoes go on
#   ecn             a's outgoing ECT(0) packets marked CE one in four
#                   (nftables): ECN negotiated, ECNE and CWR exchanged,
#                   DATA ECT and SACKs not, data intact; and with
#                   SCTP_ECN_SUPPORTED off, no ECN at all
#
# Needs root (network namespaces) and builds what it runs into
# build/host-tests. Prints one line per case and "N passed, M failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
work=$root/build/host-tests
mkdir -p "$work"
filter=${SCTPUDP_TEST_FILTER:-}

LIB=$root/build/prefix/lib/libsctpudp.so
STAT=$root/build/prefix/bin/sctpudp-stat
passed=0
failed=0

say() { echo "run.sh: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
	echo "FAIL setup: the host tests need root (network namespaces)"
	echo "0 passed, 1 failed"
	exit 1
fi
for p in lksctp-tools:/usr/bin/checksctp libsctp-dev:/usr/include/netinet/sctp.h socat:/usr/bin/socat \
	libusrsctp-dev:/usr/include/usrsctp.h iproute2:/usr/sbin/ip tshark:/usr/bin/tshark nftables:/usr/sbin/nft; do
	[ -e "${p#*:}" ] || need="${need:-} ${p%%:*}"
done
if [ -n "${need:-}" ]; then
	say "installing:$need"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >"$work/apt.log" 2>&1 ||
		{ apt-get update -qq >>"$work/apt.log" 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >>"$work/apt.log" 2>&1; } ||
		say "apt-get install failed (see $work/apt.log)"
fi
[ -e "$LIB" ] || make -C "$root" stage >"$work/build.log" 2>&1
cflags="-O1 -g -Wall -Wextra"
# shellcheck disable=SC2086
cc $cflags -o "$work/hostc" "$here/hostc.c" -lsctp >"$work/hostc.build.log" 2>&1 ||
	{ echo "FAIL setup: hostc did not build: $(head -c 400 "$work/hostc.build.log")"; echo "0 passed, 1 failed"; exit 1; }
# The interop peers: peer.c on usrsctp (usrpeer) and on sctpudp (sudpeer).
# shellcheck disable=SC2086
cc $cflags -o "$work/usrpeer" "$root/interop/peer.c" "$root/interop/stack_usrsctp.c" -lusrsctp -lpthread \
	>"$work/usrpeer.build.log" 2>&1 || say "usrpeer did not build (see $work/usrpeer.build.log)"
HOSTC=$work/hostc

# ---- namespaces -----------------------------------------------------------
NSES=()
# ns_new VAR: a new namespace, its name in VAR.
ns_new() {
	local n=sctpudp-h$$-$1
	ip netns del "$n" 2>/dev/null
	ip netns add "$n" || return 1
	ip -n "$n" link set lo up
	NSES+=("$n")
	printf -v "$1" %s "$n"
}
ns_cleanup() {
	local n
	for n in "${NSES[@]}"; do
		# shellcheck disable=SC2046
		kill -9 $(ip netns pids "$n" 2>/dev/null) 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	NSES=()
}
trap ns_cleanup EXIT
# nsx NS CMD...: runs CMD in namespace NS with the library preloaded; the
# host stack exits 2 s after its last socket.
nsx() {
	local n=$1
	shift
	ip netns exec "$n" env LD_PRELOAD="$LIB" SCTPUDP_IDLE_EXIT=2 "$@"
}
# Like nsx, without the library (usrsctp, python).
nsx_plain() {
	local n=$1
	shift
	ip netns exec "$n" "$@"
}

D=
why=
fail() { why="$*"; }
# wait_line FILE TEXT SECS: until FILE has a line starting with TEXT.
wait_line() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -q "^$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
stack_pids() { ip netns pids "$1" 2>/dev/null | while read -r p; do
	[ "$(cat /proc/"$p"/comm 2>/dev/null)" = sctpudpd ] && echo "$p"
done; }

run_case() {
	local name=$1
	case "$name" in *"$filter"*) ;; *) return ;; esac
	D=$work/$name
	rm -rf "$D"
	mkdir -p "$D"
	why=
	local start=$SECONDS
	"case_${name//-/_}" >"$D/case.log" 2>&1
	local rc=$?
	[ $rc -ne 0 ] && [ -z "$why" ] && why="exit status $rc"
	ns_cleanup
	if [ -z "$why" ]; then
		echo "PASS $name ($((SECONDS - start))s)"
		passed=$((passed + 1))
	else
		echo "FAIL $name: $why ($((SECONDS - start))s; logs: $D)"
		failed=$((failed + 1))
	fi
}

# ---- cases ----------------------------------------------------------------
case_five_servers() {
	local a b p
	ns_new a && ns_new b || { fail "no namespaces"; return 1; }
	ip link add "veth$$a" netns "$a" type veth peer name "veth$$b" netns "$b"
	ip -n "$a" addr add 10.77.0.1/24 dev "veth$$a"
	ip -n "$b" addr add 10.77.0.2/24 dev "veth$$b"
	ip -n "$a" link set "veth$$a" up
	ip -n "$b" link set "veth$$b" up
	for p in 5201 5202 5203 5204 5205; do
		nsx "$a" "$HOSTC" echo-server $p >"$D/server$p.out" 2>"$D/server$p.err" &
	done
	for p in 5201 5202 5203 5204 5205; do
		wait_line "$D/server$p.out" READY 10 || { fail "server $p did not start: $(cat "$D/server$p.err")"; return 1; }
	done
	[ "$(stack_pids "$a" | wc -l)" = 1 ] || { fail "not one host stack in the namespace: $(stack_pids "$a" | tr '\n' ' ')"; return 1; }
	# Five client processes on the same host, at once.
	local pids=()
	for p in 5201 5202 5203 5204 5205; do
		nsx "$a" "$HOSTC" echo $p 127.0.0.1 20 300 >"$D/local$p.log" 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || { fail "a local client failed: $(cat "$D"/local*.log)"; return 1; }; done
	# usrsctp on the same host (its own UDP port 9900, to ours at 9899).
	for p in 5201 5202 5203 5204 5205; do
		nsx_plain "$a" timeout 30 "$work/usrpeer" client -c echo -a 127.0.0.1 -p $p -n 50 -u 9900 -r 9899 -b 127.0.0.1 -t 25 \
			>"$D/usrsctp$p.log" 2>&1 || { fail "usrsctp client to $p: $(tail -2 "$D/usrsctp$p.log")"; return 1; }
		grep -q "CLIENT OK" "$D/usrsctp$p.log" || { fail "usrsctp client to $p: $(tail -2 "$D/usrsctp$p.log")"; return 1; }
	done
	# A second host: its own host stack, reaching ours over the veth.
	for p in 5201 5202 5203 5204 5205; do
		nsx "$b" "$HOSTC" echo $p 10.77.0.1 20 1000 >"$D/remote$p.log" 2>&1 ||
			{ fail "client on the second host to $p: $(cat "$D/remote$p.log")"; return 1; }
	done
	echo "5 servers reached by 5 local clients, usrsctp and a second host"
}

case_socat_fork() {
	local a
	ns_new a || { fail "no namespace"; return 1; }
	mkdir -p "$D/www"
	local i
	for i in $(seq 1 20); do head -c $((100000 + i * 3011)) /dev/urandom >"$D/www/f$i"; done
	nsx_plain "$a" python3 -m http.server 18080 --bind 127.0.0.1 --directory "$D/www" >"$D/http.log" 2>&1 &
	# A backlog above socat's default of 5: 20 clients start at once, and
	# as on Linux an association beyond a full accept queue is refused.
	nsx "$a" socat SCTP-LISTEN:8080,reuseaddr,fork,backlog=32 TCP:127.0.0.1:18080 >"$D/front.log" 2>&1 &
	sleep 1
	local pids=()
	for i in $(seq 1 20); do
		( printf 'GET /f%d HTTP/1.0\r\n\r\n' "$i" |
			nsx "$a" timeout 30 socat -t 10 - SCTP:127.0.0.1:8080,shut-none >"$D/resp$i" 2>"$D/client$i.err" ) &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	for i in $(seq 1 20); do
		# The body follows the blank line of the HTTP header.
		python3 - "$D/resp$i" "$D/www/f$i" <<'EOF' || { fail "fetch $i not intact: $(head -c 200 "$D/client$i.err")"; return 1; }
import sys
r = open(sys.argv[1], 'rb').read()
body = r.split(b'\r\n\r\n', 1)[1] if b'\r\n\r\n' in r else b''
sys.exit(0 if r.startswith(b'HTTP/1.0 200') and body == open(sys.argv[2], 'rb').read() else 1)
EOF
	done
	echo "20 concurrent fetches through socat SCTP-LISTEN,fork intact"
}

case_prefork() {
	local a i
	ns_new a || { fail "no namespace"; return 1; }
	nsx "$a" "$HOSTC" prefork 7100 4 100 >"$D/server.out" 2>"$D/server.err" &
	local spid=$!
	wait_line "$D/server.out" READY 10 || { fail "pre-fork server did not start: $(cat "$D/server.err")"; return 1; }
	local batch=()
	for i in $(seq 1 100); do
		nsx "$a" "$HOSTC" echo 7100 127.0.0.1 3 200 >>"$D/clients.log" 2>&1 &
		batch+=($!)
		if (( i % 10 == 0 )); then
			wait "${batch[@]}"
			batch=()
		fi
	done
	grep -q "hostc" "$D/clients.log" && { fail "a client failed: $(head -3 "$D/clients.log")"; return 1; }
	wait "$spid" || { fail "server: $(cat "$D/server.err")"; return 1; }
	grep -q "^SERVED 100" "$D/server.out" || { fail "server: $(cat "$D/server.out")"; return 1; }
	echo "4 pre-forked workers served 100 associations"
}

case_daemon() {
	local a
	ns_new a || { fail "no namespace"; return 1; }
	nsx "$a" "$HOSTC" daemon-server 7200 "$D/pid" >"$D/server.log" 2>&1 || { fail "daemon-server: $(cat "$D/server.log")"; return 1; }
	sleep 0.3
	nsx "$a" "$HOSTC" echo 7200 127.0.0.1 50 500 >"$D/client.log" 2>&1 || { fail "client: $(cat "$D/client.log")"; return 1; }
	kill "$(cat "$D/pid")" 2>/dev/null
	echo "served after daemon(3)"
}

case_scm_rights() {
	local a
	ns_new a || { fail "no namespace"; return 1; }
	nsx "$a" "$HOSTC" echo-server 7300 >"$D/server.out" 2>"$D/server.err" &
	wait_line "$D/server.out" READY 10 || { fail "server did not start"; return 1; }
	nsx "$a" "$HOSTC" scm 7300 127.0.0.1 >"$D/scm.log" 2>&1 || { fail "$(cat "$D/scm.log")"; return 1; }
	echo "the association went on in the receiving process"
}

case_exec() {
	local a
	ns_new a || { fail "no namespace"; return 1; }
	nsx "$a" "$HOSTC" echo-server 7301 >"$D/server.out" 2>"$D/server.err" &
	wait_line "$D/server.out" READY 10 || { fail "server did not start"; return 1; }
	nsx "$a" "$HOSTC" exec 7301 127.0.0.1 >"$D/exec.log" 2>&1 || { fail "$(cat "$D/exec.log")"; return 1; }
	echo "the association went on after exec"
}

case_sigkill() {
	local a
	ns_new a || { fail "no namespace"; return 1; }
	mkfifo "$D/ctl"
	nsx "$a" "$HOSTC" kill-watch 7400 5 <"$D/ctl" >"$D/watch.out" 2>"$D/watch.err" &
	local wpid=$!
	exec 7>"$D/ctl"
	sleep 0.3
	nsx "$a" "$HOSTC" kill-target 7400 127.0.0.1 5 >"$D/target.out" 2>"$D/target.err" &
	local tpid=$!
	wait_line "$D/watch.out" READY 10 || { exec 7>&-; fail "watch: $(cat "$D/watch.err" "$D/target.err")"; return 1; }
	# The target's own pid (not ip-netns-exec's): kill exactly it.
	local target
	target=$(pgrep -f "hostc kill-target" | head -1)
	sleep 0.2
	kill -9 "$target"
	echo killed >&7
	exec 7>&-
	wait "$wpid"
	local rc=$?
	wait "$tpid" 2>/dev/null
	cat "$D/watch.out"
	[ $rc = 0 ] || { fail "$(tail -1 "$D/watch.out") $(cat "$D/watch.err")"; return 1; }
	local ms
	ms=$(sed -n 's/^ABORTED 5 SHUTDOWN 0 IN \([0-9]*\)/\1/p' "$D/watch.out")
	[ -n "$ms" ] && [ "$ms" -le 1000 ] || { fail "not every peer saw ABORT within 1 s: $(tail -1 "$D/watch.out")"; return 1; }
	# Nothing left behind: with the watcher gone too, the stack has no
	# socket and no association and exits (SCTPUDP_IDLE_EXIT=2).
	local i
	for i in $(seq 1 100); do
		[ -z "$(stack_pids "$a")" ] && break
		sleep 0.1
	done
	[ -z "$(stack_pids "$a")" ] || { fail "the host stack still runs 10 s after its last socket"; return 1; }
	echo "every peer saw ABORT in ${ms} ms; the stack exited once idle"
}

case_ports() {
	local a
	ns_new a || { fail "no namespace"; return 1; }
	local r
	r=$(nsx "$a" setpriv --reuid nobody --regid nogroup --clear-groups "$HOSTC" bind 80 2>&1)
	[ "$r" = EACCES ] || { fail "port 80 as nobody: $r"; return 1; }
	r=$(nsx "$a" setpriv --reuid nobody --regid nogroup --clear-groups "$HOSTC" bind 8080 2>&1)
	[ "$r" = OK ] || { fail "port 8080 as nobody: $r"; return 1; }
	r=$(nsx "$a" "$HOSTC" bind 80 2>&1)
	[ "$r" = OK ] || { fail "port 80 as root: $r"; return 1; }
	# A port is the host's: another process cannot take it meanwhile.
	nsx "$a" env HOSTC_HOLD=3 "$HOSTC" bind 8081 >"$D/hold.out" 2>&1 &
	wait_line "$D/hold.out" OK 10 || { fail "holder: $(cat "$D/hold.out")"; return 1; }
	local hpid=$!
	r=$(nsx "$a" "$HOSTC" bind 8081 2>&1)
	[ "$r" = EADDRINUSE ] || { fail "second bind of 8081 in another process: $r"; return 1; }
	wait "$hpid"
	echo "ports below 1024 need the capability; ports are host-wide"
}

case_attack() {
	local a
	ns_new a || { fail "no namespace"; return 1; }
	nsx "$a" "$HOSTC" echo-server 7500 >"$D/server.out" 2>"$D/server.err" &
	wait_line "$D/server.out" READY 10 || { fail "server did not start"; return 1; }
	nsx "$a" "$HOSTC" hold 7500 127.0.0.1 4 >"$D/hold.out" 2>"$D/hold.err" &
	local hpid=$!
	wait_line "$D/hold.out" READY 10 || { fail "holder did not start: $(cat "$D/hold.err")"; return 1; }
	nsx_plain "$a" setpriv --reuid nobody --regid nogroup --clear-groups "$HOSTC" attack 9899 >"$D/attack.log" 2>&1 ||
		{ fail "attack: $(cat "$D/attack.log")"; return 1; }
	wait "$hpid" || { fail "the association was disturbed: $(cat "$D/hold.err")"; return 1; }
	[ "$(stack_pids "$a" | wc -l)" = 1 ] || { fail "the host stack did not survive"; return 1; }
	cat "$D/attack.log"
}

case_stack_death() {
	local a
	ns_new a || { fail "no namespace"; return 1; }
	nsx "$a" "$HOSTC" echo-server 7600 >"$D/server.out" 2>"$D/server.err" &
	wait_line "$D/server.out" READY 10 || { fail "server did not start"; return 1; }
	nsx "$a" "$HOSTC" hold 7600 127.0.0.1 20 >"$D/hold.out" 2>"$D/hold.err" &
	local hpid=$!
	wait_line "$D/hold.out" READY 10 || { fail "holder did not start"; return 1; }
	local t0=$SECONDS
	# shellcheck disable=SC2046
	kill -9 $(stack_pids "$a")
	wait "$hpid"
	local rc=$?
	[ $rc != 0 ] || { fail "the holder did not notice"; return 1; }
	[ $((SECONDS - t0)) -le 3 ] || { fail "the holder took $((SECONDS - t0)) s to notice"; return 1; }
	grep -q "errno 104" "$D/hold.err" || { fail "not ECONNRESET: $(cat "$D/hold.err")"; return 1; }
	# The next socket starts a new stack.
	nsx "$a" "$HOSTC" echo-server 7601 >"$D/server2.out" 2>"$D/server2.err" &
	wait_line "$D/server2.out" READY 10 || { fail "no new stack: $(cat "$D/server2.err")"; return 1; }
	nsx "$a" "$HOSTC" echo 7601 127.0.0.1 10 100 >"$D/client2.log" 2>&1 || { fail "after restart: $(cat "$D/client2.log")"; return 1; }
	echo "ECONNRESET at once; a new stack for the next socket"
}

case_stat() {
	local a
	ns_new a || { fail "no namespace"; return 1; }
	nsx "$a" "$HOSTC" echo-server 7700 >"$D/server.out" 2>"$D/server.err" &
	wait_line "$D/server.out" READY 10 || { fail "server did not start"; return 1; }
	nsx "$a" "$HOSTC" hold 7700 127.0.0.1 4 >"$D/hold.out" 2>"$D/hold.err" &
	wait_line "$D/hold.out" READY 10 || { fail "holder did not start"; return 1; }
	sleep 1
	nsx_plain "$a" "$STAT" >"$D/stat.txt" 2>&1 || { fail "sctpudp-stat: $(cat "$D/stat.txt")"; return 1; }
	nsx_plain "$a" "$STAT" --json >"$D/stat.json" 2>&1 || { fail "sctpudp-stat --json: $(cat "$D/stat.json")"; return 1; }
	cat "$D/stat.txt"
	python3 - "$D/stat.json" <<'EOF' || { fail "sctpudp-stat --json: $(cat "$D/stat.json")"; return 1; }
import json, sys
s = json.load(open(sys.argv[1]))
assert s["udp_port"] == 9899, s
ls = [l for l in s["listeners"] if l["port"] == 7700]
assert ls and ls[0]["command"] == "hostc" and ls[0]["style"] == "one-to-many", s["listeners"]
a = s["associations"]
# Both ends of the one association are on this host.
assert len(a) == 2, a
for x in a:
    assert x["state"] == "ESTABLISHED", x
    assert x["command"] == "hostc" and x["pid"] > 0, x
    assert 7700 in (x["local_port"], x["peer_port"]), x
    p = x["paths"][0]
    assert p["address"] == "127.0.0.1" and p["udp_port"] == 9899, p
    assert p["cwnd"] > 0 and p["rto_ms"] > 0 and p["srtt_ms"] >= 0, p
    assert x["outbound_streams"] > 0 and x["peer_rwnd"] > 0, x
    # Counters of a running echo: both ways, nothing lost on loopback.
    assert x["packets_out"] > 10 and x["packets_in"] > 10, x
    assert x["data_chunks_out"] > 0 and x["data_chunks_in"] > 0 and x["sacks_in"] > 0, x
    assert x["retransmitted_chunks"] == 0 and x["dup_chunks_in"] == 0, x
# What one end sent the other received (the snapshot of the two is not
# atomic: a few chunks may be in flight between them).
assert abs(a[0]["data_chunks_out"] - a[1]["data_chunks_in"]) <= 64, a
assert abs(a[1]["data_chunks_out"] - a[0]["data_chunks_in"]) <= 64, a
EOF
}

# Path MTU from ICMP (draft-ietf-sigtran-sctptunnel 5.1.2): host a reaches
# host b through router r; during an echo of 8,000-byte messages (so a's
# packets are full-sized) the r-b link's MTU drops from 1500 to 1280. r
# answers a's next large packet with "fragmentation needed"; a's stack
# reads it from its UDP socket's error queue, builds smaller packets from
# then on and resends at once what the link refused. Checked at r: a's
# kernel fragments what is still too large (the DATA cut for 1500), and
# no fragment leaves a later than one RTO (1 s) after the first ICMP;
# a's new packets are whole UDP datagrams that fit 1280 bytes; its log
# says it took the report; the echo completes intact.
case_pmtu() {
	local a r b
	ns_new a && ns_new r && ns_new b || { fail "no namespaces"; return 1; }
	ip link add "ar$$" netns "$a" type veth peer name "ra$$" netns "$r"
	ip link add "rb$$" netns "$r" type veth peer name "br$$" netns "$b"
	ip -n "$a" addr add 10.78.1.1/24 dev "ar$$"
	ip -n "$r" addr add 10.78.1.2/24 dev "ra$$"
	ip -n "$r" addr add 10.78.2.2/24 dev "rb$$"
	ip -n "$b" addr add 10.78.2.1/24 dev "br$$"
	local i
	for i in "$a ar$$" "$r ra$$" "$r rb$$" "$b br$$"; do
		set -- $i
		ip -n "$1" link set "$2" up
	done
	ip -n "$a" route add default via 10.78.1.2
	ip -n "$b" route add default via 10.78.2.2
	nsx_plain "$r" sysctl -qw net.ipv4.ip_forward=1
	nsx "$b" "$HOSTC" echo-server 7800 >"$D/server.out" 2>"$D/server.err" &
	wait_line "$D/server.out" READY 10 || { fail "server did not start: $(cat "$D/server.err")"; return 1; }
	# (ip netns exec execs tshark: $! is tshark itself.)
	ip netns exec "$r" tshark -q -i "ra$$" -f "udp port 9899 or icmp" -w "$D/ra.pcapng" >"$D/tshark.log" 2>&1 &
	local tsh=$!
	sleep 2
	SCTPUDP_LOG=debug SCTPUDP_DAEMON_LOG="$D/stack-a.log" nsx "$a" "$HOSTC" echo 7800 10.78.2.1 10000 8000 \
		>"$D/client.log" 2>&1 &
	local cl=$!
	sleep 0.5
	kill -0 $cl 2>/dev/null || { fail "the echo ended before the MTU dropped"; return 1; }
	local t_drop
	t_drop=$(date +%s.%N)
	# Both ends of the link (a veth drops what exceeds its receiver's MTU).
	ip -n "$r" link set "rb$$" mtu 1280
	ip -n "$b" link set "br$$" mtu 1280
	wait "$cl" || { kill $tsh; fail "echo across the lowered MTU failed: $(tail -3 "$D/client.log")"; return 1; }
	sleep 0.5
	kill -INT $tsh
	wait $tsh
	grep -q "path MTU to 10.78.2.1 is now 1280 (ICMP)" "$D/stack-a.log" ||
		{ fail "a's stack did not take the ICMP report (see $D/stack-a.log)"; return 1; }
	# The first "fragmentation needed" r sent a; a's last IP fragment (its
	# kernel fragmenting a datagram too large for 1280); a's whole UDP
	# datagrams of 1001-1260 bytes (new packets cut for the new MTU: 1252
	# bytes of SCTP and the UDP header).
	local icmp last_frag n_small
	icmp=$(tshark -r "$D/ra.pcapng" -Y "icmp.type == 3 && icmp.code == 4" -T fields -e frame.time_epoch 2>/dev/null | head -1)
	last_frag=$(tshark -r "$D/ra.pcapng" -Y "ip.src == 10.78.1.1 && (ip.flags.mf == 1 || ip.frag_offset > 0) && !icmp" -T fields -e frame.time_epoch 2>/dev/null | tail -1)
	n_small=$(tshark -r "$D/ra.pcapng" -Y "ip.src == 10.78.1.1 && ip.flags.mf == 0 && ip.frag_offset == 0 && udp.length > 1000 && udp.length <= 1260" 2>/dev/null | wc -l)
	[ -n "$icmp" ] || { fail "no ICMP fragmentation needed in the capture"; return 1; }
	echo "MTU dropped at $t_drop; first ICMP at $icmp; a's last fragment at ${last_frag:-none}; $n_small whole UDP datagrams of 1001-1260 bytes"
	if [ -n "$last_frag" ]; then
		python3 -c "import sys; i, l = map(float, sys.argv[1:]); print('fragments for %.3f s after the ICMP' % (l - i)); sys.exit(0 if l - i < 1.0 else 1)" "$icmp" "$last_frag" ||
			{ fail "a still sent packets too large for the path more than one RTO after the ICMP"; return 1; }
	fi
	[ "$n_small" -gt 100 ] || { fail "a did not go on with packets cut for the new MTU"; return 1; }
}

# count PCAP FILTER: packets of the capture matching a display filter.
count() { tshark -r "$1" -Y "$2" 2>/dev/null | wc -l; }

case_ecn() {
	local a b
	ns_new a && ns_new b || { fail "no namespaces"; return 1; }
	ip link add "ab$$" netns "$a" type veth peer name "ba$$" netns "$b"
	ip -n "$a" addr add 10.79.0.1/24 dev "ab$$"
	ip -n "$b" addr add 10.79.0.2/24 dev "ba$$"
	ip -n "$a" link set "ab$$" up
	ip -n "$b" link set "ba$$" up
	# A congested router's marks, deterministic: every fourth ECT(0)
	# packet a sends leaves it Congestion Experienced.
	nsx_plain "$a" nft -f - <<-'EOF' || { fail "nft: cannot add the marking rule"; return 1; }
		table ip ecnmark {
			chain post {
				type filter hook postrouting priority 0; policy accept;
				ip ecn ect0 numgen inc mod 4 == 0 ip ecn set ce counter
			}
		}
	EOF
	nsx "$b" "$HOSTC" echo-server 7900 >"$D/server.out" 2>"$D/server.err" &
	wait_line "$D/server.out" READY 10 || { fail "server did not start: $(cat "$D/server.err")"; return 1; }
	local on pcap
	for on in 1 0; do
		pcap=$D/ecn$on.pcapng
		ip netns exec "$b" tshark -q -i "ba$$" -f "udp port 9899" -w "$pcap" >"$D/tshark$on.log" 2>&1 &
		local tsh=$!
		sleep 2
		nsx "$a" "$HOSTC" ecn 7900 10.79.0.2 3000 1000 $on >"$D/client$on.out" 2>&1 ||
			{ kill $tsh; fail "transfer with ECN $on failed: $(tail -2 "$D/client$on.out")"; return 1; }
		sleep 0.5
		kill -INT $tsh
		wait $tsh
		grep -q "^ECN $on$" "$D/client$on.out" ||
			{ fail "SCTP_ECN_SUPPORTED on the association: $(grep ECN "$D/client$on.out"), expected $on"; return 1; }
		local bad
		bad=$(count "$pcap" "_ws.malformed || sctp.checksum.status == 0")
		[ "$bad" = 0 ] || { fail "$bad malformed packets or bad checksums"; return 1; }
		local a_init b_ack a_ect a_ce a_not b_ect b_ctl_ect ecne cwr
		a_init=$(count "$pcap" "ip.src == 10.79.0.1 && sctp.chunk_type == 1 && sctp.parameter_type == 0x8000")
		b_ack=$(count "$pcap" "ip.src == 10.79.0.2 && sctp.chunk_type == 2 && sctp.parameter_type == 0x8000")
		a_ect=$(count "$pcap" "ip.src == 10.79.0.1 && sctp.chunk_type == 0 && ip.dsfield.ecn == 2")
		a_ce=$(count "$pcap" "ip.src == 10.79.0.1 && sctp.chunk_type == 0 && ip.dsfield.ecn == 3")
		a_not=$(count "$pcap" "ip.src == 10.79.0.1 && sctp.chunk_type == 0 && ip.dsfield.ecn == 0")
		b_ect=$(count "$pcap" "ip.src == 10.79.0.2 && sctp.chunk_type == 0 && ip.dsfield.ecn == 2")
		b_ctl_ect=$(count "$pcap" "ip.src == 10.79.0.2 && !(sctp.chunk_type == 0) && ip.dsfield.ecn != 0")
		ecne=$(count "$pcap" "ip.src == 10.79.0.2 && sctp.chunk_type == 12")
		cwr=$(count "$pcap" "ip.src == 10.79.0.1 && sctp.chunk_type == 13")
		echo "ECN $on: INIT offers $a_init, INIT ACK offers $b_ack; a's DATA packets ECT(0) $a_ect, CE $a_ce, not-ECT $a_not; b's DATA packets ECT(0) $b_ect, b's packets without DATA not Not-ECT $b_ctl_ect; ECNE from b $ecne, CWR from a $cwr"
		if [ $on = 1 ]; then
			[ "$a_init" -ge 1 ] && [ "$b_ack" -ge 1 ] || { fail "ECN Capable missing from INIT ($a_init) or INIT ACK ($b_ack)"; return 1; }
			[ "$a_ect" -gt 100 ] && [ "$a_ce" -gt 30 ] && [ "$a_not" = 0 ] || { fail "a's DATA: ECT(0) $a_ect, CE $a_ce, not-ECT $a_not"; return 1; }
			[ "$b_ect" -gt 100 ] && [ "$b_ctl_ect" = 0 ] || { fail "b's DATA ECT(0) $b_ect, packets without DATA marked $b_ctl_ect"; return 1; }
			[ "$ecne" -gt 0 ] && [ "$cwr" -gt 0 ] || { fail "no ECNE ($ecne) or CWR ($cwr)"; return 1; }
		else
			local any
			# (b still offers ECN in its INIT ACK: a did not.)
			any=$(count "$pcap" "ip.dsfield.ecn != 0 || sctp.chunk_type == 12 || sctp.chunk_type == 13")
			[ "$a_init" = 0 ] && [ "$b_ack" = 1 ] && [ "$any" = 0 ] || { fail "ECN off, yet a offered it ($a_init) or $any packets carry ECN marks or chunks"; return 1; }
		fi
	done
}

case_asconf() {
	local a b
	ns_new a && ns_new b || { fail "no namespaces"; return 1; }
	ip link add "ab$$" netns "$a" type veth peer name "ba$$" netns "$b"
	ip -n "$a" addr add 10.81.0.1/24 dev "ab$$"
	ip -n "$a" addr add 10.81.0.11/24 dev "ab$$"
	ip -n "$b" addr add 10.81.0.2/24 dev "ba$$"
	ip -n "$a" link set "ab$$" up
	ip -n "$b" link set "ba$$" up
	nsx "$b" stdbuf -oL "$HOSTC" asconf-server 7950 >"$D/server.out" 2>"$D/server.err" &
	wait_line "$D/server.out" READY 10 || { fail "server did not start: $(cat "$D/server.err")"; return 1; }
	local pcap=$D/asconf.pcapng
	ip netns exec "$b" tshark -q -i "ba$$" -f "udp port 9899" -w "$pcap" >"$D/tshark.log" 2>&1 &
	local tsh=$!
	sleep 2
	nsx "$a" "$HOSTC" asconf 7950 10.81.0.2 10.81.0.1 10.81.0.11 600 >"$D/client.out" 2>&1 ||
		{ kill $tsh; fail "renumbering echo failed: $(tail -2 "$D/client.out")"; return 1; }
	sleep 0.5
	kill -INT $tsh
	wait $tsh
	cat "$D/server.out"
	# spc_state: SCTP_ADDR_REMOVED 2, _ADDED 3, _MADE_PRIM 4, _CONFIRMED 5.
	grep -q "^PADDR 10.81.0.11 3$" "$D/server.out" || { fail "b did not report 10.81.0.11 added"; return 1; }
	grep -q "^PADDR 10.81.0.11 5$" "$D/server.out" || { fail "b did not confirm 10.81.0.11"; return 1; }
	grep -q "^PADDR 10.81.0.11 4$" "$D/server.out" || { fail "b did not make 10.81.0.11 primary"; return 1; }
	grep -q "^PADDR 10.81.0.1 2$" "$D/server.out" || { fail "b did not report 10.81.0.1 removed"; return 1; }
	local bad asconf acks last_ack late to_new
	bad=$(count "$pcap" "_ws.malformed || sctp.checksum.status == 0")
	asconf=$(count "$pcap" "ip.src == 10.81.0.0/24 && sctp.chunk_type == 193 && sctp.chunk_type == 15")
	acks=$(count "$pcap" "ip.src == 10.81.0.2 && sctp.chunk_type == 128 && sctp.chunk_type == 15")
	last_ack=$(tshark -r "$pcap" -Y "sctp.chunk_type == 128" -T fields -e frame.time_epoch 2>/dev/null | tail -1)
	late=$(count "$pcap" "ip.dst == 10.81.0.1 && frame.time_epoch > ${last_ack:-0}")
	to_new=$(count "$pcap" "ip.dst == 10.81.0.11 && sctp.chunk_type == 0")
	# F4/F6: from the DELETE on, a no longer sends from the old address.
	local last_asconf from_old
	last_asconf=$(tshark -r "$pcap" -Y "sctp.chunk_type == 193" -T fields -e frame.time_epoch 2>/dev/null | tail -1)
	from_old=$(count "$pcap" "ip.src == 10.81.0.1 && frame.time_epoch >= ${last_asconf:-0}")
	echo "ASCONF chunks (authenticated) $asconf, ASCONF-ACKs $acks, packets to 10.81.0.1 after the last ASCONF-ACK $late, from it after the last ASCONF $from_old, DATA to 10.81.0.11 $to_new, malformed $bad"
	[ "$from_old" = 0 ] || { fail "$from_old packets from the deleted address after the DELETE"; return 1; }
	[ "$bad" = 0 ] || { fail "$bad malformed packets"; return 1; }
	[ "$asconf" -ge 3 ] && [ "$acks" -ge 3 ] || { fail "ASCONF $asconf / ASCONF-ACK $acks (3 each expected, authenticated)"; return 1; }
	[ "$late" = 0 ] || { fail "$late packets to the deleted address after its ASCONF-ACK"; return 1; }
	[ "$to_new" -gt 100 ] || { fail "only $to_new DATA packets to the new primary"; return 1; }
}

for c in five-servers socat-fork prefork daemon scm-rights exec sigkill ports attack stack-death stat pmtu ecn asconf; do
	run_case "$c"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
