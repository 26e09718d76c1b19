//! Code sections decoded into instructions, their function symbols checked and sorted, and
//! the `.BTF.ext` records of each section: what every program of the object is linked from.

use std::collections::{HashMap, HashSet};

use super::linker::Linker;
use super::{Targets, reloc_error};
use crate::btf::{BtfExt, CoreRelo, FuncInfo, LineInfo};
use crate::elf_file::{ElfFile, Rel, STB_LOCAL, STT_FUNC, STT_SECTION, Symbol};
use crate::{Error, Insn, Program, ProgramKind, Result};

/// A function symbol in a code section, in instruction units.
#[derive(Debug, Clone)]
pub(super) struct Function {
    pub(super) name: String,
    pub(super) section: usize,
    pub(super) start: usize,
    pub(super) len: usize,
}

/// Decoded code sections and the functions in them.
pub(super) struct Code<'e, 'a> {
    pub(super) elf: &'e ElfFile<'a>,
    pub(super) targets: &'e Targets,
    /// Instructions of each code section, by ELF section index.
    pub(super) insns: HashMap<usize, Vec<Insn>>,
    /// Function symbols of code sections, sorted by (section, start).
    pub(super) functions: Vec<Function>,
    /// Named symbols by (section, offset): what a relocation against a section symbol means.
    pub(super) objects: HashMap<(usize, u64), String>,
    /// `.BTF.ext` records of each code section, sorted by byte offset.
    pub(super) func_info: HashMap<usize, Vec<FuncInfo>>,
    pub(super) line_info: HashMap<usize, Vec<LineInfo>>,
    pub(super) core_relos: HashMap<usize, Vec<CoreRelo>>,
    /// `STB_LOCAL` function symbols, by index into `functions`.
    pub(super) local: HashSet<usize>,
}

impl<'e, 'a> Code<'e, 'a> {
    pub(super) fn new(
        elf: &'e ElfFile<'a>,
        targets: &'e Targets,
        btf_ext: Option<&BtfExt>,
    ) -> Result<Self> {
        let mut insns = HashMap::new();
        for sec in elf.sections.iter().filter(|s| s.is_executable()) {
            if !sec.size.is_multiple_of(8) {
                return Err(Error::InsnSectionSize {
                    section: sec.name.clone(),
                    size: sec.size,
                });
            }
            let decoded: Vec<Insn> = sec
                .data
                .chunks_exact(8)
                .filter_map(|c| <[u8; 8]>::try_from(c).ok())
                .map(|b| Insn::from_bytes(b, elf.big_endian))
                .collect();
            check_relocations(elf, sec.index, sec.size)?;
            insns.insert(sec.index, decoded);
        }

        let mut functions = Vec::new();
        for sym in &elf.symbols {
            if sym.kind != STT_FUNC {
                continue;
            }
            let Some(section) = sym.section.filter(|s| insns.contains_key(s)) else {
                continue;
            };
            functions.push((function(elf, sym, section)?, sym.bind == STB_LOCAL));
        }
        functions.sort_by_key(|(f, _)| (f.section, f.start));
        let local = functions
            .iter()
            .enumerate()
            .filter(|(_, (_, l))| *l)
            .map(|(i, _)| i)
            .collect();
        let functions: Vec<Function> = functions.into_iter().map(|(f, _)| f).collect();

        let mut objects = HashMap::new();
        for sym in &elf.symbols {
            if let Some(section) = sym.section
                && sym.kind != STT_SECTION
                && !sym.name.is_empty()
            {
                objects
                    .entry((section, sym.value))
                    .or_insert_with(|| sym.name.clone());
            }
        }

        let (mut func_info, mut line_info, mut core_relos) =
            (HashMap::new(), HashMap::new(), HashMap::new());
        if let Some(ext) = btf_ext {
            for &index in insns.keys() {
                let name = elf.section_name(index);
                if let Some(sec) = ext.func_info_for(name) {
                    let mut records = sec.records.clone();
                    records.sort_by_key(|r| r.insn_off);
                    func_info.insert(index, records);
                }
                if let Some(sec) = ext.line_info_for(name) {
                    let mut records = sec.records.clone();
                    records.sort_by_key(|r| r.insn_off);
                    line_info.insert(index, records);
                }
                if let Some(sec) = ext.core_relos_for(name) {
                    let mut records = sec.records.clone();
                    records.sort_by_key(|r| r.insn_off);
                    core_relos.insert(index, records);
                }
            }
        }
        Ok(Code {
            elf,
            targets,
            insns,
            functions,
            objects,
            func_info,
            line_info,
            core_relos,
            local,
        })
    }

    /// Functions some instruction calls or takes the address of (BPF-to-BPF calls, with or
    /// without a relocation, and callbacks), by index into `functions`.
    pub(super) fn called_functions(&self) -> HashSet<usize> {
        let mut called = HashSet::new();
        for (&section, insns) in &self.insns {
            for (i, insn) in insns.iter().enumerate() {
                let offset = u64::try_from(i).unwrap_or(u64::MAX).saturating_mul(8);
                let rel = self.relocation_at(section, offset);
                let is_call = insn.is_pseudo_call();
                let is_ref = insn.is_ld_imm64() && rel.is_some();
                if !is_call && !is_ref {
                    continue;
                }
                let target = match rel {
                    Some(rel) => {
                        let Some(sym) = self.elf.symbol(rel.symbol) else {
                            continue;
                        };
                        let Some(sec) = sym.section.filter(|s| self.insns.contains_key(s)) else {
                            continue;
                        };
                        let value = i64::try_from(sym.value).unwrap_or(i64::MAX);
                        let index = if is_call {
                            (value / 8)
                                .saturating_add(i64::from(insn.imm))
                                .saturating_add(1)
                        } else {
                            value.saturating_add(i64::from(insn.imm)) / 8
                        };
                        (sec, index)
                    }
                    None => (
                        section,
                        i64::try_from(i)
                            .unwrap_or(i64::MAX)
                            .saturating_add(i64::from(insn.imm))
                            .saturating_add(1),
                    ),
                };
                if let Ok(index) = usize::try_from(target.1)
                    && let Some((f, 0)) = self.function_at(target.0, index)
                {
                    called.insert(f);
                }
            }
        }
        called
    }

