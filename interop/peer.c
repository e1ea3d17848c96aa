/*
 * peer.c: one interop test peer, the same logic for both stacks.  Linked
 * with stack_usrsctp.c it is `usrpeer`, with stack_sctpudp.c `sudpeer`, so
 * every case runs the identical client and server code on either side.
 *
 * Server (an echo server; every message goes back to the association it
 * came from on the same stream, with the same ppid and the same
 * unordered flag):
 *   peer server -p PORT [-1] [-d] [-n ASSOCS] [-e graceful|abort|restart]
 *               [-u UDP] [-r REMOTE_UDP] [-s STREAMS] [-B BUF] [-t SECS]
 *     -1   one-to-one style: accept() and serve one association at a time
 *          (default: one SOCK_SEQPACKET one-to-many socket)
 *     -d   discard: count the messages, send nothing back
 *     -n   exit after ASSOCS associations have ended (0: run until killed)
 *     -e   what must have happened by then for exit status 0: every
 *          association shut down gracefully (default), at least one ended
 *          by an ABORT, or at least one SCTP_RESTART notification
 * Client:
 *   peer client -c CASE -a ADDR -p PORT [-l LOCAL_PORT] [-n COUNT]
 *               [-k ASSOCS] [-L LENGTH] [-i IDLE] [-R REPEAT] [-u UDP] [-r REMOTE_UDP]
 *               [-s STREAMS] [-B BUF] [-t SECS]
 *   cases:
 *     setup    connect, check SCTP_COMM_UP, graceful shutdown (SHUT_WR),
 *              wait for SCTP_SHUTDOWN_COMP or end of file
 *     abort    one-to-many socket: connect, one echo, then an ABORT with a
 *              user reason (SCTP_ABORT send flag)
 *     streams  STREAMS (default 10) streams, COUNT (default 20) ordered and
 *              COUNT unordered messages on each; echoes checked for stream,
 *              unordered flag, content, and per-stream order when ordered;
 *              the COMM_UP notification must show >= STREAMS each way
 *     sizes    one message each of 1 byte ... 256 KiB (around the PMTU and
 *              the 64 KiB marks), each echoed and compared
 *     echo     COUNT (default 1000) messages of 1..1000 bytes over all
 *              streams, up to 16 in flight, each echo checked
 *     many     ASSOCS (default 50) one-to-one associations open at once,
 *              5 echoes on each, then all shut down
 *     hold     connect (bind -l LOCAL_PORT first), 5 echoes, print HOLDING
 *              and wait to be killed (first half of the restart case)
 *     idle     5 echoes, IDLE seconds (-i, default 3) without traffic (the
 *              stacks' heartbeats and path verification run), 5 echoes,
 *              shutdown: the association must have survived
 *     bulk     COUNT (default 100) messages of LENGTH (default 65536) bytes
 *              on stream 0 as fast as they go, nothing read back (for a
 *              discard server such as usrsctp's tsctp), then shutdown
 * -R runs the client case REPEAT times in a row (a new association each).
 * Both: -b ADDR binds the SCTP socket to that local IPv4 address instead
 * of the wildcard (a usrsctp socket bound to the wildcard lists every
 * local address in its INIT/INIT ACK).
 * The UDP ports default to the stack's own (usrsctp: 9899; sctpudp: the
 * SCTPUDP_* environment).  -t bounds the whole run (default 60 s).
 * Prints "CLIENT OK ..." / "SERVER OK ..." and exits 0, or a FAIL line and
 * exits 1 (3 on timeout).  Socket options that the stack does not implement
 * (ENOPROTOOPT) are reported as "NOTE: ... ENOPROTOOPT" and tolerated,
 * unless INTEROP_STRICT_SOCKOPTS=1.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peer.h"

#define MAXMSG (1024 * 1024 + 4096)
#define READ_CHUNK 65536 /* reads smaller than big messages: partial delivery */

static const char *role = "peer";
static const char *case_name = "";

