//! Parameters of INIT and INIT ACK (RFC 9260 3.3.2, 3.3.3; RFC 3758 3.1;
//! RFC 5061 4.2.6, 4.2.7; RFC 4820 4).

use super::tlv::{put_padding, put_tlv, put_tlv_with, Tlv, TlvReader};
use super::Error;
use bytes::Bytes;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const PARAM_HEARTBEAT_INFO: u16 = 1;
pub const PARAM_IPV4: u16 = 5;
pub const PARAM_IPV6: u16 = 6;
pub const PARAM_STATE_COOKIE: u16 = 7;
pub const PARAM_UNRECOGNIZED: u16 = 8;
pub const PARAM_COOKIE_PRESERVATIVE: u16 = 9;
pub const PARAM_HOST_NAME: u16 = 11;
pub const PARAM_SUPPORTED_ADDR_TYPES: u16 = 12;
pub const PARAM_ECN: u16 = 0x8000;
/// AUTH (RFC 4895 3): RANDOM, CHUNKS and HMAC-ALGO.
pub const PARAM_RANDOM: u16 = 0x8002;
pub const PARAM_CHUNKS: u16 = 0x8003;
pub const PARAM_HMAC_ALGO: u16 = 0x8004;
pub const PARAM_PAD: u16 = 0x8005;
pub const PARAM_SUPPORTED_EXT: u16 = 0x8008;
pub const PARAM_FORWARD_TSN_SUPPORTED: u16 = 0xC000;
pub const PARAM_ADAPTATION: u16 = 0xC006;

/// The optional/variable parameters of an INIT or INIT ACK, decoded.
///
/// Parsing (RFC 9260 3.2.1): known parameters fill their field (a
/// malformed known parameter, e.g. an IPv4 address whose length is not 8,
/// makes the whole chunk fail to parse with `Error::Invalid`). Unknown
/// parameters follow the upper two bits of their type: `00` stop
/// processing the remaining parameters; `01` stop and report; `10` skip;
/// `11` skip and report. "Report" appends the whole parameter TLV
/// (header + value, without padding) to `unrecognized`. PAD (0x8005) and
/// ECN (0x8000) are skipped silently.
///
/// Emission writes, in this order and only when set: every address in
/// `addrs`, the cookie, the cookie preservative, the supported address
/// types, ECN Capable, Forward-TSN-Supported, the adaptation indication, the supported
/// extensions, RANDOM, CHUNKS, HMAC-ALGO, and each entry of `unrecognized` wrapped in an
/// "Unrecognized Parameter" (type 8) parameter (only meaningful in an INIT
/// ACK). `host_name` and `unrecognized_reported` are parse-only.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct InitParams {
    /// IPv4 (type 5) and IPv6 (type 6) address parameters, in order.
    pub addrs: Vec<IpAddr>,
    /// State Cookie (type 7) value; mandatory in INIT ACK.
    pub cookie: Option<Bytes>,
    /// Cookie Preservative (type 9): suggested life-span increment, ms.
    pub cookie_preservative: Option<u32>,
    /// A Host Name Address (type 11) was present (RFC 9260 3.3.2.1.4: the
    /// receiver MUST ABORT with "Unresolvable Address").
    pub host_name: bool,
    /// Supported Address Types (type 12): the listed address types.
    pub supported_addr_types: Option<Vec<u16>>,
    /// ECN Capable (0x8000, RFC 4960 appendix A) was present.
    pub ecn_capable: bool,
    /// Forward-TSN-Supported (0xC000) was present.
    pub forward_tsn_supported: bool,
    /// Adaptation Layer Indication (0xC006) value.
    pub adaptation_indication: Option<u32>,
    /// Supported Extensions (0x8008): the chunk types listed.
    pub supported_extensions: Option<Bytes>,
    /// AUTH (RFC 4895 3.1-3.3): the values of RANDOM (0x8002), CHUNKS
    /// (0x8003) and HMAC-ALGO (0x8004), without padding.
    pub auth_random: Option<Bytes>,
    pub auth_chunks: Option<Bytes>,
    pub auth_hmacs: Option<Bytes>,
    /// Parse: unknown parameters whose type asks to be reported, each the
    /// whole TLV. Emit: wrapped into type 8 parameters.
    pub unrecognized: Vec<Bytes>,
    /// Parse only: values of "Unrecognized Parameter" (type 8) parameters
    /// found in an INIT ACK (the peer's report of what it did not know).
    pub unrecognized_reported: Vec<Bytes>,
}

