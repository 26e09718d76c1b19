//! Link pins of attach records: a program rawbpf attached through a bpf_link — to a cgroup
//! (`--attach-mode multi`, the default), or to a socket map where the kernel has sockmap
//! links (6.10+) — has, beside its program record (`attached-progs/<cgroup inode>-<attach
//! type>-<name>`, [`crate::attach::records`], or `attached-progs/map<id>-…`,
//! [`crate::attach::map_records`]), the link pinned at `<record>%link` or, when the load was
//! given `--owner TOKEN`, `<record>%link-<TOKEN>`.
//!
//! The link is the attachment: only its pin (or an fd of it) detaches it, `bpftool cgroup
//! detach` cannot, and `BPF_LINK_UPDATE` swaps its program atomically. The program record
//! stays what it was (the program, pinned): the unchanged-reload check, `map-ids` and
//! `status` read the program through it without CAP_SYS_ADMIN, and a record written by an
//! earlier rawbpf (a program attached with `BPF_PROG_ATTACH`, no link pin) is recognised
//! by the missing link pin. A link pin is trusted only when it is a bpffs file (not a
//! symlink) holding a cgroup link of this cgroup and attach type that runs the recorded
//! program (or, during a reload, the program that replaces it).
//!
//! The owner in the link pin's name is how an overlapping upgrade stays safe: the new
//! pod's load takes the link over (renames its pin to its own token), and the old pod's
//! `detach --owner OLD` then leaves it alone (`docs/deployment.md`). A `%` in a record name
//! is always followed by `25`, `2E` or `2F` (escaped program names), so `%link` cannot be
//! part of a record's own name.

use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use rawbpf_syscalls as sys;

use crate::error::{Error, Result, bpf_err, io_err};
use crate::host::pin_root;

/// Marker between a record's name and its link pin's suffix.
pub const LINK: &str = "%link";

/// Longest `--owner` token (a Kubernetes pod UID is 36 bytes).
const MAX_OWNER_LEN: usize = 64;

/// Checks an owner token: 1..=64 bytes of `[A-Za-z0-9_-]`, or empty (no owner).
pub fn validate_owner(owner: &str) -> Result<()> {
    let ok = owner.len() <= MAX_OWNER_LEN
        && owner
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::BadArgument {
            what: format!(
                "--owner {owner:?}: an owner token is at most {MAX_OWNER_LEN} letters, digits, \
                 '_' and '-' (a pod UID fits)"
            ),
        })
    }
}

/// The link pin of the record at `record` for `owner` (empty: none).
pub fn path(record: &Path, owner: &str) -> PathBuf {
    let name = record
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let suffix = if owner.is_empty() {
        LINK.to_string()
    } else {
        format!("{LINK}-{owner}")
    };
    record.with_file_name(format!("{name}{suffix}"))
}

/// The owner a link pin's file name says for the record named `record` (`Some("")`: no
/// owner); `None` when the name is not a link pin of that record.
pub fn owner_of(record: &str, name: &str) -> Option<String> {
    let rest = name.strip_prefix(record)?.strip_prefix(LINK)?;
    if rest.is_empty() {
        return Some(String::new());
    }
    let owner = rest.strip_prefix('-')?;
    validate_owner(owner).ok()?;
    (!owner.is_empty()).then(|| owner.to_string())
}

/// Whether a file name in the record directory is a link pin (of any record).
pub fn is_link_pin(name: &str) -> bool {
    name.contains(LINK)
}

/// A link pin found beside a record.
#[derive(Debug)]
pub struct LinkPin {
    pub path: PathBuf,
    /// The record it is pinned beside.
    pub record: PathBuf,
    pub owner: String,
    pub fd: OwnedFd,
    pub info: sys::LinkInfo,
}

/// The link pins beside the record at `record` (normally one), by name.
fn candidates(record: &Path) -> Vec<(PathBuf, String)> {
    let (Some(dir), Some(name)) = (record.parent(), record.file_name()) else {
        return Vec::new();
    };
    let name = name.to_string_lossy();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(PathBuf, String)> = entries
        .flatten()
        .filter_map(|e| {
            let owner = owner_of(&name, &e.file_name().to_string_lossy())?;
            Some((e.path(), owner))
        })
        .collect();
    out.sort();
    out
}

/// Opens the link pin of the cgroup record at `record`, when there is one that can be
/// trusted: a bpffs file (lstat: no symlink), a link (`bpf_link` fd), a cgroup link of the
/// cgroup with inode `cgroup_inode` for `attach_type`. `Ok(None)` when there is none; a pin
/// that is not such a link is left alone and reported as none (it is not rawbpf's).
pub fn open(record: &Path, cgroup_inode: u64, attach_type: u32) -> Result<Option<LinkPin>> {
    let want = sys::LinkTarget::Cgroup {
        cgroup_id: cgroup_inode,
        attach_type,
    };
    open_for(record, want)
}

