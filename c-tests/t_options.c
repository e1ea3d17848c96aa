/*
 * t_options: SOL_SCTP socket options set and read back with Linux semantics
 * (net/sctp/socket.c, sctp_setsockopt_* / sctp_getsockopt_*).
 *
 * One process; each group uses fresh sockets so groups do not interact.
 * Endpoint (SCTP_FUTURE_ASSOC) values: RTOINFO, ASSOCINFO, INITMSG, NODELAY,
 * AUTOCLOSE (one-to-many only; EOPNOTSUPP on one-to-one), DISABLE_FRAGMENTS,
 * PEER_ADDR_PARAMS (also the historical optlen without flowlabel/dscp),
 * DEFAULT_SEND_PARAM and DEFAULT_SNDINFO (they share the same defaults),
 * EVENTS (also an 8-byte historical struct: only those bytes change),
 * MAXSEG (also the deprecated int form), DELAYED_SACK (also the deprecated
 * sctp_assoc_value form), CONTEXT, FRAGMENT_INTERLEAVE (stored as 0/1),
 * PARTIAL_DELIVERY_POINT (> rcvbuf/2 is EINVAL), MAX_BURST (also as int),
 * RECVRCVINFO, RECVNXTINFO; SO_RCVBUF/SO_SNDBUF read back doubled.
 * On an established one-to-many association (client 4 out / 5 in, server
 * 6 out / 8 in): SCTP_STATUS, SCTP_GET_PEER_ADDR_INFO, per-association
 * ASSOCINFO/RTOINFO/MAXSEG/DEFAULT_SNDINFO, SCTP_GET_ASSOC_NUMBER and
 * SCTP_GET_ASSOC_ID_LIST, and EINVAL for unknown ids/addresses.
 */
#include "common.h"

#include <stddef.h>

#define GET(fd, opt, v)                                                      \
	do {                                                                 \
		socklen_t l_ = sizeof(*(v));                                 \
		CHECK_SYS(getsockopt(fd, IPPROTO_SCTP, opt, v, &l_));        \
		CHECK_EQ(l_, sizeof(*(v)));                                  \
	} while (0)
#define SET(fd, opt, v) CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, opt, v, sizeof(*(v))))
#define SPP_SHORT ((offsetof(struct sctp_paddrparams, spp_ipv6_flowlabel) + 3) & ~(size_t)3)

/* Set an int-valued SOL_SCTP option and read back `want`. */
static void int_opt(int fd, int opt, int set, int want)
{
	t_set_int(fd, IPPROTO_SCTP, opt, set);
	if (t_get_int(fd, IPPROTO_SCTP, opt) != want)
		FAIL("option %d set to %d reads back %d, expected %d", opt, set,
		     t_get_int(fd, IPPROTO_SCTP, opt), want);
}

