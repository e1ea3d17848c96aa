/*
 * ipc: what a host-wide SCTP stack process costs, measured with plain
 * system calls (no SCTP). The figures decided sctpudp's design; see
 * DESIGN.md ("Measurements").
 *
 *   cc -O2 -o ipc benches/ipc.c && ./ipc
 *
 * Every test forks its processes on this host; all traffic stays on
 * loopback or in AF_UNIX sockets. Round trips are 64 bytes; throughput
 * uses 100-byte records.
 *
 *   udp-rtt     A <-UDP-> B                      (the floor: raw UDP)
 *   unix-rtt    A <-AF_UNIX-> B
 *   relay-rtt   A <-AF_UNIX-> D <-AF_UNIX-> B     (app, stack process, app)
 *   rpc         A asks D and waits for the reply (a synchronous call)
 *   unix-pipe   A -> D -> B, one send per record, D batches (recvmmsg/sendmmsg)
 *   shm-pipe    A -> D -> B through shared-memory rings, a wake-up only
 *               when the reader sleeps (eventfd)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RTT_N 20000
#define TPUT_N 2000000
#define REC 100

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report_rtt(const char *name, double *s, int n)
{
	qsort(s, n, sizeof *s, cmp);
	printf("%-10s median %6.2f us   p99 %6.2f us\n", name, s[n / 2] * 1e6, s[n * 99 / 100] * 1e6);
}

static void xfail(const char *w)
{
	perror(w);
	exit(1);
}

/* Echo everything read on fd back to it. */
static void echo_loop(int fd)
{
	char b[256];
	for (;;) {
		ssize_t n = recv(fd, b, sizeof b, 0);
		if (n <= 0)
			_exit(0);
		if (send(fd, b, n, 0) != n)
			_exit(1);
	}
}

static void pingpong(const char *name, int fd)
{
	static double s[RTT_N];
	char b[64] = { 0 };
	for (int i = -1000; i < RTT_N; i++) {
		double t = now();
		if (send(fd, b, sizeof b, 0) != sizeof b || recv(fd, b, sizeof b, 0) != sizeof b)
			xfail(name);
		if (i >= 0)
			s[i] = now() - t;
	}
	report_rtt(name, s, RTT_N);
}

static void udp_rtt(void)
{
	int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in sb = sa;
	socklen_t l = sizeof sa;
	if (bind(a, (void *)&sa, sizeof sa) || bind(b, (void *)&sb, sizeof sb) ||
	    getsockname(a, (void *)&sa, &l) || getsockname(b, (void *)&sb, &l) ||
	    connect(a, (void *)&sb, sizeof sb) || connect(b, (void *)&sa, sizeof sa))
		xfail("udp");
	pid_t p = fork();
	if (p == 0)
		echo_loop(b);
	close(b);
	pingpong("udp-rtt", a);
	close(a);
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
}

static void unix_rtt(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		xfail("socketpair");
	pid_t p = fork();
	if (p == 0) {
		close(sv[0]);
		echo_loop(sv[1]);
	}
	close(sv[1]);
	pingpong("unix-rtt", sv[0]);
	close(sv[0]);
	waitpid(p, NULL, 0);
}

/* D forwards between its two sockets in both directions (poll). */
static void relay_loop(int x, int y)
{
	char b[256];
	struct pollfd p[2] = { { x, POLLIN, 0 }, { y, POLLIN, 0 } };
	for (;;) {
		if (poll(p, 2, -1) < 0)
			_exit(1);
		for (int i = 0; i < 2; i++) {
			if (p[i].revents & (POLLHUP | POLLERR))
				_exit(0);
			if (p[i].revents & POLLIN) {
				ssize_t n = recv(p[i].fd, b, sizeof b, 0);
				if (n <= 0)
					_exit(0);
				if (send(p[1 - i].fd, b, n, 0) != n)
					_exit(1);
			}
		}
	}
}

static void relay_rtt(void)
{
	int ad[2], db[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ad) || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, db))
		xfail("socketpair");
	pid_t d = fork();
	if (d == 0) {
		close(ad[0]);
		close(db[1]);
		relay_loop(ad[1], db[0]);
	}
	pid_t b = fork();
	if (b == 0) {
		close(ad[0]);
		close(ad[1]);
		close(db[0]);
		echo_loop(db[1]);
	}
	close(ad[1]);
	close(db[0]);
	close(db[1]);
	pingpong("relay-rtt", ad[0]);
	close(ad[0]);
	waitpid(d, NULL, 0);
	waitpid(b, NULL, 0);
}

static void rpc(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		xfail("socketpair");
	pid_t p = fork();
	if (p == 0) {
		close(sv[0]);
		echo_loop(sv[1]);
	}
	close(sv[1]);
	char b[REC] = { 0 };
	int n = 200000;
	double t = now();
	for (int i = 0; i < n; i++)
		if (send(sv[0], b, sizeof b, 0) != sizeof b || recv(sv[0], b, sizeof b, 0) != sizeof b)
			xfail("rpc");
	t = now() - t;
	printf("%-10s %8.0f calls/s (%.2f us per call)\n", "rpc", n / t, t / n * 1e6);
	close(sv[0]);
	waitpid(p, NULL, 0);
}

