//! The one error type of the `elf` crate: every malformed input ends here, with context.

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What is wrong with an object file, and where.
///
/// Variants carry the section, symbol, offset or BTF type id the problem was found at, so a
/// message reads on its own. Helpers may add variants; keep one concern per variant.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("not an ELF file: {0}")]
    NotElf(String),
    #[error("ELF machine {machine} is not BPF (EM_BPF = 247)")]
    NotBpf { machine: u16 },
    #[error("ELF class is not 64-bit")]
    Not64Bit,
    #[error("malformed ELF: {0}")]
    Malformed(String),
    #[error("section {section}: {reason}")]
    Section { section: String, reason: String },
    #[error("section {section}: size {size} is not a multiple of 8 (one BPF instruction)")]
    InsnSectionSize { section: String, size: u64 },
    #[error("symbol {symbol}: {reason}")]
    Symbol { symbol: String, reason: String },
    #[error(
        "section {section}, offset {offset:#x}: relocation type {r_type} against {symbol} is not supported"
    )]
    UnsupportedRelocation {
        section: String,
        offset: u64,
        r_type: u32,
        symbol: String,
    },
    #[error("section {section}, offset {offset:#x}: relocation against {symbol}: {reason}")]
    Relocation {
        section: String,
        offset: u64,
        symbol: String,
        reason: String,
    },
    #[error("program {program}: {reason}")]
    Program { program: String, reason: String },
    #[error("map {map}: {reason}")]
    Map { map: String, reason: String },
    #[error("BTF: {reason} (offset {offset:#x})")]
    Btf { offset: u64, reason: String },
    #[error("BTF type {type_id}: {reason}")]
    BtfType { type_id: u32, reason: String },
    /// Bytes that do not decode as the BTF type given for them (a map's key or value).
    #[error("decoding as BTF type {type_id}: {reason}")]
    BtfDecode { type_id: u32, reason: String },
    #[error("BTF.ext: {reason} (offset {offset:#x})")]
    BtfExt { offset: u64, reason: String },
}
