//! The host stack: the one SCTP endpoint of this host (network
//! namespace) on one UDP port, shared by every process. It runs in its
//! own process, `sctpudpd`, which the library starts on demand (see
//! DESIGN.md). Layers, each using only the ones below it:
//!
//! * [`server`] — the channels to application processes, the socket
//!   registry, requests and replies ([`crate::ipc`]);
//! * [`options`] — socket options: the Linux C structs decoded and
//!   applied to a socket;
//! * [`sock`] — SCTP socket semantics (one-to-one, one-to-many, queues,
//!   notifications, the descriptor's readiness);
//! * [`runtime`] — the UDP socket, the event loop and timers, the
//!   association registry;
//! * [`crate::proto`] — the sans-IO protocol core.

pub mod options;
pub mod runtime;
pub mod server;
pub mod sock;
pub mod stat;

pub use server::{run, Config};
