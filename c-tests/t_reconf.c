/*
 * t_reconf: stream reconfiguration (RFC 6525) and PR-SCTP (RFC 3758/7496)
 * through the socket API, between two host stacks over UDP.
 *
 * Client and server enable every reconfiguration request
 * (SCTP_ENABLE_STREAM_RESET = 7) and subscribe to the stream reset, stream
 * change and association reset notifications.
 *
 *  1. Three messages on stream 1 arrive with SSNs 0, 1, 2.
 *  2. The client resets its outgoing stream 1 (SCTP_RESET_STREAMS): both
 *     sides get SCTP_STREAM_RESET_EVENT for stream 1 (outgoing on the
 *     client, incoming on the server), and the next message on stream 1
 *     arrives with SSN 0 again.
 *  3. The client adds 2 outgoing streams (SCTP_ADD_STREAMS): both sides
 *     get SCTP_STREAM_CHANGE_EVENT with the new counts, SCTP_STATUS shows
 *     them, and a message on the highest new stream arrives on it.
 *     A stream number beyond the association's is EINVAL.
 *  4. A request the peer did not enable: with the server's
 *     SCTP_ENABLE_STREAM_RESET back to 0, an association reset
 *     (SCTP_RESET_ASSOC) is answered "denied", which the client sees as
 *     SCTP_ASSOC_RESET_EVENT with SCTP_ASSOC_RESET_DENIED.
 *  5. PR-SCTP: SCTP_PR_SUPPORTED reads 1 on the association. The server
 *     stops reading with a small receive buffer; the client fills the
 *     window, then sends 5 messages with a 100 ms time to live
 *     (SCTP_PRINFO policy TTL via sctp_sendv) and one without; after
 *     600 ms the client has 5 SCTP_SEND_FAILED_EVENT (unsent) and
 *     SCTP_PR_ASSOC_STATUS counts 5 abandoned unsent TTL messages; the
 *     server then reads the fill and the message without TTL, nothing else.
 */
#include "common.h"

#define FILL 60000

static void subscribe_all(int fd)
{
	static const uint16_t ev[] = { SCTP_STREAM_RESET_EVENT, SCTP_STREAM_CHANGE_EVENT,
				       SCTP_ASSOC_RESET_EVENT, SCTP_SEND_FAILED_EVENT };

	t_enable_data_io(fd);
	t_subscribe(fd, ev, 4);
}

static void enable_reset(int fd, uint32_t v)
{
	struct sctp_assoc_value av = { .assoc_id = 0, .assoc_value = v };

	CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &av, sizeof(av)));
}

/* Receives until a notification of `type` arrives (data before it is
 * is a failure); returns its length, copied into buf. */
static size_t await_note(int fd, char *buf, size_t cap, uint16_t type)
{
	for (;;) {
		struct sctp_sndrcvinfo si;
		int flags = 0;
		ssize_t n;

		t_wait_fd(fd, POLLIN, 15000);
		n = sctp_recvmsg(fd, buf, cap, NULL, NULL, &si, &flags);
		if (n < 0)
			DIE("sctp_recvmsg");
		if (n == 0)
			FAIL("EOF while waiting for notification %u", type);
		if (!(flags & MSG_NOTIFICATION))
			FAIL("data (%zd bytes) while waiting for notification %u", n, type);
		if (((union sctp_notification *)buf)->sn_header.sn_type == type)
			return (size_t)n;
		t_log("skipping notification %u", ((union sctp_notification *)buf)->sn_header.sn_type);
	}
}

/* The next data message (notifications before it are skipped). */
static size_t recv_data(int fd, char *buf, size_t cap, struct sctp_sndrcvinfo *si)
{
	for (;;) {
		int fl = 0;
		size_t n = t_recv_msg(fd, buf, cap, si, &fl, NULL, 15000);

		if (!(fl & MSG_NOTIFICATION))
			return n;
		t_log("skipping notification %u", ((union sctp_notification *)buf)->sn_header.sn_type);
	}
}

