//! Lower-case hex, the one form rawbpf writes bytes in: program tags (`ebde15a3b506c110`),
//! the `*_hex` fields of `map dump`, the SHA-1 directory of iproute2 `PIN_OBJECT_NS` pins,
//! and the spaced text form of `map dump`'s human output.
//! Pure; imports nothing.

use std::fmt::Write;

/// `bytes` as hex without separators: `[0x7f, 0, 0, 1]` is `7f000001`.
pub fn encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// `bytes` as hex separated by spaces: `[0x7f, 0, 0, 1]` is `7f 00 00 01`.
pub fn spaced(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        let sep = if i == 0 { "" } else { " " };
        let _ = write!(s, "{sep}{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_forms() {
        assert_eq!(encode(&[0x7f, 0, 0, 1]), "7f000001");
        assert_eq!(spaced(&[0x7f, 0, 0, 1]), "7f 00 00 01");
        assert_eq!(encode(&[]), "");
        assert_eq!(spaced(&[]), "");
        assert_eq!(encode(&[0xab, 0xff]), "abff");
    }
}
