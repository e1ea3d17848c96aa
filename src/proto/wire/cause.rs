//! Error causes of ABORT and ERROR chunks (RFC 9260 3.3.10).

use super::tlv::{put_tlv_with, u16_at, u32_at, Tlv, TlvReader};
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
        put_tlv_with(out, self.code(), |o| match self {
            Cause::InvalidStream(sid) => {
                o.extend_from_slice(&sid.to_be_bytes());
                o.extend_from_slice(&[0, 0]);
            }
            Cause::StaleCookie(v) | Cause::NoUserData(v) => o.extend_from_slice(&v.to_be_bytes()),
            Cause::OutOfResource
            | Cause::InvalidMandatoryParam
            | Cause::CookieWhileShuttingDown => {}
            Cause::MissingMandatoryParam(b)
            | Cause::UnresolvableAddress(b)
            | Cause::UnrecognizedChunk(b)
            | Cause::UnrecognizedParams(b)
            | Cause::RestartWithNewAddrs(b)
            | Cause::UserInitiatedAbort(b)
            | Cause::ProtocolViolation(b)
            | Cause::Other { value: b, .. } => o.extend_from_slice(b),
        });
    }

    /// Decodes one cause from its code and body (without padding).
    fn parse(code: u16, body: Bytes) -> Result<Cause, Error> {
        Ok(match code {
            // Stream identifier + reserved; the reserved half is ignored.
            1 => Cause::InvalidStream(u16_at(&body, 0)?),
            2 => Cause::MissingMandatoryParam(body),
            3 => Cause::StaleCookie(u32_at(&body, 0)?),
            4 => Cause::OutOfResource,
            5 => Cause::UnresolvableAddress(body),
            6 => Cause::UnrecognizedChunk(body),
            7 => Cause::InvalidMandatoryParam,
            8 => Cause::UnrecognizedParams(body),
            9 => Cause::NoUserData(u32_at(&body, 0)?),
            10 => Cause::CookieWhileShuttingDown,
            11 => Cause::RestartWithNewAddrs(body),
            12 => Cause::UserInitiatedAbort(body),
            13 => Cause::ProtocolViolation(body),
            _ => Cause::Other { code, value: body },
        })
    }
}

/// A chunk's length excludes the padding of its last parameter or cause
/// (RFC 9260 3.2): given causes each padded by [`Cause::emit`], returns
/// them without the final cause's padding.
pub fn trim_last_pad(causes: &[u8]) -> &[u8] {
    let mut off = 0;
    let mut end = 0;
    while off + 4 <= causes.len() {
        let len = usize::from(u16::from_be_bytes([causes[off + 2], causes[off + 3]]));
        if len < 4 || off + len > causes.len() {
            return causes;
        }
        end = off + len;
        off += (len + 3) & !3;
    }
    if off >= causes.len() {
        &causes[..end]
    } else {
        causes
    }
}

#[cfg(test)]
mod trim_tests {
    use super::*;

    #[test]
    fn trims_only_the_final_padding() {
        let mut v = Vec::new();
        Cause::UserInitiatedAbort(Bytes::from_static(b"x")).emit(&mut v);
        assert_eq!(v.len(), 8);
        assert_eq!(trim_last_pad(&v).len(), 5);
        Cause::NoUserData(7).emit(&mut v);
        assert_eq!(trim_last_pad(&v).len(), 16);
        Cause::UserInitiatedAbort(Bytes::from_static(b"abc")).emit(&mut v);
        assert_eq!(trim_last_pad(&v).len(), 16 + 7);
        assert_eq!(trim_last_pad(&[]), &[] as &[u8]);
        assert_eq!(trim_last_pad(&[0, 1, 0]), &[0, 1, 0]);
    }
}

