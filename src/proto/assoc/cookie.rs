//! The State Cookie (RFC 9260 5.1.3, 5.1.5): everything needed to build
//! the association when the COOKIE ECHO arrives, signed with
//! HMAC-SHA-256 over a per-endpoint secret. It carries nothing of the
//! host (no pointers, no memory addresses), only protocol values.

use crate::proto::time::Instant;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const VERSION: u8 = 1;
const MAC_LEN: usize = 32;
/// Upper bound on peer addresses kept in a cookie (and in an association).
pub const MAX_PEER_ADDRS: usize = 16;

/// The contents of a State Cookie.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cookie {
    pub created_at: Instant,
    pub lifetime_us: u64,
    pub local_tag: u32,
    pub peer_tag: u32,
    pub local_tie_tag: u32,
    pub peer_tie_tag: u32,
    pub local_initial_tsn: u32,
    pub peer_initial_tsn: u32,
    pub peer_a_rwnd: u32,
    /// Negotiated outbound streams (min of ours and the peer's MIS).
    pub out_streams: u16,
    /// Negotiated inbound streams (min of the peer's OS and our MIS).
    pub in_streams: u16,
    pub local_port: u16,
    pub peer_port: u16,
    pub peer_forward_tsn: bool,
    /// The peer listed I-DATA in its Supported Extensions (RFC 8260).
    pub peer_intl: bool,
    /// The peer offered RE-CONFIG (RFC 6525 5.1.1).
    pub peer_reconf: bool,
    /// The peer's INIT announced ECN Capable (RFC 4960 appendix A).
    pub peer_ecn: bool,
    /// AUTH (RFC 4895): when we offered it, our key vector and the
    /// peer's (empty if it did not offer AUTH), as sent; the association
    /// keys are made from them (6.1; no shared key is in the cookie, 6.3).
    pub auth_kv: Option<(Bytes, Bytes)>,
    /// The peer listed ASCONF and ASCONF-ACK (RFC 5061 4.2.7).
    pub peer_asconf: bool,
    pub peer_adaptation: Option<u32>,
    /// The peer's addresses: the INIT's source address first, then the
    /// INIT's address parameters.
    pub peer_addrs: Vec<IpAddr>,
    /// UDP source port of the INIT (the remote encapsulation port).
    pub encap_port: u16,
}

/// Why a received cookie was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CookieError {
    /// Malformed or bad signature: silently discard (RFC 9260 5.1.5 step 2).
    Invalid,
    /// Signature good but the lifetime expired: report a Stale Cookie
    /// error with the staleness in microseconds (5.1.5 step 3).
    Stale { staleness_us: u32, peer_tag: u32 },
}

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8; 32], body: &[u8]) -> [u8; MAC_LEN] {
    // `new_from_slice` only fails for invalid key lengths, which HMAC
    // does not have; the fallback keeps this panic-free regardless.
    let mut m = match HmacSha256::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return [0; MAC_LEN],
    };
    m.update(body);
    m.finalize().into_bytes().into()
}

