//! The socket-option decoders of the host stack (`stack::options`), as
//! requests reach them: `setsockopt` and `getsockopt` with arbitrary
//! levels, names, lengths and bytes, on live sockets of an in-process
//! host stack (a listening one-to-one socket, a connected one-to-one pair
//! through it and a one-to-many IPv6 socket with an association), mixed
//! with sends and receives so the options see associations with data in
//! flight.
//!
//! Checked: no panic; every reply parses, and an error is an errno (never
//! EIO, which the stack answers for a caught panic, nor EPROTO: the
//! request was well-formed); a `getsockopt` returns no more than the
//! length offered; afterwards a fresh association carries a message, and
//! once every socket is closed no association is left.

#[path = "util.rs"]
mod util;

use arbitrary::{Arbitrary, Unstructured};
use sctpudp::ipc::{Op, R, W};
use std::net::SocketAddr;
use util::*;

#[derive(Arbitrary, Debug)]
enum Level {
    Sctp,
    Socket,
    Ip,
    Ipv6,
    Other(i32),
}

impl Level {
    fn value(&self) -> i32 {
        match self {
            Level::Sctp => libc::IPPROTO_SCTP,
            Level::Socket => libc::SOL_SOCKET,
            Level::Ip => libc::IPPROTO_IP,
            Level::Ipv6 => libc::IPPROTO_IPV6,
            Level::Other(v) => *v,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Len {
    /// The length of the bytes given.
    Exact,
    Value(i32),
}

#[derive(Arbitrary, Debug)]
enum Call {
    Set { sock: u8, level: Level, name: u8, len: Len, bytes: Vec<u8> },
    Get { sock: u8, level: Level, name: u8, len: Len, input: Vec<u8> },
    Send { sock: u8, len: u16 },
    Recv { sock: u8, cap: u16 },
}

const MAX_CALLS: usize = 64;

pub fn run(data: &[u8]) {
    let Ok(calls) = <Vec<Call> as Arbitrary>::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    if std::env::var_os("SCTPUDP_FUZZ_DEBUG").is_some() {
        eprintln!("{calls:#?}");
    }
    with_harness(|h| {
        let (l, c, a) = pair(h, LO4);
        let m = create(h, true, true);
        bind_any(h, m, LO6);
        listen(h, m);
        let lport = {
            let (_, body, _) = h.call(Op::SockName, l, &[]);
            R::new(&body).addr().expect("an address").port()
        };
        // A v4-mapped peer for the IPv6 one-to-many socket.
        let st = connect(h, m, SocketAddr::new(LO6, lport));
        assert!(st == 0 || st == -i64::from(libc::EINPROGRESS), "connect(): {st}");
        let socks = [l, c, a, m];
        for call in calls.iter().take(MAX_CALLS) {
            match call {
                Call::Set { sock, level, name, len, bytes } => {
                    let optlen = match len {
                        Len::Exact => bytes.len() as u32,
                        Len::Value(v) => *v as u32,
                    };
                    let mut w = W::new();
                    w.i32(level.value()).i32(i32::from(*name)).u32(optlen).bytes(bytes);
                    let (st, _, _) = h.call(Op::SetOpt, socks[*sock as usize % 4], &w.0);
                    check_status(st);
                }
                Call::Get { sock, level, name, len, input } => {
                    let len = match len {
                        Len::Exact => input.len() as i32,
                        Len::Value(v) => *v,
                    };
                    let mut w = W::new();
                    w.i32(level.value()).i32(i32::from(*name)).i32(len).bytes(input);
                    let (st, body, _) = h.call(Op::GetOpt, socks[*sock as usize % 4], &w.0);
                    check_status(st);
                    if st >= 0 {
                        let mut r = R::new(&body);
                        r.bool().expect("getsockopt reply");
                        r.u32().expect("getsockopt reply");
                        let out = r.bytes().expect("getsockopt reply");
                        let offered = len.max(0) as usize;
                        assert!(out.len() <= offered, "{} bytes out for {len} offered", out.len());
                    }
                }
                Call::Send { sock, len } => {
                    let data = vec![0x5a; usize::from(*len % 4096) + 1];
                    check_status(send(h, socks[*sock as usize % 4], &data));
                }
                Call::Recv { sock, cap } => {
                    let (st, _) = recv(h, socks[*sock as usize % 4], usize::from(*cap));
                    check_status(st);
                }
            }
        }
        still_works(h);
    });
}

/// A status is a result or an errno a socket call can give.
fn check_status(st: i64) {
    if st < 0 {
        let e = (-st) as i32;
        assert!(e != libc::EIO && e != libc::EPROTO, "errno {e}");
        assert!(e < 4096, "errno {e}");
    }
}
