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
                p.pmtud = false;
                found = true;
            }
        }
        found
    }

    /// Lets ICMP reports lower the path MTU of one peer address, or of all
    /// and of paths added later (`SPP_PMTUD_ENABLE`), or not
    /// (`SPP_PMTUD_DISABLE`).
    pub fn set_pmtud(&mut self, addr: Option<IpAddr>, on: bool) {
        if addr.is_none() {
            std::sync::Arc::make_mut(&mut self.cfg).pmtud = on;
        }
        for p in &mut self.paths {
            if addr.is_none_or(|a| a == p.addr) {
                p.pmtud = on;
            }
        }
    }

    /// An ICMP "fragmentation needed" / "packet too big" for a packet of
    /// this association to `addr` (or the kernel's own EMSGSIZE, which it
    /// reports the same way) says the path carries IP packets of at most
    /// `ip_mtu` bytes. The SCTP packet size becomes that less the IP and
    /// the UDP header (RFC 9260 7.3; draft-ietf-sigtran-sctptunnel 5.1.2:
    /// the UDP header comes off the reported MTU). Only lowers, never
    /// below 512 bytes of IP packet (Linux's SCTP_DEFAULT_MINSEGMENT,
    /// against forged reports), and not where the user fixed the MTU.
    /// Packets built from now on are smaller; the DATA in flight on that
    /// path (some of it in packets the reporting link dropped) is
    /// retransmitted at once, without waiting for T3-rtx and outside the
    /// congestion window, as Linux's SCTP_RTXR_PMTUD does (a chunk too
    /// large for the new MTU alone in its packet, which the kernel
    /// fragments). Returns whether the path MTU changed.
    pub fn pmtu_report(&mut self, addr: IpAddr, ip_mtu: u32) -> bool {
        let udp = self.cfg.udp_encaps;
        let Some(pi) = self.paths.iter().position(|p| p.addr == addr) else { return false };
        let p = &mut self.paths[pi];
        let mtu = ip_mtu.max(512).saturating_sub(header_overhead(&p.addr, udp));
        if !p.pmtud || mtu >= p.mtu {
            return false;
        }
        p.mtu = mtu;
        let mut marked = false;
        for c in self.out.q.iter_mut() {
            if c.path != pi || !c.in_flight || c.gap_acked || c.abandoned || c.rtx.is_some() {
                continue;
            }
            c.in_flight = false;
            let p = &mut self.paths[pi];
            p.flight_size = p.flight_size.saturating_sub(c.len());
            c.rtx = Some(pi);
            self.rtx_marked += 1;
            marked = true;
        }
        if marked {
            self.rtx_bypass = true;
        }
        true
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
