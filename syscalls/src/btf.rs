//! `BPF_BTF_LOAD`.

use std::os::fd::OwnedFd;

use crate::Result;

/// `BPF_BTF_LOAD` — load a BTF blob. With `log`, the kernel's BTF verifier log is written
/// there (level 1) on failure.
pub fn btf_load(_data: &[u8], _log: Option<&mut [u8]>) -> Result<OwnedFd> {
    todo!("syscalls helper")
}
