//! A destination transport address of the peer: RTO (RFC 9260 6.3),
//! congestion state (7.2), error counting (8.2), heartbeats (8.3) and the
//! remote UDP encapsulation port (RFC 6951 5.1).

use crate::proto::config::Config;
use crate::proto::time::Instant;
use core::time::Duration;
use std::net::IpAddr;

/// Reachability of a path (RFC 9260 8.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathState {
    Active,
    Inactive,
}

#[derive(Clone, Debug)]
pub struct Path {
    pub addr: IpAddr,
    /// Remote UDP encapsulation port (RFC 6951 5.1), learned per 5.4.
    pub encap_port: u16,
    pub state: PathState,
    /// Confirmed by a handshake or a HEARTBEAT ACK (RFC 9260 5.4).
    pub confirmed: bool,
    // RTO (6.3.1)
    pub srtt_us: u64,
    pub rttvar_us: u64,
    pub rto: Duration,
    pub rtt_measured: bool,
    /// A TSN whose SACK will give an RTT sample (one per round trip).
    pub rtt_probe: Option<(u32, Instant)>,
    // Errors (8.2)
    pub error_count: u32,
    /// When the current run of errors began (None: no errors).
    pub errors_since: Option<Instant>,
    // Congestion (7.2)
    pub cwnd: u32,
    pub ssthresh: u32,
    pub partial_bytes_acked: u32,
    pub flight_size: u32,
    /// TSN at which fast recovery ends (7.2.4), if in fast recovery.
    pub fast_recovery_exit: Option<u32>,
    /// When the window was last halved for an ECNE (ecn.rs).
    pub ecn_reduced_at: Option<Instant>,
    /// Largest SCTP packet (common header and chunks) for this path.
    pub mtu: u32,
    /// Whether ICMP reports may lower `mtu` (off once the user fixed it,
    /// `SPP_PMTUD_DISABLE` with `spp_pathmtu`).
    pub pmtud: bool,
    // Timers
    pub t3_rtx: Option<Instant>,
    pub hb_timer: Option<Instant>,
    /// Nonce and send time of the outstanding HEARTBEAT, if any.
    pub hb_outstanding: Option<(u64, Instant)>,
    /// Last time data or a heartbeat was sent on this path.
    pub last_sent: Instant,
    /// Largest RTO computed from an RTT measurement since the counters
    /// were last read (Linux `max_obs_rto`, for `sas_maxrto`).
    pub max_obs_rto: Duration,
}

/// IPv4 header 20 bytes, IPv6 40 bytes (RFC 9260 7.3).
fn ip_overhead(addr: &IpAddr) -> u32 {
    match addr {
        IpAddr::V4(_) => 20,
        IpAddr::V6(_) => 40,
    }
}

impl Path {
    pub fn new(addr: IpAddr, encap_port: u16, cfg: &Config, now: Instant) -> Self {
        // RFC 6951 5.6: the UDP header reduces the path MTU by 8 bytes.
        let udp = if cfg.udp_encaps { 8 } else { 0 };
        let mtu = cfg.pmtu.saturating_sub(ip_overhead(&addr) + udp).max(508);
        let mut p = Path {
            addr,
            encap_port,
            state: PathState::Active,
            confirmed: false,
            srtt_us: 0,
            rttvar_us: 0,
            rto: cfg.rto_initial,
            rtt_measured: false,
            rtt_probe: None,
            error_count: 0,
            errors_since: None,
            cwnd: 0,
            ssthresh: u32::MAX,
            partial_bytes_acked: 0,
            flight_size: 0,
            fast_recovery_exit: None,
            ecn_reduced_at: None,
            mtu,
            pmtud: cfg.pmtud,
            t3_rtx: None,
            hb_timer: None,
            hb_outstanding: None,
            last_sent: now,
            max_obs_rto: Duration::ZERO,
        };
        p.reset_cwnd();
        p
    }

    /// Initial cwnd (RFC 9260 7.2.1): min(4 * MTU, max(2 * MTU, 4404)).
    pub fn initial_cwnd(&self) -> u32 {
        (4 * self.mtu).min((2 * self.mtu).max(4404))
    }

    /// (Re)initializes congestion control (7.2.1, 7.2.5).
    pub fn reset_cwnd(&mut self) {
        self.cwnd = self.initial_cwnd();
        self.ssthresh = u32::MAX;
        self.partial_bytes_acked = 0;
        self.fast_recovery_exit = None;
    }

    /// Feeds an RTT measurement `r` (RFC 9260 6.3.1 C1-C3, with
    /// RTO.Alpha = 1/8 and RTO.Beta = 1/4 in integer microseconds).
    pub fn on_rtt(&mut self, r: Duration, cfg: &Config) {
        let r = u64::try_from(r.as_micros()).unwrap_or(u64::MAX).max(1);
        if !self.rtt_measured {
            self.srtt_us = r;
            self.rttvar_us = r / 2;
            self.rtt_measured = true;
        } else {
            let delta = self.srtt_us.abs_diff(r);
            self.rttvar_us = self.rttvar_us.saturating_mul(3) / 4 + delta / 4;
            self.srtt_us = self.srtt_us.saturating_mul(7) / 8 + r / 8;
        }
        // C3 G1: RTTVAR of 0 is replaced by the clock granularity (1 ms here).
        let var = self.rttvar_us.max(1000);
        let rto = Duration::from_micros(self.srtt_us.saturating_add(var.saturating_mul(4)));
        self.rto = rto.clamp(cfg.rto_min, cfg.rto_max);
        self.max_obs_rto = self.max_obs_rto.max(self.rto);
    }

    /// Doubles the RTO (6.3.3 E2), capped at RTO.Max.
    pub fn backoff(&mut self, cfg: &Config) {
        self.rto = self.rto.saturating_mul(2).min(cfg.rto_max);
    }

    /// An acknowledgement of data sent at `sent_at` on this path clears
    /// its error count (RFC 9260 8.2), unless the data was sent before the
    /// errors began: then it proves nothing about the path now.
    pub fn ack_clears_errors(&mut self, sent_at: Instant) {
        if self.errors_since.is_none_or(|t| sent_at >= t) {
            self.error_count = 0;
            self.errors_since = None;
        }
    }

    pub fn is_active(&self) -> bool {
        self.state == PathState::Active
    }

    /// Bytes that may still be sent under cwnd (7.2: the sender may exceed
    /// cwnd by at most MTU-1 bytes, so "room" is any flight below cwnd).
    pub fn cwnd_room(&self) -> bool {
        self.flight_size < self.cwnd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rto_follows_6_3_1() {
        let cfg = Config::default();
        let mut p = Path::new("10.0.0.1".parse().unwrap(), 9899, &cfg, Instant(0));
        assert_eq!(p.mtu, 1472);
        assert_eq!(p.initial_cwnd(), 4404);
        p.on_rtt(Duration::from_millis(100), &cfg);
        // SRTT 100 ms, RTTVAR 50 ms -> 300 ms, clamped to RTO.Min 1 s.
        assert_eq!(p.rto, Duration::from_secs(1));
        let fast = Config { rto_min: Duration::from_millis(10), ..Config::default() };
        p.on_rtt(Duration::from_millis(100), &fast);
        // RTTVAR = 3/4*50 + 0 = 37.5 ms; RTO = 100 + 150 = 250 ms.
        assert_eq!(p.rto, Duration::from_micros(250_000));
        for _ in 0..20 {
            p.backoff(&cfg);
        }
        assert_eq!(p.rto, cfg.rto_max);
    }
}
