//! sendmsg/recvmsg on SCTP sockets with their SCTP ancillary data
//! (RFC 6458 section 5), shared by the libc names and the lksctp calls.
//!
//! Functions here take the application's raw pointers; they never
//! dereference them directly (every access goes through `abi::mem`).
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use super::mem;
use super::types as t;
use crate::client::{self, Handle};
use crate::ipc::{RecvMeta, SendReq, SndInfo};
use std::net::SocketAddr;
use std::os::raw::{c_int, c_void};

const CMSG_HDR: usize = std::mem::size_of::<libc::cmsghdr>();

fn align(n: usize) -> usize {
    (n + std::mem::size_of::<usize>() - 1) & !(std::mem::size_of::<usize>() - 1)
}

/// Upper bound on one message gathered from iovecs.
const MAX_MSG: usize = 64 << 20;

/// Gathers an iovec array into one buffer.
pub fn gather(iov: *const libc::iovec, iovcnt: usize) -> Result<Vec<u8>, c_int> {
    if iovcnt > 1024 {
        return Err(libc::EMSGSIZE);
    }
    if iovcnt > 0 && iov.is_null() {
        return Err(libc::EFAULT);
    }
    let mut vs = Vec::with_capacity(iovcnt);
    let mut total = 0usize;
    for i in 0..iovcnt {
        // SAFETY: pointer arithmetic only; the element is read through `mem`.
        let v = mem::read_val(unsafe { iov.add(i) })?;
        total = total.checked_add(v.iov_len).ok_or(libc::EINVAL)?;
        if total > MAX_MSG {
            return Err(libc::EMSGSIZE);
        }
        vs.push(v);
    }
    let mut out = vec![0u8; total];
    let mut off = 0;
    for v in vs {
        if v.iov_len > 0 {
            mem::read_into(v.iov_base, &mut out[off..off + v.iov_len])?;
            off += v.iov_len;
        }
    }
    Ok(out)
}

/// Reads an iovec array (bounded) from application memory.
pub fn read_iovs(iov: *const libc::iovec, iovcnt: usize) -> Result<Vec<libc::iovec>, c_int> {
    if iovcnt > 1024 {
        return Err(libc::EMSGSIZE);
    }
    if iovcnt > 0 && iov.is_null() {
        return Err(libc::EFAULT);
    }
    (0..iovcnt)
        // SAFETY: pointer arithmetic only; the element is read through `mem`.
        .map(|i| mem::read_val(unsafe { iov.add(i) }))
        .collect()
}

/// Writes received bytes into the application's iovecs.
pub fn scatter(data: &[u8], iovs: &[libc::iovec]) -> Result<(), c_int> {
    mem::write_gather(&mut std::iter::once(data), iovs)
}

fn read_struct<T: Copy>(data: &[u8]) -> Option<T> {
    if data.len() < std::mem::size_of::<T>() {
        return None;
    }
    let mut v = std::mem::MaybeUninit::<T>::uninit();
    // SAFETY: `data` holds at least size_of::<T>() bytes; T is a plain C
    // struct for which any bytes are valid.
    unsafe {
        std::ptr::copy_nonoverlapping(
            data.as_ptr(),
            v.as_mut_ptr() as *mut u8,
            std::mem::size_of::<T>(),
        );
        Some(v.assume_init())
    }
}

