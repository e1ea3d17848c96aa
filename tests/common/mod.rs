//! A deterministic network simulator for sctpudp's sans-IO core: nodes
//! (an Endpoint and its Associations) exchange UDP datagrams over links
//! with seeded loss, duplication, reordering, corruption, delay, a
//! bandwidth limit, dark addresses and NAT rebinding, in virtual time.
#![allow(dead_code)]

use bytes::Bytes;
use sctpudp::proto::assoc::{AssocEvent, AssocId, Association, ExtEvent, RecvData, SendOptions};
use sctpudp::proto::endpoint::{DatagramEvent, Endpoint};
use sctpudp::proto::{Config, EndpointConfig, Instant};
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// xorshift64*: small, fast, seeded.
#[derive(Clone, Debug)]
pub struct Rng(u64);
impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p && p > 0.0
    }
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Fault and shape parameters of one direction of the network.
#[derive(Clone, Debug)]
pub struct LinkCfg {
    pub loss: f64,
    pub dup: f64,
    pub reorder: f64,
    pub corrupt: f64,
    pub delay: Duration,
    /// Extra delay given to a reordered packet, at most.
    pub reorder_extra: Duration,
    /// Bytes per second; 0 is unlimited.
    pub bandwidth: u64,
    /// IP MTU (SCTP packet + 28 bytes of IPv4 and UDP headers); 0 is
    /// unlimited. A larger packet is dropped and reported in
    /// [`Net::too_big`] (an ICMP "fragmentation needed"), unless its
    /// sender was told this MTU already: then "the kernel fragments it"
    /// and it passes.
    pub mtu: usize,
    /// ECN: the chance that an ECT packet is marked Congestion
    /// Experienced on its way.
    pub ce: f64,
    /// ECN: an ECT packet that waits longer than this in the sender's link
    /// queue (behind `bandwidth`) is marked CE, as fq_codel's
    /// `ce_threshold` does; zero is off.
    pub ce_queue: Duration,
}

