//! The pin root: a directory on a BPF filesystem where pinned maps and attach records live.
//!
//! A path is "on bpffs" when `statfs` of it (or, while it does not exist yet, of its nearest
//! existing ancestor) reports `BPF_FS_MAGIC`. The directory itself is created only when
//! something is about to be pinned.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use nix::sys::statfs::statfs;

use crate::error::{Error, Result, io_err};
use crate::host::trust;

/// `BPF_FS_MAGIC` from `include/uapi/linux/magic.h`.
pub const BPF_FS_MAGIC: u32 = 0xcafe_4a11;

/// Where `--mount-bpffs` mounts a BPF filesystem.
pub const DEFAULT_BPFFS: &str = "/sys/fs/bpf";

/// Name of the directory under the pin root that holds attach records. bpffs refuses names
/// with a `.`; the `-` keeps it apart from map pins (map names are C identifiers).
pub const ATTACHED_DIR: &str = "attached-progs";

/// `statfs` magic of `path`, or `None` when the path does not exist.
fn fs_magic(path: &Path) -> Result<Option<u32>> {
    match statfs(path) {
        // f_type is a `long`; the magic numbers are 32-bit values.
        Ok(st) => Ok(Some(st.filesystem_type().0 as u32)),
        Err(nix::errno::Errno::ENOENT) => Ok(None),
        Err(nix::errno::Errno::EPERM) if path.to_string_lossy().contains('.') => Err(Error::Io {
            what: "statfs (bpffs refuses file names containing '.')",
            path: path.to_path_buf(),
            source: nix::errno::Errno::EPERM.into(),
        }),
        Err(e) => Err(Error::Io {
            what: "statfs",
            path: path.to_path_buf(),
            source: e.into(),
        }),
    }
}

/// The path itself if it exists, else its nearest existing ancestor.
fn nearest_existing(path: &Path) -> Result<(PathBuf, u32)> {
    let mut cur = path.to_path_buf();
    loop {
        if let Some(magic) = fs_magic(&cur)? {
            return Ok((cur, magic));
        }
        if !cur.pop() {
            return Ok((PathBuf::from("/"), fs_magic(Path::new("/"))?.unwrap_or(0)));
        }
    }
}

/// True when `path` (or its nearest existing ancestor) is on a BPF filesystem.
pub fn is_on_bpffs(path: &Path) -> Result<bool> {
    Ok(nearest_existing(path)?.1 == BPF_FS_MAGIC)
}

/// Mounts a BPF filesystem at [`DEFAULT_BPFFS`] unless one is already there.
pub fn mount_bpffs() -> Result<()> {
    let target = Path::new(DEFAULT_BPFFS);
    if fs_magic(target)? == Some(BPF_FS_MAGIC) {
        return Ok(());
    }
    std::fs::create_dir_all(target).map_err(io_err("create", target))?;
    nix::mount::mount(
        Some("bpf"),
        target,
        Some("bpf"),
        nix::mount::MsFlags::empty(),
        None::<&str>,
    )
    .map_err(|source| Error::MountBpffs {
        path: target.to_path_buf(),
        source,
    })
}

/// Checks that `path` is (or would be created) on bpffs, and that what exists of it can be
/// trusted with pins (`host::trust`); errors say how to fix it.
pub fn check(path: &Path) -> Result<()> {
    let (on, magic) = nearest_existing(path)?;
    if magic != BPF_FS_MAGIC {
        return Err(Error::BpffsNotMounted {
            path: path.to_path_buf(),
            on,
        });
    }
    trust::check(path, |dir| {
        fs_magic(dir).ok().flatten() == Some(BPF_FS_MAGIC)
    })
}

/// Creates `path` (and parents) if missing, mode 0700 whatever the umask; it must end up on
/// bpffs. Without write access (not root) this is a privilege error (exit 4).
pub fn ensure_dir(path: &Path) -> Result<()> {
    check(path)?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|source| {
            if matches!(source.raw_os_error(), Some(libc::EACCES | libc::EPERM)) {
                Error::NoPermission {
                    what: "create directory",
                    path: path.to_path_buf(),
                    source,
                }
            } else {
                io_err("create directory", path)(source)
            }
        })
}

/// The longest name accepted for a map or program (a bpffs file name is at most 255 bytes).
pub const MAX_NAME_LEN: usize = 255;

/// Why `name` cannot name something under the pin root, if it cannot: empty, `.`, `..`,
/// a `/` or a NUL (it would leave or break the path), or longer than [`MAX_NAME_LEN`].
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("empty name")
    } else if name == "." || name == ".." {
        Some("`.` and `..` are not file names (the name would leave the pin root)")
    } else if name.contains('/') {
        Some("contains '/' (the name would leave the pin root)")
    } else if name.contains('\0') {
        Some("contains NUL")
    } else if name.len() > MAX_NAME_LEN {
        Some("longer than 255 bytes")
    } else {
        None
    }
}

/// Validates a map name used as a file name under the pin root (bpffs also refuses `.`).
pub fn validate_pin_name(map: &str) -> Result<()> {
    let reason = name_problem(map).or_else(|| {
        map.contains('.')
            .then_some("contains '.', which bpffs refuses in file names")
    });
    match reason {
        Some(r) => Err(Error::InvalidMapName {
            map: map.to_string(),
            reason: r.to_string(),
        }),
        None => Ok(()),
    }
}

/// A path as a C string for `BPF_OBJ_PIN` / `BPF_OBJ_GET`.
pub fn c_path(path: &Path) -> Result<std::ffi::CString> {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| Error::Io {
        what: "path contains NUL",
        path: path.to_path_buf(),
        source: std::io::Error::from(std::io::ErrorKind::InvalidInput),
    })
}

/// Removes a directory if it is empty; other outcomes (not empty, missing) are fine.
pub fn remove_dir_if_empty(path: &Path) -> bool {
    std::fs::remove_dir(path).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_names() {
        assert!(validate_pin_name("sock_ops_map").is_ok());
        for bad in ["", ".", "..", "a/b", "a\0b", "a.b"] {
            assert!(validate_pin_name(bad).is_err(), "{bad:?}");
        }
        assert!(validate_pin_name(&"x".repeat(256)).is_err());
        assert!(validate_pin_name(&"x".repeat(255)).is_ok());
    }

    #[test]
    fn tmp_is_not_bpffs() {
        assert!(!is_on_bpffs(Path::new("/tmp/does/not/exist")).unwrap());
        assert!(check(Path::new("/tmp/x")).is_err());
    }
}