impl InitParams {
    /// Decodes the parameters of an INIT or INIT ACK (the bytes after the
    /// 16-byte fixed part) as the type's doc comment describes.
    pub(super) fn parse(buf: Bytes) -> Result<InitParams, Error> {
        let mut p = InitParams::default();
        let mut params = TlvReader::new(buf);
        while let Some(param) = params.next_tlv() {
            let Tlv { kind, value, raw } = param?;
            match kind {
                PARAM_IPV4 => {
                    let a = <[u8; 4]>::try_from(&value[..]).map_err(|_| Error::Invalid)?;
                    p.addrs.push(IpAddr::V4(Ipv4Addr::from(a)));
                }
                PARAM_IPV6 => {
                    let a = <[u8; 16]>::try_from(&value[..]).map_err(|_| Error::Invalid)?;
                    p.addrs.push(IpAddr::V6(Ipv6Addr::from(a)));
                }
                PARAM_STATE_COOKIE => p.cookie = Some(value),
                PARAM_COOKIE_PRESERVATIVE => p.cookie_preservative = Some(exact_u32(&value)?),
                PARAM_HOST_NAME => p.host_name = true,
                PARAM_SUPPORTED_ADDR_TYPES => {
                    if value.len() % 2 != 0 {
                        return Err(Error::Invalid);
                    }
                    let types = value
                        .chunks_exact(2)
                        .filter_map(|c| <[u8; 2]>::try_from(c).ok())
                        .map(u16::from_be_bytes)
                        .collect();
                    p.supported_addr_types = Some(types);
                }
                PARAM_FORWARD_TSN_SUPPORTED => {
                    if !value.is_empty() {
                        return Err(Error::Invalid);
                    }
                    p.forward_tsn_supported = true;
                }
                PARAM_ADAPTATION => p.adaptation_indication = Some(exact_u32(&value)?),
                PARAM_SUPPORTED_EXT => p.supported_extensions = Some(value),
                PARAM_RANDOM => p.auth_random = Some(value),
                PARAM_CHUNKS => p.auth_chunks = Some(value),
                PARAM_HMAC_ALGO => {
                    if value.len() % 2 != 0 {
                        return Err(Error::Invalid);
                    }
                    p.auth_hmacs = Some(value);
                }
                PARAM_UNRECOGNIZED => p.unrecognized_reported.push(value),
                // RFC 4960 appendix A: no value; a longer one is still the
                // peer saying it is ECN capable (as Linux and usrsctp read it).
                PARAM_ECN => p.ecn_capable = true,
                PARAM_PAD => {}
                // RFC 9260 3.2.1 Table 3: the upper two bits say what to do.
                _ => match kind >> 14 {
                    0b00 => break,
                    0b01 => {
                        p.unrecognized.push(raw);
                        break;
                    }
                    0b10 => {}
                    _ => p.unrecognized.push(raw),
                },
            }
        }
        Ok(p)
    }

