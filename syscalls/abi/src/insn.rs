//! One BPF instruction, `struct bpf_insn` (8 bytes), and the opcode fields it is made of
//! (`include/uapi/linux/bpf_common.h` and `bpf.h`).
//!
//! An opcode is `class | size | mode` for loads and stores and `class | op | source` for
//! ALU and jump instructions; the constants below carry the kernel's names.

/// `BPF_LD`: class of `ld_imm64` (and the legacy packet loads).
pub const BPF_LD: u8 = 0x00;
/// `BPF_LDX`: load from memory into a register.
pub const BPF_LDX: u8 = 0x01;
/// `BPF_ST`: store an immediate to memory.
pub const BPF_ST: u8 = 0x02;
/// `BPF_STX`: store a register to memory.
pub const BPF_STX: u8 = 0x03;
/// `BPF_ALU`: 32-bit arithmetic.
pub const BPF_ALU: u8 = 0x04;
/// `BPF_JMP`: 64-bit jumps, calls and exit.
pub const BPF_JMP: u8 = 0x05;
/// `BPF_JMP32`: 32-bit jumps.
pub const BPF_JMP32: u8 = 0x06;
/// `BPF_ALU64`: 64-bit arithmetic.
pub const BPF_ALU64: u8 = 0x07;

/// `BPF_W`: 4-byte load/store.
pub const BPF_W: u8 = 0x00;
/// `BPF_H`: 2-byte load/store.
pub const BPF_H: u8 = 0x08;
/// `BPF_B`: 1-byte load/store.
pub const BPF_B: u8 = 0x10;
/// `BPF_DW`: 8-byte load/store.
pub const BPF_DW: u8 = 0x18;

/// `BPF_IMM`: mode of `ld_imm64`.
pub const BPF_IMM: u8 = 0x00;
/// `BPF_MEM`: mode of ordinary loads and stores.
pub const BPF_MEM: u8 = 0x60;

/// `BPF_K`: the ALU/jump operand is `imm`.
pub const BPF_K: u8 = 0x00;
/// `BPF_X`: the ALU/jump operand is `src_reg`.
pub const BPF_X: u8 = 0x08;

/// `BPF_MOV`: ALU operation "move".
pub const BPF_MOV: u8 = 0xb0;
/// `BPF_CALL`: jump operation "call a helper, kfunc or subprogram".
pub const BPF_CALL: u8 = 0x80;
/// `BPF_EXIT`: jump operation "return from the program".
pub const BPF_EXIT: u8 = 0x90;

/// `BPF_CLASS(code)`: one of `BPF_LD` … `BPF_ALU64`.
pub const fn class(code: u8) -> u8 {
    code & 0x07
}

/// `BPF_SIZE(code)`: one of `BPF_W`, `BPF_H`, `BPF_B`, `BPF_DW`.
pub const fn size(code: u8) -> u8 {
    code & 0x18
}

/// `BPF_SRC(code)`: `BPF_K` or `BPF_X`.
pub const fn source(code: u8) -> u8 {
    code & 0x08
}

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
    /// Bytes of one encoded instruction.
    pub const SIZE: usize = 8;

    /// `BPF_LD | BPF_IMM | BPF_DW`: the first half of a 16-byte `ld_imm64`.
    pub const LD_IMM64: u8 = BPF_LD | BPF_IMM | BPF_DW;
    /// `BPF_JMP | BPF_CALL`.
    pub const CALL: u8 = BPF_JMP | BPF_CALL;
    /// `BPF_JMP | BPF_EXIT`.
    pub const EXIT: u8 = BPF_JMP | BPF_EXIT;
    /// `BPF_ALU64 | BPF_MOV | BPF_K`: `dst_reg = imm`.
    pub const MOV64_IMM: u8 = BPF_ALU64 | BPF_MOV | BPF_K;

    /// `src_reg` of a call to a BPF-to-BPF function (`BPF_PSEUDO_CALL`).
    pub const PSEUDO_CALL: u8 = 1;
    /// `src_reg` of a call to a kernel function by BTF id (`BPF_PSEUDO_KFUNC_CALL`).
    pub const PSEUDO_KFUNC_CALL: u8 = 2;
    /// `src_reg` of an `ld_imm64` holding a map fd (`BPF_PSEUDO_MAP_FD`).
    pub const PSEUDO_MAP_FD: u8 = 1;
    /// `src_reg` of an `ld_imm64` holding a map fd and a value offset (`BPF_PSEUDO_MAP_VALUE`).
    pub const PSEUDO_MAP_VALUE: u8 = 2;
    /// `src_reg` of an `ld_imm64` holding a kernel variable's BTF id (`BPF_PSEUDO_BTF_ID`).
    pub const PSEUDO_BTF_ID: u8 = 3;
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

    /// Decodes 8 little-endian bytes (what the kernel takes and reports on x86, arm64, ...).
    pub fn from_le_bytes(b: [u8; 8]) -> Insn {
        Self::from_bytes(b, false)
    }

    /// Decodes little-endian instructions, 8 bytes each; trailing bytes that do not make a
    /// whole instruction are ignored.
    pub fn decode_le(bytes: &[u8]) -> impl Iterator<Item = Insn> + '_ {
        bytes
            .as_chunks::<8>()
            .0
            .iter()
            .map(|b| Self::from_le_bytes(*b))
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

    /// True for an `ld_imm64` of a map by fd: `src_reg` is `BPF_PSEUDO_MAP_FD` or
    /// `BPF_PSEUDO_MAP_VALUE` (the two forms the kernel's program tag leaves out).
    pub fn is_ld_map_fd(self) -> bool {
        self.is_ld_imm64()
            && (self.src_reg == Self::PSEUDO_MAP_FD || self.src_reg == Self::PSEUDO_MAP_VALUE)
    }

    /// True for a BPF-to-BPF call (`call` with `src_reg == BPF_PSEUDO_CALL`).
    pub fn is_pseudo_call(self) -> bool {
        self.code == Self::CALL && self.src_reg == Self::PSEUDO_CALL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opcodes_are_the_kernels() {
        assert_eq!(
            (Insn::LD_IMM64, Insn::CALL, Insn::EXIT, Insn::MOV64_IMM),
            (0x18, 0x85, 0x95, 0xb7)
        );
        assert_eq!(
            (class(0x61), size(0x61), source(0x0f)),
            (BPF_LDX, BPF_W, BPF_X)
        );
    }

    #[test]
    fn both_byte_orders_decode_alike() {
        let le = [0x18, 0x21, 0x02, 0x00, 0x07, 0x00, 0x00, 0x00];
        let be = [0x18, 0x12, 0x00, 0x02, 0x00, 0x00, 0x00, 0x07];
        let want = Insn {
            code: 0x18,
            dst_reg: 1,
            src_reg: 2,
            off: 2,
            imm: 7,
        };
        assert_eq!(Insn::from_bytes(le, false), want);
        assert_eq!(Insn::from_bytes(be, true), want);
        assert_eq!(want.to_le_bytes(), le);
        assert!(want.is_ld_map_fd() && want.is_ld_imm64() && !want.is_pseudo_call());
        let mut bytes = le.to_vec();
        bytes.extend_from_slice(&[0x95, 0, 0]);
        assert_eq!(
            Insn::decode_le(&bytes).collect::<std::vec::Vec<_>>(),
            [want]
        );
    }
}
