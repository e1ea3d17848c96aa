/*
 * t_sizes: messages from 1 byte to 1 MiB, echoed over a one-to-one
 * association (fragmentation, reassembly, partial delivery).
 *
 * Sizes: 1, 100, 1452, 1453 (around one packet of payload with the UDP
 * encapsulation overhead), 65536, 262144, 1048576.  For each size the client
 * sends one message (sctp_sendmsg) and waits for its echo, so the send queue
 * is empty when the next one starts.
 *
 * Checks:
 *  - the server reads each message with recvmsg calls of at most 4096 bytes:
 *    a longer message arrives in several pieces, MSG_EOR is clear on every
 *    piece but the last and set on the last (the Linux partial-read rule);
 *    the pieces concatenate to the exact bytes sent;
 *  - the client reads the echo into one big buffer with SCTP_PARTIAL_
 *    DELIVERY_POINT set low; however many pieces the stack delivers, only
 *    the last has MSG_EOR and the bytes and stream/ppid are intact.
 *
 * Linux refuses a message longer than the socket send buffer (EMSGSIZE,
 * checked in sctp_sendmsg_parse), so both sides raise SO_SNDBUF (and try
 * SO_SNDBUFFORCE); a failure then says which limit was hit.
 */
#include "common.h"

static const size_t sizes[] = { 1, 100, 1452, 1453, 65536, 262144, 1048576 };
#define N_SIZES (sizeof(sizes) / sizeof(sizes[0]))
#define MAX_SIZE 1048576
#define SERVER_CHUNK 4096

static void big_buffers(int fd)
{
	int want = 4 * MAX_SIZE, snd;

	/* Linux doubles the value and caps it at 2 * net.core.[rw]mem_max. */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
	snd = t_get_int(fd, SOL_SOCKET, SO_SNDBUF);
	if (snd <= MAX_SIZE) { /* privileged override; EPERM is fine */
		setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want));
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want));
	}
}

static void send_big(int fd, const void *buf, size_t len, uint32_t ppid,
		     uint16_t stream)
{
	int n = sctp_sendmsg(fd, buf, len, NULL, 0, ppid, 0, stream, 0, 0);

	if (n < 0 && errno == EMSGSIZE)
		FAIL("sctp_sendmsg(%zu bytes): EMSGSIZE with SO_SNDBUF = %d; "
		     "Linux needs sk_sndbuf >= message size (raise "
		     "net.core.wmem_max or run as root)", len,
		     t_get_int(fd, SOL_SOCKET, SO_SNDBUF));
	if (n < 0)
		DIE("sctp_sendmsg(%zu bytes)", len);
	CHECK_EQ(n, (long)len);
}

/* Read one message in recvmsg calls of at most `chunk` bytes. */
static size_t recv_chunked(int fd, char *buf, size_t cap, size_t chunk,
			   struct sctp_sndrcvinfo *sinfo, int *pieces)
{
	size_t total = 0;

	*pieces = 0;
	for (;;) {
		struct sctp_sndrcvinfo si;
		size_t want = cap - total < chunk ? cap - total : chunk;
		int fl = 0, n;

		CHECK(want > 0);
		t_wait_fd(fd, POLLIN, 20000);
		n = sctp_recvmsg(fd, buf + total, want, NULL, NULL, &si, &fl);
		if (n < 0)
			DIE("sctp_recvmsg after %zu bytes", total);
		if (n == 0 && total == 0)
			return 0;
		CHECK(n > 0);
		CHECK(!(fl & MSG_NOTIFICATION));
		CHECK((size_t)n <= want);
		if (*pieces == 0)
			*sinfo = si;
		(*pieces)++;
		total += (size_t)n;
		if (fl & MSG_EOR)
			return total;
		/* Not the end: the piece must have filled what we asked for,
		 * or the stack is delivering a partial message. */
	}
}