impl Default for LinkCfg {
    fn default() -> Self {
        LinkCfg {
            loss: 0.0,
            dup: 0.0,
            reorder: 0.0,
            corrupt: 0.0,
            delay: Duration::from_millis(10),
            reorder_extra: Duration::from_millis(30),
            bandwidth: 0,
            mtu: 0,
            ce: 0.0,
            ce_queue: Duration::ZERO,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
struct InFlight {
    at: Instant,
    seq: u64,
    src: SocketAddr,
    dst: SocketAddr,
    data: Vec<u8>,
    /// Arrives marked Congestion Experienced.
    ce: bool,
}
impl Ord for InFlight {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (o.at, o.seq).cmp(&(self.at, self.seq))
    }
}
impl PartialOrd for InFlight {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

/// One simulated host.
pub struct Node {
    pub ep: Endpoint,
    pub assocs: BTreeMap<AssocId, Association>,
    pub addrs: Vec<IpAddr>,
    pub udp_port: u16,
    pub events: Vec<(Instant, AssocId, AssocEvent)>,
    pub ext_events: Vec<(Instant, AssocId, ExtEvent)>,
    /// Complete received messages: (assoc, stream, unordered, ppid, data).
    pub msgs: Vec<(AssocId, u16, bool, u32, Vec<u8>)>,
    /// The SSN (DATA) or low 16 bits of the MID (I-DATA) of each of `msgs`.
    pub msg_ssns: Vec<u16>,
    /// Partly read messages by (assoc, stream, unordered): with I-DATA,
    /// pieces of messages of different streams interleave.
    partial: BTreeMap<(AssocId, u16, bool), Vec<u8>>,
    /// Read at most this many bytes per step (None: read everything).
    pub read_limit: Option<usize>,
    pub reading: bool,
    /// Packets its associations emitted (endpoint replies excluded).
    pub assoc_tx: u64,
    /// Packets handed to its associations.
    pub assoc_rx: u64,
}

impl Node {
    pub fn new(seed: u64, addrs: Vec<IpAddr>, udp_port: u16, cfg: Config) -> Self {
        let mut ec = EndpointConfig::seeded(seed);
        ec.assoc = cfg;
        Node {
            ep: Endpoint::new(ec),
            assocs: BTreeMap::new(),
            addrs,
            udp_port,
            events: Vec::new(),
            ext_events: Vec::new(),
            msgs: Vec::new(),
            msg_ssns: Vec::new(),
            partial: BTreeMap::new(),
            read_limit: None,
            reading: true,
            assoc_tx: 0,
            assoc_rx: 0,
        }
    }

    pub fn listen(&mut self, port: u16) {
        let cfg = self.ep.config().assoc.clone();
        self.ep.listen(port, cfg, self.addrs.clone());
    }

    pub fn assoc(&mut self) -> &mut Association {
        self.assocs.values_mut().next().expect("an association")
    }

    pub fn has_event(&self, f: impl Fn(&AssocEvent) -> bool) -> bool {
        self.events.iter().any(|(_, _, e)| f(e))
    }
}

/// The network: nodes, in-flight datagrams, virtual time.
pub struct Net {
    pub nodes: Vec<Node>,
    pub now: Instant,
    q: BinaryHeap<InFlight>,
    seq: u64,
    pub rng: Rng,
    /// Link parameters by sending node index.
    pub links: Vec<LinkCfg>,
    busy_until: Vec<Instant>,
    /// Addresses whose traffic is dropped (a dark path).
    pub dark: HashSet<IpAddr>,
    /// NAT in front of node 0: after `.2`, its source port `.0` appears as `.1`,
    /// and packets to the old port are dropped.
    pub nat: Option<(u16, u16, Instant)>,
    /// Node 0 sent through the new mapping: the old port is gone.
    pub nat_rebound: bool,
    pub stats: Stats,
    buf: Vec<u8>,
    /// Chunks sent, by sending node and chunk type (when `count_chunks`).
    pub chunks_sent: BTreeMap<(usize, u8), u64>,
    pub count_chunks: bool,
    /// Targeted loss: (sending node, chunk type, count): the next `count`
    /// packets of that node carrying a chunk of that type are lost.
    pub drop_chunks: Vec<(usize, u8, u32)>,
    /// ICMP "fragmentation needed" reports not yet taken: (sending node,
    /// destination, IP MTU). [`Net::report_mtu`] gives them to the sender.
    pub too_big: Vec<(usize, IpAddr, usize)>,
    /// Per (node, destination), the MTU its "kernel" learnt.
    known_mtu: HashMap<(usize, IpAddr), usize>,
    /// Largest IP packet each node sent, since [`Net::reset_max_sent`].
    pub max_sent: Vec<usize>,
    /// When a packet larger than its link's MTU last passed ("fragmented
    /// by the kernel"), and when the first report was delivered.
    pub last_fragmented: Option<Instant>,
    /// Packets larger than their link's MTU that passed with more than one
    /// chunk in them (the stack only sends a chunk cut for an older, larger
    /// MTU alone).
    pub oversize_bundles: u64,
    pub first_report: Option<Instant>,
}

#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub sent: u64,
    pub delivered: u64,
    pub lost: u64,
    pub corrupted: u64,
    pub duplicated: u64,
    /// Packets sent ECN-capable (ECT), and of them marked CE.
    pub ect: u64,
    pub ce_marked: u64,
    /// Longest wait in a link's queue (with `bandwidth`).
    pub max_queue: Duration,
    /// Packets delivered to each destination IP.
    pub by_dst: BTreeMap<IpAddr, u64>,
}

impl Net {
    pub fn new(seed: u64, nodes: Vec<Node>) -> Self {
        let n = nodes.len();
        Net {
            nodes,
            now: Instant::ZERO,
            q: BinaryHeap::new(),
            seq: 0,
            rng: Rng::new(seed ^ 0xA5A5_5A5A),
            links: vec![LinkCfg::default(); n],
            busy_until: vec![Instant::ZERO; n],
            dark: HashSet::new(),
            nat: None,
            nat_rebound: false,
            stats: Stats::default(),
            buf: Vec::with_capacity(2048),
            chunks_sent: BTreeMap::new(),
            count_chunks: false,
            drop_chunks: Vec::new(),
            too_big: Vec::new(),
            known_mtu: HashMap::new(),
            max_sent: vec![0; n],
            last_fragmented: None,
            oversize_bundles: 0,
            first_report: None,
        }
    }

    /// Delivers the pending "fragmentation needed" reports to their
    /// senders' associations (as the stack does from its error queue).
    pub fn report_mtu(&mut self) {
        for (from, dst, mtu) in std::mem::take(&mut self.too_big) {
            self.first_report.get_or_insert(self.now);
            self.known_mtu.insert((from, dst), mtu);
            for a in self.nodes[from].assocs.values_mut() {
                a.pmtu_report(dst, mtu as u32);
            }
        }
    }

    pub fn reset_max_sent(&mut self) {
        self.max_sent.iter_mut().for_each(|m| *m = 0);
    }

    fn node_of(&self, ip: IpAddr) -> Option<usize> {
        self.nodes.iter().position(|n| n.addrs.contains(&ip))
    }

    /// Starts an association from node `from` to node `to`'s addresses.
    pub fn connect(&mut self, from: usize, to: usize, lport: u16, pport: u16) -> AssocId {
        let peers: Vec<SocketAddr> = self.nodes[to]
            .addrs
            .iter()
            .map(|a| SocketAddr::new(*a, self.nodes[to].udp_port))
            .collect();
        let now = self.now;
        let n = &mut self.nodes[from];
        let cfg = n.ep.config().assoc.clone();
        let (id, a) =
            n.ep.connect(now, cfg, lport, pport, &peers, n.addrs.clone()).expect("connect");
        n.assocs.insert(id, a);
        id
    }

    /// Sends a raw datagram as if from `src` (for injected packets).
    pub fn inject(&mut self, src: SocketAddr, dst: SocketAddr, data: Vec<u8>) {
        self.seq += 1;
        self.q.push(InFlight { at: self.now, seq: self.seq, src, dst, data, ce: false });
    }

    fn emit(
        &mut self,
        from: usize,
        src_ip: Option<IpAddr>,
        dst: SocketAddr,
        len: usize,
        ect: bool,
    ) {
        let node = &self.nodes[from];
        let src_ip = src_ip
            .filter(|ip| node.addrs.contains(ip))
            .or_else(|| node.addrs.iter().copied().find(|a| a.is_ipv4() == dst.is_ipv4()))
            .unwrap_or(node.addrs[0]);
        let mut src = SocketAddr::new(src_ip, node.udp_port);
        if from == 0 {
            if let Some((old, new, at)) = self.nat {
                if self.now >= at && src.port() == old {
                    // The NAT's old mapping expired: node 0's next packet
                    // creates a new one (and the old one stops working).
                    src.set_port(new);
                    self.nat_rebound = true;
                }
            }
        }
        self.stats.sent += 1;
        let link = self.links[from].clone();
        let data = self.buf[..len].to_vec();
        if self.count_chunks {
            if let Ok((_, chunks)) = sctpudp::proto::wire::parse_packet(&Bytes::from(data.clone()))
            {
                for c in chunks.flatten() {
                    *self.chunks_sent.entry((from, c.chunk_type())).or_default() += 1;
                }
            }
        }
        let mut targeted = false;
        if !self.drop_chunks.is_empty() {
            if let Ok((_, chunks)) = sctpudp::proto::wire::parse_packet(&Bytes::from(data.clone()))
            {
                let types: Vec<u8> = chunks.flatten().map(|c| c.chunk_type()).collect();
                for d in self.drop_chunks.iter_mut() {
                    if d.0 == from && d.2 > 0 && types.contains(&d.1) {
                        d.2 -= 1;
                        targeted = true;
                        break;
                    }
                }
            }
        }
        let ip_len = len + 28;
        if link.mtu > 0 && ip_len > link.mtu {
            let known = self.known_mtu.get(&(from, dst.ip())).is_some_and(|m| *m <= link.mtu);
            if !known {
                self.too_big.push((from, dst.ip(), link.mtu));
                self.stats.lost += 1;
                return;
            }
            self.last_fragmented = Some(self.now);
            let chunks = sctpudp::proto::wire::parse_packet(&Bytes::from(data.clone()))
                .map(|(_, c)| c.flatten().count())
                .unwrap_or(0);
            if chunks > 1 {
                self.oversize_bundles += 1;
            }
        }
        self.max_sent[from] = self.max_sent[from].max(ip_len);
        if targeted
            || self.dark.contains(&src.ip())
            || self.dark.contains(&dst.ip())
            || self.rng.chance(link.loss)
        {
            self.stats.lost += 1;
            return;
        }
        // Serialization on the sender's link.
        let mut at = self.now.max(self.busy_until[from]);
        let queued = at.saturating_since(self.now);
        let mut ce = false;
        if ect {
            self.stats.ect += 1;
            ce = (!link.ce_queue.is_zero() && queued > link.ce_queue)
                || (link.ce > 0.0 && self.rng.chance(link.ce));
            if ce {
                self.stats.ce_marked += 1;
            }
        }
        self.stats.max_queue = self.stats.max_queue.max(queued);
        if let Some(ns) = ((len as u64 + 28) * 1_000_000_000).checked_div(link.bandwidth) {
            let tx = Duration::from_nanos(ns);
            at = at + tx;
            self.busy_until[from] = at;
        }
        at = at + link.delay;
        if self.rng.chance(link.reorder) {
            at = at
                + Duration::from_micros(self.rng.below(link.reorder_extra.as_micros() as u64 + 1));
        }
        let copies = if self.rng.chance(link.dup) {
            self.stats.duplicated += 1;
            2
        } else {
            1
        };
        for k in 0..copies {
            let mut d = data.clone();
            if self.rng.chance(link.corrupt) {
                self.stats.corrupted += 1;
                let i = self.rng.below(d.len() as u64) as usize;
                d[i] ^= 1 << self.rng.below(8);
            }
            self.seq += 1;
            let extra = Duration::from_micros(k * self.rng.below(20_000));
            self.q.push(InFlight { at: at + extra, seq: self.seq, src, dst, data: d, ce });
        }
    }

    /// Moves every association's output onto the network and collects
    /// events; lets nodes read their data.
    pub fn flush(&mut self) {
        for ni in 0..self.nodes.len() {
            let ids: Vec<AssocId> = self.nodes[ni].assocs.keys().copied().collect();
            for id in ids {
                loop {
                    let now = self.now;
                    let mut buf = std::mem::take(&mut self.buf);
                    let t = self.nodes[ni]
                        .assocs
                        .get_mut(&id)
                        .and_then(|a| a.poll_transmit(now, &mut buf));
                    self.buf = buf;
                    match t {
                        Some(t) => {
                            self.nodes[ni].assoc_tx += 1;
                            self.emit(ni, t.src_ip, t.dst, t.len, t.ect)
                        }
                        None => break,
                    }
                }
                let node = &mut self.nodes[ni];
                let Some(a) = node.assocs.get_mut(&id) else {
                    continue;
                };
                while let Some(e) = a.poll_event() {
                    node.events.push((self.now, id, e));
                }
                while let Some(e) = a.poll_ext_event() {
                    if let ExtEvent::PartialDeliveryAborted { stream_id, unordered, .. } = e {
                        // What was read of that message is all there is
                        // (one message per stream and U bit at a time is
                        // delivered in parts).
                        node.partial.remove(&(id, stream_id, unordered));
                    }
                    node.ext_events.push((self.now, id, e));
                }
                if node.reading {
                    let mut budget = node.read_limit.unwrap_or(usize::MAX);
                    while budget > 0 {
                        let Some(RecvData { stream_id, unordered, ppid, data, eor, ssn, .. }) =
                            a.read(budget)
                        else {
                            break;
                        };
                        budget -= data.len();
                        let cur = node.partial.entry((id, stream_id, unordered)).or_default();
                        cur.extend_from_slice(&data);
                        if eor {
                            let m = std::mem::take(cur);
                            node.msgs.push((id, stream_id, unordered, ppid, m));
                            node.msg_ssns.push(ssn);
                        }
                    }
                }
                let mut drained = false;
                while let Some(ev) = a.poll_endpoint_event() {
                    if ev == sctpudp::proto::assoc::EndpointEvent::Drained {
                        drained = true;
                    }
                    node.ep.handle_event(id, ev);
                }
                let _ = drained;
            }
        }
    }

    /// Advances to the next packet delivery or timer. Returns false when
    /// nothing at all is scheduled.
    pub fn step(&mut self) -> bool {
        let mut next = self.q.peek().map(|p| p.at);
        for n in &self.nodes {
            for a in n.assocs.values() {
                if let Some(t) = a.poll_timeout() {
                    next = Some(next.map_or(t, |x: Instant| x.min(t)));
                }
            }
        }
        let Some(next) = next else { return false };
        self.now = self.now.max(next);
        while self.q.peek().is_some_and(|p| p.at <= self.now) {
            let Some(p) = self.q.pop() else { break };
            self.deliver(p);
        }
        let now = self.now;
        for n in &mut self.nodes {
            for a in n.assocs.values_mut() {
                if a.poll_timeout().is_some_and(|t| t <= now) {
                    a.handle_timeout(now);
                }
            }
        }
        self.flush();
        true
    }

    fn deliver(&mut self, p: InFlight) {
        if self.dark.contains(&p.src.ip()) || self.dark.contains(&p.dst.ip()) {
            self.stats.lost += 1;
            return;
        }
        let Some(ni) = self.node_of(p.dst.ip()) else {
            return;
        };
        if ni == 0 {
            if let Some((old, _new, _at)) = self.nat {
                if self.nat_rebound && p.dst.port() == old {
                    // The NAT forgot the old mapping.
                    self.stats.lost += 1;
                    return;
                }
            }
        }
        self.stats.delivered += 1;
        *self.stats.by_dst.entry(p.dst.ip()).or_default() += 1;
        let now = self.now;
        let data = Bytes::from(p.data);
        let mut buf = std::mem::take(&mut self.buf);
        let node = &mut self.nodes[ni];
        let ev = node.ep.handle(now, p.src, &data, &mut buf);
        if std::env::var("SIM_TRACE").is_ok() && ev.is_none() {
            let types: Vec<u8> = sctpudp::proto::wire::parse_packet(&data)
                .map(|(_, c)| c.filter_map(|x| x.ok()).map(|x| x.chunk_type()).collect())
                .unwrap_or_default();
            eprintln!(
                "t={:.3} node{ni} drops {types:?} from {}",
                now.as_micros() as f64 / 1e6,
                p.src
            );
        }
        let mut ev = ev;
        if let Some(DatagramEvent::Assoc(_, inc) | DatagramEvent::NewAssoc(_, _, inc)) = &mut ev {
            inc.ce = p.ce;
        }
        match ev {
            Some(DatagramEvent::Assoc(id, inc)) => {
                if let Some(a) = node.assocs.get_mut(&id) {
                    node.assoc_rx += 1;
                    a.handle(now, inc);
                }
            }
            Some(DatagramEvent::NewAssoc(id, a, inc)) => {
                node.assoc_rx += 1;
                let mut a = *a;
                a.handle(now, inc);
                node.assocs.insert(id, a);
            }
            Some(DatagramEvent::Response(t)) => {
                let len = t.len;
                if std::env::var("SIM_TRACE").is_ok() {
                    let b = Bytes::copy_from_slice(&buf[..len]);
                    let types: Vec<u8> = sctpudp::proto::wire::parse_packet(&b)
                        .map(|(_, c)| c.filter_map(|x| x.ok()).map(|x| x.chunk_type()).collect())
                        .unwrap_or_default();
                    let inc: Vec<u8> = sctpudp::proto::wire::parse_packet(&data)
                        .map(|(_, c)| c.filter_map(|x| x.ok()).map(|x| x.chunk_type()).collect())
                        .unwrap_or_default();
                    eprintln!(
                        "t={:.3} node{ni} replies {types:?} to {inc:?} from {}",
                        now.as_micros() as f64 / 1e6,
                        p.src
                    );
                }
                self.buf = buf;
                self.emit(ni, t.src_ip, t.dst, len, t.ect);
                return;
            }
            None => {}
        }
        self.buf = buf;
    }

    /// Runs until `done` holds or virtual time passes `limit`. Returns
    /// whether `done` held.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&mut Net) -> bool) -> bool {
        let end = self.now + limit;
        self.flush();
        loop {
            if done(self) {
                return true;
            }
            if self.now > end || !self.step() {
                return done(self);
            }
        }
    }
}

/// A deterministic message body for message `idx` of `len` bytes.
pub fn body(seed: u64, idx: u64, len: usize) -> Bytes {
    let mut r = Rng::new(seed.wrapping_mul(31).wrapping_add(idx));
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        v.extend_from_slice(&r.next().to_le_bytes());
    }
    v.truncate(len);
    Bytes::from(v)
}

pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

pub fn opts(stream_id: u16, unordered: bool, ppid: u32) -> SendOptions {
    SendOptions { stream_id, ppid, unordered, ..SendOptions::default() }
}

/// Two nodes, 10.0.0.1 (a, node 0) and 10.0.1.1 (b, node 1, listening on
/// SCTP port 5000), joined by one association from a's port 4000, up on
/// both sides. `base` keeps each test file's node seeds apart (their
/// RNGs are seeded `seed * 2 + base + 1` and `+ 2`).
pub fn pair_up(cfg_a: Config, cfg_b: Config, seed: u64, base: u64) -> Net {
    let a = Node::new(seed * 2 + base + 1, vec![ip("10.0.0.1")], 9899, cfg_a);
    let mut b = Node::new(seed * 2 + base + 2, vec![ip("10.0.1.1")], 9899, cfg_b);
    b.listen(5000);
    let mut net = Net::new(seed, vec![a, b]);
    net.count_chunks = true;
    net.connect(0, 1, 4000, 5000);
    assert!(net.run_until(Duration::from_secs(10), |n| n.nodes[1].assocs.len() == 1
        && n.nodes.iter().all(|x| x.has_event(|e| matches!(e, AssocEvent::CommUp { .. })))));
    net
}
