/*
 * t_badinput: bad arguments give the errno Linux gives and never crash.
 *
 * One process, two SCTP sockets talking to each other (one UDP port).
 * Every expected errno below was read off the Linux code path that handles
 * the call (kernel net/sctp/socket.c, net/socket.c, net/ipv4/ip_sockglue.c,
 * and lksctp-tools src/lib, which implements the sctp_* calls with
 * [gs]etsockopt/sendmsg/recvmsg); the comment on each group says where.
 *
 * Cases marked LIBCRASH are ones where lksctp-tools' libsctp itself
 * dereferences the bad pointer in user space and crashes; sctpudp must
 * instead fail with -1 and EFAULT (what the kernel returns for the same
 * pointer in a system call; EINVAL also accepted).  They are skipped with
 * SCTPUDP_TEST_LKSCTP=1.  Afterwards the association must still work.
 * A crash (SIGSEGV/SIGBUS) is reported with the case it happened in.
 */
#include "common.h"

#include <fcntl.h>
#include <sys/mman.h>

/* -1 with errno e1 or e2. */
#define CHECK_ERRNO2(expr, e1, e2)                                           \
	do {                                                                 \
		errno = 0;                                                   \
		long r_ = (long)(expr);                                      \
		int e_ = errno;                                              \
		if (r_ != -1 || (e_ != (e1) && e_ != (e2)))                  \
			FAIL("%s returned %ld errno %d (%s), expected -1 "   \
			     "errno %s or %s", #expr, r_, e_, strerror(e_),  \
			     #e1, #e2);                                      \
	} while (0)

static void on_crash(int sig)
{
	char buf[300];
	int n = snprintf(buf, sizeof(buf), "FAIL %s: crashed with signal %d in case: %s\n",
			 t_name, sig, t_step);

	if (n > 0 && write(STDOUT_FILENO, buf, (size_t)n) < 0)
		n = 0;
	_exit(4);
}

/* A descriptor number that is not open (EBADF for every call). */
static int closed_fd(void)
{
	for (int fd = 900;; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
			return fd;
}

/* The same sctp_* calls on a descriptor that is not a usable SCTP socket.
 * get_err: errno of the getsockopt-based calls (sctp_connectx, getpaddrs,
 * getladdrs, peeloff, opt_info), set_err: setsockopt-based (sctp_bindx),
 * io_err: sendmsg/recvmsg-based (-1: skip them). */
static void not_sctp(const char *what, int fd, int get_err, int set_err, int io_err)
{
	struct sockaddr_in a = t_addr4("127.0.0.1", (uint16_t)(t_ports.sctp + 3));
	struct sctp_initmsg im = { 1, 1, 1, 1 };
	struct sctp_rtoinfo rto = { 0, 0, 0, 0 };
	struct sctp_sndrcvinfo si = { 0 };
	struct sockaddr *addrs = NULL;
	char buf[8] = "x";
	struct iovec iov = { buf, 1 };
	socklen_t len = sizeof(im);
	sctp_assoc_t id = 0;
	int fl = 0;

	t_log("calls on %s", what);
	STEP(what);
	CHECK_ERRNO(getsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &im, &len), get_err);
	CHECK_ERRNO(setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof(im)), set_err);
	CHECK_ERRNO(sctp_bindx(fd, (struct sockaddr *)&a, 1, SCTP_BINDX_ADD_ADDR), set_err);
	CHECK_ERRNO(sctp_connectx(fd, (struct sockaddr *)&a, 1, &id), get_err);
	CHECK_ERRNO(sctp_getpaddrs(fd, 0, &addrs), get_err);
	CHECK_ERRNO(sctp_getladdrs(fd, 0, &addrs), get_err);
	CHECK_ERRNO(sctp_peeloff(fd, 1), get_err);
	len = sizeof(rto);
	CHECK_ERRNO(sctp_opt_info(fd, 0, SCTP_RTOINFO, &rto, &len), get_err);
	if (io_err < 0)
		return;
	CHECK_ERRNO(sctp_sendmsg(fd, "x", 1, NULL, 0, 0, 0, 0, 0, 0), io_err);
	CHECK_ERRNO(sctp_send(fd, "x", 1, &si, 0), io_err);
	CHECK_ERRNO(sctp_sendv(fd, &iov, 1, NULL, 0, NULL, 0, SCTP_SENDV_NOINFO, 0), io_err);
	CHECK_ERRNO(sctp_recvmsg(fd, buf, sizeof(buf), NULL, NULL, &si, &fl), io_err);
	fl = 0;
	CHECK_ERRNO(sctp_recvv(fd, &iov, 1, NULL, NULL, NULL, NULL, NULL, &fl), io_err);
}

