//! The parsed object: everything the loader needs, as plain data.

use std::collections::{HashMap, HashSet};

use crate::btf::{Btf, BtfExt};
use crate::elf_file::{ElfFile, STB_LOCAL, STT_FUNC, STT_SECTION};
use crate::link::{self, KCONFIG_SECTION, Targets};
use crate::{
    DataKind, DataSection, Error, Extern, ExternKind, MapDef, MapType, Program, Result, SectionInfo,
};
use crate::{btf_maps, data, externs, legacy_maps, maps};

/// Byte order of the object file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    Little,
    Big,
}

/// A BPF ELF object, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub endian: Endian,
    /// Contents of the `license` section (NUL stripped), e.g. `GPL`.
    pub license: String,
    /// Contents of the `version` section, if present.
    pub kernel_version: Option<u32>,
    pub programs: Vec<Program>,
    pub maps: Vec<MapDef>,
    pub data: Vec<DataSection>,
    /// `.BTF` as in the file (DATASEC sizes as clang left them).
    pub btf: Option<Btf>,
    /// `.BTF` fixed up for `BPF_BTF_LOAD` (DATASEC sizes and variable offsets filled in).
    pub btf_for_kernel: Option<Btf>,
    pub btf_ext: Option<BtfExt>,
    /// Every executable section and how its name was classified (also the unknown ones,
    /// with `kind: None`, which yield no programs). `.text` is not listed: it holds
    /// subprograms, which appear inside the programs that call them.
    pub sections: Vec<SectionInfo>,
    /// The object's externs (`__kconfig`, `__ksym`, kfuncs).
    pub externs: Vec<Extern>,
    /// Functions of sections whose names classify as no program type, linked with type 0
    /// (`unspec`), for a caller that names their type (`rawbpf load --prog-type`).
    pub unclassified: Vec<Program>,
}

impl Object {
    /// Parses an object file. Untrusted input: every offset and count is checked.
    ///
    /// Steps: ELF checks ([`crate::Error::NotElf`], [`crate::Error::Not64Bit`],
    /// [`crate::Error::NotBpf`]), `license`/`version`, `.BTF`/`.BTF.ext`, maps (`.maps` and
    /// legacy `maps`), global data, then one linked [`Program`] per function symbol of every
    /// section whose name [`crate::section::classify`] knows.
    pub fn parse(bytes: &[u8]) -> Result<Object> {
        let elf = ElfFile::parse(bytes)?;
        let license = license(&elf)?;
        let kernel_version = kernel_version(&elf)?;
        let btf = elf
            .section_by_name(".BTF")
            .map(|s| Btf::parse(s.data))
            .transpose()?;
        let btf_ext = match (&btf, elf.section_by_name(".BTF.ext")) {
            (Some(btf), Some(ext)) => Some(BtfExt::parse(ext.data, btf)?),
            _ => None,
        };

        let mut maps = btf_maps::parse(&elf, btf.as_ref())?;
        maps.extend(legacy_maps::parse(&elf)?);
        for map in &mut maps {
            maps::fix_up(map);
        }
        let mut map_names = HashSet::new();
        for map in &maps {
            if !map_names.insert(map.name.clone()) {
                return Err(Error::Map {
                    map: map.name.clone(),
                    reason: "defined twice".into(),
                });
            }
        }
        let mut data = data::data_sections(&elf, btf.as_ref())?;
        let (externs, kconfig_size) = externs::collect(&elf, btf.as_ref())?;
        if kconfig_size > 0 {
            if data.iter().any(|d| d.name == KCONFIG_SECTION) {
                return Err(Error::Section {
                    section: KCONFIG_SECTION.into(),
                    reason: "the object defines a .kconfig section and __kconfig externs".into(),
                });
            }
            data.push(DataSection {
                name: KCONFIG_SECTION.into(),
                kind: DataKind::Rodata,
                bytes: vec![0; kconfig_size as usize],
                btf_datasec_id: btf
                    .as_ref()
                    .and_then(|b| b.datasec(KCONFIG_SECTION))
                    .map(|(id, _)| id),
            });
        }
        let targets = Targets {
            map_names,
            data_sections: data
                .iter()
                .map(|d| (d.name.clone(), d.bytes.len() as u64))
                .collect(),
            kconfig: externs::kconfig_offsets(&externs),
            externs: externs
                .iter()
                .filter(|e| !matches!(e.kind, ExternKind::Kconfig { .. }))
                .map(|e| e.name.clone())
                .collect(),
        };
        let linked = link::programs(&elf, &targets, btf_ext.as_ref())?;
        let (programs, sections) = (linked.programs, linked.sections);
        check_prog_array_values(&maps, &programs)?;

        let btf_for_kernel = match &btf {
            Some(btf) => {
                let offsets = symbol_offsets(&elf);
                let mut fixed = btf.fixed_for_kernel(
                    &|name| {
                        elf.section_by_name(name)
                            .and_then(|s| u32::try_from(s.size).ok())
                    },
                    &|section, var| offsets.get(&(section, var)).copied(),
                )?;
                fixed.fix_externs(&externs, kconfig_size)?;
                hidden_functions_static(&mut fixed, &elf)?;
                Some(fixed)
            }
            None => None,
        };

        Ok(Object {
            endian: if elf.big_endian {
                Endian::Big
            } else {
                Endian::Little
            },
            license,
            kernel_version,
            programs,
            maps,
            data,
            btf,
            btf_for_kernel,
            btf_ext,
            sections,
            externs,
            unclassified: linked.unclassified,
        })
    }

