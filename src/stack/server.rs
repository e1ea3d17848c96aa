//! The host stack's server: accepts channels from application processes
//! on the instance's abstract address, keeps the registry of SCTP
//! sockets, and answers requests ([`crate::ipc`]). One thread runs it;
//! the runtime's loop thread handles the network and timers beside it.
//!
//! A socket lives while any process holds its descriptor: the stack holds
//! the other end of the pair and sees a hang-up when the last application
//! descriptor is closed (by `close()`, or by the kernel when a process
//! dies), and then closes the socket as Linux's `close()` would.
//!
//! The server never blocks: sockets answer EAGAIN/EINPROGRESS, replies
//! that a slow client cannot take yet wait in its channel's queue.

use super::options;
use super::runtime::Stack;
use super::sock::{NewSocket, Recv, Sink, Socket, Style};
use crate::ipc::{self, Op, ReplyHead, SendReq, R, W};
use crate::log::{debug, log, Level};
use crate::proto::assoc::AssocId;
use crate::sys;
use bytes::Bytes;
use std::collections::{HashMap, HashSet, VecDeque};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::raw::c_int;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How the stack was started.
#[derive(Clone, Debug)]
pub struct Config {
    /// The instance name (its abstract address, see [`ipc::listen_name`]).
    pub instance: String,
    /// The UDP encapsulation port (0: ephemeral).
    pub port: u16,
    /// Exit after this long with no socket, association or channel.
    pub idle_exit: Duration,
    /// Where to report "ok PORT" or "err ERRNO MESSAGE" once started.
    pub status_fd: Option<c_int>,
}

const LISTEN_TOKEN: u64 = u64::MAX;
const CHAN_BIT: u64 = 1 << 62;
/// Largest message assembled from SendPart requests.
const MAX_SEND: usize = 64 << 20;

/// The credentials of a channel's process, read when it connected.
#[derive(Clone, Copy, Debug)]
struct Caller {
    pid: i32,
    uid: u32,
    net_bind: bool,
    net_admin: bool,
}

impl Caller {
    fn of(fd: c_int) -> Caller {
        let c = sys::peer_cred(fd).unwrap_or(libc::ucred { pid: 0, uid: u32::MAX, gid: 0 });
        let caps = effective_caps(c.pid);
        Caller {
            pid: c.pid,
            uid: c.uid,
            net_bind: caps & (1 << 10) != 0,
            net_admin: caps & (1 << 12) != 0,
        }
    }
}

/// CapEff of process `pid` (0 if unknown).
fn effective_caps(pid: i32) -> u64 {
    let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status")) else { return 0 };
    s.lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or(0)
}

/// One outgoing datagram of a reply, with a descriptor to pass.
struct Frame {
    bytes: Vec<u8>,
    fd: Option<OwnedFd>,
}

/// A connection from an application thread.
struct Chan {
    fd: OwnedFd,
    caller: Caller,
    /// Sockets whose descriptor this channel has shown.
    proven: HashSet<u64>,
    /// Data of a send arriving in parts, and the socket it is for.
    part: Vec<u8>,
    part_sock: u64,
    /// Replies the client has not taken yet.
    out: VecDeque<Frame>,
    /// Whether EPOLLOUT is in the channel's epoll mask now.
    want_out: bool,
}

impl Chan {
    fn new(fd: OwnedFd, caller: Caller) -> Chan {
        Chan {
            fd,
            caller,
            proven: HashSet::new(),
            part: Vec::new(),
            part_sock: 0,
            out: VecDeque::new(),
            want_out: false,
        }
    }
}

struct Server {
    cfg: Config,
    stack: Arc<Stack>,
    boot: u64,
    epfd: c_int,
    listen: OwnedFd,
    socks: HashMap<u64, Arc<Socket>>,
    by_ino: HashMap<u64, u64>,
    next_id: u64,
    chans: HashMap<u64, Chan>,
    next_chan: u64,
    buf: Vec<u8>,
    /// Closed sockets whose associations are still shutting down while a
    /// client lingers (SO_LINGER) for them.
    lingering: HashMap<u64, Arc<Socket>>,
}

fn report(fd: Option<c_int>, msg: &str) {
    if let Some(fd) = fd {
        let _ = sys::write(fd, msg.as_bytes());
        let _ = sys::close(fd);
    }
}

