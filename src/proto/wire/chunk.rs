//! Chunks (RFC 9260 section 3.2, 3.3; PAD RFC 4820; FORWARD TSN RFC 3758).

use super::param::PARAM_HEARTBEAT_INFO;
use super::tlv::{put_chunk_with, put_tlv_with, sub, u16_at, u32_at};
use super::{pad4, Error, InitParams, CHUNK_HEADER_LEN, DATA_HEADER_LEN};
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
/// ECN Echo and Congestion Window Reduced (RFC 4960 appendix A; types
/// reserved by RFC 9260 3.2): 8 bytes, the lowest TSN concerned.
pub const CHUNK_ECNE: u8 = 12;
pub const CHUNK_CWR: u8 = 13;
pub const CHUNK_SHUTDOWN_COMPLETE: u8 = 14;
/// AUTH (RFC 4895 5.1).
pub const CHUNK_AUTH: u8 = 0x0F;
pub const CHUNK_PAD: u8 = 0x84;
pub const CHUNK_FORWARD_TSN: u8 = 0xC0;
/// I-DATA (RFC 8260 2.1). It parses as [`Chunk::Unknown`]; decode the
/// value with [`IDataChunk::parse_value`].
pub const CHUNK_IDATA: u8 = 0x40;
/// I-FORWARD-TSN (RFC 8260 2.3.1). It parses as [`Chunk::Unknown`];
/// decode the value with [`IForwardTsn::parse_value`].
pub const CHUNK_IFORWARD_TSN: u8 = 0xC2;
/// Size of an I-DATA chunk header including the chunk header.
pub const IDATA_HEADER_LEN: usize = 20;

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
        put_chunk_with(out, CHUNK_DATA, flags, |o| {
            o.extend_from_slice(&tsn.to_be_bytes());
            o.extend_from_slice(&stream_id.to_be_bytes());
            o.extend_from_slice(&ssn.to_be_bytes());
            o.extend_from_slice(&ppid.to_be_bytes());
            o.extend_from_slice(payload);
        });
    }

    /// Decodes the body (after the chunk header) of a DATA chunk.
    fn parse(flags: u8, body: &Bytes) -> Result<Self, Error> {
        const FIXED: usize = DATA_HEADER_LEN - CHUNK_HEADER_LEN;
        if body.len() < FIXED {
            return Err(Error::BadLength);
        }
        Ok(DataChunk {
            flags,
            tsn: u32_at(body, 0)?,
            stream_id: u16_at(body, 4)?,
            ssn: u16_at(body, 6)?,
            ppid: u32_at(body, 8)?,
            payload: sub(body, FIXED, body.len())?,
        })
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
        let start = out.len();
        out.extend_from_slice(&[chunk_type, 0, 0, 0]);
        out.extend_from_slice(&self.initiate_tag.to_be_bytes());
        out.extend_from_slice(&self.a_rwnd.to_be_bytes());
        out.extend_from_slice(&self.num_outbound_streams.to_be_bytes());
        out.extend_from_slice(&self.num_inbound_streams.to_be_bytes());
        out.extend_from_slice(&self.initial_tsn.to_be_bytes());
        let fixed_end = out.len();
        // RFC 9260 3.2: the chunk length includes the padding of every
        // parameter except the last one; that one's padding, already
        // written, is the chunk's final padding.
        let end = self.params.emit(out).unwrap_or(fixed_end);
        let len = end - start;
        super::tlv::patch_u16(out, start + 2, super::tlv::len16(len));
        debug_assert_eq!(out.len() - start, len + pad4(len));
    }

    /// Decodes the body (after the chunk header) of an INIT or INIT ACK.
    fn parse(body: &Bytes) -> Result<Self, Error> {
        const FIXED: usize = 16;
        if body.len() < FIXED {
            return Err(Error::BadLength);
        }
        Ok(InitChunk {
            initiate_tag: u32_at(body, 0)?,
            a_rwnd: u32_at(body, 4)?,
            num_outbound_streams: u16_at(body, 8)?,
            num_inbound_streams: u16_at(body, 10)?,
            initial_tsn: u32_at(body, 12)?,
            params: InitParams::parse(sub(body, FIXED, body.len())?)?,
        })
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
        self.dup_tsns.chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }

    /// Appends a SACK chunk to `out`. The caller bounds the number of gaps
    /// and dups so that the chunk fits in u16 length.
    pub fn emit(
        out: &mut Vec<u8>,
        cum_tsn_ack: u32,
        a_rwnd: u32,
        gaps: &[(u16, u16)],
        dups: &[u32],
    ) {
        debug_assert!(gaps.len() <= usize::from(u16::MAX) && dups.len() <= usize::from(u16::MAX));
        put_chunk_with(out, CHUNK_SACK, 0, |o| {
            o.extend_from_slice(&cum_tsn_ack.to_be_bytes());
            o.extend_from_slice(&a_rwnd.to_be_bytes());
            o.extend_from_slice(&super::tlv::len16(gaps.len()).to_be_bytes());
            o.extend_from_slice(&super::tlv::len16(dups.len()).to_be_bytes());
            for &(start, end) in gaps {
                o.extend_from_slice(&start.to_be_bytes());
                o.extend_from_slice(&end.to_be_bytes());
            }
            for &tsn in dups {
                o.extend_from_slice(&tsn.to_be_bytes());
            }
        });
    }

    /// Decodes the body (after the chunk header) of a SACK. Bytes after
    /// the announced gap blocks and duplicate TSNs are ignored.
    fn parse(body: &Bytes) -> Result<Self, Error> {
        const FIXED: usize = 12;
        let cum_tsn_ack = u32_at(body, 0)?;
        let a_rwnd = u32_at(body, 4)?;
        let num_gaps = usize::from(u16_at(body, 8)?);
        let num_dups = usize::from(u16_at(body, 10)?);
        // At most 12 + 8 * 65535: no overflow even on 32-bit targets.
        let gaps_end = FIXED + 4 * num_gaps;
        let dups_end = gaps_end + 4 * num_dups;
        if dups_end > body.len() {
            return Err(Error::BadLength);
        }
        Ok(SackChunk {
            cum_tsn_ack,
            a_rwnd,
            gap_blocks: sub(body, FIXED, gaps_end)?,
            dup_tsns: sub(body, gaps_end, dups_end)?,
        })
    }
}

