//! The library's own heap.
//!
//! sctpudp runs inside other people's programs. If its allocations came
//! from the program's `malloc`, loading it would change what that
//! `malloc` returns: memory the program reads before writing (a bug, but
//! one that goes unnoticed on a fresh heap, as lksctp-tools'
//! `test_1_to_1_connectx` does with a `malloc`ed `sockaddr` it expects to
//! be all zero) would hold our freed data instead, and an allocator the
//! program interposes would see our traffic. So every Rust allocation in
//! the library comes from dlmalloc over its own `mmap`ed segments, behind
//! its own lock, which `pthread_atfork` handlers hold across `fork()` so
//! that a child can allocate whatever the other threads were doing. The
//! library also avoids the libc calls that allocate behind its back
//! (`posix_spawn_file_actions_*`, `opendir`, `getaddrinfo`, stdio).
//!
//! Memory handed to C for C to `free()` (`sctp_getpaddrs`) still comes
//! from libc's `malloc`, as lksctp's does.
//!
//! The host stack's own program (`sctpudpd`) is nobody's guest: it calls
//! [`use_system`] from a constructor, before anything is allocated, and
//! gets libc's allocator with its per-thread arenas.

use std::alloc::System;
use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

/// The library's global allocator.
pub struct PrivateHeap;

static FORK_SAFE: AtomicBool = AtomicBool::new(false);
/// 0: undecided, 1: this heap, 2: libc's. Fixed at the first allocation.
static MODE: AtomicU8 = AtomicU8::new(0);

/// Use libc's allocator for the whole process. Only possible before the
/// first allocation; returns whether it took effect.
pub fn use_system() -> bool {
    MODE.compare_exchange(0, 2, Ordering::AcqRel, Ordering::Acquire).is_ok()
        || MODE.load(Ordering::Acquire) == 2
}

#[inline]
fn system() -> bool {
    match MODE.load(Ordering::Relaxed) {
        2 => true,
        1 => false,
        _ => {
            let _ = MODE.compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire);
            MODE.load(Ordering::Acquire) == 2
        }
    }
}

#[inline]
fn ensure_fork_safe() {
    if !FORK_SAFE.load(Ordering::Relaxed) {
        // Registers the allocator's atfork handlers; the function guards
        // against a second registration under the allocator's lock.
        // SAFETY: two threads racing to their first allocation is harmless.
        unsafe { dlmalloc::enable_alloc_after_fork() };
        FORK_SAFE.store(true, Ordering::Relaxed);
    }
}

// Every method forwards to libc's or dlmalloc's GlobalAlloc, chosen once
// for the process before its first allocation; registering the fork
// handlers first does not allocate from this heap.
// SAFETY: so each method upholds the trait's contract.
unsafe impl GlobalAlloc for PrivateHeap {
    // SAFETY: the caller upholds GlobalAlloc's contract (see the impl).
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if system() {
            // SAFETY: the caller's contract is passed on unchanged.
            return unsafe { System.alloc(layout) };
        }
        ensure_fork_safe();
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { dlmalloc::GlobalDlmalloc.alloc(layout) }
    }

    // SAFETY: the caller upholds GlobalAlloc's contract (see the impl).
    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if system() {
            // SAFETY: the mode never changes after the first allocation,
            // so `ptr` came from libc's allocator.
            return unsafe { System.dealloc(ptr, layout) };
        }
        // SAFETY: as above; `ptr` came from this heap.
        unsafe { dlmalloc::GlobalDlmalloc.dealloc(ptr, layout) }
    }

    // SAFETY: the caller upholds GlobalAlloc's contract (see the impl).
    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if system() {
            // SAFETY: the caller's contract is passed on unchanged.
            return unsafe { System.alloc_zeroed(layout) };
        }
        ensure_fork_safe();
        // SAFETY: as above.
        unsafe { dlmalloc::GlobalDlmalloc.alloc_zeroed(layout) }
    }

    // SAFETY: the caller upholds GlobalAlloc's contract (see the impl).
    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if system() {
            // SAFETY: as in dealloc.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        // SAFETY: as above; `ptr` came from this heap.
        unsafe { dlmalloc::GlobalDlmalloc.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static HEAP: PrivateHeap = PrivateHeap;
