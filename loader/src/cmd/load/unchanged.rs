//! Reloads that cost nothing they need not (`docs/performance.md`, "Reloads").
//!
//! Before `load` creates anything (no BTF, no map, no program: no new kernel ID), it looks
//! at what this object attached last time — the program an attach record names and the
//! cgroup still runs, the program attached to the pinned sockmap, or the program an
//! interface record names that its pinned link still runs — and asks:
//!
//! * is every program of the object attached as this load would attach it, with the same
//!   instructions (its tag, computed here the kernel's way: `crate::prog::tag`), the same
//!   maps (the pinned maps this load would reuse, and internal data maps whose bytes equal
//!   the object's sections), each map reference at the same place (the translated
//!   instructions name every map by id), the same type, name and license class? Then the
//!   load is **unchanged**: nothing is created, loaded or attached, and the report says so.
//! * otherwise, which frozen `.rodata` maps of those programs hold exactly the bytes of the
//!   object's sections? The load uses them instead of creating new ones, so a reload of a
//!   changed object creates the program and only the maps it cannot reuse.
//!
//! Anything unexpected along the way (a record that is not a program, a query the kernel
//! refuses, a map that vanished) means "load": the full load path then reports real errors.
//! The first load of an object costs no bpf(2) call here: a missing record file or pin is
//! seen with `stat`.

use std::collections::{HashMap, HashSet};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use rawbpf_abi::map_flags::BPF_F_RDONLY_PROG;
use rawbpf_abi::{AttachType, Insn, MapType};
use rawbpf_elf::{DataKind, DataSection, Object, Program, Relocation};
use rawbpf_syscalls as sys;

use super::LoadOptions;
use crate::attach::apply::{self, AttachMode, Replaced};
use crate::attach::links::{self, LinkPin};
use crate::attach::plan::Plan;
use crate::attach::{data_pins, iface_records, map_records};
use crate::error::Result;
use crate::host::cgroup::Cgroup;
use crate::map::global_data;
use crate::report::{AttachReport, LoadReport, LoadedMap, LoadedProgram, MapStatus, ProgramStatus};
use crate::{attach::records, host::pin_root, map::create, prog::relocate, prog::tag};

/// What the check found.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Every program is attached as this load would attach it: nothing to do.
    Unchanged(Box<LoadReport>),
    /// Load; with internal maps that may be used instead of new ones.
    Load(Reusable),
}

/// What the check opened that the load can use instead of opening it again.
///
/// * Frozen `.rodata` maps of the previously attached programs whose bytes equal a section
///   of the object, by section name. Frozen and read-only for programs, they can never
///   differ from a map this load would create, so sharing one with the old program is safe.
/// * The pinned maps found compatible with the object, by map name, and the programs the
///   attach records name that the cgroup runs, by program index (the pin root lock keeps
///   pins and records as they are until the load is done).
#[derive(Debug, Default)]
pub(crate) struct Reusable {
    /// Why the check could not tell whether the object changed, when it could not.
    pub(crate) warning: Option<String>,
    rodata: HashMap<String, (sys::MapFd, sys::MapInfo)>,
    pinned: HashMap<String, (sys::MapFd, sys::MapInfo)>,
    attached: HashMap<usize, Replaced>,
}

impl Reusable {
    /// Takes the reusable map of data section `section`, if there is one.
    pub(crate) fn take(&mut self, section: &str) -> Option<(sys::MapFd, sys::MapInfo)> {
        self.rodata.remove(section)
    }

    /// Takes the compatible pinned map of object map `map`, if the check opened it.
    pub(crate) fn take_pinned(&mut self, map: &str) -> Option<(sys::MapFd, sys::MapInfo)> {
        self.pinned.remove(map)
    }

    /// Takes the attached programs found through final attach records (with no pending
    /// record beside them), by program index: what `records::recover` would find.
    pub(crate) fn take_attached(&mut self) -> HashMap<usize, Replaced> {
        std::mem::take(&mut self.attached)
    }
}

