/*
 * stack_sctpudp.c: the peer's stack layer on sctpudp, written as a plain
 * Linux SCTP program (<netinet/sctp.h>, the lksctp-tools API): socket(),
 * setsockopt(SOL_SCTP), sctp_connectx(), sctp_sendmsg(), sctp_send(),
 * sctp_recvmsg().  Built with pkg-config's flags for sctpudp, every packet
 * is UDP-encapsulated; the UDP ports come from SCTPUDP_UDP_PORT and
 * SCTPUDP_REMOTE_UDP_PORT, or from -u/-r through sctpudp_set_*().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <sys/socket.h>
#include <sctpudp.h>

#include "peer.h"

struct psock {
	int fd;
};

static int s_init(uint16_t udp_port, uint16_t remote_udp_port)
{
	if (udp_port && sctpudp_set_udp_port(udp_port) < 0) {
		perror("sctpudp_set_udp_port");
		return -1;
	}
	if (remote_udp_port && sctpudp_set_remote_udp_port(remote_udp_port) < 0) {
		perror("sctpudp_set_remote_udp_port");
		return -1;
	}
	return 0;
}

static struct psock *wrap(int fd)
{
	struct psock *s;

	if (fd < 0)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return NULL;
	}
	s->fd = fd;
	return s;
}

static struct psock *s_socket(int one_to_many)
{
	return wrap(socket(AF_INET, one_to_many ? SOCK_SEQPACKET : SOCK_STREAM, IPPROTO_SCTP));
}

#define OPT(level, name, val)                                                   \
	do {                                                                    \
		if (setsockopt(s->fd, level, name, &(val), sizeof(val)) < 0) {   \
			fprintf(stderr, "setsockopt %s: %s\n", #name, strerror(errno)); \
			if (errno == ENOPROTOOPT)                               \
				(*missing)++;                                   \
			rc++;                                                   \
		}                                                               \
	} while (0)

#define AUTH_ENABLE()                                                          \
	do {                                                                   \
		struct sctp_assoc_value av;                                    \
		memset(&av, 0, sizeof(av));                                    \
		av.assoc_id = SCTP_FUTURE_ASSOC;                               \
		av.assoc_value = 1;                                            \
		OPT(IPPROTO_SCTP, SCTP_AUTH_SUPPORTED, av);                    \
	} while (0)
/* PEER_ASCONF=1: ASCONF (RFC 5061) on too. */
#define ASCONF_ENABLE()                                                        \
	do {                                                                   \
		struct sctp_assoc_value av2;                                   \
		memset(&av2, 0, sizeof(av2));                                  \
		av2.assoc_id = SCTP_FUTURE_ASSOC;                              \
		av2.assoc_value = 1;                                           \
		if (getenv("PEER_ASCONF"))                                     \
			OPT(IPPROTO_SCTP, SCTP_ASCONF_SUPPORTED, av2);         \
	} while (0)
#define SETOPT(level, name, buf, len) setsockopt(s->fd, level, name, buf, (socklen_t)(len))
#define HMAC_COUNT_FIELD shmac_num_idents

#include "auth_setup.h"

static int s_setup(struct psock *s, int streams, int bufsize, int *missing)
{
	struct sctp_initmsg init;
	struct sctp_event_subscribe ev;
	const int on = 1;
	int rc = 0;

	memset(&init, 0, sizeof(init));
	init.sinit_num_ostreams = (uint16_t)streams;
	init.sinit_max_instreams = (uint16_t)streams;
	OPT(IPPROTO_SCTP, SCTP_INITMSG, init);
	memset(&ev, 0, sizeof(ev));
	ev.sctp_data_io_event = 1;
	ev.sctp_association_event = 1;
	ev.sctp_shutdown_event = 1;
	OPT(IPPROTO_SCTP, SCTP_EVENTS, ev);
	OPT(IPPROTO_SCTP, SCTP_NODELAY, on);
	if (bufsize > 0) {
		OPT(SOL_SOCKET, SO_SNDBUF, bufsize);
		OPT(SOL_SOCKET, SO_RCVBUF, bufsize);
	}
	rc += auth_setup(s, missing);
	return rc;
}

static int s_bind(struct psock *s, const char *addr, uint16_t port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_ANY);
	if (addr && inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
		errno = EINVAL;
		return -1;
	}
	return bind(s->fd, (struct sockaddr *)&a, sizeof(a));
}

static int s_listen(struct psock *s, int backlog)
{
	return listen(s->fd, backlog);
}

static struct psock *s_accept(struct psock *l)
{
	return wrap(accept(l->fd, NULL, NULL));
}

static int s_connect(struct psock *s, const char *addr, uint16_t port, uint32_t *assoc)
{
	struct sockaddr_in a;
	sctp_assoc_t id = 0;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
		errno = EINVAL;
		return -1;
	}
	if (sctp_connectx(s->fd, (struct sockaddr *)&a, 1, &id) < 0)
		return -1;
	if (assoc)
		*assoc = (uint32_t)id;
	return 0;
}

