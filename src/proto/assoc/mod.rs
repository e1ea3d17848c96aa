//! The association: RFC 9260's state machine (section 4), handshake and
//! collisions (5), data transfer (6), congestion control (7), path
//! management (8), shutdown and abort (9), sans-IO.
//!
//! Inputs: [`Association::handle`] (a packet routed by the endpoint),
//! [`Association::handle_timeout`], and user calls ([`Association::send`],
//! [`Association::read`], [`Association::shutdown`], [`Association::abort`]).
//! Outputs: [`Association::poll_transmit`], [`Association::poll_timeout`],
//! [`Association::poll_event`], [`Association::poll_endpoint_event`].
//! After any input, poll every output until it returns `None`.

mod asconf;
pub mod auth;
pub mod cookie;
mod ecn;
mod path;
mod pr;
mod reconf;
mod rx;
mod sched;
mod stats;
mod tx;

pub use asconf::{asconf_address, AsconfReq};
pub use cookie::{Cookie, CookieError};
pub use path::{Path, PathState};
pub use pr::{PrPolicy, PrStats};
pub use reconf::{
    ReconfError, SCTP_ASSOC_RESET_DENIED, SCTP_ASSOC_RESET_FAILED, SCTP_ENABLE_CHANGE_ASSOC_REQ,
    SCTP_ENABLE_RESET_ASSOC_REQ, SCTP_ENABLE_RESET_STREAM_REQ, SCTP_STREAM_CHANGE_DENIED,
    SCTP_STREAM_CHANGE_FAILED, SCTP_STREAM_RESET_DENIED, SCTP_STREAM_RESET_FAILED,
    SCTP_STREAM_RESET_INCOMING_SSN, SCTP_STREAM_RESET_OUTGOING_SSN,
};
pub use rx::RecvData;
pub use sched::Scheduler;
pub use stats::AssocStats;

/// The longest User-Initiated Abort reason an ABORT chunk can carry: its
/// chunk header, cause header and reason, padded, within the 16-bit chunk
/// length (Linux's SCTP_MAX_CHUNK_LEN check in `_sctp_make_chunk`).
pub const MAX_ABORT_REASON: usize = 65535 - 4 - 4 - 3;

use crate::proto::config::Config;
use crate::proto::serial::{ge32, gt32, le32, lt32};
use crate::proto::time::Instant;
use crate::proto::wire::chunk::{
    emit_heartbeat, emit_raw, emit_shutdown, DATA_FLAG_BEGIN, DATA_FLAG_END, DATA_FLAG_IMMEDIATE,
    DATA_FLAG_UNORDERED,
};
use crate::proto::wire::{
    self, Cause, Causes, Chunk, Chunks, CommonHeader, DataChunk, IDataChunk, InitChunk, InitParams,
    SackChunk, CHUNK_ABORT, CHUNK_COOKIE_ACK, CHUNK_COOKIE_ECHO, CHUNK_ERROR, CHUNK_HEARTBEAT,
    CHUNK_HEARTBEAT_ACK, CHUNK_INIT, CHUNK_INIT_ACK, CHUNK_SHUTDOWN_ACK, CHUNK_SHUTDOWN_COMPLETE,
    COMMON_HEADER_LEN, DATA_HEADER_LEN,
};
use bytes::Bytes;
use core::time::Duration;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use rx::{DataOutcome, Receiver};
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tx::{Outstanding, Pending, TxChunk};

/// An association's identifier within its endpoint; it is also the
/// `sctp_assoc_t` the C API hands out (always positive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssocId(pub u32);

/// RFC 9260 section 4 states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssocState {
    Closed,
    CookieWait,
    CookieEchoed,
    Established,
    ShutdownPending,
    ShutdownSent,
    ShutdownReceived,
    ShutdownAckSent,
}

/// Peer address events (the `SCTP_PEER_ADDR_CHANGE` states).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathEvent {
    Available,
    Unreachable,
    Added,
    /// Taken out of the association by the peer's ASCONF (RFC 5061).
    Removed,
    MadePrimary,
    Confirmed,
}

/// Why an association ended without a graceful shutdown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LostReason {
    /// The peer sent an ABORT; its raw error causes.
    PeerAbort(Bytes),
    /// Retransmission limits exceeded (RFC 9260 8.1).
    Unreachable,
    /// The local user aborted.
    LocalAbort,
    /// The peer violated the protocol and we aborted.
    ProtocolViolation,
}

/// Events for the user, in the order they happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssocEvent {
    /// The association is up (`COMM_UP`), or came up again after the peer
    /// restarted (`RESTART`).
    CommUp { restart: bool },
    /// The association failed or was aborted (`COMM_LOST`).
    CommLost(LostReason),
    /// The handshake failed (`CANT_STR_ASSOC`).
    CantStartAssoc(LostReason),
    /// Graceful shutdown finished (`SHUTDOWN_COMP`).
    ShutdownComplete,
    /// The peer sent SHUTDOWN (`SCTP_SHUTDOWN_EVENT`).
    PeerShutdown,
    /// A peer address changed state (`SCTP_PEER_ADDR_CHANGE`).
    Path { addr: IpAddr, event: PathEvent, error: u32 },
    /// User data that will never be delivered (`SCTP_SEND_FAILED_EVENT`).
    SendFailed { sent: bool, stream_id: u16, ppid: u32, context: u32, flags: u8, data: Bytes },
    /// An ERROR chunk arrived (`SCTP_REMOTE_ERROR`): cause code and body.
    RemoteError { cause: u16, data: Bytes },
    /// Everything sent has been acknowledged (`SCTP_SENDER_DRY_EVENT`).
    SenderDry,
    /// The peer's adaptation layer indication (`SCTP_ADAPTATION_INDICATION`).
    Adaptation(u32),
    /// The peer's stream counts became known: (outbound, inbound).
    Streams { outbound: u16, inbound: u16 },
}

/// Events of the protocol extensions (PR-SCTP, I-DATA, RE-CONFIG), from
/// [`Association::poll_ext_event`]. They are kept apart from
/// [`AssocEvent`] so that code matching every `AssocEvent` variant keeps
/// compiling; a caller may fold them into its own event stream.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExtEvent {
    /// A message being delivered in parts will not be completed: the
    /// peer abandoned it, or an SSN/TSN reset cut it (RFC 3758 3.6; Linux
    /// `SCTP_PARTIAL_DELIVERY_ABORTED`). Its pieces already taken are all
    /// there will be; no piece of it is still queued for reading.
    /// `seq` is the SSN (DATA) or MID (I-DATA) of the message.
    PartialDeliveryAborted { stream_id: u16, seq: u32, unordered: bool },
    /// Streams were reset, or a reset failed (RFC 6525 6.1.1; Linux
    /// `SCTP_STREAM_RESET_EVENT`). `flags`: `SCTP_STREAM_RESET_INCOMING_SSN`
    /// (1) or `_OUTGOING_SSN` (2), with `_DENIED` (4) or `_FAILED` (8)
    /// when it was not done. `streams` empty: all streams.
    StreamReset { flags: u16, streams: Vec<u16> },
    /// The SSN/TSN reset finished or failed (RFC 6525 6.1.2; Linux
    /// `SCTP_ASSOC_RESET_EVENT`): the next TSN we send and the next TSN
    /// expected from the peer. `flags`: 0, or `SCTP_ASSOC_RESET_DENIED`
    /// (4) / `_FAILED` (8).
    AssocReset { flags: u16, local_tsn: u32, remote_tsn: u32 },
    /// Streams were added, or adding failed (RFC 6525 6.1.3; Linux
    /// `SCTP_STREAM_CHANGE_EVENT`): the stream counts now. `flags`: 0, or
    /// `SCTP_STREAM_CHANGE_DENIED` (4) / `_FAILED` (8).
    StreamChange { flags: u16, instrms: u16, outstrms: u16 },
    /// AUTH (RFC 4895; Linux `SCTP_AUTHENTICATION_EVENT`): a packet was
    /// authenticated with `key`, not the active key (`free` false,
    /// `SCTP_AUTH_NEW_KEY`), or deactivated key `key` is no longer used
    /// (`free` true, `SCTP_AUTH_FREE_KEY`).
    AuthKey { key: u16, free: bool },
}