/// The object's pinned maps as the check found them.
#[derive(Debug, Default)]
struct Pins {
    /// Compatible pins, by map name, with their paths.
    found: HashMap<String, (sys::MapFd, sys::MapInfo, PathBuf)>,
    /// Every map with a pin path has a compatible pin there.
    all: bool,
}

impl Pins {
    fn ids(&self) -> HashSet<u32> {
        self.found.values().map(|(_, info, _)| info.id.0).collect()
    }
}

/// The program this object attached last time at one program's place.
#[derive(Debug)]
struct Previous {
    fd: OwnedFd,
    info: sys::ProgInfo,
    /// Its translated instructions (`xlated_prog_insns`), read with `info`.
    xlated: Vec<u8>,
    /// The attach record that names it, whose data pins (`attach::data_pins`) open its
    /// internal maps without CAP_SYS_ADMIN.
    record: Option<PathBuf>,
    /// The link that runs it (cgroup, multi mode).
    link: Option<LinkPin>,
}

/// An internal map of a previous program that matches a section of the object in shape.
#[derive(Debug)]
struct Internal {
    section: String,
    kind: DataKind,
    fd: sys::MapFd,
    info: sys::MapInfo,
    /// Its value equals the section's bytes.
    equal: bool,
    frozen: bool,
}

/// Compares the object with what it attached last time; see the module documentation.
/// `plans` and `pin_paths` are `load`'s, per program and per object map.
pub(crate) fn check(
    opts: &LoadOptions,
    obj: &Object,
    plans: &[Plan],
    pin_paths: &[Option<PathBuf>],
    cgroup: Option<&Cgroup>,
) -> Result<Outcome> {
    let mut reusable = Reusable::default();
    // `--pin-progs` pins the new programs: a load that skipped them would not do that.
    if !opts.attach || opts.compat.pin_progs || obj.programs.is_empty() {
        return Ok(Outcome::Load(reusable));
    }

    let mut previous: Vec<Option<Previous>> = Vec::with_capacity(obj.programs.len());
    for (p, plan) in obj.programs.iter().zip(plans) {
        previous.push(match plan {
            Plan::Cgroup { attach_type } => match cgroup {
                Some(cg) => in_cgroup(opts, cg, *attach_type, p)?,
                None => None,
            },
            Plan::Map { attach_type, map } => {
                let pin = obj
                    .maps
                    .iter()
                    .position(|d| &d.name == map)
                    .and_then(|i| pin_paths.get(i).cloned().flatten());
                on_map(&opts.pin_root, pin.as_deref(), *attach_type, p)
            }
            Plan::Iface { attach_type } => on_iface(opts, *attach_type, p)?,
            // A raw tracepoint program is loaded again each time (a new link replaces the old).
            Plan::None | Plan::NotAttached(_) | Plan::RawTp { .. } => None,
        });
    }
    if previous.iter().all(Option::is_none) {
        return Ok(Outcome::Load(reusable));
    }

    // The pinned maps this load would reuse, opened once: for the comparison and, when
    // the object changed, for the load itself.
    let pins = open_pins(obj, pin_paths);
    // The previous programs' internal maps, for reuse and for the comparison (the pinned
    // maps among their maps are known already).
    let obj_name = global_data::object_name(&opts.object);
    let pinned_ids = pins.ids();
    let mut internals: Vec<Vec<Internal>> = Vec::with_capacity(previous.len());
    let mut denied = false;
    for prev in &previous {
        internals.push(match prev {
            Some(prev) if !obj.data.is_empty() => {
                let (maps, no_access) = internal_maps(prev, obj, &obj_name, &pinned_ids);
                denied |= no_access;
                maps
            }
            _ => Vec::new(),
        });
    }

    let report = if !opts.force && same_instructions(obj, &previous) {
        unchanged(opts, obj, plans, &pins, &previous, &internals)
    } else {
        None
    };
    if let Some(report) = report {
        take_over(opts, &previous)?;
        return Ok(Outcome::Unchanged(Box::new(report)));
    }
    if denied && !opts.force {
        reusable.warning = Some(
            "the attached programs' data maps (.rodata, ...) cannot be compared with the object: \
             their attach record has no usable data map pins (made by an older rawbpf, or not \
             the program's maps) and \
             opening a map by ID (BPF_MAP_GET_FD_BY_ID) needs CAP_SYS_ADMIN, so the object was \
             loaded again even if nothing changed; this load pins them beside its records, so \
             the next reload can tell"
                .to_string(),
        );
    }
    for m in internals.into_iter().flatten() {
        if m.kind == DataKind::Rodata && m.equal && m.frozen {
            reusable.rodata.entry(m.section).or_insert((m.fd, m.info));
        }
    }
    for (i, (prev, plan)) in previous.into_iter().zip(plans).enumerate() {
        if let (Some(prev), Plan::Cgroup { .. }) = (prev, plan) {
            let replaced = Replaced {
                id: prev.info.id.0,
                fd: prev.fd,
                link: prev.link,
            };
            reusable.attached.insert(i, replaced);
        }
    }
    reusable.pinned = pins
        .found
        .into_iter()
        .map(|(name, (fd, info, _))| (name, (fd, info)))
        .collect();
    Ok(Outcome::Load(reusable))
}