static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("%s FAIL %s: ", role, case_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

static void on_alarm(int sig)
{
	static const char msg[] = " FAIL: timeout\n";

	(void)sig;
	if (write(1, role, strlen(role)) < 0 || write(1, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

const char *pev_name(enum pev ev)
{
	switch (ev) {
	case PEV_NONE: return "none";
	case PEV_COMM_UP: return "COMM_UP";
	case PEV_COMM_LOST: return "COMM_LOST";
	case PEV_RESTART: return "RESTART";
	case PEV_SHUTDOWN_COMP: return "SHUTDOWN_COMP";
	case PEV_CANT_STR_ASSOC: return "CANT_STR_ASSOC";
	case PEV_SHUTDOWN_EVENT: return "SHUTDOWN_EVENT";
	default: return "OTHER";
	}
}

/* Deterministic message contents: every byte depends on the seed and on
 * its offset, so a lost, repeated or misplaced fragment shows. */
static void fill(unsigned char *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		uint32_t x = seed * 2654435761u + (uint32_t)i * 40503u;
		p[i] = (unsigned char)((x >> 16) ^ (i >> 9));
	}
}

static long check(const unsigned char *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		uint32_t x = seed * 2654435761u + (uint32_t)i * 40503u;
		if (p[i] != (unsigned char)((x >> 16) ^ (i >> 9)))
			return (long)i;
	}
	return -1;
}

/* ---- options ---- */

static struct {
	uint16_t udp, remote_udp, port, lport;
	const char *addr;
	const char *laddr;
	int one_to_one;
	long nassocs;
	const char *expect;
	const char *cas;
	long count;
	long kassocs;
	long length;
	int idle;
	int repeat;
	int discard;
	int streams;
	int bufsize;
	int timeout;
} o = { .addr = "127.0.0.1", .nassocs = 0, .expect = "graceful", .count = -1,
	.kassocs = 50, .length = 65536, .idle = 3, .repeat = 1, .streams = 10, .timeout = 60 };

static int missing_opts;

static void setup_socket(struct psock *s)
{
	int missing = 0;
	int failed = stack->setup(s, o.streams, o.bufsize, &missing);
	int strict = getenv("INTEROP_STRICT_SOCKOPTS") && atoi(getenv("INTEROP_STRICT_SOCKOPTS"));

	if (missing && !missing_opts)
		printf("NOTE: %s: %d socket option(s) failed with ENOPROTOOPT "
		       "(not implemented); going on with the defaults\n",
		       stack->name, missing);
	missing_opts += missing;
	if (failed > missing || (missing && strict))
		fail("%d socket option(s) failed (see stderr)", failed);
}

/* ---- client side ---- */

struct cstate {
	int comm_up, shutdown_comp, comm_lost, restart;
	uint16_t ostreams, istreams;
	uint32_t assoc;
};

static void note_event(struct cstate *st, const struct prinfo *in)
{
	switch (in->ev) {
	case PEV_COMM_UP:
		st->comm_up++;
		st->ostreams = in->ev_ostreams;
		st->istreams = in->ev_istreams;
		if (!st->assoc)
			st->assoc = in->assoc;
		break;
	case PEV_RESTART: st->restart++; break;
	case PEV_SHUTDOWN_COMP: st->shutdown_comp++; break;
	case PEV_COMM_LOST:
	case PEV_CANT_STR_ASSOC: st->comm_lost++; break;
	default: break;
	}
}

/* Receives one whole data message (notifications are noted and skipped).
 * Returns its length, 0 at end of file; fails on errors. */
static size_t recv_msg(struct psock *s, unsigned char *buf, size_t cap,
		       struct prinfo *info, struct cstate *st, int *eof)
{
	size_t len = 0;

	*eof = 0;
	for (;;) {
		struct prinfo in;
		size_t want = cap - len < READ_CHUNK ? cap - len : READ_CHUNK;
		ssize_t n = stack->recv(s, buf + len, want, &in);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail("recv: %s", strerror(errno));
		}
		if (n == 0) {
			*eof = 1;
			return 0;
		}
		if (in.notification) {
			if (len)
				fail("notification in the middle of a message");
			note_event(st, &in);
			if (st->comm_lost)
				fail("association lost (%s, error %u) while waiting for data",
				     pev_name(in.ev), in.ev_error);
			continue;
		}
		if (len == 0)
			*info = in;
		else if (in.sid != info->sid || in.ppid != info->ppid)
			fail("a partial read changed stream/ppid (%u/%u -> %u/%u)",
			     info->sid, info->ppid, in.sid, in.ppid);
		len += (size_t)n;
		if (in.eor)
			return len;
		if (len >= cap)
			fail("message larger than %zu bytes", cap);
	}
}

static struct psock *client_connect(struct cstate *st, int one_to_many)
{
	struct psock *s = stack->socket(one_to_many);

	if (!s)
		fail("socket: %s", strerror(errno));
	setup_socket(s);
	if ((o.lport || o.laddr) && stack->bind(s, o.laddr, o.lport) < 0)
		fail("bind %s port %u: %s", o.laddr ? o.laddr : "*", o.lport, strerror(errno));
	if (stack->connect(s, o.addr, o.port, &st->assoc) < 0)
		fail("connect %s:%u: %s", o.addr, o.port, strerror(errno));
	return s;
}

static void send_msg(struct psock *s, size_t len, uint16_t sid, uint32_t ppid,
		     int unordered, uint32_t assoc, unsigned char *scratch)
{
	ssize_t n;

	fill(scratch, len, ppid);
	n = stack->send(s, scratch, len, sid, ppid, unordered, assoc);
	if (n < 0)
		fail("send %zu bytes on stream %u: %s", len, sid, strerror(errno));
	if ((size_t)n != len)
		fail("send %zu bytes returned %zd", len, n);
}

/* Graceful shutdown: SHUT_WR, then wait for SHUTDOWN_COMP or end of file. */
static void client_shutdown(struct psock *s, struct cstate *st, unsigned char *buf)
{
	if (stack->shutdown_wr(s) < 0)
		fail("shutdown(SHUT_WR): %s", strerror(errno));
	while (!st->shutdown_comp) {
		struct prinfo in;
		ssize_t n = stack->recv(s, buf, READ_CHUNK, &in);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* ENOTCONN once the association is gone counts as closed */
			if (errno == ENOTCONN)
				break;
			fail("recv after SHUT_WR: %s", strerror(errno));
		}
		if (n == 0)
			break;
		if (!in.notification)
			fail("unexpected data (%zd bytes) after SHUT_WR", n);
		note_event(st, &in);
		if (st->comm_lost)
			fail("association lost during shutdown (%s)", pev_name(in.ev));
	}
}

