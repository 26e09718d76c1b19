//! Map commands: create, element operations, freeze.
//!
//! The element operations check the caller's buffers against the map's key and value sizes
//! (one `BPF_OBJ_GET_INFO_BY_FD` first) because the kernel reads and writes exactly those
//! sizes through the pointers: a short buffer is refused with EINVAL instead of letting the
//! kernel write past it.

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use crate::attr::{MapCreateAttr, MapElemAttr, MapFreezeAttr};
use crate::sys::{bpf, bpf_fd};
use crate::{Cmd, Error, ObjName, Result};

/// `BPF_F_NUMA_NODE`: `numa_node` is valid.
pub const BPF_F_NUMA_NODE: u32 = 1 << 2;

/// What `BPF_MAP_CREATE` needs.
#[derive(Debug, Clone)]
pub struct MapCreate<'a> {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    /// `BPF_F_*` flags; [`BPF_F_NUMA_NODE`] is added when `numa_node` is set.
    pub map_flags: u32,
    pub name: ObjName,
    pub inner_map_fd: Option<BorrowedFd<'a>>,
    pub numa_node: Option<u32>,
    /// BTF object and the key/value type ids in it (0 = none).
    pub btf_fd: Option<BorrowedFd<'a>>,
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
    pub map_extra: u64,
}

/// An fd as the kernel's `__u32` fd fields want it.
pub(crate) fn fd_u32(fd: BorrowedFd<'_>) -> u32 {
    // A BorrowedFd is never negative (-1 is its niche), so this is the same bits.
    fd.as_raw_fd() as u32
}

/// Encode `spec` as the `BPF_MAP_CREATE` attribute (pure; no syscall).
pub fn map_create_attr(spec: &MapCreate<'_>) -> MapCreateAttr {
    let mut attr = MapCreateAttr {
        map_type: spec.map_type,
        key_size: spec.key_size,
        value_size: spec.value_size,
        max_entries: spec.max_entries,
        map_flags: spec.map_flags,
        inner_map_fd: spec.inner_map_fd.map_or(0, fd_u32),
        map_name: spec.name.0,
        btf_fd: spec.btf_fd.map_or(0, fd_u32),
        btf_key_type_id: spec.btf_key_type_id,
        btf_value_type_id: spec.btf_value_type_id,
        map_extra: spec.map_extra,
        ..MapCreateAttr::default()
    };
    if let Some(node) = spec.numa_node {
        attr.numa_node = node;
        attr.map_flags |= BPF_F_NUMA_NODE;
    }
    // The kernel wants a NUL within the 16 bytes.
    attr.map_name[15] = 0;
    attr
}

/// `BPF_MAP_CREATE` — create a map.
pub fn map_create(spec: &MapCreate<'_>) -> Result<OwnedFd> {
    let mut attr = map_create_attr(spec);
    // SAFETY: the attr holds no user-space addresses; MAP_CREATE returns a new fd.
    unsafe { bpf_fd(Cmd::MapCreate, &mut attr) }
}

/// Flags of `BPF_MAP_UPDATE_ELEM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum UpdateFlags {
    Any = 0,
    NoExist = 1,
    Exist = 2,
}

/// Encode an element command (pure; no syscall). `key`/`value` are user-space addresses
/// (0 for none).
pub fn map_elem_attr(map: BorrowedFd<'_>, key: u64, value: u64, flags: u64) -> MapElemAttr {
    MapElemAttr {
        map_fd: fd_u32(map),
        key,
        value_or_next_key: value,
        flags,
        ..MapElemAttr::default()
    }
}

/// The byte sizes the kernel reads/writes for keys and values of a map.
struct ElemSizes {
    key: usize,
    value: usize,
}

/// `BPF_MAP_TYPE_*` whose user-space value is one slot per possible CPU.
fn is_percpu(map_type: u32) -> bool {
    // PERCPU_HASH, PERCPU_ARRAY, LRU_PERCPU_HASH, PERCPU_CGROUP_STORAGE.
    matches!(map_type, 5 | 6 | 10 | 21)
}

/// Number of possible CPUs, from `/sys/devices/system/cpu/possible` (`0-3,5`).
pub fn possible_cpus() -> std::io::Result<usize> {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/possible")?;
    parse_cpu_list(text.trim()).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("bad cpu list {text:?}"),
        )
    })
}

