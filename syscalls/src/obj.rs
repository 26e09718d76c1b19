//! bpffs commands: pin and get.

use std::ffi::CStr;
use std::os::fd::{BorrowedFd, OwnedFd};

use crate::Result;

/// `BPF_OBJ_PIN` — pin an object to bpffs at `path`.
pub fn obj_pin(_fd: BorrowedFd<'_>, _path: &CStr) -> Result<()> {
    todo!("syscalls helper")
}

/// `BPF_OBJ_GET` — open the object pinned at `path`. ENOENT means "no pin there".
pub fn obj_get(_path: &CStr) -> Result<OwnedFd> {
    todo!("syscalls helper")
}
