//! `map show`: the maps pinned under the pin root and the maps used by programs attached to
//! the cgroup (the set `map-ids` lists), each with its entry count.

use std::path::PathBuf;

use rawbpf_syscalls as sys;
use serde::Serialize;

use crate::cmd::map_ids::{MapIdsOptions, map_ids};
use crate::error::Result;
use crate::map::access;
use crate::report::{AttachedProgram, MapEntry, MapSummary};

/// What `map show` looks at (as `map-ids`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MapShowOptions {
    pub cgroup: PathBuf,
    pub pin_root: PathBuf,
}

/// Result of `map show`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MapShowReport {
    pub cgroup: String,
    pub pin_root: String,
    pub maps: Vec<ShownMap>,
    /// What could not be shown and why (as in `map-ids`).
    pub warnings: Vec<String>,
}

/// One map with its entry count.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ShownMap {
    #[serde(flatten)]
    pub info: MapSummary,
    /// Entries now: `max_entries` for array-like maps, counted for the others; `null` when
    /// the map's keys cannot be walked (queues, ring buffers, ...) or it is gone.
    pub entries: Option<u32>,
    pub pinned: Option<String>,
    /// IDs of the attached programs that use the map.
    pub used_by: Vec<u32>,
}

/// The entry count of map `id` (`None` when it is gone or cannot be walked).
fn entry_count(id: u32) -> Option<u32> {
    let fd = sys::fd_by_id(sys::IdKind::Map, id).ok()?;
    let (map, info) = sys::MapFd::open(fd).ok()?;
    access::count(&map, &info)
}

fn shown(m: MapEntry) -> ShownMap {
    ShownMap {
        entries: entry_count(m.info.id),
        info: m.info,
        pinned: m.pinned,
        used_by: m.used_by,
    }
}

/// The maps and the programs of the cgroup (the latter for `status`).
pub(crate) fn maps_and_programs(
    opts: &MapShowOptions,
) -> Result<(MapShowReport, Vec<AttachedProgram>)> {
    let ids = map_ids(&MapIdsOptions {
        cgroup: opts.cgroup.clone(),
        pin_root: opts.pin_root.clone(),
    })?;
    let report = MapShowReport {
        cgroup: ids.cgroup,
        pin_root: ids.pin_root,
        maps: ids.maps.into_iter().map(shown).collect(),
        warnings: ids.warnings,
    };
    Ok((report, ids.programs))
}

/// Lists the maps per `opts`.
pub fn map_show(opts: &MapShowOptions) -> Result<MapShowReport> {
    Ok(maps_and_programs(opts)?.0)
}
