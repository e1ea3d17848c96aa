//! The I/O shell around the sans-IO core: the one UDP socket of the
//! process (RFC 6951 encapsulation), one event-loop thread that sleeps
//! until a datagram arrives or the earliest association deadline (no
//! tick), and the registry of associations, each behind its own lock.
//!
//! Application threads call into associations directly through
//! [`Stack::with_assoc`]; whatever the call produced (packets, events,
//! data) is flushed on that same thread, so a send needs no hand-off.

use crate::log::{debug, log, Level};
use crate::proto::assoc::{AssocId, Association, EndpointEvent, Transmit};
use crate::proto::endpoint::{ConnectError, DatagramEvent, Endpoint};
use crate::proto::{Config, EndpointConfig, Instant};
use crate::sys;
use bytes::{Bytes, BytesMut};
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::raw::c_int;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

/// What the socket layer implements to receive an association's output.
pub trait Owner: Send + Sync {
    /// Called with the association locked after anything happened to it:
    /// take its events ([`Association::poll_event`]) and received data
    /// ([`Association::take`]), and update readiness. Must not call back
    /// into the stack for the same association.
    fn on_update(&self, id: AssocId, a: &mut Association);
    /// A new association arrived (its COOKIE ECHO) on a port this owner
    /// listens on: take it, refuse it, or not yet.
    fn on_accept(&self, id: AssocId) -> Admit;
}

/// What a listener says to a new association.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    Yes,
    /// Refused: it is aborted.
    No,
    /// Not now (the accept queue is full): the COOKIE ECHO is dropped as
    /// if lost, and the peer's retransmission of it tries again.
    Later,
    /// No room (the socket's association bound, [`Limits`]): aborted with
    /// an Out of Resource cause.
    Full,
}

/// Bounds on the number of associations, read from the environment of
/// the process that starts the stack (the host stack inherits the first
/// application's): `SCTPUDP_MAX_ASSOCS` for the whole stack and
/// `SCTPUDP_MAX_ASSOCS_PER_SOCKET` for one socket (a one-to-many socket's
/// associations, a one-to-one listener's accept queue). An association
/// over a bound is refused as memory exhaustion is on Linux: connect()
/// and an implicit setup by sendmsg() fail with ENOMEM, and a peer's
/// handshake is answered with an ABORT carrying Out of Resource (RFC 9260
/// 3.3.10.4) where Linux would find no memory for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub total: usize,
    pub per_socket: usize,
}

/// Default bound of the whole stack: ~0.5 GiB of idle associations.
pub const DEFAULT_MAX_ASSOCS: usize = 1 << 18;

impl Limits {
    pub fn from_env() -> Limits {
        let get = |name: &str| {
            std::env::var(name).ok().and_then(|v| v.trim().parse::<usize>().ok()).filter(|&n| n > 0)
        };
        let total = get("SCTPUDP_MAX_ASSOCS").unwrap_or(DEFAULT_MAX_ASSOCS);
        Limits { total, per_socket: get("SCTPUDP_MAX_ASSOCS_PER_SOCKET").unwrap_or(total) }
    }
}

/// One association and who receives its output.
pub struct Slot {
    pub assoc: Mutex<Association>,
    owner: Mutex<Weak<dyn Owner>>,
    /// Next deadline in microseconds; u64::MAX for none.
    deadline: AtomicU64,
    /// The deadline this association's entry in `Stack::timers` stands
    /// for (u64::MAX: none). Changed only under that heap's lock. A
    /// deadline that moves later keeps the earlier entry, which re-lists
    /// the association when it comes up; one that moves earlier adds an
    /// entry. So the heap holds about one entry per association, and a
    /// busy association (whose retransmission timer moves later with
    /// every SACK) pushes nothing.
    listed: AtomicU64,
}

pub use crate::ipc::DEFAULT_UDP_PORT;

const NO_DEADLINE: u64 = u64::MAX;
const WAKE_TOKEN: u64 = 1;
const UDP_TOKEN: u64 = 2;
const BATCH: usize = 32;
const RECV_BUF: usize = 65536;

/// The process-wide SCTP stack.
pub struct Stack {
    udp: OwnedFd,
    port: u16,
    v6: bool,
    ep: Mutex<Endpoint>,
    assocs: RwLock<super::IdMap<Arc<Slot>>>,
    listeners: Mutex<HashMap<u16, Weak<dyn Owner>>>,
    /// SCTP ports in use: reference count, and for ephemeral ones the
    /// host-wide reservation that keeps other sctpudp processes off them.
    ports: Mutex<HashMap<u16, (u32, Option<socket2::Socket>)>>,
    wake: OwnedFd,
    /// When the loop plans to wake next (µs); a new earlier deadline wakes it.
    loop_wake_at: AtomicU64,
    /// Association deadlines, earliest first: (µs, id). An entry whose
    /// deadline is no longer its slot's is stale and skipped when it comes
    /// up, so moving a deadline costs one push and the loop never walks
    /// every association (100,000 idle ones cost nothing between their
    /// timers).
    timers: Mutex<std::collections::BinaryHeap<std::cmp::Reverse<(u64, AssocId)>>>,
    epoch: std::time::Instant,
    stopped: AtomicBool,
    /// The receive side: batch buffers, held while a batch is handled so
    /// that [`Stack::pump`] knows nothing is in flight when it returns.
    rx: Mutex<Rx>,
    /// The host's addresses and when they were read.
    local: Mutex<(std::time::Instant, Vec<IpAddr>)>,
    /// Packets this stack sent to itself (a peer on this host behind the
    /// same UDP port), handed over without the UDP socket.
    lo: Mutex<LoopQueue>,
    /// How many packets `lo` holds (read without its lock).
    lo_len: AtomicUsize,
    /// Held while `lo` is drained, so packets are handled in the order
    /// they were sent; holds the scratch buffer for responses.
    lo_drain: Mutex<Vec<u8>>,
    /// Sends nothing to the network, only to itself ([`Stack::contain`]).
    contained: AtomicBool,
    limits: Limits,
}

/// Timers fire at most this late (µs): the loop wakes for a deadline at
/// the next multiple of it, so that timers due close together run in
/// one wake-up (100,000 idle associations' heartbeats come at about
/// 7,000 a second, each of which woke the loop by itself). Linux's SCTP
/// timers tick in jiffies (4 ms at HZ=250) the same way.
const TIMER_SLACK_US: u64 = 4000;

/// When the loop wakes for deadline `d` (µs).
fn slack(d: u64) -> u64 {
    if d == NO_DEADLINE {
        return d;
    }
    d.div_ceil(TIMER_SLACK_US).saturating_mul(TIMER_SLACK_US)
}

