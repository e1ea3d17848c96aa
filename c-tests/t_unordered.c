/*
 * t_unordered: SCTP_UNORDERED messages all arrive, intact, exactly once.
 *
 * The client sends 400 messages on a one-to-one association without waiting:
 *  - 0..299 with sctp_sendmsg(): every 4th (seq % 4 == 3) ordered on
 *    stream 1, the rest with SCTP_UNORDERED on stream 0 or 1;
 *  - 300..399 with plain send() after setting SCTP_DEFAULT_SNDINFO to
 *    {stream 1, SCTP_UNORDERED, ppid 77}: Linux applies the socket/assoc
 *    defaults when a send carries no SCTP_SNDRCV/SCTP_SNDINFO cmsg.
 * Sizes run from 5 bytes to 6000 (several fragments), plus two of 40000.
 *
 * The server checks each message's bytes (seeded by its sequence number,
 * carried in the first 4 bytes), that each sequence number arrives once,
 * that sinfo_flags has SCTP_UNORDERED exactly for the unordered ones (Linux
 * reports the DATA chunk's U bit there), that stream and ppid match, and
 * that the ordered ones on stream 1 arrive in sending order.  Unordered
 * messages may arrive in any order.  Then it sends a 1-byte ack and waits
 * for EOF.
 */
#include "common.h"

#define N_EXPLICIT 300
#define N_MSGS 400
#define DEFAULT_PPID 77
#define MAX_LEN 40000

static size_t len_of(uint32_t seq)
{
	if (seq == 150 || seq == 350)
		return MAX_LEN;
	return 5 + (seq * 53) % 6000;
}

static int is_unordered(uint32_t seq) { return seq >= N_EXPLICIT || seq % 4 != 3; }
static uint16_t stream_of(uint32_t seq) { return seq >= N_EXPLICIT || seq % 2 ? 1 : 0; }
static uint32_t ppid_of(uint32_t seq) { return seq >= N_EXPLICIT ? DEFAULT_PPID : htonl(seq); }

static void make_msg(char *buf, uint32_t seq)
{
	uint32_t be = htonl(seq);

	memcpy(buf, &be, 4);
	t_fill(buf + 4, len_of(seq) - 4, seq);
}

static int server(t_sync *s, void *arg)
{
	static char buf[MAX_LEN + 1];
	static unsigned char seen[N_MSGS];
	long last_ordered = -1;
	int l, c, got = 0, unordered_early = 0;

	(void)arg;
	t_use_udp(t_ports.udp_server, t_ports.udp_client);
	STEP("server: listen");
	l = t_sctp_socket(SOCK_STREAM);
	t_bind4(l, "127.0.0.1", t_ports.sctp);
	t_enable_data_io(l);
	CHECK_SYS(listen(l, 1));
	t_post(s, 'L');
	t_wait_fd(l, POLLIN, 20000);
	c = (int)CHECK_SYS(accept(l, NULL, NULL));

	while (got < N_MSGS) {
		struct sctp_sndrcvinfo si;
		uint32_t seq;
		size_t n;
		int fl;

		STEP("server: receive");
		n = t_recv_msg(c, buf, sizeof(buf), &si, &fl, NULL, 15000);
		if (n == 0)
			FAIL("EOF after %d of %d messages", got, N_MSGS);
		CHECK(n >= 4);
		memcpy(&seq, buf, 4);
		seq = ntohl(seq);
		if (seq >= N_MSGS)
			FAIL("bad sequence number %u", seq);
		if (seen[seq]++)
			FAIL("message %u delivered twice", seq);
		CHECK_EQ(n, len_of(seq));
		if (t_check_fill(buf + 4, n - 4, seq) >= 0)
			FAIL("message %u corrupted", seq);
		CHECK_EQ(si.sinfo_stream, stream_of(seq));
		CHECK_EQ(si.sinfo_ppid, ppid_of(seq));
		CHECK_EQ(!!(si.sinfo_flags & SCTP_UNORDERED), is_unordered(seq));
		if (!is_unordered(seq)) {
			if ((long)seq < last_ordered)
				FAIL("ordered message %u after %ld", seq, last_ordered);
			last_ordered = seq;
		} else if (got < (int)seq) {
			unordered_early++;
		}
		got++;
	}
	t_log("%d unordered messages overtook earlier ones", unordered_early);
	STEP("server: ack and wait for EOF");
	CHECK_EQ(send(c, "k", 1, 0), 1);
	CHECK_EQ(t_recv_msg(c, buf, sizeof(buf), NULL, NULL, NULL, 15000), 0);
	close(c);
	close(l);
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[MAX_LEN];
	struct sockaddr_in srv;
	struct sctp_sndinfo def;
	t_sync s = { 0 };
	pid_t pid;
	int fd;

	t_init("t_unordered", argc, argv, 60);
	pid = t_fork("server", &s, server, NULL);
	t_use_udp(t_ports.udp_client, t_ports.udp_server);
	t_await(&s, 'L', 20000);

	STEP("client: connect");
	srv = t_addr4("127.0.0.1", t_ports.sctp);
	fd = t_sctp_socket(SOCK_STREAM);
	CHECK_SYS(connect(fd, (struct sockaddr *)&srv, sizeof(srv)));

	STEP("client: sctp_sendmsg with and without SCTP_UNORDERED");
	for (uint32_t seq = 0; seq < N_EXPLICIT; seq++) {
		make_msg(buf, seq);
		t_send_msg(fd, buf, len_of(seq), NULL, ppid_of(seq),
			   is_unordered(seq) ? SCTP_UNORDERED : 0, stream_of(seq));
	}

	STEP("client: send() with SCTP_DEFAULT_SNDINFO unordered");
	memset(&def, 0, sizeof(def));
	def.snd_sid = 1;
	def.snd_flags = SCTP_UNORDERED;
	def.snd_ppid = DEFAULT_PPID;
	CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_DEFAULT_SNDINFO, &def, sizeof(def)));
	for (uint32_t seq = N_EXPLICIT; seq < N_MSGS; seq++) {
		make_msg(buf, seq);
		for (;;) {
			ssize_t n = send(fd, buf, len_of(seq), 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				DIE("send(message %u)", seq);
			CHECK_EQ(n, (long)len_of(seq));
			break;
		}
	}

	STEP("client: wait for the server's ack");
	CHECK_EQ(t_recv_msg(fd, buf, sizeof(buf), NULL, NULL, NULL, 30000), 1);
	CHECK_EQ(buf[0], 'k');
	CHECK_SYS(close(fd));
	t_wait_child(pid, "server", 30);
	t_pass();
}