static void echo_one(struct psock *s, struct cstate *st, unsigned char *out,
		     unsigned char *in, size_t len, uint16_t sid, uint32_t ppid)
{
	struct prinfo ri;
	int eof;
	size_t got;
	long bad;

	send_msg(s, len, sid, ppid, 0, 0, out);
	got = recv_msg(s, in, MAXMSG, &ri, st, &eof);
	if (eof)
		fail("end of file waiting for the echo of %zu bytes", len);
	if (got != len)
		fail("echo of %zu bytes came back with %zu", len, got);
	if (ri.ppid != ppid || ri.sid != sid)
		fail("echo of %zu bytes: ppid/stream %u/%u, expected %u/%u",
		     len, ri.ppid, ri.sid, ppid, sid);
	if ((bad = check(in, len, ppid)) >= 0)
		fail("echo of %zu bytes differs at offset %ld", len, bad);
}

static int case_setup(unsigned char *out, unsigned char *in)
{
	struct cstate st = { 0 };
	struct psock *s = client_connect(&st, 0);

	(void)out;
	client_shutdown(s, &st, in);
	stack->close(s);
	if (!st.comm_up)
		fail("no SCTP_COMM_UP notification");
	printf("CLIENT OK setup: COMM_UP (%u out / %u in streams), %s\n", st.ostreams,
	       st.istreams, st.shutdown_comp ? "SHUTDOWN_COMP" : "end of file");
	return 0;
}

