/*
 * t_flood: a listening server under blind floods over UDP, while a
 * legitimate client on another host stack keeps connecting.
 *
 * Processes: a server child (its own host stack, UDP port A) with a
 * one-to-many socket listening on 127.0.0.1 and echoing what it gets;
 * this process is the legitimate client (its own host stack, UDP port B)
 * and, in a thread, the flooder (plain UDP sockets: 250 of them, each
 * sending from 40 SCTP source ports, so packets come from 10,000
 * sources).
 *
 * Phases (SCTPUDP_FLOOD_SECS seconds each, default 10 for INITs and half
 * that for the others; SCTPUDP_FLOOD_RATE packets/s, default 100,000):
 *   1. INITs from 10,000 sources;
 *   2. COOKIE ECHOs with forged cookies (random bytes, random tags) and a
 *      real but stale one (the server's cookie life is set to 1 s);
 *   3. packets with wrong verification tags aimed at an established
 *      association (its addresses and ports, another UDP source port):
 *      ABORT with and without the T bit, SHUTDOWN, SHUTDOWN COMPLETE,
 *      DATA, SACK, HEARTBEAT, ERROR, COOKIE ACK, INIT with a tag.
 *
 * Checked: no association is made by the floods (the server counts only
 * the legitimate ones, SCTP_GET_ASSOC_NUMBER); the server's stack keeps
 * no state for them (its resident memory grows by less than 16 MiB over
 * a phase: the measured growth is printed); every legitimate connect()
 * during the floods succeeds and carries an echo; the established
 * association of phase 3 sees no event and still echoes afterwards.
 * Connect times (median and worst, unloaded and under each flood) are
 * printed for the record, not judged: timing is the benchmarks' business.
 */
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#define N_UDP 250
#define N_SPORT 40
#define COOKIE_LIFE_MS 1000

static uint16_t udp_a, udp_b;
static atomic_int flood_kind; /* 0: stop, 1: INIT, 2: COOKIE ECHO, 3: wrong tags */
static atomic_int flood_run;
static atomic_long flood_sent, flood_answers;
static long flood_rate = 100000;
static long stack_ticks; /* the server stack's CPU time (clock ticks) */
static uint16_t victim_cport; /* phase 3: the client's SCTP port */
static uint8_t stale_cookie[1024];
static size_t stale_len;
static uint32_t stale_tag;

/* ---- CRC32c (RFC 9260 appendix B), table-driven -------------------- */

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc_table[i] = c;
	}
}

