//! The messages between the library (in every application process) and
//! the host stack (`sctpudpd`), both built from this crate.
//!
//! Transport: AF_UNIX `SOCK_SEQPACKET`. Each application thread that
//! makes SCTP calls has a *channel*: a connection to the stack's abstract
//! address [`listen_name`]. A request names the SCTP socket it is about by
//! its id; the first request about a socket on a channel also carries the
//! application's descriptor (`SCM_RIGHTS`), which proves that the caller
//! holds it: the descriptor is the capability, as it is in the kernel.
//!
//! A request is one datagram: [`ReqHead`] then the op's body. A reply is
//! one or more datagrams: [`ReplyHead`] then the body; `more` says a raw
//! continuation datagram follows (large receives). Large sends go as
//! `SendPart` requests (no reply) followed by one `Send`.
//!
//! Everything here is plain safe code: bounds-checked encoding and
//! decoding, with EPROTO for anything malformed (a misbehaving client
//! only ever gets an error).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Version of this protocol; part of every name, so a library and a
/// stack of different versions never talk to each other.
pub const VERSION: u32 = 3;

/// Most payload bytes in one datagram (both directions). Channels get
/// send buffers large enough for this (Linux limits a `SOCK_SEQPACKET`
/// datagram to the sender's `SO_SNDBUF`).
pub const FRAME_MAX: usize = 96 * 1024;

/// The stack's listening address (abstract, so one per network
/// namespace) for `instance`.
pub fn listen_name(instance: &str) -> Vec<u8> {
    format!("\0sctpudp-{VERSION}:{instance}").into_bytes()
}

/// The abstract name bound to the stack's end of a socket's descriptor
/// pair. `getpeername()` on the application's descriptor returns it, so
/// a process can recognise an SCTP descriptor it inherited across
/// `exec` or received with `SCM_RIGHTS`.
pub fn sock_name(instance: &str, boot: u64, id: u64) -> Vec<u8> {
    format!("\0sctpudp-{VERSION}:{instance}/{boot:x}/{id:x}").into_bytes()
}

/// Parses [`sock_name`]: (instance, boot, id).
pub fn parse_sock_name(name: &[u8]) -> Option<(String, u64, u64)> {
    let s = std::str::from_utf8(name.strip_prefix(b"\0")?).ok()?;
    let rest = s.strip_prefix(&format!("sctpudp-{VERSION}:"))?;
    let mut it = rest.rsplitn(3, '/');
    let id = u64::from_str_radix(it.next()?, 16).ok()?;
    let boot = u64::from_str_radix(it.next()?, 16).ok()?;
    let inst = it.next()?;
    if inst.is_empty() || inst.contains('/') {
        return None;
    }
    Some((inst.to_string(), boot, id))
}

pub type Errno = i32;

/// The RFC 6951 port: the default local and remote encapsulation port.
pub const DEFAULT_UDP_PORT: u16 = 9899;

// ----- encoding ---------------------------------------------------------------

/// Appends little-endian fields to a buffer.
#[derive(Default, Debug)]
pub struct W(pub Vec<u8>);

impl W {
    pub fn new() -> Self {
        W(Vec::with_capacity(64))
    }
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.u8(u8::from(v))
    }
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn i32(&mut self, v: i32) -> &mut Self {
        self.u32(v as u32)
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.u64(v as u64)
    }
    /// A length-prefixed byte string.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.u32(b.len() as u32);
        self.0.extend_from_slice(b);
        self
    }
    pub fn addr(&mut self, a: &SocketAddr) -> &mut Self {
        match a.ip() {
            IpAddr::V4(v4) => {
                self.u8(4);
                self.0.extend_from_slice(&v4.octets());
            }
            IpAddr::V6(v6) => {
                self.u8(6);
                self.0.extend_from_slice(&v6.octets());
            }
        }
        self.u16(a.port())
    }
    pub fn opt_addr(&mut self, a: Option<&SocketAddr>) -> &mut Self {
        match a {
            Some(a) => self.u8(1).addr(a),
            None => self.u8(0),
        }
    }
    pub fn addrs(&mut self, v: &[SocketAddr]) -> &mut Self {
        self.u32(v.len() as u32);
        for a in v {
            self.addr(a);
        }
        self
    }
}

