//! SCTP sockets as the host stack keeps them. The application holds one
//! end of an AF_UNIX stream socketpair (its SCTP descriptor); the stack
//! holds the other and keeps the application's end exactly as readable
//! and writable as the SCTP socket (see [`Socket::refresh`]), so `poll`,
//! `select`, `epoll` and blocking waits happen on a real descriptor in the
//! application. The stack never blocks: an operation that would block
//! returns EAGAIN (or EINPROGRESS) and the library waits on the
//! descriptor and asks again.
//!
//! Lock order: a socket's `inner` is a leaf: nothing else is locked while
//! it is held, except that the stack may call [`Owner::on_update`] (which
//! takes `inner`) with an association locked. Socket code therefore never
//! locks an association while holding `inner`.

pub mod notify;
mod opts_support;

use super::runtime::{Admit, Owner, Stack};
use crate::abi::types as t;
use crate::proto::assoc::{
    AssocEvent, AssocId, AssocState, Association, LostReason, PrPolicy, RecvData, SendError,
    SendOptions,
};
use crate::proto::Config;
use crate::sys;
use bytes::Bytes;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::raw::c_int;
use std::sync::{Arc, Weak};
use std::time::Duration;

pub type Errno = c_int;
pub type Result<T> = std::result::Result<T, Errno>;

/// One-to-one (`SOCK_STREAM`) or one-to-many (`SOCK_SEQPACKET`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    OneToOne,
    OneToMany,
}

/// Notification subscriptions, indexed by `sn_type - SCTP_SN_TYPE_BASE`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Events(pub u32);
impl Events {
    pub fn on(&self, sn_type: u16) -> bool {
        let i = sn_type.wrapping_sub(crate::abi::types::SCTP_SN_TYPE_BASE);
        i < 32 && self.0 & (1 << i) != 0
    }
    pub fn set(&mut self, sn_type: u16, on: bool) {
        let i = sn_type.wrapping_sub(crate::abi::types::SCTP_SN_TYPE_BASE);
        if i < 32 {
            if on {
                self.0 |= 1 << i;
            } else {
                self.0 &= !(1 << i);
            }
        }
    }
}

/// Default send parameters (`SCTP_DEFAULT_SEND_PARAM`, `SCTP_DEFAULT_SNDINFO`).
#[derive(Clone, Copy, Debug, Default)]
pub struct SndDefaults {
    pub sid: u16,
    pub flags: u16,
    pub ppid: u32,
    pub context: u32,
    pub ttl: u32,
}

/// Socket options and their values as the application set them.
#[derive(Clone, Debug)]
pub struct Opts {
    pub events: Events,
    pub cfg: Config,
    pub max_init_attempts: u16,
    pub max_init_timeo_ms: u16,
    pub autoclose: u32,
    pub disable_fragments: bool,
    pub snd: SndDefaults,
    pub recvrcvinfo: bool,
    pub recvnxtinfo: bool,
    pub mapped_v4: bool,
    pub maxseg: u32,
    pub context: u32,
    pub fragment_interleave: i32,
    pub pd_point: u32,
    pub sndbuf: usize,
    pub rcvbuf: usize,
    pub linger: Option<Duration>,
    pub reuse_port: bool,
    pub reuse_addr: bool,
    /// Remote UDP encapsulation port for new associations (host order; 0:
    /// the stack's default).
    pub encaps_port: u16,
    pub rcvtimeo: Option<Duration>,
    pub sndtimeo: Option<Duration>,
    pub hb_interval_ms: u32,
    pub path_max_rxt: u16,
    pub spp_flags: u32,
}

impl Opts {
    fn new(mut cfg: Config) -> Self {
        // The stack's default is the socket's SO_RCVBUF; associations
        // start with half of it as their window.
        let rcvbuf = cfg.rcvbuf as usize;
        cfg.rcvbuf = initial_rwnd(rcvbuf);
        Opts {
            events: Events(0),
            max_init_attempts: cfg.max_init_retransmits as u16,
            max_init_timeo_ms: cfg.rto_max.as_millis().min(u16::MAX as u128) as u16,
            hb_interval_ms: cfg.hb_interval.as_millis() as u32,
            path_max_rxt: cfg.path_max_retrans as u16,
            cfg,
            autoclose: 0,
            disable_fragments: false,
            snd: SndDefaults::default(),
            recvrcvinfo: false,
            recvnxtinfo: false,
            mapped_v4: false,
            maxseg: 0,
            context: 0,
            fragment_interleave: 0,
            pd_point: 0,
            sndbuf: 212_992,
            rcvbuf,
            linger: None,
            reuse_port: false,
            reuse_addr: false,
            encaps_port: 0,
            rcvtimeo: None,
            sndtimeo: None,
            spp_flags: 0,
        }
    }
}

/// Per-socket settings that `Opts` has no field for.
#[derive(Clone, Debug)]
pub struct SockExtra {
    /// SCTP_I_WANT_MAPPED_V4_ADDR (Linux: on for every new socket).
    pub v4mapped: bool,
    /// SCTP_REUSE_PORT and SO_REUSEPORT, read back separately; `Opts`
    /// holds their union.
    pub sctp_reuse: bool,
    pub so_reuseport: bool,
    pub rcvlowat: i32,
    /// SO_LINGER's l_linger as set (read back even while l_onoff is 0).
    pub linger_secs: i32,
    /// The socket's `spp_pathmtu` (0 until set).
    pub pathmtu: u32,
    /// Delayed-SACK frequency kept while delayed SACK is off (0: the
    /// configuration's).
    pub sackfreq: u32,
    pub pf_retrans: u16,
    pub ps_retrans: u16,
    pub flowlabel: Option<u32>,
    pub dscp: Option<u8>,
    /// IPPROTO_IP / IPPROTO_IPV6 options: (level, name, value bytes).
    pub ip: Vec<(c_int, c_int, Vec<u8>)>,
}

impl Default for SockExtra {
    fn default() -> Self {
        SockExtra {
            v4mapped: true,
            sctp_reuse: false,
            so_reuseport: false,
            rcvlowat: 1,
            linger_secs: 0,
            pathmtu: 0,
            sackfreq: 0,
            pf_retrans: 0,
            ps_retrans: super::options::PS_RETRANS_MAX,
            flowlabel: None,
            dscp: None,
            ip: Vec::new(),
        }
    }
}

/// Per-association settings Linux keeps on `struct sctp_association` that
/// the core has no field for; `None` means "as the socket".
#[derive(Clone, Debug, Default)]
pub struct AssocExtra {
    /// `asoc->encap_port` (host order); None: the primary path's.
    pub encap_port: Option<u16>,
    pub events: Option<Events>,
    pub snd: Option<SndDefaults>,
    pub context: Option<u32>,
    pub maxseg: Option<u32>,
    pub spp_flags: Option<u32>,
    pub sackfreq: u32,
    pub pf_retrans: Option<u16>,
    pub ps_retrans: Option<u16>,
    pub flowlabel: Option<u32>,
    pub dscp: Option<u8>,
}

/// An item of the socket's receive queue, in arrival order.
#[derive(Debug)]
pub enum RxItem {
    Data { assoc: AssocId, piece: RecvData },
    Notification { assoc: AssocId, bytes: Vec<u8> },
}

impl RxItem {
    pub fn assoc(&self) -> AssocId {
        match self {
            RxItem::Data { assoc, .. } | RxItem::Notification { assoc, .. } => *assoc,
        }
    }
}

/// Per-association facts the socket keeps without locking the association.
#[derive(Clone, Debug)]
pub struct AssocInfo {
    pub peer: SocketAddr,
    pub peers: Vec<IpAddr>,
    pub state: AssocState,
    pub buffered: usize,
    pub outbound: u16,
    pub inbound: u16,
    /// The peer sent SHUTDOWN (no more data will come).
    pub peer_shutdown: bool,
    pub up: bool,
    /// Was ever up.
    pub established: bool,
}

/// Mutable socket state.
pub struct Inner {
    pub laddrs: Vec<IpAddr>,
    pub lport: u16,
    pub listening: bool,
    pub backlog: usize,
    pub assocs: super::IdMap<AssocInfo>,
    /// One-to-one listener: established associations waiting for accept().
    pub accept_q: VecDeque<AssocId>,
    pub rxq: VecDeque<RxItem>,
    /// An association whose message is partly read (fragment interleave 0).
    pub reading: Option<AssocId>,
    pub opts: Opts,
    pub so_error: Errno,
    /// One-to-one: no more data will come (peer shut down or gone).
    pub eof: bool,
    pub shut_rd: bool,
    pub shut_wr: bool,
    pub closed: bool,
    /// What the application's descriptor shows now.
    readable: bool,
    writable: bool,
    /// Whether our end's epoll mask has EPOLLIN (filler is read away).
    /// It is taken out only when filler comes while the socket is not
    /// writable (see [`Socket::on_filler`]), not each time the socket
    /// stops being writable: a connect on this host makes the socket
    /// unwritable and writable again within its request, which cost two
    /// epoll_ctl and a recv for nothing.
    watching: bool,
    /// Doorbell bytes sent to the application's end and not yet taken
    /// back (see [`Socket::take_drain`]).
    bells: u8,
    /// Option state Linux keeps on the socket and on each association
    /// beside what `opts` and the protocol core hold (`stack::options`).
    pub extra: SockExtra,
    pub assoc_extra: super::IdMap<AssocExtra>,
    /// Message bytes taken from the send ring, ever.
    pub tx_taken: u64,
    /// The library wrote nonsense into the send ring: it stays closed.
    pub tx_broken: bool,
    /// Data bytes pushed into the receive ring, ever.
    pub rx_pushed: u64,
    /// An association's send buffer grew (or SO_SNDBUF changed) since the
    /// last refresh: a writable one-to-many socket may have become
    /// unwritable. Without it, `refresh` does not sum the buffers of every
    /// association (an idle server with 100,000 of them would on every
    /// heartbeat).
    pub buf_grew: bool,
    /// The configuration the last association this socket started got:
    /// the next one shares it while it is the same (an association's
    /// `Config` is copied on write).
    cfg_shared: Option<Arc<Config>>,
    /// Readable once more for a waiting receiver that must now get an
    /// answer without data (its last association went: ENOTCONN).
    /// Cleared by the next receive that finds nothing.
    wake: bool,
    /// One-to-one listener: what associations waiting for accept() that
    /// ended left behind (Linux keeps them on the listener, CLOSED, with
    /// their data: sctp_cmd_delete_tcb).
    stash: HashMap<AssocId, Stash>,
}

/// What an association that ended before accept() left for its socket.
#[derive(Debug, Default)]
pub struct Stash {
    events: Vec<AssocEvent>,
    data: Vec<RecvData>,
    peer: Option<SocketAddr>,
    peers: Vec<IpAddr>,
    outbound: u16,
    inbound: u16,
    /// AUTH is in use (no SCTP_AUTH_NO_AUTH at COMM_UP).
    auth: bool,
}

/// An SCTP socket.
pub struct Socket {
    /// The host stack's id of this socket (never reused while it runs).
    pub id: u64,
    /// The stack's end of the descriptor pair.
    dfd: OwnedFd,
    /// The inode of the application's end: what a descriptor passed to
    /// prove ownership must match.
    pub app_ino: u64,
    /// The server's epoll set, where `dfd` is registered with [`Socket::id`].
    epfd: c_int,
    pub family: c_int,
    pub style: Style,
    /// Made by sctp_peeloff: one association like a one-to-one socket,
    /// but, as on Linux, still a one-to-many socket underneath
    /// (SOCK_SEQPACKET, no end-of-file: ENOTCONN once the association ends).
    pub peeled: bool,
    pub stack: Arc<Stack>,
    me: Weak<Socket>,
    pub inner: Mutex<Inner>,
    /// Who created it (pid, uid), for `sctpudp-stat`.
    pub creator: (i32, u32),
    /// The send ring shared with the library (`crate::shm`), made when
    /// the library first asks for it, and the descriptor that maps it.
    tx: std::sync::OnceLock<(crate::shm::Ring, OwnedFd)>,
}

/// What the server needs to create a socket.
pub struct NewSocket {
    pub id: u64,
    pub family: c_int,
    pub style: Style,
    pub peeled: bool,
    pub epfd: c_int,
    /// Abstract name for the stack's end (recognition after exec).
    pub name: Vec<u8>,
    pub creator: (i32, u32),
}

