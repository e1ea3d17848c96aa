//! Path MTU changes in the simulator: a link whose MTU drops from 1500 to
//! 1280 mid-transfer answers larger packets with "fragmentation needed"
//! (RFC 1191 / draft-ietf-sigtran-sctptunnel 5.1.2), which the sender
//! takes as the stack takes it from its UDP socket's error queue.
mod common;
use common::*;
use sctpudp::proto::Config;
use std::time::Duration;

/// 300 messages of 8,000 bytes; after a third has arrived the link's MTU
/// drops to 1280 both ways. Everything arrives, intact and in order; the
/// sender's path MTU becomes 1280 less the IPv4 and UDP headers; after
/// the first report the only packets over 1280 bytes are single DATA
/// chunks cut for the old MTU, resent at once (they pass fragmented),
/// none later than one RTO after the report, and nothing afterwards.
#[test]
fn pmtu_drop_mid_transfer_loses_nothing() {
    for seed in [1u64, 2, 3] {
        let mut net = pair_up(Config::default(), Config::default(), seed, 300);
        net.links[0].bandwidth = 5_000_000;
        let now = net.now;
        let bodies: Vec<_> = (0..300u32).map(|i| body(seed, u64::from(i), 8000)).collect();
        for (i, b) in bodies.iter().enumerate() {
            net.nodes[0].assoc().send(now, b.clone(), opts(0, false, i as u32)).unwrap();
        }
        assert!(net.run_until(Duration::from_secs(30), |n| n.nodes[1].msgs.len() >= 100));
        assert_eq!(net.nodes[0].assoc().paths()[0].mtu, 1500 - 28);
        net.links[0].mtu = 1280;
        net.links[1].mtu = 1280;
        net.reset_max_sent();
        let mut t = 0;
        while net.nodes[1].msgs.len() < 300 {
            net.run_until(Duration::from_millis(5), |_| false);
            net.report_mtu();
            t += 5;
            assert!(t < 60_000, "seed {seed}: transfer stuck at {}", net.nodes[1].msgs.len());
        }
        for (i, m) in net.nodes[1].msgs.iter().enumerate() {
            assert_eq!(m.3, i as u32, "seed {seed}: in order");
            assert_eq!(&m.4[..], &bodies[i][..], "seed {seed}: intact");
        }
        assert_eq!(net.nodes[0].assoc().paths()[0].mtu, 1280 - 28, "seed {seed}");
        assert_eq!(net.oversize_bundles, 0, "seed {seed}: an oversize packet held several chunks");
        let report = net.first_report.expect("a report");
        if let Some(last) = net.last_fragmented {
            assert!(
                last.saturating_since(report) <= Duration::from_secs(1),
                "seed {seed}: oversize packets {:?} after the report",
                last.saturating_since(report)
            );
        }
        // And from then on every packet fits.
        net.reset_max_sent();
        let now = net.now;
        for i in 0..50u32 {
            net.nodes[0]
                .assoc()
                .send(now, body(seed, 1000 + u64::from(i), 8000), opts(0, false, i))
                .unwrap();
        }
        assert!(net.run_until(Duration::from_secs(30), |n| n.nodes[1].msgs.len() == 350));
        assert!(net.max_sent[0] <= 1280, "seed {seed}: a {} byte packet", net.max_sent[0]);
    }
}

/// With PMTU discovery off for the association (`SPP_PMTUD_DISABLE` and a
/// fixed path MTU), a report changes nothing; turned back on, it does.
#[test]
fn pmtud_disabled_ignores_reports() {
    let mut net = pair_up(Config::default(), Config::default(), 7, 300);
    let a = net.nodes[0].assoc();
    let peer = a.paths()[0].addr;
    assert!(a.set_path_pmtu(None, 1400));
    assert!(!a.pmtu_report(peer, 1280));
    assert_eq!(a.paths()[0].mtu, 1400 - 28);
    a.set_pmtud(None, true);
    assert!(a.pmtu_report(peer, 1280));
    assert_eq!(a.paths()[0].mtu, 1280 - 28);
    // Never up again by a report.
    assert!(!a.pmtu_report(peer, 1400));
}
