//! bpffs commands: pin and get.

use std::ffi::CStr;
use std::os::fd::{BorrowedFd, OwnedFd};

use crate::attr::ObjPinAttr;
use crate::map::fd_u32;
use crate::sys::{bpf, bpf_fd};
use crate::{Cmd, Result};

/// Encode `BPF_OBJ_PIN` / `BPF_OBJ_GET` (pure; no syscall). `file_flags` 0 (read-write),
/// `path_fd` 0 (no `BPF_F_PATH_FD`: `path` is relative to the working directory).
pub fn obj_attr(fd: Option<BorrowedFd<'_>>, path: &CStr) -> ObjPinAttr {
    ObjPinAttr {
        pathname: path.as_ptr() as u64,
        bpf_fd: fd.map_or(0, fd_u32),
        ..ObjPinAttr::default()
    }
}

/// `BPF_OBJ_PIN` — pin an object to bpffs at `path`.
pub fn obj_pin(fd: BorrowedFd<'_>, path: &CStr) -> Result<()> {
    let mut attr = obj_attr(Some(fd), path);
    // SAFETY: `pathname` points to the NUL-terminated `path`, alive for the call; the kernel
    // only reads it.
    unsafe { bpf(Cmd::ObjPin, &mut attr) }.map(drop)
}

/// `BPF_OBJ_GET` — open the object pinned at `path`. ENOENT means "no pin there".
pub fn obj_get(path: &CStr) -> Result<OwnedFd> {
    let mut attr = obj_attr(None, path);
    // SAFETY: `pathname` points to the NUL-terminated `path`, alive for the call; OBJ_GET
    // returns a new fd.
    unsafe { bpf_fd(Cmd::ObjGet, &mut attr) }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn obj_attr_encodes_path_and_fd() {
        let path = c"/sys/fs/bpf/x";
        let stdin = std::io::stdin();
        let a = obj_attr(Some(stdin.as_fd()), path);
        assert_eq!(a.pathname, path.as_ptr() as u64);
        assert_eq!((a.bpf_fd, a.file_flags, a.path_fd), (0, 0, 0));
        let a = obj_attr(None, path);
        assert_eq!((a.bpf_fd, a.file_flags), (0, 0));
    }
}
