//! sctpudp: SCTP (RFC 9260) carried over UDP (RFC 6951), with the Linux
//! lksctp sockets API as a C library.
//!
//! Layers (see ARCHITECTURE.md): [`proto`] is the sans-IO protocol core;
//! the runtime, socket emulation, C ABI and LD_PRELOAD layers sit above it.
#![deny(unsafe_op_in_unsafe_fn)]

pub mod abi;
pub mod preload;
pub mod proto;
pub mod runtime;
pub mod sock;
pub mod sys;
