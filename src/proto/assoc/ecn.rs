//! Explicit Congestion Notification (RFC 4960 appendix A, which RFC 9260
//! keeps as reserved chunk and parameter types; RFC 3168 for the rest).
//!
//! Negotiation: both INIT and INIT ACK carry the ECN Capable parameter
//! (0x8000); ECN is in use when both ends sent it. The sender then marks
//! packets carrying DATA as ECT(0) ([`Transmit::ect`]; RFC 3168 6.1.4:
//! not pure acknowledgements, so SACK-only and control packets are
//! Not-ECT). Over UDP the marks are those of the outer IP header (RFC
//! 6951 5.8).
//!
//! Receiver: a packet with DATA that arrives Congestion Experienced makes
//! the association send ECNE, carrying the TSN of that packet's first
//! DATA chunk, with every packet (and a SACK at once) until a CWR with a
//! TSN at or above it arrives, as Linux does (`need_ecne`,
//! `last_ecne_tsn`).
//!
//! Sender: an ECNE for a TSN above the last reduction's halves the window
//! of the path that TSN was sent on (ssthresh = max(cwnd / 2, 4 MTU),
//! cwnd = ssthresh, RFC 3168 6.1.2 / RFC 9260 7.2.3's rule), at most once
//! per round trip and not during fast recovery, which has already
//! reduced it; every ECNE is answered with a CWR carrying the highest TSN
//! sent at the last reduction (a lost CWR is thus repeated).

use super::*;
use crate::proto::serial;

/// ECNE and CWR: a chunk header and the TSN.
const ECN_CHUNK_LEN: usize = 8;

impl Association {
    /// Whether ECN is in use (both ends announced it).
    pub fn ecn_enabled(&self) -> bool {
        self.cfg.ecn_supported && self.peer_ecn
    }

    /// The packet whose first DATA (or I-DATA) chunk has `tsn` arrived
    /// marked CE.
    pub(super) fn on_ce(&mut self, tsn: u32) {
        self.ecne_tsn = Some(tsn);
        self.stats.ce_packets += 1;
    }

    /// An ECNE chunk (its value, after the chunk header) arrived.
    pub(super) fn on_ecne(&mut self, now: Instant, value: &[u8]) {
        let Ok(tsn) = <[u8; 4]>::try_from(value.get(..4).unwrap_or_default()) else {
            return;
        };
        let tsn = u32::from_be_bytes(tsn);
        // Only for a TSN we sent: anything else is forged or stale.
        if !serial::lt32(tsn, self.next_tsn) {
            return;
        }
        // A reduction so long ago (2^30 TSNs) that serial comparison
        // would fail: any ECNE is new.
        if self.next_tsn.wrapping_sub(self.last_cwr_tsn) > 1 << 30 {
            self.last_cwr_tsn = tsn.wrapping_sub(1);
        }
        if serial::gt32(tsn, self.last_cwr_tsn) {
            // The path the TSN went on; gone from the queue (acknowledged
            // meanwhile), the primary's.
            let front = self.out.q.front().map(|c| c.tsn);
            let pi = front
                .map(|f| tsn.wrapping_sub(f) as usize)
                .and_then(|i| self.out.q.get(i))
                .filter(|c| c.tsn == tsn)
                .map(|c| c.path)
                .unwrap_or(self.primary)
                .min(self.paths.len().saturating_sub(1));
            if let Some(p) = self.paths.get_mut(pi) {
                let rtt = if p.rtt_measured { Duration::from_micros(p.srtt_us) } else { p.rto };
                let recent = p.ecn_reduced_at.is_some_and(|t| now < t + rtt);
                if !recent && p.fast_recovery_exit.is_none() {
                    p.ssthresh = (p.cwnd / 2).max(4 * p.mtu);
                    p.cwnd = p.ssthresh;
                    p.partial_bytes_acked = 0;
                    p.ecn_reduced_at = Some(now);
                    self.stats.ecn_reductions += 1;
                }
            }
            self.last_cwr_tsn = self.next_tsn.wrapping_sub(1);
        }
        self.cwr_due = true;
    }

    /// A CWR chunk arrived: the peer reduced its window for our ECNEs up
    /// to its TSN.
    pub(super) fn on_cwr(&mut self, value: &[u8]) {
        let Ok(tsn) = <[u8; 4]>::try_from(value.get(..4).unwrap_or_default()) else {
            return;
        };
        let tsn = u32::from_be_bytes(tsn);
        if self.ecne_tsn.is_some_and(|e| serial::le32(e, tsn)) {
            self.ecne_tsn = None;
        }
    }

    /// Whether an ECNE or CWR waits to be sent.
    pub(super) fn ecn_due(&self) -> bool {
        self.ecne_tsn.is_some() || self.cwr_due
    }

    /// Appends the pending ECNE and CWR to a packet for the peer, as room
    /// allows: ECNE with every packet until a CWR covers it, CWR once.
    pub(super) fn write_ecn(&mut self, buf: &mut Vec<u8>, mtu: usize) {
        if let Some(t) = self.ecne_tsn {
            if buf.len() + ECN_CHUNK_LEN <= mtu {
                emit_raw(buf, wire::CHUNK_ECNE, 0, &t.to_be_bytes());
                self.stats.octrlchunks += 1;
            }
        }
        if self.cwr_due && buf.len() + ECN_CHUNK_LEN <= mtu {
            emit_raw(buf, wire::CHUNK_CWR, 0, &self.last_cwr_tsn.to_be_bytes());
            self.stats.octrlchunks += 1;
            self.cwr_due = false;
        }
    }
}
