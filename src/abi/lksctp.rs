//! The lksctp-tools functions (`libsctp.so.1`'s names, RFC 6458 section 9)
//! implemented directly on the socket layer.
//!
//! These are the C ABI: they take raw pointers from C by design and never
//! dereference them directly (reads and writes go through `abi::mem`, or
//! the pointers pass unchanged to the next libc definition).
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use super::types as t;
use super::{boundary, mem, ops, read_packed_addrs, read_sockaddr, set_errno};
use crate::client::{self, Handle};
use crate::ipc::{SendReq, SndInfo};
use std::net::SocketAddr;
use std::os::raw::{c_int, c_uint, c_void};
use std::sync::Arc;

/// The errno Linux gives when an SCTP call meets a descriptor that is not
/// one of ours: libsctp would have called getsockopt (`get`) or
/// setsockopt with SOL_SCTP on it, so we ask the kernel the same question
/// (EBADF, ENOTSOCK, or for another socket type ENOPROTOOPT/EOPNOTSUPP).
fn not_ours(fd: c_int, get: bool) -> c_int {
    let mut buf = [0u8; 256];
    let mut len = buf.len() as libc::socklen_t;
    // SAFETY: a valid buffer and length for the kernel to fill or read.
    let r = unsafe {
        if get {
            libc::syscall(
                libc::SYS_getsockopt,
                fd,
                t::SOL_SCTP,
                t::SCTP_STATUS,
                buf.as_mut_ptr(),
                &mut len as *mut libc::socklen_t,
            )
        } else {
            libc::syscall(
                libc::SYS_setsockopt,
                fd,
                t::SOL_SCTP,
                t::SCTP_SOCKOPT_BINDX_ADD,
                buf.as_ptr(),
                16 as libc::socklen_t,
            )
        }
    };
    if r < 0 {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EBADF)
    } else {
        libc::EOPNOTSUPP
    }
}

/// The socket for a call libsctp implements with getsockopt.
fn sctp(fd: c_int) -> Result<Arc<Handle>, c_int> {
    client::get(fd).ok_or_else(|| not_ours(fd, true))
}

/// The socket for a call libsctp implements with setsockopt.
fn sctp_set(fd: c_int) -> Result<Arc<Handle>, c_int> {
    client::get(fd).ok_or_else(|| not_ours(fd, false))
}

/// The socket for a data call (sendmsg/recvmsg in libsctp): a descriptor
/// that is not a socket gives EBADF/ENOTSOCK; another socket EOPNOTSUPP.
fn sctp_io(fd: c_int) -> Result<Arc<Handle>, c_int> {
    client::get(fd).ok_or_else(|| match not_ours(fd, true) {
        e @ (libc::EBADF | libc::ENOTSOCK) => e,
        _ => libc::EOPNOTSUPP,
    })
}

/// sctp_bindx(3).
#[no_mangle]
pub extern "C" fn sctp_bindx(
    sd: c_int,
    addrs: *mut libc::sockaddr,
    addrcnt: c_int,
    flags: c_int,
) -> c_int {
    boundary(-1, || {
        let s = sctp_set(sd)?;
        let v = read_packed_addrs(addrs, addrcnt, None)?;
        match flags {
            t::SCTP_BINDX_ADD_ADDR => client::bind(sd, &s, &v, true, false)?,
            t::SCTP_BINDX_REM_ADDR => client::bind(sd, &s, &v, false, false)?,
            _ => return Err(libc::EINVAL),
        }
        Ok(0)
    })
}

fn connectx(
    sd: c_int,
    addrs: *mut libc::sockaddr,
    addrcnt: c_int,
    id: *mut t::sctp_assoc_t,
) -> Result<c_int, c_int> {
    let s = sctp(sd)?;
    let v = read_packed_addrs(addrs, addrcnt, None)?;
    let (aid, r) = client::connect(sd, &s, &v);
    if let (Some(a), false) = (aid, id.is_null()) {
        mem::write_val(id, &a)?;
    }
    r.map(|_| 0)
}

/// sctp_connectx(3) (the VERS_3 form, with an association id out-parameter).
#[no_mangle]
pub extern "C" fn sctp_connectx(
    sd: c_int,
    addrs: *mut libc::sockaddr,
    addrcnt: c_int,
    id: *mut t::sctp_assoc_t,
) -> c_int {
    boundary(-1, || connectx(sd, addrs, addrcnt, id))
}