    /// The map definition with this name.
    pub fn map(&self, name: &str) -> Option<&MapDef> {
        self.maps.iter().find(|m| m.name == name)
    }

    /// The program with this name.
    pub fn program(&self, name: &str) -> Option<&Program> {
        self.programs.iter().find(|p| p.name == name)
    }
}

/// The `license` section up to its first NUL, e.g. `GPL` (empty when there is none).
/// A global or weak function of hidden visibility (`__weak __hidden`, as usdt.bpf.h's
/// `bpf_usdt_arg`) is static to the kernel, as libbpf marks it: the verifier then checks it
/// with its caller's context instead of as a global function on its own (where a pointer
/// argument is only "mem_or_null").
fn hidden_functions_static(btf: &mut Btf, elf: &ElfFile<'_>) -> Result<()> {
    use crate::btf::{BtfType, FuncLinkage};
    let hidden: HashSet<&str> = elf
        .symbols
        .iter()
        .filter(|s| s.hidden && s.kind == STT_FUNC && s.bind != STB_LOCAL && !s.undefined)
        .map(|s| s.name.as_str())
        .collect();
    if hidden.is_empty() {
        return Ok(());
    }
    let mut names = Vec::new();
    for (id, t) in btf.types().iter().enumerate() {
        if let BtfType::Func(f) = t
            && f.linkage == FuncLinkage::Global
            && hidden.contains(btf.string(f.name_off)?)
        {
            names.push(id);
        }
    }
    for id in names {
        if let Some(BtfType::Func(f)) = btf.types.get_mut(id) {
            f.linkage = FuncLinkage::Static;
        }
    }
    Ok(())
}

fn license(elf: &ElfFile<'_>) -> Result<String> {
    let Some(section) = elf.section_by_name("license") else {
        return Ok(String::new());
    };
    let bytes = section.data.split(|&b| b == 0).next().unwrap_or_default();
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|_| Error::Section {
            section: "license".into(),
            reason: "not UTF-8".into(),
        })
}

/// The `version` section: one u32 (`LINUX_VERSION_CODE`) in the file's byte order.
fn kernel_version(elf: &ElfFile<'_>) -> Result<Option<u32>> {
    let Some(section) = elf.section_by_name("version") else {
        return Ok(None);
    };
    if section.data.len() != 4 {
        return Err(Error::Section {
            section: "version".into(),
            reason: format!("{} bytes, expected 4 (a u32)", section.data.len()),
        });
    }
    Ok(elf.read_u32(section.data, 0))
}

/// Offset of each variable in its section by (section name, variable name), from the ELF
/// symbols (for the DATASEC fix-up). Built once: the fix-up asks for every variable.
fn symbol_offsets<'e>(elf: &'e ElfFile<'_>) -> HashMap<(&'e str, &'e str), u32> {
    let mut offsets = HashMap::new();
    for s in elf.symbols.iter().filter(|s| s.kind != STT_SECTION) {
        if let (Some(section), Ok(value)) = (s.section, u32::try_from(s.value)) {
            offsets
                .entry((elf.section_name(section), s.name.as_str()))
                .or_insert(value);
        }
    }
    offsets
}

/// A prog array's `values` initialisers must name programs of this object.
fn check_prog_array_values(maps: &[MapDef], programs: &[Program]) -> Result<()> {
    let names: HashSet<&str> = programs.iter().map(|p| p.name.as_str()).collect();
    for map in maps.iter().filter(|m| m.map_type == MapType::PROG_ARRAY) {
        for value in &map.initial_values {
            if !names.contains(value.symbol.as_str()) {
                return Err(Error::Map {
                    map: map.name.clone(),
                    reason: format!(
                        "slot {} refers to {}, which is not a program",
                        value.index, value.symbol
                    ),
                });
            }
        }
    }
    Ok(())
}
