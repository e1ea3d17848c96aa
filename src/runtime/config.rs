//! Process-wide configuration, read once when the stack starts: from the
//! environment (for LD_PRELOAD users) and from `sctpudp_*` calls made
//! before the first SCTP socket (for relinked programs).

use std::sync::atomic::{AtomicI32, AtomicU8, Ordering};

/// Log levels of `SCTPUDP_LOG`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    Off = 0,
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
}

/// -1: not set by a call (use the environment or the default).
static UDP_PORT: AtomicI32 = AtomicI32::new(-1);
static REMOTE_UDP_PORT: AtomicI32 = AtomicI32::new(-1);
/// 255: not set yet.
static LOG: AtomicU8 = AtomicU8::new(255);

/// The RFC 6951 port, used unless configured otherwise.
pub const DEFAULT_PORT: u16 = 9899;

/// Sets the local UDP encapsulation port (0: ephemeral). Takes effect if
/// called before the first SCTP socket.
pub fn set_udp_port(port: u16) {
    UDP_PORT.store(i32::from(port), Ordering::Relaxed);
}

/// Sets the default remote UDP encapsulation port of new associations.
pub fn set_remote_udp_port(port: u16) {
    REMOTE_UDP_PORT.store(i32::from(port), Ordering::Relaxed);
}

pub fn set_log_level(l: Level) {
    LOG.store(l as u8, Ordering::Relaxed);
}

fn env_port(name: &str) -> Result<Option<u16>, String> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse::<u16>()
            .map(Some)
            .map_err(|_| format!("{name}={v:?} is not a port number")),
        Err(_) => Ok(None),
    }
}

/// The local port: (port, explicitly configured).
pub fn udp_port() -> Result<(u16, bool), String> {
    let v = UDP_PORT.load(Ordering::Relaxed);
    if v >= 0 {
        return Ok((v as u16, true));
    }
    Ok(match env_port("SCTPUDP_UDP_PORT")? {
        Some(p) => (p, true),
        None => (DEFAULT_PORT, false),
    })
}

pub fn remote_udp_port() -> u16 {
    let v = REMOTE_UDP_PORT.load(Ordering::Relaxed);
    if v >= 0 {
        return v as u16;
    }
    match env_port("SCTPUDP_REMOTE_UDP_PORT") {
        Ok(Some(p)) => p,
        Ok(None) => DEFAULT_PORT,
        Err(e) => {
            log(Level::Warn, &format!("{e}; using {DEFAULT_PORT}"));
            DEFAULT_PORT
        }
    }
}

pub fn log_level() -> Level {
    let v = LOG.load(Ordering::Relaxed);
    if v != 255 {
        return match v {
            0 => Level::Off,
            1 => Level::Error,
            2 => Level::Warn,
            3 => Level::Info,
            _ => Level::Debug,
        };
    }
    let l = match std::env::var("SCTPUDP_LOG").as_deref().map(str::trim) {
        Ok("off") | Ok("0") => Level::Off,
        Ok("error") => Level::Error,
        Ok("info") => Level::Info,
        Ok("debug") => Level::Debug,
        _ => Level::Warn,
    };
    LOG.store(l as u8, Ordering::Relaxed);
    l
}

/// Writes one line to stderr if `level` is enabled. Goes straight to the
/// kernel so it never re-enters the library's own `write`.
pub fn log(level: Level, msg: &str) {
    if level > log_level() || level == Level::Off {
        return;
    }
    let tag = match level {
        Level::Error => "error",
        Level::Warn => "warn",
        Level::Info => "info",
        _ => "debug",
    };
    let line = format!("sctpudp[{}] {tag}: {msg}\n", std::process::id());
    let _ = crate::sys::write(2, line.as_bytes());
}

macro_rules! debug {
    ($($t:tt)*) => {
        if $crate::runtime::config::log_level() >= $crate::runtime::config::Level::Debug {
            $crate::runtime::config::log($crate::runtime::config::Level::Debug, &format!($($t)*));
        }
    };
}
pub(crate) use debug;
