#!/bin/sh
# Installs the Debian packages the tests need, if they are missing:
# libsctp-dev (lksctp's <netinet/sctp.h>, for the ABI layout test),
# pkg-config, tshark (captures of the C tests' traffic) and valgrind
# (make test-sanitize). Does nothing when everything is there.
set -e
need=""
for p in libsctp-dev pkg-config tshark valgrind; do
	dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
[ -z "$need" ] && exit 0
echo "installing:$need"
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need >/dev/null
