/*
 * t_auth: AUTH (RFC 4895) through the socket API, as Linux 6.x has it.
 *
 *  1. Off by default (net.sctp.auth_enable=0): SCTP_AUTH_SUPPORTED reads
 *     0; SCTP_AUTH_CHUNK, SCTP_HMAC_IDENT and SCTP_AUTH_KEY are EACCES;
 *     getsockopt of a set-only option is EOPNOTSUPP.
 *  2. On: the options' lengths and errnos: HMAC list without SHA-1
 *     EINVAL, an unknown HMAC EOPNOTSUPP, never-authenticated chunk types
 *     EINVAL; keys added, made active, the active one not deletable,
 *     deactivated ones not activatable, unknown ones EINVAL;
 *     SCTP_LOCAL_AUTH_CHUNKS of the socket, and too short a buffer.
 *  3. Over UDP between two host stacks (server in a child process): the
 *     server accepts DATA only authenticated, the client SACK; both use
 *     shared key 1 (active) and SHA-256 first. The association reports
 *     AUTH in use, the peer's and its own lists, and 200 messages echo;
 *     no SCTP_AUTH_NO_AUTH event. A second client whose key 1 differs
 *     gets its association, but its DATA is never delivered.
 */
#include "common.h"

#include <time.h>

#define N 200

static double t_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void set_on(int fd)
{
	struct sctp_assoc_value av = { .assoc_id = SCTP_FUTURE_ASSOC, .assoc_value = 1 };

	CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_AUTH_SUPPORTED, &av, sizeof(av)));
}

static void add_chunk(int fd, uint8_t type)
{
	struct sctp_authchunk c = { .sauth_chunk = type };

	CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_AUTH_CHUNK, &c, sizeof(c)));
}

static int set_key(int fd, sctp_assoc_t id, uint16_t num, const char *key)
{
	char buf[sizeof(struct sctp_authkey) + 64];
	struct sctp_authkey *k = (void *)buf;
	size_t n = strlen(key);

	k->sca_assoc_id = id;
	k->sca_keynumber = num;
	k->sca_keylength = (uint16_t)n;
	memcpy(k->sca_key, key, n);
	return setsockopt(fd, IPPROTO_SCTP, SCTP_AUTH_KEY, buf, (socklen_t)(sizeof(*k) + n));
}

static int keyop(int fd, int opt, uint16_t num)
{
	struct sctp_authkeyid k;

	/* (memset: the struct's padding goes to the stack too.) */
	memset(&k, 0, sizeof(k));
	k.scact_assoc_id = SCTP_FUTURE_ASSOC;
	k.scact_keynumber = num;
	return setsockopt(fd, IPPROTO_SCTP, opt, &k, sizeof(k));
}

static void set_hmacs(int fd, int n, const uint16_t *ids, int want_errno)
{
	char buf[sizeof(struct sctp_hmacalgo) + 8 * sizeof(uint16_t)];
	struct sctp_hmacalgo *h = (void *)buf;

	h->shmac_num_idents = (uint32_t)n;
	memcpy(h->shmac_idents, ids, (size_t)n * sizeof(uint16_t));
	if (want_errno)
		CHECK_ERRNO(setsockopt(fd, IPPROTO_SCTP, SCTP_HMAC_IDENT, buf,
				       (socklen_t)(sizeof(*h) + (size_t)n * 2)),
			    want_errno);
	else
		CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_HMAC_IDENT, buf,
				     (socklen_t)(sizeof(*h) + (size_t)n * 2)));
}

/* The chunk list an option gives for id; returns the count. */
static int chunk_list(int fd, int opt, sctp_assoc_t id, uint8_t *out)
{
	char buf[sizeof(struct sctp_authchunks) + 64];
	struct sctp_authchunks *c = (void *)buf;
	socklen_t len = sizeof(buf);

	memset(buf, 0, sizeof(buf));
	c->gauth_assoc_id = id;
	CHECK_SYS(getsockopt(fd, IPPROTO_SCTP, opt, buf, &len));
	CHECK_EQ(len, sizeof(*c) + c->gauth_number_of_chunks);
	memcpy(out, c->gauth_chunks, c->gauth_number_of_chunks);
	return (int)c->gauth_number_of_chunks;
}

