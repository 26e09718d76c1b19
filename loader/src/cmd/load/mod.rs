//! `load`: the orchestration. Order (see `docs/architecture.md`, `docs/guarantees.md`):
//! parse → check cgroup and pin root → lock the pin root → BTF → maps (reuse or create, no
//! pins yet) → internal maps → relocate → load every program → initial map values → pin new
//! maps → per program: pending attach record, attach, final record → report.
//!
//! Every step that changes shared state pushes its undo onto a log; when a later step
//! fails, the log is replayed backwards: records restored, attachments reverted (a replaced
//! program put back), new pins removed (a replaced incompatible pin restored), created
//! directories removed, fds dropped. A failed load therefore leaves the previously attached
//! program and the pinned maps exactly as they were. The order is also crash-safe: a map is
//! pinned only once complete, and a program is pinned as an attach record before it is
//! attached, so a SIGKILL at any point leaves nothing the next run cannot find.

mod unchanged;

use std::collections::HashMap;
use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use rawbpf_abi::AttachType;
use rawbpf_elf::{Endian, MapDef, MapType, Object, Program};
use rawbpf_syscalls as sys;

use crate::attach::apply::{self, AttachMode, Replaced};
use crate::attach::plan::{Plan, plan};
use crate::error::{Error, Result, bpf_err};
use crate::host::cgroup::Cgroup;
use crate::report::{AttachReport, LoadReport, LoadedMap, LoadedProgram, MapStatus, ProgramStatus};
use crate::{
    attach::records, cmd::inspect, host::lock, host::pin_root, map::create, map::global_data,
    prog::btf, prog::load, prog::relocate, test_hook,
};

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
    /// Replace a pinned map that differs from the object's definition (its contents are
    /// lost) instead of failing (`--replace-incompatible`).
    pub replace_incompatible: bool,
    /// Load and attach even when the attached programs are already this object's
    /// (`--force`); otherwise such a load is `unchanged` and does nothing.
    pub force: bool,
    /// Program selection, type overrides, `.rodata` values, program pins (see
    /// [`crate::CompatOptions`]).
    pub compat: crate::CompatOptions,
}

impl LoadOptions {
    /// Defaults of the CLI for `object`.
    pub fn new(object: impl Into<PathBuf>) -> LoadOptions {
        LoadOptions {
            object: object.into(),
            cgroup: crate::host::cgroup::default_root_or_standard(),
            pin_root: PathBuf::from(DEFAULT_PIN_ROOT),
            pin: true,
            mount_bpffs: false,
            attach: true,
            attach_mode: AttachMode::Multi,
            verbose: false,
            replace_incompatible: false,
            force: false,
            compat: crate::CompatOptions::default(),
        }
    }
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
    fd: sys::MapFd,
    info: sys::MapInfo,
    reused: bool,
    /// Created to replace an incompatible pin (`--replace-incompatible`): that map's fd,
    /// until the new map is pinned (then the undo log holds it).
    replaces: Option<OwnedFd>,
    /// Created to replace an incompatible pin.
    recreated: bool,
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
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum AttachTarget {
    Cgroup(AttachMode),
    Map(usize),
}

/// How far a cgroup attachment got: its pending record pinned, the program attached, the
/// record renamed to its final name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Pending,
    Attached,
    Committed,
}

/// One undoable change to shared state, in the order it was made.
#[derive(Debug)]
enum Undo {
    /// A directory this run created (removed when empty).
    Dir(PathBuf),
    /// A map pin this run created; `restore` is the incompatible map it replaced.
    Pin {
        path: PathBuf,
        restore: Option<OwnedFd>,
    },
    /// A cgroup attachment (index into `attachments`) and its records.
    Cgroup {
        att: usize,
        pending: PathBuf,
        record: PathBuf,
        stage: Stage,
    },
    /// An attachment to a sockmap/sockhash (index into `attachments`).
    MapAttach(usize),
}