static int case_abort(unsigned char *out, unsigned char *in)
{
	struct cstate st = { 0 };
	struct psock *s = client_connect(&st, 1);
	struct prinfo ri;
	int eof;
	size_t got;

	if (!st.assoc)
		fail("connect gave no association id");
	send_msg(s, 100, 0, 7, 0, st.assoc, out);
	got = recv_msg(s, in, MAXMSG, &ri, &st, &eof);
	if (eof || got != 100 || check(in, got, 7) >= 0)
		fail("bad echo before the abort (%zu bytes)", got);
	if (stack->abort(s, st.assoc, "interop: user-initiated abort") < 0)
		fail("abort: %s", strerror(errno));
	usleep(200000);
	stack->close(s);
	printf("CLIENT OK abort: association %u aborted after one echo\n", st.assoc);
	return 0;
}

static int case_streams(unsigned char *out, unsigned char *in)
{
	struct cstate st = { 0 };
	struct psock *s = client_connect(&st, 0);
	int S = o.streams;
	long K = o.count > 0 ? o.count : 20;
	long total = 2 * K * S, sent = 0, recvd = 0, unord = 0;
	long *next = calloc((size_t)S, sizeof(long));
	unsigned char *seen = calloc((size_t)(K * S), 1);
	const long window = 32;

	if (!next || !seen)
		fail("out of memory");
	while (recvd < total) {
		while (sent < total && sent - recvd < window) {
			long r = sent / (2 * S), rest = sent % (2 * S);
			uint16_t sid = (uint16_t)(rest / 2);
			int u = (int)(rest % 2);
			uint32_t ppid = ((uint32_t)u << 31) | ((uint32_t)sid << 16) | (uint32_t)r;

			send_msg(s, 8 + (size_t)((sid * 7 + r * 13) % 200), sid, ppid, u, 0, out);
			sent++;
		}
		struct prinfo ri;
		int eof;
		size_t got = recv_msg(s, in, MAXMSG, &ri, &st, &eof);
		uint32_t u = ri.ppid >> 31, sid = (ri.ppid >> 16) & 0x7fff, r = ri.ppid & 0xffff;

		if (eof)
			fail("end of file after %ld of %ld echoes", recvd, total);
		if (sid >= (uint32_t)S || r >= (uint32_t)K)
			fail("echo with unknown ppid %#x", ri.ppid);
		if (ri.sid != sid)
			fail("message for stream %u came back on stream %u", sid, ri.sid);
		if ((uint32_t)ri.unordered != u)
			fail("stream %u message %u: unordered flag %d, sent %u", sid, r,
			     ri.unordered, u);
		if (got != 8 + (size_t)((sid * 7 + r * 13) % 200) || check(in, got, ri.ppid) >= 0)
			fail("stream %u message %u: bad contents (%zu bytes)", sid, r, got);
		if (u) {
			if (seen[r * (uint32_t)S + sid]++)
				fail("unordered message %u on stream %u twice", r, sid);
			unord++;
		} else if ((long)r != next[sid]++) {
			fail("ordered stream %u: message %u arrived, expected %ld", sid, r,
			     next[sid] - 1);
		}
		recvd++;
	}
	if (!st.comm_up)
		fail("no SCTP_COMM_UP notification (cannot check the stream counts)");
	if (st.ostreams < S || st.istreams < S)
		fail("association has %u out / %u in streams, wanted %d", st.ostreams,
		     st.istreams, S);
	client_shutdown(s, &st, in);
	stack->close(s);
	printf("CLIENT OK streams: %u out / %u in streams, %ld ordered + %ld unordered echoes\n",
	       st.ostreams, st.istreams, total - unord, unord);
	return 0;
}

static int case_sizes(unsigned char *out, unsigned char *in)
{
	static const size_t sizes[] = {
		1, 2, 3, 4, 5, 7, 8, 100, 1000, 1100, 1200, 1300, 1400, 1420, 1440,
		1452, 1460, 1480, 1500, 2000, 2896, 4096, 8192, 9000, 16383, 16384,
		32768, 65000, 65535, 65536, 65537, 100000, 131072, 200000, 262143,
		262144,
	};
	struct cstate st = { 0 };
	struct psock *s = client_connect(&st, 0);
	size_t n = sizeof(sizes) / sizeof(sizes[0]);

	for (size_t i = 0; i < n; i++)
		echo_one(s, &st, out, in, sizes[i], (uint16_t)(i % 2), (uint32_t)(1000 + i));
	client_shutdown(s, &st, in);
	stack->close(s);
	printf("CLIENT OK sizes: %zu messages of 1..%zu bytes echoed intact\n", n, sizes[n - 1]);
	return 0;
}

