/*
 * t_races: threads racing on shared SCTP sockets, as programs do.
 *
 *  1. 10,000 connect/close cycles from 8 threads on one one-to-many
 *     socket (SCTPUDP_RACE_CYCLES to change): each thread has a listener
 *     of its own (a one-to-many socket holds one association per peer),
 *     connects with sctp_connectx(), sends a message, and ends the
 *     association with SCTP_ABORT, or with SCTP_EOF and then waits for it
 *     to be gone; a drainer thread reads the listeners meanwhile. After:
 *     no association left on any socket (SCTP_GET_ASSOC_NUMBER).
 *  2. fork() while other threads send: two threads send 2,000 messages
 *     each on a one-to-one association while the main thread forks 20
 *     children (each makes an association of its own, sends one message
 *     on it and exits). Every message arrives intact, exactly once.
 *  3. shutdown(SHUT_RDWR) while data arrives: a client sends as fast as
 *     it can while the server's accepted socket is shut down under it;
 *     the client's sends fail only with EPIPE/ECONNRESET/ESHUTDOWN and its
 *     receive then reports the end; repeated 20 times.
 *
 * Zero crashes, zero hangs (the alarm), and (1) zero leaked associations.
 */
#include "common.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>

#define THREADS 8

static int cycles = 10000;
static int many;                 /* the shared one-to-many socket */
static int listeners[THREADS];
static atomic_int stop_drain;
static atomic_long drained;

static struct sockaddr_in lis_addr(int k) { return t_addr4("127.0.0.1", (uint16_t)(t_ports.sctp + 1 + k)); }

static int assoc_count(int fd)
{
	return t_get_int(fd, IPPROTO_SCTP, SCTP_GET_ASSOC_NUMBER);
}

static void *drainer(void *arg)
{
	struct pollfd p[THREADS];
	char buf[256];

	(void)arg;
	for (int k = 0; k < THREADS; k++) {
		p[k].fd = listeners[k];
		p[k].events = POLLIN;
	}
	while (!atomic_load(&stop_drain)) {
		if (poll(p, THREADS, 50) <= 0)
			continue;
		for (int k = 0; k < THREADS; k++)
			if (p[k].revents & POLLIN)
				while (recv(listeners[k], buf, sizeof(buf), MSG_DONTWAIT) > 0)
					atomic_fetch_add(&drained, 1);
	}
	return NULL;
}

static void *cycler(void *arg)
{
	int k = (int)(long)arg;
	struct sockaddr_in a = lis_addr(k);
	int n = cycles / THREADS;

	for (int i = 0; i < n; i++) {
		sctp_assoc_t id = 0;
		struct sctp_sndrcvinfo si;
		int tries = 0;

		/* A graceful end may still be under way: connect when it is. */
		while (sctp_connectx(many, (struct sockaddr *)&a, 1, &id) != 0) {
			if (errno != EISCONN && errno != EALREADY && errno != EADDRINUSE)
				DIE("cycle %d: sctp_connectx", i);
			if (++tries == 5000)
				FAIL("cycle %d: the last association to listener %d never ended", i, k);
			usleep(1000);
		}
		CHECK(id != 0);
		memset(&si, 0, sizeof(si));
		si.sinfo_assoc_id = id;
		/* The peer may already be gone (an earlier abort crossed): only
		 * the errors Linux gives for that. */
		if (sctp_send(many, "x", 1, &si, 0) < 0 && errno != EPIPE && errno != ECONNRESET &&
		    errno != EINVAL && errno != ENOTCONN)
			DIE("cycle %d: send", i);
		si.sinfo_flags = (i % 4 == 0) ? SCTP_EOF : SCTP_ABORT;
		if (sctp_send(many, NULL, 0, &si, 0) < 0 && errno != EINVAL && errno != EPIPE &&
		    errno != ENOTCONN && errno != ECONNRESET)
			DIE("cycle %d: end the association", i);
	}
	return NULL;
}

