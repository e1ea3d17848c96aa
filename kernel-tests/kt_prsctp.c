/*
 * kt_prsctp: PR-SCTP (RFC 3758, RFC 7496) against the kernel
 * (guest booted with net.sctp.prsctp_enable=1).
 *
 * All traffic goes through a UDP relay in this process (a thread between
 * our host stack and 127.0.0.1:$KT_PEER_UDP_PORT) that can drop either
 * direction for a while.  Three one-to-one associations through it:
 * E to the echo server (port 7), D to the discard server (port 9), X to
 * the extensions echo (port 11).  SCTP_PR_SUPPORTED must read 1 on each.
 *
 *  A. our abandonment and FORWARD-TSN: with host->guest dropped, 10 x
 *     1,000 B with SCTP_PRINFO {TTL, 100 ms} on E stream 2 (sendmsg cmsg)
 *     and on D (sctp_sendv SCTP_SENDV_PRINFO); the drop ends after 300 ms.
 *     Expected: 10 SCTP_SEND_FAILED_EVENT per association, each with its
 *     message's data, stream and PPID; SCTP_PR_ASSOC_STATUS counts 10 TTL
 *     abandonments; the kernel accepts the FORWARD-TSN (the association
 *     stays up, the next messages on stream 2 are echoed, the pcap check
 *     finds the kernel's SACK acknowledging the new cumulative TSN), and
 *     the discard server's count at SHUTDOWN_COMP has only the reliable
 *     messages.
 *  B. the kernel's abandonment and FORWARD-TSN to us: with guest->host
 *     dropped, 10 requests on X stream 1 with PPID 0x7E000064 (the guest
 *     echoes them with a 100 ms TTL); the drop ends after 500 ms.  The
 *     kernel abandons its echoes and sends FORWARD-TSN (with stream 1's
 *     SSN); we must accept it: the following ordered echoes on stream 1
 *     must arrive.
 */
#include "kt.h"
#include <pthread.h>
#include <stdatomic.h>

#define MSG 1000
#define NPR 10
#define NREL 20

/* ---- relay ---------------------------------------------------------------- */
static int ra, rb;                       /* host side, guest side */
static atomic_int drop_up, drop_down, relay_stop;
static atomic_long up_fwd, up_drop, down_fwd, down_drop;

static void *relay(void *arg)
{
	(void)arg;
	static char buf[65536];
	struct sockaddr_in client;
	socklen_t clen = 0;
	memset(&client, 0, sizeof(client));
	while (!atomic_load(&relay_stop)) {
		struct pollfd p[2] = { { ra, POLLIN, 0 }, { rb, POLLIN, 0 } };
		if (poll(p, 2, 50) <= 0) continue;
		if (p[0].revents & POLLIN) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(ra, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
			if (n > 0) {
				client = from, clen = fl;
				if (atomic_load(&drop_up))
					atomic_fetch_add(&up_drop, 1);
				else if (send(rb, buf, n, 0) == n)
					atomic_fetch_add(&up_fwd, 1);
			}
		}
		if (p[1].revents & POLLIN) {
			ssize_t n = recv(rb, buf, sizeof(buf), 0);
			if (n > 0 && clen) {
				if (atomic_load(&drop_down))
					atomic_fetch_add(&down_drop, 1);
				else if (sendto(ra, buf, n, 0, (struct sockaddr *)&client, clen) == n)
					atomic_fetch_add(&down_fwd, 1);
			}
		}
	}
	return NULL;
}

