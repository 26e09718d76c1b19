//! Program commands: load, attach, detach, query.

use std::os::fd::{BorrowedFd, OwnedFd};

use crate::{ObjName, ProgId, Result};

/// What `BPF_PROG_LOAD` needs. `insns` are encoded `struct bpf_insn`s (8 bytes each).
#[derive(Debug, Clone)]
pub struct ProgLoad<'a> {
    pub prog_type: u32,
    pub expected_attach_type: u32,
    pub name: ObjName,
    pub insns: &'a [u8],
    pub license: &'a std::ffi::CStr,
    pub kern_version: u32,
    pub prog_flags: u32,
    pub prog_btf_fd: Option<BorrowedFd<'a>>,
    /// Encoded `struct bpf_func_info` records (8 bytes each).
    pub func_info: &'a [u8],
    /// Encoded `struct bpf_line_info` records (16 bytes each).
    pub line_info: &'a [u8],
    pub attach_btf_id: u32,
}

/// A failed `BPF_PROG_LOAD` with the verifier log, when one was asked for.
#[derive(Debug, thiserror::Error)]
#[error("{source}")]
pub struct ProgLoadError {
    pub source: crate::Error,
    /// The verifier log (text up to the first NUL), empty when no log was requested.
    pub log: String,
}

/// `BPF_PROG_LOAD` — load a program. Without `log_level` the kernel writes no log; on
/// failure call again with `log_level` 1 (or 2) and a buffer. ENOSPC with a log means the
/// buffer was too small: the caller grows it. EAGAIN is retried here.
pub fn prog_load(
    _spec: &ProgLoad<'_>,
    _log_level: u32,
    _log: Option<&mut [u8]>,
) -> std::result::Result<OwnedFd, ProgLoadError> {
    todo!("syscalls helper")
}

/// `BPF_F_ALLOW_OVERRIDE`, `BPF_F_ALLOW_MULTI`, `BPF_F_REPLACE` for `BPF_PROG_ATTACH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AttachFlags(pub u32);

impl AttachFlags {
    pub const NONE: AttachFlags = AttachFlags(0);
    pub const ALLOW_OVERRIDE: AttachFlags = AttachFlags(1);
    pub const ALLOW_MULTI: AttachFlags = AttachFlags(2);
    pub const REPLACE: AttachFlags = AttachFlags(4);
}

/// `BPF_PROG_ATTACH` — attach `prog` to `target` (a cgroup fd, or a map fd for sk_msg /
/// sk_skb). With `replace` (and `BPF_F_REPLACE | BPF_F_ALLOW_MULTI`), the kernel swaps that
/// program for `prog` atomically.
pub fn prog_attach(
    _target: BorrowedFd<'_>,
    _prog: BorrowedFd<'_>,
    _attach_type: u32,
    _flags: AttachFlags,
    _replace: Option<BorrowedFd<'_>>,
) -> Result<()> {
    todo!("syscalls helper")
}

/// `BPF_PROG_DETACH` — detach `prog` (needed for multi-attached programs; `None` detaches
/// the single program of a non-multi attachment).
pub fn prog_detach(
    _target: BorrowedFd<'_>,
    _prog: Option<BorrowedFd<'_>>,
    _attach_type: u32,
) -> Result<()> {
    todo!("syscalls helper")
}

/// What `BPF_PROG_QUERY` returns for one target and attach type.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryResult {
    /// Flags the programs were attached with (`BPF_F_ALLOW_*`), 0 when none.
    pub attach_flags: u32,
    pub prog_ids: Vec<ProgId>,
    /// Per-program attach flags (kernel 5.19+, `BPF_F_QUERY_EFFECTIVE` not set).
    pub prog_attach_flags: Vec<u32>,
}

/// `BPF_PROG_QUERY` — programs attached to `target` for `attach_type` (directly, not
/// effective). Grows its buffer until every id fits.
pub fn prog_query(_target: BorrowedFd<'_>, _attach_type: u32) -> Result<QueryResult> {
    todo!("syscalls helper")
}
