/*
 * t_heap: the library leaves the application's malloc heap alone.
 *
 * sctpudp lives inside other people's programs; its own allocations come
 * from a private heap (src/heap.rs), so a program's malloc returns what it
 * would return without sctpudp. A program that reads malloc'ed memory
 * before writing it (lksctp-tools' test_1_to_1_connectx does, with a
 * sockaddr it expects to be zero) must see no difference.
 *
 * One process: a one-to-many listener and a one-to-one client on
 * loopback (the host stack may have to be started for this), options, an
 * association, 50 messages each way, notifications, sctp_getpaddrs, the
 * association's shutdown. glibc's mallinfo2() is read before and after:
 * no arena may appear or grow, no block may stay in use, no mmapped
 * block may be made. sctp_getpaddrs' list is malloc'ed (libsctp's is, and
 * programs free() it) and freed before the second reading.
 */
#include "common.h"
#include <malloc.h>

static struct mallinfo2 before, after;
static void *volatile prime;

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { 0 };
	struct sctp_event_subscribe ev = { 0 };
	struct sctp_sndrcvinfo si;
	struct sockaddr *addrs;
	char buf[2048];
	int l, c, flags, i, n;

	t_init("t_heap", argc, argv, 60);
	/* stdio buffers come from malloc: make stdout's and stderr's now. */
	fprintf(stdout, "%s", "");
	fprintf(stderr, "%s", "");
	t_use_udp(0, 0);
	/* sctp_getpaddrs' list takes a 16-byte block and free() puts it in
	 * glibc's per-thread cache, which mallinfo2 counts as in use: have
	 * one there already, as a program that used malloc would. */
	prime = malloc(16); /* volatile: the compiler may not drop the pair */
	free(prime);
	before = mallinfo2();

	STEP("listener");
	l = t_sctp_socket(SOCK_SEQPACKET);
	t_bind4(l, "127.0.0.1", t_ports.sctp);
	ev.sctp_data_io_event = 1;
	ev.sctp_association_event = 1;
	CHECK_SYS(setsockopt(l, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof(ev)));
	CHECK_SYS(listen(l, 8));

	STEP("client");
	c = t_sctp_socket(SOCK_STREAM);
	sa.sin_family = AF_INET;
	sa.sin_port = htons(t_ports.sctp);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_SYS(connect(c, (struct sockaddr *)&sa, sizeof(sa)));
	n = CHECK_SYS(sctp_getpaddrs(c, 0, &addrs));
	CHECK_EQ(n, 1);
	free(addrs); /* as programs do with libsctp's list */

	STEP("messages");
	for (i = 0; i < 50; i++) {
		memset(buf, 'a' + i % 26, sizeof(buf));
		CHECK_SYS(sctp_sendmsg(c, buf, 100 + 30 * i, NULL, 0, 0, 0, 0, 0, 0));
	}
	for (i = 0; i < 50;) {
		t_wait_fd(l, POLLIN, 10000);
		flags = 0;
		n = CHECK_SYS(sctp_recvmsg(l, buf, sizeof(buf), NULL, NULL, &si, &flags));
		if (flags & MSG_NOTIFICATION)
			continue; /* COMM_UP */
		CHECK_EQ(n, 100 + 30 * i);
		CHECK_SYS(sctp_send(l, buf, n, &si, 0));
		i++;
	}
	for (i = 0; i < 50; i++) {
		t_wait_fd(c, POLLIN, 10000);
		n = CHECK_SYS(recv(c, buf, sizeof(buf), 0));
		CHECK_EQ(n, 100 + 30 * i);
	}
	STEP("close");
	CHECK_SYS(close(c));
	CHECK_SYS(close(l));

	after = mallinfo2();
	if (after.arena != before.arena || after.uordblks != before.uordblks ||
	    after.hblks != before.hblks || after.hblkhd != before.hblkhd)
		FAIL("the application's heap changed: arena %zu -> %zu, in use %zu -> %zu, "
		     "mmapped blocks %zu -> %zu (%zu -> %zu bytes)",
		     before.arena, after.arena, before.uordblks, after.uordblks,
		     before.hblks, after.hblks, before.hblkhd, after.hblkhd);
	t_pass();
}
