//! Access to application memory that never crashes the host program: a
//! NULL or unmapped pointer gives EFAULT, as the kernel would.
//!
//! Copies are made by `guarded::copy`, a plain copy whose faults a signal
//! handler turns into EFAULT (no system call). Where that is off, they go
//! through process_vm_readv/process_vm_writev on our own process, which
//! the kernel answers with EFAULT for bad addresses; where those calls are
//! forbidden too (some seccomp profiles), NULL is still caught and other
//! pointers are used directly.

use std::os::raw::{c_int, c_void};
use std::sync::atomic::{AtomicU8, Ordering};

/// 0: unknown, 1: process_vm_* works, 2: it does not.
static VM_OK: AtomicU8 = AtomicU8::new(0);

fn vm(read: bool, local: *mut c_void, remote: *const c_void, len: usize) -> Result<(), c_int> {
    if len == 0 {
        return Ok(());
    }
    if remote.is_null() {
        return Err(libc::EFAULT);
    }
    let (dst, src) = if read {
        (local as *mut u8, remote as *const u8)
    } else {
        (remote as *mut u8, local as *const u8)
    };
    // SAFETY: `local` is our own buffer of `len` bytes; faults on the
    // application's side come back as `Some(false)`.
    match unsafe { super::guarded::copy(dst, src, len) } {
        Some(true) => return Ok(()),
        Some(false) => return Err(libc::EFAULT),
        None => {}
    }
    if VM_OK.load(Ordering::Relaxed) != 2 {
        let l = libc::iovec { iov_base: local, iov_len: len };
        let r = libc::iovec { iov_base: remote as *mut c_void, iov_len: len };
        let nr = if read { libc::SYS_process_vm_readv } else { libc::SYS_process_vm_writev };
        // SAFETY: both iovecs describe `len` bytes; `local` is our own
        // valid buffer; the kernel validates `remote` and reports EFAULT.
        let n = unsafe {
            libc::syscall(
                nr,
                crate::shm::my_pid() as libc::pid_t,
                &l as *const libc::iovec,
                1usize,
                &r as *const libc::iovec,
                1usize,
                0usize,
            )
        };
        if n == len as libc::c_long {
            VM_OK.store(1, Ordering::Relaxed);
            return Ok(());
        }
        let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EFAULT);
        if n >= 0 || e == libc::EFAULT || e == libc::ESRCH {
            // A partial copy means the range ends in unmapped memory.
            return Err(libc::EFAULT);
        }
        VM_OK.store(2, Ordering::Relaxed);
    }
    // SAFETY: fallback where the kernel cannot check for us: the caller
    // promised `remote` points to `len` bytes (NULL was rejected above).
    unsafe {
        if read {
            std::ptr::copy_nonoverlapping(remote as *const u8, local as *mut u8, len);
        } else {
            std::ptr::copy_nonoverlapping(local as *const u8, remote as *mut u8, len);
        }
    }
    Ok(())
}

/// Copies `len` bytes from application memory at `p` into `out`.
pub fn read_into(p: *const c_void, out: &mut [u8]) -> Result<(), c_int> {
    vm(true, out.as_mut_ptr() as *mut c_void, p, out.len())
}

/// Copies `len` bytes from application memory into a new vector.
pub fn read_vec(p: *const c_void, len: usize) -> Result<Vec<u8>, c_int> {
    let mut v = vec![0u8; len];
    read_into(p, &mut v)?;
    Ok(v)
}

/// Reads a plain C value from application memory.
pub fn read_val<T: Copy>(p: *const T) -> Result<T, c_int> {
    let mut v = std::mem::MaybeUninit::<T>::uninit();
    vm(true, v.as_mut_ptr() as *mut c_void, p as *const c_void, std::mem::size_of::<T>())?;
    // SAFETY: all bytes of `v` were written by the copy above, and the
    // types used here are plain C structs for which any bytes are valid.
    Ok(unsafe { v.assume_init() })
}

/// Copies `data` to application memory at `p`.
pub fn write_bytes(p: *mut c_void, data: &[u8]) -> Result<(), c_int> {
    vm(false, data.as_ptr() as *mut c_void, p as *const c_void, data.len())
}

/// Writes a plain C value to application memory.
pub fn write_val<T: Copy>(p: *mut T, v: &T) -> Result<(), c_int> {
    vm(false, v as *const T as *mut c_void, p as *const c_void, std::mem::size_of::<T>())
}

/// Writes `parts`, concatenated, into the application's `remote` iovecs
/// (filled in order), with one process_vm_writev per 1024 parts.
pub fn write_gather(
    parts: &mut dyn Iterator<Item = &[u8]>,
    remote: &[libc::iovec],
) -> Result<(), c_int> {
    let mut local: Vec<libc::iovec> = Vec::new();
    let mut total = 0usize;
    for p in parts {
        if !p.is_empty() {
            local.push(libc::iovec { iov_base: p.as_ptr() as *mut c_void, iov_len: p.len() });
            total += p.len();
        }
    }
    if total == 0 {
        return Ok(());
    }
    // The remote iovecs, trimmed to `total` bytes.
    let mut rem: Vec<libc::iovec> = Vec::with_capacity(remote.len());
    let mut left = total;
    for r in remote {
        if left == 0 {
            break;
        }
        let n = r.iov_len.min(left);
        if n > 0 {
            if r.iov_base.is_null() {
                return Err(libc::EFAULT);
            }
            rem.push(libc::iovec { iov_base: r.iov_base, iov_len: n });
            left -= n;
        }
    }
    if left != 0 {
        return Err(libc::EFAULT);
    }
    // With the guarded copy, the part-by-part copy below needs no system
    // call; without it, one process_vm_writev does it all.
    if !super::guarded::available()
        && VM_OK.load(Ordering::Relaxed) != 2
        && local.len() <= 1024
        && rem.len() <= 1024
    {
        // SAFETY: `local` points at live slices; the kernel checks `rem`.
        let n = unsafe {
            libc::syscall(
                libc::SYS_process_vm_writev,
                crate::shm::my_pid() as libc::pid_t,
                local.as_ptr(),
                local.len(),
                rem.as_ptr(),
                rem.len(),
                0usize,
            )
        };
        if n == total as libc::c_long {
            VM_OK.store(1, Ordering::Relaxed);
            return Ok(());
        }
        let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EFAULT);
        if n >= 0 || e == libc::EFAULT || e == libc::ESRCH {
            return Err(libc::EFAULT);
        }
        if e != libc::EPERM && e != libc::ENOSYS {
            return Err(e);
        }
    }
    // Part by part (each `write_bytes` a guarded copy, or a system call
    // where that is off and process_vm_writev is refused).
    let mut ri = 0;
    let mut roff = 0;
    for l in &local {
        // SAFETY: `l` describes a live slice from `parts`.
        let mut src = unsafe { std::slice::from_raw_parts(l.iov_base as *const u8, l.iov_len) };
        while !src.is_empty() {
            let r = &rem[ri];
            let n = (r.iov_len - roff).min(src.len());
            // SAFETY: pointer arithmetic inside the application's iovec.
            write_bytes(unsafe { (r.iov_base as *mut u8).add(roff) } as *mut c_void, &src[..n])?;
            src = &src[n..];
            roff += n;
            if roff == r.iov_len {
                ri += 1;
                roff = 0;
            }
        }
    }
    Ok(())
}