/// Packets in flight from this stack to itself. Their bytes are copied
/// into one shared pool and split off as `Bytes`, as received datagrams
/// are (no allocation per packet).
struct LoopQueue {
    q: std::collections::VecDeque<(SocketAddr, IpAddr, Bytes)>,
    pool: BytesMut,
}

struct Rx {
    batch: RxBatch,
    scratch: Vec<u8>,
}

fn os_seed() -> [u8; 32] {
    let mut s = [0u8; 32];
    if getrandom::getrandom(&mut s).is_err() {
        // Fall back to time and address-space entropy; tags are then weaker
        // but the stack still works.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        s[..16].copy_from_slice(&t.to_le_bytes());
        s[16..24].copy_from_slice(&(std::process::id() as u64).to_le_bytes());
    }
    s
}

/// A UDP socket bound to a kernel-chosen port (dual-stack if possible):
/// the reservation behind an ephemeral SCTP port.
fn reserve_port() -> std::io::Result<socket2::Socket> {
    use socket2::{Domain, Socket, Type};
    // A new IPv6 socket's IPV6_V6ONLY is net.ipv6.bindv6only's (0 unless
    // an administrator changed it): set it only when that is not off (one
    // system call less per connect).
    static V6ONLY_DEFAULT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let v6only = *V6ONLY_DEFAULT.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/net/ipv6/bindv6only").map_or(true, |v| v.trim() != "0")
    });
    if let Ok(s) = Socket::new(Domain::IPV6, Type::DGRAM.cloexec(), None) {
        if (!v6only || s.set_only_v6(false).is_ok())
            && s.bind(&SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0).into()).is_ok()
        {
            return Ok(s);
        }
    }
    let s = Socket::new(Domain::IPV4, Type::DGRAM.cloexec(), None)?;
    s.bind(&SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0).into())?;
    Ok(s)
}

fn bind_udp(port: u16) -> std::io::Result<(socket2::Socket, bool)> {
    use socket2::{Domain, Protocol, Socket, Type};
    // Dual-stack first: one socket serves IPv4 and IPv6 peers.
    if let Ok(s) = Socket::new(Domain::IPV6, Type::DGRAM.cloexec(), Some(Protocol::UDP)) {
        if s.set_only_v6(false).is_ok() {
            let addr = SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port);
            match s.bind(&addr.into()) {
                Ok(()) => return Ok((s, true)),
                Err(e) if e.raw_os_error() == Some(libc::EADDRINUSE) => return Err(e),
                Err(_) => {}
            }
        }
    }
    let s = Socket::new(Domain::IPV4, Type::DGRAM.cloexec(), Some(Protocol::UDP))?;
    s.bind(&SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), port).into())?;
    Ok((s, false))
}

