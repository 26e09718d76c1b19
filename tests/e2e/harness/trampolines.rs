//! Whether the running kernel lets BPF trampoline programs (fentry/fexit, and lsm, which
//! `tracing_fentry.o` also holds) load, read from the kernel's own files independently of
//! rawbpf, so that the compat test expects one answer instead of accepting both.
//!
//! Two facts decide it: kernel lockdown (this project's test VM forces `integrity` from its
//! configuration and refuses the programs with EPERM and no verifier log), and whether the
//! kernel was built with what trampolines need (direct ftrace calls, the JIT, the BPF LSM).
//! Debian's kernels under the QEMU matrix (tests/kernels.sh) have lockdown `[none]` and all
//! three, and load the object.

use super::kernel::kernel_config;

/// What a load of trampoline programs must do on this kernel, with the facts that say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trampolines {
    /// Lockdown is active: EPERM without a verifier verdict.
    Refused(String),
    /// No lockdown, and the kernel has what trampolines need: the load succeeds.
    Load(String),
    /// The facts are not readable here: either answer is accepted, and the reason printed.
    Unknown(String),
}

/// The expectation for this kernel (see [`Trampolines`]).
pub fn trampolines() -> Trampolines {
    let config = kernel_config();
    match lockdown(config.as_deref()) {
        Some((mode, from)) if mode != "none" => {
            Trampolines::Refused(format!("kernel lockdown is {mode} ({from})"))
        }
        Some((_, from)) => match built_for_trampolines(config.as_deref()) {
            Some((true, how)) => Trampolines::Load(format!("no lockdown ({from}); {how}")),
            Some((false, how)) => Trampolines::Unknown(format!("no lockdown ({from}); {how}")),
            None => Trampolines::Unknown(format!(
                "no lockdown ({from}), but neither the kernel configuration nor \
                 /proc/kallsyms says whether trampolines are built in"
            )),
        },
        None => Trampolines::Unknown(
            "kernel lockdown is unknown: /sys/kernel/security/lockdown is unreadable \
             (securityfs not mounted) and the kernel configuration does not force a mode"
                .into(),
        ),
    }
}

/// The active lockdown mode and where it was read: the bracketed word of
/// `/sys/kernel/security/lockdown` (`none [integrity] confidentiality`), else a mode the
/// kernel configuration forces from boot (lockdown can only be raised after that), else
/// `none` for a kernel built without the lockdown LSM.
fn lockdown(config: Option<&str>) -> Option<(String, &'static str)> {
    if let Ok(text) = std::fs::read_to_string("/sys/kernel/security/lockdown")
        && let Some(mode) = text
            .split_whitespace()
            .find_map(|w| w.strip_prefix('[')?.strip_suffix(']'))
    {
        return Some((mode.to_string(), "/sys/kernel/security/lockdown"));
    }
    let config = config?;
    let set = |name: &str| config.lines().any(|l| l == format!("{name}=y"));
    if !set("CONFIG_SECURITY_LOCKDOWN_LSM") {
        return Some(("none".into(), "no lockdown LSM in the kernel configuration"));
    }
    for mode in ["confidentiality", "integrity"] {
        let option = format!("CONFIG_LOCK_DOWN_KERNEL_FORCE_{}", mode.to_uppercase());
        if set(&option) {
            return Some((mode.into(), "forced by the kernel configuration"));
        }
    }
    None
}

/// Whether the kernel has direct ftrace calls (the trampolines' hook), the JIT (which
/// builds them) and the BPF LSM (for `lsm/`), and how that was read: the configuration,
/// else the running kernel's symbols (`register_ftrace_direct`, `bpf_lsm_file_open`) and
/// the JIT's sysctl, which exists only with `CONFIG_BPF_JIT`.
fn built_for_trampolines(config: Option<&str>) -> Option<(bool, String)> {
    const OPTIONS: [&str; 3] = [
        "CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS",
        "CONFIG_BPF_JIT",
        "CONFIG_BPF_LSM",
    ];
    if let Some(config) = config {
        let missing: Vec<&str> = OPTIONS
            .into_iter()
            .filter(|o| !config.lines().any(|l| l == format!("{o}=y")))
            .collect();
        return Some(match missing.as_slice() {
            [] => (
                true,
                format!("the configuration has {}", OPTIONS.join(", ")),
            ),
            m => (false, format!("the configuration lacks {}", m.join(", "))),
        });
    }
    let symbols = std::fs::read_to_string("/proc/kallsyms").ok()?;
    let has = |name: &str| {
        symbols
            .lines()
            .any(|l| l.split_whitespace().nth(2) == Some(name))
    };
    let jit = std::path::Path::new("/proc/sys/net/core/bpf_jit_enable").exists();
    let found = has("register_ftrace_direct") && has("bpf_lsm_file_open") && jit;
    Some((
        found,
        format!(
            "kallsyms and sysctl: register_ftrace_direct {}, bpf_lsm_file_open {}, \
             bpf_jit_enable {}",
            has("register_ftrace_direct"),
            has("bpf_lsm_file_open"),
            jit
        ),
    ))
}
