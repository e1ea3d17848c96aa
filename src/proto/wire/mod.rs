//! The SCTP wire codec (RFC 9260 section 3): common header, chunks,
//! parameters and error causes, with CRC32c (RFC 9260 section 6.8 and
//! Appendix A).
//!
//! Parsing never panics and never trusts a length field: every length is
//! checked against the bytes that are actually there. Payloads borrow from
//! the received [`Bytes`] (reference-counted, no copy). Data-path chunks
//! (DATA, SACK) parse without heap allocation: their variable parts stay as
//! `Bytes` with iterators over them. Emission appends to a caller-owned
//! `Vec<u8>` that the caller reuses.

pub mod cause;
pub mod chunk;
pub mod param;
pub mod reconf;
mod tlv;

pub use cause::{Cause, Causes};
pub use chunk::{
    Chunk, Chunks, DataChunk, ForwardTsnChunk, IDataChunk, IForwardTsn, InitChunk, SackChunk,
    CHUNK_ABORT, CHUNK_AUTH, CHUNK_COOKIE_ACK, CHUNK_COOKIE_ECHO, CHUNK_CWR, CHUNK_DATA,
    CHUNK_ECNE, CHUNK_ERROR, CHUNK_FORWARD_TSN, CHUNK_HEARTBEAT, CHUNK_HEARTBEAT_ACK, CHUNK_IDATA,
    CHUNK_IFORWARD_TSN, CHUNK_INIT, CHUNK_INIT_ACK, CHUNK_PAD, CHUNK_SACK, CHUNK_SHUTDOWN,
    CHUNK_SHUTDOWN_ACK, CHUNK_SHUTDOWN_COMPLETE,
};
pub use param::InitParams;
pub use reconf::{ReconfParam, CHUNK_RECONF};

use bytes::Bytes;

/// Size of the SCTP common header (RFC 9260 section 3.1).
pub const COMMON_HEADER_LEN: usize = 12;
/// Size of a chunk header (type, flags, length).
pub const CHUNK_HEADER_LEN: usize = 4;
/// Size of a DATA chunk header including the chunk header (RFC 9260 3.3.1).
pub const DATA_HEADER_LEN: usize = 16;

/// What can be wrong with bytes received from the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Fewer bytes than a header or a length field requires.
    Truncated,
    /// A length field smaller than its header or beyond the buffer.
    BadLength,
    /// CRC32c mismatch.
    BadChecksum,
    /// A port number of zero (RFC 9260 3.1: MUST NOT be used).
    ZeroPort,
    /// A field value that the RFC forbids (e.g. a SACK with a gap block
    /// whose start exceeds its end is still parsed; this is for values
    /// that make the chunk meaningless).
    Invalid,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let s = match self {
            Error::Truncated => "truncated",
            Error::BadLength => "bad length field",
            Error::BadChecksum => "bad CRC32c",
            Error::ZeroPort => "zero port",
            Error::Invalid => "invalid field value",
        };
        f.write_str(s)
    }
}

/// The SCTP common header (RFC 9260 section 3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommonHeader {
    pub src_port: u16,
    pub dst_port: u16,
    pub vtag: u32,
}

/// Computes the CRC32c of an SCTP packet as RFC 9260 section 6.8 defines it:
/// over the whole packet with the checksum field taken as zero. Returns the
/// value in the byte order it is written on the wire by [`finish_packet`].
///
/// Byte order (RFC 9260 Appendix A): the CRC32c register value `c` (what
/// `crc32c::crc32c` returns, already inverted) goes onto the wire least
/// significant byte first, i.e. the checksum bytes are `c.to_le_bytes()`.
/// This function returns `c.swap_bytes()`, which is the checksum field read
/// like every other SCTP field, in network byte order:
/// `packet_crc(p) == u32::from_be_bytes(p[8..12])` for a valid packet (and
/// it is the value Wireshark shows). Packets shorter than 12 bytes are
/// hashed with whatever part of bytes 8..12 exists taken as zero.
pub fn packet_crc(packet: &[u8]) -> u32 {
    const CSUM_AT: usize = 8;
    let head = packet.get(..CSUM_AT).unwrap_or(packet);
    let zeros = packet.len().min(COMMON_HEADER_LEN).saturating_sub(CSUM_AT);
    let mut crc = crc32c::crc32c(head);
    crc = crc32c::crc32c_append(crc, [0u8; 4].get(..zeros).unwrap_or_default());
    if let Some(rest) = packet.get(COMMON_HEADER_LEN..) {
        crc = crc32c::crc32c_append(crc, rest);
    }
    crc.swap_bytes()
}

