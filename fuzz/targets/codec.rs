//! The wire codec: `parse_packet`, every chunk, every error cause, INIT
//! parameters and the State Cookie.
//!
//! The input is parsed twice: as it is (nearly always rejected by the
//! CRC32c check) and with non-zero ports and a correct CRC32c, so that the
//! chunk parser sees it. Everything that parses is drained (chunks, causes
//! of ABORT and ERROR), re-emitted with the crate's own emitters, parsed
//! again and compared: the value must survive the round trip. The last
//! part builds a State Cookie from the input, signs, verifies and decodes
//! it, and checks that a cookie with any byte changed is refused.
use arbitrary::{Arbitrary, Unstructured};
use bytes::Bytes;
use sctpudp::proto::assoc::{Cookie, CookieError};
use sctpudp::proto::wire::chunk::{
    emit_forward_tsn, emit_heartbeat, emit_raw, emit_shutdown, FLAG_T,
};
use sctpudp::proto::wire::{
    self, Cause, Causes, Chunk, CommonHeader, DataChunk, InitChunk, InitParams, SackChunk,
    CHUNK_ABORT, CHUNK_COOKIE_ACK, CHUNK_COOKIE_ECHO, CHUNK_ERROR, CHUNK_HEARTBEAT,
    CHUNK_HEARTBEAT_ACK, CHUNK_PAD, CHUNK_SHUTDOWN_ACK, CHUNK_SHUTDOWN_COMPLETE,
};
use sctpudp::proto::Instant;
use std::net::IpAddr;

pub fn run(data: &[u8]) {
    check_packet(Bytes::copy_from_slice(data));
    if data.len() >= wire::COMMON_HEADER_LEN {
        let mut v = data.to_vec();
        v[0] |= 0x80;
        v[2] |= 0x80;
        wire::finish_packet(&mut v);
        let pkt = Bytes::from(v);
        assert!(wire::parse_packet(&pkt).is_ok(), "a packet with a fixed CRC must parse");
        check_packet(pkt);
    }
    // Chunks without a common header.
    drain(
        &CommonHeader { src_port: 1, dst_port: 2, vtag: 3 },
        wire::Chunks::new(Bytes::copy_from_slice(data)),
        data.len(),
    );
    cookie(data);
}

fn check_packet(pkt: Bytes) {
    let Ok((hdr, chunks)) = wire::parse_packet(&pkt) else { return };
    assert!(hdr.src_port != 0 && hdr.dst_port != 0);
    assert_eq!(wire::packet_crc(&pkt), u32::from_be_bytes([pkt[8], pkt[9], pkt[10], pkt[11]]));
    drain(&hdr, chunks, pkt.len());
}

fn drain(hdr: &CommonHeader, mut chunks: wire::Chunks, input_len: usize) {
    let mut n = 0;
    for item in chunks.by_ref() {
        n += 1;
        assert!(n <= input_len / 4 + 1, "more chunks than the input can hold");
        if let Ok(c) = item {
            round_trip(hdr, &c, input_len);
        }
    }
    // Ended (after an error or not) means ended.
    assert!(chunks.next().is_none());
}

/// Emits one chunk into a packet, parses it back and returns it.
fn reparse(hdr: &CommonHeader, emit: impl FnOnce(&mut Vec<u8>)) -> Chunk {
    let mut p = Vec::new();
    wire::write_header(&mut p, hdr);
    emit(&mut p);
    assert_eq!(p.len() % 4, 0, "emitters pad to 4 bytes");
    wire::finish_packet(&mut p);
    let (h, mut cs) = wire::parse_packet(&Bytes::from(p)).expect("a re-emitted packet parses");
    assert_eq!(h, *hdr);
    let c = cs.next().expect("one chunk").expect("a re-emitted chunk parses");
    assert!(cs.next().is_none());
    c
}

fn causes_round_trip(raw: &Bytes) {
    let mut it = Causes::new(raw.clone());
    let mut n = 0;
    for cause in it.by_ref() {
        n += 1;
        assert!(n <= raw.len() / 4 + 1);
        let Ok(cause) = cause else { continue };
        let mut out = Vec::new();
        cause.emit(&mut out);
        assert_eq!(out.len() % 4, 0);
        let back: Vec<Result<Cause, _>> = Causes::new(Bytes::from(out)).collect();
        assert_eq!(back, vec![Ok(cause)]);
    }
    assert!(it.next().is_none());
}

