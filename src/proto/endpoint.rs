//! The endpoint: routes received packets to associations by (peer
//! address, peer port, local port), answers INIT with a signed State
//! Cookie and no state (RFC 9260 5.1.3), turns a valid COOKIE ECHO into a
//! new association (5.1.5), and answers out-of-the-blue packets (8.4)
//! to the packet's own UDP source port (draft-tuexen-tsvwg-sctp-udp-
//! encaps-cons section 3).

use crate::proto::assoc::{
    cookie::MAX_PEER_ADDRS, AssocId, Association, Cookie, CookieError, EndpointEvent, Incoming,
    Shared, Transmit,
};
use crate::proto::config::{Config, EndpointConfig};
use crate::proto::time::Instant;
use crate::proto::wire::{
    self, chunk::emit_raw, chunk::FLAG_T, Cause, Causes, Chunk, CommonHeader, InitChunk,
    InitParams, CHUNK_ABORT, CHUNK_ERROR, CHUNK_INIT_ACK, CHUNK_SHUTDOWN_COMPLETE,
};
use bytes::Bytes;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// What a received datagram means.
#[derive(Debug)]
pub enum DatagramEvent {
    /// For an existing association: pass to [`Association::handle`].
    Assoc(AssocId, Incoming),
    /// A valid COOKIE ECHO created an association for a listening port;
    /// pass the packet to its [`Association::handle`] next.
    NewAssoc(AssocId, Box<Association>, Incoming),
    /// A reply the endpoint wrote into the caller's buffer.
    Response(Transmit),
}

/// Why [`Endpoint::connect`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectError {
    /// An association to that peer address and port exists (`EISCONN`/`EADDRINUSE`).
    Exists,
    /// No usable peer address (`EINVAL`).
    NoAddress,
}

#[derive(Clone, Debug)]
struct Listener {
    cfg: Arc<Config>,
    local_addrs: Vec<IpAddr>,
}

type Key = (IpAddr, u16, u16);

/// Association ids start at 3, as on Linux: 0, 1 and 2 are
/// SCTP_FUTURE_ASSOC, SCTP_CURRENT_ASSOC and SCTP_ALL_ASSOC.
const FIRST_ID: u32 = 3;

/// Routing and handshake state shared by all associations of a stack.
#[derive(Debug)]
pub struct Endpoint {
    cfg: EndpointConfig,
    shared: Arc<Shared>,
    rng: ChaCha20Rng,
    next_id: u32,
    by_addr: HashMap<Key, AssocId>,
    keys: HashMap<AssocId, (u16, u16, Vec<IpAddr>)>,
    listeners: HashMap<u16, Listener>,
    /// Recently, gracefully ended associations: (peer address, peer port,
    /// local port, our tag). Bounded FIFO.
    retired: std::collections::VecDeque<(IpAddr, u16, u16, u32)>,
}

/// How many retired associations' addresses are remembered.
const RETIRED_MAX: usize = 256;

/// The unrecognized INIT parameters an INIT ACK reports (RFC 9260 3.2.2),
/// bounded so the INIT ACK never amplifies a (possibly spoofed) INIT much
/// nor overflows its length: at most 16 of them and 256 bytes.
///
/// Forward-TSN-Supported is reported too when the peer offers it: this
/// form is for an endpoint without PR-SCTP (RFC 3758 3.3.2); see
/// [`capped_unrecognized_for`].
pub fn capped_unrecognized(p: &InitParams) -> Vec<Bytes> {
    capped_unrecognized_for(p, false)
}

/// [`capped_unrecognized`] for an endpoint that offers PR-SCTP or not
/// (`Config::pr_supported`): only one that does not reports the peer's
/// Forward-TSN-Supported parameter as unrecognized (RFC 3758 3.3.2).
pub fn capped_unrecognized_for(p: &InitParams, pr_supported: bool) -> Vec<Bytes> {
    let mut total = 0;
    let fwd = (p.forward_tsn_supported && !pr_supported)
        .then(|| Bytes::from_static(&[0xC0, 0x00, 0x00, 0x04]));
    p.unrecognized
        .iter()
        .chain(fwd.iter())
        .take(16)
        .take_while(|p| {
            total += p.len() + 8;
            total <= 256
        })
        .cloned()
        .collect()
}

