/* echoext.c - SCTP echo server with the extensions on, one-to-many style.
 *
 * usage: echoext [port]   (default 11)
 * Like echo.c (same association, stream, PPID and unordered flag), but the
 * socket also turns on what the guest's sysctls allow:
 *   - net.sctp.reconf_enable=1: SCTP_ENABLE_STREAM_RESET with every request
 *     (stream reset, association reset, add streams), so the peer's
 *     RE-CONFIG requests are performed instead of denied;
 *   - net.sctp.intl_enable=1: SCTP_FRAGMENT_INTERLEAVE 2 and
 *     SCTP_INTERLEAVING_SUPPORTED (Linux offers and accepts I-DATA only on
 *     sockets that set both), plus the round-robin stream scheduler, so the
 *     echoes of messages on different streams are interleaved on the wire;
 *   - net.sctp.auth_enable=1: SCTP_AUTH_CHUNK for DATA and SACK, so a peer
 *     that does AUTH must sign those (one that does not is unaffected).
 * With fragment interleave level 2, pieces of messages from different
 * streams (and associations) arrive mixed, so each (association, stream,
 * unordered flag) is reassembled in a buffer of its own until MSG_EOR.
 * Stream reset, stream change, association reset and partial delivery
 * events are logged to the console.
 * A message whose PPID (network order) is 0x7E00TTTT is echoed with PR-SCTP
 * time to live TTTT ms (SCTP_PRINFO, policy TTL), so a host test can make the
 * kernel abandon data and send FORWARD-TSN (net.sctp.prsctp_enable=1).
 * A message with PPID 0x7F000000 and the text "gen SIZE SEED" is answered,
 * on its stream and with its unordered flag, by a message of SIZE bytes,
 * byte j = (SEED * 7 + j * 131 + (j >> 9)) & 0xff, with PPID SEED: a small
 * request makes the kernel send a large (fragmented) message.
 */
#include "common.h"

#define SLOTS 256
static struct slot {
	int used;
	sctp_assoc_t assoc;
	uint16_t sid;
	uint16_t uo;
	char *buf;
	size_t len, cap;
} tab[SLOTS];

static struct slot *find(sctp_assoc_t assoc, uint16_t sid, uint16_t uo)
{
	struct slot *free_slot = NULL;
	for (int i = 0; i < SLOTS; i++) {
		if (tab[i].used && tab[i].assoc == assoc && tab[i].sid == sid && tab[i].uo == uo)
			return &tab[i];
		if (!tab[i].used && !free_slot)
			free_slot = &tab[i];
	}
	if (!free_slot) return NULL;
	free_slot->used = 1, free_slot->assoc = assoc, free_slot->sid = sid, free_slot->uo = uo;
	free_slot->len = 0;
	return free_slot;
}

static void drop_assoc(sctp_assoc_t assoc)
{
	for (int i = 0; i < SLOTS; i++)
		if (tab[i].used && tab[i].assoc == assoc) {
			if (tab[i].len)
				LOG("echoext: dropping %zu bytes of an unfinished message (assoc %d stream %u)",
				    tab[i].len, assoc, tab[i].sid);
			tab[i].used = 0, tab[i].len = 0;
		}
}

/* send_like with an SCTP_PRINFO cmsg: PR-SCTP policy TTL, ttl_ms */
static int send_ttl(int fd, const void *buf, size_t len, const struct sctp_rcvinfo *ri, uint32_t ttl_ms)
{
	char cbuf[CMSG_SPACE(sizeof(struct sctp_sndinfo)) + CMSG_SPACE(sizeof(struct sctp_prinfo))];
	memset(cbuf, 0, sizeof(cbuf));
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = IPPROTO_SCTP;
	c->cmsg_type = SCTP_SNDINFO;
	c->cmsg_len = CMSG_LEN(sizeof(struct sctp_sndinfo));
	struct sctp_sndinfo si = { .snd_sid = ri->rcv_sid, .snd_flags = ri->rcv_flags & SCTP_UNORDERED,
				   .snd_ppid = ri->rcv_ppid, .snd_assoc_id = ri->rcv_assoc_id };
	memcpy(CMSG_DATA(c), &si, sizeof(si));
	c = CMSG_NXTHDR(&m, c);
	c->cmsg_level = IPPROTO_SCTP;
	c->cmsg_type = SCTP_PRINFO;
	c->cmsg_len = CMSG_LEN(sizeof(struct sctp_prinfo));
	struct sctp_prinfo pi = { .pr_policy = SCTP_PR_SCTP_TTL, .pr_value = ttl_ms };
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	for (;;) {
		ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (n >= 0 || errno != EINTR) return n < 0 ? -1 : 0;
	}
}

