/*
 * hostc: small lksctp programs for the host-stack tests (run.sh). Built
 * against the system <netinet/sctp.h> and -lsctp and run with
 * LD_PRELOAD=libsctpudp.so, with no SCTPUDP_* variable: every process of
 * a test network namespace uses the one host stack on UDP port 9899.
 *
 *   hostc echo-server PORT              one-to-many echo server; "READY"
 *   hostc echo PORT ADDR N SIZE         one-to-one client: N echoes checked
 *   hostc prefork PORT WORKERS TOTAL    listen, fork WORKERS that accept();
 *                                       "READY", exits 0 when TOTAL
 *                                       associations were served (each
 *                                       worker serves some)
 *   hostc daemon-server PORT PIDFILE    listen, daemon(3), then serve echoes
 *   hostc scm PORT ADDR                 connect, echo, pass the descriptor to
 *                                       another process (SCM_RIGHTS), close
 *                                       ours; that process echoes on it
 *   hostc exec PORT ADDR                connect, echo, exec itself keeping
 *                                       the descriptor; the new image echoes
 *   hostc kill-target PORT ADDR N       N associations; waits, never reads
 *   hostc kill-watch PORT N             accepts N associations, sends on
 *                                       each (unread by the target),
 *                                       "READY"; on a line from stdin
 *                                       (the target was just killed),
 *                                       measures until every association
 *                                       reported COMM_LOST; prints "ABORTED
 *                                       N IN MS"
 *   hostc bind PORT                     bind(); prints "OK" or the errno name
 *   hostc attack INSTANCE               speaks nonsense to the host stack's
 *                                       own socket (as another user)
 *   hostc hold PORT ADDR SECS           an association kept open SECS s,
 *                                       sending 1 KiB messages all the while
 *   hostc asconf-server PORT            one-to-many echo with AUTH and ASCONF
 *                                       on; prints "PADDR <addr> <state>" for
 *                                       each peer address change, "READY"
 *   hostc asconf PORT ADDR LOCAL1 LOCAL2 N
 *                                       AUTH and ASCONF on, bound to LOCAL1,
 *                                       N echoes; after a third sctp_bindx
 *                                       ADD LOCAL2 and SCTP_SET_PEER_PRIMARY_ADDR
 *                                       LOCAL2, after two thirds sctp_bindx
 *                                       REM LOCAL1; prints "OK"
 *   hostc ecn PORT ADDR N SIZE ON       SCTP_ECN_SUPPORTED = ON, connect,
 *                                       N messages echoed, 32 at a time;
 *                                       prints "ECN v" (the association's
 *                                       SCTP_ECN_SUPPORTED) and "OK"
 *
 * Exit status 0 on success; every wait is bounded (alarm).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *cmd = "hostc";

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;
	int e = errno;
	fprintf(stderr, "hostc %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (errno %d %s)\n", e, strerror(e));
	exit(1);
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static struct sockaddr_in sin4(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1)
		die("bad address %s", ip);
	return a;
}

static int sctp_listener(int port, int type)
{
	int fd = socket(AF_INET, type, IPPROTO_SCTP);
	struct sockaddr_in a = sin4("0.0.0.0", port);
	if (fd < 0)
		die("socket");
	if (bind(fd, (void *)&a, sizeof a))
		die("bind %d", port);
	if (listen(fd, 128))
		die("listen");
	return fd;
}

static int sctp_connect(const char *addr, int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	struct sockaddr_in a = sin4(addr, port);
	if (fd < 0)
		die("socket");
	if (connect(fd, (void *)&a, sizeof a))
		die("connect %s:%d", addr, port);
	return fd;
}

/* One message out, its echo back and compared. */
static void echo_once(int fd, const char *msg)
{
	char buf[65536];
	size_t n = strlen(msg);
	if (sctp_sendmsg(fd, msg, n, NULL, 0, 0, 0, 0, 0, 0) != (int)n)
		die("send");
	int flags = 0;
	int r = sctp_recvmsg(fd, buf, sizeof buf, NULL, NULL, NULL, &flags);
	if (r != (int)n || memcmp(buf, msg, n))
		die("echo of '%s' (got %d)", msg, r);
}

