/*
 * t_sched: stream schedulers (SCTP_STREAM_SCHEDULER,
 * SCTP_STREAM_SCHEDULER_VALUE) as Linux 6.x has them: FCFS, PRIO, RR,
 * FC, WFQ.
 *
 *  1. The options: a new socket says FCFS; a value past SCTP_SS_MAX, a
 *     short length, a stream the association does not have, a WFQ weight
 *     of 0 and a value read without an association are EINVAL; the
 *     socket's scheduler (SCTP_FUTURE_ASSOC) is the new association's,
 *     a listener's its accepted ones';
 *     values read back; changing the scheduler resets them.
 *  2. WFQ over UDP: the client queues 400 messages of 1,000 bytes on
 *     stream 0 (weight 1) and 400 on stream 1 (weight 3) while the server
 *     reads nothing; then the server reads them all. Among the messages
 *     that arrive while both streams still have some queued, stream 1's
 *     share is 3/4 (checked within 0.6-0.9: the socket buffers hold part
 *     of the data in the order it was sent; tests/sim_idata.rs checks the
 *     shares within 5 %).
 *  3. PRIO over UDP: 300 messages on stream 0 (priority 5) queued before
 *     300 on stream 1 (priority 0): stream 1's last message arrives before
 *     stream 0's last.
 */
#include "common.h"

#include <fcntl.h>

static int connect_pair(int l, struct sockaddr_in *a, int *srv, int sched)
{
	int c = t_sctp_socket(SOCK_STREAM);
	struct sctp_assoc_value av = { .assoc_id = SCTP_FUTURE_ASSOC, .assoc_value = (uint32_t)sched };

	t_set_initmsg(c, 4, 4);
	t_set_int(c, SOL_SOCKET, SO_SNDBUF, 4 << 20);
	CHECK_SYS(setsockopt(c, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER, &av, sizeof(av)));
	CHECK_SYS(connect(c, (struct sockaddr *)a, sizeof(*a)));
	*srv = accept(l, NULL, NULL);
	CHECK_SYS(*srv);
	return c;
}

static void set_value(int fd, uint16_t sid, uint16_t v)
{
	struct sctp_stream_value sv = { .assoc_id = 0, .stream_id = sid, .stream_value = v };

	CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER_VALUE, &sv, sizeof(sv)));
}

/* Sends n messages of 1,000 bytes on stream sid without blocking. */
static void queue(int c, uint16_t sid, int n)
{
	static char msg[1000];

	for (int i = 0; i < n; i++)
		CHECK_EQ(sctp_sendmsg(c, msg, sizeof(msg), NULL, 0, 0, 0, sid, 0, 0), (ssize_t)sizeof(msg));
}

/* Reads n messages; order[i] = the stream of the i-th. */
static void read_all(int s, int n, int *order)
{
	static char buf[2000];

	for (int i = 0; i < n; i++) {
		struct sctp_sndrcvinfo si;
		int flags = 0;
		ssize_t r;

		t_wait_fd(s, POLLIN, 10000);
		r = sctp_recvmsg(s, buf, sizeof(buf), NULL, NULL, &si, &flags);
		CHECK_EQ(r, 1000);
		CHECK(flags & MSG_EOR);
		order[i] = si.sinfo_stream;
	}
}

