//! Emulated SCTP sockets. Each socket the application sees is a real
//! kernel descriptor: one end of an AF_UNIX socketpair whose readiness
//! the stack keeps equal to the SCTP socket's (readable while data,
//! notifications, a pending accept or an error wait; writable while the
//! send buffer has room), so `poll`, `select`, `epoll`, `close` and
//! `dup` work unchanged.
//!
//! Lock order: a socket's `inner` is a leaf: nothing else is locked while
//! it is held, except that the stack may call [`Owner::on_update`] (which
//! takes `inner`) with an association locked. Socket code therefore never
//! locks an association while holding `inner`.

pub mod notify;
mod opts_support;

use crate::proto::assoc::{
    AssocEvent, AssocId, AssocState, Association, LostReason, RecvData, SendError, SendOptions,
};
use crate::proto::Config;
use crate::runtime::{self, Owner, Stack};
use crate::sys;
use bytes::Bytes;
use parking_lot::{Mutex, RwLock};
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::raw::c_int;
use std::sync::atomic::{AtomicU64, Ordering};
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
    fn new(cfg: Config) -> Self {
        let rcvbuf = cfg.rcvbuf as usize;
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
    pub assocs: HashMap<AssocId, AssocInfo>,
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
    readable: bool,
    writable: bool,
}

/// An SCTP socket.
pub struct Socket {
    /// The descriptor handed to the application first.
    pub fd: c_int,
    /// Our end of the socketpair.
    peer_fd: c_int,
    pub family: c_int,
    pub style: Style,
    /// Made by sctp_peeloff: one association like a one-to-one socket,
    /// but, as on Linux, still a one-to-many socket underneath
    /// (SOCK_SEQPACKET, no end-of-file: ENOTCONN once the association ends).
    pub peeled: bool,
    pub stack: Arc<Stack>,
    me: Weak<Socket>,
    pub inner: Mutex<Inner>,
    /// Number of application descriptors referring to this socket.
    refs: AtomicU64,
}

// ----- the descriptor table ------------------------------------------------

const BITMAP_WORDS: usize = 1 << 14; // 1M descriptors
static IS_SCTP: [AtomicU64; BITMAP_WORDS] = [const { AtomicU64::new(0) }; BITMAP_WORDS];
static TABLE: RwLock<Option<HashMap<c_int, Arc<Socket>>>> = RwLock::new(None);

/// Whether `fd` is an SCTP socket of ours: one atomic load.
#[inline]
pub fn is_sctp(fd: c_int) -> bool {
    if fd < 0 {
        return false;
    }
    let i = fd as usize;
    match IS_SCTP.get(i / 64) {
        Some(w) => w.load(Ordering::Acquire) & (1 << (i % 64)) != 0,
        None => TABLE.read().as_ref().is_some_and(|t| t.contains_key(&fd)),
    }
}

fn mark(fd: c_int, on: bool) {
    if let Some(w) = IS_SCTP.get(fd as usize / 64) {
        let bit = 1u64 << (fd as usize % 64);
        if on {
            w.fetch_or(bit, Ordering::Release);
        } else {
            w.fetch_and(!bit, Ordering::Release);
        }
    }
}

/// The socket behind `fd`.
pub fn get(fd: c_int) -> Option<Arc<Socket>> {
    if !is_sctp(fd) {
        return None;
    }
    TABLE.read().as_ref()?.get(&fd).cloned()
}

fn insert(fd: c_int, s: Arc<Socket>) {
    TABLE.write().get_or_insert_with(HashMap::new).insert(fd, s);
    mark(fd, true);
}

fn remove(fd: c_int) -> Option<Arc<Socket>> {
    mark(fd, false);
    TABLE.write().as_mut()?.remove(&fd)
}

/// Records that `newfd` (a kernel duplicate of an SCTP descriptor) refers
/// to the same socket (dup, dup2, dup3, F_DUPFD).
pub fn register_dup(oldfd: c_int, newfd: c_int) {
    if let Some(s) = get(oldfd) {
        if let Some(prev) = remove(newfd) {
            prev.release_ref();
        }
        s.refs.fetch_add(1, Ordering::Relaxed);
        insert(newfd, s);
    }
}

/// Forgets an SCTP descriptor that the application closed; the socket is
/// closed when its last descriptor goes. The caller closes the kernel fd.
pub fn unregister(fd: c_int) -> bool {
    match remove(fd) {
        Some(s) => {
            s.release_ref();
            true
        }
        None => false,
    }
}

