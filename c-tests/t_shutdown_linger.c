/*
 * t_shutdown_linger: graceful shutdown(SHUT_WR) versus abortive close
 * (SO_LINGER {1, 0}), as Linux handles them.
 *
 *  A. one-to-one: the client sends 20 messages and calls shutdown(SHUT_WR).
 *     SCTP sends SHUTDOWN only after all its data is acknowledged, so the
 *     server reads all 20, in order and intact, and then recv() returns 0.
 *  B. one-to-one: the client exchanges one message, sets SO_LINGER {1, 0}
 *     (read back as such) and closes: Linux sends ABORT instead of SHUTDOWN
 *     (sctp_close), and the server's next recv() fails with ECONNRESET
 *     (sk_err set by the ABORT on a one-to-one socket).
 *  C. one-to-many: same abortive close from a one-to-many client; the
 *     one-to-many server, subscribed to association events, sees COMM_UP,
 *     the data, then SCTP_ASSOC_CHANGE / SCTP_COMM_LOST for the same id
 *     (sac_length >= sizeof(struct sctp_assoc_change): Linux appends the
 *     ABORT chunk's causes) and no SHUTDOWN_COMP.
 */
#include "common.h"

#define N_MSGS 20

static int server(t_sync *s, void *arg)
{
	union { union sctp_notification sn; char raw[1024]; } u;
	struct sctp_event_subscribe ev;
	struct sctp_sndrcvinfo si;
	sctp_assoc_t id;
	int l, mt, c, i, fl;
	size_t n;

	(void)arg;
	t_use_udp(t_ports.udp_server, t_ports.udp_client);
	STEP("server: listen on one-to-one and one-to-many sockets");
	l = t_sctp_socket(SOCK_STREAM);
	t_bind4(l, "127.0.0.1", t_ports.sctp);
	CHECK_SYS(listen(l, 4));
	mt = t_sctp_socket(SOCK_SEQPACKET);
	t_bind4(mt, "127.0.0.1", (uint16_t)(t_ports.sctp + 1));
	memset(&ev, 0, sizeof(ev));
	ev.sctp_data_io_event = 1;
	ev.sctp_association_event = 1;
	CHECK_SYS(setsockopt(mt, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof(ev)));
	CHECK_SYS(listen(mt, 4));
	t_post(s, 'L');

	STEP("server A: read everything, then EOF");
	t_wait_fd(l, POLLIN, 20000);
	c = (int)CHECK_SYS(accept(l, NULL, NULL));
	for (i = 0;; i++) {
		n = t_recv_msg(c, u.raw, sizeof(u.raw), NULL, NULL, NULL, 15000);
		if (n == 0)
			break;
		CHECK(i < N_MSGS);
		CHECK_EQ(n, 100 + i);
		if (t_check_fill(u.raw, n, (uint32_t)i) >= 0)
			FAIL("message %d corrupted", i);
	}
	CHECK_EQ(i, N_MSGS);
	close(c);
	t_post(s, 'A');

	STEP("server B: echo, then ECONNRESET");
	t_wait_fd(l, POLLIN, 20000);
	c = (int)CHECK_SYS(accept(l, NULL, NULL));
	n = t_recv_msg(c, u.raw, sizeof(u.raw), NULL, NULL, NULL, 15000);
	CHECK_EQ(n, 4);
	t_send_msg(c, u.raw, n, NULL, 0, 0, 0);
	t_wait_fd(c, POLLIN, 15000);
	CHECK_ERRNO(recv(c, u.raw, sizeof(u.raw), 0), ECONNRESET);
	close(c);

	STEP("server C: COMM_UP, data, COMM_LOST");
	n = t_recv_msg(mt, u.raw, sizeof(u.raw), NULL, &fl, NULL, 20000);
	CHECK(fl & MSG_NOTIFICATION);
	CHECK_EQ(u.sn.sn_header.sn_type, SCTP_ASSOC_CHANGE);
	CHECK_EQ(u.sn.sn_assoc_change.sac_state, SCTP_COMM_UP);
	id = u.sn.sn_assoc_change.sac_assoc_id;
	CHECK(id != 0);
	n = t_recv_msg(mt, u.raw, sizeof(u.raw), &si, &fl, NULL, 15000);
	CHECK(!(fl & MSG_NOTIFICATION));
	CHECK_EQ(n, 3);
	CHECK_EQ(si.sinfo_assoc_id, id);
	memset(&si, 0, sizeof(si));
	si.sinfo_assoc_id = id;
	CHECK_EQ(sctp_send(mt, u.raw, n, &si, 0), 3);
	n = t_recv_msg(mt, u.raw, sizeof(u.raw), NULL, &fl, NULL, 15000);
	CHECK(fl & MSG_NOTIFICATION);
	CHECK_EQ(u.sn.sn_header.sn_type, SCTP_ASSOC_CHANGE);
	CHECK_EQ(n, u.sn.sn_header.sn_length);
	CHECK(n >= sizeof(struct sctp_assoc_change));
	if (u.sn.sn_assoc_change.sac_state != SCTP_COMM_LOST)
		FAIL("sac_state %u after an abortive close, expected "
		     "SCTP_COMM_LOST (%d)", u.sn.sn_assoc_change.sac_state,
		     SCTP_COMM_LOST);
	CHECK_EQ(u.sn.sn_assoc_change.sac_assoc_id, id);
	close(mt);
	close(l);
	return 0;
}

