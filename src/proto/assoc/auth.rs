//! Authenticated chunks (RFC 4895).
//!
//! Negotiation (3, 6.1): with AUTH on (`Config::auth_supported`, off by
//! default as Linux's `net.sctp.auth_enable`), INIT and INIT ACK carry a
//! 32-byte RANDOM, the CHUNKS this end accepts only authenticated (when
//! any) and HMAC-ALGO (our HMACs by preference; SHA-1 always among them).
//! AUTH is in use when the peer sent RANDOM and an HMAC-ALGO naming one
//! we have. Each side's three parameters, concatenated without padding,
//! are its key vector; for every endpoint-pair shared key (key 0, empty,
//! unless the user set others with `SCTP_AUTH_KEY`) the association key
//! is that key, then the numerically smaller key vector, then the larger.
//!
//! Sending (6.2): a packet holding a chunk the peer listed gets an AUTH
//! chunk right after the common header, so everything in it is
//! authenticated, with the active key and the first HMAC of the peer's
//! list we support; packets are built with room for it.
//!
//! Receiving (6.3): a chunk type we listed counts only after a valid AUTH
//! in the same packet; others are silently dropped. An AUTH with an HMAC
//! we did not offer makes the rest of the packet void and is answered
//! with an ERROR "Unsupported HMAC Identifier"; one with an unknown key
//! or a wrong HMAC voids the rest silently. A COOKIE ECHO behind an AUTH
//! is checked with the key vectors the cookie carries (endpoint.rs).

use super::*;
use crate::proto::wire::param::{PARAM_CHUNKS, PARAM_HMAC_ALGO, PARAM_RANDOM};
use hmac::{Hmac, Mac};

/// HMAC identifiers (RFC 4895 3.3 Table 2).
pub const HMAC_SHA1: u16 = 1;
pub const HMAC_SHA256: u16 = 3;
/// The RANDOM parameter's number (6.1: exactly 32 bytes).
pub const RANDOM_LEN: usize = 32;
/// Most chunk types a CHUNKS parameter lists (3.2: at most 260 bytes).
const MAX_CHUNKS: usize = 256;

/// The HMAC's length for an identifier we support.
pub fn hmac_len(id: u16) -> Option<usize> {
    match id {
        HMAC_SHA1 => Some(20),
        HMAC_SHA256 => Some(32),
        _ => None,
    }
}

/// A set of chunk types.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChunkSet([u64; 4]);

impl ChunkSet {
    /// Adds a chunk type; INIT, INIT ACK, SHUTDOWN COMPLETE and AUTH are
    /// never authenticated (3.2) and are left out.
    pub fn insert(&mut self, t: u8) {
        if !matches!(
            t,
            wire::CHUNK_INIT
                | wire::CHUNK_INIT_ACK
                | wire::CHUNK_SHUTDOWN_COMPLETE
                | wire::CHUNK_AUTH
        ) {
            self.0[usize::from(t / 64)] |= 1 << (t % 64);
        }
    }
    pub fn contains(&self, t: u8) -> bool {
        self.0[usize::from(t / 64)] & (1 << (t % 64)) != 0
    }
    pub fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }
    /// The types, in increasing order.
    pub fn to_vec(self) -> Vec<u8> {
        (0..=255u8).filter(|t| self.contains(*t)).collect()
    }
    /// The set a CHUNKS parameter's value lists.
    pub fn from_list(list: &[u8]) -> Self {
        let mut s = ChunkSet::default();
        for t in list.iter().take(MAX_CHUNKS) {
            s.insert(*t);
        }
        s
    }
}

/// An endpoint-pair shared key as the user set it (`SCTP_AUTH_KEY`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedKey {
    pub id: u16,
    pub key: Bytes,
    /// `SCTP_AUTH_DEACTIVATE_KEY`: no longer used to send.
    pub deactivated: bool,
}

/// The socket's default key set: key 0, empty (6.2).
pub fn default_keys() -> Vec<SharedKey> {
    vec![SharedKey { id: 0, key: Bytes::new(), deactivated: false }]
}

