//! Stream reconfiguration (RFC 6525): the RE-CONFIG chunk's requests and
//! responses, negotiated through the Supported Extensions parameter
//! (5.1.1). Where the RFC leaves a choice, Linux (net/sctp/stream.c)
//! decides: the errors of the user calls, which requests are answered
//! "In progress", and the event flags.

use super::*;
use crate::proto::wire::reconf::{
    allowed_combination, emit_reconf, parse_reconf, ReconfParam, RESULT_DENIED, RESULT_ERR_BAD_SEQ,
    RESULT_ERR_IN_PROGRESS, RESULT_ERR_WRONG_SSN, RESULT_IN_PROGRESS, RESULT_PERFORMED,
};

/// `SCTP_ENABLE_STREAM_RESET` bits (RFC 6525 6.3.1) of
/// [`Config::enable_stream_reset`].
pub const SCTP_ENABLE_RESET_STREAM_REQ: u8 = 1;
pub const SCTP_ENABLE_RESET_ASSOC_REQ: u8 = 2;
pub const SCTP_ENABLE_CHANGE_ASSOC_REQ: u8 = 4;

/// Why a reconfiguration call was refused; [`ReconfError::errno`] gives
/// the errno Linux returns for the same case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReconfError {
    /// RE-CONFIG was not negotiated (`ENOPROTOOPT`; RFC 6525 5.1.1).
    NotNegotiated,
    /// A request of ours is still unanswered (`EINPROGRESS`; RFC 6525
    /// 5.1.1: one request in flight at a time).
    InProgress,
    /// A stream number beyond the association's streams, nothing to do,
    /// or more than 65535 streams (`EINVAL`).
    Invalid,
    /// Data of the affected streams is queued or in flight (`EAGAIN`;
    /// RFC 6525 5.1.2 A1 and 5.1.4 C2, as Linux refuses rather than waits).
    Again,
    /// The association is not established (`ENOTCONN`).
    NotConnected,
}

impl ReconfError {
    /// The Linux errno for this error.
    pub fn errno(self) -> i32 {
        match self {
            ReconfError::NotNegotiated => 92, // ENOPROTOOPT
            ReconfError::InProgress => 115,   // EINPROGRESS
            ReconfError::Invalid => 22,       // EINVAL
            ReconfError::Again => 11,         // EAGAIN
            ReconfError::NotConnected => 107, // ENOTCONN
        }
    }
}

impl core::fmt::Display for ReconfError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let s = match self {
            ReconfError::NotNegotiated => "stream reconfiguration not negotiated",
            ReconfError::InProgress => "a reconfiguration request is outstanding",
            ReconfError::Invalid => "invalid reconfiguration request",
            ReconfError::Again => "data of the streams is queued or in flight",
            ReconfError::NotConnected => "association not established",
        };
        f.write_str(s)
    }
}

impl std::error::Error for ReconfError {}

/// Flags of [`ExtEvent::StreamReset`] (RFC 6525 6.1.1; Linux values).
pub const SCTP_STREAM_RESET_INCOMING_SSN: u16 = 1;
pub const SCTP_STREAM_RESET_OUTGOING_SSN: u16 = 2;
pub const SCTP_STREAM_RESET_DENIED: u16 = 4;
pub const SCTP_STREAM_RESET_FAILED: u16 = 8;
/// Flags of [`ExtEvent::AssocReset`] (RFC 6525 6.1.2).
pub const SCTP_ASSOC_RESET_DENIED: u16 = 4;
pub const SCTP_ASSOC_RESET_FAILED: u16 = 8;
/// Flags of [`ExtEvent::StreamChange`] (RFC 6525 6.1.3).
pub const SCTP_STREAM_CHANGE_DENIED: u16 = 4;
pub const SCTP_STREAM_CHANGE_FAILED: u16 = 8;

/// Most stream numbers one request may list: the RE-CONFIG chunk length
/// is 16 bits (two lists of this size still fit).
const MAX_LISTED: usize = 16_000;

/// Our request in flight (RFC 6525 5.1.1: at most one RE-CONFIG chunk
/// with requests at a time).
#[derive(Debug)]
struct Outgoing {
    /// The request parameters of the chunk, and whether each is answered.
    reqs: Vec<(ReconfParam, bool)>,
    /// The chunk, for retransmission.
    bytes: Vec<u8>,
    /// The latest answer was "In progress": the next expiry retransmits
    /// without counting an error (5.2.7 H2).
    in_progress: bool,
}

