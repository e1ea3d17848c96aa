//! What `sctpudp-stat` shows: every socket and association of the host
//! stack, as a table or as JSON.

use super::runtime::Stack;
use super::sock::{Socket, Style};
use crate::proto::assoc::{AssocId, AssocState, Association, PathState};
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

/// The command name of process `pid` (`/proc/PID/comm`), or "?".
fn comm(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "?".into())
}

fn state_name(s: AssocState) -> &'static str {
    match s {
        AssocState::Closed => "CLOSED",
        AssocState::CookieWait => "COOKIE_WAIT",
        AssocState::CookieEchoed => "COOKIE_ECHOED",
        AssocState::Established => "ESTABLISHED",
        AssocState::ShutdownPending => "SHUTDOWN_PENDING",
        AssocState::ShutdownSent => "SHUTDOWN_SENT",
        AssocState::ShutdownReceived => "SHUTDOWN_RECEIVED",
        AssocState::ShutdownAckSent => "SHUTDOWN_ACK_SENT",
    }
}

fn path_state(s: PathState) -> &'static str {
    match s {
        PathState::Active => "ACTIVE",
        PathState::Inactive => "INACTIVE",
    }
}

/// JSON string literal.
fn js(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

struct AssocView {
    id: u32,
    sock: u64,
    pid: i32,
    cmd: String,
    state: &'static str,
    lport: u16,
    pport: u16,
    laddrs: Vec<String>,
    paths: Vec<PathView>,
    ostreams: u16,
    istreams: u16,
    peer_rwnd: u32,
    local_rwnd: u32,
    unacked: usize,
    pending: usize,
    primary: String,
    stats: crate::proto::assoc::AssocStats,
}

struct PathView {
    addr: String,
    encap_port: u16,
    state: &'static str,
    cwnd: u32,
    ssthresh: u32,
    srtt_ms: f64,
    rto_ms: u128,
    errors: u32,
    mtu: u32,
    flight: u32,
}

fn view(id: AssocId, a: &Association, owner: Option<&Socket>) -> AssocView {
    let (sock, pid) = owner.map(|s| (s.id, s.creator.0)).unwrap_or((0, 0));
    AssocView {
        id: id.0,
        sock,
        pid,
        cmd: if pid > 0 { comm(pid) } else { "-".into() },
        state: state_name(a.state()),
        lport: a.local_port(),
        pport: a.peer_port(),
        laddrs: a.local_addrs().iter().map(|x| x.to_string()).collect(),
        paths: a
            .paths()
            .iter()
            .map(|p| PathView {
                addr: p.addr.to_string(),
                encap_port: p.encap_port,
                state: path_state(p.state),
                cwnd: p.cwnd,
                ssthresh: p.ssthresh,
                srtt_ms: p.srtt_us as f64 / 1000.0,
                rto_ms: p.rto.as_millis(),
                errors: p.error_count,
                mtu: p.mtu,
                flight: p.flight_size,
            })
            .collect(),
        ostreams: a.outbound_streams(),
        istreams: a.inbound_streams(),
        peer_rwnd: a.peer_rwnd(),
        local_rwnd: a.local_rwnd(),
        unacked: a.unacked_chunks(),
        pending: a.pending_chunks(),
        primary: a.primary_addr().map(|x| x.to_string()).unwrap_or_default(),
        stats: a.stats(),
    }
}

/// The table (or JSON document) of the stack's sockets and associations.
pub fn render(stack: &Stack, socks: &HashMap<u64, Arc<Socket>>, json: bool) -> String {
    // Which socket owns which association.
    let mut owner: HashMap<u32, &Socket> = HashMap::new();
    for s in socks.values() {
        let g = s.inner.lock();
        for id in g.assocs.keys().chain(g.accept_q.iter()) {
            owner.insert(id.0, s);
        }
    }
    let mut ids = stack.assoc_ids();
    ids.sort_by_key(|i| i.0);
    let assocs: Vec<AssocView> = ids
        .iter()
        .filter_map(|id| stack.inspect(*id, |a| view(*id, a, owner.get(&id.0).copied())))
        .collect();
    let mut listeners: Vec<Listener> = socks
        .values()
        .filter_map(|s| {
            let g = s.inner.lock();
            g.listening.then(|| {
                let style = if s.style == Style::OneToOne { "one-to-one" } else { "one-to-many" };
                let addrs = if g.laddrs.is_empty() {
                    vec!["*".to_string()]
                } else {
                    g.laddrs.iter().map(|a| a.to_string()).collect()
                };
                (s.id, s.creator.0, comm(s.creator.0), style, g.lport, addrs)
            })
        })
        .collect();
    listeners.sort_by_key(|l| l.0);
    if json {
        render_json(stack, &listeners, &assocs)
    } else {
        render_text(stack, &listeners, &assocs)
    }
}

type Listener = (u64, i32, String, &'static str, u16, Vec<String>);

fn render_text(stack: &Stack, listeners: &[Listener], assocs: &[AssocView]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "sctpudp host stack on UDP port {}", stack.udp_port());
    let _ = writeln!(o, "\nListening:");
    let _ = writeln!(
        o,
        "  {:>6} {:>7} {:<16} {:<11} {:>5}  addresses",
        "socket", "pid", "command", "style", "port"
    );
    for (id, pid, cmd, style, port, addrs) in listeners {
        let _ =
            writeln!(o, "  {id:>6} {pid:>7} {cmd:<16} {style:<11} {port:>5}  {}", addrs.join(","));
    }
    let _ = writeln!(o, "\nAssociations:");
    for a in assocs {
        let _ = writeln!(
            o,
            "  assoc {} socket {} pid {} ({}) {} local {}:{} peer port {} primary {}",
            a.id,
            a.sock,
            a.pid,
            a.cmd,
            a.state,
            if a.laddrs.is_empty() { "*".to_string() } else { a.laddrs.join(",") },
            a.lport,
            a.pport,
            a.primary
        );
        let _ = writeln!(
            o,
            "    streams out {} in {}  rwnd peer {} local {}  unacked {} pending {}",
            a.ostreams, a.istreams, a.peer_rwnd, a.local_rwnd, a.unacked, a.pending
        );
        let st = &a.stats;
        let _ = writeln!(
            o,
            "    packets out {} in {}  data out {} in {} dup {}  retransmitted {}  sacks out {} in {}  gap blocks {}",
            st.opackets,
            st.ipackets,
            st.oodchunks + st.ouodchunks,
            st.iodchunks + st.iuodchunks,
            st.idupchunks,
            st.rtxchunks,
            st.osacks,
            st.isacks,
            st.gapcnt
        );
        for p in &a.paths {
            let _ = writeln!(
                o,
                "    path {} udp {} {} cwnd {} ssthresh {} srtt {:.3} ms rto {} ms errors {} mtu {} flight {}",
                p.addr, p.encap_port, p.state, p.cwnd, p.ssthresh, p.srtt_ms, p.rto_ms, p.errors, p.mtu, p.flight
            );
        }
    }
    o
}

fn render_json(stack: &Stack, listeners: &[Listener], assocs: &[AssocView]) -> String {
    let mut o = String::new();
    let _ = write!(o, "{{\"udp_port\":{},\"listeners\":[", stack.udp_port());
    for (i, (id, pid, cmd, style, port, addrs)) in listeners.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        let addrs: Vec<String> = addrs.iter().map(|a| js(a)).collect();
        let _ = write!(
            o,
            "{{\"socket\":{id},\"pid\":{pid},\"command\":{},\"style\":{},\"port\":{port},\"addresses\":[{}]}}",
            js(cmd),
            js(style),
            addrs.join(",")
        );
    }
    o.push_str("],\"associations\":[");
    for (i, a) in assocs.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        let laddrs: Vec<String> = a.laddrs.iter().map(|x| js(x)).collect();
        let _ = write!(
            o,
            "{{\"assoc_id\":{},\"socket\":{},\"pid\":{},\"command\":{},\"state\":{},\"local_port\":{},\"peer_port\":{},\"local_addresses\":[{}],\"primary\":{},\"outbound_streams\":{},\"inbound_streams\":{},\"peer_rwnd\":{},\"local_rwnd\":{},\"unacked\":{},\"pending\":{},\"packets_out\":{},\"packets_in\":{},\"data_chunks_out\":{},\"data_chunks_in\":{},\"dup_chunks_in\":{},\"retransmitted_chunks\":{},\"sacks_out\":{},\"sacks_in\":{},\"gap_blocks\":{},\"paths\":[",
            a.id,
            a.sock,
            a.pid,
            js(&a.cmd),
            js(a.state),
            a.lport,
            a.pport,
            laddrs.join(","),
            js(&a.primary),
            a.ostreams,
            a.istreams,
            a.peer_rwnd,
            a.local_rwnd,
            a.unacked,
            a.pending,
            a.stats.opackets,
            a.stats.ipackets,
            a.stats.oodchunks + a.stats.ouodchunks,
            a.stats.iodchunks + a.stats.iuodchunks,
            a.stats.idupchunks,
            a.stats.rtxchunks,
            a.stats.osacks,
            a.stats.isacks,
            a.stats.gapcnt
        );
        for (j, p) in a.paths.iter().enumerate() {
            if j > 0 {
                o.push(',');
            }
            let _ = write!(
                o,
                "{{\"address\":{},\"udp_port\":{},\"state\":{},\"cwnd\":{},\"ssthresh\":{},\"srtt_ms\":{:.3},\"rto_ms\":{},\"error_count\":{},\"mtu\":{},\"flight_size\":{}}}",
                js(&p.addr),
                p.encap_port,
                js(p.state),
                p.cwnd,
                p.ssthresh,
                p.srtt_ms,
                p.rto_ms,
                p.errors,
                p.mtu,
                p.flight
            );
        }
        o.push_str("]}");
    }
    o.push_str("]}\n");
    o
}
