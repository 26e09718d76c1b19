//! `rawbpf load --pin-progs`: each loaded program pinned at `<pin-root>/progs/<name>`, so it
//! outlives rawbpf without being attached (e.g. for `bpftool prog` or a later attach), and
//! the pin paths of iproute2-style maps (`PIN_GLOBAL_NS`, `PIN_OBJECT_NS`).

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rawbpf_elf::{MapDef, Pinning};
use rawbpf_syscalls as sys;

use crate::error::{Result, bpf_err};
use crate::host::pin_root;

/// The directory of program pins under the pin root.
pub fn dir(pin_root: &Path) -> PathBuf {
    pin_root.join("progs")
}

/// Pins a program at `<pin-root>/progs/<name>`, replacing an earlier pin of that name (a
/// previous load's). Returns the path and the object the earlier pin held, opened before it
/// was removed, so that a failed load can pin it back; when this pin fails it is put back
/// here.
pub fn pin(fd: BorrowedFd<'_>, pin_root: &Path, name: &str) -> Result<(PathBuf, Option<OwnedFd>)> {
    pin_root::validate_pin_name(name)?;
    let dir = dir(pin_root);
    pin_root::ensure_dir(&dir)?;
    let path = dir.join(name);
    let c = pin_root::c_path(&path)?;
    let mut previous = None;
    if path.exists() {
        previous = sys::obj_get(&c).ok();
        let _ = std::fs::remove_file(&path);
    }
    if let Err(e) = sys::obj_pin(fd, &c) {
        if let Some(old) = &previous {
            let _ = sys::obj_pin(old.as_fd(), &c);
        }
        return Err(bpf_err(format!("program {name}: pin {}", path.display()))(
            e,
        ));
    }
    Ok((path, previous))
}

/// Where an iproute2 map (`struct bpf_elf_map` with `pinning`) lives: `PIN_GLOBAL_NS` at
/// `<pin-root>/tc/globals/<name>` (as `tc` pins under `/sys/fs/bpf/tc/globals`),
/// `PIN_OBJECT_NS` at `<pin-root>/tc/<SHA-1 of the object file>/<name>` (as `tc` does: a
/// rebuilt object gets fresh maps). `None` for other pinning.
pub fn iproute2_pin_path(pin_root: &Path, object: &[u8], def: &MapDef) -> Option<PathBuf> {
    match def.pinning {
        Pinning::GlobalNs => Some(pin_root.join("tc").join("globals").join(&def.name)),
        Pinning::ObjectNs => {
            let hex = crate::hex::encode(&crate::prog::sha1::digest(object));
            Some(pin_root.join("tc").join(hex).join(&def.name))
        }
        _ => None,
    }
}