/* Serves echoes on a one-to-one socket until the peer ends. */
static int serve_one(int fd)
{
	char buf[65536];
	for (;;) {
		struct sctp_sndrcvinfo si;
		int flags = 0;
		int n = sctp_recvmsg(fd, buf, sizeof buf, NULL, NULL, &si, &flags);
		if (n <= 0)
			return 0;
		if (sctp_sendmsg(fd, buf, n, NULL, 0, si.sinfo_ppid, 0, si.sinfo_stream, 0, 0) != n)
			return -1;
	}
}

/* One-to-many echo: every message goes back to its association. */
static void serve_many(int fd)
{
	char buf[65536];
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof from;
		struct sctp_sndrcvinfo si;
		int flags = 0;
		int n = sctp_recvmsg(fd, buf, sizeof buf, (void *)&from, &fl, &si, &flags);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("recvmsg");
		}
		if (flags & MSG_NOTIFICATION)
			continue;
		struct sctp_sndrcvinfo out = { .sinfo_stream = si.sinfo_stream,
					       .sinfo_ppid = si.sinfo_ppid,
					       .sinfo_assoc_id = si.sinfo_assoc_id };
		sctp_send(fd, buf, n, &out, 0);
	}
}

static void subscribe(int fd)
{
	struct sctp_event_subscribe ev = { .sctp_data_io_event = 1, .sctp_association_event = 1 };
	if (setsockopt(fd, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof ev))
		die("SCTP_EVENTS");
}

static int cmd_echo_server(int port)
{
	int fd = sctp_listener(port, SOCK_SEQPACKET);
	subscribe(fd);
	printf("READY\n");
	fflush(stdout);
	serve_many(fd);
	return 0;
}

static int cmd_echo(int port, const char *addr, int n, int size)
{
	int fd = sctp_connect(addr, port);
	char *msg = malloc(size + 1);
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < size; k++)
			msg[k] = 'a' + (i + k) % 26;
		msg[size] = 0;
		echo_once(fd, msg);
	}
	close(fd);
	free(msg);
	return 0;
}

static int cmd_prefork(int port, int workers, int total)
{
	int l = sctp_listener(port, SOCK_STREAM);
	int rep[2];
	if (pipe(rep))
		die("pipe");
	pid_t kids[64];
	for (int w = 0; w < workers && w < 64; w++) {
		kids[w] = fork();
		if (kids[w] < 0)
			die("fork");
		if (kids[w] == 0) {
			/* A worker: accept and serve, report each association. */
			close(rep[0]);
			for (;;) {
				int c = accept(l, NULL, NULL);
				if (c < 0) {
					if (errno == EINTR)
						continue;
					die("worker accept");
				}
				serve_one(c);
				close(c);
				char b = 'w';
				if (write(rep[1], &b, 1) != 1)
					_exit(1);
			}
		}
	}
	close(rep[1]);
	/* The parent keeps no use of the listener, as pre-fork servers do. */
	close(l);
	printf("READY\n");
	fflush(stdout);
	int served = 0;
	while (served < total) {
		char b;
		if (read(rep[0], &b, 1) != 1)
			die("a worker died");
		served++;
	}
	for (int w = 0; w < workers; w++)
		kill(kids[w], SIGTERM);
	for (int w = 0; w < workers; w++)
		waitpid(kids[w], NULL, 0);
	printf("SERVED %d\n", served);
	return 0;
}

static int cmd_daemon_server(int port, const char *pidfile)
{
	int fd = sctp_listener(port, SOCK_SEQPACKET);
	subscribe(fd);
	/* daemon(3): the caller exits, a child in a new session goes on. */
	if (daemon(0, 0))
		die("daemon");
	FILE *f = fopen(pidfile, "w");
	if (f) {
		fprintf(f, "%d\n", getpid());
		fclose(f);
	}
	serve_many(fd);
	return 0;
}

static int send_fd(int sock, int fd)
{
	char c = 'F';
	struct iovec iov = { &c, 1 };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char c;
	struct iovec iov = { &c, 1 };
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b };
	if (recvmsg(sock, &m, 0) != 1)
		return -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	return fd;
}

