//! Program commands: load, attach, detach, query.

use std::os::fd::{BorrowedFd, OwnedFd};

use rawbpf_abi::Insn;

use crate::attr::{ProgAttachAttr, ProgDetachAttr, ProgLoadAttr, ProgQueryAttr};
use crate::btf::MAX_LOG_SIZE;
use crate::info::text_to_nul;
use crate::map::fd_u32;
use crate::sys::{bpf, bpf_fd};
use crate::{Cmd, Error, ObjName, ProgId, Result};

/// Size of `struct bpf_func_info` as rawbpf encodes it.
pub const FUNC_INFO_REC_SIZE: u32 = 8;
/// Size of `struct bpf_line_info` as rawbpf encodes it.
pub const LINE_INFO_REC_SIZE: u32 = 16;

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
///
/// Displays as its `source` (command and errno) and reports no further `source()`: the
/// message already shows the cause, so a printed error chain names it once. (A derived
/// `thiserror` impl would treat the field named `source` as the cause and show it twice.)
#[derive(Debug)]
pub struct ProgLoadError {
    pub source: crate::Error,
    /// The verifier log (text up to the first NUL), empty when no log was requested.
    pub log: String,
    /// The log size the verifier needed, NUL included (`log_true_size`, kernel 6.4+; 0
    /// when no log was requested). With ENOSPC, a buffer of this size is enough.
    pub log_true_size: u32,
}

impl std::fmt::Display for ProgLoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.source.fmt(f)
    }
}

impl std::error::Error for ProgLoadError {}

impl ProgLoadError {
    /// The kernel ran out of log buffer (ENOSPC with a log): grow it and load again. Kernels
    /// before 6.4 do not say how much they needed (`log_true_size` 0): grow it by a factor.
    pub fn is_log_truncated(&self) -> bool {
        self.source.errno == libc::ENOSPC && !self.log.is_empty()
    }
}

/// The smallest log buffer every kernel accepts (before 6.4 `log_size` under 128 is EINVAL).
pub const MIN_LOG_SIZE: usize = 128;

/// Encode `spec` as the `BPF_PROG_LOAD` attribute (pure; no syscall). A non-empty `log`
/// sets `log_buf`/`log_size` and `log_level` (at least 1); without one `log_level` is 0 (the
/// kernel refuses a level without a buffer). `insns` must be whole instructions; a log
/// shorter than [`MIN_LOG_SIZE`] is EINVAL.
pub fn prog_load_attr(
    spec: &ProgLoad<'_>,
    log_level: u32,
    log: Option<&mut [u8]>,
) -> Result<ProgLoadAttr> {
    let einval = Error {
        cmd: Cmd::ProgLoad,
        errno: libc::EINVAL,
    };
    if !spec.insns.len().is_multiple_of(Insn::SIZE)
        || !spec
            .func_info
            .len()
            .is_multiple_of(FUNC_INFO_REC_SIZE as usize)
        || !spec
            .line_info
            .len()
            .is_multiple_of(LINE_INFO_REC_SIZE as usize)
    {
        return Err(einval);
    }
    let count = |bytes: usize, rec: usize| u32::try_from(bytes / rec).map_err(|_| einval.clone());
    let mut attr = ProgLoadAttr {
        prog_type: spec.prog_type,
        insn_cnt: count(spec.insns.len(), Insn::SIZE)?,
        insns: spec.insns.as_ptr() as u64,
        license: spec.license.as_ptr() as u64,
        kern_version: spec.kern_version,
        prog_flags: spec.prog_flags,
        prog_name: spec.name.0,
        expected_attach_type: spec.expected_attach_type,
        prog_btf_fd: spec.prog_btf_fd.map_or(0, fd_u32),
        attach_btf_id: spec.attach_btf_id,
        ..ProgLoadAttr::default()
    };
    attr.prog_name[15] = 0;
    if !spec.func_info.is_empty() {
        attr.func_info_rec_size = FUNC_INFO_REC_SIZE;
        attr.func_info = spec.func_info.as_ptr() as u64;
        attr.func_info_cnt = count(spec.func_info.len(), FUNC_INFO_REC_SIZE as usize)?;
    }
    if !spec.line_info.is_empty() {
        attr.line_info_rec_size = LINE_INFO_REC_SIZE;
        attr.line_info = spec.line_info.as_ptr() as u64;
        attr.line_info_cnt = count(spec.line_info.len(), LINE_INFO_REC_SIZE as usize)?;
    }
    if log
        .as_deref()
        .is_some_and(|l| !l.is_empty() && l.len() < MIN_LOG_SIZE)
    {
        // Kernels before 6.4 refuse these with EINVAL, newer ones take them: refused here
        // on every kernel alike.
        return Err(einval);
    }
    if let Some(log) = log.filter(|l| !l.is_empty()) {
        attr.log_level = log_level.max(1);
        attr.log_buf = log.as_mut_ptr() as u64;
        attr.log_size = log.len().min(MAX_LOG_SIZE) as u32;
    }
    Ok(attr)
}

