//! The receiver's I-DATA side (RFC 8260 2.2.3): fragments are reassembled
//! by (stream, U bit, MID) and FSN, not by TSN; ordered messages are
//! delivered per stream in MID order; pieces of messages of different
//! streams may interleave in the inbox (Linux `SCTP_FRAGMENT_INTERLEAVE`
//! level 2): each piece says its stream and U bit, and at most one
//! message per (stream, U bit) is partially delivered at a time, so a
//! reader keys its partial messages by (stream, unordered).

use super::*;
use crate::proto::serial::le32;
use crate::proto::wire::IDataChunk;

/// A message being reassembled.
#[derive(Debug, Default)]
pub(super) struct IMsg {
    /// FSN -> (ext TSN, payload).
    pub(super) frags: BTreeMap<u32, (u64, Bytes)>,
    ppid: u32,
    first_tsn: u32,
    /// FSN of the fragment with the E bit, once here.
    pub(super) last: Option<u32>,
    /// Next FSN to deliver (partial delivery in progress when > 0 or
    /// `pd` set).
    next_fsn: u32,
    pub(super) pd: bool,
}

impl IMsg {
    fn complete(&self) -> bool {
        self.last
            .is_some_and(|l| self.frags.len() as u64 == u64::from(l) + 1 - u64::from(self.next_fsn))
            && self.frags.keys().next() == Some(&self.next_fsn)
    }
    /// Bytes deliverable in FSN order from `next_fsn`.
    fn contiguous_bytes(&self) -> u64 {
        let mut n = 0u64;
        let mut f = self.next_fsn;
        while let Some((_, b)) = self.frags.get(&f) {
            n += b.len() as u64;
            f = f.wrapping_add(1);
        }
        n
    }
}

pub(super) type Key = (u16, bool, u32);

impl Receiver {
    /// Switches to I-DATA reassembly (before any data arrived).
    pub fn set_intl(&mut self, on: bool) {
        self.intl = on;
    }

    /// An I-DATA chunk arrived.
    pub fn on_idata(&mut self, c: IDataChunk) -> DataOutcome {
        let t = self.widen(c.tsn);
        if self.received(t) {
            if self.dups.len() < MAX_DUPS {
                self.dups.push(c.tsn);
            }
            return DataOutcome::Duplicate;
        }
        if t <= self.cum || t - self.cum > MAX_TSN_AHEAD {
            return DataOutcome::Dropped;
        }
        if c.stream_id >= self.in_count {
            if !self.mark(t) {
                return DataOutcome::Dropped;
            }
            return DataOutcome::InvalidStream;
        }
        let len = u32::try_from(c.payload.len()).unwrap_or(u32::MAX);
        if self.buffered.saturating_add(len) > self.rcvbuf && !self.hold_overflow(t, len) {
            if t > self.highest() {
                self.kick();
                return DataOutcome::Dropped;
            }
            while self.buffered.saturating_add(len) > self.rcvbuf {
                if !self.irenege_highest(t) {
                    self.kick();
                    return DataOutcome::Dropped;
                }
            }
        }
        if self.stash.is_some() {
            return self.stash_chunk(t, len, Stashed::IData(c));
        }
        self.iplace(t, c, false)
    }

    /// Files I-DATA chunk `c` (ext TSN `t`) into its message and delivers
    /// what became deliverable. `replay`: it comes from the stash, already
    /// marked received and counted in the buffer.
    pub(super) fn iplace(&mut self, t: u64, c: IDataChunk, replay: bool) -> DataOutcome {
        let len = u32::try_from(c.payload.len()).unwrap_or(u32::MAX);
        let unaccount = |r: &mut Self| {
            r.buffered = r.buffered.saturating_sub(len);
            r.reasm_bytes = r.reasm_bytes.saturating_sub(len);
        };
        let key: Key = (c.stream_id, c.unordered(), c.mid);
        let fsn = c.fsn();
        // A message that was (partly) delivered already, or a fragment
        // beyond its end: the peer is confused; acknowledge and drop.
        if !c.unordered()
            && !crate::proto::serial::le32(self.next_mid(usize::from(c.stream_id)), c.mid)
        {
            if replay {
                unaccount(self);
            } else if !self.mark(t) {
                return DataOutcome::Dropped;
            }
            return DataOutcome::New;
        }
        let m = self.imsgs.entry(key).or_default();
        if fsn < m.next_fsn
            || m.frags.contains_key(&fsn)
            || m.last.is_some_and(|l| fsn > l)
            || (c.end() && m.frags.keys().next_back().is_some_and(|&k| k > fsn))
        {
            if replay {
                unaccount(self);
            }
            return DataOutcome::Violation;
        }
        if c.end() {
            m.last = Some(fsn);
        }
        if c.begin() {
            m.ppid = c.ppid_fsn;
            m.first_tsn = c.tsn;
        }
        m.frags.insert(fsn, (t, c.payload));
        if !replay {
            if !self.mark(t) {
                // Undo: no room to track it.
                if let Some(m) = self.imsgs.get_mut(&key) {
                    m.frags.remove(&fsn);
                }
                return DataOutcome::Dropped;
            }
            self.buffered = self.buffered.saturating_add(len);
            self.reasm_bytes = self.reasm_bytes.saturating_add(len);
        }
        self.by_tsn.insert(t, (key, fsn));
        self.iservice(c.stream_id);
        DataOutcome::New
    }

