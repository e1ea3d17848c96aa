//! The data receiver: TSN tracking for SACK (RFC 9260 6.2, 6.7),
//! reassembly (6.9), ordered and unordered delivery (6.5, 6.6), partial
//! delivery, and the receive window (6.2).
//!
//! TSNs are widened to 64 bits relative to the cumulative TSN so ordered
//! maps work across the 32-bit wrap.

use crate::proto::serial::lt16;
use crate::proto::wire::DataChunk;
use bytes::Bytes;
use std::collections::{BTreeMap, VecDeque};

/// At most this many TSNs past the cumulative TSN are accepted.
const MAX_TSN_AHEAD: u64 = 1 << 20;
/// At most this many disjoint received ranges are tracked.
const MAX_GAP_RANGES: usize = 512;
/// Duplicate TSNs remembered for the next SACK.
const MAX_DUPS: usize = 16;

/// A piece of a received user message, in delivery order. A message is
/// one or more pieces; the last has `eor` set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecvData {
    pub stream_id: u16,
    pub ssn: u16,
    pub ppid: u32,
    /// TSN of the chunk this piece came from (of the first piece's chunk
    /// for `SCTP_SNDRCV`'s `sinfo_tsn`).
    pub tsn: u32,
    /// Cumulative TSN at the time of delivery (`sinfo_cumtsn`).
    pub cum_tsn: u32,
    pub unordered: bool,
    pub data: Bytes,
    /// Last piece of its message.
    pub eor: bool,
}

/// What the caller should do after a DATA chunk was offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataOutcome {
    /// New data, accepted.
    New,
    /// Already received: reported as a duplicate.
    Duplicate,
    /// Dropped for lack of buffer or range: not acknowledged.
    Dropped,
    /// Invalid stream: acknowledged but not delivered (6.5).
    InvalidStream,
    /// Fragments that cannot belong to one message (6.9): the peer
    /// violated the protocol.
    Violation,
}

mod intl;

#[derive(Clone, Debug, Default)]
struct InStream {
    next_ssn: u16,
    /// Next ordered MID (I-DATA).
    next_mid: u32,
    /// Complete ordered messages waiting for their turn: (ssn, first ext TSN, last ext TSN).
    waiting: Vec<(u16, u64, u64)>,
}

#[derive(Clone, Copy, Debug)]
struct Partial {
    stream_id: u16,
    ssn: u16,
    unordered: bool,
    /// Next ext TSN to deliver.
    next: u64,
}

#[derive(Debug)]
pub struct Receiver {
    /// Cumulative TSN (last in-sequence TSN received), widened.
    cum: u64,
    /// Received ext TSN ranges above `cum`, sorted, disjoint, inclusive.
    ranges: Vec<(u64, u64)>,
    dups: Vec<u32>,
    /// Received and not yet delivered chunks by ext TSN.
    reasm: BTreeMap<u64, DataChunk>,
    /// Complete unordered messages (first, last ext TSN) held during PD.
    held_unordered: VecDeque<(u64, u64)>,
    /// Per incoming stream, made when first needed (an idle association
    /// or one with 65,535 streams it never uses has none): streams not
    /// here expect SSN and MID 0 and hold nothing.
    streams: Vec<InStream>,
    /// How many incoming streams there are.
    in_count: u16,
    inbox: VecDeque<RecvData>,
    pd: Option<Partial>,
    /// The last scan of `maybe_start_partial`: from the fragment at the
    /// front, how far the message runs and its bytes so far.
    pd_scan: Option<(u64, u64, u64)>,
    /// Bytes in `reasm` and `inbox`.
    buffered: u32,
    /// Of those, bytes still in `reasm` (not yet delivered).
    reasm_bytes: u32,
    rcvbuf: u32,
    pd_point: u32,
    /// Window last advertised in a SACK.
    pub last_adv_rwnd: u32,
    /// I-DATA reassembly (RFC 8260) instead of TSN-based.
    intl: bool,
    imsgs: BTreeMap<intl::Key, intl::IMsg>,
    /// I-DATA fragments held, by ext TSN: (message, FSN).
    by_tsn: BTreeMap<u64, (intl::Key, u32)>,
    /// Chunks kept aside while an SSN/TSN reset of ours is unanswered
    /// ([`Receiver::hold`]).
    /// Keyed by (ext TSN, 0) for a chunk, (new cumulative ext TSN, 1)
    /// for a FORWARD TSN's stream part, so each comes in its place.
    stash: Option<BTreeMap<(u64, u8), Stashed>>,
}

/// A chunk kept aside by [`Receiver::hold`].
#[derive(Debug)]
enum Stashed {
    Data(DataChunk),
    IData(crate::proto::wire::IDataChunk),
    /// What a FORWARD TSN or I-FORWARD-TSN does to the streams (its
    /// cumulative TSN took effect at once).
    Fwd {
        pairs: Vec<u8>,
        entries: Vec<(u16, bool, u32)>,
    },
}

impl Receiver {
    pub fn new(peer_initial_tsn: u32, in_streams: u16, rcvbuf: u32, pd_point: u32) -> Self {
        Receiver {
            cum: u64::from(peer_initial_tsn.wrapping_sub(1)) + (1 << 32),
            ranges: Vec::new(),
            dups: Vec::new(),
            reasm: BTreeMap::new(),
            held_unordered: VecDeque::new(),
            streams: Vec::new(),
            in_count: in_streams.max(1),
            inbox: VecDeque::new(),
            pd: None,
            pd_scan: None,
            buffered: 0,
            reasm_bytes: 0,
            rcvbuf,
            pd_point: if pd_point == 0 { u32::MAX } else { pd_point },
            last_adv_rwnd: rcvbuf,
            intl: false,
            imsgs: BTreeMap::new(),
            by_tsn: BTreeMap::new(),
            stash: None,
        }
    }

