//! Notifications in the Linux layouts of `<linux/sctp.h>`, built as bytes
//! field by field (offsets from the `#[repr(C)]` definitions in
//! `abi::types`, which a test checks against the C header).

use crate::abi::types as t;
use crate::proto::assoc::{AssocEvent, LostReason, PathEvent};
use core::mem::{offset_of, size_of};
use std::net::SocketAddr;

fn put16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_ne_bytes());
}
fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_ne_bytes());
}

pub use crate::abi::put_sockaddr;

/// Which notification type an event produces (for subscription checks).
pub fn event_type(ev: &AssocEvent) -> Option<u16> {
    Some(match ev {
        AssocEvent::CommUp { .. }
        | AssocEvent::CommLost(_)
        | AssocEvent::CantStartAssoc(_)
        | AssocEvent::ShutdownComplete => t::SCTP_ASSOC_CHANGE,
        AssocEvent::PeerShutdown => t::SCTP_SHUTDOWN_EVENT,
        AssocEvent::Path { .. } => t::SCTP_PEER_ADDR_CHANGE,
        AssocEvent::SendFailed { .. } => t::SCTP_SEND_FAILED_EVENT,
        AssocEvent::RemoteError { .. } => t::SCTP_REMOTE_ERROR,
        AssocEvent::SenderDry => t::SCTP_SENDER_DRY_EVENT,
        AssocEvent::Adaptation(_) => t::SCTP_ADAPTATION_INDICATION,
        AssocEvent::Streams { .. } => return None,
    })
}

/// Context the notification builder needs beside the event.
#[derive(Clone, Copy)]
pub struct Ctx {
    pub assoc_id: i32,
    pub outbound: u16,
    pub inbound: u16,
    /// Deliver a failed send in the old `sctp_send_failed` layout
    /// (SCTP_SEND_FAILED subscribed) and/or in `sctp_send_failed_event`
    /// (SCTP_SEND_FAILED_EVENT): Linux gives one of each when both are
    /// (sctp_datamsg_destroy).
    pub old_send_failed: bool,
    pub new_send_failed: bool,
    /// The association's fragmentation point: a failed message is
    /// reported one notification per DATA chunk (0: in one piece).
    pub frag_point: usize,
}

/// The notifications for one event. Linux reports a message it could not
/// deliver once per DATA chunk (sctp_ulpevent_make_send_failed for each
/// chunk of the datamsg), each with that chunk's data and its chunk flags
/// (B, E, U) in `sinfo_flags`/`snd_flags`: programs walk them until the
/// one with the last-fragment bit (func_tests test_timetolive).
pub fn build_all(ev: &AssocEvent, ctx: &Ctx, out: &mut dyn FnMut(Vec<u8>)) {
    use crate::proto::wire::chunk::{DATA_FLAG_BEGIN, DATA_FLAG_END};
    if let AssocEvent::SendFailed { sent, stream_id, ppid, context, flags, data } = ev {
        let frag = if ctx.frag_point == 0 { data.len().max(1) } else { ctx.frag_point };
        let n = data.len().div_ceil(frag).max(1);
        let first_is_begin = *flags & DATA_FLAG_BEGIN != 0 || !*sent;
        for i in 0..n {
            let piece = data.slice((i * frag).min(data.len())..((i + 1) * frag).min(data.len()));
            let mut f = *flags & !(DATA_FLAG_BEGIN | DATA_FLAG_END);
            if i == 0 && first_is_begin {
                f |= DATA_FLAG_BEGIN;
            }
            if i == n - 1 {
                f |= *flags & DATA_FLAG_END;
            }
            let one = AssocEvent::SendFailed {
                sent: *sent,
                stream_id: *stream_id,
                ppid: *ppid,
                context: *context,
                flags: f,
                data: piece,
            };
            for old in [true, false] {
                let wanted = if old { ctx.old_send_failed } else { ctx.new_send_failed };
                if !wanted {
                    continue;
                }
                let c = Ctx { old_send_failed: old, new_send_failed: !old, ..*ctx };
                if let Some(b) = build(&one, &c) {
                    out(b);
                }
            }
        }
        return;
    }
    if let Some(b) = build(ev, ctx) {
        out(b);
    }
}