static int server(t_sync *s, void *arg)
{
	char *buf = malloc(MAX_SIZE + 1);
	int l, c;

	(void)arg;
	CHECK(buf != NULL);
	t_use_udp(t_ports.udp_server, t_ports.udp_client);
	STEP("server: listen");
	l = t_sctp_socket(SOCK_STREAM);
	t_bind4(l, "127.0.0.1", t_ports.sctp);
	t_enable_data_io(l);
	big_buffers(l);
	CHECK_SYS(listen(l, 1));
	t_post(s, 'L');
	t_wait_fd(l, POLLIN, 20000);
	c = (int)CHECK_SYS(accept(l, NULL, NULL));
	big_buffers(c);

	for (size_t i = 0;; i++) {
		struct sctp_sndrcvinfo si;
		int pieces;
		size_t n;
		long bad;

		STEP("server: receive in 4096-byte pieces");
		n = recv_chunked(c, buf, MAX_SIZE + 1, SERVER_CHUNK, &si, &pieces);
		if (n == 0)
			break;
		CHECK(i < N_SIZES);
		CHECK_EQ(n, sizes[i]);
		CHECK(pieces >= (int)((n + SERVER_CHUNK - 1) / SERVER_CHUNK));
		CHECK_EQ(si.sinfo_ppid, htonl((uint32_t)n));
		bad = t_check_fill(buf, n, (uint32_t)n);
		if (bad >= 0)
			FAIL("%zu-byte message: byte %ld differs", n, bad);
		STEP("server: echo");
		send_big(c, buf, n, si.sinfo_ppid, si.sinfo_stream);
	}
	close(c);
	close(l);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in srv;
	char *out, *in;
	uint32_t pd_point = 8192;
	t_sync s = { 0 };
	pid_t pid;
	int fd;

	t_init("t_sizes", argc, argv, 100);
	out = malloc(MAX_SIZE);
	in = malloc(MAX_SIZE + 1);
	CHECK(out && in);
	pid = t_fork("server", &s, server, NULL);
	t_use_udp(t_ports.udp_client, t_ports.udp_server);
	t_await(&s, 'L', 20000);

	STEP("client: connect");
	srv = t_addr4("127.0.0.1", t_ports.sctp);
	fd = t_sctp_socket(SOCK_STREAM);
	t_enable_data_io(fd);
	big_buffers(fd);
	/* Start partial delivery once 8 KiB of a message is waiting. */
	CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_PARTIAL_DELIVERY_POINT,
			     &pd_point, sizeof(pd_point)));
	CHECK_SYS(connect(fd, (struct sockaddr *)&srv, sizeof(srv)));
	t_log("SO_SNDBUF %d, SO_RCVBUF %d", t_get_int(fd, SOL_SOCKET, SO_SNDBUF),
	      t_get_int(fd, SOL_SOCKET, SO_RCVBUF));

	for (size_t i = 0; i < N_SIZES; i++) {
		struct sctp_sndrcvinfo si;
		size_t len = sizes[i], n;
		int fl, pieces;
		long bad;

		STEP("client: send");
		t_fill(out, len, (uint32_t)len);
		send_big(fd, out, len, htonl((uint32_t)len), (uint16_t)(i % 2));
		STEP("client: receive echo");
		n = t_recv_msg(fd, in, MAX_SIZE + 1, &si, &fl, &pieces, 30000);
		if (n == 0)
			FAIL("server closed before echoing %zu bytes", len);
		CHECK(fl & MSG_EOR);
		CHECK_EQ(n, len);
		CHECK_EQ(si.sinfo_stream, i % 2);
		CHECK_EQ(si.sinfo_ppid, htonl((uint32_t)len));
		bad = t_check_fill(in, n, (uint32_t)len);
		if (bad >= 0)
			FAIL("echo of %zu bytes: byte %ld differs", len, bad);
		if (pieces > 1)
			t_log("%zu-byte echo arrived in %d pieces", len, pieces);
	}
	STEP("client: close");
	CHECK_SYS(close(fd));
	t_wait_child(pid, "server", 30);
	t_pass();
}
