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
            let ip = unmap(ip.into());
            Some(std::net::SocketAddr::new(ip, u16::from_be(sin6.sin6_port)))
        }
        _ => None,
    }
}

/// Sets or clears O_NONBLOCK on the open file behind `fd`.
pub fn set_nonblocking(fd: c_int, on: bool) -> io::Result<()> {
    let fl = fcntl(fd, libc::F_GETFL, 0)?;
    let fl = if on { fl | libc::O_NONBLOCK } else { fl & !libc::O_NONBLOCK };
    fcntl(fd, libc::F_SETFL, fl).map(|_| ())
}

/// Whether the open file behind `fd` is non-blocking.
pub fn is_nonblocking(fd: c_int) -> io::Result<bool> {
    Ok(fcntl(fd, libc::F_GETFL, 0)? & libc::O_NONBLOCK != 0)
}

/// An AF_UNIX address for `name` (abstract names start with NUL).
pub fn unix_addr(name: &[u8]) -> io::Result<(libc::sockaddr_un, libc::socklen_t)> {
    // SAFETY: sockaddr_un is plain old data; all-zero is valid.
    let mut a: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    if name.len() > a.sun_path.len() {
        return Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG));
    }
    a.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (d, s) in a.sun_path.iter_mut().zip(name) {
        *d = *s as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + name.len();
    Ok((a, len as libc::socklen_t))
}

/// bind(2) of an AF_UNIX socket to `name`.
pub fn bind_abstract(fd: c_int, name: &[u8]) -> io::Result<()> {
    let (a, len) = unix_addr(name)?;
    // SAFETY: `a` is a valid sockaddr_un of `len` bytes.
    check(unsafe { libc::syscall(libc::SYS_bind, fd, &a as *const libc::sockaddr_un, len) })
        .map(|_| ())
}

/// connect(2) of an AF_UNIX socket to `name`.
pub fn connect_unix(fd: c_int, name: &[u8]) -> io::Result<()> {
    let (a, len) = unix_addr(name)?;
    // SAFETY: `a` is a valid sockaddr_un of `len` bytes.
    check(unsafe { libc::syscall(libc::SYS_connect, fd, &a as *const libc::sockaddr_un, len) })
        .map(|_| ())
}

/// The AF_UNIX name of `fd`'s peer (getpeername), or of `fd` itself.
pub fn unix_name(fd: c_int, peer: bool) -> io::Result<Vec<u8>> {
    // SAFETY: sockaddr_un is plain old data; all-zero is valid.
    let mut a: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
    let nr = if peer { libc::SYS_getpeername } else { libc::SYS_getsockname };
    // SAFETY: `a` and `len` are valid for the kernel to fill.
    check(unsafe { libc::syscall(nr, fd, &mut a as *mut libc::sockaddr_un, &mut len) })?;
    if a.sun_family != libc::AF_UNIX as libc::sa_family_t {
        return Err(io::Error::from_raw_os_error(libc::EAFNOSUPPORT));
    }
    let n = (len as usize).saturating_sub(std::mem::size_of::<libc::sa_family_t>());
    Ok(a.sun_path[..n.min(a.sun_path.len())].iter().map(|c| *c as u8).collect())
}

/// An integer socket option.
pub fn getsockopt_int(fd: c_int, level: c_int, name: c_int) -> io::Result<c_int> {
    let mut v: c_int = 0;
    let mut len = std::mem::size_of::<c_int>() as libc::socklen_t;
    // SAFETY: `v` and `len` are valid for the kernel to fill.
    check(unsafe { libc::syscall(libc::SYS_getsockopt, fd, level, name, &mut v, &mut len) })?;
    Ok(v)
}

/// Sets an integer socket option.
pub fn setsockopt_int(fd: c_int, level: c_int, name: c_int, v: c_int) -> io::Result<()> {
    let len = std::mem::size_of::<c_int>() as libc::socklen_t;
    // SAFETY: `v` is a valid int of `len` bytes.
    check(unsafe { libc::syscall(libc::SYS_setsockopt, fd, level, name, &v, len) }).map(|_| ())
}

/// The inode number of the file behind `fd` (fstat).
pub fn inode(fd: c_int) -> io::Result<u64> {
    // SAFETY: stat is plain old data; all-zero is valid.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is valid for the kernel to fill.
    check(unsafe { libc::syscall(libc::SYS_fstat, fd, &mut st as *mut libc::stat) })?;
    Ok(st.st_ino)
}