/// Events for the endpoint's routing table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndpointEvent {
    /// Packets from this peer address now belong to this association.
    PeerAddrAdded(IpAddr),
    /// Packets from this peer address no longer belong to this
    /// association (an address given to connect that the peer's INIT ACK
    /// did not list).
    PeerAddrRemoved(IpAddr),
    /// The association ended gracefully; its local verification tag was
    /// this. Sent just before `Drained`: stray packets of the peer that
    /// still carry the tag (reordered SACKs, say) are then dropped rather
    /// than answered with an ABORT.
    Retired(u32),
    /// The association is closed and has nothing left to send.
    Drained,
}

/// A packet to send: `len` bytes at the start of the caller's buffer, as
/// the payload of a UDP datagram to `dst` (peer IP and its remote
/// encapsulation port), from `src_ip` if the caller can choose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transmit {
    pub dst: SocketAddr,
    pub src_ip: Option<IpAddr>,
    pub len: usize,
    /// Send the packet ECN-Capable Transport, ECT(0) (RFC 3168 5): it
    /// carries DATA of an association that negotiated ECN. RFC 6951 5.8:
    /// the ECN bits go in the outer IP header unchanged.
    pub ect: bool,
}

/// A packet the endpoint routed to an association.
#[derive(Clone, Debug)]
pub struct Incoming {
    /// Source IP and UDP source port.
    pub src: SocketAddr,
    pub hdr: CommonHeader,
    pub chunks: Chunks,
    /// The verified cookie, when the packet starts with a COOKIE ECHO.
    pub cookie: Option<Cookie>,
    /// How far past its lifetime that cookie is (microseconds), if expired.
    pub cookie_stale: Option<u32>,
    /// The local address the packet was sent to, when known.
    pub dst: Option<IpAddr>,
    /// The packet arrived marked Congestion Experienced (its IP header's
    /// ECN field was CE, RFC 3168 5): set by whoever reads the datagram.
    pub ce: bool,
}

impl Incoming {
    /// A packet for an existing association, without a cookie.
    pub fn plain(src: SocketAddr, hdr: CommonHeader, chunks: Chunks) -> Self {
        Incoming { src, hdr, chunks, cookie: None, cookie_stale: None, dst: None, ce: false }
    }
}

/// Options of one user message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SendOptions {
    pub stream_id: u16,
    pub ppid: u32,
    pub unordered: bool,
    /// Ask the peer to SACK at once (RFC 9260 3.3.1 I bit).
    pub sack_immediately: bool,
    /// Opaque value returned in send-failure events.
    pub context: u32,
}

/// Why a message was refused by [`Association::send`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// Stream number beyond the outbound streams (`EINVAL`).
    InvalidStream,
    /// Shutdown in progress: no new data (`EPIPE`).
    ShuttingDown,
    /// The association is closed (`EPIPE`/`ENOTCONN`).
    Closed,
    /// Empty message (`EINVAL`).
    Empty,
}

/// Shared, immutable endpoint state an association needs.
#[derive(Debug)]
pub struct Shared {
    pub cookie_secret: [u8; 32],
}

#[derive(Clone, Debug)]
struct Ctrl {
    dst: SocketAddr,
    vtag: u32,
    /// Must travel alone (INIT, INIT ACK, SHUTDOWN COMPLETE: 9260 6.10).
    alone: bool,
    bytes: Vec<u8>,
}

/// Maximum gap blocks put in one SACK.
const MAX_SACK_GAPS: usize = 64;

/// One SCTP association.
#[derive(Debug)]
pub struct Association {
    id: AssocId,
    /// Shared with the other associations of its listener or socket
    /// while equal (copied on write: `config_mut`).
    cfg: Arc<Config>,
    shared: Arc<Shared>,
    rng: SmallRng,
    state: AssocState,
    local_port: u16,
    peer_port: u16,
    local_tag: u32,
    peer_tag: u32,
    local_addrs: Vec<IpAddr>,
    /// Our one address as the peer knows it (single-homed, wildcard bind):
    /// learned from the first packet the peer sent us; every packet
    /// leaves from it.
    local_ip: Option<IpAddr>,
    paths: Vec<Path>,
    primary: usize,
    /// Path the last DATA came from: SACKs go back there (9260 6.4).
    last_data_path: usize,
    out_streams: u16,
    peer_adaptation: Option<u32>,
    // Sender.
    initial_tsn: u32,
    next_tsn: u32,
    /// Peer's cumulative TSN ack of our data.
    cum_ack: u32,
    out: Outstanding,
    pending: VecDeque<Pending>,
    /// Next SSN per outbound stream, made up to the highest stream used
    /// (a stream beyond its end is at 0): an association of 65,535
    /// streams pays for the ones it sends on.
    out_ssn: Vec<u16>,
    peer_rwnd: u32,
    queued_bytes: usize,
    rtx_marked: usize,
    rtx_bypass: bool,
    burst_left: u32,
    dry: bool,
    // Receiver.
    rx: Receiver,
    sack_due: bool,
    sack_now: bool,
    pkts_since_sack: u32,
    sack_timer: Option<Instant>,
    /// When an idle association closes itself (`Config::autoclose`).
    autoclose_at: Option<Instant>,
    // Handshake and shutdown.
    init_bytes: Vec<u8>,
    cookie_echo: Bytes,
    t1: Option<Instant>,
    t1_count: u32,
    t2: Option<Instant>,
    t2_count: u32,
    t5: Option<Instant>,
    assoc_errors: u32,
    ctrl: VecDeque<Ctrl>,
    events: VecDeque<AssocEvent>,
    ep_events: VecDeque<EndpointEvent>,
    drained_reported: bool,
    /// shutdown() was called during the handshake.
    shutdown_requested: bool,
    stats: AssocStats,
    // PR-SCTP (pr.rs).
    /// The peer offered PR-SCTP.
    peer_pr: bool,
    /// Number of the next message given to `send`.
    msg_seq: u64,
    pr_stats: PrStats,
    stream_pr: Vec<PrStats>,
    /// Earliest lifetime end of a queued TTL message.
    pr_timer: Option<Instant>,
    /// A FORWARD TSN should go out with the next packet.
    fwd_due: bool,
    ext_events: VecDeque<ExtEvent>,
    // I-DATA (RFC 8260) and stream scheduling (sched.rs).
    /// The peer offered I-DATA.
    peer_intl: bool,
    /// Next MID per outbound stream: [ordered, unordered].
    out_mid: Vec<[u32; 2]>,
    sched: Scheduler,
    /// Per outbound stream priority for [`Scheduler::Prio`] (lower first),
    /// or weight for [`Scheduler::Wfq`] (0 standing for the default, 1):
    /// the scheduler's stream value. Made on first use.
    stream_prio: Vec<u16>,
    /// Per outbound stream, the bytes of DATA chunks sent, for
    /// [`Scheduler::Fc`] and [`Scheduler::Wfq`]. Made on first use.
    fc_len: Vec<u32>,
    /// Round-robin position: the stream served next.
    rr_next: u16,
    /// Without I-DATA, the message being sent, which is finished before
    /// the scheduler picks another.
    cur_msg: Option<u64>,
    // Stream reconfiguration (RFC 6525, reconf.rs).
    /// The peer offered RE-CONFIG.
    peer_reconf: bool,
    rc: reconf::ReconfState,
    // ECN (RFC 4960 appendix A, RFC 3168; ecn.rs).
    /// The peer announced ECN Capable.
    peer_ecn: bool,
    /// Receiver: the TSN an ECNE reports (the first DATA chunk of the
    /// last packet that arrived Congestion Experienced), sent with every
    /// packet until a CWR covers it.
    ecne_tsn: Option<u32>,
    /// Sender: the highest TSN sent when the window was last reduced for
    /// an ECNE; ECNEs up to it concern data sent before that reduction.
    last_cwr_tsn: u32,
    /// Sender: a CWR carrying `last_cwr_tsn` is to be sent.
    cwr_due: bool,
    /// AUTH (RFC 4895, auth.rs), when this end offered it.
    auth: Option<Box<auth::Auth>>,
    /// The peer listed ASCONF and ASCONF-ACK (RFC 5061 4.2.7).
    peer_asconf: bool,
    /// ASCONF (RFC 5061, asconf.rs), when in use.
    asconf: Option<Box<asconf::AsconfState>>,
}