/// The AUTH parameters of an INIT or INIT ACK for a configuration and a
/// fresh random number: (RANDOM, CHUNKS, HMAC-ALGO) values. CHUNKS is
/// sent even empty, as Linux does.
pub fn local_params(cfg: &Config, random: [u8; RANDOM_LEN]) -> (Bytes, Option<Bytes>, Bytes) {
    let mut set = cfg.auth_chunks;
    if cfg.asconf_supported {
        // RFC 5061 4.1.1, 4.1.2: ASCONF and ASCONF-ACK only authenticated.
        set.insert(0xC1);
        set.insert(0x80);
    }
    let chunks = Some(Bytes::from(set.to_vec()));
    let mut hm = Vec::with_capacity(cfg.auth_hmacs.len() * 2);
    for h in &cfg.auth_hmacs {
        hm.extend_from_slice(&h.to_be_bytes());
    }
    (Bytes::copy_from_slice(&random), chunks, Bytes::from(hm))
}

/// A key vector (6.1): RANDOM, CHUNKS (when sent) and HMAC-ALGO, each
/// with its 4-byte header and without padding.
pub fn key_vector(random: &[u8], chunks: Option<&[u8]>, hmacs: &[u8]) -> Bytes {
    let mut v = Vec::with_capacity(12 + random.len() + hmacs.len() + chunks.map_or(0, |c| c.len()));
    let mut put = |t: u16, val: &[u8]| {
        v.extend_from_slice(&t.to_be_bytes());
        v.extend_from_slice(&u16::try_from(val.len() + 4).unwrap_or(u16::MAX).to_be_bytes());
        v.extend_from_slice(val);
    };
    put(PARAM_RANDOM, random);
    if let Some(c) = chunks {
        put(PARAM_CHUNKS, c);
    }
    put(PARAM_HMAC_ALGO, hmacs);
    Bytes::from(v)
}

/// The values of the three parameters in a key vector we built or a
/// cookie carried: (RANDOM, CHUNKS, HMAC-ALGO).
fn split_vector(kv: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let (mut random, mut chunks, mut hmacs): (&[u8], &[u8], &[u8]) = (&[], &[], &[]);
    let mut rest = kv;
    while let [t0, t1, l0, l1, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*l0, *l1])).saturating_sub(4).min(tail.len());
        let (val, next) = tail.split_at(len);
        match u16::from_be_bytes([*t0, *t1]) {
            PARAM_RANDOM => random = val,
            PARAM_CHUNKS => chunks = val,
            PARAM_HMAC_ALGO => hmacs = val,
            _ => {}
        }
        rest = next;
    }
    (random, chunks, hmacs)
}

/// A key vector's parameters as INIT parameter values (RANDOM, CHUNKS,
/// HMAC-ALGO).
pub fn split_params(kv: &Bytes) -> (Option<Bytes>, Option<Bytes>, Option<Bytes>) {
    let (r, c, h) = split_vector(kv);
    let b = |v: &[u8]| Bytes::copy_from_slice(v);
    (Some(b(r)), Some(b(c)), Some(b(h)))
}

fn hmac_ids(list: &[u8]) -> impl Iterator<Item = u16> + '_ {
    list.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]))
}

/// 6.1: whether key vector `a` is numerically smaller than `b` (equal
/// numbers: the shorter first).
fn smaller(a: &[u8], b: &[u8]) -> bool {
    let strip = |v: &[u8]| -> usize { v.iter().take_while(|x| **x == 0).count() };
    let (na, nb) = (&a[strip(a)..], &b[strip(b)..]);
    match na.len().cmp(&nb.len()).then_with(|| na.cmp(nb)) {
        std::cmp::Ordering::Less => true,
        std::cmp::Ordering::Greater => false,
        std::cmp::Ordering::Equal => a.len() <= b.len(),
    }
}

/// The association shared key for one endpoint-pair key (6.1).
fn assoc_key(shared: &[u8], local_kv: &[u8], peer_kv: &[u8]) -> Vec<u8> {
    let (first, last) =
        if smaller(local_kv, peer_kv) { (local_kv, peer_kv) } else { (peer_kv, local_kv) };
    let mut k = Vec::with_capacity(shared.len() + first.len() + last.len());
    k.extend_from_slice(shared);
    k.extend_from_slice(first);
    k.extend_from_slice(last);
    k
}

