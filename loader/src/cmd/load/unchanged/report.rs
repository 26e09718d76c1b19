//! The report of an unchanged load.

use std::collections::HashSet;
use std::path::PathBuf;

use rawbpf_abi::{AttachType, MapType};
use rawbpf_elf::Object;
use rawbpf_syscalls as sys;

use super::Internal;
use super::compare::Pinned;
use crate::attach::plan::Plan;
use crate::cmd::load::LoadOptions;
use crate::report::{AttachReport, LoadedMap, MapStatus};

/// How the planned attachment is reported; `None` for a program this load would not attach.
pub(super) fn attach_report(opts: &LoadOptions, plan: &Plan) -> Option<AttachReport> {
    Some(match plan {
        Plan::Cgroup { attach_type } => AttachReport {
            target: opts.cgroup.display().to_string(),
            attach_type: AttachType(*attach_type).to_string(),
            mode: Some(opts.attach_mode.name().to_string()),
            replaced_id: None,
            replaced_name: None,
        },
        Plan::Map { attach_type, map } => AttachReport {
            target: format!("map {map}"),
            attach_type: AttachType(*attach_type).to_string(),
            mode: None,
            replaced_id: None,
            replaced_name: None,
        },
        Plan::Iface { attach_type } => AttachReport {
            target: opts.iface.clone()?,
            attach_type: AttachType(*attach_type).to_string(),
            mode: Some(crate::cmd::load::report::iface_mode(opts, *attach_type)),
            replaced_id: None,
            replaced_name: None,
        },
        Plan::None | Plan::NotAttached(_) | Plan::RawTp { .. } => return None,
    })
}

/// The reused pinned maps, then each internal map some program uses, once.
pub(super) fn reused_maps_report(
    obj: &Object,
    pinned: &Pinned<'_>,
    used_internal: Vec<(&Internal, &str)>,
) -> Vec<LoadedMap> {
    let mut maps_out = Vec::new();
    for def in &obj.maps {
        if let Some((info, path)) = pinned.get(def.name.as_str()) {
            maps_out.push(loaded_map(&def.name, info, Some(path)));
        }
    }
    let mut seen = HashSet::new();
    for (m, _) in used_internal {
        if seen.insert(m.info.id.0) {
            maps_out.push(loaded_map(&m.info.name, &m.info, None));
        }
    }
    maps_out
}

fn loaded_map(name: &str, info: &sys::MapInfo, pin: Option<&PathBuf>) -> LoadedMap {
    LoadedMap {
        name: name.to_string(),
        map_type: MapType(info.map_type).to_string(),
        id: info.id.0,
        key_size: info.key_size,
        value_size: info.value_size,
        max_entries: info.max_entries,
        status: MapStatus::Reused,
        pin_path: pin.map(|p| p.display().to_string()),
    }
}
