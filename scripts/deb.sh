#!/bin/sh
# Builds the Debian packages (debian/) from a copy of the checkout with
# dpkg-buildpackage -us -uc -b, checks them with lintian (no errors), and
# tries them: the packages unpacked into a scratch root, the echo example
# built there with `pkg-config --cflags --libs sctpudp` against the
# packaged .pc (shared, and static with --static), run over UDP on
# loopback with the packaged host stack. Output: build/deb/*.deb.
#
# With DEB_INSTALL=1 the packages are also installed on this machine with
# apt (what a user does: `apt install ./build/deb/*.deb`) and the example
# is built against the system's pkg-config and run; they are removed
# afterwards. With DEB_CHROOT=DIR they are installed with dpkg into a
# clean Debian root at DIR, made first if it does not exist
# (debootstrap --variant=minbase --include=gcc,libc6-dev,pkgconf
# bookworm DIR), where the example is built with pkg-config and run.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build/deb
ver=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)
src=$out/src/sctpudp-$ver

need=""
for p in dpkg-dev debhelper lintian pkgconf; do
	dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
if [ -n "$need" ]; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi

rm -rf "$out"
mkdir -p "$src"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$src")
echo "== dpkg-buildpackage"
(cd "$src" && dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1) || {
	tail -30 "$out/build.log"
	exit 1
}
mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out"/
ls -l "$out"/*.deb

echo "== lintian"
lintian --fail-on error --tag-display-limit 0 "$out"/*.changes | tee "$out/lintian.log"

echo "== unpacked into a scratch root, the example built and run"
# Not the staged build make points these at: the packages' own files.
unset PKG_CONFIG_PATH LD_LIBRARY_PATH
r=$out/root
mkdir -p "$r"
for d in "$out"/*.deb; do dpkg-deb -x "$d" "$r"; done
multi=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
pc=$r/usr/lib/$multi/pkgconfig
export PKG_CONFIG_SYSROOT_DIR="$r" PKG_CONFIG_LIBDIR="$pc"
cflags=$(pkg-config --cflags sctpudp)
libs=$(pkg-config --libs sctpudp)
slibs=$(pkg-config --static --libs sctpudp)
ex=$root/examples-c
cc -O2 $cflags -o "$out/echo_server" "$ex/echo_server.c" $libs -Wl,-rpath,"$r/usr/lib/$multi"
cc -O2 $cflags -o "$out/echo_client" "$ex/echo_client.c" $libs -Wl,-rpath,"$r/usr/lib/$multi"
# The static one: libsctpudp.a and what it needs, nothing of the .so.
cc -O2 $cflags -o "$out/echo_client_static" "$ex/echo_client.c" \
	"$r/usr/lib/$multi/libsctpudp.a" $(echo "$slibs" | sed 's/-lsctpudp//')
if ldd "$out/echo_client_static" | grep -q libsctpudp; then
	echo "the static build links the shared library" >&2
	exit 1
fi
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR
free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
sport=$(free_port)
cport=$(free_port)
export SCTPUDP_DAEMON="$r/usr/libexec/sctpudp/sctpudpd"
SCTPUDP_UDP_PORT=$sport "$out/echo_server" 127.0.0.1 5999 2 &
server=$!
sleep 1
rc=0
SCTPUDP_UDP_PORT=$cport SCTPUDP_REMOTE_UDP_PORT=$sport "$out/echo_client" 127.0.0.1 5999 100 || rc=1
SCTPUDP_UDP_PORT=$cport SCTPUDP_REMOTE_UDP_PORT=$sport "$out/echo_client_static" 127.0.0.1 5999 100 || rc=1
[ $rc -eq 0 ] || kill $server 2>/dev/null || true
wait $server || rc=1
[ $rc -eq 0 ] || { echo "the packaged library failed the echo" >&2; exit 1; }
echo "== man pages"
for m in "$r"/usr/share/man/man*/*; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null)
	[ -z "$w" ] || { echo "$m: $w" >&2; exit 1; }
