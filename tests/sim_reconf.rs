//! Stream reconfiguration (RFC 6525) in the simulator: negotiation,
//! outgoing and incoming SSN resets, SSN/TSN reset, adding streams,
//! denial, retransmission of a lost request, malformed RE-CONFIG chunks.
mod common;
use common::*;
use sctpudp::proto::assoc::AssocEvent;
use sctpudp::proto::Config;
use std::time::Duration;

fn rc(enable: u8) -> Config {
    Config { reconf_supported: true, enable_stream_reset: enable, ..Config::default() }
}

fn up(cfg_a: Config, cfg_b: Config, seed: u64) -> Net {
    let a = Node::new(seed * 2 + 901, vec![ip("10.0.0.1")], 9899, cfg_a);
    let mut b = Node::new(seed * 2 + 902, vec![ip("10.0.1.1")], 9899, cfg_b);
    b.listen(5000);
    let mut net = Net::new(seed, vec![a, b]);
    net.count_chunks = true;
    net.connect(0, 1, 4000, 5000);
    assert!(net.run_until(Duration::from_secs(10), |n| n.nodes[1].assocs.len() == 1
        && n.nodes.iter().all(|x| x.has_event(|e| matches!(e, AssocEvent::CommUp { .. })))));
    net
}

/// RFC 6525 5.1.1: RE-CONFIG is used only when both sides list it in
/// Supported Extensions.
#[test]
fn negotiation() {
    let mut n = up(rc(0), rc(0), 1);
    assert!(n.nodes[0].assoc().reconf_enabled() && n.nodes[1].assoc().reconf_enabled());
    let mut n = up(rc(0), Config::default(), 2);
    assert!(!n.nodes[0].assoc().reconf_enabled() && !n.nodes[1].assoc().reconf_enabled());
    let mut n = up(Config::default(), rc(0), 3);
    assert!(!n.nodes[0].assoc().reconf_enabled() && !n.nodes[1].assoc().reconf_enabled());
    // With I-DATA as well: both extensions in one parameter.
    let both = Config { intl_supported: true, ..rc(0) };
    let mut n = up(both.clone(), both, 4);
    assert!(n.nodes[0].assoc().reconf_enabled() && n.nodes[1].assoc().intl_enabled());
}