/// `sctp_connectx@VERS_1`: lksctp's original three-argument form, for
/// binaries built against lksctp-tools before 1.0.10 (the link step in
/// the Makefile gives it that version). Returns 0 on success.
#[no_mangle]
pub extern "C" fn sctpudp_connectx_vers1(
    sd: c_int,
    addrs: *mut libc::sockaddr,
    addrcnt: c_int,
) -> c_int {
    boundary(-1, || connectx(sd, addrs, addrcnt, std::ptr::null_mut()))
}

/// `sctp_connectx@VERS_2`: four arguments, as VERS_3 (lksctp 1.0.10's
/// form, whose id was filled from the setsockopt return value).
#[no_mangle]
pub extern "C" fn sctpudp_connectx_vers2(
    sd: c_int,
    addrs: *mut libc::sockaddr,
    addrcnt: c_int,
    id: *mut t::sctp_assoc_t,
) -> c_int {
    boundary(-1, || connectx(sd, addrs, addrcnt, id))
}

/// sctp_peeloff(3).
#[no_mangle]
pub extern "C" fn sctp_peeloff(sd: c_int, assoc_id: t::sctp_assoc_t) -> c_int {
    sctp_peeloff_flags(sd, assoc_id, 0)
}

/// sctp_peeloff_flags(3): SOCK_NONBLOCK and SOCK_CLOEXEC for the new socket.
#[no_mangle]
pub extern "C" fn sctp_peeloff_flags(sd: c_int, assoc_id: t::sctp_assoc_t, flags: c_uint) -> c_int {
    boundary(-1, || {
        let s = sctp(sd)?;
        let f = flags as c_int;
        if f & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC) != 0 {
            return Err(libc::EINVAL);
        }
        client::peeloff(sd, &s, assoc_id, f & libc::SOCK_NONBLOCK != 0, f & libc::SOCK_CLOEXEC != 0)
    })
}

fn pack_addrs(v: &[SocketAddr], out: *mut *mut libc::sockaddr) -> Result<c_int, c_int> {
    if out.is_null() {
        return Err(libc::EINVAL);
    }
    if v.is_empty() {
        mem::write_val(out, &std::ptr::null_mut())?;
        return Ok(0);
    }
    let bytes: Vec<u8> = v.iter().flat_map(super::sockaddr_bytes).collect();
    // SAFETY: malloc of a positive size; freed by sctp_free[pl]addrs with free().
    let p = unsafe { libc::malloc(bytes.len()) } as *mut u8;
    if p.is_null() {
        return Err(libc::ENOMEM);
    }
    // SAFETY: `p` has room for `bytes.len()` bytes.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len()) };
    if let Err(e) = mem::write_val(out, &(p as *mut libc::sockaddr)) {
        // SAFETY: `p` came from malloc above and was not handed out.
        unsafe { libc::free(p as *mut c_void) };
        return Err(e);
    }
    Ok(v.len() as c_int)
}

/// sctp_getpaddrs(3): the peer's addresses, in memory to free with
/// sctp_freepaddrs.
#[no_mangle]
pub extern "C" fn sctp_getpaddrs(
    sd: c_int,
    id: t::sctp_assoc_t,
    addrs: *mut *mut libc::sockaddr,
) -> c_int {
    boundary(-1, || {
        let s = sctp(sd)?;
        let v = client::addrs(sd, &s, id, true)?;
        pack_addrs(&v, addrs)
    })
}

/// sctp_freepaddrs(3).
#[no_mangle]
pub extern "C" fn sctp_freepaddrs(addrs: *mut libc::sockaddr) -> c_int {
    // SAFETY: the memory came from malloc in pack_addrs (or is NULL).
    unsafe { libc::free(addrs as *mut c_void) };
    0
}

/// sctp_getladdrs(3).
#[no_mangle]
pub extern "C" fn sctp_getladdrs(
    sd: c_int,
    id: t::sctp_assoc_t,
    addrs: *mut *mut libc::sockaddr,
) -> c_int {
    boundary(-1, || {
        let s = sctp(sd)?;
        let v = client::addrs(sd, &s, id, false)?;
        pack_addrs(&v, addrs)
    })
}

