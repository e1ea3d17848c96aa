//! The RE-CONFIG chunk (RFC 6525 3.1) and its parameters (RFC 6525 4).
//!
//! RE-CONFIG parses as [`super::Chunk::Unknown`] (as I-DATA does, so the
//! `Chunk` enum keeps its variants); decode its value with
//! [`parse_reconf`]. Every length is checked against its parameter type
//! (4.1-4.6); a parameter of another type is kept as
//! [`ReconfParam::Unknown`] for the caller to judge.

use super::tlv::{put_chunk_with, put_tlv_with, sub, u16_at, u32_at, TlvReader};
use super::Error;
use bytes::Bytes;

/// RE-CONFIG (RFC 6525 3.1).
pub const CHUNK_RECONF: u8 = 130;

/// Outgoing SSN Reset Request (RFC 6525 4.1).
pub const PARAM_OUT_SSN_RESET: u16 = 13;
/// Incoming SSN Reset Request (4.2).
pub const PARAM_IN_SSN_RESET: u16 = 14;
/// SSN/TSN Reset Request (4.3).
pub const PARAM_SSN_TSN_RESET: u16 = 15;
/// Re-configuration Response (4.4).
pub const PARAM_RECONF_RESPONSE: u16 = 16;
/// Add Outgoing Streams Request (4.5).
pub const PARAM_ADD_OUT_STREAMS: u16 = 17;
/// Add Incoming Streams Request (4.6).
pub const PARAM_ADD_IN_STREAMS: u16 = 18;

/// Results of a Re-configuration Response (RFC 6525 4.4, Table 3).
pub const RESULT_NOTHING_TO_DO: u32 = 0;
pub const RESULT_PERFORMED: u32 = 1;
pub const RESULT_DENIED: u32 = 2;
pub const RESULT_ERR_WRONG_SSN: u32 = 3;
pub const RESULT_ERR_IN_PROGRESS: u32 = 4;
pub const RESULT_ERR_BAD_SEQ: u32 = 5;
pub const RESULT_IN_PROGRESS: u32 = 6;

/// One parameter of a RE-CONFIG chunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReconfParam {
    /// 4.1: reset the sender's outgoing streams (`streams` empty: all).
    OutReset { req_seq: u32, resp_seq: u32, last_tsn: u32, streams: Vec<u16> },
    /// 4.2: ask the receiver to reset its outgoing streams.
    InReset { req_seq: u32, streams: Vec<u16> },
    /// 4.3: reset SSNs and TSNs of the association.
    SsnTsnReset { req_seq: u32 },
    /// 4.4: `tsns` are (Sender's Next TSN, Receiver's Next TSN), present
    /// only in answers to an SSN/TSN Reset Request.
    Response { resp_seq: u32, result: u32, tsns: Option<(u32, u32)> },
    /// 4.5.
    AddOut { req_seq: u32, count: u16 },
    /// 4.6.
    AddIn { req_seq: u32, count: u16 },
    /// A parameter type RFC 6525 does not define: the whole TLV.
    Unknown { kind: u16, raw: Bytes },
}

impl ReconfParam {
    /// Whether it is a request (not a response).
    pub fn is_request(&self) -> bool {
        !matches!(self, ReconfParam::Response { .. } | ReconfParam::Unknown { .. })
    }

    /// The parameter type.
    pub fn kind(&self) -> u16 {
        match self {
            ReconfParam::OutReset { .. } => PARAM_OUT_SSN_RESET,
            ReconfParam::InReset { .. } => PARAM_IN_SSN_RESET,
            ReconfParam::SsnTsnReset { .. } => PARAM_SSN_TSN_RESET,
            ReconfParam::Response { .. } => PARAM_RECONF_RESPONSE,
            ReconfParam::AddOut { .. } => PARAM_ADD_OUT_STREAMS,
            ReconfParam::AddIn { .. } => PARAM_ADD_IN_STREAMS,
            ReconfParam::Unknown { kind, .. } => *kind,
        }
    }
}

