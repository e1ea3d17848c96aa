/*
 * t_hold: what a peer or another thread cannot make the stack do.
 *
 *  1. Streams: 200 associations between a server offering 65,535
 *     inbound streams and clients asking for 65,535 outbound ones (so
 *     each association has 65,535 streams each way) cost the host stack
 *     less than 16 KiB of resident memory each: no per-stream state is
 *     made before a stream is used (Linux, which allocates stream arrays
 *     at set-up, would need about 1 MiB each). One message on stream
 *     65,534 of each still arrives.
 *  2. connect() blocked (the peer's UDP port swallows everything, so the
 *     INIT is never answered) while another thread closes the descriptor:
 *     as on Linux, where the blocked call holds the file, the handshake
 *     goes on until Max.Init.Retransmits (here 2 attempts, 300 ms at most
 *     between them, SCTP_INITMSG) and connect() then returns -1 (here
 *     ECONNRESET, the socket being gone already; Linux: ETIMEDOUT); the
 *     process uses no CPU meanwhile: never a hang, a spin or a crash.
 */
#include "common.h"

#include <pthread.h>
#include <time.h>

#define N_ASSOC 200

static uint16_t udp_port;

static double cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void streams_case(void)
{
	static int cl[N_ASSOC];
	struct sockaddr_in a = t_addr4("127.0.0.1", t_ports.sctp);
	struct sctp_event_subscribe ev;
	long before, after;
	int srv, got = 0;
	char buf[64];

	STEP("streams: a server offering 65,535 streams");
	srv = t_sctp_socket(SOCK_SEQPACKET);
	t_bind4(srv, "127.0.0.1", t_ports.sctp);
	t_set_initmsg(srv, 65535, 65535);
	memset(&ev, 0, sizeof(ev));
	ev.sctp_data_io_event = 1;
	CHECK_SYS(setsockopt(srv, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof(ev)));
	CHECK_SYS(listen(srv, 1024));
	/* One association first, so the stack's own start-up is not counted. */
	cl[0] = t_sctp_socket(SOCK_STREAM);
	t_set_initmsg(cl[0], 65535, 65535);
	CHECK_SYS(connect(cl[0], (struct sockaddr *)&a, sizeof(a)));
	before = t_stack_rss_kib(udp_port, NULL);
	STEP("streams: 200 associations of 65,535 streams each way");
	for (int i = 1; i < N_ASSOC; i++) {
		cl[i] = t_sctp_socket(SOCK_STREAM);
		t_set_initmsg(cl[i], 65535, 65535);
		CHECK_SYS(connect(cl[i], (struct sockaddr *)&a, sizeof(a)));
	}
	after = t_stack_rss_kib(udp_port, NULL);
	printf("streams: %d associations of 65,535 streams: %.1f KiB of stack memory each\n",
	       N_ASSOC - 1, (double)(after - before) / (N_ASSOC - 1) / 2);
	CHECK(before > 0 && after > 0);
	CHECK((after - before) / (N_ASSOC - 1) < 2 * 16);
	STEP("streams: the last stream works");
	for (int i = 0; i < N_ASSOC; i++)
		CHECK_EQ(sctp_sendmsg(cl[i], "x", 1, NULL, 0, 0, 0, 65534, 0, 0), 1);
	while (got < N_ASSOC) {
		struct sctp_sndrcvinfo si;
		int flags = 0;

		t_wait_fd(srv, POLLIN, 10000);
		CHECK_EQ(sctp_recvmsg(srv, buf, sizeof(buf), NULL, NULL, &si, &flags), 1);
		CHECK_EQ(si.sinfo_stream, 65534);
		got++;
	}
	for (int i = 0; i < N_ASSOC; i++)
		close(cl[i]);
	close(srv);
}

static int g_fd;
static volatile int g_done;
static volatile int g_err;

static void *connector(void *arg)
{
	struct sockaddr_in *to = arg;
	int r = connect(g_fd, (struct sockaddr *)to, sizeof(*to));

	g_err = r == 0 ? 0 : errno;
	g_done = 1;
	return NULL;
}

static void connect_case(void)
{
	struct sockaddr_in me = t_addr4("127.0.0.1", 0), hole;
	socklen_t ml = sizeof(hole);
	struct sctp_udpencaps enc;
	pthread_t th;
	double c0, used;
	int u = socket(AF_INET, SOCK_DGRAM, 0);

	STEP("connect: a UDP port that swallows everything");
	CHECK_SYS(u);
	CHECK_SYS(bind(u, (struct sockaddr *)&me, sizeof(me)));
	CHECK_SYS(getsockname(u, (struct sockaddr *)&hole, &ml));
	g_fd = t_sctp_socket(SOCK_STREAM);
	{
		struct sctp_initmsg im;

		memset(&im, 0, sizeof(im));
		im.sinit_max_attempts = 2;
		im.sinit_max_init_timeo = 300;
		CHECK_SYS(setsockopt(g_fd, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof(im)));
	}
	memset(&enc, 0, sizeof(enc));
	enc.sue_address.ss_family = AF_INET;
	enc.sue_port = hole.sin_port;
	CHECK_SYS(setsockopt(g_fd, IPPROTO_SCTP, SCTP_REMOTE_UDP_ENCAPS_PORT, &enc, sizeof(enc)));
	{
		static struct sockaddr_in to;

		to = t_addr4("127.0.0.1", (uint16_t)(t_ports.sctp + 1));
		CHECK(pthread_create(&th, NULL, connector, &to) == 0);
	}
	usleep(100000);
	CHECK_EQ(g_done, 0); /* still in the handshake */
	STEP("connect: close() from another thread");
	c0 = cpu_now();
	CHECK_SYS(close(g_fd));
	for (int i = 0; !g_done; i++) {
		if (i == 1000)
			FAIL("connect() still blocked 10 s after close()");
		usleep(10000);
	}
	used = cpu_now() - c0;
	pthread_join(th, NULL);
	printf("connect: returned errno %d (%s) after close(), %.3f s of CPU meanwhile\n", g_err,
	       strerror(g_err), used);
	CHECK(g_err != 0);
	CHECK(used < 0.5);
	close(u);
}

int main(int argc, char **argv)
{
	t_init("t_hold", argc, argv, 90);
	t_pick_udp_ports(&udp_port, 1);
	t_use_udp(udp_port, udp_port);
	streams_case();
	connect_case();
	t_pass();
}
