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
    ProgTestRun = 10,
    ProgGetNextId = 11,
    MapGetNextId = 12,
    ProgGetFdById = 13,
    MapGetFdById = 14,
    ObjGetInfoByFd = 15,
    ProgQuery = 16,
    RawTracepointOpen = 17,
    BtfLoad = 18,
    BtfGetFdById = 19,
    BtfGetNextId = 23,
    MapFreeze = 22,
    LinkCreate = 28,
    LinkUpdate = 29,
    LinkGetFdById = 30,
    LinkGetNextId = 31,
    LinkDetach = 34,
}

impl Cmd {
    /// The kernel's name, e.g. `BPF_MAP_CREATE`.
    pub fn name(self) -> &'static str {
        match self {
            Cmd::MapCreate => "BPF_MAP_CREATE",
            Cmd::MapLookupElem => "BPF_MAP_LOOKUP_ELEM",
            Cmd::MapUpdateElem => "BPF_MAP_UPDATE_ELEM",
            Cmd::MapDeleteElem => "BPF_MAP_DELETE_ELEM",
            Cmd::MapGetNextKey => "BPF_MAP_GET_NEXT_KEY",
            Cmd::ProgLoad => "BPF_PROG_LOAD",
            Cmd::ObjPin => "BPF_OBJ_PIN",
            Cmd::ObjGet => "BPF_OBJ_GET",
            Cmd::ProgAttach => "BPF_PROG_ATTACH",
            Cmd::ProgDetach => "BPF_PROG_DETACH",
            Cmd::ProgTestRun => "BPF_PROG_TEST_RUN",
            Cmd::ProgGetNextId => "BPF_PROG_GET_NEXT_ID",
            Cmd::MapGetNextId => "BPF_MAP_GET_NEXT_ID",
            Cmd::ProgGetFdById => "BPF_PROG_GET_FD_BY_ID",
            Cmd::MapGetFdById => "BPF_MAP_GET_FD_BY_ID",
            Cmd::ObjGetInfoByFd => "BPF_OBJ_GET_INFO_BY_FD",
            Cmd::ProgQuery => "BPF_PROG_QUERY",
            Cmd::BtfLoad => "BPF_BTF_LOAD",
            Cmd::BtfGetFdById => "BPF_BTF_GET_FD_BY_ID",
            Cmd::BtfGetNextId => "BPF_BTF_GET_NEXT_ID",
            Cmd::MapFreeze => "BPF_MAP_FREEZE",
            Cmd::LinkCreate => "BPF_LINK_CREATE",
            Cmd::LinkUpdate => "BPF_LINK_UPDATE",
            Cmd::LinkGetFdById => "BPF_LINK_GET_FD_BY_ID",
            Cmd::LinkGetNextId => "BPF_LINK_GET_NEXT_ID",
            Cmd::LinkDetach => "BPF_LINK_DETACH",
            Cmd::RawTracepointOpen => "BPF_RAW_TRACEPOINT_OPEN",
        }
    }
}

/// A failed `bpf(2)` command. Displays as `BPF_MAP_CREATE: operation not permitted (errno 1)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {} (errno {})", .cmd.name(), errno_words(*.errno), .errno)]
pub struct Error {
    pub cmd: Cmd,
    /// The raw errno (e.g. `libc::EPERM`).
    pub errno: i32,
}

impl Error {
    /// ENOENT: no such key, id or pin (the "absent" answer several commands give).
    pub fn is_enoent(&self) -> bool {
        self.errno == libc::ENOENT
    }
}

/// errno in words, including the kernel-internal ones bpf(2) leaks (524 = ENOTSUPP):
/// `"operation not permitted"`, `"operation not supported (kernel ENOTSUPP 524)"`.
pub fn errno_text(errno: &i32) -> String {
    match kernel_internal(*errno) {
        Some((name, words)) => format!("{words} (kernel {name} {errno})"),
        None => libc_words(*errno),
    }
}