static int cmd_scm(int port, const char *addr)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair");
	pid_t p = fork();
	if (p < 0)
		die("fork");
	if (p == 0) {
		/* The receiver: an unrelated use of the association it is given. */
		close(sv[0]);
		int fd = recv_fd(sv[1]);
		if (fd < 0)
			die("recv_fd");
		/* It is an SCTP socket here too. */
		int ty = 0;
		socklen_t tl = sizeof ty;
		if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &ty, &tl) || ty != IPPROTO_SCTP)
			die("passed descriptor is not SCTP (SO_PROTOCOL %d)", ty);
		struct sctp_status st;
		socklen_t sl = sizeof st;
		memset(&st, 0, sizeof st);
		if (getsockopt(fd, IPPROTO_SCTP, SCTP_STATUS, &st, &sl) || st.sstat_state != SCTP_ESTABLISHED)
			die("SCTP_STATUS on the passed descriptor");
		for (int i = 0; i < 20; i++)
			echo_once(fd, "after the hand-over");
		close(fd);
		_exit(0);
	}
	close(sv[1]);
	int fd = sctp_connect(addr, port);
	echo_once(fd, "before the hand-over");
	if (send_fd(sv[0], fd))
		die("send_fd");
	/* Our copy goes: the association lives on in the other process. */
	close(fd);
	int st;
	if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st))
		die("receiver failed (status %d)", st);
	return 0;
}

static int cmd_exec(int port, const char *addr, char **argv)
{
	int fd = sctp_connect(addr, port);
	echo_once(fd, "before exec");
	char fds[16];
	snprintf(fds, sizeof fds, "%d", fd);
	execl("/proc/self/exe", argv[0], "exec-child", fds, (char *)NULL);
	die("exec");
}

static int cmd_exec_child(int fd)
{
	for (int i = 0; i < 20; i++)
		echo_once(fd, "after exec");
	close(fd);
	return 0;
}

static int cmd_kill_target(int port, const char *addr, int n)
{
	for (int i = 0; i < n; i++)
		(void)sctp_connect(addr, port);
	printf("READY\n");
	fflush(stdout);
	pause();
	return 0;
}

static int cmd_kill_watch(int port, int n)
{
	int fd = sctp_listener(port, SOCK_SEQPACKET);
	subscribe(fd);
	char buf[65536];
	int up = 0, lost = 0, shut = 0;
	sctp_assoc_t ids[1024];
	while (up < n) {
		int flags = 0;
		int r = sctp_recvmsg(fd, buf, sizeof buf, NULL, NULL, NULL, &flags);
		if (r < 0)
			die("recv");
		if (flags & MSG_NOTIFICATION) {
			union sctp_notification *sn = (void *)buf;
			if (sn->sn_header.sn_type == SCTP_ASSOC_CHANGE &&
			    sn->sn_assoc_change.sac_state == SCTP_COMM_UP && up < 1024)
				ids[up++] = sn->sn_assoc_change.sac_assoc_id;
		}
	}
	/* Data the target will never read: Linux aborts at its close. */
	for (int i = 0; i < n; i++) {
		struct sctp_sndrcvinfo si = { .sinfo_assoc_id = ids[i] };
		if (sctp_send(fd, "unread", 6, &si, 0) != 6)
			die("send");
	}
	printf("READY\n");
	fflush(stdout);
	char line[64];
	if (!fgets(line, sizeof line, stdin))
		die("stdin");
	double t0 = now();
	while (lost + shut < n) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 5000) <= 0)
			die("only %d of %d associations ended", lost + shut, n);
		int flags = 0;
		int r = sctp_recvmsg(fd, buf, sizeof buf, NULL, NULL, NULL, &flags);
		if (r < 0)
			die("recv");
		if (flags & MSG_NOTIFICATION) {
			union sctp_notification *sn = (void *)buf;
			if (sn->sn_header.sn_type == SCTP_ASSOC_CHANGE) {
				if (sn->sn_assoc_change.sac_state == SCTP_COMM_LOST)
					lost++;
				if (sn->sn_assoc_change.sac_state == SCTP_SHUTDOWN_COMP)
					shut++;
			}
		}
	}
	printf("ABORTED %d SHUTDOWN %d IN %.0f\n", lost, shut, (now() - t0) * 1000);
	return lost == n ? 0 : 1;
}

