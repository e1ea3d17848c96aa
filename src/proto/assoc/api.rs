//! Small accessors the socket-option layer needs (`SCTP_STATUS`,
//! `SCTP_PEER_ADDR_PARAMS`, `SCTP_EVENT` and friends). They only read or
//! adjust state the association already has; the protocol logic stays in
//! the other files of this module.

use super::{AssocState, Association};
use crate::proto::time::Instant;
use std::net::IpAddr;

/// IP and UDP header bytes between a path's IP-level MTU and the largest
/// SCTP packet on it (the same arithmetic as `Path::new`).
fn header_overhead(addr: &IpAddr, udp_encaps: bool) -> u32 {
    let ip = match addr {
        IpAddr::V4(_) => 20,
        IpAddr::V6(_) => 40,
    };
    ip + if udp_encaps { 8 } else { 0 }
}

impl Association {
    /// Largest user-data payload of one DATA chunk
    /// (`sstat_fragmentation_point`, `SCTP_MAXSEG` of an association).
    pub fn frag_point(&self) -> u32 {
        self.max_payload() as u32
    }

    /// Nothing of the user's data is queued, in flight or waiting for
    /// retransmission (the condition for `SCTP_SENDER_DRY_EVENT`).
    pub fn outqueue_empty(&self) -> bool {
        self.queued_bytes == 0 && self.pending.is_empty() && self.out.q.is_empty()
    }

    /// The IP-level path MTU of peer address `i` (`spinfo_mtu`,
    /// `spp_pathmtu`): the SCTP packet size plus the IP and UDP headers.
    pub fn path_ip_mtu(&self, i: usize) -> Option<u32> {
        let p = self.paths.get(i)?;
        Some(p.mtu + header_overhead(&p.addr, self.cfg.udp_encaps))
    }

    /// Index of the primary path in [`Association::paths`].
    pub fn primary_index(&self) -> usize {
        self.primary
    }

    /// Fixes the IP-level path MTU of one peer address, or of all of them
    /// and of paths added later with `None` (`SPP_PMTUD_DISABLE` with
    /// `spp_pathmtu`). Returns false if `addr` is not a peer address.
    pub fn set_path_pmtu(&mut self, addr: Option<IpAddr>, pmtu: u32) -> bool {
        if addr.is_none() {
            std::sync::Arc::make_mut(&mut self.cfg).pmtu = pmtu;
        }
        let udp = self.cfg.udp_encaps;
        let mut found = false;
        for p in &mut self.paths {
            if addr.is_none_or(|a| a == p.addr) {
                p.mtu = pmtu.saturating_sub(header_overhead(&p.addr, udp)).max(508);
                found = true;
            }
        }
        found
    }

    /// Re-arms the heartbeat timers after the heartbeat interval or the
    /// on/off switch changed (`SCTP_PEER_ADDR_PARAMS`).
    pub fn restart_heartbeats(&mut self, now: Instant) {
        if matches!(
            self.state,
            AssocState::Established
                | AssocState::ShutdownPending
                | AssocState::ShutdownReceived
                | AssocState::ShutdownSent
        ) {
            self.start_heartbeats(now);
        }
    }

    /// Sends a HEARTBEAT to `addr` now unless one is already outstanding
    /// there (`SPP_HB_DEMAND`). Returns false if `addr` is not a peer
    /// address.
    pub fn request_heartbeat(&mut self, now: Instant, addr: IpAddr) -> bool {
        let Some(i) = self.path_of(addr) else { return false };
        if self.paths[i].hb_outstanding.is_none() {
            self.on_hb_timer(now, i);
        }
        true
    }
}

impl Association {
    /// The receiver's reassembly state as text (debugging aid).
    #[doc(hidden)]
    pub fn debug_rx(&self) -> String {
        self.rx.dump()
    }
}