static void endpoint_options(void)
{
	struct sctp_rtoinfo rto = { 0, 2000, 8000, 500 };
	struct sctp_assocparams ap;
	struct sctp_initmsg im = { 7, 9, 3, 4000 };
	struct sctp_paddrparams pp;
	int s = t_sctp_socket(SOCK_STREAM), m = t_sctp_socket(SOCK_SEQPACKET), v = 30;
	socklen_t len;

	STEP("RTOINFO");
	SET(s, SCTP_RTOINFO, &rto);
	memset(&rto, 0, sizeof(rto));
	GET(s, SCTP_RTOINFO, &rto);
	CHECK(rto.srto_initial == 2000 && rto.srto_max == 8000 && rto.srto_min == 500);

	STEP("ASSOCINFO");
	memset(&ap, 0, sizeof(ap));
	ap.sasoc_asocmaxrxt = 7;
	ap.sasoc_cookie_life = 30000;
	SET(s, SCTP_ASSOCINFO, &ap);
	memset(&ap, 0, sizeof(ap));
	GET(s, SCTP_ASSOCINFO, &ap);
	CHECK_EQ(ap.sasoc_asocmaxrxt, 7);
	CHECK_EQ(ap.sasoc_cookie_life, 30000);

	STEP("INITMSG");
	SET(s, SCTP_INITMSG, &im);
	memset(&im, 0, sizeof(im));
	GET(s, SCTP_INITMSG, &im);
	CHECK(im.sinit_num_ostreams == 7 && im.sinit_max_instreams == 9 &&
	      im.sinit_max_attempts == 3 && im.sinit_max_init_timeo == 4000);

	STEP("NODELAY, DISABLE_FRAGMENTS, RECVRCVINFO, RECVNXTINFO (boolean ints)");
	for (int set = 1; set >= 0; set--) {
		int_opt(s, SCTP_NODELAY, set, set);
		int_opt(s, SCTP_DISABLE_FRAGMENTS, set, set);
		int_opt(s, SCTP_RECVRCVINFO, set, set);
		int_opt(s, SCTP_RECVNXTINFO, set, set);
	}

	STEP("AUTOCLOSE: one-to-many only");
	int_opt(m, SCTP_AUTOCLOSE, 30, 30);
	CHECK_ERRNO(setsockopt(s, IPPROTO_SCTP, SCTP_AUTOCLOSE, &v, sizeof(v)), EOPNOTSUPP);
	len = sizeof(v);
	CHECK_ERRNO(getsockopt(s, IPPROTO_SCTP, SCTP_AUTOCLOSE, &v, &len), EOPNOTSUPP);

	STEP("PEER_ADDR_PARAMS");
	memset(&pp, 0, sizeof(pp)); /* zero address: the endpoint */
	pp.spp_hbinterval = 5000;
	pp.spp_pathmaxrxt = 6;
	pp.spp_sackdelay = 100;
	pp.spp_flags = SPP_HB_ENABLE | SPP_SACKDELAY_ENABLE;
	SET(s, SCTP_PEER_ADDR_PARAMS, &pp);
	memset(&pp, 0, sizeof(pp));
	GET(s, SCTP_PEER_ADDR_PARAMS, &pp);
	CHECK(pp.spp_hbinterval == 5000 && pp.spp_pathmaxrxt == 6 && pp.spp_sackdelay == 100);
	CHECK((pp.spp_flags & (SPP_HB | SPP_SACKDELAY)) == (SPP_HB_ENABLE | SPP_SACKDELAY_ENABLE));
	pp.spp_hbinterval = 6000;
	pp.spp_flags = SPP_HB_ENABLE;
	CHECK_SYS(setsockopt(s, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, SPP_SHORT));
	memset(&pp, 0, sizeof(pp));
	len = SPP_SHORT;
	CHECK_SYS(getsockopt(s, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, &len));
	CHECK_EQ(len, SPP_SHORT);
	CHECK_EQ(pp.spp_hbinterval, 6000);
	pp.spp_flags = SPP_HB_ENABLE | SPP_HB_DISABLE;
	CHECK_ERRNO(setsockopt(s, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof(pp)), EINVAL);
	pp.spp_flags = SPP_SACKDELAY_ENABLE;
	pp.spp_sackdelay = 501;
	CHECK_ERRNO(setsockopt(s, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof(pp)), EINVAL);

	STEP("SO_RCVBUF / SO_SNDBUF read back doubled");
	t_set_int(s, SOL_SOCKET, SO_RCVBUF, 32768);
	CHECK_EQ(t_get_int(s, SOL_SOCKET, SO_RCVBUF), 65536);
	t_set_int(s, SOL_SOCKET, SO_SNDBUF, 32768);
	CHECK_EQ(t_get_int(s, SOL_SOCKET, SO_SNDBUF), 65536);
	close(s);
	close(m);
}

