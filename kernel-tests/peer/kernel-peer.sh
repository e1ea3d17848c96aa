#!/bin/bash
# kernel-peer.sh - the real Linux kernel SCTP stack, with RFC 6951 UDP
# encapsulation, as a test peer: a small qemu guest (Debian bookworm kernel +
# busybox + five tiny static C servers) reachable from the host only through
# qemu's user-mode network, as UDP on 127.0.0.1:$KPEER_UDP_PORT.
#
#   kernel-peer.sh start      build on first use, boot in the background, wait for READY
#   kernel-peer.sh stop       kill the qemu this script started (pid file), nothing else
#   kernel-peer.sh restart    stop + start
#   kernel-peer.sh status     exit 0 when the guest is up and READY
#   kernel-peer.sh console    print the guest's serial console log
#   kernel-peer.sh selftest   hand-crafted SCTP-over-UDP checks from Python (no host SCTP)
#   kernel-peer.sh build      only build (kernel, modules, servers, initramfs)
#
# Guest servers (SCTP ports, all reached through UDP encapsulation port 9899):
#   7  echo, one-to-many (SOCK_SEQPACKET): same assoc, stream, PPID, unordered flag
#   8  echo, one-to-one (SOCK_STREAM), one process per association
#   9  discard, one-to-many; logs bytes/messages per association on the console
#  10  client-mode control: the message "connect SCTP_PORT UDP_PORT COUNT SIZE ECHO"
#      makes the guest connect to 10.0.2.2:SCTP_PORT (= host 127.0.0.1) through
#      UDP port UDP_PORT, send COUNT messages of SIZE bytes (expecting echoes if
#      ECHO=1), shut down, and answer "ok sent=N echoed=M" or "error: ..."
#      (see src/connect.c)
#  11 echo, one-to-many, with what KPEER_SYSCTLS enables turned on for the socket:
#      every RE-CONFIG request accepted (net.sctp.reconf_enable=1), I-DATA with
#      fragment interleave 2 and the round-robin scheduler (net.sctp.intl_enable=1)
#      (see src/echoext.c)
#
# Environment:
#   KPEER_CACHE          build + run folder (default /tmp/sctpudp-kernel-peer)
#   KPEER_UDP_PORT       host port on 127.0.0.1 forwarded to the guest's UDP 9899 (default 19899)
#   KPEER_ACCEL          kvm | tcg (default: kvm when /dev/kvm opens and a kvm guest
#                        prints its banner within KPEER_KVM_PROBE=6 s, else tcg)
#   KPEER_BOOT_TIMEOUT   seconds to wait for READY (default 60 with kvm, 300 with tcg)
#   KPEER_SYSCTLS        extra guest sysctls applied before the servers start,
#                        e.g. "net.sctp.reconf_enable=1 net.sctp.intl_enable=1"
#   KPEER_KERNEL_PKG     kernel package (default: what linux-image-amd64 depends on)
#
# Traffic stays on this machine: the host side is 127.0.0.1 only; 10.0.2.x
# exists only inside qemu's slirp, which maps every 10.0.2.x destination except
# its DNS alias 10.0.2.3 to the host's 127.0.0.1.  The guest has NO default
# route (unreachable default, unreachable 10.0.2.3): it can reach only
# 10.0.2.0/24, i.e. host loopback, even when a peer's INIT lists other
# addresses (Linux would otherwise send HEARTBEATs to them through slirp).
# (slirp's restrict=on cannot be used: it also drops the guest's UDP replies.)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$HERE/src
CACHE=${KPEER_CACHE:-/tmp/sctpudp-kernel-peer}
UDP_PORT=${KPEER_UDP_PORT:-19899}
GUEST_UDP_PORT=9899
PIDFILE=$CACHE/qemu.pid
CONSOLE=$CACHE/console.log
RUNINFO=$CACHE/run.info
BUILD=$CACHE/build
SERVERS="echo echo1to1 discard connect echoext"

