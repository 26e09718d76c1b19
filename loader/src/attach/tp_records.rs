//! Attach records of raw tracepoint attachments (`raw_tp/NAME`, `raw_tracepoint/NAME`):
//! `load` pins each raw tracepoint program it attached at
//! `<pin root>/attached-progs/rawtp-<tracepoint>-<program name>` (both escaped as
//! [`crate::attach::records`] escapes: bpffs refuses dots), with the link of
//! `BPF_RAW_TRACEPOINT_OPEN` pinned beside it as `<record>%link[-owner]`
//! ([`crate::attach::links`]). The link is the attachment: it outlives rawbpf through its
//! pin, and `detach` detaches exactly it. There is no `BPF_LINK_UPDATE` for raw tracepoint
//! links: a reload opens the new link first and closes the old one when the load is done,
//! so both programs run for that moment (never none). As for cgroup records, the program
//! is pinned as `pending-rawtp…` before the attach and renamed over the final name after.
//! The `rawtp-` prefix keeps these apart from cgroup records (names starting with a
//! digit), map records (`map…`) and interface records (`if…`).

use std::path::{Path, PathBuf};

use crate::attach::records::{escape, unescape};
use crate::attach::tagged;

/// Tag of a raw tracepoint record's name.
const RAWTP: &str = "rawtp-";

/// The record of `program` attached to raw tracepoint `tracepoint`.
pub fn path(pin_root: &Path, tracepoint: &str, program: &str) -> PathBuf {
    tagged::path(pin_root, RAWTP, false, &rest(tracepoint, program))
}

/// The pending record: pinned before the attach, renamed over [`path`] after.
pub fn pending_path(pin_root: &Path, tracepoint: &str, program: &str) -> PathBuf {
    tagged::path(pin_root, RAWTP, true, &rest(tracepoint, program))
}

/// `<tracepoint>-<program>`, both escaped.
fn rest(tracepoint: &str, program: &str) -> String {
    format!("{}-{}", escape(tracepoint), escape(program))
}

/// A raw tracepoint record parsed back from its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TpRecord {
    pub path: PathBuf,
    pub tracepoint: String,
    pub program: String,
    pub pending: bool,
}

/// `rawtp-<tracepoint>-<name>` or its pending form; `None` for any other name. A program
/// name is a C identifier (no `-`), so the last `-` ends the tracepoint's name.
fn parse(name: &str) -> Option<(String, String, bool)> {
    let (rest, pending) = tagged::rest(name, RAWTP)?;
    let (tp, prog) = rest.rsplit_once('-')?;
    if tp.is_empty() || prog.is_empty() {
        return None;
    }
    Some((unescape(tp), unescape(prog), pending))
}

/// Every raw tracepoint record (final and pending) under `pin_root`, sorted by name. A
/// missing directory means none.
pub fn list(pin_root: &Path) -> Vec<TpRecord> {
    tagged::entries(pin_root)
        .into_iter()
        .filter_map(|(name, path)| {
            let (tracepoint, program, pending) = parse(&name)?;
            Some(TpRecord {
                path,
                tracepoint,
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
    fn names_round_trip_and_stay_apart_from_other_records() {
        let root = Path::new("/r");
        assert_eq!(
            path(root, "sys_enter", "count.hits"),
            root.join("attached-progs/rawtp-sys_enter-count%2Ehits")
        );
        assert_eq!(
            pending_path(root, "sched_switch", "x"),
            root.join("attached-progs/pending-rawtp-sched_switch-x")
        );
        assert_eq!(
            parse("rawtp-sys_enter-count%2Ehits"),
            Some(("sys_enter".into(), "count.hits".into(), false))
        );
        assert_eq!(
            parse("pending-rawtp-a-b-x"),
            Some(("a-b".into(), "x".into(), true))
        );
        for other in [
            "3-37-x",
            "if3-37-x",
            "rawtp--x",
            "rawtp-a-",
            "rawtp-a-x%link",
        ] {
            assert_eq!(parse(other), None, "{other}");
        }
        assert_eq!(crate::attach::records::parse_name("rawtp-a-x"), None);
        assert_eq!(
            crate::attach::iface_records::list(Path::new("/nonexistent"), None),
            vec![]
        );
    }
}
