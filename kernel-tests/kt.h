/*
 * kt.h: helpers shared by the kernel-tests programs (kt_*.c), which run
 * sctpudp's C API against the Linux kernel's SCTP in the kernel-peer guest
 * (peer/), over real UDP on 127.0.0.1.
 *
 * Header only, so every test builds with one command:
 *   cc -O2 -Wall kt_x.c $(pkg-config --cflags --libs sctpudp)
 *
 * Every program prints "INFO ..." lines, "DEFECT ..." lines for each fault
 * that does not stop it, "DIFF ..." lines for behaviour that differs from
 * Linux's without being a fault, then exactly one verdict line,
 * "PASS <name>: <summary>" or "FAIL <name>: <reason>" (any DEFECT makes it
 * FAIL), and exits 0 only on PASS.  alarm() bounds the whole program (KT_TIMEOUT seconds, default
 * given by the test); every wait on a socket is a poll() with a timeout.
 *
 * Environment (run.sh sets it):
 *   KT_PEER_UDP_PORT   the guest's UDP encapsulation port on 127.0.0.1 (19899)
 *   KT_CONSOLE         the guest's console log (for the discard server's counts)
 *   SCTPUDP_UDP_PORT=0, SCTPUDP_REMOTE_UDP_PORT=$KT_PEER_UDP_PORT
 */
#ifndef KT_H
#define KT_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#pragma GCC diagnostic ignored "-Wunused-function"

static const char *kt_name = "kt";
static const char *volatile kt_step = "start-up";
static unsigned kt_timeout;
/* poll() said POLLIN but a MSG_DONTWAIT recvmsg found nothing (EAGAIN) */
static long kt_spurious;

#define STEP(s) (kt_step = (s))

