//! An ESTABLISHED association fed the fuzzer's input.
//!
//! Two endpoints, A (10.0.0.1, client) and B (10.0.1.1, listening on SCTP
//! port 5000), complete a handshake in memory. The input is then decoded
//! (with `arbitrary`) into a sequence of operations: packets to B with its
//! correct verification tag and ports (or deliberately wrong ones) made of
//! structurally valid chunks with arbitrary field values - TSNs relative
//! to B's current state so they land in its windows - or raw bytes;
//! delivery or loss of what A and B sent each other; time passing and
//! timers run early; and user calls (send, read, shutdown, abort) on both
//! sides.
//!
//! Checked: no panic; every datagram either side sends passes
//! `parse_packet` with all chunks valid and follows the bundling and tag
//! rules; DATA packets fit the path MTU; `poll_transmit` and `poll_event`
//! end; after `handle_timeout(now)` no timer is due and none is more than
//! an hour away; closed associations have no timers; send and receive
//! buffers stay within their limits; the cumulative TSN never goes back;
//! what A (which only hears from the real B) reads is intact and in order;
//! at the end both associations can be aborted and leave their endpoints.
use arbitrary::{Arbitrary, Unstructured};
use bytes::Bytes;
use sctpudp::proto::assoc::{AssocEvent, AssocId, AssocState, Association, SendOptions};
use sctpudp::proto::endpoint::{DatagramEvent, Endpoint};
use sctpudp::proto::serial::ge32;
use sctpudp::proto::wire::chunk::{emit_forward_tsn, emit_heartbeat, emit_raw, emit_shutdown};
use sctpudp::proto::wire::{
    self, Chunk, CommonHeader, DataChunk, InitChunk, InitParams, SackChunk, CHUNK_ABORT,
    CHUNK_COOKIE_ACK, CHUNK_COOKIE_ECHO, CHUNK_ERROR, CHUNK_HEARTBEAT, CHUNK_HEARTBEAT_ACK,
    CHUNK_INIT, CHUNK_INIT_ACK, CHUNK_PAD, CHUNK_SHUTDOWN_ACK, CHUNK_SHUTDOWN_COMPLETE,
};
use sctpudp::proto::{Config, EndpointConfig, Instant};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

const SNDBUF: usize = 64 * 1024;
const RCVBUF: usize = 16 * 1024;
const MAX_OPS: usize = 256;
const MAX_TIMER: Duration = Duration::from_secs(3600);

#[derive(Arbitrary, Debug)]
enum Vt {
    Own,
    Peer,
    Zero,
    Any(u32),
}

/// A TSN: `off` from B's next expected TSN (or last sent TSN), or `abs`.
#[derive(Arbitrary, Debug)]
struct Tsn {
    off: i8,
    abs: Option<u32>,
}

impl Tsn {
    fn at(&self, base: u32) -> u32 {
        self.abs.unwrap_or_else(|| base.wrapping_add(self.off as i32 as u32))
    }
}

