//! Programs out of code sections: one per function symbol, with the subprograms it calls
//! appended once each (libbpf's `bpf_object__reloc_code`, aya-obj's `link_functions`), call
//! offsets rewritten for the linked stream, and map/data relocations resolved to
//! [`Relocation`]s at linked instruction indices.

use std::collections::{HashMap, HashSet};

use crate::btf::{BtfExt, CoreRelo, FuncInfo, LineInfo};
use crate::elf_file::{ElfFile, Rel, STB_LOCAL, STT_FUNC, STT_SECTION, Symbol};
use crate::{Error, Insn, Program, ProgramKind, Relocation, Result, SectionInfo, section};

/// `R_BPF_64_64`: the 64-bit immediate of an `ld_imm64`.
pub(crate) const R_BPF_64_64: u32 = 1;
/// `R_BPF_64_ABS64`: a 64-bit address in data (`.maps` `values` initialisers).
pub(crate) const R_BPF_64_ABS64: u32 = 2;
/// `R_BPF_64_32`: the 32-bit immediate of a BPF-to-BPF `call`.
const R_BPF_64_32: u32 = 10;

/// Largest linked program (`BPF_COMPLEXITY_LIMIT_INSNS`, the kernel's own bound).
const MAX_PROGRAM_INSNS: usize = 1 << 20;
/// Bound on the instructions of all linked programs together, so a crafted object whose many
/// programs each pull in one huge subprogram cannot exhaust memory.
const MAX_TOTAL_INSNS: usize = 4 << 20;

/// What relocations may point at: names of parsed maps, sizes of global data sections, the
/// offsets of `__kconfig` externs in `.kconfig`, and the other externs (`__ksym`).
pub(crate) struct Targets {
    pub map_names: HashSet<String>,
    pub data_sections: HashMap<String, u64>,
    pub kconfig: HashMap<String, u32>,
    pub externs: HashSet<String>,
}

/// Name of the data section that holds `__kconfig` externs.
pub(crate) const KCONFIG_SECTION: &str = ".kconfig";

/// A function symbol in a code section, in instruction units.
#[derive(Debug, Clone)]
struct Function {
    name: String,
    section: usize,
    start: usize,
    len: usize,
}

/// Decoded code sections and the functions in them.
struct Code<'e, 'a> {
    elf: &'e ElfFile<'a>,
    targets: &'e Targets,
    /// Instructions of each code section, by ELF section index.
    insns: HashMap<usize, Vec<Insn>>,
    /// Function symbols of code sections, sorted by (section, start).
    functions: Vec<Function>,
    /// Named symbols by (section, offset): what a relocation against a section symbol means.
    objects: HashMap<(usize, u64), String>,
    /// `.BTF.ext` records of each code section, sorted by byte offset.
    func_info: HashMap<usize, Vec<FuncInfo>>,
    line_info: HashMap<usize, Vec<LineInfo>>,
    core_relos: HashMap<usize, Vec<CoreRelo>>,
    /// `STB_LOCAL` function symbols, by index into `functions`.
    local: HashSet<usize>,
}

/// The linked programs of an object.
pub(crate) struct Linked {
    pub programs: Vec<Program>,
    pub sections: Vec<SectionInfo>,
    /// Functions of executable sections whose names classify as nothing (not `.text`),
    /// linked with an unspecified type so a caller can name their type; best effort (one that
    /// does not link is left out).
    pub unclassified: Vec<Program>,
}

