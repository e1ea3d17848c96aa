//! The library's side of an SCTP socket: which descriptors are SCTP
//! sockets, the channel each thread uses to reach the host stack, and the
//! operations, with their blocking behaviour. An operation that would
//! block is answered EAGAIN by the stack; the library then waits on the
//! descriptor itself (whose readiness the stack keeps) and asks again.
//!
//! A descriptor is one socket wherever it goes: `dup`, `fork`, `exec`
//! and `SCM_RIGHTS` copy the kernel descriptor, and the stack knows the
//! socket by it. After `exec` (or on receiving one) a descriptor is
//! recognised by its peer's name ([`ipc::parse_sock_name`]).

pub mod spawn;

use crate::ipc::{self, Errno, Op, ReplyHead, W};
use crate::log::{log, Level};
use crate::shm;
use crate::sys;
use parking_lot::{Mutex, RwLock};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::raw::c_int;
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Once, OnceLock};
use std::time::{Duration, Instant};

pub type Result<T> = std::result::Result<T, Errno>;

// ----- configuration ------------------------------------------------------------

/// -1: not set by a call (use the environment or the default).
static UDP_PORT: AtomicI32 = AtomicI32::new(-1);
static REMOTE_UDP_PORT: AtomicI32 = AtomicI32::new(-1);
/// The instance new sockets of this process use, once chosen.
static DEFAULT_INSTANCE: Mutex<Option<Arc<Instance>>> = Mutex::new(None);

/// Sets the local UDP encapsulation port (0: a private stack on an
/// ephemeral port). EBUSY once this process has an SCTP socket.
pub fn set_udp_port(port: u16) -> Result<()> {
    if DEFAULT_INSTANCE.lock().is_some() {
        return Err(libc::EBUSY);
    }
    UDP_PORT.store(i32::from(port), Ordering::Relaxed);
    Ok(())
}

/// Sets the default remote UDP encapsulation port of new associations.
pub fn set_remote_udp_port(port: u16) -> Result<()> {
    if DEFAULT_INSTANCE.lock().is_some() {
        return Err(libc::EBUSY);
    }
    REMOTE_UDP_PORT.store(i32::from(port), Ordering::Relaxed);
    Ok(())
}

fn env_port(name: &str) -> std::result::Result<Option<u16>, String> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse::<u16>()
            .map(Some)
            .map_err(|_| format!("{name}={v:?} is not a port number")),
        Err(_) => Ok(None),
    }
}

/// The remote encapsulation port this process asked for (0: the stack's
/// choice: itself for peers on this host, else 9899).
fn remote_port() -> u16 {
    let v = REMOTE_UDP_PORT.load(Ordering::Relaxed);
    if v >= 0 {
        return v as u16;
    }
    match env_port("SCTPUDP_REMOTE_UDP_PORT") {
        Ok(p) => p.unwrap_or(0),
        Err(e) => {
            log(Level::Warn, &format!("{e}; ignored"));
            0
        }
    }
}

/// The host stack this process's new sockets use: the one on UDP port
/// `SCTPUDP_UDP_PORT` (default 9899), shared by every process that uses
/// that port. Port 0 means a stack of this process alone, on an
/// ephemeral port.
pub fn default_instance() -> Result<Arc<Instance>> {
    let mut g = DEFAULT_INSTANCE.lock();
    if let Some(i) = g.as_ref() {
        return Ok(i.clone());
    }
    let v = UDP_PORT.load(Ordering::Relaxed);
    let port = if v >= 0 {
        v as u16
    } else {
        match env_port("SCTPUDP_UDP_PORT") {
            Ok(p) => p.unwrap_or(ipc::DEFAULT_UDP_PORT),
            Err(e) => {
                log(Level::Error, &e);
                return Err(libc::EINVAL);
            }
        }
    };
    let name = if port == 0 { format!("0.{}", std::process::id()) } else { port.to_string() };
    let i = instance(&name, Some(port));
    *g = Some(i.clone());
    Ok(i)
}

/// The local UDP port of this process's stack, starting it if needed.
pub fn udp_port() -> Result<u16> {
    let inst = default_instance()?;
    with_chan(&inst, true, |c| Ok(c.udp_port))
}

// ----- instances ----------------------------------------------------------------

/// A host stack, known by its instance name.
pub struct Instance {
    pub name: String,
    /// The UDP port to start it on, if this process may start it.
    port: Option<u16>,
    /// This process said which stack it uses (once, at level info).
    told: std::sync::atomic::AtomicBool,
}

static INSTANCES: Mutex<Option<HashMap<String, Arc<Instance>>>> = Mutex::new(None);

fn instance(name: &str, port: Option<u16>) -> Arc<Instance> {
    let mut g = INSTANCES.lock();
    let m = g.get_or_insert_with(HashMap::new);
    if let Some(i) = m.get(name) {
        if i.port.is_some() || port.is_none() {
            return i.clone();
        }
    }
    let i = Arc::new(Instance { name: name.to_string(), port, told: Default::default() });
    m.insert(name.to_string(), i.clone());
    i
}

// ----- the descriptor table ------------------------------------------------------