static void abort_close(int fd)
{
	struct linger lg = { 1, 0 }, back;
	socklen_t len = sizeof(back);

	CHECK_SYS(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	memset(&back, 0xff, sizeof(back));
	CHECK_SYS(getsockopt(fd, SOL_SOCKET, SO_LINGER, &back, &len));
	CHECK_EQ(len, sizeof(back));
	CHECK_EQ(back.l_onoff, 1);
	CHECK_EQ(back.l_linger, 0);
	CHECK_SYS(close(fd));
}

int main(int argc, char **argv)
{
	struct sockaddr_in srv, srv_m;
	char buf[256];
	sctp_assoc_t id = 0;
	t_sync s = { 0 };
	pid_t pid;
	int a, b, m;

	t_init("t_shutdown_linger", argc, argv, 60);
	pid = t_fork("server", &s, server, NULL);
	t_use_udp(t_ports.udp_client, t_ports.udp_server);
	t_await(&s, 'L', 20000);
	srv = t_addr4("127.0.0.1", t_ports.sctp);
	srv_m = t_addr4("127.0.0.1", (uint16_t)(t_ports.sctp + 1));

	STEP("client A: 20 messages then shutdown(SHUT_WR)");
	a = t_sctp_socket(SOCK_STREAM);
	CHECK_SYS(connect(a, (struct sockaddr *)&srv, sizeof(srv)));
	for (int i = 0; i < N_MSGS; i++) {
		t_fill(buf, 100 + (size_t)i, (uint32_t)i);
		t_send_msg(a, buf, 100 + (size_t)i, NULL, 0, 0, 0);
	}
	CHECK_SYS(shutdown(a, SHUT_WR));
	t_await(&s, 'A', 30000);
	CHECK_SYS(close(a));

	STEP("client B: one-to-one abortive close");
	b = t_sctp_socket(SOCK_STREAM);
	CHECK_SYS(connect(b, (struct sockaddr *)&srv, sizeof(srv)));
	t_send_msg(b, "bye", 4, NULL, 0, 0, 0);
	CHECK_EQ(t_recv_msg(b, buf, sizeof(buf), NULL, NULL, NULL, 15000), 4);
	abort_close(b);

	STEP("client C: one-to-many abortive close");
	m = t_sctp_socket(SOCK_SEQPACKET);
	t_enable_data_io(m);
	CHECK_SYS(sctp_connectx(m, (struct sockaddr *)&srv_m, 1, &id));
	t_send_msg(m, "hi", 3, &srv_m, 0, 0, 0);
	CHECK_EQ(t_recv_msg(m, buf, sizeof(buf), NULL, NULL, NULL, 15000), 3);
	abort_close(m);

	t_wait_child(pid, "server", 30);
	t_pass();
}
