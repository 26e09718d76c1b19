//! Layout checks of rawbpf's `#[repr(C)]` structs against a kernel's BTF.
//!
//! `kernel` reads a struct layout out of vmlinux BTF with rawbpf's own parser (`rawbpf-elf`,
//! a dev-dependency only: the syscalls library itself knows no object format); `compare`
//! holds it against a Rust struct's `offset_of!` / `size_of` table.

pub mod compare;
pub mod kernel;

use std::sync::OnceLock;

use rawbpf_elf::btf::Btf;

/// Where the running kernel publishes its own BTF.
const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// The BTF to check against: `$RAWBPF_VMLINUX_BTF` when set (a raw `.BTF` blob of another
/// kernel, to look at it without booting it), else the running kernel's. Parsed once per
/// test binary. `None` only when it is missing and `RAWBPF_SKIP_KERNEL_TESTS=1` is set;
/// missing otherwise fails the test with the reason.
pub fn vmlinux() -> Option<&'static Btf> {
    static BTF: OnceLock<Option<Btf>> = OnceLock::new();
    BTF.get_or_init(|| {
        let path = std::env::var("RAWBPF_VMLINUX_BTF").unwrap_or_else(|_| VMLINUX_BTF.into());
        let data = match std::fs::read(&path) {
            Ok(d) => d,
            Err(e) if std::env::var("RAWBPF_SKIP_KERNEL_TESTS").as_deref() == Ok("1") => {
                eprintln!("SKIPPED: read {path}: {e} (RAWBPF_SKIP_KERNEL_TESTS=1)");
                return None;
            }
            Err(e) => panic!(
                "read {path}: {e}\n(the layout tests need the kernel's BTF: a kernel built \
                 with CONFIG_DEBUG_INFO_BTF=y. Set RAWBPF_SKIP_KERNEL_TESTS=1 to skip them \
                 explicitly.)"
            ),
        };
        match Btf::parse(&data) {
            Ok(btf) => Some(btf),
            Err(e) => panic!("parse {path}: {e}"),
        }
    })
    .as_ref()
}
