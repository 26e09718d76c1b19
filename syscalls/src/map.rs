//! Map commands: create, element operations, freeze.

use std::os::fd::{BorrowedFd, OwnedFd};

use crate::{ObjName, Result};

/// What `BPF_MAP_CREATE` needs.
#[derive(Debug, Clone)]
pub struct MapCreate<'a> {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
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

/// `BPF_MAP_CREATE` — create a map.
pub fn map_create(_spec: &MapCreate<'_>) -> Result<OwnedFd> {
    todo!("syscalls helper")
}

/// Flags of `BPF_MAP_UPDATE_ELEM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum UpdateFlags {
    Any = 0,
    NoExist = 1,
    Exist = 2,
}

/// `BPF_MAP_LOOKUP_ELEM` — read the value of `key` into `value`; `Ok(false)` on ENOENT.
pub fn map_lookup_elem(_map: BorrowedFd<'_>, _key: &[u8], _value: &mut [u8]) -> Result<bool> {
    todo!("syscalls helper")
}

/// `BPF_MAP_UPDATE_ELEM` — write `value` at `key`.
pub fn map_update_elem(
    _map: BorrowedFd<'_>,
    _key: &[u8],
    _value: &[u8],
    _flags: UpdateFlags,
) -> Result<()> {
    todo!("syscalls helper")
}

/// `BPF_MAP_DELETE_ELEM` — delete `key`; `Ok(false)` on ENOENT.
pub fn map_delete_elem(_map: BorrowedFd<'_>, _key: &[u8]) -> Result<bool> {
    todo!("syscalls helper")
}

/// `BPF_MAP_GET_NEXT_KEY` — the key after `key` (the first key when `key` is `None`) into
/// `next`; `Ok(false)` when there is none (ENOENT).
pub fn map_get_next_key(
    _map: BorrowedFd<'_>,
    _key: Option<&[u8]>,
    _next: &mut [u8],
) -> Result<bool> {
    todo!("syscalls helper")
}

/// `BPF_MAP_FREEZE` — make the map read-only to user space (for `.rodata`).
pub fn map_freeze(_map: BorrowedFd<'_>) -> Result<()> {
    todo!("syscalls helper")
}