/// The association's random numbers (tags, nonces, timer jitter): a
/// ChaCha20 stream kept as its key and position (48 bytes instead of the
/// generator's 320 with its buffered block; an idle association is
/// mostly this struct). Each draw rebuilds the generator, which costs a
/// block's computation: draws are rare (a handshake, a heartbeat).
pub(crate) struct SmallRng {
    seed: [u8; 32],
    pos: u128,
}

impl std::fmt::Debug for SmallRng {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("SmallRng").field("pos", &self.pos).finish_non_exhaustive()
    }
}

impl SmallRng {
    fn from_seed(seed: [u8; 32]) -> Self {
        SmallRng { seed, pos: 0 }
    }

    fn draw<T>(&mut self, f: impl FnOnce(&mut ChaCha20Rng) -> T) -> T {
        let mut r = ChaCha20Rng::from_seed(self.seed);
        r.set_word_pos(self.pos);
        let v = f(&mut r);
        self.pos = r.get_word_pos();
        v
    }

    fn next_u32(&mut self) -> u32 {
        self.draw(|r| r.next_u32())
    }

    fn next_u64(&mut self) -> u64 {
        self.draw(|r| r.next_u64())
    }
}

/// Buffers for building SACKs and FORWARD TSNs, one set per thread
/// rather than per association (an idle association kept four vectors,
/// and what they had grown to). Taken and given back around each use; a
/// nested use simply gets a new one.
pub(crate) mod scratch {
    use std::cell::RefCell;

    #[derive(Default)]
    struct Bufs {
        pairs: Vec<(u16, u16)>,
        dups: Vec<u32>,
        ientries: Vec<(u16, bool, u32)>,
    }

    thread_local! {
        static BUFS: RefCell<Bufs> = RefCell::default();
    }

    fn take<T>(f: impl FnOnce(&mut Bufs) -> &mut Vec<T>) -> Vec<T> {
        BUFS.try_with(|b| std::mem::take(f(&mut b.borrow_mut()))).unwrap_or_default()
    }

    fn give<T>(mut v: Vec<T>, f: impl FnOnce(&mut Bufs) -> &mut Vec<T>) {
        v.clear();
        let _ = BUFS.try_with(|b| *f(&mut b.borrow_mut()) = v);
    }

    pub fn pairs() -> Vec<(u16, u16)> {
        take(|b| &mut b.pairs)
    }
    pub fn give_pairs(v: Vec<(u16, u16)>) {
        give(v, |b| &mut b.pairs)
    }
    pub fn dups() -> Vec<u32> {
        take(|b| &mut b.dups)
    }
    pub fn give_dups(v: Vec<u32>) {
        give(v, |b| &mut b.dups)
    }
    pub fn ientries() -> Vec<(u16, bool, u32)> {
        take(|b| &mut b.ientries)
    }
    pub fn give_ientries(v: Vec<(u16, bool, u32)>) {
        give(v, |b| &mut b.ientries)
    }
}

fn nonzero(rng: &mut SmallRng) -> u32 {
    loop {
        let v = rng.next_u32();
        if v != 0 {
            return v;
        }
    }
}

impl Association {
    #[allow(clippy::too_many_arguments)]
    fn blank(
        id: AssocId,
        cfg: Arc<Config>,
        shared: Arc<Shared>,
        seed: [u8; 32],
        local_port: u16,
        peer_port: u16,
        local_addrs: Vec<IpAddr>,
    ) -> Self {
        let mut rng = SmallRng::from_seed(seed);
        let local_tag = nonzero(&mut rng);
        let initial_tsn = rng.next_u32();
        let rcvbuf = cfg.rcvbuf;
        let pd_point = cfg.pd_point;
        let os = cfg.num_ostreams;
        Association {
            id,
            shared,
            rng,
            state: AssocState::Closed,
            local_port,
            peer_port,
            local_tag,
            peer_tag: 0,
            local_addrs,
            local_ip: None,
            paths: Vec::new(),
            primary: 0,
            last_data_path: 0,
            out_streams: os,
            peer_adaptation: None,
            initial_tsn,
            next_tsn: initial_tsn,
            cum_ack: initial_tsn.wrapping_sub(1),
            out: Outstanding::default(),
            pending: VecDeque::new(),
            out_ssn: Vec::new(),
            peer_rwnd: 0,
            queued_bytes: 0,
            rtx_marked: 0,
            rtx_bypass: false,
            burst_left: cfg.max_burst,
            dry: true,
            rx: Receiver::new(0, 1, rcvbuf, pd_point),
            sack_due: false,
            sack_now: false,
            // The first DATA of an association is acknowledged at once, as
            // Linux does (sctp_association_init: peer.sack_needed = 1): a
            // sender that closes right after its first message is not held
            // for SACK.Delay before its SHUTDOWN can go.
            pkts_since_sack: u32::MAX / 2,
            sack_timer: None,
            autoclose_at: None,
            init_bytes: Vec::new(),
            cookie_echo: Bytes::new(),
            t1: None,
            t1_count: 0,
            t2: None,
            t2_count: 0,
            t5: None,
            assoc_errors: 0,
            ctrl: VecDeque::new(),
            events: VecDeque::new(),
            ep_events: VecDeque::new(),
            drained_reported: false,
            shutdown_requested: false,
            stats: AssocStats::default(),
            peer_pr: false,
            msg_seq: 0,
            pr_stats: PrStats::default(),
            stream_pr: Vec::new(),
            pr_timer: None,
            fwd_due: false,
            ext_events: VecDeque::new(),
            peer_intl: false,
            out_mid: Vec::new(),
            sched: cfg.scheduler,
            stream_prio: Vec::new(),
            fc_len: Vec::new(),
            rr_next: 0,
            cur_msg: None,
            peer_reconf: false,
            rc: reconf::ReconfState::default(),
            peer_ecn: false,
            ecne_tsn: None,
            last_cwr_tsn: initial_tsn.wrapping_sub(1),
            cwr_due: false,
            auth: None,
            peer_asconf: false,
            asconf: None,
            cfg,
        }
    }

