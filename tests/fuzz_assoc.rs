//! Bounded, deterministic fuzzing of the sans-IO core inside `cargo test`
//! (proptest with a fixed seed and no regression files):
//!
//! (a) `endpoint_fed_arbitrary_datagrams`: a listening Endpoint gets raw
//!     bytes, CRC-valid packets of structurally valid chunks with arbitrary
//!     field values, well-formed INITs, and COOKIE ECHOs of the cookies it
//!     handed out itself (intact or mutated, with chunks bundled), so the
//!     fuzzer creates associations and then feeds them too; time jumps
//!     around. Afterwards every association is driven until its silent
//!     peer is given up on.
//! (b) `established_association_fed_arbitrary_packets`: an ESTABLISHED
//!     association (set up in the simulator) gets packets with its correct
//!     verification tag and ports (or deliberately wrong ones) carrying
//!     arbitrary chunk sequences, interleaved with real traffic from its
//!     real peer, random timeouts and user calls on both sides.
//!
//! Checked throughout: no panic; every datagram the stack emits passes
//! `parse_packet` with all chunks valid and follows the bundling rules;
//! `poll_transmit`/`poll_event` end; `poll_timeout` is finite, and after
//! `handle_timeout(now)` lies in the future; closed associations have no
//! timers; memory stays bounded (`buffered_amount`, queued chunks,
//! `readable_bytes`, `local_rwnd`); every association can be torn down and
//! leaves the endpoint's routing table.
//!
//! 10,000 cases per property by default (about 3 s at the test profile's
//! opt-level 2); `SCTPUDP_FUZZ_CASES=N` and `SCTPUDP_FUZZ_SEED=K` run
//! more or other cases.
//!
//! The regression tests at the end are deterministic reproductions of what
//! review and fuzzing found.
mod common;

use bytes::Bytes;
use common::{ip, Net, Node};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use sctpudp::proto::assoc::{AssocEvent, AssocId, Association, ExtEvent, SendOptions};
use sctpudp::proto::endpoint::{DatagramEvent, Endpoint};
use sctpudp::proto::serial::ge32;
use sctpudp::proto::wire::chunk::{
    emit_forward_tsn, emit_heartbeat, emit_raw, emit_shutdown, DATA_FLAG_BEGIN, DATA_FLAG_END,
    DATA_FLAG_UNORDERED,
};
use sctpudp::proto::wire::{
    self, Chunk, CommonHeader, DataChunk, InitChunk, InitParams, SackChunk, CHUNK_ABORT,
    CHUNK_COOKIE_ACK, CHUNK_COOKIE_ECHO, CHUNK_ERROR, CHUNK_HEARTBEAT, CHUNK_HEARTBEAT_ACK,
    CHUNK_INIT, CHUNK_INIT_ACK, CHUNK_PAD, CHUNK_SHUTDOWN_ACK, CHUNK_SHUTDOWN_COMPLETE,
};
use sctpudp::proto::{Config, EndpointConfig, Instant};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// The send buffer the fuzz drivers enforce with `buffered_amount`.
const SNDBUF: usize = 64 * 1024;
/// Receive buffer of the fuzzed associations (small, so the window fills).
const RCVBUF: usize = 16 * 1024;
/// No timer may be further away than this.
const MAX_TIMER: Duration = Duration::from_secs(3600);

/// Cases per property: `SCTPUDP_FUZZ_CASES` overrides the default; the
/// seed is fixed unless `SCTPUDP_FUZZ_SEED` (a number) changes it, so every
/// run explores the same inputs.
fn pt_config(cases: u32, seed: u64) -> ProptestConfig {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let cases = env("SCTPUDP_FUZZ_CASES").map_or(cases, |c| c as u32);
    let seed =
        env("SCTPUDP_FUZZ_SEED").map_or(seed, |s| seed ^ s.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    ProptestConfig {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        max_shrink_iters: 2000,
        ..ProptestConfig::default()
    }
}

fn mtu_for(dst: SocketAddr) -> usize {
    // Config::pmtu 1500 less the IP and UDP headers (path.rs).
    if dst.is_ipv4() {
        1500 - 20 - 8
    } else {
        1500 - 40 - 8
    }
}

/// Validates one datagram the stack built; `peer_tag` is the sending
/// association's peer tag (None for endpoint replies). Returns its chunks.
/// `from`: the sending association's (peer tag, cumulative TSN received);
/// None for endpoint replies.
fn check_packet(data: &[u8], dst: SocketAddr, from: Option<(u32, u32)>) -> Vec<Chunk> {
    let peer_tag = from.map(|f| f.0);
    assert!(data.len() >= wire::COMMON_HEADER_LEN + 4, "packet without a chunk: {data:02x?}");
    assert!(data.len() <= 65_507, "larger than a UDP datagram: {}", data.len());
    assert_ne!(dst.port(), 0, "datagram to UDP port 0");
    let (hdr, chunks) = wire::parse_packet(&Bytes::copy_from_slice(data))
        .unwrap_or_else(|e| panic!("parse_packet rejects our packet ({e}): {data:02x?}"));
    let chunks: Vec<Chunk> = chunks
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("our chunk does not parse ({e}): {data:02x?}"));
    assert!(!chunks.is_empty());
    // 9260 6.10: INIT, INIT ACK and SHUTDOWN COMPLETE travel alone.
    if chunks
        .iter()
        .any(|c| matches!(c, Chunk::Init(_) | Chunk::InitAck(_) | Chunk::ShutdownComplete { .. }))
    {
        assert_eq!(chunks.len(), 1, "bundled INIT/INIT ACK/SHUTDOWN COMPLETE: {chunks:?}");
    }
    if matches!(chunks[0], Chunk::Init(_)) {
        assert_eq!(hdr.vtag, 0, "INIT with a non-zero vtag");
    }
    // 9260 3.2.2 / 5.1: COOKIE ECHO is always first.
    for (i, c) in chunks.iter().enumerate() {
        if matches!(c, Chunk::CookieEcho(_)) {
            assert_eq!(i, 0, "COOKIE ECHO not first: {chunks:?}");
        }
    }
    // RFC 6525 3.1: every RE-CONFIG we send parses, in an allowed
    // combination.
    for c in &chunks {
        if let Chunk::Unknown { chunk_type: wire::CHUNK_RECONF, value, .. } = c {
            let ps = wire::reconf::parse_reconf(value)
                .unwrap_or_else(|e| panic!("our RE-CONFIG does not parse ({e}): {value:02x?}"));
            assert!(wire::reconf::allowed_combination(&ps), "RE-CONFIG combination {ps:?}");
        }
    }
    let data_chunks: Vec<&DataChunk> =
        chunks.iter().filter_map(|c| if let Chunk::Data(d) = c { Some(d) } else { None }).collect();
    if !data_chunks.is_empty() {
        assert!(
            data.len() <= mtu_for(dst),
            "DATA packet of {} bytes over the path MTU",
            data.len()
        );
        assert!(data_chunks.iter().all(|d| !d.payload.is_empty()), "DATA without user data");
        // 9.1: no DATA bundled with ABORT.
        assert!(!chunks.iter().any(|c| matches!(c, Chunk::Abort { .. })), "{chunks:?}");
    }
    if let Some(pt) = peer_tag {
        if chunks.iter().any(|c| matches!(c, Chunk::Data(_) | Chunk::Sack(_))) {
            assert_eq!(hdr.vtag, pt, "DATA/SACK must carry the peer's tag (8.5)");
            assert_ne!(pt, 0);
        }
    }
    if let Some((_, cum)) = from {
        for c in &chunks {
            match c {
                // 9260 3.3.4: Gap Ack Blocks relative to the cumulative TSN,
                // in order, each after a missing TSN.
                Chunk::Sack(sk) => {
                    assert_eq!(sk.cum_tsn_ack, cum, "SACK with a stale cumulative TSN ack");
                    assert!(sk.a_rwnd as usize <= RCVBUF.max(1 << 20));
                    let mut prev_end = 0u32;
                    for (st, en) in sk.gaps() {
                        let (st, en) = (u32::from(st), u32::from(en));
                        assert!(st <= en, "gap block start > end: {sk:?}");
                        assert!(
                            st >= prev_end + 2,
                            "gap blocks overlap, touch or miss the hole: {sk:?}"
                        );
                        prev_end = en;
                    }
                }
                // A SHUTDOWN queued earlier while handling the same packet
                // may lag behind (its SACK is fresh), never run ahead.
                Chunk::Shutdown { cum_tsn_ack } => {
                    assert!(
                        ge32(cum, *cum_tsn_ack) && cum.wrapping_sub(*cum_tsn_ack) < 1 << 20,
                        "SHUTDOWN acks {cum_tsn_ack}, received {cum}"
                    )
                }
                _ => {}
            }
        }
    }
    chunks
}

