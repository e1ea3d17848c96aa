/*
 * t_kill: the peer dies (SIGKILL) in the middle of a transfer; the sender
 * must learn it within the configured failure detection time, never hang.
 *
 *   t_kill stream    one-to-one:  a blocking send()/recv() returns an error
 *                    (ECONNRESET, ETIMEDOUT or EPIPE; or ESHUTDOWN then
 *                    EOF when the killed peer had no unread data, whose
 *                    close() then shuts down gracefully, as on Linux)
 *   t_kill seqpacket one-to-many: an SCTP_ASSOC_CHANGE / SCTP_COMM_LOST
 *                    (or SHUTDOWN_COMP, as above) notification arrives
 *                    (and sending fails)
 *
 * The client sets SCTP_RTOINFO (min 100, initial 200, max 400 ms),
 * SCTP_ASSOCINFO (4 retransmissions) and SCTP_PEER_ADDR_PARAMS (heartbeat
 * every 300 ms, 3 path retransmissions), so the association fails in about
 * 2 s; the test allows LIMIT_S (10 s) from the kill.
 *
 * The server (this program re-executed, role "sink") reads slowly, so the
 * client's send buffer is full and the client is BLOCKED in send when its
 * peer is killed: the wake-up of a blocked sender is part of the test.
 * A watchdog thread kills the server and fails the test if the client is
 * still blocked LIMIT_S after the kill.
 *
 * Build: cc -o t_kill t_kill.c -lsctp -lpthread (system lksctp headers).
 * Run:   LD_PRELOAD=libsctpudp.so ./t_kill stream|seqpacket
 */
#include "pt.h"
#include <pthread.h>

#define LIMIT_S 10.0
#define KILL_AFTER (256 * 1024) /* bytes the server has read before the kill */
#define CHUNK 16384

static const char *mode;
static int server_pipe;
static pid_t server_pid;
static volatile double t_kill;
static volatile int client_done;
static int opt_failures;
static char opt_msgs[1024];

/* ---- server role ------------------------------------------------------ */

static int sink_server(const char *style, int port)
{
	pt_role = "sink-server";
	int one_to_one = strcmp(style, "stream") == 0;
	int fd = socket(AF_INET, one_to_one ? SOCK_STREAM : SOCK_SEQPACKET, IPPROTO_SCTP);
	CHECK_SYS(fd, "server socket");
	struct sockaddr_in a = pt_sin("127.0.0.1", port);
	CHECK_SYS(bind(fd, (struct sockaddr *)&a, sizeof a), "server bind");
	CHECK_SYS(listen(fd, 4), "server listen");
	pt_report("READY");
	int c = fd;
	if (one_to_one) {
		STEP("server accept");
		c = accept(fd, NULL, NULL);
		CHECK_SYS(c, "server accept");
	}
	alarm(0); /* the client kills us */
	static char buf[4096];
	long total = 0;
	int said = 0;
	for (;;) {
		ssize_t n = recv(c, buf, sizeof buf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			pt_log("server recv returned %zd (%s) after %ld bytes", n, n < 0 ? strerror(errno) : "eof", total);
			pause();
		}
		total += n;
		if (!said && total >= KILL_AFTER) {
			pt_report("HALF %ld", total);
			said = 1;
		}
		if (said)
			pt_sleep_ms(20); /* slow reader: the client's buffer fills up */
	}
}

/* ---- client ----------------------------------------------------------- */

static void note_opt(const char *name, int r)
{
	if (r == 0)
		return;
	opt_failures++;
	size_t l = strlen(opt_msgs);
	snprintf(opt_msgs + l, sizeof opt_msgs - l, "%s%s: %s", l ? "; " : "", name, strerror(errno));
	pt_log("setsockopt(%s) failed: %s (errno %d)", name, strerror(errno), errno);
}

