//! Fix-ups the kernel requires before `BPF_BTF_LOAD` (pure data transformation).

use super::Btf;
use crate::Result;

pub(super) fn fix_datasecs(
    _btf: &Btf,
    _section_size: &dyn Fn(&str) -> Option<u32>,
    _symbol_offset: &dyn Fn(&str, &str) -> Option<u32>,
) -> Result<Btf> {
    todo!("btf helper: DATASEC sizes and var offsets")
}
