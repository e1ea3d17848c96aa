//! Basic scenarios in the simulator: handshake, transfer, shutdown.
mod common;
use common::*;
use sctpudp::proto::assoc::{AssocEvent, AssocState};
use sctpudp::proto::Config;
use std::time::Duration;

fn pair(seed: u64) -> Net {
    let a = Node::new(seed, vec![ip("10.0.0.1")], 9899, Config::default());
    let mut b = Node::new(seed + 1, vec![ip("10.0.1.1")], 9899, Config::default());
    b.listen(5000);
    Net::new(seed, vec![a, b])
}

#[test]
fn handshake_transfer_shutdown() {
    let mut net = pair(1);
    net.connect(0, 1, 4000, 5000);
    assert!(net.run_until(Duration::from_secs(5), |n| n
        .nodes
        .iter()
        .all(|x| x.has_event(|e| matches!(e, AssocEvent::CommUp { .. })))));
    let msgs: Vec<_> = (0..50).map(|i| body(1, i, 1 + (i as usize * 977) % 5000)).collect();
    for (i, m) in msgs.iter().enumerate() {
        net.nodes[0].assoc().send(net.now, m.clone(), opts((i % 10) as u16, false, 7)).unwrap();
    }
    let ok = net.run_until(Duration::from_secs(10), |n| n.nodes[1].msgs.len() == 50);
    eprintln!("p={:?}", net.nodes[0].assoc().paths()[0]);
    eprintln!(
        "msgs={} now={:?} stats={:?} st={:?} {:?} ev1={:?}",
        net.nodes[1].msgs.len(),
        net.now,
        net.stats,
        net.nodes[0].assoc().state(),
        net.nodes[0].assoc().pending_chunks(),
        net.nodes[1].events
    );
    assert!(ok);
    for (i, m) in msgs.iter().enumerate() {
        let got = net.nodes[1].msgs.iter().filter(|x| x.1 == (i % 10) as u16).nth(i / 10).unwrap();
        assert_eq!(&got.4[..], &m[..]);
        assert_eq!(got.3, 7);
    }
    let now = net.now;
    net.nodes[0].assoc().shutdown(now);
    assert!(net.run_until(Duration::from_secs(20), |n| n
        .nodes
        .iter()
        .all(|x| x.has_event(|e| *e == AssocEvent::ShutdownComplete))));
    assert_eq!(net.nodes[0].assoc().state(), AssocState::Closed);
    assert!(net.nodes[1].has_event(|e| *e == AssocEvent::PeerShutdown));
}
