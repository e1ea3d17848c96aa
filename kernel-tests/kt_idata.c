/*
 * kt_idata: I-DATA (RFC 8260, user message interleaving) against the kernel
 * (guest booted with net.sctp.intl_enable=1; the guest's port 11 server
 * sets SCTP_FRAGMENT_INTERLEAVE 2, SCTP_INTERLEAVING_SUPPORTED and the
 * round-robin stream scheduler, see peer/src/echoext.c).
 *
 *  1. A one-to-one socket with SCTP_FRAGMENT_INTERLEAVE 2 and
 *     SCTP_INTERLEAVING_SUPPORTED (SCTP_FUTURE_ASSOC) connects to port 11;
 *     SCTP_INTERLEAVING_SUPPORTED reads 1 on the association.
 *  2. Kernel to us: 36 small "gen SIZE SEED" requests make the kernel send
 *     one message of 1 MiB on stream 5, then 5 rounds of a large message
 *     (100-380 KB) on stream 1, 3 small ones on stream 3, a large one
 *     (70-270 KB) on stream 2 and 2 small unordered ones on stream 4; its
 *     round-robin scheduler interleaves their fragments on the wire.  We
 *     receive with fragment interleave level 2 (pieces of different
 *     streams mixed, each with its stream in SCTP_RCVINFO, reassembled per
 *     stream and unordered flag); every message must be intact, on its
 *     stream, with its PPID and unordered flag, ordered ones in order.
 *  3. Us to kernel, one I-DATA chunk per message: 40 messages of up to
 *     1,400 bytes on 4 streams (some unordered) are echoed intact.
 *  4. Us to kernel, fragmented: 2 messages above 64 KiB on streams 1 and 2
 *     interleaved with 6 small ones on stream 3, all echoed intact.
 *  5. Without SCTP_INTERLEAVING_SUPPORTED the same server is reached with
 *     DATA (the option reads 0) and a 200 KB message still echoes.
 * Steps 2 and 4 go on after a failure (reported as a DEFECT) so that one
 * run shows both directions.
 */
#include "kt.h"

#define MAXMSG (1 << 20)
#define MAXEXP 64

/* one expected message */
struct exp {
	size_t len;
	uint16_t sid;
	int uo;
	uint32_t ppid; /* also the content seed */
	int gen;       /* content made by the guest's "gen" (else kt_fill) */
	int done;
};

static int gen_ok(const char *b, size_t n, uint32_t seed, long *bad)
{
	for (size_t j = 0; j < n; j++)
		if ((unsigned char)b[j] != (unsigned char)(seed * 7 + j * 131 + (j >> 9))) {
			*bad = (long)j;
			return 0;
		}
	return 1;
}

struct rstats {
	long pieces, interleaved;
};

/* Receives (fragment interleave level 2) until every expected message is
 * complete or nothing arrives for idle_ms; checks each; returns how many
 * completed.  what names the step in DEFECT lines. */
