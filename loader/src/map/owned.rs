//! Which map pins under a pin root rawbpf created, so that `detach --unpin` removes only
//! those and never a pin another tool made next to them. bpffs holds no regular files, so
//! the mark is an empty directory, `<pin root>/pinned-maps/<map name>-<map id>`, made
//! right after the pin (and undone with it); the map ID ties it to that very map, so a pin
//! another tool later put under the same name is not taken for rawbpf's.

use std::path::{Path, PathBuf};

/// The directory of the marks.
pub const DIR: &str = "pinned-maps";

/// The mark of map `name` with ID `id`.
pub fn mark(pin_root: &Path, name: &str, id: u32) -> PathBuf {
    pin_root.join(DIR).join(format!("{name}-{id}"))
}

/// True when rawbpf created the map `id` pinned as `name`.
pub fn is_owned(pin_root: &Path, name: &str, id: u32) -> bool {
    mark(pin_root, name, id).is_dir()
}

/// Every mark of `name` (whatever map ID), for cleaning up stale ones.
pub fn marks_of(pin_root: &Path, name: &str) -> Vec<PathBuf> {
    let prefix = format!("{name}-");
    let Ok(entries) = std::fs::read_dir(pin_root.join(DIR)) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_prefix(&prefix))
                .is_some_and(|id| id.parse::<u32>().is_ok())
        })
        .map(|e| e.path())
        .collect()
}