/// Runs the host stack until it has been idle for `idle_exit`. Returns
/// the process exit status.
pub fn run(cfg: Config) -> i32 {
    let listen = match sys::socket(
        libc::AF_UNIX,
        libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
        0,
    ) {
        // SAFETY: a fresh descriptor we own.
        Ok(fd) => unsafe { OwnedFd::from_raw_fd(fd) },
        Err(e) => {
            report(cfg.status_fd, &format!("err {} socket: {e}\n", e.raw_os_error().unwrap_or(0)));
            return 1;
        }
    };
    if let Err(e) = sys::bind_abstract(listen.as_raw_fd(), &ipc::listen_name(&cfg.instance)) {
        // Another stack of this instance won the race: it serves.
        if e.raw_os_error() == Some(libc::EADDRINUSE) {
            report(cfg.status_fd, "exists\n");
            return 0;
        }
        report(cfg.status_fd, &format!("err {} bind: {e}\n", e.raw_os_error().unwrap_or(0)));
        return 1;
    }
    let stack = match Stack::start(cfg.port) {
        Ok(s) => s,
        Err(e) => {
            let msg = std::io::Error::from_raw_os_error(e);
            report(cfg.status_fd, &format!("err {e} cannot bind UDP port {}: {msg}\n", cfg.port));
            return 1;
        }
    };
    // SAFETY: listen(2) on our own socket.
    if unsafe { libc::listen(listen.as_raw_fd(), 1024) } < 0 {
        report(cfg.status_fd, "err 5 listen\n");
        return 1;
    }
    let epfd = match sys::epoll_create() {
        Ok(e) => e,
        Err(e) => {
            report(cfg.status_fd, &format!("err {} epoll\n", e.raw_os_error().unwrap_or(0)));
            return 1;
        }
    };
    let _ = sys::epoll_add(epfd, listen.as_raw_fd(), libc::EPOLLIN as u32, LISTEN_TOKEN);
    let mut boot = [0u8; 8];
    let _ = getrandom::getrandom(&mut boot);
    let boot = u64::from_le_bytes(boot) & 0x7fff_ffff_ffff_ffff | 1;
    log(Level::Info, &format!("host stack {:?} on UDP port {}", cfg.instance, stack.udp_port()));
    report(cfg.status_fd, &format!("ok {}\n", stack.udp_port()));
    let mut srv = Server {
        cfg,
        stack,
        boot,
        epfd,
        listen,
        socks: HashMap::new(),
        by_ino: HashMap::new(),
        next_id: 1,
        chans: HashMap::new(),
        next_chan: 0,
        buf: vec![0u8; ipc::FRAME_MAX + 4096],
        lingering: HashMap::new(),
    };
    srv.serve();
    srv.stack.stop();
    0
}

/// A receive sink that collects the bytes.
struct VecSink(Vec<u8>);

impl Sink for VecSink {
    fn write(&mut self, parts: &mut dyn Iterator<Item = &[u8]>) -> Result<(), c_int> {
        for p in parts {
            self.0.extend_from_slice(p);
        }
        Ok(())
    }
}

impl Server {
    fn serve(&mut self) {
        let mut evs = [libc::epoll_event { events: 0, u64: 0 }; 64];
        let mut idle_since: Option<Instant> = None;
        // In a burst of requests the next one usually comes within
        // microseconds: look for it a little before sleeping, so that the
        // client's request needs no wake-up of this thread
        // (`crate::spin`). Never while idle: only after events.
        let mut spin = crate::spin::Spin::default();
        let mut busy = false;
        loop {
            let epfd = self.epfd;
            let got = if busy {
                spin.wait(|block| {
                    match sys::epoll_wait(epfd, &mut evs, if block { 1000 } else { 0 }) {
                        Ok(0) if !block => None,
                        r => Some(r),
                    }
                })
            } else {
                sys::epoll_wait(epfd, &mut evs, 1000)
            };
            busy = matches!(got, Ok(n) if n > 0);
            let n = match got {
                Ok(n) => n,
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => 0,
                Err(e) => {
                    log(Level::Error, &format!("epoll_wait: {e}"));
                    return;
                }
            };
            for ev in evs.iter().take(n) {
                let (events, token) = (ev.events, ev.u64);
                if token == LISTEN_TOKEN {
                    self.accept_chans();
                } else if token & CHAN_BIT != 0 {
                    self.chan_event(token, events);
                } else {
                    self.sock_event(token, events);
                }
            }
            // Whatever was sent to this stack itself is handled now.
            self.stack.pump();
            let idle =
                self.socks.is_empty() && self.chans.is_empty() && self.stack.assoc_ids().is_empty();
            if idle {
                let since = *idle_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= self.cfg.idle_exit {
                    log(Level::Info, "idle: exiting");
                    return;
                }
            } else {
                idle_since = None;
            }
        }
    }

    fn accept_chans(&mut self) {
        while let Ok(fd) = sys::accept_nb(self.listen.as_raw_fd()) {
            // SAFETY: a fresh descriptor from accept4.
            let fd = unsafe { OwnedFd::from_raw_fd(fd) };
            let big = 1 << 20;
            let _ = sys::setsockopt_int(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_SNDBUF, big);
            let token = CHAN_BIT | self.next_chan;
            self.next_chan += 1;
            let ev = (libc::EPOLLIN | libc::EPOLLRDHUP) as u32;
            if sys::epoll_add(self.epfd, fd.as_raw_fd(), ev, token).is_err() {
                continue;
            }
            let caller = Caller::of(fd.as_raw_fd());
            debug!("channel {} from pid {} uid {}", token & !CHAN_BIT, caller.pid, caller.uid);
            self.chans.insert(token, Chan::new(fd, caller));
        }
    }

