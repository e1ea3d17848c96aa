/*
 * t_notifications: notification subscription, layout and order on a
 * one-to-many client socket, as Linux delivers them.
 *
 * Client (this process, SOCK_SEQPACKET, SCTP_INITMSG 5 out / 7 in):
 *  1. subscribes with SCTP_EVENT (SCTP_FUTURE_ASSOC) to ASSOC_CHANGE,
 *     SHUTDOWN_EVENT, PEER_ADDR_CHANGE, SEND_FAILED and SENDER_DRY; reads
 *     them back with SCTP_EVENT and through the older SCTP_EVENTS struct;
 *  2. sctp_connectx() to a one-to-one server offering 10 out / 10 in;
 *  3. the first message must be SCTP_ASSOC_CHANGE / SCTP_COMM_UP with
 *     sn_length == sizeof(struct sctp_assoc_change) == bytes read, MSG_EOR,
 *     sac_assoc_id == the id from sctp_connectx, sac_error 0,
 *     sac_outbound_streams 5 (= min(5, peer's 10 in)) and
 *     sac_inbound_streams 7 (= min(7, peer's 10 out));
 *  4. subscribing SENDER_DRY again on the now idle association queues one
 *     SCTP_SENDER_DRY_EVENT at once (sctp_assoc_ulpevent_type_set in Linux);
 *  5. sends one message; the server echoes it and closes its socket;
 *  6. then, in this order: the echoed data, SCTP_SHUTDOWN_EVENT
 *     (sse_length 12), SCTP_ASSOC_CHANGE / SCTP_SHUTDOWN_COMP (0 streams,
 *     error 0) -- Linux queues SHUTDOWN_EVENT when the peer's SHUTDOWN
 *     arrives and SHUTDOWN_COMP on the SHUTDOWN COMPLETE that follows.
 *     More SENDER_DRY (after a SACK empties the queue) and PEER_ADDR_CHANGE
 *     events are allowed in between (checked for length and id, then
 *     skipped); SEND_FAILED, COMM_LOST or anything else fails the test;
 *  7. afterwards SCTP_GET_ASSOC_NUMBER is 0.
 */
#include "common.h"

static const uint16_t subscribed[] = {
	SCTP_ASSOC_CHANGE, SCTP_SHUTDOWN_EVENT, SCTP_PEER_ADDR_CHANGE,
	SCTP_SEND_FAILED, SCTP_SENDER_DRY_EVENT,
};
#define N_SUB (int)(sizeof(subscribed) / sizeof(subscribed[0]))

static int server(t_sync *s, void *arg)
{
	char buf[256];
	int l, c;
	size_t n;

	(void)arg;
	t_use_udp(t_ports.udp_server, t_ports.udp_client);
	STEP("server: listen");
	l = t_sctp_socket(SOCK_STREAM);
	t_bind4(l, "127.0.0.1", t_ports.sctp);
	t_set_initmsg(l, 10, 10);
	CHECK_SYS(listen(l, 1));
	t_post(s, 'L');
	t_wait_fd(l, POLLIN, 20000);
	c = (int)CHECK_SYS(accept(l, NULL, NULL));
	STEP("server: echo one message, then close");
	n = t_recv_msg(c, buf, sizeof(buf), NULL, NULL, NULL, 15000);
	CHECK(n > 0);
	t_send_msg(c, buf, n, NULL, 0, 0, 0);
	close(c); /* everything was read: graceful SHUTDOWN */
	close(l);
	return 0;
}

static int get_event(int fd, sctp_assoc_t id, uint16_t type)
{
	struct sctp_event e;
	socklen_t len = sizeof(e);

	memset(&e, 0, sizeof(e));
	e.se_assoc_id = id;
	e.se_type = type;
	CHECK_SYS(getsockopt(fd, IPPROTO_SCTP, SCTP_EVENT, &e, &len));
	CHECK_EQ(len, sizeof(e));
	return e.se_on;
}

/* Read the next message; returns its notification type, or 0 for data. */
static uint16_t next(int fd, char *buf, size_t cap, size_t *len)
{
	int fl;

	*len = t_recv_msg(fd, buf, cap, NULL, &fl, NULL, 15000);
	CHECK(*len > 0);
	CHECK(fl & MSG_EOR);
	if (!(fl & MSG_NOTIFICATION))
		return 0;
	CHECK(*len >= 8);
	CHECK_EQ(((union sctp_notification *)buf)->sn_header.sn_length, *len);
	return ((union sctp_notification *)buf)->sn_header.sn_type;
}

