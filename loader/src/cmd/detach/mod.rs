//! `detach`: detaches what rawbpf recorded for a cgroup (or one program by ID), removes the
//! records, and with `--unpin` removes map pins and the pin root when it is left empty.

pub(crate) mod act;
mod iface;
mod map;
mod raw_tp;
mod unpin;

use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use rawbpf_abi::AttachType;
use rawbpf_elf::Object;
use rawbpf_syscalls as sys;

use crate::attach::{apply, index, links};
use crate::cmd::load::DEFAULT_PIN_ROOT;
use crate::error::{Error, OtherProgram, Result, bpf_err};
use crate::host::cgroup::Cgroup;
use crate::report::{DetachReport, DetachedProgram, OwnedElsewhere};
use crate::{attach::records, cmd::inspect, host::lock, host::pin_root};
use act::Act;

/// What `detach` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetachOptions {
    /// Only this object's programs (and, with `unpin`, its maps).
    pub object: Option<PathBuf>,
    pub cgroup: PathBuf,
    pub pin_root: PathBuf,
    /// Remove map pins (of `object`, or all under the pin root) and the empty pin root.
    pub unpin: bool,
    /// Detach this program (by kernel ID) instead of the recorded ones.
    pub prog_id: Option<u32>,
    /// Find and report what would be detached and unpinned, and change nothing.
    pub dry_run: bool,
    /// `--owner TOKEN`: leave the attachments whose link a load with another owner took
    /// over (`attach::links`), and then, with `unpin`, every pin (their programs use the
    /// maps); `None` detaches whatever is recorded.
    pub owner: Option<String>,
    /// `--iface NAME`: detach only what rawbpf attached to this network interface (XDP
    /// links), nothing on the cgroup or socket maps.
    pub iface: Option<String>,
}

impl Default for DetachOptions {
    fn default() -> Self {
        DetachOptions {
            object: None,
            cgroup: crate::host::cgroup::default_root_or_standard(),
            pin_root: PathBuf::from(DEFAULT_PIN_ROOT),
            unpin: false,
            prog_id: None,
            dry_run: false,
            owner: None,
            iface: None,
        }
    }
}

/// Every program attached directly to the cgroup, for hints.
pub fn attached_programs(cgroup: &Cgroup) -> Vec<OtherProgram> {
    let mut out = Vec::new();
    for AttachType(at) in AttachType::CGROUP {
        let Ok(q) = apply::query(cgroup.fd(), at) else {
            continue;
        };
        for id in q.prog_ids {
            out.push(OtherProgram {
                id: id.0,
                name: apply::prog_name(id.0),
                attach_type: AttachType(at).to_string(),
            });
        }
    }
    out
}

/// The pin root, when it exists; it must then be on bpffs.
fn existing_pin_root(pin_root: &Path) -> Result<Option<&Path>> {
    if !pin_root.exists() {
        return Ok(None);
    }
    pin_root::check(pin_root)?;
    Ok(Some(pin_root))
}

