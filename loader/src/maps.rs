//! Object maps: reuse a pinned map after comparing it field by field, or create a new one
//! (with BTF type ids when the kernel takes them). Pinning happens later, in `load`, once
//! every program has loaded.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rawbpf_elf::{MapDef, MapType, Pinning};
use rawbpf_syscalls as sys;

use crate::error::{Error, Mismatch, Result, bpf_err};
use crate::pin_root;

/// errno 524, the kernel-internal `ENOTSUPP` bpf(2) leaks (e.g. SOCKHASH with BTF).
pub const ENOTSUPP: i32 = 524;

/// `<pin root>/<map name>` when the map is pinned by name and pinning is on.
pub fn pin_path(pin_root: &Path, def: &MapDef, pin: bool) -> Result<Option<PathBuf>> {
    if !pin || def.pinning != Pinning::ByName {
        return Ok(None);
    }
    pin_root::validate_pin_name(&def.name)?;
    Ok(Some(pin_root.join(&def.name)))
}

/// Every field of `info` that differs from `def` (type, sizes, max_entries, flags).
pub fn compare(def: &MapDef, info: &sys::MapInfo) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let mut field = |field: &'static str, pinned: String, object: String| {
        if pinned != object {
            out.push(Mismatch {
                field,
                pinned,
                object,
            });
        }
    };
    field(
        "type",
        MapType(info.map_type).to_string(),
        def.map_type.to_string(),
    );
    field(
        "key_size",
        info.key_size.to_string(),
        def.key_size.to_string(),
    );
    field(
        "value_size",
        info.value_size.to_string(),
        def.value_size.to_string(),
    );
    field(
        "max_entries",
        info.max_entries.to_string(),
        def.max_entries.to_string(),
    );
    field(
        "map_flags",
        format!("{:#x}", info.map_flags),
        format!("{:#x}", def.map_flags),
    );
    out
}

/// Opens the map pinned at `path`: `Ok(None)` when nothing is pinned there (ENOENT only),
/// an error when the pin is not a map or differs from `def`.
pub fn open_pinned(def: &MapDef, path: &Path) -> Result<Option<(OwnedFd, sys::MapInfo)>> {
    let cpath = pin_root::c_path(path)?;
    let fd = match sys::obj_get(&cpath) {
        Ok(fd) => fd,
        Err(e) if e.is_enoent() => return Ok(None),
        Err(e) => {
            return Err(bpf_err(format!(
                "map {}: open pin {}",
                def.name,
                path.display()
            ))(e));
        }
    };
    let kind = sys::obj_info_kind(fd.as_fd());
    if kind != sys::ObjKind::Map {
        return Err(Error::PinnedNotMap {
            map: def.name.clone(),
            path: path.to_path_buf(),
            kind: format!("{kind:?}").to_lowercase(),
        });
    }
    let info = sys::map_info(fd.as_fd()).map_err(bpf_err(format!(
        "map {}: info of pin {}",
        def.name,
        path.display()
    )))?;
    let mismatches = compare(def, &info);
    if !mismatches.is_empty() {
        return Err(Error::PinnedMapConflict {
            map: def.name.clone(),
            path: path.to_path_buf(),
            mismatches,
        });
    }
    Ok(Some((fd, info)))
}

/// The attributes of `BPF_MAP_CREATE` for `def`, without BTF.
fn spec<'a>(def: &MapDef, kernel_name: &str, inner: Option<BorrowedFd<'a>>) -> sys::MapCreate<'a> {
    sys::MapCreate {
        map_type: def.map_type.0,
        key_size: def.key_size,
        value_size: def.value_size,
        max_entries: def.max_entries,
        map_flags: def.map_flags,
        name: sys::ObjName::new(kernel_name),
        inner_map_fd: inner,
        numa_node: def.numa_node,
        btf_fd: None,
        btf_key_type_id: 0,
        btf_value_type_id: 0,
        map_extra: def.map_extra,
    }
}

