//! Deterministic corner tests of association setup, INIT collisions,
//! restart, verification tags, out-of-the-blue packets, shutdown,
//! unknown chunks and retransmission limits, through the public sans-IO
//! API (RFC 9260 sections 3.2, 4, 5.1, 5.2, 6.2, 8.1, 8.4, 8.5, 9;
//! RFC 6951bis 5.5).
//!
//! Two harnesses are used:
//! - `Lab` below: hosts (an Endpoint and its Associations) exchanging
//!   datagrams with a fixed one-way delay, with a log of every datagram
//!   sent and a drop filter, so tests can assert on exact chunks, tags and
//!   T bits. A test can also hand-deliver datagrams or inject crafted
//!   ones (a "scripted peer") and look at the immediate replies.
//! - `common::Net` (the project's simulator) for the end-to-end scenarios
//!   (simultaneous open, restart, shutdown with queued data).
mod common;

use bytes::Bytes;
use common::{body, ip, opts, Net, Node};
use sctpudp::proto::assoc::{
    AssocEvent, AssocId, AssocState, Association, Cookie, LostReason, SendError,
};
use sctpudp::proto::endpoint::{DatagramEvent, Endpoint};
use sctpudp::proto::wire::chunk::{
    emit_forward_tsn, emit_heartbeat, emit_raw, emit_shutdown, DATA_FLAG_BEGIN, DATA_FLAG_END,
    DATA_FLAG_IMMEDIATE, FLAG_T,
};
use sctpudp::proto::wire::{
    self, Cause, Causes, Chunk, CommonHeader, DataChunk, InitChunk, InitParams, SackChunk,
    CHUNK_ABORT, CHUNK_COOKIE_ACK, CHUNK_COOKIE_ECHO, CHUNK_DATA, CHUNK_ERROR, CHUNK_HEARTBEAT,
    CHUNK_HEARTBEAT_ACK, CHUNK_INIT, CHUNK_INIT_ACK, CHUNK_SHUTDOWN, CHUNK_SHUTDOWN_ACK,
    CHUNK_SHUTDOWN_COMPLETE,
};
use sctpudp::proto::{Config, EndpointConfig, Instant};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

const UDP: u16 = 9899;
const BE: u8 = DATA_FLAG_BEGIN | DATA_FLAG_END;

// ---------------------------------------------------------------------
// Datagrams and packet helpers
// ---------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Dgram {
    src: SocketAddr,
    dst: SocketAddr,
    data: Vec<u8>,
}

impl Dgram {
    /// Parses the packet; every datagram the stack sends must be valid.
    fn parsed(&self) -> (CommonHeader, Vec<Chunk>) {
        let (h, chunks) = wire::parse_packet(&Bytes::from(self.data.clone()))
            .unwrap_or_else(|e| panic!("sent an invalid packet ({e}): {:02x?}", self.data));
        let v = chunks
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_else(|e| panic!("sent an invalid chunk ({e}): {:02x?}", self.data));
        (h, v)
    }
    fn hdr(&self) -> CommonHeader {
        self.parsed().0
    }
    fn chunks(&self) -> Vec<Chunk> {
        self.parsed().1
    }
    fn types(&self) -> Vec<u8> {
        self.chunks().iter().map(|c| c.chunk_type()).collect()
    }
    fn first_type(&self) -> u8 {
        self.data[12]
    }
}

fn show(ds: &[Dgram]) -> Vec<String> {
    ds.iter()
        .map(|d| format!("{} -> {} vtag={:#x} {:?}", d.src, d.dst, d.hdr().vtag, d.types()))
        .collect()
}

/// Exactly one datagram.
#[track_caller]
fn one(ds: &[Dgram]) -> Dgram {
    assert_eq!(ds.len(), 1, "expected one datagram, got {:?}", show(ds));
    ds[0].clone()
}

#[track_caller]
fn none(ds: &[Dgram]) {
    assert!(ds.is_empty(), "expected no reply, got {:?}", show(ds));
}

/// Builds a packet: common header, the chunks `f` writes, CRC32c.
fn pkt(sport: u16, dport: u16, vtag: u32, f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut b = Vec::new();
    wire::write_header(&mut b, &CommonHeader { src_port: sport, dst_port: dport, vtag });
    f(&mut b);
    wire::finish_packet(&mut b);
    b
}

fn init_chunk(tag: u32, tsn: u32, addrs: Vec<IpAddr>) -> InitChunk {
    InitChunk {
        initiate_tag: tag,
        a_rwnd: 65536,
        num_outbound_streams: 10,
        num_inbound_streams: 10,
        initial_tsn: tsn,
        params: InitParams { addrs, ..InitParams::default() },
    }
}

fn init_pkt(sport: u16, dport: u16, tag: u32, tsn: u32, addrs: Vec<IpAddr>) -> Vec<u8> {
    pkt(sport, dport, 0, |b| init_chunk(tag, tsn, addrs).emit(CHUNK_INIT, b))
}

fn causes(b: &Bytes) -> Vec<Cause> {
    Causes::new(b.clone()).collect::<Result<Vec<_>, _>>().expect("valid causes")
}

#[track_caller]
fn as_init_ack(d: &Dgram) -> InitChunk {
    match &d.chunks()[..] {
        [Chunk::InitAck(ia)] => ia.clone(),
        other => panic!("expected a lone INIT ACK, got {other:?}"),
    }
}

#[track_caller]
fn as_init(d: &Dgram) -> InitChunk {
    match &d.chunks()[..] {
        [Chunk::Init(i)] => i.clone(),
        other => panic!("expected a lone INIT, got {other:?}"),
    }
}

// ---------------------------------------------------------------------
// Host and Lab
// ---------------------------------------------------------------------

struct Host {
    ep: Endpoint,
    assocs: BTreeMap<AssocId, Association>,
    ip: IpAddr,
    udp: u16,
    events: Vec<(AssocId, AssocEvent)>,
    /// Complete messages: (assoc, stream, ppid, data).
    msgs: Vec<(AssocId, u16, u32, Vec<u8>)>,
    partial: BTreeMap<AssocId, Vec<u8>>,
    reading: bool,
    buf: Vec<u8>,
}

impl Host {
    fn new(seed: u64, addr: &str, cfg: Config) -> Host {
        let mut ec = EndpointConfig::seeded(seed);
        ec.assoc = cfg;
        Host {
            ep: Endpoint::new(ec),
            assocs: BTreeMap::new(),
            ip: ip(addr),
            udp: UDP,
            events: Vec::new(),
            msgs: Vec::new(),
            partial: BTreeMap::new(),
            reading: true,
            buf: Vec::with_capacity(2048),
        }
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip, self.udp)
    }

    fn listen(&mut self, port: u16) {
        let cfg = self.ep.config().assoc.clone();
        self.ep.listen(port, cfg, vec![self.ip]);
    }

    fn connect(&mut self, now: Instant, lport: u16, pport: u16, peer: SocketAddr) -> AssocId {
        let cfg = self.ep.config().assoc.clone();
        let (id, a) =
            self.ep.connect(now, cfg, lport, pport, &[peer], vec![self.ip]).expect("connect");
        self.assocs.insert(id, a);
        id
    }

    /// The most recently created association.
    fn assoc(&mut self) -> &mut Association {
        self.assocs.values_mut().next_back().expect("an association")
    }

    fn get(&mut self, id: AssocId) -> &mut Association {
        self.assocs.get_mut(&id).expect("association")
    }

    fn secret(&self) -> [u8; 32] {
        self.ep.config().cookie_secret
    }

    /// One received datagram; returns everything the host sends in reply.
    fn input(&mut self, now: Instant, src: SocketAddr, data: &[u8]) -> Vec<Dgram> {
        let bytes = Bytes::copy_from_slice(data);
        let mut out = Vec::new();
        match self.ep.handle(now, src, &bytes, &mut self.buf) {
            Some(DatagramEvent::Assoc(id, inc)) => {
                if let Some(a) = self.assocs.get_mut(&id) {
                    a.handle(now, inc);
                }
            }
            Some(DatagramEvent::NewAssoc(id, a, inc)) => {
                let mut a = *a;
                a.handle(now, inc);
                self.assocs.insert(id, a);
            }
            Some(DatagramEvent::Response(t)) => out.push(Dgram {
                src: SocketAddr::new(t.src_ip.unwrap_or(self.ip), self.udp),
                dst: t.dst,
                data: self.buf[..t.len].to_vec(),
            }),
            None => {}
        }
        out.extend(self.output(now));
        out
    }

    /// Polls every association: packets, events, received data, routing.
    fn output(&mut self, now: Instant) -> Vec<Dgram> {
        let mut out = Vec::new();
        for (&id, a) in self.assocs.iter_mut() {
            let mut n = 0;
            while let Some(t) = a.poll_transmit(now, &mut self.buf) {
                n += 1;
                assert!(n < 10_000, "poll_transmit never returns None");
                out.push(Dgram {
                    src: SocketAddr::new(t.src_ip.unwrap_or(self.ip), self.udp),
                    dst: t.dst,
                    data: self.buf[..t.len].to_vec(),
                });
            }
            while let Some(e) = a.poll_event() {
                self.events.push((id, e));
            }
            if self.reading {
                while let Some(r) = a.read(usize::MAX) {
                    let cur = self.partial.entry(id).or_default();
                    cur.extend_from_slice(&r.data);
                    if r.eor {
                        let m = std::mem::take(cur);
                        self.msgs.push((id, r.stream_id, r.ppid, m));
                    }
                }
            }
            while let Some(ev) = a.poll_endpoint_event() {
                self.ep.handle_event(id, ev);
            }
        }
        out
    }

    fn next_timeout(&self) -> Option<Instant> {
        self.assocs.values().filter_map(|a| a.poll_timeout()).min()
    }

    /// Runs the timers due at `now`.
    fn fire(&mut self, now: Instant) -> Vec<Dgram> {
        for a in self.assocs.values_mut() {
            if a.poll_timeout().is_some_and(|t| t <= now) {
                a.handle_timeout(now);
            }
        }
        self.output(now)
    }

    fn count(&self, id: Option<AssocId>, f: impl Fn(&AssocEvent) -> bool) -> usize {
        self.events.iter().filter(|(i, e)| id.is_none_or(|x| x == *i) && f(e)).count()
    }

    fn comm_ups(&self, restart: bool) -> usize {
        self.count(None, |e| *e == AssocEvent::CommUp { restart })
    }

    /// Events other than the informational ones (stream counts, dry).
    fn notable_events(&self) -> Vec<AssocEvent> {
        self.events
            .iter()
            .map(|e| e.1.clone())
            .filter(|e| !matches!(e, AssocEvent::Streams { .. } | AssocEvent::SenderDry))
            .collect()
    }
}

type DropFn = Box<dyn FnMut(&Dgram) -> bool>;
/// Writes chunks into a packet under construction.
type Emit<'a> = Box<dyn Fn(&mut Vec<u8>) + 'a>;

struct Lab {
    hosts: Vec<Host>,
    now: Instant,
    delay: Duration,
    queue: Vec<(Instant, u64, Dgram)>,
    seq: u64,
    /// Every datagram any host sent, with the time it was sent.
    log: Vec<(Instant, Dgram)>,
    /// Returns true for datagrams the network loses.
    drop: DropFn,
}

impl Lab {
    fn new(hosts: Vec<Host>) -> Lab {
        Lab {
            hosts,
            now: Instant::ZERO,
            delay: Duration::from_millis(10),
            queue: Vec::new(),
            seq: 0,
            log: Vec::new(),
            drop: Box::new(|_| false),
        }
    }

    fn h(&mut self, i: usize) -> &mut Host {
        &mut self.hosts[i]
    }

    /// Puts datagrams on the network (logged, possibly dropped).
    fn send(&mut self, ds: Vec<Dgram>) {
        assert!(self.delay > Duration::ZERO);
        for d in ds {
            self.log.push((self.now, d.clone()));
            if (self.drop)(&d) {
                continue;
            }
            self.seq += 1;
            self.queue.push((self.now + self.delay, self.seq, d));
        }
    }

    fn flush(&mut self) {
        for i in 0..self.hosts.len() {
            let now = self.now;
            let o = self.hosts[i].output(now);
            self.send(o);
        }
    }

