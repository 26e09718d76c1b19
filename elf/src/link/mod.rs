//! Programs out of code sections: one per function symbol, with the subprograms it calls
//! appended once each (libbpf's `bpf_object__reloc_code`, aya-obj's `link_functions`), call
//! offsets rewritten for the linked stream, and map/data relocations resolved to
//! [`Relocation`]s at linked instruction indices.
//!
//! `code` decodes the code sections and their function symbols; `linker` places functions and
//! resolves calls; `ld_imm64` resolves map, data, `.kconfig` and callback references;
//! `btf_ext` rebases `.BTF.ext` records. Imports only the ELF layer and the BTF records.

mod btf_ext;
mod code;
mod ld_imm64;
mod linker;

use std::collections::{HashMap, HashSet};

use crate::btf::BtfExt;
use crate::elf_file::{ElfFile, Rel};
use crate::{Error, Program, ProgramKind, Result, SectionInfo, section};
use code::Code;

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
    let called = code.called_functions();
    let mut kinds = HashMap::new();
    let mut sections = Vec::new();
    for sec in elf
        .sections
        .iter()
        .filter(|s| s.is_executable() && s.name != ".text")
    {
        let kind = section::classify(&sec.name);
        let functions = code
            .functions
            .iter()
            .enumerate()
            .filter(|&(f, func)| {
                func.section == sec.index
                    && !(called.contains(&f) && (kind.is_none() || code.local.contains(&f)))
            })
            .map(|(_, func)| func.name.clone())
            .collect();
        sections.push(SectionInfo {
            section: sec.name.clone(),
            kind: kind.clone(),
            functions,
        });
        if let Some(kind) = kind {
            kinds.insert(sec.index, kind);
        }
    }
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
