/*
 * kt_echo: 1,000 messages of 1 B to 64 KiB echoed by the kernel.
 *
 *   kt_echo 1to1      one-to-one socket (SOCK_STREAM) to the guest's port 8
 *                     (echo1to1: one process per association); the remote UDP
 *                     port comes from SCTPUDP_REMOTE_UDP_PORT
 *   kt_echo 1tomany   one-to-many socket (SOCK_SEQPACKET) to port 7; the remote
 *                     UDP port is set with SCTP_REMOTE_UDP_ENCAPS_PORT
 *                     (SCTP_FUTURE_ASSOC), SCTPUDP_REMOTE_UDP_PORT is unset
 *
 * Message i: stream i % 10, PPID 0xA5000000 + i, unordered when i % 9 == 4,
 * pseudo-random content seeded by i, sizes mixed (boundaries 1, 1443-1445,
 * 65535, 65536 included).  Up to 16 messages are outstanding.  Each echo
 * must come back on the same stream with the same PPID, unordered flag,
 * length and content; ordered messages of a stream in order.  Then one
 * message with the socket's default send parameters (SCTP_DEFAULT_SNDINFO
 * one-to-one, SCTP_DEFAULT_SEND_PARAM one-to-many) and one with
 * sctp_sendmsg() must come back on their stream with their PPID.  Then a
 * graceful shutdown: EOF (one-to-one) or SHUTDOWN_COMP (one-to-many).
 */
#include "kt.h"

#define N 1000
#define STREAMS 10
#define WINDOW 16
#define PPID_BASE 0xA5000000u
#define MAXMSG 65536

static size_t msg_size(int i)
{
	static const size_t special[] = { 1, 65536, 1443, 1444, 1445, 65535, 2, 2888, 2889, 32768 };
	if (i < (int)(sizeof(special) / sizeof(special[0]))) return special[i];
	uint32_t r = kt_hash(i * 7919u), r2 = kt_hash(r);
	if (r % 100 < 60) return 1 + r2 % 1500;
	if (r % 100 < 88) return 1501 + r2 % 14884;
	return 16385 + r2 % (MAXMSG - 16384);
}

