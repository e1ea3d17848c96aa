//! Stream schedulers (RFC 8260 3; Linux `SCTP_STREAM_SCHEDULER`): which
//! queued chunk goes next. With I-DATA negotiated the choice is made for
//! every chunk, so messages of different streams interleave; without it,
//! a message once begun is finished first (RFC 8260 3, as Linux keeps
//! `out_curr` unless the peer is interleaving-capable).

use super::*;

/// The scheduler (Linux `SCTP_SS_FCFS`, `SCTP_SS_RR`, `SCTP_SS_PRIO`).
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

    /// Chooses the stream scheduler (`SCTP_STREAM_SCHEDULER`).
    pub fn set_scheduler(&mut self, s: Scheduler) {
        self.sched = s;
    }

    /// The stream scheduler in use.
    pub fn scheduler(&self) -> Scheduler {
        self.sched
    }

    /// Sets an outbound stream's priority for [`Scheduler::Prio`]
    /// (`SCTP_STREAM_SCHEDULER_VALUE`; lower is served first, default 0).
    /// Returns false for a stream the association does not have.
    pub fn set_stream_priority(&mut self, stream_id: u16, prio: u16) -> bool {
        if stream_id >= self.out_streams {
            return false;
        }
        let i = usize::from(stream_id);
        if self.stream_prio.len() <= i {
            self.stream_prio.resize(i + 1, 0);
        }
        self.stream_prio[i] = prio;
        true
    }

    /// A stream's priority for [`Scheduler::Prio`].
    pub fn stream_priority(&self, stream_id: u16) -> Option<u16> {
        (stream_id < self.out_streams)
            .then(|| self.stream_prio.get(usize::from(stream_id)).copied().unwrap_or(0))
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

    /// Bookkeeping after a chunk of `pending` was given a TSN.
    pub(super) fn sched_sent(&mut self, stream_id: u16, msg: u64, end: bool) {
        self.cur_msg = (!end).then_some(msg);
        if self.intl_enabled() || end {
            self.rr_next = stream_id.wrapping_add(1);
        }
    }
}
