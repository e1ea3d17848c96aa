//! The host-stack protocol (`ipc`, `stack::server`, `shm`): what any
//! process on the host can send the stack. An in-process, contained host
//! stack gets a sequence of requests on one channel: well-formed ones
//! with arbitrary arguments (sockets made, bound, connected, accepted,
//! peeled off, sent on, read, shut down, queried, closed), raw ones
//! (any op, any socket id, proven or not, any body), and a client's side
//! of the shared send/receive rings: messages pushed the library's way,
//! arbitrary bytes written anywhere in the shared region, attempts to
//! resize it, kicks.
//!
//! Checked: no panic; every reply parses and its error, if any, is an
//! errno other than EIO (a caught panic); afterwards a fresh association
//! carries a message, and once every socket is closed no association is
//! left.

#[path = "util.rs"]
mod util;

use arbitrary::{Arbitrary, Unstructured};
use sctpudp::ipc::{Op, ReplyHead, SendReq, SndInfo, R, W};
use sctpudp::shm;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, OwnedFd};
use util::*;

#[derive(Arbitrary, Debug)]
enum Port {
    /// The port socket `n` is bound to.
    Of(u8),
    Raw(u16),
}

#[derive(Arbitrary, Debug)]
enum RingOp {
    /// A message pushed as the library pushes it.
    Push { info: Option<(u16, u16, u32)>, len: u16 },
    /// Bytes written at an offset of the shared region.
    Poke { at: u32, bytes: Vec<u8> },
    /// A 64-bit value written at an 8-aligned offset of the headers.
    Word { slot: u8, value: u64 },
    /// ftruncate() of the region (the seals must refuse it).
    Resize { len: u32 },
}

#[derive(Arbitrary, Debug)]
enum Step {
    Create {
        v6: bool,
        many: bool,
        nonblock: bool,
        encaps: u16,
    },
    Bind {
        sock: u8,
        v6: bool,
        port: Port,
        unbind: bool,
        first: bool,
        wildcard: bool,
    },
    Listen {
        sock: u8,
        backlog: i32,
    },
    Connect {
        sock: u8,
        v6: bool,
        port: Port,
        twice: bool,
    },
    ConnectStatus {
        sock: u8,
        assoc: i32,
    },
    Accept {
        sock: u8,
        nonblock: bool,
    },
    Peeloff {
        sock: u8,
        assoc: i32,
        nonblock: bool,
    },
    Send {
        sock: u8,
        info: Option<(u16, u16, u32, u32, u32, i32)>,
        pr: Option<(u16, u32)>,
        to: Option<(bool, Port)>,
        init: Option<(u16, u16, u16, u16)>,
        len: u16,
        parts: u8,
    },
    Recv {
        sock: u8,
        cap: u32,
        peek: bool,
    },
    Shutdown {
        sock: u8,
        how: i32,
    },
    Query {
        sock: u8,
        what: u8,
        assoc: i32,
    },
    Ring {
        sock: u8,
        op: RingOp,
    },
    Kick {
        sock: u8,
    },
    Close {
        sock: u8,
    },
    Raw {
        op: u16,
        sock: u8,
        prove: bool,
        body: Vec<u8>,
    },
}

const MAX_STEPS: usize = 64;

/// A ring mapped the way a client maps it.
struct Mapped {
    fd: OwnedFd,
    base: *mut u8,
    ring: Option<shm::Ring>,
}

impl Drop for Mapped {
    fn drop(&mut self) {
        // SAFETY: `base` is a mapping of shm::SIZE bytes made in `map`.
        unsafe { libc::munmap(self.base as *mut libc::c_void, shm::SIZE) };
    }
}

fn map(fd: OwnedFd) -> Option<Mapped> {
    // SAFETY: a shared mapping of a descriptor we hold; checked below.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            shm::SIZE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd.as_raw_fd(),
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return None;
    }
    let ring = shm::Ring::map(&fd).ok();
    Some(Mapped { fd, base: p as *mut u8, ring })
}

struct World {
    socks: Vec<u64>,
    rings: Vec<(u64, Mapped)>,
}

impl World {
    fn pick(&self, n: u8) -> Option<u64> {
        (!self.socks.is_empty()).then(|| self.socks[n as usize % self.socks.len()])
    }

    fn port(&self, h: &mut sctpudp::stack::server::Harness, p: &Port) -> u16 {
        match p {
            Port::Raw(v) => *v,
            Port::Of(n) => match self.pick(*n) {
                Some(id) => {
                    let (st, body, _) = h.call(Op::SockName, id, &[]);
                    if st < 0 {
                        return 0;
                    }
                    R::new(&body).addr().map(|a| a.port()).unwrap_or(0)
                }
                None => 0,
            },
        }
    }