/// Applies the SCTP cmsgs of a sendmsg to `p` (RFC 6458 5.3).
pub fn parse_send_cmsgs(control: &[u8], p: &mut SendReq) -> Result<(), c_int> {
    let mut off = 0;
    while off + CMSG_HDR <= control.len() {
        let h: libc::cmsghdr = read_struct(&control[off..]).ok_or(libc::EINVAL)?;
        let len = h.cmsg_len;
        if len < CMSG_HDR || off + len > control.len() {
            return Err(libc::EINVAL);
        }
        let data = &control[off + CMSG_HDR..off + len];
        if h.cmsg_level == t::IPPROTO_SCTP {
            match h.cmsg_type {
                t::SCTP_SNDRCV => {
                    let i: t::sctp_sndrcvinfo = read_struct(data).ok_or(libc::EINVAL)?;
                    p.info = Some(SndInfo {
                        sid: i.sinfo_stream,
                        flags: i.sinfo_flags,
                        ppid: i.sinfo_ppid,
                        context: i.sinfo_context,
                        ttl: i.sinfo_timetolive,
                        assoc: i.sinfo_assoc_id,
                    });
                }
                t::SCTP_SNDINFO => {
                    let i: t::sctp_sndinfo = read_struct(data).ok_or(libc::EINVAL)?;
                    p.info = Some(SndInfo {
                        sid: i.snd_sid,
                        flags: i.snd_flags,
                        ppid: i.snd_ppid,
                        context: i.snd_context,
                        ttl: 0,
                        assoc: i.snd_assoc_id,
                    });
                }
                t::SCTP_INIT => {
                    let i: t::sctp_initmsg = read_struct(data).ok_or(libc::EINVAL)?;
                    p.init = Some((
                        i.sinit_num_ostreams,
                        i.sinit_max_instreams,
                        i.sinit_max_attempts,
                        i.sinit_max_init_timeo,
                    ));
                }
                t::SCTP_PRINFO => {
                    let i: t::sctp_prinfo = read_struct(data).ok_or(libc::EINVAL)?;
                    p.pr = Some(crate::ipc::PrInfo { policy: i.pr_policy, value: i.pr_value });
                }
                t::SCTP_AUTHINFO => {}
                t::SCTP_DSTADDRV4 if data.len() >= 4 => {
                    let ip = std::net::Ipv4Addr::new(data[0], data[1], data[2], data[3]);
                    let port = p.to.first().map(|a| a.port()).unwrap_or(0);
                    p.to.push(SocketAddr::new(ip.into(), port));
                }
                t::SCTP_DSTADDRV6 if data.len() >= 16 => {
                    let mut o = [0u8; 16];
                    o.copy_from_slice(&data[..16]);
                    let port = p.to.first().map(|a| a.port()).unwrap_or(0);
                    p.to.push(SocketAddr::new(std::net::Ipv6Addr::from(o).into(), port));
                }
                _ => return Err(libc::EINVAL),
            }
        }
        off += align(len);
    }
    Ok(())
}

/// sendmsg(2) on an SCTP socket.
pub fn sendmsg(
    fd: c_int,
    h: &Handle,
    msg: *const libc::msghdr,
    flags: c_int,
) -> Result<isize, c_int> {
    let m = mem::read_val(msg)?;
    let mut p = SendReq::default();
    if !m.msg_name.is_null() && m.msg_namelen > 0 {
        let (a, _) = super::read_sockaddr(m.msg_name as *const _, m.msg_namelen as usize)?;
        p.to.push(a);
    }
    if !m.msg_control.is_null() && m.msg_controllen > 0 {
        let c = mem::read_vec(m.msg_control, m.msg_controllen.min(65536))?;
        parse_send_cmsgs(&c, &mut p)?;
    }
    let data = gather(m.msg_iov, m.msg_iovlen)?;
    let n = client::send(fd, h, &p, &data, flags)?;
    Ok(n as isize)
}

/// Encodes cmsgs into at most `cap` bytes; returns the bytes and whether
/// some did not fit (MSG_CTRUNC).
pub fn encode_cmsgs(cms: &[(i32, Vec<u8>)], cap: usize) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut trunc = false;
    for (ty, data) in cms {
        let space = CMSG_HDR + align(data.len());
        if out.len() + space > cap {
            trunc = true;
            break;
        }
        let start = out.len();
        out.resize(start + space, 0);
        let len = (CMSG_HDR + data.len()) as libc::size_t;
        out[start..start + std::mem::size_of::<libc::size_t>()].copy_from_slice(&len.to_ne_bytes());
        let lo = start + std::mem::size_of::<libc::size_t>();
        out[lo..lo + 4].copy_from_slice(&t::IPPROTO_SCTP.to_ne_bytes());
        out[lo + 4..lo + 8].copy_from_slice(&ty.to_ne_bytes());
        out[start + CMSG_HDR..start + CMSG_HDR + data.len()].copy_from_slice(data);
    }
    (out, trunc)
}

