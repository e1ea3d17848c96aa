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

/// A hasher for association ids, which this stack hands out in sequence
/// (nobody else chooses them, so there is nothing to flood): one
/// multiplication instead of SipHash on lookups made for every packet
/// and timer (a tenth of an idle host stack's time with 100,000
/// associations).
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, v: u32) {
        self.0 = (self.0 ^ u64::from(v)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by association id.
pub type IdMap<V> =
    std::collections::HashMap<crate::proto::AssocId, V, std::hash::BuildHasherDefault<IdHasher>>;
