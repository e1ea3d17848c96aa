#!/bin/bash
# kernel-tests/run.sh [CASE...]: sctpudp against the Linux kernel's SCTP.
#
# Boots the kernel-peer guest (peer/: Debian's Linux 6.1 with SCTP over UDP,
# echo/discard/client-mode servers) with net.sctp.reconf_enable=1,
# net.sctp.prsctp_enable=1, net.sctp.intl_enable=1, net.sctp.auth_enable=1 and
# net.sctp.addip_enable=1,
# builds the C test
# programs (kt_*.c) against the installed sctpudp with pkg-config, runs each
# case with its traffic captured (dumpcap on loopback), checks the capture
# (pcap-check.py), prints a summary table and exits non-zero if anything
# failed.  The guest is always stopped at the end.
#
# Everything runs in a private network namespace (unshare --net): only the
# tests, their host stacks and qemu are on its loopback, so nothing else on
# the machine is captured or disturbed, and no packet can leave it (the
# kernel's INIT lists 10.0.2.15, which is unreachable there).
#
# Cases (default: all, in this order):
#   basic-1to1     kt_echo 1to1    1,000 messages 1 B..64 KiB, one-to-one, echo port 8
#   basic-1tomany  kt_echo 1tomany the same, one-to-many, echo port 7
#   poll           kt_poll         readiness (poll/epoll/MSG_DONTWAIT) per echo
#   client-mode    kt_client       the kernel connects to us (control port 10)
#   reconf         kt_reconf       RE-CONFIG: reset streams/assoc, add streams
#   prsctp         kt_prsctp       PR-SCTP TTL, FORWARD-TSN both ways (UDP relay)
#   idata          kt_idata        I-DATA both ways, interleaving, level 2
#   auth           kt_auth         AUTH: the kernel signs its DATA and SACK for us
#
# Environment:
#   SCTPUDP_PREFIX    installed sctpudp (default: the repository's build/prefix,
#                     made by `make stage`)
#   KT_OUT            logs, captures, binaries (default: build/kernel-tests)
#   KT_CASE_TIMEOUT   seconds per case (default 180; each program also has its
#                     own, shorter, alarm)
#   KPEER_CACHE       guest build + run folder (default /tmp/sctpudp-kernel-peer)
#   KPEER_UDP_PORT    the guest's UDP port on 127.0.0.1 (default 19899)
#   KT_KEEP_PCAP=1    keep the captures of passing cases too
#   KT_NO_NETNS=1     stay in the current network namespace
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
PREFIX=${SCTPUDP_PREFIX:-$REPO/build/prefix}
OUT=${KT_OUT:-$REPO/build/kernel-tests}
CASE_TIMEOUT=${KT_CASE_TIMEOUT:-180}
export KPEER_CACHE=${KPEER_CACHE:-/tmp/sctpudp-kernel-peer}
export KPEER_UDP_PORT=${KPEER_UDP_PORT:-19899}
export KPEER_SYSCTLS=${KPEER_SYSCTLS:-"net.sctp.reconf_enable=1 net.sctp.prsctp_enable=1 net.sctp.intl_enable=1 net.sctp.auth_enable=1 net.sctp.addip_enable=1"}
export KPEER_BOOT_TIMEOUT=${KPEER_BOOT_TIMEOUT:-180}
PEER=$HERE/peer/kernel-peer.sh
ALL_CASES="basic-1to1 basic-1tomany poll client-mode reconf prsctp idata auth"

say() { echo "kernel-tests: $*" >&2; }
die() { say "ERROR: $*"; exit 2; }

case_cmd() {   # case -> "binary args"
	case $1 in
		basic-1to1)    echo "kt_echo 1to1";;
		basic-1tomany) echo "kt_echo 1tomany";;
		poll)          echo "kt_poll";;
		client-mode)   echo "kt_client";;
		reconf)        echo "kt_reconf";;
		prsctp)        echo "kt_prsctp";;
		idata)         echo "kt_idata";;
		auth)          echo "kt_auth";;
		*)             return 1;;
	esac
}
case_pcap() {  # case -> pcap-check.py case
	case $1 in basic-*) echo echo;; poll|client-mode) echo basic;; *) echo "$1";; esac
}

