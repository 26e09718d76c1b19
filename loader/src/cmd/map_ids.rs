//! `map-ids`: the programs attached to a cgroup (every cgroup attach type), to the
//! SOCKMAP/SOCKHASH maps pinned under the pin root (every sockmap attach type) and, through
//! the links rawbpf's interface records pin, to network interfaces (XDP, tcx); the maps
//! they use, and the maps pinned under the pin root — by kernel ID, from `BPF_PROG_QUERY`,
//! `BPF_OBJ_GET_INFO_BY_FD` and the link pins.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use rawbpf_abi::{AttachType, MapType, ProgType};
use rawbpf_syscalls as sys;

use crate::attach::owners::Owners;
use crate::attach::{iface_records, links, map_records, records};
use crate::cmd::load::DEFAULT_PIN_ROOT;
use crate::error::{Result, bpf_err, io_err};
use crate::host::cgroup::Cgroup;
use crate::host::pin_root;
use crate::prog::full_name::Names;
use crate::report::{AttachedProgram, MapEntry, MapIdsReport};

/// The `target` of a program attached to the cgroup (a map's is `map NAME`, an
/// interface's [`iface_target`]).
pub const TARGET_CGROUP: &str = "cgroup";

/// The `target` of a program attached to interface `ifindex`: `iface NAME`, the name the
/// index has in this process's network namespace (`iface #INDEX` when it has none there).
pub fn iface_target(ifindex: u32) -> String {
    match sys::if_indextoname(ifindex) {
        Some(name) => format!("iface {name}"),
        None => format!("iface #{ifindex}"),
    }
}

/// What `map-ids` looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapIdsOptions {
    pub cgroup: PathBuf,
    pub pin_root: PathBuf,
}

impl Default for MapIdsOptions {
    fn default() -> Self {
        MapIdsOptions {
            cgroup: crate::host::cgroup::default_root_or_standard(),
            pin_root: PathBuf::from(DEFAULT_PIN_ROOT),
        }
    }
}

fn entry(info: &sys::MapInfo) -> MapEntry {
    MapEntry {
        info: info.into(),
        pinned: None,
        used_by: Vec::new(),
    }
}

/// The programs and maps found so far.
#[derive(Default)]
struct Collected {
    programs: Vec<AttachedProgram>,
    maps: BTreeMap<u32, MapEntry>,
    warnings: Vec<String>,
    /// Where rawbpf's records are, for programs the kernel will not open by ID.
    pin_root: PathBuf,
    /// rawbpf's recorded programs by ID, opened through their pins once needed.
    recorded: Option<HashMap<u32, OwnedFd>>,
    /// Set once a program or map could not be opened by ID (EPERM): warned once each.
    hidden_programs: bool,
    hidden_maps: bool,
    /// What rawbpf owns, for the `owner` marks.
    owners: Owners,
    names: Names,
}

/// What opening a program by ID gave.
enum Opened {
    Fd(OwnedFd),
    /// It went away since the query.
    Gone,
    /// `BPF_PROG_GET_FD_BY_ID` needs CAP_SYS_ADMIN, and rawbpf has no record of it.
    Hidden,
}

impl Collected {
    /// Program `id`: by ID, or without CAP_SYS_ADMIN through rawbpf's own record of it (an
    /// attach record is a pin, which `BPF_OBJ_GET` opens with file permissions only).
    fn open_program(&mut self, id: u32) -> Result<Opened> {
        match sys::fd_by_id(sys::IdKind::Prog, id) {
            Ok(fd) => Ok(Opened::Fd(fd)),
            Err(e) if e.is_enoent() => Ok(Opened::Gone),
            Err(e) if e.errno == libc::EPERM => {
                let pin_root = self.pin_root.clone();
                let recorded = self
                    .recorded
                    .get_or_insert_with(|| recorded_programs(&pin_root));
                let fd = recorded.get(&id).and_then(|fd| fd.try_clone().ok());
                Ok(fd.map_or(Opened::Hidden, Opened::Fd))
            }
            Err(e) => Err(bpf_err(format!("open program {id}"))(e)),
        }
    }

