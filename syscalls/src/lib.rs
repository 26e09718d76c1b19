//! The thin, typed layer over `bpf(2)`: one function per command, typed in and out.
//!
//! This is the only crate of rawbpf with `unsafe`. Each command has its own `#[repr(C)]`
//! attribute struct ([`attr`]), zero-initialised and sized as `include/uapi/linux/bpf.h`
//! declares it; the struct's own size is passed to the kernel. File descriptors are
//! [`OwnedFd`](std::os::fd::OwnedFd) / [`BorrowedFd`](std::os::fd::BorrowedFd). Errors carry
//! the command and the errno.

pub mod attr;
mod btf;
mod btf_info;
mod error;
mod ids;
mod info;
mod link;
mod map;
mod mapped;
mod obj;
mod process;
mod prog;
mod prog_func;
mod prog_xlated;
mod sock;
mod sys;
mod test_run;
mod types;

pub use btf::{btf_load, btf_load_attr};
pub use btf_info::{BtfInfo, btf_get_fd_by_id, btf_info, btf_info_request};
pub use error::{Cmd, Error, Result, errno_text};
pub use ids::{IdKind, fd_by_id, get_id_attr, ids, map_get_fd_by_id, next_id, prog_get_fd_by_id};
pub use info::{
    MapInfo, ObjKind, ProgInfo, info_by_fd_attr, map_info, map_info_from_raw, obj_info_kind,
    prog_info, prog_info_and_xlated, prog_info_from_raw,
};
pub use link::{
    BPF_LINK_TYPE_CGROUP, BPF_LINK_TYPE_RAW_TRACEPOINT, BPF_LINK_TYPE_SOCKMAP, BPF_LINK_TYPE_TCX,
    BPF_LINK_TYPE_XDP, LinkId, LinkInfo, LinkTarget, if_indextoname, if_nametoindex, link_create,
    link_create_attr, link_create_ifindex, link_create_ifindex_attr, link_detach, link_info,
    link_info_from_raw, link_update, link_update_attr, raw_tracepoint_open,
    raw_tracepoint_open_attr,
};
pub use map::{
    MapCreate, MapFd, UpdateFlags, map_create, map_create_attr, map_delete_elem, map_elem_attr,
    map_freeze, map_get_next_key, map_lookup_elem, map_update_elem, possible_cpus,
};
pub use mapped::KernelBtfMap;
pub use obj::{obj_attr, obj_get, obj_pin};
pub use process::{catch_stop_signals, reset_sigpipe};
pub use prog::{
    AttachFlags, FUNC_INFO_REC_SIZE, LINE_INFO_REC_SIZE, MIN_LOG_SIZE, ProgLoad, ProgLoadError,
    QueryResult, prog_attach, prog_attach_attr, prog_detach, prog_detach_attr, prog_load,
    prog_load_attr, prog_query, prog_query_attr, prog_query_ids, prog_query_with_capacity,
};
pub use prog_func::{MainFunc, func_info_request, prog_main_func};
pub use prog_xlated::{prog_xlated_insns, xlated_request};
pub use sock::tcp_info;
pub use test_run::{ProgTestRunAttr, TestRun, prog_test_run, prog_test_run_attr};
pub use types::{BtfId, MapId, ObjName, ProgId};
