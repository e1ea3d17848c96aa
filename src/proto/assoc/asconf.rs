//! Dynamic address reconfiguration (RFC 5061): ASCONF and ASCONF-ACK.
//!
//! In use when both ends list ASCONF and ASCONF-ACK in Supported
//! Extensions and AUTH is in use (4.1.1: both chunks travel
//! authenticated; an end that offers ASCONF lists them in its CHUNKS).
//!
//! Sending (5.1): requests (`sctp_bindx` ADD/REM, `SCTP_SET_PEER_PRIMARY_ADDR`)
//! are queued; one ASCONF is outstanding at a time (C1), with serial
//! numbers from the initial TSN (A2), retransmitted on T4-RTO to an
//! alternate path with the path and association error counts of RFC 9260
//! 8.1/8.2 (B1-B5). An address being added is not used as a source until
//! the ASCONF-ACK says it was (F1, F2); one being deleted is not used as
//! a source from the request on (F4, F6), and comes back if the peer
//! refuses. Responses follow A7/A8.
//!
//! Receiving (5.2): the next serial is processed (E4; a packet can be
//! found by the ASCONF's Address Parameter, D2, endpoint.rs), the one
//! before gets the cached ASCONF-ACK again (E2), others are dropped (E5).
//! Added addresses start unconfirmed and are probed (F14); deleting the
//! last address or the packet's source is refused (F7, F8); once one ADD
//! or DELETE fails the rest do (F11); SET PRIMARY of an unknown address
//! is ignored (5.4). The ASCONF-ACK goes to the packet's source (E6) and
//! carries only the errors (4.2.5: success is implied).

use super::*;
use crate::proto::wire::param::{PARAM_IPV4, PARAM_IPV6};

pub const CHUNK_ASCONF: u8 = 0xC1;
pub const CHUNK_ASCONF_ACK: u8 = 0x80;
const PARAM_ADD_IP: u16 = 0xC001;
const PARAM_DEL_IP: u16 = 0xC002;
const PARAM_ERROR: u16 = 0xC003;
const PARAM_SET_PRIMARY: u16 = 0xC004;
const PARAM_SUCCESS: u16 = 0xC005;
/// Error causes (4.3).
const CAUSE_DEL_LAST: u16 = 0x00A0;
const CAUSE_RESOURCE: u16 = 0x00A1;
const CAUSE_DEL_SOURCE: u16 = 0x00A2;
const CAUSE_UNRECOGNIZED_PARAM: u16 = 8;
/// Requests per ASCONF (keeps it well inside any path MTU, C5).
const MAX_REQS: usize = 16;

/// One address change for the peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AsconfReq {
    Add(IpAddr),
    Delete(IpAddr),
    SetPrimary(IpAddr),
}

#[derive(Clone, Debug)]
struct Outstanding {
    serial: u32,
    bytes: Vec<u8>,
    reqs: Vec<(u32, AsconfReq)>,
    path: usize,
}

/// An association's ASCONF state (boxed: most have none).
#[derive(Clone, Debug, Default)]
pub(super) struct AsconfState {
    next_serial: u32,
    /// The last serial of the peer's that was processed.
    peer_serial: u32,
    queue: VecDeque<AsconfReq>,
    out: Option<Outstanding>,
    t4: Option<Instant>,
    /// The last ASCONF-ACK sent, for the peer's retransmission (E2).
    last_ack: Vec<u8>,
    next_cid: u32,
}

impl AsconfState {
    pub(super) fn new(local_initial_tsn: u32, peer_initial_tsn: u32) -> Self {
        AsconfState {
            next_serial: local_initial_tsn,
            peer_serial: peer_initial_tsn.wrapping_sub(1),
            next_cid: 1,
            ..Default::default()
        }
    }
}

fn put_addr(out: &mut Vec<u8>, ip: IpAddr) {
    match ip {
        IpAddr::V4(a) => {
            out.extend_from_slice(&PARAM_IPV4.to_be_bytes());
            out.extend_from_slice(&8u16.to_be_bytes());
            out.extend_from_slice(&a.octets());
        }
        IpAddr::V6(a) => {
            out.extend_from_slice(&PARAM_IPV6.to_be_bytes());
            out.extend_from_slice(&20u16.to_be_bytes());
            out.extend_from_slice(&a.octets());
        }
    }
}