static uint32_t supported(int fd, sctp_assoc_t id)
{
	struct sctp_assoc_value av = { .assoc_id = id };
	socklen_t len = sizeof(av);

	CHECK_SYS(getsockopt(fd, IPPROTO_SCTP, SCTP_AUTH_SUPPORTED, &av, &len));
	return av.assoc_value;
}

static void configure(int fd, uint8_t required, const char *key)
{
	static const uint16_t sha256_first[] = { SCTP_AUTH_HMAC_ID_SHA256, SCTP_AUTH_HMAC_ID_SHA1 };

	set_on(fd);
	set_hmacs(fd, 2, sha256_first, 0);
	add_chunk(fd, required);
	CHECK_SYS(set_key(fd, SCTP_FUTURE_ASSOC, 1, key));
	CHECK_SYS(keyop(fd, SCTP_AUTH_ACTIVE_KEY, 1));
}

static int server(t_sync *s, void *arg)
{
	static char buf[2000];
	int l, c, i;

	(void)arg;
	t_use_udp(t_ports.udp_server, t_ports.udp_client);
	l = t_sctp_socket(SOCK_STREAM);
	t_bind4(l, "127.0.0.1", t_ports.sctp);
	configure(l, 0 /* DATA */, "shared secret");
	{
		struct sctp_event_subscribe ev = { .sctp_association_event = 1,
						   .sctp_authentication_event = 1 };
		CHECK_SYS(setsockopt(l, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof(ev)));
	}
	CHECK_SYS(listen(l, 5));
	t_post(s, 'L');

	STEP("server: accept the good client");
	t_wait_fd(l, POLLIN, 20000);
	c = (int)CHECK_SYS(accept(l, NULL, NULL));
	CHECK_EQ(supported(c, 0), 1);
	{
		uint8_t list[64];
		CHECK_EQ(chunk_list(c, SCTP_PEER_AUTH_CHUNKS, 0, list), 1);
		CHECK_EQ(list[0], 3); /* the client wants SACK */
		CHECK_EQ(chunk_list(c, SCTP_LOCAL_AUTH_CHUNKS, 0, list), 1);
		CHECK_EQ(list[0], 0);
	}
	for (i = 0; i < N;) {
		struct sctp_sndrcvinfo si;
		int fl;
		size_t n = t_recv_msg(c, buf, sizeof(buf), &si, &fl, NULL, 15000);

		CHECK(n > 0);
		if (fl & MSG_NOTIFICATION) {
			union sctp_notification *sn = (void *)buf;
			if (sn->sn_header.sn_type == SCTP_AUTHENTICATION_EVENT)
				CHECK(sn->sn_authkey_event.auth_indication != SCTP_AUTH_NO_AUTH);
			continue;
		}
		CHECK_EQ(n, 100 + (size_t)i);
		t_send_msg(c, buf, n, NULL, 0, 0, 0);
		i++;
	}

	STEP("server: the client with another key");
	t_wait_fd(l, POLLIN, 20000);
	int c2 = (int)CHECK_SYS(accept(l, NULL, NULL));
	t_post(s, 'A');
	/* Its DATA never passes: within 2 s, notifications only. */
	{
		int notes = 0;
		double end = t_now() + 2.0;
		while (t_now() < end) {
			struct pollfd pf = { .fd = c2, .events = POLLIN };
			if (poll(&pf, 1, 100) != 1)
				continue;
			int fl = 0;
			ssize_t n = sctp_recvmsg(c2, buf, sizeof(buf), NULL, NULL, NULL, &fl);
			CHECK(n > 0);
			if (!(fl & MSG_NOTIFICATION))
				FAIL("data with the wrong key was delivered: %zd bytes", n);
			notes++;
		}
		t_log("the mis-keyed client's association: %d notifications, no data", notes);
	}
	t_post(s, 'D');
	t_await(s, 'E', 20000);
	close(c2);
	close(c);
	close(l);
	return 0;
}