static void finish(uint8_t *p, size_t len)
{
	uint32_t c = 0xffffffffu;

	memset(p + 8, 0, 4);
	for (size_t i = 0; i < len; i++)
		c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	c = ~c;
	/* The CRC goes on the wire least significant byte first. */
	p[8] = (uint8_t)c;
	p[9] = (uint8_t)(c >> 8);
	p[10] = (uint8_t)(c >> 16);
	p[11] = (uint8_t)(c >> 24);
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

static uint32_t rnd_state = 0x12345678;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static size_t header(uint8_t *p, uint16_t sport, uint16_t dport, uint32_t vtag)
{
	put16(p, sport);
	put16(p + 2, dport);
	put32(p + 4, vtag);
	return 12;
}

static size_t chunk(uint8_t *p, uint8_t type, uint8_t flags, const void *body, size_t len)
{
	p[0] = type;
	p[1] = flags;
	put16(p + 2, (uint16_t)(4 + len));
	if (len)
		memcpy(p + 4, body, len);
	while ((4 + len) % 4)
		p[4 + len++] = 0;
	return 4 + len;
}

static size_t make_init(uint8_t *p, uint16_t sport, uint16_t dport, uint32_t vtag)
{
	uint8_t b[16];
	size_t n = header(p, sport, dport, vtag);

	put32(b, rnd() | 1);   /* initiate tag */
	put32(b + 4, 65536);   /* a_rwnd */
	put16(b + 8, 10);      /* outbound streams */
	put16(b + 10, 10);     /* inbound streams */
	put32(b + 12, rnd());  /* initial TSN */
	n += chunk(p + n, 1, 0, b, 16);
	finish(p, n);
	return n;
}

/* One flood packet of the current kind from SCTP source port `sport`. */
static size_t make_packet(uint8_t *p, uint16_t sport, int kind, long i)
{
	uint8_t b[320];
	size_t n;

	if (kind == 1)
		return make_init(p, sport, t_ports.sctp, 0);
	if (kind == 2) {
		if (i % 2 && stale_len) {
			/* From the port of the INIT that got the cookie, so only
			 * its staleness can refuse it. */
			n = header(p, 9999, t_ports.sctp, stale_tag);
			n += chunk(p + n, 10, 0, stale_cookie, stale_len);
		} else {
			for (size_t k = 0; k < 200; k++)
				b[k] = (uint8_t)rnd();
			n = header(p, sport, t_ports.sctp, rnd());
			n += chunk(p + n, 10, 0, b, 200);
		}
		finish(p, n);
		return n;
	}
	/* Wrong tags at the established association (client -> server). */
	n = header(p, victim_cport, t_ports.sctp, rnd() | 1);
	memset(b, 0, sizeof(b));
	switch (i % 10) {
	case 0: n += chunk(p + n, 6, 0, NULL, 0); break;            /* ABORT */
	case 1: n += chunk(p + n, 6, 1, NULL, 0); break;            /* ABORT, T bit */
	case 2: put32(b, rnd()); n += chunk(p + n, 7, 0, b, 4); break; /* SHUTDOWN */
	case 3: n += chunk(p + n, 14, 1, NULL, 0); break;           /* SHUTDOWN COMPLETE, T */
	case 4: put32(b, rnd()); n += chunk(p + n, 0, 3, b, 16); break; /* DATA */
	case 5: put32(b, rnd()); put32(b + 4, 1 << 20); n += chunk(p + n, 3, 0, b, 12); break;
	case 6: put16(b, 1); put16(b + 2, 8); n += chunk(p + n, 4, 0, b, 8); break; /* HB */
	case 7: put16(b, 1); put16(b + 2, 8); n += chunk(p + n, 9, 0, b, 8); break; /* ERROR */
	case 8: n += chunk(p + n, 11, 0, NULL, 0); break;           /* COOKIE ACK */
	default: return make_init(p, victim_cport, t_ports.sctp, rnd() | 1);
	}
	finish(p, n);
	return n;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *flooder(void *arg)
{
	static uint8_t bufs[N_SPORT][400];
	static struct mmsghdr msgs[N_SPORT];
	static struct iovec iov[N_SPORT];
	int fds[N_UDP];
	struct sockaddr_in to = t_addr4("127.0.0.1", udp_a);
	char junk[2048];
	long i = 0;

	(void)arg;
	for (int k = 0; k < N_UDP; k++) {
		struct sockaddr_in me = t_addr4("127.0.0.1", 0);

		fds[k] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (fds[k] < 0 || bind(fds[k], (struct sockaddr *)&me, sizeof(me)) != 0)
			DIE("flooder: udp socket");
	}
	while (atomic_load(&flood_run)) {
		int kind = atomic_load(&flood_kind);
		double t0 = now_s();
		long sent = 0;

		if (!kind) {
			usleep(1000);
			t0 = now_s();
			continue;
		}
		/* Paced in 10 ms slices. */
		while (atomic_load(&flood_kind) == kind) {
			long due = (long)((now_s() - t0) * (double)flood_rate);
			int k = (int)(i / N_SPORT % N_UDP);

			if (sent >= due) {
				usleep(200);
				continue;
			}
			for (int j = 0; j < N_SPORT; j++) {
				uint16_t sport = (uint16_t)(10000 + k * N_SPORT + j);

				iov[j].iov_base = bufs[j];
				iov[j].iov_len = make_packet(bufs[j], sport, kind, i + j);
				memset(&msgs[j].msg_hdr, 0, sizeof(msgs[j].msg_hdr));
				msgs[j].msg_hdr.msg_name = &to;
				msgs[j].msg_hdr.msg_namelen = sizeof(to);
				msgs[j].msg_hdr.msg_iov = &iov[j];
				msgs[j].msg_hdr.msg_iovlen = 1;
			}
			if (sendmmsg(fds[k], msgs, N_SPORT, 0) > 0)
				atomic_fetch_add(&flood_sent, N_SPORT);
			sent += N_SPORT;
			i += N_SPORT;
			/* Drop what the server answered (INIT ACKs, ERRORs). */
			while (recv(fds[k], junk, sizeof(junk), MSG_DONTWAIT) > 0)
				atomic_fetch_add(&flood_answers, 1);
		}
	}
	for (int k = 0; k < N_UDP; k++)
		close(fds[k]);
	return NULL;
}

/* A real State Cookie for phase 2: INIT from a plain UDP socket, the
 * cookie out of the INIT ACK. */
static void fetch_cookie(void)
{
	uint8_t p[512], r[2048];
	struct sockaddr_in to = t_addr4("127.0.0.1", udp_a), me = t_addr4("127.0.0.1", 0);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	ssize_t n;
	size_t len, off;

	CHECK_SYS(fd);
	CHECK_SYS(bind(fd, (struct sockaddr *)&me, sizeof(me)));
	len = make_init(p, 9999, t_ports.sctp, 0);
	CHECK_SYS(sendto(fd, p, len, 0, (struct sockaddr *)&to, sizeof(to)));
	t_wait_fd(fd, POLLIN, 5000);
	n = recv(fd, r, sizeof(r), 0);
	CHECK(n > 32 && r[12] == 2); /* INIT ACK */
	stale_tag = get32(r + 16);   /* the server's initiate tag */
	for (off = 12 + 20; off + 4 <= (size_t)n;) {
		uint16_t type = get16(r + off), plen = get16(r + off + 2);

		if (plen < 4 || off + plen > (size_t)n)
			break;
		if (type == 7) { /* State Cookie */
			stale_len = plen - 4u;
			CHECK(stale_len <= sizeof(stale_cookie));
			memcpy(stale_cookie, r + off + 4, stale_len);
			break;
		}
		off += (plen + 3u) & ~3u;
	}
	CHECK(stale_len > 0);
	close(fd);
}

static int server(t_sync *s, void *arg)
{
	static char buf[65536];
	struct sctp_assocparams ap;
	struct sctp_event_subscribe ev;
	struct pollfd p[2];
	int fd;

	(void)arg;
	t_use_udp(udp_a, udp_b);
	fd = t_sctp_socket(SOCK_SEQPACKET);
	t_bind4(fd, "127.0.0.1", t_ports.sctp);
	memset(&ap, 0, sizeof(ap));
	ap.sasoc_cookie_life = COOKIE_LIFE_MS;
	CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_ASSOCINFO, &ap, sizeof(ap)));
	memset(&ev, 0, sizeof(ev));
	ev.sctp_data_io_event = 1;
	CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof(ev)));
	CHECK_SYS(listen(fd, 64));
	t_post(s, 'r');
	p[0].fd = fd;
	p[0].events = POLLIN;
	p[1].fd = s->to_child[0];
	p[1].events = POLLIN;
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			DIE("poll");
		if (p[1].revents) {
			char c;

			if (read(s->to_child[0], &c, 1) != 1 || c == 'q')
				break;
			/* 'n': how many associations, as one byte. */
			c = (char)('0' + t_get_int(fd, IPPROTO_SCTP, SCTP_GET_ASSOC_NUMBER));
			t_post(s, c);
		}
		if (p[0].revents & POLLIN) {
			struct sctp_sndrcvinfo si;
			int flags = 0;
			ssize_t n = sctp_recvmsg(fd, buf, sizeof(buf), NULL, NULL, &si, &flags);

			if (n < 0)
				DIE("server recv");
			if (!(flags & MSG_NOTIFICATION))
				CHECK_SYS(sctp_send(fd, buf, (size_t)n, &si, 0));
		}
	}
	close(fd);
	return 0;
}

