//! The send ring: shared memory between the library and the host stack,
//! one per socket, made when a socket starts sending often (DESIGN.md,
//! "The data path").
//!
//! A send on an established one-to-one socket does not ask the stack:
//! the library copies the message into the ring and returns, as the
//! kernel returns once a message is in the socket's send buffer. The
//! stack takes what the ring holds when it is told to (a `Kick` on the
//! channel, sent only when the stack said it stopped looking), and before
//! any other request about the socket, so messages keep their order with
//! sends that go the slow way. Whatever could make a send fail is decided
//! by the stack before the library may use the ring and published here
//! (the association is established, the stream count, the send buffer's
//! room); anything else goes the slow way (a request), which drains the
//! ring first and gives the kernel's errno.
//!
//! Layout (`SIZE` bytes of a memfd, mapped shared by both sides):
//!
//! | offset | written by | what |
//! |---|---|---|
//! | 0 | stack | magic, capacity |
//! | 64 | stack | `OPEN` (the library may push), outbound streams, largest message, `LIMIT` |
//! | 128 | library | `LOCK` (pid of the pushing process), `HEAD`, `RESERVED` (message bytes pushed, ever) |
//! | 192 | stack | `TAIL`, `IDLE` (the stack stopped looking: kick it) |
//! | 256 | library | the records |
//!
//! A record is 32 bytes of head (length, kind, the `SndInfo`) and the
//! message, padded to 32; a record that would not fit before the end is
//! preceded by a wrap record filling the rest. The library pushes only
//! while `RESERVED < LIMIT`: the stack keeps `LIMIT` at (message bytes it
//! took, ever) + (send buffer room), so the ring and the association
//! together hold what the kernel's send buffer would.
//!
//! Nothing here trusts the other side: the stack checks every length
//! and position it reads and, on nonsense, empties the ring and closes
//! the fast path of that socket for good; the library never reads what
//! the stack could make it misbehave on. Pushers lock out each other
//! (several threads and processes may share a socket); a pusher that
//! died holding the lock (its pid gone) is overtaken, and since a record
//! becomes visible only when `HEAD` moves, nothing half-written is read.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use crate::ipc::SndInfo;

/// Ring capacity (bytes of records).
pub const CAP: usize = 256 * 1024;
const DATA: usize = 512;
const RX_DATA: usize = DATA + CAP;
/// Bytes of the shared region.
pub const SIZE: usize = RX_DATA + CAP;
/// Largest message the ring takes (larger ones go as requests, where they
/// cost one system call per 96 KiB anyway).
pub const MAX_MSG: usize = CAP / 4;
const MAGIC: u32 = 0x5854_5353; // "SSTX"

const O_MAGIC: usize = 0;
const O_CAP: usize = 4;
const O_OPEN: usize = 64;
const O_OSTREAMS: usize = 68;
const O_MAXLEN: usize = 72;
const O_LIMIT: usize = 80;
const O_LOCK: usize = 128;
const O_HEAD: usize = 136;
const O_RESERVED: usize = 144;
const O_TAIL: usize = 192;
const O_IDLE: usize = 200;
const O_RHEAD: usize = 256;
const O_RELEASED: usize = 264;
const O_KICK_AT: usize = 272;
const O_RLOCK: usize = 320;
const O_ROFF: usize = 324;
const O_RTAIL: usize = 328;
const O_CONSUMED: usize = 336;
const O_KICKED: usize = 344;
const O_BELL: usize = 352;
const O_OTHER: usize = 356;
const O_RCVTIMEO: usize = 360;
const BELL_NONE: u32 = 0;
const BELL_WRITING: u32 = 1;
const BELL_WAITS: u32 = 2;

const REC: usize = 32;
const KIND_MSG: u16 = 1;
const KIND_WRAP: u16 = 2;

fn rec_len(len: usize) -> usize {
    (REC + len).div_ceil(REC) * REC
}

/// One mapping of a socket's ring.
pub struct Ring {
    base: *mut u8,
}

// The mapping is plain shared memory; every access to it goes through
// atomics or through copies into and out of ranges that the protocol above
// gives to one side at a time.
// SAFETY: see above.
unsafe impl Send for Ring {}
// SAFETY: as above.
unsafe impl Sync for Ring {}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: `base` is a mapping of SIZE bytes made by `map_fd`, not
        // used after this.
        unsafe { libc::munmap(self.base as *mut libc::c_void, SIZE) };
    }
}

