//! Protocol parameters. Defaults are RFC 9260 section 16 unless noted;
//! where Linux differs and an application would notice, Linux wins and
//! the difference is written here.

use core::time::Duration;

/// Per-association parameters (the socket's `SCTP_RTOINFO`,
/// `SCTP_ASSOCINFO`, `SCTP_INITMSG`, `SCTP_PEER_ADDR_PARAMS`,
/// `SCTP_DELAYED_SACK`, ... map onto these).
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// RTO.Initial (RFC 9260 16: 1 s; Linux: 3 s). We follow the RFC.
    pub rto_initial: Duration,
    /// RTO.Min (1 s).
    pub rto_min: Duration,
    /// RTO.Max (60 s).
    pub rto_max: Duration,
    /// Max.Init.Retransmits (8).
    pub max_init_retransmits: u32,
    /// Association.Max.Retrans (10).
    pub assoc_max_retrans: u32,
    /// Path.Max.Retrans (5).
    pub path_max_retrans: u32,
    /// HB.interval (30 s). ENC-10 section 5 suggests 15 s under UDP
    /// encapsulation for NAT bindings; the runtime may lower it.
    pub hb_interval: Duration,
    /// Whether heartbeats are sent on idle paths.
    pub hb_enabled: bool,
    /// Valid.Cookie.Life (60 s).
    pub valid_cookie_life: Duration,
    /// SACK.Delay (200 ms; must stay <= 500 ms).
    pub sack_delay: Duration,
    /// Packets received before a SACK is sent at once (2).
    pub sack_freq: u32,
    /// Max.Burst (4).
    pub max_burst: u32,
    /// Outbound streams requested in INIT (Linux default 10).
    pub num_ostreams: u16,
    /// Maximum inbound streams accepted (Linux default 10).
    pub max_instreams: u16,
    /// Receive buffer in bytes: the advertised receiver window.
    pub rcvbuf: u32,
    /// IP-level path MTU assumed for every path (1500).
    pub pmtu: u32,
    /// Disable Nagle-like bundling delay (`SCTP_NODELAY`). The core never
    /// delays a send; this is kept for the socket option.
    pub nodelay: bool,
    /// Partial delivery point in bytes (`SCTP_PARTIAL_DELIVERY_POINT`): an
    /// incomplete message at the head of the line starts being delivered
    /// once this much of it is here. 0 (Linux's default): only when the
    /// receive buffer cannot take another full chunk.
    pub pd_point: u32,
    /// Adaptation layer indication to announce, if any.
    pub adaptation_indication: Option<u32>,
    /// `SCTP_MAXSEG`: the largest DATA payload the user allows (0: as the
    /// path MTU allows). Messages are fragmented to the smaller of the two.
    pub max_seg: u32,
    /// `SCTP_AUTOCLOSE`: shut the association down gracefully once no
    /// user data has been sent or received for this long (RFC 6458
    /// 8.1.8). None: never.
    pub autoclose: Option<Duration>,
    /// Whether the peer's SCTP packets are UDP-encapsulated (always, in
    /// this stack; kept to compute the MTU overhead in one place).
    pub udp_encaps: bool,
    /// Offer PR-SCTP (RFC 3758): the Forward-TSN-Supported parameter in
    /// INIT and INIT ACK. Used only when both sides offer it. Default on,
    /// as Linux's `net.sctp.prsctp_enable = 1`.
    pub pr_supported: bool,
    /// Offer user message interleaving (RFC 8260: I-DATA, and
    /// I-FORWARD-TSN with PR-SCTP) in the Supported Extensions parameter.
    /// Used only when both sides offer it. Default off, as Linux's
    /// `net.sctp.intl_enable = 0`.
    pub intl_supported: bool,
    /// Offer stream reconfiguration (RFC 6525: the RE-CONFIG chunk in the
    /// Supported Extensions parameter). Used only when both sides offer
    /// it. Default off, as Linux's `net.sctp.reconf_enable = 0`.
    pub reconf_supported: bool,
    /// Which reconfiguration requests *of the peer* are performed
    /// (`SCTP_ENABLE_STREAM_RESET`, RFC 6525 6.3.1): a bitmask of
    /// `SCTP_ENABLE_RESET_STREAM_REQ` (1: incoming and outgoing SSN
    /// resets), `SCTP_ENABLE_RESET_ASSOC_REQ` (2: SSN/TSN reset) and
    /// `SCTP_ENABLE_CHANGE_ASSOC_REQ` (4: adding streams). Others are
    /// answered "Denied" (RFC 6525 5.2.1). Default 0, as Linux. Our own
    /// requests need no bit (Linux requires the same bits for sending), and
    /// the peer's request that answers one of ours (an Outgoing SSN Reset
    /// for our Incoming one, Add Outgoing Streams for our Add Incoming
    /// Streams) is always performed.
    pub enable_stream_reset: u8,
    /// The stream scheduler of new associations (`SCTP_STREAM_SCHEDULER`
    /// with `SCTP_FUTURE_ASSOC`).
    pub scheduler: crate::proto::assoc::Scheduler,
    /// Whether ICMP reports may lower path MTUs (`SPP_PMTUD_ENABLE`);
    /// off with `SPP_PMTUD_DISABLE`.
    pub pmtud: bool,
    /// Announce ECN Capable in INIT and INIT ACK (RFC 4960 appendix A);
    /// ECN is used when both ends do (`SCTP_ECN_SUPPORTED`; on by
    /// default, as Linux's `net.sctp.ecn_enable` and usrsctp).
    pub ecn_supported: bool,
    /// AUTH (RFC 4895; auth.rs): offer it in INIT and INIT ACK
    /// (`SCTP_AUTH_SUPPORTED`; off by default, as Linux's
    /// `net.sctp.auth_enable`).
    pub auth_supported: bool,
    /// Chunk types accepted only authenticated (`SCTP_AUTH_CHUNK`).
    pub auth_chunks: crate::proto::assoc::auth::ChunkSet,
    /// Our HMAC-ALGO, by preference (`SCTP_HMAC_IDENT`); SHA-1 is always
    /// among them (RFC 4895 6.1).
    pub auth_hmacs: Vec<u16>,
    /// Endpoint-pair shared keys (`SCTP_AUTH_KEY`); key 0, empty, unless
    /// deleted.
    pub auth_keys: Vec<crate::proto::assoc::auth::SharedKey>,
    /// The key used to send (`SCTP_AUTH_ACTIVE_KEY`).
    pub auth_active_key: u16,
    /// ASCONF (RFC 5061; asconf.rs): offer it (`SCTP_ASCONF_SUPPORTED`;
    /// off by default, as Linux's `net.sctp.addip_enable`). Needs AUTH;
    /// ASCONF and ASCONF-ACK are then accepted only authenticated.
    pub asconf_supported: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            rto_initial: Duration::from_secs(1),
            rto_min: Duration::from_secs(1),
            rto_max: Duration::from_secs(60),
            max_init_retransmits: 8,
            assoc_max_retrans: 10,
            path_max_retrans: 5,
            hb_interval: Duration::from_secs(30),
            hb_enabled: true,
            valid_cookie_life: Duration::from_secs(60),
            sack_delay: Duration::from_millis(200),
            sack_freq: 2,
            max_burst: 4,
            num_ostreams: 10,
            max_instreams: 10,
            rcvbuf: 212_992,
            pmtu: 1500,
            nodelay: false,
            pd_point: 0,
            adaptation_indication: None,
            autoclose: None,
            max_seg: 0,
            udp_encaps: true,
            pr_supported: true,
            intl_supported: false,
            reconf_supported: false,
            enable_stream_reset: 0,
            scheduler: crate::proto::assoc::Scheduler::Fcfs,
            pmtud: true,
            ecn_supported: true,
            auth_supported: false,
            auth_chunks: Default::default(),
            // Linux 6.x's default: SHA-1 alone (SCTP_HMAC_IDENT adds SHA-256).
            auth_hmacs: vec![crate::proto::assoc::auth::HMAC_SHA1],
            auth_keys: crate::proto::assoc::auth::default_keys(),
            auth_active_key: 0,
            asconf_supported: false,
        }
    }
}

/// Endpoint-wide parameters.
#[derive(Clone, Debug)]
pub struct EndpointConfig {
    /// Secret key for State Cookie HMAC-SHA-256 (RFC 9260 5.1.3).
    pub cookie_secret: [u8; 32],
    /// Seed for the endpoint's CSPRNG (ChaCha20): verification tags,
    /// initial TSNs, heartbeat nonces. The runtime seeds it from the OS;
    /// tests seed it for determinism.
    pub rng_seed: [u8; 32],
    /// Defaults for associations created by this endpoint (accepted ones).
    pub assoc: Config,
}

impl EndpointConfig {
    /// A configuration with every secret derived from `seed` (tests).
    pub fn seeded(seed: u64) -> Self {
        let mut s = [0u8; 32];
        s[..8].copy_from_slice(&seed.to_le_bytes());
        let mut c = s;
        c[31] = 0xC0;
        EndpointConfig { cookie_secret: c, rng_seed: s, assoc: Config::default() }
    }
}
