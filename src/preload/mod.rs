//! The libc socket calls, exported under their own names. An SCTP
//! descriptor goes to the socket layer; anything else goes to the next
//! definition (libc, or another preloaded library) at the cost of one
//! atomic load. The same symbols serve relinked programs, since linking
//! alone never catches `socket(..., IPPROTO_SCTP)`.
//!
//! These are the C ABI: they take raw pointers from C by design and never
//! dereference them directly (reads and writes go through `abi::mem`, or
//! the pointers pass unchanged to the next libc definition).
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod procfs;
pub mod real;

use crate::abi::{self, boundary, guard, mem, ops, options};
use crate::client::{self, Handle};
use real::*;
use std::os::raw::{c_int, c_ulong, c_void};

type Sa = *const libc::sockaddr;
type SaMut = *mut libc::sockaddr;
type Len = libc::socklen_t;
type LenMut = *mut libc::socklen_t;

macro_rules! next {
    ($real:ident, fn($($t:ty),*) -> $r:ty, ($($a:expr),*), $sys:expr) => {{
        match $real.get() {
            // SAFETY: the address came from dlsym for this very symbol, whose
            // C signature is the one spelled out here.
            Some(f) => unsafe { std::mem::transmute::<usize, unsafe extern "C" fn($($t),*) -> $r>(f)($($a),*) },
            // SAFETY: the raw system call takes the same arguments.
            None => unsafe { $sys as $r },
        }
    }};
}

fn get(fd: c_int) -> Option<std::sync::Arc<Handle>> {
    client::get(fd)
}

/// socket(2): IPPROTO_SCTP with SOCK_STREAM or SOCK_SEQPACKET makes an
/// emulated SCTP socket.
#[no_mangle]
pub extern "C" fn socket(domain: c_int, ty: c_int, protocol: c_int) -> c_int {
    guard(-1, || {
        let inet = domain == libc::AF_INET || domain == libc::AF_INET6;
        let stream = ty & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC) == libc::SOCK_STREAM;
        let protocol = if inet
            && stream
            && (protocol == 0 || protocol == libc::IPPROTO_TCP)
            && abi::withsctp_loaded()
        {
            abi::types::IPPROTO_SCTP
        } else {
            protocol
        };
        // SOCK_STREAM and SOCK_SEQPACKET with IPPROTO_SCTP are ours; any
        // other type (an invalid one, SOCK_RAW, SOCK_DGRAM) gets the
        // kernel's own answer (EINVAL, a raw socket, EPROTONOSUPPORT).
        let base = ty & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC);
        let sctp_type = base == libc::SOCK_STREAM || base == libc::SOCK_SEQPACKET;
        if protocol == abi::types::IPPROTO_SCTP && inet && sctp_type {
            let one_to_many = base == libc::SOCK_SEQPACKET;
            return boundary(-1, || {
                client::socket(
                    domain,
                    one_to_many,
                    ty & libc::SOCK_NONBLOCK != 0,
                    ty & libc::SOCK_CLOEXEC != 0,
                )
            });
        }
        next!(
            SOCKET,
            fn(c_int, c_int, c_int) -> c_int,
            (domain, ty, protocol),
            libc::syscall(libc::SYS_socket, domain, ty, protocol)
        )
    })
}

#[no_mangle]
pub extern "C" fn bind(fd: c_int, addr: Sa, len: Len) -> c_int {
    guard(-1, || {
        if let Some(s) = get(fd) {
            return boundary(-1, || {
                let (a, _) = abi::read_sockaddr(addr, len as usize)?;
                client::bind(fd, &s, &[a], true, true).map(|_| 0)
            });
        }
        next!(
            BIND,
            fn(c_int, Sa, Len) -> c_int,
            (fd, addr, len),
            libc::syscall(libc::SYS_bind, fd, addr, len)
        )
    })
}

#[no_mangle]
pub extern "C" fn connect(fd: c_int, addr: Sa, len: Len) -> c_int {
    guard(-1, || {
        if let Some(s) = get(fd) {
            return boundary(-1, || {
                let (a, _) = abi::read_sockaddr(addr, len as usize)?;
                client::connect(fd, &s, &[a]).1.map(|_| 0)
            });
        }
        next!(
            CONNECT,
            fn(c_int, Sa, Len) -> c_int,
            (fd, addr, len),
            libc::syscall(libc::SYS_connect, fd, addr, len)
        )
    })
}

