//! System calls that always reach the kernel.
//!
//! The library exports libc's own names (`close`, `write`, `socket`, ...)
//! so it can intercept SCTP descriptors; the stack's own I/O must never go
//! through those wrappers (a `write` to a socket's readiness descriptor
//! would become an SCTP send). Everything here is `libc::syscall`.

use std::io;
use std::os::raw::c_int;

fn check(r: libc::c_long) -> io::Result<usize> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

/// close(2).
pub fn close(fd: c_int) -> io::Result<()> {
    // SAFETY: closing a descriptor has no memory-safety preconditions.
    check(unsafe { libc::syscall(libc::SYS_close, fd) }).map(|_| ())
}

/// read(2) into `buf`.
pub fn read(fd: c_int, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is a valid writable region of `buf.len()` bytes.
    check(unsafe { libc::syscall(libc::SYS_read, fd, buf.as_mut_ptr(), buf.len()) })
}

/// write(2) from `buf`.
pub fn write(fd: c_int, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is a valid readable region of `buf.len()` bytes.
    check(unsafe { libc::syscall(libc::SYS_write, fd, buf.as_ptr(), buf.len()) })
}

/// fcntl(2) with an integer argument.
pub fn fcntl(fd: c_int, cmd: c_int, arg: c_int) -> io::Result<c_int> {
    // SAFETY: the commands used here take an integer argument.
    check(unsafe { libc::syscall(libc::SYS_fcntl, fd, cmd, arg) }).map(|v| v as c_int)
}

/// socketpair(2): returns both ends.
pub fn socketpair(domain: c_int, ty: c_int) -> io::Result<(c_int, c_int)> {
    let mut fds = [0 as c_int; 2];
    // SAFETY: `fds` has room for the two descriptors the kernel writes.
    check(unsafe { libc::syscall(libc::SYS_socketpair, domain, ty, 0, fds.as_mut_ptr()) })?;
    Ok((fds[0], fds[1]))
}

/// eventfd2(2).
pub fn eventfd(init: u32, flags: c_int) -> io::Result<c_int> {
    // SAFETY: no pointers are passed.
    check(unsafe { libc::syscall(libc::SYS_eventfd2, init, flags) }).map(|v| v as c_int)
}

/// ppoll(2) on a set of descriptors with a timeout in milliseconds
/// (negative: forever). EINTR is returned to the caller.
pub fn poll(fds: &mut [libc::pollfd], timeout_ms: i64) -> io::Result<usize> {
    let ts;
    let tsp = if timeout_ms < 0 {
        std::ptr::null()
    } else {
        ts = libc::timespec {
            tv_sec: (timeout_ms / 1000) as libc::time_t,
            tv_nsec: ((timeout_ms % 1000) * 1_000_000) as libc::c_long,
        };
        &ts as *const libc::timespec
    };
    // SAFETY: `fds` is a valid array of `fds.len()` pollfd; `tsp` is null
    // or points to `ts`, alive for the call; no signal mask is passed.
    check(unsafe {
        libc::syscall(
            libc::SYS_ppoll,
            fds.as_mut_ptr(),
            fds.len() as libc::nfds_t,
            tsp,
            std::ptr::null::<libc::sigset_t>(),
            0usize,
        )
    })
}

/// epoll_create1(2).
pub fn epoll_create() -> io::Result<c_int> {
    // SAFETY: no pointers are passed.
    check(unsafe { libc::syscall(libc::SYS_epoll_create1, libc::EPOLL_CLOEXEC) })
        .map(|v| v as c_int)
}

/// epoll_ctl(2) ADD for `fd` with `events`, tagging it with `token`.
pub fn epoll_add(ep: c_int, fd: c_int, events: u32, token: u64) -> io::Result<()> {
    let mut ev = libc::epoll_event { events, u64: token };
    // SAFETY: `ev` is a valid epoll_event for the duration of the call.
    check(unsafe { libc::syscall(libc::SYS_epoll_ctl, ep, libc::EPOLL_CTL_ADD, fd, &mut ev) })
        .map(|_| ())
}

