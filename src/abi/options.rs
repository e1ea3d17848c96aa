//! getsockopt/setsockopt on an SCTP descriptor: the application's bytes
//! go to the host stack, which decodes the Linux structs and answers
//! (`stack::options`); the reply's bytes and length come back here. The
//! few options that create descriptors, start associations or carry
//! pointers inside their struct are done here with the library's own
//! calls.
//!
//! These are the C ABI: they take raw pointers from C by design and never
//! dereference them directly (reads and writes go through `abi::mem`).
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use super::mem;
use super::types as t;
use crate::client::{self, Handle};
use core::mem::{offset_of, size_of};
use std::os::raw::{c_int, c_void};

type R<T> = Result<T, c_int>;

/// Most bytes of the caller's buffer sent with a getsockopt (every
/// option's input struct fits).
const MAX_GET_INPUT: usize = 4096;

use super::MAX_SET_LEN;

fn handle(fd: c_int) -> R<std::sync::Arc<Handle>> {
    client::get(fd).ok_or(libc::EBADF)
}

/// getsockopt on an SCTP descriptor.
pub fn getsockopt(
    fd: c_int,
    level: c_int,
    name: c_int,
    optval: *mut c_void,
    optlen: *mut libc::socklen_t,
) -> R<()> {
    (|| {
        let h = handle(fd)?;
        let raw: libc::socklen_t = mem::read_val(optlen)?;
        let len = raw as i32;
        if level == t::SOL_SCTP {
            if len < 0 {
                return Err(libc::EINVAL);
            }
            match name {
                t::SCTP_SOCKOPT_PEELOFF | t::SCTP_SOCKOPT_PEELOFF_FLAGS => {
                    return get_peeloff(fd, &h, name, optval, len as usize)
                }
                t::SCTP_SOCKOPT_CONNECTX3 => return get_connectx3(fd, &h, optval, len as usize),
                _ => {}
            }
        }
        let n = usize::try_from(len).unwrap_or(0).min(MAX_GET_INPUT);
        let input = if n > 0 { mem::read_vec(optval, n)? } else { Vec::new() };
        let (data, newlen) = client::getsockopt(fd, &h, level, name, &input, len)?;
        mem::write_bytes(optval, &data)?;
        if let Some(l) = newlen {
            mem::write_val(optlen, &(l as libc::socklen_t))?;
        }
        Ok(())
    })()
}

/// SCTP_SOCKOPT_PEELOFF(_FLAGS): libsctp's sctp_peeloff.
fn get_peeloff(fd: c_int, h: &Handle, name: c_int, optval: *mut c_void, len: usize) -> R<()> {
    let n = if name == t::SCTP_SOCKOPT_PEELOFF {
        size_of::<t::sctp_peeloff_arg_t>()
    } else {
        size_of::<t::sctp_peeloff_flags_arg_t>()
    };
    if len < n {
        return Err(libc::EINVAL);
    }
    let mut b = mem::read_vec(optval, n)?;
    let g32 = |b: &[u8], o: usize| i32::from_ne_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    let flags = if name == t::SCTP_SOCKOPT_PEELOFF {
        0
    } else {
        g32(&b, offset_of!(t::sctp_peeloff_flags_arg_t, flags))
    };
    let id = g32(&b, offset_of!(t::sctp_peeloff_arg_t, associd));
    let nfd = client::peeloff(
        fd,
        h,
        id,
        flags & libc::SOCK_NONBLOCK != 0,
        flags & libc::SOCK_CLOEXEC != 0,
    )?;
    let o = offset_of!(t::sctp_peeloff_arg_t, sd);
    b[o..o + 4].copy_from_slice(&nfd.to_ne_bytes());
    if let Err(e) = mem::write_bytes(optval, &b) {
        // As Linux, no descriptor is left behind when it cannot be returned.
        if client::unregister(nfd).is_some() {
            let _ = crate::sys::close(nfd);
        }
        return Err(e);
    }
    Ok(())
}

