//! `map-ids`: the programs attached to a cgroup (every cgroup attach type), the maps they
//! use, and the maps pinned under the pin root — by kernel ID, from `BPF_PROG_QUERY` and
//! `BPF_OBJ_GET_INFO_BY_FD`.

use std::collections::BTreeMap;
use std::os::fd::AsFd;
use std::path::PathBuf;

use rawbpf_elf::{MapType, ProgType};
use rawbpf_syscalls as sys;

use crate::attach;
use crate::attach_type::{self, CGROUP_ATTACH_TYPES};
use crate::cgroup::{Cgroup, DEFAULT_CGROUP};
use crate::error::{Result, bpf_err, io_err};
use crate::load::DEFAULT_PIN_ROOT;
use crate::pin_root;
use crate::report::{AttachedProgram, MapEntry, MapIdsReport};

/// What `map-ids` looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapIdsOptions {
    pub cgroup: PathBuf,
    pub pin_root: PathBuf,
}

impl Default for MapIdsOptions {
    fn default() -> Self {
        MapIdsOptions {
            cgroup: PathBuf::from(DEFAULT_CGROUP),
            pin_root: PathBuf::from(DEFAULT_PIN_ROOT),
        }
    }
}

fn entry(info: &sys::MapInfo) -> MapEntry {
    MapEntry {
        id: info.id.0,
        name: info.name.clone(),
        map_type: MapType(info.map_type).to_string(),
        key_size: info.key_size,
        value_size: info.value_size,
        max_entries: info.max_entries,
        flags: info.map_flags,
        pinned: None,
        used_by: Vec::new(),
    }
}

/// Lists programs and maps per `opts`.
pub fn map_ids(opts: &MapIdsOptions) -> Result<MapIdsReport> {
    let cgroup = Cgroup::open(&opts.cgroup)?;
    let mut programs = Vec::new();
    let mut maps: BTreeMap<u32, MapEntry> = BTreeMap::new();

    for at in CGROUP_ATTACH_TYPES {
        let q = attach::query(cgroup.fd(), at)?;
        for (n, id) in q.prog_ids.iter().enumerate() {
            // The program may go away between the query and the open: skip it then.
            let fd = match sys::fd_by_id(sys::IdKind::Prog, id.0) {
                Ok(fd) => fd,
                Err(e) if e.is_enoent() => continue,
                Err(e) => return Err(bpf_err(format!("open program {}", id.0))(e)),
            };
            let info =
                sys::prog_info(fd.as_fd()).map_err(bpf_err(format!("info of program {}", id.0)))?;
            for map_id in &info.map_ids {
                if let std::collections::btree_map::Entry::Vacant(v) = maps.entry(map_id.0) {
                    let Ok(mfd) = sys::fd_by_id(sys::IdKind::Map, map_id.0) else {
                        continue;
                    };
                    let minfo = sys::map_info(mfd.as_fd())
                        .map_err(bpf_err(format!("info of map {}", map_id.0)))?;
                    v.insert(entry(&minfo));
                }
                if let Some(m) = maps.get_mut(&map_id.0)
                    && !m.used_by.contains(&id.0)
                {
                    m.used_by.push(id.0);
                }
            }
            programs.push(AttachedProgram {
                id: id.0,
                name: info.name.clone(),
                prog_type: ProgType(info.prog_type).to_string(),
                tag: info.tag.iter().map(|b| format!("{b:02x}")).collect(),
                attach_type: attach_type::name(at),
                attach_flags: q
                    .prog_attach_flags
                    .get(n)
                    .copied()
                    .filter(|&f| f != 0)
                    .unwrap_or(q.attach_flags),
                map_ids: info.map_ids.iter().map(|m| m.0).collect(),
            });
        }
    }

    // Maps pinned directly under the pin root.
    if opts.pin_root.exists() {
        pin_root::check(&opts.pin_root)?;
        let mut paths = Vec::new();
        for e in
            std::fs::read_dir(&opts.pin_root).map_err(io_err("read directory", &opts.pin_root))?
        {
            let e = e.map_err(io_err("read directory", &opts.pin_root))?;
            if e.file_type().map_err(io_err("stat", &e.path()))?.is_file() {
                paths.push(e.path());
            }
        }
        paths.sort();
        for path in paths {
            let Ok(fd) = sys::obj_get(&pin_root::c_path(&path)?) else {
                continue;
            };
            if sys::obj_info_kind(fd.as_fd()) != sys::ObjKind::Map {
                continue;
            }
            let info = sys::map_info(fd.as_fd())
                .map_err(bpf_err(format!("info of map pinned at {}", path.display())))?;
            let m = maps.entry(info.id.0).or_insert_with(|| entry(&info));
            m.pinned.get_or_insert_with(|| path.display().to_string());
        }
    }

    Ok(MapIdsReport {
        cgroup: opts.cgroup.display().to_string(),
        pin_root: opts.pin_root.display().to_string(),
        programs,
        maps: maps.into_values().collect(),
    })
}
