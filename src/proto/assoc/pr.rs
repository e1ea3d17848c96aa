//! PR-SCTP (RFC 3758) with the policies of RFC 7496: abandoning
//! messages on the sender, FORWARD TSN both ways, and the abandonment
//! counters of Linux's `SCTP_PR_ASSOC_STATUS` / `SCTP_PR_STREAM_STATUS`.
//!
//! Where the RFCs leave a choice, Linux decides:
//! - TTL: a message whose lifetime ended is abandoned whether unsent or in
//!   flight. Without PR-SCTP negotiated, only messages of which nothing
//!   was sent yet are dropped (RFC 3758 TR3 does not need the peer).
//! - RTX: abandoned when a chunk would be retransmitted after it was sent
//!   more than N + 1 times, i.e. after N retransmissions (Linux compares
//!   `sent_count > sinfo_timetolive`).
//! - PRIO: the sender's caller asks for room with
//!   [`Association::abandon_lower_priority`] when its send buffer is full
//!   (Linux `sctp_prsctp_prune`): messages of a lower priority (a higher
//!   number) that wait for retransmission go first, then unsent ones.
//!
//! One `SendFailed` event is produced per abandoned message, however many
//! fragments it had, and each counter counts messages.

use super::*;
use bytes::BytesMut;

/// The PR-SCTP policy of one message (RFC 7496; Linux `SCTP_PR_SCTP_TTL`,
/// `SCTP_PR_SCTP_RTX`, `SCTP_PR_SCTP_PRIO`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PrPolicy {
    /// Fully reliable.
    #[default]
    None,
    /// Abandoned once this long has passed since `send` (RFC 7496 3.1).
    /// Zero means no limit.
    Ttl(Duration),
    /// Abandoned after this many retransmissions (RFC 7496 3.2).
    Rtx(u32),
    /// Priority: a lower value is more important (RFC 7496 3.3).
    Prio(u32),
}

impl PrPolicy {
    /// Index into [`PrStats`]' arrays (Linux `SCTP_PR_INDEX`), if any.
    pub fn index(self) -> Option<usize> {
        match self {
            PrPolicy::None => None,
            PrPolicy::Ttl(_) => Some(0),
            PrPolicy::Rtx(_) => Some(1),
            PrPolicy::Prio(_) => Some(2),
        }
    }
}

/// Abandoned messages by policy, indexed by [`PrPolicy::index`]
/// (`sprstat_abandoned_unsent`, `sprstat_abandoned_sent`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PrStats {
    /// Messages abandoned before any of their data was sent.
    pub abandoned_unsent: [u64; 3],
    /// Messages abandoned after some of their data was sent.
    pub abandoned_sent: [u64; 3],
}

impl PrStats {
    /// Sum over all policies (Linux `SCTP_PR_SCTP_ALL`): (unsent, sent).
    pub fn total(&self) -> (u64, u64) {
        (self.abandoned_unsent.iter().sum(), self.abandoned_sent.iter().sum())
    }
    /// Counts of one policy: (unsent, sent).
    pub fn of(&self, p: PrPolicy) -> (u64, u64) {
        match p.index() {
            Some(i) => (self.abandoned_unsent[i], self.abandoned_sent[i]),
            None => self.total(),
        }
    }
}

impl Association {
    /// Whether PR-SCTP was negotiated (both sides offered it).
    pub fn pr_enabled(&self) -> bool {
        self.cfg.pr_supported && self.peer_pr
    }

    /// Abandoned messages of the association (`SCTP_PR_ASSOC_STATUS`).
    pub fn pr_stats(&self) -> PrStats {
        self.pr_stats
    }

    /// Abandoned messages of one outbound stream (`SCTP_PR_STREAM_STATUS`);
    /// None for a stream the association does not have.
    pub fn stream_pr_stats(&self, stream_id: u16) -> Option<PrStats> {
        if stream_id >= self.out_streams {
            return None;
        }
        Some(self.stream_pr.get(usize::from(stream_id)).copied().unwrap_or_default())
    }