impl Stack {
    /// Binds the UDP encapsulation port (0: an ephemeral one) and starts
    /// the event loop. Errors are errnos, logged with the reason.
    pub fn start(port: u16) -> Result<Arc<Stack>, c_int> {
        let (sock, v6) = match bind_udp(port) {
            Ok(s) => s,
            Err(e) => {
                log(Level::Error, &format!("cannot bind UDP port {port}: {e}"));
                return Err(e.raw_os_error().unwrap_or(libc::EIO));
            }
        };
        let _ = sock.set_nonblocking(true);
        // ICMP errors for our datagrams arrive on the error queue.
        let _ = setsockopt_int(&sock, libc::IPPROTO_IP, libc::IP_RECVERR, 1);
        // Learn which local address each datagram was sent to, so replies
        // and a single-homed association's packets leave from it.
        if v6 {
            let _ = setsockopt_int(&sock, libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, 1);
        } else {
            let _ = setsockopt_int(&sock, libc::IPPROTO_IP, libc::IP_PKTINFO, 1);
        }
        if v6 {
            let _ = setsockopt_int(&sock, libc::IPPROTO_IPV6, libc::IPV6_RECVERR, 1);
        }
        // ECN (RFC 6951 5.8): the outer header's ECN field of each
        // datagram, IPv4 ones (on either socket) with IP_TOS, IPv6 ones
        // with IPV6_TCLASS.
        let _ = setsockopt_int(&sock, libc::IPPROTO_IP, libc::IP_RECVTOS, 1);
        if v6 {
            let _ = setsockopt_int(&sock, libc::IPPROTO_IPV6, libc::IPV6_RECVTCLASS, 1);
        }
        let _ = sock.set_recv_buffer_size(4 << 20);
        let _ = sock.set_send_buffer_size(4 << 20);
        let port =
            sock.local_addr().ok().and_then(|a| a.as_socket()).map(|a| a.port()).unwrap_or(port);
        let udp: OwnedFd = sock.into();
        let wake = sys::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK)
            .map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))?;
        // SAFETY: `wake` is a fresh descriptor we own.
        let wake = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(wake) };
        let ec = EndpointConfig {
            cookie_secret: os_seed(),
            rng_seed: os_seed(),
            assoc: crate::sysctl::stack_defaults(),
        };
        let st = Arc::new(Stack {
            udp,
            port,
            v6,
            ep: Mutex::new(Endpoint::new(ec)),
            assocs: RwLock::new(super::IdMap::default()),
            listeners: Mutex::new(HashMap::new()),
            ports: Mutex::new(HashMap::new()),
            wake,
            loop_wake_at: AtomicU64::new(0),
            timers: Mutex::new(std::collections::BinaryHeap::new()),
            epoch: std::time::Instant::now(),
            stopped: AtomicBool::new(false),
            contained: AtomicBool::new(false),
            limits: Limits::from_env(),
            rx: Mutex::new(Rx { batch: RxBatch::new(), scratch: Vec::with_capacity(2048) }),
            local: Mutex::new((std::time::Instant::now(), interface_addrs())),
            lo: Mutex::new(LoopQueue {
                q: std::collections::VecDeque::new(),
                pool: BytesMut::new(),
            }),
            lo_len: AtomicUsize::new(0),
            lo_drain: Mutex::new(Vec::with_capacity(2048)),
        });
        let weak = Arc::downgrade(&st);
        std::thread::Builder::new()
            .name("sctpudp".into())
            .spawn(move || run_loop(weak))
            .map_err(|_| libc::EAGAIN)?;
        log(Level::Info, &format!("stack started on UDP port {port}"));
        Ok(st)
    }

    /// Lists a new association, owned by `owner`, with no deadline yet.
    fn register(&self, id: AssocId, a: Association, owner: Weak<dyn Owner>) -> Arc<Slot> {
        let slot = Arc::new(Slot {
            assoc: Mutex::new(a),
            owner: Mutex::new(owner),
            deadline: AtomicU64::new(NO_DEADLINE),
            listed: AtomicU64::new(NO_DEADLINE),
        });
        self.assocs.write().insert(id, slot.clone());
        slot
    }

    /// The association (of any socket on `local_port`) with a path to
    /// `peer` at `peer_port`, from the endpoint's index.
    pub fn assoc_at(&self, peer: IpAddr, peer_port: u16, local_port: u16) -> Option<AssocId> {
        self.ep.lock().lookup(sys::unmap(peer), peer_port, local_port)
    }

    /// The local UDP encapsulation port.
    pub fn udp_port(&self) -> u16 {
        self.port
    }

    /// The stack's clock: microseconds since it started, plus one second
    /// so that zero never appears.
    pub fn now(&self) -> Instant {
        Instant(self.epoch.elapsed().as_micros() as u64 + 1_000_000)
    }

    /// Default association parameters.
    pub fn default_config(&self) -> Config {
        self.ep.lock().config().assoc.clone()
    }

    /// Reserves SCTP port `port` (0: an ephemeral one). With `reuse`, a
    /// port may be shared. Errors: EADDRINUSE.
    pub fn bind_port(&self, port: u16, reuse: bool) -> Result<u16, c_int> {
        let mut ports = self.ports.lock();
        if port != 0 {
            let e = ports.entry(port).or_insert((0, None));
            if e.0 > 0 && !reuse {
                return Err(libc::EADDRINUSE);
            }
            e.0 += 1;
            return Ok(port);
        }
        // An ephemeral port must be unique on the host, not only in this
        // process: two processes connecting from the same SCTP port to one
        // server would look like one association to it (the kernel's SCTP
        // allocates host-wide). Every sctpudp process takes its ephemeral
        // SCTP ports from the kernel's UDP port allocator and keeps that
        // UDP port bound while the SCTP port is in use.
        for _ in 0..64 {
            let r = reserve_port().map_err(|e| e.raw_os_error().unwrap_or(libc::EADDRINUSE))?;
            let p = r.local_addr().ok().and_then(|a| a.as_socket()).map(|a| a.port()).unwrap_or(0);
            if p == 0 {
                continue;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = ports.entry(p) {
                e.insert((1, Some(r)));
                return Ok(p);
            }
        }
        Err(libc::EADDRINUSE)
    }

    /// Releases a port taken with [`Stack::bind_port`].
    pub fn release_port(&self, port: u16) {
        let mut ports = self.ports.lock();
        if let Some(e) = ports.get_mut(&port) {
            e.0 -= 1;
            if e.0 == 0 {
                // Drops the reservation too.
                ports.remove(&port);
            }
        }
    }

    /// Accepts new associations on SCTP port `port` for `owner`.
    pub fn listen(&self, port: u16, cfg: Config, local_addrs: Vec<IpAddr>, owner: Weak<dyn Owner>) {
        self.listeners.lock().insert(port, owner);
        self.ep.lock().listen(port, cfg, local_addrs);
    }

    /// Stops accepting on `port`.
    pub fn unlisten(&self, port: u16) {
        self.listeners.lock().remove(&port);
        self.ep.lock().unlisten(port);
    }

    /// Starts an association. Errors: EADDRINUSE/EISCONN (exists), EINVAL.
    pub fn connect(
        &self,
        cfg: Arc<Config>,
        local_port: u16,
        peer_port: u16,
        peers: &[SocketAddr],
        local_addrs: Vec<IpAddr>,
        owner: Weak<dyn Owner>,
    ) -> Result<AssocId, c_int> {
        if self.assoc_count() >= self.limits.total {
            return Err(libc::ENOMEM);
        }
        let now = self.now();
        let (id, a) =
            self.ep.lock().connect(now, cfg, local_port, peer_port, peers, local_addrs).map_err(
                |e| match e {
                    // Another socket of this port has an association with
                    // that peer: one peeled off this socket, as far as Linux
                    // knows (sctp_endpoint_is_peeled_off), or one of a
                    // socket sharing the port.
                    ConnectError::Exists => libc::EADDRNOTAVAIL,
                    ConnectError::NoAddress => libc::EINVAL,
                },
            )?;
        let slot = self.register(id, a, owner);
        let mut g = slot.assoc.lock();
        self.drive(id, &slot, &mut g);
        Ok(id)
    }

    /// How many associations the stack holds.
    pub fn assoc_count(&self) -> usize {
        self.assocs.read().len()
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Hands an association's output to another owner (accept, peeloff).
    pub fn set_owner(&self, id: AssocId, owner: Weak<dyn Owner>) {
        if let Some(s) = self.slot(id) {
            *s.owner.lock() = owner;
            let mut g = s.assoc.lock();
            self.drive(id, &s, &mut g);
        }
    }

    fn slot(&self, id: AssocId) -> Option<Arc<Slot>> {
        self.assocs.read().get(&id).cloned()
    }

    /// Runs `f` on association `id` (locked), then flushes what it
    /// produced. None if the association is gone.
    pub fn with_assoc<R>(
        &self,
        id: AssocId,
        f: impl FnOnce(&mut Association, Instant) -> R,
    ) -> Option<R> {
        let s = self.slot(id)?;
        let mut g = s.assoc.lock();
        let r = f(&mut g, self.now());
        self.drive(id, &s, &mut g);
        Some(r)
    }

    /// Reads association `id` without flushing (getsockopt and friends).
    pub fn inspect<R>(&self, id: AssocId, f: impl FnOnce(&Association) -> R) -> Option<R> {
        let s = self.slot(id)?;
        let g = s.assoc.lock();
        Some(f(&g))
    }

    /// Flushes an association's output: packets to the network, events
    /// and data to its owner, routing changes to the endpoint, and its
    /// next deadline to the loop.
    fn drive(&self, id: AssocId, slot: &Slot, a: &mut Association) {
        let now = self.now();
        send_all(self, a, now);
        debug!(
            "assoc {} {:?} unacked={} pending={} readable={}",
            id.0,
            a.state(),
            a.unacked_chunks(),
            a.pending_chunks(),
            a.readable()
        );
        let owner = slot.owner.lock().upgrade();
        if let Some(o) = owner {
            o.on_update(id, a);
        } else {
            // Nobody reads this association (its socket was closed while
            // it shuts down): drain its events, and drop the data that
            // still arrives with the window kept open, as Linux frees what
            // arrives for a socket shut for reading (sctp_ulpq_tail_event),
            // so the peer can finish sending and the shutdown completes.
            while a.poll_event().is_some() {}
            while let Some(p) = a.take(usize::MAX) {
                a.release(p.data.len());
            }
        }
        send_all(self, a, now);
        let mut drained = false;
        while let Some(ev) = a.poll_endpoint_event() {
            drained |= ev == EndpointEvent::Drained;
            self.ep.lock().handle_event(id, ev);
        }
        if drained {
            self.assocs.write().remove(&id);
            slot.deadline.store(NO_DEADLINE, Ordering::Relaxed);
            return;
        }
        let d = a.poll_timeout().map(|t| t.0).unwrap_or(NO_DEADLINE);
        slot.deadline.store(d, Ordering::Relaxed);
        if d < slot.listed.load(Ordering::Relaxed) {
            let mut h = self.timers.lock();
            if d < slot.listed.load(Ordering::Relaxed) {
                h.push(std::cmp::Reverse((d, id)));
                slot.listed.store(d, Ordering::Relaxed);
            }
            // Under the heap's lock, as the loop plans its wake-up
            // (`plan_wake`): either it sees this entry or this sees its
            // plan.
            if slack(d) < self.loop_wake_at.load(Ordering::Relaxed) {
                let _ = sys::write(self.wake.as_raw_fd(), &1u64.to_ne_bytes());
            }
        }
    }

    /// Runs the timers of the associations whose deadline has come.
    fn run_timers(&self, due: &mut Vec<(AssocId, Arc<Slot>)>) {
        let now = self.now().0;
        {
            let mut h = self.timers.lock();
            while let Some(std::cmp::Reverse((d, id))) = h.peek().copied() {
                if d > now {
                    break;
                }
                h.pop();
                let Some(s) = self.slot(id) else { continue };
                // An entry superseded by an earlier one.
                if s.listed.load(Ordering::Relaxed) != d {
                    continue;
                }
                let cur = s.deadline.load(Ordering::Relaxed);
                if cur > now {
                    // The deadline moved later: list it there.
                    s.listed.store(cur, Ordering::Relaxed);
                    if cur != NO_DEADLINE {
                        h.push(std::cmp::Reverse((cur, id)));
                    }
                    continue;
                }
                s.listed.store(NO_DEADLINE, Ordering::Relaxed);
                due.push((id, s));
            }
        }
        for (id, s) in due.drain(..) {
            let mut g = s.assoc.lock();
            g.handle_timeout(self.now());
            // drive lists the new deadline (nothing is listed now).
            self.drive(id, &s, &mut g);
        }
    }

    /// When the loop is to wake next: for the earliest listed deadline
    /// (perhaps stale: waking early for it only pops it), at
    /// `slack(deadline)`. Recorded under the heap's lock, which `drive`
    /// holds when it lists an earlier one and compares.
    fn plan_wake(&self) -> u64 {
        let h = self.timers.lock();
        let next = slack(h.peek().map(|r| r.0 .0).unwrap_or(NO_DEADLINE));
        self.loop_wake_at.store(next, Ordering::Relaxed);
        next
    }

    fn send_response(&self, buf: &[u8], t: &Transmit) {
        if self.is_self(t.dst) {
            self.loop_push(t.src_ip, t.dst, buf);
            return;
        }
        if self.contained.load(Ordering::Relaxed) {
            return;
        }
        let dst = self.map_dst(t.dst);
        let (mut ss, len) = sys::sockaddr_from(&dst);
        let mut control = [0u64; CONTROL_WORDS];
        let clen = t.src_ip.map(|ip| pktinfo_src(&mut control, ip, self.v6)).unwrap_or(0);
        let mut iov =
            libc::iovec { iov_base: buf.as_ptr() as *mut libc::c_void, iov_len: buf.len() };
        // SAFETY: msghdr is plain old data; zeroed is a valid empty header.
        let mut m: libc::msghdr = unsafe { std::mem::zeroed() };
        m.msg_name = &mut ss as *mut _ as *mut libc::c_void;
        m.msg_namelen = len;
        m.msg_iov = &mut iov;
        m.msg_iovlen = 1;
        if clen > 0 {
            m.msg_control = control.as_mut_ptr() as *mut libc::c_void;
            m.msg_controllen = clen;
        }
        // SAFETY: every pointer in `m` refers to live data above.
        let r = unsafe {
            libc::syscall(
                libc::SYS_sendmsg,
                self.udp.as_raw_fd(),
                &m as *const libc::msghdr,
                libc::MSG_DONTWAIT,
            )
        };
        if r < 0 {
            debug!("sendmsg {dst}: {}", std::io::Error::last_os_error());
        }
    }

    /// IPv4 destinations on a dual-stack socket use mapped addresses.
    fn map_dst(&self, d: SocketAddr) -> SocketAddr {
        match (self.v6, d.ip()) {
            (true, IpAddr::V4(v4)) => SocketAddr::new(IpAddr::V6(v4.to_ipv6_mapped()), d.port()),
            _ => d,
        }
    }

    /// From now on packets to anywhere but this stack itself are dropped
    /// (as if the network lost them): for the fuzz harness
    /// ([`super::server::Harness`]), whose input names arbitrary peers.
    pub fn contain(&self) {
        self.contained.store(true, Ordering::Relaxed);
    }

    /// Stops the loop thread (tests, exit).
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
        let _ = sys::write(self.wake.as_raw_fd(), &1u64.to_ne_bytes());
    }

    /// Receives and handles what the UDP socket holds now, at most
    /// `max_batches` batches. Returns how many datagrams were handled.
    pub fn poll_input(&self, max_batches: usize) -> usize {
        let mut g = self.rx.lock();
        let rx = &mut *g;
        let udp = self.udp.as_raw_fd();
        let mut total = 0;
        for _ in 0..max_batches {
            let got = rx.batch.recv(udp);
            if got == 0 {
                break;
            }
            for i in 0..got {
                let (src, dst, pkt, ce) = rx.batch.take(i);
                if let Some(src) = src {
                    on_datagram(self, src, dst, pkt, ce, &mut rx.scratch);
                }
            }
            total += got;
        }
        total
    }

    /// Handles everything queued until nothing more arrives. After a
    /// request that sent packets to this host, their answers (and the
    /// answers to those) are handled before the request returns, as Linux
    /// handles a loopback exchange inside the system call that started it.
    ///
    /// A peer on this host behind the same UDP port is this very stack:
    /// its packets never touch the UDP socket ([`Stack::is_self`]); they
    /// wait in the loopback queue, which this drains, answers included.
    /// Must be called with no association or socket lock held.
    pub fn pump(&self) -> bool {
        // Taken before looking at the queue: another thread may have
        // popped the last packet and still be handling it (its answers
        // not queued yet); this waits until it is done.
        let mut scratch = self.lo_drain.lock();
        if self.lo_len.load(Ordering::Acquire) == 0 {
            return false;
        }
        // Bounded: two associations answering each other forever (they
        // do not, but a bug must not hang the stack) yield to the loop.
        for _ in 0..100_000 {
            let next = {
                let mut lo = self.lo.lock();
                let n = lo.q.pop_front();
                self.lo_len.store(lo.q.len(), Ordering::Release);
                n
            };
            let Some((src, dst, pkt)) = next else { return true };
            on_datagram(self, src, Some(dst), pkt, false, &mut scratch);
        }
        // Left over: the loop thread carries on.
        let _ = sys::write(self.wake.as_raw_fd(), &1u64.to_ne_bytes());
        true
    }

    /// Whether a packet to `dst` comes back to this stack: sent to our own
    /// UDP port at an address of this host.
    fn is_self(&self, dst: SocketAddr) -> bool {
        dst.port() == self.port && !dst.ip().is_unspecified() && self.is_local(dst.ip())
    }

    /// Queues a packet for this stack itself (see [`Stack::pump`]). The
    /// source address is the one the kernel would pick for a local
    /// destination: the chosen source, else the destination itself.
    fn loop_push(&self, src_ip: Option<IpAddr>, dst: SocketAddr, pkt: &[u8]) {
        let dip = sys::unmap(dst.ip());
        let sip = src_ip.map(sys::unmap).unwrap_or(dip);
        let mut lo = self.lo.lock();
        if lo.pool.capacity() - lo.pool.len() < pkt.len() {
            lo.pool.reserve(RECV_BUF.max(pkt.len()));
        }
        lo.pool.extend_from_slice(pkt);
        let b = lo.pool.split().freeze();
        lo.q.push_back((SocketAddr::new(sip, self.port), dip, b));
        self.lo_len.store(lo.q.len(), Ordering::Release);
    }

    /// Whether `ip` is an address of this host (loopback, or on one of
    /// its interfaces; the list is read again at most once a second).
    pub fn is_local(&self, ip: IpAddr) -> bool {
        if ip.is_loopback() {
            return true;
        }
        let mut g = self.local.lock();
        if g.1.contains(&ip) {
            return true;
        }
        if g.0.elapsed() > std::time::Duration::from_secs(1) {
            *g = (std::time::Instant::now(), interface_addrs());
            return g.1.contains(&ip);
        }
        false
    }

    /// Ids of all live associations.
    pub fn assoc_ids(&self) -> Vec<AssocId> {
        self.assocs.read().keys().copied().collect()
    }
}