fn round_trip(hdr: &CommonHeader, c: &Chunk, input_len: usize) {
    let got = match c {
        Chunk::Data(d) => reparse(hdr, |o| {
            DataChunk::emit(o, d.flags, d.tsn, d.stream_id, d.ssn, d.ppid, &d.payload)
        }),
        Chunk::Init(i) | Chunk::InitAck(i) => {
            // Re-emission wraps each reportable unknown parameter (4 bytes
            // more each): stay clear of the 16-bit length.
            if 2 * input_len + 64 > usize::from(u16::MAX) {
                return;
            }
            let ty = c.chunk_type();
            let got = reparse(hdr, |o| i.emit(ty, o));
            // Emission drops the parse-only fields and sends `unrecognized`
            // as type 8 parameters, which parse as `unrecognized_reported`
            // (the TLV with its padding).
            let reported = i
                .params
                .unrecognized
                .iter()
                .map(|u| {
                    let mut v = u.to_vec();
                    v.resize(v.len() + wire::pad4(v.len()), 0);
                    Bytes::from(v)
                })
                .collect();
            let want = InitChunk {
                params: InitParams {
                    host_name: false,
                    unrecognized: Vec::new(),
                    unrecognized_reported: reported,
                    ..i.params.clone()
                },
                ..i.clone()
            };
            let want =
                if matches!(c, Chunk::Init(_)) { Chunk::Init(want) } else { Chunk::InitAck(want) };
            assert_eq!(got, want);
            return;
        }
        Chunk::Sack(s) => {
            let gaps: Vec<(u16, u16)> = s.gaps().collect();
            let dups: Vec<u32> = s.dups().collect();
            assert_eq!(gaps.len() * 4, s.gap_blocks.len());
            assert_eq!(dups.len() * 4, s.dup_tsns.len());
            reparse(hdr, |o| SackChunk::emit(o, s.cum_tsn_ack, s.a_rwnd, &gaps, &dups))
        }
        Chunk::Heartbeat(info) => reparse(hdr, |o| emit_heartbeat(o, CHUNK_HEARTBEAT, info)),
        Chunk::HeartbeatAck(info) => reparse(hdr, |o| emit_heartbeat(o, CHUNK_HEARTBEAT_ACK, info)),
        Chunk::Abort { t, causes } => {
            causes_round_trip(causes);
            reparse(hdr, |o| emit_raw(o, CHUNK_ABORT, if *t { FLAG_T } else { 0 }, causes))
        }
        Chunk::Shutdown { cum_tsn_ack } => reparse(hdr, |o| emit_shutdown(o, *cum_tsn_ack)),
        Chunk::ShutdownAck => reparse(hdr, |o| emit_raw(o, CHUNK_SHUTDOWN_ACK, 0, &[])),
        Chunk::Error { causes } => {
            causes_round_trip(causes);
            reparse(hdr, |o| emit_raw(o, CHUNK_ERROR, 0, causes))
        }
        Chunk::CookieEcho(b) => reparse(hdr, |o| emit_raw(o, CHUNK_COOKIE_ECHO, 0, b)),
        Chunk::CookieAck => reparse(hdr, |o| emit_raw(o, CHUNK_COOKIE_ACK, 0, &[])),
        Chunk::ShutdownComplete { t } => {
            reparse(hdr, |o| emit_raw(o, CHUNK_SHUTDOWN_COMPLETE, if *t { FLAG_T } else { 0 }, &[]))
        }
        Chunk::ForwardTsn(f) => {
            assert_eq!(f.streams.len() % 4, 0);
            let pairs: Vec<(u16, u16)> = f
                .streams
                .chunks_exact(4)
                .map(|p| (u16::from_be_bytes([p[0], p[1]]), u16::from_be_bytes([p[2], p[3]])))
                .collect();
            reparse(hdr, |o| emit_forward_tsn(o, f.new_cum_tsn, &pairs))
        }
        Chunk::Pad => reparse(hdr, |o| emit_raw(o, CHUNK_PAD, 0, &[])),
        Chunk::Unknown { chunk_type, flags, value, raw } => {
            assert_eq!(raw.len(), value.len() + 4);
            assert_eq!((raw[0], raw[1]), (*chunk_type, *flags));
            reparse(hdr, |o| emit_raw(o, *chunk_type, *flags, value))
        }
    };
    assert_eq!(&got, c, "chunk changed in an emit/parse round trip");
}

