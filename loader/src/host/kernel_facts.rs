//! What libbpf's own `__kconfig` externs report about the running kernel, found the way
//! libbpf finds it (`kernel_supports()`): probed, never read from a version number.
//!
//! - `LINUX_HAS_BPF_COOKIE`: the kernel has the `bpf_get_attach_cookie` helper (5.15+), by
//!   its `enum bpf_func_id` in the kernel BTF (libbpf loads a probe program calling it).
//! - `LINUX_HAS_SYSCALL_WRAPPER`: system calls go through the arch wrapper
//!   `__<arch>_sys_<name>` (x86-64 since 4.17), by `__<arch>_sys_bpf` in `/proc/kallsyms`
//!   (libbpf opens a kprobe on it).

use crate::host::kernel_types::enum_has;

/// `BPF_FUNC_get_attach_cookie`.
const BPF_FUNC_GET_ATTACH_COOKIE: u32 = 174;

/// True when programs can read their attach cookie (`bpf_get_attach_cookie`). A kernel
/// whose BTF cannot be read answers false: usdt.bpf.h then takes its fallback (the
/// ip-to-spec map), which works on every kernel.
pub fn has_bpf_cookie() -> bool {
    enum_has("bpf_func_id", BPF_FUNC_GET_ATTACH_COOKIE) == Some(true)
}

/// libbpf's `arch_specific_syscall_pfx()` for the architecture rawbpf was built for.
fn syscall_prefix() -> Option<&'static str> {
    Some(match std::env::consts::ARCH {
        "x86_64" => "x64",
        "x86" => "ia32",
        "aarch64" => "arm64",
        "arm" => "arm",
        "s390x" => "s390x",
        "powerpc64" => "powerpc64",
        "powerpc" => "powerpc",
        "riscv64" => "riscv",
        "loongarch64" => "loongarch64",
        _ => return None,
    })
}

/// True when the kernel's system calls have the arch wrapper (`__x64_sys_bpf` exists), so
/// that a kprobe on a syscall must name the wrapper and read arguments through its
/// `pt_regs`. Unknown architectures and an unreadable `/proc/kallsyms` answer false, as
/// libbpf's probe does.
pub fn has_syscall_wrapper() -> bool {
    let Some(prefix) = syscall_prefix() else {
        return false;
    };
    let wrapper = format!("__{prefix}_sys_bpf");
    std::fs::read_to_string("/proc/kallsyms").is_ok_and(|text| {
        text.lines()
            .any(|l| l.split_whitespace().nth(2) == Some(wrapper.as_str()))
    })
}