static uint16_t start_relay(void)
{
	struct sockaddr_in a = kt_addr("127.0.0.1", 0), g = kt_addr("127.0.0.1", kt_peer_udp_port());
	socklen_t len = sizeof(a);
	int big = 4 << 20;
	ra = (int)SYS(socket(AF_INET, SOCK_DGRAM, 0));
	rb = (int)SYS(socket(AF_INET, SOCK_DGRAM, 0));
	setsockopt(ra, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(rb, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	SYS(bind(ra, (struct sockaddr *)&a, sizeof(a)));
	SYS(getsockname(ra, (struct sockaddr *)&a, &len));
	SYS(connect(rb, (struct sockaddr *)&g, sizeof(g)));
	return ntohs(a.sin_port);
}

/* ---- helpers ------------------------------------------------------------ */

/* both: subscribe to SCTP_SEND_FAILED too (Linux then gives both formats) */
static int open_assoc(uint16_t relay_port, uint16_t sport, int both)
{
	static const uint16_t ev[] = { SCTP_ASSOC_CHANGE, SCTP_SEND_FAILED_EVENT, SCTP_SHUTDOWN_EVENT, SCTP_SEND_FAILED };
	struct sockaddr_in to = kt_addr("127.0.0.1", sport);
	int fd = kt_socket(SOCK_STREAM);
	kt_initmsg(fd, 4, 4);
	kt_subscribe(fd, ev, both ? 4 : 3);
	kt_set_encaps_port(fd, relay_port);
	kt_connect(fd, &to, 10);
	char buf[256];
	struct sctp_rcvinfo ri;
	int fl = 0;
	size_t n = kt_recv_whole(fd, buf, sizeof(buf), &ri, &fl, 5000);
	const struct sctp_assoc_change *ac = (const void *)buf;
	CHECK((fl & MSG_NOTIFICATION) && n >= sizeof(*ac) && ac->sac_type == SCTP_ASSOC_CHANGE &&
	      ac->sac_state == SCTP_COMM_UP);
	CHECK_EQ(kt_assoc_value(fd, SCTP_PR_SUPPORTED, 0), 1);
	return fd;
}

struct tally {
	int failed_sent, failed_unsent, failed_other;
	int old_sent, old_unsent; /* SCTP_SEND_FAILED (the older layout) */
	int echoes_pr, echoes;            /* echoes of PR messages (must be 0 in A), reliable echoes */
};

static int ppid_swapped, old_ppid_swapped;

static void handle_note(const char *buf, size_t n, struct tally *t, uint32_t pr_base)
{
	const union sctp_notification *sn = (const void *)buf;
	switch (sn->sn_header.sn_type) {
	case SCTP_SEND_FAILED_EVENT: {
		const struct sctp_send_failed_event *f = &sn->sn_send_failed_event;
		size_t dlen = f->ssf_length - sizeof(*f);
		uint32_t ppid = ntohl(f->ssfe_info.snd_ppid);
		if (n < f->ssf_length) FAIL("SEND_FAILED_EVENT truncated (%zu of %u bytes)", n, f->ssf_length);
		if (ppid - pr_base >= NPR && __builtin_bswap32(ppid) - pr_base < NPR) {
			/* Linux returns snd_ppid as the application gave it (network order) */
			if (!ppid_swapped++)
				kt_defect("SEND_FAILED_EVENT ssfe_info.snd_ppid is byte-swapped: the message was sent "
					  "with snd_ppid = htonl(0x%08x) = 0x%08x, the event has snd_ppid = 0x%08x "
					  "(Linux copies the sender's value unchanged)",
					  __builtin_bswap32(ppid), htonl(__builtin_bswap32(ppid)), f->ssfe_info.snd_ppid);
			ppid = __builtin_bswap32(ppid);
		}
		if (ppid - pr_base >= NPR) FAIL("SEND_FAILED_EVENT for PPID 0x%08x (not a PR message)", ppid);
		if (dlen != MSG) FAIL("SEND_FAILED_EVENT with %zu bytes of data, expected %d", dlen, MSG);
		long bad = kt_check(f->ssf_data, dlen, ppid);
		if (bad >= 0) FAIL("SEND_FAILED_EVENT data differs at byte %ld", bad);
		if (f->ssfe_info.snd_sid != 2) FAIL("SEND_FAILED_EVENT stream %u", f->ssfe_info.snd_sid);
		if (f->ssf_flags == SCTP_DATA_SENT)
			t->failed_sent++;
		else if (f->ssf_flags == SCTP_DATA_UNSENT)
			t->failed_unsent++;
		else
			t->failed_other++, kt_info("SEND_FAILED_EVENT flags 0x%x", f->ssf_flags);
		break;
	}
	case SCTP_SEND_FAILED: {
		const struct sctp_send_failed *f = &sn->sn_send_failed;
		size_t dlen = f->ssf_length - sizeof(*f);
		uint32_t ppid = ntohl(f->ssf_info.sinfo_ppid);
		if (n < f->ssf_length) FAIL("SEND_FAILED truncated (%zu of %u bytes)", n, f->ssf_length);
		if (ppid - pr_base >= NPR && __builtin_bswap32(ppid) - pr_base < NPR) {
			if (!old_ppid_swapped++)
				kt_defect("SEND_FAILED ssf_info.sinfo_ppid is byte-swapped too: sent 0x%08x, got 0x%08x",
					  htonl(__builtin_bswap32(ppid)), f->ssf_info.sinfo_ppid);
			ppid = __builtin_bswap32(ppid);
		}
		if (ppid - pr_base >= NPR) FAIL("SEND_FAILED for PPID 0x%08x (not a PR message)", ppid);
		if (dlen != MSG || kt_check(f->ssf_data, dlen, ppid) >= 0)
			FAIL("SEND_FAILED with %zu bytes of data or wrong data", dlen);
		if (f->ssf_info.sinfo_stream != 2) FAIL("SEND_FAILED stream %u", f->ssf_info.sinfo_stream);
		if (f->ssf_flags == SCTP_DATA_SENT)
			t->old_sent++;
		else
			t->old_unsent++;
		break;
	}
	case SCTP_ASSOC_CHANGE:
		FAIL("ASSOC_CHANGE state %u error %u", sn->sn_assoc_change.sac_state, sn->sn_assoc_change.sac_error);
	default:
		kt_info("notification %s", kt_note_name(sn->sn_header.sn_type));
	}
}

/* reads whatever arrives within ms on fd */
static void drain(int fd, int ms, struct tally *t, uint32_t pr_base, uint32_t rel_base)
{
	static char buf[65536 + 1024];
	double end = kt_now() + ms / 1000.0;
	for (;;) {
		int left = (int)((end - kt_now()) * 1000);
		struct sctp_rcvinfo ri;
		int fl = 0;
		if (left <= 0) return;
		ssize_t r = kt_try_recv_whole(fd, buf, sizeof(buf), &ri, &fl, left);
		if (r < 0) return;
		size_t n = (size_t)r;
		if (n == 0) FAIL("EOF");
		if (fl & MSG_NOTIFICATION) {
			handle_note(buf, n, t, pr_base);
			continue;
		}
		uint32_t ppid = ntohl(ri.rcv_ppid);
		if (ppid - pr_base < NPR)
			t->echoes_pr++;
		else if (ppid - rel_base < 1000)
			t->echoes++;
		else
			FAIL("data with unexpected PPID 0x%08x", ppid);
		if (n != MSG || kt_check(buf, n, ppid) >= 0) FAIL("echo of PPID 0x%08x is corrupted (%zu bytes)", ppid, n);
	}
}

/* n reliable messages on stream sid, then (if echo) wait for their echoes */
static void reliable(int fd, uint16_t sid, uint32_t base, int n, int echo, struct tally *t, uint32_t pr_base)
{
	static char out[MSG];
	int before = t->echoes;
	for (int i = 0; i < n; i++) {
		kt_fill(out, MSG, base + i);
		kt_send_ok(fd, out, MSG, NULL, 0, sid, htonl(base + i), 0);
	}
	if (!echo) return;
	double end = kt_now() + 15;
	while (t->echoes - before < n && kt_now() < end) drain(fd, 200, t, pr_base, base);
	if (t->echoes - before < n) FAIL("only %d of %d echoes on stream %u", t->echoes - before, n, sid);
}

static int count_lines(const char *needle)
{
	const char *path = getenv("KT_CONSOLE");
	char line[512];
	int n = 0;
	FILE *f = path ? fopen(path, "r") : NULL;
	if (!f) return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle)) n++;
	fclose(f);
	return n;
}

