//! Whether this process may use bpf(2) for loading and attaching: root, or `CAP_BPF`
//! (or the older catch-all `CAP_SYS_ADMIN`) in the effective capability set.
//!
//! Used to turn an EPERM into "needs root or CAP_BPF+CAP_NET_ADMIN" instead of a bare errno.

const CAP_SYS_ADMIN: u32 = 21;
const CAP_BPF: u32 = 39;

/// The effective capability mask from `/proc/self/status` (`CapEff:`), if readable.
fn effective_caps() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?;
    u64::from_str_radix(line.trim(), 16).ok()
}

/// True when the process has `CAP_BPF` or `CAP_SYS_ADMIN`, or (when capabilities cannot be
/// read) runs as root.
pub fn privileged() -> bool {
    match effective_caps() {
        Some(caps) => caps & (1 << CAP_BPF) != 0 || caps & (1 << CAP_SYS_ADMIN) != 0,
        None => nix::unistd::geteuid().is_root(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_caps() {
        // Whatever we run as, /proc/self/status is there on Linux.
        assert!(super::effective_caps().is_some());
    }
}