#[derive(Arbitrary, Debug)]
enum Ch {
    Data {
        flags: u8,
        tsn: Tsn,
        sid: u16,
        ssn: u16,
        ppid: u32,
        len: u16,
    },
    Init {
        ack: bool,
        tag: u32,
        rwnd: u32,
        os: u16,
        mis: u16,
        tsn: u32,
        addrs: Vec<[u8; 4]>,
        cookie: Option<Vec<u8>>,
        preservative: Option<u32>,
        adaptation: Option<u32>,
        fwd: bool,
        raw_params: Vec<u8>,
    },
    Sack {
        cum: Tsn,
        rwnd: u32,
        gaps: Vec<(u16, u16)>,
        dups: Vec<u32>,
    },
    Heartbeat {
        ack: bool,
        info: Vec<u8>,
    },
    Abort {
        t: bool,
        causes: Vec<u8>,
    },
    Shutdown {
        cum: Tsn,
    },
    ShutdownAck,
    ShutdownComplete {
        t: bool,
    },
    Error {
        causes: Vec<u8>,
    },
    CookieEcho(Vec<u8>),
    CookieAck,
    ForwardTsn {
        cum: Tsn,
        streams: Vec<(u16, u16)>,
    },
    Pad(u8),
    Unknown {
        ty: u8,
        flags: u8,
        body: Vec<u8>,
    },
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Op {
    Inject { chunks: Vec<Ch>, vt: Vt, udp_port: Option<u16> },
    InjectRaw { body: Vec<u8>, vt: Vt, crc: bool },
    Deliver { rounds: u8, lose: bool },
    Wait { ms: u32 },
    Timeout { ms: u32 },
    Send { to_b: bool, sid: u16, len: u16, unordered: bool, imm: bool },
    Read { b: bool, max: u16 },
    Shutdown { b: bool },
    Abort { b: bool },
}

fn payload(len: usize, salt: u32) -> Vec<u8> {
    (0..len).map(|i| (i as u32).wrapping_mul(31).wrapping_add(salt) as u8).collect()
}

fn mtu_for(dst: SocketAddr) -> usize {
    if dst.is_ipv4() {
        1500 - 20 - 8
    } else {
        1500 - 40 - 8
    }
}

/// Validates a datagram the stack built; `from`: (peer tag, cum TSN) of
/// the sending association.
fn check_packet(data: &[u8], dst: SocketAddr, from: Option<(u32, u32)>) {
    assert!(data.len() >= wire::COMMON_HEADER_LEN + 4);
    assert!(data.len() <= 65_507);
    assert_ne!(dst.port(), 0);
    let (hdr, chunks) =
        wire::parse_packet(&Bytes::copy_from_slice(data)).expect("our packet parses");
    let chunks: Vec<Chunk> = chunks.collect::<Result<_, _>>().expect("our chunks parse");
    assert!(!chunks.is_empty());
    if chunks
        .iter()
        .any(|c| matches!(c, Chunk::Init(_) | Chunk::InitAck(_) | Chunk::ShutdownComplete { .. }))
    {
        assert_eq!(chunks.len(), 1, "INIT, INIT ACK, SHUTDOWN COMPLETE travel alone");
    }
    for (i, c) in chunks.iter().enumerate() {
        if matches!(c, Chunk::CookieEcho(_)) {
            assert_eq!(i, 0);
        }
    }
    let has_data = chunks.iter().any(|c| matches!(c, Chunk::Data(_)));
    if has_data {
        assert!(data.len() <= mtu_for(dst));
        assert!(!chunks.iter().any(|c| matches!(c, Chunk::Abort { .. })));
        assert!(chunks.iter().all(|c| !matches!(c, Chunk::Data(d) if d.payload.is_empty())));
    }
    if let Some((pt, cum)) = from {
        if chunks.iter().any(|c| matches!(c, Chunk::Data(_) | Chunk::Sack(_))) {
            assert_eq!(hdr.vtag, pt);
        }
        for c in &chunks {
            if let Chunk::Sack(s) = c {
                assert_eq!(s.cum_tsn_ack, cum);
                let mut prev = 0u32;
                for (st, en) in s.gaps() {
                    assert!(u32::from(st) <= u32::from(en));
                    assert!(u32::from(st) >= prev + 2);
                    prev = u32::from(en);
                }
            }
        }
    }
}

struct Side {
    ep: Endpoint,
    assocs: BTreeMap<AssocId, Association>,
    addr: SocketAddr,
    accepted: usize,
    msg: Option<(u16, u16, bool, Vec<u8>)>,
    next_ssn: BTreeMap<u16, u16>,
    last_cum: u32,
}

struct World {
    s: [Side; 2],
    now: Instant,
    q: Vec<(usize, SocketAddr, Vec<u8>)>,
    buf: Vec<u8>,
    injected: usize,
}

const A: usize = 0;
const B: usize = 1;

fn endpoint(seed: u64, cfg: &Config) -> Endpoint {
    let mut ec = EndpointConfig::seeded(seed);
    ec.assoc = cfg.clone();
    Endpoint::new(ec)
}

impl World {
    fn new() -> World {
        let cfg = Config {
            rcvbuf: RCVBUF as u32,
            hb_interval: Duration::from_secs(5),
            ..Config::default()
        };
        let mut epa = endpoint(1, &cfg);
        let mut epb = endpoint(2, &cfg);
        epb.listen(5000, cfg.clone(), vec!["10.0.1.1".parse().unwrap()]);
        let (aaddr, baddr): (SocketAddr, SocketAddr) =
            ("10.0.0.1:9899".parse().unwrap(), "10.0.1.1:9899".parse().unwrap());
        let (id, a) = epa
            .connect(Instant::ZERO, cfg, 4000, 5000, &[baddr], vec![aaddr.ip()])
            .expect("connect");
        let mut assocs = BTreeMap::new();
        assocs.insert(id, a);
        let mut w = World {
            s: [
                Side {
                    ep: epa,
                    assocs,
                    addr: aaddr,
                    accepted: 0,
                    msg: None,
                    next_ssn: BTreeMap::new(),
                    last_cum: 0,
                },
                Side {
                    ep: epb,
                    assocs: BTreeMap::new(),
                    addr: baddr,
                    accepted: 0,
                    msg: None,
                    next_ssn: BTreeMap::new(),
                    last_cum: 0,
                },
            ],
            now: Instant::ZERO,
            q: Vec::new(),
            buf: Vec::with_capacity(2048),
            injected: 0,
        };
        w.drain(A);
        for _ in 0..8 {
            w.deliver(1);
        }
        for s in &mut w.s {
            let a = s.assocs.values().next().expect("an association");
            assert_eq!(a.state(), AssocState::Established);
            s.last_cum = a.rx_cum_tsn();
        }
        w
    }