    /// Adds program `id`, attached to `target` as `attach_type` with `attach_flags`, and
    /// the maps it uses. A program that went away since the query is skipped; one this
    /// process may not open is listed by ID only, with a warning.
    fn add_program(
        &mut self,
        id: u32,
        target: &str,
        attach_type: u32,
        attach_flags: u32,
    ) -> Result<()> {
        let fd = match self.open_program(id)? {
            Opened::Fd(fd) => fd,
            Opened::Gone => return Ok(()),
            Opened::Hidden => {
                self.add_hidden(id, target, attach_type, attach_flags);
                return Ok(());
            }
        };
        let info = sys::prog_info(fd.as_fd()).map_err(bpf_err(format!("info of program {id}")))?;
        for map_id in &info.map_ids {
            if let Entry::Vacant(v) = self.maps.entry(map_id.0) {
                let mfd = match sys::fd_by_id(sys::IdKind::Map, map_id.0) {
                    Ok(fd) => fd,
                    Err(e) => {
                        if e.errno == libc::EPERM && !self.hidden_maps {
                            self.hidden_maps = true;
                            self.warnings.push(
                                "maps not pinned under the pin root (such as .rodata) are not \
                                 listed: opening a map by ID (BPF_MAP_GET_FD_BY_ID) needs \
                                 CAP_SYS_ADMIN"
                                    .to_string(),
                            );
                        }
                        continue;
                    }
                };
                let minfo = sys::map_info(mfd.as_fd())
                    .map_err(bpf_err(format!("info of map {}", map_id.0)))?;
                v.insert(entry(&minfo));
            }
            if let Some(m) = self.maps.get_mut(&map_id.0)
                && !m.used_by.contains(&id)
            {
                m.used_by.push(id);
            }
        }
        let (name, _) = self.names.full(fd.as_fd(), &info.name);
        self.programs.push(AttachedProgram {
            id,
            name,
            kernel_name: info.name.clone(),
            owner: self.owners.prog_owner(id),
            prog_type: ProgType(info.prog_type).to_string(),
            tag: crate::hex::encode(&info.tag),
            attach_type: AttachType(attach_type).to_string(),
            attach_flags,
            map_ids: info.map_ids.iter().map(|m| m.0).collect(),
            target: target.to_string(),
        });
        Ok(())
    }

    /// A program this process may not open: its ID, where and how it is attached, and a
    /// warning (once) that says why the rest is missing.
    fn add_hidden(&mut self, id: u32, target: &str, attach_type: u32, attach_flags: u32) {
        if !self.hidden_programs {
            self.hidden_programs = true;
            self.warnings.push(
                "programs rawbpf did not attach are shown by ID only: their name, type, tag \
                 and maps need CAP_SYS_ADMIN (BPF_PROG_GET_FD_BY_ID)"
                    .to_string(),
            );
        }
        self.programs.push(AttachedProgram {
            id,
            name: String::new(),
            kernel_name: String::new(),
            owner: self.owners.prog_owner(id),
            prog_type: String::new(),
            tag: String::new(),
            attach_type: AttachType(attach_type).to_string(),
            attach_flags,
            map_ids: Vec::new(),
            target: target.to_string(),
        });
    }

    /// Each map's `used_by`, completed from the programs' `map_ids` (a map found through its
    /// pin after the program that uses it).
    fn link_maps(&mut self) {
        for p in &self.programs {
            for mid in &p.map_ids {
                if let Some(m) = self.maps.get_mut(mid)
                    && !m.used_by.contains(&p.id)
                {
                    m.used_by.push(p.id);
                }
            }
        }
    }

    /// Adds the programs attached to the cgroup, every cgroup attach type.
    fn add_cgroup(&mut self, cgroup: &Cgroup) -> Result<()> {
        for AttachType(at) in AttachType::CGROUP {
            // With each program's own flags (multi mode), where the kernel has them.
            let q = match sys::prog_query(cgroup.fd(), at) {
                Ok(q) => q,
                Err(e) if e.errno == libc::EINVAL => sys::QueryResult::default(),
                Err(e) => return Err(bpf_err(format!("query {}", AttachType(at)))(e)),
            };
            for (n, id) in q.prog_ids.iter().enumerate() {
                let flags = q.flags_of(n);
                self.add_program(id.0, TARGET_CGROUP, at, flags)?;
            }
        }
        Ok(())
    }

    /// Adds the programs attached to the SOCKMAP/SOCKHASH `map` (named `name`, ID `map_id`),
    /// every sockmap attach type. A kernel before 5.19 cannot be asked (EINVAL): then the
    /// programs of rawbpf's map records under `pin_root` are listed, and a warning says
    /// that other programs attached there cannot be seen.
    fn add_sockmap(
        &mut self,
        pin_root: &Path,
        map_id: u32,
        map: &OwnedFd,
        name: &str,
    ) -> Result<()> {
        let target = format!("map {name}");
        for AttachType(at) in AttachType::SOCKMAP {
            let q = match sys::prog_query_ids(map.as_fd(), at) {
                Ok(q) => q,
                Err(e) if e.errno == libc::EINVAL => {
                    self.warnings.push(format!(
                        "map {name}: this kernel cannot list the programs attached to a socket \
                         map (BPF_PROG_QUERY on a map is newer than this kernel); shown are the \
                         programs rawbpf recorded attaching to it, not ones other tools attached"
                    ));
                    return self.add_recorded(pin_root, map_id, &target);
                }
                Err(e) => {
                    return Err(bpf_err(format!("map {name}: query {}", AttachType(at)))(e));
                }
            };
            for id in &q.prog_ids {
                // A map has no attach modes: its flags are always 0.
                self.add_program(id.0, &target, at, 0)?;
            }
        }
        Ok(())
    }