/// sctp_freeladdrs(3).
#[no_mangle]
pub extern "C" fn sctp_freeladdrs(addrs: *mut libc::sockaddr) -> c_int {
    sctp_freepaddrs(addrs)
}

/// sctp_opt_info(3): getsockopt with the association id placed first.
#[no_mangle]
pub extern "C" fn sctp_opt_info(
    sd: c_int,
    id: t::sctp_assoc_t,
    opt: c_int,
    arg: *mut c_void,
    size: *mut libc::socklen_t,
) -> c_int {
    boundary(-1, || {
        sctp(sd)?;
        if arg.is_null() || size.is_null() {
            return Err(libc::EFAULT);
        }
        // Every option taking an association has sctp_assoc_t first, except
        // the few that start with something else; libsctp writes the id for
        // the same set.
        let takes_id = !matches!(
            opt,
            t::SCTP_NODELAY
                | t::SCTP_AUTOCLOSE
                | t::SCTP_DISABLE_FRAGMENTS
                | t::SCTP_I_WANT_MAPPED_V4_ADDR
                | t::SCTP_FRAGMENT_INTERLEAVE
                | t::SCTP_PARTIAL_DELIVERY_POINT
                | t::SCTP_GET_ASSOC_NUMBER
                | t::SCTP_GET_ASSOC_ID_LIST
                | t::SCTP_EVENTS
                | t::SCTP_INITMSG
        );
        if takes_id {
            mem::write_val(arg as *mut t::sctp_assoc_t, &id)?;
        }
        super::options::getsockopt(sd, t::SOL_SCTP, opt, arg, size).map(|_| 0)
    })
}

/// sctp_sendmsg(3).
#[no_mangle]
pub extern "C" fn sctp_sendmsg(
    s: c_int,
    msg: *const c_void,
    len: usize,
    to: *mut libc::sockaddr,
    tolen: libc::socklen_t,
    ppid: u32,
    flags: u32,
    stream_no: u16,
    timetolive: u32,
    context: u32,
) -> c_int {
    boundary(-1, || {
        let sk = sctp_io(s)?;
        if msg.is_null() && len > 0 {
            return Err(libc::EFAULT);
        }
        let mut p = SendReq {
            info: Some(SndInfo {
                sid: stream_no,
                flags: flags as u16,
                ppid,
                context,
                ttl: timetolive,
                assoc: 0,
            }),
            ..SendReq::default()
        };
        if !to.is_null() && tolen > 0 {
            p.to.push(read_sockaddr(to, tolen as usize)?.0);
        }
        let data = mem::read_vec(msg, len)?;
        client::send(s, &sk, &p, &data, 0).map(|n| n as c_int)
    })
}

/// sctp_send(3).
#[no_mangle]
pub extern "C" fn sctp_send(
    s: c_int,
    msg: *const c_void,
    len: usize,
    sinfo: *const t::sctp_sndrcvinfo,
    flags: c_int,
) -> c_int {
    boundary(-1, || {
        let sk = sctp_io(s)?;
        if msg.is_null() && len > 0 {
            return Err(libc::EFAULT);
        }
        let mut p = SendReq::default();
        if !sinfo.is_null() {
            let i = mem::read_val(sinfo)?;
            p.info = Some(SndInfo {
                sid: i.sinfo_stream,
                flags: i.sinfo_flags,
                ppid: i.sinfo_ppid,
                context: i.sinfo_context,
                ttl: i.sinfo_timetolive,
                assoc: i.sinfo_assoc_id,
            });
        }
        let data = mem::read_vec(msg, len)?;
        client::send(s, &sk, &p, &data, flags).map(|n| n as c_int)
    })
}