static size_t echo_len(long i)
{
	return 1 + (size_t)((i * 37) % 1000);
}

static int case_echo(unsigned char *out, unsigned char *in)
{
	struct cstate st = { 0 };
	struct psock *s = client_connect(&st, 0);
	long count = o.count >= 0 ? o.count : 1000, sent = 0, recvd = 0;
	unsigned char *seen = calloc((size_t)count + 1, 1);
	const long window = 16;
	uint64_t bytes = 0;

	if (!seen)
		fail("out of memory");
	/* PEER_RENUMBER=ADDR (interop asconf case): after a third of the
	 * echoes add ADDR and ask the peer to make it its primary; after two
	 * thirds, with PEER_RENUMBER_DEL=1, remove the address bound first. */
	const char *renum = getenv("PEER_RENUMBER");
	int renum_del = getenv("PEER_RENUMBER_DEL") != NULL && o.laddr;
	int did_add = 0, did_del = 0;
	while (recvd < count) {
		if (renum && !did_add && sent == count / 3 && recvd == sent) {
			if (stack->renumber(s, renum, 0) < 0)
				fail("add %s: %s", renum, strerror(errno));
			usleep(300000);
			if (stack->renumber(s, renum, 2) < 0)
				fail("set peer primary %s: %s", renum, strerror(errno));
			printf("EVENT renumber: added %s, asked to make it primary\n", renum);
			did_add = 1;
		}
		if (renum && renum_del && !did_del && sent == 2 * count / 3 && recvd == sent) {
			usleep(300000);
			if (stack->renumber(s, o.laddr, 1) < 0)
				fail("remove %s: %s", o.laddr, strerror(errno));
			printf("EVENT renumber: removed %s\n", o.laddr);
			did_del = 1;
		}
		while (sent < count && sent - recvd < window) {
			if (renum && ((!did_add && sent == count / 3) ||
				      (renum_del && !did_del && sent == 2 * count / 3)))
				break;
			send_msg(s, echo_len(sent), (uint16_t)(sent % o.streams), (uint32_t)sent,
				 0, 0, out);
			sent++;
		}
		struct prinfo ri;
		int eof;
		size_t got = recv_msg(s, in, MAXMSG, &ri, &st, &eof);

		if (eof)
			fail("end of file after %ld of %ld echoes", recvd, count);
		if (ri.ppid >= (uint32_t)sent || seen[ri.ppid])
			fail("echo with unexpected ppid %u", ri.ppid);
		if (ri.sid != ri.ppid % (uint32_t)o.streams)
			fail("message %u came back on stream %u", ri.ppid, ri.sid);
		if (got != echo_len(ri.ppid) || check(in, got, ri.ppid) >= 0)
			fail("message %u: bad echo (%zu bytes, sent %zu)", ri.ppid, got,
			     echo_len(ri.ppid));
		seen[ri.ppid] = 1;
		bytes += got;
		recvd++;
	}
	client_shutdown(s, &st, in);
	stack->close(s);
	printf("CLIENT OK echo: %ld messages (%llu bytes) echoed intact\n", count,
	       (unsigned long long)bytes);
	return 0;
}

