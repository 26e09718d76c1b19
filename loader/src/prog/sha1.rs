//! SHA-1, only to compute program tags the way kernels before 6.18 do (`bpf_prog_calc_tag`,
//! see [`crate::prog::tag`]) and iproute2's `PIN_OBJECT_NS` directories. The digest is
//! RustCrypto's `sha1`; the tests pin the FIPS 180 answers this crate relies on. Not for
//! anything security-relevant: the kernel's tag is a fingerprint, and so is ours.

use ::sha1::{Digest, Sha1};

/// The SHA-1 digest of `data`.
pub fn digest(data: &[u8]) -> [u8; 20] {
    Sha1::digest(data).into()
}

#[cfg(test)]
mod tests {
    use super::digest;

    fn hex(d: [u8; 20]) -> String {
        crate::hex::encode(&d)
    }

    #[test]
    fn known_answers() {
        // FIPS 180 examples and the padding edge cases (55, 56, 64 bytes).
        assert_eq!(hex(digest(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex(digest(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex(digest(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(
            hex(digest(&[b'a'; 55])),
            "c1c8bbdc22796e28c0e15163d20899b65621d65a"
        );
        assert_eq!(
            hex(digest(&[b'a'; 56])),
            "c2db330f6083854c99d4b5bfb6e8f29f201be699"
        );
        assert_eq!(
            hex(digest(&[b'a'; 64])),
            "0098ba824b5c16427bd7a1122a5a442a25ec644d"
        );
        let million = vec![b'a'; 1_000_000];
        assert_eq!(
            hex(digest(&million)),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
    }
}