/// Parses and validates a received SCTP packet: length, ports, CRC32c.
/// On success returns the common header and an iterator over the chunks,
/// which yields an error (and then stops) at the first malformed chunk.
pub fn parse_packet(data: &Bytes) -> Result<(CommonHeader, Chunks), Error> {
    let h: &[u8; COMMON_HEADER_LEN] =
        data.get(..COMMON_HEADER_LEN).and_then(|s| s.try_into().ok()).ok_or(Error::Truncated)?;
    let hdr = CommonHeader {
        src_port: u16::from_be_bytes([h[0], h[1]]),
        dst_port: u16::from_be_bytes([h[2], h[3]]),
        vtag: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
    };
    if hdr.src_port == 0 || hdr.dst_port == 0 {
        return Err(Error::ZeroPort);
    }
    let wire_crc = u32::from_be_bytes([h[8], h[9], h[10], h[11]]);
    if wire_crc != packet_crc(data) {
        return Err(Error::BadChecksum);
    }
    Ok((hdr, Chunks::new(data.slice(COMMON_HEADER_LEN..))))
}

/// Appends a common header with a zero checksum to `out`; `out` must be
/// empty (it becomes the start of a packet).
pub fn write_header(out: &mut Vec<u8>, hdr: &CommonHeader) {
    debug_assert!(out.is_empty(), "write_header: the packet buffer must be empty");
    out.extend_from_slice(&hdr.src_port.to_be_bytes());
    out.extend_from_slice(&hdr.dst_port.to_be_bytes());
    out.extend_from_slice(&hdr.vtag.to_be_bytes());
    out.extend_from_slice(&[0; 4]);
}

/// Writes the CRC32c into bytes 8..12 of a complete packet built with
/// [`write_header`] and chunk emitters. Does nothing if `packet` is shorter
/// than a common header.
pub fn finish_packet(packet: &mut [u8]) {
    if packet.len() < COMMON_HEADER_LEN {
        return;
    }
    let crc = packet_crc(packet);
    if let Some(field) = packet.get_mut(8..COMMON_HEADER_LEN) {
        field.copy_from_slice(&crc.to_be_bytes());
    }
}

