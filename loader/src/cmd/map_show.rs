//! `map show`: every map of the host (`BPF_MAP_GET_NEXT_ID`, as `bpftool map show`), one by
//! ID, or — narrowed to a cgroup and a pin root — the maps pinned under the pin root and
//! the maps used by programs attached to the cgroup (the set `map-ids` lists); each with
//! its entry count and, where rawbpf pinned it, `owner` `rawbpf` and the pin.

use std::path::PathBuf;

use rawbpf_syscalls as sys;
use serde::Serialize;

use crate::attach::owners::{OWNER, Owners};
use crate::cmd::map_ids::{MapIdsOptions, map_ids};
use crate::error::{Error, Result, bpf_err};
use crate::map::access;
use crate::report::{AttachedProgram, MapEntry, MapSummary};

/// Which maps `map show` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MapShowScope {
    /// The maps pinned under `pin_root` and those of the programs attached to `cgroup`.
    #[default]
    Cgroup,
    /// Every map of the host (`pin_root` still counts as rawbpf's for the owner marks).
    Host,
    /// The map with this kernel ID.
    Id(u32),
}

/// What `map show` looks at.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MapShowOptions {
    pub cgroup: PathBuf,
    pub pin_root: PathBuf,
    pub scope: MapShowScope,
}

/// In a host-wide listing, maps of more than this many `max_entries` are not counted
/// (each entry is one `BPF_MAP_GET_NEXT_KEY`); array-like maps always are (no walk).
pub const HOST_COUNT_LIMIT: u32 = 65536;

/// Result of `map show`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MapShowReport {
    /// The cgroup looked at; `null` in a host-wide listing.
    pub cgroup: Option<String>,
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
    /// the map's keys cannot be walked (queues, ring buffers, ...), it is gone, or (host-wide)
    /// it has more than [`HOST_COUNT_LIMIT`] `max_entries`.
    pub entries: Option<u32>,
    /// A pin of the map: under the pin root, or (host-wide) the one rawbpf made.
    pub pinned: Option<String>,
    /// IDs of the programs that use the map (attached ones; host-wide: every program).
    pub used_by: Vec<u32>,
    /// `rawbpf` when rawbpf created the pin (its mark under the pin root names this map);
    /// `null` otherwise.
    pub owner: Option<String>,
}

/// The entry count of map `id` (`None` when it is gone or cannot be walked).
fn entry_count(id: u32) -> Option<u32> {
    let fd = sys::fd_by_id(sys::IdKind::Map, id).ok()?;
    let (map, info) = sys::MapFd::open(fd).ok()?;
    access::count(&map, &info)
}

fn shown(m: MapEntry, owners: &Owners) -> ShownMap {
    ShownMap {
        entries: entry_count(m.info.id),
        owner: owners.map_pin(m.info.id).map(|_| OWNER.to_string()),
        info: m.info,
        pinned: m.pinned,
        used_by: m.used_by,
    }
}

/// Map ID → the programs that use it, from every program of the host.
fn users() -> Result<std::collections::BTreeMap<u32, Vec<u32>>> {
    let mut out: std::collections::BTreeMap<u32, Vec<u32>> = Default::default();
    for id in sys::ids(sys::IdKind::Prog) {
        let id = id.map_err(bpf_err("list the host's programs"))?;
        let Ok(fd) = sys::fd_by_id(sys::IdKind::Prog, id) else {
            continue;
        };
        if let Ok(info) = sys::prog_info(std::os::fd::AsFd::as_fd(&fd)) {
            for m in info.map_ids {
                out.entry(m.0).or_default().push(id);
            }
        }
    }
    Ok(out)
}

/// Map `id` as shown host-wide; `None` when it went away.
fn host_map(
    id: u32,
    owners: &Owners,
    users: &mut std::collections::BTreeMap<u32, Vec<u32>>,
) -> Result<Option<ShownMap>> {
    let fd = match sys::fd_by_id(sys::IdKind::Map, id) {
        Ok(fd) => fd,
        Err(e) if e.is_enoent() => return Ok(None),
        Err(e) => return Err(bpf_err(format!("open map {id}"))(e)),
    };
    let (map, info) = match sys::MapFd::open(fd) {
        Ok(m) => m,
        Err(e) if e.is_enoent() => return Ok(None),
        Err(e) => return Err(bpf_err(format!("info of map {id}"))(e)),
    };
    let cheap =
        rawbpf_abi::MapType(info.map_type).is_array() || info.max_entries <= HOST_COUNT_LIMIT;
    let pinned = owners.map_pin(id).map(str::to_string);
    Ok(Some(ShownMap {
        entries: if cheap {
            access::count(&map, &info)
        } else {
            None
        },
        owner: pinned.as_ref().map(|_| OWNER.to_string()),
        pinned,
        used_by: users.remove(&id).unwrap_or_default(),
        info: (&info).into(),
    }))
}

/// Every map of the host, or map `only`.
fn host_maps(opts: &MapShowOptions, only: Option<u32>) -> Result<MapShowReport> {
    let owners = Owners::collect(&[&opts.pin_root]);
    let mut users = users()?;
    let mut maps = Vec::new();
    match only {
        Some(id) => match host_map(id, &owners, &mut users)? {
            Some(m) => maps.push(m),
            None => {
                return Err(Error::MapNotFound {
                    what: format!("with ID {id}"),
                    hint: " (list maps with `rawbpf map show`)".to_string(),
                });
            }
        },
        None => {
            for id in sys::ids(sys::IdKind::Map) {
                let id = id.map_err(bpf_err("list the host's maps"))?;
                maps.extend(host_map(id, &owners, &mut users)?);
            }
        }
    }
    Ok(MapShowReport {
        cgroup: None,
        pin_root: opts.pin_root.display().to_string(),
        maps,
        warnings: Vec::new(),
    })
}

/// The maps and the programs of the cgroup (the latter for `status`).
pub(crate) fn maps_and_programs(
    opts: &MapShowOptions,
) -> Result<(MapShowReport, Vec<AttachedProgram>)> {
    let ids = map_ids(&MapIdsOptions {
        cgroup: opts.cgroup.clone(),
        pin_root: opts.pin_root.clone(),
    })?;
    let owners = Owners::collect(&[&opts.pin_root]);
    let report = MapShowReport {
        cgroup: Some(ids.cgroup),
        pin_root: ids.pin_root,
        maps: ids.maps.into_iter().map(|m| shown(m, &owners)).collect(),
        warnings: ids.warnings,
    };
    Ok((report, ids.programs))
}

/// Lists the maps per `opts`.
pub fn map_show(opts: &MapShowOptions) -> Result<MapShowReport> {
    match opts.scope {
        MapShowScope::Cgroup => Ok(maps_and_programs(opts)?.0),
        MapShowScope::Host => host_maps(opts, None),
        MapShowScope::Id(id) => host_maps(opts, Some(id)),
    }
}