/// An SCTP socket as this process knows it.
pub struct Handle {
    pub inst: Arc<Instance>,
    /// The stack's id of the socket, and the stack's boot id.
    pub id: u64,
    pub boot: u64,
    /// The socket's rings (`crate::shm`), mapped once the socket sent or
    /// received a few messages the slow way (`None` inside: the stack has
    /// none for it).
    tx: OnceLock<Option<shm::Ring>>,
    ops: AtomicU32,
}

impl Handle {
    fn new(inst: Arc<Instance>, id: u64, boot: u64) -> Handle {
        Handle { inst, id, boot, tx: OnceLock::new(), ops: AtomicU32::new(0) }
    }
}

const BITMAP_WORDS: usize = 1 << 14; // 1M descriptors
static IS_SCTP: [AtomicU64; BITMAP_WORDS] = [const { AtomicU64::new(0) }; BITMAP_WORDS];
static TABLE: RwLock<Option<HashMap<c_int, Arc<Handle>>>> = RwLock::new(None);
static SCANNED: Once = Once::new();

/// Whether `fd` is an SCTP socket: one atomic load (after a one-time scan
/// of the descriptors the process inherited).
#[inline]
pub fn is_sctp(fd: c_int) -> bool {
    if fd < 0 || crate::IN_STACK.load(Ordering::Relaxed) {
        return false;
    }
    if !SCANNED.is_completed() {
        scan_inherited();
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
pub fn get(fd: c_int) -> Option<Arc<Handle>> {
    if !is_sctp(fd) {
        return None;
    }
    TABLE.read().as_ref()?.get(&fd).cloned()
}

fn insert(fd: c_int, h: Arc<Handle>) {
    TABLE.write().get_or_insert_with(HashMap::new).insert(fd, h);
    mark(fd, true);
}

fn remove(fd: c_int) -> Option<Arc<Handle>> {
    mark(fd, false);
    TABLE.write().as_mut()?.remove(&fd)
}

/// `newfd` (a kernel duplicate of `oldfd`) is the same socket.
pub fn register_dup(oldfd: c_int, newfd: c_int) {
    if let Some(h) = get(oldfd) {
        insert(newfd, h);
    }
}

/// Forgets `fd` (the application closes it). Returns its socket if it
/// was one.
pub fn unregister(fd: c_int) -> Option<Arc<Handle>> {
    if !is_sctp(fd) {
        return None;
    }
    remove(fd)
}

/// Recognises `fd` if it is an SCTP descriptor this process got from
/// elsewhere (inherited across exec, received with SCM_RIGHTS).
pub fn adopt(fd: c_int) {
    if fd < 0 || is_sctp(fd) {
        return;
    }
    let Ok(name) = sys::unix_name(fd, true) else { return };
    if let Some((inst, boot, id)) = ipc::parse_sock_name(&name) {
        insert(fd, Arc::new(Handle::new(instance(&inst, None), id, boot)));
    }
}

/// Once per process image: the SCTP descriptors it inherited.
fn scan_inherited() {
    SCANNED.call_once(|| {
        // The caller's errno is not ours to change.
        let saved = crate::abi::errno();
        scan_fds();
        crate::abi::set_errno(saved);
    });
}

fn scan_fds() {
    {
        let Ok(fds) = sys::open_fds() else { return };
        for fd in fds {
            // Only sockets can be ours.
            if sys::getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_DOMAIN).ok()
                == Some(libc::AF_UNIX)
            {
                let Ok(name) = sys::unix_name(fd, true) else { continue };
                if let Some((inst, boot, id)) = ipc::parse_sock_name(&name) {
                    insert(fd, Arc::new(Handle::new(instance(&inst, None), id, boot)));
                }
            }
        }
    }
}

// ----- channels -----------------------------------------------------------------

/// Bumped in a forked child: channels made before belong to the parent.
static FORK_GEN: AtomicU64 = AtomicU64::new(0);
static HOOKS: Once = Once::new();

extern "C" fn at_fork_child() {
    FORK_GEN.fetch_add(1, Ordering::Relaxed);
    shm::forget_pid();
}

/// A thread's connection to one host stack.
struct Chan {
    inst: Arc<Instance>,
    fd: OwnedFd,
    boot: u64,
    udp_port: u16,
    gen: u64,
    proven: HashSet<u64>,
    buf: Vec<u8>,
    /// How long to look for a reply before sleeping (`crate::spin`).
    spin: crate::spin::Spin,
}

type Chans = RefCell<Vec<Chan>>;

/// "This thread's channels were dropped at its exit."
const CHANS_GONE: *mut Chans = 1 as *mut Chans;

thread_local! {
    /// This thread's channels, made on first use and dropped at thread
    /// exit by a pthread key's destructor: a Rust thread-local with drop
    /// glue would register its destructor with `__cxa_thread_atexit`,
    /// which allocates on the application's heap (see src/heap.rs).
    static CHANS: Cell<*mut Chans> = const { Cell::new(std::ptr::null_mut()) };
}

static CHANS_KEY: OnceLock<Option<libc::pthread_key_t>> = OnceLock::new();

extern "C" fn drop_chans(p: *mut libc::c_void) {
    let _ = CHANS.try_with(|c| c.set(CHANS_GONE));
    if !p.is_null() {
        let _ = std::panic::catch_unwind(|| {
            // SAFETY: `p` is the Box this thread leaked in `this_thread_chans`,
            // handed back once by pthread at thread exit.
            drop(unsafe { Box::from_raw(p as *mut Chans) })
        });
    }
}

/// This thread's channels; None once the thread is exiting (or if no
/// key could be made).
fn this_thread_chans() -> Option<&'static Chans> {
    let key = (*CHANS_KEY.get_or_init(|| {
        let mut k: libc::pthread_key_t = 0;
        // SAFETY: `k` is written by pthread_key_create; the destructor is
        // a plain extern "C" function.
        (unsafe { libc::pthread_key_create(&mut k, Some(drop_chans)) } == 0).then_some(k)
    }))?;
    CHANS
        .try_with(|c| {
            let p = c.get();
            if p == CHANS_GONE {
                return None;
            }
            if p.is_null() {
                let b = Box::into_raw(Box::new(RefCell::new(Vec::new())));
                // SAFETY: a key made above; the value is this thread's Box.
                unsafe { libc::pthread_setspecific(key, b as *const libc::c_void) };
                c.set(b);
                // SAFETY: freshly leaked; freed only by drop_chans on this
                // thread's exit, after which CHANS says CHANS_GONE.
                return Some(unsafe { &*b });
            }
            // SAFETY: as above; the thread is not past drop_chans.
            Some(unsafe { &*p })
        })
        .ok()
        .flatten()
}