    fn next_event(&self) -> Option<Instant> {
        let q = self.queue.iter().map(|q| q.0).min();
        let t = self.hosts.iter().filter_map(|h| h.next_timeout()).min();
        match (q, t) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn step(&mut self) -> bool {
        let Some(next) = self.next_event() else { return false };
        self.now = self.now.max(next);
        loop {
            let due = self
                .queue
                .iter()
                .enumerate()
                .filter(|(_, q)| q.0 <= self.now)
                .min_by_key(|(_, q)| (q.0, q.1))
                .map(|(i, _)| i);
            let Some(i) = due else { break };
            let (_, _, d) = self.queue.remove(i);
            let now = self.now;
            if let Some(hi) = self.hosts.iter().position(|h| h.addr() == d.dst) {
                let out = self.hosts[hi].input(now, d.src, &d.data);
                self.send(out);
            }
        }
        for i in 0..self.hosts.len() {
            let now = self.now;
            let out = self.hosts[i].fire(now);
            self.send(out);
        }
        true
    }

    fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&mut Lab) -> bool) -> bool {
        let end = self.now + limit;
        self.flush();
        for _ in 0..1_000_000 {
            if done(self) {
                return true;
            }
            if self.next_event().is_none_or(|t| t > end) || !self.step() {
                return done(self);
            }
        }
        panic!("run_until: too many steps");
    }

    /// Runs everything scheduled up to `now + d`, then sets the clock there.
    fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        self.flush();
        for _ in 0..1_000_000 {
            if self.next_event().is_none_or(|t| t > end) {
                self.now = end;
                return;
            }
            self.step();
        }
        panic!("run_for: too many steps");
    }

    /// Datagrams sent by host `i` since log index `from`.
    fn sent_by(&self, i: usize, from: usize) -> Vec<Dgram> {
        let a = self.hosts[i].addr();
        self.log[from..]
            .iter()
            .filter(|(_, d)| d.src.ip() == a.ip())
            .map(|(_, d)| d.clone())
            .collect()
    }
}

const A: usize = 0;
const B: usize = 1;

/// Host A (10.0.0.1, client) and host B (10.0.1.1, listening on 5000).
fn lab_pair(cfg_a: Config, cfg_b: Config) -> Lab {
    let a = Host::new(11, "10.0.0.1", cfg_a);
    let mut b = Host::new(12, "10.0.1.1", cfg_b);
    b.listen(5000);
    Lab::new(vec![a, b])
}

fn is_established(h: &mut Host) -> bool {
    h.assocs.values().next_back().is_some_and(|a| a.state() == AssocState::Established)
}

/// A and B with an established association 4000 -> 5000.
fn established(cfg_a: Config, cfg_b: Config) -> Lab {
    let mut lab = lab_pair(cfg_a, cfg_b);
    let (now, baddr) = (lab.now, lab.hosts[B].addr());
    lab.h(A).connect(now, 4000, 5000, baddr);
    assert!(lab.run_until(Duration::from_secs(5), |l| {
        is_established(&mut l.hosts[A]) && is_established(&mut l.hosts[B])
    }));
    lab.run_for(Duration::from_millis(500));
    lab
}

/// What must not change when a packet is ignored.
#[derive(Debug, PartialEq)]
struct Snapshot {
    state: AssocState,
    tags: (u32, u32),
    rx_cum_tsn: u32,
    next_tsn: u32,
    buffered: usize,
    unacked: usize,
    readable: usize,
    peer_rwnd: u32,
    local_rwnd: u32,
    timeout: Option<Instant>,
    encap_ports: Vec<(IpAddr, u16)>,
}

fn snap(a: &Association) -> Snapshot {
    Snapshot {
        state: a.state(),
        tags: (a.local_tag(), a.peer_tag()),
        rx_cum_tsn: a.rx_cum_tsn(),
        next_tsn: a.next_tsn(),
        buffered: a.buffered_amount(),
        unacked: a.unacked_chunks(),
        readable: a.readable_bytes(),
        peer_rwnd: a.peer_rwnd(),
        local_rwnd: a.local_rwnd(),
        timeout: a.poll_timeout(),
        encap_ports: a.paths().iter().map(|p| (p.addr, p.encap_port)).collect(),
    }
}

/// A peer played by the test: it completes a handshake with `host` by
/// hand and then sends whatever the test builds.
struct Scripted {
    addr: SocketAddr,
    sport: u16,
    dport: u16,
    /// Our (the script's) tag: the host's peer tag.
    tag: u32,
    /// The host's tag.
    host_tag: u32,
    /// First TSN the script sends.
    tsn: u32,
}

impl Scripted {
    fn pkt(&self, vtag: u32, f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        pkt(self.sport, self.dport, vtag, f)
    }
    /// A packet with the host's tag.
    fn ok(&self, f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        self.pkt(self.host_tag, f)
    }
}

/// INIT -> INIT ACK -> COOKIE ECHO -> COOKIE ACK against a listening host.
fn scripted_handshake(
    h: &mut Host,
    now: Instant,
    addr: SocketAddr,
    tag: u32,
    tsn: u32,
) -> Scripted {
    let ia = as_init_ack(&one(&h.input(now, addr, &init_pkt(4000, 5000, tag, tsn, vec![]))));
    let cookie = ia.params.cookie.clone().expect("cookie");
    let echo = pkt(4000, 5000, ia.initiate_tag, |b| emit_raw(b, CHUNK_COOKIE_ECHO, 0, &cookie));
    let ack = one(&h.input(now, addr, &echo));
    assert_eq!(ack.types(), vec![CHUNK_COOKIE_ACK]);
    assert_eq!(ack.hdr().vtag, tag);
    assert_eq!(h.assoc().state(), AssocState::Established);
    Scripted { addr, sport: 4000, dport: 5000, tag, host_tag: ia.initiate_tag, tsn }
}

/// A listening server host B with one association to a scripted peer.
fn server_with_script(cfg: Config) -> (Host, Scripted) {
    let mut b = Host::new(12, "10.0.1.1", cfg);
    b.listen(5000);
    let s = scripted_handshake(
        &mut b,
        Instant::ZERO,
        "10.0.0.1:9899".parse().unwrap(),
        0x5C5C_0001,
        1000,
    );
    b.events.clear();
    (b, s)
}

// ---------------------------------------------------------------------
// 5.1: the normal handshake, INIT rules
// ---------------------------------------------------------------------

/// 5.1 A-E: INIT (vtag 0, alone) -> stateless INIT ACK (vtag = Initiate
/// Tag, signed cookie with zero tie-tags) -> COOKIE ECHO (vtag = B's tag,
/// first chunk) -> COOKIE ACK (vtag = A's tag); COMM_UP once on each side.
#[test]
fn normal_handshake_exact_exchange() {
    let mut lab = lab_pair(Config::default(), Config::default());
    let now = lab.now;
    let (aaddr, baddr) = (lab.hosts[A].addr(), lab.hosts[B].addr());
    let id = lab.h(A).connect(now, 4000, 5000, baddr);
    assert_eq!(lab.h(A).get(id).state(), AssocState::CookieWait);

    let init_d = one(&lab.h(A).output(now));
    assert_eq!(init_d.dst, baddr);
    let h = init_d.hdr();
    assert_eq!((h.src_port, h.dst_port, h.vtag), (4000, 5000, 0));
    let init = as_init(&init_d);
    let a_tag = lab.h(A).get(id).local_tag();
    assert_eq!(init.initiate_tag, a_tag);
    assert_ne!(a_tag, 0);
    assert!(init.a_rwnd >= 1500 && init.num_outbound_streams > 0 && init.num_inbound_streams > 0);

    // B answers without creating any state.
    let ia_d = one(&lab.h(B).input(now, aaddr, &init_d.data));
    assert_eq!(ia_d.dst, aaddr);
    let h = ia_d.hdr();
    assert_eq!((h.src_port, h.dst_port, h.vtag), (5000, 4000, a_tag));
    let ia = as_init_ack(&ia_d);
    assert_ne!(ia.initiate_tag, 0);
    assert!(lab.hosts[B].assocs.is_empty());
    assert_eq!(lab.hosts[B].ep.assoc_count(), 0);
    let raw_cookie = ia.params.cookie.clone().expect("State Cookie");
    let c = Cookie::decode(&lab.hosts[B].secret(), &raw_cookie, now).expect("valid cookie");
    assert_eq!((c.local_tag, c.peer_tag), (ia.initiate_tag, a_tag));
    assert_eq!((c.local_tie_tag, c.peer_tie_tag), (0, 0));
    assert_eq!((c.local_initial_tsn, c.peer_initial_tsn), (ia.initial_tsn, init.initial_tsn));
    assert_eq!((c.local_port, c.peer_port), (5000, 4000));

    // A echoes the cookie.
    let ce_d = one(&lab.h(A).input(now, baddr, &ia_d.data));
    assert_eq!(ce_d.hdr().vtag, ia.initiate_tag);
    assert_eq!(ce_d.chunks()[0], Chunk::CookieEcho(raw_cookie));
    assert_eq!(lab.h(A).get(id).state(), AssocState::CookieEchoed);
    assert_eq!(lab.h(A).get(id).peer_tag(), ia.initiate_tag);

    // B creates the association and acknowledges.
    let ack_d = one(&lab.h(B).input(now, aaddr, &ce_d.data));
    assert_eq!(ack_d.hdr().vtag, a_tag);
    assert_eq!(ack_d.types(), vec![CHUNK_COOKIE_ACK]);
    assert_eq!(lab.hosts[B].ep.assoc_count(), 1);
    let b = lab.h(B).assoc();
    assert_eq!(b.state(), AssocState::Established);
    assert_eq!((b.local_tag(), b.peer_tag()), (ia.initiate_tag, a_tag));
    assert_eq!(lab.hosts[B].comm_ups(false), 1);

    none(&lab.h(A).input(now, baddr, &ack_d.data));
    assert_eq!(lab.h(A).get(id).state(), AssocState::Established);
    assert_eq!(lab.hosts[A].comm_ups(false), 1);
    assert_eq!(lab.hosts[A].notable_events(), vec![AssocEvent::CommUp { restart: false }]);

    // Data both ways with the agreed tags.
    let now = lab.now;
    lab.h(A).assoc().send(now, Bytes::from_static(b"ping"), opts(1, false, 7)).unwrap();
    lab.h(B).assoc().send(now, Bytes::from_static(b"pong"), opts(2, false, 8)).unwrap();
    lab.run_for(Duration::from_secs(1));
    assert_eq!(lab.hosts[B].msgs.len(), 1);
    assert_eq!((lab.hosts[B].msgs[0].1, lab.hosts[B].msgs[0].2), (1, 7));
    assert_eq!(&lab.hosts[B].msgs[0].3[..], b"ping");
    assert_eq!(&lab.hosts[A].msgs[0].3[..], b"pong");
    for (_, d) in &lab.log {
        let from_a = d.src.ip() == aaddr.ip();
        if d.types().contains(&CHUNK_DATA) {
            assert_eq!(d.hdr().vtag, if from_a { ia.initiate_tag } else { a_tag });
        }
    }
}

/// 8.4 rule 3: an INIT to a port nobody listens on is answered with an
/// ABORT whose Verification Tag is the INIT's Initiate Tag, T bit clear,
/// sent back to the INIT's own UDP source port.
#[test]
fn init_to_non_listening_port_gets_abort_with_initiate_tag() {
    let mut b = Host::new(2, "10.0.1.1", Config::default());
    b.listen(5000);
    let src: SocketAddr = "10.9.9.9:40000".parse().unwrap();
    let r = one(&b.input(Instant::ZERO, src, &init_pkt(7000, 6000, 0xA1B2_C3D4, 1, vec![])));
    assert_eq!(r.dst, src);
    let h = r.hdr();
    assert_eq!((h.src_port, h.dst_port, h.vtag), (6000, 7000, 0xA1B2_C3D4));
    assert_eq!(r.chunks(), vec![Chunk::Abort { t: false, causes: Bytes::new() }]);
    assert_eq!(r.data[13] & FLAG_T, 0);
    assert!(b.assocs.is_empty());
    assert_eq!(b.ep.assoc_count(), 0);
}

