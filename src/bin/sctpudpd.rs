//! sctpudpd: the host stack. The library starts it on demand (the first
//! SCTP socket of an instance); it serves every process of the host that
//! uses the same instance (UDP port) and exits when idle.
//!
//!   sctpudpd [--instance NAME] [--port N] [--idle-exit SECONDS]
//!            [--status-fd FD] [--foreground]
//!
//! `SCTPUDP_LOG` sets the log level; logs go to `SCTPUDP_DAEMON_LOG` (a
//! file, appended to) or nowhere.

use std::os::raw::c_int;
use std::sync::atomic::Ordering;
use std::time::Duration;

fn usage() -> ! {
    eprintln!("usage: sctpudpd [--instance NAME] [--port N] [--idle-exit SECONDS] [--status-fd FD] [--foreground]");
    std::process::exit(2)
}

/// Before anything allocates: the stack's process uses libc's allocator,
/// not the private heap the library keeps inside applications.
#[cfg(feature = "private-heap")]
#[used]
#[link_section = ".init_array"]
static USE_SYSTEM_HEAP: extern "C" fn() = {
    extern "C" fn f() {
        sctpudp::heap::use_system();
    }
    f
};

fn main() {
    sctpudp::IN_STACK.store(true, Ordering::Relaxed);
    // Messages of up to 64 KiB come and go all the time: keep what glibc
    // would give back to the kernel (and fault in again, page by page, a
    // moment later; 7 % of the stack's time in 64 KiB bulk transfers).
    // SAFETY: mallopt only sets allocator parameters.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 16 << 20);
    }
    let mut port: u16 = 9899;
    let mut instance: Option<String> = None;
    let mut idle =
        std::env::var("SCTPUDP_IDLE_EXIT").ok().and_then(|v| v.parse().ok()).unwrap_or(10u64);
    let mut status_fd: Option<c_int> = None;
    let mut foreground = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--port" => port = val().parse().unwrap_or_else(|_| usage()),
            "--instance" => instance = Some(val()),
            "--idle-exit" => idle = val().parse().unwrap_or_else(|_| usage()),
            "--status-fd" => status_fd = Some(val().parse().unwrap_or_else(|_| usage())),
            "--foreground" => foreground = true,
            _ => usage(),
        }
    }
    let instance = instance.unwrap_or_else(|| port.to_string());
    // Whatever descriptors the starting program left open (pipes of a
    // shell waiting for end-of-file, sockets) are not the stack's.
    close_inherited(status_fd);
    if !foreground {
        // Detach: the first process exits at once (its parent reaps it);
        // the second leads a session of its own.
        // SAFETY: fork in a single-threaded process; the child continues
        // with ordinary code.
        match unsafe { libc::fork() } {
            -1 => std::process::exit(1),
            0 => {
                // SAFETY: setsid has no preconditions.
                unsafe { libc::setsid() };
            }
            _ => std::process::exit(0),
        }
        redirect_stdio();
        // SAFETY: chdir to a NUL-terminated path; umask takes a mode.
        unsafe {
            libc::chdir(c"/".as_ptr());
        }
    }
    let cfg =
        sctpudp::stack::Config { instance, port, idle_exit: Duration::from_secs(idle), status_fd };
    std::process::exit(sctpudp::stack::run(cfg));
}

/// Closes every descriptor above stderr except `keep`.
fn close_inherited(keep: Option<c_int>) {
    let fds: Vec<c_int> = match std::fs::read_dir("/proc/self/fd") {
        Ok(d) => d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect(),
        Err(_) => (3..1024).collect(),
    };
    for fd in fds {
        if fd > 2 && Some(fd) != keep {
            // SAFETY: closing descriptors this process does not use; the
            // directory iterator's own is already closed.
            unsafe { libc::close(fd) };
        }
    }
}

/// stdin and stdout to /dev/null, stderr to `SCTPUDP_DAEMON_LOG`, else
/// to /dev/null: the stack outlives the program that started it and must
/// not hold or write to its terminal.
fn redirect_stdio() {
    // SAFETY: open a NUL-terminated path; dup2 onto 0 and 1; close ours.
    unsafe {
        let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
        if fd >= 0 {
            libc::dup2(fd, 0);
            libc::dup2(fd, 1);
            libc::close(fd);
        }
    }
    let path = std::env::var("SCTPUDP_DAEMON_LOG").unwrap_or_else(|_| "/dev/null".into());
    let Ok(c) = std::ffi::CString::new(path) else { return };
    // SAFETY: open a NUL-terminated path; dup2 onto stderr; close ours.
    unsafe {
        let fd = libc::open(
            c.as_ptr(),
            libc::O_WRONLY | libc::O_CREAT | libc::O_APPEND | libc::O_CLOEXEC,
            0o644,
        );
        if fd >= 0 {
            libc::dup2(fd, 2);
            libc::close(fd);
        }
    }
}