static int recv_set(int fd, struct exp *e, int n, int idle_ms, struct rstats *st, const char *what)
{
	static struct part {
		int used;
		uint16_t sid;
		int uo;
		uint32_t ppid;
		char *buf;
		size_t len;
	} parts[16];
	static char piece[1 << 17];
	int last[16], got = 0;
	for (int i = 0; i < 16; i++) last[i] = -1, parts[i].used = 0;
	while (got < n) {
		struct sctp_rcvinfo ri;
		int fl = 0;
		ssize_t k = kt_recv_piece_opt(fd, piece, sizeof(piece), &ri, &fl, idle_ms, 0);
		if (k == -2) break;
		if (k < 0) DIE("recvmsg");
		if (k == 0) FAIL("%s: EOF", what);
		if (fl & MSG_NOTIFICATION) {
			const union sctp_notification *sn = (const void *)piece;
			if (sn->sn_header.sn_type == SCTP_PARTIAL_DELIVERY_EVENT) {
				kt_defect("%s: PARTIAL_DELIVERY_EVENT indication %u stream %u (nothing was abandoned)", what,
					  sn->sn_pdapi_event.pdapi_indication, sn->sn_pdapi_event.pdapi_stream);
			} else if (sn->sn_header.sn_type == SCTP_ASSOC_CHANGE) {
				kt_defect("%s: the association ended (ASSOC_CHANGE state %u error %u) after %d of %d messages",
					  what, sn->sn_assoc_change.sac_state, sn->sn_assoc_change.sac_error, got, n);
				break;
			} else
				FAIL("%s: notification %s", what, kt_note_name(sn->sn_header.sn_type));
			continue;
		}
		st->pieces++;
		int uo = (ri.rcv_flags & SCTP_UNORDERED) != 0, others = 0;
		struct part *p = NULL, *free_p = NULL;
		for (int i = 0; i < 16; i++) {
			if (parts[i].used && parts[i].sid == ri.rcv_sid && parts[i].uo == uo)
				p = &parts[i];
			else if (parts[i].used)
				others++;
			else if (!free_p)
				free_p = &parts[i];
		}
		if (others) st->interleaved++;
		if (!p) {
			if (!free_p) FAIL("%s: more than 16 messages in progress", what);
			p = free_p;
			p->used = 1, p->sid = ri.rcv_sid, p->uo = uo, p->ppid = ntohl(ri.rcv_ppid), p->len = 0;
			if (!p->buf && !(p->buf = malloc(MAXMSG + (1 << 17)))) FAIL("malloc");
		} else if (ntohl(ri.rcv_ppid) != p->ppid) {
			kt_defect("%s: stream %u: a piece with PPID 0x%08x inside message 0x%08x", what, ri.rcv_sid,
				  ntohl(ri.rcv_ppid), p->ppid);
		}
		if (p->len + (size_t)k > MAXMSG) FAIL("%s: stream %u: message over %d bytes", what, ri.rcv_sid, MAXMSG);
		memcpy(p->buf + p->len, piece, k);
		p->len += k;
		if (!(fl & MSG_EOR)) continue;
		p->used = 0;
		int idx = -1;
		for (int i = 0; i < n; i++)
			if (e[i].ppid == p->ppid) idx = i;
		if (idx < 0) {
			kt_defect("%s: a message with PPID 0x%08x (%zu bytes, stream %u) that was not asked for", what,
				  p->ppid, p->len, p->sid);
			continue;
		}
		if (e[idx].done++) kt_defect("%s: message %d received twice", what, idx);
		long bad = -1;
		int ok = p->len == e[idx].len &&
			 (e[idx].gen ? gen_ok(p->buf, p->len, e[idx].ppid, &bad) : (bad = kt_check(p->buf, p->len, e[idx].ppid)) < 0);
		if (!ok)
			kt_defect("%s: message %d (stream %u): %zu bytes (sent %zu), first wrong byte %ld", what, idx, p->sid,
				  p->len, e[idx].len, bad);
		if (p->sid != e[idx].sid || p->uo != e[idx].uo)
			kt_defect("%s: message %d on stream %u unordered %d, sent on %u unordered %d", what, idx, p->sid, p->uo,
				  e[idx].sid, e[idx].uo);
		if (!p->uo && p->sid < 16) {
			if (idx < last[p->sid]) kt_defect("%s: stream %u: message %d after %d", what, p->sid, idx, last[p->sid]);
			last[p->sid] = idx;
		}
		got++;
	}
	for (int i = 0; i < 16; i++)
		if (parts[i].used)
			kt_info("%s: incomplete at the end: stream %u unordered %d PPID 0x%08x, %zu bytes so far", what,
				parts[i].sid, parts[i].uo, parts[i].ppid, parts[i].len);
	return got;
}

