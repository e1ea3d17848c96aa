/*
 * t_1tomany_100: one one-to-many (SOCK_SEQPACKET) server, 100 concurrent
 * client associations, 10 streams each.
 *
 * Processes: this process coordinates only (it never opens an SCTP socket);
 * one server child; 4 client children, each with its own UDP encapsulation
 * port and 25 one-to-many sockets (one association per socket: an SCTP
 * association is identified by its address/port pairs, so one client socket
 * and port can hold only one association to the one server address).
 *
 * Checks:
 *  - SCTP_INITMSG 10/10 on both sides: every COMM_UP on the server says
 *    10 outbound / 10 inbound streams, and SCTP_STATUS on the clients too;
 *  - sctp_connectx() returns a nonzero association id;
 *  - each association sends one message on every stream (sctp_sendmsg to
 *    the server address); the server echoes each on the same stream with
 *    the same ppid using sctp_send() and the received sinfo_assoc_id; the
 *    client gets exactly one echo per stream, intact, on its own assoc id;
 *  - while all 100 are up, the server's SCTP_GET_ASSOC_NUMBER is 100 and
 *    SCTP_GET_ASSOC_ID_LIST lists 100 distinct ids, all seen in COMM_UP;
 *  - the clients close (nothing unread, so graceful): the server sees 100
 *    SHUTDOWN_COMP and no COMM_LOST, and ends with 0 associations.
 */
#include "common.h"

#define N_CLIENTS 4
#define PER_CLIENT 25
#define N_ASSOC (N_CLIENTS * PER_CLIENT)
#define N_STREAMS 10

static uint16_t udp_port[N_CLIENTS];

static uint32_t seed_of(int k, int j, int st) { return (uint32_t)(k * 10000 + j * 100 + st); }
static size_t len_of(uint32_t seed) { return 20 + seed % 200; }

static int have_id(const sctp_assoc_t *ids, int n, sctp_assoc_t id)
{
	for (int i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

static void check_id_list(int fd, const sctp_assoc_t *up_ids, int n_up)
{
	size_t sz = sizeof(struct sctp_assoc_ids) + 2 * N_ASSOC * sizeof(sctp_assoc_t);
	struct sctp_assoc_ids *ids = calloc(1, sz);
	socklen_t len = (socklen_t)sz;
	uint32_t num;

	CHECK(ids != NULL);
	num = (uint32_t)t_get_int(fd, IPPROTO_SCTP, SCTP_GET_ASSOC_NUMBER);
	CHECK_EQ(num, N_ASSOC);
	CHECK_SYS(getsockopt(fd, IPPROTO_SCTP, SCTP_GET_ASSOC_ID_LIST, ids, &len));
	CHECK_EQ(ids->gaids_number_of_ids, N_ASSOC);
	CHECK_EQ(len, sizeof(struct sctp_assoc_ids) + N_ASSOC * sizeof(sctp_assoc_t));
	for (int i = 0; i < N_ASSOC; i++) {
		CHECK(ids->gaids_assoc_id[i] != 0);
		CHECK(have_id(up_ids, n_up, ids->gaids_assoc_id[i]));
		CHECK(!have_id(ids->gaids_assoc_id, i, ids->gaids_assoc_id[i]));
	}
	free(ids);
}

static int server(t_sync *s, void *arg)
{
	static char buf[4096];
	static sctp_assoc_t up_ids[N_ASSOC];
	struct sctp_event_subscribe ev;
	int fd, up = 0, down = 0, echoed = 0, counted = 0;

	(void)arg;
	t_use_udp(t_ports.udp_server, t_ports.udp_client);
	STEP("server: socket/bind/listen");
	fd = t_sctp_socket(SOCK_SEQPACKET);
	t_bind4(fd, "127.0.0.1", t_ports.sctp);
	t_set_initmsg(fd, N_STREAMS, N_STREAMS);
	memset(&ev, 0, sizeof(ev));
	ev.sctp_data_io_event = 1;
	ev.sctp_association_event = 1;
	CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof(ev)));
	CHECK_SYS(listen(fd, 128));
	t_post(s, 'L');

	while (!counted || down < N_ASSOC) {
		struct pollfd p[2] = { { fd, POLLIN, 0 }, { s->to_child[0], POLLIN, 0 } };
		struct sctp_sndrcvinfo si;
		size_t n;
		int fl;

		STEP("server: poll");
		if (poll(p, 2, 30000) == 0)
			FAIL("server idle for 30 s: %d up, %d down, %d echoed",
			     up, down, echoed);
		if (p[1].revents) {
			STEP("server: count associations");
			t_await(s, 'C', 1000);
			CHECK_EQ(up, N_ASSOC);
			CHECK_EQ(down, 0);
			check_id_list(fd, up_ids, up);
			counted = 1;
			t_post(s, 'c');
		}
		if (!(p[0].revents & POLLIN))
			continue;
		STEP("server: receive");
		n = t_recv_msg(fd, buf, sizeof(buf), &si, &fl, NULL, 5000);
		if (fl & MSG_NOTIFICATION) {
			const union sctp_notification *sn = (const void *)buf;
			const struct sctp_assoc_change *ac = &sn->sn_assoc_change;

			CHECK_EQ(sn->sn_header.sn_type, SCTP_ASSOC_CHANGE);
			CHECK_EQ(n, sn->sn_header.sn_length);
			if (ac->sac_state == SCTP_COMM_UP) {
				CHECK(up < N_ASSOC);
				CHECK_EQ(ac->sac_outbound_streams, N_STREAMS);
				CHECK_EQ(ac->sac_inbound_streams, N_STREAMS);
				CHECK(ac->sac_assoc_id != 0);
				CHECK(!have_id(up_ids, up, ac->sac_assoc_id));
				up_ids[up++] = ac->sac_assoc_id;
			} else if (ac->sac_state == SCTP_SHUTDOWN_COMP) {
				CHECK(have_id(up_ids, up, ac->sac_assoc_id));
				down++;
			} else {
				FAIL("unexpected sac_state %u (error %u)",
				     ac->sac_state, ac->sac_error);
			}
			continue;
		}
		CHECK(n > 0);
		CHECK(si.sinfo_assoc_id != 0);
		CHECK(si.sinfo_stream < N_STREAMS);
		STEP("server: echo with sctp_send");
		{
			struct sctp_sndrcvinfo snd;

			memset(&snd, 0, sizeof(snd));
			snd.sinfo_stream = si.sinfo_stream;
			snd.sinfo_ppid = si.sinfo_ppid;
			snd.sinfo_assoc_id = si.sinfo_assoc_id;
			CHECK_EQ(sctp_send(fd, buf, n, &snd, 0), (long)n);
		}
		echoed++;
	}
	CHECK_EQ(echoed, N_ASSOC * N_STREAMS);
	CHECK_EQ(t_get_int(fd, IPPROTO_SCTP, SCTP_GET_ASSOC_NUMBER), 0);
	close(fd);
	return 0;
}