    /// Abandons message `msg` for `policy` (index into [`PrStats`]):
    /// its unsent fragments are dropped, the sent ones marked abandoned
    /// (RFC 3758 3.5 A1-A4: no longer in flight, never retransmitted, not
    /// credited to cwnd), and one `SendFailed` reports it. Returns the
    /// bytes freed.
    pub(super) fn abandon_msg(&mut self, msg: u64, policy: usize) -> usize {
        let mut parts: Vec<Bytes> = Vec::new();
        let mut info: Option<(u16, u32, u32, u8)> = None;
        let mut last_flags = 0;
        let mut sent = false;
        for c in self.out.q.iter_mut() {
            if c.msg != msg || c.abandoned {
                continue;
            }
            c.abandoned = true;
            sent = true;
            if c.in_flight {
                c.in_flight = false;
                if let Some(p) = self.paths.get_mut(c.path) {
                    p.flight_size = p.flight_size.saturating_sub(c.len());
                }
            }
            if c.rtx.take().is_some() {
                self.rtx_marked = self.rtx_marked.saturating_sub(1);
            }
            info.get_or_insert((c.stream_id, c.ppid, c.context, c.flags));
            last_flags = c.flags;
            parts.push(c.payload.clone());
        }
        let mut pending = std::mem::take(&mut self.pending);
        let mut rest: Option<Pending> = None;
        pending.retain(|c| {
            if c.msg != msg {
                return true;
            }
            info.get_or_insert((c.stream_id, c.ppid, c.context, c.flags));
            last_flags = c.flags;
            parts.push(c.payload.clone());
            if rest.is_none() {
                rest = Some(c.clone());
            }
            false
        });
        self.pending = pending;
        if let Some(r) = rest.filter(|r| r.flags & DATA_FLAG_BEGIN == 0) {
            // Part of the message was sent (perhaps all acknowledged
            // already) and the rest never got a TSN: the receiver may hold
            // every TSN that was sent, so a FORWARD TSN up to those would
            // be out of date to it and leave the message half there, its
            // stream blocked. One TSN is taken for the unsent rest and
            // skipped at once (abandoned, never sent): the FORWARD TSN
            // moves past it, and RFC 3758 3.6 then drops the partial
            // message and skips its SSN.
            sent = true;
            let u = usize::from(r.flags & DATA_FLAG_UNORDERED != 0);
            let ssn = if u == 0 {
                self.out_ssn.get(usize::from(r.stream_id)).copied().unwrap_or(0).wrapping_sub(1)
            } else {
                0
            };
            let mid =
                self.out_mid.get(usize::from(r.stream_id)).map_or(0, |m| m[u].wrapping_sub(1));
            if self.cur_msg == Some(msg) {
                self.cur_msg = None;
            }
            let tsn = self.next_tsn;
            self.next_tsn = tsn.wrapping_add(1);
            self.out.q.push_back(TxChunk {
                tsn,
                stream_id: r.stream_id,
                ssn,
                ppid: r.ppid,
                flags: (r.flags & DATA_FLAG_UNORDERED) | DATA_FLAG_END,
                context: r.context,
                payload: Bytes::new(),
                path: self.data_path(),
                tx_count: 0,
                gap_acked: false,
                in_flight: false,
                rtx: None,
                misses: 0,
                sent_at: crate::proto::time::Instant::ZERO,
                fast_rtx_done: true,
                msg,
                pr: r.pr,
                expires: r.expires,
                mid,
                fsn: r.fsn,
                abandoned: true,
            });
        }
        let Some((stream_id, ppid, context, flags)) = info else { return 0 };
        let total: usize = parts.iter().map(|b| b.len()).sum();
        self.queued_bytes = self.queued_bytes.saturating_sub(total);
        let data = if parts.len() == 1 {
            parts.pop().unwrap_or_default()
        } else {
            let mut m = BytesMut::with_capacity(total);
            for p in &parts {
                m.extend_from_slice(p);
            }
            m.freeze()
        };
        let policy = policy.min(2);
        let sid = usize::from(stream_id);
        if self.stream_pr.len() <= sid {
            self.stream_pr.resize(sid + 1, PrStats::default());
        }
        let (a, s) = (&mut self.pr_stats, &mut self.stream_pr[sid]);
        if sent {
            a.abandoned_sent[policy] += 1;
            s.abandoned_sent[policy] += 1;
        } else {
            a.abandoned_unsent[policy] += 1;
            s.abandoned_unsent[policy] += 1;
        }
        self.events.push_back(AssocEvent::SendFailed {
            sent,
            stream_id,
            ppid,
            context,
            flags: flags | (last_flags & DATA_FLAG_END),
            data,
        });
        total
    }

