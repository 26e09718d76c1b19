//! A read-only mapping of the kernel's BTF files (`/sys/kernel/btf/vmlinux`, module BTF),
//! which Linux allows to be `mmap`ed since 6.16: one call instead of the page-sized
//! `read`s a sysfs binary file gives (about 1,400 for vmlinux), and no copy on the heap.
//! Older kernels refuse the mmap; the caller then reads the file.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::ptr::NonNull;

/// A whole kernel BTF file, mapped read-only and private; unmapped on drop.
#[derive(Debug)]
pub struct KernelBtfMap {
    ptr: NonNull<libc::c_void>,
    len: usize,
}

impl KernelBtfMap {
    /// Maps `path` whole. `Ok(None)` when this kernel does not allow mapping it (the
    /// caller falls back to `read`), an error when the file cannot be opened or sized.
    pub fn open(path: &Path) -> std::io::Result<Option<KernelBtfMap>> {
        let file = File::open(path)?;
        let len = usize::try_from(file.metadata()?.len()).unwrap_or(0);
        if len == 0 {
            return Ok(None);
        }
        // SAFETY: a new read-only private mapping chosen by the kernel (addr NULL) of `len`
        // bytes of an open file: it aliases no Rust memory. The result is checked against
        // MAP_FAILED before use; the fd may close afterwards (the mapping keeps the file).
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Ok(None);
        }
        Ok(NonNull::new(ptr).map(|ptr| KernelBtfMap { ptr, len }))
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr` is a live PROT_READ mapping of `len` bytes owned by `self` (unmapped
        // only in drop, after every borrow of `self` ended). The kernel's BTF files are
        // read-only kernel memory that never changes or shrinks while mapped.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().cast::<u8>(), self.len) }
    }
}

impl Drop for KernelBtfMap {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping `open` made; no slice of it outlives `self`.
        unsafe {
            libc::munmap(self.ptr.as_ptr(), self.len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_the_same_bytes_as_read_where_the_kernel_allows() {
        let path = Path::new("/sys/kernel/btf/vmlinux");
        let Ok(read) = std::fs::read(path) else {
            return; // a kernel without BTF: nothing to map either
        };
        let mapped = match KernelBtfMap::open(path) {
            Ok(m) => m,
            Err(e) => panic!("{}: {e}", path.display()),
        };
        match mapped {
            Some(m) => assert!(m.bytes() == read.as_slice()),
            None => eprintln!("this kernel does not allow mapping its BTF (before 6.16)"),
        }
    }
}