/// epoll_pwait(2) with a timeout in milliseconds (-1 forever).
pub fn epoll_wait(
    ep: c_int,
    evs: &mut [libc::epoll_event],
    timeout_ms: c_int,
) -> io::Result<usize> {
    // SAFETY: `evs` is a valid writable array of `evs.len()` events; no
    // signal mask is passed.
    check(unsafe {
        libc::syscall(
            libc::SYS_epoll_pwait,
            ep,
            evs.as_mut_ptr(),
            evs.len() as c_int,
            timeout_ms,
            std::ptr::null::<libc::sigset_t>(),
            0usize,
        )
    })
}

/// sendto(2) of `buf` to `addr`.
pub fn sendto(
    fd: c_int,
    buf: &[u8],
    addr: &libc::sockaddr_storage,
    len: libc::socklen_t,
) -> io::Result<usize> {
    // SAFETY: `buf` is readable for its length and `addr` is a valid
    // sockaddr of `len` bytes.
    check(unsafe {
        libc::syscall(
            libc::SYS_sendto,
            fd,
            buf.as_ptr(),
            buf.len(),
            libc::MSG_DONTWAIT,
            addr as *const _ as *const libc::sockaddr,
            len,
        )
    })
}

/// recvmmsg(2), non-blocking.
pub fn recvmmsg(fd: c_int, msgs: &mut [libc::mmsghdr]) -> io::Result<usize> {
    // SAFETY: `msgs` is a valid array whose iovecs and name buffers the
    // caller set up to point at live memory.
    check(unsafe {
        libc::syscall(
            libc::SYS_recvmmsg,
            fd,
            msgs.as_mut_ptr(),
            msgs.len() as libc::c_uint,
            libc::MSG_DONTWAIT,
            std::ptr::null::<libc::timespec>(),
        )
    })
}

/// sendmmsg(2), non-blocking.
pub fn sendmmsg(fd: c_int, msgs: &mut [libc::mmsghdr]) -> io::Result<usize> {
    // SAFETY: `msgs` is a valid array whose iovecs and names point at
    // live memory set up by the caller.
    check(unsafe {
        libc::syscall(
            libc::SYS_sendmmsg,
            fd,
            msgs.as_mut_ptr(),
            msgs.len() as libc::c_uint,
            libc::MSG_DONTWAIT,
        )
    })
}

/// dup(2) with close-on-exec (fcntl F_DUPFD_CLOEXEC from `min`).
pub fn dup_cloexec(fd: c_int, min: c_int) -> io::Result<c_int> {
    fcntl(fd, libc::F_DUPFD_CLOEXEC, min)
}

/// Converts a socket address to a sockaddr_storage and its length.
pub fn sockaddr_from(addr: &std::net::SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain old data; all-zero is valid.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    match addr {
        std::net::SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(a.ip().octets()) },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            unsafe { std::ptr::write(&mut ss as *mut _ as *mut libc::sockaddr_in, sin) };
            (ss, std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t)
        }
        std::net::SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr { s6_addr: a.ip().octets() },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
            unsafe { std::ptr::write(&mut ss as *mut _ as *mut libc::sockaddr_in6, sin6) };
            (ss, std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t)
        }
    }
}

/// Converts a sockaddr_storage filled by the kernel to a socket address.
pub fn sockaddr_to(ss: &libc::sockaddr_storage) -> Option<std::net::SocketAddr> {
    match ss.ss_family as c_int {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let sin = unsafe { &*(ss as *const _ as *const libc::sockaddr_in) };
            let ip = std::net::Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Some(std::net::SocketAddr::new(ip.into(), u16::from_be(sin.sin_port)))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let sin6 = unsafe { &*(ss as *const _ as *const libc::sockaddr_in6) };
            let ip = std::net::Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            // Dual-stack socket: show IPv4 peers as IPv4.
            let ip: std::net::IpAddr = match ip.to_ipv4_mapped() {
                Some(v4) => v4.into(),
                None => ip.into(),
            };
            Some(std::net::SocketAddr::new(ip, u16::from_be(sin6.sin6_port)))
        }
        _ => None,
    }
}
