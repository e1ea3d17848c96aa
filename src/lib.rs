//! sctpudp: SCTP (RFC 9260) carried over UDP (RFC 6951), with the Linux
//! lksctp sockets API as a C library.
//!
//! Two sides (see DESIGN.md):
//!
//! * the host stack, [`stack`], running in its own process (`sctpudpd`):
//!   one SCTP endpoint per host on one UDP port, shared by every process,
//!   built on the sans-IO protocol core [`proto`];
//! * the library in each application process: [`preload`] (the libc
//!   names) and [`abi`] (the lksctp names and Linux structs) over
//!   [`client`], which talks to the stack with the messages of [`ipc`].
#![deny(unsafe_op_in_unsafe_fn)]

pub mod abi;
pub mod client;
#[cfg(feature = "private-heap")]
pub mod heap;
pub mod ipc;
pub mod log;
pub mod preload;
pub mod proto;
pub mod shm;
pub mod spin;
pub mod stack;
pub mod sys;
pub mod sysctl;

/// Set in the host stack's own process: the libc names this library
/// exports pass everything straight through there.
pub static IN_STACK: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