fn connect_chan(inst: &Arc<Instance>, may_start: bool) -> Result<Chan> {
    HOOKS.call_once(|| {
        // SAFETY: registering a plain extern "C" function with libc.
        unsafe { libc::pthread_atfork(None, None, Some(at_fork_child)) };
    });
    let name = ipc::listen_name(&inst.name);
    for attempt in 0..50 {
        let fd = sys::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0)
            .map_err(|e| e.raw_os_error().unwrap_or(libc::EMFILE))?;
        // SAFETY: a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        match sys::connect_unix(fd.as_raw_fd(), &name) {
            Ok(()) => {
                let _ =
                    sys::setsockopt_int(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_SNDBUF, 1 << 20);
                let mut chan = Chan {
                    inst: inst.clone(),
                    fd,
                    boot: 0,
                    udp_port: 0,
                    gen: FORK_GEN.load(Ordering::Relaxed),
                    proven: HashSet::new(),
                    buf: vec![0u8; ipc::FRAME_MAX + 8192],
                    spin: crate::spin::Spin::default(),
                };
                let mut w = W::new();
                ipc::req_head(&mut w, Op::Hello, 0);
                w.u32(ipc::VERSION);
                let r = chan.exchange(&w.0, &[], None)?;
                let mut rd = ipc::R::new(&r.payload);
                chan.boot = rd.u64()?;
                chan.udp_port = rd.u16()?;
                if !inst.told.swap(true, Ordering::Relaxed) {
                    log(
                        Level::Info,
                        &format!("using host stack {:?} on UDP port {}", inst.name, chan.udp_port),
                    );
                }
                return Ok(chan);
            }
            Err(e) => {
                let e = e.raw_os_error().unwrap_or(libc::ECONNREFUSED);
                let absent = e == libc::ECONNREFUSED || e == libc::ENOENT;
                match inst.port {
                    Some(port) if absent && may_start && attempt == 0 => {
                        spawn::start(&inst.name, port)?;
                    }
                    // Started by another process a moment ago, or its
                    // backlog is full: try again shortly.
                    _ if (absent && may_start) || e == libc::EAGAIN => {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    _ => return Err(libc::ECONNRESET),
                }
            }
        }
    }
    Err(libc::ECONNREFUSED)
}

/// A reply: its head, the rest of its datagrams, and any descriptors.
pub struct Reply {
    pub head: ReplyHead,
    pub payload: Vec<u8>,
    pub fds: Vec<OwnedFd>,
}

impl Chan {
    /// Sends one request (its datagrams) and reads the reply.
    fn exchange(&mut self, req: &[u8], data: &[u8], fd: Option<c_int>) -> Result<Reply> {
        let fds: Vec<c_int> = fd.into_iter().collect();
        let chan = self.fd.as_raw_fd();
        let io = |e: std::io::Error| match e.raw_os_error() {
            Some(libc::EMSGSIZE) => libc::EMSGSIZE,
            _ => libc::ECONNRESET,
        };
        sys::send_with_fds(chan, &[req, data], &fds, false).map_err(io)?;
        let mut got = Vec::new();
        // The stack never blocks: its reply is usually there within
        // microseconds, and a thread still running when it comes needs no
        // wake-up (`crate::spin`).
        let buf = &mut self.buf;
        let (n, _) = self
            .spin
            .wait(|block| match sys::recv_with_fds(chan, buf, &mut got, !block) {
                Err(e) if !block && e.raw_os_error() == Some(libc::EAGAIN) => None,
                r => Some(r),
            })
            .map_err(io)?;
        if n == 0 {
            return Err(libc::ECONNRESET);
        }
        let mut r = ipc::R::new(&self.buf[..n]);
        let head = ReplyHead::decode(&mut r)?;
        let mut payload = r.rest().to_vec();
        let mut more = head.more;
        while more {
            let (n, _) = sys::recv_with_fds(chan, &mut self.buf, &mut got, false).map_err(io)?;
            if n == 0 {
                return Err(libc::ECONNRESET);
            }
            more = self.buf[0] != 0;
            payload.extend_from_slice(&self.buf[1..n]);
        }
        Ok(Reply { head, payload, fds: got })
    }
}