int main(int argc, char **argv)
{
	static int order[1000];
	struct sockaddr_in a;
	struct sctp_assoc_value av;
	struct sctp_stream_value sv;
	struct sctp_event_subscribe ev;
	socklen_t len;
	uint16_t port;
	int l, c, s;

	t_init("t_sched", argc, argv, 60);
	t_pick_udp_ports(&port, 1);
	t_use_udp(port, port);
	a = t_addr4("127.0.0.1", t_ports.sctp);
	l = t_sctp_socket(SOCK_STREAM);
	t_bind4(l, "127.0.0.1", t_ports.sctp);
	t_set_initmsg(l, 4, 4);
	t_set_int(l, SOL_SOCKET, SO_RCVBUF, 65536);
	memset(&ev, 0, sizeof(ev));
	ev.sctp_data_io_event = 1;
	CHECK_SYS(setsockopt(l, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof(ev)));
	CHECK_SYS(listen(l, 8));

	STEP("1: defaults and errors");
	memset(&av, 0, sizeof(av));
	len = sizeof(av);
	CHECK_SYS(getsockopt(l, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER, &av, &len));
	CHECK_EQ(av.assoc_value, SCTP_SS_FCFS);
	CHECK_EQ(len, sizeof(av));
	av.assoc_value = 5;
	CHECK_ERRNO(setsockopt(l, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER, &av, sizeof(av)), EINVAL);
	av.assoc_value = 1;
	CHECK_ERRNO(setsockopt(l, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER, &av, 4), EINVAL);
	len = sizeof(sv);
	memset(&sv, 0, sizeof(sv));
	CHECK_ERRNO(getsockopt(l, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER_VALUE, &sv, &len), EINVAL);

	/* The listener's scheduler is its accepted associations'. */
	av.assoc_id = SCTP_FUTURE_ASSOC;
	av.assoc_value = SCTP_SS_RR;
	CHECK_SYS(setsockopt(l, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER, &av, sizeof(av)));
	c = connect_pair(l, &a, &s, 4 /* SCTP_SS_WFQ */);
	len = sizeof(av);
	av.assoc_id = 0;
	CHECK_SYS(getsockopt(c, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER, &av, &len));
	CHECK_EQ(av.assoc_value, 4);
	len = sizeof(av);
	CHECK_SYS(getsockopt(s, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER, &av, &len));
	CHECK_EQ(av.assoc_value, SCTP_SS_RR);
	sv.stream_id = 1;
	len = sizeof(sv);
	CHECK_SYS(getsockopt(c, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER_VALUE, &sv, &len));
	CHECK_EQ(sv.stream_value, 1); /* WFQ's default weight */
	sv.stream_value = 0;
	CHECK_ERRNO(setsockopt(c, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER_VALUE, &sv, sizeof(sv)), EINVAL);
	sv.stream_id = 4;
	sv.stream_value = 2;
	CHECK_ERRNO(setsockopt(c, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER_VALUE, &sv, sizeof(sv)), EINVAL);
	CHECK_ERRNO(getsockopt(c, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER_VALUE, &sv, &len), EINVAL);

	STEP("2: WFQ shares over UDP");
	set_value(c, 0, 1);
	set_value(c, 1, 3);
	sv.stream_id = 1;
	len = sizeof(sv);
	CHECK_SYS(getsockopt(c, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER_VALUE, &sv, &len));
	CHECK_EQ(sv.stream_value, 3);
	queue(c, 0, 400);
	queue(c, 1, 400);
	read_all(s, 800, order);
	{
		/* From the first message after the buffers' worth (what was
		 * in flight and in the receiver's buffer before it read), to
		 * the point where stream 1 ran out. */
		int last1 = 0, n0 = 0, n1 = 0;

		for (int i = 0; i < 800; i++)
			if (order[i] == 1)
				last1 = i;
		for (int i = 200; i < last1; i++)
			(*(order[i] ? &n1 : &n0))++;
		printf("WFQ 1:3: stream 1 had %d of %d messages (%.2f) while both were queued\n", n1,
		       n0 + n1, (double)n1 / (n0 + n1));
		CHECK(n0 + n1 > 100);
		CHECK((double)n1 / (n0 + n1) > 0.6 && (double)n1 / (n0 + n1) < 0.9);
	}
	close(c);
	close(s);

	STEP("3: PRIO over UDP");
	c = connect_pair(l, &a, &s, 1 /* SCTP_SS_PRIO */);
	set_value(c, 0, 5);
	set_value(c, 1, 0);
	queue(c, 0, 300);
	queue(c, 1, 300);
	read_all(s, 600, order);
	{
		int last0 = 0, last1 = 0;

		for (int i = 0; i < 600; i++)
			*(order[i] ? &last1 : &last0) = i;
		printf("PRIO: stream 1's last message %d, stream 0's %d\n", last1, last0);
		CHECK(last1 < last0);
	}
	STEP("1: a new scheduler drops the values");
	av.assoc_id = 0;
	av.assoc_value = SCTP_SS_PRIO;
	CHECK_SYS(setsockopt(c, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER, &av, sizeof(av)));
	sv.stream_id = 0;
	len = sizeof(sv);
	CHECK_SYS(getsockopt(c, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER_VALUE, &sv, &len));
	CHECK_EQ(sv.stream_value, 5); /* the same scheduler: kept */
	av.assoc_value = SCTP_SS_RR;
	CHECK_SYS(setsockopt(c, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER, &av, sizeof(av)));
	av.assoc_value = SCTP_SS_PRIO;
	CHECK_SYS(setsockopt(c, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER, &av, sizeof(av)));
	CHECK_SYS(getsockopt(c, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER_VALUE, &sv, &len));
	CHECK_EQ(sv.stream_value, 0);
	close(c);
	close(s);
	close(l);
	t_pass();
}