/// After `handle_timeout(now)` nothing may still be due, and nothing may
/// be absurdly far away.
fn check_timer(a: &Association, now: Instant) {
    if let Some(t) = a.poll_timeout() {
        assert!(t > now, "timer still due after handle_timeout: {t:?} <= {now:?}");
        assert!(t <= now + MAX_TIMER, "timer too far away: {t:?} (now {now:?})");
    }
    if a.is_closed() {
        assert_eq!(a.poll_timeout(), None, "a closed association keeps a timer");
    }
}

// ---------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------

/// A TSN near a base (the next expected one, or the last sent one), or any.
#[derive(Clone, Debug)]
enum Tsn {
    Near(i8),
    Any(u32),
}

impl Tsn {
    fn at(&self, base: u32) -> u32 {
        match self {
            Tsn::Near(d) => base.wrapping_add(*d as i32 as u32),
            Tsn::Any(v) => *v,
        }
    }
}

fn tsn() -> impl Strategy<Value = Tsn> {
    prop_oneof![8 => (-4i8..=12).prop_map(Tsn::Near), 1 => any::<u32>().prop_map(Tsn::Any)]
}

/// An error cause: code and raw value (any length).
#[derive(Clone, Debug)]
struct Cz {
    code: u16,
    body: Vec<u8>,
}

fn causes_bytes(cs: &[Cz]) -> Vec<u8> {
    let mut v = Vec::new();
    for c in cs {
        v.extend_from_slice(&c.code.to_be_bytes());
        v.extend_from_slice(&((4 + c.body.len()) as u16).to_be_bytes());
        v.extend_from_slice(&c.body);
        v.resize(v.len() + wire::pad4(c.body.len()), 0);
    }
    v
}

fn cz() -> impl Strategy<Value = Cz> {
    let body = prop_oneof![
        prop::collection::vec(any::<u8>(), 4..=4),
        prop::collection::vec(any::<u8>(), 0..24)
    ];
    (prop_oneof![3 => 1u16..=14, 1 => any::<u16>()], body)
        .prop_map(|(code, body)| Cz { code, body })
}

#[derive(Clone, Debug)]
struct Params {
    p: InitParams,
    /// Extra raw parameters (type, value) appended after the known ones.
    extra: Vec<(u16, Vec<u8>)>,
}

fn addr() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        Just(ip("10.0.0.1")),
        Just(ip("10.0.1.1")),
        Just(ip("10.0.0.99")),
        Just(ip("fd00::1")),
        Just(ip("0.0.0.0")),
        Just(ip("224.0.0.1")),
        any::<[u8; 4]>().prop_map(IpAddr::from),
        any::<[u8; 16]>().prop_map(IpAddr::from),
    ]
}

fn params() -> impl Strategy<Value = Params> {
    let bytes = |n| prop::collection::vec(any::<u8>(), 0..n);
    (
        prop::collection::vec(addr(), 0..4),
        prop::option::weighted(0.3, bytes(64)),
        prop::option::weighted(0.2, any::<u32>()),
        prop::bool::weighted(0.05),
        prop::option::weighted(
            0.2,
            prop::collection::vec(prop_oneof![Just(5u16), Just(6), Just(11), any::<u16>()], 0..4),
        ),
        any::<bool>(),
        prop::option::weighted(0.2, any::<u32>()),
        prop::option::weighted(0.2, bytes(8)),
        prop::collection::vec(
            (
                prop_oneof![
                    Just(0x8001u16),
                    Just(0xC123),
                    Just(0x4123),
                    Just(0x0123),
                    Just(0x8123),
                    Just(5),
                    Just(7),
                    any::<u16>()
                ],
                bytes(12),
            ),
            0..3,
        ),
    )
        .prop_map(|(addrs, cookie, life, host_name, types, fwd, adapt, ext, extra)| Params {
            p: InitParams {
                addrs,
                cookie: cookie.map(Bytes::from),
                cookie_preservative: life,
                host_name,
                supported_addr_types: types,
                forward_tsn_supported: fwd,
                adaptation_indication: adapt,
                supported_extensions: ext.map(Bytes::from),
                ..InitParams::default()
            },
            extra,
        })
}

/// One chunk, structurally valid (except `Mangled`), arbitrary values.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // test inputs: size does not matter
enum Ch {
    Data {
        flags: u8,
        tsn: Tsn,
        sid: u16,
        ssn: u16,
        ppid: u32,
        len: u16,
    },
    Init {
        ack: bool,
        tag: u32,
        rwnd: u32,
        os: u16,
        mis: u16,
        tsn: u32,
        p: Params,
    },
    Sack {
        cum: Tsn,
        rwnd: u32,
        gaps: Vec<(u16, u16)>,
        dups: Vec<u32>,
    },
    Heartbeat {
        ack: bool,
        info: Vec<u8>,
    },
    Abort {
        t: bool,
        causes: Vec<Cz>,
    },
    Shutdown {
        cum: Tsn,
    },
    ShutdownAck,
    ShutdownComplete {
        t: bool,
    },
    Error {
        causes: Vec<Cz>,
    },
    CookieEcho(Vec<u8>),
    CookieAck,
    ForwardTsn {
        cum: Tsn,
        streams: Vec<(u16, u16)>,
    },
    Pad(u8),
    Unknown {
        ty: u8,
        flags: u8,
        body: Vec<u8>,
    },
    /// RE-CONFIG with well-formed parameters (RFC 6525 4).
    Reconf(Vec<RcP>),
    /// RE-CONFIG with parameters of RE-CONFIG types and arbitrary values
    /// (mostly bad lengths).
    ReconfRaw(Vec<(u16, Vec<u8>)>),
    /// Arbitrary header with an arbitrary length field.
    Mangled {
        ty: u8,
        flags: u8,
        len: u16,
        body: Vec<u8>,
    },
}

/// A RE-CONFIG parameter; sequence numbers near what B expects from A
/// (requests) or near B's own first request number (responses).
#[derive(Clone, Debug)]
enum RcP {
    Out { seq: Tsn, resp: Tsn, last: Tsn, streams: Vec<u16> },
    In { seq: Tsn, streams: Vec<u16> },
    SsnTsn { seq: Tsn },
    Resp { seq: Tsn, result: u32, tsns: Option<(u32, u32)> },
    AddOut { seq: Tsn, n: u16 },
    AddIn { seq: Tsn, n: u16 },
}

fn rcp() -> impl Strategy<Value = RcP> {
    let streams = prop::collection::vec(prop_oneof![4 => 0u16..12, 1 => any::<u16>()], 0..4);
    let n = prop_oneof![4 => 0u16..4, 1 => any::<u16>()];
    prop_oneof![
        (tsn(), tsn(), tsn(), streams.clone()).prop_map(|(seq, resp, last, streams)| RcP::Out {
            seq,
            resp,
            last,
            streams
        }),
        (tsn(), streams).prop_map(|(seq, streams)| RcP::In { seq, streams }),
        tsn().prop_map(|seq| RcP::SsnTsn { seq }),
        (
            tsn(),
            prop_oneof![4 => 0u32..7, 1 => any::<u32>()],
            prop::option::of(any::<(u32, u32)>())
        )
            .prop_map(|(seq, result, tsns)| RcP::Resp { seq, result, tsns }),
        (tsn(), n.clone()).prop_map(|(seq, n)| RcP::AddOut { seq, n }),
        (tsn(), n).prop_map(|(seq, n)| RcP::AddIn { seq, n }),
    ]
}

