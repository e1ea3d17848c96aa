/*
 * t_sendv_recvv: sctp_sendv() with SCTP_SENDV_SNDINFO / SPA / PRINFO /
 * NOINFO and sctp_recvv() with SCTP_RECVRCVINFO (and SCTP_RECVNXTINFO).
 *
 * Client (this process): a one-to-many socket; its first sctp_sendv() to
 * the server address sets up the association implicitly.  It sends 4
 * messages, each gathered from 3 iovecs:
 *   0: SCTP_SENDV_SNDINFO {sid 2, ppid 0x11223344}
 *   1: SCTP_SENDV_SPA with SCTP_SEND_SNDINFO_VALID {sid 4, ppid 0x55,
 *      SCTP_UNORDERED}
 *   2: SCTP_SENDV_NOINFO (socket defaults: sid 0, ppid 0)
 *   3: SCTP_SENDV_PRINFO {SCTP_PR_SCTP_TTL, 60 s} (delivered in time)
 * Server (child, one-to-one, SCTP_RECVRCVINFO and SCTP_RECVNXTINFO on,
 * SCTP_CONTEXT 99): sctp_recvv() into 2 iovecs (the message length tells
 * which one arrived, as streams need not keep their relative order); infotype is
 * SCTP_RECVV_RCVINFO, or SCTP_RECVV_RN when the next message was already
 * there (then nxt_sid/nxt_ppid/nxt_length describe it); rcv_sid, rcv_ppid,
 * the SCTP_UNORDERED bit in rcv_flags and rcv_context (= SCTP_CONTEXT) are
 * checked, as are MSG_EOR and the bytes.  It answers with sctp_sendv
 * {sid 1, ppid 7}; the client reads it with sctp_recvv (RCVINFO only):
 * rcv_sid 1, rcv_ppid 7, rcv_assoc_id = the association, from = server.
 */
#include "common.h"

struct msgdef { unsigned infotype; uint16_t sid; uint32_t ppid; int unordered; };

static const struct msgdef msgs[4] = {
	{ SCTP_SENDV_SNDINFO, 2, 0x11223344, 0 },
	{ SCTP_SENDV_SPA, 4, 0x55, 1 },
	{ SCTP_SENDV_NOINFO, 0, 0, 0 },
	{ SCTP_SENDV_PRINFO, 0, 0, 0 },
};
#define PART3 1000
#define MSG_LEN(i) (3 + 5 + PART3 + (size_t)(i))

static void build(int i, char *out)
{
	memcpy(out, "abc", 3);
	memcpy(out + 3, "defgh", 5);
	t_fill(out + 8, PART3 + (size_t)i, (uint32_t)i);
}

static int server(t_sync *s, void *arg)
{
	char buf[2 * PART3], want[2 * PART3];
	struct sctp_assoc_value ctx = { 0, 99 };
	unsigned seen = 0;
	int l, c;

	(void)arg;
	t_use_udp(t_ports.udp_server, t_ports.udp_client);
	STEP("server: listen");
	l = t_sctp_socket(SOCK_STREAM);
	t_bind4(l, "127.0.0.1", t_ports.sctp);
	CHECK_SYS(listen(l, 1));
	t_post(s, 'L');
	t_wait_fd(l, POLLIN, 20000);
	c = (int)CHECK_SYS(accept(l, NULL, NULL));
	t_set_int(c, IPPROTO_SCTP, SCTP_RECVRCVINFO, 1);
	t_set_int(c, IPPROTO_SCTP, SCTP_RECVNXTINFO, 1);
	CHECK_SYS(setsockopt(c, IPPROTO_SCTP, SCTP_CONTEXT, &ctx, sizeof(ctx)));

	for (int k = 0; k < 4; k++) {
		struct iovec iov[2] = { { buf, 10 }, { buf + 10, sizeof(buf) - 10 } };
		struct sctp_recvv_rn rn;
		socklen_t infolen = sizeof(rn);
		unsigned int infotype = 0xffff;
		int fl = 0, n, i, j;

		STEP("server: sctp_recvv");
		t_wait_fd(c, POLLIN, 15000);
		memset(&rn, 0, sizeof(rn));
		n = sctp_recvv(c, iov, 2, NULL, NULL, &rn, &infolen, &infotype, &fl);
		if (n < 0)
			DIE("sctp_recvv (message %d)", k);
		CHECK(fl & MSG_EOR);
		CHECK(!(fl & MSG_NOTIFICATION));
		/* Streams may be delivered in any relative order: the length
		 * says which message this is. */
		i = n - (int)MSG_LEN(0);
		if (i < 0 || i > 3 || (seen & (1u << i)))
			FAIL("unexpected message of %d bytes", n);
		seen |= 1u << i;
		build(i, want);
		if (memcmp(buf, want, (size_t)n) != 0)
			FAIL("message %d: bytes differ", i);
		if (infotype == SCTP_RECVV_RN) {
			CHECK_EQ(infolen, sizeof(struct sctp_recvv_rn));
			j = (int)rn.recvv_nxtinfo.nxt_length - (int)MSG_LEN(0);
			CHECK(j >= 0 && j <= 3 && !(seen & (1u << j)));
			CHECK_EQ(rn.recvv_nxtinfo.nxt_sid, msgs[j].sid);
			CHECK_EQ(rn.recvv_nxtinfo.nxt_ppid, msgs[j].ppid);
		} else {
			CHECK_EQ(infotype, SCTP_RECVV_RCVINFO);
			CHECK_EQ(infolen, sizeof(struct sctp_rcvinfo));
		}
		CHECK_EQ(rn.recvv_rcvinfo.rcv_sid, msgs[i].sid);
		CHECK_EQ(rn.recvv_rcvinfo.rcv_ppid, msgs[i].ppid);
		CHECK_EQ(!!(rn.recvv_rcvinfo.rcv_flags & SCTP_UNORDERED), msgs[i].unordered);
		CHECK_EQ(rn.recvv_rcvinfo.rcv_context, 99);
	}

	STEP("server: answer with sctp_sendv");
	{
		struct iovec iov = { (void *)"answer", 7 };
		struct sctp_sndinfo si;

		memset(&si, 0, sizeof(si));
		si.snd_sid = 1;
		si.snd_ppid = 7;
		CHECK_EQ(sctp_sendv(c, &iov, 1, NULL, 0, &si, sizeof(si),
				    SCTP_SENDV_SNDINFO, 0), 7);
	}
	STEP("server: wait for EOF");
	CHECK_EQ(t_recv_msg(c, buf, sizeof(buf), NULL, NULL, NULL, 15000), 0);
	close(c);
	close(l);
	return 0;
}