/// In a forked child: forget every SCTP descriptor (they belong to the
/// parent's stack). The kernel descriptors stay open until closed.
pub fn forget_all() {
    for w in IS_SCTP.iter() {
        w.store(0, Ordering::Relaxed);
    }
    if let Some(mut g) = TABLE.try_write() {
        if let Some(t) = g.take() {
            std::mem::forget(t);
        }
    } else {
        // SAFETY: only the forking thread exists in the child.
        unsafe { TABLE.force_unlock_write() };
        if let Some(t) = TABLE.write().take() {
            std::mem::forget(t);
        }
    }
}

/// At exit: starts a graceful close of every SCTP socket still open and
/// returns how long to wait for them (the longest SO_LINGER, else 5 s;
/// zero if every socket asked to abort).
pub fn close_all_for_exit() -> Duration {
    let socks: Vec<Arc<Socket>> = {
        let g = TABLE.read();
        let mut v: Vec<Arc<Socket>> =
            g.as_ref().map(|t| t.values().cloned().collect()).unwrap_or_default();
        v.sort_by_key(|s| s.fd);
        v.dedup_by_key(|s| s.fd);
        v
    };
    // Associations of sockets closed earlier may still be shutting down:
    // without open sockets the default bound applies.
    let mut wait = if socks.is_empty() { Duration::from_secs(5) } else { Duration::ZERO };
    for s in socks {
        let l = s.inner.lock().opts.linger;
        wait = wait.max(match l {
            Some(d) => d,
            None => Duration::from_secs(5),
        });
        s.close_associations();
    }
    wait
}

/// Every SCTP descriptor (exit handling).
pub fn all_fds() -> Vec<c_int> {
    TABLE.read().as_ref().map(|t| t.keys().copied().collect()).unwrap_or_default()
}

// ----- helpers --------------------------------------------------------------

fn unspecified(family: c_int) -> IpAddr {
    if family == libc::AF_INET6 {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    }
}

fn set_nonblock_cloexec(fd: c_int, nonblock: bool, cloexec: bool) {
    if let Ok(fl) = sys::fcntl(fd, libc::F_GETFL, 0) {
        let fl = if nonblock { fl | libc::O_NONBLOCK } else { fl & !libc::O_NONBLOCK };
        let _ = sys::fcntl(fd, libc::F_SETFL, fl);
    }
    if cloexec {
        let _ = sys::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
    }
}

/// Whether the application descriptor is in non-blocking mode.
pub fn fd_nonblocking(fd: c_int) -> bool {
    sys::fcntl(fd, libc::F_GETFL, 0).map(|f| f & libc::O_NONBLOCK != 0).unwrap_or(false)
}

