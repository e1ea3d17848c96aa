//! AUTH (RFC 4895) in the simulator: negotiation, authenticated transfer
//! under loss, forged and mis-keyed packets discarded, a key change in
//! the middle of a transfer, and an authenticated COOKIE ECHO.
mod common;
use common::*;
use sctpudp::proto::assoc::ExtEvent;
use sctpudp::proto::wire::chunk::{emit_raw, DataChunk};
use sctpudp::proto::wire::{self, CommonHeader, CHUNK_AUTH, CHUNK_DATA, CHUNK_ERROR, CHUNK_SACK};
use sctpudp::proto::Config;
use std::net::SocketAddr;
use std::time::Duration;

/// AUTH on, requiring `chunks` authenticated.
fn auth(chunks: &[u8]) -> Config {
    let mut c = Config { auth_supported: true, ..Config::default() };
    for t in chunks {
        c.auth_chunks.insert(*t);
    }
    c
}

fn send_all(net: &mut Net, seed: u64, first: u64, n: u64, len: usize) {
    let now = net.now;
    for i in first..first + n {
        net.nodes[0].assoc().send(now, body(seed, i, len), opts(0, false, i as u32)).unwrap();
    }
}

fn check_all(net: &Net, seed: u64, n: u64, len: usize) {
    assert_eq!(net.nodes[1].msgs.len() as u64, n, "seed {seed}: exactly once");
    for (i, m) in net.nodes[1].msgs.iter().enumerate() {
        assert_eq!(m.3, i as u32, "seed {seed}: order");
        assert_eq!(&m.4[..], &body(seed, i as u64, len)[..], "seed {seed}: message {i} intact");
    }
}

#[test]
fn negotiated_only_when_both_offer_it() {
    for (a, b, on) in [
        (auth(&[]), auth(&[]), true),
        (Config::default(), auth(&[CHUNK_DATA]), false),
        (auth(&[CHUNK_DATA]), Config::default(), false),
    ] {
        let mut net = pair_up(a, b, 1, 800);
        assert_eq!(net.nodes[0].assoc().auth_enabled(), on);
        assert_eq!(net.nodes[1].assoc().auth_enabled(), on);
        send_all(&mut net, 1, 0, 20, 500);
        assert!(net.run_until(Duration::from_secs(10), |n| n.nodes[1].msgs.len() == 20));
        // Nobody asked for anything authenticated: no AUTH chunk.
        assert_eq!(net.chunks_sent.get(&(0, CHUNK_AUTH)), None);
    }
}

/// DATA and SACK required authenticated both ways, over a link that
/// loses, duplicates and reorders: everything arrives exactly once (a
/// DATA or SACK that were not authenticated would be dropped and the
/// transfer would stall), and packets stay within the path MTU.
#[test]
fn authenticated_transfer_under_loss() {
    for seed in [1u64, 2, 3] {
        let req = [CHUNK_DATA, CHUNK_SACK];
        let mut net = pair_up(auth(&req), auth(&req), seed, 810);
        for l in net.links.iter_mut() {
            l.loss = 0.05;
            l.dup = 0.02;
            l.reorder = 0.05;
        }
        net.reset_max_sent();
        send_all(&mut net, seed, 0, 300, 3000);
        assert!(
            net.run_until(Duration::from_secs(120), |n| n.nodes[1].msgs.len() >= 300),
            "seed {seed}: {} of 300",
            net.nodes[1].msgs.len()
        );
        check_all(&net, seed, 300, 3000);
        let auth0 = net.chunks_sent.get(&(0, CHUNK_AUTH)).copied().unwrap_or(0);
        let data0 = net.chunks_sent.get(&(0, CHUNK_DATA)).copied().unwrap_or(0);
        let auth1 = net.chunks_sent.get(&(1, CHUNK_AUTH)).copied().unwrap_or(0);
        assert!(auth0 * 2 >= data0 && auth0 > 0, "seed {seed}: {auth0} AUTH for {data0} DATA");
        assert!(auth1 > 0, "seed {seed}: SACKs authenticated");
        assert!(net.max_sent[0] <= 1500, "seed {seed}: a {} byte packet", net.max_sent[0]);
    }
}

