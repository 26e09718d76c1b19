//! `detach OBJ` for programs attached to a map: an `sk_msg` / `sk_skb` program of OBJ is
//! detached from the object's pinned SOCKMAP/SOCKHASH it was attached to by `load`.
//!
//! The program is found by asking the map: `BPF_PROG_QUERY` with the map fd as target
//! (Linux 5.19 and later), then detached with `BPF_PROG_DETACH` (target = map fd,
//! `attach_bpf_fd` = the program, the attach type) if it carries the object's program name.
//! A kernel that cannot be asked (EINVAL) is given the programs of rawbpf's map records
//! (`attach::map_records`) instead: the one that is attached detaches, the others are
//! refused with ENOENT. The records go either way. Sockets already in the map keep the
//! program they picked up when they were added (the kernel copies a map's programs into a
//! socket only then); see `docs/performance.md`, "The fast path".
//!
//! A program attached through a sockmap link (6.10+), whose pin is beside its map record
//! (`attach::links`), is detached with `BPF_LINK_DETACH` of that link instead; with
//! `--owner`, only when the link names that owner.
//!
//! `detach` without OBJ goes by the map records alone ([`detach_all_recorded`]): every
//! program rawbpf attached to a socket map of this pin root, whatever object it came from.

use std::os::fd::AsFd;
use std::path::Path;

use rawbpf_abi::AttachType;
use rawbpf_elf::Object;
use rawbpf_syscalls as sys;

use super::act::Act;
use crate::attach::plan::{Plan, plan};
use crate::attach::{links, map_records, records};
use crate::error::{Result, bpf_err};
use crate::report::{DetachedProgram, OwnedElsewhere};
use crate::{host::pin_root, map::create};

/// What a socket-map detach did: the programs it detached, and those it left because
/// their link belongs to another owner now.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub(crate) detached: Vec<DetachedProgram>,
    pub(crate) owned_by_others: Vec<OwnedElsewhere>,
}

impl Found {
    /// Detaches a recorded sockmap link (`BPF_LINK_DETACH`), unless `owner` is given and
    /// the link names another; true when it was detached (its records can go).
    pub(crate) fn by_link(
        &mut self,
        link: links::LinkPin,
        program: &str,
        attach_type: u32,
        owner: Option<&str>,
        act: Act,
    ) -> Result<bool> {
        if !self.claim(&link, program, attach_type, owner) {
            return Ok(false);
        }
        let id = link.info.prog_id.0;
        act.link_detach(link.fd.as_fd()).map_err(bpf_err(format!(
            "program {program} (id {id}): detach link {}",
            link.path.display()
        )))?;
        Ok(true)
    }

    /// The owner check of [`Found::by_link`] without `BPF_LINK_DETACH`, for a link the
    /// kernel cannot detach (a raw tracepoint link): it goes with its pin, which the
    /// caller removes, and its last fd. False (noted as another owner's) when `owner` is
    /// given and the link names another.
    pub(crate) fn claim(
        &mut self,
        link: &links::LinkPin,
        program: &str,
        attach_type: u32,
        owner: Option<&str>,
    ) -> bool {
        let (id, attach) = (link.info.prog_id.0, AttachType(attach_type).to_string());
        if let Some(owner) = owner
            && link.owner != owner
        {
            self.owned_by_others.push(OwnedElsewhere {
                id,
                name: program.to_string(),
                attach_type: attach,
                owner: link.owner.clone(),
            });
            return false;
        }
        self.detached.push(DetachedProgram {
            id,
            name: program.to_string(),
            attach_type: attach,
        });
        true
    }
}

/// The programs the existing files of `paths` pin.
fn opened(paths: &[std::path::PathBuf]) -> Result<Vec<std::os::fd::OwnedFd>> {
    let mut out = Vec::new();
    for path in paths {
        out.extend(records::open(path)?);
    }
    Ok(out)
}