#[no_mangle]
pub extern "C" fn listen(fd: c_int, backlog: c_int) -> c_int {
    guard(-1, || {
        if let Some(s) = get(fd) {
            return boundary(-1, || client::listen(fd, &s, backlog).map(|_| 0));
        }
        next!(
            LISTEN,
            fn(c_int, c_int) -> c_int,
            (fd, backlog),
            libc::syscall(libc::SYS_listen, fd, backlog)
        )
    })
}

fn do_accept(
    fd: c_int,
    s: &Handle,
    addr: SaMut,
    len: LenMut,
    flags: c_int,
) -> Result<c_int, c_int> {
    if flags & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC) != 0 {
        return Err(libc::EINVAL);
    }
    let (nfd, peer) =
        client::accept(fd, s, flags & libc::SOCK_NONBLOCK != 0, flags & libc::SOCK_CLOEXEC != 0)?;
    abi::write_sockaddr(addr, len, &peer)?;
    Ok(nfd)
}

#[no_mangle]
pub extern "C" fn accept(fd: c_int, addr: SaMut, len: LenMut) -> c_int {
    guard(-1, || {
        if let Some(s) = get(fd) {
            return boundary(-1, || do_accept(fd, &s, addr, len, 0));
        }
        next!(
            ACCEPT,
            fn(c_int, SaMut, LenMut) -> c_int,
            (fd, addr, len),
            libc::syscall(libc::SYS_accept, fd, addr, len)
        )
    })
}

#[no_mangle]
pub extern "C" fn accept4(fd: c_int, addr: SaMut, len: LenMut, flags: c_int) -> c_int {
    guard(-1, || {
        if let Some(s) = get(fd) {
            return boundary(-1, || do_accept(fd, &s, addr, len, flags));
        }
        next!(
            ACCEPT4,
            fn(c_int, SaMut, LenMut, c_int) -> c_int,
            (fd, addr, len, flags),
            libc::syscall(libc::SYS_accept4, fd, addr, len, flags)
        )
    })
}

#[no_mangle]
pub extern "C" fn close(fd: c_int) -> c_int {
    guard(-1, || {
        if client::is_sctp(fd) {
            let h = boundary(None, || Ok(client::unregister(fd)));
            let r = next!(CLOSE, fn(c_int) -> c_int, (fd), libc::syscall(libc::SYS_close, fd));
            if let Some(h) = h {
                // Keep errno as close() left it.
                let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
                let _ = boundary(0, || {
                    client::closed(&h);
                    Ok(0)
                });
                abi::set_errno(e);
            }
            return r;
        }
        next!(CLOSE, fn(c_int) -> c_int, (fd), libc::syscall(libc::SYS_close, fd))
    })
}

/// sigaction(2): passed on; a new SIGSEGV or SIGBUS handler turns off the
/// fast guarded copy (`abi::guarded`), whose handler may no longer run.
#[no_mangle]
pub extern "C" fn sigaction(
    sig: c_int,
    act: *const libc::sigaction,
    old: *mut libc::sigaction,
) -> c_int {
    if (sig == libc::SIGSEGV || sig == libc::SIGBUS) && !act.is_null() {
        abi::guarded::replaced();
    }
    next_sigaction(sig, act, old)
}

extern "C" {
    /// glibc's and musl's other name for their sigaction.
    pub fn __sigaction(sig: c_int, act: *const libc::sigaction, old: *mut libc::sigaction)
        -> c_int;
    /// signal(3) under another name (glibc, musl).
    fn bsd_signal(sig: c_int, handler: libc::sighandler_t) -> libc::sighandler_t;
}

/// The next sigaction (another preloaded library's, or libc's); libc's
/// own under its other name while that cannot be looked up (during the
/// lookup, or at thread exit).
pub fn next_sigaction(sig: c_int, act: *const libc::sigaction, old: *mut libc::sigaction) -> c_int {
    match SIGACTION.get() {
        // SAFETY: the address came from dlsym("sigaction").
        Some(f) => unsafe {
            std::mem::transmute::<
                usize,
                unsafe extern "C" fn(c_int, *const libc::sigaction, *mut libc::sigaction) -> c_int,
            >(f)(sig, act, old)
        },
        // SAFETY: the same function and arguments.
        None => unsafe { __sigaction(sig, act, old) },
    }
}

