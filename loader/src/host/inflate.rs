//! gzip (RFC 1952) for `/proc/config.gz`, the running kernel's configuration, which
//! `__kconfig` externs read. The member header is parsed here; the DEFLATE stream inside is
//! decoded by `miniz_oxide`. Malformed input is an error, never a panic; output is capped.

/// Largest output accepted (a kernel config is a few hundred KB).
const MAX_OUT: usize = 64 << 20;

/// `FHCRC`: a CRC-16 of the header follows the optional fields.
const FHCRC: u8 = 2;
/// `FEXTRA`: a length-prefixed extra field follows the fixed header.
const FEXTRA: u8 = 4;
/// `FNAME`, `FCOMMENT`: zero-terminated strings.
const FNAME: u8 = 8;
const FCOMMENT: u8 = 16;

/// Decodes a gzip file (one member; the header's optional fields are skipped).
pub fn gunzip(data: &[u8]) -> Option<Vec<u8>> {
    gunzip_limited(data, MAX_OUT)
}

/// [`gunzip`] with at most `max_out` bytes of output.
fn gunzip_limited(data: &[u8], max_out: usize) -> Option<Vec<u8>> {
    if data.get(..3)? != [0x1f, 0x8b, 8] {
        return None;
    }
    let flags = *data.get(3)?;
    let mut pos = 10;
    if flags & FEXTRA != 0 {
        let x = data.get(pos..pos + 2)?;
        pos += 2 + usize::from(u16::from_le_bytes([x[0], x[1]]));
    }
    for bit in [FNAME, FCOMMENT] {
        if flags & bit != 0 {
            pos += data.get(pos..)?.iter().position(|&c| c == 0)? + 1;
        }
    }
    if flags & FHCRC != 0 {
        pos += 2;
    }
    miniz_oxide::inflate::decompress_to_vec_with_limit(data.get(pos..)?, max_out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `payload` DEFLATE-compressed at `level` inside a gzip member with the given header
    /// flags and optional fields (CRC and size trailer zero: they are not checked).
    fn gzip(payload: &[u8], level: u8, flags: u8, optional: &[u8]) -> Vec<u8> {
        let mut gz = vec![0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 3];
        gz.extend_from_slice(optional);
        gz.extend(miniz_oxide::deflate::compress_to_vec(payload, level));
        gz.extend_from_slice(&[0; 8]);
        gz
    }

    #[test]
    fn inflates_stored_and_fixed_blocks() {
        // `printf 'hello hello hello\n' | gzip -n` (fixed Huffman block).
        let gz = [
            0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0x48, 0xcd, 0xc9,
            0xc9, 0x57, 0xc8, 0x40, 0x90, 0x5c, 0x00, 0x3b, 0x7c, 0x8a, 0xdf, 0x12, 0x00, 0x00,
            0x00,
        ];
        assert_eq!(gunzip(&gz).unwrap(), b"hello hello hello\n");
        assert!(gunzip(b"not gzip").is_none());
        assert!(gunzip(&gz[..15]).is_none());
        // Level 0 writes stored blocks.
        assert_eq!(gunzip(&gzip(b"stored", 0, 0, &[])).unwrap(), b"stored");
    }

    #[test]
    fn round_trips_dynamic_blocks_and_skips_optional_fields() {
        let text: Vec<u8> = (0..2000)
            .flat_map(|i| {
                format!("CONFIG_OPTION_{i}=y\n# CONFIG_OTHER_{i} is not set\n").into_bytes()
            })
            .collect();
        assert_eq!(gunzip(&gzip(&text, 6, 0, &[])).unwrap(), text);
        // FEXTRA (2-byte length, 3 bytes), FNAME, FCOMMENT, FHCRC.
        let optional = [&[3, 0, 1, 2, 3][..], b"config\0", b"comment\0", &[0, 0]].concat();
        let flags = FEXTRA | FNAME | FCOMMENT | FHCRC;
        assert_eq!(gunzip(&gzip(&text, 6, flags, &optional)).unwrap(), text);
        // A name that is never terminated, or an extra field longer than the file.
        assert!(gunzip(&[0x1f, 0x8b, 8, FNAME, 0, 0, 0, 0, 0, 3, b'n', b'a']).is_none());
        assert!(gunzip(&gzip(b"", 6, FEXTRA, &[0xff, 0xff])).is_none());
    }

    #[test]
    fn output_is_capped_and_garbage_is_an_error() {
        let zeros = vec![0u8; 10_000];
        let gz = gzip(&zeros, 9, 0, &[]);
        assert_eq!(gunzip_limited(&gz, 10_000).unwrap(), zeros);
        assert!(gunzip_limited(&gz, 9_999).is_none());
        // A header followed by bytes that are no DEFLATE stream (block type 3 is reserved).
        let bad = [&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3][..], &[0xff; 16]].concat();
        assert!(gunzip(&bad).is_none());
    }

    #[test]
    fn inflates_the_running_kernels_config() {
        // Dynamic Huffman blocks; skipped silently where the kernel has no /proc/config.gz.
        if let Ok(gz) = std::fs::read("/proc/config.gz") {
            let text = gunzip(&gz).unwrap();
            assert!(String::from_utf8_lossy(&text).contains("CONFIG_BPF=y"));
        }
    }
}