fn lost_error(r: &LostReason) -> u16 {
    match r {
        // The first cause code, as Linux reports it.
        LostReason::PeerAbort(causes) if causes.len() >= 2 => {
            u16::from_be_bytes([causes[0], causes[1]])
        }
        _ => 0,
    }
}

/// SCTP_PARTIAL_DELIVERY_EVENT, SCTP_PARTIAL_DELIVERY_ABORTED: the
/// message on `stream` with sequence `seq` will not be completed.
pub fn pdapi_aborted(assoc_id: i32, stream: u16, seq: u32) -> Vec<u8> {
    let n = size_of::<t::sctp_pdapi_event>();
    let mut b = vec![0u8; n];
    put16(&mut b, offset_of!(t::sctp_pdapi_event, pdapi_type), t::SCTP_PARTIAL_DELIVERY_EVENT);
    put32(&mut b, offset_of!(t::sctp_pdapi_event, pdapi_length), n as u32);
    put32(
        &mut b,
        offset_of!(t::sctp_pdapi_event, pdapi_indication),
        t::SCTP_PARTIAL_DELIVERY_ABORTED,
    );
    put32(&mut b, offset_of!(t::sctp_pdapi_event, pdapi_assoc_id), assoc_id as u32);
    put32(&mut b, offset_of!(t::sctp_pdapi_event, pdapi_stream), u32::from(stream));
    put32(&mut b, offset_of!(t::sctp_pdapi_event, pdapi_seq), seq);
    b
}

/// SCTP_STREAM_RESET_EVENT: streams reset (or a request denied/failed).
pub fn stream_reset(assoc_id: i32, flags: u16, streams: &[u16]) -> Vec<u8> {
    let head = size_of::<t::sctp_stream_reset_event>();
    let n = head + 2 * streams.len();
    let mut b = vec![0u8; n];
    put16(
        &mut b,
        offset_of!(t::sctp_stream_reset_event, strreset_type),
        t::SCTP_STREAM_RESET_EVENT,
    );
    put16(&mut b, offset_of!(t::sctp_stream_reset_event, strreset_flags), flags);
    put32(&mut b, offset_of!(t::sctp_stream_reset_event, strreset_length), n as u32);
    put32(&mut b, offset_of!(t::sctp_stream_reset_event, strreset_assoc_id), assoc_id as u32);
    for (i, sid) in streams.iter().enumerate() {
        put16(&mut b, head + 2 * i, *sid);
    }
    b
}

/// SCTP_ASSOC_RESET_EVENT: both TSNs were reset (RFC 6525 SSN/TSN Reset).
pub fn assoc_reset(assoc_id: i32, flags: u16, local_tsn: u32, remote_tsn: u32) -> Vec<u8> {
    let n = size_of::<t::sctp_assoc_reset_event>();
    let mut b = vec![0u8; n];
    put16(
        &mut b,
        offset_of!(t::sctp_assoc_reset_event, assocreset_type),
        t::SCTP_ASSOC_RESET_EVENT,
    );
    put16(&mut b, offset_of!(t::sctp_assoc_reset_event, assocreset_flags), flags);
    put32(&mut b, offset_of!(t::sctp_assoc_reset_event, assocreset_length), n as u32);
    put32(&mut b, offset_of!(t::sctp_assoc_reset_event, assocreset_assoc_id), assoc_id as u32);
    put32(&mut b, offset_of!(t::sctp_assoc_reset_event, assocreset_local_tsn), local_tsn);
    put32(&mut b, offset_of!(t::sctp_assoc_reset_event, assocreset_remote_tsn), remote_tsn);
    b
}