/// signal(3): as sigaction.
#[no_mangle]
pub extern "C" fn signal(sig: c_int, handler: libc::sighandler_t) -> libc::sighandler_t {
    if sig == libc::SIGSEGV || sig == libc::SIGBUS {
        abi::guarded::replaced();
    }
    match SIGNAL.get() {
        // SAFETY: the address came from dlsym("signal").
        Some(f) => unsafe {
            std::mem::transmute::<
                usize,
                unsafe extern "C" fn(c_int, libc::sighandler_t) -> libc::sighandler_t,
            >(f)(sig, handler)
        },
        // SAFETY: the same function and arguments.
        None => unsafe { bsd_signal(sig, handler) },
    }
}

#[no_mangle]
pub extern "C" fn shutdown(fd: c_int, how: c_int) -> c_int {
    guard(-1, || {
        if let Some(s) = get(fd) {
            return boundary(-1, || client::shutdown(fd, &s, how).map(|_| 0));
        }
        next!(
            SHUTDOWN,
            fn(c_int, c_int) -> c_int,
            (fd, how),
            libc::syscall(libc::SYS_shutdown, fd, how)
        )
    })
}

#[no_mangle]
pub extern "C" fn setsockopt(
    fd: c_int,
    level: c_int,
    name: c_int,
    val: *const c_void,
    len: Len,
) -> c_int {
    guard(-1, || {
        if get(fd).is_some() {
            return boundary(-1, || options::setsockopt(fd, level, name, val, len));
        }
        next!(
            SETSOCKOPT,
            fn(c_int, c_int, c_int, *const c_void, Len) -> c_int,
            (fd, level, name, val, len),
            libc::syscall(libc::SYS_setsockopt, fd, level, name, val, len)
        )
    })
}

#[no_mangle]
pub extern "C" fn getsockopt(
    fd: c_int,
    level: c_int,
    name: c_int,
    val: *mut c_void,
    len: LenMut,
) -> c_int {
    guard(-1, || {
        if get(fd).is_some() {
            return boundary(-1, || options::getsockopt(fd, level, name, val, len).map(|_| 0));
        }
        next!(
            GETSOCKOPT,
            fn(c_int, c_int, c_int, *mut c_void, LenMut) -> c_int,
            (fd, level, name, val, len),
            libc::syscall(libc::SYS_getsockopt, fd, level, name, val, len)
        )
    })
}

#[no_mangle]
pub extern "C" fn sendmsg(fd: c_int, msg: *const libc::msghdr, flags: c_int) -> isize {
    guard(-1, || {
        if let Some(s) = get(fd) {
            return boundary(-1, || ops::sendmsg(fd, &s, msg, flags));
        }
        next!(
            SENDMSG,
            fn(c_int, *const libc::msghdr, c_int) -> isize,
            (fd, msg, flags),
            libc::syscall(libc::SYS_sendmsg, fd, msg, flags)
        )
    })
}

#[no_mangle]
pub extern "C" fn recvmsg(fd: c_int, msg: *mut libc::msghdr, flags: c_int) -> isize {
    guard(-1, || {
        if let Some(s) = get(fd) {
            return boundary(-1, || ops::recvmsg(fd, &s, msg, flags));
        }
        let n = next!(
            RECVMSG,
            fn(c_int, *mut libc::msghdr, c_int) -> isize,
            (fd, msg, flags),
            libc::syscall(libc::SYS_recvmsg, fd, msg, flags)
        );
        if n >= 0 {
            adopt_passed(msg);
        }
        n
    })
}

/// Descriptors passed in a message just received (SCM_RIGHTS) may be SCTP
/// sockets: recognise them.
fn adopt_passed(msg: *const libc::msghdr) {
    if msg.is_null() {
        return;
    }
    // The CMSG_* macros stay within msg_controllen; fds are read unaligned.
    // SAFETY: the kernel just filled this msghdr for the application.
    unsafe {
        let m = &*msg;
        if m.msg_control.is_null() || m.msg_controllen == 0 {
            return;
        }
        let mut c = libc::CMSG_FIRSTHDR(m);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(c) as *const c_int;
                let hdr = (data as usize) - (c as usize);
                let n = ((*c).cmsg_len as usize).saturating_sub(hdr) / std::mem::size_of::<c_int>();
                for i in 0..n {
                    client::adopt(std::ptr::read_unaligned(data.add(i)));
                }
            }
            c = libc::CMSG_NXTHDR(m, c);
        }
    }
}

