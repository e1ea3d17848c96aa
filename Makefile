# sctpudp: build, install, demo and test.
#
#   make demo            build the library and run the echo demo over UDP
#   make test            run every test (installs the Debian packages it needs)
#   make install PREFIX=/usr/local

PREFIX ?= /usr/local
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
BUILD := $(CURDIR)/build
STAGE := $(BUILD)/prefix
CARGO ?= cargo
LIB := $(BUILD)/link/libsctpudp.so
# The shared library is linked from the Rust static library with our own
# version map (link/sctpudp.map): lksctp's sctp_connectx exists in three
# versions, and rustc's cdylib link cannot carry named versions. The
# system libraries are the ones rustc reports for the static library.
NATIVE_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

export PKG_CONFIG_PATH := $(STAGE)/lib/pkgconfig:$(PKG_CONFIG_PATH)
export LD_LIBRARY_PATH := $(STAGE)/lib:$(LD_LIBRARY_PATH)

.PHONY: deb test-deb fuzz bench all build install stage demo test test-rust test-c test-preload test-interop test-host test-functests test-sanitize deps clippy clean

all: build

build:
	$(CARGO) build --release --lib --bins
	mkdir -p $(BUILD)/link
	$(CC) -c -fPIC -O2 -o $(BUILD)/link/symver.o link/symver.c
	$(CC) -shared -o $(LIB) -Wl,-soname,libsctpudp.so.0 -Wl,--version-script=link/sctpudp.map \
		$(BUILD)/link/symver.o -Wl,--whole-archive target/release/libsctpudp.a -Wl,--no-whole-archive \
		$(NATIVE_LIBS) $(LDFLAGS)

# Installs the library (shared and static), the host stack
# (LIBEXECDIR/sctpudpd, which the library starts on demand: next to the
# library, LIBDIR/../libexec/sctpudp, or /usr/libexec/sctpudp, or
# /usr/local/libexec/sctpudp), sctpudp-stat, <sctpudp.h>, an
# lksctp-compatible <netinet/sctp.h> (under include/sctpudp/, found through
# pkg-config's Cflags), sctpudp.pc and the man pages.
LIBDIR ?= $(PREFIX)/lib
LIBEXECDIR ?= $(PREFIX)/libexec/sctpudp
MANDIR ?= $(PREFIX)/share/man
install: build
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/include/sctpudp/netinet \
		$(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(LIB) $(DESTDIR)$(LIBDIR)/libsctpudp.so.$(VERSION)
	install -m 0644 target/release/libsctpudp.a $(DESTDIR)$(LIBDIR)/libsctpudp.a
	install -m 0755 target/release/sctpudpd $(DESTDIR)$(LIBEXECDIR)/sctpudpd
	install -m 0755 target/release/sctpudp-stat $(DESTDIR)$(PREFIX)/bin/sctpudp-stat
	ln -sf libsctpudp.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libsctpudp.so.0
	ln -sf libsctpudp.so.0 $(DESTDIR)$(LIBDIR)/libsctpudp.so
	install -m 0644 include/sctpudp.h $(DESTDIR)$(PREFIX)/include/sctpudp.h
	install -m 0644 include/netinet/sctp.h $(DESTDIR)$(PREFIX)/include/sctpudp/netinet/sctp.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		-e 's|@NATIVE_LIBS@|$(NATIVE_LIBS)|' pkgconfig/sctpudp.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/sctpudp.pc
	install -m 0644 man/sctpudp-stat.1 $(DESTDIR)$(MANDIR)/man1/sctpudp-stat.1
	install -m 0644 man/sctpudp.7 $(DESTDIR)$(MANDIR)/man7/sctpudp.7
	install -m 0644 man/sctpudpd.8 $(DESTDIR)$(MANDIR)/man8/sctpudpd.8

# Debian packages (debian/): libsctpudp0, libsctpudp-dev, sctpudp-tools,
# in build/deb/. Needs a Rust toolchain as for `make build` (rustup's:
# Debian 12's rustc is older than rust-version).
deb:
	sh scripts/deb.sh

# The packages built, lintian-clean of errors, and tried from a scratch
# root (scripts/deb.sh; DEB_INSTALL=1 also installs them with apt).
test-deb: deb

# A private install under build/prefix, used by the demo and the C tests.
stage:
	$(MAKE) install PREFIX=$(STAGE)

demo: stage
	$(MAKE) -C examples-c demo

deps:
	sh scripts/deps.sh

test: deps test-rust test-c test-preload test-interop test-host test-functests test-kernel test-sanitize test-deb

# The cargo-fuzz targets (fuzz/README.md), FUZZ_SECS seconds each
# (default 60; FUZZ_TARGETS picks some), on the nightly toolchain; the
# grown corpus is minimized in place and replayed by `cargo test`.
fuzz:
	sh scripts/fuzz.sh

test-rust:
	$(CARGO) test --all-targets
	$(CARGO) clippy --all-targets -- -D warnings

# t_relay moves 10,000 messages through a lossy relay: give each C test
# up to 5 minutes (they normally take seconds).
# Their traffic is captured and every packet checked with tshark, but for
# t_flood's (two million forged packets, on purpose): it runs after.
test-c: stage
	mkdir -p $(BUILD)
	SCTPUDP_TEST_TIMEOUT=$${SCTPUDP_TEST_TIMEOUT:-300} SCTPUDP_TEST_SKIP="$${SCTPUDP_TEST_SKIP:-} t_flood" \
		sh scripts/capture-run.sh $(BUILD)/c-tests.pcapng sh c-tests/run.sh $(BUILD)/c-tests
	SCTPUDP_TEST_FILTER=t_flood sh c-tests/run.sh $(BUILD)/c-tests

# Unmodified lksctp-tools programs under LD_PRELOAD (installs lksctp-tools).
test-preload: stage
	bash preload-tests/run.sh

# One host stack shared by every process: namespaces of its own per case,
# fork/exec/SCM_RIGHTS, SIGKILL, ports, hostile clients, sctpudp-stat.
test-host: stage
	bash host-tests/run.sh

# Linux's own SCTP suite (lksctp-tools 1.0.21 func_tests, v4 and v6),
# preloaded and relinked, each on the default port's host stack and on a
# stack of its own (SCTPUDP_UDP_PORT=0); functests/known-failures lists
# what does not pass yet (nothing).
test-functests: stage
	bash functests/run.sh

# usrsctp in both directions, every packet checked by tshark (installs
# libusrsctp and tshark).
test-interop: stage
	bash interop/run.sh

# sctpudp against the Linux kernel's SCTP (Debian's 6.1 in a qemu guest)
# through the C API over real UDP, every case captured and checked by tshark
# (kernel-tests/README.md; about a minute, installs qemu on first use);
# kernel-tests/known-failures lists what does not pass yet.
# The C tests and LD_PRELOAD C programs under ASan + UBSan, and the quick
# C tests once under valgrind (scripts/sanitize.sh says what is left out).
test-sanitize: stage
	sh scripts/sanitize.sh

.PHONY: test-kernel
test-kernel: stage
	bash kernel-tests/run.sh

# sctpudp against its 0.1.0 release and raw UDP, side by side in one run
# (see scripts/bench.sh; the README's figures come from it).
bench: stage
	bash scripts/bench.sh

clippy:
	$(CARGO) clippy --all-targets -- -D warnings

clean:
	rm -rf $(BUILD)
	$(CARGO) clean