thread_local! {
    static TX: std::cell::RefCell<TxBatch> = std::cell::RefCell::new(TxBatch::default());
}

#[derive(Default)]
struct TxBatch {
    bufs: Vec<Vec<u8>>,
    dsts: Vec<(libc::sockaddr_storage, libc::socklen_t)>,
    /// Packet-info cmsg choosing the source address, and its length (0: none).
    srcs: Vec<([u64; CONTROL_WORDS], usize)>,
}

/// Sends every packet the association has, batched with sendmmsg.
fn send_all(st: &Stack, a: &mut Association, now: Instant) {
    // At process exit the thread-local batch may already be destroyed
    // (exit handlers run after TLS destructors): use a local one then.
    let done = TX.try_with(|tx| match tx.try_borrow_mut() {
        Ok(mut tx) => {
            send_batch(st, a, now, &mut tx);
            true
        }
        Err(_) => false,
    });
    if done != Ok(true) {
        send_batch(st, a, now, &mut TxBatch::default());
    }
}

fn send_batch(st: &Stack, a: &mut Association, now: Instant, tx: &mut TxBatch) {
    {
        let contained = st.contained.load(Ordering::Relaxed);
        let mut n = 0;
        loop {
            if tx.bufs.len() <= n {
                tx.bufs.push(Vec::with_capacity(2048));
                // SAFETY: sockaddr_storage is plain old data; zeroed is valid.
                tx.dsts.push((unsafe { std::mem::zeroed() }, 0));
                tx.srcs.push(([0; CONTROL_WORDS], 0));
            }
            let Some(t) = a.poll_transmit(now, &mut tx.bufs[n]) else { break };
            if st.is_self(t.dst) {
                st.loop_push(t.src_ip, t.dst, &tx.bufs[n][..t.len]);
                continue;
            }
            if contained {
                continue;
            }
            let dst = st.map_dst(t.dst);
            tx.dsts[n] = sys::sockaddr_from(&dst);
            tx.srcs[n].1 = match t.src_ip {
                Some(ip) => pktinfo_src(&mut tx.srcs[n].0, ip, st.v6),
                None => 0,
            };
            if t.ect {
                let (control, used) = &mut tx.srcs[n];
                *used = ect_cmsg(control, *used, &dst);
            }
            debug!("tx {} bytes to {}", t.len, t.dst);
            n += 1;
            if n == BATCH {
                flush(st, tx, n);
                n = 0;
            }
        }
        if n > 0 {
            flush(st, tx, n);
        }
    }
}

