//! The next definition of each libc function we interpose, found once
//! with `dlsym(RTLD_NEXT, ...)` (so other preloaded libraries, such as
//! lksctp's `withsctp`, still see their calls). While a lookup is in
//! progress on a thread (dlsym itself may read files), or if it fails,
//! the raw system call is used instead.

use std::cell::Cell;
use std::os::raw::c_char;
use std::sync::atomic::{AtomicUsize, Ordering};

thread_local! {
    static RESOLVING: Cell<bool> = const { Cell::new(false) };
}

/// 1: not resolved yet; 0: not found; else the function address.
pub struct Real {
    name: &'static [u8],
    ptr: AtomicUsize,
}

impl Real {
    pub const fn new(name: &'static [u8]) -> Self {
        Real { name, ptr: AtomicUsize::new(1) }
    }

    /// The function's address, or None (use the system call).
    pub fn get(&self) -> Option<usize> {
        let p = self.ptr.load(Ordering::Acquire);
        if p > 1 {
            return Some(p);
        }
        if p == 0 {
            return None;
        }
        // Unavailable thread-local storage (thread exit) counts as busy.
        if RESOLVING.try_with(|r| r.replace(true)).unwrap_or(true) {
            return None;
        }
        let name = self.name.as_ptr() as *const c_char;
        // SAFETY: `name` is NUL-terminated; dlsym(RTLD_NEXT) is thread-safe.
        let f = unsafe { libc::dlsym(libc::RTLD_NEXT, name) } as usize;
        let _ = RESOLVING.try_with(|r| r.set(false));
        self.ptr.store(f, Ordering::Release);
        (f > 1).then_some(f)
    }
}

macro_rules! real_fn {
    ($static:ident, $name:literal) => {
        pub static $static: Real = Real::new(concat!($name, "\0").as_bytes());
    };
}

real_fn!(SOCKET, "socket");
real_fn!(BIND, "bind");
real_fn!(CONNECT, "connect");
real_fn!(LISTEN, "listen");
real_fn!(ACCEPT, "accept");
real_fn!(ACCEPT4, "accept4");
real_fn!(CLOSE, "close");
real_fn!(SIGACTION, "sigaction");
real_fn!(SIGNAL, "signal");
real_fn!(SHUTDOWN, "shutdown");
real_fn!(SETSOCKOPT, "setsockopt");
real_fn!(GETSOCKOPT, "getsockopt");
real_fn!(SENDMSG, "sendmsg");
real_fn!(RECVMSG, "recvmsg");
real_fn!(SEND, "send");
real_fn!(RECV, "recv");
real_fn!(SENDTO, "sendto");
real_fn!(RECVFROM, "recvfrom");
real_fn!(READ, "read");
real_fn!(WRITE, "write");
real_fn!(READV, "readv");
real_fn!(WRITEV, "writev");
real_fn!(GETSOCKNAME, "getsockname");
real_fn!(GETPEERNAME, "getpeername");
real_fn!(FCNTL, "fcntl");
real_fn!(FCNTL64, "fcntl64");
real_fn!(IOCTL, "ioctl");
real_fn!(DUP, "dup");
real_fn!(DUP2, "dup2");
real_fn!(DUP3, "dup3");
real_fn!(SENDMMSG, "sendmmsg");
real_fn!(RECVMMSG, "recvmmsg");
real_fn!(OPEN, "open");
real_fn!(OPEN64, "open64");
real_fn!(OPENAT, "openat");
real_fn!(OPENAT64, "openat64");
real_fn!(OPEN_2, "__open_2");
real_fn!(OPEN64_2, "__open64_2");
real_fn!(FOPEN, "fopen");
real_fn!(FOPEN64, "fopen64");
