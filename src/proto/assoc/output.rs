//! Packet output: control chunks, SACK, retransmissions, then new data
//! (RFC 9260 6.1), bundled per destination (6.10) within the path MTU,
//! limited by cwnd, the peer's window and Max.Burst.

use super::*;

impl Association {
    /// The next user-visible event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<AssocEvent> {
        pop_or_release(&mut self.events)
    }

    /// The next event of the protocol extensions (see [`ExtEvent`]).
    #[must_use]
    pub fn poll_ext_event(&mut self) -> Option<ExtEvent> {
        pop_or_release(&mut self.ext_events)
    }

    /// The next event for the endpoint's routing table.
    #[must_use]
    pub fn poll_endpoint_event(&mut self) -> Option<EndpointEvent> {
        if let Some(e) = pop_or_release(&mut self.ep_events) {
            return Some(e);
        }
        if self.is_drained() && !self.drained_reported {
            self.drained_reported = true;
            return Some(EndpointEvent::Drained);
        }
        None
    }

    fn header(&self, buf: &mut Vec<u8>, vtag: u32) {
        buf.clear();
        wire::write_header(
            buf,
            &CommonHeader { src_port: self.local_port, dst_port: self.peer_port, vtag },
        );
    }

    fn can_send_data(&self) -> bool {
        matches!(
            self.state,
            AssocState::Established
                | AssocState::ShutdownPending
                | AssocState::ShutdownReceived
                | AssocState::ShutdownSent
                | AssocState::ShutdownAckSent
        )
    }

    /// Builds the next packet into `buf` (cleared first). Call until None.
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        if let Some(front) = pop_or_release(&mut self.ctrl) {
            let (dst, vtag) = (front.dst, front.vtag);
            self.header(buf, vtag);
            buf.extend_from_slice(&front.bytes);
            self.stats.octrlchunks += stats::count_chunks(&front.bytes);
            let mut has_shutdown = front.bytes.first() == Some(&wire::CHUNK_SHUTDOWN);
            let mut ect = false;
            let path = self.path_of(dst.ip());
            let mtu = path
                .map(|i| self.paths[i].mtu as usize)
                .unwrap_or(1200)
                .saturating_sub(self.auth_room());
            if !front.alone {
                while let Some(c) = self.ctrl.front() {
                    if c.dst != dst || c.vtag != vtag || c.alone || buf.len() + c.bytes.len() > mtu
                    {
                        break;
                    }
                    if let Some(c) = self.ctrl.pop_front() {
                        has_shutdown |= c.bytes.first() == Some(&wire::CHUNK_SHUTDOWN);
                        buf.extend_from_slice(&c.bytes);
                        self.stats.octrlchunks += stats::count_chunks(&c.bytes);
                    }
                }
                if vtag == self.peer_tag && vtag != 0 && self.can_send_data() {
                    if let Some(i) = path {
                        if self.ecn_due() {
                            self.write_ecn(buf, mtu);
                        }
                        if self.sack_due {
                            self.write_sack(buf, mtu, has_shutdown);
                        }
                        ect = self.write_data(now, buf, i) && self.ecn_enabled();
                    }
                }
            }
            self.auth_sign(buf);
            wire::finish_packet(buf);
            self.stats.opackets += 1;
            return Some(Transmit {
                dst,
                src_ip: path.and_then(|i| self.src_for(i)),
                len: buf.len(),
                ect,
            });
        }
        if !self.can_send_data() || self.paths.is_empty() {
            return None;
        }
        // RFC 3758 TR3: nothing whose lifetime ended gets a TSN.
        if self.pr_timer.is_some_and(|t| t <= now) {
            self.abandon_expired(now);
        }
        // Retransmissions first (6.1 C), then new data.
        let rtx_path =
            if self.rtx_marked > 0 { self.out.q.iter().find_map(|c| c.rtx) } else { None };
        let dp = rtx_path.unwrap_or_else(|| self.data_path());
        let data_ready = self.data_sendable(dp, rtx_path.is_some());
        // After our SHUTDOWN ACK the peer only waits for it: a later lone
        // SACK could reach it after it deleted the association, and be
        // answered with an ABORT (8.4 rule 8).
        let sack_ready =
            self.sack_due && self.sack_now && self.state != AssocState::ShutdownAckSent;
        let fwd_ready = self.fwd_due && self.pr_enabled() && self.fwd_needed();
        // A CWR is answered at once; an ECNE rides on the SACKs (a CE
        // packet makes one due at once) and DATA until a CWR ends it.
        let cwr_ready = self.cwr_due;
        if !data_ready && !sack_ready && !fwd_ready && !cwr_ready {
            return None;
        }
        let pi = if data_ready {
            dp
        } else if sack_ready {
            self.last_data_path.min(self.paths.len() - 1)
        } else {
            self.data_path()
        };
        let mtu = (self.paths[pi].mtu as usize).saturating_sub(self.auth_room());
        self.header(buf, self.peer_tag);
        if self.ecn_due() {
            self.write_ecn(buf, mtu);
        }
        // (An ECNE alone is no reason for a packet.)
        let body = if cwr_ready { COMMON_HEADER_LEN } else { buf.len() };
        if self.sack_due {
            self.write_sack(buf, mtu, false);
        }
        if fwd_ready {
            // RFC 3758 3.5 C3, F2: bundled ahead of the DATA it allows.
            self.write_forward_tsn(now, buf, mtu);
        }
        let ect = data_ready && self.write_data(now, buf, pi) && self.ecn_enabled();
        if buf.len() <= body {
            return None;
        }
        self.auth_sign(buf);
        wire::finish_packet(buf);
        self.stats.opackets += 1;
        Some(Transmit { dst: self.path_dst(pi), src_ip: self.src_for(pi), len: buf.len(), ect })
    }

    fn data_sendable(&self, pi: usize, rtx: bool) -> bool {
        let p = &self.paths[pi];
        if rtx {
            return self.rtx_bypass || p.cwnd_room();
        }
        if self.burst_left == 0 || !p.cwnd_room() {
            return false;
        }
        let Some(front) = self.next_pending().and_then(|i| self.pending.get(i)) else {
            return false;
        };
        !matches!(self.state, AssocState::ShutdownSent | AssocState::ShutdownAckSent)
            && (self.peer_rwnd as usize >= front.payload.len() || self.out.q.is_empty())
    }

    /// Appends a SACK; in SHUTDOWN-SENT also a SHUTDOWN unless the packet
    /// already carries one (`has_shutdown`).
    fn write_sack(&mut self, buf: &mut Vec<u8>, mtu: usize, has_shutdown: bool) {
        let room = mtu.saturating_sub(buf.len() + 16);
        let max_gaps = (room / 4).min(MAX_SACK_GAPS);
        let mut gaps = super::scratch::pairs();
        let mut dups = super::scratch::dups();
        self.rx.sack_fields(&mut gaps, &mut dups, max_gaps);
        let dup_room = room.saturating_sub(gaps.len() * 4) / 4;
        dups.truncate(dup_room);
        let rwnd = self.rx.rwnd();
        SackChunk::emit(buf, self.rx.cum_tsn(), rwnd, &gaps, &dups);
        self.stats.osacks += 1;
        self.stats.octrlchunks += 1;
        self.rx.last_adv_rwnd = rwnd;
        super::scratch::give_pairs(gaps);
        super::scratch::give_dups(dups);
        self.sack_due = false;
        self.sack_now = false;
        self.pkts_since_sack = 0;
        self.sack_timer = None;
        if self.state == AssocState::ShutdownSent && !has_shutdown && buf.len() + 8 <= mtu {
            // 9.2: in SHUTDOWN-SENT every SACK travels with a SHUTDOWN.
            emit_shutdown(buf, self.rx.cum_tsn());
            self.stats.octrlchunks += 1;
        }
    }

    /// Appends retransmissions for path `pi`, then new data, while they
    /// fit; whether it wrote any.
    fn write_data(&mut self, now: Instant, buf: &mut Vec<u8>, pi: usize) -> bool {
        let mtu = (self.paths[pi].mtu as usize).saturating_sub(self.auth_room());
        let intl = self.intl_enabled();
        let hdr = if intl { wire::chunk::IDATA_HEADER_LEN } else { DATA_HEADER_LEN };
        let mut wrote = false;
        if self.rtx_marked > 0 {
            for idx in 0..self.out.q.len() {
                if self.rtx_marked == 0 {
                    break;
                }
                if self.out.q[idx].rtx != Some(pi) {
                    continue;
                }
                if !self.rtx_bypass && !self.paths[pi].cwnd_room() {
                    break;
                }
                let plen = self.out.q[idx].payload.len();
                let need = hdr + plen + wire::pad4(plen);
                if buf.len() + need > mtu && !alone_oversize(buf) {
                    break;
                }
                let c = &mut self.out.q[idx];
                if intl {
                    let pf = if c.fsn == 0 { c.ppid } else { c.fsn };
                    IDataChunk::emit(buf, c.flags, c.tsn, c.stream_id, c.mid, pf, &c.payload);
                } else {
                    DataChunk::emit(buf, c.flags, c.tsn, c.stream_id, c.ssn, c.ppid, &c.payload);
                }
                c.rtx = None;
                c.path = pi;
                c.tx_count += 1;
                self.stats.rtxchunks += 1;
                c.sent_at = now;
                c.in_flight = true;
                c.misses = 0;
                let (len, tsn) = (c.len(), c.tsn);
                self.rtx_marked -= 1;
                let p = &mut self.paths[pi];
                p.flight_size = p.flight_size.saturating_add(len);
                if p.rtt_probe.is_some_and(|(t, _)| t == tsn) {
                    p.rtt_probe = None;
                }
                wrote = true;
            }
            if wrote {
                self.rtx_bypass = false;
            }
        }
        // New data only when nothing waits for retransmission (6.1 C).
        if self.rtx_marked == 0
            && !matches!(self.state, AssocState::ShutdownSent | AssocState::ShutdownAckSent)
        {
            let mut first = true;
            while let Some(idx) = self.next_pending() {
                let p = &self.paths[pi];
                if !p.cwnd_room() || (first && self.burst_left == 0) {
                    break;
                }
                let len = self.pending[idx].payload.len();
                // 6.1 A: respect the peer's window, except one probe when
                // nothing is in flight.
                if (self.peer_rwnd as usize) < len && !self.out.q.is_empty() {
                    break;
                }
                if buf.len() + hdr + len + wire::pad4(len) > mtu && !alone_oversize(buf) {
                    break;
                }
                let Some(mut c) = self.pending.remove(idx) else {
                    break;
                };
                first = false;
                self.sched_sent(c.stream_id, c.msg, c.flags & DATA_FLAG_END != 0, hdr + len);
                let mut mid = 0;
                let u = usize::from(c.flags & DATA_FLAG_UNORDERED != 0);
                if intl {
                    // RFC 8260 2.1: one MID per message, from a counter
                    // per stream for ordered and one for unordered ones.
                    if let Some(m) = self.out_mid.get_mut(usize::from(c.stream_id)) {
                        if c.flags & DATA_FLAG_BEGIN != 0 {
                            m[u] = m[u].wrapping_add(1);
                        }
                        mid = m[u].wrapping_sub(1);
                    }
                } else if u == 0 {
                    // RFC 9260 6.5: one SSN per message, taken with the
                    // first fragment's TSN; later fragments share it.
                    let i = usize::from(c.stream_id);
                    if self.out_ssn.len() <= i && c.stream_id < self.out_streams {
                        self.out_ssn.resize(i + 1, 0);
                    }
                    if let Some(s) = self.out_ssn.get_mut(i) {
                        if c.flags & DATA_FLAG_BEGIN != 0 {
                            *s = s.wrapping_add(1);
                        }
                        c.ssn = s.wrapping_sub(1);
                    }
                }
                let tsn = self.next_tsn;
                self.next_tsn = tsn.wrapping_add(1);
                if intl {
                    let pf = if c.fsn == 0 { c.ppid } else { c.fsn };
                    IDataChunk::emit(buf, c.flags, tsn, c.stream_id, mid, pf, &c.payload);
                } else {
                    DataChunk::emit(buf, c.flags, tsn, c.stream_id, c.ssn, c.ppid, &c.payload);
                }
                if c.flags & DATA_FLAG_UNORDERED != 0 {
                    self.stats.ouodchunks += 1;
                } else {
                    self.stats.oodchunks += 1;
                }
                let l = c.payload.len() as u32;
                self.peer_rwnd = self.peer_rwnd.saturating_sub(l);
                let p = &mut self.paths[pi];
                p.flight_size = p.flight_size.saturating_add(l);
                if p.rtt_probe.is_none() {
                    p.rtt_probe = Some((tsn, now));
                }
                self.out.q.push_back(TxChunk {
                    tsn,
                    stream_id: c.stream_id,
                    ssn: c.ssn,
                    ppid: c.ppid,
                    flags: c.flags,
                    context: c.context,
                    payload: c.payload,
                    path: pi,
                    tx_count: 1,
                    gap_acked: false,
                    in_flight: true,
                    rtx: None,
                    misses: 0,
                    fast_rtx_done: false,
                    sent_at: now,
                    msg: c.msg,
                    pr: c.pr,
                    expires: c.expires,
                    mid,
                    fsn: c.fsn,
                    abandoned: false,
                });
                wrote = true;
            }
            if !first {
                self.burst_left = self.burst_left.saturating_sub(1);
            }
        }
        if wrote {
            let p = &mut self.paths[pi];
            p.last_sent = now;
            // 6.3.2 R1: start T3-rtx if it is not running.
            if p.t3_rtx.is_none() {
                p.t3_rtx = Some(now + p.rto);
            }
        }
        wrote
    }
}

