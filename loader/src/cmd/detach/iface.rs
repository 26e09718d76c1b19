//! `detach` for programs attached to network interfaces (XDP, `load --iface`): each record
//! of `attach::iface_records` (of one interface with `--iface NAME`, else all of the pin
//! root; of OBJ's programs when OBJ is given) has its link pinned beside it, and exactly
//! that link is detached (`BPF_LINK_DETACH`; with `--owner`, only when the link names that
//! owner). The records go with it, stale and pending ones included.

use std::path::Path;

use rawbpf_elf::Object;

use super::act::Act;
use super::map::Found;
use crate::attach::{iface_records, links};
use crate::error::Result;

/// Detaches the interface attachments recorded under `pin_root` (of `ifindex` when given,
/// of `obj`'s programs when given).
pub(crate) fn detach_recorded(
    pin_root: &Path,
    ifindex: Option<u32>,
    obj: Option<&Object>,
    owner: Option<&str>,
    act: Act,
) -> Result<Found> {
    let mut out = Found::default();
    for rec in iface_records::list(pin_root, ifindex) {
        if obj.is_some_and(|o| o.program(&rec.program).is_none()) {
            continue;
        }
        let fin = iface_records::path(pin_root, rec.ifindex, rec.attach_type, &rec.program);
        if let Some(link) = links::open_iface(&fin, rec.ifindex, rec.attach_type)?
            && !out.by_link(link, &rec.program, rec.attach_type, owner, act)?
        {
            // Another owner's: its records stay.
            continue;
        }
        act.remove_record(&rec.path)?;
    }
    Ok(out)
}
