//! Link commands: `BPF_LINK_CREATE`, `BPF_LINK_UPDATE`, `BPF_LINK_DETACH`, and the link's
//! `struct bpf_link_info` through `BPF_OBJ_GET_INFO_BY_FD`.
//!
//! A bpf_link gives an attachment an owner: only the link's holder (an fd, or its pin on
//! bpffs) can detach or update it, `BPF_PROG_DETACH` (`bpftool cgroup detach`) cannot
//! remove it, and `BPF_LINK_UPDATE` swaps its program atomically. Cgroup links exist since
//! 5.7 (`BPF_LINK_DETACH` since 5.9), sockmap links (`BPF_SK_MSG_VERDICT` and the sk_skb
//! types on a SOCKMAP/SOCKHASH) since 6.10.

use std::os::fd::{BorrowedFd, OwnedFd};

use crate::attr::{
    BpfLinkInfo, LinkCreateAttr, LinkDetachAttr, LinkUpdateAttr, RawTracepointOpenAttr,
};
use crate::map::fd_u32;
use crate::sys::{Attr, bpf, bpf_fd};
use crate::{Cmd, MapId, ProgId, Result};

// SAFETY: `BpfLinkInfo` is `#[repr(C)]` with integer fields only and explicit padding
// (attr.rs); `Attr` marks "the kernel may write any bytes into this".
unsafe impl Attr for BpfLinkInfo {}

/// A link's kernel ID (`BPF_LINK_GET_NEXT_ID` space).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct LinkId(pub u32);

/// `BPF_F_REPLACE` for `BPF_LINK_UPDATE`: update only if the link runs the old program.
const BPF_F_REPLACE: u32 = 4;

/// `enum bpf_link_type` values rawbpf tells apart.
/// `BPF_LINK_TYPE_RAW_TRACEPOINT` (5.8+: `BPF_RAW_TRACEPOINT_OPEN` returns a link).
pub const BPF_LINK_TYPE_RAW_TRACEPOINT: u32 = 1;
pub const BPF_LINK_TYPE_CGROUP: u32 = 3;
/// `BPF_LINK_TYPE_SOCKMAP` (6.10+).
pub const BPF_LINK_TYPE_SOCKMAP: u32 = 14;
/// `BPF_LINK_TYPE_XDP` (5.9+).
pub const BPF_LINK_TYPE_XDP: u32 = 6;
/// `BPF_LINK_TYPE_TCX` (6.6+).
pub const BPF_LINK_TYPE_TCX: u32 = 11;

/// What a link is attached to, as `struct bpf_link_info` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkTarget {
    /// `BPF_LINK_TYPE_CGROUP`: the cgroup's id (its inode number on cgroup2) and attach type.
    Cgroup { cgroup_id: u64, attach_type: u32 },
    /// `BPF_LINK_TYPE_SOCKMAP`: the socket map and attach type.
    Sockmap { map_id: MapId, attach_type: u32 },
    /// `BPF_LINK_TYPE_XDP`: the interface's index (0 once the link is detached or the
    /// interface is gone).
    Xdp { ifindex: u32 },
    /// `BPF_LINK_TYPE_TCX` (6.6+): the interface's index and attach type (`tcx_ingress` 46,
    /// `tcx_egress` 47).
    Tcx { ifindex: u32, attach_type: u32 },
    /// `BPF_LINK_TYPE_RAW_TRACEPOINT`: a raw tracepoint (rawbpf asks for no name, so the
    /// link does not say which).
    RawTracepoint,
    /// Another link type (its `enum bpf_link_type` value).
    Other(u32),
}

/// The fields of `struct bpf_link_info` rawbpf uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkInfo {
    pub id: LinkId,
    /// The program the link runs now.
    pub prog_id: ProgId,
    pub target: LinkTarget,
}

