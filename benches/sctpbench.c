/*
 * sctpbench: what an SCTP application sees of a stack's speed, through
 * the lksctp API on loopback, client and server in two processes.
 *
 *   sctpbench bulk SIZE SECONDS [nodelay]   sctp_sendmsg loop of SIZE-byte
 *                                           messages to a one-to-one sink
 *   sctpbench pingpong SIZE COUNT           SIZE-byte echo round trips
 *   sctpbench setup COUNT                   connect + close, one at a time
 *   sctpbench udp-bulk SECONDS              raw UDP, 1472-byte datagrams,
 *                                           sendmmsg/recvmmsg (the floor)
 *   sctpbench udp-pingpong SIZE COUNT       raw UDP round trips
 *
 * Prints one line: "RESULT <name> <value> <unit> [extra]". The sink and
 * the echo server are a forked child; what UDP ports (host stacks) the
 * two use is the environment's: SCTPUDP_UDP_PORT / SCTPUDP_REMOTE_UDP_PORT
 * for the client, SERVER_SCTPUDP_UDP_PORT / SERVER_SCTPUDP_REMOTE_UDP_PORT
 * for the server when they differ (sctpudp 0.1, one stack per process).
 *
 * Build: cc -O2 benches/sctpbench.c -o sctpbench $(pkg-config --cflags --libs sctpudp)
 *   (or with the system <netinet/sctp.h> and -lsctp, run under LD_PRELOAD)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int sport;

/* The server's environment, before its first SCTP socket. */
static void server_env(void)
{
	const char *u = getenv("SERVER_SCTPUDP_UDP_PORT");
	const char *r = getenv("SERVER_SCTPUDP_REMOTE_UDP_PORT");
	if (u)
		setenv("SCTPUDP_UDP_PORT", u, 1);
	if (r)
		setenv("SCTPUDP_REMOTE_UDP_PORT", r, 1);
}

static struct sockaddr_in lo(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	return a;
}

