//! Object maps: reuse a pinned map after comparing it field by field, or create a new one
//! (with BTF type ids when the kernel takes them). Pinning happens later, in `load`, once
//! every program has loaded.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rawbpf_elf::btf::Btf;
use rawbpf_elf::{MapDef, Pinning};
use rawbpf_syscalls as sys;

use crate::error::{Error, Mismatch, Result, bpf_err};
use crate::{host::kernel_types, host::lockdown, host::memlock, host::pin_root, map::compat};

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

/// What is at a map's pin path.
#[derive(Debug)]
pub enum Pinned {
    /// Nothing (`BPF_OBJ_GET` said ENOENT): create the map.
    Absent,
    /// A map that matches the object: reuse it.
    Compatible(sys::MapFd, sys::MapInfo),
    /// A map that differs; every difference is listed.
    Incompatible {
        fd: OwnedFd,
        mismatches: Vec<Mismatch>,
    },
}

/// What a path that `BPF_OBJ_GET` refused holds, when that proves it is not a BPF object:
/// a directory, or a symlink (bpffs has none of its own; one leads elsewhere). A file on
/// bpffs is always a pin, so its refusal is reported as the errno it is (permission,
/// EMFILE, ENOMEM, ...), never guessed at.
fn describe_non_bpf(path: &Path, errno: i32) -> Option<String> {
    // bpffs answers EACCES for an inode that is not a BPF object, other file systems
    // EINVAL or ENOTSUPP.
    if !matches!(
        errno,
        libc::EACCES | libc::EINVAL | libc::EOPNOTSUPP | ENOTSUPP
    ) {
        return None;
    }
    let ft = std::fs::symlink_metadata(path).ok()?.file_type();
    if ft.is_dir() {
        Some("a directory".to_string())
    } else if ft.is_symlink() {
        Some("a symbolic link to something that is not a BPF object".to_string())
    } else {
        None
    }
}

/// The pinned map's key/value BTF: `Ok(None)` when it has none, `Err` (why) when it has
/// some that cannot be read or parsed.
fn pinned_btf(info: &sys::MapInfo) -> std::result::Result<Option<Btf>, String> {
    if info.btf_id == 0 {
        return Ok(None);
    }
    let id = info.btf_id;
    let fd = sys::fd_by_id(sys::IdKind::Btf, id).map_err(|e| format!("open BTF {id}: {e}"))?;
    let raw = sys::btf_info(fd.as_fd()).map_err(|e| format!("read BTF {id}: {e}"))?;
    Btf::parse(&raw.data)
        .map(Some)
        .map_err(|e| format!("parse BTF {id}: {e}"))
}

/// Every difference between the pinned map and `def`: [`compat::compare`], then the key and
/// value layouts when both sides have BTF for them (`obj_btf` is the object's BTF). A
/// pinned BTF that cannot be read is a mismatch: layouts that cannot be compared are never
/// taken as equal.
pub fn mismatches(def: &MapDef, info: &sys::MapInfo, obj_btf: Option<&Btf>) -> Vec<Mismatch> {
    let mut out = compat::compare(def, info);
    if !out.is_empty() {
        return out;
    }
    let Some(obj_btf) = obj_btf else {
        return out;
    };
    let pinned = match pinned_btf(info) {
        Ok(Some(pinned)) => pinned,
        Ok(None) => return out,
        Err(why) => {
            out.push(Mismatch {
                field: "btf",
                pinned: format!("unreadable ({why})"),
                object: "key and value layouts to compare".to_string(),
            });
            return out;
        }
    };
    let key = compat::layout_mismatch(
        "key_type",
        (&pinned, info.btf_key_type_id),
        (obj_btf, def.btf_key_type_id.unwrap_or(0)),
    );
    let value = compat::layout_mismatch(
        "value_type",
        (&pinned, info.btf_value_type_id),
        (obj_btf, def.btf_value_type_id.unwrap_or(0)),
    );
    out.extend(key);
    out.extend(value);
    out
}