static void send_and_misc_options(void)
{
	struct sctp_sndrcvinfo sp;
	struct sctp_sndinfo si;
	struct sctp_event_subscribe ev, all;
	struct sctp_assoc_value av;
	struct sctp_sack_info sk;
	uint32_t pd;
	int s = t_sctp_socket(SOCK_STREAM);
	socklen_t len;

	STEP("DEFAULT_SEND_PARAM / DEFAULT_SNDINFO");
	memset(&sp, 0, sizeof(sp));
	sp.sinfo_stream = 3;
	sp.sinfo_flags = SCTP_UNORDERED;
	sp.sinfo_ppid = 0x01020304;
	sp.sinfo_context = 77;
	sp.sinfo_timetolive = 1000;
	SET(s, SCTP_DEFAULT_SEND_PARAM, &sp);
	memset(&sp, 0, sizeof(sp));
	GET(s, SCTP_DEFAULT_SEND_PARAM, &sp);
	CHECK(sp.sinfo_stream == 3 && sp.sinfo_flags == SCTP_UNORDERED &&
	      sp.sinfo_ppid == 0x01020304 && sp.sinfo_context == 77 &&
	      sp.sinfo_timetolive == 1000);
	sp.sinfo_flags = SCTP_SENDALL; /* not allowed as a default */
	CHECK_ERRNO(setsockopt(s, IPPROTO_SCTP, SCTP_DEFAULT_SEND_PARAM, &sp, sizeof(sp)), EINVAL);
	memset(&si, 0, sizeof(si));
	si.snd_sid = 2;
	si.snd_ppid = 9;
	si.snd_context = 8;
	SET(s, SCTP_DEFAULT_SNDINFO, &si);
	memset(&si, 0xff, sizeof(si));
	si.snd_assoc_id = 0;
	GET(s, SCTP_DEFAULT_SNDINFO, &si);
	CHECK(si.snd_sid == 2 && si.snd_flags == 0 && si.snd_ppid == 9 && si.snd_context == 8);
	memset(&sp, 0, sizeof(sp));
	GET(s, SCTP_DEFAULT_SEND_PARAM, &sp); /* same defaults, TTL untouched */
	CHECK(sp.sinfo_stream == 2 && sp.sinfo_flags == 0 && sp.sinfo_ppid == 9 &&
	      sp.sinfo_context == 8 && sp.sinfo_timetolive == 1000);

	STEP("EVENTS, full and historical 8-byte struct");
	memset(&ev, 0, sizeof(ev));
	ev.sctp_data_io_event = ev.sctp_association_event = 1;
	ev.sctp_shutdown_event = ev.sctp_sender_dry_event = 1;
	SET(s, SCTP_EVENTS, &ev);
	memset(&all, 0xee, sizeof(all));
	GET(s, SCTP_EVENTS, &all);
	CHECK(memcmp(&ev, &all, sizeof(ev)) == 0);
	memset(&ev, 1, 8); /* first 8 members: data_io .. adaptation_layer */
	CHECK_SYS(setsockopt(s, IPPROTO_SCTP, SCTP_EVENTS, &ev, 8));
	memset(&all, 0xee, sizeof(all));
	GET(s, SCTP_EVENTS, &all);
	CHECK(memcmp(&ev, &all, sizeof(ev)) == 0); /* bytes 8.. unchanged */
	memset(&all, 0xee, sizeof(all));
	len = 8;
	CHECK_SYS(getsockopt(s, IPPROTO_SCTP, SCTP_EVENTS, &all, &len));
	CHECK_EQ(len, 8);
	CHECK(memcmp(&ev, &all, 8) == 0 && ((unsigned char *)&all)[8] == 0xee);
	len = 0;
	CHECK_ERRNO(getsockopt(s, IPPROTO_SCTP, SCTP_EVENTS, &all, &len), EINVAL);

	STEP("MAXSEG, struct and deprecated int");
	av.assoc_id = 0;
	av.assoc_value = 1200;
	SET(s, SCTP_MAXSEG, &av);
	memset(&av, 0, sizeof(av));
	GET(s, SCTP_MAXSEG, &av);
	CHECK_EQ(av.assoc_value, 1200);
	int_opt(s, SCTP_MAXSEG, 1000, 1000);

	STEP("DELAYED_SACK, struct and deprecated sctp_assoc_value");
	memset(&sk, 0, sizeof(sk));
	sk.sack_delay = 150;
	sk.sack_freq = 3;
	SET(s, SCTP_DELAYED_SACK, &sk);
	memset(&sk, 0, sizeof(sk));
	GET(s, SCTP_DELAYED_SACK, &sk);
	CHECK(sk.sack_delay == 150 && sk.sack_freq == 3);
	memset(&av, 0, sizeof(av));
	GET(s, SCTP_DELAYED_SACK, &av);
	CHECK_EQ(av.assoc_value, 150);
	sk.sack_delay = 501;
	CHECK_ERRNO(setsockopt(s, IPPROTO_SCTP, SCTP_DELAYED_SACK, &sk, sizeof(sk)), EINVAL);

	STEP("CONTEXT, FRAGMENT_INTERLEAVE, PARTIAL_DELIVERY_POINT, MAX_BURST");
	av.assoc_id = 0;
	av.assoc_value = 4242;
	SET(s, SCTP_CONTEXT, &av);
	memset(&av, 0, sizeof(av));
	GET(s, SCTP_CONTEXT, &av);
	CHECK_EQ(av.assoc_value, 4242);
	int_opt(s, SCTP_FRAGMENT_INTERLEAVE, 2, 1);
	int_opt(s, SCTP_FRAGMENT_INTERLEAVE, 0, 0);
	pd = 4096;
	SET(s, SCTP_PARTIAL_DELIVERY_POINT, &pd);
	pd = 0;
	GET(s, SCTP_PARTIAL_DELIVERY_POINT, &pd);
	CHECK_EQ(pd, 4096);
	pd = 0x7fffffff;
	CHECK_ERRNO(setsockopt(s, IPPROTO_SCTP, SCTP_PARTIAL_DELIVERY_POINT, &pd, sizeof(pd)), EINVAL);
	av.assoc_id = 0;
	av.assoc_value = 6;
	SET(s, SCTP_MAX_BURST, &av);
	memset(&av, 0, sizeof(av));
	GET(s, SCTP_MAX_BURST, &av);
	CHECK_EQ(av.assoc_value, 6);
	CHECK_EQ(t_get_int(s, IPPROTO_SCTP, SCTP_MAX_BURST), 6); /* int form */
	close(s);
}

