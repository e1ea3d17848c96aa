//! The C types and constants of the Linux SCTP sockets API, in the exact
//! layout of the kernel uapi header `<linux/sctp.h>` and of lksctp-tools'
//! `<netinet/sctp.h>` on top of it.
//!
//! Every name equals its C name so that code and documentation can be read
//! side by side with the headers, and so that the cbindgen-generated header
//! and the layout test (`tests/abi_layout.rs` against `c-tests/abi_layout.c`)
//! can be compared name for name.
//!
//! Layout notes:
//!
//! * `sctp_assoc_t` is a signed 32-bit integer on Linux (BSD: unsigned).
//! * Five structs carry `__attribute__((packed, aligned(4)))` in the kernel
//!   header: `sctp_paddr_change`, `sctp_setpeerprim`, `sctp_prim`,
//!   `sctp_paddrparams` and `sctp_paddrinfo`. The effect is that the
//!   `sockaddr_storage` after the leading 4-byte field starts at offset 4
//!   instead of 8. For four of them every later field is 4-byte aligned
//!   anyway, so `#[repr(C, packed(4))]` reproduces the layout and the
//!   alignment (4) exactly.
//! * `sctp_paddrparams` is the exception: its `__u16 spp_pathmaxrxt` is
//!   followed by `__u32` fields at offsets 138, 142, ... that only a fully
//!   packed struct allows. `#[repr(C, packed(2))]` gives every offset and
//!   the size (156) exactly, with an alignment of 2 where C has 4. Rust
//!   cannot combine `packed` and `align(4)` on one struct; the only effect
//!   of the weaker alignment is that a Rust `sctp_paddrparams` may sit at
//!   an address that is 2 mod 4, which no C API can observe (nothing embeds
//!   it, and kernel and libsctp copy it byte-wise through `optval`).
//! * The other structs that hold a `sockaddr_storage` (`sctp_assoc_stats`,
//!   `sctp_paddrthlds`, `sctp_paddrthlds_v2`, `sctp_info`,
//!   `sctp_udpencaps`, `sctp_probeinterval`) are *not* packed: their
//!   address sits at offset 8 after 4 bytes of padding.
//! * Structs that end in a C flexible array member declare it here as a
//!   zero-length array, which has the same offset and adds no size.
//! * `union sctp_notification`'s `sn_header` member has an anonymous struct
//!   type in C; it is named [`sctp_tlv`] here (the name older lksctp
//!   headers used).
//! * `#define sctp_setprim sctp_prim` is a type alias. The field-name
//!   aliases `shmac_number_of_idents` (for `shmac_num_idents`) and
//!   `guth_number_of_chunks` (for `gauth_number_of_chunks`) have no Rust
//!   equivalent.
//!
//! Constants take the Rust type of the field or argument they are used in
//! (`c_int` for socket option names and cmsg types, `u16` for `sinfo_flags`
//! and notification types, and so on); C gives all enum values type `int`.
//! The values, not the types, are what the ABI fixes.
#![allow(non_camel_case_types, non_upper_case_globals, non_snake_case)]

use libc::{c_int, c_uint, sockaddr, sockaddr_storage};

// ---------------------------------------------------------------------------
// Scalar typedefs
// ---------------------------------------------------------------------------

/// Association identifier (`typedef __s32 sctp_assoc_t`).
pub type sctp_assoc_t = i32;

/// `typedef enum sctp_cmsg_type sctp_cmsg_t`: a C enum whose values are all
/// non-negative, which GCC and Clang represent as `unsigned int`.
pub type sctp_cmsg_t = c_uint;

/// `typedef enum sctp_sn_error sctp_sn_error_t` (also `unsigned int`).
pub type sctp_sn_error_t = c_uint;

// ---------------------------------------------------------------------------
// Protocol and socket option level (netinet/sctp.h)
// ---------------------------------------------------------------------------

/// Socket option level of the SCTP options.
pub const SOL_SCTP: c_int = 132;
/// IP protocol number of SCTP.
pub const IPPROTO_SCTP: c_int = 132;

// ---------------------------------------------------------------------------
// Special association ids for one-to-many sockets
// ---------------------------------------------------------------------------

/// The socket's defaults for associations created later.
pub const SCTP_FUTURE_ASSOC: sctp_assoc_t = 0;
/// Every association that exists now.
pub const SCTP_CURRENT_ASSOC: sctp_assoc_t = 1;
/// Both of the above.
pub const SCTP_ALL_ASSOC: sctp_assoc_t = 2;

// ---------------------------------------------------------------------------
// Socket options (level SOL_SCTP); Linux numbering, not BSD's
// ---------------------------------------------------------------------------

pub const SCTP_RTOINFO: c_int = 0;
pub const SCTP_ASSOCINFO: c_int = 1;
pub const SCTP_INITMSG: c_int = 2;
pub const SCTP_NODELAY: c_int = 3;
pub const SCTP_AUTOCLOSE: c_int = 4;
pub const SCTP_SET_PEER_PRIMARY_ADDR: c_int = 5;
pub const SCTP_PRIMARY_ADDR: c_int = 6;
pub const SCTP_ADAPTATION_LAYER: c_int = 7;
pub const SCTP_DISABLE_FRAGMENTS: c_int = 8;
pub const SCTP_PEER_ADDR_PARAMS: c_int = 9;
pub const SCTP_DEFAULT_SEND_PARAM: c_int = 10;
pub const SCTP_EVENTS: c_int = 11;
pub const SCTP_I_WANT_MAPPED_V4_ADDR: c_int = 12;
pub const SCTP_MAXSEG: c_int = 13;
pub const SCTP_STATUS: c_int = 14;
pub const SCTP_GET_PEER_ADDR_INFO: c_int = 15;
pub const SCTP_DELAYED_ACK_TIME: c_int = 16;
/// Alias of [`SCTP_DELAYED_ACK_TIME`].
pub const SCTP_DELAYED_ACK: c_int = SCTP_DELAYED_ACK_TIME;
/// Alias of [`SCTP_DELAYED_ACK_TIME`] (the RFC 6458 name).
pub const SCTP_DELAYED_SACK: c_int = SCTP_DELAYED_ACK_TIME;
pub const SCTP_CONTEXT: c_int = 17;
pub const SCTP_FRAGMENT_INTERLEAVE: c_int = 18;
pub const SCTP_PARTIAL_DELIVERY_POINT: c_int = 19;
pub const SCTP_MAX_BURST: c_int = 20;
pub const SCTP_AUTH_CHUNK: c_int = 21;
pub const SCTP_HMAC_IDENT: c_int = 22;
pub const SCTP_AUTH_KEY: c_int = 23;
pub const SCTP_AUTH_ACTIVE_KEY: c_int = 24;
pub const SCTP_AUTH_DELETE_KEY: c_int = 25;
pub const SCTP_PEER_AUTH_CHUNKS: c_int = 26;
pub const SCTP_LOCAL_AUTH_CHUNKS: c_int = 27;
pub const SCTP_GET_ASSOC_NUMBER: c_int = 28;
pub const SCTP_GET_ASSOC_ID_LIST: c_int = 29;
pub const SCTP_AUTO_ASCONF: c_int = 30;
pub const SCTP_PEER_ADDR_THLDS: c_int = 31;
pub const SCTP_RECVRCVINFO: c_int = 32;
pub const SCTP_RECVNXTINFO: c_int = 33;
pub const SCTP_DEFAULT_SNDINFO: c_int = 34;
pub const SCTP_AUTH_DEACTIVATE_KEY: c_int = 35;
pub const SCTP_REUSE_PORT: c_int = 36;
pub const SCTP_PEER_ADDR_THLDS_V2: c_int = 37;