static int open_sock(int intl)
{
	static const uint16_t ev[] = { SCTP_ASSOC_CHANGE, SCTP_PARTIAL_DELIVERY_EVENT };
	int s = kt_socket(SOCK_STREAM);
	kt_initmsg(s, 8, 8);
	kt_subscribe(s, ev, 2);
	kt_set_int(s, IPPROTO_SCTP, SCTP_FRAGMENT_INTERLEAVE, 2);
	if (intl) kt_set_assoc_value(s, SCTP_INTERLEAVING_SUPPORTED, SCTP_FUTURE_ASSOC, 1);
	struct sockaddr_in to = kt_addr("127.0.0.1", 11);
	kt_connect(s, &to, 10);
	char b[256];
	struct sctp_rcvinfo ri;
	int fl = 0;
	kt_recv_whole(s, b, sizeof(b), &ri, &fl, 5000);
	const struct sctp_assoc_change *ac = (const void *)b;
	CHECK((fl & MSG_NOTIFICATION) && ac->sac_type == SCTP_ASSOC_CHANGE && ac->sac_state == SCTP_COMM_UP);
	return s;
}

static void send_fill(int fd, const struct exp *e)
{
	static char out[MAXMSG];
	kt_fill(out, e->len, e->ppid);
	kt_send_ok(fd, out, e->len, NULL, 0, e->sid, htonl(e->ppid), e->uo ? SCTP_UNORDERED : 0);
}

static const char *missing(const struct exp *e, int n)
{
	static char s[512];
	size_t off = 0;
	int all = 1;
	for (int i = 0; i < n; i++) all &= !e[i].done;
	if (all) return "all of them";
	s[0] = 0;
	for (int i = 0; i < n && off < sizeof(s) - 40; i++)
		if (!e[i].done) off += snprintf(s + off, sizeof(s) - off, "%s#%d(%zuB,s%u)", off ? " " : "", i, e[i].len, e[i].sid);
	return s;
}

