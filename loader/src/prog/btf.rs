//! `BPF_BTF_LOAD` of the object's BTF, with a graceful fallback: when the kernel rejects
//! the BTF, loading continues without it (maps without BTF type ids, programs without
//! func/line info) and the BTF log goes into a warning.

use std::os::fd::OwnedFd;

use rawbpf_elf::Object;
use rawbpf_syscalls as sys;

use crate::error::{Result, bpf_err};
use crate::{host::memlock, prog::log};

/// Loads the object's kernel-ready BTF. `Ok(None)` when the object has none or the kernel
/// rejected it (then a warning explains why).
pub fn load(obj: &Object, warnings: &mut Vec<String>) -> Result<Option<OwnedFd>> {
    let Some(btf) = obj.btf_for_kernel.as_ref() else {
        return Ok(None);
    };
    let bytes = btf.to_bytes();
    let first = match memlock::retry(|e: &sys::Error| e.errno, || sys::btf_load(&bytes, None)) {
        Ok(fd) => return Ok(Some(fd)),
        Err(e) => e,
    };
    if first.errno == libc::EPERM {
        // Without privileges nothing else will work either: say so now (exit 4).
        let err = bpf_err("load BTF")(first);
        if matches!(
            err,
            crate::Error::Privileges { .. } | crate::Error::Memlock { .. }
        ) {
            return Err(err);
        }
    }
    // Retry with a log to say why; grow on ENOSPC.
    let mut size = log::LOG_START;
    loop {
        let mut buf = vec![0u8; size];
        match sys::btf_load(&bytes, Some(&mut buf)) {
            Ok(fd) => return Ok(Some(fd)),
            Err(e) if e.errno == libc::ENOSPC && size < log::LOG_MAX => size *= 4,
            Err(e) => {
                let text = log::tail(&log::text(&buf), 10);
                warnings.push(format!(
                    "the kernel rejected the object's BTF ({e}); continuing without BTF (maps \
                     without BTF type ids, programs without func/line info){}",
                    if text.is_empty() {
                        String::new()
                    } else {
                        format!("; BTF log:\n{text}")
                    }
                ));
                return Ok(None);
            }
        }
    }
}
