/*
 * multi_server: a one-to-many (SOCK_SEQPACKET) SCTP echo server for many
 * clients on several streams, all on one socket.
 *
 * Every message is echoed back to the association it came from (its
 * sinfo_assoc_id), on the same stream and with the same ppid, with
 * sctp_send().  Association notifications (SCTP_ASSOC_CHANGE) report each
 * client coming and going; per-association message counts are printed when
 * an association ends.  Speaks the same protocol as echo_server, so
 * echo_client works against it.
 *
 * Build:
 *   cc multi_server.c -o multi_server $(pkg-config --cflags --libs sctpudp)
 *   (or `make` in this directory)
 *
 * Run the server and several clients on one host.  The server needs a
 * known UDP encapsulation port; clients may take ephemeral ones (0):
 *   SCTPUDP_UDP_PORT=9901 ./multi_server 127.0.0.1 5000
 *   for i in 1 2 3 4 5 6 7 8; do
 *     SCTPUDP_UDP_PORT=0 SCTPUDP_REMOTE_UDP_PORT=9901 ./echo_client 127.0.0.1 5000 500 &
 *   done; wait
 *
 * Usage: multi_server ADDRESS PORT [STREAMS [ASSOCIATIONS]]
 * STREAMS (default 10) streams each way; exits after ASSOCIATIONS
 * associations have ended (default: runs until killed).
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
#define MAX_ASSOCS 4096

struct assoc { sctp_assoc_t id; unsigned long msgs, bytes; };
static struct assoc assocs[MAX_ASSOCS];
static int n_assocs;

static void die(const char *what)
{
	fprintf(stderr, "multi_server: %s: %s\n", what, strerror(errno));
	exit(1);
}

static struct assoc *find(sctp_assoc_t id)
{
	for (int i = 0; i < n_assocs; i++)
		if (assocs[i].id == id)
			return &assocs[i];
	return NULL;
}

static void forget(sctp_assoc_t id)
{
	struct assoc *a = find(id);

	if (a)
		*a = assocs[--n_assocs];
}

/* Returns 1 when an association ended. */
static int on_notification(const union sctp_notification *sn)
{
	const struct sctp_assoc_change *ac = &sn->sn_assoc_change;
	struct assoc *a;

	if (sn->sn_header.sn_type != SCTP_ASSOC_CHANGE)
		return 0;
	switch (ac->sac_state) {
	case SCTP_COMM_UP:
	case SCTP_RESTART:
		if (!find(ac->sac_assoc_id) && n_assocs < MAX_ASSOCS)
			assocs[n_assocs++] = (struct assoc){ ac->sac_assoc_id, 0, 0 };
		printf("multi_server: association %d %s, %u out / %u in streams, %d active\n",
		       ac->sac_assoc_id, ac->sac_state == SCTP_COMM_UP ? "up" : "restarted",
		       ac->sac_outbound_streams, ac->sac_inbound_streams, n_assocs);
		return 0;
	case SCTP_SHUTDOWN_COMP:
	case SCTP_COMM_LOST:
	case SCTP_CANT_STR_ASSOC:
		a = find(ac->sac_assoc_id);
		printf("multi_server: association %d %s after %lu messages (%lu bytes)\n",
		       ac->sac_assoc_id,
		       ac->sac_state == SCTP_SHUTDOWN_COMP ? "closed" : "lost",
		       a ? a->msgs : 0, a ? a->bytes : 0);
		forget(ac->sac_assoc_id);
		return 1;
	default:
		return 0;
	}
}

int main(int argc, char **argv)
{
	static char buf[MAX_MSG];
	struct addrinfo hints, *ai;
	struct sctp_initmsg init;
	struct sctp_event_subscribe events;
	int streams = argc > 3 ? atoi(argv[3]) : 10;
	long remaining = argc > 4 ? atol(argv[4]) : -1;
	int fd, rc;

	if (argc < 3 || argc > 5 || streams < 1 || streams > 65535) {
		fprintf(stderr, "usage: %s ADDRESS PORT [STREAMS [ASSOCIATIONS]]\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_SEQPACKET;
	hints.ai_protocol = IPPROTO_SCTP;
	rc = getaddrinfo(argv[1], argv[2], &hints, &ai);
	if (rc != 0) {
		fprintf(stderr, "multi_server: %s %s: %s\n", argv[1], argv[2], gai_strerror(rc));
		return 2;
	}
	fd = socket(ai->ai_family, SOCK_SEQPACKET, IPPROTO_SCTP);
	if (fd < 0)
		die("socket");
	memset(&init, 0, sizeof(init));
	init.sinit_num_ostreams = (uint16_t)streams;
	init.sinit_max_instreams = (uint16_t)streams;
	if (setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof(init)) < 0)
		die("SCTP_INITMSG");
	/* sinfo (stream, ppid, assoc id) with each message, plus association
	 * up/down notifications. */
	memset(&events, 0, sizeof(events));
	events.sctp_data_io_event = 1;
	events.sctp_association_event = 1;
	if (setsockopt(fd, IPPROTO_SCTP, SCTP_EVENTS, &events, sizeof(events)) < 0)
		die("SCTP_EVENTS");
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		die("bind");
	if (listen(fd, 128) < 0) /* accept new associations */
		die("listen");
	printf("multi_server: listening on %s port %s, %d streams\n", argv[1], argv[2], streams);
	freeaddrinfo(ai);

	while (remaining != 0) {
		struct sctp_sndrcvinfo sinfo, reply;
		struct assoc *a;
		size_t len = 0;
		int flags, n;

		/* One whole message or notification (partial reads until MSG_EOR;
		 * the pieces of one message are never interleaved with others). */
		do {
			flags = 0; /* sctp_recvmsg also reads flags as input */
			n = sctp_recvmsg(fd, buf + len, sizeof(buf) - len, NULL, NULL,
					 len ? &reply : &sinfo, &flags);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				die("sctp_recvmsg");
			len += (size_t)n;
		} while (!(flags & MSG_EOR) && len < sizeof(buf));

		if (flags & MSG_NOTIFICATION) {
			if (on_notification((const union sctp_notification *)buf) && remaining > 0)
				remaining--;
			continue;
		}
		if (!(flags & MSG_EOR)) {
			fprintf(stderr, "multi_server: message larger than %d bytes dropped\n",
				MAX_MSG);
			continue;
		}
		memset(&reply, 0, sizeof(reply));
		reply.sinfo_assoc_id = sinfo.sinfo_assoc_id;
		reply.sinfo_stream = sinfo.sinfo_stream;
		reply.sinfo_ppid = sinfo.sinfo_ppid;
		if (sctp_send(fd, buf, len, &reply, 0) < 0) {
			fprintf(stderr, "multi_server: sctp_send to association %d: %s\n",
				sinfo.sinfo_assoc_id, strerror(errno));
			continue;
		}
		if ((a = find(sinfo.sinfo_assoc_id)) != NULL) {
			a->msgs++;
			a->bytes += len;
		}
	}
	close(fd);
	return 0;
}