    pub fn cum_tsn(&self) -> u32 {
        self.cum as u32
    }

    fn widen(&self, tsn: u32) -> u64 {
        let off = tsn.wrapping_sub(self.cum as u32) as i32;
        (self.cum as i64 + i64::from(off)) as u64
    }

    pub fn rwnd(&self) -> u32 {
        self.rcvbuf.saturating_sub(self.buffered)
    }

    pub fn set_rcvbuf(&mut self, rcvbuf: u32) {
        self.rcvbuf = rcvbuf;
    }

    pub fn has_gaps(&self) -> bool {
        !self.ranges.is_empty()
    }

    pub fn in_streams(&self) -> u16 {
        self.in_count
    }

    /// Stream `sid`'s state, made if it was not yet (`sid` must be below
    /// `in_count`).
    fn stream_mut(&mut self, sid: usize) -> &mut InStream {
        if sid >= self.streams.len() {
            self.streams.resize_with(sid + 1, InStream::default);
        }
        &mut self.streams[sid]
    }

    fn next_ssn(&self, sid: usize) -> u16 {
        self.streams.get(sid).map_or(0, |s| s.next_ssn)
    }

    fn next_mid(&self, sid: usize) -> u32 {
        self.streams.get(sid).map_or(0, |s| s.next_mid)
    }

    fn received(&self, t: u64) -> bool {
        if t <= self.cum {
            return true;
        }
        match self.ranges.binary_search_by(|&(s, _)| s.cmp(&t)) {
            Ok(_) => true,
            Err(0) => false,
            Err(i) => self.ranges[i - 1].1 >= t,
        }
    }

    fn highest(&self) -> u64 {
        self.ranges.last().map(|r| r.1).unwrap_or(self.cum)
    }

    /// Records `t` as received; returns false if the range table is full.
    fn mark(&mut self, t: u64) -> bool {
        if t == self.cum + 1 {
            self.cum = t;
            if let Some(&(s, e)) = self.ranges.first() {
                if s == self.cum + 1 {
                    self.cum = e;
                    self.ranges.remove(0);
                }
            }
            return true;
        }
        let i = match self.ranges.binary_search_by(|&(s, _)| s.cmp(&t)) {
            Ok(_) => return true,
            Err(i) => i,
        };
        let joins_prev = i > 0 && self.ranges[i - 1].1 + 1 == t;
        let joins_next = i < self.ranges.len() && self.ranges[i].0 == t + 1;
        match (joins_prev, joins_next) {
            (true, true) => {
                self.ranges[i - 1].1 = self.ranges[i].1;
                self.ranges.remove(i);
            }
            (true, false) => self.ranges[i - 1].1 = t,
            (false, true) => self.ranges[i].0 = t,
            (false, false) => {
                if self.ranges.len() >= MAX_GAP_RANGES {
                    return false;
                }
                self.ranges.insert(i, (t, t));
            }
        }
        true
    }

    /// Offers a received DATA chunk (with a non-empty payload; the caller
    /// handles "No User Data").
    pub fn on_data(&mut self, chunk: DataChunk) -> DataOutcome {
        let t = self.widen(chunk.tsn);
        if self.received(t) {
            if self.dups.len() < MAX_DUPS {
                self.dups.push(chunk.tsn);
            }
            return DataOutcome::Duplicate;
        }
        if t <= self.cum || t - self.cum > MAX_TSN_AHEAD {
            return DataOutcome::Dropped;
        }
        if chunk.stream_id >= self.in_count {
            // RFC 9260 6.5: acknowledge, report Invalid Stream, do not deliver.
            if !self.mark(t) {
                return DataOutcome::Dropped;
            }
            return DataOutcome::InvalidStream;
        }
        let len = u32::try_from(chunk.payload.len()).unwrap_or(u32::MAX);
        // 6.2: when the window is exhausted, drop data beyond the highest
        // TSN received; data filling a hole is taken by dropping ("reneging
        // on") the highest TSNs held for reordering, so the head of the
        // line can complete while the buffer stays bounded.
        if self.buffered.saturating_add(len) > self.rcvbuf && !self.hold_overflow(t, len) {
            if t > self.highest() {
                self.kick();
                return DataOutcome::Dropped;
            }
            while self.buffered.saturating_add(len) > self.rcvbuf {
                if !self.renege_highest(t) {
                    self.kick();
                    return DataOutcome::Dropped;
                }
            }
        }
        if self.stash.is_some() {
            return self.stash_chunk(t, len, Stashed::Data(chunk));
        }
        if !self.mark(t) {
            return DataOutcome::Dropped;
        }
        self.buffered = self.buffered.saturating_add(len);
        self.reasm_bytes = self.reasm_bytes.saturating_add(len);
        self.reasm.insert(t, chunk);
        if !self.deliver(t) {
            return DataOutcome::Violation;
        }
        DataOutcome::New
    }

    /// Keeps a chunk aside while holding (see [`Receiver::hold`]): it is
    /// acknowledged and counted in the window, not yet reassembled.
    fn stash_chunk(&mut self, t: u64, len: u32, c: Stashed) -> DataOutcome {
        if !self.mark(t) {
            return DataOutcome::Dropped;
        }
        self.buffered = self.buffered.saturating_add(len);
        self.reasm_bytes = self.reasm_bytes.saturating_add(len);
        if let Some(s) = &mut self.stash {
            s.insert((t, 0), c);
        }
        DataOutcome::New
    }

