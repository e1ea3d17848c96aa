/*
 * t_relay: a one-to-one client moves 10,000 echoed messages of 1 B to
 * 64 KiB through a UDP relay that drops 5 %, duplicates 2 %, reorders 5 %
 * of the datagrams each way, and halfway changes the source port it uses
 * toward the server (a NAT rebinding). Every echo must come back intact
 * and in order. The server learns the new remote encapsulation port from
 * verified packets (RFC 6951 5.4).
 *
 *   client (udp C) --> relay (udp R) --[U1, later U2]--> server (udp S)
 *
 * SCTPUDP_RELAY_MSGS overrides the message count; SCTPUDP_RELAY_SEED the
 * seed of the relay's faults.
 */
#include "common.h"
#include <fcntl.h>

#define MAXMSG 65536
#define WINDOW 16

static uint64_t rng_state;
static uint32_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32);
}
static int chance(unsigned per_mille) { return rnd() % 1000 < per_mille; }

struct relay_arg {
	uint16_t r, s;
	long switch_at;
};

static int udp_bound(uint16_t port)
{
	int fd = CHECK_SYS(socket(AF_INET, SOCK_DGRAM, 0));
	struct sockaddr_in a = t_addr4("127.0.0.1", port);
	CHECK_SYS(bind(fd, (struct sockaddr *)&a, sizeof a));
	int big = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	return fd;
}

/* One direction's held-back packet (for reordering). */
struct held {
	int have;
	size_t len;
	unsigned char buf[70000];
};

static void fwd(int out, const struct sockaddr_in *to, unsigned char *buf, size_t len, struct held *h)
{
	if (chance(50))
		return; /* 5 % loss */
	int copies = chance(20) ? 2 : 1; /* 2 % duplication */
	if (!h->have && chance(50)) { /* 5 % reordering: hold this one back */
		memcpy(h->buf, buf, len);
		h->len = len;
		h->have = 1;
		return;
	}
	for (int i = 0; i < copies; i++)
		if (sendto(out, buf, len, 0, (const struct sockaddr *)to, sizeof *to) < 0)
			t_log("relay: sendto: %s", strerror(errno));
	if (h->have) {
		sendto(out, h->buf, h->len, 0, (const struct sockaddr *)to, sizeof *to);
		h->have = 0;
	}
}

static int relay(t_sync *sync, void *argp)
{
	struct relay_arg *a = argp;
	const char *seed = getenv("SCTPUDP_RELAY_SEED");
	rng_state = (seed ? strtoull(seed, NULL, 10) : 0x5EED) | 1;
	int rfd = udp_bound(a->r);
	int up = udp_bound(0), old = -1;
	struct sockaddr_in server = t_addr4("127.0.0.1", a->s), client;
	int have_client = 0;
	struct held h_up = {0}, h_down = {0};
	static unsigned char buf[70000];
	long n = 0;
	t_post(sync, 'R');
	for (;;) {
		struct pollfd p[3] = {{rfd, POLLIN, 0}, {up, POLLIN, 0}, {sync->to_child[0], POLLIN, 0}};
		int np = poll(p, 3, 1000);
		if (np < 0 && errno != EINTR)
			DIE("poll");
		if (p[2].revents) {
			t_log("relay: stopping (revents %#x)", p[2].revents);
			return 0; /* parent done (or gone) */
		}
		if (p[0].revents & POLLIN) {
			socklen_t sl = sizeof client;
			ssize_t k = recvfrom(rfd, buf, sizeof buf, 0, (struct sockaddr *)&client, &sl);
			if (k > 0) {
				have_client = 1;
				fwd(up, &server, buf, (size_t)k, &h_up);
				if (++n == a->switch_at) {
					/* NAT rebinding: new source port, old one forgotten. */
					old = up;
					up = udp_bound(0);
					close(old);
					t_log("relay: rebound after %ld packets", n);
					continue; /* p[1] described the old socket */
				}
			}
		}
		if (p[1].revents & POLLIN) {
			ssize_t k = recv(up, buf, sizeof buf, MSG_DONTWAIT);
			if (k > 0 && have_client)
				fwd(rfd, &client, buf, (size_t)k, &h_down);
		}
	}
}

