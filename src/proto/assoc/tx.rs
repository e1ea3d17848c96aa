//! The data sender's bookkeeping: the queue of messages not yet given a
//! TSN, and the chunks in flight (sent, not cumulatively acknowledged).

use super::pr::PrPolicy;
use crate::proto::time::Instant;
use bytes::Bytes;
use std::collections::VecDeque;

/// A fragment waiting for its TSN.
#[derive(Clone, Debug)]
pub struct Pending {
    pub stream_id: u16,
    pub ssn: u16,
    pub ppid: u32,
    pub flags: u8,
    pub context: u32,
    pub payload: Bytes,
    /// Message number (per association): the fragments of one message
    /// share it, and are abandoned together (RFC 3758 3.5 A4).
    pub msg: u64,
    pub pr: PrPolicy,
    /// End of the message's lifetime (PR-SCTP TTL policy).
    pub expires: Option<Instant>,
    /// Fragment Sequence Number (I-DATA): the fragment's index.
    pub fsn: u32,
}

/// A chunk that has a TSN and is not yet cumulatively acknowledged.
#[derive(Clone, Debug)]
pub struct TxChunk {
    pub tsn: u32,
    pub stream_id: u16,
    pub ssn: u16,
    pub ppid: u32,
    pub flags: u8,
    pub context: u32,
    pub payload: Bytes,
    /// Path index it was last sent to.
    pub path: usize,
    /// Number of transmissions.
    pub tx_count: u32,
    /// Acknowledged by a gap block (may be reneged).
    pub gap_acked: bool,
    /// Counted in its path's flight size.
    pub in_flight: bool,
    /// Marked for retransmission, and to which path.
    pub rtx: Option<usize>,
    /// Miss indications (RFC 9260 7.2.4).
    pub misses: u8,
    /// When it was last transmitted.
    pub sent_at: crate::proto::time::Instant,
    /// Already fast-retransmitted once.
    pub fast_rtx_done: bool,
    pub msg: u64,
    pub pr: PrPolicy,
    pub expires: Option<Instant>,
    /// I-DATA Message Identifier and Fragment Sequence Number.
    pub mid: u32,
    pub fsn: u32,
    /// Abandoned (RFC 3758 3.5): never retransmitted, not in flight,
    /// skipped by FORWARD TSN; stays until the peer's cumulative ack.
    pub abandoned: bool,
}

impl TxChunk {
    pub fn len(&self) -> u32 {
        self.payload.len() as u32
    }
}

/// Outstanding chunks, consecutive in TSN from `front().tsn`.
#[derive(Debug, Default)]
pub struct Outstanding {
    pub q: VecDeque<TxChunk>,
}