/// Runs `f` with this thread's channel to `inst` (made if needed).
fn with_chan<T>(
    inst: &Arc<Instance>,
    may_start: bool,
    f: impl FnOnce(&mut Chan) -> Result<T>,
) -> Result<T> {
    let gen = FORK_GEN.load(Ordering::Relaxed);
    let mut f = Some(f);
    let r = this_thread_chans().ok_or(()).map(|cell| {
        let Ok(mut chans) = cell.try_borrow_mut() else { return None };
        // Channels from before a fork are the parent's.
        chans.retain(|c| c.gen == gen);
        let pos = match chans.iter().position(|c| Arc::ptr_eq(&c.inst, inst)) {
            Some(p) => p,
            None => match connect_chan(inst, may_start) {
                Ok(c) => {
                    chans.push(c);
                    chans.len() - 1
                }
                Err(e) => return Some(Err(e)),
            },
        };
        let f = f.take()?;
        let r = f(&mut chans[pos]);
        if matches!(r, Err(libc::ECONNRESET)) {
            // The stack went away: the next call makes a new channel.
            chans.remove(pos);
        }
        Some(r)
    });
    match (r, f) {
        (Ok(Some(r)), _) => r,
        // Re-entered (a signal handler during a call) or at thread exit: a
        // channel of its own for this call.
        (_, Some(f)) => {
            let mut c = connect_chan(inst, may_start)?;
            f(&mut c)
        }
        (_, None) => Err(libc::EIO),
    }
}

/// Sends request `op` about socket `h` (descriptor `fd`) and returns the
/// reply, having done what it asks of the descriptor (read doorbells
/// back, fill it).
fn call(fd: c_int, h: &Handle, op: Op, body: &[u8], data: &[u8]) -> Result<Reply> {
    let r = with_chan(&h.inst, false, |c| {
        if c.boot != h.boot {
            return Err(libc::ECONNRESET);
        }
        let mut data = data;
        // Large sends go in parts.
        while data.len() > ipc::FRAME_MAX {
            let mut w = W::new();
            ipc::req_head(&mut w, Op::SendPart, h.id);
            let proof = (!c.proven.contains(&h.id)).then_some(fd);
            let mut part = w.0;
            part.extend_from_slice(&data[..ipc::FRAME_MAX]);
            // SendPart has no reply; send it alone.
            let fds: Vec<c_int> = proof.into_iter().collect();
            sys::send_with_fds(c.fd.as_raw_fd(), &[&part], &fds, false)
                .map_err(|_| libc::ECONNRESET)?;
            if proof.is_some() {
                c.proven.insert(h.id);
            }
            data = &data[ipc::FRAME_MAX..];
        }
        let mut w = W::new();
        ipc::req_head(&mut w, op, h.id);
        w.0.extend_from_slice(body);
        let mut proof = (!c.proven.contains(&h.id)).then_some(fd);
        loop {
            let r = c.exchange(&w.0, data, proof)?;
            if r.head.status == -i64::from(libc::ESTALE) && proof.is_none() {
                proof = Some(fd);
                continue;
            }
            if proof.is_some() && r.head.status != -i64::from(libc::EBADF) {
                c.proven.insert(h.id);
            }
            return Ok(r);
        }
    })?;
    if r.head.drain > 0 {
        read_bell(fd);
    }
    if r.head.fill {
        fill(fd);
    }
    Ok(r)
}

/// Reads the doorbell byte back from the descriptor.
fn read_bell(fd: c_int) {
    let mut b = [0u8; 1];
    // SAFETY: `b` is writable for its length.
    unsafe {
        libc::syscall(
            libc::SYS_recvfrom,
            fd,
            b.as_mut_ptr(),
            1usize,
            libc::MSG_DONTWAIT,
            0usize,
            0usize,
        )
    };
}

/// Fills the descriptor's send buffer so that it polls unwritable until
/// the stack reads it empty.
fn fill(fd: c_int) {
    let b = [0u8; 2048];
    for _ in 0..64 {
        // SAFETY: `b` is readable for its length.
        let n = unsafe {
            libc::syscall(
                libc::SYS_sendto,
                fd,
                b.as_ptr(),
                b.len(),
                libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
                0usize,
                0usize,
            )
        };
        if n <= 0 {
            break;
        }
    }
}

/// Waits until `fd` polls `events` or `deadline` passes (EAGAIN); a
/// signal gives EINTR.
fn wait(fd: c_int, events: i16, deadline: Option<Instant>) -> Result<()> {
    if deadline.is_none() && (events == libc::POLLIN || events == libc::POLLOUT) {
        return wait_restartable(fd, events);
    }
    let ms = match deadline {
        None => -1,
        Some(d) => {
            let left = d.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(libc::EAGAIN);
            }
            left.as_millis().max(1) as i64
        }
    };
    let mut p = [libc::pollfd { fd, events, revents: 0 }];
    match sys::poll(&mut p, ms) {
        Ok(0) => Err(libc::EAGAIN),
        Ok(_) => Ok(()),
        Err(e) => Err(e.raw_os_error().unwrap_or(libc::EINTR)),
    }
}