/// A peer's Outgoing SSN Reset Request waiting for our cumulative TSN to
/// reach its Sender's Last Assigned TSN (5.2.2 E2).
#[derive(Debug)]
struct Deferred {
    req_seq: u32,
    last_tsn: u32,
    streams: Vec<u16>,
}

/// What became of a peer's request.
enum Outcome {
    /// Answer with this result (and TSNs); the request is done.
    Reply(u32, Option<(u32, u32)>),
    /// Answer "In progress" and expect the request again: the sequence
    /// number does not advance (Linux: the retransmission is processed
    /// anew).
    Retry,
    /// Performed, answered by a request of ours (5.2.3 F1, 5.2.6).
    Answered,
}

/// Reconfiguration state of an association.
#[derive(Debug, Default)]
pub(super) struct ReconfState {
    /// Next Re-configuration Request Sequence Number we assign (5.1.2
    /// A2); the first is our initial TSN.
    next_req: u32,
    /// The peer's next expected request sequence number (5.2.1).
    peer_next: u32,
    /// Results given to the peer's last two requests (`peer_next - 1`,
    /// then `- 2`), with an SSN/TSN reset's TSNs: a retransmitted request
    /// gets the same answer (5.2.1).
    results: [(u32, Option<(u32, u32)>); 2],
    // Boxed: only while a request is under way (an idle association
    // keeps only the sequence numbers).
    out: Option<Box<Outgoing>>,
    deferred: Option<Box<Deferred>>,
    /// Sequence number of our Incoming SSN Reset Request that the peer
    /// answered "Performed": its Outgoing SSN Reset Request carrying it
    /// is the reset we asked for.
    in_done: Option<u32>,
    /// Our Add Incoming Streams Request was answered "Performed": the
    /// peer's Add Outgoing Streams Request is the change we asked for.
    add_in_done: bool,
    /// The Re-configuration Timer (5.1.1).
    pub(super) timer: Option<Instant>,
}

impl ReconfState {
    /// Request sequence numbers start at each side's initial TSN (RFC
    /// 6525 4.1: "initialized to the same value as the initial TSN").
    pub(super) fn new(local_initial_tsn: u32, peer_initial_tsn: u32) -> Self {
        ReconfState {
            next_req: local_initial_tsn,
            peer_next: peer_initial_tsn,
            ..ReconfState::default()
        }
    }

    fn record(&mut self, result: u32, tsns: Option<(u32, u32)>) {
        self.results[1] = self.results[0];
        self.results[0] = (result, tsns);
    }

    /// Index in `results` of request `seq`, if it is one of the last two.
    fn result_index(&self, seq: u32) -> Option<usize> {
        match self.peer_next.wrapping_sub(seq) {
            1 => Some(0),
            2 => Some(1),
            _ => None,
        }
    }
}

fn req_seq(p: &ReconfParam) -> Option<u32> {
    match p {
        ReconfParam::OutReset { req_seq, .. }
        | ReconfParam::InReset { req_seq, .. }
        | ReconfParam::SsnTsnReset { req_seq }
        | ReconfParam::AddOut { req_seq, .. }
        | ReconfParam::AddIn { req_seq, .. } => Some(*req_seq),
        ReconfParam::Response { .. } | ReconfParam::Unknown { .. } => None,
    }
}

fn failed_flag(result: u32, denied: u16, failed: u16) -> u16 {
    if result == RESULT_DENIED {
        denied
    } else {
        failed
    }
}

impl Association {
    /// Whether stream reconfiguration was negotiated (both sides listed
    /// RE-CONFIG in Supported Extensions, RFC 6525 5.1.1).
    pub fn reconf_enabled(&self) -> bool {
        self.cfg.reconf_supported && self.peer_reconf
    }

    /// Whether a reconfiguration request of ours is unanswered.
    pub fn reconf_outstanding(&self) -> bool {
        self.rc.out.is_some()
    }