static int client(t_sync *s, void *arg)
{
	static char buf[512], want[512];
	int k = (int)(intptr_t)arg, fds[PER_CLIENT];
	sctp_assoc_t ids[PER_CLIENT];
	struct sockaddr_in srv = t_addr4("127.0.0.1", t_ports.sctp);

	t_use_udp(udp_port[k], t_ports.udp_server);
	t_await(s, 'G', 30000);
	for (int j = 0; j < PER_CLIENT; j++) {
		STEP("client: sctp_connectx");
		fds[j] = t_sctp_socket(SOCK_SEQPACKET);
		t_set_initmsg(fds[j], N_STREAMS, N_STREAMS);
		t_enable_data_io(fds[j]);
		ids[j] = 0;
		CHECK_SYS(sctp_connectx(fds[j], (struct sockaddr *)&srv, 1, &ids[j]));
		CHECK(ids[j] != 0);
	}
	STEP("client: send on every stream");
	for (int j = 0; j < PER_CLIENT; j++)
		for (int st = 0; st < N_STREAMS; st++) {
			uint32_t seed = seed_of(k, j, st);

			t_fill(buf, len_of(seed), seed);
			t_send_msg(fds[j], buf, len_of(seed), &srv, htonl(seed), 0,
				   (uint16_t)st);
		}
	STEP("client: receive echoes");
	for (int j = 0; j < PER_CLIENT; j++) {
		unsigned seen = 0;
		struct sctp_status st;
		socklen_t len = sizeof(st);

		for (int m = 0; m < N_STREAMS; m++) {
			struct sctp_sndrcvinfo si;
			uint32_t seed;
			size_t n;
			int fl;

			n = t_recv_msg(fds[j], buf, sizeof(buf), &si, &fl, NULL, 15000);
			CHECK(!(fl & MSG_NOTIFICATION));
			CHECK(si.sinfo_stream < N_STREAMS);
			CHECK(!(seen & (1u << si.sinfo_stream)));
			seen |= 1u << si.sinfo_stream;
			CHECK_EQ(si.sinfo_assoc_id, ids[j]);
			seed = seed_of(k, j, si.sinfo_stream);
			CHECK_EQ(si.sinfo_ppid, htonl(seed));
			CHECK_EQ(n, len_of(seed));
			t_fill(want, n, seed);
			if (memcmp(buf, want, n) != 0)
				FAIL("client %d socket %d stream %u: echo differs",
				     k, j, si.sinfo_stream);
		}
		memset(&st, 0, sizeof(st));
		st.sstat_assoc_id = ids[j];
		CHECK_SYS(getsockopt(fds[j], IPPROTO_SCTP, SCTP_STATUS, &st, &len));
		CHECK_EQ(st.sstat_outstrms, N_STREAMS);
		CHECK_EQ(st.sstat_instrms, N_STREAMS);
	}
	t_post(s, 'D');
	STEP("client: wait for release");
	t_await(s, 'R', 60000);
	for (int j = 0; j < PER_CLIENT; j++)
		CHECK_SYS(close(fds[j]));
	return 0;
}

int main(int argc, char **argv)
{
	static t_sync ss, sc[N_CLIENTS];
	pid_t ps, pc[N_CLIENTS];
	char role[N_CLIENTS][24];

	t_init("t_1tomany_100", argc, argv, 100);
	udp_port[0] = t_ports.udp_client;
	t_pick_udp_ports(&udp_port[1], N_CLIENTS - 1);

	ps = t_fork("server", &ss, server, NULL);
	t_await(&ss, 'L', 20000);
	for (int k = 0; k < N_CLIENTS; k++) {
		snprintf(role[k], sizeof(role[k]), "client%d", k);
		pc[k] = t_fork(role[k], &sc[k], client, (void *)(intptr_t)k);
	}
	for (int k = 0; k < N_CLIENTS; k++)
		t_post(&sc[k], 'G');
	STEP("main: wait until all 100 associations echoed");
	for (int k = 0; k < N_CLIENTS; k++)
		t_await(&sc[k], 'D', 80000);
	STEP("main: server counts associations");
	t_post(&ss, 'C');
	t_await(&ss, 'c', 20000);
	for (int k = 0; k < N_CLIENTS; k++)
		t_post(&sc[k], 'R');
	for (int k = 0; k < N_CLIENTS; k++)
		t_wait_child(pc[k], role[k], 30);
	t_wait_child(ps, "server", 30);
	t_pass();
}
