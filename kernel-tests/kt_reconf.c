/*
 * kt_reconf: stream reconfiguration (RFC 6525) against the kernel
 * (guest booted with net.sctp.reconf_enable=1).
 *
 * Association R to the guest's port 11 (echoext: every request enabled),
 * one-to-one, 4 outgoing / 8 incoming streams asked; we enable every
 * request too (SCTP_ENABLE_STREAM_RESET = 7) and subscribe to the stream
 * reset, association reset and stream change events.
 *   1. SCTP_RECONFIG_SUPPORTED reads 1; 3 messages on stream 1 are echoed
 *      with SSN 0, 1, 2.
 *   2. SCTP_RESET_STREAMS outgoing {1}: STREAM_RESET_EVENT with
 *      OUTGOING_SSN for stream 1, not DENIED/FAILED; the kernel logs its
 *      incoming reset; data on stream 1 still echoes.
 *   3. SCTP_RESET_STREAMS incoming {1}: the kernel resets its outgoing
 *      stream 1, we get STREAM_RESET_EVENT with INCOMING_SSN; the next
 *      echo on stream 1 has SSN 0.
 *   4. SCTP_RESET_STREAMS both directions, all streams (list empty).
 *   5. SCTP_ADD_STREAMS out +2: STREAM_CHANGE_EVENT (Linux: in 0 out 2,
 *      the numbers added; RFC 6525: the totals, in 8 out 6; either is
 *      accepted, totals are reported as a DIFF); SCTP_STATUS shows 6 out;
 *      a message on stream 5 is echoed on stream 5.
 *   6. SCTP_ADD_STREAMS in +4 (the kernel adds 4 outgoing streams):
 *      STREAM_CHANGE_EVENT, SCTP_STATUS 12 in; then out +6, and stream 11
 *      echoes.
 *   7. SCTP_RESET_ASSOC: ASSOC_RESET_EVENT not DENIED/FAILED; every
 *      stream's SSN starts again at 0.
 *   8. 100 messages on all 12 streams echo intact.
 * Association D to port 7 (echo: nothing enabled by the server): each
 * request (reset streams, add streams, reset association) must come back
 * DENIED, and data must still flow.
 */
#include "kt.h"

#define BUF 70000

static char nbuf[BUF];

static void enable_all(int fd)
{
	kt_set_assoc_value(fd, SCTP_ENABLE_STREAM_RESET, SCTP_FUTURE_ASSOC,
			   SCTP_ENABLE_RESET_STREAM_REQ | SCTP_ENABLE_RESET_ASSOC_REQ | SCTP_ENABLE_CHANGE_ASSOC_REQ);
}

static int open_assoc(uint16_t port, uint16_t out, uint16_t in)
{
	static const uint16_t ev[] = { SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT, SCTP_ASSOC_RESET_EVENT,
				       SCTP_STREAM_CHANGE_EVENT };
	struct sockaddr_in to = kt_addr("127.0.0.1", port);
	int fd = kt_socket(SOCK_STREAM);
	kt_initmsg(fd, out, in);
	kt_subscribe(fd, ev, 4);
	enable_all(fd);
	kt_connect(fd, &to, 10);
	struct sctp_rcvinfo ri;
	int fl = 0;
	kt_recv_whole(fd, nbuf, sizeof(nbuf), &ri, &fl, 5000);
	const struct sctp_assoc_change *ac = (const void *)nbuf;
	CHECK((fl & MSG_NOTIFICATION) && ac->sac_type == SCTP_ASSOC_CHANGE && ac->sac_state == SCTP_COMM_UP);
	CHECK_EQ(kt_assoc_value(fd, SCTP_RECONFIG_SUPPORTED, 0), 1);
	return fd;
}

/* Waits for a notification of `type` (data before it is a failure); returns it in nbuf. */
static const union sctp_notification *await_note(int fd, uint16_t type)
{
	for (;;) {
		struct sctp_rcvinfo ri;
		int fl = 0;
		size_t n = kt_recv_whole(fd, nbuf, sizeof(nbuf), &ri, &fl, 10000);
		if (n == 0) FAIL("EOF while waiting for %s", kt_note_name(type));
		if (!(fl & MSG_NOTIFICATION)) FAIL("%zu bytes of data while waiting for %s", n, kt_note_name(type));
		const union sctp_notification *sn = (const void *)nbuf;
		if (sn->sn_header.sn_type == type) return sn;
		if (sn->sn_header.sn_type == SCTP_ASSOC_CHANGE)
			FAIL("ASSOC_CHANGE state %u while waiting for %s", sn->sn_assoc_change.sac_state, kt_note_name(type));
		kt_info("(skipping %s flags 0x%x)", kt_note_name(sn->sn_header.sn_type), sn->sn_header.sn_flags);
	}
}