/// What a push did.
#[derive(Debug, PartialEq, Eq)]
pub enum Push {
    /// In the ring; `kick`: the stack stopped looking, tell it.
    Done { kick: bool },
    /// Not allowed now (closed, full, a case the stack must judge): send
    /// it as a request.
    Slow,
}

/// What a reader took from the receive ring.
pub struct RxTaken {
    /// The reply body of a `Recv` request (`ipc::RecvMeta`).
    pub meta: Vec<u8>,
    pub data: Vec<u8>,
    /// These bytes end the record.
    pub end: bool,
    pub notification: bool,
    /// Kick the stack: window to give back.
    pub kick: bool,
}

/// A message the stack took from the ring.
pub struct Taken {
    pub info: Option<SndInfo>,
    pub data: bytes::Bytes,
}

fn map_fd(fd: &OwnedFd) -> io::Result<*mut u8> {
    // SAFETY: maps SIZE bytes of a descriptor we hold; the result is
    // checked before use.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            SIZE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd.as_raw_fd(),
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    Ok(p as *mut u8)
}

static PID: AtomicU32 = AtomicU32::new(0);

/// This process's pid, cached: getpid(2) is a system call, and the
/// library needs the pid for every copy from or to application memory
/// (`abi::mem`) and every ring lock. A child made by fork() forgets it
/// (a pthread_atfork handler registered with the first use).
pub fn my_pid() -> u32 {
    let p = PID.load(Ordering::Relaxed);
    if p != 0 {
        return p;
    }
    static ATFORK: std::sync::Once = std::sync::Once::new();
    ATFORK.call_once(|| {
        extern "C" fn child() {
            forget_pid();
        }
        // SAFETY: registering a plain extern "C" function with libc.
        unsafe { libc::pthread_atfork(None, None, Some(child)) };
    });
    let p = std::process::id();
    PID.store(p, Ordering::Relaxed);
    p
}

/// After fork: the cached pid is the parent's.
pub fn forget_pid() {
    PID.store(0, Ordering::Relaxed);
}

