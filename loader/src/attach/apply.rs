//! Attaching to cgroups (multi mode through a bpf_link, `BPF_LINK_UPDATE` for a reload;
//! single/override with `BPF_PROG_ATTACH`) and to sockmaps, the undo of each, and the
//! explanation of EPERM.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rawbpf_abi::AttachType;
use rawbpf_syscalls::{self as sys, AttachFlags};

use crate::attach::links::{self, LinkPin};
use crate::error::{Error, Result, bpf_err};
use crate::host::cgroup::Cgroup;

/// How a program is attached to a cgroup (see `docs/cli.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AttachMode {
    /// `BPF_F_ALLOW_MULTI`: coexists with other programs; reloads swap atomically.
    #[default]
    Multi,
    /// `BPF_F_ALLOW_OVERRIDE`: a child cgroup's program overrides this one.
    Override,
    /// Flags 0: the only program of its type here and below.
    Single,
}

impl AttachMode {
    pub fn flags(self) -> AttachFlags {
        match self {
            AttachMode::Multi => AttachFlags::ALLOW_MULTI,
            AttachMode::Override => AttachFlags::ALLOW_OVERRIDE,
            AttachMode::Single => AttachFlags::NONE,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            AttachMode::Multi => "multi",
            AttachMode::Override => "override",
            AttachMode::Single => "single",
        }
    }

    /// The mode a cgroup's `attach_flags` (from `BPF_PROG_QUERY`) stand for.
    pub fn from_flags(flags: u32) -> AttachMode {
        if flags & AttachFlags::ALLOW_MULTI.0 != 0 {
            AttachMode::Multi
        } else if flags & AttachFlags::ALLOW_OVERRIDE.0 != 0 {
            AttachMode::Override
        } else {
            AttachMode::Single
        }
    }
}

/// A program that was attached before this one and got replaced.
#[derive(Debug)]
pub struct Replaced {
    pub id: u32,
    pub fd: OwnedFd,
    /// The link that runs it, when it was attached through one (`attach::links`).
    pub link: Option<LinkPin>,
}

/// What [`attach_cgroup`] did: the program it replaced, and the link it created (a new
/// link attachment, which the caller pins; none when an existing link was updated or the
/// mode attaches without links).
#[derive(Debug, Default)]
pub struct Attached {
    pub replaced: Option<Replaced>,
    pub new_link: Option<OwnedFd>,
}

/// Programs attached directly to `target` for `attach_type`; empty when the kernel does not
/// know the attach type there (EINVAL).
pub fn query(target: BorrowedFd<'_>, attach_type: u32) -> Result<sys::QueryResult> {
    // The ids and the target's flags: one call on every kernel (`map-ids` asks for more).
    match sys::prog_query_ids(target, attach_type) {
        Ok(q) => Ok(q),
        Err(e) if e.errno == libc::EINVAL => Ok(sys::QueryResult::default()),
        Err(e) => Err(bpf_err(format!("query {}", AttachType(attach_type)))(e)),
    }
}

/// The program pinned by an attach record, if it is still attached to `cgroup`, with the
/// link pinned beside the final record `final_record` when that link runs it.
pub fn recorded_if_attached(
    record: Option<OwnedFd>,
    final_record: &Path,
    cgroup: &Cgroup,
    attach_type: u32,
) -> Result<Option<Replaced>> {
    let Some(fd) = record else { return Ok(None) };
    if sys::obj_info_kind(fd.as_fd()) != sys::ObjKind::Prog {
        return Ok(None);
    }
    let info = sys::prog_info(fd.as_fd()).map_err(bpf_err("info of recorded program"))?;
    let q = query(cgroup.fd(), attach_type)?;
    if !q.prog_ids.contains(&info.id) {
        return Ok(None);
    }
    let link =
        links::open(final_record, cgroup.inode, attach_type)?.filter(|l| l.info.prog_id == info.id);
    Ok(Some(Replaced {
        id: info.id.0,
        fd,
        link,
    }))
}