// ----- helpers --------------------------------------------------------------

fn unspecified(family: c_int) -> IpAddr {
    if family == libc::AF_INET6 {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    }
}

/// The smallest send buffer for the application's end of the pair: its
/// writability (what it sent and we did not read, against its own
/// SO_SNDBUF) is the socket's. An AF_UNIX stream socket's receive buffer
/// limits nothing (a sender is bounded by its own send buffer alone), and
/// our end sends doorbell bytes only, so neither is set: two system calls
/// per socket were setting them.
fn set_small_sndbuf(fd: c_int) {
    let v: c_int = 1;
    // SAFETY: setsockopt with a valid int argument on our own descriptor.
    unsafe {
        libc::syscall(
            libc::SYS_setsockopt,
            fd,
            libc::SOL_SOCKET,
            libc::SO_SNDBUF,
            &v as *const c_int,
            std::mem::size_of::<c_int>() as libc::socklen_t,
        );
    }
}

fn recv_dontwait(fd: c_int, buf: &mut [u8]) -> isize {
    // SAFETY: `buf` is writable for its length; no address is requested.
    unsafe {
        libc::syscall(
            libc::SYS_recvfrom,
            fd,
            buf.as_mut_ptr(),
            buf.len(),
            libc::MSG_DONTWAIT,
            std::ptr::null_mut::<libc::sockaddr>(),
            std::ptr::null_mut::<libc::socklen_t>(),
        ) as isize
    }
}

/// Reads and discards everything waiting on `fd` (non-blocking).
fn drain_fd(fd: c_int) {
    let mut b = [0u8; 4096];
    while recv_dontwait(fd, &mut b) > 0 {}
}

fn send_dontwait(fd: c_int, buf: &[u8]) -> isize {
    // SAFETY: `buf` is readable for its length; no address is given.
    unsafe {
        libc::syscall(
            libc::SYS_sendto,
            fd,
            buf.as_ptr(),
            buf.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
            std::ptr::null::<libc::sockaddr>(),
            0,
        ) as isize
    }
}

/// Where received bytes go: written contiguously from offset 0, all the
/// parts of one receive in one call (so a copy into application memory
/// is a single system call).
pub trait Sink {
    fn write(&mut self, parts: &mut dyn Iterator<Item = &[u8]>) -> Result<()>;
}

impl Sink for &mut [u8] {
    fn write(&mut self, parts: &mut dyn Iterator<Item = &[u8]>) -> Result<()> {
        let mut off = 0;
        for p in parts {
            self[off..off + p.len()].copy_from_slice(p);
            off += p.len();
        }
        Ok(())
    }
}

/// Outcome of a receive.
#[derive(Debug, Default)]
pub struct Recv {
    pub len: usize,
    pub eor: bool,
    pub notification: bool,
    pub assoc: i32,
    pub from: Option<SocketAddr>,
    /// For data: the first piece's metadata.
    pub info: Option<RecvData>,
    /// The next message's metadata, when known (SCTP_NXTINFO).
    pub next: Option<(u16, u16, u32, usize, i32)>,
}

/// Parameters of one send.
#[derive(Clone, Debug, Default)]
pub struct SendParams {
    pub sid: u16,
    pub flags: u16,
    pub ppid: u32,
    pub context: u32,
    pub assoc: Option<AssocId>,
    pub to: Vec<SocketAddr>,
    /// SCTP_INIT cmsg for implicit setup: (ostreams, instreams).
    pub init: Option<(u16, u16)>,
    /// `sinfo_timetolive`, or `pr_value` of an SCTP_PRINFO cmsg: the
    /// value of the PR-SCTP policy in `flags`.
    pub pr_value: u32,
    /// No SCTP_SNDRCV/SNDINFO came with the send: the values are the
    /// socket's defaults, which an association's own defaults replace
    /// once the association is known (`pr_given`: a PRINFO cmsg came).
    pub defaults: bool,
    pub pr_given: bool,
}

impl SendParams {
    /// The message's PR-SCTP policy (RFC 7496). A time to live with no
    /// policy named is a TTL, as lksctp programs expect of Linux
    /// (func_tests test_timetolive sets only `sinfo_timetolive`).
    pub fn pr(&self) -> PrPolicy {
        match self.flags & t::SCTP_PR_SCTP_MASK {
            t::SCTP_PR_SCTP_RTX => PrPolicy::Rtx(self.pr_value),
            t::SCTP_PR_SCTP_PRIO => PrPolicy::Prio(self.pr_value),
            _ if self.pr_value == 0 => PrPolicy::None,
            _ => PrPolicy::Ttl(std::time::Duration::from_millis(u64::from(self.pr_value))),
        }
    }
}

// ----- the socket -----------------------------------------------------------

impl Socket {
    /// socket(family, SOCK_STREAM | SOCK_SEQPACKET, IPPROTO_SCTP): the
    /// socket and the application's end of its descriptor pair (which the
    /// server hands over and then closes).
    pub fn create(
        stack: &Arc<Stack>,
        n: NewSocket,
        nonblock: bool,
    ) -> Result<(Arc<Socket>, OwnedFd)> {
        if n.family != libc::AF_INET && n.family != libc::AF_INET6 {
            return Err(libc::EAFNOSUPPORT);
        }
        // O_NONBLOCK belongs to the open file, which the application
        // shares: the pair is made with the application's choice, and our
        // end, which never blocks, is made non-blocking if that was not it
        // (one system call, not four: a fresh socket's status flags are
        // O_RDWR alone, so F_SETFL needs no F_GETFL).
        let nb = if nonblock { libc::SOCK_NONBLOCK } else { 0 };
        let (app, dfd) =
            sys::socketpair(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC | nb)
                .map_err(|e| e.raw_os_error().unwrap_or(libc::EMFILE))?;
        // SAFETY: both descriptors are fresh from socketpair and owned here.
        let (app, dfd) = unsafe { (OwnedFd::from_raw_fd(app), OwnedFd::from_raw_fd(dfd)) };
        set_small_sndbuf(app.as_raw_fd());
        if !nonblock {
            let _ = sys::fcntl(dfd.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK);
        }
        sys::bind_abstract(dfd.as_raw_fd(), &n.name)
            .map_err(|e| e.raw_os_error().unwrap_or(libc::EADDRINUSE))?;
        let app_ino =
            sys::inode(app.as_raw_fd()).map_err(|e| e.raw_os_error().unwrap_or(libc::EBADF))?;
        let cfg = stack.default_config();
        let s = Arc::new_cyclic(|me| Socket {
            id: n.id,
            dfd,
            app_ino,
            epfd: n.epfd,
            family: n.family,
            style: n.style,
            peeled: n.peeled,
            stack: stack.clone(),
            me: me.clone(),
            creator: n.creator,
            tx: std::sync::OnceLock::new(),
            inner: Mutex::new(Inner {
                laddrs: Vec::new(),
                lport: 0,
                listening: false,
                backlog: 0,
                assocs: super::IdMap::default(),
                accept_q: VecDeque::new(),
                rxq: VecDeque::new(),
                reading: None,
                opts: Opts::new(cfg),
                so_error: 0,
                eof: false,
                shut_rd: false,
                shut_wr: false,
                closed: false,
                readable: false,
                writable: true,
                watching: true,
                bells: 0,
                extra: SockExtra::default(),
                assoc_extra: super::IdMap::default(),
                tx_taken: 0,
                tx_broken: false,
                rx_pushed: 0,
                buf_grew: false,
                cfg_shared: None,
                wake: false,
                stash: HashMap::new(),
            }),
        });
        // Watch our end: hang-up (the last application descriptor closed)
        // always, filler bytes while writable.
        sys::epoll_add(n.epfd, s.dfd.as_raw_fd(), libc::EPOLLIN as u32, n.id)
            .map_err(|e| e.raw_os_error().unwrap_or(libc::ENOMEM))?;
        Ok((s, app))
    }

    /// The stack's end of the descriptor pair.
    pub fn dfd(&self) -> c_int {
        self.dfd.as_raw_fd()
    }

    fn weak_owner(&self) -> Weak<dyn Owner> {
        let w: Weak<dyn Owner> = self.me.clone();
        w
    }

    /// Makes the application's descriptor as readable and writable as
    /// the socket.
    ///
    /// Readable: while the socket is readable, one doorbell byte waits in
    /// the application's end. Only a holder of that end can read it, so
    /// when the socket stops being readable during a request, the reply
    /// tells the client to take it back ([`Socket::take_drain`]); a byte
    /// sent in between stays counted, so the descriptor is never left
    /// unreadable while data waits (at worst readable once too often).
    ///
    /// Writable: an AF_UNIX stream end is writable while little of what
    /// it sent is unread. When the socket cannot take more, the reply
    /// tells the client to fill its end ([`Socket::needs_fill`]) and we
    /// stop reading ours; when it can again, we read the filler away,
    /// which wakes writers and pollers in the application.
    fn refresh(&self, g: &mut Inner) {
        let ring = self.tx.get().map(|(r, _)| r);
        if let Some(ring) = ring {
            self.feed_rx(ring, g);
            self.publish_tx(ring, g);
        }
        let other = !g.rxq.is_empty()
            || !g.accept_q.is_empty()
            || g.so_error != 0
            || g.wake
            || (self.style == Style::OneToOne && (g.eof || g.shut_rd) && !g.listening);
        match ring {
            // The doorbell lives in the ring (`crate::shm`, "the doorbell").
            Some(ring) => {
                ring.set_other(other);
                let readable = other || ring.rx_pending();
                g.readable = readable;
                if readable && !ring.bell() {
                    ring.ring_bell(|| send_dontwait(self.dfd(), &[1]) == 1);
                }
            }
            None => {
                g.readable = other;
                if other && g.bells == 0 && send_dontwait(self.dfd(), &[1]) == 1 {
                    g.bells = 1;
                }
            }
        }
        // Only more buffered data makes a writable socket unwritable; an
        // unwritable one is checked every time.
        let writable = if g.writable && !g.buf_grew && self.style == Style::OneToMany {
            true
        } else {
            self.writable_now(g)
        };
        g.buf_grew = false;
        if writable != g.writable {
            g.writable = writable;
            // Filler kept while unwritable is read away now, which wakes
            // writers and pollers; while still watched, any filler there
            // wakes the server, which reads it away (`on_filler`).
            if writable && !g.watching {
                drain_fd(self.dfd());
                g.watching = true;
                let _ = sys::epoll_mod(self.epfd, self.dfd(), libc::EPOLLIN as u32, self.id);
            }
        }
    }

    /// After a socket option changed: what the rings publish (buffer
    /// sizes, defaults, SO_RCVTIMEO) and the readiness follow it.
    pub fn options_changed(&self) {
        let mut g = self.inner.lock();
        g.buf_grew = true;
        self.refresh(&mut g);
    }

    /// After a request: how many doorbell bytes the client must read back
    /// from its descriptor (the socket stopped being readable).
    pub fn take_drain(&self) -> u8 {
        let mut g = self.inner.lock();
        if let Some((ring, _)) = self.tx.get() {
            return u8::from(!g.readable && ring.take_bell());
        }
        if g.bells > 0 && !g.readable {
            g.bells = 0;
            return 1;
        }
        0
    }

    /// After a request: whether the client must fill its descriptor
    /// (the socket is not writable).
    pub fn needs_fill(&self) -> bool {
        !self.inner.lock().writable
    }

    /// Our end became readable: filler from the application. Read it away
    /// while the socket is writable; otherwise it stays (and keeps the
    /// application's end unwritable).
    pub fn on_filler(&self) {
        let mut g = self.inner.lock();
        if g.writable {
            drain_fd(self.dfd());
        } else if g.watching {
            // Keep it, and stop watching (the epoll is level-triggered)
            // until the socket is writable again.
            g.watching = false;
            let _ = sys::epoll_mod(self.epfd, self.dfd(), 0, self.id);
        }
    }

    /// Whether the socket is closed (the last application descriptor went).
    pub fn is_closed(&self) -> bool {
        self.inner.lock().closed
    }

