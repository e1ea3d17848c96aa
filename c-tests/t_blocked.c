/*
 * t_blocked: a descriptor closed or shut down by one thread while another
 * is blocked on it. Linux keeps the blocked call sleeping on the socket
 * (the call holds its file) until something wakes it; nothing may spin,
 * hang for good or crash:
 *
 *  1. recv() blocked, close() from another thread: the process uses no
 *     CPU meanwhile (no polling of a descriptor that is gone), and recv()
 *     returns once the peer ends the association.
 *  2. recv() blocked, shutdown(SHUT_RDWR) from another thread: recv()
 *     returns 0 (the association shut down gracefully).
 *  3. accept() blocked, close() of the listener from another thread: no
 *     CPU used while it keeps sleeping (Linux's sctp_wait_for_accept does
 *     too; the thread is left blocked when the process exits).
 *  4. send() blocked on a full send buffer (the peer does not read),
 *     shutdown(SHUT_RDWR) from another thread: send() returns -1 (EPIPE,
 *     what sctp_wait_for_sndbuf gives a sender woken by the association
 *     shutting down; MSG_NOSIGNAL) or, if the data drained first, the
 *     bytes sent; never blocks for good.
 */
#include "common.h"

#include <pthread.h>
#include <time.h>

static int g_fd;
static volatile int g_done;
static volatile long g_ret;
static volatile int g_err;

static double cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void pair(int *conn, int *acc, uint16_t sport)
{
	struct sockaddr_in srv = t_addr4("127.0.0.1", sport);
	int l = t_sctp_socket(SOCK_STREAM);

	t_bind4(l, "127.0.0.1", sport);
	CHECK_SYS(listen(l, 4));
	*conn = t_sctp_socket(SOCK_STREAM);
	CHECK_SYS(connect(*conn, (struct sockaddr *)&srv, sizeof(srv)));
	t_wait_fd(l, POLLIN, 10000);
	*acc = (int)CHECK_SYS(accept(l, NULL, NULL));
	close(l);
}

static void *do_recv(void *a)
{
	char buf[256];

	(void)a;
	g_ret = recv(g_fd, buf, sizeof buf, 0);
	g_err = errno;
	g_done = 1;
	return NULL;
}

static void *do_accept(void *a)
{
	(void)a;
	g_ret = accept(g_fd, NULL, NULL);
	g_err = errno;
	g_done = 1;
	return NULL;
}

static void *do_send(void *a)
{
	static char buf[65536];
	long n;

	(void)a;
	memset(buf, 7, sizeof buf);
	do
		n = send(g_fd, buf, sizeof buf, MSG_NOSIGNAL);
	while (n > 0 && !g_done);
	g_ret = n;
	g_err = errno;
	g_done = 1;
	return NULL;
}

static pthread_t start(void *(*fn)(void *), int fd)
{
	pthread_t t;

	g_fd = fd;
	g_done = 0;
	CHECK(pthread_create(&t, NULL, fn, NULL) == 0);
	usleep(300 * 1000); /* let it block */
	CHECK(!g_done);
	return t;
}

/* Waits up to ms for the blocked call to return. */
static int returned_within(int ms)
{
	for (int i = 0; i < ms / 10 && !g_done; i++)
		usleep(10 * 1000);
	return g_done;
}

int main(int argc, char **argv)
{
	int c, s;
	double c0, used;
	pthread_t t;

	t_init("t_blocked", argc, argv, 60);
	t_use_udp(t_ports.udp_server, t_ports.udp_server);

	STEP("1: recv blocked, close from another thread");
	pair(&c, &s, t_ports.sctp);
	t = start(do_recv, c);
	c0 = cpu_now();
	close(c);
	usleep(1500 * 1000);
	used = cpu_now() - c0;
	if (used > 0.5)
		FAIL("1: %.2f s of CPU in 1.5 s after close (spinning)", used);
	close(s);
	if (!returned_within(10000))
		FAIL("1: recv still blocked 10 s after the peer closed");
	pthread_join(t, NULL);
	t_log("1: recv returned %ld (errno %d) after the peer closed; %.2f s CPU", g_ret, g_err, used);

	STEP("2: recv blocked, shutdown from another thread");
	pair(&c, &s, (uint16_t)(t_ports.sctp + 1));
	t = start(do_recv, c);
	CHECK_SYS(shutdown(c, SHUT_RDWR));
	if (!returned_within(10000))
		FAIL("2: recv still blocked 10 s after shutdown");
	pthread_join(t, NULL);
	if (g_ret != 0)
		FAIL("2: recv returned %ld errno %d after shutdown, expected 0", g_ret, g_err);
	close(c);
	close(s);

	STEP("4: send blocked on a full buffer, shutdown from another thread");
	pair(&c, &s, (uint16_t)(t_ports.sctp + 2));
	g_fd = c;
	g_done = 0;
	CHECK(pthread_create(&t, NULL, do_send, NULL) == 0);
	usleep(1000 * 1000); /* fills the send buffer: the peer never reads */
	if (g_done)
		FAIL("4: send returned %ld errno %d before the buffer filled", g_ret, g_err);
	CHECK_SYS(shutdown(c, SHUT_RDWR));
	if (!returned_within(10000))
		FAIL("4: send still blocked 10 s after shutdown");
	pthread_join(t, NULL);
	if (g_ret < 0 && g_err != EPIPE)
		FAIL("4: send failed with errno %d (%s), expected EPIPE", g_err, strerror(g_err));
	t_log("4: send returned %ld (errno %d)", g_ret, g_err);
	close(c);
	close(s);

	STEP("3: accept blocked, close of the listener from another thread");
	{
		int l = t_sctp_socket(SOCK_STREAM);

		t_bind4(l, "127.0.0.1", (uint16_t)(t_ports.sctp + 3));
		CHECK_SYS(listen(l, 4));
		t = start(do_accept, l);
		c0 = cpu_now();
		close(l);
		usleep(1500 * 1000);
		used = cpu_now() - c0;
		if (used > 0.5)
			FAIL("3: %.2f s of CPU in 1.5 s after close (spinning)", used);
		t_log("3: accept %s after close; %.2f s CPU", g_done ? "returned" : "sleeps on", used);
	}
	t_pass();
}