// Private options that libsctp.so.1 itself uses to implement its functions.
// 103..=106 were used once and are retired.
pub const SCTP_SOCKOPT_BINDX_ADD: c_int = 100;
pub const SCTP_SOCKOPT_BINDX_REM: c_int = 101;
pub const SCTP_SOCKOPT_PEELOFF: c_int = 102;
pub const SCTP_SOCKOPT_CONNECTX_OLD: c_int = 107;
pub const SCTP_GET_PEER_ADDRS: c_int = 108;
pub const SCTP_GET_LOCAL_ADDRS: c_int = 109;
pub const SCTP_SOCKOPT_CONNECTX: c_int = 110;
pub const SCTP_SOCKOPT_CONNECTX3: c_int = 111;
pub const SCTP_GET_ASSOC_STATS: c_int = 112;

// Later options (PR-SCTP, stream reconfiguration, schedulers, ...).
pub const SCTP_PR_SUPPORTED: c_int = 113;
pub const SCTP_DEFAULT_PRINFO: c_int = 114;
pub const SCTP_PR_ASSOC_STATUS: c_int = 115;
pub const SCTP_PR_STREAM_STATUS: c_int = 116;
pub const SCTP_RECONFIG_SUPPORTED: c_int = 117;
pub const SCTP_ENABLE_STREAM_RESET: c_int = 118;
pub const SCTP_RESET_STREAMS: c_int = 119;
pub const SCTP_RESET_ASSOC: c_int = 120;
pub const SCTP_ADD_STREAMS: c_int = 121;
pub const SCTP_SOCKOPT_PEELOFF_FLAGS: c_int = 122;
pub const SCTP_STREAM_SCHEDULER: c_int = 123;
pub const SCTP_STREAM_SCHEDULER_VALUE: c_int = 124;
pub const SCTP_INTERLEAVING_SUPPORTED: c_int = 125;
pub const SCTP_SENDMSG_CONNECT: c_int = 126;
pub const SCTP_EVENT: c_int = 127;
pub const SCTP_ASCONF_SUPPORTED: c_int = 128;
pub const SCTP_AUTH_SUPPORTED: c_int = 129;
pub const SCTP_ECN_SUPPORTED: c_int = 130;
pub const SCTP_EXPOSE_POTENTIALLY_FAILED_STATE: c_int = 131;
/// Alias of [`SCTP_EXPOSE_POTENTIALLY_FAILED_STATE`].
pub const SCTP_EXPOSE_PF_STATE: c_int = SCTP_EXPOSE_POTENTIALLY_FAILED_STATE;
/// RFC 6951 remote UDP encapsulation port (BSD/usrsctp use 0x24 instead).
pub const SCTP_REMOTE_UDP_ENCAPS_PORT: c_int = 132;
pub const SCTP_PLPMTUD_PROBE_INTERVAL: c_int = 133;

// ---------------------------------------------------------------------------
// PR-SCTP policies (in sinfo_flags / snd_flags and pr_policy)
// ---------------------------------------------------------------------------

pub const SCTP_PR_SCTP_NONE: u16 = 0x0000;
pub const SCTP_PR_SCTP_TTL: u16 = 0x0010;
pub const SCTP_PR_SCTP_RTX: u16 = 0x0020;
pub const SCTP_PR_SCTP_PRIO: u16 = 0x0030;
pub const SCTP_PR_SCTP_MAX: u16 = SCTP_PR_SCTP_PRIO;
pub const SCTP_PR_SCTP_MASK: u16 = 0x0030;

/// `__SCTP_PR_INDEX(policy)`: index of a policy in per-policy arrays
/// (TTL 0, RTX 1, PRIO 2). C's `SCTP_PR_INDEX(TTL)` is
/// `__SCTP_PR_INDEX(SCTP_PR_SCTP_TTL)`.
#[must_use]
pub const fn __SCTP_PR_INDEX(policy: u16) -> i32 {
    (policy >> 4) as i32 - 1
}

/// `SCTP_PR_POLICY(flags)`: the policy bits of a flags word.
#[must_use]
pub const fn SCTP_PR_POLICY(flags: u16) -> u16 {
    flags & SCTP_PR_SCTP_MASK
}

/// `SCTP_PR_SET_POLICY(flags, policy)` as a function returning the new
/// flags (the C macro assigns to its first argument).
#[must_use]
pub const fn SCTP_PR_SET_POLICY(flags: u16, policy: u16) -> u16 {
    (flags & !SCTP_PR_SCTP_MASK) | policy
}

/// `SCTP_PR_TTL_ENABLED(flags)`.
#[must_use]
pub const fn SCTP_PR_TTL_ENABLED(flags: u16) -> bool {
    SCTP_PR_POLICY(flags) == SCTP_PR_SCTP_TTL
}

/// `SCTP_PR_RTX_ENABLED(flags)`.
#[must_use]
pub const fn SCTP_PR_RTX_ENABLED(flags: u16) -> bool {
    SCTP_PR_POLICY(flags) == SCTP_PR_SCTP_RTX
}

/// `SCTP_PR_PRIO_ENABLED(flags)`.
#[must_use]
pub const fn SCTP_PR_PRIO_ENABLED(flags: u16) -> bool {
    SCTP_PR_POLICY(flags) == SCTP_PR_SCTP_PRIO
}

// ---------------------------------------------------------------------------
// Stream reconfiguration (RFC 6525)
// ---------------------------------------------------------------------------