    fn writable_now(&self, g: &Inner) -> bool {
        if g.so_error != 0 {
            return true;
        }
        match self.style {
            Style::OneToOne => {
                if g.listening {
                    return false;
                }
                match g.assocs.values().next() {
                    // Unconnected: writable like a fresh TCP socket.
                    None => true,
                    Some(a) => match a.state {
                        AssocState::CookieWait | AssocState::CookieEchoed => false,
                        AssocState::Established => a.buffered < g.opts.sndbuf,
                        _ => true,
                    },
                }
            }
            Style::OneToMany => {
                // An association that ended holds no send buffer (Linux
                // frees its chunks): a sender blocked on it must wake and
                // learn why, even if it last saw the buffer full.
                g.assocs
                    .values()
                    .filter(|a| a.state != AssocState::Closed)
                    .map(|a| a.buffered)
                    .sum::<usize>()
                    < g.opts.sndbuf
            }
        }
    }

    // ----- binding ---------------------------------------------------------

    /// bind() / sctp_bindx(ADD): adds addresses (all with one port).
    pub fn bind(&self, addrs: &[SocketAddr], first_bind: bool, low_ports: bool) -> Result<()> {
        let Some(first) = addrs.first() else { return Err(libc::EINVAL) };
        let mut g = self.inner.lock();
        // sctp_bind: "Disallow binding twice."
        if first_bind && g.lport != 0 {
            return Err(libc::EINVAL);
        }
        // sctp_do_bind, in Linux's order: the address must be this host's
        // (bind_verify, unless IP_FREEBIND or ip_nonlocal_bind), the port
        // the socket's, a port below ip_unprivileged_port_start needs
        // CAP_NET_BIND_SERVICE, an address may be bound once.
        let freebind = g.extra.ip.iter().any(|(l, n, v)| {
            ((*l == libc::IPPROTO_IP && *n == libc::IP_FREEBIND)
                || (*l == libc::IPPROTO_IPV6 && *n == libc::IPV6_FREEBIND))
                && v.iter().any(|b| *b != 0)
        }) || nonlocal_bind(self.family);
        for a in addrs {
            let ip = unmap(a.ip());
            if !ip.is_unspecified() && !freebind && !self.stack.is_local(ip) {
                return Err(libc::EADDRNOTAVAIL);
            }
        }
        let port = if first.port() != 0 { first.port() } else { g.lport };
        if g.lport != 0 && port != g.lport {
            return Err(libc::EINVAL);
        }
        if port != 0 && port < unprivileged_port_start() && !low_ports {
            return Err(libc::EACCES);
        }
        for a in addrs {
            if a.port() != 0 && a.port() != port && port != 0 {
                return Err(libc::EINVAL);
            }
            let ip = unmap(a.ip());
            if !ip.is_unspecified() && g.laddrs.contains(&ip) {
                return Err(libc::EINVAL);
            }
        }
        if g.lport == 0 {
            let reuse = g.opts.reuse_port || g.opts.reuse_addr;
            g.lport = self.stack.bind_port(first.port(), reuse)?;
        }
        let mut added = Vec::new();
        for a in addrs {
            let ip = unmap(a.ip());
            if ip.is_unspecified() {
                g.laddrs.clear();
                break;
            }
            if !g.laddrs.contains(&ip) {
                g.laddrs.push(ip);
                added.push(ip);
            }
        }
        let assocs = self.asconf_targets(&g, first_bind);
        drop(g);
        // RFC 5061: live associations learn the new addresses (ADD-IP).
        for id in assocs {
            for ip in &added {
                let req = crate::proto::assoc::AsconfReq::Add(*ip);
                let _ = self.stack.with_assoc(id, |x, now| x.asconf_request(now, req));
            }
        }
        Ok(())
    }

    /// The associations an `sctp_bindx` change goes to by ASCONF: all of
    /// the socket's, when it offers ASCONF (Linux: `sctp_send_asconf_add_ip`
    /// needs `addip_enable`; each association must have negotiated it).
    fn asconf_targets(&self, g: &Inner, first_bind: bool) -> Vec<AssocId> {
        if first_bind || !g.opts.cfg.asconf_supported {
            return Vec::new();
        }
        g.assocs.iter().filter(|(_, e)| e.state != AssocState::Closed).map(|(id, _)| *id).collect()
    }

    /// sctp_bindx(REM).
    pub fn unbind(&self, addrs: &[SocketAddr]) -> Result<()> {
        let mut g = self.inner.lock();
        if g.lport == 0 {
            return Err(libc::EINVAL);
        }
        let mut removed = Vec::new();
        for a in addrs {
            if g.laddrs.len() <= 1 {
                return Err(libc::EBUSY);
            }
            let ip = unmap(a.ip());
            if g.laddrs.contains(&ip) {
                removed.push(ip);
            }
            g.laddrs.retain(|x| *x != ip);
        }
        let assocs = self.asconf_targets(&g, false);
        drop(g);
        // RFC 5061: live associations are told (DELETE-IP).
        for id in assocs {
            for ip in &removed {
                let req = crate::proto::assoc::AsconfReq::Delete(*ip);
                let _ = self.stack.with_assoc(id, |x, now| x.asconf_request(now, req));
            }
        }
        Ok(())
    }

    fn ensure_bound(&self) -> Result<u16> {
        let mut g = self.inner.lock();
        if g.lport == 0 {
            g.lport = self.stack.bind_port(0, false)?;
        }
        Ok(g.lport)
    }

    // ----- listen / accept -------------------------------------------------

    pub fn listen(&self, backlog: c_int) -> Result<()> {
        // __sys_listen clamps the backlog to net.core.somaxconn (a
        // negative one included: it is compared unsigned).
        let somaxconn = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .ok()
            .and_then(|v| v.trim().parse::<u32>().ok())
            .unwrap_or(4096);
        let backlog = if (backlog as u32) > somaxconn { somaxconn } else { backlog as u32 };
        {
            let g = self.inner.lock();
            // sctp_inet_listen: peeled-off sockets cannot listen; a socket
            // must be CLOSED or LISTENING; backlog 0 stops listening (and
            // is EINVAL on a socket that does not listen).
            let closed = !g.assocs.values().any(|a| a.state != AssocState::Closed);
            if self.peeled || (!g.listening && !closed) {
                return Err(libc::EINVAL);
            }
            if backlog == 0 && !g.listening {
                return Err(libc::EINVAL);
            }
        }
        let lport = self.ensure_bound()?;
        let mut g = self.inner.lock();
        g.listening = backlog > 0;
        g.backlog = backlog as usize;
        let cfg = self.assoc_config(&g, None);
        let laddrs = g.laddrs.clone();
        let listening = g.listening;
        self.refresh(&mut g);
        drop(g);
        if listening {
            self.stack.listen(lport, cfg, laddrs, self.weak_owner());
        } else {
            self.stack.unlisten(lport);
        }
        Ok(())
    }

    /// Hands the listener's current settings to the stack again (after a
    /// socket option changed them).
    pub fn relisten(&self) {
        let g = self.inner.lock();
        if !g.listening {
            return;
        }
        let lport = g.lport;
        let cfg = self.assoc_config(&g, None);
        let laddrs = g.laddrs.clone();
        drop(g);
        self.stack.listen(lport, cfg, laddrs, self.weak_owner());
    }

    /// accept(): a new one-to-one socket for the next association, or
    /// EAGAIN. `n` describes the new socket.
    pub fn accept(
        &self,
        n: NewSocket,
        nonblock: bool,
    ) -> Result<(Arc<Socket>, OwnedFd, SocketAddr)> {
        if self.style != Style::OneToOne {
            return Err(libc::EOPNOTSUPP);
        }
        let mut g = self.inner.lock();
        if !g.listening {
            return Err(libc::EINVAL);
        }
        let Some(id) = g.accept_q.pop_front() else {
            if g.so_error != 0 {
                let e = std::mem::take(&mut g.so_error);
                self.refresh(&mut g);
                return Err(e);
            }
            return Err(libc::EAGAIN);
        };
        let info = g.assocs.remove(&id);
        let stash = g.stash.remove(&id);
        self.refresh(&mut g);
        let opts = g.opts.clone();
        let extra = (g.extra.clone(), g.assoc_extra.remove(&id));
        let (lport, laddrs) = (g.lport, g.laddrs.clone());
        drop(g);
        let (ns, app) = match Socket::create(&self.stack, n, nonblock) {
            Ok(x) => x,
            Err(e) => {
                // Put it back for a later accept().
                let mut g = self.inner.lock();
                g.accept_q.push_front(id);
                if let Some(i) = info {
                    g.assocs.insert(id, i);
                }
                if let Some(st) = stash {
                    g.stash.insert(id, st);
                }
                self.refresh(&mut g);
                return Err(e);
            }
        };
        // The listener did not follow it while it waited: ask it.
        let peer = self
            .stack
            .inspect(id, |a| a.primary_addr().map(|ip| SocketAddr::new(ip, a.peer_port())))
            .flatten()
            .or(stash.as_ref().and_then(|st| st.peer))
            .or(info.as_ref().map(|i| i.peer))
            .unwrap_or(SocketAddr::new(unspecified(self.family), 0));
        {
            let mut nn = ns.inner.lock();
            nn.opts = opts;
            nn.extra = extra.0;
            if let Some(e) = extra.1 {
                nn.assoc_extra.insert(id, e);
            }
            nn.lport = lport;
            self.stack.bind_port(lport, true).ok();
            nn.laddrs = laddrs;
            if let Some(mut i) = info {
                i.peer = peer;
                nn.assocs.insert(id, i);
            }
        }
        match stash {
            // It ended before accept(): the new socket gets what it left,
            // CLOSED and shut down for reading (sctp_sock_migrate).
            Some(st) => ns.adopt_stash(id, st),
            None => self.stack.set_owner(id, ns.weak_owner()),
        }
        {
            let mut nn = ns.inner.lock();
            ns.refresh(&mut nn);
        }
        Ok((ns, app, self.map_addr(peer)))
    }

    /// Maps an IPv4 address for an AF_INET6 socket (as Linux reports
    /// v4-mapped peers on v6 sockets when SCTP_I_WANT_MAPPED_V4_ADDR is on;
    /// Linux's default for v6 sockets is on).
    pub fn map_addr(&self, a: SocketAddr) -> SocketAddr {
        if self.family == libc::AF_INET6 {
            if let IpAddr::V4(v4) = a.ip() {
                return SocketAddr::new(IpAddr::V6(v4.to_ipv6_mapped()), a.port());
            }
        }
        a
    }

    // ----- connect ---------------------------------------------------------

    fn assoc_config(&self, g: &Inner, init: Option<(u16, u16)>) -> Config {
        let mut c = g.opts.cfg.clone();
        if let Some((o, i)) = init {
            if o > 0 {
                c.num_ostreams = o;
            }
            if i > 0 {
                c.max_instreams = i;
            }
        }
        if g.opts.max_init_attempts > 0 {
            c.max_init_retransmits = u32::from(g.opts.max_init_attempts);
        }
        if g.opts.pd_point > 0 {
            c.pd_point = g.opts.pd_point;
        }
        c
    }

    fn start_assoc(&self, peers: &[SocketAddr], init: Option<(u16, u16)>) -> Result<AssocId> {
        let lport = self.ensure_bound()?;
        let mut g = self.inner.lock();
        let cfg = self.assoc_config(&g, init);
        let cfg = match &g.cfg_shared {
            Some(c) if **c == cfg => c.clone(),
            _ => {
                let c = Arc::new(cfg);
                g.cfg_shared = Some(c.clone());
                c
            }
        };
        // The socket's association bound (runtime::Limits): as Linux
        // failing to allocate one.
        if g.assocs.len() >= self.stack.limits().per_socket {
            return Err(libc::ENOMEM);
        }
        let laddrs = g.laddrs.clone();
        let explicit = g.opts.encaps_port;
        drop(g);
        let Some(first) = peers.first() else { return Err(libc::EINVAL) };
        let pport = first.port();
        if pport == 0 {
            return Err(libc::EINVAL);
        }
        // Without an encapsulation port set for the socket, a peer on this
        // host is this stack itself (one endpoint per host, as with the
        // kernel), and any other peer gets the default.
        let targets: Vec<SocketAddr> = peers
            .iter()
            .map(|p| {
                let ip = unmap(p.ip());
                let enc = match explicit {
                    0 if self.stack.is_local(ip) => self.stack.udp_port(),
                    0 => super::runtime::DEFAULT_UDP_PORT,
                    e => e,
                };
                SocketAddr::new(ip, enc)
            })
            .collect();
        {
            let mut g = self.inner.lock();
            // Record it before the first update can arrive.
            let peer = SocketAddr::new(targets[0].ip(), pport);
            g.assocs.insert(
                AssocId(0),
                AssocInfo {
                    peer,
                    peers: targets.iter().map(|t| t.ip()).collect(),
                    state: AssocState::CookieWait,
                    buffered: 0,
                    outbound: 0,
                    inbound: 0,
                    peer_shutdown: false,
                    up: false,
                    established: false,
                },
            );
        }
        let r = self.stack.connect(cfg, lport, pport, &targets, laddrs, self.weak_owner());
        let mut g = self.inner.lock();
        let pending = g.assocs.remove(&AssocId(0));
        match r {
            Ok(id) => {
                if let Some(p) = pending {
                    g.assocs.entry(id).or_insert(p);
                }
                self.refresh(&mut g);
                Ok(id)
            }
            Err(e) => Err(e),
        }
    }