/// Waits with no timeout until `fd` is readable (POLLIN) or writable
/// (POLLOUT) in a system call the kernel restarts after a signal handler
/// installed with SA_RESTART, as it restarts a blocking recv, send or
/// accept on a kernel socket with no SO_RCVTIMEO/SO_SNDTIMEO
/// (sock_intr_errno: -ERESTARTSYS); poll(2) would give EINTR after any
/// handler. Readable: a blocking MSG_PEEK of the doorbell byte (left in
/// place). Writable: a blocking send of one more byte of filler, which
/// the stack reads away with the rest. A hang-up (the stack gone) or any
/// other error returns too: the next request says what it means.
fn wait_restartable(fd: c_int, events: i16) -> Result<()> {
    let mut b = [0u8; 1];
    // SAFETY: `b` is valid for one byte in both directions; the address
    // arguments are NULL.
    let n = unsafe {
        if events == libc::POLLIN {
            libc::syscall(
                libc::SYS_recvfrom,
                fd,
                b.as_mut_ptr(),
                1usize,
                libc::MSG_PEEK,
                0usize,
                0usize,
            )
        } else {
            libc::syscall(
                libc::SYS_sendto,
                fd,
                b.as_ptr(),
                1usize,
                libc::MSG_NOSIGNAL,
                0usize,
                0usize,
            )
        }
    };
    if n < 0 {
        let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EINTR);
        if e == libc::EINTR {
            return Err(libc::EINTR);
        }
    }
    Ok(())
}

/// Repeats `op` while the stack answers EAGAIN and the caller may block
/// (a blocking descriptor and no MSG_DONTWAIT), waiting for `events` on
/// the descriptor, up to the timeout the stack gave (SO_RCVTIMEO /
/// SO_SNDTIMEO).
fn blocking(
    fd: c_int,
    dontwait: bool,
    events: i16,
    mut op: impl FnMut() -> Result<Reply>,
) -> Result<Reply> {
    let mut deadline: Option<Option<Instant>> = None;
    loop {
        let r = op()?;
        if r.head.status != -i64::from(libc::EAGAIN) {
            return Ok(r);
        }
        if dontwait || sys::is_nonblocking(fd).unwrap_or(true) {
            return Err(libc::EAGAIN);
        }
        if r.head.block_err != 0 {
            return Err(c_int::from(r.head.block_err));
        }
        let d = *deadline.get_or_insert_with(|| {
            (r.head.timeout_ms >= 0)
                .then(|| Instant::now() + Duration::from_millis(r.head.timeout_ms as u64))
        });
        wait(fd, events, d)?;
    }
}

fn status(r: &Reply) -> Result<i64> {
    r.head.result()
}

// ----- operations -----------------------------------------------------------------

/// socket(): a new SCTP socket of this process's stack.
pub fn socket(family: c_int, one_to_many: bool, nonblock: bool, cloexec: bool) -> Result<c_int> {
    let inst = default_instance()?;
    let mut w = W::new();
    ipc::req_head(&mut w, Op::Create, 0);
    w.i32(family).u8(u8::from(one_to_many)).bool(nonblock).u16(remote_port());
    let (r, boot) = with_chan(&inst, true, |c| {
        let r = c.exchange(&w.0, &[], None)?;
        // The stack counts the socket proven on this channel, which
        // received its descriptor (see `mark_proven`).
        if r.head.status >= 0 {
            if let Ok(id) = ipc::R::new(&r.payload).u64() {
                c.proven.insert(id);
            }
        }
        Ok((r, c.boot))
    })?;
    status(&r)?;
    let id = ipc::R::new(&r.payload).u64()?;
    let Some(fd) = r.fds.into_iter().next() else { return Err(libc::EIO) };
    let fd = into_app_fd(fd, cloexec)?;
    insert(fd, Arc::new(Handle::new(inst, id, boot)));
    Ok(fd)
}

/// Turns a received descriptor into the application's: close-on-exec
/// only if asked (it arrives with it set).
fn into_app_fd(fd: OwnedFd, cloexec: bool) -> Result<c_int> {
    let raw = std::os::fd::IntoRawFd::into_raw_fd(fd);
    if !cloexec {
        let _ = sys::fcntl(raw, libc::F_SETFD, 0);
    }
    // A descriptor number the table still had (closed behind our back)
    // is this socket now.
    remove(raw);
    Ok(raw)
}

/// bind() (`first`), sctp_bindx() ADD (`add`) or REM.
pub fn bind(fd: c_int, h: &Handle, addrs: &[SocketAddr], add: bool, first: bool) -> Result<()> {
    let mut w = W::new();
    w.addrs(addrs).bool(first);
    let r = call(fd, h, if add { Op::Bind } else { Op::Unbind }, &w.0, &[])?;
    status(&r).map(|_| ())
}

pub fn listen(fd: c_int, h: &Handle, backlog: c_int) -> Result<()> {
    let mut w = W::new();
    w.i32(backlog);
    status(&call(fd, h, Op::Listen, &w.0, &[])?).map(|_| ())
}