// SCTP_ENABLE_STREAM_RESET values (assoc_value).
pub const SCTP_ENABLE_RESET_STREAM_REQ: u32 = 0x01;
pub const SCTP_ENABLE_RESET_ASSOC_REQ: u32 = 0x02;
pub const SCTP_ENABLE_CHANGE_ASSOC_REQ: u32 = 0x04;
pub const SCTP_ENABLE_STRRESET_MASK: u32 = 0x07;

// SCTP_RESET_STREAMS direction (srs_flags).
pub const SCTP_STREAM_RESET_INCOMING: u16 = 0x01;
pub const SCTP_STREAM_RESET_OUTGOING: u16 = 0x02;

// ---------------------------------------------------------------------------
// msghdr.msg_flags
// ---------------------------------------------------------------------------

/// Set in `msg_flags` when `recvmsg` returned a notification, not data.
pub const MSG_NOTIFICATION: c_int = 0x8000;

// ---------------------------------------------------------------------------
// sinfo_flags / snd_flags / rcv_flags / nxt_flags
// ---------------------------------------------------------------------------

pub const SCTP_UNORDERED: u16 = 1 << 0;
pub const SCTP_ADDR_OVER: u16 = 1 << 1;
pub const SCTP_ABORT: u16 = 1 << 2;
/// Linux value; BSD uses 0x4000.
pub const SCTP_SACK_IMMEDIATELY: u16 = 1 << 3;
// Bits 4 and 5 are the PR-SCTP policy (SCTP_PR_SCTP_MASK).
pub const SCTP_SENDALL: u16 = 1 << 6;
pub const SCTP_PR_SCTP_ALL: u16 = 1 << 7;
/// Equal to [`MSG_NOTIFICATION`].
pub const SCTP_NOTIFICATION: u16 = MSG_NOTIFICATION as u16;
/// Equal to `MSG_FIN` (0x200).
pub const SCTP_EOF: u16 = libc::MSG_FIN as u16;

// ---------------------------------------------------------------------------
// Ancillary data: cmsg_type values at cmsg_level IPPROTO_SCTP
// ---------------------------------------------------------------------------

pub const SCTP_INIT: c_int = 0;
pub const SCTP_SNDRCV: c_int = 1;
pub const SCTP_SNDINFO: c_int = 2;
pub const SCTP_RCVINFO: c_int = 3;
pub const SCTP_NXTINFO: c_int = 4;
pub const SCTP_PRINFO: c_int = 5;
pub const SCTP_AUTHINFO: c_int = 6;
pub const SCTP_DSTADDRV4: c_int = 7;
pub const SCTP_DSTADDRV6: c_int = 8;

// ---------------------------------------------------------------------------
// Notifications: sn_type values
// ---------------------------------------------------------------------------

pub const SCTP_SN_TYPE_BASE: u16 = 1 << 15;
pub const SCTP_DATA_IO_EVENT: u16 = SCTP_SN_TYPE_BASE;
pub const SCTP_ASSOC_CHANGE: u16 = SCTP_SN_TYPE_BASE + 1;
pub const SCTP_PEER_ADDR_CHANGE: u16 = SCTP_SN_TYPE_BASE + 2;
pub const SCTP_SEND_FAILED: u16 = SCTP_SN_TYPE_BASE + 3;
pub const SCTP_REMOTE_ERROR: u16 = SCTP_SN_TYPE_BASE + 4;
pub const SCTP_SHUTDOWN_EVENT: u16 = SCTP_SN_TYPE_BASE + 5;
pub const SCTP_PARTIAL_DELIVERY_EVENT: u16 = SCTP_SN_TYPE_BASE + 6;
pub const SCTP_ADAPTATION_INDICATION: u16 = SCTP_SN_TYPE_BASE + 7;
pub const SCTP_AUTHENTICATION_EVENT: u16 = SCTP_SN_TYPE_BASE + 8;
/// Older name of [`SCTP_AUTHENTICATION_EVENT`].
pub const SCTP_AUTHENTICATION_INDICATION: u16 = SCTP_AUTHENTICATION_EVENT;
pub const SCTP_SENDER_DRY_EVENT: u16 = SCTP_SN_TYPE_BASE + 9;
pub const SCTP_STREAM_RESET_EVENT: u16 = SCTP_SN_TYPE_BASE + 10;
pub const SCTP_ASSOC_RESET_EVENT: u16 = SCTP_SN_TYPE_BASE + 11;
pub const SCTP_STREAM_CHANGE_EVENT: u16 = SCTP_SN_TYPE_BASE + 12;
pub const SCTP_SEND_FAILED_EVENT: u16 = SCTP_SN_TYPE_BASE + 13;
pub const SCTP_SN_TYPE_MAX: u16 = SCTP_SEND_FAILED_EVENT;

// sac_state of SCTP_ASSOC_CHANGE.
pub const SCTP_COMM_UP: u16 = 0;
pub const SCTP_COMM_LOST: u16 = 1;
pub const SCTP_RESTART: u16 = 2;
pub const SCTP_SHUTDOWN_COMP: u16 = 3;
pub const SCTP_CANT_STR_ASSOC: u16 = 4;

// spc_state of SCTP_PEER_ADDR_CHANGE.
pub const SCTP_ADDR_AVAILABLE: c_int = 0;
pub const SCTP_ADDR_UNREACHABLE: c_int = 1;
pub const SCTP_ADDR_REMOVED: c_int = 2;
pub const SCTP_ADDR_ADDED: c_int = 3;
pub const SCTP_ADDR_MADE_PRIM: c_int = 4;
pub const SCTP_ADDR_CONFIRMED: c_int = 5;
pub const SCTP_ADDR_POTENTIALLY_FAILED: c_int = 6;
pub const SCTP_ADDR_PF: c_int = SCTP_ADDR_POTENTIALLY_FAILED;

// ssf_flags of SCTP_SEND_FAILED / SCTP_SEND_FAILED_EVENT.
pub const SCTP_DATA_UNSENT: u16 = 0;
pub const SCTP_DATA_SENT: u16 = 1;

// pdapi_indication of SCTP_PARTIAL_DELIVERY_EVENT.
pub const SCTP_PARTIAL_DELIVERY_ABORTED: u32 = 0;

// auth_indication of SCTP_AUTHENTICATION_EVENT.
pub const SCTP_AUTH_NEW_KEY: u32 = 0;
/// Older name of [`SCTP_AUTH_NEW_KEY`].
pub const SCTP_AUTH_NEWKEY: u32 = SCTP_AUTH_NEW_KEY;
pub const SCTP_AUTH_FREE_KEY: u32 = 1;
pub const SCTP_AUTH_NO_AUTH: u32 = 2;

