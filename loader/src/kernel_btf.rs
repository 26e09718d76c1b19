//! The running kernel's BTF (`/sys/kernel/btf/vmlinux`), read lazily: only an object with
//! CO-RE relocations, typed `__ksym` externs or kfunc calls makes rawbpf read and parse it
//! (about 6 MB), once per load.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rawbpf_elf::btf::Btf;

use crate::error::{Error, Result};

/// Where the kernel exposes its own BTF.
pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// The kernel BTF, parsed on first use.
#[derive(Debug)]
pub struct KernelBtf {
    path: PathBuf,
    btf: Option<Btf>,
    /// How long reading and parsing took (for `-v` and the measurements in the docs).
    pub parse_time: Option<Duration>,
}

impl Default for KernelBtf {
    fn default() -> Self {
        KernelBtf::new(VMLINUX_BTF)
    }
}

impl KernelBtf {
    /// A lazy handle on the BTF at `path` (normally [`VMLINUX_BTF`]).
    pub fn new(path: impl Into<PathBuf>) -> KernelBtf {
        KernelBtf {
            path: path.into(),
            btf: None,
            parse_time: None,
        }
    }

    /// The parsed BTF, reading it now if this is the first use. `why` says which part of the
    /// object needs it, for the error when the kernel has no BTF.
    pub fn get(&mut self, why: &str) -> Result<&Btf> {
        if self.btf.is_none() {
            let start = Instant::now();
            let btf = read(&self.path, why)?;
            self.parse_time = Some(start.elapsed());
            self.btf = Some(btf);
        }
        match &self.btf {
            Some(btf) => Ok(btf),
            None => Err(Error::Unsupported {
                what: format!("{why}: kernel BTF unavailable"),
            }),
        }
    }

    /// True once the BTF was read.
    pub fn is_loaded(&self) -> bool {
        self.btf.is_some()
    }
}

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
