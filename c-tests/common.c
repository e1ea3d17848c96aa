/*
 * common.c: implementation of the helpers declared in common.h.
 * Plain POSIX + lksctp API; nothing here knows it runs over sctpudp.
 */
#include "common.h"

#include <dirent.h>
#include <stdarg.h>
#include <time.h>

const char *t_name = "t_unknown";
const char *t_role = "main";
const char *volatile t_step = "start-up";
struct t_ports t_ports;

static unsigned t_timeout_s = 60;
static int t_is_child;
static pid_t t_children[256];
static int t_nchildren;

static void t_kill_children(void)
{
	for (int i = 0; i < t_nchildren; i++)
		if (t_children[i] > 0)
			kill(t_children[i], SIGKILL);
}

void t_fail_at(const char *file, int line, int err, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (err)
		printf("FAIL %s: [%s] %s:%d: %s: %s (errno %d) (step: %s)\n",
		       t_name, t_role, file, line, msg, strerror(err), err,
		       t_step);
	else
		printf("FAIL %s: [%s] %s:%d: %s (step: %s)\n", t_name, t_role,
		       file, line, msg, t_step);
	fflush(stdout);
	t_kill_children();
	exit(1);
}

void t_pass(void)
{
	printf("PASS %s\n", t_name);
	fflush(stdout);
	exit(0);
}

void t_log(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "[%s/%s] ", t_name, t_role);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void on_alarm(int sig)
{
	char buf[512];
	int n;

	(void)sig;
	n = snprintf(buf, sizeof(buf),
		     "FAIL %s: [%s] timeout after %u s (step: %s)\n", t_name,
		     t_role, t_timeout_s, t_step);
	if (n > 0 && write(STDOUT_FILENO, buf, (size_t)n) < 0)
		n = 0;
	t_kill_children();
	_exit(3);
}

static uint16_t parse_port(const char *what, const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 1 || v > 65535)
		FAIL("bad %s '%s' (want 1..65535)", what, s);
	return (uint16_t)v;
}

static int port_taken(uint16_t p, const uint16_t *have, int n)
{
	if (p == t_ports.udp_server || p == t_ports.udp_client)
		return 1;
	for (int i = 0; i < n; i++)
		if (have[i] == p)
			return 1;
	return 0;
}

void t_pick_udp_ports(uint16_t *out, int n)
{
	int fds[64], nfd = 0, got = 0;

	while (got < n) {
		struct sockaddr_in a;
		socklen_t len = sizeof(a);
		int fd;

		if (nfd == (int)(sizeof(fds) / sizeof(fds[0])))
			FAIL("cannot find %d free UDP ports", n);
		fd = (int)CHECK_SYS(socket(AF_INET, SOCK_DGRAM, 0));
		a = t_addr4("0.0.0.0", 0);
		CHECK_SYS(bind(fd, (struct sockaddr *)&a, sizeof(a)));
		CHECK_SYS(getsockname(fd, (struct sockaddr *)&a, &len));
		fds[nfd++] = fd; /* keep it bound so the next pick differs */
		if (!port_taken(ntohs(a.sin_port), out, got))
			out[got++] = ntohs(a.sin_port);
	}
	while (nfd > 0)
		close(fds[--nfd]);
}

