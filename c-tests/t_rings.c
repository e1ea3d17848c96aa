/*
 * t_rings: what a program sees of a one-to-one socket once its data moves
 * on the shared-memory rings (after a few sends and receives; DESIGN.md,
 * "The data path: rings") is what it saw before, and what Linux gives.
 *
 *  1. Order: 3000 messages on one ordered stream, 1 byte to 70,000 (those
 *     over 64 KiB take the request path, the rest the ring): all arrive,
 *     intact, in order, with their PPID and stream.
 *  2. Short reads and MSG_PEEK of a message in the receive ring: a peek
 *     returns the start and leaves it; reads of 300 then 1000 bytes give
 *     300 bytes without MSG_EOR, then the other 700 with MSG_EOR.
 *  3. FIONREAD gives the next message's length; once it is read the
 *     descriptor polls unreadable at once (the doorbell is taken back).
 *  4. Two processes reading one socket (fork): 2,000 messages, each read
 *     exactly once by one of them.
 *  5. Closing with data unread in the receive ring aborts the association
 *     (as Linux does with unread data): the peer gets SCTP_COMM_LOST.
 */
#include "common.h"

#include <sys/ioctl.h>

#define N_ORDER 3000
#define BIG 70000
#define N_FORK 2000

static size_t len_of(uint32_t seq)
{
	if (seq % 97 == 5)
		return BIG;
	return 4 + (seq * 131) % 3000;
}

static void make_msg(char *buf, uint32_t seq)
{
	uint32_t be = htonl(seq);
	size_t n = len_of(seq);

	memcpy(buf, &be, 4);
	t_fill(buf + 4, n - 4, seq);
}

/* recvmsg of at most cap bytes (flags as given); returns length, sets *fl. */
static ssize_t rd(int fd, void *buf, size_t cap, int flags, int *fl)
{
	struct iovec iov = { buf, cap };
	struct msghdr m = { 0 };
	ssize_t n;

	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	t_wait_fd(fd, POLLIN, 10000);
	n = recvmsg(fd, &m, flags);
	if (n < 0)
		DIE("recvmsg");
	*fl = m.msg_flags;
	return n;
}

/* One reader of phase 4: reads until a 1-byte stop message; writes each
 * sequence number it read to `out`. */
static void fork_reader(int c, int out)
{
	char buf[64];

	for (;;) {
		struct pollfd p = { c, POLLIN, 0 };
		int fl = 0;
		ssize_t n;

		if (poll(&p, 1, 10000) <= 0)
			FAIL("phase 4: reader %d waited 10 s", (int)getpid());
		n = recv(c, buf, sizeof buf, MSG_DONTWAIT);
		(void)fl;
		if (n < 0 && errno == EAGAIN)
			continue; /* the other reader took it */
		if (n < 0)
			DIE("phase 4: recv");
		if (n == 1)
			return;
		CHECK_EQ(n, 8);
		if (write(out, buf, 4) != 4)
			DIE("phase 4: pipe");
	}
}