static void case_cycles(void)
{
	pthread_t th[THREADS], dr;
	struct sctp_event_subscribe ev;

	STEP("cycles: sockets");
	many = t_sctp_socket(SOCK_SEQPACKET);
	/* Nothing is read from it: no notifications, no data. */
	memset(&ev, 0, sizeof(ev));
	CHECK_SYS(setsockopt(many, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof(ev)));
	for (int k = 0; k < THREADS; k++) {
		listeners[k] = t_sctp_socket(SOCK_SEQPACKET);
		t_bind4(listeners[k], "127.0.0.1", (uint16_t)(t_ports.sctp + 1 + k));
		CHECK_SYS(listen(listeners[k], 64));
	}
	CHECK(pthread_create(&dr, NULL, drainer, NULL) == 0);
	STEP("cycles: 8 threads connect and close");
	for (int k = 0; k < THREADS; k++)
		CHECK(pthread_create(&th[k], NULL, cycler, (void *)(long)k) == 0);
	for (int k = 0; k < THREADS; k++)
		pthread_join(th[k], NULL);
	STEP("cycles: nothing left");
	for (int i = 0;; i++) {
		int left = assoc_count(many);

		for (int k = 0; k < THREADS; k++)
			left += assoc_count(listeners[k]);
		if (left == 0)
			break;
		if (i == 500)
			FAIL("%d associations left 5 s after the last cycle", left);
		usleep(10000);
	}
	atomic_store(&stop_drain, 1);
	pthread_join(dr, NULL);
	printf("cycles: %d connect/close cycles from %d threads, %ld messages arrived\n",
	       cycles / THREADS * THREADS, THREADS, atomic_load(&drained));
	close(many);
	for (int k = 0; k < THREADS; k++)
		close(listeners[k]);
}

/* ---- 2: fork while sending ---------------------------------------- */

#define SENDS 2000

static int fork_client;

static void *sender(void *arg)
{
	int t = (int)(long)arg;
	char msg[64];

	for (int i = 0; i < SENDS; i++) {
		int n = snprintf(msg, sizeof(msg), "%d:%d", t, i);

		if (sctp_sendmsg(fork_client, msg, (size_t)n, NULL, 0, 0, 0, (uint16_t)t, 0, 0) != n)
			DIE("sender %d message %d", t, i);
	}
	return NULL;
}

static void case_fork(void)
{
	struct sockaddr_in a = t_addr4("127.0.0.1", (uint16_t)(t_ports.sctp + 20));
	static unsigned char seen[2][SENDS];
	pthread_t th[2];
	int l, srv, got = 0;
	char buf[128];

	STEP("fork: an association");
	l = t_sctp_socket(SOCK_STREAM);
	t_bind4(l, "127.0.0.1", (uint16_t)(t_ports.sctp + 20));
	CHECK_SYS(listen(l, 64));
	fork_client = t_sctp_socket(SOCK_STREAM);
	t_set_initmsg(fork_client, 4, 4);
	CHECK_SYS(connect(fork_client, (struct sockaddr *)&a, sizeof(a)));
	srv = accept(l, NULL, NULL);
	CHECK_SYS(srv);
	STEP("fork: two senders, twenty forks");
	for (int t = 0; t < 2; t++)
		CHECK(pthread_create(&th[t], NULL, sender, (void *)(long)t) == 0);
	for (int f = 0; f < 20; f++) {
		pid_t pid;
		int st;

		fflush(stdout);
		pid = fork();
		CHECK_SYS(pid);
		if (pid == 0) {
			/* The child: an association of its own, one message. */
			int c = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);

			if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) != 0 ||
			    sctp_sendmsg(c, "child", 5, NULL, 0, 0, 0, 3, 0, 0) != 5)
				_exit(1);
			close(c);
			_exit(0);
		}
		/* Its association waits in the accept queue: take and read it
		 * while the senders keep going. */
		{
			int cs = accept(l, NULL, NULL);
			int flags = 0;

			CHECK_SYS(cs);
			t_wait_fd(cs, POLLIN, 10000);
			CHECK_EQ(sctp_recvmsg(cs, buf, sizeof(buf), NULL, NULL, NULL, &flags), 5);
			close(cs);
		}
		CHECK_SYS(waitpid(pid, &st, 0));
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		/* Read some of the senders' messages meanwhile. */
		while (got < 2 * SENDS) {
			struct sctp_sndrcvinfo si;
			int flags = 0, t, i;
			ssize_t n = sctp_recvmsg(srv, buf, sizeof(buf) - 1, NULL, NULL, &si, &flags);

			if (n < 0) {
				if (errno == EAGAIN)
					break;
				DIE("fork: recv");
			}
			buf[n] = 0;
			CHECK(sscanf(buf, "%d:%d", &t, &i) == 2 && t >= 0 && t < 2 && i >= 0 && i < SENDS);
			CHECK(!seen[t][i]);
			seen[t][i] = 1;
			got++;
			if (got % 64 == 0)
				break;
		}
	}
	STEP("fork: every message once");
	while (got < 2 * SENDS) {
		struct sctp_sndrcvinfo si;
		int flags = 0, t, i;
		ssize_t n;

		t_wait_fd(srv, POLLIN, 10000);
		n = sctp_recvmsg(srv, buf, sizeof(buf) - 1, NULL, NULL, &si, &flags);
		CHECK(n > 0);
		buf[n] = 0;
		CHECK(sscanf(buf, "%d:%d", &t, &i) == 2 && t >= 0 && t < 2 && i >= 0 && i < SENDS);
		CHECK(!seen[t][i]);
		seen[t][i] = 1;
		got++;
	}
	for (int t = 0; t < 2; t++)
		pthread_join(th[t], NULL);
	printf("fork: 20 forks while 2 threads sent %d messages: all arrived once\n", 2 * SENDS);
	close(srv);
	close(fork_client);
	close(l);
}

