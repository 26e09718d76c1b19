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

/// Makes the externs' BTF loadable, as libbpf does before `BPF_BTF_LOAD`: the kernel refuses
/// extern linkage on `VAR`s and `FUNC`s, unnamed parameters of a `FUNC`'s prototype, `FUNC`s
/// inside a `DATASEC`, and `DATASEC`s of size 0. So: `.kconfig` gets its layout (size and
/// the offset of each variable, from [`crate::ExternKind::Kconfig`]); in `.ksyms` every entry
/// becomes a 4-byte `int` variable (kfuncs point at one dummy variable); extern linkage
/// becomes global; unnamed parameters of extern functions take the function's name.
pub(super) fn fix_externs(
    btf: &mut Btf,
    externs: &[crate::Extern],
    kconfig_size: u32,
) -> Result<()> {
    fix_extern_linkage(btf);
    fix_kconfig(btf, externs, kconfig_size)?;
    fix_ksyms(btf);
    Ok(())
}

/// Extern `VAR`s and `FUNC`s become global; unnamed parameters of extern functions take the
/// function's name.
fn fix_extern_linkage(btf: &mut Btf) {
    use super::types::{FuncLinkage, VarLinkage};
    let mut extern_protos = Vec::new();
    for t in &mut btf.types {
        match t {
            BtfType::Var(v) if v.linkage == VarLinkage::GlobalExtern => {
                v.linkage = VarLinkage::GlobalAllocated
            }
            BtfType::Func(f) if f.linkage == FuncLinkage::Extern => {
                f.linkage = FuncLinkage::Global;
                extern_protos.push((f.proto, f.name_off));
            }
            _ => {}
        }
    }
    for (proto, name_off) in extern_protos {
        if let Some(BtfType::FuncProto(p)) = btf.types.get_mut(proto as usize) {
            for param in &mut p.params {
                if param.type_id != 0 && param.name_off == 0 {
                    param.name_off = name_off;
                }
            }
        }
    }
}

/// `.kconfig` gets its layout: its size and each variable's offset and size, from
/// [`crate::ExternKind::Kconfig`].
fn fix_kconfig(btf: &mut Btf, externs: &[crate::Extern], kconfig_size: u32) -> Result<()> {
    if let Some((id, _)) = btf.datasec(".kconfig") {
        let original = btf.clone();
        if let Some(BtfType::Datasec(d)) = btf.types.get_mut(id as usize) {
            d.size = kconfig_size;
            for v in &mut d.vars {
                let (_, name) = original.secinfo_var(v)?;
                let found = externs.iter().find_map(|e| match e.kind {
                    crate::ExternKind::Kconfig { offset, size, .. } if e.name == name => {
                        Some((offset, size))
                    }
                    _ => None,
                });
                let Some((offset, size)) = found else {
                    return Err(Error::BtfType {
                        type_id: id,
                        reason: format!(
                            "DATASEC .kconfig: variable {name} is not an extern of the object"
                        ),
                    });
                };
                v.offset = offset;
                v.size = size;
            }
            d.vars.sort_by_key(|v| v.offset);
        }
    }
    Ok(())
}

/// Every `.ksyms` entry becomes a 4-byte `int` variable; kfuncs point at one dummy variable.
fn fix_ksyms(btf: &mut Btf) {
    use super::types::{Int, Var, VarLinkage};
    if let Some((id, ksyms)) = btf.datasec(".ksyms") {
        let entries: Vec<u32> = ksyms.vars.iter().map(|v| v.type_id).collect();
        let int_id = match btf.types.iter().position(
            |t| matches!(t, BtfType::Int(i) if i.size == 4 && i.bits == 32 && i.offset == 0),
        ) {
            Some(i) => len32(i),
            None => {
                let name_off = append_string(btf, "int");
                btf.types.push(BtfType::Int(Int {
                    name_off,
                    size: 4,
                    encoding: 1,
                    offset: 0,
                    bits: 32,
                }));
                len32(btf.types.len() - 1)
            }
        };
        let has_func = entries
            .iter()
            .any(|&t| matches!(btf.types.get(t as usize), Some(BtfType::Func(_))));
        let dummy = if has_func {
            let name_off = append_string(btf, "__rawbpf_dummy_ksym");
            btf.types.push(BtfType::Var(Var {
                name_off,
                type_id: int_id,
                linkage: VarLinkage::GlobalAllocated,
            }));
            len32(btf.types.len() - 1)
        } else {
            0
        };
        for &t in &entries {
            if let Some(BtfType::Var(v)) = btf.types.get_mut(t as usize) {
                v.type_id = int_id;
                v.linkage = VarLinkage::GlobalAllocated;
            }
        }
        if let Some(BtfType::Datasec(d)) = btf.types.get_mut(id as usize) {
            for (i, v) in d.vars.iter_mut().enumerate() {
                v.offset = len32(i).saturating_mul(4);
                v.size = 4;
            }
            d.size = len32(d.vars.len()).saturating_mul(4);
        }
        // Point the FUNC entries at the dummy variable.
        let funcs: Vec<bool> = entries
            .iter()
            .map(|&t| matches!(btf.types.get(t as usize), Some(BtfType::Func(_))))
            .collect();
        if let Some(BtfType::Datasec(d)) = btf.types.get_mut(id as usize) {
            for (v, is_func) in d.vars.iter_mut().zip(funcs) {
                if is_func {
                    v.type_id = dummy;
                }
            }
        }
    }
}

/// Appends a NUL-terminated string to the string table; returns its offset.
fn append_string(btf: &mut Btf, s: &str) -> u32 {
    let off = len32(btf.strings.len());
    btf.strings.extend_from_slice(s.as_bytes());
    btf.strings.push(0);
    btf.header.str_len = len32(btf.strings.len());
    off
}
