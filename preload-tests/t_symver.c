/*
 * t_symver: which sctp_* definitions an lksctp-linked binary binds to under
 * LD_PRELOAD, and that both paths work.
 *
 * A binary linked with -lsctp references versioned symbols
 * (sctp_connectx@VERS_3, sctp_bindx@VERS_1, ...).  Under
 * LD_PRELOAD=libsctpudp.so those references bind to sctpudp's unversioned
 * definitions (the preloaded object comes first and an unversioned
 * definition satisfies a versioned reference).  Programs can still reach
 * libsctp.so.1's own functions (dlvsym, or a library that resolved them
 * itself), which work through the private socket options and cmsgs
 * (SCTP_SOCKOPT_BINDX_ADD, SCTP_SOCKOPT_CONNECTX3, SCTP_SOCKOPT_PEELOFF,
 * SCTP_GET_PEER_ADDRS, ...).  This test runs the same scenario over:
 *
 *   path "bound":  the sctp_* names as the dynamic linker bound them;
 *   path "libsctp": libsctp.so.1's definitions, taken with dlvsym();
 *   connectx@VERS_1 and @VERS_2 of libsctp (old setsockopt interfaces);
 *   a reference to sctp_connectx@VERS_1 compiled into this binary (the
 *     3-argument form of old binaries): it must connect, and must not
 *     write through whatever the caller left in the 4th argument register.
 *
 * Scenario: one-to-many socket, sctp_bindx of 127.0.0.1 and 127.0.0.2,
 * sctp_connectx to both addresses of an echo server, sctp_getpaddrs and
 * sctp_getladdrs (2 each), sctp_opt_info(SCTP_STATUS), sctp_sendmsg +
 * sctp_recvmsg, sctp_send, sctp_sendv + sctp_recvv (SCTP_RCVINFO), and
 * sctp_peeloff then send/recv on the peeled-off socket.
 *
 * Modes: "t_symver paths" (the scenario over both paths, and libsctp's
 * connectx@VERS_1/@VERS_2) and "t_symver v1ref" (the binary's own
 * sctp_connectx@VERS_1 reference).
 *
 * Build: cc -o t_symver t_symver.c -lsctp -ldl ; run under LD_PRELOAD.
 */
#include "pt.h"
#include <dlfcn.h>
#include <sys/uio.h>

typedef struct {
	const char *name;
	__typeof__(&sctp_bindx) bindx;
	__typeof__(&sctp_connectx) connectx;
	__typeof__(&sctp_getpaddrs) getpaddrs;
	__typeof__(&sctp_freepaddrs) freepaddrs;
	__typeof__(&sctp_getladdrs) getladdrs;
	__typeof__(&sctp_freeladdrs) freeladdrs;
	__typeof__(&sctp_opt_info) opt_info;
	__typeof__(&sctp_sendmsg) sendmsg;
	__typeof__(&sctp_recvmsg) recvmsg;
	__typeof__(&sctp_send) send;
	__typeof__(&sctp_sendv) sendv;
	__typeof__(&sctp_recvv) recvv;
	__typeof__(&sctp_peeloff) peeloff;
} api_t;

static int failures;
static char fail_msgs[4096];

