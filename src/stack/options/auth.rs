//! The AUTH socket options (RFC 4895; RFC 6458 8.1.20-8.1.24, 8.3.2,
//! 8.3.3), with Linux 6.x's lengths, scopes and errnos (net/sctp/socket.c
//! and auth.c): an association whose peer is not AUTH-capable, or an
//! endpoint with AUTH off, answers EACCES; unknown or active keys where
//! they cannot be, EINVAL.
//!
//! Differences: the per-message `SCTP_AUTHINFO` cmsg is accepted and
//! ignored (packets are signed with the active key as they leave).

use super::*;
use crate::proto::assoc::auth::{hmac_len, SharedKey, HMAC_SHA1};
use bytes::Bytes;

/// Chunk types that can never be listed (RFC 4895 3.2; Linux EINVAL).
fn never_listed(t: u8) -> bool {
    matches!(t, 1 | 2 | 14 | 15)
}

/// The association a key option names, or where it goes otherwise:
/// sctp_setsockopt_auth_key's scoping (`SCTP_FUTURE_ASSOC`, `_CURRENT_`,
/// `_ALL_`; a one-to-one socket's unconnected id is the future one).
enum KeyScope {
    Assoc(AssocId),
    Sock { future: bool, current: bool },
}

fn key_scope(s: &Socket, id: i32) -> R<KeyScope> {
    if let Some(a) = id2assoc(s, id) {
        return Ok(KeyScope::Assoc(a));
    }
    if id > t::SCTP_ALL_ASSOC && s.style == Style::OneToMany {
        return Err(libc::EINVAL);
    }
    let id = if s.style == Style::OneToOne { t::SCTP_FUTURE_ASSOC } else { id };
    Ok(KeyScope::Sock {
        future: id == t::SCTP_FUTURE_ASSOC || id == t::SCTP_ALL_ASSOC,
        current: id == t::SCTP_CURRENT_ASSOC || id == t::SCTP_ALL_ASSOC,
    })
}

/// Runs a key operation on an association: EACCES when it does not use
/// AUTH, else `f`'s result.
fn on_assoc(s: &Socket, a: AssocId, f: impl FnOnce(&mut Association) -> R<()>) -> R<()> {
    with_assoc(s, a, |x, _| if x.auth_enabled() { f(x) } else { Err(libc::EACCES) })?
}

/// A key operation on the socket (`future`) and/or on every current
/// association (Linux keeps the first error of those).
fn on_scope(
    s: &Socket,
    id: i32,
    sock: impl FnOnce(&mut Config) -> R<()>,
    assoc: impl Fn(&mut Association) -> R<()>,
) -> R<c_int> {
    match key_scope(s, id)? {
        KeyScope::Assoc(a) => on_assoc(s, a, assoc).map(|_| 0),
        KeyScope::Sock { future, current } => {
            if future {
                {
                    let mut g = s.inner.lock();
                    if !g.opts.cfg.auth_supported {
                        return Err(libc::EACCES);
                    }
                    sock(&mut g.opts.cfg)?;
                }
                s.refresh_listener();
            }
            let mut first = Ok(0);
            if current {
                for a in current_assocs(s) {
                    if let Err(e) = on_assoc(s, a, &assoc) {
                        if first.is_ok() {
                            first = Err(e);
                        }
                    }
                }
            }
            first
        }
    }
}

/// The association a getsockopt names, where only it or
/// `SCTP_FUTURE_ASSOC` may be named on a one-to-many socket (the scoping
/// of the AUTH and ASCONF getters): None for the socket.
pub(super) fn future_scope(s: &Socket, id: i32) -> R<Option<AssocId>> {
    let a = id2assoc(s, id);
    if a.is_none() && id != t::SCTP_FUTURE_ASSOC && s.style == Style::OneToMany {
        return Err(libc::EINVAL);
    }
    Ok(a)
}

/// A `struct sctp_assoc_value` flag: the association's (`assoc`), or the
/// socket's (`sock`), with [`future_scope`].
pub(super) fn get_flag(
    s: &Socket,
    g: &Get,
    assoc: impl FnOnce(&Association) -> bool,
    sock: impl FnOnce(&Config) -> bool,
) -> R<()> {
    let n = size_of::<t::sctp_assoc_value>();
    g.need(n)?;
    let mut b = g.read(n)?;
    let on = match future_scope(s, gi32(&b, 0))? {
        Some(a) => inspect(s, a, assoc)?,
        None => sock(&s.inner.lock().opts.cfg),
    };
    p32(&mut b, 4, u32::from(on));
    g.reply(&b)
}