/// Builds every program of every known program section, plus the section list for `inspect`.
///
/// A program is a function symbol of a program section, except a static (`STB_LOCAL`)
/// function that other code calls: that one is a subprogram (libbpf refuses static functions
/// in program sections; clang emits them when a helper function is not inlined).
pub(crate) fn programs(
    elf: &ElfFile<'_>,
    targets: &Targets,
    btf_ext: Option<&BtfExt>,
) -> Result<Linked> {
    let code = Code::new(elf, targets, btf_ext)?;
    let mut kinds = HashMap::new();
    let mut sections = Vec::new();
    for sec in elf
        .sections
        .iter()
        .filter(|s| s.is_executable() && s.name != ".text")
    {
        let kind = section::classify(&sec.name);
        sections.push(SectionInfo {
            section: sec.name.clone(),
            kind: kind.clone(),
        });
        if let Some(kind) = kind {
            kinds.insert(sec.index, kind);
        }
    }
    let called = code.called_functions();
    let text = elf.section_by_name(".text").map(|s| s.index);
    let unspec = ProgramKind {
        prog_type: crate::ProgType::UNSPEC,
        expected_attach_type: None,
        attach_target: None,
    };
    let mut unclassified = Vec::new();
    // Functions are sorted by (section, offset): programs come out in section order.
    let mut programs = Vec::new();
    let mut total = 0usize;
    for (f, func) in code.functions.iter().enumerate() {
        let Some(kind) = kinds.get(&func.section) else {
            if Some(func.section) != text
                && !called.contains(&f)
                && let Ok(p) = code.link(f, &unspec)
            {
                unclassified.push(p);
            }
            continue;
        };
        if code.local.contains(&f) && called.contains(&f) {
            continue;
        }
        let program = code.link(f, kind)?;
        total = total.saturating_add(program.insns.len());
        if total > MAX_TOTAL_INSNS {
            return Err(Error::Program {
                program: program.name,
                reason: format!("linked programs exceed {MAX_TOTAL_INSNS} instructions in total"),
            });
        }
        programs.push(program);
    }
    Ok(Linked {
        programs,
        sections,
        unclassified,
    })
}

fn reloc_error(elf: &ElfFile<'_>, section: usize, rel: &Rel, reason: impl Into<String>) -> Error {
    Error::Relocation {
        section: elf.section_name(section).to_owned(),
        offset: rel.offset,
        symbol: symbol_label(elf, rel.symbol),
        reason: reason.into(),
    }
}

fn symbol_label(elf: &ElfFile<'_>, index: u32) -> String {
    match elf.symbol(index) {
        Some(s) if !s.name.is_empty() => s.name.clone(),
        _ => format!("symbol #{index}"),
    }
}

