/*
 * t_exit: a preloaded client sends messages and exits at once (no close,
 * no sleep); the server must still get every message, and the association
 * must end gracefully (SHUTDOWN_COMP, not COMM_LOST): the library flushes
 * at exit, bounded by SO_LINGER or a few seconds.
 *
 *   t_exit 1to1 [count size]          connect(), send(), return from main
 *   t_exit 1tomany [count size]       sctp_sendmsg() to an address
 *                                     (implicit setup), return from main
 *   t_exit 1to1-close [count size]    ... then close() before returning
 *   t_exit 1tomany-close [count size] ... then close() before returning
 *   t_exit 1tomany-connectx[-close] [count size]
 *                                     one-to-many, but a blocking
 *                                     sctp_connectx() first (no data is
 *                                     queued before the association is up)
 *
 * With close() first, Linux keeps delivering after close() (the kernel owns
 * the association), so the server must get everything there too.
 *
 * The client and the server are this program re-executed (roles "client"
 * and "count"), each with its own UDP encapsulation port.
 *
 * Build: cc -o t_exit t_exit.c -lsctp ; run: LD_PRELOAD=libsctpudp.so ./t_exit 1to1
 */
#include "pt.h"

static void fill(char *b, int idx, int count, int size)
{
	int h = snprintf(b, (size_t)size, "m%06d/%06d ", idx, count);
	for (int i = h; i < size; i++)
		b[i] = (char)('a' + (idx + i) % 26);
	if (size > 0)
		b[size - 1] = 0;
}

/* ---- client role: send, then leave main without waiting ---------------- */

static int client(const char *variant, int port, int count, int size)
{
	pt_role = "client";
	int one_to_one = strncmp(variant, "1to1", 4) == 0;
	int do_close = strstr(variant, "close") != NULL;
	char *b = malloc((size_t)size);
	CHECK(b, "malloc");
	struct sockaddr_in a = pt_sin("127.0.0.1", port);
	int fd = socket(AF_INET, one_to_one ? SOCK_STREAM : SOCK_SEQPACKET, IPPROTO_SCTP);
	CHECK_SYS(fd, "client socket");
	if (one_to_one) {
		STEP("client connect");
		CHECK_SYS(connect(fd, (struct sockaddr *)&a, sizeof a), "client connect");
	} else if (strstr(variant, "connectx")) {
		/* Blocking sctp_connectx: established before the first send. */
		STEP("client sctp_connectx");
		sctp_assoc_t id = 0;
		CHECK_SYS(sctp_connectx(fd, (struct sockaddr *)&a, 1, &id), "client sctp_connectx");
	}
	STEP("client sends");
	for (int i = 0; i < count; i++) {
		fill(b, i, count, size);
		int r;
		if (one_to_one)
			r = (int)send(fd, b, (size_t)size, 0);
		else
			r = sctp_sendmsg(fd, b, (size_t)size, (struct sockaddr *)&a, sizeof a, 0, 0, 0, 0, 0);
		CHECK(r == size, "send %d returned %d: %s", i, r, r < 0 ? strerror(errno) : "short");
	}
	if (do_close)
		CHECK_SYS(close(fd), "client close");
	free(b);
	/* Leave at once: exit() runs the library's exit handler. */
	return 0;
}

/* ---- server role: count what arrives and how the association ends ------ */

