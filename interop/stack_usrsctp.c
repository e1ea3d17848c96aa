/*
 * stack_usrsctp.c: the peer's stack layer on usrsctp (Debian's
 * libusrsctp-dev), every packet UDP-encapsulated (RFC 6951).
 *
 * usrsctp_init(port) sets the local UDP tunneling port; each socket gets
 * the remote encapsulation port with SCTP_REMOTE_UDP_ENCAPS_PORT (usrsctp's
 * BSD struct sctp_udpencaps).  Like usrsctp's own example programs we set
 * sctp_no_csum_on_loopback = 0, so that no loopback heuristic can leave
 * the CRC32c out (INTEROP_USRSCTP_DEFAULT_CSUM=1 keeps usrsctp's default;
 * with 0.9.5.0 its UDP-encapsulated packets carried a correct CRC32c
 * either way).  Unlike them we leave sctp_blackhole at 0, so that usrsctp
 * answers out-of-the-blue packets with an ABORT as RFC 9260 8.4 says (the
 * examples set 2 and drop them silently, which hides such packets).
 * INTEROP_USRSCTP_DEBUG=1 turns on usrsctp's debug output on stderr.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <usrsctp.h>

#include "peer.h"

struct psock {
	struct socket *so;
	int one_to_many;
};

static uint16_t remote_udp;

static void debug_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int u_init(uint16_t udp_port, uint16_t remote_udp_port)
{
	int debug = getenv("INTEROP_USRSCTP_DEBUG") && atoi(getenv("INTEROP_USRSCTP_DEBUG"));

	remote_udp = remote_udp_port;
	usrsctp_init(udp_port, NULL, debug ? debug_printf : NULL);
#ifdef SCTP_DEBUG
	usrsctp_sysctl_set_sctp_debug_on(debug ? SCTP_DEBUG_ALL : SCTP_DEBUG_NONE);
#endif
	if (!(getenv("INTEROP_USRSCTP_DEFAULT_CSUM") && atoi(getenv("INTEROP_USRSCTP_DEFAULT_CSUM"))))
		usrsctp_sysctl_set_sctp_no_csum_on_loopback(0);
	if (udp_port)
		usrsctp_sysctl_set_sctp_udp_tunneling_port(udp_port);
	return 0;
}

static struct psock *u_socket(int one_to_many)
{
	struct psock *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->one_to_many = one_to_many;
	s->so = usrsctp_socket(AF_INET, one_to_many ? SOCK_SEQPACKET : SOCK_STREAM,
			       IPPROTO_SCTP, NULL, NULL, 0, NULL);
	if (!s->so) {
		free(s);
		return NULL;
	}
	if (remote_udp) {
		struct sctp_udpencaps encaps;

		memset(&encaps, 0, sizeof(encaps));
		encaps.sue_address.ss_family = AF_INET;
		encaps.sue_assoc_id = SCTP_FUTURE_ASSOC;
		encaps.sue_port = htons(remote_udp);
		if (usrsctp_setsockopt(s->so, IPPROTO_SCTP, SCTP_REMOTE_UDP_ENCAPS_PORT,
				       &encaps, sizeof(encaps)) < 0) {
			perror("usrsctp_setsockopt SCTP_REMOTE_UDP_ENCAPS_PORT");
			usrsctp_close(s->so);
			free(s);
			return NULL;
		}
	}
	return s;
}

#define OPT(level, name, val)                                                      \
	do {                                                                       \
		if (usrsctp_setsockopt(s->so, level, name, &(val), sizeof(val)) < 0) { \
			fprintf(stderr, "usrsctp_setsockopt %s: %s\n", #name,      \
				strerror(errno));                                  \
			if (errno == ENOPROTOOPT)                                  \
				(*missing)++;                                      \
			rc++;                                                      \
		}                                                                  \
	} while (0)

/* usrsctp has AUTH on unless told otherwise. */
#define AUTH_ENABLE() do { } while (0)
/* usrsctp has ASCONF on unless told otherwise. */
#define ASCONF_ENABLE() do { } while (0)
#define SETOPT(level, name, buf, len) usrsctp_setsockopt(s->so, level, name, buf, (socklen_t)(len))
#define HMAC_COUNT_FIELD shmac_number_of_idents

#include "auth_setup.h"

static int u_setup(struct psock *s, int streams, int bufsize, int *missing)
{
	uint16_t types[] = { SCTP_ASSOC_CHANGE, SCTP_SHUTDOWN_EVENT };
	struct sctp_initmsg init;
	struct sctp_event ev;
	const int on = 1;
	int buf = bufsize > 0 ? bufsize : 1 << 20;
	int rc = 0;

	memset(&init, 0, sizeof(init));
	init.sinit_num_ostreams = (uint16_t)streams;
	init.sinit_max_instreams = (uint16_t)streams;
	OPT(IPPROTO_SCTP, SCTP_INITMSG, init);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		memset(&ev, 0, sizeof(ev));
		ev.se_assoc_id = SCTP_FUTURE_ASSOC;
		ev.se_on = 1;
		ev.se_type = types[i];
		OPT(IPPROTO_SCTP, SCTP_EVENT, ev);
	}
	OPT(IPPROTO_SCTP, SCTP_RECVRCVINFO, on);
	OPT(IPPROTO_SCTP, SCTP_NODELAY, on);
	OPT(SOL_SOCKET, SO_SNDBUF, buf);
	OPT(SOL_SOCKET, SO_RCVBUF, buf);
	rc += auth_setup(s, missing);
	return rc;
}