    /// Learns the sockets a reply handed over.
    fn learn(&mut self, h: &sctpudp::stack::server::Harness) {
        for id in h.sockets() {
            if !self.socks.contains(&id) {
                self.socks.push(id);
            }
        }
    }
}

fn check(st: i64) {
    if st < 0 {
        let e = (-st) as i32;
        assert!(e != libc::EIO && e < 4096, "errno {e}");
    }
}

fn lo(v6: bool) -> IpAddr {
    if v6 {
        LO6
    } else {
        LO4
    }
}

pub fn run(data: &[u8]) {
    let Ok(steps) = <Vec<Step> as Arbitrary>::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    if std::env::var_os("SCTPUDP_FUZZ_DEBUG").is_some() {
        eprintln!("{steps:#?}");
    }
    with_harness(|h| {
        let mut w = World { socks: Vec::new(), rings: Vec::new() };
        for step in steps.iter().take(MAX_STEPS) {
            step_once(h, &mut w, step);
            w.learn(h);
        }
        // Unmapped before the sockets close, as a client's close does.
        w.rings.clear();
        still_works(h);
    });
}

fn step_once(h: &mut sctpudp::stack::server::Harness, w: &mut World, step: &Step) {
    match step {
        Step::Create { v6, many, nonblock, encaps } => {
            let mut b = W::new();
            let family = if *v6 { libc::AF_INET6 } else { libc::AF_INET };
            b.i32(family).u8(u8::from(*many)).bool(*nonblock).u16(*encaps);
            check(h.call(Op::Create, 0, &b.0).0);
        }
        Step::Bind { sock, v6, port, unbind, first, wildcard } => {
            let Some(id) = w.pick(*sock) else { return };
            let port = w.port(h, port);
            let ip = match (*wildcard, *v6) {
                (true, false) => IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
                (true, true) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
                (false, v6) => lo(v6),
            };
            let mut b = W::new();
            b.addrs(&[SocketAddr::new(ip, port)]).bool(*first);
            let op = if *unbind { Op::Unbind } else { Op::Bind };
            check(h.call(op, id, &b.0).0);
        }
        Step::Listen { sock, backlog } => {
            let Some(id) = w.pick(*sock) else { return };
            let mut b = W::new();
            b.i32(*backlog);
            check(h.call(Op::Listen, id, &b.0).0);
        }
        Step::Connect { sock, v6, port, twice } => {
            let Some(id) = w.pick(*sock) else { return };
            let port = w.port(h, port);
            let a = SocketAddr::new(lo(*v6), port);
            let mut b = W::new();
            if *twice {
                b.addrs(&[a, a]);
            } else {
                b.addrs(&[a]);
            }
            check(h.call(Op::Connect, id, &b.0).0);
        }
        Step::ConnectStatus { sock, assoc } => {
            let Some(id) = w.pick(*sock) else { return };
            let mut b = W::new();
            b.i32(*assoc);
            check(h.call(Op::ConnectStatus, id, &b.0).0);
        }
        Step::Accept { sock, nonblock } => {
            let Some(id) = w.pick(*sock) else { return };
            let mut b = W::new();
            b.bool(*nonblock);
            check(h.call(Op::Accept, id, &b.0).0);
        }
        Step::Peeloff { sock, assoc, nonblock } => {
            let Some(id) = w.pick(*sock) else { return };
            let mut b = W::new();
            b.i32(*assoc).bool(*nonblock);
            check(h.call(Op::Peeloff, id, &b.0).0);
        }
        Step::Send { sock, info, pr, to, init, len, parts } => {
            let Some(id) = w.pick(*sock) else { return };
            let to = match to {
                Some((v6, p)) => vec![SocketAddr::new(lo(*v6), w.port(h, p))],
                None => Vec::new(),
            };
            let req = SendReq {
                info: info.map(|(sid, flags, ppid, context, ttl, assoc)| SndInfo {
                    sid,
                    flags,
                    ppid,
                    context,
                    ttl,
                    assoc,
                }),
                pr: pr.map(|(policy, value)| sctpudp::ipc::PrInfo { policy, value }),
                to,
                init: *init,
            };
            let data = vec![0xa5u8; usize::from(*len)];
            // A large send comes as parts first (no reply), then the rest.
            let n = usize::from(*parts % 4);
            let chunk = data.len() / (n + 1);
            for i in 0..n {
                let mut b = W::new();
                sctpudp::ipc::req_head(&mut b, Op::SendPart, id);
                b.0.extend_from_slice(&data[i * chunk..(i + 1) * chunk]);
                let fd = h.fd(id);
                for r in h.request(&b.0, fd) {
                    ReplyHead::decode(&mut R::new(&r.bytes)).expect("a reply head");
                }
            }
            let mut b = W::new();
            req.encode(&mut b);
            b.0.extend_from_slice(&data[n * chunk..]);
            check(h.call(Op::Send, id, &b.0).0);
        }
        Step::Recv { sock, cap, peek } => {
            let Some(id) = w.pick(*sock) else { return };
            let mut b = W::new();
            b.u64(u64::from(*cap % (1 << 20))).bool(*peek);
            let (st, body, _) = h.call(Op::Recv, id, &b.0);
            check(st);
            if st >= 0 {
                let mut r = R::new(&body);
                sctpudp::ipc::RecvMeta::decode(&mut r).expect("receive metadata");
                assert_eq!(r.rest().len() as i64, st, "a receive's length and its data");
            }
        }
        Step::Shutdown { sock, how } => {
            let Some(id) = w.pick(*sock) else { return };
            let mut b = W::new();
            b.i32(*how);
            check(h.call(Op::Shutdown, id, &b.0).0);
        }
        Step::Query { sock, what, assoc } => {
            let Some(id) = w.pick(*sock) else { return };
            let (op, body) = match what % 8 {
                0 => (Op::SockName, Vec::new()),
                1 => (Op::PeerName, Vec::new()),
                2 => (Op::PeerAddrs, assoc.to_le_bytes().to_vec()),
                3 => (Op::LocalAddrs, assoc.to_le_bytes().to_vec()),
                4 => (Op::FionRead, Vec::new()),
                5 => (Op::Info, Vec::new()),
                6 => (Op::Stat, vec![u8::from(*assoc & 1 != 0)]),
                _ => (Op::Hello, Vec::new()),
            };
            check(h.call(op, id, &body).0);
        }
        Step::Ring { sock, op } => {
            let Some(id) = w.pick(*sock) else { return };
            if !w.rings.iter().any(|(s, _)| *s == id) {
                let (st, _, fd) = h.call(Op::MapTx, id, &[]);
                check(st);
                let Some(m) = fd.and_then(map) else { return };
                w.rings.push((id, m));
            }
            let Some((_, m)) = w.rings.iter().find(|(s, _)| *s == id) else { return };
            match op {
                RingOp::Push { info, len } => {
                    let info = info.map(|(sid, flags, ppid)| SndInfo {
                        sid,
                        flags,
                        ppid,
                        ..Default::default()
                    });
                    if let Some(r) = &m.ring {
                        let data = vec![0x3cu8; usize::from(*len % 8192) + 1];
                        let _ = r.push(info.as_ref(), &data);
                    }
                }
                RingOp::Poke { at, bytes } => {
                    let at = *at as usize % shm::SIZE;
                    let n = bytes.len().min(shm::SIZE - at);
                    // SAFETY: at + n <= shm::SIZE, inside the mapping.
                    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), m.base.add(at), n) };
                }
                RingOp::Word { slot, value } => {
                    // The headers: the first 512 bytes, 64 words.
                    let at = usize::from(slot % 64) * 8;
                    // SAFETY: an aligned word inside the mapping's first page.
                    unsafe { (m.base.add(at) as *mut u64).write_volatile(*value) };
                }
                RingOp::Resize { len } => {
                    // SAFETY: ftruncate on a descriptor we hold.
                    let r = unsafe { libc::ftruncate(m.fd.as_raw_fd(), libc::off_t::from(*len)) };
                    assert!(
                        r != 0 || *len as usize == shm::SIZE,
                        "a client resized the shared ring to {len} bytes"
                    );
                }
            }
        }
        Step::Kick { sock } => {
            let Some(id) = w.pick(*sock) else { return };
            check(h.call(Op::Kick, id, &[]).0);
        }
        Step::Close { sock } => {
            let Some(id) = w.pick(*sock) else { return };
            w.rings.retain(|(s, _)| *s != id);
            h.drop_fd(id);
            check(h.call(Op::Closed, id, &[]).0);
            w.socks.retain(|s| *s != id);
        }
        Step::Raw { op, sock, prove, body } => {
            let id = w.pick(*sock).unwrap_or(u64::from(*sock));
            let mut b = W::new();
            b.u16(*op).u16(0).u64(id);
            b.0.extend_from_slice(body);
            let fd = if *prove { h.fd(id) } else { None };
            // Continuation frames (a large receive) have no head.
            if let Some(r) = h.request(&b.0, fd).first() {
                let head = ReplyHead::decode(&mut R::new(&r.bytes)).expect("a reply head");
                check(head.status);
            }
        }
    }
}
