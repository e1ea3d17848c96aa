//! The data sender's bookkeeping: the queue of messages not yet given a
//! TSN, and the chunks in flight (sent, not cumulatively acknowledged).

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