/// sctp_recvmsg(3). `sinfo` is filled from the SCTP_SNDRCV ancillary data,
/// which (as with libsctp) needs the data I/O event subscribed.
#[no_mangle]
pub extern "C" fn sctp_recvmsg(
    s: c_int,
    msg: *mut c_void,
    len: usize,
    from: *mut libc::sockaddr,
    fromlen: *mut libc::socklen_t,
    sinfo: *mut t::sctp_sndrcvinfo,
    msg_flags: *mut c_int,
) -> c_int {
    boundary(-1, || {
        let sk = sctp_io(s)?;
        if msg.is_null() && len > 0 {
            return Err(libc::EFAULT);
        }
        let (r, data) = client::recv(s, &sk, len, false, false)?;
        mem::write_bytes(msg, &data)?;
        if let Some(a) = r.from {
            super::write_sockaddr(from, fromlen, &a)?;
        }
        if !sinfo.is_null() {
            // SAFETY: sctp_sndrcvinfo is plain old data; zeroed is valid.
            let mut i: t::sctp_sndrcvinfo = unsafe { std::mem::zeroed() };
            if let Some((_, v)) = r.cmsgs.iter().find(|(ty, _)| *ty == t::SCTP_SNDRCV) {
                // SAFETY: `v` holds exactly a sctp_sndrcvinfo built by recv_cmsgs.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        v.as_ptr(),
                        &mut i as *mut _ as *mut u8,
                        v.len().min(std::mem::size_of_val(&i)),
                    )
                };
            } else if r.notification {
                i.sinfo_assoc_id = r.assoc;
            }
            mem::write_val(sinfo, &i)?;
        }
        if !msg_flags.is_null() {
            mem::write_val(msg_flags, &ops::msg_flags(&r))?;
        }
        Ok(data.len() as c_int)
    })
}

/// sctp_sendv(3).
#[no_mangle]
pub extern "C" fn sctp_sendv(
    s: c_int,
    iov: *const libc::iovec,
    iovcnt: c_int,
    addrs: *mut libc::sockaddr,
    addrcnt: c_int,
    info: *mut c_void,
    infolen: libc::socklen_t,
    infotype: c_uint,
    flags: c_int,
) -> c_int {
    boundary(-1, || {
        let sk = sctp_io(s)?;
        let iovcnt = usize::try_from(iovcnt).map_err(|_| libc::EINVAL)?;
        let mut p = SendReq::default();
        if !addrs.is_null() && addrcnt > 0 {
            p.to = read_packed_addrs(addrs, addrcnt, None)?;
        } else if addrcnt < 0 {
            return Err(libc::EINVAL);
        }
        let apply_snd = |p: &mut SendReq, i: &t::sctp_sndinfo| {
            p.info = Some(SndInfo {
                sid: i.snd_sid,
                flags: i.snd_flags,
                ppid: i.snd_ppid,
                context: i.snd_context,
                ttl: 0,
                assoc: i.snd_assoc_id,
            });
        };
        match infotype {
            t::SCTP_SENDV_NOINFO => {
                if !info.is_null() || infolen != 0 {
                    return Err(libc::EINVAL);
                }
            }
            t::SCTP_SENDV_SNDINFO => {
                if info.is_null() || (infolen as usize) < std::mem::size_of::<t::sctp_sndinfo>() {
                    return Err(libc::EINVAL);
                }
                let i = mem::read_val(info as *const t::sctp_sndinfo)?;
                apply_snd(&mut p, &i);
            }
            t::SCTP_SENDV_PRINFO => {
                // libsctp sends it as an SCTP_PRINFO cmsg.
                if info.is_null() || (infolen as usize) < std::mem::size_of::<t::sctp_prinfo>() {
                    return Err(libc::EINVAL);
                }
                let i = mem::read_val(info as *const t::sctp_prinfo)?;
                p.pr = Some(crate::ipc::PrInfo { policy: i.pr_policy, value: i.pr_value });
            }
            t::SCTP_SENDV_AUTHINFO => {
                if info.is_null() {
                    return Err(libc::EINVAL);
                }
            }
            t::SCTP_SENDV_SPA => {
                if info.is_null() || (infolen as usize) < std::mem::size_of::<t::sctp_sendv_spa>() {
                    return Err(libc::EINVAL);
                }
                let spa = mem::read_val(info as *const t::sctp_sendv_spa)?;
                if spa.sendv_flags & t::SCTP_SEND_SNDINFO_VALID != 0 {
                    apply_snd(&mut p, &spa.sendv_sndinfo);
                }
                if spa.sendv_flags & t::SCTP_SEND_PRINFO_VALID != 0 {
                    let i = spa.sendv_prinfo;
                    p.pr = Some(crate::ipc::PrInfo { policy: i.pr_policy, value: i.pr_value });
                }
            }
            _ => return Err(libc::EINVAL),
        }
        let data = ops::gather(iov, iovcnt)?;
        client::send(s, &sk, &p, &data, flags).map(|n| n as c_int)
    })
}