/// `BPF_PROG_LOAD` — load a program. Without `log_level` the kernel writes no log; on
/// failure call again with `log_level` 1 (or 2) and a buffer. ENOSPC with a log means the
/// buffer was too small: the caller grows it. EAGAIN is retried here.
pub fn prog_load(
    spec: &ProgLoad<'_>,
    log_level: u32,
    mut log: Option<&mut [u8]>,
) -> std::result::Result<OwnedFd, ProgLoadError> {
    let no_log = |source| ProgLoadError {
        source,
        log: String::new(),
        log_true_size: 0,
    };
    let mut attr = prog_load_attr(spec, log_level, log.as_deref_mut()).map_err(no_log)?;
    // SAFETY: `insns`, `license`, `func_info`, `line_info` point into `spec`'s borrowed
    // slices / CStr with counts derived from their lengths (only read); `log_buf` is 0 or
    // `log`, writable for `log_size` <= its length. All are borrowed until we return.
    let ret = unsafe { bpf_fd(Cmd::ProgLoad, &mut attr) };
    ret.map_err(|source| match log.as_deref() {
        Some(buf) if attr.log_buf != 0 => ProgLoadError {
            source,
            log: text_to_nul(buf),
            log_true_size: attr.log_true_size,
        },
        _ => no_log(source),
    })
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
    target: BorrowedFd<'_>,
    prog: BorrowedFd<'_>,
    attach_type: u32,
    flags: AttachFlags,
    replace: Option<BorrowedFd<'_>>,
) -> Result<()> {
    let mut attr = prog_attach_attr(target, prog, attach_type, flags, replace);
    // SAFETY: the attr holds no user-space addresses.
    unsafe { bpf(Cmd::ProgAttach, &mut attr) }.map(drop)
}

/// Encode `BPF_PROG_ATTACH` (pure). `replace` sets `replace_bpf_fd` and `BPF_F_REPLACE`.
pub fn prog_attach_attr(
    target: BorrowedFd<'_>,
    prog: BorrowedFd<'_>,
    attach_type: u32,
    flags: AttachFlags,
    replace: Option<BorrowedFd<'_>>,
) -> ProgAttachAttr {
    let mut attr = ProgAttachAttr {
        target_fd: fd_u32(target),
        attach_bpf_fd: fd_u32(prog),
        attach_type,
        attach_flags: flags.0,
        ..ProgAttachAttr::default()
    };
    if let Some(old) = replace {
        attr.replace_bpf_fd = fd_u32(old);
        attr.attach_flags |= AttachFlags::REPLACE.0;
    }
    attr
}

/// Encode `BPF_PROG_DETACH` (pure).
pub fn prog_detach_attr(
    target: BorrowedFd<'_>,
    prog: Option<BorrowedFd<'_>>,
    attach_type: u32,
) -> ProgDetachAttr {
    ProgDetachAttr {
        target_fd: fd_u32(target),
        attach_bpf_fd: prog.map_or(0, fd_u32),
        attach_type,
        ..ProgDetachAttr::default()
    }
}