/// Detaches every map-attached program of `obj` from its map pinned under `pin_root`.
/// Programs whose map is not pinned there, or not attached, are skipped.
pub(crate) fn detach_object(
    pin_root: &Path,
    obj: &Object,
    owner: Option<&str>,
    act: Act,
) -> Result<Found> {
    let mut out = Found::default();
    for p in &obj.programs {
        let Plan::Map { attach_type, map } = plan(obj, p, true) else {
            continue;
        };
        let Some(def) = obj.map(&map) else {
            continue;
        };
        let Some(path) = create::pin_path(pin_root, def, true)?.filter(|p| p.exists()) else {
            continue;
        };
        let map_fd = match sys::obj_get(&pin_root::c_path(&path)?) {
            Ok(fd) => fd,
            Err(e) if e.is_enoent() => continue,
            Err(e) => {
                return Err(bpf_err(format!("map {map}: open pin {}", path.display()))(
                    e,
                ));
            }
        };
        let map_id = sys::map_info(map_fd.as_fd())
            .map_err(bpf_err(format!("map {map}: info")))?
            .id
            .0;
        let recorded = [
            map_records::path(pin_root, map_id, attach_type, &p.name),
            map_records::pending_path(pin_root, map_id, attach_type, &p.name),
        ];
        if let Some(link) = links::open_map(&recorded[0], map_id, attach_type)? {
            if out.by_link(link, &p.name, attach_type, owner, act)? {
                for path in &recorded {
                    act.remove_record(path)?;
                }
            }
            continue;
        }
        let candidates = match sys::prog_query_ids(map_fd.as_fd(), attach_type) {
            Ok(q) => {
                let mut fds = Vec::new();
                for id in &q.prog_ids {
                    match sys::fd_by_id(sys::IdKind::Prog, id.0) {
                        Ok(fd) => fds.push(fd),
                        // Without CAP_SYS_ADMIN the kernel opens no program by ID: the
                        // recorded ones then (one not attached there detaches as ENOENT).
                        Err(_) => {
                            fds.extend(opened(&recorded)?);
                            break;
                        }
                    }
                }
                fds
            }
            // Before 5.19: the recorded programs, whichever of them is attached.
            Err(e) if e.errno == libc::EINVAL => opened(&recorded)?,
            Err(e) => return Err(bpf_err(format!("map {map}: query"))(e)),
        };
        let want = sys::ObjName::new(&p.name);
        for prog in candidates {
            let info = sys::prog_info(prog.as_fd())
                .map_err(bpf_err(format!("program {}: info", p.name)))?;
            if info.name != want.as_str() {
                continue;
            }
            match act.prog_detach(map_fd.as_fd(), prog.as_fd(), attach_type) {
                Ok(()) => out.detached.push(DetachedProgram {
                    id: info.id.0,
                    name: p.name.clone(),
                    attach_type: AttachType(attach_type).to_string(),
                }),
                // Not the program attached there (a stale or pending record).
                Err(e) if e.errno == libc::ENOENT => {}
                Err(e) => {
                    return Err(bpf_err(format!(
                        "program {} (id {}): detach from map {map} ({})",
                        p.name,
                        info.id.0,
                        AttachType(attach_type)
                    ))(e));
                }
            }
        }
        for path in &recorded {
            act.remove_record(path)?;
        }
    }
    Ok(out)
}

/// The map pinned directly under `pin_root` whose kernel ID is `map_id`: rawbpf's own pins
/// name the map without `BPF_MAP_GET_FD_BY_ID` (which needs CAP_SYS_ADMIN).
fn pinned_map_with_id(pin_root: &Path, map_id: u32) -> Option<std::os::fd::OwnedFd> {
    let entries = std::fs::read_dir(pin_root).ok()?;
    entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| sys::obj_get(&pin_root::c_path(&e.path()).ok()?).ok())
        .find(|fd| sys::map_info(fd.as_fd()).is_ok_and(|i| i.id.0 == map_id))
}

/// `detach` without OBJ: detaches every program a map record of `pin_root` names from the
/// socket map it was attached to, and removes the records. A record whose map is gone, or
/// whose program is no longer attached there, is only removed.
pub(crate) fn detach_all_recorded(pin_root: &Path, owner: Option<&str>, act: Act) -> Result<Found> {
    let mut out = Found::default();
    for rec in map_records::list(pin_root, None) {
        let link = match rec.pending {
            false => links::open_map(&rec.path, rec.map_id, rec.attach_type)?,
            true => None,
        };
        if let Some(link) = link {
            if out.by_link(link, &rec.program, rec.attach_type, owner, act)? {
                act.remove_record(&rec.path)?;
            }
            continue;
        }
        let map = pinned_map_with_id(pin_root, rec.map_id)
            .or_else(|| sys::fd_by_id(sys::IdKind::Map, rec.map_id).ok());
        if let (Some(map), Some(prog)) = (map, records::open(&rec.path)?) {
            let info = sys::prog_info(prog.as_fd())
                .map_err(bpf_err(format!("program {}: info", rec.program)))?;
            match act.prog_detach(map.as_fd(), prog.as_fd(), rec.attach_type) {
                Ok(()) => out.detached.push(DetachedProgram {
                    id: info.id.0,
                    name: rec.program.clone(),
                    attach_type: AttachType(rec.attach_type).to_string(),
                }),
                Err(e) if e.errno == libc::ENOENT => {}
                Err(e) => {
                    return Err(bpf_err(format!(
                        "program {} (id {}): detach from map {} ({})",
                        rec.program,
                        info.id.0,
                        rec.map_id,
                        AttachType(rec.attach_type)
                    ))(e));
                }
            }
        }
        act.remove_record(&rec.path)?;
    }
    Ok(out)
}
