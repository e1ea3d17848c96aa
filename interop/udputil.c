/*
 * udputil.c: small UDP helpers for the interop tests.
 *
 *   udputil freeports N
 *     Prints N distinct UDP ports that are free on 127.0.0.1 right now
 *     (bound all at once to port 0, then released), one per line.
 *
 *   udputil relay LISTEN SERVER OUT1 [OUT2 REBIND_AFTER]
 *     A source-port-rewriting relay (a NAT in miniature) on 127.0.0.1.
 *     The client sends to LISTEN; each datagram is forwarded to SERVER
 *     from port OUT1, so the server sees the client's packets come from
 *     OUT1, not from the client's own encapsulation port.  Datagrams the
 *     server sends back to OUT1 are forwarded to the client (from LISTEN).
 *     With OUT2, after REBIND_AFTER client datagrams the relay moves to
 *     port OUT2 (a NAT rebinding): from then on it forwards from OUT2 and
 *     drops whatever still arrives at OUT1, so the association survives
 *     only if the server learns the new port (RFC 6951 section 5.4).
 *     Prints "READY", then, on SIGTERM/SIGINT, one line of counters:
 *       RELAY c2s=... s2c_out1=... s2c_out2=... dropped_stale=... rebound=0|1
 *
 *   udputil sctpprobe PORT
 *     Sends three minimal SCTP INIT packets in UDP to 127.0.0.1:PORT: a
 *     well-formed one, one with a corrupted CRC32c, and one whose chunk
 *     length runs past the packet (with a correct CRC32c), to check that
 *     a capture check really flags bad checksums and malformed packets.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int udp_bound(uint16_t port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0) {
		perror("socket");
		exit(1);
	}
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "udputil: bind 127.0.0.1:%u: %s\n", port, strerror(errno));
		exit(1);
	}
	return fd;
}

static int freeports(int n)
{
	int *fds = calloc((size_t)n, sizeof(int));

	if (!fds)
		return 1;
	for (int i = 0; i < n; i++) {
		struct sockaddr_in a;
		socklen_t len = sizeof(a);

		fds[i] = udp_bound(0);
		if (getsockname(fds[i], (struct sockaddr *)&a, &len) < 0) {
			perror("getsockname");
			return 1;
		}
		printf("%u\n", ntohs(a.sin_port));
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}

static int relay(uint16_t listen_port, uint16_t server_port, uint16_t out1, uint16_t out2,
		 long rebind_after)
{
	static unsigned char buf[65536];
	struct sockaddr_in server, client;
	int have_client = 0, cur = 1, rebound = 0;
	long c2s = 0, s2c[3] = { 0, 0, 0 }, stale = 0;
	struct pollfd p[3];
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	memset(&server, 0, sizeof(server));
	server.sin_family = AF_INET;
	server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	server.sin_port = htons(server_port);
	p[0].fd = udp_bound(listen_port);
	p[1].fd = udp_bound(out1);
	p[2].fd = out2 ? udp_bound(out2) : -1;
	for (int i = 0; i < 3; i++)
		p[i].events = POLLIN;
	printf("READY relay %u -> %u via %u%s\n", listen_port, server_port, out1,
	       out2 ? " (rebinding later)" : "");
	fflush(stdout);
	while (!stop) {
		if (poll(p, out2 ? 3 : 2, 1000) < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			return 1;
		}
		for (int i = 0; i < 3; i++) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n;

			if (p[i].fd < 0 || !(p[i].revents & POLLIN))
				continue;
			n = recvfrom(p[i].fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
			if (n < 0)
				continue;
			if (i == 0) {
				client = from;
				have_client = 1;
				if (out2 && !rebound && c2s >= rebind_after) {
					cur = 2;
					rebound = 1;
					printf("REBIND after %ld datagrams: now from port %u\n", c2s, out2);
					fflush(stdout);
				}
				sendto(p[cur].fd, buf, (size_t)n, 0, (struct sockaddr *)&server,
				       sizeof(server));
				c2s++;
			} else if (i != cur) {
				stale++; /* the old mapping is gone */
			} else if (have_client) {
				sendto(p[0].fd, buf, (size_t)n, 0, (struct sockaddr *)&client,
				       sizeof(client));
				s2c[i]++;
			}
		}
	}
	printf("RELAY c2s=%ld s2c_out1=%ld s2c_out2=%ld dropped_stale=%ld rebound=%d\n", c2s,
	       s2c[1], s2c[2], stale, rebound);
	fflush(stdout);
	return 0;
}

static uint32_t crc32c(const unsigned char *p, size_t n)
{
	uint32_t crc = 0xffffffffu;

	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
	}
	return ~crc;
}

static int sctpprobe(uint16_t port)
{
	/* common header (ports 1 -> 2, tag 0) + INIT (tag 1, a_rwnd 65536,
	 * 1 stream each way, initial TSN 1) */
	unsigned char pkt[32] = {
		0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0,
		1, 0, 0, 20, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1,
	};
	struct sockaddr_in to;
	int fd = udp_bound(0);
	uint32_t c = crc32c(pkt, sizeof(pkt));

	/* the CRC32c goes on the wire least significant byte first */
	pkt[8] = (unsigned char)c;
	pkt[9] = (unsigned char)(c >> 8);
	pkt[10] = (unsigned char)(c >> 16);
	pkt[11] = (unsigned char)(c >> 24);
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons(port);
	if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return 1;
	pkt[8] ^= 0x55;
	if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return 1;
	/* third: a correct CRC32c over an INIT whose chunk length (40) runs
	 * past the end of the packet */
	pkt[15] = 40;
	memset(pkt + 8, 0, 4);
	c = crc32c(pkt, sizeof(pkt));
	pkt[8] = (unsigned char)c;
	pkt[9] = (unsigned char)(c >> 8);
	pkt[10] = (unsigned char)(c >> 16);
	pkt[11] = (unsigned char)(c >> 24);
	if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "sctpprobe") == 0)
		return sctpprobe((uint16_t)atoi(argv[2]));
	if (argc == 3 && strcmp(argv[1], "freeports") == 0)
		return freeports(atoi(argv[2]));
	if ((argc == 5 || argc == 7) && strcmp(argv[1], "relay") == 0)
		return relay((uint16_t)atoi(argv[2]), (uint16_t)atoi(argv[3]),
			     (uint16_t)atoi(argv[4]), argc == 7 ? (uint16_t)atoi(argv[5]) : 0,
			     argc == 7 ? atol(argv[6]) : 0);
	fprintf(stderr, "usage: udputil freeports N | udputil relay LISTEN SERVER OUT1 [OUT2 REBIND_AFTER] | udputil sctpprobe PORT\n");
	return 2;
}
