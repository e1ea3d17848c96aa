//! Parameters of INIT and INIT ACK (RFC 9260 3.3.2, 3.3.3; RFC 3758 3.1;
//! RFC 5061 4.2.6, 4.2.7; RFC 4820 4).

use bytes::Bytes;
use std::net::IpAddr;

pub const PARAM_HEARTBEAT_INFO: u16 = 1;
pub const PARAM_IPV4: u16 = 5;
pub const PARAM_IPV6: u16 = 6;
pub const PARAM_STATE_COOKIE: u16 = 7;
pub const PARAM_UNRECOGNIZED: u16 = 8;
pub const PARAM_COOKIE_PRESERVATIVE: u16 = 9;
pub const PARAM_HOST_NAME: u16 = 11;
pub const PARAM_SUPPORTED_ADDR_TYPES: u16 = 12;
pub const PARAM_ECN: u16 = 0x8000;
pub const PARAM_PAD: u16 = 0x8005;
pub const PARAM_SUPPORTED_EXT: u16 = 0x8008;
pub const PARAM_FORWARD_TSN_SUPPORTED: u16 = 0xC000;
pub const PARAM_ADAPTATION: u16 = 0xC006;

/// The optional/variable parameters of an INIT or INIT ACK, decoded.
///
/// Parsing (RFC 9260 3.2.1): known parameters fill their field (a
/// malformed known parameter, e.g. an IPv4 address whose length is not 8,
/// makes the whole chunk fail to parse with `Error::Invalid`). Unknown
/// parameters follow the upper two bits of their type: `00` stop
/// processing the remaining parameters; `01` stop and report; `10` skip;
/// `11` skip and report. "Report" appends the whole parameter TLV (header
/// + value, without padding) to `unrecognized`. PAD (0x8005) and ECN
/// (0x8000) are skipped silently.
///
/// Emission writes, in this order and only when set: every address in
/// `addrs`, the cookie, the cookie preservative, the supported address
/// types, Forward-TSN-Supported, the adaptation indication, the supported
/// extensions, and each entry of `unrecognized` wrapped in an
/// "Unrecognized Parameter" (type 8) parameter (only meaningful in an INIT
/// ACK). `host_name` and `unrecognized_reported` are parse-only.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct InitParams {
    /// IPv4 (type 5) and IPv6 (type 6) address parameters, in order.
    pub addrs: Vec<IpAddr>,
    /// State Cookie (type 7) value; mandatory in INIT ACK.
    pub cookie: Option<Bytes>,
    /// Cookie Preservative (type 9): suggested life-span increment, ms.
    pub cookie_preservative: Option<u32>,
    /// A Host Name Address (type 11) was present (RFC 9260 3.3.2.1.4: the
    /// receiver MUST ABORT with "Unresolvable Address").
    pub host_name: bool,
    /// Supported Address Types (type 12): the listed address types.
    pub supported_addr_types: Option<Vec<u16>>,
    /// Forward-TSN-Supported (0xC000) was present.
    pub forward_tsn_supported: bool,
    /// Adaptation Layer Indication (0xC006) value.
    pub adaptation_indication: Option<u32>,
    /// Supported Extensions (0x8008): the chunk types listed.
    pub supported_extensions: Option<Bytes>,
    /// Parse: unknown parameters whose type asks to be reported, each the
    /// whole TLV. Emit: wrapped into type 8 parameters.
    pub unrecognized: Vec<Bytes>,
    /// Parse only: values of "Unrecognized Parameter" (type 8) parameters
    /// found in an INIT ACK (the peer's report of what it did not know).
    pub unrecognized_reported: Vec<Bytes>,
}