fn flush(st: &Stack, tx: &mut TxBatch, n: usize) {
    let mut iovs: [libc::iovec; BATCH] =
        [libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 }; BATCH];
    // SAFETY: mmsghdr is plain old data; zeroed is a valid empty header.
    let mut msgs: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
    for i in 0..n {
        iovs[i] =
            libc::iovec { iov_base: tx.bufs[i].as_mut_ptr() as *mut _, iov_len: tx.bufs[i].len() };
        msgs[i].msg_hdr.msg_name = &mut tx.dsts[i].0 as *mut _ as *mut libc::c_void;
        msgs[i].msg_hdr.msg_namelen = tx.dsts[i].1;
        msgs[i].msg_hdr.msg_iov = &mut iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        if tx.srcs[i].1 > 0 {
            msgs[i].msg_hdr.msg_control = tx.srcs[i].0.as_mut_ptr() as *mut libc::c_void;
            msgs[i].msg_hdr.msg_controllen = tx.srcs[i].1;
        }
    }
    let mut off = 0;
    let mut soft = 0;
    while off < n {
        match sys::sendmmsg(st.udp.as_raw_fd(), &mut msgs[off..n]) {
            Ok(0) => break,
            Ok(k) => off += k,
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
            Err(e) if is_icmp_report(&e) && soft < 8 => {
                // With IP_RECVERR, an ICMP error about an earlier datagram
                // (say, to a port a NAT just closed) is reported by the
                // next call on the socket and this datagram was not sent:
                // send it again (bounded).
                soft += 1;
            }
            Err(e) => {
                // A full socket buffer or an unreachable peer: SCTP
                // retransmits, so the packet is just lost.
                debug!("sendmmsg: {e}");
                off += 1;
            }
        }
    }
}

/// Errors a UDP socket with IP_RECVERR reports for an ICMP message about
/// some earlier datagram, not about the current call.
fn is_icmp_report(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(
            libc::ECONNREFUSED
                | libc::EHOSTUNREACH
                | libc::ENETUNREACH
                | libc::EHOSTDOWN
                | libc::EMSGSIZE
        )
    )
}