/// An unchanged load still takes over the links it finds for its owner (renames their
/// pins, no bpf(2) call): the newest load's `--owner` is the one a `detach --owner` must
/// name to remove them.
fn take_over(opts: &LoadOptions, previous: &[Option<Previous>]) -> Result<()> {
    for prev in previous.iter().flatten() {
        if let Some(link) = prev.link.as_ref()
            && link.owner != opts.owner
        {
            links::take_over(&link.path, &link.record, &opts.owner)?;
        }
    }
    Ok(())
}

/// Opens the object's pinned maps and keeps those compatible with it. A missing pin is seen
/// with `stat` (no bpf(2) call); anything else amiss is left to the load to report.
fn open_pins(obj: &Object, pin_paths: &[Option<PathBuf>]) -> Pins {
    let obj_btf = obj.btf_for_kernel.as_ref().or(obj.btf.as_ref());
    let mut pins = Pins {
        found: HashMap::new(),
        all: true,
    };
    for (def, pin) in obj.maps.iter().zip(pin_paths) {
        let Some(path) = pin else { continue };
        if !path.exists() {
            pins.all = false;
            continue;
        }
        match create::open_pinned(def, path, obj_btf) {
            Ok(create::Pinned::Compatible(fd, info)) => {
                pins.found
                    .insert(def.name.clone(), (fd, info, path.clone()));
            }
            _ => pins.all = false,
        }
    }
    pins
}

/// The program an attach record names, when the cgroup runs it in the requested mode. A
/// pending record (a crashed run) means "load": the load path recovers it.
fn in_cgroup(
    opts: &LoadOptions,
    cg: &Cgroup,
    attach_type: u32,
    p: &Program,
) -> Result<Option<Previous>> {
    let record = records::path(&opts.pin_root, cg.inode, attach_type, &p.name);
    let pending = records::pending_path(&opts.pin_root, cg.inode, attach_type, &p.name);
    if !record.exists() || pending.exists() {
        return Ok(None);
    }
    let Some(fd) = records::open(&record)? else {
        return Ok(None);
    };
    if sys::obj_info_kind(fd.as_fd()) != sys::ObjKind::Prog {
        return Ok(None);
    }
    let Ok((info, xlated)) = sys::prog_info_and_xlated(fd.as_fd(), xlated_capacity(p)) else {
        return Ok(None);
    };
    let q = apply::query(cg.fd(), attach_type)?;
    if !q.prog_ids.contains(&info.id) || AttachMode::from_flags(q.attach_flags) != opts.attach_mode
    {
        return Ok(None);
    }
    // Multi mode attaches through a link: a program an earlier rawbpf attached without one
    // is loaded again and moved to a link.
    let link = links::open(&record, cg.inode, attach_type)?.filter(|l| l.info.prog_id == info.id);
    if opts.attach_mode == AttachMode::Multi && link.is_none() {
        return Ok(None);
    }
    Ok(Some(Previous {
        fd,
        info,
        xlated,
        record: Some(record),
        link,
    }))
}

