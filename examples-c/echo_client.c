/*
 * echo_client: a one-to-one (SOCK_STREAM) SCTP echo client.
 *
 * Connects, sends COUNT messages of 1..SIZE bytes spread over all the
 * outbound streams of the association, checks that each echo comes back
 * byte for byte on the same stream with the same ppid, prints one line and
 * exits 0 on success (1 on any error, 2 on bad usage).
 *
 * Build:
 *   cc echo_client.c -o echo_client $(pkg-config --cflags --libs sctpudp)
 *   (or `make` in this directory)
 *
 * Run against echo_server (or multi_server) on one host, each process with
 * its own UDP encapsulation port; the client names the server's:
 *   SCTPUDP_UDP_PORT=9901 ./echo_server 127.0.0.1 5000
 *   SCTPUDP_UDP_PORT=9902 SCTPUDP_REMOTE_UDP_PORT=9901 ./echo_client 127.0.0.1 5000 1000
 * A client may also take an ephemeral UDP port (SCTPUDP_UDP_PORT=0): the
 * server answers to the port the packets came from.
 *
 * Usage: echo_client ADDRESS PORT [COUNT [SIZE]]   (defaults: 10, 1000)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_MS 10000

static void die(const char *what)
{
	fprintf(stderr, "echo_client: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void fill(unsigned char *p, size_t len, unsigned long seq)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(seq * 131 + i * 7 + (i >> 8));
}

/* Receive one whole message (looping over partial reads until MSG_EOR). */
static size_t recv_msg(int fd, unsigned char *buf, size_t cap,
		       struct sctp_sndrcvinfo *sinfo)
{
	size_t len = 0;
	int flags = 0;

	while (!(flags & MSG_EOR)) {
		struct pollfd p = { fd, POLLIN, 0 };
		int n;

		if (poll(&p, 1, TIMEOUT_MS) == 0) {
			fprintf(stderr, "echo_client: no echo within %d ms\n", TIMEOUT_MS);
			exit(1);
		}
		flags = 0; /* sctp_recvmsg also reads flags as input */
		n = sctp_recvmsg(fd, buf + len, cap - len, NULL, NULL,
				 len ? NULL : sinfo, &flags);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("sctp_recvmsg");
		}
		if (n == 0) {
			fprintf(stderr, "echo_client: server closed the association\n");
			exit(1);
		}
		len += (size_t)n;
		if (len == cap && !(flags & MSG_EOR)) {
			fprintf(stderr, "echo_client: echo longer than sent\n");
			exit(1);
		}
	}
	return len;
}

int main(int argc, char **argv)
{
	struct addrinfo hints, *ai;
	struct sctp_initmsg init;
	struct sctp_event_subscribe events;
	struct sctp_status status;
	socklen_t slen = sizeof(status);
	unsigned long count = argc > 3 ? strtoul(argv[3], NULL, 10) : 10;
	unsigned long size = argc > 4 ? strtoul(argv[4], NULL, 10) : 1000;
	unsigned long long total = 0;
	unsigned char *out, *in;
	struct timespec t0, t1;
	double secs;
	int fd, rc;

	if (argc < 3 || argc > 5 || size == 0) {
		fprintf(stderr, "usage: %s ADDRESS PORT [COUNT [SIZE]]\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	out = malloc(size);
	in = malloc(size + 1);
	if (!out || !in)
		die("malloc");

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_SCTP;
	rc = getaddrinfo(argv[1], argv[2], &hints, &ai);
	if (rc != 0) {
		fprintf(stderr, "echo_client: %s %s: %s\n", argv[1], argv[2], gai_strerror(rc));
		return 2;
	}
	fd = socket(ai->ai_family, SOCK_STREAM, IPPROTO_SCTP);
	if (fd < 0)
		die("socket");
	memset(&init, 0, sizeof(init));
	init.sinit_num_ostreams = 10;
	init.sinit_max_instreams = 10;
	if (setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof(init)) < 0)
		die("SCTP_INITMSG");
	memset(&events, 0, sizeof(events));
	events.sctp_data_io_event = 1; /* stream and ppid in sctp_recvmsg */
	if (setsockopt(fd, IPPROTO_SCTP, SCTP_EVENTS, &events, sizeof(events)) < 0)
		die("SCTP_EVENTS");
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		die("connect");
	freeaddrinfo(ai);
	/* How many outbound streams did the server grant? */
	memset(&status, 0, sizeof(status));
	if (getsockopt(fd, IPPROTO_SCTP, SCTP_STATUS, &status, &slen) < 0)
		die("SCTP_STATUS");
	if (status.sstat_outstrms == 0) {
		fprintf(stderr, "echo_client: no outbound streams\n");
		return 1;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long i = 0; i < count; i++) {
		size_t len = 1 + (i * 7919) % size;
		uint16_t stream = (uint16_t)(i % status.sstat_outstrms);
		struct sctp_sndrcvinfo sinfo;
		size_t got;

		fill(out, len, i);
		if (sctp_sendmsg(fd, out, len, NULL, 0, htonl((uint32_t)i), 0, stream, 0, 0) < 0)
			die("sctp_sendmsg");
		memset(&sinfo, 0, sizeof(sinfo));
		got = recv_msg(fd, in, size + 1, &sinfo);
		if (got != len || memcmp(in, out, len) != 0 ||
		    sinfo.sinfo_stream != stream || sinfo.sinfo_ppid != htonl((uint32_t)i)) {
			fprintf(stderr, "echo_client: message %lu: bad echo (%zu of %zu bytes, "
				"stream %u of %u)\n", i, got, len, sinfo.sinfo_stream, stream);
			return 1;
		}
		total += len;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (close(fd) < 0)
		die("close");
	printf("echo_client: %lu messages (%llu bytes) echoed intact over %u streams "
	       "in %.3f s\n", count, total, status.sstat_outstrms, secs);
	free(out);
	free(in);
	return 0;
}