/// HMAC of the concatenation of `parts` with `key`, into `out`; its
/// length (0 for an identifier we do not support).
fn hmac_into(id: u16, key: &[u8], parts: &[&[u8]], out: &mut [u8; 32]) -> usize {
    fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&[u8]], out: &mut [u8]) -> usize {
        let Ok(mut m) = <M as hmac::digest::KeyInit>::new_from_slice(key) else { return 0 };
        for p in parts {
            m.update(p);
        }
        let r = m.finalize().into_bytes();
        let n = r.len().min(out.len());
        out[..n].copy_from_slice(&r[..n]);
        n
    }
    match id {
        HMAC_SHA1 => run::<Hmac<sha1::Sha1>>(key, parts, out),
        HMAC_SHA256 => run::<Hmac<sha2::Sha256>>(key, parts, out),
        _ => 0,
    }
}

/// One endpoint-pair key of an association, with its association key.
#[derive(Clone, Debug)]
struct AssocKey {
    id: u16,
    shared: Bytes,
    secret: Vec<u8>,
    deactivated: bool,
}

/// An association's AUTH state (boxed: most associations have none).
#[derive(Clone, Debug)]
pub(super) struct Auth {
    /// Our key vector, as sent in our INIT or INIT ACK.
    local_kv: Bytes,
    /// The peer's, once known (empty before).
    peer_kv: Bytes,
    /// In use: the peer is AUTH capable.
    enabled: bool,
    /// Types the peer wants authenticated: we sign packets holding them.
    peer_chunks: ChunkSet,
    /// Types we accept only authenticated.
    local_chunks: ChunkSet,
    /// HMACs we offered (we accept these).
    local_hmacs: Vec<u16>,
    /// HMAC we send with.
    send_hmac: u16,
    keys: Vec<AssocKey>,
    active: u16,
}

/// What the AUTH chunk of a received packet says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// No AUTH chunk.
    None,
    /// The AUTH chunk is the `idx`-th chunk and verifies with key `key`.
    Good { idx: usize, key: u16 },
    /// It does not verify (or names a key we do not have): the chunks
    /// after it are void.
    Bad { idx: usize },
    /// It uses an HMAC we did not offer (6.3: report it).
    BadHmac { idx: usize, hmac: u16 },
}

impl Auth {
    /// The state for an association with our parameters `local_kv`; the
    /// peer's come with [`Auth::set_peer`].
    pub(super) fn new(cfg: &Config, local_kv: Bytes) -> Self {
        let keys = cfg
            .auth_keys
            .iter()
            .map(|k| AssocKey {
                id: k.id,
                shared: k.key.clone(),
                secret: Vec::new(),
                deactivated: k.deactivated,
            })
            .collect();
        let (_, chunks, hmacs) = split_vector(&local_kv);
        Auth {
            peer_kv: Bytes::new(),
            enabled: false,
            peer_chunks: ChunkSet::default(),
            local_chunks: ChunkSet::from_list(chunks),
            local_hmacs: hmac_ids(hmacs).collect(),
            send_hmac: 0,
            keys,
            active: cfg.auth_active_key,
            local_kv,
        }
    }

    /// Takes the peer's AUTH parameters (from its INIT or INIT ACK, or a
    /// cookie's copy of them as a key vector); AUTH is in use when they
    /// have a 32-byte RANDOM and an HMAC we support.
    pub(super) fn set_peer(&mut self, peer_kv: Bytes) {
        let (random, chunks, hmacs) = split_vector(&peer_kv);
        let send = hmac_ids(hmacs).find(|h| hmac_len(*h).is_some());
        self.enabled = random.len() == RANDOM_LEN && send.is_some();
        self.peer_chunks = ChunkSet::from_list(chunks);
        self.send_hmac = send.unwrap_or(0);
        self.peer_kv = peer_kv;
        let (l, p) = (self.local_kv.clone(), self.peer_kv.clone());
        for k in &mut self.keys {
            k.secret = assoc_key(&k.shared, &l, &p);
        }
    }

    /// Bytes an AUTH chunk takes in our packets (0: none needed).
    pub(super) fn room(&self) -> usize {
        if self.enabled && !self.peer_chunks.is_empty() {
            8 + hmac_len(self.send_hmac).unwrap_or(0)
        } else {
            0
        }
    }