    /// Receive buffer nearly full with nothing for the application to
    /// read: partial delivery may start (as `maybe_start_partial`).
    fn ifull(&self) -> bool {
        let app_held = self.buffered.saturating_sub(self.reasm_bytes);
        self.rwnd() < 2048 && app_held < 2048
    }

    /// Delivers what stream `sid` can deliver now, ordered and unordered;
    /// when the buffer is full, every stream is looked at.
    pub(super) fn iservice(&mut self, sid: u16) {
        if self.ifull() {
            let sids: Vec<u16> = {
                let mut v: Vec<u16> = self.imsgs.keys().map(|k| k.0).collect();
                v.dedup();
                v
            };
            for s in sids {
                self.iservice_one(s);
            }
        } else {
            self.iservice_one(sid);
        }
    }

    fn iservice_one(&mut self, sid: u16) {
        // Ordered: in MID order.
        loop {
            if sid >= self.in_count {
                return;
            }
            let key = (sid, false, self.next_mid(usize::from(sid)));
            let Some(m) = self.imsgs.get(&key) else { break };
            if m.complete() {
                self.ipush(key, true);
                self.stream_mut(usize::from(sid)).next_mid = key.2.wrapping_add(1);
                continue;
            }
            let has_head = m.pd || m.frags.contains_key(&0);
            if has_head
                && (m.pd || m.contiguous_bytes() >= u64::from(self.pd_point) || self.ifull())
            {
                self.ipush(key, false);
            }
            break;
        }
        // Unordered: a message being delivered in parts goes on; others
        // wait for it, then go whole as they complete.
        let pd = self
            .imsgs
            .range((sid, true, 0)..=(sid, true, u32::MAX))
            .find(|(_, m)| m.pd)
            .map(|(k, _)| *k);
        if let Some(k) = pd {
            let done = self.imsgs.get(&k).is_some_and(|m| m.complete());
            self.ipush(k, done);
            if !done {
                return;
            }
        }
        loop {
            let next = self
                .imsgs
                .range((sid, true, 0)..=(sid, true, u32::MAX))
                .find(|(_, m)| m.complete())
                .map(|(k, _)| *k);
            let Some(k) = next else { break };
            self.ipush(k, true);
        }
        let start = self
            .imsgs
            .range((sid, true, 0)..=(sid, true, u32::MAX))
            .find(|(_, m)| {
                m.frags.contains_key(&0)
                    && (m.contiguous_bytes() >= u64::from(self.pd_point) || self.ifull())
            })
            .map(|(k, _)| *k);
        if let Some(k) = start {
            self.ipush(k, false);
        }
    }

    /// Moves message `key`'s deliverable fragments to the inbox; the
    /// message is finished when `whole` (it is complete).
    fn ipush(&mut self, key: Key, whole: bool) {
        let cum = self.cum as u32;
        let Some(m) = self.imsgs.get_mut(&key) else { return };
        while let Some((t, data)) = m.frags.remove(&m.next_fsn) {
            self.by_tsn.remove(&t);
            let n = data.len() as u32;
            self.reasm_bytes = self.reasm_bytes.saturating_sub(n);
            let eor = m.last == Some(m.next_fsn);
            self.inbox.push_back(RecvData {
                stream_id: key.0,
                ssn: key.2 as u16,
                ppid: m.ppid,
                tsn: m.first_tsn,
                cum_tsn: cum,
                unordered: key.1,
                data,
                eor,
            });
            m.next_fsn = m.next_fsn.wrapping_add(1);
            if eor {
                break;
            }
        }
        let finished = whole || m.last.is_some_and(|l| m.next_fsn > l);
        m.pd = !finished;
        if finished {
            self.imsgs.remove(&key);
        }
    }

