/*
 * t_asconf: the ASCONF options (RFC 5061) as Linux 6.x has them
 * (net.sctp.addip_enable=0 by default).
 *
 *  1. SCTP_ASCONF_SUPPORTED reads 0; SCTP_SET_PEER_PRIMARY_ADDR is EPERM
 *     before anything else while it is off; the option's length and
 *     association id checks.
 *  2. With AUTH and ASCONF on at both ends of an association (one host
 *     stack): both report ASCONF in use; SCTP_SET_PEER_PRIMARY_ADDR with a
 *     bad length is EINVAL, with an address that is not the association's
 *     (or with another port) EADDRNOTAVAIL, with ours 0; the association
 *     carries a message afterwards.
 * Renumbering over real interfaces is host-tests/run.sh's asconf case and
 * the interop asconf case (with usrsctp).
 */
#include "common.h"

static void set_on(int fd, int opt, uint32_t v)
{
	struct sctp_assoc_value av = { .assoc_id = SCTP_FUTURE_ASSOC, .assoc_value = v };

	CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, opt, &av, sizeof(av)));
}

static uint32_t asconf_of(int fd, sctp_assoc_t id)
{
	struct sctp_assoc_value av = { .assoc_id = id };
	socklen_t len = sizeof(av);

	CHECK_SYS(getsockopt(fd, IPPROTO_SCTP, SCTP_ASCONF_SUPPORTED, &av, &len));
	return av.assoc_value;
}

static int set_peer_prim(int fd, const char *ip, uint16_t port, socklen_t len)
{
	struct sctp_setpeerprim pp;
	struct sockaddr_in a = t_addr4(ip, port);

	memset(&pp, 0, sizeof(pp));
	memcpy(&pp.sspp_addr, &a, sizeof(a));
	return setsockopt(fd, IPPROTO_SCTP, SCTP_SET_PEER_PRIMARY_ADDR, &pp, len);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a, me;
	socklen_t ml = sizeof(me);
	uint16_t port;
	int m, l, c, s;
	char buf[16];

	t_init("t_asconf", argc, argv, 60);
	t_pick_udp_ports(&port, 1);
	t_use_udp(port, port);

	STEP("1: off by default");
	m = t_sctp_socket(SOCK_SEQPACKET);
	CHECK_EQ(asconf_of(m, SCTP_FUTURE_ASSOC), 0);
	CHECK_ERRNO(set_peer_prim(m, "127.0.0.1", 1, 3), EPERM);
	{
		struct sctp_assoc_value av = { .assoc_id = 1234, .assoc_value = 1 };
		CHECK_ERRNO(setsockopt(m, IPPROTO_SCTP, SCTP_ASCONF_SUPPORTED, &av, sizeof(av)), EINVAL);
		CHECK_ERRNO(setsockopt(m, IPPROTO_SCTP, SCTP_ASCONF_SUPPORTED, &av, 4), EINVAL);
	}
	set_on(m, SCTP_ASCONF_SUPPORTED, 1);
	CHECK_EQ(asconf_of(m, SCTP_FUTURE_ASSOC), 1);
	CHECK_ERRNO(set_peer_prim(m, "127.0.0.1", 1, sizeof(struct sctp_setpeerprim)), EINVAL);
	close(m);

	STEP("2: an association with ASCONF");
	a = t_addr4("127.0.0.1", t_ports.sctp);
	l = t_sctp_socket(SOCK_STREAM);
	set_on(l, SCTP_AUTH_SUPPORTED, 1);
	set_on(l, SCTP_ASCONF_SUPPORTED, 1);
	t_bind4(l, "127.0.0.1", t_ports.sctp);
	CHECK_SYS(listen(l, 4));
	c = t_sctp_socket(SOCK_STREAM);
	set_on(c, SCTP_AUTH_SUPPORTED, 1);
	set_on(c, SCTP_ASCONF_SUPPORTED, 1);
	t_bind4(c, "127.0.0.1", 0);
	CHECK_SYS(connect(c, (struct sockaddr *)&a, sizeof(a)));
	s = (int)CHECK_SYS(accept(l, NULL, NULL));
	CHECK_EQ(asconf_of(c, 0), 1);
	CHECK_EQ(asconf_of(s, 0), 1);
	CHECK_SYS(getsockname(c, (struct sockaddr *)&me, &ml));
	CHECK_ERRNO(set_peer_prim(c, "127.0.0.1", ntohs(me.sin_port), 8), EINVAL);
	CHECK_ERRNO(set_peer_prim(c, "127.0.0.9", ntohs(me.sin_port), sizeof(struct sctp_setpeerprim)),
		    EADDRNOTAVAIL);
	CHECK_ERRNO(set_peer_prim(c, "127.0.0.1", (uint16_t)(ntohs(me.sin_port) + 1),
				  sizeof(struct sctp_setpeerprim)),
		    EADDRNOTAVAIL);
	CHECK_SYS(set_peer_prim(c, "127.0.0.1", ntohs(me.sin_port), sizeof(struct sctp_setpeerprim)));
	CHECK_EQ(send(c, "asconf", 6, 0), 6);
	t_wait_fd(s, POLLIN, 10000);
	CHECK_EQ(recv(s, buf, sizeof(buf), 0), 6);
	close(c);
	close(s);
	close(l);
	t_pass();
}
