//! Opening a loaded map (by pin, pin-root name or kernel ID) and reading its entries with
//! `BPF_MAP_GET_NEXT_KEY` / `BPF_MAP_LOOKUP_ELEM`.

use std::collections::HashSet;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use rawbpf_abi::MapType;
use rawbpf_syscalls as sys;

use crate::error::{Error, Result, bpf_err};
use crate::host::pin_root;
use crate::suggest;

/// Which map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapSelector {
    /// `<pin_root>/<name>`.
    Name { pin_root: PathBuf, name: String },
    /// A pin anywhere on bpffs.
    Pinned(PathBuf),
    /// A kernel map ID.
    Id(u32),
}

/// An open map, its info and where it is pinned (when opened by pin).
#[derive(Debug)]
pub struct OpenMap {
    pub fd: sys::MapFd,
    pub info: sys::MapInfo,
    pub pinned: Option<PathBuf>,
}

/// Opens the map `sel` names.
pub fn open(sel: &MapSelector) -> Result<OpenMap> {
    let path = match sel {
        MapSelector::Id(id) => {
            let fd = sys::fd_by_id(sys::IdKind::Map, *id).map_err(|e| {
                if e.is_enoent() {
                    Error::MapNotFound {
                        what: format!("with ID {id}"),
                        hint: " (list maps with `rawbpf map show`)".to_string(),
                    }
                } else {
                    bpf_err(format!("open map {id}"))(e)
                }
            })?;
            let (fd, info) = sys::MapFd::open(fd).map_err(bpf_err(format!("info of map {id}")))?;
            return Ok(OpenMap {
                fd,
                info,
                pinned: None,
            });
        }
        MapSelector::Pinned(p) => p.clone(),
        MapSelector::Name { pin_root, name } => {
            pin_root::validate_pin_name(name)?;
            pin_root.join(name)
        }
    };
    let fd = open_pin(&path, sel)?;
    let kind = sys::obj_info_kind(fd.as_fd());
    if kind != sys::ObjKind::Map {
        return Err(Error::NotAMap {
            path,
            kind: format!("{kind:?}").to_ascii_lowercase(),
        });
    }
    let (fd, info) = sys::MapFd::open(fd)
        .map_err(bpf_err(format!("info of map pinned at {}", path.display())))?;
    Ok(OpenMap {
        fd,
        info,
        pinned: Some(path),
    })
}

fn open_pin(path: &Path, sel: &MapSelector) -> Result<OwnedFd> {
    sys::obj_get(&pin_root::c_path(path)?).map_err(|e| {
        if e.is_enoent() {
            Error::MapNotFound {
                what: format!("pinned at {}", path.display()),
                hint: not_found_hint(sel),
            }
        } else if !pin_root::is_on_bpffs(path).unwrap_or(true) {
            // The kernel's EACCES/EPERM for a file that is no pin at all says nothing useful.
            Error::PinOffBpffs {
                path: path.to_path_buf(),
            }
        } else {
            bpf_err(format!("open pin {}", path.display()))(e)
        }
    })
}

/// What to say when nothing is pinned where `sel` points: for a name, the closest name
/// pinned under the pin root and the pin root itself (the usual mistake); for a path, where
/// to look.
fn not_found_hint(sel: &MapSelector) -> String {
    let MapSelector::Name { pin_root, name } = sel else {
        return " (list maps with `rawbpf map show`)".to_string();
    };
    let pinned: Vec<String> = std::fs::read_dir(pin_root)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    match suggest::closest(name, pinned.iter().map(String::as_str)) {
        Some(near) => format!(" (did you mean {near}? list maps with `rawbpf map show`)"),
        None => format!(
            " (list maps with `rawbpf map show`; is --pin-root {} right?)",
            pin_root.display()
        ),
    }
}

/// The byte size of one per-CPU slot (`round_up(value_size, 8)`).
pub fn percpu_slot(value_size: u32) -> usize {
    (value_size as usize).div_ceil(8) * 8
}

/// Iterates the keys of a map. Stops at the end, and when the kernel starts over (the key
/// it was asked to continue from was deleted meanwhile) or after `max_entries + 1024` keys,
/// so a map that changes during the walk cannot make it loop for ever.
struct Keys<'a> {
    map: &'a sys::MapFd,
    key_size: usize,
    last: Option<Vec<u8>>,
    seen: HashSet<Vec<u8>>,
    limit: u64,
}

impl Iterator for Keys<'_> {
    type Item = sys::Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.seen.len() as u64 >= self.limit {
            return None;
        }
        let mut next = vec![0u8; self.key_size];
        match sys::map_get_next_key(self.map, self.last.as_deref(), &mut next) {
            Ok(true) => {
                if !self.seen.insert(next.clone()) {
                    return None;
                }
                self.last = Some(next.clone());
                Some(Ok(next))
            }
            Ok(false) => None,
            Err(e) => {
                self.limit = 0;
                Some(Err(e))
            }
        }
    }
}

fn keys<'a>(map: &'a sys::MapFd, info: &sys::MapInfo) -> Keys<'a> {
    Keys {
        map,
        key_size: map.key_size() as usize,
        last: None,
        seen: HashSet::new(),
        limit: u64::from(info.max_entries) + 1024,
    }
}

/// Number of entries: `max_entries` for array-like maps, else counted with
/// `BPF_MAP_GET_NEXT_KEY`. `None` for maps whose keys cannot be walked (queues, ring
/// buffers, storage maps, ...).
pub fn count(map: &sys::MapFd, info: &sys::MapInfo) -> Option<u32> {
    if MapType(info.map_type).is_array() {
        return Some(info.max_entries);
    }
    if info.key_size == 0 {
        return None;
    }
    let mut n = 0u32;
    for k in keys(map, info) {
        k.ok()?;
        n = n.saturating_add(1);
    }
    Some(n)
}

/// Every entry as (key, value) bytes; a per-CPU value is one `percpu_slot` per possible CPU.
/// Entries deleted during the walk are skipped.
pub fn entries(m: &OpenMap) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let info = &m.info;
    let what = || {
        format!(
            "read map {} ({}, {})",
            info.id.0,
            info.name,
            MapType(info.map_type)
        )
    };
    if info.key_size == 0 {
        return Err(Error::Unsupported {
            what: format!(
                "map {} is a {}, which has no keys to walk",
                info.id.0,
                MapType(info.map_type)
            ),
        });
    }
    // Per-CPU values: one `percpu_slot` per possible CPU.
    let value_len = m.fd.value_len().map_err(|source| Error::Io {
        what: "read",
        path: PathBuf::from("/sys/devices/system/cpu/possible"),
        source,
    })?;
    let mut out = Vec::new();
    for key in keys(&m.fd, info) {
        let key = key.map_err(bpf_err(what()))?;
        let mut value = vec![0u8; value_len];
        if sys::map_lookup_elem(&m.fd, &key, &mut value).map_err(bpf_err(what()))? {
            out.push((key, value));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percpu_slots() {
        assert_eq!(percpu_slot(4), 8);
        assert_eq!(percpu_slot(8), 8);
        assert_eq!(percpu_slot(12), 16);
    }
}
