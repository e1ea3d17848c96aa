//! Chunks (RFC 9260 section 3.2, 3.3; PAD RFC 4820; FORWARD TSN RFC 3758).

use super::{Error, InitParams};
use bytes::Bytes;

pub const CHUNK_DATA: u8 = 0;
pub const CHUNK_INIT: u8 = 1;
pub const CHUNK_INIT_ACK: u8 = 2;
pub const CHUNK_SACK: u8 = 3;
pub const CHUNK_HEARTBEAT: u8 = 4;
pub const CHUNK_HEARTBEAT_ACK: u8 = 5;
pub const CHUNK_ABORT: u8 = 6;
pub const CHUNK_SHUTDOWN: u8 = 7;
pub const CHUNK_SHUTDOWN_ACK: u8 = 8;
pub const CHUNK_ERROR: u8 = 9;
pub const CHUNK_COOKIE_ECHO: u8 = 10;
pub const CHUNK_COOKIE_ACK: u8 = 11;
pub const CHUNK_SHUTDOWN_COMPLETE: u8 = 14;
pub const CHUNK_PAD: u8 = 0x84;
pub const CHUNK_FORWARD_TSN: u8 = 0xC0;

/// DATA chunk flags (RFC 9260 3.3.1).
pub const DATA_FLAG_END: u8 = 0x01;
pub const DATA_FLAG_BEGIN: u8 = 0x02;
pub const DATA_FLAG_UNORDERED: u8 = 0x04;
pub const DATA_FLAG_IMMEDIATE: u8 = 0x08;

/// The T bit of ABORT and SHUTDOWN COMPLETE (RFC 9260 3.3.7, 3.3.13).
pub const FLAG_T: u8 = 0x01;

/// A DATA chunk (RFC 9260 3.3.1). `payload` borrows the received packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataChunk {
    /// Raw flags byte (U, B, E, I bits; see `DATA_FLAG_*`).
    pub flags: u8,
    pub tsn: u32,
    pub stream_id: u16,
    pub ssn: u16,
    pub ppid: u32,
    pub payload: Bytes,
}

impl DataChunk {
    pub fn unordered(&self) -> bool {
        self.flags & DATA_FLAG_UNORDERED != 0
    }
    pub fn begin(&self) -> bool {
        self.flags & DATA_FLAG_BEGIN != 0
    }
    pub fn end(&self) -> bool {
        self.flags & DATA_FLAG_END != 0
    }
    pub fn immediate(&self) -> bool {
        self.flags & DATA_FLAG_IMMEDIATE != 0
    }

    /// Appends a DATA chunk (header and padding) to `out`. The chunk length
    /// field is 16 + payload.len(); the caller guarantees that fits in u16.
    #[allow(clippy::too_many_arguments)]
    pub fn emit(
        out: &mut Vec<u8>,
        flags: u8,
        tsn: u32,
        stream_id: u16,
        ssn: u16,
        ppid: u32,
        payload: &[u8],
    ) {
        todo!("wire codec")
    }
}

/// An INIT or INIT ACK chunk (RFC 9260 3.3.2, 3.3.3).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct InitChunk {
    pub initiate_tag: u32,
    pub a_rwnd: u32,
    pub num_outbound_streams: u16,
    pub num_inbound_streams: u16,
    pub initial_tsn: u32,
    pub params: InitParams,
}

impl InitChunk {
    /// Appends this chunk as chunk type `chunk_type` (`CHUNK_INIT` or
    /// `CHUNK_INIT_ACK`) to `out`, with every parameter in `params` that is
    /// set (see [`InitParams`] for the order).
    pub fn emit(&self, chunk_type: u8, out: &mut Vec<u8>) {
        todo!("wire codec")
    }
}

/// A SACK chunk (RFC 9260 3.3.4). Gap blocks and duplicate TSNs stay raw;
/// iterate with [`SackChunk::gaps`] and [`SackChunk::dups`]. The parser
/// guarantees `gap_blocks.len() == 4 * num_gaps` and
/// `dup_tsns.len() == 4 * num_dups`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SackChunk {
    pub cum_tsn_ack: u32,
    pub a_rwnd: u32,
    pub gap_blocks: Bytes,
    pub dup_tsns: Bytes,
}

impl SackChunk {
    /// Gap Ack Blocks as (start, end) offsets from the cumulative TSN ack.
    pub fn gaps(&self) -> impl Iterator<Item = (u16, u16)> + '_ {
        self.gap_blocks
            .chunks_exact(4)
            .map(|c| (u16::from_be_bytes([c[0], c[1]]), u16::from_be_bytes([c[2], c[3]])))
    }
    /// Duplicate TSNs.
    pub fn dups(&self) -> impl Iterator<Item = u32> + '_ {
        self.dup_tsns
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }

    /// Appends a SACK chunk to `out`. The caller bounds the number of gaps
    /// and dups so that the chunk fits in u16 length.
    pub fn emit(out: &mut Vec<u8>, cum_tsn_ack: u32, a_rwnd: u32, gaps: &[(u16, u16)], dups: &[u32]) {
        todo!("wire codec")
    }
}