    /// Resets the SSNs of our outgoing streams (`outgoing`, RFC 6525
    /// 5.1.2) and/or asks the peer to reset its outgoing streams, our
    /// incoming ones (`incoming`, 5.1.3); `streams` empty: all of them
    /// (Linux `SCTP_RESET_STREAMS`). Until the peer answers, no data of
    /// the reset outgoing streams is sent (5.1.2 A1: it stays queued).
    /// The outcome arrives as [`ExtEvent::StreamReset`].
    pub fn reset_streams(
        &mut self,
        now: Instant,
        outgoing: bool,
        incoming: bool,
        streams: &[u16],
    ) -> Result<(), ReconfError> {
        self.reconf_precheck()?;
        if (!outgoing && !incoming) || streams.len() > MAX_LISTED {
            return Err(ReconfError::Invalid);
        }
        if outgoing && streams.iter().any(|&s| s >= self.out_streams) {
            return Err(ReconfError::Invalid);
        }
        if incoming && streams.iter().any(|&s| s >= self.rx.in_streams()) {
            return Err(ReconfError::Invalid);
        }
        if outgoing && self.streams_busy(streams) {
            return Err(ReconfError::Again);
        }
        let mut params = Vec::with_capacity(2);
        let mut seq = self.rc.next_req;
        if outgoing {
            // 5.1.2 A2-A4.
            params.push(ReconfParam::OutReset {
                req_seq: seq,
                resp_seq: self.rc.peer_next.wrapping_sub(1),
                last_tsn: self.next_tsn.wrapping_sub(1),
                streams: streams.to_vec(),
            });
            seq = seq.wrapping_add(1);
        }
        if incoming {
            // 5.1.3 B1, B2.
            params.push(ReconfParam::InReset { req_seq: seq, streams: streams.to_vec() });
            seq = seq.wrapping_add(1);
        }
        self.rc.next_req = seq;
        self.start_request(now, params);
        Ok(())
    }

    /// Adds `out` outgoing streams (RFC 6525 5.1.5) and asks the peer to
    /// add `inn` outgoing streams, our incoming ones (5.1.6) (Linux
    /// `SCTP_ADD_STREAMS`). New streams are usable once the peer agreed;
    /// the outcome arrives as [`ExtEvent::StreamChange`].
    pub fn add_streams(&mut self, now: Instant, out: u16, inn: u16) -> Result<(), ReconfError> {
        self.reconf_precheck()?;
        if (out == 0 && inn == 0)
            || u32::from(self.out_streams) + u32::from(out) > u32::from(u16::MAX)
            || u32::from(self.rx.in_streams()) + u32::from(inn) > u32::from(u16::MAX)
        {
            return Err(ReconfError::Invalid);
        }
        let mut params = Vec::with_capacity(2);
        let mut seq = self.rc.next_req;
        if out > 0 {
            params.push(ReconfParam::AddOut { req_seq: seq, count: out });
            seq = seq.wrapping_add(1);
        }
        if inn > 0 {
            params.push(ReconfParam::AddIn { req_seq: seq, count: inn });
            seq = seq.wrapping_add(1);
        }
        self.rc.next_req = seq;
        self.start_request(now, params);
        Ok(())
    }

    /// Resets the SSNs and TSNs of the association (RFC 6525 5.1.4; Linux
    /// `SCTP_RESET_ASSOC`). Refused with EAGAIN while any data is queued
    /// or in flight (C2, as Linux); data queued meanwhile waits for the
    /// answer. The outcome arrives as [`ExtEvent::AssocReset`].
    pub fn reset_assoc(&mut self, now: Instant) -> Result<(), ReconfError> {
        self.reconf_precheck()?;
        if !self.pending.is_empty() || !self.out.q.is_empty() {
            return Err(ReconfError::Again);
        }
        let seq = self.rc.next_req;
        self.rc.next_req = seq.wrapping_add(1);
        self.start_request(now, vec![ReconfParam::SsnTsnReset { req_seq: seq }]);
        // H5: data arriving before the answer may be of either side of
        // the peer's reset; it waits for the answer to tell.
        self.rx.hold();
        Ok(())
    }

    /// The checks every user request starts with (Linux order).
    fn reconf_precheck(&self) -> Result<(), ReconfError> {
        if self.state != AssocState::Established {
            return Err(ReconfError::NotConnected);
        }
        if !self.reconf_enabled() {
            return Err(ReconfError::NotNegotiated);
        }
        if self.rc.out.is_some() {
            return Err(ReconfError::InProgress);
        }
        Ok(())
    }

