//! Stream schedulers (RFC 8260 3; Linux `SCTP_STREAM_SCHEDULER`): which
//! queued chunk goes next. With I-DATA negotiated the choice is made for
//! every chunk, so messages of different streams interleave; without it,
//! a message once begun is finished first (RFC 8260 3, as Linux keeps
//! `out_curr` unless the peer is interleaving-capable).

use super::*;

/// The scheduler (Linux `SCTP_SS_FCFS`, `SCTP_SS_PRIO`, `SCTP_SS_RR`,
/// `SCTP_SS_FC`, `SCTP_SS_WFQ`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scheduler {
    /// First come, first served (RFC 8260 3.1): the order of `send`.
    #[default]
    Fcfs,
    /// Round robin over the streams with data (RFC 8260 3.2).
    Rr,
    /// Strict priority by stream (RFC 8260 3.4): a lower value first,
    /// round robin among streams of equal priority.
    Prio,
    /// Fair capacity (RFC 8260 3.5): the stream with data that has sent
    /// the fewest bytes goes next, so streams share the capacity equally
    /// by bytes, whatever their message sizes.
    Fc,
    /// Weighted fair queueing (RFC 8260 3.6): as [`Scheduler::Fc`] with
    /// the bytes of each stream divided by its weight (default 1), so the
    /// streams share the capacity in proportion to their weights.
    Wfq,
}

impl Association {
    /// Whether I-DATA was negotiated (both sides offered it).
    pub fn intl_enabled(&self) -> bool {
        self.cfg.intl_supported && self.peer_intl
    }

    /// The outgoing MID counters: one pair per stream with I-DATA, none
    /// without (80 bytes an association that never uses them is spared).
    pub(super) fn size_out_mid(&mut self) {
        if self.intl_enabled() {
            self.out_mid.resize(usize::from(self.out_streams), [0; 2]);
        } else {
            self.out_mid = Vec::new();
        }
    }

    /// Chooses the stream scheduler (`SCTP_STREAM_SCHEDULER`). A change
    /// starts the new one afresh: the stream values and byte counts of
    /// the old one are dropped (as Linux frees the old scheduler's state).
    pub fn set_scheduler(&mut self, s: Scheduler) {
        if s != self.sched {
            self.sched = s;
            self.stream_prio = Vec::new();
            self.fc_len = Vec::new();
        }
    }

    /// The stream scheduler in use.
    pub fn scheduler(&self) -> Scheduler {
        self.sched
    }

    /// Sets an outbound stream's scheduler value
    /// (`SCTP_STREAM_SCHEDULER_VALUE`): its priority for
    /// [`Scheduler::Prio`] (lower is served first, default 0), its weight
    /// for [`Scheduler::Wfq`] (not 0, default 1); the other schedulers
    /// take any value and ignore it. Returns false for a stream the
    /// association does not have or a weight of 0 (Linux's EINVAL).
    pub fn set_stream_value(&mut self, stream_id: u16, value: u16) -> bool {
        if stream_id >= self.out_streams {
            return false;
        }
        let v = match self.sched {
            Scheduler::Prio => value,
            Scheduler::Wfq if value == 0 => return false,
            Scheduler::Wfq => value,
            _ => return true,
        };
        let i = usize::from(stream_id);
        if self.stream_prio.len() <= i {
            self.stream_prio.resize(i + 1, 0);
        }
        self.stream_prio[i] = v;
        true
    }

    /// An outbound stream's scheduler value (see
    /// [`Association::set_stream_value`]; 0 for the schedulers without
    /// one), or None for a stream the association does not have.
    pub fn stream_value(&self, stream_id: u16) -> Option<u16> {
        if stream_id >= self.out_streams {
            return None;
        }
        let v = self.stream_prio.get(usize::from(stream_id)).copied().unwrap_or(0);
        Some(match self.sched {
            Scheduler::Prio => v,
            Scheduler::Wfq => v.max(1),
            _ => 0,
        })
    }

    /// Sets an outbound stream's priority for [`Scheduler::Prio`].
    pub fn set_stream_priority(&mut self, stream_id: u16, prio: u16) -> bool {
        self.set_stream_value(stream_id, prio)
    }

    /// A stream's priority for [`Scheduler::Prio`].
    pub fn stream_priority(&self, stream_id: u16) -> Option<u16> {
        self.stream_value(stream_id)
    }