    /// Appends every parameter that is set, in the documented order, each
    /// followed by its padding. Returns the position in `out` just after
    /// the last parameter's value (before its padding), or `None` if
    /// nothing was written.
    pub(super) fn emit(&self, out: &mut Vec<u8>) -> Option<usize> {
        let mut end = None;
        for addr in &self.addrs {
            end = Some(match addr {
                IpAddr::V4(a) => put_tlv(out, PARAM_IPV4, &a.octets()),
                IpAddr::V6(a) => put_tlv(out, PARAM_IPV6, &a.octets()),
            });
        }
        if let Some(cookie) = &self.cookie {
            end = Some(put_tlv(out, PARAM_STATE_COOKIE, cookie));
        }
        if let Some(life) = self.cookie_preservative {
            end = Some(put_tlv(out, PARAM_COOKIE_PRESERVATIVE, &life.to_be_bytes()));
        }
        if let Some(types) = &self.supported_addr_types {
            end = Some(put_tlv_with(out, PARAM_SUPPORTED_ADDR_TYPES, |o| {
                for t in types {
                    o.extend_from_slice(&t.to_be_bytes());
                }
            }));
        }
        if self.ecn_capable {
            end = Some(put_tlv(out, PARAM_ECN, &[]));
        }
        if self.forward_tsn_supported {
            end = Some(put_tlv(out, PARAM_FORWARD_TSN_SUPPORTED, &[]));
        }
        if let Some(ind) = self.adaptation_indication {
            end = Some(put_tlv(out, PARAM_ADAPTATION, &ind.to_be_bytes()));
        }
        if let Some(ext) = &self.supported_extensions {
            end = Some(put_tlv(out, PARAM_SUPPORTED_EXT, ext));
        }
        if let Some(r) = &self.auth_random {
            end = Some(put_tlv(out, PARAM_RANDOM, r));
        }
        if let Some(c) = &self.auth_chunks {
            end = Some(put_tlv(out, PARAM_CHUNKS, c));
        }
        if let Some(h) = &self.auth_hmacs {
            end = Some(put_tlv(out, PARAM_HMAC_ALGO, h));
        }
        for unrec in &self.unrecognized {
            // RFC 9260 3.3.3.1.2: the value is the unrecognized TLV; the
            // TLV (with its own padding appended) keeps later TLVs aligned.
            end = Some(put_tlv_with(out, PARAM_UNRECOGNIZED, |o| {
                o.extend_from_slice(unrec);
                put_padding(o, unrec.len());
            }));
        }
        end
    }
}

