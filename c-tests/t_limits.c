/*
 * t_limits: the association bounds of the host stack
 * (SCTPUDP_MAX_ASSOCS for the whole stack, SCTPUDP_MAX_ASSOCS_PER_SOCKET
 * for one socket), which a stack reads from the environment it starts
 * with. Over a bound, an association is refused as Linux refuses one it
 * has no memory for: connect() and sendmsg()'s implicit setup fail with
 * ENOMEM; a peer's handshake is answered with ABORT (Out of Resource), so
 * the peer's connect() fails with ECONNREFUSED.
 *
 * Two children, each with a stack of its own (its own UDP port) started
 * with its own bounds; this process opens no SCTP socket.
 *
 *  total (SCTPUDP_MAX_ASSOCS=4): a one-to-many server and two one-to-one
 *    clients on this host make four associations (each end is one);
 *    a third connect() gets ENOMEM, so does a one-to-many sendmsg() to a
 *    new peer; once a client closes (its two associations end), connect()
 *    works again and carries data.
 *  per-socket (SCTPUDP_MAX_ASSOCS_PER_SOCKET=2): the one-to-many server
 *    takes two associations; the third client's connect() gets
 *    ECONNREFUSED and the first two still carry data; a one-to-many
 *    client with two associations gets ENOMEM for a third.
 *  buffers: a receiver that never reads, with SO_RCVBUF 64 KiB, and a
 *    non-blocking sender with SO_SNDBUF 64 KiB that sends until EAGAIN
 *    (and again after pauses): what the sender could get rid of stays
 *    within the two buffers (as getsockopt reports them, doubled as on
 *    Linux), and all of it arrives once the receiver reads.
 */
#include "common.h"

#include <fcntl.h>

static struct sockaddr_in srv_addr(int k) { return t_addr4("127.0.0.1", (uint16_t)(t_ports.sctp + k)); }

static int connect_to(int fd, int k)
{
	struct sockaddr_in a = srv_addr(k);

	return connect(fd, (struct sockaddr *)&a, sizeof(a));
}

static int server_on(int k)
{
	int fd = t_sctp_socket(SOCK_SEQPACKET);

	t_bind4(fd, "127.0.0.1", (uint16_t)(t_ports.sctp + k));
	CHECK_SYS(listen(fd, 16));
	return fd;
}

/* One message from client `c` arrives at one-to-many server `srv`. */
static void carries(int c, int srv)
{
	char buf[64];
	struct sctp_sndrcvinfo si;
	int flags = 0;
	ssize_t n;

	CHECK_EQ(sctp_sendmsg(c, "ping", 4, NULL, 0, 0, 0, 0, 0, 0), 4);
	t_wait_fd(srv, POLLIN, 5000);
	n = sctp_recvmsg(srv, buf, sizeof(buf), NULL, NULL, &si, &flags);
	CHECK_EQ(n, 4);
	CHECK(memcmp(buf, "ping", 4) == 0);
}

static int total_case(t_sync *s, void *arg)
{
	uint16_t port;
	int srv, c1, c2, c3, m, i;
	struct sockaddr_in a = srv_addr(0);

	(void)s;
	(void)arg;
	t_pick_udp_ports(&port, 1);
	setenv("SCTPUDP_MAX_ASSOCS", "4", 1);
	unsetenv("SCTPUDP_MAX_ASSOCS_PER_SOCKET");
	t_use_udp(port, port);

	STEP("total: two associations fill a bound of four");
	srv = server_on(0);
	c1 = t_sctp_socket(SOCK_STREAM);
	CHECK_SYS(connect_to(c1, 0));
	c2 = t_sctp_socket(SOCK_STREAM);
	CHECK_SYS(connect_to(c2, 0));
	carries(c2, srv);

	STEP("total: connect() over the bound");
	c3 = t_sctp_socket(SOCK_STREAM);
	CHECK_ERRNO(connect_to(c3, 0), ENOMEM);
	STEP("total: sendmsg() setting up over the bound");
	m = t_sctp_socket(SOCK_SEQPACKET);
	CHECK_ERRNO(sctp_sendmsg(m, "x", 1, (struct sockaddr *)&a, sizeof(a), 0, 0, 0, 0, 0),
		    ENOMEM);

	STEP("total: room again once a client closed");
	CHECK_SYS(close(c1));
	for (i = 0;; i++) {
		if (connect_to(c3, 0) == 0)
			break;
		if (errno != ENOMEM)
			DIE("connect after close");
		if (i == 500)
			FAIL("no room 5 s after a client closed");
		usleep(10000);
	}
	carries(c3, srv);
	close(c2);
	close(c3);
	close(m);
	close(srv);
	return 0;
}

