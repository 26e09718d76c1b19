//! `detach` for raw tracepoint programs (`load` of `raw_tp/NAME`): each record of
//! `attach::tp_records` (of OBJ's programs when OBJ is given, else all of the pin root) has
//! its link pinned beside it, and exactly that link is released: the kernel has no
//! `BPF_LINK_DETACH` for raw tracepoint links, so its pin goes and the last fd closes
//! (with `--owner`, only when the link names that owner). The records go with it, stale and
//! pending ones included.

use std::path::Path;

use rawbpf_abi::AttachType;
use rawbpf_elf::Object;

use super::act::Act;
use super::map::Found;
use crate::attach::{links, tp_records};
use crate::error::Result;

/// Detaches the raw tracepoint attachments recorded under `pin_root` (of `obj`'s programs
/// when given).
pub(crate) fn detach_recorded(
    pin_root: &Path,
    obj: Option<&Object>,
    owner: Option<&str>,
    act: Act,
) -> Result<Found> {
    let mut out = Found::default();
    for rec in tp_records::list(pin_root) {
        if obj.is_some_and(|o| o.program(&rec.program).is_none()) {
            continue;
        }
        let fin = tp_records::path(pin_root, &rec.tracepoint, &rec.program);
        // No BPF_LINK_DETACH for raw tracepoint links (EOPNOTSUPP): removing the pin
        // (with the record, below) and closing this fd releases the link.
        if let Some(link) = links::open_raw_tp(&fin)?
            && !out.claim(&link, &rec.program, AttachType::TRACE_RAW_TP.0, owner)
        {
            // Another owner's: its records stay.
            continue;
        }
        act.remove_record(&rec.path)?;
    }
    Ok(out)
}
