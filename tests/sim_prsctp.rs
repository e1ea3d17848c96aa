//! PR-SCTP (RFC 3758, RFC 7496) in the simulator: lifetimes, the
//! retransmission limit, priorities, FORWARD TSN and its absence when
//! either side does not offer PR-SCTP.
//!
//! Messages carry their index in the PPID, so the receiver's record says
//! which message arrived.
mod common;
use common::*;
use sctpudp::proto::assoc::{AssocEvent, ExtEvent, PrPolicy};
use sctpudp::proto::wire::CHUNK_FORWARD_TSN;
use sctpudp::proto::Config;
use std::collections::BTreeMap;
use std::time::Duration;

fn up(cfg_a: Config, cfg_b: Config, seed: u64) -> Net {
    pair_up(cfg_a, cfg_b, seed, 100)
}

/// (sent, ppid, data) of every SendFailed of node 0.
fn failures(net: &Net) -> Vec<(bool, u32, Vec<u8>)> {
    net.nodes[0]
        .events
        .iter()
        .filter_map(|(_, _, e)| match e {
            AssocEvent::SendFailed { sent, ppid, data, .. } => Some((*sent, *ppid, data.to_vec())),
            _ => None,
        })
        .collect()
}

fn fwd_tsns(net: &Net) -> u64 {
    net.chunks_sent.get(&(0, CHUNK_FORWARD_TSN)).copied().unwrap_or(0)
}

/// Every message is accounted for: delivered intact (exactly once), or
/// reported failed once; a message delivered and also failed was sent.
/// Ordered messages arrive in order per stream; `reliable` ones always.
fn check_accounting(
    net: &Net,
    bodies: &BTreeMap<u32, (u16, bool, bytes::Bytes, bool)>,
    tag: &str,
) -> (usize, usize) {
    let fails = failures(net);
    let mut failed: BTreeMap<u32, bool> = BTreeMap::new();
    for (sent, ppid, data) in &fails {
        assert!(failed.insert(*ppid, *sent).is_none(), "{tag}: two SendFailed for message {ppid}");
        let (_, _, body, _) = &bodies[ppid];
        assert!(!data.is_empty() && data.len() <= body.len(), "{tag}: failed data size");
        assert_eq!(&body[body.len() - data.len()..], &data[..], "{tag}: failed data is the tail");
    }
    let mut got: BTreeMap<u32, ()> = BTreeMap::new();
    let mut last: BTreeMap<u16, u32> = BTreeMap::new();
    for (_, sid, unord, ppid, data) in &net.nodes[1].msgs {
        let (s, u, body, _) = bodies.get(ppid).unwrap_or_else(|| panic!("{tag}: unknown {ppid}"));
        assert_eq!((*sid, *unord), (*s, *u), "{tag}: message {ppid} metadata");
        assert_eq!(&data[..], &body[..], "{tag}: message {ppid} delivered damaged");
        assert!(got.insert(*ppid, ()).is_none(), "{tag}: message {ppid} delivered twice");
        if !unord {
            if let Some(prev) = last.insert(*sid, *ppid) {
                assert!(prev < *ppid, "{tag}: stream {sid} out of order ({prev} then {ppid})");
            }
        }
        if let Some(sent) = failed.get(ppid) {
            assert!(*sent, "{tag}: message {ppid} delivered but reported unsent");
        }
    }
    for (ppid, (_, _, _, reliable)) in bodies {
        if std::env::var("PR_DEBUG").is_ok()
            && !got.contains_key(ppid)
            && !failed.contains_key(ppid)
        {
            let rx = net.nodes[1].assocs.values().next().unwrap();
            eprintln!(
                "{tag}: {ppid} missing; rx rwnd {} readable {} pd {} msgs {:?} fails {:?}",
                rx.local_rwnd(),
                rx.readable_bytes(),
                rx.in_partial_delivery(),
                net.nodes[1].msgs.iter().map(|m| (m.1, m.2, m.3)).collect::<Vec<_>>(),
                fails.iter().map(|f| (f.0, f.1)).collect::<Vec<_>>()
            );
        }
        if *reliable {
            assert!(got.contains_key(ppid), "{tag}: reliable message {ppid} lost");
            assert!(!failed.contains_key(ppid), "{tag}: reliable message {ppid} failed");
        } else {
            assert!(
                got.contains_key(ppid) || failed.contains_key(ppid),
                "{tag}: message {ppid} neither delivered nor failed"
            );
        }
    }
    (got.len(), failed.len())
}