#[no_mangle]
pub extern "C" fn send(fd: c_int, buf: *const c_void, len: usize, flags: c_int) -> isize {
    guard(-1, || {
        if let Some(s) = get(fd) {
            return boundary(-1, || ops::send_plain(fd, &s, buf, len, flags, None));
        }
        next!(
            SEND,
            fn(c_int, *const c_void, usize, c_int) -> isize,
            (fd, buf, len, flags),
            libc::syscall(libc::SYS_sendto, fd, buf, len, flags, 0usize, 0usize)
        )
    })
}

#[no_mangle]
pub extern "C" fn recv(fd: c_int, buf: *mut c_void, len: usize, flags: c_int) -> isize {
    guard(-1, || {
        if let Some(s) = get(fd) {
            return boundary(-1, || ops::recv_plain(fd, &s, buf, len, flags, None));
        }
        next!(
            RECV,
            fn(c_int, *mut c_void, usize, c_int) -> isize,
            (fd, buf, len, flags),
            libc::syscall(libc::SYS_recvfrom, fd, buf, len, flags, 0usize, 0usize)
        )
    })
}

#[no_mangle]
pub extern "C" fn sendto(
    fd: c_int,
    buf: *const c_void,
    len: usize,
    flags: c_int,
    to: Sa,
    tolen: Len,
) -> isize {
    guard(-1, || {
        if let Some(s) = get(fd) {
            return boundary(-1, || {
                let to = if to.is_null() {
                    None
                } else {
                    Some(abi::read_sockaddr(to, tolen as usize)?.0)
                };
                ops::send_plain(fd, &s, buf, len, flags, to)
            });
        }
        next!(
            SENDTO,
            fn(c_int, *const c_void, usize, c_int, Sa, Len) -> isize,
            (fd, buf, len, flags, to, tolen),
            libc::syscall(libc::SYS_sendto, fd, buf, len, flags, to, tolen)
        )
    })
}

#[no_mangle]
pub extern "C" fn recvfrom(
    fd: c_int,
    buf: *mut c_void,
    len: usize,
    flags: c_int,
    from: SaMut,
    fromlen: LenMut,
) -> isize {
    guard(-1, || {
        if let Some(s) = get(fd) {
            return boundary(-1, || {
                ops::recv_plain(fd, &s, buf, len, flags, Some((from, fromlen)))
            });
        }
        next!(
            RECVFROM,
            fn(c_int, *mut c_void, usize, c_int, SaMut, LenMut) -> isize,
            (fd, buf, len, flags, from, fromlen),
            libc::syscall(libc::SYS_recvfrom, fd, buf, len, flags, from, fromlen)
        )
    })
}

#[no_mangle]
pub extern "C" fn read(fd: c_int, buf: *mut c_void, len: usize) -> isize {
    guard(-1, || {
        if let Some(s) = get(fd) {
            return boundary(-1, || ops::recv_plain(fd, &s, buf, len, 0, None));
        }
        next!(
            READ,
            fn(c_int, *mut c_void, usize) -> isize,
            (fd, buf, len),
            libc::syscall(libc::SYS_read, fd, buf, len)
        )
    })
}

#[no_mangle]
pub extern "C" fn write(fd: c_int, buf: *const c_void, len: usize) -> isize {
    guard(-1, || {
        if let Some(s) = get(fd) {
            return boundary(-1, || ops::send_plain(fd, &s, buf, len, 0, None));
        }
        next!(
            WRITE,
            fn(c_int, *const c_void, usize) -> isize,
            (fd, buf, len),
            libc::syscall(libc::SYS_write, fd, buf, len)
        )
    })
}

#[no_mangle]
pub extern "C" fn readv(fd: c_int, iov: *const libc::iovec, cnt: c_int) -> isize {
    guard(-1, || {
        if let Some(s) = get(fd) {
            return boundary(-1, || {
                let cnt = usize::try_from(cnt).map_err(|_| libc::EINVAL)?;
                let iovs = ops::read_iovs(iov, cnt)?;
                let cap = iovs.iter().fold(0usize, |a, v| a.saturating_add(v.iov_len));
                let (_, data) = client::recv(fd, &s, cap, false, false)?;
                ops::scatter(&data, &iovs)?;
                Ok(data.len() as isize)
            });
        }
        next!(
            READV,
            fn(c_int, *const libc::iovec, c_int) -> isize,
            (fd, iov, cnt),
            libc::syscall(libc::SYS_readv, fd, iov, cnt)
        )
    })
}