/// The initiator of that INIT learns the port is closed: CANT_STR_ASSOC.
#[test]
fn connect_to_closed_port_fails_with_cant_start_assoc() {
    let mut lab = lab_pair(Config::default(), Config::default());
    let (now, baddr) = (lab.now, lab.hosts[B].addr());
    lab.h(A).connect(now, 4000, 6000, baddr);
    assert!(lab.run_until(Duration::from_secs(1), |l| l.hosts[A].assoc().is_closed()));
    assert_eq!(
        lab.hosts[A].notable_events(),
        vec![AssocEvent::CantStartAssoc(LostReason::PeerAbort(Bytes::new()))]
    );
    assert_eq!(lab.hosts[A].ep.assoc_count(), 0, "a closed association leaves the routing table");
    // One INIT, one ABORT, nothing more.
    let kinds: Vec<u8> = lab.log.iter().map(|(_, d)| d.first_type()).collect();
    assert_eq!(kinds, vec![CHUNK_INIT, CHUNK_ABORT]);
}

/// 3.3.2: an INIT with Initiate Tag 0 is silently discarded (listening
/// port or not).
#[test]
fn init_with_zero_initiate_tag_is_discarded() {
    let mut b = Host::new(2, "10.0.1.1", Config::default());
    b.listen(5000);
    let src: SocketAddr = "10.0.0.1:9899".parse().unwrap();
    none(&b.input(Instant::ZERO, src, &init_pkt(4000, 5000, 0, 1, vec![])));
    none(&b.input(Instant::ZERO, src, &init_pkt(4000, 6000, 0, 1, vec![])));
    assert_eq!(b.ep.assoc_count(), 0);
}

/// 8.5.1 A: a packet carrying an INIT must carry nothing else; otherwise
/// it is silently discarded - no INIT ACK, no ABORT, for a listening port,
/// a closed port, and a port with an established association.
#[test]
fn init_bundled_with_another_chunk_is_discarded() {
    let mut lab = established(Config::default(), Config::default());
    let now = lab.now;
    let aaddr = lab.hosts[A].addr();
    let before = snap(lab.h(B).assoc());
    let extras: Vec<Emit> = vec![
        Box::new(|b| emit_raw(b, CHUNK_COOKIE_ACK, 0, &[])),
        Box::new(|b| emit_heartbeat(b, CHUNK_HEARTBEAT, b"hb")),
        Box::new(|b| init_chunk(0x1234, 9, vec![]).emit(CHUNK_INIT, b)),
        Box::new(|b| DataChunk::emit(b, BE, 5, 0, 0, 0, b"x")),
        Box::new(|b| emit_raw(b, 0x84, 0, &[0; 8])), // PAD
    ];
    for (sport, dport) in [(4100, 5000), (4000, 6000), (4000, 5000)] {
        for extra in &extras {
            let p = pkt(sport, dport, 0, |b| {
                init_chunk(0x7E57_0001, 1, vec![]).emit(CHUNK_INIT, b);
                extra(b);
            });
            none(&lab.h(B).input(now, aaddr, &p));
        }
    }
    assert_eq!(lab.hosts[B].ep.assoc_count(), 1);
    assert_eq!(snap(lab.h(B).assoc()), before);
}

/// 8.5.1 A also covers an INIT that is not the first chunk: a packet with
/// Verification Tag 0 that is not a lone INIT must be silently discarded.
#[test]
fn vtag_zero_packet_with_init_not_first_is_discarded() {
    let mut b = Host::new(2, "10.0.1.1", Config::default());
    b.listen(5000);
    let src: SocketAddr = "10.0.0.1:9899".parse().unwrap();
    let p = pkt(4000, 5000, 0, |b| {
        DataChunk::emit(b, BE, 5, 0, 0, 0, b"x");
        init_chunk(0x7E57_0002, 1, vec![]).emit(CHUNK_INIT, b);
    });
    none(&b.input(Instant::ZERO, src, &p));
}

// ---------------------------------------------------------------------
// 5.2: INIT collisions in every state
// ---------------------------------------------------------------------

/// 5.2.1 (COOKIE-WAIT): both sides connect to each other at the same
/// moment in the simulator; each ends with exactly one association, both
/// Established with matching tags, one COMM_UP each, and data flows.
#[test]
fn simultaneous_open_ends_with_one_association_each() {
    for seed in 0..8u64 {
        let a = Node::new(seed * 2 + 1, vec![ip("10.0.0.1")], UDP, Config::default());
        let b = Node::new(seed * 2 + 2, vec![ip("10.0.1.1")], UDP, Config::default());
        let mut net = Net::new(seed, vec![a, b]);
        // Different one-way delays per seed move the crossing points.
        net.links[0].delay = Duration::from_millis(5 + seed * 7);
        net.links[1].delay = Duration::from_millis(5 + (7 - seed) * 3);
        net.connect(0, 1, 4000, 5000);
        net.connect(1, 0, 5000, 4000);
        assert!(
            net.run_until(Duration::from_secs(10), |n| n
                .nodes
                .iter()
                .all(|x| x.has_event(|e| matches!(e, AssocEvent::CommUp { .. })))),
            "seed {seed}: no COMM_UP: {:?} / {:?}",
            net.nodes[0].events,
            net.nodes[1].events
        );
        net.run_until(Duration::from_secs(3), |_| false);
        for n in &mut net.nodes {
            assert_eq!(n.assocs.len(), 1, "seed {seed}");
            assert_eq!(n.ep.assoc_count(), 1, "seed {seed}");
            assert_eq!(n.assoc().state(), AssocState::Established, "seed {seed}");
            let ups = n.events.iter().filter(|e| matches!(e.2, AssocEvent::CommUp { .. })).count();
            assert_eq!(ups, 1, "seed {seed}: {:?}", n.events);
            assert!(!n.has_event(|e| matches!(
                e,
                AssocEvent::CommLost(_) | AssocEvent::CantStartAssoc(_)
            )));
        }
        let (l0, p0) = (net.nodes[0].assoc().local_tag(), net.nodes[0].assoc().peer_tag());
        let (l1, p1) = (net.nodes[1].assoc().local_tag(), net.nodes[1].assoc().peer_tag());
        assert_eq!((l0, p0), (p1, l1), "seed {seed}: tags do not match");
        let now = net.now;
        net.nodes[0].assoc().send(now, body(seed, 0, 3000), opts(0, false, 1)).unwrap();
        net.nodes[1].assoc().send(now, body(seed, 1, 3000), opts(0, false, 2)).unwrap();
        assert!(
            net.run_until(Duration::from_secs(5), |n| n.nodes.iter().all(|x| x.msgs.len() == 1))
        );
        assert_eq!(net.nodes[1].msgs[0].4, body(seed, 0, 3000));
        assert_eq!(net.nodes[0].msgs[0].4, body(seed, 1, 3000));
    }
}

/// 5.2.1 in detail: an INIT received in COOKIE-WAIT is answered with an
/// INIT ACK carrying the original Initiate Tag and initial TSN, zero
/// tie-tags in the cookie; state and T1-init are left alone.
#[test]
fn init_in_cookie_wait_is_answered_with_the_original_tag() {
    let mut a = Host::new(1, "10.0.0.1", Config::default());
    let peer: SocketAddr = "10.0.1.1:9899".parse().unwrap();
    let now = Instant::ZERO;
    let id = a.connect(now, 4000, 5000, peer);
    let init = as_init(&one(&a.output(now)));
    let t1 = a.get(id).poll_timeout();
    let later = now + Duration::from_millis(300);
    let r = one(&a.input(later, peer, &init_pkt(5000, 4000, 0x0C0C_0001, 77, vec![])));
    assert_eq!(r.dst, peer);
    let h = r.hdr();
    assert_eq!((h.src_port, h.dst_port, h.vtag), (4000, 5000, 0x0C0C_0001));
    let ia = as_init_ack(&r);
    assert_eq!((ia.initiate_tag, ia.initial_tsn), (init.initiate_tag, init.initial_tsn));
    let c = Cookie::decode(&a.secret(), ia.params.cookie.as_ref().unwrap(), later).unwrap();
    assert_eq!((c.local_tag, c.peer_tag), (init.initiate_tag, 0x0C0C_0001));
    assert_eq!((c.local_tie_tag, c.peer_tie_tag), (0, 0));
    assert_eq!(c.peer_initial_tsn, 77);
    let s = a.get(id);
    assert_eq!(s.state(), AssocState::CookieWait);
    assert_eq!(s.peer_tag(), 0);
    assert_eq!(s.poll_timeout(), t1, "T1-init must be left running unchanged");
    assert!(a.notable_events().is_empty());
    // 5.2.1 rule 1: an INIT from an address the user did not pass gets no
    // INIT ACK from this association (it is a different association).
    let stranger: SocketAddr = "10.0.7.7:9899".parse().unwrap();
    let r = a.input(later, stranger, &init_pkt(5000, 4000, 0x0C0C_0002, 1, vec![]));
    assert!(r.iter().all(|d| d.first_type() != CHUNK_INIT_ACK), "{:?}", show(&r));
    assert_eq!(a.get(id).state(), AssocState::CookieWait);
}

/// 5.2.1 (COOKIE-ECHOED): A has echoed B's first cookie (B1) when B's own
/// INIT (tag B2) arrives. A answers with its original tag and populates
/// the tie-tags (A, B1) in the cookie; B's COOKIE ECHO then hits case B
/// of 5.2.4 (A adopts B2), the held first COOKIE ECHO is a late cookie
/// at B (case C), and both sides end with one association, matching tags.
#[test]
fn init_collision_in_cookie_echoed_populates_tie_tags() {
    let mut lab = lab_pair(Config::default(), Config::default());
    let now = lab.now;
    let (aaddr, baddr) = (lab.hosts[A].addr(), lab.hosts[B].addr());
    let ida = lab.h(A).connect(now, 4000, 5000, baddr);
    let init_a = as_init(&one(&lab.h(A).output(now)));
    let init_a_pkt = init_pkt(4000, 5000, init_a.initiate_tag, init_a.initial_tsn, vec![]);
    let ia1_d = one(&lab.h(B).input(now, aaddr, &init_a_pkt));
    let b1 = as_init_ack(&ia1_d).initiate_tag;
    let ce1 = one(&lab.h(A).input(now, baddr, &ia1_d.data)); // held
    assert_eq!(ce1.hdr().vtag, b1);
    assert_eq!(lab.h(A).get(ida).state(), AssocState::CookieEchoed);
    let a_tag = lab.h(A).get(ida).local_tag();
    let t1 = lab.h(A).get(ida).poll_timeout();

    // B's application connects to A: INIT with B2.
    let idb = lab.h(B).connect(now, 5000, 4000, aaddr);
    let init_b_d = one(&lab.h(B).output(now));
    let b2 = as_init(&init_b_d).initiate_tag;
    assert_ne!(b1, b2);

    let ia2_d = one(&lab.h(A).input(now, baddr, &init_b_d.data));
    assert_eq!(ia2_d.hdr().vtag, b2);
    let ia2 = as_init_ack(&ia2_d);
    assert_eq!((ia2.initiate_tag, ia2.initial_tsn), (a_tag, init_a.initial_tsn));
    let c =
        Cookie::decode(&lab.hosts[A].secret(), ia2.params.cookie.as_ref().unwrap(), now).unwrap();
    assert_eq!((c.local_tag, c.peer_tag), (a_tag, b2));
    assert_eq!((c.local_tie_tag, c.peer_tie_tag), (a_tag, b1), "tie-tags must be populated");
    let s = lab.h(A).get(ida);
    assert_eq!((s.state(), s.peer_tag(), s.poll_timeout()), (AssocState::CookieEchoed, b1, t1));

    // B: COOKIE-WAIT -> COOKIE-ECHOED with A's tag.
    let ce2 = one(&lab.h(B).input(now, aaddr, &ia2_d.data));
    assert_eq!(ce2.hdr().vtag, a_tag);
    assert_eq!(lab.h(B).get(idb).state(), AssocState::CookieEchoed);

    // A: case B - adopt B2, ESTABLISHED, COOKIE ACK with B2.
    let ack = one(&lab.h(A).input(now, baddr, &ce2.data));
    assert_eq!((ack.hdr().vtag, ack.types()), (b2, vec![CHUNK_COOKIE_ACK]));
    let s = lab.h(A).get(ida);
    assert_eq!((s.state(), s.local_tag(), s.peer_tag()), (AssocState::Established, a_tag, b2));
    assert_eq!(lab.hosts[A].comm_ups(false), 1);

    none(&lab.h(B).input(now, aaddr, &ack.data));
    let s = lab.h(B).get(idb);
    assert_eq!((s.state(), s.local_tag(), s.peer_tag()), (AssocState::Established, b2, a_tag));
    assert_eq!(lab.hosts[B].comm_ups(false), 1);

    // The held first COOKIE ECHO (cookie for B1) is a late cookie: case C.
    let before = snap(lab.h(B).get(idb));
    none(&lab.h(B).input(now, aaddr, &ce1.data));
    assert_eq!(snap(lab.h(B).get(idb)), before);
    assert_eq!(lab.hosts[B].comm_ups(false), 1);

    for h in &lab.hosts {
        assert_eq!(h.ep.assoc_count(), 1);
        assert_eq!(h.assocs.len(), 1);
    }
    let now = lab.now;
    lab.h(A).assoc().send(now, Bytes::from_static(b"a->b"), opts(0, false, 0)).unwrap();
    lab.h(B).assoc().send(now, Bytes::from_static(b"b->a"), opts(0, false, 0)).unwrap();
    lab.run_for(Duration::from_secs(1));
    assert_eq!(&lab.hosts[B].msgs[0].3[..], b"a->b");
    assert_eq!(&lab.hosts[A].msgs[0].3[..], b"b->a");
}

