//! Bounded, deterministic fuzzing of the socket-option decoders through
//! the C API, as a program reaches them: `setsockopt` and `getsockopt`
//! with arbitrary levels, names, lengths and bytes (and bad pointers) on
//! real SCTP sockets of a host stack of this test's own (the stack
//! program `sctpudpd`, started by the library as for any program): a
//! listening one-to-one socket, a connected one-to-one pair and a
//! one-to-many socket with an association.
//!
//! Checked: every call returns 0 or -1 with an errno the kernel could
//! give for a socket option (never EIO, which is what the library and
//! the stack answer when they caught a panic); the output length stays
//! within what was offered; and after each batch the stack still answers
//! and carries a message on a fresh association (a decoder that crashed
//! or wedged it fails here).
//!
//! 10,000 cases by default (about a second), in batches on fresh sockets;
//! `SCTPUDP_FUZZ_CASES=N` and `SCTPUDP_FUZZ_SEED=K` run more or others.
//! (What the options do is checked by c-tests/t_options and Linux's
//! func_tests; this is about what no program should be able to do.)
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use sctpudp::abi::types as t;
use sctpudp::preload;
use std::os::raw::{c_int, c_void};

/// Options that make associations to arbitrary addresses (traffic off
/// this host) or descriptors (peeloff): left out.
const SKIP: [c_int; 6] = [
    t::SCTP_SOCKOPT_CONNECTX_OLD,
    t::SCTP_SOCKOPT_CONNECTX,
    t::SCTP_SOCKOPT_CONNECTX3,
    t::SCTP_SOCKOPT_PEELOFF,
    t::SCTP_SOCKOPT_PEELOFF_FLAGS,
    t::SCTP_SOCKOPT_BINDX_ADD,
];

fn errno() -> c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn addr(port: u16) -> libc::sockaddr_in {
    // SAFETY: sockaddr_in is plain old data.
    let mut a: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    a.sin_family = libc::AF_INET as libc::sa_family_t;
    a.sin_port = port.to_be();
    a.sin_addr.s_addr = u32::from_be_bytes([127, 0, 0, 1]).to_be();
    a
}

fn sctp_socket(ty: c_int) -> c_int {
    let fd = preload::socket(libc::AF_INET, ty, t::IPPROTO_SCTP);
    assert!(fd >= 0, "socket: errno {}", errno());
    fd
}

fn wait(fd: c_int, ev: i16) {
    let mut p = libc::pollfd { fd, events: ev, revents: 0 };
    // SAFETY: one valid pollfd.
    let n = unsafe { libc::poll(&mut p, 1, 10_000) };
    assert_eq!(n, 1, "poll timed out");
}

/// The sockets a batch works on.
struct Fixture {
    fds: Vec<c_int>,
}

/// A listening one-to-one socket on `port` and a connected pair through
/// it: (listener, client, accepted).
fn one_to_one(port: u16) -> (c_int, c_int, c_int) {
    let a = addr(port);
    let sa = &a as *const libc::sockaddr_in as *const libc::sockaddr;
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    let l = sctp_socket(libc::SOCK_STREAM);
    assert_eq!(preload::bind(l, sa, len), 0, "bind {port}: errno {}", errno());
    assert_eq!(preload::listen(l, 8), 0);
    let c = sctp_socket(libc::SOCK_STREAM);
    assert_eq!(preload::connect(c, sa, len), 0, "connect {port}: errno {}", errno());
    wait(l, libc::POLLIN);
    let s = preload::accept(l, std::ptr::null_mut(), std::ptr::null_mut());
    assert!(s >= 0, "accept {port}: errno {}", errno());
    (l, c, s)
}

impl Fixture {
    fn new(port: u16) -> Fixture {
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let (l, c, s) = one_to_one(port);
        let m = sctp_socket(libc::SOCK_SEQPACKET);
        let b = addr(port + 1);
        let sb = &b as *const libc::sockaddr_in as *const libc::sockaddr;
        assert_eq!(preload::bind(m, sb, len), 0);
        assert_eq!(preload::listen(m, 8), 0);
        let mc = sctp_socket(libc::SOCK_SEQPACKET);
        let msg = b"hello";
        let n = preload::sendto(mc, msg.as_ptr() as *const c_void, msg.len(), 0, sb, len);
        assert_eq!(n, msg.len() as isize, "sendto: errno {}", errno());
        Fixture { fds: vec![l, c, s, m, mc] }
    }