impl<'e, 'a> Code<'e, 'a> {
    fn new(elf: &'e ElfFile<'a>, targets: &'e Targets, btf_ext: Option<&BtfExt>) -> Result<Self> {
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
    fn called_functions(&self) -> HashSet<usize> {
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
    fn function_at(&self, section: usize, index: usize) -> Option<(usize, usize)> {
        let after = self
            .functions
            .partition_point(|f| (f.section, f.start) <= (section, index));
        let f = after.checked_sub(1)?;
        let func = self.functions.get(f)?;
        (func.section == section && index - func.start < func.len).then(|| (f, index - func.start))
    }

    /// Links program `main`: its instructions, then each subprogram it reaches, once.
    fn link(&self, main: usize, kind: &ProgramKind) -> Result<Program> {
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

    fn function(&self, f: usize) -> Result<&Function> {
        self.functions.get(f).ok_or_else(|| Error::Program {
            program: format!("function #{f}"),
            reason: "no such function".into(),
        })
    }

    /// The relocation at byte `offset` of `section`, if any.
    fn relocation_at(&self, section: usize, offset: u64) -> Option<&Rel> {
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

/// State while linking one program.
struct Linker<'c, 'e, 'a> {
    code: &'c Code<'e, 'a>,
    program: String,
    insns: Vec<Insn>,
    /// (function, index of its first instruction in `insns`), in the order appended.
    placed: Vec<(usize, usize)>,
    /// Function → its landing, for the lookups of `place`.
    landings: HashMap<usize, usize>,
    relocations: Vec<Relocation>,
}

impl Linker<'_, '_, '_> {
    fn error(&self, reason: impl Into<String>) -> Error {
        Error::Program {
            program: self.program.clone(),
            reason: reason.into(),
        }
    }

    /// Where function `f` starts in the linked stream, appending it on first use.
    fn place(&mut self, f: usize) -> Result<usize> {
        if let Some(&landing) = self.landings.get(&f) {
            return Ok(landing);
        }
        let func = self.code.function(f)?;
        let body = self
            .code
            .insns
            .get(&func.section)
            .and_then(|all| all.get(func.start..func.start.checked_add(func.len)?))
            .ok_or_else(|| self.error(format!("function {} is outside its section", func.name)))?;
        if self.insns.len().saturating_add(body.len()) > MAX_PROGRAM_INSNS {
            return Err(self.error(format!(
                "linked program exceeds {MAX_PROGRAM_INSNS} instructions"
            )));
        }
        let landing = self.insns.len();
        self.insns.extend_from_slice(body);
        self.placed.push((f, landing));
        self.landings.insert(f, landing);
        Ok(landing)
    }

    /// Linked index of instruction `index` of `section` (a call or callback target).
    fn target(&mut self, section: usize, index: i64, at: usize) -> Result<usize> {
        let found = usize::try_from(index)
            .ok()
            .and_then(|i| self.code.function_at(section, i));
        let Some((f, offset)) = found else {
            return Err(self.error(format!(
                "instruction {at} refers to instruction {index} of section {}, which is in no function",
                self.code.elf.section_name(section)
            )));
        };
        Ok(self.place(f)? + offset)
    }

    /// `imm` that makes the instruction at `pos` reach `target` (`pos + imm + 1 == target`).
    fn relative(&self, pos: usize, target: usize) -> Result<i32> {
        let delta = i64::try_from(target).unwrap_or(i64::MAX) - i64::try_from(pos).unwrap_or(0) - 1;
        i32::try_from(delta)
            .map_err(|_| self.error(format!("jump from {pos} to {target} overflows imm")))
    }

    /// Resolves calls and relocations of the function placed at `landing`.
    fn relocate(&mut self, f: usize, landing: usize) -> Result<()> {
        let func = self.code.function(f)?.clone();
        let mut j = 0;
        while j < func.len {
            let pos = landing + j;
            let sec_index = func.start + j;
            let offset = u64::try_from(sec_index)
                .unwrap_or(u64::MAX)
                .saturating_mul(8);
            let insn = *self
                .insns
                .get(pos)
                .ok_or_else(|| self.error("instruction index out of range"))?;
            let rel = self.code.relocation_at(func.section, offset).copied();
            if insn.is_pseudo_call() {
                self.call(&func, pos, sec_index, insn, rel)?;
            } else if let Some(rel) = rel {
                match rel.r_type {
                    R_BPF_64_64 => self.ld_imm64(&func, j, pos, insn, &rel)?,
                    R_BPF_64_32
                        if insn.code == Insn::CALL
                            && self
                                .code
                                .elf
                                .symbol(rel.symbol)
                                .is_some_and(|s| s.section.is_none()) =>
                    {
                        self.extern_ref(&func, pos, &rel)?;
                    }
                    R_BPF_64_32 => {
                        return Err(reloc_error(
                            self.code.elf,
                            func.section,
                            &rel,
                            "R_BPF_64_32 on an instruction that is not a BPF-to-BPF call",
                        ));
                    }
                    r_type => {
                        return Err(Error::UnsupportedRelocation {
                            section: self.code.elf.section_name(func.section).to_owned(),
                            offset: rel.offset,
                            r_type,
                            symbol: symbol_label(self.code.elf, rel.symbol),
                        });
                    }
                }
            }
            // The second slot of an ld_imm64 is data, not an instruction.
            j += if insn.is_ld_imm64() { 2 } else { 1 };
        }
        Ok(())
    }

    /// A BPF-to-BPF call: find the callee, place it, rewrite `imm`.
    fn call(
        &mut self,
        func: &Function,
        pos: usize,
        sec_index: usize,
        insn: Insn,
        rel: Option<Rel>,
    ) -> Result<()> {
        let elf = self.code.elf;
        let (section, target) = match rel {
            None => (
                func.section,
                i64::try_from(sec_index).unwrap_or(i64::MAX) + i64::from(insn.imm) + 1,
            ),
            Some(rel) => {
                if rel.r_type != R_BPF_64_32 {
                    return Err(reloc_error(
                        elf,
                        func.section,
                        &rel,
                        format!(
                            "call relocated with type {}, expected R_BPF_64_32 (10)",
                            rel.r_type
                        ),
                    ));
                }
                let sym = elf
                    .symbol(rel.symbol)
                    .ok_or_else(|| reloc_error(elf, func.section, &rel, "no such symbol"))?;
                if sym.section.is_none() {
                    // A kfunc (`__ksym` extern): resolved by the loader against kernel BTF.
                    return self.extern_ref(func, pos, &rel);
                }
                let Some(section) = sym
                    .section
                    .filter(|s| elf.sections.get(*s).is_some_and(|s| s.is_executable()))
                else {
                    return Err(reloc_error(
                        elf,
                        func.section,
                        &rel,
                        "call target is not in a code section",
                    ));
                };
                if !sym.value.is_multiple_of(8) {
                    return Err(reloc_error(
                        elf,
                        func.section,
                        &rel,
                        "call target is not instruction-aligned",
                    ));
                }
                // libbpf: sub_insn_idx = sym_off / 8 + imm + 1 (imm is -1 for a function
                // symbol, the function's offset - 1 for a section symbol).
                let base = i64::try_from(sym.value / 8).unwrap_or(i64::MAX);
                (section, base + i64::from(insn.imm) + 1)
            }
        };
        let linked = self.target(section, target, pos)?;
        let imm = self.relative(pos, linked)?;
        if let Some(slot) = self.insns.get_mut(pos) {
            slot.imm = imm;
        }
        Ok(())
    }

    /// `R_BPF_64_64` on an `ld_imm64`: a map, a global data address, or a callback.
    fn ld_imm64(
        &mut self,
        func: &Function,
        j: usize,
        pos: usize,
        insn: Insn,
        rel: &Rel,
    ) -> Result<()> {
        let elf = self.code.elf;
        let fail = |reason: &str| reloc_error(elf, func.section, rel, reason);
        if !insn.is_ld_imm64() {
            return Err(fail("R_BPF_64_64 on an instruction that is not ld_imm64"));
        }
        if j + 1 >= func.len {
            return Err(fail(
                "ld_imm64 has no second instruction slot in its function",
            ));
        }
        let sym = elf
            .symbol(rel.symbol)
            .ok_or_else(|| fail("no such symbol"))?;
        let unsupported = || Error::UnsupportedRelocation {
            section: elf.section_name(func.section).to_owned(),
            offset: rel.offset,
            r_type: rel.r_type,
            symbol: symbol_label(elf, rel.symbol),
        };
        let Some(target) = sym.section.and_then(|s| elf.sections.get(s)) else {
            // Externs have no section: `__kconfig` ones live in `.kconfig`, the rest are
            // resolved by the loader.
            if let Some(&offset) = self.code.targets.kconfig.get(&sym.name) {
                let offset = u32::try_from(i64::from(offset) + i64::from(insn.imm))
                    .map_err(|_| fail("offset into .kconfig out of range"))?;
                self.relocations.push(Relocation::MapValue {
                    insn: pos,
                    section: KCONFIG_SECTION.to_owned(),
                    offset,
                });
                return Ok(());
            }
            return self.extern_ref(func, pos, rel);
        };
        let sym_offset = i64::try_from(sym.value).unwrap_or(i64::MAX);
        // The byte the instruction refers to; checked, so a hostile symbol value cannot
        // overflow (found by fuzzing).
        let at = sym_offset
            .checked_add(i64::from(insn.imm))
            .ok_or_else(|| fail("symbol value + imm overflows"))?;
        if target.name == ".maps" || target.name == "maps" || target.name.starts_with("maps/") {
            let name = if sym.kind == STT_SECTION || sym.name.is_empty() {
                // A section symbol: the map is the one defined at value + imm.
                u64::try_from(at)
                    .ok()
                    .and_then(|at| self.code.objects.get(&(target.index, at)))
                    .cloned()
                    .ok_or_else(|| fail(&format!("no map at offset {at} of {}", target.name)))?
            } else {
                sym.name.clone()
            };
            if !self.code.targets.map_names.contains(&name) {
                return Err(fail(&format!(
                    "{name} is not a map defined in {}",
                    target.name
                )));
            }
            self.relocations.push(Relocation::MapFd {
                insn: pos,
                map: name,
            });
            return Ok(());
        }
        if let Some(&size) = self.code.targets.data_sections.get(&target.name) {
            let offset = at;
            let fits = u64::try_from(offset).is_ok_and(|o| o <= size);
            let offset = u32::try_from(offset).ok().filter(|_| fits).ok_or_else(|| {
                fail(&format!(
                    "offset {offset} is outside {} ({size} bytes)",
                    target.name
                ))
            })?;
            self.relocations.push(Relocation::MapValue {
                insn: pos,
                section: target.name.clone(),
                offset,
            });
            return Ok(());
        }
        if target.is_executable() && (insn.src_reg == 0 || insn.src_reg == Insn::PSEUDO_FUNC) {
            // A callback's address (`bpf_loop(..., cb, ...)`): imm is the byte offset of the
            // function from the symbol; the kernel wants `src_reg = BPF_PSEUDO_FUNC` (clang
            // 14 leaves it 0) and imm relative to the instruction, like a call.
            let byte = at;
            if byte % 8 != 0 {
                return Err(fail("callback address is not instruction-aligned"));
            }
            let linked = self.target(target.index, byte / 8, pos)?;
            let imm = self.relative(pos, linked)?;
            if let Some(slot) = self.insns.get_mut(pos) {
                slot.imm = imm;
                slot.src_reg = Insn::PSEUDO_FUNC;
            }
            return Ok(());
        }
        Err(unsupported())
    }

    /// A reference to a `__ksym` extern (variable or kfunc), for the loader to resolve.
    fn extern_ref(&mut self, func: &Function, pos: usize, rel: &Rel) -> Result<()> {
        let elf = self.code.elf;
        let sym = elf
            .symbol(rel.symbol)
            .ok_or_else(|| reloc_error(elf, func.section, rel, "no such symbol"))?;
        if !self.code.targets.externs.contains(&sym.name) {
            return Err(reloc_error(
                elf,
                func.section,
                rel,
                "undefined symbol that is not an extern of the object",
            ));
        }
        self.relocations.push(Relocation::Extern {
            insn: pos,
            name: sym.name.clone(),
        });
        Ok(())
    }

    /// CO-RE relocation records of every placed function, `insn_off` rebased to linked
    /// instruction indices (not bytes).
    fn core_relo_records(&self) -> Result<Vec<CoreRelo>> {
        let mut out = Vec::new();
        for &(f, landing) in &self.placed {
            let func = self.code.function(f)?;
            if let Some(records) = self.code.core_relos.get(&func.section) {
                for (index, r) in self.in_function(func, records, |r| r.insn_off)? {
                    out.push(CoreRelo {
                        insn_off: self.rebase(func, landing, index)?,
                        ..r.clone()
                    });
                }
            }
        }
        Ok(out)
    }

    /// func_info and line_info of every placed function, rebased to linked instruction indices.
    fn btf_ext_records(&self) -> Result<(Vec<FuncInfo>, Vec<LineInfo>)> {
        let mut func_info = Vec::new();
        let mut line_info = Vec::new();
        for &(f, landing) in &self.placed {
            let func = self.code.function(f)?;
            if let Some(records) = self.code.func_info.get(&func.section) {
                for (index, r) in self.in_function(func, records, |r| r.insn_off)? {
                    func_info.push(FuncInfo {
                        insn_off: self.rebase(func, landing, index)?,
                        ..*r
                    });
                }
            }
            if let Some(records) = self.code.line_info.get(&func.section) {
                for (index, r) in self.in_function(func, records, |r| r.insn_off)? {
                    line_info.push(LineInfo {
                        insn_off: self.rebase(func, landing, index)?,
                        ..*r
                    });
                }
            }
        }
        if func_info.first().is_some_and(|r| r.insn_off != 0) {
            return Err(self.error("no .BTF.ext func_info for the program's first instruction"));
        }
        Ok((func_info, line_info))
    }

    /// The records (sorted by byte offset) that fall inside `func`, with their section
    /// instruction index. More records than instructions means duplicates, which the kernel
    /// rejects; refusing them also bounds the output by the program's size.
    fn in_function<'r, R>(
        &self,
        func: &Function,
        records: &'r [R],
        insn_off: impl Fn(&R) -> u32,
    ) -> Result<Vec<(usize, &'r R)>> {
        let start = func.start.saturating_mul(8);
        let end = func.start.saturating_add(func.len).saturating_mul(8);
        let first = records.partition_point(|r| (insn_off(r) as usize) < start);
        let last = records.partition_point(|r| (insn_off(r) as usize) < end);
        let inside = records.get(first..last).unwrap_or_default();
        if inside.len() > func.len {
            return Err(self.error(format!(
                "{} .BTF.ext records for the {} instructions of {}",
                inside.len(),
                func.len,
                func.name
            )));
        }
        inside
            .iter()
            .map(|r| {
                let off = insn_off(r);
                if !off.is_multiple_of(8) {
                    return Err(self.error(format!(
                        ".BTF.ext record at byte {off} of {} is not on an instruction",
                        self.code.elf.section_name(func.section)
                    )));
                }
                Ok((off as usize / 8, r))
            })
            .collect()
    }

    /// Section instruction `index` of `func` (placed at `landing`) as a linked index.
    fn rebase(&self, func: &Function, landing: usize, index: usize) -> Result<u32> {
        u32::try_from(landing + (index - func.start))
            .map_err(|_| self.error("instruction index does not fit u32"))
    }
}