/// Detaches per `opts`.
pub fn detach(opts: &DetachOptions) -> Result<DetachReport> {
    // Without privileges the kernel hides what is attached: "nothing attached" would be a
    // guess, so say what is missing instead.
    if !crate::host::privileges::privileged() {
        return Err(Error::NotPrivileged {
            what: "detach".to_string(),
        });
    }
    let obj = opts
        .object
        .as_deref()
        .map(inspect::read_object)
        .transpose()?;
    let cgroup = Cgroup::open(&opts.cgroup)?;
    let pin_root = existing_pin_root(&opts.pin_root)?;
    // Serialised with loads on the same pin root (see `lock`); released on return.
    let _lock = match pin_root {
        Some(root) => lock::acquire(root, false)?,
        None => None,
    };
    // The pin root may have been removed while we waited for the lock.
    let pin_root = pin_root.filter(|r| r.exists());

    let act = Act {
        dry_run: opts.dry_run,
    };
    if let Some(owner) = opts.owner.as_deref() {
        links::validate_owner(owner)?;
    }
    let ifindex = opts
        .iface
        .as_deref()
        .map(crate::attach::iface_records::ifindex)
        .transpose()?;
    let (mut detached, mut owned_by_others) = match opts.prog_id {
        _ if ifindex.is_some() => (Vec::new(), Vec::new()),
        Some(id) => (detach_by_id(&cgroup, pin_root, id, act)?, Vec::new()),
        None => {
            let only = Only {
                obj: obj.as_ref(),
                owner: opts.owner.as_deref(),
            };
            detach_recorded(&cgroup, pin_root, only, act)?
        }
    };
    // sk_msg / sk_skb programs attached to the pin root's socket maps: OBJ's, or without
    // OBJ every one rawbpf recorded.
    let owner = opts.owner.as_deref();
    let on_maps = match (opts.prog_id, obj.as_ref(), pin_root) {
        _ if ifindex.is_some() => map::Found::default(),
        (None, Some(obj), Some(root)) => map::detach_object(root, obj, owner, act)?,
        (None, None, Some(root)) => map::detach_all_recorded(root, owner, act)?,
        _ => map::Found::default(),
    };
    detached.extend(on_maps.detached);
    owned_by_others.extend(on_maps.owned_by_others);
    // XDP programs attached to interfaces: of `--iface`, or every one recorded here.
    if let (None, Some(root)) = (opts.prog_id, pin_root) {
        let found = iface::detach_recorded(root, ifindex, obj.as_ref(), owner, act)?;
        detached.extend(found.detached);
        owned_by_others.extend(found.owned_by_others);
    }
    // Raw tracepoint programs: every one recorded here (none with `--iface`).
    if let (None, None, Some(root)) = (opts.prog_id, opts.iface.as_ref(), pin_root) {
        let found = raw_tp::detach_recorded(root, obj.as_ref(), owner, act)?;
        detached.extend(found.detached);
        owned_by_others.extend(found.owned_by_others);
    }
    // Another owner's attachments still use the pinned maps: `--unpin` leaves them.
    let unpinned = match (opts.unpin && owned_by_others.is_empty(), pin_root) {
        (true, Some(root)) => unpin::unpin(root, obj.as_ref(), act)?,
        _ => unpin::Unpinned::default(),
    };
    if detached.is_empty()
        && unpinned.removed.is_empty()
        && owned_by_others.is_empty()
        && opts.prog_id.is_none()
        && opts.iface.is_none()
        && opts.pin_root == Path::new(DEFAULT_PIN_ROOT)
        && let Some(report) = detach_indexed(opts, &cgroup)?
    {
        return Ok(report);
    }
    if let Some(iface) = opts.iface.as_ref()
        && detached.is_empty()
        && owned_by_others.is_empty()
    {
        return Err(Error::NothingOnIface {
            iface: iface.clone(),
            pin_root: opts.pin_root.clone(),
        });
    }
    if detached.is_empty() && unpinned.removed.is_empty() && owned_by_others.is_empty() {
        let others = attached_programs(&cgroup);
        return Err(match opts.prog_id {
            Some(id) => Error::ProgNotAttached {
                id,
                cgroup: opts.cgroup.clone(),
                others,
            },
            None => Error::NothingAttached {
                cgroup: opts.cgroup.clone(),
                object: opts.object.clone(),
                others,
            },
        });
    }
    let left_attached = attached_programs(&cgroup)
        .into_iter()
        .filter(|o| !detached.iter().any(|d| d.id == o.id))
        .collect();
    Ok(DetachReport {
        cgroup: opts.cgroup.display().to_string(),
        detached,
        unpinned: unpinned.removed,
        kept: unpinned.kept,
        dry_run: opts.dry_run,
        left_attached,
        owned_by_others,
    })
}

/// Nothing was recorded under the default pin root: detaches per `opts` under each pin root
/// the index names for this cgroup (`attach::index`), as if it had been given. `None` when
/// the index names none, or none had anything to detach.
fn detach_indexed(opts: &DetachOptions, cgroup: &Cgroup) -> Result<Option<DetachReport>> {
    let mut merged: Option<DetachReport> = None;
    for root in index::pin_roots(cgroup.inode) {
        if root == Path::new(DEFAULT_PIN_ROOT) || !root.is_dir() {
            continue;
        }
        let found = match detach(&DetachOptions {
            pin_root: root,
            ..opts.clone()
        }) {
            Ok(r) => r,
            Err(Error::NothingAttached { .. }) => continue,
            Err(e) => return Err(e),
        };
        match merged.as_mut() {
            None => merged = Some(found),
            Some(m) => {
                m.detached.extend(found.detached);
                m.unpinned.extend(found.unpinned);
                m.kept.extend(found.kept);
                m.owned_by_others.extend(found.owned_by_others);
                m.left_attached = found.left_attached;
            }
        }
    }
    Ok(merged)
}

/// Which records `detach` removes: only `obj`'s programs, when given; with `owner`, not
/// those whose link another owner's load took over.
#[derive(Debug, Clone, Copy)]
struct Only<'a> {
    obj: Option<&'a Object>,
    owner: Option<&'a str>,
}