/// Count the CPUs of a list like `0-3,5`.
fn parse_cpu_list(text: &str) -> Option<usize> {
    let mut n = 0usize;
    for part in text.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let a: usize = a.trim().parse().ok()?;
                let b: usize = b.trim().parse().ok()?;
                n = n.checked_add(b.checked_sub(a)?.checked_add(1)?)?;
            }
            None => {
                part.trim().parse::<usize>().ok()?;
                n = n.checked_add(1)?;
            }
        }
    }
    (n > 0).then_some(n)
}

/// Key and value sizes of `map` as the kernel copies them (per-CPU values are
/// `round_up(value_size, 8) * possible CPUs`).
fn elem_sizes(map: BorrowedFd<'_>, cmd: Cmd) -> Result<ElemSizes> {
    let info = crate::map_info(map).map_err(|e| Error {
        cmd,
        errno: e.errno,
    })?;
    let mut value = info.value_size as usize;
    if is_percpu(info.map_type) {
        let cpus = possible_cpus().map_err(|e| Error {
            cmd,
            errno: e.raw_os_error().unwrap_or(libc::EINVAL),
        })?;
        value = value.div_ceil(8).saturating_mul(8).saturating_mul(cpus);
    }
    Ok(ElemSizes {
        key: info.key_size as usize,
        value,
    })
}

/// Refuse buffers shorter than the kernel will access.
fn check_len(cmd: Cmd, have: usize, need: usize) -> Result<()> {
    if have < need {
        return Err(Error {
            cmd,
            errno: libc::EINVAL,
        });
    }
    Ok(())
}

/// Map ENOENT to `Ok(false)`.
fn found(r: Result<i64>) -> Result<bool> {
    match r {
        Ok(_) => Ok(true),
        Err(e) if e.is_enoent() => Ok(false),
        Err(e) => Err(e),
    }
}

/// `BPF_MAP_LOOKUP_ELEM` — read the value of `key` into `value`; `Ok(false)` on ENOENT.
/// `value` must hold the map's value size (per-CPU maps: one 8-byte-aligned slot per
/// possible CPU); shorter buffers are EINVAL.
pub fn map_lookup_elem(map: BorrowedFd<'_>, key: &[u8], value: &mut [u8]) -> Result<bool> {
    let cmd = Cmd::MapLookupElem;
    let sizes = elem_sizes(map, cmd)?;
    check_len(cmd, key.len(), sizes.key)?;
    check_len(cmd, value.len(), sizes.value)?;
    let mut attr = map_elem_attr(map, key.as_ptr() as u64, value.as_mut_ptr() as u64, 0);
    // SAFETY: `key` is readable for the map's key size and `value` writable for its value
    // size (checked above); both outlive the call.
    found(unsafe { bpf(cmd, &mut attr) })
}

/// `BPF_MAP_UPDATE_ELEM` — write `value` at `key`.
pub fn map_update_elem(
    map: BorrowedFd<'_>,
    key: &[u8],
    value: &[u8],
    flags: UpdateFlags,
) -> Result<()> {
    let cmd = Cmd::MapUpdateElem;
    let sizes = elem_sizes(map, cmd)?;
    check_len(cmd, key.len(), sizes.key)?;
    check_len(cmd, value.len(), sizes.value)?;
    let mut attr = map_elem_attr(
        map,
        key.as_ptr() as u64,
        value.as_ptr() as u64,
        flags as u64,
    );
    // SAFETY: `key` and `value` are readable for the map's sizes (checked above); the
    // kernel only reads them.
    unsafe { bpf(cmd, &mut attr) }.map(drop)
}

/// `BPF_MAP_DELETE_ELEM` — delete `key`; `Ok(false)` on ENOENT.
pub fn map_delete_elem(map: BorrowedFd<'_>, key: &[u8]) -> Result<bool> {
    let cmd = Cmd::MapDeleteElem;
    let sizes = elem_sizes(map, cmd)?;
    check_len(cmd, key.len(), sizes.key)?;
    let mut attr = map_elem_attr(map, key.as_ptr() as u64, 0, 0);
    // SAFETY: `key` is readable for the map's key size (checked above).
    found(unsafe { bpf(cmd, &mut attr) })
}