static int cmd_bind(int port)
{
	int fd = socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP);
	struct sockaddr_in a = sin4("0.0.0.0", port);
	if (fd < 0)
		die("socket");
	if (bind(fd, (void *)&a, sizeof a)) {
		printf("%s\n", errno == EACCES ? "EACCES" : errno == EADDRINUSE ? "EADDRINUSE" : strerror(errno));
		return 0;
	}
	printf("OK\n");
	fflush(stdout);
	if (getenv("HOSTC_HOLD"))
		sleep(atoi(getenv("HOSTC_HOLD")));
	return 0;
}

/*
 * Requests to the host stack from a process that holds none of its
 * sockets: every one must be refused, and the stack must go on serving
 * everybody else. The wire format is the library's (src/ipc.rs): a
 * request is op (u16), flags (u16), socket id (u64), then the body.
 */
static int cmd_attack(const char *instance)
{
	char name[108] = { 0 };
	int nl = snprintf(name + 1, sizeof name - 1, "sctpudp-3:%s", instance) + 1;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	memcpy(a.sun_path, name, nl);
	srand(1234);
	int refused = 0, answered = 0;
	for (int round = 0; round < 400; round++) {
		int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		if (fd < 0 || connect(fd, (void *)&a, offsetof(struct sockaddr_un, sun_path) + nl))
			die("connect to the host stack");
		unsigned char req[256];
		int len;
		if (round % 4 == 0) {
			/* Random bytes of random length. */
			len = rand() % (int)sizeof req;
			for (int i = 0; i < len; i++)
				req[i] = rand();
		} else {
			/* A well-formed head naming somebody's socket (ids are
			 * small numbers), with a random body. */
			uint16_t op = 1 + rand() % 26;
			uint64_t id = 1 + rand() % 64;
			memset(req, 0, sizeof req);
			memcpy(req, &op, 2);
			memcpy(req + 4, &id, 8);
			len = 12 + rand() % 64;
			for (int i = 12; i < len; i++)
				req[i] = rand();
		}
		if (send(fd, req, len, MSG_NOSIGNAL) < 0) {
			close(fd);
			continue;
		}
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 2000) == 1) {
			unsigned char rep[65536];
			int64_t status = 0;
			int n = recv(fd, rep, sizeof rep, MSG_DONTWAIT);
			if (n >= 8) {
				memcpy(&status, rep, 8);
				answered++;
				/* Only the requests that need no socket may succeed. */
				uint16_t op;
				memcpy(&op, req, 2);
				if (status < 0 || len < 12 || op == 1 || op == 2 || op == 14 || op == 15 ||
				    op == 23)
					refused++;
				else
					die("request op %u on socket %llu was served", op,
					    (unsigned long long)*(uint64_t *)(req + 4));
			}
		}
		close(fd);
	}
	printf("ATTACK %d answered %d refused\n", answered, refused);
	return 0;
}

static int cmd_hold(int port, const char *addr, int secs)
{
	int fd = sctp_connect(addr, port);
	char msg[1024];
	memset(msg, 'h', sizeof msg - 1);
	msg[sizeof msg - 1] = 0;
	printf("READY\n");
	fflush(stdout);
	double end = now() + secs;
	while (now() < end)
		echo_once(fd, msg);
	close(fd);
	return 0;
}

static void set_on(int fd, int opt)
{
	struct sctp_assoc_value av = { .assoc_id = SCTP_FUTURE_ASSOC, .assoc_value = 1 };
	if (setsockopt(fd, IPPROTO_SCTP, opt, &av, sizeof av))
		die("setsockopt %d", opt);
}