#define BATCH 64
static void unix_pipe(void)
{
	int ad[2], db[2], done[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, ad) || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, db) ||
	    pipe(done))
		xfail("socketpair");
	int big = 4 << 20;
	for (int i = 0; i < 2; i++) {
		setsockopt(ad[i], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
		setsockopt(ad[i], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
		setsockopt(db[i], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
		setsockopt(db[i], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	}
	pid_t d = fork();
	if (d == 0) {
		static char bufs[BATCH][REC];
		struct iovec iov[BATCH];
		struct mmsghdr m[BATCH];
		for (;;) {
			memset(m, 0, sizeof m);
			for (int i = 0; i < BATCH; i++) {
				iov[i] = (struct iovec){ bufs[i], REC };
				m[i].msg_hdr.msg_iov = &iov[i];
				m[i].msg_hdr.msg_iovlen = 1;
			}
			int n = recvmmsg(ad[1], m, BATCH, MSG_WAITFORONE, NULL);
			if (n <= 0)
				_exit(0);
			for (int i = 0; i < n; i++)
				iov[i].iov_len = m[i].msg_len;
			int off = 0;
			while (off < n) {
				int k = sendmmsg(db[0], m + off, n - off, 0);
				if (k <= 0)
					_exit(1);
				off += k;
			}
		}
	}
	pid_t b = fork();
	if (b == 0) {
		static char bufs[BATCH][REC];
		struct iovec iov[BATCH];
		struct mmsghdr m[BATCH];
		long got = 0;
		while (got < TPUT_N) {
			memset(m, 0, sizeof m);
			for (int i = 0; i < BATCH; i++) {
				iov[i] = (struct iovec){ bufs[i], REC };
				m[i].msg_hdr.msg_iov = &iov[i];
				m[i].msg_hdr.msg_iovlen = 1;
			}
			int n = recvmmsg(db[1], m, BATCH, MSG_WAITFORONE, NULL);
			if (n <= 0)
				_exit(1);
			got += n;
		}
		if (write(done[1], "x", 1) != 1)
			_exit(1);
		_exit(0);
	}
	char rec[REC] = { 0 };
	double t = now();
	for (long i = 0; i < TPUT_N; i++)
		if (send(ad[0], rec, REC, 0) != REC)
			xfail("unix-pipe");
	char c;
	if (read(done[0], &c, 1) != 1)
		xfail("unix-pipe done");
	t = now() - t;
	printf("%-10s %8.0f records/s  %6.1f MB/s (%d-byte records)\n", "unix-pipe", TPUT_N / t,
	       TPUT_N * (double)REC / t / 1e6, REC);
	close(ad[0]);
	kill(d, SIGKILL);
	waitpid(d, NULL, 0);
	waitpid(b, NULL, 0);
}

/* A single-producer single-consumer ring of fixed-size records in shared
 * memory; the reader sleeps on an eventfd only after announcing it. */
#define RING (1 << 14)
struct ring {
	_Atomic uint64_t head, tail;
	char pad[48];
	_Atomic int sleeping;
	int efd;
	char data[RING][REC];
};

static void ring_put(struct ring *r, const char *rec)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	while (t - atomic_load_explicit(&r->head, memory_order_acquire) >= RING)
		sched_yield(); /* full: the benchmark's producer just waits */
	memcpy(r->data[t % RING], rec, REC);
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	if (atomic_load(&r->sleeping) && atomic_exchange(&r->sleeping, 0)) {
		uint64_t one = 1;
		if (write(r->efd, &one, 8) != 8)
			_exit(1);
	}
}

/* Takes up to max records; sleeps when empty. */
static int ring_get(struct ring *r, char (*out)[REC], int max)
{
	for (;;) {
		uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
		uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (t != h) {
			int n = 0;
			while (h != t && n < max)
				memcpy(out[n++], r->data[h++ % RING], REC);
			atomic_store_explicit(&r->head, h, memory_order_release);
			return n;
		}
		atomic_store(&r->sleeping, 1);
		if (atomic_load(&r->tail) != h) {
			atomic_store(&r->sleeping, 0);
			continue;
		}
		uint64_t v;
		if (read(r->efd, &v, 8) != 8 && errno != EINTR)
			_exit(1);
	}
}

static void shm_pipe(void)
{
	struct ring *r1 = mmap(NULL, sizeof *r1, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct ring *r2 = mmap(NULL, sizeof *r2, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int done[2];
	if (r1 == MAP_FAILED || r2 == MAP_FAILED || pipe(done))
		xfail("mmap");
	r1->efd = eventfd(0, 0);
	r2->efd = eventfd(0, 0);
	pid_t d = fork();
	if (d == 0) {
		static char b[BATCH][REC];
		for (;;) {
			int n = ring_get(r1, b, BATCH);
			for (int i = 0; i < n; i++)
				ring_put(r2, b[i]);
		}
	}
	pid_t b = fork();
	if (b == 0) {
		static char buf[BATCH][REC];
		long got = 0;
		while (got < TPUT_N)
			got += ring_get(r2, buf, BATCH);
		if (write(done[1], "x", 1) != 1)
			_exit(1);
		_exit(0);
	}
	char rec[REC] = { 0 };
	double t = now();
	for (long i = 0; i < TPUT_N; i++)
		ring_put(r1, rec);
	char c;
	if (read(done[0], &c, 1) != 1)
		xfail("shm-pipe done");
	t = now() - t;
	printf("%-10s %8.0f records/s  %6.1f MB/s (%d-byte records)\n", "shm-pipe", TPUT_N / t,
	       TPUT_N * (double)REC / t / 1e6, REC);
	kill(d, SIGKILL);
	waitpid(d, NULL, 0);
	waitpid(b, NULL, 0);
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : "";
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!*only || !strcmp(only, "udp-rtt"))
		udp_rtt();
	if (!*only || !strcmp(only, "unix-rtt"))
		unix_rtt();
	if (!*only || !strcmp(only, "relay-rtt"))
		relay_rtt();
	if (!*only || !strcmp(only, "rpc"))
		rpc();
	if (!*only || !strcmp(only, "unix-pipe"))
		unix_pipe();
	if (!*only || !strcmp(only, "shm-pipe"))
		shm_pipe();
	return 0;
}
