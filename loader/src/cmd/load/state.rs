//! Everything one `load` attempt holds, and its undo log: each change to shared state (a
//! directory, a pin, an attach record, an attachment) is pushed as it is made, and
//! [`State::rollback`] replays the log backwards when a later step fails. Dropping the state
//! closes every fd, and releases the pin root lock last.

use std::collections::HashMap;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use rawbpf_elf::MapDef;
use rawbpf_syscalls as sys;

use crate::attach::apply::{self, AttachMode, Replaced};
use crate::error::Result;
use crate::host::cgroup::Cgroup;
use crate::host::{lock, pin_root};

/// A map this run holds: reused from a pin, or created (and maybe to be pinned).
#[derive(Debug)]
pub(super) struct MapHandle {
    /// Name in the report (the object's map name, or the internal map's kernel name).
    pub(super) name: String,
    /// The definition, for object maps.
    pub(super) def: Option<MapDef>,
    /// The data section, for internal maps.
    pub(super) section: Option<String>,
    pub(super) fd: sys::MapFd,
    pub(super) info: sys::MapInfo,
    pub(super) reused: bool,
    /// Created to replace an incompatible pin (`--replace-incompatible`): that map's fd,
    /// until the new map is pinned (then the undo log holds it).
    pub(super) replaces: Option<OwnedFd>,
    /// Created to replace an incompatible pin.
    pub(super) recreated: bool,
    /// Where to pin (created maps) or where it was found (reused maps).
    pub(super) pin_path: Option<PathBuf>,
    pub(super) pinned: bool,
}

/// A loaded program.
#[derive(Debug)]
pub(super) struct ProgHandle {
    pub(super) fd: OwnedFd,
    pub(super) info: sys::ProgInfo,
    pub(super) log: Option<String>,
}

/// An attachment made by this run, with what it replaced (for rollback and the report).
#[derive(Debug)]
pub(super) struct Attachment {
    pub(super) prog: usize,
    pub(super) target: AttachTarget,
    pub(super) attach_type: u32,
    pub(super) replaced: Option<Replaced>,
    /// The link this run created for the attachment (cgroup, multi mode).
    pub(super) new_link: Option<OwnedFd>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum AttachTarget {
    Cgroup(AttachMode),
    Map(usize),
    /// An interface (its index), through an XDP link.
    Iface(u32),
    /// A raw tracepoint (its name), through a `BPF_RAW_TRACEPOINT_OPEN` link.
    RawTp(String),
}

/// How far a cgroup attachment got: its pending record pinned, the program attached, the
/// record renamed to its final name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    Pending,
    Attached,
    Committed,
}

/// One undoable change to shared state, in the order it was made.
#[derive(Debug)]
pub(super) enum Undo {
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
    /// An interface or raw tracepoint attachment (index into `attachments`): a new link
    /// is detached, an updated one gets its old program back.
    IfaceAttach(usize),
    /// The old program of a cgroup attachment (index into `attachments`), attached by an
    /// earlier rawbpf without a link, detached once the new link was pinned: attached
    /// again on rollback.
    OldDetached(usize),
    /// A link pin renamed to this load's owner: renamed back.
    Rename { from: PathBuf, to: PathBuf },
}

/// Everything a load holds; dropping it closes every fd (and releases the lock, last).
#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) cgroup: Option<Cgroup>,
    /// `--iface`: the interface's name and index, when a program attaches there.
    pub(super) iface: Option<(String, u32)>,
    pub(super) btf: Option<OwnedFd>,
    pub(super) maps: Vec<MapHandle>,
    pub(super) progs: Vec<ProgHandle>,
    pub(super) attachments: Vec<Attachment>,
    pub(super) undo: Vec<Undo>,
    pub(super) lock: Option<lock::PinRootLock>,
    /// Program pins of `--pin-progs` (index into `progs`, path).
    pub(super) prog_pins: Vec<(usize, PathBuf)>,
    /// Programs attached through final records, found by the unchanged check (index into
    /// `progs`): the attach replaces them without reading the records again.
    pub(super) previous: HashMap<usize, Replaced>,
    /// Programs that replace a program recorded under another name (index into `progs`):
    /// the old record goes once the new one is final (`program_set`).
    pub(super) renames: HashMap<usize, super::program_set::Rename>,
    /// Programs this load detached because the object no longer has them.
    pub(super) removed: Vec<crate::report::DetachedProgram>,
}

impl State {
    /// Undoes everything, best effort, newest first. Runs under the pin root lock.
    pub(super) fn rollback(&mut self) {
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
                Undo::IfaceAttach(att) => self.undo_iface_attach(att),
                Undo::OldDetached(att) => self.reattach_old(att),
                Undo::Rename { from, to } => {
                    let _ = std::fs::rename(from, to);
                }
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
                a.new_link.as_ref(),
            );
        }
    }

    fn reattach_old(&self, att: usize) {
        let (Some(a), Some(cg)) = (self.attachments.get(att), &self.cgroup) else {
            return;
        };
        if let Some(old) = a.replaced.as_ref() {
            let _ = sys::prog_attach(
                cg.fd(),
                old.fd.as_fd(),
                a.attach_type,
                sys::AttachFlags::ALLOW_MULTI,
                None,
            );
        }
    }

    fn undo_iface_attach(&self, att: usize) {
        let (Some(a), Some(prog)) = (
            self.attachments.get(att),
            self.attachments
                .get(att)
                .and_then(|a| self.progs.get(a.prog)),
        ) else {
            return;
        };
        if let Some(link) = a.new_link.as_ref() {
            let _ = sys::link_detach(link.as_fd());
        } else if let Some(old) = a.replaced.as_ref()
            && let Some(link) = old.link.as_ref()
        {
            let _ = sys::link_update(link.fd.as_fd(), old.fd.as_fd(), Some(prog.fd.as_fd()));
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
                a.new_link.as_ref(),
            );
        }
    }
}

/// Creates `dir` if missing and remembers, for rollback, every directory that this creates:
/// `tc/globals` may bring a new `tc` with it, which must go too for the pin root to be left
/// empty. The undo entries are pushed first, so a creation that fails halfway is undone too.
pub(super) fn ensure_dir_tracked(st: &mut State, dir: &Path) -> Result<()> {
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

/// Advances the stage of the newest cgroup attachment in the undo log.
pub(super) fn set_stage(st: &mut State, to: Stage) {
    let newest = st
        .undo
        .iter_mut()
        .rev()
        .find(|u| matches!(u, Undo::Cgroup { .. }));
    if let Some(Undo::Cgroup { stage, .. }) = newest {
        *stage = to;
    }
}
