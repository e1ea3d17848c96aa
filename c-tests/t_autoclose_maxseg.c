/*
 * t_autoclose_maxseg: Linux behaviours found by lksctp's func_tests, each
 * checked here beyond what those tests look at.
 *
 *  1. sctp_connectx() with two peer addresses, one of which the server
 *     does not have: once the association is up, the peer's INIT ACK is
 *     the truth and sctp_getpaddrs() lists only the address it answered
 *     from (Linux sctp_process_init drops the others).
 *  2. SCTP_MAXSEG 500: a 1,600-byte message goes out as 4 DATA chunks
 *     (SCTP_GET_ASSOC_STATS sas_oodchunks), and arrives whole.
 *  3. sinfo_timetolive with no PR policy named is a time to live: behind
 *     a closed receive window, a 1,500-byte message with a 100 ms lifetime
 *     is abandoned and reported as one SCTP_SEND_FAILED per 500-byte
 *     fragment, the first with the first-fragment flag (2) in
 *     ssf_info.sinfo_flags, the last with the last-fragment flag (1), each
 *     with its own bytes; the message after it still arrives.
 *  4. SCTP_AUTOCLOSE 2 on the server's one-to-many socket: the idle
 *     association is shut down gracefully after about 2 s, and the client
 *     reads end-of-file; the server sees SCTP_SHUTDOWN_COMP.
 */
#include "common.h"

#include <time.h>

#define FILL 20000
#define TTL_LEN 1500