    /// Whether data of the listed outgoing streams (all when empty) is
    /// queued or in flight.
    fn streams_busy(&self, streams: &[u16]) -> bool {
        let hit = |s: u16| streams.is_empty() || streams.contains(&s);
        self.pending.iter().any(|c| hit(c.stream_id)) || self.out.q.iter().any(|c| hit(c.stream_id))
    }

    /// Whether new data of outgoing stream `sid` must wait: an Outgoing
    /// SSN Reset Request for it (5.1.2 A1) or an SSN/TSN Reset Request
    /// (5.1.4 C2) is unanswered.
    pub(super) fn stream_blocked(&self, sid: u16) -> bool {
        let Some(o) = &self.rc.out else { return false };
        o.reqs.iter().any(|(p, done)| {
            !done
                && match p {
                    ReconfParam::OutReset { streams, .. } => {
                        streams.is_empty() || streams.contains(&sid)
                    }
                    ReconfParam::SsnTsnReset { .. } => true,
                    _ => false,
                }
        })
    }

    /// Sends a chunk of requests and starts the Re-configuration Timer
    /// (5.1.1).
    fn start_request(&mut self, now: Instant, params: Vec<ReconfParam>) {
        let mut b = Vec::new();
        emit_reconf(&mut b, &params);
        let p = self.data_path();
        self.ctrl.push_back(Ctrl {
            dst: self.path_dst(p),
            vtag: self.peer_tag,
            alone: false,
            bytes: b.clone(),
        });
        self.rc.timer = Some(now + self.paths[p].rto);
        self.rc.out = Some(Box::new(Outgoing {
            reqs: params.into_iter().map(|p| (p, false)).collect(),
            bytes: b,
            in_progress: false,
        }));
    }

    fn send_reconf(&mut self, params: &[ReconfParam]) {
        let mut b = Vec::new();
        emit_reconf(&mut b, params);
        let p = self.data_path();
        self.ctrl.push_back(Ctrl {
            dst: self.path_dst(p),
            vtag: self.peer_tag,
            alone: false,
            bytes: b,
        });
    }

    /// The Re-configuration Timer expired (5.1.1): retransmit, back off,
    /// count an error against the path and the association, unless the
    /// peer said "In progress" (5.2.7 H2).
    pub(super) fn on_reconf_timer(&mut self, now: Instant) {
        self.rc.timer = None;
        let Some(o) = &self.rc.out else { return };
        let (bytes, counted) = (o.bytes.clone(), !o.in_progress);
        if counted && !self.strike(now, self.data_path()) {
            return;
        }
        let p = self.data_path();
        self.ctrl.push_back(Ctrl {
            dst: self.path_dst(p),
            vtag: self.peer_tag,
            alone: false,
            bytes,
        });
        self.rc.timer = Some(now + self.paths[p].rto);
    }

    /// A RE-CONFIG chunk arrived (5.2.1).
    pub(super) fn on_reconf(&mut self, now: Instant, value: &Bytes) {
        if !matches!(
            self.state,
            AssocState::Established
                | AssocState::ShutdownPending
                | AssocState::ShutdownSent
                | AssocState::ShutdownReceived
        ) {
            return;
        }
        let params = match parse_reconf(value) {
            Ok(p) if allowed_combination(&p) => p,
            _ => {
                // RFC 6525 3.1: an unsupported combination is answered
                // with a Protocol Violation; so is a malformed chunk.
                let mut causes = Vec::new();
                Cause::ProtocolViolation(Bytes::from_static(b"bad RE-CONFIG")).emit(&mut causes);
                let mut b = Vec::new();
                emit_raw(&mut b, CHUNK_ERROR, 0, wire::cause::trim_last_pad(&causes));
                let p = self.data_path();
                self.ctrl.push_back(Ctrl {
                    dst: self.path_dst(p),
                    vtag: self.peer_tag,
                    alone: false,
                    bytes: b,
                });
                return;
            }
        };
        let mut replies = Vec::with_capacity(2);
        for p in params {
            if let ReconfParam::Response { resp_seq, result, tsns } = p {
                self.on_reconf_response(now, resp_seq, result, tsns);
            } else if let Some(r) = self.on_reconf_request(now, &p) {
                replies.push(r);
            }
            if self.state == AssocState::Closed {
                return;
            }
        }
        if !replies.is_empty() {
            // 5.2.1: answers go in one chunk, with a SACK (Implementation
            // Note) bundled.
            self.send_reconf(&replies);
            self.sack_due = true;
        }
    }

