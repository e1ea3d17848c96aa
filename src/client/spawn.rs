//! Starting the host stack (`sctpudpd`) when no process of the instance
//! runs yet: the first SCTP socket on the host starts it, with no set-up
//! step. It detaches (its own session, not a child of the application)
//! and reports on a pipe whether it could bind its UDP port.

use crate::log::{log, Level};
use crate::sys;
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int};

/// Where the stack's program is: `SCTPUDP_DAEMON`, else next to this
/// library (`LIBDIR/../libexec/sctpudp/sctpudpd`, `LIBDIR/sctpudpd`),
/// else where `make install` put it.
fn daemon_path() -> Option<CString> {
    if let Some(p) = std::env::var_os("SCTPUDP_DAEMON") {
        return CString::new(p.into_encoded_bytes()).ok();
    }
    let mut candidates = Vec::new();
    // SAFETY: dladdr only reads the address of one of our own functions
    // and fills `info`; dli_fname points into the loader's tables.
    let lib = unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        let f: fn() -> Option<CString> = daemon_path;
        if libc::dladdr(f as *const libc::c_void, &mut info) != 0 && !info.dli_fname.is_null() {
            Some(CStr::from_ptr(info.dli_fname).to_string_lossy().into_owned())
        } else {
            None
        }
    };
    if let Some(lib) = lib {
        // Beside the library as loaded, and beside what its symbolic link
        // names (std's canonicalize is realpath(3), which would allocate
        // on the application's heap: see src/heap.rs).
        let lib = std::path::PathBuf::from(lib);
        let mut dirs: Vec<std::path::PathBuf> =
            lib.parent().map(|d| d.to_path_buf()).into_iter().collect();
        let mut at = lib.clone();
        for _ in 0..8 {
            let Ok(to) = std::fs::read_link(&at) else { break };
            at = match at.parent() {
                Some(d) if to.is_relative() => d.join(to),
                _ => to,
            };
            if let Some(d) = at.parent() {
                dirs.push(d.to_path_buf());
            }
        }
        for dir in dirs {
            candidates.push(dir.join("../libexec/sctpudp/sctpudpd"));
            candidates.push(dir.join("sctpudpd"));
        }
    }
    if let Some(d) = option_env!("SCTPUDP_LIBEXECDIR") {
        candidates.push(std::path::Path::new(d).join("sctpudpd"));
    }
    candidates.push("/usr/local/libexec/sctpudp/sctpudpd".into());
    candidates.push("/usr/libexec/sctpudp/sctpudpd".into());
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .and_then(|p| CString::new(p.into_os_string().into_encoded_bytes()).ok())
}