    /// connect() / sctp_connectx(): starts an association and returns
    /// its id; [`Socket::connect_status`] says when it is up.
    pub fn connect(&self, peers: &[SocketAddr]) -> Result<AssocId> {
        let known = self.indexed(peers);
        {
            let mut g = self.inner.lock();
            // An association that failed or ended is forgotten: a
            // one-to-one socket whose connect was refused may connect
            // again (Linux frees the association and the socket is CLOSED).
            if self.style == Style::OneToOne {
                g.assocs.retain(|_, a| a.state != AssocState::Closed);
            }
            let busy = |a: &AssocInfo| {
                if a.up || a.established {
                    libc::EISCONN
                } else {
                    libc::EALREADY
                }
            };
            if self.style == Style::OneToOne {
                if g.listening {
                    return Err(libc::EISCONN);
                }
                if let Some(a) = g.assocs.values().next() {
                    return Err(busy(a));
                }
            } else {
                // __sctp_connect: an association of this socket with the
                // peer already exists: EISCONN once established, EALREADY
                // while it is being set up.
                // From the endpoint's index (a scan of every association
                // made each connect cost their number), and the one being
                // set up meanwhile, not indexed yet; an address indexed to
                // another socket's or an ended association (one owner per
                // address) is looked for among ours after all.
                let port = peers.first().map(|p| p.port()).unwrap_or(0);
                let same = |a: &&AssocInfo| {
                    a.state != AssocState::Closed
                        && a.peer.port() == port
                        && peers.iter().any(|p| a.peers.contains(&unmap(p.ip())))
                };
                let mut existing = known
                    .iter()
                    .chain(std::iter::once(&AssocId(0)))
                    .filter_map(|id| g.assocs.get(id))
                    .find(same);
                if existing.is_none() && !known.is_empty() {
                    existing = g.assocs.values().find(same);
                }
                if let Some(a) = existing {
                    return Err(busy(a));
                }
            }
        }
        self.start_assoc(peers, None)
    }

    /// Whether association `id` is up; takes nothing (SO_ERROR stays).
    pub fn connect_status_peek(&self, id: AssocId) -> bool {
        self.inner.lock().assocs.get(&id).is_some_and(|a| a.up)
    }

    /// Ok once association `id` is up, EINPROGRESS while it is being set
    /// up, else why it failed (the pending SO_ERROR, taken).
    pub fn connect_status(&self, id: AssocId) -> Result<()> {
        let mut g = self.inner.lock();
        match g.assocs.get(&id) {
            Some(a) if a.up => Ok(()),
            Some(a) if a.state != AssocState::Closed => Err(libc::EINPROGRESS),
            _ => {
                let e = std::mem::take(&mut g.so_error);
                self.refresh(&mut g);
                Err(if e != 0 { e } else { libc::ECONNREFUSED })
            }
        }
    }

    // ----- sending ---------------------------------------------------------

    /// The associations of this stack's endpoint with a path to one of
    /// `peers` (perhaps another socket's). Taken before the socket's lock.
    fn indexed(&self, peers: &[SocketAddr]) -> Vec<AssocId> {
        if self.style != Style::OneToMany || peers.is_empty() {
            return Vec::new();
        }
        let lport = self.inner.lock().lport;
        // The first address's port is the association's (start_assoc).
        let port = peers[0].port();
        peers.iter().filter_map(|p| self.stack.assoc_at(p.ip(), port, lport)).collect()
    }

    /// The association a send names (sctp_sendmsg): by address
    /// (sctp_endpoint_lookup_assoc), else by id (sctp_id2assoc: a one-to-
    /// one socket's association while ESTABLISHED or CLOSING; on a one-to-
    /// many socket an id of its own). `Err(None)`: none, create one.
    /// `known`: [`Socket::indexed`] for `p.to`.
    fn lookup(
        &self,
        g: &Inner,
        p: &SendParams,
        known: &[AssocId],
    ) -> std::result::Result<AssocId, Option<Errno>> {
        if let Some(to) = p.to.first() {
            let ip = unmap(to.ip());
            // A one-to-many socket forgets an association once it ended
            // (Linux frees it); a one-to-one socket keeps its CLOSED one.
            let to_it = |a: &AssocInfo| {
                a.peer.port() == to.port()
                    && (a.peers.contains(&ip) || a.peer.ip() == ip)
                    && (self.style == Style::OneToOne || a.state != AssocState::Closed)
            };
            if self.style == Style::OneToMany {
                // From the endpoint's index (a scan of every association
                // made each send by address cost their number). An
                // address it does not know is nobody's; one it gives to
                // another socket's or an ended association (it keeps one
                // owner per address) is looked for among ours after all.
                if known.is_empty() {
                    return Err(None);
                }
                if let Some(id) =
                    known.iter().copied().find(|id| g.assocs.get(id).is_some_and(to_it))
                {
                    return Ok(id);
                }
            }
            return g.assocs.iter().find(|(_, a)| to_it(a)).map(|(id, _)| *id).ok_or(None);
        }
        match self.style {
            Style::OneToOne => g
                .assocs
                .iter()
                .find(|(_, a)| a.state != AssocState::Closed)
                .map(|(id, _)| *id)
                .ok_or(Some(libc::EPIPE)),
            Style::OneToMany => match p.assoc {
                Some(id)
                    if id.0 > 2
                        && g.assocs.get(&id).is_some_and(|a| a.state != AssocState::Closed) =>
                {
                    Ok(id)
                }
                _ => Err(Some(libc::EPIPE)),
            },
        }
    }

    /// Sends one message, as Linux's sctp_sendmsg: returns the bytes
    /// accepted, EAGAIN while the send buffer is full, or the errno Linux
    /// gives at the same point.
    pub fn send(&self, data: Bytes, p: &SendParams) -> Result<usize> {
        use crate::abi::types::{
            SCTP_ABORT, SCTP_ADDR_OVER, SCTP_EOF, SCTP_SACK_IMMEDIATELY, SCTP_SENDALL,
            SCTP_UNORDERED,
        };
        // sctp_msghdr_parse: flags outside what Linux knows.
        const KNOWN: u16 = SCTP_UNORDERED
            | SCTP_ADDR_OVER
            | SCTP_ABORT
            | SCTP_EOF
            | SCTP_SACK_IMMEDIATELY
            | SCTP_SENDALL
            | 0x0030; // SCTP_PR_SCTP_MASK
        let sflags = p.flags;
        let len = data.len();
        {
            let g = self.inner.lock();
            // sctp_sendmsg_parse.
            if self.style == Style::OneToOne && g.listening {
                return Err(libc::EPIPE);
            }
            if len > g.opts.sndbuf {
                return Err(libc::EMSGSIZE);
            }
        }
        if sflags & !KNOWN != 0 {
            return Err(libc::EINVAL);
        }
        if sflags != 0 || len == 0 {
            if self.style == Style::OneToOne && sflags & (SCTP_EOF | SCTP_ABORT) != 0 {
                return Err(libc::EINVAL);
            }
            if (sflags & SCTP_EOF != 0 && len > 0)
                || (sflags & (SCTP_EOF | SCTP_ABORT) == 0 && len == 0)
            {
                return Err(libc::EINVAL);
            }
            if sflags & SCTP_ADDR_OVER != 0 && p.to.is_empty() {
                return Err(libc::EINVAL);
            }
        }
        // sctp_sendmsg_get_daddr: a peeled-off socket ignores msg_name;
        // otherwise the address must be usable.
        let stripped;
        let p = if self.peeled && !p.to.is_empty() {
            stripped = SendParams { to: Vec::new(), ..p.clone() };
            &stripped
        } else {
            p
        };
        if let Some(to) = p.to.first() {
            check_peer_addr(self.family, to)?;
        }
        if self.style == Style::OneToMany && sflags & SCTP_SENDALL != 0 {
            let ids: Vec<AssocId> = self.inner.lock().assocs.keys().copied().collect();
            let mut q = p.clone();
            q.flags &= !SCTP_SENDALL;
            q.to.clear();
            for id in ids {
                q.assoc = Some(id);
                let established = self.inner.lock().assocs.get(&id).is_some_and(|a| a.up);
                if !established {
                    continue;
                }
                self.send(data.clone(), &q)?;
            }
            return Ok(len);
        }
        let known = self.indexed(&p.to[..p.to.len().min(1)]);
        let found = {
            let g = self.inner.lock();
            self.lookup(&g, p, &known)
        };
        let id = match found {
            Ok(id) => {
                // sctp_sendmsg_check_sflags.
                let closed =
                    self.inner.lock().assocs.get(&id).is_none_or(|a| a.state == AssocState::Closed);
                if closed && self.style == Style::OneToOne {
                    return Err(libc::EPIPE);
                }
                if sflags & SCTP_EOF != 0 {
                    self.stack.with_assoc(id, |a, now| a.shutdown(now));
                    return Ok(0);
                }
                if sflags & SCTP_ABORT != 0 {
                    // sctp_make_abort_user: the data is the User-Initiated
                    // Abort cause's reason; an ABORT chunk past
                    // SCTP_MAX_CHUNK_LEN cannot be made (ENOMEM there,
                    // and the association lives on).
                    if data.len() > crate::proto::assoc::MAX_ABORT_REASON {
                        return Err(libc::ENOMEM);
                    }
                    self.stack.with_assoc(id, |a, now| a.abort(now, data.clone()));
                    return Ok(0);
                }
                id
            }
            Err(Some(e)) => return Err(e),
            Err(None) => {
                // sctp_sendmsg_new_asoc.
                if sflags & (SCTP_EOF | SCTP_ABORT) != 0 {
                    return Err(libc::EINVAL);
                }
                {
                    let g = self.inner.lock();
                    if self.style == Style::OneToOne {
                        if g.assocs.values().any(|a| a.state != AssocState::Closed) {
                            return Err(libc::EADDRNOTAVAIL);
                        }
                        if g.eof || g.shut_wr {
                            return Err(libc::EPIPE);
                        }
                    }
                }
                if self.style == Style::OneToOne {
                    self.inner.lock().assocs.retain(|_, a| a.state != AssocState::Closed);
                }
                // Implicit association setup (RFC 6458 7.5).
                self.start_assoc(&p.to, p.init)?
            }
        };
        // An association's own SCTP_DEFAULT_SEND_PARAM / SNDINFO apply to
        // a send that names none (sctp_sendmsg_parse uses asoc->default_*).
        let assoc_snd = if p.defaults {
            self.inner.lock().assoc_extra.get(&id).and_then(|e| e.snd)
        } else {
            None
        };
        let with_assoc_defaults;
        let p = match assoc_snd {
            Some(d) => {
                let (flags, pr_value) = if p.pr_given {
                    (
                        (d.flags & !t::SCTP_PR_SCTP_MASK) | (p.flags & t::SCTP_PR_SCTP_MASK),
                        p.pr_value,
                    )
                } else {
                    (d.flags, d.ttl)
                };
                with_assoc_defaults = SendParams {
                    sid: d.sid,
                    flags,
                    ppid: ppid_in(d.ppid),
                    context: d.context,
                    pr_value,
                    ..p.clone()
                };
                &with_assoc_defaults
            }
            None => p,
        };
        let len = data.len();
        let opt = SendOptions {
            stream_id: p.sid,
            ppid: p.ppid,
            unordered: p.flags & SCTP_UNORDERED != 0,
            sack_immediately: p.flags & SCTP_SACK_IMMEDIATELY != 0,
            context: p.context,
        };
        let (sndbuf, frag_off) = {
            let g = self.inner.lock();
            (g.opts.sndbuf, g.opts.disable_fragments)
        };
        let (pr, pr_value) = (p.pr(), p.pr_value);
        let r = self.stack.with_assoc(id, |a, now| {
            if frag_off && len > a.paths().iter().map(|p| p.mtu as usize).min().unwrap_or(1200) - 28
            {
                return Err(libc::EMSGSIZE);
            }
            // The SEND primitive in each state (sm_statetable.c): shutting
            // down gives ESHUTDOWN.
            match a.state() {
                AssocState::CookieWait | AssocState::CookieEchoed | AssocState::Established => {}
                AssocState::Closed => return Err(libc::EPIPE),
                _ => return Err(libc::ESHUTDOWN),
            }
            // sctp_prsctp_prune: without room for the message, PRIO
            // messages less important than its pr_value make room.
            let buffered = a.buffered_amount();
            if buffered + len > sndbuf {
                a.abandon_lower_priority(now, pr_value, buffered + len - sndbuf);
            }
            // As Linux (sctp_sendmsg_to_asoc): a message waits only while
            // the send buffer is full; any room takes it whole.
            if a.buffered_amount() >= sndbuf {
                return Err(libc::EAGAIN);
            }
            match a.send_with(now, data, opt, pr) {
                Ok(()) => Ok(len),
                Err(SendError::InvalidStream) => Err(libc::EINVAL),
                Err(SendError::Empty) => Err(libc::EINVAL),
                Err(SendError::Closed) | Err(SendError::ShuttingDown) => Err(libc::EPIPE),
            }
        });
        let r = r.unwrap_or(Err(libc::EPIPE));
        if r == Err(libc::EAGAIN) {
            // The socket's view of the buffer may lag the association's.
            let mut g = self.inner.lock();
            if let Some(i) = g.assocs.get_mut(&id) {
                i.buffered = i.buffered.max(sndbuf);
            }
            g.buf_grew = true;
            self.refresh(&mut g);
        }
        r
    }