int main(int argc, char **argv)
{
	struct sockaddr_in srv, unixish, me;
	struct sctp_initmsg im;
	struct sctp_rtoinfo rto;
	struct sctp_event ev;
	struct sctp_sndrcvinfo si;
	struct sockaddr *addrs = NULL;
	struct iovec iov;
	sctp_assoc_t id = 0;
	long ps = sysconf(_SC_PAGESIZE);
	char *page, *edge, buf[64], mis[sizeof(im) + 1];
	socklen_t len;
	int l, conn, acc, fd, m, udp, pfd[2], one = 1;

	t_init("t_badinput", argc, argv, 60);
	signal(SIGSEGV, on_crash);
	signal(SIGBUS, on_crash);
	/* The byte at `edge` is inaccessible; edge - 4 straddles the border. */
	page = mmap(NULL, (size_t)(2 * ps), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(page != MAP_FAILED);
	edge = page + ps;
	CHECK_SYS(mprotect(edge, (size_t)ps, PROT_NONE));

	STEP("setup: listener and connected pair in one process");
	t_use_udp(t_ports.udp_server, t_ports.udp_server);
	srv = t_addr4("127.0.0.1", t_ports.sctp);
	l = t_sctp_socket(SOCK_STREAM);
	t_bind4(l, "127.0.0.1", t_ports.sctp);
	CHECK_SYS(listen(l, 4));
	conn = t_sctp_socket(SOCK_STREAM);
	CHECK_SYS(connect(conn, (struct sockaddr *)&srv, sizeof(srv)));
	t_wait_fd(l, POLLIN, 10000);
	acc = (int)CHECK_SYS(accept(l, NULL, NULL));
	fd = t_sctp_socket(SOCK_STREAM);
	m = t_sctp_socket(SOCK_SEQPACKET);
	udp = (int)CHECK_SYS(socket(AF_INET, SOCK_DGRAM, 0));
	CHECK_SYS(pipe(pfd));
	memset(&im, 0, sizeof(im));
	memset(&rto, 0, sizeof(rto));
	unixish = srv;
	unixish.sin_family = AF_UNIX;

	/* sctp_getsockopt: get_user(len) fails -> EFAULT, len < 0 -> EINVAL;
	 * each option: len < sizeof -> EINVAL, copy to/from optval -> EFAULT. */
	STEP("getsockopt: short, negative, NULL, unmapped, straddling");
	len = sizeof(rto) - 1;
	CHECK_ERRNO(getsockopt(fd, IPPROTO_SCTP, SCTP_RTOINFO, &rto, &len), EINVAL);
	len = 0;
	CHECK_ERRNO(getsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &im, &len), EINVAL);
	len = (socklen_t)-1;
	CHECK_ERRNO(getsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &im, &len), EINVAL);
	len = sizeof(im);
	CHECK_ERRNO(getsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, NULL, &len), EFAULT);
	len = sizeof(im);
	CHECK_ERRNO(getsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, (void *)1, &len), EFAULT);
	CHECK_ERRNO(getsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &im, NULL), EFAULT);
	CHECK_ERRNO(getsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &im, (socklen_t *)1), EFAULT);
	len = sizeof(rto);
	CHECK_ERRNO(getsockopt(fd, IPPROTO_SCTP, SCTP_RTOINFO, edge - 8, &len), EFAULT);
	len = sizeof(int);
	CHECK_ERRNO(getsockopt(fd, IPPROTO_SCTP, 9999, buf, &len), ENOPROTOOPT);

	/* sctp_setsockopt: memdup_sockptr(optval, optlen) -> EFAULT first,
	 * then each option checks optlen (-> EINVAL) and values. */
	STEP("setsockopt: short, zero, NULL, unmapped, straddling, bad values");
	CHECK_ERRNO(setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof(im) - 1), EINVAL);
	CHECK_ERRNO(setsockopt(fd, IPPROTO_SCTP, SCTP_RTOINFO, NULL, 0), EINVAL);
	CHECK_ERRNO(setsockopt(fd, IPPROTO_SCTP, SCTP_NODELAY, &one, 2), EINVAL);
	CHECK_ERRNO(setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, NULL, sizeof(im)), EFAULT);
	CHECK_ERRNO(setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, (void *)1, sizeof(im)), EFAULT);
	CHECK_ERRNO(setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, edge - 4, sizeof(im)), EFAULT);
	CHECK_ERRNO(setsockopt(fd, IPPROTO_SCTP, 9999, &one, sizeof(one)), ENOPROTOOPT);
	CHECK_ERRNO(setsockopt(fd, IPPROTO_SCTP, SCTP_EVENTS, buf,
			       sizeof(struct sctp_event_subscribe) + 1), EINVAL);
	memset(&ev, 0, sizeof(ev));
	ev.se_type = 0x1234; /* below SCTP_SN_TYPE_BASE */
	CHECK_ERRNO(setsockopt(fd, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof(ev)), EINVAL);
	rto.srto_min = 5000; /* min > max */
	rto.srto_max = 1000;
	CHECK_ERRNO(setsockopt(fd, IPPROTO_SCTP, SCTP_RTOINFO, &rto, sizeof(rto)), EINVAL);

	STEP("misaligned but valid pointers work as on Linux");
	len = sizeof(im);
	CHECK_SYS(getsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, mis + 1, &len));
	CHECK_EQ(len, sizeof(im));
	CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, mis + 1, sizeof(im)));

	/* bind/connect: move_addr_to_kernel -> EFAULT; sctp_bind/sctp_connect
	 * -> EINVAL for a length below the family's sockaddr size. */
	STEP("bind/connect/accept argument errors");
	CHECK_ERRNO(bind(fd, NULL, sizeof(srv)), EFAULT);
	CHECK_ERRNO(bind(fd, (struct sockaddr *)&srv, 4), EINVAL);
	CHECK_ERRNO(connect(fd, NULL, sizeof(srv)), EFAULT);
	CHECK_ERRNO(connect(fd, (struct sockaddr *)&srv, 4), EINVAL);
	CHECK_ERRNO(accept(m, NULL, NULL), EOPNOTSUPP); /* one-to-many */

	/* libsctp: flags other than ADD/REM and unknown families -> EINVAL;
	 * kernel sctp_setsockopt_bindx: size 0 -> EINVAL; connectx3 with an
	 * empty list -> EINVAL. */
	STEP("sctp_bindx / sctp_connectx argument errors");
	me = t_addr4("127.0.0.1", (uint16_t)(t_ports.sctp + 2));
	CHECK_ERRNO(sctp_bindx(fd, (struct sockaddr *)&me, 1, 0), EINVAL);
	CHECK_ERRNO(sctp_bindx(fd, (struct sockaddr *)&me, 1, 3), EINVAL);
	CHECK_ERRNO(sctp_bindx(fd, (struct sockaddr *)&me, 0, SCTP_BINDX_ADD_ADDR), EINVAL);
	CHECK_ERRNO(sctp_bindx(fd, (struct sockaddr *)&unixish, 1, SCTP_BINDX_ADD_ADDR), EINVAL);
	CHECK_ERRNO(sctp_connectx(fd, (struct sockaddr *)&srv, 0, &id), EINVAL);
	CHECK_ERRNO(sctp_connectx(fd, (struct sockaddr *)&unixish, 1, &id), EINVAL);
	if (!t_lksctp()) {
		STEP("LIBCRASH: NULL / unmapped address arrays and result pointers");
		CHECK_ERRNO2(sctp_bindx(fd, NULL, 1, SCTP_BINDX_ADD_ADDR), EFAULT, EINVAL);
		CHECK_ERRNO2(sctp_bindx(fd, (void *)1, 1, SCTP_BINDX_ADD_ADDR), EFAULT, EINVAL);
		CHECK_ERRNO2(sctp_connectx(fd, NULL, 1, &id), EFAULT, EINVAL);
		CHECK_ERRNO2(sctp_connectx(fd, (void *)1, 1, &id), EFAULT, EINVAL);
		CHECK_ERRNO2(sctp_getpaddrs(conn, 0, NULL), EFAULT, EINVAL);
		CHECK_ERRNO2(sctp_getladdrs(conn, 0, (void *)1), EFAULT, EINVAL);
	}

	/* Kernel: no association for the id -> EINVAL (getpaddrs, peeloff);
	 * peeloff on a one-to-one socket -> EINVAL (sctp_do_peeloff). */
	STEP("unknown associations");
	CHECK_ERRNO(sctp_getpaddrs(fd, 0, &addrs), EINVAL);
	CHECK_ERRNO(sctp_getpaddrs(m, 4242, &addrs), EINVAL);
	CHECK_ERRNO(sctp_peeloff(m, 4242), EINVAL);
	CHECK_ERRNO(sctp_peeloff(conn, 1), EINVAL);

	/* sctp_sendmsg_parse/_to_asoc: copy from the iovec fails -> EFAULT,
	 * length 0 without SCTP_EOF/ABORT -> EINVAL, stream >= outbound
	 * streams -> EINVAL, address shorter than struct sockaddr -> EINVAL,
	 * unconnected one-to-one -> EPIPE (SIGPIPE is ignored). */
	STEP("sending bad buffers on a connected socket");
	CHECK_ERRNO(sctp_sendmsg(conn, NULL, 10, NULL, 0, 0, 0, 0, 0, 0), EFAULT);
	CHECK_ERRNO(sctp_sendmsg(conn, (void *)1, 10, NULL, 0, 0, 0, 0, 0, 0), EFAULT);
	CHECK_ERRNO(sctp_sendmsg(conn, edge - 4, 10, NULL, 0, 0, 0, 0, 0, 0), EFAULT);
	CHECK_ERRNO(sctp_sendmsg(conn, "x", 0, NULL, 0, 0, 0, 0, 0, 0), EINVAL);
	CHECK_ERRNO(sctp_sendmsg(conn, "x", 1, NULL, 0, 0, 0, 60000, 0, 0), EINVAL);
	CHECK_ERRNO(sctp_sendmsg(conn, "x", 1, (struct sockaddr *)&srv, 4, 0, 0, 0, 0, 0), EINVAL);
	CHECK_ERRNO(sctp_sendmsg(fd, "x", 1, NULL, 0, 0, 0, 0, 0, 0), EPIPE);
	memset(&si, 0, sizeof(si));
	CHECK_ERRNO(sctp_send(conn, NULL, 5, &si, 0), EFAULT);
	iov.iov_base = NULL;
	iov.iov_len = 5;
	CHECK_ERRNO(sctp_sendv(conn, &iov, 1, NULL, 0, NULL, 0, SCTP_SENDV_NOINFO, 0), EFAULT);

	/* A descriptor that is not open: fdget fails -> EBADF everywhere. */
	not_sctp("a closed descriptor", closed_fd(), EBADF, EBADF, EBADF);
	/* A pipe: sockfd_lookup fails -> ENOTSOCK everywhere. */
	not_sctp("a pipe", pfd[1], ENOTSOCK, ENOTSOCK, ENOTSOCK);
	/* A UDP socket: SOL_SCTP reaches udp_{get,set}sockopt -> ip_*sockopt:
	 * getsockopt with level != SOL_IP -> EOPNOTSUPP, setsockopt ->
	 * ENOPROTOOPT; libsctp's sctp_connectx returns the CONNECTX3
	 * getsockopt error as is. (sendmsg on UDP is a UDP send: skipped.) */
	not_sctp("a UDP socket", udp, EOPNOTSUPP, ENOPROTOOPT, -1);

	STEP("the association still works");
	t_send_msg(conn, "after", 6, NULL, 7, 0, 1);
	CHECK_EQ(t_recv_msg(acc, buf, sizeof(buf), NULL, NULL, NULL, 10000), 6);
	CHECK(memcmp(buf, "after", 6) == 0);
	t_send_msg(acc, "back", 5, NULL, 0, 0, 0);
	CHECK_EQ(t_recv_msg(conn, buf, sizeof(buf), NULL, NULL, NULL, 10000), 5);
	CHECK(memcmp(buf, "back", 5) == 0);

	close(conn);
	close(acc);
	close(fd);
	close(m);
	close(l);
	close(udp);
	close(pfd[0]);
	close(pfd[1]);
	t_pass();
}