pub(super) fn set(s: &Socket, name: c_int, b: &[u8]) -> R<c_int> {
    let len = b.len();
    match name {
        t::SCTP_AUTH_CHUNK => {
            // sctp_setsockopt_auth_chunk: the endpoint's list.
            if !s.inner.lock().opts.cfg.auth_supported {
                return Err(libc::EACCES);
            }
            if len != size_of::<t::sctp_authchunk>() {
                return Err(libc::EINVAL);
            }
            let ty = b[0];
            if never_listed(ty) {
                return Err(libc::EINVAL);
            }
            s.inner.lock().opts.cfg.auth_chunks.insert(ty);
            s.refresh_listener();
            Ok(0)
        }
        t::SCTP_HMAC_IDENT => {
            // sctp_setsockopt_hmac_ident / sctp_auth_ep_set_hmacs.
            if !s.inner.lock().opts.cfg.auth_supported {
                return Err(libc::EACCES);
            }
            if len < 4 {
                return Err(libc::EINVAL);
            }
            let len = len.min(4 + 4 * 2);
            let n = g32(b, 0) as usize;
            if n == 0 || n > 4 || n * 2 > len - 4 {
                return Err(libc::EINVAL);
            }
            let ids: Vec<u16> = (0..n).map(|i| g16(b, 4 + 2 * i)).collect();
            if ids.iter().any(|id| hmac_len(*id).is_none()) {
                return Err(libc::EOPNOTSUPP);
            }
            // RFC 4895 6.1: SHA-1 MUST be in the list.
            if !ids.contains(&HMAC_SHA1) {
                return Err(libc::EINVAL);
            }
            s.inner.lock().opts.cfg.auth_hmacs = ids;
            s.refresh_listener();
            Ok(0)
        }
        t::SCTP_AUTH_KEY => {
            let hdr = size_of::<t::sctp_authkey>();
            if len <= hdr {
                return Err(libc::EINVAL);
            }
            let klen = usize::from(g16(b, off!(sctp_authkey, sca_keylength)));
            if klen > len - hdr {
                return Err(libc::EINVAL);
            }
            let keyid = g16(b, off!(sctp_authkey, sca_keynumber));
            let key = Bytes::copy_from_slice(&b[hdr..hdr + klen]);
            let k2 = key.clone();
            on_scope(
                s,
                gi32(b, 0),
                |c| {
                    c.auth_keys.retain(|k| k.id != keyid);
                    c.auth_keys.push(SharedKey { id: keyid, key: k2, deactivated: false });
                    Ok(())
                },
                |x| {
                    x.auth_set_key(keyid, key.clone());
                    Ok(())
                },
            )
        }
        t::SCTP_AUTH_ACTIVE_KEY | t::SCTP_AUTH_DELETE_KEY | t::SCTP_AUTH_DEACTIVATE_KEY => {
            if len != size_of::<t::sctp_authkeyid>() {
                return Err(libc::EINVAL);
            }
            let keyid = g16(b, off!(sctp_authkeyid, scact_keynumber));
            let id = gi32(b, 0);
            match name {
                t::SCTP_AUTH_ACTIVE_KEY => on_scope(
                    s,
                    id,
                    |c| {
                        if c.auth_keys.iter().any(|k| k.id == keyid && !k.deactivated) {
                            c.auth_active_key = keyid;
                            Ok(())
                        } else {
                            Err(libc::EINVAL)
                        }
                    },
                    |x| if x.auth_set_active(keyid) { Ok(()) } else { Err(libc::EINVAL) },
                ),
                _ => {
                    let delete = name == t::SCTP_AUTH_DELETE_KEY;
                    on_scope(
                        s,
                        id,
                        |c| {
                            if keyid == c.auth_active_key
                                || !c.auth_keys.iter().any(|k| k.id == keyid)
                            {
                                return Err(libc::EINVAL);
                            }
                            if delete {
                                c.auth_keys.retain(|k| k.id != keyid);
                            } else if let Some(k) = c.auth_keys.iter_mut().find(|k| k.id == keyid) {
                                k.deactivated = true;
                            }
                            Ok(())
                        },
                        |x| {
                            if x.auth_retire_key(keyid, delete) {
                                Ok(())
                            } else {
                                Err(libc::EINVAL)
                            }
                        },
                    )
                }
            }
        }
        _ => {
            // SCTP_AUTH_SUPPORTED (sctp_setsockopt_auth_supported): the
            // socket's offer from now on.
            if len != size_of::<t::sctp_assoc_value>() {
                return Err(libc::EINVAL);
            }
            future_scope(s, gi32(b, 0))?;
            s.inner.lock().opts.cfg.auth_supported = g32(b, 4) != 0;
            s.refresh_listener();
            Ok(0)
        }
    }
}