// strreset_flags of SCTP_STREAM_RESET_EVENT.
pub const SCTP_STREAM_RESET_INCOMING_SSN: u16 = 0x0001;
pub const SCTP_STREAM_RESET_OUTGOING_SSN: u16 = 0x0002;
pub const SCTP_STREAM_RESET_DENIED: u16 = 0x0004;
pub const SCTP_STREAM_RESET_FAILED: u16 = 0x0008;

// assocreset_flags of SCTP_ASSOC_RESET_EVENT.
pub const SCTP_ASSOC_RESET_DENIED: u16 = 0x0004;
pub const SCTP_ASSOC_RESET_FAILED: u16 = 0x0008;

// strchange_flags of SCTP_STREAM_CHANGE_EVENT.
pub const SCTP_ASSOC_CHANGE_DENIED: u16 = 0x0004;
pub const SCTP_ASSOC_CHANGE_FAILED: u16 = 0x0008;
pub const SCTP_STREAM_CHANGE_DENIED: u16 = SCTP_ASSOC_CHANGE_DENIED;
pub const SCTP_STREAM_CHANGE_FAILED: u16 = SCTP_ASSOC_CHANGE_FAILED;

// sctp_sn_error_t: error codes in sac_error / spc_error.
pub const SCTP_FAILED_THRESHOLD: sctp_sn_error_t = 0;
pub const SCTP_RECEIVED_SACK: sctp_sn_error_t = 1;
pub const SCTP_HEARTBEAT_SUCCESS: sctp_sn_error_t = 2;
pub const SCTP_RESPONSE_TO_USER_REQ: sctp_sn_error_t = 3;
pub const SCTP_INTERNAL_ERROR: sctp_sn_error_t = 4;
pub const SCTP_SHUTDOWN_GUARD_EXPIRES: sctp_sn_error_t = 5;
pub const SCTP_PEER_FAULTY: sctp_sn_error_t = 6;

// ---------------------------------------------------------------------------
// SCTP_PEER_ADDR_PARAMS: spp_flags
// ---------------------------------------------------------------------------

pub const SPP_HB_ENABLE: u32 = 1 << 0;
pub const SPP_HB_DISABLE: u32 = 1 << 1;
pub const SPP_HB: u32 = SPP_HB_ENABLE | SPP_HB_DISABLE;
pub const SPP_HB_DEMAND: u32 = 1 << 2;
pub const SPP_PMTUD_ENABLE: u32 = 1 << 3;
pub const SPP_PMTUD_DISABLE: u32 = 1 << 4;
pub const SPP_PMTUD: u32 = SPP_PMTUD_ENABLE | SPP_PMTUD_DISABLE;
pub const SPP_SACKDELAY_ENABLE: u32 = 1 << 5;
pub const SPP_SACKDELAY_DISABLE: u32 = 1 << 6;
pub const SPP_SACKDELAY: u32 = SPP_SACKDELAY_ENABLE | SPP_SACKDELAY_DISABLE;
pub const SPP_HB_TIME_IS_ZERO: u32 = 1 << 7;
pub const SPP_IPV6_FLOWLABEL: u32 = 1 << 8;
pub const SPP_DSCP: u32 = 1 << 9;

// ---------------------------------------------------------------------------
// AUTH (RFC 4895): HMAC identifiers for SCTP_HMAC_IDENT
// ---------------------------------------------------------------------------

pub const SCTP_AUTH_HMAC_ID_SHA1: u16 = 1;
pub const SCTP_AUTH_HMAC_ID_SHA256: u16 = 3;

// ---------------------------------------------------------------------------
// Path state (spinfo_state) and association state (sstat_state)
// ---------------------------------------------------------------------------

pub const SCTP_INACTIVE: i32 = 0;
pub const SCTP_PF: i32 = 1;
pub const SCTP_POTENTIALLY_FAILED: i32 = SCTP_PF;
pub const SCTP_ACTIVE: i32 = 2;
pub const SCTP_UNCONFIRMED: i32 = 3;
pub const SCTP_UNKNOWN: i32 = 0xffff;

pub const SCTP_EMPTY: i32 = 0;
pub const SCTP_CLOSED: i32 = 1;
pub const SCTP_COOKIE_WAIT: i32 = 2;
pub const SCTP_COOKIE_ECHOED: i32 = 3;
pub const SCTP_ESTABLISHED: i32 = 4;
pub const SCTP_SHUTDOWN_PENDING: i32 = 5;
pub const SCTP_SHUTDOWN_SENT: i32 = 6;
pub const SCTP_SHUTDOWN_RECEIVED: i32 = 7;
pub const SCTP_SHUTDOWN_ACK_SENT: i32 = 8;

// ---------------------------------------------------------------------------
// sctp_bindx() flags
// ---------------------------------------------------------------------------

pub const SCTP_BINDX_ADD_ADDR: c_int = 0x01;
pub const SCTP_BINDX_REM_ADDR: c_int = 0x02;

// ---------------------------------------------------------------------------
// Stream schedulers (SCTP_STREAM_SCHEDULER, assoc_value)
// ---------------------------------------------------------------------------

pub const SCTP_SS_FCFS: u32 = 0;
pub const SCTP_SS_DEFAULT: u32 = SCTP_SS_FCFS;
pub const SCTP_SS_PRIO: u32 = 1;
pub const SCTP_SS_RR: u32 = 2;
/// Fair capacity (RFC 8260 3.5); uapi headers since Linux 6.4.
pub const SCTP_SS_FC: u32 = 3;
/// Weighted fair queueing (RFC 8260 3.6); uapi headers since Linux 6.4.
pub const SCTP_SS_WFQ: u32 = 4;
/// As in Linux 6.4 and later (older uapi headers have `SCTP_SS_RR`, 2).
pub const SCTP_SS_MAX: u32 = SCTP_SS_WFQ;

// ---------------------------------------------------------------------------
// sctp_sendv() / sctp_recvv() (netinet/sctp.h)
// ---------------------------------------------------------------------------

// sctp_sendv() infotype.
pub const SCTP_SENDV_NOINFO: c_uint = 0;
pub const SCTP_SENDV_SNDINFO: c_uint = 1;
pub const SCTP_SENDV_PRINFO: c_uint = 2;
pub const SCTP_SENDV_AUTHINFO: c_uint = 3;
pub const SCTP_SENDV_SPA: c_uint = 4;

// sctp_sendv_spa.sendv_flags.
pub const SCTP_SEND_SNDINFO_VALID: u32 = 0x1;
pub const SCTP_SEND_PRINFO_VALID: u32 = 0x2;
pub const SCTP_SEND_AUTHINFO_VALID: u32 = 0x4;

// sctp_recvv() infotype.
pub const SCTP_RECVV_NOINFO: c_uint = 0;
pub const SCTP_RECVV_RCVINFO: c_uint = 1;
pub const SCTP_RECVV_NXTINFO: c_uint = 2;
pub const SCTP_RECVV_RN: c_uint = 3;