    /// Signs a finished packet (common header and chunks, before the
    /// checksum) if it holds a chunk the peer listed: inserts an AUTH
    /// chunk after the header, covering everything after it.
    pub(super) fn sign(&self, buf: &mut Vec<u8>) {
        if self.room() == 0 {
            return;
        }
        let needed = {
            let mut rest = buf.get(COMMON_HEADER_LEN..).unwrap_or_default();
            let mut any = false;
            while let [t, _, l0, l1, ..] = rest {
                any |= self.peer_chunks.contains(*t);
                let len = (usize::from(u16::from_be_bytes([*l0, *l1])) + 3) & !3;
                if any || len < 4 || len > rest.len() {
                    break;
                }
                rest = &rest[len..];
            }
            any
        };
        let Some(key) = self.keys.iter().find(|k| k.id == self.active) else {
            return;
        };
        if !needed {
            return;
        }
        let hl = hmac_len(self.send_hmac).unwrap_or(0);
        let n = 8 + hl;
        let old = buf.len();
        buf.resize(old + n, 0);
        buf.copy_within(COMMON_HEADER_LEN..old, COMMON_HEADER_LEN + n);
        let at = COMMON_HEADER_LEN;
        buf[at] = wire::CHUNK_AUTH;
        buf[at + 1] = 0;
        buf[at + 2..at + 4].copy_from_slice(&(n as u16).to_be_bytes());
        buf[at + 4..at + 6].copy_from_slice(&key.id.to_be_bytes());
        buf[at + 6..at + 8].copy_from_slice(&self.send_hmac.to_be_bytes());
        buf[at + 8..at + n].fill(0);
        let mut mac = [0u8; 32];
        let got = hmac_into(self.send_hmac, &key.secret, &[&buf[at..]], &mut mac);
        buf[at + 8..at + 8 + got.min(hl)].copy_from_slice(&mac[..got.min(hl)]);
    }

    /// Finds and checks the AUTH chunk of a received packet's chunks.
    pub(super) fn verify(&self, chunks: &Chunks) -> Verdict {
        // A deactivated key no longer authenticates (as Linux).
        let secret_of = |id: u16| {
            self.keys.iter().find(|k| k.id == id && !k.deactivated).map(|k| k.secret.as_slice())
        };
        verify_with(chunks, secret_of, &self.local_hmacs)
    }

    pub(super) fn enabled(&self) -> bool {
        self.enabled
    }

    /// Whether we accept chunk type `t` only authenticated.
    pub(super) fn required(&self, t: u8) -> bool {
        self.enabled && self.local_chunks.contains(t)
    }

    pub(super) fn local_kv(&self) -> &Bytes {
        &self.local_kv
    }

    pub(super) fn peer_chunks(&self) -> ChunkSet {
        self.peer_chunks
    }

    pub(super) fn local_chunks(&self) -> ChunkSet {
        self.local_chunks
    }

    pub(super) fn active_key(&self) -> u16 {
        self.active
    }

    /// `SCTP_AUTH_KEY` on the association: adds or replaces key `id`.
    pub(super) fn set_key(&mut self, id: u16, key: Bytes) {
        let secret = if self.peer_kv.is_empty() {
            Vec::new()
        } else {
            assoc_key(&key, &self.local_kv, &self.peer_kv)
        };
        self.keys.retain(|k| k.id != id);
        self.keys.push(AssocKey { id, shared: key, secret, deactivated: false });
    }

    /// `SCTP_AUTH_ACTIVE_KEY`: false if there is no such key (or it is
    /// deactivated).
    pub(super) fn set_active(&mut self, id: u16) -> bool {
        if self.keys.iter().any(|k| k.id == id && !k.deactivated) {
            self.active = id;
            true
        } else {
            false
        }
    }

    /// `SCTP_AUTH_DEACTIVATE_KEY` / `SCTP_AUTH_DELETE_KEY`: false for an
    /// unknown key or the active one.
    pub(super) fn retire_key(&mut self, id: u16, delete: bool) -> bool {
        if id == self.active || !self.keys.iter().any(|k| k.id == id) {
            return false;
        }
        if delete {
            self.keys.retain(|k| k.id != id);
        } else if let Some(k) = self.keys.iter_mut().find(|k| k.id == id) {
            k.deactivated = true;
        }
        true
    }
}

impl Association {
    /// Bytes to keep free in each packet for an AUTH chunk.
    pub(super) fn auth_room(&self) -> usize {
        self.auth.as_ref().map_or(0, |a| a.room())
    }

    /// Signs a finished packet if the peer wants one of its chunks
    /// authenticated.
    pub(super) fn auth_sign(&self, buf: &mut Vec<u8>) {
        if let Some(a) = &self.auth {
            a.sign(buf);
        }
    }

