/*
 * t_signals: blocking calls and signals, and socket timeouts, as on Linux
 * (signal(7); net/sctp/socket.c waits return sock_intr_errno(timeo):
 * -ERESTARTSYS, restarted under SA_RESTART, when the socket has no
 * timeout, and -EINTR when it has one).
 *
 *  1. recv() blocked, a handler without SA_RESTART runs: -1 EINTR.
 *  2. recv() blocked, a handler with SA_RESTART runs, data comes later:
 *     the call goes on and returns the data.
 *  3. the same with SO_RCVTIMEO set: -1 EINTR despite SA_RESTART.
 *  4. SO_RCVTIMEO with nothing to read: -1 EAGAIN, not before the timeout;
 *     accept() on a listener with SO_RCVTIMEO likewise.
 *  5. send() blocked on a full send buffer (the peer does not read):
 *     SO_SNDTIMEO gives -1 EAGAIN, not before the timeout; a handler
 *     without SA_RESTART gives -1 EINTR; nothing of either message is
 *     delivered (SCTP sends whole messages).
 * The signal comes from another thread, 200 ms into the call.
 */
#include "common.h"

#include <pthread.h>
#include <time.h>

static pthread_t main_thread;
static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static void handler(int restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct later {
	int ms;
	int fd;  /* >= 0: send a message on it after the signal */
	int ms2;
};

static void *kick(void *arg)
{
	struct later *l = arg;

	usleep((useconds_t)l->ms * 1000);
	pthread_kill(main_thread, SIGUSR1);
	if (l->fd >= 0) {
		usleep((useconds_t)l->ms2 * 1000);
		if (sctp_sendmsg(l->fd, "late", 4, NULL, 0, 0, 0, 0, 0, 0) != 4)
			DIE("kick: send");
	}
	return NULL;
}

static pthread_t later(struct later *l)
{
	pthread_t th;

	CHECK(pthread_create(&th, NULL, kick, l) == 0);
	return th;
}

static void set_timeo(int fd, int opt, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	CHECK_SYS(setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv)));
}

int main(int argc, char **argv)
{
	struct sockaddr_in a;
	uint16_t port;
	int l, c, s, n;
	char buf[256];
	double t0;
	pthread_t th;

	t_init("t_signals", argc, argv, 60);
	main_thread = pthread_self();
	t_pick_udp_ports(&port, 1);
	t_use_udp(port, port);
	a = t_addr4("127.0.0.1", t_ports.sctp);
	l = t_sctp_socket(SOCK_STREAM);
	t_bind4(l, "127.0.0.1", t_ports.sctp);
	CHECK_SYS(listen(l, 8));
	c = t_sctp_socket(SOCK_STREAM);
	CHECK_SYS(connect(c, (struct sockaddr *)&a, sizeof(a)));
	s = accept(l, NULL, NULL);
	CHECK_SYS(s);

	STEP("1: recv interrupted, no SA_RESTART");
	{
		struct later k = { 200, -1, 0 };

		handler(0);
		handled = 0;
		th = later(&k);
		CHECK_ERRNO(recv(s, buf, sizeof(buf), 0), EINTR);
		CHECK_EQ(handled, 1);
		pthread_join(th, NULL);
	}

	STEP("2: recv interrupted under SA_RESTART goes on");
	{
		struct later k = { 200, c, 200 };

		handler(1);
		handled = 0;
		th = later(&k);
		n = (int)recv(s, buf, sizeof(buf), 0);
		CHECK_EQ(n, 4);
		CHECK(memcmp(buf, "late", 4) == 0);
		CHECK_EQ(handled, 1);
		pthread_join(th, NULL);
	}

	STEP("3: with SO_RCVTIMEO, EINTR despite SA_RESTART");
	{
		struct later k = { 200, -1, 0 };

		set_timeo(s, SO_RCVTIMEO, 5000);
		handled = 0;
		th = later(&k);
		CHECK_ERRNO(recv(s, buf, sizeof(buf), 0), EINTR);
		CHECK_EQ(handled, 1);
		pthread_join(th, NULL);
	}

	STEP("4: SO_RCVTIMEO runs out");
	set_timeo(s, SO_RCVTIMEO, 300);
	t0 = now_s();
	CHECK_ERRNO(recv(s, buf, sizeof(buf), 0), EAGAIN);
	CHECK(now_s() - t0 >= 0.29);
	set_timeo(l, SO_RCVTIMEO, 300);
	t0 = now_s();
	CHECK_ERRNO(accept(l, NULL, NULL), EAGAIN);
	CHECK(now_s() - t0 >= 0.29);

	STEP("5: a full send buffer");
	{
		static char big[8192];
		int sent = 0;
		struct later k = { 200, -1, 0 };

		/* The peer (s) reads nothing: fill c's buffer. */
		set_timeo(c, SO_SNDTIMEO, 300);
		for (;;) {
			ssize_t r = sctp_sendmsg(c, big, sizeof(big), NULL, 0, 0, 0, 0, 0, 0);

			if (r < 0) {
				CHECK_EQ(errno, EAGAIN);
				break;
			}
			if (++sent == 100000)
				FAIL("the send buffer never filled");
		}
		STEP("5: SO_SNDTIMEO runs out");
		t0 = now_s();
		CHECK_ERRNO(sctp_sendmsg(c, big, sizeof(big), NULL, 0, 0, 0, 0, 0, 0), EAGAIN);
		CHECK(now_s() - t0 >= 0.29);
		STEP("5: send interrupted");
		set_timeo(c, SO_SNDTIMEO, 0);
		handler(0);
		handled = 0;
		th = later(&k);
		CHECK_ERRNO(sctp_sendmsg(c, big, sizeof(big), NULL, 0, 0, 0, 0, 0, 0), EINTR);
		CHECK_EQ(handled, 1);
		pthread_join(th, NULL);
		STEP("5: only whole messages arrived");
		set_timeo(s, SO_RCVTIMEO, 0);
		for (int i = 0; i < sent; i++) {
			int flags = 0;

			n = sctp_recvmsg(s, buf, sizeof(buf), NULL, NULL, NULL, &flags);
			CHECK(n > 0);
			/* Read the rest of the message. */
			while (!(flags & MSG_EOR)) {
				flags = 0;
				n = sctp_recvmsg(s, buf, sizeof(buf), NULL, NULL, NULL, &flags);
				CHECK(n > 0);
			}
		}
		/* Nothing more: the interrupted and timed-out sends sent nothing. */
		{
			struct pollfd p = { s, POLLIN, 0 };

			CHECK_EQ(poll(&p, 1, 300), 0);
		}
		printf("5: %d messages filled the buffer; the blocked sends left nothing\n", sent);
	}
	close(c);
	close(s);
	close(l);
	t_pass();
}
