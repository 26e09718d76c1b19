//! A reload whose program set differs from what rawbpf recorded (`docs/cli.md`, "Renamed and
//! removed programs"). Before anything is created, each attach point of the cgroup (an attach
//! type this load uses) is looked at: the records whose program names the object no longer
//! has there ([`find`]) are paired with the object's programs that have no attached record
//! (`attach::plan::pair`). A rename replaces the old program in place (the same
//! `BPF_LINK_UPDATE` of its link a same-name reload uses, through `st.previous`; the link
//! pin takes the new record's name), and its old record goes
//! once the new one is final ([`retire_old_record`]); a removed program is detached after
//! every new program is attached ([`remove_all`]); an ambiguous pairing is refused. Socket
//! maps hold one program per attach type, so there the kernel already replaced the old
//! program and only its record is left to go ([`tidy_map_records`]).
//!
//! Crash safety (`docs/guarantees.md`): a record goes only after its program is detached
//! (replaced or removed), so each program rawbpf attached stays pinned by a record at every
//! instant; a record left behind by a killed run pins a program nothing runs, and the next
//! load removes it here.

use std::collections::HashMap;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;

use rawbpf_abi::AttachType;
use rawbpf_elf::Object;

use super::LoadOptions;
use super::state::{AttachTarget, State, Undo};
use crate::attach::apply::Replaced;
use crate::attach::plan::{Orphan, Pairing, Plan, pair};
use crate::attach::{map_records, records};
use crate::cmd::detach::act::Act;
use crate::error::{Error, Result};
use crate::host::cgroup::Cgroup;
use crate::report::DetachedProgram;

/// A program that replaces one recorded under another name.
#[derive(Debug)]
pub(crate) struct Rename {
    pub(super) old_name: String,
    pub(super) old_record: PathBuf,
    /// The old program, to pin at `old_record` again on rollback.
    old_fd: Option<OwnedFd>,
}

/// A recorded program the object no longer has, to detach.
#[derive(Debug)]
pub(super) struct Removal {
    name: String,
    attach_type: u32,
    record: PathBuf,
    prog: Replaced,
}

/// What [`find`] decided.
#[derive(Debug, Default)]
pub(super) struct Changes {
    /// By program index: the rename and the old program it replaces.
    pub(super) renames: HashMap<usize, (Rename, Replaced)>,
    pub(super) removals: Vec<Removal>,
}

impl Changes {
    pub(super) fn is_empty(&self) -> bool {
        self.renames.is_empty() && self.removals.is_empty()
    }
}

/// Finds the renamed and removed programs of this load's cgroup attach points. `all_names`
/// are the object's programs before `--program` or `--skip-refused` left any out: a load of
/// part of the object cannot tell a removed program from one left out, so it changes
/// nothing (the load then warns as with `--keep-old-programs`). Records of programs nothing
/// runs (left by a killed run) are removed on the way. Costs no bpf(2) call when no record
/// has an old name.
pub(super) fn find(
    opts: &LoadOptions,
    obj: &Object,
    all_names: &[String],
    plans: &[Plan],
    cgroup: Option<&Cgroup>,
) -> Result<Changes> {
    let mut changes = Changes::default();
    let partial = all_names.iter().any(|n| obj.program(n).is_none());
    let Some(cg) = cgroup.filter(|_| opts.attach && !opts.keep_old_programs && !partial) else {
        return Ok(changes);
    };
    let mut types: Vec<u32> = plans
        .iter()
        .filter_map(|p| match p {
            Plan::Cgroup { attach_type } => Some(*attach_type),
            _ => None,
        })
        .collect();
    types.sort_unstable();
    types.dedup();
    if types.is_empty() {
        return Ok(changes);
    }
    let recorded = records::list(&opts.pin_root, cg.inode)?;
    for at in types {
        let here: Vec<(usize, &str)> = obj
            .programs
            .iter()
            .zip(plans)
            .enumerate()
            .filter(|(_, (_, plan))| **plan == Plan::Cgroup { attach_type: at })
            .map(|(i, (p, _))| (i, p.name.as_str()))
            .collect();
        let mut old_names: Vec<&str> = recorded
            .iter()
            .filter(|r| r.attach_type == at && !here.iter().any(|(_, n)| *n == r.program))
            .map(|r| r.program.as_str())
            .collect();
        old_names.sort_unstable();
        old_names.dedup();
        if !old_names.is_empty() {
            at_point(opts, cg, at, &old_names, &here, &mut changes)?;
        }
    }
    Ok(changes)
}