// ---------------------------------------------------------------------------
// Feature macros of netinet/sctp.h that carry a value (1). The valueless
// ones (HAVE_SCTP, HAVE_KERNEL_SCTP, HAVE_SCTP_MULTIBUF, ...) have no Rust
// equivalent; the generated C header defines them.
// ---------------------------------------------------------------------------

pub const HAVE_SCTP_STREAM_RESET_EVENT: c_int = 1;
pub const HAVE_SCTP_STREAM_RECONFIG: c_int = 1;
pub const HAVE_SCTP_PEELOFF_FLAGS: c_int = 1;
pub const HAVE_SCTP_PDAPI_EVENT_PDAPI_STREAM: c_int = 1;
pub const HAVE_SCTP_PDAPI_EVENT_PDAPI_SEQ: c_int = 1;
pub const HAVE_SCTP_SENDV: c_int = 1;
pub const HAVE_SCTP_AUTH_NO_AUTH: c_int = 1;
pub const HAVE_SCTP_SPP_IPV6_FLOWLABEL: c_int = 1;
pub const HAVE_SCTP_SPP_DSCP: c_int = 1;

// ===========================================================================
// Ancillary data structures
// ===========================================================================

/// SCTP_INIT cmsg and the SCTP_INITMSG option.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_initmsg {
    pub sinit_num_ostreams: u16,
    pub sinit_max_instreams: u16,
    pub sinit_max_attempts: u16,
    pub sinit_max_init_timeo: u16,
}

/// SCTP_SNDRCV cmsg and the SCTP_DEFAULT_SEND_PARAM option.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_sndrcvinfo {
    pub sinfo_stream: u16,
    pub sinfo_ssn: u16,
    pub sinfo_flags: u16,
    pub sinfo_ppid: u32,
    pub sinfo_context: u32,
    pub sinfo_timetolive: u32,
    pub sinfo_tsn: u32,
    pub sinfo_cumtsn: u32,
    pub sinfo_assoc_id: sctp_assoc_t,
}

/// SCTP_SNDINFO cmsg and the SCTP_DEFAULT_SNDINFO option.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_sndinfo {
    pub snd_sid: u16,
    pub snd_flags: u16,
    pub snd_ppid: u32,
    pub snd_context: u32,
    pub snd_assoc_id: sctp_assoc_t,
}

/// SCTP_RCVINFO cmsg.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_rcvinfo {
    pub rcv_sid: u16,
    pub rcv_ssn: u16,
    pub rcv_flags: u16,
    pub rcv_ppid: u32,
    pub rcv_tsn: u32,
    pub rcv_cumtsn: u32,
    pub rcv_context: u32,
    pub rcv_assoc_id: sctp_assoc_t,
}

/// SCTP_NXTINFO cmsg.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_nxtinfo {
    pub nxt_sid: u16,
    pub nxt_flags: u16,
    pub nxt_ppid: u32,
    pub nxt_length: u32,
    pub nxt_assoc_id: sctp_assoc_t,
}

/// SCTP_PRINFO cmsg.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_prinfo {
    pub pr_policy: u16,
    pub pr_value: u32,
}

/// SCTP_AUTHINFO cmsg.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_authinfo {
    pub auth_keynumber: u16,
}

/// `sctp_cmsg_data_t`: the payload of an SCTP cmsg.
#[repr(C)]
#[derive(Clone, Copy)]
pub union sctp_cmsg_data_t {
    pub raw: u8,
    pub init: sctp_initmsg,
    pub sndrcv: sctp_sndrcvinfo,
}

// ===========================================================================
// Notifications
// ===========================================================================

/// SCTP_ASSOC_CHANGE notification; `sac_info` is variable-length.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_assoc_change {
    pub sac_type: u16,
    pub sac_flags: u16,
    pub sac_length: u32,
    pub sac_state: u16,
    pub sac_error: u16,
    pub sac_outbound_streams: u16,
    pub sac_inbound_streams: u16,
    pub sac_assoc_id: sctp_assoc_t,
    pub sac_info: [u8; 0],
}

/// SCTP_PEER_ADDR_CHANGE notification (packed, aligned(4) in C).
#[repr(C, packed(4))]
#[derive(Clone, Copy)]
pub struct sctp_paddr_change {
    pub spc_type: u16,
    pub spc_flags: u16,
    pub spc_length: u32,
    pub spc_aaddr: sockaddr_storage,
    pub spc_state: c_int,
    pub spc_error: c_int,
    pub spc_assoc_id: sctp_assoc_t,
}

/// SCTP_REMOTE_ERROR notification; `sre_error` is in network byte order,
/// `sre_data` is variable-length.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_remote_error {
    pub sre_type: u16,
    pub sre_flags: u16,
    pub sre_length: u32,
    pub sre_error: u16,
    pub sre_assoc_id: sctp_assoc_t,
    pub sre_data: [u8; 0],
}

/// SCTP_SEND_FAILED notification (deprecated form).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_send_failed {
    pub ssf_type: u16,
    pub ssf_flags: u16,
    pub ssf_length: u32,
    pub ssf_error: u32,
    pub ssf_info: sctp_sndrcvinfo,
    pub ssf_assoc_id: sctp_assoc_t,
    pub ssf_data: [u8; 0],
}

/// SCTP_SEND_FAILED_EVENT notification. Note the field name `ssfe_info`
/// next to `ssf_*` names, as in the kernel header.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_send_failed_event {
    pub ssf_type: u16,
    pub ssf_flags: u16,
    pub ssf_length: u32,
    pub ssf_error: u32,
    pub ssfe_info: sctp_sndinfo,
    pub ssf_assoc_id: sctp_assoc_t,
    pub ssf_data: [u8; 0],
}

/// SCTP_SHUTDOWN_EVENT notification.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_shutdown_event {
    pub sse_type: u16,
    pub sse_flags: u16,
    pub sse_length: u32,
    pub sse_assoc_id: sctp_assoc_t,
}

/// SCTP_ADAPTATION_INDICATION notification.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_adaptation_event {
    pub sai_type: u16,
    pub sai_flags: u16,
    pub sai_length: u32,
    pub sai_adaptation_ind: u32,
    pub sai_assoc_id: sctp_assoc_t,
}

/// SCTP_PARTIAL_DELIVERY_EVENT notification.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_pdapi_event {
    pub pdapi_type: u16,
    pub pdapi_flags: u16,
    pub pdapi_length: u32,
    pub pdapi_indication: u32,
    pub pdapi_assoc_id: sctp_assoc_t,
    pub pdapi_stream: u32,
    pub pdapi_seq: u32,
}

