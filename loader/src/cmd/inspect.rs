//! `inspect`: the parsed object as a report, with no syscalls and no privileges.

use std::path::Path;

use rawbpf_elf::{DataKind, Endian, ExternKind, Object, Pinning, Relocation};

use crate::error::{Error, Result};
use crate::report::{
    InspectBtf, InspectData, InspectExtern, InspectMap, InspectProgram, InspectRelocation,
    InspectReport,
};
use crate::{attach::records, host::pin_root};

/// Reads and parses an object file, and checks that every map and program name can be used
/// as a file name under the pin root (a hostile name never reaches a path).
pub fn read_object(path: &Path) -> Result<Object> {
    let bytes = std::fs::read(path).map_err(|source| Error::ReadObject {
        path: path.to_path_buf(),
        source,
    })?;
    parse_checked(path, &bytes)
}

/// [`Object::parse`] plus the checks the parser leaves to the loader: no BTF type cycles, and
/// names that can be file names. `path` is for messages.
pub fn parse_checked(path: &Path, bytes: &[u8]) -> Result<Object> {
    let obj = Object::parse(bytes).map_err(|source| Error::Object {
        path: path.to_path_buf(),
        source,
    })?;
    if let Some(type_id) = obj.btf.as_ref().and_then(|b| b.find_layout_cycle()) {
        return Err(Error::Object {
            path: path.to_path_buf(),
            source: rawbpf_elf::Error::BtfType {
                type_id,
                reason: "its type chain loops back to itself (a cycle that is not through a \
                         pointer)"
                    .to_string(),
            },
        });
    }
    validate_names(&obj)?;
    Ok(obj)
}

/// Every map name must be a file name (bpffs rules for pinned maps); every program name
/// must fit an attach record's file name.
pub fn validate_names(obj: &Object) -> Result<()> {
    for m in &obj.maps {
        if m.pinning != Pinning::None {
            pin_root::validate_pin_name(&m.name)?;
        } else if let Some(reason) = pin_root::name_problem(&m.name) {
            return Err(Error::InvalidMapName {
                map: m.name.clone(),
                reason: reason.to_string(),
            });
        }
        if let Some(inner) = &m.inner
            && let Some(reason) = pin_root::name_problem(&inner.name)
        {
            return Err(Error::InvalidMapName {
                map: inner.name.clone(),
                reason: reason.to_string(),
            });
        }
    }
    for p in &obj.programs {
        records::validate_program_name(&p.name)?;
    }
    Ok(())
}

/// Parses `path` and describes it.
pub fn inspect(path: &Path) -> Result<InspectReport> {
    let obj = read_object(path)?;
    Ok(describe(&obj))
}

/// The [`InspectReport`] of a parsed object.
pub fn describe(obj: &Object) -> InspectReport {
    let programs = obj
        .programs
        .iter()
        .map(|p| InspectProgram {
            name: p.name.clone(),
            section: p.section.clone(),
            prog_type: p.kind.prog_type.to_string(),
            attach_type: p.kind.expected_attach_type.map(|a| a.to_string()),
            insns: p.insns.len(),
            subprograms: p.subprograms.clone(),
            relocations: p
                .relocations
                .iter()
                .map(|r| match r {
                    Relocation::MapFd { insn, map } => InspectRelocation::MapFd {
                        insn: *insn,
                        map: map.clone(),
                    },
                    Relocation::MapValue {
                        insn,
                        section,
                        offset,
                    } => InspectRelocation::MapValue {
                        insn: *insn,
                        section: section.clone(),
                        offset: *offset,
                    },
                    Relocation::Extern { insn, name } => InspectRelocation::Extern {
                        insn: *insn,
                        name: name.clone(),
                    },
                })
                .collect(),
            core_relos: p.core_relos.len(),
            loose_section: rawbpf_elf::section::is_loose(&p.section),
        })
        .collect();
    let maps = obj
        .maps
        .iter()
        .map(|m| InspectMap {
            name: m.name.clone(),
            map_type: m.map_type.to_string(),
            key_size: m.key_size,
            value_size: m.value_size,
            max_entries: m.max_entries,
            flags: m.map_flags,
            pinning: m.pinning.name().to_string(),
            source: m.source.name().to_string(),
        })
        .collect();
    let data = obj
        .data
        .iter()
        .map(|d| InspectData {
            name: d.name.clone(),
            kind: match d.kind {
                DataKind::Rodata => "rodata",
                DataKind::Data => "data",
                DataKind::Bss => "bss",
            }
            .to_string(),
            size: d.size(),
        })
        .collect();
    let btf = obj.btf.as_ref().map(|btf| {
        let ext = obj.btf_ext.as_ref();
        InspectBtf {
            types: btf.len().saturating_sub(1),
            strings: btf.header().str_len,
            func_info: ext.map_or(0, |e| e.func_info.iter().map(|s| s.records.len()).sum()),
            line_info: ext.map_or(0, |e| e.line_info.iter().map(|s| s.records.len()).sum()),
            core_relos: ext.map_or(0, |e| e.core_relos.iter().map(|s| s.records.len()).sum()),
        }
    });
    InspectReport {
        license: obj.license.clone(),
        endian: match obj.endian {
            Endian::Little => "little",
            Endian::Big => "big",
        }
        .to_string(),
        kernel_version: obj.kernel_version,
        programs,
        maps,
        data,
        btf,
        externs: obj
            .externs
            .iter()
            .map(|e| InspectExtern {
                name: e.name.clone(),
                kind: match e.kind {
                    ExternKind::Kconfig { .. } => "kconfig",
                    ExternKind::Ksym { type_id: Some(_) } => "ksym",
                    ExternKind::Ksym { type_id: None } => "ksym_typeless",
                    ExternKind::Kfunc { .. } => "kfunc",
                    _ => "unknown",
                }
                .to_string(),
                weak: e.weak,
            })
            .collect(),
        unclassified: obj.unclassified.iter().map(|p| p.name.clone()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use rawbpf_elf::Object;

    use super::parse_checked;

    fn repo(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
    }

    fn btf_of(rel: &str) -> Option<u32> {
        let bytes = std::fs::read(repo(rel)).unwrap();
        let obj = Object::parse(&bytes).unwrap();
        obj.btf.as_ref().unwrap().find_layout_cycle()
    }

    #[test]
    fn finds_cycles_not_through_pointers() {
        assert_eq!(btf_of("bpf-prog/bpf_sockops.o"), None);
        assert_eq!(btf_of("tests/corpus/compat/compat_kinds.o"), None);
        assert!(btf_of("tests/corpus/hostile/btf_typedef_cycle.o").is_some());
        assert!(btf_of("tests/corpus/hostile/btf_struct_contains_itself.o").is_some());
    }

    /// Seeded byte mutations of the committed object through everything `inspect` and
    /// `load` run before touching the kernel: an error or an object, never a panic.
    #[test]
    fn mutated_objects_never_panic() {
        let base = std::fs::read(repo("bpf-prog/bpf_sockops.o")).unwrap();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let path = Path::new("mutant.o");
        for _ in 0..3000 {
            let mut bytes = base.clone();
            for _ in 0..(1 + next() % 8) {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = match next() % 4 {
                    0 => 0xff,
                    1 => 0,
                    _ => next() as u8,
                };
            }
            let _ = parse_checked(path, &bytes);
        }
    }
}