impl Ring {
    /// The stack: a new ring and the descriptor that maps it.
    pub fn create() -> io::Result<(Ring, OwnedFd)> {
        // SAFETY: memfd_create with a NUL-terminated name.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_memfd_create,
                c"sctpudp-tx".as_ptr(),
                libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
        // SAFETY: plain system call on our descriptor.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), SIZE as libc::off_t) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // Every process that maps the ring holds this descriptor: without
        // the seals one of them could ftruncate it and the stack would
        // die of SIGBUS on its next look (every process's SCTP with it).
        let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;
        // SAFETY: fcntl on our own descriptor.
        if unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, seals) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let r = Ring { base: map_fd(&fd)? };
        r.a32(O_CAP).store(CAP as u32, Ordering::Relaxed);
        r.a32(O_KICKED).store(0, Ordering::Relaxed);
        r.set_rcvtimeo(None);
        r.a32(O_IDLE).store(1, Ordering::Relaxed);
        r.a32(O_MAGIC).store(MAGIC, Ordering::Release);
        Ok((r, fd))
    }

    /// The library: maps a ring the stack made.
    pub fn map(fd: &OwnedFd) -> io::Result<Ring> {
        // SAFETY: fstat into a zeroed struct.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 {
            return Err(io::Error::last_os_error());
        }
        if (st.st_size as u64) < SIZE as u64 {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        let r = Ring { base: map_fd(fd)? };
        if r.a32(O_MAGIC).load(Ordering::Acquire) != MAGIC
            || r.a32(O_CAP).load(Ordering::Relaxed) != CAP as u32
        {
            return Err(io::Error::from_raw_os_error(libc::EPROTO));
        }
        Ok(r)
    }

    fn a32(&self, off: usize) -> &AtomicU32 {
        debug_assert!(off % 4 == 0 && off + 4 <= DATA);
        // `off` is a 4-aligned offset inside the header of a live mapping
        // (page-aligned base), which is only ever accessed atomically.
        // SAFETY: see above.
        unsafe { AtomicU32::from_ptr(self.base.add(off) as *mut u32) }
    }

    fn a64(&self, off: usize) -> &AtomicU64 {
        debug_assert!(off % 8 == 0 && off + 8 <= DATA);
        // SAFETY: as in `a32`, 8-aligned.
        unsafe { AtomicU64::from_ptr(self.base.add(off) as *mut u64) }
    }

    /// Copies `src` into the send ring's records at offset `at`.
    fn put(&self, at: usize, src: &[u8]) {
        self.put_in(DATA, at, src)
    }

    /// Copies from the send ring's records at offset `at` into `dst`.
    fn get(&self, at: usize, dst: &mut [u8]) {
        self.get_in(DATA, at, dst)
    }

    /// Copies `src` into the records of the ring at `area` (DATA or
    /// RX_DATA), offset `at`.
    fn put_in(&self, area: usize, at: usize, src: &[u8]) {
        assert!((area == DATA || area == RX_DATA) && at <= CAP && src.len() <= CAP - at);
        // SAFETY: the range is inside the mapping (checked above) and is
        // the writer's alone until the ring's head moves past it.
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), self.base.add(area + at), src.len()) };
    }

    /// Copies from the records of the ring at `area`, offset `at`, into `dst`.
    fn get_in(&self, area: usize, at: usize, dst: &mut [u8]) {
        assert!((area == DATA || area == RX_DATA) && at <= CAP && dst.len() <= CAP - at);
        // Inside the mapping (checked above). The other side may write it
        // (a misbehaving one); the bytes are then wrong, never out of
        // bounds, and every use of them is checked.
        // SAFETY: see above.
        unsafe {
            std::ptr::copy_nonoverlapping(self.base.add(area + at), dst.as_mut_ptr(), dst.len())
        };
    }

    // ----- the library's side -------------------------------------------------

    fn lock(&self) {
        self.lock_at(O_LOCK)
    }

    /// Takes the pushers' (O_LOCK) or the readers' (O_RLOCK) lock.
    fn lock_at(&self, off: usize) {
        let me = my_pid();
        let l = self.a32(off);
        let mut spins = 0u32;
        loop {
            if l.compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                return;
            }
            spins += 1;
            if spins % 128 == 0 {
                let holder = l.load(Ordering::Relaxed);
                let gone = holder != 0
                    && holder != me
                    // SAFETY: kill with signal 0 only checks that the process exists.
                    && unsafe { libc::kill(holder as libc::pid_t, 0) } != 0
                    && io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
                if gone
                    && l.compare_exchange(holder, me, Ordering::Acquire, Ordering::Relaxed).is_ok()
                {
                    return;
                }
            }
            if spins % 8 == 0 {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
    }

    fn unlock(&self) {
        self.a32(O_LOCK).store(0, Ordering::Release);
    }

    /// Pushes one message if the stack allows it now.
    pub fn push(&self, info: Option<&SndInfo>, data: &[u8]) -> Push {
        let len = data.len();
        if len == 0 || self.a32(O_OPEN).load(Ordering::Acquire) == 0 {
            return Push::Slow;
        }
        if len > self.a32(O_MAXLEN).load(Ordering::Relaxed) as usize {
            return Push::Slow;
        }
        if let Some(i) = info {
            // Only what the stack cannot refuse: a stream that exists and
            // no flags but unordered.
            if u32::from(i.sid) >= self.a32(O_OSTREAMS).load(Ordering::Relaxed)
                || i.flags & !crate::abi::types::SCTP_UNORDERED != 0
            {
                return Push::Slow;
            }
        }
        let rec = rec_len(len);
        self.lock();
        let head = self.a64(O_HEAD).load(Ordering::Relaxed);
        let tail = self.a64(O_TAIL).load(Ordering::Acquire);
        let reserved = self.a64(O_RESERVED).load(Ordering::Relaxed);
        let used = head.wrapping_sub(tail);
        let pos = (head % CAP as u64) as usize;
        let to_end = CAP - pos;
        let need = if rec <= to_end { rec } else { to_end + rec };
        if self.a32(O_OPEN).load(Ordering::Acquire) == 0
            || reserved >= self.a64(O_LIMIT).load(Ordering::Acquire)
            || used > CAP as u64
            || used as usize + need > CAP
        {
            self.unlock();
            return Push::Slow;
        }
        let mut at = pos;
        if rec > to_end {
            let mut w = [0u8; REC];
            w[4..6].copy_from_slice(&KIND_WRAP.to_ne_bytes());
            self.put(pos, &w);
            at = 0;
        }
        let mut h = [0u8; REC];
        h[0..4].copy_from_slice(&(len as u32).to_ne_bytes());
        h[4..6].copy_from_slice(&KIND_MSG.to_ne_bytes());
        if let Some(i) = info {
            h[6] = 1;
            h[8..10].copy_from_slice(&i.sid.to_ne_bytes());
            h[10..12].copy_from_slice(&i.flags.to_ne_bytes());
            h[12..16].copy_from_slice(&i.ppid.to_ne_bytes());
            h[16..20].copy_from_slice(&i.context.to_ne_bytes());
            h[20..24].copy_from_slice(&i.ttl.to_ne_bytes());
            h[24..28].copy_from_slice(&i.assoc.to_ne_bytes());
        }
        self.put(at, &h);
        self.put(at + REC, data);
        self.a64(O_RESERVED).store(reserved + len as u64, Ordering::Relaxed);
        // SeqCst with the stack's `park`: either it sees this record or
        // this push sees it idle.
        self.a64(O_HEAD).store(head + need as u64, Ordering::SeqCst);
        self.unlock();
        let kick = self.a32(O_IDLE).swap(0, Ordering::SeqCst) == 1;
        Push::Done { kick }
    }

    // ----- the stack's side ---------------------------------------------------

    /// Publishes what the library may do: `open` (push at all), the
    /// outbound stream count, the largest message, and the send buffer's
    /// room (`room`) beyond what the stack took so far (`taken`).
    pub fn publish(&self, open: bool, ostreams: u16, max_len: usize, taken: u64, room: usize) {
        self.a32(O_OSTREAMS).store(u32::from(ostreams), Ordering::Relaxed);
        self.a32(O_MAXLEN).store(max_len.min(MAX_MSG) as u32, Ordering::Relaxed);
        self.a64(O_LIMIT).store(taken.saturating_add(room as u64), Ordering::Release);
        self.a32(O_OPEN).store(u32::from(open), Ordering::Release);
    }

    /// Whether records wait.
    pub fn pending(&self) -> bool {
        self.a64(O_HEAD).load(Ordering::Acquire) != self.a64(O_TAIL).load(Ordering::Relaxed)
    }

    /// Takes every record that waits into `out`; returns their message
    /// bytes, or None on nonsense (the ring is then emptied and closed).
    pub fn take(&self, out: &mut Vec<Taken>) -> Option<u64> {
        let head = self.a64(O_HEAD).load(Ordering::Acquire);
        let mut tail = self.a64(O_TAIL).load(Ordering::Relaxed);
        let mut bytes = 0u64;
        let bad = |r: &Ring| {
            r.a32(O_OPEN).store(0, Ordering::Release);
            r.a64(O_TAIL).store(head, Ordering::Release);
            None
        };
        if head.wrapping_sub(tail) > CAP as u64 || head % REC as u64 != 0 {
            return bad(self);
        }
        while tail != head {
            let pos = (tail % CAP as u64) as usize;
            let avail = head.wrapping_sub(tail) as usize;
            let mut h = [0u8; REC];
            if avail < REC {
                return bad(self);
            }
            self.get(pos, &mut h);
            let len = u32::from_ne_bytes([h[0], h[1], h[2], h[3]]) as usize;
            match u16::from_ne_bytes([h[4], h[5]]) {
                KIND_WRAP => {
                    let skip = CAP - pos;
                    if skip > avail {
                        return bad(self);
                    }
                    tail += skip as u64;
                    continue;
                }
                KIND_MSG if len > 0 && len <= MAX_MSG => {}
                _ => return bad(self),
            }
            let rec = rec_len(len);
            if rec > avail || rec > CAP - pos {
                return bad(self);
            }
            let info = (h[6] == 1).then(|| SndInfo {
                sid: u16::from_ne_bytes([h[8], h[9]]),
                flags: u16::from_ne_bytes([h[10], h[11]]),
                ppid: u32::from_ne_bytes([h[12], h[13], h[14], h[15]]),
                context: u32::from_ne_bytes([h[16], h[17], h[18], h[19]]),
                ttl: u32::from_ne_bytes([h[20], h[21], h[22], h[23]]),
                assoc: i32::from_ne_bytes([h[24], h[25], h[26], h[27]]),
            });
            let mut data = bytes::BytesMut::zeroed(len);
            self.get(pos + REC, &mut data);
            out.push(Taken { info, data: data.freeze() });
            bytes += len as u64;
            tail += rec as u64;
        }
        self.a64(O_TAIL).store(tail, Ordering::Release);
        Some(bytes)
    }

    /// The stack stops looking at the ring: true if it is empty (a push
    /// from now on kicks), false if a record came meanwhile (take it).
    pub fn park(&self) -> bool {
        self.a32(O_IDLE).store(1, Ordering::SeqCst);
        if self.a64(O_HEAD).load(Ordering::SeqCst) == self.a64(O_TAIL).load(Ordering::Relaxed) {
            return true;
        }
        self.a32(O_IDLE).store(0, Ordering::Relaxed);
        false
    }

    /// The stack looks at the ring again (a kick came).
    pub fn unpark(&self) {
        self.a32(O_IDLE).store(0, Ordering::Relaxed);
    }

    // ----- the receive ring ---------------------------------------------------
    //
    // The stack pushes whole messages and notifications, each with the
    // reply body a `Recv` request would have had (`ipc::RecvMeta`); the
    // library's readers take them under their lock. `ROFF` is how much of
    // the first record a short read already took (the rest comes next, as
    // Linux returns a message in pieces to a short buffer). Data bytes
    // read (`CONSUMED`) go back to the association's window when the
    // stack next looks (`RELEASED`); a reader that leaves `KICK_AT` or
    // more of them unreturned kicks it once (`KICKED`).

    /// The stack: pushes one record; false if it does not fit now.
    pub fn rx_push(&self, meta: &[u8], data: &[u8], notification: bool) -> bool {
        let body = meta.len() + data.len();
        if body > MAX_MSG + 4096 {
            return false;
        }
        let rec = rec_len(body);
        let head = self.a64(O_RHEAD).load(Ordering::Relaxed);
        let tail = self.a64(O_RTAIL).load(Ordering::Acquire);
        let used = head.wrapping_sub(tail);
        let pos = (head % CAP as u64) as usize;
        let to_end = CAP - pos;
        let need = if rec <= to_end { rec } else { to_end + rec };
        if used > CAP as u64 || used as usize + need > CAP {
            return false;
        }
        let mut at = pos;
        if rec > to_end {
            let mut w = [0u8; REC];
            w[8..10].copy_from_slice(&KIND_WRAP.to_ne_bytes());
            self.put_in(RX_DATA, pos, &w);
            at = 0;
        }
        let mut h = [0u8; REC];
        h[0..4].copy_from_slice(&(meta.len() as u32).to_ne_bytes());
        h[4..8].copy_from_slice(&(data.len() as u32).to_ne_bytes());
        h[8..10].copy_from_slice(&KIND_MSG.to_ne_bytes());
        h[10] = u8::from(notification);
        self.put_in(RX_DATA, at, &h);
        self.put_in(RX_DATA, at + REC, meta);
        self.put_in(RX_DATA, at + REC + meta.len(), data);
        self.a64(O_RHEAD).store(head + need as u64, Ordering::SeqCst);
        true
    }

    /// Whether records wait for a reader.
    pub fn rx_pending(&self) -> bool {
        self.a64(O_RHEAD).load(Ordering::Acquire) != self.a64(O_RTAIL).load(Ordering::Acquire)
    }

    /// The stack: data bytes read since it last looked (to give back to
    /// the window); they count as given back from now on.
    pub fn rx_release(&self) -> usize {
        self.a32(O_KICKED).store(0, Ordering::Relaxed);
        let consumed = self.a64(O_CONSUMED).load(Ordering::Acquire);
        let released = self.a64(O_RELEASED).load(Ordering::Relaxed);
        let d = consumed.wrapping_sub(released);
        if d == 0 || d > (1 << 40) {
            return 0;
        }
        self.a64(O_RELEASED).store(consumed, Ordering::Relaxed);
        d as usize
    }

    /// The stack: data bytes pushed but not read yet, given the data bytes
    /// pushed ever.
    pub fn rx_unread(&self, pushed: u64) -> u64 {
        pushed.saturating_sub(self.a64(O_CONSUMED).load(Ordering::Acquire))
    }

    /// The stack: how many unreturned bytes make a reader kick it.
    pub fn rx_kick_at(&self, n: usize) {
        self.a64(O_KICK_AT).store(n as u64, Ordering::Relaxed);
    }

    /// The data length of the first record, if one waits (FIONREAD).
    pub fn rx_first_len(&self) -> Option<usize> {
        let tail = self.a64(O_RTAIL).load(Ordering::Acquire);
        if self.a64(O_RHEAD).load(Ordering::Acquire) == tail {
            return None;
        }
        let mut pos = (tail % CAP as u64) as usize;
        let mut h = [0u8; REC];
        self.get_in(RX_DATA, pos, &mut h);
        if u16::from_ne_bytes([h[8], h[9]]) == KIND_WRAP {
            pos = 0;
            self.get_in(RX_DATA, pos, &mut h);
        }
        let len = u32::from_ne_bytes([h[4], h[5], h[6], h[7]]) as usize;
        let off = self.a32(O_ROFF).load(Ordering::Relaxed) as usize;
        Some(len.saturating_sub(off))
    }

    /// The library: reads the first record, at most `cap` bytes of its
    /// data (the rest stays for the next read unless `peek`). None:
    /// nothing waits (or nonsense: ask the stack).
    pub fn rx_pop(&self, cap: usize, peek: bool) -> Option<RxTaken> {
        if !self.rx_pending() {
            return None;
        }
        self.lock_at(O_RLOCK);
        let r = self.rx_pop_locked(cap, peek);
        self.a32(O_RLOCK).store(0, Ordering::Release);
        let mut r = r?;
        if !peek && r.end && !r.notification {
            let unreturned = self
                .a64(O_CONSUMED)
                .load(Ordering::Relaxed)
                .wrapping_sub(self.a64(O_RELEASED).load(Ordering::Relaxed));
            let at = self.a64(O_KICK_AT).load(Ordering::Relaxed);
            r.kick =
                at > 0 && unreturned >= at && self.a32(O_KICKED).swap(1, Ordering::AcqRel) == 0;
        }
        Some(r)
    }

    fn rx_pop_locked(&self, cap: usize, peek: bool) -> Option<RxTaken> {
        let head = self.a64(O_RHEAD).load(Ordering::Acquire);
        let mut tail = self.a64(O_RTAIL).load(Ordering::Relaxed);
        if head == tail || head.wrapping_sub(tail) > CAP as u64 {
            return None;
        }
        let mut pos = (tail % CAP as u64) as usize;
        let mut h = [0u8; REC];
        self.get_in(RX_DATA, pos, &mut h);
        if u16::from_ne_bytes([h[8], h[9]]) == KIND_WRAP {
            tail += (CAP - pos) as u64;
            if head.wrapping_sub(tail) > CAP as u64 || head == tail {
                return None;
            }
            pos = 0;
            self.get_in(RX_DATA, pos, &mut h);
        }
        let mlen = u32::from_ne_bytes([h[0], h[1], h[2], h[3]]) as usize;
        let dlen = u32::from_ne_bytes([h[4], h[5], h[6], h[7]]) as usize;
        let rec = rec_len(mlen.checked_add(dlen)?);
        if u16::from_ne_bytes([h[8], h[9]]) != KIND_MSG || rec > CAP - pos {
            return None;
        }
        let off = (self.a32(O_ROFF).load(Ordering::Relaxed) as usize).min(dlen);
        let n = cap.min(dlen - off);
        let mut meta = vec![0u8; mlen];
        self.get_in(RX_DATA, pos + REC, &mut meta);
        let mut data = vec![0u8; n];
        self.get_in(RX_DATA, pos + REC + mlen + off, &mut data);
        let end = off + n == dlen;
        let notification = h[10] != 0;
        if !peek {
            if end {
                self.a32(O_ROFF).store(0, Ordering::Relaxed);
                if !notification {
                    self.a64(O_CONSUMED).fetch_add(dlen as u64, Ordering::Release);
                }
                self.a64(O_RTAIL).store(tail + rec as u64, Ordering::Release);
            } else {
                self.a32(O_ROFF).store((off + n) as u32, Ordering::Relaxed);
                if tail != self.a64(O_RTAIL).load(Ordering::Relaxed) {
                    // Past a wrap record: the next read starts here.
                    self.a64(O_RTAIL).store(tail, Ordering::Release);
                }
            }
        }
        Some(RxTaken { meta, data, end, notification, kick: false })
    }

    // ----- the doorbell ---------------------------------------------------------
    //
    // With a ring, whether a doorbell byte waits in the application's
    // descriptor (`BELL`) is kept here, so that a reader that empties the
    // ring can take the byte back itself (the descriptor then polls
    // unreadable at once, as a kernel socket would). `OTHER`: something
    // besides the ring makes the socket readable (the stack's queue, an
    // error, end of file), so the byte stays. The stack writes the byte
    // before it sets `BELL`; both sides use SeqCst so that a reader that
    // took the byte while the stack pushed sees the push and kicks.

    /// The stack: whether a doorbell byte waits.
    pub fn bell(&self) -> bool {
        self.a32(O_BELL).load(Ordering::SeqCst) != BELL_NONE
    }

    /// The stack: rings the doorbell with `write` (which writes the byte
    /// and says whether it did). The state says "being written" meanwhile,
    /// so a reader never takes back a byte that is not there yet.
    pub fn ring_bell(&self, write: impl FnOnce() -> bool) {
        self.a32(O_BELL).store(BELL_WRITING, Ordering::SeqCst);
        let done = write();
        self.a32(O_BELL).store(if done { BELL_WAITS } else { BELL_NONE }, Ordering::SeqCst);
    }

    /// The stack: the doorbell byte is there (or not) when the ring is made.
    pub fn set_bell(&self, on: bool) {
        self.a32(O_BELL).store(if on { BELL_WAITS } else { BELL_NONE }, Ordering::SeqCst);
    }

    /// Either side: takes the doorbell back; true if this caller must read
    /// the byte. Waits out a byte being written.
    pub fn take_bell(&self) -> bool {
        let b = self.a32(O_BELL);
        let mut spins = 0u32;
        loop {
            match b.compare_exchange(BELL_WAITS, BELL_NONE, Ordering::SeqCst, Ordering::SeqCst) {
                Ok(_) => return true,
                Err(BELL_WRITING) if spins < 100_000 => {
                    spins += 1;
                    std::thread::yield_now();
                }
                Err(_) => return false,
            }
        }
    }

    /// The stack: whether something besides the ring makes the socket
    /// readable.
    pub fn set_other(&self, on: bool) {
        self.a32(O_OTHER).store(u32::from(on), Ordering::SeqCst);
    }

    /// The stack: how long a blocking reader may wait (SO_RCVTIMEO in ms,
    /// -1 forever), or None when a reader must ask (a listener, no live
    /// association: the answer is an errno, not a wait).
    pub fn set_rcvtimeo(&self, ms: Option<i64>) {
        self.a64(O_RCVTIMEO).store(ms.map_or(u64::MAX, |m| m.max(-1) as u64), Ordering::Release);
    }

    /// The library: with nothing to read anywhere (ring empty, nothing
    /// else readable, no doorbell byte), how long a blocking reader may
    /// wait on its descriptor without asking; None: ask the stack.
    pub fn rx_idle(&self) -> Option<i64> {
        if self.rx_pending()
            || self.a32(O_OTHER).load(Ordering::SeqCst) != 0
            || self.a32(O_BELL).load(Ordering::SeqCst) != BELL_NONE
        {
            return None;
        }
        match self.a64(O_RCVTIMEO).load(Ordering::Acquire) {
            u64::MAX => None,
            v => Some(v as i64),
        }
    }

    /// The library, after a read: if that left nothing to read, takes the
    /// doorbell back. Returns (read the byte back, kick the stack: a
    /// record came meanwhile and its doorbell must be rung again).
    pub fn rx_settle(&self) -> (bool, bool) {
        if self.rx_pending() || self.a32(O_OTHER).load(Ordering::SeqCst) != 0 {
            return (false, false);
        }
        if !self.take_bell() {
            return (false, false);
        }
        let again = self.a64(O_RHEAD).load(Ordering::SeqCst)
            != self.a64(O_RTAIL).load(Ordering::SeqCst)
            || self.a32(O_OTHER).load(Ordering::SeqCst) != 0;
        (true, again)
    }

    /// Closes the fast path (the socket closes).
    pub fn close(&self) {
        self.a32(O_OPEN).store(0, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (Ring, Ring) {
        let (s, fd) = Ring::create().unwrap();
        let c = Ring::map(&fd).unwrap();
        (s, c)
    }

    #[test]
    fn closed_until_published() {
        let (s, c) = pair();
        assert_eq!(c.push(None, b"x"), Push::Slow);
        s.publish(true, 10, 1000, 0, 100);
        assert_eq!(c.push(None, b"x"), Push::Done { kick: true });
        // Kicked once: the stack has not parked again.
        assert_eq!(c.push(None, b"y"), Push::Done { kick: false });
    }

    #[test]
    fn order_wrap_and_limit() {
        let (s, c) = pair();
        s.publish(true, 4, MAX_MSG, 0, 1 << 30);
        let mut sent = Vec::new();
        let mut got = Vec::new();
        let mut taken = 0u64;
        for i in 0..5000u32 {
            let len = 1 + (i as usize * 7919) % 20000;
            let msg: Vec<u8> = (0..len).map(|k| (k as u32 ^ i) as u8).collect();
            let info = SndInfo { sid: (i % 4) as u16, ppid: i, ..Default::default() };
            loop {
                match c.push(Some(&info), &msg) {
                    Push::Done { .. } => break,
                    Push::Slow => {
                        let mut v = Vec::new();
                        taken += s.take(&mut v).unwrap();
                        assert!(!v.is_empty());
                        got.extend(v);
                    }
                }
            }
            sent.push((info, msg));
        }
        let mut v = Vec::new();
        taken += s.take(&mut v).unwrap();
        got.extend(v);
        assert!(s.park());
        assert_eq!(got.len(), sent.len());
        for (g, (i, m)) in got.iter().zip(&sent) {
            assert_eq!(g.info.as_ref(), Some(i));
            assert_eq!(&g.data[..], &m[..]);
        }
        assert_eq!(taken, sent.iter().map(|x| x.1.len() as u64).sum::<u64>());
        // The limit: no room, no push.
        s.publish(true, 4, MAX_MSG, taken, 0);
        assert_eq!(c.push(None, b"z"), Push::Slow);
        // Streams that do not exist and flags go the slow way.
        s.publish(true, 4, MAX_MSG, taken, 100);
        let bad = SndInfo { sid: 4, ..Default::default() };
        assert_eq!(c.push(Some(&bad), b"z"), Push::Slow);
        let bad = SndInfo { flags: 0x200, ..Default::default() };
        assert_eq!(c.push(Some(&bad), b"z"), Push::Slow);
    }

    #[test]
    fn rx_order_short_reads_and_release() {
        let (s, c) = pair();
        s.rx_kick_at(1000);
        let mut pushed = Vec::new();
        let mut got = Vec::new();
        let mut whole = Vec::new();
        for i in 0..3000u32 {
            let len = (i as usize * 131) % 3000;
            let data: Vec<u8> = (0..len).map(|k| (k as u32 + i) as u8).collect();
            let meta = i.to_ne_bytes();
            while !s.rx_push(&meta, &data, i % 7 == 0) {
                // Read with a short buffer now and then, peeking first.
                let p = c.rx_pop(10, true).unwrap();
                let r = c.rx_pop(if i % 2 == 0 { 10 } else { 100_000 }, false).unwrap();
                assert_eq!(p.data[..], r.data[..p.data.len().min(r.data.len())]);
                whole.extend_from_slice(&r.data);
                if r.end {
                    got.push((r.meta.clone(), std::mem::take(&mut whole), r.notification));
                }
                s.rx_release();
            }
            pushed.push((meta.to_vec(), data, i % 7 == 0));
        }
        while let Some(r) = c.rx_pop(64, false) {
            whole.extend_from_slice(&r.data);
            if r.end {
                got.push((r.meta.clone(), std::mem::take(&mut whole), r.notification));
            }
        }
        assert_eq!(got, pushed);
        let data_bytes: usize = pushed.iter().filter(|p| !p.2).map(|p| p.1.len()).sum();
        let mut released = 0;
        released += s.rx_release();
        assert!(released <= data_bytes);
        assert_eq!(s.rx_unread(data_bytes as u64), 0);
        assert!(!s.rx_pending());
    }

    #[test]
    fn nonsense_closes() {
        let (s, c) = pair();
        s.publish(true, 4, MAX_MSG, 0, 1 << 20);
        assert!(matches!(c.push(None, b"hello"), Push::Done { .. }));
        // A client scribbles a huge length into the record.
        c.put(0, &u32::MAX.to_ne_bytes());
        let mut v = Vec::new();
        assert!(s.take(&mut v).is_none());
        assert!(v.is_empty());
        assert_eq!(c.push(None, b"x"), Push::Slow);
        // A head far ahead of the tail.
        let (s, c) = pair();
        s.publish(true, 4, MAX_MSG, 0, 1 << 20);
        c.a64(O_HEAD).store(CAP as u64 * 3, Ordering::Relaxed);
        assert!(s.take(&mut v).is_none());
    }

    #[test]
    fn two_threads() {
        let (s, c) = pair();
        s.publish(true, 4, MAX_MSG, 0, usize::MAX / 4);
        let c = std::sync::Arc::new(c);
        let hs: Vec<_> = (0..2u32)
            .map(|t| {
                let c = c.clone();
                std::thread::spawn(move || {
                    for i in 0..20000u32 {
                        let info = SndInfo { sid: t as u16, ppid: i, ..Default::default() };
                        while c.push(Some(&info), &i.to_ne_bytes()) == Push::Slow {
                            std::thread::yield_now();
                        }
                    }
                })
            })
            .collect();
        let mut next = [0u32; 2];
        while next != [20000, 20000] {
            let mut v = Vec::new();
            s.take(&mut v).unwrap();
            for t in v {
                let i = t.info.unwrap();
                assert_eq!(i.ppid, next[i.sid as usize]);
                assert_eq!(&t.data[..], &i.ppid.to_ne_bytes());
                next[i.sid as usize] += 1;
            }
        }
        for h in hs {
            h.join().unwrap();
        }
    }
}