static int server_assocs(t_sync *s)
{
	char c;

	t_post(s, 'n');
	for (;;) {
		struct pollfd p = { s->to_parent[0], POLLIN, 0 };

		if (poll(&p, 1, 10000) != 1)
			FAIL("server does not answer");
		if (read(s->to_parent[0], &c, 1) != 1)
			FAIL("server gone");
		if (c >= '0' && c <= '9')
			return c - '0';
	}
}

static void echo(int fd)
{
	char buf[64];
	int flags = 0;
	ssize_t n;

	CHECK_EQ(sctp_sendmsg(fd, "hello", 5, NULL, 0, 0, 0, 0, 0, 0), 5);
	t_wait_fd(fd, POLLIN, 10000);
	n = sctp_recvmsg(fd, buf, sizeof(buf), NULL, NULL, NULL, &flags);
	CHECK_EQ(n, 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Legitimate connect+echo+close for `secs` (or `count` times): prints
 * the median and worst connect time, returns the median (ms). */
static double legit(const char *what, double secs, int count)
{
	static double t[4096];
	struct sockaddr_in a = t_addr4("127.0.0.1", t_ports.sctp);
	double end = now_s() + secs;
	int n = 0;

	while (n < (int)(sizeof(t) / sizeof(t[0])) && (count ? n < count : now_s() < end)) {
		int fd = t_sctp_socket(SOCK_STREAM);
		double t0 = now_s();

		STEP("legitimate connect");
		CHECK_SYS(connect(fd, (struct sockaddr *)&a, sizeof(a)));
		t[n++] = (now_s() - t0) * 1e3;
		echo(fd);
		CHECK_SYS(close(fd));
		usleep(20000);
	}
	if (n == 0)
		FAIL("%s: no connect in %.1f s", what, secs);
	qsort(t, (size_t)n, sizeof(t[0]), cmp_d);
	printf("%s: %d connects, median %.2f ms, worst %.2f ms\n", what, n, t[n / 2], t[n - 1]);
	return t[n / 2];
}

static double flood_phase(t_sync *s, int kind, const char *what, double secs, double base)
{
	long rss0, rss1, ticks0, sent0 = atomic_load(&flood_sent), ans0 = atomic_load(&flood_answers);
	double t0 = now_s(), t1, med;

	atomic_store(&flood_kind, kind);
	usleep(300000);
	rss0 = t_stack_rss_kib(udp_a, &stack_ticks);
	ticks0 = stack_ticks;
	t1 = now_s();
	med = legit(what, secs - 0.3, 0);
	rss1 = t_stack_rss_kib(udp_a, &stack_ticks);
	printf("%s: the server's stack used %.0f %% of a core\n", what,
	       100.0 * (double)(stack_ticks - ticks0) / (double)sysconf(_SC_CLK_TCK) / (now_s() - t1));
	atomic_store(&flood_kind, 0);
	printf("%s: %ld answers from the server\n", what, atomic_load(&flood_answers) - ans0);
	printf("%s: %.0f packets/s sent, server stack RSS %ld -> %ld KiB, connect median %.1fx unloaded\n",
	       what, (double)(atomic_load(&flood_sent) - sent0) / (now_s() - t0), rss0, rss1,
	       med / base);
	CHECK(rss0 > 0 && rss1 > 0);
	CHECK(rss1 - rss0 < 16 * 1024);
	usleep(200000);
	/* Only legitimate associations exist (none now: they closed). */
	for (int i = 0; server_assocs(s) != 0; i++) {
		if (i == 100)
			FAIL("%s: the server holds associations it should not", what);
		usleep(50000);
	}
	return med;
}

int main(int argc, char **argv)
{
	t_sync s;
	pid_t srv;
	pthread_t th;
	uint16_t ports[2];
	double secs = 10, base;
	const char *e;
	int victim;
	struct sockaddr_in a, me;
	socklen_t ml = sizeof(me);
	struct sctp_event_subscribe ev;

	t_init("t_flood", argc, argv, 120);
	if ((e = getenv("SCTPUDP_FLOOD_SECS")) != NULL)
		secs = atof(e);
	if ((e = getenv("SCTPUDP_FLOOD_RATE")) != NULL)
		flood_rate = atol(e);
	crc_init();
	t_pick_udp_ports(ports, 2);
	udp_a = ports[0];
	udp_b = ports[1];
	srv = t_fork("server", &s, server, NULL);
	t_await(&s, 'r', 10000);
	t_use_udp(udp_b, udp_a);

	base = legit("unloaded", 0, 20);
	atomic_store(&flood_run, 1);
	CHECK(pthread_create(&th, NULL, flooder, NULL) == 0);

	STEP("INIT flood");
	flood_phase(&s, 1, "INIT flood", secs, base);

	STEP("COOKIE ECHO flood");
	fetch_cookie();
	usleep((COOKIE_LIFE_MS + 300) * 1000); /* now it is stale */
	flood_phase(&s, 2, "COOKIE ECHO flood (forged, stale)", secs / 2, base);

	STEP("wrong verification tags at an established association");
	victim = t_sctp_socket(SOCK_STREAM);
	memset(&ev, 0, sizeof(ev));
	ev.sctp_association_event = 1;
	ev.sctp_shutdown_event = 1;
	CHECK_SYS(setsockopt(victim, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof(ev)));
	a = t_addr4("127.0.0.1", t_ports.sctp);
	CHECK_SYS(connect(victim, (struct sockaddr *)&a, sizeof(a)));
	{
		/* The COMM_UP. */
		char buf[256];
		int flags = 0;

		t_wait_fd(victim, POLLIN, 5000);
		CHECK(sctp_recvmsg(victim, buf, sizeof(buf), NULL, NULL, NULL, &flags) > 0);
		CHECK(flags & MSG_NOTIFICATION);
	}
	CHECK_SYS(getsockname(victim, (struct sockaddr *)&me, &ml));
	victim_cport = ntohs(me.sin_port);
	echo(victim);
	atomic_store(&flood_kind, 3);
	usleep((useconds_t)(secs / 2 * 1e6));
	atomic_store(&flood_kind, 0);
	CHECK_EQ(server_assocs(&s), 1);
	{
		/* No event: the association never noticed. */
		struct pollfd p = { victim, POLLIN, 0 };

		CHECK_EQ(poll(&p, 1, 0), 0);
	}
	echo(victim);
	printf("wrong-tag flood: the association still carries data, no event\n");
	close(victim);

	atomic_store(&flood_run, 0);
	pthread_join(th, NULL);
	t_post(&s, 'q');
	t_wait_child(srv, "server", 20);
	t_pass();
}
