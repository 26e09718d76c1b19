//! `BPF_PROG_TEST_RUN` — run a loaded program once on given input, in the kernel, and read
//! its return value (and the output packet). The deterministic way to execute XDP, tc
//! (`sched_cls`), socket filter, raw tracepoint and syscall programs without traffic.

use std::os::fd::BorrowedFd;

use crate::map::fd_u32;
use crate::sys::{Attr, bpf};
use crate::{Cmd, Result};

/// The `test` member of `union bpf_attr` (`prog_fd` … `batch_size`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgTestRunAttr {
    pub prog_fd: u32,
    pub retval: u32,
    pub data_size_in: u32,
    pub data_size_out: u32,
    pub data_in: u64,
    pub data_out: u64,
    pub repeat: u32,
    pub duration: u32,
    pub ctx_size_in: u32,
    pub ctx_size_out: u32,
    pub ctx_in: u64,
    pub ctx_out: u64,
    pub flags: u32,
    pub cpu: u32,
    pub batch_size: u32,
    pub _pad: u32,
}
const _: () = assert!(size_of::<ProgTestRunAttr>() == 80);

// SAFETY: `#[repr(C)]`, integer fields only, the trailing padding is the explicit `_pad`.
unsafe impl Attr for ProgTestRunAttr {}

/// What one test run returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRun {
    /// The program's return value.
    pub retval: u32,
    /// The packet after the run (`data_out`), cut to what the kernel wrote.
    pub data_out: Vec<u8>,
    /// Average run time in nanoseconds.
    pub duration_ns: u32,
}

/// Encodes the attribute (pure). `data_out` receives the output packet.
pub fn prog_test_run_attr(
    prog: BorrowedFd<'_>,
    data_in: &[u8],
    data_out: &mut [u8],
    repeat: u32,
) -> ProgTestRunAttr {
    ProgTestRunAttr {
        prog_fd: fd_u32(prog),
        data_size_in: u32::try_from(data_in.len()).unwrap_or(u32::MAX),
        data_in: if data_in.is_empty() {
            0
        } else {
            data_in.as_ptr() as u64
        },
        data_size_out: u32::try_from(data_out.len()).unwrap_or(u32::MAX),
        data_out: if data_out.is_empty() {
            0
        } else {
            data_out.as_mut_ptr() as u64
        },
        repeat,
        ..ProgTestRunAttr::default()
    }
}

/// `BPF_PROG_TEST_RUN` of `prog` on the packet `data_in` (`repeat` 0 or 1 = once).
pub fn prog_test_run(prog: BorrowedFd<'_>, data_in: &[u8], repeat: u32) -> Result<TestRun> {
    let mut out = vec![0u8; data_in.len().max(64) + 256];
    let mut attr = prog_test_run_attr(prog, data_in, &mut out, repeat);
    // SAFETY: `data_in` is read for `data_size_in` bytes and `out` written for at most
    // `data_size_out` bytes; both outlive the call and are not otherwise aliased.
    unsafe { bpf(Cmd::ProgTestRun, &mut attr) }?;
    out.truncate((attr.data_size_out as usize).min(out.len()));
    Ok(TestRun {
        retval: attr.retval,
        data_out: out,
        duration_ns: attr.duration,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn attr_offsets_match_uapi() {
        use std::mem::offset_of;
        // `union bpf_attr`'s `test` member in include/uapi/linux/bpf.h of Linux 6.18.
        assert_eq!(offset_of!(ProgTestRunAttr, retval), 4);
        assert_eq!(offset_of!(ProgTestRunAttr, data_size_in), 8);
        assert_eq!(offset_of!(ProgTestRunAttr, data_size_out), 12);
        assert_eq!(offset_of!(ProgTestRunAttr, data_in), 16);
        assert_eq!(offset_of!(ProgTestRunAttr, data_out), 24);
        assert_eq!(offset_of!(ProgTestRunAttr, repeat), 32);
        assert_eq!(offset_of!(ProgTestRunAttr, duration), 36);
        assert_eq!(offset_of!(ProgTestRunAttr, ctx_size_in), 40);
        assert_eq!(offset_of!(ProgTestRunAttr, ctx_size_out), 44);
        assert_eq!(offset_of!(ProgTestRunAttr, ctx_in), 48);
        assert_eq!(offset_of!(ProgTestRunAttr, ctx_out), 56);
        assert_eq!(offset_of!(ProgTestRunAttr, flags), 64);
        assert_eq!(offset_of!(ProgTestRunAttr, cpu), 68);
        assert_eq!(offset_of!(ProgTestRunAttr, batch_size), 72);
    }

    #[test]
    fn encodes_sizes_and_pointers() {
        let f = std::fs::File::open("/dev/null").unwrap();
        let data = [1u8; 14];
        let mut out = [0u8; 32];
        let a = prog_test_run_attr(f.as_fd(), &data, &mut out, 3);
        assert_eq!((a.data_size_in, a.data_size_out, a.repeat), (14, 32, 3));
        assert_eq!(a.data_in, data.as_ptr() as u64);
    }
}