    /// Starts an association as the initiator (RFC 9260 5.1 A): sends
    /// INIT to the first of `peers` (IP and remote encapsulation port).
    #[allow(clippy::too_many_arguments)]
    pub fn connect(
        id: AssocId,
        cfg: Arc<Config>,
        shared: Arc<Shared>,
        seed: [u8; 32],
        now: Instant,
        local_port: u16,
        peer_port: u16,
        peers: &[SocketAddr],
        local_addrs: Vec<IpAddr>,
    ) -> Self {
        let mut a = Self::blank(id, cfg, shared, seed, local_port, peer_port, local_addrs);
        a.paths.reserve_exact(peers.len().min(cookie::MAX_PEER_ADDRS));
        for p in peers.iter().take(cookie::MAX_PEER_ADDRS) {
            if a.path_of(p.ip()).is_none() {
                a.paths.push(Path::new(p.ip(), p.port(), &a.cfg, now));
            }
        }
        a.state = AssocState::CookieWait;
        if a.cfg.auth_supported {
            let mut random = [0u8; auth::RANDOM_LEN];
            for c in random.chunks_exact_mut(8) {
                c.copy_from_slice(&a.rng.next_u64().to_ne_bytes());
            }
            let (r, c, h) = auth::local_params(&a.cfg, random);
            let kv = auth::key_vector(&r, c.as_deref(), &h);
            a.auth = Some(Box::new(auth::Auth::new(&a.cfg, kv)));
        }
        let init = InitChunk {
            initiate_tag: a.local_tag,
            a_rwnd: a.cfg.rcvbuf,
            num_outbound_streams: a.cfg.num_ostreams,
            num_inbound_streams: a.cfg.max_instreams,
            initial_tsn: a.initial_tsn,
            params: a.local_params(),
        };
        init.emit(CHUNK_INIT, &mut a.init_bytes);
        a.send_init(now);
        a
    }

    /// Address parameters announce our addresses only when multi-homed:
    /// a single-homed endpoint lists none, so NATs can rewrite the source
    /// (RFC 6951 5.7).
    fn local_params(&self) -> InitParams {
        // AUTH: the parameters of our key vector (the same in INIT and in
        // an INIT ACK for a collision, as the tag is: RFC 4895 6.1).
        let (auth_random, auth_chunks, auth_hmacs) = match &self.auth {
            Some(a) => auth::split_params(a.local_kv()),
            None => (None, None, None),
        };
        InitParams {
            auth_random,
            auth_chunks,
            auth_hmacs,
            addrs: if self.local_addrs.len() > 1 { self.local_addrs.clone() } else { Vec::new() },
            adaptation_indication: self.cfg.adaptation_indication,
            ecn_capable: self.cfg.ecn_supported,
            forward_tsn_supported: self.cfg.pr_supported,
            supported_extensions: crate::proto::endpoint::supported_extensions(&self.cfg),
            ..InitParams::default()
        }
    }

    /// Creates the association from a verified State Cookie (RFC 9260
    /// 5.1 D, 5.1.5 step 4). The COOKIE ECHO itself is then processed by
    /// [`Association::handle`] on the same packet, which sends COOKIE ACK.
    pub fn from_cookie(
        id: AssocId,
        cfg: Arc<Config>,
        shared: Arc<Shared>,
        seed: [u8; 32],
        now: Instant,
        c: &Cookie,
        local_addrs: Vec<IpAddr>,
    ) -> Self {
        let mut a = Self::blank(id, cfg, shared, seed, c.local_port, c.peer_port, local_addrs);
        a.paths.reserve_exact(c.peer_addrs.len());
        for (i, ip) in c.peer_addrs.iter().enumerate() {
            if a.path_of(*ip).is_none() {
                let mut p = Path::new(*ip, c.encap_port, &a.cfg, now);
                p.confirmed = i == 0;
                a.paths.push(p);
            }
        }
        a.adopt_cookie(c, now);
        a.state = AssocState::Established;
        a.events.push_back(AssocEvent::CommUp { restart: false });
        a.start_heartbeats(now);
        a
    }

    /// AUTH from a cookie's key vectors (RFC 4895 6.1), with this
    /// association's keys as they are (or the socket's).
    fn adopt_auth(&mut self, c: &Cookie) {
        self.auth = c.auth_kv.as_ref().map(|(l, p)| {
            let mut a = auth::Auth::new(&self.cfg, l.clone());
            a.set_peer(p.clone());
            Box::new(a)
        });
    }

    /// Takes tags, TSNs and stream counts from a cookie.
    fn adopt_cookie(&mut self, c: &Cookie, now: Instant) {
        self.local_tag = c.local_tag;
        self.peer_tag = c.peer_tag;
        self.initial_tsn = c.local_initial_tsn;
        self.next_tsn = c.local_initial_tsn;
        self.cum_ack = c.local_initial_tsn.wrapping_sub(1);
        self.peer_rwnd = c.peer_a_rwnd;
        self.out_streams = c.out_streams.max(1);
        self.out_ssn = Vec::new();
        self.rx = Receiver::new(
            c.peer_initial_tsn,
            c.in_streams.max(1),
            self.cfg.rcvbuf,
            self.cfg.pd_point,
        );
        self.peer_adaptation = c.peer_adaptation;
        self.peer_pr = c.peer_forward_tsn;
        self.peer_intl = c.peer_intl;
        self.peer_reconf = c.peer_reconf;
        self.peer_ecn = c.peer_ecn;
        self.adopt_auth(c);
        self.peer_asconf = c.peer_asconf;
        self.asconf_init(c.peer_asconf, c.peer_initial_tsn);
        self.last_cwr_tsn = c.local_initial_tsn.wrapping_sub(1);
        self.ecne_tsn = None;
        self.cwr_due = false;
        self.rc = reconf::ReconfState::new(c.local_initial_tsn, c.peer_initial_tsn);
        // (A restart starts the MIDs again, as the SSNs.)
        self.out_mid = Vec::new();
        self.size_out_mid();
        self.rx.set_intl(self.intl_enabled());
        for p in &mut self.paths {
            p.reset_cwnd();
            p.flight_size = 0;
            p.last_sent = now;
        }
        self.events.push_back(AssocEvent::Streams {
            outbound: self.out_streams,
            inbound: c.in_streams.max(1),
        });
        if let Some(a) = c.peer_adaptation {
            self.events.push_back(AssocEvent::Adaptation(a));
        }
    }

    // ----- accessors -------------------------------------------------

    pub fn id(&self) -> AssocId {
        self.id
    }
    pub fn state(&self) -> AssocState {
        self.state
    }
    pub fn config(&self) -> &Config {
        &self.cfg
    }
    pub fn config_mut(&mut self) -> &mut Config {
        Arc::make_mut(&mut self.cfg)
    }
    /// The local address the peer's packets arrive at, when learnt.
    pub fn local_ip(&self) -> Option<IpAddr> {
        self.local_ip
    }

