/*
 * t_ecn: SCTP_ECN_SUPPORTED as Linux 6.x has it (net.sctp.ecn_enable=1).
 *
 *  1. The option: a new socket offers ECN (1); a short length, and on a
 *     one-to-many socket an association id that is not one, are EINVAL;
 *     0 and 1 read back.
 *  2. Negotiation: an association reports 1 only when both ends offered
 *     ECN (client and accepted end agree), for a client that turned it
 *     off, and for a listener that turned it off after listen(); a
 *     message passes each time.
 *
 * ECT and CE marks on real packets are checked by host-tests/run.sh
 * (case ecn, an nftables rule marking CE between two namespaces) and the
 * ECNE/CWR exchange by tests/sim_ecn.rs.
 */
#include "common.h"

static uint32_t ecn_of(int fd, sctp_assoc_t id)
{
	struct sctp_assoc_value av = { .assoc_id = id };
	socklen_t len = sizeof(av);

	CHECK_SYS(getsockopt(fd, IPPROTO_SCTP, SCTP_ECN_SUPPORTED, &av, &len));
	CHECK_EQ(len, sizeof(av));
	return av.assoc_value;
}

static void set_ecn(int fd, sctp_assoc_t id, uint32_t on)
{
	struct sctp_assoc_value av = { .assoc_id = id, .assoc_value = on };

	CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_ECN_SUPPORTED, &av, sizeof(av)));
}

/* Connects a client (ECN offered or not) to listener l, accepts, checks
 * both ends report `want`, and passes a message. */
static void pair(int l, const struct sockaddr_in *a, uint32_t client_on, uint32_t want)
{
	char buf[64];
	int c = t_sctp_socket(SOCK_STREAM), s;

	set_ecn(c, SCTP_FUTURE_ASSOC, client_on);
	CHECK_SYS(connect(c, (const struct sockaddr *)a, sizeof(*a)));
	s = accept(l, NULL, NULL);
	CHECK_SYS(s);
	CHECK_EQ(ecn_of(c, 0), want);
	CHECK_EQ(ecn_of(s, 0), want);
	CHECK_EQ(send(c, "ecn", 3, 0), 3);
	t_wait_fd(s, POLLIN, 10000);
	CHECK_EQ(recv(s, buf, sizeof(buf), 0), 3);
	close(c);
	close(s);
}

int main(int argc, char **argv)
{
	struct sctp_assoc_value av;
	struct sockaddr_in a;
	uint16_t port;
	int m, l;

	t_init("t_ecn", argc, argv, 60);
	t_pick_udp_ports(&port, 1);
	t_use_udp(port, port);

	STEP("1: the option");
	m = t_sctp_socket(SOCK_SEQPACKET);
	CHECK_EQ(ecn_of(m, SCTP_FUTURE_ASSOC), 1);
	memset(&av, 0, sizeof(av));
	CHECK_ERRNO(setsockopt(m, IPPROTO_SCTP, SCTP_ECN_SUPPORTED, &av, 4), EINVAL);
	av.assoc_id = 1234;
	CHECK_ERRNO(setsockopt(m, IPPROTO_SCTP, SCTP_ECN_SUPPORTED, &av, sizeof(av)), EINVAL);
	{
		socklen_t len = 4;
		CHECK_ERRNO(getsockopt(m, IPPROTO_SCTP, SCTP_ECN_SUPPORTED, &av, &len), EINVAL);
		len = sizeof(av);
		CHECK_ERRNO(getsockopt(m, IPPROTO_SCTP, SCTP_ECN_SUPPORTED, &av, &len), EINVAL);
	}
	set_ecn(m, SCTP_FUTURE_ASSOC, 0);
	CHECK_EQ(ecn_of(m, SCTP_FUTURE_ASSOC), 0);
	set_ecn(m, SCTP_FUTURE_ASSOC, 7);
	CHECK_EQ(ecn_of(m, SCTP_FUTURE_ASSOC), 1);
	close(m);

	STEP("2: negotiation");
	a = t_addr4("127.0.0.1", t_ports.sctp);
	l = t_sctp_socket(SOCK_STREAM);
	t_bind4(l, "127.0.0.1", t_ports.sctp);
	CHECK_SYS(listen(l, 8));
	pair(l, &a, 1, 1);
	pair(l, &a, 0, 0);
	set_ecn(l, 0, 0);
	pair(l, &a, 1, 0);
	set_ecn(l, 0, 1);
	pair(l, &a, 1, 1);
	close(l);
	t_pass();
}
