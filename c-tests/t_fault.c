/*
 * t_fault: the library copies to and from the application's buffers with
 * a plain copy whose faults its own SIGSEGV/SIGBUS handler turns into
 * EFAULT (src/abi/guarded.rs). A program must not see that handler:
 * bad pointers give -1/EFAULT as the kernel does, and every other fault
 * or signal does what it did without the library. Each case runs in a
 * child process (signal dispositions are per process):
 *
 *  1. No handler of the program's own: after SCTP traffic (the handler is
 *     then installed) sends from and receives into bad memory give EFAULT
 *     on the ring path, data still flows, and a NULL dereference by the
 *     program still kills it with SIGSEGV (the default action).
 *  2. kill(getpid(), SIGSEGV) after SCTP traffic still kills with SIGSEGV.
 *  3. The program installs a SA_SIGINFO handler first: the library's hands
 *     it the program's own faults (it exits 42 from there), and EFAULT
 *     still works.
 *  4. The program installs a handler (with signal()) after SCTP traffic:
 *     the library stops trusting its own (copies by system call), EFAULT
 *     still works, and the program's fault reaches the program's handler
 *     (exit 43).
 *  5. A SIGBUS from a truncated file mapping, after SCTP traffic, kills
 *     with SIGBUS.
 */
#include "common.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

static char *edge; /* the first byte of an inaccessible page */

static void on_segv_info(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	_exit(42);
}

static void on_segv_plain(int sig)
{
	(void)sig;
	_exit(43);
}

/* A connected one-to-one pair in this process, with a few messages each
 * way so that the rings are in use (DESIGN.md "The data path: rings"). */
static void pair(int *conn, int *acc, uint16_t sport)
{
	struct sockaddr_in srv = t_addr4("127.0.0.1", sport);
	char buf[256];
	int l, i, fl;

	l = t_sctp_socket(SOCK_STREAM);
	t_bind4(l, "127.0.0.1", sport);
	CHECK_SYS(listen(l, 4));
	*conn = t_sctp_socket(SOCK_STREAM);
	CHECK_SYS(connect(*conn, (struct sockaddr *)&srv, sizeof(srv)));
	t_wait_fd(l, POLLIN, 10000);
	*acc = (int)CHECK_SYS(accept(l, NULL, NULL));
	for (i = 0; i < 8; i++) {
		t_fill(buf, 200, (uint32_t)i);
		t_send_msg(*conn, buf, 200, NULL, 0, 0, 0);
		CHECK(t_recv_msg(*acc, buf, sizeof buf, NULL, &fl, NULL, 10000) == 200);
		CHECK(t_check_fill(buf, 200, (uint32_t)i) < 0);
	}
}

/* Bad pointers on both sides of the data path: EFAULT, and the
 * association still carries data afterwards. */
static void efault_checks(int conn, int acc)
{
	char buf[256];
	int fl;

	CHECK_ERRNO(sctp_sendmsg(conn, edge - 4, 10, NULL, 0, 0, 0, 0, 0, 0), EFAULT);
	CHECK_ERRNO(send(conn, (void *)8, 10, 0), EFAULT);
	/* A message received into memory that cannot hold it: EFAULT, and the
	 * message is gone (Linux frees the event when the copy fails). */
	t_fill(buf, 100, 77);
	t_send_msg(conn, buf, 100, NULL, 0, 0, 0);
	t_wait_fd(acc, POLLIN, 10000);
	CHECK_ERRNO(recv(acc, edge - 8, 100, 0), EFAULT);
	t_fill(buf, 150, 78);
	t_send_msg(conn, buf, 150, NULL, 0, 0, 0);
	CHECK(t_recv_msg(acc, buf, sizeof buf, NULL, &fl, NULL, 10000) == 150);
	CHECK(t_check_fill(buf, 150, 78) < 0);
}

static int handler_is_default(int sig)
{
	struct sigaction sa;

	CHECK_SYS(sigaction(sig, NULL, &sa));
	return sa.sa_handler == SIG_DFL;
}

static void crash(void)
{
	*(volatile int *)(uintptr_t)16 = 1;
}

static void child(int which, uint16_t sport)
{
	int conn, acc;

	if (which == 3) {
		struct sigaction sa;

		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = on_segv_info;
		sa.sa_flags = SA_SIGINFO;
		CHECK_SYS(sigaction(SIGSEGV, &sa, NULL));
	}
	pair(&conn, &acc, sport);
	switch (which) {
	case 1:
		/* The library's handler is there (so the copies were fast). */
		CHECK(!handler_is_default(SIGSEGV));
		efault_checks(conn, acc);
		crash();
		break;
	case 2:
		kill(getpid(), SIGSEGV);
		break;
	case 3:
		efault_checks(conn, acc);
		crash();
		break;
	case 4:
		CHECK(signal(SIGSEGV, on_segv_plain) != SIG_ERR);
		efault_checks(conn, acc);
		crash();
		break;
	case 5: {
		char path[] = "/tmp/t_fault.XXXXXX";
		int fd = mkstemp(path);
		volatile char *p;

		CHECK_SYS(fd);
		unlink(path);
		CHECK_SYS(ftruncate(fd, 8192));
		p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		CHECK(p != MAP_FAILED);
		CHECK_SYS(ftruncate(fd, 0));
		p[100] = 1;
		break;
	}
	}
	_exit(99); /* not reached in any case */
}

int main(int argc, char **argv)
{
	long ps = sysconf(_SC_PAGESIZE);
	char *page;
	/* exit code or -signal each case must end with */
	const int want[] = { 0, -SIGSEGV, -SIGSEGV, 42, 43, -SIGBUS };

	t_init("t_fault", argc, argv, 90);
	page = mmap(NULL, (size_t)(2 * ps), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(page != MAP_FAILED);
	edge = page + ps;
	CHECK_SYS(mprotect(edge, (size_t)ps, PROT_NONE));
	t_use_udp(t_ports.udp_server, t_ports.udp_server);
	for (int which = 1; which <= 5; which++) {
		pid_t pid;
		int st, got;

		STEP("a case (see t_log)");
		t_log("case %d", which);
		pid = fork();
		CHECK_SYS(pid);
		if (pid == 0) {
			struct rlimit nocore = { 0, 0 };

			alarm(30);
			setrlimit(RLIMIT_CORE, &nocore);
			child(which, (uint16_t)(t_ports.sctp + which));
		}
		CHECK_SYS(waitpid(pid, &st, 0));
		got = WIFSIGNALED(st) ? -WTERMSIG(st) : WEXITSTATUS(st);
		if (got != want[which])
			FAIL("case %d ended with %d (negative: signal), expected %d", which,
			     got, want[which]);
		t_log("case %d: ended with %d as expected", which, got);
	}
	t_pass();
}