/// Everything a load holds; dropping it closes every fd (and releases the lock, last).
#[derive(Debug, Default)]
struct State {
    cgroup: Option<Cgroup>,
    btf: Option<OwnedFd>,
    maps: Vec<MapHandle>,
    progs: Vec<ProgHandle>,
    attachments: Vec<Attachment>,
    undo: Vec<Undo>,
    lock: Option<lock::PinRootLock>,
    /// Program pins of `--pin-progs` (index into `progs`, path).
    prog_pins: Vec<(usize, PathBuf)>,
    /// Programs attached through final records, found by the unchanged check (index into
    /// `progs`): the attach replaces them without reading the records again.
    previous: HashMap<usize, Replaced>,
}

impl State {
    /// Undoes everything, best effort, newest first. Runs under the pin root lock.
    fn rollback(&mut self) {
        while let Some(u) = self.undo.pop() {
            match u {
                Undo::Dir(d) => {
                    pin_root::remove_dir_if_empty(&d);
                }
                Undo::Pin { path, restore } => {
                    let _ = std::fs::remove_file(&path);
                    if let (Some(old), Ok(c)) = (restore, pin_root::c_path(&path)) {
                        let _ = sys::obj_pin(old.as_fd(), &c);
                    }
                }
                Undo::Cgroup {
                    att,
                    pending,
                    record,
                    stage,
                } => self.undo_cgroup(att, &pending, &record, stage),
                Undo::MapAttach(att) => self.undo_map_attach(att),
            }
        }
    }

    /// Reverts a cgroup attachment so that, at every instant, each program attached by
    /// rawbpf is still pinned by a record (a crash during rollback loses nothing either).
    fn undo_cgroup(&self, att: usize, pending: &Path, record: &Path, stage: Stage) {
        let Some(a) = self.attachments.get(att) else {
            let _ = std::fs::remove_file(pending);
            return;
        };
        let old = a.replaced.as_ref();
        if stage == Stage::Committed
            && let (Some(old), Ok(c)) = (old, pin_root::c_path(pending))
        {
            // The old program gets its record back (as pending) before it is reattached.
            let _ = std::fs::remove_file(pending);
            let _ = sys::obj_pin(old.fd.as_fd(), &c);
        }
        if stage != Stage::Pending {
            self.revert_attach(a);
        }
        match (stage, old) {
            (Stage::Committed, Some(_)) => {
                let _ = std::fs::rename(pending, record);
            }
            (Stage::Committed, None) => {
                let _ = std::fs::remove_file(record);
            }
            _ => {
                let _ = std::fs::remove_file(pending);
            }
        }
    }

    fn revert_attach(&self, a: &Attachment) {
        let Some(prog) = self.progs.get(a.prog) else {
            return;
        };
        if let (AttachTarget::Cgroup(mode), Some(cg)) = (&a.target, &self.cgroup) {
            let _ = apply::undo_cgroup(
                cg,
                prog.fd.as_fd(),
                a.attach_type,
                *mode,
                a.replaced.as_ref(),
            );
        }
    }

    fn undo_map_attach(&self, att: usize) {
        let Some(a) = self.attachments.get(att) else {
            return;
        };
        if let (AttachTarget::Map(m), Some(prog)) = (&a.target, self.progs.get(a.prog))
            && let Some(map) = self.maps.get(*m)
        {
            let _ = apply::undo_map(
                map.fd.as_fd(),
                prog.fd.as_fd(),
                a.attach_type,
                a.replaced.as_ref(),
            );
        }
    }
}

/// How often a load starts over after another program pinned a map under it (rawbpf's own
/// loads are serialised by the pin root lock; this covers other tools).
const PIN_RACE_RETRIES: usize = 3;

