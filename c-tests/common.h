/*
 * common.h: helpers shared by the sctpudp C acceptance tests (c-tests/t_*.c).
 *
 * Every test is a plain Linux SCTP program (lksctp-tools <netinet/sctp.h>)
 * that prints exactly one verdict line, "PASS <name>" or
 * "FAIL <name>: <reason>", and exits 0 only on success.
 *
 * Include this header FIRST in every test (it defines _GNU_SOURCE).
 *
 * Ports.  Each process of the stack owns one UDP encapsulation port
 * (SCTPUDP_UDP_PORT) and sends new associations to SCTPUDP_REMOTE_UDP_PORT.
 * Both are read when the process creates its first SCTP socket, so a test
 * forks FIRST and only then, in each process, calls t_use_udp() and
 * socket().  The ports come from, in this order:
 *   argv:  t_xxx [server-udp-port client-udp-port [sctp-port]]
 *   env:   SCTPUDP_TEST_SERVER_UDP_PORT, SCTPUDP_TEST_CLIENT_UDP_PORT,
 *          SCTPUDP_TEST_SCTP_PORT
 *   else:  free UDP ports found by binding port 0, and an SCTP port derived
 *          from getpid().
 * SCTP ports (sockaddr_in.sin_port) are unrelated to the UDP ports.
 *
 * Time.  t_init() arms alarm(); every process (children re-arm it) fails
 * with "timeout during <step>" instead of hanging.  Waits for data use
 * t_wait_fd(), a poll() with a timeout.
 */
#ifndef SCTPUDP_CTEST_COMMON_H
#define SCTPUDP_CTEST_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- identity and verdict ------------------------------------------- */

extern const char *t_name;         /* test name, e.g. "t_echo_1to1" */
extern const char *t_role;         /* "main", "server", "client", ... */
extern const char *volatile t_step; /* what we are doing (timeout text) */

#define STEP(s) (t_step = (s))

/* Print "FAIL <name>: [role] file:line: message[: strerror]" and exit 1.
 * err = 0 omits the errno part.  In a parent, kills its test children. */
void t_fail_at(const char *file, int line, int err, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

/* Print "PASS <name>" and exit 0 (call from the parent only). */
void t_pass(void) __attribute__((noreturn));

/* Informational line on stderr (does not affect the verdict). */
void t_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define FAIL(...)   t_fail_at(__FILE__, __LINE__, 0, __VA_ARGS__)
#define DIE(...)    t_fail_at(__FILE__, __LINE__, errno, __VA_ARGS__)

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond))                                                 \
			t_fail_at(__FILE__, __LINE__, 0,                     \
				  "check failed: %s", #cond);                \
	} while (0)