static char *stream_list(const struct sctp_stream_reset_event *e)
{
	static char s[256];
	int n = (int)((e->strreset_length - sizeof(*e)) / 2);
	size_t off = 0;
	s[0] = 0;
	if (n == 0) snprintf(s, sizeof(s), "(all)");
	for (int i = 0; i < n && off < sizeof(s) - 8; i++)
		off += snprintf(s + off, sizeof(s) - off, "%s%u", i ? "," : "", e->strreset_stream_list[i]);
	return s;
}

/* One message on `sid`, echoed; returns the echo's SSN. */
static uint16_t echo1(int fd, uint16_t sid, uint32_t seed, size_t len)
{
	static char out[BUF];
	kt_fill(out, len, seed);
	kt_send_ok(fd, out, len, NULL, 0, sid, htonl(seed), 0);
	for (;;) {
		struct sctp_rcvinfo ri;
		int fl = 0;
		size_t n = kt_recv_whole(fd, nbuf, sizeof(nbuf), &ri, &fl, 10000);
		if (n == 0) FAIL("EOF waiting for the echo on stream %u", sid);
		if (fl & MSG_NOTIFICATION) {
			kt_info("(notification %s while waiting for an echo)",
				kt_note_name(((union sctp_notification *)nbuf)->sn_header.sn_type));
			continue;
		}
		if (ntohl(ri.rcv_ppid) != seed) FAIL("echo with PPID 0x%08x, expected 0x%08x", ntohl(ri.rcv_ppid), seed);
		if (n != len || kt_check(nbuf, n, seed) >= 0) FAIL("echo of 0x%08x corrupted (%zu bytes)", seed, n);
		if (ri.rcv_sid != sid) FAIL("echo on stream %u, sent on %u", ri.rcv_sid, sid);
		return ri.rcv_ssn;
	}
}

/* A STREAM_CHANGE_EVENT: Linux puts the numbers of streams added in it (0
 * for the direction not changed; sctp_process_strreset_resp/_addstrm_out),
 * RFC 6525 6.1.3 describes the new totals.  Either is accepted; totals give
 * one DIFF line. */
static void check_change(const struct sctp_stream_change_event *sc, int tot_in, int tot_out, int add_in,
			 int add_out)
{
	static int told;
	if (sc->strchange_instrms == add_in && sc->strchange_outstrms == add_out) return;
	if (sc->strchange_instrms == tot_in && sc->strchange_outstrms == tot_out) {
		if (!told++)
			kt_diff("SCTP_STREAM_CHANGE_EVENT carries the new totals (in %u out %u) where Linux puts the "
				"numbers added (in %d out %d)",
				sc->strchange_instrms, sc->strchange_outstrms, add_in, add_out);
		return;
	}
	FAIL("STREAM_CHANGE_EVENT in %u out %u: neither the totals (%d/%d) nor the numbers added (%d/%d)",
	     sc->strchange_instrms, sc->strchange_outstrms, tot_in, tot_out, add_in, add_out);
}

/* setsockopt that may say EAGAIN while a previous request or data is pending */
static int sso_retry(int fd, int opt, const void *v, socklen_t len)
{
	for (int tries = 0;; tries++) {
		if (setsockopt(fd, IPPROTO_SCTP, opt, v, len) == 0) return 0;
		if (errno != EAGAIN || tries > 200) return -1;
		kt_sleep_ms(20);
	}
}

static void reset_streams(int fd, uint16_t flags, int n, const uint16_t *list)
{
	char raw[sizeof(struct sctp_reset_streams) + 64];
	struct sctp_reset_streams *rs = (void *)raw;
	memset(raw, 0, sizeof(raw));
	rs->srs_assoc_id = 0;
	rs->srs_flags = flags;
	rs->srs_number_streams = (uint16_t)n;
	for (int i = 0; i < n; i++) rs->srs_stream_list[i] = list[i];
	if (sso_retry(fd, SCTP_RESET_STREAMS, raw, sizeof(*rs) + n * sizeof(uint16_t)) < 0)
		DIE("SCTP_RESET_STREAMS flags %u", flags);
}