/// 5.2.1: in COOKIE-ECHOED, an INIT that adds a new address to the
/// forming association "MUST be discarded" (an ABORT SHOULD be sent); the
/// state is not changed.
#[test]
fn init_adding_a_new_address_in_cookie_echoed_is_discarded() {
    let mut a = Host::new(1, "10.0.0.1", Config::default());
    let peer: SocketAddr = "10.0.1.1:9899".parse().unwrap();
    let now = Instant::ZERO;
    let id = a.connect(now, 4000, 5000, peer);
    let init = as_init(&one(&a.output(now)));
    let ia = pkt(5000, 4000, init.initiate_tag, |b| {
        let mut c = init_chunk(0x0EC0_0001, 1, vec![]);
        c.params.cookie = Some(Bytes::from_static(b"opaque cookie"));
        c.emit(CHUNK_INIT_ACK, b)
    });
    let ce = one(&a.input(now, peer, &ia));
    assert_eq!(ce.first_type(), CHUNK_COOKIE_ECHO);
    let before = snap(a.get(id));
    let r = a.input(now, peer, &init_pkt(5000, 4000, 0x0EC0_0002, 1, vec![ip("10.0.1.99")]));
    assert!(r.iter().all(|d| d.first_type() != CHUNK_INIT_ACK), "answered with {:?}", show(&r));
    assert_eq!(snap(a.get(id)), before);
}

/// 5.2.4 step 3, case E: a COOKIE ECHO whose cookie has expired but whose
/// tags both match the association (the initiator is still retransmitting
/// because every COOKIE ACK was lost) is valid: COOKIE ACK again.
#[test]
fn expired_duplicate_cookie_echo_with_matching_tags_gets_cookie_ack() {
    let mut lab = lab_pair(Config::default(), Config::default());
    let now = lab.now;
    let (aaddr, baddr) = (lab.hosts[A].addr(), lab.hosts[B].addr());
    lab.h(A).connect(now, 4000, 5000, baddr);
    let init = one(&lab.h(A).output(now));
    let ia = one(&lab.h(B).input(now, aaddr, &init.data));
    let ce = one(&lab.h(A).input(now, baddr, &ia.data));
    let _lost_ack = one(&lab.h(B).input(now, aaddr, &ce.data));
    let late = now + Duration::from_secs(61);
    let r = one(&lab.h(B).input(late, aaddr, &ce.data));
    assert_eq!((r.hdr().vtag, r.types()), (lab.h(A).assoc().local_tag(), vec![CHUNK_COOKIE_ACK]));
}

/// 5.2.4 step 3: an expired cookie whose tags do not match the existing
/// association is discarded and answered with an ERROR (Stale Cookie).
#[test]
fn expired_cookie_with_other_tags_for_existing_association_gets_stale_cookie_error() {
    let mut lab = lab_pair(Config::default(), Config::default());
    let now = lab.now;
    let (aaddr, baddr) = (lab.hosts[A].addr(), lab.hosts[B].addr());
    lab.h(A).connect(now, 4000, 5000, baddr);
    let init = one(&lab.h(A).output(now));
    let ia1 = one(&lab.h(B).input(now, aaddr, &init.data));
    let ia2 = one(&lab.h(B).input(now, aaddr, &init.data)); // never used by A
    let ce = one(&lab.h(A).input(now, baddr, &ia1.data));
    let ack = one(&lab.h(B).input(now, aaddr, &ce.data));
    none(&lab.h(A).input(now, baddr, &ack.data));
    let a_tag = lab.h(A).assoc().local_tag();
    let ia2 = as_init_ack(&ia2);
    let cookie2 = ia2.params.cookie.unwrap();
    let late = now + Duration::from_secs(61);
    let e = pkt(4000, 5000, ia2.initiate_tag, |x| emit_raw(x, CHUNK_COOKIE_ECHO, 0, &cookie2));
    let r = one(&lab.h(B).input(late, aaddr, &e));
    assert_eq!(r.hdr().vtag, a_tag);
    let [Chunk::Error { causes: cs }] = &r.chunks()[..] else { panic!("{:?}", r.chunks()) };
    assert_eq!(causes(cs), vec![Cause::StaleCookie(1_000_000)]);
    assert_eq!(lab.h(B).assoc().state(), AssocState::Established);
}

/// 5.2.2: an unexpected INIT in ESTABLISHED (no new addresses) gets an
/// INIT ACK with a NEW Initiate Tag, vtag = the INIT's Initiate Tag, the
/// current tags as tie-tags in the cookie; the association is untouched.
#[test]
fn unexpected_init_in_established_gets_init_ack_with_new_tag() {
    let mut lab = established(Config::default(), Config::default());
    let now = lab.now;
    let aaddr = lab.hosts[A].addr();
    lab.h(B).events.clear();
    let before = snap(lab.h(B).assoc());
    let (bl, bp) = before.tags;
    let r = one(&lab.h(B).input(now, aaddr, &init_pkt(4000, 5000, 0x7777_7777, 5, vec![])));
    assert_eq!(r.dst, aaddr);
    assert_eq!(r.hdr().vtag, 0x7777_7777);
    let ia = as_init_ack(&r);
    assert_ne!(ia.initiate_tag, 0);
    assert_ne!(ia.initiate_tag, bl, "5.2.2: the INIT ACK needs a new Initiate Tag");
    let c =
        Cookie::decode(&lab.hosts[B].secret(), ia.params.cookie.as_ref().unwrap(), now).unwrap();
    assert_eq!((c.local_tag, c.peer_tag), (ia.initiate_tag, 0x7777_7777));
    assert_eq!((c.local_tie_tag, c.peer_tie_tag), (bl, bp));
    assert_eq!(snap(lab.h(B).assoc()), before, "5.2.2: the TCB must not change");
    assert!(lab.hosts[B].notable_events().is_empty());
    // The association still works.
    lab.h(A).assoc().send(now, Bytes::from_static(b"still here"), opts(0, false, 0)).unwrap();
    lab.run_for(Duration::from_secs(1));
    assert_eq!(&lab.hosts[B].msgs.last().unwrap().3[..], b"still here");
}

/// 9.2: in SHUTDOWN-ACK-SENT an INIT is discarded and the SHUTDOWN ACK
/// retransmitted (no INIT ACK); the shutdown then completes.
#[test]
fn init_in_shutdown_ack_sent_retransmits_shutdown_ack() {
    let mut lab = established(Config::default(), Config::default());
    lab.h(B).events.clear();
    let now = lab.now;
    let (aaddr, baddr) = (lab.hosts[A].addr(), lab.hosts[B].addr());
    let a_tag = lab.h(A).assoc().local_tag();
    let b_tag = lab.h(B).assoc().local_tag();
    lab.h(A).assoc().shutdown(now);
    let sd = one(&lab.h(A).output(now));
    assert_eq!((sd.hdr().vtag, sd.types()), (b_tag, vec![CHUNK_SHUTDOWN]));
    let sa = one(&lab.h(B).input(now, aaddr, &sd.data));
    assert_eq!((sa.hdr().vtag, sa.types()), (a_tag, vec![CHUNK_SHUTDOWN_ACK]));
    assert_eq!(lab.h(B).assoc().state(), AssocState::ShutdownAckSent);

    let r = one(&lab.h(B).input(now, aaddr, &init_pkt(4000, 5000, 0x1717_1717, 1, vec![])));
    assert_eq!(r.dst, aaddr);
    assert_eq!((r.hdr().vtag, r.types()), (a_tag, vec![CHUNK_SHUTDOWN_ACK]));
    assert_eq!(lab.h(B).assoc().state(), AssocState::ShutdownAckSent);

    let sc = one(&lab.h(A).input(now, baddr, &r.data));
    assert_eq!((sc.hdr().vtag, sc.chunks()), (b_tag, vec![Chunk::ShutdownComplete { t: false }]));
    none(&lab.h(B).input(now, aaddr, &sc.data));
    assert_eq!(lab.h(B).assoc().state(), AssocState::Closed);
    assert_eq!(
        lab.hosts[B].notable_events(),
        vec![AssocEvent::PeerShutdown, AssocEvent::ShutdownComplete]
    );
}

/// 5.2.2: an INIT from a known address that adds a new address is
/// answered with ABORT (vtag = its Initiate Tag, T=0) with the cause
/// "Restart of an Association with New Addresses" listing the new one.
#[test]
fn init_adding_a_new_address_in_established_is_aborted_with_cause_11() {
    let mut lab = established(Config::default(), Config::default());
    let now = lab.now;
    let aaddr = lab.hosts[A].addr();
    lab.h(B).events.clear();
    let before = snap(lab.h(B).assoc());
    let p = init_pkt(4000, 5000, 0x1111_2222, 9, vec![ip("10.0.0.1"), ip("10.0.0.99")]);
    let r = one(&lab.h(B).input(now, aaddr, &p));
    assert_eq!(r.dst, aaddr);
    assert_eq!(r.hdr().vtag, 0x1111_2222);
    let [Chunk::Abort { t: false, causes: cs }] = &r.chunks()[..] else {
        panic!("expected ABORT(T=0), got {:?}", r.chunks())
    };
    assert_eq!(
        causes(cs),
        vec![Cause::RestartWithNewAddrs(Bytes::from_static(&[0, 5, 0, 8, 10, 0, 0, 99]))]
    );
    assert_eq!(snap(lab.h(B).assoc()), before);
    assert!(lab.hosts[B].notable_events().is_empty());
}

/// 5.1.2 D / 5.2.2: an INIT from a new source address whose address
/// parameters name a known peer address belongs to the existing
/// association and adds a new address: ABORT with cause 11.
#[test]
fn init_from_new_address_listing_a_known_one_is_aborted() {
    let mut lab = established(Config::default(), Config::default());
    let now = lab.now;
    let newaddr: SocketAddr = "10.0.0.99:9899".parse().unwrap();
    let p = init_pkt(4000, 5000, 0x1111_3333, 9, vec![ip("10.0.0.99"), ip("10.0.0.1")]);
    let r = one(&lab.h(B).input(now, newaddr, &p));
    assert_eq!(r.hdr().vtag, 0x1111_3333);
    let [Chunk::Abort { t: false, causes: cs }] = &r.chunks()[..] else {
        panic!("expected ABORT(T=0), got {:?}", r.chunks())
    };
    assert_eq!(causes(cs)[0].code(), 11);
    assert_eq!(lab.hosts[B].ep.assoc_count(), 1);
}

/// RFC 6951bis 5.5 rule 7: an encapsulated INIT from a known address but
/// another UDP source port than the stored remote encapsulation port gets
/// an ABORT sent back to that port (vtag = Initiate Tag, T=0); the stored
/// port is not updated.
#[test]
fn init_from_known_address_with_other_udp_port_is_aborted() {
    let mut lab = established(Config::default(), Config::default());
    let now = lab.now;
    let odd: SocketAddr = "10.0.0.1:40000".parse().unwrap();
    lab.h(B).events.clear();
    let before = snap(lab.h(B).assoc());
    let r = one(&lab.h(B).input(now, odd, &init_pkt(4000, 5000, 0x2222_3333, 9, vec![])));
    assert_eq!(r.dst, odd, "the ABORT goes to the INIT's UDP source port");
    let h = r.hdr();
    assert_eq!((h.src_port, h.dst_port, h.vtag), (5000, 4000, 0x2222_3333));
    let [Chunk::Abort { t: false, causes: cs }] = &r.chunks()[..] else {
        panic!("expected ABORT(T=0), got {:?}", r.chunks())
    };
    // The optional cause 14: current port 9899, new port 40000.
    assert_eq!(
        causes(cs),
        vec![Cause::Other { code: 14, value: Bytes::from_static(&[0x26, 0xab, 0x9c, 0x40]) }]
    );
    assert_eq!(snap(lab.h(B).assoc()), before);
    assert_eq!(lab.h(B).assoc().paths()[0].encap_port, UDP);
    assert!(lab.hosts[B].notable_events().is_empty());
}