    fn b(&self) -> &Association {
        self.s[B].assocs.values().next().unwrap()
    }

    fn route(&mut self, from: usize, dst: SocketAddr, d: Vec<u8>) {
        let to = 1 - from;
        if dst == self.s[to].addr && self.q.len() < 4096 {
            self.q.push((to, self.s[from].addr, d));
        }
    }

    fn input(&mut self, side: usize, src: SocketAddr, data: &[u8]) {
        let bytes = Bytes::copy_from_slice(data);
        let now = self.now;
        let s = &mut self.s[side];
        let mut reply = None;
        match s.ep.handle(now, src, &bytes, &mut self.buf) {
            Some(DatagramEvent::Assoc(id, inc)) => {
                if let Some(a) = s.assocs.get_mut(&id) {
                    a.handle(now, inc);
                }
            }
            Some(DatagramEvent::NewAssoc(id, a, inc)) => {
                let mut a = *a;
                a.handle(now, inc);
                s.assocs.insert(id, a);
            }
            Some(DatagramEvent::Response(t)) => {
                let d = self.buf[..t.len].to_vec();
                check_packet(&d, t.dst, None);
                reply = Some((t.dst, d));
            }
            None => {}
        }
        if let Some((dst, d)) = reply {
            self.route(side, dst, d);
        }
        self.drain(side);
    }

    fn drain(&mut self, side: usize) {
        let now = self.now;
        let mut out = Vec::new();
        let s = &mut self.s[side];
        for (&id, a) in s.assocs.iter_mut() {
            let mut n = 0;
            while let Some(t) = a.poll_transmit(now, &mut self.buf) {
                n += 1;
                assert!(n <= 10_000, "poll_transmit does not end");
                let d = self.buf[..t.len].to_vec();
                check_packet(&d, t.dst, Some((a.peer_tag(), a.rx_cum_tsn())));
                out.push((t.dst, d));
            }
            let mut k = 0;
            while let Some(e) = a.poll_event() {
                k += 1;
                assert!(k <= 100_000, "poll_event does not end");
                if let AssocEvent::SendFailed { data, .. } = &e {
                    assert!(data.len() <= SNDBUF);
                }
            }
            while let Some(ev) = a.poll_endpoint_event() {
                s.ep.handle_event(id, ev);
            }
        }
        for (dst, d) in out {
            self.route(side, dst, d);
        }
    }

