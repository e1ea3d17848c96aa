//! Private helpers of the wire codec: bounds-checked big-endian reads, the
//! type-length-value reader shared by parameters (RFC 9260 3.2.1) and error
//! causes (RFC 9260 3.3.10), and the append-side helpers of the emitters.
//!
//! Every read here is checked; nothing indexes past a slice.

use super::{pad4, Error};
use bytes::Bytes;

/// Big-endian u16 at `at`, or `Error::BadLength` if the bytes are not there.
#[inline]
pub(super) fn u16_at(b: &[u8], at: usize) -> Result<u16, Error> {
    at.checked_add(2)
        .and_then(|end| b.get(at..end))
        .and_then(|s| <[u8; 2]>::try_from(s).ok())
        .map(u16::from_be_bytes)
        .ok_or(Error::BadLength)
}

/// Big-endian u32 at `at`, or `Error::BadLength` if the bytes are not there.
#[inline]
pub(super) fn u32_at(b: &[u8], at: usize) -> Result<u32, Error> {
    at.checked_add(4)
        .and_then(|end| b.get(at..end))
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .map(u32::from_be_bytes)
        .ok_or(Error::BadLength)
}

/// `b[from..to]` as a `Bytes`, or `Error::BadLength` if out of range.
#[inline]
pub(super) fn sub(b: &Bytes, from: usize, to: usize) -> Result<Bytes, Error> {
    if from <= to && to <= b.len() {
        Ok(b.slice(from..to))
    } else {
        Err(Error::BadLength)
    }
}

/// One parameter or error cause.
pub(super) struct Tlv {
    /// Parameter type or cause code.
    pub kind: u16,
    /// The bytes after the 4-byte header, without padding.
    pub value: Bytes,
    /// The whole TLV from its header, without padding.
    pub raw: Bytes,
}

/// Reads consecutive TLVs (type u16, length u16 including the 4-byte
/// header, value, zero padding to 4 bytes) from a buffer. The padding of
/// the last TLV may be absent. A header that does not fit is
/// `Error::Truncated`; a length below 4 or past the buffer is
/// `Error::BadLength`. Each call consumes at least 4 bytes or fails, so
/// iteration terminates.
pub(super) struct TlvReader {
    buf: Bytes,
    pos: usize,
}

impl TlvReader {
    pub(super) fn new(buf: Bytes) -> Self {
        TlvReader { buf, pos: 0 }
    }

    /// Position of the next TLV in the buffer.
    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    /// The next TLV, `None` at the end of the buffer. After an error the
    /// caller must stop (the position is not advanced past the bad TLV).
    pub(super) fn next_tlv(&mut self) -> Option<Result<Tlv, Error>> {
        let rest = self.buf.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        Some(self.read_one())
    }

    fn read_one(&mut self) -> Result<Tlv, Error> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        if rest.len() < 4 {
            return Err(Error::Truncated);
        }
        let kind = u16_at(rest, 0)?;
        let len = usize::from(u16_at(rest, 2)?);
        if len < 4 || len > rest.len() {
            return Err(Error::BadLength);
        }
        let start = self.pos;
        let end = start + len; // len <= rest.len(), so end <= buf.len()
        let raw = sub(&self.buf, start, end)?;
        let value = sub(&self.buf, start + 4, end)?;
        self.pos = end.saturating_add(pad4(len)).min(self.buf.len());
        Ok(Tlv { kind, value, raw })
    }
}

/// Overwrites the big-endian u16 at `at` in `out` (a length placeholder
/// written earlier by the same emitter).
#[inline]
pub(super) fn patch_u16(out: &mut [u8], at: usize, v: u16) {
    if let Some(s) = out.get_mut(at..at.saturating_add(2)) {
        s.copy_from_slice(&v.to_be_bytes());
    }
}

/// Converts an emitted length to the u16 of a length field. Callers
/// guarantee the fit (documented on every emitter); a larger value is a
/// caller bug, caught in debug builds.
#[inline]
pub(super) fn len16(len: usize) -> u16 {
    debug_assert!(len <= usize::from(u16::MAX), "SCTP length field overflow: {len}");
    len as u16
}

/// Appends zero bytes so that a TLV or chunk of length `len` ends on a
/// 4-byte boundary.
#[inline]
pub(super) fn put_padding(out: &mut Vec<u8>, len: usize) {
    out.resize(out.len() + pad4(len), 0);
}

/// Appends a TLV whose value `value` writes, then its padding. Returns the
/// position in `out` just after the value (before the padding).
pub(super) fn put_tlv_with(
    out: &mut Vec<u8>,
    kind: u16,
    value: impl FnOnce(&mut Vec<u8>),
) -> usize {
    let start = out.len();
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    value(out);
    let len = out.len() - start;
    patch_u16(out, start + 2, len16(len));
    let end = out.len();
    put_padding(out, len);
    end
}

/// Appends a TLV with `value` as its value, then its padding. Returns the
/// position just after the value.
pub(super) fn put_tlv(out: &mut Vec<u8>, kind: u16, value: &[u8]) -> usize {
    put_tlv_with(out, kind, |o| o.extend_from_slice(value))
}

/// Appends a chunk (type, flags, length, then what `body` writes, then
/// padding). The chunk length covers everything `body` wrote.
pub(super) fn put_chunk_with(
    out: &mut Vec<u8>,
    chunk_type: u8,
    flags: u8,
    body: impl FnOnce(&mut Vec<u8>),
) {
    let start = out.len();
    out.extend_from_slice(&[chunk_type, flags, 0, 0]);
    body(out);
    let len = out.len() - start;
    patch_u16(out, start + 2, len16(len));
    put_padding(out, len);
}