/// Map types the kernel never takes BTF key/value types for (libbpf's list in
/// `bpf_object__create_map`): perf_event_array, stack_trace, cgroup_array, array_of_maps,
/// hash_of_maps, devmap, sockmap, cpumap, xskmap, sockhash, queue, stack, devmap_hash, arena.
const NO_BTF_TYPES: [u32; 14] = [4, 7, 8, 12, 13, 14, 15, 16, 17, 18, 22, 23, 25, 33];

/// True when creating a map of this type with BTF type ids is worth trying.
pub fn takes_btf(map_type: u32) -> bool {
    !NO_BTF_TYPES.contains(&map_type)
}

/// `BPF_MAP_CREATE` with BTF type ids when available; when the kernel refuses BTF for this
/// map (ENOTSUPP, e.g. SOCKHASH, or EINVAL), created again without.
pub fn create_with_btf(
    spec_: &sys::MapCreate<'_>,
    btf: Option<BorrowedFd<'_>>,
    key_type_id: u32,
    value_type_id: u32,
    what: &str,
) -> Result<OwnedFd> {
    let wanted = takes_btf(spec_.map_type) && (key_type_id != 0 || value_type_id != 0);
    if let Some(btf_fd) = btf.filter(|_| wanted) {
        let mut with = spec_.clone();
        with.btf_fd = Some(btf_fd);
        with.btf_key_type_id = key_type_id;
        with.btf_value_type_id = value_type_id;
        match sys::map_create(&with) {
            Ok(fd) => return Ok(fd),
            Err(e) if e.errno == ENOTSUPP || e.errno == libc::EINVAL => {}
            Err(e) => return Err(bpf_err(what.to_string())(e)),
        }
    }
    sys::map_create(spec_).map_err(bpf_err(what.to_string()))
}

/// Creates the map `def` (and, for a map-in-map, a temporary inner map as its template).
pub fn create(def: &MapDef, btf: Option<BorrowedFd<'_>>) -> Result<OwnedFd> {
    let what = format!("map {}", def.name);
    let inner_fd = if def.map_type.is_map_in_map() {
        let Some(inner) = def.inner.as_deref() else {
            return Err(Error::Unsupported {
                what: format!(
                    "map {}: map-in-map without an inner map definition",
                    def.name
                ),
            });
        };
        let s = spec(inner, &inner.name, None);
        Some(create_with_btf(
            &s,
            btf,
            inner.btf_key_type_id.unwrap_or(0),
            inner.btf_value_type_id.unwrap_or(0),
            &format!("map {}: inner map", def.name),
        )?)
    } else {
        None
    };
    let s = spec(def, &def.name, inner_fd.as_ref().map(|f| f.as_fd()));
    create_with_btf(
        &s,
        btf,
        def.btf_key_type_id.unwrap_or(0),
        def.btf_value_type_id.unwrap_or(0),
        &what,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rawbpf_elf::MapSource;

    fn def() -> MapDef {
        MapDef {
            name: "sock_ops_map".into(),
            map_type: MapType::SOCKHASH,
            key_size: 16,
            value_size: 8,
            max_entries: 65535,
            map_flags: 0,
            pinning: Pinning::ByName,
            numa_node: None,
            map_extra: 0,
            btf_key_type_id: None,
            btf_value_type_id: None,
            inner: None,
            initial_values: vec![],
            source: MapSource::BtfMaps,
        }
    }

    #[test]
    fn compare_lists_every_field() {
        let info = sys::MapInfo {
            map_type: MapType::HASH.0,
            key_size: 16,
            value_size: 4,
            max_entries: 1024,
            map_flags: 0,
            ..Default::default()
        };
        let m = compare(&def(), &info);
        let text: Vec<String> = m.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            vec![
                "type: pinned hash, object sockhash",
                "value_size: pinned 4, object 8",
                "max_entries: pinned 1024, object 65535",
            ]
        );
    }

    #[test]
    fn pin_paths() {
        let root = Path::new("/sys/fs/bpf/x");
        assert_eq!(
            pin_path(root, &def(), true).unwrap(),
            Some(PathBuf::from("/sys/fs/bpf/x/sock_ops_map"))
        );
        assert_eq!(pin_path(root, &def(), false).unwrap(), None);
        let mut bad = def();
        bad.name = "../evil".into();
        assert!(pin_path(root, &bad, true).is_err());
    }
}
