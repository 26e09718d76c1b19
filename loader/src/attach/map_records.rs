//! Attach records of socket-map attachments: `load` pins each `sk_msg` / `sk_skb` program
//! it attached to a SOCKMAP/SOCKHASH at
//! `<pin root>/attached-progs/map<map id>-<attach type>-<program name>`.
//!
//! A kernel before 5.19 cannot say which programs a socket map has (`BPF_PROG_QUERY` with a
//! map as target is EINVAL there), and `BPF_PROG_DETACH` from a map needs the program. The
//! record is how `detach OBJ`, `map-ids` and the unchanged-reload check still find exactly
//! the program rawbpf attached; on newer kernels the kernel is asked and the record kept in
//! step. The record is pinned as `pending-map…` before the attach and renamed over the final
//! name after it (as cgroup records are, see [`crate::attach::records`]), so whatever moment
//! a run dies at, the attached program is named by one of the two.
//!
//! The `map` prefix keeps these apart from cgroup records, whose names start with the
//! cgroup's inode number.

use std::path::{Path, PathBuf};

use crate::attach::tagged;

/// Tag of a map record's name.
const MAP: &str = "map";

/// The record of `program` attached to the socket map with ID `map_id`.
pub fn path(pin_root: &Path, map_id: u32, attach_type: u32, program: &str) -> PathBuf {
    tagged::path(
        pin_root,
        MAP,
        false,
        &tagged::keyed(map_id, attach_type, program),
    )
}

/// The pending record of `program`: pinned before the attach, renamed over [`path`] after.
pub fn pending_path(pin_root: &Path, map_id: u32, attach_type: u32, program: &str) -> PathBuf {
    tagged::path(
        pin_root,
        MAP,
        true,
        &tagged::keyed(map_id, attach_type, program),
    )
}

/// A map record parsed back from its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapRecord {
    pub path: PathBuf,
    pub map_id: u32,
    pub attach_type: u32,
    /// The program's full name (the kernel keeps only 15 bytes of it).
    pub program: String,
    pub pending: bool,
}

/// `map<id>-<attach type>-<name>` or its pending form; `None` for any other name.
#[cfg(test)]
fn parse(name: &str) -> Option<(u32, u32, bool)> {
    parse_full(name).map(|(id, at, _, pending)| (id, at, pending))
}

/// [`parse`] with the program's name.
fn parse_full(name: &str) -> Option<(u32, u32, String, bool)> {
    let (rest, pending) = tagged::rest(name, MAP)?;
    let (id, at, prog) = tagged::parse_keyed(rest)?;
    Some((id, at, prog, pending))
}

/// Every map record (final and pending) under `pin_root`, sorted by name; with `map_id`,
/// only that map's. A missing directory means none.
pub fn list(pin_root: &Path, map_id: Option<u32>) -> Vec<MapRecord> {
    tagged::entries(pin_root)
        .into_iter()
        .filter_map(|(name, path)| {
            let (id, attach_type, program, pending) = parse_full(&name)?;
            (map_id.is_none_or(|want| want == id)).then_some(MapRecord {
                path,
                map_id: id,
                attach_type,
                program,
                pending,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_stay_apart_from_cgroup_records() {
        let root = Path::new("/sys/fs/bpf/x");
        let p = path(root, 7, 60, "bpf.redir");
        assert_eq!(p, root.join("attached-progs/map7-60-bpf%2Eredir"));
        assert_eq!(parse("map7-60-bpf%2Eredir"), Some((7, 60, false)));
        assert_eq!(parse("pending-map7-60-x"), Some((7, 60, true)));
        assert_eq!(
            parse_full("map7-60-bpf%2Eredir").map(|r| r.2),
            Some("bpf.redir".to_string())
        );
        let pending = pending_path(root, 7, 60, "x");
        assert_eq!(pending, root.join("attached-progs/pending-map7-60-x"));
        for other in [
            "4026-3-prog",
            "pending-4026-3-prog",
            "map7-60-",
            "mapx-1-p",
            "tmp-1-x",
            "map7-60-x%link",
            "map7-60-x%link-owner",
        ] {
            assert_eq!(parse(other), None, "{other}");
        }
        assert_eq!(crate::attach::records::parse_name("map7-60-x"), None);
    }
}