static int sysctl_on(const char *name)
{
	char path[128], c = '0';
	snprintf(path, sizeof(path), "/proc/sys/net/sctp/%s", name);
	FILE *f = fopen(path, "r");
	if (!f) return 0;
	if (fread(&c, 1, 1, f) != 1) c = '0';
	fclose(f);
	return c == '1';
}

static void log_ext_notification(int fd, const char *buf)
{
	const union sctp_notification *sn = (const void *)buf;
	switch (sn->sn_header.sn_type) {
	case SCTP_ASSOC_CHANGE:
		log_notification("echoext", fd, buf);
		if (sn->sn_assoc_change.sac_state != SCTP_COMM_UP &&
		    sn->sn_assoc_change.sac_state != SCTP_RESTART)
			drop_assoc(sn->sn_assoc_change.sac_assoc_id);
		break;
	case SCTP_STREAM_RESET_EVENT: {
		const struct sctp_stream_reset_event *e = &sn->sn_strreset_event;
		int n = (e->strreset_length - sizeof(*e)) / sizeof(uint16_t);
		char list[128] = "all";
		size_t off = 0;
		for (int i = 0; i < n && off < sizeof(list) - 8; i++)
			off += snprintf(list + off, sizeof(list) - off, "%s%u", i ? "," : "",
					e->strreset_stream_list[i]);
		LOG("echoext: assoc %d STREAM_RESET flags=0x%x streams=%s", e->strreset_assoc_id,
		    e->strreset_flags, list);
		break;
	}
	case SCTP_ASSOC_RESET_EVENT: {
		const struct sctp_assoc_reset_event *e = &sn->sn_assocreset_event;
		LOG("echoext: assoc %d ASSOC_RESET flags=0x%x local_tsn=%u remote_tsn=%u", e->assocreset_assoc_id,
		    e->assocreset_flags, e->assocreset_local_tsn, e->assocreset_remote_tsn);
		break;
	}
	case SCTP_STREAM_CHANGE_EVENT: {
		const struct sctp_stream_change_event *e = &sn->sn_strchange_event;
		LOG("echoext: assoc %d STREAM_CHANGE flags=0x%x in=%u out=%u", e->strchange_assoc_id,
		    e->strchange_flags, e->strchange_instrms, e->strchange_outstrms);
		break;
	}
	case SCTP_PARTIAL_DELIVERY_EVENT: {
		const struct sctp_pdapi_event *e = &sn->sn_pdapi_event;
		LOG("echoext: assoc %d PARTIAL_DELIVERY indication=%u stream=%u seq=%u", e->pdapi_assoc_id,
		    e->pdapi_indication, e->pdapi_stream, e->pdapi_seq);
		struct slot *s = find(e->pdapi_assoc_id, e->pdapi_stream, 0);
		if (s) s->len = 0;
		s = find(e->pdapi_assoc_id, e->pdapi_stream, 1);
		if (s) s->len = 0;
		break;
	}
	default:
		LOG("echoext: notification type %u", sn->sn_header.sn_type);
	}
}

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 11;
	int fd = socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP);
	if (fd < 0) DIE("socket");
	int reconf = sysctl_on("reconf_enable"), intl = sysctl_on("intl_enable"), auth = sysctl_on("auth_enable");
	set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	set_int(fd, SOL_SOCKET, SO_SNDBUF, KP_SOCKBUF, "SO_SNDBUF");
	set_int(fd, SOL_SOCKET, SO_RCVBUF, KP_SOCKBUF, "SO_RCVBUF");
	set_int(fd, IPPROTO_SCTP, SCTP_RECVRCVINFO, 1, "SCTP_RECVRCVINFO");
	set_int(fd, IPPROTO_SCTP, SCTP_FRAGMENT_INTERLEAVE, 2, "SCTP_FRAGMENT_INTERLEAVE");
	set_int(fd, IPPROTO_SCTP, SCTP_PARTIAL_DELIVERY_POINT, KP_PD_POINT, "SCTP_PARTIAL_DELIVERY_POINT");
	struct sctp_initmsg im = { .sinit_num_ostreams = KP_STREAMS, .sinit_max_instreams = KP_STREAMS };
	if (setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof(im)) < 0) DIE("SCTP_INITMSG");
	static const uint16_t events[] = { SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT, SCTP_ASSOC_RESET_EVENT,
					   SCTP_STREAM_CHANGE_EVENT, SCTP_PARTIAL_DELIVERY_EVENT };
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		struct sctp_event ev = { .se_assoc_id = SCTP_FUTURE_ASSOC, .se_type = events[i], .se_on = 1 };
		if (setsockopt(fd, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof(ev)) < 0) DIE("SCTP_EVENT");
	}
	if (reconf) {
		struct sctp_assoc_value av = { .assoc_id = SCTP_FUTURE_ASSOC,
			.assoc_value = SCTP_ENABLE_RESET_STREAM_REQ | SCTP_ENABLE_RESET_ASSOC_REQ |
				       SCTP_ENABLE_CHANGE_ASSOC_REQ };
		if (setsockopt(fd, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &av, sizeof(av)) < 0)
			DIE("SCTP_ENABLE_STREAM_RESET");
	}
	if (intl) {
		struct sctp_assoc_value av = { .assoc_id = SCTP_FUTURE_ASSOC, .assoc_value = 1 };
		if (setsockopt(fd, IPPROTO_SCTP, SCTP_INTERLEAVING_SUPPORTED, &av, sizeof(av)) < 0)
			DIE("SCTP_INTERLEAVING_SUPPORTED");
		av.assoc_value = SCTP_SS_RR;
		if (setsockopt(fd, IPPROTO_SCTP, SCTP_STREAM_SCHEDULER, &av, sizeof(av)) < 0)
			LOG("echoext: SCTP_STREAM_SCHEDULER RR: %s", strerror(errno));
	}
	if (auth) {
		for (int t = 0; t <= 3; t += 3) {
			struct sctp_authchunk c = { .sauth_chunk = (uint8_t)t };
			if (setsockopt(fd, IPPROTO_SCTP, SCTP_AUTH_CHUNK, &c, sizeof(c)) < 0)
				DIE("SCTP_AUTH_CHUNK");
		}
	}
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_ANY) };
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) DIE("bind");
	if (listen(fd, 128) < 0) DIE("listen");
	LOG("echoext%d: one-to-many echo listening on port %d (stream reset %s, I-DATA %s, AUTH of DATA and SACK %s)",
	    port, port, reconf ? "enabled" : "off", intl ? "enabled" : "off", auth ? "required" : "off");

	static char rbuf[KP_CHUNK];
	for (;;) {
		char cbuf[CMSG_SPACE(sizeof(struct sctp_rcvinfo))];
		struct iovec iov = { rbuf, sizeof(rbuf) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		ssize_t n = recvmsg(fd, &m, 0);
		if (n < 0) {
			if (errno == EINTR || errno == ECONNRESET || errno == ENOTCONN || errno == EPIPE)
				continue;
			DIE("recvmsg");
		}
		if (m.msg_flags & MSG_NOTIFICATION) {
			/* notifications fit in one read (they are small) */
			log_ext_notification(fd, rbuf);
			continue;
		}
		struct sctp_rcvinfo ri = { 0 };
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == IPPROTO_SCTP && c->cmsg_type == SCTP_RCVINFO)
				memcpy(&ri, CMSG_DATA(c), sizeof(ri));
		struct slot *s = find(ri.rcv_assoc_id, ri.rcv_sid, ri.rcv_flags & SCTP_UNORDERED ? 1 : 0);
		if (!s) {
			LOG("echoext: out of reassembly slots");
			continue;
		}
		if (s->cap - s->len < (size_t)n) {
			s->cap = 2 * s->cap + n;
			if (!(s->buf = realloc(s->buf, s->cap))) DIE("realloc");
		}
		memcpy(s->buf + s->len, rbuf, n);
		s->len += n;
		if (!(m.msg_flags & MSG_EOR))
			continue;
		uint32_t ppid = ntohl(ri.rcv_ppid);
		unsigned long gsize, gseed;
		if (ppid == 0x7F000000 && s->len < 64) {
			char cmd[64];
			memcpy(cmd, s->buf, s->len);
			cmd[s->len] = 0;
			s->used = 0, s->len = 0;
			if (sscanf(cmd, "gen %lu %lu", &gsize, &gseed) != 2 || gsize > (8u << 20)) {
				LOG("echoext: bad generate request '%s'", cmd);
				continue;
			}
			char *g = malloc(gsize ? gsize : 1);
			if (!g) DIE("malloc");
			for (unsigned long j = 0; j < gsize; j++)
				g[j] = (char)(gseed * 7 + j * 131 + (j >> 9));
			struct sctp_rcvinfo gi = ri;
			gi.rcv_ppid = htonl((uint32_t)gseed);
			if (send_like(fd, g, gsize, &gi) < 0)
				LOG("echoext: generated %lu bytes to assoc %d stream %u failed: %s", gsize,
				    ri.rcv_assoc_id, ri.rcv_sid, strerror(errno));
			free(g);
			continue;
		}
		int rc = (ppid >> 16) == 0x7E00 ? send_ttl(fd, s->buf, s->len, &ri, ppid & 0xffff)
						 : send_like(fd, s->buf, s->len, &ri);
		if (rc < 0)
			LOG("echoext: echo of %zu bytes to assoc %d stream %u failed: %s",
			    s->len, ri.rcv_assoc_id, ri.rcv_sid, strerror(errno));
		s->used = 0, s->len = 0;
	}
}