    /// A request of the peer; returns the response to send, if any.
    fn on_reconf_request(&mut self, now: Instant, p: &ReconfParam) -> Option<ReconfParam> {
        let seq = req_seq(p)?;
        if seq != self.rc.peer_next {
            // 5.2.1: a retransmission gets the earlier answer; any other
            // number is a bad one.
            let (result, tsns) = match self.rc.result_index(seq) {
                Some(i) => self.rc.results[i],
                None => (RESULT_ERR_BAD_SEQ, None),
            };
            return Some(ReconfParam::Response { resp_seq: seq, result, tsns });
        }
        let outcome = match p {
            ReconfParam::OutReset { req_seq, resp_seq, last_tsn, streams } => {
                self.peer_out_reset(*req_seq, *resp_seq, *last_tsn, streams)
            }
            ReconfParam::InReset { req_seq, streams } => self.peer_in_reset(now, *req_seq, streams),
            ReconfParam::AddOut { count, .. } => self.peer_add_out(*count),
            ReconfParam::SsnTsnReset { .. } => self.peer_tsn_reset(),
            ReconfParam::AddIn { count, .. } => self.peer_add_in(now, *count),
            _ => Outcome::Reply(RESULT_DENIED, None),
        };
        match outcome {
            Outcome::Reply(result, tsns) => {
                self.rc.peer_next = seq.wrapping_add(1);
                self.rc.record(result, tsns);
                Some(ReconfParam::Response { resp_seq: seq, result, tsns })
            }
            Outcome::Retry => Some(ReconfParam::Response {
                resp_seq: seq,
                result: RESULT_IN_PROGRESS,
                tsns: None,
            }),
            Outcome::Answered => {
                self.rc.peer_next = seq.wrapping_add(1);
                self.rc.record(RESULT_PERFORMED, None);
                None
            }
        }
    }

    /// The peer resets its outgoing streams, our incoming ones (5.2.2).
    fn peer_out_reset(
        &mut self,
        req_seq: u32,
        resp_seq: u32,
        last_tsn: u32,
        streams: &[u16],
    ) -> Outcome {
        // E1: it may answer our Incoming SSN Reset Request; then it is
        // the reset we asked for, whatever we accept of the peer's own.
        let ours = self.mark_answered(
            |p| matches!(p, ReconfParam::InReset { req_seq, .. } if *req_seq == resp_seq),
        ) || self.rc.in_done.take_if(|s| *s == resp_seq).is_some();
        if !ours && self.cfg.enable_stream_reset & SCTP_ENABLE_RESET_STREAM_REQ == 0 {
            return Outcome::Reply(RESULT_DENIED, None);
        }
        if streams.iter().any(|&s| s >= self.rx.in_streams()) {
            return Outcome::Reply(RESULT_ERR_WRONG_SSN, None);
        }
        if lt32(self.rx.cum_tsn(), last_tsn) || self.rx.holding() {
            // E2: deferred until all data up to the sender's last TSN is
            // here; answered "In progress" now and "Performed" then. Data
            // kept aside for our own SSN/TSN reset is not processed yet:
            // the reset waits for it too.
            self.rc.deferred =
                Some(Box::new(Deferred { req_seq, last_tsn, streams: streams.to_vec() }));
            return Outcome::Reply(RESULT_IN_PROGRESS, None);
        }
        self.reset_incoming(streams);
        Outcome::Reply(RESULT_PERFORMED, None)
    }

