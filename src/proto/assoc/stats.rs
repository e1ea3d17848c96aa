//! Per-association counters with the meaning of Linux's
//! `struct sctp_assoc_stats` (`SCTP_GET_ASSOC_STATS`, also reported in
//! `struct sctp_info`). Each field is named after its `sas_` field.

use super::Association;
use core::time::Duration;
use std::net::IpAddr;

/// Counters of one association since it was created. All of them only
/// grow, except `maxrto`, which [`Association::take_stats`] resets as
/// Linux does on every `SCTP_GET_ASSOC_STATS`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AssocStats {
    /// DATA chunks retransmitted (fast or on T3-rtx) (`sas_rtxchunks`).
    pub rtxchunks: u64,
    /// Gap Ack Blocks received in SACKs, summed (`sas_gapcnt`).
    pub gapcnt: u64,
    /// New DATA chunks whose TSN was above the next expected one, i.e.
    /// that arrived out of sequence (`sas_outofseqtsns`).
    pub outofseqtsns: u64,
    /// SACK chunks sent (`sas_osacks`).
    pub osacks: u64,
    /// SACK chunks received (`sas_isacks`).
    pub isacks: u64,
    /// Control chunks sent, SACKs included (`sas_octrlchunks`).
    pub octrlchunks: u64,
    /// Control chunks received, SACKs included (`sas_ictrlchunks`).
    pub ictrlchunks: u64,
    /// Ordered DATA chunks sent for the first time (`sas_oodchunks`).
    pub oodchunks: u64,
    /// Ordered DATA chunks received, duplicates excluded (`sas_iodchunks`).
    pub iodchunks: u64,
    /// Unordered DATA chunks sent for the first time (`sas_ouodchunks`).
    pub ouodchunks: u64,
    /// Unordered DATA chunks received, duplicates excluded (`sas_iuodchunks`).
    pub iuodchunks: u64,
    /// Duplicate DATA chunks received (`sas_idupchunks`).
    pub idupchunks: u64,
    /// SCTP packets sent by the association (`sas_opackets`).
    pub opackets: u64,
    /// SCTP packets handed to the association (`sas_ipackets`).
    pub ipackets: u64,
    /// Largest RTO computed from an RTT measurement since the counters
    /// were last taken, in milliseconds (`sas_maxrto`); 0 if none.
    pub maxrto: u64,
    /// The peer address whose RTO that was (`sas_obs_rto_ipaddr`).
    pub maxrto_addr: Option<IpAddr>,
    /// Not in Linux's struct: packets with DATA that arrived marked
    /// Congestion Experienced (ECN, ecn.rs).
    pub ce_packets: u64,
    /// Not in Linux's struct: congestion window reductions for an ECNE.
    pub ecn_reductions: u64,
}

impl Association {
    /// The association's counters (`SCTP_GET_ASSOC_STATS` without the
    /// reset of `sas_maxrto`).
    pub fn stats(&self) -> AssocStats {
        let mut s = self.stats;
        let best = self.paths.iter().max_by_key(|p| p.max_obs_rto);
        if let Some(p) = best.filter(|p| !p.max_obs_rto.is_zero()) {
            s.maxrto = u64::try_from(p.max_obs_rto.as_millis()).unwrap_or(u64::MAX);
            s.maxrto_addr = Some(p.addr);
        }
        s
    }

    /// The counters as `SCTP_GET_ASSOC_STATS` reports them: the observed
    /// maximum RTO starts over after each read (Linux sets it back to
    /// RTO.Min; here to "none yet").
    pub fn take_stats(&mut self) -> AssocStats {
        let s = self.stats();
        for p in &mut self.paths {
            p.max_obs_rto = Duration::ZERO;
        }
        s
    }
}

/// Number of chunks in a buffer of well-formed chunks we built ourselves.
pub(super) fn count_chunks(mut b: &[u8]) -> u64 {
    let mut n = 0;
    while b.len() >= 4 {
        let len = usize::from(u16::from_be_bytes([b[2], b[3]]));
        let step = (len + 3) & !3;
        n += 1;
        if step < 4 || step > b.len() {
            break;
        }
        b = &b[step..];
    }
    n
}