// ---------------------------------------------------------------------
// 5.2.4 - 5.2.6: COOKIE ECHO when a TCB exists, stale and bad cookies
// ---------------------------------------------------------------------

/// 5.2.4 case D: a retransmitted COOKIE ECHO (our COOKIE ACK was lost)
/// gets another COOKIE ACK and no second COMM_UP; the duplicate COOKIE
/// ACK is silently discarded by the initiator (5.2.5).
#[test]
fn duplicate_cookie_echo_gets_cookie_ack_without_second_comm_up() {
    let mut lab = lab_pair(Config::default(), Config::default());
    let now = lab.now;
    let (aaddr, baddr) = (lab.hosts[A].addr(), lab.hosts[B].addr());
    lab.h(A).connect(now, 4000, 5000, baddr);
    let init = one(&lab.h(A).output(now));
    let ia = one(&lab.h(B).input(now, aaddr, &init.data));
    let ce = one(&lab.h(A).input(now, baddr, &ia.data));
    let ack1 = one(&lab.h(B).input(now, aaddr, &ce.data));
    none(&lab.h(A).input(now, baddr, &ack1.data));
    let before_b = snap(lab.h(B).assoc());
    let before_a = snap(lab.h(A).assoc());

    let later = now + Duration::from_millis(700);
    let ack2 = one(&lab.h(B).input(later, aaddr, &ce.data));
    assert_eq!(ack2.types(), vec![CHUNK_COOKIE_ACK]);
    assert_eq!(ack2.hdr().vtag, before_a.tags.0);
    assert_eq!(lab.hosts[B].comm_ups(false), 1);
    assert_eq!(lab.hosts[B].comm_ups(true), 0);
    assert_eq!(lab.hosts[B].ep.assoc_count(), 1);
    assert_eq!(snap(lab.h(B).assoc()).tags, before_b.tags);

    none(&lab.h(A).input(later, baddr, &ack2.data));
    assert_eq!(lab.hosts[A].comm_ups(false), 1);
    assert_eq!(snap(lab.h(A).assoc()).tags, before_a.tags);
    assert_eq!(lab.h(A).assoc().state(), AssocState::Established);
}

/// 5.1.5 step 3: a COOKIE ECHO with a cookie older than Valid.Cookie.Life
/// gets an ERROR with a Stale Cookie cause (staleness in microseconds),
/// vtag = the peer's tag from the cookie; no association is created. A
/// cookie exactly at the end of its life is still good.
#[test]
fn stale_cookie_echo_gets_stale_cookie_error() {
    let mut b = Host::new(2, "10.0.1.1", Config::default());
    b.listen(5000);
    let t0 = Instant::ZERO;
    let p1: SocketAddr = "10.0.0.1:9899".parse().unwrap();
    let p2: SocketAddr = "10.0.0.2:9899".parse().unwrap();
    let ia1 = as_init_ack(&one(&b.input(t0, p1, &init_pkt(4000, 5000, 0xABCD_0001, 1, vec![]))));
    let ia2 = as_init_ack(&one(&b.input(t0, p2, &init_pkt(4000, 5000, 0xABCD_0002, 1, vec![]))));
    let echo = |ia: &InitChunk| {
        let c = ia.params.cookie.clone().unwrap();
        pkt(4000, 5000, ia.initiate_tag, |x| emit_raw(x, CHUNK_COOKIE_ECHO, 0, &c))
    };
    // At exactly Valid.Cookie.Life (60 s): accepted.
    let ok = one(&b.input(t0 + Duration::from_secs(60), p2, &echo(&ia2)));
    assert_eq!((ok.hdr().vtag, ok.types()), (0xABCD_0002, vec![CHUNK_COOKIE_ACK]));
    // One second later than that: stale by 1_000_000 us.
    let r = one(&b.input(t0 + Duration::from_secs(61), p1, &echo(&ia1)));
    assert_eq!(r.dst, p1);
    let h = r.hdr();
    assert_eq!((h.src_port, h.dst_port, h.vtag), (5000, 4000, 0xABCD_0001));
    let [Chunk::Error { causes: cs }] = &r.chunks()[..] else {
        panic!("expected a lone ERROR, got {:?}", r.chunks())
    };
    assert_eq!(causes(cs), vec![Cause::StaleCookie(1_000_000)]);
    assert_eq!(b.ep.assoc_count(), 1, "only the fresh cookie made an association");
}

/// 5.2.6 option 3: on a Stale Cookie error in COOKIE-ECHOED the initiator
/// sends a new INIT with a Cookie Preservative (twice the staleness, in
/// ms) and the association comes up with the longer-lived cookie.
#[test]
fn stale_cookie_error_makes_initiator_retry_with_cookie_preservative() {
    let cfg_b = Config { valid_cookie_life: Duration::from_millis(150), ..Config::default() };
    let mut lab = lab_pair(Config::default(), cfg_b);
    lab.delay = Duration::from_millis(100);
    let (now, baddr) = (lab.now, lab.hosts[B].addr());
    lab.h(A).connect(now, 4000, 5000, baddr);
    assert!(lab.run_until(Duration::from_secs(3), |l| is_established(&mut l.hosts[A])));
    let kinds: Vec<(u8, IpAddr)> =
        lab.log.iter().map(|(_, d)| (d.first_type(), d.src.ip())).collect();
    let (ia, ib) = (ip("10.0.0.1"), ip("10.0.1.1"));
    assert_eq!(
        kinds,
        vec![
            (CHUNK_INIT, ia),
            (CHUNK_INIT_ACK, ib),
            (CHUNK_COOKIE_ECHO, ia),
            (CHUNK_ERROR, ib),
            (CHUNK_INIT, ia),
            (CHUNK_INIT_ACK, ib),
            (CHUNK_COOKIE_ECHO, ia),
            (CHUNK_COOKIE_ACK, ib),
        ]
    );
    // Cookie made at 100 ms, lives 150 ms, echoed at 300 ms: 50 ms stale.
    let err = lab.log[3].1.clone();
    assert_eq!(err.hdr().vtag, lab.h(A).assoc().local_tag());
    let [Chunk::Error { causes: cs }] = &err.chunks()[..] else { panic!() };
    assert_eq!(causes(cs), vec![Cause::StaleCookie(50_000)]);
    let init2 = as_init(&lab.log[4].1);
    assert_eq!(init2.params.cookie_preservative, Some(100));
    assert_eq!(init2.initiate_tag, as_init(&lab.log[0].1).initiate_tag);
    assert_eq!(lab.hosts[A].notable_events(), vec![AssocEvent::CommUp { restart: false }]);
}

/// 5.1.5 step 2: a COOKIE ECHO whose cookie fails authentication (any
/// byte changed), or that is sent with a wrong vtag or to another port,
/// is silently discarded; the genuine one still works afterwards.
#[test]
fn tampered_cookie_echo_is_silently_discarded() {
    let mut b = Host::new(2, "10.0.1.1", Config::default());
    b.listen(5000);
    b.listen(5001);
    let now = Instant::ZERO;
    let p: SocketAddr = "10.0.0.1:9899".parse().unwrap();
    let ia = as_init_ack(&one(&b.input(now, p, &init_pkt(4000, 5000, 0xC00C_0001, 1, vec![]))));
    let cookie = ia.params.cookie.clone().unwrap().to_vec();
    for i in [0, 1, 9, cookie.len() / 2, cookie.len() - 33, cookie.len() - 1] {
        let mut bad = cookie.clone();
        bad[i] ^= 0x40;
        let e = pkt(4000, 5000, ia.initiate_tag, |x| emit_raw(x, CHUNK_COOKIE_ECHO, 0, &bad));
        none(&b.input(now, p, &e));
    }
    // Truncated and extended cookies.
    for bad in [cookie[..cookie.len() - 1].to_vec(), [cookie.clone(), vec![0]].concat(), vec![]] {
        let e = pkt(4000, 5000, ia.initiate_tag, |x| emit_raw(x, CHUNK_COOKIE_ECHO, 0, &bad));
        none(&b.input(now, p, &e));
    }
    // Genuine cookie, wrong verification tag / other SCTP ports.
    for (sp, dp, vtag) in [
        (4000, 5000, ia.initiate_tag ^ 1),
        (4000, 5001, ia.initiate_tag),
        (4001, 5000, ia.initiate_tag),
    ] {
        let e = pkt(sp, dp, vtag, |x| emit_raw(x, CHUNK_COOKIE_ECHO, 0, &cookie));
        none(&b.input(now, p, &e));
    }
    assert_eq!(b.ep.assoc_count(), 0);
    let e = pkt(4000, 5000, ia.initiate_tag, |x| emit_raw(x, CHUNK_COOKIE_ECHO, 0, &cookie));
    assert_eq!(one(&b.input(now, p, &e)).types(), vec![CHUNK_COOKIE_ACK]);
    assert_eq!(b.ep.assoc_count(), 1);
}

/// 5.2.4 case C: B answered a duplicate INIT with a second cookie (tag
/// B2) that A never used; when that cookie shows up after the association
/// was made with B1 (local tag X, peer tag M, no tie-tags) it is silently
/// discarded, and the duplicate INIT ACK is discarded by A (5.2.3).
#[test]
fn late_cookie_echo_is_discarded() {
    let mut lab = lab_pair(Config::default(), Config::default());
    let now = lab.now;
    let (aaddr, baddr) = (lab.hosts[A].addr(), lab.hosts[B].addr());
    lab.h(A).connect(now, 4000, 5000, baddr);
    let init = one(&lab.h(A).output(now));
    let ia1 = one(&lab.h(B).input(now, aaddr, &init.data));
    let ia2 = one(&lab.h(B).input(now, aaddr, &init.data)); // a duplicate INIT
    let (b1, b2) = (as_init_ack(&ia1).initiate_tag, as_init_ack(&ia2).initiate_tag);
    assert_ne!(b1, b2);
    let ce = one(&lab.h(A).input(now, baddr, &ia1.data));
    let ack = one(&lab.h(B).input(now, aaddr, &ce.data));
    none(&lab.h(A).input(now, baddr, &ack.data));
    lab.h(A).events.clear();
    lab.h(B).events.clear();
    let before_b = snap(lab.h(B).assoc());
    let before_a = snap(lab.h(A).assoc());

    let cookie2 = as_init_ack(&ia2).params.cookie.unwrap();
    let late = pkt(4000, 5000, b2, |x| emit_raw(x, CHUNK_COOKIE_ECHO, 0, &cookie2));
    none(&lab.h(B).input(now, aaddr, &late));
    assert_eq!(snap(lab.h(B).assoc()), before_b);
    assert!(lab.hosts[B].events.is_empty());

    none(&lab.h(A).input(now, baddr, &ia2.data));
    assert_eq!(snap(lab.h(A).assoc()), before_a);
    assert!(lab.hosts[A].events.is_empty());
}