/// [`find`] at the attach point `at` of `cg`, where records of `old_names` exist and the
/// object has the programs `here` (index, name).
fn at_point(
    opts: &LoadOptions,
    cg: &Cgroup,
    at: u32,
    old_names: &[&str],
    here: &[(usize, &str)],
    changes: &mut Changes,
) -> Result<()> {
    let paths = |name: &str| {
        (
            records::path(&opts.pin_root, cg.inode, at, name),
            records::pending_path(&opts.pin_root, cg.inode, at, name),
        )
    };
    let mut orphans = Vec::new();
    let mut old_progs = HashMap::new();
    for &name in old_names {
        let (record, pending) = paths(name);
        match records::recover(&record, &pending, cg, at)? {
            Some(prog) => {
                orphans.push(Orphan {
                    name: name.to_string(),
                    id: prog.id,
                });
                old_progs.insert(name.to_string(), (record, prog));
            }
            // Nothing runs it: a killed run's leftover, or detached by another tool.
            None => Act { dry_run: false }.remove_record(&record)?,
        }
    }
    let mut unmatched = Vec::new();
    for &(i, name) in here {
        let (record, pending) = paths(name);
        if records::recover(&record, &pending, cg, at)?.is_none() {
            unmatched.push((i, name.to_string()));
        }
    }
    match pair(orphans, &unmatched) {
        Pairing::Same => {}
        Pairing::Replace { old, new } => {
            if let Some((old_record, prog)) = old_progs.remove(&old.name) {
                let old_fd = prog.fd.try_clone().ok();
                let rename = Rename {
                    old_name: old.name,
                    old_record,
                    old_fd,
                };
                changes.renames.insert(new, (rename, prog));
            }
        }
        Pairing::Remove(old) => {
            for o in old {
                if let Some((record, prog)) = old_progs.remove(&o.name) {
                    changes.removals.push(Removal {
                        name: o.name,
                        attach_type: at,
                        record,
                        prog,
                    });
                }
            }
        }
        Pairing::Ambiguous { old, new } => {
            let old: Vec<String> = old
                .iter()
                .map(|o| format!("{} (id {})", o.name, o.id))
                .collect();
            return Err(Error::AmbiguousRename {
                target: cg.path.display().to_string(),
                attach_type: AttachType(at).to_string(),
                old: old.join(", "),
                new: new.join(", "),
                pin_root: opts.pin_root.display().to_string(),
            });
        }
    }
    Ok(())
}

/// Hands the decisions to the load: each rename's old program becomes the program its new
/// one replaces (`attach_one` takes it from `st.previous`); the removals are returned.
pub(super) fn adopt(changes: Changes, st: &mut State) -> Vec<Removal> {
    for (i, (rename, prog)) in changes.renames {
        st.previous.insert(i, prog);
        st.renames.insert(i, rename);
    }
    changes.removals
}

/// Before program `i`'s pending record is pinned: when it replaces a program recorded under
/// another name, its final record is removed on rollback, after the attachment's own undo
/// put the old program back under it (the old program gets its own record back below).
pub(super) fn before_attach(st: &mut State, i: usize, record: &std::path::Path) {
    if st.renames.contains_key(&i) {
        st.undo.push(Undo::Pin {
            path: record.to_path_buf(),
            restore: None,
        });
    }
}

/// Once program `i`'s record is final: the record of the program it replaced under another
/// name goes (that program is no longer attached); rollback pins it there again.
pub(super) fn retire_old_record(st: &mut State, i: usize) -> Result<()> {
    let Some(rename) = st.renames.get_mut(&i) else {
        return Ok(());
    };
    let path = rename.old_record.clone();
    let restore = rename.old_fd.take();
    st.undo.push(Undo::Pin {
        path: path.clone(),
        restore,
    });
    Act { dry_run: false }.remove_record(&path)
}

