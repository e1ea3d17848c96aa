/*
 * kt_client: the kernel as the client (guest's control port 10).
 *
 * We listen; the guest's connect server (peer/src/connect.c) is told
 * "connect SCTP_PORT UDP_PORT COUNT SIZE 1": the kernel opens an association
 * to 127.0.0.1:SCTP_PORT through our host stack's UDP port (from
 * sctpudp_udp_port()), sends COUNT messages of SIZE bytes (message i:
 * stream i % 4, PPID i, byte j = (i * 31 + j) & 0xff), expects each back
 * unchanged, then closes (SHUTDOWN) and replies "ok sent=N echoed=M".
 *
 *  1. one-to-one listener (accept), 50 x 1,000 B
 *  2. the same listener, 8 x 100,000 B (fragmented both ways, partial
 *     delivery in the kernel)
 *  3. one-to-many listener, 20 x 3,000 B, echoed with the association id
 *     of each message, ending with SHUTDOWN_COMP
 * Each accepted association must come from 127.0.0.1 with remote UDP
 * encapsulation port = the guest's (learned from the INIT), and carry the
 * 4 streams the kernel asked for.
 */
#include "kt.h"
#include <sctpudp.h>

#define BUF (1 << 20)

static int ctl;
static struct sockaddr_in ctl_peer;

static void command(const char *cmd)
{
	kt_info("control: %s", cmd);
	kt_send_ok(ctl, cmd, strlen(cmd), NULL, 0, 0, 0, 0);
}

static void expect_reply(int count)
{
	static char buf[512];
	char want[64];
	struct sctp_rcvinfo ri;
	int fl = 0;
	for (;;) {
		size_t n = kt_recv_whole(ctl, buf, sizeof(buf) - 1, &ri, &fl, 40000);
		if (n == 0) FAIL("control association closed");
		if (fl & MSG_NOTIFICATION) continue;
		buf[n] = 0;
		kt_info("control reply: %s", buf);
		snprintf(want, sizeof(want), "ok sent=%d echoed=%d", count, count);
		if (strcmp(buf, want) != 0) FAIL("guest replied '%s', expected '%s'", buf, want);
		return;
	}
}

static void check_msg(const char *buf, size_t n, const struct sctp_rcvinfo *ri, int i, int size)
{
	if ((int)n != size) FAIL("message %d: %zu bytes, expected %d", i, n, size);
	for (int j = 0; j < size; j++)
		if ((unsigned char)buf[j] != (unsigned char)(i * 31 + j))
			FAIL("message %d: byte %d is 0x%02x, expected 0x%02x", i, j, (unsigned char)buf[j],
			     (unsigned char)(i * 31 + j));
	if (ri->rcv_sid != i % 4) FAIL("message %d on stream %u, expected %d", i, ri->rcv_sid, i % 4);
	if (ntohl(ri->rcv_ppid) != (uint32_t)i) FAIL("message %d with PPID %u", i, ntohl(ri->rcv_ppid));
}

static void check_assoc(int fd, sctp_assoc_t id)
{
	struct sctp_status st = kt_status(fd, id);
	struct sockaddr_in *pa = (struct sockaddr_in *)&st.sstat_primary.spinfo_address;
	CHECK_EQ(st.sstat_state, SCTP_ESTABLISHED);
	CHECK_EQ(st.sstat_instrms, 4);
	CHECK_EQ(st.sstat_outstrms, 4);
	int ep = kt_get_encaps_port(fd, id, pa);
	kt_info("accepted association from %s:%u, remote UDP encapsulation port %d", inet_ntoa(pa->sin_addr),
		ntohs(pa->sin_port), ep);
	CHECK(pa->sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	CHECK_EQ(ep, kt_peer_udp_port());
}

/* one-to-one: accept one association and echo until EOF */
static void run_1to1(int lfd, uint16_t sport, int udp_port, int count, int size)
{
	static char buf[BUF];
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "connect %u %d %d %d 1", sport, udp_port, count, size);
	command(cmd);
	kt_wait(lfd, POLLIN, 20000);
	struct sockaddr_in from;
	socklen_t fl_len = sizeof(from);
	int c = (int)SYS(accept(lfd, (struct sockaddr *)&from, &fl_len));
	kt_info("accept: peer %s:%u", inet_ntoa(from.sin_addr), ntohs(from.sin_port));
	check_assoc(c, 0);
	int i = 0;
	for (;;) {
		struct sctp_rcvinfo ri;
		int fl = 0;
		size_t n = kt_recv_whole(c, buf, sizeof(buf), &ri, &fl, 20000);
		if (n == 0) break;
		if (fl & MSG_NOTIFICATION) continue;
		check_msg(buf, n, &ri, i, size);
		kt_send_ok(c, buf, n, NULL, 0, ri.rcv_sid, ri.rcv_ppid, 0);
		i++;
	}
	if (i != count) FAIL("EOF after %d of %d messages", i, count);
	close(c);
	expect_reply(count);
}