int main(int argc, char **argv)
{
	char out[2 * PART3], in[64];
	struct sockaddr_in srv, from;
	socklen_t flen = sizeof(from);
	struct sctp_rcvinfo ri;
	socklen_t infolen = sizeof(ri);
	unsigned int infotype = 0xffff;
	sctp_assoc_t id;
	t_sync s = { 0 };
	int fd, fl = 0, n;
	pid_t pid;

	t_init("t_sendv_recvv", argc, argv, 60);
	pid = t_fork("server", &s, server, NULL);
	t_use_udp(t_ports.udp_client, t_ports.udp_server);
	t_await(&s, 'L', 20000);
	srv = t_addr4("127.0.0.1", t_ports.sctp);
	fd = t_sctp_socket(SOCK_SEQPACKET);
	t_set_int(fd, IPPROTO_SCTP, SCTP_RECVRCVINFO, 1);

	for (int i = 0; i < 4; i++) {
		struct iovec iov[3];
		struct sctp_sndinfo si;
		struct sctp_sendv_spa spa;
		struct sctp_prinfo pr;
		void *info = NULL;
		socklen_t ilen = 0;

		STEP("client: sctp_sendv");
		build(i, out);
		iov[0].iov_base = out;
		iov[0].iov_len = 3;
		iov[1].iov_base = out + 3;
		iov[1].iov_len = 5;
		iov[2].iov_base = out + 8;
		iov[2].iov_len = PART3 + (size_t)i;
		memset(&si, 0, sizeof(si));
		si.snd_sid = msgs[i].sid;
		si.snd_ppid = msgs[i].ppid;
		si.snd_flags = msgs[i].unordered ? SCTP_UNORDERED : 0;
		if (msgs[i].infotype == SCTP_SENDV_SNDINFO) {
			info = &si;
			ilen = sizeof(si);
		} else if (msgs[i].infotype == SCTP_SENDV_SPA) {
			memset(&spa, 0, sizeof(spa));
			spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
			spa.sendv_sndinfo = si;
			info = &spa;
			ilen = sizeof(spa);
		} else if (msgs[i].infotype == SCTP_SENDV_PRINFO) {
			memset(&pr, 0, sizeof(pr));
			pr.pr_policy = SCTP_PR_SCTP_TTL;
			pr.pr_value = 60000;
			info = &pr;
			ilen = sizeof(pr);
		}
		n = sctp_sendv(fd, iov, 3, (struct sockaddr *)&srv, 1, info, ilen,
			       msgs[i].infotype, 0);
		if (n < 0)
			DIE("sctp_sendv (message %d)", i);
		CHECK_EQ(n, MSG_LEN(i));
	}

	STEP("client: sctp_recvv the answer");
	{
		struct iovec iov = { in, sizeof(in) };

		t_wait_fd(fd, POLLIN, 15000);
		memset(&ri, 0, sizeof(ri));
		n = sctp_recvv(fd, &iov, 1, (struct sockaddr *)&from, &flen, &ri,
			       &infolen, &infotype, &fl);
		if (n < 0)
			DIE("sctp_recvv");
	}
	CHECK_EQ(n, 7);
	CHECK(memcmp(in, "answer", 7) == 0);
	CHECK(fl & MSG_EOR);
	CHECK_EQ(infotype, SCTP_RECVV_RCVINFO);
	CHECK_EQ(infolen, sizeof(ri));
	CHECK_EQ(ri.rcv_sid, 1);
	CHECK_EQ(ri.rcv_ppid, 7);
	CHECK_EQ(flen, sizeof(from));
	CHECK(from.sin_addr.s_addr == srv.sin_addr.s_addr && from.sin_port == srv.sin_port);
	CHECK_EQ(t_get_int(fd, IPPROTO_SCTP, SCTP_GET_ASSOC_NUMBER), 1);
	{
		struct { struct sctp_assoc_ids h; sctp_assoc_t more[3]; } ids;
		socklen_t len = sizeof(ids);

		CHECK_SYS(getsockopt(fd, IPPROTO_SCTP, SCTP_GET_ASSOC_ID_LIST, &ids, &len));
		id = ids.h.gaids_assoc_id[0];
	}
	CHECK_EQ(ri.rcv_assoc_id, id);

	CHECK_SYS(close(fd));
	t_wait_child(pid, "server", 30);
	t_pass();
}
