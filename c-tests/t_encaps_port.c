/*
 * t_encaps_port: SCTP_REMOTE_UDP_ENCAPS_PORT (132, struct sctp_udpencaps,
 * sue_port in network byte order) set and read back on the socket default
 * (SCTP_FUTURE_ASSOC), on an association and on one peer address, with
 * the Linux semantics (net/sctp/socket.c, sctp_{set,get}sockopt_encap_port):
 *  - an all-zero sue_address means "no particular address";
 *  - setting it on an association also sets it on each of its transports;
 *  - setting it on an address changes only that transport;
 *  - an unknown association id (one-to-many) or address: EINVAL;
 *  - optlen != sizeof (set) or < sizeof (get): EINVAL.
 *
 * To show the option is honoured and not just stored, the client process
 * starts with SCTPUDP_REMOTE_UDP_PORT pointing at an unused UDP port W and
 * reaches the server only because it sets the socket default to the
 * server's UDP port before sctp_connectx().  A fresh socket's default must
 * read back as W (sctpudp: SCTPUDP_REMOTE_UDP_PORT is the default for new
 * associations, the counterpart of Linux's net.sctp.encap_port sysctl;
 * skipped with SCTPUDP_TEST_LKSCTP=1).
 * After connecting, the association's value is the server's port (Linux
 * stores the UDP source port of the INIT ACK), the server sees the
 * client's port on its side, and after changing and restoring the values
 * an echo still goes through.
 */
#include "common.h"

static int get_port(int fd, sctp_assoc_t id, const struct sockaddr_in *addr)
{
	struct sctp_udpencaps e;
	socklen_t len = sizeof(e);

	memset(&e, 0, sizeof(e));
	e.sue_assoc_id = id;
	if (addr)
		memcpy(&e.sue_address, addr, sizeof(*addr));
	CHECK_SYS(getsockopt(fd, IPPROTO_SCTP, SCTP_REMOTE_UDP_ENCAPS_PORT, &e, &len));
	CHECK_EQ(len, sizeof(e));
	return ntohs(e.sue_port);
}

static int set_port(int fd, sctp_assoc_t id, const struct sockaddr_in *addr,
		    uint16_t port)
{
	struct sctp_udpencaps e;

	memset(&e, 0, sizeof(e));
	e.sue_assoc_id = id;
	if (addr)
		memcpy(&e.sue_address, addr, sizeof(*addr));
	e.sue_port = htons(port);
	return setsockopt(fd, IPPROTO_SCTP, SCTP_REMOTE_UDP_ENCAPS_PORT, &e, sizeof(e));
}

