/*
 * t_getpaddrs: sctp_getpaddrs() / sctp_getladdrs() return the loopback
 * addresses and ports of each end, and sctp_freepaddrs() / freeladdrs()
 * release them.
 *
 * Ports: P = server, P+1 = one-to-one client, P+2 = one-to-many client,
 * all on 127.0.0.1 and bound explicitly (the client with sctp_bindx
 * SCTP_BINDX_ADD_ADDR on an unbound socket, which Linux treats as bind), so
 * every expected list holds exactly one address.
 *
 * Client (this process):
 *  - before connecting, sctp_getladdrs(fd, 0) = {127.0.0.1:P+1};
 *  - one-to-one: getpaddrs(fd, 0) = {127.0.0.1:P}, getladdrs = {:P+1};
 *  - one-to-many, with the id from sctp_connectx: getpaddrs(m, id) =
 *    {127.0.0.1:P}, getladdrs(m, id) = {:P+2}; getladdrs(m, 0) gives the
 *    socket's bound addresses = {:P+2}; getpaddrs(m, 0) fails with EINVAL
 *    (Linux: id 0 names no association on a one-to-many socket).
 * Server (child): the listening socket's getladdrs(l, 0) = {:P} and its
 *  getpaddrs(l, 0) fails with EINVAL (no association); each accepted socket
 *  has getpaddrs = {client} and getladdrs = {:P}.
 */
#include "common.h"

static void expect_one(const char *what, int cnt, struct sockaddr *addrs,
		       uint16_t port)
{
	struct sockaddr_in *a = (struct sockaddr_in *)addrs;

	if (cnt != 1)
		FAIL("%s returned %d addresses, expected 1", what, cnt);
	CHECK(addrs != NULL);
	if (a->sin_family != AF_INET || a->sin_addr.s_addr != htonl(INADDR_LOOPBACK) ||
	    ntohs(a->sin_port) != port)
		FAIL("%s gave %s, expected 127.0.0.1:%u", what, t_addr_str(addrs), port);
}

static void check_paddrs(int fd, sctp_assoc_t id, uint16_t port)
{
	struct sockaddr *addrs = NULL;
	int cnt = sctp_getpaddrs(fd, id, &addrs);

	if (cnt < 0)
		DIE("sctp_getpaddrs(fd %d, id %d)", fd, id);
	expect_one("sctp_getpaddrs", cnt, addrs, port);
	CHECK_EQ(sctp_freepaddrs(addrs), 0);
}

static void check_laddrs(int fd, sctp_assoc_t id, uint16_t port)
{
	struct sockaddr *addrs = NULL;
	int cnt = sctp_getladdrs(fd, id, &addrs);

	if (cnt < 0)
		DIE("sctp_getladdrs(fd %d, id %d)", fd, id);
	expect_one("sctp_getladdrs", cnt, addrs, port);
	CHECK_EQ(sctp_freeladdrs(addrs), 0);
}

static int server(t_sync *s, void *arg)
{
	uint16_t P = t_ports.sctp;
	struct sockaddr *addrs = NULL;
	char buf[64];
	int l, c[2];

	(void)arg;
	t_use_udp(t_ports.udp_server, t_ports.udp_client);
	STEP("server: listen");
	l = t_sctp_socket(SOCK_STREAM);
	t_bind4(l, "127.0.0.1", P);
	CHECK_SYS(listen(l, 4));
	check_laddrs(l, 0, P);
	CHECK_ERRNO(sctp_getpaddrs(l, 0, &addrs), EINVAL);
	t_post(s, 'L');

	for (int i = 0; i < 2; i++) {
		STEP("server: accept and check addresses");
		t_wait_fd(l, POLLIN, 20000);
		c[i] = (int)CHECK_SYS(accept(l, NULL, NULL));
		check_paddrs(c[i], 0, (uint16_t)(P + 1 + i));
		check_laddrs(c[i], 0, P);
	}
	t_post(s, 'K');
	STEP("server: wait for both clients to close");
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(t_recv_msg(c[i], buf, sizeof(buf), NULL, NULL, NULL, 15000), 0);
		close(c[i]);
	}
	close(l);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in srv, me;
	struct sockaddr *addrs = NULL;
	sctp_assoc_t id = 0;
	t_sync s = { 0 };
	uint16_t P;
	pid_t pid;
	int fd, m;

	t_init("t_getpaddrs", argc, argv, 60);
	P = t_ports.sctp;
	pid = t_fork("server", &s, server, NULL);
	t_use_udp(t_ports.udp_client, t_ports.udp_server);
	t_await(&s, 'L', 20000);
	srv = t_addr4("127.0.0.1", P);

	STEP("client: one-to-one, sctp_bindx then connect");
	fd = t_sctp_socket(SOCK_STREAM);
	me = t_addr4("127.0.0.1", (uint16_t)(P + 1));
	CHECK_SYS(sctp_bindx(fd, (struct sockaddr *)&me, 1, SCTP_BINDX_ADD_ADDR));
	check_laddrs(fd, 0, (uint16_t)(P + 1));
	CHECK_SYS(connect(fd, (struct sockaddr *)&srv, sizeof(srv)));
	check_paddrs(fd, 0, P);
	check_laddrs(fd, 0, (uint16_t)(P + 1));

	STEP("client: one-to-many, sctp_connectx");
	m = t_sctp_socket(SOCK_SEQPACKET);
	t_bind4(m, "127.0.0.1", (uint16_t)(P + 2));
	CHECK_SYS(sctp_connectx(m, (struct sockaddr *)&srv, 1, &id));
	CHECK(id != 0);
	check_paddrs(m, id, P);
	check_laddrs(m, id, (uint16_t)(P + 2));
	check_laddrs(m, 0, (uint16_t)(P + 2));
	CHECK_ERRNO(sctp_getpaddrs(m, 0, &addrs), EINVAL);

	STEP("client: wait for the server's checks, then close");
	t_await(&s, 'K', 20000);
	CHECK_SYS(close(fd));
	CHECK_SYS(close(m));
	t_wait_child(pid, "server", 30);
	t_pass();
}