/* Forks a server running fn(listener); returns its pid once it listens. */
static pid_t server(int type, void (*fn)(int))
{
	int sync[2];
	if (pipe(sync))
		die("pipe");
	pid_t p = fork();
	if (p < 0)
		die("fork");
	if (p == 0) {
		/* Dies with the client (a figure that timed out must not leave
		 * its server holding the script's pipe). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sync[0]);
		server_env();
		int l = socket(AF_INET, type, IPPROTO_SCTP);
		struct sockaddr_in a = lo(sport);
		if (l < 0 || bind(l, (void *)&a, sizeof a) || listen(l, 4096))
			die("server");
		int one = 1;
		setsockopt(l, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof one);
		if (write(sync[1], "L", 1) != 1)
			_exit(1);
		close(sync[1]);
		fn(l);
		_exit(0);
	}
	close(sync[1]);
	char c;
	if (read(sync[0], &c, 1) != 1)
		die("server did not start");
	close(sync[0]);
	return p;
}

static int client(int nodelay)
{
	int s = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	struct sockaddr_in a = lo(sport);
	if (s < 0)
		die("socket");
	if (nodelay) {
		int one = 1;
		setsockopt(s, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof one);
	}
	if (connect(s, (void *)&a, sizeof a))
		die("connect");
	return s;
}

/* ---- bulk ---------------------------------------------------------------- */
static int report_fd = -1;

static void sink(int l)
{
	int c = accept(l, NULL, NULL);
	if (c < 0)
		die("accept");
	char *buf = malloc(1 << 20);
	long got = 0;
	double first = 0, last = 0;
	int n;
	while ((n = recv(c, buf, 1 << 20, 0)) > 0) {
		if (!got)
			first = now();
		got += n;
		last = now();
	}
	char line[128];
	int k = snprintf(line, sizeof line, "%ld %.9f\n", got, last - first);
	if (write(report_fd, line, k) != k)
		_exit(1);
}

static int bulk(int size, double secs, int nodelay)
{
	int rep[2];
	if (pipe(rep))
		die("pipe");
	report_fd = rep[1];
	pid_t p = server(SOCK_STREAM, sink);
	close(rep[1]);
	int s = client(nodelay);
	char *m = malloc(size);
	memset(m, 'x', size);
	double end = now() + secs;
	long sent = 0;
	while (now() < end) {
		for (int i = 0; i < 64; i++) {
			int k = sctp_sendmsg(s, m, size, NULL, 0, 0, 0, 0, 0, 0);
			if (k != size)
				die("sctp_sendmsg");
			sent += k;
		}
	}
	close(s);
	char line[128] = { 0 };
	if (read(rep[0], line, sizeof line - 1) <= 0)
		die("sink report");
	waitpid(p, NULL, 0);
	long got;
	double dt;
	if (sscanf(line, "%ld %lf", &got, &dt) != 2 || got != sent) {
		fprintf(stderr, "sink got %ld of %ld bytes\n", got, sent);
		return 1;
	}
	printf("RESULT bulk-%d%s %.1f MB/s\n", size, nodelay ? "-nodelay" : "", got / dt / 1e6);
	return 0;
}

/* ---- ping-pong ------------------------------------------------------------- */
static void echo(int l)
{
	int c = accept(l, NULL, NULL);
	if (c < 0)
		die("accept");
	int one = 1;
	setsockopt(c, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof one);
	char buf[65536];
	int n;
	while ((n = recv(c, buf, sizeof buf, 0)) > 0)
		if (sctp_sendmsg(c, buf, n, NULL, 0, 0, 0, 0, 0, 0) != n)
			break;
}

static int report_rtt(const char *name, double *rtt, int count)
{
	qsort(rtt, count, sizeof *rtt, cmpd);
	printf("RESULT %s %.1f us p99 %.1f us\n", name, rtt[count / 2] * 1e6, rtt[count * 99 / 100] * 1e6);
	return 0;
}

static int pingpong(int size, int count)
{
	pid_t p = server(SOCK_STREAM, echo);
	int s = client(1);
	char *m = calloc(1, size), *b = malloc(65536);
	double *rtt = malloc(sizeof(double) * count);
	for (int i = -100; i < count; i++) {
		double t = now();
		if (sctp_sendmsg(s, m, size, NULL, 0, 0, 0, 0, 0, 0) != size)
			die("send");
		int got = 0;
		while (got < size) {
			int n = recv(s, b, 65536, 0);
			if (n <= 0)
				die("recv");
			got += n;
		}
		if (i >= 0)
			rtt[i] = now() - t;
	}
	close(s);
	waitpid(p, NULL, 0);
	char name[64];
	snprintf(name, sizeof name, "pingpong-%d", size);
	return report_rtt(name, rtt, count);
}

/* ---- setup ------------------------------------------------------------------ */
static void acceptor(int l)
{
	for (;;) {
		int c = accept(l, NULL, NULL);
		if (c < 0)
			_exit(0);
		char b[16];
		/* Until the client's close. */
		while (recv(c, b, sizeof b, 0) > 0)
			;
		close(c);
	}
}

static int setup(int count)
{
	pid_t p = server(SOCK_STREAM, acceptor);
	double t0 = now();
	for (int i = 0; i < count; i++) {
		int s = client(0);
		close(s);
	}
	double dt = now() - t0;
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
	printf("RESULT setup %.0f assoc/s\n", count / dt);
	return 0;
}

/* ---- raw UDP ----------------------------------------------------------------- */
static void udp_pair(int *a, int *b)
{
	*a = socket(AF_INET, SOCK_DGRAM, 0);
	*b = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in x = lo(0), y = lo(0);
	socklen_t l = sizeof x;
	int big = 4 << 20;
	setsockopt(*a, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	setsockopt(*b, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	if (bind(*a, (void *)&x, sizeof x) || bind(*b, (void *)&y, sizeof y) || getsockname(*a, (void *)&x, &l) ||
	    getsockname(*b, (void *)&y, &l) || connect(*a, (void *)&y, sizeof y) || connect(*b, (void *)&x, sizeof x))
		die("udp");
}

#define UB 32
static int udp_bulk(double secs)
{
	int a, b;
	udp_pair(&a, &b);
	int rep[2];
	if (pipe(rep))
		die("pipe");
	pid_t p = fork();
	if (p == 0) {
		static char bufs[UB][1500];
		struct iovec iov[UB];
		struct mmsghdr m[UB];
		long got = 0;
		double first = 0, last = 0;
		for (;;) {
			memset(m, 0, sizeof m);
			for (int i = 0; i < UB; i++) {
				iov[i] = (struct iovec){ bufs[i], 1500 };
				m[i].msg_hdr.msg_iov = &iov[i];
				m[i].msg_hdr.msg_iovlen = 1;
			}
			struct pollfd pf = { b, POLLIN, 0 };
			if (poll(&pf, 1, 500) <= 0)
				break;
			int n = recvmmsg(b, m, UB, MSG_DONTWAIT, NULL);
			if (n <= 0)
				continue;
			if (!got)
				first = now();
			for (int i = 0; i < n; i++)
				got += m[i].msg_len;
			last = now();
		}
		char line[128];
		int k = snprintf(line, sizeof line, "%ld %.9f\n", got, last - first);
		if (write(rep[1], line, k) != k)
			_exit(1);
		_exit(0);
	}
	static char data[UB][1472];
	struct iovec iov[UB];
	struct mmsghdr m[UB];
	memset(m, 0, sizeof m);
	for (int i = 0; i < UB; i++) {
		iov[i] = (struct iovec){ data[i], 1472 };
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	double end = now() + secs;
	while (now() < end)
		if (sendmmsg(a, m, UB, 0) < 0 && errno != ENOBUFS)
			die("sendmmsg");
	char line[128] = { 0 };
	if (read(rep[0], line, sizeof line - 1) <= 0)
		die("udp sink");
	waitpid(p, NULL, 0);
	long got;
	double dt;
	sscanf(line, "%ld %lf", &got, &dt);
	printf("RESULT udp-bulk-1472 %.1f MB/s\n", got / dt / 1e6);
	return 0;
}

static int udp_pingpong(int size, int count)
{
	int a, b;
	udp_pair(&a, &b);
	pid_t p = fork();
	if (p == 0) {
		char buf[65536];
		int n;
		while ((n = recv(b, buf, sizeof buf, 0)) > 0)
			if (send(b, buf, n, 0) != n)
				break;
		_exit(0);
	}
	char *m = calloc(1, size), *buf = malloc(65536);
	double *rtt = malloc(sizeof(double) * count);
	for (int i = -100; i < count; i++) {
		double t = now();
		if (send(a, m, size, 0) != size || recv(a, buf, 65536, 0) != size)
			die("udp pingpong");
		if (i >= 0)
			rtt[i] = now() - t;
	}
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
	char name[64];
	snprintf(name, sizeof name, "udp-pingpong-%d", size);
	return report_rtt(name, rtt, count);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGPIPE, SIG_IGN);
	sport = 20000 + getpid() % 20000;
	alarm(300);
	if (argc >= 4 && !strcmp(argv[1], "bulk"))
		return bulk(atoi(argv[2]), atof(argv[3]), argc > 4 && !strcmp(argv[4], "nodelay"));
	if (argc == 4 && !strcmp(argv[1], "pingpong"))
		return pingpong(atoi(argv[2]), atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "setup"))
		return setup(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "udp-bulk"))
		return udp_bulk(atof(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "udp-pingpong"))
		return udp_pingpong(atoi(argv[2]), atoi(argv[3]));
	fprintf(stderr, "usage: see the comment at the top of benches/sctpbench.c\n");
	return 2;
}
