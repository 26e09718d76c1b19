//! The running kernel's BTF (`/sys/kernel/btf/vmlinux`), read lazily: only an object with
//! CO-RE relocations, typed `__ksym` externs or kfunc calls makes rawbpf read and parse it
//! (about 6 MB), once per load.

use std::path::Path;

use rawbpf_elf::btf::Btf;

use crate::error::{Error, Result};

/// Where the kernel exposes its own BTF.
pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// Reads and parses a kernel BTF file.
pub fn read(path: &Path, why: &str) -> Result<Btf> {
    let bytes = std::fs::read(path).map_err(|e| Error::Unsupported {
        what: format!(
            "{why} needs the kernel's BTF, but {} cannot be read ({e}); the kernel must be built \
             with CONFIG_DEBUG_INFO_BTF=y",
            path.display()
        ),
    })?;
    Btf::parse(&bytes).map_err(|e| Error::Unsupported {
        what: format!(
            "{why}: the kernel BTF {} does not parse: {e}",
            path.display()
        ),
    })
}
