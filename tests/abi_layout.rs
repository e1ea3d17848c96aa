//! The C ABI types of `src/abi/types.rs` against the system's SCTP headers.
//!
//! Three checks, each a chain link:
//!
//! 1. `rust_facts_cover_every_definition`: every struct, union, field, type
//!    alias, constant and `const fn` in `src/abi/types.rs` appears in the
//!    facts this test prints (so nothing defined goes unchecked).
//! 2. `layout_matches_system_headers`: `c-tests/abi_layout.c`, compiled
//!    against `<netinet/sctp.h>`, prints the same facts from C; the two sets
//!    must be equal (sizes, alignments, every field's offset, size and
//!    signedness, every constant's value).
//! 3. `system_headers_fully_covered`: every struct, union, member, typedef,
//!    enumerator and macro that the system headers define is among the facts
//!    (so a definition missing from both the Rust and the C lists, or one a
//!    newer header adds, is noticed).
//!
//! Checks 2 and 3 need `cc` and `/usr/include/netinet/sctp.h` (Debian:
//! `libsctp-dev`). Without them they fail, unless `SCTPUDP_SKIP_ABI_C=1`.

use core::mem::{align_of, offset_of, size_of};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use libc::sockaddr_storage;
use sctpudp::abi::types::*;

// ---------------------------------------------------------------------------
// The Rust facts
// ---------------------------------------------------------------------------