/// A FORWARD TSN chunk (RFC 3758 3.2). `streams` holds the raw
/// (stream, ssn) pairs, 4 bytes each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardTsnChunk {
    pub new_cum_tsn: u32,
    pub streams: Bytes,
}

/// An I-DATA chunk (RFC 8260 2.1): `ppid_fsn` is the PPID on the first
/// fragment (B bit) and the Fragment Sequence Number on the others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IDataChunk {
    pub flags: u8,
    pub tsn: u32,
    pub stream_id: u16,
    pub mid: u32,
    pub ppid_fsn: u32,
    pub payload: Bytes,
}

impl IDataChunk {
    pub fn unordered(&self) -> bool {
        self.flags & DATA_FLAG_UNORDERED != 0
    }
    pub fn begin(&self) -> bool {
        self.flags & DATA_FLAG_BEGIN != 0
    }
    pub fn end(&self) -> bool {
        self.flags & DATA_FLAG_END != 0
    }
    /// The FSN: 0 for the first fragment.
    pub fn fsn(&self) -> u32 {
        if self.begin() {
            0
        } else {
            self.ppid_fsn
        }
    }

    /// Appends an I-DATA chunk; the caller keeps 20 + payload.len() within u16.
    #[allow(clippy::too_many_arguments)]
    pub fn emit(
        out: &mut Vec<u8>,
        flags: u8,
        tsn: u32,
        stream_id: u16,
        mid: u32,
        ppid_fsn: u32,
        payload: &[u8],
    ) {
        put_chunk_with(out, CHUNK_IDATA, flags, |o| {
            o.extend_from_slice(&tsn.to_be_bytes());
            o.extend_from_slice(&stream_id.to_be_bytes());
            o.extend_from_slice(&[0, 0]);
            o.extend_from_slice(&mid.to_be_bytes());
            o.extend_from_slice(&ppid_fsn.to_be_bytes());
            o.extend_from_slice(payload);
        });
    }

    /// Decodes the value (after the 4-byte chunk header) of an I-DATA.
    pub fn parse_value(flags: u8, body: &Bytes) -> Result<Self, Error> {
        const FIXED: usize = IDATA_HEADER_LEN - CHUNK_HEADER_LEN;
        if body.len() < FIXED {
            return Err(Error::BadLength);
        }
        Ok(IDataChunk {
            flags,
            tsn: u32_at(body, 0)?,
            stream_id: u16_at(body, 4)?,
            mid: u32_at(body, 8)?,
            ppid_fsn: u32_at(body, 12)?,
            payload: sub(body, FIXED, body.len())?,
        })
    }
}

/// An I-FORWARD-TSN chunk (RFC 8260 2.3.1); `entries` holds the raw
/// (stream, reserved/U, MID) entries, 8 bytes each (see [`IForwardTsn::entries`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IForwardTsn {
    pub new_cum_tsn: u32,
    pub entries: Bytes,
}

impl IForwardTsn {
    /// Decodes the value of an I-FORWARD-TSN; a trailing partial entry is
    /// ignored.
    pub fn parse_value(body: &Bytes) -> Result<Self, Error> {
        let new_cum_tsn = u32_at(body, 0)?;
        let n = body.len().saturating_sub(4) / 8;
        Ok(IForwardTsn { new_cum_tsn, entries: sub(body, 4, 4 + 8 * n)? })
    }
    /// The entries as (stream, unordered, MID).
    pub fn entries(&self) -> impl Iterator<Item = (u16, bool, u32)> + '_ {
        self.entries.chunks_exact(8).map(|e| {
            (
                u16::from_be_bytes([e[0], e[1]]),
                e[3] & 1 != 0,
                u32::from_be_bytes([e[4], e[5], e[6], e[7]]),
            )
        })
    }
}

