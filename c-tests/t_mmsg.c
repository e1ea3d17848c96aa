/*
 * t_mmsg: sendmmsg() and recvmmsg() on SCTP sockets (programs that batch
 * their system calls use them on any socket). One process, one stack: a
 * one-to-one listener and client on two SCTP ports; three messages go out
 * in one sendmmsg and come back in one recvmmsg (MSG_WAITFORONE), each
 * with its own length and MSG_EOR.
 */
#include "common.h"

int main(int argc, char **argv)
{
	t_init("t_mmsg", argc, argv, 60);
	t_use_udp(t_ports.udp_server, t_ports.udp_server);
	int l = t_sctp_socket(SOCK_STREAM);
	t_bind4(l, "127.0.0.1", t_ports.sctp);
	CHECK_SYS(listen(l, 1));
	int c = t_sctp_socket(SOCK_STREAM);
	struct sockaddr_in to = t_addr4("127.0.0.1", t_ports.sctp);
	STEP("connect");
	CHECK_SYS(connect(c, (struct sockaddr *)&to, sizeof to));
	int a = (int)CHECK_SYS(accept(l, NULL, NULL));

	STEP("sendmmsg");
	const char *txt[3] = { "one", "second message", "3" };
	struct iovec iov[3];
	struct mmsghdr out[3];
	memset(out, 0, sizeof out);
	for (int i = 0; i < 3; i++) {
		iov[i].iov_base = (void *)txt[i];
		iov[i].iov_len = strlen(txt[i]);
		out[i].msg_hdr.msg_iov = &iov[i];
		out[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK_EQ(sendmmsg(c, out, 3, 0), 3);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(out[i].msg_len, strlen(txt[i]));

	STEP("recvmmsg");
	char buf[3][64];
	struct iovec riov[3];
	struct mmsghdr in[3];
	int got = 0;
	while (got < 3) {
		memset(in, 0, sizeof in);
		for (int i = 0; i < 3; i++) {
			riov[i].iov_base = buf[i];
			riov[i].iov_len = sizeof buf[i];
			in[i].msg_hdr.msg_iov = &riov[i];
			in[i].msg_hdr.msg_iovlen = 1;
		}
		t_wait_fd(a, POLLIN, 10000);
		int n = (int)CHECK_SYS(recvmmsg(a, in, (unsigned)(3 - got), MSG_WAITFORONE, NULL));
		CHECK(n >= 1);
		for (int i = 0; i < n; i++, got++) {
			CHECK_EQ(in[i].msg_len, strlen(txt[got]));
			CHECK(in[i].msg_hdr.msg_flags & MSG_EOR);
			CHECK(memcmp(buf[i], txt[got], in[i].msg_len) == 0);
		}
	}
	close(a);
	close(c);
	close(l);
	t_pass();
}
