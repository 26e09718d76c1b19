//! The target cgroup: an fd on a cgroup v2 directory, its inode (the attach records' key)
//! and its path (for messages and for walking up to the parents).

use std::fs::OpenOptions;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// `CGROUP2_SUPER_MAGIC` from `include/uapi/linux/magic.h`.
pub const CGROUP2_SUPER_MAGIC: u32 = 0x6367_7270;

/// Where the mount table is read from to find the cgroup v2 hierarchy.
pub const MOUNTS: &str = "/proc/self/mounts";

/// The cgroup v2 root used when none is given: the cgroup2 mount of this host, found in
/// `/proc/self/mounts` (`/sys/fs/cgroup` on v2-only hosts, `/sys/fs/cgroup/unified` on hybrid ones).
///
/// Hosts differ (Debian 11+, Ubuntu 21.10+, RHEL 9 mount only v2 at `/sys/fs/cgroup`; older
/// systemd setups the hybrid layout), so the path is detected rather than assumed.
pub fn default_root() -> Result<PathBuf> {
    let table = std::fs::read_to_string(MOUNTS).map_err(|source| Error::Io {
        what: "read the mount table",
        path: PathBuf::from(MOUNTS),
        source,
    })?;
    cgroup2_mount(&table).ok_or_else(|| Error::NoCgroup2Mount {
        mounts: PathBuf::from(MOUNTS),
    })
}

/// The cgroup2 mount point in a `/proc/self/mounts` table: `/sys/fs/cgroup` or
/// `/sys/fs/cgroup/unified` when mounted, else the first cgroup2 mount listed.
pub fn cgroup2_mount(table: &str) -> Option<PathBuf> {
    let mounts: Vec<PathBuf> = table
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_ascii_whitespace();
            let (_, dir, fstype) = (fields.next()?, fields.next()?, fields.next()?);
            (fstype == "cgroup2").then(|| PathBuf::from(unescape_mount_path(dir)))
        })
        .collect();
    ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]
        .iter()
        .find_map(|well_known| mounts.iter().find(|m| m.as_path() == Path::new(well_known)))
        .or_else(|| mounts.first())
        .cloned()
}

/// Undoes the kernel's octal escapes in mount paths (`\040` for a space, `\011`, `\012`,
/// `\134`); anything that is not a three-digit octal escape stays as it is.
fn unescape_mount_path(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)))
            .and_then(|d| u8::from_str_radix(std::str::from_utf8(d).ok()?, 8).ok());
        match octal {
            Some(byte) => {
                out.push(byte);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// [`default_root`], or `/sys/fs/cgroup` where no cgroup2 mount is listed (opening it then
/// fails with the reason): what the library's option structs start from.
pub fn default_root_or_standard() -> PathBuf {
    default_root().unwrap_or_else(|_| PathBuf::from("/sys/fs/cgroup"))
}

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

/// The inode of every cgroup directory of the hierarchy mounted at `root` (the attach
/// records' keys), walked without following symlinks; `None` when it cannot be read whole
/// (then nothing is called stale).
pub fn live_inodes(root: &Path) -> Option<std::collections::HashSet<u64>> {
    let mut live = std::collections::HashSet::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let meta = std::fs::symlink_metadata(&dir).ok()?;
        live.insert(meta.ino());
        for entry in std::fs::read_dir(&dir).ok()? {
            let entry = entry.ok()?;
            if entry.file_type().ok()?.is_dir() {
                todo.push(entry.path());
            }
        }
    }
    Some(live)
}

/// Every directory of the cgroup hierarchy under `root` (`root` first), each with its
/// inode, depth first and sorted by name on each level; symlinks are not followed and a
/// directory that cannot be read (gone meanwhile, no permission) is listed without children.
pub fn walk(root: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&dir) else {
            continue;
        };
        out.push((dir.clone(), meta.ino()));
        let mut children: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.flatten()
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    .map(|e| e.path())
                    .collect()
            })
            .unwrap_or_default();
        children.sort();
        todo.extend(children.into_iter().rev());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "\
sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
tmpfs /sys/fs/cgroup tmpfs ro,nosuid,nodev,noexec,mode=755 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0
cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct 0 0
";
    const UNIFIED: &str = "\
cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0
bpf /sys/fs/bpf bpf rw,nosuid,nodev,noexec,relatime,mode=700 0 0
";

    #[test]
    fn hybrid_hosts_use_the_unified_mount() {
        assert_eq!(
            cgroup2_mount(HYBRID),
            Some(PathBuf::from("/sys/fs/cgroup/unified"))
        );
    }

    #[test]
    fn v2_only_hosts_use_sys_fs_cgroup() {
        assert_eq!(
            cgroup2_mount(UNIFIED),
            Some(PathBuf::from("/sys/fs/cgroup"))
        );
    }

    #[test]
    fn the_well_known_path_wins_over_an_earlier_mount() {
        let table = format!("cgroup2 /run/other cgroup2 rw 0 0\n{UNIFIED}");
        assert_eq!(cgroup2_mount(&table), Some(PathBuf::from("/sys/fs/cgroup")));
        let only_other = "cgroup2 /mnt/cg\\040two cgroup2 rw 0 0\n";
        assert_eq!(
            cgroup2_mount(only_other),
            Some(PathBuf::from("/mnt/cg two"))
        );
    }

    #[test]
    fn no_cgroup2_mount_is_none() {
        assert_eq!(
            cgroup2_mount("cgroup /sys/fs/cgroup/cpu cgroup rw 0 0\n"),
            None
        );
        assert_eq!(cgroup2_mount("cgroup2 truncated"), None);
        assert_eq!(unescape_mount_path("a\\04"), "a\\04");
        assert_eq!(unescape_mount_path("a\\999b"), "a\\999b");
    }
}
