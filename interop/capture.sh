#!/usr/bin/env bash
# capture.sh: capture SCTP-over-UDP traffic on loopback and check every
# packet with Wireshark's dissector.  Usable by any test script.
#
# As a command:
#   capture.sh start DIR PORT...
#       Starts dumpcap on the loopback interface for these UDP ports and
#       returns once it captures; the file is DIR/capture.pcapng (DIR is
#       created; DIR/ports remembers the ports for decoding).
#   capture.sh stop DIR
#       Stops that capture (the file is complete when this returns).
#   capture.sh check DIR [--expect FILTER]... [--expect-count N FILTER]...
#                        [--forbid FILTER]... [--no-lint]
#       Stops the capture if it still runs, then decodes every UDP port of
#       DIR/ports as SCTP (tshark -d udp.port==N,sctp) with CRC32c
#       verification on (-o sctp.checksum:CRC-32c) and the DATA payloads
#       left undissected (-o sctp.ulp_dissection:FALSE: they are test
#       bytes, not the protocol their PPID names), and fails (exit 1,
#       reasons on stdout, one line each) if
#         - dumpcap dropped packets, or no SCTP packet was captured,
#         - any packet is malformed (_ws.malformed),
#         - any packet carries an expert info of severity warning or higher
#           (_ws.expert.severity >= 0x600000; notes and chats are counted
#           in the summary only),
#         - any SCTP checksum is not verified good (sctp.checksum.status
#           other than Good: a bad CRC32c, or one Wireshark could not
#           check),
#         - a --expect display filter matches no packet, an
#           --expect-count filter fewer than N packets, or a --forbid
#           filter any packet,
#         - (protocol checks that Wireshark does not flag; --no-lint turns
#           them off) a packet carries two chunks of a type that makes
#           sense once per packet (INIT, INIT ACK, SACK, SHUTDOWN,
#           SHUTDOWN ACK, COOKIE ECHO, COOKIE ACK, SHUTDOWN COMPLETE), or
#           an ABORT/ERROR chunk's Chunk Length counts the padding after
#           its last error cause (RFC 9260 3.2).
#       Reasons are printed prefixed "capture: "; protocol-check reasons
#       say "protocol:".
#       Writes DIR/summary.txt (packet counts, chunk types, expert infos)
#       and DIR/problems.txt; prints "capture: OK ..." on success.
#   capture.sh tshark DIR [TSHARK-ARGS...]
#       Runs tshark on DIR/capture.pcapng with the same decode-as and
#       checksum options, e.g. `capture.sh tshark DIR -V -Y sctp.chunk_type==1`.
#   capture.sh selftest
#       Sends a good SCTP packet, one with a bad CRC32c and one with a
#       chunk running past the packet (udputil sctpprobe) through a
#       capture, and checks that exactly the last two are flagged: proves
#       that the checksum preference is honoured by the installed
#       Wireshark (an unknown preference value is silently ignored, which
#       would verify nothing) and that malformed packets are caught.
#
# As a library (bash): `. interop/capture.sh` defines capture_start,
# capture_stop, capture_check, capture_tshark and capture_selftest, taking
# the same arguments, and runs nothing.
#
# Needs dumpcap and tshark (Debian package tshark) and root or the
# capture capabilities.  Environment: CAPTURE_IFACE (default lo),
# CAPTURE_UDPUTIL (path of udputil, for selftest; default: next to this
# script in build/).

CAPTURE_IFACE=${CAPTURE_IFACE:-lo}
# Wireshark's expert severities: chat 0x200000, note 0x400000,
# warning 0x600000, error 0x800000.
CAPTURE_SEV_WARN=6291456
CAPTURE_SCTP_CHECKSUM_PREF='sctp.checksum:CRC-32c'
# The DATA payloads are test data: were they handed to the dissector that
# their PPID or SCTP port names (PPID 3 is M3UA, ...), garbage would show
# as that protocol's malformed packets.  SCTP itself is dissected in full.
CAPTURE_SCTP_ULP_PREF='sctp.ulp_dissection:FALSE'

