//! One rawbpf at a time per pin root: an exclusive `flock(2)` on the pin root directory,
//! held for the whole `load` or `detach` (see `docs/guarantees.md`, "Concurrency").
//!
//! Why a lock and not only careful syscalls: two loaders that both find no pin would each
//! create a map (the loser's program would then use a map nobody can find), and two that
//! both find no attach record would both attach in multi mode (two programs). Under the
//! lock the second loader simply sees the first one's pins and record, so every run is one
//! of the sequential cases. `flock` works on bpffs directories, needs no file outside the
//! pin root, follows the permissions of the pin root, and the kernel releases it when the
//! process dies (a SIGKILLed loader never blocks the next one).
//!
//! The pin root may be removed while we wait (a `detach --unpin` or a rolled-back first load
//! removes it when empty, under the lock), so after locking we check that the path still
//! names the directory we locked, and start over if it does not.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

use crate::error::{Error, Result, io_err};
use crate::host::{pin_root, trust};

/// How often the pin root may vanish under a waiting loader before we give up.
const MAX_ATTEMPTS: usize = 100;

/// How long to wait for another process to release the lock.
const WAIT: Duration = Duration::from_secs(60);

/// The held lock; dropping it (or the process dying) releases it.
#[derive(Debug)]
pub struct PinRootLock {
    _lock: Flock<File>,
}

/// Takes the lock on the open pin root, waiting at most [`WAIT`]: a rawbpf holds it for
/// milliseconds, so a longer wait means a stuck process (or anyone who can open the pin root
/// holding it), which is an error that says so rather than a hang.
fn lock_within(mut file: File, path: &Path, wait: Duration) -> Result<Flock<File>> {
    let deadline = Instant::now() + wait;
    let mut pause = Duration::from_millis(1);
    loop {
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => return Ok(lock),
            Err((f, Errno::EWOULDBLOCK)) if Instant::now() < deadline => {
                file = f;
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err((_, Errno::EWOULDBLOCK)) => {
                return Err(Error::LockTimeout {
                    path: path.to_path_buf(),
                    seconds: wait.as_secs(),
                });
            }
            Err((_, errno)) => {
                return Err(Error::Io {
                    what: "lock (flock) pin root",
                    path: path.to_path_buf(),
                    source: errno.into(),
                });
            }
        }
    }
}

/// Locks `pin_root`, creating it first when `create` is set (a missing pin root without
/// `create` is `Ok(None)`: there is nothing to protect). The second value says whether this
/// call created the directory (the caller removes it again on rollback when empty).
pub fn acquire(pin_root_path: &Path, create: bool) -> Result<Option<(PinRootLock, bool)>> {
    let mut created = false;
    for _ in 0..MAX_ATTEMPTS {
        if !pin_root_path.exists() {
            if !create {
                return Ok(None);
            }
            pin_root::ensure_dir(pin_root_path)?;
            created = true;
        }
        let file = match OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC | libc::O_NOFOLLOW)
            .open(pin_root_path)
        {
            Ok(f) => f,
            // Removed between the check and the open: try again.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                return Err(Error::PinRootUntrusted {
                    pin_root: pin_root_path.to_path_buf(),
                    dir: pin_root_path.to_path_buf(),
                    reason: "it is a symbolic link".to_string(),
                });
            }
            Err(e) => return Err(io_err("open pin root", pin_root_path)(e)),
        };
        // What was opened is what is locked and used: check it, not the path again.
        let opened = file
            .metadata()
            .map_err(io_err("stat pin root", pin_root_path))?;
        trust::check_open(pin_root_path, &opened)?;
        let lock = lock_within(file, pin_root_path, WAIT)?;
        let locked = lock
            .metadata()
            .map_err(io_err("stat pin root", pin_root_path))?;
        match std::fs::metadata(pin_root_path) {
            Ok(now) if now.ino() == locked.ino() && now.dev() == locked.dev() => {
                return Ok(Some((PinRootLock { _lock: lock }, created)));
            }
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_err("stat pin root", pin_root_path)(e)),
        }
    }
    Err(Error::Io {
        what: "lock pin root (it kept disappearing while we waited for it)",
        path: pin_root_path.to_path_buf(),
        source: std::io::Error::from(std::io::ErrorKind::NotFound),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_dir(path: &Path) -> File {
        OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY)
            .open(path)
            .unwrap()
    }

    #[test]
    fn a_held_lock_times_out_with_a_clear_error_then_frees() {
        let dir = tempfile::tempdir().unwrap();
        let held = Flock::lock(open_dir(dir.path()), FlockArg::LockExclusive).unwrap();
        let err =
            lock_within(open_dir(dir.path()), dir.path(), Duration::from_millis(30)).unwrap_err();
        assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
        assert!(err.to_string().contains("held the lock"), "{err}");
        drop(held);
        lock_within(open_dir(dir.path()), dir.path(), Duration::from_millis(30)).unwrap();
    }
}