    pub fn local_port(&self) -> u16 {
        self.local_port
    }
    pub fn peer_port(&self) -> u16 {
        self.peer_port
    }
    pub fn local_tag(&self) -> u32 {
        self.local_tag
    }
    pub fn peer_tag(&self) -> u32 {
        self.peer_tag
    }
    pub fn paths(&self) -> &[Path] {
        &self.paths
    }
    pub fn local_addrs(&self) -> &[IpAddr] {
        &self.local_addrs
    }
    pub fn primary_addr(&self) -> Option<IpAddr> {
        self.paths.get(self.primary).map(|p| p.addr)
    }
    pub fn outbound_streams(&self) -> u16 {
        self.out_streams
    }
    pub fn inbound_streams(&self) -> u16 {
        self.rx.in_streams()
    }
    pub fn peer_rwnd(&self) -> u32 {
        self.peer_rwnd
    }
    pub fn local_rwnd(&self) -> u32 {
        self.rx.rwnd()
    }
    /// Bytes of user data accepted by `send` and not yet acknowledged.
    pub fn buffered_amount(&self) -> usize {
        self.queued_bytes
    }
    /// Number of DATA chunks sent and not yet cumulatively acknowledged.
    pub fn unacked_chunks(&self) -> usize {
        self.out.q.len()
    }
    /// Number of DATA chunks not yet sent.
    pub fn pending_chunks(&self) -> usize {
        self.pending.len()
    }
    /// Whether data is waiting to be read.
    pub fn readable(&self) -> bool {
        self.rx.readable()
    }
    pub fn is_closed(&self) -> bool {
        self.state == AssocState::Closed
    }
    /// Closed and nothing left to send: the caller may drop it.
    pub fn is_drained(&self) -> bool {
        self.state == AssocState::Closed && self.ctrl.is_empty()
    }
    /// Cumulative TSN of received data (for `sinfo_cumtsn`).
    pub fn rx_cum_tsn(&self) -> u32 {
        self.rx.cum_tsn()
    }
    pub fn next_tsn(&self) -> u32 {
        self.next_tsn
    }
    /// Whether a message is being delivered in parts.
    pub fn in_partial_delivery(&self) -> bool {
        self.rx.in_partial_delivery()
    }
    /// Bytes received and waiting to be read.
    pub fn readable_bytes(&self) -> usize {
        self.rx.inbox_bytes()
    }
    /// Changes the receive buffer (`SO_RCVBUF`).
    pub fn set_rcvbuf(&mut self, rcvbuf: u32) {
        Arc::make_mut(&mut self.cfg).rcvbuf = rcvbuf;
        self.rx.set_rcvbuf(rcvbuf);
    }

    /// Sets the primary path (`SCTP_PRIMARY_ADDR`). Returns false if
    /// `addr` is not a peer address.
    pub fn set_primary(&mut self, addr: IpAddr) -> bool {
        match self.path_of(addr) {
            Some(i) => {
                self.primary = i;
                true
            }
            None => false,
        }
    }

    /// Sets the remote UDP encapsulation port for one peer address, or for
    /// all of them with `None` (`SCTP_REMOTE_UDP_ENCAPS_PORT`).
    pub fn set_encap_port(&mut self, addr: Option<IpAddr>, port: u16) -> bool {
        let mut found = false;
        for p in &mut self.paths {
            if addr.is_none_or(|a| a == p.addr) {
                p.encap_port = port;
                found = true;
            }
        }
        found
    }

    fn path_of(&self, ip: IpAddr) -> Option<usize> {
        self.paths.iter().position(|p| p.addr == ip)
    }

    fn path_dst(&self, i: usize) -> SocketAddr {
        let p = &self.paths[i];
        SocketAddr::new(p.addr, p.encap_port)
    }

    /// The source address for packets to path `i`: with several local
    /// addresses, one of the path's family (spread by path index);
    /// single-homed, the one bound or the one the peer reached us at.
    fn src_for(&self, i: usize) -> Option<IpAddr> {
        let v4 = self.paths.get(i)?.addr.is_ipv4();
        if self.local_addrs.len() <= 1 {
            let a = self
                .local_addrs
                .first()
                .copied()
                .filter(|a| !a.is_unspecified())
                .or(self.local_ip)?;
            return (a.is_ipv4() == v4).then_some(a);
        }
        let n = self.local_addrs.iter().filter(|a| a.is_ipv4() == v4).count();
        if n == 0 {
            return None;
        }
        self.local_addrs.iter().filter(|a| a.is_ipv4() == v4).nth(i % n).copied()
    }

    /// The path for new data: the primary while active, else the first
    /// active confirmed path (RFC 9260 6.4.1). A path with unanswered
    /// retransmissions or heartbeats (error count above zero) is treated
    /// as potentially failed (RFC 7829, with the threshold Linux uses by
    /// default, 0): new data avoids it while a healthy path exists, and
    /// returns as soon as a heartbeat or an acknowledgement clears it.
    fn data_path(&self) -> usize {
        let healthy = |p: &Path| p.is_active() && p.confirmed && p.error_count == 0;
        if self.paths.get(self.primary).is_some_and(healthy) {
            return self.primary;
        }
        if let Some(i) = self.paths.iter().position(healthy) {
            return i;
        }
        if self.paths.get(self.primary).is_some_and(|p| p.is_active()) {
            return self.primary;
        }
        self.paths.iter().position(|p| p.is_active() && p.confirmed).unwrap_or(self.primary)
    }

    /// An active confirmed path other than `not`, for retransmissions
    /// (RFC 9260 6.4).
    fn alternate_path(&self, not: usize) -> usize {
        let n = self.paths.len();
        (1..n)
            .map(|k| (not + k) % n)
            .find(|&i| self.paths[i].is_active() && self.paths[i].confirmed)
            .unwrap_or_else(|| self.data_path())
    }

    /// Largest DATA payload per chunk: the smallest path MTU less the
    /// common and DATA headers.
    fn max_payload(&self) -> usize {
        let mtu = self.paths.iter().map(|p| p.mtu).min().unwrap_or(1200) as usize;
        // With I-DATA offered, its larger header is assumed from the
        // start: messages queued before the handshake ends still fit.
        let hdr =
            if self.cfg.intl_supported { wire::chunk::IDATA_HEADER_LEN } else { DATA_HEADER_LEN };
        // AUTH may take up to 40 bytes of each packet (SHA-256).
        let auth = if self.cfg.auth_supported { 40 } else { 0 };
        let by_mtu = (mtu.saturating_sub(COMMON_HEADER_LEN + hdr + auth) & !3).max(64);
        // Linux sctp_frag_point: the user's SCTP_MAXSEG caps it.
        match self.cfg.max_seg as usize {
            0 => by_mtu,
            m => by_mtu.min((m & !3).max(4)),
        }
    }

    // ----- user calls ------------------------------------------------

    /// Queues one user message; it is fragmented here to the path MTU
    /// (RFC 9260 6.9). The caller enforces its send buffer limit with
    /// [`Association::buffered_amount`].
    pub fn send(&mut self, now: Instant, data: Bytes, opt: SendOptions) -> Result<(), SendError> {
        self.send_with(now, data, opt, PrPolicy::None)
    }