/// connect()/sctp_connectx(): the association id (when one was started)
/// and the outcome; blocks until the association is up unless the
/// descriptor is non-blocking (EINPROGRESS).
pub fn connect(fd: c_int, h: &Handle, addrs: &[SocketAddr]) -> (Option<i32>, Result<()>) {
    let mut w = W::new();
    w.addrs(addrs);
    let r = match call(fd, h, Op::Connect, &w.0, &[]) {
        Ok(r) => r,
        Err(e) => return (None, Err(e)),
    };
    let id = ipc::R::new(&r.payload).i32().ok();
    match r.head.result() {
        // Linux (sctp_wait_for_connect) answers a non-blocking connect
        // EINPROGRESS even when the association came up at once (a peer
        // on this host).
        Ok(_) if sys::is_nonblocking(fd).unwrap_or(false) => (id, Err(libc::EINPROGRESS)),
        Ok(_) => (id, Ok(())),
        Err(libc::EINPROGRESS) => {
            let Some(aid) = id else { return (None, Err(libc::EINPROGRESS)) };
            if sys::is_nonblocking(fd).unwrap_or(true) {
                return (id, Err(libc::EINPROGRESS));
            }
            (id, wait_connected(fd, h, aid))
        }
        Err(e) => (if e == libc::EINVAL { None } else { id }, Err(e)),
    }
}

fn wait_connected(fd: c_int, h: &Handle, aid: i32) -> Result<()> {
    let mut w = W::new();
    w.i32(aid);
    let mut deadline: Option<Option<Instant>> = None;
    loop {
        let r = call(fd, h, Op::ConnectStatus, &w.0, &[])?;
        match r.head.result() {
            Err(libc::EINPROGRESS) => {
                let d = *deadline.get_or_insert_with(|| {
                    (r.head.timeout_ms >= 0)
                        .then(|| Instant::now() + Duration::from_millis(r.head.timeout_ms as u64))
                });
                // The descriptor turns writable (or readable, with an
                // error) when the association is up or has failed.
                match wait(fd, libc::POLLOUT | libc::POLLIN, d) {
                    Err(libc::EAGAIN) => return Err(libc::EINPROGRESS),
                    Err(e) => return Err(e),
                    Ok(()) => {}
                }
            }
            other => return other.map(|_| ()),
        }
    }
}

/// accept()/accept4(): the new descriptor and the peer's address.
pub fn accept(fd: c_int, h: &Handle, nonblock: bool, cloexec: bool) -> Result<(c_int, SocketAddr)> {
    let mut w = W::new();
    w.bool(nonblock);
    let r = blocking(fd, false, libc::POLLIN, || call(fd, h, Op::Accept, &w.0, &[]))?;
    status(&r)?;
    let mut rd = ipc::R::new(&r.payload);
    let id = rd.u64()?;
    let peer = rd.addr()?;
    let Some(nfd) = r.fds.into_iter().next() else { return Err(libc::EIO) };
    let nfd = into_app_fd(nfd, cloexec)?;
    mark_proven(&h.inst, id);
    insert(nfd, Arc::new(Handle::new(h.inst.clone(), id, h.boot)));
    Ok((nfd, peer))
}

/// The stack counts a socket whose descriptor a reply handed over as
/// proven on the channel that took it (create, accept, peeloff): this
/// thread's first request about it need not pass the descriptor (an
/// SCM_RIGHTS, and the stack's fstat and close of it). Should the channel
/// have changed meanwhile, the stack answers ESTALE and `call` passes it.
fn mark_proven(inst: &Arc<Instance>, id: u64) {
    let _ = with_chan(inst, false, |c| {
        c.proven.insert(id);
        Ok(())
    });
}

/// sctp_peeloff(): a new descriptor for association `assoc`.
pub fn peeloff(fd: c_int, h: &Handle, assoc: i32, nonblock: bool, cloexec: bool) -> Result<c_int> {
    let mut w = W::new();
    w.i32(assoc).bool(nonblock);
    let r = call(fd, h, Op::Peeloff, &w.0, &[])?;
    status(&r)?;
    let id = ipc::R::new(&r.payload).u64()?;
    let Some(nfd) = r.fds.into_iter().next() else { return Err(libc::EIO) };
    let nfd = into_app_fd(nfd, cloexec)?;
    mark_proven(&h.inst, id);
    insert(nfd, Arc::new(Handle::new(h.inst.clone(), id, h.boot)));
    Ok(nfd)
}

/// Sends one message with sendmsg(2)'s `flags`; blocks for room unless
/// non-blocking. EPIPE raises SIGPIPE unless MSG_NOSIGNAL, as the kernel
/// does (sctp_error).
pub fn send(fd: c_int, h: &Handle, req: &ipc::SendReq, data: &[u8], flags: c_int) -> Result<usize> {
    // __sys_sendmsg: MSG_CMSG_COMPAT (bit 31) from user space is invalid.
    if flags < 0 {
        return Err(libc::EINVAL);
    }
    if let Some(n) = send_fast(fd, h, req, data, flags) {
        return Ok(n);
    }
    let mut w = W::new();
    req.encode(&mut w);
    let dontwait = flags & libc::MSG_DONTWAIT != 0;
    let mut tries = 0;
    let mut r = blocking(fd, dontwait, libc::POLLOUT, || {
        tries += 1;
        call(fd, h, Op::Send, &w.0, data)
    })
    .and_then(|r| status(&r).map(|n| n as usize));
    // A sender that waited for room and was woken by the association
    // shutting down gets EPIPE (sctp_wait_for_sndbuf); one that did not
    // wait gets the SEND primitive's ESHUTDOWN.
    if tries > 1 && r == Err(libc::ESHUTDOWN) {
        r = Err(libc::EPIPE);
    }
    if r == Err(libc::EPIPE) && flags & libc::MSG_NOSIGNAL == 0 {
        // SAFETY: raise() sends a signal to the calling thread.
        unsafe { libc::raise(libc::SIGPIPE) };
    }
    r
}