/// Reads what [`W`] wrote; every read is bounds-checked (EPROTO).
pub struct R<'a> {
    b: &'a [u8],
    off: usize,
}

const EPROTO: Errno = libc::EPROTO;

impl<'a> R<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        R { b, off: 0 }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], Errno> {
        let end = self.off.checked_add(n).ok_or(EPROTO)?;
        let s = self.b.get(self.off..end).ok_or(EPROTO)?;
        self.off = end;
        Ok(s)
    }
    pub fn u8(&mut self) -> Result<u8, Errno> {
        Ok(self.take(1)?[0])
    }
    pub fn bool(&mut self) -> Result<bool, Errno> {
        Ok(self.u8()? != 0)
    }
    pub fn u16(&mut self) -> Result<u16, Errno> {
        let s = self.take(2)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }
    pub fn u32(&mut self) -> Result<u32, Errno> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    pub fn i32(&mut self) -> Result<i32, Errno> {
        Ok(self.u32()? as i32)
    }
    pub fn u64(&mut self) -> Result<u64, Errno> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_le_bytes(a))
    }
    pub fn i64(&mut self) -> Result<i64, Errno> {
        Ok(self.u64()? as i64)
    }
    pub fn bytes(&mut self) -> Result<&'a [u8], Errno> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    pub fn addr(&mut self) -> Result<SocketAddr, Errno> {
        let ip = match self.u8()? {
            4 => {
                let s = self.take(4)?;
                IpAddr::V4(Ipv4Addr::new(s[0], s[1], s[2], s[3]))
            }
            6 => {
                let mut o = [0u8; 16];
                o.copy_from_slice(self.take(16)?);
                IpAddr::V6(Ipv6Addr::from(o))
            }
            _ => return Err(EPROTO),
        };
        Ok(SocketAddr::new(ip, self.u16()?))
    }
    pub fn opt_addr(&mut self) -> Result<Option<SocketAddr>, Errno> {
        Ok(if self.bool()? { Some(self.addr()?) } else { None })
    }
    pub fn addrs(&mut self) -> Result<Vec<SocketAddr>, Errno> {
        let n = self.u32()? as usize;
        if n > 4096 {
            return Err(EPROTO);
        }
        (0..n).map(|_| self.addr()).collect()
    }
    /// The bytes not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        let s = &self.b[self.off.min(self.b.len())..];
        self.off = self.b.len();
        s
    }
}

// ----- requests ---------------------------------------------------------------

/// Operations. The body of each is described at its handler
/// (`stack::server`) and its caller (`client`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum Op {
    Hello = 1,
    Create,
    Bind,
    Unbind,
    Listen,
    Connect,
    ConnectStatus,
    Accept,
    Peeloff,
    SendPart,
    Send,
    Recv,
    Shutdown,
    Closed,
    LingerWait,
    GetOpt,
    SetOpt,
    SockName,
    PeerName,
    PeerAddrs,
    LocalAddrs,
    FionRead,
    Stat,
    Info,
    /// The socket's send ring (`crate::shm`): its descriptor.
    MapTx,
    /// Records wait in the socket's send ring (no reply).
    Kick,
}

impl Op {
    pub fn from_u16(v: u16) -> Option<Op> {
        use Op::*;
        const ALL: [Op; 26] = [
            Hello,
            Create,
            Bind,
            Unbind,
            Listen,
            Connect,
            ConnectStatus,
            Accept,
            Peeloff,
            SendPart,
            Send,
            Recv,
            Shutdown,
            Closed,
            LingerWait,
            GetOpt,
            SetOpt,
            SockName,
            PeerName,
            PeerAddrs,
            LocalAddrs,
            FionRead,
            Stat,
            Info,
            MapTx,
            Kick,
        ];
        ALL.iter().copied().find(|o| *o as u16 == v)
    }
}

/// A `Recv` answered with this errno: the socket's receive ring holds
/// what comes first; read it (`crate::shm`), then ask again.
pub const READ_RING: Errno = libc::EXDEV;

/// Fixed head of every request: op, flags, the socket's id (0 for none).
pub const REQ_HEAD: usize = 12;

