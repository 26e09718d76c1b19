//! The comparison of the object with the programs it attached last time: tags, map
//! references in the translated instructions, internal data maps.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use rawbpf_abi::Insn;
use rawbpf_abi::MapType;
use rawbpf_abi::map_flags::BPF_F_RDONLY_PROG;
use rawbpf_elf::{DataKind, DataSection, Object, Program, Relocation};
use rawbpf_syscalls as sys;

use super::report::{attach_report, reused_maps_report};
use super::{Internal, Pins, Previous};
use crate::attach::data_pins;
use crate::attach::plan::Plan;
use crate::cmd::load::LoadOptions;
use crate::map::global_data;
use crate::prog::{relocate, tag};
use crate::report::{LoadReport, LoadedProgram, ProgramStatus};

/// The maps of `prev` that have the name, type and shape of one of the object's internal
/// maps, with whether their bytes equal the section's. `skip` are the IDs of maps known to
/// be pinned object maps (never internal: a pin name has no `.`), not opened again. Each is
/// opened through its data pin when the record has one, else by ID (which needs
/// CAP_SYS_ADMIN: the flag says whether that was refused).
pub(super) fn internal_maps(
    prev: &Previous,
    obj: &Object,
    obj_name: &str,
    skip: &HashSet<u32>,
) -> (Vec<Internal>, bool) {
    let by_name: HashMap<String, &DataSection> = obj
        .data
        .iter()
        .filter(|s| s.size() > 0)
        .map(|s| (global_data::internal_map_name(obj_name, &s.name), s))
        .collect();
    let mut out = Vec::new();
    let mut denied = false;
    for id in prev.info.map_ids.iter().filter(|id| !skip.contains(&id.0)) {
        let pinned = prev
            .record
            .as_deref()
            .and_then(|r| data_pins::open(r, id.0));
        let (fd, info) = match pinned {
            Some(m) => m,
            None => match sys::fd_by_id(sys::IdKind::Map, id.0) {
                Ok(fd) => match sys::MapFd::open(fd) {
                    Ok(m) => m,
                    Err(_) => continue,
                },
                Err(e) => {
                    denied |= e.errno == libc::EPERM;
                    continue;
                }
            },
        };
        let Some(section) = by_name.get(&info.name) else {
            continue;
        };
        let flags = if section.kind == DataKind::Rodata {
            BPF_F_RDONLY_PROG
        } else {
            0
        };
        let shape = info.map_type == MapType::ARRAY.0
            && info.key_size == 4
            && info.value_size == section.size()
            && info.max_entries == 1
            && info.map_flags == flags;
        if !shape {
            continue;
        }
        let mut value = vec![0u8; section.bytes.len()];
        let equal = matches!(
            sys::map_lookup_elem(&fd, &0u32.to_ne_bytes(), &mut value),
            Ok(true)
        ) && value == section.bytes;
        let frozen = is_frozen(&fd);
        out.push(Internal {
            section: section.name.clone(),
            kind: section.kind,
            fd,
            info,
            equal,
            frozen,
        });
    }
    (out, denied)
}

/// `frozen: 1` in the map's `/proc/self/fdinfo` entry (`BPF_MAP_FREEZE` was called).
fn is_frozen(fd: &sys::MapFd) -> bool {
    use std::os::fd::AsRawFd;
    std::fs::read_to_string(format!("/proc/self/fdinfo/{}", fd.as_raw_fd()))
        .ok()
        .is_some_and(|s| {
            s.lines().any(|l| {
                l.split_once(':')
                    .is_some_and(|(k, v)| k == "frozen" && v.trim() == "1")
            })
        })
}

/// Placeholder fds for relocating without maps: object map `i` is `MAP_BASE + i`, data
/// section `j` is `SECTION_BASE + j`. The tag ignores them; [`map_refs`] maps them back.
const MAP_BASE: i32 = 1 << 20;
const SECTION_BASE: i32 = 2 << 20;