/// SCTP_AUTHENTICATION_EVENT notification.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_authkey_event {
    pub auth_type: u16,
    pub auth_flags: u16,
    pub auth_length: u32,
    pub auth_keynumber: u16,
    pub auth_altkeynumber: u16,
    pub auth_indication: u32,
    pub auth_assoc_id: sctp_assoc_t,
}

/// SCTP_SENDER_DRY_EVENT notification.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_sender_dry_event {
    pub sender_dry_type: u16,
    pub sender_dry_flags: u16,
    pub sender_dry_length: u32,
    pub sender_dry_assoc_id: sctp_assoc_t,
}

/// SCTP_STREAM_RESET_EVENT notification; the stream list is
/// variable-length.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_stream_reset_event {
    pub strreset_type: u16,
    pub strreset_flags: u16,
    pub strreset_length: u32,
    pub strreset_assoc_id: sctp_assoc_t,
    pub strreset_stream_list: [u16; 0],
}

/// SCTP_ASSOC_RESET_EVENT notification.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_assoc_reset_event {
    pub assocreset_type: u16,
    pub assocreset_flags: u16,
    pub assocreset_length: u32,
    pub assocreset_assoc_id: sctp_assoc_t,
    pub assocreset_local_tsn: u32,
    pub assocreset_remote_tsn: u32,
}

/// SCTP_STREAM_CHANGE_EVENT notification.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_stream_change_event {
    pub strchange_type: u16,
    pub strchange_flags: u16,
    pub strchange_length: u32,
    pub strchange_assoc_id: sctp_assoc_t,
    pub strchange_instrms: u16,
    pub strchange_outstrms: u16,
}

/// The SCTP_EVENTS option, in its current (14-byte) form. Older binaries
/// pass a shorter prefix of it; the socket layer accepts every length.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_event_subscribe {
    pub sctp_data_io_event: u8,
    pub sctp_association_event: u8,
    pub sctp_address_event: u8,
    pub sctp_send_failure_event: u8,
    pub sctp_peer_error_event: u8,
    pub sctp_shutdown_event: u8,
    pub sctp_partial_delivery_event: u8,
    pub sctp_adaptation_layer_event: u8,
    pub sctp_authentication_event: u8,
    pub sctp_sender_dry_event: u8,
    pub sctp_stream_reset_event: u8,
    pub sctp_assoc_reset_event: u8,
    pub sctp_stream_change_event: u8,
    pub sctp_send_failure_event_event: u8,
}

/// The header common to every notification: the type of the anonymous
/// `sn_header` member of `union sctp_notification`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_tlv {
    pub sn_type: u16,
    pub sn_flags: u16,
    pub sn_length: u32,
}

/// Any notification, as read from a socket with `MSG_NOTIFICATION` set.
#[repr(C)]
#[derive(Clone, Copy)]
pub union sctp_notification {
    pub sn_header: sctp_tlv,
    pub sn_assoc_change: sctp_assoc_change,
    pub sn_paddr_change: sctp_paddr_change,
    pub sn_remote_error: sctp_remote_error,
    pub sn_send_failed: sctp_send_failed,
    pub sn_shutdown_event: sctp_shutdown_event,
    pub sn_adaptation_event: sctp_adaptation_event,
    pub sn_pdapi_event: sctp_pdapi_event,
    pub sn_authkey_event: sctp_authkey_event,
    pub sn_sender_dry_event: sctp_sender_dry_event,
    pub sn_strreset_event: sctp_stream_reset_event,
    pub sn_assocreset_event: sctp_assoc_reset_event,
    pub sn_strchange_event: sctp_stream_change_event,
    pub sn_send_failed_event: sctp_send_failed_event,
}

// ===========================================================================
// Socket option arguments
// ===========================================================================

/// SCTP_RTOINFO.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_rtoinfo {
    pub srto_assoc_id: sctp_assoc_t,
    pub srto_initial: u32,
    pub srto_max: u32,
    pub srto_min: u32,
}

/// SCTP_ASSOCINFO.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_assocparams {
    pub sasoc_assoc_id: sctp_assoc_t,
    pub sasoc_asocmaxrxt: u16,
    pub sasoc_number_peer_destinations: u16,
    pub sasoc_peer_rwnd: u32,
    pub sasoc_local_rwnd: u32,
    pub sasoc_cookie_life: u32,
}

/// SCTP_SET_PEER_PRIMARY_ADDR (packed, aligned(4) in C).
#[repr(C, packed(4))]
#[derive(Clone, Copy)]
pub struct sctp_setpeerprim {
    pub sspp_assoc_id: sctp_assoc_t,
    pub sspp_addr: sockaddr_storage,
}

/// SCTP_PRIMARY_ADDR (packed, aligned(4) in C).
#[repr(C, packed(4))]
#[derive(Clone, Copy)]
pub struct sctp_prim {
    pub ssp_assoc_id: sctp_assoc_t,
    pub ssp_addr: sockaddr_storage,
}

/// Old name of [`sctp_prim`] (`#define sctp_setprim sctp_prim`).
pub type sctp_setprim = sctp_prim;

/// SCTP_ADAPTATION_LAYER.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_setadaptation {
    pub ssb_adaptation_ind: u32,
}

/// SCTP_PEER_ADDR_PARAMS (packed, aligned(4) in C). `packed(2)` gives the
/// same offsets and size; see the module notes on its alignment.
#[repr(C, packed(2))]
#[derive(Clone, Copy)]
pub struct sctp_paddrparams {
    pub spp_assoc_id: sctp_assoc_t,
    pub spp_address: sockaddr_storage,
    pub spp_hbinterval: u32,
    pub spp_pathmaxrxt: u16,
    pub spp_pathmtu: u32,
    pub spp_sackdelay: u32,
    pub spp_flags: u32,
    pub spp_ipv6_flowlabel: u32,
    pub spp_dscp: u8,
}

/// SCTP_AUTH_CHUNK.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_authchunk {
    pub sauth_chunk: u8,
}

/// SCTP_HMAC_IDENT; the identifier list is variable-length.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_hmacalgo {
    pub shmac_num_idents: u32,
    pub shmac_idents: [u16; 0],
}

/// SCTP_AUTH_KEY; the key bytes are variable-length.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_authkey {
    pub sca_assoc_id: sctp_assoc_t,
    pub sca_keynumber: u16,
    pub sca_keylength: u16,
    pub sca_key: [u8; 0],
}

/// SCTP_AUTH_ACTIVE_KEY, SCTP_AUTH_DELETE_KEY, SCTP_AUTH_DEACTIVATE_KEY.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_authkeyid {
    pub scact_assoc_id: sctp_assoc_t,
    pub scact_keynumber: u16,
}