static int case_many(unsigned char *out, unsigned char *in)
{
	long k = o.kassocs;
	struct psock **s = calloc((size_t)k, sizeof(*s));
	struct cstate *st = calloc((size_t)k, sizeof(*st));
	const int rounds = 5;

	if (!s || !st)
		fail("out of memory");
	for (long i = 0; i < k; i++)
		s[i] = client_connect(&st[i], 0);
	for (int r = 0; r < rounds; r++) {
		for (long i = 0; i < k; i++)
			send_msg(s[i], 10 + (size_t)((i * 31 + r) % 500), (uint16_t)(r % o.streams),
				 (uint32_t)(i * 100 + r), 0, 0, out);
		for (long i = 0; i < k; i++) {
			struct prinfo ri;
			int eof;
			size_t len = 10 + (size_t)((i * 31 + r) % 500);
			size_t got = recv_msg(s[i], in, MAXMSG, &ri, &st[i], &eof);

			if (eof)
				fail("association %ld: end of file in round %d", i, r);
			if (ri.ppid != (uint32_t)(i * 100 + r) || got != len ||
			    check(in, got, ri.ppid) >= 0)
				fail("association %ld round %d: bad echo (ppid %u, %zu bytes)", i, r,
				     ri.ppid, got);
		}
	}
	for (long i = 0; i < k; i++)
		if (stack->shutdown_wr(s[i]) < 0)
			fail("association %ld: shutdown: %s", i, strerror(errno));
	for (long i = 0; i < k; i++) {
		st[i].shutdown_comp = 0;
		while (!st[i].shutdown_comp) {
			struct prinfo ri;
			ssize_t n = stack->recv(s[i], in, READ_CHUNK, &ri);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == ENOTCONN)
				break;
			if (n < 0)
				fail("association %ld: recv after SHUT_WR: %s", i, strerror(errno));
			if (n == 0)
				break;
			if (!ri.notification)
				fail("association %ld: data after SHUT_WR", i);
			note_event(&st[i], &ri);
			if (st[i].comm_lost)
				fail("association %ld lost during shutdown", i);
		}
		stack->close(s[i]);
	}
	printf("CLIENT OK many: %ld associations up at once, %d echoes each, all shut down\n",
	       k, rounds);
	return 0;
}

static int case_idle(unsigned char *out, unsigned char *in)
{
	struct cstate st = { 0 };
	struct psock *s = client_connect(&st, 0);

	for (uint32_t i = 0; i < 5; i++)
		echo_one(s, &st, out, in, 100 + i, (uint16_t)i, 600 + i);
	sleep((unsigned)o.idle);
	for (uint32_t i = 5; i < 10; i++)
		echo_one(s, &st, out, in, 100 + i, (uint16_t)i, 600 + i);
	client_shutdown(s, &st, in);
	stack->close(s);
	if (st.comm_lost)
		fail("association lost while idle");
	printf("CLIENT OK idle: 5 echoes, %d s idle, 5 echoes, shutdown\n", o.idle);
	return 0;
}

static int case_bulk(unsigned char *out, unsigned char *in)
{
	struct cstate st = { 0 };
	struct psock *s = client_connect(&st, 0);
	long count = o.count >= 0 ? o.count : 100;
	size_t len = (size_t)o.length;

	if (len < 1 || len > MAXMSG)
		fail("bad length %zu", len);
	for (long i = 0; i < count; i++)
		send_msg(s, len, 0, (uint32_t)i, 0, 0, out);
	client_shutdown(s, &st, in);
	stack->close(s);
	printf("CLIENT OK bulk: %ld messages of %zu bytes sent\n", count, len);
	return 0;
}

static int case_hold(unsigned char *out, unsigned char *in)
{
	struct cstate st = { 0 };
	struct psock *s = client_connect(&st, 0);

	for (uint32_t i = 0; i < 5; i++)
		echo_one(s, &st, out, in, 50 + i, (uint16_t)i, 500 + i);
	printf("HOLDING\n");
	fflush(stdout);
	for (;;)
		pause();
	return 0;
}

static int client(void)
{
	static const struct { const char *name; int (*fn)(unsigned char *, unsigned char *); } cases[] = {
		{ "setup", case_setup }, { "abort", case_abort }, { "streams", case_streams },
		{ "sizes", case_sizes }, { "echo", case_echo }, { "many", case_many },
		{ "hold", case_hold }, { "bulk", case_bulk }, { "idle", case_idle },
	};
	unsigned char *out = malloc(MAXMSG), *in = malloc(MAXMSG);

	if (!out || !in)
		fail("out of memory");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(cases[i].name, o.cas) == 0) {
			int rc = 0;
			for (int r = 0; r < o.repeat && rc == 0; r++)
				rc = cases[i].fn(out, in);
			fflush(stdout);
			stack->finish();
			return rc;
		}
	}
	fprintf(stderr, "unknown case %s\n", o.cas);
	return 2;
}

