/*
 * t_fork: fork() in a preloaded process that has a live association.
 *
 * The parent connects a one-to-one SCTP socket to an echo server and
 * checks an echo.  It then forks:
 *   - the child closes its copy of the parent's descriptor (as a forked
 *     server would), creates its OWN new SCTP socket (the library gives it
 *     a fresh stack on a new UDP port), talks to the same server, and exits;
 *   - meanwhile, and after the child has exited, the parent's association
 *     keeps working (the child's close and exit must not shut it down);
 *   - the parent can also open new associations after the fork.
 * A second child exits WITHOUT closing the inherited descriptor and without
 * creating a socket: the parent's association must survive that too.
 *
 * Build: cc -o t_fork t_fork.c -lsctp ; run: LD_PRELOAD=libsctpudp.so ./t_fork
 */
#include "pt.h"

static int connect_to(int port, const char *what)
{
	int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	CHECK(fd >= 0, "%s: socket: %s", what, strerror(errno));
	struct sockaddr_in a = pt_sin("127.0.0.1", port);
	CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "%s: connect: %s", what, strerror(errno));
	return fd;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "echo") == 0) {
		pt_init("t_fork", "echo-server", 60);
		return pt_echo_server(atoi(argv[2]));
	}
	pt_init("t_fork", "parent", 60);
	int sport = pt_free_udp_port();
	int sctp_port = 20000 + getpid() % 20000;
	char pa[16];
	snprintf(pa, sizeof pa, "%d", sctp_port);
	char *sargv[] = { (char *)"t_fork", (char *)"echo", pa, NULL };
	int srd;
	STEP("starting the echo server");
	pid_t spid = pt_spawn(sargv, sport, 9, &srd);
	pt_expect_line(srd, "READY", NULL, 0, 10.0);
	pt_ports(0, sport);

	STEP("parent: first association");
	int p = connect_to(sctp_port, "parent");
	pt_echo_once(p, "parent before fork", 5.0, "parent echo before fork");

	/* Child 1: closes the inherited descriptor, uses its own new socket. */
	STEP("fork 1");
	fflush(stdout);
	int cp[2];
	CHECK_SYS(pipe(cp), "pipe");
	pid_t c1 = fork();
	CHECK(c1 >= 0, "fork: %s", strerror(errno));
	if (c1 == 0) {
		pt_role = "child1";
		close(cp[0]);
		alarm(30);
		CHECK_SYS(close(p), "child: close(inherited SCTP descriptor)");
		STEP("child: own socket");
		int c = connect_to(sctp_port, "child");
		char m[64];
		for (int i = 0; i < 5; i++) {
			snprintf(m, sizeof m, "child %d message %d", (int)getpid(), i);
			pt_echo_once(c, m, 5.0, "child echo");
		}
		struct sockaddr_in me;
		socklen_t l = sizeof me;
		CHECK_SYS(getsockname(c, (struct sockaddr *)&me, &l), "child getsockname");
		if (write(cp[1], "ok\n", 3) < 0) {
		}
		close(c);
		exit(0); /* runs the child's exit handler */
	}
	close(cp[1]);
	if (pt_nchildren < 16)
		pt_children[pt_nchildren++] = c1;

	STEP("parent: echo while child 1 runs");
	for (int i = 0; i < 5; i++) {
		char m[64];
		snprintf(m, sizeof m, "parent during child %d", i);
		pt_echo_once(p, m, 5.0, "parent echo while the child runs");
	}
	int st = pt_wait_child(c1, 20.0);
	CHECK(st != -1, "child 1 did not exit within 20 s");
	char ok[8] = "";
	ssize_t okn = read(cp[0], ok, sizeof ok - 1);
	close(cp[0]);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0 && okn > 0,
	      "child 1 (own new SCTP socket after fork) failed: status 0x%x (see its FAIL line above)", st);
	pt_log("child 1 talked to the server on its own socket and exited");

	STEP("parent: echo after child 1 exit");
	pt_sleep_ms(300); /* let any wrong shutdown/abort from the child arrive */
	for (int i = 0; i < 3; i++) {
		char m[64];
		snprintf(m, sizeof m, "parent after child exit %d", i);
		pt_echo_once(p, m, 5.0, "parent echo after child 1 exited");
	}

	/* Child 2: neither closes the descriptor nor uses SCTP; just exits. */
	STEP("fork 2");
	fflush(stdout);
	pid_t c2 = fork();
	CHECK(c2 >= 0, "fork: %s", strerror(errno));
	if (c2 == 0) {
		pt_role = "child2";
		exit(0);
	}
	st = pt_wait_child(c2, 20.0);
	CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child 2 (plain exit) failed or hung: 0x%x", st);
	pt_sleep_ms(300);
	STEP("parent: echo after child 2 exit");
	pt_echo_once(p, "parent after child 2", 5.0, "parent echo after child 2 exited without closing");

	STEP("parent: new association after fork");
	int q = connect_to(sctp_port, "parent (new socket after fork)");
	pt_echo_once(q, "parent new socket", 5.0, "parent echo on a new socket after fork");
	close(q);
	pt_echo_once(p, "parent old socket last", 5.0, "parent echo on the first socket at the end");
	close(p);

	/* Let the SHUTDOWN exchange finish before the server goes: otherwise
	 * the exit handler waits for a dead peer (up to 5 s). */
	pt_sleep_ms(200);
	kill(spid, SIGKILL);
	pt_wait_child(spid, 5.0);
	printf("PASS t_fork\n");
	return 0;
}