/// After this many sends and receives the slow way, ask for the rings.
const RING_AFTER: u32 = 4;

/// A send through the socket's send ring (`crate::shm`), when the stack
/// allows it: no request, no wait. None: send it as a request.
fn send_fast(
    fd: c_int,
    h: &Handle,
    req: &ipc::SendReq,
    data: &[u8],
    flags: c_int,
) -> Option<usize> {
    if flags & !(libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL) != 0
        || !req.to.is_empty()
        || req.init.is_some()
        || req.pr.is_some()
        || data.is_empty()
        || data.len() > shm::MAX_MSG
    {
        return None;
    }
    let ring = ring(fd, h)?;
    match ring.push(req.info.as_ref(), data) {
        shm::Push::Slow => None,
        shm::Push::Done { kick: k } => {
            if k {
                kick(h);
            }
            Some(data.len())
        }
    }
}

/// The socket's rings, mapped once it made a few sends or receives the
/// slow way.
fn ring(fd: c_int, h: &Handle) -> Option<&shm::Ring> {
    match h.tx.get() {
        Some(r) => r.as_ref(),
        None => {
            if h.ops.fetch_add(1, Ordering::Relaxed) < RING_AFTER {
                return None;
            }
            h.tx.get_or_init(|| map_tx(fd, h)).as_ref()
        }
    }
}

/// Tells the stack to look at the socket's rings (no reply).
fn kick(h: &Handle) {
    let _ = with_chan(&h.inst, false, |c| {
        if c.boot != h.boot {
            return Err(libc::ECONNRESET);
        }
        let mut w = W::new();
        ipc::req_head(&mut w, Op::Kick, h.id);
        sys::send_with_fds(c.fd.as_raw_fd(), &[&w.0], &[], false).map_err(|_| libc::ECONNRESET)?;
        Ok(())
    });
}

/// Maps the socket's send ring (None: the stack gives none).
fn map_tx(fd: c_int, h: &Handle) -> Option<shm::Ring> {
    let mut r = call(fd, h, Op::MapTx, &[], &[]).ok()?;
    status(&r).ok()?;
    let mfd = r.fds.pop()?;
    shm::Ring::map(&mfd).ok()
}

/// Receives at most `cap` bytes: the metadata and the bytes.
pub fn recv(
    fd: c_int,
    h: &Handle,
    cap: usize,
    peek: bool,
    dontwait: bool,
) -> Result<(ipc::RecvMeta, Vec<u8>)> {
    let mut w = W::new();
    w.u64(cap as u64).bool(peek);
    let mut ring = ring(fd, h);
    let mut stale = 0;
    let mut nonblock: Option<bool> = None;
    let mut may_block =
        || !*nonblock.get_or_insert_with(|| dontwait || sys::is_nonblocking(fd).unwrap_or(true));
    // The deadline of a blocking read: from the first wait on (SO_RCVTIMEO).
    let mut deadline: Option<Option<Instant>> = None;
    let mut woke = false;
    let mut until = |ms: i64| {
        *deadline.get_or_insert_with(|| {
            (ms >= 0).then(|| Instant::now() + Duration::from_millis(ms as u64))
        })
    };
    loop {
        if let Some(r) = ring {
            if let Some(t) = r.rx_pop(cap, peek) {
                let mut k = t.kick;
                if !peek {
                    k |= settle(fd, r);
                }
                if k {
                    kick(h);
                }
                let mut meta = ipc::RecvMeta::decode(&mut ipc::R::new(&t.meta))?;
                meta.eor &= t.end;
                meta.data_len = t.data.len() as u64;
                return Ok((meta, t.data));
            }
            // Nothing in the ring: take a stale doorbell back, and if
            // nothing else is readable either, wait without asking.
            if settle(fd, r) {
                kick(h);
            }
            // (Not twice in a row: a wake-up that brought nothing to the
            // ring, a hang-up say, is for the stack to explain.)
            if let Some(ms) = r.rx_idle().filter(|_| !woke) {
                if !may_block() {
                    return Err(libc::EAGAIN);
                }
                wait(fd, libc::POLLIN, until(ms))?;
                woke = true;
                continue;
            }
        }
        woke = false;
        let r = call(fd, h, Op::Recv, &w.0, &[])?;
        if r.head.status == -i64::from(ipc::READ_RING) {
            // The ring filled meanwhile (or is unreadable: then give up
            // rather than spin).
            stale += 1;
            if ring.is_none() {
                // Another holder of the socket made the rings: map them.
                ring = h.tx.get_or_init(|| map_tx(fd, h)).as_ref();
            }
            if ring.is_none() || stale > 1000 {
                return Err(libc::EIO);
            }
            continue;
        }
        if r.head.status == -i64::from(libc::EAGAIN) {
            if !may_block() {
                return Err(libc::EAGAIN);
            }
            if r.head.block_err != 0 {
                return Err(c_int::from(r.head.block_err));
            }
            wait(fd, libc::POLLIN, until(r.head.timeout_ms))?;
            continue;
        }
        status(&r)?;
        let mut rd = ipc::R::new(&r.payload);
        let meta = ipc::RecvMeta::decode(&mut rd)?;
        let data = rd.rest().to_vec();
        return Ok((meta, data));
    }
}