capture_start() {
	local dir=$1
	shift
	[ -n "$dir" ] && [ $# -gt 0 ] || { echo "capture_start: DIR PORT... needed" >&2; return 2; }
	mkdir -p "$dir" || return 2
	rm -f "$dir/capture.pcapng" "$dir/problems.txt" "$dir/summary.txt"
	echo "$*" >"$dir/ports"
	# A marker port, captured but not decoded: capture_stop sends a datagram
	# there and stops only once it is in the file, since the kernel hands
	# the last packets to dumpcap in a block that is retired up to ~0.5 s
	# later (stopping earlier loses the tail of the trace).
	local marker filter="" p
	while :; do
		marker=$((20000 + RANDOM % 10000))
		case " $* " in *" $marker "*) continue ;; esac
		grep -q "$(printf ':%04X ' "$marker")" /proc/net/udp /proc/net/udp6 2>/dev/null || break
	done
	echo "$marker" >"$dir/marker"
	for p in "$@" "$marker"; do
		filter="${filter:+$filter or }port $p"
	done
	# -B: a 64 MiB kernel ring; the default 2 MiB overflows on loopback
	# bursts (the drop count is checked by capture_check)
	dumpcap -i "$CAPTURE_IFACE" -B 64 -f "udp and ($filter)" -w "$dir/capture.pcapng" -q \
		>"$dir/dumpcap.log" 2>&1 </dev/null &
	echo $! >"$dir/dumpcap.pid"
	# dumpcap writes the file header once the interface captures.
	local i
	for i in $(seq 100); do
		if [ -s "$dir/capture.pcapng" ]; then
			sleep 0.1
			return 0
		fi
		if ! kill -0 "$(cat "$dir/dumpcap.pid")" 2>/dev/null; then
			echo "capture_start: dumpcap exited: $(tail -3 "$dir/dumpcap.log")" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "capture_start: dumpcap did not start within 5 s" >&2
	return 1
}

capture_stop() {
	local dir=$1 pid i
	[ -f "$dir/dumpcap.pid" ] || return 0
	pid=$(cat "$dir/dumpcap.pid")
	rm -f "$dir/dumpcap.pid"
	# wait until a marker sent now is in the file: everything before it is
	local mark marker
	marker=$(cat "$dir/marker" 2>/dev/null)
	if [ -n "$marker" ] && kill -0 "$pid" 2>/dev/null; then
		mark="capture-sh-flush-$$-$RANDOM$RANDOM"
		for i in $(seq 150); do
			# resent each 0.5 s in case one is lost
			[ $((i % 25)) = 1 ] && { echo "$mark" >"/dev/udp/127.0.0.1/$marker"; } 2>/dev/null
			grep -qa "$mark" "$dir/capture.pcapng" 2>/dev/null && break
			sleep 0.02
		done
	fi
	kill -INT "$pid" 2>/dev/null || return 0
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	return 0
}

capture_decode_args() {
	local dir=$1 p
	printf '%s\n' -n -o "$CAPTURE_SCTP_CHECKSUM_PREF" -o "$CAPTURE_SCTP_ULP_PREF"
	for p in $(cat "$dir/ports"); do
		printf '%s\n' -d "udp.port==$p,sctp"
	done
}

capture_tshark() {
	local dir=$1
	shift
	local -a dec
	mapfile -t dec < <(capture_decode_args "$dir")
	tshark -r "$dir/capture.pcapng" "${dec[@]}" "$@" 2>/dev/null
}

capture_count() {
	local dir=$1 filter=$2
	capture_tshark "$dir" -Y "$filter" -T fields -e frame.number | grep -c .
}