/// 5.2.4 case A with 5.2.4.1: the client host "restarts" (a fresh
/// endpoint, same address and ports) and connects again. The server
/// reports RESTART, keeps one association (now with the new tags), and
/// data flows both ways on it.
#[test]
fn peer_restart_is_reported_as_restart() {
    let a = Node::new(1, vec![ip("10.0.0.1")], UDP, Config::default());
    let mut b = Node::new(2, vec![ip("10.0.1.1")], UDP, Config::default());
    b.listen(5000);
    let mut net = Net::new(7, vec![a, b]);
    net.connect(0, 1, 4000, 5000);
    assert!(net.run_until(Duration::from_secs(5), |n| n
        .nodes
        .iter()
        .all(|x| x.has_event(|e| matches!(e, AssocEvent::CommUp { .. })))));
    let now = net.now;
    net.nodes[0].assoc().send(now, body(1, 0, 2000), opts(0, false, 0)).unwrap();
    assert!(net.run_until(Duration::from_secs(5), |n| n.nodes[1].msgs.len() == 1));
    let old_id = *net.nodes[1].assocs.keys().next().unwrap();
    let old_b_tag = net.nodes[1].assoc().local_tag();

    // Node 0 restarts.
    net.nodes[0] = Node::new(99, vec![ip("10.0.0.1")], UDP, Config::default());
    net.connect(0, 1, 4000, 5000);
    assert!(net.run_until(Duration::from_secs(10), |n| {
        n.nodes[0].has_event(|e| *e == AssocEvent::CommUp { restart: false })
            && n.nodes[1].has_event(|e| *e == AssocEvent::CommUp { restart: true })
    }));
    assert_eq!(net.nodes[1].assocs.len(), 1);
    assert_eq!(net.nodes[1].ep.assoc_count(), 1);
    assert_eq!(*net.nodes[1].assocs.keys().next().unwrap(), old_id);
    let (l0, p0) = (net.nodes[0].assoc().local_tag(), net.nodes[0].assoc().peer_tag());
    let b = net.nodes[1].assoc();
    assert_eq!(b.state(), AssocState::Established);
    assert_eq!((b.local_tag(), b.peer_tag()), (p0, l0));
    assert_ne!(b.local_tag(), old_b_tag, "a restart uses the new INIT ACK's tag");
    assert!(!net.nodes[1].has_event(|e| matches!(e, AssocEvent::CommLost(_))));

    let now = net.now;
    for i in 0..5u64 {
        net.nodes[0]
            .assoc()
            .send(now, body(2, i, 100 + 700 * i as usize), opts(1, false, 10))
            .unwrap();
        net.nodes[1]
            .assoc()
            .send(now, body(3, i, 100 + 900 * i as usize), opts(2, false, 20))
            .unwrap();
    }
    assert!(net.run_until(Duration::from_secs(10), |n| n.nodes[1].msgs.len() == 6
        && n.nodes[0].msgs.len() == 5));
    for i in 0..5u64 {
        assert_eq!(net.nodes[1].msgs[1 + i as usize].4, body(2, i, 100 + 700 * i as usize));
        assert_eq!(net.nodes[0].msgs[i as usize].4, body(3, i, 100 + 900 * i as usize));
    }
}

/// The same restart, with exact chunks: the INIT from the known address
/// gets an INIT ACK with tie-tags = the current tags; its cookie is case A;
/// data queued on the old association is reported as failed.
#[test]
fn restart_cookie_is_case_a_and_fails_old_data() {
    let (mut b, s) = server_with_script(Config::default());
    let now = Instant::from_millis(100);
    // Data queued towards the old incarnation, never acknowledged.
    b.assoc().send(now, Bytes::from_static(b"lost"), opts(0, false, 5)).unwrap();
    let _ = b.output(now);
    let (bl, bp) = (b.assoc().local_tag(), b.assoc().peer_tag());
    let ia =
        as_init_ack(&one(&b.input(now, s.addr, &init_pkt(4000, 5000, 0x0E0E_0002, 50, vec![]))));
    let c = Cookie::decode(&b.secret(), ia.params.cookie.as_ref().unwrap(), now).unwrap();
    assert_eq!((c.local_tie_tag, c.peer_tie_tag), (bl, bp));
    let cookie = ia.params.cookie.unwrap();
    let echo = pkt(4000, 5000, ia.initiate_tag, |x| emit_raw(x, CHUNK_COOKIE_ECHO, 0, &cookie));
    let ack = one(&b.input(now, s.addr, &echo));
    assert_eq!((ack.hdr().vtag, ack.types()), (0x0E0E_0002, vec![CHUNK_COOKIE_ACK]));
    let a = b.assoc();
    assert_eq!(
        (a.state(), a.local_tag(), a.peer_tag()),
        (AssocState::Established, ia.initiate_tag, 0x0E0E_0002)
    );
    assert_eq!(a.buffered_amount(), 0);
    let ev = b.notable_events();
    assert!(ev.contains(&AssocEvent::CommUp { restart: true }), "{ev:?}");
    assert!(
        ev.iter().any(
            |e| matches!(e, AssocEvent::SendFailed { ppid: 5, data, .. } if &data[..] == b"lost")
        ),
        "{ev:?}"
    );
    // The receiver restarted at the new peer's initial TSN.
    let d = pkt(4000, 5000, ia.initiate_tag, |x| {
        DataChunk::emit(x, BE | DATA_FLAG_IMMEDIATE, 50, 0, 0, 9, b"new")
    });
    let sack = one(&b.input(now, s.addr, &d));
    let [Chunk::Sack(sk)] = &sack.chunks()[..] else { panic!("{:?}", sack.chunks()) };
    assert_eq!(sk.cum_tsn_ack, 50);
    assert_eq!(&b.msgs.last().unwrap().3[..], b"new");
}

// ---------------------------------------------------------------------
// 8.5.1 B: ABORT and the T bit; 8.5: blind packets
// ---------------------------------------------------------------------

/// ABORT is accepted only with our own tag and T=0, or the peer's tag and
/// T=1; anything else is ignored without a trace. An accepted ABORT ends
/// the association with COMM_LOST and is never answered (9.1).
#[test]
fn abort_t_bit_rules() {
    let (mut b, s) = server_with_script(Config::default());
    let now = Instant::from_millis(10);
    let (own, peer) = (s.host_tag, s.tag);
    let before = snap(b.assoc());
    let mut reason = Vec::new();
    Cause::UserInitiatedAbort(Bytes::from_static(b"bye")).emit(&mut reason);
    for (vtag, flags) in
        [(own, FLAG_T), (peer, 0), (own ^ 0x100, 0), (own ^ 0x100, FLAG_T), (0, FLAG_T), (0, 0)]
    {
        none(&b.input(now, s.addr, &s.pkt(vtag, |x| emit_raw(x, CHUNK_ABORT, flags, &reason))));
        assert_eq!(snap(b.assoc()), before, "ABORT vtag={vtag:#x} flags={flags} must be ignored");
        assert!(b.events.is_empty());
    }
    none(&b.input(now, s.addr, &s.pkt(own, |x| emit_raw(x, CHUNK_ABORT, 0, &reason))));
    assert_eq!(b.assoc().state(), AssocState::Closed);
    assert_eq!(
        b.notable_events(),
        vec![AssocEvent::CommLost(LostReason::PeerAbort(Bytes::from(reason.clone())))]
    );
    assert_eq!(b.ep.assoc_count(), 0);
    assert_eq!(b.assoc().poll_timeout(), None);

    // T=1 with the peer's tag, on a second association.
    let s2 = scripted_handshake(&mut b, now, "10.0.0.2:9899".parse().unwrap(), 0x5C5C_0002, 1);
    b.events.clear();
    none(&b.input(now, s2.addr, &s2.pkt(s2.tag, |x| emit_raw(x, CHUNK_ABORT, FLAG_T, &[]))));
    assert_eq!(b.assoc().state(), AssocState::Closed);
    assert_eq!(b.notable_events(), vec![AssocEvent::CommLost(LostReason::PeerAbort(Bytes::new()))]);
}

/// 8.5: packets with a wrong Verification Tag (here also from another UDP
/// port) are dropped: nothing is sent, nothing changes (not even the
/// remote encapsulation port, RFC 6951 5.4), no event.
#[test]
fn blind_packets_with_a_wrong_vtag_are_ignored() {
    let mut lab = established(Config::default(), Config::default());
    let now = lab.now;
    lab.h(A).assoc().send(now, body(5, 0, 3000), opts(0, false, 0)).unwrap();
    lab.h(B).assoc().send(now, body(5, 1, 3000), opts(0, false, 0)).unwrap();
    lab.run_for(Duration::from_secs(1));
    lab.h(B).events.clear();
    let b = lab.h(B).assoc();
    let (own, peer, next, cum) = (b.local_tag(), b.peer_tag(), b.next_tsn(), b.rx_cum_tsn());
    let before = snap(b);
    let blind: SocketAddr = "10.0.0.1:41000".parse().unwrap();
    let chunks: Vec<(&str, Emit)> = vec![
        ("DATA", Box::new(move |x| DataChunk::emit(x, BE, cum.wrapping_add(1), 0, 1, 0, b"evil"))),
        ("SACK", Box::new(move |x| SackChunk::emit(x, next.wrapping_sub(1), 1 << 20, &[], &[]))),
        ("SHUTDOWN", Box::new(move |x| emit_shutdown(x, next.wrapping_sub(1)))),
        ("ABORT T=0", Box::new(|x| emit_raw(x, CHUNK_ABORT, 0, &[]))),
        ("ABORT T=1", Box::new(|x| emit_raw(x, CHUNK_ABORT, FLAG_T, &[]))),
        ("HEARTBEAT", Box::new(|x| emit_heartbeat(x, CHUNK_HEARTBEAT, b"probe"))),
        ("SHUTDOWN ACK", Box::new(|x| emit_raw(x, CHUNK_SHUTDOWN_ACK, 0, &[]))),
        ("SHUTDOWN COMPLETE", Box::new(|x| emit_raw(x, CHUNK_SHUTDOWN_COMPLETE, 0, &[]))),
        ("ERROR", Box::new(|x| emit_raw(x, CHUNK_ERROR, 0, &[0, 4, 0, 4]))),
        ("COOKIE ACK", Box::new(|x| emit_raw(x, CHUNK_COOKIE_ACK, 0, &[]))),
    ];
    for wrong in [own ^ 0x8000_0000, own.wrapping_add(1), peer, 0, 0xFFFF_FFFF] {
        for (name, c) in &chunks {
            if wrong == peer && *name == "ABORT T=1" {
                continue; // that one is legitimate
            }
            for src in [blind, lab.hosts[A].addr()] {
                let r = lab.h(B).input(now, src, &pkt(4000, 5000, wrong, |x| c(x)));
                assert!(r.is_empty(), "{name} with vtag {wrong:#x} from {src}: {:?}", show(&r));
                assert_eq!(
                    snap(lab.h(B).assoc()),
                    before,
                    "{name} with vtag {wrong:#x} from {src}"
                );
            }
        }
    }
    assert!(lab.hosts[B].events.is_empty(), "{:?}", lab.hosts[B].events);
    assert_eq!(lab.hosts[B].msgs.len(), 1);
}

// ---------------------------------------------------------------------
// 8.4: out-of-the-blue packets
// ---------------------------------------------------------------------

