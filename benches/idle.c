/*
 * idle: many idle associations on one one-to-many server, for the memory
 * and CPU an idle association costs the host stack (scripts/bench.sh).
 *
 *   idle N PORT    a one-to-many server on 0.0.0.0:PORT and one
 *                  one-to-many client socket per 50,000 associations,
 *                  connecting to 127.0.0.2, 127.0.0.3, ... (one
 *                  association per address: every one is distinct);
 *                  prints "ONE" after the first and waits for a line on
 *                  stdin, then "UP <n> <seconds>" once all are up and
 *                  "READY", and waits for a line on stdin before it exits.
 *
 * Both ends live in the same host stack (SCTPUDP_UDP_PORT), so it holds
 * 2 N associations; the script reads its RSS and CPU time from /proc.
 *
 * Build: cc -O2 benches/idle.c -o idle $(pkg-config --cflags --libs sctpudp)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: idle N PORT\n");
		return 2;
	}
	int n = atoi(argv[1]), port = atoi(argv[2]);
	int l = socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	if (l < 0 || bind(l, (void *)&a, sizeof a) || listen(l, 4096)) {
		perror("server");
		return 1;
	}
	int per = 50000, nc = (n + per - 1) / per;
	int *c = calloc(nc, sizeof *c);
	double t0 = now();
	for (int i = 0; i < n; i++) {
		if (i % per == 0) {
			c[i / per] = socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP);
			if (c[i / per] < 0) {
				perror("client socket");
				return 1;
			}
		}
		/* 127.0.0.2 upwards, skipping x.x.x.0 and x.x.x.255. */
		unsigned k = (unsigned)i / 254, j = (unsigned)i % 254 + 1;
		struct sockaddr_in d = { .sin_family = AF_INET, .sin_port = htons(port) };
		d.sin_addr.s_addr = htonl(0x7f000000u | ((k + 1) << 8) | j);
		sctp_assoc_t id;
		if (sctp_connectx(c[i / per], (void *)&d, 1, &id) < 0) {
			fprintf(stderr, "connect %d (%s): %s\n", i, inet_ntoa(d.sin_addr), strerror(errno));
			return 1;
		}
		if (i == 0) {
			/* The stack with one association pair: the base to subtract. */
			char go[16];
			printf("ONE\n");
			fflush(stdout);
			if (!fgets(go, sizeof go, stdin))
				return 0;
			t0 = now();
		}
	}
	printf("UP %d %.2f\n", n, now() - t0);
	printf("READY\n");
	fflush(stdout);
	char line[16];
	if (!fgets(line, sizeof line, stdin))
		return 0;
	return 0;
}
