/*
 * usrsctp_setup: sctpbench's "setup COUNT" figure on usrsctp, for
 * scripts/bench.sh (usrsctp's own programs have no set-up mode).
 *
 *   usrsctp_setup COUNT CLIENT_UDP_PORT SERVER_UDP_PORT
 *
 * Two processes on loopback, each with its own usrsctp stack on its own
 * UDP encapsulation port (RFC 6951), as in usrsctp_pingpong. The client
 * makes COUNT associations one at a time: a one-to-one socket, a blocking
 * connect, close (which starts the SHUTDOWN); the server accepts each and
 * reads until the client's SHUTDOWN, then closes it. 20 warm-up
 * associations first. Prints, as sctpbench does:
 *
 *   RESULT setup <associations per second> assoc/s
 *
 * Build: cc -O2 usrsctp_setup.c -I<usrsctp>/usrsctplib <usrsctp>/usrsctplib/.libs/libusrsctp.a -lpthread
 */
#define _GNU_SOURCE
#include "usrsctp_common.h"
#include <signal.h>
#include <sys/prctl.h>

static void acceptor(int udp_port, int ready)
{
	stack(udp_port);
	struct socket *l = sock();
	struct sockaddr_in a = lo(SCTP_PORT);
	a.sin_addr.s_addr = htonl(INADDR_ANY);
	if (usrsctp_bind(l, (struct sockaddr *)&a, sizeof a) < 0 || usrsctp_listen(l, 4096) < 0)
		die("server");
	if (write(ready, "L", 1) != 1)
		_exit(1);
	close(ready);
	static char buf[256];
	for (;;) {
		struct socket *c = usrsctp_accept(l, NULL, NULL);
		if (!c)
			die("usrsctp_accept");
		/* Until the client's SHUTDOWN. */
		while (recv_msg(c, buf, sizeof buf) > 0)
			;
		usrsctp_close(c);
	}
}

static void one(int sport)
{
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
	usrsctp_close(s);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: usrsctp_setup COUNT CLIENT_UDP_PORT SERVER_UDP_PORT\n");
		return 2;
	}
	int count = atoi(argv[1]), cport = atoi(argv[2]), sport = atoi(argv[3]);
	if (count <= 0)
		return 2;
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(300);
	int sync[2];
	if (pipe(sync))
		die("pipe");
	pid_t p = fork();
	if (p < 0)
		die("fork");
	if (p == 0) {
		/* Dies with the client: a timed-out run must not leave it
		 * holding the script's pipe. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sync[0]);
		acceptor(sport, sync[1]);
	}
	close(sync[1]);
	char ch;
	if (read(sync[0], &ch, 1) != 1)
		die("server did not start");
	close(sync[0]);
	stack(cport);
	for (int i = 0; i < 20; i++)
		one(sport);
	double t = now();
	for (int i = 0; i < count; i++)
		one(sport);
	double dt = now() - t;
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
	printf("RESULT setup %.0f assoc/s\n", count / dt);
	_exit(0);
}
