//! Where rawbpf's attach records for a cgroup are, findable without being told the pin
//! root: after a load attaches to a cgroup, an empty directory
//! `/sys/fs/bpf/rawbpf-index/<cgroup inode>-<pin root, escaped>` names the pin root that
//! holds the records (bpffs keeps no regular files). `detach` with the default pin root
//! looks here when it finds nothing there. An entry is only a pointer: the pin root it
//! names is checked (trust, records for that cgroup) like one given on the command line.

use std::path::{Path, PathBuf};

use crate::attach::records::{escape, unescape};
use crate::host::pin_root::{DEFAULT_BPFFS, MAX_NAME_LEN};

/// The index directory.
pub fn dir() -> PathBuf {
    Path::new(DEFAULT_BPFFS).join("rawbpf-index")
}

/// The entry saying that `pin_root` holds records of the cgroup with inode `cgroup_inode`;
/// `None` for a relative pin root or one whose escaped path does not fit a file name.
pub fn entry(cgroup_inode: u64, pin_root: &Path) -> Option<PathBuf> {
    let root = pin_root.to_str().filter(|p| p.starts_with('/'))?;
    let name = format!("{cgroup_inode}-{}", escape(root));
    (name.len() <= MAX_NAME_LEN).then(|| dir().join(name))
}

/// The pin roots the index names for the cgroup with inode `cgroup_inode`, sorted.
pub fn pin_roots(cgroup_inode: u64) -> Vec<PathBuf> {
    all()
        .into_iter()
        .filter_map(|(inode, root)| (inode == cgroup_inode).then_some(root))
        .collect()
}

/// Every entry of the index: the cgroup inode and the pin root it names, sorted.
pub fn all() -> Vec<(u64, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir()) else {
        return Vec::new();
    };
    let mut out: Vec<(u64, PathBuf)> = entries
        .flatten()
        .filter_map(|e| parse(e.file_name().to_str()?))
        .collect();
    out.sort();
    out
}

/// `<cgroup inode>-<pin root, escaped>` back to its parts; `None` for any other name or a
/// relative pin root.
fn parse(name: &str) -> Option<(u64, PathBuf)> {
    let (inode, root) = name.split_once('-')?;
    let root = unescape(root);
    root.starts_with('/')
        .then(|| Some((inode.parse().ok()?, PathBuf::from(root))))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_name_their_pin_root() {
        let e = entry(42, Path::new("/sys/fs/bpf/my.app")).unwrap();
        assert_eq!(e, dir().join("42-%2Fsys%2Ffs%2Fbpf%2Fmy%2Eapp"));
        assert_eq!(
            parse("42-%2Fsys%2Ffs%2Fbpf%2Fmy%2Eapp"),
            Some((42, PathBuf::from("/sys/fs/bpf/my.app")))
        );
        assert_eq!(parse("42-relative"), None);
        assert_eq!(parse("x-%2Fa"), None);
        assert_eq!(entry(42, Path::new("relative")), None);
        let long = format!("/{}", "x".repeat(300));
        assert_eq!(entry(42, Path::new(&long)), None);
    }
}