static void add_streams(int fd, uint16_t in, uint16_t out)
{
	struct sctp_add_streams as;
	memset(&as, 0, sizeof(as));
	as.sas_instrms = in;
	as.sas_outstrms = out;
	if (sso_retry(fd, SCTP_ADD_STREAMS, &as, sizeof(as)) < 0) DIE("SCTP_ADD_STREAMS in %u out %u", in, out);
}

static void reset_assoc(int fd)
{
	sctp_assoc_t id = 0;
	if (sso_retry(fd, SCTP_RESET_ASSOC, &id, sizeof(id)) < 0) DIE("SCTP_RESET_ASSOC");
}

int main(void)
{
	kt_init("kt_reconf", 120);
	uint32_t seed = 0x52000000;
	const struct sctp_stream_reset_event *sr;
	const struct sctp_stream_change_event *sc;
	const struct sctp_assoc_reset_event *ar;
	struct sctp_status st;
	static const uint16_t one[] = { 1 };

	STEP("R: connect to port 11");
	int r = open_assoc(11, 4, 8);
	st = kt_status(r, 0);
	kt_info("R: up, out %u in %u streams, RECONFIG_SUPPORTED 1", st.sstat_outstrms, st.sstat_instrms);
	CHECK_EQ(st.sstat_outstrms, 4);
	CHECK_EQ(st.sstat_instrms, 8);

	STEP("1: SSNs 0, 1, 2 on stream 1");
	for (int i = 0; i < 3; i++) CHECK_EQ(echo1(r, 1, seed++, 100), i);

	STEP("2: reset our outgoing stream 1");
	reset_streams(r, SCTP_STREAM_RESET_OUTGOING, 1, one);
	sr = &await_note(r, SCTP_STREAM_RESET_EVENT)->sn_strreset_event;
	kt_info("2: STREAM_RESET_EVENT flags 0x%x streams %s", sr->strreset_flags, stream_list(sr));
	CHECK(sr->strreset_flags & SCTP_STREAM_RESET_OUTGOING_SSN);
	CHECK(!(sr->strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)));
	CHECK_EQ(sr->strreset_length, sizeof(*sr) + 2);
	CHECK_EQ(sr->strreset_stream_list[0], 1);
	CHECK_EQ(echo1(r, 1, seed++, 100), 3); /* the kernel's outgoing stream 1 was not reset */

	STEP("3: ask the kernel to reset its outgoing stream 1");
	reset_streams(r, SCTP_STREAM_RESET_INCOMING, 1, one);
	sr = &await_note(r, SCTP_STREAM_RESET_EVENT)->sn_strreset_event;
	kt_info("3: STREAM_RESET_EVENT flags 0x%x streams %s", sr->strreset_flags, stream_list(sr));
	CHECK(sr->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN);
	CHECK(!(sr->strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)));
	CHECK_EQ(sr->strreset_stream_list[0], 1);
	CHECK_EQ(echo1(r, 1, seed++, 100), 0);

	STEP("4: reset every stream both ways");
	reset_streams(r, SCTP_STREAM_RESET_OUTGOING | SCTP_STREAM_RESET_INCOMING, 0, NULL);
	{
		int saw_out = 0, saw_in = 0;
		while (!(saw_out && saw_in)) {
			sr = &await_note(r, SCTP_STREAM_RESET_EVENT)->sn_strreset_event;
			kt_info("4: STREAM_RESET_EVENT flags 0x%x streams %s", sr->strreset_flags, stream_list(sr));
			if (sr->strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED))
				FAIL("reset of all streams: flags 0x%x", sr->strreset_flags);
			saw_out |= (sr->strreset_flags & SCTP_STREAM_RESET_OUTGOING_SSN) != 0;
			saw_in |= (sr->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN) != 0;
		}
	}
	CHECK_EQ(echo1(r, 1, seed++, 100), 0);
	CHECK_EQ(echo1(r, 3, seed++, 100), 0);

	STEP("5: add 2 outgoing streams");
	add_streams(r, 0, 2);
	sc = &await_note(r, SCTP_STREAM_CHANGE_EVENT)->sn_strchange_event;
	kt_info("5: STREAM_CHANGE_EVENT flags 0x%x in %u out %u", sc->strchange_flags, sc->strchange_instrms,
		sc->strchange_outstrms);
	CHECK(!(sc->strchange_flags & (SCTP_STREAM_CHANGE_DENIED | SCTP_STREAM_CHANGE_FAILED)));
	check_change(sc, 8, 6, 0, 2);
	st = kt_status(r, 0);
	CHECK_EQ(st.sstat_outstrms, 6);
	CHECK_EQ(echo1(r, 5, seed++, 1000), 0);

	STEP("6: ask the kernel for 4 more streams towards us");
	add_streams(r, 4, 0);
	sc = &await_note(r, SCTP_STREAM_CHANGE_EVENT)->sn_strchange_event;
	kt_info("6: STREAM_CHANGE_EVENT flags 0x%x in %u out %u", sc->strchange_flags, sc->strchange_instrms,
		sc->strchange_outstrms);
	CHECK(!(sc->strchange_flags & (SCTP_STREAM_CHANGE_DENIED | SCTP_STREAM_CHANGE_FAILED)));
	check_change(sc, 12, 6, 4, 0);
	st = kt_status(r, 0);
	CHECK_EQ(st.sstat_instrms, 12);
	add_streams(r, 0, 6);
	sc = &await_note(r, SCTP_STREAM_CHANGE_EVENT)->sn_strchange_event;
	kt_info("6: STREAM_CHANGE_EVENT flags 0x%x in %u out %u", sc->strchange_flags, sc->strchange_instrms,
		sc->strchange_outstrms);
	check_change(sc, 12, 12, 0, 6);
	CHECK_EQ(kt_status(r, 0).sstat_outstrms, 12);
	CHECK_EQ(echo1(r, 11, seed++, 1000), 0);

	STEP("7: reset the association");
	CHECK_EQ(echo1(r, 2, seed++, 100), 0);
	CHECK_EQ(echo1(r, 2, seed++, 100), 1);
	reset_assoc(r);
	ar = &await_note(r, SCTP_ASSOC_RESET_EVENT)->sn_assocreset_event;
	kt_info("7: ASSOC_RESET_EVENT flags 0x%x local_tsn %u remote_tsn %u", ar->assocreset_flags,
		ar->assocreset_local_tsn, ar->assocreset_remote_tsn);
	CHECK(!(ar->assocreset_flags & (SCTP_ASSOC_RESET_DENIED | SCTP_ASSOC_RESET_FAILED)));
	CHECK_EQ(echo1(r, 2, seed++, 100), 0);

	STEP("8: 100 messages on all 12 streams");
	for (int i = 0; i < 100; i++) echo1(r, i % 12, seed++, 1 + (kt_hash(i) % 4000));
	CHECK_EQ(kt_status(r, 0).sstat_state, SCTP_ESTABLISHED);

	STEP("D: requests to a server that enabled none");
	int d = open_assoc(7, 4, 8);
	CHECK_EQ(echo1(d, 1, seed++, 100), 0);
	reset_streams(d, SCTP_STREAM_RESET_OUTGOING, 1, one);
	sr = &await_note(d, SCTP_STREAM_RESET_EVENT)->sn_strreset_event;
	kt_info("D: STREAM_RESET_EVENT flags 0x%x streams %s", sr->strreset_flags, stream_list(sr));
	CHECK(sr->strreset_flags & SCTP_STREAM_RESET_DENIED);
	add_streams(d, 0, 1);
	sc = &await_note(d, SCTP_STREAM_CHANGE_EVENT)->sn_strchange_event;
	kt_info("D: STREAM_CHANGE_EVENT flags 0x%x in %u out %u", sc->strchange_flags, sc->strchange_instrms,
		sc->strchange_outstrms);
	CHECK(sc->strchange_flags & SCTP_STREAM_CHANGE_DENIED);
	check_change(sc, 8, 4, 0, 1);
	CHECK_EQ(kt_status(d, 0).sstat_outstrms, 4);
	reset_assoc(d);
	ar = &await_note(d, SCTP_ASSOC_RESET_EVENT)->sn_assocreset_event;
	kt_info("D: ASSOC_RESET_EVENT flags 0x%x", ar->assocreset_flags);
	CHECK(ar->assocreset_flags & SCTP_ASSOC_RESET_DENIED);
	CHECK_EQ(echo1(d, 1, seed++, 100), 1);
	for (int i = 0; i < 20; i++) echo1(d, i % 4, seed++, 500);

	STEP("close");
	close(d);
	close(r);
	kt_pass("reset out/in/all, add out/in streams, reset assoc performed by the kernel with the expected "
		"events and SSNs; each request denied by a server without SCTP_ENABLE_STREAM_RESET; data flows after");
}
