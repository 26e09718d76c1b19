//! Externs: `extern ... __kconfig` variables, `extern ... __ksym` variables and kfuncs.
//!
//! An extern is an undefined global or weak symbol; the object's BTF says which kind it is
//! (a `VAR` in the `.kconfig` or `.ksyms` `DATASEC`, or an extern `FUNC`). `__kconfig`
//! externs get a place in a synthesized `.kconfig` data section (laid out like libbpf: by
//! alignment, largest first, then by name) and are read through it like global data; the
//! loader fills in their values. `__ksym` externs are left to the loader as
//! [`crate::Relocation::Extern`]s (see `docs/objects.md`).

use std::collections::HashMap;

use crate::btf::{Btf, BtfType, FuncLinkage};
use crate::elf_file::{ElfFile, STB_LOCAL, STT_FILE, STT_SECTION};
use crate::{Error, Result};

/// One extern of the object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extern {
    pub name: String,
    pub kind: ExternKind,
    /// Declared `__weak`: when the kernel does not have it, it reads as zero instead of
    /// failing the load.
    pub weak: bool,
}

/// What an extern is, from the object's BTF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternKind {
    /// A `__kconfig` variable (`LINUX_KERNEL_VERSION`, `CONFIG_*`): its BTF type and its
    /// place in the `.kconfig` data section.
    Kconfig {
        type_id: u32,
        offset: u32,
        size: u32,
    },
    /// A `__ksym` variable. `type_id` is `None` for a typeless one (`extern const void x
    /// __ksym`, resolved to an address from `/proc/kallsyms`); a typed one is resolved to a
    /// kernel BTF id.
    Ksym { type_id: Option<u32> },
    /// A kfunc (`extern ... f(...) __ksym`): `func_id` is its `FUNC` in the object's BTF.
    Kfunc { func_id: u32 },
    /// The object has no BTF describing the symbol: rawbpf cannot tell what it is.
    Unknown,
}

/// Every extern, with `.kconfig` offsets assigned, and the size of `.kconfig`.
pub(crate) fn collect(elf: &ElfFile<'_>, btf: Option<&Btf>) -> Result<(Vec<Extern>, u32)> {
    let mut externs = Vec::new();
    for sym in &elf.symbols {
        if sym.section.is_some()
            || sym.name.is_empty()
            || sym.bind == STB_LOCAL
            || sym.kind == STT_SECTION
            || sym.kind == STT_FILE
            || !sym.undefined
        {
            continue;
        }
        if externs.iter().any(|e: &Extern| e.name == sym.name) {
            continue;
        }
        let kind = match btf {
            Some(btf) => kind_of(btf, &sym.name)?,
            None => ExternKind::Unknown,
        };
        externs.push(Extern {
            name: sym.name.clone(),
            kind,
            weak: sym.bind == crate::elf_file::STB_WEAK,
        });
    }
    let size = layout_kconfig(btf, &mut externs)?;
    Ok((externs, size))
}

/// The kind of extern `name` from the BTF `DATASEC`s `.kconfig` / `.ksyms` or an extern `FUNC`.
fn kind_of(btf: &Btf, name: &str) -> Result<ExternKind> {
    for (section, is_kconfig) in [(".kconfig", true), (".ksyms", false)] {
        let Some((_, datasec)) = btf.datasec(section) else {
            continue;
        };
        for secinfo in &datasec.vars {
            match btf.type_by_id(secinfo.type_id)? {
                BtfType::Var(v) if btf.string(v.name_off)? == name => {
                    if is_kconfig {
                        return Ok(ExternKind::Kconfig {
                            type_id: v.type_id,
                            offset: 0,
                            size: btf.size_of(v.type_id)?,
                        });
                    }
                    let (_, target) = btf.resolve(v.type_id)?;
                    let typed = !matches!(target, BtfType::Void);
                    return Ok(ExternKind::Ksym {
                        type_id: typed.then_some(v.type_id),
                    });
                }
                BtfType::Func(f) if btf.string(f.name_off)? == name => {
                    return Ok(ExternKind::Kfunc {
                        func_id: secinfo.type_id,
                    });
                }
                _ => {}
            }
        }
    }
    // An extern FUNC outside any DATASEC (older clang): a kfunc as well.
    for (id, t) in btf.types().iter().enumerate() {
        if let BtfType::Func(f) = t
            && f.linkage == FuncLinkage::Extern
            && btf.string(f.name_off)? == name
        {
            let func_id = u32::try_from(id).map_err(|_| Error::BtfType {
                type_id: u32::MAX,
                reason: "type id overflow".into(),
            })?;
            return Ok(ExternKind::Kfunc { func_id });
        }
    }
    Ok(ExternKind::Unknown)
}

/// Natural alignment of a `__kconfig` variable's type (1, 2, 4 or 8).
fn align_of(btf: &Btf, type_id: u32) -> Result<u32> {
    let (_, t) = btf.resolve(type_id)?;
    Ok(match t {
        BtfType::Array(a) => return align_of(btf, a.elem_type),
        BtfType::Int(i) => i.size.clamp(1, 8),
        BtfType::Enum(e) => e.size.clamp(1, 8),
        BtfType::Enum64(e) => e.size.clamp(1, 8),
        BtfType::Ptr(_) => 8,
        _ => 8,
    })
}

/// Assigns `.kconfig` offsets: by alignment (largest first), then by name, each aligned.
fn layout_kconfig(btf: Option<&Btf>, externs: &mut [Extern]) -> Result<u32> {
    let Some(btf) = btf else { return Ok(0) };
    let mut order: Vec<(u32, String, usize)> = Vec::new();
    for (i, e) in externs.iter().enumerate() {
        if let ExternKind::Kconfig { type_id, .. } = e.kind {
            order.push((align_of(btf, type_id)?, e.name.clone(), i));
        }
    }
    order.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut end: u32 = 0;
    for (align, _, i) in order {
        let Some(Extern {
            kind: ExternKind::Kconfig { offset, size, .. },
            name,
            ..
        }) = externs.get_mut(i)
        else {
            continue;
        };
        let overflow = || Error::Symbol {
            symbol: name.clone(),
            reason: ".kconfig layout overflows".into(),
        };
        let start = end.checked_next_multiple_of(align).ok_or_else(overflow)?;
        *offset = start;
        end = start.checked_add(*size).ok_or_else(overflow)?;
    }
    Ok(end)
}

/// `.kconfig` offsets by extern name, for the linker.
pub(crate) fn kconfig_offsets(externs: &[Extern]) -> HashMap<String, u32> {
    externs
        .iter()
        .filter_map(|e| match e.kind {
            ExternKind::Kconfig { offset, .. } => Some((e.name.clone(), offset)),
            _ => None,
        })
        .collect()
}