    /// Drops the highest TSN above `t` held for reassembly and forgets it
    /// was received (RFC 9260 6.2 reneging), unless it is at or below the
    /// cumulative TSN. Returns false if there is none.
    fn irenege_highest(&mut self, t: u64) -> bool {
        let Some((&k, &(key, fsn))) = self.by_tsn.iter().next_back() else { return false };
        if k <= t || k <= self.cum {
            return false;
        }
        self.by_tsn.remove(&k);
        if let Some(m) = self.imsgs.get_mut(&key) {
            if let Some((_, b)) = m.frags.remove(&fsn) {
                let n = b.len() as u32;
                self.buffered = self.buffered.saturating_sub(n);
                self.reasm_bytes = self.reasm_bytes.saturating_sub(n);
            }
            if m.last == Some(fsn) {
                m.last = None;
            }
            if m.frags.is_empty() && !m.pd {
                self.imsgs.remove(&key);
            }
        }
        self.unmark(k);
        true
    }

    /// The I-FORWARD-TSN entries (RFC 8260 2.3.1), after the cumulative
    /// TSN moved: skipped messages up to each MID are dropped (complete
    /// ones delivered), the ordered MID skipped, partial deliveries cut.
    /// Returns every partial delivery cut: (stream, MID, unordered). One
    /// I-FORWARD-TSN may cut several, one per (stream, U) (RFC 8260 2.3.1
    /// allows an entry per stream and U bit), and each must be reported:
    /// a reader that took the first pieces of a cut message learns only
    /// from the report that no more will come.
    pub(super) fn iforward(&mut self, entries: &[(u16, bool, u32)]) -> Vec<(u16, u32, bool)> {
        let mut aborted = Vec::new();
        for &(sid, u, mid) in entries {
            if sid >= self.in_count {
                continue;
            }
            let next_mid = self.next_mid(usize::from(sid));
            let mut keys: Vec<(bool, Key)> = self
                .imsgs
                .range((sid, u, 0)..=(sid, u, u32::MAX))
                .filter(|(k, _)| le32(k.2, mid) && (u || le32(next_mid, k.2)))
                .map(|(k, m)| (m.pd, *k))
                .collect();
            // The message being delivered in parts is cut first, so that
            // its untaken pieces are still the last of its (stream, U) in
            // the inbox; then the complete messages go, oldest MID first
            // (serial order, RFC 8260 2.1).
            keys.sort_by_key(|&(pd, k)| (!pd, core::cmp::Reverse(mid.wrapping_sub(k.2))));
            for (_, k) in keys {
                let (complete, pd) = match self.imsgs.get(&k) {
                    Some(m) => (m.complete(), m.pd),
                    None => continue,
                };
                if complete {
                    self.ipush(k, true);
                    continue;
                }
                if pd {
                    aborted.push((sid, k.2, u));
                    self.ipurge_inbox(sid, u);
                }
                if let Some(m) = self.imsgs.remove(&k) {
                    for (_, (t, b)) in m.frags {
                        self.by_tsn.remove(&t);
                        let n = b.len() as u32;
                        self.buffered = self.buffered.saturating_sub(n);
                        self.reasm_bytes = self.reasm_bytes.saturating_sub(n);
                    }
                }
            }
            if !u {
                let st = self.stream_mut(usize::from(sid));
                if le32(st.next_mid, mid) {
                    st.next_mid = mid.wrapping_add(1);
                }
            }
        }
        let sids: Vec<u16> = entries.iter().map(|e| e.0).collect();
        for s in sids {
            self.iservice_one(s);
        }
        aborted
    }

