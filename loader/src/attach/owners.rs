//! What rawbpf owns on this host, from its own marks only: the attach records (of cgroups,
//! `records`, of socket maps, `map_records`, and of network interfaces, `iface_records`) and the `--pin-progs` pins of programs, and
//! the marks of the map pins it made (`map::owned`), under every pin root it knows: the
//! default, the ones given, and the ones the index names (`attach::index`). A pin root that
//! fails the trust check is not believed. Programs and maps are keyed by kernel ID, read
//! from the pins, so a program of another tool never looks like rawbpf's.

use std::collections::{BTreeMap, HashMap};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use rawbpf_abi::AttachType;
use rawbpf_syscalls as sys;
use serde::Serialize;

use crate::attach::{iface_records, index, map_records, prog_pins, records};
use crate::host::pin_root::{self, DEFAULT_BPFFS};
use crate::map::owned;

/// The `owner` of what rawbpf recorded making.
pub const OWNER: &str = "rawbpf";

/// The default pin root (`cmd::load::DEFAULT_PIN_ROOT`, which `attach` may not import).
const DEFAULT_ROOT: &str = "rawbpf";

/// One of rawbpf's records of a program.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProgRecord {
    /// `cgroup` (attached to a cgroup), `map` (attached to a socket map), `iface` (attached
    /// to a network interface) or `pin` (`load --pin-progs`).
    pub kind: &'static str,
    pub pin_root: String,
    /// The pin that is the record.
    pub path: String,
    /// `null` for a `pin`.
    pub attach_type: Option<String>,
    /// The cgroup's path, found from the inode the record names; `null` when that cgroup
    /// is gone (or the record is not a cgroup's).
    pub cgroup: Option<String>,
    pub cgroup_inode: Option<u64>,
    /// The socket map of a `map` record.
    pub map_id: Option<u32>,
    /// The interface index of an `iface` record (in the network namespace of the load).
    pub ifindex: Option<u32>,
    /// The name that index has in this process's network namespace, when it has one.
    pub iface: Option<String>,
    /// A pending record (a run died between pinning and renaming it).
    pub pending: bool,
}

/// Everything rawbpf's marks say it owns, by kernel ID.
#[derive(Debug, Default)]
pub struct Owners {
    progs: BTreeMap<u32, Vec<ProgRecord>>,
    /// Map ID → the pins rawbpf made of it.
    maps: BTreeMap<u32, Vec<String>>,
    /// Cgroup inode → path, walked once when a record needs it.
    cgroups: Option<HashMap<u64, PathBuf>>,
}

impl Owners {
    /// Reads the marks under the default pin root, `given` and the pin roots of the index.
    pub fn collect(given: &[&Path]) -> Owners {
        let mut roots: Vec<PathBuf> = vec![Path::new(DEFAULT_BPFFS).join(DEFAULT_ROOT)];
        roots.extend(given.iter().map(|p| p.to_path_buf()));
        roots.extend(index::all().into_iter().map(|(_, r)| r));
        roots.sort();
        roots.dedup();
        let mut o = Owners::default();
        for root in roots {
            // Only a pin root that passes the trust check is believed.
            if root.is_dir() && pin_root::check(&root).is_ok() {
                o.add_root(&root);
            }
        }
        o
    }

    /// rawbpf's records of program `id` (empty: not rawbpf's).
    pub fn prog(&self, id: u32) -> &[ProgRecord] {
        self.progs.get(&id).map_or(&[], Vec::as_slice)
    }

