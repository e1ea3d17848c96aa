/*
 * t_mixed_poll: one preloaded process with an SCTP socket, a TCP
 * connection, a UDP socket pair and a UNIX socket pair in ONE poll() set
 * (then the same with select() and epoll), all working: every round sends
 * one message on each, waits for all four to become readable, and checks
 * what is read.  The non-SCTP descriptors must behave exactly as without
 * the library (they go straight to libc): TCP_NODELAY, FIONREAD, fcntl,
 * getsockname work on them, and a UDP/UNIX/TCP descriptor is never taken
 * for an SCTP one.
 *
 * Build: cc -o t_mixed_poll t_mixed_poll.c -lsctp ; run under LD_PRELOAD.
 */
#include "pt.h"
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/un.h>

enum { SCTP_C, TCP_B, UDP_B, UNIX_B, N };
static const char *names[N] = { "sctp", "tcp", "udp", "unix" };
static int rfd[N]; /* where the round's message arrives */
static int wfd[N]; /* where it is sent */

static void send_round(int round)
{
	for (int i = 0; i < N; i++) {
		char m[64];
		int n = snprintf(m, sizeof m, "%s round %d", names[i], round) + 1;
		ssize_t w = send(wfd[i], m, (size_t)n, 0);
		CHECK(w == n, "%s: send in round %d returned %zd: %s", names[i], round, w, w < 0 ? strerror(errno) : "short");
	}
}

static void read_one(int i, int round)
{
	char want[64], got[256];
	int n = snprintf(want, sizeof want, "%s round %d", names[i], round) + 1;
	int avail = -1;
	if (i != SCTP_C)
		CHECK_SYS(ioctl(rfd[i], FIONREAD, &avail), "FIONREAD on a non-SCTP socket");
	ssize_t r = recv(rfd[i], got, sizeof got, 0);
	CHECK(r == n && memcmp(got, want, (size_t)n) == 0, "%s: round %d read %zd bytes '%s' (want '%s')", names[i], round,
	      r, r > 0 ? got : (r < 0 ? strerror(errno) : ""), want);
	if (i != SCTP_C)
		CHECK(avail == n, "%s: FIONREAD said %d, %d bytes were there", names[i], avail, n);
}

/* Waits with poll() until all four are readable, reading each as it comes. */
static void round_poll(int round)
{
	send_round(round);
	int done[N] = { 0 }, left = N;
	double end = pt_now() + 5.0;
	while (left > 0) {
		CHECK(pt_now() < end, "poll round %d: still waiting for %d of 4 after 5 s (sctp %s, tcp %s, udp %s, unix %s)", round,
		      left, done[0] ? "ok" : "missing", done[1] ? "ok" : "missing", done[2] ? "ok" : "missing",
		      done[3] ? "ok" : "missing");
		struct pollfd p[N];
		for (int i = 0; i < N; i++) {
			p[i].fd = done[i] ? -1 : rfd[i];
			p[i].events = POLLIN;
			p[i].revents = 0;
		}
		int r = poll(p, N, 200);
		if (r < 0 && errno == EINTR)
			continue;
		CHECK_SYS(r, "poll");
		for (int i = 0; i < N; i++) {
			if (p[i].revents & (POLLERR | POLLNVAL))
				pt_fail("%s: poll revents 0x%x", names[i], p[i].revents);
			if (p[i].revents & POLLIN) {
				read_one(i, round);
				done[i] = 1;
				left--;
			}
		}
	}
	/* Nothing else is readable now, and everything is writable. */
	struct pollfd p[2 * N];
	for (int i = 0; i < N; i++) {
		p[i] = (struct pollfd){ rfd[i], POLLIN, 0 };
		p[N + i] = (struct pollfd){ wfd[i], POLLOUT, 0 };
	}
	CHECK_SYS(poll(p, 2 * N, 0), "poll (idle check)");
	for (int i = 0; i < N; i++) {
		CHECK(!(p[i].revents & POLLIN), "%s readable after its message was read (revents 0x%x)", names[i], p[i].revents);
		CHECK(p[N + i].revents & POLLOUT, "%s sender not writable (revents 0x%x)", names[i], p[N + i].revents);
	}
}