static int server(t_sync *s, void *arg)
{
	static char buf[BIG + 16], want[BIG + 16];
	int l, c, fl;

	(void)arg;
	t_use_udp(t_ports.udp_server, t_ports.udp_client);
	l = t_sctp_socket(SOCK_STREAM);
	t_bind4(l, "127.0.0.1", t_ports.sctp);
	t_enable_data_io(l);
	CHECK_SYS(listen(l, 1));
	t_post(s, 'L');
	t_wait_fd(l, POLLIN, 20000);
	c = (int)CHECK_SYS(accept(l, NULL, NULL));

	STEP("phase 1: order");
	for (uint32_t seq = 0; seq < N_ORDER; seq++) {
		struct sctp_sndrcvinfo si;
		size_t n = t_recv_msg(c, buf, sizeof buf, &si, &fl, NULL, 15000);
		uint32_t got;

		if (n < 4)
			FAIL("phase 1: message %u: %zu bytes", seq, n);
		memcpy(&got, buf, 4);
		if (ntohl(got) != seq)
			FAIL("phase 1: message %u arrived where %u was due", ntohl(got), seq);
		CHECK_EQ(n, len_of(seq));
		make_msg(want, seq);
		if (memcmp(buf, want, n))
			FAIL("phase 1: message %u corrupted", seq);
		CHECK_EQ(ntohl(si.sinfo_ppid), seq);
		CHECK_EQ(si.sinfo_stream, 3);
	}
	t_post(s, '1');

	STEP("phase 2: peek and short reads");
	t_fill(want, 1000, 2);
	CHECK_EQ(rd(c, buf, 100, MSG_PEEK, &fl), 100);
	CHECK(memcmp(buf, want, 100) == 0);
	CHECK(!(fl & MSG_EOR));
	CHECK_EQ(rd(c, buf, 300, 0, &fl), 300);
	CHECK(!(fl & MSG_EOR));
	CHECK(memcmp(buf, want, 300) == 0);
	CHECK_EQ(rd(c, buf, 1000, 0, &fl), 700);
	CHECK(fl & MSG_EOR);
	CHECK(memcmp(buf, want + 300, 700) == 0);
	t_post(s, '2');

	STEP("phase 3: FIONREAD and poll");
	{
		int avail = -1;
		struct pollfd p = { c, POLLIN, 0 };

		t_wait_fd(c, POLLIN, 10000);
		CHECK_SYS(ioctl(c, FIONREAD, &avail));
		CHECK_EQ(avail, 10);
		CHECK_EQ(rd(c, buf, sizeof buf, 0, &fl), 10);
		CHECK_EQ(poll(&p, 1, 0), 0);
	}
	t_post(s, '3');

	STEP("phase 4: two readers");
	{
		static unsigned char seen[N_FORK];
		int pp[2];
		pid_t kid;
		uint32_t v;
		int total = 0;

		CHECK_SYS(pipe(pp));
		kid = fork();
		CHECK_SYS(kid);
		if (kid == 0) {
			close(pp[0]);
			fork_reader(c, pp[1]);
			_exit(0);
		}
		close(pp[1]);
		t_post(s, 'F');
		{
			/* This process reads too, into the same pipe's reader. */
			int q[2];
			pid_t me;

			CHECK_SYS(pipe(q));
			me = fork();
			CHECK_SYS(me);
			if (me == 0) {
				close(q[0]);
				fork_reader(c, q[1]);
				_exit(0);
			}
			close(q[1]);
			while (read(q[0], &v, 4) == 4) {
				if (v >= N_FORK || seen[v]++)
					FAIL("phase 4: message %u read twice (or bad)", v);
				total++;
			}
			close(q[0]);
			t_wait_child(me, "reader 1", 20);
		}
		while (read(pp[0], &v, 4) == 4) {
			if (v >= N_FORK || seen[v]++)
				FAIL("phase 4: message %u read twice (or bad)", v);
			total++;
		}
		close(pp[0]);
		t_wait_child(kid, "reader 2", 20);
		CHECK_EQ(total, N_FORK);
	}
	t_post(s, '4');

	STEP("phase 5: close with data unread");
	t_await(s, '5', 20000);
	t_wait_fd(c, POLLIN, 10000);
	/* Give all five time to arrive (they come in one or two packets). */
	usleep(200000);
	close(c);
	close(l);
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[BIG + 16];
	struct sockaddr_in srv;
	t_sync s = { 0 };
	pid_t pid;
	int fd;

	t_init("t_rings", argc, argv, 90);
	pid = t_fork("server", &s, server, NULL);
	t_use_udp(t_ports.udp_client, t_ports.udp_server);
	t_await(&s, 'L', 20000);

	srv = t_addr4("127.0.0.1", t_ports.sctp);
	fd = t_sctp_socket(SOCK_STREAM);
	t_set_initmsg(fd, 8, 8);
	CHECK_SYS(connect(fd, (struct sockaddr *)&srv, sizeof(srv)));
	{
		uint16_t ev[] = { SCTP_ASSOC_CHANGE };

		t_subscribe(fd, ev, 1);
	}

	STEP("phase 1: send");
	for (uint32_t seq = 0; seq < N_ORDER; seq++) {
		make_msg(buf, seq);
		t_send_msg(fd, buf, len_of(seq), NULL, htonl(seq), 0, 3);
	}
	t_await(&s, '1', 30000);

	STEP("phase 2: send");
	t_fill(buf, 1000, 2);
	t_send_msg(fd, buf, 1000, NULL, 0, 0, 0);
	t_await(&s, '2', 20000);

	STEP("phase 3: send");
	t_send_msg(fd, "0123456789", 10, NULL, 0, 0, 0);
	t_await(&s, '3', 20000);

	STEP("phase 4: send");
	t_await(&s, 'F', 20000);
	for (uint32_t seq = 0; seq < N_FORK; seq++) {
		uint32_t m[2] = { seq, ~seq };

		t_send_msg(fd, m, 8, NULL, 0, 0, seq % 8);
	}
	t_send_msg(fd, "x", 1, NULL, 0, 0, 0);
	t_send_msg(fd, "y", 1, NULL, 0, 0, 0);
	t_await(&s, '4', 30000);

	STEP("phase 5: send, then the peer closes without reading");
	for (int i = 0; i < 5; i++)
		t_send_msg(fd, "unread", 6, NULL, 0, 0, 0);
	t_post(&s, '5');
	for (;;) {
		struct sctp_sndrcvinfo si;
		int fl = 0;
		size_t n = t_recv_msg(fd, buf, sizeof buf, &si, &fl, NULL, 10000);
		union sctp_notification *sn = (void *)buf;

		if (n == 0)
			FAIL("phase 5: end of file where SCTP_COMM_LOST was due (a graceful close)");
		if (!(fl & MSG_NOTIFICATION))
			FAIL("phase 5: %zu bytes of data", n);
		if (sn->sn_header.sn_type != SCTP_ASSOC_CHANGE)
			continue;
		if (sn->sn_assoc_change.sac_state == SCTP_COMM_LOST)
			break;
		if (sn->sn_assoc_change.sac_state == SCTP_SHUTDOWN_COMP)
			FAIL("phase 5: SCTP_SHUTDOWN_COMP where SCTP_COMM_LOST was due");
	}
	close(fd);
	t_wait_child(pid, "server", 20);
	t_pass();
}