/// Detaches the programs recorded for this cgroup (per `only`) and removes their records,
/// stale ones and pending ones (of a run that died mid-attach) included. A program attached
/// through a link is detached with `BPF_LINK_DETACH` of exactly the recorded link; one an
/// earlier rawbpf attached without a link with `BPF_PROG_DETACH`. Returns what was detached
/// and what was left to another owner.
fn detach_recorded(
    cgroup: &Cgroup,
    pin_root: Option<&Path>,
    only: Only<'_>,
    act: Act,
) -> Result<(Vec<DetachedProgram>, Vec<OwnedElsewhere>)> {
    let Some(root) = pin_root else {
        return Ok((Vec::new(), Vec::new()));
    };
    let mut out = Vec::new();
    let mut others = Vec::new();
    for rec in records::list(root, cgroup.inode)? {
        if let Some(obj) = only.obj
            && obj.program(&rec.program).is_none()
        {
            continue;
        }
        if let Some(fd) = records::open(&rec.path)?
            && sys::obj_info_kind(fd.as_fd()) == sys::ObjKind::Prog
        {
            let info = sys::prog_info(fd.as_fd())
                .map_err(bpf_err(format!("info of recorded program {}", rec.program)))?;
            let q = apply::query(cgroup.fd(), rec.attach_type)?;
            if q.prog_ids.contains(&info.id) {
                let what = DetachedProgram {
                    id: info.id.0,
                    name: rec.program.clone(),
                    attach_type: AttachType(rec.attach_type).to_string(),
                };
                let final_record =
                    records::path(root, rec.cgroup_inode, rec.attach_type, &rec.program);
                let link = links::open(&final_record, cgroup.inode, rec.attach_type)?
                    .filter(|l| l.info.prog_id == info.id);
                if let (Some(link), Some(owner)) = (link.as_ref(), only.owner)
                    && link.owner != owner
                {
                    others.push(OwnedElsewhere {
                        id: what.id,
                        name: what.name,
                        attach_type: what.attach_type,
                        owner: link.owner.clone(),
                    });
                    continue;
                }
                let failed = bpf_err(format!(
                    "program {} (id {}): detach from {} ({})",
                    rec.program,
                    info.id.0,
                    cgroup.path.display(),
                    AttachType(rec.attach_type)
                ));
                match link {
                    Some(link) => act.link_detach(link.fd.as_fd()).map_err(failed)?,
                    None => act
                        .prog_detach(cgroup.fd(), fd.as_fd(), rec.attach_type)
                        .map_err(failed)?,
                }
                out.push(what);
            }
        }
        act.remove_record(&rec.path)?;
    }
    // No record of this cgroup left here: the index no longer points here for it.
    if records::list(root, cgroup.inode)?.is_empty()
        && let Some(entry) = index::entry(cgroup.inode, root)
    {
        act.remove(&entry)?;
        act.remove_dir_if_empty(&index::dir());
    }
    Ok((out, others))
}

/// Detaches program `id` from every cgroup attach type it is attached with here, and
/// removes rawbpf's records of it.
fn detach_by_id(
    cgroup: &Cgroup,
    pin_root: Option<&Path>,
    id: u32,
    act: Act,
) -> Result<Vec<DetachedProgram>> {
    let fd = match sys::fd_by_id(sys::IdKind::Prog, id) {
        Ok(fd) => fd,
        Err(e) if e.is_enoent() => return Ok(Vec::new()),
        Err(e) => return Err(bpf_err(format!("open program {id}"))(e)),
    };
    let info = sys::prog_info(fd.as_fd()).map_err(bpf_err(format!("info of program {id}")))?;
    let mut out = Vec::new();
    for AttachType(at) in AttachType::CGROUP {
        let q = apply::query(cgroup.fd(), at)?;
        if !q.prog_ids.contains(&info.id) {
            continue;
        }
        let failed = bpf_err(format!(
            "program {id}: detach from {} ({})",
            cgroup.path.display(),
            AttachType(at)
        ));
        // rawbpf's own link running it: detached through that link.
        match recorded_link(cgroup, pin_root, at, info.id)? {
            Some(link) => act.link_detach(link.fd.as_fd()).map_err(failed)?,
            None => act
                .prog_detach(cgroup.fd(), fd.as_fd(), at)
                .map_err(failed)?,
        }
        out.push(DetachedProgram {
            id,
            name: info.name.clone(),
            attach_type: AttachType(at).to_string(),
        });
    }
    if let Some(root) = pin_root {
        for rec in records::list(root, cgroup.inode)? {
            let same = records::open(&rec.path)?
                .and_then(|f| sys::prog_info(f.as_fd()).ok())
                .is_some_and(|i| i.id == info.id);
            if same {
                act.remove_record(&rec.path)?;
            }
        }
    }
    Ok(out)
}

/// The link pinned beside one of this cgroup's records under `pin_root` that runs program
/// `id` for `attach_type`, if any.
fn recorded_link(
    cgroup: &Cgroup,
    pin_root: Option<&Path>,
    attach_type: u32,
    id: sys::ProgId,
) -> Result<Option<links::LinkPin>> {
    let Some(root) = pin_root else {
        return Ok(None);
    };
    for rec in records::list(root, cgroup.inode)? {
        if rec.pending || rec.attach_type != attach_type {
            continue;
        }
        if let Some(link) = links::open(&rec.path, cgroup.inode, attach_type)?
            && link.info.prog_id == id
        {
            return Ok(Some(link));
        }
    }
    Ok(None)
}