    fn close_chan(&mut self, token: u64) {
        if let Some(c) = self.chans.remove(&token) {
            let _ = sys::epoll_del(self.epfd, c.fd.as_raw_fd());
        }
    }

    fn chan_event(&mut self, token: u64, events: u32) {
        if events & libc::EPOLLOUT as u32 != 0 {
            self.flush(token);
        }
        if events & libc::EPOLLIN as u32 != 0 {
            // Bounded, so one busy client cannot starve the others.
            for _ in 0..64 {
                let Some(c) = self.chans.get(&token) else { return };
                // Replies not taken yet: read no more requests meanwhile.
                if !c.out.is_empty() {
                    break;
                }
                let fd = c.fd.as_raw_fd();
                let mut fds = Vec::new();
                let mut buf = std::mem::take(&mut self.buf);
                let r = sys::recv_with_fds(fd, &mut buf, &mut fds, true);
                match r {
                    Ok((0, _)) => {
                        self.buf = buf;
                        self.close_chan(token);
                        return;
                    }
                    Ok((n, trunc)) => {
                        let frames = if trunc {
                            vec![reply_frame(ReplyHead::err(libc::EMSGSIZE), &[], None)]
                        } else {
                            self.request(token, &buf[..n], fds)
                        };
                        self.buf = buf;
                        if let Some(c) = self.chans.get_mut(&token) {
                            c.out.extend(frames);
                        }
                        self.flush(token);
                    }
                    Err(e) => {
                        self.buf = buf;
                        if e.raw_os_error() != Some(libc::EAGAIN) {
                            self.close_chan(token);
                        }
                        break;
                    }
                }
            }
        } else if events & (libc::EPOLLHUP | libc::EPOLLRDHUP | libc::EPOLLERR) as u32 != 0 {
            self.close_chan(token);
        }
    }

    /// Sends a channel's queued replies; what does not fit waits for
    /// EPOLLOUT.
    fn flush(&mut self, token: u64) {
        let Some(c) = self.chans.get_mut(&token) else { return };
        let fd = c.fd.as_raw_fd();
        while let Some(f) = c.out.front() {
            let fds: Vec<c_int> = f.fd.iter().map(|x| x.as_raw_fd()).collect();
            match sys::send_with_fds(fd, &[&f.bytes], &fds, true) {
                Ok(_) => {
                    c.out.pop_front();
                }
                Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => break,
                Err(_) => {
                    self.close_chan(token);
                    return;
                }
            }
        }
        // The mask changes only when replies start or stop waiting (one
        // system call less per request).
        let want_out = !c.out.is_empty();
        if want_out != c.want_out {
            c.want_out = want_out;
            let mut ev = (libc::EPOLLIN | libc::EPOLLRDHUP) as u32;
            if want_out {
                ev |= libc::EPOLLOUT as u32;
            }
            let _ = sys::epoll_mod(self.epfd, fd, ev, token);
        }
    }

    /// An event on a socket's end of its descriptor pair.
    fn sock_event(&mut self, id: u64, events: u32) {
        let Some(s) = self.socks.get(&id).cloned() else { return };
        if events & (libc::EPOLLHUP | libc::EPOLLRDHUP) as u32 != 0 {
            self.close_sock(&s);
        } else if events & libc::EPOLLIN as u32 != 0 {
            s.on_filler();
        }
    }

    /// The last application descriptor of `s` is gone: close it as
    /// Linux's close() does.
    fn close_sock(&mut self, s: &Arc<Socket>) {
        debug!("socket {} closed", s.id);
        s.drain_tx();
        s.close_now();
        self.stack.pump();
        self.socks.remove(&s.id);
        self.by_ino.remove(&s.app_ino);
    }

    /// Whether nobody holds `s`'s application descriptor any more.
    fn hung_up(s: &Socket) -> bool {
        let mut p = [libc::pollfd { fd: s.dfd(), events: 0, revents: 0 }];
        matches!(sys::poll(&mut p, 0), Ok(1)) && p[0].revents & libc::POLLHUP != 0
    }

    fn new_socket(
        &mut self,
        caller: &Caller,
        family: c_int,
        style: Style,
        peeled: bool,
    ) -> NewSocket {
        let id = self.next_id;
        self.next_id += 1;
        NewSocket {
            id,
            family,
            style,
            peeled,
            epfd: self.epfd,
            name: ipc::sock_name(&self.cfg.instance, self.boot, id),
            creator: (caller.pid, caller.uid),
        }
    }