    fn deliver(&mut self, rounds: u8) {
        for _ in 0..rounds.min(8) {
            for (to, from, d) in std::mem::take(&mut self.q) {
                self.input(to, from, &d);
            }
        }
    }

    fn fire(&mut self, all: bool) {
        let now = self.now;
        for side in [A, B] {
            for a in self.s[side].assocs.values_mut() {
                if all || a.poll_timeout().is_some_and(|t| t <= now) {
                    a.handle_timeout(now);
                }
                if let Some(t) = a.poll_timeout() {
                    assert!(t > now && t <= now + MAX_TIMER, "timer {t:?} at {now:?}");
                }
            }
            self.drain(side);
        }
    }

    fn wait(&mut self, ms: u32) {
        let target = self.now + Duration::from_millis(u64::from(ms % 120_000));
        for _ in 0..10_000 {
            let next = self
                .s
                .iter()
                .flat_map(|s| s.assocs.values())
                .filter_map(|a| a.poll_timeout())
                .min();
            match next {
                Some(t) if t <= target => {
                    self.now = self.now.max(t);
                    self.fire(false);
                }
                _ => break,
            }
        }
        self.now = target;
    }

    fn read(&mut self, side: usize, max: usize) {
        let s = &mut self.s[side];
        let a = s.assocs.values_mut().next().unwrap();
        for _ in 0..4 {
            let Some(r) = a.read(max) else { break };
            assert!(r.data.len() <= max);
            if side != A {
                continue; // B hears from the fuzzer: only memory is checked
            }
            let m = s.msg.get_or_insert_with(|| (r.stream_id, r.ssn, r.unordered, Vec::new()));
            assert_eq!((m.0, m.2), (r.stream_id, r.unordered));
            if !r.unordered {
                assert_eq!(m.1, r.ssn);
            }
            m.3.extend_from_slice(&r.data);
            if r.eor {
                let (sid, ssn, unordered, data) = s.msg.take().unwrap();
                if !unordered {
                    let want = s.next_ssn.entry(sid).or_insert(0);
                    assert_eq!(ssn, *want, "ordered delivery out of order");
                    *want = want.wrapping_add(1);
                }
                assert_eq!(data, payload(data.len(), 9), "message corrupted");
                assert_eq!(r.ppid, u32::from(sid));
            }
        }
    }

    fn check(&mut self) {
        for i in [A, B] {
            let could_arrive = self.s[1 - i].accepted + if i == B { self.injected } else { 0 };
            let now = self.now;
            let s = &mut self.s[i];
            let a = s.assocs.values().next().unwrap();
            assert!(ge32(a.rx_cum_tsn(), s.last_cum), "cumulative TSN went back");
            s.last_cum = a.rx_cum_tsn();
            for a in s.assocs.values() {
                assert!(a.buffered_amount() <= SNDBUF.min(s.accepted));
                assert!(a.pending_chunks() + a.unacked_chunks() <= s.accepted);
                assert!(a.readable_bytes() <= RCVBUF + could_arrive);
                assert!(a.local_rwnd() as usize <= RCVBUF);
                if let Some(t) = a.poll_timeout() {
                    assert!(t <= now + MAX_TIMER);
                }
                if a.is_closed() {
                    assert_eq!(a.poll_timeout(), None);
                    assert_eq!(a.buffered_amount(), 0);
                }
            }
        }
    }

