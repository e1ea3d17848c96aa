/*
 * peer.h: the interface between the interop test logic (peer.c), which is
 * the same for both stacks, and one SCTP stack (stack_usrsctp.c for
 * usrsctp, stack_sctpudp.c for sctpudp with the Linux sockets API).
 *
 * The two stacks spell the RFC 6458 API differently (usrsctp's BSD names
 * and numbering versus Linux's), so peer.c sees neither header: each stack
 * file translates sockets, send/receive information and notifications to
 * the neutral types below.
 */
#ifndef INTEROP_PEER_H
#define INTEROP_PEER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct psock; /* one SCTP socket of the stack */

enum pev {
	PEV_NONE = 0,
	PEV_COMM_UP,
	PEV_COMM_LOST,
	PEV_RESTART,
	PEV_SHUTDOWN_COMP,
	PEV_CANT_STR_ASSOC,
	PEV_SHUTDOWN_EVENT, /* the peer sent SHUTDOWN */
	PEV_OTHER,
};

/* What one receive call returned. */
struct prinfo {
	int notification;   /* 1: the bytes were a notification, see ev */
	int eor;            /* 1: this read completed a message */
	uint16_t sid;
	uint32_t ppid;      /* host order */
	int unordered;
	uint32_t assoc;
	enum pev ev;        /* notifications: the translated type/state */
	uint16_t ev_ostreams, ev_istreams; /* SCTP_ASSOC_CHANGE streams */
	uint16_t ev_error;
	int ev_raw_type;    /* notifications: sn_type as the stack numbers it */
};

struct pstack {
	const char *name;
	/* Process-wide set-up: local and remote UDP encapsulation ports (0:
	 * the stack's default or the environment). */
	int (*init)(uint16_t udp_port, uint16_t remote_udp_port);
	/* A new socket, one-to-one (SOCK_STREAM) or one-to-many (SOCK_SEQPACKET). */
	struct psock *(*socket)(int one_to_many);
	/* Socket options every peer sets: streams each way, notifications
	 * (association change, shutdown) and per-message receive information,
	 * buffers (0: leave the stack's default).  Returns how many options
	 * failed (each printed on stderr); *missing counts those that failed
	 * with ENOPROTOOPT (option not implemented). */
	int (*setup)(struct psock *, int streams, int bufsize, int *missing);
	/* Binds to ADDR (IPv4 literal; NULL: the wildcard) and PORT (0: any). */
	int (*bind)(struct psock *, const char *addr, uint16_t port);
	int (*listen)(struct psock *, int backlog);
	struct psock *(*accept)(struct psock *);
	/* Connects to ADDR:PORT (IPv4 literal); *assoc gets the id if known. */
	int (*connect)(struct psock *, const char *addr, uint16_t port, uint32_t *assoc);
	ssize_t (*send)(struct psock *, const void *buf, size_t len, uint16_t sid,
			uint32_t ppid, int unordered, uint32_t assoc);
	/* ABORT the association (one-to-many: by id) with a user reason. */
	int (*abort)(struct psock *, uint32_t assoc, const char *reason);
	/* One receive call: may return part of a message (info->eor == 0),
	 * 0 at end of file, -1 with errno. */
	ssize_t (*recv)(struct psock *, void *buf, size_t cap, struct prinfo *info);
	int (*shutdown_wr)(struct psock *);
	/* ASCONF (RFC 5061) on a connected one-to-one socket: op 0 adds ADDR
	 * (sctp_bindx ADD, with the socket's port), 1 removes it (REM), 2 asks
	 * the peer to make it its primary (SCTP_SET_PEER_PRIMARY_ADDR). */
	int (*renumber)(struct psock *, const char *addr, int op);
	void (*close)(struct psock *);
	void (*finish)(void);
};

extern const struct pstack *const stack;

const char *pev_name(enum pev ev);

#endif