    fn register(&mut self, s: Arc<Socket>) {
        self.by_ino.insert(s.app_ino, s.id);
        self.socks.insert(s.id, s);
    }

    /// Handles one request; returns the reply frames.
    fn request(&mut self, token: u64, req: &[u8], fds: Vec<OwnedFd>) -> Vec<Frame> {
        let mut r = R::new(req);
        let (op, id) = match ipc::parse_req_head(&mut r) {
            Ok(x) => x,
            Err(e) => return vec![reply_frame(ReplyHead::err(e), &[], None)],
        };
        let Some(caller) = self.chans.get(&token).map(|c| c.caller) else { return Vec::new() };
        // A client sends a send's parts and then the send itself, nothing
        // in between: parts followed by anything else (a client that gave
        // up midway, or a hostile one) are dropped, never prepended to a
        // later send.
        if op != Op::SendPart && op != Op::Send {
            if let Some(c) = self.chans.get_mut(&token) {
                if !c.part.is_empty() {
                    c.part = Vec::new();
                }
            }
        }
        options::set_caller_net_admin(caller.net_admin);
        // A descriptor passed with the request proves that the caller holds
        // socket `id`.
        if let Some(fd) = fds.first() {
            let ok =
                sys::inode(fd.as_raw_fd()).ok().and_then(|ino| self.by_ino.get(&ino)) == Some(&id);
            if !ok {
                let e = if self.socks.contains_key(&id) { libc::EBADF } else { libc::ECONNRESET };
                return vec![reply_frame(ReplyHead::err(e), &[], None)];
            }
            if let Some(c) = self.chans.get_mut(&token) {
                c.proven.insert(id);
            }
        }
        drop(fds);
        match op {
            Op::Hello => {
                let mut w = W::new();
                w.u64(self.boot).u16(self.stack.udp_port());
                return vec![reply_frame(ReplyHead::ok(0), &w.0, None)];
            }
            Op::Create => return self.op_create(token, &caller, &mut r),
            Op::Stat => {
                let json = r.bool().unwrap_or(false);
                let text = super::stat::render(&self.stack, &self.socks, json);
                return reply_frames(ReplyHead::ok(0), &[], text.as_bytes());
            }
            // These name a socket whose descriptor the caller has just
            // closed: asking about another's socket reveals nothing and
            // changes nothing (only a hang-up closes a socket).
            Op::Closed | Op::LingerWait => return self.op_closed(op, id),
            // Draining a ring changes nothing but when its messages go:
            // anybody may ask.
            Op::Kick => {
                if let Some(s) = self.socks.get(&id).cloned() {
                    if s.kicked() {
                        self.stack.pump();
                    }
                }
                return Vec::new();
            }
            _ => {}
        }
        let proven = self.chans.get(&token).is_some_and(|c| c.proven.contains(&id));
        let Some(s) = self.socks.get(&id).cloned() else {
            return vec![reply_frame(ReplyHead::err(libc::ECONNRESET), &[], None)];
        };
        if !proven {
            return vec![reply_frame(ReplyHead::err(libc::ESTALE), &[], None)];
        }
        // What the library pushed into the send ring goes before anything
        // it asks now, and what it read from the receive ring goes back to
        // the window.
        if s.kicked() {
            self.stack.pump();
        }
        let mut frames = match self.op_socket(token, &caller, &s, op, &mut r) {
            Ok(f) => f,
            Err(e) => vec![reply_frame(ReplyHead::err(e), &[], None)],
        };
        // Readiness instructions ride on the first frame's head.
        if let Some(f) = frames.first_mut() {
            let drain = s.take_drain();
            let fill = s.needs_fill() && wants_fill(op);
            if drain > 0 || fill {
                f.bytes[8] = drain;
                f.bytes[9] = u8::from(fill);
            }
        }
        frames
    }

    fn op_create(&mut self, token: u64, caller: &Caller, r: &mut R) -> Vec<Frame> {
        let body = (|| -> Result<(c_int, u8, bool, u16), c_int> {
            Ok((r.i32()?, r.u8()?, r.bool()?, r.u16()?))
        })();
        let (family, ty, nonblock, encaps) = match body {
            Ok(b) => b,
            Err(e) => return vec![reply_frame(ReplyHead::err(e), &[], None)],
        };
        let style = if ty == 0 { Style::OneToOne } else { Style::OneToMany };
        let n = self.new_socket(caller, family, style, false);
        match Socket::create(&self.stack, n, nonblock) {
            Ok((s, app)) => {
                s.inner.lock().opts.encaps_port = encaps;
                let mut w = W::new();
                w.u64(s.id);
                // The caller holds the new descriptor from now on (as after
                // accept and peeloff): its first request about the socket
                // need not pass it again.
                if let Some(c) = self.chans.get_mut(&token) {
                    c.proven.insert(s.id);
                }
                self.register(s);
                vec![reply_frame(ReplyHead::ok(0), &w.0, Some(app))]
            }
            Err(e) => vec![reply_frame(ReplyHead::err(e), &[], None)],
        }
    }