/// Loads `opts.object`: maps, programs, attachments and pins. On error nothing this call
/// did remains, and no fd stays open after it returns.
pub fn load(opts: &LoadOptions) -> Result<LoadReport> {
    let mut obj = inspect::read_object(&opts.object)?;
    // Make it loadable here: CO-RE, externs, --set, --program, --prog-type (docs/objects.md).
    let prepared = crate::prepare::object::prepare(&mut obj, &opts.compat)?;
    let mut attempt = 0;
    loop {
        let mut st = State::default();
        let mut warnings = prepared.warnings.clone();
        match run(opts, &obj, &mut st, &mut warnings) {
            Ok(report) => return Ok(report),
            Err(e) => {
                st.rollback();
                drop(st);
                attempt += 1;
                if !matches!(e, Error::PinRace { .. }) || attempt > PIN_RACE_RETRIES {
                    return Err(e);
                }
            }
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
    let mut object_bytes = None;
    for def in &obj.maps {
        // iproute2 maps (PIN_GLOBAL_NS / PIN_OBJECT_NS) pin under <pin-root>/tc/.
        if opts.pin
            && matches!(
                def.pinning,
                rawbpf_elf::Pinning::GlobalNs | rawbpf_elf::Pinning::ObjectNs
            )
        {
            pin_root::validate_pin_name(&def.name)?;
            if object_bytes.is_none() {
                object_bytes = Some(
                    std::fs::read(&opts.object)
                        .map_err(crate::error::io_err("read", &opts.object))?,
                );
            }
            let bytes = object_bytes.as_deref().unwrap_or_default();
            pin_paths.push(crate::attach::prog_pins::iproute2_pin_path(
                &opts.pin_root,
                bytes,
                def,
            ));
            continue;
        }
        pin_paths.push(create::pin_path(&opts.pin_root, def, opts.pin)?);
    }
    if opts.mount_bpffs {
        pin_root::mount_bpffs()?;
    }
    let shared = any_cgroup || pin_paths.iter().any(Option::is_some) || opts.compat.pin_progs;
    if shared {
        pin_root::check(&opts.pin_root)?;
    }
    if any_cgroup {
        st.cgroup = Some(Cgroup::open(&opts.cgroup)?);
    }
    // One rawbpf at a time on this pin root: the pins and records read below stay true
    // until this load is done.
    if shared && let Some((held, created)) = lock::acquire(&opts.pin_root, true)? {
        if created {
            st.undo.push(Undo::Dir(opts.pin_root.clone()));
        }
        st.lock = Some(held);
    }
    test_hook::step("locked")?;

    // Nothing to do when the attached programs already are this object's; otherwise the
    // previous programs' frozen .rodata maps with the same bytes are used again.
    let mut reusable = match unchanged::check(opts, obj, &plans, &pin_paths, st.cgroup.as_ref())? {
        unchanged::Outcome::Unchanged(mut report) => {
            // What preparing the object found (a poisoned CO-RE relocation, ...) still holds.
            report.warnings = std::mem::take(warnings);
            return Ok(*report);
        }
        unchanged::Outcome::Load(reusable) => reusable,
    };
    st.previous = reusable.take_attached();

    st.btf = btf::load(obj, warnings)?;
    let btf_fd = st.btf.as_ref().map(|f| f.as_fd());
    test_hook::step("btf_loaded")?;

    // Object maps: reuse compatible pins, create the rest (pinned once complete).
    let obj_btf = obj.btf_for_kernel.as_ref().or(obj.btf.as_ref());
    for (def, pin_path) in obj.maps.iter().zip(pin_paths) {
        let found = match (reusable.take_pinned(&def.name), &pin_path) {
            (Some((fd, info)), _) => create::Pinned::Compatible(fd, info),
            (None, Some(path)) => create::open_pinned(def, path, obj_btf)?,
            (None, None) => create::Pinned::Absent,
        };
        let (fd, info, reused, replaces) = match found {
            create::Pinned::Compatible(fd, info) => (fd, info, true, None),
            create::Pinned::Incompatible {
                fd: old,
                mismatches,
            } => {
                if !opts.replace_incompatible {
                    return Err(Error::PinnedMapConflict {
                        map: def.name.clone(),
                        path: pin_path.clone().unwrap_or_default(),
                        mismatches,
                    });
                }
                let (fd, info) = create_map(def, btf_fd)?;
                (fd, info, false, Some(old))
            }
            create::Pinned::Absent => {
                let (fd, info) = create_map(def, btf_fd)?;
                (fd, info, false, None)
            }
        };
        st.maps.push(MapHandle {
            name: def.name.clone(),
            def: Some(def.clone()),
            section: None,
            fd,
            info,
            reused,
            recreated: replaces.is_some(),
            replaces,
            pin_path,
            pinned: false,
        });
    }

    // Internal maps for global data.
    let obj_name = global_data::object_name(&opts.object);
    for section in &obj.data {
        let name = global_data::internal_map_name(&obj_name, &section.name);
        let (fd, info, reused) = match reusable.take(&section.name) {
            Some((fd, info)) => (fd, info, true),
            None => {
                let Some(fd) = global_data::create(section, &name, btf_fd)? else {
                    continue;
                };
                // For the ID in the report: the map's only info call.
                let info =
                    sys::map_info(fd.as_fd()).map_err(bpf_err(format!("map {name}: info")))?;
                (fd, info, false)
            }
        };
        st.maps.push(MapHandle {
            name,
            def: None,
            section: Some(section.name.clone()),
            fd,
            info,
            reused,
            replaces: None,
            recreated: false,
            pin_path: None,
            pinned: false,
        });
    }
    test_hook::step("maps_ready")?;

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
    let params = load::LoadParams {
        license: &license,
        kern_version: obj.kernel_version.unwrap_or(0),
        btf: btf_fd,
        verbose: opts.verbose,
    };
    for p in &obj.programs {
        let insns = relocate::relocate(p, &fds)?;
        let loaded = load::load(p, &insns, params)?;
        let info = sys::prog_info(loaded.fd.as_fd())
            .map_err(bpf_err(format!("program {}: info", p.name)))?;
        st.progs.push(ProgHandle {
            fd: loaded.fd,
            info,
            log: loaded.log,
        });
    }
    test_hook::step("programs_loaded")?;
    if opts.compat.pin_progs {
        ensure_dir_tracked(st, &crate::attach::prog_pins::dir(&opts.pin_root))?;
        for (i, p) in obj.programs.iter().enumerate() {
            let Some(fd) = st.progs.get(i).map(|h| h.fd.as_fd()) else {
                continue;
            };
            // A previous load's pin of that name is replaced, and put back on rollback.
            let (path, restore) = crate::attach::prog_pins::pin(fd, &opts.pin_root, &p.name)?;
            st.undo.push(Undo::Pin {
                path: path.clone(),
                restore,
            });
            st.prog_pins.push((i, path));
        }
    }

    // New maps get their initial values, then their pins: a pin always names a complete map.
    fill_initial_values(obj, st)?;
    for i in 0..st.maps.len() {
        pin_map(st, i)?;
    }
    test_hook::step("after_pin")?;

    // Attach, each cgroup attachment bracketed by its pending and final record.
    for (i, (p, plan)) in obj.programs.iter().zip(&plans).enumerate() {
        attach_one(opts, st, i, p, plan)?;
    }
    test_hook::step("after_records")?;

    Ok(report(opts, obj, &plans, st, std::mem::take(warnings)))
}

/// Creates an object map and reads back what the kernel made of it (its ID, for the report).
fn create_map(def: &MapDef, btf: Option<BorrowedFd<'_>>) -> Result<(sys::MapFd, sys::MapInfo)> {
    let fd = create::create(def, btf)?;
    let info = sys::map_info(fd.as_fd()).map_err(bpf_err(format!("map {}: info", def.name)))?;
    Ok((fd, info))
}

/// Creates `dir` if missing and remembers, for rollback, every directory that this creates:
/// `tc/globals` may bring a new `tc` with it, which must go too for the pin root to be left
/// empty. The undo entries are pushed first, so a creation that fails halfway is undone too.
fn ensure_dir_tracked(st: &mut State, dir: &Path) -> Result<()> {
    let missing: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|d| !d.exists())
        .map(Path::to_path_buf)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    // Outermost first, so that rollback (newest first) removes the innermost first.
    st.undo.extend(missing.into_iter().rev().map(Undo::Dir));
    pin_root::ensure_dir(dir)
}

/// Pins a created map. A replaced incompatible pin is removed first (its map stays open for
/// rollback); EEXIST means another program pinned there meanwhile, and the load starts over.
fn pin_map(st: &mut State, i: usize) -> Result<()> {
    // iproute2 pins live in subdirectories (tc/globals, tc/<object>): create them.
    let parent = st.maps[i]
        .pin_path
        .as_ref()
        .and_then(|p| p.parent())
        .map(Path::to_path_buf);
    if let (false, Some(parent)) = (st.maps[i].reused, parent) {
        ensure_dir_tracked(st, &parent)?;
    }
    let m = &mut st.maps[i];
    let (false, Some(path), Some(def)) = (m.reused, m.pin_path.clone(), m.def.as_ref()) else {
        return Ok(());
    };
    let name = def.name.clone();
    let c = pin_root::c_path(&path)?;
    let restore = m.replaces.take();
    if restore.is_some() {
        std::fs::remove_file(&path)
            .map_err(crate::error::io_err("remove incompatible pin", &path))?;
    }
    let pinned = sys::obj_pin(m.fd.as_fd(), &c);
    match pinned {
        Ok(()) => {
            m.pinned = true;
            st.undo.push(Undo::Pin { path, restore });
            Ok(())
        }
        Err(e) => {
            if let Some(old) = &restore {
                let _ = sys::obj_pin(old.as_fd(), &c);
            }
            if e.errno == libc::EEXIST {
                Err(Error::PinRace { map: name, path })
            } else {
                Err(bpf_err(format!("map {name}: pin {}", path.display()))(e))
            }
        }
    }
}

/// Writes the static `.values` of created prog arrays and map-in-maps (never of reused maps).
fn fill_initial_values(obj: &Object, st: &State) -> Result<()> {
    let progs: HashMap<&str, RawFd> = obj
        .programs
        .iter()
        .zip(&st.progs)
        .map(|(p, h)| (p.name.as_str(), h.fd.as_raw_fd()))
        .collect();
    let maps_by_name: HashMap<&str, RawFd> = st
        .maps
        .iter()
        .map(|m| (m.name.as_str(), m.fd.as_raw_fd()))
        .collect();
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
            let fd = u32::try_from(*target).unwrap_or(0);
            sys::map_update_elem(
                &m.fd,
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

/// Attaches program `i` as planned. A cgroup attachment: the previous program is found
/// through the records (a crashed run's pending record included), the new program is
/// pinned as the pending record, attached (replacing the previous one), and the pending
/// record is renamed over the final one. Each stage is in the undo log.
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
            let inode = cg.inode;
            let record = records::path(&opts.pin_root, inode, *attach_type, &p.name);
            let pending = records::pending_path(&opts.pin_root, inode, *attach_type, &p.name);
            ensure_dir_tracked(st, &records::dir(&opts.pin_root))?;
            let Some(cg) = st.cgroup.as_ref() else {
                return Ok(());
            };
            let previous = match st.previous.remove(&i) {
                Some(found) => Some(found),
                None => records::recover(&record, &pending, cg, *attach_type)?,
            };

            records::pin(st.progs[i].fd.as_fd(), &pending)?;
            let att = st.attachments.len();
            st.attachments.push(Attachment {
                prog: i,
                target: AttachTarget::Cgroup(opts.attach_mode),
                attach_type: *attach_type,
                replaced: None,
            });
            st.undo.push(Undo::Cgroup {
                att,
                pending: pending.clone(),
                record: record.clone(),
                stage: Stage::Pending,
            });
            test_hook::step("record_pending")?;

            let Some(cg) = st.cgroup.as_ref() else {
                return Ok(());
            };
            let replaced = apply::attach_cgroup(
                cg,
                st.progs[i].fd.as_fd(),
                &p.name,
                *attach_type,
                opts.attach_mode,
                previous,
            )?;
            st.attachments[att].replaced = replaced;
            set_stage(st, Stage::Attached);
            test_hook::step("after_attach")?;

            records::commit(&pending, &record)?;
            set_stage(st, Stage::Committed);
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
            let replaced = apply::attach_map(
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
            });
            st.undo.push(Undo::MapAttach(st.attachments.len() - 1));
            Ok(())
        }
    }
}

/// Advances the stage of the newest cgroup attachment in the undo log.
fn set_stage(st: &mut State, to: Stage) {
    if let Some(Undo::Cgroup { stage, .. }) = st.undo.last_mut() {
        *stage = to;
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
                    attach_type: AttachType(a.attach_type).to_string(),
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
                status: ProgramStatus::Loaded,
                attach,
                not_attached: match &plans[i] {
                    Plan::NotAttached(why) => Some(why.clone()),
                    _ => None,
                },
                verifier_log: h.log.clone(),
                pin_path: st
                    .prog_pins
                    .iter()
                    .find(|(p, _)| *p == i)
                    .map(|(_, path)| path.display().to_string()),
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
            } else if m.recreated && m.pinned {
                MapStatus::Recreated
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
