//! The kernel's ID spaces: next-id iteration and fd-by-id.

use std::os::fd::OwnedFd;

use crate::Result;

/// Which ID space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Prog,
    Map,
    Btf,
    Link,
}

/// `BPF_{PROG,MAP,BTF,LINK}_GET_NEXT_ID` — the next ID after `start`; `None` at the end
/// (ENOENT).
pub fn next_id(_kind: IdKind, _start: u32) -> Result<Option<u32>> {
    todo!("syscalls helper")
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
pub fn fd_by_id(_kind: IdKind, _id: u32) -> Result<OwnedFd> {
    todo!("syscalls helper")
}