/// Iterator over the error causes in an ABORT or ERROR body. Yields `Err`
/// once at the first malformed cause and then ends.
#[derive(Clone, Debug)]
pub struct Causes {
    // Invariant kept by `next`: `pos` only grows and stays within `buf`.
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
        if self.failed {
            return None;
        }
        let rest = self.buf.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        let mut reader = TlvReader::new(self.buf.slice(self.pos..));
        let item = reader.next_tlv()?.and_then(|Tlv { kind, value, .. }| Cause::parse(kind, value));
        match item {
            Ok(cause) => {
                self.pos = (self.pos + reader.pos()).min(self.buf.len());
                Some(Ok(cause))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_causes() -> Vec<Cause> {
        let b = |s: &'static [u8]| Bytes::from_static(s);
        vec![
            Cause::InvalidStream(0xabcd),
            Cause::MissingMandatoryParam(b(&[0, 0, 0, 1, 0, 7])),
            Cause::StaleCookie(123456),
            Cause::OutOfResource,
            Cause::UnresolvableAddress(b(&[0, 11, 0, 5, b'x'])),
            Cause::UnrecognizedChunk(b(&[0x3f, 0, 0, 5, 1])),
            Cause::InvalidMandatoryParam,
            Cause::UnrecognizedParams(b(&[0xc1, 0, 0, 4])),
            Cause::NoUserData(0xfffffff0),
            Cause::CookieWhileShuttingDown,
            Cause::RestartWithNewAddrs(b(&[0, 5, 0, 8, 10, 0, 0, 1])),
            Cause::UserInitiatedAbort(b(b"bye")),
            Cause::ProtocolViolation(b(b"")),
            Cause::Other { code: 0x00a1, value: b(&[1, 2, 3, 4, 5, 6]) },
            Cause::Other { code: 0xffff, value: b(&[]) },
        ]
    }

    fn parse_all(bytes: &[u8]) -> Vec<Result<Cause, Error>> {
        let mut it = Causes::new(Bytes::copy_from_slice(bytes));
        let v: Vec<_> = it.by_ref().collect();
        assert!(it.next().is_none());
        v
    }

    #[test]
    fn round_trip_every_cause() {
        let mut out = Vec::new();
        for c in all_causes() {
            let start = out.len();
            c.emit(&mut out);
            assert_eq!(out.len() % 4, 0);
            assert_eq!(u16::from_be_bytes([out[start], out[start + 1]]), c.code());
            assert_eq!(parse_all(&out[start..]), vec![Ok(c)]);
        }
        let all: Vec<_> = all_causes().into_iter().map(Ok).collect();
        assert_eq!(parse_all(&out), all);
        // Without the final padding.
        let mut out = Vec::new();
        Cause::UserInitiatedAbort(Bytes::from_static(b"bye")).emit(&mut out);
        assert_eq!(out, [0, 12, 0, 7, b'b', b'y', b'e', 0]);
        assert_eq!(
            parse_all(&out[..7]),
            vec![Ok(Cause::UserInitiatedAbort(Bytes::from_static(b"bye")))]
        );
    }

    #[test]
    fn fixed_layouts() {
        let mut out = Vec::new();
        Cause::InvalidStream(0x0102).emit(&mut out);
        Cause::StaleCookie(0x0a0b0c0d).emit(&mut out);
        Cause::NoUserData(5).emit(&mut out);
        Cause::OutOfResource.emit(&mut out);
        #[rustfmt::skip]
        let want = [
            0, 1, 0, 8, 1, 2, 0, 0,
            0, 3, 0, 8, 0xa, 0xb, 0xc, 0xd,
            0, 9, 0, 8, 0, 0, 0, 5,
            0, 4, 0, 4,
        ];
        assert_eq!(out, want);
    }

    #[test]
    fn malformed_causes() {
        assert_eq!(parse_all(&[0, 4, 0, 0]), vec![Err(Error::BadLength)]);
        assert_eq!(parse_all(&[0, 4, 0, 3, 0, 4, 0, 4]), vec![Err(Error::BadLength)]);
        assert_eq!(parse_all(&[0, 12, 0, 9, 1, 2, 3, 4]), vec![Err(Error::BadLength)]);
        assert_eq!(parse_all(&[0, 4]), vec![Err(Error::Truncated)]);
        // Short fixed bodies.
        assert_eq!(parse_all(&[0, 3, 0, 6, 0, 0]), vec![Err(Error::BadLength)]);
        assert_eq!(parse_all(&[0, 9, 0, 4]), vec![Err(Error::BadLength)]);
        assert_eq!(parse_all(&[0, 1, 0, 5, 1]), vec![Err(Error::BadLength)]);
        // Good causes before the bad one are yielded first.
        assert_eq!(
            parse_all(&[0, 4, 0, 4, 0, 10, 0, 4, 0, 4, 0xff, 0xff]),
            vec![
                Ok(Cause::OutOfResource),
                Ok(Cause::CookieWhileShuttingDown),
                Err(Error::BadLength)
            ]
        );
        assert!(parse_all(&[]).is_empty());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn cause() -> impl Strategy<Value = Cause> {
            let bytes = || prop::collection::vec(any::<u8>(), 0..24).prop_map(Bytes::from);
            prop_oneof![
                any::<u16>().prop_map(Cause::InvalidStream),
                any::<u32>().prop_map(Cause::StaleCookie),
                any::<u32>().prop_map(Cause::NoUserData),
                bytes().prop_map(Cause::UnrecognizedChunk),
                bytes().prop_map(Cause::ProtocolViolation),
                (14u16.., bytes()).prop_map(|(code, value)| Cause::Other { code, value }),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(500))]

            #[test]
            fn emit_then_parse(causes in prop::collection::vec(cause(), 0..6)) {
                let mut out = Vec::new();
                for c in &causes {
                    c.emit(&mut out);
                }
                let got: Vec<Cause> = Causes::new(Bytes::from(out)).collect::<Result<_, _>>().unwrap();
                prop_assert_eq!(got, causes);
            }
        }
    }
}