    /// Checks a received packet's AUTH chunk: its position among the
    /// chunks (`usize::MAX`: none) and whether it verified. An HMAC we did
    /// not offer is reported to the peer (RFC 4895 6.3, cause 0x0105).
    pub(super) fn auth_check(&mut self, src: SocketAddr, chunks: &Chunks) -> (usize, bool) {
        let v = match &self.auth {
            Some(a) if a.enabled() => a.verify(chunks),
            _ => return (usize::MAX, false),
        };
        match v {
            Verdict::None => (usize::MAX, false),
            Verdict::Good { idx, key } => {
                // As Linux: each packet authenticated with another key
                // than the active one is reported.
                if self.auth.as_ref().is_some_and(|a| a.active_key() != key) {
                    self.ext_events.push_back(ExtEvent::AuthKey { key, free: false });
                }
                (idx, true)
            }
            Verdict::Bad { idx } => (idx, false),
            Verdict::BadHmac { idx, hmac } => {
                let mut cause = [0u8; 8];
                cause[..2].copy_from_slice(&0x0105u16.to_be_bytes());
                cause[2..4].copy_from_slice(&6u16.to_be_bytes());
                cause[4..6].copy_from_slice(&hmac.to_be_bytes());
                let mut b = Vec::with_capacity(12);
                emit_raw(&mut b, wire::CHUNK_ERROR, 0, &cause[..6]);
                self.ctrl.push_back(Ctrl { dst: src, vtag: self.peer_tag, alone: false, bytes: b });
                (idx, false)
            }
        }
    }

    /// For an association just made from a COOKIE ECHO: whether the
    /// packet may create it. If we accept COOKIE ECHO only authenticated,
    /// an AUTH before it must verify with the keys the cookie gave.
    pub fn cookie_admitted(&self, chunks: &Chunks) -> bool {
        match &self.auth {
            Some(a) if a.required(wire::CHUNK_COOKIE_ECHO) => {
                matches!(a.verify(chunks), Verdict::Good { idx: 0, .. })
            }
            _ => true,
        }
    }

    /// `SCTP_AUTH_KEY` for this association: adds or replaces shared key
    /// `id`. False if the association did not offer AUTH.
    pub fn auth_set_key(&mut self, id: u16, key: Bytes) -> bool {
        match &mut self.auth {
            Some(a) => {
                a.set_key(id, key);
                true
            }
            None => false,
        }
    }

    /// `SCTP_AUTH_ACTIVE_KEY` for this association: false if it has no
    /// such key.
    pub fn auth_set_active(&mut self, id: u16) -> bool {
        self.auth.as_mut().is_some_and(|a| a.set_active(id))
    }

    /// `SCTP_AUTH_DEACTIVATE_KEY` (`delete` false) or
    /// `SCTP_AUTH_DELETE_KEY`: false for an unknown or the active key.
    pub fn auth_retire_key(&mut self, id: u16, delete: bool) -> bool {
        let done = self.auth.as_mut().is_some_and(|a| a.retire_key(id, delete));
        if done && !delete {
            // Nothing holds a key here (packets are signed as they leave):
            // a deactivated key is free at once.
            self.ext_events.push_back(ExtEvent::AuthKey { key: id, free: true });
        }
        done
    }

    /// The key used to send, if AUTH was offered.
    pub fn auth_active_key(&self) -> Option<u16> {
        self.auth.as_ref().map(|a| a.active_key())
    }

    /// `SCTP_PEER_AUTH_CHUNKS` / `SCTP_LOCAL_AUTH_CHUNKS`: the types the
    /// peer wants authenticated, and those we do (None without AUTH in
    /// use).
    pub fn auth_chunk_lists(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        let a = self.auth.as_ref().filter(|a| a.enabled())?;
        Some((a.peer_chunks().to_vec(), a.local_chunks().to_vec()))
    }

    /// Signs a finished packet (header and chunks, before the checksum)
    /// as this association signs its own: the fuzz tests use it to hand
    /// the peer packets it will authenticate.
    #[doc(hidden)]
    pub fn sign_as_sender(&self, buf: &mut Vec<u8>) {
        self.auth_sign(buf);
    }

    /// Whether AUTH is in use on this association.
    pub fn auth_enabled(&self) -> bool {
        self.auth.as_ref().is_some_and(|a| a.enabled())
    }
}