/// The next item of an event or control queue; an emptied queue gives its
/// buffer back. These queues carry a handful of items at a time, rarely
/// (a handshake, a heartbeat, a notification), and an idle association
/// would otherwise keep every one's buffer (about 350 bytes each for
/// 100,000 associations).
fn pop_or_release<T>(q: &mut std::collections::VecDeque<T>) -> Option<T> {
    let v = q.pop_front();
    if v.is_none() && q.capacity() > 0 {
        *q = std::collections::VecDeque::new();
    }
    v
}

/// Whether a DATA chunk larger than the path MTU may go in this packet
/// anyway: when it would be alone in it. Chunks are cut to the path MTU
/// when a message is queued; after the MTU went down (an ICMP report)
/// the ones cut before would never fit again. Like Linux
/// (`sctp_packet_will_fit`, `ipfragok`), such a chunk goes alone and IP
/// fragments it (RFC 4960 7.3: a datagram that appears too large for the
/// path MTU is retransmitted without DF; the kernel fragments a UDP
/// datagram larger than the MTU it learnt, with IP_PMTUDISC_WANT).
/// (An ECNE or CWR ahead of it does not count: they go with every packet
/// while due, and are 8 bytes each.)
fn alone_oversize(buf: &[u8]) -> bool {
    let mut rest = buf.get(wire::COMMON_HEADER_LEN..).unwrap_or_default();
    while let [t, _, 0, 8, _, _, _, _, tail @ ..] = rest {
        if *t != wire::CHUNK_ECNE && *t != wire::CHUNK_CWR {
            return false;
        }
        rest = tail;
    }
    rest.is_empty()
}