/// What the C program prints about a field's type: integer signedness, and
/// for (flexible) arrays the element's size and signedness.
trait Kind {
    const SIGN: &'static str = "-";
    const ELEM: Option<(usize, &'static str)> = None;
}

macro_rules! int_kind {
    ($($t:ty => $s:literal),* $(,)?) => {
        $(impl Kind for $t { const SIGN: &'static str = $s; })*
    };
}
int_kind!(i8 => "s", i16 => "s", i32 => "s", i64 => "s", u8 => "u", u16 => "u", u32 => "u", u64 => "u");

impl<E: Kind, const N: usize> Kind for [E; N] {
    const ELEM: Option<(usize, &'static str)> = Some((size_of::<E>(), E::SIGN));
}
impl<T> Kind for *mut T {}
impl Kind for sockaddr_storage {}

fn type_facts<T>(out: &mut Vec<String>, name: &str) {
    out.push(format!("sizeof {name} {}", size_of::<T>()));
    out.push(format!("alignof {name} {}", align_of::<T>()));
}

/// `probe` is never called: it only names the field's type.
fn field_facts<T, F: Kind>(
    out: &mut Vec<String>,
    ty: &str,
    field: &str,
    offset: usize,
    _probe: fn(&T) -> F,
) {
    out.push(format!("offsetof {ty}.{field} {offset}"));
    out.push(format!("fieldsize {ty}.{field} {}", size_of::<F>()));
    out.push(format!("fieldsign {ty}.{field} {}", F::SIGN));
    if let Some((size, sign)) = F::ELEM {
        out.push(format!("fieldelem {ty}.{field} {size} {sign}"));
    }
}

fn scalar_facts<T: Kind>(out: &mut Vec<String>, name: &str) {
    type_facts::<T>(out, name);
    out.push(format!("typesign {name} {}", T::SIGN));
}

/// `struct NAME { fields }`, `union NAME { fields }`, or
/// `alias NAME { fields }` for a type alias of a type listed elsewhere.
macro_rules! abi_layout {
    ($($kind:ident $T:ident { $($f:ident),* $(,)? })*) => {
        $(abi_layout!(@impl $kind $T);)*
        fn rust_type_facts(out: &mut Vec<String>) {
            $(
                type_facts::<$T>(out, stringify!($T));
                $(abi_layout!(@field out $kind $T $f);)*
            )*
        }
    };
    (@impl alias $T:ident) => {};
    (@impl $kind:ident $T:ident) => { impl Kind for $T {} };
    (@field $out:ident union $T:ident $f:ident) => {
        // SAFETY: the closure is never called; it only names the type.
        field_facts($out, stringify!($T), stringify!($f), offset_of!($T, $f),
            |s: &$T| unsafe { s.$f });
    };
    (@field $out:ident $kind:ident $T:ident $f:ident) => {
        field_facts($out, stringify!($T), stringify!($f), offset_of!($T, $f),
            |s: &$T| s.$f);
    };
}

abi_layout! {
    // ancillary data
    struct sctp_initmsg {
        sinit_num_ostreams, sinit_max_instreams, sinit_max_attempts, sinit_max_init_timeo,
    }
    struct sctp_sndrcvinfo {
        sinfo_stream, sinfo_ssn, sinfo_flags, sinfo_ppid, sinfo_context, sinfo_timetolive,
        sinfo_tsn, sinfo_cumtsn, sinfo_assoc_id,
    }
    struct sctp_sndinfo { snd_sid, snd_flags, snd_ppid, snd_context, snd_assoc_id }
    struct sctp_rcvinfo {
        rcv_sid, rcv_ssn, rcv_flags, rcv_ppid, rcv_tsn, rcv_cumtsn, rcv_context, rcv_assoc_id,
    }
    struct sctp_nxtinfo { nxt_sid, nxt_flags, nxt_ppid, nxt_length, nxt_assoc_id }
    struct sctp_prinfo { pr_policy, pr_value }
    struct sctp_authinfo { auth_keynumber }
    union sctp_cmsg_data_t { raw, init, sndrcv }

    // notifications
    struct sctp_assoc_change {
        sac_type, sac_flags, sac_length, sac_state, sac_error, sac_outbound_streams,
        sac_inbound_streams, sac_assoc_id, sac_info,
    }
    struct sctp_paddr_change {
        spc_type, spc_flags, spc_length, spc_aaddr, spc_state, spc_error, spc_assoc_id,
    }
    struct sctp_remote_error {
        sre_type, sre_flags, sre_length, sre_error, sre_assoc_id, sre_data,
    }
    struct sctp_send_failed {
        ssf_type, ssf_flags, ssf_length, ssf_error, ssf_info, ssf_assoc_id, ssf_data,
    }
    struct sctp_send_failed_event {
        ssf_type, ssf_flags, ssf_length, ssf_error, ssfe_info, ssf_assoc_id, ssf_data,
    }
    struct sctp_shutdown_event { sse_type, sse_flags, sse_length, sse_assoc_id }
    struct sctp_adaptation_event {
        sai_type, sai_flags, sai_length, sai_adaptation_ind, sai_assoc_id,
    }
    struct sctp_pdapi_event {
        pdapi_type, pdapi_flags, pdapi_length, pdapi_indication, pdapi_assoc_id,
        pdapi_stream, pdapi_seq,
    }
    struct sctp_authkey_event {
        auth_type, auth_flags, auth_length, auth_keynumber, auth_altkeynumber,
        auth_indication, auth_assoc_id,
    }
    struct sctp_sender_dry_event {
        sender_dry_type, sender_dry_flags, sender_dry_length, sender_dry_assoc_id,
    }
    struct sctp_stream_reset_event {
        strreset_type, strreset_flags, strreset_length, strreset_assoc_id,
        strreset_stream_list,
    }
    struct sctp_assoc_reset_event {
        assocreset_type, assocreset_flags, assocreset_length, assocreset_assoc_id,
        assocreset_local_tsn, assocreset_remote_tsn,
    }
    struct sctp_stream_change_event {
        strchange_type, strchange_flags, strchange_length, strchange_assoc_id,
        strchange_instrms, strchange_outstrms,
    }
    struct sctp_event_subscribe {
        sctp_data_io_event, sctp_association_event, sctp_address_event,
        sctp_send_failure_event, sctp_peer_error_event, sctp_shutdown_event,
        sctp_partial_delivery_event, sctp_adaptation_layer_event, sctp_authentication_event,
        sctp_sender_dry_event, sctp_stream_reset_event, sctp_assoc_reset_event,
        sctp_stream_change_event, sctp_send_failure_event_event,
    }
    struct sctp_tlv { sn_type, sn_flags, sn_length }
    union sctp_notification {
        sn_header, sn_assoc_change, sn_paddr_change, sn_remote_error, sn_send_failed,
        sn_shutdown_event, sn_adaptation_event, sn_pdapi_event, sn_authkey_event,
        sn_sender_dry_event, sn_strreset_event, sn_assocreset_event, sn_strchange_event,
        sn_send_failed_event,
    }

    // socket option arguments
    struct sctp_rtoinfo { srto_assoc_id, srto_initial, srto_max, srto_min }
    struct sctp_assocparams {
        sasoc_assoc_id, sasoc_asocmaxrxt, sasoc_number_peer_destinations, sasoc_peer_rwnd,
        sasoc_local_rwnd, sasoc_cookie_life,
    }
    struct sctp_setpeerprim { sspp_assoc_id, sspp_addr }
    struct sctp_prim { ssp_assoc_id, ssp_addr }
    alias sctp_setprim { ssp_assoc_id, ssp_addr }
    struct sctp_setadaptation { ssb_adaptation_ind }
    struct sctp_paddrparams {
        spp_assoc_id, spp_address, spp_hbinterval, spp_pathmaxrxt, spp_pathmtu,
        spp_sackdelay, spp_flags, spp_ipv6_flowlabel, spp_dscp,
    }
    struct sctp_authchunk { sauth_chunk }
    struct sctp_hmacalgo { shmac_num_idents, shmac_idents }
    struct sctp_authkey { sca_assoc_id, sca_keynumber, sca_keylength, sca_key }
    struct sctp_authkeyid { scact_assoc_id, scact_keynumber }
    struct sctp_sack_info { sack_assoc_id, sack_delay, sack_freq }
    struct sctp_assoc_value { assoc_id, assoc_value }
    struct sctp_stream_value { assoc_id, stream_id, stream_value }
    struct sctp_paddrinfo {
        spinfo_assoc_id, spinfo_address, spinfo_state, spinfo_cwnd, spinfo_srtt,
        spinfo_rto, spinfo_mtu,
    }
    struct sctp_status {
        sstat_assoc_id, sstat_state, sstat_rwnd, sstat_unackdata, sstat_penddata,
        sstat_instrms, sstat_outstrms, sstat_fragmentation_point, sstat_primary,
    }
    struct sctp_authchunks { gauth_assoc_id, gauth_number_of_chunks, gauth_chunks }
    struct sctp_assoc_ids { gaids_number_of_ids, gaids_assoc_id }
    struct sctp_getaddrs_old { assoc_id, addr_num, addrs }
    struct sctp_getaddrs { assoc_id, addr_num, addrs }
    struct sctp_assoc_stats {
        sas_assoc_id, sas_obs_rto_ipaddr, sas_maxrto, sas_isacks, sas_osacks, sas_opackets,
        sas_ipackets, sas_rtxchunks, sas_outofseqtsns, sas_idupchunks, sas_gapcnt,
        sas_ouodchunks, sas_iuodchunks, sas_oodchunks, sas_iodchunks, sas_octrlchunks,
        sas_ictrlchunks,
    }
    struct sctp_peeloff_arg_t { associd, sd }
    struct sctp_peeloff_flags_arg_t { p_arg, flags }
    struct sctp_paddrthlds { spt_assoc_id, spt_address, spt_pathmaxrxt, spt_pathpfthld }
    struct sctp_paddrthlds_v2 {
        spt_assoc_id, spt_address, spt_pathmaxrxt, spt_pathpfthld, spt_pathcpthld,
    }
    struct sctp_prstatus {
        sprstat_assoc_id, sprstat_sid, sprstat_policy, sprstat_abandoned_unsent,
        sprstat_abandoned_sent,
    }
    struct sctp_default_prinfo { pr_assoc_id, pr_value, pr_policy }
    struct sctp_info {
        sctpi_tag, sctpi_state, sctpi_rwnd, sctpi_unackdata, sctpi_penddata, sctpi_instrms,
        sctpi_outstrms, sctpi_fragmentation_point, sctpi_inqueue, sctpi_outqueue,
        sctpi_overall_error, sctpi_max_burst, sctpi_maxseg, sctpi_peer_rwnd, sctpi_peer_tag,
        sctpi_peer_capable, sctpi_peer_sack, __reserved1,
        sctpi_isacks, sctpi_osacks, sctpi_opackets, sctpi_ipackets, sctpi_rtxchunks,
        sctpi_outofseqtsns, sctpi_idupchunks, sctpi_gapcnt, sctpi_ouodchunks,
        sctpi_iuodchunks, sctpi_oodchunks, sctpi_iodchunks, sctpi_octrlchunks,
        sctpi_ictrlchunks,
        sctpi_p_address, sctpi_p_state, sctpi_p_cwnd, sctpi_p_srtt, sctpi_p_rto,
        sctpi_p_hbinterval, sctpi_p_pathmaxrxt, sctpi_p_sackdelay, sctpi_p_sackfreq,
        sctpi_p_ssthresh, sctpi_p_partial_bytes_acked, sctpi_p_flight_size, sctpi_p_error,
        __reserved2,
        sctpi_s_autoclose, sctpi_s_adaptation_ind, sctpi_s_pd_point, sctpi_s_nodelay,
        sctpi_s_disable_fragments, sctpi_s_v4mapped, sctpi_s_frag_interleave, sctpi_s_type,
        __reserved3,
    }
    struct sctp_reset_streams { srs_assoc_id, srs_flags, srs_number_streams, srs_stream_list }
    struct sctp_add_streams { sas_assoc_id, sas_instrms, sas_outstrms }
    struct sctp_event { se_assoc_id, se_type, se_on }
    struct sctp_udpencaps { sue_assoc_id, sue_address, sue_port }
    struct sctp_probeinterval { spi_assoc_id, spi_address, spi_interval }

    // netinet/sctp.h
    struct sctp_sendv_spa { sendv_flags, sendv_sndinfo, sendv_prinfo, sendv_authinfo }
    struct sctp_recvv_rn { recvv_rcvinfo, recvv_nxtinfo }
}

macro_rules! consts {
    ($out:ident; $($name:ident),* $(,)?) => {
        $($out.push(format!("const {} {}", stringify!($name), $name as i128));)*
    };
}

fn rust_const_facts(out: &mut Vec<String>) {
    consts!(out;
        // level and protocol
        SOL_SCTP, IPPROTO_SCTP,
        // special association ids
        SCTP_FUTURE_ASSOC, SCTP_CURRENT_ASSOC, SCTP_ALL_ASSOC,
        // socket options
        SCTP_RTOINFO, SCTP_ASSOCINFO, SCTP_INITMSG, SCTP_NODELAY, SCTP_AUTOCLOSE,
        SCTP_SET_PEER_PRIMARY_ADDR, SCTP_PRIMARY_ADDR, SCTP_ADAPTATION_LAYER,
        SCTP_DISABLE_FRAGMENTS, SCTP_PEER_ADDR_PARAMS, SCTP_DEFAULT_SEND_PARAM, SCTP_EVENTS,
        SCTP_I_WANT_MAPPED_V4_ADDR, SCTP_MAXSEG, SCTP_STATUS, SCTP_GET_PEER_ADDR_INFO,
        SCTP_DELAYED_ACK_TIME, SCTP_DELAYED_ACK, SCTP_DELAYED_SACK, SCTP_CONTEXT,
        SCTP_FRAGMENT_INTERLEAVE, SCTP_PARTIAL_DELIVERY_POINT, SCTP_MAX_BURST,
        SCTP_AUTH_CHUNK, SCTP_HMAC_IDENT, SCTP_AUTH_KEY, SCTP_AUTH_ACTIVE_KEY,
        SCTP_AUTH_DELETE_KEY, SCTP_PEER_AUTH_CHUNKS, SCTP_LOCAL_AUTH_CHUNKS,
        SCTP_GET_ASSOC_NUMBER, SCTP_GET_ASSOC_ID_LIST, SCTP_AUTO_ASCONF,
        SCTP_PEER_ADDR_THLDS, SCTP_RECVRCVINFO, SCTP_RECVNXTINFO, SCTP_DEFAULT_SNDINFO,
        SCTP_AUTH_DEACTIVATE_KEY, SCTP_REUSE_PORT, SCTP_PEER_ADDR_THLDS_V2,
        SCTP_SOCKOPT_BINDX_ADD, SCTP_SOCKOPT_BINDX_REM, SCTP_SOCKOPT_PEELOFF,
        SCTP_SOCKOPT_CONNECTX_OLD, SCTP_GET_PEER_ADDRS, SCTP_GET_LOCAL_ADDRS,
        SCTP_SOCKOPT_CONNECTX, SCTP_SOCKOPT_CONNECTX3, SCTP_GET_ASSOC_STATS,
        SCTP_PR_SUPPORTED, SCTP_DEFAULT_PRINFO, SCTP_PR_ASSOC_STATUS, SCTP_PR_STREAM_STATUS,
        SCTP_RECONFIG_SUPPORTED, SCTP_ENABLE_STREAM_RESET, SCTP_RESET_STREAMS,
        SCTP_RESET_ASSOC, SCTP_ADD_STREAMS, SCTP_SOCKOPT_PEELOFF_FLAGS,
        SCTP_STREAM_SCHEDULER, SCTP_STREAM_SCHEDULER_VALUE, SCTP_INTERLEAVING_SUPPORTED,
        SCTP_SENDMSG_CONNECT, SCTP_EVENT, SCTP_ASCONF_SUPPORTED, SCTP_AUTH_SUPPORTED,
        SCTP_ECN_SUPPORTED, SCTP_EXPOSE_POTENTIALLY_FAILED_STATE, SCTP_EXPOSE_PF_STATE,
        SCTP_REMOTE_UDP_ENCAPS_PORT, SCTP_PLPMTUD_PROBE_INTERVAL,
        // PR-SCTP policies
        SCTP_PR_SCTP_NONE, SCTP_PR_SCTP_TTL, SCTP_PR_SCTP_RTX, SCTP_PR_SCTP_PRIO,
        SCTP_PR_SCTP_MAX, SCTP_PR_SCTP_MASK,
        // stream reconfiguration
        SCTP_ENABLE_RESET_STREAM_REQ, SCTP_ENABLE_RESET_ASSOC_REQ,
        SCTP_ENABLE_CHANGE_ASSOC_REQ, SCTP_ENABLE_STRRESET_MASK,
        SCTP_STREAM_RESET_INCOMING, SCTP_STREAM_RESET_OUTGOING,
        // msg_flags, sinfo_flags
        MSG_NOTIFICATION,
        SCTP_UNORDERED, SCTP_ADDR_OVER, SCTP_ABORT, SCTP_SACK_IMMEDIATELY, SCTP_SENDALL,
        SCTP_PR_SCTP_ALL, SCTP_NOTIFICATION, SCTP_EOF,
        // cmsg types
        SCTP_INIT, SCTP_SNDRCV, SCTP_SNDINFO, SCTP_RCVINFO, SCTP_NXTINFO, SCTP_PRINFO,
        SCTP_AUTHINFO, SCTP_DSTADDRV4, SCTP_DSTADDRV6,
        // notification types
        SCTP_SN_TYPE_BASE, SCTP_DATA_IO_EVENT, SCTP_ASSOC_CHANGE, SCTP_PEER_ADDR_CHANGE,
        SCTP_SEND_FAILED, SCTP_REMOTE_ERROR, SCTP_SHUTDOWN_EVENT,
        SCTP_PARTIAL_DELIVERY_EVENT, SCTP_ADAPTATION_INDICATION, SCTP_AUTHENTICATION_EVENT,
        SCTP_AUTHENTICATION_INDICATION, SCTP_SENDER_DRY_EVENT, SCTP_STREAM_RESET_EVENT,
        SCTP_ASSOC_RESET_EVENT, SCTP_STREAM_CHANGE_EVENT, SCTP_SEND_FAILED_EVENT,
        SCTP_SN_TYPE_MAX,
        // notification field values
        SCTP_COMM_UP, SCTP_COMM_LOST, SCTP_RESTART, SCTP_SHUTDOWN_COMP, SCTP_CANT_STR_ASSOC,
        SCTP_ADDR_AVAILABLE, SCTP_ADDR_UNREACHABLE, SCTP_ADDR_REMOVED, SCTP_ADDR_ADDED,
        SCTP_ADDR_MADE_PRIM, SCTP_ADDR_CONFIRMED, SCTP_ADDR_POTENTIALLY_FAILED, SCTP_ADDR_PF,
        SCTP_DATA_UNSENT, SCTP_DATA_SENT, SCTP_PARTIAL_DELIVERY_ABORTED,
        SCTP_AUTH_NEW_KEY, SCTP_AUTH_NEWKEY, SCTP_AUTH_FREE_KEY, SCTP_AUTH_NO_AUTH,
        SCTP_STREAM_RESET_INCOMING_SSN, SCTP_STREAM_RESET_OUTGOING_SSN,
        SCTP_STREAM_RESET_DENIED, SCTP_STREAM_RESET_FAILED,
        SCTP_ASSOC_RESET_DENIED, SCTP_ASSOC_RESET_FAILED,
        SCTP_ASSOC_CHANGE_DENIED, SCTP_ASSOC_CHANGE_FAILED,
        SCTP_STREAM_CHANGE_DENIED, SCTP_STREAM_CHANGE_FAILED,
        SCTP_FAILED_THRESHOLD, SCTP_RECEIVED_SACK, SCTP_HEARTBEAT_SUCCESS,
        SCTP_RESPONSE_TO_USER_REQ, SCTP_INTERNAL_ERROR, SCTP_SHUTDOWN_GUARD_EXPIRES,
        SCTP_PEER_FAULTY,
        // spp_flags
        SPP_HB_ENABLE, SPP_HB_DISABLE, SPP_HB, SPP_HB_DEMAND, SPP_PMTUD_ENABLE,
        SPP_PMTUD_DISABLE, SPP_PMTUD, SPP_SACKDELAY_ENABLE, SPP_SACKDELAY_DISABLE,
        SPP_SACKDELAY, SPP_HB_TIME_IS_ZERO, SPP_IPV6_FLOWLABEL, SPP_DSCP,
        // AUTH
        SCTP_AUTH_HMAC_ID_SHA1, SCTP_AUTH_HMAC_ID_SHA256,
        // path and association states
        SCTP_INACTIVE, SCTP_PF, SCTP_POTENTIALLY_FAILED, SCTP_ACTIVE, SCTP_UNCONFIRMED,
        SCTP_UNKNOWN,
        SCTP_EMPTY, SCTP_CLOSED, SCTP_COOKIE_WAIT, SCTP_COOKIE_ECHOED, SCTP_ESTABLISHED,
        SCTP_SHUTDOWN_PENDING, SCTP_SHUTDOWN_SENT, SCTP_SHUTDOWN_RECEIVED,
        SCTP_SHUTDOWN_ACK_SENT,
        // sctp_bindx()
        SCTP_BINDX_ADD_ADDR, SCTP_BINDX_REM_ADDR,
        // stream schedulers
        SCTP_SS_FCFS, SCTP_SS_DEFAULT, SCTP_SS_PRIO, SCTP_SS_RR, SCTP_SS_FC, SCTP_SS_WFQ,
        SCTP_SS_MAX,
        // sctp_sendv() / sctp_recvv()
        SCTP_SENDV_NOINFO, SCTP_SENDV_SNDINFO, SCTP_SENDV_PRINFO, SCTP_SENDV_AUTHINFO,
        SCTP_SENDV_SPA, SCTP_SEND_SNDINFO_VALID, SCTP_SEND_PRINFO_VALID,
        SCTP_SEND_AUTHINFO_VALID, SCTP_RECVV_NOINFO, SCTP_RECVV_RCVINFO,
        SCTP_RECVV_NXTINFO, SCTP_RECVV_RN,
        // feature macros with a value
        HAVE_SCTP_STREAM_RESET_EVENT, HAVE_SCTP_STREAM_RECONFIG, HAVE_SCTP_PEELOFF_FLAGS,
        HAVE_SCTP_PDAPI_EVENT_PDAPI_STREAM, HAVE_SCTP_PDAPI_EVENT_PDAPI_SEQ,
        HAVE_SCTP_SENDV, HAVE_SCTP_AUTH_NO_AUTH, HAVE_SCTP_SPP_IPV6_FLOWLABEL,
        HAVE_SCTP_SPP_DSCP,
    );
}

/// The function-like macros, evaluated at the same arguments as in C.
fn rust_macro_facts(out: &mut Vec<String>) {
    let facts: [(&str, i128); 13] = [
        ("SCTP_PR_INDEX(TTL)", __SCTP_PR_INDEX(SCTP_PR_SCTP_TTL).into()),
        ("SCTP_PR_INDEX(RTX)", __SCTP_PR_INDEX(SCTP_PR_SCTP_RTX).into()),
        ("SCTP_PR_INDEX(PRIO)", __SCTP_PR_INDEX(SCTP_PR_SCTP_PRIO).into()),
        ("__SCTP_PR_INDEX(SCTP_PR_SCTP_NONE)", __SCTP_PR_INDEX(SCTP_PR_SCTP_NONE).into()),
        ("SCTP_PR_POLICY(0xffff)", SCTP_PR_POLICY(0xffff).into()),
        ("SCTP_PR_POLICY(0x0021)", SCTP_PR_POLICY(0x0021).into()),
        ("SCTP_PR_TTL_ENABLED(0x0011)", SCTP_PR_TTL_ENABLED(0x0011).into()),
        ("SCTP_PR_TTL_ENABLED(0x0031)", SCTP_PR_TTL_ENABLED(0x0031).into()),
        ("SCTP_PR_RTX_ENABLED(0x0021)", SCTP_PR_RTX_ENABLED(0x0021).into()),
        ("SCTP_PR_RTX_ENABLED(0x0011)", SCTP_PR_RTX_ENABLED(0x0011).into()),
        ("SCTP_PR_PRIO_ENABLED(0x0031)", SCTP_PR_PRIO_ENABLED(0x0031).into()),
        ("SCTP_PR_PRIO_ENABLED(0x0001)", SCTP_PR_PRIO_ENABLED(0x0001).into()),
        (
            "SCTP_PR_SET_POLICY(0xffff,SCTP_PR_SCTP_RTX)",
            SCTP_PR_SET_POLICY(0xffff, SCTP_PR_SCTP_RTX).into(),
        ),
    ];
    for (expr, value) in facts {
        out.push(format!("macro {expr} {value}"));
    }
}

fn rust_facts() -> Vec<String> {
    let mut out = Vec::new();
    scalar_facts::<sctp_assoc_t>(&mut out, "sctp_assoc_t");
    scalar_facts::<sctp_cmsg_t>(&mut out, "sctp_cmsg_t");
    scalar_facts::<sctp_sn_error_t>(&mut out, "sctp_sn_error_t");
    rust_type_facts(&mut out);
    rust_const_facts(&mut out);
    rust_macro_facts(&mut out);
    out
}

// ---------------------------------------------------------------------------
// Facts as a map
// ---------------------------------------------------------------------------

/// Facts keyed by their first two words (`offsetof sctp_event.se_on`), with
/// the rest of the line as the value. Duplicate keys are an error.
fn to_map(lines: &[String], side: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for line in lines {
        let mut words = line.splitn(3, ' ');
        let (Some(kind), Some(name), Some(value)) = (words.next(), words.next(), words.next())
        else {
            panic!("{side}: malformed fact line {line:?}");
        };
        let key = format!("{kind} {name}");
        if let Some(old) = map.insert(key.clone(), value.to_string()) {
            panic!("{side}: fact {key:?} listed twice ({old} and {value})");
        }
    }
    map
}

/// Definitions that newer uapi headers have and older ones lack or define
/// differently; the C program prints `newer NAME VERSION` for them when the
/// installed header predates VERSION.
const NEWER_THAN_SOME_HEADERS: &[&str] = &["SCTP_SS_FC", "SCTP_SS_WFQ", "SCTP_SS_MAX"];

/// Facts where Rust cannot match C exactly, with both values and why.
const KNOWN_DIFFERENCES: &[(&str, &str, &str, &str)] = &[(
    "alignof sctp_paddrparams",
    "2",
    "4",
    "C has __attribute__((packed, aligned(4))) with u32 fields at offsets 2 mod 4; \
     Rust cannot combine packed and align(4), so packed(2) keeps every offset and the size",
)];

// ---------------------------------------------------------------------------
// Check 1: every Rust definition is among the facts
// ---------------------------------------------------------------------------

/// Names defined in `src/abi/types.rs`: (kind, name, owner) where kind is
/// `type`, `field`, `const` or `fn`, and owner is the struct of a field.
fn rust_definitions() -> Vec<(&'static str, String, String)> {
    let source = include_str!("../src/abi/types.rs");
    let mut defs = Vec::new();
    let mut owner: Option<String> = None;
    for line in source.lines() {
        let line = line.trim();
        let word_after = |prefix: &str| -> Option<String> {
            let rest = line.strip_prefix(prefix)?;
            let name: String =
                rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            (!name.is_empty()).then_some(name)
        };
        if let Some(name) = word_after("pub struct ").or_else(|| word_after("pub union ")) {
            defs.push(("type", name.clone(), String::new()));
            owner = Some(name);
        } else if line == "}" {
            owner = None;
        } else if let Some(name) = word_after("pub type ") {
            defs.push(("type", name, String::new()));
        } else if let Some(name) = word_after("pub const fn ") {
            defs.push(("fn", name, String::new()));
        } else if let Some(name) = word_after("pub const ") {
            defs.push(("const", name, String::new()));
        } else if let (Some(o), Some(name)) = (&owner, word_after("pub ")) {
            defs.push(("field", name, o.clone()));
        }
    }
    defs
}

#[test]
fn rust_facts_cover_every_definition() {
    let facts = to_map(&rust_facts(), "Rust");
    let defs = rust_definitions();
    let mut missing = Vec::new();
    let (mut types, mut fields, mut consts, mut fns) = (0, 0, 0, 0);
    for (kind, name, owner) in &defs {
        let covered = match *kind {
            "type" => {
                types += 1;
                facts.contains_key(&format!("sizeof {name}"))
            }
            "field" => {
                fields += 1;
                facts.contains_key(&format!("offsetof {owner}.{name}"))
            }
            "const" => {
                consts += 1;
                facts.contains_key(&format!("const {name}"))
            }
            _ => {
                fns += 1;
                let prefix = format!("macro {name}(");
                let via_alias = name.strip_prefix("__").map(|n| format!("macro {n}("));
                facts.keys().any(|k| {
                    k.starts_with(&prefix) || via_alias.as_ref().is_some_and(|p| k.starts_with(p))
                })
            }
        };
        if !covered {
            missing
                .push(format!("{kind} {owner}{}{name}", if owner.is_empty() { "" } else { "." }));
        }
    }
    eprintln!(
        "src/abi/types.rs defines {types} types, {fields} fields, {consts} constants and \
         {fns} macro functions; {} facts cover them",
        facts.len()
    );
    assert!(types > 50 && fields > 300 && consts > 200, "the source parser found too little");
    assert!(
        missing.is_empty(),
        "definitions in src/abi/types.rs that tests/abi_layout.rs does not check \
         (add them to the lists in the test and in c-tests/abi_layout.c):\n  {}",
        missing.join("\n  ")
    );
}

// ---------------------------------------------------------------------------
// The C side
// ---------------------------------------------------------------------------

const NETINET_SCTP_H: &str = "/usr/include/netinet/sctp.h";

/// The C compiler command, or `None` when the C checks are to be skipped
/// (only with `SCTPUDP_SKIP_ABI_C=1`); panics otherwise.
fn c_compiler(test: &str) -> Option<Vec<String>> {
    let cc: Vec<String> = std::env::var("CC")
        .unwrap_or_else(|_| "cc".to_string())
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let have_cc = !cc.is_empty()
        && Command::new(&cc[0])
            .args(&cc[1..])
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    // Found on the compiler's include path (normally /usr/include).
    let have_header = have_cc && {
        let probe =
            std::env::temp_dir().join(format!("sctpudp-{test}-probe-{}.c", std::process::id()));
        let ok = std::fs::write(&probe, "#include <netinet/sctp.h>\n").is_ok()
            && Command::new(&cc[0])
                .args(&cc[1..])
                .arg("-E")
                .arg(&probe)
                .output()
                .is_ok_and(|o| o.status.success());
        let _ = std::fs::remove_file(&probe);
        ok
    };
    if have_cc && have_header {
        return Some(cc);
    }
    let why = if !have_cc {
        format!("no working C compiler ({:?})", cc.join(" "))
    } else {
        format!(
            "<netinet/sctp.h> ({NETINET_SCTP_H}) is missing: install lksctp-tools' headers \
             (Debian/Ubuntu: libsctp-dev)"
        )
    };
    let skip = std::env::var("SCTPUDP_SKIP_ABI_C").is_ok_and(|v| v == "1");
    if skip {
        eprintln!(
            "SKIPPED {test}: {why}; the Rust layout is NOT checked against the C headers \
             (SCTPUDP_SKIP_ABI_C=1)"
        );
        None
    } else {
        panic!(
            "{test}: {why}. This check compares src/abi/types.rs with the system SCTP \
             headers and needs both a C compiler and the headers; set SCTPUDP_SKIP_ABI_C=1 \
             to skip it knowingly."
        );
    }
}

/// A scratch directory under the system temp dir, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("sctpudp-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(cmd: &mut Command, what: &str) -> String {
    let output = cmd.output().unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{what} failed ({}):\n{stderr}", output.status);
    if !stderr.trim().is_empty() {
        eprintln!("{what} printed on stderr:\n{stderr}");
    }
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

fn c_facts(cc: &[String], scratch: &Scratch) -> Vec<String> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("c-tests/abi_layout.c");
    let exe = scratch.0.join("abi_layout");
    run(
        Command::new(&cc[0])
            .args(&cc[1..])
            .args(["-std=gnu11", "-Wall", "-Wextra", "-o"])
            .arg(&exe)
            .arg(&source),
        "compiling c-tests/abi_layout.c",
    );
    run(&mut Command::new(&exe), "running c-tests/abi_layout.c")
        .lines()
        .map(str::to_string)
        .collect()
}

// ---------------------------------------------------------------------------
// Check 2: the facts equal those of the system headers
// ---------------------------------------------------------------------------

#[test]
fn layout_matches_system_headers() {
    let Some(cc) = c_compiler("layout_matches_system_headers") else {
        return;
    };
    let scratch = Scratch::new("abi-layout");

    // `newer` lines name constants the installed header predates.
    let (newer, c_lines): (Vec<String>, Vec<String>) =
        c_facts(&cc, &scratch).into_iter().partition(|l| l.starts_with("newer "));
    let mut c = to_map(&c_lines, "C");
    let mut rust = to_map(&rust_facts(), "Rust");
    for line in &newer {
        let name = line.split(' ').nth(1).unwrap_or_default();
        assert!(
            NEWER_THAN_SOME_HEADERS.contains(&name),
            "C reports {name:?} as newer than the installed header, which the test does not \
             expect"
        );
        eprintln!(
            "note: the installed uapi header predates {name} ({line}); its value is not \
             compared"
        );
        rust.remove(&format!("const {name}"));
    }
    let mut diff = Vec::new();
    for &(key, rust_value, c_value, why) in KNOWN_DIFFERENCES {
        let (r, cv) = (rust.remove(key), c.remove(key));
        if (r.as_deref(), cv.as_deref()) != (Some(rust_value), Some(c_value)) {
            let (cv, r) = (cv.as_deref().unwrap_or("missing"), r.as_deref().unwrap_or("missing"));
            diff.push(format!(
                "  {key}: C {cv}, Rust {r}; expected the known difference C {c_value}, \
                 Rust {rust_value} ({why})"
            ));
        }
    }
    for key in c.keys().chain(rust.keys()).collect::<BTreeSet<_>>() {
        match (c.get(key), rust.get(key)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) => diff.push(format!("  {key}: C {a}, Rust {b}")),
            (Some(a), None) => diff.push(format!("  {key}: C {a}, missing in Rust")),
            (None, Some(b)) => diff.push(format!("  {key}: missing in C, Rust {b}")),
            (None, None) => unreachable!(),
        }
    }
    let count = |kind: &str| c.keys().filter(|k| k.starts_with(kind)).count();
    eprintln!(
        "compared {} facts: {} types, {} fields, {} constants, {} macro values",
        c.len(),
        count("sizeof "),
        count("offsetof "),
        count("const "),
        count("macro ")
    );
    assert!(
        diff.is_empty(),
        "src/abi/types.rs differs from the system SCTP headers in {} facts:\n{}",
        diff.len(),
        diff.join("\n")
    );
}

// ---------------------------------------------------------------------------
// Check 3: every definition of the system headers is among the facts
// ---------------------------------------------------------------------------

/// What a header defines: aggregates with their member names, typedef
/// names, enumerators.
#[derive(Default)]
struct HeaderDefs {
    aggregates: BTreeMap<String, Vec<String>>,
    typedefs: BTreeSet<String>,
    enumerators: BTreeSet<String>,
}

fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c.is_ascii_alphanumeric() || c == '_' {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_ascii_alphanumeric() || c == '_' {
                    word.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            tokens.push(word);
        } else {
            tokens.push(c.to_string());
            chars.next();
        }
    }
    tokens
}

fn is_ident(t: &str) -> bool {
    t.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
}

/// Index just past the bracket that closes the one at `open`.
fn skip_group(tokens: &[String], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t.as_str() {
            "{" | "(" | "[" => depth += 1,
            "}" | ")" | "]" => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

/// Member names of the aggregate body `tokens[open]` = `{` .. its `}`.
/// Anonymous nested aggregates are recorded as `<outer>.<member>`.
fn parse_members(tokens: &[String], open: usize, outer: &str, defs: &mut HeaderDefs) -> usize {
    let end = skip_group(tokens, open);
    let mut members = Vec::new();
    let mut i = open + 1;
    let mut decl: Vec<&str> = Vec::new();
    let mut nested: Option<(usize, usize)> = None;
    while i < end - 1 {
        let t = tokens[i].as_str();
        match t {
            "{" => {
                let close = skip_group(tokens, i);
                nested = Some((i, close));
                i = close;
                continue;
            }
            "[" | "(" => {
                i = skip_group(tokens, i);
                continue;
            }
            ";" => {
                if let Some(&name) = decl.iter().rev().find(|t| is_ident(t)) {
                    members.push(name.to_string());
                    if let Some((nested_open, _)) = nested.take() {
                        parse_members(tokens, nested_open, &format!("{outer}.{name}"), defs);
                    }
                }
                decl.clear();
            }
            _ => decl.push(t),
        }
        i += 1;
    }
    defs.aggregates.insert(outer.to_string(), members);
    end
}

fn parse_header(tokens: &[String]) -> HeaderDefs {
    let mut defs = HeaderDefs::default();
    let mut i = 0;
    let mut in_typedef = false;
    let mut depth = 0usize;
    while i < tokens.len() {
        let t = tokens[i].as_str();
        let next = tokens.get(i + 1).map(String::as_str);
        match t {
            "typedef" if depth == 0 => in_typedef = true,
            "struct" | "union" | "enum" => {
                let (name, brace) = match next {
                    Some(n) if is_ident(n) => (Some(n.to_string()), i + 2),
                    _ => (None, i + 1),
                };
                if tokens.get(brace).map(String::as_str) != Some("{") {
                    i += 1;
                    continue;
                }
                let end = if t == "enum" {
                    let end = skip_group(tokens, brace);
                    let mut expect_name = true;
                    let mut nest = 0usize;
                    for tok in &tokens[brace + 1..end - 1] {
                        match tok.as_str() {
                            "(" => nest += 1,
                            ")" => nest -= 1,
                            "," if nest == 0 => expect_name = true,
                            x if expect_name && is_ident(x) => {
                                defs.enumerators.insert(x.to_string());
                                expect_name = false;
                            }
                            _ => {}
                        }
                    }
                    end
                } else {
                    // A typedef'd anonymous aggregate is named after the
                    // closing brace: record it under the typedef name.
                    let end = skip_group(tokens, brace);
                    let typedef_name = tokens
                        .get(end)
                        .filter(|n| in_typedef && name.is_none() && is_ident(n))
                        .cloned();
                    match name.or(typedef_name) {
                        Some(n) => parse_members(tokens, brace, &n, &mut defs),
                        None => end,
                    }
                };
                i = end;
                continue;
            }
            "{" | "(" => depth += 1,
            "}" | ")" => depth = depth.saturating_sub(1),
            ";" if depth == 0 => {
                if in_typedef {
                    if let Some(name) = tokens[..i].iter().rev().find(|t| is_ident(t)) {
                        defs.typedefs.insert(name.clone());
                    }
                }
                in_typedef = false;
            }
            _ => {}
        }
        i += 1;
    }
    defs
}

/// The text of `netinet/sctp.h` and `linux/sctp.h` after preprocessing.
fn preprocessed_sctp_headers(cc: &[String], scratch: &Scratch) -> String {
    let src = scratch.0.join("include_sctp.c");
    std::fs::write(&src, "#include <netinet/sctp.h>\n").expect("write source");
    let text = run(
        Command::new(&cc[0]).args(&cc[1..]).args(["-std=gnu11", "-E"]).arg(&src),
        "preprocessing <netinet/sctp.h>",
    );
    let mut keep = false;
    let mut out = String::new();
    for line in text.lines() {
        if let Some(marker) = line.strip_prefix("# ") {
            keep = marker.contains("/netinet/sctp.h\"") || marker.contains("/linux/sctp.h\"");
        } else if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Macros that `<netinet/sctp.h>` adds to what its own includes define:
/// name, whether function-like, whether it has a body.
fn sctp_macros(cc: &[String], scratch: &Scratch) -> Vec<(String, bool, bool)> {
    let defined = |name: &str, text: &str| -> BTreeMap<String, (bool, bool)> {
        let src = scratch.0.join(name);
        std::fs::write(&src, text).expect("write source");
        run(
            Command::new(&cc[0]).args(&cc[1..]).args(["-std=gnu11", "-dM", "-E"]).arg(&src),
            "listing macros",
        )
        .lines()
        .filter_map(|l| l.strip_prefix("#define "))
        .map(|l| {
            let name: String =
                l.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            let rest = &l[name.len()..];
            (name, (rest.starts_with('('), !rest.trim().is_empty()))
        })
        .collect()
    };
    let base = defined(
        "base.c",
        "#include <stdint.h>\n#include <linux/types.h>\n#include <sys/socket.h>\n\
         #include <linux/socket.h>\n",
    );
    let full = defined("full.c", "#include <netinet/sctp.h>\n");
    full.into_iter()
        .filter(|(name, _)| !base.contains_key(name))
        .map(|(name, (func, body))| (name, func, body))
        .collect()
}

/// Header definitions that deliberately have no fact of their own.
const NOT_IN_RUST: &[(&str, &str)] = &[
    ("shmac_number_of_idents", "field-name alias macro of sctp_hmacalgo.shmac_num_idents"),
    ("guth_number_of_chunks", "field-name alias macro of sctp_authchunks.gauth_number_of_chunks"),
];

#[test]
fn system_headers_fully_covered() {
    let Some(cc) = c_compiler("system_headers_fully_covered") else {
        return;
    };
    let scratch = Scratch::new("abi-headers");
    let facts = to_map(&rust_facts(), "Rust");
    let has = |key: String| facts.contains_key(&key);
    let exempt = |name: &str| NOT_IN_RUST.iter().any(|(n, _)| *n == name);
    let mut missing = Vec::new();

    let defs = parse_header(&tokenize(&preprocessed_sctp_headers(&cc, &scratch)));
    assert!(defs.aggregates.len() > 50, "header parser found too few structs");
    for (name, members) in &defs.aggregates {
        // The anonymous `sn_header` struct is `sctp_tlv` in Rust.
        let name = if name == "sctp_notification.sn_header" { "sctp_tlv" } else { name };
        if !has(format!("sizeof {name}")) {
            missing.push(format!("struct/union {name}"));
        }
        for m in members {
            if !has(format!("offsetof {name}.{m}")) {
                missing.push(format!("member {name}.{m}"));
            }
        }
    }
    for name in &defs.typedefs {
        if !has(format!("sizeof {name}")) {
            missing.push(format!("typedef {name}"));
        }
    }
    for name in &defs.enumerators {
        if !has(format!("const {name}")) {
            missing.push(format!("enumerator {name}"));
        }
    }

    let macros = sctp_macros(&cc, &scratch);
    for (name, func, body) in &macros {
        let guard = name.ends_with("_H") || name.ends_with("_h__");
        let covered = if *func {
            facts.keys().any(|k| k.starts_with(&format!("macro {name}(")))
        } else {
            // Valueless feature macros (HAVE_SCTP, ...) have no Rust form.
            guard
                || !body
                || has(format!("const {name}"))
                || has(format!("sizeof {name}"))
                || exempt(name)
        };
        if !covered {
            missing.push(format!("macro {name}"));
        }
    }
    eprintln!(
        "system headers define {} structs/unions, {} typedefs, {} enumerators, {} macros",
        defs.aggregates.len(),
        defs.typedefs.len(),
        defs.enumerators.len(),
        macros.len()
    );
    assert!(
        missing.is_empty(),
        "definitions in the system SCTP headers that src/abi/types.rs (or the fact lists \
         in tests/abi_layout.rs and c-tests/abi_layout.c) lack:\n  {}",
        missing.join("\n  ")
    );
}
