//! Lower-case hex, the one form rawbpf writes bytes in: program tags (`ebde15a3b506c110`),
//! the `*_hex` fields of `map dump`, the SHA-1 directory of iproute2 `PIN_OBJECT_NS` pins,
//! and the spaced text form of `map dump`'s human output; and back, for `--key-hex`.
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

/// Parses hex bytes as `encode` or `spaced` writes them: `7f000001`, `7f 00 00 01`,
/// `0x7f 0x0 0x0 0x1`. A spaced word of one digit is one byte. `None` when not hex.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for word in text.split([' ', ',', ':']).filter(|w| !w.is_empty()) {
        let word = word.strip_prefix("0x").unwrap_or(word);
        if word.is_empty() || !word.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let padded = if word.len() % 2 == 1 {
            format!("0{word}")
        } else {
            word.to_string()
        };
        for pair in padded.as_bytes().chunks(2) {
            let digits = std::str::from_utf8(pair).ok()?;
            out.push(u8::from_str_radix(digits, 16).ok()?);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_it_writes() {
        let b = [0x7f, 0, 0, 1];
        assert_eq!(decode(&encode(&b)).unwrap(), b);
        assert_eq!(decode(&spaced(&b)).unwrap(), b);
        assert_eq!(decode("0x7f 0x0 0 1").unwrap(), b);
        assert_eq!(decode("").unwrap(), Vec::<u8>::new());
        assert!(decode("7g").is_none());
        assert!(decode("0x").is_none());
    }

    #[test]
    fn hex_forms() {
        assert_eq!(encode(&[0x7f, 0, 0, 1]), "7f000001");
        assert_eq!(spaced(&[0x7f, 0, 0, 1]), "7f 00 00 01");
        assert_eq!(encode(&[]), "");
        assert_eq!(spaced(&[]), "");
        assert_eq!(encode(&[0xab, 0xff]), "abff");
    }
}
