//! The C ABI: lksctp's function names and Linux struct layouts. Every
//! pointer from C is checked before use ([`mem`]), every error is `-1`
//! with the errno the kernel would set, and no panic crosses into C.
//!
//! These are the C ABI: they take raw pointers from C by design and never
//! dereference them directly (reads and writes go through `abi::mem`, or
//! the pointers pass unchanged to the next libc definition).
#![allow(clippy::not_unsafe_ptr_arg_deref)]

pub mod ext;
pub mod guarded;
pub mod lksctp;
pub mod mem;
pub mod ops;
pub mod options;
pub mod types;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::raw::c_int;

/// Sets the calling thread's errno.
pub fn set_errno(e: c_int) {
    // SAFETY: __errno_location returns the calling thread's errno slot.
    unsafe { *libc::__errno_location() = e };
}

/// Runs `f`; a panic becomes EIO instead of unwinding into C. On success
/// errno is left as the caller had it, as a system call leaves it (the
/// library makes system calls of its own on the way, some of which fail
/// harmlessly). Every exported SCTP operation runs inside it.
pub fn boundary<T>(fail: T, f: impl FnOnce() -> Result<T, c_int>) -> T {
    let saved = errno();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => {
            set_errno(saved);
            v
        }
        Ok(Err(e)) => {
            set_errno(e);
            fail
        }
        Err(_) => {
            crate::log::log(
                crate::log::Level::Error,
                "internal error (panic) caught at the C boundary",
            );
            set_errno(libc::EIO);
            fail
        }
    }
}

/// The calling thread's errno.
pub fn errno() -> c_int {
    // SAFETY: __errno_location returns the calling thread's errno slot.
    unsafe { *libc::__errno_location() }
}

/// Runs the whole body of an exported function: a panic anywhere in it
/// (even on the path that passes a call on to libc) becomes -1 with EIO
/// instead of unwinding into C.
pub fn guard<T>(fail: T, f: impl FnOnce() -> T) -> T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(_) => {
            crate::log::log(
                crate::log::Level::Error,
                "internal error (panic) caught at the C boundary",
            );
            set_errno(libc::EIO);
            fail
        }
    }
}

/// Whether lksctp-tools' libwithsctp (which turns TCP sockets into SCTP
/// ones) is loaded in the process: 0 unknown, 1 no, 2 yes.
static WITHSCTP: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// libwithsctp reaches libc's socket() through dlopen("libc.so.6"), past
/// any preloaded library, so it cannot hand its SCTP sockets to us. When
/// it is preloaded after sctpudp (`LD_PRELOAD="libsctpudp.so
/// libwithsctp.so.1"`), our socket() runs first and does its mapping
/// itself: a TCP stream socket becomes an SCTP one-to-one socket.
pub fn withsctp_loaded() -> bool {
    use std::sync::atomic::Ordering;
    match WITHSCTP.load(Ordering::Relaxed) {
        1 => false,
        2 => true,
        _ => {
            // SAFETY: RTLD_NOLOAD only looks the library up; the name is
            // NUL-terminated.
            let h = unsafe {
                libc::dlopen(c"libwithsctp.so.1".as_ptr(), libc::RTLD_LAZY | libc::RTLD_NOLOAD)
            };
            let yes = !h.is_null();
            if yes {
                // SAFETY: `h` came from dlopen above (which took a reference).
                unsafe { libc::dlclose(h) };
            }
            WITHSCTP.store(if yes { 2 } else { 1 }, Ordering::Relaxed);
            yes
        }
    }
}

/// What `sctp_setsockopt` copies in at most:
/// `PAGE_ALIGN(USHRT_MAX + sizeof(__u16) * sizeof(struct sctp_reset_streams))`.
pub const MAX_SET_LEN: usize =
    (65535 + 2 * core::mem::size_of::<types::sctp_reset_streams>() + 4095) & !4095;

/// Size of the sockaddr for `family`, or None.
pub fn addr_len(family: c_int) -> Option<usize> {
    match family {
        libc::AF_INET => Some(std::mem::size_of::<libc::sockaddr_in>()),
        libc::AF_INET6 => Some(std::mem::size_of::<libc::sockaddr_in6>()),
        _ => None,
    }
}

/// Decodes a `sockaddr_in`/`sockaddr_in6` at the start of `b`: the
/// address and its length, or None for another family or too few bytes.
/// The one sockaddr decoder of the crate.
pub fn sockaddr_from_bytes(b: &[u8]) -> Option<(SocketAddr, usize)> {
    if b.len() < 2 {
        return None;
    }
    let family = c_int::from(u16::from_ne_bytes([b[0], b[1]]));
    let len = addr_len(family)?;
    if b.len() < len {
        return None;
    }
    let port = u16::from_be_bytes([b[2], b[3]]);
    let ip = if family == libc::AF_INET {
        IpAddr::V4(Ipv4Addr::new(b[4], b[5], b[6], b[7]))
    } else {
        let mut o = [0u8; 16];
        o.copy_from_slice(&b[8..24]);
        IpAddr::V6(Ipv6Addr::from(o))
    };
    Some((SocketAddr::new(ip, port), len))
}