/// At most this many parameters are decoded (RFC 6525 3.1 allows two).
pub const MAX_RECONF_PARAMS: usize = 2;

fn streams_at(v: &[u8], from: usize) -> Result<Vec<u16>, Error> {
    let rest = v.get(from..).ok_or(Error::BadLength)?;
    if rest.len() % 2 != 0 {
        return Err(Error::BadLength);
    }
    Ok(rest.chunks_exact(2).map(|s| u16::from_be_bytes([s[0], s[1]])).collect())
}

fn exact(v: &[u8], len: usize) -> Result<(), Error> {
    if v.len() == len {
        Ok(())
    } else {
        Err(Error::BadLength)
    }
}

/// Decodes the value (after the 4-byte chunk header) of a RE-CONFIG
/// chunk. Fails on an empty chunk, on more than [`MAX_RECONF_PARAMS`]
/// parameters, and on a known parameter whose length does not fit its
/// type (RFC 6525 4.1-4.6).
pub fn parse_reconf(value: &Bytes) -> Result<Vec<ReconfParam>, Error> {
    let mut r = TlvReader::new(value.clone());
    let mut out = Vec::with_capacity(2);
    while let Some(t) = r.next_tlv() {
        let t = t?;
        if out.len() == MAX_RECONF_PARAMS {
            return Err(Error::Invalid);
        }
        let v: &[u8] = &t.value;
        let p = match t.kind {
            PARAM_OUT_SSN_RESET => {
                if v.len() < 12 {
                    return Err(Error::BadLength);
                }
                ReconfParam::OutReset {
                    req_seq: u32_at(v, 0)?,
                    resp_seq: u32_at(v, 4)?,
                    last_tsn: u32_at(v, 8)?,
                    streams: streams_at(v, 12)?,
                }
            }
            PARAM_IN_SSN_RESET => {
                if v.len() < 4 {
                    return Err(Error::BadLength);
                }
                ReconfParam::InReset { req_seq: u32_at(v, 0)?, streams: streams_at(v, 4)? }
            }
            PARAM_SSN_TSN_RESET => {
                exact(v, 4)?;
                ReconfParam::SsnTsnReset { req_seq: u32_at(v, 0)? }
            }
            PARAM_RECONF_RESPONSE => {
                let tsns = match v.len() {
                    8 => None,
                    16 => Some((u32_at(v, 8)?, u32_at(v, 12)?)),
                    _ => return Err(Error::BadLength),
                };
                ReconfParam::Response { resp_seq: u32_at(v, 0)?, result: u32_at(v, 4)?, tsns }
            }
            PARAM_ADD_OUT_STREAMS | PARAM_ADD_IN_STREAMS => {
                exact(v, 8)?;
                let (req_seq, count) = (u32_at(v, 0)?, u16_at(v, 4)?);
                if t.kind == PARAM_ADD_OUT_STREAMS {
                    ReconfParam::AddOut { req_seq, count }
                } else {
                    ReconfParam::AddIn { req_seq, count }
                }
            }
            kind => ReconfParam::Unknown { kind, raw: sub(&t.raw, 0, t.raw.len())? },
        };
        out.push(p);
    }
    if out.is_empty() {
        return Err(Error::Truncated);
    }
    Ok(out)
}

/// Whether the parameters form one of the combinations RFC 6525 3.1
/// allows (by parameter type, in any order).
pub fn allowed_combination(params: &[ReconfParam]) -> bool {
    let mut k: Vec<u16> = params.iter().map(ReconfParam::kind).collect();
    k.sort_unstable();
    matches!(
        k[..],
        [PARAM_OUT_SSN_RESET]
            | [PARAM_IN_SSN_RESET]
            | [PARAM_OUT_SSN_RESET, PARAM_IN_SSN_RESET]
            | [PARAM_SSN_TSN_RESET]
            | [PARAM_ADD_OUT_STREAMS]
            | [PARAM_ADD_IN_STREAMS]
            | [PARAM_ADD_OUT_STREAMS, PARAM_ADD_IN_STREAMS]
            | [PARAM_RECONF_RESPONSE]
            | [PARAM_OUT_SSN_RESET, PARAM_RECONF_RESPONSE]
            | [PARAM_RECONF_RESPONSE, PARAM_RECONF_RESPONSE]
    )
}

