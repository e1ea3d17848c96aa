//! Serial number arithmetic for TSNs (32 bit) and SSNs (16 bit), RFC 9260
//! section 1.6 (RFC 1982 with SERIAL_BITS 32 / 16).

/// `a < b` in 32-bit serial arithmetic.
#[inline]
pub fn lt32(a: u32, b: u32) -> bool {
    a != b && b.wrapping_sub(a) < (1 << 31)
}
/// `a <= b` in 32-bit serial arithmetic.
#[inline]
pub fn le32(a: u32, b: u32) -> bool {
    a == b || lt32(a, b)
}
/// `a > b` in 32-bit serial arithmetic.
#[inline]
pub fn gt32(a: u32, b: u32) -> bool {
    lt32(b, a)
}
/// `a >= b` in 32-bit serial arithmetic.
#[inline]
pub fn ge32(a: u32, b: u32) -> bool {
    a == b || lt32(b, a)
}
/// `a < b` in 16-bit serial arithmetic.
#[inline]
pub fn lt16(a: u16, b: u16) -> bool {
    a != b && b.wrapping_sub(a) < (1 << 15)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn wraps() {
        assert!(lt32(u32::MAX, 0));
        assert!(lt32(0xFFFF_FFF0, 5));
        assert!(!lt32(5, 0xFFFF_FFF0));
        assert!(gt32(1, u32::MAX));
        assert!(le32(7, 7) && ge32(7, 7));
        assert!(lt16(65535, 0));
        assert!(!lt16(0, 0));
    }
}