/// Whether INIT/INIT ACK parameters offer PR-SCTP: Forward-TSN-Supported
/// or FORWARD TSN in Supported Extensions (RFC 3758 3.3.1, RFC 5061 4.2.7).
pub fn offers_pr(p: &InitParams) -> bool {
    p.forward_tsn_supported
        || p.supported_extensions
            .as_ref()
            .is_some_and(|e| e.contains(&crate::proto::wire::CHUNK_FORWARD_TSN))
}

/// Whether INIT/INIT ACK parameters offer ASCONF: ASCONF and ASCONF-ACK
/// in Supported Extensions (RFC 5061 4.2.7).
pub fn offers_asconf(p: &InitParams) -> bool {
    p.supported_extensions.as_ref().is_some_and(|e| e.contains(&0xC1) && e.contains(&0x80))
}

/// Whether INIT/INIT ACK parameters offer I-DATA (RFC 8260 2.2).
pub fn offers_intl(p: &InitParams) -> bool {
    p.supported_extensions.as_ref().is_some_and(|e| e.contains(&crate::proto::wire::CHUNK_IDATA))
}

/// Whether INIT/INIT ACK parameters offer stream reconfiguration: the
/// RE-CONFIG chunk in Supported Extensions (RFC 6525 5.1.1).
pub fn offers_reconf(p: &InitParams) -> bool {
    p.supported_extensions.as_ref().is_some_and(|e| e.contains(&crate::proto::wire::CHUNK_RECONF))
}

/// The Supported Extensions parameter value (RFC 5061 4.2.7) a
/// configuration announces: I-DATA, and I-FORWARD-TSN with PR-SCTP;
/// RE-CONFIG (RFC 6525 5.1.1).
pub fn supported_extensions(cfg: &crate::proto::Config) -> Option<Bytes> {
    // In Linux's order: ASCONF and ASCONF-ACK, RE-CONFIG, I-DATA (and
    // I-FORWARD-TSN), AUTH.
    let mut v = Vec::new();
    if cfg.asconf_supported && cfg.auth_supported {
        v.extend_from_slice(&[0xC1, 0x80]);
    }
    if cfg.reconf_supported {
        v.push(crate::proto::wire::CHUNK_RECONF);
    }
    if cfg.intl_supported {
        v.push(crate::proto::wire::CHUNK_IDATA);
        if cfg.pr_supported {
            v.push(crate::proto::wire::CHUNK_IFORWARD_TSN);
        }
    }
    if cfg.auth_supported {
        // As Linux: AUTH listed when offered (RFC 4895 has no such rule).
        v.push(crate::proto::wire::CHUNK_AUTH);
    }
    (!v.is_empty()).then(|| Bytes::from(v))
}

fn is_unicast(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => !(a.is_multicast() || a.is_broadcast() || a.is_unspecified()),
        IpAddr::V6(a) => !(a.is_multicast() || a.is_unspecified()),
    }
}

impl Endpoint {
    pub fn new(cfg: EndpointConfig) -> Self {
        let rng = ChaCha20Rng::from_seed(cfg.rng_seed);
        let shared = Arc::new(Shared { cookie_secret: cfg.cookie_secret });
        Endpoint {
            cfg,
            shared,
            rng,
            next_id: FIRST_ID,
            by_addr: HashMap::new(),
            keys: HashMap::new(),
            listeners: HashMap::new(),
            retired: std::collections::VecDeque::new(),
        }
    }

    pub fn config(&self) -> &EndpointConfig {
        &self.cfg
    }