    fn emit_ch(&mut self, out: &mut Vec<u8>, c: &Ch, rx_next: u32, tx_last: u32) {
        match c {
            Ch::Data { flags, tsn, sid, ssn, ppid, len } => {
                let len = usize::from(*len % 1400);
                self.injected += len;
                let t = tsn.at(rx_next);
                DataChunk::emit(out, flags & 0x0f, t, sid % 12, *ssn, *ppid, &payload(len, t));
            }
            Ch::Init {
                ack,
                tag,
                rwnd,
                os,
                mis,
                tsn,
                addrs,
                cookie,
                preservative,
                adaptation,
                fwd,
                raw_params,
            } => {
                let init = InitChunk {
                    initiate_tag: *tag,
                    a_rwnd: *rwnd,
                    num_outbound_streams: *os,
                    num_inbound_streams: *mis,
                    initial_tsn: *tsn,
                    params: InitParams {
                        addrs: addrs.iter().take(8).map(|a| IpAddr::from(*a)).collect(),
                        cookie: cookie
                            .as_ref()
                            .map(|c| Bytes::copy_from_slice(&c[..c.len().min(512)])),
                        cookie_preservative: *preservative,
                        adaptation_indication: *adaptation,
                        forward_tsn_supported: *fwd,
                        ..InitParams::default()
                    },
                };
                let start = out.len();
                init.emit(if *ack { CHUNK_INIT_ACK } else { CHUNK_INIT }, out);
                // Raw parameter bytes after the known ones, length fixed up.
                let raw = &raw_params[..raw_params.len().min(512)];
                if !raw.is_empty() {
                    out.extend_from_slice(raw);
                    let len = (out.len() - start) as u16;
                    out[start + 2..start + 4].copy_from_slice(&len.to_be_bytes());
                    out.resize(out.len() + wire::pad4(out.len() - start), 0);
                }
            }
            Ch::Sack { cum, rwnd, gaps, dups } => SackChunk::emit(
                out,
                cum.at(tx_last),
                *rwnd,
                &gaps[..gaps.len().min(64)],
                &dups[..dups.len().min(64)],
            ),
            Ch::Heartbeat { ack, info } => emit_heartbeat(
                out,
                if *ack { CHUNK_HEARTBEAT_ACK } else { CHUNK_HEARTBEAT },
                &info[..info.len().min(512)],
            ),
            Ch::Abort { t, causes } => {
                emit_raw(out, CHUNK_ABORT, *t as u8, &causes[..causes.len().min(256)])
            }
            Ch::Shutdown { cum } => emit_shutdown(out, cum.at(tx_last)),
            Ch::ShutdownAck => emit_raw(out, CHUNK_SHUTDOWN_ACK, 0, &[]),
            Ch::ShutdownComplete { t } => emit_raw(out, CHUNK_SHUTDOWN_COMPLETE, *t as u8, &[]),
            Ch::Error { causes } => emit_raw(out, CHUNK_ERROR, 0, &causes[..causes.len().min(256)]),
            Ch::CookieEcho(b) => emit_raw(out, CHUNK_COOKIE_ECHO, 0, &b[..b.len().min(512)]),
            Ch::CookieAck => emit_raw(out, CHUNK_COOKIE_ACK, 0, &[]),
            Ch::ForwardTsn { cum, streams } => {
                emit_forward_tsn(out, cum.at(rx_next), &streams[..streams.len().min(16)])
            }
            Ch::Pad(n) => emit_raw(out, CHUNK_PAD, 0, &vec![0; usize::from(*n)]),
            Ch::Unknown { ty, flags, body } => {
                emit_raw(out, *ty, *flags, &body[..body.len().min(256)])
            }
            Ch::Raw(b) => out.extend_from_slice(&b[..b.len().min(256)]),
        }
    }