    /// [`Association::send`] with a PR-SCTP policy for the message
    /// (RFC 7496; Linux `sinfo_flags` `SCTP_PR_SCTP_*` with
    /// `sinfo_timetolive`). See [`PrPolicy`] for what each one does.
    pub fn send_with(
        &mut self,
        now: Instant,
        data: Bytes,
        opt: SendOptions,
        pr: PrPolicy,
    ) -> Result<(), SendError> {
        if let Some(d) = self.cfg.autoclose {
            self.autoclose_at = Some(now + d);
        }
        if self.shutdown_requested {
            return Err(SendError::ShuttingDown);
        }
        match self.state {
            AssocState::Closed => return Err(SendError::Closed),
            AssocState::ShutdownPending
            | AssocState::ShutdownSent
            | AssocState::ShutdownReceived
            | AssocState::ShutdownAckSent => return Err(SendError::ShuttingDown),
            _ => {}
        }
        if opt.stream_id >= self.out_streams {
            return Err(SendError::InvalidStream);
        }
        if data.is_empty() {
            return Err(SendError::Empty);
        }
        // The SSN is taken when the first fragment gets its TSN (as
        // Linux does): a message abandoned before any of it was sent
        // leaves no gap in its stream's sequence.
        let ssn = 0;
        let max = self.max_payload();
        let total = data.len();
        let msg = self.msg_seq;
        self.msg_seq += 1;
        let expires = match pr {
            PrPolicy::Ttl(d) if !d.is_zero() => Some(now + d),
            _ => None,
        };
        if let Some(e) = expires {
            self.pr_timer = Some(self.pr_timer.map_or(e, |t| t.min(e)));
        }
        let mut off = 0;
        let mut fsn = 0u32;
        while off < total {
            let end = (off + max).min(total);
            let mut flags = 0;
            if off == 0 {
                flags |= DATA_FLAG_BEGIN;
            }
            if end == total {
                flags |= DATA_FLAG_END;
                if opt.sack_immediately {
                    flags |= DATA_FLAG_IMMEDIATE;
                }
            }
            if opt.unordered {
                flags |= DATA_FLAG_UNORDERED;
            }
            self.pending.push_back(Pending {
                stream_id: opt.stream_id,
                ssn,
                ppid: opt.ppid,
                flags,
                context: opt.context,
                payload: data.slice(off..end),
                msg,
                pr,
                expires,
                fsn,
            });
            fsn = fsn.wrapping_add(1);
            off = end;
        }
        self.queued_bytes += total;
        self.dry = false;
        self.burst_left = self.cfg.max_burst;
        Ok(())
    }

    /// Takes up to `max` bytes of the next received message piece. Call
    /// again until a piece with `eor` to read a whole message.
    pub fn read(&mut self, max: usize) -> Option<RecvData> {
        let piece = self.rx.take(max.max(1))?;
        self.release(piece.data.len());
        Some(piece)
    }

    /// Takes the next received piece (at most `max` bytes) without
    /// opening the receive window: the caller queues it and calls
    /// [`Association::release`] when its user has read the bytes.
    pub fn take(&mut self, max: usize) -> Option<RecvData> {
        self.rx.take(max.max(1))
    }

    /// Returns `n` bytes taken with [`Association::take`] to the receive
    /// window, and schedules a window update SACK when it opened by at
    /// least max(rcvbuf/16, MTU) since the last advertisement (as Linux).
    pub fn release(&mut self, n: usize) {
        self.rx.release(n);
        let rwnd = self.rx.rwnd();
        let mtu = self.paths.first().map(|p| p.mtu).unwrap_or(1200);
        if self.state != AssocState::Closed
            && rwnd > self.rx.last_adv_rwnd
            && rwnd - self.rx.last_adv_rwnd >= (self.cfg.rcvbuf / 16).max(mtu)
        {
            self.sack_due = true;
            self.sack_now = true;
        }
    }

    /// The next received piece, without taking it.
    pub fn peek(&self) -> Option<&RecvData> {
        self.rx.peek()
    }

    /// Starts a graceful shutdown (RFC 9260 9.2): queued data is still
    /// delivered, then SHUTDOWN is sent.
    pub fn shutdown(&mut self, now: Instant) {
        match self.state {
            AssocState::Established => {
                self.state = AssocState::ShutdownPending;
                self.maybe_progress_shutdown(now);
            }
            AssocState::CookieWait | AssocState::CookieEchoed => {
                // Data may already be queued (sent during the handshake):
                // shut down gracefully once the association is up, so a
                // program that sends and closes at once loses nothing.
                self.shutdown_requested = true;
            }
            _ => {}
        }
    }

    /// Aborts the association (RFC 9260 9.1), sending ABORT with a
    /// User-Initiated Abort cause carrying `reason`.
    /// A reason is cut to what fits one UDP datagram over IPv4 (65,507
    /// bytes: the common header, chunk and cause headers, and 65,487 of
    /// reason), below [`MAX_ABORT_REASON`].
    pub fn abort(&mut self, now: Instant, mut reason: Bytes) {
        reason.truncate(65_507 - 12 - 4 - 4);
        self.abort_for(now, Cause::UserInitiatedAbort(reason));
    }

    /// Aborts the association with `cause` in the ABORT (say, Out of
    /// Resource, RFC 9260 3.3.10.4, for an association the stack has no
    /// room for).
    pub fn abort_for(&mut self, now: Instant, cause: Cause) {
        let _ = now;
        if self.state == AssocState::Closed {
            return;
        }
        if self.state != AssocState::CookieWait || !self.paths.is_empty() {
            let mut causes = Vec::new();
            cause.emit(&mut causes);
            let vtag = if self.state == AssocState::CookieWait { 0 } else { self.peer_tag };
            if self.state != AssocState::CookieWait {
                let mut b = Vec::new();
                emit_raw(&mut b, CHUNK_ABORT, 0, wire::cause::trim_last_pad(&causes));
                let dst = self.path_dst(self.data_path());
                self.ctrl.clear();
                self.ctrl.push_back(Ctrl { dst, vtag, alone: false, bytes: b });
            }
        }
        self.close(Some(LostReason::LocalAbort));
    }

    /// The peer's UDP port is unreachable (ICMP port unreachable for a
    /// packet we sent with tag `vtag`, or for our INIT with `init_tag`).
    /// RFC 6951 5.5 maps it to "protocol unreachable" (RFC 9260 10 ICMP8);
    /// like Linux we act on it only in COOKIE-WAIT, failing the handshake
    /// at once. Later states rely on retransmission limits.
    pub fn handle_unreachable(&mut self, now: Instant, vtag: u32, init_tag: Option<u32>) {
        let _ = now;
        if self.state == AssocState::CookieWait && vtag == 0 && init_tag == Some(self.local_tag) {
            self.ctrl.clear();
            self.close(Some(LostReason::Unreachable));
        }
    }

    // ----- timers ----------------------------------------------------