# ------------------------------------------------------------------ outside
if [ -z "${KT_INSIDE:-}" ]; then
	T0=$SECONDS
	CASES=${*:-$ALL_CASES}
	for c in $CASES; do case_cmd "$c" >/dev/null || die "unknown case '$c' (cases: $ALL_CASES)"; done

	# host tools (Debian package names); the guest's own are installed by peer/kernel-peer.sh
	need=()
	command -v tshark >/dev/null || need+=(tshark)
	command -v dumpcap >/dev/null || need+=(tshark)
	command -v cc >/dev/null || need+=(gcc libc6-dev)
	command -v pkg-config >/dev/null || need+=(pkg-config)
	command -v python3 >/dev/null || need+=(python3)
	command -v ip >/dev/null || need+=(iproute2)
	command -v unshare >/dev/null || need+=(util-linux)
	if [ ${#need[@]} -gt 0 ]; then
		[ "$(id -u)" = 0 ] || die "missing tools (${need[*]}) and not root to install them"
		say "installing ${need[*]}"
		apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 \
			|| die "apt-get install ${need[*]} failed"
	fi

	[ -f "$PREFIX/lib/pkgconfig/sctpudp.pc" ] || die "no sctpudp under $PREFIX (run 'make stage' first, or set SCTPUDP_PREFIX)"
	mkdir -p "$OUT/bin" || die "cannot create $OUT"
	OUT=$(cd "$OUT" && pwd)
	export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
	cflags=$(pkg-config --cflags sctpudp) && libs=$(pkg-config --libs sctpudp) || die "pkg-config sctpudp failed"
	say "building the test programs against $PREFIX"
	for src in "$HERE"/kt_*.c; do
		b=$(basename "$src" .c)
		# shellcheck disable=SC2086
		cc -O2 -Wall -Wextra -o "$OUT/bin/$b" "$src" $cflags $libs > "$OUT/bin/$b.build.log" 2>&1 \
			|| { cat "$OUT/bin/$b.build.log" >&2; die "building $b failed"; }
	done
	say "building the guest if needed (the first time downloads the Debian kernel and busybox)"
	timeout 900 bash "$PEER" build >&2 || die "building the kernel-peer guest failed"

	# always stop the guest, whatever happens inside
	trap 'bash "$PEER" stop >/dev/null 2>&1' EXIT
	trap 'exit 130' INT TERM
	export KT_INSIDE=1 KT_OUT_ABS=$OUT KT_PREFIX_ABS=$PREFIX KT_T0=$T0
	if [ "${KT_NO_NETNS:-0}" = 1 ]; then
		bash "${BASH_SOURCE[0]}" $CASES
	elif [ "$(id -u)" = 0 ]; then
		unshare --net bash "${BASH_SOURCE[0]}" $CASES
	else
		unshare --map-root-user --net bash "${BASH_SOURCE[0]}" $CASES
	fi
	rc=$?
	say "total $((SECONDS - T0)) s"
	exit $rc
fi

# ------------------------------------------------------------------ inside
OUT=$KT_OUT_ABS
PREFIX=$KT_PREFIX_ABS
CASES=${*:-$ALL_CASES}
if [ "${KT_NO_NETNS:-0}" != 1 ]; then
	ip link set lo up || die "cannot bring up lo in the new network namespace"
fi
CAP_PID=
cleanup() {
	[ -z "$CAP_PID" ] || { kill "$CAP_PID" 2>/dev/null; wait "$CAP_PID" 2>/dev/null; }
	bash "$PEER" stop >/dev/null 2>&1
	# host stacks of our tests (SCTPUDP_IDLE_EXIT=2): in a namespace of our
	# own they are ours; give them a moment, then end the ones still there
	if [ "${KT_NO_NETNS:-0}" != 1 ]; then
		local me pids p
		me=$(readlink /proc/self/ns/net)
		for _ in $(seq 30); do
			pids=
			for p in $(pgrep -x sctpudpd 2>/dev/null); do
				[ "$(readlink /proc/$p/ns/net 2>/dev/null)" = "$me" ] && pids="$pids $p"
			done
			[ -n "$pids" ] || break
			sleep 0.1
		done
		for p in $pids; do kill "$p" 2>/dev/null; done
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export LD_LIBRARY_PATH=$PREFIX/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export SCTPUDP_UDP_PORT=0 SCTPUDP_REMOTE_UDP_PORT=$KPEER_UDP_PORT SCTPUDP_IDLE_EXIT=2
export KT_PEER_UDP_PORT=$KPEER_UDP_PORT KT_CONSOLE=$KPEER_CACHE/console.log

lib=$(readlink -f "$PREFIX/lib/libsctpudp.so.0")
say "library: $lib ($(date -r "$lib" '+%F %T'))"
if [ "$PREFIX" -ef "$REPO/build/prefix" ] && git -C "$REPO" rev-parse --short HEAD >/dev/null 2>&1; then
	say "repository: $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted changes under src/')"
fi

boot_t0=$SECONDS
say "booting the guest (KPEER_SYSCTLS=$KPEER_SYSCTLS)"
bash "$PEER" start >&2 || die "the guest did not come up"
BOOT_SECS=$((SECONDS - boot_t0))

declare -A RES PRES SECS NOTE
for c in $CASES; do
	read -r bin args <<< "$(case_cmd "$c")"
	log=$OUT/$c.log pcap=$OUT/$c.pcapng
	rm -f "$log" "$pcap"
	if ! bash "$PEER" status >/dev/null 2>&1; then
		say "the guest is gone before $c: restarting it"
		bash "$PEER" restart >&2 || die "the guest did not come back"
	fi
	dumpcap -q -i lo -f "udp" -B 64 -w "$pcap" > "$OUT/$c.dumpcap.log" 2>&1 &
	CAP_PID=$!
	for _ in $(seq 50); do [ -s "$pcap" ] && break; sleep 0.1; done
	[ -s "$pcap" ] || say "warning: dumpcap not capturing yet for $c"
	t0=$(date +%s.%N)
	# shellcheck disable=SC2086
	timeout -k 5 "$CASE_TIMEOUT" "$OUT/bin/$bin" $args > "$log" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	sleep 0.5
	kill "$CAP_PID" 2>/dev/null; wait "$CAP_PID" 2>/dev/null; CAP_PID=
	SECS[$c]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	verdict=$(grep -E '^(PASS|FAIL) ' "$log" | tail -n 1)
	if [ $rc -eq 0 ] && [ "${verdict%% *}" = PASS ]; then
		RES[$c]=PASS
	else
		RES[$c]=FAIL
		[ -n "$verdict" ] || verdict="FAIL: exit status $rc, no verdict (timeout $CASE_TIMEOUT s?)"
	fi
	timeout 300 python3 "$HERE/pcap-check.py" "$(case_pcap "$c")" "$pcap" "$KPEER_UDP_PORT" > "$OUT/$c.pcap.txt" 2>&1
	prc=$?
	PRES[$c]=$([ $prc -eq 0 ] && echo PASS || echo FAIL)
	NOTE[$c]=$(echo "$verdict" | sed -E 's/^(PASS|FAIL) [^:]*: //' | cut -c1-200)
	echo "${RES[$c]} $c (${SECS[$c]} s): $(echo "$verdict" | cut -c1-300)"
	grep -E '^(DEFECT|DIFF|INFO)' "$log" | sed 's/^/    /'
	sed 's/^/    /' "$OUT/$c.pcap.txt"
	if [ "${RES[$c]}${PRES[$c]}" = PASSPASS ]; then
		rm -f "$OUT/$c.dumpcap.log"
		[ "${KT_KEEP_PCAP:-0}" = 1 ] || rm -f "$pcap"
	fi
done
cp "$KPEER_CACHE/console.log" "$OUT/guest-console.log" 2>/dev/null

echo
echo "sctpudp against Linux $(grep -ao 'kernel=[^ ]*' "$KPEER_CACHE/console.log" | head -1 | cut -d= -f2) kernel SCTP over UDP (guest booted in ${BOOT_SECS} s)"
printf '%-14s %-5s %-5s %7s  %s\n' case test pcap seconds notes
# kernel-tests/known-failures: "case: reason" lines for failures we know
# and have written down; such a case failing is XFAIL, and passing fails
# the run (so the list is kept true).
failed=0
for c in $CASES; do
	known=$(sed -n "s/^$c: //p" "$HERE/known-failures" 2>/dev/null)
	printf '%-14s %-5s %-5s %7s  %s\n' "$c" "${RES[$c]}" "${PRES[$c]}" "${SECS[$c]}" "$(echo "${NOTE[$c]}" | cut -c1-110)"
	if [ "${RES[$c]}${PRES[$c]}" = PASSPASS ]; then
		[ -z "$known" ] || { echo "  $c passed but is listed in kernel-tests/known-failures: take it out"; failed=$((failed + 1)); }
	elif [ -n "$known" ]; then
		echo "  XFAIL $c (known: $known)"
	else
		failed=$((failed + 1))
	fi
done
echo "logs and captures of failed cases: $OUT (total $((SECONDS - KT_T0)) s so far)"
[ $failed -eq 0 ] || { echo "$failed case(s) failed"; exit 1; }
echo "all cases passed"
exit 0