/// sctp_recvv(3).
#[no_mangle]
pub extern "C" fn sctp_recvv(
    s: c_int,
    iov: *const libc::iovec,
    iovlen: c_int,
    from: *mut libc::sockaddr,
    fromlen: *mut libc::socklen_t,
    info: *mut c_void,
    infolen: *mut libc::socklen_t,
    infotype: *mut c_uint,
    flags: *mut c_int,
) -> c_int {
    boundary(-1, || {
        let sk = sctp_io(s)?;
        let iovlen = usize::try_from(iovlen).map_err(|_| libc::EINVAL)?;
        let in_flags = if flags.is_null() { 0 } else { mem::read_val(flags)? };
        let iovs = ops::read_iovs(iov, iovlen)?;
        let cap = iovs.iter().fold(0usize, |a, v| a.saturating_add(v.iov_len));
        let (r, data) = client::recv(
            s,
            &sk,
            cap,
            in_flags & libc::MSG_PEEK != 0,
            in_flags & libc::MSG_DONTWAIT != 0,
        )?;
        ops::scatter(&data, &iovs)?;
        if let Some(a) = r.from {
            super::write_sockaddr(from, fromlen, &a)?;
        }
        // lksctp's own walk (src/lib/recvmsg.c): the cmsgs in the order the
        // kernel wrote them; the first that fits decides the type, a second
        // one makes it SCTP_RECVV_RN if both fit, anything that does not
        // fit ends the walk. *infolen changes only when something was
        // stored.
        if !info.is_null() && !infotype.is_null() && !infolen.is_null() {
            let cap = mem::read_val(infolen)? as usize;
            let rl = std::mem::size_of::<t::sctp_rcvinfo>();
            let nl = std::mem::size_of::<t::sctp_nxtinfo>();
            let mut ty = t::SCTP_RECVV_NOINFO;
            let mut out: Vec<u8> = Vec::new();
            for (cty, data) in &r.cmsgs {
                match (*cty, ty) {
                    (t::SCTP_RCVINFO, t::SCTP_RECVV_NOINFO) if cap >= rl => {
                        out = data[..rl.min(data.len())].to_vec();
                        ty = t::SCTP_RECVV_RCVINFO;
                    }
                    (t::SCTP_RCVINFO, t::SCTP_RECVV_NXTINFO) if cap >= rl + nl => {
                        let mut v = data[..rl.min(data.len())].to_vec();
                        v.resize(rl, 0);
                        v.extend_from_slice(&out);
                        out = v;
                        ty = t::SCTP_RECVV_RN;
                    }
                    (t::SCTP_NXTINFO, t::SCTP_RECVV_NOINFO) if cap >= nl => {
                        out = data[..nl.min(data.len())].to_vec();
                        ty = t::SCTP_RECVV_NXTINFO;
                    }
                    (t::SCTP_NXTINFO, t::SCTP_RECVV_RCVINFO) if cap >= rl + nl => {
                        out.resize(rl, 0);
                        out.extend_from_slice(&data[..nl.min(data.len())]);
                        ty = t::SCTP_RECVV_RN;
                    }
                    (t::SCTP_RCVINFO | t::SCTP_NXTINFO, _) => break,
                    _ => {}
                }
            }
            mem::write_val(infotype, &ty)?;
            if ty != t::SCTP_RECVV_NOINFO {
                mem::write_bytes(info, &out)?;
                mem::write_val(infolen, &(out.len() as libc::socklen_t))?;
            }
        }
        if !flags.is_null() {
            mem::write_val(flags, &ops::msg_flags(&r))?;
        }
        Ok(data.len() as c_int)
    })
}

/// sctp_getaddrlen(3).
#[no_mangle]
pub extern "C" fn sctp_getaddrlen(family: libc::sa_family_t) -> c_int {
    match super::addr_len(family as c_int) {
        Some(n) => n as c_int,
        None => {
            set_errno(libc::EINVAL);
            -1
        }
    }
}