    /// The earliest deadline, if any timer is running.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut t = [
            self.t1,
            self.t2,
            self.t5,
            self.sack_timer,
            self.pr_timer,
            self.autoclose_at,
            self.rc.timer,
            self.asconf_timer(),
        ]
        .into_iter()
        .flatten()
        .min();
        for p in &self.paths {
            for d in [p.t3_rtx, p.hb_timer].into_iter().flatten() {
                t = Some(t.map_or(d, |x| x.min(d)));
            }
        }
        t
    }

    /// Runs every timer that expired at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.t1.is_some_and(|t| t <= now) {
            self.on_t1(now);
        }
        if self.asconf_timer().is_some_and(|t| t <= now) {
            self.on_t4(now);
        }
        if self.t2.is_some_and(|t| t <= now) {
            self.on_t2(now);
        }
        if self.t5.is_some_and(|t| t <= now) {
            // T5-shutdown-guard (9.2): give up.
            self.t5 = None;
            self.abort_with(now, Vec::new(), LostReason::Unreachable);
        }
        if self.sack_timer.is_some_and(|t| t <= now) {
            self.sack_timer = None;
            self.sack_now = true;
        }
        if self.pr_timer.is_some_and(|t| t <= now) && self.state != AssocState::Closed {
            self.abandon_expired(now);
        }
        if self.rc.timer.is_some_and(|t| t <= now) && self.state != AssocState::Closed {
            self.on_reconf_timer(now);
        }
        if self.autoclose_at.is_some_and(|t| t <= now) {
            // RFC 6458 8.1.8: an idle association is shut down as if the
            // user had asked (Linux sctp_sf_autoclose_timer_expire).
            self.autoclose_at = None;
            self.shutdown(now);
        }
        for i in 0..self.paths.len() {
            if self.state == AssocState::Closed {
                break;
            }
            if self.paths[i].t3_rtx.is_some_and(|t| t <= now) {
                self.on_t3(now, i);
            }
            if self.paths[i].hb_timer.is_some_and(|t| t <= now) {
                self.on_hb_timer(now, i);
            }
        }
    }

    fn send_init(&mut self, now: Instant) {
        let dst = self.path_dst(self.primary);
        self.ctrl.push_back(Ctrl { dst, vtag: 0, alone: true, bytes: self.init_bytes.clone() });
        self.t1 = Some(now + self.paths[self.primary].rto);
    }

    /// Once established, the INIT and the cookie we kept for their
    /// retransmission are not needed again: an idle association keeps
    /// nothing of its handshake.
    fn forget_handshake(&mut self) {
        self.init_bytes = Vec::new();
        self.cookie_echo = Bytes::new();
        // Pushed one by one, the paths may have got room for four.
        self.paths.shrink_to_fit();
    }

    fn send_cookie_echo(&mut self, now: Instant) {
        let dst = self.path_dst(self.primary);
        let mut b = Vec::with_capacity(self.cookie_echo.len() + 8);
        emit_raw(&mut b, CHUNK_COOKIE_ECHO, 0, &self.cookie_echo);
        self.ctrl.push_back(Ctrl { dst, vtag: self.peer_tag, alone: false, bytes: b });
        self.t1 = Some(now + self.paths[self.primary].rto);
    }

    /// T1-init / T1-cookie expiry (RFC 9260 5.1 C, 4 note 2).
    fn on_t1(&mut self, now: Instant) {
        self.t1 = None;
        self.t1_count += 1;
        let cfg = self.cfg.clone();
        self.paths[self.primary].backoff(&cfg);
        if self.t1_count > self.cfg.max_init_retransmits {
            self.close(Some(LostReason::Unreachable));
            return;
        }
        match self.state {
            AssocState::CookieWait => self.send_init(now),
            AssocState::CookieEchoed => self.send_cookie_echo(now),
            _ => {}
        }
    }

    /// T2-shutdown expiry (RFC 9260 9.2).
    fn on_t2(&mut self, now: Instant) {
        self.t2 = None;
        self.t2_count += 1;
        self.assoc_errors += 1;
        let p = self.data_path();
        let cfg = self.cfg.clone();
        self.paths[p].backoff(&cfg);
        if self.assoc_errors > self.cfg.assoc_max_retrans {
            self.abort_with(now, Vec::new(), LostReason::Unreachable);
            return;
        }
        match self.state {
            AssocState::ShutdownSent => self.send_shutdown(now),
            AssocState::ShutdownAckSent => self.send_shutdown_ack(now),
            _ => {}
        }
    }

    /// T3-rtx expiry on path `i` (RFC 9260 6.3.3 E1-E3, 7.2.3).
    fn on_t3(&mut self, now: Instant, i: usize) {
        self.paths[i].t3_rtx = None;
        let cfg = self.cfg.clone();
        {
            let p = &mut self.paths[i];
            p.ssthresh = (p.cwnd / 2).max(4 * p.mtu);
            p.cwnd = p.mtu;
            p.partial_bytes_acked = 0;
            p.fast_recovery_exit = None;
            p.rtt_probe = None;
            p.backoff(&cfg);
        }
        let alt = self.alternate_path(i);
        let mut any = false;
        for c in self.out.q.iter_mut() {
            if c.path == i && !c.gap_acked && c.rtx.is_none() && !c.abandoned {
                if c.in_flight {
                    c.in_flight = false;
                    self.paths[i].flight_size = self.paths[i].flight_size.saturating_sub(c.len());
                }
                c.rtx = Some(alt);
                self.rtx_marked += 1;
                any = true;
            }
        }
        if any {
            self.rtx_bypass = true;
        }
        // RFC 3758 3.5 A5: abandon what may be, and send FORWARD TSN again.
        self.pr_check_rtx(now);
        if self.pr_enabled() && self.fwd_needed() {
            self.fwd_due = true;
        }
        self.path_error(now, i);
        self.assoc_error(now);
    }

    /// A control chunk's retransmission timer expired on path `p` (RE-CONFIG,
    /// ASCONF T4): the RTO backs off and the path and association each
    /// count an error (RFC 9260 6.3.3, 8.1, 8.2). False if that ended the
    /// association.
    fn strike(&mut self, now: Instant, p: usize) -> bool {
        let cfg = self.cfg.clone();
        self.paths[p].backoff(&cfg);
        self.path_error(now, p);
        self.assoc_error(now);
        self.state != AssocState::Closed
    }

    /// Counts an error against path `i` (RFC 9260 8.2).
    fn path_error(&mut self, now: Instant, i: usize) {
        let _ = now;
        let p = &mut self.paths[i];
        p.error_count += 1;
        if p.errors_since.is_none() {
            p.errors_since = Some(now);
        }
        if p.error_count > self.cfg.path_max_retrans && p.state == PathState::Active {
            p.state = PathState::Inactive;
            let addr = p.addr;
            self.events.push_back(AssocEvent::Path {
                addr,
                event: PathEvent::Unreachable,
                error: 0,
            });
            // Chunks waiting for retransmission on this path move away.
            let alt = self.alternate_path(i);
            for c in self.out.q.iter_mut() {
                if c.rtx == Some(i) {
                    c.rtx = Some(alt);
                }
            }
        }
    }

    /// Counts an error against the association (RFC 9260 8.1).
    fn assoc_error(&mut self, now: Instant) {
        self.assoc_errors += 1;
        if self.assoc_errors > self.cfg.assoc_max_retrans {
            let _ = now;
            self.close(Some(LostReason::Unreachable));
        }
    }

    fn start_heartbeats(&mut self, now: Instant) {
        for i in 0..self.paths.len() {
            self.schedule_hb(now, i);
        }
    }

    /// Next heartbeat on path `i` (RFC 9260 8.3): unconfirmed paths are
    /// probed within an RTO (5.4); others every RTO + HB.interval with
    /// +/- 50 % of the RTO as jitter.
    fn schedule_hb(&mut self, now: Instant, i: usize) {
        let p = &self.paths[i];
        let rto_us = u64::try_from(p.rto.as_micros()).unwrap_or(u64::MAX);
        let d = if !p.confirmed {
            // Spread probes of several unconfirmed paths a little.
            Duration::from_micros(rto_us / 2 + (self.rng.next_u64() % (rto_us / 2 + 1)))
        } else if p.state == PathState::Inactive || self.cfg.hb_enabled {
            let base = if p.state == PathState::Inactive {
                0
            } else {
                u64::try_from(self.cfg.hb_interval.as_micros()).unwrap_or(u64::MAX)
            };
            let jitter = self.rng.next_u64() % (rto_us + 1);
            Duration::from_micros(base.saturating_add(rto_us / 2).saturating_add(jitter))
        } else {
            self.paths[i].hb_timer = None;
            return;
        };
        self.paths[i].hb_timer = Some(now + d);
    }

    fn on_hb_timer(&mut self, now: Instant, i: usize) {
        self.paths[i].hb_timer = None;
        // No heartbeats once we are shutting down (our data and then
        // T2-shutdown keep watching the peer): a HEARTBEAT ACK arriving
        // after we sent SHUTDOWN COMPLETE would be out of the blue and make
        // our endpoint ABORT the peer (8.4 rule 8).
        if !matches!(self.state, AssocState::Established | AssocState::ShutdownReceived) {
            return;
        }
        if self.paths[i].hb_outstanding.take().is_some() {
            // The last heartbeat went unanswered (8.3).
            let cfg = self.cfg.clone();
            self.paths[i].backoff(&cfg);
            self.path_error(now, i);
            if self.paths[i].confirmed {
                self.assoc_error(now);
            }
            if self.state == AssocState::Closed {
                return;
            }
        }
        let nonce = self.rng.next_u64();
        let mut info = Vec::with_capacity(33);
        info.extend_from_slice(&nonce.to_be_bytes());
        info.extend_from_slice(&now.as_micros().to_be_bytes());
        match self.paths[i].addr {
            IpAddr::V4(a) => {
                info.push(4);
                info.extend_from_slice(&a.to_ipv6_mapped().octets());
            }
            IpAddr::V6(a) => {
                info.push(6);
                info.extend_from_slice(&a.octets());
            }
        }
        let mut b = Vec::with_capacity(info.len() + 8);
        emit_heartbeat(&mut b, CHUNK_HEARTBEAT, &info);
        let dst = self.path_dst(i);
        self.ctrl.push_back(Ctrl { dst, vtag: self.peer_tag, alone: false, bytes: b });
        self.paths[i].hb_outstanding = Some((nonce, now));
        self.paths[i].last_sent = now;
        self.schedule_hb(now, i);
    }

    fn on_heartbeat_ack(&mut self, now: Instant, info: &[u8]) {
        if info.len() < 33 {
            return;
        }
        let nonce = u64::from_be_bytes(info[0..8].try_into().unwrap_or([0; 8]));
        let sent = u64::from_be_bytes(info[8..16].try_into().unwrap_or([0; 8]));
        let mut o = [0u8; 16];
        o.copy_from_slice(&info[17..33]);
        let v6 = std::net::Ipv6Addr::from(o);
        let addr = match info[16] {
            4 => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => return,
            },
            6 => IpAddr::V6(v6),
            _ => return,
        };
        let Some(i) = self.path_of(addr) else { return };
        let cfg = self.cfg.clone();
        let p = &mut self.paths[i];
        if p.hb_outstanding.map(|h| h.0) != Some(nonce) {
            return;
        }
        p.hb_outstanding = None;
        p.error_count = 0;
        p.errors_since = None;
        p.on_rtt(now.saturating_since(Instant(sent)), &cfg);
        let was_inactive = p.state == PathState::Inactive;
        let was_unconfirmed = !p.confirmed;
        p.state = PathState::Active;
        p.confirmed = true;
        self.assoc_errors = 0;
        if was_unconfirmed {
            self.events.push_back(AssocEvent::Path { addr, event: PathEvent::Confirmed, error: 0 });
        }
        if was_inactive {
            self.events.push_back(AssocEvent::Path { addr, event: PathEvent::Available, error: 0 });
        }
        if self.paths[i].hb_timer.is_none() || was_unconfirmed || was_inactive {
            self.schedule_hb(now, i);
        }
    }

    // ----- closing ---------------------------------------------------

    /// Moves to CLOSED, reporting `reason` (None: graceful) and failing
    /// every message not yet acknowledged.
    fn close(&mut self, reason: Option<LostReason>) {
        let was = self.state;
        self.state = AssocState::Closed;
        self.t1 = None;
        self.t2 = None;
        self.t5 = None;
        self.sack_timer = None;
        self.autoclose_at = None;
        self.rc.timer = None;
        self.sack_due = false;
        self.sack_now = false;
        for p in &mut self.paths {
            p.t3_rtx = None;
            p.hb_timer = None;
        }
        match reason {
            None => {
                self.events.push_back(AssocEvent::ShutdownComplete);
                self.ep_events.push_back(EndpointEvent::Retired(self.local_tag));
            }
            Some(r) => {
                self.fail_all_data();
                if matches!(was, AssocState::CookieWait | AssocState::CookieEchoed) {
                    self.events.push_back(AssocEvent::CantStartAssoc(r));
                } else {
                    self.events.push_back(AssocEvent::CommLost(r));
                }
            }
        }
    }

    fn fail_all_data(&mut self) {
        for c in self.out.q.drain(..) {
            if c.abandoned {
                // Already reported when it was abandoned.
                continue;
            }
            self.events.push_back(AssocEvent::SendFailed {
                sent: true,
                stream_id: c.stream_id,
                ppid: c.ppid,
                context: c.context,
                flags: c.flags,
                data: c.payload,
            });
        }
        for c in self.pending.drain(..) {
            self.events.push_back(AssocEvent::SendFailed {
                sent: false,
                stream_id: c.stream_id,
                ppid: c.ppid,
                context: c.context,
                flags: c.flags,
                data: c.payload,
            });
        }
        self.queued_bytes = 0;
        self.rtx_marked = 0;
        self.pr_timer = None;
        self.fwd_due = false;
    }

    fn abort_with(&mut self, now: Instant, causes: Vec<u8>, reason: LostReason) {
        let _ = now;
        if self.state == AssocState::Closed {
            return;
        }
        let mut b = Vec::new();
        emit_raw(&mut b, CHUNK_ABORT, 0, wire::cause::trim_last_pad(&causes));
        let dst = self.path_dst(self.data_path());
        self.ctrl.clear();
        self.ctrl.push_back(Ctrl { dst, vtag: self.peer_tag, alone: false, bytes: b });
        self.close(Some(reason));
    }

    fn all_data_acked(&self) -> bool {
        self.out.q.is_empty() && self.pending.is_empty()
    }

    fn send_shutdown(&mut self, now: Instant) {
        let mut b = Vec::with_capacity(8);
        emit_shutdown(&mut b, self.rx.cum_tsn());
        let p = self.data_path();
        let dst = self.path_dst(p);
        self.ctrl.push_back(Ctrl { dst, vtag: self.peer_tag, alone: false, bytes: b });
        self.t2 = Some(now + self.paths[p].rto);
    }

    fn send_shutdown_ack(&mut self, now: Instant) {
        let mut b = Vec::with_capacity(4);
        emit_raw(&mut b, CHUNK_SHUTDOWN_ACK, 0, &[]);
        let p = self.data_path();
        let dst = self.path_dst(p);
        self.ctrl.push_back(Ctrl { dst, vtag: self.peer_tag, alone: false, bytes: b });
        self.t2 = Some(now + self.paths[p].rto);
    }

    /// Sends SHUTDOWN or SHUTDOWN ACK once all our data is acknowledged.
    fn maybe_progress_shutdown(&mut self, now: Instant) {
        if !self.all_data_acked() {
            return;
        }
        match self.state {
            AssocState::ShutdownPending => {
                self.state = AssocState::ShutdownSent;
                self.t2_count = 0;
                self.send_shutdown(now);
                self.t5 = Some(now + self.cfg.rto_max * 5);
            }
            AssocState::ShutdownReceived => {
                self.state = AssocState::ShutdownAckSent;
                self.t2_count = 0;
                self.send_shutdown_ack(now);
            }
            _ => {}
        }
    }
}

mod api;
mod input;
mod output;
