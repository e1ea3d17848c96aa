//! What the host-stack targets (`sockopt`, `ipc`) share: the in-process
//! harness (`sctpudp::stack::server::Harness`: a contained host stack,
//! requests in, replies out) and the client side of a few requests.

use sctpudp::ipc::{Op, SendReq, R, W};
use sctpudp::proto::assoc::AssocState;
use sctpudp::stack::server::Harness;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;

static HARNESS: Mutex<Option<Harness>> = Mutex::new(None);

/// Runs `f` on the process's harness (made on first use), then closes
/// every socket and checks that no association outlives its sockets.
pub fn with_harness(f: impl FnOnce(&mut Harness)) {
    let mut g = HARNESS.lock().unwrap_or_else(|e| e.into_inner());
    let h = g.get_or_insert_with(|| Harness::new().expect("a contained host stack"));
    f(h);
    h.close_all();
    // What a socket the input closed (gracefully) leaves behind is an
    // association still ending: a handshake under way (a send then close()
    // in COOKIE-WAIT delivers the data once the association is up) or a
    // SHUTDOWN waiting for its data to be acknowledged by a peer that is
    // never there (or is the socket itself), which would give up only
    // after its retransmissions. They are ended here, so they do not pile
    // up over runs. One still ESTABLISHED, with no socket, is a leak.
    for id in h.stack().assoc_ids() {
        let st = h.stack().with_assoc(id, |a, now| {
            let st = a.state();
            a.abort(now, bytes::Bytes::new());
            st
        });
        assert!(
            st != Some(AssocState::Established),
            "association {id:?} left ESTABLISHED after every socket closed"
        );
    }
    h.stack().pump();
    let left = h.stack().assoc_ids();
    assert!(left.is_empty(), "associations left after every socket closed: {left:?}");
}

pub const LO4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
pub const LO6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

/// socket(): the new socket's id.
pub fn create(h: &mut Harness, v6: bool, one_to_many: bool) -> u64 {
    let family = if v6 { libc::AF_INET6 } else { libc::AF_INET };
    let mut w = W::new();
    w.i32(family).u8(u8::from(one_to_many)).bool(true).u16(0);
    let (st, body, _) = h.call(Op::Create, 0, &w.0);
    assert_eq!(st, 0, "socket()");
    R::new(&body).u64().expect("the new socket's id")
}

/// bind() to `ip`, port 0; the port chosen.
pub fn bind_any(h: &mut Harness, id: u64, ip: IpAddr) -> u16 {
    let mut w = W::new();
    w.addrs(&[SocketAddr::new(ip, 0)]).bool(true);
    let (st, _, _) = h.call(Op::Bind, id, &w.0);
    assert_eq!(st, 0, "bind()");
    let (st, body, _) = h.call(Op::SockName, id, &[]);
    assert_eq!(st, 0, "getsockname()");
    R::new(&body).addr().expect("an address").port()
}

pub fn listen(h: &mut Harness, id: u64) {
    let mut w = W::new();
    w.i32(16);
    assert_eq!(h.call(Op::Listen, id, &w.0).0, 0, "listen()");
}

/// connect(): the status (0, or a negative errno: EINPROGRESS when the
/// handshake did not finish inside the call).
pub fn connect(h: &mut Harness, id: u64, to: SocketAddr) -> i64 {
    let mut w = W::new();
    w.addrs(&[to]);
    h.call(Op::Connect, id, &w.0).0
}

/// accept() on a non-blocking listener: the new socket's id.
pub fn accept(h: &mut Harness, id: u64) -> Option<u64> {
    let mut w = W::new();
    w.bool(true);
    let (st, body, _) = h.call(Op::Accept, id, &w.0);
    (st == 0).then(|| R::new(&body).u64().ok()).flatten()
}

/// send() of `data` with the socket's defaults: the status.
pub fn send(h: &mut Harness, id: u64, data: &[u8]) -> i64 {
    let mut w = W::new();
    SendReq::default().encode(&mut w);
    w.0.extend_from_slice(data);
    h.call(Op::Send, id, &w.0).0
}

/// recv() of at most `cap` bytes: the status and the data.
pub fn recv(h: &mut Harness, id: u64, cap: usize) -> (i64, Vec<u8>) {
    let mut w = W::new();
    w.u64(cap as u64).bool(false);
    let (st, body, _) = h.call(Op::Recv, id, &w.0);
    if st < 0 {
        return (st, Vec::new());
    }
    let mut r = R::new(&body);
    sctpudp::ipc::RecvMeta::decode(&mut r).expect("receive metadata");
    let data = r.rest().to_vec();
    assert_eq!(data.len() as i64, st, "a receive's length and its data");
    (st, data)
}

/// A one-to-one listener on `ip`, a client connected to it and the
/// accepted socket: (listener, client, accepted).
pub fn pair(h: &mut Harness, ip: IpAddr) -> (u64, u64, u64) {
    let v6 = ip.is_ipv6();
    let l = create(h, v6, false);
    let port = bind_any(h, l, ip);
    listen(h, l);
    let c = create(h, v6, false);
    let st = connect(h, c, SocketAddr::new(ip, port));
    assert!(st == 0 || st == -i64::from(libc::EINPROGRESS), "connect(): {st}");
    let a = accept(h, l).expect("the handshake on this host completes inside connect()");
    (l, c, a)
}

/// The stack still works: a fresh association carries a message.
pub fn still_works(h: &mut Harness) {
    let (_, c, a) = pair(h, LO4);
    assert_eq!(send(h, c, b"still here"), 10, "send on a fresh association");
    assert_eq!(recv(h, a, 64), (10, b"still here".to_vec()), "recv on a fresh association");
}