    /// Abandons every message whose lifetime ended by `now` (RFC 3758
    /// TR3, TR4), and re-arms the lifetime timer for the next one.
    pub(super) fn abandon_expired(&mut self, now: Instant) {
        let pr = self.pr_enabled();
        let mut doomed: Vec<u64> = Vec::new();
        let mut next: Option<Instant> = None;
        let mut consider = |msg: u64, exp: Option<Instant>, doomed: &mut Vec<u64>| {
            let Some(e) = exp else { return };
            if e <= now {
                if doomed.last() != Some(&msg) {
                    doomed.push(msg);
                }
            } else {
                next = Some(next.map_or(e, |n: Instant| n.min(e)));
            }
        };
        if pr {
            for c in self.out.q.iter().filter(|c| !c.abandoned) {
                consider(c.msg, c.expires, &mut doomed);
            }
        }
        // Unsent fragments: without PR-SCTP only whole messages of which
        // nothing was sent (their first pending fragment is the first).
        let mut cur = None;
        let mut whole = false;
        for c in &self.pending {
            if cur != Some(c.msg) {
                cur = Some(c.msg);
                whole = c.flags & DATA_FLAG_BEGIN != 0;
            }
            if pr || whole {
                consider(c.msg, c.expires, &mut doomed);
            }
        }
        self.pr_timer = next;
        if doomed.is_empty() {
            return;
        }
        doomed.sort_unstable();
        doomed.dedup();
        for m in doomed {
            self.abandon_msg(m, 0);
        }
        self.after_abandon(now);
    }

    /// RTX policy (RFC 7496 3.2) and lifetime for chunks about to be
    /// retransmitted: abandon instead (RFC 3758 3.5 A2).
    pub(super) fn pr_check_rtx(&mut self, now: Instant) {
        if !self.pr_enabled() || self.rtx_marked == 0 {
            return;
        }
        let mut doomed: Vec<(u64, usize)> = Vec::new();
        for c in self.out.q.iter() {
            if c.abandoned || c.rtx.is_none() {
                continue;
            }
            let why = match c.pr {
                PrPolicy::Rtx(n) if c.tx_count > n => Some(1),
                PrPolicy::Ttl(_) if c.expires.is_some_and(|e| e <= now) => Some(0),
                _ => None,
            };
            if let Some(w) = why {
                if doomed.last().map(|d| d.0) != Some(c.msg) {
                    doomed.push((c.msg, w));
                }
            }
        }
        if doomed.is_empty() {
            return;
        }
        for (m, w) in doomed {
            self.abandon_msg(m, w);
        }
        self.after_abandon(now);
    }

    /// Whether the Advanced.Peer.Ack.Point is beyond the peer's
    /// cumulative ack (RFC 3758 3.5 C2): the first outstanding chunk is
    /// abandoned.
    pub(super) fn fwd_needed(&self) -> bool {
        self.out.q.front().is_some_and(|c| c.abandoned)
    }

    /// After messages were abandoned: schedule a FORWARD TSN if the ack
    /// point moved (C3), keep a T3-rtx running for it (C5), and report
    /// the sender dry if nothing is left.
    pub(super) fn after_abandon(&mut self, now: Instant) {
        if self.fwd_needed() {
            self.fwd_due = true;
            self.arm_fwd_timer(now);
        }
        if self.out.q.is_empty() && self.pending.is_empty() && !self.dry {
            self.dry = true;
            self.events.push_back(AssocEvent::SenderDry);
        }
    }

    /// RFC 3758 3.5 C5: a T3-rtx timer runs while a FORWARD TSN is
    /// unacknowledged, so a lost one is sent again (A5).
    pub(super) fn arm_fwd_timer(&mut self, now: Instant) {
        if self.paths.is_empty() || self.paths.iter().any(|p| p.t3_rtx.is_some()) {
            return;
        }
        let i = self.data_path();
        self.paths[i].t3_rtx = Some(now + self.paths[i].rto);
    }

    /// Appends a FORWARD TSN (RFC 3758 3.2, C4) reaching as far as the
    /// abandoned chunks at the front of the queue go and as the stream
    /// list fits in `mtu`. Returns whether one was written.
    pub(super) fn write_forward_tsn(
        &mut self,
        now: Instant,
        buf: &mut Vec<u8>,
        mtu: usize,
    ) -> bool {
        if self.intl_enabled() {
            return self.write_iforward_tsn(now, buf, mtu);
        }
        let room = mtu.saturating_sub(buf.len() + 8);
        let max_pairs = room / 4;
        let mut pairs = super::scratch::pairs();
        pairs.clear();
        let mut adv = self.cum_ack;
        for c in self.out.q.iter() {
            if !c.abandoned {
                break;
            }
            if c.flags & DATA_FLAG_UNORDERED == 0 {
                match pairs.iter().position(|p| p.0 == c.stream_id) {
                    Some(i) => pairs[i].1 = c.ssn,
                    None if pairs.len() < max_pairs => pairs.push((c.stream_id, c.ssn)),
                    None => break,
                }
            }
            adv = c.tsn;
        }
        let wrote = adv != self.cum_ack;
        if wrote {
            wire::chunk::emit_forward_tsn(buf, adv, &pairs);
            self.stats.octrlchunks += 1;
            self.arm_fwd_timer(now);
        }
        super::scratch::give_pairs(pairs);
        self.fwd_due = false;
        wrote
    }