/// The words of [`Error`]'s Display: like [`errno_text`], but the number is left to the
/// `(errno N)` suffix.
fn errno_words(errno: i32) -> String {
    match kernel_internal(errno) {
        Some((name, words)) => format!("{words} (kernel {name})"),
        None => libc_words(errno),
    }
}

/// strerror text, lower-cased first letter, without std's `" (os error N)"` suffix.
fn libc_words(errno: i32) -> String {
    let full = std::io::Error::from_raw_os_error(errno).to_string();
    let text = match full.rfind(" (os error ") {
        Some(i) => &full[..i],
        None => full.as_str(),
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => format!("errno {errno}"),
    }
}

/// Kernel-internal errnos (`include/linux/errno.h`, 512..=531) that user space has no
/// names for but bpf(2) can return (mostly 524 `ENOTSUPP` from the verifier and JIT).
fn kernel_internal(errno: i32) -> Option<(&'static str, &'static str)> {
    Some(match errno {
        512 => ("ERESTARTSYS", "interrupted system call should be restarted"),
        513 => (
            "ERESTARTNOINTR",
            "interrupted system call should be restarted",
        ),
        514 => ("ERESTARTNOHAND", "restart if no handler"),
        515 => ("ENOIOCTLCMD", "no ioctl command"),
        516 => (
            "ERESTART_RESTARTBLOCK",
            "restart by calling sys_restart_syscall",
        ),
        517 => ("EPROBE_DEFER", "driver requests probe retry"),
        518 => ("EOPENSTALE", "open found a stale dentry"),
        519 => ("ENOPARAM", "parameter not supported"),
        521 => ("EBADHANDLE", "illegal NFS file handle"),
        522 => ("ENOTSYNC", "update synchronization mismatch"),
        523 => ("EBADCOOKIE", "cookie is stale"),
        524 => ("ENOTSUPP", "operation not supported"),
        525 => ("ETOOSMALL", "buffer or request is too small"),
        526 => ("ESERVERFAULT", "an untranslatable error occurred"),
        527 => ("EBADTYPE", "type not supported by server"),
        528 => (
            "EJUKEBOX",
            "request initiated, but will not complete before timeout",
        ),
        529 => ("EIOCBQUEUED", "iocb queued, will get completion event"),
        530 => ("ERECALLCONFLICT", "conflict with recalled state"),
        531 => ("ENOGRACE", "NFS file lock reclaim refused"),
        _ => return None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn display_names_command_text_and_errno() {
        let e = Error {
            cmd: Cmd::MapCreate,
            errno: libc::EPERM,
        };
        assert_eq!(
            e.to_string(),
            "BPF_MAP_CREATE: operation not permitted (errno 1)"
        );
        let e = Error {
            cmd: Cmd::ProgLoad,
            errno: 524,
        };
        assert_eq!(
            e.to_string(),
            "BPF_PROG_LOAD: operation not supported (kernel ENOTSUPP) (errno 524)"
        );
    }

    #[test]
    fn errno_text_words() {
        assert_eq!(errno_text(&libc::ENOENT), "no such file or directory");
        assert_eq!(
            errno_text(&524),
            "operation not supported (kernel ENOTSUPP 524)"
        );
        assert!(!errno_text(&4000).is_empty());
    }

    #[test]
    fn cmd_values_and_names() {
        assert_eq!(Cmd::BtfLoad as u32, 18);
        assert_eq!(Cmd::MapFreeze as u32, 22);
        assert_eq!(Cmd::LinkGetNextId as u32, 31);
        assert_eq!(
            (
                Cmd::LinkCreate as u32,
                Cmd::LinkUpdate as u32,
                Cmd::LinkDetach as u32
            ),
            (28, 29, 34)
        );
        assert_eq!(Cmd::ObjGetInfoByFd.name(), "BPF_OBJ_GET_INFO_BY_FD");
    }
}
