/*
 * kt_poll: readiness of an SCTP descriptor while talking to the kernel.
 *
 * One-to-one socket to the guest's echo (port 7).  300 round trips of
 * 100 B; after each echo is read, poll() with a zero timeout and a
 * level-triggered epoll_wait() must both report nothing readable (on Linux
 * the receive queue is then empty), and recv(MSG_DONTWAIT) must say
 * EAGAIN.  Before each send, POLLOUT must be set.  A readiness that is
 * not true makes a blocking recvmsg() after poll() hang forever, so each
 * one is a DEFECT.  The round-trip times through the kernel are reported.
 */
#include "kt.h"
#include <sys/epoll.h>

#define N 300

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(void)
{
	static double rtt[N];
	static char buf[4096];
	long false_pollin = 0, false_epollin = 0, not_eagain = 0, no_pollout = 0;

	kt_init("kt_poll", 60);
	STEP("connect");
	int fd = kt_socket(SOCK_STREAM);
	struct sockaddr_in to = kt_addr("127.0.0.1", 7);
	kt_connect(fd, &to, 10);
	int ep = (int)SYS(epoll_create1(0));
	struct epoll_event ev = { .events = EPOLLIN };
	ev.data.fd = fd;
	SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));

	STEP("round trips");
	for (int i = 0; i < N; i++) {
		struct pollfd p = { fd, POLLOUT, 0 };
		if (poll(&p, 1, 1000) != 1 || !(p.revents & POLLOUT)) no_pollout++;
		kt_fill(buf, 100, i);
		double t = kt_now();
		kt_send_ok(fd, buf, 100, NULL, 0, 0, htonl(i), 0);
		struct sctp_rcvinfo ri;
		int fl = 0;
		size_t n = kt_recv_whole(fd, buf, sizeof(buf), &ri, &fl, 5000);
		rtt[i] = (kt_now() - t) * 1e6;
		if (n != 100 || kt_check(buf, n, i) >= 0 || ntohl(ri.rcv_ppid) != (uint32_t)i) FAIL("echo %d corrupted", i);
		p.events = POLLIN;
		p.revents = 0;
		int r = poll(&p, 1, 0);
		if (r > 0 && (p.revents & POLLIN)) false_pollin++;
		struct epoll_event out;
		if (epoll_wait(ep, &out, 1, 0) > 0) false_epollin++;
		ssize_t k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (!(k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))) {
			not_eagain++;
			if (not_eagain == 1) kt_info("recv(MSG_DONTWAIT) with nothing sent returned %zd (errno %d)", k, errno);
		}
	}
	qsort(rtt, N, sizeof(rtt[0]), cmp_double);
	kt_info("%d round trips of 100 B through the kernel: median %.0f us, p90 %.0f us, max %.0f us", N, rtt[N / 2],
		rtt[N * 9 / 10], rtt[N - 1]);
	kt_info("after reading each echo: poll() POLLIN %ld times, epoll EPOLLIN %ld times, recv(MSG_DONTWAIT) not "
		"EAGAIN %ld times; POLLOUT missing before a send %ld times",
		false_pollin, false_epollin, not_eagain, no_pollout);
	if (false_pollin)
		kt_defect("poll() reported POLLIN with nothing to read after %ld of %d echoes (a blocking recvmsg() "
			  "would then hang)",
			  false_pollin, N);
	if (false_epollin) kt_defect("epoll reported EPOLLIN with nothing to read after %ld of %d echoes", false_epollin, N);
	if (not_eagain) kt_defect("recv(MSG_DONTWAIT) did not fail with EAGAIN %ld times", not_eagain);
	if (no_pollout) kt_defect("POLLOUT missing %ld times on an idle association", no_pollout);
	close(ep);
	close(fd);
	kt_pass("%d round trips: readiness exact (no false POLLIN/EPOLLIN, POLLOUT always), median RTT %.0f us", N,
		rtt[N / 2]);
}
