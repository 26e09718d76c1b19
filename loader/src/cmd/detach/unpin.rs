//! `detach --unpin`: the map pins rawbpf created (of OBJ, or all under the pin root), their
//! socket-map records, and the record directory and pin root when left empty. A pin rawbpf
//! did not create (no `map::owned` marker for that map) is kept and reported as kept. Attach
//! records of cgroups that no longer exist are removed too (reported with the pins), and data
//! map pins left without their record.

use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use rawbpf_elf::{Object, Pinning};
use rawbpf_syscalls as sys;

use super::act::Act;
use crate::attach::{data_pins, links, map_records, records};
use crate::error::{Result, bpf_err, io_err};
use crate::host::{cgroup, pin_root};
use crate::map::owned;

/// What `--unpin` removed, and the map pins it left because rawbpf did not create them.
#[derive(Debug, Default)]
pub struct Unpinned {
    pub removed: Vec<String>,
    pub kept: Vec<String>,
}

/// The ID of the map pinned at `path`; `None` when nothing, or no map, is pinned there.
pub fn pinned_map_id(path: &Path) -> Result<Option<u32>> {
    let c = pin_root::c_path(path)?;
    match sys::obj_get(&c) {
        Ok(fd) if sys::obj_info_kind(fd.as_fd()) == sys::ObjKind::Map => {
            Ok(sys::map_info(fd.as_fd()).ok().map(|info| info.id.0))
        }
        Ok(_) => Ok(None),
        Err(e) if e.is_enoent() => Ok(None),
        // Not a BPF object (a directory or symlink someone left there): not ours.
        Err(e) if matches!(e.errno, libc::EACCES | libc::EINVAL) => Ok(None),
        // EPERM, EMFILE, ENOMEM, ...: said as they are.
        Err(e) => Err(bpf_err(format!("open pin {}", path.display()))(e)),
    }
}

/// The map pins `--unpin` considers: those of `obj` (by name), or every file directly under
/// the pin root.
fn candidates(root: &Path, obj: Option<&Object>) -> Result<Vec<PathBuf>> {
    if let Some(obj) = obj {
        return Ok(obj
            .maps
            .iter()
            .filter(|m| {
                m.pinning == Pinning::ByName && pin_root::validate_pin_name(&m.name).is_ok()
            })
            .map(|m| root.join(&m.name))
            .collect());
    }
    let mut v = Vec::new();
    for entry in std::fs::read_dir(root).map_err(io_err("read directory", root))? {
        let entry = entry.map_err(io_err("read directory", root))?;
        if entry
            .file_type()
            .map_err(io_err("stat", &entry.path()))?
            .is_file()
        {
            v.push(entry.path());
        }
    }
    v.sort();
    Ok(v)
}

/// Removes the map pins rawbpf created among [`candidates`] (with their marks and socket-map
/// records), keeps the others; then `attached-progs`, `pinned-maps` and the pin root itself
/// when empty.
pub fn unpin(root: &Path, obj: Option<&Object>, act: Act) -> Result<Unpinned> {
    let mut out = Unpinned::default();
    let mut unpinned = Vec::new();
    for path in candidates(root, obj)? {
        let Some(id) = pinned_map_id(&path)? else {
            continue;
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !owned::is_owned(root, &name, id) {
            out.kept.push(path.display().to_string());
            continue;
        }
        act.remove(&path)?;
        // This mark, and stale ones of an earlier map of that name.
        for mark in owned::marks_of(root, &name) {
            act.remove(&mark)?;
        }
        out.removed.push(path.display().to_string());
        unpinned.push(id);
    }
    // Records of cgroups that are gone: they only keep their programs alive.
    if let Some(live) = cgroup::default_root()
        .ok()
        .and_then(|r| cgroup::live_inodes(&r))
    {
        for rec in records::stale(root, &live)? {
            act.remove_record(&rec.path)?;
            out.removed.push(rec.path.display().to_string());
        }
    }
    // The socket-map records of the maps unpinned: their programs go with the maps.
    for r in map_records::list(root, None) {
        if unpinned.contains(&r.map_id) {
            act.remove_record(&r.path)?;
        }
    }
    if !act.dry_run {
        remove_stale_temp_records(&records::dir(root));
    }
    // Data map pins whose record is gone (a run died removing them): nothing finds them.
    for pin in data_pins::orphans(&records::dir(root)) {
        act.remove(&pin)?;
    }
    // Link pins whose record (final or pending) is gone: the link still holds its program
    // attached, and nothing rawbpf reads finds it any more.
    for pin in links::orphans(&records::dir(root)) {
        act.link_detach_pin(&pin);
        act.remove(&pin)?;
        out.removed.push(pin.display().to_string());
    }
    act.remove_dir_if_empty(&data_pins::dir(&records::dir(root)));
    act.remove_dir_if_empty(&records::dir(root));
    act.remove_dir_if_empty(&root.join(owned::DIR));
    act.remove_dir_if_empty(root);
    Ok(out)
}

/// Removes `tmp-<pid>-*` records left by an older rawbpf that died between pin and rename
/// (its pid no longer exists), so that the directory can become empty.
fn remove_stale_temp_records(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix("tmp-")
            .and_then(|r| r.split_once('-'))
            .map(|(p, _)| p)
        else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