#[test]
fn negotiation() {
    let mut n = up(Config::default(), Config::default(), 1);
    let mut net2 = up(Config::default(), Config { pr_supported: false, ..Config::default() }, 2);
    let mut net3 = up(Config { pr_supported: false, ..Config::default() }, Config::default(), 3);
    assert!(n.nodes[0].assoc().pr_enabled() && n.nodes[1].assoc().pr_enabled());
    assert!(!net2.nodes[0].assoc().pr_enabled() && !net2.nodes[1].assoc().pr_enabled());
    assert!(!net3.nodes[0].assoc().pr_enabled() && !net3.nodes[1].assoc().pr_enabled());
}

/// RFC 3758 TR3: messages that never got a TSN before their lifetime
/// ended are dropped, and reported unsent, while the peer's window is shut.
#[test]
fn ttl_expires_unsent_messages_behind_a_closed_window() {
    let cfg_b = Config { rcvbuf: 8000, ..Config::default() };
    let mut net = up(Config::default(), cfg_b, 4);
    net.nodes[1].reading = false;
    let mut bodies = BTreeMap::new();
    for i in 0..20u32 {
        let b = body(4, u64::from(i), 1000 + i as usize);
        bodies.insert(i, (0u16, false, b.clone(), false));
        let now = net.now;
        net.nodes[0]
            .assoc()
            .send_with(now, b, opts(0, false, i), PrPolicy::Ttl(Duration::from_secs(2)))
            .unwrap();
    }
    net.run_until(Duration::from_secs(5), |_| false);
    let fails = failures(&net);
    let unsent = fails.iter().filter(|f| !f.0).count() as u64;
    assert!(unsent >= 8, "most messages could not be sent: {fails:?}");
    let st = net.nodes[0].assoc().pr_stats();
    assert_eq!(st.abandoned_unsent[0], unsent);
    assert_eq!(st.of(PrPolicy::Ttl(Duration::ZERO)), (unsent, fails.len() as u64 - unsent));
    assert_eq!(net.nodes[0].assoc().stream_pr_stats(0), Some(st));
    assert_eq!(net.nodes[0].assoc().stream_pr_stats(1).unwrap().total(), (0, 0));
    assert_eq!(net.nodes[0].assoc().stream_pr_stats(10), None);
    assert_eq!(net.nodes[0].assoc().pending_chunks(), 0);
    // The receiver reads again: what was accepted arrives, in order.
    net.nodes[1].reading = true;
    net.run_until(Duration::from_secs(10), |n| n.nodes[0].assoc().outqueue_empty());
    net.run_until(Duration::from_secs(2), |_| false);
    let (got, failed) = check_accounting(&net, &bodies, "closed window");
    assert_eq!(got + failed, 20);
    assert!(got >= 5, "the window's worth arrived: {got}");
    assert_eq!(net.nodes[0].assoc().buffered_amount(), 0);
}

fn lossy_ttl_run(seed: u64, ttl_ms: u64) -> Net {
    let mut net = up(Config::default(), Config::default(), seed);
    net.links[0].loss = 0.25;
    net.links[1].loss = 0.1;
    let mut bodies = BTreeMap::new();
    for i in 0..150u32 {
        let len = 200 + (i as usize * 331) % 3000;
        let b = body(seed, u64::from(i), len);
        bodies.insert(i, (0u16, false, b.clone(), false));
        let now = net.now;
        net.nodes[0]
            .assoc()
            .send_with(now, b, opts(0, false, i), PrPolicy::Ttl(Duration::from_millis(ttl_ms)))
            .unwrap();
        net.run_until(Duration::from_millis(20), |_| false);
    }
    let done = net.run_until(Duration::from_secs(60), |n| n.nodes[0].assoc().outqueue_empty());
    assert!(done, "seed {seed}: sender never drained");
    net.links[0].loss = 0.0;
    net.links[1].loss = 0.0;
    net.run_until(Duration::from_secs(3), |_| false);
    check_accounting(&net, &bodies, &format!("ttl seed {seed}"));
    net
}