    fn op_closed(&mut self, op: Op, id: u64) -> Vec<Frame> {
        let done = vec![reply_frame(ReplyHead::ok(0), &[], None)];
        if op == Op::LingerWait {
            let Some(s) = self.lingering.get(&id).cloned() else { return done };
            if s.lingering() {
                return vec![reply_frame(ReplyHead::ok(1), &[], None)];
            }
            self.lingering.remove(&id);
            return done;
        }
        let Some(s) = self.socks.get(&id).cloned() else { return done };
        if !Self::hung_up(&s) {
            return done;
        }
        // Its linger time, if any: the client waits that long for the
        // associations to finish.
        let linger = s.linger().map(|d| d.as_millis() as i64).unwrap_or(0);
        self.close_sock(&s);
        if linger > 0 && s.lingering() {
            self.lingering.retain(|_, l| l.lingering());
            self.lingering.insert(id, s);
            return vec![reply_frame(ReplyHead::ok(linger), &[], None)];
        }
        done
    }

    #[allow(clippy::too_many_lines)]
    fn op_socket(
        &mut self,
        token: u64,
        caller: &Caller,
        s: &Arc<Socket>,
        op: Op,
        r: &mut R,
    ) -> Result<Vec<Frame>, c_int> {
        let ok = |v: i64| Ok(vec![reply_frame(ReplyHead::ok(v), &[], None)]);
        match op {
            Op::Bind | Op::Unbind => {
                let addrs = r.addrs()?;
                let first_bind = r.bool().unwrap_or(false);
                if addrs.is_empty() {
                    return Err(libc::EINVAL);
                }
                if s.family == libc::AF_INET && addrs.iter().any(|a| a.is_ipv6()) {
                    return Err(libc::EINVAL);
                }
                if op == Op::Bind {
                    s.bind(&addrs, first_bind, caller.net_bind)?;
                    s.refresh_listener();
                } else {
                    s.unbind(&addrs)?;
                }
                ok(0)
            }
            Op::Listen => {
                s.listen(r.i32()?)?;
                ok(0)
            }
            Op::Connect => {
                let addrs = r.addrs()?;
                let Some(first) = addrs.first() else { return Err(libc::EINVAL) };
                if s.family == libc::AF_INET
                    && addrs.iter().any(|a| super::sock::unmap(a.ip()).is_ipv6())
                {
                    return Err(libc::EINVAL);
                }
                // "For SCTP, the port given in each socket address must be
                // the same."
                if addrs.iter().any(|a| a.port() != first.port()) {
                    return Err(libc::EINVAL);
                }
                // sctp_verify_addr: usable peer addresses only.
                for a in &addrs {
                    super::sock::check_peer_addr(s.family, a)?;
                }
                let id = s.connect(&addrs)?;
                self.stack.pump();
                // A failure seen already (a refusal by a peer on this
                // host) is left pending in SO_ERROR: a non-blocking
                // connect answers EINPROGRESS whatever happened
                // (sctp_wait_for_connect), a blocking one takes the error
                // through ConnectStatus.
                let head = if s.connect_status_peek(id) {
                    ReplyHead::ok(0)
                } else {
                    ReplyHead::err(libc::EINPROGRESS)
                };
                let mut w = W::new();
                w.i32(id.0 as i32);
                Ok(vec![reply_frame(head, &w.0, None)])
            }
            Op::ConnectStatus => {
                let id = AssocId(r.i32()? as u32);
                let (snd, _) = s.timeouts_ms();
                let mut head = match s.connect_status(id) {
                    Ok(()) => ReplyHead::ok(0),
                    Err(e) => ReplyHead::err(e),
                };
                head.timeout_ms = snd;
                Ok(vec![reply_frame(head, &[], None)])
            }
            Op::Accept => {
                let nonblock = r.bool()?;
                let n = self.new_socket(caller, s.family, Style::OneToOne, false);
                match s.accept(n, nonblock) {
                    Ok((ns, app, peer)) => {
                        let mut w = W::new();
                        w.u64(ns.id).addr(&peer);
                        // The caller holds the new descriptor from now on.
                        if let Some(c) = self.chans.get_mut(&token) {
                            c.proven.insert(ns.id);
                        }
                        self.register(ns);
                        Ok(vec![reply_frame(ReplyHead::ok(0), &w.0, Some(app))])
                    }
                    Err(libc::EAGAIN) => {
                        let mut h = ReplyHead::err(libc::EAGAIN);
                        h.timeout_ms = s.timeouts_ms().1;
                        Ok(vec![reply_frame(h, &[], None)])
                    }
                    Err(e) => Err(e),
                }
            }
            Op::Peeloff => {
                let assoc = r.i32()?;
                let nonblock = r.bool()?;
                if s.style != Style::OneToMany {
                    return Err(libc::EINVAL);
                }
                let Some(aid) = s.resolve(assoc) else { return Err(libc::EINVAL) };
                let n = self.new_socket(caller, s.family, Style::OneToOne, true);
                let (ns, app) = s.peeloff(aid, n, nonblock)?;
                let mut w = W::new();
                w.u64(ns.id);
                if let Some(c) = self.chans.get_mut(&token) {
                    c.proven.insert(ns.id);
                }
                self.register(ns);
                Ok(vec![reply_frame(ReplyHead::ok(0), &w.0, Some(app))])
            }
            Op::SendPart => {
                let data = r.rest();
                if let Some(c) = self.chans.get_mut(&token) {
                    // Parts belong to one socket's next send: parts for
                    // another socket start afresh.
                    if c.part_sock != s.id || c.part.len() + data.len() > MAX_SEND {
                        c.part.clear();
                    }
                    c.part_sock = s.id;
                    c.part.extend_from_slice(data);
                }
                Ok(Vec::new())
            }
            Op::Send => {
                let req = SendReq::decode(r)?;
                let rest = r.rest();
                let data = match self.chans.get_mut(&token) {
                    Some(c) if !c.part.is_empty() && c.part_sock == s.id => {
                        let mut d = std::mem::take(&mut c.part);
                        d.extend_from_slice(rest);
                        Bytes::from(d)
                    }
                    _ => Bytes::copy_from_slice(rest),
                };
                let p = s.send_params(&req);
                let res = s.send(data, &p);
                self.stack.pump();
                match res {
                    Ok(n) => ok(n as i64),
                    Err(libc::EAGAIN) => {
                        let mut h = ReplyHead::err(libc::EAGAIN);
                        h.timeout_ms = s.timeouts_ms().0;
                        Ok(vec![reply_frame(h, &[], None)])
                    }
                    Err(e) => Err(e),
                }
            }
            Op::Recv => {
                let cap = r.u64()? as usize;
                let peek = r.bool()?;
                let mut sink = VecSink(Vec::new());
                match s.recv_with(cap, &mut sink, peek) {
                    Ok(rv) => {
                        if !peek {
                            // The window update may go to a peer on this host.
                            self.stack.pump();
                        }
                        let meta = recv_meta(s, &rv);
                        let mut w = W::new();
                        meta.encode(&mut w);
                        Ok(reply_frames(ReplyHead::ok(rv.len as i64), &w.0, &sink.0))
                    }
                    Err(libc::EAGAIN) => {
                        let mut h = ReplyHead::err(libc::EAGAIN);
                        h.timeout_ms = s.timeouts_ms().1;
                        h.block_err = s.recv_block_errno() as u8;
                        Ok(vec![reply_frame(h, &[], None)])
                    }
                    Err(e) => Err(e),
                }
            }
            Op::Shutdown => {
                let how = r.i32()?;
                s.shutdown(how)?;
                self.stack.pump();
                ok(0)
            }
            Op::GetOpt => {
                let level = r.i32()?;
                let name = r.i32()?;
                let len = r.i32()?;
                let input = r.bytes()?;
                let out = options::getsockopt(s, level, name, input, len)?;
                let mut w = W::new();
                w.bool(out.len.is_some()).u32(out.len.unwrap_or(0) as u32).bytes(&out.data);
                Ok(vec![reply_frame(ReplyHead::ok(0), &w.0, None)])
            }
            Op::SetOpt => {
                let level = r.i32()?;
                let name = r.i32()?;
                let optlen = r.u32()?;
                let b = r.bytes()?;
                let v = options::setsockopt(s, level, name, b, optlen)?;
                s.options_changed();
                self.stack.pump();
                ok(i64::from(v))
            }
            Op::SockName => {
                let mut w = W::new();
                w.addr(&s.sockname());
                Ok(vec![reply_frame(ReplyHead::ok(0), &w.0, None)])
            }
            Op::PeerName => {
                let mut w = W::new();
                w.addr(&s.peername()?);
                Ok(vec![reply_frame(ReplyHead::ok(0), &w.0, None)])
            }
            Op::PeerAddrs | Op::LocalAddrs => {
                let assoc = r.i32()?;
                let v =
                    if op == Op::PeerAddrs { s.peer_addrs(assoc)? } else { s.local_addrs(assoc)? };
                let mut w = W::new();
                w.addrs(&v);
                Ok(vec![reply_frame(ReplyHead::ok(0), &w.0, None)])
            }
            Op::FionRead => ok(s.readable_bytes() as i64),
            Op::Info => {
                let mut w = W::new();
                let ty = match (s.style, s.peeled) {
                    (Style::OneToOne, false) => 0,
                    _ => 1,
                };
                w.i32(s.family).u8(ty);
                Ok(vec![reply_frame(ReplyHead::ok(0), &w.0, None)])
            }
            Op::MapTx => {
                let fd = s.tx_ring_fd()?;
                let dup = fd
                    .try_clone_to_owned()
                    .map_err(|e| e.raw_os_error().unwrap_or(libc::EMFILE))?;
                Ok(vec![reply_frame(ReplyHead::ok(0), &[], Some(dup))])
            }
            Op::Hello | Op::Create | Op::Stat | Op::Closed | Op::LingerWait | Op::Kick => {
                Err(libc::EINVAL)
            }
        }
    }
}

