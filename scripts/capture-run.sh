#!/bin/sh
# capture-run.sh PCAP COMMAND...: runs COMMAND while capturing every UDP
# datagram on loopback (ports 1024-65535), then decodes all of them as
# SCTP over UDP with Wireshark's dissector (CRC32c verification on) and
# fails if any packet is malformed, carries an expert info of warning
# severity or above, or has a CRC32c that does not verify. Prints one
# summary line. COMMAND's own exit status counts too.
set -u
pcap=$1
shift
if ! command -v dumpcap >/dev/null 2>&1 || ! command -v tshark >/dev/null 2>&1; then
	echo "capture-run: dumpcap/tshark missing (run scripts/deps.sh)" >&2
	exit 1
fi
rm -f "$pcap"
dumpcap -q -i lo -f "udp portrange 1024-65535" -B 64 -w "$pcap" 2>/dev/null &
cap=$!
# Wait until the capture file exists (dumpcap is capturing).
i=0
while [ ! -s "$pcap" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
"$@"
rc=$?
sleep 0.5
kill $cap 2>/dev/null
wait $cap 2>/dev/null
# TSN analysis is off: across the whole test run (many associations, some
# reusing ports) it would relate unrelated packets. The dissector's
# warning for a SACK whose gap blocks cover more than 100 TSNs is not a
# fault (gap blocks are ranges; the relay test's loss with large windows
# makes them long), so a packet whose warning is that one is not counted.
# Malformation, other expert warnings and the CRC32c are checked on every
# packet.
opts="-d udp.port==1024-65535,sctp -o sctp.checksum:CRC-32c -o sctp.ulp_dissection:FALSE -o sctp.tsn_analysis:FALSE"
total=$(tshark -r "$pcap" $opts -Y sctp 2>/dev/null | wc -l)
bad_filter='sctp && (_ws.malformed || (_ws.expert.severity >= 0x600000 && !sctp.sack_number_of_tsns_gap_acked.100) || sctp.checksum.status != 1)'
bad=$(tshark -r "$pcap" $opts -Y "$bad_filter" 2>/dev/null | wc -l)
if [ "$total" -eq 0 ]; then
	echo "capture: no SCTP packet captured in $pcap"
	exit 1
fi
if [ "$bad" -ne 0 ]; then
	echo "capture: $bad of $total SCTP packets malformed, flagged or with a bad CRC32c ($pcap):"
	tshark -r "$pcap" $opts -Y "$bad_filter" 2>/dev/null | head -5
	exit 1
fi
echo "capture: $total SCTP packets, none malformed or flagged, every CRC32c verified"
# The capture is large (the relay test alone moves 640 MB): keep it only
# when asked (CAPTURE_KEEP=1) or when something failed.
[ "${CAPTURE_KEEP:-0}" = 1 ] || rm -f "$pcap"
exit $rc