    /// The peer asks us to reset our outgoing streams (5.2.3).
    fn peer_in_reset(&mut self, now: Instant, req_seq: u32, streams: &[u16]) -> Outcome {
        if self.cfg.enable_stream_reset & SCTP_ENABLE_RESET_STREAM_REQ == 0 {
            return Outcome::Reply(RESULT_DENIED, None);
        }
        if streams.iter().any(|&s| s >= self.out_streams) || streams.len() > MAX_LISTED {
            return Outcome::Reply(RESULT_ERR_WRONG_SSN, None);
        }
        if self.rc.out.is_some() {
            // Our own request is in flight (5.1.1 allows one): Linux
            // answers "Request already in progress"; the peer may retry.
            return Outcome::Reply(RESULT_ERR_IN_PROGRESS, None);
        }
        if self.streams_busy(streams) {
            // As Linux: data of the streams is queued or in flight; the
            // peer asks again when its timer expires.
            return Outcome::Retry;
        }
        // F1, 5.1.2 A4: an Outgoing SSN Reset Request for the same
        // streams, carrying the request's number as its response number,
        // is the answer.
        let seq = self.rc.next_req;
        self.rc.next_req = seq.wrapping_add(1);
        self.start_request(
            now,
            vec![ReconfParam::OutReset {
                req_seq: seq,
                resp_seq: req_seq,
                last_tsn: self.next_tsn.wrapping_sub(1),
                streams: streams.to_vec(),
            }],
        );
        Outcome::Answered
    }

    /// The peer adds outgoing streams, our incoming ones (5.2.5).
    fn peer_add_out(&mut self, count: u16) -> Outcome {
        // As Linux, it answers our Add Incoming Streams Request (5.2.6):
        // then it is the change we asked for.
        let ours = self.mark_answered(|p| matches!(p, ReconfParam::AddIn { .. }))
            || core::mem::take(&mut self.rc.add_in_done);
        if !ours && self.cfg.enable_stream_reset & SCTP_ENABLE_CHANGE_ASSOC_REQ == 0 {
            return Outcome::Reply(RESULT_DENIED, None);
        }
        // 5.2.5: "SHOULD deny" beyond the limit; ours is the 16-bit one.
        if u32::from(self.rx.in_streams()) + u32::from(count) > u32::from(u16::MAX) {
            return Outcome::Reply(RESULT_DENIED, None);
        }
        self.rx.add_in_streams(count);
        self.stream_change_event(0);
        Outcome::Reply(RESULT_PERFORMED, None)
    }

    /// The peer asks us to add outgoing streams (5.2.6): denied, or
    /// answered with an Add Outgoing Streams Request of ours.
    fn peer_add_in(&mut self, now: Instant, count: u16) -> Outcome {
        if self.cfg.enable_stream_reset & SCTP_ENABLE_CHANGE_ASSOC_REQ == 0
            || u32::from(self.out_streams) + u32::from(count) > u32::from(u16::MAX)
        {
            return Outcome::Reply(RESULT_DENIED, None);
        }
        if self.rc.out.is_some() {
            return Outcome::Reply(RESULT_ERR_IN_PROGRESS, None);
        }
        let seq = self.rc.next_req;
        self.rc.next_req = seq.wrapping_add(1);
        self.start_request(now, vec![ReconfParam::AddOut { req_seq: seq, count }]);
        Outcome::Answered
    }

    /// The peer resets SSNs and TSNs (5.2.4).
    fn peer_tsn_reset(&mut self) -> Outcome {
        if self.cfg.enable_stream_reset & SCTP_ENABLE_RESET_ASSOC_REQ == 0 {
            return Outcome::Reply(RESULT_DENIED, None);
        }
        if self.rc.out.is_some() {
            return Outcome::Reply(RESULT_ERR_IN_PROGRESS, None);
        }
        if !self.pending.is_empty() || !self.out.q.is_empty() {
            // As Linux: our data must be acknowledged first (G3 would
            // otherwise acknowledge what the peer never got).
            return Outcome::Retry;
        }
        // G1: the peer's next TSN, half the sequence space past what we
        // acknowledged; G2: ours, the next we would have sent.
        let receiver_next = self.rx.cum_tsn().wrapping_add(1).wrapping_add(1 << 31);
        let sender_next = self.next_tsn;
        // G3 needs nothing (nothing is outstanding); G4, G5.
        self.reset_tsns(sender_next, receiver_next, false);
        Outcome::Reply(RESULT_PERFORMED, Some((sender_next, receiver_next)))
    }