/// A State Cookie built from the input: encode, decode, tamper.
fn cookie(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(seed) = CookieSeed::arbitrary(&mut u) else { return };
    let c = seed.build();
    let key = [0x5Au8; 32];
    let mut enc = Vec::new();
    c.encode(&key, &mut enc);
    let before_expiry =
        Instant::from_micros(c.created_at.as_micros().saturating_add(c.lifetime_us.min(1)));
    assert_eq!(Cookie::decode(&key, &enc, before_expiry), Ok(c.clone()));
    // Stale once the lifetime is over (unless it never ends).
    let expires = c.created_at.as_micros().saturating_add(c.lifetime_us);
    if expires < u64::MAX {
        match Cookie::decode(&key, &enc, Instant::from_micros(expires + 1)) {
            Err(CookieError::Stale { peer_tag, .. }) => assert_eq!(peer_tag, c.peer_tag),
            other => panic!("an expired cookie decoded as {other:?}"),
        }
    }
    // Any changed byte, another key, or a cut: refused.
    if !enc.is_empty() {
        let i = usize::from(seed.flip_at) % enc.len();
        let mut bad = enc.clone();
        bad[i] ^= seed.flip.max(1);
        assert_eq!(Cookie::decode(&key, &bad, before_expiry), Err(CookieError::Invalid));
        assert_eq!(Cookie::decode(&[0xA5; 32], &enc, before_expiry), Err(CookieError::Invalid));
        assert!(Cookie::decode(&key, &enc[..i], before_expiry).is_err());
    }
    // Arbitrary bytes never decode without the key.
    let _ = Cookie::decode(&key, data, Instant::from_micros(seed.created_at));
}

#[derive(Arbitrary, Debug)]
struct CookieSeed {
    created_at: u64,
    lifetime_us: u64,
    tags: [u32; 4],
    tsns: [u32; 2],
    a_rwnd: u32,
    streams: [u16; 2],
    ports: [u16; 2],
    encap_port: u16,
    forward_tsn: bool,
    intl: bool,
    reconf: bool,
    adaptation: Option<u32>,
    addrs: Vec<([u8; 16], bool)>,
    flip_at: u16,
    flip: u8,
    ecn: bool,
    auth_kv: Option<(Vec<u8>, Vec<u8>)>,
}

impl CookieSeed {
    fn build(&self) -> Cookie {
        Cookie {
            created_at: Instant::from_micros(self.created_at),
            lifetime_us: self.lifetime_us,
            local_tag: self.tags[0],
            peer_tag: self.tags[1],
            local_tie_tag: self.tags[2],
            peer_tie_tag: self.tags[3],
            local_initial_tsn: self.tsns[0],
            peer_initial_tsn: self.tsns[1],
            peer_a_rwnd: self.a_rwnd,
            out_streams: self.streams[0],
            in_streams: self.streams[1],
            local_port: self.ports[0],
            peer_port: self.ports[1],
            peer_forward_tsn: self.forward_tsn,
            peer_intl: self.intl,
            peer_reconf: self.reconf,
            peer_ecn: self.ecn,
            peer_asconf: self.reconf && self.ecn,
            auth_kv: self
                .auth_kv
                .as_ref()
                .map(|(l, p)| (bytes::Bytes::from(l.clone()), bytes::Bytes::from(p.clone()))),
            peer_adaptation: self.adaptation,
            peer_addrs: self
                .addrs
                .iter()
                .take(sctpudp::proto::assoc::cookie::MAX_PEER_ADDRS)
                .map(
                    |(b, v4)| {
                        if *v4 {
                            IpAddr::from([b[0], b[1], b[2], b[3]])
                        } else {
                            IpAddr::from(*b)
                        }
                    },
                )
                .collect(),
            encap_port: self.encap_port,
        }
    }
}