/// The program an interface record names, when the link pinned beside it still runs it on
/// that interface (`--iface`; an unknown interface is left to the load to report). A
/// pending record means "load", as for a cgroup. The XDP mode is not compared: the kernel
/// does not report a link's flags, and a reload swapping the program keeps them anyway.
fn on_iface(opts: &LoadOptions, attach_type: u32, p: &Program) -> Result<Option<Previous>> {
    let Some(ifindex) = opts
        .iface
        .as_deref()
        .and_then(|n| iface_records::ifindex(n).ok())
    else {
        return Ok(None);
    };
    let record = iface_records::path(&opts.pin_root, ifindex, attach_type, &p.name);
    let pending = iface_records::pending_path(&opts.pin_root, ifindex, attach_type, &p.name);
    if !record.exists() || pending.exists() {
        return Ok(None);
    }
    let Some(fd) = records::open(&record)? else {
        return Ok(None);
    };
    if sys::obj_info_kind(fd.as_fd()) != sys::ObjKind::Prog {
        return Ok(None);
    }
    let Ok((info, xlated)) = sys::prog_info_and_xlated(fd.as_fd(), xlated_capacity(p)) else {
        return Ok(None);
    };
    let link = links::open_iface(&record, ifindex, attach_type)?;
    let Some(link) = link.filter(|l| l.info.prog_id == info.id) else {
        return Ok(None);
    };
    Ok(Some(Previous {
        fd,
        info,
        xlated,
        record: Some(record),
        link: Some(link),
    }))
}

/// Room for the translated instructions of the program `p` was loaded as, so that one
/// `BPF_OBJ_GET_INFO_BY_FD` brings them with the info: the verifier's rewrites (context
/// accesses, inlined helpers) add a few instructions; a larger program costs a second call.
fn xlated_capacity(p: &Program) -> usize {
    (p.insns.len().saturating_mul(2) + 64).saturating_mul(8)
}

/// The program attached to the pinned sockmap/sockhash (`BPF_PROG_QUERY` on a map works
/// since Linux 5.19), when it has this program's name. Opened by ID, or without
/// CAP_SYS_ADMIN (no program opens by ID) through its map record when that names it.
fn on_map(root: &Path, pin: Option<&Path>, attach_type: u32, p: &Program) -> Option<Previous> {
    let pin = pin.filter(|p| p.exists())?;
    let map = sys::obj_get(&pin_root::c_path(pin).ok()?).ok()?;
    let q = sys::prog_query_ids(map.as_fd(), attach_type).ok()?;
    let [id] = q.prog_ids[..] else {
        return None;
    };
    let (fd, record) = match sys::fd_by_id(sys::IdKind::Prog, id.0) {
        Ok(fd) => (fd, None),
        Err(_) => {
            let map_id = sys::map_info(map.as_fd()).ok()?.id.0;
            let record = map_records::path(root, map_id, attach_type, &p.name);
            let fd = records::open(&record).ok()??;
            (sys::obj_info_kind(fd.as_fd()) == sys::ObjKind::Prog).then_some(())?;
            (fd, Some(record))
        }
    };
    let (info, xlated) = sys::prog_info_and_xlated(fd.as_fd(), xlated_capacity(p)).ok()?;
    // Its link, when it runs through one (6.10+): an unchanged load takes it over.
    let map_id = sys::map_info(map.as_fd()).ok()?.id.0;
    let map_record = map_records::path(root, map_id, attach_type, &p.name);
    let link = links::open_map(&map_record, map_id, attach_type)
        .ok()
        .flatten()
        .filter(|l| l.info.prog_id == info.id);
    // A record of an earlier rawbpf (attached without a link) on a kernel with sockmap
    // links: loaded again and moved to a link (the kernel's BTF is read only here).
    if link.is_none() && map_record.exists() && sockmap_links() {
        return None;
    }
    (info.id == id && info.name == sys::ObjName::new(&p.name).as_str()).then_some(Previous {
        fd,
        info,
        xlated,
        record,
        link,
    })
}