static int per_socket_case(t_sync *s, void *arg)
{
	uint16_t port;
	int srv, l1, l2, c1, c2, c3, m;

	(void)s;
	(void)arg;
	t_pick_udp_ports(&port, 1);
	setenv("SCTPUDP_MAX_ASSOCS_PER_SOCKET", "2", 1);
	unsetenv("SCTPUDP_MAX_ASSOCS");
	t_use_udp(port, port);

	STEP("per-socket: a server takes two associations");
	srv = server_on(1);
	c1 = t_sctp_socket(SOCK_STREAM);
	CHECK_SYS(connect_to(c1, 1));
	c2 = t_sctp_socket(SOCK_STREAM);
	CHECK_SYS(connect_to(c2, 1));

	STEP("per-socket: the third is refused by the peer's ABORT");
	c3 = t_sctp_socket(SOCK_STREAM);
	CHECK_ERRNO(connect_to(c3, 1), ECONNREFUSED);
	carries(c1, srv);
	carries(c2, srv);

	STEP("per-socket: an abort reason too long for an ABORT chunk");
	{
		/* sctp_make_abort_user: ENOMEM past SCTP_MAX_CHUNK_LEN, and
		 * the association lives on. */
		static char reason[65525];
		int m1 = t_sctp_socket(SOCK_SEQPACKET);
		struct sctp_sndrcvinfo si;
		sctp_assoc_t id = 0;
		struct sockaddr_in to = srv_addr(1);

		CHECK_SYS(close(c1)); /* room on the server for m1 */
		for (int i = 0; sctp_connectx(m1, (struct sockaddr *)&to, 1, &id) != 0; i++) {
			CHECK(errno == ECONNREFUSED && i < 200);
			usleep(20000);
		}
		memset(&si, 0, sizeof(si));
		si.sinfo_assoc_id = id;
		si.sinfo_flags = SCTP_ABORT;
		CHECK_ERRNO(sctp_send(m1, reason, sizeof(reason), &si, 0), ENOMEM);
		CHECK_EQ(t_get_int(m1, IPPROTO_SCTP, SCTP_GET_ASSOC_NUMBER), 1);
		CHECK_SYS(sctp_send(m1, reason, sizeof(reason) - 1, &si, 0));
		for (int i = 0; t_get_int(m1, IPPROTO_SCTP, SCTP_GET_ASSOC_NUMBER) != 0; i++) {
			CHECK(i < 200);
			usleep(10000);
		}
		close(m1);
	}

	STEP("per-socket: a one-to-many client's own bound");
	l1 = server_on(2);
	l2 = server_on(3);
	m = t_sctp_socket(SOCK_SEQPACKET);
	CHECK_SYS(connect_to(m, 2));
	CHECK_SYS(connect_to(m, 3));
	CHECK_ERRNO(connect_to(m, 1), ENOMEM);
	close(m);
	close(l1);
	close(l2);
	close(c2);
	close(c3);
	close(srv);
	return 0;
}

static int buffers_case(t_sync *s, void *arg)
{
	static char msg[1000];
	uint16_t port;
	int l, c, r, sent = 0, held, rcvbuf, sndbuf;
	struct sockaddr_in a = srv_addr(4);

	(void)s;
	(void)arg;
	t_pick_udp_ports(&port, 1);
	unsetenv("SCTPUDP_MAX_ASSOCS");
	unsetenv("SCTPUDP_MAX_ASSOCS_PER_SOCKET");
	t_use_udp(port, port);
	STEP("buffers: a receiver that never reads");
	l = t_sctp_socket(SOCK_STREAM);
	t_bind4(l, "127.0.0.1", (uint16_t)(t_ports.sctp + 4));
	t_set_int(l, SOL_SOCKET, SO_RCVBUF, 65536);
	CHECK_SYS(listen(l, 4));
	c = t_sctp_socket(SOCK_STREAM);
	t_set_int(c, SOL_SOCKET, SO_SNDBUF, 65536);
	CHECK_SYS(connect(c, (struct sockaddr *)&a, sizeof(a)));
	r = accept(l, NULL, NULL);
	CHECK_SYS(r);
	rcvbuf = t_get_int(r, SOL_SOCKET, SO_RCVBUF);
	sndbuf = t_get_int(c, SOL_SOCKET, SO_SNDBUF);
	CHECK_SYS(fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK));
	for (int round = 0; round < 3; round++) {
		for (;;) {
			ssize_t n = sctp_sendmsg(c, msg, sizeof(msg), NULL, 0, 0, 0, 0, 0, 0);

			if (n < 0) {
				CHECK_EQ(errno, EAGAIN);
				break;
			}
			sent += (int)n;
			if (sent > 64 << 20)
				FAIL("64 MiB taken by a peer that does not read");
		}
		usleep(300000);
	}
	printf("buffers: %d bytes taken by the sender before the receiver read anything "
	       "(SO_SNDBUF %d, receiver's SO_RCVBUF %d)\n", sent, sndbuf, rcvbuf);
	CHECK(sent <= rcvbuf + sndbuf);
	STEP("buffers: all of it arrives once read");
	for (held = 0; held < sent;) {
		static char buf[4096];
		ssize_t n;

		t_wait_fd(r, POLLIN, 5000);
		n = recv(r, buf, sizeof(buf), 0);
		CHECK(n > 0);
		held += (int)n;
	}
	CHECK_EQ(held, sent);
	close(c);
	close(r);
	close(l);
	return 0;
}

int main(int argc, char **argv)
{
	pid_t a, b, c;

	t_init("t_limits", argc, argv, 60);
	a = t_fork("total", NULL, total_case, NULL);
	b = t_fork("per-socket", NULL, per_socket_case, NULL);
	c = t_fork("buffers", NULL, buffers_case, NULL);
	t_wait_child(a, "total", 50);
	t_wait_child(b, "per-socket", 50);
	t_wait_child(c, "buffers", 50);
	t_pass();
}
