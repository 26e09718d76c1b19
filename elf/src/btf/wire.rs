//! Bounds-checked integer reads in a blob's byte order, and little-endian writes.
//!
//! Every read returns `None` past the end instead of panicking; callers turn that into an
//! [`crate::Error`] with the offset they were reading at.

/// A byte slice read as `u32` in the byte order the BTF magic announced.
#[derive(Debug, Clone, Copy)]
pub(super) struct Reader<'a> {
    data: &'a [u8],
    big_endian: bool,
}

impl<'a> Reader<'a> {
    pub(super) fn new(data: &'a [u8], big_endian: bool) -> Self {
        Reader { data, big_endian }
    }

    pub(super) fn len(&self) -> usize {
        self.data.len()
    }

    /// `len` bytes at `off`, or `None` if any of them is past the end.
    pub(super) fn sub(&self, off: usize, len: usize) -> Option<Reader<'a>> {
        let data = self.data.get(off..off.checked_add(len)?)?;
        Some(Reader {
            data,
            big_endian: self.big_endian,
        })
    }

    /// Everything from `off` on, or `None` if `off` is past the end.
    pub(super) fn tail(&self, off: usize) -> Option<Reader<'a>> {
        let data = self.data.get(off..)?;
        Some(Reader {
            data,
            big_endian: self.big_endian,
        })
    }

    pub(super) fn bytes(&self) -> &'a [u8] {
        self.data
    }

    pub(super) fn u8_at(&self, off: usize) -> Option<u8> {
        self.data.get(off).copied()
    }

    /// The two `u32`s at `off` and `off + 4`, with one bounds check (record heads).
    #[inline]
    pub(super) fn u32_pair_at(&self, off: usize) -> Option<(u32, u32)> {
        let b: &[u8; 8] = self.data.get(off..off.checked_add(8)?)?.try_into().ok()?;
        let (lo, hi) = ([b[0], b[1], b[2], b[3]], [b[4], b[5], b[6], b[7]]);
        Some(if self.big_endian {
            (u32::from_be_bytes(lo), u32::from_be_bytes(hi))
        } else {
            (u32::from_le_bytes(lo), u32::from_le_bytes(hi))
        })
    }

    pub(super) fn u32_at(&self, off: usize) -> Option<u32> {
        let b: [u8; 4] = self.data.get(off..off.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }
}

/// Appends `v` in little-endian order (the order `to_bytes` emits).
pub(super) fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// A length that came from a `u32` field converted back; saturates rather than wrapping
/// (never reached for blobs built by [`super::Btf::parse`], whose lengths fit in `u32`).
pub(super) fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