/// 8.4 rules 2, 5-8 at an endpoint without an association, for every kind
/// of packet; replies go to the packet's own (unusual) UDP source port
/// with the ports swapped (draft-tuexen-tsvwg-sctp-udp-encaps-cons 3).
#[test]
fn ootb_packets_at_an_endpoint_without_association() {
    for listening in [true, false] {
        let mut b = Host::new(2, "10.0.1.1", Config::default());
        if listening {
            b.listen(5000);
        }
        let src: SocketAddr = "10.0.0.5:40001".parse().unwrap();
        let vtag = 0x0BAD_CAFE;
        let send = |b: &mut Host, f: &dyn Fn(&mut Vec<u8>)| {
            b.input(Instant::ZERO, src, &pkt(7000, 5000, vtag, f))
        };
        let mut stale = Vec::new();
        Cause::StaleCookie(5).emit(&mut stale);
        let mut other = Vec::new();
        Cause::InvalidStream(3).emit(&mut other);
        // Rule 2: ABORT (either T bit, even bundled after other chunks).
        none(&send(&mut b, &|x| emit_raw(x, CHUNK_ABORT, 0, &[])));
        none(&send(&mut b, &|x| emit_raw(x, CHUNK_ABORT, FLAG_T, &[])));
        none(&send(&mut b, &|x| {
            DataChunk::emit(x, BE, 1, 0, 0, 0, b"d");
            emit_raw(x, CHUNK_ABORT, 0, &[]);
        }));
        // Rule 6: SHUTDOWN COMPLETE; rule 7: COOKIE ACK, ERROR(stale cookie).
        none(&send(&mut b, &|x| emit_raw(x, CHUNK_SHUTDOWN_COMPLETE, 0, &[])));
        none(&send(&mut b, &|x| emit_raw(x, CHUNK_SHUTDOWN_COMPLETE, FLAG_T, &[])));
        none(&send(&mut b, &|x| emit_raw(x, CHUNK_COOKIE_ACK, 0, &[])));
        none(&send(&mut b, &|x| emit_raw(x, CHUNK_ERROR, 0, &stale)));
        // Rule 5: SHUTDOWN ACK -> SHUTDOWN COMPLETE, T=1, the packet's vtag.
        let r = one(&send(&mut b, &|x| emit_raw(x, CHUNK_SHUTDOWN_ACK, 0, &[])));
        assert_eq!(r.dst, src);
        let h = r.hdr();
        assert_eq!((h.src_port, h.dst_port, h.vtag), (5000, 7000, vtag));
        assert_eq!(r.chunks(), vec![Chunk::ShutdownComplete { t: true }]);
        assert_eq!(r.data[13], FLAG_T);
        // Rule 8: everything else -> ABORT, T=1, the packet's vtag.
        let rule8: Vec<(&str, Emit)> = vec![
            ("DATA", Box::new(|x| DataChunk::emit(x, BE, 1, 0, 0, 0, b"d"))),
            ("SACK", Box::new(|x| SackChunk::emit(x, 1, 5000, &[(2, 3)], &[]))),
            ("HEARTBEAT", Box::new(|x| emit_heartbeat(x, CHUNK_HEARTBEAT, b"hi"))),
            ("HEARTBEAT ACK", Box::new(|x| emit_heartbeat(x, CHUNK_HEARTBEAT_ACK, b"hi"))),
            ("SHUTDOWN", Box::new(|x| emit_shutdown(x, 7))),
            ("ERROR (not stale)", Box::new(|x| emit_raw(x, CHUNK_ERROR, 0, &other))),
            ("unknown 0x3f", Box::new(|x| emit_raw(x, 0x3f, 0, &[1, 2, 3, 4]))),
        ];
        for (name, f) in &rule8 {
            let r = one(&send(&mut b, &|x| f(x)));
            assert_eq!(r.dst, src, "{name}");
            let h = r.hdr();
            assert_eq!((h.src_port, h.dst_port, h.vtag), (5000, 7000, vtag), "{name}");
            assert_eq!(r.chunks(), vec![Chunk::Abort { t: true, causes: Bytes::new() }], "{name}");
        }
        // Not even a reply to a corrupt packet or to a non-unicast source.
        let mut bad = pkt(7000, 5000, vtag, |x| DataChunk::emit(x, BE, 1, 0, 0, 0, b"d"));
        bad[20] ^= 1;
        none(&b.input(Instant::ZERO, src, &bad));
        let data = pkt(7000, 5000, vtag, |x| DataChunk::emit(x, BE, 1, 0, 0, 0, b"d"));
        for s in ["255.255.255.255:40001", "224.0.0.1:40001", "0.0.0.0:40001", "[ff02::1]:40001"] {
            none(&b.input(Instant::ZERO, s.parse().unwrap(), &data));
        }
        assert_eq!(b.ep.assoc_count(), 0);
        assert!(b.assocs.is_empty());
    }
}

/// 8.5.1 E and 9.2: a SHUTDOWN ACK received in COOKIE-WAIT (or
/// COOKIE-ECHOED) is treated as OOTB: answered with SHUTDOWN COMPLETE
/// with T=1 and the received vtag; the handshake goes on.
#[test]
fn shutdown_ack_in_cookie_wait_is_answered_as_ootb() {
    let mut a = Host::new(1, "10.0.0.1", Config::default());
    let peer: SocketAddr = "10.0.1.1:9899".parse().unwrap();
    let now = Instant::ZERO;
    a.connect(now, 4000, 5000, peer);
    let _ = a.output(now);
    let r = one(&a.input(
        now,
        peer,
        &pkt(5000, 4000, 0x0DD0_0001, |x| emit_raw(x, CHUNK_SHUTDOWN_ACK, 0, &[])),
    ));
    assert_eq!(r.dst, peer);
    assert_eq!(r.hdr().vtag, 0x0DD0_0001);
    assert_eq!(r.chunks(), vec![Chunk::ShutdownComplete { t: true }]);
    assert_eq!(a.assoc().state(), AssocState::CookieWait);
}

/// The consequence of the bug above (9.2): when the SHUTDOWN COMPLETE is
/// lost, the peer stays in SHUTDOWN-ACK-SENT and answers our new INITs
/// with SHUTDOWN ACKs that the new association ignores; reconnecting on
/// the same ports fails until the old TCB gives up minutes later.
#[test]
fn reconnect_after_lost_shutdown_complete() {
    let mut lab = established(Config::default(), Config::default());
    let now = lab.now;
    lab.h(A).assoc().shutdown(now);
    lab.drop = Box::new(|d: &Dgram| d.first_type() == CHUNK_SHUTDOWN_COMPLETE);
    assert!(lab.run_until(Duration::from_secs(2), |l| l.hosts[A].assoc().is_closed()));
    assert_eq!(lab.h(B).assoc().state(), AssocState::ShutdownAckSent);
    lab.drop = Box::new(|_| false);
    let (now, baddr) = (lab.now, lab.hosts[B].addr());
    let id2 = lab.h(A).connect(now, 4000, 5000, baddr);
    let up = lab.run_until(Duration::from_secs(20), |l| {
        l.hosts[A].count(Some(id2), |e| *e == AssocEvent::CommUp { restart: false }) == 1
    });
    let bstate = lab.h(B).assoc().state();
    assert!(up, "A events {:?}, B state {:?}", lab.hosts[A].events, bstate);
}

// ---------------------------------------------------------------------
// 9.2: graceful shutdown
// ---------------------------------------------------------------------

/// The exact exchange: SHUTDOWN (cum TSN ack) -> SHUTDOWN ACK -> SHUTDOWN
/// COMPLETE (T=0, the peer's tag); events on both sides; a late SHUTDOWN
/// COMPLETE is harmless.
#[test]
fn graceful_shutdown_exact_chunks() {
    let mut lab = established(Config::default(), Config::default());
    let now = lab.now;
    let (aaddr, baddr) = (lab.hosts[A].addr(), lab.hosts[B].addr());
    let (a_tag, b_tag) = (lab.h(A).assoc().local_tag(), lab.h(B).assoc().local_tag());
    let a_cum = lab.h(A).assoc().rx_cum_tsn();
    lab.h(A).assoc().shutdown(now);
    assert_eq!(lab.h(A).assoc().state(), AssocState::ShutdownSent);
    assert_eq!(
        lab.h(A).assoc().send(now, Bytes::from_static(b"x"), opts(0, false, 0)),
        Err(SendError::ShuttingDown)
    );
    let sd = one(&lab.h(A).output(now));
    assert_eq!(sd.hdr().vtag, b_tag);
    assert_eq!(sd.chunks(), vec![Chunk::Shutdown { cum_tsn_ack: a_cum }]);
    let sa = one(&lab.h(B).input(now, aaddr, &sd.data));
    assert_eq!((sa.hdr().vtag, sa.types()), (a_tag, vec![CHUNK_SHUTDOWN_ACK]));
    assert_eq!(lab.h(B).assoc().state(), AssocState::ShutdownAckSent);
    let sc = one(&lab.h(A).input(now, baddr, &sa.data));
    assert_eq!(sc.hdr().vtag, b_tag);
    assert_eq!(sc.chunks(), vec![Chunk::ShutdownComplete { t: false }]);
    assert_eq!(lab.h(A).assoc().state(), AssocState::Closed);
    none(&lab.h(B).input(now, aaddr, &sc.data));
    assert_eq!(lab.h(B).assoc().state(), AssocState::Closed);
    // Retransmitted SHUTDOWN COMPLETE, now OOTB: discarded (8.4 rule 6).
    none(&lab.h(B).input(now, aaddr, &sc.data));
    assert_eq!(
        lab.hosts[A].notable_events(),
        vec![AssocEvent::CommUp { restart: false }, AssocEvent::ShutdownComplete]
    );
    assert_eq!(
        lab.hosts[B].notable_events(),
        vec![
            AssocEvent::CommUp { restart: false },
            AssocEvent::PeerShutdown,
            AssocEvent::ShutdownComplete
        ]
    );
    for h in &lab.hosts {
        assert_eq!(h.ep.assoc_count(), 0);
        assert!(h.assocs.values().all(|a| a.poll_timeout().is_none()));
    }
}

/// Both sides call shutdown at once: the SHUTDOWNs cross, each answers
/// SHUTDOWN ACK (9.2: SHUTDOWN in SHUTDOWN-SENT), each then sends SHUTDOWN
/// COMPLETE and both end with SHUTDOWN_COMP.
#[test]
fn simultaneous_shutdown_exact_chunks() {
    let mut lab = established(Config::default(), Config::default());
    let now = lab.now;
    let (aaddr, baddr) = (lab.hosts[A].addr(), lab.hosts[B].addr());
    let (a_tag, b_tag) = (lab.h(A).assoc().local_tag(), lab.h(B).assoc().local_tag());
    lab.h(A).assoc().shutdown(now);
    lab.h(B).assoc().shutdown(now);
    let sa = one(&lab.h(A).output(now));
    let sb = one(&lab.h(B).output(now));
    assert_eq!((sa.types(), sb.types()), (vec![CHUNK_SHUTDOWN], vec![CHUNK_SHUTDOWN]));
    let aa = one(&lab.h(A).input(now, baddr, &sb.data));
    let ab = one(&lab.h(B).input(now, aaddr, &sa.data));
    assert_eq!((aa.hdr().vtag, aa.types()), (b_tag, vec![CHUNK_SHUTDOWN_ACK]));
    assert_eq!((ab.hdr().vtag, ab.types()), (a_tag, vec![CHUNK_SHUTDOWN_ACK]));
    for h in [A, B] {
        assert_eq!(lab.h(h).assoc().state(), AssocState::ShutdownAckSent);
    }
    let ca = one(&lab.h(A).input(now, baddr, &ab.data));
    let cb = one(&lab.h(B).input(now, aaddr, &aa.data));
    assert_eq!((ca.hdr().vtag, ca.chunks()), (b_tag, vec![Chunk::ShutdownComplete { t: false }]));
    assert_eq!((cb.hdr().vtag, cb.chunks()), (a_tag, vec![Chunk::ShutdownComplete { t: false }]));
    none(&lab.h(A).input(now, baddr, &cb.data));
    none(&lab.h(B).input(now, aaddr, &ca.data));
    for h in [A, B] {
        assert_eq!(lab.h(h).assoc().state(), AssocState::Closed);
        assert_eq!(lab.hosts[h].count(None, |e| *e == AssocEvent::ShutdownComplete), 1);
        assert_eq!(lab.hosts[h].count(None, |e| *e == AssocEvent::PeerShutdown), 1);
        assert_eq!(lab.hosts[h].ep.assoc_count(), 0);
    }
}

fn shutdown_with_queued_data(seed: u64, shut: &[usize], senders: &[usize]) {
    let a = Node::new(seed * 2 + 1, vec![ip("10.0.0.1")], UDP, Config::default());
    let mut b = Node::new(seed * 2 + 2, vec![ip("10.0.1.1")], UDP, Config::default());
    b.listen(5000);
    let mut net = Net::new(seed, vec![a, b]);
    net.links[0].loss = 0.05;
    net.links[1].loss = 0.05;
    net.connect(0, 1, 4000, 5000);
    assert!(net.run_until(Duration::from_secs(30), |n| n
        .nodes
        .iter()
        .all(|x| x.has_event(|e| matches!(e, AssocEvent::CommUp { .. })))));
    let now = net.now;
    let sizes = |i: u64| 1 + ((i * 7919 + seed * 13) % 20_000) as usize;
    for &s in senders {
        for i in 0..25u64 {
            let m = body(seed * 10 + s as u64, i, sizes(i));
            net.nodes[s].assoc().send(now, m, opts((i % 4) as u16, i % 5 == 0, i as u32)).unwrap();
        }
    }
    for &s in shut {
        net.nodes[s].assoc().shutdown(now);
        let r = net.nodes[s].assoc().send(now, Bytes::from_static(b"late"), opts(0, false, 0));
        assert_eq!(r, Err(SendError::ShuttingDown));
    }
    let mut early = Vec::new();
    let done = net.run_until(Duration::from_secs(600), |n| {
        for (k, node) in n.nodes.iter().enumerate() {
            let other = 1 - k;
            let expect = if senders.contains(&other) { 25 } else { 0 };
            if node.has_event(|e| *e == AssocEvent::ShutdownComplete) && node.msgs.len() < expect {
                early.push((k, node.msgs.len()));
            }
        }
        n.nodes.iter().all(|x| x.has_event(|e| *e == AssocEvent::ShutdownComplete))
    });
    assert!(done, "seed {seed}: {:?} / {:?}", net.nodes[0].events, net.nodes[1].events);
    assert!(early.is_empty(), "seed {seed}: SHUTDOWN COMPLETE before all data: {early:?}");
    for &s in senders {
        let rx = &net.nodes[1 - s].msgs;
        assert_eq!(rx.len(), 25);
        let mut got: Vec<_> = rx.iter().map(|m| (m.3, m.4.clone())).collect();
        got.sort_by_key(|m| m.0);
        for (i, (ppid, data)) in got.into_iter().enumerate() {
            assert_eq!(ppid, i as u32);
            assert_eq!(
                data,
                body(seed * 10 + s as u64, i as u64, sizes(i as u64)),
                "seed {seed} msg {i}"
            );
        }
    }
    for n in &mut net.nodes {
        assert_eq!(n.assoc().state(), AssocState::Closed);
        assert!(
            !n.has_event(|e| matches!(e, AssocEvent::CommLost(_) | AssocEvent::SendFailed { .. }))
        );
    }
}