pub fn req_head(w: &mut W, op: Op, sock: u64) {
    w.u16(op as u16).u16(0).u64(sock);
}

pub fn parse_req_head(r: &mut R) -> Result<(Op, u64), Errno> {
    let op = Op::from_u16(r.u16()?).ok_or(EPROTO)?;
    let _flags = r.u16()?;
    Ok((op, r.u64()?))
}

/// Fixed head of every reply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplyHead {
    /// The result: >= 0 a value, < 0 an errno.
    pub status: i64,
    /// Doorbell bytes the client must read from its descriptor (the
    /// socket stopped being readable).
    pub drain: u8,
    /// The client must fill its descriptor's send buffer (the socket
    /// stopped being writable).
    pub fill: bool,
    /// A continuation datagram follows.
    pub more: bool,
    /// For EAGAIN: the errno a blocking caller gets instead of waiting
    /// (0: wait), e.g. ENOTCONN for a receive on a socket with no
    /// association (Linux's sctp_wait_for_packet).
    pub block_err: u8,
    /// For EAGAIN: how long a blocking caller may wait (SO_RCVTIMEO or
    /// SO_SNDTIMEO in ms; -1 forever).
    pub timeout_ms: i64,
}

pub const REPLY_HEAD: usize = 20;

impl ReplyHead {
    pub fn ok(v: i64) -> Self {
        ReplyHead { status: v, timeout_ms: -1, ..Default::default() }
    }
    pub fn err(e: Errno) -> Self {
        ReplyHead { status: -i64::from(e), timeout_ms: -1, ..Default::default() }
    }
    pub fn encode(&self, w: &mut W) {
        w.i64(self.status)
            .u8(self.drain)
            .bool(self.fill)
            .bool(self.more)
            .u8(self.block_err)
            .i64(self.timeout_ms);
    }
    pub fn decode(r: &mut R) -> Result<Self, Errno> {
        let status = r.i64()?;
        let drain = r.u8()?;
        let fill = r.bool()?;
        let more = r.bool()?;
        let block_err = r.u8()?;
        let timeout_ms = r.i64()?;
        Ok(ReplyHead { status, drain, fill, more, block_err, timeout_ms })
    }
    /// The result as a Rust result.
    pub fn result(&self) -> Result<i64, Errno> {
        if self.status < 0 {
            Err((-self.status).min(i64::from(i32::MAX)) as Errno)
        } else {
            Ok(self.status)
        }
    }
}

// ----- shared bodies ----------------------------------------------------------

/// Send parameters as the application gave them (`sctp_sndrcvinfo`,
/// `sctp_sndinfo` or `sctp_sendmsg`'s arguments), PPID in the
/// application's byte order. `None` in [`SendReq::info`] means the
/// socket's defaults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SndInfo {
    pub sid: u16,
    pub flags: u16,
    pub ppid: u32,
    pub context: u32,
    pub ttl: u32,
    pub assoc: i32,
}

/// PR-SCTP policy of one send (`SCTP_PRINFO` / `sctp_prinfo`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PrInfo {
    pub policy: u16,
    pub value: u32,
}

/// A send: where, how, and the data (carried after the body).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendReq {
    pub info: Option<SndInfo>,
    pub pr: Option<PrInfo>,
    pub to: Vec<SocketAddr>,
    /// `SCTP_INIT` for implicit setup: (ostreams, instreams, attempts, timeo).
    pub init: Option<(u16, u16, u16, u16)>,
}

impl SendReq {
    pub fn encode(&self, w: &mut W) {
        match &self.info {
            Some(i) => {
                w.u8(1).u16(i.sid).u16(i.flags).u32(i.ppid).u32(i.context).u32(i.ttl).i32(i.assoc);
            }
            None => {
                w.u8(0);
            }
        }
        match &self.pr {
            Some(p) => w.u8(1).u16(p.policy).u32(p.value),
            None => w.u8(0),
        };
        w.addrs(&self.to);
        match self.init {
            Some((a, b, c, d)) => w.u8(1).u16(a).u16(b).u16(c).u16(d),
            None => w.u8(0),
        };
    }
    pub fn decode(r: &mut R) -> Result<Self, Errno> {
        let info = if r.bool()? {
            Some(SndInfo {
                sid: r.u16()?,
                flags: r.u16()?,
                ppid: r.u32()?,
                context: r.u32()?,
                ttl: r.u32()?,
                assoc: r.i32()?,
            })
        } else {
            None
        };
        let pr = if r.bool()? { Some(PrInfo { policy: r.u16()?, value: r.u32()? }) } else { None };
        let to = r.addrs()?;
        let init = if r.bool()? { Some((r.u16()?, r.u16()?, r.u16()?, r.u16()?)) } else { None };
        Ok(SendReq { info, pr, to, init })
    }
}