/// The shared core of [`Auth::verify`] and the endpoint's check of a
/// COOKIE ECHO behind an AUTH: `secret_of` gives the association key of a
/// key id, `accepted` the HMACs we offered.
pub(super) fn verify_with<'a>(
    chunks: &Chunks,
    secret_of: impl Fn(u16) -> Option<&'a [u8]>,
    accepted: &[u16],
) -> Verdict {
    let mut it = chunks.clone();
    let mut idx = 0;
    loop {
        let start = it.pos;
        match it.next() {
            Some(Ok(Chunk::Unknown { chunk_type: wire::CHUNK_AUTH, value, .. })) => {
                let (Some(key), Some(id)) = (be16(&value, 0), be16(&value, 2)) else {
                    return Verdict::Bad { idx };
                };
                if !accepted.contains(&id) {
                    return Verdict::BadHmac { idx, hmac: id };
                }
                let Some(hl) = hmac_len(id) else { return Verdict::BadHmac { idx, hmac: id } };
                if value.len() != 4 + hl {
                    return Verdict::Bad { idx };
                }
                let Some(secret) = secret_of(key) else { return Verdict::Bad { idx } };
                let body = it.buf.get(start..).unwrap_or_default();
                if body.len() < 8 + hl {
                    return Verdict::Bad { idx };
                }
                let zeros = [0u8; 32];
                let mut mac = [0u8; 32];
                let n =
                    hmac_into(id, secret, &[&body[..8], &zeros[..hl], &body[8 + hl..]], &mut mac);
                let diff =
                    mac[..n].iter().zip(&body[8..8 + hl]).fold(0u8, |acc, (a, b)| acc | (a ^ b));
                return if n == hl && diff == 0 {
                    Verdict::Good { idx, key }
                } else {
                    Verdict::Bad { idx }
                };
            }
            Some(Ok(_)) => idx += 1,
            _ => return Verdict::None,
        }
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// The peer's key vector from its INIT or INIT ACK parameters, when it
/// sent RANDOM and HMAC-ALGO.
/// Parameters out of RFC 4895's bounds (a RANDOM not of 32 bytes, a
/// CHUNKS over 256 types, an HMAC-ALGO of more than 16 identifiers) leave
/// the peer without AUTH, and nothing of them goes into our cookie.
pub fn peer_vector(p: &InitParams) -> Option<Bytes> {
    match (&p.auth_random, &p.auth_hmacs) {
        (Some(r), Some(h))
            if r.len() == RANDOM_LEN
                && h.len() <= 32
                && p.auth_chunks.as_ref().is_none_or(|c| c.len() <= MAX_CHUNKS) =>
        {
            Some(key_vector(r, p.auth_chunks.as_deref(), h))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_order_follows_rfc_4895_6_1() {
        assert!(smaller(&[1, 2], &[1, 3]));
        assert!(!smaller(&[1, 3], &[1, 2]));
        // Numerically equal, the shorter first.
        assert!(smaller(&[1], &[0, 1]));
        assert!(!smaller(&[0, 1], &[1]));
        // The longer (without leading zeros) is larger.
        assert!(smaller(&[9, 9], &[1, 0, 0]));
        assert_eq!(assoc_key(b"k", &[2], &[1]), b"k\x01\x02");
    }

    #[test]
    fn chunk_sets_leave_out_never_authenticated_types() {
        let s = ChunkSet::from_list(&[0, 1, 2, 14, 15, 3, 0xc1]);
        assert_eq!(s.to_vec(), vec![0, 3, 0xc1]);
    }

    #[test]
    fn hmacs_match_rfc_4231_and_2202() {
        // RFC 4231 test case 2 and RFC 2202 test case 2 ("Jefe").
        let mut out = [0u8; 32];
        let n = hmac_into(HMAC_SHA256, b"Jefe", &[b"what do ya want ", b"for nothing?"], &mut out);
        assert_eq!(n, 32);
        assert_eq!(out[..4], [0x5b, 0xdc, 0xc1, 0x46]);
        let n = hmac_into(HMAC_SHA1, b"Jefe", &[b"what do ya want for nothing?"], &mut out);
        assert_eq!(n, 20);
        assert_eq!(out[..4], [0xef, 0xfc, 0xdf, 0x6a]);
    }
}
