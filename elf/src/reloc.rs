//! Relocations the loader must apply, resolved to plain data.

/// A place in a program's (linked) instruction stream that the loader must patch.
///
/// `insn` is the index of the instruction (in 8-byte slots) within [`crate::Program::insns`]
/// after subprograms were appended, so the loader needs no further offset arithmetic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relocation {
    /// `ld_imm64` of a map: becomes `src_reg = BPF_PSEUDO_MAP_FD`, `imm = fd`.
    MapFd { insn: usize, map: String },
    /// `ld_imm64` of an address in a global data section: becomes `BPF_PSEUDO_MAP_VALUE`,
    /// `imm = fd` of the section's internal map, next `imm = offset`.
    MapValue {
        insn: usize,
        section: String,
        offset: u32,
    },
    /// An instruction that refers to a `__ksym` extern: an `ld_imm64` of a kernel variable's
    /// address (typed or typeless) or of a kfunc (`bpf_ksym_exists`), or a `call` of a kfunc.
    /// The loader resolves it against the running kernel (see [`crate::Extern`]). `__kconfig`
    /// externs never appear here: they are [`Relocation::MapValue`]s into `.kconfig`.
    Extern { insn: usize, name: String },
}

impl Relocation {
    /// Index of the instruction this relocation patches.
    pub fn insn(&self) -> usize {
        match self {
            Relocation::MapFd { insn, .. }
            | Relocation::MapValue { insn, .. }
            | Relocation::Extern { insn, .. } => *insn,
        }
    }
}
