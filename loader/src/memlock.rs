//! RLIMIT_MEMLOCK on kernels that still charge BPF maps and programs to it (before 5.11,
//! when memory-cgroup accounting replaced it). Raised once, on the first EPERM of a call
//! that allocates kernel memory, then that call is tried again: newer kernels never pay.

use std::sync::atomic::{AtomicBool, Ordering};

use nix::sys::resource::{Resource, getrlimit, setrlimit};

/// Set once this process tried to raise the limit; a second EPERM is a real refusal.
static TRIED: AtomicBool = AtomicBool::new(false);

/// Runs `op`; when it fails with EPERM and the memlock limit could be raised, runs it once
/// more. `errno` reads the error's errno.
pub fn retry<T, E>(
    errno: impl Fn(&E) -> i32,
    mut op: impl FnMut() -> Result<T, E>,
) -> Result<T, E> {
    match op() {
        Err(e) if errno(&e) == libc::EPERM && raise() => op(),
        other => other,
    }
}

/// Raises the soft and hard limit to infinity (CAP_SYS_RESOURCE), else the soft limit to
/// the hard one. True when the limit changed, only on the first call of the process.
fn raise() -> bool {
    if TRIED.swap(true, Ordering::SeqCst) {
        return false;
    }
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_MEMLOCK) else {
        return false;
    };
    let infinity = libc::RLIM_INFINITY;
    if soft == infinity {
        return false;
    }
    setrlimit(Resource::RLIMIT_MEMLOCK, infinity, infinity).is_ok()
        || (hard > soft && setrlimit(Resource::RLIMIT_MEMLOCK, hard, hard).is_ok())
}

/// The memlock limit in KiB when it is finite and this process already tried to raise it:
/// an EPERM then may be the kernel's memlock charge, not missing privileges.
pub fn exhausted_limit_kib() -> Option<u64> {
    if !TRIED.load(Ordering::SeqCst) {
        return None;
    }
    let (soft, _) = getrlimit(Resource::RLIMIT_MEMLOCK).ok()?;
    (soft != libc::RLIM_INFINITY).then_some(soft / 1024)
}
