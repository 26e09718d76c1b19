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

mod compare;
mod previous;
mod report;

use std::collections::{HashMap, HashSet};
use std::os::fd::OwnedFd;
use std::path::PathBuf;

use rawbpf_elf::{DataKind, Object};
use rawbpf_syscalls as sys;

use super::LoadOptions;
use crate::attach::apply::Replaced;
use crate::attach::links::{self, LinkPin};
use crate::attach::plan::Plan;
use crate::error::Result;
use crate::host::cgroup::Cgroup;
use crate::map::{create, global_data};
use crate::report::LoadReport;
use compare::{internal_maps, same_instructions, unchanged};
use previous::{in_cgroup, on_iface, on_map};

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
pub(super) struct Pins {
    /// Compatible pins, by map name, with their paths.
    pub(super) found: HashMap<String, (sys::MapFd, sys::MapInfo, PathBuf)>,
    /// Every map with a pin path has a compatible pin there.
    pub(super) all: bool,
}

impl Pins {
    fn ids(&self) -> HashSet<u32> {
        self.found.values().map(|(_, info, _)| info.id.0).collect()
    }
}

/// The program this object attached last time at one program's place.
#[derive(Debug)]
pub(super) struct Previous {
    pub(super) fd: OwnedFd,
    pub(super) info: sys::ProgInfo,
    /// Its translated instructions (`xlated_prog_insns`), read with `info`.
    pub(super) xlated: Vec<u8>,
    /// The attach record that names it, whose data pins (`attach::data_pins`) open its
    /// internal maps without CAP_SYS_ADMIN.
    pub(super) record: Option<PathBuf>,
    /// The link that runs it (cgroup, multi mode).
    pub(super) link: Option<LinkPin>,
}

/// An internal map of a previous program that matches a section of the object in shape.
#[derive(Debug)]
pub(super) struct Internal {
    pub(super) section: String,
    pub(super) kind: DataKind,
    pub(super) fd: sys::MapFd,
    pub(super) info: sys::MapInfo,
    /// Its value equals the section's bytes.
    pub(super) equal: bool,
    pub(super) frozen: bool,
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