/* The failure detection settings, for the socket (id 0) or an association. */
static void fast_failure(int fd, sctp_assoc_t id)
{
	struct sctp_rtoinfo rto;
	memset(&rto, 0, sizeof rto);
	rto.srto_assoc_id = id;
	rto.srto_initial = 200;
	rto.srto_max = 400;
	rto.srto_min = 100;
	note_opt("SCTP_RTOINFO", setsockopt(fd, IPPROTO_SCTP, SCTP_RTOINFO, &rto, sizeof rto));

	struct sctp_assocparams ap;
	memset(&ap, 0, sizeof ap);
	ap.sasoc_assoc_id = id;
	ap.sasoc_asocmaxrxt = 4;
	note_opt("SCTP_ASSOCINFO", setsockopt(fd, IPPROTO_SCTP, SCTP_ASSOCINFO, &ap, sizeof ap));

	struct sctp_paddrparams pp;
	memset(&pp, 0, sizeof pp);
	pp.spp_assoc_id = id;
	pp.spp_hbinterval = 300;
	pp.spp_pathmaxrxt = 3;
	pp.spp_flags = SPP_HB_ENABLE;
	note_opt("SCTP_PEER_ADDR_PARAMS", setsockopt(fd, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof pp));

	/* Read them back: what the stack will use. */
	socklen_t l = sizeof rto;
	if (getsockopt(fd, IPPROTO_SCTP, SCTP_RTOINFO, &rto, &l) == 0)
		pt_log("RTOINFO now initial %u max %u min %u", rto.srto_initial, rto.srto_max, rto.srto_min);
	l = sizeof ap;
	if (getsockopt(fd, IPPROTO_SCTP, SCTP_ASSOCINFO, &ap, &l) == 0)
		pt_log("ASSOCINFO now asocmaxrxt %u", ap.sasoc_asocmaxrxt);
}

/* Watchdog: kills the server once it has read KILL_AFTER bytes, then gives
 * the client LIMIT_S to notice. */
static void *watchdog(void *arg)
{
	(void)arg;
	char line[128];
	STEP("waiting for the server to have read 256 KiB");
	pt_expect_line(server_pipe, "HALF", line, sizeof line, 20.0);
	pt_log("server reports '%s'; killing it (SIGKILL)", line);
	t_kill = pt_now();
	kill(server_pid, SIGKILL);
	while (!client_done) {
		if (pt_now() - t_kill > LIMIT_S + 2.0)
			pt_fail("client still blocked %.0f s after the server was killed (hang; step: %s)",
				pt_now() - t_kill, pt_step);
		pt_sleep_ms(20);
	}
	return NULL;
}

static void client_stream(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	CHECK_SYS(fd, "client socket");
	fast_failure(fd, 0);
	struct sockaddr_in a = pt_sin("127.0.0.1", port);
	STEP("client connect");
	CHECK_SYS(connect(fd, (struct sockaddr *)&a, sizeof a), "client connect");

	pthread_t th;
	CHECK(pthread_create(&th, NULL, watchdog, NULL) == 0, "pthread_create");

	static char buf[CHUNK];
	memset(buf, 'k', sizeof buf);
	long sent = 0;
	int err = 0;
	STEP("client blocking send loop (peer killed meanwhile)");
	for (;;) {
		ssize_t n = send(fd, buf, sizeof buf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			break;
		}
		sent += n;
		if (t_kill > 0 && pt_now() - t_kill > LIMIT_S + 1)
			break;
	}
	double t_err = pt_now();
	CHECK(t_kill > 0, "send failed before the kill after %ld bytes: %s", sent, strerror(err));
	CHECK(err != 0, "sends kept succeeding %.1f s after the peer was killed (%ld bytes)", t_err - t_kill, sent);
	pt_log("send failed %.2f s after the kill: %s (errno %d), %ld bytes sent", t_err - t_kill, strerror(err), err, sent);

	/* A recv must not block either: error or end of stream at once. */
	STEP("client recv after the failure");
	int rev = pt_poll1(fd, POLLIN, 2.0);
	CHECK(rev != 0, "socket not readable (no error, no EOF) after the association failed");
	char b[16];
	ssize_t r = recv(fd, b, sizeof b, MSG_DONTWAIT);
	int rerr = r < 0 ? errno : 0;
	pt_log("poll revents 0x%x, recv returned %zd (%s)", rev, r, r < 0 ? strerror(rerr) : "ok");
	int so = -1;
	socklen_t l = sizeof so;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &l);
	pt_log("SO_ERROR now %d (%s)", so, so > 0 ? strerror(so) : "none");
	client_done = 1;
	pthread_join(th, NULL);
	close(fd);

	/* The kill closes the peer's socket: with unread data it aborts
	 * (ECONNRESET); if it had just read everything, it shuts down
	 * gracefully as Linux's close() does (send: ESHUTDOWN, then EOF). */
	int seen = err == ECONNRESET || err == ETIMEDOUT || err == EPIPE || rerr == ECONNRESET || rerr == ETIMEDOUT ||
		   (err == ESHUTDOWN && r == 0);
	CHECK(seen, "expected ECONNRESET/ETIMEDOUT/EPIPE, or ESHUTDOWN then EOF, send gave %s, recv gave %s", strerror(err),
	      r < 0 ? strerror(rerr) : "no error");
	CHECK(t_err - t_kill <= LIMIT_S, "failure noticed only after %.1f s (limit %.0f s)", t_err - t_kill, LIMIT_S);
	CHECK(opt_failures == 0, "peer failure seen after %.1f s, but setsockopt failed: %s", t_err - t_kill, opt_msgs);
}

