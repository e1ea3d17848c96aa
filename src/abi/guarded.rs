//! Copies to and from application memory that survive a bad pointer
//! without a system call: the way the kernel's own `copy_from_user` works.
//!
//! The copy is one `rep movsb` at a known address. A SIGSEGV/SIGBUS
//! handler, installed the first time a copy is asked for, looks at where
//! the fault happened: at that instruction, it moves the program counter
//! to a fix-up that returns "fault" (the caller reports EFAULT, as the
//! kernel would); anywhere else, it hands the signal to whatever handler
//! was there before (or restores the default action, so the program dies
//! exactly as it would have without us).
//!
//! The handler is only trusted while it is known to be installed: it is
//! checked after installing, and an application that sets its own SIGSEGV
//! or SIGBUS handler afterwards (`sigaction`/`signal` are interposed and
//! call `replaced()`) turns the fast copy off for the rest of the process;
//! `abi::mem` then copies with process_vm_readv/writev as before.
//! `SCTPUDP_FAULT_HANDLER=0` never installs it. Only x86-64 Linux has the
//! fast copy; elsewhere `copy` always answers None. (A thread that blocks
//! SIGSEGV and passes a bad pointer dies, as it would faulting itself:
//! the kernel does not deliver a blocked fault signal. A handler set
//! through a raw rt_sigaction system call or the legacy sigset,
//! sysv_signal and bsd_signal goes unnoticed: a bad pointer then meets
//! that handler, as the program's own bad access would.)
//!
//! Why: process_vm_readv/writev pins the pages and costs about 1 us a call
//! on the development machine, once or more per message on both sides of
//! the data path (a quarter of all CPU time at 100-byte messages).

use std::os::raw::{c_int, c_void};
use std::sync::atomic::{AtomicU8, Ordering};

/// 0: not tried; 3: installing; 1: installed and trusted; 2: off.
static STATE: AtomicU8 = AtomicU8::new(0);

/// The application set its own SIGSEGV/SIGBUS handler. Before ours is
/// installed that changes nothing (ours will hand other faults to it);
/// after, ours can no longer be trusted to be the one that runs.
pub fn replaced() {
    let _ =
        STATE.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |s| (s == 1 || s == 3).then_some(2));
}

/// Copies `n` bytes from `src` to `dst`, one of which is application
/// memory. Some(true): copied; Some(false): a fault (EFAULT); None: no
/// fast copy here, use the system call.
///
/// # Safety
/// The side of the copy that is ours must be valid for `n` bytes; the
/// application's side may be anything.
pub unsafe fn copy(dst: *mut u8, src: *const u8, n: usize) -> Option<bool> {
    if n == 0 {
        return Some(true);
    }
    if !ready() {
        return None;
    }
    // SAFETY: the caller's promise, passed on.
    unsafe { imp::copy(dst, src, n) }
}

/// Whether `copy` works here (installing the handler if need be).
pub fn available() -> bool {
    ready()
}