/// Appends an I-FORWARD-TSN chunk with (stream, unordered, MID) entries.
pub fn emit_iforward_tsn(out: &mut Vec<u8>, new_cum_tsn: u32, entries: &[(u16, bool, u32)]) {
    put_chunk_with(out, CHUNK_IFORWARD_TSN, 0, |o| {
        o.extend_from_slice(&new_cum_tsn.to_be_bytes());
        for &(sid, u, mid) in entries {
            o.extend_from_slice(&sid.to_be_bytes());
            o.extend_from_slice(&[0, u8::from(u)]);
            o.extend_from_slice(&mid.to_be_bytes());
        }
    });
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
    Abort {
        t: bool,
        causes: Bytes,
    },
    Shutdown {
        cum_tsn_ack: u32,
    },
    ShutdownAck,
    /// OPERATION ERROR with raw causes.
    Error {
        causes: Bytes,
    },
    /// COOKIE ECHO: the cookie bytes, without padding.
    CookieEcho(Bytes),
    CookieAck,
    ShutdownComplete {
        t: bool,
    },
    ForwardTsn(ForwardTsnChunk),
    /// PAD (RFC 4820): discarded by the receiver.
    Pad,
    /// Any other chunk type. `value` is the chunk body after the 4-byte
    /// header, without padding; `raw` is the whole chunk from its header
    /// (for "Unrecognized Chunk Type" error causes, RFC 9260 3.3.10.6).
    Unknown {
        chunk_type: u8,
        flags: u8,
        value: Bytes,
        raw: Bytes,
    },
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
        if self.failed {
            return None;
        }
        // `pos` only grows and is clamped to the buffer; `get` also covers
        // a position set from outside.
        let rest = self.buf.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        match self.read_chunk() {
            Ok((chunk, next)) => {
                debug_assert!(next > self.pos);
                self.pos = next;
                Some(Ok(chunk))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

impl Chunks {
    /// Reads the chunk at `self.pos`; returns it and the position of the
    /// next chunk (always greater than `self.pos`, at most the buffer end).
    fn read_chunk(&self) -> Result<(Chunk, usize), Error> {
        let start = self.pos;
        let rest = self.buf.get(start..).unwrap_or_default();
        if rest.len() < CHUNK_HEADER_LEN {
            return Err(Error::Truncated);
        }
        let (chunk_type, flags) = match rest {
            [t, f, ..] => (*t, *f),
            _ => return Err(Error::Truncated),
        };
        let len = usize::from(u16_at(rest, 2)?);
        if len < CHUNK_HEADER_LEN || len > rest.len() {
            return Err(Error::BadLength);
        }
        // `end <= buf.len()` as `len <= rest.len()`. The final chunk's
        // padding may be missing: clamp the next position to the end.
        let end = start + len;
        let next = end.saturating_add(pad4(len)).min(self.buf.len());
        let body = sub(&self.buf, start + CHUNK_HEADER_LEN, end)?;
        let chunk = match chunk_type {
            CHUNK_DATA => Chunk::Data(DataChunk::parse(flags, &body)?),
            CHUNK_INIT => Chunk::Init(InitChunk::parse(&body)?),
            CHUNK_INIT_ACK => Chunk::InitAck(InitChunk::parse(&body)?),
            CHUNK_SACK => Chunk::Sack(SackChunk::parse(&body)?),
            CHUNK_HEARTBEAT => Chunk::Heartbeat(parse_heartbeat_info(&body)?),
            CHUNK_HEARTBEAT_ACK => Chunk::HeartbeatAck(parse_heartbeat_info(&body)?),
            CHUNK_ABORT => Chunk::Abort { t: flags & FLAG_T != 0, causes: body },
            CHUNK_SHUTDOWN => Chunk::Shutdown { cum_tsn_ack: u32_at(&body, 0)? },
            CHUNK_SHUTDOWN_ACK => Chunk::ShutdownAck,
            CHUNK_ERROR => Chunk::Error { causes: body },
            CHUNK_COOKIE_ECHO => Chunk::CookieEcho(body),
            CHUNK_COOKIE_ACK => Chunk::CookieAck,
            CHUNK_SHUTDOWN_COMPLETE => Chunk::ShutdownComplete { t: flags & FLAG_T != 0 },
            CHUNK_FORWARD_TSN => {
                let new_cum_tsn = u32_at(&body, 0)?;
                // (stream, ssn) pairs; a trailing partial pair is dropped.
                let pairs = body.len().saturating_sub(4) / 4;
                Chunk::ForwardTsn(ForwardTsnChunk {
                    new_cum_tsn,
                    streams: sub(&body, 4, 4 + 4 * pairs)?,
                })
            }
            CHUNK_PAD => Chunk::Pad,
            _ => {
                Chunk::Unknown { chunk_type, flags, value: body, raw: sub(&self.buf, start, end)? }
            }
        };
        Ok((chunk, next))
    }
}

/// The value of the Heartbeat Info parameter (type 1) that must begin the
/// body of a HEARTBEAT or HEARTBEAT ACK (RFC 9260 3.3.5, 3.3.6).
fn parse_heartbeat_info(body: &Bytes) -> Result<Bytes, Error> {
    let ptype = u16_at(body, 0)?;
    let plen = usize::from(u16_at(body, 2)?);
    if ptype != PARAM_HEARTBEAT_INFO {
        return Err(Error::Invalid);
    }
    if plen < 4 || plen > body.len() {
        return Err(Error::BadLength);
    }
    sub(body, 4, plen)
}

/// Appends a chunk with no body-specific encoder: header (type, flags,
/// length = 4 + value.len()) then `value`, then padding to 4 bytes.
pub fn emit_raw(out: &mut Vec<u8>, chunk_type: u8, flags: u8, value: &[u8]) {
    put_chunk_with(out, chunk_type, flags, |o| o.extend_from_slice(value));
}

/// Appends a HEARTBEAT or HEARTBEAT ACK chunk carrying one Heartbeat Info
/// parameter (type 1) with `info` as its value.
pub fn emit_heartbeat(out: &mut Vec<u8>, chunk_type: u8, info: &[u8]) {
    // The parameter's own padding is the chunk's final padding: it is
    // excluded from the chunk length (RFC 9260 3.2) and written once.
    let start = out.len();
    out.extend_from_slice(&[chunk_type, 0, 0, 0]);
    let end = put_tlv_with(out, PARAM_HEARTBEAT_INFO, |o| o.extend_from_slice(info));
    let len = end - start;
    super::tlv::patch_u16(out, start + 2, super::tlv::len16(len));
}

/// Appends a SHUTDOWN chunk.
pub fn emit_shutdown(out: &mut Vec<u8>, cum_tsn_ack: u32) {
    put_chunk_with(out, CHUNK_SHUTDOWN, 0, |o| o.extend_from_slice(&cum_tsn_ack.to_be_bytes()));
}

/// Appends a FORWARD TSN chunk (RFC 3758 3.2) with (stream, ssn) pairs.
pub fn emit_forward_tsn(out: &mut Vec<u8>, new_cum_tsn: u32, streams: &[(u16, u16)]) {
    put_chunk_with(out, CHUNK_FORWARD_TSN, 0, |o| {
        o.extend_from_slice(&new_cum_tsn.to_be_bytes());
        for &(stream, ssn) in streams {
            o.extend_from_slice(&stream.to_be_bytes());
            o.extend_from_slice(&ssn.to_be_bytes());
        }
    });
}

#[cfg(test)]
mod tests {
    use super::super::param::InitParams;
    use super::super::{finish_packet, parse_packet, write_header, CommonHeader};
    use super::*;

    /// Emits chunks into a packet, checks it is 4-byte aligned, parses it
    /// back and returns its chunks (all must parse).
    fn round_trip(emit: impl FnOnce(&mut Vec<u8>)) -> Vec<Chunk> {
        let mut p = Vec::new();
        write_header(&mut p, &CommonHeader { src_port: 1, dst_port: 2, vtag: 3 });
        emit(&mut p);
        assert_eq!(p.len() % 4, 0, "emitted chunks must be padded");
        finish_packet(&mut p);
        let (_, chunks) = parse_packet(&Bytes::from(p)).unwrap();
        chunks.collect::<Result<Vec<_>, _>>().unwrap()
    }

    fn one(emit: impl FnOnce(&mut Vec<u8>)) -> Chunk {
        let mut v = round_trip(emit);
        assert_eq!(v.len(), 1);
        v.pop().unwrap()
    }

    /// Parses raw chunk bytes (no common header).
    fn parse_all(bytes: &[u8]) -> Vec<Result<Chunk, Error>> {
        let mut it = Chunks::new(Bytes::copy_from_slice(bytes));
        let v: Vec<_> = it.by_ref().collect();
        assert!(it.next().is_none());
        v
    }

    fn first(bytes: &[u8]) -> Result<Chunk, Error> {
        parse_all(bytes).into_iter().next().expect("one item")
    }

    #[test]
    fn data_round_trip_all_paddings() {
        for n in 0..=9usize {
            let payload: Vec<u8> = (0..n as u8).map(|i| i.wrapping_mul(37)).collect();
            let flags = DATA_FLAG_BEGIN | DATA_FLAG_END | DATA_FLAG_UNORDERED | DATA_FLAG_IMMEDIATE;
            let mut out = Vec::new();
            DataChunk::emit(&mut out, flags, 0xfffffffe, 7, 65535, 0x01020304, &payload);
            assert_eq!(out.len(), 16 + n + pad4(n));
            assert_eq!(u16::from_be_bytes([out[2], out[3]]) as usize, 16 + n);
            assert!(out[16 + n..].iter().all(|&b| b == 0));
            let got = one(|p| p.extend_from_slice(&out));
            let want = DataChunk {
                flags,
                tsn: 0xfffffffe,
                stream_id: 7,
                ssn: 65535,
                ppid: 0x01020304,
                payload: Bytes::from(payload),
            };
            assert_eq!(got, Chunk::Data(want.clone()));
            assert!(want.begin() && want.end() && want.unordered() && want.immediate());
        }
    }

    #[test]
    fn data_exact_bytes_and_minimum_length() {
        let mut out = Vec::new();
        DataChunk::emit(&mut out, DATA_FLAG_END, 1, 2, 3, 4, b"x");
        assert_eq!(out, [0, 1, 0, 17, 0, 0, 0, 1, 0, 2, 0, 3, 0, 0, 0, 4, b'x', 0, 0, 0]);
        // Zero payload still parses (the association reports No User Data).
        let Ok(Chunk::Data(d)) = first(&[0, 3, 0, 16, 0, 0, 0, 9, 0, 1, 0, 2, 0, 0, 0, 0]) else {
            panic!()
        };
        assert_eq!((d.tsn, d.payload.len()), (9, 0));
        assert!(d.begin() && d.end() && !d.unordered());
        // Length 15: too short for a DATA chunk.
        assert_eq!(
            first(&[0, 3, 0, 15, 0, 0, 0, 9, 0, 1, 0, 2, 0, 0, 0, 0]),
            Err(Error::BadLength)
        );
    }

    fn full_init() -> InitChunk {
        InitChunk {
            initiate_tag: 0xa1b2c3d4,
            a_rwnd: 131072,
            num_outbound_streams: 10,
            num_inbound_streams: 65535,
            initial_tsn: 42,
            params: InitParams {
                addrs: vec!["192.0.2.1".parse().unwrap(), "2001:db8::1".parse().unwrap()],
                cookie: Some(Bytes::from_static(b"cookie!")),
                cookie_preservative: Some(5000),
                host_name: false,
                supported_addr_types: Some(vec![5, 6, 11]),
                ecn_capable: true,
                forward_tsn_supported: true,
                adaptation_indication: Some(0xdeadbeef),
                supported_extensions: Some(Bytes::from_static(&[CHUNK_FORWARD_TSN, 0x82, 0x84])),
                auth_random: Some(Bytes::from_static(&[1; 32])),
                auth_chunks: Some(Bytes::from_static(&[0, 3])),
                auth_hmacs: Some(Bytes::from_static(&[0, 3, 0, 1])),
                unrecognized: vec![],
                unrecognized_reported: vec![],
            },
        }
    }

    #[test]
    fn init_and_init_ack_round_trip() {
        let init = full_init();
        assert_eq!(one(|p| init.emit(CHUNK_INIT, p)), Chunk::Init(init.clone()));
        assert_eq!(one(|p| init.emit(CHUNK_INIT_ACK, p)), Chunk::InitAck(init.clone()));

        let bare = InitChunk { initiate_tag: 1, ..Default::default() };
        let mut out = Vec::new();
        bare.emit(CHUNK_INIT, &mut out);
        assert_eq!(out.len(), 20);
        assert_eq!(&out[..4], &[CHUNK_INIT, 0, 0, 20]);
        assert_eq!(one(|p| p.extend_from_slice(&out)), Chunk::Init(bare));
    }

    #[test]
    fn init_length_excludes_last_parameter_padding() {
        let mut init = InitChunk::default();
        // Last parameter: Supported Extensions with 3 bytes (length 7).
        init.params.supported_extensions = Some(Bytes::from_static(&[0xc0, 0x82, 0x84]));
        init.params.cookie = Some(Bytes::from_static(b"abc")); // padded, not last
        let mut out = Vec::new();
        init.emit(CHUNK_INIT_ACK, &mut out);
        // 20 fixed + cookie (7 + 1 padding) + ext (7), then 1 final padding.
        assert_eq!(u16::from_be_bytes([out[2], out[3]]), 20 + 8 + 7);
        assert_eq!(out.len(), 36);
        assert_eq!(&out[20..28], &[0, 7, 0, 7, b'a', b'b', b'c', 0]);
        assert_eq!(&out[28..36], &[0x80, 0x08, 0, 7, 0xc0, 0x82, 0x84, 0]);
        assert_eq!(one(|p| p.extend_from_slice(&out)), Chunk::InitAck(init));
    }

    #[test]
    fn init_ack_reports_unrecognized_parameters() {
        let mut init = full_init();
        let unknown = Bytes::from_static(&[0xc1, 0x23, 0x00, 0x05, 0x99]); // length 5
        init.params.unrecognized = vec![unknown.clone()];
        let Chunk::InitAck(got) = one(|p| init.emit(CHUNK_INIT_ACK, p)) else { panic!() };
        // Wrapped in a type 8 parameter; its value is the TLV + padding.
        assert_eq!(
            got.params.unrecognized_reported,
            vec![Bytes::from_static(&[0xc1, 0x23, 0, 5, 0x99, 0, 0, 0])]
        );
        assert!(got.params.unrecognized.is_empty());
    }

    #[test]
    fn init_malformed() {
        let mut base = vec![CHUNK_INIT, 0, 0, 20];
        base.extend_from_slice(&[0; 16]);
        // Body shorter than the 16-byte fixed part.
        assert_eq!(
            first(&[CHUNK_INIT, 0, 0, 19, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(Error::BadLength)
        );
        // A parameter of length 2.
        let mut v = base.clone();
        v.extend_from_slice(&[0, 5, 0, 2]);
        v[3] = 24;
        assert_eq!(first(&v), Err(Error::BadLength));
        // A parameter whose length runs past the chunk (but not the packet).
        let mut v = base.clone();
        v.extend_from_slice(&[0, 7, 0, 12, 1, 2, 3, 4]);
        v[3] = 28;
        v.extend_from_slice(&[0; 8]);
        assert_eq!(first(&v), Err(Error::BadLength));
        // An IPv4 address with a 5-byte value.
        let mut v = base.clone();
        v.extend_from_slice(&[0, 5, 0, 9, 1, 2, 3, 4, 5, 0, 0, 0]);
        v[3] = 29;
        assert_eq!(first(&v), Err(Error::Invalid));
    }

    #[test]
    fn sack_round_trip() {
        let gaps = [(2, 3), (5, 5), (7, 65535)];
        let dups = [9, 0xffffffff];
        let Chunk::Sack(s) = one(|p| SackChunk::emit(p, 100, 5000, &gaps, &dups)) else { panic!() };
        assert_eq!((s.cum_tsn_ack, s.a_rwnd), (100, 5000));
        assert_eq!(s.gaps().collect::<Vec<_>>(), gaps);
        assert_eq!(s.dups().collect::<Vec<_>>(), dups);
        let Chunk::Sack(s) = one(|p| SackChunk::emit(p, 1, 2, &[], &[])) else { panic!() };
        assert_eq!((s.gap_blocks.len(), s.dup_tsns.len()), (0, 0));

        let mut out = Vec::new();
        SackChunk::emit(&mut out, 1, 2, &[(1, 2)], &[3]);
        assert_eq!(out, [3, 0, 0, 24, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 1, 0, 1, 0, 2, 0, 0, 0, 3]);
    }

    #[test]
    fn sack_malformed_counts() {
        // 65535 gaps and 65535 dups announced, none present.
        assert_eq!(
            first(&[3, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff]),
            Err(Error::BadLength)
        );
        // One gap announced, 2 bytes of it present.
        assert_eq!(
            first(&[3, 0, 0, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1, 0, 0, 0, 1]),
            Err(Error::BadLength)
        );
        // Fixed part incomplete.
        assert_eq!(first(&[3, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0, 2]), Err(Error::BadLength));
        // Extra bytes after the announced blocks are ignored.
        let Ok(Chunk::Sack(s)) =
            first(&[3, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 9, 9, 9, 9])
        else {
            panic!()
        };
        assert_eq!((s.gap_blocks.len(), s.dup_tsns.len()), (0, 0));
    }

    #[test]
    fn heartbeat_round_trip() {
        for n in 0..=6usize {
            let info: Vec<u8> = (1..=n as u8).collect();
            let mut out = Vec::new();
            emit_heartbeat(&mut out, CHUNK_HEARTBEAT, &info);
            assert_eq!(u16::from_be_bytes([out[2], out[3]]) as usize, 8 + n);
            assert_eq!(out.len(), 8 + n + pad4(n));
            assert_eq!(
                one(|p| p.extend_from_slice(&out)),
                Chunk::Heartbeat(Bytes::from(info.clone()))
            );
            let got = one(|p| emit_heartbeat(p, CHUNK_HEARTBEAT_ACK, &info));
            assert_eq!(got, Chunk::HeartbeatAck(Bytes::from(info)));
        }
    }

    #[test]
    fn heartbeat_malformed() {
        assert_eq!(first(&[4, 0, 0, 4]), Err(Error::BadLength)); // no parameter
        assert_eq!(first(&[4, 0, 0, 8, 0, 2, 0, 4]), Err(Error::Invalid)); // not type 1
        assert_eq!(first(&[5, 0, 0, 8, 0, 1, 0, 9]), Err(Error::BadLength)); // past chunk
        assert_eq!(first(&[5, 0, 0, 8, 0, 1, 0, 3]), Err(Error::BadLength)); // below header
    }

    #[test]
    fn simple_chunks_round_trip() {
        let causes = [0u8, 12, 0, 6, b'h', b'i', 0, 0];
        let got = round_trip(|p| {
            emit_raw(p, CHUNK_ABORT, FLAG_T, &causes[..6]);
            emit_raw(p, CHUNK_ABORT, 0, &[]);
            emit_shutdown(p, 0x01020304);
            emit_raw(p, CHUNK_SHUTDOWN_ACK, 0, &[]);
            emit_raw(p, CHUNK_ERROR, 0, &causes);
            emit_raw(p, CHUNK_COOKIE_ECHO, 0, b"a cookie");
            emit_raw(p, CHUNK_COOKIE_ECHO, 0, b"odd");
            emit_raw(p, CHUNK_COOKIE_ACK, 0, &[]);
            emit_raw(p, CHUNK_SHUTDOWN_COMPLETE, FLAG_T, &[]);
            emit_raw(p, CHUNK_SHUTDOWN_COMPLETE, 0, &[]);
            emit_raw(p, CHUNK_PAD, 0, &[0; 13]);
            emit_raw(p, 0x3f, 0xa5, &[1, 2, 3]);
        });
        let want = vec![
            Chunk::Abort { t: true, causes: Bytes::copy_from_slice(&causes[..6]) },
            Chunk::Abort { t: false, causes: Bytes::new() },
            Chunk::Shutdown { cum_tsn_ack: 0x01020304 },
            Chunk::ShutdownAck,
            Chunk::Error { causes: Bytes::copy_from_slice(&causes) },
            Chunk::CookieEcho(Bytes::from_static(b"a cookie")),
            Chunk::CookieEcho(Bytes::from_static(b"odd")),
            Chunk::CookieAck,
            Chunk::ShutdownComplete { t: true },
            Chunk::ShutdownComplete { t: false },
            Chunk::Pad,
            Chunk::Unknown {
                chunk_type: 0x3f,
                flags: 0xa5,
                value: Bytes::from_static(&[1, 2, 3]),
                raw: Bytes::from_static(&[0x3f, 0xa5, 0, 7, 1, 2, 3]),
            },
        ];
        assert_eq!(got, want);
        for (c, w) in got.iter().zip(&want) {
            assert_eq!(c.chunk_type(), w.chunk_type());
        }
        let mut out = Vec::new();
        emit_shutdown(&mut out, 7);
        assert_eq!(out, [7, 0, 0, 8, 0, 0, 0, 7]);
        assert_eq!(first(&[7, 0, 0, 6, 0, 0]), Err(Error::BadLength));
    }

    #[test]
    fn forward_tsn_round_trip_and_truncation() {
        let streams = [(1, 2), (0xffff, 0xfffe)];
        let got = one(|p| emit_forward_tsn(p, 77, &streams));
        assert_eq!(
            got,
            Chunk::ForwardTsn(ForwardTsnChunk {
                new_cum_tsn: 77,
                streams: Bytes::from_static(&[0, 1, 0, 2, 0xff, 0xff, 0xff, 0xfe]),
            })
        );
        let got = one(|p| emit_forward_tsn(p, 5, &[]));
        assert_eq!(
            got,
            Chunk::ForwardTsn(ForwardTsnChunk { new_cum_tsn: 5, streams: Bytes::new() })
        );
        // A trailing partial pair is dropped.
        let Ok(Chunk::ForwardTsn(f)) = first(&[0xc0, 0, 0, 14, 0, 0, 0, 5, 0, 1, 0, 2, 0, 3])
        else {
            panic!()
        };
        assert_eq!(&f.streams[..], &[0, 1, 0, 2]);
        assert_eq!(first(&[0xc0, 0, 0, 6, 0, 0]), Err(Error::BadLength));
    }

    #[test]
    fn bad_chunk_lengths() {
        // Length 0 and 3: below the header.
        assert_eq!(parse_all(&[11, 0, 0, 0]), vec![Err(Error::BadLength)]);
        assert_eq!(parse_all(&[11, 0, 0, 3, 11, 0, 0, 4]), vec![Err(Error::BadLength)]);
        // Length beyond the buffer.
        assert_eq!(parse_all(&[10, 0, 0, 9, 1, 2, 3, 4]), vec![Err(Error::BadLength)]);
        assert_eq!(parse_all(&[10, 0, 0xff, 0xff]), vec![Err(Error::BadLength)]);
        // 1-3 stray bytes: not even a chunk header.
        assert_eq!(parse_all(&[11]), vec![Err(Error::Truncated)]);
        assert_eq!(
            parse_all(&[11, 0, 0, 4, 0, 0]),
            vec![Ok(Chunk::CookieAck), Err(Error::Truncated)]
        );
        // Valid chunks before the bad one are still yielded, then one error.
        assert_eq!(
            parse_all(&[11, 0, 0, 4, 8, 0, 0, 4, 11, 0, 0, 2, 11, 0, 0, 4]),
            vec![Ok(Chunk::CookieAck), Ok(Chunk::ShutdownAck), Err(Error::BadLength)]
        );
        assert!(parse_all(&[]).is_empty());
    }

    #[test]
    fn last_chunk_padding_may_be_missing() {
        // COOKIE ECHO of 5 value bytes with no padding, after a padded one.
        let v = [10, 0, 0, 6, 1, 2, 0, 0, 10, 0, 0, 9, 1, 2, 3, 4, 5];
        assert_eq!(
            parse_all(&v),
            vec![
                Ok(Chunk::CookieEcho(Bytes::from_static(&[1, 2]))),
                Ok(Chunk::CookieEcho(Bytes::from_static(&[1, 2, 3, 4, 5]))),
            ]
        );
        // Partial padding (2 of 3 bytes).
        assert_eq!(
            parse_all(&[10, 0, 0, 5, 1, 0, 0]),
            vec![Ok(Chunk::CookieEcho(Bytes::from_static(&[1])))]
        );
    }

    mod props {
        use super::*;
        use proptest::prelude::*;
        use std::net::IpAddr;

        fn init_params() -> impl Strategy<Value = InitParams> {
            let addr = prop_oneof![
                any::<[u8; 4]>().prop_map(IpAddr::from),
                any::<[u8; 16]>().prop_map(IpAddr::from),
            ];
            let bytes = |n| prop::collection::vec(any::<u8>(), 0..n).prop_map(Bytes::from);
            (
                prop::collection::vec(addr, 0..4),
                prop::option::of(bytes(40)),
                prop::option::of(any::<u32>()),
                prop::option::of(prop::collection::vec(any::<u16>(), 0..5)),
                any::<bool>(),
                prop::option::of(any::<u32>()),
                prop::option::of(bytes(7)),
                any::<bool>(),
            )
                .prop_map(|(addrs, cookie, life, types, fwd, adapt, ext, ecn)| {
                    InitParams {
                        addrs,
                        cookie,
                        cookie_preservative: life,
                        supported_addr_types: types,
                        ecn_capable: ecn,
                        forward_tsn_supported: fwd,
                        adaptation_indication: adapt,
                        supported_extensions: ext,
                        ..Default::default()
                    }
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(500))]

            #[test]
            fn data_sack_fwd_hb_round_trip(
                flags in any::<u8>(), tsn in any::<u32>(), sid in any::<u16>(), ssn in any::<u16>(),
                ppid in any::<u32>(), payload in prop::collection::vec(any::<u8>(), 0..64),
                gaps in prop::collection::vec(any::<(u16, u16)>(), 0..8),
                dups in prop::collection::vec(any::<u32>(), 0..8),
                info in prop::collection::vec(any::<u8>(), 0..40),
            ) {
                let got = round_trip(|p| {
                    DataChunk::emit(p, flags, tsn, sid, ssn, ppid, &payload);
                    SackChunk::emit(p, tsn, ppid, &gaps, &dups);
                    emit_forward_tsn(p, tsn, &gaps);
                    emit_heartbeat(p, CHUNK_HEARTBEAT_ACK, &info);
                });
                prop_assert_eq!(got.len(), 4);
                let data = DataChunk { flags, tsn, stream_id: sid, ssn, ppid, payload: Bytes::from(payload) };
                prop_assert_eq!(&got[0], &Chunk::Data(data));
                let Chunk::Sack(sack) = &got[1] else { panic!() };
                prop_assert_eq!((sack.cum_tsn_ack, sack.a_rwnd), (tsn, ppid));
                prop_assert_eq!(sack.gaps().collect::<Vec<_>>(), gaps.clone());
                prop_assert_eq!(sack.dups().collect::<Vec<_>>(), dups);
                let Chunk::ForwardTsn(f) = &got[2] else { panic!() };
                prop_assert_eq!(f.new_cum_tsn, tsn);
                let pairs: Vec<(u16, u16)> = f
                    .streams
                    .chunks_exact(4)
                    .map(|c| (u16::from_be_bytes([c[0], c[1]]), u16::from_be_bytes([c[2], c[3]])))
                    .collect();
                prop_assert_eq!(pairs, gaps);
                prop_assert_eq!(&got[3], &Chunk::HeartbeatAck(Bytes::from(info)));
            }

            #[test]
            fn init_round_trip(
                tag in any::<u32>(), rwnd in any::<u32>(), os in any::<u16>(), mis in any::<u16>(),
                tsn in any::<u32>(), params in init_params(), ack in any::<bool>(),
            ) {
                let init = InitChunk {
                    initiate_tag: tag,
                    a_rwnd: rwnd,
                    num_outbound_streams: os,
                    num_inbound_streams: mis,
                    initial_tsn: tsn,
                    params,
                };
                let ctype = if ack { CHUNK_INIT_ACK } else { CHUNK_INIT };
                let want = if ack { Chunk::InitAck(init.clone()) } else { Chunk::Init(init.clone()) };
                prop_assert_eq!(one(|p| init.emit(ctype, p)), want);
            }
        }
    }
}