impl RcP {
    fn param(&self, x: Ctx) -> wire::ReconfParam {
        use wire::ReconfParam as P;
        match self {
            RcP::Out { seq, resp, last, streams } => P::OutReset {
                req_seq: seq.at(x.rq),
                resp_seq: resp.at(x.rs),
                last_tsn: last.at(x.rx_next.wrapping_sub(1)),
                streams: streams.clone(),
            },
            RcP::In { seq, streams } => {
                P::InReset { req_seq: seq.at(x.rq), streams: streams.clone() }
            }
            RcP::SsnTsn { seq } => P::SsnTsnReset { req_seq: seq.at(x.rq) },
            RcP::Resp { seq, result, tsns } => {
                P::Response { resp_seq: seq.at(x.rs), result: *result, tsns: *tsns }
            }
            RcP::AddOut { seq, n } => P::AddOut { req_seq: seq.at(x.rq), count: *n },
            RcP::AddIn { seq, n } => P::AddIn { req_seq: seq.at(x.rq), count: *n },
        }
    }
}

fn hb_info() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..48),
        // The layout this stack uses: nonce, send time, family, address.
        (
            any::<u64>(),
            any::<u64>(),
            prop_oneof![Just(ip("10.0.0.1")), Just(ip("10.0.1.1")), Just(ip("fd00::1"))]
        )
            .prop_map(|(n, t, a)| {
                let mut v = n.to_be_bytes().to_vec();
                v.extend_from_slice(&(t % 10_000_000_000).to_be_bytes());
                match a {
                    IpAddr::V4(x) => {
                        v.push(4);
                        v.extend_from_slice(&x.to_ipv6_mapped().octets());
                    }
                    IpAddr::V6(x) => {
                        v.push(6);
                        v.extend_from_slice(&x.octets());
                    }
                }
                v
            }),
    ]
}

fn ch() -> impl Strategy<Value = Ch> {
    let bytes = |n| prop::collection::vec(any::<u8>(), 0..n);
    let len = prop_oneof![1 => Just(0u16), 40 => 1u16..48, 12 => 48u16..700];
    let gap = prop_oneof![
        3 => (0u16..10, 0u16..10).prop_map(|(a, b)| (a.min(b), a.max(b))),
        1 => any::<(u16, u16)>()
    ];
    prop_oneof![
        24 => (0u8..16, tsn(), prop_oneof![4 => 0u16..3, 1 => any::<u16>()], prop_oneof![4 => 0u16..4, 1 => any::<u16>()], any::<u32>(), len)
            .prop_map(|(flags, tsn, sid, ssn, ppid, len)| Ch::Data { flags, tsn, sid, ssn, ppid, len }),
        2 => (any::<bool>(), any::<u32>(), prop_oneof![Just(65536u32), any::<u32>()], any::<u16>(), any::<u16>(), any::<u32>(), params())
            .prop_map(|(ack, tag, rwnd, os, mis, tsn, p)| Ch::Init { ack, tag, rwnd, os, mis, tsn, p }),
        14 => (tsn(), prop_oneof![Just(65536u32), any::<u32>()], prop::collection::vec(gap, 0..5), prop::collection::vec(any::<u32>(), 0..4))
            .prop_map(|(cum, rwnd, gaps, dups)| Ch::Sack { cum, rwnd, gaps, dups }),
        3 => (any::<bool>(), hb_info()).prop_map(|(ack, info)| Ch::Heartbeat { ack, info }),
        1 => (any::<bool>(), prop::collection::vec(cz(), 0..3)).prop_map(|(t, causes)| Ch::Abort { t, causes }),
        1 => tsn().prop_map(|cum| Ch::Shutdown { cum }),
        1 => Just(Ch::ShutdownAck),
        1 => any::<bool>().prop_map(|t| Ch::ShutdownComplete { t }),
        2 => prop::collection::vec(cz(), 0..3).prop_map(|causes| Ch::Error { causes }),
        1 => bytes(96).prop_map(Ch::CookieEcho),
        1 => Just(Ch::CookieAck),
        1 => (tsn(), prop::collection::vec(any::<(u16, u16)>(), 0..3)).prop_map(|(cum, streams)| Ch::ForwardTsn { cum, streams }),
        1 => (0u8..40).prop_map(Ch::Pad),
        2 => (any::<u8>(), any::<u8>(), bytes(24)).prop_map(|(ty, flags, body)| Ch::Unknown { ty, flags, body }),
        1 => (any::<u8>(), any::<u8>(), any::<u16>(), bytes(24)).prop_map(|(ty, flags, len, body)| Ch::Mangled { ty, flags, len, body }),
        3 => prop::collection::vec(rcp(), 1..3).prop_map(Ch::Reconf),
        1 => prop::collection::vec((prop_oneof![12u16..20, any::<u16>()], bytes(24)), 0..4).prop_map(Ch::ReconfRaw),
    ]
}

/// Bases for relative TSNs: the receiver's next expected TSN and the
/// sender's last TSN sent.
#[derive(Clone, Copy, Debug, Default)]
struct Ctx {
    rx_next: u32,
    tx_last: u32,
    /// RE-CONFIG: the first request number B expected of A (A's initial
    /// TSN), and B's own first request number (B's initial TSN).
    rq: u32,
    rs: u32,
}

impl Ctx {
    fn of(a: &Association) -> Ctx {
        Ctx {
            rx_next: a.rx_cum_tsn().wrapping_add(1),
            tx_last: a.next_tsn().wrapping_sub(1),
            ..Ctx::default()
        }
    }
}

fn payload(len: u16, salt: u32) -> Vec<u8> {
    (0..len).map(|i| (i as u32).wrapping_mul(31).wrapping_add(salt) as u8).collect()
}

fn emit_init(out: &mut Vec<u8>, ty: u8, init: &InitChunk, extra: &[(u16, Vec<u8>)]) {
    let start = out.len();
    init.emit(ty, out);
    let mut end = start + usize::from(u16::from_be_bytes([out[start + 2], out[start + 3]]));
    for (kind, value) in extra {
        out.truncate(end);
        out.resize(end + wire::pad4(end - start), 0);
        out.extend_from_slice(&kind.to_be_bytes());
        out.extend_from_slice(&((4 + value.len()) as u16).to_be_bytes());
        out.extend_from_slice(value);
        end = out.len();
    }
    let len = (end - start) as u16;
    out[start + 2..start + 4].copy_from_slice(&len.to_be_bytes());
    out.resize(end + wire::pad4(end - start), 0);
}

/// Appends `c`; returns the DATA payload bytes it carried.
fn emit_ch(out: &mut Vec<u8>, c: &Ch, x: Ctx) -> usize {
    match c {
        Ch::Data { flags, tsn, sid, ssn, ppid, len } => {
            let t = tsn.at(x.rx_next);
            DataChunk::emit(out, *flags, t, *sid, *ssn, *ppid, &payload(*len, t));
            return usize::from(*len);
        }
        Ch::Init { ack, tag, rwnd, os, mis, tsn, p } => {
            let init = InitChunk {
                initiate_tag: *tag,
                a_rwnd: *rwnd,
                num_outbound_streams: *os,
                num_inbound_streams: *mis,
                initial_tsn: *tsn,
                params: p.p.clone(),
            };
            emit_init(out, if *ack { CHUNK_INIT_ACK } else { CHUNK_INIT }, &init, &p.extra);
        }
        Ch::Sack { cum, rwnd, gaps, dups } => {
            SackChunk::emit(out, cum.at(x.tx_last), *rwnd, gaps, dups)
        }
        Ch::Heartbeat { ack, info } => {
            emit_heartbeat(out, if *ack { CHUNK_HEARTBEAT_ACK } else { CHUNK_HEARTBEAT }, info)
        }
        Ch::Abort { t, causes } => emit_raw(out, CHUNK_ABORT, *t as u8, &causes_bytes(causes)),
        Ch::Shutdown { cum } => emit_shutdown(out, cum.at(x.tx_last)),
        Ch::ShutdownAck => emit_raw(out, CHUNK_SHUTDOWN_ACK, 0, &[]),
        Ch::ShutdownComplete { t } => emit_raw(out, CHUNK_SHUTDOWN_COMPLETE, *t as u8, &[]),
        Ch::Error { causes } => emit_raw(out, CHUNK_ERROR, 0, &causes_bytes(causes)),
        Ch::CookieEcho(b) => emit_raw(out, CHUNK_COOKIE_ECHO, 0, b),
        Ch::CookieAck => emit_raw(out, CHUNK_COOKIE_ACK, 0, &[]),
        Ch::ForwardTsn { cum, streams } => emit_forward_tsn(out, cum.at(x.rx_next), streams),
        Ch::Pad(n) => emit_raw(out, CHUNK_PAD, 0, &vec![0; usize::from(*n)]),
        Ch::Unknown { ty, flags, body } => emit_raw(out, *ty, *flags, body),
        Ch::Reconf(ps) => {
            let ps: Vec<wire::ReconfParam> = ps.iter().map(|p| p.param(x)).collect();
            wire::reconf::emit_reconf(out, &ps);
        }
        Ch::ReconfRaw(ps) => {
            let mut v = Vec::new();
            for (kind, body) in ps {
                v.extend_from_slice(&kind.to_be_bytes());
                v.extend_from_slice(&((body.len() + 4) as u16).to_be_bytes());
                v.extend_from_slice(body);
                v.resize(v.len() + wire::pad4(body.len()), 0);
            }
            emit_raw(out, wire::CHUNK_RECONF, 0, &v);
        }
        Ch::Mangled { ty, flags, len, body } => {
            out.extend_from_slice(&[*ty, *flags]);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(body);
        }
    }
    0
}

