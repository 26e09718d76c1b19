//! Which capabilities this process has for bpf(2), so that an EPERM becomes "this process
//! lacks CAP_NET_ADMIN" instead of a bare errno.
//!
//! The kernel's checks (kernel/bpf/syscall.c): `bpf_capable()` is CAP_BPF or CAP_SYS_ADMIN
//! (maps, BTF, program loads), `perfmon_capable()` CAP_PERFMON or CAP_SYS_ADMIN (tracing
//! helpers such as `bpf_printk`), `bpf_net_capable()` CAP_NET_ADMIN or CAP_SYS_ADMIN
//! (sockmap/sockhash maps, networking programs, cgroup attach), and plain CAP_SYS_ADMIN for
//! opening objects by ID and walking the ID spaces.

use rawbpf_syscalls::Cmd;

const CAP_NET_ADMIN: u32 = 12;
const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// The effective capability mask from `/proc/self/status` (`CapEff:`), if readable.
fn effective_caps() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?;
    u64::from_str_radix(line.trim(), 16).ok()
}

/// The capabilities (by name) that `cmd` may need and `caps` lacks, the kernel's way:
/// CAP_SYS_ADMIN stands in for CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN.
fn missing_in(caps: u64, cmd: Cmd) -> Vec<&'static str> {
    let has = |c: u32| caps & (1 << c) != 0;
    let sys_admin = has(CAP_SYS_ADMIN);
    let bpf = has(CAP_BPF) || sys_admin;
    let perfmon = has(CAP_PERFMON) || sys_admin;
    let net = has(CAP_NET_ADMIN) || sys_admin;
    let needed: &[(&'static str, bool)] = match cmd {
        Cmd::ProgLoad => &[
            ("CAP_BPF", bpf),
            ("CAP_PERFMON", perfmon),
            ("CAP_NET_ADMIN", net),
        ],
        Cmd::MapCreate => &[("CAP_BPF", bpf), ("CAP_NET_ADMIN", net)],
        Cmd::ProgAttach | Cmd::ProgDetach | Cmd::ProgQuery => &[("CAP_NET_ADMIN", net)],
        Cmd::ProgGetFdById
        | Cmd::MapGetFdById
        | Cmd::BtfGetFdById
        | Cmd::LinkGetFdById
        | Cmd::ProgGetNextId
        | Cmd::MapGetNextId
        | Cmd::BtfGetNextId
        | Cmd::LinkGetNextId => &[("CAP_SYS_ADMIN", sys_admin)],
        Cmd::ObjPin | Cmd::ObjGet => &[],
        _ => &[("CAP_BPF", bpf)],
    };
    needed
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(name, _)| *name)
        .collect()
}

/// The capabilities `cmd` may need that this process lacks. Empty when it has them all (an
/// EPERM then has another cause), or when capabilities cannot be read and we run as root.
pub fn missing_for(cmd: Cmd) -> Vec<&'static str> {
    match effective_caps() {
        Some(caps) => missing_in(caps, cmd),
        None if nix::unistd::geteuid().is_root() => Vec::new(),
        None => vec!["root"],
    }
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
    use super::*;

    #[test]
    fn reads_caps() {
        // Whatever we run as, /proc/self/status is there on Linux.
        assert!(effective_caps().is_some());
    }

    #[test]
    fn sys_admin_stands_in_for_bpf_perfmon_and_net_admin() {
        let sys_admin = 1 << CAP_SYS_ADMIN;
        assert!(missing_in(sys_admin, Cmd::ProgLoad).is_empty());
        assert!(missing_in(sys_admin, Cmd::MapGetFdById).is_empty());
    }

    #[test]
    fn names_each_missing_capability() {
        let bpf_perfmon = (1 << CAP_BPF) | (1 << CAP_PERFMON);
        assert_eq!(missing_in(bpf_perfmon, Cmd::MapCreate), ["CAP_NET_ADMIN"]);
        assert_eq!(missing_in(bpf_perfmon, Cmd::ProgAttach), ["CAP_NET_ADMIN"]);
        let bpf_net = (1 << CAP_BPF) | (1 << CAP_NET_ADMIN);
        assert_eq!(missing_in(bpf_net, Cmd::ProgLoad), ["CAP_PERFMON"]);
        assert_eq!(
            missing_in(bpf_net | bpf_perfmon, Cmd::ProgGetFdById),
            ["CAP_SYS_ADMIN"]
        );
        assert_eq!(missing_in(0, Cmd::BtfLoad), ["CAP_BPF"]);
        assert!(missing_in(0, Cmd::ObjGet).is_empty());
    }
}