static int cmd_asconf_server(int port)
{
	int fd = socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP);
	struct sockaddr_in a = sin4("0.0.0.0", port);
	if (fd < 0)
		die("socket");
	set_on(fd, SCTP_AUTH_SUPPORTED);
	set_on(fd, SCTP_ASCONF_SUPPORTED);
	struct sctp_event_subscribe ev = { .sctp_data_io_event = 1, .sctp_association_event = 1,
					   .sctp_address_event = 1 };
	if (setsockopt(fd, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof ev))
		die("SCTP_EVENTS");
	if (bind(fd, (void *)&a, sizeof a) || listen(fd, 16))
		die("bind/listen");
	printf("READY\n");
	static char buf[65536];
	for (;;) {
		struct sctp_sndrcvinfo si;
		int flags = 0;
		int n = sctp_recvmsg(fd, buf, sizeof buf, NULL, NULL, &si, &flags);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("recvmsg");
		}
		if (flags & MSG_NOTIFICATION) {
			union sctp_notification *sn = (void *)buf;
			if (sn->sn_header.sn_type == SCTP_PEER_ADDR_CHANGE) {
				struct sockaddr_in *pa = (void *)&sn->sn_paddr_change.spc_aaddr;
				char ip[64];
				inet_ntop(AF_INET, &pa->sin_addr, ip, sizeof ip);
				printf("PADDR %s %d\n", ip, sn->sn_paddr_change.spc_state);
			}
			continue;
		}
		struct sctp_sndrcvinfo out = { .sinfo_stream = si.sinfo_stream,
					       .sinfo_assoc_id = si.sinfo_assoc_id };
		sctp_send(fd, buf, n, &out, 0);
	}
}

static int cmd_asconf(int port, const char *addr, const char *l1, const char *l2, int n)
{
	int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	struct sockaddr_in a = sin4(addr, port), b1 = sin4(l1, 0), b2;
	if (fd < 0)
		die("socket");
	set_on(fd, SCTP_AUTH_SUPPORTED);
	set_on(fd, SCTP_ASCONF_SUPPORTED);
	if (bind(fd, (void *)&b1, sizeof b1))
		die("bind %s", l1);
	socklen_t bl = sizeof b1;
	getsockname(fd, (void *)&b1, &bl);
	b2 = sin4(l2, ntohs(b1.sin_port));
	if (connect(fd, (void *)&a, sizeof a))
		die("connect %s:%d", addr, port);
	struct sctp_assoc_value av = { .assoc_id = 0 };
	socklen_t l = sizeof av;
	if (getsockopt(fd, IPPROTO_SCTP, SCTP_ASCONF_SUPPORTED, &av, &l) || av.assoc_value != 1)
		die("ASCONF not in use (%u)", av.assoc_value);
	char msg[1000], in[1001];
	for (int i = 0; i < n; i++) {
		if (i == n / 3) {
			if (sctp_bindx(fd, (void *)&b2, 1, SCTP_BINDX_ADD_ADDR))
				die("sctp_bindx ADD %s", l2);
			printf("ADDED %s\n", l2);
			usleep(300000);
			struct sctp_setpeerprim pp = { .sspp_assoc_id = 0 };
			memcpy(&pp.sspp_addr, &b2, sizeof b2);
			if (setsockopt(fd, IPPROTO_SCTP, SCTP_SET_PEER_PRIMARY_ADDR, &pp, sizeof pp))
				die("SCTP_SET_PEER_PRIMARY_ADDR %s", l2);
		}
		if (i == 2 * n / 3) {
			if (sctp_bindx(fd, (void *)&b1, 1, SCTP_BINDX_REM_ADDR))
				die("sctp_bindx REM %s", l1);
			printf("REMOVED %s\n", l1);
		}
		for (int k = 0; k < (int)sizeof msg; k++)
			msg[k] = (char)(i + k);
		if (sctp_sendmsg(fd, msg, sizeof msg, NULL, 0, 0, 0, 0, 0, 0) != (int)sizeof msg)
			die("send %d", i);
		int flags = 0;
		int r = sctp_recvmsg(fd, in, sizeof in, NULL, NULL, NULL, &flags);
		if (r != (int)sizeof msg || memcmp(in, msg, sizeof msg))
			die("echo %d (got %d)", i, r);
		usleep(2000);
	}
	close(fd);
	printf("OK\n");
	return 0;
}

static void ecn_msg(char *m, int i, int size)
{
	for (int k = 0; k < size; k++)
		m[k] = (char)(i * 7 + k);
}