/// After a read from the receive ring: takes the doorbell back if nothing
/// is left to read. Returns whether to kick the stack (a record came
/// meanwhile: its doorbell must be rung again).
fn settle(fd: c_int, r: &shm::Ring) -> bool {
    let (drain, again) = r.rx_settle();
    if drain {
        read_bell(fd);
    }
    again
}

pub fn shutdown(fd: c_int, h: &Handle, how: c_int) -> Result<()> {
    let mut w = W::new();
    w.i32(how);
    status(&call(fd, h, Op::Shutdown, &w.0, &[])?).map(|_| ())
}

/// After the application closed `h`'s descriptor (already closed): tell
/// the stack, which closes the socket if that was the last descriptor,
/// and linger as SO_LINGER says.
pub fn closed(h: &Handle) {
    let ask = |op: Op| -> Result<i64> {
        with_chan(&h.inst, false, |c| {
            if c.boot != h.boot {
                return Ok(0);
            }
            // Ids are never reused: the channel's memory of the proof can go.
            c.proven.remove(&h.id);
            let mut w = W::new();
            ipc::req_head(&mut w, op, h.id);
            c.exchange(&w.0, &[], None)?.head.result()
        })
    };
    let Ok(linger_ms) = ask(Op::Closed) else { return };
    if linger_ms <= 0 {
        return;
    }
    let end = Instant::now() + Duration::from_millis(linger_ms as u64);
    while Instant::now() < end {
        match ask(Op::LingerWait) {
            Ok(1) => std::thread::sleep(Duration::from_millis(5)),
            _ => return,
        }
    }
}

/// getsockopt: `input` is the start of the caller's buffer, `len` its
/// length. Returns the bytes for the buffer and the length to store.
pub fn getsockopt(
    fd: c_int,
    h: &Handle,
    level: c_int,
    name: c_int,
    input: &[u8],
    len: i32,
) -> Result<(Vec<u8>, Option<usize>)> {
    let mut w = W::new();
    w.i32(level).i32(name).i32(len).bytes(input);
    let r = call(fd, h, Op::GetOpt, &w.0, &[])?;
    status(&r)?;
    let mut rd = ipc::R::new(&r.payload);
    let has_len = rd.bool()?;
    let n = rd.u32()? as usize;
    let data = rd.bytes()?.to_vec();
    Ok((data, has_len.then_some(n)))
}

pub fn setsockopt(
    fd: c_int,
    h: &Handle,
    level: c_int,
    name: c_int,
    b: &[u8],
    optlen: u32,
) -> Result<c_int> {
    let mut w = W::new();
    w.i32(level).i32(name).u32(optlen).bytes(b);
    let r = call(fd, h, Op::SetOpt, &w.0, &[])?;
    status(&r).map(|v| v as c_int)
}

fn addr_op(fd: c_int, h: &Handle, op: Op) -> Result<SocketAddr> {
    let r = call(fd, h, op, &[], &[])?;
    status(&r)?;
    ipc::R::new(&r.payload).addr()
}

pub fn sockname(fd: c_int, h: &Handle) -> Result<SocketAddr> {
    addr_op(fd, h, Op::SockName)
}

pub fn peername(fd: c_int, h: &Handle) -> Result<SocketAddr> {
    addr_op(fd, h, Op::PeerName)
}

/// The peer's (or our) addresses of association `assoc`.
pub fn addrs(fd: c_int, h: &Handle, assoc: i32, peer: bool) -> Result<Vec<SocketAddr>> {
    let mut w = W::new();
    w.i32(assoc);
    let r = call(fd, h, if peer { Op::PeerAddrs } else { Op::LocalAddrs }, &w.0, &[])?;
    status(&r)?;
    ipc::R::new(&r.payload).addrs()
}

pub fn fionread(fd: c_int, h: &Handle) -> Result<usize> {
    status(&call(fd, h, Op::FionRead, &[], &[])?).map(|n| n as usize)
}

/// (family, one-to-many or peeled) of a socket.
pub fn info(fd: c_int, h: &Handle) -> Result<(c_int, bool)> {
    let r = call(fd, h, Op::Info, &[], &[])?;
    status(&r)?;
    let mut rd = ipc::R::new(&r.payload);
    Ok((rd.i32()?, rd.u8()? != 0))
}

/// The stack's table of sockets and associations (`sctpudp-stat`), for
/// instance `name` (never started by this).
pub fn stat(name: &str, json: bool) -> Result<String> {
    let inst = instance(name, None);
    with_chan(&inst, false, |c| {
        let mut w = W::new();
        ipc::req_head(&mut w, Op::Stat, 0);
        w.bool(json);
        let r = c.exchange(&w.0, &[], None)?;
        r.head.result()?;
        Ok(String::from_utf8_lossy(&r.payload).into_owned())
    })
}