/// 9.2: shutdown() with data still queued on the caller's side: every
/// message arrives before the association closes.
#[test]
fn shutdown_by_client_delivers_queued_data_first() {
    for seed in 0..4 {
        shutdown_with_queued_data(seed, &[0], &[0]);
    }
}

/// The SHUTDOWN receiver still sends the data it had queued (9.2: "MUST
/// continue to follow normal data transmission procedures").
#[test]
fn shutdown_by_server_with_data_queued_on_both_sides() {
    for seed in 10..14 {
        shutdown_with_queued_data(seed, &[1], &[0, 1]);
    }
}

/// Both sides call shutdown() at once with data queued on both sides.
#[test]
fn shutdown_by_both_sides_at_once_with_queued_data() {
    for seed in 20..24 {
        shutdown_with_queued_data(seed, &[0, 1], &[0, 1]);
    }
}

// ---------------------------------------------------------------------
// 3.2: unknown chunk types; 6.2: DATA without user data
// ---------------------------------------------------------------------

/// 9260 3.2 Table 2: the upper two bits of an unknown chunk type decide:
/// 00 stop, 01 stop and report, 10 skip, 11 skip and report (Unrecognized
/// Chunk Type cause carrying the whole chunk). A HEARTBEAT after the
/// unknown chunk shows whether processing went on.
#[test]
fn unknown_chunk_types_follow_the_upper_two_bits() {
    let (mut b, s) = server_with_script(Config::default());
    let now = Instant::from_millis(10);
    // (type, continue, report)
    let cases = [
        (0x3E, false, false),
        (12, false, false), // ECNE: reserved, not implemented
        (0x7E, false, true),
        (0x40, false, true), // I-DATA, not negotiated
        (0xBE, true, false),
        (0x82, true, false), // RE-CONFIG
        (0xFE, true, true),
        (0xC1, true, true), // ASCONF
    ];
    for (ty, cont, report) in cases {
        let body5 = [0xA0, 0xA1, 0xA2, 0xA3, 0xA4];
        let info = [b'h', b'b', ty];
        let p = s.ok(|x| {
            emit_raw(x, ty, 0x5A, &body5);
            emit_heartbeat(x, CHUNK_HEARTBEAT, &info);
        });
        let r = b.input(now, s.addr, &p);
        let mut want = Vec::new();
        if report {
            let mut raw = vec![ty, 0x5A, 0, 9];
            raw.extend_from_slice(&body5);
            let mut cs = Vec::new();
            Cause::UnrecognizedChunk(Bytes::from(raw)).emit(&mut cs);
            // The chunk length leaves out the last cause's padding (3.2).
            let cs = sctpudp::proto::wire::cause::trim_last_pad(&cs).to_vec();
            want.push(Chunk::Error { causes: Bytes::from(cs) });
        }
        if cont {
            want.push(Chunk::HeartbeatAck(Bytes::copy_from_slice(&info)));
        }
        let got: Vec<Chunk> = r.iter().flat_map(|d| d.chunks()).collect();
        assert_eq!(got, want, "chunk type {ty:#04x}");
        for d in &r {
            assert_eq!((d.dst, d.hdr().vtag), (s.addr, s.tag), "chunk type {ty:#04x}");
        }
        assert_eq!(b.assoc().state(), AssocState::Established);
        assert!(b.notable_events().is_empty(), "{:?}", b.events);
    }
}

/// RFC 3758 3.3.1: an endpoint that did not negotiate PR-SCTP must treat
/// FORWARD TSN (0xC0, action bits 11) as unrecognized: skip it, report it
/// in an ERROR, and not move its cumulative TSN.
#[test]
fn forward_tsn_without_pr_sctp_is_reported() {
    let (mut b, s) = server_with_script(Config::default());
    let now = Instant::from_millis(10);
    let cum = b.assoc().rx_cum_tsn();
    let p = s.ok(|x| {
        emit_forward_tsn(x, cum.wrapping_add(5), &[(0, 3)]);
        emit_heartbeat(x, CHUNK_HEARTBEAT, b"hb");
    });
    let r = b.input(now, s.addr, &p);
    let got: Vec<u8> = r.iter().flat_map(|d| d.types()).collect();
    assert_eq!(b.assoc().rx_cum_tsn(), cum, "FORWARD TSN must not be acted on");
    assert_eq!(got, vec![CHUNK_ERROR, CHUNK_HEARTBEAT_ACK]);
}

/// 6.2: a DATA chunk without user data aborts the association with the
/// "No User Data" cause carrying its TSN (vtag = peer's tag, T=0).
#[test]
fn data_without_payload_aborts_with_no_user_data() {
    let (mut b, s) = server_with_script(Config::default());
    let now = Instant::from_millis(10);
    let r = one(&b.input(now, s.addr, &s.ok(|x| DataChunk::emit(x, BE, s.tsn, 0, 0, 0, &[]))));
    assert_eq!((r.dst, r.hdr().vtag), (s.addr, s.tag));
    let [Chunk::Abort { t: false, causes: cs }] = &r.chunks()[..] else {
        panic!("expected ABORT(T=0), got {:?}", r.chunks())
    };
    assert_eq!(causes(cs), vec![Cause::NoUserData(s.tsn)]);
    assert_eq!(b.assoc().state(), AssocState::Closed);
    assert_eq!(b.notable_events(), vec![AssocEvent::CommLost(LostReason::ProtocolViolation)]);
    assert_eq!(b.ep.assoc_count(), 0);
}

// ---------------------------------------------------------------------
// 4, 5.1 C, 8.1: retransmission limits
// ---------------------------------------------------------------------

/// T1-init: with a silent peer the INIT is sent 1 + Max.Init.Retransmits
/// times with the RTO doubling up to RTO.Max, then CANT_STR_ASSOC.
#[test]
fn t1_init_gives_up_after_max_init_retransmits() {
    for (max, expect_s) in [(8u32, 243u64), (3, 15)] {
        let cfg = Config { max_init_retransmits: max, ..Config::default() };
        let mut lab = Lab::new(vec![Host::new(1, "10.0.0.1", cfg)]);
        let now = lab.now;
        lab.h(0).connect(now, 4000, 5000, "10.0.1.1:9899".parse().unwrap());
        assert!(lab.run_until(Duration::from_secs(1000), |l| l.hosts[0].assoc().is_closed()));
        assert_eq!(lab.log.len() as u32, 1 + max);
        assert!(lab.log.iter().all(|(_, d)| d.types() == vec![CHUNK_INIT] && d.hdr().vtag == 0));
        // RTO 1, 2, 4, ... 60 s: INITs at 0, 1, 3, 7, 15, 31, 63, 123, 183.
        let times: Vec<u64> = lab.log.iter().map(|(t, _)| t.as_micros() / 1_000_000).collect();
        assert_eq!(times, [0, 1, 3, 7, 15, 31, 63, 123, 183][..=max as usize].to_vec());
        assert_eq!(lab.now, Instant::ZERO + Duration::from_secs(expect_s));
        assert_eq!(
            lab.hosts[0].notable_events(),
            vec![AssocEvent::CantStartAssoc(LostReason::Unreachable)]
        );
        assert_eq!(lab.hosts[0].ep.assoc_count(), 0);
        assert_eq!(lab.h(0).assoc().poll_timeout(), None);
    }
}

/// T1-cookie: the peer answers INITs but the COOKIE ECHOs are lost: the
/// COOKIE ECHO is sent 1 + Max.Init.Retransmits times, then
/// CANT_STR_ASSOC; the server never created anything.
#[test]
fn t1_cookie_gives_up_after_max_init_retransmits() {
    let cfg = Config { max_init_retransmits: 4, ..Config::default() };
    let mut lab = lab_pair(cfg, Config::default());
    lab.drop = Box::new(|d: &Dgram| d.first_type() == CHUNK_COOKIE_ECHO);
    let (now, baddr) = (lab.now, lab.hosts[B].addr());
    lab.h(A).connect(now, 4000, 5000, baddr);
    assert!(lab.run_until(Duration::from_secs(1000), |l| l.hosts[A].assoc().is_closed()));
    let echoes = lab.log.iter().filter(|(_, d)| d.first_type() == CHUNK_COOKIE_ECHO).count();
    assert_eq!(echoes, 5);
    assert_eq!(
        lab.hosts[A].notable_events(),
        vec![AssocEvent::CantStartAssoc(LostReason::Unreachable)]
    );
    assert_eq!(lab.hosts[B].ep.assoc_count(), 0);
}

/// 8.1: once the peer vanishes, DATA is retransmitted
/// Association.Max.Retrans times (heartbeats off so only T3-rtx counts),
/// then COMM_LOST; the unacknowledged message is reported as failed.
#[test]
fn peer_vanishes_comm_lost_after_assoc_max_retrans() {
    let cfg = Config { hb_enabled: false, ..Config::default() };
    let mut lab = established(cfg, Config::default());
    let now = lab.now;
    lab.drop = Box::new(|_| true);
    let mark = lab.log.len();
    lab.h(A).assoc().send(now, Bytes::from_static(b"into the void"), opts(0, false, 42)).unwrap();
    assert!(lab.run_until(Duration::from_secs(3600), |l| l.hosts[A].assoc().is_closed()));
    let sent = lab.sent_by(A, mark);
    assert!(sent.iter().all(|d| d.types() == vec![CHUNK_DATA]), "{:?}", show(&sent));
    assert_eq!(sent.len(), 11, "1 transmission + Association.Max.Retrans (10)");
    let ev = lab.hosts[A].notable_events();
    assert!(ev.contains(&AssocEvent::CommLost(LostReason::Unreachable)), "{ev:?}");
    assert!(
        ev.iter().any(|e| matches!(e, AssocEvent::SendFailed { sent: true, ppid: 42, .. })),
        "{ev:?}"
    );
    assert_eq!(lab.h(A).assoc().poll_timeout(), None);
    assert_eq!(lab.hosts[A].ep.assoc_count(), 0);
}

/// The same with the default configuration and an idle association in
/// the simulator: unanswered heartbeats count too (8.1, 8.3).
#[test]
fn idle_peer_vanishes_comm_lost_in_simulator() {
    let a = Node::new(1, vec![ip("10.0.0.1")], UDP, Config::default());
    let mut b = Node::new(2, vec![ip("10.0.1.1")], UDP, Config::default());
    b.listen(5000);
    let mut net = Net::new(3, vec![a, b]);
    net.connect(0, 1, 4000, 5000);
    assert!(net.run_until(Duration::from_secs(5), |n| n
        .nodes
        .iter()
        .all(|x| x.has_event(|e| matches!(e, AssocEvent::CommUp { .. })))));
    net.dark.insert(ip("10.0.1.1"));
    let t0 = net.now;
    assert!(net.run_until(Duration::from_secs(7200), |n| n.nodes[0]
        .has_event(|e| matches!(e, AssocEvent::CommLost(_)))));
    assert!(net.nodes[0].has_event(|e| *e == AssocEvent::CommLost(LostReason::Unreachable)));
    let lost_at =
        net.nodes[0].events.iter().find(|e| matches!(e.2, AssocEvent::CommLost(_))).unwrap().0;
    // 11 heartbeat rounds of at least HB.interval each.
    assert!(lost_at.saturating_since(t0) >= Duration::from_secs(300), "{:?}", lost_at);
    assert_eq!(net.nodes[0].assoc().state(), AssocState::Closed);
}
