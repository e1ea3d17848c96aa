//! Error causes of ABORT and ERROR chunks (RFC 9260 3.3.10).

use super::Error;
use bytes::Bytes;

/// One error cause. Variable-length bodies stay raw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// 1: Invalid Stream Identifier.
    InvalidStream(u16),
    /// 2: Missing Mandatory Parameter; raw body (count + types).
    MissingMandatoryParam(Bytes),
    /// 3: Stale Cookie Error; measure of staleness in microseconds.
    StaleCookie(u32),
    /// 4: Out of Resource.
    OutOfResource,
    /// 5: Unresolvable Address; the unresolvable address TLV.
    UnresolvableAddress(Bytes),
    /// 6: Unrecognized Chunk Type; the whole unrecognized chunk.
    UnrecognizedChunk(Bytes),
    /// 7: Invalid Mandatory Parameter.
    InvalidMandatoryParam,
    /// 8: Unrecognized Parameters; the unrecognized TLVs.
    UnrecognizedParams(Bytes),
    /// 9: No User Data; the TSN of the empty DATA chunk.
    NoUserData(u32),
    /// 10: Cookie Received While Shutting Down.
    CookieWhileShuttingDown,
    /// 11: Restart of an Association with New Addresses; the new address TLVs.
    RestartWithNewAddrs(Bytes),
    /// 12: User-Initiated Abort; upper-layer abort reason.
    UserInitiatedAbort(Bytes),
    /// 13: Protocol Violation; additional information.
    ProtocolViolation(Bytes),
    /// Any other cause code.
    Other { code: u16, value: Bytes },
}

impl Cause {
    /// The cause code.
    pub fn code(&self) -> u16 {
        match self {
            Cause::InvalidStream(_) => 1,
            Cause::MissingMandatoryParam(_) => 2,
            Cause::StaleCookie(_) => 3,
            Cause::OutOfResource => 4,
            Cause::UnresolvableAddress(_) => 5,
            Cause::UnrecognizedChunk(_) => 6,
            Cause::InvalidMandatoryParam => 7,
            Cause::UnrecognizedParams(_) => 8,
            Cause::NoUserData(_) => 9,
            Cause::CookieWhileShuttingDown => 10,
            Cause::RestartWithNewAddrs(_) => 11,
            Cause::UserInitiatedAbort(_) => 12,
            Cause::ProtocolViolation(_) => 13,
            Cause::Other { code, .. } => *code,
        }
    }

    /// Appends this cause (header, body, padding to 4 bytes) to `out`.
    /// InvalidStream is written with its 2-byte reserved field.
    pub fn emit(&self, out: &mut Vec<u8>) {
        todo!("wire codec")
    }
}

/// Iterator over the error causes in an ABORT or ERROR body. Yields `Err`
/// once at the first malformed cause and then ends.
#[derive(Clone, Debug)]
pub struct Causes {
    pub(crate) buf: Bytes,
    pub(crate) pos: usize,
    pub(crate) failed: bool,
}

impl Causes {
    pub fn new(buf: Bytes) -> Self {
        Causes { buf, pos: 0, failed: false }
    }
}

impl Iterator for Causes {
    type Item = Result<Cause, Error>;
    fn next(&mut self) -> Option<Self::Item> {
        todo!("wire codec")
    }
}
