/*
 * echo_server: a one-to-one (SOCK_STREAM) SCTP echo server.
 *
 * A plain Linux SCTP program (<netinet/sctp.h>); built against sctpudp,
 * every SCTP packet travels inside a UDP datagram, so it runs where the
 * kernel has no SCTP.
 *
 * Build:
 *   cc echo_server.c -o echo_server $(pkg-config --cflags --libs sctpudp)
 *   (or `make` in this directory)
 *
 * Run a server and a client on one host.  Each process has its own UDP
 * encapsulation port (SCTPUDP_UDP_PORT); the client sends to the server's
 * (SCTPUDP_REMOTE_UDP_PORT).  5000 is the SCTP port, independent of both:
 *   SCTPUDP_UDP_PORT=9901 ./echo_server 127.0.0.1 5000
 *   SCTPUDP_UDP_PORT=9902 SCTPUDP_REMOTE_UDP_PORT=9901 ./echo_client 127.0.0.1 5000 1000
 *
 * Usage: echo_server ADDRESS PORT [CONNECTIONS]
 * Serves one client at a time and echoes each message back on the stream
 * and with the payload protocol id it came with, until the client closes.
 * Exits after CONNECTIONS clients (default: runs until killed).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_MSG (4 * 1024 * 1024)

static void die(const char *what)
{
	fprintf(stderr, "echo_server: %s: %s\n", what, strerror(errno));
	exit(1);
}

static const char *addr_str(const struct sockaddr *sa)
{
	static char buf[INET6_ADDRSTRLEN + 8];
	char host[INET6_ADDRSTRLEN], port[8];

	if (getnameinfo(sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						       : sizeof(struct sockaddr_in),
			host, sizeof(host), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return "?";
	snprintf(buf, sizeof(buf), sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
		 host, port);
	return buf;
}

/* Echo messages on one association until the peer closes. */
static void serve(int fd)
{
	static char buf[MAX_MSG];
	unsigned long msgs = 0, bytes = 0;

	for (;;) {
		struct sctp_sndrcvinfo sinfo;
		size_t len = 0;
		int flags, n;

		/* A message may arrive in pieces: read until MSG_EOR. */
		do {
			flags = 0; /* sctp_recvmsg also reads flags as input */
			memset(&sinfo, 0, sizeof(sinfo));
			n = sctp_recvmsg(fd, buf + len, sizeof(buf) - len, NULL, NULL,
					 &sinfo, &flags);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				perror("echo_server: sctp_recvmsg");
				return;
			}
			if (n == 0) {
				printf("echo_server: client done, %lu messages, %lu bytes echoed\n",
				       msgs, bytes);
				return;
			}
			len += (size_t)n;
		} while (!(flags & MSG_EOR) && len < sizeof(buf));
		if (!(flags & MSG_EOR)) {
			fprintf(stderr, "echo_server: message larger than %d bytes\n", MAX_MSG);
			return;
		}
		if (sctp_sendmsg(fd, buf, len, NULL, 0, sinfo.sinfo_ppid, 0,
				 sinfo.sinfo_stream, 0, 0) < 0) {
			perror("echo_server: sctp_sendmsg");
			return;
		}
		msgs++;
		bytes += len;
	}
}

int main(int argc, char **argv)
{
	struct addrinfo hints, *ai;
	struct sctp_initmsg init;
	struct sctp_event_subscribe events;
	long connections = argc > 3 ? atol(argv[3]) : -1;
	int l, one = 1, rc;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s ADDRESS PORT [CONNECTIONS]\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_SCTP;
	rc = getaddrinfo(argv[1], argv[2], &hints, &ai);
	if (rc != 0) {
		fprintf(stderr, "echo_server: %s %s: %s\n", argv[1], argv[2], gai_strerror(rc));
		return 2;
	}

	l = socket(ai->ai_family, SOCK_STREAM, IPPROTO_SCTP);
	if (l < 0)
		die("socket");
	if (setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		die("SO_REUSEADDR");
	/* Up to 10 streams each way; accepted sockets inherit the options. */
	memset(&init, 0, sizeof(init));
	init.sinit_num_ostreams = 10;
	init.sinit_max_instreams = 10;
	if (setsockopt(l, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof(init)) < 0)
		die("SCTP_INITMSG");
	/* Have sctp_recvmsg() report each message's stream and ppid. */
	memset(&events, 0, sizeof(events));
	events.sctp_data_io_event = 1;
	if (setsockopt(l, IPPROTO_SCTP, SCTP_EVENTS, &events, sizeof(events)) < 0)
		die("SCTP_EVENTS");
	/* A message larger than SO_SNDBUF is refused (EMSGSIZE, as on Linux):
	 * room to echo messages of up to 512 KiB (Linux doubles the value). */
	int sndbuf = 256 * 1024;
	if (setsockopt(l, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) < 0)
		die("SO_SNDBUF");
	if (bind(l, ai->ai_addr, ai->ai_addrlen) < 0)
		die("bind");
	if (listen(l, 16) < 0)
		die("listen");
	printf("echo_server: listening on %s\n", addr_str(ai->ai_addr));
	freeaddrinfo(ai);

	while (connections != 0) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		int c = accept(l, (struct sockaddr *)&peer, &plen);

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		printf("echo_server: client %s connected\n", addr_str((struct sockaddr *)&peer));
		serve(c);
		close(c);
		if (connections > 0)
			connections--;
	}
	close(l);
	return 0;
}