static void soft_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void soft_fail(const char *fmt, ...)
{
	char m[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	pt_log("FAILED: %s", m);
	failures++;
	size_t l = strlen(fail_msgs);
	snprintf(fail_msgs + l, sizeof fail_msgs - l, "%s%s", l ? "; " : "", m);
}

static const char *owner(void *f)
{
	Dl_info di;
	if (!f || !dladdr(f, &di) || !di.dli_fname)
		return "?";
	const char *s = strrchr(di.dli_fname, '/');
	return s ? s + 1 : di.dli_fname;
}

/* Reads messages until a data message (skipping notifications). */
static int recv_data(const api_t *A, int fd, char *b, size_t cap, struct sctp_sndrcvinfo *si, double t)
{
	double end = pt_now() + t;
	while (pt_now() < end) {
		if (!(pt_poll1(fd, POLLIN, end - pt_now()) & POLLIN))
			break;
		int flags = 0;
		memset(si, 0, sizeof *si);
		int n = A->recvmsg(fd, b, cap, NULL, NULL, si, &flags);
		if (n < 0)
			return -1;
		if (flags & MSG_NOTIFICATION)
			continue;
		return n;
	}
	errno = ETIMEDOUT;
	return -1;
}

static void scenario(const api_t *A, int srv_port, int local_port)
{
	pt_log("---- path '%s': sctp_connectx from %s, sctp_sendmsg from %s", A->name, owner((void *)A->connectx),
	       owner((void *)A->sendmsg));
	int fd = socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP);
	CHECK_SYS(fd, "socket");
	pt_subscribe_assoc(fd);
	/* SCTP_RCVINFO only on our path: Linux puts it before SCTP_SNDRCV, and
	 * libsctp.so.1's sctp_recvmsg() has cmsg room for one entry, so with
	 * it on libsctp's sctp_recvmsg() returns a zeroed sinfo on Linux too. */
	int on = strcmp(A->name, "libsctp") != 0;
	if (setsockopt(fd, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on) < 0)
		soft_fail("%s: setsockopt(SCTP_RECVRCVINFO): %s", A->name, strerror(errno));

	struct sockaddr_in la[2] = { pt_sin("127.0.0.1", local_port), pt_sin("127.0.0.2", local_port) };
	if (A->bindx(fd, (struct sockaddr *)la, 2, SCTP_BINDX_ADD_ADDR) < 0) {
		soft_fail("%s: sctp_bindx(127.0.0.1+127.0.0.2): %s", A->name, strerror(errno));
		close(fd);
		return;
	}
	struct sockaddr_in ra[2] = { pt_sin("127.0.0.1", srv_port), pt_sin("127.0.0.2", srv_port) };
	sctp_assoc_t id = 0;
	if (A->connectx(fd, (struct sockaddr *)ra, 2, &id) < 0) {
		soft_fail("%s: sctp_connectx: %s", A->name, strerror(errno));
		close(fd);
		return;
	}
	if (id == 0)
		soft_fail("%s: sctp_connectx gave association id 0", A->name);
	pt_log("%s: sctp_connectx -> assoc id %d", A->name, (int)id);

	struct sockaddr *addrs = NULL;
	int n = A->getpaddrs(fd, id, &addrs);
	if (n != 2)
		soft_fail("%s: sctp_getpaddrs returned %d (want 2)%s%s", A->name, n, n < 0 ? ": " : "",
			  n < 0 ? strerror(errno) : "");
	if (n > 0)
		A->freepaddrs(addrs);
	addrs = NULL;
	n = A->getladdrs(fd, id, &addrs);
	if (n != 2)
		soft_fail("%s: sctp_getladdrs returned %d (want 2)%s%s", A->name, n, n < 0 ? ": " : "",
			  n < 0 ? strerror(errno) : "");
	if (n > 0)
		A->freeladdrs(addrs);

	struct sctp_status st;
	memset(&st, 0, sizeof st);
	socklen_t sl = sizeof st;
	if (A->opt_info(fd, id, SCTP_STATUS, &st, &sl) < 0)
		soft_fail("%s: sctp_opt_info(SCTP_STATUS): %s", A->name, strerror(errno));
	else if (st.sstat_assoc_id != id || (st.sstat_state != SCTP_ESTABLISHED && st.sstat_state != SCTP_COOKIE_ECHOED &&
					       st.sstat_state != SCTP_COOKIE_WAIT))
		soft_fail("%s: SCTP_STATUS id %d state %d", A->name, (int)st.sstat_assoc_id, st.sstat_state);

	char b[2048];
	struct sctp_sndrcvinfo si;
	const char *m1 = "via sctp_sendmsg";
	int w = A->sendmsg(fd, m1, strlen(m1) + 1, (struct sockaddr *)&ra[0], sizeof ra[0], htonl(77), 0, 1, 0, 0);
	if (w != (int)strlen(m1) + 1)
		soft_fail("%s: sctp_sendmsg returned %d: %s", A->name, w, strerror(errno));
	n = recv_data(A, fd, b, sizeof b, &si, 5.0);
	if (n != (int)strlen(m1) + 1 || strcmp(b, m1) != 0)
		soft_fail("%s: sctp_recvmsg of the echo: %d %s", A->name, n, n < 0 ? strerror(errno) : b);
	else if (si.sinfo_stream != 1 || si.sinfo_ppid != htonl(77) || si.sinfo_assoc_id != id)
		soft_fail("%s: sndrcvinfo of the echo: stream %u ppid %u assoc %d", A->name, si.sinfo_stream,
			  ntohl(si.sinfo_ppid), (int)si.sinfo_assoc_id);

	const char *m2 = "via sctp_send";
	struct sctp_sndrcvinfo so;
	memset(&so, 0, sizeof so);
	so.sinfo_assoc_id = id;
	so.sinfo_stream = 2;
	w = A->send(fd, m2, strlen(m2) + 1, &so, 0);
	if (w != (int)strlen(m2) + 1)
		soft_fail("%s: sctp_send returned %d: %s", A->name, w, strerror(errno));
	n = recv_data(A, fd, b, sizeof b, &si, 5.0);
	if (n != (int)strlen(m2) + 1 || strcmp(b, m2) != 0 || si.sinfo_stream != 2)
		soft_fail("%s: echo of sctp_send: %d %s stream %u", A->name, n, n < 0 ? strerror(errno) : b, si.sinfo_stream);

	struct iovec iov[2] = { { (void *)"via ", 4 }, { (void *)"sctp_sendv", 11 } };
	struct sctp_sndinfo sni;
	memset(&sni, 0, sizeof sni);
	sni.snd_assoc_id = id;
	sni.snd_sid = 3;
	on = 1; /* sctp_recvv below reports SCTP_RCVINFO */
	if (setsockopt(fd, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on) < 0)
		soft_fail("%s: setsockopt(SCTP_RECVRCVINFO): %s", A->name, strerror(errno));
	w = A->sendv(fd, iov, 2, NULL, 0, &sni, sizeof sni, SCTP_SENDV_SNDINFO, 0);
	if (w != 15)
		soft_fail("%s: sctp_sendv returned %d: %s", A->name, w, strerror(errno));
	else {
		struct iovec riov = { b, sizeof b };
		struct sctp_rcvinfo rcv;
		int got = 0;
		double end = pt_now() + 5.0;
		while (!got && pt_now() < end) {
			if (!(pt_poll1(fd, POLLIN, end - pt_now()) & POLLIN))
				break;
			socklen_t il = sizeof rcv;
			unsigned int it = 0;
			int fl = 0;
			memset(&rcv, 0, sizeof rcv);
			n = A->recvv(fd, &riov, 1, NULL, NULL, &rcv, &il, &it, &fl);
			if (n < 0) {
				soft_fail("%s: sctp_recvv: %s", A->name, strerror(errno));
				break;
			}
			if (fl & MSG_NOTIFICATION)
				continue;
			got = 1;
			if (n != 15 || strcmp(b, "via sctp_sendv") != 0)
				soft_fail("%s: sctp_recvv data %d '%s'", A->name, n, b);
			else if (it != SCTP_RECVV_RCVINFO || rcv.rcv_sid != 3 || rcv.rcv_assoc_id != id)
				soft_fail("%s: sctp_recvv info type %u sid %u assoc %d", A->name, it, rcv.rcv_sid,
					  (int)rcv.rcv_assoc_id);
		}
		if (!got)
			soft_fail("%s: no echo of sctp_sendv", A->name);
	}

	int p = A->peeloff(fd, id);
	if (p < 0) {
		soft_fail("%s: sctp_peeloff: %s", A->name, strerror(errno));
	} else {
		const char *m3 = "on the peeled-off socket";
		ssize_t x = send(p, m3, strlen(m3) + 1, 0);
		if (x != (ssize_t)strlen(m3) + 1)
			soft_fail("%s: send on peeled-off socket: %zd %s", A->name, x, strerror(errno));
		if (!(pt_poll1(p, POLLIN, 5.0) & POLLIN))
			soft_fail("%s: no echo on the peeled-off socket", A->name);
		else {
			x = recv(p, b, sizeof b, 0);
			if (x != (ssize_t)strlen(m3) + 1 || strcmp(b, m3) != 0)
				soft_fail("%s: echo on the peeled-off socket: %zd", A->name, x);
		}
		/* The association left the one-to-many socket. */
		sl = sizeof st;
		memset(&st, 0, sizeof st);
		if (A->opt_info(fd, id, SCTP_STATUS, &st, &sl) == 0)
			soft_fail("%s: SCTP_STATUS of the peeled-off association still works on the old socket", A->name);
		close(p);
	}
	close(fd);
	pt_log("%s: done", A->name);
}