/// Whether the client should fill its descriptor after `op` when the
/// socket is not writable: after the requests that wait for writability
/// or make the socket unwritable.
fn wants_fill(op: Op) -> bool {
    matches!(op, Op::Send | Op::Connect | Op::ConnectStatus | Op::Listen | Op::Accept | Op::SetOpt)
}

fn recv_meta(s: &Socket, rv: &Recv) -> ipc::RecvMeta {
    ipc::RecvMeta {
        eor: rv.eor,
        notification: rv.notification,
        assoc: rv.assoc,
        from: rv.from,
        cmsgs: s.recv_cmsgs(rv),
        data_len: rv.len as u64,
    }
}

/// One reply datagram: head, body, and a descriptor to pass.
fn reply_frame(head: ReplyHead, body: &[u8], fd: Option<OwnedFd>) -> Frame {
    let mut w = W(Vec::with_capacity(ipc::REPLY_HEAD + body.len()));
    head.encode(&mut w);
    w.0.extend_from_slice(body);
    Frame { bytes: w.0, fd }
}

/// A reply whose `data` follows the body, in as many datagrams as it
/// needs: the first carries the head and body; each continuation starts
/// with a byte saying whether another follows.
fn reply_frames(mut head: ReplyHead, body: &[u8], data: &[u8]) -> Vec<Frame> {
    let room = ipc::FRAME_MAX.saturating_sub(body.len());
    let first = data.len().min(room);
    head.more = first < data.len();
    let mut f = reply_frame(head, body, None);
    f.bytes.extend_from_slice(&data[..first]);
    let mut frames = vec![f];
    let mut off = first;
    while off < data.len() {
        let n = (data.len() - off).min(ipc::FRAME_MAX);
        let mut b = Vec::with_capacity(n + 1);
        b.push(u8::from(off + n < data.len()));
        b.extend_from_slice(&data[off..off + n]);
        frames.push(Frame { bytes: b, fd: None });
        off += n;
    }
    frames
}