/// Program `id` opened by ID, or without CAP_SYS_ADMIN (no program opens by ID) `recorded`
/// when it is that program: what a rollback puts back.
fn by_id_or(id: u32, recorded: impl FnOnce() -> Option<Replaced>) -> Option<Replaced> {
    match sys::fd_by_id(sys::IdKind::Prog, id) {
        Ok(fd) => Some(Replaced { id, fd, link: None }),
        Err(_) => recorded().filter(|r| r.id == id),
    }
}

/// Name of program `id`, for messages ("?" when it cannot be read).
pub fn prog_name(id: u32) -> String {
    sys::fd_by_id(sys::IdKind::Prog, id)
        .ok()
        .and_then(|fd| sys::prog_info(fd.as_fd()).ok())
        .map_or_else(|| "?".to_string(), |i| i.name)
}

/// Attaches `prog` to the cgroup. In multi mode through a bpf_link: a `previous` program
/// run by a link is swapped in that link (`BPF_LINK_UPDATE` with `BPF_F_REPLACE`: only if
/// the link still runs it); otherwise a new link is created and returned for the caller to
/// pin (a `previous` program attached without a link, by an earlier rawbpf, is then still
/// attached: the caller detaches it once the link is pinned, so there is no gap). In
/// single/override mode `BPF_PROG_ATTACH` (a link is always multi-attach): the kernel
/// replaces the one program in place, and that program (whoever attached it) is returned
/// as replaced.
pub fn attach_cgroup(
    cgroup: &Cgroup,
    prog: BorrowedFd<'_>,
    program: &str,
    attach_type: u32,
    mode: AttachMode,
    previous: Option<Replaced>,
) -> Result<Attached> {
    if mode == AttachMode::Multi {
        if let Some(prev) = previous.as_ref()
            && let Some(link) = prev.link.as_ref()
        {
            sys::link_update(link.fd.as_fd(), prog, Some(prev.fd.as_fd())).map_err(bpf_err(
                format!(
                    "program {program}: update link {} ({})",
                    link.path.display(),
                    AttachType(attach_type)
                ),
            ))?;
            return Ok(Attached {
                replaced: previous,
                new_link: None,
            });
        }
        return match sys::link_create(prog, cgroup.fd(), attach_type) {
            Ok(link) => Ok(Attached {
                replaced: previous,
                new_link: Some(link),
            }),
            Err(e) => Err(attach_error(cgroup, program, attach_type, mode, e)),
        };
    }
    let q = query(cgroup.fd(), attach_type)?;
    let current = match q.prog_ids.first() {
        Some(id) if q.attach_flags == mode.flags().0 => by_id_or(id.0, || previous),
        _ => None,
    };
    match sys::prog_attach(cgroup.fd(), prog, attach_type, mode.flags(), None) {
        Ok(()) => Ok(Attached {
            replaced: current,
            new_link: None,
        }),
        Err(e) => Err(attach_error(cgroup, program, attach_type, mode, e)),
    }
}

/// Undoes [`attach_cgroup`]: a new link is detached (the old program, when this load had
/// detached it, is attached again first by the caller's undo log); an updated link gets
/// its old program back (atomically); in single/override mode the replaced program is put
/// back, or `prog` detached. Best effort: rollback has nowhere to report a second failure
/// but its return value.
pub fn undo_cgroup(
    cgroup: &Cgroup,
    prog: BorrowedFd<'_>,
    attach_type: u32,
    mode: AttachMode,
    replaced: Option<&Replaced>,
    new_link: Option<&OwnedFd>,
) -> std::result::Result<(), sys::Error> {
    if let Some(link) = new_link {
        return sys::link_detach(link.as_fd());
    }
    match (mode, replaced) {
        (AttachMode::Multi, Some(old)) => match old.link.as_ref() {
            Some(link) => sys::link_update(link.fd.as_fd(), old.fd.as_fd(), Some(prog)),
            None => Ok(()),
        },
        (_, Some(old)) => {
            sys::prog_attach(cgroup.fd(), old.fd.as_fd(), attach_type, mode.flags(), None)
        }
        (_, None) => sys::prog_detach(cgroup.fd(), Some(prog), attach_type),
    }
}