/// SCTP_STREAM_CHANGE_EVENT: the stream counts changed (Add Streams).
pub fn stream_change(assoc_id: i32, flags: u16, instrms: u16, outstrms: u16) -> Vec<u8> {
    let n = size_of::<t::sctp_stream_change_event>();
    let mut b = vec![0u8; n];
    put16(
        &mut b,
        offset_of!(t::sctp_stream_change_event, strchange_type),
        t::SCTP_STREAM_CHANGE_EVENT,
    );
    put16(&mut b, offset_of!(t::sctp_stream_change_event, strchange_flags), flags);
    put32(&mut b, offset_of!(t::sctp_stream_change_event, strchange_length), n as u32);
    put32(&mut b, offset_of!(t::sctp_stream_change_event, strchange_assoc_id), assoc_id as u32);
    put16(&mut b, offset_of!(t::sctp_stream_change_event, strchange_instrms), instrms);
    put16(&mut b, offset_of!(t::sctp_stream_change_event, strchange_outstrms), outstrms);
    b
}

/// SCTP_AUTHENTICATION_EVENT with `indication` (SCTP_AUTH_NO_AUTH: the
/// association does not use AUTH, as Linux reports after COMM_UP when the
/// peer is not AUTH-capable).
pub fn authkey(assoc_id: i32, keynumber: u16, indication: u32) -> Vec<u8> {
    let n = size_of::<t::sctp_authkey_event>();
    let mut b = vec![0u8; n];
    put16(&mut b, offset_of!(t::sctp_authkey_event, auth_type), t::SCTP_AUTHENTICATION_EVENT);
    put32(&mut b, offset_of!(t::sctp_authkey_event, auth_length), n as u32);
    put16(&mut b, offset_of!(t::sctp_authkey_event, auth_keynumber), keynumber);
    put32(&mut b, offset_of!(t::sctp_authkey_event, auth_indication), indication);
    put32(&mut b, offset_of!(t::sctp_authkey_event, auth_assoc_id), assoc_id as u32);
    b
}

