//! Kernel log buffers (verifier and BTF logs): sizing and turning them into text.

/// First log buffer size: 64 KiB.
pub const LOG_START: usize = 64 * 1024;
/// Largest log buffer: 16 MiB.
pub const LOG_MAX: usize = 16 * 1024 * 1024;

/// The text the kernel wrote into `buf`: up to the first NUL, invalid UTF-8 replaced.
pub fn text(buf: &[u8]) -> String {
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// The last `n` non-empty lines of a log (the verifier's verdict is at the end).
pub fn tail(log: &str, n: usize) -> String {
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(n);
    lines[start..].join("\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_and_tail() {
        assert_eq!(super::text(b"ab\ncd\0junk"), "ab\ncd");
        assert_eq!(super::text(b"abc"), "abc");
        assert_eq!(super::tail("1\n2\n\n3\n", 2), "2\n3");
        assert_eq!(super::tail("1\n", 5), "1");
    }
}
