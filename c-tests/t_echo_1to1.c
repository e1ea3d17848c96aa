/*
 * t_echo_1to1: one-to-one (SOCK_STREAM) echo between two processes.
 *
 * Checks the most basic life cycle of a one-to-one socket as Linux gives it:
 *  - server: socket/bind/listen/accept; accept() reports the client address;
 *  - client: connect(); getpeername() is the server's address;
 *  - 100 messages of 1..3998 bytes, in bursts of 5 on one of 4 streams, sent
 *    with sctp_sendmsg() (ppid, stream) and echoed back; both sides compare
 *    the bytes, and sctp_recvmsg() reports the same stream and ppid (the
 *    SCTP_SNDRCV cmsg, enabled with sctp_data_io_event);
 *  - the client closes after reading every echo (nothing unread, so Linux
 *    sends SHUTDOWN, not ABORT) and the server's recv then returns 0 (EOF),
 *    twice in a row.
 * The server runs in a child process with its own SCTPUDP_UDP_PORT.
 */
#include "common.h"

#define N_MSGS 100
#define BURST 5
#define N_STREAMS 4
#define MAX_LEN 4000

static size_t msg_len(int i)
{
	return 1 + (size_t)(i * 397) % (MAX_LEN - 2);
}

static uint16_t msg_stream(int i)
{
	return (uint16_t)((i / BURST) % N_STREAMS);
}

static int server(t_sync *s, void *arg)
{
	static char buf[MAX_LEN + 1];
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	int l, c, i;

	(void)arg;
	t_use_udp(t_ports.udp_server, t_ports.udp_client);
	STEP("server: socket/bind/listen");
	l = t_sctp_socket(SOCK_STREAM);
	t_set_int(l, SOL_SOCKET, SO_REUSEADDR, 1);
	t_bind4(l, "127.0.0.1", t_ports.sctp);
	t_set_initmsg(l, N_STREAMS, N_STREAMS);
	t_enable_data_io(l); /* inherited by the accepted socket */
	CHECK_SYS(listen(l, 5));
	t_post(s, 'L');

	STEP("server: accept");
	t_wait_fd(l, POLLIN, 20000);
	c = (int)CHECK_SYS(accept(l, (struct sockaddr *)&peer, &plen));
	CHECK_EQ(plen, sizeof(peer));
	CHECK_EQ(peer.sin_family, AF_INET);
	CHECK(peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	CHECK(peer.sin_port != 0);

	for (i = 0;; i++) {
		struct sctp_sndrcvinfo si;
		size_t n;
		long bad;
		int fl;

		STEP("server: receive");
		n = t_recv_msg(c, buf, sizeof(buf), &si, &fl, NULL, 15000);
		if (n == 0)
			break; /* client closed */
		CHECK(!(fl & MSG_NOTIFICATION));
		CHECK(i < N_MSGS);
		CHECK_EQ(n, msg_len(i));
		CHECK_EQ(si.sinfo_stream, msg_stream(i));
		CHECK_EQ(si.sinfo_ppid, htonl(1000 + i));
		bad = t_check_fill(buf, n, (uint32_t)i);
		if (bad >= 0)
			FAIL("message %d: byte %ld differs", i, bad);
		STEP("server: echo");
		t_send_msg(c, buf, n, NULL, si.sinfo_ppid, 0, si.sinfo_stream);
	}
	CHECK_EQ(i, N_MSGS);
	STEP("server: second recv after EOF");
	CHECK_EQ(recv(c, buf, sizeof(buf), 0), 0);
	close(c);
	close(l);
	return 0;
}

int main(int argc, char **argv)
{
	static char out[MAX_LEN], in[MAX_LEN + 1];
	struct sockaddr_in srv, got;
	socklen_t glen = sizeof(got);
	t_sync s = { 0 };
	pid_t pid;
	int fd;

	t_init("t_echo_1to1", argc, argv, 60);
	pid = t_fork("server", &s, server, NULL);
	t_use_udp(t_ports.udp_client, t_ports.udp_server);
	t_await(&s, 'L', 20000);

	STEP("client: connect");
	srv = t_addr4("127.0.0.1", t_ports.sctp);
	fd = t_sctp_socket(SOCK_STREAM);
	t_set_initmsg(fd, N_STREAMS, N_STREAMS);
	t_enable_data_io(fd);
	CHECK_SYS(connect(fd, (struct sockaddr *)&srv, sizeof(srv)));
	CHECK_SYS(getpeername(fd, (struct sockaddr *)&got, &glen));
	CHECK_EQ(glen, sizeof(got));
	CHECK(got.sin_addr.s_addr == srv.sin_addr.s_addr);
	CHECK_EQ(ntohs(got.sin_port), t_ports.sctp);

	for (int b = 0; b < N_MSGS; b += BURST) {
		STEP("client: send burst");
		for (int i = b; i < b + BURST; i++) {
			t_fill(out, msg_len(i), (uint32_t)i);
			t_send_msg(fd, out, msg_len(i), NULL, htonl(1000 + i),
				   0, msg_stream(i));
		}
		STEP("client: receive echoes");
		for (int i = b; i < b + BURST; i++) {
			struct sctp_sndrcvinfo si;
			size_t n;
			long bad;
			int fl;

			n = t_recv_msg(fd, in, sizeof(in), &si, &fl, NULL, 15000);
			if (n == 0)
				FAIL("server closed early (after %d echoes)", i);
			CHECK(!(fl & MSG_NOTIFICATION));
			CHECK_EQ(n, msg_len(i));
			CHECK_EQ(si.sinfo_stream, msg_stream(i));
			CHECK_EQ(si.sinfo_ppid, htonl(1000 + i));
			bad = t_check_fill(in, n, (uint32_t)i);
			if (bad >= 0)
				FAIL("echo %d: byte %ld differs", i, bad);
		}
	}
	STEP("client: close");
	CHECK_SYS(close(fd));
	t_wait_child(pid, "server", 30);
	t_pass();
}