/// epoll_ctl(2) MOD.
pub fn epoll_mod(ep: c_int, fd: c_int, events: u32, token: u64) -> io::Result<()> {
    let mut ev = libc::epoll_event { events, u64: token };
    // SAFETY: `ev` is a valid epoll_event for the duration of the call.
    check(unsafe { libc::syscall(libc::SYS_epoll_ctl, ep, libc::EPOLL_CTL_MOD, fd, &mut ev) })
        .map(|_| ())
}

/// epoll_ctl(2) DEL.
pub fn epoll_del(ep: c_int, fd: c_int) -> io::Result<()> {
    let mut ev = libc::epoll_event { events: 0, u64: 0 };
    // SAFETY: `ev` is a valid epoll_event (ignored by DEL on new kernels).
    check(unsafe { libc::syscall(libc::SYS_epoll_ctl, ep, libc::EPOLL_CTL_DEL, fd, &mut ev) })
        .map(|_| ())
}

/// socket(2).
pub fn socket(domain: c_int, ty: c_int, proto: c_int) -> io::Result<c_int> {
    // SAFETY: no pointers are passed.
    check(unsafe { libc::syscall(libc::SYS_socket, domain, ty, proto) }).map(|v| v as c_int)
}

/// Most descriptors one sendmsg/recvmsg passes here.
pub const MAX_FDS: usize = 4;

/// sendmsg(2) of one datagram made of `parts`, with `fds` attached
/// (SCM_RIGHTS). Non-blocking when `dontwait`.
pub fn send_with_fds(
    fd: c_int,
    parts: &[&[u8]],
    fds: &[c_int],
    dontwait: bool,
) -> io::Result<usize> {
    let mut iov: Vec<libc::iovec> = parts
        .iter()
        .map(|p| libc::iovec { iov_base: p.as_ptr() as *mut libc::c_void, iov_len: p.len() })
        .collect();
    let mut control = [0u64; 8];
    // SAFETY: msghdr is plain old data; zeroed is a valid empty header.
    let mut m: libc::msghdr = unsafe { std::mem::zeroed() };
    m.msg_iov = iov.as_mut_ptr();
    m.msg_iovlen = iov.len();
    let nfds = fds.len().min(MAX_FDS);
    if nfds > 0 {
        let data_len = (nfds * std::mem::size_of::<c_int>()) as u32;
        m.msg_control = control.as_mut_ptr() as *mut libc::c_void;
        // SAFETY: CMSG_SPACE is a pure computation.
        m.msg_controllen = unsafe { libc::CMSG_SPACE(data_len) } as usize;
        // SAFETY: `control` (64 bytes) holds one cmsghdr with up to four
        // ints; CMSG_* stay within msg_controllen.
        unsafe {
            let c = libc::CMSG_FIRSTHDR(&m);
            (*c).cmsg_level = libc::SOL_SOCKET;
            (*c).cmsg_type = libc::SCM_RIGHTS;
            (*c).cmsg_len = libc::CMSG_LEN(data_len) as usize;
            std::ptr::copy_nonoverlapping(fds.as_ptr(), libc::CMSG_DATA(c) as *mut c_int, nfds);
        }
    }
    let flags = libc::MSG_NOSIGNAL | if dontwait { libc::MSG_DONTWAIT } else { 0 };
    loop {
        // SAFETY: every pointer in `m` refers to live buffers above.
        let r = unsafe { libc::syscall(libc::SYS_sendmsg, fd, &m as *const libc::msghdr, flags) };
        match check(r) {
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
            other => return other,
        }
    }
}