/// A host stack server inside the calling process, for the fuzz targets
/// (`fuzz/targets/ipc.rs`, `sockopt.rs`) and their corpus replay in
/// `cargo test`: requests go in as the bytes a client would send on its
/// channel, replies come back as the frames it would receive. The stack
/// is contained ([`Stack::contain`]): it delivers packets to itself and
/// sends nothing to the network, whatever addresses the input names.
#[doc(hidden)]
pub struct Harness {
    srv: Server,
    /// The application ends of the sockets made so far, by id.
    fds: HashMap<u64, OwnedFd>,
}

/// One reply frame: what a client would read, and the descriptor riding
/// on it.
#[doc(hidden)]
pub struct Reply {
    pub bytes: Vec<u8>,
    pub fd: Option<OwnedFd>,
}

const HARNESS_CHAN: u64 = CHAN_BIT;

impl Harness {
    /// A contained stack on an ephemeral UDP port, with one channel from
    /// this process.
    pub fn new() -> Result<Harness, c_int> {
        let err = |e: std::io::Error| e.raw_os_error().unwrap_or(libc::EIO);
        let stack = Stack::start(0)?;
        stack.contain();
        // SAFETY: fresh descriptors from socket/socketpair, owned here.
        let listen = unsafe {
            OwnedFd::from_raw_fd(
                sys::socket(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC, 0)
                    .map_err(err)?,
            )
        };
        let (a, b) = sys::socketpair(libc::AF_UNIX, libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC)
            .map_err(err)?;
        // SAFETY: both ends are fresh from socketpair; `b` is not used.
        let (chan, _) = unsafe { (OwnedFd::from_raw_fd(a), OwnedFd::from_raw_fd(b)) };
        let epfd = sys::epoll_create().map_err(err)?;
        // SAFETY: getpid/getuid cannot fail.
        let (pid, uid) = unsafe { (libc::getpid(), libc::getuid()) };
        let caller = Caller { pid, uid, net_bind: true, net_admin: false };
        let mut chans = HashMap::new();
        chans.insert(HARNESS_CHAN, Chan::new(chan, caller));
        let srv = Server {
            cfg: Config {
                instance: format!("harness-{pid}"),
                port: 0,
                idle_exit: Duration::MAX,
                status_fd: None,
            },
            stack,
            boot: 1,
            epfd,
            listen,
            socks: HashMap::new(),
            by_ino: HashMap::new(),
            next_id: 1,
            chans,
            next_chan: 1,
            buf: Vec::new(),
            lingering: HashMap::new(),
        };
        Ok(Harness { srv, fds: HashMap::new() })
    }