int main(void)
{
	kt_init("kt_client", 180);
	static const uint16_t ev[] = { SCTP_ASSOC_CHANGE };
	const uint16_t port1 = 5000, port2 = 5001;

	STEP("control association");
	ctl = kt_socket(SOCK_STREAM);
	ctl_peer = kt_addr("127.0.0.1", 10);
	kt_connect(ctl, &ctl_peer, 10);
	int udp_port = sctpudp_udp_port();
	if (udp_port <= 0) DIE("sctpudp_udp_port");
	kt_info("our host stack is on UDP port %d", udp_port);

	STEP("one-to-one listener");
	int l1 = kt_socket(SOCK_STREAM);
	kt_initmsg(l1, 8, 8);
	struct sockaddr_in a1 = kt_addr("0.0.0.0", port1);
	SYS(bind(l1, (struct sockaddr *)&a1, sizeof(a1)));
	SYS(listen(l1, 4));
	double t0 = kt_now();
	STEP("1: one-to-one, 50 x 1000 B");
	run_1to1(l1, port1, udp_port, 50, 1000);
	double t1 = kt_now();
	STEP("2: one-to-one, 8 x 100000 B");
	run_1to1(l1, port1, udp_port, 8, 100000);
	double t2 = kt_now();
	close(l1);

	STEP("3: one-to-many listener, 20 x 3000 B");
	int l2 = kt_socket(SOCK_SEQPACKET);
	kt_initmsg(l2, 8, 8);
	kt_subscribe(l2, ev, 1);
	struct sockaddr_in a2 = kt_addr("0.0.0.0", port2);
	SYS(bind(l2, (struct sockaddr *)&a2, sizeof(a2)));
	SYS(listen(l2, 4));
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "connect %u %d 20 3000 1", port2, udp_port);
	command(cmd);
	static char buf[BUF];
	int i = 0, up = 0;
	sctp_assoc_t id = 0;
	for (;;) {
		struct sctp_rcvinfo ri;
		int fl = 0;
		size_t n = kt_recv_whole(l2, buf, sizeof(buf), &ri, &fl, 20000);
		if (fl & MSG_NOTIFICATION) {
			struct sctp_assoc_change *ac = (void *)buf;
			if (ac->sac_type != SCTP_ASSOC_CHANGE) continue;
			kt_info("ASSOC_CHANGE state %u assoc %d in/out %u/%u", ac->sac_state, ac->sac_assoc_id,
				ac->sac_inbound_streams, ac->sac_outbound_streams);
			if (ac->sac_state == SCTP_COMM_UP) {
				up = 1, id = ac->sac_assoc_id;
				check_assoc(l2, id);
				continue;
			}
			if (ac->sac_state == SCTP_SHUTDOWN_COMP && ac->sac_assoc_id == id) break;
			FAIL("ASSOC_CHANGE state %u error %u", ac->sac_state, ac->sac_error);
		}
		if (!up) FAIL("data before COMM_UP");
		if (ri.rcv_assoc_id != id) FAIL("data on assoc %d, expected %d", ri.rcv_assoc_id, id);
		check_msg(buf, n, &ri, i, 3000);
		kt_send_ok(l2, buf, n, NULL, id, ri.rcv_sid, ri.rcv_ppid, 0);
		i++;
	}
	if (i != 20) FAIL("SHUTDOWN_COMP after %d of 20 messages", i);
	expect_reply(20);
	double t3 = kt_now();
	close(l2);
	close(ctl);
	kt_pass("kernel connected 3 times: 50 x 1000 B (%.2f s), 8 x 100000 B (%.2f s) one-to-one, "
		"20 x 3000 B one-to-many (%.2f s), all echoed, stream/PPID kept",
		t1 - t0, t2 - t1, t3 - t2);
}
