//! `BPF_OBJ_GET_INFO_BY_FD` for programs and maps.

use std::os::fd::BorrowedFd;

use crate::{MapId, ProgId, Result};

/// The fields of `struct bpf_map_info` rawbpf uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MapInfo {
    pub map_type: u32,
    pub id: MapId,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub name: String,
    pub btf_id: u32,
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
    pub map_extra: u64,
}

/// The fields of `struct bpf_prog_info` rawbpf uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProgInfo {
    pub prog_type: u32,
    pub id: ProgId,
    /// `tag` as 16 lower-case hex digits.
    pub tag: [u8; 8],
    pub name: String,
    pub map_ids: Vec<MapId>,
    pub btf_id: u32,
    pub load_time: u64,
    pub created_by_uid: u32,
    pub xlated_prog_len: u32,
}

impl Default for MapId {
    fn default() -> Self {
        MapId(0)
    }
}
impl Default for ProgId {
    fn default() -> Self {
        ProgId(0)
    }
}

/// `BPF_OBJ_GET_INFO_BY_FD` on a map fd.
pub fn map_info(_fd: BorrowedFd<'_>) -> Result<MapInfo> {
    todo!("syscalls helper")
}

/// `BPF_OBJ_GET_INFO_BY_FD` on a program fd, including every map id it uses (a second call
/// with a buffer of `nr_map_ids` entries).
pub fn prog_info(_fd: BorrowedFd<'_>) -> Result<ProgInfo> {
    todo!("syscalls helper")
}

/// What kind of BPF object an fd refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjKind {
    Map,
    Prog,
    Link,
    Btf,
    Other,
}

/// Tells map from program from link (read from `/proc/self/fdinfo` or the anon inode name:
/// `bpf-map`, `bpf-prog`, `bpf_link`).
pub fn obj_info_kind(_fd: BorrowedFd<'_>) -> ObjKind {
    todo!("syscalls helper")
}