/// Decodes one sockaddr of at most `max` bytes at `p`. Returns the
/// address and its length.
pub fn read_sockaddr(p: *const libc::sockaddr, max: usize) -> Result<(SocketAddr, usize), c_int> {
    if p.is_null() {
        return Err(libc::EFAULT);
    }
    if max < 2 {
        return Err(libc::EINVAL);
    }
    let mut fam = [0u8; 2];
    mem::read_into(p as *const _, &mut fam)?;
    let family = u16::from_ne_bytes(fam) as c_int;
    let len = addr_len(family).ok_or(libc::EINVAL)?;
    if max < len {
        return Err(libc::EINVAL);
    }
    let b = mem::read_vec(p as *const _, len)?;
    sockaddr_from_bytes(&b).ok_or(libc::EINVAL)
}

/// Walks a packed address buffer the way `sctp_setsockopt_bindx` and
/// `__sctp_connect` do: every address must be of a known family and lie
/// wholly inside the buffer (EINVAL).
pub fn parse_packed(b: &[u8]) -> Result<Vec<SocketAddr>, c_int> {
    if b.is_empty() {
        return Err(libc::EINVAL);
    }
    let mut v = Vec::new();
    let mut off = 0;
    while off < b.len() {
        let (a, n) = sockaddr_from_bytes(&b[off..]).ok_or(libc::EINVAL)?;
        v.push(a);
        off += n;
    }
    Ok(v)
}

/// Decodes `count` packed sockaddrs (sctp_bindx/sctp_connectx style).
pub fn read_packed_addrs(
    p: *const libc::sockaddr,
    count: c_int,
    max_bytes: Option<usize>,
) -> Result<Vec<SocketAddr>, c_int> {
    if count <= 0 {
        return Err(libc::EINVAL);
    }
    let mut v = Vec::new();
    let mut off = 0usize;
    for _ in 0..count {
        let room = max_bytes.map(|m| m.saturating_sub(off)).unwrap_or(usize::MAX);
        // SAFETY: pointer arithmetic only; the bytes are read through `mem`.
        let q = unsafe { (p as *const u8).add(off) } as *const libc::sockaddr;
        let (a, len) = read_sockaddr(q, room)?;
        v.push(a);
        off += len;
    }
    Ok(v)
}

/// Writes a `struct sockaddr_in`/`sockaddr_in6` at `off` (room for a
/// sockaddr_storage is assumed).
pub fn put_sockaddr(b: &mut [u8], off: usize, a: &SocketAddr) {
    match a {
        SocketAddr::V4(v4) => {
            b[off..off + 2].copy_from_slice(&(libc::AF_INET as u16).to_ne_bytes());
            b[off + 2..off + 4].copy_from_slice(&v4.port().to_be_bytes());
            b[off + 4..off + 8].copy_from_slice(&v4.ip().octets());
        }
        SocketAddr::V6(v6) => {
            b[off..off + 2].copy_from_slice(&(libc::AF_INET6 as u16).to_ne_bytes());
            b[off + 2..off + 4].copy_from_slice(&v6.port().to_be_bytes());
            b[off + 4..off + 8].copy_from_slice(&v6.flowinfo().to_ne_bytes());
            b[off + 8..off + 24].copy_from_slice(&v6.ip().octets());
            b[off + 24..off + 28].copy_from_slice(&v6.scope_id().to_ne_bytes());
        }
    }
}

/// Encodes an address as the bytes of a sockaddr_in/in6.
pub fn sockaddr_bytes(a: &SocketAddr) -> Vec<u8> {
    let mut b =
        vec![0u8; addr_len(if a.is_ipv4() { libc::AF_INET } else { libc::AF_INET6 }).unwrap_or(16)];
    put_sockaddr(&mut b, 0, a);
    b
}

/// Writes `a` to a (sockaddr *, socklen_t *) output pair as the kernel
/// does: truncated to the caller's length, the full length stored back.
pub fn write_sockaddr(
    p: *mut libc::sockaddr,
    lenp: *mut libc::socklen_t,
    a: &SocketAddr,
) -> Result<(), c_int> {
    if p.is_null() || lenp.is_null() {
        return Ok(());
    }
    let cap = mem::read_val(lenp)? as usize;
    let b = sockaddr_bytes(a);
    let n = b.len().min(cap);
    mem::write_bytes(p as *mut _, &b[..n])?;
    mem::write_val(lenp, &(b.len() as libc::socklen_t))?;
    Ok(())
}
