//! The attach step of `load` for interface programs (XDP, `--iface NAME`): each program is
//! recorded (`attach::iface_records`: pending record, attach, final record) and attached
//! through an XDP link pinned beside its record. A reload finds the recorded link and swaps
//! its program with `BPF_LINK_UPDATE` + `BPF_F_REPLACE` (only if the link still runs the
//! recorded program): the interface is never without a program, and the link stays the
//! same. Every stage is in the undo log.

use std::os::fd::AsFd;

use rawbpf_abi::AttachType;
use rawbpf_elf::Program;
use rawbpf_syscalls as sys;

use super::LoadOptions;
use super::attach::{pin_new_link, take_over_replaced};
use super::state::{AttachTarget, Attachment, State, Undo, ensure_dir_tracked};
use crate::attach::apply::Replaced;
use crate::attach::{iface_records, links, records};
use crate::error::{Error, Result, bpf_err};

/// Attaches program `i` to the interface of `--iface` (resolved into `st.iface`).
pub(super) fn attach_to_iface(
    opts: &LoadOptions,
    st: &mut State,
    i: usize,
    p: &Program,
    attach_type: u32,
) -> Result<()> {
    let Some((name, ifindex)) = st.iface.clone() else {
        return Ok(());
    };
    let record = iface_records::path(&opts.pin_root, ifindex, attach_type, &p.name);
    let pending = iface_records::pending_path(&opts.pin_root, ifindex, attach_type, &p.name);
    ensure_dir_tracked(st, &records::dir(&opts.pin_root))?;
    let previous = recorded(&record, ifindex, attach_type)?;
    records::pin(st.progs[i].fd.as_fd(), &pending)?;
    st.undo.push(Undo::Pin {
        path: pending.clone(),
        restore: None,
    });

    let prog = st.progs[i].fd.as_fd();
    let what = || {
        format!(
            "program {}: attach to {name} ({})",
            p.name,
            AttachType(attach_type)
        )
    };
    let new_link = match previous
        .as_ref()
        .and_then(|r| r.link.as_ref().map(|l| (r, l)))
    {
        Some((old, link)) => {
            sys::link_update(link.fd.as_fd(), prog, Some(old.fd.as_fd()))
                .map_err(bpf_err(what()))?;
            None
        }
        None => Some(
            sys::link_create_ifindex(prog, ifindex, attach_type, flags(opts, attach_type))
                .map_err(|e| create_error(&name, p, opts, attach_type, e, what()))?,
        ),
    };
    st.attachments.push(Attachment {
        prog: i,
        target: AttachTarget::Iface(ifindex),
        attach_type,
        replaced: previous,
        new_link,
    });
    let att = st.attachments.len() - 1;
    st.undo.push(Undo::IfaceAttach(att));
    if !pin_new_link(opts, st, att, &record)? {
        take_over_replaced(opts, st, att, &record)?;
    }
    let restore = records::open(&record)?;
    records::commit(&pending, &record)?;
    st.undo.push(Undo::Pin {
        path: record,
        restore,
    });
    Ok(())
}

/// The program a previous load recorded for this interface with the link that runs it,
/// when both are still there (a trusted link pin of this interface running the recorded
/// program). A crashed run's pending record whose program the link runs counts too.
fn recorded(record: &std::path::Path, ifindex: u32, attach_type: u32) -> Result<Option<Replaced>> {
    let Some(link) = links::open_iface(record, ifindex, attach_type)? else {
        return Ok(None);
    };
    let pending = record.with_file_name(format!(
        "pending-{}",
        record
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    for path in [record, pending.as_path()] {
        let Some(fd) = records::open(path)? else {
            continue;
        };
        if sys::obj_info_kind(fd.as_fd()) != sys::ObjKind::Prog {
            continue;
        }
        let info = sys::prog_info(fd.as_fd()).map_err(bpf_err("info of recorded program"))?;
        if info.id == link.info.prog_id {
            return Ok(Some(Replaced {
                id: info.id.0,
                fd,
                link: Some(link),
            }));
        }
    }
    Ok(None)
}

/// The link's flags: the XDP mode for XDP, 0 for tcx (appended after the interface's
/// other tcx programs).
fn flags(opts: &LoadOptions, attach_type: u32) -> u32 {
    if attach_type == AttachType::XDP.0 {
        opts.xdp_mode.flags()
    } else {
        0
    }
}

/// A refused interface link, said in one line: no tcx before 6.6 (EINVAL: the kernel does
/// not know the attach type), EBUSY (another XDP program is attached there without
/// rawbpf's record), an XDP mode the driver lacks, or what the kernel said.
fn create_error(
    iface: &str,
    p: &Program,
    opts: &LoadOptions,
    attach_type: u32,
    e: sys::Error,
    what: String,
) -> Error {
    let tcx = attach_type != AttachType::XDP.0;
    let direction = if attach_type == AttachType::TCX_EGRESS.0 {
        "egress"
    } else {
        "ingress"
    };
    let reason = match e.errno {
        libc::EINVAL if tcx => format!(
            "this kernel has no tcx links (Linux 6.6+; the kernel said {}); attach it with \
             `tc filter add dev {iface} {direction} bpf da obj OBJ sec {}` instead",
            sys::errno_text(&e.errno),
            p.section
        ),
        libc::EBUSY | libc::EEXIST if !tcx => format!(
            "interface {iface} already has an XDP program that this pin root did not record \
             (see `ip link show dev {iface}` or `bpftool net`); detach it first"
        ),
        libc::EOPNOTSUPP | libc::EINVAL if opts.xdp_mode != iface_records::XdpMode::Auto => {
            format!(
                "interface {iface} refuses XDP in {} mode (the kernel said {}); try --xdp-mode \
                 generic",
                opts.xdp_mode.name(),
                sys::errno_text(&e.errno)
            )
        }
        _ => return bpf_err(what)(e),
    };
    Error::AttachRefused {
        program: p.name.clone(),
        target: iface.to_string(),
        attach_type: AttachType(attach_type).to_string(),
        reason,
    }
}
