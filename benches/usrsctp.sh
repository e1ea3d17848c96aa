#!/bin/bash
# benches/usrsctp.sh: the peer column of scripts/bench.sh, usrsctp at its
# best build: the upstream 0.9.5.0 release as Debian trixie ships it
# (source package libusrsctp 0.9.5.0-2; the .orig tarball's SHA-256 is
# checked), built with its own autotools at -O2 -DNDEBUG with
# --disable-debug (no SCTP_DEBUG, so no debug output and no -g -O0) and
# without INVARIANTS (the default), as a static library, into
# build/bench/usrsctp (cached: rebuilt only when missing).
#
#   bash benches/usrsctp.sh build                 fetch and build; exit 0 when ready
#   bash benches/usrsctp.sh describe              one line: version and flags
#   bash benches/usrsctp.sh bulk SIZE SECONDS [nodelay]
#   bash benches/usrsctp.sh pingpong SIZE COUNT
#   bash benches/usrsctp.sh setup COUNT
#
# bulk is usrsctp's own tsctp (programs/tsctp.c), two processes on
# loopback, each its own stack on its own UDP encapsulation port:
#
#   sink:   tsctp -E <server udp port> -p 5001
#   sender: tsctp -E <client udp port> -U <server udp port> -p 5001 -T SECONDS -l SIZE [-D] 127.0.0.1
#
# (ordered messages on stream 0, as sctpbench sends; -D turns Nagle off).
# The figure is the sink's: bytes received / time from its first receive
# to the end of the association. pingpong is benches/usrsctp_pingpong.c.
# Prints "RESULT <name> <value> <unit> [extra]" as sctpbench does; any
# other figure (setup) prints nothing. The command lines run are appended
# to build/bench/usrsctp/commands.log.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
dir=$root/build/bench/usrsctp
mkdir -p "$dir"
say() { echo "usrsctp: $*" >&2; }

VERSION=0.9.5.0
DEBVER=0.9.5.0-2
TARBALL=libusrsctp_0.9.5.0.orig.tar.gz
SHA256=260107caf318650a57a8caa593550e39bca6943e93f970c80d6c17e59d62cd92
CFLAGS_USED="-O2 -DNDEBUG"
CONFIGURE_ARGS=(--disable-debug --disable-invariants --disable-shared --enable-static --disable-warnings-as-errors)
src=$dir/usrsctp-$VERSION
tsctp=$src/programs/tsctp
pp=$dir/usrsctp_pingpong
su=$dir/usrsctp_setup
SCTP_PORT=5001

build() {
	if [ ! -f "$dir/$TARBALL" ] || ! echo "$SHA256  $dir/$TARBALL" | sha256sum -c --quiet >/dev/null 2>&1; then
		say "fetching libusrsctp $DEBVER (Debian trixie source)"
		local apt=$dir/apt
		mkdir -p "$apt/lists/partial"
		echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" >"$apt/sources.list"
		local o=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$apt/lists")
		apt-get "${o[@]}" update >"$dir/fetch.log" 2>&1
		(cd "$dir" && apt-get "${o[@]}" source --download-only "libusrsctp=$DEBVER" >>"$dir/fetch.log" 2>&1)
		[ -f "$dir/$TARBALL" ] || { say "could not fetch $TARBALL (see $dir/fetch.log)"; return 1; }
		echo "$SHA256  $dir/$TARBALL" | sha256sum -c --quiet >/dev/null 2>&1 ||
			{ say "$TARBALL does not have SHA-256 $SHA256"; return 1; }
		rm -rf "$src"
	fi
	if [ ! -x "$tsctp" ] || [ ! -f "$src/usrsctplib/.libs/libusrsctp.a" ]; then
		say "building usrsctp $VERSION (CFLAGS=$CFLAGS_USED ${CONFIGURE_ARGS[*]})"
		rm -rf "$src"
		tar -C "$dir" -xzf "$dir/$TARBALL" || return 1
		(cd "$src" && ./bootstrap && ./configure "${CONFIGURE_ARGS[@]}" CFLAGS="$CFLAGS_USED" && make -j2) >"$dir/build.log" 2>&1 ||
			{ say "usrsctp did not build (see $dir/build.log)"; return 1; }
		# The debug output must really be off.
		if grep -q -- '-DSCTP_DEBUG\|-DINVARIANTS' "$dir/build.log"; then
			say "usrsctp was built with SCTP_DEBUG or INVARIANTS (see $dir/build.log)"
			rm -f "$tsctp"
			return 1
		fi
	fi
	if [ ! -x "$pp" ] || [ "$here/usrsctp_pingpong.c" -nt "$pp" ] || [ "$here/usrsctp_common.h" -nt "$pp" ] || [ "$src/usrsctplib/.libs/libusrsctp.a" -nt "$pp" ]; then
		cc -O2 -Wall "$here/usrsctp_pingpong.c" -o "$pp" -I"$src/usrsctplib" \
			"$src/usrsctplib/.libs/libusrsctp.a" -lpthread >"$dir/pingpong-build.log" 2>&1 ||
			{ say "usrsctp_pingpong did not build (see $dir/pingpong-build.log)"; return 1; }
	fi
	if [ ! -x "$su" ] || [ "$here/usrsctp_setup.c" -nt "$su" ] || [ "$here/usrsctp_common.h" -nt "$su" ] || [ "$src/usrsctplib/.libs/libusrsctp.a" -nt "$su" ]; then
		cc -O2 -Wall "$here/usrsctp_setup.c" -o "$su" -I"$src/usrsctplib" \
			"$src/usrsctplib/.libs/libusrsctp.a" -lpthread >"$dir/setup-build.log" 2>&1 ||
			{ say "usrsctp_setup did not build (see $dir/setup-build.log)"; return 1; }
	fi
}