fn build(sport: u16, dport: u16, vtag: u32, chunks: &[Ch], x: Ctx) -> (Vec<u8>, usize) {
    let mut b = Vec::new();
    wire::write_header(&mut b, &CommonHeader { src_port: sport, dst_port: dport, vtag });
    let mut data = 0;
    for c in chunks {
        data += emit_ch(&mut b, c, x);
    }
    wire::finish_packet(&mut b);
    (b, data)
}

/// Which verification tag an injected packet carries.
#[derive(Clone, Debug)]
enum Vt {
    Own,
    Peer,
    Zero,
    Any(u32),
}

fn vt() -> impl Strategy<Value = Vt> {
    prop_oneof![12 => Just(Vt::Own), 2 => Just(Vt::Peer), 1 => Just(Vt::Zero), 1 => any::<u32>().prop_map(Vt::Any)]
}

impl Vt {
    fn of(&self, a: &Association) -> u32 {
        match self {
            Vt::Own => a.local_tag(),
            Vt::Peer => a.peer_tag(),
            Vt::Zero => 0,
            Vt::Any(v) => *v,
        }
    }
}

fn wait_ms() -> impl Strategy<Value = u32> {
    prop_oneof![4 => 0u32..300, 3 => 300u32..5_000, 1 => 5_000u32..120_000]
}

// ---------------------------------------------------------------------
// (a) The endpoint
// ---------------------------------------------------------------------

const EP_SRCS: [&str; 7] = [
    "10.0.0.1:9899",
    "10.0.0.2:40000",
    "[fd00::1]:9899",
    "10.0.0.1:40001",
    "255.255.255.255:9899",
    "[::]:1",
    "[ff02::1]:9899",
];

fn port() -> impl Strategy<Value = u16> {
    prop_oneof![4 => Just(4000u16), 1 => Just(4001u16), 1 => any::<u16>()]
}

fn listen_port() -> impl Strategy<Value = u16> {
    prop_oneof![6 => Just(5000u16), 1 => Just(5001u16), 1 => any::<u16>()]
}

#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)]
enum EpOp {
    Raw {
        src: u8,
        bytes: Vec<u8>,
        crc: bool,
    },
    Packet {
        src: u8,
        sport: u16,
        dport: u16,
        vtag: u32,
        chunks: Vec<Ch>,
    },
    Init {
        src: u8,
        sport: u16,
        dport: u16,
        tag: u32,
        rwnd: u32,
        os: u16,
        mis: u16,
        tsn: u32,
        p: Params,
    },
    Echo {
        pick: u8,
        mutate: Option<(u16, u8)>,
        good_vtag: bool,
        extra: Vec<Ch>,
    },
    ToAssoc {
        pick: u8,
        vt: Vt,
        chunks: Vec<Ch>,
    },
    Wait {
        ms: u32,
    },
}

fn ep_op() -> impl Strategy<Value = EpOp> {
    let src = 0u8..EP_SRCS.len() as u8;
    prop_oneof![
        2 => (src.clone(), prop::collection::vec(any::<u8>(), 0..300), any::<bool>())
            .prop_map(|(src, bytes, crc)| EpOp::Raw { src, bytes, crc }),
        3 => (src.clone(), port(), listen_port(), prop_oneof![Just(0u32), any::<u32>()], prop::collection::vec(ch(), 1..4))
            .prop_map(|(src, sport, dport, vtag, chunks)| EpOp::Packet { src, sport, dport, vtag, chunks }),
        4 => (src.clone(), port(), listen_port(), prop_oneof![4 => 1u32..u32::MAX, 1 => Just(0u32)],
              prop_oneof![4 => Just(65536u32), 1 => any::<u32>()], prop_oneof![Just(10u16), any::<u16>()],
              prop_oneof![Just(10u16), any::<u16>()], any::<u32>(), params())
            .prop_map(|(src, sport, dport, tag, rwnd, os, mis, tsn, p)| EpOp::Init { src, sport, dport, tag, rwnd, os, mis, tsn, p }),
        4 => (any::<u8>(), prop::option::weighted(0.2, (any::<u16>(), 1u8..=255)), prop::bool::weighted(0.9), prop::collection::vec(ch(), 0..3))
            .prop_map(|(pick, mutate, good_vtag, extra)| EpOp::Echo { pick, mutate, good_vtag, extra }),
        6 => (any::<u8>(), vt(), prop::collection::vec(ch(), 1..4))
            .prop_map(|(pick, vt, chunks)| EpOp::ToAssoc { pick, vt, chunks }),
        2 => wait_ms().prop_map(|ms| EpOp::Wait { ms }),
    ]
}

/// A cookie the endpoint (or one of its associations) handed out.
struct Harvest {
    to: SocketAddr,
    sport: u16,
    dport: u16,
    cookie: Vec<u8>,
    itag: u32,
    ctx: Ctx,
}

struct EpWorld {
    ep: Endpoint,
    assocs: BTreeMap<AssocId, Association>,
    now: Instant,
    buf: Vec<u8>,
    cookies: Vec<Harvest>,
    /// Initial TSN of the last INIT this driver sent.
    last_init_tsn: u32,
}

impl EpWorld {
    fn new(seed: u64) -> EpWorld {
        let cfg = Config { rcvbuf: RCVBUF as u32, ..Config::default() };
        let mut ec = EndpointConfig::seeded(seed);
        ec.assoc = cfg.clone();
        let mut ep = Endpoint::new(ec);
        ep.listen(5000, cfg, vec![ip("10.0.1.1"), ip("fd00::2")]);
        EpWorld {
            ep,
            assocs: BTreeMap::new(),
            now: Instant::from_millis(1_000),
            buf: Vec::with_capacity(2048),
            cookies: Vec::new(),
            last_init_tsn: 0,
        }
    }

    fn harvest(&mut self, data: &[u8], dst: SocketAddr, chunks: &[Chunk]) {
        if let [Chunk::InitAck(ia)] = chunks {
            if let Some(c) = &ia.params.cookie {
                let hdr = wire::parse_packet(&Bytes::copy_from_slice(data)).unwrap().0;
                if self.cookies.len() < 64 {
                    self.cookies.push(Harvest {
                        to: dst,
                        sport: hdr.dst_port,
                        dport: hdr.src_port,
                        cookie: c.to_vec(),
                        itag: ia.initiate_tag,
                        ctx: Ctx {
                            rx_next: self.last_init_tsn,
                            tx_last: ia.initial_tsn.wrapping_sub(1),
                            rq: self.last_init_tsn,
                            rs: ia.initial_tsn,
                        },
                    });
                }
            }
        }
    }

    fn input(&mut self, src: SocketAddr, data: &[u8]) {
        let bytes = Bytes::copy_from_slice(data);
        let now = self.now;
        match self.ep.handle(now, src, &bytes, &mut self.buf) {
            Some(DatagramEvent::Assoc(id, inc)) => {
                if let Some(a) = self.assocs.get_mut(&id) {
                    a.handle(now, inc);
                }
            }
            Some(DatagramEvent::NewAssoc(id, a, inc)) => {
                let mut a = *a;
                a.handle(now, inc);
                assert!(self.assocs.insert(id, a).is_none(), "association id reused while alive");
            }
            Some(DatagramEvent::Response(t)) => {
                let d = self.buf[..t.len].to_vec();
                let chunks = check_packet(&d, t.dst, None);
                assert_eq!(t.dst, src, "endpoint replies go back to the packet's source");
                self.harvest(&d, t.dst, &chunks);
            }
            None => {}
        }
        self.drain();
    }