/// Number of padding bytes needed to bring `len` to a multiple of 4.
#[inline]
pub fn pad4(len: usize) -> usize {
    (4 - (len & 3)) & 3
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The INIT packet of pion/sctp's `packet_test.go` (a WebRTC INIT with
    /// Forward-TSN-Supported, Supported Extensions and the AUTH parameters
    /// RANDOM / CHUNKS / HMAC-ALGO; pion's checksum code interoperates with
    /// usrsctp in browsers): ports 5000/5000, vtag 0, CRC bytes 81 46 9d fc.
    const PION_INIT: [u8; 100] = [
        0x13, 0x88, 0x13, 0x88, 0x00, 0x00, 0x00, 0x00, 0x81, 0x46, 0x9d, 0xfc, 0x01, 0x00, 0x00,
        0x56, 0x55, 0xb9, 0x64, 0xa5, 0x00, 0x02, 0x00, 0x00, 0x04, 0x00, 0x08, 0x00, 0xe8, 0x6d,
        0x10, 0x30, 0xc0, 0x00, 0x00, 0x04, 0x80, 0x08, 0x00, 0x09, 0xc0, 0x0f, 0xc1, 0x80, 0x82,
        0x00, 0x00, 0x00, 0x80, 0x02, 0x00, 0x24, 0x9f, 0xeb, 0xbb, 0x5c, 0x50, 0xc9, 0xbf, 0x75,
        0x9c, 0xb1, 0x2c, 0x57, 0x4f, 0xa4, 0x5a, 0x51, 0xba, 0x60, 0x17, 0x78, 0x27, 0x94, 0x5c,
        0x31, 0xe6, 0x5d, 0x5b, 0x09, 0x47, 0xe2, 0x22, 0x06, 0x80, 0x04, 0x00, 0x06, 0x00, 0x01,
        0x00, 0x00, 0x80, 0x03, 0x00, 0x06, 0x80, 0xc1, 0x00, 0x00,
    ];

    /// Header-only packet from pion/sctp's tests (ports 5000/5000, vtag 0).
    const PION_HEADER_ONLY: [u8; 12] = [0x13, 0x88, 0x13, 0x88, 0, 0, 0, 0, 0x06, 0xa9, 0x00, 0xe1];

    /// Scapy's regression test "SCTP - Chunk Init - build" (the SCTP part,
    /// after the 20-byte IP header): ports 0, INIT with one IPv4 address.
    const SCAPY_INIT: [u8; 40] = [
        0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x2c, 0x0b, 0x5f, 0x01, 0x00, 0x00, 0x1c, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x05, 0x00, 0x08, 0x7f, 0x00, 0x00, 0x01,
    ];

    // ---- RFC 9260 Appendix A sample code, transcribed literally ----

    fn reflect_32(mut b: u32) -> u32 {
        let mut rw = 0u32;
        for i in 0..32 {
            if b & 1 != 0 {
                rw |= 1 << (31 - i);
            }
            b >>= 1;
        }
        rw
    }

    fn build_crc_table(index: u32) -> u32 {
        let mut rb = reflect_32(index);
        for _ in 0..8 {
            if rb & 0x8000_0000 != 0 {
                rb = (rb << 1) ^ 0x1EDC_6F41;
            } else {
                rb <<= 1;
            }
        }
        reflect_32(rb)
    }

    fn generate_crc32c(table: &[u32], buffer: &[u8]) -> u32 {
        let mut crc32 = 0xffff_ffffu32;
        for &d in buffer {
            crc32 = (crc32 >> 8) ^ table[((crc32 ^ u32::from(d)) & 0xff) as usize];
        }
        let result = !crc32;
        let byte0 = result & 0xff;
        let byte1 = (result >> 8) & 0xff;
        let byte2 = (result >> 16) & 0xff;
        let byte3 = (result >> 24) & 0xff;
        (byte0 << 24) | (byte1 << 16) | (byte2 << 8) | byte3
    }

    /// `insert_crc32`: zero the checksum, compute, store with htonl.
    fn appendix_a_insert(table: &[u32], buffer: &mut [u8]) {
        buffer[8..12].fill(0);
        let crc32 = generate_crc32c(table, buffer);
        buffer[8..12].copy_from_slice(&crc32.to_be_bytes()); // htonl
    }

    fn appendix_a_table() -> Vec<u32> {
        (0..256).map(build_crc_table).collect()
    }

    fn sample_packet() -> Vec<u8> {
        let mut p = Vec::new();
        write_header(
            &mut p,
            &CommonHeader { src_port: 0x1388, dst_port: 0x2773, vtag: 0xdead_beef },
        );
        chunk::DataChunk::emit(&mut p, 0x03, 7, 1, 2, 51, b"hello, world");
        chunk::SackChunk::emit(&mut p, 6, 65536, &[(2, 3)], &[5]);
        finish_packet(&mut p);
        p
    }

    #[test]
    fn crc32c_crate_check_value() {
        assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
    }

    #[test]
    fn appendix_a_table_matches_rfc_text() {
        let t = appendix_a_table();
        assert_eq!(t[0], 0);
        assert_eq!(t[1], 0xF26B_8303);
        assert_eq!(t[128], 0x82F6_3B78);
        assert_eq!(t[255], 0xAD7D_5351);
    }

    #[test]
    fn finish_packet_matches_appendix_a_byte_order() {
        let table = appendix_a_table();
        let mut packets = vec![sample_packet(), PION_INIT.to_vec(), PION_HEADER_ONLY.to_vec()];
        packets.push((0u8..=255).cycle().take(1500).collect());
        for mut p in packets {
            let mut reference = p.clone();
            appendix_a_insert(&table, &mut reference);
            finish_packet(&mut p);
            assert_eq!(p, reference);
            // The documented relation between packet_crc and the field.
            let field = u32::from_be_bytes(p[8..12].try_into().unwrap());
            assert_eq!(packet_crc(&p), field);
            let mut zeroed = p.clone();
            zeroed[8..12].fill(0);
            assert_eq!(&p[8..12], &crc32c::crc32c(&zeroed).to_le_bytes());
        }
    }

    #[test]
    fn known_init_packet_verifies_and_parses() {
        let pkt = Bytes::from_static(&PION_INIT);
        assert_eq!(packet_crc(&pkt), 0x8146_9dfc);
        let (hdr, mut chunks) = parse_packet(&pkt).unwrap();
        assert_eq!(hdr, CommonHeader { src_port: 5000, dst_port: 5000, vtag: 0 });
        let Some(Ok(Chunk::Init(init))) = chunks.next() else { panic!("expected an INIT") };
        assert_eq!(init.initiate_tag, 0x55b9_64a5);
        assert_eq!(init.a_rwnd, 0x0002_0000);
        assert_eq!(init.num_outbound_streams, 1024);
        assert_eq!(init.num_inbound_streams, 2048);
        assert_eq!(init.initial_tsn, 0xe86d_1030);
        assert!(init.params.forward_tsn_supported);
        assert_eq!(
            init.params.supported_extensions.as_deref(),
            Some(&[0xc0, 0x0f, 0xc1, 0x80, 0x82][..])
        );
        // RANDOM, CHUNKS, HMAC-ALGO (0x8002-0x8004): "skip" without report.
        assert!(init.params.unrecognized.is_empty());
        assert!(init.params.addrs.is_empty());
        assert!(chunks.next().is_none());
        // Recomputing over the received packet reproduces its bytes.
        let mut copy = PION_INIT;
        copy[8..12].fill(0);
        finish_packet(&mut copy);
        assert_eq!(copy, PION_INIT);
    }

    #[test]
    fn captured_header_only_and_scapy_vectors() {
        let (hdr, mut chunks) = parse_packet(&Bytes::from_static(&PION_HEADER_ONLY)).unwrap();
        assert_eq!(hdr.src_port, 5000);
        assert!(chunks.next().is_none());

        // Ports 0: the CRC is right but the packet is refused.
        assert_eq!(packet_crc(&SCAPY_INIT), 0x402c_0b5f);
        let mut copy = SCAPY_INIT;
        copy[8..12].fill(0);
        finish_packet(&mut copy);
        assert_eq!(copy, SCAPY_INIT);
        assert_eq!(parse_packet(&Bytes::from_static(&SCAPY_INIT)).err(), Some(Error::ZeroPort));
        // The chunk part itself parses.
        let mut chunks = Chunks::new(Bytes::from_static(&SCAPY_INIT).slice(12..));
        let Some(Ok(Chunk::Init(init))) = chunks.next() else { panic!("expected an INIT") };
        assert_eq!(init.params.addrs, vec![std::net::IpAddr::from([127, 0, 0, 1])]);
        assert!(chunks.next().is_none());
    }

    #[test]
    fn every_single_bit_flip_is_detected() {
        let p = sample_packet();
        assert!(parse_packet(&Bytes::from(p.clone())).is_ok());
        for bit in 0..p.len() * 8 {
            let mut q = p.clone();
            q[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(parse_packet(&Bytes::from(q)).err(), Some(Error::BadChecksum), "bit {bit}");
        }
    }

    #[test]
    fn short_and_zero_port_packets() {
        for n in 0..COMMON_HEADER_LEN {
            let p = Bytes::from(vec![1u8; n]);
            assert_eq!(parse_packet(&p).err(), Some(Error::Truncated));
            let mut v = vec![1u8; n];
            finish_packet(&mut v); // no-op, no panic
            assert_eq!(v, vec![1u8; n]);
            let _ = packet_crc(&v);
        }
        for (src, dst) in [(0, 1), (1, 0), (0, 0)] {
            let mut p = Vec::new();
            write_header(&mut p, &CommonHeader { src_port: src, dst_port: dst, vtag: 1 });
            finish_packet(&mut p);
            assert_eq!(parse_packet(&Bytes::from(p)).err(), Some(Error::ZeroPort));
        }
    }

    #[test]
    fn header_round_trip() {
        let hdr = CommonHeader { src_port: 9899, dst_port: 1, vtag: 0x0102_0304 };
        let mut p = Vec::new();
        write_header(&mut p, &hdr);
        assert_eq!(p, [0x26, 0xab, 0, 1, 1, 2, 3, 4, 0, 0, 0, 0]);
        finish_packet(&mut p);
        let (got, mut chunks) = parse_packet(&Bytes::from(p)).unwrap();
        assert_eq!(got, hdr);
        assert!(chunks.next().is_none());
    }

    #[test]
    fn pad4_values() {
        assert_eq!([0, 1, 2, 3, 4, 5, 6, 7].map(pad4), [0, 3, 2, 1, 0, 3, 2, 1]);
    }

    // ---- fuzzing: nothing may panic, loop, or misbehave ----

    /// Parses a packet and consumes everything reachable from it.
    fn drain(pkt: &Bytes) {
        let Ok((_, chunks)) = parse_packet(pkt) else {
            return;
        };
        drain_chunks(chunks, pkt.len());
    }

    fn drain_chunks(mut chunks: Chunks, input_len: usize) {
        let mut n = 0usize;
        for item in chunks.by_ref() {
            n += 1;
            assert!(n <= input_len / 4 + 1, "more chunks than the input can hold");
            let Ok(chunk) = item else { continue };
            match chunk {
                Chunk::Abort { causes, .. } | Chunk::Error { causes } => {
                    let mut m = 0usize;
                    let len = causes.len();
                    let mut it = Causes::new(causes);
                    for cause in it.by_ref() {
                        m += 1;
                        assert!(m <= len / 4 + 1);
                        if let Ok(c) = cause {
                            let mut out = Vec::new();
                            c.emit(&mut out);
                            assert_eq!(out.len() % 4, 0);
                        }
                    }
                    assert!(it.next().is_none());
                }
                Chunk::Sack(s) => {
                    assert_eq!(s.gap_blocks.len() % 4, 0);
                    assert_eq!(s.dup_tsns.len() % 4, 0);
                    let _ = (s.gaps().count(), s.dups().count());
                }
                Chunk::ForwardTsn(f) => assert_eq!(f.streams.len() % 4, 0),
                Chunk::Init(i) | Chunk::InitAck(i) => {
                    let mut out = Vec::new();
                    i.emit(CHUNK_INIT_ACK, &mut out);
                    assert_eq!(out.len() % 4, 0);
                }
                Chunk::Unknown { value, raw, .. } => assert_eq!(raw.len(), value.len() + 4),
                _ => {}
            }
        }
        // Once ended (after an error or not), the iterator stays ended.
        assert!(chunks.next().is_none());
        assert!(chunks.next().is_none());
    }

    fn with_crc(mut body: Vec<u8>) -> Bytes {
        // Make sure the ports are not zero so that the chunk parser runs.
        if body.len() >= 4 {
            body[0] |= 0x80;
            body[2] |= 0x80;
        }
        finish_packet(&mut body);
        Bytes::from(body)
    }

    /// A TLV (parameter or cause) with a plausible type and a length
    /// that is usually right and sometimes off.
    fn tlv() -> impl Strategy<Value = Vec<u8>> {
        let kind = prop_oneof![
            prop::sample::select(vec![
                1u16, 5, 6, 7, 8, 9, 11, 12, 0x8000, 0x8001, 0x8005, 0x8008, 0xC000, 0xC004,
                0xC006, 0x4000,
            ]),
            0u16..16,
            any::<u16>(),
        ];
        let value = prop_oneof![
            prop::collection::vec(any::<u8>(), 0..4),
            Just(vec![0u8; 4]),
            Just(vec![0u8; 16]),
            prop::collection::vec(any::<u8>(), 0..40),
        ];
        (kind, value, -5i32..=5, prop::bool::weighted(0.8), any::<bool>()).prop_map(
            |(kind, value, delta, exact, pad)| {
                let true_len = 4 + value.len() as i32;
                let len = if exact { true_len } else { (true_len + delta).clamp(0, 0xffff) };
                let mut v = kind.to_be_bytes().to_vec();
                v.extend_from_slice(&(len as u16).to_be_bytes());
                v.extend_from_slice(&value);
                if pad {
                    v.resize(v.len() + pad4(value.len()), 0);
                }
                v
            },
        )
    }

    /// A chunk with a plausible type whose body is a type-specific fixed
    /// part (random values; small SACK counts) followed by TLVs, with a
    /// length field that is usually right.
    fn chunk() -> impl Strategy<Value = Vec<u8>> {
        let ctype = prop_oneof![
            4 => prop::sample::select(vec![
                CHUNK_DATA,
                CHUNK_INIT,
                CHUNK_INIT_ACK,
                CHUNK_SACK,
                CHUNK_HEARTBEAT,
                CHUNK_HEARTBEAT_ACK,
                CHUNK_ABORT,
                CHUNK_SHUTDOWN,
                CHUNK_SHUTDOWN_ACK,
                CHUNK_ERROR,
                CHUNK_COOKIE_ECHO,
                CHUNK_COOKIE_ACK,
                CHUNK_SHUTDOWN_COMPLETE,
                CHUNK_PAD,
                CHUNK_FORWARD_TSN,
            ]),
            1 => any::<u8>(),
        ];
        ctype
            .prop_flat_map(|ctype| {
                let fixed = match ctype {
                    CHUNK_DATA => 12,
                    CHUNK_INIT | CHUNK_INIT_ACK => 16,
                    CHUNK_SACK => 8,
                    CHUNK_SHUTDOWN | CHUNK_FORWARD_TSN => 4,
                    _ => 0,
                };
                let prefix = prop_oneof![
                    4 => prop::collection::vec(any::<u8>(), fixed..=fixed),
                    1 => prop::collection::vec(any::<u8>(), 0..24),
                ];
                let counts = if ctype == CHUNK_SACK {
                    (0u16..5, 0u16..5)
                        .prop_map(|(g, d)| [g.to_be_bytes(), d.to_be_bytes()].concat())
                        .boxed()
                } else {
                    Just(Vec::new()).boxed()
                };
                (
                    Just(ctype),
                    any::<u8>(),
                    prefix,
                    counts,
                    prop::collection::vec(tlv(), 0..5),
                    -6i32..=6,
                    prop::bool::weighted(0.8),
                )
            })
            .prop_map(|(ctype, flags, prefix, counts, tlvs, delta, exact)| {
                let mut body = prefix;
                body.extend_from_slice(&counts);
                for t in tlvs {
                    body.extend_from_slice(&t);
                }
                let true_len = 4 + body.len() as i32;
                let len = if exact { true_len } else { (true_len + delta).clamp(0, 0xffff) };
                let mut v = vec![ctype, flags];
                v.extend_from_slice(&(len as u16).to_be_bytes());
                v.extend_from_slice(&body);
                v.resize(v.len() + pad4(body.len()), 0);
                v
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn fuzz_raw_bytes(bytes in prop::collection::vec(any::<u8>(), 0..=2048)) {
            drain(&Bytes::from(bytes.clone()));
            drain(&with_crc(bytes));
        }

        #[test]
        fn fuzz_structured_chunks(
            vtag in any::<u32>(),
            chunks in prop::collection::vec(chunk(), 0..8),
            trailer in prop::collection::vec(any::<u8>(), 0..4),
        ) {
            let mut p = Vec::new();
            write_header(&mut p, &CommonHeader { src_port: 1, dst_port: 2, vtag });
            for c in &chunks {
                p.extend_from_slice(c);
            }
            p.extend_from_slice(&trailer);
            let pkt = with_crc(p);
            prop_assert!(parse_packet(&pkt).is_ok());
            drain(&pkt);
        }
    }
}