    /// The I-FORWARD-TSN form (RFC 8260 2.3.1): the largest skipped MID
    /// per stream, for ordered and for unordered messages.
    fn write_iforward_tsn(&mut self, now: Instant, buf: &mut Vec<u8>, mtu: usize) -> bool {
        let max = mtu.saturating_sub(buf.len() + 8) / 8;
        let mut e = super::scratch::ientries();
        e.clear();
        let mut adv = self.cum_ack;
        for c in self.out.q.iter() {
            if !c.abandoned {
                break;
            }
            let u = c.flags & DATA_FLAG_UNORDERED != 0;
            match e.iter().position(|x| x.0 == c.stream_id && x.1 == u) {
                Some(i) => e[i].2 = c.mid,
                None if e.len() < max => e.push((c.stream_id, u, c.mid)),
                None => break,
            }
            adv = c.tsn;
        }
        let wrote = adv != self.cum_ack;
        if wrote {
            wire::chunk::emit_iforward_tsn(buf, adv, &e);
            self.stats.octrlchunks += 1;
            self.arm_fwd_timer(now);
        }
        super::scratch::give_ientries(e);
        self.fwd_due = false;
        wrote
    }

    /// Makes room for `bytes_needed` bytes of a message of priority
    /// `prio` (RFC 7496 3.3, Linux `sctp_prsctp_prune`): abandons
    /// messages of the PRIO policy with a higher priority number, first
    /// those waiting for retransmission, then unsent ones, newest first.
    /// Needs PR-SCTP negotiated, as on Linux. Returns the bytes freed.
    pub fn abandon_lower_priority(
        &mut self,
        now: Instant,
        prio: u32,
        bytes_needed: usize,
    ) -> usize {
        if !self.pr_enabled() || bytes_needed == 0 {
            return 0;
        }
        let lower = |p: PrPolicy| matches!(p, PrPolicy::Prio(x) if x > prio);
        let mut freed = 0;
        // Sent, and lost (marked for retransmission).
        let mut victims: Vec<u64> = Vec::new();
        for c in self.out.q.iter() {
            if !c.abandoned && c.rtx.is_some() && lower(c.pr) && victims.last() != Some(&c.msg) {
                victims.push(c.msg);
            }
        }
        victims.dedup();
        for m in victims {
            if freed >= bytes_needed {
                break;
            }
            freed += self.abandon_msg(m, 2);
        }
        // Unsent messages, newest first.
        while freed < bytes_needed {
            // A message is unsent when its first fragment is still queued
            // (fragments are queued in order, the first one sent first).
            // The lowest priority goes first, the newest of equals.
            let victim = self
                .pending
                .iter()
                .enumerate()
                .filter_map(|(i, c)| match c.pr {
                    PrPolicy::Prio(p) if p > prio && c.flags & DATA_FLAG_BEGIN != 0 => {
                        Some((p, i, c.msg))
                    }
                    _ => None,
                })
                .max_by_key(|&(p, i, _)| (p, i))
                .map(|v| v.2);
            let Some(m) = victim else { break };
            freed += self.abandon_msg(m, 2);
        }
        if freed > 0 {
            self.after_abandon(now);
        }
        freed
    }

    /// A FORWARD TSN arrived (RFC 3758 3.6). Returns whether the
    /// cumulative TSN moved.
    pub(super) fn on_forward_tsn(&mut self, f: &wire::ForwardTsnChunk) -> bool {
        let r = self.rx.forward_tsn_any(f.new_cum_tsn, &f.streams, &[]);
        self.fwd_result(r)
    }

    /// An I-FORWARD-TSN arrived (RFC 8260 2.3.1).
    pub(super) fn on_iforward_tsn(&mut self, f: &wire::IForwardTsn) -> bool {
        let mut e = super::scratch::ientries();
        e.clear();
        e.extend(f.entries());
        let r = self.rx.forward_tsn_any(f.new_cum_tsn, &[], &e);
        super::scratch::give_ientries(e);
        self.fwd_result(r)
    }

    fn fwd_result(&mut self, r: Option<Vec<(u16, u32, bool)>>) -> bool {
        match r {
            None => false,
            Some(aborted) => {
                for (stream_id, seq, unordered) in aborted {
                    self.ext_events.push_back(ExtEvent::PartialDeliveryAborted {
                        stream_id,
                        seq,
                        unordered,
                    });
                }
                true
            }
        }
    }
}
