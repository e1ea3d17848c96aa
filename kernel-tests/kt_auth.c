/*
 * kt_auth: AUTH (RFC 4895) with the kernel (guest booted with
 * net.sctp.auth_enable=1).
 *
 *  1. One-to-one socket to the guest's plain echo (port 7, no AUTH option
 *     of its own) with AUTH on, DATA and SACK required authenticated,
 *     SHA-256 preferred: the association reports AUTH in use
 *     (SCTP_AUTH_SUPPORTED 1), the kernel's chunk list empty
 *     (SCTP_PEER_AUTH_CHUNKS), ours DATA and SACK; 300 echoes of 1 B to
 *     3,000 B: every DATA and SACK from the kernel must carry an AUTH that
 *     verifies (its null key 0, the first HMAC of our list it has), or we
 *     would drop it and the echo would stall.
 *  2. The same to the guest's echoext (port 11), which requires DATA and
 *     SACK authenticated itself: SCTP_PEER_AUTH_CHUNKS says so, and the
 *     echoes only pass if the kernel verifies our AUTH chunks too.
 *  3. With ASCONF on too (the guest has net.sctp.addip_enable=1): the
 *     association reports it, and an SCTP_SET_PEER_PRIMARY_ADDR for our
 *     address sends an authenticated ASCONF that the kernel answers with
 *     an ASCONF-ACK (refusing it: behind the guest's user-mode network it
 *     knows us by another address); the echoes go on.
 * pcap-check.py checks that every DATA packet of each side carried AUTH,
 * and the ASCONF / ASCONF-ACK exchange.
 */
#include "kt.h"

#define N 300

/* Connects to the guest's PORT with AUTH on, checks the lists, echoes;
 * returns the seconds the echoes took. */
static double run(uint16_t port, int peer_chunks, int asconf)
{
	static char out[4000], in[4000];

	STEP("configure");
	int fd = kt_socket(SOCK_STREAM);
	struct sctp_assoc_value av = { .assoc_id = SCTP_FUTURE_ASSOC, .assoc_value = 1 };
	SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_AUTH_SUPPORTED, &av, sizeof(av)));
	for (int t = 0; t <= 3; t += 3) {
		struct sctp_authchunk c = { .sauth_chunk = (uint8_t)t };
		SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_AUTH_CHUNK, &c, sizeof(c)));
	}
	{
		char buf[sizeof(struct sctp_hmacalgo) + 4];
		struct sctp_hmacalgo *h = (void *)buf;
		h->shmac_num_idents = 2;
		h->shmac_idents[0] = SCTP_AUTH_HMAC_ID_SHA256;
		h->shmac_idents[1] = SCTP_AUTH_HMAC_ID_SHA1;
		SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_HMAC_IDENT, buf, sizeof(buf)));
	}
	if (asconf)
		SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_ASCONF_SUPPORTED, &av, sizeof(av)));

	STEP("connect");
	struct sockaddr_in to = kt_addr("127.0.0.1", port);
	kt_connect(fd, &to, 10);
	socklen_t len = sizeof(av);
	av.assoc_id = 0;
	SYS(getsockopt(fd, IPPROTO_SCTP, SCTP_AUTH_SUPPORTED, &av, &len));
	kt_info("port %u: SCTP_AUTH_SUPPORTED on the association: %u", port, av.assoc_value);
	CHECK_EQ(av.assoc_value, 1);
	{
		char buf[sizeof(struct sctp_authchunks) + 64];
		struct sctp_authchunks *c = (void *)buf;
		len = sizeof(buf);
		c->gauth_assoc_id = 0;
		SYS(getsockopt(fd, IPPROTO_SCTP, SCTP_PEER_AUTH_CHUNKS, buf, &len));
		kt_info("port %u: the kernel's CHUNKS: %u types", port, c->gauth_number_of_chunks);
		/* With net.sctp.addip_enable=1 the kernel also lists ASCONF-ACK
		 * (0x80) and ASCONF (0xC1). */
		int has_data = 0, has_sack = 0;
		for (uint32_t k = 0; k < c->gauth_number_of_chunks; k++) {
			has_data |= c->gauth_chunks[k] == 0;
			has_sack |= c->gauth_chunks[k] == 3;
		}
		CHECK_EQ(has_data, peer_chunks);
		CHECK_EQ(has_sack, peer_chunks);
		len = sizeof(buf);
		c->gauth_assoc_id = 0;
		SYS(getsockopt(fd, IPPROTO_SCTP, SCTP_LOCAL_AUTH_CHUNKS, buf, &len));
		CHECK_EQ(c->gauth_number_of_chunks, asconf ? 4 : 2);
		CHECK(c->gauth_chunks[0] == 0 && c->gauth_chunks[1] == 3);
	}

	if (asconf) {
		STEP("asconf");
		struct sctp_assoc_value v = { .assoc_id = 0 };
		len = sizeof(v);
		SYS(getsockopt(fd, IPPROTO_SCTP, SCTP_ASCONF_SUPPORTED, &v, &len));
		kt_info("port %u: SCTP_ASCONF_SUPPORTED on the association: %u", port, v.assoc_value);
		CHECK_EQ(v.assoc_value, 1);
		struct sockaddr_in me;
		socklen_t ml = sizeof(me);
		SYS(getsockname(fd, (struct sockaddr *)&me, &ml));
		struct sctp_setpeerprim pp;
		memset(&pp, 0, sizeof(pp));
		memcpy(&pp.sspp_addr, &me, sizeof(me));
		SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_SET_PEER_PRIMARY_ADDR, &pp, sizeof(pp)));
	}

	STEP("echo");
	double t0 = kt_now();
	for (int i = 0; i < N; i++) {
		size_t n = 1 + (size_t)(i * 997) % 3000;
		kt_fill(out, n, (uint32_t)i);
		kt_send_ok(fd, out, n, NULL, 0, 0, htonl(i), 0);
		struct sctp_rcvinfo ri;
		int fl = 0;
		size_t got = kt_recv_whole(fd, in, sizeof(in), &ri, &fl, 10000);
		if (fl & MSG_NOTIFICATION) {
			i--;
			continue;
		}
		if (got != n || kt_check(in, got, (uint32_t)i) >= 0)
			FAIL("port %u echo %d: %zu bytes, expected %zu intact", port, i, got, n);
	}
	close(fd);
	return kt_now() - t0;
}

int main(void)
{
	kt_init("kt_auth", 120);
	double a = run(7, 0, 0);
	double b = run(11, 1, 0);
	double c = run(7, 0, 1);
	kt_pass("AUTH with the kernel: %d echoes signed by it (%.2f s), %d more with it requiring our DATA and SACK "
		"signed (%.2f s), %d with ASCONF on and a SET PRIMARY answered (%.2f s)", N, a, N, b, N, c);
}