/* libsctp's sctp_connectx@VERS_1 / @VERS_2 (old setsockopt interfaces). */
static void old_connectx(void *h, const char *ver, int srv_port)
{
	int fd = socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP);
	CHECK_SYS(fd, "socket");
	struct sockaddr_in ra = pt_sin("127.0.0.1", srv_port);
	void *f = dlvsym(h, "sctp_connectx", ver);
	if (!f) {
		soft_fail("dlvsym(sctp_connectx, %s): %s", ver, dlerror());
		close(fd);
		return;
	}
	int r;
	sctp_assoc_t id = 0;
	if (!strcmp(ver, "VERS_1"))
		r = ((int (*)(int, struct sockaddr *, int))f)(fd, (struct sockaddr *)&ra, 1);
	else
		r = ((int (*)(int, struct sockaddr *, int, sctp_assoc_t *))f)(fd, (struct sockaddr *)&ra, 1, &id);
	if (r != 0)
		soft_fail("libsctp sctp_connectx@%s returned %d: %s (errno %d)", ver, r, strerror(errno), errno);
	else
		pt_log("libsctp sctp_connectx@%s (%s): ok, id %d", ver, owner(f), (int)id);
	if (r == 0 && !strcmp(ver, "VERS_2") && id == 0)
		soft_fail("libsctp sctp_connectx@VERS_2 gave assoc id 0 (SCTP_SOCKOPT_CONNECTX must return the id)");
	const char *m = "old connectx";
	int w = sctp_sendmsg(fd, m, strlen(m) + 1, (struct sockaddr *)&ra, sizeof ra, 0, 0, 0, 0, 0);
	if (w != (int)strlen(m) + 1)
		soft_fail("send after connectx@%s: %s", ver, strerror(errno));
	close(fd);
}