    // ----- the send ring -----------------------------------------------------

    /// The send ring's descriptor, for a library that asks (made on first
    /// use). Only a one-to-one socket has one.
    pub fn tx_ring_fd(&self) -> Result<std::os::fd::BorrowedFd<'_>> {
        if self.style != Style::OneToOne || self.peeled || self.inner.lock().listening {
            return Err(libc::EOPNOTSUPP);
        }
        if self.tx.get().is_none() {
            let mut g = self.inner.lock();
            if self.tx.get().is_none() {
                let made = crate::shm::Ring::create()
                    .map_err(|e| e.raw_os_error().unwrap_or(libc::ENOMEM))?;
                // The doorbell moves into the ring.
                made.0.set_bell(g.bells > 0);
                g.bells = 0;
                let _ = self.tx.set(made);
            }
            self.refresh(&mut g);
        }
        let (_, fd) = self.tx.get().ok_or(libc::ENOMEM)?;
        Ok(std::os::fd::AsFd::as_fd(fd))
    }

    /// Publishes when the library may push into the send ring: an
    /// established association that nothing shuts, a default stream that
    /// exists and default flags the stack cannot refuse; and how much the
    /// send buffer has room for (Linux takes a message while the buffer
    /// is not full: sctp_sendmsg_to_asoc).
    fn publish_tx(&self, ring: &crate::shm::Ring, g: &Inner) {
        let a = g.assocs.values().next().filter(|a| a.state == AssocState::Established);
        let d = g.opts.snd;
        // An association with defaults of its own: the slow way applies them.
        let own_defaults = a.is_some()
            && g.assoc_extra
                .get(g.assocs.keys().next().unwrap_or(&AssocId(0)))
                .is_some_and(|e| e.snd.is_some());
        let open = !g.tx_broken
            && !own_defaults
            && !g.closed
            && !g.listening
            && !g.shut_wr
            && !g.eof
            && g.so_error == 0
            && !g.opts.disable_fragments
            && d.flags & !(t::SCTP_UNORDERED | t::SCTP_PR_SCTP_MASK) == 0
            && a.is_some_and(|a| d.sid < a.outbound);
        let (ostreams, buffered) = a.map(|a| (a.outbound, a.buffered)).unwrap_or((0, 0));
        let room = g.opts.sndbuf.saturating_sub(buffered);
        ring.publish(open, ostreams, g.opts.sndbuf, g.tx_taken, room);
        // A reader may wait without asking while the association lives
        // (recv_block_errno would say 0).
        let live = g.assocs.values().any(|a| a.state != AssocState::Closed);
        let ms = g.opts.rcvtimeo.map_or(-1, |d| d.as_millis().min(i64::MAX as u128) as i64);
        ring.set_rcvtimeo((live && !g.listening && !g.closed).then_some(ms));
    }

    /// Moves what waits at the front of the receive queue into the
    /// receive ring while it can: whole messages up to the ring's size and
    /// notifications, each with the reply body a `Recv` request would
    /// give. Not while a message is partly read through requests, and not
    /// with SCTP_RECVNXTINFO (which describes the next message at read
    /// time). What stays goes by requests, which the library makes only
    /// once the ring is empty, so the order holds.
    fn feed_rx(&self, ring: &crate::shm::Ring, g: &mut Inner) {
        if g.tx_broken || g.closed || g.opts.recvnxtinfo || g.reading.is_some() {
            return;
        }
        ring.rx_kick_at((initial_rwnd(g.opts.rcvbuf) as usize / 4).max(1500));
        while let Some(front) = g.rxq.front() {
            let (assoc, notification, eor, len) = match front {
                RxItem::Notification { assoc, bytes } => (*assoc, true, true, bytes.len()),
                RxItem::Data { assoc, piece } => (*assoc, false, piece.eor, piece.data.len()),
            };
            if !eor || len > crate::shm::MAX_MSG {
                return;
            }
            let from = g.assocs.get(&assoc).map(|a| self.map_addr(a.peer));
            let mut rv = Recv {
                len,
                eor: true,
                notification,
                assoc: assoc.0 as i32,
                from,
                ..Recv::default()
            };
            if let RxItem::Data { piece, .. } = front {
                rv.info = Some(RecvData { data: Bytes::new(), ..piece.clone() });
            }
            let meta = crate::ipc::RecvMeta {
                eor: true,
                notification,
                assoc: rv.assoc,
                from,
                cmsgs: Self::cmsgs_locked(g, &rv),
                data_len: len as u64,
            };
            let mut w = crate::ipc::W::new();
            meta.encode(&mut w);
            let data: &[u8] = match front {
                RxItem::Notification { bytes, .. } => bytes,
                RxItem::Data { piece, .. } => &piece.data,
            };
            if !ring.rx_push(&w.0, data, notification) {
                return;
            }
            if !notification {
                g.rx_pushed += len as u64;
            }
            g.rxq.pop_front();
        }
    }

    /// Data bytes the library read from the receive ring since the stack
    /// last looked: to give back to the association's window.
    fn rx_released(&self) -> usize {
        self.tx.get().map(|(r, _)| r.rx_release()).unwrap_or(0)
    }

    /// A reader kicked: gives its reads back to the window (a window
    /// update goes out if it opened enough) and takes what the send ring
    /// holds. Returns whether anything was sent.
    pub fn kicked(&self) -> bool {
        {
            // A reader may have taken the doorbell back as a record came.
            let mut g = self.inner.lock();
            self.refresh(&mut g);
        }
        let n = self.rx_released();
        let mut any = false;
        if n > 0 {
            let id = self.inner.lock().assocs.keys().next().copied();
            if let Some(id) = id {
                self.stack.with_assoc(id, |a, _| a.release(n));
                any = true;
            }
        }
        self.drain_tx() || any
    }

    /// Whether the library has read the receive ring empty of data.
    fn rx_unread(&self, g: &Inner) -> bool {
        self.tx.get().is_some_and(|(r, _)| r.rx_unread(g.rx_pushed) > 0)
    }

    /// Takes what the library pushed into the send ring and sends it, in
    /// order. Returns whether anything was sent (the caller pumps).
    pub fn drain_tx(&self) -> bool {
        let Some((ring, _)) = self.tx.get() else { return false };
        ring.unpark();
        let mut any = false;
        let mut batch = Vec::new();
        loop {
            let took = ring.take(&mut batch);
            if batch.is_empty() {
                if took.is_none() {
                    crate::log::log(
                        crate::log::Level::Warn,
                        "send ring: nonsense from the library; closed",
                    );
                    let mut g = self.inner.lock();
                    g.tx_broken = true;
                    self.refresh(&mut g);
                    return any;
                }
                if ring.park() {
                    return any;
                }
                continue;
            }
            self.send_taken(&mut batch);
            any = true;
            let mut g = self.inner.lock();
            g.tx_taken += took.unwrap_or(0);
            if took.is_none() {
                g.tx_broken = true;
            }
            self.refresh(&mut g);
        }
    }

    /// Sends messages from the ring to the socket's association in one
    /// go (one flush: they bundle). The library pushed them only while
    /// the association was established, to a stream it has, with flags
    /// it takes; one that fails anyway (the association ended meanwhile)
    /// is dropped, as a message queued in the kernel is when its
    /// association aborts.
    fn send_taken(&self, batch: &mut Vec<crate::shm::Taken>) {
        let (id, d) = {
            let g = self.inner.lock();
            (g.assocs.keys().next().copied(), g.opts.snd)
        };
        let n = batch.len();
        let Some(id) = id else {
            batch.clear();
            return;
        };
        let sent = self.stack.with_assoc(id, |a, now| {
            if a.state() != AssocState::Established {
                return 0;
            }
            let mut sent = 0;
            for m in batch.drain(..) {
                let (sid, flags, ppid, context, ttl) = match m.info {
                    Some(i) => (i.sid, i.flags, i.ppid, i.context, i.ttl),
                    None => (d.sid, d.flags, d.ppid, d.context, d.ttl),
                };
                let p = SendParams {
                    sid,
                    flags,
                    ppid: ppid_in(ppid),
                    context,
                    pr_value: ttl,
                    ..SendParams::default()
                };
                let opt = SendOptions {
                    stream_id: sid,
                    ppid: p.ppid,
                    unordered: flags & t::SCTP_UNORDERED != 0,
                    sack_immediately: false,
                    context,
                };
                if a.send_with(now, m.data, opt, p.pr()).is_ok() {
                    sent += 1;
                }
            }
            sent
        });
        batch.clear();
        let sent = sent.unwrap_or(0);
        if sent < n {
            crate::log::debug!(
                "socket {}: {} ring messages dropped (association gone)",
                self.id,
                n - sent
            );
        }
    }

    /// The send timeout and receive timeout (SO_SNDTIMEO, SO_RCVTIMEO) in
    /// milliseconds, -1 for none: how long a blocking caller waits.
    pub fn timeouts_ms(&self) -> (i64, i64) {
        let g = self.inner.lock();
        let ms = |d: Option<Duration>| {
            d.map(|d| d.as_millis().min(i64::MAX as u128) as i64).unwrap_or(-1)
        };
        (ms(g.opts.sndtimeo), ms(g.opts.rcvtimeo))
    }

    // ----- receiving -------------------------------------------------------

    /// Receives at most `cap` bytes into `sink`, or EAGAIN. `peek` leaves
    /// the data queued; so does a sink error: nothing is lost.
    pub fn recv_with(&self, cap: usize, sink: &mut dyn Sink, peek: bool) -> Result<Recv> {
        let mut g = self.inner.lock();
        // sctp_recvmsg: a one-to-one socket that is not ESTABLISHED,
        // CLOSING or CLOSED (a listening one) is not connected.
        if self.style == Style::OneToOne && !self.peeled && g.listening {
            return Err(libc::ENOTCONN);
        }
        // The receive ring holds what came first: the library reads it
        // before it asks.
        if self.tx.get().is_some_and(|(r, _)| r.rx_pending()) {
            return Err(crate::ipc::READ_RING);
        }
        if let Some(r) = self.recv_locked(&mut g, cap, sink, peek) {
            let r = match r {
                Ok(r) => r,
                Err(e) => {
                    self.refresh(&mut g);
                    return Err(e);
                }
            };
            let released = if peek { 0 } else { r.1 };
            self.refresh(&mut g);
            drop(g);
            if released > 0 {
                let id = AssocId(r.0.assoc as u32);
                self.stack.with_assoc(id, |a, _| a.release(released));
            }
            return Ok(r.0);
        }
        // sctp_skb_recv_datagram: a pending error, then end of file (one-to-
        // one RCV_SHUTDOWN), then would block (sctp_wait_for_packet: a
        // socket with no association that is not listening gets ENOTCONN
        // instead of a wait: see recv_block_errno).
        if g.so_error != 0 {
            let e = std::mem::take(&mut g.so_error);
            self.refresh(&mut g);
            return Err(e);
        }
        if self.style == Style::OneToOne && (g.eof || g.shut_rd) {
            return Ok(Recv::default());
        }
        g.wake = false;
        self.refresh(&mut g);
        Err(libc::EAGAIN)
    }

    /// What a blocking receive that found nothing gets instead of waiting:
    /// ENOTCONN when the socket has no live association and does not
    /// listen (sctp_wait_for_packet), else 0 (wait).
    pub fn recv_block_errno(&self) -> Errno {
        let g = self.inner.lock();
        let live = g.assocs.values().any(|a| a.state != AssocState::Closed);
        if !live && !g.listening {
            libc::ENOTCONN
        } else {
            0
        }
    }

    /// Takes what is queued under the lock. Returns the result and the
    /// number of data bytes to give back to the association's window.
    /// A sink failure (EFAULT) leaves the queue as it was.
    #[allow(clippy::type_complexity)]
    fn recv_locked(
        &self,
        g: &mut Inner,
        cap: usize,
        sink: &mut dyn Sink,
        peek: bool,
    ) -> Option<Result<(Recv, usize)>> {
        // While a message is partly read, only that association's items
        // may be returned (SCTP_FRAGMENT_INTERLEAVE 0).
        let idx = match g.reading {
            Some(id) => g
                .rxq
                .iter()
                .position(|i| matches!(i, RxItem::Data { assoc, .. } if *assoc == id))?,
            None => {
                if g.rxq.is_empty() {
                    return None;
                }
                0
            }
        };
        let item_assoc = g.rxq[idx].assoc();
        let from = g.assocs.get(&item_assoc).map(|a| self.map_addr(a.peer));
        let mut out = Recv { assoc: item_assoc.0 as i32, from, ..Recv::default() };
        if let RxItem::Notification { bytes, .. } = &mut g.rxq[idx] {
            let n = bytes.len().min(cap);
            if let Err(e) = sink.write(&mut std::iter::once(&bytes[..n])) {
                return Some(Err(e));
            }
            out.len = n;
            out.notification = true;
            out.eor = n == bytes.len();
            if !peek {
                if out.eor {
                    g.rxq.remove(idx);
                } else {
                    bytes.drain(..n);
                }
            }
            return Some(Ok((out, 0)));
        }
        // Data: plan which pieces of this message fit (until the buffer is
        // full or the message ends), copy them in one go, then consume.
        let mut plan: Vec<(usize, usize)> = Vec::new();
        let mut copied = 0;
        let mut i = idx;
        while i < g.rxq.len() && copied < cap {
            let RxItem::Data { assoc, piece } = &g.rxq[i] else {
                i += 1;
                continue;
            };
            if *assoc != item_assoc {
                i += 1;
                continue;
            }
            if out.info.is_none() {
                out.info = Some(RecvData { data: Bytes::new(), ..piece.clone() });
            }
            let n = piece.data.len().min(cap - copied);
            plan.push((i, n));
            copied += n;
            i += 1;
            if piece.eor && n == piece.data.len() {
                out.eor = true;
                break;
            }
        }
        let rxq = &g.rxq;
        let mut parts = plan.iter().map(|&(k, n)| match &rxq[k] {
            RxItem::Data { piece, .. } => &piece.data[..n],
            RxItem::Notification { .. } => &[][..],
        });
        if let Err(e) = sink.write(&mut parts) {
            return Some(Err(e));
        }
        if !peek {
            for &(k, n) in plan.iter().rev() {
                let whole = match &mut g.rxq[k] {
                    RxItem::Data { piece, .. } if n < piece.data.len() => {
                        let _ = piece.data.split_to(n);
                        false
                    }
                    _ => true,
                };
                if whole {
                    g.rxq.remove(k);
                }
            }
            // NXTINFO below looks at the item after what was consumed.
            i = idx;
        }
        out.len = copied;
        if !peek {
            g.reading = if out.eor { None } else { Some(item_assoc) };
        }
        // SCTP_NXTINFO: the next message, if one is queued.
        if g.opts.recvnxtinfo && out.eor {
            if let Some(item) = g.rxq.get(i) {
                match item {
                    RxItem::Data { assoc, piece } => {
                        let len: usize = piece.data.len();
                        let fl =
                            if piece.unordered { crate::abi::types::SCTP_UNORDERED } else { 0 };
                        out.next = Some((piece.stream_id, fl, piece.ppid, len, assoc.0 as i32));
                    }
                    RxItem::Notification { assoc, bytes } => {
                        out.next = Some((
                            0,
                            crate::abi::types::SCTP_NOTIFICATION,
                            0,
                            bytes.len(),
                            assoc.0 as i32,
                        ));
                    }
                }
            }
        }
        Some(Ok((out, if peek { 0 } else { copied })))
    }

    /// Bytes readable now (FIONREAD): the next message's queued bytes.
    pub fn readable_bytes(&self) -> usize {
        if let Some(n) = self.tx.get().and_then(|(r, _)| r.rx_first_len()) {
            return n;
        }
        let g = self.inner.lock();
        match g.rxq.front() {
            Some(RxItem::Notification { bytes, .. }) => bytes.len(),
            Some(RxItem::Data { assoc, .. }) => {
                let mut n = 0;
                for it in g.rxq.iter() {
                    if let RxItem::Data { assoc: a, piece } = it {
                        if a == assoc {
                            n += piece.data.len();
                            if piece.eor {
                                break;
                            }
                        }
                    }
                }
                n
            }
            None => 0,
        }
    }

    // ----- shutdown, close, peeloff ---------------------------------------

    /// shutdown(how).
    pub fn shutdown(&self, how: c_int) -> Result<()> {
        // inet_shutdown(): an invalid `how` first; then by socket state: a
        // listening socket takes SHUT_WR as a no-op and refuses reading
        // shutdowns (sctp_disconnect: EOPNOTSUPP); one without an
        // association records the bits but is not connected (ENOTCONN);
        // otherwise the bits are set and, for one-to-one sockets,
        // SHUT_WR starts the association's SHUTDOWN (sctp_shutdown).
        if !(libc::SHUT_RD..=libc::SHUT_RDWR).contains(&how) {
            return Err(libc::EINVAL);
        }
        let rd = how == libc::SHUT_RD || how == libc::SHUT_RDWR;
        let wr = how == libc::SHUT_WR || how == libc::SHUT_RDWR;
        let id = {
            let mut g = self.inner.lock();
            if g.listening {
                return if rd { Err(libc::EOPNOTSUPP) } else { Ok(()) };
            }
            g.shut_rd |= rd;
            g.shut_wr |= wr;
            let live =
                g.assocs.iter().find(|(_, a)| a.state != AssocState::Closed).map(|(id, _)| *id);
            self.refresh(&mut g);
            // A one-to-many socket that is not listening is in state
            // CLOSED for inet_shutdown, as is a one-to-one socket without
            // an association.
            if self.style == Style::OneToMany || live.is_none() {
                return Err(libc::ENOTCONN);
            }
            live
        };
        if wr {
            if let Some(id) = id {
                self.stack.with_assoc(id, |a, now| a.shutdown(now));
            }
        }
        Ok(())
    }

    /// Starts closing every association (graceful, or abort with SO_LINGER
    /// 0 or unread data), without waiting.
    pub fn close_associations(&self) {
        let (ids, linger, unread) = {
            let g = self.inner.lock();
            let mut unread: Vec<AssocId> = g
                .rxq
                .iter()
                .filter(|i| matches!(i, RxItem::Data { .. }))
                .map(|i| i.assoc())
                .collect();
            // Data in the receive ring is unread too (one-to-one: its one
            // association).
            if self.rx_unread(&g) {
                unread.extend(g.assocs.keys().copied());
            }
            (
                g.assocs.keys().chain(g.accept_q.iter()).copied().collect::<Vec<_>>(),
                g.opts.linger,
                unread,
            )
        };
        let abort = linger == Some(Duration::ZERO);
        for id in ids {
            // Unread data on close aborts, as on Linux.
            let has_unread = unread.contains(&id);
            let _ = self.stack.with_assoc(id, |a, now| {
                if abort || has_unread || a.readable() {
                    crate::log::debug!(
                        "socket {} closes assoc {}: abort (linger 0 {abort}, unread {has_unread})",
                        self.id,
                        id.0
                    );
                    a.abort(now, Bytes::new());
                } else {
                    a.shutdown(now);
                }
            });
        }
    }

    /// The last descriptor was closed: shut down or abort (SO_LINGER 0)
    /// every association, stop listening, free the port.
    /// The last application descriptor was closed: shut down or abort
    /// (SO_LINGER 0, unread data) every association, stop listening, free
    /// the port. Lingering (SO_LINGER with a timeout) is the library's: it
    /// asks [`Socket::lingering`] until the associations are gone.
    pub fn close_now(&self) {
        let (lport, listening, closed) = {
            let g = self.inner.lock();
            (g.lport, g.listening, g.closed)
        };
        if closed {
            return;
        }
        if listening {
            self.stack.unlisten(lport);
        }
        self.close_associations();
        self.inner.lock().closed = true;
        if lport != 0 {
            self.stack.release_port(lport);
        }
        let _ = sys::epoll_del(self.epfd, self.dfd());
    }

    /// Whether an association of this socket is still shutting down.
    pub fn lingering(&self) -> bool {
        let ids: Vec<AssocId> = self.inner.lock().assocs.keys().copied().collect();
        ids.iter().any(|id| self.stack.inspect(*id, |a| !a.is_closed()).unwrap_or(false))
    }

    /// SO_LINGER's timeout, if one is set and not zero.
    pub fn linger(&self) -> Option<Duration> {
        self.inner.lock().opts.linger.filter(|d| !d.is_zero())
    }

    /// sctp_peeloff(): moves association `id` to a new one-to-one socket
    /// described by `n`.
    pub fn peeloff(
        &self,
        id: AssocId,
        n: NewSocket,
        nonblock: bool,
    ) -> Result<(Arc<Socket>, OwnedFd)> {
        if self.style != Style::OneToMany {
            return Err(libc::EINVAL);
        }
        let (info, items, opts, lport, laddrs) = {
            let mut g = self.inner.lock();
            let Some(info) = g.assocs.remove(&id) else { return Err(libc::EINVAL) };
            let mut items = VecDeque::new();
            let mut keep = VecDeque::new();
            for it in g.rxq.drain(..) {
                if it.assoc() == id {
                    items.push_back(it);
                } else {
                    keep.push_back(it);
                }
            }
            g.rxq = keep;
            if g.reading == Some(id) {
                g.reading = None;
            }
            self.refresh(&mut g);
            let extra = (g.extra.clone(), g.assoc_extra.remove(&id));
            (info, items, (g.opts.clone(), extra), g.lport, g.laddrs.clone())
        };
        let (opts, extra) = opts;
        let (ns, app) = match Socket::create(&self.stack, n, nonblock) {
            Ok(x) => x,
            Err(e) => {
                let mut g = self.inner.lock();
                g.assocs.insert(id, info);
                for it in items.into_iter().rev() {
                    g.rxq.push_front(it);
                }
                self.refresh(&mut g);
                return Err(e);
            }
        };
        {
            let mut nn = ns.inner.lock();
            nn.opts = opts;
            nn.extra = extra.0;
            if let Some(e) = extra.1 {
                nn.assoc_extra.insert(id, e);
            }
            nn.lport = lport;
            let _ = self.stack.bind_port(lport, true);
            nn.laddrs = laddrs;
            nn.assocs.insert(id, info);
            nn.rxq = items;
            ns.refresh(&mut nn);
        }
        self.stack.set_owner(id, ns.weak_owner());
        Ok((ns, app))
    }

    /// The association id of a one-to-one socket, or `id` itself.
    pub fn resolve(&self, id: i32) -> Option<AssocId> {
        let g = self.inner.lock();
        if self.style == Style::OneToOne {
            return g.assocs.keys().next().copied();
        }
        let id = AssocId(id as u32);
        g.assocs.contains_key(&id).then_some(id)
    }

    /// Peer addresses of an association (sctp_getpaddrs).
    pub fn peer_addrs(&self, id: i32) -> Result<Vec<SocketAddr>> {
        let Some(aid) = self.resolve(id) else { return Err(libc::EINVAL) };
        let port = self.inner.lock().assocs.get(&aid).map(|a| a.peer.port()).unwrap_or(0);
        let v = self
            .stack
            .inspect(aid, |a| {
                a.paths().iter().map(|p| self.map_addr(SocketAddr::new(p.addr, port))).collect()
            })
            .ok_or(libc::EINVAL)?;
        Ok(v)
    }

    /// Local addresses (sctp_getladdrs): the bound ones, or for a wildcard
    /// bind the address the kernel would use toward the peer.
    pub fn local_addrs(&self, id: i32) -> Result<Vec<SocketAddr>> {
        let (laddrs, lport, peer) = {
            let g = self.inner.lock();
            let peer = self.resolve_locked(&g, id).and_then(|a| g.assocs.get(&a)).map(|a| a.peer);
            (g.laddrs.clone(), g.lport, peer)
        };
        if !laddrs.is_empty() {
            return Ok(laddrs
                .into_iter()
                .map(|ip| self.map_addr(SocketAddr::new(ip, lport)))
                .collect());
        }
        let ip = match peer {
            Some(p) => route_source(p.ip()).unwrap_or(unspecified(self.family)),
            None => unspecified(self.family),
        };
        Ok(vec![self.map_addr(SocketAddr::new(ip, lport))])
    }

    fn resolve_locked(&self, g: &Inner, id: i32) -> Option<AssocId> {
        if self.style == Style::OneToOne {
            return g.assocs.keys().next().copied();
        }
        let id = AssocId(id as u32);
        g.assocs.contains_key(&id).then_some(id)
    }

    /// getsockname().
    pub fn sockname(&self) -> SocketAddr {
        let v = self.local_addrs(0).unwrap_or_default();
        v.into_iter().next().unwrap_or_else(|| {
            let g = self.inner.lock();
            SocketAddr::new(unspecified(self.family), g.lport)
        })
    }

    /// getpeername() (one-to-one).
    pub fn peername(&self) -> Result<SocketAddr> {
        let g = self.inner.lock();
        match g.assocs.values().next() {
            Some(a) if a.state != AssocState::Closed => Ok(self.map_addr(a.peer)),
            _ => Err(libc::ENOTCONN),
        }
    }
}