void t_init(const char *name, int argc, char **argv, unsigned timeout_s)
{
	const char *e;

	t_name = name;
	t_timeout_s = timeout_s;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm(timeout_s);

	memset(&t_ports, 0, sizeof(t_ports));
	if (argc > 2) {
		t_ports.udp_server = parse_port("server UDP port", argv[1]);
		t_ports.udp_client = parse_port("client UDP port", argv[2]);
		if (argc > 3)
			t_ports.sctp = parse_port("SCTP port", argv[3]);
	} else if (argc == 2) {
		FAIL("usage: %s [server-udp-port client-udp-port [sctp-port]]",
		     argv[0]);
	}
	if (!t_ports.udp_server && (e = getenv("SCTPUDP_TEST_SERVER_UDP_PORT")))
		t_ports.udp_server = parse_port("SCTPUDP_TEST_SERVER_UDP_PORT", e);
	if (!t_ports.udp_client && (e = getenv("SCTPUDP_TEST_CLIENT_UDP_PORT")))
		t_ports.udp_client = parse_port("SCTPUDP_TEST_CLIENT_UDP_PORT", e);
	if (!t_ports.sctp && (e = getenv("SCTPUDP_TEST_SCTP_PORT")))
		t_ports.sctp = parse_port("SCTPUDP_TEST_SCTP_PORT", e);
	if (!t_ports.udp_server)
		t_pick_udp_ports(&t_ports.udp_server, 1);
	if (!t_ports.udp_client)
		t_pick_udp_ports(&t_ports.udp_client, 1);
	if (t_ports.udp_server == t_ports.udp_client)
		FAIL("server and client UDP ports must differ (%u)",
		     t_ports.udp_server);
	if (!t_ports.sctp) /* leave room for sctp+0 .. sctp+7 */
		t_ports.sctp = (uint16_t)(20000 + ((unsigned)getpid() * 13u) % 40000u);
	if (t_ports.sctp > 65535 - 8)
		FAIL("SCTP port %u too high (tests use port..port+7)", t_ports.sctp);
}

void t_use_udp(uint16_t local, uint16_t remote)
{
	char b[16];

	snprintf(b, sizeof(b), "%u", local);
	if (setenv("SCTPUDP_UDP_PORT", b, 1) != 0)
		DIE("setenv SCTPUDP_UDP_PORT");
	snprintf(b, sizeof(b), "%u", remote);
	if (setenv("SCTPUDP_REMOTE_UDP_PORT", b, 1) != 0)
		DIE("setenv SCTPUDP_REMOTE_UDP_PORT");
}

int t_lksctp(void)
{
	const char *e = getenv("SCTPUDP_TEST_LKSCTP");

	return e && strcmp(e, "1") == 0;
}

pid_t t_fork(const char *role, t_sync *sync, int (*fn)(t_sync *, void *),
	     void *arg)
{
	pid_t pid;

	if (sync) {
		CHECK_SYS(pipe(sync->to_child));
		CHECK_SYS(pipe(sync->to_parent));
	}
	if (t_nchildren == (int)(sizeof(t_children) / sizeof(t_children[0])))
		FAIL("too many children");
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		DIE("fork");
	if (pid == 0) {
		int rc;

		t_role = role;
		t_is_child = 1;
		t_nchildren = 0;
		alarm(t_timeout_s); /* alarms are not inherited by fork() */
		if (sync) {
			close(sync->to_child[1]);
			close(sync->to_parent[0]);
			sync->is_child = 1;
		}
		rc = fn(sync, arg);
		fflush(stdout);
		exit(rc == 0 ? 0 : 1);
	}
	t_children[t_nchildren++] = pid;
	if (sync) {
		close(sync->to_child[0]);
		close(sync->to_parent[1]);
		sync->is_child = 0;
	}
	return pid;
}