    fn drain(&mut self) {
        let now = self.now;
        let mut got = Vec::new();
        for (&id, a) in self.assocs.iter_mut() {
            let mut n = 0;
            while let Some(t) = a.poll_transmit(now, &mut self.buf) {
                n += 1;
                assert!(n <= 10_000, "poll_transmit does not end");
                let d = self.buf[..t.len].to_vec();
                let chunks = check_packet(&d, t.dst, Some((a.peer_tag(), a.rx_cum_tsn())));
                got.push((d, t.dst, chunks));
            }
            let mut k = 0;
            while a.poll_event().is_some() {
                k += 1;
                assert!(k <= 100_000, "poll_event does not end");
            }
            while let Some(r) = a.read(4096) {
                assert!(r.data.len() <= 4096);
            }
            assert_eq!(a.readable_bytes(), 0);
            assert!(a.local_rwnd() as usize <= RCVBUF);
            assert_eq!(a.buffered_amount(), 0, "nobody sent anything");
            while let Some(ev) = a.poll_endpoint_event() {
                self.ep.handle_event(id, ev);
            }
        }
        for (d, dst, chunks) in got {
            self.harvest(&d, dst, &chunks);
        }
    }

    fn fire(&mut self) {
        let now = self.now;
        for a in self.assocs.values_mut() {
            if a.poll_timeout().is_some_and(|t| t <= now) {
                a.handle_timeout(now);
            }
            check_timer(a, now);
        }
        self.drain();
    }

    fn wait(&mut self, ms: u32) {
        let target = self.now + Duration::from_millis(u64::from(ms));
        for _ in 0..100_000 {
            match self.assocs.values().filter_map(|a| a.poll_timeout()).min() {
                Some(t) if t <= target => {
                    self.now = self.now.max(t);
                    self.fire();
                }
                _ => break,
            }
        }
        self.now = target;
    }

    fn run(&mut self, op: &EpOp) {
        let src_of =
            |i: u8| -> SocketAddr { EP_SRCS[usize::from(i) % EP_SRCS.len()].parse().unwrap() };
        match op {
            EpOp::Raw { src, bytes, crc } => {
                let mut b = bytes.clone();
                if *crc {
                    b.resize(b.len().max(wire::COMMON_HEADER_LEN), 0);
                    b[0] |= 0x01;
                    b[2] |= 0x01;
                    wire::finish_packet(&mut b);
                }
                self.input(src_of(*src), &b);
            }
            EpOp::Packet { src, sport, dport, vtag, chunks } => {
                let (p, _) = build(*sport, *dport, *vtag, chunks, Ctx::default());
                self.input(src_of(*src), &p);
            }
            EpOp::Init { src, sport, dport, tag, rwnd, os, mis, tsn, p } => {
                let c = Ch::Init {
                    ack: false,
                    tag: *tag,
                    rwnd: *rwnd,
                    os: *os,
                    mis: *mis,
                    tsn: *tsn,
                    p: p.clone(),
                };
                let (pk, _) = build(*sport, *dport, 0, &[c], Ctx::default());
                self.last_init_tsn = *tsn;
                self.input(src_of(*src), &pk);
            }
            EpOp::Echo { pick, mutate, good_vtag, extra } => {
                if self.cookies.is_empty() {
                    return;
                }
                let h = &self.cookies[usize::from(*pick) % self.cookies.len()];
                let mut cookie = h.cookie.clone();
                if let Some((at, x)) = mutate {
                    if !cookie.is_empty() {
                        let i = usize::from(*at) % cookie.len();
                        cookie[i] ^= x;
                    }
                }
                let vtag = if *good_vtag { h.itag } else { h.itag ^ 0x0100_0000 };
                let mut chunks = vec![Ch::CookieEcho(cookie)];
                chunks.extend(extra.iter().cloned());
                let (p, _) = build(h.sport, h.dport, vtag, &chunks, h.ctx);
                let to = h.to;
                self.input(to, &p);
            }
            EpOp::ToAssoc { pick, vt, chunks } => {
                if self.assocs.is_empty() {
                    return;
                }
                let a = self.assocs.values().nth(usize::from(*pick) % self.assocs.len()).unwrap();
                let Some(path) = a.paths().first() else { return };
                let src = SocketAddr::new(path.addr, path.encap_port.max(1));
                let (p, _) = build(a.peer_port(), a.local_port(), vt.of(a), chunks, Ctx::of(a));
                self.input(src, &p);
            }
            EpOp::Wait { ms } => self.wait(*ms),
        }
    }

    /// Lets every association run until its (silent) peer is given up on.
    fn finish(&mut self) {
        let end = self.now + Duration::from_secs(4 * 3600);
        for _ in 0..200_000 {
            let Some(t) = self.assocs.values().filter_map(|a| a.poll_timeout()).min() else {
                break;
            };
            assert!(t <= end, "associations still running after hours without a peer");
            self.now = self.now.max(t);
            self.fire();
        }
        for (id, a) in &self.assocs {
            assert!(a.is_closed(), "association {id:?} never gave up: {:?}", a.state());
            assert!(a.is_drained());
        }
        assert_eq!(self.ep.assoc_count(), 0, "closed associations left in the routing table");
    }
}

proptest! {
    #![proptest_config(pt_config(10_000, 0x5C7B_0001))]

    #[test]
    fn endpoint_fed_arbitrary_datagrams(seed in any::<u16>(), ops in prop::collection::vec(ep_op(), 1..40)) {
        let mut w = EpWorld::new(u64::from(seed));
        for op in &ops {
            w.run(op);
        }
        w.finish();
    }
}

// ---------------------------------------------------------------------
// (b) An established association
// ---------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Src {
    Peer,
    PeerPort(u16),
    Other,
}

#[derive(Clone, Debug)]
enum Op {
    /// A packet to B "from A" with the chosen tag.
    Inject {
        chunks: Vec<Ch>,
        vt: Vt,
        src: Src,
    },
    /// Arbitrary bytes after a common header with B's ports.
    InjectRaw {
        body: Vec<u8>,
        vt: Vt,
        crc: bool,
    },
    /// Deliver what A and B sent, `rounds` times (or lose it all).
    Deliver {
        rounds: u8,
        lose: bool,
    },
    /// Time passes; due timers run on both sides.
    Wait {
        ms: u32,
    },
    /// Time jumps and `handle_timeout` is called whether due or not.
    Timeout {
        ms: u32,
    },
    Send {
        side: bool,
        sid: u16,
        len: u16,
        unordered: bool,
        imm: bool,
    },
    Read {
        side: bool,
        max: u16,
    },
    Shutdown {
        side: bool,
    },
    Abort {
        side: bool,
    },
    /// A stream reconfiguration call (RFC 6525): 0 outgoing, 1 incoming,
    /// 2 both resets of `streams`; 3 SSN/TSN reset; 4 add `n` streams.
    Reconf {
        side: bool,
        kind: u8,
        streams: Vec<u16>,
        n: (u16, u16),
    },
}

fn op() -> impl Strategy<Value = Op> {
    let src = prop_oneof![10 => Just(Src::Peer), 1 => (1024u16..).prop_map(Src::PeerPort), 1 => Just(Src::Other)];
    // ABORT chunks (which usually end the association) in one injected
    // packet out of ten.
    let chunks = prop_oneof![
        9 => prop::collection::vec(
            ch().prop_map(|c| match c {
                Ch::Abort { causes, .. } => Ch::Error { causes },
                c => c,
            }),
            1..5
        ),
        1 => prop::collection::vec(ch(), 1..5),
    ];
    prop_oneof![
        80 => (chunks, vt(), src).prop_map(|(chunks, vt, src)| Op::Inject { chunks, vt, src }),
        4 => (prop::collection::vec(any::<u8>(), 0..200), vt(), prop::bool::weighted(0.8))
            .prop_map(|(body, vt, crc)| Op::InjectRaw { body, vt, crc }),
        24 => (1u8..4, prop::bool::weighted(0.1)).prop_map(|(rounds, lose)| Op::Deliver { rounds, lose }),
        16 => wait_ms().prop_map(|ms| Op::Wait { ms }),
        4 => (0u32..200_000).prop_map(|ms| Op::Timeout { ms }),
        20 => (any::<bool>(), 0u16..12, prop_oneof![3 => 1u16..1500, 1 => 1500u16..9000], prop::bool::weighted(0.3), prop::bool::weighted(0.2))
            .prop_map(|(side, sid, len, unordered, imm)| Op::Send { side, sid, len, unordered, imm }),
        12 => (any::<bool>(), 1u16..6000).prop_map(|(side, max)| Op::Read { side, max }),
        2 => any::<bool>().prop_map(|side| Op::Shutdown { side }),
        1 => prop::bool::weighted(0.3).prop_map(|side| Op::Abort { side }),
        3 => (any::<bool>(), 0u8..5, prop::collection::vec(prop_oneof![6 => 0u16..12, 1 => any::<u16>()], 0..3), (0u16..3, 0u16..3))
            .prop_map(|(side, kind, streams, n)| Op::Reconf { side, kind, streams, n }),
    ]
}