/// The receive window an association starts with for a socket receive
/// buffer of `rcvbuf` bytes: half of it (the kernel doubles what
/// SO_RCVBUF is given, for overhead), at least SCTP_DEFAULT_MINWINDOW
/// (Linux sctp_association_init).
pub fn initial_rwnd(rcvbuf: usize) -> u32 {
    ((rcvbuf / 2).min(u32::MAX as usize) as u32).max(1500)
}

/// sctp_v4_addr_valid / sctp_v6_addr_valid for a peer address: not
/// 0.0.0.0/8, broadcast, multicast, 198.18.0.0/15 or 192.88.99.0/24; for
/// IPv6 a unicast address (v4-mapped ones by the IPv4 rule); EINVAL
/// otherwise, or for an IPv6 address on an AF_INET socket.
pub fn check_peer_addr(family: c_int, a: &SocketAddr) -> Result<()> {
    match unmap(a.ip()) {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            let unusable = o[0] == 0
                || v4.is_broadcast()
                || v4.is_multicast()
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
                || (o[0] == 192 && o[1] == 88 && o[2] == 99);
            if unusable {
                return Err(libc::EINVAL);
            }
        }
        IpAddr::V6(v6) => {
            if family == libc::AF_INET || v6.is_unspecified() || v6.is_multicast() {
                return Err(libc::EINVAL);
            }
        }
    }
    Ok(())
}