static void kt_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void kt_info(const char *fmt, ...)
{
	va_list ap;
	printf("INFO ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void kt_fail_at(int line, int err, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
static void kt_fail_at(int line, int err, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (err)
		printf("FAIL %s: line %d: %s: %s (errno %d) (step: %s)\n", kt_name, line, msg, strerror(err), err,
		       kt_step);
	else
		printf("FAIL %s: line %d: %s (step: %s)\n", kt_name, line, msg, kt_step);
	fflush(stdout);
	_exit(1);
}

#define FAIL(...) kt_fail_at(__LINE__, 0, __VA_ARGS__)
#define DIE(...) kt_fail_at(__LINE__, errno, __VA_ARGS__)
#define CHECK(c)                                                                                                       \
	do {                                                                                                           \
		if (!(c))                                                                                              \
			kt_fail_at(__LINE__, 0, "check failed: %s", #c);                                               \
	} while (0)
#define CHECK_EQ(a, b)                                                                                                 \
	do {                                                                                                           \
		long long a_ = (long long)(a), b_ = (long long)(b);                                                    \
		if (a_ != b_)                                                                                          \
			kt_fail_at(__LINE__, 0, "%s is %lld, expected %lld", #a, a_, b_);                              \
	} while (0)
#define SYS(e)                                                                                                         \
	({                                                                                                             \
		long r_ = (long)(e);                                                                                   \
		if (r_ < 0)                                                                                            \
			kt_fail_at(__LINE__, errno, "%s", #e);                                                         \
		r_;                                                                                                    \
	})

/* A difference from Linux that does not stop the test: printed as a
 * "DEFECT" line at once; kt_pass() then turns the verdict into FAIL. */
static int kt_defects;
static char kt_first_defect[1024];
static void kt_defect(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void kt_defect(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("DEFECT %s\n", msg);
	fflush(stdout);
	if (!kt_defects++) snprintf(kt_first_defect, sizeof(kt_first_defect), "%s", msg);
}

/* A behaviour that differs from Linux's but is not a fault of the data path
 * (printed as a "DIFF" line; the verdict stays PASS, with a count). */
static int kt_diffs;
static void kt_diff(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void kt_diff(const char *fmt, ...)
{
	va_list ap;
	printf("DIFF ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	kt_diffs++;
}

static void kt_pass(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void kt_pass(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (kt_spurious)
		printf("INFO poll() reported POLLIN %ld times when recvmsg(MSG_DONTWAIT) then found nothing (EAGAIN)\n",
		       kt_spurious);
	if (kt_defects) {
		printf("FAIL %s: %d defect(s), first: %s (otherwise: %s)\n", kt_name, kt_defects, kt_first_defect, msg);
		fflush(stdout);
		exit(1);
	}
	if (kt_diffs)
		printf("PASS %s: %s; %d difference(s) from Linux (DIFF lines)\n", kt_name, msg, kt_diffs);
	else
		printf("PASS %s: %s\n", kt_name, msg);
	fflush(stdout);
	exit(0);
}

static void kt_on_alarm(int sig)
{
	char buf[512];
	(void)sig;
	int n = snprintf(buf, sizeof(buf), "FAIL %s: timed out after %u s (step: %s)\n", kt_name, kt_timeout, kt_step);
	if (n > 0 && write(1, buf, (size_t)n) < 0) n = 0;
	_exit(3);
}

static void kt_init(const char *name, unsigned timeout_s)
{
	const char *e = getenv("KT_TIMEOUT");
	kt_name = name;
	kt_timeout = e && atoi(e) > 0 ? (unsigned)atoi(e) : timeout_s;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, kt_on_alarm);
	alarm(kt_timeout);
}

static uint16_t kt_peer_udp_port(void)
{
	const char *e = getenv("KT_PEER_UDP_PORT");
	return e && atoi(e) > 0 ? (uint16_t)atoi(e) : 19899;
}

static double kt_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void kt_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- payloads --------------------------------------------------------- */

static uint32_t kt_hash(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

static void kt_fill(void *buf, size_t len, uint32_t seed)
{
	unsigned char *p = buf;
	uint32_t s = kt_hash(seed + 1);
	for (size_t i = 0; i < len; i++) {
		if ((i & 3) == 0) s = s * 1664525U + 1013904223U;
		p[i] = (unsigned char)(s >> (8 * (i & 3)));
	}
}

/* index of the first wrong byte, or -1 */
static long kt_check(const void *buf, size_t len, uint32_t seed)
{
	const unsigned char *p = buf;
	uint32_t s = kt_hash(seed + 1);
	for (size_t i = 0; i < len; i++) {
		if ((i & 3) == 0) s = s * 1664525U + 1013904223U;
		if (p[i] != (unsigned char)(s >> (8 * (i & 3)))) return (long)i;
	}
	return -1;
}

/* ---- sockets ------------------------------------------------------------ */

static struct sockaddr_in kt_addr(const char *ip, uint16_t port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) FAIL("bad address %s", ip);
	return a;
}

static void kt_set_int(int fd, int level, int opt, int v)
{
	if (setsockopt(fd, level, opt, &v, sizeof(v)) < 0) kt_fail_at(__LINE__, errno, "setsockopt %d/%d", level, opt);
}

static void kt_initmsg(int fd, uint16_t out, uint16_t in)
{
	struct sctp_initmsg im;
	memset(&im, 0, sizeof(im));
	im.sinit_num_ostreams = out;
	im.sinit_max_instreams = in;
	SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof(im)));
}

static void kt_subscribe(int fd, const uint16_t *types, int n)
{
	for (int i = 0; i < n; i++) {
		struct sctp_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.se_assoc_id = SCTP_FUTURE_ASSOC;
		ev.se_type = types[i];
		ev.se_on = 1;
		if (setsockopt(fd, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof(ev)) < 0)
			kt_fail_at(__LINE__, errno, "SCTP_EVENT %u", types[i]);
	}
}

/* socket + SCTP_RECVRCVINFO + 4 MiB buffers (the guest bursts a whole cwnd) */
static int kt_socket(int type)
{
	int fd = (int)SYS(socket(AF_INET, type, IPPROTO_SCTP));
	kt_set_int(fd, IPPROTO_SCTP, SCTP_RECVRCVINFO, 1);
	kt_set_int(fd, SOL_SOCKET, SO_RCVBUF, 4 << 20);
	kt_set_int(fd, SOL_SOCKET, SO_SNDBUF, 4 << 20);
	return fd;
}

/* the socket's default remote UDP encapsulation port (SCTP_FUTURE_ASSOC) */
static void kt_set_encaps_port(int fd, uint16_t port)
{
	struct sctp_udpencaps ue;
	memset(&ue, 0, sizeof(ue));
	ue.sue_assoc_id = SCTP_FUTURE_ASSOC;
	ue.sue_port = htons(port);
	SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_REMOTE_UDP_ENCAPS_PORT, &ue, sizeof(ue)));
}

/* the remote UDP encapsulation port of one peer address of an association */
static int kt_get_encaps_port(int fd, sctp_assoc_t id, const struct sockaddr_in *peer)
{
	struct sctp_udpencaps ue;
	socklen_t len = sizeof(ue);
	memset(&ue, 0, sizeof(ue));
	ue.sue_assoc_id = id;
	memcpy(&ue.sue_address, peer, sizeof(*peer));
	if (getsockopt(fd, IPPROTO_SCTP, SCTP_REMOTE_UDP_ENCAPS_PORT, &ue, &len) < 0) return -errno;
	return ntohs(ue.sue_port);
}

static short kt_wait(int fd, short events, int timeout_ms)
{
	struct pollfd p = { fd, events, 0 };
	int r;
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0) DIE("poll");
	if (r == 0) FAIL("no %s on fd %d within %d ms", events & POLLIN ? "input" : "output", fd, timeout_ms);
	return p.revents;
}

static struct sctp_status kt_status(int fd, sctp_assoc_t id)
{
	struct sctp_status st;
	socklen_t len = sizeof(st);
	memset(&st, 0, sizeof(st));
	st.sstat_assoc_id = id;
	SYS(getsockopt(fd, IPPROTO_SCTP, SCTP_STATUS, &st, &len));
	return st;
}

static uint32_t kt_assoc_value(int fd, int opt, sctp_assoc_t id)
{
	struct sctp_assoc_value av;
	socklen_t len = sizeof(av);
	memset(&av, 0, sizeof(av));
	av.assoc_id = id;
	if (getsockopt(fd, IPPROTO_SCTP, opt, &av, &len) < 0) kt_fail_at(__LINE__, errno, "getsockopt %d", opt);
	return av.assoc_value;
}

static void kt_set_assoc_value(int fd, int opt, sctp_assoc_t id, uint32_t v)
{
	struct sctp_assoc_value av;
	memset(&av, 0, sizeof(av));
	av.assoc_id = id;
	av.assoc_value = v;
	if (setsockopt(fd, IPPROTO_SCTP, opt, &av, sizeof(av)) < 0)
		kt_fail_at(__LINE__, errno, "setsockopt %d = %u", opt, v);
}

/* sendmsg with an SCTP_SNDINFO cmsg (and an SCTP_PRINFO one when pr_policy != 0);
 * returns sendmsg's result (errno kept) */
static ssize_t kt_send(int fd, const void *buf, size_t len, const struct sockaddr_in *to, sctp_assoc_t assoc,
		       uint16_t sid, uint32_t ppid, uint16_t flags, uint16_t pr_policy, uint32_t pr_value)
{
	char cbuf[CMSG_SPACE(sizeof(struct sctp_sndinfo)) + CMSG_SPACE(sizeof(struct sctp_prinfo))];
	struct iovec iov = { (void *)buf, len };
	struct msghdr m;
	memset(cbuf, 0, sizeof(cbuf));
	memset(&m, 0, sizeof(m));
	m.msg_name = (void *)to;
	m.msg_namelen = to ? sizeof(*to) : 0;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = cbuf;
	m.msg_controllen = CMSG_SPACE(sizeof(struct sctp_sndinfo)) +
			   (pr_policy ? CMSG_SPACE(sizeof(struct sctp_prinfo)) : 0);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = IPPROTO_SCTP;
	c->cmsg_type = SCTP_SNDINFO;
	c->cmsg_len = CMSG_LEN(sizeof(struct sctp_sndinfo));
	struct sctp_sndinfo si;
	memset(&si, 0, sizeof(si));
	si.snd_sid = sid;
	si.snd_flags = flags;
	si.snd_ppid = ppid;
	si.snd_assoc_id = assoc;
	memcpy(CMSG_DATA(c), &si, sizeof(si));
	if (pr_policy) {
		c = CMSG_NXTHDR(&m, c);
		c->cmsg_level = IPPROTO_SCTP;
		c->cmsg_type = SCTP_PRINFO;
		c->cmsg_len = CMSG_LEN(sizeof(struct sctp_prinfo));
		struct sctp_prinfo pi = { .pr_policy = pr_policy, .pr_value = pr_value };
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	}
	ssize_t n;
	do
		n = sendmsg(fd, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

static void kt_send_ok(int fd, const void *buf, size_t len, const struct sockaddr_in *to, sctp_assoc_t assoc,
		       uint16_t sid, uint32_t ppid, uint16_t flags)
{
	ssize_t n = kt_send(fd, buf, len, to, assoc, sid, ppid, flags, 0, 0);
	if (n < 0) kt_fail_at(__LINE__, errno, "sendmsg %zu bytes stream %u", len, sid);
	if ((size_t)n != len) FAIL("sendmsg sent %zd of %zu bytes", n, len);
}

/* one recvmsg (after waiting up to timeout_ms): returns its length (0 = EOF),
 * fills *ri (zeroed for notifications) and *flags.  The receive is
 * MSG_DONTWAIT after poll(), so a readiness that is not true (counted in
 * kt_spurious) costs a retry, not a hang. */
static ssize_t kt_recv_piece_opt(int fd, void *buf, size_t cap, struct sctp_rcvinfo *ri, int *flags, int timeout_ms,
				 int must)
{
	char cbuf[CMSG_SPACE(sizeof(struct sctp_rcvinfo)) + 64];
	struct iovec iov = { buf, cap };
	struct msghdr m;
	ssize_t n;
	double end = kt_now() + timeout_ms / 1000.0;
	for (;;) {
		int left = (int)((end - kt_now()) * 1000);
		if (must) {
			kt_wait(fd, POLLIN, left > 0 ? left : 0);
		} else {
			struct pollfd p = { fd, POLLIN, 0 };
			if (left <= 0 || poll(&p, 1, left) <= 0) return -2;
		}
		memset(&m, 0, sizeof(m));
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		do
			n = recvmsg(fd, &m, MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			kt_spurious++;
			if (kt_now() >= end && !must) return -2;
			if (kt_now() >= end) FAIL("no data on fd %d within %d ms (poll kept reporting POLLIN)", fd, timeout_ms);
			kt_sleep_ms(1);
			continue;
		}
		break;
	}
	if (n < 0) return n;
	memset(ri, 0, sizeof(*ri));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == IPPROTO_SCTP && c->cmsg_type == SCTP_RCVINFO)
			memcpy(ri, CMSG_DATA(c), sizeof(*ri));
	*flags = m.msg_flags;
	return n;
}

static ssize_t kt_recv_piece(int fd, void *buf, size_t cap, struct sctp_rcvinfo *ri, int *flags, int timeout_ms)
{
	return kt_recv_piece_opt(fd, buf, cap, ri, flags, timeout_ms, 1);
}

static ssize_t kt_recv_whole_opt(int fd, char *buf, size_t cap, struct sctp_rcvinfo *ri, int *flags, int timeout_ms,
				 int must)
{
	size_t len = 0;
	for (;;) {
		struct sctp_rcvinfo r;
		int fl = 0;
		if (len == cap) FAIL("message larger than %zu bytes", cap);
		ssize_t n = kt_recv_piece_opt(fd, buf + len, cap - len, &r, &fl, timeout_ms, must || len);
		if (n == -2) return -1; /* nothing within timeout_ms (only when !must) */
		if (n < 0) DIE("recvmsg");
		if (n == 0) {
			if (len) FAIL("EOF inside a message");
			*flags = fl;
			return 0;
		}
		if (len == 0) *ri = r;
		len += (size_t)n;
		*flags = fl;
		if (fl & MSG_EOR) return (ssize_t)len;
	}
}

/* a whole message or notification (fragment interleave level 0/1: pieces of
 * one message are not mixed with others); FAILs on error, timeout, or if
 * cap is hit */
static size_t kt_recv_whole(int fd, char *buf, size_t cap, struct sctp_rcvinfo *ri, int *flags, int timeout_ms)
{
	return (size_t)kt_recv_whole_opt(fd, buf, cap, ri, flags, timeout_ms, 1);
}

/* the same, but -1 when nothing arrives within timeout_ms */
static ssize_t kt_try_recv_whole(int fd, char *buf, size_t cap, struct sctp_rcvinfo *ri, int *flags, int timeout_ms)
{
	return kt_recv_whole_opt(fd, buf, cap, ri, flags, timeout_ms, 0);
}

static const char *kt_note_name(uint16_t t)
{
	switch (t) {
	case SCTP_ASSOC_CHANGE: return "ASSOC_CHANGE";
	case SCTP_PEER_ADDR_CHANGE: return "PEER_ADDR_CHANGE";
	case SCTP_SEND_FAILED: return "SEND_FAILED";
	case SCTP_REMOTE_ERROR: return "REMOTE_ERROR";
	case SCTP_SHUTDOWN_EVENT: return "SHUTDOWN_EVENT";
	case SCTP_PARTIAL_DELIVERY_EVENT: return "PARTIAL_DELIVERY_EVENT";
	case SCTP_ADAPTATION_INDICATION: return "ADAPTATION_INDICATION";
	case SCTP_SENDER_DRY_EVENT: return "SENDER_DRY_EVENT";
	case SCTP_STREAM_RESET_EVENT: return "STREAM_RESET_EVENT";
	case SCTP_ASSOC_RESET_EVENT: return "ASSOC_RESET_EVENT";
	case SCTP_STREAM_CHANGE_EVENT: return "STREAM_CHANGE_EVENT";
	case SCTP_SEND_FAILED_EVENT: return "SEND_FAILED_EVENT";
	default: return "?";
	}
}

/* Connects a one-to-one socket (blocking, bounded by SO_SNDTIMEO). */
static void kt_connect(int fd, const struct sockaddr_in *to, int timeout_s)
{
	struct timeval tv = { timeout_s, 0 };
	SYS(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0)
		kt_fail_at(__LINE__, errno, "connect to %s:%u", inet_ntoa(to->sin_addr), ntohs(to->sin_port));
	tv.tv_sec = 0;
	SYS(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
}

/* The guest's console log: the last line containing `needle` (static buffer) or NULL */
static const char *kt_console_last(const char *needle)
{
	static char line[512], found[512];
	const char *path = getenv("KT_CONSOLE");
	FILE *f = path ? fopen(path, "r") : NULL;
	int have = 0;
	if (!f) return NULL;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle)) {
			snprintf(found, sizeof(found), "%s", line);
			found[strcspn(found, "\r\n")] = 0;
			have = 1;
		}
	fclose(f);
	return have ? found : NULL;
}

#endif