int main(int argc, char **argv)
{
	int one_to_many = argc > 1 && strcmp(argv[1], "1tomany") == 0;
	static char out[MAXMSG], in[MAXMSG + 16];
	static int got[N];
	int last_ordered[STREAMS];
	uint16_t peer_port = kt_peer_udp_port();
	uint16_t sctp_port = one_to_many ? 7 : 8;
	sctp_assoc_t assoc = 0;
	size_t bytes = 0;

	kt_init(one_to_many ? "kt_echo_1tomany" : "kt_echo_1to1", 240);
	if (one_to_many) unsetenv("SCTPUDP_REMOTE_UDP_PORT");
	struct sockaddr_in peer = kt_addr("127.0.0.1", sctp_port);
	for (int s = 0; s < STREAMS; s++) last_ordered[s] = -1;

	STEP("socket and connect");
	int fd = kt_socket(one_to_many ? SOCK_SEQPACKET : SOCK_STREAM);
	kt_initmsg(fd, STREAMS, STREAMS);
	static const uint16_t ev[] = { SCTP_ASSOC_CHANGE, SCTP_SHUTDOWN_EVENT };
	kt_subscribe(fd, ev, 2);
	if (one_to_many) kt_set_encaps_port(fd, peer_port);
	double t0 = kt_now();
	if (one_to_many) {
		/* one-to-many connect() sets the association up; its id comes with COMM_UP */
		SYS(connect(fd, (struct sockaddr *)&peer, sizeof(peer)));
		struct sctp_rcvinfo ri;
		int fl = 0;
		size_t n = kt_recv_whole(fd, in, sizeof(in), &ri, &fl, 10000);
		CHECK(fl & MSG_NOTIFICATION);
		struct sctp_assoc_change *ac = (void *)in;
		CHECK(n >= sizeof(*ac));
		CHECK_EQ(ac->sac_type, SCTP_ASSOC_CHANGE);
		CHECK_EQ(ac->sac_state, SCTP_COMM_UP);
		CHECK_EQ(ac->sac_outbound_streams, STREAMS);
		CHECK_EQ(ac->sac_inbound_streams, STREAMS);
		assoc = ac->sac_assoc_id;
	} else {
		kt_connect(fd, &peer, 10);
		struct sctp_rcvinfo ri;
		int fl = 0;
		size_t n = kt_recv_whole(fd, in, sizeof(in), &ri, &fl, 10000);
		struct sctp_assoc_change *ac = (void *)in;
		CHECK((fl & MSG_NOTIFICATION) && n >= sizeof(*ac) && ac->sac_state == SCTP_COMM_UP);
	}
	kt_info("association up in %.3f s", kt_now() - t0);
	struct sctp_status st = kt_status(fd, assoc);
	CHECK_EQ(st.sstat_state, SCTP_ESTABLISHED);
	CHECK_EQ(st.sstat_outstrms, STREAMS);
	CHECK_EQ(st.sstat_instrms, STREAMS);
	int ep = kt_get_encaps_port(fd, one_to_many ? assoc : 0, &peer);
	kt_info("remote UDP encapsulation port %d, peer rwnd %u, path MTU %u", ep, st.sstat_rwnd,
		st.sstat_primary.spinfo_mtu);
	CHECK_EQ(ep, peer_port);
	/* ECN negotiated: the kernel's INIT ACK (or INIT) offered it too. */
	struct sctp_assoc_value ecn = { .assoc_id = one_to_many ? assoc : 0 };
	socklen_t ecn_len = sizeof(ecn);
	CHECK_EQ(getsockopt(fd, IPPROTO_SCTP, SCTP_ECN_SUPPORTED, &ecn, &ecn_len), 0);
	kt_info("SCTP_ECN_SUPPORTED on the association: %u", ecn.assoc_value);
	CHECK_EQ(ecn.assoc_value, 1);

	STEP("echo");
	int sent = 0, recvd = 0;
	while (recvd < N) {
		while (sent < N && sent - recvd < WINDOW) {
			size_t len = msg_size(sent);
			kt_fill(out, len, sent);
			kt_send_ok(fd, out, len, one_to_many ? &peer : NULL, assoc, sent % STREAMS,
				   htonl(PPID_BASE + sent), sent % 9 == 4 ? SCTP_UNORDERED : 0);
			bytes += len;
			sent++;
		}
		struct sctp_rcvinfo ri;
		int fl = 0;
		size_t n = kt_recv_whole(fd, in, sizeof(in), &ri, &fl, 15000);
		if (n == 0) FAIL("EOF after %d echoes", recvd);
		if (fl & MSG_NOTIFICATION) {
			struct sctp_assoc_change *ac = (void *)in;
			FAIL("notification %s (state %u) during the echo", kt_note_name(ac->sac_type),
			     ac->sac_type == SCTP_ASSOC_CHANGE ? ac->sac_state : 0);
		}
		uint32_t idx = ntohl(ri.rcv_ppid) - PPID_BASE;
		if (idx >= (uint32_t)sent) FAIL("echo with unknown PPID 0x%08x", ntohl(ri.rcv_ppid));
		if (got[idx]++) FAIL("message %u echoed twice", idx);
		if (n != msg_size(idx)) FAIL("message %u: echo of %zu bytes, sent %zu", idx, n, msg_size(idx));
		long bad = kt_check(in, n, idx);
		if (bad >= 0) FAIL("message %u (%zu bytes): content differs at byte %ld", idx, n, bad);
		if (ri.rcv_sid != idx % STREAMS) FAIL("message %u: echoed on stream %u, sent on %u", idx, ri.rcv_sid, idx % STREAMS);
		int uo = (ri.rcv_flags & SCTP_UNORDERED) != 0;
		if (uo != (idx % 9 == 4)) FAIL("message %u: unordered flag %d, sent %d", idx, uo, idx % 9 == 4);
		if (one_to_many && ri.rcv_assoc_id != assoc) FAIL("message %u: assoc id %d, expected %d", idx, ri.rcv_assoc_id, assoc);
		if (!uo) {
			if ((int)idx < last_ordered[idx % STREAMS])
				FAIL("ordered message %u on stream %u after message %d", idx, idx % STREAMS,
				     last_ordered[idx % STREAMS]);
			last_ordered[idx % STREAMS] = (int)idx;
		}
		recvd++;
	}
	double secs = kt_now() - t0;
	kt_info("%d messages, %zu bytes each way, echoed in %.2f s (%.2f MB/s each way)", N, bytes, secs,
		bytes / secs / 1e6);
	st = kt_status(fd, assoc);
	kt_info("status: state %d, rwnd %u, unacked %u, pending %u, srtt %u ms, rto %u ms", st.sstat_state, st.sstat_rwnd,
		st.sstat_unackdata, st.sstat_penddata, st.sstat_primary.spinfo_srtt, st.sstat_primary.spinfo_rto);

	STEP("default send parameters and sctp_sendmsg()");
	{
		/* a message sent without SCTP_SNDINFO takes the socket's defaults
		 * (SCTP_DEFAULT_SNDINFO / the older SCTP_DEFAULT_SEND_PARAM); PPIDs
		 * are opaque 32-bit values the application gives in network order */
		static const struct {
			const char *how;
			uint16_t sid;
			uint32_t ppid;
		} want[2] = { { "defaults", 3, 0xA5FFFF01 }, { "sctp_sendmsg()", 5, 0xA5FFFF03 } };
		if (one_to_many) {
			struct sctp_sndrcvinfo d;
			memset(&d, 0, sizeof(d));
			d.sinfo_stream = want[0].sid;
			d.sinfo_ppid = htonl(want[0].ppid);
			d.sinfo_assoc_id = assoc;
			SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_DEFAULT_SEND_PARAM, &d, sizeof(d)));
			kt_fill(out, 500, 9001);
			SYS(sendto(fd, out, 500, 0, (struct sockaddr *)&peer, sizeof(peer)));
		} else {
			struct sctp_sndinfo d;
			memset(&d, 0, sizeof(d));
			d.snd_sid = want[0].sid;
			d.snd_ppid = htonl(want[0].ppid);
			SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_DEFAULT_SNDINFO, &d, sizeof(d)));
			kt_fill(out, 500, 9001);
			SYS(send(fd, out, 500, 0));
		}
		kt_fill(out + 1000, 300, 9003);
		SYS(sctp_sendmsg(fd, out + 1000, 300, one_to_many ? (struct sockaddr *)&peer : NULL,
				 one_to_many ? sizeof(peer) : 0, htonl(want[1].ppid), 0, want[1].sid, 0, 0));
		for (int k = 0; k < 2; k++) {
			struct sctp_rcvinfo ri;
			int fl = 0;
			size_t n = kt_recv_whole(fd, in, sizeof(in), &ri, &fl, 10000);
			if (fl & MSG_NOTIFICATION) FAIL("notification instead of an echo");
			int which = n == 500 ? 0 : 1;
			if (n != (which ? 300u : 500u) || kt_check(in, n, which ? 9003 : 9001) >= 0)
				FAIL("echo of the %s message corrupted (%zu bytes)", want[which].how, n);
			if (ri.rcv_sid != want[which].sid || ri.rcv_ppid != htonl(want[which].ppid))
				kt_defect("message sent with %s (stream %u, PPID htonl(0x%08x) = raw 0x%08x) came back "
					  "on stream %u with raw PPID 0x%08x: the kernel echoes what it received",
					  want[which].how, want[which].sid, want[which].ppid, htonl(want[which].ppid), ri.rcv_sid,
					  ri.rcv_ppid);
		}
		kt_info("%s and sctp_sendmsg(): stream and PPID arrive as given",
			one_to_many ? "SCTP_DEFAULT_SEND_PARAM" : "SCTP_DEFAULT_SNDINFO");
	}

	STEP("graceful shutdown");
	if (one_to_many) {
		kt_send_ok(fd, "", 0, &peer, assoc, 0, 0, SCTP_EOF);
		for (;;) {
			struct sctp_rcvinfo ri;
			int fl = 0;
			size_t n = kt_recv_whole(fd, in, sizeof(in), &ri, &fl, 10000);
			if (!(fl & MSG_NOTIFICATION)) FAIL("data (%zu bytes) after SCTP_EOF", n);
			struct sctp_assoc_change *ac = (void *)in;
			if (ac->sac_type == SCTP_ASSOC_CHANGE) {
				if (ac->sac_state != SCTP_SHUTDOWN_COMP)
					FAIL("ASSOC_CHANGE state %u error %u, expected SHUTDOWN_COMP", ac->sac_state,
					     ac->sac_error);
				break;
			}
		}
	} else {
		SYS(shutdown(fd, SHUT_WR));
		for (;;) {
			struct sctp_rcvinfo ri;
			int fl = 0;
			size_t n = kt_recv_whole(fd, in, sizeof(in), &ri, &fl, 10000);
			if (n == 0) break; /* the kernel's server saw EOF and closed */
			if (!(fl & MSG_NOTIFICATION)) FAIL("data (%zu bytes) after shutdown", n);
			struct sctp_assoc_change *ac = (void *)in;
			if (ac->sac_type == SCTP_ASSOC_CHANGE && ac->sac_state != SCTP_SHUTDOWN_COMP)
				FAIL("ASSOC_CHANGE state %u error %u during shutdown", ac->sac_state, ac->sac_error);
			if (ac->sac_type == SCTP_ASSOC_CHANGE) break;
		}
	}
	close(fd);
	kt_pass("%d messages (%zu bytes) echoed intact in %.2f s, %d streams, PPID/unordered kept, graceful shutdown", N,
		bytes, secs, STREAMS);
}
