//! The thin, typed layer over `bpf(2)`: one function per command, typed in and out.
//!
//! This is the only crate of rawbpf with `unsafe`. Each command has its own `#[repr(C)]`
//! attribute struct ([`attr`]), zero-initialised and sized as `include/uapi/linux/bpf.h`
//! declares it; the struct's own size is passed to the kernel. File descriptors are
//! [`OwnedFd`](std::os::fd::OwnedFd) / [`BorrowedFd`](std::os::fd::BorrowedFd). Errors carry
//! the command and the errno.

pub mod attr;
mod btf;
mod error;
mod ids;
mod info;
mod map;
mod obj;
mod prog;
mod sys;
mod types;

pub use btf::btf_load;
pub use error::{Cmd, Error, Result};
pub use ids::{fd_by_id, ids, next_id, IdKind};
pub use info::{map_info, prog_info, obj_info_kind, MapInfo, ObjKind, ProgInfo};
pub use map::{
    map_create, map_delete_elem, map_freeze, map_get_next_key, map_lookup_elem,
    map_update_elem, MapCreate, UpdateFlags,
};
pub use obj::{obj_get, obj_pin};
pub use prog::{
    prog_attach, prog_detach, prog_load, prog_query, AttachFlags, ProgLoad, ProgLoadError,
    QueryResult,
};
pub use types::{MapId, ObjName, ProgId, BtfId};