fn block_signals() {
    // SAFETY: sigfillset/pthread_sigmask on a local set; affects only this thread.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

fn run_loop(weak: Weak<Stack>) {
    block_signals();
    let Some(st) = weak.upgrade() else { return };
    let ep = match sys::epoll_create() {
        Ok(e) => e,
        Err(e) => {
            log(Level::Error, &format!("epoll_create: {e}"));
            return;
        }
    };
    let _ = sys::epoll_add(ep, st.udp.as_raw_fd(), libc::EPOLLIN as u32, UDP_TOKEN);
    let _ = sys::epoll_add(ep, st.wake.as_raw_fd(), libc::EPOLLIN as u32, WAKE_TOKEN);
    drop(st);
    let mut evs = [libc::epoll_event { events: 0, u64: 0 }; 4];
    let mut due = Vec::new();
    loop {
        let Some(st) = weak.upgrade() else { break };
        if st.stopped.load(Ordering::Relaxed) {
            break;
        }
        // Run due timers (a timer may set a new, also due, deadline: the
        // next turn of the loop runs it).
        st.run_timers(&mut due);
        // Timers may have sent to this stack itself.
        st.pump();
        let next = st.plan_wake();
        let timeout = if next == NO_DEADLINE {
            -1
        } else {
            let now = st.now().0;
            // Round up to whole milliseconds so we never wake early.
            (next.saturating_sub(now).div_ceil(1000)).min(i32::MAX as u64) as c_int
        };
        let udp = st.udp.as_raw_fd();
        let wake = st.wake.as_raw_fd();
        drop(st);
        let n = match sys::epoll_wait(ep, &mut evs, timeout) {
            Ok(n) => n,
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => 0,
            Err(e) => {
                log(Level::Error, &format!("epoll_wait: {e}"));
                break;
            }
        };
        let Some(st) = weak.upgrade() else { break };
        st.loop_wake_at.store(0, Ordering::Relaxed);
        for ev in &evs[..n] {
            match ev.u64 {
                WAKE_TOKEN => {
                    let mut b = [0u8; 8];
                    let _ = sys::read(wake, &mut b);
                }
                UDP_TOKEN => {
                    if ev.events & libc::EPOLLERR as u32 != 0 {
                        drain_errors(&st, udp);
                    }
                    // Bounded so timers still run under a flood.
                    st.poll_input(64);
                    st.pump();
                }
                _ => {}
            }
        }
    }
    let _ = sys::close(ep);
}

/// The host's interface addresses (what Linux's `local_addr_list` holds).
pub fn interface_addrs() -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = Vec::new();
    let mut ifa: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `ifa` with a list we walk read-only and free
    // with freeifaddrs; every sockaddr is read according to its family.
    unsafe {
        if libc::getifaddrs(&mut ifa) != 0 {
            return out;
        }
        let mut p = ifa;
        while !p.is_null() {
            let a = (*p).ifa_addr;
            if !a.is_null() {
                match c_int::from((*a).sa_family) {
                    libc::AF_INET => {
                        let sin = &*(a as *const libc::sockaddr_in);
                        out.push(IpAddr::V4(std::net::Ipv4Addr::from(u32::from_be(
                            sin.sin_addr.s_addr,
                        ))));
                    }
                    libc::AF_INET6 => {
                        let sin6 = &*(a as *const libc::sockaddr_in6);
                        out.push(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)));
                    }
                    _ => {}
                }
            }
            p = (*p).ifa_next;
        }
        libc::freeifaddrs(ifa);
    }
    let mut seen = Vec::new();
    out.retain(|a| {
        let new = !seen.contains(a);
        seen.push(*a);
        new
    });
    out
}

fn setsockopt_int(s: &socket2::Socket, level: c_int, name: c_int, v: c_int) -> std::io::Result<()> {
    // SAFETY: a valid int option value and its length on our own socket.
    let r = unsafe {
        libc::syscall(
            libc::SYS_setsockopt,
            s.as_raw_fd(),
            level,
            name,
            &v as *const c_int,
            std::mem::size_of::<c_int>() as libc::socklen_t,
        )
    };
    if r < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Reads the UDP socket's error queue (IP_RECVERR): an ICMP port
/// unreachable for a datagram we sent means no SCTP stack listens there.
/// RFC 6951 5.5 treats it as an SCTP protocol unreachable, which (as
/// Linux does) ends an association still in COOKIE-WAIT at once instead
/// of after Max.Init.Retransmits. The quoted SCTP header is matched to
/// its association and verification tag before anything is done.
fn drain_errors(st: &Stack, fd: c_int) {
    let mut data = [0u8; 256];
    let mut control = [0u8; 512];
    for _ in 0..64 {
        // SAFETY: sockaddr_storage and msghdr are plain old data.
        let mut name: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let mut iov = libc::iovec { iov_base: data.as_mut_ptr() as *mut _, iov_len: data.len() };
        // SAFETY: as above.
        let mut m: libc::msghdr = unsafe { std::mem::zeroed() };
        m.msg_name = &mut name as *mut _ as *mut libc::c_void;
        m.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as u32;
        m.msg_iov = &mut iov;
        m.msg_iovlen = 1;
        m.msg_control = control.as_mut_ptr() as *mut _;
        m.msg_controllen = control.len();
        // SAFETY: every pointer in `m` refers to live buffers above.
        let n = unsafe {
            libc::syscall(
                libc::SYS_recvmsg,
                fd,
                &mut m as *mut libc::msghdr,
                libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT,
            )
        };
        if n < 0 {
            return;
        }
        let n = n as usize;
        let mut refused = false;
        // "Fragmentation needed" / "packet too big": the path's IP MTU.
        // (The kernel's own EMSGSIZE for a datagram it could not send
        // quotes no SCTP header and is passed over below.)
        let mut too_big: Option<u32> = None;
        // SAFETY: CMSG_* walk the control buffer the kernel just filled,
        // bounded by msg_controllen.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&m);
            while !c.is_null() {
                let lvl = (*c).cmsg_level;
                let ty = (*c).cmsg_type;
                if (lvl == libc::IPPROTO_IP && ty == libc::IP_RECVERR)
                    || (lvl == libc::IPPROTO_IPV6 && ty == libc::IPV6_RECVERR)
                {
                    let ee = libc::CMSG_DATA(c) as *const libc::sock_extended_err;
                    let ee = std::ptr::read_unaligned(ee);
                    refused |= ee.ee_errno == libc::ECONNREFUSED as u32;
                    if ee.ee_errno == libc::EMSGSIZE as u32 && ee.ee_info > 0 {
                        too_big = Some(ee.ee_info);
                    }
                }
                c = libc::CMSG_NXTHDR(&m, c);
            }
        }
        let Some(dst) = sys::sockaddr_to(&name) else { continue };
        if (!refused && too_big.is_none()) || n < 12 {
            continue;
        }
        let pkt = &data[..n.min(data.len())];
        let sport = u16::from_be_bytes([pkt[0], pkt[1]]);
        let dport = u16::from_be_bytes([pkt[2], pkt[3]]);
        let vtag = u32::from_be_bytes([pkt[4], pkt[5], pkt[6], pkt[7]]);
        // For an INIT (tag 0) the Initiate Tag identifies us (RFC 9260 10 ICMP6).
        let init_tag = (pkt.len() >= 20 && pkt[12] == crate::proto::wire::CHUNK_INIT)
            .then(|| u32::from_be_bytes([pkt[16], pkt[17], pkt[18], pkt[19]]));
        let id = st.ep.lock().lookup(dst.ip(), dport, sport);
        let Some(id) = id else { continue };
        if let Some(mtu) = too_big {
            // RFC 9260 10: only a report quoting the association's own
            // tag (blind ones cannot shrink its packets).
            let peer = sys::unmap(dst.ip());
            st.with_assoc(id, |a, _| {
                if vtag == a.peer_tag() && a.pmtu_report(peer, mtu) {
                    debug!("path MTU to {peer} is now {mtu} (ICMP)");
                }
            });
        } else {
            st.with_assoc(id, |a, now| a.handle_unreachable(now, vtag, init_tag));
        }
    }
}

