//! `inspect`: the parsed object as a report, with no syscalls and no privileges.

use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use rawbpf_elf::{
    DataKind, DataSection, Endian, Extern, ExternKind, MapDef, Object, Pinning, Program, Relocation,
};

use crate::error::{Error, Result};
use crate::report::{
    InspectBtf, InspectData, InspectExtern, InspectMap, InspectProgram, InspectRelocation,
    InspectReport, InspectUnknownSection,
};
use crate::{attach::records, host::pin_root};

/// Reads and parses an object file, and checks that every map and program name can be used
/// as a file name under the pin root (a hostile name never reaches a path).
pub fn read_object(path: &Path) -> Result<Object> {
    let bytes = read_bounded(path).map_err(|source| Error::ReadObject {
        path: path.to_path_buf(),
        source,
    })?;
    parse_checked(path, &bytes)
}

/// The largest object rawbpf reads (BPF objects are kilobytes to a few megabytes).
pub const MAX_OBJECT_SIZE: u64 = 256 << 20;

/// Reads a regular file of at most [`MAX_OBJECT_SIZE`] bytes: a FIFO, a device such as
/// `/dev/zero` or a directory is refused before anything is read, and a file that grows
/// past the bound while read is refused too.
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let refuse = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, what);
    // O_NONBLOCK: opening a FIFO must not wait for a writer before it can be refused.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(refuse("not a regular file".to_string()));
    }
    if meta.len() > MAX_OBJECT_SIZE {
        return Err(refuse(format!(
            "{} bytes, more than the {} MiB rawbpf reads as an object",
            meta.len(),
            MAX_OBJECT_SIZE >> 20
        )));
    }
    // Sized from the metadata: one allocation and one large read, not a doubling buffer.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0) + 1);
    file.take(MAX_OBJECT_SIZE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_OBJECT_SIZE {
        return Err(refuse("it grew past the size bound while read".to_string()));
    }
    Ok(bytes)
}

/// [`Object::parse`] plus the checks the parser leaves to the loader: no BTF type cycles, and
/// names that can be file names. `path` is for messages.
pub fn parse_checked(path: &Path, bytes: &[u8]) -> Result<Object> {
    let obj = parse_unchecked_names(path, bytes)?;
    validate_names(path, &obj)?;
    Ok(obj)
}

/// [`parse_checked`] without the name checks: `inspect` shows an object whose names `load`
/// would refuse, and flags them.
fn parse_unchecked_names(path: &Path, bytes: &[u8]) -> Result<Object> {
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
    Ok(obj)
}

