//! The pin root a read-only command looks at when it was not told one: the default, unless
//! rawbpf's records of the cgroup live under another pin root the index names
//! (`attach::index`), which is where a `load --pin-root DIR` left them.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::attach::{index, records};
use crate::cmd::load::DEFAULT_PIN_ROOT;

/// `given`, unless it is the default and holds no record of `cgroup` while the index names
/// a pin root that exists for it: then the first such pin root.
pub fn for_cgroup(cgroup: &Path, given: &Path) -> PathBuf {
    if given != Path::new(DEFAULT_PIN_ROOT) {
        return given.to_path_buf();
    }
    let Ok(inode) = std::fs::metadata(cgroup).map(|m| m.ino()) else {
        return given.to_path_buf();
    };
    let here = records::list(given, inode).is_ok_and(|r| !r.is_empty());
    if here {
        return given.to_path_buf();
    }
    index::pin_roots(inode)
        .into_iter()
        .find(|root| root.is_dir() && records::list(root, inode).is_ok_and(|r| !r.is_empty()))
        .unwrap_or_else(|| given.to_path_buf())
}
