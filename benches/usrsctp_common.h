/*
 * What benches/usrsctp_pingpong.c and benches/usrsctp_setup.c share: a
 * usrsctp stack set up as usrsctp's tsctp sets it, one-to-one sockets
 * with SCTP_NODELAY, loopback addresses, and message I/O.
 */
#ifndef USRSCTP_COMMON_H
#define USRSCTP_COMMON_H
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <usrsctp.h>

#define SCTP_PORT 5001

static inline double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static inline void die(const char *what)
{
	perror(what);
	exit(1);
}

static inline void stack(int udp_port)
{
	usrsctp_init((uint16_t)udp_port, NULL, NULL); /* no debug output */
	usrsctp_sysctl_set_sctp_blackhole(2);
	usrsctp_sysctl_set_sctp_no_csum_on_loopback(0);
	usrsctp_sysctl_set_sctp_enable_sack_immediately(1);
}

static inline struct socket *sock(void)
{
	struct socket *s = usrsctp_socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
	int one = 1;
	if (!s)
		die("usrsctp_socket");
	if (usrsctp_setsockopt(s, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof one) < 0)
		die("SCTP_NODELAY");
	return s;
}

static inline struct sockaddr_in lo(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	return a;
}

/* Reads one message of up to len bytes; returns its length (0: EOF). */
static inline ssize_t recv_msg(struct socket *s, char *buf, size_t len)
{
	struct sockaddr_in from;
	socklen_t fromlen = sizeof from;
	struct sctp_rcvinfo info;
	socklen_t infolen = sizeof info;
	unsigned int infotype = 0;
	int flags = 0;
	return usrsctp_recvv(s, buf, len, (struct sockaddr *)&from, &fromlen, &info, &infolen, &infotype, &flags);
}

static inline ssize_t send_msg(struct socket *s, const char *buf, size_t len)
{
	return usrsctp_sendv(s, buf, len, NULL, 0, NULL, 0, SCTP_SENDV_NOINFO, 0);
}

#endif
