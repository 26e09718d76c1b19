//! `BPF_OBJ_GET_INFO_BY_FD` with `xlated_prog_insns`: a loaded program's instructions as the
//! verifier left them, with every map reference shown as the map's id (`ld_imm64` with
//! `src_reg` `BPF_PSEUDO_MAP_FD` / `BPF_PSEUDO_MAP_VALUE`, `imm` = map id, the second
//! slot's `imm` = value offset). What `bpftool prog dump xlated` prints.

use std::os::fd::BorrowedFd;

use crate::attr::BpfProgInfo;
use crate::info::info_by_fd_attr;
use crate::sys::bpf;
use crate::{Cmd, Result};

/// The translated instructions of the program `fd` (8 bytes each, host byte order).
/// `len` is the program's `xlated_prog_len` from `prog_info`; the kernel reports 0 (and
/// this returns nothing) to callers without `CAP_BPF`.
pub fn prog_xlated_insns(fd: BorrowedFd<'_>, len: u32) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; len as usize];
    let mut raw = xlated_request(&mut buf);
    let mut attr = info_by_fd_attr(fd, &mut raw);
    // SAFETY: `attr.info` points to `raw`, exclusively borrowed and `info_len` bytes long;
    // the only address inside `raw` is `xlated_prog_insns`, which points to `buf`, writable
    // for `xlated_prog_len` bytes (its length) and alive across the call.
    unsafe { bpf(Cmd::ObjGetInfoByFd, &mut attr) }?;
    buf.truncate((raw.xlated_prog_len as usize).min(len as usize));
    Ok(buf)
}

/// The `struct bpf_prog_info` request for the xlated instructions into `buf` (pure). An
/// empty buffer is address 0 and length 0.
pub fn xlated_request(buf: &mut [u8]) -> BpfProgInfo {
    if buf.is_empty() {
        return BpfProgInfo::default();
    }
    BpfProgInfo {
        xlated_prog_len: u32::try_from(buf.len()).unwrap_or(u32::MAX),
        xlated_prog_insns: buf.as_mut_ptr() as u64,
        ..BpfProgInfo::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_encodes_the_buffer() {
        let mut buf = [0u8; 24];
        let p = buf.as_ptr() as u64;
        let r = xlated_request(&mut buf);
        assert_eq!((r.xlated_prog_insns, r.xlated_prog_len), (p, 24));
        assert_eq!((r.nr_map_ids, r.map_ids), (0, 0));
        assert_eq!(xlated_request(&mut []), BpfProgInfo::default());
    }
}