/// Starts the stack for `instance` on UDP port `port` and waits (at most
/// 10 s) for it to say whether it runs. Ok also when another process won
/// the race to start it.
pub fn start(instance: &str, port: u16) -> Result<(), c_int> {
    let Some(path) = daemon_path() else {
        log(
            Level::Error,
            "cannot find sctpudpd (the host stack program); set SCTPUDP_DAEMON to its path",
        );
        return Err(libc::ENOENT);
    };
    let (rd, wr) = pipe()?;
    let args: Vec<CString> = [
        path.to_bytes().to_vec(),
        b"--instance".to_vec(),
        instance.as_bytes().to_vec(),
        b"--port".to_vec(),
        port.to_string().into_bytes(),
        b"--status-fd".to_vec(),
        wr.to_string().into_bytes(),
    ]
    .into_iter()
    .filter_map(|a| CString::new(a).ok())
    .collect();
    // Its environment: ours, without LD_PRELOAD (the stack needs no
    // interposition).
    let env: Vec<CString> = std::env::vars_os()
        .filter(|(k, _)| k != "LD_PRELOAD")
        .filter_map(|(k, v)| {
            let mut b = k.into_encoded_bytes();
            b.push(b'=');
            b.extend(v.into_encoded_bytes());
            CString::new(b).ok()
        })
        .collect();
    let argv: Vec<*mut c_char> = args
        .iter()
        .map(|a| a.as_ptr() as *mut c_char)
        .chain(std::iter::once(std::ptr::null_mut()))
        .collect();
    let envp: Vec<*mut c_char> = env
        .iter()
        .map(|a| a.as_ptr() as *mut c_char)
        .chain(std::iter::once(std::ptr::null_mut()))
        .collect();
    let mut pid: libc::pid_t = 0;
    // No file actions: glibc builds them with its malloc, which would leave
    // freed chunks on the application's heap (see src/heap.rs). The
    // status pipe's write end is inherited instead (its number is in
    // argv) and the stack points its own stdio at /dev/null.
    // SAFETY: posix_spawn with attributes built and destroyed here;
    // argv/envp are NULL-terminated arrays of live C strings.
    let r = unsafe {
        let mut attr: libc::posix_spawnattr_t = std::mem::zeroed();
        libc::posix_spawnattr_init(&mut attr);
        // Default signal handling and an empty mask, whatever ours are.
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::posix_spawnattr_setsigdefault(&mut attr, &all);
        libc::posix_spawnattr_setsigmask(&mut attr, &none);
        libc::posix_spawnattr_setflags(
            &mut attr,
            (libc::POSIX_SPAWN_SETSIGDEF
                | libc::POSIX_SPAWN_SETSIGMASK
                | libc::POSIX_SPAWN_SETSID as i32) as _,
        );
        let r = libc::posix_spawn(
            &mut pid,
            path.as_ptr(),
            std::ptr::null(),
            &attr,
            argv.as_ptr(),
            envp.as_ptr(),
        );
        libc::posix_spawnattr_destroy(&mut attr);
        r
    };
    let _ = sys::close(wr);
    if r != 0 {
        let _ = sys::close(rd);
        log(Level::Error, &format!("cannot start {}: errno {r}", path.to_string_lossy()));
        return Err(r);
    }
    // The program forks and its first process exits at once: reap it
    // (unless the application reaped it first).
    let status = read_status(rd);
    let _ = sys::close(rd);
    // SAFETY: waitpid on the child we spawned; no pointer but a local int.
    unsafe {
        let mut st: c_int = 0;
        libc::waitpid(pid, &mut st, 0);
    }
    match status.as_deref().map(str::trim) {
        Some(s) if s.starts_with("ok") || s == "exists" => Ok(()),
        Some(s) => {
            // "err ERRNO MESSAGE"
            let mut it = s.splitn(3, ' ');
            let _ = it.next();
            let e = it.next().and_then(|x| x.parse().ok()).filter(|e| *e > 0).unwrap_or(libc::EIO);
            log(Level::Error, &format!("host stack {instance:?}: {}", it.next().unwrap_or(s)));
            Err(e)
        }
        None => {
            log(Level::Error, &format!("host stack {instance:?} did not start"));
            Err(libc::EIO)
        }
    }
}

fn pipe() -> Result<(c_int, c_int), c_int> {
    let mut fds = [0 as c_int; 2];
    // SAFETY: `fds` has room for the two descriptors.
    let r = unsafe { libc::syscall(libc::SYS_pipe2, fds.as_mut_ptr(), libc::O_CLOEXEC) };
    if r < 0 {
        return Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EMFILE));
    }
    // The write end goes to the stack across exec. (A program that execs
    // from another thread in this instant inherits it too; the stack's
    // status line still arrives, only end-of-file would be late.)
    // SAFETY: F_SETFD on a descriptor just made; a raw system call, so
    // it does not go through this library's own fcntl.
    unsafe { libc::syscall(libc::SYS_fcntl, fds[1], libc::F_SETFD, 0) };
    Ok((fds[0], fds[1]))
}

/// Reads the stack's one status line (10 s at most).
fn read_status(fd: c_int) -> Option<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut out = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return None;
        }
        let mut p = [libc::pollfd { fd, events: libc::POLLIN, revents: 0 }];
        match sys::poll(&mut p, left.as_millis() as i64) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
            Err(_) => return None,
        }
        let mut b = [0u8; 256];
        match sys::read(fd, &mut b) {
            Ok(0) => break,
            Ok(n) => {
                out.extend_from_slice(&b[..n]);
                if out.contains(&b'\n') {
                    break;
                }
            }
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
            Err(_) => break,
        }
    }
    (!out.is_empty()).then(|| String::from_utf8_lossy(&out).into_owned())
}