/// Lifetimes running out in flight under loss: the messages are
/// abandoned, FORWARD TSN moves the receiver past them, and the ordered
/// stream keeps being delivered after each gap.
#[test]
fn ttl_in_flight_forward_tsn_keeps_the_stream_flowing() {
    let net = lossy_ttl_run(5, 150);
    let st = net.nodes[0].assocs.values().next().unwrap().pr_stats();
    assert!(st.abandoned_sent[0] > 0, "{st:?}");
    assert!(fwd_tsns(&net) > 0, "no FORWARD TSN was sent");
    let delivered: Vec<u32> = net.nodes[1].msgs.iter().map(|m| m.3).collect();
    let failed: Vec<u32> = failures(&net).iter().map(|f| f.1).collect();
    let first_failed = *failed.iter().min().unwrap();
    assert!(
        delivered.iter().any(|p| *p > first_failed),
        "nothing was delivered after the first abandoned message {first_failed}"
    );
    let rx = net.nodes[1].assocs.values().next().unwrap();
    assert_eq!(
        rx.rx_cum_tsn().wrapping_add(1),
        net.nodes[0].assocs.values().next().unwrap().next_tsn()
    );
    assert_eq!(rx.local_rwnd(), Config::default().rcvbuf, "receive buffer leaked");
}

/// RTX policy: with a limit of 0 a lost chunk is never sent again; with 2,
/// never more than twice again.
#[test]
fn rtx_limit() {
    for (limit, seed) in [(0u32, 6u64), (2, 7)] {
        let mut net = up(Config::default(), Config::default(), seed);
        net.links[0].loss = 0.2;
        let mut bodies = BTreeMap::new();
        let mut chunks = 0u64;
        let frag = net.nodes[0].assoc().frag_point() as usize;
        for i in 0..100u32 {
            let len = 100 + (i as usize * 577) % 4000;
            chunks += len.div_ceil(frag) as u64;
            let b = body(seed, u64::from(i), len);
            bodies.insert(i, (1u16, i % 2 == 0, b.clone(), false));
            let now = net.now;
            net.nodes[0]
                .assoc()
                .send_with(now, b, opts(1, i % 2 == 0, i), PrPolicy::Rtx(limit))
                .unwrap();
            net.run_until(Duration::from_millis(10), |_| false);
        }
        assert!(net.run_until(Duration::from_secs(60), |n| n.nodes[0].assoc().outqueue_empty()));
        net.links[0].loss = 0.0;
        net.run_until(Duration::from_secs(3), |_| false);
        check_accounting(&net, &bodies, &format!("rtx {limit}"));
        let a = net.nodes[0].assoc();
        let (st, stats) = (a.pr_stats(), a.stats());
        assert!(st.abandoned_sent[1] > 0, "limit {limit}: nothing abandoned: {st:?}");
        assert_eq!(st.abandoned_unsent[1], 0);
        assert!(stats.rtxchunks <= u64::from(limit) * chunks, "limit {limit}: {stats:?}");
        if limit == 0 {
            assert_eq!(stats.rtxchunks, 0);
        }
        assert!(fwd_tsns(&net) > 0);
    }
}

/// Without PR-SCTP on the peer, no FORWARD TSN is ever sent: messages
/// in flight stay reliable, only never-sent ones may expire.
#[test]
fn no_forward_tsn_without_negotiation() {
    let cfg_b = Config { pr_supported: false, rcvbuf: 16000, ..Config::default() };
    let mut net = up(Config::default(), cfg_b, 8);
    net.links[0].loss = 0.2;
    let mut bodies = BTreeMap::new();
    for i in 0..60u32 {
        let b = body(8, u64::from(i), 500 + (i as usize * 97) % 2500);
        bodies.insert(i, (0u16, false, b.clone(), false));
        let now = net.now;
        net.nodes[0]
            .assoc()
            .send_with(now, b, opts(0, false, i), PrPolicy::Ttl(Duration::from_millis(100)))
            .unwrap();
    }
    for i in 60..80u32 {
        let b = body(8, u64::from(i), 700);
        bodies.insert(i, (0u16, false, b.clone(), false));
        let now = net.now;
        net.nodes[0].assoc().send_with(now, b, opts(0, false, i), PrPolicy::Rtx(0)).unwrap();
    }
    assert!(net.run_until(Duration::from_secs(60), |n| n.nodes[0].assoc().outqueue_empty()));
    net.links[0].loss = 0.0;
    net.run_until(Duration::from_secs(3), |_| false);
    check_accounting(&net, &bodies, "no pr");
    assert_eq!(fwd_tsns(&net), 0);
    let fails = failures(&net);
    assert!(!fails.is_empty(), "the window held back messages that expired");
    assert!(fails.iter().all(|f| !f.0), "a sent message was abandoned without PR-SCTP");
    assert!(fails.iter().all(|f| f.1 < 60), "RTX policy acted without PR-SCTP");
    assert_eq!(net.nodes[1].msgs.len() + fails.len(), 80);
}

