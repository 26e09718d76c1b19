//! Whether a directory on bpffs can be trusted with rawbpf's pins and attach records.
//!
//! bpffs mounts its root with mode 1777, so any local user can create the pin root before
//! rawbpf does, and whoever can write a directory can remove a pin in it or plant one (a
//! symlink to another deployment's map, a record naming another tool's program). rawbpf
//! therefore uses a pin root only when it is a real directory (not a symlink), owned by root
//! or by this process's user, and not writable by group or others. An existing ancestor on
//! bpffs must not be a symlink and must be owned the same way; it may be writable by others
//! only when sticky (bpffs's own root), where they cannot remove what rawbpf made.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::error::{Error, Result, io_err};

/// The sticky bit: in such a directory only an entry's owner can remove or rename it.
const STICKY: u32 = 0o1000;

/// Why a directory with metadata `meta` must not hold rawbpf's pins, if it must not.
/// `ancestor` relaxes the mode rule to "not writable by others unless sticky".
pub fn problem(meta: &std::fs::Metadata, euid: u32, ancestor: bool) -> Option<String> {
    let mode = meta.mode() & 0o7777;
    let uid = meta.uid();
    if meta.file_type().is_symlink() {
        Some("it is a symbolic link".to_string())
    } else if !meta.is_dir() {
        Some("it is not a directory".to_string())
    } else if uid != 0 && uid != euid {
        Some(format!(
            "it belongs to uid {uid}, not to root or to this user (uid {euid}), mode {mode:04o}"
        ))
    } else if ancestor && mode & 0o002 != 0 && mode & STICKY == 0 {
        Some(format!(
            "its mode {mode:04o} lets any user rename what is in it"
        ))
    } else if !ancestor && mode & 0o022 != 0 {
        Some(format!(
            "its mode {mode:04o} lets other users create and remove pins in it"
        ))
    } else {
        None
    }
}

/// The effective uid of this process.
fn euid() -> u32 {
    nix::unistd::geteuid().as_raw()
}

/// Checks `pin_root` (when it exists) and its existing ancestors on bpffs (`on_bpffs`
/// tells which are); see the module documentation.
pub fn check(pin_root: &Path, on_bpffs: impl Fn(&Path) -> bool) -> Result<()> {
    let euid = euid();
    for (i, dir) in pin_root.ancestors().enumerate() {
        let meta = match std::fs::symlink_metadata(dir) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_err("stat", dir)(e)),
        };
        if i > 0 && !on_bpffs(dir) {
            break;
        }
        if let Some(reason) = problem(&meta, euid, i > 0) {
            return Err(untrusted(pin_root, dir, reason));
        }
    }
    Ok(())
}

/// Checks the open pin root itself (`meta` from its fd, so a swap after [`check`] shows).
pub fn check_open(pin_root: &Path, meta: &std::fs::Metadata) -> Result<()> {
    match problem(meta, euid(), false) {
        Some(reason) => Err(untrusted(pin_root, pin_root, reason)),
        None => Ok(()),
    }
}

fn untrusted(pin_root: &Path, dir: &Path, reason: String) -> Error {
    Error::PinRootUntrusted {
        pin_root: pin_root.to_path_buf(),
        dir: dir.to_path_buf(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn meta_with(mode: u32) -> (tempfile::TempDir, std::fs::Metadata) {
        let d = tempfile::tempdir().unwrap();
        std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        let m = std::fs::symlink_metadata(d.path()).unwrap();
        (d, m)
    }

    #[test]
    fn modes_owners_and_symlinks() {
        let me = euid();
        let (_d, m) = meta_with(0o700);
        assert_eq!(problem(&m, me, false), None);
        let (_d, m) = meta_with(0o755);
        assert_eq!(problem(&m, me, false), None);
        let (_d, m) = meta_with(0o777);
        assert!(problem(&m, me, false).unwrap().contains("0777"));
        let (_d, m) = meta_with(0o1777);
        assert!(
            problem(&m, me, false).is_some(),
            "sticky is not enough for the pin root"
        );
        assert_eq!(problem(&m, me, true), None, "a sticky ancestor is fine");
        let (_d, m) = meta_with(0o757);
        assert!(problem(&m, me, true).is_some());
        // Owned by this user but checked for another: trusted only when this user is root.
        let (_d, m) = meta_with(0o700);
        assert_eq!(problem(&m, me + 1, false).is_none(), me == 0);
        let d = tempfile::tempdir().unwrap();
        let link = d.path().join("link");
        std::os::unix::fs::symlink(d.path(), &link).unwrap();
        let m = std::fs::symlink_metadata(&link).unwrap();
        assert!(problem(&m, me, false).unwrap().contains("symbolic link"));
    }
}