/// Encode `BPF_LINK_CREATE` (pure): `prog` attached to `target` (a cgroup fd, or a
/// SOCKMAP/SOCKHASH fd for sk_msg / sk_skb) for `attach_type`, flags 0.
pub fn link_create_attr(
    prog: BorrowedFd<'_>,
    target: BorrowedFd<'_>,
    attach_type: u32,
) -> LinkCreateAttr {
    LinkCreateAttr {
        prog_fd: fd_u32(prog),
        target_fd: fd_u32(target),
        attach_type,
        ..LinkCreateAttr::default()
    }
}

/// `BPF_LINK_CREATE` — attach `prog` to `target` through a new link, returned as its fd
/// (the attachment lives as long as the fd or a pin of it). A cgroup link attaches with
/// `BPF_F_ALLOW_MULTI` semantics: it coexists with the cgroup's other multi programs and
/// links, and the kernel refuses it (EPERM) where a program is attached without
/// `BPF_F_ALLOW_MULTI`.
pub fn link_create(
    prog: BorrowedFd<'_>,
    target: BorrowedFd<'_>,
    attach_type: u32,
) -> Result<OwnedFd> {
    let mut attr = link_create_attr(prog, target, attach_type);
    // SAFETY: the attr holds no user-space addresses; `BPF_LINK_CREATE` returns a new fd.
    unsafe { bpf_fd(Cmd::LinkCreate, &mut attr) }
}

/// Encode `BPF_LINK_UPDATE` (pure). `old` sets `old_prog_fd` and `BPF_F_REPLACE`.
pub fn link_update_attr(
    link: BorrowedFd<'_>,
    new_prog: BorrowedFd<'_>,
    old: Option<BorrowedFd<'_>>,
) -> LinkUpdateAttr {
    LinkUpdateAttr {
        link_fd: fd_u32(link),
        new_prog_fd: fd_u32(new_prog),
        flags: if old.is_some() { BPF_F_REPLACE } else { 0 },
        old_prog_fd: old.map_or(0, fd_u32),
    }
}

/// `BPF_LINK_CREATE` on a network interface (pure encoding in [`link_create_ifindex_attr`]):
/// `target_ifindex` shares `target_fd`'s slot of `link_create`; `flags` are the XDP mode
/// flags (`XDP_FLAGS_SKB_MODE` 2, `DRV_MODE` 4, `HW_MODE` 8; 0 lets the kernel choose).
/// An XDP link (5.9+) refuses (EBUSY) an interface that has an XDP program attached
/// without a link (netlink, `ip link set ... xdp`) or another link.
pub fn link_create_ifindex(
    prog: BorrowedFd<'_>,
    ifindex: u32,
    attach_type: u32,
    flags: u32,
) -> Result<OwnedFd> {
    let mut attr = link_create_ifindex_attr(prog, ifindex, attach_type, flags);
    // SAFETY: the attr holds no user-space addresses; `BPF_LINK_CREATE` returns a new fd.
    unsafe { bpf_fd(Cmd::LinkCreate, &mut attr) }
}

/// The index of network interface `name` in this process's network namespace
/// (`if_nametoindex(3)`); `None` when there is no such interface.
pub fn if_nametoindex(name: &std::ffi::CStr) -> Option<u32> {
    // SAFETY: `name` is NUL-terminated and outlives the call, which only reads it.
    let idx = unsafe { libc::if_nametoindex(name.as_ptr()) };
    (idx != 0).then_some(idx)
}

/// The name of network interface `ifindex` in this process's network namespace
/// (`if_indextoname(3)`); `None` when there is no such interface.
pub fn if_indextoname(ifindex: u32) -> Option<String> {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: `buf` has the IF_NAMESIZE bytes the call may write (the name and its NUL).
    let ret = unsafe { libc::if_indextoname(ifindex, buf.as_mut_ptr()) };
    if ret.is_null() {
        return None;
    }
    // SAFETY: on success the call wrote a NUL-terminated name into `buf`.
    let name = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
    Some(name.to_string_lossy().into_owned())
}