/// A message of many fragments is abandoned whole and reported once,
/// in flight or unsent, with all of its data.
#[test]
fn one_send_failed_per_fragmented_message() {
    let mut net = up(Config::default(), Config::default(), 9);
    net.links[0].loss = 1.0;
    let big = body(9, 0, 12_000);
    let now = net.now;
    net.nodes[0]
        .assoc()
        .send_with(now, big.clone(), opts(2, false, 0), PrPolicy::Ttl(Duration::from_millis(500)))
        .unwrap();
    // A second one that cannot be sent before it expires (cwnd is full).
    let big2 = body(9, 1, 30_000);
    net.nodes[0]
        .assoc()
        .send_with(now, big2.clone(), opts(2, false, 1), PrPolicy::Ttl(Duration::from_millis(500)))
        .unwrap();
    net.run_until(Duration::from_millis(800), |_| false);
    let fails = failures(&net);
    assert_eq!(fails.len(), 2, "{:?}", fails.iter().map(|f| (f.0, f.1)).collect::<Vec<_>>());
    assert_eq!((fails[0].0, fails[0].1, &fails[0].2[..]), (true, 0, &big[..]));
    assert_eq!(fails[1].1, 1);
    assert_eq!(&fails[1].2[..], &big2[..]);
    let st = net.nodes[0].assoc().stream_pr_stats(2).unwrap();
    assert_eq!(st.total(), (u64::from(!fails[1].0), 1 + u64::from(fails[1].0)));
    net.links[0].loss = 0.0;
    let small = body(9, 2, 10);
    let now = net.now;
    net.nodes[0].assoc().send(now, small.clone(), opts(2, false, 2)).unwrap();
    let ok = net.run_until(Duration::from_secs(30), |n| !n.nodes[1].msgs.is_empty());
    let (ua, pc, nt) = {
        let a = net.nodes[0].assoc();
        (a.unacked_chunks(), a.pending_chunks(), a.next_tsn())
    };
    assert!(
        ok,
        "unacked {ua} pending {pc} next {nt} peer cum {} chunks {:?} ev {:?}",
        net.nodes[1].assoc().rx_cum_tsn(),
        net.chunks_sent,
        net.nodes[1].events
    );
    assert_eq!(net.nodes[1].msgs.len(), 1);
    assert_eq!(&net.nodes[1].msgs[0].4[..], &small[..]);
}

/// PRIO: room is made by abandoning messages of lower priority only.
#[test]
fn prio_makes_room_from_lower_priorities() {
    let cfg_b = Config { rcvbuf: 4000, ..Config::default() };
    let mut net = up(Config::default(), cfg_b, 10);
    net.nodes[1].reading = false;
    let now = net.now;
    for (i, prio) in [(0u32, 1u32), (1, 5), (2, 3), (3, 9), (4, 5)] {
        net.nodes[0]
            .assoc()
            .send_with(now, body(10, u64::from(i), 3000), opts(0, false, i), PrPolicy::Prio(prio))
            .unwrap();
    }
    net.run_until(Duration::from_millis(300), |_| false);
    let a = net.nodes[0].assoc();
    let before = a.buffered_amount();
    assert_eq!(a.abandon_lower_priority(now, 9, 1), 0, "nothing is below priority 9");
    let freed = a.abandon_lower_priority(now, 4, 4000);
    assert_eq!(freed, 6000, "the two unsent messages of priority 9 and 5");
    assert_eq!(a.buffered_amount(), before - freed);
    assert_eq!(a.pr_stats().abandoned_unsent[2], 2);
    net.run_until(Duration::ZERO, |_| false);
    let fails: Vec<u32> = failures(&net).iter().map(|f| f.1).collect();
    assert_eq!(fails, vec![3, 4], "newest and lowest first");
}