#if defined(__x86_64__)
/* A reference to the 3-argument sctp_connectx of lksctp-tools < 1.0.10
 * (sctp_connectx@VERS_1), as old binaries have it.  The trampoline enters it
 * with %rcx (the 4th argument register) holding `rcx`. */
__asm__(".symver sctp_connectx_v1,sctp_connectx@VERS_1");
extern int sctp_connectx_v1(int, struct sockaddr *, int);
int call_v1_with_rcx(int fd, struct sockaddr *a, int n, void *rcx);
__asm__(".text\n.globl call_v1_with_rcx\n.type call_v1_with_rcx,@function\ncall_v1_with_rcx:\n\tjmp sctp_connectx_v1@PLT\n");

static void v1_reference(int srv_port)
{
	Dl_info di;
	memset(&di, 0, sizeof di);
	dladdr((void *)&sctp_connectx_v1, &di);
	pt_log("this binary's sctp_connectx@VERS_1 reference is bound to %s", owner((void *)&sctp_connectx_v1));
	struct sockaddr_in ra = pt_sin("127.0.0.1", srv_port);
	/* 1: garbage that is a valid pointer: a canary must stay intact. */
	int fd = socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP);
	CHECK_SYS(fd, "socket");
	volatile int canary[2] = { 0x5a5a5a5a, 0x5a5a5a5a };
	int r = call_v1_with_rcx(fd, (struct sockaddr *)&ra, 1, (void *)canary);
	int e = errno;
	if (r != 0)
		soft_fail("sctp_connectx@VERS_1 (3 args) returned %d: %s", r, strerror(e));
	if (canary[0] != 0x5a5a5a5a)
		soft_fail("sctp_connectx@VERS_1 (3 args) wrote 0x%x through the caller's stale 4th-argument register "
			  "(memory corruption in old binaries: the call bound to a 4-argument sctp_connectx)",
			  (unsigned)canary[0]);
	close(fd);
	/* 2: garbage that is not a valid pointer. */
	fd = socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP);
	CHECK_SYS(fd, "socket");
	r = call_v1_with_rcx(fd, (struct sockaddr *)&ra, 1, (void *)16);
	e = errno;
	if (r != 0)
		soft_fail("sctp_connectx@VERS_1 (3 args) with a stale invalid 4th register failed: %s (errno %d)",
			  strerror(e), e);
	close(fd);
}
#endif

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "echo") == 0) {
		pt_init("t_symver", "echo-server", 90);
		return pt_echo_server(atoi(argv[2]));
	}
	const char *mode = argc >= 2 ? argv[1] : "paths";
	static char name[64];
	snprintf(name, sizeof name, "t_symver_%s", mode);
	pt_init(name, "main", 60);
	CHECK(!strcmp(mode, "paths") || !strcmp(mode, "v1ref"), "usage: t_symver paths|v1ref");
	int sport = pt_free_udp_port();
	int sctp_port = 20000 + getpid() % 20000;
	char pa[16];
	snprintf(pa, sizeof pa, "%d", sctp_port);
	char *sargv[] = { (char *)"t_symver", (char *)"echo", pa, NULL };
	int srd;
	STEP("starting the echo server");
	pid_t spid = pt_spawn(sargv, sport, 9, &srd);
	pt_expect_line(srd, "READY", NULL, 0, 10.0);
	pt_ports(0, sport);

	const char *fns[] = { "sctp_bindx", "sctp_connectx", "sctp_sendmsg", "sctp_recvmsg", "sctp_send",
			      "sctp_sendv", "sctp_recvv", "sctp_peeloff", "sctp_getpaddrs", "sctp_opt_info" };
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
		pt_log("binding: %-14s -> %s", fns[i], owner(dlsym(RTLD_DEFAULT, fns[i])));

	if (!strcmp(mode, "v1ref")) {
#if defined(__x86_64__)
		STEP("binary reference to sctp_connectx@VERS_1");
		v1_reference(sctp_port);
#else
		pt_log("not x86_64: the VERS_1 register check is skipped");
#endif
		kill(spid, SIGKILL);
		pt_wait_child(spid, 5.0);
		CHECK(failures == 0, "%d problem(s): %s", failures, fail_msgs);
		printf("PASS %s\n", name);
		return 0;
	}

	api_t bound = { "bound", sctp_bindx, sctp_connectx, sctp_getpaddrs, sctp_freepaddrs, sctp_getladdrs,
			sctp_freeladdrs, sctp_opt_info, sctp_sendmsg, sctp_recvmsg, sctp_send, sctp_sendv, sctp_recvv,
			sctp_peeloff };
	STEP("path bound");
	scenario(&bound, sctp_port, sctp_port + 1);

	void *h = dlopen("libsctp.so.1", RTLD_NOW | RTLD_NOLOAD);
	CHECK(h, "dlopen(libsctp.so.1, RTLD_NOLOAD): %s", dlerror());
	api_t lib;
	memset(&lib, 0, sizeof lib);
	lib.name = "libsctp";