    /// RFC 6525 5.2.7 H5: while our SSN/TSN Reset Request is out, data
    /// the peer sends may be from before its reset or, once it performed
    /// it, from after (from its Sender's Next TSN, with SSNs from 0), and
    /// the answer that tells which may come late. So arriving data is
    /// acknowledged but kept aside until [`Receiver::release`].
    pub fn hold(&mut self) {
        self.stash.get_or_insert_with(BTreeMap::new);
    }

    /// While holding, the next chunk in sequence is taken even beyond the
    /// window (up to a hard limit): the peer performs our SSN/TSN reset
    /// only once all its data is acknowledged (as Linux), and what we
    /// hold cannot be read until it did; refusing would deadlock.
    fn hold_overflow(&self, t: u64, len: u32) -> bool {
        const LIMIT: u32 = 64 * 1024;
        self.stash.is_some()
            && t == self.cum + 1
            && self.buffered.saturating_add(len)
                <= self.rcvbuf.saturating_mul(4).saturating_add(LIMIT)
    }

    /// Whether arriving data is kept aside ([`Receiver::hold`]).
    pub fn holding(&self) -> bool {
        self.stash.is_some()
    }

    /// Ends [`Receiver::hold`]. `reset`: the request was performed and
    /// the peer sends from this TSN: the chunks kept below it are
    /// processed with the streams as they were, then the streams restart
    /// at SSN 0 (with the TSNs as [`Receiver::reset_tsn`] sets them when
    /// the peer's TSN jumped), then the chunks from it on are processed.
    /// None: denied or failed, everything is processed as it came.
    /// Returns the partial deliveries cut: (stream, SSN or MID, unordered).
    pub fn release_hold(&mut self, reset: Option<u32>) -> Vec<(u16, u32, bool)> {
        let stash = self.stash.take().unwrap_or_default();
        let Some(next) = reset else {
            return self.replay(stash);
        };
        let cum = self.cum as u32;
        // Continuous: the peer sends on from what we acknowledged (RFC
        // 6525 5.2.4 G2, as Linux); the cut is at its next TSN.
        let gap = next.wrapping_sub(cum.wrapping_add(1)) as i32;
        if gap.unsigned_abs() <= MAX_TSN_AHEAD as u32 && gap <= 0 {
            let cut = self.widen(next);
            let mut stash = stash;
            let newer = stash.split_off(&(cut, 0));
            let mut aborted = self.replay(stash);
            aborted.extend(self.flush_epoch());
            aborted.extend(self.replay(newer));
            aborted
        } else {
            let mut aborted = self.replay(stash);
            aborted.extend(self.reset_tsn(next));
            aborted
        }
    }

    /// Processes kept chunks (and FORWARD TSNs) in TSN order, as if they
    /// arrived so. Returns the partial deliveries cut.
    fn replay(&mut self, stash: BTreeMap<(u64, u8), Stashed>) -> Vec<(u16, u32, bool)> {
        let mut aborted = Vec::new();
        for ((t, _), c) in stash {
            // A violation found here was already acknowledged: ignore it
            // (as after a FORWARD TSN).
            match c {
                Stashed::Data(c) => {
                    self.reasm.insert(t, c);
                    let _ = self.deliver(t);
                }
                Stashed::IData(c) => {
                    let _ = self.iplace(t, c, true);
                }
                Stashed::Fwd { pairs, entries } => {
                    aborted.extend(self.forward_streams(t, &pairs, &entries));
                }
            }
        }
        aborted
    }

    /// Drops the highest TSN above `t` held for reordering and forgets it
    /// was received (RFC 9260 6.2; Linux's sctp_ulpq_renege). If it belongs
    /// to a complete message still waiting for its turn (for ordering, or
    /// for a partial delivery to end), the whole message goes, so nothing
    /// half-delivered remains. Returns false if there is nothing above `t`.
    fn renege_highest(&mut self, t: u64) -> bool {
        let Some(&k) = self.reasm.keys().next_back() else { return false };
        if k <= t || k <= self.cum {
            return false;
        }
        let cum = self.cum;
        let mut range = (k, k);
        // Data at or below the cumulative TSN was acknowledged for good
        // and cannot be reneged: such a message stays.
        if let Some(i) = self.held_unordered.iter().position(|&(b, e)| b <= k && k <= e) {
            if self.held_unordered[i].0 <= cum {
                return false;
            }
            range = self.held_unordered.remove(i).unwrap_or(range);
        } else if let Some((si, i)) = self.streams.iter().enumerate().find_map(|(si, st)| {
            st.waiting.iter().position(|&(_, b, e)| b <= k && k <= e).map(|i| (si, i))
        }) {
            if self.streams[si].waiting[i].1 <= cum {
                return false;
            }
            let (_, b, e) = self.streams[si].waiting.swap_remove(i);
            range = (b, e);
        }
        self.pd_scan = None;
        for x in range.0..=range.1 {
            if let Some(c) = self.reasm.remove(&x) {
                self.buffered = self.buffered.saturating_sub(c.payload.len() as u32);
                self.reasm_bytes = self.reasm_bytes.saturating_sub(c.payload.len() as u32);
            }
            self.unmark(x);
        }
        true
    }

    /// Removes `t` (above the cumulative TSN) from the received ranges.
    fn unmark(&mut self, t: u64) {
        let Some(i) = self.ranges.iter().position(|&(s, e)| s <= t && t <= e) else { return };
        let (s, e) = self.ranges[i];
        match (s == t, e == t) {
            (true, true) => {
                self.ranges.remove(i);
            }
            (true, false) => self.ranges[i].0 = t + 1,
            (false, true) => self.ranges[i].1 = t - 1,
            (false, false) => {
                self.ranges[i].1 = t - 1;
                self.ranges.insert(i + 1, (t + 1, e));
            }
        }
    }

