//! The attach step of `load` for raw tracepoint programs (`raw_tp/NAME`): each program is
//! recorded (`attach::tp_records`: pending record, attach, final record) and attached with
//! `BPF_RAW_TRACEPOINT_OPEN`, whose link is pinned beside its record. The kernel has no
//! `BPF_LINK_UPDATE` for raw tracepoint links, so a reload opens the new link first, pins
//! it beside the pending record and renames that pin over the old link's (atomic: one of
//! the two is pinned at every moment, a kill included); the old link is closed with the
//! load (its last fd), so both programs run for that moment, never none. Every stage is in the undo
//! log: a rollback detaches the new link and pins the old one back.

use std::os::fd::AsFd;
use std::path::Path;

use rawbpf_abi::AttachType;
use rawbpf_elf::Program;
use rawbpf_syscalls as sys;

use super::LoadOptions;
use super::state::{AttachTarget, Attachment, State, Undo, ensure_dir_tracked};
use crate::attach::{links, records, tp_records};
use crate::error::{Error, Result, bpf_err, io_err};

/// Attaches program `i` to raw tracepoint `tracepoint`.
pub(super) fn attach_raw_tp(
    opts: &LoadOptions,
    st: &mut State,
    i: usize,
    p: &Program,
    tracepoint: &str,
) -> Result<()> {
    let record = tp_records::path(&opts.pin_root, tracepoint, &p.name);
    let pending = tp_records::pending_path(&opts.pin_root, tracepoint, &p.name);
    ensure_dir_tracked(st, &records::dir(&opts.pin_root))?;
    let previous = links::open_raw_tp(&record)?;
    // A link pinned beside the pending record is a crashed run's, never committed: it goes.
    for stale in links::all_of(&pending) {
        std::fs::remove_file(&stale).map_err(io_err("remove link pin", &stale))?;
    }
    records::pin(st.progs[i].fd.as_fd(), &pending)?;
    st.undo.push(Undo::Pin {
        path: pending.clone(),
        restore: None,
    });

    let refused = |reason: String| Error::AttachRefused {
        program: p.name.clone(),
        target: format!("raw tracepoint {tracepoint}"),
        attach_type: AttachType::TRACE_RAW_TP.to_string(),
        reason,
    };
    let name = std::ffi::CString::new(tracepoint)
        .map_err(|_| refused("the tracepoint's name holds a NUL byte".to_string()))?;
    let link =
        sys::raw_tracepoint_open(st.progs[i].fd.as_fd(), &name).map_err(|e| match e.errno {
            libc::ENOENT => refused(format!(
                "this kernel has no tracepoint {tracepoint} (see \
                 /sys/kernel/tracing/available_events)"
            )),
            _ => bpf_err(format!(
                "program {}: attach to raw tracepoint {tracepoint}",
                p.name
            ))(e),
        })?;
    st.attachments.push(Attachment {
        prog: i,
        target: AttachTarget::RawTp(tracepoint.to_string()),
        attach_type: AttachType::TRACE_RAW_TP.0,
        replaced: None,
        new_link: Some(link),
    });
    let att = st.attachments.len() - 1;
    st.undo.push(Undo::IfaceAttach(att));
    own_link(opts, st, att, &pending, &record, previous)?;
    let restore = records::open(&record)?;
    records::commit(&pending, &record)?;
    st.undo.push(Undo::Pin {
        path: record,
        restore,
    });
    Ok(())
}

/// Pins the new link of attachment `att` beside the pending record, then renames that pin
/// over the record's link pin (atomic on bpffs): at every moment one of the two links is
/// pinned, so even a kill leaves a program attached. The old link (an earlier load's, any
/// owner) loses its pin; its fd, held by the undo log, keeps it attached until the load is
/// done, or pins it back on rollback.
fn own_link(
    opts: &LoadOptions,
    st: &mut State,
    att: usize,
    pending: &Path,
    record: &Path,
    previous: Option<links::LinkPin>,
) -> Result<()> {
    let Some(link) = st.attachments[att].new_link.as_ref() else {
        return Ok(());
    };
    let staged = links::pin(link, pending, &opts.owner)?;
    st.undo.push(Undo::Pin {
        path: staged.clone(),
        restore: None,
    });
    let at = links::path(record, &opts.owner);
    std::fs::rename(&staged, &at).map_err(io_err("rename link pin to", &at))?;
    match previous {
        Some(old) if old.path == at => st.undo.push(Undo::Pin {
            path: at,
            restore: Some(old.fd),
        }),
        Some(old) => {
            st.undo.push(Undo::Pin {
                path: at,
                restore: None,
            });
            std::fs::remove_file(&old.path).map_err(io_err("remove link pin", &old.path))?;
            st.undo.push(Undo::Pin {
                path: old.path,
                restore: Some(old.fd),
            });
        }
        None => st.undo.push(Undo::Pin {
            path: at,
            restore: None,
        }),
    }
    Ok(())
}