pub(super) fn get(s: &Socket, name: c_int, g: &Get) -> R<()> {
    match name {
        t::SCTP_HMAC_IDENT => {
            // sctp_getsockopt_hmac_ident: the endpoint's list, in host
            // order.
            let ids = {
                let i = s.inner.lock();
                if !i.opts.cfg.auth_supported {
                    return Err(libc::EACCES);
                }
                i.opts.cfg.auth_hmacs.clone()
            };
            let n = 4 + 2 * ids.len();
            g.need(n)?;
            let mut b = vec![0u8; n];
            p32(&mut b, 0, ids.len() as u32);
            for (i, id) in ids.iter().enumerate() {
                p16(&mut b, 4 + 2 * i, *id);
            }
            g.reply(&b)
        }
        t::SCTP_AUTH_ACTIVE_KEY => {
            let n = size_of::<t::sctp_authkeyid>();
            g.need(n)?;
            let mut b = g.read(n)?;
            let key = match future_scope(s, gi32(&b, 0))? {
                Some(a) => {
                    inspect(s, a, |x| x.auth_enabled().then(|| x.auth_active_key().unwrap_or(0)))?
                        .ok_or(libc::EACCES)?
                }
                None => {
                    let i = s.inner.lock();
                    if !i.opts.cfg.auth_supported {
                        return Err(libc::EACCES);
                    }
                    i.opts.cfg.auth_active_key
                }
            };
            p16(&mut b, off!(sctp_authkeyid, scact_keynumber), key);
            g.reply(&b)
        }
        t::SCTP_PEER_AUTH_CHUNKS | t::SCTP_LOCAL_AUTH_CHUNKS => {
            let hdr = size_of::<t::sctp_authchunks>();
            g.need(hdr)?;
            let b = g.read(hdr)?;
            let id = gi32(&b, 0);
            let a = id2assoc(s, id);
            let list = match (name, a) {
                (t::SCTP_PEER_AUTH_CHUNKS, None) => return Err(libc::EINVAL),
                (_, Some(a)) => {
                    let l = inspect(s, a, |x| x.auth_chunk_lists())?.ok_or(libc::EACCES)?;
                    if name == t::SCTP_PEER_AUTH_CHUNKS {
                        l.0
                    } else {
                        l.1
                    }
                }
                (_, None) => {
                    if id != t::SCTP_FUTURE_ASSOC && s.style == Style::OneToMany {
                        return Err(libc::EINVAL);
                    }
                    let i = s.inner.lock();
                    if !i.opts.cfg.auth_supported {
                        return Err(libc::EACCES);
                    }
                    // With ASCONF on, ASCONF and ASCONF-ACK are listed too
                    // (as Linux adds them).
                    let mut set = i.opts.cfg.auth_chunks;
                    if i.opts.cfg.asconf_supported {
                        set.insert(0xC1);
                        set.insert(0x80);
                    }
                    set.to_vec()
                }
            };
            g.need(hdr + list.len())?;
            let mut out = b;
            p32(&mut out, off!(sctp_authchunks, gauth_number_of_chunks), list.len() as u32);
            out.extend_from_slice(&list);
            g.reply(&out)
        }
        t::SCTP_AUTH_SUPPORTED => get_flag(s, g, |x| x.auth_enabled(), |c| c.auth_supported),
        // Set-only: SCTP_AUTH_KEY, SCTP_AUTH_CHUNK, SCTP_AUTH_DELETE_KEY,
        // SCTP_AUTH_DEACTIVATE_KEY.
        _ => Err(libc::EOPNOTSUPP),
    }
}
