//! The attach step of `load` for raw tracepoint programs (`raw_tp/NAME`): each program is
//! recorded (`attach::tp_records`: pending record, attach, final record) and attached with
//! `BPF_RAW_TRACEPOINT_OPEN`, whose link is pinned beside its record. The kernel has no
//! `BPF_LINK_UPDATE` for raw tracepoint links, so a reload opens the new link first, takes
//! the old link's pin away and pins the new one; the old link is closed with the load (its
//! last fd), so both programs run for that moment, never none. Every stage is in the undo
//! log: a rollback detaches the new link and pins the old one back.

use std::os::fd::AsFd;

use rawbpf_abi::AttachType;
use rawbpf_elf::Program;
use rawbpf_syscalls as sys;

use super::LoadOptions;
use super::attach::pin_new_link;
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
    // The old link (an earlier load's, any owner) loses its pin; its fd, held by the undo
    // log, keeps it attached until the load is done, or pins it back on rollback.
    if let Some(old) = previous {
        std::fs::remove_file(&old.path).map_err(io_err("remove link pin", &old.path))?;
        st.undo.push(Undo::Pin {
            path: old.path,
            restore: Some(old.fd),
        });
    }
    pin_new_link(opts, st, att, &record)?;
    let restore = records::open(&record)?;
    records::commit(&pending, &record)?;
    st.undo.push(Undo::Pin {
        path: record,
        restore,
    });
    Ok(())
}
