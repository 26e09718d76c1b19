//! The one choke point: `bpf(cmd, &mut attr, size_of(attr))`.
//!
//! Every command of this crate goes through [`bpf`]; fds come out through [`bpf_fd`], which
//! wraps the returned number in an `OwnedFd` via [`owned_fd`]. bpf(2) creates every fd it
//! returns with `O_CLOEXEC` already.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use crate::attr::{
    BtfLoadAttr, GetIdAttr, InfoByFdAttr, LinkCreateAttr, LinkDetachAttr, LinkUpdateAttr,
    MapCreateAttr, MapElemAttr, MapFreezeAttr, ObjPinAttr, ProgAttachAttr, ProgLoadAttr,
    ProgQueryAttr, RawTracepointOpenAttr,
};
use crate::{Cmd, Error, Result};

/// How often `BPF_PROG_LOAD` is retried on EAGAIN (the verifier returns it when it was
/// interrupted by a signal or hit a transient allocation failure, as libbpf retries 5 times).
const PROG_LOAD_EAGAIN_TRIES: u32 = 5;

/// A `#[repr(C)]` attribute struct of one bpf command.
///
/// # Safety
///
/// Implementors are `#[repr(C)]`, contain only integer fields and byte arrays (so every bit
/// pattern the kernel writes back is valid), and declare all padding as explicit fields (so
/// no uninitialised byte is passed to the kernel).
pub(crate) unsafe trait Attr: Sized {}

// SAFETY: each struct is `#[repr(C)]` with integer / byte-array fields only and explicit
// padding (see attr.rs, whose compile-time size asserts pin the layout).
unsafe impl Attr for MapCreateAttr {}
// SAFETY: as above.
unsafe impl Attr for MapElemAttr {}
// SAFETY: as above.
unsafe impl Attr for MapFreezeAttr {}
// SAFETY: as above.
unsafe impl Attr for ProgLoadAttr {}
// SAFETY: as above.
unsafe impl Attr for ObjPinAttr {}
// SAFETY: as above.
unsafe impl Attr for ProgAttachAttr {}
// SAFETY: as above.
unsafe impl Attr for ProgQueryAttr {}
// SAFETY: as above.
unsafe impl Attr for InfoByFdAttr {}
// SAFETY: as above.
unsafe impl Attr for GetIdAttr {}
// SAFETY: as above.
unsafe impl Attr for BtfLoadAttr {}
// SAFETY: as above.
unsafe impl Attr for LinkCreateAttr {}
// SAFETY: as above.
unsafe impl Attr for LinkUpdateAttr {}
// SAFETY: as above.
unsafe impl Attr for LinkDetachAttr {}
// SAFETY: as above.
unsafe impl Attr for RawTracepointOpenAttr {}

/// Issue `bpf(cmd, attr, size_of::<A>())`, retrying EINTR (every command) and EAGAIN
/// (`BPF_PROG_LOAD`, a few times). Returns the syscall's non-negative result.
///
/// # Safety
///
/// Every user-space address stored in `attr` (as `u64`) must point to memory that is valid
/// for the kernel's reads and writes of the sizes given next to it in `attr` (for example
/// `log_buf`/`log_size`, `info`/`info_len`, `key` and `value` of the map's sizes), and that
/// memory must stay alive and otherwise unaliased for the duration of the call.
pub(crate) unsafe fn bpf<A: Attr>(cmd: Cmd, attr: &mut A) -> Result<i64> {
    let mut eagain_left = if cmd == Cmd::ProgLoad {
        PROG_LOAD_EAGAIN_TRIES
    } else {
        0
    };
    loop {
        // SAFETY: `attr` is a live, exclusively borrowed `#[repr(C)]` struct of exactly
        // `size_of::<A>()` bytes (trait `Attr`); the addresses inside it are valid per this
        // function's contract. bpf(2) touches no other memory.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_bpf,
                cmd as libc::c_long,
                attr as *mut A as *mut libc::c_void,
                std::mem::size_of::<A>() as libc::c_ulong,
            )
        };
        if ret >= 0 {
            return Ok(ret);
        }
        let errno = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        match errno {
            libc::EINTR => continue,
            libc::EAGAIN if eagain_left > 0 => {
                eagain_left -= 1;
                continue;
            }
            _ => return Err(Error { cmd, errno }),
        }
    }
}

/// [`bpf`] for commands that return a new file descriptor.
///
/// # Safety
///
/// As for [`bpf`]; in addition `cmd` must be a command whose non-negative return value is a
/// newly created file descriptor (`BPF_MAP_CREATE`, `BPF_PROG_LOAD`, `BPF_OBJ_GET`,
/// `BPF_*_GET_FD_BY_ID`, `BPF_BTF_LOAD`, `BPF_LINK_CREATE`).
pub(crate) unsafe fn bpf_fd<A: Attr>(cmd: Cmd, attr: &mut A) -> Result<OwnedFd> {
    // SAFETY: forwarded contract of this function.
    let ret = unsafe { bpf(cmd, attr) }?;
    let Ok(fd) = RawFd::try_from(ret) else {
        return Err(Error {
            cmd,
            errno: libc::EBADF,
        });
    };
    // SAFETY: by this function's contract `cmd` returns a fresh fd that nothing else owns.
    Ok(unsafe { owned_fd(fd) })
}

/// Take ownership of a file descriptor bpf(2) just returned.
///
/// # Safety
///
/// `fd` must be an open file descriptor that nothing else owns or will close: the number a
/// fd-creating bpf command returned, not yet wrapped elsewhere.
pub(crate) unsafe fn owned_fd(fd: RawFd) -> OwnedFd {
    // SAFETY: `fd` is open and unowned per this function's contract.
    unsafe { OwnedFd::from_raw_fd(fd) }
}