struct Side {
    ep: Endpoint,
    assocs: BTreeMap<AssocId, Association>,
    addr: SocketAddr,
    /// User bytes accepted by `send` during the case.
    accepted: usize,
    /// The message being read: (stream, ssn, unordered, ppid, bytes).
    reading: Option<(u16, u16, bool, u32, Vec<u8>)>,
    /// Next SSN expected per stream for ordered messages.
    next_ssn: BTreeMap<u16, u16>,
    /// Last cumulative TSN received and next TSN to send seen.
    last_tsns: (u32, u32),
    /// Incoming streams reset (RFC 6525) whose next ordered message may
    /// start again at SSN 0.
    reset: std::collections::BTreeSet<u16>,
    /// An SSN/TSN reset moved the TSNs (by about 2^31).
    tsn_jump: bool,
}

impl Side {
    fn new(ep: Endpoint, assocs: BTreeMap<AssocId, Association>, addr: &str) -> Side {
        let a = assocs.values().next().unwrap();
        let last_tsns = (a.rx_cum_tsn(), a.next_tsn());
        Side {
            ep,
            assocs,
            addr: addr.parse().unwrap(),
            accepted: 0,
            reading: None,
            next_ssn: BTreeMap::new(),
            last_tsns,
            reset: Default::default(),
            tsn_jump: false,
        }
    }

    /// Takes up to four pieces. With `honest_sender` (only the real peer
    /// sends to this side) checks what was delivered: pieces of one
    /// message belong together, ordered messages come in SSN order per
    /// stream, and every message is intact. The fuzzed side gets
    /// inconsistent fragments on purpose (see the partial-delivery
    /// regression test below), so it is only read.
    fn read(&mut self, max: usize, honest_sender: bool) {
        let a = self.assocs.values_mut().next().unwrap();
        for _ in 0..4 {
            let Some(r) = a.read(max) else { break };
            assert!(r.data.len() <= max);
            if !honest_sender {
                continue;
            }
            let cur = self
                .reading
                .get_or_insert_with(|| (r.stream_id, r.ssn, r.unordered, r.ppid, Vec::new()));
            // One message: same stream and U bit, and the same SSN when ordered
            // (unordered fragments' SSNs are ignored, 9260 3.3.1; PPIDs are
            // per chunk).
            assert_eq!((cur.0, cur.2), (r.stream_id, r.unordered), "pieces of two messages mixed");
            if !r.unordered {
                assert_eq!(cur.1, r.ssn, "pieces of two ordered messages mixed");
            }
            cur.4.extend_from_slice(&r.data);
            if !r.eor {
                continue;
            }
            let (sid, ssn, unordered, ppid, data) = self.reading.take().unwrap();
            if !unordered {
                // 9260 6.5, 6.6: ordered messages in SSN order per stream.
                let want = self.next_ssn.entry(sid).or_insert(0);
                if ssn == 0 && ssn != *want && self.reset.remove(&sid) {
                    // The stream was reset: it starts again.
                    *want = 0;
                }
                assert_eq!(
                    ssn, *want,
                    "stream {sid}: ordered message {ssn} delivered, expected {want}"
                );
                *want = want.wrapping_add(1);
            }
            // Whatever arrives is one of the real peer's messages, intact.
            assert_eq!(ppid, u32::from(sid));
            assert!(!data.is_empty() && data.len() <= 9000);
            assert!(data == payload(data.len() as u16, 9), "message on stream {sid} corrupted");
        }
    }
}

struct World {
    s: [Side; 2],
    now: Instant,
    /// (to side, from address, datagram)
    q: Vec<(usize, SocketAddr, Vec<u8>)>,
    buf: Vec<u8>,
    /// DATA payload bytes injected into B.
    injected: usize,
    /// RE-CONFIG request numbers: A's first (what B expects) and B's first.
    rq: u32,
    rs: u32,
}

const SIDE_A: usize = 0;
const SIDE_B: usize = 1;

impl World {
    /// A (10.0.0.1, client) and B (10.0.1.1, listening) with an
    /// association established in the simulator.
    fn new(seed: u64) -> World {
        let cfg = Config {
            rcvbuf: RCVBUF as u32,
            hb_interval: Duration::from_secs(5),
            reconf_supported: true,
            enable_stream_reset: 7,
            ..Config::default()
        };
        let a = Node::new(seed * 2 + 1, vec![ip("10.0.0.1")], 9899, cfg.clone());
        let mut b = Node::new(seed * 2 + 2, vec![ip("10.0.1.1")], 9899, cfg);
        b.listen(5000);
        let mut net = Net::new(seed, vec![a, b]);
        net.connect(0, 1, 4000, 5000);
        assert!(net.run_until(Duration::from_secs(5), |n| n
            .nodes
            .iter()
            .all(|x| x.has_event(|e| matches!(e, AssocEvent::CommUp { .. })))));
        let now = net.now;
        let mut nodes = std::mem::take(&mut net.nodes).into_iter();
        let (a, b) = (nodes.next().unwrap(), nodes.next().unwrap());
        // No data yet: B's next expected TSN is A's initial TSN, B's next
        // TSN its own (RFC 6525 4.1: the first request numbers).
        let bb = b.assocs.values().next().unwrap();
        let (rq, rs) = (bb.rx_cum_tsn().wrapping_add(1), bb.next_tsn());
        World {
            rq,
            rs,
            s: [
                Side::new(a.ep, a.assocs, "10.0.0.1:9899"),
                Side::new(b.ep, b.assocs, "10.0.1.1:9899"),
            ],
            now,
            q: Vec::new(),
            buf: Vec::with_capacity(2048),
            injected: 0,
        }
    }

    fn b(&self) -> &Association {
        self.s[SIDE_B].assocs.values().next().unwrap()
    }

    fn route(&mut self, from: usize, dst: SocketAddr, data: Vec<u8>) {
        let to = 1 - from;
        if dst == self.s[to].addr && self.q.len() < 10_000 {
            self.q.push((to, self.s[from].addr, data));
        }
    }

    fn input(&mut self, side: usize, src: SocketAddr, data: &[u8]) {
        let bytes = Bytes::copy_from_slice(data);
        let now = self.now;
        let s = &mut self.s[side];
        let mut reply = None;
        match s.ep.handle(now, src, &bytes, &mut self.buf) {
            Some(DatagramEvent::Assoc(id, inc)) => {
                if let Some(a) = s.assocs.get_mut(&id) {
                    a.handle(now, inc);
                }
            }
            Some(DatagramEvent::NewAssoc(id, a, inc)) => {
                let mut a = *a;
                a.handle(now, inc);
                s.assocs.insert(id, a);
            }
            Some(DatagramEvent::Response(t)) => {
                let d = self.buf[..t.len].to_vec();
                check_packet(&d, t.dst, None);
                reply = Some((t.dst, d));
            }
            None => {}
        }
        if let Some((dst, d)) = reply {
            self.route(side, dst, d);
        }
        self.drain(side);
    }