/// [`open`] for the record of a socket-map attachment (`attach::map_records`): a sockmap
/// link of map `map_id` for `attach_type`.
pub fn open_map(record: &Path, map_id: u32, attach_type: u32) -> Result<Option<LinkPin>> {
    let want = sys::LinkTarget::Sockmap {
        map_id: sys::MapId(map_id),
        attach_type,
    };
    open_for(record, want)
}

/// [`open`] for the record of an interface attachment (`attach::iface_records`): an XDP
/// link of interface `ifindex` (attach type `xdp`), or a tcx link of it for `attach_type`.
pub fn open_iface(record: &Path, ifindex: u32, attach_type: u32) -> Result<Option<LinkPin>> {
    let want = if attach_type == rawbpf_abi::AttachType::XDP.0 {
        sys::LinkTarget::Xdp { ifindex }
    } else {
        sys::LinkTarget::Tcx {
            ifindex,
            attach_type,
        }
    };
    open_for(record, want)
}

/// [`open`] for the record of a raw tracepoint attachment (`attach::tp_records`): a raw
/// tracepoint link (which does not say its tracepoint: the record's name does).
pub fn open_raw_tp(record: &Path) -> Result<Option<LinkPin>> {
    open_for(record, sys::LinkTarget::RawTracepoint)
}

/// The trusted link pin of `record` whose link has target `want`.
fn open_for(record: &Path, want: sys::LinkTarget) -> Result<Option<LinkPin>> {
    for (path, owner) in candidates(record) {
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_file() => {}
            _ => continue,
        }
        let fd = match sys::obj_get(&pin_root::c_path(&path)?) {
            Ok(fd) => fd,
            Err(e) if e.is_enoent() => continue,
            Err(e) => return Err(bpf_err(format!("open link pin {}", path.display()))(e)),
        };
        if sys::obj_info_kind(fd.as_fd()) != sys::ObjKind::Link {
            continue;
        }
        let info = sys::link_info(fd.as_fd())
            .map_err(bpf_err(format!("info of link {}", path.display())))?;
        if info.target == want {
            return Ok(Some(LinkPin {
                path,
                record: record.to_path_buf(),
                owner,
                fd,
                info,
            }));
        }
    }
    Ok(None)
}

/// Pins `link` as the link pin of `record` for `owner`.
pub fn pin(link: &OwnedFd, record: &Path, owner: &str) -> Result<PathBuf> {
    let at = path(record, owner);
    sys::obj_pin(link.as_fd(), &pin_root::c_path(&at)?)
        .map_err(bpf_err(format!("pin link {}", at.display())))?;
    Ok(at)
}

/// Renames a link pin to `owner`'s name (atomic on bpffs); returns the new path.
pub fn take_over(pin: &Path, record: &Path, owner: &str) -> Result<PathBuf> {
    let to = path(record, owner);
    if to != pin {
        std::fs::rename(pin, &to).map_err(io_err("rename link pin to", &to))?;
    }
    Ok(to)
}

/// The link pins in record directory `records` whose record is gone, neither final nor
/// pending (a run died between removing a record's pins): only `detach --unpin` finds them.
pub fn orphans(records: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(records) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let record = &name[..name.find(LINK)?];
            let pending = format!("pending-{record}");
            let gone = !records.join(record).exists() && !records.join(pending).exists();
            gone.then(|| e.path())
        })
        .collect();
    out.sort();
    out
}

/// Every link pin beside the record at `record` (for removal with the record).
pub fn all_of(record: &Path) -> Vec<PathBuf> {
    candidates(record).into_iter().map(|(p, _)| p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_pin_names() {
        let rec = Path::new("/r/attached-progs/12-3-bpf_sockops");
        assert_eq!(
            path(rec, ""),
            PathBuf::from("/r/attached-progs/12-3-bpf_sockops%link")
        );
        assert_eq!(
            path(rec, "pod-1"),
            PathBuf::from("/r/attached-progs/12-3-bpf_sockops%link-pod-1")
        );
        assert_eq!(owner_of("12-3-x", "12-3-x%link"), Some(String::new()));
        assert_eq!(owner_of("12-3-x", "12-3-x%link-abc"), Some("abc".into()));
        assert_eq!(owner_of("12-3-x", "12-3-x%link-"), None);
        assert_eq!(owner_of("12-3-x", "12-3-xy%link"), None);
        assert_eq!(owner_of("12-3-x", "12-3-x"), None);
        assert!(is_link_pin("12-3-x%link-a"));
        assert!(!is_link_pin("12-3-a%2Eb%25link"));
        assert!(validate_owner("").is_ok());
        let dir = std::env::temp_dir().join(format!("rawbpf-links-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for f in [
            "1-3-a",
            "1-3-a%link-x",
            "1-3-b%link",
            "pending-1-3-c",
            "1-3-c%link",
        ] {
            std::fs::write(dir.join(f), b"").unwrap();
        }
        assert_eq!(orphans(&dir), vec![dir.join("1-3-b%link")]);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(validate_owner("0f2c9a1e-7d3b-4c55-9e0a-3b1d2c4e5f60").is_ok());
        for bad in ["a/b", "a.b", "a b", &"x".repeat(65)] {
            assert!(validate_owner(bad).is_err(), "{bad}");
        }
    }
}