fn addr_len(ip: IpAddr) -> usize {
    if ip.is_ipv4() {
        8
    } else {
        20
    }
}

/// An address parameter (type 5 or 6) at the start of `b`: the address
/// and the parameter's length.
fn get_addr(b: &[u8]) -> Option<(IpAddr, usize)> {
    let ty = u16::from_be_bytes([*b.first()?, *b.get(1)?]);
    let len = usize::from(u16::from_be_bytes([*b.get(2)?, *b.get(3)?]));
    match (ty, len) {
        (PARAM_IPV4, 8) => {
            let o: [u8; 4] = b.get(4..8)?.try_into().ok()?;
            Some((IpAddr::from(o), 8))
        }
        (PARAM_IPV6, 20) => {
            let o: [u8; 16] = b.get(4..20)?.try_into().ok()?;
            Some((sys_unmap(IpAddr::from(o)), 20))
        }
        _ => None,
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn sys_unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The TLVs of `b` (type, whole TLV without padding); stops at a
/// malformed one.
fn tlvs(mut b: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let ty = u16::from_be_bytes([*b.first()?, *b.get(1)?]);
        let len = usize::from(u16::from_be_bytes([*b.get(2)?, *b.get(3)?]));
        if len < 4 || len > b.len() {
            return None;
        }
        let (tlv, _) = b.split_at(len);
        b = b.get((len + 3) & !3..).unwrap_or_default();
        Some((ty, tlv))
    })
}

/// The ASCONF address parameter's address of a packet whose first chunk
/// (after an AUTH) is an ASCONF: the endpoint's fallback to find the
/// association (5.2 D2).
pub fn asconf_address(value: &[u8]) -> Option<IpAddr> {
    get_addr(value.get(4..)?).map(|(ip, _)| ip).filter(|ip| !ip.is_unspecified())
}

impl Association {
    /// Whether ASCONF is in use on this association.
    pub fn asconf_enabled(&self) -> bool {
        self.asconf.is_some()
    }

    /// Sets up ASCONF once the association knows the peer's offer.
    pub(super) fn asconf_init(&mut self, peer_offers: bool, peer_initial_tsn: u32) {
        self.asconf = (self.cfg.asconf_supported && peer_offers && self.auth_enabled())
            .then(|| Box::new(AsconfState::new(self.initial_tsn, peer_initial_tsn)));
    }

    /// The serial this end's next ASCONF will carry (tests).
    #[doc(hidden)]
    pub fn asconf_next_serial(&self) -> Option<u32> {
        self.asconf.as_ref().map(|s| s.next_serial)
    }

    /// Queues an address change for the peer (and sends it if no ASCONF
    /// is outstanding). False if ASCONF is not in use.
    pub fn asconf_request(&mut self, now: Instant, req: AsconfReq) -> bool {
        let Some(st) = self.asconf.as_mut() else { return false };
        if let AsconfReq::Delete(ip) = req {
            // F4/F6: no longer a source, from now on.
            self.local_addrs.retain(|a| *a != ip);
            if self.local_ip == Some(ip) {
                self.local_ip = None;
            }
        }
        st.queue.push_back(req);
        self.asconf_send(now);
        true
    }