    fn drain(&mut self, side: usize) {
        let now = self.now;
        let mut out = Vec::new();
        let s = &mut self.s[side];
        for (&id, a) in s.assocs.iter_mut() {
            let mut n = 0;
            while let Some(t) = a.poll_transmit(now, &mut self.buf) {
                n += 1;
                assert!(n <= 10_000, "poll_transmit does not end");
                let d = self.buf[..t.len].to_vec();
                check_packet(&d, t.dst, Some((a.peer_tag(), a.rx_cum_tsn())));
                out.push((t.dst, d));
            }
            let mut k = 0;
            while let Some(e) = a.poll_event() {
                k += 1;
                assert!(k <= 100_000, "poll_event does not end");
                if let AssocEvent::SendFailed { data, .. } = &e {
                    assert!(data.len() <= SNDBUF);
                }
            }
            while let Some(e) = a.poll_ext_event() {
                match e {
                    ExtEvent::StreamReset { flags: 1, streams } => {
                        if streams.is_empty() {
                            s.reset.extend(0..16);
                        } else {
                            s.reset.extend(streams);
                        }
                    }
                    ExtEvent::AssocReset { flags: 0, .. } => {
                        s.reset.extend(0..16);
                        s.tsn_jump = true;
                    }
                    ExtEvent::PartialDeliveryAborted { .. } => s.reading = None,
                    _ => {}
                }
            }
            while let Some(ev) = a.poll_endpoint_event() {
                s.ep.handle_event(id, ev);
            }
        }
        for (dst, d) in out {
            self.route(side, dst, d);
        }
    }

    fn fire(&mut self, all: bool) {
        let now = self.now;
        for side in [SIDE_A, SIDE_B] {
            for a in self.s[side].assocs.values_mut() {
                if all || a.poll_timeout().is_some_and(|t| t <= now) {
                    a.handle_timeout(now);
                }
                check_timer(a, now);
            }
            self.drain(side);
        }
    }

    fn next_timer(&self) -> Option<Instant> {
        self.s.iter().flat_map(|s| s.assocs.values()).filter_map(|a| a.poll_timeout()).min()
    }

    fn wait(&mut self, ms: u32) {
        let target = self.now + Duration::from_millis(u64::from(ms));
        for _ in 0..100_000 {
            match self.next_timer() {
                Some(t) if t <= target => {
                    self.now = self.now.max(t);
                    self.fire(false);
                }
                _ => break,
            }
        }
        self.now = target;
    }

    fn deliver(&mut self, rounds: u8) {
        for _ in 0..rounds {
            let q = std::mem::take(&mut self.q);
            for (to, from, d) in q {
                self.input(to, from, &d);
            }
        }
    }

    fn check(&mut self) {
        for s in self.s.iter_mut() {
            let a = s.assocs.values().next().unwrap();
            let now = (a.rx_cum_tsn(), a.next_tsn());
            if std::mem::take(&mut s.tsn_jump) {
                s.last_tsns = now;
                continue;
            }
            assert!(
                ge32(now.0, s.last_tsns.0),
                "cumulative TSN went back: {:?} -> {:?}",
                s.last_tsns,
                now
            );
            assert!(
                ge32(now.1, s.last_tsns.1),
                "next TSN went back: {:?} -> {:?}",
                s.last_tsns,
                now
            );
            s.last_tsns = now;
        }
        for (i, s) in self.s.iter().enumerate() {
            let other = &self.s[1 - i];
            for a in s.assocs.values() {
                assert!(
                    a.buffered_amount() <= SNDBUF.min(s.accepted),
                    "buffered {}",
                    a.buffered_amount()
                );
                assert!(
                    a.pending_chunks() + a.unacked_chunks() <= s.accepted,
                    "more chunks than bytes sent"
                );
                let could_arrive = other.accepted + if i == SIDE_B { self.injected } else { 0 };
                assert!(
                    a.readable_bytes() <= RCVBUF + could_arrive,
                    "readable {} > rcvbuf {} + {} sent to it",
                    a.readable_bytes(),
                    RCVBUF,
                    could_arrive
                );
                assert!(a.local_rwnd() as usize <= RCVBUF);
                if let Some(t) = a.poll_timeout() {
                    assert!(t <= self.now + MAX_TIMER, "timer too far away");
                }
                if a.is_closed() {
                    assert_eq!(a.poll_timeout(), None, "a closed association keeps a timer");
                    assert_eq!(a.buffered_amount(), 0);
                }
            }
        }
    }

    fn run(&mut self, op: &Op) {
        let side = |b: bool| if b { SIDE_B } else { SIDE_A };
        match op {
            Op::Inject { chunks, vt, src } => {
                let b = self.b();
                let x = Ctx { rq: self.rq, rs: self.rs, ..Ctx::of(b) };
                let (p, data) = build(b.peer_port(), b.local_port(), vt.of(b), chunks, x);
                self.injected += data;
                let src = match src {
                    Src::Peer => self.s[SIDE_A].addr,
                    Src::PeerPort(p) => SocketAddr::new(self.s[SIDE_A].addr.ip(), *p),
                    Src::Other => "10.0.0.77:9899".parse().unwrap(),
                };
                self.input(SIDE_B, src, &p);
            }
            Op::InjectRaw { body, vt, crc } => {
                let b = self.b();
                let mut p = Vec::new();
                wire::write_header(
                    &mut p,
                    &CommonHeader {
                        src_port: b.peer_port(),
                        dst_port: b.local_port(),
                        vtag: vt.of(b),
                    },
                );
                p.extend_from_slice(body);
                if *crc {
                    wire::finish_packet(&mut p);
                }
                self.injected += body.len();
                let src = self.s[SIDE_A].addr;
                self.input(SIDE_B, src, &p);
            }
            Op::Deliver { rounds, lose } => {
                if *lose {
                    self.q.clear();
                }
                self.deliver(*rounds);
            }
            Op::Wait { ms } => self.wait(*ms),
            Op::Timeout { ms } => {
                self.now = self.now + Duration::from_millis(u64::from(*ms));
                self.fire(true);
            }
            Op::Send { side: sd, sid, len, unordered, imm } => {
                let i = side(*sd);
                let now = self.now;
                let s = &mut self.s[i];
                let a = s.assocs.values_mut().next().unwrap();
                let len = usize::from(*len);
                if a.buffered_amount() + len <= SNDBUF {
                    let opt = SendOptions {
                        stream_id: *sid,
                        ppid: *sid as u32,
                        unordered: *unordered,
                        sack_immediately: *imm,
                        context: 7,
                    };
                    if a.send(now, Bytes::from(payload(len as u16, 9)), opt).is_ok() {
                        s.accepted += len;
                    }
                }
                self.drain(i);
            }
            Op::Read { side: sd, max } => {
                let i = side(*sd);
                self.s[i].read(usize::from(*max), i == SIDE_A);
                self.drain(i);
            }
            Op::Shutdown { side: sd } => {
                let i = side(*sd);
                let now = self.now;
                self.s[i].assocs.values_mut().next().unwrap().shutdown(now);
                self.drain(i);
            }
            Op::Reconf { side: sd, kind, streams, n } => {
                let i = side(*sd);
                let now = self.now;
                let a = self.s[i].assocs.values_mut().next().unwrap();
                let r = match kind {
                    0 => a.reset_streams(now, true, false, streams),
                    1 => a.reset_streams(now, false, true, streams),
                    2 => a.reset_streams(now, true, true, streams),
                    3 => a.reset_assoc(now),
                    _ => a.add_streams(now, n.0, n.1),
                };
                if let Err(e) = r {
                    assert!([92, 115, 22, 11, 107].contains(&e.errno()));
                }
                self.drain(i);
            }
            Op::Abort { side: sd } => {
                let i = side(*sd);
                let now = self.now;
                self.s[i]
                    .assocs
                    .values_mut()
                    .next()
                    .unwrap()
                    .abort(now, Bytes::from_static(b"fuzz"));
                self.drain(i);
            }
        }
        self.check();
    }

    /// Runs a while longer, then tears everything down.
    fn finish(&mut self) {
        for _ in 0..50 {
            self.deliver(1);
            let Some(t) = self.next_timer() else { break };
            let ms = t.saturating_since(self.now).as_millis().min(120_000) as u32;
            self.wait(ms);
            self.check();
        }
        let now = self.now;
        for i in [SIDE_A, SIDE_B] {
            for a in self.s[i].assocs.values_mut() {
                a.abort(now, Bytes::new());
            }
            self.drain(i);
        }
        self.deliver(2);
        for s in &self.s {
            for a in s.assocs.values() {
                assert!(a.is_closed() && a.is_drained());
                assert_eq!(a.poll_timeout(), None);
            }
            assert_eq!(s.ep.assoc_count(), 0, "aborted associations left in the routing table");
        }
    }
}

proptest! {
    #![proptest_config(pt_config(10_000, 0x5C7B_0002))]

    #[test]
    fn established_association_fed_arbitrary_packets(seed in 0u64..64, ops in prop::collection::vec(op(), 1..80)) {
        let mut w = World::new(seed);
        w.check();
        for op in &ops {
            w.run(op);
        }
        w.finish();
    }
}