/// Encode `BPF_LINK_CREATE` for an interface target (pure).
pub fn link_create_ifindex_attr(
    prog: BorrowedFd<'_>,
    ifindex: u32,
    attach_type: u32,
    flags: u32,
) -> LinkCreateAttr {
    LinkCreateAttr {
        prog_fd: fd_u32(prog),
        target_fd: ifindex,
        attach_type,
        flags,
        ..LinkCreateAttr::default()
    }
}

/// `BPF_LINK_UPDATE` — make `link` run `new_prog` instead of its program, atomically: there
/// is no moment without a program. With `old`, only if the link still runs `old`
/// (`BPF_F_REPLACE`; EPERM when another program replaced it meanwhile).
pub fn link_update(
    link: BorrowedFd<'_>,
    new_prog: BorrowedFd<'_>,
    old: Option<BorrowedFd<'_>>,
) -> Result<()> {
    let mut attr = link_update_attr(link, new_prog, old);
    // SAFETY: the attr holds no user-space addresses.
    unsafe { bpf(Cmd::LinkUpdate, &mut attr) }.map(drop)
}

/// Encode `BPF_RAW_TRACEPOINT_OPEN` (pure): `name` is the address of the tracepoint's
/// NUL-terminated name, which must outlive the call.
pub fn raw_tracepoint_open_attr(
    prog: BorrowedFd<'_>,
    name: &std::ffi::CStr,
) -> RawTracepointOpenAttr {
    RawTracepointOpenAttr {
        name: name.as_ptr() as u64,
        prog_fd: fd_u32(prog),
        _pad: 0,
    }
}

/// `BPF_RAW_TRACEPOINT_OPEN` — attach raw tracepoint program `prog` to tracepoint `name`
/// (`sys_enter`, `sched_switch`); returns the attachment's fd, a
/// `BPF_LINK_TYPE_RAW_TRACEPOINT` link since 5.8 (pinnable, detached with
/// `BPF_LINK_DETACH` since 5.9). There is no `BPF_LINK_UPDATE` for these links: a
/// program is swapped by opening a new link and closing the old. ENOENT: no such
/// tracepoint.
pub fn raw_tracepoint_open(prog: BorrowedFd<'_>, name: &std::ffi::CStr) -> Result<OwnedFd> {
    let mut attr = raw_tracepoint_open_attr(prog, name);
    // SAFETY: `attr.name` points to `name`, NUL-terminated and borrowed for the call,
    // which only reads it; the command returns a new fd.
    unsafe { bpf_fd(Cmd::RawTracepointOpen, &mut attr) }
}

/// `BPF_LINK_DETACH` — detach the link's program from its target now (5.9+). The link
/// object lives on, defunct, until its last fd and pin are gone.
pub fn link_detach(link: BorrowedFd<'_>) -> Result<()> {
    let mut attr = LinkDetachAttr {
        link_fd: fd_u32(link),
    };
    // SAFETY: the attr holds no user-space addresses.
    unsafe { bpf(Cmd::LinkDetach, &mut attr) }.map(drop)
}

/// `BPF_OBJ_GET_INFO_BY_FD` on a link fd. A detached cgroup link reports cgroup id 0.
pub fn link_info(link: BorrowedFd<'_>) -> Result<LinkInfo> {
    let mut raw = BpfLinkInfo::default();
    let mut attr = crate::info_by_fd_attr(link, &mut raw);
    // SAFETY: `attr.info` points to `raw`, exclusively borrowed and `info_len` bytes long;
    // `raw` holds no user-space addresses (rawbpf asks for no names).
    unsafe { bpf(Cmd::ObjGetInfoByFd, &mut attr) }?;
    Ok(link_info_from_raw(&raw))
}