#[no_mangle]
pub extern "C" fn writev(fd: c_int, iov: *const libc::iovec, cnt: c_int) -> isize {
    guard(-1, || {
        if let Some(s) = get(fd) {
            return boundary(-1, || {
                let cnt = usize::try_from(cnt).map_err(|_| libc::EINVAL)?;
                let data = ops::gather(iov, cnt)?;
                client::send(fd, &s, &Default::default(), &data, 0).map(|n| n as isize)
            });
        }
        next!(
            WRITEV,
            fn(c_int, *const libc::iovec, c_int) -> isize,
            (fd, iov, cnt),
            libc::syscall(libc::SYS_writev, fd, iov, cnt)
        )
    })
}

#[no_mangle]
pub extern "C" fn getsockname(fd: c_int, addr: SaMut, len: LenMut) -> c_int {
    guard(-1, || {
        if let Some(s) = get(fd) {
            return boundary(-1, || {
                if addr.is_null() || len.is_null() {
                    return Err(libc::EFAULT);
                }
                abi::write_sockaddr(addr, len, &client::sockname(fd, &s)?).map(|_| 0)
            });
        }
        next!(
            GETSOCKNAME,
            fn(c_int, SaMut, LenMut) -> c_int,
            (fd, addr, len),
            libc::syscall(libc::SYS_getsockname, fd, addr, len)
        )
    })
}

#[no_mangle]
pub extern "C" fn getpeername(fd: c_int, addr: SaMut, len: LenMut) -> c_int {
    guard(-1, || {
        if let Some(s) = get(fd) {
            return boundary(-1, || {
                if addr.is_null() || len.is_null() {
                    return Err(libc::EFAULT);
                }
                let p = client::peername(fd, &s)?;
                abi::write_sockaddr(addr, len, &p).map(|_| 0)
            });
        }
        next!(
            GETPEERNAME,
            fn(c_int, SaMut, LenMut) -> c_int,
            (fd, addr, len),
            libc::syscall(libc::SYS_getpeername, fd, addr, len)
        )
    })
}

fn after_dup(old: c_int, new: c_int) -> c_int {
    if new >= 0 {
        client::register_dup(old, new);
    }
    new
}

/// fcntl(2) through `next` (libc's fcntl or fcntl64): a duplicate of an
/// SCTP descriptor refers to the same socket.
fn fcntl_via(next: &Real, fd: c_int, cmd: c_int, arg: c_ulong) -> c_int {
    let n = next!(
        next,
        fn(c_int, c_int, c_ulong) -> c_int,
        (fd, cmd, arg),
        libc::syscall(libc::SYS_fcntl, fd, cmd, arg)
    );
    if (cmd == libc::F_DUPFD || cmd == libc::F_DUPFD_CLOEXEC) && client::is_sctp(fd) {
        return after_dup(fd, n);
    }
    n
}

/// fcntl(2). Declared variadic in C; on the Linux ABIs we support, a
/// third integer or pointer argument arrives in the same register either
/// way, so it is taken as `c_ulong`.
#[no_mangle]
pub extern "C" fn fcntl(fd: c_int, cmd: c_int, arg: c_ulong) -> c_int {
    guard(-1, || fcntl_via(&FCNTL, fd, cmd, arg))
}

/// fcntl64, glibc's name for fcntl with 64-bit offsets.
#[no_mangle]
pub extern "C" fn fcntl64(fd: c_int, cmd: c_int, arg: c_ulong) -> c_int {
    guard(-1, || fcntl_via(&FCNTL64, fd, cmd, arg))
}

/// ioctl(2): FIONREAD on an SCTP socket reports the next message's bytes.
#[no_mangle]
pub extern "C" fn ioctl(fd: c_int, req: c_ulong, arg: c_ulong) -> c_int {
    guard(-1, || {
        if req == libc::FIONREAD as c_ulong {
            if let Some(s) = get(fd) {
                return boundary(-1, || {
                    let n = client::fionread(fd, &s)?.min(c_int::MAX as usize) as c_int;
                    mem::write_val(arg as *mut c_int, &n).map(|_| 0)
                });
            }
        }
        next!(
            IOCTL,
            fn(c_int, c_ulong, c_ulong) -> c_int,
            (fd, req, arg),
            libc::syscall(libc::SYS_ioctl, fd, req, arg)
        )
    })
}

#[no_mangle]
pub extern "C" fn dup(fd: c_int) -> c_int {
    guard(-1, || {
        let n = next!(DUP, fn(c_int) -> c_int, (fd), libc::syscall(libc::SYS_dup, fd));
        if client::is_sctp(fd) {
            return after_dup(fd, n);
        }
        n
    })
}