    /// One request, with the descriptor passed beside it; the replies.
    /// The application end of every socket a reply hands over is kept
    /// (see [`Harness::fd`]).
    pub fn request(&mut self, req: &[u8], fd: Option<OwnedFd>) -> Vec<Reply> {
        let frames = self.srv.request(HARNESS_CHAN, req, fd.into_iter().collect());
        let mut out = Vec::with_capacity(frames.len());
        for f in frames {
            let mut fd = f.fd;
            // A new socket's id is the first field of the body.
            if let (Some(d), Some(id)) =
                (fd.as_ref(), f.bytes.get(ipc::REPLY_HEAD..ipc::REPLY_HEAD + 8))
            {
                let id = u64::from_le_bytes(id.try_into().unwrap_or([0; 8]));
                if self
                    .srv
                    .socks
                    .get(&id)
                    .is_some_and(|s| sys::inode(d.as_raw_fd()).ok() == Some(s.app_ino))
                {
                    if let Some(d) = fd.take() {
                        self.fds.insert(id, d);
                    }
                }
            }
            out.push(Reply { bytes: f.bytes, fd });
        }
        out
    }

    /// Request `op` about socket `id` with `body`, proven by the socket's
    /// descriptor as a client's first request is: the reply's status (a
    /// negative errno for an error), body (continuations appended) and
    /// the descriptor it carried, unless it is a new socket's (kept).
    pub fn call(&mut self, op: Op, id: u64, body: &[u8]) -> (i64, Vec<u8>, Option<OwnedFd>) {
        let mut w = W::new();
        ipc::req_head(&mut w, op, id);
        w.0.extend_from_slice(body);
        let fd = self.fd(id);
        let mut replies = self.request(&w.0, fd);
        if replies.is_empty() {
            return (0, Vec::new(), None);
        }
        let first = replies.remove(0);
        let mut r = R::new(&first.bytes);
        let Ok(head) = ReplyHead::decode(&mut r) else {
            return (-i64::from(libc::EPROTO), Vec::new(), None);
        };
        let mut body = r.rest().to_vec();
        for c in &replies {
            body.extend_from_slice(c.bytes.get(1..).unwrap_or(&[]));
        }
        (head.status, body, first.fd)
    }

    /// Drops the harness's descriptor of socket `id` (the application
    /// closed it); a `Closed` request then closes the socket.
    pub fn drop_fd(&mut self, id: u64) {
        self.fds.remove(&id);
    }

    /// A duplicate of socket `id`'s application descriptor (to prove a
    /// request's right to the socket).
    pub fn fd(&self, id: u64) -> Option<OwnedFd> {
        self.fds.get(&id).and_then(|d| d.try_clone().ok())
    }

    /// The ids of the sockets open now, in order.
    pub fn sockets(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.srv.socks.keys().copied().collect();
        v.sort_unstable();
        v
    }

    /// Socket `id` itself (the option decoders take it directly).
    pub fn socket(&self, id: u64) -> Option<Arc<Socket>> {
        self.srv.socks.get(&id).cloned()
    }

    pub fn stack(&self) -> &Arc<Stack> {
        &self.srv.stack
    }

    /// Closes every socket as its last descriptor's close() would, after
    /// SO_LINGER {1, 0} (so each association ends at once with an ABORT),
    /// and forgets the channel's state. Afterwards the stack holds no
    /// association: what remains is a leak.
    pub fn close_all(&mut self) {
        let linger = libc::linger { l_onoff: 1, l_linger: 0 };
        let mut b = [0u8; std::mem::size_of::<libc::linger>()];
        b[..4].copy_from_slice(&linger.l_onoff.to_ne_bytes());
        b[4..].copy_from_slice(&linger.l_linger.to_ne_bytes());
        for id in self.sockets() {
            let s = self.srv.socks[&id].clone();
            let _ = options::setsockopt(&s, libc::SOL_SOCKET, libc::SO_LINGER, &b, b.len() as u32);
            self.fds.remove(&id);
            self.srv.close_sock(&s);
        }
        self.fds.clear();
        self.srv.lingering.clear();
        if let Some(c) = self.srv.chans.get_mut(&HARNESS_CHAN) {
            c.proven.clear();
            c.part = Vec::new();
        }
        self.srv.stack.pump();
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.close_all();
        self.srv.stack.stop();
        let _ = sys::close(self.srv.epfd);
    }
}