/* ---- 3: shutdown while data arrives --------------------------------- */

static atomic_int sending;

static void *blaster(void *arg)
{
	int c = (int)(long)arg;
	char msg[512];

	memset(msg, 'b', sizeof(msg));
	while (atomic_load(&sending)) {
		if (sctp_sendmsg(c, msg, sizeof(msg), NULL, 0, 0, 0, 0, 0, 0) < 0) {
			if (errno != EPIPE && errno != ECONNRESET && errno != ESHUTDOWN)
				DIE("blaster: send");
			break;
		}
	}
	return NULL;
}

static void case_shutdown(void)
{
	struct sockaddr_in a = t_addr4("127.0.0.1", (uint16_t)(t_ports.sctp + 21));
	int l = t_sctp_socket(SOCK_STREAM);

	t_bind4(l, "127.0.0.1", (uint16_t)(t_ports.sctp + 21));
	CHECK_SYS(listen(l, 8));
	for (int r = 0; r < 20; r++) {
		pthread_t th;
		char buf[4096];
		int c, s;

		STEP("shutdown: connect");
		c = t_sctp_socket(SOCK_STREAM);
		CHECK_SYS(connect(c, (struct sockaddr *)&a, sizeof(a)));
		s = accept(l, NULL, NULL);
		CHECK_SYS(s);
		atomic_store(&sending, 1);
		CHECK(pthread_create(&th, NULL, blaster, (void *)(long)c) == 0);
		/* Let some data in, then shut down under it. */
		for (int i = 0; i < r % 5; i++) {
			t_wait_fd(s, POLLIN, 5000);
			CHECK(recv(s, buf, sizeof(buf), 0) > 0);
		}
		STEP("shutdown: under incoming data");
		CHECK_SYS(shutdown(s, SHUT_RDWR));
		/* The client's receive sees the end (0) or a reset. */
		{
			ssize_t n;

			t_wait_fd(c, POLLIN, 10000);
			n = recv(c, buf, sizeof(buf), 0);
			CHECK(n == 0 || (n < 0 && (errno == ECONNRESET || errno == ENOTCONN)));
		}
		atomic_store(&sending, 0);
		pthread_join(th, NULL);
		close(s);
		close(c);
	}
	close(l);
	printf("shutdown: 20 shutdowns under incoming data\n");
}

int main(int argc, char **argv)
{
	const char *e;
	uint16_t port;

	t_init("t_races", argc, argv, 240);
	if ((e = getenv("SCTPUDP_RACE_CYCLES")) != NULL)
		cycles = atoi(e);
	t_pick_udp_ports(&port, 1);
	t_use_udp(port, port);
	case_cycles();
	case_fork();
	case_shutdown();
	t_pass();
}