/// A FORWARD TSN chunk (RFC 3758 3.2). `streams` holds the raw
/// (stream, ssn) pairs, 4 bytes each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardTsnChunk {
    pub new_cum_tsn: u32,
    pub streams: Bytes,
}

/// One chunk of a received packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Chunk {
    Data(DataChunk),
    Init(InitChunk),
    InitAck(InitChunk),
    Sack(SackChunk),
    /// HEARTBEAT; the value of its Heartbeat Info parameter (type 1), the
    /// bytes after that parameter's 4-byte header, without padding.
    Heartbeat(Bytes),
    /// HEARTBEAT ACK; the Heartbeat Info value, as for `Heartbeat`.
    HeartbeatAck(Bytes),
    /// ABORT with its T bit and raw error causes (parse with [`super::Causes`]).
    Abort { t: bool, causes: Bytes },
    Shutdown { cum_tsn_ack: u32 },
    ShutdownAck,
    /// OPERATION ERROR with raw causes.
    Error { causes: Bytes },
    /// COOKIE ECHO: the cookie bytes, without padding.
    CookieEcho(Bytes),
    CookieAck,
    ShutdownComplete { t: bool },
    ForwardTsn(ForwardTsnChunk),
    /// PAD (RFC 4820): discarded by the receiver.
    Pad,
    /// Any other chunk type. `value` is the chunk body after the 4-byte
    /// header, without padding; `raw` is the whole chunk from its header
    /// (for "Unrecognized Chunk Type" error causes, RFC 9260 3.3.10.6).
    Unknown { chunk_type: u8, flags: u8, value: Bytes, raw: Bytes },
}

impl Chunk {
    /// The chunk type byte.
    pub fn chunk_type(&self) -> u8 {
        match self {
            Chunk::Data(_) => CHUNK_DATA,
            Chunk::Init(_) => CHUNK_INIT,
            Chunk::InitAck(_) => CHUNK_INIT_ACK,
            Chunk::Sack(_) => CHUNK_SACK,
            Chunk::Heartbeat(_) => CHUNK_HEARTBEAT,
            Chunk::HeartbeatAck(_) => CHUNK_HEARTBEAT_ACK,
            Chunk::Abort { .. } => CHUNK_ABORT,
            Chunk::Shutdown { .. } => CHUNK_SHUTDOWN,
            Chunk::ShutdownAck => CHUNK_SHUTDOWN_ACK,
            Chunk::Error { .. } => CHUNK_ERROR,
            Chunk::CookieEcho(_) => CHUNK_COOKIE_ECHO,
            Chunk::CookieAck => CHUNK_COOKIE_ACK,
            Chunk::ShutdownComplete { .. } => CHUNK_SHUTDOWN_COMPLETE,
            Chunk::ForwardTsn(_) => CHUNK_FORWARD_TSN,
            Chunk::Pad => CHUNK_PAD,
            Chunk::Unknown { chunk_type, .. } => *chunk_type,
        }
    }
}

/// Iterator over the chunks of a packet (from [`super::parse_packet`]).
/// Yields `Err` once at the first malformed chunk and then ends. A chunk
/// whose length field is below 4 or runs past the packet is malformed.
/// The final chunk's padding may be absent.
#[derive(Clone, Debug)]
pub struct Chunks {
    pub(crate) buf: Bytes,
    pub(crate) pos: usize,
    pub(crate) failed: bool,
}

impl Chunks {
    /// Iterates over the chunks in `buf` (which holds chunks only, no
    /// common header).
    pub fn new(buf: Bytes) -> Self {
        Chunks { buf, pos: 0, failed: false }
    }
}

impl Iterator for Chunks {
    type Item = Result<Chunk, Error>;
    fn next(&mut self) -> Option<Self::Item> {
        todo!("wire codec")
    }
}

/// Appends a chunk with no body-specific encoder: header (type, flags,
/// length = 4 + value.len()) then `value`, then padding to 4 bytes.
pub fn emit_raw(out: &mut Vec<u8>, chunk_type: u8, flags: u8, value: &[u8]) {
    todo!("wire codec")
}

/// Appends a HEARTBEAT or HEARTBEAT ACK chunk carrying one Heartbeat Info
/// parameter (type 1) with `info` as its value.
pub fn emit_heartbeat(out: &mut Vec<u8>, chunk_type: u8, info: &[u8]) {
    todo!("wire codec")
}

/// Appends a SHUTDOWN chunk.
pub fn emit_shutdown(out: &mut Vec<u8>, cum_tsn_ack: u32) {
    todo!("wire codec")
}

/// Appends a FORWARD TSN chunk (RFC 3758 3.2) with (stream, ssn) pairs.
pub fn emit_forward_tsn(out: &mut Vec<u8>, new_cum_tsn: u32, streams: &[(u16, u16)]) {
    todo!("wire codec")
}