/// How to attach to a socket map: the map, its name (for messages), and whether the
/// attachment can be a link (there is a record to pin it beside).
#[derive(Debug, Clone, Copy)]
pub struct MapTarget<'a> {
    pub map: BorrowedFd<'a>,
    pub name: &'a str,
    pub link: bool,
}

/// Attaches an sk_msg / sk_skb program to a sockmap or sockhash. Where the kernel has
/// sockmap links (6.10+) and `target.link`: the recorded link (`recorded_link`, which runs
/// the recorded program) is updated with `BPF_LINK_UPDATE` + `BPF_F_REPLACE`, or a new link
/// is created (the kernel swaps out a program attached there with `BPF_PROG_ATTACH`, in one
/// step) and returned for the caller to pin. Otherwise (EINVAL from `BPF_LINK_CREATE`:
/// before 6.10) `BPF_PROG_ATTACH`, which also replaces the program attached there before.
/// The replaced program is returned: as the kernel reports it, or, on a kernel that cannot
/// be asked (before 5.19), the program of rawbpf's map record (`recorded`).
pub fn attach_map(
    target: MapTarget<'_>,
    prog: BorrowedFd<'_>,
    program: &str,
    attach_type: u32,
    recorded: Option<OwnedFd>,
    recorded_link: Option<LinkPin>,
) -> Result<Attached> {
    let MapTarget { map, name, .. } = target;
    let what = || {
        format!(
            "program {program}: attach to map {name} ({})",
            AttachType(attach_type)
        )
    };
    let recorded = match (recorded, recorded_link) {
        (Some(fd), Some(link)) => {
            sys::link_update(link.fd.as_fd(), prog, Some(fd.as_fd())).map_err(bpf_err(what()))?;
            let replaced = Replaced {
                id: link.info.prog_id.0,
                fd,
                link: Some(link),
            };
            return Ok(Attached {
                replaced: Some(replaced),
                new_link: None,
            });
        }
        (recorded, _) => recorded,
    };
    let previous = previous_on_map(map, attach_type, recorded);
    if target.link {
        match sys::link_create(prog, map, attach_type) {
            Ok(link) => {
                return Ok(Attached {
                    replaced: previous,
                    new_link: Some(link),
                });
            }
            // No sockmap links on this kernel (before 6.10: EINVAL, the link type is
            // unknown; "not supported" accepted too): BPF_PROG_ATTACH.
            Err(e) if [libc::EINVAL, libc::EOPNOTSUPP, 524].contains(&e.errno) => {}
            Err(e) => return Err(bpf_err(what())(e)),
        }
    }
    sys::prog_attach(map, prog, attach_type, AttachFlags::NONE, None).map_err(bpf_err(what()))?;
    Ok(Attached {
        replaced: previous,
        new_link: None,
    })
}

/// The program attached to a socket map before this load: as the kernel reports it (5.19+),
/// opened by ID or, without CAP_SYS_ADMIN, the recorded one when it is that program.
fn previous_on_map(
    map: BorrowedFd<'_>,
    attach_type: u32,
    recorded: Option<OwnedFd>,
) -> Option<Replaced> {
    let recorded_one = |recorded: Option<OwnedFd>| {
        recorded.and_then(|fd| {
            let id = sys::prog_info(fd.as_fd()).ok()?.id.0;
            Some(Replaced { id, fd, link: None })
        })
    };
    match sys::prog_query_ids(map, attach_type) {
        Ok(q) => q
            .prog_ids
            .first()
            .and_then(|id| by_id_or(id.0, || recorded_one(recorded))),
        Err(_) => recorded_one(recorded),
    }
}