    /// Whether the chunks at `a` and `b = a + 1` belong to one message.
    fn same_msg(a: &DataChunk, b: &DataChunk) -> bool {
        a.stream_id == b.stream_id
            && a.unordered() == b.unordered()
            && (a.unordered() || a.ssn == b.ssn)
            && !a.end()
            && !b.begin()
    }

    /// Finds the complete message containing ext TSN `t`, if any.
    fn complete_around(&self, t: u64) -> Option<(u64, u64)> {
        // Forward first: fragments mostly arrive in order, and until the
        // last one comes the walk ends at once (a walk back first made
        // every fragment cost the length of its message so far).
        let mut e = t;
        loop {
            let c = self.reasm.get(&e)?;
            if c.end() {
                break;
            }
            let n = self.reasm.get(&(e + 1))?;
            if !Self::same_msg(c, n) {
                return None;
            }
            e += 1;
        }
        let mut b = t;
        loop {
            let c = self.reasm.get(&b)?;
            if c.begin() {
                break;
            }
            let p = self.reasm.get(&(b - 1))?;
            if !Self::same_msg(p, c) {
                return None;
            }
            b -= 1;
        }
        Some((b, e))
    }

    fn push_range(&mut self, b: u64, e: u64, last_is_eor: bool) {
        let cum = self.cum as u32;
        for k in b..=e {
            if let Some(c) = self.reasm.remove(&k) {
                self.reasm_bytes = self.reasm_bytes.saturating_sub(c.payload.len() as u32);
                let eor = last_is_eor && k == e;
                self.inbox.push_back(RecvData {
                    stream_id: c.stream_id,
                    ssn: c.ssn,
                    ppid: c.ppid,
                    tsn: c.tsn,
                    cum_tsn: cum,
                    unordered: c.unordered(),
                    data: c.payload,
                    eor,
                });
            }
        }
    }

    /// Moves whatever became deliverable after `t` arrived to the inbox.
    /// Returns false on fragments that cannot belong together.
    fn deliver(&mut self, t: u64) -> bool {
        if let Some(pd) = self.pd {
            if t == pd.next {
                if !self.continue_partial() {
                    return false;
                }
            } else if let Some((b, e)) = self.complete_around(t) {
                self.park(b, e);
            }
        } else if let Some((b, e)) = self.complete_around(t) {
            self.park(b, e);
            self.drain_ready();
        }
        self.maybe_start_partial()
    }

    /// Records a complete message (b..=e) for delivery in its turn.
    fn park(&mut self, b: u64, e: u64) {
        let Some(c) = self.reasm.get(&b) else { return };
        if c.unordered() {
            self.held_unordered.push_back((b, e));
        } else {
            let (sid, ssn) = (usize::from(c.stream_id), c.ssn);
            self.stream_mut(sid).waiting.push((ssn, b, e));
        }
    }