fn on_datagram(
    st: &Stack,
    src: SocketAddr,
    dst: Option<IpAddr>,
    pkt: Bytes,
    ce: bool,
    scratch: &mut Vec<u8>,
) {
    let now = st.now();
    debug!("rx {} bytes from {src}", pkt.len());
    let mut ev = st.ep.lock().handle_to(now, src, dst, &pkt, scratch);
    if let Some(DatagramEvent::Assoc(_, inc) | DatagramEvent::NewAssoc(_, _, inc)) = &mut ev {
        inc.ce = ce;
    }
    match ev {
        None => {}
        Some(DatagramEvent::Response(t)) => st.send_response(&scratch[..t.len], &t),
        Some(DatagramEvent::Assoc(id, inc)) => {
            if let Some(s) = st.slot(id) {
                let mut g = s.assoc.lock();
                g.handle(now, inc);
                st.drive(id, &s, &mut g);
            }
        }
        Some(DatagramEvent::NewAssoc(id, a, inc)) => {
            let port = a.local_port();
            let owner = st.listeners.lock().get(&port).cloned();
            let owner = owner.and_then(|w| w.upgrade().map(|o| (w, o)));
            let admit = if st.assoc_count() >= st.limits.total {
                Admit::Full
            } else {
                owner.as_ref().map_or(Admit::No, |o| o.1.on_accept(id))
            };
            match (admit, owner) {
                (Admit::Yes, Some(owner)) => {
                    let slot = st.register(id, *a, owner.0);
                    let mut g = slot.assoc.lock();
                    g.handle(now, inc);
                    st.drive(id, &slot, &mut g);
                }
                (Admit::Later, _) => {
                    st.ep.lock().handle_event(id, EndpointEvent::Drained);
                }
                (admit, _) => {
                    let mut a = *a;
                    if admit == Admit::Full {
                        debug!("no room for association {} from {src}", id.0);
                        a.abort_for(now, crate::proto::wire::Cause::OutOfResource);
                    } else {
                        a.abort(now, Bytes::new());
                    }
                    send_all(st, &mut a, now);
                    while let Some(ev) = a.poll_endpoint_event() {
                        st.ep.lock().handle_event(id, ev);
                    }
                }
            }
        }
    }
}

/// Receive buffers for recvmmsg: datagrams land in fixed scratch
/// buffers, then each is copied once, compactly, into a shared pool from
/// which it is split off as `Bytes`: DATA payloads borrow from it until
/// the application reads them, and the pool is reallocated only when
/// full (about once per 700 full-size packets).
struct RxBatch {
    scratch: Vec<Vec<u8>>,
    pool: BytesMut,
    names: Vec<libc::sockaddr_storage>,
    controls: Vec<[u64; CONTROL_WORDS]>,
    dsts: Vec<Option<IpAddr>>,
    /// Whether each datagram arrived marked Congestion Experienced.
    ces: Vec<bool>,
    out: Vec<Bytes>,
}

/// Room for a packet-info control message (IP_PKTINFO, 32 bytes, or
/// IPV6_PKTINFO, 40) and a traffic-class one (IP_TOS or IPV6_TCLASS, 24),
/// u64 aligned.
const CONTROL_WORDS: usize = 10;

/// The ECN field's Congestion Experienced codepoint (RFC 3168 5).
const ECN_CE: u8 = 3;
/// ECT(0), the ECN-Capable Transport codepoint senders use (RFC 3168 5).
const ECN_ECT0: c_int = 2;

/// From a received message's control messages: the destination address
/// (packet info) and whether the IP header's ECN field was CE.
fn control_info(m: &libc::msghdr) -> (Option<IpAddr>, bool) {
    let (mut dst, mut ce) = (None, false);
    // SAFETY: CMSG_* walk the kernel-filled buffer within msg_controllen;
    // each payload is read unaligned, only when its cmsg_len covers it.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(m);
        while !c.is_null() {
            let (lvl, ty) = ((*c).cmsg_level, (*c).cmsg_type);
            let len = ((*c).cmsg_len as usize).saturating_sub(libc::CMSG_LEN(0) as usize);
            let data = libc::CMSG_DATA(c);
            if lvl == libc::IPPROTO_IPV6
                && ty == libc::IPV6_PKTINFO
                && len >= std::mem::size_of::<libc::in6_pktinfo>()
            {
                let p = std::ptr::read_unaligned(data as *const libc::in6_pktinfo);
                let ip = std::net::Ipv6Addr::from(p.ipi6_addr.s6_addr);
                dst = Some(sys::unmap(IpAddr::V6(ip)));
            } else if lvl == libc::IPPROTO_IP
                && ty == libc::IP_PKTINFO
                && len >= std::mem::size_of::<libc::in_pktinfo>()
            {
                let p = std::ptr::read_unaligned(data as *const libc::in_pktinfo);
                dst = Some(IpAddr::V4(std::net::Ipv4Addr::from(p.ipi_addr.s_addr.to_ne_bytes())));
            } else if lvl == libc::IPPROTO_IP && ty == libc::IP_TOS && len >= 1 {
                // One byte, the TOS field.
                ce = *data & 3 == ECN_CE;
            } else if lvl == libc::IPPROTO_IPV6 && ty == libc::IPV6_TCLASS && len >= 4 {
                let tclass = std::ptr::read_unaligned(data as *const c_int);
                ce = tclass & 3 == c_int::from(ECN_CE);
            }
            c = libc::CMSG_NXTHDR(m, c);
        }
    }
    (dst, ce)
}

