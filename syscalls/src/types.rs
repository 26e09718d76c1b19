//! Newtypes for what must not be mixed up.

/// A map's kernel ID (`BPF_MAP_GET_NEXT_ID` space).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MapId(pub u32);

/// A program's kernel ID (`BPF_PROG_GET_NEXT_ID` space).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ProgId(pub u32);

/// A BTF object's kernel ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct BtfId(pub u32);

/// An object name as the kernel stores it: at most 15 bytes plus NUL (`BPF_OBJ_NAME_LEN`),
/// only `[A-Za-z0-9_.]`; longer names are truncated, other characters dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ObjName(pub [u8; 16]);

impl ObjName {
    /// Truncating, sanitising constructor.
    pub fn new(name: &str) -> ObjName {
        let mut out = [0u8; 16];
        let mut n = 0;
        for b in name.bytes() {
            if n == 15 {
                break;
            }
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' {
                out[n] = b;
                n += 1;
            }
        }
        ObjName(out)
    }

    /// The name as text (up to the first NUL).
    pub fn as_str(&self) -> &str {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(16);
        std::str::from_utf8(&self.0[..end]).unwrap_or("")
    }
}
