//! The running kernel's BTF (`/sys/kernel/btf/vmlinux`), read lazily: only an object with
//! CO-RE relocations, typed `__ksym` externs or kfunc calls makes rawbpf read and parse it
//! (about 6 MB), once per load.

use std::path::Path;

use rawbpf_elf::btf::Btf;

use crate::error::{Error, Result};

/// Where the kernel exposes its own BTF.
pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// Reads and parses a kernel BTF file: mapped where the kernel allows it (6.16+: one
/// `mmap` instead of a page-sized `read` per 4 KiB, and no heap copy of the file), read
/// otherwise. The parse copies what it keeps; the mapping goes right after.
pub fn read(path: &Path, why: &str) -> Result<Btf> {
    let unreadable = |e: std::io::Error| Error::Unsupported {
        what: format!(
            "{why} needs the kernel's BTF, but {} cannot be read ({e}); the kernel must be built \
             with CONFIG_DEBUG_INFO_BTF=y",
            path.display()
        ),
    };
    let parsed = match rawbpf_syscalls::KernelBtfMap::open(path).map_err(unreadable)? {
        Some(mapped) => Btf::parse(mapped.bytes()),
        None => Btf::parse(&std::fs::read(path).map_err(unreadable)?),
    };
    parsed.map_err(|e| Error::Unsupported {
        what: format!(
            "{why}: the kernel BTF {} does not parse: {e}",
            path.display()
        ),
    })
}

/// Reads `--btf FILE`: raw BTF or the `.BTF` section of an ELF file, used instead of the
/// running kernel's BTF (for kernels without it, or to check an object against a fixed one).
pub fn read_custom(path: &Path) -> Result<Btf> {
    let bad = |reason: String| Error::TargetBtf {
        path: path.to_path_buf(),
        reason,
    };
    let file = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let raw = rawbpf_elf::btf::btf_bytes(&file).map_err(|e| bad(e.to_string()))?;
    Btf::parse(raw).map_err(|e| bad(format!("the BTF does not parse: {e}")))
}
