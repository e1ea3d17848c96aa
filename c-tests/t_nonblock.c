/*
 * t_nonblock: O_NONBLOCK one-to-one sockets, completion seen with poll()
 * and with epoll, as on Linux.
 *
 * Server (child): a non-blocking listening socket first gives accept() ->
 * EAGAIN (nothing queued); then it accepts two connections in turn and
 * echoes each until EOF; it stays up (its stack answers part C) until told.
 *
 * Client (this process):
 *  A. connect() on an O_NONBLOCK socket returns -1/EINPROGRESS (Linux never
 *     completes an SCTP connect without a round trip); poll(POLLOUT)
 *     reports completion without POLLERR/POLLHUP; SO_ERROR is 0; recv() and
 *     sctp_recvmsg() on the still empty socket give EAGAIN; a message is
 *     sent and its echo awaited with poll(POLLIN); then EAGAIN again.
 *  B. the same connect observed with epoll (EPOLLOUT), SO_ERROR 0, then
 *     EPOLLIN: none before the echo can exist, one after sending.
 *  C. a non-blocking connect to an SCTP port nobody listens on: EINPROGRESS,
 *     then the peer stack answers the INIT with ABORT and poll() reports
 *     POLLERR; SO_ERROR is ECONNREFUSED (Linux: sctp_sf_cookie_wait_abort).
 */
#include "common.h"

#include <fcntl.h>
#include <sys/epoll.h>

static int server(t_sync *s, void *arg)
{
	char buf[256];
	int l;

	(void)arg;
	t_use_udp(t_ports.udp_server, t_ports.udp_client);
	STEP("server: listen, accept on empty queue");
	l = t_sctp_socket(SOCK_STREAM);
	t_bind4(l, "127.0.0.1", t_ports.sctp);
	CHECK_SYS(listen(l, 4));
	CHECK_SYS(fcntl(l, F_SETFL, fcntl(l, F_GETFL) | O_NONBLOCK));
	CHECK_ERRNO(accept(l, NULL, NULL), EAGAIN);
	t_post(s, 'L');

	for (int i = 0; i < 2; i++) {
		int c;

		STEP("server: accept");
		t_wait_fd(l, POLLIN, 20000);
		c = (int)CHECK_SYS(accept(l, NULL, NULL));
		STEP("server: echo until EOF");
		for (;;) {
			size_t n = t_recv_msg(c, buf, sizeof(buf), NULL, NULL, NULL, 15000);

			if (n == 0)
				break;
			t_send_msg(c, buf, n, NULL, 0, 0, 0);
		}
		close(c);
	}
	STEP("server: stay up for the refused connect (part C)");
	t_await(s, 'Q', 30000);
	close(l);
	return 0;
}

static int nb_socket(void)
{
	int fd = t_sctp_socket(SOCK_STREAM);

	CHECK_SYS(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK));
	return fd;
}

static void echo_once(int fd, const char *msg, int use_poll)
{
	char buf[256];
	size_t len = strlen(msg) + 1;
	ssize_t n;

	t_send_msg(fd, msg, len, NULL, 0, 0, 0);
	if (use_poll)
		CHECK(t_wait_fd(fd, POLLIN, 15000) & POLLIN);
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		DIE("recv echo");
	CHECK_EQ(n, (long)len);
	CHECK(memcmp(buf, msg, len) == 0);
}

int main(int argc, char **argv)
{
	struct sockaddr_in srv, nobody;
	struct epoll_event ev, out[4];
	char buf[64];
	t_sync s = { 0 };
	int a, b, c, ep, n, fl;
	short re;
	pid_t pid;

	t_init("t_nonblock", argc, argv, 60);
	pid = t_fork("server", &s, server, NULL);
	t_use_udp(t_ports.udp_client, t_ports.udp_server);
	t_await(&s, 'L', 20000);
	srv = t_addr4("127.0.0.1", t_ports.sctp);

	STEP("A: non-blocking connect + poll(POLLOUT)");
	a = nb_socket();
	CHECK_ERRNO(connect(a, (struct sockaddr *)&srv, sizeof(srv)), EINPROGRESS);
	re = t_wait_fd(a, POLLOUT, 15000);
	CHECK(re & POLLOUT);
	CHECK(!(re & (POLLERR | POLLHUP)));
	CHECK_EQ(t_get_int(a, SOL_SOCKET, SO_ERROR), 0);
	CHECK_ERRNO(recv(a, buf, sizeof(buf), 0), EAGAIN);
	fl = 0;
	CHECK_ERRNO(sctp_recvmsg(a, buf, sizeof(buf), NULL, NULL, NULL, &fl), EAGAIN);
	echo_once(a, "over poll", 1);
	CHECK_ERRNO(recv(a, buf, sizeof(buf), 0), EAGAIN);
	CHECK_SYS(close(a));

	STEP("B: non-blocking connect + epoll(EPOLLOUT)");
	b = nb_socket();
	ep = (int)CHECK_SYS(epoll_create1(EPOLL_CLOEXEC));
	CHECK_ERRNO(connect(b, (struct sockaddr *)&srv, sizeof(srv)), EINPROGRESS);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLOUT;
	ev.data.fd = b;
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev));
	do
		n = epoll_wait(ep, out, 4, 15000);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		DIE("epoll_wait");
	if (n == 0)
		FAIL("no EPOLLOUT within 15 s of a non-blocking connect");
	CHECK_EQ(n, 1);
	CHECK_EQ(out[0].data.fd, b);
	CHECK(out[0].events & EPOLLOUT);
	CHECK(!(out[0].events & (EPOLLERR | EPOLLHUP)));
	CHECK_EQ(t_get_int(b, SOL_SOCKET, SO_ERROR), 0);

	STEP("B: EPOLLIN only once the echo is there");
	ev.events = EPOLLIN;
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_MOD, b, &ev));
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
	t_send_msg(b, "over epoll", 11, NULL, 0, 0, 0);
	do
		n = epoll_wait(ep, out, 4, 15000);
	while (n < 0 && errno == EINTR);
	CHECK_EQ(n, 1);
	CHECK(out[0].events & EPOLLIN);
	CHECK_EQ(recv(b, buf, sizeof(buf), 0), 11);
	CHECK(memcmp(buf, "over epoll", 11) == 0);
	CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_DEL, b, NULL));
	CHECK_SYS(close(ep));
	CHECK_SYS(close(b));

	STEP("C: non-blocking connect refused");
	c = nb_socket();
	nobody = t_addr4("127.0.0.1", (uint16_t)(t_ports.sctp + 5));
	CHECK_ERRNO(connect(c, (struct sockaddr *)&nobody, sizeof(nobody)), EINPROGRESS);
	re = t_wait_fd(c, POLLOUT, 15000);
	/* Linux sets POLLERR here. sctpudp's descriptor is an AF_UNIX socket
	 * whose readiness the stack drives, and the kernel offers no way to
	 * raise POLLERR on it without tearing it down, so sctpudp reports the
	 * failure as POLLOUT|POLLIN with SO_ERROR set (the pattern programs
	 * check after a non-blocking connect). README lists this difference. */
	CHECK(re & (POLLERR | POLLOUT));
	CHECK_EQ(t_get_int(c, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
	CHECK_SYS(close(c));

	t_post(&s, 'Q');
	t_wait_child(pid, "server", 30);
	t_pass();
}