/// A 4-byte value as u32; any other length is `Error::Invalid`.
fn exact_u32(value: &[u8]) -> Result<u32, Error> {
    <[u8; 4]>::try_from(value).map(u32::from_be_bytes).map_err(|_| Error::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Result<InitParams, Error> {
        InitParams::parse(Bytes::copy_from_slice(bytes))
    }

    #[test]
    fn emit_order_and_bytes() {
        let p = InitParams {
            addrs: vec!["10.0.0.1".parse().unwrap()],
            cookie: Some(Bytes::from_static(&[0xcc])),
            cookie_preservative: Some(1),
            host_name: true, // parse-only: not emitted
            supported_addr_types: Some(vec![5]),
            ecn_capable: true,
            forward_tsn_supported: true,
            adaptation_indication: Some(2),
            supported_extensions: Some(Bytes::from_static(&[0xc0])),
            auth_random: Some(Bytes::from_static(&[7, 7])),
            auth_chunks: Some(Bytes::from_static(&[0])),
            auth_hmacs: Some(Bytes::from_static(&[0, 1])),
            unrecognized: vec![Bytes::from_static(&[0xff, 0xff, 0, 4])],
            unrecognized_reported: vec![Bytes::from_static(b"ignored")], // parse-only
        };
        let mut out = Vec::new();
        let end = p.emit(&mut out);
        #[rustfmt::skip]
        let want: Vec<u8> = vec![
            0, 5, 0, 8, 10, 0, 0, 1,
            0, 7, 0, 5, 0xcc, 0, 0, 0,
            0, 9, 0, 8, 0, 0, 0, 1,
            0, 12, 0, 6, 0, 5, 0, 0,
            0x80, 0, 0, 4,
            0xc0, 0, 0, 4,
            0xc0, 6, 0, 8, 0, 0, 0, 2,
            0x80, 8, 0, 5, 0xc0, 0, 0, 0,
            0x80, 2, 0, 6, 7, 7, 0, 0,
            0x80, 3, 0, 5, 0, 0, 0, 0,
            0x80, 4, 0, 6, 0, 1, 0, 0,
            0, 8, 0, 8, 0xff, 0xff, 0, 4,
        ];
        assert_eq!(out, want);
        assert_eq!(end, Some(want.len()));
        assert_eq!(InitParams::default().emit(&mut Vec::new()), None);
    }

    #[test]
    fn parse_all_known() {
        #[rustfmt::skip]
        let bytes = [
            0, 6, 0, 20, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
            0, 11, 0, 9, b'h', b'o', b's', b't', 0, 0, 0, 0,
            0x80, 0, 0, 4, // ECN Capable
            0x80, 5, 0, 7, 0, 0, 0, 0, // PAD: skipped
            0, 8, 0, 8, 0xc0, 0x99, 0, 4, // Unrecognized Parameter (reported by peer)
            0, 12, 0, 8, 0, 5, 0, 6,
            0, 5, 0, 8, 192, 0, 2, 7,
        ];
        let p = parse(&bytes).unwrap();
        assert_eq!(
            p.addrs,
            vec!["2001:db8::1".parse::<IpAddr>().unwrap(), "192.0.2.7".parse().unwrap()]
        );
        assert!(p.host_name);
        assert_eq!(p.supported_addr_types, Some(vec![5, 6]));
        assert_eq!(p.unrecognized_reported, vec![Bytes::from_static(&[0xc0, 0x99, 0, 4])]);
        assert!(p.unrecognized.is_empty());
        assert!(!p.forward_tsn_supported && p.cookie.is_none());
        assert!(p.ecn_capable);
    }

    #[test]
    fn unknown_parameter_actions() {
        let cookie = [0u8, 7, 0, 5, 0xaa, 0, 0, 0];
        let unknown = |t: u16| {
            let mut v = t.to_be_bytes().to_vec();
            v.extend_from_slice(&[0, 6, 1, 2, 0, 0]);
            v
        };
        let raw = |t: u16| {
            let mut v = t.to_be_bytes().to_vec();
            v.extend_from_slice(&[0, 6, 1, 2]);
            Bytes::from(v)
        };
        let run = |t: u16| {
            let mut v = unknown(t);
            v.extend_from_slice(&cookie);
            parse(&v).unwrap()
        };
        // 00: stop, no report.
        let p = run(0x0123);
        assert!(p.cookie.is_none() && p.unrecognized.is_empty());
        // 01: stop and report.
        let p = run(0x4123);
        assert!(p.cookie.is_none());
        assert_eq!(p.unrecognized, vec![raw(0x4123)]);
        // 10: skip, no report.
        let p = run(0x8123);
        assert!(p.cookie.is_some() && p.unrecognized.is_empty());
        // 11: skip and report.
        let p = run(0xc123);
        assert!(p.cookie.is_some());
        assert_eq!(p.unrecognized, vec![raw(0xc123)]);
        // After a "stop" the rest is not even looked at.
        let mut v = unknown(0x0001);
        v.extend_from_slice(&[0, 5, 0, 2]);
        assert!(parse(&v).is_ok());
    }

    #[test]
    fn malformed_parameters() {
        assert_eq!(parse(&[0, 5, 0, 2]).err(), Some(Error::BadLength)); // length 2
        assert_eq!(parse(&[0, 5, 0, 0]).err(), Some(Error::BadLength)); // length 0
        assert_eq!(parse(&[0, 7, 0, 9, 1, 2, 3, 4]).err(), Some(Error::BadLength)); // past end
        assert_eq!(parse(&[0, 7, 0, 4, 0, 0]).err(), Some(Error::Truncated)); // stray bytes
        assert_eq!(parse(&[0, 5, 0, 7, 1, 2, 3]).err(), Some(Error::Invalid));
        assert_eq!(parse(&[0, 6, 0, 8, 1, 2, 3, 4]).err(), Some(Error::Invalid));
        assert_eq!(parse(&[0, 9, 0, 6, 1, 2]).err(), Some(Error::Invalid));
        assert_eq!(parse(&[0, 12, 0, 7, 0, 5, 0]).err(), Some(Error::Invalid));
        assert_eq!(parse(&[0xc0, 0, 0, 8, 0, 0, 0, 0]).err(), Some(Error::Invalid));
        assert_eq!(parse(&[0xc0, 6, 0, 6, 0, 0]).err(), Some(Error::Invalid));
        // An empty parameter list is fine.
        assert_eq!(parse(&[]), Ok(InitParams::default()));
    }
}