/// SCTP_SOCKOPT_CONNECTX3: libsctp's sctp_connectx, whose struct carries
/// a pointer to the packed addresses.
fn get_connectx3(fd: c_int, h: &Handle, optval: *mut c_void, len: usize) -> R<()> {
    let n = size_of::<t::sctp_getaddrs_old>();
    if len < n {
        return Err(libc::EINVAL);
    }
    let b = mem::read_vec(optval, n)?;
    let o = offset_of!(t::sctp_getaddrs_old, addr_num);
    let num = i32::from_ne_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    let o = offset_of!(t::sctp_getaddrs_old, addrs);
    let mut p = [0u8; 8];
    p.copy_from_slice(&b[o..o + 8]);
    let ptr = usize::from_ne_bytes(p) as *const c_void;
    // memdup_user(param.addrs, param.addr_num): a negative size cannot be
    // allocated.
    if !(0..=(4 << 20)).contains(&num) {
        return Err(libc::ENOMEM);
    }
    let bytes = mem::read_vec(ptr, num as usize)?;
    let (id, r) = connectx_bytes(fd, h, &bytes)?;
    if r.is_ok() || r == Err(libc::EINPROGRESS) {
        if let Some(id) = id {
            mem::write_bytes(optval, &id.to_ne_bytes())?;
        }
    }
    r
}

fn parse_packed(b: &[u8]) -> R<Vec<std::net::SocketAddr>> {
    super::parse_packed(b)
}

fn connectx_bytes(fd: c_int, h: &Handle, b: &[u8]) -> R<(Option<i32>, R<()>)> {
    let v = parse_packed(b)?;
    Ok(client::connect(fd, h, &v))
}

/// setsockopt on an SCTP descriptor. Returns what setsockopt(2) returns:
/// 0, or the association id for SCTP_SOCKOPT_CONNECTX.
pub fn setsockopt(
    fd: c_int,
    level: c_int,
    name: c_int,
    optval: *const c_void,
    optlen: libc::socklen_t,
) -> R<c_int> {
    (|| {
        let h = handle(fd)?;
        // __sys_setsockopt: the length is an int.
        if (optlen as i32) < 0 {
            return Err(libc::EINVAL);
        }
        let (level, name) = match level {
            // A TCP program carried over SCTP (libwithsctp preloaded): as
            // libwithsctp does, TCP_NODELAY becomes SCTP_NODELAY and other
            // TCP options are accepted and ignored.
            libc::IPPROTO_TCP if super::withsctp_loaded() => {
                if name != libc::TCP_NODELAY {
                    return Ok(0);
                }
                (t::SOL_SCTP, t::SCTP_NODELAY)
            }
            _ => (level, name),
        };
        // The option's bytes, copied in first as Linux does (EFAULT).
        let n = (optlen as usize).min(MAX_SET_LEN);
        let b = if n > 0 { mem::read_vec(optval, n)? } else { Vec::new() };
        if level == t::SOL_SCTP {
            match name {
                t::SCTP_SOCKOPT_BINDX_ADD | t::SCTP_SOCKOPT_BINDX_REM => {
                    let v = parse_packed(&b)?;
                    client::bind(fd, &h, &v, name == t::SCTP_SOCKOPT_BINDX_ADD, false)?;
                    return Ok(0);
                }
                t::SCTP_SOCKOPT_CONNECTX_OLD => {
                    let (_, r) = connectx_bytes(fd, &h, &b)?;
                    return r.map(|_| 0);
                }
                t::SCTP_SOCKOPT_CONNECTX => {
                    // The association id is setsockopt's return value.
                    let (id, r) = connectx_bytes(fd, &h, &b)?;
                    r?;
                    return Ok(id.unwrap_or(0));
                }
                _ => {}
            }
        }
        client::setsockopt(fd, &h, level, name, &b, optlen)
    })()
}