// ---------------------------------------------------------------------
// Regressions
// ---------------------------------------------------------------------

/// A listening endpoint with one association to a peer played by the
/// test: returns (endpoint, association, peer address, host's tag, first
/// TSN the peer sends).
fn scripted(cfg: Config) -> (Endpoint, Association, SocketAddr, u32, u32) {
    let mut ec = EndpointConfig::seeded(77);
    ec.assoc = cfg.clone();
    let mut ep = Endpoint::new(ec);
    ep.listen(5000, cfg, vec![ip("10.0.1.1")]);
    let peer: SocketAddr = "10.0.0.1:9899".parse().unwrap();
    let now = Instant::ZERO;
    let mut buf = Vec::new();
    let (init, _) = build(
        4000,
        5000,
        0,
        &[Ch::Init {
            ack: false,
            tag: 0xFEED_0001,
            rwnd: 1 << 20,
            os: 10,
            mis: 10,
            tsn: 100,
            p: Params { p: InitParams::default(), extra: vec![] },
        }],
        Ctx::default(),
    );
    let Some(DatagramEvent::Response(t)) = ep.handle(now, peer, &Bytes::from(init), &mut buf)
    else {
        panic!()
    };
    let [Chunk::InitAck(ia)] = &check_packet(&buf[..t.len], t.dst, None)[..] else { panic!() };
    let ia = ia.clone();
    let (echo, _) = build(
        4000,
        5000,
        ia.initiate_tag,
        &[Ch::CookieEcho(ia.params.cookie.unwrap().to_vec())],
        Ctx::default(),
    );
    let Some(DatagramEvent::NewAssoc(_, a, inc)) =
        ep.handle(now, peer, &Bytes::from(echo), &mut buf)
    else {
        panic!()
    };
    let mut a = *a;
    a.handle(now, inc);
    while a.poll_transmit(now, &mut buf).is_some() {}
    (ep, a, peer, ia.initiate_tag, 100)
}

fn feed(ep: &mut Endpoint, a: &mut Association, peer: SocketAddr, p: Vec<u8>, now: Instant) {
    let mut buf = Vec::new();
    if let Some(DatagramEvent::Assoc(_, inc)) = ep.handle(now, peer, &Bytes::from(p), &mut buf) {
        a.handle(now, inc);
    }
    while let Some(t) = a.poll_transmit(now, &mut buf) {
        check_packet(&buf[..t.len], t.dst, Some((a.peer_tag(), a.rx_cum_tsn())));
    }
}

fn data_pkt(tag: u32, tsn: u32, len: u16) -> Vec<u8> {
    let c = Ch::Data {
        flags: DATA_FLAG_BEGIN | DATA_FLAG_END | DATA_FLAG_UNORDERED,
        tsn: Tsn::Any(tsn),
        sid: 0,
        ssn: 0,
        ppid: 0,
        len,
    };
    build(4000, 5000, tag, &[c], Ctx::default()).0
}

/// Control for the next test: in-order data beyond the receive window is
/// dropped while the application does not read (9260 6.2).
#[test]
fn receive_window_bounds_in_order_data() {
    let (mut ep, mut a, peer, tag, tsn) = scripted(Config { rcvbuf: 16384, ..Config::default() });
    let now = Instant::from_millis(5);
    for i in 0..200u32 {
        feed(&mut ep, &mut a, peer, data_pkt(tag, tsn + i, 1000), now);
    }
    assert!(a.readable_bytes() <= 16384, "readable {}", a.readable_bytes());
    assert_eq!(a.local_rwnd(), 16384 - a.readable_bytes() as u32);
}

/// 9260 6.2: "When the receiver's advertised window is 0, the receiver
/// MUST drop any new incoming DATA chunk with a TSN larger than the
/// largest TSN received so far. Also, if the new incoming DATA chunk holds
/// a TSN value less than the largest TSN received so far, then the
/// receiver SHOULD drop the largest TSN held for reordering and accept the
/// new incoming DATA chunk." Here a peer first sends one byte far ahead;
/// every later in-order chunk is then "below the highest TSN" and taken
/// however full the buffer is, so a peer that ignores our window makes us
/// buffer without limit.
#[test]
fn regression_hole_filling_data_ignores_the_receive_window() {
    let (mut ep, mut a, peer, tag, tsn) = scripted(Config { rcvbuf: 16384, ..Config::default() });
    let now = Instant::from_millis(5);
    feed(&mut ep, &mut a, peer, data_pkt(tag, tsn + 1000, 1), now);
    for i in 0..200u32 {
        feed(&mut ep, &mut a, peer, data_pkt(tag, tsn + i, 1000), now);
    }
    assert!(
        a.readable_bytes() <= 16384 + 2 * 1000,
        "readable {} with rcvbuf 16384",
        a.readable_bytes()
    );
}

/// 9260 6.9: fragments of one message have consecutive TSNs, the first
/// with the B bit, the last with the E bit. When a message is being
/// delivered in parts and the chunk at the next TSN starts another
/// message (B bit, another stream), it is not part of the message in
/// progress. Here the peer never finishes message 1 (stream 0) and sends
/// a complete message on stream 1 at the next TSN.
#[test]
fn regression_partial_delivery_does_not_splice_messages() {
    let (mut ep, mut a, peer, tag, tsn) = scripted(Config { pd_point: 1000, ..Config::default() });
    let now = Instant::from_millis(5);
    let d = |tsn: u32, flags: u8, sid: u16, len: u16| {
        let c = Ch::Data { flags, tsn: Tsn::Any(tsn), sid, ssn: 0, ppid: 0, len };
        build(4000, 5000, tag, &[c], Ctx::default()).0
    };
    // Message 1 on stream 0: first fragment only, past the PD point.
    feed(&mut ep, &mut a, peer, d(tsn, DATA_FLAG_BEGIN, 0, 1200), now);
    assert!(a.in_partial_delivery());
    // A complete message on stream 1 at the next TSN.
    feed(&mut ep, &mut a, peer, d(tsn + 1, DATA_FLAG_BEGIN | DATA_FLAG_END, 1, 10), now);
    let first = a.read(usize::MAX).expect("the partial message");
    assert_eq!((first.stream_id, first.eor), (0, false));
    while let Some(p) = a.read(usize::MAX) {
        assert_eq!(
            p.stream_id, 0,
            "a stream-1 message was delivered as the rest of a stream-0 message"
        );
    }
}

/// 9260 3.2.2: an INIT ACK echoes the INIT's reportable unknown
/// parameters, each wrapped in a 4-byte "Unrecognized Parameter" header.
/// An INIT made of many such 4-byte parameters therefore gets an INIT ACK
/// twice its size (a reflection amplifier towards a spoofed source), and
/// past ~8,200 of them the INIT ACK's 16-bit chunk length overflows.
#[test]
fn regression_init_with_many_reportable_unknown_parameters() {
    for n in [300usize, 9_000] {
        let mut ec = EndpointConfig::seeded(5);
        ec.assoc = Config::default();
        let mut ep = Endpoint::new(ec);
        ep.listen(5000, Config::default(), vec![ip("10.0.1.1")]);
        let extra: Vec<(u16, Vec<u8>)> =
            (0..n).map(|i| (0xC100 | (i % 256) as u16, Vec::new())).collect();
        let c = Ch::Init {
            ack: false,
            tag: 0x0101_0101,
            rwnd: 65536,
            os: 10,
            mis: 10,
            tsn: 1,
            p: Params { p: InitParams::default(), extra },
        };
        let (init, _) = build(4000, 5000, 0, &[c], Ctx::default());
        let src: SocketAddr = "10.0.0.1:9899".parse().unwrap();
        let mut buf = Vec::new();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            ep.handle(Instant::ZERO, src, &Bytes::from(init.clone()), &mut buf)
        }));
        let Ok(Some(DatagramEvent::Response(t))) = r else {
            panic!("{n} parameters: the endpoint panicked or did not answer");
        };
        let reply = buf[..t.len].to_vec();
        let chunks = check_packet(&reply, t.dst, None);
        assert!(matches!(chunks[..], [Chunk::InitAck(_)]));
        assert!(
            reply.len() <= init.len().max(1472),
            "{n} parameters: INIT of {} bytes answered with an INIT ACK of {} bytes",
            init.len(),
            reply.len()
        );
    }
}
