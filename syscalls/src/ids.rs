//! The kernel's ID spaces: next-id iteration and fd-by-id.

use std::os::fd::OwnedFd;

use crate::attr::GetIdAttr;
use crate::sys::{bpf, bpf_fd};
use crate::{Cmd, Result};

/// Which ID space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Prog,
    Map,
    Btf,
    Link,
}

impl IdKind {
    /// The `BPF_*_GET_NEXT_ID` command of this ID space.
    pub fn next_id_cmd(self) -> Cmd {
        match self {
            IdKind::Prog => Cmd::ProgGetNextId,
            IdKind::Map => Cmd::MapGetNextId,
            IdKind::Btf => Cmd::BtfGetNextId,
            IdKind::Link => Cmd::LinkGetNextId,
        }
    }

    /// The `BPF_*_GET_FD_BY_ID` command of this ID space.
    pub fn fd_by_id_cmd(self) -> Cmd {
        match self {
            IdKind::Prog => Cmd::ProgGetFdById,
            IdKind::Map => Cmd::MapGetFdById,
            IdKind::Btf => Cmd::BtfGetFdById,
            IdKind::Link => Cmd::LinkGetFdById,
        }
    }
}

/// Encode `BPF_*_GET_NEXT_ID` / `BPF_*_GET_FD_BY_ID` (pure; no syscall): `id` is the start
/// id or the id to open; `open_flags` 0 (read-write).
pub fn get_id_attr(id: u32) -> GetIdAttr {
    GetIdAttr {
        id,
        ..GetIdAttr::default()
    }
}

/// `BPF_{PROG,MAP,BTF,LINK}_GET_NEXT_ID` — the next ID after `start`; `None` at the end
/// (ENOENT). IDs are below `INT_MAX`, so a `start` at or past it is `None` without asking
/// (the kernel would answer EINVAL).
pub fn next_id(kind: IdKind, start: u32) -> Result<Option<u32>> {
    if start >= i32::MAX as u32 {
        return Ok(None);
    }
    let mut attr = get_id_attr(start);
    // SAFETY: the attr holds no user-space addresses.
    match unsafe { bpf(kind.next_id_cmd(), &mut attr) } {
        Ok(_) => Ok(Some(attr.next_id)),
        Err(e) if e.is_enoent() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Every live ID of `kind`, in order.
pub fn ids(kind: IdKind) -> impl Iterator<Item = Result<u32>> {
    let mut cur = 0u32;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        match next_id(kind, cur) {
            Ok(Some(id)) => {
                cur = id;
                Some(Ok(id))
            }
            Ok(None) => {
                done = true;
                None
            }
            Err(e) => {
                done = true;
                Some(Err(e))
            }
        }
    })
}

/// `BPF_{PROG,MAP,BTF,LINK}_GET_FD_BY_ID` — open the object with this ID.
/// ENOENT means no object has that ID (any more).
pub fn fd_by_id(kind: IdKind, id: u32) -> Result<OwnedFd> {
    let mut attr = get_id_attr(id);
    // SAFETY: the attr holds no user-space addresses; `*_GET_FD_BY_ID` returns a new fd.
    unsafe { bpf_fd(kind.fd_by_id_cmd(), &mut attr) }
}

/// `BPF_PROG_GET_FD_BY_ID`.
pub fn prog_get_fd_by_id(id: crate::ProgId) -> Result<OwnedFd> {
    fd_by_id(IdKind::Prog, id.0)
}

/// `BPF_MAP_GET_FD_BY_ID`.
pub fn map_get_fd_by_id(id: crate::MapId) -> Result<OwnedFd> {
    fd_by_id(IdKind::Map, id.0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn commands_per_kind() {
        assert_eq!(IdKind::Prog.next_id_cmd() as u32, 11);
        assert_eq!(IdKind::Map.next_id_cmd() as u32, 12);
        assert_eq!(IdKind::Btf.next_id_cmd() as u32, 23);
        assert_eq!(IdKind::Link.next_id_cmd() as u32, 31);
        assert_eq!(IdKind::Prog.fd_by_id_cmd() as u32, 13);
        assert_eq!(IdKind::Map.fd_by_id_cmd() as u32, 14);
        assert_eq!(IdKind::Btf.fd_by_id_cmd() as u32, 19);
        assert_eq!(IdKind::Link.fd_by_id_cmd() as u32, 30);
    }

    #[test]
    fn get_id_attr_encodes() {
        let a = get_id_attr(42);
        assert_eq!(
            (a.id, a.next_id, a.open_flags, a.fd_by_id_token_fd),
            (42, 0, 0, 0)
        );
    }
}
