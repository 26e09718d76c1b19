//! Attach records: rawbpf remembers each program it attached to a cgroup by pinning the
//! program at `<pin root>/attached-progs/<cgroup inode>-<attach type>-<program name>`. A
//! reload finds the previous program there; `detach` detaches exactly what is recorded.
//!
//! bpffs refuses every name containing a `.` (EPERM: dots are reserved for the kernel), so
//! the separators are `-`, which also keeps the directory and record names apart from map
//! pins (map names are C identifiers). A `.` or `%` in a program name is written `%2E`/`%25`.
//!
//! A record is written by pinning to `attached-progs/tmp-<pid>-<name>` and renaming over the
//! final name, so a reader sees the old record or the new one, never none.

use std::os::fd::{BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rawbpf_syscalls as sys;

use crate::error::{Result, bpf_err, io_err};
use crate::pin_root::{self, ATTACHED_DIR};

/// The `attached-progs` directory of a pin root.
pub fn dir(pin_root: &Path) -> PathBuf {
    pin_root.join(ATTACHED_DIR)
}

/// The record of `program` attached to the cgroup with inode `cgroup_inode`.
pub fn path(pin_root: &Path, cgroup_inode: u64, attach_type: u32, program: &str) -> PathBuf {
    dir(pin_root).join(format!("{cgroup_inode}-{attach_type}-{}", escape(program)))
}

/// A program name as a bpffs file name: `%` → `%25`, `.` → `%2E`, `/` → `%2F`.
fn escape(name: &str) -> String {
    name.replace('%', "%25")
        .replace('.', "%2E")
        .replace('/', "%2F")
}

fn unescape(name: &str) -> String {
    name.replace("%2F", "/")
        .replace("%2E", ".")
        .replace("%25", "%")
}

/// A record's key, parsed back from its file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub path: PathBuf,
    pub cgroup_inode: u64,
    pub attach_type: u32,
    pub program: String,
}

/// Parses `<inode>-<attach type>-<name>`; `None` for anything else (temp files included).
pub fn parse_name(name: &str) -> Option<(u64, u32, String)> {
    let (inode, rest) = name.split_once('-')?;
    let (at, prog) = rest.split_once('-')?;
    if prog.is_empty() {
        return None;
    }
    Some((inode.parse().ok()?, at.parse().ok()?, unescape(prog)))
}

/// Every record for the cgroup with inode `cgroup_inode`, sorted by name. A missing
/// directory means no records.
pub fn list(pin_root: &Path, cgroup_inode: u64) -> Result<Vec<Record>> {
    let d = dir(pin_root);
    let entries = match std::fs::read_dir(&d) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err("read directory", &d)(e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_err("read directory", &d))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some((inode, attach_type, program)) = parse_name(&name)
            && inode == cgroup_inode
        {
            out.push(Record {
                path: entry.path(),
                cgroup_inode: inode,
                attach_type,
                program,
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Opens the program a record pins; `Ok(None)` when there is no record.
pub fn open(path: &Path) -> Result<Option<OwnedFd>> {
    let c = pin_root::c_path(path)?;
    match sys::obj_get(&c) {
        Ok(fd) => Ok(Some(fd)),
        Err(e) if e.is_enoent() => Ok(None),
        Err(e) => Err(bpf_err(format!("open attach record {}", path.display()))(e)),
    }
}

/// Pins `prog` at `final_path` atomically (temp pin + rename).
pub fn write(prog: BorrowedFd<'_>, final_path: &Path, program: &str) -> Result<()> {
    let d = final_path
        .parent()
        .map_or_else(PathBuf::new, Path::to_path_buf);
    pin_root::ensure_dir(&d)?;
    let tmp = d.join(format!("tmp-{}-{}", std::process::id(), escape(program)));
    // A leftover from a crashed run with the same pid would make the pin fail with EEXIST.
    let _ = std::fs::remove_file(&tmp);
    sys::obj_pin(prog, &pin_root::c_path(&tmp)?)
        .map_err(bpf_err(format!("pin attach record {}", tmp.display())))?;
    if let Err(e) = std::fs::rename(&tmp, final_path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_err("rename attach record to", final_path)(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let p = path(Path::new("/sys/fs/bpf/r"), 1234, 3, "bpf_add_to_sockhash");
        assert_eq!(
            p,
            PathBuf::from("/sys/fs/bpf/r/attached-progs/1234-3-bpf_add_to_sockhash")
        );
        assert_eq!(
            parse_name("1234-3-bpf_add_to_sockhash"),
            Some((1234, 3, "bpf_add_to_sockhash".into()))
        );
        let dotted = path(Path::new("/r"), 1, 2, "a.b%c");
        assert_eq!(dotted, PathBuf::from("/r/attached-progs/1-2-a%2Eb%25c"));
        assert_eq!(parse_name("1-2-a%2Eb%25c"), Some((1, 2, "a.b%c".into())));
        assert_eq!(parse_name("1-2-a-b"), Some((1, 2, "a-b".into())));
        assert_eq!(parse_name("tmp-55-x"), None);
        assert_eq!(parse_name("1-2-"), None);
        assert_eq!(parse_name("x-2-y"), None);
    }
}
