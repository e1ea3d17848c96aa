//! Spin, then block: for a wait that is usually over in microseconds (a
//! reply from the host stack, which never blocks; the next request of a
//! client in the middle of a burst of calls).
//!
//! Waking a thread that sleeps on another CPU costs far more than the
//! work of most requests: an interprocessor interrupt, and on a virtual
//! machine whose idle vCPUs halt, the host's wake-up of that vCPU. One
//! association set up and shut down takes about ten such wake-ups
//! between the application, the acceptor and the stack (sctpbench setup,
//! 2-vCPU VM: 5,000/s spread over both CPUs, 27,000/s when all three
//! share one CPU and wake-ups are plain context switches). A waiter that
//! keeps looking for a short while is still running when its answer
//! comes, so nobody has to wake it.
//!
//! The window adapts as Linux's guest halt-polling does (cpuidle-haltpoll):
//! it grows when a wait ended soon after the spin gave up (spinning longer
//! would have caught it) and shrinks when the wait was long (the spin was
//! wasted), so a stack or client that is called now and then spins
//! little or not at all. `SCTPUDP_SPIN_US` sets the longest window (0: never
//! spin); it is read once per process.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The longest window by default, in microseconds: a round trip through
/// the stack on this host is 10-20 us (DESIGN.md, `rpc`).
const DEFAULT_MAX_US: u32 = 20;

/// The longest window (`SCTPUDP_SPIN_US`, else the default; none by
/// default for a process that may run on one CPU only, where whoever it
/// waits for can only run when it stops: three threads spinning on one
/// CPU halved the set-up rate).
pub fn max_us() -> u32 {
    static MAX: OnceLock<u32> = OnceLock::new();
    *MAX.get_or_init(|| {
        std::env::var("SCTPUDP_SPIN_US")
            .ok()
            .and_then(|v| v.trim().parse::<u32>().ok())
            .map(|v| v.min(1000))
            .unwrap_or_else(|| {
                let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
                if cpus > 1 {
                    DEFAULT_MAX_US
                } else {
                    0
                }
            })
    })
}

/// A wait up to this many windows long counts as short (the window grows),
/// a longer one as idle (it shrinks). Ten (200 us) let scheduling delays
/// close the windows now and then, and the rate fell back towards the
/// sleeping one for a while (12,000-18,000/s); fifty held 17,000-20,000/s.
/// Waiting at most a window per millisecond costs at most 2 % of a CPU.
const SHORT_WAIT: u64 = 50;

/// One waiter's window.
#[derive(Clone, Copy, Debug)]
pub struct Spin {
    max_ns: u32,
    cur_ns: u32,
}

impl Default for Spin {
    fn default() -> Self {
        Spin::new(max_us())
    }
}

impl Spin {
    pub fn new(max_us: u32) -> Spin {
        let max_ns = max_us.saturating_mul(1000);
        Spin { max_ns, cur_ns: max_ns / 4 }
    }

    /// Tries `f` until it gives something or the window passes, letting
    /// other threads of this CPU run in between (the one we wait for may
    /// be among them). None: block now, and report how long with
    /// [`Spin::blocked`].
    pub fn poll<T>(&mut self, mut f: impl FnMut() -> Option<T>) -> Option<T> {
        if self.cur_ns == 0 {
            return None;
        }
        let until = Instant::now() + Duration::from_nanos(u64::from(self.cur_ns));
        loop {
            if let Some(v) = f() {
                return Some(v);
            }
            if Instant::now() >= until {
                return None;
            }
            std::thread::yield_now();
        }
    }

    /// After a spin that gave up: the blocking wait that followed lasted
    /// `d`.
    pub fn blocked(&mut self, d: Duration) {
        if self.max_ns == 0 {
            return;
        }
        // A wait a little longer than the window was mostly the wake-up
        // itself (tens of microseconds from another CPU, more on a VM):
        // spinning on would have caught it.
        if d <= Duration::from_nanos(u64::from(self.max_ns) * SHORT_WAIT) {
            self.cur_ns = (self.cur_ns.saturating_mul(2)).clamp(self.max_ns / 4, self.max_ns);
        } else {
            // Spinning was wasted.
            self.cur_ns /= 2;
            if self.cur_ns < self.max_ns / 16 {
                self.cur_ns = 0;
            }
        }
    }

    /// Waits with `f`: `f(false)` must not block (None: nothing yet),
    /// `f(true)` may (None: ask again).
    pub fn wait<T>(&mut self, mut f: impl FnMut(bool) -> Option<T>) -> T {
        if let Some(v) = self.poll(|| f(false)) {
            return v;
        }
        let t = (self.max_ns > 0).then(Instant::now);
        let v = loop {
            if let Some(v) = f(true) {
                break v;
            }
        };
        if let Some(t) = t {
            self.blocked(t.elapsed());
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_on_short_waits_and_shrinks_to_nothing_on_long_ones() {
        let mut s = Spin::new(20);
        assert_eq!(s.cur_ns, 5_000);
        s.blocked(Duration::from_micros(3));
        assert_eq!(s.cur_ns, 10_000);
        s.blocked(Duration::from_micros(3));
        s.blocked(Duration::from_micros(3));
        assert_eq!(s.cur_ns, 20_000);
        for _ in 0..5 {
            s.blocked(Duration::from_millis(5));
        }
        assert_eq!(s.cur_ns, 0);
        assert_eq!(s.poll(|| Some(1)), None, "a closed window does not even try");
        s.blocked(Duration::from_micros(1));
        assert_eq!(s.cur_ns, 5_000);
        assert_eq!(s.poll(|| Some(7)), Some(7));
    }

    #[test]
    fn zero_never_spins() {
        let mut s = Spin::new(0);
        s.blocked(Duration::from_nanos(1));
        assert_eq!(s.poll(|| Some(1)), None);
        assert_eq!(s.wait(|block| Some(u8::from(block))), 1);
    }
}