/// Appends to `control` (holding `used` bytes) a traffic-class cmsg that
/// marks the datagram ECT(0): IP_TOS for an IPv4 destination (mapped, on
/// an IPv6 socket: the kernel sends it with IPv4, reading SOL_IP
/// cmsgs), IPV6_TCLASS for an IPv6 one. Returns the new length.
fn ect_cmsg(control: &mut [u64; CONTROL_WORDS], used: usize, dst: &SocketAddr) -> usize {
    let v4 = match dst {
        SocketAddr::V4(_) => true,
        SocketAddr::V6(a) => a.ip().to_ipv4_mapped().is_some(),
    };
    // SAFETY: CMSG_SPACE is arithmetic on its argument.
    let space = unsafe { libc::CMSG_SPACE(std::mem::size_of::<c_int>() as u32) } as usize;
    if used + space > CONTROL_WORDS * 8 {
        return used;
    }
    let bytes = control.as_mut_ptr() as *mut u8;
    // SAFETY: `used` is a multiple of 8 (CMSG_SPACE of earlier cmsgs), and
    // `used + space` fits in the u64-aligned `control` (checked above).
    unsafe {
        std::ptr::write_bytes(bytes.add(used), 0, space);
        let c = bytes.add(used) as *mut libc::cmsghdr;
        (*c).cmsg_level = if v4 { libc::IPPROTO_IP } else { libc::IPPROTO_IPV6 };
        (*c).cmsg_type = if v4 { libc::IP_TOS } else { libc::IPV6_TCLASS };
        (*c).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<c_int>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(c) as *mut c_int, ECN_ECT0);
    }
    used + space
}

/// Writes a packet-info cmsg choosing `src` as the source address into
/// `control`; returns its length.
fn pktinfo_src(control: &mut [u64; CONTROL_WORDS], src: IpAddr, v6_socket: bool) -> usize {
    let bytes = control.as_mut_ptr() as *mut u8;
    // SAFETY: `control` is 80 bytes, u64-aligned, enough for one
    // cmsghdr + in6_pktinfo (16 + 20, padded to 40) or in_pktinfo (28).
    unsafe {
        std::ptr::write_bytes(bytes, 0, CONTROL_WORDS * 8);
        let c = bytes as *mut libc::cmsghdr;
        if v6_socket {
            let ip = match src {
                IpAddr::V4(v4) => v4.to_ipv6_mapped(),
                IpAddr::V6(v6) => v6,
            };
            let info = libc::in6_pktinfo {
                ipi6_addr: libc::in6_addr { s6_addr: ip.octets() },
                ipi6_ifindex: 0,
            };
            (*c).cmsg_level = libc::IPPROTO_IPV6;
            (*c).cmsg_type = libc::IPV6_PKTINFO;
            (*c).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<libc::in6_pktinfo>() as u32) as _;
            std::ptr::write_unaligned(libc::CMSG_DATA(c) as *mut libc::in6_pktinfo, info);
            libc::CMSG_SPACE(std::mem::size_of::<libc::in6_pktinfo>() as u32) as usize
        } else {
            let IpAddr::V4(v4) = src else { return 0 };
            let info = libc::in_pktinfo {
                ipi_ifindex: 0,
                ipi_spec_dst: libc::in_addr { s_addr: u32::from_ne_bytes(v4.octets()) },
                ipi_addr: libc::in_addr { s_addr: 0 },
            };
            (*c).cmsg_level = libc::IPPROTO_IP;
            (*c).cmsg_type = libc::IP_PKTINFO;
            (*c).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<libc::in_pktinfo>() as u32) as _;
            std::ptr::write_unaligned(libc::CMSG_DATA(c) as *mut libc::in_pktinfo, info);
            libc::CMSG_SPACE(std::mem::size_of::<libc::in_pktinfo>() as u32) as usize
        }
    }
}

impl RxBatch {
    fn new() -> Self {
        RxBatch {
            scratch: (0..BATCH).map(|_| vec![0u8; RECV_BUF]).collect(),
            pool: BytesMut::new(),
            // SAFETY: sockaddr_storage is plain old data; zeroed is valid.
            names: vec![unsafe { std::mem::zeroed() }; BATCH],
            controls: vec![[0u64; CONTROL_WORDS]; BATCH],
            dsts: vec![None; BATCH],
            ces: vec![false; BATCH],
            out: Vec::with_capacity(BATCH),
        }
    }

    /// Receives up to BATCH datagrams; returns how many.
    fn recv(&mut self, fd: c_int) -> usize {
        let mut iovs: [libc::iovec; BATCH] =
            [libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 }; BATCH];
        // SAFETY: mmsghdr is plain old data; zeroed is a valid empty header.
        let mut msgs: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
        for i in 0..BATCH {
            iovs[i] =
                libc::iovec { iov_base: self.scratch[i].as_mut_ptr() as *mut _, iov_len: RECV_BUF };
            msgs[i].msg_hdr.msg_name = &mut self.names[i] as *mut _ as *mut libc::c_void;
            msgs[i].msg_hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as u32;
            msgs[i].msg_hdr.msg_iov = &mut iovs[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_control = self.controls[i].as_mut_ptr() as *mut libc::c_void;
            msgs[i].msg_hdr.msg_controllen = CONTROL_WORDS * 8;
        }
        // An ICMP report (see is_icmp_report) takes the place of the
        // datagrams on one call: try again at once (bounded).
        let mut tries = 0;
        let n = loop {
            match sys::recvmmsg(fd, &mut msgs) {
                Ok(n) => break n,
                Err(e) if is_icmp_report(&e) && tries < 8 => tries += 1,
                Err(e) => {
                    if e.raw_os_error() != Some(libc::EAGAIN) {
                        debug!("recvmmsg: {e}");
                    }
                    return 0;
                }
            }
        };
        self.out.clear();
        for (i, m) in msgs.iter().enumerate().take(n) {
            let len = (m.msg_len as usize).min(RECV_BUF);
            if self.pool.capacity() - self.pool.len() < len {
                self.pool = BytesMut::with_capacity((1 << 20).max(len));
            }
            self.pool.extend_from_slice(&self.scratch[i][..len]);
            self.out.push(self.pool.split().freeze());
            (self.dsts[i], self.ces[i]) = control_info(&m.msg_hdr);
        }
        n
    }

    fn take(&mut self, i: usize) -> (Option<SocketAddr>, Option<IpAddr>, Bytes, bool) {
        let src = sys::sockaddr_to(&self.names[i]);
        (src, self.dsts[i], std::mem::take(&mut self.out[i]), self.ces[i])
    }
}