capture_check() {
	local dir=$1
	shift
	local -a expects=() forbids=() counts=()
	local lint=1
	while [ $# -gt 0 ]; do
		case $1 in
		--expect) expects+=("$2"); shift 2 ;;
		--expect-count) counts+=("$2|$3"); shift 3 ;;
		--forbid) forbids+=("$2"); shift 2 ;;
		--no-lint) lint=0; shift ;;
		*) echo "capture_check: unknown argument $1" >&2; return 2 ;;
		esac
	done
	capture_stop "$dir"
	if [ ! -s "$dir/capture.pcapng" ]; then
		echo "capture: no capture file in $dir" | tee "$dir/problems.txt"
		return 1
	fi
	local problems="$dir/problems.txt" f n
	: >"$problems"
	# a capture that dropped packets cannot vouch for every packet
	n=$(sed -n 's|.*received/dropped on interface.*: [0-9]*/\([0-9]*\) (.*|\1|p' "$dir/dumpcap.log" 2>/dev/null | head -1)
	if [ -n "$n" ] && [ "$n" != 0 ]; then
		echo "capture incomplete: dumpcap reports $n packets dropped ($(grep received/dropped "$dir/dumpcap.log"))" >>"$problems"
	fi

	# One pass over every packet: frame, ports, checksum status, chunk
	# types, expert severities and messages, malformed flag.
	capture_tshark "$dir" -T fields -E separator=$'\x1f' -E occurrence=a -E aggregator=$'\x1e' \
		-e frame.number -e udp.srcport -e udp.dstport -e sctp.checksum.status \
		-e sctp.chunk_type -e _ws.expert.severity -e _ws.expert.message \
		-e _ws.malformed.expert -e _ws.col.Info -e sctp.chunk_length -e sctp.cause_length \
		-Y "!(udp.port == $(cat "$dir/marker" 2>/dev/null || echo 0))" >"$dir/packets.txt"
	awk -F$'\x1f' -v warn="$CAPTURE_SEV_WARN" -v lint="$lint" -v problems="$problems" -v summary="$dir/summary.txt" '
	BEGIN {
		split("DATA INIT INIT_ACK SACK HEARTBEAT HEARTBEAT_ACK ABORT SHUTDOWN SHUTDOWN_ACK ERROR COOKIE_ECHO COOKIE_ACK ECNE CWR SHUTDOWN_COMPLETE AUTH NR_SACK", nm, " ")
		for (i = 0; i < 17; i++) cname[i] = nm[i + 1]
		cname[64] = "I_DATA"; cname[128] = "ASCONF_ACK"; cname[130] = "RE_CONFIG"
		cname[132] = "PAD"; cname[192] = "FORWARD_TSN"; cname[193] = "ASCONF"
		cname[194] = "I_FORWARD_TSN"
	}
	{
		total++
		if ($4 != "" || $5 != "") sctp++
		n = split($4, cs, "\036")
		for (i = 1; i <= n; i++) if (cs[i] != "1") {
			printf "frame %s (%s -> %s): SCTP checksum status %s (%s) [%s]\n", $1, $2, $3, cs[i], cs[i] == "0" ? "bad" : "not verified", $9 >> problems
			bad++
		}
		n = split($5, ct, "\036")
		for (i = 1; i <= n; i++) { t = (ct[i] in cname) ? cname[ct[i]] : "type" ct[i]; chunks[t]++ }
		n = split($6, sv, "\036")
		m = split($7, ms, "\036")
		for (i = 1; i <= n; i++) {
			sev = sv[i] + 0
			lvl = sev >= 8388608 ? "error" : sev >= warn ? "warning" : sev >= 4194304 ? "note" : "chat"
			experts[lvl ": " ms[i]]++
			if (sev >= warn) {
				printf "frame %s (%s -> %s): expert %s: %s [%s]\n", $1, $2, $3, lvl, ms[i], $9 >> problems
				bad++
			}
		}
		if ($8 != "") {
			printf "frame %s (%s -> %s): malformed [%s]\n", $1, $2, $3, $9 >> problems
			bad++
		}
		if (!lint) next
		# protocol: a control chunk that makes sense once per packet, twice
		delete seen
		n = split($5, ct, "\036")
		for (i = 1; i <= n; i++) {
			if (ct[i] ~ /^(1|2|3|7|8|10|11|14)$/ && seen[ct[i]]++ == 1)
				printf "frame %s (%s -> %s): protocol: two %s chunks in one packet [%s]\n", $1, $2, $3, cname[ct[i]], $9 >> problems
		}
		# protocol: ABORT/ERROR whose Chunk Length counts the padding of
		# its last error cause (RFC 9260 3.2: Chunk Length does not count
		# chunk padding); checked when it is the only chunk with causes
		nab = 0
		for (i = 1; i <= n; i++) if (ct[i] == 6 || ct[i] == 9) { nab++; ai = i }
		if (nab == 1 && $11 != "") {
			split($10, cl, "\036")
			m = split($11, cz, "\036")
			want = 4
			for (i = 1; i <= m; i++) want += (i < m) ? int((cz[i] + 3) / 4) * 4 : cz[i]
			if (cl[ai] + 0 != want && cl[ai] + 0 == int((want + 3) / 4) * 4)
				printf "frame %s (%s -> %s): protocol: %s Chunk Length %d counts the final padding (should be %d) [%s]\n", $1, $2, $3, cname[ct[ai]], cl[ai], want, $9 >> problems
		}
	}
	END {
		printf "packets: %d, SCTP packets: %d\nchunks:", total, sctp > summary
		for (c in chunks) printf " %s=%d", c, chunks[c] > summary
		printf "\n" > summary
		for (e in experts) printf "expert %s (x%d)\n", e, experts[e] > summary
		print sctp + 0 > (summary ".sctp")
	}' "$dir/packets.txt"
	if [ "$(cat "$dir/summary.txt.sctp")" = 0 ]; then
		echo "no SCTP packet captured" >>"$problems"
	fi
	rm -f "$dir/summary.txt.sctp"
	# _ws.malformed as a filter too (covers exceptions without an expert field)
	n=$(capture_count "$dir" "_ws.malformed")
	if [ "$n" != 0 ] && ! grep -q malformed "$problems"; then
		echo "$n malformed packet(s) (_ws.malformed)" >>"$problems"
	fi
	for f in "${expects[@]}"; do
		n=$(capture_count "$dir" "$f")
		[ "$n" = 0 ] && echo "expected packets matching '$f', found none" >>"$problems"
		echo "expect '$f': $n" >>"$dir/summary.txt"
	done
	for f in "${counts[@]}"; do
		n=$(capture_count "$dir" "${f#*|}")
		[ "$n" -lt "${f%%|*}" ] &&
			echo "expected at least ${f%%|*} packets matching '${f#*|}', found $n" >>"$problems"
		echo "expect-count ${f%%|*} '${f#*|}': $n" >>"$dir/summary.txt"
	done
	for f in "${forbids[@]}"; do
		n=$(capture_count "$dir" "$f")
		[ "$n" != 0 ] && echo "$n packet(s) match forbidden '$f'" >>"$problems"
		echo "forbid '$f': $n" >>"$dir/summary.txt"
	done
	if [ -s "$problems" ]; then
		sed 's/^/capture: /' "$problems"
		return 1
	fi
	echo "capture: OK $(head -1 "$dir/summary.txt"), $(sed -n 2p "$dir/summary.txt" | sed 's/^chunks: *//')"
	return 0
}

capture_selftest() {
	local here udputil dir port out
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	udputil=${CAPTURE_UDPUTIL:-$here/build/udputil}
	dir=$(mktemp -d)
	port=$("$udputil" freeports 1) || return 1
	capture_start "$dir" "$port" || return 1
	"$udputil" sctpprobe "$port"
	out=$(capture_check "$dir")
	if grep -q '^frame 2 .*checksum status 0' "$dir/problems.txt" &&
		grep -q '^frame 3 .*malformed' "$dir/problems.txt" &&
		! grep -q '^frame 1 ' "$dir/problems.txt" &&
		grep -q '^packets: 3, SCTP packets: 3' "$dir/summary.txt"; then
		echo "capture selftest: OK (good packet passes, bad CRC32c and malformed chunk flagged)"
		rm -rf "$dir"
		return 0
	fi
	echo "capture selftest: FAILED; check output was:"
	echo "$out"
	cat "$dir/summary.txt" 2>/dev/null
	return 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	cmd=${1:-}
	shift || true
	case $cmd in
	start) capture_start "$@" ;;
	stop) capture_stop "$@" ;;
	check) capture_check "$@" ;;
	tshark) capture_tshark "$@" ;;
	selftest) capture_selftest ;;
	*) sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
fi