free_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::", 0)); print(s.getsockname()[1])'
}

two_ports() {
	ps=$(free_port)
	pc=$(free_port)
	while [ "$pc" = "$ps" ]; do pc=$(free_port); done
}

bulk() {
	local size=$1 secs=${2%.*} nodelay=${3:-}
	[ "${secs:-0}" -ge 1 ] 2>/dev/null || secs=1
	local d=() name=bulk-$size
	[ "$nodelay" = nodelay ] && d=(-D) && name=$name-nodelay
	two_ports
	local log=$dir/sink.$$.out
	: >"$log"
	local server=("$tsctp" -E "$ps" -p "$SCTP_PORT")
	local client=("$tsctp" -E "$pc" -U "$ps" -p "$SCTP_PORT" -T "$secs" -l "$size" "${d[@]}" 127.0.0.1)
	echo "${server[*]##*/} & ${client[*]##*/}" | sed "s|$src/programs/||g" >>"$dir/commands.log"
	"${server[@]}" >"$log" 2>&1 &
	local spid=$! i
	for ((i = 0; i < 100; i++)); do
		[ -n "$(ss -Hlun "sport = :$ps" 2>/dev/null)" ] && break
		sleep 0.05
	done
	timeout -k 2 $((secs + 30)) "${client[@]}" >"$dir/sender.$$.out" 2>&1 || say "$name: tsctp sender failed: $(tail -1 "$dir/sender.$$.out")"
	# The sink prints "first_length, messages, recv_calls, bytes, seconds, B/s, notifications".
	for ((i = 0; i < 200; i++)); do
		grep -q '^[0-9]*, [0-9]*, ' "$log" && break
		sleep 0.05
	done
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	awk -F', ' -v name="$name" '/^[0-9]+, [0-9]+, / && $5 > 0 { printf "RESULT %s %.1f MB/s\n", name, $4 / $5 / 1e6; ok = 1; exit }
		END { if (!ok) print name ": no figure from the tsctp sink" > "/dev/stderr" }' "$log"
	rm -f "$log" "$dir/sender.$$.out"
}

setup() {
	two_ports
	echo "usrsctp_setup $1 $pc $ps" >>"$dir/commands.log"
	timeout -k 2 120 "$su" "$1" "$pc" "$ps"
}

pingpong() {
	two_ports
	echo "usrsctp_pingpong $1 $2 $pc $ps" >>"$dir/commands.log"
	timeout -k 2 120 "$pp" "$1" "$2" "$pc" "$ps"
}

cmd=${1:-}
shift
case $cmd in
build) build ;;
describe) echo "usrsctp $VERSION (Debian trixie libusrsctp $DEBVER source), ./configure ${CONFIGURE_ARGS[*]} CFLAGS='$CFLAGS_USED'" ;;
bulk) [ -x "$tsctp" ] && bulk "$@" ;;
pingpong) [ -x "$pp" ] && pingpong "$@" ;;
setup) [ -x "$su" ] && setup "$@" ;;
*) exit 0 ;;
esac
