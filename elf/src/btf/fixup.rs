//! Fix-ups the kernel requires before `BPF_BTF_LOAD` (pure data transformation).
//!
//! clang emits every `DATASEC` with size 0 and its variables at offset 0; the real values are
//! the ELF section's size and the symbols' values. The kernel (`btf_datasec_check_meta`)
//! also wants the var secinfos sorted by offset, non-overlapping, each non-empty and inside
//! the section. Nothing else needs sanitising for the 6.18 kernel: every kind up to ENUM64
//! and every FUNC linkage is accepted as emitted, so no kind is stripped.

use super::Btf;
use super::types::{BtfType, Datasec};
use super::wire::len32;
use crate::{Error, Result};

pub(super) fn fix_datasecs(
    btf: &Btf,
    section_size: &dyn Fn(&str) -> Option<u32>,
    symbol_offset: &dyn Fn(&str, &str) -> Option<u32>,
) -> Result<Btf> {
    let mut fixed = btf.clone();
    for (id, t) in fixed.types.iter_mut().enumerate() {
        let BtfType::Datasec(d) = t else { continue };
        fix_one(btf, len32(id), d, section_size, symbol_offset)?;
    }
    Ok(fixed)
}

/// Fixes one `DATASEC` in place; `btf` is the unmodified original, for name lookups.
fn fix_one(
    btf: &Btf,
    type_id: u32,
    d: &mut Datasec,
    section_size: &dyn Fn(&str) -> Option<u32>,
    symbol_offset: &dyn Fn(&str, &str) -> Option<u32>,
) -> Result<()> {
    let sec = btf.string(d.name_off)?;
    // Extern sections (`.kconfig`, `.ksyms`) have no ELF section: left as emitted.
    let Some(size) = section_size(sec) else {
        return Ok(());
    };
    d.size = size;
    for v in &mut d.vars {
        let (var, name) = btf.secinfo_var(v).map_err(|e| Error::BtfType {
            type_id,
            reason: format!("DATASEC {sec}: {e}"),
        })?;
        if let Some(off) = symbol_offset(sec, name) {
            v.offset = off;
        }
        if v.size == 0 {
            v.size = btf.size_of(var.type_id)?;
        }
    }
    d.vars.sort_by_key(|v| v.offset);
    let mut end = 0u64;
    for v in &d.vars {
        let start = u64::from(v.offset);
        let var_end = start + u64::from(v.size);
        if start < end || var_end > u64::from(d.size) {
            let name = btf.secinfo_var(v).map(|(_, n)| n).unwrap_or("?");
            return Err(Error::BtfType {
                type_id,
                reason: format!(
                    "DATASEC {sec}: var {name} at offset {start} size {} overlaps the previous \
                     var or ends past the section ({} bytes)",
                    v.size, d.size
                ),
            });
        }
        end = var_end;
    }
    Ok(())
}