/// Whether the kernel has sockmap links (6.10+): `BPF_LINK_TYPE_SOCKMAP` in its
/// `enum bpf_link_type`; no answer (no BTF) is "no".
fn sockmap_links() -> bool {
    crate::host::kernel_types::enum_has("bpf_link_type", sys::BPF_LINK_TYPE_SOCKMAP) == Some(true)
}

/// The maps of `prev` that have the name, type and shape of one of the object's internal
/// maps, with whether their bytes equal the section's. `skip` are the IDs of maps known to
/// be pinned object maps (never internal: a pin name has no `.`), not opened again. Each is
/// opened through its data pin when the record has one, else by ID (which needs
/// CAP_SYS_ADMIN: the flag says whether that was refused).
fn internal_maps(
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
fn same_instructions(obj: &Object, previous: &[Option<Previous>]) -> bool {
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
type Pinned<'a> = HashMap<&'a str, (&'a sys::MapInfo, &'a PathBuf)>;

/// The full comparison, once every tag matched: the report of an unchanged load, or `None`.
fn unchanged(
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

/// How the planned attachment is reported; `None` for a program this load would not attach.
fn attach_report(opts: &LoadOptions, plan: &Plan) -> Option<AttachReport> {
    Some(match plan {
        Plan::Cgroup { attach_type } => AttachReport {
            target: opts.cgroup.display().to_string(),
            attach_type: AttachType(*attach_type).to_string(),
            mode: Some(opts.attach_mode.name().to_string()),
            replaced_id: None,
            replaced_name: None,
        },
        Plan::Map { attach_type, map } => AttachReport {
            target: format!("map {map}"),
            attach_type: AttachType(*attach_type).to_string(),
            mode: None,
            replaced_id: None,
            replaced_name: None,
        },
        Plan::Iface { attach_type } => AttachReport {
            target: opts.iface.clone()?,
            attach_type: AttachType(*attach_type).to_string(),
            mode: Some(super::report::iface_mode(opts, *attach_type)),
            replaced_id: None,
            replaced_name: None,
        },
        Plan::None | Plan::NotAttached(_) | Plan::RawTp { .. } => return None,
    })
}

/// The reused pinned maps, then each internal map some program uses, once.
fn reused_maps_report(
    obj: &Object,
    pinned: &Pinned<'_>,
    used_internal: Vec<(&Internal, &str)>,
) -> Vec<LoadedMap> {
    let mut maps_out = Vec::new();
    for def in &obj.maps {
        if let Some((info, path)) = pinned.get(def.name.as_str()) {
            maps_out.push(loaded_map(&def.name, info, Some(path)));
        }
    }
    let mut seen = HashSet::new();
    for (m, _) in used_internal {
        if seen.insert(m.info.id.0) {
            maps_out.push(loaded_map(&m.info.name, &m.info, None));
        }
    }
    maps_out
}

fn loaded_map(name: &str, info: &sys::MapInfo, pin: Option<&PathBuf>) -> LoadedMap {
    LoadedMap {
        name: name.to_string(),
        map_type: MapType(info.map_type).to_string(),
        id: info.id.0,
        key_size: info.key_size,
        value_size: info.value_size,
        max_entries: info.max_entries,
        status: MapStatus::Reused,
        pin_path: pin.map(|p| p.display().to_string()),
    }
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