static void expect_data(int fd, uint16_t stream, uint16_t ssn, const char *text)
{
	char buf[256];
	struct sctp_sndrcvinfo si;
	size_t n = recv_data(fd, buf, sizeof(buf), &si);

	CHECK_EQ(n, strlen(text) + 1);
	CHECK(strcmp(buf, text) == 0);
	CHECK_EQ(si.sinfo_stream, stream);
	CHECK_EQ(si.sinfo_ssn, ssn);
}

static void get_status(int fd, struct sctp_status *st)
{
	socklen_t len = sizeof(*st);

	memset(st, 0, sizeof(*st));
	CHECK_SYS(getsockopt(fd, IPPROTO_SCTP, SCTP_STATUS, st, &len));
}

static int server(t_sync *s, void *arg)
{
	static char buf[FILL + 1024];
	struct sctp_stream_reset_event *sr;
	struct sctp_stream_change_event *sc;
	struct sctp_status st;
	int l, c, small = 4096;

	(void)arg;
	t_use_udp(t_ports.udp_server, t_ports.udp_client);
	STEP("server: listen");
	l = t_sctp_socket(SOCK_STREAM);
	t_bind4(l, "127.0.0.1", t_ports.sctp);
	t_set_initmsg(l, 4, 10);
	subscribe_all(l);
	enable_reset(l, SCTP_ENABLE_RESET_STREAM_REQ | SCTP_ENABLE_RESET_ASSOC_REQ |
			     SCTP_ENABLE_CHANGE_ASSOC_REQ);
	CHECK_SYS(setsockopt(l, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	CHECK_SYS(listen(l, 1));
	t_post(s, 'L');
	t_wait_fd(l, POLLIN, 20000);
	c = (int)CHECK_SYS(accept(l, NULL, NULL));

	STEP("server: SSNs 0, 1, 2 on stream 1");
	expect_data(c, 1, 0, "one");
	expect_data(c, 1, 1, "two");
	expect_data(c, 1, 2, "three");
	t_post(s, '1');

	STEP("server: incoming stream reset");
	await_note(c, buf, sizeof(buf), SCTP_STREAM_RESET_EVENT);
	sr = (struct sctp_stream_reset_event *)buf;
	CHECK(sr->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN);
	CHECK(!(sr->strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)));
	CHECK_EQ(sr->strreset_length, sizeof(*sr) + 2);
	CHECK_EQ(sr->strreset_stream_list[0], 1);
	expect_data(c, 1, 0, "after reset");

	STEP("server: stream change");
	await_note(c, buf, sizeof(buf), SCTP_STREAM_CHANGE_EVENT);
	sc = (struct sctp_stream_change_event *)buf;
	CHECK_EQ(sc->strchange_instrms, 6);
	get_status(c, &st);
	CHECK_EQ(st.sstat_instrms, 6);
	expect_data(c, 5, 0, "on a new stream");

	STEP("server: stop accepting requests");
	enable_reset(c, 0);
	t_post(s, '2');

	STEP("server: hold the window closed while TTLs run out");
	t_await(s, '3', 20000);
	{
		struct sctp_sndrcvinfo si;
		size_t n = recv_data(c, buf, sizeof(buf), &si);

		CHECK_EQ(n, FILL);
		CHECK_EQ(si.sinfo_stream, 2);
		if (t_check_fill(buf, n, 7) >= 0)
			FAIL("fill message corrupted");
	}
	expect_data(c, 2, 1, "reliable");
	t_post(s, '4');

	STEP("server: EOF");
	CHECK_EQ(recv_data(c, buf, sizeof(buf), NULL), 0);
	close(c);
	close(l);
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[FILL + 1024];
	struct sockaddr_in srv;
	struct sctp_status st;
	struct sctp_stream_reset_event *sr;
	struct sctp_stream_change_event *sc;
	struct sctp_assoc_reset_event *ar;
	t_sync s = { 0 };
	uint16_t out_before;
	pid_t pid;
	int fd, big = 1 << 20, n_failed = 0;

	t_init("t_reconf", argc, argv, 90);
	pid = t_fork("server", &s, server, NULL);
	t_use_udp(t_ports.udp_client, t_ports.udp_server);
	t_await(&s, 'L', 20000);

	STEP("client: connect");
	srv = t_addr4("127.0.0.1", t_ports.sctp);
	fd = t_sctp_socket(SOCK_STREAM);
	t_set_initmsg(fd, 4, 10);
	subscribe_all(fd);
	CHECK_SYS(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big)));
	CHECK_SYS(connect(fd, (struct sockaddr *)&srv, sizeof(srv)));
	enable_reset(fd, SCTP_ENABLE_RESET_STREAM_REQ | SCTP_ENABLE_RESET_ASSOC_REQ |
			      SCTP_ENABLE_CHANGE_ASSOC_REQ);
	{
		struct sctp_assoc_value av = { 0 };
		socklen_t len = sizeof(av);

		CHECK_SYS(getsockopt(fd, IPPROTO_SCTP, SCTP_RECONFIG_SUPPORTED, &av, &len));
		CHECK_EQ(av.assoc_value, 1);
		len = sizeof(av);
		CHECK_SYS(getsockopt(fd, IPPROTO_SCTP, SCTP_PR_SUPPORTED, &av, &len));
		CHECK_EQ(av.assoc_value, 1);
	}

	STEP("client: three messages on stream 1");
	t_send_msg(fd, "one", 4, NULL, 0, 0, 1);
	t_send_msg(fd, "two", 4, NULL, 0, 0, 1);
	t_send_msg(fd, "three", 6, NULL, 0, 0, 1);
	t_await(&s, '1', 20000);

	STEP("client: reset outgoing stream 1");
	{
		char raw[sizeof(struct sctp_reset_streams) + 2];
		struct sctp_reset_streams *srs = (struct sctp_reset_streams *)raw;
		int tries = 0;

		memset(raw, 0, sizeof(raw));
		srs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
		srs->srs_number_streams = 1;
		/* A stream beyond the association's is EINVAL. */
		srs->srs_stream_list[0] = 999;
		CHECK_ERRNO(setsockopt(fd, IPPROTO_SCTP, SCTP_RESET_STREAMS, raw, sizeof(raw)),
			    EINVAL);
		srs->srs_stream_list[0] = 1;
		/* EAGAIN while the stream's data is not yet acknowledged. */
		while (setsockopt(fd, IPPROTO_SCTP, SCTP_RESET_STREAMS, raw, sizeof(raw)) < 0) {
			if (errno != EAGAIN || ++tries > 100)
				DIE("SCTP_RESET_STREAMS");
			usleep(20000);
		}
	}
	await_note(fd, buf, sizeof(buf), SCTP_STREAM_RESET_EVENT);
	sr = (struct sctp_stream_reset_event *)buf;
	CHECK(sr->strreset_flags & SCTP_STREAM_RESET_OUTGOING_SSN);
	CHECK(!(sr->strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)));
	CHECK_EQ(sr->strreset_stream_list[0], 1);
	t_send_msg(fd, "after reset", 12, NULL, 0, 0, 1);

	STEP("client: add two outgoing streams");
	get_status(fd, &st);
	out_before = st.sstat_outstrms;
	CHECK_EQ(out_before, 4);
	{
		struct sctp_add_streams sas = { .sas_assoc_id = 0, .sas_instrms = 0,
						.sas_outstrms = 2 };

		CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_ADD_STREAMS, &sas, sizeof(sas)));
	}
	await_note(fd, buf, sizeof(buf), SCTP_STREAM_CHANGE_EVENT);
	sc = (struct sctp_stream_change_event *)buf;
	CHECK_EQ(sc->strchange_outstrms, 6);
	get_status(fd, &st);
	CHECK_EQ(st.sstat_outstrms, 6);
	t_send_msg(fd, "on a new stream", 16, NULL, 0, 0, 5);

	STEP("client: an association reset the peer does not allow");
	t_await(&s, '2', 20000);
	{
		sctp_assoc_t id = 0;
		int tries = 0;

		while (setsockopt(fd, IPPROTO_SCTP, SCTP_RESET_ASSOC, &id, sizeof(id)) < 0) {
			if (errno != EAGAIN || ++tries > 100)
				DIE("SCTP_RESET_ASSOC");
			usleep(20000);
		}
	}
	await_note(fd, buf, sizeof(buf), SCTP_ASSOC_RESET_EVENT);
	ar = (struct sctp_assoc_reset_event *)buf;
	CHECK(ar->assocreset_flags & SCTP_ASSOC_RESET_DENIED);

	STEP("client: fill the window, then messages with a time to live");
	get_status(fd, &st);
	t_log("peer rwnd %u", st.sstat_rwnd);
	t_fill(buf, FILL, 7);
	t_send_msg(fd, buf, FILL, NULL, 0, 0, 2);
	for (int i = 0; i < 5; i++) {
		struct sctp_sendv_spa spa;
		struct iovec iov = { .iov_base = "expires", .iov_len = 8 };

		memset(&spa, 0, sizeof(spa));
		spa.sendv_flags = SCTP_SEND_SNDINFO_VALID | SCTP_SEND_PRINFO_VALID;
		spa.sendv_sndinfo.snd_sid = 2;
		spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_TTL;
		spa.sendv_prinfo.pr_value = 100;
		CHECK_EQ(sctp_sendv(fd, &iov, 1, NULL, 0, &spa, sizeof(spa), SCTP_SENDV_SPA, 0), 8);
	}
	t_send_msg(fd, "reliable", 9, NULL, 0, 0, 2);
	usleep(600000);
	t_post(&s, '3');

	STEP("client: one SEND_FAILED per expired message");
	while (n_failed < 5) {
		struct sctp_send_failed_event *sf;

		await_note(fd, buf, sizeof(buf), SCTP_SEND_FAILED_EVENT);
		sf = (struct sctp_send_failed_event *)buf;
		CHECK_EQ(sf->ssf_flags, SCTP_DATA_UNSENT);
		CHECK_EQ(sf->ssf_length, sizeof(*sf) + 8);
		CHECK(strcmp((char *)sf->ssf_data, "expires") == 0);
		CHECK_EQ(sf->ssfe_info.snd_sid, 2);
		n_failed++;
	}
	{
		struct sctp_prstatus ps;
		socklen_t len = sizeof(ps);

		memset(&ps, 0, sizeof(ps));
		ps.sprstat_policy = SCTP_PR_SCTP_TTL;
		CHECK_SYS(getsockopt(fd, IPPROTO_SCTP, SCTP_PR_ASSOC_STATUS, &ps, &len));
		CHECK_EQ(ps.sprstat_abandoned_unsent, 5);
		CHECK_EQ(ps.sprstat_abandoned_sent, 0);
		len = sizeof(ps);
		ps.sprstat_policy = SCTP_PR_SCTP_ALL;
		ps.sprstat_sid = 2;
		CHECK_SYS(getsockopt(fd, IPPROTO_SCTP, SCTP_PR_STREAM_STATUS, &ps, &len));
		CHECK_EQ(ps.sprstat_abandoned_unsent, 5);
		ps.sprstat_policy = 0;
		len = sizeof(ps);
		CHECK_ERRNO(getsockopt(fd, IPPROTO_SCTP, SCTP_PR_ASSOC_STATUS, &ps, &len), EINVAL);
	}
	t_await(&s, '4', 20000);

	CHECK_SYS(close(fd));
	t_wait_child(pid, "server", 30);
	t_pass();
}
