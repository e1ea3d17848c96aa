//! Stream reconfiguration (RFC 6525): the RE-CONFIG chunk's requests and
//! responses, negotiated through the Supported Extensions parameter
//! (5.1.1). Where the RFC leaves a choice, Linux (net/sctp/stream.c)
//! decides: the errors of the user calls, which requests are answered
//! "In progress", and the event flags.

use super::*;

/// `SCTP_ENABLE_STREAM_RESET` bits (RFC 6525 6.3.1) of
/// [`Config::enable_stream_reset`].
pub const SCTP_ENABLE_RESET_STREAM_REQ: u8 = 1;
pub const SCTP_ENABLE_RESET_ASSOC_REQ: u8 = 2;
pub const SCTP_ENABLE_CHANGE_ASSOC_REQ: u8 = 4;

/// Why a reconfiguration call was refused; [`ReconfError::errno`] gives
/// the errno Linux returns for the same case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReconfError {
    /// RE-CONFIG was not negotiated (`ENOPROTOOPT`; RFC 6525 5.1.1).
    NotNegotiated,
    /// A request of ours is still unanswered (`EINPROGRESS`; RFC 6525
    /// 5.1.1: one request in flight at a time).
    InProgress,
    /// A stream number beyond the association's streams, nothing to do,
    /// or more than 65535 streams (`EINVAL`).
    Invalid,
    /// Data of the affected streams is queued or in flight (`EAGAIN`;
    /// RFC 6525 5.1.2 A1 and 5.1.4 C2, as Linux refuses rather than waits).
    Again,
    /// The association is not established (`ENOTCONN`).
    NotConnected,
}

impl ReconfError {
    /// The Linux errno for this error.
    pub fn errno(self) -> i32 {
        match self {
            ReconfError::NotNegotiated => 92, // ENOPROTOOPT
            ReconfError::InProgress => 115,   // EINPROGRESS
            ReconfError::Invalid => 22,       // EINVAL
            ReconfError::Again => 11,         // EAGAIN
            ReconfError::NotConnected => 107, // ENOTCONN
        }
    }
}

impl core::fmt::Display for ReconfError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let s = match self {
            ReconfError::NotNegotiated => "stream reconfiguration not negotiated",
            ReconfError::InProgress => "a reconfiguration request is outstanding",
            ReconfError::Invalid => "invalid reconfiguration request",
            ReconfError::Again => "data of the streams is queued or in flight",
            ReconfError::NotConnected => "association not established",
        };
        f.write_str(s)
    }
}

impl std::error::Error for ReconfError {}

/// Reconfiguration state of an association.
#[derive(Debug, Default)]
#[allow(dead_code)] // used by the requests that follow
pub(super) struct ReconfState {
    /// Next Re-configuration Request Sequence Number we assign (5.1.2
    /// A2); the first is our initial TSN.
    next_req: u32,
    /// The peer's next expected request sequence number (5.2.1).
    peer_next: u32,
}

impl ReconfState {
    /// Request sequence numbers start at each side's initial TSN (RFC
    /// 6525 4.1: "initialized to the same value as the initial TSN").
    pub(super) fn new(local_initial_tsn: u32, peer_initial_tsn: u32) -> Self {
        ReconfState { next_req: local_initial_tsn, peer_next: peer_initial_tsn }
    }
}

impl Association {
    /// Whether stream reconfiguration was negotiated (both sides listed
    /// RE-CONFIG in Supported Extensions, RFC 6525 5.1.1).
    pub fn reconf_enabled(&self) -> bool {
        self.cfg.reconf_supported && self.peer_reconf
    }
}
