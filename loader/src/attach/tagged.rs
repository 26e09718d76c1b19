//! What the tagged attach records share: socket-map (`map…`), interface (`if…`) and raw
//! tracepoint (`rawtp-…`) records are all named `<tag><rest>` in the records directory, or
//! `pending-<tag><rest>` while their attach is under way ([`crate::attach::records`] has the
//! crash-safety story). Map and interface records key `rest` the same way:
//! `<key>-<attach type>-<escaped program name>`.

use std::path::{Path, PathBuf};

use crate::attach::links;
use crate::attach::records::{PENDING, dir, escape, unescape};

/// The record `<tag><rest>` (or its pending form) under `pin_root`.
pub fn path(pin_root: &Path, tag: &str, pending: bool, rest: &str) -> PathBuf {
    let pre = if pending { PENDING } else { "" };
    dir(pin_root).join(format!("{pre}{tag}{rest}"))
}

/// The part of `name` after its tag, and whether the record is pending; `None` for a link
/// pin or a name of another kind.
pub fn rest<'a>(name: &'a str, tag: &str) -> Option<(&'a str, bool)> {
    if links::is_link_pin(name) {
        return None;
    }
    match name.strip_prefix(PENDING).and_then(|r| r.strip_prefix(tag)) {
        Some(rest) => Some((rest, true)),
        None => name.strip_prefix(tag).map(|rest| (rest, false)),
    }
}

/// `<key>-<attach type>-<escaped program>`, the `rest` of map and interface records.
pub fn keyed(key: u32, attach_type: u32, program: &str) -> String {
    format!("{key}-{attach_type}-{}", escape(program))
}

/// [`keyed`] parsed back: key, attach type and the program's name.
pub fn parse_keyed(rest: &str) -> Option<(u32, u32, String)> {
    let (key, rest) = rest.split_once('-')?;
    let (at, prog) = rest.split_once('-')?;
    if prog.is_empty() {
        return None;
    }
    Some((key.parse().ok()?, at.parse().ok()?, unescape(prog)))
}

/// Every entry of the records directory, as (file name, path), sorted by path; a missing
/// directory means none.
pub fn entries(pin_root: &Path) -> Vec<(String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir(pin_root)) else {
        return Vec::new();
    };
    let mut out: Vec<(String, PathBuf)> = entries
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}
