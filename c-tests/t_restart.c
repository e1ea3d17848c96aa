/*
 * t_restart: a blocking call interrupted by a signal, as Linux does it
 * (sock_intr_errno): with no SO_RCVTIMEO/SO_SNDTIMEO, a handler installed
 * with SA_RESTART makes the kernel restart recv/send, so the program never
 * sees EINTR; without SA_RESTART the call fails with EINTR; with a timeout
 * set, EINTR even under SA_RESTART.
 *
 *  1. SA_RESTART, blocking recv, SIGALRM after 100 ms, the message comes
 *     after 400 ms: recv returns it, and the handler ran.
 *  2. No SA_RESTART: recv fails with EINTR.
 *  3. SA_RESTART with SO_RCVTIMEO 5 s: recv fails with EINTR.
 *  4. SA_RESTART, a blocking send on a full send buffer (the peer reads
 *     again after 400 ms): the send completes.
 *  5. No SA_RESTART, the same: EINTR.
 */
#include "common.h"

#include <sys/time.h>

static volatile sig_atomic_t fired;

static void on_alarm(int sig)
{
	(void)sig;
	fired++;
}

static void handler(int restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	CHECK_SYS(sigaction(SIGALRM, &sa, NULL));
}

/* SIGALRM in 100 ms (the test's own alarm() timeout is re-armed after). */
static void alarm_soon(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 100000 } };

	fired = 0;
	CHECK_SYS(setitimer(ITIMER_REAL, &it, NULL));
}

static void rearm_timeout(void)
{
	struct sigaction sa;

	/* t_init's alarm() handler is replaced above; a plain alarm now only
	 * bounds the rest of the test (SIGALRM kills it after 60 s). */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	CHECK_SYS(sigaction(SIGALRM, &sa, NULL));
	alarm(60);
}

static int server(t_sync *s, void *arg)
{
	static char buf[65536];
	int l, c;

	(void)arg;
	t_use_udp(t_ports.udp_server, t_ports.udp_client);
	l = t_sctp_socket(SOCK_STREAM);
	t_bind4(l, "127.0.0.1", t_ports.sctp);
	t_set_int(l, SOL_SOCKET, SO_RCVBUF, 4096);
	CHECK_SYS(listen(l, 1));
	t_post(s, 'L');
	t_wait_fd(l, POLLIN, 20000);
	c = (int)CHECK_SYS(accept(l, NULL, NULL));

	for (char tag = '1'; tag <= '3'; tag++) {
		t_await(s, tag, 20000);
		usleep(400000);
		t_send_msg(c, &tag, 1, NULL, 0, 0, 0);
	}
	/* Phases 4 and 5: stop reading until told, then read up to the
	 * client's 1-byte marker. */
	for (char tag = '4'; tag <= '5'; tag++) {
		t_await(s, tag, 20000);
		usleep(400000);
		for (;;) {
			size_t n = t_recv_msg(c, buf, sizeof buf, NULL, NULL, NULL, 10000);

			if (n == 1)
				break;
		}
	}
	t_await(s, 'E', 20000);
	close(c);
	close(l);
	return 0;
}

/* Sends 1000-byte messages without waiting until the buffer is full,
 * twice: what is in flight when it first fills is acknowledged (the peer's
 * window takes it) and frees room; after that the window is closed. */
static void fill_once(int fd);
static void fill(int fd)
{
	fill_once(fd);
	usleep(300000);
	fill_once(fd);
}

static void fill_once(int fd)
{
	static char m[1000];
	int sent = 0;

	for (;;) {
		ssize_t n = send(fd, m, sizeof m, MSG_DONTWAIT);

		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			DIE("fill");
		if (++sent > 100000)
			FAIL("the send buffer never filled");
	}
}

int main(int argc, char **argv)
{
	static char m[1000];
	struct sockaddr_in srv;
	t_sync s = { 0 };
	pid_t pid;
	char b[16];
	ssize_t n;
	int fd;

	t_init("t_restart", argc, argv, 60);
	pid = t_fork("server", &s, server, NULL);
	t_use_udp(t_ports.udp_client, t_ports.udp_server);
	t_await(&s, 'L', 20000);
	srv = t_addr4("127.0.0.1", t_ports.sctp);
	fd = t_sctp_socket(SOCK_STREAM);
	t_set_int(fd, SOL_SOCKET, SO_SNDBUF, 8192);
	CHECK_SYS(connect(fd, (struct sockaddr *)&srv, sizeof(srv)));

	STEP("1: SA_RESTART recv");
	handler(1);
	t_post(&s, '1');
	alarm_soon();
	n = recv(fd, b, sizeof b, 0);
	if (n < 0)
		DIE("recv under SA_RESTART (the kernel would have restarted it)");
	CHECK_EQ(n, 1);
	CHECK_EQ(b[0], '1');
	CHECK(fired == 1);

	STEP("2: recv without SA_RESTART");
	handler(0);
	t_post(&s, '2');
	alarm_soon();
	CHECK_ERRNO(recv(fd, b, sizeof b, 0), EINTR);
	CHECK(fired == 1);
	CHECK_EQ(recv(fd, b, sizeof b, 0), 1);
	CHECK_EQ(b[0], '2');

	STEP("3: SA_RESTART with SO_RCVTIMEO");
	handler(1);
	{
		struct timeval tv = { 5, 0 };

		CHECK_SYS(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	}
	t_post(&s, '3');
	alarm_soon();
	CHECK_ERRNO(recv(fd, b, sizeof b, 0), EINTR);
	CHECK_EQ(recv(fd, b, sizeof b, 0), 1);
	CHECK_EQ(b[0], '3');

	STEP("4: SA_RESTART send on a full buffer");
	fill(fd);
	handler(1);
	t_post(&s, '4');
	alarm_soon();
	n = send(fd, m, sizeof m, 0);
	if (n < 0)
		DIE("send under SA_RESTART (the kernel would have restarted it)");
	CHECK_EQ(n, (ssize_t)sizeof m);
	CHECK(fired == 1);
	t_send_msg(fd, "M", 1, NULL, 0, 0, 0);

	STEP("5: send on a full buffer without SA_RESTART");
	fill(fd);
	handler(0);
	t_post(&s, '5');
	alarm_soon();
	CHECK_ERRNO(send(fd, m, sizeof m, 0), EINTR);
	CHECK(fired == 1);
	rearm_timeout();
	t_send_msg(fd, "M", 1, NULL, 0, 0, 0);

	t_post(&s, 'E');
	close(fd);
	t_wait_child(pid, "server", 20);
	t_pass();
}
