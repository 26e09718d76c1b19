//! `BPF_BTF_LOAD`.

use std::os::fd::OwnedFd;

use crate::attr::BtfLoadAttr;
use crate::sys::bpf_fd;
use crate::{Cmd, Error, Result};

/// Largest log the kernel accepts (`UINT_MAX >> 2`).
pub(crate) const MAX_LOG_SIZE: usize = (u32::MAX >> 2) as usize;

/// Encode `BPF_BTF_LOAD` (pure; no syscall). With a non-empty `log`, level 1.
pub fn btf_load_attr(data: &[u8], log: Option<&mut [u8]>) -> Result<BtfLoadAttr> {
    let btf_size = u32::try_from(data.len()).map_err(|_| Error {
        cmd: Cmd::BtfLoad,
        errno: libc::E2BIG,
    })?;
    let mut attr = BtfLoadAttr {
        btf: data.as_ptr() as u64,
        btf_size,
        ..BtfLoadAttr::default()
    };
    if let Some(log) = log.filter(|l| !l.is_empty()) {
        attr.btf_log_buf = log.as_mut_ptr() as u64;
        attr.btf_log_size = log.len().min(MAX_LOG_SIZE) as u32;
        attr.btf_log_level = 1;
    }
    Ok(attr)
}

/// `BPF_BTF_LOAD` — load a BTF blob. With `log`, the kernel's BTF verifier log is written
/// there (level 1) on failure.
pub fn btf_load(data: &[u8], log: Option<&mut [u8]>) -> Result<OwnedFd> {
    let mut attr = btf_load_attr(data, log)?;
    // SAFETY: `btf` points to `data` (`btf_size` bytes, only read); `btf_log_buf` is 0 or
    // `log`, writable for `btf_log_size` <= its length; both are borrowed until we return.
    unsafe { bpf_fd(Cmd::BtfLoad, &mut attr) }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn btf_load_attr_encodes() {
        let data = [1u8, 2, 3];
        let mut log = [0u8; 64];
        let log_ptr = log.as_ptr() as u64;
        let a = btf_load_attr(&data, Some(&mut log)).unwrap();
        assert_eq!(a.btf, data.as_ptr() as u64);
        assert_eq!((a.btf_size, a.btf_log_size, a.btf_log_level), (3, 64, 1));
        assert_eq!(a.btf_log_buf, log_ptr);
        let a = btf_load_attr(&data, None).unwrap();
        assert_eq!((a.btf_log_buf, a.btf_log_size, a.btf_log_level), (0, 0, 0));
        let a = btf_load_attr(&data, Some(&mut [])).unwrap();
        assert_eq!(a.btf_log_level, 0);
    }
}
