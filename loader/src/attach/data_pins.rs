//! The internal data maps (`.rodata`, `.data`, `.bss`) of each program rawbpf attached (to a
//! cgroup or a socket map), pinned beside its attach record at
//! `<pin root>/attached-progs/data/<record name>%<map id>`.
//!
//! Why: the unchanged-reload check compares these maps with the object, and without
//! CAP_SYS_ADMIN the kernel opens no map by ID (`BPF_MAP_GET_FD_BY_ID`). A pin opens with
//! `BPF_OBJ_GET`, which CAP_BPF allows. The pins live in rawbpf's record directory, never at
//! the top of the pin root (`docs/guarantees.md`), and a record name has no `%` followed by
//! anything but `25`, `2E` or `2F`, so the last `%` separates the record from the map id.
//!
//! A pin is trusted only as a hint: it must be a bpffs file (not a symlink) holding a map
//! whose id is the one asked for, an id the recorded program uses. Anything else means
//! "not there": the caller falls back to opening the map by ID. `detach` removes a record's
//! pins with the record; a load replaces them after its attachments are committed.

use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use rawbpf_syscalls as sys;

use crate::error::{Result, bpf_err};
use crate::host::pin_root;

/// The directory of data map pins, inside the record directory `records`.
pub fn dir(records: &Path) -> PathBuf {
    records.join("data")
}

/// The pin of map `map_id` of the program recorded at `record`.
pub fn path(record: &Path, map_id: u32) -> Option<PathBuf> {
    let name = record.file_name()?.to_str()?;
    Some(dir(record.parent()?).join(format!("{name}%{map_id}")))
}

/// The record name and map id a data pin's file name stands for.
fn parse(name: &str) -> Option<(&str, u32)> {
    let (record, id) = name.rsplit_once('%')?;
    if record.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((record, id.parse().ok()?))
}

/// Every data pin (path, map id) of the record at `record`.
pub fn of_record(record: &Path) -> Vec<(PathBuf, u32)> {
    let (Some(parent), Some(name)) = (record.parent(), record.file_name()) else {
        return Vec::new();
    };
    let name = name.to_string_lossy();
    all(&dir(parent))
        .into_iter()
        .filter(|(_, rec, _)| *rec == name)
        .map(|(path, _, id)| (path, id))
        .collect()
}

/// The data pins under record directory `records` whose record no longer exists (a run died
/// between removing them and their record): only `detach --unpin` cleans these up.
pub fn orphans(records: &Path) -> Vec<PathBuf> {
    all(&dir(records))
        .into_iter()
        .filter(|(_, rec, _)| !records.join(rec).exists())
        .map(|(path, _, _)| path)
        .collect()
}

/// Every entry of `dir` named like a data pin: (path, record name, map id).
fn all(dir: &Path) -> Vec<(PathBuf, String, u32)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(PathBuf, String, u32)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let (rec, id) = parse(&name)?;
            Some((e.path(), rec.to_string(), id))
        })
        .collect();
    out.sort();
    out
}

/// Opens map `map_id` through the data pin of `record`: `None` unless the pin is a bpffs
/// file (not a symlink) holding exactly that map. A missing pin costs a `stat`, no bpf(2).
pub fn open(record: &Path, map_id: u32) -> Option<(sys::MapFd, sys::MapInfo)> {
    let path = path(record, map_id)?;
    let meta = std::fs::symlink_metadata(&path).ok()?;
    if !meta.file_type().is_file() {
        return None;
    }
    let fd = sys::obj_get(&pin_root::c_path(&path).ok()?).ok()?;
    if sys::obj_info_kind(fd.as_fd()) != sys::ObjKind::Map {
        return None;
    }
    let (map, info) = sys::MapFd::open(fd).ok()?;
    (info.id.0 == map_id).then_some((map, info))
}

/// Makes the data pins of `record` exactly `maps` (fd, id): the missing ones pinned, then
/// the others (a replaced program's) removed.
pub fn sync(record: &Path, maps: &[(BorrowedFd<'_>, u32)]) -> Result<()> {
    let existing = of_record(record);
    for &(fd, id) in maps {
        if existing.iter().any(|&(_, have)| have == id) {
            continue;
        }
        let Some(path) = path(record, id) else {
            continue;
        };
        if let Some(d) = path.parent() {
            pin_root::ensure_dir(d)?;
        }
        sys::obj_pin(fd, &pin_root::c_path(&path)?)
            .map_err(bpf_err(format!("pin data map {}", path.display())))?;
    }
    for (path, id) in existing {
        if !maps.iter().any(|&(_, want)| want == id) {
            let _ = std::fs::remove_file(&path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let rec = Path::new("/r/attached-progs/12-3-a%2Eb");
        let p = path(rec, 77).unwrap_or_default();
        assert_eq!(p, PathBuf::from("/r/attached-progs/data/12-3-a%2Eb%77"));
        assert_eq!(parse("12-3-a%2Eb%77"), Some(("12-3-a%2Eb", 77)));
        assert_eq!(parse("12-3-a%2Eb"), None);
        assert_eq!(parse("%5"), None);
        assert_eq!(parse("x%"), None);
        assert_eq!(parse("x%-1"), None);
    }
}