fn ready() -> bool {
    match STATE.load(Ordering::Acquire) {
        1 => true,
        2 => false,
        0 => {
            if STATE.compare_exchange(0, 3, Ordering::AcqRel, Ordering::Acquire).is_err() {
                return false; // another thread is installing: not yet
            }
            let ok = std::env::var_os("SCTPUDP_FAULT_HANDLER").is_none_or(|v| v != "0")
                && imp::install();
            // A `replaced()` meanwhile wins. (An application handler set
            // by another thread between our reading the old one and
            // setting ours is lost: a race with its own start-up that
            // only a program installing handlers while it already talks
            // SCTP on another thread can hit.)
            let _ = STATE.compare_exchange(
                3,
                if ok { 1 } else { 2 },
                Ordering::AcqRel,
                Ordering::Acquire,
            );
            STATE.load(Ordering::Acquire) == 1
        }
        _ => false,
    }
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod imp {
    use super::*;
    use std::sync::OnceLock;

    // rdi = destination, rsi = source, rdx = length; eax = 0, or 1 after a
    // fault (the handler resumes at the fix-up). The direction flag is
    // clear on entry, as the ABI guarantees.
    std::arch::global_asm!(
        ".pushsection .text.sctpudp_guarded_copy,\"ax\",@progbits",
        ".p2align 4",
        ".globl sctpudp_guarded_copy",
        ".hidden sctpudp_guarded_copy",
        ".type sctpudp_guarded_copy,@function",
        "sctpudp_guarded_copy:",
        "mov rcx, rdx",
        ".globl sctpudp_guarded_copy_insn",
        ".hidden sctpudp_guarded_copy_insn",
        "sctpudp_guarded_copy_insn:",
        "rep movsb",
        "xor eax, eax",
        "ret",
        ".globl sctpudp_guarded_copy_fixup",
        ".hidden sctpudp_guarded_copy_fixup",
        "sctpudp_guarded_copy_fixup:",
        "mov eax, 1",
        "ret",
        ".size sctpudp_guarded_copy, .-sctpudp_guarded_copy",
        ".popsection",
    );

    extern "C" {
        fn sctpudp_guarded_copy(dst: *mut u8, src: *const u8, n: usize) -> u32;
        static sctpudp_guarded_copy_insn: u8;
        static sctpudp_guarded_copy_fixup: u8;
    }

    fn insn() -> usize {
        // Only the address of the label is taken, never its bytes.
        std::ptr::addr_of!(sctpudp_guarded_copy_insn) as usize
    }

    fn fixup() -> usize {
        std::ptr::addr_of!(sctpudp_guarded_copy_fixup) as usize
    }

    pub unsafe fn copy(dst: *mut u8, src: *const u8, n: usize) -> Option<bool> {
        // SAFETY: the caller vouches for our side; a fault on the
        // application's side resumes at the fix-up, which returns 1.
        Some(unsafe { sctpudp_guarded_copy(dst, src, n) } == 0)
    }

    /// `BUS_MCEERR_AO` (asm-generic/siginfo.h): a memory error reported
    /// in passing, not raised by the instruction.
    const BUS_MCEERR_AO: c_int = 5;

    /// What SIGSEGV (0) and SIGBUS (1) did before us.
    static OLD: [OnceLock<libc::sigaction>; 2] = [OnceLock::new(), OnceLock::new()];

    /// The real sigaction (not our interposed one, which would count our
    /// own handler as the application's).
    fn sa(sig: c_int, act: *const libc::sigaction, old: *mut libc::sigaction) -> c_int {
        crate::preload::next_sigaction(sig, act, old)
    }

    fn handler() -> usize {
        on_fault as *const () as usize
    }

    pub fn install() -> bool {
        for (i, sig) in [libc::SIGSEGV, libc::SIGBUS].into_iter().enumerate() {
            // SAFETY: zeroed sigaction structs are valid; the calls read
            // and write only the structs passed.
            unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                if sa(sig, std::ptr::null(), &mut old) != 0 {
                    return false;
                }
                if old.sa_sigaction == handler() {
                    continue;
                }
                let _ = OLD[i].set(old);
                let mut new: libc::sigaction = std::mem::zeroed();
                new.sa_sigaction = handler();
                new.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_RESTART;
                libc::sigemptyset(&mut new.sa_mask);
                if sa(sig, &new, std::ptr::null_mut()) != 0 {
                    return false;
                }
                // Someone (a sanitizer's interceptor, say) may have said
                // yes without doing it.
                let mut now: libc::sigaction = std::mem::zeroed();
                if sa(sig, std::ptr::null(), &mut now) != 0 || now.sa_sigaction != handler() {
                    return false;
                }
            }
        }
        true
    }

    extern "C" fn on_fault(sig: c_int, info: *mut libc::siginfo_t, ctx: *mut c_void) {
        let uc = ctx as *mut libc::ucontext_t;
        // Only a fault the instruction itself raised: not a signal sent
        // with kill() or sigqueue() (si_code <= 0) that happens to land
        // while it runs, nor a machine check reported in passing.
        // SAFETY: with SA_SIGINFO the kernel passes a valid siginfo.
        let code = if info.is_null() { 0 } else { unsafe { (*info).si_code } };
        let fault = code > 0 && !(sig == libc::SIGBUS && code == BUS_MCEERR_AO);
        if fault && !uc.is_null() {
            // SAFETY: with SA_SIGINFO the kernel passes the interrupted
            // context, which a handler may change before it returns.
            unsafe {
                let pc = &mut (*uc).uc_mcontext.gregs[libc::REG_RIP as usize];
                if *pc as usize == insn() {
                    *pc = fixup() as i64;
                    return;
                }
            }
        }
        chain(sig, info, ctx);
    }

    /// Not our fault: do what would have happened without us.
    fn chain(sig: c_int, info: *mut libc::siginfo_t, ctx: *mut c_void) {
        let old = OLD[usize::from(sig == libc::SIGBUS)].get();
        let h = old.map_or(libc::SIG_DFL, |o| o.sa_sigaction);
        // SAFETY: a plain value read from the siginfo the kernel passed.
        let sent = info.is_null() || unsafe { (*info).si_code } <= 0;
        if h == libc::SIG_DFL || h == libc::SIG_IGN {
            // What was there goes back, and ours is no longer trusted: a
            // fault happens again on return and meets it (an ignored
            // fault signal kills too: the kernel forces the default); a
            // signal sent with kill() is raised again under the default
            // (blocked until this handler returns), or stays ignored.
            // SAFETY: sigaction (libc's own, resolved without dlsym) and
            // raise are async-signal-safe; zeroed is a valid sigaction.
            unsafe {
                let mut d: libc::sigaction = std::mem::zeroed();
                d.sa_sigaction = h;
                crate::preload::__sigaction(sig, &d, std::ptr::null_mut());
                super::replaced();
                if sent && h == libc::SIG_DFL {
                    libc::raise(sig);
                }
            }
            return;
        }
        if old.is_some_and(|o| o.sa_flags & libc::SA_RESETHAND != 0) {
            // A one-shot handler: the default is back once it has run, as
            // the kernel would have made it.
            // SAFETY: as above.
            unsafe {
                let mut d: libc::sigaction = std::mem::zeroed();
                d.sa_sigaction = libc::SIG_DFL;
                crate::preload::__sigaction(sig, &d, std::ptr::null_mut());
            }
            super::replaced();
        }
        let siginfo = old.is_some_and(|o| o.sa_flags & libc::SA_SIGINFO != 0);
        // SAFETY: `h` is the handler the application installed, called
        // the way its flags say it expects.
        unsafe {
            if siginfo {
                let f: extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void) =
                    std::mem::transmute(h);
                f(sig, info, ctx);
            } else {
                let f: extern "C" fn(c_int) = std::mem::transmute(h);
                f(sig);
            }
        }
    }
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
mod imp {
    pub unsafe fn copy(_dst: *mut u8, _src: *const u8, _n: usize) -> Option<bool> {
        None
    }