int main(int argc, char **argv)
{
	static char out[2000], in[2000];
	struct sctp_authkeyid kid;
	socklen_t len;
	uint8_t list[64];
	t_sync s = { 0 };
	pid_t pid;
	int m, fd;

	t_init("t_auth", argc, argv, 90);
	memset(&kid, 0, sizeof(kid));
	pid = t_fork("server", &s, server, NULL);
	t_use_udp(t_ports.udp_client, t_ports.udp_server);

	STEP("1: off by default");
	m = t_sctp_socket(SOCK_SEQPACKET);
	CHECK_EQ(supported(m, SCTP_FUTURE_ASSOC), 0);
	{
		struct sctp_authchunk c = { .sauth_chunk = 0 };
		uint16_t sha1 = SCTP_AUTH_HMAC_ID_SHA1;
		CHECK_ERRNO(setsockopt(m, IPPROTO_SCTP, SCTP_AUTH_CHUNK, &c, sizeof(c)), EACCES);
		set_hmacs(m, 1, &sha1, EACCES);
		CHECK_ERRNO(set_key(m, SCTP_FUTURE_ASSOC, 1, "k"), EACCES);
		len = sizeof(kid);
		CHECK_ERRNO(getsockopt(m, IPPROTO_SCTP, SCTP_AUTH_KEY, &kid, &len), EOPNOTSUPP);
		len = sizeof(kid);
		kid.scact_assoc_id = SCTP_FUTURE_ASSOC;
		CHECK_ERRNO(getsockopt(m, IPPROTO_SCTP, SCTP_AUTH_ACTIVE_KEY, &kid, &len), EACCES);
	}

	STEP("2: the options");
	set_on(m);
	CHECK_EQ(supported(m, SCTP_FUTURE_ASSOC), 1);
	{
		char buf[16];
		struct sctp_hmacalgo *h = (void *)buf;
		memset(buf, 0, sizeof(buf));
		uint16_t only256 = SCTP_AUTH_HMAC_ID_SHA256, bad[] = { 1, 2 }, both[] = { 3, 1 };
		len = sizeof(buf);
		CHECK_SYS(getsockopt(m, IPPROTO_SCTP, SCTP_HMAC_IDENT, buf, &len));
		CHECK_EQ(len, 6);
		CHECK_EQ(h->shmac_num_idents, 1);
		CHECK_EQ(h->shmac_idents[0], SCTP_AUTH_HMAC_ID_SHA1);
		set_hmacs(m, 1, &only256, EINVAL);
		set_hmacs(m, 2, bad, EOPNOTSUPP);
		set_hmacs(m, 2, both, 0);
		len = 6;
		CHECK_ERRNO(getsockopt(m, IPPROTO_SCTP, SCTP_HMAC_IDENT, buf, &len), EINVAL);
		len = sizeof(buf);
		CHECK_SYS(getsockopt(m, IPPROTO_SCTP, SCTP_HMAC_IDENT, buf, &len));
		CHECK_EQ(len, 8);
		CHECK(h->shmac_idents[0] == 3 && h->shmac_idents[1] == 1);
	}
	{
		struct sctp_authchunk c = { .sauth_chunk = 1 /* INIT */ };
		uint8_t two[2] = { 0, 0 };
		CHECK_ERRNO(setsockopt(m, IPPROTO_SCTP, SCTP_AUTH_CHUNK, &c, sizeof(c)), EINVAL);
		CHECK_ERRNO(setsockopt(m, IPPROTO_SCTP, SCTP_AUTH_CHUNK, two, 2), EINVAL);
		add_chunk(m, 0);
		add_chunk(m, 0xc1);
		CHECK_EQ(chunk_list(m, SCTP_LOCAL_AUTH_CHUNKS, SCTP_FUTURE_ASSOC, list), 2);
		CHECK(list[0] == 0 && list[1] == 0xc1);
		char small[sizeof(struct sctp_authchunks) + 1];
		struct sctp_authchunks *ac = (void *)small;
		memset(small, 0, sizeof(small));
		ac->gauth_assoc_id = SCTP_FUTURE_ASSOC;
		len = sizeof(small);
		CHECK_ERRNO(getsockopt(m, IPPROTO_SCTP, SCTP_LOCAL_AUTH_CHUNKS, small, &len), EINVAL);
		len = sizeof(small);
		CHECK_ERRNO(getsockopt(m, IPPROTO_SCTP, SCTP_PEER_AUTH_CHUNKS, small, &len), EINVAL);
	}
	{
		struct sctp_authkey k0;
		memset(&k0, 0, sizeof(k0));
		CHECK_ERRNO(setsockopt(m, IPPROTO_SCTP, SCTP_AUTH_KEY, &k0, sizeof(k0)), EINVAL);
	}
	CHECK_SYS(set_key(m, SCTP_FUTURE_ASSOC, 1, "one"));
	CHECK_SYS(keyop(m, SCTP_AUTH_ACTIVE_KEY, 1));
	len = sizeof(kid);
	kid.scact_assoc_id = SCTP_FUTURE_ASSOC;
	CHECK_SYS(getsockopt(m, IPPROTO_SCTP, SCTP_AUTH_ACTIVE_KEY, &kid, &len));
	CHECK_EQ(kid.scact_keynumber, 1);
	CHECK_ERRNO(keyop(m, SCTP_AUTH_DELETE_KEY, 1), EINVAL);
	CHECK_ERRNO(keyop(m, SCTP_AUTH_ACTIVE_KEY, 9), EINVAL);
	CHECK_SYS(keyop(m, SCTP_AUTH_ACTIVE_KEY, 0));
	CHECK_SYS(keyop(m, SCTP_AUTH_DEACTIVATE_KEY, 1));
	CHECK_ERRNO(keyop(m, SCTP_AUTH_ACTIVE_KEY, 1), EINVAL);
	CHECK_SYS(keyop(m, SCTP_AUTH_DELETE_KEY, 1));
	CHECK_ERRNO(keyop(m, SCTP_AUTH_DELETE_KEY, 1), EINVAL);
	{
		struct sctp_authkeyid k;
		memset(&k, 0, sizeof(k));
		k.scact_assoc_id = 1234;
		CHECK_ERRNO(setsockopt(m, IPPROTO_SCTP, SCTP_AUTH_ACTIVE_KEY, &k, sizeof(k)), EINVAL);
	}
	close(m);

	STEP("3: authenticated echo over UDP");
	t_await(&s, 'L', 20000);
	struct sockaddr_in srv = t_addr4("127.0.0.1", t_ports.sctp);
	fd = t_sctp_socket(SOCK_STREAM);
	configure(fd, 3 /* SACK */, "shared secret");
	CHECK_SYS(connect(fd, (struct sockaddr *)&srv, sizeof(srv)));
	CHECK_EQ(supported(fd, 0), 1);
	CHECK_EQ(chunk_list(fd, SCTP_PEER_AUTH_CHUNKS, 0, list), 1);
	CHECK_EQ(list[0], 0);
	for (int i = 0; i < N; i++) {
		size_t n = 100 + (size_t)i;
		struct sctp_sndrcvinfo si;
		int fl;
		t_fill(out, n, (uint32_t)i);
		t_send_msg(fd, out, n, NULL, 0, 0, 0);
		CHECK_EQ(t_recv_msg(fd, in, sizeof(in), &si, &fl, NULL, 15000), n);
		CHECK(t_check_fill(in, n, (uint32_t)i) < 0);
	}

	STEP("3: a client with another key 1");
	int bad = t_sctp_socket(SOCK_STREAM);
	configure(bad, 3, "wrong secret");
	CHECK_SYS(connect(bad, (struct sockaddr *)&srv, sizeof(srv)));
	t_await(&s, 'A', 20000);
	t_send_msg(bad, "never", 5, NULL, 0, 0, 0);
	t_await(&s, 'D', 20000);
	t_post(&s, 'E');
	close(bad);
	close(fd);
	t_wait_child(pid, "server", 30);
	t_pass();
}
