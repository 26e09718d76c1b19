//! `BPF_OBJ_GET_INFO_BY_FD` with `func_info`: a loaded program's first `struct
//! bpf_func_info` record, whose BTF FUNC type names the program in full (the kernel's own
//! `name` keeps 15 bytes). What bpftool's `get_prog_full_name()` reads.

use std::os::fd::BorrowedFd;

use crate::attr::BpfProgInfo;
use crate::info::info_by_fd_attr;
use crate::sys::bpf;
use crate::{BtfId, Cmd, Result};

/// `sizeof(struct bpf_func_info)`: `insn_off` and `type_id`, two `__u32`.
const FUNC_INFO_SIZE: u32 = 8;

/// The program's BTF and the FUNC type of its first function (the main one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MainFunc {
    pub btf_id: BtfId,
    pub type_id: u32,
}

/// The `struct bpf_prog_info` request for one func_info record into `rec` (pure).
pub fn func_info_request(rec: &mut [u32; 2]) -> BpfProgInfo {
    BpfProgInfo {
        nr_func_info: 1,
        func_info_rec_size: FUNC_INFO_SIZE,
        func_info: rec.as_mut_ptr() as u64,
        ..BpfProgInfo::default()
    }
}

/// The BTF id and FUNC type id of program `fd`'s main function; `None` when it was loaded
/// without BTF func info, or this process may not see it (the kernel reports no func info
/// to callers without `CAP_BPF`).
pub fn prog_main_func(fd: BorrowedFd<'_>) -> Result<Option<MainFunc>> {
    let mut rec = [0u32; 2];
    let mut raw = func_info_request(&mut rec);
    let mut attr = info_by_fd_attr(fd, &mut raw);
    // SAFETY: `attr.info` points to `raw`, exclusively borrowed and `info_len` bytes long;
    // the only address inside `raw` is `func_info`, which points to `rec`, writable for
    // `nr_func_info` (1) records of `func_info_rec_size` (8) bytes and alive across the call.
    unsafe { bpf(Cmd::ObjGetInfoByFd, &mut attr) }?;
    if raw.nr_func_info == 0 || raw.btf_id == 0 {
        return Ok(None);
    }
    Ok(Some(MainFunc {
        btf_id: BtfId(raw.btf_id),
        type_id: rec[1],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_asks_for_one_record() {
        let mut rec = [0u32; 2];
        let p = rec.as_ptr() as u64;
        let r = func_info_request(&mut rec);
        assert_eq!(
            (r.nr_func_info, r.func_info_rec_size, r.func_info),
            (1, 8, p)
        );
        assert_eq!((r.nr_map_ids, r.map_ids, r.xlated_prog_len), (0, 0, 0));
    }
}
