/*
 * t_readiness: poll() on a listening one-to-many socket says readable
 * only when a receive would return something, as on Linux (sctp_poll:
 * the receive queue). Subscribed to data only, a server whose client
 * connected, sent, got its echo and left has nothing to read: a program
 * that polls and then makes a blocking receive (the usual server loop)
 * must not be told otherwise, or it blocks in the receive. sctpudp used
 * to show POLLIN when the last association of a socket ended (to wake a
 * receiver for ENOTCONN, which only a socket that does not listen gets).
 */
#include "common.h"

int main(int argc, char **argv)
{
	struct sctp_event_subscribe ev;
	struct sctp_sndrcvinfo si;
	struct sockaddr_in a;
	char buf[100];
	uint16_t port;
	int s, flags;

	t_init("t_readiness", argc, argv, 30);
	t_pick_udp_ports(&port, 1);
	t_use_udp(port, port);
	s = t_sctp_socket(SOCK_SEQPACKET);
	t_bind4(s, "127.0.0.1", t_ports.sctp);
	memset(&ev, 0, sizeof(ev));
	ev.sctp_data_io_event = 1;
	CHECK_SYS(setsockopt(s, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof(ev)));
	CHECK_SYS(listen(s, 5));
	a = t_addr4("127.0.0.1", t_ports.sctp);
	for (int i = 0; i < 3; i++) {
		struct pollfd p = { s, POLLIN, 0 };
		int c = t_sctp_socket(SOCK_STREAM);

		STEP("a client connects: nothing to read yet");
		CHECK_SYS(connect(c, (struct sockaddr *)&a, sizeof(a)));
		CHECK_EQ(poll(&p, 1, 200), 0);
		STEP("its message is readable");
		CHECK_EQ(sctp_sendmsg(c, "hi", 2, NULL, 0, 0, 0, 0, 0, 0), 2);
		t_wait_fd(s, POLLIN, 5000);
		flags = 0;
		CHECK_EQ(sctp_recvmsg(s, buf, sizeof(buf), NULL, NULL, &si, &flags), 2);
		CHECK_SYS(sctp_send(s, buf, 2, &si, 0));
		t_wait_fd(c, POLLIN, 5000);
		flags = 0;
		CHECK_EQ(sctp_recvmsg(c, buf, sizeof(buf), NULL, NULL, NULL, &flags), 2);
		STEP("the client left: still nothing to read");
		CHECK_SYS(close(c));
		CHECK_EQ(poll(&p, 1, 300), 0);
	}
	close(s);
	t_pass();
}