/// The msg_flags a receive reports: MSG_EOR at the end of a message,
/// MSG_NOTIFICATION for a notification.
pub fn msg_flags(r: &RecvMeta) -> c_int {
    let mut f = 0;
    if r.eor {
        f |= libc::MSG_EOR;
    }
    if r.notification {
        f |= t::MSG_NOTIFICATION;
    }
    f
}

/// recvmsg(2) on an SCTP socket.
pub fn recvmsg(
    fd: c_int,
    h: &Handle,
    msg: *mut libc::msghdr,
    flags: c_int,
) -> Result<isize, c_int> {
    let mut m = mem::read_val(msg as *const libc::msghdr)?;
    let iovs = read_iovs(m.msg_iov, m.msg_iovlen)?;
    let cap = iovs.iter().fold(0usize, |a, v| a.saturating_add(v.iov_len));
    let (r, data) =
        client::recv(fd, h, cap, flags & libc::MSG_PEEK != 0, flags & libc::MSG_DONTWAIT != 0)?;
    scatter(&data, &iovs)?;
    let mut oflags = msg_flags(&r);
    if !m.msg_name.is_null() {
        if let Some(from) = r.from {
            let b = super::sockaddr_bytes(&from);
            let n = b.len().min(m.msg_namelen as usize);
            mem::write_bytes(m.msg_name, &b[..n])?;
            m.msg_namelen = b.len() as libc::socklen_t;
        } else {
            m.msg_namelen = 0;
        }
    }
    if !m.msg_control.is_null() && m.msg_controllen > 0 {
        let (bytes, trunc) = encode_cmsgs(&r.cmsgs, m.msg_controllen);
        mem::write_bytes(m.msg_control, &bytes)?;
        m.msg_controllen = bytes.len();
        if trunc {
            oflags |= libc::MSG_CTRUNC;
        }
    } else {
        m.msg_controllen = 0;
        // put_cmsg(): ancillary data with nowhere to go is truncated.
        if !r.cmsgs.is_empty() {
            oflags |= libc::MSG_CTRUNC;
        }
    }
    m.msg_flags = oflags;
    mem::write_val(msg, &m)?;
    Ok(data.len() as isize)
}

/// recv/recvfrom/read on an SCTP socket.
pub fn recv_plain(
    fd: c_int,
    h: &Handle,
    buf: *mut c_void,
    len: usize,
    flags: c_int,
    from: Option<(*mut libc::sockaddr, *mut libc::socklen_t)>,
) -> Result<isize, c_int> {
    if buf.is_null() && len > 0 {
        return Err(libc::EFAULT);
    }
    let (r, data) =
        client::recv(fd, h, len, flags & libc::MSG_PEEK != 0, flags & libc::MSG_DONTWAIT != 0)?;
    mem::write_bytes(buf, &data)?;
    if let (Some((p, l)), Some(a)) = (from, r.from) {
        super::write_sockaddr(p, l, &a)?;
    }
    Ok(data.len() as isize)
}

/// send/sendto/write on an SCTP socket.
pub fn send_plain(
    fd: c_int,
    h: &Handle,
    buf: *const c_void,
    len: usize,
    flags: c_int,
    to: Option<SocketAddr>,
) -> Result<isize, c_int> {
    if buf.is_null() && len > 0 {
        return Err(libc::EFAULT);
    }
    if len > MAX_MSG {
        return Err(libc::EMSGSIZE);
    }
    let data = mem::read_vec(buf, len)?;
    let mut p = SendReq::default();
    if let Some(a) = to {
        p.to.push(a);
    }
    Ok(client::send(fd, h, &p, &data, flags)? as isize)
}
