//! The target cgroup: an fd on a cgroup v2 directory, its inode (the attach records' key)
//! and its path (for messages and for walking up to the parents).

use std::fs::OpenOptions;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// `CGROUP2_SUPER_MAGIC` from `include/uapi/linux/magic.h`.
pub const CGROUP2_SUPER_MAGIC: u32 = 0x6367_7270;

/// Default `--cgroup`.
pub const DEFAULT_CGROUP: &str = "/sys/fs/cgroup/unified";

/// An open cgroup v2 directory.
#[derive(Debug)]
pub struct Cgroup {
    pub path: PathBuf,
    pub inode: u64,
    fd: OwnedFd,
}

impl Cgroup {
    /// Opens `path` (`O_RDONLY | O_DIRECTORY`) and checks it is on cgroup v2.
    pub fn open(path: &Path) -> Result<Cgroup> {
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY)
            .open(path)
            .map_err(|source| Error::OpenCgroup {
                path: path.to_path_buf(),
                source,
            })?;
        let st = nix::sys::statfs::fstatfs(&file).map_err(|e| Error::OpenCgroup {
            path: path.to_path_buf(),
            source: e.into(),
        })?;
        // f_type is a `long`; the magic numbers are 32-bit values.
        let magic = st.filesystem_type().0 as u32;
        if magic != CGROUP2_SUPER_MAGIC {
            return Err(Error::NotCgroup2 {
                path: path.to_path_buf(),
                magic: u64::from(magic),
            });
        }
        let inode = file
            .metadata()
            .map_err(|source| Error::OpenCgroup {
                path: path.to_path_buf(),
                source,
            })?
            .ino();
        Ok(Cgroup {
            path: path.to_path_buf(),
            inode,
            fd: file.into(),
        })
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The parent cgroups, nearest first, as long as they are cgroup v2 directories.
    pub fn parents(&self) -> Vec<Cgroup> {
        let mut out = Vec::new();
        let mut cur = std::fs::canonicalize(&self.path).unwrap_or_else(|_| self.path.clone());
        while cur.pop() {
            match Cgroup::open(&cur) {
                Ok(cg) => out.push(cg),
                Err(_) => break,
            }
        }
        out
    }
}