    pub fn install() -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_and_reports_faults() {
        // The test harness's runtime set its own SIGSEGV handler at start
        // (through our interposed sigaction): ours chains to it.
        STATE.store(0, Ordering::SeqCst);
        let src = [7u8; 300];
        let mut dst = [0u8; 300];
        // SAFETY: both buffers are ours and 300 bytes long.
        let r = unsafe { copy(dst.as_mut_ptr(), src.as_ptr(), 300) };
        if cfg!(all(target_arch = "x86_64", target_os = "linux")) {
            assert!(r.is_some(), "the fast copy is there on x86-64 Linux");
        } else {
            assert!(r.is_none());
            return;
        }
        assert_eq!(r, Some(true));
        assert_eq!(dst, src);
        // An inaccessible page: a fault, reported, not a crash. (PROT_NONE
        // rather than munmap: another test thread could map the freed
        // address in between, and the copy would then succeed.)
        // SAFETY: mmap/mprotect of a fresh anonymous page.
        let p = unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(p, libc::MAP_FAILED);
            assert_eq!(libc::mprotect(p, 4096, libc::PROT_NONE), 0);
            p as *mut u8
        };
        // SAFETY: `dst` is ours; `p` is deliberately inaccessible.
        assert_eq!(unsafe { copy(dst.as_mut_ptr(), p, 10) }, Some(false));
        // SAFETY: as above, the other way.
        assert_eq!(unsafe { copy(p, src.as_ptr(), 10) }, Some(false));
        // SAFETY: a read-only page written to.
        let ro = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            ) as *mut u8
        };
        // SAFETY: `ro` is mapped read-only: the write faults.
        assert_eq!(unsafe { copy(ro, src.as_ptr(), 10) }, Some(false));
        // SAFETY: reading it is fine.
        assert_eq!(unsafe { copy(dst.as_mut_ptr(), ro, 10) }, Some(true));
        assert_eq!(&dst[..10], &[0u8; 10]);
    }
}