/// net.ipv4.ip_nonlocal_bind / net.ipv6.ip_nonlocal_bind.
fn nonlocal_bind(family: c_int) -> bool {
    let f = if family == libc::AF_INET6 { "ipv6" } else { "ipv4" };
    std::fs::read_to_string(format!("/proc/sys/net/{f}/ip_nonlocal_bind"))
        .is_ok_and(|v| v.trim() == "1")
}

/// The lowest port an unprivileged process may bind
/// (net.ipv4.ip_unprivileged_port_start, as Linux's inet_prot_sock()).
fn unprivileged_port_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_unprivileged_port_start")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1024)
}

/// The source address the kernel picks toward `dst`.
fn route_source(dst: IpAddr) -> Option<IpAddr> {
    let s = std::net::UdpSocket::bind(SocketAddr::new(
        if dst.is_ipv4() { Ipv4Addr::UNSPECIFIED.into() } else { Ipv6Addr::UNSPECIFIED.into() },
        0,
    ))
    .ok()?;
    s.connect(SocketAddr::new(dst, 9)).ok()?;
    s.local_addr().ok().map(|a| a.ip())
}

pub use crate::sys::unmap;

impl Owner for Socket {
    fn on_accept(&self, id: AssocId) -> Admit {
        let mut g = self.inner.lock();
        if g.closed || !g.listening {
            return Admit::No;
        }
        // sctp_sf_do_5_1D_ce: a COOKIE ECHO for a one-to-one listener
        // whose accept queue holds more than its backlog (associations
        // that ended before accept() count) is answered with an ABORT.
        if self.style == Style::OneToOne && g.accept_q.len() > g.backlog {
            return Admit::No;
        }
        if g.assocs.len() >= self.stack.limits().per_socket {
            return Admit::Full;
        }
        g.assocs.insert(
            id,
            AssocInfo {
                peer: SocketAddr::new(unspecified(self.family), 0),
                peers: Vec::new(),
                state: AssocState::Established,
                buffered: 0,
                outbound: 0,
                inbound: 0,
                peer_shutdown: false,
                up: false,
                established: false,
            },
        );
        if self.style == Style::OneToOne {
            g.accept_q.push_back(id);
            self.refresh(&mut g);
        }
        Admit::Yes
    }

    fn on_update(&self, id: AssocId, a: &mut Association) {
        let mut g = self.inner.lock();
        let one_to_one_listener = self.style == Style::OneToOne && g.listening;
        if one_to_one_listener && !g.closed {
            // A one-to-one listener owns no association of its own: one
            // waiting for accept() keeps its events and data for the
            // accepted socket. One that ended meanwhile stays in the queue
            // (CLOSED, as Linux keeps it): what it had is stashed here,
            // since the association itself goes away.
            if a.is_closed() && g.accept_q.contains(&id) {
                let st = g.stash.entry(id).or_default();
                while let Some(ev) = a.poll_event() {
                    st.events.push(ev);
                }
                while let Some(p) = a.take(usize::MAX) {
                    st.data.push(p);
                }
                st.peer = st.peer.or(a.primary_addr().map(|ip| SocketAddr::new(ip, a.peer_port())));
                if st.peers.is_empty() {
                    st.peers = a.paths().iter().map(|p| p.addr).collect();
                }
                st.outbound = a.outbound_streams();
                st.auth = a.auth_enabled();
                st.inbound = a.inbound_streams();
                if let Some(e) = g.assocs.get_mut(&id) {
                    e.state = AssocState::Closed;
                }
                self.refresh(&mut g);
            }
            return;
        }
        if g.closed {
            while a.poll_event().is_some() {}
            while let Some(p) = a.take(usize::MAX) {
                a.release(p.data.len());
            }
            return;
        }
        // What the library read from the receive ring opens the window.
        let n = self.rx_released();
        if n > 0 {
            a.release(n);
        }
        let port = a.peer_port();
        let entry = g.assocs.entry(id).or_insert_with(|| AssocInfo {
            peer: SocketAddr::new(unspecified(self.family), port),
            peers: Vec::new(),
            state: a.state(),
            buffered: 0,
            outbound: 0,
            inbound: 0,
            peer_shutdown: false,
            up: false,
            established: false,
        });
        entry.state = a.state();
        let nb = a.buffered_amount();
        let grew = nb > entry.buffered;
        entry.buffered = nb;
        entry.outbound = a.outbound_streams();
        entry.inbound = a.inbound_streams();
        if let Some(p) = a.primary_addr() {
            entry.peer = SocketAddr::new(p, port);
        }
        // (Rebuilt only when the paths changed: this runs for every packet.)
        let paths = a.paths();
        if entry.peers.len() != paths.len()
            || entry.peers.iter().zip(paths).any(|(x, p)| *x != p.addr)
        {
            entry.peers = paths.iter().map(|p| p.addr).collect();
        }
        let ctx = notify::Ctx {
            assoc_id: id.0 as i32,
            outbound: entry.outbound,
            inbound: entry.inbound,
            old_send_failed: g.opts.events.on(crate::abi::types::SCTP_SEND_FAILED),
            new_send_failed: g.opts.events.on(crate::abi::types::SCTP_SEND_FAILED_EVENT),
            frag_point: a.frag_point() as usize,
        };
        g.buf_grew |= grew;
        // Events that precede the data they came with, then the data, then
        // the rest (so COMM_UP comes before data and SHUTDOWN after it).
        let mut late = Vec::new();
        let mut came_up = false;
        while let Some(ev) = a.poll_event() {
            let early = matches!(
                ev,
                AssocEvent::CommUp { .. }
                    | AssocEvent::Streams { .. }
                    | AssocEvent::Adaptation(_)
                    | AssocEvent::Path { .. }
            );
            came_up |= matches!(ev, AssocEvent::CommUp { .. });
            if early {
                self.apply_event(&mut g, id, &ev, &ctx);
            } else {
                late.push(ev);
            }
        }
        if came_up && !a.auth_enabled() {
            self.no_auth_event(&mut g, id);
        }
        // A partial delivery the peer abandoned (FORWARD TSN): Linux's
        // sctp_ulpq_abort_pd queues SCTP_PARTIAL_DELIVERY_ABORTED before
        // what follows.
        while let Some(ev) = a.poll_ext_event() {
            use crate::proto::assoc::ExtEvent;
            let (ty, bytes) = match ev {
                ExtEvent::PartialDeliveryAborted { stream_id, seq, .. } => (
                    t::SCTP_PARTIAL_DELIVERY_EVENT,
                    notify::pdapi_aborted(id.0 as i32, stream_id, seq),
                ),
                ExtEvent::StreamReset { flags, streams } => {
                    (t::SCTP_STREAM_RESET_EVENT, notify::stream_reset(id.0 as i32, flags, &streams))
                }
                ExtEvent::AssocReset { flags, local_tsn, remote_tsn } => (
                    t::SCTP_ASSOC_RESET_EVENT,
                    notify::assoc_reset(id.0 as i32, flags, local_tsn, remote_tsn),
                ),
                ExtEvent::AuthKey { key, free } => (
                    t::SCTP_AUTHENTICATION_EVENT,
                    notify::authkey(
                        id.0 as i32,
                        key,
                        if free { t::SCTP_AUTH_FREE_KEY } else { t::SCTP_AUTH_NEW_KEY },
                    ),
                ),
                ExtEvent::StreamChange { flags, instrms, outstrms } => {
                    if let Some(e) = g.assocs.get_mut(&id) {
                        e.outbound = outstrms;
                        e.inbound = instrms;
                    }
                    (
                        t::SCTP_STREAM_CHANGE_EVENT,
                        notify::stream_change(id.0 as i32, flags, instrms, outstrms),
                    )
                }
            };
            if g.opts.events.on(ty) {
                g.rxq.push_back(RxItem::Notification { assoc: id, bytes });
            }
        }
        // sctp_ulpq_tail_event: a one-to-one socket shut down for reading
        // drops what arrives (the window reopens as if it was read).
        // A closed socket (its associations still shutting down) drops
        // what arrives too.
        let drop_data = g.closed || (self.style == Style::OneToOne && (g.shut_rd || g.eof));
        while let Some(piece) = a.take(usize::MAX) {
            if drop_data {
                a.release(piece.data.len());
            } else {
                g.rxq.push_back(RxItem::Data { assoc: id, piece });
            }
        }
        for ev in late {
            self.apply_event(&mut g, id, &ev, &ctx);
        }
        if a.is_closed() {
            if let Some(e) = g.assocs.get_mut(&id) {
                e.state = AssocState::Closed;
            }
            // A receiver waiting on a socket whose last association went
            // gets its answer (ENOTCONN) now. A listening socket has none
            // to give (sctp_wait_for_packet waits on) and shows nothing:
            // poll() on a server whose client left says not readable.
            if !g.listening && !g.assocs.values().any(|x| x.state != AssocState::Closed) {
                g.wake = true;
            }
            if self.style == Style::OneToMany {
                // The socket forgets closed associations once their items
                // are read; their id is not reused for a long time.
                let has_items = g.rxq.iter().any(|i| i.assoc() == id);
                if !has_items {
                    g.assocs.remove(&id);
                }
            }
        }
        self.refresh(&mut g);
    }
}