/// Decode `struct bpf_link_info` (pure).
pub fn link_info_from_raw(raw: &BpfLinkInfo) -> LinkInfo {
    let target = match raw.link_type {
        BPF_LINK_TYPE_CGROUP => LinkTarget::Cgroup {
            cgroup_id: raw.cgroup_id(),
            attach_type: raw.cgroup_attach_type,
        },
        BPF_LINK_TYPE_SOCKMAP => LinkTarget::Sockmap {
            map_id: MapId(raw.target_lo),
            attach_type: raw.target_hi,
        },
        BPF_LINK_TYPE_XDP => LinkTarget::Xdp {
            ifindex: raw.target_lo,
        },
        BPF_LINK_TYPE_TCX => LinkTarget::Tcx {
            ifindex: raw.target_lo,
            attach_type: raw.target_hi,
        },
        BPF_LINK_TYPE_RAW_TRACEPOINT => LinkTarget::RawTracepoint,
        other => LinkTarget::Other(other),
    };
    LinkInfo {
        id: LinkId(raw.id),
        prog_id: ProgId(raw.prog_id),
        target,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn create_update_attrs() {
        let stdin = std::io::stdin();
        let fd = stdin.as_fd();
        let a = link_create_attr(fd, fd, 3);
        assert_eq!(
            (
                a.prog_fd,
                a.target_fd,
                a.attach_type,
                a.flags,
                a.target_btf_id
            ),
            (0, 0, 3, 0, 0)
        );
        let u = link_update_attr(fd, fd, None);
        assert_eq!((u.flags, u.old_prog_fd), (0, 0));
        let u = link_update_attr(fd, fd, Some(fd));
        assert_eq!(u.flags, BPF_F_REPLACE);
    }

    #[test]
    fn decodes_cgroup_and_sockmap_infos() {
        let id = 0x1234_5678_9abc_u64.to_ne_bytes();
        let raw = BpfLinkInfo {
            link_type: BPF_LINK_TYPE_CGROUP,
            id: 4,
            prog_id: 9,
            target_lo: u32::from_ne_bytes(id[..4].try_into().unwrap()),
            target_hi: u32::from_ne_bytes(id[4..].try_into().unwrap()),
            cgroup_attach_type: 3,
            ..BpfLinkInfo::default()
        };
        let i = link_info_from_raw(&raw);
        assert_eq!((i.id, i.prog_id), (LinkId(4), ProgId(9)));
        assert_eq!(
            i.target,
            LinkTarget::Cgroup {
                cgroup_id: 0x1234_5678_9abc,
                attach_type: 3
            }
        );
        let raw = BpfLinkInfo {
            link_type: BPF_LINK_TYPE_SOCKMAP,
            target_lo: 7,
            target_hi: 7,
            ..BpfLinkInfo::default()
        };
        assert_eq!(
            link_info_from_raw(&raw).target,
            LinkTarget::Sockmap {
                map_id: MapId(7),
                attach_type: 7
            }
        );
        let raw = BpfLinkInfo {
            link_type: BPF_LINK_TYPE_XDP,
            target_lo: 3,
            ..BpfLinkInfo::default()
        };
        assert_eq!(
            link_info_from_raw(&raw).target,
            LinkTarget::Xdp { ifindex: 3 }
        );
        let raw = BpfLinkInfo {
            link_type: BPF_LINK_TYPE_TCX,
            target_lo: 3,
            target_hi: 46,
            ..BpfLinkInfo::default()
        };
        assert_eq!(
            link_info_from_raw(&raw).target,
            LinkTarget::Tcx {
                ifindex: 3,
                attach_type: 46
            }
        );
        let raw = BpfLinkInfo {
            link_type: BPF_LINK_TYPE_RAW_TRACEPOINT,
            ..BpfLinkInfo::default()
        };
        assert_eq!(link_info_from_raw(&raw).target, LinkTarget::RawTracepoint);
        let name = c"sys_enter";
        let sin = std::io::stdin();
        let a = raw_tracepoint_open_attr(sin.as_fd(), name);
        assert_eq!((a.name, a.prog_fd), (name.as_ptr() as u64, 0));
        let raw = BpfLinkInfo {
            link_type: 2,
            ..BpfLinkInfo::default()
        };
        assert_eq!(link_info_from_raw(&raw).target, LinkTarget::Other(2));
        let stdin = std::io::stdin();
        let a = link_create_ifindex_attr(stdin.as_fd(), 5, 37, 2);
        assert_eq!((a.target_fd, a.attach_type, a.flags), (5, 37, 2));
    }
}