/* ---- server side ---- */

struct abuf {
	uint32_t assoc;
	size_t len;
	unsigned char *buf;
};

static struct {
	long up, restarts, graceful, lost, ended, msgs, bytes, send_errors;
} sv;

static struct abuf *abufs;
static size_t nabufs;

static struct abuf *abuf_get(uint32_t assoc)
{
	for (size_t i = 0; i < nabufs; i++)
		if (abufs[i].assoc == assoc)
			return &abufs[i];
	abufs = realloc(abufs, (nabufs + 1) * sizeof(*abufs));
	if (!abufs)
		fail("out of memory");
	abufs[nabufs] = (struct abuf){ assoc, 0, malloc(MAXMSG) };
	if (!abufs[nabufs].buf)
		fail("out of memory");
	return &abufs[nabufs++];
}

static void server_event(const struct prinfo *in, int one_to_one)
{
	printf("EVENT %s assoc=%u streams=%u/%u error=%u\n", pev_name(in->ev), in->assoc,
	       in->ev_ostreams, in->ev_istreams, in->ev_error);
	switch (in->ev) {
	case PEV_COMM_UP: sv.up++; break;
	case PEV_RESTART: sv.restarts++; break;
	case PEV_SHUTDOWN_COMP:
		if (!one_to_one) {
			sv.graceful++;
			sv.ended++;
		}
		break;
	case PEV_COMM_LOST:
	case PEV_CANT_STR_ASSOC:
		if (!one_to_one) { /* one-to-one: counted when serve() returns */
			sv.lost++;
			sv.ended++;
		}
		break;
	default:
		break;
	}
	fflush(stdout);
}

/* Serves one socket: returns at end of file (one-to-one) or when enough
 * associations have ended (one-to-many). */
static void serve(struct psock *s, int one_to_one)
{
	static unsigned char *scratch;

	if (!scratch && !(scratch = malloc(READ_CHUNK)))
		fail("out of memory");
	if (one_to_one)
		abuf_get(0)->len = 0;
	for (;;) {
		struct prinfo in;
		struct abuf *a;
		ssize_t n;

		if (!one_to_one && o.nassocs > 0 && sv.ended >= o.nassocs)
			return;
		n = stack->recv(s, scratch, READ_CHUNK, &in);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (one_to_one && (errno == ECONNRESET || errno == ENOTCONN ||
					   errno == EPIPE)) {
				printf("EVENT recv: %s\n", strerror(errno));
				sv.lost++;
				sv.ended++;
				return;
			}
			fail("recv: %s", strerror(errno));
		}
		if (n == 0) {
			if (one_to_one) {
				printf("EVENT end of file\n");
				sv.graceful++;
				sv.ended++;
				return;
			}
			continue;
		}
		if (in.notification) {
			server_event(&in, one_to_one);
			if (one_to_one && in.ev == PEV_COMM_LOST) {
				sv.lost++;
				sv.ended++;
				return;
			}
			continue;
		}
		/* one-to-many: messages of several associations may interleave
		 * (usrsctp's default fragment interleave level), so one
		 * reassembly buffer per association */
		a = abuf_get(one_to_one ? 0 : in.assoc);
		if (a->len + (size_t)n > MAXMSG)
			fail("message from association %u longer than %d bytes", in.assoc, MAXMSG);
		memcpy(a->buf + a->len, scratch, (size_t)n);
		a->len += (size_t)n;
		if (!in.eor)
			continue;
		if (!o.discard && stack->send(s, a->buf, a->len, in.sid, in.ppid, in.unordered,
				one_to_one ? 0 : in.assoc) < 0) {
			printf("WARN: echo of %zu bytes to association %u: %s\n", a->len, in.assoc,
			       strerror(errno));
			sv.send_errors++;
		}
		sv.msgs++;
		sv.bytes += (long)a->len;
		a->len = 0;
	}
}