/// Appends a RE-CONFIG chunk with `params` (at most two; the caller keeps
/// stream lists within the chunk's 16-bit length). The last parameter's
/// padding is not counted in the chunk length (RFC 9260 3.2).
pub fn emit_reconf(out: &mut Vec<u8>, params: &[ReconfParam]) {
    let start = out.len();
    let mut end = start;
    put_chunk_with(out, CHUNK_RECONF, 0, |o| {
        for p in params {
            end = emit_param(o, p);
        }
    });
    // put_chunk_with counted every byte written, padding included; the
    // length ends where the last parameter's value ends.
    let len = end.saturating_sub(start).max(4);
    super::tlv::patch_u16(out, start + 2, super::tlv::len16(len));
}

fn emit_param(o: &mut Vec<u8>, p: &ReconfParam) -> usize {
    let streams = |o: &mut Vec<u8>, s: &[u16]| {
        for x in s {
            o.extend_from_slice(&x.to_be_bytes());
        }
    };
    match p {
        ReconfParam::OutReset { req_seq, resp_seq, last_tsn, streams: s } => {
            put_tlv_with(o, PARAM_OUT_SSN_RESET, |o| {
                o.extend_from_slice(&req_seq.to_be_bytes());
                o.extend_from_slice(&resp_seq.to_be_bytes());
                o.extend_from_slice(&last_tsn.to_be_bytes());
                streams(o, s);
            })
        }
        ReconfParam::InReset { req_seq, streams: s } => put_tlv_with(o, PARAM_IN_SSN_RESET, |o| {
            o.extend_from_slice(&req_seq.to_be_bytes());
            streams(o, s);
        }),
        ReconfParam::SsnTsnReset { req_seq } => {
            put_tlv_with(o, PARAM_SSN_TSN_RESET, |o| o.extend_from_slice(&req_seq.to_be_bytes()))
        }
        ReconfParam::Response { resp_seq, result, tsns } => {
            put_tlv_with(o, PARAM_RECONF_RESPONSE, |o| {
                o.extend_from_slice(&resp_seq.to_be_bytes());
                o.extend_from_slice(&result.to_be_bytes());
                if let Some((s, r)) = tsns {
                    o.extend_from_slice(&s.to_be_bytes());
                    o.extend_from_slice(&r.to_be_bytes());
                }
            })
        }
        ReconfParam::AddOut { req_seq, count } | ReconfParam::AddIn { req_seq, count } => {
            let kind = p.kind();
            put_tlv_with(o, kind, |o| {
                o.extend_from_slice(&req_seq.to_be_bytes());
                o.extend_from_slice(&count.to_be_bytes());
                o.extend_from_slice(&[0, 0]);
            })
        }
        ReconfParam::Unknown { raw, .. } => {
            o.extend_from_slice(raw);
            let end = o.len();
            super::tlv::put_padding(o, raw.len());
            end
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::chunk::Chunks;
    use super::super::Chunk;
    use super::*;

    fn round(params: &[ReconfParam]) -> Vec<ReconfParam> {
        let mut b = Vec::new();
        emit_reconf(&mut b, params);
        assert_eq!(b.len() % 4, 0);
        let mut it = Chunks::new(Bytes::from(b));
        let Some(Ok(Chunk::Unknown { chunk_type, value, .. })) = it.next() else {
            panic!("not one chunk")
        };
        assert!(it.next().is_none());
        assert_eq!(chunk_type, CHUNK_RECONF);
        parse_reconf(&value).unwrap()
    }

    #[test]
    fn every_parameter_round_trips() {
        let cases: Vec<Vec<ReconfParam>> = vec![
            vec![ReconfParam::OutReset { req_seq: 1, resp_seq: 2, last_tsn: 3, streams: vec![] }],
            vec![ReconfParam::OutReset {
                req_seq: 1,
                resp_seq: 2,
                last_tsn: u32::MAX,
                streams: vec![0, 9, 65535],
            }],
            vec![
                ReconfParam::OutReset { req_seq: 7, resp_seq: 6, last_tsn: 5, streams: vec![4] },
                ReconfParam::InReset { req_seq: 8, streams: vec![1, 2, 3] },
            ],
            vec![ReconfParam::SsnTsnReset { req_seq: 44 }],
            vec![ReconfParam::Response { resp_seq: 1, result: RESULT_DENIED, tsns: None }],
            vec![
                ReconfParam::Response { resp_seq: 1, result: 1, tsns: Some((5, 6)) },
                ReconfParam::Response { resp_seq: 2, result: 6, tsns: None },
            ],
            vec![
                ReconfParam::AddOut { req_seq: 3, count: 5 },
                ReconfParam::AddIn { req_seq: 4, count: 65535 },
            ],
        ];
        for c in cases {
            assert!(allowed_combination(&c), "{c:?}");
            assert_eq!(round(&c), c);
        }
    }

    #[test]
    fn chunk_length_excludes_last_padding() {
        let mut b = Vec::new();
        emit_reconf(&mut b, &[ReconfParam::InReset { req_seq: 1, streams: vec![7] }]);
        // 4 chunk header + 4 param header + 4 seq + 2 stream = 14, padded to 16.
        assert_eq!(u16::from_be_bytes([b[2], b[3]]), 14);
        assert_eq!(b.len(), 16);
    }

    #[test]
    fn malformed_lengths_are_errors() {
        let tlv = |kind: u16, v: &[u8]| {
            let mut o = Vec::new();
            o.extend_from_slice(&kind.to_be_bytes());
            o.extend_from_slice(&((v.len() + 4) as u16).to_be_bytes());
            o.extend_from_slice(v);
            Bytes::from(o)
        };
        for (kind, len) in [
            (PARAM_OUT_SSN_RESET, 11),
            (PARAM_OUT_SSN_RESET, 13),
            (PARAM_IN_SSN_RESET, 3),
            (PARAM_IN_SSN_RESET, 5),
            (PARAM_SSN_TSN_RESET, 8),
            (PARAM_RECONF_RESPONSE, 12),
            (PARAM_RECONF_RESPONSE, 4),
            (PARAM_ADD_OUT_STREAMS, 4),
            (PARAM_ADD_IN_STREAMS, 12),
        ] {
            assert!(parse_reconf(&tlv(kind, &vec![0; len])).is_err(), "{kind} {len}");
        }
        assert!(parse_reconf(&Bytes::new()).is_err());
        assert!(parse_reconf(&Bytes::from_static(&[0, 13, 0, 2])).is_err());
        assert!(parse_reconf(&Bytes::from_static(&[0, 13, 0xFF, 0xFF, 0, 0])).is_err());
        // Three parameters.
        let one = tlv(PARAM_SSN_TSN_RESET, &[0; 4]);
        let three = [one.clone(), one.clone(), one].concat();
        assert_eq!(parse_reconf(&Bytes::from(three)), Err(Error::Invalid));
        // Unknown type kept; disallowed combinations detected.
        let u = parse_reconf(&tlv(99, &[1, 2, 3])).unwrap();
        assert!(matches!(u[0], ReconfParam::Unknown { kind: 99, .. }));
        assert!(!allowed_combination(&u));
        let two = parse_reconf(&Bytes::from(
            [tlv(PARAM_SSN_TSN_RESET, &[0; 4]), tlv(17, &[0; 8])].concat(),
        ))
        .unwrap();
        assert!(!allowed_combination(&two));
    }
}