static int count_server(int port, int count, int size)
{
	pt_role = "count-server";
	int fd = socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP);
	CHECK_SYS(fd, "server socket");
	struct sockaddr_in a = pt_sin("127.0.0.1", port);
	CHECK_SYS(bind(fd, (struct sockaddr *)&a, sizeof a), "server bind");
	pt_subscribe_assoc(fd);
	CHECK_SYS(listen(fd, 4), "server listen");
	pt_report("READY");
	char *b = malloc((size_t)size + 65536);
	CHECK(b, "malloc");
	int msgs = 0, bad = 0, next = 0, out_of_order = 0;
	long bytes = 0;
	const char *end = "none";
	double start = pt_now(), last = pt_now();
	int partial = 0;
	STEP("server receiving");
	while (pt_now() - start < 25.0) {
		/* Nothing for 6 s: the client is long gone (it exits in well
		 * under a second), so what has not arrived will not. */
		if (pt_now() - last > 6.0)
			break;
		if (!(pt_poll1(fd, POLLIN, 0.5) & POLLIN))
			continue;
		struct sctp_sndrcvinfo si;
		int flags = 0;
		int n = sctp_recvmsg(fd, b + partial, (size_t)size + 65536 - (size_t)partial, NULL, NULL, &si, &flags);
		if (n < 0) {
			pt_log("sctp_recvmsg: %s", strerror(errno));
			break;
		}
		last = pt_now();
		if (flags & MSG_NOTIFICATION) {
			union sctp_notification *sn = (union sctp_notification *)b;
			if (sn->sn_header.sn_type == SCTP_ASSOC_CHANGE) {
				int s = sn->sn_assoc_change.sac_state;
				pt_log("ASSOC_CHANGE %s after %d messages", pt_sac_state(s), msgs);
				if (s == SCTP_SHUTDOWN_COMP || s == SCTP_COMM_LOST || s == SCTP_CANT_STR_ASSOC) {
					end = pt_sac_state(s);
					break;
				}
			}
			continue;
		}
		if (!(flags & MSG_EOR)) {
			partial += n;
			continue;
		}
		n += partial;
		partial = 0;
		msgs++;
		bytes += n;
		int idx = -1, tot = -1;
		if (n != size || sscanf(b, "m%d/%d ", &idx, &tot) != 2 || tot != count) {
			bad++;
			continue;
		}
		char *want = malloc((size_t)size);
		fill(want, idx, count, size);
		if (memcmp(want, b, (size_t)size) != 0)
			bad++;
		free(want);
		if (idx != next)
			out_of_order++;
		next = idx + 1;
	}
	pt_report("RESULT msgs=%d bytes=%ld bad=%d out_of_order=%d end=%s", msgs, bytes, bad, out_of_order, end);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && strcmp(argv[1], "client") == 0) {
		pt_init("t_exit", "client", 30);
		return client(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	}
	if (argc >= 5 && strcmp(argv[1], "count") == 0) {
		pt_init("t_exit", "count-server", 40);
		return count_server(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	}
	CHECK(argc >= 2, "usage: t_exit 1to1|1tomany|1to1-close|1tomany-close [count size]");
	const char *variant = argv[1];
	int count = argc >= 3 ? atoi(argv[2]) : 20;
	int size = argc >= 4 ? atoi(argv[3]) : 1000;
	static char name[64];
	snprintf(name, sizeof name, "t_exit_%s", variant);
	pt_init(name, "main", 60);
	CHECK(count > 0 && size >= 16, "bad count/size");

	int sport = pt_free_udp_port();
	int sctp_port = 20000 + getpid() % 20000;
	char pa[16], ca[16], sa[16];
	snprintf(pa, sizeof pa, "%d", sctp_port);
	snprintf(ca, sizeof ca, "%d", count);
	snprintf(sa, sizeof sa, "%d", size);
	int srd, crd;
	char *sargv[] = { (char *)"t_exit", (char *)"count", pa, ca, sa, NULL };
	STEP("starting the server");
	pid_t spid = pt_spawn(sargv, sport, 9, &srd);
	pt_expect_line(srd, "READY", NULL, 0, 10.0);

	char *cargv[] = { (char *)"t_exit", (char *)"client", (char *)variant, pa, ca, sa, NULL };
	STEP("running the client");
	double t0 = pt_now();
	pid_t cpid = pt_spawn(cargv, 0, sport, &crd);
	int st = pt_wait_child(cpid, 20.0);
	double took = pt_now() - t0;
	CHECK(st != -1, "client did not exit within 20 s");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "client failed (status 0x%x)", st);
	pt_log("client (%s, %d x %d bytes) exited after %.2f s", variant, count, size, took);

	char line[256];
	STEP("waiting for the server's result");
	pt_expect_line(srd, "RESULT", line, sizeof line, 30.0);
	pt_log("server: %s", line);
	kill(spid, SIGKILL);
	pt_wait_child(spid, 5.0);
	int msgs = -1, bad = -1, ooo = -1;
	long bytes = -1;
	char end[32] = "";
	sscanf(line, "RESULT msgs=%d bytes=%ld bad=%d out_of_order=%d end=%31s", &msgs, &bytes, &bad, &ooo, end);
	CHECK(msgs == count && bad == 0, "server got %d of %d messages (%d corrupt), association end: %s", msgs, count, bad,
	      end);
	CHECK(ooo == 0, "%d messages out of order", ooo);
	CHECK(strcmp(end, "SHUTDOWN_COMP") == 0, "all %d messages arrived, but the association ended with %s, not SHUTDOWN_COMP",
	      count, end);
	CHECK(took < 10.0, "client took %.1f s to exit", took);
	printf("PASS %s\n", name);
	return 0;
}
