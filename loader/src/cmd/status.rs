//! `status`: one screen of what rawbpf sees — the bpffs mounts, the pin root, what is
//! attached to the cgroup, and the maps with their IDs and entry counts.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::attach::links;
use crate::cmd::map_show::{MapShowOptions, MapShowScope, ShownMap, maps_and_programs};
use crate::error::Result;
use crate::host::pin_root::{self, ATTACHED_DIR};
use crate::report::AttachedProgram;

/// What `status` looks at.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusOptions {
    /// `None`: the cgroup rawbpf's attach records under the pin root name (found by its
    /// inode), else the host's cgroup2 mount.
    pub cgroup: Option<PathBuf>,
    pub pin_root: PathBuf,
}

/// Result of `status`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StatusReport {
    pub bpffs: BpffsStatus,
    pub pin_root: PinRootStatus,
    pub cgroup: CgroupStatus,
    /// As in `map show`.
    pub maps: Vec<ShownMap>,
    /// What could not be shown and why (as in `map-ids`).
    pub warnings: Vec<String>,
}

/// The BPF filesystems mounted (from `/proc/self/mounts`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BpffsStatus {
    pub mounted: bool,
    pub mounts: Vec<String>,
}

/// The pin root.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PinRootStatus {
    pub path: String,
    pub exists: bool,
    /// Whether it (or, while it does not exist, its nearest existing parent) is on bpffs.
    pub on_bpffs: bool,
    /// Paths of the maps pinned directly under it.
    pub map_pins: Vec<String>,
    /// Number of attach records under `attached-progs/`.
    pub attach_records: usize,
    /// Paths of the attach records of cgroups that no longer exist (`detach --unpin`
    /// removes them; until then they keep their programs alive).
    pub stale_records: Vec<String>,
}

/// The cgroup and the programs attached directly to it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CgroupStatus {
    pub path: String,
    /// The cgroup was not given: it is the one an attach record under the pin root names.
    pub from_record: bool,
    /// As in `map-ids`.
    pub programs: Vec<AttachedProgram>,
}

/// Mount points of type `bpf` in a `/proc/self/mounts` text (octal escapes decoded).
pub fn bpf_mounts(mounts: &str) -> Vec<String> {
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_, target, fstype) = (f.next()?, f.next()?, f.next()?);
            (fstype == "bpf").then(|| unescape_mount(target))
        })
        .collect()
}

/// Decodes the `\040`-style escapes of `/proc/mounts`.
fn unescape_mount(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let code = b
            .get(i + 1..i + 4)
            .filter(|d| b[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)))
            .and_then(|d| u8::from_str_radix(std::str::from_utf8(d).ok()?, 8).ok());
        match code {
            Some(c) => {
                out.push(c);
                i += 4;
            }
            None => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter(|e| !links::is_link_pin(&e.file_name().to_string_lossy()))
                .count()
        })
        .unwrap_or(0)
}

/// The records of cgroups that are gone, when the hierarchy can be read.
fn stale_records(root: &Path) -> Vec<String> {
    let live = crate::host::cgroup::default_root()
        .ok()
        .and_then(|r| crate::host::cgroup::live_inodes(&r));
    let Some(live) = live else {
        return Vec::new();
    };
    crate::attach::records::stale(root, &live)
        .unwrap_or_default()
        .iter()
        .map(|r| r.path.display().to_string())
        .collect()
}

/// The cgroups the attach records under `pin_root` name that still exist (final records
/// first), by path.
fn recorded_cgroups(pin_root: &Path) -> Vec<PathBuf> {
    let mut recs = crate::attach::records::list_all(pin_root).unwrap_or_default();
    if recs.is_empty() {
        return Vec::new();
    }
    recs.sort_by_key(|r| r.pending);
    let Ok(root) = crate::host::cgroup::default_root() else {
        return Vec::new();
    };
    let live = crate::host::cgroup::walk(&root);
    let mut out: Vec<PathBuf> = Vec::new();
    for r in recs {
        if let Some((p, _)) = live.iter().find(|(_, ino)| *ino == r.cgroup_inode)
            && !out.contains(p)
        {
            out.push(p.clone());
        }
    }
    out
}

/// The cgroup to show, whether a record named it, and a warning when records name more.
/// Without records the cgroup2 mount (an error when there is none).
fn which_cgroup(opts: &StatusOptions) -> Result<(PathBuf, bool, Option<String>)> {
    if let Some(c) = &opts.cgroup {
        return Ok((c.clone(), false, None));
    }
    let named = recorded_cgroups(&opts.pin_root);
    Ok(match named.as_slice() {
        [] => (crate::host::cgroup::default_root()?, false, None),
        [one] => (one.clone(), true, None),
        [first, rest @ ..] => {
            let others: Vec<String> = rest.iter().map(|p| p.display().to_string()).collect();
            let warning = format!(
                "the attach records under {} name more cgroups than {}: {} (pass --cgroup)",
                opts.pin_root.display(),
                first.display(),
                others.join(", ")
            );
            (first.clone(), true, Some(warning))
        }
    })
}

/// Collects the status per `opts`.
pub fn status(opts: &StatusOptions) -> Result<StatusReport> {
    let mounts = bpf_mounts(&std::fs::read_to_string("/proc/self/mounts").unwrap_or_default());
    let (cgroup, from_record, more) = which_cgroup(opts)?;
    let root = &crate::cmd::found_pin_root::for_cgroup(&cgroup, &opts.pin_root);
    let (mut maps, programs) = maps_and_programs(&MapShowOptions {
        cgroup: cgroup.clone(),
        pin_root: root.clone(),
        scope: MapShowScope::Cgroup,
    })?;
    maps.warnings.extend(more);
    let mut map_pins: Vec<String> = maps.maps.iter().filter_map(|m| m.pinned.clone()).collect();
    map_pins.sort();
    Ok(StatusReport {
        bpffs: BpffsStatus {
            mounted: !mounts.is_empty(),
            mounts,
        },
        pin_root: PinRootStatus {
            path: root.display().to_string(),
            exists: root.is_dir(),
            on_bpffs: pin_root::is_on_bpffs(root).unwrap_or(false),
            map_pins,
            attach_records: count_files(&root.join(ATTACHED_DIR)),
            stale_records: stale_records(root),
        },
        cgroup: CgroupStatus {
            path: cgroup.display().to_string(),
            from_record,
            programs,
        },
        warnings: maps.warnings,
        maps: maps.maps,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_bpf_mounts() {
        let text = "sysfs /sys sysfs rw 0 0\n\
                    bpf /sys/fs/bpf bpf rw,relatime 0 0\n\
                    none /tmp/my\\040bpf bpf rw 0 0\n";
        assert_eq!(
            super::bpf_mounts(text),
            vec!["/sys/fs/bpf".to_string(), "/tmp/my bpf".to_string()]
        );
        assert!(super::bpf_mounts("").is_empty());
    }
}