    /// [`Receiver::reset_tsn`] for I-DATA: complete messages are
    /// delivered, partial deliveries cut (reported in `aborted`), the
    /// rest dropped.
    pub(super) fn ireset(&mut self, aborted: &mut Vec<(u16, u32, bool)>) {
        // Cut partial deliveries first, so that their untaken pieces
        // are still the last of their (stream, U) in the inbox.
        let mut keys: Vec<(bool, Key)> = self.imsgs.iter().map(|(k, m)| (!m.pd, *k)).collect();
        keys.sort();
        for (not_pd, k) in keys {
            if !not_pd {
                aborted.push((k.0, k.2, k.1));
                self.ipurge_inbox(k.0, k.1);
            } else if self.imsgs.get(&k).is_some_and(|m| m.complete()) {
                self.ipush(k, true);
                continue;
            }
            if let Some(m) = self.imsgs.remove(&k) {
                for (_, (_, b)) in m.frags {
                    let n = b.len() as u32;
                    self.buffered = self.buffered.saturating_sub(n);
                    self.reasm_bytes = self.reasm_bytes.saturating_sub(n);
                }
            }
        }
        self.by_tsn.clear();
    }

    /// Removes the queued pieces of the message of (stream, U) being
    /// delivered in parts: those after that pair's last end of record.
    fn ipurge_inbox(&mut self, sid: u16, u: bool) {
        let mut cut = Vec::new();
        for (i, p) in self.inbox.iter().enumerate().rev() {
            if p.stream_id == sid && p.unordered == u {
                if p.eor {
                    break;
                }
                cut.push(i);
            }
        }
        for i in cut {
            if let Some(p) = self.inbox.remove(i) {
                self.buffered = self.buffered.saturating_sub(p.data.len() as u32);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::wire::chunk::{DATA_FLAG_BEGIN, DATA_FLAG_END, DATA_FLAG_UNORDERED};

    fn ich(tsn: u32, sid: u16, mid: u32, fsn: u32, flags: u8, data: &'static [u8]) -> IDataChunk {
        // The B bit carries the PPID in the FSN field's place.
        let ppid_fsn = if flags & DATA_FLAG_BEGIN != 0 { 0 } else { fsn };
        IDataChunk { flags, tsn, stream_id: sid, mid, ppid_fsn, payload: Bytes::from_static(data) }
    }

    /// Seed 663 of sim_idata: one I-FORWARD-TSN cut two partial
    /// deliveries (streams 3 and 2); only the first was reported, so the
    /// reader glued the taken head of stream 2's cut message to the next
    /// message of stream 2. Every cut is reported now.
    #[test]
    fn one_iforward_cuts_two_partial_deliveries_and_reports_both() {
        let mut r = Receiver::new(1, 4, 100_000, 2);
        r.set_intl(true);
        // Stream 2 MID 0 and stream 3 MID 0: first fragments only,
        // delivered in parts (pd_point 2).
        assert_eq!(r.on_idata(ich(1, 2, 0, 0, DATA_FLAG_BEGIN, b"aa")), DataOutcome::New);
        assert_eq!(r.on_idata(ich(2, 3, 0, 0, DATA_FLAG_BEGIN, b"bb")), DataOutcome::New);
        // An unordered message on stream 3 in parts as well, and a
        // complete unordered one behind it.
        let u = DATA_FLAG_UNORDERED;
        assert_eq!(r.on_idata(ich(3, 3, 0, 0, u | DATA_FLAG_BEGIN, b"cc")), DataOutcome::New);
        assert_eq!(
            r.on_idata(ich(4, 3, 1, 0, u | DATA_FLAG_BEGIN | DATA_FLAG_END, b"d")),
            DataOutcome::New
        );
        assert!(r.in_partial_delivery());
        // The reader takes the first piece of stream 2's message.
        let p = r.read(usize::MAX).unwrap();
        assert_eq!((p.stream_id, &p.data[..], p.eor), (2, &b"aa"[..], false));
        // TSN 5..=7 abandoned: the rest of stream 2 MID 0, stream 3 MID 0,
        // and stream 3's unordered MID 0.
        let e = [(3u16, false, 0u32), (2, false, 0), (3, true, 1)];
        let mut cut = r.forward_tsn_any(7, &[], &e).unwrap();
        cut.sort();
        assert_eq!(cut, vec![(2, 0, false), (3, 0, false), (3, 0, true)]);
        assert!(!r.in_partial_delivery());
        // What is left to read: only the complete unordered message, whole.
        let p = r.read(usize::MAX).unwrap();
        assert_eq!((p.stream_id, &p.data[..], p.eor, p.unordered), (3, &b"d"[..], true, true));
        assert!(r.read(usize::MAX).is_none());
        assert_eq!(r.rwnd(), 100_000, "nothing leaked");
    }
}