/// What a receive returned besides the data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecvMeta {
    pub eor: bool,
    pub notification: bool,
    pub assoc: i32,
    pub from: Option<SocketAddr>,
    /// The SCTP ancillary data the socket's options ask for, in Linux's
    /// order, as (cmsg_type, struct bytes).
    pub cmsgs: Vec<(i32, Vec<u8>)>,
    /// The `sctp_sndrcvinfo` of this message, for `sctp_recvmsg` (which
    /// fills it only when SCTP_SNDRCV is among `cmsgs`).
    pub data_len: u64,
}

impl RecvMeta {
    pub fn encode(&self, w: &mut W) {
        w.bool(self.eor).bool(self.notification).i32(self.assoc).opt_addr(self.from.as_ref());
        w.u32(self.cmsgs.len() as u32);
        for (t, b) in &self.cmsgs {
            w.i32(*t).bytes(b);
        }
        w.u64(self.data_len);
    }
    pub fn decode(r: &mut R) -> Result<Self, Errno> {
        let eor = r.bool()?;
        let notification = r.bool()?;
        let assoc = r.i32()?;
        let from = r.opt_addr()?;
        let n = r.u32()? as usize;
        if n > 16 {
            return Err(EPROTO);
        }
        let mut cmsgs = Vec::with_capacity(n);
        for _ in 0..n {
            let t = r.i32()?;
            cmsgs.push((t, r.bytes()?.to_vec()));
        }
        let data_len = r.u64()?;
        Ok(RecvMeta { eor, notification, assoc, from, cmsgs, data_len })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let n = sock_name("9899", 0xabc, 42);
        assert_eq!(parse_sock_name(&n), Some(("9899".to_string(), 0xabc, 42)));
        assert_eq!(parse_sock_name(&listen_name("9899")), None);
        assert_eq!(parse_sock_name(b"\0other/1/2"), None);
    }

    #[test]
    fn bodies_round_trip() {
        let s = SendReq {
            info: Some(SndInfo { sid: 3, flags: 4, ppid: 5, context: 6, ttl: 7, assoc: -1 }),
            pr: Some(PrInfo { policy: 1, value: 100 }),
            to: vec!["127.0.0.1:5".parse().unwrap(), "[::1]:6".parse().unwrap()],
            init: Some((1, 2, 3, 4)),
        };
        let mut w = W::new();
        s.encode(&mut w);
        assert_eq!(SendReq::decode(&mut R::new(&w.0)), Ok(s));
        let m = RecvMeta {
            eor: true,
            notification: false,
            assoc: 7,
            from: Some("10.0.0.1:9".parse().unwrap()),
            cmsgs: vec![(1, vec![1, 2, 3])],
            data_len: 99,
        };
        let mut w = W::new();
        m.encode(&mut w);
        assert_eq!(RecvMeta::decode(&mut R::new(&w.0)), Ok(m));
        let h = ReplyHead {
            status: -11,
            drain: 1,
            fill: true,
            more: false,
            block_err: 107,
            timeout_ms: 5,
        };
        let mut w = W::new();
        h.encode(&mut w);
        assert_eq!(w.0.len(), REPLY_HEAD);
        assert_eq!(ReplyHead::decode(&mut R::new(&w.0)), Ok(h));
    }

    #[test]
    fn truncated_input_is_an_error() {
        let mut w = W::new();
        w.addrs(&["127.0.0.1:5".parse().unwrap()]);
        for n in 0..w.0.len() {
            assert!(R::new(&w.0[..n]).addrs().is_err());
        }
    }
}