static void association_options(void)
{
	struct sockaddr_in srv = t_addr4("127.0.0.1", t_ports.sctp);
	struct sockaddr_in *pa;
	struct sctp_status st;
	struct sctp_paddrinfo pi;
	struct sctp_assocparams ap;
	struct sctp_rtoinfo rto;
	struct sctp_assoc_value av;
	struct sctp_sndinfo si;
	struct { struct sctp_assoc_ids h; sctp_assoc_t more[7]; } ids;
	sctp_assoc_t id = 0;
	socklen_t len;
	int sv, cl, one2one;

	STEP("set up an association");
	sv = t_sctp_socket(SOCK_SEQPACKET);
	t_bind4(sv, "127.0.0.1", t_ports.sctp);
	t_set_initmsg(sv, 6, 8);
	CHECK_SYS(listen(sv, 4));
	cl = t_sctp_socket(SOCK_SEQPACKET);
	t_set_initmsg(cl, 4, 5);
	CHECK_SYS(sctp_connectx(cl, (struct sockaddr *)&srv, 1, &id));
	CHECK(id != 0);

	STEP("SCTP_STATUS");
	memset(&st, 0, sizeof(st));
	st.sstat_assoc_id = id;
	GET(cl, SCTP_STATUS, &st);
	CHECK_EQ(st.sstat_assoc_id, id);
	CHECK_EQ(st.sstat_state, SCTP_ESTABLISHED);
	CHECK_EQ(st.sstat_outstrms, 4); /* min(4, server's 8 in) */
	CHECK_EQ(st.sstat_instrms, 5);  /* min(5, server's 6 out) */
	CHECK(st.sstat_rwnd > 0 && st.sstat_fragmentation_point > 0);
	pa = (struct sockaddr_in *)&st.sstat_primary.spinfo_address;
	CHECK(pa->sin_family == AF_INET && pa->sin_addr.s_addr == srv.sin_addr.s_addr &&
	      pa->sin_port == srv.sin_port);
	CHECK_EQ(st.sstat_primary.spinfo_state, SCTP_ACTIVE);
	CHECK(st.sstat_primary.spinfo_mtu > 0);
	st.sstat_assoc_id = id + 1000;
	len = sizeof(st);
	CHECK_ERRNO(getsockopt(cl, IPPROTO_SCTP, SCTP_STATUS, &st, &len), EINVAL);

	STEP("SCTP_GET_PEER_ADDR_INFO");
	memset(&pi, 0, sizeof(pi));
	pi.spinfo_assoc_id = id;
	memcpy(&pi.spinfo_address, &srv, sizeof(srv));
	GET(cl, SCTP_GET_PEER_ADDR_INFO, &pi);
	CHECK_EQ(pi.spinfo_assoc_id, id);
	CHECK_EQ(pi.spinfo_state, SCTP_ACTIVE);
	CHECK(pi.spinfo_cwnd > 0 && pi.spinfo_rto > 0 && pi.spinfo_mtu > 0);
	((struct sockaddr_in *)&pi.spinfo_address)->sin_port = htons(t_ports.sctp + 7);
	len = sizeof(pi);
	CHECK_ERRNO(getsockopt(cl, IPPROTO_SCTP, SCTP_GET_PEER_ADDR_INFO, &pi, &len), EINVAL);

	STEP("per-association ASSOCINFO, RTOINFO, MAXSEG, DEFAULT_SNDINFO");
	memset(&ap, 0, sizeof(ap));
	ap.sasoc_assoc_id = id;
	GET(cl, SCTP_ASSOCINFO, &ap);
	CHECK_EQ(ap.sasoc_number_peer_destinations, 1);
	CHECK(ap.sasoc_peer_rwnd > 0);
	memset(&rto, 0, sizeof(rto));
	rto.srto_assoc_id = id;
	GET(cl, SCTP_RTOINFO, &rto);
	CHECK(rto.srto_initial > 0 && rto.srto_min > 0 && rto.srto_min <= rto.srto_max);
	rto.srto_assoc_id = id + 1000;
	len = sizeof(rto);
	CHECK_ERRNO(getsockopt(cl, IPPROTO_SCTP, SCTP_RTOINFO, &rto, &len), EINVAL);
	av.assoc_id = id;
	av.assoc_value = 0;
	GET(cl, SCTP_MAXSEG, &av);
	CHECK(av.assoc_value > 0); /* the association's fragmentation point */
	memset(&si, 0, sizeof(si));
	si.snd_assoc_id = id;
	si.snd_sid = 3;
	SET(cl, SCTP_DEFAULT_SNDINFO, &si);
	memset(&si, 0, sizeof(si));
	si.snd_assoc_id = id;
	GET(cl, SCTP_DEFAULT_SNDINFO, &si);
	CHECK_EQ(si.snd_sid, 3);
	memset(&si, 0, sizeof(si));
	GET(cl, SCTP_DEFAULT_SNDINFO, &si); /* SCTP_FUTURE_ASSOC unchanged */
	CHECK_EQ(si.snd_sid, 0);

	STEP("SCTP_GET_ASSOC_NUMBER / SCTP_GET_ASSOC_ID_LIST");
	CHECK_EQ(t_get_int(cl, IPPROTO_SCTP, SCTP_GET_ASSOC_NUMBER), 1);
	CHECK_EQ(t_get_int(sv, IPPROTO_SCTP, SCTP_GET_ASSOC_NUMBER), 1);
	memset(&ids, 0, sizeof(ids));
	len = sizeof(ids);
	CHECK_SYS(getsockopt(cl, IPPROTO_SCTP, SCTP_GET_ASSOC_ID_LIST, &ids, &len));
	CHECK_EQ(len, sizeof(struct sctp_assoc_ids) + sizeof(sctp_assoc_t));
	CHECK_EQ(ids.h.gaids_number_of_ids, 1);
	CHECK_EQ(ids.h.gaids_assoc_id[0], id);
	len = sizeof(struct sctp_assoc_ids); /* no room for the one id */
	CHECK_ERRNO(getsockopt(sv, IPPROTO_SCTP, SCTP_GET_ASSOC_ID_LIST, &ids, &len), EINVAL);
	len = sizeof(ids);
	CHECK_SYS(getsockopt(sv, IPPROTO_SCTP, SCTP_GET_ASSOC_ID_LIST, &ids, &len));
	CHECK_EQ(ids.h.gaids_number_of_ids, 1);
	memset(&st, 0, sizeof(st));
	st.sstat_assoc_id = ids.h.gaids_assoc_id[0];
	GET(sv, SCTP_STATUS, &st);
	CHECK_EQ(st.sstat_outstrms, 5);
	CHECK_EQ(st.sstat_instrms, 4);
	one2one = t_sctp_socket(SOCK_STREAM);
	len = sizeof(int);
	CHECK_ERRNO(getsockopt(one2one, IPPROTO_SCTP, SCTP_GET_ASSOC_NUMBER, &av, &len), EOPNOTSUPP);
	close(one2one);
	close(cl);
	close(sv);
}

int main(int argc, char **argv)
{
	t_init("t_options", argc, argv, 60);
	t_use_udp(t_ports.udp_server, t_ports.udp_server);
	endpoint_options();
	send_and_misc_options();
	association_options();
	t_pass();
}