int main(void)
{
	static struct exp g[MAXEXP], sm[MAXEXP], big[MAXEXP];
	struct rstats st2 = { 0, 0 }, st3 = { 0, 0 }, st4 = { 0, 0 };
	int ng = 0, nsm = 0, nbig = 0;
	size_t gbytes = 0;

	kt_init("kt_idata", 150);

	STEP("1: connect with I-DATA");
	int a = open_sock(1);
	{
		int lvl = 0;
		socklen_t len = sizeof(lvl);
		SYS(getsockopt(a, IPPROTO_SCTP, SCTP_FRAGMENT_INTERLEAVE, &lvl, &len));
		kt_info("1: SCTP_FRAGMENT_INTERLEAVE reads %d after setting 2 (Linux stores a boolean and reads 1)", lvl);
		CHECK(lvl == 1 || lvl == 2);
	}
	uint32_t intl = kt_assoc_value(a, SCTP_INTERLEAVING_SUPPORTED, 0);
	kt_info("1: SCTP_INTERLEAVING_SUPPORTED on the association: %u", intl);
	CHECK_EQ(intl, 1);

	STEP("2: kernel to us, large messages interleaved with small ones");
	g[ng++] = (struct exp){ MAXMSG, 5, 0, 0x1D000000, 1, 0 };
	for (int r = 0; r < 5; r++) {
		g[ng++] = (struct exp){ 100000 + r * 70001, 1, 0, 0x1D000000 + ng, 1, 0 };
		for (int j = 0; j < 3; j++) g[ng++] = (struct exp){ 10 + kt_hash(r * 3 + j) % 2000, 3, 0, 0x1D000000 + ng, 1, 0 };
		g[ng++] = (struct exp){ 70000 + r * 50003, 2, 0, 0x1D000000 + ng, 1, 0 };
		for (int j = 0; j < 2; j++) g[ng++] = (struct exp){ 1 + kt_hash(100 + r * 2 + j) % 1400, 4, 1, 0x1D000000 + ng, 1, 0 };
	}
	double t0 = kt_now();
	for (int i = 0; i < ng; i++) {
		char req[64];
		int n = snprintf(req, sizeof(req), "gen %zu %u", g[i].len, g[i].ppid);
		kt_send_ok(a, req, n, NULL, 0, g[i].sid, htonl(0x7F000000), g[i].uo ? SCTP_UNORDERED : 0);
		gbytes += g[i].len;
	}
	int got2 = recv_set(a, g, ng, 10000, &st2, "2 (kernel->us)");
	double t2 = kt_now() - t0;
	kt_info("2: %d of %d messages (%zu bytes) from the kernel in %.2f s; %ld pieces, %ld of them while another "
		"stream's message was incomplete",
		got2, ng, gbytes, t2, st2.pieces, st2.interleaved);
	if (got2 < ng) kt_defect("2 (kernel->us): %d of %d generated messages never completed: %s", ng - got2, ng, missing(g, ng));
	close(a);

	STEP("3: us to kernel, one chunk per message");
	int b = open_sock(1);
	for (int i = 0; i < 40; i++) {
		sm[nsm] = (struct exp){ 1 + kt_hash(500 + i) % 1400, (uint16_t)(i % 4), i % 5 == 3, 0x5A000000 + i, 0, 0 };
		send_fill(b, &sm[nsm++]);
	}
	int got3 = recv_set(b, sm, nsm, 10000, &st3, "3 (us->kernel, unfragmented)");
	kt_info("3: %d of %d single-chunk messages echoed", got3, nsm);
	if (got3 < nsm) kt_defect("3 (us->kernel, unfragmented): %d of %d not echoed: %s", nsm - got3, nsm, missing(sm, nsm));

	STEP("4: us to kernel, fragmented messages");
	big[nbig++] = (struct exp){ 150000, 1, 0, 0x5B000000, 0, 0 };
	for (int j = 0; j < 3; j++) big[nbig++] = (struct exp){ 100 + j * 300, 3, 0, 0x5B000000 + nbig, 0, 0 };
	big[nbig++] = (struct exp){ 100000, 2, 0, 0x5B000000 + nbig, 0, 0 };
	for (int j = 0; j < 3; j++) big[nbig++] = (struct exp){ 200 + j * 300, 3, 0, 0x5B000000 + nbig, 0, 0 };
	uint32_t rwnd0 = kt_status(b, 0).sstat_rwnd;
	for (int i = 0; i < nbig; i++) send_fill(b, &big[i]);
	int got4 = recv_set(b, big, nbig, 8000, &st4, "4 (us->kernel, fragmented)");
	struct sctp_status sb = kt_status(b, 0);
	kt_info("4: %d of %d echoed; the kernel's advertised window went from %u to %u, unacked %u", got4, nbig, rwnd0,
		sb.sstat_rwnd, sb.sstat_unackdata);
	if (got4 < nbig)
		kt_defect("4 (us->kernel, fragmented): %d of %d messages not echoed: %s; everything was acknowledged "
			  "(unacked %u) and the kernel's window shrank by %u bytes: it holds the data and never delivers it",
			  nbig - got4, nbig, missing(big, nbig), sb.sstat_unackdata, rwnd0 - sb.sstat_rwnd);
	close(b);

	STEP("5: the same server without I-DATA");
	int d = open_sock(0);
	uint32_t v = kt_assoc_value(d, SCTP_INTERLEAVING_SUPPORTED, 0);
	kt_info("5: SCTP_INTERLEAVING_SUPPORTED without the option: %u", v);
	CHECK_EQ(v, 0);
	{
		struct exp e1[1] = { { 200000, 1, 0, 77, 0, 0 } };
		struct rstats s5 = { 0, 0 };
		send_fill(d, &e1[0]);
		if (recv_set(d, e1, 1, 10000, &s5, "5 (DATA)") != 1) FAIL("200 KB echo over DATA missing");
	}
	close(d);
	kt_pass("I-DATA negotiated; kernel->us %d messages (%zu bytes, up to 1 MiB, %ld of %ld pieces interleaved) "
		"intact; us->kernel %d single-chunk and %d fragmented messages echoed; DATA without the option",
		ng, gbytes, st2.interleaved, st2.pieces, nsm, nbig);
}
