//! `.BTF.ext`: func_info, line_info and CO-RE relocation records, grouped by section.

use crate::Result;

/// `struct bpf_func_info`: `insn_off` is in bytes within the section as parsed from the file,
/// and in instructions once rebased onto a linked [`crate::Program`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuncInfo {
    pub insn_off: u32,
    pub type_id: u32,
}

/// `struct bpf_line_info`; `insn_off` as for [`FuncInfo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineInfo {
    pub insn_off: u32,
    pub file_name_off: u32,
    pub line_off: u32,
    /// Line number in the high 22 bits, column in the low 10 (`BPF_LINE_INFO_LINE_NUM`).
    pub line_col: u32,
}

impl LineInfo {
    pub fn line(&self) -> u32 {
        self.line_col >> 10
    }
    pub fn column(&self) -> u32 {
        self.line_col & 0x3ff
    }
}

/// `enum bpf_core_relo_kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreReloKind {
    FieldByteOffset,
    FieldByteSize,
    FieldExists,
    FieldSigned,
    FieldLshiftU64,
    FieldRshiftU64,
    TypeIdLocal,
    TypeIdTarget,
    TypeExists,
    TypeSize,
    EnumvalExists,
    EnumvalValue,
    TypeMatches,
    Unknown(u32),
}

/// `struct bpf_core_relo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreRelo {
    pub insn_off: u32,
    pub type_id: u32,
    pub access_str_off: u32,
    pub kind: CoreReloKind,
}

/// func_info records of one section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecFuncInfo {
    pub section: String,
    pub records: Vec<FuncInfo>,
}

/// line_info records of one section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecLineInfo {
    pub section: String,
    pub records: Vec<LineInfo>,
}

/// CO-RE records of one section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecCoreRelo {
    pub section: String,
    pub records: Vec<CoreRelo>,
}

/// A parsed `.BTF.ext` section. Section names are resolved through the `.BTF` string table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BtfExt {
    pub func_info: Vec<SecFuncInfo>,
    pub line_info: Vec<SecLineInfo>,
    pub core_relos: Vec<SecCoreRelo>,
}

impl BtfExt {
    /// Parses `.BTF.ext`; names are looked up in `btf`'s string table.
    pub fn parse(_data: &[u8], _btf: &super::Btf) -> Result<BtfExt> {
        todo!("btf helper: .BTF.ext parser")
    }
}