    /// Accepts associations on SCTP port `port`, created with `cfg`, and
    /// announcing `local_addrs` when there are several.
    pub fn listen(&mut self, port: u16, cfg: Config, local_addrs: Vec<IpAddr>) {
        self.listeners.insert(port, Listener { cfg: Arc::new(cfg), local_addrs });
    }

    /// Stops accepting new associations on `port`.
    pub fn unlisten(&mut self, port: u16) {
        self.listeners.remove(&port);
    }

    pub fn is_listening(&self, port: u16) -> bool {
        self.listeners.contains_key(&port)
    }

    /// Number of live associations.
    pub fn assoc_count(&self) -> usize {
        self.keys.len()
    }

    fn alloc_id(&mut self) -> AssocId {
        loop {
            let id = self.next_id;
            self.next_id =
                if self.next_id >= i32::MAX as u32 { FIRST_ID } else { self.next_id + 1 };
            if !self.keys.contains_key(&AssocId(id)) {
                return AssocId(id);
            }
        }
    }

    fn seed(&mut self) -> [u8; 32] {
        let mut s = [0u8; 32];
        self.rng.fill_bytes(&mut s);
        s
    }

    /// Routes `addrs` to `id`. An address already owned by another
    /// association keeps its owner (it is not added for `id`).
    fn register(&mut self, id: AssocId, local_port: u16, peer_port: u16, addrs: Vec<IpAddr>) {
        let mut mine = Vec::with_capacity(addrs.len());
        for a in addrs {
            let e = self.by_addr.entry((a, peer_port, local_port)).or_insert(id);
            if *e == id {
                mine.push(a);
            }
        }
        self.keys.insert(id, (local_port, peer_port, mine));
    }

    /// The association for a peer address and ports, if any.
    pub fn lookup(&self, peer: IpAddr, peer_port: u16, local_port: u16) -> Option<AssocId> {
        self.by_addr.get(&(peer, peer_port, local_port)).copied()
    }

    /// Starts an association to `peers` (IP + remote encapsulation port).
    pub fn connect(
        &mut self,
        now: Instant,
        cfg: impl Into<Arc<Config>>,
        local_port: u16,
        peer_port: u16,
        peers: &[SocketAddr],
        local_addrs: Vec<IpAddr>,
    ) -> Result<(AssocId, Association), ConnectError> {
        let peers: Vec<SocketAddr> = peers.iter().copied().take(MAX_PEER_ADDRS).collect();
        if peers.is_empty() || peer_port == 0 {
            return Err(ConnectError::NoAddress);
        }
        if peers.iter().any(|p| self.lookup(p.ip(), peer_port, local_port).is_some()) {
            return Err(ConnectError::Exists);
        }
        let id = self.alloc_id();
        let seed = self.seed();
        let a = Association::connect(
            id,
            cfg.into(),
            self.shared.clone(),
            seed,
            now,
            local_port,
            peer_port,
            &peers,
            local_addrs,
        );
        self.register(id, local_port, peer_port, peers.iter().map(|p| p.ip()).collect());
        Ok((id, a))
    }

    /// Applies an association's routing event.
    pub fn handle_event(&mut self, id: AssocId, ev: EndpointEvent) {
        match ev {
            EndpointEvent::PeerAddrAdded(ip) => {
                if let Some((lp, pp, addrs)) = self.keys.get_mut(&id) {
                    if let std::collections::hash_map::Entry::Vacant(e) =
                        self.by_addr.entry((ip, *pp, *lp))
                    {
                        e.insert(id);
                        addrs.push(ip);
                    }
                }
            }
            EndpointEvent::PeerAddrRemoved(ip) => {
                if let Some((lp, pp, addrs)) = self.keys.get_mut(&id) {
                    if self.by_addr.get(&(ip, *pp, *lp)) == Some(&id) {
                        self.by_addr.remove(&(ip, *pp, *lp));
                    }
                    addrs.retain(|a| *a != ip);
                }
            }
            EndpointEvent::Retired(tag) => {
                if let Some((lp, pp, addrs)) = self.keys.get(&id) {
                    for a in addrs {
                        if self.retired.len() >= RETIRED_MAX {
                            self.retired.pop_front();
                        }
                        self.retired.push_back((*a, *pp, *lp, tag));
                    }
                }
            }
            EndpointEvent::Drained => {
                if let Some((lp, pp, addrs)) = self.keys.remove(&id) {
                    for a in addrs {
                        if self.by_addr.get(&(a, pp, lp)) == Some(&id) {
                            self.by_addr.remove(&(a, pp, lp));
                        }
                    }
                }
            }
        }
    }