static void client_seqpacket(int port)
{
	int fd = socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP);
	CHECK_SYS(fd, "client socket");
	pt_subscribe_assoc(fd);
	fast_failure(fd, 0);
	struct sockaddr_in a = pt_sin("127.0.0.1", port);
	sctp_assoc_t id = 0;
	STEP("client sctp_connectx");
	CHECK_SYS(sctp_connectx(fd, (struct sockaddr *)&a, 1, &id), "client sctp_connectx");
	pt_log("sctp_connectx: assoc id %d", (int)id);

	static char buf[CHUNK];
	struct sctp_sndrcvinfo si;
	int flags;
	/* COMM_UP first. */
	STEP("client waiting for COMM_UP");
	CHECK(pt_poll1(fd, POLLIN, 5.0) & POLLIN, "no COMM_UP notification");
	flags = 0;
	int n = sctp_recvmsg(fd, buf, sizeof buf, NULL, NULL, &si, &flags);
	CHECK(n > 0 && (flags & MSG_NOTIFICATION), "expected a notification, got %d flags 0x%x", n, flags);
	union sctp_notification *sn = (union sctp_notification *)buf;
	CHECK(sn->sn_header.sn_type == SCTP_ASSOC_CHANGE && sn->sn_assoc_change.sac_state == SCTP_COMM_UP,
	      "expected ASSOC_CHANGE COMM_UP, got type %d state %d", sn->sn_header.sn_type,
	      sn->sn_assoc_change.sac_state);
	if (!id)
		id = sn->sn_assoc_change.sac_assoc_id;
	fast_failure(fd, id);

	pthread_t th;
	CHECK(pthread_create(&th, NULL, watchdog, NULL) == 0, "pthread_create");
	memset(buf, 'k', sizeof buf);
	long sent = 0;
	int err = 0;
	STEP("client blocking sctp_sendmsg loop (peer killed meanwhile)");
	for (;;) {
		int w = sctp_sendmsg(fd, buf, sizeof buf, (struct sockaddr *)&a, sizeof a, 0, 0, 0, 0, 0);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			err = errno;
			break;
		}
		sent += w;
		if (t_kill > 0 && pt_now() - t_kill > LIMIT_S + 1)
			break;
	}
	double t_send = pt_now();
	CHECK(t_kill > 0, "send failed before the kill after %ld bytes: %s", sent, strerror(err));
	pt_log("sending stopped %.2f s after the kill: %s, %ld bytes sent", t_send - t_kill,
	       err ? strerror(err) : "no error (gave up)", sent);

	/* Now the notification. */
	STEP("client waiting for COMM_LOST");
	double t_lost = 0;
	while (pt_now() - t_kill < LIMIT_S + 1) {
		if (!(pt_poll1(fd, POLLIN, 0.5) & POLLIN))
			continue;
		flags = 0;
		memset(&si, 0, sizeof si);
		n = sctp_recvmsg(fd, buf, sizeof buf, NULL, NULL, &si, &flags);
		if (n < 0) {
			pt_log("sctp_recvmsg: %s", strerror(errno));
			break;
		}
		if (!(flags & MSG_NOTIFICATION))
			continue;
		sn = (union sctp_notification *)buf;
		if (sn->sn_header.sn_type != SCTP_ASSOC_CHANGE) {
			pt_log("notification type %d", sn->sn_header.sn_type);
			continue;
		}
		pt_log("ASSOC_CHANGE %s (error %u) %.2f s after the kill", pt_sac_state(sn->sn_assoc_change.sac_state),
		       sn->sn_assoc_change.sac_error, pt_now() - t_kill);
		/* COMM_LOST when the peer's close aborted (unread data);
		 * SHUTDOWN_COMP when it had read everything and shut down
		 * gracefully, as Linux's close() does. */
		if (sn->sn_assoc_change.sac_state == SCTP_COMM_LOST ||
		    sn->sn_assoc_change.sac_state == SCTP_SHUTDOWN_COMP) {
			t_lost = pt_now();
			break;
		}
	}
	client_done = 1;
	pthread_join(th, NULL);
	CHECK(t_lost > 0, "no SCTP_COMM_LOST or SCTP_SHUTDOWN_COMP within %.0f s of the kill", LIMIT_S);
	/* After COMM_LOST, a send on that association fails at once. */
	int w = sctp_sendmsg(fd, "x", 1, NULL, 0, 0, 0, 0, 0, 0);
	struct sctp_sndrcvinfo s2;
	memset(&s2, 0, sizeof s2);
	s2.sinfo_assoc_id = id;
	int w2 = sctp_send(fd, "x", 1, &s2, MSG_DONTWAIT);
	pt_log("after COMM_LOST: sctp_sendmsg(no address) -> %d (%s), sctp_send(assoc %d) -> %d (%s)", w,
	       w < 0 ? strerror(errno) : "ok", (int)id, w2, w2 < 0 ? strerror(errno) : "ok");
	CHECK(w2 < 0, "sctp_send on the lost association %d succeeded", (int)id);
	close(fd);
	CHECK(t_lost - t_kill <= LIMIT_S, "COMM_LOST only after %.1f s", t_lost - t_kill);
	CHECK(opt_failures == 0, "COMM_LOST seen after %.1f s, but setsockopt failed: %s", t_lost - t_kill, opt_msgs);
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "sink") == 0) {
		pt_init("t_kill", "sink-server", 60);
		return sink_server(argv[2], atoi(argv[3]));
	}
	CHECK(argc >= 2, "usage: t_kill stream|seqpacket");
	mode = argv[1];
	static char name[64];
	snprintf(name, sizeof name, "t_kill_%s", mode);
	pt_init(name, "client", 60);
	CHECK(!strcmp(mode, "stream") || !strcmp(mode, "seqpacket"), "unknown mode %s", mode);

	int sport = pt_free_udp_port();
	int sctp_port = 20000 + getpid() % 20000;
	char portarg[16];
	snprintf(portarg, sizeof portarg, "%d", sctp_port);
	char *sargv[] = { (char *)"t_kill", (char *)"sink", (char *)mode, portarg, NULL };
	STEP("starting the server");
	server_pid = pt_spawn(sargv, sport, 9, &server_pipe);
	pt_expect_line(server_pipe, "READY", NULL, 0, 10.0);
	pt_log("server pid %d on UDP port %d, SCTP port %d", (int)server_pid, sport, sctp_port);
	pt_ports(0, sport);

	if (!strcmp(mode, "stream"))
		client_stream(sctp_port);
	else
		client_seqpacket(sctp_port);

	int st = pt_wait_child(server_pid, 5.0);
	CHECK(st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "server did not die of SIGKILL (status 0x%x)", st);
	printf("PASS %s\n", name);
	return 0;
}
