/*
 * usrsctp_pingpong: sctpbench's "pingpong SIZE COUNT" figure on usrsctp,
 * for scripts/bench.sh (usrsctp's own programs have no round-trip mode).
 *
 *   usrsctp_pingpong SIZE COUNT CLIENT_UDP_PORT SERVER_UDP_PORT
 *
 * Two processes on loopback, each with its own usrsctp stack on its own
 * UDP encapsulation port (RFC 6951); one-to-one sockets in blocking mode,
 * SCTP_NODELAY on both ends, the client sends SIZE bytes and waits for
 * them to come back, 100 warm-up round trips then COUNT timed ones.
 * The stacks get the sysctls usrsctp's tsctp sets (checksums on loopback
 * too, SACK-IMMEDIATELY, blackhole 2). Prints, as sctpbench does:
 *
 *   RESULT pingpong-SIZE <median> us p99 <p99> us
 *
 * Build: cc -O2 usrsctp_pingpong.c -I<usrsctp>/usrsctplib <usrsctp>/usrsctplib/.libs/libusrsctp.a -lpthread
 */
#define _GNU_SOURCE
#include "usrsctp_common.h"

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void echo_server(int udp_port, int ready)
{
	stack(udp_port);
	struct socket *l = sock();
	struct sockaddr_in a = lo(SCTP_PORT);
	a.sin_addr.s_addr = htonl(INADDR_ANY);
	if (usrsctp_bind(l, (struct sockaddr *)&a, sizeof a) < 0 || usrsctp_listen(l, 1) < 0)
		die("server");
	if (write(ready, "L", 1) != 1)
		_exit(1);
	close(ready);
	struct socket *c = usrsctp_accept(l, NULL, NULL);
	if (!c)
		die("usrsctp_accept");
	int one = 1;
	usrsctp_setsockopt(c, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof one);
	static char buf[65536];
	ssize_t n;
	while ((n = recv_msg(c, buf, sizeof buf)) > 0)
		if (send_msg(c, buf, n) != n)
			break;
	usrsctp_close(c);
	_exit(0);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: usrsctp_pingpong SIZE COUNT CLIENT_UDP_PORT SERVER_UDP_PORT\n");
		return 2;
	}
	int size = atoi(argv[1]), count = atoi(argv[2]);
	int cport = atoi(argv[3]), sport = atoi(argv[4]);
	if (size <= 0 || size > 65536 || count <= 0)
		return 2;
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(300);

	/* The server's stack is a process of its own: fork before any usrsctp_init. */
	int sync[2];
	if (pipe(sync))
		die("pipe");
	pid_t p = fork();
	if (p < 0)
		die("fork");
	if (p == 0) {
		close(sync[0]);
		echo_server(sport, sync[1]);
	}
	close(sync[1]);
	char ch;
	if (read(sync[0], &ch, 1) != 1)
		die("server did not start");
	close(sync[0]);

	stack(cport);
	struct socket *s = sock();
	struct sctp_udpencaps encaps;
	memset(&encaps, 0, sizeof encaps);
	encaps.sue_address.ss_family = AF_INET;
	encaps.sue_port = htons(sport);
	if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_REMOTE_UDP_ENCAPS_PORT, &encaps, sizeof encaps) < 0)
		die("SCTP_REMOTE_UDP_ENCAPS_PORT");
	struct sockaddr_in a = lo(SCTP_PORT);
	if (usrsctp_connect(s, (struct sockaddr *)&a, sizeof a) < 0)
		die("usrsctp_connect");

	char *m = calloc(1, size), *b = malloc(65536);
	double *rtt = malloc(sizeof(double) * count);
	for (int i = -100; i < count; i++) {
		double t = now();
		if (send_msg(s, m, size) != size)
			die("usrsctp_sendv");
		int got = 0;
		while (got < size) {
			ssize_t n = recv_msg(s, b, 65536);
			if (n <= 0)
				die("usrsctp_recvv");
			got += n;
		}
		if (i >= 0)
			rtt[i] = now() - t;
	}
	usrsctp_close(s);
	waitpid(p, NULL, 0);
	qsort(rtt, count, sizeof *rtt, cmpd);
	printf("RESULT pingpong-%d %.1f us p99 %.1f us\n", size, rtt[count / 2] * 1e6, rtt[count * 99 / 100] * 1e6);
	_exit(0);
}
