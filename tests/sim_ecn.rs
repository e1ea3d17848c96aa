//! ECN (RFC 4960 appendix A, RFC 3168) in the simulator: negotiation, the
//! ECNE / CWR exchange, and the sender's reaction, with links that mark
//! ECT packets Congestion Experienced at random or, like an AQM, when
//! they queue too long.
mod common;
use common::*;
use sctpudp::proto::wire::{CHUNK_CWR, CHUNK_ECNE};
use sctpudp::proto::Config;
use std::time::Duration;

fn no_ecn() -> Config {
    Config { ecn_supported: false, ..Config::default() }
}

/// Sends `n` messages of `len` bytes from node 0 and runs until all have
/// arrived (bounded); checks each arrived once, intact and in order.
fn transfer(net: &mut Net, seed: u64, first: u64, n: u64, len: usize, limit: Duration) {
    let now = net.now;
    let had = net.nodes[1].msgs.len();
    for i in 0..n {
        net.nodes[0]
            .assoc()
            .send(now, body(seed, first + i, len), opts(0, false, (first + i) as u32))
            .unwrap();
    }
    let want = had + n as usize;
    assert!(
        net.run_until(limit, |net| net.nodes[1].msgs.len() >= want),
        "seed {seed}: {} of {n} messages arrived",
        net.nodes[1].msgs.len() - had
    );
    assert_eq!(net.nodes[1].msgs.len(), want, "seed {seed}: duplicates delivered");
    for (k, m) in net.nodes[1].msgs[had..].iter().enumerate() {
        let i = first + k as u64;
        assert_eq!(m.3, i as u32, "seed {seed}: order");
        assert_eq!(&m.4[..], &body(seed, i, len)[..], "seed {seed}: message {i} intact");
    }
}

/// ECN is in use only when both ends announce it; only then do packets
/// leave ECT, and only those with DATA.
#[test]
fn negotiated_only_when_both_offer_it() {
    for (a, b, on) in [
        (Config::default(), Config::default(), true),
        (no_ecn(), Config::default(), false),
        (Config::default(), no_ecn(), false),
    ] {
        let mut net = pair_up(a, b, 1, 700);
        assert_eq!(net.nodes[0].assoc().ecn_enabled(), on);
        assert_eq!(net.nodes[1].assoc().ecn_enabled(), on);
        assert_eq!(net.stats.ect, 0, "the handshake is not ECT");
        transfer(&mut net, 1, 0, 50, 1000, Duration::from_secs(10));
        let data_pkts = net.nodes[0].assoc().stats().opackets;
        if on {
            // Every packet with DATA is ECT, the SACKs coming back are not.
            assert!(net.stats.ect >= 25 && net.stats.ect <= data_pkts, "{:?}", net.stats);
        } else {
            assert_eq!(net.stats.ect, 0);
        }
    }
}

/// 5 % of ECT packets arrive CE on a lossless link: everything arrives
/// exactly once and nothing is retransmitted; the receiver echoes each
/// CE mark (ECNE), the sender halves its window (at most once a round
/// trip) and answers with CWR; once the marks stop the ECNEs stop.
#[test]
fn random_ce_marks_slow_the_sender_and_lose_nothing() {
    for seed in [1u64, 2, 3] {
        let mut net = pair_up(Config::default(), Config::default(), seed, 710);
        net.links[0].ce = 0.05;
        net.links[0].bandwidth = 20_000_000;
        transfer(&mut net, seed, 0, 2000, 1200, Duration::from_secs(60));
        let tx = net.nodes[0].assoc().stats();
        let rx = net.nodes[1].assoc().stats();
        assert!(net.stats.ce_marked >= 20, "seed {seed}: {:?}", net.stats);
        assert_eq!(rx.ce_packets, net.stats.ce_marked, "seed {seed}: every CE mark seen");
        assert_eq!(tx.rtxchunks, 0, "seed {seed}: a CE mark is not a loss");
        assert!(tx.ecn_reductions >= 3, "seed {seed}: {} reductions", tx.ecn_reductions);
        assert!(tx.ecn_reductions <= net.stats.ce_marked, "seed {seed}");
        let ecne = net.chunks_sent.get(&(1, CHUNK_ECNE)).copied().unwrap_or(0);
        let cwr = net.chunks_sent.get(&(0, CHUNK_CWR)).copied().unwrap_or(0);
        assert!(ecne >= tx.ecn_reductions, "seed {seed}: {ecne} ECNE");
        assert!(cwr >= 1 && cwr <= ecne, "seed {seed}: {cwr} CWR for {ecne} ECNE");
        // The marks stop: at most the ECNE already under way, and its
        // repetition until the CWR arrives, are sent afterwards.
        net.links[0].ce = 0.0;
        let before = net.chunks_sent.get(&(1, CHUNK_ECNE)).copied().unwrap_or(0);
        transfer(&mut net, seed, 2000, 500, 1200, Duration::from_secs(60));
        let after = net.chunks_sent.get(&(1, CHUNK_ECNE)).copied().unwrap_or(0);
        assert!(after - before <= 2, "seed {seed}: {} ECNE without CE", after - before);
    }
}

/// A 10 Mbit/s bottleneck with a 20 ms round trip that marks CE past
/// 20 ms of queue (fq_codel's `ce_threshold`, set to one round trip so
/// that a halved window still fills the link): with ECN the sender keeps
/// the queue near that; without it, nothing stops the window growing to
/// the receiver's, and the queue with it. The same bytes take no longer
/// with ECN.
#[test]
fn aqm_marks_keep_the_queue_short() {
    for seed in [1u64, 2, 3] {
        let run = |cfg: Config| {
            let mut net = pair_up(cfg.clone(), cfg, seed, 720);
            net.links[0].bandwidth = 1_250_000;
            net.links[0].ce_queue = Duration::from_millis(20);
            let t0 = net.now;
            transfer(&mut net, seed, 0, 2000, 1000, Duration::from_secs(60));
            let took = net.now.saturating_since(t0);
            let rtx = net.nodes[0].assoc().stats().rtxchunks;
            (net.stats.max_queue, took, rtx, net.stats.ce_marked)
        };
        let (q_ecn, t_ecn, rtx_ecn, marks) = run(Config::default());
        let (q_plain, t_plain, _, _) = run(no_ecn());
        eprintln!(
            "seed {seed}: ECN max queue {q_ecn:?} in {t_ecn:?} ({marks} marks); \
             without {q_plain:?} in {t_plain:?}"
        );
        assert!(marks > 0, "seed {seed}");
        assert_eq!(rtx_ecn, 0, "seed {seed}");
        assert!(q_ecn * 3 < q_plain, "seed {seed}: queue {q_ecn:?} with ECN, {q_plain:?} without");
        assert!(t_ecn.as_secs_f64() <= t_plain.as_secs_f64() * 1.1, "seed {seed}");
    }
}
