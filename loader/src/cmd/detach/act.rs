//! Every change `detach` makes goes through [`Act`], so that `--dry-run` can walk the same
//! path, find the same programs and pins, and report them without changing anything.

use std::os::fd::BorrowedFd;
use std::path::Path;

use rawbpf_syscalls as sys;

use crate::attach::{data_pins, links};
use crate::error::{Result, io_err};
use crate::host::pin_root;

/// Whether `detach` changes things or only says what it would change.
#[derive(Debug, Clone, Copy)]
pub struct Act {
    pub dry_run: bool,
}

impl Act {
    /// `BPF_PROG_DETACH` of `prog` from `target` (a cgroup or a socket map).
    pub fn prog_detach(
        self,
        target: BorrowedFd<'_>,
        prog: BorrowedFd<'_>,
        attach_type: u32,
    ) -> std::result::Result<(), sys::Error> {
        if self.dry_run {
            return Ok(());
        }
        sys::prog_detach(target, Some(prog), attach_type)
    }

    /// `BPF_LINK_DETACH` of a link rawbpf pinned.
    pub fn link_detach(self, link: BorrowedFd<'_>) -> std::result::Result<(), sys::Error> {
        if self.dry_run {
            return Ok(());
        }
        sys::link_detach(link)
    }

    /// `BPF_LINK_DETACH` of the link pinned at `pin`, best effort (an orphan link pin
    /// about to be removed: the removal frees the link anyway, this only makes it now).
    pub fn link_detach_pin(self, pin: &Path) {
        if self.dry_run {
            return;
        }
        let fd = pin_root::c_path(pin)
            .ok()
            .and_then(|c| sys::obj_get(&c).ok());
        if let Some(fd) = fd
            && sys::obj_info_kind(std::os::fd::AsFd::as_fd(&fd)) == sys::ObjKind::Link
        {
            let _ = sys::link_detach(std::os::fd::AsFd::as_fd(&fd));
        }
    }

    /// Removes a pin, record or marker; one already gone is fine.
    pub fn remove(self, path: &Path) -> Result<()> {
        if self.dry_run {
            return Ok(());
        }
        let gone = match std::fs::symlink_metadata(path) {
            Ok(m) if m.is_dir() => std::fs::remove_dir(path),
            Ok(_) => std::fs::remove_file(path),
            Err(e) => Err(e),
        };
        match gone {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err("remove", path)(e)),
        }
    }

    /// Removes an attach record (cgroup or socket-map) and the data map pins and link pins
    /// beside it (`attach::data_pins`, `attach::links`), those first: a run dying halfway leaves no pin without a
    /// record to find it by.
    pub fn remove_record(self, record: &Path) -> Result<()> {
        for (pin, _) in data_pins::of_record(record) {
            self.remove(&pin)?;
        }
        for pin in links::all_of(record) {
            self.remove(&pin)?;
        }
        self.remove(record)?;
        if let Some(dir) = record.parent() {
            self.remove_dir_if_empty(&data_pins::dir(dir));
        }
        Ok(())
    }

    /// Removes a directory if it is empty.
    pub fn remove_dir_if_empty(self, path: &Path) {
        if !self.dry_run {
            pin_root::remove_dir_if_empty(path);
        }
    }
}