static int server(t_sync *s, void *arg)
{
	struct sctp_sndrcvinfo si;
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	char buf[64];
	int fd, n, fl = 0;

	(void)arg;
	t_use_udp(t_ports.udp_server, t_ports.udp_client);
	STEP("server: listen");
	fd = t_sctp_socket(SOCK_SEQPACKET);
	t_bind4(fd, "127.0.0.1", t_ports.sctp);
	t_enable_data_io(fd);
	CHECK_SYS(listen(fd, 4));
	t_post(s, 'L');

	STEP("server: receive, check the association's encapsulation port");
	t_wait_fd(fd, POLLIN, 20000);
	memset(&si, 0, sizeof(si));
	n = sctp_recvmsg(fd, buf, sizeof(buf), (struct sockaddr *)&from, &flen, &si, &fl);
	CHECK(n > 0);
	CHECK(!(fl & MSG_NOTIFICATION));
	CHECK_EQ(get_port(fd, si.sinfo_assoc_id, NULL), t_ports.udp_client);
	CHECK_EQ(get_port(fd, si.sinfo_assoc_id, &from), t_ports.udp_client);
	CHECK_EQ(get_port(fd, SCTP_FUTURE_ASSOC, &from), t_ports.udp_client);
	t_send_msg(fd, buf, (size_t)n, &from, 0, 0, 0);
	t_await(s, 'Q', 30000);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	uint16_t US = 0, W = 0, pick[2];
	struct sockaddr_in srv, nobody;
	struct sctp_udpencaps e;
	socklen_t len;
	sctp_assoc_t id = 0;
	t_sync s = { 0 };
	char buf[64];
	pid_t pid;
	int fd;

	t_init("t_encaps_port", argc, argv, 60);
	US = t_ports.udp_server;
	t_pick_udp_ports(pick, 1);
	W = pick[0]; /* nobody listens there */
	pid = t_fork("server", &s, server, NULL);
	t_use_udp(t_ports.udp_client, W);
	t_await(&s, 'L', 20000);
	srv = t_addr4("127.0.0.1", t_ports.sctp);
	nobody = t_addr4("127.0.0.1", (uint16_t)(t_ports.sctp + 7));

	STEP("socket default (SCTP_FUTURE_ASSOC)");
	fd = t_sctp_socket(SOCK_SEQPACKET);
	t_enable_data_io(fd);
	if (!t_lksctp()) /* Linux: the net.sctp.encap_port sysctl instead */
		CHECK_EQ(get_port(fd, SCTP_FUTURE_ASSOC, NULL), W);
	CHECK_SYS(set_port(fd, SCTP_FUTURE_ASSOC, NULL, US));
	CHECK_EQ(get_port(fd, SCTP_FUTURE_ASSOC, NULL), US);

	STEP("bad lengths");
	memset(&e, 0, sizeof(e));
	CHECK_ERRNO(setsockopt(fd, IPPROTO_SCTP, SCTP_REMOTE_UDP_ENCAPS_PORT, &e,
			       sizeof(e) - 1), EINVAL);
	len = sizeof(e) - 1;
	CHECK_ERRNO(getsockopt(fd, IPPROTO_SCTP, SCTP_REMOTE_UDP_ENCAPS_PORT, &e,
			       &len), EINVAL);

	STEP("connect using the socket default");
	CHECK_SYS(sctp_connectx(fd, (struct sockaddr *)&srv, 1, &id));
	CHECK(id != 0);
	CHECK_EQ(get_port(fd, id, NULL), US);
	CHECK_EQ(get_port(fd, id, &srv), US);

	STEP("per association, then per address");
	CHECK_SYS(set_port(fd, id, NULL, W));
	CHECK_EQ(get_port(fd, id, NULL), W);
	CHECK_EQ(get_port(fd, id, &srv), W); /* applied to every transport */
	CHECK_SYS(set_port(fd, id, &srv, US));
	CHECK_EQ(get_port(fd, id, &srv), US);
	CHECK_EQ(get_port(fd, id, NULL), W); /* the address only */
	CHECK_SYS(set_port(fd, SCTP_FUTURE_ASSOC, &srv, US)); /* id found by address */
	CHECK_SYS(set_port(fd, id, NULL, US));
	CHECK_EQ(get_port(fd, id, NULL), US);
	CHECK_EQ(get_port(fd, SCTP_FUTURE_ASSOC, NULL), US);

	STEP("unknown association or address");
	CHECK_ERRNO(set_port(fd, id + 1000, NULL, US), EINVAL);
	memset(&e, 0, sizeof(e));
	e.sue_assoc_id = id + 1000;
	len = sizeof(e);
	CHECK_ERRNO(getsockopt(fd, IPPROTO_SCTP, SCTP_REMOTE_UDP_ENCAPS_PORT, &e,
			       &len), EINVAL);
	CHECK_ERRNO(set_port(fd, id, &nobody, US), EINVAL);

	STEP("the association still works");
	t_send_msg(fd, "still there", 12, &srv, 0, 0, 0);
	CHECK_EQ(t_recv_msg(fd, buf, sizeof(buf), NULL, NULL, NULL, 15000), 12);
	CHECK(memcmp(buf, "still there", 12) == 0);

	t_post(&s, 'Q');
	CHECK_SYS(close(fd));
	t_wait_child(pid, "server", 30);
	t_pass();
}