void t_wait_child(pid_t pid, const char *role, int timeout_s)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	long waited_ms = 0;
	int st = 0;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			DIE("waitpid(%s)", role);
		if (waited_ms >= timeout_s * 1000L) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			FAIL("%s (pid %d) did not finish within %d s", role,
			     (int)pid, timeout_s);
		}
		nanosleep(&ts, NULL);
		waited_ms += 10;
	}
	for (int i = 0; i < t_nchildren; i++)
		if (t_children[i] == pid)
			t_children[i] = -1;
	if (WIFSIGNALED(st))
		FAIL("%s (pid %d) killed by signal %d (%s)", role, (int)pid,
		     WTERMSIG(st), strsignal(WTERMSIG(st)));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		FAIL("%s (pid %d) exited with status %d (see its FAIL line)",
		     role, (int)pid, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

void t_post(t_sync *s, char tag)
{
	int fd = s->is_child ? s->to_parent[1] : s->to_child[1];

	if (write(fd, &tag, 1) != 1)
		DIE("posting sync tag '%c' (peer process gone?)", tag);
}

void t_await(t_sync *s, char tag, int timeout_ms)
{
	int fd = s->is_child ? s->to_child[0] : s->to_parent[0];
	char got;
	ssize_t n;

	t_wait_fd(fd, POLLIN, timeout_ms);
	do
		n = read(fd, &got, 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		DIE("reading sync tag '%c'", tag);
	if (n == 0)
		FAIL("peer process exited before sending sync tag '%c'", tag);
	if (got != tag)
		FAIL("sync: got tag '%c', expected '%c'", got, tag);
}

short t_wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	struct timespec t0, t1;
	int left = timeout_ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int r = poll(&p, 1, left);

		if (r > 0) {
			if (p.revents & POLLNVAL)
				FAIL("poll: fd %d is not open (POLLNVAL)", fd);
			return p.revents;
		}
		if (r < 0 && errno != EINTR)
			DIE("poll(fd %d)", fd);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = timeout_ms - (int)((t1.tv_sec - t0.tv_sec) * 1000 +
					  (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			FAIL("no event 0x%x on fd %d within %d ms", events, fd,
			     timeout_ms);
	}
}

struct sockaddr_in t_addr4(const char *ip, uint16_t port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	if (inet_pton(AF_INET, ip, &a.sin_addr) != 1)
		FAIL("bad IPv4 address '%s'", ip);
	return a;
}

const char *t_addr_str(const struct sockaddr *sa)
{
	static char buf[INET6_ADDRSTRLEN + 16];
	char ip[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(buf, sizeof(buf), "%s:%u", ip, ntohs(s->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(buf, sizeof(buf), "[%s]:%u", ip, ntohs(s->sin6_port));
	} else {
		snprintf(buf, sizeof(buf), "<family %d>", sa->sa_family);
	}
	return buf;
}

int t_sctp_socket(int type)
{
	return (int)CHECK_SYS(socket(AF_INET, type, IPPROTO_SCTP));
}

void t_bind4(int fd, const char *ip, uint16_t port)
{
	struct sockaddr_in a = t_addr4(ip, port);

	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		DIE("bind(%s)", t_addr_str((struct sockaddr *)&a));
}

void t_set_initmsg(int fd, uint16_t ostreams, uint16_t max_instreams)
{
	struct sctp_initmsg im;

	memset(&im, 0, sizeof(im));
	im.sinit_num_ostreams = ostreams;
	im.sinit_max_instreams = max_instreams;
	CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof(im)));
}

void t_set_int(int fd, int level, int opt, int val)
{
	if (setsockopt(fd, level, opt, &val, sizeof(val)) < 0)
		DIE("setsockopt(level %d, opt %d, %d)", level, opt, val);
}

int t_get_int(int fd, int level, int opt)
{
	int val = -1;
	socklen_t len = sizeof(val);

	if (getsockopt(fd, level, opt, &val, &len) < 0)
		DIE("getsockopt(level %d, opt %d)", level, opt);
	CHECK_EQ(len, sizeof(int));
	return val;
}

void t_enable_data_io(int fd)
{
	struct sctp_event_subscribe ev;

	memset(&ev, 0, sizeof(ev));
	ev.sctp_data_io_event = 1;
	CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof(ev)));
}

void t_subscribe(int fd, const uint16_t *types, int n)
{
	for (int i = 0; i < n; i++) {
		struct sctp_event e;

		memset(&e, 0, sizeof(e));
		e.se_assoc_id = SCTP_FUTURE_ASSOC;
		e.se_type = types[i];
		e.se_on = 1;
		if (setsockopt(fd, IPPROTO_SCTP, SCTP_EVENT, &e, sizeof(e)) < 0)
			DIE("setsockopt(SCTP_EVENT, type 0x%x)", types[i]);
	}
}