    fn run(&mut self, op: &Op) {
        match op {
            Op::Inject { chunks, vt, udp_port } => {
                let b = self.b();
                let vtag = vt_of(vt, b);
                let (sport, dport, rx_next, tx_last) = (
                    b.peer_port(),
                    b.local_port(),
                    b.rx_cum_tsn().wrapping_add(1),
                    b.next_tsn().wrapping_sub(1),
                );
                let mut p = Vec::new();
                wire::write_header(
                    &mut p,
                    &CommonHeader { src_port: sport, dst_port: dport, vtag },
                );
                for c in chunks.iter().take(8) {
                    self.emit_ch(&mut p, c, rx_next, tx_last);
                }
                wire::finish_packet(&mut p);
                let src = SocketAddr::new(self.s[A].addr.ip(), udp_port.unwrap_or(9899).max(1));
                self.input(B, src, &p);
            }
            Op::InjectRaw { body, vt, crc } => {
                let b = self.b();
                let mut p = Vec::new();
                wire::write_header(
                    &mut p,
                    &CommonHeader {
                        src_port: b.peer_port(),
                        dst_port: b.local_port(),
                        vtag: vt_of(vt, b),
                    },
                );
                p.extend_from_slice(&body[..body.len().min(2048)]);
                if *crc {
                    wire::finish_packet(&mut p);
                }
                self.injected += body.len();
                let src = self.s[A].addr;
                self.input(B, src, &p);
            }
            Op::Deliver { rounds, lose } => {
                if *lose {
                    self.q.clear();
                }
                self.deliver(*rounds);
            }
            Op::Wait { ms } => self.wait(*ms),
            Op::Timeout { ms } => {
                self.now = self.now + Duration::from_millis(u64::from(ms % 200_000));
                self.fire(true);
            }
            Op::Send { to_b, sid, len, unordered, imm } => {
                let i = if *to_b { A } else { B };
                let now = self.now;
                let s = &mut self.s[i];
                let a = s.assocs.values_mut().next().unwrap();
                let len = usize::from(*len % 9000).max(1);
                let sid = sid % 12;
                if a.buffered_amount() + len <= SNDBUF {
                    let opt = SendOptions {
                        stream_id: sid,
                        ppid: u32::from(sid),
                        unordered: *unordered,
                        sack_immediately: *imm,
                        context: 0,
                    };
                    if a.send(now, Bytes::from(payload(len, 9)), opt).is_ok() {
                        s.accepted += len;
                    }
                }
                self.drain(i);
            }
            Op::Read { b, max } => {
                let i = if *b { B } else { A };
                self.read(i, usize::from(*max).max(1));
                self.drain(i);
            }
            Op::Shutdown { b } => {
                let i = if *b { B } else { A };
                let now = self.now;
                self.s[i].assocs.values_mut().next().unwrap().shutdown(now);
                self.drain(i);
            }
            Op::Abort { b } => {
                let i = if *b { B } else { A };
                let now = self.now;
                self.s[i]
                    .assocs
                    .values_mut()
                    .next()
                    .unwrap()
                    .abort(now, Bytes::from_static(b"fuzz"));
                self.drain(i);
            }
        }
        self.check();
    }

    fn finish(&mut self) {
        for _ in 0..20 {
            self.deliver(1);
            self.wait(60_000);
            self.check();
        }
        let now = self.now;
        for i in [A, B] {
            for a in self.s[i].assocs.values_mut() {
                a.abort(now, Bytes::new());
            }
            self.drain(i);
        }
        self.deliver(2);
        for s in &self.s {
            for a in s.assocs.values() {
                assert!(a.is_closed() && a.is_drained() && a.poll_timeout().is_none());
            }
            assert_eq!(s.ep.assoc_count(), 0);
        }
    }
}

fn vt_of(vt: &Vt, a: &Association) -> u32 {
    match vt {
        Vt::Own => a.local_tag(),
        Vt::Peer => a.peer_tag(),
        Vt::Zero => 0,
        Vt::Any(v) => *v,
    }
}

/// One input as libfuzzer-sys decodes it for a `Vec<Op>` target (too
/// short for the type, or undecodable: nothing to run).
pub fn run(data: &[u8]) {
    if data.len() < <Vec<Op> as Arbitrary>::size_hint(0).0 {
        return;
    }
    if let Ok(ops) = <Vec<Op> as Arbitrary>::arbitrary_take_rest(Unstructured::new(data)) {
        if std::env::var_os("SCTPUDP_FUZZ_DEBUG").is_some() {
            eprintln!("{ops:#?}");
        }
        run_ops(&ops);
    }
}

fn run_ops(ops: &[Op]) {
    let mut w = World::new();
    w.check();
    for op in ops.iter().take(MAX_OPS) {
        w.run(op);
    }
    w.finish();
}