    /// The stack still works: a new association carries a message.
    fn check_alive(&self, port: u16) {
        let (l, c, s) = one_to_one(port);
        assert_eq!(preload::send(c, b"ping".as_ptr() as *const c_void, 4, 0), 4);
        wait(s, libc::POLLIN);
        let mut buf = [0u8; 16];
        assert_eq!(preload::recv(s, buf.as_mut_ptr() as *mut c_void, 16, 0), 4);
        assert_eq!(&buf[..4], b"ping");
        for fd in [l, c, s] {
            preload::close(fd);
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        for &fd in &self.fds {
            preload::close(fd);
        }
    }
}

#[derive(Debug, Clone)]
struct Case {
    sock: usize,
    set: bool,
    level: c_int,
    name: c_int,
    len: u32,
    bytes: Vec<u8>,
    /// 0: a buffer of `len` bytes; 1: NULL; 2: an unmapped address.
    ptr: u8,
}

fn case() -> impl Strategy<Value = Case> {
    let level = prop_oneof![
        6 => Just(t::IPPROTO_SCTP),
        1 => Just(libc::SOL_SOCKET),
        1 => Just(libc::IPPROTO_IP),
        1 => Just(libc::IPPROTO_IPV6),
        1 => any::<c_int>(),
    ];
    let name = prop_oneof![
        8 => 0..135i32,
        1 => any::<c_int>(),
    ]
    .prop_filter("skipped", |n| !SKIP.contains(n));
    let len = prop_oneof![
        6 => 0u32..300,
        2 => 0u32..70_000,
        1 => any::<u32>(),
    ];
    (
        0usize..5,
        any::<bool>(),
        level,
        name,
        len,
        proptest::collection::vec(any::<u8>(), 0..400),
        prop_oneof![10 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
    )
        .prop_map(|(sock, set, level, name, len, bytes, ptr)| Case {
            sock,
            set,
            level,
            name,
            len,
            bytes,
            ptr,
        })
}

/// The errnos an SCTP socket option may give (net/sctp/socket.c).
const ALLOWED: [c_int; 20] = [
    libc::ESRCH,
    libc::ENODATA,
    libc::ENODEV,
    libc::EDOM,
    libc::ERANGE,
    libc::ENOBUFS,
    libc::EINVAL,
    libc::EFAULT,
    libc::ENOPROTOOPT,
    libc::EOPNOTSUPP,
    libc::EPERM,
    libc::EACCES,
    libc::ENOTCONN,
    libc::EADDRNOTAVAIL,
    libc::ENOMEM,
    libc::EAGAIN,
    libc::EINPROGRESS,
    libc::EBUSY,
    libc::ENOENT,
    libc::EALREADY,
];

thread_local! {
    /// How the calls ended (0: success, else the errno), for the summary.
    static OUTCOMES: std::cell::RefCell<std::collections::BTreeMap<c_int, u32>> =
        Default::default();
}

fn run(fx: &Fixture, c: &Case, unmapped: *mut u8) -> Result<(), TestCaseError> {
    let fd = fx.fds[c.sock];
    // What the option points at: our bytes, padded to `len` (capped: a
    // huge length must be refused, not read).
    let cap = (c.len as usize).min(70_000);
    let mut buf = c.bytes.clone();
    buf.resize(cap.max(1), 0);
    let p: *mut c_void = match c.ptr {
        0 => buf.as_mut_ptr() as *mut c_void,
        1 => std::ptr::null_mut(),
        _ => unmapped as *mut c_void,
    };
    // A length the buffer really has, unless it is the huge one.
    let len = if c.len as usize > cap { c.len } else { cap as u32 };
    let (r, e, out_len) = if c.set {
        let r = preload::setsockopt(fd, c.level, c.name, p, len as libc::socklen_t);
        (r, errno(), None)
    } else {
        let mut l: libc::socklen_t = len as libc::socklen_t;
        let r = preload::getsockopt(fd, c.level, c.name, p, &mut l);
        (r, errno(), Some(l))
    };
    OUTCOMES.with(|o| *o.borrow_mut().entry(if r == 0 { 0 } else { e }).or_insert(0) += 1);
    if r != 0 {
        prop_assert_eq!(r, -1, "{:?}: returned {}", c, r);
        // Other levels are the kernel's own answers for the descriptor
        // (passed through): anything but EIO, our panic marker.
        let ok = if c.level == t::IPPROTO_SCTP {
            ALLOWED.contains(&e)
        } else {
            e != libc::EIO && e != 0
        };
        prop_assert!(ok, "{:?}: errno {} ({})", c, e, std::io::Error::from_raw_os_error(e));
    } else if let Some(l) = out_len {
        // Never more than was offered (a few Linux options report a
        // needed size larger than given only with an error).
        prop_assert!(l <= len.max(4096), "{:?}: optlen {} out of {}", c, l, len);
    }
    Ok(())
}

#[test]
fn socket_options_fed_arbitrary_bytes() {
    std::env::set_var("SCTPUDP_DAEMON", env!("CARGO_BIN_EXE_sctpudpd"));
    std::env::set_var("SCTPUDP_UDP_PORT", "0");
    std::env::set_var("SCTPUDP_LOG", "off");
    let cases: u32 =
        std::env::var("SCTPUDP_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let seed: u64 =
        std::env::var("SCTPUDP_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(7);
    // SAFETY: a fresh anonymous page, unmapped again: a pointer into
    // nothing.
    let unmapped = unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert_ne!(p, libc::MAP_FAILED);
        libc::munmap(p, 4096);
        p as *mut u8
    };
    const BATCH: u32 = 250;
    let mut port = 20_000 + (std::process::id() % 20_000) as u16;
    let mut done = 0;
    while done < cases {
        let n = BATCH.min(cases - done);
        let fx = Fixture::new(port);
        let mut runner = TestRunner::new(Config {
            cases: n,
            failure_persistence: None,
            rng_seed: RngSeed::Fixed(seed.wrapping_add(u64::from(done))),
            ..Config::default()
        });
        let r = runner.run(&case(), |c| run(&fx, &c, unmapped));
        if let Err(e) = r {
            panic!("{e}");
        }
        fx.check_alive(port + 2);
        drop(fx);
        done += n;
        port = port.wrapping_add(3).max(1024);
    }
    // (`--nocapture` shows it.) A run where nothing succeeded, or nothing
    // failed, tested little.
    let o = OUTCOMES.with(|o| o.borrow().clone());
    eprintln!("outcomes (0 = success, else errno: calls): {o:?}");
    assert!(o.get(&0).copied().unwrap_or(0) > cases / 20, "too few calls succeeded: {o:?}");
    assert!(o.get(&libc::EINVAL).copied().unwrap_or(0) > cases / 20, "too few EINVAL: {o:?}");
}