int main(void)
{
	static char out[MSG];
	pthread_t th;
	struct tally te = { 0 }, td = { 0 }, tx = { 0 };

	kt_init("kt_prsctp", 120);
	STEP("relay");
	uint16_t rport = start_relay();
	pthread_create(&th, NULL, relay, NULL);
	kt_info("relay on UDP 127.0.0.1:%u -> 127.0.0.1:%u", rport, kt_peer_udp_port());

	STEP("associations");
	int e = open_assoc(rport, 7, 0), d = open_assoc(rport, 9, 1), x = open_assoc(rport, 11, 0);
	kt_info("E (echo 7), D (discard 9, subscribed to SCTP_SEND_FAILED and SCTP_SEND_FAILED_EVENT), X (echoext 11) "
		"up; SCTP_PR_SUPPORTED = 1 on all three");
	int count_lines_before = count_lines("total_msgs=");

	STEP("warm-up");
	reliable(e, 2, 0x11000000, NREL, 1, &te, 0xBB000000);
	reliable(d, 2, 0x11000000, NREL, 0, &td, 0xBB000000);
	reliable(x, 1, 0x11000000, NREL, 1, &tx, 0x7E000064);
	kt_sleep_ms(300); /* let D's data be acknowledged */

	STEP("A: TTL messages while host->guest is dropped");
	atomic_store(&drop_up, 1);
	double ta = kt_now();
	for (int i = 0; i < NPR; i++) {
		uint32_t ppid = 0xBB000000 + i;
		kt_fill(out, MSG, ppid);
		if (kt_send(e, out, MSG, NULL, 0, 2, htonl(ppid), 0, SCTP_PR_SCTP_TTL, 100) != MSG)
			DIE("sendmsg with SCTP_PRINFO");
		struct sctp_sendv_spa spa;
		memset(&spa, 0, sizeof(spa));
		spa.sendv_flags = SCTP_SEND_SNDINFO_VALID | SCTP_SEND_PRINFO_VALID;
		spa.sendv_sndinfo.snd_sid = 2;
		spa.sendv_sndinfo.snd_ppid = htonl(ppid);
		spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_TTL;
		spa.sendv_prinfo.pr_value = 100;
		struct iovec iov = { out, MSG };
		if (sctp_sendv(d, &iov, 1, NULL, 0, &spa, sizeof(spa), SCTP_SENDV_SPA, 0) != MSG)
			DIE("sctp_sendv with SCTP_SENDV_SPA");
	}
	kt_sleep_ms(300);
	atomic_store(&drop_up, 0);
	kt_info("A: %ld host->guest packets dropped in %.0f ms", atomic_load(&up_drop), (kt_now() - ta) * 1000);
	double end = kt_now() + 10;
#define NEWF(t) ((t).failed_sent + (t).failed_unsent)
#define OLDF(t) ((t).old_sent + (t).old_unsent)
	while ((NEWF(te) < NPR || (NEWF(td) < NPR && OLDF(td) < NPR)) && kt_now() < end) {
		drain(e, 100, &te, 0xBB000000, 0x22000000);
		drain(d, 100, &td, 0xBB000000, 0x22000000);
	}
	drain(d, 500, &td, 0xBB000000, 0x22000000); /* the other layout, if it comes */
	kt_info("A: E: SEND_FAILED_EVENT sent %d unsent %d (%.2f s after the first send); D: SEND_FAILED_EVENT sent %d "
		"unsent %d, SEND_FAILED sent %d unsent %d",
		te.failed_sent, te.failed_unsent, kt_now() - ta, td.failed_sent, td.failed_unsent, td.old_sent, td.old_unsent);
	if (NEWF(te) != NPR) FAIL("expected %d SEND_FAILED_EVENTs on E, got %d", NPR, NEWF(te));
	if (NEWF(td) != NPR || OLDF(td) != NPR) {
		if (NEWF(td) + OLDF(td) < NPR)
			FAIL("expected %d SEND_FAILED_EVENTs and %d SEND_FAILEDs on D, got %d and %d", NPR, NPR, NEWF(td),
			     OLDF(td));
		kt_diff("subscribed to both SCTP_SEND_FAILED and SCTP_SEND_FAILED_EVENT, D got %d SEND_FAILED_EVENT "
			"and %d SEND_FAILED for %d abandoned messages; Linux (sctp_datamsg_destroy) sends one of each",
			NEWF(td), OLDF(td), NPR);
	}
	if (te.failed_other || td.failed_other) FAIL("SEND_FAILED_EVENT with unexpected flags");
	if (te.failed_sent == 0)
		FAIL("no abandoned message had been sent: FORWARD-TSN not exercised");
	for (int k = 0; k < 2; k++) {
		struct sctp_prstatus ps;
		socklen_t len = sizeof(ps);
		memset(&ps, 0, sizeof(ps));
		ps.sprstat_policy = SCTP_PR_SCTP_TTL;
		SYS(getsockopt(k ? d : e, IPPROTO_SCTP, SCTP_PR_ASSOC_STATUS, &ps, &len));
		kt_info("A: %c: SCTP_PR_ASSOC_STATUS TTL abandoned unsent %llu sent %llu", k ? 'D' : 'E',
			(unsigned long long)ps.sprstat_abandoned_unsent, (unsigned long long)ps.sprstat_abandoned_sent);
		CHECK_EQ(ps.sprstat_abandoned_unsent + ps.sprstat_abandoned_sent, NPR);
		struct tally *t = k ? &td : &te;
		CHECK_EQ(ps.sprstat_abandoned_sent, k && !NEWF(td) ? t->old_sent : t->failed_sent);
	}
	STEP("A: the association goes on after FORWARD-TSN");
	reliable(e, 2, 0x22000000, NREL, 1, &te, 0xBB000000);
	reliable(d, 2, 0x22000000, NREL, 0, &td, 0xBB000000);
	if (te.echoes_pr) FAIL("%d abandoned messages were echoed by the kernel", te.echoes_pr);
	CHECK_EQ(kt_status(e, 0).sstat_state, SCTP_ESTABLISHED);
	CHECK_EQ(kt_status(d, 0).sstat_state, SCTP_ESTABLISHED);
	kt_info("A: %d reliable echoes on E stream 2 after the abandonment", NREL);

	STEP("A: discard server's count");
	SYS(shutdown(d, SHUT_WR));
	for (;;) {
		static char buf[4096];
		struct sctp_rcvinfo ri;
		int fl = 0;
		size_t n = kt_recv_whole(d, buf, sizeof(buf), &ri, &fl, 10000);
		if (n == 0) break;
		union sctp_notification *sn = (void *)buf;
		if ((fl & MSG_NOTIFICATION) && sn->sn_header.sn_type == SCTP_ASSOC_CHANGE) {
			if (sn->sn_assoc_change.sac_state != SCTP_SHUTDOWN_COMP)
				FAIL("D: ASSOC_CHANGE state %u", sn->sn_assoc_change.sac_state);
			break;
		}
	}
	close(d);
	const char *line = NULL;
	/* The server logs the association's count after its SHUTDOWN_COMP:
	 * wait for that line itself (waiting for two more "assoc" lines raced
	 * it when the COMM_UP line reached the console late). */
	for (int i = 0; i < 50 && count_lines("total_msgs=") <= count_lines_before; i++) kt_sleep_ms(100);
	line = kt_console_last("bytes=");
	if (count_lines("discard9: assoc ") < 0) {
		kt_info("A: no KT_CONSOLE: discard count not checked");
	} else {
		unsigned long long bytes = 0, msgs = 0;
		const char *p = line ? strstr(line, "bytes=") : NULL;
		if (!p || sscanf(p, "bytes=%llu msgs=%llu", &bytes, &msgs) != 2)
			FAIL("no discard count on the guest console (last: %s)", line ? line : "none");
		kt_info("A: guest console: %s", line);
		if (msgs != 2 * NREL || bytes != 2ull * NREL * MSG)
			FAIL("the discard server received %llu messages / %llu bytes, expected %d / %d (the %d abandoned "
			     "ones must not be delivered)",
			     msgs, bytes, 2 * NREL, 2 * NREL * MSG, NPR);
	}

	STEP("B: the kernel's TTL echoes while guest->host is dropped");
	atomic_store(&drop_down, 1);
	double tb = kt_now();
	long dd0 = atomic_load(&down_drop);
	for (int i = 0; i < NPR; i++) {
		uint32_t ppid = 0x7E000064; /* TTL 100 ms; the same PPID for all ten */
		kt_fill(out, MSG, ppid);
		kt_send_ok(x, out, MSG, NULL, 0, 1, htonl(ppid), 0);
	}
	kt_sleep_ms(500);
	atomic_store(&drop_down, 0);
	kt_info("B: %ld guest->host packets dropped in %.0f ms", atomic_load(&down_drop) - dd0, (kt_now() - tb) * 1000);
	/* PR echoes all carry PPID 0x7E000064: count them apart */
	drain(x, 3000, &tx, 0x7E000064, 0x33000000);
	kt_info("B: %d of the kernel's TTL echoes arrived anyway", tx.echoes_pr);
	if (tx.echoes_pr >= NPR) FAIL("the kernel abandoned none of its TTL echoes: its FORWARD-TSN not exercised");
	STEP("B: ordered echoes on stream 1 after the kernel's FORWARD-TSN");
	reliable(x, 1, 0x33000000, NREL, 1, &tx, 0x7E000064);
	CHECK_EQ(kt_status(x, 0).sstat_state, SCTP_ESTABLISHED);
	kt_info("B: %d ordered echoes on stream 1 after the kernel abandoned %d", NREL, NPR - tx.echoes_pr);

	STEP("close");
	close(e);
	close(x);
	atomic_store(&relay_stop, 1);
	pthread_join(th, NULL);
	kt_info("relay: up %ld forwarded %ld dropped, down %ld forwarded %ld dropped", atomic_load(&up_fwd),
		atomic_load(&up_drop), atomic_load(&down_fwd), atomic_load(&down_drop));
	kt_pass("PR_SUPPORTED=1; ours: %d+%d TTL messages abandoned (sent %d, unsent %d), SEND_FAILED_EVENT each, "
		"kernel accepted FORWARD-TSN, data flows, discard got only reliable data; kernel's: %d echoes "
		"abandoned, its FORWARD-TSN accepted, stream 1 flows",
		NPR, NPR, te.failed_sent + (NEWF(td) ? td.failed_sent : td.old_sent),
		te.failed_unsent + (NEWF(td) ? td.failed_unsent : td.old_unsent), NPR - tx.echoes_pr);
}
