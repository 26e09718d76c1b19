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
/// the hard one. True when the limit changed, only on the first call of the process and
/// only on a kernel that charges memlock (elsewhere an EPERM has another cause).
fn raise() -> bool {
    if TRIED.swap(true, Ordering::SeqCst) || !kernel_charges_memlock() {
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

/// True when the running kernel charges BPF memory to RLIMIT_MEMLOCK: its BTF lacks
/// `bpf_ktime_get_coarse_ns`, the helper that came with memory-cgroup accounting in 5.11
/// (libbpf probes the same helper); without kernel BTF, a release before 5.11.
/// The string table is scanned as the kernel's mapping (no 5 MB read and copy) one string
/// at a time, not by a byte-by-byte window compare (~120 M instructions).
fn kernel_charges_memlock() -> bool {
    use crate::host::kernel_btf;
    let path = std::path::Path::new(kernel_btf::VMLINUX_BTF);
    if let Ok(file) = kernel_btf::open(path, "the memlock check")
        && let Ok(view) = file.view()
    {
        let name = b"bpf_ktime_get_coarse_ns".as_slice();
        return !view.strings().split(|&b| b == 0).any(|s| s == name);
    }
    crate::host::kernel_config::kernel_version_code().is_ok_and(|v| v < ((5 << 16) | (11 << 8)))
}

/// The memlock limit in KiB when it is finite, this process already tried to raise it, and
/// the kernel charges memlock: an EPERM then may be that charge, not missing privileges.
pub fn exhausted_limit_kib() -> Option<u64> {
    if !TRIED.load(Ordering::SeqCst) || !kernel_charges_memlock() {
        return None;
    }
    let (soft, _) = getrlimit(Resource::RLIMIT_MEMLOCK).ok()?;
    (soft != libc::RLIM_INFINITY).then_some(soft / 1024)
}

#[cfg(test)]
mod tests {
    #[test]
    fn memlock_charge_is_read_from_the_kernel_btf_strings() {
        // The same answer as a plain search of the whole file, on any kernel with BTF.
        // Every kernel rawbpf supports has BTF (CONFIG_DEBUG_INFO_BTF).
        let whole = std::fs::read("/sys/kernel/btf/vmlinux")
            .unwrap_or_else(|e| panic!("/sys/kernel/btf/vmlinux: {e}"));
        let name = b"\0bpf_ktime_get_coarse_ns\0";
        let charges = !whole.windows(name.len()).any(|w| w == name);
        assert_eq!(super::kernel_charges_memlock(), charges);
    }
}