int main(int argc, char **argv)
{
	static const char hello[] = "hello, notifications";
	union { union sctp_notification sn; char raw[4096]; } u;
	struct sctp_event_subscribe evs;
	struct sctp_assoc_change *ac = &u.sn.sn_assoc_change;
	struct sockaddr_in srv;
	socklen_t len = sizeof(evs);
	sctp_assoc_t id = 0;
	int fd, got_data = 0, got_shutdown = 0, extra_dry = 0, paddr = 0;
	t_sync s = { 0 };
	uint16_t type;
	pid_t pid;
	size_t n;

	t_init("t_notifications", argc, argv, 60);
	pid = t_fork("server", &s, server, NULL);
	t_use_udp(t_ports.udp_client, t_ports.udp_server);
	t_await(&s, 'L', 20000);

	STEP("client: subscribe");
	fd = t_sctp_socket(SOCK_SEQPACKET);
	t_set_initmsg(fd, 5, 7);
	t_subscribe(fd, subscribed, N_SUB);
	for (int i = 0; i < N_SUB; i++)
		CHECK_EQ(get_event(fd, SCTP_FUTURE_ASSOC, subscribed[i]), 1);
	CHECK_EQ(get_event(fd, SCTP_FUTURE_ASSOC, SCTP_REMOTE_ERROR), 0);
	CHECK_EQ(get_event(fd, SCTP_FUTURE_ASSOC, SCTP_DATA_IO_EVENT), 0);
	memset(&evs, 0xff, sizeof(evs));
	CHECK_SYS(getsockopt(fd, IPPROTO_SCTP, SCTP_EVENTS, &evs, &len));
	CHECK_EQ(len, sizeof(evs));
	CHECK(evs.sctp_association_event && evs.sctp_shutdown_event &&
	      evs.sctp_address_event && evs.sctp_send_failure_event &&
	      evs.sctp_sender_dry_event);
	CHECK(!evs.sctp_data_io_event && !evs.sctp_peer_error_event &&
	      !evs.sctp_partial_delivery_event);

	STEP("client: sctp_connectx");
	srv = t_addr4("127.0.0.1", t_ports.sctp);
	CHECK_SYS(sctp_connectx(fd, (struct sockaddr *)&srv, 1, &id));
	CHECK(id != 0);

	STEP("client: first notification must be COMM_UP");
	type = next(fd, u.raw, sizeof(u.raw), &n);
	CHECK_EQ(type, SCTP_ASSOC_CHANGE);
	CHECK_EQ(n, sizeof(struct sctp_assoc_change));
	CHECK_EQ(ac->sac_state, SCTP_COMM_UP);
	CHECK_EQ(ac->sac_flags, 0);
	CHECK_EQ(ac->sac_error, 0);
	CHECK_EQ(ac->sac_assoc_id, id);
	CHECK_EQ(ac->sac_outbound_streams, 5);
	CHECK_EQ(ac->sac_inbound_streams, 7);

	STEP("client: per-association SENDER_DRY subscription fires at once");
	{
		struct sctp_event e;

		memset(&e, 0, sizeof(e));
		e.se_assoc_id = id;
		e.se_type = SCTP_SENDER_DRY_EVENT;
		e.se_on = 1;
		CHECK_SYS(setsockopt(fd, IPPROTO_SCTP, SCTP_EVENT, &e, sizeof(e)));
		CHECK_EQ(get_event(fd, id, SCTP_SENDER_DRY_EVENT), 1);
	}
	type = next(fd, u.raw, sizeof(u.raw), &n);
	CHECK_EQ(type, SCTP_SENDER_DRY_EVENT);
	CHECK_EQ(n, sizeof(struct sctp_sender_dry_event));
	CHECK_EQ(u.sn.sn_sender_dry_event.sender_dry_assoc_id, id);

	STEP("client: send, then expect data, SHUTDOWN_EVENT, SHUTDOWN_COMP");
	t_send_msg(fd, hello, sizeof(hello), &srv, 0, 0, 0);
	for (;;) {
		type = next(fd, u.raw, sizeof(u.raw), &n);
		if (type == 0) {
			CHECK(!got_data && !got_shutdown);
			CHECK_EQ(n, sizeof(hello));
			CHECK(memcmp(u.raw, hello, n) == 0);
			got_data = 1;
		} else if (type == SCTP_SENDER_DRY_EVENT) {
			CHECK_EQ(n, sizeof(struct sctp_sender_dry_event));
			CHECK_EQ(u.sn.sn_sender_dry_event.sender_dry_assoc_id, id);
			extra_dry++;
		} else if (type == SCTP_PEER_ADDR_CHANGE) {
			CHECK_EQ(n, sizeof(struct sctp_paddr_change));
			CHECK_EQ(u.sn.sn_paddr_change.spc_assoc_id, id);
			t_log("PEER_ADDR_CHANGE state %d for %s",
			      u.sn.sn_paddr_change.spc_state,
			      t_addr_str((struct sockaddr *)&u.sn.sn_paddr_change.spc_aaddr));
			paddr++;
		} else if (type == SCTP_SHUTDOWN_EVENT) {
			CHECK(got_data);
			CHECK(!got_shutdown);
			CHECK_EQ(n, sizeof(struct sctp_shutdown_event));
			CHECK_EQ(u.sn.sn_shutdown_event.sse_flags, 0);
			CHECK_EQ(u.sn.sn_shutdown_event.sse_assoc_id, id);
			got_shutdown = 1;
		} else if (type == SCTP_ASSOC_CHANGE) {
			CHECK_EQ(n, sizeof(struct sctp_assoc_change));
			CHECK_EQ(ac->sac_state, SCTP_SHUTDOWN_COMP);
			CHECK(got_shutdown);
			CHECK_EQ(ac->sac_assoc_id, id);
			CHECK_EQ(ac->sac_error, 0);
			CHECK_EQ(ac->sac_outbound_streams, 0);
			CHECK_EQ(ac->sac_inbound_streams, 0);
			break;
		} else {
			FAIL("unexpected notification type 0x%x (length %zu)", type, n);
		}
	}
	t_log("%d extra SENDER_DRY, %d PEER_ADDR_CHANGE", extra_dry, paddr);

	STEP("client: association count drops to 0");
	for (int i = 0; t_get_int(fd, IPPROTO_SCTP, SCTP_GET_ASSOC_NUMBER) != 0; i++) {
		CHECK(i < 100);
		usleep(10000);
	}
	CHECK_SYS(close(fd));
	t_wait_child(pid, "server", 30);
	t_pass();
}