done

if [ "${DEB_INSTALL:-0}" = 1 ]; then
	echo "== apt install ./build/deb/*.deb"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$out"/libsctpudp0_*.deb \
		"$out"/libsctpudp-dev_*.deb "$out"/sctpudp-tools_*.deb >/dev/null
	unset SCTPUDP_DAEMON
	cc -O2 $(pkg-config --cflags sctpudp) -o "$out/echo_sys" "$ex/echo_client.c" $(pkg-config --libs sctpudp)
	cc -O2 $(pkg-config --cflags sctpudp) -o "$out/echo_sys_server" "$ex/echo_server.c" $(pkg-config --libs sctpudp)
	# Ports of their own: the scratch root's stacks may still be up on the
	# first ones (they stay 10 s after their last socket).
	sport=$(free_port)
	cport=$(free_port)
	SCTPUDP_UDP_PORT=$sport "$out/echo_sys_server" 127.0.0.1 5998 1 &
	server=$!
	sleep 1
	SCTPUDP_UDP_PORT=$cport SCTPUDP_REMOTE_UDP_PORT=$sport "$out/echo_sys" 127.0.0.1 5998 100 || rc=1
	[ $rc -eq 0 ] || kill $server 2>/dev/null || true
	wait $server || rc=1
	sctpudp-stat --port "$sport" >/dev/null 2>&1 || true
	DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq sctpudp-tools libsctpudp-dev libsctpudp0 >/dev/null
	[ $rc -eq 0 ] || { echo "the installed packages failed the echo" >&2; exit 1; }
fi
if [ -n "${DEB_CHROOT:-}" ]; then
	echo "== a clean Debian root: $DEB_CHROOT"
	c=$DEB_CHROOT
	sport=$(free_port)
	cport=$(free_port)
	if [ ! -x "$c/usr/bin/cc" ]; then
		dpkg -s debootstrap >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
		debootstrap --variant=minbase --include=gcc,libc6-dev,pkgconf bookworm "$c" http://deb.debian.org/debian >"$out/debootstrap.log" 2>&1 ||
			{ echo "debootstrap failed (see $out/debootstrap.log)" >&2; exit 1; }
	fi
	rm -rf "$c/tmp/sctpudp-deb"
	mkdir -p "$c/tmp/sctpudp-deb"
	cp "$out"/libsctpudp0_*.deb "$out"/libsctpudp-dev_*.deb "$out"/sctpudp-tools_*.deb "$ex"/echo_server.c "$ex"/echo_client.c "$c/tmp/sctpudp-deb/"
	mount -t proc proc "$c/proc"
	rc=0
	chroot "$c" sh -ec '
		cat /etc/debian_version
		cd /tmp/sctpudp-deb
		dpkg -i ./*.deb >dpkg.log 2>&1 || { cat dpkg.log; exit 1; }
		cc -O2 $(pkg-config --cflags sctpudp) -o echo_server echo_server.c $(pkg-config --libs sctpudp)
		cc -O2 $(pkg-config --cflags sctpudp) -o echo_client echo_client.c $(pkg-config --libs sctpudp)
		SCTPUDP_UDP_PORT='"$sport"' ./echo_server 127.0.0.1 5997 1 &
		sleep 1
		SCTPUDP_UDP_PORT='"$cport"' SCTPUDP_REMOTE_UDP_PORT='"$sport"' ./echo_client 127.0.0.1 5997 100
		wait
		man -w sctpudp sctpudpd sctpudp-stat >/dev/null 2>&1 || ls /usr/share/man/man7/sctpudp.7.gz /usr/share/man/man8/sctpudpd.8.gz /usr/share/man/man1/sctpudp-stat.1.gz
		dpkg -r sctpudp-tools libsctpudp-dev libsctpudp0 >/dev/null
	' || rc=1
	umount "$c/proc"
	[ $rc -eq 0 ] || { echo "the packages failed in the clean root" >&2; exit 1; }
fi
echo "== packages OK"
