//! `load`: the orchestration. Order (see `docs/architecture.md`):
//! parse → check cgroup and pin root → BTF → maps (reuse or create, no pins yet) → internal
//! maps → relocate → load every program → attach → pin new maps → write attach records →
//! report. When a step fails, everything this run did is undone: attach records restored,
//! new pins removed, attachments reverted (a replaced program put back), fds dropped. A
//! failed program load therefore leaves the previously attached program and the pinned
//! maps exactly as they were.

use std::collections::HashMap;
use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use rawbpf_elf::{Endian, MapDef, MapType, Object, ProgType, Program};
use rawbpf_syscalls as sys;

use crate::attach::{self, AttachMode, Replaced};
use crate::cgroup::{Cgroup, DEFAULT_CGROUP};
use crate::error::{Error, Result, bpf_err};
use crate::report::{AttachReport, LoadReport, LoadedMap, LoadedProgram, MapStatus};
use crate::{attach_type, btf, data, inspect, maps, pin_root, program, records, relocate};

/// Default `--pin-root`.
pub const DEFAULT_PIN_ROOT: &str = "/sys/fs/bpf/rawbpf";

/// What `load` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    pub object: PathBuf,
    pub cgroup: PathBuf,
    pub pin_root: PathBuf,
    /// Pin maps with `pinning = LIBBPF_PIN_BY_NAME` (off: `--no-pin`).
    pub pin: bool,
    /// Mount bpffs at /sys/fs/bpf when it is not mounted (`--mount-bpffs`).
    pub mount_bpffs: bool,
    /// Attach programs (off: `--no-attach`).
    pub attach: bool,
    pub attach_mode: AttachMode,
    /// Ask for the verifier log on success too and put it in the report.
    pub verbose: bool,
}

impl LoadOptions {
    /// Defaults of the CLI for `object`.
    pub fn new(object: impl Into<PathBuf>) -> LoadOptions {
        LoadOptions {
            object: object.into(),
            cgroup: PathBuf::from(DEFAULT_CGROUP),
            pin_root: PathBuf::from(DEFAULT_PIN_ROOT),
            pin: true,
            mount_bpffs: false,
            attach: true,
            attach_mode: AttachMode::Multi,
            verbose: false,
        }
    }
}

/// Where a program will be attached.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Plan {
    /// `--no-attach`.
    None,
    /// Not attachable automatically; the reason.
    NotAttached(String),
    Cgroup {
        attach_type: u32,
    },
    /// Attach to the sockmap/sockhash with this name.
    Map {
        attach_type: u32,
        map: String,
    },
}

fn plan(obj: &Object, p: &Program, attach: bool) -> Plan {
    if !attach {
        return Plan::None;
    }
    let at = p.kind.expected_attach_type.map(|a| a.0);
    let ty = p.kind.prog_type;
    if let Some(at) = at.filter(|&at| attach_type::is_cgroup(at)) {
        return Plan::Cgroup { attach_type: at };
    }
    let sockmap_at = match at {
        Some(at) if attach_type::is_sockmap(at) => Some(at),
        None if ty == ProgType::SK_MSG => Some(attach_type::SK_MSG_VERDICT),
        _ => None,
    };
    if let Some(at) = sockmap_at {
        let map = p.relocations.iter().find_map(|r| match r {
            rawbpf_elf::Relocation::MapFd { map, .. } => obj
                .map(map)
                .filter(|d| d.map_type == MapType::SOCKMAP || d.map_type == MapType::SOCKHASH)
                .map(|d| d.name.clone()),
            _ => None,
        });
        return match map {
            Some(map) => Plan::Map {
                attach_type: at,
                map,
            },
            None => Plan::NotAttached(format!(
                "{} program refers to no SOCKMAP/SOCKHASH map to attach to; loaded only (it is \
                 unloaded when rawbpf exits)",
                ty
            )),
        };
    }
    Plan::NotAttached(format!(
        "type {ty} has no automatic attach; loaded only (it is unloaded when rawbpf exits, as \
         nothing attaches or pins it)"
    ))
}

