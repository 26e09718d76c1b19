//! `BPF_OBJ_GET_INFO_BY_FD` on a BTF fd: a loaded BTF object's id, name and raw blob
//! (what `rawbpf map dump` decodes keys and values with), and `BPF_BTF_GET_FD_BY_ID`.

use std::os::fd::{BorrowedFd, OwnedFd};

use crate::attr::BpfBtfInfo;
use crate::ids::{IdKind, fd_by_id};
use crate::info::{info_by_fd_attr, text_to_nul};
use crate::sys::{Attr, bpf};
use crate::{BtfId, Cmd, Result};

// SAFETY: `BpfBtfInfo` is `#[repr(C)]` with integer fields only and no padding (size
// asserted in attr.rs); the kernel may write any bytes into it.
unsafe impl Attr for BpfBtfInfo {}

/// A loaded BTF object, from `struct bpf_btf_info`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BtfInfo {
    pub id: BtfId,
    /// `vmlinux` or the module name for kernel BTF; empty for BTF loaded by a program.
    pub name: String,
    /// The kernel's own BTF (`vmlinux`, a module), not one loaded with `BPF_BTF_LOAD`.
    pub kernel_btf: bool,
    /// The raw blob as the kernel holds it (host byte order); parse it with
    /// `rawbpf_elf::btf::Btf::parse`.
    pub data: Vec<u8>,
}

/// Encode the `struct bpf_btf_info` request (pure; no syscall): the blob goes to `data`,
/// the name to `name`. An empty buffer is passed as address 0 and size 0 (the kernel
/// rejects an address without a size and vice versa).
pub fn btf_info_request(data: &mut [u8], name: &mut [u8]) -> BpfBtfInfo {
    let buf = |b: &mut [u8]| {
        if b.is_empty() {
            (0, 0)
        } else {
            (
                b.as_mut_ptr() as u64,
                u32::try_from(b.len()).unwrap_or(u32::MAX),
            )
        }
    };
    let (btf, btf_size) = buf(data);
    let (name, name_len) = buf(name);
    BpfBtfInfo {
        btf,
        btf_size,
        name,
        name_len,
        ..BpfBtfInfo::default()
    }
}

/// Issue `BPF_OBJ_GET_INFO_BY_FD` on a BTF fd into `info`.
///
/// # Safety
///
/// `info.btf` and `info.name` must each be 0 or point to memory writable for
/// `info.btf_size` / `info.name_len` bytes, alive for the duration of the call.
unsafe fn get_btf_info(fd: BorrowedFd<'_>, info: &mut BpfBtfInfo) -> Result<()> {
    let mut attr = info_by_fd_attr(fd, info);
    // SAFETY: `attr.info` points to `*info`, exclusively borrowed and `info_len` bytes
    // long; the buffers it names are valid per this function's contract.
    unsafe { bpf(Cmd::ObjGetInfoByFd, &mut attr) }.map(drop)
}

/// `BPF_OBJ_GET_INFO_BY_FD` on a BTF fd: its id, name, whether it is kernel BTF, and the
/// raw blob. A first call learns the sizes, a second fills buffers of those sizes (a BTF
/// object never changes once loaded).
pub fn btf_info(fd: BorrowedFd<'_>) -> Result<BtfInfo> {
    let mut raw = BpfBtfInfo::default();
    // SAFETY: `raw` holds no user-space addresses (`btf` and `name` are 0).
    unsafe { get_btf_info(fd, &mut raw) }?;
    let mut data = vec![0u8; raw.btf_size as usize];
    // Room for the NUL the kernel writes after the name. No name (BTF loaded by a program,
    // or a kernel before 5.11 whose `bpf_btf_info` ends before `name`: a nonzero tail there
    // is E2BIG) passes no buffer.
    let mut name = match raw.name_len {
        0 => Vec::new(),
        len => vec![0u8; (len as usize).saturating_add(1)],
    };
    let mut raw = btf_info_request(&mut data, &mut name);
    // SAFETY: `raw.btf` / `raw.name` are 0 or point to `data` / `name`, writable for
    // `btf_size` / `name_len` bytes (their lengths) and alive across the call.
    unsafe { get_btf_info(fd, &mut raw) }?;
    data.truncate(raw.btf_size as usize);
    Ok(BtfInfo {
        id: BtfId(raw.id),
        name: text_to_nul(&name),
        kernel_btf: raw.kernel_btf != 0,
        data,
    })
}

/// `BPF_BTF_GET_FD_BY_ID` — open the BTF object with this id (e.g. a program's
/// `btf_id` from `prog_info`). ENOENT means no BTF object has that id.
pub fn btf_get_fd_by_id(id: BtfId) -> Result<OwnedFd> {
    fd_by_id(IdKind::Btf, id.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_encodes_buffers() {
        let mut data = [0u8; 40];
        let mut name = [0u8; 8];
        let (dp, np) = (data.as_ptr() as u64, name.as_ptr() as u64);
        let r = btf_info_request(&mut data, &mut name);
        assert_eq!((r.btf, r.btf_size, r.name, r.name_len), (dp, 40, np, 8));
        assert_eq!((r.id, r.kernel_btf), (0, 0));
        let r = btf_info_request(&mut [], &mut []);
        assert_eq!(r, BpfBtfInfo::default());
    }
}
