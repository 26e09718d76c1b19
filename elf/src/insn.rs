//! One BPF instruction, `struct bpf_insn` (8 bytes), in host-independent form.

/// `struct bpf_insn` from `include/uapi/linux/bpf.h`: opcode, dst/src registers, offset, imm.
///
/// Kept as fields (not raw bytes) so both byte orders parse to the same value; the loader
/// encodes it for the host with [`Insn::to_le_bytes`] (loading big-endian objects is refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Insn {
    pub code: u8,
    pub dst_reg: u8,
    pub src_reg: u8,
    pub off: i16,
    pub imm: i32,
}

impl Insn {
    /// `BPF_LD | BPF_IMM | BPF_DW`: the first half of a 16-byte `ld_imm64`.
    pub const LD_IMM64: u8 = 0x18;
    /// `BPF_JMP | BPF_CALL`.
    pub const CALL: u8 = 0x85;
    /// `src_reg` of a call to a BPF-to-BPF function (`BPF_PSEUDO_CALL`).
    pub const PSEUDO_CALL: u8 = 1;
    /// `src_reg` of an `ld_imm64` holding a map fd (`BPF_PSEUDO_MAP_FD`).
    pub const PSEUDO_MAP_FD: u8 = 1;
    /// `src_reg` of an `ld_imm64` holding a map fd and a value offset (`BPF_PSEUDO_MAP_VALUE`).
    pub const PSEUDO_MAP_VALUE: u8 = 2;
    /// `src_reg` of an `ld_imm64` holding a function address (`BPF_PSEUDO_FUNC`).
    pub const PSEUDO_FUNC: u8 = 4;

    /// Decodes 8 bytes in the object's byte order.
    pub fn from_bytes(b: [u8; 8], big_endian: bool) -> Insn {
        let (dst_reg, src_reg) = if big_endian {
            (b[1] >> 4, b[1] & 0x0f)
        } else {
            (b[1] & 0x0f, b[1] >> 4)
        };
        let (off, imm) = if big_endian {
            (
                i16::from_be_bytes([b[2], b[3]]),
                i32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            )
        } else {
            (
                i16::from_le_bytes([b[2], b[3]]),
                i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            )
        };
        Insn {
            code: b[0],
            dst_reg,
            src_reg,
            off,
            imm,
        }
    }

    /// Encodes for a little-endian kernel (the only kind rawbpf loads into).
    pub fn to_le_bytes(self) -> [u8; 8] {
        let o = self.off.to_le_bytes();
        let i = self.imm.to_le_bytes();
        [
            self.code,
            (self.dst_reg & 0x0f) | (self.src_reg << 4),
            o[0],
            o[1],
            i[0],
            i[1],
            i[2],
            i[3],
        ]
    }

    /// True for the first half of an `ld_imm64` (which occupies two instruction slots).
    pub fn is_ld_imm64(self) -> bool {
        self.code == Self::LD_IMM64
    }

    /// True for a BPF-to-BPF call (`call` with `src_reg == BPF_PSEUDO_CALL`).
    pub fn is_pseudo_call(self) -> bool {
        self.code == Self::CALL && self.src_reg == Self::PSEUDO_CALL
    }
}