size_t t_recv_msg(int fd, void *buf, size_t cap, struct sctp_sndrcvinfo *sinfo,
		  int *flags, int *pieces, int timeout_ms)
{
	size_t total = 0;
	int n_pieces = 0, fl = 0;

	for (;;) {
		struct sctp_sndrcvinfo si;
		int n;

		if (total >= cap)
			FAIL("message longer than the %zu-byte buffer", cap);
		t_wait_fd(fd, POLLIN, timeout_ms);
		memset(&si, 0, sizeof(si));
		fl = 0; /* sctp_recvmsg passes *msg_flags to recvmsg as flags */
		n = sctp_recvmsg(fd, (char *)buf + total, cap - total, NULL,
				 NULL, &si, &fl);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			DIE("sctp_recvmsg (after %zu bytes of this message)",
			    total);
		}
		if (n == 0 && total == 0 && !(fl & MSG_NOTIFICATION))
			return 0; /* orderly end of the association */
		if (n == 0)
			FAIL("sctp_recvmsg returned 0 inside a message "
			     "(after %zu bytes)", total);
		if (total > 0 && (fl & MSG_NOTIFICATION))
			FAIL("notification interleaved in a partial message");
		if (n_pieces == 0 && sinfo)
			*sinfo = si;
		n_pieces++;
		total += (size_t)n;
		if (fl & MSG_EOR)
			break;
	}
	if (flags)
		*flags = fl;
	if (pieces)
		*pieces = n_pieces;
	return total;
}

void t_send_msg(int fd, const void *buf, size_t len, const struct sockaddr_in *to,
		uint32_t ppid, uint32_t flags, uint16_t stream)
{
	for (;;) {
		int n = sctp_sendmsg(fd, buf, len, (struct sockaddr *)to,
				     to ? sizeof(*to) : 0, ppid, flags, stream,
				     0, 0);
		if (n >= 0) {
			if ((size_t)n != len)
				FAIL("sctp_sendmsg sent %d of %zu bytes", n, len);
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			t_wait_fd(fd, POLLOUT, 10000);
			continue;
		}
		DIE("sctp_sendmsg(%zu bytes, stream %u)", len, stream);
	}
}

void t_fill(void *buf, size_t len, uint32_t seed)
{
	unsigned char *p = buf;
	uint32_t x = seed * 2654435761u ^ 0x9e3779b9u;

	if (x == 0)
		x = 1;
	for (size_t i = 0; i < len; i++) {
		if ((i & 3) == 0) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
		}
		p[i] = (unsigned char)(x >> ((i & 3) * 8));
	}
}

long t_check_fill(const void *buf, size_t len, uint32_t seed)
{
	const unsigned char *p = buf;
	uint32_t x = seed * 2654435761u ^ 0x9e3779b9u;

	if (x == 0)
		x = 1;
	for (size_t i = 0; i < len; i++) {
		if ((i & 3) == 0) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
		}
		if (p[i] != (unsigned char)(x >> ((i & 3) * 8)))
			return (long)i;
	}
	return -1;
}

long t_stack_rss_kib(uint16_t udp_port, long *cpu_ticks)
{
	char want[64], path[300], buf[512], line[256];
	DIR *d = opendir("/proc");
	struct dirent *e;
	long rss = -1;
	/* Its arguments, NUL-separated: "--instance" PORT. */
	int wl = snprintf(want, sizeof(want), "--instance%c%u", 0, udp_port) + 1;

	CHECK(d != NULL);
	while (rss < 0 && (e = readdir(d)) != NULL) {
		FILE *f;
		size_t n;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		if (!memmem(buf, n, want, (size_t)wl))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "VmRSS: %ld", &rss) == 1)
				break;
		fclose(f);
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (f && cpu_ticks) {
			unsigned long ut = 0, st = 0;

			/* utime and stime: fields 14 and 15, after "(comm)". */
			if (fgets(buf, sizeof(buf), f) && strrchr(buf, ')') &&
			    sscanf(strrchr(buf, ')') + 2,
				   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
				*cpu_ticks = (long)(ut + st);
		}
		if (f)
			fclose(f);
	}
	closedir(d);
	return rss;
}
