//! Section names: `SEC("...")` to program type and expected attach type.

use crate::ProgramKind;

/// Classifies a section name the way libbpf does (prefix rules). `None` for sections that
/// are not programs.
pub fn classify(_section: &str) -> Option<ProgramKind> {
    todo!("elf helper: section name table")
}