/// Builds the notification for `ev`, or None if it has no user-visible form.
pub fn build(ev: &AssocEvent, ctx: &Ctx) -> Option<Vec<u8>> {
    match ev {
        AssocEvent::CommUp { .. }
        | AssocEvent::CommLost(_)
        | AssocEvent::CantStartAssoc(_)
        | AssocEvent::ShutdownComplete => {
            let (state, error, info): (u16, u16, &[u8]) = match ev {
                AssocEvent::CommUp { restart: false } => (t::SCTP_COMM_UP, 0, &[]),
                AssocEvent::CommUp { restart: true } => (t::SCTP_RESTART, 0, &[]),
                // Linux (sctp_cmd_assoc_failed) puts the ABORT chunk's
                // error causes in sac_info.
                AssocEvent::CommLost(r) => (
                    t::SCTP_COMM_LOST,
                    lost_error(r),
                    match r {
                        LostReason::PeerAbort(causes) => &causes[..],
                        _ => &[],
                    },
                ),
                AssocEvent::CantStartAssoc(r) => (t::SCTP_CANT_STR_ASSOC, lost_error(r), &[]),
                _ => (t::SCTP_SHUTDOWN_COMP, 0, &[]),
            };
            let n = size_of::<t::sctp_assoc_change>() + info.len();
            let mut b = vec![0u8; n];
            put16(&mut b, offset_of!(t::sctp_assoc_change, sac_type), t::SCTP_ASSOC_CHANGE);
            put32(&mut b, offset_of!(t::sctp_assoc_change, sac_length), n as u32);
            put16(&mut b, offset_of!(t::sctp_assoc_change, sac_state), state);
            put16(&mut b, offset_of!(t::sctp_assoc_change, sac_error), error);
            let (o, i) = if matches!(ev, AssocEvent::CommUp { .. }) {
                (ctx.outbound, ctx.inbound)
            } else {
                (0, 0)
            };
            put16(&mut b, offset_of!(t::sctp_assoc_change, sac_outbound_streams), o);
            put16(&mut b, offset_of!(t::sctp_assoc_change, sac_inbound_streams), i);
            put32(&mut b, offset_of!(t::sctp_assoc_change, sac_assoc_id), ctx.assoc_id as u32);
            b[size_of::<t::sctp_assoc_change>()..].copy_from_slice(info);
            Some(b)
        }
        AssocEvent::PeerShutdown => {
            let n = size_of::<t::sctp_shutdown_event>();
            let mut b = vec![0u8; n];
            put16(&mut b, offset_of!(t::sctp_shutdown_event, sse_type), t::SCTP_SHUTDOWN_EVENT);
            put32(&mut b, offset_of!(t::sctp_shutdown_event, sse_length), n as u32);
            put32(&mut b, offset_of!(t::sctp_shutdown_event, sse_assoc_id), ctx.assoc_id as u32);
            Some(b)
        }
        AssocEvent::Path { addr, event, error } => {
            let n = size_of::<t::sctp_paddr_change>();
            let mut b = vec![0u8; n];
            put16(&mut b, offset_of!(t::sctp_paddr_change, spc_type), t::SCTP_PEER_ADDR_CHANGE);
            put32(&mut b, offset_of!(t::sctp_paddr_change, spc_length), n as u32);
            put_sockaddr(
                &mut b,
                offset_of!(t::sctp_paddr_change, spc_aaddr),
                &SocketAddr::new(*addr, 0),
            );
            let st = match event {
                PathEvent::Available => t::SCTP_ADDR_AVAILABLE,
                PathEvent::Unreachable => t::SCTP_ADDR_UNREACHABLE,
                PathEvent::Added => t::SCTP_ADDR_ADDED,
                PathEvent::Removed => t::SCTP_ADDR_REMOVED,
                PathEvent::MadePrimary => t::SCTP_ADDR_MADE_PRIM,
                PathEvent::Confirmed => t::SCTP_ADDR_CONFIRMED,
            };
            put32(&mut b, offset_of!(t::sctp_paddr_change, spc_state), st as u32);
            put32(&mut b, offset_of!(t::sctp_paddr_change, spc_error), *error);
            put32(&mut b, offset_of!(t::sctp_paddr_change, spc_assoc_id), ctx.assoc_id as u32);
            Some(b)
        }
        AssocEvent::RemoteError { cause, data } => {
            let n = size_of::<t::sctp_remote_error>() + data.len();
            let mut b = vec![0u8; n];
            put16(&mut b, offset_of!(t::sctp_remote_error, sre_type), t::SCTP_REMOTE_ERROR);
            put32(&mut b, offset_of!(t::sctp_remote_error, sre_length), n as u32);
            // sre_error is in network byte order on Linux.
            let o = offset_of!(t::sctp_remote_error, sre_error);
            b[o..o + 2].copy_from_slice(&cause.to_be_bytes());
            put32(&mut b, offset_of!(t::sctp_remote_error, sre_assoc_id), ctx.assoc_id as u32);
            b[size_of::<t::sctp_remote_error>()..].copy_from_slice(data);
            Some(b)
        }
        AssocEvent::SendFailed { sent, stream_id, ppid, context, flags, data } => {
            let sflags = if *sent { t::SCTP_DATA_SENT } else { t::SCTP_DATA_UNSENT };
            // The DATA chunk's own flags, as Linux copies chunk_hdr->flags.
            let ufl = u16::from(*flags & 0x07);
            if ctx.old_send_failed {
                let n = size_of::<t::sctp_send_failed>() + data.len();
                let mut b = vec![0u8; n];
                put16(&mut b, offset_of!(t::sctp_send_failed, ssf_type), t::SCTP_SEND_FAILED);
                put16(&mut b, offset_of!(t::sctp_send_failed, ssf_flags), sflags);
                put32(&mut b, offset_of!(t::sctp_send_failed, ssf_length), n as u32);
                let i = offset_of!(t::sctp_send_failed, ssf_info);
                put16(&mut b, i + offset_of!(t::sctp_sndrcvinfo, sinfo_stream), *stream_id);
                put16(&mut b, i + offset_of!(t::sctp_sndrcvinfo, sinfo_flags), ufl);
                put32(
                    &mut b,
                    i + offset_of!(t::sctp_sndrcvinfo, sinfo_ppid),
                    super::ppid_out(*ppid),
                );
                put32(&mut b, i + offset_of!(t::sctp_sndrcvinfo, sinfo_context), *context);
                put32(
                    &mut b,
                    i + offset_of!(t::sctp_sndrcvinfo, sinfo_assoc_id),
                    ctx.assoc_id as u32,
                );
                put32(&mut b, offset_of!(t::sctp_send_failed, ssf_assoc_id), ctx.assoc_id as u32);
                b[size_of::<t::sctp_send_failed>()..].copy_from_slice(data);
                Some(b)
            } else {
                let n = size_of::<t::sctp_send_failed_event>() + data.len();
                let mut b = vec![0u8; n];
                put16(
                    &mut b,
                    offset_of!(t::sctp_send_failed_event, ssf_type),
                    t::SCTP_SEND_FAILED_EVENT,
                );
                put16(&mut b, offset_of!(t::sctp_send_failed_event, ssf_flags), sflags);
                put32(&mut b, offset_of!(t::sctp_send_failed_event, ssf_length), n as u32);
                let i = offset_of!(t::sctp_send_failed_event, ssfe_info);
                put16(&mut b, i + offset_of!(t::sctp_sndinfo, snd_sid), *stream_id);
                put16(&mut b, i + offset_of!(t::sctp_sndinfo, snd_flags), ufl);
                put32(&mut b, i + offset_of!(t::sctp_sndinfo, snd_ppid), super::ppid_out(*ppid));
                put32(&mut b, i + offset_of!(t::sctp_sndinfo, snd_context), *context);
                put32(&mut b, i + offset_of!(t::sctp_sndinfo, snd_assoc_id), ctx.assoc_id as u32);
                put32(
                    &mut b,
                    offset_of!(t::sctp_send_failed_event, ssf_assoc_id),
                    ctx.assoc_id as u32,
                );
                b[size_of::<t::sctp_send_failed_event>()..].copy_from_slice(data);
                Some(b)
            }
        }
        AssocEvent::SenderDry => {
            let n = size_of::<t::sctp_sender_dry_event>();
            let mut b = vec![0u8; n];
            put16(
                &mut b,
                offset_of!(t::sctp_sender_dry_event, sender_dry_type),
                t::SCTP_SENDER_DRY_EVENT,
            );
            put32(&mut b, offset_of!(t::sctp_sender_dry_event, sender_dry_length), n as u32);
            put32(
                &mut b,
                offset_of!(t::sctp_sender_dry_event, sender_dry_assoc_id),
                ctx.assoc_id as u32,
            );
            Some(b)
        }
        AssocEvent::Adaptation(ind) => {
            let n = size_of::<t::sctp_adaptation_event>();
            let mut b = vec![0u8; n];
            put16(
                &mut b,
                offset_of!(t::sctp_adaptation_event, sai_type),
                t::SCTP_ADAPTATION_INDICATION,
            );
            put32(&mut b, offset_of!(t::sctp_adaptation_event, sai_length), n as u32);
            put32(&mut b, offset_of!(t::sctp_adaptation_event, sai_adaptation_ind), *ind);
            put32(&mut b, offset_of!(t::sctp_adaptation_event, sai_assoc_id), ctx.assoc_id as u32);
            Some(b)
        }
        AssocEvent::Streams { .. } => None,
    }
}
