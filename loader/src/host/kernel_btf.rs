//! The running kernel's BTF (`/sys/kernel/btf/vmlinux`), read lazily: only an object with
//! CO-RE relocations, typed `__ksym` externs or kfunc calls makes rawbpf open it (about
//! 5 MB), once per load, and then only the types its relocations name are decoded
//! ([`rawbpf_elf::btf::BtfView`]).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rawbpf_elf::btf::BtfView;
use rawbpf_elf::btf::core::{CoreTarget, NameIndex};
use rawbpf_syscalls::KernelBtfMap;

use crate::error::{Error, Result};

/// Where the kernel exposes its own BTF.
pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// The bytes of a BTF file, held once: mapped where the kernel allows it (6.16+ for
/// `/sys/kernel/btf/*`: one `mmap` instead of a page-sized `read` per 4 KiB, and no heap
/// copy), else read into one buffer of the file's size.
enum Bytes {
    Mapped(KernelBtfMap),
    Read(Vec<u8>),
}

/// An open BTF file; [`BtfFile::view`] borrows a lazy view of it.
pub struct BtfFile {
    bytes: Bytes,
    path: PathBuf,
    /// `Some(why)` for the running kernel's BTF (what needs it, for the error), `None` for
    /// a `--btf FILE`.
    kernel: Option<String>,
}

/// Maps `path`, or reads it when the kernel refuses the mapping.
fn bytes(path: &Path) -> std::io::Result<Bytes> {
    Ok(match KernelBtfMap::open(path)? {
        Some(mapped) => Bytes::Mapped(mapped),
        None => Bytes::Read(std::fs::read(path)?),
    })
}

/// Opens a kernel BTF file; `why` names what needs it, for the error when it is missing.
pub fn open(path: &Path, why: &str) -> Result<BtfFile> {
    let bytes = bytes(path).map_err(|e| Error::Unsupported {
        what: format!(
            "{why} needs the kernel's BTF, but {} cannot be read ({e}); the kernel must be built \
             with CONFIG_DEBUG_INFO_BTF=y",
            path.display()
        ),
    })?;
    Ok(BtfFile {
        bytes,
        path: path.to_path_buf(),
        kernel: Some(why.to_string()),
    })
}

/// Opens `--btf FILE`: raw BTF or an ELF file whose `.BTF` section is used, instead of the
/// running kernel's BTF (for kernels without it, or to check an object against a fixed one).
pub fn open_custom(path: &Path) -> Result<BtfFile> {
    let bytes = bytes(path).map_err(|e| Error::TargetBtf {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok(BtfFile {
        bytes,
        path: path.to_path_buf(),
        kernel: None,
    })
}

impl BtfFile {
    /// The file's bytes.
    fn data(&self) -> &[u8] {
        match &self.bytes {
            Bytes::Mapped(m) => m.bytes(),
            Bytes::Read(v) => v,
        }
    }

    /// A lazy view of the BTF: header, sections and record heads checked, nothing decoded.
    pub fn view(&self) -> Result<BtfView<'_>> {
        let parsed = rawbpf_elf::btf::btf_bytes(self.data()).and_then(BtfView::parse);
        parsed.map_err(|e| self.unparsable(e))
    }

    /// [`BtfFile::view`] with the CO-RE index of the types named `names` (essential names),
    /// built in the same walk over the records.
    pub fn view_indexed(&self, names: &HashSet<&str>) -> Result<(BtfView<'_>, NameIndex<'_>)> {
        let parsed = rawbpf_elf::btf::btf_bytes(self.data())
            .and_then(|data| CoreTarget::parse_indexed(data, names));
        parsed.map_err(|e| self.unparsable(e))
    }

    fn unparsable(&self, e: rawbpf_elf::Error) -> Error {
        match &self.kernel {
            Some(why) => Error::Unsupported {
                what: format!(
                    "{why}: the kernel BTF {} does not parse: {e}",
                    self.path.display()
                ),
            },
            None => Error::TargetBtf {
                path: self.path.clone(),
                reason: format!("the BTF does not parse: {e}"),
            },
        }
    }
}