static int server(void)
{
	struct psock *l = stack->socket(!o.one_to_one);
	const char *why = NULL;

	if (!l)
		fail("socket: %s", strerror(errno));
	setup_socket(l);
	if (stack->bind(l, o.laddr, o.port) < 0)
		fail("bind %s port %u: %s", o.laddr ? o.laddr : "*", o.port, strerror(errno));
	if (stack->listen(l, 128) < 0)
		fail("listen: %s", strerror(errno));
	printf("READY %s server on SCTP port %u (%s)\n", stack->name, o.port,
	       o.one_to_one ? "one-to-one" : "one-to-many");
	fflush(stdout);
	if (o.one_to_one) {
		while (o.nassocs <= 0 || sv.ended < o.nassocs) {
			struct psock *s = stack->accept(l);

			if (!s)
				fail("accept: %s", strerror(errno));
			printf("EVENT accepted\n");
			fflush(stdout);
			serve(s, 1);
			stack->close(s);
		}
	} else {
		serve(l, 0);
	}
	printf("SERVER summary: up=%ld restarts=%ld graceful=%ld lost=%ld msgs=%ld bytes=%ld "
	       "send_errors=%ld%s\n", sv.up, sv.restarts, sv.graceful, sv.lost, sv.msgs, sv.bytes,
	       sv.send_errors, o.discard ? "" : " (echoed)");
	if (strcmp(o.expect, "graceful") == 0) {
		if (sv.lost)
			why = "an association was lost (expected graceful shutdowns only)";
	} else if (strcmp(o.expect, "abort") == 0) {
		if (!sv.lost)
			why = "no association ended by ABORT";
	} else if (strcmp(o.expect, "restart") == 0) {
		if (!sv.restarts)
			why = "no SCTP_RESTART notification";
		else if (sv.lost)
			why = "an association was lost";
	}
	if (!why && sv.send_errors && strcmp(o.expect, "abort") != 0)
		why = "echo send errors";
	stack->close(l);
	stack->finish();
	if (why)
		fail("%s", why);
	printf("SERVER OK\n");
	return 0;
}

int main(int argc, char **argv)
{
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2 || (strcmp(argv[1], "server") != 0 && strcmp(argv[1], "client") != 0)) {
		fprintf(stderr, "usage: %s server|client [options]  (see peer.c)\n", argv[0]);
		return 2;
	}
	role = strcmp(argv[1], "server") == 0 ? "SERVER" : "CLIENT";
	optind = 2;
	while ((c = getopt(argc, argv, "u:r:p:l:a:b:1dn:e:c:k:L:i:R:s:B:t:")) != -1) {
		switch (c) {
		case 'u': o.udp = (uint16_t)atoi(optarg); break;
		case 'r': o.remote_udp = (uint16_t)atoi(optarg); break;
		case 'p': o.port = (uint16_t)atoi(optarg); break;
		case 'l': o.lport = (uint16_t)atoi(optarg); break;
		case 'a': o.addr = optarg; break;
		case 'b': o.laddr = optarg; break;
		case '1': o.one_to_one = 1; break;
		case 'n': o.nassocs = o.count = atol(optarg); break;
		case 'e': o.expect = optarg; break;
		case 'c': o.cas = optarg; break;
		case 'k': o.kassocs = atol(optarg); break;
		case 'L': o.length = atol(optarg); break;
		case 'i': o.idle = atoi(optarg); break;
		case 'R': o.repeat = atoi(optarg); break;
		case 'd': o.discard = 1; break;
		case 's': o.streams = atoi(optarg); break;
		case 'B': o.bufsize = atoi(optarg); break;
		case 't': o.timeout = atoi(optarg); break;
		default: return 2;
		}
	}
	if (!o.port || (role[0] == 'C' && !o.cas)) {
		fprintf(stderr, "%s: -p PORT is required (and -c CASE for a client)\n", argv[0]);
		return 2;
	}
	case_name = role[0] == 'C' ? o.cas : "server";
	signal(SIGALRM, on_alarm);
	alarm((unsigned)o.timeout);
	if (stack->init(o.udp, o.remote_udp) < 0)
		return 1;
	return role[0] == 'S' ? server() : client();
}