static void round_select(int round)
{
	send_round(round);
	int done[N] = { 0 }, left = N;
	double end = pt_now() + 5.0;
	while (left > 0) {
		CHECK(pt_now() < end, "select round %d: still waiting for %d of 4", round, left);
		fd_set rs;
		FD_ZERO(&rs);
		int mx = -1;
		for (int i = 0; i < N; i++)
			if (!done[i]) {
				FD_SET(rfd[i], &rs);
				if (rfd[i] > mx)
					mx = rfd[i];
			}
		struct timeval tv = { 0, 200000 };
		int r = select(mx + 1, &rs, NULL, NULL, &tv);
		if (r < 0 && errno == EINTR)
			continue;
		CHECK_SYS(r, "select");
		for (int i = 0; i < N; i++)
			if (!done[i] && FD_ISSET(rfd[i], &rs)) {
				read_one(i, round);
				done[i] = 1;
				left--;
			}
	}
}

static void round_epoll(int ep, int round)
{
	send_round(round);
	int done[N] = { 0 }, left = N;
	double end = pt_now() + 5.0;
	while (left > 0) {
		CHECK(pt_now() < end, "epoll round %d: still waiting for %d of 4", round, left);
		struct epoll_event ev[N];
		int r = epoll_wait(ep, ev, N, 200);
		if (r < 0 && errno == EINTR)
			continue;
		CHECK_SYS(r, "epoll_wait");
		for (int k = 0; k < r; k++) {
			int i = (int)ev[k].data.u32;
			if (done[i])
				continue;
			read_one(i, round);
			done[i] = 1;
			left--;
		}
	}
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "echo") == 0) {
		pt_init("t_mixed_poll", "echo-server", 60);
		return pt_echo_server(atoi(argv[2]));
	}
	pt_init("t_mixed_poll", "main", 60);
	int sport = pt_free_udp_port();
	int sctp_port = 20000 + getpid() % 20000;
	char pa[16];
	snprintf(pa, sizeof pa, "%d", sctp_port);
	char *sargv[] = { (char *)"t_mixed_poll", (char *)"echo", pa, NULL };
	int srd;
	STEP("starting the SCTP echo server");
	pid_t spid = pt_spawn(sargv, sport, 9, &srd);
	pt_expect_line(srd, "READY", NULL, 0, 10.0);
	pt_ports(0, sport);

	/* TCP: listener, client, accepted; TCP_NODELAY must be a TCP option. */
	STEP("TCP setup");
	int tl = socket(AF_INET, SOCK_STREAM, 0);
	CHECK_SYS(tl, "TCP socket");
	struct sockaddr_in ta = pt_sin("127.0.0.1", 0);
	CHECK_SYS(bind(tl, (struct sockaddr *)&ta, sizeof ta), "TCP bind");
	socklen_t l = sizeof ta;
	CHECK_SYS(getsockname(tl, (struct sockaddr *)&ta, &l), "TCP getsockname");
	CHECK_SYS(listen(tl, 1), "TCP listen");
	int tc = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	CHECK_SYS(tc, "TCP client socket");
	CHECK_SYS(connect(tc, (struct sockaddr *)&ta, sizeof ta), "TCP connect");
	int tb = accept(tl, NULL, NULL);
	CHECK_SYS(tb, "TCP accept");
	int one = 1, v = 0;
	CHECK_SYS(setsockopt(tc, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), "TCP_NODELAY on a TCP socket");
	l = sizeof v;
	CHECK_SYS(getsockopt(tc, IPPROTO_TCP, TCP_NODELAY, &v, &l), "getsockopt TCP_NODELAY");
	CHECK(v == 1, "TCP_NODELAY reads %d", v);
	int ty = -1;
	l = sizeof ty;
	CHECK_SYS(getsockopt(tb, SOL_SOCKET, SO_PROTOCOL, &ty, &l), "SO_PROTOCOL on TCP");
	CHECK(ty == IPPROTO_TCP, "accepted TCP socket reports protocol %d", ty);

	/* UDP pair on loopback. */
	STEP("UDP setup");
	int ua = socket(AF_INET, SOCK_DGRAM, 0), ub = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	CHECK(ua >= 0 && ub >= 0, "UDP sockets: %s", strerror(errno));
	struct sockaddr_in x = pt_sin("127.0.0.1", 0), y = pt_sin("127.0.0.1", 0);
	CHECK_SYS(bind(ua, (struct sockaddr *)&x, sizeof x), "UDP bind a");
	CHECK_SYS(bind(ub, (struct sockaddr *)&y, sizeof y), "UDP bind b");
	l = sizeof x;
	getsockname(ua, (struct sockaddr *)&x, &l);
	l = sizeof y;
	getsockname(ub, (struct sockaddr *)&y, &l);
	CHECK_SYS(connect(ua, (struct sockaddr *)&y, sizeof y), "UDP connect a");
	CHECK_SYS(connect(ub, (struct sockaddr *)&x, sizeof x), "UDP connect b");

	/* UNIX pair. */
	int un[2];
	CHECK_SYS(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, un), "socketpair");

	/* SCTP last, so its descriptor is the highest (select with max fd). */
	STEP("SCTP connect");
	int s = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	CHECK_SYS(s, "SCTP socket");
	struct sockaddr_in sa = pt_sin("127.0.0.1", sctp_port);
	CHECK_SYS(connect(s, (struct sockaddr *)&sa, sizeof sa), "SCTP connect");
	/* The echo server answers on the same socket. */
	rfd[SCTP_C] = s;
	wfd[SCTP_C] = s;
	rfd[TCP_B] = tb;
	wfd[TCP_B] = tc;
	rfd[UDP_B] = ub;
	wfd[UDP_B] = ua;
	rfd[UNIX_B] = un[1];
	wfd[UNIX_B] = un[0];
	pt_log("fds: sctp %d, tcp %d->%d, udp %d->%d, unix %d->%d", s, tc, tb, ua, ub, un[0], un[1]);

	/* Non-blocking flags through fcntl on all of them. */
	for (int i = 0; i < N; i++) {
		int fl = fcntl(rfd[i], F_GETFL);
		CHECK_SYS(fl, "fcntl F_GETFL");
		CHECK_SYS(fcntl(rfd[i], F_SETFL, fl | O_NONBLOCK), "fcntl F_SETFL O_NONBLOCK");
		char b[8];
		ssize_t r = recv(rfd[i], b, sizeof b, 0);
		CHECK(r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), "%s: empty non-blocking recv returned %zd (%s)",
		      names[i], r, r < 0 ? strerror(errno) : "data");
		CHECK_SYS(fcntl(rfd[i], F_SETFL, fl), "fcntl F_SETFL back");
	}

	STEP("poll rounds");
	for (int r = 0; r < 40; r++)
		round_poll(r);
	STEP("select rounds");
	for (int r = 40; r < 60; r++)
		round_select(r);
	STEP("epoll rounds");
	int ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK_SYS(ep, "epoll_create1");
	for (int i = 0; i < N; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
		CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, rfd[i], &e), "epoll_ctl ADD");
	}
	for (int r = 60; r < 80; r++)
		round_epoll(ep, r);
	close(ep);

	/* After all that, the SCTP socket is still SCTP and the others not. */
	struct sctp_status ss;
	memset(&ss, 0, sizeof ss);
	l = sizeof ss;
	CHECK_SYS(getsockopt(s, IPPROTO_SCTP, SCTP_STATUS, &ss, &l), "SCTP_STATUS on the SCTP socket");
	CHECK(ss.sstat_state == SCTP_ESTABLISHED, "SCTP state %d", ss.sstat_state);
	l = sizeof ss;
	CHECK(getsockopt(ub, IPPROTO_SCTP, SCTP_STATUS, &ss, &l) < 0, "SCTP_STATUS succeeded on a UDP socket");

	close(s);
	close(tc);
	close(tb);
	close(tl);
	close(ua);
	close(ub);
	close(un[0]);
	close(un[1]);
	/* Let the SHUTDOWN exchange finish before the server goes: otherwise
	 * the exit handler waits for a dead peer (up to 5 s). */
	pt_sleep_ms(200);
	kill(spid, SIGKILL);
	pt_wait_child(spid, 5.0);
	printf("PASS t_mixed_poll\n");
	return 0;
}