/// SCTP_DELAYED_SACK.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_sack_info {
    pub sack_assoc_id: sctp_assoc_t,
    pub sack_delay: u32,
    pub sack_freq: u32,
}

/// The generic (association, value) option argument.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_assoc_value {
    pub assoc_id: sctp_assoc_t,
    pub assoc_value: u32,
}

/// SCTP_STREAM_SCHEDULER_VALUE.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_stream_value {
    pub assoc_id: sctp_assoc_t,
    pub stream_id: u16,
    pub stream_value: u16,
}

/// SCTP_GET_PEER_ADDR_INFO (packed, aligned(4) in C).
#[repr(C, packed(4))]
#[derive(Clone, Copy)]
pub struct sctp_paddrinfo {
    pub spinfo_assoc_id: sctp_assoc_t,
    pub spinfo_address: sockaddr_storage,
    pub spinfo_state: i32,
    pub spinfo_cwnd: u32,
    pub spinfo_srtt: u32,
    pub spinfo_rto: u32,
    pub spinfo_mtu: u32,
}

/// SCTP_STATUS.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_status {
    pub sstat_assoc_id: sctp_assoc_t,
    pub sstat_state: i32,
    pub sstat_rwnd: u32,
    pub sstat_unackdata: u16,
    pub sstat_penddata: u16,
    pub sstat_instrms: u16,
    pub sstat_outstrms: u16,
    pub sstat_fragmentation_point: u32,
    pub sstat_primary: sctp_paddrinfo,
}

/// SCTP_PEER_AUTH_CHUNKS, SCTP_LOCAL_AUTH_CHUNKS; the chunk list is
/// variable-length.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_authchunks {
    pub gauth_assoc_id: sctp_assoc_t,
    pub gauth_number_of_chunks: u32,
    pub gauth_chunks: [u8; 0],
}

/// SCTP_GET_ASSOC_ID_LIST; the id list is variable-length.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_assoc_ids {
    pub gaids_number_of_ids: u32,
    pub gaids_assoc_id: [sctp_assoc_t; 0],
}

/// The retired pointer-based form of SCTP_GET_PEER_ADDRS/LOCAL_ADDRS.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_getaddrs_old {
    pub assoc_id: sctp_assoc_t,
    pub addr_num: c_int,
    pub addrs: *mut sockaddr,
}

/// SCTP_GET_PEER_ADDRS, SCTP_GET_LOCAL_ADDRS: packed sockaddrs follow.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_getaddrs {
    pub assoc_id: sctp_assoc_t,
    pub addr_num: u32,
    pub addrs: [u8; 0],
}

/// SCTP_GET_ASSOC_STATS. Not packed: the address sits at offset 8.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_assoc_stats {
    pub sas_assoc_id: sctp_assoc_t,
    pub sas_obs_rto_ipaddr: sockaddr_storage,
    pub sas_maxrto: u64,
    pub sas_isacks: u64,
    pub sas_osacks: u64,
    pub sas_opackets: u64,
    pub sas_ipackets: u64,
    pub sas_rtxchunks: u64,
    pub sas_outofseqtsns: u64,
    pub sas_idupchunks: u64,
    pub sas_gapcnt: u64,
    pub sas_ouodchunks: u64,
    pub sas_iuodchunks: u64,
    pub sas_oodchunks: u64,
    pub sas_iodchunks: u64,
    pub sas_octrlchunks: u64,
    pub sas_ictrlchunks: u64,
}

/// SCTP_SOCKOPT_PEELOFF argument (a typedef'd anonymous struct in C).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_peeloff_arg_t {
    pub associd: sctp_assoc_t,
    pub sd: c_int,
}

/// SCTP_SOCKOPT_PEELOFF_FLAGS argument.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_peeloff_flags_arg_t {
    pub p_arg: sctp_peeloff_arg_t,
    pub flags: c_uint,
}

/// SCTP_PEER_ADDR_THLDS. Not packed: the address sits at offset 8.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_paddrthlds {
    pub spt_assoc_id: sctp_assoc_t,
    pub spt_address: sockaddr_storage,
    pub spt_pathmaxrxt: u16,
    pub spt_pathpfthld: u16,
}

/// SCTP_PEER_ADDR_THLDS_V2 (adds the cwnd-path threshold).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_paddrthlds_v2 {
    pub spt_assoc_id: sctp_assoc_t,
    pub spt_address: sockaddr_storage,
    pub spt_pathmaxrxt: u16,
    pub spt_pathpfthld: u16,
    pub spt_pathcpthld: u16,
}

/// SCTP_PR_ASSOC_STATUS, SCTP_PR_STREAM_STATUS.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_prstatus {
    pub sprstat_assoc_id: sctp_assoc_t,
    pub sprstat_sid: u16,
    pub sprstat_policy: u16,
    pub sprstat_abandoned_unsent: u64,
    pub sprstat_abandoned_sent: u64,
}

/// SCTP_DEFAULT_PRINFO.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_default_prinfo {
    pub pr_assoc_id: sctp_assoc_t,
    pub pr_value: u32,
    pub pr_policy: u16,
}

/// Association information as the kernel reports it through sock_diag
/// (`INET_DIAG_INFO`); part of the uapi header.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_info {
    pub sctpi_tag: u32,
    pub sctpi_state: u32,
    pub sctpi_rwnd: u32,
    pub sctpi_unackdata: u16,
    pub sctpi_penddata: u16,
    pub sctpi_instrms: u16,
    pub sctpi_outstrms: u16,
    pub sctpi_fragmentation_point: u32,
    pub sctpi_inqueue: u32,
    pub sctpi_outqueue: u32,
    pub sctpi_overall_error: u32,
    pub sctpi_max_burst: u32,
    pub sctpi_maxseg: u32,
    pub sctpi_peer_rwnd: u32,
    pub sctpi_peer_tag: u32,
    pub sctpi_peer_capable: u8,
    pub sctpi_peer_sack: u8,
    pub __reserved1: u16,

    // Association counters.
    pub sctpi_isacks: u64,
    pub sctpi_osacks: u64,
    pub sctpi_opackets: u64,
    pub sctpi_ipackets: u64,
    pub sctpi_rtxchunks: u64,
    pub sctpi_outofseqtsns: u64,
    pub sctpi_idupchunks: u64,
    pub sctpi_gapcnt: u64,
    pub sctpi_ouodchunks: u64,
    pub sctpi_iuodchunks: u64,
    pub sctpi_oodchunks: u64,
    pub sctpi_iodchunks: u64,
    pub sctpi_octrlchunks: u64,
    pub sctpi_ictrlchunks: u64,

    // Primary path.
    pub sctpi_p_address: sockaddr_storage,
    pub sctpi_p_state: i32,
    pub sctpi_p_cwnd: u32,
    pub sctpi_p_srtt: u32,
    pub sctpi_p_rto: u32,
    pub sctpi_p_hbinterval: u32,
    pub sctpi_p_pathmaxrxt: u32,
    pub sctpi_p_sackdelay: u32,
    pub sctpi_p_sackfreq: u32,
    pub sctpi_p_ssthresh: u32,
    pub sctpi_p_partial_bytes_acked: u32,
    pub sctpi_p_flight_size: u32,
    pub sctpi_p_error: u16,
    pub __reserved2: u16,

    // Socket.
    pub sctpi_s_autoclose: u32,
    pub sctpi_s_adaptation_ind: u32,
    pub sctpi_s_pd_point: u32,
    pub sctpi_s_nodelay: u8,
    pub sctpi_s_disable_fragments: u8,
    pub sctpi_s_v4mapped: u8,
    pub sctpi_s_frag_interleave: u8,
    pub sctpi_s_type: u32,
    pub __reserved3: u32,
}

