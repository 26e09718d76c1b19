//! Programs: one per function symbol in an executable section, typed by its `SEC()` name,
//! with subprograms appended and relocations resolved to instruction indices.

use crate::btf::{CoreRelo, FuncInfo, LineInfo};
use crate::{AttachType, Insn, ProgType, Relocation};

/// What a `SEC()` name says about a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramKind {
    pub prog_type: ProgType,
    /// `expected_attach_type` for `BPF_PROG_LOAD`, and the attach type for `BPF_PROG_ATTACH`.
    pub expected_attach_type: Option<AttachType>,
    /// What follows the prefix, e.g. the function of `kprobe/tcp_connect`.
    pub attach_target: Option<String>,
}

/// How a section name was classified (for `inspect`, and for the loader's refusal of
/// functions that no section rule types).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionInfo {
    pub section: String,
    pub kind: Option<ProgramKind>,
    /// The section's functions that are programs (or would be, were the section's type
    /// known), in offset order; subprograms other code calls are not listed.
    pub functions: Vec<String>,
}

/// One loadable program, linked: its own instructions followed by every subprogram it
/// calls (transitively), with call offsets already fixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// The function symbol's name (kernel name is this truncated to 15 bytes).
    pub name: String,
    /// The ELF section it came from (its `SEC()` name).
    pub section: String,
    pub kind: ProgramKind,
    pub insns: Vec<Insn>,
    /// Map and data relocations, indices into `insns`.
    pub relocations: Vec<Relocation>,
    /// Names of the subprograms appended after the program's own instructions.
    pub subprograms: Vec<String>,
    /// `.BTF.ext` func_info rebased to `insns` (instruction indices), main function first.
    pub func_info: Vec<FuncInfo>,
    /// `.BTF.ext` line_info rebased to `insns` (instruction indices).
    pub line_info: Vec<LineInfo>,
    /// `.BTF.ext` CO-RE relocations, `insn_off` rebased to `insns` (an instruction index,
    /// not bytes); type ids and access strings refer to the object's `.BTF`.
    pub core_relos: Vec<CoreRelo>,
    /// `attach_btf_id` for `BPF_PROG_LOAD`: the kernel BTF id of what a `tp_btf`, `fentry`,
    /// `fexit`, `fmod_ret`, `lsm` or `iter` program attaches to. The parser leaves it `None`;
    /// the loader fills it from the running kernel's BTF.
    pub attach_btf_id: Option<u32>,
}