/// Every map name must be a file name (bpffs rules for pinned maps); every program name
/// must fit an attach record's file name and be unique in the object.
pub fn validate_names(path: &Path, obj: &Object) -> Result<()> {
    match name_problems(path, obj).into_iter().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Every name of `obj` that `load` refuses, as the error it would give.
fn name_problems(path: &Path, obj: &Object) -> Vec<Error> {
    let mut out = Vec::new();
    for m in &obj.maps {
        if m.pinning != Pinning::None {
            out.extend(pin_root::validate_pin_name(&m.name).err());
        } else if let Some(reason) = pin_root::name_problem(&m.name) {
            out.push(Error::InvalidMapName {
                map: m.name.clone(),
                reason: reason.to_string(),
            });
        }
        if let Some(inner) = &m.inner
            && let Some(reason) = pin_root::name_problem(&inner.name)
        {
            out.push(Error::InvalidMapName {
                map: inner.name.clone(),
                reason: reason.to_string(),
            });
        }
    }
    let mut seen = std::collections::HashSet::new();
    for p in &obj.programs {
        out.extend(records::validate_program_name(&p.name).err());
        if !seen.insert(p.name.as_str()) {
            out.push(Error::DuplicateProgram {
                path: path.to_path_buf(),
                name: p.name.clone(),
            });
        }
    }
    out
}

/// Parses `path` and describes it. Names `load` would refuse do not stop it: they are
/// listed in the report's `problems`.
pub fn inspect(path: &Path) -> Result<InspectReport> {
    let bytes = read_bounded(path).map_err(|source| Error::ReadObject {
        path: path.to_path_buf(),
        source,
    })?;
    let obj = parse_unchecked_names(path, &bytes)?;
    let mut report = describe(&obj);
    report.problems = name_problems(path, &obj)
        .iter()
        .map(|e| format!("{e}: `load` refuses it"))
        .collect();
    Ok(report)
}

/// The [`InspectReport`] of a parsed object.
pub fn describe(obj: &Object) -> InspectReport {
    InspectReport {
        license: obj.license.clone(),
        endian: match obj.endian {
            Endian::Little => "little",
            Endian::Big => "big",
        }
        .to_string(),
        kernel_version: obj.kernel_version,
        programs: obj.programs.iter().map(describe_program).collect(),
        maps: obj.maps.iter().map(describe_map).collect(),
        data: obj.data.iter().map(describe_data).collect(),
        btf: describe_btf(obj),
        externs: obj.externs.iter().map(describe_extern).collect(),
        unclassified: obj.unclassified.iter().map(|p| p.name.clone()).collect(),
        problems: Vec::new(),
        unknown_sections: crate::prepare::object::untyped(obj)
            .into_iter()
            .map(|(section, functions)| InspectUnknownSection { section, functions })
            .collect(),
    }
}

fn describe_program(p: &Program) -> InspectProgram {
    InspectProgram {
        name: p.name.clone(),
        section: p.section.clone(),
        prog_type: p.kind.prog_type.to_string(),
        attach_type: p.kind.expected_attach_type.map(|a| a.to_string()),
        insns: p.insns.len(),
        subprograms: p.subprograms.clone(),
        relocations: p.relocations.iter().map(describe_relocation).collect(),
        core_relos: p.core_relos.len(),
        loose_section: rawbpf_elf::section::is_loose(&p.section),
    }
}

fn describe_relocation(r: &Relocation) -> InspectRelocation {
    match r {
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
    }
}

fn describe_map(m: &MapDef) -> InspectMap {
    InspectMap {
        name: m.name.clone(),
        map_type: m.map_type.to_string(),
        key_size: m.key_size,
        value_size: m.value_size,
        max_entries: m.max_entries,
        flags: m.map_flags,
        map_extra: m.map_extra,
        pinning: m.pinning.name().to_string(),
        source: m.source.name().to_string(),
    }
}

fn describe_data(d: &DataSection) -> InspectData {
    InspectData {
        name: d.name.clone(),
        kind: match d.kind {
            DataKind::Rodata => "rodata",
            DataKind::Data => "data",
            DataKind::Bss => "bss",
        }
        .to_string(),
        size: d.size(),
    }
}

/// Type and record counts of `.BTF` and `.BTF.ext`, when the object has BTF.
fn describe_btf(obj: &Object) -> Option<InspectBtf> {
    obj.btf.as_ref().map(|btf| {
        let ext = obj.btf_ext.as_ref();
        InspectBtf {
            types: btf.len().saturating_sub(1),
            strings: btf.header().str_len,
            func_info: ext.map_or(0, |e| e.func_info.iter().map(|s| s.records.len()).sum()),
            line_info: ext.map_or(0, |e| e.line_info.iter().map(|s| s.records.len()).sum()),
            core_relos: ext.map_or(0, |e| e.core_relos.iter().map(|s| s.records.len()).sum()),
        }
    })
}

fn describe_extern(e: &Extern) -> InspectExtern {
    InspectExtern {
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

    #[test]
    fn two_programs_of_one_name_are_refused() {
        let mut bytes = std::fs::read(repo("elf/tests/fixtures/multi_prog.o")).unwrap();
        // Rename xdp_two to xdp_one wherever the string table (and BTF) spells it.
        let (from, to) = (b"xdp_two\0", b"xdp_one\0");
        let mut renamed = 0;
        for i in 0..bytes.len() - from.len() {
            if &bytes[i..i + from.len()] == from {
                bytes[i..i + to.len()].copy_from_slice(to);
                renamed += 1;
            }
        }
        assert!(renamed > 0);
        let err = parse_checked(Path::new("twice.o"), &bytes).unwrap_err();
        assert!(
            matches!(&err, crate::Error::DuplicateProgram { name, .. } if name == "xdp_one"),
            "{err:?}"
        );
        assert_eq!(err.exit_code(), crate::ExitCode::InvalidObject);
    }

    #[test]
    fn only_regular_files_of_bounded_size_are_read() {
        for path in ["/dev/zero", "/proc/self", "/dev/null"] {
            let err = super::read_object(Path::new(path)).unwrap_err();
            assert!(
                matches!(err, crate::Error::ReadObject { .. }),
                "{path}: {err:?}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        // Refused at once, not waiting for a writer.
        let err = super::read_object(&fifo).unwrap_err();
        assert!(matches!(err, crate::Error::ReadObject { .. }), "{err:?}");
        let big = dir.path().join("big.o");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(super::MAX_OBJECT_SIZE + 1).unwrap();
        let err = super::read_object(&big).unwrap_err();
        assert!(matches!(err, crate::Error::ReadObject { .. }), "{err:?}");
    }

    #[test]
    fn long_names_are_cut_in_messages() {
        let e = crate::Error::InvalidMapName {
            map: "m".repeat(10_000),
            reason: "too long".into(),
        };
        let shown = e.to_string();
        assert!(shown.len() < 200, "{shown}");
        assert!(shown.contains("10000 bytes"), "{shown}");
    }
}
