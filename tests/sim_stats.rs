//! Per-association counters (Linux `SCTP_GET_ASSOC_STATS` semantics)
//! checked against what the simulated network saw in a lossy transfer.
mod common;
use common::*;
use sctpudp::proto::Config;
use std::time::Duration;

#[test]
fn counters_agree_with_the_network() {
    for seed in 1..=4u64 {
        let a = Node::new(seed * 7, vec![ip("10.0.0.1")], 9899, Config::default());
        let mut b = Node::new(seed * 7 + 1, vec![ip("10.0.1.1")], 9899, Config::default());
        b.listen(5000);
        let mut net = Net::new(seed, vec![a, b]);
        net.connect(0, 1, 4000, 5000);
        assert!(net.run_until(Duration::from_secs(10), |n| n.nodes[1].assocs.len() == 1
            && n.nodes
                .iter()
                .all(|x| x.has_event(|e| matches!(e, sctpudp::proto::AssocEvent::CommUp { .. })))));
        net.links[0].loss = 0.08;
        net.links[1].loss = 0.05;
        let frag = net.nodes[0].assoc().frag_point() as usize;
        let (mut ordered, mut unordered) = (0u64, 0u64);
        let n: usize = 120;
        for i in 0..n {
            let len = 1 + (i * 1777) % 6000;
            let unord = i % 3 == 0;
            let chunks = len.div_ceil(frag) as u64;
            if unord {
                unordered += chunks;
            } else {
                ordered += chunks;
            }
            let now = net.now;
            net.nodes[0]
                .assoc()
                .send(now, body(seed, i as u64, len), opts((i % 4) as u16, unord, 1))
                .unwrap();
        }
        assert!(
            net.run_until(Duration::from_secs(120), |x| x.nodes[1].msgs.len() == n
                && x.nodes[0].assocs.values().all(|a| a.outqueue_empty())),
            "seed {seed}: transfer did not finish"
        );
        // Let the last SACKs and heartbeats settle, without loss.
        net.links[0].loss = 0.0;
        net.links[1].loss = 0.0;
        net.run_until(Duration::from_secs(1), |_| false);
        assert_eq!(net.nodes[1].msgs.len(), n);
        let sa = net.nodes[0].assoc().stats();
        let sb = net.nodes[1].assoc().stats();
        // Packets: exactly what the simulator moved for each association.
        assert_eq!(sa.opackets, net.nodes[0].assoc_tx, "seed {seed}");
        assert_eq!(sb.opackets, net.nodes[1].assoc_tx, "seed {seed}");
        assert_eq!(sa.ipackets, net.nodes[0].assoc_rx, "seed {seed}");
        assert_eq!(sb.ipackets, net.nodes[1].assoc_rx, "seed {seed}");
        // First transmissions are the chunks the messages were cut into;
        // each reached the receiver exactly once as new data.
        assert_eq!((sa.oodchunks, sa.ouodchunks), (ordered, unordered), "seed {seed}");
        assert_eq!((sb.iodchunks, sb.iuodchunks), (ordered, unordered), "seed {seed}");
        assert_eq!(sb.oodchunks + sb.ouodchunks, 0);
        // Loss shows up as retransmissions, gaps and duplicates.
        assert!(sa.rtxchunks > 0, "seed {seed}: {sa:?}");
        assert!(sa.gapcnt > 0 && sb.outofseqtsns > 0, "seed {seed}: {sa:?} {sb:?}");
        assert!(sb.idupchunks <= sa.rtxchunks, "seed {seed}: dups without retransmissions");
        // SACKs: some were lost, none invented.
        assert!(sa.isacks > 0 && sa.isacks <= sb.osacks, "seed {seed}: {sa:?} {sb:?}");
        assert!(sb.octrlchunks >= sb.osacks && sa.ictrlchunks >= sa.isacks);
        assert!(sa.maxrto >= 1000 && sa.maxrto_addr == Some(ip("10.0.1.1")), "{sa:?}");
        let taken = net.nodes[0].assoc().take_stats();
        assert_eq!(taken.rtxchunks, sa.rtxchunks);
        assert_eq!(net.nodes[0].assoc().stats().maxrto, 0, "maxrto restarts after a read");
    }
}