static int cmd_ecn(int port, const char *addr, int n, int size, int on)
{
	int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	struct sockaddr_in a = sin4(addr, port);
	struct sctp_assoc_value av = { .assoc_id = SCTP_FUTURE_ASSOC, .assoc_value = on };
	if (fd < 0)
		die("socket");
	if (setsockopt(fd, IPPROTO_SCTP, SCTP_ECN_SUPPORTED, &av, sizeof av))
		die("SCTP_ECN_SUPPORTED");
	if (connect(fd, (void *)&a, sizeof a))
		die("connect %s:%d", addr, port);
	socklen_t l = sizeof av;
	av.assoc_id = 0;
	if (getsockopt(fd, IPPROTO_SCTP, SCTP_ECN_SUPPORTED, &av, &l))
		die("getsockopt SCTP_ECN_SUPPORTED");
	printf("ECN %u\n", av.assoc_value);
	char *out = malloc(size), *in = malloc(size + 1);
	for (int i = 0; i < n; i += 32) {
		int k = n - i < 32 ? n - i : 32;
		for (int j = 0; j < k; j++) {
			ecn_msg(out, i + j, size);
			if (sctp_sendmsg(fd, out, size, NULL, 0, 0, 0, 0, 0, 0) != size)
				die("send %d", i + j);
		}
		for (int j = 0; j < k; j++) {
			struct sctp_sndrcvinfo si;
			int flags = 0;
			int r = sctp_recvmsg(fd, in, size + 1, NULL, NULL, &si, &flags);
			ecn_msg(out, i + j, size);
			if (r != size || !(flags & MSG_EOR) || memcmp(in, out, size))
				die("echo %d (got %d)", i + j, r);
		}
	}
	close(fd);
	free(out);
	free(in);
	printf("OK\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		goto usage;
	cmd = argv[1];
	alarm(120);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "echo-server") && argc == 3)
		return cmd_echo_server(atoi(argv[2]));
	if (!strcmp(cmd, "echo") && argc == 6)
		return cmd_echo(atoi(argv[2]), argv[3], atoi(argv[4]), atoi(argv[5]));
	if (!strcmp(cmd, "prefork") && argc == 5)
		return cmd_prefork(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	if (!strcmp(cmd, "daemon-server") && argc == 4) {
		alarm(0);
		return cmd_daemon_server(atoi(argv[2]), argv[3]);
	}
	if (!strcmp(cmd, "scm") && argc == 4)
		return cmd_scm(atoi(argv[2]), argv[3]);
	if (!strcmp(cmd, "exec") && argc == 4)
		return cmd_exec(atoi(argv[2]), argv[3], argv);
	if (!strcmp(cmd, "exec-child") && argc == 3)
		return cmd_exec_child(atoi(argv[2]));
	if (!strcmp(cmd, "kill-target") && argc == 5)
		return cmd_kill_target(atoi(argv[2]), argv[3], atoi(argv[4]));
	if (!strcmp(cmd, "kill-watch") && argc == 4)
		return cmd_kill_watch(atoi(argv[2]), atoi(argv[3]));
	if (!strcmp(cmd, "bind") && argc == 3)
		return cmd_bind(atoi(argv[2]));
	if (!strcmp(cmd, "attack") && argc == 3)
		return cmd_attack(argv[2]);
	if (!strcmp(cmd, "hold") && argc == 5)
		return cmd_hold(atoi(argv[2]), argv[3], atoi(argv[4]));
	if (!strcmp(cmd, "asconf-server") && argc == 3) {
		alarm(0);
		return cmd_asconf_server(atoi(argv[2]));
	}
	if (!strcmp(cmd, "asconf") && argc == 7)
		return cmd_asconf(atoi(argv[2]), argv[3], argv[4], argv[5], atoi(argv[6]));
	if (!strcmp(cmd, "ecn") && argc == 7)
		return cmd_ecn(atoi(argv[2]), argv[3], atoi(argv[4]), atoi(argv[5]), atoi(argv[6]));
usage:
	fprintf(stderr, "usage: see the comment at the top of host-tests/hostc.c\n");
	return 2;
}