/// Opens what is pinned at `path`: [`Pinned::Absent`] when nothing is (ENOENT only), the map
/// and how it compares with `def` otherwise. A pin that is not a map (a program, a link, a
/// directory, a non-BPF file) is an error: rawbpf never replaces what is not a map.
pub fn open_pinned(def: &MapDef, path: &Path, obj_btf: Option<&Btf>) -> Result<Pinned> {
    let cpath = pin_root::c_path(path)?;
    let fd = match sys::obj_get(&cpath) {
        Ok(fd) => fd,
        Err(e) if e.is_enoent() => return Ok(Pinned::Absent),
        Err(e) if describe_non_bpf(path, e.errno).is_some() => {
            return Err(Error::PinnedNotMap {
                map: def.name.clone(),
                path: path.to_path_buf(),
                kind: describe_non_bpf(path, e.errno).unwrap_or_default(),
            });
        }
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
            kind: format!("a pinned {}", format!("{kind:?}").to_lowercase()),
        });
    }
    let (map, info) = sys::MapFd::open(fd).map_err(bpf_err(format!(
        "map {}: info of pin {}",
        def.name,
        path.display()
    )))?;
    let mismatches = mismatches(def, &info, obj_btf);
    if mismatches.is_empty() {
        Ok(Pinned::Compatible(map, info))
    } else {
        Ok(Pinned::Incompatible {
            fd: map.into_fd(),
            mismatches,
        })
    }
}

/// The attributes of `BPF_MAP_CREATE` for `def`, without BTF.
fn spec<'a>(def: &MapDef, kernel_name: &str, inner: Option<BorrowedFd<'a>>) -> sys::MapCreate<'a> {
    sys::MapCreate {
        map_type: def.map_type.0,
        key_size: def.key_size,
        value_size: def.value_size,
        max_entries: compat::effective(def).max_entries,
        map_flags: def.map_flags,
        name: sys::ObjName::new(kernel_name),
        inner_map_fd: inner,
        numa_node: def.numa_node,
        map_extra: def.map_extra,
        ..Default::default()
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
) -> Result<sys::MapFd> {
    let wanted = takes_btf(spec_.map_type) && (key_type_id != 0 || value_type_id != 0);
    if let Some(btf_fd) = btf.filter(|_| wanted) {
        let mut with = spec_.clone();
        with.btf_fd = Some(btf_fd);
        with.btf_key_type_id = key_type_id;
        with.btf_value_type_id = value_type_id;
        match memlock::retry(|e: &sys::Error| e.errno, || sys::map_create(&with)) {
            Ok(fd) => return Ok(fd),
            Err(e) if e.errno == ENOTSUPP || e.errno == libc::EINVAL => {}
            Err(e) => return Err(bpf_err(what.to_string())(e)),
        }
    }
    memlock::retry(|e: &sys::Error| e.errno, || sys::map_create(spec_))
        .map_err(bpf_err(what.to_string()))
}

/// Creates the map `def` (and, for a map-in-map, a temporary inner map as its template).
pub fn create(def: &MapDef, btf: Option<BorrowedFd<'_>>) -> Result<sys::MapFd> {
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
    .map_err(|e| {
        let kind = format!("{} maps", def.map_type);
        match e {
            // Every capability there, memlock not the cause (bpf_err): lockdown or an LSM.
            Error::Bpf { source, .. } if source.errno == libc::EPERM => Error::MapRefused {
                map: def.name.clone(),
                kind,
                lockdown: lockdown::clause(),
                source,
            },
            e => {
                let since = def.map_type.since();
                match kernel_types::explain_einval(e, "bpf_map_type", def.map_type.0, kind, since)
                {
                    Error::Bpf { source, .. }
                        if source.errno == libc::EINVAL && sized_by_tool(def) =>
                    {
                        Error::Unsupported {
                            what: format!(
                                "map {}: max_entries is 0 in the object, a size only its \
                                 user-space tool knows (it sets it before load, as \
                                 bpf_map__set_max_entries does); give it with --map {}.max_entries=N",
                                def.name, def.name
                            ),
                        }
                    }
                    e => e,
                }
            }
        }
    })
}

/// True when `def` has `max_entries` 0 where its type needs a size: the object leaves it to
/// its loader (libbpf-tools size maps by CPU count or stack depth). Local-storage maps must
/// have 0; a perf event array's 0 was already made the number of CPUs.
fn sized_by_tool(def: &MapDef) -> bool {
    use rawbpf_abi::MapType as T;
    const ZERO_IS_RIGHT: [T; 6] = [
        T::CGROUP_STORAGE,
        T::PERCPU_CGROUP_STORAGE,
        T::SK_STORAGE,
        T::INODE_STORAGE,
        T::TASK_STORAGE,
        T::CGRP_STORAGE,
    ];
    compat::effective(def).max_entries == 0 && !ZERO_IS_RIGHT.contains(&def.map_type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rawbpf_abi::MapType;

    fn def() -> MapDef {
        MapDef {
            key_size: 16,
            value_size: 8,
            max_entries: 65535,
            pinning: Pinning::ByName,
            ..crate::map::test_def("sock_ops_map", MapType::SOCKHASH)
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
        let m = compat::compare(&def(), &info);
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
