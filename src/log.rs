//! Logging to stderr, for the library and the host stack alike:
//! `SCTPUDP_LOG` (or `sctpudp_set_log_level`) sets the level.

use std::sync::atomic::{AtomicU8, Ordering};

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

/// 255: not set yet.
static LOG: AtomicU8 = AtomicU8::new(255);

pub fn set_log_level(l: Level) {
    LOG.store(l as u8, Ordering::Relaxed);
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
        if $crate::log::log_level() >= $crate::log::Level::Debug {
            $crate::log::log($crate::log::Level::Debug, &format!($($t)*));
        }
    };
}
pub(crate) use debug;
