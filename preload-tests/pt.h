/*
 * pt.h: helpers for the LD_PRELOAD acceptance tests (preload-tests/t_*.c).
 *
 * The tests are ordinary lksctp-tools programs: built against the SYSTEM
 * <netinet/sctp.h> (libsctp-dev) and linked with -lsctp, never with
 * sctpudp.  run.sh runs them with LD_PRELOAD=libsctpudp.so, so every SCTP
 * socket they create is sctpudp's.
 *
 * Each process of the stack owns one UDP encapsulation port, read from
 * SCTPUDP_UDP_PORT when its first SCTP socket is created, and connects new
 * associations to SCTPUDP_REMOTE_UDP_PORT.  A test starts its peers by
 * re-executing itself (/proc/self/exe, with a role argument) with those two
 * variables set, BEFORE it creates any SCTP socket itself; it then sets its
 * own with pt_ports() and creates its sockets.
 *
 * Verdict: exactly one line "PASS <name>" or "FAIL <name>: <reason>" on
 * stdout, exit status 0 only on PASS.  Every wait is bounded (poll with a
 * timeout, and alarm() as a last resort), so a hang becomes a FAIL.
 */
#ifndef PT_H
#define PT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#pragma GCC diagnostic ignored "-Wunused-function"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *pt_name = "?";
static const char *pt_role = "main";
static const char *volatile pt_step = "start";
static pid_t pt_children[16];
static int pt_nchildren;

#define STEP(s) (pt_step = (s))

static void pt_kill_children(void)
{
	for (int i = 0; i < pt_nchildren; i++)
		if (pt_children[i] > 0)
			kill(pt_children[i], SIGKILL);
}

static void pt_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void pt_fail(const char *fmt, ...)
{
	va_list ap;
	char msg[1024];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	printf("FAIL %s: [%s] %s\n", pt_name, pt_role, msg);
	fflush(stdout);
	pt_kill_children();
	_exit(1);
}

#define CHECK(cond, ...)                   \
	do {                               \
		if (!(cond))               \
			pt_fail(__VA_ARGS__); \
	} while (0)

/* CHECK for calls returning -1 with errno. */
#define CHECK_SYS(call, what)                                                       \
	do {                                                                        \
		if ((call) < 0)                                                     \
			pt_fail("%s:%d: %s: %s (errno %d)", __FILE__, __LINE__, what, \
				strerror(errno), errno);                            \
	} while (0)

static void pt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void pt_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("  [%s %s %d] ", pt_name, pt_role, (int)getpid());
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	va_end(ap);
}

static void pt_on_alarm(int sig)
{
	(void)sig;
	char b[512];
	int n = snprintf(b, sizeof b, "FAIL %s: [%s] timeout (alarm) during: %s\n", pt_name, pt_role, pt_step);
	if (write(1, b, (size_t)n) < 0) {
	}
	pt_kill_children();
	_exit(1);
}

/* Name, role and an overall alarm for this process. */
static void pt_init(const char *name, const char *role, unsigned alarm_s)
{
	pt_name = name;
	pt_role = role;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, pt_on_alarm);
	alarm(alarm_s);
}

static double pt_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pt_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

/* A UDP port that is free right now (kernel UDP socket, not SCTP). The
 * stack binds [::]:port dual-stack, so probe the same way. */
static int pt_free_udp_port(void)
{
	int s = socket(AF_INET6, SOCK_DGRAM, 0);
	CHECK(s >= 0, "probe UDP socket: %s", strerror(errno));
	struct sockaddr_in6 a;
	memset(&a, 0, sizeof a);
	a.sin6_family = AF_INET6;
	a.sin6_addr = in6addr_any;
	CHECK_SYS(bind(s, (struct sockaddr *)&a, sizeof a), "bind probe UDP socket");
	socklen_t l = sizeof a;
	CHECK_SYS(getsockname(s, (struct sockaddr *)&a, &l), "getsockname probe");
	close(s);
	return ntohs(a.sin6_port);
}

/* This process's encapsulation ports; call before the first SCTP socket. */
static void pt_ports(int udp, int remote)
{
	char b[16];
	snprintf(b, sizeof b, "%d", udp);
	setenv("SCTPUDP_UDP_PORT", b, 1);
	snprintf(b, sizeof b, "%d", remote);
	setenv("SCTPUDP_REMOTE_UDP_PORT", b, 1);
}