    /// Delivers parked messages while no partial delivery is in progress.
    fn drain_ready(&mut self) {
        if self.pd.is_some() {
            return;
        }
        while let Some((b, e)) = self.held_unordered.pop_front() {
            self.push_range(b, e, true);
        }
        for sid in 0..self.streams.len() {
            loop {
                let s = &mut self.streams[sid];
                let next = s.next_ssn;
                // Messages a FORWARD TSN skipped past (RFC 3758 3.6:
                // "immediately make available") go first, oldest first.
                let overdue = s
                    .waiting
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| lt16(w.0, next))
                    .max_by_key(|(_, w)| next.wrapping_sub(w.0))
                    .map(|(i, _)| i);
                if let Some(i) = overdue {
                    let (_, b, e) = s.waiting.swap_remove(i);
                    self.push_range(b, e, true);
                    continue;
                }
                let Some(i) = s.waiting.iter().position(|w| w.0 == next) else {
                    break;
                };
                let (_, b, e) = s.waiting.swap_remove(i);
                s.next_ssn = next.wrapping_add(1);
                self.push_range(b, e, true);
            }
        }
    }

    /// Returns false if the chunk at the next TSN cannot continue the
    /// message being delivered (a protocol violation by the peer).
    fn continue_partial(&mut self) -> bool {
        let Some(mut pd) = self.pd else { return true };
        while let Some(c) = self.reasm.get(&pd.next) {
            let continues = c.stream_id == pd.stream_id
                && c.unordered() == pd.unordered
                && (pd.unordered || c.ssn == pd.ssn)
                && !c.begin();
            if !continues {
                return false;
            }
            let end = c.end();
            let k = pd.next;
            self.push_range(k, k, end);
            pd.next += 1;
            if end {
                if !pd.unordered {
                    self.stream_mut(usize::from(pd.stream_id)).next_ssn = pd.ssn.wrapping_add(1);
                }
                self.pd = None;
                self.drain_ready();
                return true;
            }
        }
        self.pd = Some(pd);
        true
    }

    /// Starts partial delivery of the message at the head of the line when
    /// it is deliverable and either holds `pd_point` bytes or the buffer is
    /// full (RFC 9260 6.9 lets a receiver deliver a large message in parts).
    fn maybe_start_partial(&mut self) -> bool {
        if self.pd.is_some() {
            return true;
        }
        let Some((&b, first)) = self.reasm.iter().next() else {
            return true;
        };
        if !first.begin() {
            return true;
        }
        let deliverable =
            first.unordered() || self.next_ssn(usize::from(first.stream_id)) == first.ssn;
        if !deliverable {
            return true;
        }
        // Resume the scan where the last one ended, if it began at the
        // same fragment (delivery takes fragments from the front; every
        // other removal from `reasm` clears the memo).
        let (mut e, mut bytes) = match self.pd_scan {
            Some((mb, me, mbytes)) if mb == b && self.reasm.contains_key(&me) => (me, mbytes),
            _ => (b, first.payload.len() as u64),
        };
        while let (Some(c), Some(n)) = (self.reasm.get(&e), self.reasm.get(&(e + 1))) {
            if !Self::same_msg(c, n) {
                break;
            }
            e += 1;
            bytes += n.payload.len() as u64;
        }
        self.pd_scan = Some((b, e, bytes));
        // Full: another full-size chunk would not fit, and almost nothing
        // waits for the application to read (else its reading will open
        // the window, and splitting the message is needless).
        let app_held = self.buffered.saturating_sub(self.reasm_bytes);
        let full = self.rwnd() < 2048 && app_held < 2048;
        if bytes < u64::from(self.pd_point) && !full {
            return true;
        }
        let (sid, ssn, unordered) = (first.stream_id, first.ssn, first.unordered());
        if !unordered {
            // It is being delivered now: no longer waiting.
            if let Some(s) = self.streams.get_mut(usize::from(sid)) {
                s.waiting.retain(|w| w.0 != ssn);
            }
        }
        self.push_range(b, e, false);
        self.pd = Some(Partial { stream_id: sid, ssn, unordered, next: e + 1 });
        self.continue_partial()
    }

    /// Takes the next piece of received data, at most `max` bytes of it
    /// (a longer piece is split; `eor` stays with the tail).
    #[cfg(test)]
    pub fn read(&mut self, max: usize) -> Option<RecvData> {
        let piece = self.take(max)?;
        self.release(piece.data.len());
        Some(piece)
    }

    /// Like [`Receiver::read`], but the bytes stay charged to the receive
    /// window until [`Receiver::release`]: for a caller that moves data
    /// into a queue of its own and frees the window as its user reads.
    pub fn take(&mut self, max: usize) -> Option<RecvData> {
        let front = self.inbox.front_mut()?;
        if front.data.len() > max {
            let head = front.data.split_to(max);
            Some(RecvData { data: head, eor: false, ..front.clone_meta() })
        } else {
            self.inbox.pop_front()
        }
    }

    /// Frees `n` bytes of the receive window taken with [`Receiver::take`].
    pub fn release(&mut self, n: usize) {
        self.buffered = self.buffered.saturating_sub(u32::try_from(n).unwrap_or(u32::MAX));
        self.kick();
    }

    /// Starts a partial delivery when messages being reassembled fill the
    /// window and the application holds almost nothing: otherwise no
    /// arrival could ever complete them (the peer's window probes are
    /// dropped). Arrivals check this as they come; a read that empties
    /// the inbox, or a probe dropped, is the last event before the window
    /// would stay shut (after held data was released in a burst, say).
    fn kick(&mut self) {
        let app_held = self.buffered.saturating_sub(self.reasm_bytes);
        if self.stash.is_some() || self.rwnd() >= 2048 || app_held >= 2048 {
            return;
        }
        if self.intl {
            if let Some(&(sid, _, _)) = self.imsgs.keys().next() {
                self.iservice(sid);
            }
        } else {
            // A violation found here was already acknowledged: ignore.
            let _ = self.maybe_start_partial();
        }
    }

    /// The next piece without taking it.
    pub fn peek(&self) -> Option<&RecvData> {
        self.inbox.front()
    }

    /// Bytes readable now up to the end of the current message.
    pub fn readable(&self) -> bool {
        !self.inbox.is_empty()
    }

    /// Total bytes waiting in the inbox.
    pub fn inbox_bytes(&self) -> usize {
        self.inbox.iter().map(|p| p.data.len()).sum()
    }

    /// Builds the SACK fields: gap blocks relative to the cumulative TSN
    /// (at most `max_gaps`) and the duplicate list (drained).
    pub fn sack_fields(
        &mut self,
        gaps: &mut Vec<(u16, u16)>,
        dups: &mut Vec<u32>,
        max_gaps: usize,
    ) {
        gaps.clear();
        dups.clear();
        for &(s, e) in self.ranges.iter().take(max_gaps) {
            let (so, eo) = (s - self.cum, e - self.cum);
            if eo > u64::from(u16::MAX) {
                if so <= u64::from(u16::MAX) {
                    gaps.push((so as u16, u16::MAX));
                }
                break;
            }
            gaps.push((so as u16, eo as u16));
        }
        dups.append(&mut self.dups);
    }

    /// Drops everything (abort, restart).
    pub fn clear(&mut self) {
        self.reasm.clear();
        self.pd_scan = None;
        self.inbox.clear();
        self.held_unordered.clear();
        self.imsgs.clear();
        self.by_tsn.clear();
        self.stash = None;
        self.ranges.clear();
        self.pd = None;
        self.buffered = 0;
        self.reasm_bytes = 0;
    }

    /// A FORWARD TSN (RFC 3758 3.6) with its raw (stream, ssn) pairs.
    /// Returns None when it is out of date (at or behind the cumulative
    /// TSN, or implausibly far ahead), else the partial delivery it cut
    /// short, if any: (stream, ssn).
    #[cfg(test)]
    pub fn forward_tsn(&mut self, new_cum: u32, pairs: &[u8]) -> Option<Option<(u16, u16)>> {
        self.forward_tsn_any(new_cum, pairs, &[]).map(|a| a.first().map(|&(s, m, _)| (s, m as u16)))
    }

    /// [`Receiver::forward_tsn`] for both forms: `pairs` of FORWARD TSN or
    /// `entries` of I-FORWARD-TSN (stream, unordered, MID). Every cut
    /// partial delivery is reported as (stream, SSN or MID, unordered):
    /// with DATA there is at most one, with I-DATA one per (stream, U).
    pub fn forward_tsn_any(
        &mut self,
        new_cum: u32,
        pairs: &[u8],
        entries: &[(u16, bool, u32)],
    ) -> Option<Vec<(u16, u32, bool)>> {
        let w = self.widen(new_cum);
        if w <= self.cum || w - self.cum > MAX_TSN_AHEAD {
            return None;
        }
        // Everything up to the new point counts as received; received
        // ranges beyond it that now touch it join it.
        self.cum = w;
        self.ranges.retain(|r| r.1 > w);
        while let Some(&(s, e)) = self.ranges.first() {
            if s > self.cum + 1 {
                break;
            }
            self.cum = self.cum.max(e);
            self.ranges.remove(0);
        }
        if let Some(s) = &mut self.stash {
            // Held data below the new point may belong to what it
            // skips: its stream part waits in its place (see `hold`).
            s.insert((w, 1), Stashed::Fwd { pairs: pairs.to_vec(), entries: entries.to_vec() });
            return Some(Vec::new());
        }
        Some(self.forward_streams(w, pairs, entries))
    }

    /// The stream part of a FORWARD TSN or I-FORWARD-TSN whose new
    /// cumulative TSN is `w` (already in effect): partial deliveries cut,
    /// incomplete messages up to `w` dropped, SSNs or MIDs skipped.
    fn forward_streams(
        &mut self,
        w: u64,
        pairs: &[u8],
        entries: &[(u16, bool, u32)],
    ) -> Vec<(u16, u32, bool)> {
        if self.intl {
            return self.iforward(entries);
        }
        let mut aborted = Vec::new();
        if let Some(pd) = self.pd {
            if pd.next <= w {
                // The rest of the message being delivered will not come.
                self.pd = None;
                aborted.push((pd.stream_id, u32::from(pd.ssn), pd.unordered));
                if !pd.unordered {
                    let st = self.stream_mut(usize::from(pd.stream_id));
                    if !lt16(pd.ssn, st.next_ssn) {
                        st.next_ssn = pd.ssn.wrapping_add(1);
                    }
                }
                // Its pieces not yet taken are dropped with it: they are
                // the trailing pieces without end of record.
                while self.inbox.back().is_some_and(|p| !p.eor) {
                    if let Some(p) = self.inbox.pop_back() {
                        self.buffered = self.buffered.saturating_sub(p.data.len() as u32);
                    }
                }
            }
        }
        // Drop partial messages that are missing TSNs at or below the new
        // point; complete ones waiting for their turn stay, and so do
        // chunks above it (received before it, now below `cum`).
        let parked = |k: u64, s: &Self| {
            s.held_unordered.iter().any(|&(b, e)| b <= k && k <= e)
                || s.streams.iter().any(|st| st.waiting.iter().any(|&(_, b, e)| b <= k && k <= e))
        };
        let doomed: Vec<u64> =
            self.reasm.range(..=w).map(|(k, _)| *k).filter(|k| !parked(*k, self)).collect();
        self.pd_scan = None;
        for k in doomed {
            if let Some(c) = self.reasm.remove(&k) {
                let n = c.payload.len() as u32;
                self.buffered = self.buffered.saturating_sub(n);
                self.reasm_bytes = self.reasm_bytes.saturating_sub(n);
            }
        }
        // Skip the streams' sequence numbers (ordered messages only).
        for pair in pairs.chunks_exact(4) {
            let sid = usize::from(u16::from_be_bytes([pair[0], pair[1]]));
            let ssn = u16::from_be_bytes([pair[2], pair[3]]);
            if sid < usize::from(self.in_count) {
                let st = self.stream_mut(sid);
                if !lt16(ssn, st.next_ssn) {
                    st.next_ssn = ssn.wrapping_add(1);
                }
            }
        }
        self.drain_ready();
        // A message now at the head may be deliverable in parts; a
        // violation found here was already acknowledged data: ignore.
        let _ = self.maybe_start_partial();
        aborted
    }

    /// A description of the reassembly state, for debugging.
    pub fn dump(&self) -> String {
        let chunks: Vec<String> = self
            .reasm
            .iter()
            .map(|(k, c)| {
                format!(
                    "{}:s{}/{}{}{}{}",
                    *k as i64 - self.cum as i64,
                    c.stream_id,
                    c.ssn,
                    if c.unordered() { "u" } else { "" },
                    if c.begin() { "B" } else { "" },
                    if c.end() { "E" } else { "" }
                )
            })
            .collect();
        let streams: Vec<String> = self
            .streams
            .iter()
            .map(|s| format!("next {}/{} waiting {:?}", s.next_ssn, s.next_mid, s.waiting))
            .collect();
        let imsgs: Vec<String> = self
            .imsgs
            .iter()
            .map(|(k, m)| {
                let fsns: Vec<u32> = m.frags.keys().copied().collect();
                format!("{k:?}:{fsns:?}/{:?}{}", m.last, if m.pd { " pd" } else { "" })
            })
            .collect();
        format!(
            "cum {} pd {:?} ranges {:?} held {:?} reasm {:?} imsgs {:?} stash {} buffered {} \
             streams {:?}",
            self.cum,
            self.pd,
            self.ranges,
            self.held_unordered,
            chunks,
            imsgs,
            self.stash.as_ref().map_or(0, |s| s.len()),
            self.buffered,
            streams
        )
    }

    /// RFC 6525 5.2.2 E3: the listed incoming streams (all of them when
    /// the list is empty) expect SSN 0 next, and MID 0 with I-DATA (RFC
    /// 8260 2.3.2 resets the MIDs with the SSNs). Numbers beyond the
    /// streams are ignored.
    pub fn reset_in_streams(&mut self, streams: &[u16]) {
        for (i, st) in self.streams.iter_mut().enumerate() {
            if streams.is_empty() || streams.contains(&(i as u16)) {
                st.next_ssn = 0;
                st.next_mid = 0;
            }
        }
    }

    /// RFC 6525 5.2.4 G4, G5 and 5.2.7 H5: the peer's next TSN is
    /// `next`. As a FORWARD TSN over every stream would (RFC 3758 3.6),
    /// complete messages still held are delivered and the rest dropped;
    /// every stream then expects SSN (and MID) 0. Returns the partial
    /// deliveries cut: (stream, SSN or MID, unordered).
    pub fn reset_tsn(&mut self, next: u32) -> Vec<(u16, u32, bool)> {
        let aborted = self.flush_epoch();
        self.ranges.clear();
        self.dups.clear();
        self.cum = u64::from(next.wrapping_sub(1)) + (1 << 32);
        aborted
    }

    /// [`Receiver::reset_tsn`] without the TSNs: complete messages held
    /// are delivered, the rest dropped, every stream expects SSN and MID
    /// 0.
    fn flush_epoch(&mut self) -> Vec<(u16, u32, bool)> {
        let mut aborted = Vec::new();
        if self.intl {
            self.ireset(&mut aborted);
        } else {
            if let Some(pd) = self.pd.take() {
                aborted.push((pd.stream_id, u32::from(pd.ssn), pd.unordered));
                while self.inbox.back().is_some_and(|p| !p.eor) {
                    if let Some(p) = self.inbox.pop_back() {
                        self.buffered = self.buffered.saturating_sub(p.data.len() as u32);
                    }
                }
            }
            let held: Vec<(u64, u64)> = self.held_unordered.drain(..).collect();
            for (b, e) in held {
                self.push_range(b, e, true);
            }
            for sid in 0..self.streams.len() {
                let next_ssn = self.streams[sid].next_ssn;
                let mut w = std::mem::take(&mut self.streams[sid].waiting);
                w.sort_by_key(|x| x.0.wrapping_sub(next_ssn));
                for (_, b, e) in w {
                    self.push_range(b, e, true);
                }
            }
            self.pd_scan = None;
            for (_, c) in std::mem::take(&mut self.reasm) {
                let n = c.payload.len() as u32;
                self.buffered = self.buffered.saturating_sub(n);
                self.reasm_bytes = self.reasm_bytes.saturating_sub(n);
            }
        }
        for st in &mut self.streams {
            st.next_ssn = 0;
            st.next_mid = 0;
            st.waiting.clear();
        }
        aborted
    }

    /// RFC 6525 5.2.5: `n` more incoming streams, expecting SSN 0. The
    /// caller keeps the total within 65535.
    pub fn add_in_streams(&mut self, n: u16) {
        self.in_count = self.in_count.saturating_add(n);
    }

    /// Whether a partial delivery is in progress.
    pub fn in_partial_delivery(&self) -> bool {
        self.pd.is_some() || self.imsgs.values().any(|m| m.pd)
    }

    #[cfg(test)]
    fn ssn_order_ok(&self) -> bool {
        self.streams
            .iter()
            .all(|s| s.waiting.iter().all(|w| !crate::proto::serial::lt16(w.0, s.next_ssn)))
    }
}