/// A map this run holds: reused from a pin, or created (and maybe to be pinned).
#[derive(Debug)]
struct MapHandle {
    /// Name in the report (the object's map name, or the internal map's kernel name).
    name: String,
    /// The definition, for object maps.
    def: Option<MapDef>,
    /// The data section, for internal maps.
    section: Option<String>,
    fd: OwnedFd,
    info: sys::MapInfo,
    reused: bool,
    /// Where to pin (created maps) or where it was found (reused maps).
    pin_path: Option<PathBuf>,
    pinned: bool,
}

/// A loaded program.
#[derive(Debug)]
struct ProgHandle {
    fd: OwnedFd,
    info: sys::ProgInfo,
    log: Option<String>,
}

/// An attachment made by this run, with what it replaced (for rollback and the report).
#[derive(Debug)]
struct Attachment {
    prog: usize,
    target: AttachTarget,
    attach_type: u32,
    replaced: Option<Replaced>,
    /// A record of the replaced program existed (and is restored on rollback).
    had_record: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum AttachTarget {
    Cgroup(AttachMode),
    Map(usize),
}

/// Everything a load holds; dropping it closes every fd.
#[derive(Debug, Default)]
struct State {
    cgroup: Option<Cgroup>,
    btf: Option<OwnedFd>,
    maps: Vec<MapHandle>,
    progs: Vec<ProgHandle>,
    attachments: Vec<Attachment>,
    /// Map pins made by this run.
    pins: Vec<PathBuf>,
    /// Attach records written by this run (index into `attachments`, path).
    records: Vec<(usize, PathBuf)>,
    /// Directories this run created (removed on rollback when empty), deepest last.
    dirs: Vec<PathBuf>,
}

impl State {
    /// Undoes everything, best effort, in reverse order.
    fn rollback(&mut self) {
        for (idx, path) in self.records.drain(..).rev() {
            let _ = std::fs::remove_file(&path);
            if let Some(a) = self.attachments.get(idx)
                && a.had_record
                && let Some(old) = &a.replaced
                && let Ok(c) = pin_root::c_path(&path)
            {
                let _ = sys::obj_pin(old.fd.as_fd(), &c);
            }
        }
        for path in self.pins.drain(..).rev() {
            let _ = std::fs::remove_file(&path);
        }
        for a in self.attachments.drain(..).rev() {
            let Some(prog) = self.progs.get(a.prog) else {
                continue;
            };
            let _ = match (&a.target, &self.cgroup) {
                (AttachTarget::Cgroup(mode), Some(cg)) => attach::undo_cgroup(
                    cg,
                    prog.fd.as_fd(),
                    a.attach_type,
                    *mode,
                    a.replaced.as_ref(),
                ),
                (AttachTarget::Map(m), _) => match self.maps.get(*m) {
                    Some(map) => attach::undo_map(
                        map.fd.as_fd(),
                        prog.fd.as_fd(),
                        a.attach_type,
                        a.replaced.as_ref(),
                    ),
                    None => Ok(()),
                },
                _ => Ok(()),
            };
        }
        for d in self.dirs.drain(..).rev() {
            pin_root::remove_dir_if_empty(&d);
        }
    }
}

/// Loads `opts.object`: maps, programs, attachments and pins. On error nothing this call
/// did remains, and no fd stays open after it returns.
pub fn load(opts: &LoadOptions) -> Result<LoadReport> {
    let obj = inspect::read_object(&opts.object)?;
    let mut st = State::default();
    let mut warnings = Vec::new();
    match run(opts, &obj, &mut st, &mut warnings) {
        Ok(report) => Ok(report),
        Err(e) => {
            st.rollback();
            Err(e)
        }
    }
}

fn check_supported(obj: &Object, path: &Path) -> Result<()> {
    if obj.endian == Endian::Big {
        return Err(Error::BigEndian {
            path: path.to_path_buf(),
        });
    }
    if let Some(ext) = &obj.btf_ext
        && let Some(sec) = ext.core_relos.iter().find(|s| !s.records.is_empty())
    {
        return Err(Error::Unsupported {
            what: format!(
                "section {} has {} CO-RE relocations; rawbpf does not apply CO-RE relocations yet",
                sec.section,
                sec.records.len()
            ),
        });
    }
    Ok(())
}

fn run(
    opts: &LoadOptions,
    obj: &Object,
    st: &mut State,
    warnings: &mut Vec<String>,
) -> Result<LoadReport> {
    check_supported(obj, &opts.object)?;
    let plans: Vec<Plan> = obj
        .programs
        .iter()
        .map(|p| plan(obj, p, opts.attach))
        .collect();
    let any_cgroup = plans.iter().any(|p| matches!(p, Plan::Cgroup { .. }));

    // Environment first: bpffs and cgroup, before any bpf(2) call.
    let mut pin_paths = Vec::with_capacity(obj.maps.len());
    for def in &obj.maps {
        pin_paths.push(maps::pin_path(&opts.pin_root, def, opts.pin)?);
    }
    if opts.mount_bpffs {
        pin_root::mount_bpffs()?;
    }
    if any_cgroup || pin_paths.iter().any(Option::is_some) {
        pin_root::check(&opts.pin_root)?;
    }
    if any_cgroup {
        st.cgroup = Some(Cgroup::open(&opts.cgroup)?);
    }

    st.btf = btf::load(obj, warnings)?;
    let btf_fd = st.btf.as_ref().map(|f| f.as_fd());

    // Object maps: reuse pins, create the rest (pinned at the end).
    for (def, pin_path) in obj.maps.iter().zip(pin_paths) {
        let found = match &pin_path {
            Some(path) => maps::open_pinned(def, path)?,
            None => None,
        };
        let (fd, info, reused) = match found {
            Some((fd, info)) => (fd, info, true),
            None => {
                let fd = maps::create(def, btf_fd)?;
                let info = sys::map_info(fd.as_fd())
                    .map_err(bpf_err(format!("map {}: info", def.name)))?;
                (fd, info, false)
            }
        };
        st.maps.push(MapHandle {
            name: def.name.clone(),
            def: Some(def.clone()),
            section: None,
            fd,
            info,
            reused,
            pin_path,
            pinned: false,
        });
    }

    // Internal maps for global data.
    let obj_name = data::object_name(&opts.object);
    for section in &obj.data {
        let name = data::internal_map_name(&obj_name, &section.name);
        if let Some(fd) = data::create(section, &name, btf_fd)? {
            let info = sys::map_info(fd.as_fd()).map_err(bpf_err(format!("map {name}: info")))?;
            st.maps.push(MapHandle {
                name,
                def: None,
                section: Some(section.name.clone()),
                fd,
                info,
                reused: false,
                pin_path: None,
                pinned: false,
            });
        }
    }

    // Relocate and load every program.
    let mut fds = relocate::Fds::default();
    for m in &st.maps {
        match (&m.def, &m.section) {
            (Some(def), _) => fds.maps.insert(def.name.clone(), m.fd.as_raw_fd()),
            (_, Some(sec)) => fds.sections.insert(sec.clone(), m.fd.as_raw_fd()),
            _ => None,
        };
    }
    let license = CString::new(obj.license.as_str()).map_err(|_| Error::Unsupported {
        what: "license contains a NUL byte".to_string(),
    })?;
    let params = program::LoadParams {
        license: &license,
        kern_version: obj.kernel_version.unwrap_or(0),
        btf: btf_fd,
        verbose: opts.verbose,
    };
    for p in &obj.programs {
        let insns = relocate::relocate(p, &fds)?;
        let loaded = program::load(p, &insns, params)?;
        let info = sys::prog_info(loaded.fd.as_fd())
            .map_err(bpf_err(format!("program {}: info", p.name)))?;
        st.progs.push(ProgHandle {
            fd: loaded.fd,
            info,
            log: loaded.log,
        });
    }

    fill_initial_values(obj, st)?;

    // Attach.
    for (i, (p, plan)) in obj.programs.iter().zip(&plans).enumerate() {
        attach_one(opts, st, i, p, plan)?;
    }

    fail_point("after_attach")?;

    // Pin new maps.
    if st.maps.iter().any(|m| !m.reused && m.pin_path.is_some()) {
        ensure_dir_tracked(st, &opts.pin_root)?;
    }
    for i in 0..st.maps.len() {
        pin_map(st, i)?;
    }

    fail_point("after_pin")?;

    // Attach records, last: each replaces the previous record atomically.
    for i in 0..st.attachments.len() {
        let a = &st.attachments[i];
        let (AttachTarget::Cgroup(_), Some(cg)) = (&a.target, &st.cgroup) else {
            continue;
        };
        let prog = a.prog;
        let p = &obj.programs[prog];
        pin_root::validate_pin_name(&p.name)?;
        let path = records::path(&opts.pin_root, cg.inode, a.attach_type, &p.name);
        ensure_dir_tracked(st, &opts.pin_root)?;
        ensure_dir_tracked(st, &records::dir(&opts.pin_root))?;
        records::write(st.progs[prog].fd.as_fd(), &path, &p.name)?;
        st.records.push((i, path));
    }

    fail_point("after_records")?;

    Ok(report(opts, obj, &plans, st, std::mem::take(warnings)))
}

#[cfg(test)]
thread_local! {
    /// Test-only: the step at which [`fail_point`] injects a failure, to exercise rollback.
    pub(crate) static FAIL_AT: std::cell::Cell<Option<&'static str>> = const { std::cell::Cell::new(None) };
}

/// Test-only failure injection between steps; a no-op in normal builds.
fn fail_point(step: &'static str) -> Result<()> {
    #[cfg(test)]
    if FAIL_AT.with(std::cell::Cell::get) == Some(step) {
        return Err(Error::Unsupported {
            what: format!("injected failure at {step}"),
        });
    }
    let _ = step;
    Ok(())
}

/// Creates `dir` if missing and remembers it for rollback.
fn ensure_dir_tracked(st: &mut State, dir: &Path) -> Result<()> {
    if !dir.exists() {
        pin_root::ensure_dir(dir)?;
        st.dirs.push(dir.to_path_buf());
    }
    Ok(())
}

/// Pins a created map; on EEXIST another loader was faster.
fn pin_map(st: &mut State, i: usize) -> Result<()> {
    let m = &st.maps[i];
    let (false, Some(path), Some(def)) = (m.reused, m.pin_path.clone(), m.def.as_ref()) else {
        return Ok(());
    };
    let c = pin_root::c_path(&path)?;
    match sys::obj_pin(m.fd.as_fd(), &c) {
        Ok(()) => {}
        Err(e) if e.errno == libc::EEXIST => {
            maps::open_pinned(def, &path)?;
            return Err(Error::PinRace {
                map: def.name.clone(),
                path,
            });
        }
        Err(e) => return Err(bpf_err(format!("map {}: pin {}", def.name, path.display()))(e)),
    }
    st.pins.push(path);
    st.maps[i].pinned = true;
    Ok(())
}

/// Writes the static `.values` of created prog arrays and map-in-maps (never of reused maps).
fn fill_initial_values(obj: &Object, st: &State) -> Result<()> {
    let progs: HashMap<&str, &OwnedFd> = obj
        .programs
        .iter()
        .zip(&st.progs)
        .map(|(p, h)| (p.name.as_str(), &h.fd))
        .collect();
    let maps_by_name: HashMap<&str, &OwnedFd> =
        st.maps.iter().map(|m| (m.name.as_str(), &m.fd)).collect();
    for m in &st.maps {
        let Some(def) = m
            .def
            .as_ref()
            .filter(|d| !m.reused && !d.initial_values.is_empty())
        else {
            continue;
        };
        for v in &def.initial_values {
            let target = if def.map_type == MapType::PROG_ARRAY {
                progs.get(v.symbol.as_str())
            } else {
                maps_by_name.get(v.symbol.as_str())
            };
            let Some(target) = target else {
                return Err(Error::Unsupported {
                    what: format!(
                        "map {}: initial value [{}] refers to unknown {}",
                        def.name, v.index, v.symbol
                    ),
                });
            };
            let fd = u32::try_from(target.as_raw_fd()).unwrap_or(0);
            sys::map_update_elem(
                m.fd.as_fd(),
                &v.index.to_ne_bytes(),
                &fd.to_ne_bytes(),
                sys::UpdateFlags::Any,
            )
            .map_err(bpf_err(format!(
                "map {}: initial value [{}] = {}",
                def.name, v.index, v.symbol
            )))?;
        }
    }
    Ok(())
}

/// Attaches program `i` as planned, recording the attachment for rollback and report.
fn attach_one(
    opts: &LoadOptions,
    st: &mut State,
    i: usize,
    p: &Program,
    plan: &Plan,
) -> Result<()> {
    match plan {
        Plan::None | Plan::NotAttached(_) => Ok(()),
        Plan::Cgroup { attach_type } => {
            let Some(cg) = st.cgroup.as_ref() else {
                return Ok(());
            };
            let record = records::path(&opts.pin_root, cg.inode, *attach_type, &p.name);
            let recorded = records::open(&record)?;
            let had_record = recorded.is_some();
            let previous = attach::recorded_if_attached(recorded, cg, *attach_type)?;
            let replaced = attach::attach_cgroup(
                cg,
                st.progs[i].fd.as_fd(),
                &p.name,
                *attach_type,
                opts.attach_mode,
                previous,
            )?;
            st.attachments.push(Attachment {
                prog: i,
                target: AttachTarget::Cgroup(opts.attach_mode),
                attach_type: *attach_type,
                replaced,
                had_record,
            });
            Ok(())
        }
        Plan::Map { attach_type, map } => {
            let Some(m) = st
                .maps
                .iter()
                .position(|h| h.def.as_ref().is_some_and(|d| &d.name == map))
            else {
                return Ok(());
            };
            let replaced = attach::attach_map(
                st.maps[m].fd.as_fd(),
                map,
                st.progs[i].fd.as_fd(),
                &p.name,
                *attach_type,
            )?;
            st.attachments.push(Attachment {
                prog: i,
                target: AttachTarget::Map(m),
                attach_type: *attach_type,
                replaced,
                had_record: false,
            });
            Ok(())
        }
    }
}

fn tag_hex(tag: &[u8; 8]) -> String {
    tag.iter().map(|b| format!("{b:02x}")).collect()
}

fn report(
    opts: &LoadOptions,
    obj: &Object,
    plans: &[Plan],
    st: &State,
    warnings: Vec<String>,
) -> LoadReport {
    let programs = obj
        .programs
        .iter()
        .zip(&st.progs)
        .enumerate()
        .map(|(i, (p, h))| {
            let attach = st
                .attachments
                .iter()
                .find(|a| a.prog == i)
                .map(|a| AttachReport {
                    target: match &a.target {
                        AttachTarget::Cgroup(_) => opts.cgroup.display().to_string(),
                        AttachTarget::Map(m) => format!("map {}", st.maps[*m].name),
                    },
                    attach_type: attach_type::name(a.attach_type),
                    mode: match &a.target {
                        AttachTarget::Cgroup(mode) => Some(mode.name().to_string()),
                        AttachTarget::Map(_) => None,
                    },
                    replaced_id: a.replaced.as_ref().map(|r| r.id),
                });
            LoadedProgram {
                name: p.name.clone(),
                section: p.section.clone(),
                prog_type: p.kind.prog_type.to_string(),
                id: h.info.id.0,
                tag: tag_hex(&h.info.tag),
                attach,
                not_attached: match &plans[i] {
                    Plan::NotAttached(why) => Some(why.clone()),
                    _ => None,
                },
                verifier_log: h.log.clone(),
            }
        })
        .collect();
    let maps = st
        .maps
        .iter()
        .map(|m| LoadedMap {
            name: m.name.clone(),
            map_type: MapType(m.info.map_type).to_string(),
            id: m.info.id.0,
            key_size: m.info.key_size,
            value_size: m.info.value_size,
            max_entries: m.info.max_entries,
            status: if m.reused {
                MapStatus::Reused
            } else if m.pinned {
                MapStatus::CreatedPinned
            } else {
                MapStatus::Created
            },
            pin_path: if m.reused || m.pinned {
                m.pin_path.as_ref().map(|p| p.display().to_string())
            } else {
                None
            },
        })
        .collect();
    LoadReport {
        object: opts.object.display().to_string(),
        pin_root: opts.pin_root.display().to_string(),
        programs,
        maps,
        warnings,
    }
}
