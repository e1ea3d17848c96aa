//! `/proc/sys/net/sctp/*` for a host whose kernel has no SCTP: `open()`
//! and `fopen()` of those paths give a read-only file with the value the
//! stack uses (`crate::sysctl`), so that a program that checks a sysctl
//! before using a feature (as lksctp-tools' tests do) sees this stack's.
//! Every other path goes to the next definition at the cost of a prefix
//! comparison.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use super::real::*;
use crate::abi::{guard, set_errno};
use crate::sysctl;
use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_uint};

/// The sysctl `path` names, if it is one of ours. `path` comes from C.
fn sysctl_path(path: *const c_char) -> Option<String> {
    if path.is_null() {
        return None;
    }
    // Only the prefix decides, so the common case reads a few bytes.
    // SAFETY: open(2) takes a NUL-terminated path (a bad one crashes libc's too).
    let p = unsafe { CStr::from_ptr(path) }.to_bytes();
    sysctl::name_of(p).map(str::to_string)
}

/// A file with the sysctl's value, or -1 and errno (ENOENT for a name
/// Linux does not have, EACCES for writing).
fn open_sysctl(name: &str, flags: c_int) -> c_int {
    if flags & libc::O_ACCMODE != libc::O_RDONLY {
        set_errno(libc::EACCES);
        return -1;
    }
    let port = if name == "udp_port" { crate::client::udp_port().unwrap_or(0) } else { 0 };
    let Some(v) = sysctl::value(name, port) else {
        set_errno(libc::ENOENT);
        return -1;
    };
    let mfd_flags = if flags & libc::O_CLOEXEC != 0 { libc::MFD_CLOEXEC } else { 0 };
    // SAFETY: memfd_create with a NUL-terminated name.
    let fd = unsafe { libc::syscall(libc::SYS_memfd_create, c"sctp-sysctl".as_ptr(), mfd_flags) }
        as c_int;
    if fd < 0 {
        return -1;
    }
    if crate::sys::write(fd, v.as_bytes()).is_err() {
        let _ = crate::sys::close(fd);
        return -1;
    }
    // SAFETY: lseek on the descriptor just made.
    unsafe { libc::syscall(libc::SYS_lseek, fd, 0, libc::SEEK_SET) };
    fd
}

macro_rules! open_like {
    ($name:ident, $real:ident) => {
        /// open(2) family: see the module documentation.
        #[no_mangle]
        pub extern "C" fn $name(path: *const c_char, flags: c_int, mode: c_uint) -> c_int {
            guard(-1, || {
                if let Some(n) = sysctl_path(path) {
                    return open_sysctl(&n, flags);
                }
                next_open(&$real, path, flags, mode)
            })
        }
    };
}

fn next_open(real: &Real, path: *const c_char, flags: c_int, mode: c_uint) -> c_int {
    match real.get() {
        // SAFETY: the address came from dlsym for this symbol, whose C
        // signature (after the variadic mode) is this one.
        Some(f) => unsafe {
            std::mem::transmute::<usize, unsafe extern "C" fn(*const c_char, c_int, c_uint) -> c_int>(
                f,
            )(path, flags, mode)
        },
        // SAFETY: the raw system call takes the same arguments.
        None => unsafe {
            libc::syscall(libc::SYS_openat, libc::AT_FDCWD, path, flags, mode) as c_int
        },
    }
}

open_like!(open, OPEN);
open_like!(open64, OPEN64);
open_like!(__open_2, OPEN_2);
open_like!(__open64_2, OPEN64_2);

macro_rules! openat_like {
    ($name:ident, $real:ident) => {
        /// openat(2) family: see the module documentation.
        #[no_mangle]
        pub extern "C" fn $name(
            dirfd: c_int,
            path: *const c_char,
            flags: c_int,
            mode: c_uint,
        ) -> c_int {
            guard(-1, || {
                if let Some(n) = sysctl_path(path) {
                    return open_sysctl(&n, flags);
                }
                match $real.get() {
                    // SAFETY: the address came from dlsym for this symbol.
                    Some(f) => unsafe {
                        std::mem::transmute::<
                            usize,
                            unsafe extern "C" fn(c_int, *const c_char, c_int, c_uint) -> c_int,
                        >(f)(dirfd, path, flags, mode)
                    },
                    // SAFETY: the raw system call takes the same arguments.
                    None => unsafe {
                        libc::syscall(libc::SYS_openat, dirfd, path, flags, mode) as c_int
                    },
                }
            })
        }
    };
}

openat_like!(openat, OPENAT);
openat_like!(openat64, OPENAT64);

macro_rules! fopen_like {
    ($name:ident, $real:ident) => {
        /// fopen(3) family: see the module documentation.
        #[no_mangle]
        pub extern "C" fn $name(path: *const c_char, mode: *const c_char) -> *mut libc::FILE {
            guard(std::ptr::null_mut(), || {
                if let Some(n) = sysctl_path(path) {
                    let m = if mode.is_null() {
                        &b""[..]
                    } else {
                        // SAFETY: fopen's mode is a NUL-terminated string.
                        unsafe { CStr::from_ptr(mode) }.to_bytes()
                    };
                    let flags = if m.contains(&b'w') || m.contains(&b'a') || m.contains(&b'+') {
                        libc::O_RDWR
                    } else {
                        libc::O_RDONLY
                    };
                    let fd = open_sysctl(
                        &n,
                        flags | if m.contains(&b'e') { libc::O_CLOEXEC } else { 0 },
                    );
                    if fd < 0 {
                        return std::ptr::null_mut();
                    }
                    // SAFETY: fdopen on the descriptor just made, mode "r".
                    return unsafe { libc::fdopen(fd, c"r".as_ptr()) };
                }
                match $real.get() {
                    // SAFETY: the address came from dlsym for this symbol.
                    Some(f) => unsafe {
                        std::mem::transmute::<
                            usize,
                            unsafe extern "C" fn(*const c_char, *const c_char) -> *mut libc::FILE,
                        >(f)(path, mode)
                    },
                    None => {
                        set_errno(libc::ENOSYS);
                        std::ptr::null_mut()
                    }
                }
            })
        }
    };
}

fopen_like!(fopen, FOPEN);
fopen_like!(fopen64, FOPEN64);
