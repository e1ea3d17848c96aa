//! ASCONF (RFC 5061) in the simulator: a host renumbers a live
//! association (adds an address, makes it the peer's primary, deletes the
//! old one) while data flows over a lossy link; and the requests a peer
//! must refuse.
mod common;
use common::*;
use sctpudp::proto::assoc::{AsconfReq, PathEvent};
use sctpudp::proto::{AssocEvent, Config};
use std::time::Duration;

fn cfg() -> Config {
    Config { auth_supported: true, asconf_supported: true, ..Config::default() }
}

#[test]
fn negotiated_only_with_auth_on_both_sides() {
    for (a, b, on) in [
        (cfg(), cfg(), true),
        (Config { asconf_supported: false, ..cfg() }, cfg(), false),
        (cfg(), Config { auth_supported: false, ..cfg() }, false),
    ] {
        let mut net = pair_up(a, b, 1, 900);
        assert_eq!(net.nodes[0].assoc().asconf_enabled(), on);
        assert_eq!(net.nodes[1].assoc().asconf_enabled(), on);
        let ip = ip("10.0.0.2");
        let now = net.now;
        assert_eq!(net.nodes[0].assoc().asconf_request(now, AsconfReq::Add(ip)), on);
    }
}

/// Node 0 (10.0.0.1) gains 10.0.0.2 during a transfer, asks node 1 to
/// make it the primary, then deletes 10.0.0.1, which goes dark: all 600
/// messages arrive once and in order; node 1 reports the address added,
/// made primary and removed, and sends nothing to 10.0.0.1 afterwards.
#[test]
fn renumbering_during_a_transfer_loses_nothing() {
    for seed in [1u64, 2, 3] {
        let mut net = pair_up(cfg(), cfg(), seed, 910);
        net.links[0].loss = 0.02;
        net.links[1].loss = 0.02;
        net.links[0].bandwidth = 2_000_000;
        let (old, new) = (ip("10.0.0.1"), ip("10.0.0.2"));
        let now = net.now;
        for i in 0..600u64 {
            net.nodes[0].assoc().send(now, body(seed, i, 1000), opts(0, false, i as u32)).unwrap();
        }
        assert!(net.run_until(Duration::from_secs(60), |n| n.nodes[1].msgs.len() >= 100));
        net.nodes[0].addrs.push(new);
        let now = net.now;
        assert!(net.nodes[0].assoc().asconf_request(now, AsconfReq::Add(new)));
        assert!(net.run_until(Duration::from_secs(10), |n| n.nodes[0]
            .assoc()
            .local_addrs()
            .contains(&new)
            && n.nodes[1].assoc().paths().iter().any(|p| p.addr == new && p.confirmed)));
        let now = net.now;
        assert!(net.nodes[0].assoc().asconf_request(now, AsconfReq::SetPrimary(new)));
        assert!(net.run_until(Duration::from_secs(10), |n| n.nodes[1].assoc().primary_addr()
            == Some(new)));
        let now = net.now;
        assert!(net.nodes[0].assoc().asconf_request(now, AsconfReq::Delete(old)));
        assert!(!net.nodes[0].assoc().local_addrs().contains(&old), "F4: no longer a source");
        assert!(net.run_until(Duration::from_secs(10), |n| n.nodes[1].assoc().paths().len() == 1));
        assert_eq!(net.nodes[1].assoc().paths()[0].addr, new, "seed {seed}");
        net.dark.insert(old);
        let to_old = net.stats.by_dst.get(&old).copied().unwrap_or(0);
        assert!(
            net.run_until(Duration::from_secs(120), |n| n.nodes[1].msgs.len() >= 600),
            "seed {seed}: {} of 600",
            net.nodes[1].msgs.len()
        );
        assert_eq!(net.nodes[1].msgs.len(), 600, "seed {seed}: exactly once");
        for (i, m) in net.nodes[1].msgs.iter().enumerate() {
            assert_eq!(m.3, i as u32, "seed {seed}: order");
            assert_eq!(&m.4[..], &body(seed, i as u64, 1000)[..], "seed {seed}: intact");
        }
        // Delivered to the old address after the delete: nothing (the
        // count includes what was lost on the way).
        assert_eq!(net.stats.by_dst.get(&old).copied().unwrap_or(0), to_old, "seed {seed}");
        let ev: Vec<PathEvent> = net.nodes[1]
            .events
            .iter()
            .filter_map(|e| match &e.2 {
                AssocEvent::Path { event, .. } => Some(*event),
                _ => None,
            })
            .collect();
        for want in [PathEvent::Added, PathEvent::MadePrimary, PathEvent::Removed] {
            assert!(ev.contains(&want), "seed {seed}: {want:?} missing from {ev:?}");
        }
    }
}

/// The peer refuses to delete the only address it knows (F7) and the
/// packet's source (F8): the requester keeps them as its own.
#[test]
fn refused_deletes_leave_the_address() {
    let mut net = pair_up(cfg(), cfg(), 4, 920);
    let old = ip("10.0.0.1");
    let now = net.now;
    assert!(net.nodes[0].assoc().asconf_request(now, AsconfReq::Delete(old)));
    assert!(
        net.run_until(Duration::from_secs(5), |n| n.nodes[0].assoc().local_addrs().contains(&old))
    );
    assert_eq!(net.nodes[1].assoc().paths().len(), 1);
    // And the association still carries data.
    let now = net.now;
    net.nodes[0].assoc().send(now, body(4, 0, 100), opts(0, false, 0)).unwrap();
    assert!(net.run_until(Duration::from_secs(5), |n| n.nodes[1].msgs.len() == 1));
}