/// Packets to node 1 (which requires DATA authenticated) from node 0's
/// address and ports with its tag: DATA without AUTH; AUTH with a wrong
/// HMAC; AUTH naming a key node 1 does not have; AUTH with an HMAC node 1
/// did not offer (answered with ERROR "Unsupported HMAC Identifier").
/// None of their DATA is delivered; the real messages then arrive.
#[test]
fn forged_and_mis_keyed_packets_are_discarded() {
    let mut net = pair_up(auth(&[CHUNK_DATA]), auth(&[CHUNK_DATA]), 5, 820);
    let tag = net.nodes[1].assoc().local_tag();
    let tsn = net.nodes[0].assoc().next_tsn();
    let src: SocketAddr = "10.0.0.1:9899".parse().unwrap();
    let dst: SocketAddr = "10.0.1.1:9899".parse().unwrap();
    let forge = |auth: Option<(u16, u16, usize)>| {
        let mut b = Vec::new();
        wire::write_header(&mut b, &CommonHeader { src_port: 4000, dst_port: 5000, vtag: tag });
        if let Some((key, hmac, len)) = auth {
            let mut v = key.to_be_bytes().to_vec();
            v.extend_from_slice(&hmac.to_be_bytes());
            v.extend(std::iter::repeat_n(0xa5, len));
            emit_raw(&mut b, CHUNK_AUTH, 0, &v);
        }
        DataChunk::emit(&mut b, 3, tsn, 0, 0, 0, b"forged");
        wire::finish_packet(&mut b);
        b
    };
    for a in [None, Some((0, 1, 20)), Some((7, 1, 20)), Some((0, 3, 32))] {
        net.inject(src, dst, forge(a));
    }
    net.run_until(Duration::from_millis(500), |_| false);
    assert!(net.nodes[1].msgs.is_empty(), "forged DATA delivered");
    assert_eq!(net.chunks_sent.get(&(1, CHUNK_ERROR)), Some(&1), "one Unsupported HMAC report");
    send_all(&mut net, 5, 0, 10, 100);
    assert!(net.run_until(Duration::from_secs(10), |n| n.nodes[1].msgs.len() >= 10));
    check_all(&net, 5, 10, 100);
}

/// Both ends add key 1; a third of the way through 600 messages the
/// sender makes it active, then the receiver does and deactivates key 0:
/// nothing is lost, the receiver reports the new key (NEW_KEY) and the
/// freed one (FREE_KEY).
#[test]
fn key_change_mid_transfer_loses_nothing() {
    for seed in [1u64, 2] {
        let req = [CHUNK_DATA, CHUNK_SACK];
        let mut net = pair_up(auth(&req), auth(&req), seed, 830);
        net.links[0].loss = 0.02;
        net.links[0].bandwidth = 2_000_000;
        for n in 0..2 {
            assert!(net.nodes[n].assoc().auth_set_key(1, bytes::Bytes::from_static(b"secret one")));
        }
        send_all(&mut net, seed, 0, 600, 1000);
        assert!(net.run_until(Duration::from_secs(60), |n| n.nodes[1].msgs.len() >= 200));
        assert!(net.nodes[0].assoc().auth_set_active(1));
        assert!(net.run_until(Duration::from_secs(60), |n| n.nodes[1].msgs.len() >= 400));
        let a = net.nodes[1].assoc();
        assert!(!a.auth_retire_key(0, false), "the active key cannot be retired");
        assert!(a.auth_set_active(1));
        assert!(a.auth_retire_key(0, false));
        assert!(net.run_until(Duration::from_secs(60), |n| n.nodes[1].msgs.len() >= 600));
        check_all(&net, seed, 600, 1000);
        let ev = &net.nodes[1].ext_events;
        assert!(ev.iter().any(|e| e.2 == ExtEvent::AuthKey { key: 1, free: false }), "seed {seed}");
        assert!(ev.iter().any(|e| e.2 == ExtEvent::AuthKey { key: 0, free: true }), "seed {seed}");
        // Node 0 still signs with key 1 only; node 1 no longer takes key 0.
        assert_eq!(net.nodes[0].assoc().auth_active_key(), Some(1));
    }
}

/// A listener that accepts COOKIE ECHO only authenticated: the client
/// learns that from the INIT ACK and sends AUTH + COOKIE ECHO, and the
/// association comes up.
#[test]
fn authenticated_cookie_echo() {
    let mut net = pair_up(auth(&[]), auth(&[wire::CHUNK_COOKIE_ECHO, CHUNK_DATA]), 9, 840);
    assert!(net.nodes[1].assoc().auth_enabled());
    assert!(net.chunks_sent.get(&(0, CHUNK_AUTH)).copied().unwrap_or(0) >= 1);
    send_all(&mut net, 9, 0, 5, 100);
    assert!(net.run_until(Duration::from_secs(10), |n| n.nodes[1].msgs.len() >= 5));
    check_all(&net, 9, 5, 100);
}
