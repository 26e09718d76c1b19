//! The one error type of `syscalls`: which command failed, with which errno.

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `enum bpf_cmd` values rawbpf issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Cmd {
    MapCreate = 0,
    MapLookupElem = 1,
    MapUpdateElem = 2,
    MapDeleteElem = 3,
    MapGetNextKey = 4,
    ProgLoad = 5,
    ObjPin = 6,
    ObjGet = 7,
    ProgAttach = 8,
    ProgDetach = 9,
    ProgGetNextId = 11,
    MapGetNextId = 12,
    ProgGetFdById = 13,
    MapGetFdById = 14,
    ObjGetInfoByFd = 15,
    ProgQuery = 16,
    BtfLoad = 18,
    BtfGetFdById = 19,
    BtfGetNextId = 23,
    MapFreeze = 22,
    LinkGetFdById = 30,
    LinkGetNextId = 31,
}

impl Cmd {
    /// The kernel's name, e.g. `BPF_MAP_CREATE`.
    pub fn name(self) -> &'static str {
        todo!("syscalls helper")
    }
}

/// A failed `bpf(2)` command.
#[derive(Debug, thiserror::Error)]
#[error("{}: {}", .cmd.name(), errno_text(.errno))]
pub struct Error {
    pub cmd: Cmd,
    /// The raw errno (e.g. `libc::EPERM`).
    pub errno: i32,
}

impl Error {
    pub fn is_enoent(&self) -> bool {
        self.errno == libc::ENOENT
    }
}

/// errno in words, including the kernel-internal ones bpf(2) leaks (524 = ENOTSUPP).
pub fn errno_text(errno: &i32) -> String {
    let _ = errno;
    todo!("syscalls helper")
}
