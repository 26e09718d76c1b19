//! A loaded program's full name: the kernel keeps 15 bytes of it (`BPF_OBJ_NAME_LEN` 16 with
//! the NUL), the program's BTF keeps it whole as the FUNC type its first `bpf_func_info`
//! record names. Read as bpftool's `get_prog_full_name()` does: only for a name the kernel
//! may have cut, through `BPF_OBJ_GET_INFO_BY_FD` (func_info) and `BPF_BTF_GET_FD_BY_ID`;
//! a BTF that cannot be read, or whose FUNC name does not start with the kernel's name,
//! leaves the kernel's name (nothing is made up).

use std::collections::HashMap;
use std::os::fd::{AsFd, BorrowedFd};

use rawbpf_elf::btf::{Btf, BtfType};
use rawbpf_syscalls as sys;

/// Length of a name the kernel may have cut (`BPF_OBJ_NAME_LEN - 1`).
const CUT_LEN: usize = 15;

/// Where a shown name comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NameSource {
    /// The kernel's `name`, whole (shorter than 15 bytes, or no BTF could say more).
    Kernel,
    /// The FUNC type of the program's BTF func info.
    Btf,
}

/// Parsed program BTF by BTF id, so that programs sharing one object's BTF parse it once.
#[derive(Default)]
pub struct Names {
    btfs: HashMap<u32, Option<Btf>>,
}

impl Names {
    /// The full name of program `fd`, whose kernel name is `kernel_name`.
    pub fn full(&mut self, fd: BorrowedFd<'_>, kernel_name: &str) -> (String, NameSource) {
        if kernel_name.len() < CUT_LEN {
            return (kernel_name.to_string(), NameSource::Kernel);
        }
        match self.btf_name(fd) {
            Some(name) if name.len() > kernel_name.len() && name.starts_with(kernel_name) => {
                (name, NameSource::Btf)
            }
            _ => (kernel_name.to_string(), NameSource::Kernel),
        }
    }

    fn btf_name(&mut self, fd: BorrowedFd<'_>) -> Option<String> {
        let main = sys::prog_main_func(fd).ok()??;
        let btf = self
            .btfs
            .entry(main.btf_id.0)
            .or_insert_with(|| load(main.btf_id))
            .as_ref()?;
        match btf.type_by_id(main.type_id).ok()? {
            BtfType::Func(f) => btf.string(f.name_off).ok().map(str::to_string),
            _ => None,
        }
    }
}

/// The BTF object `id`, parsed; `None` when it cannot be opened (`BPF_BTF_GET_FD_BY_ID`
/// needs CAP_SYS_ADMIN) or parsed (split BTF on top of a module's).
fn load(id: sys::BtfId) -> Option<Btf> {
    let fd = sys::btf_get_fd_by_id(id).ok()?;
    let info = sys::btf_info(fd.as_fd()).ok()?;
    Btf::parse(&info.data).ok()
}