/// `BPF_PROG_DETACH` — detach `prog` (needed for multi-attached programs; `None` detaches
/// the single program of a non-multi attachment).
pub fn prog_detach(
    target: BorrowedFd<'_>,
    prog: Option<BorrowedFd<'_>>,
    attach_type: u32,
) -> Result<()> {
    let mut attr = prog_detach_attr(target, prog, attach_type);
    // SAFETY: the attr holds no user-space addresses.
    unsafe { bpf(Cmd::ProgDetach, &mut attr) }.map(drop)
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

impl QueryResult {
    /// The attach flags of the `n`th program: its own where the kernel reports them (a
    /// multi-mode attachment), else the target's.
    pub fn flags_of(&self, n: usize) -> u32 {
        self.prog_attach_flags
            .get(n)
            .copied()
            .filter(|&f| f != 0)
            .unwrap_or(self.attach_flags)
    }
}

/// `BPF_PROG_QUERY` — programs attached to `target` for `attach_type` (directly, not
/// effective), with each program's own attach flags where the kernel reports them (5.19+;
/// an older kernel costs one more call and leaves `prog_attach_flags` empty). Grows its
/// buffer until every id fits.
pub fn prog_query(target: BorrowedFd<'_>, attach_type: u32) -> Result<QueryResult> {
    query(target, attach_type, 64, true)
}

/// [`prog_query`] without the per-program flags: the ids and the target's attach flags in
/// one call on every kernel (`prog_attach_flags` is empty).
pub fn prog_query_ids(target: BorrowedFd<'_>, attach_type: u32) -> Result<QueryResult> {
    query(target, attach_type, 64, false)
}

/// [`prog_query`] starting from a buffer of `initial` ids (at least 1); it still grows
/// until every id fits.
pub fn prog_query_with_capacity(
    target: BorrowedFd<'_>,
    attach_type: u32,
    initial: usize,
) -> Result<QueryResult> {
    query(target, attach_type, initial, true)
}

fn query(
    target: BorrowedFd<'_>,
    attach_type: u32,
    initial: usize,
    mut with_flags: bool,
) -> Result<QueryResult> {
    let mut cap = initial.max(1);
    loop {
        let mut ids = vec![0u32; cap];
        let mut flags = vec![0u32; cap];
        let flags_ptr = if with_flags {
            flags.as_mut_ptr()
        } else {
            std::ptr::null_mut()
        };
        let mut attr = prog_query_attr(target, attach_type, ids.as_mut_ptr(), flags_ptr, cap);
        // SAFETY: `prog_ids` and `prog_attach_flags` (or 0) point to `ids` / `flags`, each
        // writable for `prog_cnt` = `cap` u32s and alive across the call.
        let ret = unsafe { bpf(Cmd::ProgQuery, &mut attr) };
        let cnt = attr.prog_cnt as usize;
        match ret {
            Err(e) if e.errno == libc::ENOSPC => {
                cap = cnt.max(cap.saturating_mul(2));
            }
            // Kernels before 5.19 do not know `prog_attach_flags` (non-zero tail: EINVAL).
            Err(e) if e.errno == libc::EINVAL && with_flags => with_flags = false,
            Err(e) => return Err(e),
            Ok(_) if cnt > cap => cap = cnt,
            Ok(_) => {
                ids.truncate(cnt);
                flags.truncate(if with_flags { cnt } else { 0 });
                return Ok(QueryResult {
                    attach_flags: attr.attach_flags,
                    prog_ids: ids.into_iter().map(ProgId).collect(),
                    prog_attach_flags: flags,
                });
            }
        }
    }
}

/// Encode `BPF_PROG_QUERY` (pure): `cap` slots at `ids` (and at `flags` unless null),
/// `query_flags` 0 (programs attached here, not the effective set).
pub fn prog_query_attr(
    target: BorrowedFd<'_>,
    attach_type: u32,
    ids: *mut u32,
    flags: *mut u32,
    cap: usize,
) -> ProgQueryAttr {
    ProgQueryAttr {
        target_fd: fd_u32(target),
        attach_type,
        prog_ids: ids as u64,
        prog_cnt: u32::try_from(cap).unwrap_or(u32::MAX),
        prog_attach_flags: flags as u64,
        ..ProgQueryAttr::default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    fn spec<'a>(insns: &'a [u8], func_info: &'a [u8], line_info: &'a [u8]) -> ProgLoad<'a> {
        ProgLoad {
            prog_type: 13,
            expected_attach_type: 3,
            name: ObjName::new("sockops_prog_long_name"),
            insns,
            license: c"GPL",
            kern_version: 7,
            prog_flags: 0x10,
            prog_btf_fd: None,
            func_info,
            line_info,
            attach_btf_id: 9,
        }
    }

    #[test]
    fn prog_load_attr_encodes_spec() {
        let insns = [0u8; 24];
        let fi = [0u8; 16];
        let li = [0u8; 32];
        let s = spec(&insns, &fi, &li);
        let a = prog_load_attr(&s, 0, None).unwrap();
        assert_eq!(
            (a.prog_type, a.insn_cnt, a.insns),
            (13, 3, insns.as_ptr() as u64)
        );
        assert_eq!(a.license, c"GPL".as_ptr() as u64);
        assert_eq!(
            (a.kern_version, a.prog_flags, a.expected_attach_type),
            (7, 0x10, 3)
        );
        assert_eq!(&a.prog_name[..], b"sockops_prog_lo\0");
        assert_eq!((a.func_info_rec_size, a.func_info_cnt), (8, 2));
        assert_eq!(a.func_info, fi.as_ptr() as u64);
        assert_eq!((a.line_info_rec_size, a.line_info_cnt), (16, 2));
        assert_eq!(a.line_info, li.as_ptr() as u64);
        assert_eq!((a.attach_btf_id, a.prog_btf_fd), (9, 0));
        assert_eq!((a.log_level, a.log_size, a.log_buf), (0, 0, 0));
    }

    #[test]
    fn prog_load_attr_log_and_empty_records() {
        let insns = [0u8; 8];
        let s = spec(&insns, &[], &[]);
        let mut log = [0u8; 256];
        let log_ptr = log.as_ptr() as u64;
        let a = prog_load_attr(&s, 0, Some(&mut log)).unwrap();
        assert_eq!((a.log_level, a.log_size, a.log_buf), (1, 256, log_ptr));
        let a = prog_load_attr(&s, 2, Some(&mut log)).unwrap();
        assert_eq!(a.log_level, 2);
        // A level without a buffer would be EINVAL from the kernel: dropped.
        let a = prog_load_attr(&s, 2, None).unwrap();
        assert_eq!((a.log_level, a.log_buf), (0, 0));
        assert_eq!(
            (a.func_info, a.func_info_rec_size, a.line_info_rec_size),
            (0, 0, 0)
        );
    }

    #[test]
    fn prog_load_attr_rejects_partial_records() {
        let s = spec(&[0u8; 12], &[], &[]);
        assert_eq!(prog_load_attr(&s, 0, None).unwrap_err().errno, libc::EINVAL);
        let s = spec(&[0u8; 8], &[0u8; 4], &[]);
        assert_eq!(prog_load_attr(&s, 0, None).unwrap_err().errno, libc::EINVAL);
        let s = spec(&[0u8; 8], &[], &[0u8; 8]);
        assert_eq!(prog_load_attr(&s, 0, None).unwrap_err().errno, libc::EINVAL);
    }

    #[test]
    fn load_error_names_its_cause_once() {
        let e = ProgLoadError {
            source: Error {
                cmd: Cmd::ProgLoad,
                errno: libc::EACCES,
            },
            log: "R0 !read_ok".into(),
            log_true_size: 12,
        };
        assert_eq!(e.to_string(), e.source.to_string());
        assert!(std::error::Error::source(&e).is_none());
    }

    #[test]
    fn log_text_stops_at_nul() {
        assert_eq!(text_to_nul(b"abc\0def"), "abc");
        assert_eq!(text_to_nul(b"abc"), "abc");
        assert_eq!(text_to_nul(b"\xff\0"), "\u{fffd}");
    }

    #[test]
    fn attach_detach_query_attrs() {
        let stdin = std::io::stdin();
        let fd = stdin.as_fd();
        let a = prog_attach_attr(fd, fd, 3, AttachFlags::ALLOW_MULTI, None);
        assert_eq!((a.attach_type, a.attach_flags, a.replace_bpf_fd), (3, 2, 0));
        let a = prog_attach_attr(fd, fd, 3, AttachFlags::ALLOW_MULTI, Some(fd));
        assert_eq!(a.attach_flags, 2 | 4);
        let d = prog_detach_attr(fd, None, 3);
        assert_eq!(
            (d.target_fd, d.attach_bpf_fd, d.attach_type, d.attach_flags),
            (0, 0, 3, 0)
        );
        let mut ids = [0u32; 4];
        let mut flags = [0u32; 4];
        let q = prog_query_attr(fd, 3, ids.as_mut_ptr(), flags.as_mut_ptr(), 4);
        assert_eq!((q.attach_type, q.query_flags, q.prog_cnt), (3, 0, 4));
        assert_eq!(q.prog_ids, ids.as_ptr() as u64);
        assert_eq!(q.prog_attach_flags, flags.as_ptr() as u64);
        assert_eq!((q.link_ids, q.link_attach_flags, q.revision), (0, 0, 0));
    }

    #[test]
    fn per_program_flags_win_where_reported() {
        let q = QueryResult {
            attach_flags: 2,
            prog_ids: vec![ProgId(1), ProgId(2)],
            prog_attach_flags: vec![1, 0],
        };
        assert_eq!((q.flags_of(0), q.flags_of(1), q.flags_of(5)), (1, 2, 2));
    }
}