static struct sockaddr_in pt_sin(const char *ip, int port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	CHECK(inet_pton(AF_INET, ip, &a.sin_addr) == 1, "bad address %s", ip);
	return a;
}

/*
 * Starts this program again with argv (argv[0] is replaced), with its own
 * encapsulation ports, and a pipe whose write end the child finds in
 * PT_PIPE_FD (the child reports "READY" and other lines on it).  Returns
 * the pid; *rd gets the read end.
 */
static pid_t pt_spawn(char **argv, int udp, int remote, int *rd)
{
	int p[2];
	CHECK_SYS(pipe(p), "pipe");
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(p[0]);
		char b[16];
		snprintf(b, sizeof b, "%d", p[1]);
		setenv("PT_PIPE_FD", b, 1);
		pt_ports(udp, remote);
		execv("/proc/self/exe", argv);
		printf("FAIL %s: exec /proc/self/exe: %s\n", pt_name, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	if (pt_nchildren < 16)
		pt_children[pt_nchildren++] = pid;
	*rd = p[0];
	return pid;
}

/* In a spawned child: the report pipe (or -1). */
static int pt_report_fd(void)
{
	const char *s = getenv("PT_PIPE_FD");
	return s ? atoi(s) : -1;
}

static void pt_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void pt_report(const char *fmt, ...)
{
	int fd = pt_report_fd();
	if (fd < 0)
		return;
	char b[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b, sizeof b - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof b - 2)
		n = (int)sizeof b - 2;
	b[n++] = '\n';
	if (write(fd, b, (size_t)n) < 0) {
	}
}

/* Reads one line from fd within timeout_s. Returns its length, 0 on EOF,
 * -1 on timeout. */
static int pt_read_line(int fd, char *buf, size_t cap, double timeout_s)
{
	size_t n = 0;
	double end = pt_now() + timeout_s;
	while (n + 1 < cap) {
		double left = end - pt_now();
		if (left <= 0)
			return -1;
		struct pollfd p = { fd, POLLIN, 0 };
		int r = poll(&p, 1, (int)(left * 1000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		char c;
		ssize_t k = read(fd, &c, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			buf[n] = 0;
			return (int)n;
		}
		if (c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = 0;
	return (int)n > 0 ? (int)n : 1;
}

/* Waits for a line starting with `prefix` from a child; fails otherwise. */
static void pt_expect_line(int fd, const char *prefix, char *out, size_t cap, double timeout_s)
{
	char line[512];
	double end = pt_now() + timeout_s;
	for (;;) {
		double left = end - pt_now();
		int r = left > 0 ? pt_read_line(fd, line, sizeof line, left) : -1;
		CHECK(r != -1, "no '%s' from the peer process within %.1f s (step: %s)", prefix, timeout_s, pt_step);
		CHECK(r != 0, "peer process closed its report pipe before '%s' (did it die?)", prefix);
		if (strncmp(line, prefix, strlen(prefix)) == 0) {
			if (out) {
				strncpy(out, line, cap - 1);
				out[cap - 1] = 0;
			}
			return;
		}
	}
}

/* waitpid with a timeout; returns the status or -1 on timeout. */
static int pt_wait_child(pid_t pid, double timeout_s)
{
	double end = pt_now() + timeout_s;
	int st;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			for (int i = 0; i < pt_nchildren; i++)
				if (pt_children[i] == pid)
					pt_children[i] = 0;
			return st;
		}
		if (r < 0 && errno != EINTR)
			return -2;
		if (pt_now() > end)
			return -1;
		pt_sleep_ms(10);
	}
}

/* Waits until fd polls `ev` within timeout_s; returns revents, 0 on timeout. */
static int pt_poll1(int fd, short ev, double timeout_s)
{
	double end = pt_now() + timeout_s;
	for (;;) {
		double left = end - pt_now();
		if (left <= 0)
			return 0;
		struct pollfd p = { fd, ev, 0 };
		int r = poll(&p, 1, (int)(left * 1000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			pt_fail("poll: %s", strerror(errno));
		if (r > 0)
			return p.revents;
	}
}

/* Subscribes to the association change event (and data io for sndrcvinfo). */
static void pt_subscribe_assoc(int fd)
{
	struct sctp_event_subscribe ev;
	memset(&ev, 0, sizeof ev);
	ev.sctp_data_io_event = 1;
	ev.sctp_association_event = 1;
	CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof ev), "setsockopt(SCTP_EVENTS)");
}

static const char *pt_sac_state(int s)
{
	switch (s) {
	case SCTP_COMM_UP: return "COMM_UP";
	case SCTP_COMM_LOST: return "COMM_LOST";
	case SCTP_RESTART: return "RESTART";
	case SCTP_SHUTDOWN_COMP: return "SHUTDOWN_COMP";
	case SCTP_CANT_STR_ASSOC: return "CANT_STR_ASSOC";
	default: return "?";
	}
}

/* Full write of a stream socket (TCP, UNIX, one-to-one SCTP message). */
static void pt_send_all(int fd, const void *b, size_t n, const char *what)
{
	ssize_t r = send(fd, b, n, 0);
	CHECK(r == (ssize_t)n, "%s: send returned %zd of %zu: %s", what, r, n, r < 0 ? strerror(errno) : "short");
}

/*
 * Role "echo": a one-to-many server on 127.0.0.1 (and 127.0.0.2 with
 * sctp_bindx) that sends every message back on the association, stream and
 * ppid it came on. Reports "READY" once listening; runs until killed.
 */
static int pt_echo_server(int sctp_port)
{
	pt_role = "echo-server";
	STEP("echo server setup");
	int fd = socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP);
	CHECK_SYS(fd, "echo server socket");
	struct sockaddr_in a[2] = { pt_sin("127.0.0.1", sctp_port), pt_sin("127.0.0.2", sctp_port) };
	CHECK_SYS(bind(fd, (struct sockaddr *)&a[0], sizeof a[0]), "echo server bind");
	CHECK_SYS(sctp_bindx(fd, (struct sockaddr *)&a[1], 1, SCTP_BINDX_ADD_ADDR), "echo server sctp_bindx(127.0.0.2)");
	pt_subscribe_assoc(fd);
	CHECK_SYS(listen(fd, 16), "echo server listen");
	pt_report("READY");
	alarm(0);
	static char buf[1 << 17];
	for (;;) {
		STEP("echo server recv");
		struct sctp_sndrcvinfo si;
		int flags = 0;
		memset(&si, 0, sizeof si);
		int n = sctp_recvmsg(fd, buf, sizeof buf, NULL, NULL, &si, &flags);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			pt_fail("echo server sctp_recvmsg: %s", strerror(errno));
		}
		if (flags & MSG_NOTIFICATION) {
			union sctp_notification *sn = (union sctp_notification *)buf;
			if (sn->sn_header.sn_type == SCTP_ASSOC_CHANGE)
				pt_log("assoc %d %s", (int)sn->sn_assoc_change.sac_assoc_id,
				       pt_sac_state(sn->sn_assoc_change.sac_state));
			continue;
		}
		struct sctp_sndrcvinfo out;
		memset(&out, 0, sizeof out);
		out.sinfo_stream = si.sinfo_stream;
		out.sinfo_ppid = si.sinfo_ppid;
		out.sinfo_assoc_id = si.sinfo_assoc_id;
		int w = sctp_send(fd, buf, (size_t)n, &out, 0);
		if (w != n)
			pt_log("echo send of %d bytes on assoc %d returned %d: %s", n, (int)si.sinfo_assoc_id, w,
			       w < 0 ? strerror(errno) : "short");
	}
}

/* One request/response on a connected one-to-one SCTP socket. */
static void pt_echo_once(int fd, const char *msg, double timeout_s, const char *what)
{
	size_t n = strlen(msg) + 1;
	pt_send_all(fd, msg, n, what);
	CHECK(pt_poll1(fd, POLLIN, timeout_s) & POLLIN, "%s: no echo within %.1f s", what, timeout_s);
	char b[4096];
	ssize_t r = recv(fd, b, sizeof b, 0);
	CHECK(r == (ssize_t)n && memcmp(b, msg, n) == 0, "%s: echo mismatch (got %zd bytes%s%s)", what, r,
	      r > 0 ? ": " : "", r > 0 ? b : (r < 0 ? strerror(errno) : ""));
}

#endif