impl Cookie {
    /// Serializes and signs the cookie, appending it to `out`.
    pub fn encode(&self, secret: &[u8; 32], out: &mut Vec<u8>) {
        let start = out.len();
        out.push(VERSION);
        out.extend_from_slice(&self.created_at.as_micros().to_be_bytes());
        out.extend_from_slice(&self.lifetime_us.to_be_bytes());
        for v in [
            self.local_tag,
            self.peer_tag,
            self.local_tie_tag,
            self.peer_tie_tag,
            self.local_initial_tsn,
            self.peer_initial_tsn,
            self.peer_a_rwnd,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        for v in
            [self.out_streams, self.in_streams, self.local_port, self.peer_port, self.encap_port]
        {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.push(
            u8::from(self.peer_forward_tsn)
                | (u8::from(self.peer_intl) << 1)
                | (u8::from(self.peer_reconf) << 2)
                | (u8::from(self.peer_ecn) << 3)
                | (u8::from(self.peer_asconf) << 4),
        );
        match self.peer_adaptation {
            Some(a) => {
                out.push(1);
                out.extend_from_slice(&a.to_be_bytes());
            }
            None => {
                out.push(0);
                out.extend_from_slice(&[0; 4]);
            }
        }
        match &self.auth_kv {
            Some((l, p)) => {
                out.push(1);
                for v in [l, p] {
                    let n = v.len().min(usize::from(u16::MAX));
                    out.extend_from_slice(&(n as u16).to_be_bytes());
                    out.extend_from_slice(&v[..n]);
                }
            }
            None => out.push(0),
        }
        let n = self.peer_addrs.len().min(MAX_PEER_ADDRS);
        out.push(n as u8);
        for a in &self.peer_addrs[..n] {
            match a {
                IpAddr::V4(v4) => {
                    out.push(4);
                    out.extend_from_slice(&v4.octets());
                }
                IpAddr::V6(v6) => {
                    out.push(6);
                    out.extend_from_slice(&v6.octets());
                }
            }
        }
        let tag = mac(secret, &out[start..]);
        out.extend_from_slice(&tag);
    }

    /// Verifies the signature and the lifetime (RFC 9260 5.1.5 steps 1-3)
    /// and decodes the cookie.
    pub fn decode(secret: &[u8; 32], data: &[u8], now: Instant) -> Result<Cookie, CookieError> {
        let (c, stale) = Self::decode_any(secret, data, now)?;
        match stale {
            Some(staleness_us) => Err(CookieError::Stale { staleness_us, peer_tag: c.peer_tag }),
            None => Ok(c),
        }
    }

    /// Verifies the signature and decodes, reporting the staleness (in
    /// microseconds) of an expired cookie instead of refusing it: with an
    /// existing association, RFC 9260 5.2.4 step 3 decides by the tags.
    pub fn decode_any(
        secret: &[u8; 32],
        data: &[u8],
        now: Instant,
    ) -> Result<(Cookie, Option<u32>), CookieError> {
        if data.len() < MAC_LEN + 1 {
            return Err(CookieError::Invalid);
        }
        let (body, tag) = data.split_at(data.len() - MAC_LEN);
        let expect = mac(secret, body);
        // Constant-time comparison.
        let diff = expect.iter().zip(tag).fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if diff != 0 {
            return Err(CookieError::Invalid);
        }
        let mut r = Reader { buf: body, pos: 0 };
        let c = Self::parse(&mut r).ok_or(CookieError::Invalid)?;
        let expires = c.created_at.as_micros().saturating_add(c.lifetime_us);
        let stale = (now.as_micros() > expires)
            .then(|| u32::try_from(now.as_micros() - expires).unwrap_or(u32::MAX));
        Ok((c, stale))
    }

    fn parse(r: &mut Reader<'_>) -> Option<Cookie> {
        if r.u8()? != VERSION {
            return None;
        }
        let created_at = Instant(r.u64()?);
        let lifetime_us = r.u64()?;
        let local_tag = r.u32()?;
        let peer_tag = r.u32()?;
        let local_tie_tag = r.u32()?;
        let peer_tie_tag = r.u32()?;
        let local_initial_tsn = r.u32()?;
        let peer_initial_tsn = r.u32()?;
        let peer_a_rwnd = r.u32()?;
        let out_streams = r.u16()?;
        let in_streams = r.u16()?;
        let local_port = r.u16()?;
        let peer_port = r.u16()?;
        let encap_port = r.u16()?;
        let ext = r.u8()?;
        let (peer_forward_tsn, peer_intl, peer_reconf) = (ext & 1 != 0, ext & 2 != 0, ext & 4 != 0);
        let peer_ecn = ext & 8 != 0;
        let peer_asconf = ext & 16 != 0;
        let has_adapt = r.u8()? != 0;
        let adapt = r.u32()?;
        let auth_kv = match r.u8()? {
            0 => None,
            1 => {
                let n = usize::from(r.u16()?);
                let l = Bytes::copy_from_slice(r.take(n)?);
                let n = usize::from(r.u16()?);
                let p = Bytes::copy_from_slice(r.take(n)?);
                Some((l, p))
            }
            _ => return None,
        };
        let n = usize::from(r.u8()?);
        if n > MAX_PEER_ADDRS {
            return None;
        }
        let mut peer_addrs = Vec::with_capacity(n);
        for _ in 0..n {
            match r.u8()? {
                4 => {
                    let b = r.take(4)?;
                    peer_addrs.push(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])));
                }
                6 => {
                    let b = r.take(16)?;
                    let mut o = [0u8; 16];
                    o.copy_from_slice(b);
                    peer_addrs.push(IpAddr::V6(Ipv6Addr::from(o)));
                }
                _ => return None,
            }
        }
        if r.pos != r.buf.len() {
            return None;
        }
        Some(Cookie {
            created_at,
            lifetime_us,
            local_tag,
            peer_tag,
            local_tie_tag,
            peer_tie_tag,
            local_initial_tsn,
            peer_initial_tsn,
            peer_a_rwnd,
            out_streams,
            in_streams,
            local_port,
            peer_port,
            peer_forward_tsn,
            peer_intl,
            peer_reconf,
            peer_ecn,
            auth_kv,
            peer_asconf,
            peer_adaptation: has_adapt.then_some(adapt),
            peer_addrs,
            encap_port,
        })
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u16(&mut self) -> Option<u16> {
        let b = self.take(2)?;
        Some(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        let b = self.take(4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Option<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(u64::from_be_bytes(a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Cookie {
        Cookie {
            created_at: Instant(1_000_000),
            lifetime_us: 60_000_000,
            local_tag: 1,
            peer_tag: 2,
            local_tie_tag: 3,
            peer_tie_tag: 4,
            local_initial_tsn: 5,
            peer_initial_tsn: 6,
            peer_a_rwnd: 7,
            out_streams: 8,
            in_streams: 9,
            local_port: 10,
            peer_port: 11,
            peer_forward_tsn: true,
            peer_intl: true,
            peer_reconf: true,
            peer_ecn: true,
            auth_kv: Some((Bytes::from_static(b"local"), Bytes::new())),
            peer_asconf: true,
            peer_adaptation: Some(12),
            peer_addrs: vec!["10.0.0.1".parse().unwrap(), "::1".parse().unwrap()],
            encap_port: 9899,
        }
    }

    #[test]
    fn round_trip_and_tamper() {
        let key = [7u8; 32];
        let mut buf = Vec::new();
        sample().encode(&key, &mut buf);
        assert_eq!(Cookie::decode(&key, &buf, Instant(2_000_000)), Ok(sample()));
        for i in 0..buf.len() {
            let mut b = buf.clone();
            b[i] ^= 0x10;
            assert_eq!(Cookie::decode(&key, &b, Instant(2_000_000)), Err(CookieError::Invalid));
        }
        assert_eq!(Cookie::decode(&[8u8; 32], &buf, Instant(0)), Err(CookieError::Invalid));
        assert!(Cookie::decode(&key, &buf[..10], Instant(0)).is_err());
    }

    #[test]
    fn stale() {
        let key = [7u8; 32];
        let mut buf = Vec::new();
        sample().encode(&key, &mut buf);
        assert_eq!(
            Cookie::decode(&key, &buf, Instant(61_000_500)),
            Err(CookieError::Stale { staleness_us: 500, peer_tag: 2 })
        );
    }
}