    /// Routes one received SCTP packet (the UDP payload) from `src` (IP
    /// and UDP source port). Replies are written into `buf`.
    pub fn handle(
        &mut self,
        now: Instant,
        src: SocketAddr,
        data: &Bytes,
        buf: &mut Vec<u8>,
    ) -> Option<DatagramEvent> {
        self.handle_to(now, src, None, data, buf)
    }

    /// Like [`Endpoint::handle`], knowing the local address the packet was
    /// sent to (`dst`): replies leave from it, and a single-homed
    /// association sends everything from it, since it is the only address
    /// of ours the peer knows (RFC 9260 5.1.2; we announce none).
    pub fn handle_to(
        &mut self,
        now: Instant,
        src: SocketAddr,
        dst: Option<IpAddr>,
        data: &Bytes,
        buf: &mut Vec<u8>,
    ) -> Option<DatagramEvent> {
        let mut ev = self.route(now, src, dst, data, buf);
        match &mut ev {
            Some(DatagramEvent::Response(t)) => t.src_ip = dst,
            Some(DatagramEvent::Assoc(_, inc)) | Some(DatagramEvent::NewAssoc(_, _, inc)) => {
                inc.dst = dst
            }
            None => {}
        }
        ev
    }

    fn route(
        &mut self,
        now: Instant,
        src: SocketAddr,
        dst: Option<IpAddr>,
        data: &Bytes,
        buf: &mut Vec<u8>,
    ) -> Option<DatagramEvent> {
        let _ = dst;
        if !is_unicast(src.ip()) {
            return None;
        }
        let (hdr, chunks) = wire::parse_packet(data).ok()?;
        let mut iter = chunks.clone();
        let mut first = iter.next()?.ok()?;
        if matches!(first, Chunk::Unknown { chunk_type: crate::proto::wire::CHUNK_AUTH, .. }) {
            // RFC 4895 6.3: a leading AUTH is looked past, to a COOKIE
            // ECHO or the chunk that finds the association; without one,
            // out-of-the-blue handling ignores it.
            first = iter.next()?.ok()?;
        }
        // 8.5.1 A: a packet with verification tag 0 may only be a lone INIT.
        if hdr.vtag == 0 && !matches!(first, Chunk::Init(_)) {
            return None;
        }
        let mut existing = self.lookup(src.ip(), hdr.src_port, hdr.dst_port);
        if existing.is_none() {
            if let Chunk::Unknown { chunk_type: 0xC1, ref value, .. } = first {
                // RFC 5061 5.2 D2: an ASCONF from an address the association
                // does not know yet names one it does.
                existing = crate::proto::assoc::asconf_address(value)
                    .and_then(|a| self.lookup(a, hdr.src_port, hdr.dst_port));
            }
        }
        if existing.is_none() {
            if let Chunk::Init(ref init) = first {
                // 5.1.2 D / 5.2.2: an INIT from a new address that lists an
                // address of an existing association belongs to it (which
                // refuses new addresses); it must never create a second one.
                existing = init
                    .params
                    .addrs
                    .iter()
                    .find_map(|a| self.lookup(*a, hdr.src_port, hdr.dst_port));
            }
        }
        match first {
            Chunk::CookieEcho(ref raw) => {
                if let Some(id) = existing {
                    // With a TCB, even an expired cookie goes to the
                    // association: 5.2.4 step 3 decides by its tags.
                    let Ok((cookie, stale)) = Cookie::decode_any(&self.cfg.cookie_secret, raw, now)
                    else {
                        return None;
                    };
                    if cookie.local_port != hdr.dst_port || cookie.peer_port != hdr.src_port {
                        return None;
                    }
                    return Some(DatagramEvent::Assoc(
                        id,
                        Incoming {
                            src,
                            hdr,
                            chunks,
                            cookie: Some(cookie),
                            cookie_stale: stale,
                            dst: None,
                            ce: false,
                        },
                    ));
                }
                let cookie = match Cookie::decode(&self.cfg.cookie_secret, raw, now) {
                    Ok(c) => c,
                    Err(CookieError::Stale { staleness_us, peer_tag }) => {
                        // 5.1.5 step 3: report the stale cookie.
                        let mut causes = Vec::new();
                        Cause::StaleCookie(staleness_us).emit(&mut causes);
                        return Some(self.reply(buf, src, &hdr, peer_tag, CHUNK_ERROR, 0, &causes));
                    }
                    Err(CookieError::Invalid) => return None,
                };
                if cookie.local_port != hdr.dst_port || cookie.peer_port != hdr.src_port {
                    return None;
                }
                if let Some(id) = existing {
                    return Some(DatagramEvent::Assoc(
                        id,
                        Incoming {
                            src,
                            hdr,
                            chunks,
                            cookie: Some(cookie),
                            cookie_stale: None,
                            dst: None,
                            ce: false,
                        },
                    ));
                }
                if hdr.vtag != cookie.local_tag {
                    return None;
                }
                let Some(l) = self.listeners.get(&hdr.dst_port).cloned() else {
                    // Port closed since the INIT ACK: abort (8.4 rule 8).
                    return Some(self.reply(buf, src, &hdr, cookie.peer_tag, CHUNK_ABORT, 0, &[]));
                };
                let mut cookie = cookie;
                // The address the COOKIE ECHO came from is primary.
                if !cookie.peer_addrs.contains(&src.ip()) {
                    cookie.peer_addrs.insert(0, src.ip());
                }
                cookie.encap_port = src.port();
                let id = self.alloc_id();
                let seed = self.seed();
                let assoc = Association::from_cookie(
                    id,
                    l.cfg,
                    self.shared.clone(),
                    seed,
                    now,
                    &cookie,
                    l.local_addrs,
                );
                if !assoc.cookie_admitted(&chunks) {
                    // We require COOKIE ECHO authenticated (RFC 4895 6.3).
                    return None;
                }
                let addrs: Vec<IpAddr> = assoc.paths().iter().map(|p| p.addr).collect();
                if addrs.iter().any(|a| self.lookup(*a, hdr.src_port, hdr.dst_port).is_some()) {
                    // Another association owns one of these addresses.
                    return None;
                }
                self.register(id, hdr.dst_port, hdr.src_port, addrs);
                Some(DatagramEvent::NewAssoc(
                    id,
                    Box::new(assoc),
                    Incoming {
                        src,
                        hdr,
                        chunks,
                        cookie: Some(cookie),
                        cookie_stale: None,
                        dst: None,
                        ce: false,
                    },
                ))
            }
            Chunk::Init(ref init) => {
                if iter.next().is_some() || hdr.vtag != 0 {
                    // 8.5.1 A: an INIT shares its packet with nothing.
                    return None;
                }
                if let Some(id) = existing {
                    return Some(DatagramEvent::Assoc(id, Incoming::plain(src, hdr, chunks)));
                }
                self.on_init(now, src, &hdr, init, buf)
            }
            _ => {
                if let Some(id) = existing {
                    return Some(DatagramEvent::Assoc(id, Incoming::plain(src, hdr, chunks)));
                }
                self.ootb(src, &hdr, chunks, buf)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn reply(
        &self,
        buf: &mut Vec<u8>,
        src: SocketAddr,
        hdr: &CommonHeader,
        vtag: u32,
        chunk_type: u8,
        flags: u8,
        body: &[u8],
    ) -> DatagramEvent {
        buf.clear();
        wire::write_header(
            buf,
            &CommonHeader { src_port: hdr.dst_port, dst_port: hdr.src_port, vtag },
        );
        let body = if chunk_type == CHUNK_ABORT || chunk_type == CHUNK_ERROR {
            wire::cause::trim_last_pad(body)
        } else {
            body
        };
        emit_raw(buf, chunk_type, flags, body);
        wire::finish_packet(buf);
        DatagramEvent::Response(Transmit { dst: src, src_ip: None, len: buf.len(), ect: false })
    }

    /// INIT without a TCB (RFC 9260 5.1 B): reply INIT ACK with a cookie.
    fn on_init(
        &mut self,
        now: Instant,
        src: SocketAddr,
        hdr: &CommonHeader,
        init: &InitChunk,
        buf: &mut Vec<u8>,
    ) -> Option<DatagramEvent> {
        // 3.3.2: a zero Initiate Tag is silently discarded.
        if init.initiate_tag == 0 {
            return None;
        }
        let Some(l) = self.listeners.get(&hdr.dst_port).cloned() else {
            // 8.4 rule 3: ABORT with the Initiate Tag, T bit clear.
            return Some(self.reply(buf, src, hdr, init.initiate_tag, CHUNK_ABORT, 0, &[]));
        };
        if init.num_outbound_streams == 0 || init.num_inbound_streams == 0 || init.a_rwnd < 1500 {
            let mut causes = Vec::new();
            Cause::InvalidMandatoryParam.emit(&mut causes);
            return Some(self.reply(buf, src, hdr, init.initiate_tag, CHUNK_ABORT, 0, &causes));
        }
        if init.params.host_name {
            let mut causes = Vec::new();
            Cause::UnresolvableAddress(Bytes::new()).emit(&mut causes);
            return Some(self.reply(buf, src, hdr, init.initiate_tag, CHUNK_ABORT, 0, &causes));
        }
        let local_tag = loop {
            let t = self.rng.next_u32();
            if t != 0 {
                break t;
            }
        };
        let itsn = self.rng.next_u32();
        // AUTH (RFC 4895 6.1): a fresh RANDOM for this INIT ACK; both key
        // vectors go in the cookie.
        let (mut auth_random, mut auth_chunks, mut auth_hmacs) = (None, None, None);
        let mut auth_kv = None;
        if l.cfg.auth_supported {
            let mut random = [0u8; crate::proto::assoc::auth::RANDOM_LEN];
            self.rng.fill_bytes(&mut random);
            let (r, c, h) = crate::proto::assoc::auth::local_params(&l.cfg, random);
            let kv = crate::proto::assoc::auth::key_vector(&r, c.as_deref(), &h);
            let peer = crate::proto::assoc::auth::peer_vector(&init.params).unwrap_or_default();
            auth_kv = Some((kv, peer));
            (auth_random, auth_chunks, auth_hmacs) = (Some(r), c, Some(h));
        }
        let mut peer_addrs = vec![src.ip()];
        for a in &init.params.addrs {
            if peer_addrs.len() >= MAX_PEER_ADDRS {
                break;
            }
            if !peer_addrs.contains(a) && is_unicast(*a) && a.is_ipv4() == src.ip().is_ipv4() {
                peer_addrs.push(*a);
            }
        }
        // 5.1.3: the lifetime may grow by the Cookie Preservative, bounded.
        let life = l.cfg.valid_cookie_life
            + core::time::Duration::from_millis(
                u64::from(init.params.cookie_preservative.unwrap_or(0)).min(60_000),
            );
        let c = Cookie {
            created_at: now,
            lifetime_us: u64::try_from(life.as_micros()).unwrap_or(u64::MAX),
            local_tag,
            peer_tag: init.initiate_tag,
            local_tie_tag: 0,
            peer_tie_tag: 0,
            local_initial_tsn: itsn,
            peer_initial_tsn: init.initial_tsn,
            peer_a_rwnd: init.a_rwnd,
            out_streams: l.cfg.num_ostreams.min(init.num_inbound_streams),
            in_streams: init.num_outbound_streams.min(l.cfg.max_instreams),
            local_port: hdr.dst_port,
            peer_port: hdr.src_port,
            peer_forward_tsn: crate::proto::endpoint::offers_pr(&init.params),
            peer_intl: crate::proto::endpoint::offers_intl(&init.params),
            peer_reconf: crate::proto::endpoint::offers_reconf(&init.params),
            peer_ecn: init.params.ecn_capable,
            auth_kv: auth_kv.clone(),
            peer_asconf: offers_asconf(&init.params),
            peer_adaptation: init.params.adaptation_indication,
            peer_addrs,
            encap_port: src.port(),
        };
        let mut cb = Vec::with_capacity(128);
        c.encode(&self.cfg.cookie_secret, &mut cb);
        let ia = InitChunk {
            initiate_tag: local_tag,
            a_rwnd: l.cfg.rcvbuf,
            num_outbound_streams: l.cfg.num_ostreams,
            num_inbound_streams: l.cfg.max_instreams,
            initial_tsn: itsn,
            params: InitParams {
                addrs: if l.local_addrs.len() > 1 { l.local_addrs.clone() } else { Vec::new() },
                cookie: Some(Bytes::from(cb)),
                adaptation_indication: l.cfg.adaptation_indication,
                ecn_capable: l.cfg.ecn_supported,
                auth_random,
                auth_chunks,
                auth_hmacs,
                forward_tsn_supported: l.cfg.pr_supported,
                supported_extensions: supported_extensions(&l.cfg),
                unrecognized: capped_unrecognized_for(&init.params, l.cfg.pr_supported),
                ..InitParams::default()
            },
        };
        buf.clear();
        wire::write_header(
            buf,
            &CommonHeader {
                src_port: hdr.dst_port,
                dst_port: hdr.src_port,
                vtag: init.initiate_tag,
            },
        );
        ia.emit(CHUNK_INIT_ACK, buf);
        wire::finish_packet(buf);
        Some(DatagramEvent::Response(Transmit {
            dst: src,
            src_ip: None,
            len: buf.len(),
            ect: false,
        }))
    }

    /// Out-of-the-blue packets (RFC 9260 8.4 rules 2, 5-8).
    fn ootb(
        &self,
        src: SocketAddr,
        hdr: &CommonHeader,
        chunks: wire::Chunks,
        buf: &mut Vec<u8>,
    ) -> Option<DatagramEvent> {
        let mut shutdown_ack = false;
        for c in chunks {
            match c {
                Ok(Chunk::Abort { .. })
                | Ok(Chunk::ShutdownComplete { .. })
                | Ok(Chunk::CookieAck)
                | Ok(Chunk::InitAck(_)) => return None,
                Ok(Chunk::Error { causes }) => {
                    if Causes::new(causes).any(|c| matches!(c, Ok(Cause::StaleCookie(_)))) {
                        return None;
                    }
                }
                Ok(Chunk::ShutdownAck) => shutdown_ack = true,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        if shutdown_ack {
            return Some(self.reply(buf, src, hdr, hdr.vtag, CHUNK_SHUTDOWN_COMPLETE, FLAG_T, &[]));
        }
        // A late packet of an association that just ended gracefully (it
        // still carries our old tag): drop it, as TCP's TIME-WAIT would,
        // instead of aborting a peer that may still be completing its own
        // shutdown. 8.4 rule 8 is a SHOULD.
        if self.retired.iter().any(|&(a, pp, lp, tag)| {
            a == src.ip() && pp == hdr.src_port && lp == hdr.dst_port && tag == hdr.vtag
        }) {
            return None;
        }
        Some(self.reply(buf, src, hdr, hdr.vtag, CHUNK_ABORT, FLAG_T, &[]))
    }
}