static ssize_t s_send(struct psock *s, const void *buf, size_t len, uint16_t sid,
		      uint32_t ppid, int unordered, uint32_t assoc)
{
	struct sctp_sndrcvinfo sinfo;

	if (!assoc)
		return sctp_sendmsg(s->fd, buf, len, NULL, 0, htonl(ppid),
				    unordered ? SCTP_UNORDERED : 0, sid, 0, 0);
	memset(&sinfo, 0, sizeof(sinfo));
	sinfo.sinfo_stream = sid;
	sinfo.sinfo_ppid = htonl(ppid);
	sinfo.sinfo_flags = unordered ? SCTP_UNORDERED : 0;
	sinfo.sinfo_assoc_id = (sctp_assoc_t)assoc;
	return sctp_send(s->fd, buf, len, &sinfo, 0);
}

static int s_abort(struct psock *s, uint32_t assoc, const char *reason)
{
	struct sctp_sndrcvinfo sinfo;

	memset(&sinfo, 0, sizeof(sinfo));
	sinfo.sinfo_flags = SCTP_ABORT;
	sinfo.sinfo_assoc_id = (sctp_assoc_t)assoc;
	return sctp_send(s->fd, reason, strlen(reason), &sinfo, 0) < 0 ? -1 : 0;
}

static void notification(const void *buf, size_t len, struct prinfo *info)
{
	const union sctp_notification *sn = buf;

	info->ev = PEV_OTHER;
	if (len < sizeof(sn->sn_header))
		return;
	info->ev_raw_type = sn->sn_header.sn_type;
	switch (sn->sn_header.sn_type) {
	case SCTP_ASSOC_CHANGE:
		if (len < sizeof(struct sctp_assoc_change))
			return;
		info->assoc = (uint32_t)sn->sn_assoc_change.sac_assoc_id;
		info->ev_ostreams = sn->sn_assoc_change.sac_outbound_streams;
		info->ev_istreams = sn->sn_assoc_change.sac_inbound_streams;
		info->ev_error = sn->sn_assoc_change.sac_error;
		switch (sn->sn_assoc_change.sac_state) {
		case SCTP_COMM_UP: info->ev = PEV_COMM_UP; break;
		case SCTP_COMM_LOST: info->ev = PEV_COMM_LOST; break;
		case SCTP_RESTART: info->ev = PEV_RESTART; break;
		case SCTP_SHUTDOWN_COMP: info->ev = PEV_SHUTDOWN_COMP; break;
		case SCTP_CANT_STR_ASSOC: info->ev = PEV_CANT_STR_ASSOC; break;
		default: break;
		}
		break;
	case SCTP_SHUTDOWN_EVENT:
		info->ev = PEV_SHUTDOWN_EVENT;
		if (len >= sizeof(struct sctp_shutdown_event))
			info->assoc = (uint32_t)sn->sn_shutdown_event.sse_assoc_id;
		break;
	default:
		break;
	}
}

static ssize_t s_recv(struct psock *s, void *buf, size_t cap, struct prinfo *info)
{
	struct sctp_sndrcvinfo sinfo;
	int flags = 0; /* sctp_recvmsg reads it as input too */
	int n;

	memset(info, 0, sizeof(*info));
	memset(&sinfo, 0, sizeof(sinfo));
	n = sctp_recvmsg(s->fd, buf, cap, NULL, NULL, &sinfo, &flags);
	if (n <= 0)
		return n;
	info->eor = (flags & MSG_EOR) != 0;
	if (flags & MSG_NOTIFICATION) {
		info->notification = 1;
		notification(buf, (size_t)n, info);
		return n;
	}
	info->sid = sinfo.sinfo_stream;
	info->ppid = ntohl(sinfo.sinfo_ppid);
	info->unordered = (sinfo.sinfo_flags & SCTP_UNORDERED) != 0;
	info->assoc = (uint32_t)sinfo.sinfo_assoc_id;
	return n;
}

static int s_shutdown_wr(struct psock *s)
{
	return shutdown(s->fd, SHUT_WR);
}

static void s_close(struct psock *s)
{
	close(s->fd);
	free(s);
}

static void s_finish(void)
{
}

static int s_renumber(struct psock *s, const char *addr, int op)
{
	struct sockaddr_in me, a;
	socklen_t ml = sizeof(me);

	if (getsockname(s->fd, (struct sockaddr *)&me, &ml) < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = me.sin_port;
	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
		errno = EINVAL;
		return -1;
	}
	if (op < 2)
		return sctp_bindx(s->fd, (struct sockaddr *)&a, 1, op ? SCTP_BINDX_REM_ADDR : SCTP_BINDX_ADD_ADDR);
	struct sctp_setpeerprim pp;
	memset(&pp, 0, sizeof(pp));
	memcpy(&pp.sspp_addr, &a, sizeof(a));
	return setsockopt(s->fd, IPPROTO_SCTP, SCTP_SET_PEER_PRIMARY_ADDR, &pp, sizeof(pp));
}

static const struct pstack sctpudp_stack = {
	.name = "sctpudp",
	.init = s_init,
	.socket = s_socket,
	.setup = s_setup,
	.bind = s_bind,
	.listen = s_listen,
	.accept = s_accept,
	.connect = s_connect,
	.send = s_send,
	.abort = s_abort,
	.recv = s_recv,
	.shutdown_wr = s_shutdown_wr,
	.close = s_close,
	.finish = s_finish,
	.renumber = s_renumber,
};

const struct pstack *const stack = &sctpudp_stack;