impl Socket {
    /// Takes over what an association that ended before accept() left.
    fn adopt_stash(&self, id: AssocId, st: Stash) {
        let mut g = self.inner.lock();
        let e = g.assocs.entry(id).or_insert_with(|| AssocInfo {
            peer: st.peer.unwrap_or(SocketAddr::new(unspecified(self.family), 0)),
            peers: st.peers.clone(),
            state: AssocState::Closed,
            buffered: 0,
            outbound: st.outbound,
            inbound: st.inbound,
            peer_shutdown: false,
            up: false,
            established: false,
        });
        e.outbound = st.outbound;
        e.inbound = st.inbound;
        let ctx = notify::Ctx {
            assoc_id: id.0 as i32,
            outbound: st.outbound,
            inbound: st.inbound,
            old_send_failed: g.opts.events.on(crate::abi::types::SCTP_SEND_FAILED),
            new_send_failed: g.opts.events.on(crate::abi::types::SCTP_SEND_FAILED_EVENT),
            frag_point: 0,
        };
        let (early, late): (Vec<AssocEvent>, Vec<AssocEvent>) =
            st.events.into_iter().partition(|ev| {
                matches!(
                    ev,
                    AssocEvent::CommUp { .. }
                        | AssocEvent::Streams { .. }
                        | AssocEvent::Adaptation(_)
                        | AssocEvent::Path { .. }
                )
            });
        for ev in &early {
            self.apply_event(&mut g, id, ev, &ctx);
        }
        if !st.auth && early.iter().any(|ev| matches!(ev, AssocEvent::CommUp { .. })) {
            self.no_auth_event(&mut g, id);
        }
        for piece in st.data {
            g.rxq.push_back(RxItem::Data { assoc: id, piece });
        }
        for ev in &late {
            self.apply_event(&mut g, id, ev, &ctx);
        }
        if let Some(e) = g.assocs.get_mut(&id) {
            e.state = AssocState::Closed;
        }
        g.eof = true;
    }

    /// After COMM_UP (and ADAPTATION_INDICATION), Linux queues an
    /// SCTP_AUTHENTICATION_EVENT with SCTP_AUTH_NO_AUTH when the peer does
    /// not do AUTH (sctp_sf_do_5_1D_ce / 5_1E_ca), if subscribed.
    fn no_auth_event(&self, g: &mut Inner, id: AssocId) {
        use crate::abi::types as t;
        if g.opts.events.on(t::SCTP_AUTHENTICATION_EVENT) {
            let b = notify::authkey(id.0 as i32, 0, t::SCTP_AUTH_NO_AUTH);
            g.rxq.push_back(RxItem::Notification { assoc: id, bytes: b });
        }
    }

    fn apply_event(&self, g: &mut Inner, id: AssocId, ev: &AssocEvent, ctx: &notify::Ctx) {
        use crate::abi::types as t;
        match ev {
            AssocEvent::CommUp { .. } => {
                if let Some(e) = g.assocs.get_mut(&id) {
                    e.up = true;
                    e.established = true;
                }
            }
            AssocEvent::Streams { outbound, inbound } => {
                if let Some(e) = g.assocs.get_mut(&id) {
                    e.outbound = *outbound;
                    e.inbound = *inbound;
                }
            }
            AssocEvent::PeerShutdown => {
                if let Some(e) = g.assocs.get_mut(&id) {
                    e.peer_shutdown = true;
                }
                // sctp_cmd_new_state: a SHUTDOWN received while the one-
                // to-one socket is ESTABLISHED (not shutting down itself)
                // sets RCV_SHUTDOWN.
                if self.style == Style::OneToOne && !self.peeled && !g.shut_wr {
                    g.eof = true;
                }
            }
            AssocEvent::ShutdownComplete => {
                if let Some(e) = g.assocs.get_mut(&id) {
                    e.up = false;
                }
            }
            AssocEvent::CommLost(r) | AssocEvent::CantStartAssoc(r) => {
                let was_up = g.assocs.get(&id).is_some_and(|e| e.established);
                if let Some(e) = g.assocs.get_mut(&id) {
                    e.up = false;
                }
                if self.style == Style::OneToOne || !was_up {
                    let err = match (r, was_up) {
                        (_, false) => libc::ECONNREFUSED,
                        (LostReason::Unreachable, true) => libc::ETIMEDOUT,
                        _ => libc::ECONNRESET,
                    };
                    if self.style == Style::OneToOne {
                        g.so_error = err;
                    }
                }
            }
            _ => {}
        }
        let Some(ty) = notify::event_type(ev) else { return };
        let subscribed = match ty {
            t::SCTP_SEND_FAILED_EVENT => {
                g.opts.events.on(t::SCTP_SEND_FAILED_EVENT) || g.opts.events.on(t::SCTP_SEND_FAILED)
            }
            _ => g.opts.events.on(ty),
        };
        // sctp_ulpq_tail_event: with both directions shut down, even
        // notifications are dropped.
        let dropped = self.style == Style::OneToOne && (g.shut_rd || g.eof) && g.shut_wr;
        if subscribed && !dropped {
            notify::build_all(ev, ctx, &mut |bytes| {
                g.rxq.push_back(RxItem::Notification { assoc: id, bytes })
            });
        }
    }
}

/// The PPID travels in the byte order the application wrote it (Linux
/// copies the four bytes unchanged onto the wire).
pub fn ppid_in(user: u32) -> u32 {
    u32::from_be(user)
}
pub fn ppid_out(core: u32) -> u32 {
    core.to_be()
}

impl Socket {
    /// The SCTP ancillary data a receive returns, per the socket's
    /// options, in Linux's order (sctp_recvmsg: NXTINFO, RCVINFO, then
    /// SNDRCV), as (cmsg_type, struct bytes).
    pub fn recv_cmsgs(&self, r: &Recv) -> Vec<(c_int, Vec<u8>)> {
        let g = self.inner.lock();
        Self::cmsgs_locked(&g, r)
    }

    fn cmsgs_locked(g: &Inner, r: &Recv) -> Vec<(c_int, Vec<u8>)> {
        use crate::abi::types as t;
        use core::mem::offset_of;
        let mut out = Vec::new();
        let (io_event, rcvinfo, context) =
            (g.opts.events.on(t::SCTP_DATA_IO_EVENT), g.opts.recvrcvinfo, g.opts.context);
        if r.notification {
            return out;
        }
        let Some(i) = &r.info else { return out };
        let uflag = if i.unordered { t::SCTP_UNORDERED } else { 0 };
        let w = |v: &mut Vec<u8>, o: usize, b: &[u8]| v[o..o + b.len()].copy_from_slice(b);
        if io_event {
            let mut v = vec![0u8; std::mem::size_of::<t::sctp_sndrcvinfo>()];
            w(&mut v, offset_of!(t::sctp_sndrcvinfo, sinfo_stream), &i.stream_id.to_ne_bytes());
            w(&mut v, offset_of!(t::sctp_sndrcvinfo, sinfo_ssn), &i.ssn.to_ne_bytes());
            w(&mut v, offset_of!(t::sctp_sndrcvinfo, sinfo_flags), &uflag.to_ne_bytes());
            w(&mut v, offset_of!(t::sctp_sndrcvinfo, sinfo_ppid), &ppid_out(i.ppid).to_ne_bytes());
            w(&mut v, offset_of!(t::sctp_sndrcvinfo, sinfo_context), &context.to_ne_bytes());
            w(&mut v, offset_of!(t::sctp_sndrcvinfo, sinfo_tsn), &i.tsn.to_ne_bytes());
            w(&mut v, offset_of!(t::sctp_sndrcvinfo, sinfo_cumtsn), &i.cum_tsn.to_ne_bytes());
            w(&mut v, offset_of!(t::sctp_sndrcvinfo, sinfo_assoc_id), &r.assoc.to_ne_bytes());
            out.push((t::SCTP_SNDRCV, v));
        }
        if rcvinfo {
            let mut v = vec![0u8; std::mem::size_of::<t::sctp_rcvinfo>()];
            w(&mut v, offset_of!(t::sctp_rcvinfo, rcv_sid), &i.stream_id.to_ne_bytes());
            w(&mut v, offset_of!(t::sctp_rcvinfo, rcv_ssn), &i.ssn.to_ne_bytes());
            w(&mut v, offset_of!(t::sctp_rcvinfo, rcv_flags), &uflag.to_ne_bytes());
            w(&mut v, offset_of!(t::sctp_rcvinfo, rcv_ppid), &ppid_out(i.ppid).to_ne_bytes());
            w(&mut v, offset_of!(t::sctp_rcvinfo, rcv_tsn), &i.tsn.to_ne_bytes());
            w(&mut v, offset_of!(t::sctp_rcvinfo, rcv_cumtsn), &i.cum_tsn.to_ne_bytes());
            w(&mut v, offset_of!(t::sctp_rcvinfo, rcv_context), &context.to_ne_bytes());
            w(&mut v, offset_of!(t::sctp_rcvinfo, rcv_assoc_id), &r.assoc.to_ne_bytes());
            out.push((t::SCTP_RCVINFO, v));
        }
        if let Some((sid, flags, ppid, len, assoc)) = r.next {
            let mut v = vec![0u8; std::mem::size_of::<t::sctp_nxtinfo>()];
            w(&mut v, offset_of!(t::sctp_nxtinfo, nxt_sid), &sid.to_ne_bytes());
            w(&mut v, offset_of!(t::sctp_nxtinfo, nxt_flags), &flags.to_ne_bytes());
            w(&mut v, offset_of!(t::sctp_nxtinfo, nxt_ppid), &ppid_out(ppid).to_ne_bytes());
            w(&mut v, offset_of!(t::sctp_nxtinfo, nxt_length), &(len as u32).to_ne_bytes());
            w(&mut v, offset_of!(t::sctp_nxtinfo, nxt_assoc_id), &assoc.to_ne_bytes());
            out.push((t::SCTP_NXTINFO, v));
        }
        out.reverse();
        out
    }

    /// The parameters of a send: the application's, or the socket's
    /// defaults (SCTP_DEFAULT_SEND_PARAM / SCTP_DEFAULT_SNDINFO).
    pub fn send_params(&self, req: &crate::ipc::SendReq) -> SendParams {
        let (sid, mut flags, ppid, context, assoc, mut pr_value) = match &req.info {
            Some(i) => (i.sid, i.flags, i.ppid, i.context, i.assoc, i.ttl),
            None => {
                let g = self.inner.lock();
                let d = g.opts.snd;
                (d.sid, d.flags, d.ppid, d.context, 0, d.ttl)
            }
        };
        // sctp_sendmsg_parse: an SCTP_PRINFO cmsg names policy and value.
        if let Some(p) = &req.pr {
            flags = t::SCTP_PR_SET_POLICY(flags, p.policy & t::SCTP_PR_SCTP_MASK);
            pr_value = p.value;
        }
        SendParams {
            pr_value,
            sid,
            flags,
            ppid: ppid_in(ppid),
            context,
            assoc: (assoc != 0).then_some(AssocId(assoc as u32)),
            to: req.to.clone(),
            init: req.init.map(|(o, i, _, _)| (o, i)),
            defaults: req.info.is_none(),
            pr_given: req.pr.is_some(),
        }
    }
}
