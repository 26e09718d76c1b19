//! Map commands: create, element operations, freeze.
//!
//! The element operations take a [`MapFd`]: the map's fd with the key and value sizes the
//! kernel reads and writes through the buffer pointers. They check the caller's buffers
//! against those sizes (a short buffer is EINVAL instead of the kernel writing past it)
//! without asking the kernel each time: the sizes come from `BPF_MAP_CREATE`'s own
//! attributes or from the one `BPF_OBJ_GET_INFO_BY_FD` that opened the map.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::OnceLock;

use rawbpf_abi::MapType;
use rawbpf_abi::map_flags::BPF_F_NUMA_NODE;

use crate::attr::{MapCreateAttr, MapElemAttr, MapFreezeAttr};
use crate::sys::{bpf, bpf_fd};
use crate::{Cmd, Error, MapInfo, ObjName, Result};

/// What `BPF_MAP_CREATE` needs. `Default` is all zero and no fds, so a caller names only
/// the fields it sets (`..Default::default()`).
#[derive(Debug, Clone, Default)]
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

/// `BPF_MAP_CREATE` — create a map. The handle takes its key and value sizes from `spec`
/// (the kernel creates the map with exactly those), so no info call follows.
pub fn map_create(spec: &MapCreate<'_>) -> Result<MapFd> {
    let mut attr = map_create_attr(spec);
    // SAFETY: the attr holds no user-space addresses; MAP_CREATE returns a new fd.
    let fd = unsafe { bpf_fd(Cmd::MapCreate, &mut attr) }?;
    Ok(MapFd {
        fd,
        map_type: spec.map_type,
        key_size: spec.key_size,
        value_size: spec.value_size,
    })
}

/// A map fd with the map's type, key size and value size, which the element commands
/// check buffers against.
///
/// It can only be made where those numbers are the kernel's own: by [`map_create`] (the
/// sizes it asked for) or by [`MapFd::open`] (one `BPF_OBJ_GET_INFO_BY_FD`). A constructor
/// from numbers the caller supplies would let safe code make the kernel write past a
/// buffer, so there is none.
#[derive(Debug)]
pub struct MapFd {
    fd: OwnedFd,
    map_type: u32,
    key_size: u32,
    value_size: u32,
}

impl MapFd {
    /// `BPF_OBJ_GET_INFO_BY_FD` on a map fd: the handle and the info (for its ID, name,
    /// flags, ...), in one call.
    pub fn open(fd: OwnedFd) -> Result<(MapFd, MapInfo)> {
        let info = crate::map_info(fd.as_fd())?;
        let map = MapFd {
            fd,
            map_type: info.map_type,
            key_size: info.key_size,
            value_size: info.value_size,
        };
        Ok((map, info))
    }

    /// `BPF_MAP_TYPE_*`.
    pub fn map_type(&self) -> u32 {
        self.map_type
    }

    pub fn key_size(&self) -> u32 {
        self.key_size
    }

    /// The value size of one element (of one CPU's slot, for per-CPU maps).
    pub fn value_size(&self) -> u32 {
        self.value_size
    }

    /// The bytes the kernel copies for one value: `value_size`, or for per-CPU maps
    /// `round_up(value_size, 8) * possible CPUs`.
    pub fn value_len(&self) -> std::io::Result<usize> {
        let value = self.value_size as usize;
        if !MapType(self.map_type).is_percpu() {
            return Ok(value);
        }
        Ok(value
            .div_ceil(8)
            .saturating_mul(8)
            .saturating_mul(possible_cpus_cached()?))
    }

    /// Gives up the handle, keeping the fd.
    pub fn into_fd(self) -> OwnedFd {
        self.fd
    }
}

impl AsFd for MapFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for MapFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl From<MapFd> for OwnedFd {
    fn from(map: MapFd) -> OwnedFd {
        map.fd
    }
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

/// [`possible_cpus`], read once per process (the set of possible CPUs is fixed at boot).
fn possible_cpus_cached() -> std::io::Result<usize> {
    static CPUS: OnceLock<usize> = OnceLock::new();
    if let Some(&n) = CPUS.get() {
        return Ok(n);
    }
    let n = possible_cpus()?;
    Ok(*CPUS.get_or_init(|| n))
}

/// The value length of `map` for `cmd`, an unreadable CPU list as that command's error.
fn value_len(map: &MapFd, cmd: Cmd) -> Result<usize> {
    map.value_len().map_err(|e| Error {
        cmd,
        errno: e.raw_os_error().unwrap_or(libc::EINVAL),
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
/// `value` must hold the map's value length ([`MapFd::value_len`]: per-CPU maps have one
/// 8-byte-aligned slot per possible CPU); shorter buffers are EINVAL.
pub fn map_lookup_elem(map: &MapFd, key: &[u8], value: &mut [u8]) -> Result<bool> {
    let cmd = Cmd::MapLookupElem;
    check_len(cmd, key.len(), map.key_size as usize)?;
    check_len(cmd, value.len(), value_len(map, cmd)?)?;
    let mut attr = map_elem_attr(
        map.as_fd(),
        key.as_ptr() as u64,
        value.as_mut_ptr() as u64,
        0,
    );
    // SAFETY: `key` is readable for the map's key size and `value` writable for its value
    // length (checked above against the sizes the kernel gave `map`); both outlive the call.
    found(unsafe { bpf(cmd, &mut attr) })
}

/// `BPF_MAP_UPDATE_ELEM` — write `value` at `key`.
pub fn map_update_elem(map: &MapFd, key: &[u8], value: &[u8], flags: UpdateFlags) -> Result<()> {
    let cmd = Cmd::MapUpdateElem;
    check_len(cmd, key.len(), map.key_size as usize)?;
    check_len(cmd, value.len(), value_len(map, cmd)?)?;
    let mut attr = map_elem_attr(
        map.as_fd(),
        key.as_ptr() as u64,
        value.as_ptr() as u64,
        flags as u64,
    );
    // SAFETY: `key` and `value` are readable for the map's sizes (checked above); the
    // kernel only reads them.
    unsafe { bpf(cmd, &mut attr) }.map(drop)
}

/// `BPF_MAP_DELETE_ELEM` — delete `key`; `Ok(false)` on ENOENT.
pub fn map_delete_elem(map: &MapFd, key: &[u8]) -> Result<bool> {
    let cmd = Cmd::MapDeleteElem;
    check_len(cmd, key.len(), map.key_size as usize)?;
    let mut attr = map_elem_attr(map.as_fd(), key.as_ptr() as u64, 0, 0);
    // SAFETY: `key` is readable for the map's key size (checked above).
    found(unsafe { bpf(cmd, &mut attr) })
}

/// `BPF_MAP_GET_NEXT_KEY` — the key after `key` (the first key when `key` is `None`) into
/// `next`; `Ok(false)` when there is none (ENOENT).
pub fn map_get_next_key(map: &MapFd, key: Option<&[u8]>, next: &mut [u8]) -> Result<bool> {
    let cmd = Cmd::MapGetNextKey;
    let key_size = map.key_size as usize;
    if let Some(key) = key {
        check_len(cmd, key.len(), key_size)?;
    }
    check_len(cmd, next.len(), key_size)?;
    let key_ptr = key.map_or(0, |k| k.as_ptr() as u64);
    let mut attr = map_elem_attr(map.as_fd(), key_ptr, next.as_mut_ptr() as u64, 0);
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
            inner_map_fd: Some(fd),
            btf_fd: Some(fd),
            ..Default::default()
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