static int server(t_sync *s, void *arg)
{
	static char buf[FILL + 1024];
	struct sctp_event_subscribe ev;
	struct sctp_sndrcvinfo si;
	int l, small = 4096, autoclose = 2, flags;
	ssize_t n;

	(void)arg;
	t_use_udp(t_ports.udp_server, t_ports.udp_client);
	STEP("server: listen");
	l = t_sctp_socket(SOCK_SEQPACKET);
	t_bind4(l, "127.0.0.1", t_ports.sctp);
	memset(&ev, 0, sizeof(ev));
	ev.sctp_data_io_event = 1;
	ev.sctp_association_event = 1;
	CHECK_SYS(setsockopt(l, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof(ev)));
	CHECK_SYS(setsockopt(l, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	CHECK_SYS(listen(l, 1));
	CHECK_SYS(setsockopt(l, IPPROTO_SCTP, SCTP_AUTOCLOSE, &autoclose, sizeof(autoclose)));
	t_post(s, 'L');

	STEP("server: COMM_UP, then the 1,600-byte message");
	for (;;) {
		n = (ssize_t)t_recv_msg(l, buf, sizeof(buf), &si, &flags, NULL, 15000);
		if (!(flags & MSG_NOTIFICATION))
			break;
	}
	CHECK_EQ(n, 1600);
	CHECK(t_check_fill(buf, 1600, 16) < 0);
	t_post(s, 'M');

	STEP("server: keep the window closed until told");
	t_await(s, 'R', 20000);
	n = (ssize_t)t_recv_msg(l, buf, sizeof(buf), &si, &flags, NULL, 15000);
	CHECK_EQ(n, FILL);
	CHECK(t_check_fill(buf, FILL, 60) < 0);
	n = (ssize_t)t_recv_msg(l, buf, sizeof(buf), &si, &flags, NULL, 15000);
	CHECK_EQ(n, 6);
	CHECK(memcmp(buf, "after", 6) == 0);

	STEP("server: autoclose");
	for (;;) {
		union sctp_notification *sn = (union sctp_notification *)buf;

		n = (ssize_t)t_recv_msg(l, buf, sizeof(buf), &si, &flags, NULL, 15000);
		if (!(flags & MSG_NOTIFICATION))
			FAIL("data after the last message");
		if (sn->sn_header.sn_type == SCTP_ASSOC_CHANGE &&
		    sn->sn_assoc_change.sac_state == SCTP_SHUTDOWN_COMP)
			break;
	}
	close(l);
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[FILL + 1024];
	static char ttl[TTL_LEN];
	struct sockaddr_in peers[2];
	struct sockaddr *paddrs;
	struct sctp_event_subscribe ev;
	struct sctp_assoc_stats st;
	struct timespec t0, t1;
	t_sync s = { 0 };
	socklen_t len;
	sctp_assoc_t id = 0;
	pid_t pid;
	int fd, maxseg = 500, n, offset = 0, pieces = 0;

	t_init("t_autoclose_maxseg", argc, argv, 90);
	pid = t_fork("server", &s, server, NULL);
	t_use_udp(t_ports.udp_client, t_ports.udp_server);
	t_await(&s, 'L', 20000);

	STEP("client: connectx to two addresses");
	fd = t_sctp_socket(SOCK_STREAM);
	memset(&ev, 0, sizeof(ev));
	ev.sctp_data_io_event = 1;
	ev.sctp_send_failure_event = 1;
	CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof(ev)));
	CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_MAXSEG, &maxseg, sizeof(maxseg)));
	peers[0] = t_addr4("127.0.0.1", t_ports.sctp);
	peers[1] = t_addr4("127.0.0.2", t_ports.sctp);
	CHECK_SYS(sctp_connectx(fd, (struct sockaddr *)peers, 2, &id));
	n = sctp_getpaddrs(fd, 0, &paddrs);
	CHECK_EQ(n, 1);
	CHECK_EQ(((struct sockaddr_in *)paddrs)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	sctp_freepaddrs(paddrs);

	STEP("client: a 1,600-byte message in 500-byte fragments");
	t_fill(buf, 1600, 16);
	t_send_msg(fd, buf, 1600, NULL, 0, 0, 0);
	t_await(&s, 'M', 20000);
	len = sizeof(st);
	memset(&st, 0, sizeof(st));
	CHECK_SYS(getsockopt(fd, IPPROTO_SCTP, SCTP_GET_ASSOC_STATS, &st, &len));
	CHECK_EQ(st.sas_oodchunks, 4);
	CHECK(st.sas_opackets >= 4 && st.sas_ipackets >= 2 && st.sas_isacks >= 1);

	STEP("client: fill the window, then a message with a 100 ms lifetime");
	t_fill(buf, FILL, 60);
	t_send_msg(fd, buf, FILL, NULL, 0, 0, 0);
	t_fill(ttl, TTL_LEN, 99);
	CHECK_EQ(sctp_sendmsg(fd, ttl, TTL_LEN, NULL, 0, 0, 0, 0, 100, 0), TTL_LEN);
	t_send_msg(fd, "after", 6, NULL, 0, 0, 0);
	usleep(600000);

	STEP("client: one SCTP_SEND_FAILED per fragment");
	for (;;) {
		struct sctp_send_failed *sf = (struct sctp_send_failed *)buf;
		int fl = 0;

		t_wait_fd(fd, POLLIN, 15000);
		n = sctp_recvmsg(fd, buf, sizeof(buf), NULL, NULL, NULL, &fl);
		if (n < 0)
			DIE("sctp_recvmsg");
		CHECK(fl & MSG_NOTIFICATION);
		CHECK_EQ(sf->ssf_type, SCTP_SEND_FAILED);
		CHECK_EQ(sf->ssf_length, sizeof(*sf) + 500);
		CHECK_EQ(sf->ssf_error, 0);
		CHECK(memcmp(sf->ssf_data, ttl + offset, 500) == 0);
		CHECK_EQ(!!(sf->ssf_info.sinfo_flags & 2), offset == 0);
		offset += 500;
		pieces++;
		if (sf->ssf_info.sinfo_flags & 1)
			break;
		if (pieces > 3)
			FAIL("more SEND_FAILED notifications than fragments");
	}
	CHECK_EQ(pieces, 3);
	t_post(&s, 'R');

	STEP("client: the idle association is closed by the server");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	t_wait_fd(fd, POLLIN, 15000);
	CHECK_EQ(recv(fd, buf, sizeof(buf), 0), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	t_log("closed after %.2f s idle",
	      (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	CHECK(t1.tv_sec - t0.tv_sec >= 1);
	CHECK_SYS(close(fd));
	t_wait_child(pid, "server", 30);
	t_pass();
}