#define V(field, sym, ver) lib.field = (__typeof__(lib.field))dlvsym(h, sym, ver)
	V(bindx, "sctp_bindx", "VERS_1");
	V(connectx, "sctp_connectx", "VERS_3");
	V(getpaddrs, "sctp_getpaddrs", "VERS_1");
	V(freepaddrs, "sctp_freepaddrs", "VERS_1");
	V(getladdrs, "sctp_getladdrs", "VERS_1");
	V(freeladdrs, "sctp_freeladdrs", "VERS_1");
	V(opt_info, "sctp_opt_info", "VERS_1");
	V(sendmsg, "sctp_sendmsg", "VERS_1");
	V(recvmsg, "sctp_recvmsg", "VERS_1");
	V(send, "sctp_send", "VERS_1");
	V(sendv, "sctp_sendv", "VERS_1");
	V(recvv, "sctp_recvv", "VERS_1");
	V(peeloff, "sctp_peeloff", "VERS_1");
#undef V
	CHECK(lib.bindx && lib.connectx && lib.getpaddrs && lib.freepaddrs && lib.getladdrs && lib.freeladdrs &&
		      lib.opt_info && lib.sendmsg && lib.recvmsg && lib.send && lib.sendv && lib.recvv && lib.peeloff,
	      "dlvsym of a libsctp.so.1 function failed");
	CHECK(strstr(owner((void *)lib.connectx), "libsctp"), "dlvsym gave sctp_connectx from %s", owner((void *)lib.connectx));
	STEP("path libsctp");
	scenario(&lib, sctp_port, sctp_port + 2);

	STEP("libsctp connectx VERS_1/VERS_2");
	old_connectx(h, "VERS_1", sctp_port);
	old_connectx(h, "VERS_2", sctp_port);
	pt_sleep_ms(200); /* let the shutdowns finish before the server goes */

	kill(spid, SIGKILL);
	pt_wait_child(spid, 5.0);
	CHECK(failures == 0, "%d problem(s): %s", failures, fail_msgs);
	printf("PASS %s\n", name);
	return 0;
}