static int server(t_sync *sync, void *arg)
{
	(void)arg;
	t_use_udp(t_ports.udp_server, 9);
	int l = t_sctp_socket(SOCK_STREAM);
	t_bind4(l, "127.0.0.1", t_ports.sctp);
	struct sctp_rtoinfo rto = {0, 300, 1000, 100};
	CHECK_SYS(setsockopt(l, IPPROTO_SCTP, SCTP_RTOINFO, &rto, sizeof rto));
	CHECK_SYS(listen(l, 1));
	t_post(sync, 'L');
	int c = CHECK_SYS(accept(l, NULL, NULL));
	static unsigned char buf[MAXMSG];
	for (;;) {
		int flags = 0;
		size_t n = t_recv_msg(c, buf, sizeof buf, NULL, &flags, NULL, 60000);
		if (n == 0)
			break;
		t_send_msg(c, buf, n, NULL, 0, 0, 0);
	}
	close(c);
	close(l);
	return 0;
}

static size_t msg_len(long i) { return 1 + (size_t)((i * 2654435761u) % MAXMSG); }

int main(int argc, char **argv)
{
	t_init("t_relay", argc, argv, 600);
	long count = getenv("SCTPUDP_RELAY_MSGS") ? atol(getenv("SCTPUDP_RELAY_MSGS")) : 10000;
	uint16_t ports[1];
	t_pick_udp_ports(ports, 1);
	struct relay_arg ra = {ports[0], t_ports.udp_server, 0};
	/* Rebind roughly halfway through the client's packets. */
	long total_pkts = 0;
	for (long i = 0; i < count; i++)
		total_pkts += (long)(msg_len(i) / 1400 + 1);
	ra.switch_at = total_pkts / 2 + 1;
	t_sync ss, rs;
	pid_t sp = t_fork("server", &ss, server, NULL);
	pid_t rp = t_fork("relay", &rs, relay, &ra);
	t_await(&ss, 'L', 10000);
	t_await(&rs, 'R', 10000);

	t_use_udp(t_ports.udp_client, ra.r);
	int s = t_sctp_socket(SOCK_STREAM);
	struct sctp_rtoinfo rto = {0, 300, 1000, 100};
	CHECK_SYS(setsockopt(s, IPPROTO_SCTP, SCTP_RTOINFO, &rto, sizeof rto));
	struct sockaddr_in to = t_addr4("127.0.0.1", t_ports.sctp);
	STEP("connect through the relay");
	CHECK_SYS(connect(s, (struct sockaddr *)&to, sizeof to));
	CHECK_SYS(fcntl(s, F_SETFL, O_NONBLOCK));
	static unsigned char out[MAXMSG], in[MAXMSG];
	long sent = 0, got = 0;
	size_t in_off = 0;
	STEP("echo through the relay");
	while (got < count) {
		short ev = POLLIN | (sent < count && sent - got < WINDOW ? POLLOUT : 0);
		struct pollfd p = {s, ev, 0};
		int r = poll(&p, 1, 30000);
		if (r == 0)
			FAIL("stalled: sent %ld, echoed %ld", sent, got);
		if (r < 0 && errno != EINTR)
			DIE("poll");
		if ((p.revents & POLLOUT) && sent < count && sent - got < WINDOW) {
			size_t len = msg_len(sent);
			t_fill(out, len, (uint32_t)sent);
			int k = sctp_sendmsg(s, out, len, NULL, 0, 0, 0, 0, 0, 0);
			if (k == (int)len)
				sent++;
			else if (!(k < 0 && errno == EAGAIN))
				DIE("sctp_sendmsg %ld", sent);
		}
		if (p.revents & (POLLIN | POLLERR | POLLHUP)) {
			int flags = 0;
			int k = sctp_recvmsg(s, in + in_off, sizeof in - in_off, NULL, 0, NULL, &flags);
			if (k < 0) {
				if (errno == EAGAIN)
					continue;
				DIE("sctp_recvmsg after %ld echoes", got);
			}
			if (k == 0)
				FAIL("connection closed after %ld echoes", got);
			in_off += (size_t)k;
			if (flags & MSG_EOR) {
				size_t want = msg_len(got);
				if (in_off != want)
					FAIL("echo %ld has %zu bytes, expected %zu", got, in_off, want);
				long bad = t_check_fill(in, in_off, (uint32_t)got);
				if (bad >= 0)
					FAIL("echo %ld corrupt at byte %ld", got, bad);
				got++;
				in_off = 0;
			}
		}
	}
	t_log("%ld messages echoed intact through the relay", got);
	CHECK_SYS(fcntl(s, F_SETFL, 0));
	close(s);
	t_wait_child(sp, "server", 60);
	t_post(&rs, 'Q');
	t_wait_child(rp, "relay", 10);
	t_pass();
}