impl RecvData {
    fn clone_meta(&self) -> RecvData {
        RecvData { data: Bytes::new(), ..self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::wire::chunk::{DATA_FLAG_BEGIN, DATA_FLAG_END, DATA_FLAG_UNORDERED};

    fn chunk(tsn: u32, sid: u16, ssn: u16, flags: u8, data: &'static [u8]) -> DataChunk {
        DataChunk { flags, tsn, stream_id: sid, ssn, ppid: 0, payload: Bytes::from_static(data) }
    }
    const BE: u8 = DATA_FLAG_BEGIN | DATA_FLAG_END;

    fn drain(r: &mut Receiver) -> Vec<(u16, Vec<u8>)> {
        let mut out = Vec::new();
        let mut cur = Vec::new();
        while let Some(p) = r.read(usize::MAX) {
            cur.extend_from_slice(&p.data);
            if p.eor {
                out.push((p.stream_id, std::mem::take(&mut cur)));
            }
        }
        out
    }

    #[test]
    fn in_order_and_reordered() {
        let mut r = Receiver::new(u32::MAX - 1, 4, 10_000, 5000);
        assert_eq!(r.on_data(chunk(u32::MAX, 0, 1, BE, b"b")), DataOutcome::New);
        assert!(r.has_gaps());
        assert!(drain(&mut r).is_empty(), "ssn 1 waits for ssn 0");
        assert_eq!(r.on_data(chunk(u32::MAX - 1, 0, 0, BE, b"a")), DataOutcome::New);
        assert_eq!(drain(&mut r), vec![(0, b"a".to_vec()), (0, b"b".to_vec())]);
        assert_eq!(r.cum_tsn(), u32::MAX);
        assert_eq!(r.on_data(chunk(u32::MAX, 0, 1, BE, b"b")), DataOutcome::Duplicate);
        let (mut g, mut d) = (Vec::new(), Vec::new());
        r.sack_fields(&mut g, &mut d, 10);
        assert_eq!(d, vec![u32::MAX]);
        assert!(r.ssn_order_ok());
    }

    #[test]
    fn fragments_and_gaps() {
        let mut r = Receiver::new(10, 2, 10_000, 5000);
        r.on_data(chunk(12, 1, 0, DATA_FLAG_END, b"c"));
        r.on_data(chunk(10, 1, 0, DATA_FLAG_BEGIN, b"a"));
        let (mut g, mut d) = (Vec::new(), Vec::new());
        r.sack_fields(&mut g, &mut d, 10);
        assert_eq!((r.cum_tsn(), g.clone()), (10, vec![(2, 2)]));
        assert!(drain(&mut r).is_empty());
        r.on_data(chunk(11, 1, 0, 0, b"b"));
        assert_eq!(drain(&mut r), vec![(1, b"abc".to_vec())]);
        // Unordered overtakes ordered.
        r.on_data(chunk(14, 0, 1, BE, b"o"));
        r.on_data(chunk(15, 0, 0, BE | DATA_FLAG_UNORDERED, b"u"));
        assert_eq!(drain(&mut r), vec![(0, b"u".to_vec())]);
    }

    #[test]
    fn partial_delivery_when_buffer_full() {
        let mut r = Receiver::new(1, 1, 4, 1000);
        r.on_data(chunk(1, 0, 0, DATA_FLAG_BEGIN, b"ab"));
        r.on_data(chunk(2, 0, 0, 0, b"cd"));
        // Window exhausted: new data beyond the highest TSN is dropped.
        assert_eq!(r.on_data(chunk(3, 0, 0, DATA_FLAG_END, b"ef")), DataOutcome::Dropped);
        assert!(r.in_partial_delivery());
        // Pieces come one chunk at a time; a smaller read splits one.
        let p = r.read(3).unwrap();
        assert_eq!((&p.data[..], p.eor), (&b"ab"[..], false));
        let p = r.read(1).unwrap();
        assert_eq!((&p.data[..], p.eor), (&b"c"[..], false));
        let p = r.read(10).unwrap();
        assert_eq!((&p.data[..], p.eor), (&b"d"[..], false));
        assert_eq!(r.on_data(chunk(3, 0, 0, DATA_FLAG_END, b"ef")), DataOutcome::New);
        let p = r.read(10).unwrap();
        assert_eq!((&p.data[..], p.eor), (&b"ef"[..], true));
        assert!(!r.in_partial_delivery());
    }

    #[test]
    fn forward_tsn_skips_cuts_and_keeps_complete_messages() {
        let mut r = Receiver::new(1, 2, 100_000, 4);
        // Stream 0: SSN 0 is a partial message (TSN 1, 2 of 4), delivered
        // in parts (pd_point 4); SSN 1 (TSN 5) is complete and waits.
        r.on_data(chunk(1, 0, 0, DATA_FLAG_BEGIN, b"ab"));
        r.on_data(chunk(2, 0, 0, 0, b"cd"));
        r.on_data(chunk(5, 0, 1, BE, b"next"));
        // Stream 1: SSN 0 lost (TSN 6), SSN 1 (TSN 7) waits.
        r.on_data(chunk(7, 1, 1, BE, b"s1"));
        assert!(r.in_partial_delivery());
        let p = r.take(1).unwrap();
        assert_eq!(&p.data[..], b"a");
        // Out of date: nothing changes.
        assert_eq!(r.forward_tsn(0, &[]), None);
        // The sender abandoned TSN 3, 4 (rest of SSN 0) and 6 (stream 1
        // SSN 0).
        let pairs = [0u8, 0, 0, 0, 0, 1, 0, 0];
        assert_eq!(r.forward_tsn(6, &pairs), Some(Some((0, 0))));
        assert!(!r.in_partial_delivery());
        assert_eq!(r.cum_tsn(), 7);
        // The untaken rest of the cut message is gone; the waiting
        // messages are delivered.
        assert_eq!(drain(&mut r), vec![(0, b"next".to_vec()), (1, b"s1".to_vec())]);
        r.release(1);
        assert_eq!(r.rwnd(), 100_000, "nothing leaked");
        // The skipped SSNs are not waited for again.
        r.on_data(chunk(8, 1, 2, BE, b"go"));
        assert_eq!(drain(&mut r), vec![(1, b"go".to_vec())]);
    }

    /// RFC 6525 5.2.7 H5: while our SSN/TSN reset is out, the peer's data
    /// is kept aside; the answer's Sender's Next TSN (3) splits it into
    /// the old stream state (SSN 1) and the new one (SSN 0 again).
    #[test]
    fn hold_splits_at_the_senders_next_tsn() {
        let mut r = Receiver::new(1, 2, 10_000, 5000);
        r.on_data(chunk(1, 0, 0, BE, b"a"));
        r.hold();
        // Reordered: the new epoch's first message comes first.
        assert_eq!(r.on_data(chunk(3, 0, 0, BE, b"new0")), DataOutcome::New);
        assert_eq!(r.on_data(chunk(2, 0, 1, BE, b"old1")), DataOutcome::New);
        assert_eq!(r.on_data(chunk(2, 0, 1, BE, b"old1")), DataOutcome::Duplicate);
        assert_eq!(r.cum_tsn(), 3, "acknowledged while held");
        assert_eq!(drain(&mut r), vec![(0, b"a".to_vec())], "nothing else delivered yet");
        assert!(r.release_hold(Some(3)).is_empty());
        assert!(!r.holding());
        assert_eq!(drain(&mut r), vec![(0, b"old1".to_vec()), (0, b"new0".to_vec())]);
        r.on_data(chunk(4, 0, 1, BE, b"new1"));
        assert_eq!(drain(&mut r), vec![(0, b"new1".to_vec())]);
        assert_eq!(r.rwnd(), 10_000, "nothing leaked");
        // Denied: what was held is processed as it came.
        r.hold();
        r.on_data(chunk(5, 0, 2, BE, b"x"));
        assert!(r.release_hold(None).is_empty());
        assert_eq!(drain(&mut r), vec![(0, b"x".to_vec())]);
    }

    #[test]
    fn invalid_stream_is_acked_not_delivered() {
        let mut r = Receiver::new(1, 1, 100, 100);
        assert_eq!(r.on_data(chunk(1, 5, 0, BE, b"x")), DataOutcome::InvalidStream);
        assert_eq!(r.cum_tsn(), 1);
        assert!(r.read(10).is_none());
    }
}