#[no_mangle]
pub extern "C" fn dup2(old: c_int, new: c_int) -> c_int {
    guard(-1, || {
        let replaced = if old != new { client::unregister(new) } else { None };
        let n = next!(
            DUP2,
            fn(c_int, c_int) -> c_int,
            (old, new),
            libc::syscall(libc::SYS_dup3, old, new, 0)
        );
        if let Some(h) = replaced {
            // The descriptor that was there is closed now: maybe its
            // socket's last.
            client::closed(&h);
        }
        if old != new && client::is_sctp(old) {
            return after_dup(old, n);
        }
        n
    })
}

#[no_mangle]
pub extern "C" fn dup3(old: c_int, new: c_int, flags: c_int) -> c_int {
    guard(-1, || {
        let replaced = if old != new { client::unregister(new) } else { None };
        let n = next!(
            DUP3,
            fn(c_int, c_int, c_int) -> c_int,
            (old, new, flags),
            libc::syscall(libc::SYS_dup3, old, new, flags)
        );
        if let Some(h) = replaced {
            client::closed(&h);
        }
        if old != new && client::is_sctp(old) {
            return after_dup(old, n);
        }
        n
    })
}

/// Runs `one` on each of the `vlen` messages of an mmsghdr array and
/// stores its byte count in the element's `msg_len`. Returns how many
/// succeeded; an error only if the first one failed (as the kernel does).
fn each_mmsg(
    msgs: *mut libc::mmsghdr,
    vlen: libc::c_uint,
    mut one: impl FnMut(usize, *mut libc::msghdr) -> Result<isize, c_int>,
) -> Result<c_int, c_int> {
    let vlen = vlen.min(1024) as usize;
    if vlen > 0 && msgs.is_null() {
        return Err(libc::EFAULT);
    }
    let mut done = 0;
    for i in 0..vlen {
        // Pointer arithmetic only: the elements are read and written
        // through `abi::mem`. msg_len follows the msghdr in struct mmsghdr.
        let m = msgs.wrapping_add(i);
        let len_ptr = (m as *mut u8).wrapping_add(std::mem::offset_of!(libc::mmsghdr, msg_len))
            as *mut libc::c_uint;
        match one(done, m as *mut libc::msghdr) {
            Ok(n) => {
                mem::write_val(len_ptr, &(n as libc::c_uint))?;
                done += 1;
            }
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(done as c_int)
}

/// sendmmsg(2): on an SCTP socket, each message is an SCTP message sent
/// as by sendmsg; returns how many were sent (an error only if none was).
#[no_mangle]
pub extern "C" fn sendmmsg(
    fd: c_int,
    msgs: *mut libc::mmsghdr,
    vlen: libc::c_uint,
    flags: c_int,
) -> c_int {
    guard(-1, || {
        if let Some(s) = get(fd) {
            return boundary(-1, || each_mmsg(msgs, vlen, |_, m| ops::sendmsg(fd, &s, m, flags)));
        }
        next!(
            SENDMMSG,
            fn(c_int, *mut libc::mmsghdr, libc::c_uint, c_int) -> c_int,
            (fd, msgs, vlen, flags),
            libc::syscall(libc::SYS_sendmmsg, fd, msgs, vlen, flags)
        )
    })
}

/// recvmmsg(2): on an SCTP socket, receives up to `vlen` messages as by
/// recvmsg; after the first, only what is already queued (as the kernel
/// does with MSG_WAITFORONE). The timeout is not supported for SCTP
/// descriptors (the socket's SO_RCVTIMEO applies).
#[no_mangle]
pub extern "C" fn recvmmsg(
    fd: c_int,
    msgs: *mut libc::mmsghdr,
    vlen: libc::c_uint,
    flags: c_int,
    timeout: *mut libc::timespec,
) -> c_int {
    guard(-1, || {
        if let Some(s) = get(fd) {
            return boundary(-1, || {
                each_mmsg(msgs, vlen, |done, m| {
                    let f = if done > 0 {
                        flags | libc::MSG_DONTWAIT
                    } else {
                        flags & !libc::MSG_WAITFORONE
                    };
                    ops::recvmsg(fd, &s, m, f)
                })
            });
        }
        next!(
            RECVMMSG,
            fn(c_int, *mut libc::mmsghdr, libc::c_uint, c_int, *mut libc::timespec) -> c_int,
            (fd, msgs, vlen, flags, timeout),
            libc::syscall(libc::SYS_recvmmsg, fd, msgs, vlen, flags, timeout)
        )
    })
}