say() { echo "kernel-peer: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- host tools
APT_UPDATED=
apt_install() {   # apt_install PKG...
	[ "$(id -u)" = 0 ] || die "need root to apt-get install $*"
	if [ -z "$APT_UPDATED" ]; then
		say "apt-get update"
		apt-get update -qq >&2 || die "apt-get update failed"
		APT_UPDATED=1
	fi
	say "apt-get install $*"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2 \
		|| die "apt-get install $* failed"
}

ensure_host_tools() {
	local need=()
	command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
	command -v gcc >/dev/null || need+=(gcc libc6-dev)
	command -v cpio >/dev/null || need+=(cpio)
	command -v modinfo >/dev/null || [ -x /sbin/modinfo ] || need+=(kmod)
	[ -f /usr/include/netinet/sctp.h ] || need+=(libsctp-dev)
	[ -f /usr/include/linux/sctp.h ] || need+=(linux-libc-dev)
	[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || need+=(libc6-dev)
	[ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"
	PATH=$PATH:/sbin:/usr/sbin
}

apt_download() {  # apt_download PKG DIR -> prints the .deb path
	local pkg=$1 dir=$2 deb
	mkdir -p "$dir"
	deb=$(ls "$dir"/"${pkg}"_*.deb 2>/dev/null | head -1 || true)
	if [ -z "$deb" ]; then
		say "apt-get download $pkg"
		# _apt cannot write into root-owned folders; download in a world-writable temp dir
		local tmp; tmp=$(mktemp -d); chmod 777 "$tmp"
		if ! (cd "$tmp" && apt-get download -qq "$pkg" >&2); then
			[ -n "$APT_UPDATED" ] || { apt-get update -qq >&2; APT_UPDATED=1; }
			(cd "$tmp" && apt-get download -qq "$pkg" >&2) || die "apt-get download $pkg failed"
		fi
		mv "$tmp"/*.deb "$dir"/ && rmdir "$tmp"
		deb=$(ls "$dir"/"${pkg}"_*.deb | head -1)
	fi
	echo "$deb"
}

# ---------------------------------------------------------------- build
kernel_pkg() {
	if [ -n "${KPEER_KERNEL_PKG:-}" ]; then echo "$KPEER_KERNEL_PKG"; return; fi
	local p
	p=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
	if [ -z "$p" ] && [ -z "$APT_UPDATED" ] && [ "$(id -u)" = 0 ]; then
		apt-get update -qq >&2; APT_UPDATED=1
		p=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
	fi
	[ -n "$p" ] || die "cannot resolve linux-image-amd64 (set KPEER_KERNEL_PKG)"
	echo "$p"
}

build_kernel() {  # -> $BUILD/vmlinuz, $BUILD/modules/*.ko, $BUILD/modules.order
	[ -f "$BUILD/vmlinuz" ] && [ -f "$BUILD/modules.order" ] && return
	local pkg deb root kver
	pkg=$(kernel_pkg)
	deb=$(apt_download "$pkg" "$CACHE/debs")
	root=$CACHE/kernel-root
	rm -rf "$root"; mkdir -p "$root"
	say "extracting $(basename "$deb")"
	dpkg-deb -x "$deb" "$root"
	kver=$(ls "$root/lib/modules" | head -1)
	mkdir -p "$BUILD/modules"
	cp "$root/boot/vmlinuz-$kver" "$BUILD/vmlinuz.tmp"

	# name -> path for every module in the package (file names use - or _)
	declare -A path
	local f n
	while IFS= read -r f; do n=$(basename "$f" .ko); path[${n//-/_}]=$f; done \
		< <(find "$root/lib/modules/$kver" -name '*.ko')
	# depth-first dependency order (modinfo -F depends); libcrc32c has a
	# soft "pre: crc32c" dependency, so the crc32c providers come first.
	local order=() seen=" "
	visit() {
		local m=$1 d
		case "$seen" in *" $m "*) return;; esac
		seen="$seen$m "
		[ -n "${path[$m]:-}" ] || die "module $m not in $pkg"
		for d in $(modinfo -F depends "${path[$m]}" | tr ',' ' '); do visit "${d//-/_}"; done
		order+=("$m")
	}
	for n in crc32c_intel crc32c_generic virtio_pci virtio_net sctp; do visit "$n"; done
	rm -f "$BUILD"/modules/*.ko
	for n in "${order[@]}"; do cp "${path[$n]}" "$BUILD/modules/$n.ko"; done
	printf '%s\n' "${order[@]}" > "$BUILD/modules.order"
	echo "$pkg $kver" > "$BUILD/kernel.version"
	mv "$BUILD/vmlinuz.tmp" "$BUILD/vmlinuz"
	rm -rf "$root" "$deb"
	say "kernel $kver, modules: ${order[*]}"
}

build_busybox() {
	[ -x "$BUILD/busybox" ] && return
	local deb tmp
	deb=$(apt_download busybox-static "$CACHE/debs")
	tmp=$(mktemp -d)
	dpkg-deb -x "$deb" "$tmp"
	cp "$tmp/bin/busybox" "$BUILD/busybox"
	rm -rf "$tmp"
}

build_servers() {
	mkdir -p "$BUILD/bin"
	local s
	for s in $SERVERS; do
		gcc -static -O2 -Wall -Wextra -o "$BUILD/bin/sctp-$s" "$SRC/$s.c" || die "compiling $s.c failed"
	done
}

write_init() {  # the guest's /init (busybox sh)
	cat <<'EOF'
#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
echo "kpeer: init on $(uname -r)"
for m in $(cat /etc/kpeer/modules.order); do
	insmod /lib/modules/$m.ko || echo "kpeer: insmod $m failed"
done
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
# no default route: the guest may only reach 10.0.2.0/24 (slirp maps it to the
# host's 127.0.0.1); 10.0.2.3 is slirp's DNS alias, which would leave the machine
ip route add unreachable default
ip route add unreachable 10.0.2.3/32
sysctl -q -w net.core.rmem_max=16777216 net.core.wmem_max=16777216
sysctl -q -w net.sctp.sndbuf_policy=1 net.sctp.rcvbuf_policy=1
# RFC 6951: listen for SCTP-over-UDP on 9899, default remote encapsulation port 9899
sysctl -w net.sctp.udp_port=9899 net.sctp.encap_port=9899
for kv in $(sed -n 's/.*kpeer_sysctl=\([^ ]*\).*/\1/p' /proc/cmdline | tr ',' ' '); do
	sysctl -w "$kv"
done
run() {  # keep a server running; its log lines go to the console
	while :; do "$@"; echo "kpeer: $* exited (rc=$?), restarting"; sleep 1; done
}
run /kpeer/sctp-echo 7 &
run /kpeer/sctp-echo1to1 8 &
run /kpeer/sctp-discard 9 &
run /kpeer/sctp-connect 10 &
run /kpeer/sctp-echoext 11 &
i=0
while [ $i -lt 100 ]; do
	up=$(awk 'NR > 1 { print $6 }' /proc/net/sctp/eps | sort -n | tr '\n' ' ')
	[ "$up" = "7 8 9 10 11 " ] && break
	i=$((i + 1)); sleep 0.1
done
echo "kpeer: sctp endpoints: $up"
echo "kpeer: sysctl udp_port=$(cat /proc/sys/net/sctp/udp_port) encap_port=$(cat /proc/sys/net/sctp/encap_port)"
if [ "$up" = "7 8 9 10 11 " ] && [ "$(cat /proc/sys/net/sctp/udp_port)" = 9899 ]; then
	echo "KPEER READY kernel=$(uname -r) udp_port=9899 sctp_ports=7,8,9,10,11 uptime=$(cut -d' ' -f1 /proc/uptime)"
else
	echo "KPEER FAILED: sctp endpoints '$up', udp_port $(cat /proc/sys/net/sctp/udp_port 2>&1)"
fi
while :; do sleep 3600; done
EOF
}

build_initramfs() {
	local stage=$CACHE/stage
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,dev,proc,sys,tmp,kpeer,etc/kpeer,lib/modules}
	cp "$BUILD/busybox" "$stage/bin/busybox"
	cp "$BUILD"/modules/*.ko "$stage/lib/modules/"
	cp "$BUILD/modules.order" "$stage/etc/kpeer/modules.order"
	cp "$BUILD"/bin/sctp-* "$stage/kpeer/"
	write_init > "$stage/init"
	chmod 755 "$stage/init"
	(cd "$stage" && find . | sort | cpio -o -H newc -R 0:0 --quiet | gzip -6) > "$BUILD/initramfs.gz.tmp"
	mv "$BUILD/initramfs.gz.tmp" "$BUILD/initramfs.gz"
	rm -rf "$stage"
}

build() {
	mkdir -p "$BUILD"
	ensure_host_tools
	build_kernel
	build_busybox
	# servers + initramfs are rebuilt whenever this script or the sources change
	local stamp
	stamp=$(cat "${BASH_SOURCE[0]}" "$SRC"/*.c "$SRC"/*.h "$BUILD/modules.order" | sha256sum | cut -c1-16)
	if [ "$(cat "$BUILD/stamp" 2>/dev/null)" != "$stamp" ] || [ ! -f "$BUILD/initramfs.gz" ]; then
		say "building servers and initramfs"
		build_servers
		build_initramfs
		echo "$stamp" > "$BUILD/stamp"
	fi
}

# ---------------------------------------------------------------- run
qemu_pid() {  # prints the pid when our qemu is alive
	local pid
	pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
	[ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
	# guard against pid reuse: it must be qemu running our kernel image
	tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "qemu-system-x86_64.*$BUILD/vmlinuz" || return 1
	echo "$pid"
}

kvm_usable() { [ -c /dev/kvm ] && { exec 9<>/dev/kvm; } 2>/dev/null && exec 9>&-; }

launch() {  # launch ACCEL
	local accel=$1 a
	case $accel in
		kvm) a=(-enable-kvm -cpu host);;
		*)   a=(-accel tcg -cpu max);;
	esac
	QEMU_CMD=(qemu-system-x86_64 "${a[@]}" -m 256M -smp 1 -nodefaults -no-reboot
		-kernel "$BUILD/vmlinuz" -initrd "$BUILD/initramfs.gz"
		-append "console=ttyS0 panic=-1 rdinit=/init${KPEER_SYSCTLS:+ kpeer_sysctl=$(echo $KPEER_SYSCTLS | tr ' ' ',')}"
		-display none -serial "file:$CONSOLE" -monitor none
		-netdev "user,id=n0,ipv6=off,hostfwd=udp:127.0.0.1:${UDP_PORT}-:${GUEST_UDP_PORT}"
		-device virtio-net-pci,netdev=n0,romfile=
		-daemonize -pidfile "$PIDFILE")
	rm -f "$CONSOLE" "$PIDFILE"
	"${QEMU_CMD[@]}" 8>&- 2> "$CACHE/qemu.stderr"   # 8: the flock fd must not leak into qemu
}

wait_console() {  # wait_console PATTERN TIMEOUT -> 0 seen, 1 qemu gone, 2 timed out
	local t0=$SECONDS
	while :; do
		grep -aqE "$1" "$CONSOLE" 2>/dev/null && return 0
		qemu_pid >/dev/null || return 1
		[ $((SECONDS - t0)) -lt "$2" ] || return 2
		sleep 0.2
	done
}

kill_qemu() {
	local pid
	pid=$(qemu_pid) || { rm -f "$PIDFILE"; return 0; }
	kill "$pid"
	for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
	[ ! -d "/proc/$pid" ] || kill -9 "$pid"
	rm -f "$PIDFILE"
	echo "$pid"
}

fail_with_console() {
	say "ERROR: $*; console tail:"
	tail -n 40 "$CONSOLE" >&2 2>/dev/null || true
	[ ! -s "$CACHE/qemu.stderr" ] || cat "$CACHE/qemu.stderr" >&2
	kill_qemu >/dev/null
	exit 1
}

start() {
	build
	local pid
	if pid=$(qemu_pid); then
		say "already running (pid $pid, $(cat "$RUNINFO" 2>/dev/null))"
		return 0
	fi
	local t0=$SECONDS accel=${KPEER_ACCEL:-}
	# /dev/kvm can exist and open yet not run a guest (nested virtualisation):
	# a kvm boot that prints no kernel banner within KPEER_KVM_PROBE seconds is
	# abandoned for tcg, and remembered in $CACHE/kvm.broken.
	if [ -z "$accel" ]; then
		if kvm_usable && [ "$(cat "$CACHE/kvm.broken" 2>/dev/null)" != "$(uname -r)" ]; then
			accel=kvm
		else
			accel=tcg
		fi
	fi
	if ! launch "$accel"; then
		# some hosts' kvm makes qemu abort at once (e.g. "failed to set MSR
		# 0x10a" under nested virtualisation) instead of hanging the guest
		[ "$accel" = kvm ] && [ -z "${KPEER_ACCEL:-}" ] || fail_with_console "qemu ($accel) failed to start"
		say "qemu with kvm failed to start ($(tail -n 1 "$CACHE/qemu.stderr" 2>/dev/null)): using tcg"
		uname -r > "$CACHE/kvm.broken"
		accel=tcg
		launch tcg || fail_with_console "qemu (tcg) failed to start"
	fi
	if [ "$accel" = kvm ] && [ -z "${KPEER_ACCEL:-}" ] && ! wait_console 'Linux version' "${KPEER_KVM_PROBE:-6}"; then
		say "kvm guest printed nothing in ${KPEER_KVM_PROBE:-6}s: kvm does not work here, using tcg"
		kill_qemu >/dev/null
		uname -r > "$CACHE/kvm.broken"
		accel=tcg
		launch tcg || fail_with_console "qemu (tcg) failed to start"
	fi
	echo "accel=$accel udp=127.0.0.1:$UDP_PORT started=$(date +%s)" > "$RUNINFO"
	printf '%q ' "${QEMU_CMD[@]}" > "$CACHE/qemu.cmdline"; echo >> "$CACHE/qemu.cmdline"
	local timeout=${KPEER_BOOT_TIMEOUT:-}
	[ -n "$timeout" ] || { [ "$accel" = kvm ] && timeout=60 || timeout=300; }
	local rc=0
	wait_console '^KPEER (READY|FAILED)' "$timeout" || rc=$?
	[ $rc -ne 0 ] || grep -aq '^KPEER READY' "$CONSOLE" || rc=3
	case $rc in
		0) say "up in $((SECONDS - t0))s ($accel): $(grep -am1 '^KPEER READY' "$CONSOLE" | tr -d '\r')"
		   say "SCTP over UDP at 127.0.0.1:$UDP_PORT (echo 7, echo one-to-one 8, discard 9, client control 10, extensions echo 11)";;
		1) fail_with_console "qemu exited before the guest was ready";;
		3) fail_with_console "guest came up without its servers";;
		*) fail_with_console "guest not READY after ${timeout}s";;
	esac
}

stop() {
	local pid
	if pid=$(kill_qemu) && [ -n "$pid" ]; then
		say "stopped (pid $pid)"
	else
		say "not running"
	fi
}

status() {
	local pid
	if pid=$(qemu_pid); then
		if grep -q '^KPEER READY' "$CONSOLE" 2>/dev/null; then
			echo "running pid=$pid $(cat "$RUNINFO" 2>/dev/null) ready: $(grep -m1 '^KPEER READY' "$CONSOLE" | tr -d '\r')"
			return 0
		fi
		echo "running pid=$pid $(cat "$RUNINFO" 2>/dev/null) NOT READY yet"
		return 1
	fi
	echo "not running"
	return 3
}

case "${1:-}" in
	start)    (flock 8; start) 8> "$(mkdir -p "$CACHE" && echo "$CACHE/lock")";;
	stop)     (flock 8; stop) 8> "$(mkdir -p "$CACHE" && echo "$CACHE/lock")";;
	restart)  (flock 8; stop; start) 8> "$(mkdir -p "$CACHE" && echo "$CACHE/lock")";;
	status)   status;;
	console)  cat "$CONSOLE";;
	build)    (flock 8; build) 8> "$(mkdir -p "$CACHE" && echo "$CACHE/lock")";;
	selftest) status >/dev/null || die "guest not running/ready (kernel-peer.sh start)"
	          exec python3 "$SRC/selftest.py" --port "$UDP_PORT" --console "$CONSOLE" "${@:2}";;
	*)        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2;;
esac