/// SCTP_RESET_STREAMS; `srs_number_streams` ids follow (0 means all).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_reset_streams {
    pub srs_assoc_id: sctp_assoc_t,
    pub srs_flags: u16,
    pub srs_number_streams: u16,
    pub srs_stream_list: [u16; 0],
}

/// SCTP_ADD_STREAMS.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_add_streams {
    pub sas_assoc_id: sctp_assoc_t,
    pub sas_instrms: u16,
    pub sas_outstrms: u16,
}

/// SCTP_EVENT: subscribe to one notification type.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_event {
    pub se_assoc_id: sctp_assoc_t,
    pub se_type: u16,
    pub se_on: u8,
}

/// SCTP_REMOTE_UDP_ENCAPS_PORT: `sue_port` is in network byte order.
/// Not packed: the address sits at offset 8 (BSD's struct differs).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_udpencaps {
    pub sue_assoc_id: sctp_assoc_t,
    pub sue_address: sockaddr_storage,
    pub sue_port: u16,
}

/// SCTP_PLPMTUD_PROBE_INTERVAL.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_probeinterval {
    pub spi_assoc_id: sctp_assoc_t,
    pub spi_address: sockaddr_storage,
    pub spi_interval: u32,
}

// ===========================================================================
// sctp_sendv() / sctp_recvv() argument structures (netinet/sctp.h)
// ===========================================================================

/// SCTP_SENDV_SPA: the send information that is valid per `sendv_flags`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_sendv_spa {
    pub sendv_flags: u32,
    pub sendv_sndinfo: sctp_sndinfo,
    pub sendv_prinfo: sctp_prinfo,
    pub sendv_authinfo: sctp_authinfo,
}

/// SCTP_RECVV_RN: receive information and next-message information.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct sctp_recvv_rn {
    pub recvv_rcvinfo: sctp_rcvinfo,
    pub recvv_nxtinfo: sctp_nxtinfo,
}

// ===========================================================================
// Zeroed defaults
// ===========================================================================

macro_rules! zeroed_default {
    ($($t:ty),* $(,)?) => {$(
        impl Default for $t {
            /// All fields zero (a null `addrs` pointer, `AF_UNSPEC`
            /// addresses), which is how C callers initialise these.
            fn default() -> Self {
                // The type is plain C data made of integers, byte arrays,
                // `sockaddr_storage`, raw pointers and unions of those.
                // SAFETY: the all-zero bit pattern is a valid value of each.
                unsafe { core::mem::zeroed() }
            }
        }
    )*};
}

zeroed_default!(
    sctp_initmsg,
    sctp_sndrcvinfo,
    sctp_sndinfo,
    sctp_rcvinfo,
    sctp_nxtinfo,
    sctp_prinfo,
    sctp_authinfo,
    sctp_cmsg_data_t,
    sctp_assoc_change,
    sctp_paddr_change,
    sctp_remote_error,
    sctp_send_failed,
    sctp_send_failed_event,
    sctp_shutdown_event,
    sctp_adaptation_event,
    sctp_pdapi_event,
    sctp_authkey_event,
    sctp_sender_dry_event,
    sctp_stream_reset_event,
    sctp_assoc_reset_event,
    sctp_stream_change_event,
    sctp_event_subscribe,
    sctp_tlv,
    sctp_notification,
    sctp_rtoinfo,
    sctp_assocparams,
    sctp_setpeerprim,
    sctp_prim,
    sctp_setadaptation,
    sctp_paddrparams,
    sctp_authchunk,
    sctp_hmacalgo,
    sctp_authkey,
    sctp_authkeyid,
    sctp_sack_info,
    sctp_assoc_value,
    sctp_stream_value,
    sctp_paddrinfo,
    sctp_status,
    sctp_authchunks,
    sctp_assoc_ids,
    sctp_getaddrs_old,
    sctp_getaddrs,
    sctp_assoc_stats,
    sctp_peeloff_arg_t,
    sctp_peeloff_flags_arg_t,
    sctp_paddrthlds,
    sctp_paddrthlds_v2,
    sctp_prstatus,
    sctp_default_prinfo,
    sctp_info,
    sctp_reset_streams,
    sctp_add_streams,
    sctp_event,
    sctp_udpencaps,
    sctp_probeinterval,
    sctp_sendv_spa,
    sctp_recvv_rn,
);

// ===========================================================================
// Compile-time size checks for 64-bit Linux (the full layout, field by
// field, is checked against the system headers by tests/abi_layout.rs).
// ===========================================================================

#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
const _: () = {
    use core::mem::{align_of, size_of};
    assert!(size_of::<sctp_sndrcvinfo>() == 32);
    assert!(size_of::<sctp_prinfo>() == 8);
    assert!(size_of::<sctp_paddr_change>() == 148);
    assert!(align_of::<sctp_paddr_change>() == 4);
    assert!(size_of::<sctp_setpeerprim>() == 132);
    assert!(size_of::<sctp_prim>() == 132);
    assert!(size_of::<sctp_paddrparams>() == 156);
    assert!(size_of::<sctp_paddrinfo>() == 152);
    assert!(align_of::<sctp_paddrinfo>() == 4);
    assert!(size_of::<sctp_status>() == 176);
    assert!(size_of::<sctp_notification>() == 148);
    assert!(size_of::<sctp_event_subscribe>() == 14);
    assert!(size_of::<sctp_assoc_stats>() == 256);
    assert!(size_of::<sctp_udpencaps>() == 144);
    assert!(size_of::<sctp_sendv_spa>() == 32);
};