/// Many seeds with loss, duplication and reordering, mixed policies,
/// streams, (un)ordered messages and small receive buffers (partial
/// delivery cut by FORWARD TSN): nothing stalls, nothing is delivered
/// damaged or incomplete, reliable messages always arrive, the receive
/// buffer is whole again at the end.
#[test]
fn seeded_loss_never_stalls() {
    let seeds: u64 =
        std::env::var("SCTPUDP_SIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(40);
    let mut aborted_pd = 0;
    let mut abandoned = 0;
    let only: Option<u64> = std::env::var("PR_SEED").ok().and_then(|s| s.parse().ok());
    for seed in 100..100 + seeds {
        if only.is_some_and(|o| o != seed) {
            continue;
        }
        let mut rng = Rng::new(seed);
        let rcvbuf = if rng.chance(0.5) { 6000 + rng.below(20_000) as u32 } else { 212_992 };
        let cfg_b = Config { rcvbuf, ..Config::default() };
        let mut net = up(Config::default(), cfg_b.clone(), seed);
        for l in &mut net.links {
            l.loss = rng.unit() * 0.2;
            l.dup = rng.unit() * 0.05;
            l.reorder = rng.unit() * 0.1;
        }
        let mut bodies = BTreeMap::new();
        for i in 0..120u32 {
            let max = if rng.chance(0.2) { 20_000 } else { 1500 };
            let len = 1 + rng.below(max) as usize;
            let sid = rng.below(3) as u16;
            let unord = rng.chance(0.2);
            let pr = match rng.below(4) {
                0 => PrPolicy::None,
                1 => PrPolicy::Ttl(Duration::from_millis(50 + rng.below(400))),
                2 => PrPolicy::Rtx(rng.below(3) as u32),
                _ => PrPolicy::Ttl(Duration::from_millis(1 + rng.below(100))),
            };
            let b = body(seed, u64::from(i), len);
            bodies.insert(i, (sid, unord, b.clone(), pr == PrPolicy::None));
            let now = net.now;
            net.nodes[0].assoc().send_with(now, b, opts(sid, unord, i), pr).unwrap();
            if rng.chance(0.3) {
                let d = Duration::from_millis(rng.below(60));
                net.run_until(d, |_| false);
            }
        }
        let ok = net.run_until(Duration::from_secs(300), |n| {
            n.nodes[0].assoc().outqueue_empty()
                && n.nodes[1].msgs.len() + failures(n).len() >= bodies.len()
        });
        if !ok && std::env::var("PR_DEBUG").is_ok() {
            let rx = net.nodes[1].assoc();
            eprintln!(
                "rx cum {} rwnd {} readable {} rcvbuf {rcvbuf} ext {:?}",
                rx.rx_cum_tsn(),
                rx.local_rwnd(),
                rx.readable_bytes(),
                net.nodes[1].ext_events
            );
            eprintln!("{}", net.nodes[1].assoc().debug_rx());
            let tx = net.nodes[0].assoc();
            eprintln!("tx {:?} peer_rwnd {} next {}", tx.stats(), tx.peer_rwnd(), tx.next_tsn());
        }
        assert!(
            ok,
            "seed {seed}: stalled: delivered {} failed {} unacked {} pending {} pd {}",
            net.nodes[1].msgs.len(),
            failures(&net).len(),
            net.nodes[0].assoc().unacked_chunks(),
            net.nodes[0].assoc().pending_chunks(),
            net.nodes[1].assoc().in_partial_delivery(),
        );
        for l in &mut net.links {
            l.loss = 0.0;
            l.dup = 0.0;
            l.reorder = 0.0;
        }
        net.run_until(Duration::from_secs(5), |_| false);
        check_accounting(&net, &bodies, &format!("seed {seed}"));
        let rx = net.nodes[1].assoc();
        assert!(!rx.in_partial_delivery(), "seed {seed}: partial delivery left open");
        assert_eq!(rx.local_rwnd(), rcvbuf, "seed {seed}: receive buffer leaked");
        aborted_pd += net.nodes[1]
            .ext_events
            .iter()
            .filter(|e| matches!(e.2, ExtEvent::PartialDeliveryAborted { .. }))
            .count();
        abandoned += failures(&net).len();
    }
    assert!(abandoned > 0);
    eprintln!("abandoned {abandoned}, partial deliveries aborted {aborted_pd}");
}