fn placeholder_fds(obj: &Object) -> relocate::Fds {
    let mut fds = relocate::Fds::default();
    for (i, m) in obj.maps.iter().enumerate() {
        fds.maps.insert(m.name.clone(), MAP_BASE + i as i32);
    }
    for (j, s) in obj.data.iter().enumerate() {
        fds.sections.insert(s.name.clone(), SECTION_BASE + j as i32);
    }
    fds
}

/// True when every program has a previous one with its tag.
pub(super) fn same_instructions(obj: &Object, previous: &[Option<Previous>]) -> bool {
    let fds = placeholder_fds(obj);
    obj.programs.iter().zip(previous).all(|(p, prev)| {
        let Some(prev) = prev else { return false };
        relocate::relocate(p, &fds).is_ok_and(|insns| tag::matches(&insns, &prev.info.tag))
    })
}

/// The map references of encoded instructions in order: (`src_reg`, `imm`, second `imm`)
/// of every `ld_imm64` with `BPF_PSEUDO_MAP_FD` / `BPF_PSEUDO_MAP_VALUE`. For the offset of
/// a `BPF_PSEUDO_MAP_FD` the kernel's dump reports 0 whatever was passed.
fn map_refs(insns: &[u8]) -> Vec<(u8, i32, i32)> {
    let insns: Vec<Insn> = Insn::decode_le(insns).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < insns.len() {
        let (w, next) = (insns[i], insns[i + 1]);
        if w.is_ld_imm64() {
            if w.src_reg == Insn::PSEUDO_MAP_FD {
                out.push((w.src_reg, w.imm, 0));
            } else if w.src_reg == Insn::PSEUDO_MAP_VALUE {
                out.push((w.src_reg, w.imm, next.imm));
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    out
}

/// Whether a license string is one the kernel calls GPL-compatible
/// (`license_is_gpl_compatible`).
fn gpl_compatible(license: &str) -> bool {
    matches!(
        license,
        "GPL"
            | "GPL v2"
            | "GPL and additional rights"
            | "Dual BSD/GPL"
            | "Dual MIT/GPL"
            | "Dual MPL/GPL"
    )
}

/// A pinned map this load would reuse: its info and pin path, by map name.
pub(super) type Pinned<'a> = HashMap<&'a str, (&'a sys::MapInfo, &'a PathBuf)>;

/// The full comparison, once every tag matched: the report of an unchanged load, or `None`.
pub(super) fn unchanged(
    opts: &LoadOptions,
    obj: &Object,
    plans: &[Plan],
    pins: &Pins,
    previous: &[Option<Previous>],
    internals: &[Vec<Internal>],
) -> Option<LoadReport> {
    let pinned = reused_maps(obj, pins)?;
    let fds = placeholder_fds(obj);
    let license_gpl = gpl_compatible(&obj.license);
    let mut programs = Vec::new();
    let mut used_internal: Vec<(&Internal, &str)> = Vec::new();
    for (i, p) in obj.programs.iter().enumerate() {
        let (Some(prev), Some(plan)) = (&previous[i], plans.get(i)) else {
            return None;
        };
        let info = &prev.info;
        if info.prog_type != p.kind.prog_type.0
            || info.name != sys::ObjName::new(&p.name).as_str()
            || info.gpl_compatible != license_gpl
        {
            return None;
        }
        let ids = map_ids(obj, &pinned, &internals[i]);
        let want_set = same_map_refs(p, &fds, &ids, prev)?;
        for m in &internals[i] {
            if want_set.contains(&m.info.id.0) {
                used_internal.push((m, p.name.as_str()));
            }
        }
        let attach = attach_report(opts, plan)?;
        programs.push(LoadedProgram {
            name: p.name.clone(),
            section: p.section.clone(),
            prog_type: p.kind.prog_type.to_string(),
            id: info.id.0,
            tag: crate::hex::encode(&info.tag),
            status: ProgramStatus::Unchanged,
            attach: Some(attach),
            not_attached: None,
            verifier_log: None,
            pin_path: None,
        });
    }
    Some(LoadReport {
        object: opts.object.display().to_string(),
        pin_root: opts.pin_root.display().to_string(),
        programs,
        maps: reused_maps_report(obj, &pinned, used_internal),
        warnings: Vec::new(),
        refused: Vec::new(),
        removed: Vec::new(),
    })
}

/// The pinned maps this load would reuse, or `None` when a map some program uses has no pin
/// (this load would create it).
fn reused_maps<'a>(obj: &Object, pins: &'a Pins) -> Option<Pinned<'a>> {
    // The object maps this load would use: pinned ones reused, nothing to create.
    let referenced: HashSet<&str> = obj
        .programs
        .iter()
        .flat_map(|p| &p.relocations)
        .filter_map(|r| match r {
            Relocation::MapFd { map, .. } => Some(map.as_str()),
            _ => None,
        })
        .collect();
    if !pins.all {
        return None;
    }
    let pinned: Pinned<'a> = pins
        .found
        .iter()
        .map(|(name, (_, info, path))| (name.as_str(), (info, path)))
        .collect();
    if obj.maps.iter().any(|def| {
        !pinned.contains_key(def.name.as_str()) && referenced.contains(def.name.as_str())
    }) {
        return None;
    }
    Some(pinned)
}

/// Placeholder -> the map id this load would use, for one program's pinned and internal maps.
fn map_ids(obj: &Object, pinned: &Pinned<'_>, internals: &[Internal]) -> HashMap<i32, u32> {
    let mut ids: HashMap<i32, u32> = HashMap::new();
    for (j, def) in obj.maps.iter().enumerate() {
        if let Some((mi, _)) = pinned.get(def.name.as_str()) {
            ids.insert(MAP_BASE + j as i32, mi.id.0);
        }
    }
    for (j, s) in obj.data.iter().enumerate() {
        if let Some(m) = internals.iter().find(|m| m.section == s.name && m.equal) {
            ids.insert(SECTION_BASE + j as i32, m.info.id.0);
        }
    }
    ids
}

/// The ids of the maps program `p` would use, when the loaded program uses exactly those,
/// in the same places of its translated instructions; `None` otherwise.
fn same_map_refs(
    p: &Program,
    fds: &relocate::Fds,
    ids: &HashMap<i32, u32>,
    prev: &Previous,
) -> Option<HashSet<u32>> {
    let Ok(insns) = relocate::relocate(p, fds) else {
        return None;
    };
    let mut want = Vec::new();
    for (src, fd, off) in map_refs(&insns) {
        let &id = ids.get(&fd)?;
        want.push((
            src,
            id as i32,
            if src == Insn::PSEUDO_MAP_VALUE {
                off
            } else {
                0
            },
        ));
    }
    let want_set: HashSet<u32> = want.iter().map(|&(_, id, _)| id as u32).collect();
    let have_set: HashSet<u32> = prev.info.map_ids.iter().map(|m| m.0).collect();
    if want_set != have_set {
        return None;
    }
    if prev.xlated.is_empty() || map_refs(&prev.xlated) != want {
        return None;
    }
    Some(want_set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insn(code: u8, regs: u8, imm: i32) -> [u8; 8] {
        let i = imm.to_le_bytes();
        [code, regs, 0, 0, i[0], i[1], i[2], i[3]]
    }

    #[test]
    fn map_refs_in_order() {
        let insns = [
            insn(Insn::LD_IMM64, 0x11, 7),
            insn(0, 0, 0),
            insn(Insn::MOV64_IMM, 0x01, 5),
            insn(Insn::LD_IMM64, 0x21, 9),
            insn(0, 0, 12),
            insn(Insn::LD_IMM64, 0x01, 3),
            insn(0, 0, 4),
            insn(Insn::EXIT, 0, 0),
        ]
        .concat();
        assert_eq!(map_refs(&insns), vec![(1, 7, 0), (2, 9, 12)]);
    }

    #[test]
    fn licenses() {
        assert!(gpl_compatible("GPL"));
        assert!(gpl_compatible("Dual BSD/GPL"));
        assert!(!gpl_compatible("MIT"));
        assert!(!gpl_compatible("gpl"));
    }
}