    /// Index in `pending` of the chunk to send next.
    pub(super) fn next_pending(&self) -> Option<usize> {
        if self.pending.is_empty() {
            return None;
        }
        // Without I-DATA a message once begun is finished first, whatever
        // the scheduler: its fragments need consecutive TSNs (RFC 9260
        // 6.9). (With FCFS it is at the front, unless data held back by a
        // stream reset was queued before it and was just let go.)
        if !self.intl_enabled() {
            if let Some(m) = self.cur_msg {
                if let Some(i) = self.pending.iter().position(|c| c.msg == m) {
                    return Some(i);
                }
            }
        }
        // RFC 6525 5.1.2 A1, 5.1.4 C2: data of streams being reset waits
        // (queued, without SSN or TSN); the other streams go on.
        let held = self.reconf_outstanding();
        if self.sched == Scheduler::Fcfs {
            if held {
                return self.pending.iter().position(|c| !self.stream_blocked(c.stream_id));
            }
            return Some(0);
        }
        if matches!(self.sched, Scheduler::Fc | Scheduler::Wfq) {
            return self.next_fair(held);
        }
        // The first chunk of the stream that comes next: one pass, the
        // first index with the smallest key wins (each stream's queue is
        // in order within `pending`).
        let prio = |sid: u16| {
            if self.sched == Scheduler::Prio {
                self.stream_prio.get(usize::from(sid)).copied().unwrap_or(0)
            } else {
                0
            }
        };
        let mut best: Option<((u16, u16), usize)> = None;
        for (i, c) in self.pending.iter().enumerate() {
            if held && self.stream_blocked(c.stream_id) {
                continue;
            }
            let key = (prio(c.stream_id), c.stream_id.wrapping_sub(self.rr_next));
            if best.is_none_or(|(k, _)| key < k) {
                best = Some((key, i));
                if key == (0, 0) {
                    break;
                }
            }
        }
        best.map(|b| b.1)
    }

    /// [`Scheduler::Fc`] and [`Scheduler::Wfq`]: the first chunk of the
    /// stream with the fewest bytes sent per unit of weight (bytes_a /
    /// weight_a < bytes_b / weight_b, compared as bytes_a * weight_b <
    /// bytes_b * weight_a); among equals, round robin from `rr_next`.
    fn next_fair(&self, held: bool) -> Option<usize> {
        let weight = |sid: u16| {
            if self.sched == Scheduler::Wfq {
                u64::from(self.stream_prio.get(usize::from(sid)).copied().unwrap_or(1).max(1))
            } else {
                1
            }
        };
        let bytes = |sid: u16| u64::from(self.fc_len.get(usize::from(sid)).copied().unwrap_or(0));
        let mut best: Option<(u16, usize)> = None;
        for (i, c) in self.pending.iter().enumerate() {
            if held && self.stream_blocked(c.stream_id) {
                continue;
            }
            let sid = c.stream_id;
            let better = match best {
                None => true,
                Some((b, _)) if b == sid => false,
                Some((b, _)) => {
                    let (x, y) = (bytes(sid) * weight(b), bytes(b) * weight(sid));
                    x < y
                        || (x == y && sid.wrapping_sub(self.rr_next) < b.wrapping_sub(self.rr_next))
                }
            };
            if better {
                best = Some((sid, i));
            }
        }
        best.map(|b| b.1)
    }

    /// Bookkeeping after a chunk of `pending` was given a TSN; `len` is
    /// the chunk's length on the wire.
    pub(super) fn sched_sent(&mut self, stream_id: u16, msg: u64, end: bool, len: usize) {
        self.cur_msg = (!end).then_some(msg);
        if self.intl_enabled() || end {
            self.rr_next = stream_id.wrapping_add(1);
        }
        if matches!(self.sched, Scheduler::Fc | Scheduler::Wfq) {
            let i = usize::from(stream_id);
            if self.fc_len.len() <= i {
                self.fc_len.resize(i + 1, 0);
            }
            let len = u32::try_from(len).unwrap_or(u32::MAX);
            // Counts that would overflow come down by a quarter of the
            // range for every stream (stream_sched_fc.c does the same),
            // which keeps their differences.
            if self.fc_len[i] > u32::MAX - len {
                for v in &mut self.fc_len {
                    *v = v.saturating_sub(u32::MAX >> 2);
                }
            }
            self.fc_len[i] += len;
        }
    }
}
