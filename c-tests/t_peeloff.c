/*
 * t_peeloff: sctp_peeloff() branches an association off a one-to-many
 * socket into its own descriptor, which then carries all its data.
 *
 * Server (child): one-to-many socket with sctp_data_io_event and
 * association events.
 *  - skips the COMM_UP notification, receives "ping 0" with sctp_recvmsg
 *    (from = client address, sinfo gives the association id) and peels that
 *    association off;
 *  - Linux then: a second sctp_peeloff of the same id fails with EINVAL
 *    (the id no longer belongs to this socket), the one-to-many socket has
 *    SCTP_GET_ASSOC_NUMBER 0, and the new descriptor behaves like a
 *    one-to-one socket: getpeername() is the client, sctp_sendmsg() without
 *    an address goes to its association;
 *  - echoes "ping 0" and 10 more messages over the peeled descriptor while
 *    the original socket stays silent (no POLLIN);
 *  - when the client closes, the peeled socket (which inherited the event
 *    subscription) reports SCTP_ASSOC_CHANGE / SCTP_SHUTDOWN_COMP, and a
 *    blocking recv() then fails with ENOTCONN: unlike an accepted socket, a
 *    peeled-off one never gets RCV_SHUTDOWN on Linux (sctp_cmd_new_state
 *    sets it for TCP-style sockets only), so with its association gone
 *    sctp_wait_for_packet returns -ENOTCONN instead of EOF.
 * Client (this process): one-to-one socket, each message echoed.
 */
#include "common.h"

#define N_MORE 10

static int server(t_sync *s, void *arg)
{
	char buf[512];
	struct sctp_event_subscribe ev;
	struct sctp_sndrcvinfo si;
	struct sockaddr_in from, peer;
	socklen_t flen = sizeof(from), plen = sizeof(peer);
	int fd, pfd, fl = 0, n, i;

	(void)arg;
	t_use_udp(t_ports.udp_server, t_ports.udp_client);
	STEP("server: one-to-many listen");
	fd = t_sctp_socket(SOCK_SEQPACKET);
	t_bind4(fd, "127.0.0.1", t_ports.sctp);
	memset(&ev, 0, sizeof(ev));
	ev.sctp_data_io_event = 1;
	ev.sctp_association_event = 1;
	CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof(ev)));
	CHECK_SYS(listen(fd, 8));
	t_post(s, 'L');

	STEP("server: COMM_UP, then the first message on the one-to-many socket");
	do {
		t_wait_fd(fd, POLLIN, 20000);
		memset(&si, 0, sizeof(si));
		flen = sizeof(from);
		fl = 0;
		n = sctp_recvmsg(fd, buf, sizeof(buf), (struct sockaddr *)&from,
				 &flen, &si, &fl);
		CHECK(n > 0);
	} while (fl & MSG_NOTIFICATION);
	CHECK(fl & MSG_EOR);
	CHECK(!(fl & MSG_NOTIFICATION));
	CHECK(memcmp(buf, "ping 0", 6) == 0);
	CHECK(si.sinfo_assoc_id != 0);
	CHECK_EQ(flen, sizeof(from));
	CHECK(from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));

	STEP("server: sctp_peeloff");
	pfd = (int)CHECK_SYS(sctp_peeloff(fd, si.sinfo_assoc_id));
	CHECK(pfd != fd);
	CHECK_ERRNO(sctp_peeloff(fd, si.sinfo_assoc_id), EINVAL);
	CHECK_EQ(t_get_int(fd, IPPROTO_SCTP, SCTP_GET_ASSOC_NUMBER), 0);
	CHECK_SYS(getpeername(pfd, (struct sockaddr *)&peer, &plen));
	CHECK(peer.sin_addr.s_addr == from.sin_addr.s_addr);
	CHECK_EQ(peer.sin_port, from.sin_port);

	STEP("server: echo over the peeled-off socket");
	t_send_msg(pfd, buf, (size_t)n, NULL, si.sinfo_ppid, 0, si.sinfo_stream);
	for (i = 0;; i++) {
		size_t m = t_recv_msg(pfd, buf, sizeof(buf), &si, &fl, NULL, 15000);
		struct pollfd p = { fd, POLLIN, 0 };

		CHECK(m > 0);
		if (fl & MSG_NOTIFICATION) {
			const union sctp_notification *sn = (const void *)buf;

			CHECK_EQ(sn->sn_header.sn_type, SCTP_ASSOC_CHANGE);
			CHECK_EQ(sn->sn_assoc_change.sac_state, SCTP_SHUTDOWN_COMP);
			break;
		}
		t_send_msg(pfd, buf, m, NULL, si.sinfo_ppid, 0, si.sinfo_stream);
		CHECK_EQ(poll(&p, 1, 0), 0); /* nothing for the old socket */
	}
	CHECK_EQ(i, N_MORE);
	STEP("server: recv on the peeled socket after its association ended");
	CHECK_ERRNO(recv(pfd, buf, sizeof(buf), 0), ENOTCONN);
	close(pfd);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in srv;
	char out[64], in[512];
	t_sync s = { 0 };
	pid_t pid;
	int fd;

	t_init("t_peeloff", argc, argv, 60);
	pid = t_fork("server", &s, server, NULL);
	t_use_udp(t_ports.udp_client, t_ports.udp_server);
	t_await(&s, 'L', 20000);

	STEP("client: connect");
	srv = t_addr4("127.0.0.1", t_ports.sctp);
	fd = t_sctp_socket(SOCK_STREAM);
	t_enable_data_io(fd);
	CHECK_SYS(connect(fd, (struct sockaddr *)&srv, sizeof(srv)));

	for (int i = 0; i <= N_MORE; i++) {
		struct sctp_sndrcvinfo si;
		size_t len, n;

		STEP("client: ping / echo");
		len = (size_t)snprintf(out, sizeof(out), "ping %d", i) + 1;
		t_send_msg(fd, out, len, NULL, htonl((uint32_t)i), 0, (uint16_t)(i % 3));
		n = t_recv_msg(fd, in, sizeof(in), &si, NULL, NULL, 15000);
		CHECK_EQ(n, len);
		CHECK(memcmp(in, out, len) == 0);
		CHECK_EQ(si.sinfo_ppid, htonl((uint32_t)i));
		CHECK_EQ(si.sinfo_stream, i % 3);
	}
	STEP("client: close");
	CHECK_SYS(close(fd));
	t_wait_child(pid, "server", 30);
	t_pass();
}
