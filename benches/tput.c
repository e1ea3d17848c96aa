/*
 * tput: one-to-one SCTP throughput over sctpudp on loopback, two processes
 * (each with its own UDP encapsulation port), client -> server, discard.
 *
 *   cc -O2 benches/tput.c $(pkg-config --cflags --libs sctpudp) -o tput
 *   ./tput [MiB] [message-size]          (default: 200 MiB of 64 KiB)
 *
 * Prints "N MiB in T s = X MB/s (msg S)"; the time covers the transfer
 * from the first send to the server having read every byte.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long total = (argc > 1 ? atol(argv[1]) : 200) << 20;
	int msz = argc > 2 ? atoi(argv[2]) : 65536;
	int port = 20000 + getpid() % 20000;
	int sync[2];
	if (pipe(sync))
		return 1;
	char sport[16], cport[16];
	snprintf(sport, sizeof sport, "%d", 30000 + getpid() % 20000);
	snprintf(cport, sizeof cport, "%d", 30001 + getpid() % 20000);
	pid_t pid = fork();
	if (pid == 0) {
		setenv("SCTPUDP_UDP_PORT", sport, 1);
		int l = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		if (l < 0 || bind(l, (void *)&a, sizeof a) || listen(l, 1)) {
			perror("server");
			_exit(1);
		}
		if (write(sync[1], "L", 1) != 1)
			_exit(1);
		int c = accept(l, NULL, NULL);
		char *buf = malloc(1 << 20);
		long got = 0;
		int n;
		while ((n = recv(c, buf, 1 << 20, 0)) > 0)
			got += n;
		close(c);
		close(l);
		_exit(got == total ? 0 : 2);
	}
	char t;
	if (read(sync[0], &t, 1) != 1)
		return 1;
	setenv("SCTPUDP_UDP_PORT", cport, 1);
	setenv("SCTPUDP_REMOTE_UDP_PORT", sport, 1);
	int s = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (s < 0 || connect(s, (void *)&a, sizeof a)) {
		perror("connect");
		return 1;
	}
	char *m = malloc(msz);
	memset(m, 'x', msz);
	double t0 = now();
	long sent = 0;
	while (sent < total) {
		int k = send(s, m, msz, 0);
		if (k < 0) {
			perror("send");
			return 1;
		}
		sent += k;
	}
	close(s);
	int st;
	waitpid(pid, &st, 0);
	double dt = now() - t0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "server did not receive everything\n");
		return 1;
	}
	printf("%ld MiB in %.2f s = %.1f MB/s (msg %d)\n", total >> 20, dt, total / dt / 1e6, msz);
	return 0;
}