    /// Adds the programs attached to network interfaces through the links of rawbpf's final
    /// interface records under `pin_root` (XDP has no `BPF_PROG_QUERY`; programs other
    /// tools attached to an interface are not listed). A record whose link is gone or no
    /// longer runs on that interface is skipped.
    fn add_ifaces(&mut self, pin_root: &Path) -> Result<()> {
        for r in iface_records::list(pin_root, None) {
            if r.pending {
                continue;
            }
            let Some(link) = links::open_iface(&r.path, r.ifindex, r.attach_type)? else {
                continue;
            };
            let target = iface_target(r.ifindex);
            self.add_program(link.info.prog_id.0, &target, r.attach_type, 0)?;
        }
        Ok(())
    }

    /// Adds the programs of the final map records of `map_id` (see [`Self::add_sockmap`]).
    fn add_recorded(&mut self, pin_root: &Path, map_id: u32, target: &str) -> Result<()> {
        for r in map_records::list(pin_root, Some(map_id)) {
            if r.pending {
                continue;
            }
            let Some(fd) = records::open(&r.path)? else {
                continue;
            };
            let info = sys::prog_info(fd.as_fd()).map_err(bpf_err(format!(
                "info of the program of {}",
                r.path.display()
            )))?;
            self.add_program(info.id.0, target, r.attach_type, 0)?;
        }
        Ok(())
    }
}

/// rawbpf's recorded programs under `pin_root` (cgroup, socket-map and interface records),
/// by ID.
fn recorded_programs(pin_root: &Path) -> HashMap<u32, OwnedFd> {
    // Only a pin root that passes the trust check is believed about what rawbpf attached.
    if !pin_root.exists() || pin_root::check(pin_root).is_err() {
        return HashMap::new();
    }
    let cgroup = records::list_all(pin_root).unwrap_or_default();
    let paths = cgroup
        .into_iter()
        .map(|r| r.path)
        .chain(
            map_records::list(pin_root, None)
                .into_iter()
                .map(|r| r.path),
        )
        .chain(
            iface_records::list(pin_root, None)
                .into_iter()
                .map(|r| r.path),
        );
    let mut out = HashMap::new();
    for path in paths {
        if let Ok(Some(fd)) = records::open(&path)
            && let Ok(info) = sys::prog_info(fd.as_fd())
        {
            out.insert(info.id.0, fd);
        }
    }
    out
}

/// Paths of the regular files directly under `dir`, sorted.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for e in std::fs::read_dir(dir).map_err(io_err("read directory", dir))? {
        let e = e.map_err(io_err("read directory", dir))?;
        if e.file_type().map_err(io_err("stat", &e.path()))?.is_file() {
            paths.push(e.path());
        }
    }
    paths.sort();
    Ok(paths)
}

/// Lists programs and maps per `opts`.
pub fn map_ids(opts: &MapIdsOptions) -> Result<MapIdsReport> {
    let found = MapIdsOptions {
        pin_root: crate::cmd::found_pin_root::for_cgroup(&opts.cgroup, &opts.pin_root),
        ..opts.clone()
    };
    let opts = &found;
    let cgroup = Cgroup::open(&opts.cgroup)?;
    let mut found = Collected {
        pin_root: opts.pin_root.clone(),
        owners: Owners::collect(&[&opts.pin_root]),
        ..Collected::default()
    };
    found.add_cgroup(&cgroup)?;

    // Maps pinned directly under the pin root, and the programs attached to the socket
    // maps among them.
    if opts.pin_root.exists() {
        pin_root::check(&opts.pin_root)?;
        // One entry per map (a map may be pinned at several paths).
        let mut sockmaps: Vec<(u32, OwnedFd, String)> = Vec::new();
        for path in files_under(&opts.pin_root)? {
            let fd = match sys::obj_get(&pin_root::c_path(&path)?) {
                Ok(fd) => fd,
                // Gone meanwhile, or not a BPF object: nothing to list.
                Err(e) if matches!(e.errno, libc::ENOENT | libc::EACCES | libc::EINVAL) => continue,
                Err(e) => return Err(bpf_err(format!("open pin {}", path.display()))(e)),
            };
            if sys::obj_info_kind(fd.as_fd()) != sys::ObjKind::Map {
                continue;
            }
            let info = sys::map_info(fd.as_fd())
                .map_err(bpf_err(format!("info of map pinned at {}", path.display())))?;
            let m = found.maps.entry(info.id.0).or_insert_with(|| entry(&info));
            m.pinned.get_or_insert_with(|| path.display().to_string());
            if MapType(info.map_type).is_sockmap()
                && !sockmaps.iter().any(|(id, ..)| *id == info.id.0)
            {
                sockmaps.push((info.id.0, fd, info.name));
            }
        }
        for (id, fd, name) in &sockmaps {
            found.add_sockmap(&opts.pin_root, *id, fd, name)?;
        }
        found.add_ifaces(&opts.pin_root)?;
    }

    found.link_maps();
    Ok(MapIdsReport {
        cgroup: opts.cgroup.display().to_string(),
        pin_root: opts.pin_root.display().to_string(),
        programs: found.programs,
        maps: found.maps.into_values().collect(),
        warnings: found.warnings,
    })
}