    /// Sends the queued requests in one ASCONF if none is outstanding
    /// (C1) and the state allows (C4).
    pub(super) fn asconf_send(&mut self, now: Instant) {
        if !matches!(
            self.state,
            AssocState::Established
                | AssocState::ShutdownPending
                | AssocState::ShutdownReceived
                | AssocState::ShutdownSent
        ) {
            return;
        }
        let path = self.data_path();
        // The Address Parameter: an address of ours the peer knows, the
        // one this packet will most likely leave from.
        let me = self
            .src_for(path)
            .or_else(|| self.local_addrs.first().copied())
            .or(self.local_ip)
            .unwrap_or(if self.paths[path].addr.is_ipv4() {
                IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)
            } else {
                IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
            });
        let Some(st) = self.asconf.as_mut() else { return };
        if st.out.is_some() || st.queue.is_empty() {
            return;
        }
        let serial = st.next_serial;
        st.next_serial = serial.wrapping_add(1);
        let mut value = serial.to_be_bytes().to_vec();
        put_addr(&mut value, me);
        let mut reqs = Vec::new();
        while reqs.len() < MAX_REQS {
            let Some(r) = st.queue.pop_front() else { break };
            let cid = st.next_cid;
            st.next_cid = cid.wrapping_add(1);
            let (ty, ip) = match r {
                AsconfReq::Add(ip) => (PARAM_ADD_IP, ip),
                AsconfReq::Delete(ip) => (PARAM_DEL_IP, ip),
                AsconfReq::SetPrimary(ip) => (PARAM_SET_PRIMARY, ip),
            };
            value.extend_from_slice(&ty.to_be_bytes());
            value.extend_from_slice(&((8 + addr_len(ip)) as u16).to_be_bytes());
            value.extend_from_slice(&cid.to_be_bytes());
            put_addr(&mut value, ip);
            reqs.push((cid, r));
        }
        let mut bytes = Vec::with_capacity(value.len() + 4);
        emit_raw(&mut bytes, CHUNK_ASCONF, 0, &value);
        st.out = Some(Outstanding { serial, bytes: bytes.clone(), reqs, path });
        st.t4 = Some(now + self.paths[path].rto);
        let dst = self.path_dst(path);
        self.ctrl.push_back(Ctrl { dst, vtag: self.peer_tag, alone: false, bytes });
    }

    /// The T4-RTO timer, if running.
    pub(super) fn asconf_timer(&self) -> Option<Instant> {
        self.asconf.as_ref().and_then(|s| s.t4)
    }

    /// T4-RTO expiry (B1-B5): errors counted, the RTO backed off, the same
    /// ASCONF again to an alternate path.
    pub(super) fn on_t4(&mut self, now: Instant) {
        let Some(st) = self.asconf.as_mut() else { return };
        st.t4 = None;
        let Some(out) = st.out.as_ref() else { return };
        let (p, bytes) = (out.path.min(self.paths.len() - 1), out.bytes.clone());
        if !self.strike(now, p) {
            return;
        }
        let alt = self.alternate_path(p);
        if let Some(st) = self.asconf.as_mut() {
            if let Some(o) = st.out.as_mut() {
                o.path = alt;
            }
            st.t4 = Some(now + self.paths[alt].rto);
        }
        let dst = self.path_dst(alt);
        self.ctrl.push_back(Ctrl { dst, vtag: self.peer_tag, alone: false, bytes });
    }

    /// An ASCONF-ACK arrived (A5-A8).
    pub(super) fn on_asconf_ack(&mut self, now: Instant, value: &[u8]) {
        let Some(serial) = value.get(..4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        else {
            return;
        };
        let Some(st) = self.asconf.as_mut() else { return };
        if st.out.as_ref().is_none_or(|o| o.serial != serial) {
            return;
        }
        let Some(out) = st.out.take() else { return };
        st.t4 = None;
        // Per request: Some(true) success, Some(false) error.
        let mut said: Vec<(u32, bool)> = Vec::new();
        for (ty, tlv) in tlvs(&value[4..]) {
            let cid = tlv.get(4..8).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
            match (ty, cid) {
                (PARAM_ERROR, Some(c)) => said.push((c, false)),
                (PARAM_SUCCESS, Some(c)) => said.push((c, true)),
                _ => {}
            }
        }
        let first_err =
            out.reqs.iter().position(|(cid, _)| said.iter().any(|(c, ok)| c == cid && !ok));
        for (i, (cid, req)) in out.reqs.iter().enumerate() {
            let explicit = said.iter().find(|(c, _)| c == cid).map(|x| x.1);
            // A7/A8: before the first error implied success, after it
            // failure unless said otherwise.
            let ok = explicit.unwrap_or(first_err.is_none_or(|e| i < e));
            // F2: an added address is now a source like the others; a
            // refused delete leaves the address ours for the peer.
            let back = match (*req, ok) {
                (AsconfReq::Add(ip), true) | (AsconfReq::Delete(ip), false) => Some(ip),
                _ => None,
            };
            if let Some(ip) = back.filter(|ip| !self.local_addrs.contains(ip)) {
                self.local_addrs.push(ip);
            }
        }
        let p = out.path.min(self.paths.len() - 1);
        self.paths[p].error_count = 0;
        self.paths[p].errors_since = None;
        self.assoc_errors = 0;
        self.asconf_send(now);
    }

    /// An ASCONF arrived from `src` (E1-E6).
    pub(super) fn on_asconf(&mut self, now: Instant, src: SocketAddr, value: &[u8]) {
        let Some(serial) = value.get(..4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        else {
            return;
        };
        let Some(st) = self.asconf.as_mut() else { return };
        if serial == st.peer_serial && !st.last_ack.is_empty() {
            // E2: the peer did not get our ASCONF-ACK.
            let bytes = st.last_ack.clone();
            self.ctrl.push_back(Ctrl { dst: src, vtag: self.peer_tag, alone: false, bytes });
            return;
        }
        if serial != st.peer_serial.wrapping_add(1) {
            return; // E5
        }
        let Some((_, alen)) = value.get(4..).and_then(get_addr) else {
            return;
        };
        st.peer_serial = serial;
        let mut ack = serial.to_be_bytes().to_vec();
        let mut failing = false;
        // The ASCONF-ACK stays within an MTU (C5): responses past that are
        // left out (the requests are still processed).
        let room = (self.paths[self.primary].mtu as usize).saturating_sub(16 + self.auth_room());
        let error = |ack: &mut Vec<u8>, cid: &[u8], cause: u16, body: &[u8]| {
            let clen = 4 + body.len();
            if ack.len() + 8 + ((clen + 3) & !3) > room {
                return;
            }
            let plen = 8 + ((clen + 3) & !3);
            ack.extend_from_slice(&PARAM_ERROR.to_be_bytes());
            ack.extend_from_slice(&(plen as u16).to_be_bytes());
            ack.extend_from_slice(cid);
            ack.extend_from_slice(&cause.to_be_bytes());
            ack.extend_from_slice(&(clen as u16).to_be_bytes());
            ack.extend_from_slice(body);
            ack.resize(ack.len() + ((4 - clen % 4) % 4), 0);
        };
        let rest = value.get(4 + ((alen + 3) & !3)..).unwrap_or_default().to_vec();
        for (ty, tlv) in tlvs(&rest) {
            let cid = tlv.get(4..8).unwrap_or(&[0, 0, 0, 0]).to_vec();
            let ip = tlv.get(8..).and_then(get_addr).map(|(ip, _)| ip);
            match (ty, ip) {
                (PARAM_ADD_IP, Some(ip)) => {
                    let ip = if ip.is_unspecified() { src.ip() } else { ip };
                    if failing {
                        error(&mut ack, &cid, CAUSE_RESOURCE, tlv);
                    } else if self.path_of(ip).is_none() {
                        if self.paths.len() >= cookie::MAX_PEER_ADDRS
                            || ip.is_multicast()
                            || ip.is_ipv4() != src.ip().is_ipv4()
                        {
                            failing = true;
                            error(&mut ack, &cid, CAUSE_RESOURCE, tlv);
                            continue;
                        }
                        // F14: unconfirmed, probed at once (as Linux does
                        // for the new transport) so it can be used soon.
                        let mut p = Path::new(ip, src.port(), &self.cfg, now);
                        p.confirmed = false;
                        p.hb_timer = Some(now);
                        self.paths.push(p);
                        self.ep_events.push_back(EndpointEvent::PeerAddrAdded(ip));
                        self.events.push_back(AssocEvent::Path {
                            addr: ip,
                            event: PathEvent::Added,
                            error: 0,
                        });
                    }
                }
                (PARAM_DEL_IP, Some(ip)) => {
                    let targets: Vec<IpAddr> = if ip.is_unspecified() {
                        self.paths.iter().map(|p| p.addr).filter(|a| *a != src.ip()).collect()
                    } else {
                        vec![ip]
                    };
                    if failing {
                        error(&mut ack, &cid, CAUSE_RESOURCE, tlv);
                        continue;
                    }
                    if targets.len() >= self.paths.len() && !targets.is_empty() {
                        failing = true;
                        error(&mut ack, &cid, CAUSE_DEL_LAST, tlv);
                        continue;
                    }
                    if targets.contains(&src.ip()) {
                        failing = true;
                        error(&mut ack, &cid, CAUSE_DEL_SOURCE, tlv);
                        continue;
                    }
                    for a in targets {
                        if let Some(i) = self.path_of(a) {
                            self.remove_path(i);
                            self.ep_events.push_back(EndpointEvent::PeerAddrRemoved(a));
                            self.events.push_back(AssocEvent::Path {
                                addr: a,
                                event: PathEvent::Removed,
                                error: 0,
                            });
                        }
                    }
                }
                (PARAM_SET_PRIMARY, Some(ip)) => {
                    let ip = if ip.is_unspecified() { src.ip() } else { ip };
                    // 5.4: an address the association does not have is
                    // not honoured.
                    if let Some(i) = self.path_of(ip) {
                        self.primary = i;
                        self.events.push_back(AssocEvent::Path {
                            addr: ip,
                            event: PathEvent::MadePrimary,
                            error: 0,
                        });
                    }
                }
                (PARAM_ADD_IP | PARAM_DEL_IP | PARAM_SET_PRIMARY, None) => {
                    failing = true;
                    error(&mut ack, &cid, CAUSE_RESOURCE, tlv);
                }
                _ => {
                    // V2: report what we do not know, as its type says.
                    if ty & 0x4000 != 0 {
                        error(&mut ack, &cid, CAUSE_UNRECOGNIZED_PARAM, tlv);
                    }
                    if ty & 0x8000 == 0 {
                        break;
                    }
                }
            }
        }
        let mut bytes = Vec::with_capacity(ack.len() + 4);
        emit_raw(&mut bytes, CHUNK_ASCONF_ACK, 0, &ack);
        if let Some(st) = self.asconf.as_mut() {
            st.last_ack = bytes.clone();
        }
        // E6: to the packet's source.
        self.ctrl.push_back(Ctrl { dst: src, vtag: self.peer_tag, alone: false, bytes });
    }

    /// Takes peer address `i` out of the association (a DELETE IP): what
    /// was outstanding on it is resent elsewhere, indices after it move
    /// down by one.
    fn remove_path(&mut self, i: usize) {
        if self.paths.len() <= 1 || i >= self.paths.len() {
            return;
        }
        let alt = {
            let a = self.alternate_path(i);
            let a = if a == i { (i + 1) % self.paths.len() } else { a };
            if a > i {
                a - 1
            } else {
                a
            }
        };
        let fix = |x: usize| if x > i { x - 1 } else { x };
        for c in self.out.q.iter_mut() {
            // (`alt` is already an index after the removal.)
            c.rtx = c.rtx.map(|r| if r == i { alt } else { fix(r) });
            if c.path == i {
                if c.in_flight && !c.gap_acked && !c.abandoned && c.rtx.is_none() {
                    c.in_flight = false;
                    c.rtx = Some(alt);
                    self.rtx_marked += 1;
                }
                c.path = alt;
            } else {
                c.path = fix(c.path);
            }
        }
        self.primary = if self.primary == i { alt } else { fix(self.primary) };
        self.last_data_path = if self.last_data_path == i { alt } else { fix(self.last_data_path) };
        if let Some(st) = self.asconf.as_mut() {
            if let Some(o) = st.out.as_mut() {
                o.path = if o.path == i { alt } else { fix(o.path) };
            }
        }
        self.paths.remove(i);
    }
}
