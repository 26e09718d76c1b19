//! Attach records: rawbpf remembers each program it attached to a cgroup by pinning the
//! program at `<pin root>/attached-progs/<cgroup inode>-<attach type>-<program name>`. A
//! reload finds the previous program there; `detach` detaches exactly what is recorded.
//!
//! bpffs refuses every name containing a `.` (EPERM: dots are reserved for the kernel), so
//! the separators are `-`, which also keeps the directory and record names apart from map
//! pins (map names are C identifiers). A `.` or `%` in a program name is written `%2E`/`%25`.
//!
//! Crash safety (`docs/guarantees.md`): a program is pinned as a *pending* record
//! `attached-progs/pending-<cgroup inode>-<attach type>-<name>` before it is attached, and the
//! pending record is renamed over the final one after the attach. So every program rawbpf
//! attached is pinned by a record (final or pending) at every instant, whatever moment the
//! process dies at, and a reader sees the old final record or the new one, never none. The
//! next run (under the pin root lock) finds a crashed run's attached program through the
//! pending record ([`recover`]).

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rawbpf_syscalls as sys;

use crate::attach::apply::{self, Replaced};
use crate::error::{Error, Result, bpf_err, io_err};
use crate::host::cgroup::Cgroup;
use crate::host::pin_root::{self, ATTACHED_DIR};

/// Prefix of a pending record's file name.
pub(crate) const PENDING: &str = "pending-";

/// The `attached-progs` directory of a pin root.
pub fn dir(pin_root: &Path) -> PathBuf {
    pin_root.join(ATTACHED_DIR)
}

/// The record of `program` attached to the cgroup with inode `cgroup_inode`.
pub fn path(pin_root: &Path, cgroup_inode: u64, attach_type: u32, program: &str) -> PathBuf {
    dir(pin_root).join(format!("{cgroup_inode}-{attach_type}-{}", escape(program)))
}

/// The pending record of `program`: pinned before the attach, renamed over [`path`] after.
pub fn pending_path(
    pin_root: &Path,
    cgroup_inode: u64,
    attach_type: u32,
    program: &str,
) -> PathBuf {
    dir(pin_root).join(format!(
        "{PENDING}{cgroup_inode}-{attach_type}-{}",
        escape(program)
    ))
}

/// A program name as a bpffs file name: `%` → `%25`, `.` → `%2E`, `/` → `%2F`.
pub fn escape(name: &str) -> String {
    name.replace('%', "%25")
        .replace('.', "%2E")
        .replace('/', "%2F")
}

pub fn unescape(name: &str) -> String {
    name.replace("%2F", "/")
        .replace("%2E", ".")
        .replace("%25", "%")
}

/// Room a record name needs besides the escaped program name:
/// `pending-<u64 inode>-<u32 attach type>-`, or for the data pins beside a final record
/// (`attach::data_pins`) `<u64 inode>-<u32 attach type>-` and `%<u32 map id>`, the longer.
const RECORD_NAME_OVERHEAD: usize = 20 + 1 + 10 + 1 + 1 + 10;

/// Validates a program name: it becomes part of a record's file name, so it must not be
/// able to leave the directory, and its escaped form must fit in a bpffs file name.
pub fn validate_program_name(program: &str) -> Result<()> {
    let reason = pin_root::name_problem(program).or_else(|| {
        (escape(program).len() + RECORD_NAME_OVERHEAD > pin_root::MAX_NAME_LEN)
            .then_some("too long for an attach record file name (at most ~200 bytes)")
    });
    match reason {
        Some(r) => Err(Error::InvalidProgName {
            program: program.to_string(),
            reason: r.to_string(),
        }),
        None => Ok(()),
    }
}

/// A record's key, parsed back from its file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub path: PathBuf,
    pub cgroup_inode: u64,
    pub attach_type: u32,
    pub program: String,
    /// A pending record (a run died between pinning it and renaming it).
    pub pending: bool,
}

/// Parses `<inode>-<attach type>-<name>`; `None` for anything else (pending and temp
/// records included).
pub fn parse_name(name: &str) -> Option<(u64, u32, String)> {
    if crate::attach::links::is_link_pin(name) {
        return None;
    }
    let (inode, rest) = name.split_once('-')?;
    let (at, prog) = rest.split_once('-')?;
    if prog.is_empty() {
        return None;
    }
    Some((inode.parse().ok()?, at.parse().ok()?, unescape(prog)))
}

/// Parses a final or a pending record name; the flag says which.
fn parse_any(name: &str) -> Option<((u64, u32, String), bool)> {
    match name.strip_prefix(PENDING) {
        Some(rest) => parse_name(rest).map(|k| (k, true)),
        None => parse_name(name).map(|k| (k, false)),
    }
}

