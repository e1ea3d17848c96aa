//! The SCTP wire codec (RFC 9260 section 3): common header, chunks,
//! parameters and error causes, with CRC32c (RFC 9260 section 6.8 and
//! Appendix A).
//!
//! Parsing never panics and never trusts a length field: every length is
//! checked against the bytes that are actually there. Payloads borrow from
//! the received [`Bytes`] (reference-counted, no copy). Data-path chunks
//! (DATA, SACK) parse without heap allocation: their variable parts stay as
//! `Bytes` with iterators over them. Emission appends to a caller-owned
//! `Vec<u8>` that the caller reuses.

pub mod cause;
pub mod chunk;
pub mod param;

pub use cause::{Cause, Causes};
pub use chunk::{
    Chunk, Chunks, DataChunk, ForwardTsnChunk, InitChunk, SackChunk, CHUNK_ABORT,
    CHUNK_COOKIE_ACK, CHUNK_COOKIE_ECHO, CHUNK_DATA, CHUNK_ERROR, CHUNK_FORWARD_TSN,
    CHUNK_HEARTBEAT, CHUNK_HEARTBEAT_ACK, CHUNK_INIT, CHUNK_INIT_ACK, CHUNK_PAD, CHUNK_SACK,
    CHUNK_SHUTDOWN, CHUNK_SHUTDOWN_ACK, CHUNK_SHUTDOWN_COMPLETE,
};
pub use param::InitParams;

use bytes::Bytes;

/// Size of the SCTP common header (RFC 9260 section 3.1).
pub const COMMON_HEADER_LEN: usize = 12;
/// Size of a chunk header (type, flags, length).
pub const CHUNK_HEADER_LEN: usize = 4;
/// Size of a DATA chunk header including the chunk header (RFC 9260 3.3.1).
pub const DATA_HEADER_LEN: usize = 16;

/// What can be wrong with bytes received from the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Fewer bytes than a header or a length field requires.
    Truncated,
    /// A length field smaller than its header or beyond the buffer.
    BadLength,
    /// CRC32c mismatch.
    BadChecksum,
    /// A port number of zero (RFC 9260 3.1: MUST NOT be used).
    ZeroPort,
    /// A field value that the RFC forbids (e.g. a SACK with a gap block
    /// whose start exceeds its end is still parsed; this is for values
    /// that make the chunk meaningless).
    Invalid,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let s = match self {
            Error::Truncated => "truncated",
            Error::BadLength => "bad length field",
            Error::BadChecksum => "bad CRC32c",
            Error::ZeroPort => "zero port",
            Error::Invalid => "invalid field value",
        };
        f.write_str(s)
    }
}

/// The SCTP common header (RFC 9260 section 3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommonHeader {
    pub src_port: u16,
    pub dst_port: u16,
    pub vtag: u32,
}

/// Computes the CRC32c of an SCTP packet as RFC 9260 section 6.8 defines it:
/// over the whole packet with the checksum field taken as zero. Returns the
/// value in the byte order it is written on the wire by [`finish_packet`].
pub fn packet_crc(packet: &[u8]) -> u32 {
    todo!("wire codec")
}

/// Parses and validates a received SCTP packet: length, ports, CRC32c.
/// On success returns the common header and an iterator over the chunks,
/// which yields an error (and then stops) at the first malformed chunk.
pub fn parse_packet(data: &Bytes) -> Result<(CommonHeader, Chunks), Error> {
    todo!("wire codec")
}

/// Appends a common header with a zero checksum to `out`; `out` must be
/// empty (it becomes the start of a packet).
pub fn write_header(out: &mut Vec<u8>, hdr: &CommonHeader) {
    todo!("wire codec")
}

/// Writes the CRC32c into bytes 8..12 of a complete packet built with
/// [`write_header`] and chunk emitters. Does nothing if `packet` is shorter
/// than a common header.
pub fn finish_packet(packet: &mut [u8]) {
    todo!("wire codec")
}

/// Number of padding bytes needed to bring `len` to a multiple of 4.
#[inline]
pub fn pad4(len: usize) -> usize {
    (4 - (len & 3)) & 3
}