    /// Both sides of an SSN/TSN reset (5.2.4 G3-G5, 5.2.7 H5): we send
    /// from `local_next`, the peer from `remote_next`; every SSN and MID
    /// restarts at 0. The `requester` also processes what it held.
    fn reset_tsns(&mut self, local_next: u32, remote_next: u32, requester: bool) {
        self.next_tsn = local_next;
        self.cum_ack = local_next.wrapping_sub(1);
        for p in &mut self.paths {
            p.fast_recovery_exit = None;
            p.rtt_probe = None;
        }
        self.out_ssn.iter_mut().for_each(|s| *s = 0);
        self.out_mid.iter_mut().for_each(|m| *m = [0; 2]);
        let cut = if requester {
            self.rx.release_hold(Some(remote_next))
        } else {
            self.rx.reset_tsn(remote_next)
        };
        for (stream_id, seq, unordered) in cut {
            self.ext_events.push_back(ExtEvent::PartialDeliveryAborted {
                stream_id,
                seq,
                unordered,
            });
        }
        self.ext_events.push_back(ExtEvent::AssocReset {
            flags: 0,
            local_tsn: local_next,
            remote_tsn: remote_next,
        });
    }

    fn stream_change_event(&mut self, flags: u16) {
        self.ext_events.push_back(ExtEvent::StreamChange {
            flags,
            instrms: self.rx.in_streams(),
            outstrms: self.out_streams,
        });
    }

    /// 5.2.2 E3: the incoming streams expect SSN 0 next.
    fn reset_incoming(&mut self, streams: &[u16]) {
        self.rx.reset_in_streams(streams);
        self.ext_events.push_back(ExtEvent::StreamReset {
            flags: SCTP_STREAM_RESET_INCOMING_SSN,
            streams: streams.to_vec(),
        });
    }

    /// Performs a deferred incoming reset once the cumulative TSN reached
    /// the peer's last assigned TSN (5.2.2 E2-E6). Called after every
    /// packet.
    pub(super) fn reconf_check_deferred(&mut self) {
        let Some(d) = &self.rc.deferred else { return };
        if lt32(self.rx.cum_tsn(), d.last_tsn) || self.rx.holding() {
            return;
        }
        let Some(d) = self.rc.deferred.take() else { return };
        self.reset_incoming(&d.streams);
        if let Some(i) = self.rc.result_index(d.req_seq) {
            self.rc.results[i] = (RESULT_PERFORMED, None);
        }
        self.send_reconf(&[ReconfParam::Response {
            resp_seq: d.req_seq,
            result: RESULT_PERFORMED,
            tsns: None,
        }]);
    }

    /// Marks the first unanswered request of ours that `f` picks as
    /// answered; ends the request when all its parts are. Returns whether
    /// one was found.
    fn mark_answered(&mut self, f: impl Fn(&ReconfParam) -> bool) -> bool {
        let Some(o) = &mut self.rc.out else { return false };
        let Some(i) = o.reqs.iter().position(|(p, done)| !done && f(p)) else { return false };
        o.reqs[i].1 = true;
        o.in_progress = false;
        if o.reqs.iter().all(|r| r.1) {
            self.rc.out = None;
            self.rc.timer = None;
        }
        self.reconf_peer_alive();
        true
    }

    /// An answer to our request shows the peer alive: the errors its
    /// timer counted (5.1.1) are cleared, as a HEARTBEAT ACK clears them
    /// (RFC 9260 8.1, 8.3).
    fn reconf_peer_alive(&mut self) {
        self.assoc_errors = 0;
        let p = self.data_path();
        if let Some(p) = self.paths.get_mut(p) {
            p.error_count = 0;
            p.errors_since = None;
        }
    }