fn set_small_bufs(fd: c_int) {
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
        libc::syscall(
            libc::SYS_setsockopt,
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
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
}

// ----- the socket -----------------------------------------------------------

impl Socket {
    /// socket(family, SOCK_STREAM | SOCK_SEQPACKET, IPPROTO_SCTP).
    pub fn create(family: c_int, style: Style, nonblock: bool, cloexec: bool) -> Result<c_int> {
        Self::create_as(family, style, false, nonblock, cloexec)
    }

    fn create_as(
        family: c_int,
        style: Style,
        peeled: bool,
        nonblock: bool,
        cloexec: bool,
    ) -> Result<c_int> {
        if family != libc::AF_INET && family != libc::AF_INET6 {
            return Err(libc::EAFNOSUPPORT);
        }
        let st = runtime::stack()?;
        let (app, peer) = sys::socketpair(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC)
            .map_err(|e| e.raw_os_error().unwrap_or(libc::EMFILE))?;
        set_nonblock_cloexec(app, nonblock, cloexec);
        if !cloexec {
            let _ = sys::fcntl(app, libc::F_SETFD, 0);
        }
        set_nonblock_cloexec(peer, true, true);
        set_small_bufs(app);
        set_small_bufs(peer);
        let cfg = st.default_config();
        let s = Arc::new_cyclic(|me| Socket {
            fd: app,
            peer_fd: peer,
            family,
            style,
            peeled,
            stack: st,
            me: me.clone(),
            refs: AtomicU64::new(1),
            inner: Mutex::new(Inner {
                laddrs: Vec::new(),
                lport: 0,
                listening: false,
                backlog: 0,
                assocs: HashMap::new(),
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
            }),
        });
        {
            let mut g = s.inner.lock();
            // A fresh one-to-one socket is writable (as a TCP socket is);
            // so is a one-to-many one.
            s.refresh(&mut g);
        }
        insert(app, s);
        Ok(app)
    }

    fn weak_owner(&self) -> Weak<dyn Owner> {
        let w: Weak<dyn Owner> = self.me.clone();
        w
    }

    /// Sets the socketpair's readiness to match the SCTP socket.
    fn refresh(&self, g: &mut Inner) {
        let readable = !g.rxq.is_empty()
            || !g.accept_q.is_empty()
            || g.so_error != 0
            || (self.style == Style::OneToOne && (g.eof || g.shut_rd) && !g.listening);
        let writable = self.writable_now(g);
        if readable != g.readable {
            crate::runtime::config::debug!(
                "fd {} readable {} (rxq {})",
                self.fd,
                readable,
                g.rxq.len()
            );
            if readable {
                let _ = send_dontwait(self.peer_fd, &[1]);
            } else {
                let mut b = [0u8; 64];
                while recv_dontwait(self.fd, &mut b) > 0 {}
            }
            g.readable = readable;
        }
        if writable != g.writable {
            if writable {
                let mut b = [0u8; 4096];
                while recv_dontwait(self.peer_fd, &mut b) > 0 {}
            } else {
                let b = [0u8; 4096];
                while send_dontwait(self.fd, &b) > 0 {}
            }
            g.writable = writable;
        }
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
                g.assocs.values().map(|a| a.buffered).sum::<usize>() < g.opts.sndbuf
            }
        }
    }

    fn release_ref(&self) {
        if self.refs.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.close_now();
        }
    }

    /// Waits until the application descriptor polls `events`, up to
    /// `timeout` (None: forever). Err(EAGAIN) on timeout, EINTR on a signal.
    fn wait(&self, events: i16, timeout: Option<Duration>) -> Result<()> {
        let mut p = [libc::pollfd { fd: self.fd, events, revents: 0 }];
        let ms = timeout.map(|d| d.as_millis().min(i64::MAX as u128) as i64).unwrap_or(-1);
        match sys::poll(&mut p, ms) {
            Ok(0) => Err(libc::EAGAIN),
            Ok(_) => Ok(()),
            Err(e) => Err(e.raw_os_error().unwrap_or(libc::EINTR)),
        }
    }

    // ----- binding ---------------------------------------------------------

    /// bind() / sctp_bindx(ADD): adds addresses (all with one port).
    pub fn bind(&self, addrs: &[SocketAddr]) -> Result<()> {
        let Some(first) = addrs.first() else { return Err(libc::EINVAL) };
        let mut g = self.inner.lock();
        if g.lport != 0 {
            // bindx ADD on a bound socket: the port must match (or be 0).
            if first.port() != 0 && first.port() != g.lport {
                return Err(libc::EINVAL);
            }
        } else {
            let reuse = g.opts.reuse_port || g.opts.reuse_addr;
            g.lport = self.stack.bind_port(first.port(), reuse)?;
        }
        for a in addrs {
            if a.port() != 0 && a.port() != g.lport {
                return Err(libc::EINVAL);
            }
            let ip = a.ip();
            if ip.is_unspecified() {
                g.laddrs.clear();
                break;
            }
            if !g.laddrs.contains(&ip) {
                g.laddrs.push(ip);
            }
        }
        Ok(())
    }

    /// sctp_bindx(REM).
    pub fn unbind(&self, addrs: &[SocketAddr]) -> Result<()> {
        let mut g = self.inner.lock();
        if g.lport == 0 {
            return Err(libc::EINVAL);
        }
        for a in addrs {
            if g.laddrs.len() <= 1 {
                return Err(libc::EBUSY);
            }
            g.laddrs.retain(|x| *x != a.ip());
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
        let lport = self.ensure_bound()?;
        let mut g = self.inner.lock();
        if self.style == Style::OneToOne && !g.assocs.is_empty() {
            return Err(libc::EINVAL);
        }
        g.listening = backlog >= 0 || self.style == Style::OneToMany;
        g.backlog = backlog.max(1) as usize;
        let cfg = g.opts.cfg.clone();
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

    /// accept(): a new one-to-one socket for the next association.
    pub fn accept(&self, nonblock_new: bool, cloexec_new: bool) -> Result<(c_int, SocketAddr)> {
        if self.style != Style::OneToOne {
            return Err(libc::EOPNOTSUPP);
        }
        loop {
            let mut g = self.inner.lock();
            if !g.listening {
                return Err(libc::EINVAL);
            }
            if let Some(id) = g.accept_q.pop_front() {
                let info = g.assocs.remove(&id);
                self.refresh(&mut g);
                let opts = g.opts.clone();
                drop(g);
                let fd = Socket::create(self.family, Style::OneToOne, nonblock_new, cloexec_new)?;
                let Some(ns) = get(fd) else { return Err(libc::EBADF) };
                // The listener did not follow it while it waited: ask it.
                let peer = self
                    .stack
                    .inspect(id, |a| a.primary_addr().map(|ip| SocketAddr::new(ip, a.peer_port())))
                    .flatten()
                    .or(info.as_ref().map(|i| i.peer))
                    .unwrap_or(SocketAddr::new(unspecified(self.family), 0));
                {
                    let mut n = ns.inner.lock();
                    n.opts = opts;
                    n.lport = self.inner.lock().lport;
                    self.stack.bind_port(n.lport, true).ok();
                    n.laddrs = self.inner.lock().laddrs.clone();
                    if let Some(mut i) = info {
                        i.peer = peer;
                        n.assocs.insert(id, i);
                    }
                }
                self.stack.set_owner(id, ns.weak_owner());
                {
                    let mut n = ns.inner.lock();
                    ns.refresh(&mut n);
                }
                return Ok((fd, self.map_addr(peer)));
            }
            if g.so_error != 0 {
                return Err(std::mem::take(&mut g.so_error));
            }
            drop(g);
            if fd_nonblocking(self.fd) {
                return Err(libc::EAGAIN);
            }
            self.wait(libc::POLLIN, None)?;
        }
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
        c.rcvbuf = (g.opts.rcvbuf as u32).max(1500);
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
        let g = self.inner.lock();
        let cfg = self.assoc_config(&g, init);
        let laddrs = g.laddrs.clone();
        let enc =
            if g.opts.encaps_port != 0 { g.opts.encaps_port } else { self.stack.remote_udp_port() };
        drop(g);
        let Some(first) = peers.first() else { return Err(libc::EINVAL) };
        let pport = first.port();
        if pport == 0 {
            return Err(libc::EINVAL);
        }
        let targets: Vec<SocketAddr> =
            peers.iter().map(|p| SocketAddr::new(unmap(p.ip()), enc)).collect();
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

    /// connect() / sctp_connectx(). Blocks until the association is up
    /// unless the descriptor is non-blocking (EINPROGRESS).
    pub fn connect(&self, peers: &[SocketAddr]) -> Result<AssocId> {
        {
            let g = self.inner.lock();
            if g.listening && self.style == Style::OneToOne {
                return Err(libc::EISCONN);
            }
            if self.style == Style::OneToOne {
                if let Some(a) = g.assocs.values().next() {
                    return Err(if a.up { libc::EISCONN } else { libc::EALREADY });
                }
            }
        }
        let id = self.start_assoc(peers, None)?;
        if fd_nonblocking(self.fd) {
            return Err(libc::EINPROGRESS);
        }
        self.wait_up(id)?;
        Ok(id)
    }

    /// Like [`Socket::connect`] but returns the id even for non-blocking
    /// sockets (sctp_connectx reports it with EINPROGRESS).
    pub fn connectx(&self, peers: &[SocketAddr]) -> (Option<AssocId>, Result<()>) {
        {
            let g = self.inner.lock();
            if self.style == Style::OneToOne {
                if g.listening {
                    return (None, Err(libc::EISCONN));
                }
                if let Some(a) = g.assocs.values().next() {
                    return (None, Err(if a.up { libc::EISCONN } else { libc::EALREADY }));
                }
            }
        }
        let id = match self.start_assoc(peers, None) {
            Ok(id) => id,
            Err(e) => return (None, Err(e)),
        };
        if fd_nonblocking(self.fd) {
            return (Some(id), Err(libc::EINPROGRESS));
        }
        (Some(id), self.wait_up(id))
    }

    fn wait_up(&self, id: AssocId) -> Result<()> {
        loop {
            {
                let mut g = self.inner.lock();
                match g.assocs.get(&id) {
                    Some(a) if a.up => return Ok(()),
                    Some(a) if a.state != AssocState::Closed => {}
                    _ => {
                        let e = std::mem::take(&mut g.so_error);
                        self.refresh(&mut g);
                        return Err(if e != 0 { e } else { libc::ECONNREFUSED });
                    }
                }
            }
            // Readiness changes when the association comes up or fails.
            let mut p =
                [libc::pollfd { fd: self.fd, events: libc::POLLOUT | libc::POLLIN, revents: 0 }];
            match sys::poll(&mut p, 100) {
                Ok(_) => {}
                Err(e) => return Err(e.raw_os_error().unwrap_or(libc::EINTR)),
            }
        }
    }

    // ----- sending ---------------------------------------------------------

    /// Finds or creates the association a send goes to.
    fn target(&self, p: &SendParams) -> Result<AssocId> {
        let g = self.inner.lock();
        match self.style {
            Style::OneToOne => {
                if g.shut_wr {
                    return Err(libc::EPIPE);
                }
                match g.assocs.iter().next() {
                    Some((id, a)) if a.state != AssocState::Closed => Ok(*id),
                    Some(_) => Err(libc::EPIPE),
                    // Linux: a send with an address on an unconnected,
                    // non-listening one-to-one socket sets the association
                    // up implicitly; without an address it is EPIPE.
                    None if !p.to.is_empty() && !g.listening && !g.eof => {
                        drop(g);
                        self.start_assoc(&p.to, p.init)
                    }
                    None => Err(libc::EPIPE),
                }
            }
            Style::OneToMany => {
                if let Some(id) = p.assoc.filter(|i| i.0 != 0) {
                    return if g.assocs.contains_key(&id) { Ok(id) } else { Err(libc::EINVAL) };
                }
                let Some(to) = p.to.first() else { return Err(libc::EINVAL) };
                let ip = unmap(to.ip());
                if let Some((id, _)) = g
                    .assocs
                    .iter()
                    .find(|(_, a)| a.peers.contains(&ip) && a.peer.port() == to.port())
                {
                    return Ok(*id);
                }
                drop(g);
                if p.flags & (crate::abi::types::SCTP_EOF | crate::abi::types::SCTP_ABORT) != 0 {
                    return Err(libc::EINVAL);
                }
                // Implicit association setup (RFC 6458 7.5).
                self.start_assoc(&p.to, p.init)
            }
        }
    }

    /// Sends one message. Returns the number of bytes accepted.
    pub fn send(&self, data: Bytes, p: &SendParams, dontwait: bool) -> Result<usize> {
        use crate::abi::types::{
            SCTP_ABORT, SCTP_EOF, SCTP_SACK_IMMEDIATELY, SCTP_SENDALL, SCTP_UNORDERED,
        };
        if self.style == Style::OneToMany && p.flags & SCTP_SENDALL != 0 {
            let ids: Vec<AssocId> = self.inner.lock().assocs.keys().copied().collect();
            let mut q = p.clone();
            q.flags &= !SCTP_SENDALL;
            for id in ids {
                q.assoc = Some(id);
                let _ = self.send(data.clone(), &q, true);
            }
            return Ok(data.len());
        }
        let id = self.target(p)?;
        if p.flags & SCTP_ABORT != 0 {
            self.stack.with_assoc(id, |a, now| a.abort(now, data.clone()));
            return Ok(data.len());
        }
        if p.flags & SCTP_EOF != 0 {
            self.stack.with_assoc(id, |a, now| a.shutdown(now));
            return Ok(0);
        }
        if data.is_empty() {
            return Err(libc::EINVAL);
        }
        let len = data.len();
        let timeout = self.inner.lock().opts.sndtimeo;
        let nonblock = dontwait || fd_nonblocking(self.fd);
        let opt = SendOptions {
            stream_id: p.sid,
            ppid: p.ppid,
            unordered: p.flags & SCTP_UNORDERED != 0,
            sack_immediately: p.flags & SCTP_SACK_IMMEDIATELY != 0,
            context: p.context,
        };
        loop {
            let (sndbuf, frag_off) = {
                let g = self.inner.lock();
                (g.opts.sndbuf, g.opts.disable_fragments)
            };
            let r = self.stack.with_assoc(id, |a, now| {
                if frag_off
                    && len > a.paths().iter().map(|p| p.mtu as usize).min().unwrap_or(1200) - 28
                {
                    return Err(libc::EMSGSIZE);
                }
                match a.state() {
                    AssocState::CookieWait | AssocState::CookieEchoed | AssocState::Established => {
                    }
                    AssocState::Closed => return Err(libc::EPIPE),
                    _ => return Err(libc::EPIPE),
                }
                let b = a.buffered_amount();
                if b > 0 && b + len > sndbuf {
                    return Ok(false);
                }
                match a.send(now, data.clone(), opt) {
                    Ok(()) => Ok(true),
                    Err(SendError::InvalidStream) => Err(libc::EINVAL),
                    Err(SendError::Empty) => Err(libc::EINVAL),
                    Err(SendError::Closed) | Err(SendError::ShuttingDown) => Err(libc::EPIPE),
                }
            });
            match r {
                None => return Err(libc::EPIPE),
                Some(Err(e)) => return Err(e),
                Some(Ok(true)) => return Ok(len),
                Some(Ok(false)) => {
                    if nonblock {
                        return Err(libc::EAGAIN);
                    }
                    self.wait(libc::POLLOUT, timeout)?;
                }
            }
        }
    }

    // ----- receiving -------------------------------------------------------

    /// Receives into `buf`. `peek` leaves the data queued.
    pub fn recv(&self, buf: &mut [u8], peek: bool, dontwait: bool) -> Result<Recv> {
        let cap = buf.len();
        let mut sink: &mut [u8] = buf;
        self.recv_with(cap, &mut sink, peek, dontwait)
    }

    /// Receives at most `cap` bytes into `sink` (straight into the
    /// application's buffer, with no intermediate copy). `peek` leaves the
    /// data queued; so does a sink error (EFAULT): nothing is lost.
    pub fn recv_with(
        &self,
        cap: usize,
        sink: &mut dyn Sink,
        peek: bool,
        dontwait: bool,
    ) -> Result<Recv> {
        let timeout = self.inner.lock().opts.rcvtimeo;
        let nonblock = dontwait || fd_nonblocking(self.fd);
        loop {
            let mut g = self.inner.lock();
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
            if g.so_error != 0 && self.style == Style::OneToOne {
                let e = std::mem::take(&mut g.so_error);
                self.refresh(&mut g);
                return Err(e);
            }
            if self.style == Style::OneToOne && (g.eof || g.shut_rd) {
                return Ok(Recv::default());
            }
            if self.peeled && g.assocs.values().all(|a| a.state == AssocState::Closed) {
                return Err(libc::ENOTCONN);
            }
            if self.style == Style::OneToOne && g.assocs.is_empty() && !g.listening {
                return Err(libc::ENOTCONN);
            }
            drop(g);
            if nonblock {
                return Err(libc::EAGAIN);
            }
            self.wait(libc::POLLIN, timeout)?;
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
        if self.style == Style::OneToMany {
            return Err(libc::EOPNOTSUPP);
        }
        let id = {
            let mut g = self.inner.lock();
            if how == libc::SHUT_RD || how == libc::SHUT_RDWR {
                g.shut_rd = true;
            }
            if how == libc::SHUT_WR || how == libc::SHUT_RDWR {
                g.shut_wr = true;
            }
            if !(libc::SHUT_RD..=libc::SHUT_RDWR).contains(&how) {
                return Err(libc::EINVAL);
            }
            self.refresh(&mut g);
            if g.assocs.is_empty() {
                return Err(libc::ENOTCONN);
            }
            g.assocs.keys().next().copied()
        };
        if how != libc::SHUT_RD {
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
            let unread: Vec<AssocId> = g
                .rxq
                .iter()
                .filter(|i| matches!(i, RxItem::Data { .. }))
                .map(|i| i.assoc())
                .collect();
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
                    a.abort(now, Bytes::new());
                } else {
                    a.shutdown(now);
                }
            });
        }
    }

    /// The last descriptor was closed: shut down or abort (SO_LINGER 0)
    /// every association, stop listening, free the port.
    fn close_now(&self) {
        let (ids, linger, lport, listening) = {
            let g = self.inner.lock();
            (g.assocs.keys().copied().collect::<Vec<_>>(), g.opts.linger, g.lport, g.listening)
        };
        if listening {
            self.stack.unlisten(lport);
        }
        self.close_associations();
        self.inner.lock().closed = true;
        // SO_LINGER with a timeout: wait for the shutdowns to finish.
        if let Some(d) = linger.filter(|d| !d.is_zero()) {
            let end = std::time::Instant::now() + d;
            while std::time::Instant::now() < end {
                let live = ids
                    .iter()
                    .any(|id| self.stack.inspect(*id, |a| !a.is_closed()).unwrap_or(false));
                if !live {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        if lport != 0 {
            self.stack.release_port(lport);
        }
        let _ = sys::close(self.peer_fd);
    }

    /// sctp_peeloff(): moves association `id` to a new one-to-one socket.
    pub fn peeloff(&self, id: AssocId, nonblock: bool, cloexec: bool) -> Result<c_int> {
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
            (info, items, g.opts.clone(), g.lport, g.laddrs.clone())
        };
        let fd = Socket::create_as(self.family, Style::OneToOne, true, nonblock, cloexec)?;
        let Some(ns) = get(fd) else { return Err(libc::EBADF) };
        {
            let mut n = ns.inner.lock();
            n.opts = opts;
            n.lport = lport;
            let _ = self.stack.bind_port(lport, true);
            n.laddrs = laddrs;
            n.assocs.insert(id, info);
            n.rxq = items;
            ns.refresh(&mut n);
        }
        self.stack.set_owner(id, ns.weak_owner());
        Ok(fd)
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

/// IPv4-mapped IPv6 addresses become IPv4.
pub fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

impl Owner for Socket {
    fn on_accept(&self, id: AssocId) -> bool {
        let mut g = self.inner.lock();
        if g.closed || !g.listening {
            return false;
        }
        if self.style == Style::OneToOne && g.accept_q.len() > g.backlog.max(1) {
            return false;
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
        true
    }

    fn on_update(&self, id: AssocId, a: &mut Association) {
        let mut g = self.inner.lock();
        let one_to_one_listener = self.style == Style::OneToOne && g.listening;
        if one_to_one_listener && !g.closed {
            // A one-to-one listener owns no association of its own: one
            // waiting for accept(), or being handed to the accepted socket
            // right now, keeps its events and data for that socket. Drop
            // it from the queue if it died meanwhile.
            if a.is_closed() && g.accept_q.contains(&id) {
                g.accept_q.retain(|x| *x != id);
                g.assocs.remove(&id);
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
        entry.buffered = a.buffered_amount();
        entry.outbound = a.outbound_streams();
        entry.inbound = a.inbound_streams();
        if let Some(p) = a.primary_addr() {
            entry.peer = SocketAddr::new(p, port);
        }
        entry.peers = a.paths().iter().map(|p| p.addr).collect();
        let ctx = notify::Ctx {
            assoc_id: id.0 as i32,
            outbound: entry.outbound,
            inbound: entry.inbound,
            old_send_failed: g.opts.events.on(crate::abi::types::SCTP_SEND_FAILED),
        };
        // Events that precede the data they came with, then the data, then
        // the rest (so COMM_UP comes before data and SHUTDOWN after it).
        let mut late = Vec::new();
        while let Some(ev) = a.poll_event() {
            let early = matches!(
                ev,
                AssocEvent::CommUp { .. }
                    | AssocEvent::Streams { .. }
                    | AssocEvent::Adaptation(_)
                    | AssocEvent::Path { .. }
            );
            if early {
                self.apply_event(&mut g, id, &ev, &ctx);
            } else {
                late.push(ev);
            }
        }
        while let Some(piece) = a.take(usize::MAX) {
            g.rxq.push_back(RxItem::Data { assoc: id, piece });
        }
        for ev in late {
            self.apply_event(&mut g, id, &ev, &ctx);
        }
        if a.is_closed() {
            if let Some(e) = g.assocs.get_mut(&id) {
                e.state = AssocState::Closed;
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
                if self.style == Style::OneToOne && !self.peeled {
                    g.eof = true;
                }
            }
            AssocEvent::ShutdownComplete => {
                if let Some(e) = g.assocs.get_mut(&id) {
                    e.up = false;
                }
                if self.style == Style::OneToOne && !self.peeled {
                    g.eof = true;
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
                        g.eof = true;
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
        if subscribed {
            if let Some(bytes) = notify::build(ev, ctx) {
                g.rxq.push_back(RxItem::Notification { assoc: id, bytes });
            }
        }
    }
}