/// Undoes [`attach_map`]: a new link is detached and the program it replaced attached again;
/// an updated link gets its old program back; a `BPF_PROG_ATTACH` is reverted as before.
pub fn undo_map(
    map: BorrowedFd<'_>,
    prog: BorrowedFd<'_>,
    attach_type: u32,
    replaced: Option<&Replaced>,
    new_link: Option<&OwnedFd>,
) -> std::result::Result<(), sys::Error> {
    if let Some(link) = new_link {
        sys::link_detach(link.as_fd())?;
        return match replaced {
            Some(old) => {
                sys::prog_attach(map, old.fd.as_fd(), attach_type, AttachFlags::NONE, None)
            }
            None => Ok(()),
        };
    }
    match replaced {
        Some(old) => match old.link.as_ref() {
            Some(link) => sys::link_update(link.fd.as_fd(), old.fd.as_fd(), Some(prog)),
            None => sys::prog_attach(map, old.fd.as_fd(), attach_type, AttachFlags::NONE, None),
        },
        None => sys::prog_detach(map, Some(prog), attach_type),
    }
}

/// Turns a failed cgroup attach into an error that says why, for EPERM.
fn attach_error(
    cgroup: &Cgroup,
    program: &str,
    attach_type: u32,
    mode: AttachMode,
    e: sys::Error,
) -> Error {
    let target = cgroup.path.display().to_string();
    let what = format!(
        "program {program}: attach to {target} ({})",
        AttachType(attach_type)
    );
    if e.errno != libc::EPERM || !crate::host::privileges::privileged() {
        return bpf_err(what)(e);
    }
    match explain_eperm(cgroup, attach_type, mode) {
        Some(reason) => Error::AttachRefused {
            program: program.to_string(),
            target,
            attach_type: AttachType(attach_type).to_string(),
            reason,
        },
        None => bpf_err(what)(e),
    }
}

/// Why the kernel refused an attach with EPERM: a program attached here with other flags,
/// or the nearest ancestor with a program of this type attached it in single mode.
pub fn explain_eperm(cgroup: &Cgroup, attach_type: u32, mode: AttachMode) -> Option<String> {
    let at_name = AttachType(attach_type).to_string();
    let here = query(cgroup.fd(), attach_type).ok()?;
    if let Some(first) = here.prog_ids.first()
        && here.attach_flags != mode.flags().0
    {
        let existing = AttachMode::from_flags(here.attach_flags);
        let cg = cgroup.path.display();
        return Some(match existing {
            AttachMode::Single => format!(
                "cgroup {cg} has program {} ({}) attached in single mode (flags 0) — the kernel \
                 refuses other attaches of that type there and below; detach it with `rawbpf \
                 detach --cgroup {cg} --prog-id {}`, or use --attach-mode single to replace it",
                first.0,
                prog_name(first.0),
                first.0
            ),
            other => {
                let ids: Vec<String> = here
                    .prog_ids
                    .iter()
                    .map(|id| format!("{} ({})", id.0, prog_name(id.0)))
                    .collect();
                format!(
                    "cgroup {cg} has {at_name} programs attached in {} mode ({}); the kernel \
                     refuses a {} attach next to them: use --attach-mode {}, or detach them \
                     with `rawbpf detach --cgroup {cg} --prog-id ID`",
                    other.name(),
                    ids.join(", "),
                    mode.name(),
                    other.name()
                )
            }
        });
    }
    for parent in cgroup.parents() {
        let Ok(q) = query(parent.fd(), attach_type) else {
            continue;
        };
        if q.attach_flags & (AttachFlags::ALLOW_MULTI.0 | AttachFlags::ALLOW_OVERRIDE.0) != 0 {
            return None;
        }
        if let Some(first) = q.prog_ids.first() {
            let p = parent.path.display();
            return Some(format!(
                "cgroup {p} has program {} ({}) attached in single mode (flags 0) — the kernel \
                 refuses other attaches of that type there and below; detach it with `rawbpf \
                 detach --cgroup {p} --prog-id {}`",
                first.0,
                prog_name(first.0),
                first.0
            ));
        }
    }
    None
}
