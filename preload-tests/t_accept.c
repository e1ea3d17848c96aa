/*
 * t_accept: a one-to-one server accepts associations whose first message
 * arrives right away (client: connect() then send() at once), as every
 * TCP-style server does (socat, nc, withsctp'd programs).  Each accepted
 * socket must receive that first message; the listening socket must never
 * become readable with data; and closing the listener right after accept()
 * (socat TCP-LISTEN without fork does) must not disturb the accepted
 * association.  Up to ROUNDS associations, one after the other (the race
 * hits a few percent of them); the server stops after MAX_BAD bad rounds.
 *
 * Build: cc -o t_accept t_accept.c -lsctp ; run: LD_PRELOAD=libsctpudp.so ./t_accept
 */
#include "pt.h"

#define ROUNDS 100
#define MAX_BAD 3 /* stop early: each bad round costs a 2 s wait */

static int server(int port)
{
	pt_role = "server";
	int lost = 0, to_listener = 0, errors = 0;
	char first_err[256] = "";
	for (int r = 0; r < ROUNDS; r++) {
		int l = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
		CHECK_SYS(l, "server socket");
		int one = 1;
		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		struct sockaddr_in a = pt_sin("127.0.0.1", port);
		CHECK_SYS(bind(l, (struct sockaddr *)&a, sizeof a), "server bind");
		CHECK_SYS(listen(l, 1), "server listen");
		pt_report("LISTENING %d", r);
		STEP("server accept");
		int c = accept(l, NULL, NULL);
		CHECK_SYS(c, "server accept");
		if (r % 2 == 1)
			close(l); /* odd rounds: as socat does, right after accept */
		char b[256];
		ssize_t n = -1;
		int e = 0;
		if (pt_poll1(c, POLLIN, 2.0) & POLLIN) {
			n = recv(c, b, sizeof b, 0);
			e = errno;
		}
		char want[64];
		snprintf(want, sizeof want, "first message %d", r);
		if (n != (ssize_t)strlen(want) + 1 || strcmp(b, want) != 0) {
			if (n < 0 && e) {
				errors++;
				if (!first_err[0])
					snprintf(first_err, sizeof first_err, "round %d: recv on the accepted socket: %s", r,
						 strerror(e));
			} else {
				lost++;
			}
			if (r % 2 == 0) {
				/* Where did it go?  Not to the listener, please. */
				int fl = fcntl(l, F_GETFL);
				fcntl(l, F_SETFL, fl | O_NONBLOCK);
				ssize_t k = recv(l, b, sizeof b, 0);
				if (k > 0) {
					to_listener++;
					pt_log("round %d: the first message was queued on the LISTENING socket", r);
				}
			}
		} else {
			pt_send_all(c, "ok", 3, "server reply");
		}
		if (r % 2 == 0)
			close(l);
		close(c);
		if (lost + errors >= MAX_BAD)
			break;
	}
	pt_report("RESULT lost=%d to_listener=%d errors=%d %s", lost, to_listener, errors, first_err);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "server") == 0) {
		pt_init("t_accept", "server", 120);
		return server(atoi(argv[2]));
	}
	pt_init("t_accept", "client", 120);
	int sport = pt_free_udp_port();
	int sctp_port = 20000 + getpid() % 20000;
	char pa[16];
	snprintf(pa, sizeof pa, "%d", sctp_port);
	char *sargv[] = { (char *)"t_accept", (char *)"server", pa, NULL };
	int srd;
	pid_t spid = pt_spawn(sargv, sport, 9, &srd);
	pt_ports(0, sport);
	int replies = 0;
	char line[512];
	int rounds = 0;
	for (int r = 0; r < ROUNDS; r++) {
		STEP("client waits for the listener");
		pt_expect_line(srd, "", line, sizeof line, 10.0);
		if (strncmp(line, "RESULT", 6) == 0)
			break; /* the server stopped early */
		CHECK(strncmp(line, "LISTENING", 9) == 0, "unexpected line from the server: %s", line);
		rounds++;
		int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
		CHECK_SYS(fd, "client socket");
		struct sockaddr_in a = pt_sin("127.0.0.1", sctp_port);
		STEP("client connect");
		CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "round %d: connect: %s", r, strerror(errno));
		char m[64];
		snprintf(m, sizeof m, "first message %d", r);
		CHECK(send(fd, m, strlen(m) + 1, 0) == (ssize_t)strlen(m) + 1, "round %d: send: %s", r, strerror(errno));
		if (pt_poll1(fd, POLLIN, 3.0) & POLLIN) {
			char b[16];
			if (recv(fd, b, sizeof b, 0) == 3)
				replies++;
		}
		close(fd);
	}
	STEP("waiting for the server's result");
	if (strncmp(line, "RESULT", 6) != 0)
		pt_expect_line(srd, "RESULT", line, sizeof line, 20.0);
	pt_log("server: %s; client got %d replies in %d rounds", line, replies, rounds);
	pt_wait_child(spid, 5.0);
	int lost = -1, tl = -1, errs = -1;
	sscanf(line, "RESULT lost=%d to_listener=%d errors=%d", &lost, &tl, &errs);
	const char *detail = strstr(line, "errors=");
	detail = detail && strchr(detail, ' ') ? strchr(detail, ' ') + 1 : "";
	CHECK(lost == 0 && errs == 0,
	      "%d of %d accepted sockets never got their first message (%d of them found queued on the listening socket); "
	      "%d recv errors%s%s",
	      lost + errs, rounds, tl, errs, *detail ? ", first: " : "", detail);
	CHECK(replies == ROUNDS, "only %d of %d replies", replies, ROUNDS);
	printf("PASS t_accept\n");
	return 0;
}