/// Every record (final and pending) for the cgroup with inode `cgroup_inode`, sorted by
/// name. A missing directory means no records.
pub fn list(pin_root: &Path, cgroup_inode: u64) -> Result<Vec<Record>> {
    Ok(list_all(pin_root)?
        .into_iter()
        .filter(|r| r.cgroup_inode == cgroup_inode)
        .collect())
}

/// The records of cgroups that no longer exist (their inode is not in `live`, the inodes of
/// every cgroup of the hierarchy): a removed cgroup runs nothing, but its record still
/// pins the program, which only removing the record frees.
pub fn stale(pin_root: &Path, live: &std::collections::HashSet<u64>) -> Result<Vec<Record>> {
    Ok(list_all(pin_root)?
        .into_iter()
        .filter(|r| !live.contains(&r.cgroup_inode))
        .collect())
}

/// Every cgroup record (final and pending) under `pin_root`, sorted by name.
pub fn list_all(pin_root: &Path) -> Result<Vec<Record>> {
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
        if let Some(((inode, attach_type, program), pending)) = parse_any(&name) {
            out.push(Record {
                path: entry.path(),
                cgroup_inode: inode,
                attach_type,
                program,
                pending,
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Opens the program a record pins; `Ok(None)` when there is no record.
///
/// A `stat` comes first: most loads find no record, and saying so costs no bpf(2) call.
/// A record removed between the `stat` and `BPF_OBJ_GET` (ENOENT) is also "no record".
/// Any other `stat` failure is left to `BPF_OBJ_GET` to report.
pub fn open(path: &Path) -> Result<Option<OwnedFd>> {
    let c = pin_root::c_path(path)?;
    if let Err(e) = std::fs::symlink_metadata(path)
        && e.kind() == std::io::ErrorKind::NotFound
    {
        return Ok(None);
    }
    match sys::obj_get(&c) {
        Ok(fd) => Ok(Some(fd)),
        Err(e) if e.is_enoent() => Ok(None),
        Err(e) => Err(bpf_err(format!("open attach record {}", path.display()))(e)),
    }
}

/// Removes a record file; a missing one is fine.
pub fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err("remove attach record", path)(e)),
    }
}

/// Pins `prog` at `path`, replacing a leftover there (a pending record of a dead run).
pub fn pin(prog: BorrowedFd<'_>, path: &Path) -> Result<()> {
    if let Some(d) = path.parent() {
        pin_root::ensure_dir(d)?;
    }
    remove(path)?;
    sys::obj_pin(prog, &pin_root::c_path(path)?)
        .map_err(bpf_err(format!("pin attach record {}", path.display())))
}

/// Renames the pending record over the final one (atomic on bpffs).
pub fn commit(pending: &Path, final_path: &Path) -> Result<()> {
    std::fs::rename(pending, final_path).map_err(io_err("rename attach record to", final_path))
}

/// Finds the program a previous run attached for this (cgroup, attach type, program), with
/// the link that runs it when there is one (`attach::links`), and tidies the records: when a run died after attaching but before renaming its pending
/// record, the pending record's program is the attached one and becomes the final record;
/// a pending record whose program is not attached is stale and removed.
pub fn recover(
    final_path: &Path,
    pending: &Path,
    cgroup: &Cgroup,
    attach_type: u32,
) -> Result<Option<Replaced>> {
    let fin = apply::recorded_if_attached(open(final_path)?, final_path, cgroup, attach_type)?;
    let pend = apply::recorded_if_attached(open(pending)?, final_path, cgroup, attach_type)?;
    match (fin, pend) {
        (None, Some(p)) => {
            commit(pending, final_path)?;
            Ok(Some(p))
        }
        (fin, pend) => {
            // A run that died moving an old program record to a link (the link attached,
            // the old program not yet detached): the old program stays, the link goes.
            if let Some(link) = pend.and_then(|p| p.link) {
                sys::link_detach(link.fd.as_fd())
                    .map_err(bpf_err(format!("detach link {}", link.path.display())))?;
                remove(&link.path)?;
            }
            remove(pending)?;
            Ok(fin)
        }
    }
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
        for bad in ["", ".", "..", "a/b", "../x", "a\0b"] {
            assert!(validate_program_name(bad).is_err(), "{bad:?}");
        }
        assert!(validate_program_name(&"x".repeat(250)).is_err());
        assert!(validate_program_name("bpf_add_to_sockhash").is_ok());
        assert!(validate_program_name("a.b").is_ok());
        assert_eq!(parse_name("pending-1-2-x"), None);
        assert_eq!(parse_any("pending-1-2-x"), Some(((1, 2, "x".into()), true)));
        assert_eq!(parse_any("1-2-x"), Some(((1, 2, "x".into()), false)));
        assert_eq!(
            pending_path(Path::new("/r"), 1, 2, "a.b"),
            PathBuf::from("/r/attached-progs/pending-1-2-a%2Eb")
        );
        assert_eq!(parse_name("1-2-"), None);
        assert_eq!(parse_name("x-2-y"), None);
    }
}