/// Detaches the programs the object no longer has, once every new program is attached:
/// first the program, then its record. Best effort: a failure is a warning, since the new
/// programs are in place and committed.
pub(super) fn remove_all(st: &mut State, removals: Vec<Removal>) -> Vec<String> {
    let mut warnings = Vec::new();
    let Some(cg) = st.cgroup.as_ref() else {
        return warnings;
    };
    let act = Act { dry_run: false };
    for r in removals {
        let at = AttachType(r.attach_type);
        // Attached through a link (multi mode): detached through it.
        let detached = match r.prog.link.as_ref() {
            Some(link) => act.link_detach(link.fd.as_fd()),
            None => act.prog_detach(cg.fd(), r.prog.fd.as_fd(), r.attach_type),
        };
        match detached {
            Ok(()) => {}
            Err(e) if e.is_enoent() => {}
            Err(e) => {
                warnings.push(format!(
                    "program {} (id {}), which this object no longer has: detach from {} ({at}): \
                     {e}; it still runs: rawbpf detach --prog-id {} --cgroup {}",
                    r.name,
                    r.prog.id,
                    cg.path.display(),
                    r.prog.id,
                    cg.path.display()
                ));
                continue;
            }
        }
        if let Err(e) = act.remove_record(&r.record) {
            warnings.push(format!("program {}: {e}", r.name));
        }
        st.removed.push(DetachedProgram {
            id: r.prog.id,
            name: r.name,
            attach_type: at.to_string(),
        });
    }
    warnings
}

/// The program of a final record on socket map `map_id` for `attach_type` under a name other
/// than `p`'s (`p` renamed in the source), when there is one.
pub(super) fn other_map_record(
    root: &std::path::Path,
    map_id: u32,
    attach_type: u32,
    p: &rawbpf_elf::Program,
) -> Option<OwnedFd> {
    map_records::list(root, Some(map_id))
        .into_iter()
        .filter(|r| !r.pending && r.attach_type == attach_type && r.program != p.name)
        .find_map(|r| records::open(&r.path).ok().flatten())
        .filter(|fd| rawbpf_syscalls::obj_info_kind(fd.as_fd()) == rawbpf_syscalls::ObjKind::Prog)
}

/// The link pinned beside a final record on socket map `map_id` for `attach_type` under a
/// name other than `p`'s (`p` renamed in the source), when there is one: a renamed sk_msg
/// program replaces its old self in that link (`attach::links`).
pub(super) fn other_map_link(
    root: &std::path::Path,
    map_id: u32,
    attach_type: u32,
    p: &rawbpf_elf::Program,
) -> Option<crate::attach::links::LinkPin> {
    map_records::list(root, Some(map_id))
        .into_iter()
        .filter(|r| !r.pending && r.attach_type == attach_type && r.program != p.name)
        .find_map(|r| {
            crate::attach::links::open_map(&r.path, map_id, attach_type)
                .ok()
                .flatten()
        })
}

/// After the attachments to socket maps: a map holds one program per attach type, so the
/// attach replaced whatever ran there; final records of other names for that map and attach
/// type name programs nothing runs now (renamed in the source) and go. A replaced program's
/// old name is noted for the report.
pub(super) fn tidy_map_records(opts: &LoadOptions, obj: &Object, st: &mut State) -> Vec<String> {
    let mut warnings = Vec::new();
    if st.lock.is_none() {
        return warnings;
    }
    let mut renamed = Vec::new();
    for a in &st.attachments {
        let (AttachTarget::Map(m), Some(p)) = (&a.target, obj.programs.get(a.prog)) else {
            continue;
        };
        let Some(map) = st.maps.get(*m) else { continue };
        for r in map_records::list(&opts.pin_root, Some(map.info.id.0)) {
            if r.pending || r.attach_type != a.attach_type || r.program == p.name {
                continue;
            }
            let id = records::open(&r.path)
                .ok()
                .flatten()
                .and_then(|fd| rawbpf_syscalls::prog_info(fd.as_fd()).ok())
                .map(|i| i.id.0);
            if id.is_some() && id == a.replaced.as_ref().map(|r| r.id) {
                renamed.push((a.prog, r.program.clone(), r.path.clone()));
            }
            if let Err(e) = (Act { dry_run: false }).remove_record(&r.path) {
                warnings.push(format!("program {}: {e}", r.program));
            }
        }
    }
    for (i, old_name, old_record) in renamed {
        st.renames.insert(
            i,
            Rename {
                old_name,
                old_record,
                old_fd: None,
            },
        );
    }
    warnings
}
