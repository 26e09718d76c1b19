//! What this object attached last time, at each program's place: the program a cgroup,
//! interface or sockmap record names, when the kernel still runs it there.

use std::os::fd::AsFd;
use std::path::Path;

use rawbpf_elf::Program;
use rawbpf_syscalls as sys;

use super::Previous;
use crate::attach::apply::{self, AttachMode};
use crate::attach::{iface_records, links, map_records, records};
use crate::cmd::load::LoadOptions;
use crate::error::Result;
use crate::host::{cgroup::Cgroup, pin_root};

/// The program an attach record names, when the cgroup runs it in the requested mode. A
/// pending record (a crashed run) means "load": the load path recovers it.
pub(super) fn in_cgroup(
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
pub(super) fn on_iface(
    opts: &LoadOptions,
    attach_type: u32,
    p: &Program,
) -> Result<Option<Previous>> {
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
pub(super) fn on_map(
    root: &Path,
    pin: Option<&Path>,
    attach_type: u32,
    p: &Program,
) -> Option<Previous> {
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