/// recvmsg(2) of one datagram into `buf`, taking any descriptors passed
/// with it (close-on-exec; more than `MAX_FDS` are closed). Returns the
/// length and whether the datagram was truncated. Blocking unless
/// `dontwait`; EINTR is retried.
pub fn recv_with_fds(
    fd: c_int,
    buf: &mut [u8],
    fds: &mut Vec<std::os::fd::OwnedFd>,
    dontwait: bool,
) -> io::Result<(usize, bool)> {
    use std::os::fd::FromRawFd;
    let mut iov =
        libc::iovec { iov_base: buf.as_mut_ptr() as *mut libc::c_void, iov_len: buf.len() };
    let mut control = [0u64; 16];
    // SAFETY: msghdr is plain old data; zeroed is a valid empty header.
    let mut m: libc::msghdr = unsafe { std::mem::zeroed() };
    m.msg_iov = &mut iov;
    m.msg_iovlen = 1;
    m.msg_control = control.as_mut_ptr() as *mut libc::c_void;
    m.msg_controllen = std::mem::size_of_val(&control);
    let flags = libc::MSG_CMSG_CLOEXEC | if dontwait { libc::MSG_DONTWAIT } else { 0 };
    let n = loop {
        // SAFETY: every pointer in `m` refers to live buffers above.
        let r = unsafe { libc::syscall(libc::SYS_recvmsg, fd, &mut m as *mut libc::msghdr, flags) };
        match check(r) {
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
            other => break other?,
        }
    };
    // SAFETY: CMSG_* walk the control buffer the kernel filled, bounded by
    // msg_controllen; descriptors are read unaligned.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&m);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(c) as *const c_int;
                let hdr = (data as usize) - (c as usize);
                let count =
                    ((*c).cmsg_len as usize).saturating_sub(hdr) / std::mem::size_of::<c_int>();
                for i in 0..count {
                    let f = std::ptr::read_unaligned(data.add(i));
                    fds.push(std::os::fd::OwnedFd::from_raw_fd(f));
                }
            }
            c = libc::CMSG_NXTHDR(&m, c);
        }
    }
    fds.truncate(MAX_FDS);
    Ok((n, m.msg_flags & libc::MSG_TRUNC != 0))
}

/// The credentials of the process at the other end of a unix socket.
pub fn peer_cred(fd: c_int) -> io::Result<libc::ucred> {
    let mut c = libc::ucred { pid: 0, uid: 0, gid: 0 };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `c` and `len` are valid for the kernel to fill.
    check(unsafe {
        libc::syscall(
            libc::SYS_getsockopt,
            fd,
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            &mut c as *mut libc::ucred,
            &mut len,
        )
    })?;
    Ok(c)
}

/// accept4(2) with close-on-exec and non-blocking.
pub fn accept_nb(fd: c_int) -> io::Result<c_int> {
    // SAFETY: no address is requested.
    check(unsafe {
        libc::syscall(
            libc::SYS_accept4,
            fd,
            std::ptr::null_mut::<libc::sockaddr>(),
            std::ptr::null_mut::<libc::socklen_t>(),
            libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
        )
    })
    .map(|v| v as c_int)
}

/// The descriptors open in this process, from /proc/self/fd, read with
/// getdents64 (libc's opendir would allocate on the application's heap).
pub fn open_fds() -> io::Result<Vec<c_int>> {
    // SAFETY: a NUL-terminated path and plain flags.
    let dir = check(unsafe {
        libc::syscall(
            libc::SYS_openat,
            libc::AT_FDCWD,
            c"/proc/self/fd".as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    })? as c_int;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let r = loop {
        // SAFETY: `buf` is writable for its length.
        match check(unsafe {
            libc::syscall(libc::SYS_getdents64, dir, buf.as_mut_ptr(), buf.len())
        }) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                // struct linux_dirent64: d_ino u64, d_off i64, d_reclen
                // u16, d_type u8, then the NUL-terminated name.
                let mut off = 0;
                while off + 19 < n {
                    let reclen = u16::from_ne_bytes([buf[off + 16], buf[off + 17]]) as usize;
                    if reclen == 0 || off + reclen > n {
                        break;
                    }
                    let name = &buf[off + 19..off + reclen];
                    let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
                    if let Some(fd) = std::str::from_utf8(name).ok().and_then(|s| s.parse().ok()) {
                        if fd != dir {
                            out.push(fd);
                        }
                    }
                    off += reclen;
                }
            }
            Err(e) => break Err(e),
        }
    };
    let _ = close(dir);
    r.map(|()| out)
}

/// An IPv4-mapped IPv6 address as the IPv4 address it stands for (what
/// a dual-stack socket reports for IPv4 peers); anything else unchanged.
pub fn unmap(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, std::net::IpAddr::V4),
        v4 => v4,
    }
}