    /// A Re-configuration Response (5.2.7).
    fn on_reconf_response(
        &mut self,
        now: Instant,
        resp_seq: u32,
        result: u32,
        tsns: Option<(u32, u32)>,
    ) {
        // H1: only an answer to a request we are waiting for counts.
        let Some(o) = &mut self.rc.out else { return };
        let Some(i) = o.reqs.iter().position(|(p, done)| !done && req_seq(p) == Some(resp_seq))
        else {
            return;
        };
        if result == RESULT_IN_PROGRESS {
            // H2: the timer starts again; its expiry is no error.
            o.in_progress = true;
            self.reconf_peer_alive();
            let p = self.data_path();
            self.rc.timer = Some(now + self.paths[p].rto);
            return;
        }
        let req = o.reqs[i].0.clone();
        if let ReconfParam::AddIn { .. } = req {
            if result == RESULT_PERFORMED {
                // As for an Incoming SSN Reset: the peer's Add Outgoing
                // Streams Request (5.2.6) brings the change.
                self.rc.add_in_done = true;
                self.mark_answered(|p| req_seq(p) == Some(resp_seq));
                return;
            }
        }
        if let ReconfParam::InReset { req_seq, .. } = req {
            if result == RESULT_PERFORMED {
                // The peer's Outgoing SSN Reset Request (5.2.3 F1) does
                // the reset and reports it; this answer only ends ours.
                self.rc.in_done = Some(req_seq);
                self.mark_answered(
                    |p| matches!(p, ReconfParam::InReset { req_seq: s, .. } if *s == req_seq),
                );
                return;
            }
        }
        self.mark_answered(|p| req_seq(p) == Some(resp_seq));
        // H3-H6.
        match req {
            ReconfParam::OutReset { streams, .. } => {
                let mut flags = SCTP_STREAM_RESET_OUTGOING_SSN;
                if result == RESULT_PERFORMED {
                    // H4: the streams restart at SSN 0 (and MID 0, RFC
                    // 8260 2.3.2).
                    let hit = |i: usize| streams.is_empty() || streams.contains(&(i as u16));
                    for (i, ssn) in self.out_ssn.iter_mut().enumerate() {
                        if hit(i) {
                            *ssn = 0;
                        }
                    }
                    for (i, mid) in self.out_mid.iter_mut().enumerate() {
                        if hit(i) {
                            *mid = [0; 2];
                        }
                    }
                } else {
                    flags |=
                        failed_flag(result, SCTP_STREAM_RESET_DENIED, SCTP_STREAM_RESET_FAILED);
                }
                self.ext_events.push_back(ExtEvent::StreamReset { flags, streams });
            }
            ReconfParam::InReset { streams, .. } => {
                let flags = SCTP_STREAM_RESET_INCOMING_SSN
                    | failed_flag(result, SCTP_STREAM_RESET_DENIED, SCTP_STREAM_RESET_FAILED);
                self.ext_events.push_back(ExtEvent::StreamReset { flags, streams });
            }
            ReconfParam::AddOut { count, .. } => {
                if result == RESULT_PERFORMED {
                    // H6: the new streams, from SSN 0 (5.1.5).
                    let n = (u32::from(self.out_streams) + u32::from(count)).min(65535) as u16;
                    self.out_streams = n;
                    self.size_out_mid();
                    self.stream_change_event(0);
                } else {
                    let f =
                        failed_flag(result, SCTP_STREAM_CHANGE_DENIED, SCTP_STREAM_CHANGE_FAILED);
                    self.stream_change_event(f);
                }
            }
            ReconfParam::AddIn { .. } => {
                let f = failed_flag(result, SCTP_STREAM_CHANGE_DENIED, SCTP_STREAM_CHANGE_FAILED);
                self.stream_change_event(f);
            }
            ReconfParam::SsnTsnReset { .. } => match tsns {
                // H5: we send from the Receiver's Next TSN, the peer from
                // its Sender's Next TSN. Nothing of ours is outstanding
                // (C2), so the jump acknowledges nothing unseen.
                Some((sender_next, receiver_next))
                    if result == RESULT_PERFORMED && self.out.q.is_empty() =>
                {
                    self.reset_tsns(receiver_next, sender_next, true);
                }
                _ => {
                    // What was held is processed as it came; a FORWARD
                    // TSN among it may cut a partial delivery.
                    for (stream_id, seq, unordered) in self.rx.release_hold(None) {
                        self.ext_events.push_back(ExtEvent::PartialDeliveryAborted {
                            stream_id,
                            seq,
                            unordered,
                        });
                    }
                    let flags =
                        failed_flag(result, SCTP_ASSOC_RESET_DENIED, SCTP_ASSOC_RESET_FAILED);
                    self.ext_events.push_back(ExtEvent::AssocReset {
                        flags,
                        local_tsn: self.next_tsn,
                        remote_tsn: self.rx.cum_tsn().wrapping_add(1),
                    });
                }
            },
            _ => {}
        }
    }
}
