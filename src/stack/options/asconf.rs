//! The ASCONF socket options (RFC 5061; RFC 6458 8.1.9, 8.1.22), as
//! Linux 6.x has them (net/sctp/socket.c): `SCTP_ASCONF_SUPPORTED` (the
//! socket's offer; only announced with AUTH on too, as the chunks travel
//! authenticated) and
//! `SCTP_SET_PEER_PRIMARY_ADDR` (an ASCONF asking the peer to send to
//! one of our addresses). `sctp_bindx` ADD and REM on a socket with
//! associations send ADD-IP / DELETE-IP (sock/mod.rs).

use super::*;
use crate::proto::assoc::AsconfReq;

pub(super) fn set(s: &Socket, name: c_int, b: &[u8]) -> R<c_int> {
    let len = b.len();
    match name {
        t::SCTP_ASCONF_SUPPORTED => {
            if len != size_of::<t::sctp_assoc_value>() {
                return Err(libc::EINVAL);
            }
            super::auth::future_scope(s, gi32(b, 0))?;
            s.inner.lock().opts.cfg.asconf_supported = g32(b, 4) != 0;
            s.refresh_listener();
            Ok(0)
        }
        _ => {
            // SCTP_SET_PEER_PRIMARY_ADDR (sctp_setsockopt_peer_primary_addr).
            if !s.inner.lock().opts.cfg.asconf_supported {
                return Err(libc::EPERM);
            }
            if len != size_of::<t::sctp_setpeerprim>() {
                return Err(libc::EINVAL);
            }
            let a = id2assoc(s, gi32(b, 0)).ok_or(libc::EINVAL)?;
            let arg = parse_storage(s.family, &b[off!(sctp_setpeerprim, sspp_addr)..]);
            with_assoc(s, a, |x, now| {
                if !x.asconf_enabled() {
                    return Err(libc::EPERM);
                }
                if x.state() != AssocState::Established {
                    return Err(libc::ENOTCONN);
                }
                let addr = match arg {
                    AddrArg::Addr(addr) => addr,
                    AddrArg::Bad => return Err(libc::EINVAL),
                    AddrArg::Any => return Err(libc::EADDRNOTAVAIL),
                };
                let ip = unmap(addr.ip());
                // One of the association's addresses, with its port
                // (sctp_assoc_lookup_laddr compares both).
                let ours = x.local_addrs().contains(&ip) || x.local_ip() == Some(ip);
                if !ours || addr.port() != x.local_port() {
                    return Err(libc::EADDRNOTAVAIL);
                }
                x.asconf_request(now, AsconfReq::SetPrimary(ip));
                Ok(0)
            })?
        }
    }
}

pub(super) fn get(s: &Socket, g: &Get) -> R<()> {
    // SCTP_ASCONF_SUPPORTED: the association's, or the socket's offer.
    super::auth::get_flag(s, g, |x| x.asconf_enabled(), |c| c.asconf_supported)
}