/// `BPF_MAP_GET_NEXT_KEY` — the key after `key` (the first key when `key` is `None`) into
/// `next`; `Ok(false)` when there is none (ENOENT).
pub fn map_get_next_key(map: BorrowedFd<'_>, key: Option<&[u8]>, next: &mut [u8]) -> Result<bool> {
    let cmd = Cmd::MapGetNextKey;
    let sizes = elem_sizes(map, cmd)?;
    if let Some(key) = key {
        check_len(cmd, key.len(), sizes.key)?;
    }
    check_len(cmd, next.len(), sizes.key)?;
    let key_ptr = key.map_or(0, |k| k.as_ptr() as u64);
    let mut attr = map_elem_attr(map, key_ptr, next.as_mut_ptr() as u64, 0);
    // SAFETY: `key` (if any) is readable and `next` writable for the map's key size
    // (checked above); both outlive the call.
    found(unsafe { bpf(cmd, &mut attr) })
}

/// `BPF_MAP_FREEZE` — make the map read-only to user space (for `.rodata`).
pub fn map_freeze(map: BorrowedFd<'_>) -> Result<()> {
    let mut attr = MapFreezeAttr {
        map_fd: fd_u32(map),
    };
    // SAFETY: the attr holds no user-space addresses.
    unsafe { bpf(Cmd::MapFreeze, &mut attr) }.map(drop)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn map_create_attr_encodes_spec() {
        let spec = MapCreate {
            map_type: 2,
            key_size: 4,
            value_size: 8,
            max_entries: 16,
            map_flags: 1,
            name: ObjName::new("counters"),
            inner_map_fd: None,
            numa_node: Some(3),
            btf_fd: None,
            btf_key_type_id: 5,
            btf_value_type_id: 6,
            map_extra: 7,
        };
        let a = map_create_attr(&spec);
        assert_eq!(
            (a.map_type, a.key_size, a.value_size, a.max_entries),
            (2, 4, 8, 16)
        );
        assert_eq!(a.map_flags, 1 | BPF_F_NUMA_NODE);
        assert_eq!(a.numa_node, 3);
        assert_eq!(&a.map_name[..9], b"counters\0");
        assert_eq!((a.inner_map_fd, a.btf_fd), (0, 0));
        assert_eq!(
            (a.btf_key_type_id, a.btf_value_type_id, a.map_extra),
            (5, 6, 7)
        );
        assert_eq!((a.map_token_fd, a.value_type_btf_obj_fd), (0, 0));
    }

    #[test]
    fn map_create_attr_passes_fds() {
        let stdin = std::io::stdin();
        let fd = stdin.as_fd();
        let spec = MapCreate {
            map_type: 12,
            key_size: 4,
            value_size: 4,
            max_entries: 1,
            map_flags: 0,
            name: ObjName::default(),
            inner_map_fd: Some(fd),
            numa_node: None,
            btf_fd: Some(fd),
            btf_key_type_id: 0,
            btf_value_type_id: 0,
            map_extra: 0,
        };
        let a = map_create_attr(&spec);
        assert_eq!(a.inner_map_fd, 0);
        assert_eq!(a.btf_fd, 0);
        assert_eq!(a.map_flags, 0);
    }

    #[test]
    fn elem_attr_encodes() {
        let stdin = std::io::stdin();
        let a = map_elem_attr(stdin.as_fd(), 0x1000, 0x2000, UpdateFlags::Exist as u64);
        assert_eq!(
            (a.map_fd, a.key, a.value_or_next_key, a.flags),
            (0, 0x1000, 0x2000, 2)
        );
    }

    #[test]
    fn cpu_list() {
        assert_eq!(parse_cpu_list("0"), Some(1));
        assert_eq!(parse_cpu_list("0-3"), Some(4));
        assert_eq!(parse_cpu_list("0-3,5,7-8"), Some(7));
        assert_eq!(parse_cpu_list("3-1"), None);
        assert_eq!(parse_cpu_list("x"), None);
        assert_eq!(parse_cpu_list(""), None);
    }
}