/* Integer equality with both values printed. */
#define CHECK_EQ(a, b)                                                       \
	do {                                                                 \
		long long a_ = (long long)(a), b_ = (long long)(b);          \
		if (a_ != b_)                                                \
			t_fail_at(__FILE__, __LINE__, 0,                     \
				  "%s == %lld, expected %s == %lld",         \
				  #a, a_, #b, b_);                           \
	} while (0)

/* A system/library call that must not return a negative value; yields it. */
#define CHECK_SYS(expr)                                                      \
	({                                                                   \
		long r_ = (long)(expr);                                      \
		if (r_ < 0)                                                  \
			t_fail_at(__FILE__, __LINE__, errno, "%s", #expr);   \
		r_;                                                          \
	})

/* A call that must fail with -1 and exactly errno `want`. */
#define CHECK_ERRNO(expr, want)                                              \
	do {                                                                 \
		errno = 0;                                                   \
		long r_ = (long)(expr);                                      \
		int e_ = errno;                                              \
		if (r_ != -1 || e_ != (want))                                \
			t_fail_at(__FILE__, __LINE__, 0,                     \
				  "%s returned %ld errno %d (%s), "          \
				  "expected -1 errno %s",                    \
				  #expr, r_, e_, strerror(e_), #want);       \
	} while (0)

/* ---- start-up, ports, processes -------------------------------------- */

struct t_ports {
	uint16_t udp_server;   /* UDP encapsulation port of the server process */
	uint16_t udp_client;   /* UDP encapsulation port of the client process */
	uint16_t sctp;         /* SCTP port the server listens on (and +1, +2...) */
};
extern struct t_ports t_ports;

/* Name the test, arm alarm(timeout_s) (re-armed in each child), ignore
 * SIGPIPE, make stdout line buffered and fill t_ports (see top). */
void t_init(const char *name, int argc, char **argv, unsigned timeout_s);

/* n distinct free UDP ports (bind 0.0.0.0:0, read the port, close). */
void t_pick_udp_ports(uint16_t *out, int n);

/* The resident memory (KiB) of the host stack on UDP port udp_port, found
 * by its command line; its CPU time (clock ticks) in *cpu_ticks if not
 * NULL. -1 if there is none. */
long t_stack_rss_kib(uint16_t udp_port, long *cpu_ticks);

/* Configure this process's stack before its first socket():
 * SCTPUDP_UDP_PORT=local, SCTPUDP_REMOTE_UDP_PORT=remote. */
void t_use_udp(uint16_t local, uint16_t remote);

/* Two pipes between a parent and one child, for "I am ready" tags. */
typedef struct {
	int to_child[2];
	int to_parent[2];
	int is_child;
} t_sync;

/* Fork a child that runs fn(sync, arg) and exits with its return value
 * (0 = success).  sync may be NULL.  Fork BEFORE creating SCTP sockets. */
pid_t t_fork(const char *role, t_sync *sync, int (*fn)(t_sync *, void *),
	     void *arg);

/* Wait up to timeout_s for a child; FAIL unless it exited with status 0. */
void t_wait_child(pid_t pid, const char *role, int timeout_s);

/* Send a one-byte tag to the other side / wait for that exact tag. */
void t_post(t_sync *s, char tag);
void t_await(t_sync *s, char tag, int timeout_ms);

/* 1 when SCTPUDP_TEST_LKSCTP=1: the test runs against lksctp-tools and
 * kernel SCTP (to validate the test itself), so cases that only make sense
 * for sctpudp (libsctp crashes on them, or sctpudp-specific defaults) are
 * skipped. */
int t_lksctp(void);

/* ---- sockets --------------------------------------------------------- */

/* poll() one fd for `events`; returns revents, FAILs after timeout_ms. */
short t_wait_fd(int fd, short events, int timeout_ms);

struct sockaddr_in t_addr4(const char *ip, uint16_t port);
const char *t_addr_str(const struct sockaddr *sa); /* static buffer */

int t_sctp_socket(int type);                       /* AF_INET, IPPROTO_SCTP */
void t_bind4(int fd, const char *ip, uint16_t port);
void t_set_initmsg(int fd, uint16_t ostreams, uint16_t max_instreams);
void t_set_int(int fd, int level, int opt, int val);
int t_get_int(int fd, int level, int opt);

/* SCTP_EVENTS with only sctp_data_io_event on (so sctp_recvmsg fills sinfo). */
void t_enable_data_io(int fd);
/* SCTP_EVENT {SCTP_FUTURE_ASSOC, type, on} for each of the n types. */
void t_subscribe(int fd, const uint16_t *types, int n);

/* Receive one whole message, looping over partial reads until MSG_EOR.
 * sinfo (may be NULL) is taken from the first piece, *flags (may be NULL)
 * gets the msg_flags of the last piece, *pieces (may be NULL) the number
 * of recvmsg calls.  Returns the length, 0 on EOF (orderly end);
 * FAILs on error, on timeout (per piece) and if cap is exceeded. */
size_t t_recv_msg(int fd, void *buf, size_t cap, struct sctp_sndrcvinfo *sinfo,
		  int *flags, int *pieces, int timeout_ms);

/* Send all of buf as one message (sctp_sendmsg); FAILs on error. */
void t_send_msg(int fd, const void *buf, size_t len, const struct sockaddr_in *to,
		uint32_t ppid, uint32_t flags, uint16_t stream);

/* ---- payloads -------------------------------------------------------- */

/* Deterministic pseudo-random bytes from seed; t_check_fill returns the
 * index of the first wrong byte or -1 if all len bytes match. */
void t_fill(void *buf, size_t len, uint32_t seed);
long t_check_fill(const void *buf, size_t len, uint32_t seed);

#endif /* SCTPUDP_CTEST_COMMON_H */