    /// The first pin rawbpf made of map `id`.
    pub fn map_pin(&self, id: u32) -> Option<&str> {
        self.maps
            .get(&id)
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    /// `Some("rawbpf")` when program `id` is rawbpf's.
    pub fn prog_owner(&self, id: u32) -> Option<String> {
        (!self.prog(id).is_empty()).then(|| OWNER.to_string())
    }

    fn add_root(&mut self, root: &Path) {
        let shown = root.display().to_string();
        for r in records::list_all(root).unwrap_or_default() {
            let cgroup = self.cgroup_path(r.cgroup_inode);
            self.add_prog(
                &r.path,
                ProgRecord {
                    kind: "cgroup",
                    pin_root: shown.clone(),
                    path: r.path.display().to_string(),
                    attach_type: Some(AttachType(r.attach_type).to_string()),
                    cgroup,
                    cgroup_inode: Some(r.cgroup_inode),
                    map_id: None,
                    ifindex: None,
                    iface: None,
                    pending: r.pending,
                },
            );
        }
        for r in map_records::list(root, None) {
            self.add_prog(
                &r.path,
                ProgRecord {
                    kind: "map",
                    pin_root: shown.clone(),
                    path: r.path.display().to_string(),
                    attach_type: Some(AttachType(r.attach_type).to_string()),
                    cgroup: None,
                    cgroup_inode: None,
                    map_id: Some(r.map_id),
                    ifindex: None,
                    iface: None,
                    pending: r.pending,
                },
            );
        }
        for r in iface_records::list(root, None) {
            self.add_prog(
                &r.path,
                ProgRecord {
                    kind: "iface",
                    pin_root: shown.clone(),
                    path: r.path.display().to_string(),
                    attach_type: Some(AttachType(r.attach_type).to_string()),
                    cgroup: None,
                    cgroup_inode: None,
                    map_id: None,
                    ifindex: Some(r.ifindex),
                    iface: sys::if_indextoname(r.ifindex),
                    pending: r.pending,
                },
            );
        }
        for path in entries(&prog_pins::dir(root), false) {
            self.add_prog(
                &path,
                ProgRecord {
                    kind: "pin",
                    pin_root: shown.clone(),
                    path: path.display().to_string(),
                    attach_type: None,
                    cgroup: None,
                    cgroup_inode: None,
                    map_id: None,
                    ifindex: None,
                    iface: None,
                    pending: false,
                },
            );
        }
        self.add_map_marks(root);
    }

    /// Adds the record `rec` pinned at `path` under the ID of the program it pins.
    fn add_prog(&mut self, path: &Path, rec: ProgRecord) {
        let Ok(Some(fd)) = records::open(path) else {
            return;
        };
        if sys::obj_info_kind(fd.as_fd()) != sys::ObjKind::Prog {
            return;
        }
        if let Ok(info) = sys::prog_info(fd.as_fd()) {
            self.progs.entry(info.id.0).or_default().push(rec);
        }
    }

    /// The map pins whose mark (`<name>-<id>`) names the map the pin holds now.
    fn add_map_marks(&mut self, root: &Path) {
        for mark in entries(&root.join(owned::DIR), true) {
            let Some((name, id)) = mark
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.rsplit_once('-'))
                .and_then(|(name, id)| Some((name.to_string(), id.parse::<u32>().ok()?)))
            else {
                continue;
            };
            let pin = root.join(&name);
            let Ok(c) = pin_root::c_path(&pin) else {
                continue;
            };
            let Ok(fd) = sys::obj_get(&c) else {
                continue;
            };
            if sys::obj_info_kind(fd.as_fd()) == sys::ObjKind::Map
                && sys::map_info(fd.as_fd()).is_ok_and(|m| m.id.0 == id)
            {
                self.maps
                    .entry(id)
                    .or_default()
                    .push(pin.display().to_string());
            }
        }
    }

    fn cgroup_path(&mut self, inode: u64) -> Option<String> {
        let paths = self.cgroups.get_or_insert_with(|| {
            crate::host::cgroup::default_root()
                .map(|root| {
                    crate::host::cgroup::walk(&root)
                        .into_iter()
                        .map(|(p, ino)| (ino, p))
                        .collect()
                })
                .unwrap_or_default()
        });
        paths.get(&inode).map(|p| p.display().to_string())
    }
}

/// The entries directly under `dir`: directories when `dirs`, else the other files; sorted.
fn entries(dir: &Path, dirs: bool) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir() == dirs))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}