static int u_bind(struct psock *s, const char *addr, uint16_t port)
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
	return usrsctp_bind(s->so, (struct sockaddr *)&a, sizeof(a));
}

static int u_listen(struct psock *s, int backlog)
{
	return usrsctp_listen(s->so, backlog);
}

static struct psock *u_accept(struct psock *l)
{
	struct psock *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->so = usrsctp_accept(l->so, NULL, NULL);
	if (!s->so) {
		free(s);
		return NULL;
	}
	return s;
}

static int u_connect(struct psock *s, const char *addr, uint16_t port, uint32_t *assoc)
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
	/* usrsctp_connectx() (SCTP_CONNECT_X underneath) never waits for the
	 * handshake, and a one-to-one socket that is shut down in COOKIE-WAIT
	 * never sends its SHUTDOWN; usrsctp_connect() blocks until the
	 * association is up, as connect() does on Linux.  A one-to-many
	 * socket needs the id to send, so it keeps connectx. */
	if (s->one_to_many) {
		if (usrsctp_connectx(s->so, (struct sockaddr *)&a, 1, &id) < 0)
			return -1;
	} else {
		if (usrsctp_connect(s->so, (struct sockaddr *)&a, sizeof(a)) < 0)
			return -1;
		id = usrsctp_getassocid(s->so, (struct sockaddr *)&a);
	}
	if (assoc)
		*assoc = (uint32_t)id;
	return 0;
}

static ssize_t u_send(struct psock *s, const void *buf, size_t len, uint16_t sid,
		      uint32_t ppid, int unordered, uint32_t assoc)
{
	struct sctp_sndinfo snd;

	memset(&snd, 0, sizeof(snd));
	snd.snd_sid = sid;
	snd.snd_ppid = htonl(ppid);
	snd.snd_flags = unordered ? SCTP_UNORDERED : 0;
	snd.snd_assoc_id = (sctp_assoc_t)assoc;
	return usrsctp_sendv(s->so, buf, len, NULL, 0, &snd, sizeof(snd),
			     SCTP_SENDV_SNDINFO, 0);
}

static int u_abort(struct psock *s, uint32_t assoc, const char *reason)
{
	struct sctp_sndinfo snd;

	memset(&snd, 0, sizeof(snd));
	snd.snd_flags = SCTP_ABORT;
	snd.snd_assoc_id = (sctp_assoc_t)assoc;
	return usrsctp_sendv(s->so, reason, strlen(reason), NULL, 0, &snd, sizeof(snd),
			     SCTP_SENDV_SNDINFO, 0) < 0 ? -1 : 0;
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

static ssize_t u_recv(struct psock *s, void *buf, size_t cap, struct prinfo *info)
{
	struct sctp_rcvinfo rcv;
	socklen_t infolen = sizeof(rcv);
	unsigned int infotype = 0;
	int flags = 0;
	ssize_t n;

	memset(info, 0, sizeof(*info));
	memset(&rcv, 0, sizeof(rcv));
	n = usrsctp_recvv(s->so, buf, cap, NULL, NULL, &rcv, &infolen, &infotype, &flags);
	if (n <= 0)
		return n;
	info->eor = (flags & MSG_EOR) != 0;
	if (flags & MSG_NOTIFICATION) {
		info->notification = 1;
		notification(buf, (size_t)n, info);
		return n;
	}
	if (infotype == SCTP_RECVV_RCVINFO) {
		info->sid = rcv.rcv_sid;
		info->ppid = ntohl(rcv.rcv_ppid);
		info->unordered = (rcv.rcv_flags & SCTP_UNORDERED) != 0;
		info->assoc = (uint32_t)rcv.rcv_assoc_id;
	}
	return n;
}

static int u_shutdown_wr(struct psock *s)
{
	return usrsctp_shutdown(s->so, SHUT_WR);
}

static void u_close(struct psock *s)
{
	usrsctp_close(s->so);
	free(s);
}

static void u_finish(void)
{
	/* usrsctp_finish() fails while associations still wind down. */
	for (int i = 0; i < 40 && usrsctp_finish() != 0; i++)
		usleep(50000);
}

static int u_renumber(struct psock *s, const char *addr, int op)
{
	struct sockaddr_in a;
	struct sockaddr *la = NULL;
	int n = usrsctp_getladdrs(s->so, 0, &la);
	uint16_t port = 0;

	if (n > 0 && la)
		port = ((struct sockaddr_in *)la)->sin_port;
	if (la)
		usrsctp_freeladdrs(la);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = port;
	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
		errno = EINVAL;
		return -1;
	}
	if (op < 2)
		return usrsctp_bindx(s->so, (struct sockaddr *)&a, 1, op ? SCTP_BINDX_REM_ADDR : SCTP_BINDX_ADD_ADDR);
	struct sctp_setpeerprim pp;
	memset(&pp, 0, sizeof(pp));
	memcpy(&pp.sspp_addr, &a, sizeof(a));
	return usrsctp_setsockopt(s->so, IPPROTO_SCTP, SCTP_SET_PEER_PRIMARY_ADDR, &pp, sizeof(pp));
}

static const struct pstack usrsctp_stack = {
	.name = "usrsctp",
	.init = u_init,
	.socket = u_socket,
	.setup = u_setup,
	.bind = u_bind,
	.listen = u_listen,
	.accept = u_accept,
	.connect = u_connect,
	.send = u_send,
	.abort = u_abort,
	.recv = u_recv,
	.shutdown_wr = u_shutdown_wr,
	.close = u_close,
	.finish = u_finish,
	.renumber = u_renumber,
};

const struct pstack *const stack = &usrsctp_stack;