    /// The function containing instruction `index` of `section`, and the offset within it.
    ///
    /// Binary search over the sorted function table: objects can hold many thousands of
    /// symbols and calls, and a linear scan per call would be quadratic.
    pub(super) fn function_at(&self, section: usize, index: usize) -> Option<(usize, usize)> {
        let after = self
            .functions
            .partition_point(|f| (f.section, f.start) <= (section, index));
        let f = after.checked_sub(1)?;
        let func = self.functions.get(f)?;
        (func.section == section && index - func.start < func.len).then(|| (f, index - func.start))
    }

    /// Links program `main`: its instructions, then each subprogram it reaches, once.
    pub(super) fn link(&self, main: usize, kind: &ProgramKind) -> Result<Program> {
        let main_fn = self.function(main)?;
        let mut linker = Linker {
            code: self,
            program: main_fn.name.clone(),
            insns: Vec::new(),
            placed: Vec::new(),
            landings: HashMap::new(),
            relocations: Vec::new(),
        };
        linker.place(main)?;
        let mut next = 0;
        while let Some(&(f, landing)) = linker.placed.get(next) {
            linker.relocate(f, landing)?;
            next += 1;
        }
        let (func_info, line_info) = linker.btf_ext_records()?;
        let core_relos = linker.core_relo_records()?;
        let subprograms = linker
            .placed
            .iter()
            .skip(1)
            .filter_map(|&(f, _)| self.functions.get(f).map(|func| func.name.clone()))
            .collect();
        Ok(Program {
            name: linker.program,
            section: self.elf.section_name(main_fn.section).to_owned(),
            kind: kind.clone(),
            insns: linker.insns,
            relocations: linker.relocations,
            subprograms,
            func_info,
            line_info,
            core_relos,
            attach_btf_id: None,
        })
    }

    pub(super) fn function(&self, f: usize) -> Result<&Function> {
        self.functions.get(f).ok_or_else(|| Error::Program {
            program: format!("function #{f}"),
            reason: "no such function".into(),
        })
    }

    /// The relocation at byte `offset` of `section`, if any.
    pub(super) fn relocation_at(&self, section: usize, offset: u64) -> Option<&Rel> {
        let rels = self.elf.relocations_of(section);
        rels.binary_search_by_key(&offset, |r| r.offset)
            .ok()
            .and_then(|i| rels.get(i))
    }
}

/// A function symbol, checked: 8-aligned, non-empty, inside its section.
fn function(elf: &ElfFile<'_>, sym: &Symbol, section: usize) -> Result<Function> {
    let size = elf.sections.get(section).map_or(0, |s| s.size);
    let err = |reason: String| Error::Symbol {
        symbol: sym.name.clone(),
        reason,
    };
    if !sym.value.is_multiple_of(8) || !sym.size.is_multiple_of(8) {
        return Err(err(format!(
            "function at offset {:#x} with size {} is not a whole number of instructions",
            sym.value, sym.size
        )));
    }
    if sym.size == 0 {
        return Err(err("function has size 0".into()));
    }
    match sym.value.checked_add(sym.size) {
        Some(end) if end <= size => {}
        _ => {
            return Err(err(format!(
                "function [{:#x}, +{}) lies outside section {} ({} bytes)",
                sym.value,
                sym.size,
                elf.section_name(section),
                size
            )));
        }
    }
    let to_index = |v: u64| usize::try_from(v / 8).map_err(|_| err("offset too large".into()));
    Ok(Function {
        name: sym.name.clone(),
        section,
        start: to_index(sym.value)?,
        len: to_index(sym.size)?,
    })
}

/// Every relocation of a code section lands on an instruction inside it, one per instruction,
/// and names a symbol that exists.
fn check_relocations(elf: &ElfFile<'_>, section: usize, size: u64) -> Result<()> {
    let mut previous: Option<u64> = None;
    for rel in elf.relocations_of(section) {
        if !rel.offset.is_multiple_of(8) {
            return Err(reloc_error(
                elf,
                section,
                rel,
                "offset is not on an instruction boundary",
            ));
        }
        if rel.offset.checked_add(8).is_none_or(|end| end > size) {
            return Err(reloc_error(
                elf,
                section,
                rel,
                format!("offset is outside the section ({size} bytes)"),
            ));
        }
        if previous == Some(rel.offset) {
            return Err(reloc_error(
                elf,
                section,
                rel,
                "two relocations for one instruction",
            ));
        }
        if elf.symbol(rel.symbol).is_none() || rel.symbol == 0 {
            return Err(reloc_error(elf, section, rel, "symbol index out of range"));
        }
        previous = Some(rel.offset);
    }
    Ok(())
}
